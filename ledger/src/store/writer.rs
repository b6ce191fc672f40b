//! Group commit: one writer task per circle serialises appends and writes each batch of
//! concurrent requests in a single durable transaction.
//!
//! The writer owns the circle's [`CircleState`]. For each batch it verifies all signatures at
//! once (ZIP-215 batch verification, in parallel), applies the requests in arrival order against
//! the state (refused ones leave no trace), then commits the new entries, the touched accounts,
//! memos and a freshly signed tree head in one transaction. The transaction first moves the
//! circle's head with `UPDATE ... WHERE head_seq = <expected>`: if another process appended in
//! between, nothing is written, the state is reloaded from the log and the batch is placed again.

use std::collections::BTreeMap;

use rayon::prelude::*;
use sqlx::{Any, Row, Transaction};
use tokio::sync::{mpsc, oneshot};

use super::{columns_of, AccountRow, Backend, Columns, Store, StoreError};
use crate::entry::{Action, Body, Entry, SignedRequest, TreeHead};
use crate::export::Memo;
use crate::keys::{batch_size_for, verify_batch, Hash, PublicKey, SecretKey, Signature};
use crate::merkle::{Frontier, Subtree};
use crate::state::{CircleState, Refusal};

/// Rows per multi-row INSERT statement (14 parameters each, far below both backends' limits).
const INSERT_ROWS_MAX: usize = 1_000;
/// Verified batches waiting for the writer (one being written, one ready).
const VERIFIED_BATCHES_MAX: usize = 1;
/// Times a batch is placed again after another process moved the circle's head.
const CONFLICT_RETRIES_MAX: usize = 5;

/// Limits of a circle's writer.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Appends that may wait for the writer; beyond this, appends are refused as busy.
    pub queue_max: usize,
    /// Most requests committed in one transaction.
    pub batch_max: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            queue_max: 65_536,
            batch_max: 4_096,
        }
    }
}

/// The result of a successful append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    pub hash: Hash,
    /// True when this exact signed request had already been appended (nothing new was written).
    pub duplicate: bool,
}

struct Job {
    signed: SignedRequest,
    memo: Option<Memo>,
    reply: oneshot::Sender<Result<Appended, StoreError>>,
}

#[derive(Debug, Clone)]
pub(crate) struct WriterHandle {
    sender: mpsc::Sender<Job>,
    queue_max: usize,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Job({})", self.signed.record.body.kind_name())
    }
}

impl WriterHandle {
    pub(crate) fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    pub(crate) async fn submit(
        &self,
        signed: SignedRequest,
        memo: Option<Memo>,
    ) -> Result<Appended, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .try_send(Job {
                signed,
                memo,
                reply,
            })
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => StoreError::Busy(self.queue_max),
                mpsc::error::TrySendError::Closed(_) => StoreError::WriterStopped,
            })?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Queues every request before waiting for any, so they share the writer's batches; the
    /// answers come back in the same order. A request the queue has no room for is answered busy.
    pub(crate) async fn submit_many(
        &self,
        requests: Vec<(SignedRequest, Option<Memo>)>,
    ) -> Vec<Result<Appended, StoreError>> {
        let mut answers = Vec::with_capacity(requests.len());
        for (signed, memo) in requests {
            let (reply, answer) = oneshot::channel();
            answers.push(
                self.sender
                    .try_send(Job {
                        signed,
                        memo,
                        reply,
                    })
                    .map(|()| answer)
                    .map_err(|error| match error {
                        mpsc::error::TrySendError::Full(_) => StoreError::Busy(self.queue_max),
                        mpsc::error::TrySendError::Closed(_) => StoreError::WriterStopped,
                    }),
            );
        }
        let mut results = Vec::with_capacity(answers.len());
        for answer in answers {
            results.push(match answer {
                Ok(answer) => answer.await.unwrap_or(Err(StoreError::WriterStopped)),
                Err(error) => Err(error),
            });
        }
        results
    }
}

