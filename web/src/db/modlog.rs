//! The moderation log's tables: each action's signed bytes and the node's signed head after
//! it (both append-only, refused by triggers otherwise), and the erasable links from an action
//! to the people it concerns.

use commons_governance::moderation::{LogHead, SignedAction};
use commons_ledger::keys::{Hash, Signature};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{DbResult, NodeDb};

/// Most actions one page of the log shows.
pub const LOG_PAGE_MAX: i64 = 50;
/// Most actions an export or a summary reads.
pub const LOG_READ_MAX: i64 = 100_000;

/// What became of an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    Done,
    /// Another action took the same place first: sign again on the new end.
    PlaceTaken,
    /// The case was closed meanwhile (another moderator acted): nothing was written.
    CaseClosed,
}

/// One stored action, with the people behind it where still known.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub seq: i64,
    pub bytes: Vec<u8>,
    pub signature: Vec<u8>,
    pub kind: String,
    pub recorded_at_ms: i64,
    pub subject_id: Option<i64>,
    pub moderator_id: Option<i64>,
    pub case_id: Option<i64>,
}

/// The action to append, with its head and who it concerns.
#[derive(Debug)]
pub struct LogAppend<'a> {
    pub circle: i64,
    pub action: &'a SignedAction,
    pub head: &'a LogHead,
    pub subject_id: Option<i64>,
    /// `None` for the node (an appeal the circle decided by vote).
    pub moderator_id: Option<i64>,
    /// The case the action closes, with what reporters are told.
    pub closes: Option<i64>,
}

const LOG_SELECT: &str = "SELECT l.seq, l.bytes, l.signature, l.kind, l.recorded_at_ms, p.subject_id, p.moderator_id, p.case_id
     FROM moderation_log l LEFT JOIN moderation_people p ON p.circle = l.circle AND p.seq = l.seq";

fn log_from_row(row: &AnyRow) -> DbResult<LogRow> {
    Ok(LogRow {
        seq: row.try_get("seq")?,
        bytes: row.try_get("bytes")?,
        signature: row.try_get("signature")?,
        kind: row.try_get("kind")?,
        recorded_at_ms: row.try_get("recorded_at_ms")?,
        subject_id: row.try_get("subject_id")?,
        moderator_id: row.try_get("moderator_id")?,
        case_id: row.try_get("case_id")?,
    })
}

fn hash_of(bytes: Vec<u8>) -> DbResult<Hash> {
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| sqlx::Error::Decode("a stored hash is not 32 bytes".into()))?;
    Ok(Hash(bytes))
}

