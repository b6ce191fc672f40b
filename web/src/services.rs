//! What people can do in the web space (set up a node, join, pay, request, invite, admit),
//! as plain async functions over the ledger store and the node's tables. No HTTP here: the
//! page handlers and the JSON API both call these, so both follow the same rules.

#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use commons_ledger::amount::{AmountError, Decimals};
use commons_ledger::entry::{Body, Request, TreeHead};
use commons_ledger::export::Memo;
use commons_ledger::keys::{Hash, Nonce, PublicKey, SecretKey};
use commons_ledger::state::Refusal;
use commons_ledger::store::{Appended, CircleInfo, Store, StoreError, StoredEntry};
use rand_core::{OsRng, RngCore};
use thiserror::Error;

use crate::custody::{unseal, CustodyError, KdfCost, SealingKey};
use crate::db::{CircleSettings, MemberCard, MemberStatus, Membership, NodeDb, User};
use crate::names::{NameError, Username};

/// How long an invitation link stays valid.
pub const INVITATION_TTL_MS: i64 = 14 * 24 * 3600 * 1000;
/// The agreements a new circle starts with, until its stewards write their own.
pub const DEFAULT_AGREEMENTS: &str = "We treat each other with care and respect.\n\
We keep our promises, and say so early when we cannot.\n\
We agree on value according to needs, not market prices.\n\
We keep what we learn about each other in this circle to ourselves.\n\
When something goes wrong, we talk to each other first, then to a steward.";

/// Why an action did not happen. Nothing was written in any of these cases.
#[derive(Debug, Error)]
pub enum ActionError {
    /// The ledger refused the entry (its message explains the numbers).
    #[error("{0}")]
    Refused(Refusal),
    /// A form field is wrong; `message_id` names the catalogue message.
    #[error("{field}: {message_id}")]
    Invalid {
        field: &'static str,
        message_id: &'static str,
    },
    /// Several form fields are wrong at once (a form parsed into a command).
    #[error("{}", .0.iter().map(|p| format!("{}: {}", p.field, p.message_id)).collect::<Vec<_>>().join("; "))]
    Fields(Vec<FieldProblem>),
    #[error("not found")]
    NotFound,
    /// A new member in the sandbox used the day's allowance of this kind of post.
    #[error("the sandbox's daily allowance is used")]
    Sandboxed(crate::membership::sandbox::SandboxLimit),
    #[error("not allowed")]
    Forbidden,
    /// A login a recovery link gave may not change the account itself (see
    /// [`crate::capability::FullAccount`]).
    #[error("a recovered login cannot change the account")]
    RecoveredLogin,
    /// The circle's moderators suspended the member until then (ms): they sign and post
    /// nothing new there.
    #[error("suspended")]
    Suspended(i64),
    /// Signing needs the member's password again (the session's key is not in memory).
    #[error("locked")]
    Locked,
    #[error("wrong username or password")]
    WrongPassword,
    #[error("this username is taken")]
    UsernameTaken,
    #[error("this person is already in the circle")]
    AlreadyMember,
    #[error("this invitation was used, revoked or has expired")]
    InvitationGone,
    /// The member holds their own key and signs with the CLI.
    #[error("own key")]
    OwnKey,
    /// The key is sealed under a password the person no longer has: a steward must help.
    #[error("key lost")]
    KeyLost,
    #[error("the node is busy; try again in a moment")]
    Busy,
    /// Too many password checks from this address, or for this person, in the last minute.
    #[error("too many attempts; wait a minute")]
    TooManyAttempts,
    #[error("storage: {0}")]
    Store(StoreError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("custody: {0}")]
    Custody(#[from] CustodyError),
}

impl From<StoreError> for ActionError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Refused(refusal) => ActionError::Refused(refusal),
            StoreError::Busy(_) => ActionError::Busy,
            StoreError::NoSuchCircle(_)
            | StoreError::NoSuchEntry(_)
            | StoreError::NoSuchProof(_) => ActionError::NotFound,
            other => ActionError::Store(other),
        }
    }
}

/// One wrong form field: its name in the form, and the catalogue message that says why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message_id: &'static str,
}

impl FieldProblem {
    pub fn new(field: &'static str, message_id: &'static str) -> FieldProblem {
        FieldProblem { field, message_id }
    }
}

