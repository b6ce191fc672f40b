//! Invitation links: made, claimed, finished, revoked and listed.

use super::*;

impl NodeDb {
    // ----- invitations -----
    #[allow(clippy::too_many_arguments)]
    pub async fn create_invitation(
        &self,
        circle: i64,
        token_hash: &[u8],
        created_by: i64,
        by_steward: bool,
        note: &str,
        account: Option<(&PublicKey, Vec<u8>)>,
        now_ms: i64,
        expires_at_ms: i64,
        max_uses: i64,
    ) -> DbResult<i64> {
        let row = sqlx::query(
            "INSERT INTO invitations (circle, token_hash, created_by, by_steward, note, account_key, sealed_key, created_at_ms, expires_at_ms, max_uses)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(circle)
        .bind(token_hash.to_vec())
        .bind(created_by)
        .bind(i64::from(by_steward))
        .bind(note)
        .bind(account.as_ref().map(|(key, _)| key.as_bytes().to_vec()))
        .bind(account.map(|(_, sealed)| sealed))
        .bind(now_ms)
        .bind(expires_at_ms)
        .bind(max_uses)
        .fetch_one(&self.pool)
        .await?;
        self.changed();
        row.try_get(0)
    }

    pub async fn invitation_by_token(&self, token_hash: &[u8]) -> DbResult<Option<Invitation>> {
        let sql = format!("{INVITATION_SELECT} WHERE i.token_hash = $1");
        sqlx::query(&sql)
            .bind(token_hash.to_vec())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(invitation_from_row)
            .transpose()
    }

    pub async fn invitation(&self, circle: i64, id: i64) -> DbResult<Option<Invitation>> {
        let sql = format!("{INVITATION_SELECT} WHERE i.circle = $1 AND i.id = $2");
        sqlx::query(&sql)
            .bind(circle)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(invitation_from_row)
            .transpose()
    }

    /// A circle's invitations, newest first; `created_by` limits them to one member's.
    pub async fn invitations(
        &self,
        circle: i64,
        created_by: Option<i64>,
    ) -> DbResult<Vec<Invitation>> {
        let sql = format!(
            "{INVITATION_SELECT} WHERE i.circle = $1 AND ($2 = 0 OR i.created_by = $2) ORDER BY i.created_at_ms DESC, i.id DESC LIMIT $3"
        );
        sqlx::query(&sql)
            .bind(circle)
            .bind(created_by.unwrap_or(0))
            .bind(INVITATIONS_PAGE_MAX)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(invitation_from_row)
            .collect()
    }

    /// Claims an invitation for one joining (before anything is written): true if it was
    /// still open. `finish_invitation` records who used it; `release_invitation` gives it back.
    pub async fn claim_invitation(&self, id: i64, now_ms: i64) -> DbResult<bool> {
        // A link for one is claimed by its use time; a link for several counts its uses.
        let done = sqlx::query(
            "UPDATE invitations SET used_at_ms = CASE WHEN max_uses = 1 THEN $1 ELSE used_at_ms END,
               use_count = use_count + 1
             WHERE id = $2 AND revoked_at_ms IS NULL AND expires_at_ms > $1 AND used_by IS NULL
               AND ((max_uses = 1 AND used_at_ms IS NULL) OR (max_uses > 1 AND use_count < max_uses))",
        )
        .bind(now_ms)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    pub async fn release_invitation(&self, id: i64) -> DbResult<()> {
        sqlx::query(
            "UPDATE invitations SET used_at_ms = CASE WHEN max_uses = 1 THEN NULL ELSE used_at_ms END,
               use_count = use_count - 1
             WHERE id = $1 AND used_by IS NULL AND use_count > 0",
        )
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    pub async fn finish_invitation(&self, id: i64, user_id: i64, now_ms: i64) -> DbResult<()> {
        sqlx::query(
            "UPDATE invitations SET used_by = CASE WHEN max_uses = 1 THEN $1 ELSE NULL END,
               sealed_key = NULL, used_at_ms = $3 WHERE id = $2",
        )
        .bind(user_id)
        .bind(id)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    pub async fn revoke_invitation(&self, circle: i64, id: i64, now_ms: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE invitations SET revoked_at_ms = $1, sealed_key = NULL WHERE circle = $2 AND id = $3 AND used_by IS NULL AND revoked_at_ms IS NULL
               AND (max_uses > 1 OR used_at_ms IS NULL)",
        )
        .bind(now_ms)
        .bind(circle)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }
}
