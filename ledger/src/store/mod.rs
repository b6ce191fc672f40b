//! Persistence: one store contract over SQLite (the embedded default) and PostgreSQL.
//!
//! Both backends run the very same code through sqlx's `Any` driver with portable SQL (`$n`
//! placeholders, `INSERT ... ON CONFLICT`, `RETURNING`); only the migrations differ, in
//! `migrations/sqlite` and `migrations/postgres`. Appends go through one writer task per circle
//! ([`writer`]) that groups concurrent requests into one durable transaction.

// A refusal carries the amounts and unit a member needs to read; errors are rare, so their
// size on the error path is not worth a box.
#![allow(clippy::result_large_err)]

pub mod cache;
mod writer;

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
use crate::state::{CircleState, Refusal};
use cache::{weigh_one, Generations, ReadCache};

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
}

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
    stewards: ReadCache<i64, BTreeSet<PublicKey>>,
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
            stewards: ReadCache::new(CACHED_ANSWERS_MAX, weigh_one),
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
        } = &genesis.request.body
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
    /// the writer knows for certain (its head, the accounts the batch touched, its stewards) is
    /// remembered afresh, so the next pages and appends need no database read for them.
    pub(crate) fn committed(
        &self,
        row_id: i64,
        head_seq: u64,
        accounts: Vec<AccountRow>,
        stewards: &BTreeSet<PublicKey>,
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
        reads.stewards.put(row_id, generation, stewards.clone());
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

    /// Appends a signed request to its circle. Concurrent appends share one transaction.
    ///
    /// Submitting the very same signed request again returns the entry it already made
    /// (`duplicate: true`) instead of applying it twice.
    pub async fn append(
        &self,
        slug: &str,
        signed: SignedRequest,
        memo: Option<Memo>,
    ) -> Result<Appended, StoreError> {
        crate::state::check_submission(&signed, memo.as_ref())?;
        let handle = self.writer(slug).await?;
        let bytes = signed.bytes.clone();
        let answer = handle.submit(signed, memo).await;
        self.same_as_before(slug, &bytes, answer).await
    }

    /// Applies a passed proposal's actions as an enactment signed by the circle's node key
    /// (which never leaves the store). The nonce is derived from the proposal's hash, so
    /// enacting the same decision again is the same signed request and answers as a duplicate.
    pub async fn enact(
        &self,
        info: &CircleInfo,
        proposal: Hash,
        board_root: Hash,
        actions: Vec<crate::entry::Action>,
    ) -> Result<Appended, StoreError> {
        let seed: Vec<u8> = sqlx::query("SELECT node_secret FROM circles WHERE id = $1")
            .bind(info.row_id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| StoreError::Corrupt("the node key is not 32 bytes".into()))?;
        let node_key = SecretKey::from_seed(seed);
        let digest = Hash::sha256(&[b"commons.ledger.enact-nonce", &proposal.0]);
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&digest.0[..16]);
        let signed = crate::entry::Request {
            circle_id: info.circle_id,
            author: node_key.public_key(),
            nonce: crate::keys::Nonce(nonce),
            body: Body::Enact {
                proposal,
                board_root,
                actions,
            },
        }
        .sign(&node_key);
        self.append(&info.slug, signed, None).await
    }

    /// Appends many signed requests to one circle at once (an API batch, an import): each is
    /// checked and applied on its own, in order, as if appended one after another, and they
    /// share the writer's transactions. At most [`APPEND_BATCH_MAX`].
    pub async fn append_many(
        &self,
        slug: &str,
        requests: Vec<(SignedRequest, Option<Memo>)>,
    ) -> Result<Vec<Result<Appended, StoreError>>, StoreError> {
        if requests.len() > APPEND_BATCH_MAX {
            return Err(StoreError::BatchTooLarge(APPEND_BATCH_MAX));
        }
        let handle = self.writer(slug).await?;
        let mut checked: Vec<Option<StoreError>> = Vec::with_capacity(requests.len());
        let mut submitted = Vec::new();
        let mut bytes = Vec::new();
        for (signed, memo) in requests {
            match crate::state::check_submission(&signed, memo.as_ref()) {
                Ok(()) => {
                    checked.push(None);
                    bytes.push(signed.bytes.clone());
                    submitted.push((signed, memo));
                }
                Err(refusal) => checked.push(Some(refusal.into())),
            }
        }
        let mut answers = handle.submit_many(submitted).await.into_iter().zip(bytes);
        let mut results = Vec::with_capacity(checked.len());
        for refused in checked {
            results.push(match refused {
                Some(error) => Err(error),
                None => match answers.next() {
                    Some((answer, bytes)) => self.same_as_before(slug, &bytes, answer).await,
                    None => Err(StoreError::WriterStopped),
                },
            });
        }
        Ok(results)
    }

    /// A request refused for reusing a nonce is answered with its earlier entry when it is the
    /// very same signed request (a retry), so nobody pays twice by retrying.
    async fn same_as_before(
        &self,
        slug: &str,
        bytes: &[u8],
        answer: Result<Appended, StoreError>,
    ) -> Result<Appended, StoreError> {
        match answer {
            Err(StoreError::Refused(Refusal::NonceReused { seq })) => {
                let info = self.circle(slug).await?;
                let earlier = self.entry(&info, seq).await?;
                if earlier.entry.signed.bytes == bytes {
                    Ok(Appended {
                        seq,
                        hash: earlier.hash,
                        duplicate: true,
                    })
                } else {
                    Err(Refusal::NonceReused { seq }.into())
                }
            }
            other => other,
        }
    }

    /// The running writer of a circle, started on first use (no database round trip after that).
    async fn writer(&self, slug: &str) -> Result<writer::WriterHandle, StoreError> {
        let mut writers = self.writers.lock().await;
        if let Some(handle) = writers.get(slug) {
            if !handle.is_closed() {
                return Ok(handle.clone());
            }
        }
        let info = self.circle(slug).await?;
        let handle = writer::spawn(self.clone(), info.row_id, self.config.clone()).await?;
        writers.insert(slug.to_owned(), handle.clone());
        Ok(handle)
    }

    /// Recomputes a circle's state from its stored log (signatures were checked on append).
    pub async fn load_state(
        &self,
        row_id: i64,
    ) -> Result<(CircleState, merkle::Frontier), StoreError> {
        replay(&mut *self.pool.acquire().await?, row_id).await
    }

    async fn entry_page(
        &self,
        row_id: i64,
        from_seq: i64,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        read_entry_page(&mut *self.pool.acquire().await?, row_id, from_seq, limit).await
    }

    /// Entries of a circle from `from_seq` on, at most `limit` (capped at [`LIST_ENTRIES_MAX`]).
    pub async fn entries(
        &self,
        info: &CircleInfo,
        from_seq: u64,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        self.entry_page(
            info.row_id,
            from_seq as i64,
            limit.clamp(1, LIST_ENTRIES_MAX),
        )
        .await
    }

    /// Entries of one kind, from `from_seq` on, at most `limit` (capped at
    /// [`LIST_ENTRIES_MAX`]); e.g. every enactment (kind 11), a page at a time.
    pub async fn entries_of_kind(
        &self,
        info: &CircleInfo,
        kind: u8,
        from_seq: u64,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.seq, e.entry_hash, e.prev_hash, e.recorded_at_ms, e.request, e.signature, m.salt, m.text
             FROM entries e LEFT JOIN memos m ON m.circle = e.circle AND m.seq = e.seq
             WHERE e.circle = $1 AND e.kind = $2 AND e.seq >= $3 ORDER BY e.seq LIMIT $4",
        )
        .bind(info.row_id)
        .bind(i64::from(kind))
        .bind(from_seq as i64)
        .bind(limit.clamp(1, LIST_ENTRIES_MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored_entry_from_row).collect()
    }

    /// Up to `limit` entries just before entry `before`, newest first (a page of the log read
    /// backwards; `before` is usually the tree size).
    pub async fn entries_before(
        &self,
        info: &CircleInfo,
        before: u64,
        limit: u64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let from = before.saturating_sub(limit);
        if before <= from {
            return Ok(Vec::new());
        }
        self.remembered(
            &self.reads.pages,
            info.row_id,
            (info.row_id, before, limit),
            || async {
                let mut entries = self.entries(info, from, (before - from) as i64).await?;
                entries.retain(|stored| stored.entry.seq < before);
                entries.reverse();
                Ok(entries)
            },
        )
        .await
    }

    /// The most recent entries of a circle, newest first.
    pub async fn recent_entries(
        &self,
        info: &CircleInfo,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let size = self.latest_tree_head(info).await?.tree_size;
        self.entries_before(info, size, limit.clamp(1, LIST_ENTRIES_MAX) as u64)
            .await
    }

    pub(crate) async fn entry_in(&self, row_id: i64, seq: u64) -> Result<StoredEntry, StoreError> {
        self.entry_page(row_id, seq as i64, 1)
            .await?
            .into_iter()
            .find(|stored| stored.entry.seq == seq)
            .ok_or(StoreError::NoSuchEntry(seq))
    }

    pub async fn entry(&self, info: &CircleInfo, seq: u64) -> Result<StoredEntry, StoreError> {
        self.remembered(&self.reads.entries, info.row_id, (info.row_id, seq), || {
            self.entry_in(info.row_id, seq)
        })
        .await
    }

    /// The stored accounts of a circle, richest first.
    pub async fn accounts(&self, info: &CircleInfo) -> Result<Vec<AccountRow>, StoreError> {
        read_accounts(&mut *self.pool.acquire().await?, info.row_id).await
    }

    /// One account's stored row (under its current key), if the circle has it.
    pub async fn account(
        &self,
        info: &CircleInfo,
        key: &PublicKey,
    ) -> Result<Option<AccountRow>, StoreError> {
        self.remembered(
            &self.reads.accounts,
            info.row_id,
            (info.row_id, *key),
            || async {
                let row = sqlx::query(
                    "SELECT account_key, floor_minor, ceiling_minor, balance_minor, status FROM accounts WHERE circle = $1 AND account_key = $2",
                )
                .bind(info.row_id)
                .bind(key.as_bytes().to_vec())
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(account_from_row).transpose()
            },
        )
        .await
    }

    /// The circle's current steward keys, from its genesis and steward entries (a few rows).
    pub async fn stewards(&self, info: &CircleInfo) -> Result<BTreeSet<PublicKey>, StoreError> {
        self.remembered(&self.reads.stewards, info.row_id, info.row_id, || {
            self.read_stewards(info)
        })
        .await
    }

    async fn read_stewards(&self, info: &CircleInfo) -> Result<BTreeSet<PublicKey>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, request FROM entries WHERE circle = $1 AND kind IN (1, 9, 10, 11) ORDER BY seq",
        )
        .bind(info.row_id)
        .fetch_all(&self.pool)
        .await?;
        let mut stewards = BTreeSet::new();
        for row in &rows {
            let bytes: Vec<u8> = row.try_get("request")?;
            let request = crate::entry::Request::decode(&bytes).map_err(|error| {
                StoreError::Corrupt(format!("an entry cannot be read: {error}"))
            })?;
            match request.body {
                Body::Genesis { stewards: keys, .. } => stewards.extend(keys),
                Body::AddSteward { key } => {
                    stewards.insert(key);
                }
                Body::RemoveSteward { key } => {
                    stewards.remove(&key);
                }
                Body::Enact { actions, .. } => {
                    for action in actions {
                        match action {
                            crate::entry::Action::AddSteward { key } => {
                                stewards.insert(key);
                            }
                            crate::entry::Action::RemoveSteward { key } => {
                                stewards.remove(&key);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(stewards)
    }

    /// The limits a new account gets now: the genesis defaults, or those of the latest
    /// enactment that changed them.
    pub async fn default_limits(&self, info: &CircleInfo) -> Result<(i64, i64), StoreError> {
        let rows = sqlx::query(
            "SELECT request FROM entries WHERE circle = $1 AND kind IN (1, 11) ORDER BY seq",
        )
        .bind(info.row_id)
        .fetch_all(&self.pool)
        .await?;
        let mut limits = None;
        for row in &rows {
            let bytes: Vec<u8> = row.try_get("request")?;
            let request = crate::entry::Request::decode(&bytes).map_err(|error| {
                StoreError::Corrupt(format!("an entry cannot be read: {error}"))
            })?;
            match request.body {
                Body::Genesis { spec, .. } => {
                    limits = Some((spec.default_floor_minor, spec.default_ceiling_minor))
                }
                Body::Enact { actions, .. } => {
                    for action in actions {
                        if let crate::entry::Action::SetDefaultLimits {
                            floor_minor,
                            ceiling_minor,
                        } = action
                        {
                            limits = Some((floor_minor, ceiling_minor));
                        }
                    }
                }
                _ => {}
            }
        }
        limits.ok_or_else(|| StoreError::Corrupt("the circle has no genesis entry".into()))
    }

    /// The key an account moved to from `key` (its `rotate-key` entry), if it moved.
    pub async fn key_successor(
        &self,
        info: &CircleInfo,
        key: &PublicKey,
    ) -> Result<Option<PublicKey>, StoreError> {
        self.remembered(
            &self.reads.successors,
            info.row_id,
            (info.row_id, *key),
            || self.read_key_successor(info, key),
        )
        .await
    }

    async fn read_key_successor(
        &self,
        info: &CircleInfo,
        key: &PublicKey,
    ) -> Result<Option<PublicKey>, StoreError> {
        let rows =
            sqlx::query("SELECT request FROM entries WHERE circle = $1 AND kind = 4 ORDER BY seq")
                .bind(info.row_id)
                .fetch_all(&self.pool)
                .await?;
        for row in &rows {
            let bytes: Vec<u8> = row.try_get("request")?;
            let request = crate::entry::Request::decode(&bytes).map_err(|error| {
                StoreError::Corrupt(format!("an entry cannot be read: {error}"))
            })?;
            if let Body::RotateKey { old, new } = request.body {
                if old == *key {
                    return Ok(Some(new));
                }
            }
        }
        Ok(None)
    }

    /// Transfers (and, with `with_requests`, payment requests) paid or received by any of `keys`
    /// (an account's keys over time), newest first, before entry `before_seq` if given.
    pub async fn account_entries(
        &self,
        info: &CircleInfo,
        keys: &[PublicKey],
        with_requests: bool,
        before_seq: Option<u64>,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.remembered(
            &self.reads.account_entries,
            info.row_id,
            (info.row_id, keys.to_vec(), with_requests, before_seq, limit),
            || self.read_account_entries(info, keys, with_requests, before_seq, limit),
        )
        .await
    }

    async fn read_account_entries(
        &self,
        info: &CircleInfo,
        keys: &[PublicKey],
        with_requests: bool,
        before_seq: Option<u64>,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let list = placeholders_from(4, keys.len());
        let kinds = if with_requests { "5, 6" } else { "5" };
        let sql = format!(
            "SELECT e.seq, e.entry_hash, e.prev_hash, e.recorded_at_ms, e.request, e.signature, m.salt, m.text
             FROM entries e LEFT JOIN memos m ON m.circle = e.circle AND m.seq = e.seq
             WHERE e.circle = $1 AND e.seq < $2 AND e.kind IN ({kinds})
               AND (e.payer IN ({list}) OR e.payee IN ({list}))
             ORDER BY e.seq DESC LIMIT $3"
        );
        let mut query = sqlx::query(&sql)
            .bind(info.row_id)
            .bind(before_seq.map_or(i64::MAX, |seq| seq as i64))
            .bind(limit.clamp(1, LIST_ENTRIES_MAX));
        for key in keys {
            query = query.bind(key.as_bytes().to_vec());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(stored_entry_from_row).collect()
    }

    /// Payment requests still open (neither accepted nor closed) that any of `keys` must pay or
    /// will receive, oldest first, at most `limit`.
    pub async fn open_requests(
        &self,
        info: &CircleInfo,
        keys: &[PublicKey],
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.remembered(
            &self.reads.open_requests,
            info.row_id,
            (info.row_id, keys.to_vec(), limit),
            || self.read_open_requests(info, keys, limit),
        )
        .await
    }

    async fn read_open_requests(
        &self,
        info: &CircleInfo,
        keys: &[PublicKey],
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let list = placeholders_from(3, keys.len());
        let sql = format!(
            "SELECT e.seq, e.entry_hash, e.prev_hash, e.recorded_at_ms, e.request, e.signature, m.salt, m.text
             FROM entries e LEFT JOIN memos m ON m.circle = e.circle AND m.seq = e.seq
             WHERE e.circle = $1 AND e.kind = 6 AND (e.payer IN ({list}) OR e.payee IN ({list}))
               AND NOT EXISTS (SELECT 1 FROM entries c WHERE c.circle = e.circle AND c.refers_to = e.entry_hash)
             ORDER BY e.seq LIMIT $2"
        );
        let mut query = sqlx::query(&sql)
            .bind(info.row_id)
            .bind(limit.clamp(1, LIST_ENTRIES_MAX));
        for key in keys {
            query = query.bind(key.as_bytes().to_vec());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(stored_entry_from_row).collect()
    }

    /// The latest tree head the node signed for a circle.
    pub async fn latest_tree_head(&self, info: &CircleInfo) -> Result<TreeHead, StoreError> {
        self.remembered(&self.reads.heads, info.row_id, info.row_id, || async {
            read_tree_head(&mut *self.pool.acquire().await?, info).await
        })
        .await
    }

    /// Erases a memo's text and salt; the entry, its hash and signature stay valid.
    pub async fn erase_memo(&self, info: &CircleInfo, seq: u64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM memos WHERE circle = $1 AND seq = $2")
            .bind(info.row_id)
            .bind(seq as i64)
            .execute(&self.pool)
            .await?;
        self.changed(info.row_id);
        Ok(done.rows_affected() > 0)
    }

    /// The entry hashes of a circle in order: the leaves of its Merkle tree.
    pub async fn leaf_hashes(&self, info: &CircleInfo) -> Result<Vec<Hash>, StoreError> {
        let rows = sqlx::query("SELECT entry_hash FROM entries WHERE circle = $1 ORDER BY seq")
            .bind(info.row_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| hash(&row.try_get::<Vec<u8>, _>(0)?))
            .collect()
    }

    /// Proof that entry `seq` is in the tree of the first `tree_size` entries: O(log n) reads of
    /// stored perfect subtrees (and entry hashes), never the whole log.
    pub async fn inclusion_proof(
        &self,
        info: &CircleInfo,
        seq: u64,
        tree_size: u64,
    ) -> Result<Vec<Hash>, StoreError> {
        let size = self.latest_tree_head(info).await?.tree_size;
        if seq >= tree_size || tree_size > size {
            return Err(StoreError::NoSuchProof(format!(
                "entry {seq} is not in a tree of {tree_size} entries (the log has {size})"
            )));
        }
        let plan = merkle::inclusion_plan(seq, tree_size);
        let wanted: Vec<merkle::Subtree> = plan.iter().flatten().copied().collect();
        let known = self.subtree_hashes(info.row_id, &wanted).await?;
        plan.iter()
            .map(|parts| {
                let hashes = parts
                    .iter()
                    .map(|part| {
                        known.get(part).copied().ok_or_else(|| {
                            StoreError::Corrupt(format!(
                                "the stored Merkle subtree {}/{} is missing",
                                part.level, part.index
                            ))
                        })
                    })
                    .collect::<Result<Vec<Hash>, StoreError>>()?;
                Ok(merkle::combine(&hashes))
            })
            .collect()
    }

    /// The hashes of these perfect subtrees (level 0: the entry hashes), in one query each.
    async fn subtree_hashes(
        &self,
        row_id: i64,
        wanted: &[merkle::Subtree],
    ) -> Result<HashMap<merkle::Subtree, Hash>, StoreError> {
        let mut known = HashMap::new();
        let (leaves, nodes): (Vec<&merkle::Subtree>, Vec<&merkle::Subtree>) =
            wanted.iter().partition(|s| s.level == 0);
        if !leaves.is_empty() {
            let list = placeholders_from(2, leaves.len());
            let sql = format!(
                "SELECT seq, entry_hash FROM entries WHERE circle = $1 AND seq IN ({list})"
            );
            let mut query = sqlx::query(&sql).bind(row_id);
            for leaf in &leaves {
                query = query.bind(leaf.index as i64);
            }
            for row in query.fetch_all(&self.pool).await? {
                let seq: i64 = row.try_get(0)?;
                known.insert(
                    merkle::Subtree {
                        level: 0,
                        index: seq as u64,
                    },
                    hash(&row.try_get::<Vec<u8>, _>(1)?)?,
                );
            }
        }
        if !nodes.is_empty() {
            let pairs: Vec<String> = (0..nodes.len())
                .map(|n| format!("(level = ${} AND idx = ${})", 2 + 2 * n, 3 + 2 * n))
                .collect();
            let sql = format!(
                "SELECT level, idx, hash FROM merkle_subtrees WHERE circle = $1 AND ({})",
                pairs.join(" OR ")
            );
            let mut query = sqlx::query(&sql).bind(row_id);
            for node in &nodes {
                query = query.bind(i64::from(node.level)).bind(node.index as i64);
            }
            for row in query.fetch_all(&self.pool).await? {
                let (level, index): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
                known.insert(
                    merkle::Subtree {
                        level: level as u32,
                        index: index as u64,
                    },
                    hash(&row.try_get::<Vec<u8>, _>(2)?)?,
                );
            }
        }
        Ok(known)
    }

    /// Stores any perfect subtree hash a circle lacks (a log written before they were kept),
    /// from its entry hashes, page by page. Returns how many were added.
    pub async fn ensure_subtrees(&self, info: &CircleInfo) -> Result<u64, StoreError> {
        let size = self.latest_tree_head(info).await?.tree_size;
        let expected = size - u64::from(size.count_ones());
        let stored: i64 = sqlx::query("SELECT COUNT(*) FROM merkle_subtrees WHERE circle = $1")
            .bind(info.row_id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        if stored as u64 >= expected {
            return Ok(0);
        }
        let mut frontier = merkle::Frontier::default();
        let mut pending = Vec::new();
        while frontier.size() < size {
            let page = self
                .entry_page(info.row_id, frontier.size() as i64, READ_PAGE_ENTRIES)
                .await?;
            if page.is_empty() {
                break;
            }
            for stored in &page {
                frontier.push_collecting(stored.hash, &mut pending);
            }
            let mut tx = self.pool.begin().await?;
            writer::insert_subtrees(&mut tx, self.backend, info.row_id, &pending).await?;
            tx.commit().await?;
            pending.clear();
        }
        Ok(expected - stored as u64)
    }

    /// Proof that the tree of the first `size1` entries is a prefix of the tree of `size2`.
    pub async fn consistency_proof(
        &self,
        info: &CircleInfo,
        size1: u64,
        size2: u64,
    ) -> Result<Vec<Hash>, StoreError> {
        let leaves = self.leaf_hashes(info).await?;
        if size1 == 0 || size1 > size2 || size2 as usize > leaves.len() {
            return Err(StoreError::NoSuchProof(format!(
                "a consistency proof needs 1 <= {size1} <= {size2} <= {} entries",
                leaves.len()
            )));
        }
        Ok(merkle::consistency_proof(
            &leaves[..size2 as usize],
            size1 as usize,
        ))
    }

    /// A read-only transaction in which every read sees the same committed state (SQLite: a
    /// WAL read snapshot from the first read; PostgreSQL: REPEATABLE READ), so that audits and
    /// exports of a live node never see half of a batch.
    async fn snapshot(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// Writes a circle's JSON Lines export to `out` from one consistent snapshot, streaming the
    /// entries page by page; returns how many entries were written. Without memos the export
    /// still verifies completely (entries commit to memos by salted hash only), so it can be
    /// shared beyond the circle without its members' private notes.
    pub async fn export_to(
        &self,
        info: &CircleInfo,
        out: &mut (dyn Write + Send),
        include_memos: bool,
    ) -> Result<u64, StoreError> {
        let mut tx = self.snapshot().await?;
        let head = read_tree_head(&mut tx, info).await?;
        let (state, _) = replay(&mut tx, info.row_id).await?;
        let io = |error: std::io::Error| StoreError::Io(error.to_string());
        out.write_all(line_text(&Line::Header(header_for(&state))).as_bytes())
            .map_err(io)?;
        let mut written = 0u64;
        loop {
            let page =
                read_entry_page(&mut tx, info.row_id, written as i64, READ_PAGE_ENTRIES).await?;
            if page.is_empty() {
                break;
            }
            for stored in page {
                let raw =
                    RawEntry::from_entry(&stored.entry, stored.memo.filter(|_| include_memos));
                out.write_all(
                    line_text(&Line::Entry(EntryLine::from_raw(&raw, &stored.hash))).as_bytes(),
                )
                .map_err(io)?;
                written += 1;
            }
        }
        out.write_all(line_text(&Line::TreeHead(TreeHeadLine::from_head(&head))).as_bytes())
            .map_err(io)?;
        tx.rollback().await?;
        Ok(written)
    }

    /// Everything needed to audit or export a circle, in memory, from one consistent snapshot.
    pub async fn export_parts(
        &self,
        info: &CircleInfo,
    ) -> Result<(HeaderLine, Vec<RawEntry>, TreeHead), StoreError> {
        let mut tx = self.snapshot().await?;
        let head = read_tree_head(&mut tx, info).await?;
        let (state, _) = replay(&mut tx, info.row_id).await?;
        let mut raws = Vec::new();
        loop {
            let page =
                read_entry_page(&mut tx, info.row_id, raws.len() as i64, READ_PAGE_ENTRIES).await?;
            if page.is_empty() {
                break;
            }
            raws.extend(
                page.into_iter()
                    .map(|stored| RawEntry::from_entry(&stored.entry, stored.memo)),
            );
        }
        tx.rollback().await?;
        Ok((header_for(&state), raws, head))
    }

    /// Audits a circle in the database: everything `audit` checks on an export, plus that the
    /// stored columns (amounts, parties, hashes) and the stored balances match the signed log.
    pub async fn audit(
        &self,
        slug: &str,
        trusted_head: Option<TreeHead>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<AuditReport, StoreError> {
        // Everything is read from one snapshot, so a live node's appends cannot make a clean
        // ledger look inconsistent (entries beyond the tree head, balances from a later batch).
        let mut tx = self.snapshot().await?;
        let (info, mismatches) = read_circle_checked(&mut tx, slug).await?;
        let head_hash: Vec<u8> = sqlx::query("SELECT head_hash FROM circles WHERE id = $1")
            .bind(info.row_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        // A missing tree head is a finding about the ledger, not a reason the audit cannot run.
        let head = read_tree_head(&mut tx, &info).await.ok();
        let mut problems: Vec<String> = mismatches
            .into_iter()
            .map(|m| format!("circle settings: {m}"))
            .collect();
        if head.is_none() {
            problems.push("no signed tree head is stored for this circle".to_owned());
        }
        let mut entries = Vec::new();
        let mut column_faults = Vec::new();
        let mut from_seq = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT e.seq, e.entry_hash, e.prev_hash, e.recorded_at_ms, e.request, e.signature, e.kind, e.author, e.payer, e.payee, e.amount_minor, e.refers_to, m.salt, m.text
                 FROM entries e LEFT JOIN memos m ON m.circle = e.circle AND m.seq = e.seq
                 WHERE e.circle = $1 AND e.seq >= $2 ORDER BY e.seq LIMIT $3",
            )
            .bind(info.row_id)
            .bind(from_seq)
            .bind(READ_PAGE_ENTRIES)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            from_seq = rows
                .last()
                .map(|row| row.try_get::<i64, _>("seq"))
                .transpose()?
                .unwrap_or(from_seq)
                + 1;
            for row in &rows {
                let raw = raw_entry_from_row(row);
                if let Ok(raw) = &raw {
                    if let Err(error) = check_columns(row, raw, &mut column_faults) {
                        column_faults.push(Fault {
                            entry: Some(raw.seq),
                            what: format!("its stored columns cannot be read: {error}"),
                        });
                    }
                }
                entries.push(raw.map_err(|error| error.to_string()));
            }
        }
        let mut report = audit(
            AuditInput {
                header: None,
                entries,
                tree_head: head,
                trusted_head,
                problems,
            },
            progress,
        );
        report.faults.extend(column_faults);
        let stored = read_accounts(&mut tx, info.row_id).await?;
        tx.rollback().await?;
        if let Some(state) = &report.state {
            let mut seen = 0usize;
            for row in &stored {
                match state.accounts.get(&row.key) {
                    None => report.faults.push(Fault {
                        entry: None,
                        what: format!(
                            "account {} is stored but no entry opened it",
                            row.key.short()
                        ),
                    }),
                    Some(account) => {
                        seen += 1;
                        if account.balance_minor != row.balance_minor
                            || account.floor_minor != row.floor_minor
                            || account.ceiling_minor != row.ceiling_minor
                            || account.status.as_str() != row.status
                        {
                            report.faults.push(Fault {
                                entry: None,
                                what: format!(
                                    "account {}: stored balance {} (floor {}, ceiling {}, {}) but the log gives {} (floor {}, ceiling {}, {})",
                                    row.key.short(),
                                    state.money(row.balance_minor),
                                    state.money(row.floor_minor),
                                    state.money(row.ceiling_minor),
                                    row.status,
                                    state.money(account.balance_minor),
                                    state.money(account.floor_minor),
                                    state.money(account.ceiling_minor),
                                    account.status.as_str()
                                ),
                            });
                        }
                    }
                }
            }
            if seen != state.accounts.len() {
                report.faults.push(Fault {
                    entry: None,
                    what: format!(
                        "{} accounts in the log have no stored row",
                        state.accounts.len() - seen
                    ),
                });
            }
            if head_hash != state.head.0 {
                report.faults.push(Fault {
                    entry: None,
                    what: "the circle's stored head hash is not the hash of its last entry".into(),
                });
            }
            if state.next_seq != info.head_seq + 1 {
                report.faults.push(Fault {
                    entry: None,
                    what: format!(
                        "the circle's stored head is {}, the log ends at {}",
                        info.head_seq,
                        state.next_seq - 1
                    ),
                });
            }
        }
        Ok(report)
    }
}

/// Reads a circle, taking its settings from its signed genesis entry (never from the editable
/// row alone). A row that disagrees with the genesis is refused: amounts would be parsed with the
/// wrong number of decimals, or payments sent to the wrong circle.
async fn read_circle(conn: &mut AnyConnection, slug: &str) -> Result<CircleInfo, StoreError> {
    let (info, mismatches) = read_circle_checked(conn, slug).await?;
    if !mismatches.is_empty() {
        return Err(StoreError::Corrupt(format!(
            "the circle's stored settings differ from its signed genesis entry ({}); run `commons audit {slug}`",
            mismatches.join("; ")
        )));
    }
    Ok(info)
}

/// The circle built from its genesis entry, and every way its stored row differs from it.
async fn read_circle_checked(
    conn: &mut AnyConnection,
    slug: &str,
) -> Result<(CircleInfo, Vec<String>), StoreError> {
    let row = sqlx::query("SELECT id, slug, circle_id, name, unit_name, unit_symbol, decimals, head_seq, head_hash FROM circles WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NoSuchCircle(slug.to_owned()))?;
    let stored = circle_from_row(&row)?;
    let genesis = read_entry_page(conn, stored.row_id, 0, 1)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Corrupt("the circle has no genesis entry".into()))?;
    let Body::Genesis { spec, .. } = &genesis.entry.signed.request.body else {
        return Err(StoreError::Corrupt(
            "the circle's first entry is not a genesis entry".into(),
        ));
    };
    let signed = CircleInfo {
        row_id: stored.row_id,
        slug: spec.slug.clone(),
        circle_id: genesis.entry.hash(),
        name: spec.name.clone(),
        unit_name: spec.unit_name.clone(),
        unit_symbol: spec.unit_symbol.clone(),
        decimals: spec.decimals.min(crate::amount::DECIMALS_MAX),
        head_seq: stored.head_seq,
    };
    let mut mismatches = Vec::new();
    let mut compare = |what: &str, found: String, expected: String| {
        if found != expected {
            mismatches.push(format!(
                "{what} is {found:?} but the genesis says {expected:?}"
            ));
        }
    };
    compare("the slug", stored.slug.clone(), signed.slug.clone());
    compare(
        "the circle id",
        stored.circle_id.to_hex(),
        signed.circle_id.to_hex(),
    );
    compare("the name", stored.name.clone(), signed.name.clone());
    compare(
        "the unit",
        stored.unit_name.clone(),
        signed.unit_name.clone(),
    );
    compare(
        "the unit symbol",
        stored.unit_symbol.clone(),
        signed.unit_symbol.clone(),
    );
    compare(
        "the decimals",
        stored.decimals.to_string(),
        spec.decimals.to_string(),
    );
    Ok((signed, mismatches))
}

async fn read_entry_page(
    conn: &mut AnyConnection,
    row_id: i64,
    from_seq: i64,
    limit: i64,
) -> Result<Vec<StoredEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT e.seq, e.entry_hash, e.prev_hash, e.recorded_at_ms, e.request, e.signature, m.salt, m.text
         FROM entries e LEFT JOIN memos m ON m.circle = e.circle AND m.seq = e.seq
         WHERE e.circle = $1 AND e.seq >= $2 ORDER BY e.seq LIMIT $3",
    )
    .bind(row_id)
    .bind(from_seq)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(stored_entry_from_row).collect()
}

async fn read_accounts(
    conn: &mut AnyConnection,
    row_id: i64,
) -> Result<Vec<AccountRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT account_key, floor_minor, ceiling_minor, balance_minor, status FROM accounts WHERE circle = $1 ORDER BY balance_minor DESC, account_key",
    )
    .bind(row_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(account_from_row).collect()
}

fn account_from_row(row: &AnyRow) -> Result<AccountRow, StoreError> {
    let key: Vec<u8> = row.try_get("account_key")?;
    Ok(AccountRow {
        key: public_key(&key)?,
        floor_minor: row.try_get("floor_minor")?,
        ceiling_minor: row.try_get("ceiling_minor")?,
        balance_minor: row.try_get("balance_minor")?,
        status: row.try_get("status")?,
    })
}

/// `$first, $first+1, ...` for an `IN (...)` list of `count` values (`count` >= 1).
fn placeholders_from(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn read_tree_head(
    conn: &mut AnyConnection,
    info: &CircleInfo,
) -> Result<TreeHead, StoreError> {
    let row = sqlx::query("SELECT tree_size, root, timestamp_ms, signature FROM tree_heads WHERE circle = $1 ORDER BY tree_size DESC LIMIT 1")
        .bind(info.row_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(TreeHead {
        circle_id: info.circle_id,
        tree_size: row.try_get::<i64, _>("tree_size")? as u64,
        root: hash(&row.try_get::<Vec<u8>, _>("root")?)?,
        timestamp_ms: row.try_get("timestamp_ms")?,
        signature: signature(&row.try_get::<Vec<u8>, _>("signature")?)?,
    })
}

/// Replays a circle's stored log into its state and Merkle frontier, page by page.
async fn replay(
    conn: &mut AnyConnection,
    row_id: i64,
) -> Result<(CircleState, merkle::Frontier), StoreError> {
    let mut state: Option<CircleState> = None;
    let mut frontier = merkle::Frontier::default();
    loop {
        let page = read_entry_page(conn, row_id, frontier.size() as i64, READ_PAGE_ENTRIES).await?;
        if page.is_empty() {
            break;
        }
        for stored in page {
            frontier.push(stored.hash);
            match state.as_mut() {
                None => state = Some(CircleState::from_genesis(&stored.entry, stored.hash)?),
                Some(state) => {
                    state
                        .apply_verified(&stored.entry, stored.hash)
                        .map_err(|refusal| {
                            StoreError::Corrupt(format!(
                                "entry {} no longer applies: {refusal}",
                                stored.entry.seq
                            ))
                        })?
                }
            }
        }
    }
    let state =
        state.ok_or_else(|| StoreError::Corrupt("the circle has no genesis entry".into()))?;
    Ok((state, frontier))
}

/// Compares the denormalised columns of a stored entry with its signed request.
fn check_columns(row: &AnyRow, raw: &RawEntry, faults: &mut Vec<Fault>) -> Result<(), StoreError> {
    let Ok(request) = crate::entry::Request::decode(&raw.request) else {
        return Ok(());
    };
    let seq = raw.seq;
    let mut fault = |what: String| {
        faults.push(Fault {
            entry: Some(seq),
            what,
        })
    };
    let kind: i64 = row.try_get("kind")?;
    if kind != i64::from(request.body.kind()) {
        fault(format!(
            "the stored kind {kind} is not the signed kind {}",
            request.body.kind()
        ));
    }
    let author: Vec<u8> = row.try_get("author")?;
    if author != request.author.as_bytes() {
        fault("the stored author is not the signer".into());
    }
    let Columns {
        payer,
        payee,
        amount_minor: amount,
        refers_to,
    } = columns_of(&request.body);
    let stored_payer: Option<Vec<u8>> = row.try_get("payer")?;
    let stored_payee: Option<Vec<u8>> = row.try_get("payee")?;
    let stored_amount: Option<i64> = row.try_get("amount_minor")?;
    let stored_refers_to: Option<Vec<u8>> = row.try_get("refers_to")?;
    if stored_refers_to != refers_to {
        fault("the stored reference to an earlier entry is not the one signed".into());
    }
    if stored_amount != amount {
        fault(format!(
            "the stored amount {} is not the signed amount {}",
            stored_amount.map_or("none".into(), |a| a.to_string()),
            amount.map_or("none".into(), |a| a.to_string())
        ));
    }
    if stored_payer != payer || stored_payee != payee {
        fault("the stored payer or payee is not the one signed".into());
    }
    Ok(())
}

/// The columns stored beside an entry for queries: who pays whom, how much, and the entry it
/// refers to (the request it accepts or closes, or the transfer it reverses).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Columns {
    pub payer: Option<Vec<u8>>,
    pub payee: Option<Vec<u8>>,
    pub amount_minor: Option<i64>,
    pub refers_to: Option<Vec<u8>>,
}

pub(crate) fn columns_of(body: &Body) -> Columns {
    match body {
        Body::Transfer {
            payer,
            payee,
            amount_minor,
            cause,
            ..
        } => Columns {
            payer: Some(payer.as_bytes().to_vec()),
            payee: Some(payee.as_bytes().to_vec()),
            amount_minor: Some(*amount_minor),
            refers_to: match cause {
                Cause::AcceptsRequest(hash) | Cause::Reverses(hash) => Some(hash.0.to_vec()),
                Cause::Direct | Cause::Reference(_) => None,
            },
        },
        Body::RequestPayment {
            payer,
            payee,
            amount_minor,
            ..
        } => Columns {
            payer: Some(payer.as_bytes().to_vec()),
            payee: Some(payee.as_bytes().to_vec()),
            amount_minor: Some(*amount_minor),
            refers_to: None,
        },
        Body::CloseRequest { request } => Columns {
            refers_to: Some(request.0.to_vec()),
            ..Columns::default()
        },
        _ => Columns::default(),
    }
}

fn circle_from_row(row: &AnyRow) -> Result<CircleInfo, StoreError> {
    Ok(CircleInfo {
        row_id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        circle_id: hash(&row.try_get::<Vec<u8>, _>("circle_id")?)?,
        name: row.try_get("name")?,
        unit_name: row.try_get("unit_name")?,
        unit_symbol: row.try_get("unit_symbol")?,
        decimals: u8::try_from(row.try_get::<i64, _>("decimals")?).unwrap_or(u8::MAX),
        head_seq: row.try_get::<i64, _>("head_seq")? as u64,
    })
}

fn raw_entry_from_row(row: &AnyRow) -> Result<RawEntry, StoreError> {
    let salt: Option<Vec<u8>> = row.try_get("salt")?;
    let text: Option<String> = row.try_get("text")?;
    let memo = match (salt, text) {
        (Some(salt), Some(text)) => Some(Memo {
            salt: salt
                .try_into()
                .map_err(|_| StoreError::Corrupt("a memo salt is not 16 bytes".into()))?,
            text,
        }),
        _ => None,
    };
    Ok(RawEntry {
        seq: row.try_get::<i64, _>("seq")? as u64,
        prev_hash: hash(&row.try_get::<Vec<u8>, _>("prev_hash")?)?,
        recorded_at_ms: row.try_get("recorded_at_ms")?,
        request: row.try_get("request")?,
        signature: signature(&row.try_get::<Vec<u8>, _>("signature")?)?,
        claimed_hash: Some(hash(&row.try_get::<Vec<u8>, _>("entry_hash")?)?),
        memo,
    })
}

fn stored_entry_from_row(row: &AnyRow) -> Result<StoredEntry, StoreError> {
    let raw = raw_entry_from_row(row)?;
    let signed = SignedRequest::from_parts(raw.request, raw.signature).map_err(|error| {
        StoreError::Corrupt(format!("entry {} cannot be decoded: {error}", raw.seq))
    })?;
    Ok(StoredEntry {
        entry: Entry {
            seq: raw.seq,
            prev_hash: raw.prev_hash,
            recorded_at_ms: raw.recorded_at_ms,
            signed,
        },
        hash: raw.claimed_hash.unwrap_or(Hash::ZERO),
        memo: raw.memo,
    })
}

fn hash(bytes: &[u8]) -> Result<Hash, StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map(Hash)
        .map_err(|_| StoreError::Corrupt("a stored hash is not 32 bytes".into()))
}

fn signature(bytes: &[u8]) -> Result<Signature, StoreError> {
    <[u8; 64]>::try_from(bytes)
        .map(Signature)
        .map_err(|_| StoreError::Corrupt("a stored signature is not 64 bytes".into()))
}

fn public_key(bytes: &[u8]) -> Result<PublicKey, StoreError> {
    let array = <[u8; 32]>::try_from(bytes)
        .map_err(|_| StoreError::Corrupt("a stored key is not 32 bytes".into()))?;
    // Stored keys were checked when they entered the circle; a changed one shows up in the
    // audit as an account no entry opened, so it is read as it is.
    Ok(PublicKey::from_raw(array))
}