impl From<FieldProblem> for ActionError {
    fn from(problem: FieldProblem) -> ActionError {
        ActionError::Invalid {
            field: problem.field,
            message_id: problem.message_id,
        }
    }
}

/// Who a form names in its `member` field: a username, or the field's problem.
pub fn member_named(text: &str) -> Result<Username, FieldProblem> {
    if text.trim().is_empty() {
        return Err(FieldProblem::new("member", "error-member-required"));
    }
    text.parse()
        .map_err(|_| FieldProblem::new("member", "error-member-unknown"))
}

/// Three parsed fields of a form, or every one's problem at once.
pub fn all_fields<A, B, C>(
    a: Result<A, FieldProblem>,
    b: Result<B, FieldProblem>,
    c: Result<C, FieldProblem>,
) -> Result<(A, B, C), ActionError> {
    match (a, b, c) {
        (Ok(a), Ok(b), Ok(c)) => Ok((a, b, c)),
        (a, b, c) => Err(ActionError::Fields(
            [a.err(), b.err(), c.err()].into_iter().flatten().collect(),
        )),
    }
}

/// A circle of two decimals ("hours"), for unit tests of forms.
#[cfg(test)]
pub(crate) fn circle_for_tests() -> CircleInfo {
    CircleInfo {
        row_id: 1,
        slug: "garden".into(),
        name: "Garden".into(),
        circle_id: commons_ledger::keys::Hash::ZERO,
        unit_name: "hours".into(),
        unit_symbol: "h".into(),
        decimals: 2,
        head_seq: 0,
    }
}

pub(crate) fn invalid(field: &'static str, message_id: &'static str) -> ActionError {
    ActionError::Invalid { field, message_id }
}

/// Longest and shortest idempotency key a client may send.
pub const IDEMPOTENCY_KEY_CHARS_MAX: usize = 64;
pub const IDEMPOTENCY_KEY_CHARS_MIN: usize = 16;

/// A client's key for one attempt at an action (a hidden field of the pay and request forms,
/// the `Idempotency-Key` header of the API): 16 to 64 letters, digits, `-` or `_`. Every retry
/// of the attempt carries the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl std::str::FromStr for IdempotencyKey {
    type Err = ActionError;
    fn from_str(text: &str) -> Result<IdempotencyKey, ActionError> {
        let text = text.trim();
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if (IDEMPOTENCY_KEY_CHARS_MIN..=IDEMPOTENCY_KEY_CHARS_MAX).contains(&text.len())
            && text.chars().all(allowed)
        {
            Ok(IdempotencyKey(text.to_owned()))
        } else {
            Err(invalid("idempotency_key", "error-form-stale"))
        }
    }
}

