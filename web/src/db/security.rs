//! Each person's security activity: what happened to their account, kept 90 days, read only by
//! them.

use sqlx::Row;

use super::{DbResult, NodeDb};

/// One thing that happened to an account, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEventRow {
    pub kind: String,
    /// The network it came from, coarse (`203.0.113.0/24`), when known.
    pub place: Option<String>,
    pub detail: String,
    pub created_at_ms: i64,
}

/// Most events one person's page lists.
pub const SECURITY_EVENTS_LISTED_MAX: i64 = 50;
/// Most events kept for one person (the oldest go first), so that someone typing wrong
/// passwords at an account cannot grow its activity without bound.
pub const SECURITY_EVENTS_PER_PERSON_MAX: i64 = 500;

impl NodeDb {
    /// Records one event of a person's account.
    pub async fn record_security_event(
        &self,
        user_id: i64,
        kind: &str,
        place: Option<&str>,
        detail: &str,
        now_ms: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO security_events (user_id, kind, place, detail, created_at_ms)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user_id)
        .bind(kind)
        .bind(place)
        .bind(detail)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "DELETE FROM security_events WHERE user_id = $1 AND id NOT IN
             (SELECT id FROM security_events WHERE user_id = $1 ORDER BY id DESC LIMIT $2)",
        )
        .bind(user_id)
        .bind(SECURITY_EVENTS_PER_PERSON_MAX)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A person's latest events, newest first.
    pub async fn security_events_of(&self, user_id: i64) -> DbResult<Vec<SecurityEventRow>> {
        let rows = sqlx::query(
            "SELECT kind, place, detail, created_at_ms FROM security_events
             WHERE user_id = $1 ORDER BY created_at_ms DESC, id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(SECURITY_EVENTS_LISTED_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SecurityEventRow {
                    kind: row.try_get("kind")?,
                    place: row.try_get("place")?,
                    detail: row.try_get("detail")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }

    /// Whether the person logged in from this place since `since_ms`.
    pub async fn logged_in_from(&self, user_id: i64, place: &str, since_ms: i64) -> DbResult<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM security_events
             WHERE user_id = $1 AND kind = 'login' AND place = $2 AND created_at_ms >= $3",
        )
        .bind(user_id)
        .bind(place)
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// Forgets every event older than `before_ms`; answers how many.
    pub async fn purge_security_events(&self, before_ms: i64) -> DbResult<u64> {
        let done = sqlx::query("DELETE FROM security_events WHERE created_at_ms < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