impl NodeDb {
    /// The receipts of every action of the circle's log, in order (a Merkle root's leaves).
    pub async fn log_receipts(&self, circle: i64) -> DbResult<Vec<Hash>> {
        let rows = sqlx::query("SELECT receipt FROM moderation_log WHERE circle = $1 ORDER BY seq")
            .bind(circle)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| hash_of(row.try_get(0)?)).collect()
    }

    /// Appends an action and its head, links it to its people and closes its case, in one
    /// transaction; nothing is written unless all of it is.
    pub async fn append_log(&self, entry: &LogAppend<'_>) -> DbResult<Appended> {
        let action = &entry.action.record;
        let mut tx = self.pool.begin().await?;
        // The case closes first: a second moderator acting on the same case at the same
        // moment finds it closed, and nothing of theirs is written.
        if let Some(case_id) = entry.closes {
            let closed = sqlx::query(
                "UPDATE moderation_cases SET status = 'closed', closed_at_ms = $2, outcome = $3, outcome_seq = $4,
                    first_response_at_ms = COALESCE(first_response_at_ms, $2)
                 WHERE id = $1 AND status = 'open'",
            )
            .bind(case_id)
            .bind(action.recorded_at_ms)
            .bind(action.kind.as_str())
            .bind(action.seq as i64)
            .execute(&mut *tx)
            .await?;
            if closed.rows_affected() != 1 {
                return Ok(Appended::CaseClosed);
            }
        }
        let inserted = sqlx::query(
            "INSERT INTO moderation_log (circle, seq, bytes, signature, receipt, kind, recorded_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (circle, seq) DO NOTHING",
        )
        .bind(entry.circle)
        .bind(action.seq as i64)
        .bind(entry.action.bytes.clone())
        .bind(entry.action.signature.0.to_vec())
        .bind(entry.action.receipt().0.to_vec())
        .bind(action.kind.as_str())
        .bind(action.recorded_at_ms)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Ok(Appended::PlaceTaken);
        }
        sqlx::query(
            "INSERT INTO moderation_heads (circle, tree_size, root, timestamp_ms, signature) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(entry.circle)
        .bind(entry.head.tree_size as i64)
        .bind(entry.head.root.0.to_vec())
        .bind(entry.head.timestamp_ms)
        .bind(entry.head.signature.0.to_vec())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO moderation_people (circle, seq, subject_id, moderator_id, case_id) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(entry.circle)
        .bind(action.seq as i64)
        .bind(entry.subject_id)
        .bind(entry.moderator_id)
        .bind(entry.closes)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.changed();
        Ok(Appended::Done)
    }

    /// A page of the log, newest first, from before `before` (or the end).
    pub async fn log_page(&self, circle: i64, before: Option<i64>) -> DbResult<Vec<LogRow>> {
        let sql =
            format!("{LOG_SELECT} WHERE l.circle = $1 AND l.seq < $2 ORDER BY l.seq DESC LIMIT $3");
        let rows = sqlx::query(&sql)
            .bind(circle)
            .bind(before.unwrap_or(i64::MAX))
            .bind(LOG_PAGE_MAX)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(log_from_row).collect()
    }

    /// The whole log in order (bounded by [`LOG_READ_MAX`]), for exports and summaries.
    pub async fn log_all(&self, circle: i64) -> DbResult<Vec<LogRow>> {
        let sql = format!("{LOG_SELECT} WHERE l.circle = $1 ORDER BY l.seq LIMIT $2");
        let rows = sqlx::query(&sql)
            .bind(circle)
            .bind(LOG_READ_MAX)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(log_from_row).collect()
    }

    /// One action of the log.
    pub async fn log_entry(&self, circle: i64, seq: i64) -> DbResult<Option<LogRow>> {
        let sql = format!("{LOG_SELECT} WHERE l.circle = $1 AND l.seq = $2");
        let row = sqlx::query(&sql)
            .bind(circle)
            .bind(seq)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(log_from_row).transpose()
    }

    /// The actions about one person, in every circle, newest first (their takeout and their
    /// page of what was done about them).
    pub async fn log_about(&self, subject_id: i64) -> DbResult<Vec<(i64, LogRow)>> {
        let sql = format!(
            "SELECT l.circle AS log_circle, l.seq, l.bytes, l.signature, l.kind, l.recorded_at_ms, p.subject_id, p.moderator_id, p.case_id
             FROM moderation_log l JOIN moderation_people p ON p.circle = l.circle AND p.seq = l.seq
             WHERE p.subject_id = $1 ORDER BY l.recorded_at_ms DESC LIMIT {LOG_PAGE_MAX}"
        );
        let rows = sqlx::query(&sql)
            .bind(subject_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("log_circle")?, log_from_row(row)?)))
            .collect()
    }

    /// The kinds and times of the actions since a time, each with whether it decided an
    /// appeal (for the monthly summary: no signed bytes read).
    pub async fn log_kinds_since(
        &self,
        circle: i64,
        since_ms: i64,
    ) -> DbResult<Vec<(String, i64, bool)>> {
        let rows = sqlx::query(
            "SELECT l.kind, l.recorded_at_ms, c.origin FROM moderation_log l
             LEFT JOIN moderation_people p ON p.circle = l.circle AND p.seq = l.seq
             LEFT JOIN moderation_cases c ON c.id = p.case_id
             WHERE l.circle = $1 AND l.recorded_at_ms >= $2 ORDER BY l.seq LIMIT $3",
        )
        .bind(circle)
        .bind(since_ms)
        .bind(LOG_READ_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let origin: Option<String> = row.try_get("origin")?;
                Ok((
                    row.try_get("kind")?,
                    row.try_get("recorded_at_ms")?,
                    origin.as_deref() == Some("appeal"),
                ))
            })
            .collect()
    }

    /// Every head the node signed, in order (bounded by [`LOG_READ_MAX`]).
    pub async fn log_heads(&self, circle: i64, circle_id: Hash) -> DbResult<Vec<LogHead>> {
        let rows = sqlx::query(
            "SELECT tree_size, root, timestamp_ms, signature FROM moderation_heads WHERE circle = $1 ORDER BY tree_size LIMIT $2",
        )
        .bind(circle)
        .bind(LOG_READ_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| head_from_row(circle_id, row))
            .collect()
    }

    /// The latest head, if the log has any action.
    pub async fn latest_log_head(&self, circle: i64, circle_id: Hash) -> DbResult<Option<LogHead>> {
        let row = sqlx::query(
            "SELECT tree_size, root, timestamp_ms, signature FROM moderation_heads WHERE circle = $1 ORDER BY tree_size DESC LIMIT 1",
        )
        .bind(circle)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| head_from_row(circle_id, &row)).transpose()
    }
}

/// A stored head of the circle whose id is `circle_id`.
fn head_from_row(circle_id: Hash, row: &AnyRow) -> DbResult<LogHead> {
    let signature: Vec<u8> = row.try_get("signature")?;
    let signature: [u8; 64] = signature
        .try_into()
        .map_err(|_| sqlx::Error::Decode("a stored signature is not 64 bytes".into()))?;
    Ok(LogHead {
        circle_id,
        tree_size: row.try_get::<i64, _>("tree_size")? as u64,
        root: hash_of(row.try_get("root")?)?,
        timestamp_ms: row.try_get("timestamp_ms")?,
        signature: Signature(signature),
    })
}
