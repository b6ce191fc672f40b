//! Persistence: one store contract over SQLite (the embedded default) and PostgreSQL.
//!
//! Both backends run the very same code through sqlx's `Any` driver with portable SQL (`$n`
//! placeholders, `INSERT ... ON CONFLICT`, `RETURNING`); only the migrations differ, in
//! `migrations/sqlite` and `migrations/postgres`. Appends go through one writer task per circle
//! ([`writer`]) that groups concurrent requests into one durable transaction.

// A refusal carries the amounts and unit a member needs to read; errors are rare, so their
// size on the error path is not worth a box.
#![allow(clippy::result_large_err)]

mod append;
pub mod cache;
mod exchange;
mod exchange_receive;
mod proofs;
mod read;
mod rows;
mod snapshot;
mod writer;

use rows::*;
use snapshot::{read_circle_checked, replay};

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, AnyRow};
use std::io::Write;

use sqlx::{Any, AnyConnection, AnyPool, Executor, Row, Transaction};
use thiserror::Error;
use tokio::sync::Mutex;

use crate::audit::{audit, AuditInput, AuditReport, Fault};
use crate::entry::{Body, Cause, Entry, SignedRequest, TreeHead};
use crate::export::{
    header_for, line_text, EntryLine, HeaderLine, Line, Memo, RawEntry, TreeHeadLine,
};
use crate::keys::{Hash, PublicKey, SecretKey, Signature};
use crate::merkle;
use crate::state::{Authority, CircleState, Refusal};
use cache::{weigh_one, Generations, ReadCache};

pub use exchange::{LinkRow, LocalPeers, Outcome, PeerError, Peers, WordAnswer};
pub use exchange_receive::{refusal_code, ReceiveError};
pub use writer::{Appended, WriterConfig};

/// Entries read per query when streaming a whole chain.
pub const READ_PAGE_ENTRIES: i64 = 10_000;
/// Most entries one `entries` call returns.
pub const LIST_ENTRIES_MAX: i64 = 1_000;
/// Most requests one `append_many` call takes.
pub const APPEND_BATCH_MAX: usize = 1_000;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Why a store operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("there is no circle called {0:?} on this node")]
    NoSuchCircle(String),
    #[error("a circle called {0:?} already exists on this node")]
    CircleExists(String),
    #[error(
        "the node is busy: {0} appends are already waiting for this circle; try again in a moment"
    )]
    Busy(usize),
    #[error("no such proof: {0}")]
    NoSuchProof(String),
    #[error("too many requests at once: send at most {0} in one batch")]
    BatchTooLarge(usize),
    #[error("there is no entry {0} in this circle")]
    NoSuchEntry(u64),
    #[error("the payment was not recorded: {0}. Nothing changed; try again")]
    NotWritten(String),
    #[error("the circle's writer stopped; try again")]
    WriterStopped,
    #[error("the stored ledger is inconsistent: {0}")]
    Corrupt(String),
    #[error("cannot write the output: {0}")]
    Io(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A circle as the node knows it.
#[derive(Debug, Clone)]
pub struct CircleInfo {
    pub row_id: i64,
    pub slug: String,
    pub circle_id: Hash,
    pub name: String,
    pub unit_name: String,
    pub unit_symbol: String,
    pub decimals: u8,
    pub head_seq: u64,
}

/// An account row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub key: PublicKey,
    pub floor_minor: i64,
    pub ceiling_minor: i64,
    pub balance_minor: i64,
    pub status: String,
}

/// An entry as stored, with its memo if it has one (and it was not erased).
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub entry: Entry,
    pub hash: Hash,
    pub memo: Option<Memo>,
}

/// Milliseconds since the Unix epoch, from the system clock.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Turns what a user typed (`postgres://...`, `sqlite:...`, or a file path) into a database URL.
pub fn database_url(text: &str) -> (Backend, String) {
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        (Backend::Postgres, text.to_owned())
    } else if text.starts_with("sqlite:") {
        let url = if text.contains('?') || text.contains(":memory:") {
            text.to_owned()
        } else {
            format!("{text}?mode=rwc")
        };
        (Backend::Sqlite, url)
    } else {
        (Backend::Sqlite, format!("sqlite://{text}?mode=rwc"))
    }
}

/// A node's ledger store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    writers: Arc<Mutex<HashMap<String, writer::WriterHandle>>>,
    config: WriterConfig,
    reads: Arc<LedgerReads>,
    /// How far this store's clock runs ahead of the system clock (see [`Store::advance_clock`]).
    clock_offset_ms: Arc<std::sync::atomic::AtomicI64>,
    /// Serialises deciding on a relayed payment, per receiving circle and transfer id (see
    /// `exchange_receive`).
    receiving: Arc<std::sync::Mutex<ReceivingLocks>>,
}

/// One lock per (receiving circle's row id, transfer id) being decided now.
type ReceivingLocks = HashMap<(i64, [u8; 16]), Arc<Mutex<()>>>;

