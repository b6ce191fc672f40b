//! A newcomer's first steps: the circle's "Introductions" thread, whether someone said hello
//! there, and the steps recorded on their own (reading the news).

use sqlx::Row;

use super::{DbResult, NodeDb};
use crate::onboarding::rules::Step;

impl NodeDb {
    /// The circle's "Introductions" thread (the one its discussions began with).
    pub async fn introductions_thread(&self, circle: i64) -> DbResult<Option<i64>> {
        let row = sqlx::query(
            "SELECT COALESCE(
                 (SELECT introductions_thread FROM circle_settings WHERE circle = $1),
                 (SELECT MIN(id) FROM discussion_threads WHERE circle = $1 AND pinned = 1))",
        )
        .bind(circle)
        .fetch_one(&self.pool)
        .await?;
        row.try_get(0)
    }

    /// Whether someone replied in a thread.
    pub async fn replied_in(&self, thread: i64, user_id: i64) -> DbResult<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM discussion_replies WHERE thread = $1 AND author_id = $2",
        )
        .bind(thread)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// Whether a member took a first step that is recorded on its own.
    pub async fn first_step_done(&self, circle: i64, user_id: i64, step: Step) -> DbResult<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM first_steps WHERE circle = $1 AND user_id = $2 AND step = $3",
        )
        .bind(circle)
        .bind(user_id)
        .bind(step.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// Records a first step (once).
    pub async fn mark_first_step(
        &self,
        circle: i64,
        user_id: i64,
        step: Step,
        now_ms: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO first_steps (circle, user_id, step, done_at_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (circle, user_id, step) DO NOTHING",
        )
        .bind(circle)
        .bind(user_id)
        .bind(step.as_str())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }
}
