//! A member's takeout: everything the node keeps about them, as a ZIP of JSON (and CSV for the
//! tables people open in a spreadsheet), with, for each circle, their ledger statement whose
//! inclusion proofs verify offline (`commons audit --statement`). Nothing of anyone else's:
//! other people appear only by the name they show in the circle, and only the member's own
//! messages, comments and ballots are included.

#![allow(clippy::result_large_err)]

use crate::capability::FullAccount;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::Mutex;

use commons_ledger::entry::Body;
use commons_ledger::keys::PublicKey;
use commons_ledger::statement::{proved, Statement, STATEMENT_FORMAT, STATEMENT_VERSION};
use commons_ledger::store::{CircleInfo, StoredEntry, LIST_ENTRIES_MAX};
use serde_json::{json, Value};

use crate::db::{Membership, User};
use crate::services::{ActionError, Services};

/// A person may take their data out once in this many milliseconds (it reads a lot).
pub const TAKEOUT_INTERVAL_MS: i64 = 5 * 60 * 1000;
/// Most ledger entries one circle's statement holds.
pub const STATEMENT_ENTRIES_MAX: usize = 100_000;
/// How many people's last takeout the node remembers (the oldest are forgotten first).
const REMEMBERED_PEOPLE_MAX: usize = 10_000;

/// The files of a takeout, by path.
#[derive(Debug, Default)]
pub struct Archive {
    files: Vec<(String, Vec<u8>)>,
}

impl Archive {
    fn json(&mut self, path: &str, value: &Value) {
        let text = serde_json::to_vec_pretty(value).unwrap_or_default();
        self.files.push((path.to_owned(), text));
    }

    fn csv(&mut self, path: &str, header: &[&str], rows: &[Vec<String>]) {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let _ = writer.write_record(header);
        for row in rows {
            let _ = writer.write_record(row);
        }
        self.files
            .push((path.to_owned(), writer.into_inner().unwrap_or_default()));
    }

    fn bytes(&mut self, path: &str, bytes: Vec<u8>) {
        self.files.push((path.to_owned(), bytes));
    }

    /// One file's bytes.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, bytes)| bytes.as_slice())
    }

    /// The paths in the archive.
    pub fn paths(&self) -> Vec<&str> {
        self.files.iter().map(|(path, _)| path.as_str()).collect()
    }

    /// The archive as ZIP bytes.
    pub fn zip(&self) -> std::io::Result<Vec<u8>> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o600);
        for (path, bytes) in &self.files {
            zip.start_file(path.as_str(), options)
                .map_err(std::io::Error::other)?;
            zip.write_all(bytes)?;
        }
        Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
    }
}

const README: &str = "Your data from a Commons node / Tus datos de un nodo Commons\n\
\n\
profile.json (with your skills and interests), photo.jpg (if you have one), security-activity.json,\nnotifications.json, blocks.json: you, across the node.\n\
circles/<circle>/: what you wrote and signed in each circle (listings and photos, your deal\n\
messages, your deals with members of linked circles (deals-across.json), your private messages (messages.json), proposals, comments, ballots, delegations, invitations, reports you made,\n\
moderation actions about you), as JSON and, for tables, CSV.\n\
circles/<circle>/ledger/statement.json: your ledger entries, each with a Merkle inclusion\n\
proof against a tree head signed by the circle's node key. Check it offline with:\n\
\n\
    commons audit --statement circles/<circle>/ledger/statement.json\n\
\n\
profile.json, security-activity.json, notifications.json, blocks.json: tú, en todo el nodo.\n\
circles/<círculo>/: lo que escribiste y firmaste en cada círculo, en JSON y CSV.\n\
circles/<círculo>/ledger/statement.json: tus asientos con pruebas que se comprueban sin conexión\n\
con el mismo comando.\n";

fn charge(
    takeouts: &Mutex<BTreeMap<i64, i64>>,
    user_id: i64,
    now_ms: i64,
) -> Result<(), ActionError> {
    let mut last = takeouts.lock().unwrap_or_else(|e| e.into_inner());
    if last
        .get(&user_id)
        .is_some_and(|at| now_ms - at < TAKEOUT_INTERVAL_MS)
    {
        return Err(ActionError::TooManyAttempts);
    }
    last.retain(|_, at| now_ms - *at < TAKEOUT_INTERVAL_MS);
    if last.len() >= REMEMBERED_PEOPLE_MAX {
        return Err(ActionError::Busy);
    }
    last.insert(user_id, now_ms);
    Ok(())
}

