//! Persistence of the market (listings, photos, event answers, deals, conversations,
//! thank-yous, notifications) over the node's database, with the same portable SQL on SQLite
//! and PostgreSQL; and each circle's search index, loaded from it and kept fresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

mod deals;
mod erasure;
mod events;
mod listings;
mod photos;
mod rows;

use rows::*;

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

/// A deal with its bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDeal {
    pub deal: Deal,
    pub circle: i64,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
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
    /// Bumped by every change this process makes or reads to the circle's listings and
    /// photos: views built from them are fresh while it stays the same.
    version: std::sync::atomic::AtomicU64,
}

/// The market's persistence and each circle's live search index.
#[derive(Debug, Clone)]
pub struct Market {
    pool: AnyPool,
    live: Arc<Mutex<HashMap<i64, Arc<Live>>>>,
}

impl Market {
    /// The market over the node's database (migrations are run by the ledger store).
    pub fn new(pool: AnyPool) -> Market {
        Market {
            pool,
            live: Arc::default(),
        }
    }

    fn live(&self, circle: i64) -> Arc<Live> {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.entry(circle).or_default().clone()
    }

    /// A number that changes whenever the circle's listings or photos do (as far as this
    /// process knows: changes by others are seen within [`INDEX_FRESHNESS_MS`]).
    pub async fn version(&self, circle: i64) -> MarketResult<u64> {
        self.with_index(circle, |_| ()).await?;
        Ok(self
            .live(circle)
            .version
            .load(std::sync::atomic::Ordering::Acquire))
    }

    fn touch(&self, circle: i64) {
        self.live(circle)
            .version
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
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
            if !rows.is_empty() {
                self.touch(circle);
            }
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
        self.touch(circle);
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
}
