//! What people can do in the web space (set up a node, join, pay, request, invite, admit),
//! as plain async functions over the ledger store and the node's tables. No HTTP here: the
//! page handlers and the JSON API both call these, so both follow the same rules.

#![allow(clippy::result_large_err)]

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use commons_ledger::amount::{AmountError, Decimals};
use commons_ledger::entry::{
    memo_hash, Body, Cause, CircleSpec, Request, TreeHead, MEMO_BYTES_MAX,
};
use commons_ledger::export::Memo;
use commons_ledger::keys::{Hash, Nonce, PublicKey, SecretKey};
use commons_ledger::state::Refusal;
use commons_ledger::store::{now_ms, Appended, CircleInfo, Store, StoreError, StoredEntry};
use rand_core::{OsRng, RngCore};
use thiserror::Error;

use crate::custody::{
    hash_password, new_seal_salt, random_secret, seal, unseal, verify_password, CustodyError,
    KdfCost, Password, SealingKey,
};
use crate::db::{
    CircleSettings, MemberCard, MemberStatus, Membership, NewMembership, NewToken, NewUser, NodeDb,
    TokenScope, User,
};
use crate::names::{bounded_text, DisplayName, NameError, Username, NOTE_CHARS_MAX};

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
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
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
    fn nonce(&self, actor: &Actor, action: &str) -> Nonce {
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
fn answer_nonce(circle_id: &Hash, answer: &str, request: &Hash) -> Nonce {
    Nonce::derived(&[
        b"commons.web.request-answer",
        &circle_id.0,
        answer.as_bytes(),
        &request.0,
    ])
}

/// A memo's salt for a request signed by `key` with `nonce`: fixed for a retry, unguessable
/// without the signing key.
fn memo_salt(key: &SecretKey, nonce: &Nonce) -> [u8; 16] {
    Nonce::derived(&[b"commons.web.memo-salt", key.seed(), &nonce.0]).0
}

fn name_error(field: &'static str) -> impl Fn(NameError) -> ActionError {
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
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], SealingKey>> {
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
    pub store: Store,
    pub market: commons_market::store::Market,
    pub governance: commons_governance::store::Governance,
    pub db: NodeDb,
    pub keyring: Keyring,
    pub cost: KdfCost,
    pub verified: VerifiedSignatures,
    /// Every password check, per client address and per person.
    pub password_limits: Arc<crate::limits::PasswordLimits>,
    /// Where argon2 runs: its own bounded pool, never the ledger writer's.
    pub argon2: crate::limits::Argon2Pool,
    /// Each circle's last audit run from the stewards' page (a full audit reads the whole log,
    /// so it runs on request, one at a time, at most once a minute, never on a page view).
    pub audits: Arc<Mutex<HashMap<i64, AuditRun>>>,
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
                    signed.request.author,
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

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<[u8; 32]>> {
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
    let decimals = Decimals::new(u32::from(info.decimals)).map_err(|_| ActionError::NotFound)?;
    decimals
        .parse_positive(text.trim())
        .map_err(|error| match error {
            AmountError::NotPositive => invalid("amount", "error-amount-not-positive"),
            AmountError::TooManyDecimals { .. } => invalid("amount", "error-amount-decimals"),
            _ => invalid("amount", "error-amount-invalid"),
        })
}

fn parse_limit(decimals: Decimals, text: &str, field: &'static str) -> Result<i64, ActionError> {
    decimals
        .parse_minor(text.trim())
        .map_err(|_| invalid(field, "error-amount-invalid"))
}

impl Services {
    // ----- people and sessions -----

    /// A new password's hash and the sealing key derived from it with a fresh salt (argon2id
    /// twice, off the async threads).
    async fn hash_and_seal(
        &self,
        password: Password,
    ) -> Result<(String, [u8; crate::custody::SEAL_SALT_BYTES], SealingKey), ActionError> {
        let salt = new_seal_salt();
        let cost = self.cost;
        let (hash, sealing) = self
            .argon2
            .run(move || {
                Ok::<_, CustodyError>((
                    hash_password(&password, cost)?,
                    SealingKey::derive(&password, &salt, cost)?,
                ))
            })
            .await
            .map_err(|_| ActionError::Busy)??;
        Ok((hash, salt, sealing))
    }

    /// Checks a sign-up and does the slow hashing, without writing anything yet.
    async fn prepare_user(
        &self,
        sign_up: &SignUp,
        is_node_admin: bool,
    ) -> Result<(NewUser, SealingKey), ActionError> {
        let username: Username = sign_up.username.parse().map_err(name_error("username"))?;
        let display_name: DisplayName = sign_up
            .display_name
            .parse()
            .map_err(name_error("display_name"))?;
        let password = Password::new_choice(&sign_up.password)
            .map_err(|_| invalid("password", "error-password-short"))?;
        if self.db.user_by_username(username.as_str()).await?.is_some() {
            return Err(ActionError::UsernameTaken);
        }
        let (hash, salt, sealing) = self.hash_and_seal(password).await?;
        Ok((
            NewUser {
                username: username.to_string(),
                display_name: display_name.as_str().to_owned(),
                password_hash: hash,
                seal_salt: salt.to_vec(),
                language: sign_up.language.clone(),
                is_node_admin,
                now_ms: now_ms(),
            },
            sealing,
        ))
    }

    async fn insert_user(&self, new: &NewUser) -> Result<User, ActionError> {
        let id = self
            .db
            .create_user(new)
            .await
            .map_err(|error| match &error {
                sqlx::Error::Database(db) if db.is_unique_violation() => ActionError::UsernameTaken,
                _ => ActionError::Database(error),
            })?;
        self.db.user(id).await?.ok_or(ActionError::NotFound)
    }

    async fn new_user(
        &self,
        sign_up: &SignUp,
        is_node_admin: bool,
    ) -> Result<(User, SealingKey), ActionError> {
        let (new, sealing) = self.prepare_user(sign_up, is_node_admin).await?;
        Ok((self.insert_user(&new).await?, sealing))
    }

    /// Checks a person's password and derives their sealing key, on the argon2 pool. Not
    /// limited by itself: every caller outside this module goes through
    /// [`Services::verify_password`] (or [`Services::log_in`]).
    async fn check_password(&self, user: &User, password: &str) -> Result<SealingKey, ActionError> {
        let password = Password::typed(password).map_err(|_| ActionError::WrongPassword)?;
        let phc = user.password_hash.clone();
        let salt = user.seal_salt.clone();
        let cost = self.cost;
        self.argon2
            .run(move || {
                if !verify_password(&phc, &password) {
                    return Err(ActionError::WrongPassword);
                }
                Ok(SealingKey::derive(&password, &salt, cost)?)
            })
            .await
            .map_err(|_| ActionError::Busy)?
    }

    /// Checks a person's password (to unlock their key, change the password, give up the
    /// node-held key, confirm a recovery), within the limits per client address and per person.
    pub async fn verify_password(
        &self,
        user: &User,
        password: &str,
        from: Option<IpAddr>,
    ) -> Result<SealingKey, ActionError> {
        if !self.password_limits.allow(from, Some(&user.username)) {
            return Err(ActionError::TooManyAttempts);
        }
        self.check_password(user, password).await
    }

    /// Logs a person in: a fresh session (never one chosen by the browser) whose sealing key
    /// waits in memory. An unknown username costs the same time as a wrong password.
    pub async fn log_in(
        &self,
        username: &str,
        password: &str,
        session_ttl_ms: i64,
        from: Option<IpAddr>,
    ) -> Result<NewSession, ActionError> {
        // The name is parsed (and so bounded) before it touches the limits.
        let name = username.parse::<Username>().ok();
        if !self
            .password_limits
            .allow(from, name.as_ref().map(Username::as_str))
        {
            return Err(ActionError::TooManyAttempts);
        }
        let user = match &name {
            Some(name) => self.db.user_by_username(name.as_str()).await?,
            None => None,
        };
        let Some(user) = user else {
            // Spend the time a real check would, so timing does not reveal who has an account.
            let _ = self.check_password(&self.decoy_user(), password).await;
            return Err(ActionError::WrongPassword);
        };
        let (sealing, took_back) = match self.check_password(&user, password).await {
            Ok(sealing) => (sealing, false),
            Err(ActionError::WrongPassword) => {
                // The password from before a recovery takes the whole account back.
                let Some((hash, salt)) = user.prior_password.clone() else {
                    return Err(ActionError::WrongPassword);
                };
                let prior = User {
                    password_hash: hash,
                    seal_salt: salt,
                    ..user.clone()
                };
                let sealing = self.check_password(&prior, password).await?;
                for ended in self.db.take_back(user.id).await? {
                    self.keyring.remove(&ended);
                }
                (sealing, true)
            }
            Err(error) => return Err(error),
        };
        let mut session = self.open_session(user.id, sealing, session_ttl_ms).await?;
        session.notice = self.login_notice(&user, took_back).await?;
        Ok(session)
    }

    /// The notice of the person's last recovery, once (at the next login, or when they take
    /// the account back).
    async fn login_notice(
        &self,
        user: &User,
        took_back: bool,
    ) -> Result<Option<LoginNotice>, ActionError> {
        if !took_back && user.recovery_notice_at_ms.is_none() {
            return Ok(None);
        }
        self.db.clear_recovery_notice(user.id).await?;
        let Some((circle, steward, at_ms)) = self.recoveries_of(user).await?.into_iter().next()
        else {
            return Ok(None);
        };
        Ok(Some(if took_back {
            LoginNotice::TookBack {
                circle,
                steward,
                at_ms,
            }
        } else {
            LoginNotice::Recovered {
                circle,
                steward,
                at_ms,
            }
        }))
    }

    fn decoy_user(&self) -> User {
        User {
            id: 0,
            username: String::new(),
            display_name: String::new(),
            bio: String::new(),
            password_hash: self.decoy_hash(),
            seal_salt: vec![0; 16],
            language: None,
            is_node_admin: false,
            created_at_ms: 0,
            recovery_restricted: false,
            prior_password: None,
            recovery_notice_at_ms: None,
        }
    }

    /// A password hash made once with this node's costs, checked for unknown usernames.
    fn decoy_hash(&self) -> String {
        static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        DECOY
            .get_or_init(|| {
                Password::typed("decoy password")
                    .ok()
                    .and_then(|password| hash_password(&password, self.cost).ok())
                    .unwrap_or_default()
            })
            .clone()
    }

    pub async fn open_session(
        &self,
        user_id: i64,
        sealing: SealingKey,
        session_ttl_ms: i64,
    ) -> Result<NewSession, ActionError> {
        let token = random_secret();
        let hash = token_hash(&token);
        let now = now_ms();
        self.db
            .create_session(&hash, user_id, now, now + session_ttl_ms)
            .await?;
        self.keyring.insert(hash, sealing);
        Ok(NewSession {
            token,
            token_hash: hash,
            user_id,
            notice: None,
        })
    }

    pub async fn log_out(&self, session_hash: &[u8]) -> Result<(), ActionError> {
        self.keyring.remove(session_hash);
        self.db.delete_session(session_hash).await?;
        Ok(())
    }

    /// Ends expired sessions and wipes their keys from memory.
    pub async fn purge_sessions(&self) -> Result<usize, ActionError> {
        let gone = self.db.purge_sessions(now_ms()).await?;
        for hash in &gone {
            self.keyring.remove(hash);
        }
        Ok(gone.len())
    }

    /// Unlocks signing for a session whose key is not in memory (e.g. after a restart).
    pub async fn unlock(
        &self,
        user: &User,
        session: [u8; 32],
        password: &str,
        from: Option<IpAddr>,
    ) -> Result<(), ActionError> {
        let sealing = self.verify_password(user, password, from).await?;
        self.keyring.insert(session, sealing);
        Ok(())
    }

    /// Changes a password: checks the current one, reseals every signing key under the new one,
    /// ends the person's other sessions and revokes every API token.
    pub async fn change_password(
        &self,
        user: &User,
        session: [u8; 32],
        current: &str,
        new: &str,
        from: Option<IpAddr>,
    ) -> Result<(), ActionError> {
        let old_sealing = self
            .verify_password(user, current, from)
            .await
            .map_err(|error| match error {
                ActionError::WrongPassword => invalid("current_password", "error-password-wrong"),
                other => other,
            })?;
        let new_password = Password::new_choice(new)
            .map_err(|_| invalid("new_password", "error-password-short"))?;
        let (hash, salt, new_sealing) = self.hash_and_seal(new_password).await?;
        let mut resealed = Vec::new();
        for membership in self.db.memberships_of(user.id).await? {
            let Some(sealed) = &membership.sealed_key else {
                continue;
            };
            let Some(info) = self.circle_by_row(membership.circle).await? else {
                continue;
            };
            // A key sealed under an older password (after a recovery elsewhere) stays as it is.
            let Ok(secret) = unseal(
                &old_sealing,
                &info.circle_id,
                &membership.account_key,
                sealed,
            ) else {
                continue;
            };
            resealed.push((
                membership.circle,
                seal(&new_sealing, &info.circle_id, &secret),
            ));
        }
        let others = self.db.sessions_of(user.id).await?;
        self.db
            .change_password(user.id, &hash, &salt, &resealed, &session)
            .await?;
        // Whoever had a token made with the old password loses it too.
        self.db.delete_api_tokens_of(user.id).await?;
        for other in others {
            if other != session {
                self.keyring.remove(&other);
            }
        }
        self.keyring.insert(session, new_sealing);
        Ok(())
    }

    // ----- circles -----

    async fn circle_by_row(&self, row_id: i64) -> Result<Option<CircleInfo>, ActionError> {
        Ok(self
            .store
            .circles()
            .await?
            .into_iter()
            .find(|info| info.row_id == row_id))
    }

    /// Whether the node has anyone yet (the first visitor sets it up).
    pub async fn is_new_node(&self) -> Result<bool, ActionError> {
        Ok(self.db.user_count().await? == 0)
    }

    /// The path that sets up a node nobody has set up yet, with its one-time token (what
    /// `commons serve` prints on its console); `None` once the node is set up.
    pub async fn setup_path(&self) -> Result<Option<String>, ActionError> {
        if !self.is_new_node().await? {
            return Ok(None);
        }
        let token = self.db.setup_token(random_secret()).await?;
        Ok(Some(format!("/setup?token={}", hex::encode(token))))
    }

    /// Whether `token` is this node's setup token (and the node is still new).
    pub async fn setup_token_is(&self, token: &str) -> Result<bool, ActionError> {
        let Ok(given) = hex::decode(token.trim()) else {
            return Ok(false);
        };
        if !self.is_new_node().await? {
            return Ok(false);
        }
        let known = self.db.setup_token(random_secret()).await?;
        Ok(given.len() == known.len()
            && bool::from(subtle::ConstantTimeEq::ct_eq(&given[..], &known[..])))
    }

    /// First run: the node's first person, who becomes node admin and steward of a first circle.
    /// Only with the one-time setup token the console printed, and only once, however many
    /// arrive at the same moment: the token is claimed in one statement before anything is
    /// written (and given back if the writing fails).
    pub async fn set_up_node(
        &self,
        token: &str,
        sign_up: &SignUp,
        circle: &NewCircle,
    ) -> Result<(User, SealingKey, CircleInfo), ActionError> {
        if !self.setup_token_is(token).await? {
            return Err(ActionError::Forbidden);
        }
        let spec = self.circle_spec(circle)?;
        if self.store.circle(&spec.slug).await.is_ok() {
            return Err(invalid("slug", "error-slug-taken"));
        }
        let (new, sealing) = self.prepare_user(sign_up, true).await?;
        let token = hex::decode(token.trim()).map_err(|_| ActionError::Forbidden)?;
        if !self.db.claim_setup(&token).await? {
            return Err(ActionError::Forbidden);
        }
        let written = async {
            let user = self.insert_user(&new).await?;
            let info = self.create_circle(&user, &sealing, spec).await?;
            Ok::<_, ActionError>((user, info))
        }
        .await;
        match written {
            Ok((user, info)) => Ok((user, sealing, info)),
            Err(error) => {
                self.db.release_setup(&token).await?;
                Err(error)
            }
        }
    }

    /// The circle's last audit from the stewards' page, if any (stewards only).
    pub fn last_audit(&self, actor: &Actor) -> Result<Option<AuditRun>, ActionError> {
        require_steward(actor)?;
        Ok(self
            .audits
            .lock()
            .map_err(|_| ActionError::Busy)?
            .get(&actor.circle.row_id)
            .cloned())
    }

    /// A steward runs the circle's full audit: one at a time per circle, and a result younger
    /// than [`AUDIT_INTERVAL_MS`] is the answer instead of a new run.
    pub async fn run_audit(&self, actor: &Actor) -> Result<AuditResult, ActionError> {
        require_steward(actor)?;
        let now = now_ms();
        {
            let mut audits = self.audits.lock().map_err(|_| ActionError::Busy)?;
            match audits.get(&actor.circle.row_id) {
                Some(AuditRun::Running { .. }) => return Err(ActionError::Busy),
                Some(AuditRun::Done(done)) if now - done.at_ms < AUDIT_INTERVAL_MS => {
                    return Ok(done.clone())
                }
                _ => {}
            }
            audits.insert(actor.circle.row_id, AuditRun::Running { since_ms: now });
        }
        let started = std::time::Instant::now();
        let report = self.store.audit(&actor.circle.slug, None, &|_| {}).await;
        let mut audits = self.audits.lock().map_err(|_| ActionError::Busy)?;
        let report = match report {
            Ok(report) => report,
            Err(error) => {
                audits.remove(&actor.circle.row_id);
                return Err(error.into());
            }
        };
        let result = AuditResult {
            at_ms: now,
            by: actor.user.display_name.clone(),
            entries: report.entries_checked,
            faults: report
                .faults
                .iter()
                .map(|fault| (fault.entry, fault.what.clone()))
                .collect(),
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        audits.insert(actor.circle.row_id, AuditRun::Done(result.clone()));
        Ok(result)
    }

    /// A node admin starts another circle on this node, as its first steward. Their signing
    /// key for it is sealed with the sealing key of their live session.
    pub async fn start_circle(
        &self,
        user: &User,
        session: Option<[u8; 32]>,
        circle: &NewCircle,
    ) -> Result<CircleInfo, ActionError> {
        if !user.is_admin() {
            return Err(ActionError::Forbidden);
        }
        let spec = self.circle_spec(circle)?;
        if self.store.circle(&spec.slug).await.is_ok() {
            return Err(invalid("slug", "error-slug-taken"));
        }
        let sealing = session
            .and_then(|session| self.keyring.get(&session))
            .ok_or(ActionError::Locked)?;
        self.create_circle(user, &sealing, spec).await
    }

    pub fn circle_spec(&self, circle: &NewCircle) -> Result<CircleSpec, ActionError> {
        let slug: commons_ledger::slug::CircleSlug = circle
            .slug
            .trim()
            .parse()
            .map_err(|_| invalid("slug", "error-slug-invalid"))?;
        let name = circle.name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(invalid("name", "error-required"));
        }
        let unit_name = circle.unit_name.trim();
        if unit_name.is_empty() || unit_name.len() > 60 {
            return Err(invalid("unit_name", "error-required"));
        }
        let unit_symbol = circle.unit_symbol.trim();
        if unit_symbol.is_empty() || unit_symbol.len() > 12 {
            return Err(invalid("unit_symbol", "error-required"));
        }
        let decimals = Decimals::new(2).map_err(|_| ActionError::NotFound)?;
        let floor = parse_limit(decimals, &circle.floor, "floor")?;
        let ceiling = parse_limit(decimals, &circle.ceiling, "ceiling")?;
        if floor > 0 {
            return Err(invalid("floor", "error-floor-positive"));
        }
        if ceiling < 0 {
            return Err(invalid("ceiling", "error-ceiling-negative"));
        }
        Ok(CircleSpec {
            slug: slug.as_str().to_owned(),
            name: name.to_owned(),
            unit_name: unit_name.to_owned(),
            unit_symbol: unit_symbol.to_owned(),
            decimals: 2,
            default_floor_minor: floor,
            default_ceiling_minor: ceiling,
        })
    }

    /// Creates a circle with `user` as its first steward and member: a fresh signing key for
    /// the user in this circle (sealed), a fresh node key for its tree heads, the genesis and
    /// the steward's own account, and default agreements.
    pub async fn create_circle(
        &self,
        user: &User,
        sealing: &SealingKey,
        spec: CircleSpec,
    ) -> Result<CircleInfo, ActionError> {
        let member_key = SecretKey::generate();
        let node_key = SecretKey::generate();
        let (floor, ceiling) = (spec.default_floor_minor, spec.default_ceiling_minor);
        let genesis = Request::genesis(spec, &member_key, node_key.public_key());
        let info = self.store.create_circle(genesis, &node_key).await?;
        let open = Request::signed(
            info.circle_id,
            &member_key,
            Body::OpenAccount {
                account: member_key.public_key(),
                floor_minor: floor,
                ceiling_minor: ceiling,
            },
        );
        self.store.append(&info.slug, open, None).await?;
        let now = now_ms();
        self.db
            .save_circle_settings(
                info.row_id,
                &CircleSettings {
                    description: String::new(),
                    agreements: DEFAULT_AGREEMENTS.to_owned(),
                    agreements_version: 1,
                    members_may_invite: true,
                    open_to_requests: false,
                },
                now,
            )
            .await?;
        self.db
            .create_membership(&NewMembership {
                circle: info.row_id,
                user_id: user.id,
                status: MemberStatus::Active,
                account_key: member_key.public_key(),
                sealed_key: Some(seal(sealing, &info.circle_id, &member_key)),
                vouched_by: None,
                invitation: None,
                request_message: String::new(),
                agreements_version: 1,
                now_ms: now,
            })
            .await?;
        Ok(self.store.circle(&info.slug).await?)
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

    pub async fn save_settings(
        &self,
        actor: &Actor,
        description: &str,
        agreements: &str,
        members_may_invite: bool,
        open_to_requests: bool,
    ) -> Result<(), ActionError> {
        require_steward(actor)?;
        let description = bounded_text(description, crate::names::DESCRIPTION_CHARS_MAX)
            .map_err(name_error("description"))?;
        let agreements = bounded_text(agreements, crate::names::AGREEMENTS_CHARS_MAX)
            .map_err(name_error("agreements"))?;
        if agreements.is_empty() {
            return Err(invalid("agreements", "error-required"));
        }
        let current = self.settings(&actor.circle).await?;
        self.db
            .save_circle_settings(
                actor.circle.row_id,
                &CircleSettings {
                    description,
                    agreements,
                    agreements_version: current.agreements_version,
                    members_may_invite,
                    open_to_requests,
                },
                now_ms(),
            )
            .await?;
        Ok(())
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

    /// Whether this login may reach a circle at all: every circle, unless a circle's stewards
    /// recovered the account; then only the circles that recovered it.
    pub async fn may_reach(&self, user: &User, circle: i64) -> Result<bool, ActionError> {
        Ok(!user.recovery_restricted || self.db.recovery_circles(user.id).await?.contains(&circle))
    }

    /// Brings memberships up to date with the ledger (the node's job, never a page view):
    /// accounts moved to another key outside the web space are followed (the node forgets a
    /// sealed key it no longer needs), members whose account was closed have left, and an
    /// admission a crash interrupted is finished (its account is open) or undone. Returns how
    /// many rows changed.
    pub async fn reconcile_memberships(&self) -> Result<usize, ActionError> {
        let mut changed = 0;
        for info in self.store.circles().await? {
            for membership in self.db.memberships_in(info.row_id).await? {
                changed += self.reconcile(&info, &membership).await? as usize;
            }
        }
        Ok(changed)
    }

    /// Brings one member's row up to date with the ledger at once (after they rotated their own
    /// key through the API).
    pub async fn reconcile_member(&self, actor: &Actor) -> Result<bool, ActionError> {
        match self
            .db
            .membership(actor.circle.row_id, actor.user.id)
            .await?
        {
            Some(membership) => self.reconcile(&actor.circle, &membership).await,
            None => Ok(false),
        }
    }

    async fn reconcile(
        &self,
        info: &CircleInfo,
        membership: &Membership,
    ) -> Result<bool, ActionError> {
        let account = self.store.account(info, &membership.account_key).await?;
        let status = account.as_ref().map(|row| row.status.as_str());
        match (membership.status, status) {
            (MemberStatus::Active, Some("rotated")) => {
                let mut key = membership.account_key;
                for _ in 0..64 {
                    match self.store.key_successor(info, &key).await? {
                        Some(next) => key = next,
                        None => break,
                    }
                }
                self.db
                    .move_member_key(info.row_id, membership.user_id, &key, None)
                    .await?;
                Ok(true)
            }
            (MemberStatus::Active, Some("closed")) => {
                self.db
                    .set_membership_status(info.row_id, membership.user_id, MemberStatus::Left)
                    .await?;
                Ok(true)
            }
            (MemberStatus::Admitting, Some("open")) => Ok(self
                .db
                .finish_admission(info.row_id, membership.user_id)
                .await?),
            (MemberStatus::Admitting, None) => Ok(self
                .db
                .undo_stale_admission(
                    info.row_id,
                    membership.user_id,
                    now_ms() - ADMISSION_STALE_MS,
                )
                .await?),
            _ => Ok(false),
        }
    }

    /// The circles a person is an active member of (and this login may reach).
    pub async fn my_circles(&self, user: &User) -> Result<Vec<CircleInfo>, ActionError> {
        let reachable = if user.recovery_restricted {
            Some(self.db.recovery_circles(user.id).await?)
        } else {
            None
        };
        let active: BTreeSet<i64> = self
            .db
            .memberships_of(user.id)
            .await?
            .into_iter()
            .filter(|membership| membership.status == MemberStatus::Active)
            .map(|membership| membership.circle)
            .filter(|circle| reachable.as_ref().is_none_or(|list| list.contains(circle)))
            .collect();
        Ok(self
            .store
            .circles()
            .await?
            .into_iter()
            .filter(|info| active.contains(&info.row_id))
            .collect())
    }

    // ----- signing -----

    /// The actor's signing key, opened with their session's sealing key.
    pub fn signing_key(&self, actor: &Actor) -> Result<SecretKey, ActionError> {
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

    async fn append_as(
        &self,
        actor: &Actor,
        body: Body,
        memo: Option<Memo>,
    ) -> Result<Appended, ActionError> {
        let key = self.signing_key(actor)?;
        let signed = Request::signed(actor.circle.circle_id, &key, body);
        Ok(self.store.append(&actor.circle.slug, signed, memo).await?)
    }

    /// Signs and appends a request with a nonce the caller derived (from the client's
    /// idempotency key, or from what the request answers): a retry is then the very same
    /// signed request, which the ledger answers with the first entry and never writes twice.
    /// The memo's salt is derived from the signing key and the nonce, so a retry commits to
    /// the same memo while nobody without the key can guess the salt.
    async fn append_once(
        &self,
        actor: &Actor,
        nonce: Nonce,
        memo_text: Option<String>,
        body: impl FnOnce(Option<Hash>) -> Body,
    ) -> Result<Appended, ActionError> {
        let key = self.signing_key(actor)?;
        let memo = memo_text.map(|text| Memo {
            salt: memo_salt(&key, &nonce),
            text,
        });
        let body = body(memo.as_ref().map(|m| memo_hash(&m.salt, &m.text)));
        let signed = Request {
            circle_id: actor.circle.circle_id,
            author: key.public_key(),
            nonce,
            body,
        }
        .sign(&key);
        Ok(self.store.append(&actor.circle.slug, signed, memo).await?)
    }

    fn memo(text: &str) -> Result<Option<String>, ActionError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.len() > MEMO_BYTES_MAX {
            return Err(invalid("memo", "error-memo-long"));
        }
        Ok(Some(text.to_owned()))
    }

    /// The active member called `username` in the actor's circle.
    pub async fn other_member(
        &self,
        actor: &Actor,
        username: &str,
        field: &'static str,
    ) -> Result<MemberCard, ActionError> {
        let username: Username = username
            .parse()
            .map_err(|_| invalid(field, "error-member-unknown"))?;
        self.db
            .member_by_username(actor.circle.row_id, username.as_str())
            .await?
            .filter(|card| card.status == MemberStatus::Active)
            .ok_or(invalid(field, "error-member-unknown"))
    }

    // ----- payments -----

    /// Pays another member of the circle, signed with the payer's key. The same idempotency
    /// key always answers the first payment and never pays twice.
    pub async fn pay(
        &self,
        actor: &Actor,
        payee: &str,
        amount: &str,
        memo: &str,
        attempt: &IdempotencyKey,
    ) -> Result<Appended, ActionError> {
        let payee = self.other_member(actor, payee, "member").await?;
        let amount_minor = parse_amount(&actor.circle, amount)?;
        let memo = Self::memo(memo)?;
        let nonce = attempt.nonce(actor, "pay");
        self.append_once(actor, nonce, memo, |memo_hash| Body::Transfer {
            payer: actor.membership.account_key,
            payee: payee.account_key,
            amount_minor,
            memo_hash,
            cause: Cause::Direct,
        })
        .await
    }

    /// Asks another member to pay the actor; nothing moves until they accept. The same
    /// idempotency key always answers the first request.
    pub async fn request_payment(
        &self,
        actor: &Actor,
        payer: &str,
        amount: &str,
        memo: &str,
        attempt: &IdempotencyKey,
    ) -> Result<Appended, ActionError> {
        let payer = self.other_member(actor, payer, "member").await?;
        let amount_minor = parse_amount(&actor.circle, amount)?;
        let memo = Self::memo(memo)?;
        let nonce = attempt.nonce(actor, "request");
        self.append_once(actor, nonce, memo, |memo_hash| Body::RequestPayment {
            payer: payer.account_key,
            payee: actor.membership.account_key,
            amount_minor,
            memo_hash,
        })
        .await
    }

    /// An open payment request of the circle by its entry number, if the actor is part of it.
    pub async fn open_request(
        &self,
        actor: &Actor,
        seq: u64,
    ) -> Result<(StoredEntry, PublicKey, PublicKey, i64), ActionError> {
        let keys = self
            .db
            .member_keys(actor.circle.row_id, actor.user.id)
            .await?;
        let open = self
            .store
            .open_requests(
                &actor.circle,
                &keys,
                commons_ledger::store::LIST_ENTRIES_MAX,
            )
            .await?;
        let stored = open
            .into_iter()
            .find(|stored| stored.entry.seq == seq)
            .ok_or(ActionError::NotFound)?;
        let Body::RequestPayment {
            payer,
            payee,
            amount_minor,
            ..
        } = stored.entry.signed.request.body
        else {
            return Err(ActionError::NotFound);
        };
        Ok((stored, payer, payee, amount_minor))
    }

    /// Accepts a payment request the actor must pay: a transfer that names the request.
    pub async fn accept_request(&self, actor: &Actor, seq: u64) -> Result<Appended, ActionError> {
        let (stored, payer, payee, amount_minor) = self.open_request(actor, seq).await?;
        let keys = self
            .db
            .member_keys(actor.circle.row_id, actor.user.id)
            .await?;
        if !keys.contains(&payer) {
            return Err(ActionError::Forbidden);
        }
        // The request follows both accounts through key rotations.
        let payee_now = self.current_key(&actor.circle, &payee).await?;
        // Accepting one request is always the same signed transfer: a second click, a retry or
        // a second tab is answered with the first payment.
        let nonce = answer_nonce(&actor.circle.circle_id, "accept", &stored.hash);
        self.append_once(actor, nonce, None, |_| Body::Transfer {
            payer: actor.membership.account_key,
            payee: payee_now,
            amount_minor,
            memo_hash: None,
            cause: Cause::AcceptsRequest(stored.hash),
        })
        .await
    }

    /// Declines (as payer) or withdraws (as payee) an open payment request.
    pub async fn close_request(&self, actor: &Actor, seq: u64) -> Result<Appended, ActionError> {
        let (stored, _, _, _) = self.open_request(actor, seq).await?;
        let nonce = answer_nonce(&actor.circle.circle_id, "close", &stored.hash);
        self.append_once(actor, nonce, None, |_| Body::CloseRequest {
            request: stored.hash,
        })
        .await
    }

    async fn current_key(
        &self,
        info: &CircleInfo,
        key: &PublicKey,
    ) -> Result<PublicKey, ActionError> {
        let holder = self.db.names_for_keys(info.row_id, &[*key]).await?;
        let Some((_, username, _)) = holder.into_iter().next() else {
            return Ok(*key);
        };
        Ok(self
            .db
            .member_by_username(info.row_id, &username)
            .await?
            .map_or(*key, |card| card.account_key))
    }

    // ----- invitations and joining -----

    /// Makes an invitation link. A steward's link opens the newcomer's account at once (for a
    /// temporary key sealed under the link's secret, which joining replaces); a member's link
    /// records their vouch and a steward admits the newcomer.
    pub async fn invite(&self, actor: &Actor, note: &str) -> Result<String, ActionError> {
        let note = bounded_text(note, NOTE_CHARS_MAX).map_err(name_error("note"))?;
        let settings = self.settings(&actor.circle).await?;
        if !actor.is_steward && !settings.members_may_invite {
            return Err(ActionError::Forbidden);
        }
        let secret = random_secret();
        let now = now_ms();
        let account = if actor.is_steward {
            let temporary = SecretKey::generate();
            let (floor_minor, ceiling_minor) = self.store.default_limits(&actor.circle).await?;
            self.append_as(
                actor,
                Body::OpenAccount {
                    account: temporary.public_key(),
                    floor_minor,
                    ceiling_minor,
                },
                None,
            )
            .await?;
            let sealed = seal(
                &SealingKey::from_link_secret(&secret),
                &actor.circle.circle_id,
                &temporary,
            );
            Some((temporary.public_key(), sealed))
        } else {
            None
        };
        self.db
            .create_invitation(
                actor.circle.row_id,
                &token_hash(&secret),
                actor.user.id,
                actor.is_steward,
                &note,
                account.as_ref().map(|(key, sealed)| (key, sealed.clone())),
                now,
                now + INVITATION_TTL_MS,
            )
            .await?;
        Ok(crate::http::session::encode_token(&secret))
    }

    /// The invitation behind a link, if it can still be used, with its circle.
    pub async fn invitation(
        &self,
        link: &str,
    ) -> Result<(crate::db::Invitation, CircleInfo, [u8; 32]), ActionError> {
        let secret = crate::http::session::decode_token(link).ok_or(ActionError::InvitationGone)?;
        let invitation = self
            .db
            .invitation_by_token(&token_hash(&secret))
            .await?
            .ok_or(ActionError::InvitationGone)?;
        if invitation.used_by.is_some()
            || invitation.revoked_at_ms.is_some()
            || invitation.expires_at_ms <= now_ms()
        {
            return Err(ActionError::InvitationGone);
        }
        let info = self
            .circle_by_row(invitation.circle)
            .await?
            .ok_or(ActionError::InvitationGone)?;
        Ok((invitation, info, secret))
    }

    /// Joins a circle through an invitation link, as a new person (`sign_up`) or as someone
    /// already logged in (`existing` with their session's sealing key). The newcomer consented
    /// to the agreements of version `agreements_version`. Returns the person and, for a new
    /// person, their sealing key (to open a session).
    pub async fn join(
        &self,
        link: &str,
        sign_up: Option<&SignUp>,
        existing: Option<(&User, SealingKey)>,
        agreements_version: i64,
    ) -> Result<(User, SealingKey, MemberStatus, CircleInfo), ActionError> {
        let (invitation, info, secret) = self.invitation(link).await?;
        let settings = self.settings(&info).await?;
        if agreements_version != settings.agreements_version {
            return Err(invalid("agree", "error-agreements-changed"));
        }
        // A member's invitation makes someone wait for a steward: the waiting room has a cap.
        if invitation.account_key.is_none() {
            self.check_waiting_room(&info).await?;
        }
        // Everything that can be checked is checked before the link is claimed, and nothing
        // is written until it is: a refused join leaves no person, key or entry behind.
        let (person, sealing) = match (existing, sign_up) {
            (Some((user, sealing)), _) => {
                if self.db.membership(info.row_id, user.id).await?.is_some() {
                    return Err(ActionError::AlreadyMember);
                }
                // Whoever holds a recovery link must not join other circles in the person's name.
                if user.recovery_restricted {
                    return Err(invalid("agree", "error-join-recovered"));
                }
                (Ok(user.clone()), sealing)
            }
            (None, Some(sign_up)) => {
                let (new, sealing) = self.prepare_user(sign_up, false).await?;
                (Err(new), sealing)
            }
            (None, None) => return Err(ActionError::Forbidden),
        };
        // Claim the link: two people racing for one link cannot both use it.
        if !self.db.claim_invitation(invitation.id, now_ms()).await? {
            return Err(ActionError::InvitationGone);
        }
        let member_key = SecretKey::generate();
        let sealed = seal(&sealing, &info.circle_id, &member_key);
        let steward_link = match (&invitation.account_key, &invitation.sealed_key) {
            (Some(temporary_key), Some(sealed_temporary)) => {
                Some((*temporary_key, sealed_temporary))
            }
            _ => None,
        };
        if let Some((temporary_key, sealed_temporary)) = steward_link {
            // The account moves from the link's key, which its maker saw, to a key only the
            // member can open.
            let moved = async {
                let temporary = unseal(
                    &SealingKey::from_link_secret(&secret),
                    &info.circle_id,
                    &temporary_key,
                    sealed_temporary,
                )?;
                let rotate = Request::signed(
                    info.circle_id,
                    &temporary,
                    Body::RotateKey {
                        old: temporary_key,
                        new: member_key.public_key(),
                    },
                );
                self.store.append(&info.slug, rotate, None).await?;
                Ok::<_, ActionError>(())
            }
            .await;
            if let Err(error) = moved {
                self.db.release_invitation(invitation.id).await?;
                return Err(error);
            }
        }
        let user = match person {
            Ok(user) => user,
            Err(new) => match self.insert_user(&new).await {
                Ok(user) => user,
                Err(error) => {
                    if steward_link.is_none() {
                        self.db.release_invitation(invitation.id).await?;
                    }
                    return Err(error);
                }
            },
        };
        let status = if steward_link.is_some() {
            MemberStatus::Active
        } else {
            MemberStatus::Pending
        };
        self.db
            .create_membership(&NewMembership {
                circle: info.row_id,
                user_id: user.id,
                status,
                account_key: member_key.public_key(),
                sealed_key: Some(sealed),
                vouched_by: Some(invitation.created_by),
                invitation: Some(invitation.id),
                request_message: String::new(),
                agreements_version,
                now_ms: now_ms(),
            })
            .await?;
        if let Some((temporary_key, _)) = steward_link {
            self.db
                .remember_member_key(info.row_id, user.id, &temporary_key)
                .await?;
        }
        self.db.finish_invitation(invitation.id, user.id).await?;
        Ok((user, sealing, status, info))
    }

    /// Asks to join a circle that is open to requests; a steward decides.
    pub async fn ask_to_join(
        &self,
        slug: &str,
        sign_up: Option<&SignUp>,
        existing: Option<(&User, SealingKey)>,
        message: &str,
        agreements_version: i64,
    ) -> Result<(User, SealingKey, CircleInfo), ActionError> {
        let info = self.store.circle(slug).await?;
        let settings = self.settings(&info).await?;
        if !settings.open_to_requests {
            return Err(ActionError::NotFound);
        }
        if agreements_version != settings.agreements_version {
            return Err(invalid("agree", "error-agreements-changed"));
        }
        let message = bounded_text(message, NOTE_CHARS_MAX).map_err(name_error("message"))?;
        self.check_waiting_room(&info).await?;
        let (user, sealing) = match (existing, sign_up) {
            (Some((user, sealing)), _) => {
                if self.db.membership(info.row_id, user.id).await?.is_some() {
                    return Err(ActionError::AlreadyMember);
                }
                // Whoever holds a recovery link must not join other circles in the person's name.
                if user.recovery_restricted {
                    return Err(invalid("agree", "error-join-recovered"));
                }
                (user.clone(), sealing)
            }
            (None, Some(sign_up)) => self.new_user(sign_up, false).await?,
            (None, None) => return Err(ActionError::Forbidden),
        };
        let member_key = SecretKey::generate();
        self.db
            .create_membership(&NewMembership {
                circle: info.row_id,
                user_id: user.id,
                status: MemberStatus::Pending,
                account_key: member_key.public_key(),
                sealed_key: Some(seal(&sealing, &info.circle_id, &member_key)),
                vouched_by: None,
                invitation: None,
                request_message: message,
                agreements_version,
                now_ms: now_ms(),
            })
            .await?;
        Ok((user, sealing, info))
    }

    /// A steward admits a pending member: a steward-signed entry opens their account.
    pub async fn admit(&self, actor: &Actor, user_id: i64) -> Result<(), ActionError> {
        require_steward(actor)?;
        let pending = self
            .db
            .membership(actor.circle.row_id, user_id)
            .await?
            .filter(|membership| membership.status == MemberStatus::Pending)
            .ok_or(ActionError::NotFound)?;
        let (floor_minor, ceiling_minor) = self.store.default_limits(&actor.circle).await?;
        // Claim the decision first (one steward wins a race between admitting and declining),
        // then open the account, and only then is the member active: nobody is ever active
        // without an open account. If the entry cannot be written, the person is waiting again.
        if !self
            .db
            .decide_membership(
                actor.circle.row_id,
                user_id,
                MemberStatus::Admitting,
                actor.user.id,
                now_ms(),
            )
            .await?
        {
            return Err(ActionError::NotFound);
        }
        let opened = self
            .append_as(
                actor,
                Body::OpenAccount {
                    account: pending.account_key,
                    floor_minor,
                    ceiling_minor,
                },
                None,
            )
            .await;
        if let Err(error) = opened {
            self.db
                .undecide_membership(actor.circle.row_id, user_id)
                .await?;
            return Err(error);
        }
        self.db
            .finish_admission(actor.circle.row_id, user_id)
            .await?;
        Ok(())
    }

    /// Refuses a new request to join when [`PENDING_PER_CIRCLE_MAX`] people already wait: a
    /// flood of requests must not bury the real ones, nor grow without end.
    async fn check_waiting_room(&self, info: &CircleInfo) -> Result<(), ActionError> {
        if self
            .db
            .count_with_status(info.row_id, MemberStatus::Pending)
            .await?
            >= PENDING_PER_CIRCLE_MAX
        {
            return Err(invalid("message", "error-waiting-room-full"));
        }
        Ok(())
    }

    /// Declines many people waiting to join at once (a flood of requests); returns how many.
    pub async fn decline_members(
        &self,
        actor: &Actor,
        user_ids: &[i64],
    ) -> Result<usize, ActionError> {
        require_steward(actor)?;
        let mut declined = 0;
        for user_id in user_ids.iter().take(PENDING_PER_CIRCLE_MAX as usize) {
            if self
                .db
                .decide_membership(
                    actor.circle.row_id,
                    *user_id,
                    MemberStatus::Declined,
                    actor.user.id,
                    now_ms(),
                )
                .await?
            {
                declined += 1;
            }
        }
        Ok(declined)
    }

    /// Members and people waiting to join whose display name looks like a steward's (the same
    /// skeleton: case, accents, look-alike letters and spacing aside), for the stewards' page:
    /// (their display name, their username, the steward's display name).
    pub async fn look_alikes(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(String, String, String)>, ActionError> {
        require_steward(actor)?;
        let info = &actor.circle;
        let stewards = self.store.stewards(info).await?;
        let mut steward_names: Vec<(i64, String)> = Vec::new();
        for key in &stewards {
            if let Some((user, name)) = self.db.member_by_key(info.row_id, key).await? {
                steward_names.push((user, name));
            }
        }
        let mut found = Vec::new();
        for status in [MemberStatus::Active, MemberStatus::Pending] {
            for card in self
                .db
                .members(info.row_id, status, None, crate::db::MEMBERS_PAGE_MAX)
                .await?
            {
                let shape = crate::names::skeleton(&card.display_name);
                for (steward, name) in &steward_names {
                    if *steward != card.user_id && crate::names::skeleton(name) == shape {
                        found.push((
                            card.display_name.clone(),
                            card.username.clone(),
                            name.clone(),
                        ));
                    }
                }
            }
        }
        Ok(found)
    }

    pub async fn decline_member(&self, actor: &Actor, user_id: i64) -> Result<(), ActionError> {
        require_steward(actor)?;
        if !self
            .db
            .decide_membership(
                actor.circle.row_id,
                user_id,
                MemberStatus::Declined,
                actor.user.id,
                now_ms(),
            )
            .await?
        {
            return Err(ActionError::NotFound);
        }
        Ok(())
    }

    /// Revokes an unused invitation; a steward's link also closes the account it opened.
    pub async fn revoke_invitation(&self, actor: &Actor, id: i64) -> Result<(), ActionError> {
        let invitation = self
            .db
            .invitation(actor.circle.row_id, id)
            .await?
            .ok_or(ActionError::NotFound)?;
        if !actor.is_steward && invitation.created_by != actor.user.id {
            return Err(ActionError::Forbidden);
        }
        if invitation.used_by.is_some() || invitation.revoked_at_ms.is_some() {
            return Err(ActionError::InvitationGone);
        }
        // A link that opened an account is revoked by closing that account first (a steward's
        // signature); only then does the link stop working. If the link was used meanwhile,
        // the account has moved to the member's key and the close is refused.
        if let Some(account) = invitation.account_key {
            if !actor.is_steward {
                return Err(ActionError::Forbidden);
            }
            match self
                .append_as(actor, Body::CloseAccount { account }, None)
                .await
            {
                Ok(_) => {}
                Err(ActionError::Refused(Refusal::NotAMember(_))) => {
                    return Err(ActionError::InvitationGone)
                }
                Err(error) => return Err(error),
            }
        }
        if !self
            .db
            .revoke_invitation(actor.circle.row_id, id, now_ms())
            .await?
        {
            return Err(ActionError::InvitationGone);
        }
        Ok(())
    }

    /// A steward sets one member's floor and ceiling (a signed ledger entry).
    pub async fn set_limits(
        &self,
        actor: &Actor,
        username: &str,
        floor: &str,
        ceiling: &str,
    ) -> Result<Appended, ActionError> {
        require_steward(actor)?;
        let member = self.other_member(actor, username, "member").await?;
        let decimals =
            Decimals::new(u32::from(actor.circle.decimals)).map_err(|_| ActionError::NotFound)?;
        let floor_minor = parse_limit(decimals, floor, "floor")?;
        let ceiling_minor = parse_limit(decimals, ceiling, "ceiling")?;
        self.append_as(
            actor,
            Body::SetLimits {
                account: member.account_key,
                floor_minor,
                ceiling_minor,
            },
            None,
        )
        .await
    }
}

impl Services {
    /// Makes an API token for the command line; returns the token (shown once). It may read
    /// or read and act, in every circle of the person or one, and expires after `days`
    /// (1 to [`TOKEN_DAYS_MAX`]).
    pub async fn create_api_token(
        &self,
        user: &User,
        request: &TokenRequest,
    ) -> Result<String, ActionError> {
        if user.recovery_restricted {
            return Err(invalid("label", "error-token-recovered"));
        }
        let label = bounded_text(&request.label, 80).map_err(name_error("label"))?;
        if label.is_empty() {
            return Err(invalid("label", "error-required"));
        }
        // Unless asked for more, a token only reads.
        let scope = match request.scope.trim() {
            "" => TokenScope::Read,
            text => TokenScope::parse(text).ok_or_else(|| invalid("scope", "error-token-scope"))?,
        };
        let days = match request.days.trim() {
            "" => TOKEN_DAYS_DEFAULT,
            text => text
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=TOKEN_DAYS_MAX).contains(d))
                .ok_or_else(|| invalid("days", "error-token-days"))?,
        };
        let circle = match request.circle.trim() {
            "" => None,
            slug => Some(
                self.actor(user, slug, None)
                    .await
                    .map_err(|_| invalid("circle", "error-token-circle"))?
                    .circle
                    .row_id,
            ),
        };
        let token = random_secret();
        let now = now_ms();
        self.db
            .create_api_token(
                &token_hash(&token),
                NewToken {
                    user_id: user.id,
                    label: &label,
                    scope,
                    circle,
                    expires_at_ms: now + days * DAY_MS,
                },
                now,
            )
            .await?;
        Ok(crate::http::session::encode_token(&token))
    }

    /// Moves the actor's account to a key they hold themselves: a rotation signed with their
    /// sealed key. From then on they sign with the command line; the node keeps no secret.
    /// A key no account may move onto: another member's (a pending member's key was made by
    /// the node for them). A steward's key the ledger's own rule refuses on every path; it is
    /// checked here too, so the form answers with a field error.
    pub async fn check_rotation_target(
        &self,
        info: &CircleInfo,
        new: &PublicKey,
    ) -> Result<(), ActionError> {
        if self.store.stewards(info).await?.contains(new)
            || self.db.member_by_key(info.row_id, new).await?.is_some()
        {
            return Err(invalid("public_key", "error-public-key"));
        }
        Ok(())
    }

    pub async fn register_own_key(
        &self,
        actor: &Actor,
        public_key_hex: &str,
    ) -> Result<Appended, ActionError> {
        let new: PublicKey = public_key_hex
            .trim()
            .parse()
            .map_err(|_| invalid("public_key", "error-public-key"))?;
        if new == actor.membership.account_key {
            return Err(invalid("public_key", "error-public-key"));
        }
        self.check_rotation_target(&actor.circle, &new).await?;
        let appended = self
            .append_as(
                actor,
                Body::RotateKey {
                    old: actor.membership.account_key,
                    new,
                },
                None,
            )
            .await?;
        self.db
            .move_member_key(actor.circle.row_id, actor.user.id, &new, None)
            .await?;
        Ok(appended)
    }
}

const DAY_MS: i64 = 24 * 3600 * 1000;
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

impl Services {
    /// A steward helps a member who forgot their password: the account moves (a steward-signed
    /// `rotate-key` entry, visible to all) to a temporary key sealed under a one-time link's
    /// secret; the member follows the link and chooses a new password. Returns the link token.
    pub async fn start_recovery(
        &self,
        actor: &Actor,
        username: &str,
    ) -> Result<String, ActionError> {
        require_steward(actor)?;
        let member = self.other_member(actor, username, "member").await?;
        // A node admin's account reaches every circle's creation: no circle's steward may
        // recover it.
        let person = self
            .db
            .user(member.user_id)
            .await?
            .ok_or(ActionError::NotFound)?;
        if person.is_node_admin {
            return Err(invalid("member", "recovery-error-admin"));
        }
        let temporary = SecretKey::generate();
        self.append_as(
            actor,
            Body::RotateKey {
                old: member.account_key,
                new: temporary.public_key(),
            },
            None,
        )
        .await?;
        self.db
            .move_member_key(
                actor.circle.row_id,
                member.user_id,
                &temporary.public_key(),
                None,
            )
            .await?;
        let secret = random_secret();
        let now = now_ms();
        self.db
            .create_recovery(
                actor.circle.row_id,
                member.user_id,
                &token_hash(&secret),
                actor.user.id,
                &temporary.public_key(),
                seal(
                    &SealingKey::from_link_secret(&secret),
                    &actor.circle.circle_id,
                    &temporary,
                ),
                now,
                now + RECOVERY_TTL_MS,
            )
            .await?;
        Ok(crate::http::session::encode_token(&secret))
    }

    /// The person and circle behind a recovery link, if it can still be used, and whether the
    /// person confirms their current password (an account another circle already recovered)
    /// instead of choosing a new one.
    pub async fn recovery(&self, link: &str) -> Result<(User, CircleInfo, bool), ActionError> {
        let secret = crate::http::session::decode_token(link).ok_or(ActionError::InvitationGone)?;
        let (_, circle, user_id, _, _) = self
            .db
            .recovery_by_token(&token_hash(&secret), now_ms())
            .await?
            .ok_or(ActionError::InvitationGone)?;
        let user = self
            .db
            .user(user_id)
            .await?
            .ok_or(ActionError::InvitationGone)?;
        let info = self
            .circle_by_row(circle)
            .await?
            .ok_or(ActionError::InvitationGone)?;
        let confirm_current = user.recovery_restricted;
        Ok((user, info, confirm_current))
    }

    /// Follows a recovery link. By construction it reaches only the circle whose stewards made
    /// it: the account moves on to a fresh key sealed under the person's password (a new one,
    /// or, if another circle already recovered them, their current one, confirmed), and the
    /// login is restricted to the circles that recovered it until the person proves the
    /// password they had before ([`Services::log_in`] takes the account back then). Every
    /// session and API token ends, and the person is told in every circle they belong to.
    pub async fn recover(
        &self,
        link: &str,
        password: &str,
        from: Option<IpAddr>,
    ) -> Result<(User, SealingKey, CircleInfo), ActionError> {
        let secret = crate::http::session::decode_token(link).ok_or(ActionError::InvitationGone)?;
        let (id, circle, user_id, temporary_key, sealed) = self
            .db
            .recovery_by_token(&token_hash(&secret), now_ms())
            .await?
            .ok_or(ActionError::InvitationGone)?;
        let person = self
            .db
            .user(user_id)
            .await?
            .ok_or(ActionError::InvitationGone)?;
        // Checked before the link is used: a wrong or too-short password changes nothing.
        let (new_password, sealing) = if person.recovery_restricted {
            let sealing = self
                .verify_password(&person, password, from)
                .await
                .map_err(|error| match error {
                    ActionError::WrongPassword => invalid("password", "error-password-wrong"),
                    other => other,
                })?;
            (None, sealing)
        } else {
            let password = Password::new_choice(password)
                .map_err(|_| invalid("password", "error-password-short"))?;
            let (hash, salt, sealing) = self.hash_and_seal(password).await?;
            (Some((hash, salt)), sealing)
        };
        let info = self
            .circle_by_row(circle)
            .await?
            .ok_or(ActionError::InvitationGone)?;
        let temporary = unseal(
            &SealingKey::from_link_secret(&secret),
            &info.circle_id,
            &temporary_key,
            &sealed,
        )?;
        if !self.db.use_recovery(id, now_ms()).await? {
            return Err(ActionError::InvitationGone);
        }
        let member_key = SecretKey::generate();
        self.store
            .append(
                &info.slug,
                Request::signed(
                    info.circle_id,
                    &temporary,
                    Body::RotateKey {
                        old: temporary_key,
                        new: member_key.public_key(),
                    },
                ),
                None,
            )
            .await?;
        self.db
            .move_member_key(
                info.row_id,
                user_id,
                &member_key.public_key(),
                Some(seal(&sealing, &info.circle_id, &member_key)),
            )
            .await?;
        let now = now_ms();
        let new_password = new_password
            .as_ref()
            .map(|(hash, salt)| (hash.as_str(), salt.as_slice()));
        for ended in self
            .db
            .record_recovery(user_id, info.row_id, new_password, now)
            .await?
        {
            self.keyring.remove(&ended);
        }
        self.tell_of_recovery(user_id, now).await?;
        let user = self.db.user(user_id).await?.ok_or(ActionError::NotFound)?;
        Ok((user, sealing, info))
    }

    /// A notification in every circle the person belongs to: their account was recovered.
    async fn tell_of_recovery(&self, user_id: i64, now: i64) -> Result<(), ActionError> {
        for membership in self.db.memberships_of(user_id).await? {
            if membership.status != MemberStatus::Active {
                continue;
            }
            self.market
                .notify(
                    commons_market::store::NewNotification {
                        user: user_id,
                        circle: membership.circle,
                        kind: commons_market::store::NotificationKind::AccountRecovered,
                        listing: None,
                        other_listing: None,
                        deal: None,
                        proposal: None,
                    },
                    now,
                )
                .await?;
        }
        Ok(())
    }

    /// The recoveries of a person's account: (circle name, the steward who made the link,
    /// when it was followed), newest first.
    pub async fn recoveries_of(
        &self,
        user: &User,
    ) -> Result<Vec<(String, String, i64)>, ActionError> {
        let mut named = Vec::new();
        for (circle, steward, at_ms) in self.db.recoveries_of(user.id).await? {
            let name = self
                .circle_by_row(circle)
                .await?
                .map_or_else(|| "—".to_owned(), |info| info.name);
            named.push((name, steward, at_ms));
        }
        Ok(named)
    }
}

fn require_steward(actor: &Actor) -> Result<(), ActionError> {
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

    fn stored(signed: commons_ledger::entry::SignedRequest) -> StoredEntry {
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
    fn remembered_signatures_never_hide_a_changed_entry() {
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
    fn remembered_tree_heads_never_hide_a_changed_head() {
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