/// Loads a circle's state and starts its writer.
pub(crate) async fn spawn(
    store: Store,
    row_id: i64,
    config: WriterConfig,
) -> Result<WriterHandle, StoreError> {
    let (state, frontier) = store.load_state(row_id).await?;
    let seed: Vec<u8> = sqlx::query("SELECT node_secret FROM circles WHERE id = $1")
        .bind(row_id)
        .fetch_one(store.pool())
        .await?
        .try_get(0)?;
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| StoreError::Corrupt("the node key is not 32 bytes".into()))?;
    let node_key = SecretKey::from_seed(seed);
    if node_key.public_key() != state.node_key {
        return Err(StoreError::Corrupt(
            "the stored node key is not the one named in the genesis entry".into(),
        ));
    }
    let (sender, receiver) = mpsc::channel(config.queue_max);
    let writer = Writer {
        store,
        row_id,
        state,
        frontier,
        node_key,
        last_recorded_ms: 0,
        config: config.clone(),
    };
    tokio::spawn(writer.run(receiver));
    Ok(WriterHandle {
        sender,
        queue_max: config.queue_max,
    })
}

struct Writer {
    store: Store,
    row_id: i64,
    state: CircleState,
    frontier: Frontier,
    node_key: SecretKey,
    last_recorded_ms: i64,
    config: WriterConfig,
}

enum WriteError {
    /// Another process appended to this circle since the state was loaded.
    Conflict,
    Database(sqlx::Error),
}

impl From<sqlx::Error> for WriteError {
    fn from(error: sqlx::Error) -> Self {
        WriteError::Database(error)
    }
}

impl Writer {
    /// Two stages run side by side: a verifier gathers waiting requests and checks their
    /// signatures (on the blocking pool, all cores) while this task writes the previous batch.
    async fn run(mut self, receiver: mpsc::Receiver<Job>) {
        let (verified_tx, mut verified_rx) = mpsc::channel::<Vec<Job>>(VERIFIED_BATCHES_MAX);
        tokio::spawn(verify_stage(receiver, verified_tx, self.config.batch_max));
        while let Some(jobs) = verified_rx.recv().await {
            if jobs.is_empty() {
                continue;
            }
            if let Err(error) = self.commit(jobs).await {
                tracing::error!(circle = self.row_id, %error, "the circle's writer stops after a storage error");
                return;
            }
        }
    }

