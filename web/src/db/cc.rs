//! Links with Credit Commons nodes: the chain of hashes each side keeps of their shared account
//! (what the partner authenticates with), and the partner's transactions in either direction
//! with the partner's states. The ledger keeps the money; this keeps the partner's protocol.

use sqlx::Row;

use super::{DbResult, NodeDb};

/// Most transactions waiting (validated or pending) with one partner at a time.
pub const CC_WAITING_MAX: i64 = 1_000;
/// Most transactions listed for a partner's account history.
pub const CC_HISTORY_MAX: i64 = 1_000;

/// Where the chain of a circle's shared account with a partner stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcChain {
    pub last_hash: String,
    /// The value before the last advance, and the transaction that advanced it: a retried call
    /// of that transaction may still carry it.
    pub previous_hash: String,
    pub last_uuid: String,
}

/// The completed transactions with a partner, counted and summed (in its unit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CcTotals {
    pub completed: i64,
    pub sent_minor: i64,
    pub received_minor: i64,
}

/// One transaction with a partner, as the partner's protocol sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcRow {
    pub partner: [u8; 32],
    pub uuid: String,
    /// `in` (the partner pays a member here) or `out`.
    pub direction: String,
    /// `V` validated, `P` pending, `C` completed, `E` erased.
    pub state: String,
    pub payer: String,
    pub payee: String,
    /// The amount in the partner's unit, in hundredths (`wire::CC_DECIMALS`).
    pub quant_minor: i64,
    /// The amount in this circle's unit.
    pub amount_minor: i64,
    pub description: String,
    pub body_hash: [u8; 32],
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const CC_COLUMNS: &str = "partner, uuid, direction, state, payer, payee, quant_minor, amount_minor, description, body_hash, expires_at_ms, created_at_ms, updated_at_ms";

fn cc_row(row: &sqlx::any::AnyRow) -> DbResult<CcRow> {
    let bytes = |index: usize| -> DbResult<[u8; 32]> {
        let raw: Vec<u8> = row.try_get(index)?;
        raw.try_into()
            .map_err(|_| sqlx::Error::Decode("a 32-byte hash".into()))
    };
    Ok(CcRow {
        partner: bytes(0)?,
        uuid: row.try_get(1)?,
        direction: row.try_get(2)?,
        state: row.try_get(3)?,
        payer: row.try_get(4)?,
        payee: row.try_get(5)?,
        quant_minor: row.try_get(6)?,
        amount_minor: row.try_get(7)?,
        description: row.try_get(8)?,
        body_hash: bytes(9)?,
        expires_at_ms: row.try_get(10)?,
        created_at_ms: row.try_get(11)?,
        updated_at_ms: row.try_get(12)?,
    })
}

