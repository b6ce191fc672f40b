//! Persistence of the web space (people, sessions, memberships, invitations, circle settings):
//! the only module of this crate that holds SQL. It shares the ledger store's database and runs
//! the same portable SQL on SQLite and PostgreSQL through sqlx's `Any` driver.

use std::sync::Arc;

use commons_ledger::keys::PublicKey;
use commons_ledger::store::cache::{weigh_one, Generations, ReadCache};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

/// Most members one directory query returns.
pub const MEMBERS_PAGE_MAX: i64 = 200;
/// Most members one circle's electorate (and one notification round) holds.
pub const ACTIVE_MEMBERS_MAX: i64 = 100_000;
/// Most invitations or join requests one list returns.
pub const INVITATIONS_PAGE_MAX: i64 = 200;

pub type DbResult<T> = Result<T, sqlx::Error>;

/// A person with a login on this node.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub password_hash: String,
    pub seal_salt: Vec<u8>,
    pub language: Option<String>,
    pub is_node_admin: bool,
    pub created_at_ms: i64,
    /// After a circle's stewards recovered the account: the login reaches only the circles
    /// that recovered it (see [`NodeDb::recovery_circles`]), never node administration or API
    /// tokens, until the person proves their prior password.
    pub recovery_restricted: bool,
    /// The password hash and seal salt from before the first unsettled recovery.
    pub prior_password: Option<(String, Vec<u8>)>,
    /// When the last recovery was used, until the person has been told at a login.
    pub recovery_notice_at_ms: Option<i64>,
}

impl User {
    /// Whether this login may administer the node: an admin whose account no circle steward
    /// has recovered.
    pub fn is_admin(&self) -> bool {
        self.is_node_admin && !self.recovery_restricted
    }
}

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// Read only: GET and HEAD.
    Read,
    /// Read and act: every API call.
    Act,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Act => "act",
        }
    }
    pub fn parse(text: &str) -> Option<TokenScope> {
        match text {
            "read" => Some(TokenScope::Read),
            "act" => Some(TokenScope::Act),
            _ => None,
        }
    }
}

/// What a valid API token grants: whose it is, its scope, and the one circle it is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenGrant {
    pub user_id: i64,
    pub scope: TokenScope,
    /// The circle's row id, when the token is bound to one circle.
    pub circle: Option<i64>,
    pub expires_at_ms: i64,
}

/// An API token as its owner's settings page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// The token's hash, hex: what revoking names.
    pub id: String,
    pub label: String,
    pub scope: TokenScope,
    /// The bound circle's row id.
    pub circle: Option<i64>,
    pub created_at_ms: i64,
    pub last_used_ms: Option<i64>,
    pub expires_at_ms: i64,
}

/// What a new API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewToken<'a> {
    pub user_id: i64,
    pub label: &'a str,
    pub scope: TokenScope,
    pub circle: Option<i64>,
    pub expires_at_ms: i64,
}

/// Where someone stands in a circle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    /// Asked to join, or was vouched for; a steward has not decided yet.
    Pending,
    Active,
    Declined,
    Left,
    /// The circle decided to remove them (a passed proposal).
    Removed,
    /// A steward admitted them and the ledger account is being opened: not active until it is
    /// (so nobody is ever active without an open account).
    Admitting,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Pending => "pending",
            MemberStatus::Active => "active",
            MemberStatus::Declined => "declined",
            MemberStatus::Left => "left",
            MemberStatus::Removed => "removed",
            MemberStatus::Admitting => "admitting",
        }
    }
    fn parse(text: &str) -> MemberStatus {
        match text {
            "active" => MemberStatus::Active,
            "declined" => MemberStatus::Declined,
            "left" => MemberStatus::Left,
            "removed" => MemberStatus::Removed,
            "admitting" => MemberStatus::Admitting,
            _ => MemberStatus::Pending,
        }
    }
}

/// A person's membership row in one circle.
#[derive(Debug, Clone)]
pub struct Membership {
    pub circle: i64,
    pub user_id: i64,
    pub status: MemberStatus,
    pub account_key: PublicKey,
    /// The account's signing key sealed under the member's password; `None` when the member
    /// holds their own key and signs with the CLI.
    pub sealed_key: Option<Vec<u8>>,
    pub vouched_by: Option<i64>,
    pub request_message: String,
    pub agreements_version: i64,
    pub created_at_ms: i64,
}

/// A member as the directory shows them.
#[derive(Debug, Clone)]
pub struct MemberCard {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub account_key: PublicKey,
    pub status: MemberStatus,
    pub request_message: String,
    pub vouched_by_name: Option<String>,
    pub created_at_ms: i64,
}

/// An active member as other pages name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub account_key: PublicKey,
}

/// An invitation link's row (the link's secret itself is never stored).
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: i64,
    pub circle: i64,
    pub created_by: i64,
    pub created_by_name: String,
    pub by_steward: bool,
    pub note: String,
    pub account_key: Option<PublicKey>,
    pub sealed_key: Option<Vec<u8>>,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub used_by: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

/// What stewards edit about a circle beyond its signed settings.
#[derive(Debug, Clone)]
pub struct CircleSettings {
    pub description: String,
    pub agreements: String,
    pub agreements_version: i64,
    pub members_may_invite: bool,
    /// Whether people may ask to join from the circle's public page.
    pub open_to_requests: bool,
}

/// A new membership to record.
#[derive(Debug, Clone)]
pub struct NewMembership {
    pub circle: i64,
    pub user_id: i64,
    pub status: MemberStatus,
    pub account_key: PublicKey,
    pub sealed_key: Option<Vec<u8>>,
    pub vouched_by: Option<i64>,
    pub invitation: Option<i64>,
    pub request_message: String,
    pub agreements_version: i64,
    pub now_ms: i64,
}