impl IdempotencyKey {
    /// A fresh key (32 hex characters) for a new form.
    pub fn generate() -> IdempotencyKey {
        let mut bytes = [0u8; 16];
        OsRng.fill_bytes(&mut bytes);
        IdempotencyKey(hex::encode(bytes))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The nonce of the request this attempt signs: the same circle, author, action and key
    /// always give the same nonce.
    pub(crate) fn nonce(&self, actor: &Actor, action: &str) -> Nonce {
        Nonce::derived(&[
            b"commons.web.idempotency",
            &actor.circle.circle_id.0,
            actor.membership.account_key.as_bytes(),
            action.as_bytes(),
            &[0],
            self.0.as_bytes(),
        ])
    }
}

/// The nonce of an answer (accept, close) to one payment request.
pub(crate) fn answer_nonce(circle_id: &Hash, answer: &str, request: &Hash) -> Nonce {
    Nonce::derived(&[
        b"commons.web.request-answer",
        &circle_id.0,
        answer.as_bytes(),
        &request.0,
    ])
}

/// A memo's salt for a request signed by `key` with `nonce`: fixed for a retry, unguessable
/// without the signing key.
pub(crate) fn memo_salt(key: &SecretKey, nonce: &Nonce) -> [u8; 16] {
    Nonce::derived(&[b"commons.web.memo-salt", key.seed(), &nonce.0]).0
}

pub(crate) fn name_error(field: &'static str) -> impl Fn(NameError) -> ActionError {
    move |error| invalid(field, error.message_id())
}

/// Sealing keys of live sessions, by session token hash. They leave memory at logout, at
/// expiry, and when the process stops.
#[derive(Debug, Default, Clone)]
pub struct Keyring(Arc<Mutex<HashMap<[u8; 32], SealingKey>>>);

impl Keyring {
    pub fn insert(&self, session: [u8; 32], key: SealingKey) {
        self.lock().insert(session, key);
    }
    pub fn get(&self, session: &[u8; 32]) -> Option<SealingKey> {
        self.lock().get(session).cloned()
    }
    pub fn remove(&self, session: &[u8]) {
        if let Ok(session) = <[u8; 32]>::try_from(session) {
            self.lock().remove(&session);
        }
    }
    pub fn len(&self) -> usize {
        self.lock().len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], SealingKey>> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A person signing up (first run, joining, asking to join).
#[derive(Debug, Clone)]
pub struct SignUp {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub language: Option<String>,
}

/// A new circle's settings as typed.
#[derive(Debug, Clone)]
pub struct NewCircle {
    pub slug: String,
    pub name: String,
    pub unit_name: String,
    pub unit_symbol: String,
    pub floor: String,
    pub ceiling: String,
    pub time_zone: String,
}

/// A member acting in a circle: who they are, their membership, and whether they steward.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub circle: CircleInfo,
    pub membership: Membership,
    /// The member's ledger account as stored when the request began.
    pub account: commons_ledger::store::AccountRow,
    pub is_steward: bool,
    /// The session whose sealing key may unlock the member's signing key.
    pub session: Option<[u8; 32]>,
}

/// The web space's services.
#[derive(Debug, Clone)]
pub struct Services {
    pub(crate) store: Store,
    pub(crate) market: commons_market::store::Market,
    pub(crate) governance: commons_governance::store::Governance,
    pub(crate) db: NodeDb,
    pub(crate) keyring: Keyring,
    pub(crate) cost: KdfCost,
    pub(crate) verified: VerifiedSignatures,
    /// Every password check, per client address and per person.
    pub(crate) password_limits: Arc<crate::limits::PasswordLimits>,
    /// Where argon2 runs: its own bounded pool, never the ledger writer's.
    pub(crate) argon2: crate::limits::Argon2Pool,
    /// Each circle's last audit run from the stewards' page (a full audit reads the whole log,
    /// so it runs on request, one at a time, at most once a minute, never on a page view).
    pub(crate) audits: Arc<Mutex<HashMap<i64, AuditRun>>>,
    /// When each person last took their data out (a takeout reads a lot; bounded).
    pub(crate) takeouts: Arc<Mutex<std::collections::BTreeMap<i64, i64>>>,
    /// Each circle's pulse for its home, while nothing in it changes.
    pub(crate) pulses: crate::home::service::Pulses,
    /// The one client for calls to linked circles on other nodes.
    pub(crate) federation: crate::links::peers::Federation,
}

/// Most people waiting to join one circle (asking, or vouched for by a member).
pub const PENDING_PER_CIRCLE_MAX: i64 = 100;

/// An admission whose account is still not open after this long was interrupted (a crash)
/// and goes back to pending.
pub const ADMISSION_STALE_MS: i64 = 5 * 60 * 1000;

/// A full audit is asked for at most this often per circle.
pub const AUDIT_INTERVAL_MS: i64 = 60_000;

/// A circle's audit run from the stewards' page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditRun {
    Running { since_ms: i64 },
    Done(AuditResult),
}

/// What an audit found, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditResult {
    pub at_ms: i64,
    pub by: String,
    pub entries: u64,
    pub faults: Vec<(Option<u64>, String)>,
    pub elapsed_ms: u64,
}

/// Most remembered verified signatures (32 bytes each) before the memory starts afresh.
pub const VERIFIED_SIGNATURES_MAX: usize = 200_000;

/// Signatures already checked on display, remembered by the hash of the exact signed bytes and
/// signature: a stored entry changed in any way has a new hash and is checked again.
#[derive(Debug, Default, Clone)]
pub struct VerifiedSignatures(Arc<Mutex<std::collections::HashSet<[u8; 32]>>>);