/// Total weight of each cache of ledger reads (a page of entries weighs its length).
const CACHED_ENTRIES_MAX: u64 = 50_000;
/// Accounts, steward sets, key successors and circles remembered, per kind of read.
const CACHED_ANSWERS_MAX: u64 = 20_000;

/// (circle, the account's keys, with requests, before, limit).
type AccountEntriesKey = (i64, Vec<PublicKey>, bool, Option<u64>, i64);

/// Recent answers to the reads pages make on every request (see [`cache`]); the circle's row id
/// is the scope each answer is valid for.
#[derive(Debug)]
struct LedgerReads {
    generations: Generations,
    /// Row ids of circles by slug (a circle's slug never changes).
    rows: std::sync::Mutex<HashMap<String, i64>>,
    circles: ReadCache<i64, CircleInfo>,
    accounts: ReadCache<(i64, PublicKey), Option<AccountRow>>,
    authority: ReadCache<i64, Authority>,
    successors: ReadCache<(i64, PublicKey), Option<PublicKey>>,
    heads: ReadCache<i64, TreeHead>,
    entries: ReadCache<(i64, u64), StoredEntry>,
    pages: ReadCache<(i64, u64, u64), Vec<StoredEntry>>,
    account_entries: ReadCache<AccountEntriesKey, Vec<StoredEntry>>,
    open_requests: ReadCache<(i64, Vec<PublicKey>, i64), Vec<StoredEntry>>,
}

impl LedgerReads {
    fn new() -> LedgerReads {
        let weigh_list = |list: &Vec<StoredEntry>| list.len() as u64;
        LedgerReads {
            generations: Generations::default(),
            rows: std::sync::Mutex::new(HashMap::new()),
            circles: ReadCache::new(CACHED_ANSWERS_MAX, weigh_one),
            accounts: ReadCache::new(CACHED_ANSWERS_MAX, weigh_one),
            authority: ReadCache::new(CACHED_ANSWERS_MAX, weigh_one),
            successors: ReadCache::new(CACHED_ANSWERS_MAX, weigh_one),
            heads: ReadCache::new(CACHED_ANSWERS_MAX, weigh_one),
            entries: ReadCache::new(CACHED_ENTRIES_MAX, weigh_one),
            pages: ReadCache::new(CACHED_ENTRIES_MAX, weigh_list),
            account_entries: ReadCache::new(CACHED_ENTRIES_MAX, weigh_list),
            open_requests: ReadCache::new(CACHED_ENTRIES_MAX, weigh_list),
        }
    }

    fn row_of(&self, slug: &str) -> Option<i64> {
        self.rows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(slug)
            .copied()
    }

    fn learn_row(&self, slug: &str, row_id: i64) {
        self.rows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(slug.to_owned(), row_id);
    }
}

impl Store {
    /// Opens (creating if needed) the database at `location` and brings its schema up to date.
    pub async fn open(location: &str) -> Result<Store, StoreError> {
        Self::open_with(location, WriterConfig::default()).await
    }