impl Services {
    /// Everything about the person, as an archive. Refused to a login a circle's stewards
    /// recovered (until the person takes the account back), and more than once in
    /// [`TAKEOUT_INTERVAL_MS`].
    pub async fn takeout(&self, user: &FullAccount) -> Result<Archive, ActionError> {
        charge(&self.takeouts, user.id, self.now_ms())?;
        let mut archive = Archive::default();
        archive.bytes("README.txt", README.as_bytes().to_vec());
        self.takeout_person(user, &mut archive).await?;
        let circles = self.circles_by_row().await?;
        for membership in self.db.memberships_of(user.id).await? {
            if let Some(info) = circles.get(&membership.circle) {
                self.takeout_circle(user, info, &membership, &mut archive)
                    .await?;
            }
        }
        Ok(archive)
    }

    async fn takeout_person(&self, user: &User, archive: &mut Archive) -> Result<(), ActionError> {
        let extras = self.db.profile_of(user.id).await?;
        archive.json(
            "profile.json",
            &json!({
                "username": user.username, "display_name": user.display_name, "bio": user.bio,
                "language": user.language, "created_at_ms": user.created_at_ms,
                "is_node_admin": user.is_node_admin, "skills": extras.skills,
                "interests": extras.interests, "ask_me_about": extras.ask_me_about,
                "photo_description": extras.photo_alt,
            }),
        );
        if let Some((photo, _)) = self.db.user_photo(user.id, false).await? {
            archive.bytes("photo.jpg", photo);
        }
        let events = self.db.security_events_of(user.id).await?;
        let rows: Vec<Vec<String>> = events
            .iter()
            .map(|e| {
                vec![
                    e.created_at_ms.to_string(),
                    e.kind.clone(),
                    e.place.clone().unwrap_or_default(),
                    e.detail.clone(),
                ]
            })
            .collect();
        archive.csv(
            "security-activity.csv",
            &["at_ms", "kind", "place", "detail"],
            &rows,
        );
        let notes = self.db.notifications(user.id, 10_000).await?;
        let notes: Vec<Value> = notes
            .iter()
            .map(|n| json!({"circle": n.circle, "kind": n.kind.as_str(), "listing": n.listing, "deal": n.deal,
                "proposal": n.proposal, "moderation": n.moderation, "created_at_ms": n.created_at_ms, "read": n.read}))
            .collect();
        archive.json("notifications.json", &Value::Array(notes));
        let mut blocks: Vec<Value> = self
            .db
            .blocks_of(user.id)
            .await?
            .iter()
            .map(|b| json!({"other": b.other_name, "kind": b.kind.as_str(), "created_at_ms": b.created_at_ms}))
            .collect();
        blocks.extend(self.db.link_blocks_of(user.id).await?.iter().map(|b| {
            json!({"other": b.name, "username": b.username, "circle": hex::encode(b.partner),
                "kind": "block", "created_at_ms": b.created_ms})
        }));
        archive.json("blocks.json", &Value::Array(blocks));
        let email = self.email_settings(user).await?;
        let deliveries: serde_json::Map<String, Value> = (email.deliveries.iter())
            .map(|(kind, delivery)| (kind.as_str().to_owned(), json!(delivery.as_str())))
            .collect();
        archive.json(
            "email.json",
            &json!({
                "address": email.address.as_ref().map(|a| a.address.clone()),
                "verified_at_ms": email.address.as_ref().and_then(|a| a.verified_at_ms),
                "deliveries": deliveries,
            }),
        );
        Ok(())
    }

    async fn takeout_circle(
        &self,
        user: &User,
        info: &CircleInfo,
        membership: &Membership,
        archive: &mut Archive,
    ) -> Result<(), ActionError> {
        let dir = format!("circles/{}", info.slug);
        let mut keys = self.db.member_keys(info.row_id, user.id).await?;
        if !keys.contains(&membership.account_key) {
            keys.push(membership.account_key);
        }
        archive.json(
            &format!("{dir}/membership.json"),
            &json!({
                "circle": info.slug, "name": info.name, "status": membership.status.as_str(),
                "joined_at_ms": membership.created_at_ms, "agreements_version": membership.agreements_version,
                "request_message": membership.request_message,
                "account_keys": keys.iter().map(PublicKey::to_hex).collect::<Vec<_>>(),
                "suspended_until_ms": membership.suspended_until_ms, "limited_until_ms": membership.limited_until_ms,
            }),
        );
        self.takeout_market(user, info, &dir, archive).await?;
        self.takeout_decisions(user, info, &keys, &dir, archive)
            .await?;
        self.takeout_moderation(user, info, &dir, archive).await?;
        self.takeout_conversations(user, info, &dir, archive)
            .await?;
        self.takeout_ledger(info, &keys, &dir, archive).await
    }