impl VerifiedSignatures {
    /// Whether each entry's signature verifies (batch verification for the ones not seen yet).
    pub fn check(&self, entries: &[StoredEntry]) -> Vec<bool> {
        let keys: Vec<[u8; 32]> = entries
            .iter()
            .map(|stored| {
                Hash::sha256(&[&stored.entry.signed.bytes, &stored.entry.signed.signature.0]).0
            })
            .collect();
        let mut known = self.lock();
        let unknown: Vec<usize> = (0..entries.len())
            .filter(|index| !known.contains(&keys[*index]))
            .collect();
        let items: Vec<(PublicKey, &[u8], commons_ledger::keys::Signature)> = unknown
            .iter()
            .map(|index| {
                let signed = &entries[*index].entry.signed;
                (
                    signed.record.author,
                    signed.bytes.as_slice(),
                    signed.signature,
                )
            })
            .collect();
        let failed = if items.is_empty() {
            Vec::new()
        } else {
            commons_ledger::keys::verify_batch(&items)
        };
        if known.len() + unknown.len() > VERIFIED_SIGNATURES_MAX {
            known.clear();
        }
        let mut valid = vec![true; entries.len()];
        for (position, index) in unknown.iter().enumerate() {
            if failed.contains(&position) {
                valid[*index] = false;
            } else {
                known.insert(keys[*index]);
            }
        }
        valid
    }

    /// Whether a signed tree head verifies under the node's key, remembered the same way (the
    /// ledger page shows the latest head on every visit; it changes only with new entries).
    pub fn check_head(&self, head: &TreeHead, node_key: &PublicKey) -> bool {
        let signed = TreeHead::signed_bytes(
            &head.circle_id,
            head.tree_size,
            &head.root,
            head.timestamp_ms,
        );
        let key = Hash::sha256(&[
            b"commons.web.head",
            node_key.as_bytes(),
            &signed,
            &head.signature.0,
        ])
        .0;
        if self.lock().contains(&key) {
            return true;
        }
        let valid = head.verify(node_key);
        if valid {
            let mut known = self.lock();
            if known.len() >= VERIFIED_SIGNATURES_MAX {
                known.clear();
            }
            known.insert(key);
        }
        valid
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<[u8; 32]>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A session opened by a login: its token (for the cookie) and its hash (stored).
#[derive(Debug)]
pub struct NewSession {
    pub token: [u8; 32],
    pub token_hash: [u8; 32],
    pub user_id: i64,
    /// What the person must be told as they come in (a recovery of their account).
    pub notice: Option<LoginNotice>,
}

/// What a person is told when they log in after a circle's stewards recovered their account:
/// where, by whom, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginNotice {
    /// Their account was recovered since they last logged in.
    Recovered {
        circle: String,
        steward: String,
        at_ms: i64,
    },
    /// They logged in with the password they had before a recovery: the account is whole and
    /// theirs again, and whoever held the recovery link is logged out.
    TookBack {
        circle: String,
        steward: String,
        at_ms: i64,
    },
}

pub fn token_hash(token: &[u8]) -> [u8; 32] {
    Hash::sha256(&[b"commons.web.token", token]).0
}

/// Parses an amount typed by a member in a circle's unit: positive, with at most the unit's
/// decimal places.
pub fn parse_amount(info: &CircleInfo, text: &str) -> Result<i64, ActionError> {
    parse_amount_in(info.decimals, text)
}

/// An amount typed in a unit of `decimals` decimals (another circle's, on a deal across).
pub fn parse_amount_in(decimals: u8, text: &str) -> Result<i64, ActionError> {
    let decimals = Decimals::new(u32::from(decimals)).map_err(|_| ActionError::NotFound)?;
    decimals
        .parse_positive(text.trim())
        .map_err(|error| match error {
            AmountError::NotPositive => invalid("amount", "error-amount-not-positive"),
            AmountError::TooManyDecimals { .. } => invalid("amount", "error-amount-decimals"),
            _ => invalid("amount", "error-amount-invalid"),
        })
}

pub(crate) fn parse_limit(
    decimals: Decimals,
    text: &str,
    field: &'static str,
) -> Result<i64, ActionError> {
    decimals
        .parse_minor(text.trim())
        .map_err(|_| invalid(field, "error-amount-invalid"))
}

impl Services {
    /// The ledger store, for tools outside the node's pages (the CLI's benchmarks, tests that
    /// advance the clock). Pages and API calls go through the feature services instead
    /// (`web/tests/architecture.rs` keeps handlers off it).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The market store, for the CLI's benchmarks (see [`Services::store`]).
    pub fn market(&self) -> &commons_market::store::Market {
        &self.market
    }

