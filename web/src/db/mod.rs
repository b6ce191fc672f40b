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

mod allowances;
mod blocks;
pub mod cc;
mod circles;
pub mod conversations;
pub mod discussion_edits;
pub mod discussions;
pub mod email;
mod erasure;
mod invitations;
pub mod link_blocks;
pub mod link_deals;
pub mod link_partners;
pub mod link_requests;
mod members;
mod memberships;
mod moderation;
mod modlog;
pub mod news;
pub mod news_photos;
mod node;
pub mod notifications;
mod onboarding;
pub mod people;
pub mod public;
mod recoveries;
mod repairs;
pub mod second_opinions;
mod security;
mod sessions;
mod tokens;
mod users;

pub type DbResult<T> = Result<T, sqlx::Error>;

pub use blocks::{BlockKind, BlockRow, BLOCKS_PER_PERSON_MAX};
pub use circles::CircleFlag;
pub use moderation::{
    CaseRow, CaseTimes, HiddenItems, HiddenState, ModeratorRow, MyReportRow, NewCase, NoteRow,
    ReportRow, CASES_LISTED_MAX, REPORTS_PER_DAY_MAX,
};
pub use modlog::{Appended, LogAppend, LogRow, LOG_PAGE_MAX};
pub use repairs::{RepairMessage, RepairPerson, RepairRow, REPAIR_PEOPLE_MAX};
pub use security::{SecurityEventRow, SECURITY_EVENTS_LISTED_MAX, SECURITY_EVENTS_PER_PERSON_MAX};

/// `$first, $first+1, …`: `count` numbered parameters for an `IN (…)` list.
fn placeholders(count: usize, first: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

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
    /// tokens, until the person proves their prior password or the take-back period ends.
    pub recovery_restricted: bool,
    /// The password hash and seal salt from before the first unsettled recovery.
    pub prior_password: Option<(String, Vec<u8>)>,
    /// When the last recovery was used, until the person has been told at a login.
    pub recovery_notice_at_ms: Option<i64>,
    /// When a restricted login's take-back period ends (30 days after the latest recovery).
    pub recovery_lifts_at_ms: Option<i64>,
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
    /// Suspended by a moderator until then: the member signs nothing new in the circle.
    pub suspended_until_ms: Option<i64>,
    /// Limited by a moderator until then: the member's new posts wait for review.
    pub limited_until_ms: Option<i64>,
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
    /// How many people the link lets in, and how many it has.
    pub max_uses: i64,
    pub use_count: i64,
}

impl Invitation {
    /// Whether the link is for several people (each asks to join; a steward admits them).
    pub fn is_for_several(&self) -> bool {
        self.max_uses > 1
    }

    /// Whether nobody more can use the link.
    pub fn is_used_up(&self) -> bool {
        self.used_by.is_some() || (self.is_for_several() && self.use_count >= self.max_uses)
    }

    /// Where the invitation stands at `now_ms`: `used`, `revoked`, `expired` or `open`.
    pub fn state_at(&self, now_ms: i64) -> &'static str {
        if self.is_used_up() {
            "used"
        } else if self.revoked_at_ms.is_some() {
            "revoked"
        } else if self.expires_at_ms <= now_ms {
            "expired"
        } else {
            "open"
        }
    }
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
    hidden: ReadCache<i64, std::collections::BTreeSet<i64>>,
    touching: ReadCache<i64, Arc<Vec<(i64, i64, BlockKind)>>>,
    suspensions: ReadCache<i64, Arc<std::collections::BTreeMap<i64, i64>>>,
    moderated: ReadCache<i64, Arc<HiddenItems>>,
    muted_threads: ReadCache<i64, std::collections::BTreeSet<i64>>,
    zones: ReadCache<i64, String>,
    /// Each member's notifications change on their own: the scope is the member's user id.
    notices: Generations,
    unread: ReadCache<i64, i64>,
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
        recovery_lifts_at_ms: row.try_get("recovery_lifts_at_ms")?,
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
        suspended_until_ms: row.try_get("suspended_until_ms")?,
        limited_until_ms: row.try_get("limited_until_ms")?,
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
        max_uses: row.try_get("max_uses")?,
        use_count: row.try_get("use_count")?,
    })
}

const USER_COLUMNS: &str = "id, username, display_name, bio, password_hash, seal_salt, language, is_node_admin, created_at_ms, recovery_restricted, prior_password_hash, prior_seal_salt, recovery_notice_at_ms, recovery_lifts_at_ms";
const MEMBERSHIP_COLUMNS: &str = "circle, user_id, status, account_key, sealed_key, vouched_by, request_message, agreements_version, created_at_ms, suspended_until_ms, limited_until_ms";
const CARD_SELECT: &str = "SELECT m.user_id, u.username, u.display_name, u.bio, m.account_key, m.status, m.request_message, v.display_name AS vouched_by_name, m.created_at_ms
     FROM memberships m JOIN users u ON u.id = m.user_id LEFT JOIN users v ON v.id = m.vouched_by";
const INVITATION_SELECT: &str = "SELECT i.id, i.circle, i.created_by, u.display_name AS created_by_name, i.by_steward, i.note, i.account_key, i.sealed_key, i.created_at_ms, i.expires_at_ms, i.used_by, i.revoked_at_ms, i.max_uses, i.use_count
     FROM invitations i JOIN users u ON u.id = i.created_by";

impl NodeDb {
    /// Whether the node's database is PostgreSQL (else SQLite), for the few statements that
    /// differ between them.
    pub(crate) fn is_postgres(&self) -> bool {
        self.pool
            .connect_options()
            .database_url
            .scheme()
            .starts_with("postgres")
    }

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
                hidden: ReadCache::new(CACHED_ANSWERS_MAX, |hidden| hidden.len() as u64 + 1),
                touching: ReadCache::new(CACHED_ANSWERS_MAX, |rows| rows.len() as u64 + 1),
                suspensions: ReadCache::new(CACHED_ANSWERS_MAX, |rows| rows.len() as u64 + 1),
                moderated: ReadCache::new(CACHED_ANSWERS_MAX, |items| items.len() as u64 + 1),
                muted_threads: ReadCache::new(CACHED_ANSWERS_MAX, |muted| muted.len() as u64 + 1),
                zones: ReadCache::new(CACHED_ANSWERS_MAX, weigh_one),
                notices: Generations::default(),
                unread: ReadCache::new(CACHED_ANSWERS_MAX, weigh_one),
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
}