impl NodeDb {
    /// The chain of `circle`'s account with `partner`, once the operator started it.
    pub async fn cc_chain(&self, circle: i64, partner: &[u8; 32]) -> DbResult<Option<CcChain>> {
        let row = sqlx::query(
            "SELECT last_hash, previous_hash, last_uuid FROM cc_chains WHERE circle = $1 AND partner = $2",
        )
        .bind(circle)
        .bind(partner.to_vec())
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(row) => Some(CcChain {
                last_hash: row.try_get(0)?,
                previous_hash: row.try_get(1)?,
                last_uuid: row.try_get(2)?,
            }),
            None => None,
        })
    }

    /// Starts (or restarts) the chain at the value both operators agreed.
    pub async fn set_cc_chain(
        &self,
        circle: i64,
        partner: &[u8; 32],
        last_hash: &str,
        now_ms: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO cc_chains (circle, partner, last_hash, previous_hash, last_uuid, updated_at_ms)
             VALUES ($1, $2, $3, '', '', $4)
             ON CONFLICT (circle, partner) DO UPDATE SET last_hash = excluded.last_hash,
                 previous_hash = '', last_uuid = '', updated_at_ms = excluded.updated_at_ms",
        )
        .bind(circle)
        .bind(partner.to_vec())
        .bind(last_hash.to_owned())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Completes transaction `uuid` (validated or pending) and moves the chain from `expected`
    /// to `next`, both or neither (one database transaction): a completion is counted once in
    /// the chain however often it is retried. `body_hash` becomes what the ledger names (for a
    /// payment sent, the hash of the partner's answers). Answers whether it completed now.
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_cc(
        &self,
        circle: i64,
        partner: &[u8; 32],
        uuid: &str,
        body_hash: Option<&[u8; 32]>,
        (expected, next): (&str, &str),
        now_ms: i64,
    ) -> DbResult<bool> {
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE cc_transactions SET state = 'C', updated_at_ms = $3,
                 body_hash = COALESCE($4, body_hash)
             WHERE circle = $1 AND uuid = $2 AND state IN ('V', 'P')",
        )
        .bind(circle)
        .bind(uuid.to_owned())
        .bind(now_ms)
        .bind(body_hash.map(|hash| hash.to_vec()))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if moved {
            sqlx::query(
                "UPDATE cc_chains SET last_hash = $4, previous_hash = $3, last_uuid = $5, updated_at_ms = $6
                 WHERE circle = $1 AND partner = $2 AND last_hash = $3",
            )
            .bind(circle)
            .bind(partner.to_vec())
            .bind(expected.to_owned())
            .bind(next.to_owned())
            .bind(uuid.to_owned())
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// A transaction of `circle` with a partner, by its UUID.
    pub async fn cc_transaction(&self, circle: i64, uuid: &str) -> DbResult<Option<CcRow>> {
        let row = sqlx::query(&format!(
            "SELECT {CC_COLUMNS} FROM cc_transactions WHERE circle = $1 AND uuid = $2"
        ))
        .bind(circle)
        .bind(uuid.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(cc_row).transpose()
    }

    /// Keeps a new transaction, unless its UUID is taken or [`CC_WAITING_MAX`] wait with that
    /// partner already: answers whether it was kept.
    pub async fn insert_cc_transaction(&self, circle: i64, row: &CcRow) -> DbResult<bool> {
        let done = sqlx::query(&format!(
            "INSERT INTO cc_transactions (circle, {CC_COLUMNS})
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
             WHERE (SELECT COUNT(*) FROM cc_transactions
                    WHERE circle = $1 AND partner = $2 AND state IN ('V', 'P')) < $15
             ON CONFLICT (circle, uuid) DO NOTHING"
        ))
        .bind(circle)
        .bind(row.partner.to_vec())
        .bind(row.uuid.clone())
        .bind(row.direction.clone())
        .bind(row.state.clone())
        .bind(row.payer.clone())
        .bind(row.payee.clone())
        .bind(row.quant_minor)
        .bind(row.amount_minor)
        .bind(row.description.clone())
        .bind(row.body_hash.to_vec())
        .bind(row.expires_at_ms)
        .bind(row.created_at_ms)
        .bind(row.updated_at_ms)
        .bind(CC_WAITING_MAX)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Moves a transaction to `to` if it is in one of `from`: answers whether it moved.
    pub async fn set_cc_state(
        &self,
        circle: i64,
        uuid: &str,
        from: &[&str],
        to: &str,
        now_ms: i64,
    ) -> DbResult<bool> {
        let placeholders: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 5)).collect();
        let sql = format!(
            "UPDATE cc_transactions SET state = $3, updated_at_ms = $4
             WHERE circle = $1 AND uuid = $2 AND state IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql)
            .bind(circle)
            .bind(uuid.to_owned())
            .bind(to.to_owned())
            .bind(now_ms);
        for state in from {
            query = query.bind((*state).to_owned());
        }
        Ok(query.execute(&self.pool).await?.rows_affected() == 1)
    }

    /// The completed transactions of `circle` with `partner`, oldest first (at most
    /// [`CC_HISTORY_MAX`], the latest ones).
    pub async fn cc_completed(&self, circle: i64, partner: &[u8; 32]) -> DbResult<Vec<CcRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {CC_COLUMNS} FROM cc_transactions
             WHERE circle = $1 AND partner = $2 AND state = 'C'
             ORDER BY updated_at_ms DESC, uuid DESC LIMIT $3"
        ))
        .bind(circle)
        .bind(partner.to_vec())
        .bind(CC_HISTORY_MAX)
        .fetch_all(&self.pool)
        .await?;
        let mut found: Vec<CcRow> = rows.iter().map(cc_row).collect::<DbResult<_>>()?;
        found.reverse();
        Ok(found)
    }

    /// The completed transactions of `circle` with `partner`, all of them: how many, and the
    /// sums in the partner's unit of those this circle sent (`out`) and received (`in`).
    pub async fn cc_totals(&self, circle: i64, partner: &[u8; 32]) -> DbResult<CcTotals> {
        let rows = sqlx::query(
            "SELECT direction, COUNT(*), CAST(COALESCE(SUM(quant_minor), 0) AS BIGINT) FROM cc_transactions
             WHERE circle = $1 AND partner = $2 AND state = 'C' GROUP BY direction",
        )
        .bind(circle)
        .bind(partner.to_vec())
        .fetch_all(&self.pool)
        .await?;
        let mut totals = CcTotals::default();
        for row in rows {
            let (direction, count, sum): (String, i64, i64) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            totals.completed += count;
            match direction.as_str() {
                "out" => totals.sent_minor += sum,
                _ => totals.received_minor += sum,
            }
        }
        Ok(totals)
    }

    /// How many transactions wait (validated or pending) with `partner`.
    pub async fn cc_waiting(&self, circle: i64, partner: &[u8; 32]) -> DbResult<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM cc_transactions WHERE circle = $1 AND partner = $2 AND state IN ('V', 'P')",
        )
        .bind(circle)
        .bind(partner.to_vec())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
    }
}