    /// The node's own tables, for the CLI's benchmarks (see [`Services::store`]).
    pub fn node_db(&self) -> &NodeDb {
        &self.db
    }

    /// How hard password hashing works on this node (tests that make accounts directly).
    pub fn kdf_cost(&self) -> KdfCost {
        self.cost
    }

    /// The one clock every feature reads: the store's (tests may advance it).
    pub fn now_ms(&self) -> i64 {
        self.store.now_ms()
    }

    // ----- circles -----
    /// Every active member of the actor's circle.
    pub(crate) async fn active_people(
        &self,
        actor: &Actor,
    ) -> Result<Vec<crate::db::Person>, ActionError> {
        Ok(self.db.active_members(actor.circle.row_id).await?)
    }

    /// Every circle on this node, by its row id.
    pub(crate) async fn circles_by_row(&self) -> Result<HashMap<i64, CircleInfo>, ActionError> {
        Ok(self
            .store
            .circles()
            .await?
            .into_iter()
            .map(|info| (info.row_id, info))
            .collect())
    }

    /// The circle called `slug` on this node.
    pub(crate) async fn circle(&self, slug: &str) -> Result<CircleInfo, ActionError> {
        Ok(self.store.circle(slug).await?)
    }

    pub(crate) async fn circle_by_row(
        &self,
        row_id: i64,
    ) -> Result<Option<CircleInfo>, ActionError> {
        Ok(self
            .store
            .circles()
            .await?
            .into_iter()
            .find(|info| info.row_id == row_id))
    }

    pub async fn settings(&self, info: &CircleInfo) -> Result<CircleSettings, ActionError> {
        Ok(self
            .db
            .circle_settings(info.row_id)
            .await?
            .unwrap_or(CircleSettings {
                description: String::new(),
                agreements: DEFAULT_AGREEMENTS.to_owned(),
                agreements_version: 1,
                members_may_invite: true,
                open_to_requests: false,
            }))
    }

    /// The member `user` acting in the circle `slug`, or `NotFound` when they are not an active
    /// member (the same answer as for a circle that does not exist: nothing leaks).
    pub async fn actor(
        &self,
        user: &User,
        slug: &str,
        session: Option<[u8; 32]>,
    ) -> Result<Actor, ActionError> {
        let info = self.store.circle(slug).await?;
        if !self.may_reach(user, info.row_id).await? {
            return Err(ActionError::NotFound);
        }
        let mut membership = self
            .db
            .membership(info.row_id, user.id)
            .await?
            .filter(|membership| membership.status == MemberStatus::Active)
            .ok_or(ActionError::NotFound)?;
        // The ledger is the truth: keys rotated or accounts closed outside the web space (the
        // command line) are followed here, in memory, before anything else is shown. Nothing
        // is written: the node's job (`reconcile_memberships`) brings the rows up to date.
        let mut account = self.store.account(&info, &membership.account_key).await?;
        let mut hops = 0;
        while account.as_ref().is_some_and(|row| row.status == "rotated") && hops < 64 {
            let Some(next) = self
                .store
                .key_successor(&info, &membership.account_key)
                .await?
            else {
                break;
            };
            membership.account_key = next;
            membership.sealed_key = None;
            account = self.store.account(&info, &next).await?;
            hops += 1;
        }
        let Some(account) = account.filter(|row| row.status == "open") else {
            return Err(ActionError::NotFound);
        };
        let is_steward = self
            .store
            .stewards(&info)
            .await?
            .contains(&membership.account_key);
        Ok(Actor {
            user: user.clone(),
            circle: info,
            membership,
            account,
            is_steward,
            session,
        })
    }

