//! Login sessions: opening, reading (remembered), ending and purging them.

use super::*;

impl NodeDb {
    // ----- sessions -----
    pub async fn create_session(
        &self,
        token_hash: &[u8],
        user_id: i64,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> DbResult<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at_ms, expires_at_ms, last_seen_ms) VALUES ($1, $2, $3, $4, $3)")
            .bind(token_hash.to_vec())
            .bind(user_id)
            .bind(now_ms)
            .bind(expires_at_ms)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// The person behind a live session, moving its idle expiry forward to `expires_at_ms`.
    pub async fn session_user(
        &self,
        token_hash: &[u8],
        now_ms: i64,
        expires_at_ms: i64,
    ) -> DbResult<Option<User>> {
        let found = self
            .reads
            .sessions
            .get_or_read(
                &self.reads.generations,
                WEB_SCOPE,
                token_hash.to_vec(),
                || async {
                    let row = sqlx::query(
                        "SELECT user_id, expires_at_ms, last_seen_ms FROM sessions WHERE token_hash = $1",
                    )
                    .bind(token_hash.to_vec())
                    .fetch_optional(&self.pool)
                    .await?;
                    row.map(|row| -> DbResult<SessionRow> {
                        Ok(SessionRow {
                            user_id: row.try_get("user_id")?,
                            expires_at_ms: row.try_get("expires_at_ms")?,
                            last_seen_ms: row.try_get("last_seen_ms")?,
                        })
                    })
                    .transpose()
                },
            )
            .await?;
        let Some(session) = found else {
            return Ok(None);
        };
        if session.expires_at_ms <= now_ms {
            self.delete_session(token_hash).await?;
            return Ok(None);
        }
        // One write per minute at most keeps busy pages from writing on every request. Moving a
        // session's expiry changes nothing else anybody remembers, so it bumps no generation.
        if now_ms - session.last_seen_ms > 60_000 {
            let generation = self.generation();
            sqlx::query(
                "UPDATE sessions SET last_seen_ms = $1, expires_at_ms = $2 WHERE token_hash = $3",
            )
            .bind(now_ms)
            .bind(expires_at_ms)
            .bind(token_hash.to_vec())
            .execute(&self.pool)
            .await?;
            self.reads.sessions.put(
                token_hash.to_vec(),
                generation,
                Some(SessionRow {
                    expires_at_ms,
                    last_seen_ms: now_ms,
                    ..session
                }),
            );
        }
        self.user(session.user_id).await
    }

    pub async fn delete_session(&self, token_hash: &[u8]) -> DbResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_vec())
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// Removes expired sessions; returns the hashes of those removed.
    pub async fn purge_sessions(&self, now_ms: i64) -> DbResult<Vec<Vec<u8>>> {
        let rows =
            sqlx::query("DELETE FROM sessions WHERE expires_at_ms <= $1 RETURNING token_hash")
                .bind(now_ms)
                .fetch_all(&self.pool)
                .await?;
        self.changed();
        rows.iter().map(|row| row.try_get(0)).collect()
    }

    /// The hashes of a person's live sessions.
    pub async fn sessions_of(&self, user_id: i64) -> DbResult<Vec<Vec<u8>>> {
        let rows = sqlx::query("SELECT token_hash FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| row.try_get(0)).collect()
    }
}