    /// The person's private conversations in the circle: with whom, and what they wrote.
    async fn takeout_conversations(
        &self,
        user: &User,
        info: &CircleInfo,
        dir: &str,
        archive: &mut Archive,
    ) -> Result<(), ActionError> {
        let mut values = Vec::new();
        for (row, messages) in self
            .db
            .conversations_for_takeout(info.row_id, user.id)
            .await?
        {
            let with: Vec<String> = self
                .db
                .conversation_people(row.id)
                .await?
                .into_iter()
                .filter(|p| p.user_id != user.id)
                .map(|p| p.display_name)
                .collect();
            let mine: Vec<Value> = messages
                .iter()
                .map(|m| json!({"at_ms": m.created_at_ms, "body": m.body}))
                .collect();
            values.push(json!({"conversation": row.id, "with": with, "started_at_ms": row.created_at_ms, "my_messages": mine}));
        }
        archive.json(&format!("{dir}/messages.json"), &Value::Array(values));
        Ok(())
    }

    async fn takeout_market(
        &self,
        user: &User,
        info: &CircleInfo,
        dir: &str,
        archive: &mut Archive,
    ) -> Result<(), ActionError> {
        let listings = self.market.listings_of(info.row_id, user.id).await?;
        let mut rows = Vec::new();
        let mut values = Vec::new();
        for listing in &listings {
            let photos = self.market.photos(listing.id).await?;
            for photo in &photos {
                if let Some(bytes) = self
                    .market
                    .photo_bytes(info.row_id, listing.id, photo.id, false)
                    .await?
                {
                    archive.bytes(
                        &format!("{dir}/photos/{}-{}.jpg", listing.id, photo.id),
                        bytes,
                    );
                }
            }
            rows.push(vec![
                listing.id.to_string(),
                listing.side.as_str().to_owned(),
                listing.kind.as_str().to_owned(),
                listing.status.as_str().to_owned(),
                listing.title.clone(),
                listing.description.clone(),
                listing.category.clone(),
                listing.tags.join(" "),
                listing.area.clone(),
                listing.created_at_ms.to_string(),
            ]);
            values.push(json!({
                "id": listing.id, "side": listing.side.as_str(), "kind": listing.kind.as_str(),
                "status": listing.status.as_str(), "title": listing.title, "description": listing.description,
                "category": listing.category, "tags": listing.tags, "area": listing.area,
                "availability": listing.availability, "created_at_ms": listing.created_at_ms,
                "updated_at_ms": listing.updated_at_ms, "expires_at_ms": listing.expires_at_ms,
                "photos": photos.iter().map(|p| json!({"file": format!("photos/{}-{}.jpg", listing.id, p.id), "alt": p.alt})).collect::<Vec<_>>(),
            }));
        }
        archive.json(&format!("{dir}/listings.json"), &Value::Array(values));
        archive.csv(
            &format!("{dir}/listings.csv"),
            &[
                "id",
                "side",
                "kind",
                "status",
                "title",
                "description",
                "category",
                "tags",
                "area",
                "created_at_ms",
            ],
            &rows,
        );
        let mut deals = Vec::new();
        let mut messages = Vec::new();
        for stored in self.market.deals_of(info.row_id, user.id).await? {
            let deal = &stored.deal;
            deals.push(json!({
                "id": deal.id, "listing": deal.listing_id, "status": deal.status.as_str(),
                "i_pay": deal.payer == user.id, "terms": deal.terms.as_ref().map(|t| json!({"description": t.description, "amount_minor": t.amount_minor})),
                "payment_seq": deal.payment_seq, "created_at_ms": stored.created_at_ms,
            }));
            for message in self
                .market
                .messages(deal.id)
                .await?
                .into_iter()
                .filter(|m| m.author == user.id)
            {
                messages.push(vec![
                    deal.id.to_string(),
                    message.created_at_ms.to_string(),
                    message.body,
                ]);
            }
        }
        archive.json(&format!("{dir}/deals.json"), &Value::Array(deals));
        archive.csv(
            &format!("{dir}/my-deal-messages.csv"),
            &["deal", "at_ms", "message"],
            &messages,
        );
        self.takeout_deals_across(info, user, archive, dir).await
    }

