//! Payment requests between members of linked circles, as this node keeps its own member's
//! side: asked of them (`in`) or asked by them (`out`).

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{DbResult, NodeDb};

/// One side of a payment request across a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequestRow {
    pub id: i64,
    pub uuid: [u8; 16],
    /// `in`: this node's member is asked to pay; `out`: this node's member asked.
    pub incoming: bool,
    pub circle: i64,
    pub user_id: i64,
    /// The other member's circle id.
    pub partner: [u8; 32],
    pub other_username: String,
    pub other_name: String,
    /// In this row's circle's unit, and in the other circle's.
    pub amount_minor: i64,
    pub amount_there_minor: i64,
    pub memo: Option<String>,
    pub state: String,
    pub created_ms: i64,
}

const COLUMNS: &str = "id, uuid, direction, circle, user_id, partner, other_username, other_name, amount_minor, amount_there_minor, memo, state, created_ms";

fn row_of(row: &AnyRow) -> DbResult<LinkRequestRow> {
    let uuid: Vec<u8> = row.try_get(1)?;
    let partner: Vec<u8> = row.try_get(5)?;
    let corrupt = |what: &str| sqlx::Error::Decode(format!("a link request's {what}").into());
    Ok(LinkRequestRow {
        id: row.try_get(0)?,
        uuid: uuid.try_into().map_err(|_| corrupt("uuid"))?,
        incoming: row.try_get::<String, _>(2)? == "in",
        circle: row.try_get(3)?,
        user_id: row.try_get(4)?,
        partner: partner.try_into().map_err(|_| corrupt("partner"))?,
        other_username: row.try_get(6)?,
        other_name: row.try_get(7)?,
        amount_minor: row.try_get(8)?,
        amount_there_minor: row.try_get(9)?,
        memo: row.try_get(10)?,
        state: row.try_get(11)?,
        created_ms: row.try_get(12)?,
    })
}

impl NodeDb {
    /// Keeps one side of a request; a side already kept (a retried message) is left as it is.
    pub async fn keep_link_request(&self, request: &LinkRequestRow) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO link_requests (uuid, direction, circle, user_id, partner, other_username, other_name, amount_minor, amount_there_minor, memo, state, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (uuid, direction) DO NOTHING",
        )
        .bind(request.uuid.to_vec())
        .bind(if request.incoming { "in" } else { "out" })
        .bind(request.circle)
        .bind(request.user_id)
        .bind(request.partner.to_vec())
        .bind(request.other_username.clone())
        .bind(request.other_name.clone())
        .bind(request.amount_minor)
        .bind(request.amount_there_minor)
        .bind(request.memo.clone())
        .bind(request.state.clone())
        .bind(request.created_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// A member's open requests across, in a circle, newest first (at most `limit`).
    pub async fn open_link_requests(
        &self,
        circle: i64,
        user_id: i64,
        limit: i64,
    ) -> DbResult<Vec<LinkRequestRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM link_requests WHERE circle = $1 AND user_id = $2 AND state = 'open' ORDER BY id DESC LIMIT $3"
        ))
        .bind(circle)
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_of).collect()
    }

    /// One side of a request, by its number here.
    pub async fn link_request(&self, id: i64) -> DbResult<Option<LinkRequestRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM link_requests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row_of).transpose()
    }

    /// One side of a request, by its uuid and direction.
    pub async fn link_request_by_uuid(
        &self,
        uuid: &[u8; 16],
        incoming: bool,
    ) -> DbResult<Option<LinkRequestRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM link_requests WHERE uuid = $1 AND direction = $2"
        ))
        .bind(uuid.to_vec())
        .bind(if incoming { "in" } else { "out" })
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row_of).transpose()
    }

    /// Ends an open side of a request (`paid`, `declined`, `withdrawn`); false when it was
    /// not open.
    pub async fn end_link_request(
        &self,
        uuid: &[u8; 16],
        incoming: bool,
        state: &str,
        now_ms: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE link_requests SET state = $1, answered_ms = $2 WHERE uuid = $3 AND direction = $4 AND state = 'open'",
        )
        .bind(state.to_owned())
        .bind(now_ms)
        .bind(uuid.to_vec())
        .bind(if incoming { "in" } else { "out" })
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// How many requests a member has open from the members of one linked circle.
    pub async fn open_link_requests_to(
        &self,
        circle: i64,
        user_id: i64,
        partner: &[u8; 32],
    ) -> DbResult<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM link_requests WHERE circle = $1 AND user_id = $2 AND partner = $3 AND direction = 'in' AND state = 'open'",
        )
        .bind(circle)
        .bind(user_id)
        .bind(partner.to_vec())
        .fetch_one(&self.pool)
        .await?;
        row.try_get(0)
    }

    /// How many requests one member of a linked circle has open with members of `circle`.
    pub async fn open_link_requests_from(
        &self,
        circle: i64,
        partner: &[u8; 32],
        other_username: &str,
    ) -> DbResult<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM link_requests WHERE circle = $1 AND partner = $2 AND other_username = $3 AND direction = 'in' AND state = 'open'",
        )
        .bind(circle)
        .bind(partner.to_vec())
        .bind(other_username.to_owned())
        .fetch_one(&self.pool)
        .await?;
        row.try_get(0)
    }
}
