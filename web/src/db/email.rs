//! E-mail's tables: each member's address and its verification, how they want each kind of
//! notification delivered, the digests already planned, and the outbox (every mail the node
//! will send, kept until sent, retried with backoff, claimed before sending so two processes
//! never send the same one).

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{DbResult, NodeDb};

/// Most mails one pass of the sender takes.
pub const OUTBOX_BATCH_MAX: i64 = 50;
/// How long a sender may hold a claimed mail before another may take it.
pub const CLAIM_MS: i64 = 5 * 60 * 1000;

/// A member's address as the settings show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailRow {
    pub user_id: i64,
    pub address: String,
    pub verified_at_ms: Option<i64>,
    pub created_at_ms: i64,
}

/// A mail to put in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub user_id: i64,
    /// `verify`, `notification` or `digest`.
    pub purpose: &'static str,
    pub to_address: String,
    /// The whole message, as sent (RFC 5322, ASCII).
    pub message: String,
}

/// A mail waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub to_address: String,
    pub message: String,
    pub attempts: i64,
}

/// A notification the mailer has not dealt with yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnmailedRow {
    pub id: i64,
    pub user_id: i64,
    pub created_at_ms: i64,
    pub read: bool,
}

/// How many mails are waiting, sent and given up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub waiting: i64,
    pub sent: i64,
    pub failed: i64,
}