    /// The person's deals with members of linked circles, and what they wrote in them.
    async fn takeout_deals_across(
        &self,
        info: &CircleInfo,
        user: &User,
        archive: &mut Archive,
        dir: &str,
    ) -> Result<(), ActionError> {
        let mut deals = Vec::new();
        let mut messages = Vec::new();
        let rows = self
            .db
            .link_deals_of(
                info.row_id,
                user.id,
                crate::links::deals::LINK_DEALS_TAKEOUT_MAX,
            )
            .await?;
        for row in rows {
            deals.push(json!({
                "id": row.id, "uuid": hex::encode(row.uuid), "circle": hex::encode(row.partner),
                "with": row.other_username, "listing": row.listing_id, "title": row.listing_title,
                "i_wrote_the_listing": row.owner_here, "status": row.status.as_str(),
                "terms": row.terms.as_ref().map(|(description, amount_minor)| json!({"description": description, "amount_minor": amount_minor})),
                "payment": row.transfer, "created_ms": row.created_ms,
            }));
            for message in self.db.link_deal_messages(row.id).await? {
                if message.from_here {
                    messages.push(vec![
                        row.id.to_string(),
                        message.created_ms.to_string(),
                        message.body,
                    ]);
                }
            }
        }
        archive.json(&format!("{dir}/deals-across.json"), &Value::Array(deals));
        archive.csv(
            &format!("{dir}/my-deal-across-messages.csv"),
            &["deal", "at_ms", "message"],
            &messages,
        );
        Ok(())
    }

    async fn takeout_decisions(
        &self,
        user: &User,
        info: &CircleInfo,
        keys: &[PublicKey],
        dir: &str,
        archive: &mut Archive,
    ) -> Result<(), ActionError> {
        let proposals: Vec<Value> = self
            .governance
            .proposals_by(info.row_id, user.id)
            .await?
            .iter()
            .map(|p| json!({"number": p.number, "title": p.draft.title, "body": p.draft.body,
                "method": p.draft.method.name(), "status": p.status.as_str(), "created_at_ms": p.created_at_ms}))
            .collect();
        archive.json(&format!("{dir}/proposals.json"), &Value::Array(proposals));
        let comments: Vec<Vec<String>> = self
            .governance
            .comments_by(info.row_id, user.id)
            .await?
            .into_iter()
            .map(|(number, c)| vec![number.to_string(), c.created_at_ms.to_string(), c.body])
            .collect();
        archive.csv(
            &format!("{dir}/comments.csv"),
            &["proposal", "at_ms", "comment"],
            &comments,
        );
        let signed = |bytes: &[u8], signature: &commons_ledger::keys::Signature| json!({"bytes": hex::encode(bytes), "signature": signature.to_hex()});
        let ballots: Vec<Value> = self
            .governance
            .ballots_by(keys)
            .await?
            .iter()
            .map(|b| signed(&b.bytes, &b.signature))
            .collect();
        archive.json(&format!("{dir}/ballots.json"), &Value::Array(ballots));
        let delegations: Vec<Value> = self
            .governance
            .delegations_by(info.row_id, keys)
            .await?
            .iter()
            .map(|d| signed(&d.bytes, &d.signature))
            .collect();
        archive.json(
            &format!("{dir}/delegations.json"),
            &Value::Array(delegations),
        );
        let invitations: Vec<Value> = self
            .db
            .invitations(info.row_id, Some(user.id))
            .await?
            .iter()
            .map(|i| json!({"note": i.note, "created_at_ms": i.created_at_ms, "expires_at_ms": i.expires_at_ms,
                "used": i.used_by.is_some(), "revoked_at_ms": i.revoked_at_ms}))
            .collect();
        archive.json(
            &format!("{dir}/invitations.json"),
            &Value::Array(invitations),
        );
        let (posts, comments) = self.db.news_written_by(info.row_id, user.id).await?;
        let mut post_values = Vec::new();
        for p in &posts {
            let mut photos = Vec::new();
            for photo in self.db.news_photos(p.id).await? {
                let file = format!("news-photos/{}-{}.jpg", p.id, photo.id);
                if let Some(bytes) = self
                    .db
                    .news_photo_bytes((info.row_id, p.id, photo.id), false)
                    .await?
                {
                    archive.bytes(&format!("{dir}/{file}"), bytes);
                }
                photos.push(json!({"file": file, "alt": photo.alt}));
            }
            post_values.push(json!({"id": p.id, "title": p.title, "body": p.body, "pinned": p.pinned,
                "announced": p.announced, "withdrawn": p.withdrawn, "created_at_ms": p.created_at_ms,
                "photos": photos}));
        }
        let posts = post_values;
        archive.json(&format!("{dir}/news.json"), &Value::Array(posts));
        let comments: Vec<Vec<String>> = comments
            .into_iter()
            .map(|c| vec![c.post.to_string(), c.created_at_ms.to_string(), c.body])
            .collect();
        archive.csv(
            &format!("{dir}/news-comments.csv"),
            &["post", "at_ms", "comment"],
            &comments,
        );
        self.takeout_discussions(user, info, dir, archive).await
    }

