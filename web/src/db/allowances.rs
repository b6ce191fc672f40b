//! The sandbox's daily allowances: what a new member posted on each day of their membership.

use super::{DbResult, NodeDb};

impl NodeDb {
    /// Takes one of the day's `per_day` posts of `kind`, in one statement (an upsert that adds
    /// one only while under the allowance), so concurrent posts never pass it. Answers whether
    /// one was left.
    pub async fn take_allowance(
        &self,
        circle: i64,
        user_id: i64,
        kind: &str,
        day: i64,
        per_day: i64,
    ) -> DbResult<bool> {
        let taken = sqlx::query(
            "INSERT INTO sandbox_allowances (circle, user_id, kind, day, used) VALUES ($1, $2, $3, $4, 1)
             ON CONFLICT (circle, user_id, kind, day) DO UPDATE SET used = sandbox_allowances.used + 1
             WHERE sandbox_allowances.used < $5",
        )
        .bind(circle)
        .bind(user_id)
        .bind(kind)
        .bind(day)
        .bind(per_day)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(taken == 1)
    }
}
