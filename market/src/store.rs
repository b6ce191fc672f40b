//! Persistence of the market (listings, photos, event answers, deals, conversations,
//! thank-yous, notifications) over the node's database, with the same portable SQL on SQLite
//! and PostgreSQL; and each circle's search index, loaded from it and kept fresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use commons_ledger::store::cache::{weigh_one, Generations, ReadCache};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use thiserror::Error;
use tokio::sync::RwLock;

use crate::deal::{self, Deal, DealError, Terms};
use crate::event::{self, Answer, EventDetails, LocalTime, Place, Rsvp};
use crate::index::{DocInput, DocMeta, Index, Page, Search};
use crate::listing::{Kind, ListingDraft, Location, Side, Status, Value, ValueKind, DAY_MS};
use crate::matching::{self, Match, Standing};
use crate::photo::{self, PhotoError, Processed};
use crate::text::Language;

/// How stale a circle's index may be with respect to writes made by other processes (the
/// CLI, a second node on one PostgreSQL); this process's own writes show at once.
pub const INDEX_FRESHNESS_MS: u64 = 1_000;
/// Rows one index refresh reads per query.
const REFRESH_ROWS_MAX: i64 = 5_000;
/// Most listings one member may have open (active or paused) in one circle.
pub const OPEN_LISTINGS_PER_MEMBER_MAX: i64 = 200;
/// Most rows one list query returns (deals, messages, notifications, a member's listings).
pub const LIST_ROWS_MAX: i64 = 200;
/// Most ids one `listings` call fetches.
pub const FETCH_IDS_MAX: usize = 100;
/// Rows per transaction (and statement) of an import: 24 bound values each stays far below
/// SQLite's 32,766 and PostgreSQL's 65,535 parameters.
pub const IMPORT_ROWS_MAX: usize = 500;

pub type MarketResult<T> = Result<T, MarketError>;

#[derive(Debug, Error)]
pub enum MarketError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored market data is malformed: {0}")]
    Corrupt(String),
    #[error("no such listing, deal or photo in this circle")]
    NotFound,
    #[error("only the listing's author can change it")]
    NotYours,
    #[error("a member may have at most 200 open listings")]
    TooManyListings,
    #[error("someone changed this at the same moment; look again and retry")]
    Conflict,
    #[error("only events take answers")]
    NotAnEvent,
    #[error("{0}")]
    Deal(#[from] DealError),
    #[error("{0}")]
    Photo(#[from] PhotoError),
}

/// A stored listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub id: i64,
    pub circle: i64,
    pub owner: i64,
    pub side: Side,
    pub kind: Kind,
    pub status: Status,
    pub title: String,
    pub description: String,
    pub category: String,
    pub tags: Vec<String>,
    pub area: String,
    /// Never shown to other members (see [`crate::listing::Location`]).
    pub location: Option<Location>,
    pub value: Value,
    pub availability: String,
    pub language: Language,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub expires_at_ms: i64,
    pub event: Option<EventDetails>,
    /// Members holding a place (events only).
    pub going: i64,
}

impl Listing {
    pub fn is_live(&self, now_ms: i64) -> bool {
        self.meta().is_live(now_ms)
    }
    pub fn event_full(&self) -> bool {
        self.event
            .as_ref()
            .and_then(|e| e.capacity)
            .is_some_and(|c| self.going >= i64::from(c))
    }
    pub fn meta(&self) -> DocMeta {
        DocMeta {
            id: self.id,
            owner: self.owner,
            side: self.side,
            kind: self.kind,
            status: self.status,
            category: self.category.clone(),
            area: self.area.trim().to_lowercase(),
            location: self.location,
            value: self.value.kind(),
            language: self.language,
            created_ms: self.created_at_ms,
            expires_ms: self.expires_at_ms,
            event_starts_ms: self.event.as_ref().map(|e| e.starts.as_ms()),
            event_full: self.event_full(),
        }
    }
    pub fn doc(&self) -> DocInput {
        DocInput {
            meta: self.meta(),
            title: self.title.clone(),
            description: self.description.clone(),
            tags: self.tags.clone(),
        }
    }
}

const LISTING_COLUMNS: &str = "l.id, l.circle, l.owner, l.side, l.kind, l.status, l.title, l.description, \
     l.category, l.tags, l.area, l.lat_centi, l.lon_centi, l.value_kind, l.amount_minor, l.availability, l.language, \
     l.created_at_ms, l.updated_at_ms, l.expires_at_ms, l.event_starts, l.event_ends, l.event_place, \
     l.event_online, l.event_capacity, l.change_seq, \
     (SELECT COUNT(*) FROM market_rsvps r WHERE r.listing = l.id AND r.place = 'going') AS going";

/// The columns a member's draft fills, in the order [`bind_draft`] binds them (20).
const DRAFT_COLUMNS: [&str; 20] = [
    "side",
    "kind",
    "title",
    "description",
    "category",
    "tags",
    "area",
    "value_kind",
    "amount_minor",
    "availability",
    "language",
    "updated_at_ms",
    "expires_at_ms",
    "event_starts",
    "event_ends",
    "event_place",
    "event_online",
    "event_capacity",
    "lat_centi",
    "lon_centi",
];

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds a draft's values for [`DRAFT_COLUMNS`], as written at `now_ms`. The one place that
/// maps a listing's fields to its columns, for inserts, imports and updates alike.
fn bind_draft<'q>(query: AnyQuery<'q>, draft: &ListingDraft, now_ms: i64) -> AnyQuery<'q> {
    let event = draft.event.as_ref();
    query
        .bind(draft.side.as_str())
        .bind(draft.kind.as_str())
        .bind(draft.title.as_str().to_string())
        .bind(draft.description.clone())
        .bind(draft.category.clone())
        .bind(draft.tags.join(" "))
        .bind(draft.area.clone())
        .bind(draft.value.kind().as_str())
        .bind(draft.value.amount_minor())
        .bind(draft.availability.clone())
        .bind(draft.language.code())
        .bind(now_ms)
        .bind(now_ms + draft.expires_in_days * DAY_MS)
        .bind(event.map(|e| e.starts.0))
        .bind(event.map(|e| e.ends.0))
        .bind(event.map(|e| e.place.clone()))
        .bind(event.map(|e| i64::from(e.online)))
        .bind(event.and_then(|e| e.capacity).map(i64::from))
        .bind(draft.location.map(|l| i64::from(l.lat_centi)))
        .bind(draft.location.map(|l| i64::from(l.lon_centi)))
}

