//! Moderation actions waiting for a second moderator: limiting or suspending someone who
//! moderates takes two moderators, or a steward (`moderation::rules::needs_second`).

use commons_governance::moderation::ActionKind;
use sqlx::Row;

use super::{DbResult, NodeDb};

/// An action one moderator proposed on a case, waiting for a second one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAction {
    /// The action's kind (a limit or a suspension).
    pub kind: ActionKind,
    pub proposed_by: i64,
    pub proposer_name: String,
    pub ends_at_ms: Option<i64>,
    pub reason: String,
    pub proposed_at_ms: i64,
}

impl NodeDb {
    /// The action waiting on a case for a second moderator, if any.
    pub async fn pending_action(&self, case_id: i64) -> DbResult<Option<PendingAction>> {
        let row = sqlx::query(
            "SELECT p.kind, p.proposed_by, u.display_name, p.ends_at_ms, p.reason, p.proposed_at_ms
             FROM moderation_pending p JOIN users u ON u.id = p.proposed_by WHERE p.case_id = $1",
        )
        .bind(case_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(PendingAction {
                kind: ActionKind::parse(&row.try_get::<String, _>("kind")?)
                    .ok_or_else(|| sqlx::Error::Decode("an unknown action kind".into()))?,
                proposed_by: row.try_get("proposed_by")?,
                proposer_name: row.try_get("display_name")?,
                ends_at_ms: row.try_get("ends_at_ms")?,
                reason: row.try_get("reason")?,
                proposed_at_ms: row.try_get("proposed_at_ms")?,
            })
        })
        .transpose()
    }

    /// Records (or replaces) the action a moderator proposes on a case.
    pub async fn propose_action(
        &self,
        case_id: i64,
        kind: &str,
        proposed_by: i64,
        ends_at_ms: Option<i64>,
        reason: &str,
        now_ms: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO moderation_pending (case_id, kind, proposed_by, ends_at_ms, reason, proposed_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (case_id) DO UPDATE SET kind = $2, proposed_by = $3, ends_at_ms = $4,
               reason = $5, proposed_at_ms = $6",
        )
        .bind(case_id)
        .bind(kind)
        .bind(proposed_by)
        .bind(ends_at_ms)
        .bind(reason)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// Forgets what was waiting on a case (it was taken, or the case closed).
    pub async fn clear_pending_action(&self, case_id: i64) -> DbResult<()> {
        sqlx::query("DELETE FROM moderation_pending WHERE case_id = $1")
            .bind(case_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }
}