    async fn takeout_discussions(
        &self,
        user: &User,
        info: &CircleInfo,
        dir: &str,
        archive: &mut Archive,
    ) -> Result<(), ActionError> {
        let (threads, replies, follows) = self.db.discussions_of(info.row_id, user.id).await?;
        let threads: Vec<Value> = threads
            .iter()
            .map(|t| json!({"id": t.id, "category": t.category_name, "title": t.title, "body": t.body,
                "withdrawn": t.withdrawn, "proposal_number": t.proposal_number, "created_at_ms": t.created_at_ms}))
            .collect();
        archive.json(&format!("{dir}/discussions.json"), &Value::Array(threads));
        let replies: Vec<Vec<String>> = replies
            .into_iter()
            .map(|r| vec![r.thread.to_string(), r.created_at_ms.to_string(), r.body])
            .collect();
        archive.csv(
            &format!("{dir}/discussion-replies.csv"),
            &["thread", "at_ms", "reply"],
            &replies,
        );
        let follows: Vec<Vec<String>> = follows
            .into_iter()
            .map(|(thread, mode)| vec![thread.to_string(), mode])
            .collect();
        archive.csv(
            &format!("{dir}/discussions-followed.csv"),
            &["thread", "mode"],
            &follows,
        );
        Ok(())
    }

    async fn takeout_moderation(
        &self,
        user: &User,
        info: &CircleInfo,
        dir: &str,
        archive: &mut Archive,
    ) -> Result<(), ActionError> {
        let reports: Vec<Value> = self
            .db
            .reports_made(info.row_id, user.id)
            .await?
            .iter()
            .map(|(kind, agreements, note, at, outcome)| json!({"about": kind, "agreements": agreements, "note": note, "created_at_ms": at, "outcome": outcome}))
            .collect();
        archive.json(
            &format!("{dir}/reports-i-made.json"),
            &Value::Array(reports),
        );
        let actions: Vec<Value> = self
            .db
            .log_about(user.id)
            .await?
            .into_iter()
            .filter(|(circle, _)| *circle == info.row_id)
            .map(|(_, row)| {
                json!({"seq": row.seq, "kind": row.kind, "recorded_at_ms": row.recorded_at_ms,
                "signed_bytes": hex::encode(&row.bytes), "signature": hex::encode(&row.signature)})
            })
            .collect();
        archive.json(
            &format!("{dir}/moderation-about-me.json"),
            &Value::Array(actions),
        );
        Ok(())
    }