/// A new person to record.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub seal_salt: Vec<u8>,
    pub language: Option<String>,
    pub is_node_admin: bool,
    pub now_ms: i64,
}

/// The web space's tables.
#[derive(Debug, Clone)]
pub struct NodeDb {
    pool: AnyPool,
    reads: Arc<WebReads>,
}

/// Answers remembered per kind of read (sessions, people, memberships...).
const CACHED_ANSWERS_MAX: u64 = 20_000;
/// The one scope of the web space's tables: any write to them makes every remembered answer old.
const WEB_SCOPE: i64 = 0;

/// A ledger key with the username and display name of the member who holds or held it.
pub type KeyName = (PublicKey, String, String);

/// A live session's row.
#[derive(Debug, Clone, Copy)]
struct SessionRow {
    user_id: i64,
    expires_at_ms: i64,
    last_seen_ms: i64,
}

/// What every page asks before it can answer (who is this, are they a member, what are the
/// names on the page), remembered as the ledger's reads are (see
/// [`commons_ledger::store::cache`]): each write below bumps the generation after it commits.
#[derive(Debug)]
struct WebReads {
    generations: Generations,
    sessions: ReadCache<Vec<u8>, Option<SessionRow>>,
    tokens: ReadCache<Vec<u8>, Option<(TokenGrant, Option<i64>)>>,
    users: ReadCache<i64, Option<User>>,
    memberships: ReadCache<(i64, i64), Option<Membership>>,
    member_keys: ReadCache<(i64, i64), Vec<PublicKey>>,
    names: ReadCache<(i64, Vec<PublicKey>), Vec<KeyName>>,
    people: ReadCache<(i64, Vec<i64>), Vec<Person>>,
    settings: ReadCache<i64, Option<CircleSettings>>,
}

fn key_of(bytes: Vec<u8>) -> DbResult<PublicKey> {
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| sqlx::Error::Decode("a stored key is not 32 bytes".into()))?;
    Ok(PublicKey::from_raw(bytes))
}

/// Ends every session and API token of a person, in a transaction; returns the sessions'
/// hashes (their sealing keys must leave memory too).
async fn end_everything(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: i64,
) -> DbResult<Vec<Vec<u8>>> {
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 RETURNING token_hash")
        .bind(user_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<Vec<Vec<u8>>, _>>()?;
    sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(ended)
}

fn user_from_row(row: &AnyRow) -> DbResult<User> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        bio: row.try_get("bio")?,
        password_hash: row.try_get("password_hash")?,
        seal_salt: row.try_get("seal_salt")?,
        language: row.try_get("language")?,
        is_node_admin: row.try_get::<i64, _>("is_node_admin")? != 0,
        created_at_ms: row.try_get("created_at_ms")?,
        recovery_restricted: row.try_get::<i64, _>("recovery_restricted")? != 0,
        prior_password: match (
            row.try_get::<Option<String>, _>("prior_password_hash")?,
            row.try_get::<Option<Vec<u8>>, _>("prior_seal_salt")?,
        ) {
            (Some(hash), Some(salt)) => Some((hash, salt)),
            _ => None,
        },
        recovery_notice_at_ms: row.try_get("recovery_notice_at_ms")?,
    })
}