    /// Places and writes one batch, answering every job. Errors only when the state could not be
    /// reloaded after a failed write (the writer then stops and the next append starts a new one).
    async fn commit(&mut self, jobs: Vec<Job>) -> Result<(), StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let now = self.store.now_ms().max(self.last_recorded_ms);
            let head_before = self.state.next_seq - 1;
            let mut placed: Vec<(usize, Entry, Hash)> = Vec::with_capacity(jobs.len());
            let mut refused: Vec<(usize, Refusal)> = Vec::new();
            let mut subtrees: Vec<(Subtree, Hash)> = Vec::new();
            for (index, job) in jobs.iter().enumerate() {
                match self.state.place(job.signed.clone(), now) {
                    Ok((entry, hash)) => {
                        self.frontier.push_collecting(hash, &mut subtrees);
                        placed.push((index, entry, hash));
                    }
                    Err(refusal) => refused.push((index, refusal)),
                }
            }
            let touched: Vec<PublicKey> = placed
                .iter()
                .flat_map(|(_, entry, _)| self.state.touched_accounts(&entry.signed.record.body))
                .collect();
            self.state.assert_invariants(&touched);
            let write_started = std::time::Instant::now();
            let result = if placed.is_empty() {
                Ok(())
            } else {
                self.write(head_before, &placed, &subtrees, &jobs, now)
                    .await
            };
            match result {
                Ok(()) => {
                    tracing::debug!(
                        circle = self.row_id,
                        placed = placed.len(),
                        refused = refused.len(),
                        write_ms = write_started.elapsed().as_millis() as u64,
                        "committed a batch"
                    );
                    self.last_recorded_ms = now;
                    // Before anyone hears of the new entries, nothing older is served from memory.
                    let accounts = touched
                        .iter()
                        .filter_map(|key| {
                            self.state.accounts.get(key).map(|account| AccountRow {
                                key: *key,
                                floor_minor: account.floor_minor,
                                ceiling_minor: account.ceiling_minor,
                                balance_minor: account.balance_minor,
                                status: account.status.as_str().to_owned(),
                            })
                        })
                        .collect();
                    self.store.committed(
                        self.row_id,
                        self.state.next_seq - 1,
                        accounts,
                        crate::state::Authority::of(&self.state),
                    );
                    let mut answers: Vec<Option<Result<Appended, StoreError>>> =
                        (0..jobs.len()).map(|_| None).collect();
                    for (index, entry, hash) in &placed {
                        answers[*index] = Some(Ok(Appended {
                            seq: entry.seq,
                            hash: *hash,
                            duplicate: false,
                        }));
                    }
                    for (index, refusal) in refused {
                        answers[index] = Some(Err(refusal.into()));
                    }
                    for (job, answer) in jobs.into_iter().zip(answers) {
                        let _ = job.reply.send(answer.expect("every job is answered"));
                    }
                    return Ok(());
                }
                Err(WriteError::Conflict) if attempt <= CONFLICT_RETRIES_MAX => {
                    // Another process wrote: what this process remembers of the circle is old.
                    self.store.changed(self.row_id);
                    (self.state, self.frontier) = self.store.load_state(self.row_id).await?;
                }
                Err(error) => {
                    let message = match error {
                        WriteError::Conflict => {
                            "another process keeps appending to this circle".to_owned()
                        }
                        WriteError::Database(error) => error.to_string(),
                    };
                    tracing::warn!(circle = self.row_id, %message, "a batch of appends failed");
                    // A failed COMMIT may still have been committed (a connection lost after the
                    // server committed). The log is the truth: reload it and answer each job by
                    // whether its exact request is there, so nobody pays twice by retrying.
                    self.store.changed(self.row_id);
                    (self.state, self.frontier) = self.store.load_state(self.row_id).await?;
                    for job in jobs {
                        let request = &job.signed.record;
                        let landed = match self.state.nonce_seq(&request.author, &request.nonce) {
                            Some(seq) => self
                                .store
                                .entry_in(self.row_id, seq)
                                .await
                                .ok()
                                .filter(|stored| stored.entry.signed.bytes == job.signed.bytes),
                            None => None,
                        };
                        let answer = match landed {
                            Some(stored) => Ok(Appended {
                                seq: stored.entry.seq,
                                hash: stored.hash,
                                duplicate: false,
                            }),
                            None => Err(StoreError::NotWritten(message.clone())),
                        };
                        let _ = job.reply.send(answer);
                    }
                    return Ok(());
                }
            }
        }
    }

    async fn write(
        &self,
        head_before: u64,
        placed: &[(usize, Entry, Hash)],
        subtrees: &[(Subtree, Hash)],
        jobs: &[Job],
        now: i64,
    ) -> Result<(), WriteError> {
        let mut tx = self.store.pool().begin().await?;
        let moved = sqlx::query(
            "UPDATE circles SET head_seq = $1, head_hash = $2 WHERE id = $3 AND head_seq = $4",
        )
        .bind((self.state.next_seq - 1) as i64)
        .bind(self.state.head.0.to_vec())
        .bind(self.row_id)
        .bind(head_before as i64)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(WriteError::Conflict);
        }
        let entries: Vec<(Entry, Hash)> = placed
            .iter()
            .map(|(_, entry, hash)| (entry.clone(), *hash))
            .collect();
        insert_entries(&mut tx, self.store.backend(), self.row_id, &entries).await?;
        insert_subtrees(&mut tx, self.store.backend(), self.row_id, subtrees).await?;

        let mut touched: BTreeMap<PublicKey, ()> = BTreeMap::new();
        for (_, entry, _) in placed {
            for key in self.state.touched_accounts(&entry.signed.record.body) {
                touched.insert(key, ());
            }
        }
        let keys: Vec<PublicKey> = touched.into_keys().collect();
        for chunk in keys.chunks(INSERT_ROWS_MAX) {
            let mut sql = String::from("INSERT INTO accounts (circle, account_key, floor_minor, ceiling_minor, balance_minor, status) VALUES ");
            push_placeholders(&mut sql, self.store.backend(), chunk.len(), 6);
            sql.push_str(
                " ON CONFLICT (circle, account_key) DO UPDATE SET floor_minor = excluded.floor_minor, ceiling_minor = excluded.ceiling_minor, balance_minor = excluded.balance_minor, status = excluded.status",
            );
            let mut query = sqlx::query(&sql);
            for key in chunk {
                let account = &self.state.accounts[key];
                query = query
                    .bind(self.row_id)
                    .bind(key.as_bytes().to_vec())
                    .bind(account.floor_minor)
                    .bind(account.ceiling_minor)
                    .bind(account.balance_minor)
                    .bind(account.status.as_str());
            }
            query.execute(&mut *tx).await?;
        }

        write_link_rows(&mut tx, self.row_id, &self.state, placed).await?;

        let memos: Vec<(u64, &Memo)> = placed
            .iter()
            .filter_map(|(index, entry, _)| {
                jobs[*index].memo.as_ref().map(|memo| (entry.seq, memo))
            })
            .collect();
        for chunk in memos.chunks(INSERT_ROWS_MAX) {
            let mut sql = String::from("INSERT INTO memos (circle, seq, salt, text) VALUES ");
            push_placeholders(&mut sql, self.store.backend(), chunk.len(), 4);
            let mut query = sqlx::query(&sql);
            for (seq, memo) in chunk {
                query = query
                    .bind(self.row_id)
                    .bind(*seq as i64)
                    .bind(memo.salt.to_vec())
                    .bind(memo.text.clone());
            }
            query.execute(&mut *tx).await?;
        }

        let head = TreeHead::sign(
            &self.node_key,
            self.state.circle_id,
            self.frontier.size(),
            self.frontier.root(),
            now,
        );
        insert_tree_head(&mut tx, self.row_id, &head).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Keeps the `links` and `link_transfers` tables in step with the entries just placed.