/// `INSERT INTO market_listings` of `rows` new listings: per row circle, owner, created_at_ms,
/// change_seq, then the draft's columns (24 values; status is 'active').
fn insert_sql(rows: usize) -> String {
    const VALUES_PER_ROW: usize = 4 + DRAFT_COLUMNS.len();
    let mut sql = format!(
        "INSERT INTO market_listings (circle, owner, created_at_ms, change_seq, {}, status) VALUES ",
        DRAFT_COLUMNS.join(", ")
    );
    for row in 0..rows {
        let placeholders: Vec<String> = (1..=VALUES_PER_ROW)
            .map(|n| format!("${}", row * VALUES_PER_ROW + n))
            .collect();
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("({}, 'active')", placeholders.join(", ")));
    }
    sql
}

fn corrupt(what: &str) -> MarketError {
    MarketError::Corrupt(what.to_string())
}

fn listing_of(row: &AnyRow) -> MarketResult<Listing> {
    let text = |name: &str| -> MarketResult<String> { Ok(row.try_get::<String, _>(name)?) };
    let value_kind = ValueKind::parse(&text("value_kind")?).map_err(|_| corrupt("value_kind"))?;
    let amount: Option<i64> = row.try_get("amount_minor")?;
    let event = match row.try_get::<Option<i64>, _>("event_starts")? {
        Some(starts) => Some(EventDetails {
            starts: LocalTime(starts),
            ends: LocalTime(
                row.try_get::<Option<i64>, _>("event_ends")?
                    .unwrap_or(starts),
            ),
            place: row
                .try_get::<Option<String>, _>("event_place")?
                .unwrap_or_default(),
            online: row.try_get::<Option<i64>, _>("event_online")?.unwrap_or(0) != 0,
            capacity: row
                .try_get::<Option<i64>, _>("event_capacity")?
                .and_then(|c| u32::try_from(c).ok()),
        }),
        None => None,
    };
    Ok(Listing {
        id: row.try_get("id")?,
        circle: row.try_get("circle")?,
        owner: row.try_get("owner")?,
        side: Side::parse(&text("side")?).map_err(|_| corrupt("side"))?,
        kind: Kind::parse(&text("kind")?).map_err(|_| corrupt("kind"))?,
        status: Status::parse(&text("status")?).map_err(|_| corrupt("status"))?,
        title: text("title")?,
        description: text("description")?,
        category: text("category")?,
        tags: text("tags")?
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        area: text("area")?,
        location: match (
            row.try_get::<Option<i64>, _>("lat_centi")?,
            row.try_get::<Option<i64>, _>("lon_centi")?,
        ) {
            (Some(lat), Some(lon)) => Some(Location {
                lat_centi: i32::try_from(lat).map_err(|_| corrupt("lat_centi"))?,
                lon_centi: i32::try_from(lon).map_err(|_| corrupt("lon_centi"))?,
            }),
            _ => None,
        },
        value: Value::new(value_kind, amount).map_err(|_| corrupt("amount_minor"))?,
        availability: text("availability")?,
        language: Language::from_tag(&text("language")?),
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
        expires_at_ms: row.try_get("expires_at_ms")?,
        event,
        going: row.try_get("going")?,
    })
}

fn rsvp_of(row: &AnyRow) -> MarketResult<Rsvp> {
    Ok(Rsvp {
        member: row.try_get("member")?,
        place: Place::parse(&row.try_get::<String, _>("place")?)
            .ok_or_else(|| corrupt("rsvp place"))?,
        at_ms: row.try_get("at_ms")?,
    })
}

fn photo_of(row: &AnyRow) -> MarketResult<PhotoInfo> {
    Ok(PhotoInfo {
        id: row.try_get("id")?,
        listing: row.try_get("listing")?,
        position: row.try_get("position")?,
        alt: row.try_get("alt")?,
        width: row.try_get("width")?,
        height: row.try_get("height")?,
    })
}

/// A deal with its bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDeal {
    pub deal: Deal,
    pub circle: i64,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const DEAL_COLUMNS: &str =
    "id, circle, listing, owner, responder, payer, status, terms_description, \
     terms_amount_minor, terms_proposed_by, payment_seq, version, created_at_ms, updated_at_ms";

fn deal_of(row: &AnyRow) -> MarketResult<StoredDeal> {
    let terms = match row.try_get::<Option<String>, _>("terms_description")? {
        Some(description) => Some(Terms {
            description,
            amount_minor: row.try_get("terms_amount_minor")?,
            proposed_by: row
                .try_get::<Option<i64>, _>("terms_proposed_by")?
                .ok_or_else(|| corrupt("terms_proposed_by"))?,
        }),
        None => None,
    };
    Ok(StoredDeal {
        deal: Deal {
            id: row.try_get("id")?,
            listing_id: row.try_get("listing")?,
            owner: row.try_get("owner")?,
            responder: row.try_get("responder")?,
            payer: row.try_get("payer")?,
            status: deal::Status::parse(&row.try_get::<String, _>("status")?)
                .ok_or_else(|| corrupt("deal status"))?,
            terms,
            payment_seq: row
                .try_get::<Option<i64>, _>("payment_seq")?
                .map(|s| s as u64),
        },
        circle: row.try_get("circle")?,
        version: row.try_get("version")?,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

/// One message of a deal's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub author: i64,
    pub body: String,
    pub created_at_ms: i64,
}

/// A public thank-you left on a completed deal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thanks {
    pub deal: i64,
    pub author: i64,
    /// The member thanked.
    pub to: i64,
    pub listing_title: String,
    pub body: String,
    pub created_at_ms: i64,
}

/// A photo's description (its bytes are fetched on their own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoInfo {
    pub id: i64,
    pub listing: i64,
    pub position: i64,
    pub alt: String,
    pub width: i64,
    pub height: i64,
}

