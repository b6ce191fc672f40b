//! Erasing a person's words from the circle's decisions: the text of their comments and of
//! their pause requests. Their proposals stay (the circle decided on them), as do their signed
//! ballots and delegations, which name only a circle key.

use super::*;

impl Governance {
    /// Erases what one person wrote in every circle's discussions. Safe to run again.
    pub async fn erase_author(&self, user_id: i64) -> GovernanceResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE proposal_comments SET body = '' WHERE author = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE proposal_pause_requests SET reason = '' WHERE requester = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