    /// The entries up to `tree_size` that opened, admitted or rotated to one of `keys`.
    async fn entries_opening(
        &self,
        info: &CircleInfo,
        keys: &[PublicKey],
        tree_size: u64,
    ) -> Result<Vec<StoredEntry>, ActionError> {
        let mut found = Vec::new();
        for kind in [2u8, 4, 11] {
            let mut from = 0;
            loop {
                let page = self
                    .store
                    .entries_of_kind(info, kind, from, LIST_ENTRIES_MAX)
                    .await?;
                let done = (page.len() as i64) < LIST_ENTRIES_MAX;
                from = page.last().map_or(from, |stored| stored.entry.seq + 1);
                found.extend(page.into_iter().filter(|stored| {
                    stored.entry.seq < tree_size
                        && commons_ledger::statement::keys_opened_by(
                            &stored.entry.signed.record.body,
                        )
                        .iter()
                        .any(|key| keys.contains(key))
                }));
                if done {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// The member's entries (transfers and payment requests) with inclusion proofs against
    /// the latest signed head, and the genesis entry that names the node key.
    async fn takeout_ledger(
        &self,
        info: &CircleInfo,
        keys: &[PublicKey],
        dir: &str,
        archive: &mut Archive,
    ) -> Result<(), ActionError> {
        let head = self.store.latest_tree_head(info).await?;
        let mut entries: Vec<StoredEntry> = Vec::new();
        let mut before = Some(head.tree_size);
        loop {
            let page = self
                .store
                .account_entries(info, keys, true, before, LIST_ENTRIES_MAX)
                .await?;
            let done = (page.len() as i64) < LIST_ENTRIES_MAX;
            before = page.last().map(|e| e.entry.seq);
            entries.extend(page);
            if done || entries.len() >= STATEMENT_ENTRIES_MAX {
                break;
            }
        }
        // The entries that made each of the member's keys theirs (opened, admitted, rotated
        // to): the statement proves its accounts with them.
        entries.extend(self.entries_opening(info, keys, head.tree_size).await?);
        // How each of the member's payments across settled (the settlement names the hold).
        let holds: Vec<commons_ledger::keys::Hash> = entries
            .iter()
            .filter(|stored| {
                matches!(
                    stored.entry.signed.record.body,
                    commons_ledger::entry::Body::Hold(_)
                )
            })
            .map(|stored| stored.hash)
            .collect();
        entries.extend(self.store.settlement_entries(info, &holds).await?);
        entries.retain(|stored| stored.entry.seq < head.tree_size);
        entries.sort_by_key(|stored| stored.entry.seq);
        entries.dedup_by_key(|stored| stored.entry.seq);
        let genesis = self.store.entry(info, 0).await?;
        let mut proved_entries = Vec::with_capacity(entries.len());
        for stored in &entries {
            let proof = self
                .store
                .inclusion_proof(info, stored.entry.seq, head.tree_size)
                .await?;
            proved_entries.push(proved(stored, &proof));
        }
        let statement = Statement {
            format: STATEMENT_FORMAT.into(),
            version: STATEMENT_VERSION,
            slug: info.slug.clone(),
            circle_id: info.circle_id.to_hex(),
            accounts: keys.iter().map(PublicKey::to_hex).collect(),
            tree_head: commons_ledger::export::TreeHeadLine::from_head(&head),
            genesis: proved(
                &genesis,
                &self.store.inclusion_proof(info, 0, head.tree_size).await?,
            ),
            entries: proved_entries,
        };
        archive.json(
            &format!("{dir}/ledger/statement.json"),
            &serde_json::to_value(&statement).unwrap_or_default(),
        );
        let names: HashMap<PublicKey, String> = self
            .db
            .active_members(info.row_id)
            .await?
            .into_iter()
            .map(|p| (p.account_key, p.display_name))
            .collect();
        let name = |key: &PublicKey| names.get(key).cloned().unwrap_or_else(|| key.to_hex());
        let unit = crate::http::page::unit_of(info);
        let rows: Vec<Vec<String>> = entries
            .iter()
            .filter_map(|stored| match &stored.entry.signed.record.body {
                Body::Transfer {
                    payer,
                    payee,
                    amount_minor,
                    ..
                } => {
                    let paid = keys.contains(payer);
                    let signed_minor = if paid { -amount_minor } else { *amount_minor };
                    Some(vec![
                        stored.entry.seq.to_string(),
                        stored.entry.recorded_at_ms.to_string(),
                        name(if paid { payee } else { payer }),
                        unit.number(signed_minor),
                        stored
                            .memo
                            .as_ref()
                            .map(|m| m.text.clone())
                            .unwrap_or_default(),
                    ])
                }
                _ => None,
            })
            .collect();
        archive.csv(
            &format!("{dir}/ledger/transfers.csv"),
            &["seq", "at_ms", "with", "amount", "memo"],
            &rows,
        );
        Ok(())
    }
}
