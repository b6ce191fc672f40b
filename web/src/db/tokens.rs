//! API tokens: made, listed, revoked, and read with their scope and circle.

use super::*;

impl NodeDb {
    // ----- API tokens -----
    pub async fn create_api_token(
        &self,
        token_hash: &[u8],
        token: NewToken<'_>,
        now_ms: i64,
    ) -> DbResult<()> {
        sqlx::query("INSERT INTO api_tokens (token_hash, user_id, label, created_at_ms, scope, circle, expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(token_hash.to_vec())
            .bind(token.user_id)
            .bind(token.label)
            .bind(now_ms)
            .bind(token.scope.as_str())
            .bind(token.circle)
            .bind(token.expires_at_ms)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// A person's API tokens, newest first.
    pub async fn api_tokens_of(&self, user_id: i64) -> DbResult<Vec<TokenRow>> {
        sqlx::query("SELECT token_hash, label, scope, circle, created_at_ms, last_used_ms, expires_at_ms FROM api_tokens WHERE user_id = $1 ORDER BY created_at_ms DESC")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                let scope: String = row.try_get("scope")?;
                Ok(TokenRow {
                    id: hex::encode(row.try_get::<Vec<u8>, _>("token_hash")?),
                    label: row.try_get("label")?,
                    scope: TokenScope::parse(&scope).unwrap_or(TokenScope::Read),
                    circle: row.try_get("circle")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                    last_used_ms: row.try_get("last_used_ms")?,
                    expires_at_ms: row.try_get("expires_at_ms")?,
                })
            })
            .collect()
    }

    pub async fn delete_api_token(&self, user_id: i64, token_hash: &[u8]) -> DbResult<bool> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE user_id = $1 AND token_hash = $2")
            .bind(user_id)
            .bind(token_hash.to_vec())
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Revokes every API token of a person (a password change, a recovery); returns how many.
    pub async fn delete_api_tokens_of(&self, user_id: i64) -> DbResult<u64> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(done.rows_affected())
    }

    /// The person and grant of a token that has not expired.
    pub async fn api_token_user(
        &self,
        token_hash: &[u8],
        now_ms: i64,
    ) -> DbResult<Option<(User, TokenGrant)>> {
        let found = self
            .reads
            .tokens
            .get_or_read(
                &self.reads.generations,
                WEB_SCOPE,
                token_hash.to_vec(),
                || async {
                    let row = sqlx::query(
                        "SELECT user_id, scope, circle, expires_at_ms, last_used_ms FROM api_tokens WHERE token_hash = $1",
                    )
                    .bind(token_hash.to_vec())
                    .fetch_optional(&self.pool)
                    .await?;
                    row.map(|row| -> DbResult<(TokenGrant, Option<i64>)> {
                        let scope: String = row.try_get("scope")?;
                        let grant = TokenGrant {
                            user_id: row.try_get("user_id")?,
                            // An unknown scope grants the least.
                            scope: TokenScope::parse(&scope).unwrap_or(TokenScope::Read),
                            circle: row.try_get("circle")?,
                            expires_at_ms: row.try_get("expires_at_ms")?,
                        };
                        Ok((grant, row.try_get("last_used_ms")?))
                    })
                    .transpose()
                },
            )
            .await?;
        let Some((grant, last_used)) = found else {
            return Ok(None);
        };
        if now_ms >= grant.expires_at_ms {
            return Ok(None);
        }
        // One write per minute at most: a busy script must not turn every call into a commit.
        // Like a session's expiry, a token's last use changes nothing else remembered.
        if last_used.is_none_or(|last: i64| now_ms - last > 60_000) {
            let generation = self.generation();
            sqlx::query("UPDATE api_tokens SET last_used_ms = $1 WHERE token_hash = $2")
                .bind(now_ms)
                .bind(token_hash.to_vec())
                .execute(&self.pool)
                .await?;
            self.reads
                .tokens
                .put(token_hash.to_vec(), generation, Some((grant, Some(now_ms))));
        }
        Ok(self.user(grant.user_id).await?.map(|user| (user, grant)))
    }
}
