//! The ledger feature's reading side: who is behind a key, a member's keys, entries and open
//! requests, a page of the circle's ledger with its signatures checked, and the directory.

#![allow(clippy::result_large_err)]

use commons_governance::moderation::TargetKind;
use std::collections::HashMap;

use commons_ledger::entry::{Body, SignedRequest, TreeHead};
use commons_ledger::export::Memo;
use commons_ledger::keys::{Hash, PublicKey};
use commons_ledger::store::cache::ReadCache;
use commons_ledger::store::{Appended, CircleInfo, StoreError, StoredEntry};

use crate::capability::Writer;
use crate::db::{MemberCard, MemberStatus, MEMBERS_PAGE_MAX};
use crate::reach::Channel;
use crate::services::*;

/// A page of the circle's ledger, newest first, as the node verified it.
pub(crate) struct LedgerSlice {
    pub head: TreeHead,
    /// Entries before this sequence number are on the page (at most the tree's size).
    pub before: u64,
    pub entries: Vec<StoredEntry>,
    /// Whether each entry's signature verifies, in the order of `entries`.
    pub signatures_ok: Vec<bool>,
    /// The genesis names the node key that signs tree heads; this is its verdict on `head`.
    pub head_signature_ok: bool,
    /// A filtered page: the `before` of the next (older) page, if there may be more.
    pub more: Option<u64>,
}

/// The latest signed heads of a circle's ledger and moderation log, and the node key that signs
/// them: published where many people see them (the public page, digests), so that a node that
/// showed different members different logs would be caught comparing them.
#[derive(Debug, Clone)]
pub struct PublishedHeads {
    pub node_key: PublicKey,
    pub ledger_size: u64,
    pub ledger_root: Hash,
    /// The moderation log's size and root, once it has an action.
    pub moderation: Option<(u64, Hash)>,
}

/// One person in the directory, with whether they steward the circle.
#[derive(Debug, Clone)]
pub struct DirectoryCard {
    pub card: MemberCard,
    pub is_steward: bool,
}

impl Services {
    /// Names of the members behind ledger keys (keys nobody on this node holds show shortened).
    pub(crate) async fn key_names(
        &self,
        info: &CircleInfo,
        keys: &[PublicKey],
    ) -> Result<HashMap<PublicKey, String>, ActionError> {
        let mut unique: Vec<PublicKey> = keys.to_vec();
        unique.sort();
        unique.dedup();
        let mut map: HashMap<PublicKey, String> = HashMap::new();
        for chunk in unique.chunks(500) {
            for (key, _, name) in self.db.names_for_keys(info.row_id, chunk).await? {
                map.insert(key, name);
            }
        }
        // A link's connector account reads as the linked circle's name.
        if unique.iter().any(|key| !map.contains_key(key)) {
            map.extend(self.connector_names(info).await?);
        }
        Ok(map)
    }

