//! Erasing a person from the web space's tables: asking (with a grace period), changing one's
//! mind, the accounts due, and the erasure itself, table by table in one transaction: what
//! they wrote and who they were go; the signed records stay, no longer linked to them.

use sqlx::Row;

use super::{DbResult, NodeDb};

/// Most erasures one run of the job carries out.
pub const ERASURES_PER_RUN_MAX: i64 = 100;

impl NodeDb {
    /// Asks for the person's account to be erased (at the end of the grace period).
    pub async fn request_erasure(&self, user_id: i64, now_ms: i64) -> DbResult<()> {
        sqlx::query(
            "UPDATE users SET erase_requested_at_ms = $2 WHERE id = $1 AND erased_at_ms IS NULL",
        )
        .bind(user_id)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// The person changed their mind.
    pub async fn cancel_erasure(&self, user_id: i64) -> DbResult<()> {
        sqlx::query("UPDATE users SET erase_requested_at_ms = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// When the person asked to be erased, if they did.
    pub async fn erasure_requested(&self, user_id: i64) -> DbResult<Option<i64>> {
        let row = sqlx::query("SELECT erase_requested_at_ms FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get(0)).transpose()?.flatten())
    }

    /// The accounts whose erasure was asked before `asked_before_ms` (their grace ended).
    pub async fn erasures_due(&self, asked_before_ms: i64) -> DbResult<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT id FROM users WHERE erase_requested_at_ms IS NOT NULL AND erase_requested_at_ms <= $1
             AND erased_at_ms IS NULL ORDER BY erase_requested_at_ms LIMIT $2",
        )
        .bind(asked_before_ms)
        .bind(ERASURES_PER_RUN_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| row.try_get(0)).collect()
    }

    /// Whether a moderation case about the person is still open (their reported words are
    /// kept until it is resolved). Reports opened after `opened_before_ms` do not count (nobody holds an erasure back by
    /// reporting the person once they asked).
    pub async fn open_cases_about(&self, user_id: i64, opened_before_ms: i64) -> DbResult<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM moderation_cases WHERE subject_id = $1 AND status = 'open' AND opened_at_ms <= $2",
        )
        .bind(user_id)
        .bind(opened_before_ms)
        .fetch_one(&self.pool)
        .await?;
        row.try_get(0)
    }

    /// How many people administer the node.
    pub async fn node_admin_count(&self) -> DbResult<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM users WHERE is_node_admin = 1 AND erased_at_ms IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        row.try_get(0)
    }

    /// Erases the person from the web space's tables in one transaction. Their circle keys,
    /// signed entries, ballots and delegations stay as pseudonymous records: the rows that
    /// linked a key to this person (memberships, member keys) are deleted.
    pub async fn erase_person(&self, user_id: i64, now_ms: i64) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        for sql in [
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM api_tokens WHERE user_id = $1",
            "DELETE FROM notifications WHERE user_id = $1",
            "UPDATE notifications SET from_user = NULL WHERE from_user = $1",
            "DELETE FROM notification_mutes WHERE user_id = $1",
            "DELETE FROM member_blocks WHERE user_id = $1 OR other_id = $1",
            "DELETE FROM security_events WHERE user_id = $1",
            "DELETE FROM recovery_circles WHERE user_id = $1",
            "DELETE FROM recoveries WHERE user_id = $1",
            "DELETE FROM member_keys WHERE user_id = $1",
            // Deals and requests across a link: their own sides go; where the other side is
            // on this node too, what they wrote there and their name go with them.
            "UPDATE link_deal_messages SET body = '' WHERE author = 'there' AND deal IN (
                SELECT d.id FROM link_deals d JOIN circles c ON d.partner = c.circle_id
                JOIN memberships m ON m.circle = c.id JOIN users u ON u.id = m.user_id
                WHERE m.user_id = $1 AND d.other_username = u.username)",
            "UPDATE link_deals SET other_name = '' WHERE id IN (
                SELECT d.id FROM link_deals d JOIN circles c ON d.partner = c.circle_id
                JOIN memberships m ON m.circle = c.id JOIN users u ON u.id = m.user_id
                WHERE m.user_id = $1 AND d.other_username = u.username)",
            "DELETE FROM link_deal_messages WHERE deal IN (SELECT id FROM link_deals WHERE user_id = $1)",
            "DELETE FROM link_deals WHERE user_id = $1",
            "DELETE FROM link_requests WHERE user_id = $1",
            "DELETE FROM link_blocks WHERE user_id = $1",
            "DELETE FROM memberships WHERE user_id = $1",
            "DELETE FROM moderators WHERE user_id = $1",
            "DELETE FROM moderation_pending WHERE proposed_by = $1",
            "DELETE FROM sandbox_allowances WHERE user_id = $1",
            "DELETE FROM moderation_reports WHERE reporter_id = $1",
            "DELETE FROM repair_people WHERE user_id = $1",
            "UPDATE repair_messages SET body = '' WHERE author_id = $1",
            "UPDATE moderation_people SET subject_id = NULL WHERE subject_id = $1",
            "UPDATE moderation_people SET moderator_id = NULL WHERE moderator_id = $1",
            "UPDATE moderation_cases SET subject_id = NULL, snapshot = '', statement = '' WHERE subject_id = $1",
            "UPDATE moderation_hidden SET author_id = NULL WHERE author_id = $1",
            "UPDATE invitations SET note = '' WHERE created_by = $1",
            // An invitation made for the person named them and held their first key.
            "UPDATE invitations SET note = '', account_key = NULL, sealed_key = NULL, used_by = NULL WHERE used_by = $1",
            "DELETE FROM user_tags WHERE user_id = $1",
            "DELETE FROM user_photos WHERE user_id = $1",
            "DELETE FROM first_steps WHERE user_id = $1",
            "DELETE FROM email_addresses WHERE user_id = $1",
            "DELETE FROM email_deliveries WHERE user_id = $1",
            "DELETE FROM email_digests WHERE user_id = $1",
            "DELETE FROM email_outbox WHERE user_id = $1",
            "DELETE FROM public_items WHERE shared_by = $1",
            // What their posts and replies said before they changed them.
            "DELETE FROM discussion_versions WHERE (kind = 'reply' AND item IN (SELECT id FROM discussion_replies WHERE author_id = $1))
                OR (kind = 'thread' AND item IN (SELECT id FROM discussion_threads WHERE author_id = $1))",
            // Their private messages go; the others keep what they wrote to each other.
            "DELETE FROM conversation_messages WHERE author_id = $1",
            "DELETE FROM conversation_people WHERE user_id = $1",
            "UPDATE conversations SET started_by = NULL WHERE started_by = $1",
        ] {
            sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
        }
        sqlx::query(
            "UPDATE invitations SET revoked_at_ms = $2 WHERE created_by = $1 AND used_by IS NULL AND revoked_at_ms IS NULL",
        )
        .bind(user_id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE users SET username = $2, display_name = '', bio = '', ask_me_about = '', profile_public = 0, password_hash = '', seal_salt = $3,
                language = NULL, prior_password_hash = NULL, prior_seal_salt = NULL, recovery_restricted = 0, recovery_lifts_at_ms = NULL,
                is_node_admin = 0, erase_requested_at_ms = NULL, erased_at_ms = $4
             WHERE id = $1",
        )
        .bind(user_id)
        .bind(format!("erased-{user_id}"))
        .bind(Vec::<u8>::new())
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }
}
