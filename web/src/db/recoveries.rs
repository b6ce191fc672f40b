//! Account recoveries: links, their use, the restricted login, and taking an account back.

use super::*;

impl NodeDb {
    // ----- recoveries -----
    #[allow(clippy::too_many_arguments)]
    pub async fn create_recovery(
        &self,
        circle: i64,
        user_id: i64,
        token_hash: &[u8],
        created_by: i64,
        account_key: &PublicKey,
        sealed_key: Vec<u8>,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO recoveries (circle, user_id, token_hash, created_by, account_key, sealed_key, created_at_ms, expires_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(circle)
        .bind(user_id)
        .bind(token_hash.to_vec())
        .bind(created_by)
        .bind(account_key.as_bytes().to_vec())
        .bind(sealed_key)
        .bind(now_ms)
        .bind(expires_at_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// An unused, unexpired recovery: (id, circle, user, temporary key, sealed temporary key).
    pub async fn recovery_by_token(
        &self,
        token_hash: &[u8],
        now_ms: i64,
    ) -> DbResult<Option<(i64, i64, i64, PublicKey, Vec<u8>)>> {
        let row = sqlx::query(
            "SELECT id, circle, user_id, account_key, sealed_key FROM recoveries
             WHERE token_hash = $1 AND used_at_ms IS NULL AND expires_at_ms > $2 AND sealed_key IS NOT NULL",
        )
        .bind(token_hash.to_vec())
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok((
                row.try_get("id")?,
                row.try_get("circle")?,
                row.try_get("user_id")?,
                key_of(row.try_get("account_key")?)?,
                row.try_get("sealed_key")?,
            ))
        })
        .transpose()
    }

    /// Claims a recovery link (once).
    pub async fn use_recovery(&self, id: i64, now_ms: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE recoveries SET used_at_ms = $1, sealed_key = NULL WHERE id = $2 AND used_at_ms IS NULL",
        )
        .bind(now_ms)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Records a recovery the person followed in `circle`: the first unsettled recovery keeps
    /// the password they had (their way to take the account back) and restricts the login to
    /// the circles that recovered it; `new_password` (hash, seal salt) replaces the current one
    /// (none when they confirmed their current password instead). The restriction holds, and
    /// the prior password takes the account back, until `lifts_at_ms` (the latest recovery's
    /// take-back period), whatever circles the person is in: see [`NodeDb::lift_recoveries`].
    /// Every session and API token ends; the hashes of the ended sessions are returned.
    pub async fn record_recovery(
        &self,
        user_id: i64,
        circle: i64,
        new_password: Option<(&str, &[u8])>,
        now_ms: i64,
        lifts_at_ms: i64,
    ) -> DbResult<Vec<Vec<u8>>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE users SET prior_password_hash = password_hash, prior_seal_salt = seal_salt, recovery_restricted = 1
             WHERE id = $1 AND recovery_restricted = 0",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if let Some((hash, salt)) = new_password {
            sqlx::query("UPDATE users SET password_hash = $1, seal_salt = $2 WHERE id = $3")
                .bind(hash)
                .bind(salt.to_vec())
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO recovery_circles (user_id, circle) VALUES ($1, $2) ON CONFLICT (user_id, circle) DO NOTHING",
        )
        .bind(user_id)
        .bind(circle)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE users SET recovery_notice_at_ms = $1, recovery_lifts_at_ms = $2 WHERE id = $3",
        )
        .bind(now_ms)
        .bind(lifts_at_ms)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        let ended = end_everything(&mut tx, user_id).await?;
        tx.commit().await?;
        self.changed();
        Ok(ended)
    }

    /// Ends the take-back period of every recovered login whose period is over: the password
    /// from before the recovery no longer takes the account back, and the restriction lifts
    /// where every active circle of the person recovered them. A login with a circle that did
    /// not recover it stays restricted to the others (that circle's stewards never opened it).
    /// Returns how many logins were lifted.
    pub async fn lift_recoveries(&self, now_ms: i64) -> DbResult<u64> {
        let mut tx = self.pool.begin().await?;
        let ended = sqlx::query(
            "UPDATE users SET prior_password_hash = NULL, prior_seal_salt = NULL
             WHERE recovery_restricted = 1 AND COALESCE(recovery_lifts_at_ms, 0) <= $1
               AND prior_password_hash IS NOT NULL",
        )
        .bind(now_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let lifted = sqlx::query(
            "UPDATE users SET recovery_restricted = 0, recovery_lifts_at_ms = NULL
             WHERE recovery_restricted = 1 AND COALESCE(recovery_lifts_at_ms, 0) <= $1
               AND NOT EXISTS (
                 SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.status = 'active'
                   AND m.circle NOT IN (SELECT r.circle FROM recovery_circles r WHERE r.user_id = users.id))",
        )
        .bind(now_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if lifted > 0 {
            sqlx::query(
                "DELETE FROM recovery_circles WHERE user_id IN (SELECT id FROM users WHERE recovery_restricted = 0)",
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        if lifted + ended > 0 {
            self.changed();
        }
        Ok(lifted)
    }

    /// The person proved the password they had before a recovery: it is theirs again, the
    /// account is whole, and every session and token (the recovered login's too) ends.
    pub async fn take_back(&self, user_id: i64) -> DbResult<Vec<Vec<u8>>> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = prior_password_hash, seal_salt = prior_seal_salt,
               prior_password_hash = NULL, prior_seal_salt = NULL, recovery_restricted = 0,
               recovery_lifts_at_ms = NULL
             WHERE id = $1 AND prior_password_hash IS NOT NULL",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        sqlx::query("DELETE FROM recovery_circles WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let ended = end_everything(&mut tx, user_id).await?;
        tx.commit().await?;
        self.changed();
        Ok(ended)
    }

    /// The circles a restricted login may reach (those whose stewards recovered it).
    pub async fn recovery_circles(&self, user_id: i64) -> DbResult<Vec<i64>> {
        sqlx::query("SELECT circle FROM recovery_circles WHERE user_id = $1 ORDER BY circle")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| row.try_get(0))
            .collect()
    }

    /// The person has been told about their last recovery.
    pub async fn clear_recovery_notice(&self, user_id: i64) -> DbResult<()> {
        sqlx::query("UPDATE users SET recovery_notice_at_ms = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// The recoveries of a person's account that were followed, newest first: (circle row,
    /// the steward's display name, when it was used).
    pub async fn recoveries_of(&self, user_id: i64) -> DbResult<Vec<(i64, String, i64)>> {
        sqlx::query(
            "SELECT r.circle, u.display_name, r.used_at_ms FROM recoveries r JOIN users u ON u.id = r.created_by
             WHERE r.user_id = $1 AND r.used_at_ms IS NOT NULL ORDER BY r.used_at_ms DESC LIMIT 50",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
        .collect()
    }
}