/// What a notification is about. Members can turn each kind off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// A new listing matches one of yours.
    Match,
    /// Someone answered your listing, or wrote in one of your deals.
    DealMessage,
    /// Terms were proposed, agreed, or the deal completed or was called off.
    DealUpdate,
    /// Someone thanked you.
    Thanks,
    /// You moved up from an event's waiting list.
    EventPlace,
    /// One of your listings expires soon.
    Expiring,
    /// Voting opened on a proposal of your circle.
    VoteOpen,
    /// Voting on a proposal closes soon and you have not voted.
    VoteReminder,
    /// A proposal you could vote on was decided.
    Decided,
    /// A proposal you commented on or voted on changed its text (its discussion restarts).
    ProposalChanged,
    /// A proposal you wrote, commented on or voted on was paused (or the pause was lifted).
    ProposalPaused,
    /// A circle's stewards recovered your account (told in every circle you belong to; it
    /// cannot be turned off).
    AccountRecovered,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 12] = [
        NotificationKind::Match,
        NotificationKind::DealMessage,
        NotificationKind::DealUpdate,
        NotificationKind::Thanks,
        NotificationKind::EventPlace,
        NotificationKind::Expiring,
        NotificationKind::VoteOpen,
        NotificationKind::VoteReminder,
        NotificationKind::Decided,
        NotificationKind::ProposalChanged,
        NotificationKind::ProposalPaused,
        NotificationKind::AccountRecovered,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Match => "match",
            NotificationKind::DealMessage => "deal_message",
            NotificationKind::DealUpdate => "deal_update",
            NotificationKind::Thanks => "thanks",
            NotificationKind::EventPlace => "event_place",
            NotificationKind::Expiring => "expiring",
            NotificationKind::VoteOpen => "vote_open",
            NotificationKind::VoteReminder => "vote_reminder",
            NotificationKind::Decided => "decided",
            NotificationKind::ProposalChanged => "proposal_changed",
            NotificationKind::ProposalPaused => "proposal_paused",
            NotificationKind::AccountRecovered => "account_recovered",
        }
    }
    /// Whether a member may turn this kind off (a recovery of their account, never).
    pub fn may_mute(self) -> bool {
        self != NotificationKind::AccountRecovered
    }
    pub fn parse(text: &str) -> Option<NotificationKind> {
        NotificationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// A notification for one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub circle: i64,
    pub kind: NotificationKind,
    pub listing: Option<i64>,
    pub other_listing: Option<i64>,
    pub deal: Option<i64>,
    /// The proposal's number in its circle (governance notifications).
    pub proposal: Option<i64>,
    pub created_at_ms: i64,
    pub read: bool,
}

/// What to notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewNotification {
    pub user: i64,
    pub circle: i64,
    pub kind: NotificationKind,
    pub listing: Option<i64>,
    pub other_listing: Option<i64>,
    pub deal: Option<i64>,
    /// The proposal's number in its circle (governance notifications).
    pub proposal: Option<i64>,
}

#[derive(Debug, Default)]
struct LiveState {
    index: Index,
    /// The highest change number read from the database.
    seen_seq: i64,
    checked_at: Option<Instant>,
}

#[derive(Debug, Default)]
struct Live {
    state: RwLock<LiveState>,
}

/// Most members whose unread count is remembered.
pub const REMEMBERED_COUNTS_MAX: u64 = 100_000;

/// Answers every page asks for, remembered per member until they change (see
/// `commons_ledger::store::cache`: the scope is the member's user id).
#[derive(Debug)]
struct Reads {
    generations: Generations,
    unread: ReadCache<i64, i64>,
}