    // ----- signing -----
    /// The actor's signing key, opened with their session's sealing key.
    pub fn signing_key(&self, actor: &Actor) -> Result<SecretKey, ActionError> {
        // A member the circle's moderators suspended signs nothing new there.
        self.check_not_suspended(actor)?;
        let sealed = actor
            .membership
            .sealed_key
            .as_ref()
            .ok_or(ActionError::OwnKey)?;
        let session = actor.session.ok_or(ActionError::Locked)?;
        let sealing = self.keyring.get(&session).ok_or(ActionError::Locked)?;
        unseal(
            &sealing,
            &actor.circle.circle_id,
            &actor.membership.account_key,
            sealed,
        )
        .map_err(|error| match error {
            // Sealed under a password the person no longer has (a recovery in another circle).
            CustodyError::WrongKey => ActionError::KeyLost,
            other => ActionError::Custody(other),
        })
    }

    pub(crate) async fn append_as(
        &self,
        actor: &Actor,
        body: Body,
        memo: Option<Memo>,
    ) -> Result<Appended, ActionError> {
        let key = self.signing_key(actor)?;
        let signed = Request::signed(actor.circle.circle_id, &key, body);
        Ok(self.store.append(&actor.circle.slug, signed, memo).await?)
    }

    /// The active member called `username` in the actor's circle.
    pub async fn other_member(
        &self,
        actor: &Actor,
        username: &Username,
        field: &'static str,
    ) -> Result<MemberCard, ActionError> {
        self.db
            .member_by_username(actor.circle.row_id, username.as_str())
            .await?
            .filter(|card| card.status == MemberStatus::Active)
            .ok_or(invalid(field, "error-member-unknown"))
    }
}

pub(crate) const DAY_MS: i64 = 24 * 3600 * 1000;
/// A token lives this many days unless its maker chooses otherwise.
pub const TOKEN_DAYS_DEFAULT: i64 = 90;
/// The longest a token may live.
pub const TOKEN_DAYS_MAX: i64 = 365;

/// The settings form that makes an API token.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TokenRequest {
    #[serde(default)]
    pub label: String,
    /// `read` or `act`.
    #[serde(default)]
    pub scope: String,
    /// A circle's slug, or empty for every circle.
    #[serde(default)]
    pub circle: String,
    /// Days until it expires (empty: [`TOKEN_DAYS_DEFAULT`]).
    #[serde(default)]
    pub days: String,
}

/// How long a recovery link stays valid.
pub const RECOVERY_TTL_MS: i64 = 3 * 24 * 3600 * 1000;

pub(crate) fn require_steward(actor: &Actor) -> Result<(), ActionError> {
    if actor.is_steward {
        Ok(())
    } else {
        Err(ActionError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commons_ledger::entry::Entry;

    pub(crate) fn stored(signed: commons_ledger::entry::SignedRequest) -> StoredEntry {
        let entry = Entry {
            seq: 1,
            prev_hash: Hash::ZERO,
            recorded_at_ms: 0,
            signed,
        };
        StoredEntry {
            hash: entry.hash(),
            entry,
            memo: None,
        }
    }

    #[test]
    pub(crate) fn remembered_signatures_never_hide_a_changed_entry() {
        let key = SecretKey::generate();
        let body = Body::CloseAccount {
            account: key.public_key(),
        };
        let good = stored(Request::signed(Hash::ZERO, &key, body.clone()));
        let verified = VerifiedSignatures::default();
        assert_eq!(verified.check(std::slice::from_ref(&good)), vec![true]);
        assert_eq!(
            verified.check(std::slice::from_ref(&good)),
            vec![true],
            "from memory"
        );
        let mut forged = good.clone();
        forged.entry.signed.signature.0[0] ^= 1;
        let other = stored(Request::signed(Hash::ZERO, &key, body));
        assert_eq!(verified.check(&[forged, other]), vec![false, true]);
    }

    #[test]
    pub(crate) fn remembered_tree_heads_never_hide_a_changed_head() {
        let node = SecretKey::generate();
        let head = TreeHead::sign(&node, Hash::ZERO, 3, Hash::sha256(&[b"root"]), 1_000);
        let verified = VerifiedSignatures::default();
        assert!(verified.check_head(&head, &node.public_key()));
        assert!(
            verified.check_head(&head, &node.public_key()),
            "from memory"
        );
        let mut grown = head.clone();
        grown.tree_size = 4;
        assert!(!verified.check_head(&grown, &node.public_key()));
        let stranger = SecretKey::generate();
        assert!(!verified.check_head(&head, &stranger.public_key()));
    }
}
