//! A member's notifications and the kinds they turned off; the unread count every page shows
//! is remembered per member until one of theirs changes.

use sqlx::Row;

use super::{DbResult, NodeDb};
use crate::notifications::kind::{NewNotification, Notification, NotificationKind};

/// Most notifications one list returns.
pub const NOTIFICATIONS_LISTED_MAX: i64 = 200;

fn notification_from_row(row: &sqlx::any::AnyRow) -> DbResult<Notification> {
    Ok(Notification {
        id: row.try_get("id")?,
        circle: row.try_get("circle")?,
        kind: NotificationKind::parse(&row.try_get::<String, _>("kind")?)
            .ok_or_else(|| sqlx::Error::Decode("an unknown notification kind".into()))?,
        listing: row.try_get("listing")?,
        other_listing: row.try_get("other_listing")?,
        proposal: row.try_get("proposal")?,
        moderation: row.try_get("moderation")?,
        news: row.try_get("news")?,
        thread: row.try_get("thread")?,
        conversation: row.try_get("conversation")?,
        deal: row.try_get("deal")?,
        from_user: row.try_get("from_user")?,
        created_at_ms: row.try_get("created_at_ms")?,
        read: row.try_get::<Option<i64>, _>("read_at_ms")?.is_some(),
    })
}

impl NodeDb {
    /// Notifies a member, unless they turned that kind off. Returns whether it was stored.
    pub async fn notify(&self, note: NewNotification, now_ms: i64) -> DbResult<bool> {
        self.notify_from(note, None, now_ms).await
    }

    /// Notifies a member of something `from_user` did (see [`NodeDb::notify`]).
    pub async fn notify_from(
        &self,
        note: NewNotification,
        from_user: Option<i64>,
        now_ms: i64,
    ) -> DbResult<bool> {
        let inserted = sqlx::query(
            "INSERT INTO notifications (user_id, circle, kind, listing, other_listing, deal, proposal, created_at_ms, moderation, news, thread, from_user, conversation)
             SELECT $1, $2, $3, $4, $5, $6, $8, $7, $10, $11, $12, $13, $14
             WHERE $9 = 0 OR NOT EXISTS (SELECT 1 FROM notification_mutes WHERE user_id = $1 AND kind = $3)",
        )
        .bind(note.user)
        .bind(note.circle)
        .bind(note.kind.as_str())
        .bind(note.listing)
        .bind(note.other_listing)
        .bind(note.deal)
        .bind(now_ms)
        .bind(note.proposal)
        .bind(i64::from(note.kind.may_mute()))
        .bind(note.moderation)
        .bind(note.news)
        .bind(note.thread)
        .bind(from_user)
        .bind(note.conversation)
        .execute(&self.pool)
        .await?;
        self.reads.notices.bump(note.user);
        Ok(inserted.rows_affected() == 1)
    }