fn email_from_row(row: &AnyRow) -> DbResult<EmailRow> {
    Ok(EmailRow {
        user_id: row.try_get("user_id")?,
        address: row.try_get("address")?,
        verified_at_ms: row.try_get("verified_at_ms")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

async fn insert_mail<'c, E>(executor: E, mail: &NewMail, now_ms: i64) -> DbResult<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO email_outbox (user_id, purpose, to_address, message, created_at_ms, next_attempt_at_ms)
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(mail.user_id)
    .bind(mail.purpose)
    .bind(&mail.to_address)
    .bind(&mail.message)
    .bind(now_ms)
    .execute(executor)
    .await?;
    Ok(())
}

impl NodeDb {
    /// The person's address, verified or not.
    pub async fn email_address(&self, user_id: i64) -> DbResult<Option<EmailRow>> {
        sqlx::query(
            "SELECT user_id, address, verified_at_ms, created_at_ms FROM email_addresses WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(email_from_row)
        .transpose()
    }

    /// Every verified address (the digest's recipients).
    pub async fn verified_addresses(&self) -> DbResult<Vec<EmailRow>> {
        sqlx::query(
            "SELECT user_id, address, verified_at_ms, created_at_ms FROM email_addresses
             WHERE verified_at_ms IS NOT NULL ORDER BY user_id",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(email_from_row)
        .collect()
    }

    /// Sets a new address, unverified, with the hash of its verification token, and queues
    /// the verification mail, in one transaction. Replaces any earlier address.
    pub async fn set_email_address(
        &self,
        user_id: i64,
        token_hash: &[u8],
        expires_at_ms: i64,
        mail: &NewMail,
        now_ms: i64,
    ) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM email_addresses WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        // Mail still waiting for the old address does not go there any more.
        sqlx::query(
            "DELETE FROM email_outbox WHERE user_id = $1 AND sent_at_ms IS NULL AND to_address <> $2",
        )
        .bind(user_id)
        .bind(&mail.to_address)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO email_addresses (user_id, address, verified_at_ms, token_hash, token_expires_at_ms, created_at_ms)
             VALUES ($1, $2, NULL, $3, $4, $5)",
        )
        .bind(user_id)
        .bind(&mail.to_address)
        .bind(token_hash.to_vec())
        .bind(expires_at_ms)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        insert_mail(&mut *tx, mail, now_ms).await?;
        tx.commit().await
    }

    /// Verifies the address whose token hashes to `token_hash`, if the token has not expired:
    /// answers whose it was. The token works once.
    pub async fn verify_email(&self, token_hash: &[u8], now_ms: i64) -> DbResult<Option<i64>> {
        let row = sqlx::query(
            "UPDATE email_addresses SET verified_at_ms = $2, token_hash = NULL, token_expires_at_ms = NULL
             WHERE token_hash = $1 AND token_expires_at_ms > $2 RETURNING user_id",
        )
        .bind(token_hash.to_vec())
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| row.try_get::<i64, _>(0)).transpose()
    }

    /// Forgets the person's address and every mail to them not sent yet.
    pub async fn remove_email_address(&self, user_id: i64) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        for sql in [
            "DELETE FROM email_addresses WHERE user_id = $1",
            "DELETE FROM email_outbox WHERE user_id = $1 AND sent_at_ms IS NULL",
        ] {
            sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
        }
        tx.commit().await
    }

    /// The deliveries the person chose (kinds they never chose are not listed).
    pub async fn email_deliveries(&self, user_id: i64) -> DbResult<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT kind, delivery FROM email_deliveries WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("kind")?, row.try_get("delivery")?)))
            .collect()
    }

    /// Sets how the person wants each kind delivered.
    pub async fn set_email_deliveries(
        &self,
        user_id: i64,
        deliveries: &[(&str, &str)],
    ) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM email_deliveries WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for (kind, delivery) in deliveries {
            sqlx::query(
                "INSERT INTO email_deliveries (user_id, kind, delivery) VALUES ($1, $2, $3)",
            )
            .bind(user_id)
            .bind(*kind)
            .bind(*delivery)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// How many mails of `purpose` went (or wait to go) to the person, or to the address,
    /// since `since_ms`: the limits on verification mails.
    pub async fn mails_since(
        &self,
        user_id: i64,
        address: &str,
        purpose: &str,
        since_ms: i64,
    ) -> DbResult<(i64, i64)> {
        let by_person = sqlx::query(
            "SELECT COUNT(*) FROM email_outbox WHERE user_id = $1 AND purpose = $2 AND created_at_ms >= $3",
        )
        .bind(user_id)
        .bind(purpose)
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await?
        .try_get::<i64, _>(0)?;
        let by_address = sqlx::query(
            "SELECT COUNT(*) FROM email_outbox WHERE to_address = $1 AND purpose = $2 AND created_at_ms >= $3",
        )
        .bind(address)
        .bind(purpose)
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await?
        .try_get::<i64, _>(0)?;
        Ok((by_person, by_address))
    }

    /// When the person last came by (their most recent session's last request).
    pub async fn last_visit_ms(&self, user_id: i64) -> DbResult<Option<i64>> {
        sqlx::query("SELECT MAX(last_seen_ms) FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?
            .try_get::<Option<i64>, _>(0)
    }

    /// Notifications the mailer has not dealt with, oldest first.
    pub async fn unmailed_notifications(&self, limit: i64) -> DbResult<Vec<UnmailedRow>> {
        let rows = sqlx::query(
            "SELECT id, user_id, created_at_ms, read_at_ms FROM notifications
             WHERE mailed_at_ms IS NULL ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(UnmailedRow {
                    id: row.try_get("id")?,
                    user_id: row.try_get("user_id")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                    read: row.try_get::<Option<i64>, _>("read_at_ms")?.is_some(),
                })
            })
            .collect()
    }

    /// Marks a notification dealt with, queueing its mail in the same transaction (so it is
    /// queued once, or not at all).
    pub async fn mark_mailed(
        &self,
        notification: i64,
        mail: Option<&NewMail>,
        now_ms: i64,
    ) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        let marked = sqlx::query(
            "UPDATE notifications SET mailed_at_ms = $2 WHERE id = $1 AND mailed_at_ms IS NULL",
        )
        .bind(notification)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        if let (1, Some(mail)) = (marked.rows_affected(), mail) {
            insert_mail(&mut *tx, mail, now_ms).await?;
        }
        tx.commit().await
    }

    /// When the person's previous digest of `period` in the circle was planned.
    pub async fn last_digest_ms(
        &self,
        user_id: i64,
        circle: i64,
        period: &str,
    ) -> DbResult<Option<i64>> {
        sqlx::query(
            "SELECT MAX(planned_at_ms) FROM email_digests WHERE user_id = $1 AND circle = $2 AND period = $3",
        )
        .bind(user_id)
        .bind(circle)
        .bind(period)
        .fetch_one(&self.pool)
        .await?
        .try_get::<Option<i64>, _>(0)
    }

    /// Whether the digest of this key was planned already.
    pub async fn digest_planned(&self, user_id: i64, circle: i64, key: &str) -> DbResult<bool> {
        Ok(sqlx::query(
            "SELECT 1 FROM email_digests WHERE user_id = $1 AND circle = $2 AND period_key = $3",
        )
        .bind(user_id)
        .bind(circle)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        .is_some())
    }

    /// Records the digest of this key as planned, with its mail when there was something to
    /// say, in one transaction; answers false (and queues nothing) if it was planned already.
    pub async fn plan_digest(
        &self,
        (user_id, circle): (i64, i64),
        (period, key): (&str, &str),
        mail: Option<&NewMail>,
        now_ms: i64,
    ) -> DbResult<bool> {
        let mut tx = self.pool.begin().await?;
        let planned = sqlx::query(
            "INSERT INTO email_digests (user_id, circle, period, period_key, planned_at_ms, mailed)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, circle, period_key) DO NOTHING",
        )
        .bind(user_id)
        .bind(circle)
        .bind(period)
        .bind(key)
        .bind(now_ms)
        .bind(i64::from(mail.is_some()))
        .execute(&mut *tx)
        .await?;
        if planned.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(mail) = mail {
            insert_mail(&mut *tx, mail, now_ms).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Mails due now, oldest first.
    pub async fn due_mails(&self, now_ms: i64, limit: i64) -> DbResult<Vec<OutboxRow>> {
        let rows = sqlx::query(
            "SELECT id, to_address, message, attempts FROM email_outbox
             WHERE sent_at_ms IS NULL AND failed_at_ms IS NULL AND next_attempt_at_ms <= $1
               AND (claimed_until_ms IS NULL OR claimed_until_ms < $1)
             ORDER BY id LIMIT $2",
        )
        .bind(now_ms)
        .bind(limit.clamp(1, OUTBOX_BATCH_MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OutboxRow {
                    id: row.try_get("id")?,
                    to_address: row.try_get("to_address")?,
                    message: row.try_get("message")?,
                    attempts: row.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// Claims a mail for sending; false when another sender has it, or it went already.
    pub async fn claim_mail(&self, id: i64, now_ms: i64) -> DbResult<bool> {
        let claimed = sqlx::query(
            "UPDATE email_outbox SET claimed_until_ms = $2
             WHERE id = $1 AND sent_at_ms IS NULL AND failed_at_ms IS NULL
               AND (claimed_until_ms IS NULL OR claimed_until_ms < $3)",
        )
        .bind(id)
        .bind(now_ms + CLAIM_MS)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    /// The mail server took the mail.
    pub async fn mail_sent(&self, id: i64, now_ms: i64) -> DbResult<()> {
        sqlx::query("UPDATE email_outbox SET sent_at_ms = $2, claimed_until_ms = NULL, attempts = attempts + 1 WHERE id = $1")
            .bind(id)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The mail server refused or could not be reached: try again at `next_ms`, or give up
    /// (`next_ms` is `None`).
    pub async fn mail_not_sent(
        &self,
        id: i64,
        next_ms: Option<i64>,
        error: &str,
        now_ms: i64,
    ) -> DbResult<()> {
        let error: String = error.chars().take(500).collect();
        sqlx::query(
            "UPDATE email_outbox SET attempts = attempts + 1, claimed_until_ms = NULL, last_error = $2,
                next_attempt_at_ms = COALESCE($3, next_attempt_at_ms),
                failed_at_ms = CASE WHEN $3 IS NULL THEN $4 ELSE NULL END
             WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .bind(next_ms)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets mails sent or given up before `before_ms`, and digests planned before then.
    pub async fn purge_mail(&self, before_ms: i64) -> DbResult<u64> {
        let mails =
            sqlx::query("DELETE FROM email_outbox WHERE COALESCE(sent_at_ms, failed_at_ms) < $1")
                .bind(before_ms)
                .execute(&self.pool)
                .await?;
        sqlx::query("DELETE FROM email_digests WHERE planned_at_ms < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await?;
        Ok(mails.rows_affected())
    }

    /// How many mails wait, went, and were given up.
    pub async fn outbox_counts(&self) -> DbResult<OutboxCounts> {
        let row = sqlx::query(
            "SELECT
                COALESCE(SUM(CASE WHEN sent_at_ms IS NULL AND failed_at_ms IS NULL THEN 1 ELSE 0 END), 0) AS waiting,
                COALESCE(SUM(CASE WHEN sent_at_ms IS NOT NULL THEN 1 ELSE 0 END), 0) AS sent,
                COALESCE(SUM(CASE WHEN failed_at_ms IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed
             FROM email_outbox",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(OutboxCounts {
            waiting: row.try_get("waiting")?,
            sent: row.try_get("sent")?,
            failed: row.try_get("failed")?,
        })
    }
}