    pub async fn open_with(location: &str, config: WriterConfig) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = database_url(location);
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(4)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL with synchronous=FULL: a commit is on disk before it is acknowledged.
                            conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;")
                                .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .connect(&url)
                    .await?
            }
        };
        match backend {
            Backend::Sqlite => sqlx::migrate!("../migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("../migrations/postgres").run(&pool).await?,
        }
        let store = Store {
            pool,
            backend,
            writers: Arc::new(Mutex::new(HashMap::new())),
            config,
            reads: Arc::new(LedgerReads::new()),
            clock_offset_ms: Arc::new(std::sync::atomic::AtomicI64::new(0)),
            receiving: Arc::default(),
        };
        // Logs written before subtree hashes were kept get them once. A damaged circle must not
        // keep the store from opening (its audit has to run): it is only logged.
        match store.circles().await {
            Ok(circles) => {
                for info in circles {
                    if let Err(error) = store.ensure_subtrees(&info).await {
                        tracing::warn!(circle = %info.slug, %error, "cannot store the Merkle subtrees of a circle");
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot list the circles to store their Merkle subtrees")
            }
        }
        Ok(store)
    }

    /// The time entries are recorded at, and the time governance decides by: the system clock,
    /// plus any offset [`Store::advance_clock`] added.
    pub fn now_ms(&self) -> i64 {
        now_ms()
            + self
                .clock_offset_ms
                .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Moves this store's clock forward (it never goes back), so that end-to-end tests and
    /// simulations can let a vote's days pass in a moment. Nothing in a node calls it.
    pub fn advance_clock(&self, ms: i64) {
        self.clock_offset_ms
            .fetch_add(ms.max(0), std::sync::atomic::Ordering::Relaxed);
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Stops the writers and closes the database.
    pub async fn close(&self) {
        self.writers.lock().await.clear();
        self.pool.close().await;
    }

    /// Creates a circle from a steward-signed genesis request and the node's tree-head key.
    pub async fn create_circle(
        &self,
        genesis: SignedRequest,
        node_key: &SecretKey,
    ) -> Result<CircleInfo, StoreError> {
        if !genesis.signature_is_valid() {
            return Err(Refusal::BadSignature.into());
        }
        let Body::Genesis {
            spec,
            node_key: named_key,
            ..
        } = &genesis.record.body
        else {
            return Err(Refusal::GenesisOutOfPlace.into());
        };
        if *named_key != node_key.public_key() {
            return Err(StoreError::Corrupt(
                "the genesis entry names a different node key".into(),
            ));
        }
        let slug = spec.slug.clone();
        let recorded_at_ms = self.now_ms();
        let entry = Entry {
            seq: 0,
            prev_hash: Hash::ZERO,
            recorded_at_ms,
            signed: genesis,
        };
        let hash = entry.hash();
        let state = CircleState::from_genesis(&entry, hash)?;
        if self.circle(&slug).await.is_ok() {
            return Err(StoreError::CircleExists(slug));
        }
        let mut tx = self.pool.begin().await?;
        let row_id: i64 = sqlx::query(
            "INSERT INTO circles (slug, circle_id, name, unit_name, unit_symbol, decimals, node_secret, head_seq, head_hash, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9) RETURNING id",
        )
        .bind(&state.spec.slug)
        .bind(hash.0.to_vec())
        .bind(&state.spec.name)
        .bind(&state.spec.unit_name)
        .bind(&state.spec.unit_symbol)
        .bind(i64::from(state.spec.decimals))
        .bind(node_key.seed().to_vec())
        .bind(hash.0.to_vec())
        .bind(recorded_at_ms)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let mut frontier = merkle::Frontier::default();
        frontier.push(hash);
        let head = TreeHead::sign(node_key, hash, 1, frontier.root(), recorded_at_ms);
        writer::insert_entries(&mut tx, self.backend, row_id, &[(entry, hash)]).await?;
        writer::insert_tree_head(&mut tx, row_id, &head).await?;
        tx.commit().await?;
        self.circle(&slug).await
    }

    /// The circle with this slug.
    pub async fn circle(&self, slug: &str) -> Result<CircleInfo, StoreError> {
        let Some(row_id) = self.reads.row_of(slug) else {
            // First sight of this slug: nothing to stamp an answer with yet.
            let info = read_circle(&mut *self.pool.acquire().await?, slug).await?;
            self.reads.learn_row(slug, info.row_id);
            return Ok(info);
        };
        self.remembered(&self.reads.circles, row_id, row_id, || async {
            read_circle(&mut *self.pool.acquire().await?, slug).await
        })
        .await
    }

    /// A read answered from memory when this process has not written to the circle since it was
    /// made (and it is younger than [`cache::READ_CACHE_TTL_MS`]), else by `read`. Public so
    /// that views derived only from a circle's ledger (a rendered page of it) can be remembered
    /// under the same rule.
    pub async fn remembered<K, V, E, Read, Fut>(
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
        Fut: Future<Output = Result<V, E>>,
    {
        cache
            .get_or_read(&self.reads.generations, row_id, key, read)
            .await
    }

    /// Marks every remembered read of a circle as out of date: called after each write to it.
    pub(crate) fn changed(&self, row_id: i64) {
        self.reads.generations.bump(row_id);
    }

    /// After the writer committed a batch: every remembered read of the circle is old, but what
    /// the writer knows for certain (its head, the accounts the batch touched, who holds power) is
    /// remembered afresh, so the next pages and appends need no database read for them.
    pub(crate) fn committed(
        &self,
        row_id: i64,
        head_seq: u64,
        accounts: Vec<AccountRow>,
        authority: Authority,
    ) {
        let reads = &self.reads;
        let known = reads
            .circles
            .get(&row_id, reads.generations.current(row_id));
        let generation = reads.generations.bump(row_id);
        if let Some(info) = known {
            reads
                .circles
                .put(row_id, generation, CircleInfo { head_seq, ..info });
        }
        for account in accounts {
            reads
                .accounts
                .put((row_id, account.key), generation, Some(account));
        }
        reads.authority.put(row_id, generation, authority);
    }

    /// Every circle on this node, by slug.
    pub async fn circles(&self) -> Result<Vec<CircleInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, slug, circle_id, name, unit_name, unit_symbol, decimals, head_seq FROM circles ORDER BY slug",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(circle_from_row).collect()
    }

    /// The circle's node key, for the node's signatures over the circle's other logs (the
    /// moderation log's heads). Each such log signs under its own domain tag, so nothing it
    /// signs can be read as a ledger tree head or entry.
    pub async fn node_secret(&self, info: &CircleInfo) -> Result<SecretKey, StoreError> {
        let seed: Vec<u8> = sqlx::query("SELECT node_secret FROM circles WHERE id = $1")
            .bind(info.row_id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| StoreError::Corrupt("the node key is not 32 bytes".into()))?;
        Ok(SecretKey::from_seed(seed))
    }
}