    /// A rendered part of a page, remembered until the circle's next entry (the ledger's own
    /// rule, [`commons_ledger::store::Store::remembered`]).
    pub(crate) async fn remembered<K, V, E, Read, Fut>(
        &self,
        cache: &ReadCache<K, V>,
        row_id: i64,
        key: K,
        read: Read,
    ) -> Result<V, E>
    where
        K: Eq + std::hash::Hash + Clone,
        V: Clone,
        Read: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        self.store.remembered(cache, row_id, key, read).await
    }

    /// Changes whenever a member's name does: remembered pages that show names key on it.
    pub(crate) fn names_generation(&self) -> u64 {
        self.db.generation()
    }

    /// Every account key the member has held in the circle (a rotation keeps the old ones).
    pub(crate) async fn my_keys(&self, actor: &Actor) -> Result<Vec<PublicKey>, ActionError> {
        Ok(self
            .db
            .member_keys(actor.circle.row_id, actor.user.id)
            .await?)
    }

    /// The member's transfers, newest first, older than `before`, at most `limit`.
    pub(crate) async fn my_entries(
        &self,
        actor: &Actor,
        keys: &[PublicKey],
        before: Option<u64>,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, ActionError> {
        Ok(self
            .store
            .account_entries(&actor.circle, keys, false, before, limit)
            .await?)
    }

    /// The member's transfers, oldest first, at most `entries_max` of the newest.
    pub(crate) async fn my_statement(
        &self,
        actor: &Actor,
        keys: &[PublicKey],
        entries_max: usize,
    ) -> Result<Vec<StoredEntry>, ActionError> {
        let page_max = commons_ledger::store::LIST_ENTRIES_MAX;
        let mut entries = Vec::new();
        let mut before = None;
        loop {
            let page = self.my_entries(actor, keys, before, page_max).await?;
            let done = (page.len() as i64) < page_max;
            before = page.last().map(|stored| stored.entry.seq);
            entries.extend(page);
            if done || entries.len() >= entries_max {
                break;
            }
        }
        entries.reverse();
        Ok(entries)
    }

    /// Payment requests still open that the member pays or is paid by, at most `limit`.
    pub(crate) async fn my_open_requests(
        &self,
        actor: &Actor,
        keys: &[PublicKey],
        limit: i64,
    ) -> Result<Vec<StoredEntry>, ActionError> {
        Ok(self.store.open_requests(&actor.circle, keys, limit).await?)
    }

    /// Whether each entry's signature verifies (remembered: a page view never re-verifies).
    pub(crate) fn signatures_ok(&self, entries: &[StoredEntry]) -> Vec<bool> {
        self.verified.check(entries)
    }

    /// The entries before `before` (default: all), at most `limit`, with the latest tree head;
    /// only those of `kind`, and only a member's payments and requests when `member_keys`
    /// names their keys.
    pub(crate) async fn ledger_slice(
        &self,
        info: &CircleInfo,
        before: Option<u64>,
        limit: u64,
        kind: crate::ledger::form::LedgerKind,
        member_keys: Option<&[PublicKey]>,
    ) -> Result<LedgerSlice, ActionError> {
        let head = self.store.latest_tree_head(info).await?;
        let before = before.unwrap_or(head.tree_size).min(head.tree_size);
        // A filtered page ends where its read ended: the next one starts below the oldest
        // entry read (before any were left out), so nothing is ever skipped.
        let next_below = |read: &[StoredEntry]| {
            (read.len() as u64 == limit)
                .then(|| read.last().map(|stored| stored.entry.seq))
                .flatten()
        };
        let (entries, more) = match (member_keys, kind.entry_kinds()) {
            (Some(keys), _) => {
                let mut entries = self
                    .store
                    .account_entries(info, keys, true, Some(before), limit as i64)
                    .await?;
                let more = next_below(&entries);
                entries.retain(|stored| kind.shows(stored.entry.signed.record.body.kind()));
                (entries, more)
            }
            (None, []) => (self.store.entries_before(info, before, limit).await?, None),
            (None, kinds) => {
                let entries = self
                    .store
                    .entries_of_kinds_before(info, kinds, before, limit as i64)
                    .await?;
                let more = next_below(&entries);
                (entries, more)
            }
        };
        let genesis = self.store.entry(info, 0).await?;
        let Body::Genesis { node_key, .. } = &genesis.entry.signed.record.body else {
            return Err(StoreError::Corrupt("the first entry is not a genesis".into()).into());
        };
        let head_signature_ok = self.verified.check_head(&head, node_key);
        Ok(LedgerSlice {
            more,
            signatures_ok: self.signatures_ok(&entries),
            head,
            before,
            entries,
            head_signature_ok,
        })
    }

    /// The proof that entry `seq` is in the tree of `tree_size` entries (default: the latest).
    pub(crate) async fn inclusion_proof(
        &self,
        info: &CircleInfo,
        seq: u64,
        tree_size: Option<u64>,
    ) -> Result<(u64, Vec<Hash>), ActionError> {
        let tree_size = match tree_size {
            Some(size) => size,
            None => self.store.latest_tree_head(info).await?.tree_size,
        };
        let path = self.store.inclusion_proof(info, seq, tree_size).await?;
        Ok((tree_size, path))
    }

    /// Appends requests the member signed with their own key, each as if posted alone, and
    /// brings their membership up to date when one rotates their key. Only a [`Writer`] (a
    /// member not suspended) appends; a payment or payment request to someone the reach rule
    /// refuses (a block either way) is refused as if the account were not there.
    pub(crate) async fn append_own_signed(
        &self,
        writer: &Writer<'_>,
        signed: Vec<(SignedRequest, Option<Memo>)>,
    ) -> Result<Vec<Result<Appended, ActionError>>, ActionError> {
        let actor = writer.actor();
        let rotates = signed
            .iter()
            .any(|(request, _)| matches!(request.record.body, Body::RotateKey { .. }));
        let mut refused = Vec::with_capacity(signed.len());
        let mut allowed = Vec::with_capacity(signed.len());
        for (request, memo) in signed {
            match self.reach_of_signed(actor, &request.record.body).await {
                Ok(()) => {
                    refused.push(None);
                    allowed.push((request, memo));
                }
                Err(error) => refused.push(Some(error)),
            }
        }
        let mut appended = self
            .store
            .append_many(&actor.circle.slug, allowed)
            .await?
            .into_iter();
        if rotates {
            self.reconcile_member(actor).await?;
        }
        Ok(refused
            .into_iter()
            .map(|refusal| match refusal {
                Some(error) => Err(error),
                None => appended
                    .next()
                    .unwrap_or(Err(StoreError::Busy(0)))
                    .map_err(ActionError::from),
            })
            .collect())
    }

    /// The reach rule for a request the member signed: a payment or a payment request names
    /// another account, whose holder must be reachable.
    async fn reach_of_signed(&self, actor: &Actor, body: &Body) -> Result<(), ActionError> {
        let (channel, other) = match body {
            Body::Transfer { payee, .. } => (Channel::Payment, payee),
            Body::RequestPayment { payer, .. } => (Channel::PaymentRequest, payer),
            _ => return Ok(()),
        };
        let holder = self
            .db
            .names_for_keys(actor.circle.row_id, &[*other])
            .await?;
        let Some((_, username, _)) = holder.into_iter().next() else {
            return Ok(());
        };
        let Some(card) = self
            .db
            .member_by_username(actor.circle.row_id, &username)
            .await?
        else {
            return Ok(());
        };
        self.reach_of(channel, actor, card.user_id, None).await?;
        Ok(())
    }

    /// The circle's latest published heads (see [`PublishedHeads`]).
    pub(crate) async fn published_heads(
        &self,
        info: &CircleInfo,
    ) -> Result<PublishedHeads, ActionError> {
        let head = self.store.latest_tree_head(info).await?;
        let moderation = self
            .db
            .latest_log_head(info.row_id, info.circle_id)
            .await?
            .map(|head| (head.tree_size, head.root));
        Ok(PublishedHeads {
            node_key: self.store.node_secret(info).await?.public_key(),
            ledger_size: head.tree_size,
            ledger_root: head.root,
            moderation,
        })
    }

    /// The circle's active members whose name matches `search` (all when empty), at most
    /// [`MEMBERS_PAGE_MAX`], each with whether they steward the circle.
    pub(crate) async fn directory(
        &self,
        actor: &Actor,
        search: &str,
    ) -> Result<Vec<DirectoryCard>, ActionError> {
        let search = search.trim();
        let stewards = self.store.stewards(&actor.circle).await?;
        let cards = self
            .db
            .members(
                actor.circle.row_id,
                MemberStatus::Active,
                (!search.is_empty()).then_some(search),
                MEMBERS_PAGE_MAX,
            )
            .await?;
        let moderated = self.moderated_filter(actor).await?;
        Ok(cards
            .into_iter()
            .map(|mut card| {
                // A profile a moderator hid keeps its name, not its words.
                if moderated.hides(TargetKind::Profile, card.user_id) {
                    card.bio.clear();
                }
                DirectoryCard {
                    is_steward: stewards.contains(&card.account_key),
                    card,
                }
            })
            .collect())
    }

    /// An active member of the actor's circle by username, if there is one.
    pub(crate) async fn find_active_member(
        &self,
        actor: &Actor,
        username: &str,
    ) -> Result<Option<MemberCard>, ActionError> {
        Ok(self
            .db
            .member_by_username(actor.circle.row_id, username)
            .await?
            .filter(|card| card.status == MemberStatus::Active))
    }

    /// A member (or past member) of the actor's circle by username, with every key they held
    /// there, for the ledger's filter: (user id, display name, keys).
    pub(crate) async fn ledger_member(
        &self,
        actor: &Actor,
        username: &str,
    ) -> Result<Option<(i64, String, Vec<PublicKey>)>, ActionError> {
        let circle = actor.circle.row_id;
        // Only people who held an account here: whether someone asked to join, or was
        // declined, is the stewards' to know.
        let Some(card) = self
            .db
            .member_by_username(circle, username.trim())
            .await?
            .filter(|card| {
                matches!(
                    card.status,
                    MemberStatus::Active | MemberStatus::Left | MemberStatus::Removed
                )
            })
        else {
            return Ok(None);
        };
        let keys = self.db.member_keys(circle, card.user_id).await?;
        Ok(Some((card.user_id, card.display_name, keys)))
    }

    /// An active member of the actor's circle by username, with whether they steward it.
    pub(crate) async fn active_member(
        &self,
        actor: &Actor,
        username: &str,
    ) -> Result<DirectoryCard, ActionError> {
        let mut card = self
            .find_active_member(actor, username)
            .await?
            .ok_or(ActionError::NotFound)?;
        if self
            .moderated_filter(actor)
            .await?
            .hides(TargetKind::Profile, card.user_id)
        {
            card.bio.clear();
        }
        let stewards = self.store.stewards(&actor.circle).await?;
        Ok(DirectoryCard {
            is_steward: stewards.contains(&card.account_key),
            card,
        })
    }

    /// The username the pay or request form's "who" field names (see
    /// [`crate::ledger::form::named_member`]); what was typed, unchanged, when it names
    /// nobody (the form then says no member is called so); refused when several members
    /// share the name typed.
    pub(crate) async fn member_named(
        &self,
        actor: &Actor,
        typed: &str,
    ) -> Result<String, ActionError> {
        self.member_named_in(actor.circle.row_id, actor.user.id, typed)
            .await
    }

    /// [`Services::member_named`] among the active members of the circle with row id
    /// `circle` (a linked circle's, for a payment across), never the actor themself.
    pub(crate) async fn member_named_in(
        &self,
        circle: i64,
        actor_user: i64,
        typed: &str,
    ) -> Result<String, ActionError> {
        let wanted = typed.trim().trim_start_matches('@');
        if wanted.is_empty() {
            return Ok(String::new());
        }
        let candidates: Vec<(String, String)> = self
            .db
            .members(circle, MemberStatus::Active, Some(wanted), MEMBERS_PAGE_MAX)
            .await?
            .into_iter()
            .filter(|card| card.user_id != actor_user)
            .map(|card| (card.username, card.display_name))
            .collect();
        match crate::ledger::form::named_member(wanted, &candidates) {
            crate::ledger::form::Named::Member(username) => Ok(username),
            crate::ledger::form::Named::Several => {
                Err(crate::services::invalid("member", "error-member-several"))
            }
            crate::ledger::form::Named::Nobody => Ok(wanted.to_owned()),
        }
    }

    /// Other active members for the pay and request forms, as (username, display name): those
    /// whose name matches `find`, at most [`MEMBERS_PAGE_MAX`], and the member already chosen.
    /// The flag says whether more members match than are listed.
    pub(crate) async fn member_choices(
        &self,
        actor: &Actor,
        find: &str,
        chosen: &str,
    ) -> Result<(Vec<(String, String)>, bool), ActionError> {
        let find = find.trim();
        let cards = self
            .db
            .members(
                actor.circle.row_id,
                MemberStatus::Active,
                (!find.is_empty()).then_some(find),
                MEMBERS_PAGE_MAX,
            )
            .await?;
        let more = cards.len() as i64 >= MEMBERS_PAGE_MAX;
        let mut choices: Vec<(String, String)> = cards
            .into_iter()
            .filter(|card| card.user_id != actor.user.id)
            .map(|card| (card.username, card.display_name))
            .collect();
        if !chosen.is_empty() && !choices.iter().any(|(username, _)| username == chosen) {
            if let Some(card) = self
                .find_active_member(actor, chosen)
                .await?
                .filter(|card| card.user_id != actor.user.id)
            {
                choices.insert(0, (card.username, card.display_name));
            }
        }
        Ok((choices, more))
    }
}