/// The market's persistence and each circle's live search index.
#[derive(Debug, Clone)]
pub struct Market {
    pool: AnyPool,
    live: Arc<Mutex<HashMap<i64, Arc<Live>>>>,
    reads: Arc<Reads>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Market {
    /// The market over the node's database (migrations are run by the ledger store).
    pub fn new(pool: AnyPool) -> Market {
        Market {
            pool,
            live: Arc::default(),
            reads: Arc::new(Reads {
                generations: Generations::default(),
                unread: ReadCache::new(REMEMBERED_COUNTS_MAX, weigh_one),
            }),
        }
    }

    fn live(&self, circle: i64) -> Arc<Live> {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.entry(circle).or_default().clone()
    }

    /// Runs `read` on the circle's index, brought up to date first if it may be stale.
    pub async fn with_index<T>(
        &self,
        circle: i64,
        read: impl FnOnce(&Index) -> T,
    ) -> MarketResult<T> {
        let live = self.live(circle);
        let freshness = Duration::from_millis(INDEX_FRESHNESS_MS);
        {
            let state = live.state.read().await;
            if state.checked_at.is_some_and(|at| at.elapsed() < freshness) {
                return Ok(read(&state.index));
            }
        }
        let mut state = live.state.write().await;
        if state.checked_at.is_none_or(|at| at.elapsed() >= freshness) {
            self.refresh(circle, &mut state).await?;
        }
        Ok(read(&state.index))
    }

    /// Reads every listing changed since the index last looked.
    async fn refresh(&self, circle: i64, state: &mut LiveState) -> MarketResult<()> {
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {LISTING_COLUMNS} FROM market_listings l
                 WHERE l.circle = $1 AND l.change_seq > $2 ORDER BY l.change_seq LIMIT $3"
            ))
            .bind(circle)
            .bind(state.seen_seq)
            .bind(REFRESH_ROWS_MAX)
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                let listing = listing_of(row)?;
                state.seen_seq = state.seen_seq.max(row.try_get("change_seq")?);
                Self::keep_in(&mut state.index, &listing);
            }
            if (rows.len() as i64) < REFRESH_ROWS_MAX {
                break;
            }
        }
        state.checked_at = Some(Instant::now());
        Ok(())
    }

    /// After this process wrote a listing: the index shows it at once. (The change number is
    /// not taken as seen: another process may hold a lower one not yet read.)
    async fn written(&self, circle: i64, id: i64) -> MarketResult<()> {
        let live = self.live(circle);
        let mut state = live.state.write().await;
        if state.checked_at.is_none() {
            return Ok(()); // Never loaded: the first read loads everything.
        }
        match self.listing(circle, id).await? {
            Some(listing) => Self::keep_in(&mut state.index, &listing),
            None => state.index.remove(id),
        }
        Ok(())
    }

    /// Closed listings leave the index (they are never found or matched, and would only
    /// weigh on memory and on how rare words are); paused ones stay, to come back.
    fn keep_in(index: &mut Index, listing: &Listing) {
        if listing.status == Status::Closed {
            index.remove(listing.id);
        } else {
            index.upsert(listing.doc());
        }
    }

    /// Takes the circle's next change number. As the first write of a transaction it also
    /// serialises that transaction against every other market write to the circle (a row
    /// lock on PostgreSQL, the write lock on SQLite), which event places rely on.
    async fn next_change(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        circle: i64,
    ) -> MarketResult<i64> {
        Self::next_changes(tx, circle, 1).await
    }

    /// Takes the circle's next `count` change numbers; returns the last.
    async fn next_changes(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        circle: i64,
        count: i64,
    ) -> MarketResult<i64> {
        sqlx::query("INSERT INTO market_counters (circle, change_seq) VALUES ($1, 0) ON CONFLICT (circle) DO NOTHING")
            .bind(circle)
            .execute(&mut **tx)
            .await?;
        let row = sqlx::query(
            "UPDATE market_counters SET change_seq = change_seq + $2 WHERE circle = $1 RETURNING change_seq",
        )
        .bind(circle)
        .bind(count)
        .fetch_one(&mut **tx)
        .await?;
        Ok(row.try_get(0)?)
    }

    // ----- listings -----

    /// Stores a new listing.
    pub async fn create_listing(
        &self,
        circle: i64,
        owner: i64,
        draft: &ListingDraft,
        now_ms: i64,
    ) -> MarketResult<Listing> {
        let mut tx = self.pool.begin().await?;
        let change = Self::next_change(&mut tx, circle).await?;
        let open: i64 = sqlx::query(
            "SELECT COUNT(*) FROM market_listings WHERE circle = $1 AND owner = $2 AND status <> 'closed'",
        )
        .bind(circle)
        .bind(owner)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if open >= OPEN_LISTINGS_PER_MEMBER_MAX {
            return Err(MarketError::TooManyListings);
        }
        let sql = format!("{} RETURNING id", insert_sql(1));
        let query = sqlx::query(&sql)
            .bind(circle)
            .bind(owner)
            .bind(now_ms)
            .bind(change);
        let row = bind_draft(query, draft, now_ms).fetch_one(&mut *tx).await?;
        let id: i64 = row.try_get(0)?;
        tx.commit().await?;
        self.written(circle, id).await?;
        self.listing(circle, id).await?.ok_or(MarketError::NotFound)
    }

    /// Imports many listings at once (a circle moving from another tool, a benchmark): in
    /// transactions of [`IMPORT_ROWS_MAX`] rows, each owner still held to
    /// [`OPEN_LISTINGS_PER_MEMBER_MAX`]. Nobody is notified. Returns how many were stored.
    pub async fn import_listings(
        &self,
        circle: i64,
        listings: &[(i64, ListingDraft, i64)],
    ) -> MarketResult<usize> {
        let mut stored = 0;
        for chunk in listings.chunks(IMPORT_ROWS_MAX) {
            let mut tx = self.pool.begin().await?;
            let last = Self::next_changes(&mut tx, circle, chunk.len() as i64).await?;
            let first = last - chunk.len() as i64 + 1;
            let mut counts: HashMap<i64, i64> = HashMap::new();
            for (owner, _, _) in chunk {
                if !counts.contains_key(owner) {
                    let open: i64 = sqlx::query(
                        "SELECT COUNT(*) FROM market_listings WHERE circle = $1 AND owner = $2 AND status <> 'closed'",
                    )
                    .bind(circle)
                    .bind(*owner)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
                    counts.insert(*owner, open);
                }
                let count = counts.entry(*owner).or_default();
                *count += 1;
                if *count > OPEN_LISTINGS_PER_MEMBER_MAX {
                    return Err(MarketError::TooManyListings);
                }
            }
            // Each row takes its own change number, so an index refresh never pages past a row.
            let sql = insert_sql(chunk.len());
            let mut query = sqlx::query(&sql);
            for (offset, (owner, draft, created_ms)) in chunk.iter().enumerate() {
                query = query
                    .bind(circle)
                    .bind(*owner)
                    .bind(*created_ms)
                    .bind(first + offset as i64);
                query = bind_draft(query, draft, *created_ms);
            }
            query.execute(&mut *tx).await?;
            tx.commit().await?;
            stored += chunk.len();
        }
        // The index reads them on its next refresh (it may be loaded already).
        let live = self.live(circle);
        live.state.write().await.checked_at = None;
        Ok(stored)
    }

    /// The first photo of each listing that has one.
    pub async fn first_photos(&self, listings: &[i64]) -> MarketResult<HashMap<i64, PhotoInfo>> {
        let listings = &listings[..listings.len().min(FETCH_IDS_MAX)];
        if listings.is_empty() {
            return Ok(HashMap::new());
        }
        let placeholders: Vec<String> = (1..=listings.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT id, listing, position, alt, width, height FROM market_photos
             WHERE listing IN ({}) ORDER BY position DESC, id DESC",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in listings {
            query = query.bind(*id);
        }
        let mut first = HashMap::new();
        for row in query.fetch_all(&self.pool).await? {
            let photo = photo_of(&row)?;
            // Rows come last-first, so the first photo is inserted last and stays.
            first.insert(photo.listing, photo);
        }
        Ok(first)
    }

    /// Replaces what the author wrote; the listing runs again for its new expiry from now.
    /// Returns the listing and the members who moved up from an event's waiting list.
    pub async fn update_listing(
        &self,
        circle: i64,
        id: i64,
        owner: i64,
        draft: &ListingDraft,
        now_ms: i64,
    ) -> MarketResult<(Listing, Vec<i64>)> {
        let mut tx = self.pool.begin().await?;
        let change = Self::next_change(&mut tx, circle).await?;
        let event = draft.event.as_ref();
        let set: Vec<String> = DRAFT_COLUMNS
            .iter()
            .enumerate()
            .map(|(n, column)| format!("{column} = ${}", n + 1))
            .collect();
        let sql = format!(
            "UPDATE market_listings SET {}, reminded_at_ms = NULL, change_seq = $21
             WHERE id = $22 AND circle = $23 AND owner = $24",
            set.join(", ")
        );
        let updated = bind_draft(sqlx::query(&sql), draft, now_ms)
            .bind(change)
            .bind(id)
            .bind(circle)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() != 1 {
            return Err(self.why_not_yours(circle, id).await);
        }
        // More places move the waiting list on; an event no longer an event keeps no answers.
        let promoted = match event {
            Some(details) => {
                let rsvps = Self::read_rsvps(&mut tx, id).await?;
                let (rsvps, promoted) = event::rebalance(rsvps, details.capacity);
                Self::write_rsvps(&mut tx, id, &rsvps).await?;
                promoted
            }
            None => {
                sqlx::query("DELETE FROM market_rsvps WHERE listing = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                Vec::new()
            }
        };
        tx.commit().await?;
        self.written(circle, id).await?;
        let listing = self
            .listing(circle, id)
            .await?
            .ok_or(MarketError::NotFound)?;
        Ok((listing, promoted))
    }

    async fn read_rsvps(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        listing: i64,
    ) -> MarketResult<Vec<Rsvp>> {
        let mut rsvps = Vec::new();
        for row in sqlx::query("SELECT member, place, at_ms FROM market_rsvps WHERE listing = $1")
            .bind(listing)
            .fetch_all(&mut **tx)
            .await?
        {
            rsvps.push(rsvp_of(&row)?);
        }
        Ok(rsvps)
    }

    async fn write_rsvps(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        listing: i64,
        rsvps: &[Rsvp],
    ) -> MarketResult<()> {
        sqlx::query("DELETE FROM market_rsvps WHERE listing = $1")
            .bind(listing)
            .execute(&mut **tx)
            .await?;
        for rsvp in rsvps {
            sqlx::query(
                "INSERT INTO market_rsvps (listing, member, place, at_ms) VALUES ($1, $2, $3, $4)",
            )
            .bind(listing)
            .bind(rsvp.member)
            .bind(rsvp.place.as_str())
            .bind(rsvp.at_ms)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    async fn why_not_yours(&self, circle: i64, id: i64) -> MarketError {
        match self.listing(circle, id).await {
            Ok(Some(_)) => MarketError::NotYours,
            Ok(None) => MarketError::NotFound,
            Err(error) => error,
        }
    }

    /// Pauses, reopens or closes a listing. Reopening an expired listing renews it for
    /// `renew_days` from now.
    pub async fn set_status(
        &self,
        circle: i64,
        id: i64,
        owner: i64,
        status: Status,
        renew_days: Option<i64>,
        now_ms: i64,
    ) -> MarketResult<()> {
        let mut tx = self.pool.begin().await?;
        let change = Self::next_change(&mut tx, circle).await?;
        if status != Status::Closed {
            // Reopening a closed listing counts against the open-listings cap like a new one.
            let open: i64 = sqlx::query(
                "SELECT COUNT(*) FROM market_listings
                 WHERE circle = $1 AND owner = $2 AND status <> 'closed' AND id <> $3",
            )
            .bind(circle)
            .bind(owner)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            if open >= OPEN_LISTINGS_PER_MEMBER_MAX {
                return Err(MarketError::TooManyListings);
            }
        }
        let updated = sqlx::query(
            "UPDATE market_listings SET status = $1, updated_at_ms = $2, change_seq = $3,
                 expires_at_ms = CASE WHEN $4 > 0 THEN $2 + $4 * $5 ELSE expires_at_ms END,
                 reminded_at_ms = CASE WHEN $4 > 0 THEN NULL ELSE reminded_at_ms END
             WHERE id = $6 AND circle = $7 AND owner = $8",
        )
        .bind(status.as_str())
        .bind(now_ms)
        .bind(change)
        .bind(renew_days.unwrap_or(0))
        .bind(DAY_MS)
        .bind(id)
        .bind(circle)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(self.why_not_yours(circle, id).await);
        }
        tx.commit().await?;
        self.written(circle, id).await
    }

    /// One listing of the circle.
    pub async fn listing(&self, circle: i64, id: i64) -> MarketResult<Option<Listing>> {
        let row = sqlx::query(&format!(
            "SELECT {LISTING_COLUMNS} FROM market_listings l WHERE l.id = $1 AND l.circle = $2"
        ))
        .bind(id)
        .bind(circle)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(listing_of).transpose()
    }

    /// Listings by id, in the order asked (unknown ids are skipped); at most [`FETCH_IDS_MAX`].
    pub async fn listings(&self, circle: i64, ids: &[i64]) -> MarketResult<Vec<Listing>> {
        let ids = &ids[..ids.len().min(FETCH_IDS_MAX)];
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // By primary key only: with the circle in the WHERE clause SQLite's planner may pick
        // a circle index and scan every listing of the circle. The circle is checked here.
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {LISTING_COLUMNS} FROM market_listings l WHERE l.id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(*id);
        }
        let mut by_id: HashMap<i64, Listing> = HashMap::new();
        for row in query.fetch_all(&self.pool).await? {
            let listing = listing_of(&row)?;
            if listing.circle == circle {
                by_id.insert(listing.id, listing);
            }
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// A member's listings in a circle, newest first (every status).
    pub async fn listings_of(&self, circle: i64, owner: i64) -> MarketResult<Vec<Listing>> {
        let rows = sqlx::query(&format!(
            "SELECT {LISTING_COLUMNS} FROM market_listings l WHERE l.circle = $1 AND l.owner = $2
             ORDER BY l.id DESC LIMIT $3"
        ))
        .bind(circle)
        .bind(owner)
        .bind(LIST_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(listing_of).collect()
    }

    /// Searches or browses the circle's live listings.
    pub async fn search(&self, circle: i64, search: &Search) -> MarketResult<Page> {
        self.with_index(circle, |index| index.search(search)).await
    }

    /// The listings that could answer listing `id`, best first.
    pub async fn matches(
        &self,
        circle: i64,
        id: i64,
        standing: impl Fn(i64) -> Option<Standing>,
        now_ms: i64,
        limit: usize,
    ) -> MarketResult<Vec<Match>> {
        self.with_index(circle, |index| {
            matching::matches(index, id, standing, now_ms, limit)
        })
        .await
    }

    /// Upcoming events of the circle from `from` (wall-clock), soonest first, whatever their
    /// status (calendars tell subscribers about cancelled ones).
    pub async fn events(
        &self,
        circle: i64,
        from: LocalTime,
        limit: i64,
    ) -> MarketResult<Vec<Listing>> {
        let rows = sqlx::query(&format!(
            "SELECT {LISTING_COLUMNS} FROM market_listings l
             WHERE l.circle = $1 AND l.event_starts IS NOT NULL AND l.event_ends >= $2
             ORDER BY l.event_starts, l.id LIMIT $3"
        ))
        .bind(circle)
        .bind(from.0)
        .bind(limit.clamp(1, LIST_ROWS_MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(listing_of).collect()
    }

    /// Live listings that expire before `before_ms` and whose author was not yet reminded;
    /// marks them reminded and returns them (each reminder is given once).
    pub async fn take_expiring(&self, before_ms: i64, now_ms: i64) -> MarketResult<Vec<Listing>> {
        let rows = sqlx::query(&format!(
            "SELECT {LISTING_COLUMNS} FROM market_listings l
             WHERE l.status = 'active' AND l.reminded_at_ms IS NULL
               AND l.expires_at_ms < $1 AND l.expires_at_ms > $2
             ORDER BY l.expires_at_ms LIMIT $3"
        ))
        .bind(before_ms)
        .bind(now_ms)
        .bind(LIST_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        let mut taken = Vec::new();
        for row in &rows {
            let listing = listing_of(row)?;
            let marked = sqlx::query(
                "UPDATE market_listings SET reminded_at_ms = $1 WHERE id = $2 AND reminded_at_ms IS NULL",
            )
            .bind(now_ms)
            .bind(listing.id)
            .execute(&self.pool)
            .await?;
            if marked.rows_affected() == 1 {
                taken.push(listing);
            }
        }
        Ok(taken)
    }

    // ----- categories -----

    /// The circle's category tree text, if its stewards edited it.
    pub async fn category_text(&self, circle: i64) -> MarketResult<Option<String>> {
        let row = sqlx::query("SELECT tree FROM market_categories WHERE circle = $1")
            .bind(circle)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub async fn set_category_text(
        &self,
        circle: i64,
        tree: &str,
        now_ms: i64,
    ) -> MarketResult<()> {
        sqlx::query(
            "INSERT INTO market_categories (circle, tree, updated_at_ms) VALUES ($1, $2, $3)
             ON CONFLICT (circle) DO UPDATE SET tree = excluded.tree, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(circle)
        .bind(tree)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // ----- events -----

    /// Records a member's answer to an event and moves the waiting list on. Returns the
    /// member's place and who moved up.
    pub async fn respond(
        &self,
        circle: i64,
        listing: i64,
        member: i64,
        answer: Answer,
        now_ms: i64,
    ) -> MarketResult<event::Outcome> {
        let mut tx = self.pool.begin().await?;
        // First: the circle's change number, which serialises places (see next_change).
        let change = Self::next_change(&mut tx, circle).await?;
        let row = sqlx::query(
            "SELECT event_capacity, event_starts FROM market_listings WHERE id = $1 AND circle = $2",
        )
        .bind(listing)
        .bind(circle)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(MarketError::NotFound)?;
        if row.try_get::<Option<i64>, _>("event_starts")?.is_none() {
            return Err(MarketError::NotAnEvent);
        }
        let capacity = row
            .try_get::<Option<i64>, _>("event_capacity")?
            .and_then(|c| u32::try_from(c).ok());
        let rsvps = Self::read_rsvps(&mut tx, listing).await?;
        let outcome = event::respond(&rsvps, capacity, member, answer, now_ms);
        Self::write_rsvps(&mut tx, listing, &outcome.rsvps).await?;
        // The listing changes too: fullness is part of how available it is.
        sqlx::query("UPDATE market_listings SET change_seq = $1 WHERE id = $2")
            .bind(change)
            .bind(listing)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.written(circle, listing).await?;
        Ok(outcome)
    }

    /// Everyone's answers to an event, in the order they first asked.
    pub async fn rsvps(&self, listing: i64) -> MarketResult<Vec<Rsvp>> {
        let rows = sqlx::query(
            "SELECT member, place, at_ms FROM market_rsvps WHERE listing = $1 ORDER BY at_ms, member",
        )
        .bind(listing)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rsvp_of).collect()
    }

    // ----- photos -----

    /// Adds a processed photo to the author's listing.
    pub async fn add_photo(
        &self,
        circle: i64,
        listing: i64,
        owner: i64,
        alt: &str,
        processed: &Processed,
        now_ms: i64,
    ) -> MarketResult<i64> {
        let found = self
            .listing(circle, listing)
            .await?
            .ok_or(MarketError::NotFound)?;
        if found.owner != owner {
            return Err(MarketError::NotYours);
        }
        let mut tx = self.pool.begin().await?;
        Self::next_change(&mut tx, circle).await?;
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM market_photos WHERE listing = $1")
            .bind(listing)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if count >= photo::PHOTOS_PER_LISTING_MAX as i64 {
            return Err(PhotoError::TooMany.into());
        }
        let row = sqlx::query(
            "INSERT INTO market_photos (listing, position, alt, full_jpeg, thumb_jpeg, width, height, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(listing)
        .bind(count)
        .bind(alt)
        .bind(processed.full_jpeg.clone())
        .bind(processed.thumb_jpeg.clone())
        .bind(i64::from(processed.width))
        .bind(i64::from(processed.height))
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.try_get(0)?)
    }

    /// The photos of a listing, in order.
    pub async fn photos(&self, listing: i64) -> MarketResult<Vec<PhotoInfo>> {
        let rows = sqlx::query(
            "SELECT id, listing, position, alt, width, height FROM market_photos
             WHERE listing = $1 ORDER BY position, id",
        )
        .bind(listing)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(photo_of).collect()
    }

    /// A photo's JPEG bytes (full or thumbnail), if it belongs to a listing of the circle.
    pub async fn photo_bytes(
        &self,
        circle: i64,
        listing: i64,
        photo: i64,
        thumb: bool,
    ) -> MarketResult<Option<Vec<u8>>> {
        let column = if thumb { "thumb_jpeg" } else { "full_jpeg" };
        let row = sqlx::query(&format!(
            "SELECT p.{column} FROM market_photos p JOIN market_listings l ON l.id = p.listing
             WHERE p.id = $1 AND p.listing = $2 AND l.circle = $3"
        ))
        .bind(photo)
        .bind(listing)
        .bind(circle)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// Removes a photo from the author's listing.
    pub async fn delete_photo(
        &self,
        circle: i64,
        listing: i64,
        owner: i64,
        photo: i64,
    ) -> MarketResult<()> {
        let found = self
            .listing(circle, listing)
            .await?
            .ok_or(MarketError::NotFound)?;
        if found.owner != owner {
            return Err(MarketError::NotYours);
        }
        let deleted = sqlx::query("DELETE FROM market_photos WHERE id = $1 AND listing = $2")
            .bind(photo)
            .bind(listing)
            .execute(&self.pool)
            .await?;
        if deleted.rows_affected() != 1 {
            return Err(MarketError::NotFound);
        }
        Ok(())
    }

    // ----- deals -----

    /// Opens a deal on a listing for `responder`, or returns the one they already have open.
    pub async fn open_deal(
        &self,
        circle: i64,
        listing: &Listing,
        responder: i64,
        now_ms: i64,
    ) -> MarketResult<(StoredDeal, bool)> {
        let opened = deal::open(listing.id, listing.side, listing.owner, responder)?;
        let mut tx = self.pool.begin().await?;
        Self::next_change(&mut tx, circle).await?;
        let existing = sqlx::query(&format!(
            "SELECT {DEAL_COLUMNS} FROM market_deals
             WHERE listing = $1 AND responder = $2 AND status NOT IN ('completed', 'cancelled')"
        ))
        .bind(listing.id)
        .bind(responder)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            return Ok((deal_of(&row)?, false));
        }
        let row = sqlx::query(
            "INSERT INTO market_deals (circle, listing, owner, responder, payer, status, version,
                 created_at_ms, updated_at_ms)
             VALUES ($1, $2, $3, $4, $5, 'open', 0, $6, $6) RETURNING id",
        )
        .bind(circle)
        .bind(listing.id)
        .bind(opened.owner)
        .bind(opened.responder)
        .bind(opened.payer)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get(0)?;
        tx.commit().await?;
        let stored = self.deal(circle, id).await?.ok_or(MarketError::NotFound)?;
        Ok((stored, true))
    }

    pub async fn deal(&self, circle: i64, id: i64) -> MarketResult<Option<StoredDeal>> {
        let row = sqlx::query(&format!(
            "SELECT {DEAL_COLUMNS} FROM market_deals WHERE id = $1 AND circle = $2"
        ))
        .bind(id)
        .bind(circle)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(deal_of).transpose()
    }

    /// Saves a deal's next state over the version it was decided on; `Conflict` when the deal
    /// changed meanwhile (the caller shows it again).
    pub async fn save_deal(
        &self,
        before: &StoredDeal,
        after: &Deal,
        now_ms: i64,
    ) -> MarketResult<StoredDeal> {
        let terms = after.terms.as_ref();
        let updated = sqlx::query(
            "UPDATE market_deals SET status = $1, terms_description = $2, terms_amount_minor = $3,
                 terms_proposed_by = $4, payment_seq = $5, version = version + 1, updated_at_ms = $6
             WHERE id = $7 AND circle = $8 AND version = $9",
        )
        .bind(after.status.as_str())
        .bind(terms.map(|t| t.description.clone()))
        .bind(terms.and_then(|t| t.amount_minor))
        .bind(terms.map(|t| t.proposed_by))
        .bind(after.payment_seq.map(|s| s as i64))
        .bind(now_ms)
        .bind(before.deal.id)
        .bind(before.circle)
        .bind(before.version)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(MarketError::Conflict);
        }
        self.deal(before.circle, before.deal.id)
            .await?
            .ok_or(MarketError::NotFound)
    }

    /// A member's deals in a circle, most recently changed first.
    pub async fn deals_of(&self, circle: i64, member: i64) -> MarketResult<Vec<StoredDeal>> {
        let rows = sqlx::query(&format!(
            "SELECT {DEAL_COLUMNS} FROM market_deals
             WHERE circle = $1 AND (owner = $2 OR responder = $2)
             ORDER BY updated_at_ms DESC, id DESC LIMIT $3"
        ))
        .bind(circle)
        .bind(member)
        .bind(LIST_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(deal_of).collect()
    }

    /// A member's completed deals (shown on their public page).
    pub async fn completed_deals_of(
        &self,
        circle: i64,
        member: i64,
    ) -> MarketResult<Vec<StoredDeal>> {
        Ok(self
            .deals_of(circle, member)
            .await?
            .into_iter()
            .filter(|d| d.deal.status == deal::Status::Completed)
            .collect())
    }

    /// Adds a message to a deal's conversation. In one transaction: the deal's own row moves
    /// its count (only below the conversation's cap; this also serialises writers), then the
    /// author's share is checked (half the conversation, and an hourly rate).
    pub async fn add_message(
        &self,
        deal: &StoredDeal,
        author: i64,
        body: &str,
        now_ms: i64,
    ) -> MarketResult<i64> {
        deal.deal.may_message(author)?;
        let mut tx = self.pool.begin().await?;
        let counted = sqlx::query(
            "UPDATE market_deals SET message_count = message_count + 1 WHERE id = $1 AND message_count < $2",
        )
        .bind(deal.deal.id)
        .bind(deal::MESSAGES_PER_DEAL_MAX as i64)
        .execute(&mut *tx)
        .await?;
        if counted.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(DealError::ConversationFull.into());
        }
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN created_at_ms > $3 THEN 1 ELSE 0 END), 0)
             FROM market_messages WHERE deal = $1 AND author = $2",
        )
        .bind(deal.deal.id)
        .bind(author)
        .bind(now_ms - 3_600_000)
        .fetch_one(&mut *tx)
        .await?;
        let (all, last_hour): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        if all >= deal::MESSAGES_PER_AUTHOR_MAX as i64
            || last_hour >= deal::MESSAGES_PER_AUTHOR_PER_HOUR_MAX as i64
        {
            tx.rollback().await?;
            return Err(DealError::MessagingTooMuch.into());
        }
        let row = sqlx::query(
            "INSERT INTO market_messages (deal, author, body, created_at_ms) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(deal.deal.id)
        .bind(author)
        .bind(body)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        let id = row.try_get(0)?;
        tx.commit().await?;
        Ok(id)
    }

    /// A deal's conversation, oldest first.
    pub async fn messages(&self, deal: i64) -> MarketResult<Vec<Message>> {
        let rows = sqlx::query(
            "SELECT id, author, body, created_at_ms FROM market_messages WHERE deal = $1 ORDER BY id LIMIT $2",
        )
        .bind(deal)
        .bind(deal::MESSAGES_PER_DEAL_MAX as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Message {
                    id: row.try_get("id")?,
                    author: row.try_get("author")?,
                    body: row.try_get("body")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }

    /// Leaves (or rewrites) one's thank-you on a completed deal.
    pub async fn thank(
        &self,
        deal: &StoredDeal,
        author: i64,
        body: &str,
        now_ms: i64,
    ) -> MarketResult<()> {
        deal.deal.may_thank(author, body)?;
        sqlx::query(
            "INSERT INTO market_thanks (deal, author, body, created_at_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (deal, author) DO UPDATE SET body = excluded.body, created_at_ms = excluded.created_at_ms",
        )
        .bind(deal.deal.id)
        .bind(author)
        .bind(body.trim())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Thank-yous a member received in a circle, newest first.
    pub async fn thanks_to(&self, circle: i64, member: i64) -> MarketResult<Vec<Thanks>> {
        self.thanks_where(
            circle,
            "((d.owner = $2 OR d.responder = $2) AND t.author <> $2)",
            member,
        )
        .await
    }

    /// Thank-yous on one deal.
    pub async fn thanks_on(&self, circle: i64, deal: i64) -> MarketResult<Vec<Thanks>> {
        self.thanks_where(circle, "d.id = $2", deal).await
    }

    async fn thanks_where(
        &self,
        circle: i64,
        condition: &str,
        value: i64,
    ) -> MarketResult<Vec<Thanks>> {
        let rows = sqlx::query(&format!(
            "SELECT t.deal, t.author, t.body, t.created_at_ms, d.owner, d.responder, l.title
             FROM market_thanks t JOIN market_deals d ON d.id = t.deal
             JOIN market_listings l ON l.id = d.listing
             WHERE d.circle = $1 AND {condition}
             ORDER BY t.created_at_ms DESC LIMIT $3"
        ))
        .bind(circle)
        .bind(value)
        .bind(LIST_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let author: i64 = row.try_get("author")?;
                let owner: i64 = row.try_get("owner")?;
                Ok(Thanks {
                    deal: row.try_get("deal")?,
                    author,
                    to: if author == owner {
                        row.try_get("responder")?
                    } else {
                        owner
                    },
                    listing_title: row.try_get("title")?,
                    body: row.try_get("body")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }

    // ----- notifications -----

    /// Notifies a member, unless they turned that kind off. Returns whether it was stored.
    pub async fn notify(&self, note: NewNotification, now_ms: i64) -> MarketResult<bool> {
        let inserted = sqlx::query(
            "INSERT INTO notifications (user_id, circle, kind, listing, other_listing, deal, proposal, created_at_ms)
             SELECT $1, $2, $3, $4, $5, $6, $8, $7
             WHERE $9 = 0 OR NOT EXISTS (SELECT 1 FROM notification_mutes WHERE user_id = $1 AND kind = $3)",
        )
        .bind(note.user)
        .bind(note.circle)
        .bind(note.kind.as_str())
        .bind(note.listing)
        .bind(note.other_listing)
        .bind(note.deal)
        .bind(now_ms)
        .bind(note.proposal)
        .bind(i64::from(note.kind.may_mute()))
        .execute(&self.pool)
        .await?;
        self.reads.generations.bump(note.user);
        Ok(inserted.rows_affected() == 1)
    }

    /// A member's notifications, newest first.
    pub async fn notifications(&self, user: i64, limit: i64) -> MarketResult<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT id, circle, kind, listing, other_listing, deal, proposal, created_at_ms, read_at_ms
             FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(user)
        .bind(limit.clamp(1, LIST_ROWS_MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Notification {
                    id: row.try_get("id")?,
                    circle: row.try_get("circle")?,
                    kind: NotificationKind::parse(&row.try_get::<String, _>("kind")?)
                        .ok_or_else(|| corrupt("notification kind"))?,
                    listing: row.try_get("listing")?,
                    other_listing: row.try_get("other_listing")?,
                    proposal: row.try_get("proposal")?,
                    deal: row.try_get("deal")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                    read: row.try_get::<Option<i64>, _>("read_at_ms")?.is_some(),
                })
            })
            .collect()
    }

    /// How many notifications a member has not read (remembered: every page shows it).
    pub async fn unread_count(&self, user: i64) -> MarketResult<i64> {
        self.reads
            .unread
            .get_or_read(&self.reads.generations, user, user, || async move {
                let row = sqlx::query(
                    "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at_ms IS NULL",
                )
                .bind(user)
                .fetch_one(&self.pool)
                .await?;
                Ok::<i64, MarketError>(row.try_get(0)?)
            })
            .await
    }

    /// Marks all of a member's notifications read.
    pub async fn mark_read(&self, user: i64, now_ms: i64) -> MarketResult<()> {
        sqlx::query(
            "UPDATE notifications SET read_at_ms = $1 WHERE user_id = $2 AND read_at_ms IS NULL",
        )
        .bind(now_ms)
        .bind(user)
        .execute(&self.pool)
        .await?;
        self.reads.generations.bump(user);
        Ok(())
    }

    /// The kinds a member turned off.
    pub async fn mutes(&self, user: i64) -> MarketResult<Vec<NotificationKind>> {
        let rows = sqlx::query("SELECT kind FROM notification_mutes WHERE user_id = $1")
            .bind(user)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| r.try_get::<String, _>(0).ok())
            .filter_map(|k| NotificationKind::parse(&k))
            .collect())
    }

    /// Sets which kinds a member wants (every other kind is turned off).
    pub async fn set_wanted(&self, user: i64, wanted: &[NotificationKind]) -> MarketResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM notification_mutes WHERE user_id = $1")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        for kind in NotificationKind::ALL
            .into_iter()
            .filter(|k| !wanted.contains(k))
        {
            sqlx::query("INSERT INTO notification_mutes (user_id, kind) VALUES ($1, $2)")
                .bind(user)
                .bind(kind.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The clock the store uses when a caller has none (tests pass their own).
    pub fn now_ms() -> i64 {
        now_ms()
    }
}