fn membership_from_row(row: &AnyRow) -> DbResult<Membership> {
    Ok(Membership {
        circle: row.try_get("circle")?,
        user_id: row.try_get("user_id")?,
        status: MemberStatus::parse(&row.try_get::<String, _>("status")?),
        account_key: key_of(row.try_get("account_key")?)?,
        sealed_key: row.try_get("sealed_key")?,
        vouched_by: row.try_get("vouched_by")?,
        request_message: row.try_get("request_message")?,
        agreements_version: row.try_get("agreements_version")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

fn card_from_row(row: &AnyRow) -> DbResult<MemberCard> {
    Ok(MemberCard {
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        bio: row.try_get("bio")?,
        account_key: key_of(row.try_get("account_key")?)?,
        status: MemberStatus::parse(&row.try_get::<String, _>("status")?),
        request_message: row.try_get("request_message")?,
        vouched_by_name: row.try_get("vouched_by_name")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

fn invitation_from_row(row: &AnyRow) -> DbResult<Invitation> {
    Ok(Invitation {
        id: row.try_get("id")?,
        circle: row.try_get("circle")?,
        created_by: row.try_get("created_by")?,
        created_by_name: row.try_get("created_by_name")?,
        by_steward: row.try_get::<i64, _>("by_steward")? != 0,
        note: row.try_get("note")?,
        account_key: row
            .try_get::<Option<Vec<u8>>, _>("account_key")?
            .map(key_of)
            .transpose()?,
        sealed_key: row.try_get("sealed_key")?,
        created_at_ms: row.try_get("created_at_ms")?,
        expires_at_ms: row.try_get("expires_at_ms")?,
        used_by: row.try_get("used_by")?,
        revoked_at_ms: row.try_get("revoked_at_ms")?,
    })
}

const USER_COLUMNS: &str = "id, username, display_name, bio, password_hash, seal_salt, language, is_node_admin, created_at_ms, recovery_restricted, prior_password_hash, prior_seal_salt, recovery_notice_at_ms";
const MEMBERSHIP_COLUMNS: &str = "circle, user_id, status, account_key, sealed_key, vouched_by, request_message, agreements_version, created_at_ms";
const CARD_SELECT: &str = "SELECT m.user_id, u.username, u.display_name, u.bio, m.account_key, m.status, m.request_message, v.display_name AS vouched_by_name, m.created_at_ms
     FROM memberships m JOIN users u ON u.id = m.user_id LEFT JOIN users v ON v.id = m.vouched_by";
const INVITATION_SELECT: &str = "SELECT i.id, i.circle, i.created_by, u.display_name AS created_by_name, i.by_steward, i.note, i.account_key, i.sealed_key, i.created_at_ms, i.expires_at_ms, i.used_by, i.revoked_at_ms
     FROM invitations i JOIN users u ON u.id = i.created_by";

impl NodeDb {
    pub fn new(pool: AnyPool) -> NodeDb {
        NodeDb {
            pool,
            reads: Arc::new(WebReads {
                generations: Generations::default(),
                sessions: ReadCache::new(CACHED_ANSWERS_MAX, weigh_one),
                tokens: ReadCache::new(CACHED_ANSWERS_MAX, weigh_one),
                users: ReadCache::new(CACHED_ANSWERS_MAX, weigh_one),
                memberships: ReadCache::new(CACHED_ANSWERS_MAX, weigh_one),
                member_keys: ReadCache::new(CACHED_ANSWERS_MAX, weigh_one),
                names: ReadCache::new(CACHED_ANSWERS_MAX, |names| names.len() as u64),
                people: ReadCache::new(CACHED_ANSWERS_MAX, |people| people.len() as u64),
                settings: ReadCache::new(CACHED_ANSWERS_MAX, weigh_one),
            }),
        }
    }

    /// Makes every remembered answer old: called after each write commits, before it answers.
    fn changed(&self) {
        self.reads.generations.bump(WEB_SCOPE);
    }

    /// The generation of the web space's tables: views that show names or profiles put it in
    /// their cache key, so any change to them makes those views old.
    pub fn generation(&self) -> u64 {
        self.reads.generations.current(WEB_SCOPE)
    }

    /// The node's secret called `name`, made from `fresh` the first time it is asked for.
    pub async fn node_secret(&self, name: &str, fresh: [u8; 32]) -> DbResult<Vec<u8>> {
        sqlx::query(
            "INSERT INTO node_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh.to_vec())
        .execute(&self.pool)
        .await?;
        self.changed();
        sqlx::query("SELECT value FROM node_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)
    }

    /// The one-time setup token of a node nobody has set up yet (made once, kept until used).
    pub async fn setup_token(&self, fresh: [u8; 32]) -> DbResult<Vec<u8>> {
        self.node_secret("setup", fresh).await
    }

    /// Claims the setup token: exactly one caller with the right token wins, once.
    pub async fn claim_setup(&self, token: &[u8]) -> DbResult<bool> {
        let done = sqlx::query("DELETE FROM node_secrets WHERE name = 'setup' AND value = $1")
            .bind(token.to_vec())
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Gives a claimed setup token back (the setup could not be written).
    pub async fn release_setup(&self, token: &[u8]) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO node_secrets (name, value) VALUES ('setup', $1) ON CONFLICT (name) DO NOTHING",
        )
        .bind(token.to_vec())
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    // ----- people -----

    pub async fn user_count(&self) -> DbResult<i64> {
        sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)
    }

    pub async fn create_user(&self, user: &NewUser) -> DbResult<i64> {
        let row = sqlx::query(
            "INSERT INTO users (username, display_name, password_hash, seal_salt, language, is_node_admin, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(&user.password_hash)
        .bind(user.seal_salt.clone())
        .bind(user.language.clone())
        .bind(i64::from(user.is_node_admin))
        .bind(user.now_ms)
        .fetch_one(&self.pool)
        .await?;
        self.changed();
        row.try_get(0)
    }

    pub async fn user(&self, id: i64) -> DbResult<Option<User>> {
        self.reads
            .users
            .get_or_read(&self.reads.generations, WEB_SCOPE, id, || {
                self.read_user(id)
            })
            .await
    }

    async fn read_user(&self, id: i64) -> DbResult<Option<User>> {
        let sql =
            format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND erased_at_ms IS NULL");
        sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    pub async fn user_by_username(&self, username: &str) -> DbResult<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1 AND erased_at_ms IS NULL"
        );
        sqlx::query(&sql)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    pub async fn update_profile(
        &self,
        user_id: i64,
        display_name: &str,
        bio: &str,
        language: Option<&str>,
    ) -> DbResult<()> {
        sqlx::query("UPDATE users SET display_name = $1, bio = $2, language = $3 WHERE id = $4")
            .bind(display_name)
            .bind(bio)
            .bind(language)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// Changes a password: the new hash, the new seal salt and every membership's key resealed
    /// under the new password, all in one transaction. Other sessions of the person end.
    pub async fn change_password(
        &self,
        user_id: i64,
        password_hash: &str,
        seal_salt: &[u8],
        resealed: &[(i64, Vec<u8>)],
        keep_session: &[u8],
    ) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1, seal_salt = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(seal_salt.to_vec())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for (circle, sealed) in resealed {
            sqlx::query(
                "UPDATE memberships SET sealed_key = $1 WHERE circle = $2 AND user_id = $3",
            )
            .bind(sealed.clone())
            .bind(*circle)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep_session.to_vec())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    // ----- sessions -----

    pub async fn create_session(
        &self,
        token_hash: &[u8],
        user_id: i64,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> DbResult<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at_ms, expires_at_ms, last_seen_ms) VALUES ($1, $2, $3, $4, $3)")
            .bind(token_hash.to_vec())
            .bind(user_id)
            .bind(now_ms)
            .bind(expires_at_ms)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// The person behind a live session, moving its idle expiry forward to `expires_at_ms`.
    pub async fn session_user(
        &self,
        token_hash: &[u8],
        now_ms: i64,
        expires_at_ms: i64,
    ) -> DbResult<Option<User>> {
        let found = self
            .reads
            .sessions
            .get_or_read(
                &self.reads.generations,
                WEB_SCOPE,
                token_hash.to_vec(),
                || async {
                    let row = sqlx::query(
                        "SELECT user_id, expires_at_ms, last_seen_ms FROM sessions WHERE token_hash = $1",
                    )
                    .bind(token_hash.to_vec())
                    .fetch_optional(&self.pool)
                    .await?;
                    row.map(|row| -> DbResult<SessionRow> {
                        Ok(SessionRow {
                            user_id: row.try_get("user_id")?,
                            expires_at_ms: row.try_get("expires_at_ms")?,
                            last_seen_ms: row.try_get("last_seen_ms")?,
                        })
                    })
                    .transpose()
                },
            )
            .await?;
        let Some(session) = found else {
            return Ok(None);
        };
        if session.expires_at_ms <= now_ms {
            self.delete_session(token_hash).await?;
            return Ok(None);
        }
        // One write per minute at most keeps busy pages from writing on every request. Moving a
        // session's expiry changes nothing else anybody remembers, so it bumps no generation.
        if now_ms - session.last_seen_ms > 60_000 {
            let generation = self.generation();
            sqlx::query(
                "UPDATE sessions SET last_seen_ms = $1, expires_at_ms = $2 WHERE token_hash = $3",
            )
            .bind(now_ms)
            .bind(expires_at_ms)
            .bind(token_hash.to_vec())
            .execute(&self.pool)
            .await?;
            self.reads.sessions.put(
                token_hash.to_vec(),
                generation,
                Some(SessionRow {
                    expires_at_ms,
                    last_seen_ms: now_ms,
                    ..session
                }),
            );
        }
        self.user(session.user_id).await
    }

    pub async fn delete_session(&self, token_hash: &[u8]) -> DbResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_vec())
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// Removes expired sessions; returns the hashes of those removed.
    pub async fn purge_sessions(&self, now_ms: i64) -> DbResult<Vec<Vec<u8>>> {
        let rows =
            sqlx::query("DELETE FROM sessions WHERE expires_at_ms <= $1 RETURNING token_hash")
                .bind(now_ms)
                .fetch_all(&self.pool)
                .await?;
        self.changed();
        rows.iter().map(|row| row.try_get(0)).collect()
    }

    /// The hashes of a person's live sessions.
    pub async fn sessions_of(&self, user_id: i64) -> DbResult<Vec<Vec<u8>>> {
        let rows = sqlx::query("SELECT token_hash FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| row.try_get(0)).collect()
    }

    // ----- API tokens -----

    pub async fn create_api_token(
        &self,
        token_hash: &[u8],
        token: NewToken<'_>,
        now_ms: i64,
    ) -> DbResult<()> {
        sqlx::query("INSERT INTO api_tokens (token_hash, user_id, label, created_at_ms, scope, circle, expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(token_hash.to_vec())
            .bind(token.user_id)
            .bind(token.label)
            .bind(now_ms)
            .bind(token.scope.as_str())
            .bind(token.circle)
            .bind(token.expires_at_ms)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// A person's API tokens, newest first.
    pub async fn api_tokens_of(&self, user_id: i64) -> DbResult<Vec<TokenRow>> {
        sqlx::query("SELECT token_hash, label, scope, circle, created_at_ms, last_used_ms, expires_at_ms FROM api_tokens WHERE user_id = $1 ORDER BY created_at_ms DESC")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                let scope: String = row.try_get("scope")?;
                Ok(TokenRow {
                    id: hex::encode(row.try_get::<Vec<u8>, _>("token_hash")?),
                    label: row.try_get("label")?,
                    scope: TokenScope::parse(&scope).unwrap_or(TokenScope::Read),
                    circle: row.try_get("circle")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                    last_used_ms: row.try_get("last_used_ms")?,
                    expires_at_ms: row.try_get("expires_at_ms")?,
                })
            })
            .collect()
    }

    pub async fn delete_api_token(&self, user_id: i64, token_hash: &[u8]) -> DbResult<bool> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE user_id = $1 AND token_hash = $2")
            .bind(user_id)
            .bind(token_hash.to_vec())
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Revokes every API token of a person (a password change, a recovery); returns how many.
    pub async fn delete_api_tokens_of(&self, user_id: i64) -> DbResult<u64> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(done.rows_affected())
    }

    /// The person and grant of a token that has not expired.
    pub async fn api_token_user(
        &self,
        token_hash: &[u8],
        now_ms: i64,
    ) -> DbResult<Option<(User, TokenGrant)>> {
        let found = self
            .reads
            .tokens
            .get_or_read(
                &self.reads.generations,
                WEB_SCOPE,
                token_hash.to_vec(),
                || async {
                    let row = sqlx::query(
                        "SELECT user_id, scope, circle, expires_at_ms, last_used_ms FROM api_tokens WHERE token_hash = $1",
                    )
                    .bind(token_hash.to_vec())
                    .fetch_optional(&self.pool)
                    .await?;
                    row.map(|row| -> DbResult<(TokenGrant, Option<i64>)> {
                        let scope: String = row.try_get("scope")?;
                        let grant = TokenGrant {
                            user_id: row.try_get("user_id")?,
                            // An unknown scope grants the least.
                            scope: TokenScope::parse(&scope).unwrap_or(TokenScope::Read),
                            circle: row.try_get("circle")?,
                            expires_at_ms: row.try_get("expires_at_ms")?,
                        };
                        Ok((grant, row.try_get("last_used_ms")?))
                    })
                    .transpose()
                },
            )
            .await?;
        let Some((grant, last_used)) = found else {
            return Ok(None);
        };
        if now_ms >= grant.expires_at_ms {
            return Ok(None);
        }
        // One write per minute at most: a busy script must not turn every call into a commit.
        // Like a session's expiry, a token's last use changes nothing else remembered.
        if last_used.is_none_or(|last: i64| now_ms - last > 60_000) {
            let generation = self.generation();
            sqlx::query("UPDATE api_tokens SET last_used_ms = $1 WHERE token_hash = $2")
                .bind(now_ms)
                .bind(token_hash.to_vec())
                .execute(&self.pool)
                .await?;
            self.reads
                .tokens
                .put(token_hash.to_vec(), generation, Some((grant, Some(now_ms))));
        }
        Ok(self.user(grant.user_id).await?.map(|user| (user, grant)))
    }

    // ----- circles -----

    pub async fn circle_settings(&self, circle: i64) -> DbResult<Option<CircleSettings>> {
        self.reads
            .settings
            .get_or_read(&self.reads.generations, WEB_SCOPE, circle, || {
                self.read_circle_settings(circle)
            })
            .await
    }

    async fn read_circle_settings(&self, circle: i64) -> DbResult<Option<CircleSettings>> {
        let row = sqlx::query("SELECT description, agreements, agreements_version, members_may_invite, open_to_requests FROM circle_settings WHERE circle = $1")
            .bind(circle)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(CircleSettings {
                description: row.try_get("description")?,
                agreements: row.try_get("agreements")?,
                agreements_version: row.try_get("agreements_version")?,
                members_may_invite: row.try_get::<i64, _>("members_may_invite")? != 0,
                open_to_requests: row.try_get::<i64, _>("open_to_requests")? != 0,
            })
        })
        .transpose()
    }

    /// Saves a circle's settings; a change to the agreements' text starts a new version.
    pub async fn save_circle_settings(
        &self,
        circle: i64,
        settings: &CircleSettings,
        now_ms: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO circle_settings (circle, description, agreements, agreements_version, members_may_invite, open_to_requests, updated_at_ms)
             VALUES ($1, $2, $3, 1, $4, $6, $5)
             ON CONFLICT (circle) DO UPDATE SET description = excluded.description,
               agreements_version = CASE WHEN circle_settings.agreements = excluded.agreements
                 THEN circle_settings.agreements_version ELSE circle_settings.agreements_version + 1 END,
               agreements = excluded.agreements,
               members_may_invite = excluded.members_may_invite,
               open_to_requests = excluded.open_to_requests, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(circle)
        .bind(&settings.description)
        .bind(&settings.agreements)
        .bind(i64::from(settings.members_may_invite))
        .bind(now_ms)
        .bind(i64::from(settings.open_to_requests))
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    // ----- memberships -----

    pub async fn create_membership(&self, new: &NewMembership) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO memberships (circle, user_id, status, account_key, sealed_key, vouched_by, invitation, request_message, agreements_version, agreed_at_ms, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(new.circle)
        .bind(new.user_id)
        .bind(new.status.as_str())
        .bind(new.account_key.as_bytes().to_vec())
        .bind(new.sealed_key.clone())
        .bind(new.vouched_by)
        .bind(new.invitation)
        .bind(&new.request_message)
        .bind(new.agreements_version)
        .bind(new.now_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO member_keys (circle, account_key, user_id) VALUES ($1, $2, $3)")
            .bind(new.circle)
            .bind(new.account_key.as_bytes().to_vec())
            .bind(new.user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    pub async fn membership(&self, circle: i64, user_id: i64) -> DbResult<Option<Membership>> {
        self.reads
            .memberships
            .get_or_read(
                &self.reads.generations,
                WEB_SCOPE,
                (circle, user_id),
                || self.read_membership(circle, user_id),
            )
            .await
    }

    async fn read_membership(&self, circle: i64, user_id: i64) -> DbResult<Option<Membership>> {
        let sql = format!(
            "SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE circle = $1 AND user_id = $2"
        );
        sqlx::query(&sql)
            .bind(circle)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(membership_from_row)
            .transpose()
    }

    /// Circles (row ids) a person is an active member of, with their membership.
    pub async fn memberships_of(&self, user_id: i64) -> DbResult<Vec<Membership>> {
        self.memberships_where("user_id = $1 ORDER BY created_at_ms", user_id)
            .await
    }

    /// The active and admitting memberships of a circle (what `reconcile_memberships` checks).
    pub async fn memberships_in(&self, circle: i64) -> DbResult<Vec<Membership>> {
        self.memberships_where(
            "circle = $1 AND status IN ('active', 'admitting') ORDER BY user_id",
            circle,
        )
        .await
    }

    /// Memberships matching a fixed condition on one bound id.
    async fn memberships_where(&self, condition: &str, id: i64) -> DbResult<Vec<Membership>> {
        let sql = format!("SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE {condition}");
        sqlx::query(&sql)
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(membership_from_row)
            .collect()
    }

    /// Puts an admission a crash interrupted (decided before `before_ms`, no account opened)
    /// back to pending.
    pub async fn undo_stale_admission(
        &self,
        circle: i64,
        user_id: i64,
        before_ms: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE memberships SET status = 'pending', decided_by = NULL, decided_at_ms = NULL
             WHERE circle = $1 AND user_id = $2 AND status = 'admitting' AND decided_at_ms < $3",
        )
        .bind(circle)
        .bind(user_id)
        .bind(before_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// How many memberships of a circle have this status.
    pub async fn count_with_status(&self, circle: i64, status: MemberStatus) -> DbResult<i64> {
        sqlx::query("SELECT COUNT(*) FROM memberships WHERE circle = $1 AND status = $2")
            .bind(circle)
            .bind(status.as_str())
            .fetch_one(&self.pool)
            .await?
            .try_get(0)
    }

    /// Members of a circle with this status, by name (people waiting: oldest first); `search`
    /// filters names (case-insensitive).
    pub async fn members(
        &self,
        circle: i64,
        status: MemberStatus,
        search: Option<&str>,
        limit: i64,
    ) -> DbResult<Vec<MemberCard>> {
        let pattern = search
            .map(|text| {
                let escaped: String = text
                    .to_lowercase()
                    .chars()
                    .flat_map(|c| match c {
                        '%' | '_' | '\\' => vec!['\\', c],
                        c => vec![c],
                    })
                    .collect();
                format!("%{escaped}%")
            })
            .unwrap_or_else(|| "%".to_owned());
        let order = if status == MemberStatus::Pending {
            "m.created_at_ms, u.id"
        } else {
            "LOWER(u.display_name), u.id"
        };
        let sql = format!(
            "{CARD_SELECT} WHERE m.circle = $1 AND m.status = $2
               AND (LOWER(u.display_name) LIKE $3 ESCAPE '\\' OR u.username LIKE $3 ESCAPE '\\')
             ORDER BY {order} LIMIT $4"
        );
        sqlx::query(&sql)
            .bind(circle)
            .bind(status.as_str())
            .bind(pattern)
            .bind(limit.clamp(1, MEMBERS_PAGE_MAX))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(card_from_row)
            .collect()
    }

    pub async fn member_by_username(
        &self,
        circle: i64,
        username: &str,
    ) -> DbResult<Option<MemberCard>> {
        let sql = format!("{CARD_SELECT} WHERE m.circle = $1 AND u.username = $2");
        sqlx::query(&sql)
            .bind(circle)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(card_from_row)
            .transpose()
    }

    /// Who holds (or held) a ledger key in a circle: names for the ledger pages.
    pub async fn names_for_keys(&self, circle: i64, keys: &[PublicKey]) -> DbResult<Vec<KeyName>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.reads
            .names
            .get_or_read(
                &self.reads.generations,
                WEB_SCOPE,
                (circle, keys.to_vec()),
                || self.read_names_for_keys(circle, keys),
            )
            .await
    }

    async fn read_names_for_keys(&self, circle: i64, keys: &[PublicKey]) -> DbResult<Vec<KeyName>> {
        let list = (0..keys.len())
            .map(|n| format!("${}", n + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT k.account_key, u.username, u.display_name FROM member_keys k JOIN users u ON u.id = k.user_id
             WHERE k.circle = $1 AND k.account_key IN ({list})"
        );
        let mut query = sqlx::query(&sql).bind(circle);
        for key in keys {
            query = query.bind(key.as_bytes().to_vec());
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok((
                    key_of(row.try_get("account_key")?)?,
                    row.try_get("username")?,
                    row.try_get("display_name")?,
                ))
            })
            .collect()
    }

    /// The active members among `user_ids` in a circle, with their names and current account
    /// keys (at most [`MEMBERS_PAGE_MAX`] ids are looked up).
    pub async fn people(&self, circle: i64, user_ids: &[i64]) -> DbResult<Vec<Person>> {
        let mut ids: Vec<i64> = user_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        ids.truncate(MEMBERS_PAGE_MAX as usize);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.reads
            .people
            .get_or_read(
                &self.reads.generations,
                WEB_SCOPE,
                (circle, ids.clone()),
                || self.read_people(circle, ids.clone()),
            )
            .await
    }

    async fn read_people(&self, circle: i64, ids: Vec<i64>) -> DbResult<Vec<Person>> {
        let list = (0..ids.len())
            .map(|n| format!("${}", n + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT m.user_id, u.username, u.display_name, m.account_key FROM memberships m
             JOIN users u ON u.id = m.user_id
             WHERE m.circle = $1 AND m.status = 'active' AND m.user_id IN ({list})"
        );
        let mut query = sqlx::query(&sql).bind(circle);
        for id in &ids {
            query = query.bind(*id);
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(Person {
                    user_id: row.try_get("user_id")?,
                    username: row.try_get("username")?,
                    display_name: row.try_get("display_name")?,
                    account_key: key_of(row.try_get("account_key")?)?,
                })
            })
            .collect()
    }

    /// Every active member of a circle with their current account key, at most
    /// [`ACTIVE_MEMBERS_MAX`] (a vote's electorate, who to notify).
    pub async fn active_members(&self, circle: i64) -> DbResult<Vec<Person>> {
        sqlx::query(
            "SELECT m.user_id, u.username, u.display_name, m.account_key FROM memberships m
             JOIN users u ON u.id = m.user_id
             WHERE m.circle = $1 AND m.status = 'active' ORDER BY m.user_id LIMIT $2",
        )
        .bind(circle)
        .bind(ACTIVE_MEMBERS_MAX)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(Person {
                user_id: row.try_get("user_id")?,
                username: row.try_get("username")?,
                display_name: row.try_get("display_name")?,
                account_key: key_of(row.try_get("account_key")?)?,
            })
        })
        .collect()
    }

    /// The person whose membership holds this account key, and their name (any status).
    pub async fn member_by_key(
        &self,
        circle: i64,
        key: &PublicKey,
    ) -> DbResult<Option<(i64, String)>> {
        let row = sqlx::query(
            "SELECT m.user_id, u.display_name FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.circle = $1 AND m.account_key = $2",
        )
        .bind(circle)
        .bind(key.as_bytes().to_vec())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((row.try_get("user_id")?, row.try_get("display_name")?)))
            .transpose()
    }

    /// Every key a member's account has had in a circle.
    pub async fn member_keys(&self, circle: i64, user_id: i64) -> DbResult<Vec<PublicKey>> {
        self.reads
            .member_keys
            .get_or_read(
                &self.reads.generations,
                WEB_SCOPE,
                (circle, user_id),
                || self.read_member_keys(circle, user_id),
            )
            .await
    }

    async fn read_member_keys(&self, circle: i64, user_id: i64) -> DbResult<Vec<PublicKey>> {
        sqlx::query("SELECT account_key FROM member_keys WHERE circle = $1 AND user_id = $2")
            .bind(circle)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|row| key_of(row.try_get(0)?))
            .collect()
    }

    /// Records a steward's decision on a pending membership.
    pub async fn decide_membership(
        &self,
        circle: i64,
        user_id: i64,
        status: MemberStatus,
        decided_by: i64,
        now_ms: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE memberships SET status = $1, decided_by = $2, decided_at_ms = $3 WHERE circle = $4 AND user_id = $5 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(decided_by)
        .bind(now_ms)
        .bind(circle)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// An admission whose ledger account is open: the member is active.
    pub async fn finish_admission(&self, circle: i64, user_id: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE memberships SET status = 'active' WHERE circle = $1 AND user_id = $2 AND status = 'admitting'",
        )
        .bind(circle)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Puts an admission back to pending (its ledger account could not be opened).
    pub async fn undecide_membership(&self, circle: i64, user_id: i64) -> DbResult<()> {
        sqlx::query(
            "UPDATE memberships SET status = 'pending', decided_by = NULL, decided_at_ms = NULL WHERE circle = $1 AND user_id = $2 AND status = 'admitting'",
        )
        .bind(circle)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// Sets a membership's status (e.g. `left` when the ledger account was closed).
    pub async fn set_membership_status(
        &self,
        circle: i64,
        user_id: i64,
        status: MemberStatus,
    ) -> DbResult<()> {
        sqlx::query("UPDATE memberships SET status = $1 WHERE circle = $2 AND user_id = $3")
            .bind(status.as_str())
            .bind(circle)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// Moves a membership to a new key (after a ledger key rotation), remembering the old one.
    pub async fn move_member_key(
        &self,
        circle: i64,
        user_id: i64,
        new_key: &PublicKey,
        sealed_key: Option<Vec<u8>>,
    ) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE memberships SET account_key = $1, sealed_key = $2 WHERE circle = $3 AND user_id = $4",
        )
        .bind(new_key.as_bytes().to_vec())
        .bind(sealed_key)
        .bind(circle)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO member_keys (circle, account_key, user_id) VALUES ($1, $2, $3) ON CONFLICT (circle, account_key) DO NOTHING")
            .bind(circle)
            .bind(new_key.as_bytes().to_vec())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    /// Records a key the member's account had before (e.g. an invitation's temporary key).
    pub async fn remember_member_key(
        &self,
        circle: i64,
        user_id: i64,
        key: &PublicKey,
    ) -> DbResult<()> {
        sqlx::query("INSERT INTO member_keys (circle, account_key, user_id) VALUES ($1, $2, $3) ON CONFLICT (circle, account_key) DO NOTHING")
            .bind(circle)
            .bind(key.as_bytes().to_vec())
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    // ----- invitations -----

    #[allow(clippy::too_many_arguments)]
    pub async fn create_invitation(
        &self,
        circle: i64,
        token_hash: &[u8],
        created_by: i64,
        by_steward: bool,
        note: &str,
        account: Option<(&PublicKey, Vec<u8>)>,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> DbResult<i64> {
        let row = sqlx::query(
            "INSERT INTO invitations (circle, token_hash, created_by, by_steward, note, account_key, sealed_key, created_at_ms, expires_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(circle)
        .bind(token_hash.to_vec())
        .bind(created_by)
        .bind(i64::from(by_steward))
        .bind(note)
        .bind(account.as_ref().map(|(key, _)| key.as_bytes().to_vec()))
        .bind(account.map(|(_, sealed)| sealed))
        .bind(now_ms)
        .bind(expires_at_ms)
        .fetch_one(&self.pool)
        .await?;
        self.changed();
        row.try_get(0)
    }

    pub async fn invitation_by_token(&self, token_hash: &[u8]) -> DbResult<Option<Invitation>> {
        let sql = format!("{INVITATION_SELECT} WHERE i.token_hash = $1");
        sqlx::query(&sql)
            .bind(token_hash.to_vec())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(invitation_from_row)
            .transpose()
    }

    pub async fn invitation(&self, circle: i64, id: i64) -> DbResult<Option<Invitation>> {
        let sql = format!("{INVITATION_SELECT} WHERE i.circle = $1 AND i.id = $2");
        sqlx::query(&sql)
            .bind(circle)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(invitation_from_row)
            .transpose()
    }

    /// A circle's invitations, newest first; `created_by` limits them to one member's.
    pub async fn invitations(
        &self,
        circle: i64,
        created_by: Option<i64>,
    ) -> DbResult<Vec<Invitation>> {
        let sql = format!(
            "{INVITATION_SELECT} WHERE i.circle = $1 AND ($2 = 0 OR i.created_by = $2) ORDER BY i.created_at_ms DESC, i.id DESC LIMIT $3"
        );
        sqlx::query(&sql)
            .bind(circle)
            .bind(created_by.unwrap_or(0))
            .bind(INVITATIONS_PAGE_MAX)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(invitation_from_row)
            .collect()
    }

    /// Claims an invitation for one joining (before anything is written): true if it was
    /// still open. `finish_invitation` records who used it; `release_invitation` gives it back.
    pub async fn claim_invitation(&self, id: i64, now_ms: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE invitations SET used_at_ms = $1
             WHERE id = $2 AND used_at_ms IS NULL AND used_by IS NULL AND revoked_at_ms IS NULL AND expires_at_ms > $1",
        )
        .bind(now_ms)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    pub async fn release_invitation(&self, id: i64) -> DbResult<()> {
        sqlx::query("UPDATE invitations SET used_at_ms = NULL WHERE id = $1 AND used_by IS NULL")
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    pub async fn finish_invitation(&self, id: i64, user_id: i64) -> DbResult<()> {
        sqlx::query("UPDATE invitations SET used_by = $1, sealed_key = NULL WHERE id = $2")
            .bind(user_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    pub async fn revoke_invitation(&self, circle: i64, id: i64, now_ms: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE invitations SET revoked_at_ms = $1, sealed_key = NULL WHERE circle = $2 AND id = $3 AND used_at_ms IS NULL AND used_by IS NULL AND revoked_at_ms IS NULL",
        )
        .bind(now_ms)
        .bind(circle)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    // ----- recoveries -----

    #[allow(clippy::too_many_arguments)]
    pub async fn create_recovery(
        &self,
        circle: i64,
        user_id: i64,
        token_hash: &[u8],
        created_by: i64,
        account_key: &PublicKey,
        sealed_key: Vec<u8>,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO recoveries (circle, user_id, token_hash, created_by, account_key, sealed_key, created_at_ms, expires_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(circle)
        .bind(user_id)
        .bind(token_hash.to_vec())
        .bind(created_by)
        .bind(account_key.as_bytes().to_vec())
        .bind(sealed_key)
        .bind(now_ms)
        .bind(expires_at_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// An unused, unexpired recovery: (id, circle, user, temporary key, sealed temporary key).
    pub async fn recovery_by_token(
        &self,
        token_hash: &[u8],
        now_ms: i64,
    ) -> DbResult<Option<(i64, i64, i64, PublicKey, Vec<u8>)>> {
        let row = sqlx::query(
            "SELECT id, circle, user_id, account_key, sealed_key FROM recoveries
             WHERE token_hash = $1 AND used_at_ms IS NULL AND expires_at_ms > $2 AND sealed_key IS NOT NULL",
        )
        .bind(token_hash.to_vec())
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok((
                row.try_get("id")?,
                row.try_get("circle")?,
                row.try_get("user_id")?,
                key_of(row.try_get("account_key")?)?,
                row.try_get("sealed_key")?,
            ))
        })
        .transpose()
    }

    /// Claims a recovery link (once).
    pub async fn use_recovery(&self, id: i64, now_ms: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE recoveries SET used_at_ms = $1, sealed_key = NULL WHERE id = $2 AND used_at_ms IS NULL",
        )
        .bind(now_ms)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Records a recovery the person followed in `circle`: the first unsettled recovery keeps
    /// the password they had (their way to take the account back) and restricts the login to
    /// the circles that recovered it; `new_password` (hash, seal salt) replaces the current one
    /// (none when they confirmed their current password instead). Once every circle they are
    /// an active member of has recovered them, nothing is restricted any more. Every session
    /// and API token ends; the hashes of the ended sessions are returned.
    pub async fn record_recovery(
        &self,
        user_id: i64,
        circle: i64,
        new_password: Option<(&str, &[u8])>,
        now_ms: i64,
    ) -> DbResult<Vec<Vec<u8>>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE users SET prior_password_hash = password_hash, prior_seal_salt = seal_salt, recovery_restricted = 1
             WHERE id = $1 AND recovery_restricted = 0",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if let Some((hash, salt)) = new_password {
            sqlx::query("UPDATE users SET password_hash = $1, seal_salt = $2 WHERE id = $3")
                .bind(hash)
                .bind(salt.to_vec())
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO recovery_circles (user_id, circle) VALUES ($1, $2) ON CONFLICT (user_id, circle) DO NOTHING",
        )
        .bind(user_id)
        .bind(circle)
        .execute(&mut *tx)
        .await?;
        let whole = sqlx::query(
            "UPDATE users SET recovery_restricted = 0, prior_password_hash = NULL, prior_seal_salt = NULL
             WHERE id = $1 AND NOT EXISTS (
               SELECT 1 FROM memberships m WHERE m.user_id = $1 AND m.status = 'active'
                 AND m.circle NOT IN (SELECT r.circle FROM recovery_circles r WHERE r.user_id = $1))",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if whole.rows_affected() == 1 {
            sqlx::query("DELETE FROM recovery_circles WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE users SET recovery_notice_at_ms = $1 WHERE id = $2")
            .bind(now_ms)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let ended = end_everything(&mut tx, user_id).await?;
        tx.commit().await?;
        self.changed();
        Ok(ended)
    }

    /// The person proved the password they had before a recovery: it is theirs again, the
    /// account is whole, and every session and token (the recovered login's too) ends.
    pub async fn take_back(&self, user_id: i64) -> DbResult<Vec<Vec<u8>>> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = prior_password_hash, seal_salt = prior_seal_salt,
               prior_password_hash = NULL, prior_seal_salt = NULL, recovery_restricted = 0
             WHERE id = $1 AND prior_password_hash IS NOT NULL",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        sqlx::query("DELETE FROM recovery_circles WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let ended = end_everything(&mut tx, user_id).await?;
        tx.commit().await?;
        self.changed();
        Ok(ended)
    }

    /// The circles a restricted login may reach (those whose stewards recovered it).
    pub async fn recovery_circles(&self, user_id: i64) -> DbResult<Vec<i64>> {
        sqlx::query("SELECT circle FROM recovery_circles WHERE user_id = $1 ORDER BY circle")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| row.try_get(0))
            .collect()
    }

    /// The person has been told about their last recovery.
    pub async fn clear_recovery_notice(&self, user_id: i64) -> DbResult<()> {
        sqlx::query("UPDATE users SET recovery_notice_at_ms = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// The recoveries of a person's account that were followed, newest first: (circle row,
    /// the steward's display name, when it was used).
    pub async fn recoveries_of(&self, user_id: i64) -> DbResult<Vec<(i64, String, i64)>> {
        sqlx::query(
            "SELECT r.circle, u.display_name, r.used_at_ms FROM recoveries r JOIN users u ON u.id = r.created_by
             WHERE r.user_id = $1 AND r.used_at_ms IS NOT NULL ORDER BY r.used_at_ms DESC LIMIT 50",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
        .collect()
    }
}