    /// A member's notifications, newest first.
    pub async fn notifications(&self, user: i64, limit: i64) -> DbResult<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT id, circle, kind, listing, other_listing, deal, proposal, moderation, news, thread, conversation, from_user, created_at_ms, read_at_ms
             FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(user)
        .bind(limit.clamp(1, NOTIFICATIONS_LISTED_MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(notification_from_row).collect()
    }

    /// One notification and whose it is.
    pub async fn notification(&self, id: i64) -> DbResult<Option<(i64, Notification)>> {
        let row = sqlx::query(
            "SELECT id, user_id, circle, kind, listing, other_listing, deal, proposal, moderation, news, thread, conversation, from_user, created_at_ms, read_at_ms
             FROM notifications WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((row.try_get("user_id")?, notification_from_row(&row)?)))
            .transpose()
    }

    /// How many notifications a member has not read (remembered: every page shows it).
    pub async fn unread_count(&self, user: i64) -> DbResult<i64> {
        self.reads
            .unread
            .get_or_read(&self.reads.notices, user, user, || async move {
                let row = sqlx::query(
                    "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at_ms IS NULL",
                )
                .bind(user)
                .fetch_one(&self.pool)
                .await?;
                row.try_get::<i64, _>(0)
            })
            .await
    }

    /// Marks all of a member's notifications read.
    pub async fn mark_read(&self, user: i64, now_ms: i64) -> DbResult<()> {
        self.mark_read_up_to(user, i64::MAX, now_ms).await
    }

    /// Marks read a member's notifications up to the one numbered `newest_id` (what a page
    /// showed them: one that arrived while it was being written stays new).
    pub async fn mark_read_up_to(&self, user: i64, newest_id: i64, now_ms: i64) -> DbResult<()> {
        sqlx::query(
            "UPDATE notifications SET read_at_ms = $1
             WHERE user_id = $2 AND id <= $3 AND read_at_ms IS NULL",
        )
        .bind(now_ms)
        .bind(user)
        .bind(newest_id)
        .execute(&self.pool)
        .await?;
        self.reads.notices.bump(user);
        Ok(())
    }

    /// Marks read a member's notifications of what `from_user` did (they blocked or muted
    /// them: what they sent no longer counts as waiting).
    pub async fn mark_read_from(&self, user: i64, from_user: i64, now_ms: i64) -> DbResult<()> {
        sqlx::query(
            "UPDATE notifications SET read_at_ms = $1
             WHERE user_id = $2 AND from_user = $3 AND read_at_ms IS NULL",
        )
        .bind(now_ms)
        .bind(user)
        .bind(from_user)
        .execute(&self.pool)
        .await?;
        self.reads.notices.bump(user);
        Ok(())
    }

    /// Marks read every notification about an item a moderator hid (its listing, news post,
    /// thread or proposal), so no unread count points at something nobody is shown; answers
    /// how many. Other kinds of item are never what a notification names.
    pub async fn mark_read_about(
        &self,
        circle: i64,
        target_kind: &str,
        target_id: i64,
        now_ms: i64,
    ) -> DbResult<u64> {
        let about = match target_kind {
            "listing" => "(listing = $3 OR other_listing = $3)",
            "news" => "news = $3",
            "thread" => "thread = $3",
            "proposal" => "proposal = $3",
            _ => return Ok(0),
        };
        let rows = sqlx::query(&format!(
            "UPDATE notifications SET read_at_ms = $1
             WHERE circle = $2 AND {about} AND read_at_ms IS NULL RETURNING user_id"
        ))
        .bind(now_ms)
        .bind(circle)
        .bind(target_id)
        .fetch_all(&self.pool)
        .await?;
        self.forget_unread_of(&rows)
    }

    /// Marks read every notification a member caused in a circle (they were suspended there:
    /// the reach rule keeps their words quiet); answers how many.
    pub async fn mark_read_from_in(
        &self,
        circle: i64,
        from_user: i64,
        now_ms: i64,
    ) -> DbResult<u64> {
        let rows = sqlx::query(
            "UPDATE notifications SET read_at_ms = $1
             WHERE circle = $2 AND from_user = $3 AND read_at_ms IS NULL RETURNING user_id",
        )
        .bind(now_ms)
        .bind(circle)
        .bind(from_user)
        .fetch_all(&self.pool)
        .await?;
        self.forget_unread_of(&rows)
    }

    /// The unread counts of the people these rows name (`user_id`) are old: answers how many.
    fn forget_unread_of(&self, rows: &[sqlx::any::AnyRow]) -> DbResult<u64> {
        for row in rows {
            self.reads.notices.bump(row.try_get::<i64, _>("user_id")?);
        }
        Ok(rows.len() as u64)
    }

    /// The kinds a member turned off.
    pub async fn mutes(&self, user: i64) -> DbResult<Vec<NotificationKind>> {
        let rows = sqlx::query("SELECT kind FROM notification_mutes WHERE user_id = $1")
            .bind(user)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| r.try_get::<String, _>(0).ok())
            .filter_map(|k| NotificationKind::parse(&k))
            .collect())
    }

    /// Sets which kinds a member wants (every other kind is turned off).
    pub async fn set_wanted(&self, user: i64, wanted: &[NotificationKind]) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM notification_mutes WHERE user_id = $1")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        for kind in NotificationKind::ALL
            .into_iter()
            .filter(|k| !wanted.contains(k))
        {
            sqlx::query("INSERT INTO notification_mutes (user_id, kind) VALUES ($1, $2)")
                .bind(user)
                .bind(kind.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