async fn write_link_rows(
    tx: &mut Transaction<'_, Any>,
    row_id: i64,
    state: &CircleState,
    placed: &[(usize, Entry, Hash)],
) -> Result<(), sqlx::Error> {
    use crate::crossing::TransferId;
    for (_, entry, _) in placed {
        let (transfer, partners): (Option<TransferId>, Vec<Hash>) = match &entry.signed.record.body
        {
            Body::Hold(hold) => (Some(hold.transfer), Vec::new()),
            Body::Arrive(arrival) => (Some(arrival.transfer), Vec::new()),
            Body::Enact { actions, .. } => (
                None,
                actions
                    .iter()
                    .filter_map(|action| match action {
                        Action::Link(terms) => Some(terms.partner),
                        Action::SetLinkStatus { partner, .. } => Some(*partner),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => continue,
        };
        if let Some(transfer) = transfer {
            sqlx::query(
                "INSERT INTO link_transfers (circle, transfer_id, seq) VALUES ($1, $2, $3)",
            )
            .bind(row_id)
            .bind(transfer.0.to_vec())
            .bind(entry.seq as i64)
            .execute(&mut **tx)
            .await?;
        }
        for partner in partners {
            let Some(link) = state.links.get(&partner) else {
                continue;
            };
            let terms = &link.terms;
            let (their_path, our_path) = match &terms.trust {
                crate::crossing::LinkTrust::Proved => (String::new(), String::new()),
                crate::crossing::LinkTrust::OnItsWord {
                    their_path,
                    our_path,
                } => (their_path.clone(), our_path.clone()),
            };
            sqlx::query(
                "INSERT INTO links (circle, partner, partner_node_key, address, rate_here_minor, rate_there_minor, out_max_minor, in_max_minor, shares_market, status, terms_seq, their_path, our_path) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (circle, partner) DO UPDATE SET their_path = excluded.their_path, our_path = excluded.our_path, partner_node_key = excluded.partner_node_key, address = excluded.address, rate_here_minor = excluded.rate_here_minor, rate_there_minor = excluded.rate_there_minor, out_max_minor = excluded.out_max_minor, in_max_minor = excluded.in_max_minor, shares_market = excluded.shares_market, status = excluded.status, terms_seq = excluded.terms_seq",
            )
            .bind(row_id)
            .bind(partner.0.to_vec())
            .bind(terms.partner_node_key.as_bytes().to_vec())
            .bind(terms.address.clone())
            .bind(terms.rate_here_minor)
            .bind(terms.rate_there_minor)
            .bind(terms.out_max_minor)
            .bind(terms.in_max_minor)
            .bind(i64::from(terms.shares_market))
            .bind(link.status.as_str())
            .bind(link.terms_seq as i64)
            .bind(their_path)
            .bind(our_path)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// Gathers up to `batch_max` waiting jobs at a time, verifies them and passes them on.
async fn verify_stage(
    mut receiver: mpsc::Receiver<Job>,
    verified: mpsc::Sender<Vec<Job>>,
    batch_max: usize,
) {
    loop {
        // Wait until the writer can take a batch before gathering one: requests that arrive
        // meanwhile join the next batch instead of waiting behind a small one already gathered.
        let Ok(permit) = verified.reserve().await else {
            return;
        };
        let Some(first) = receiver.recv().await else {
            return;
        };
        let mut jobs = vec![first];
        while jobs.len() < batch_max {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let count = jobs.len();
        let jobs = verify_signatures(jobs).await;
        tracing::debug!(
            count,
            verify_ms = started.elapsed().as_millis() as u64,
            "verified a batch"
        );
        permit.send(jobs);
    }
}

/// Verifies a batch's signatures on the blocking pool (in parallel chunks) and answers the jobs
/// whose signature fails.
async fn verify_signatures(jobs: Vec<Job>) -> Vec<Job> {
    let checked = tokio::task::spawn_blocking(move || {
        let ok: Vec<bool> = jobs
            .par_chunks(batch_size_for(jobs.len()))
            .flat_map_iter(|chunk| {
                let items: Vec<(PublicKey, &[u8], Signature)> = chunk
                    .iter()
                    .map(|job| {
                        (
                            job.signed.record.author,
                            job.signed.bytes.as_slice(),
                            job.signed.signature,
                        )
                    })
                    .collect();
                let failed = verify_batch(&items);
                (0..chunk.len()).map(move |index| !failed.contains(&index))
            })
            .collect();
        (jobs, ok)
    })
    .await;
    let (jobs, ok) = match checked {
        Ok(checked) => checked,
        Err(error) => panic!("signature verification panicked: {error}"),
    };
    let mut valid = Vec::with_capacity(jobs.len());
    for (job, ok) in jobs.into_iter().zip(ok) {
        if ok {
            valid.push(job);
        } else {
            let _ = job.reply.send(Err(Refusal::BadSignature.into()));
        }
    }
    valid
}

/// Appends `(…),(…)` value lists. SQLite gets anonymous `?` placeholders: with thousands of
/// numbered `$n` parameters its parser and sqlx's binding spend quadratic time matching names.
fn push_placeholders(sql: &mut String, backend: Backend, rows: usize, columns: usize) {
    use std::fmt::Write;
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push(',');
            }
            n += 1;
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    let _ = write!(sql, "${n}");
                }
            }
        }
        sql.push(')');
    }
}

pub(crate) async fn insert_entries(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    row_id: i64,
    entries: &[(Entry, Hash)],
) -> Result<(), sqlx::Error> {
    for chunk in entries.chunks(INSERT_ROWS_MAX) {
        let mut sql = String::from(
            "INSERT INTO entries (circle, seq, entry_hash, prev_hash, recorded_at_ms, kind, author, nonce, request, signature, payer, payee, amount_minor, refers_to) VALUES ",
        );
        push_placeholders(&mut sql, backend, chunk.len(), 14);
        let mut query = sqlx::query(&sql);
        for (entry, hash) in chunk {
            let request = &entry.signed.record;
            let Columns {
                payer,
                payee,
                amount_minor,
                refers_to,
            } = columns_of(&request.body);
            query = query
                .bind(row_id)
                .bind(entry.seq as i64)
                .bind(hash.0.to_vec())
                .bind(entry.prev_hash.0.to_vec())
                .bind(entry.recorded_at_ms)
                .bind(i64::from(request.body.kind()))
                .bind(request.author.as_bytes().to_vec())
                .bind(request.nonce.0.to_vec())
                .bind(entry.signed.bytes.clone())
                .bind(entry.signed.signature.0.to_vec())
                .bind(payer)
                .bind(payee)
                .bind(amount_minor)
                .bind(refers_to);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Stores perfect subtree hashes (an existing one is the same hash: kept).
pub(crate) async fn insert_subtrees(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    row_id: i64,
    subtrees: &[(Subtree, Hash)],
) -> Result<(), sqlx::Error> {
    for chunk in subtrees.chunks(INSERT_ROWS_MAX) {
        let mut sql =
            String::from("INSERT INTO merkle_subtrees (circle, level, idx, hash) VALUES ");
        push_placeholders(&mut sql, backend, chunk.len(), 4);
        sql.push_str(" ON CONFLICT (circle, level, idx) DO NOTHING");
        let mut query = sqlx::query(&sql);
        for (subtree, hash) in chunk {
            query = query
                .bind(row_id)
                .bind(i64::from(subtree.level))
                .bind(subtree.index as i64)
                .bind(hash.0.to_vec());
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

pub(crate) async fn insert_tree_head(
    tx: &mut Transaction<'_, Any>,
    row_id: i64,
    head: &TreeHead,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO tree_heads (circle, tree_size, root, timestamp_ms, signature) VALUES ($1, $2, $3, $4, $5)")
        .bind(row_id)
        .bind(head.tree_size as i64)
        .bind(head.root.0.to_vec())
        .bind(head.timestamp_ms)
        .bind(head.signature.0.to_vec())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
