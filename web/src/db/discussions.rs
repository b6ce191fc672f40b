//! Discussions: a circle's categories, its threads (pinned first, then by latest activity),
//! their replies, how far each member has read each thread, and who follows or muted it.

use std::collections::{BTreeSet, HashMap};

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{DbResult, NodeDb};

/// Most threads one page lists.
pub const THREADS_PAGE_MAX: i64 = 30;
/// Most threads one person may start in a day.
pub const THREADS_PER_DAY_MAX: i64 = 10;
/// Most replies in one thread.
pub const REPLIES_PER_THREAD_MAX: i64 = 2_000;
/// Most categories in a circle.
pub const CATEGORIES_MAX: i64 = 30;
/// Most names a "seen by" line lists (the count is exact).
pub const SEEN_BY_LISTED_MAX: i64 = 30;
/// The furthest page of threads one can ask for.
pub const THREAD_PAGES_MAX: i64 = 200;

/// A category of threads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub position: i64,
}

/// A thread, with its author's and category's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRow {
    pub id: i64,
    pub circle: i64,
    pub category: i64,
    pub category_name: String,
    pub author_id: i64,
    pub author_name: String,
    pub author_username: String,
    pub title: String,
    pub body: String,
    pub pinned: bool,
    pub reply_count: i64,
    /// The newest reply's id (0 before any): how far one must have read to have seen it all.
    pub last_reply_id: i64,
    pub active_at_ms: i64,
    pub proposal_number: Option<i64>,
    pub withdrawn: bool,
    pub created_at_ms: i64,
    /// When its author last changed it, if they did.
    pub edited_at_ms: Option<i64>,
}

/// A reply in a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRow {
    pub id: i64,
    pub thread: i64,
    pub author_id: i64,
    pub author_name: String,
    pub author_username: String,
    pub body: String,
    pub created_at_ms: i64,
    /// When its author last changed it, if they did.
    pub edited_at_ms: Option<i64>,
}

/// How a member keeps up with a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowMode {
    /// Told of every reply.
    Follow,
    /// Never told, and left out of the home.
    Mute,
}

impl FollowMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowMode::Follow => "follow",
            FollowMode::Mute => "mute",
        }
    }
    pub fn parse(text: &str) -> Option<FollowMode> {
        match text {
            "follow" => Some(FollowMode::Follow),
            "mute" => Some(FollowMode::Mute),
            _ => None,
        }
    }
}

/// A thread to start.
#[derive(Debug, Clone)]
pub struct NewThread<'a> {
    pub circle: i64,
    pub category: i64,
    pub author_id: i64,
    pub title: &'a str,
    pub body: &'a str,
    pub pinned: bool,
}

pub(super) const THREAD_SELECT: &str = "SELECT t.id, t.circle, t.category, c.name AS category_name,
        t.author_id, u.display_name AS author_name, u.username AS author_username, t.title, t.body,
        t.pinned, t.reply_count, t.last_reply_id, t.active_at_ms, t.proposal_number,
        t.withdrawn_at_ms, t.created_at_ms, t.edited_at_ms
     FROM discussion_threads t JOIN users u ON u.id = t.author_id
     JOIN discussion_categories c ON c.id = t.category";

pub(super) const REPLY_SELECT: &str =
    "SELECT r.id, r.thread, r.author_id, u.display_name AS author_name,
        u.username AS author_username, r.body, r.created_at_ms, r.edited_at_ms
     FROM discussion_replies r JOIN users u ON u.id = r.author_id";

pub(super) fn thread_from_row(row: &AnyRow) -> DbResult<ThreadRow> {
    Ok(ThreadRow {
        id: row.try_get("id")?,
        circle: row.try_get("circle")?,
        category: row.try_get("category")?,
        category_name: row.try_get("category_name")?,
        author_id: row.try_get("author_id")?,
        author_name: row.try_get("author_name")?,
        author_username: row.try_get("author_username")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        pinned: row.try_get::<i64, _>("pinned")? != 0,
        reply_count: row.try_get("reply_count")?,
        last_reply_id: row.try_get("last_reply_id")?,
        active_at_ms: row.try_get("active_at_ms")?,
        proposal_number: row.try_get("proposal_number")?,
        withdrawn: row.try_get::<Option<i64>, _>("withdrawn_at_ms")?.is_some(),
        created_at_ms: row.try_get("created_at_ms")?,
        edited_at_ms: row.try_get("edited_at_ms")?,
    })
}

pub(super) fn reply_from_row(row: &AnyRow) -> DbResult<ReplyRow> {
    Ok(ReplyRow {
        id: row.try_get("id")?,
        thread: row.try_get("thread")?,
        author_id: row.try_get("author_id")?,
        author_name: row.try_get("author_name")?,
        author_username: row.try_get("author_username")?,
        body: row.try_get("body")?,
        created_at_ms: row.try_get("created_at_ms")?,
        edited_at_ms: row.try_get("edited_at_ms")?,
    })
}

fn category_from_row(row: &AnyRow) -> DbResult<CategoryRow> {
    Ok(CategoryRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        position: row.try_get("position")?,
    })
}

/// Adds a member's follow, unless they chose a mode already (a reply never un-mutes).
async fn follow_unless_chosen(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    thread: i64,
    user_id: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO discussion_follows (thread, user_id, mode) VALUES ($1, $2, 'follow')
         ON CONFLICT (thread, user_id) DO NOTHING",
    )
    .bind(thread)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records that a member has read a thread up to a reply (never backwards).
async fn read_up_to(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    thread: i64,
    user_id: i64,
    last_reply_id: i64,
    now_ms: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO discussion_reads (thread, user_id, last_reply_id, read_at_ms) VALUES ($1, $2, $3, $4)
         ON CONFLICT (thread, user_id) DO UPDATE SET
           last_reply_id = CASE WHEN excluded.last_reply_id > discussion_reads.last_reply_id
                                THEN excluded.last_reply_id ELSE discussion_reads.last_reply_id END,
           read_at_ms = excluded.read_at_ms",
    )
    .bind(thread)
    .bind(user_id)
    .bind(last_reply_id)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl NodeDb {
    /// Gives a circle its first categories and its pinned opening thread (the introductions),
    /// once: answers false when the circle already had them.
    pub async fn seed_discussions(
        &self,
        circle: i64,
        categories: &[(String, String)],
        opening: &NewThread<'_>,
        now_ms: i64,
    ) -> DbResult<bool> {
        let mut tx = self.pool.begin().await?;
        let won = sqlx::query(
            "UPDATE circle_settings SET discussions_seeded = 1 WHERE circle = $1 AND discussions_seeded = 0",
        )
        .bind(circle)
        .execute(&mut *tx)
        .await?;
        if won.rows_affected() != 1 {
            return Ok(false);
        }
        let mut first = None;
        for (position, (name, description)) in categories.iter().enumerate() {
            let id: i64 = sqlx::query(
                "INSERT INTO discussion_categories (circle, name, description, position, created_at_ms)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(circle)
            .bind(name)
            .bind(description)
            .bind(position as i64)
            .bind(now_ms)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            first.get_or_insert(id);
        }
        let category = first.unwrap_or_default();
        let thread = insert_thread(
            &mut tx,
            &NewThread {
                category,
                ..opening.clone()
            },
            now_ms,
        )
        .await?;
        follow_unless_chosen(&mut tx, thread, opening.author_id).await?;
        sqlx::query("UPDATE circle_settings SET introductions_thread = $2 WHERE circle = $1")
            .bind(circle)
            .bind(thread)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(true)
    }

    /// A circle's categories, in their order.
    pub async fn discussion_categories(&self, circle: i64) -> DbResult<Vec<CategoryRow>> {
        sqlx::query(
            "SELECT id, name, description, position FROM discussion_categories
             WHERE circle = $1 ORDER BY position, id LIMIT $2",
        )
        .bind(circle)
        .bind(CATEGORIES_MAX)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(category_from_row)
        .collect()
    }

    /// Adds a category at the end, unless the circle has [`CATEGORIES_MAX`]: its id, or `None`.
    pub async fn add_discussion_category(
        &self,
        circle: i64,
        name: &str,
        description: &str,
        now_ms: i64,
    ) -> DbResult<Option<i64>> {
        let row = sqlx::query(
            "INSERT INTO discussion_categories (circle, name, description, position, created_at_ms)
             SELECT $1, $2, $3, COALESCE((SELECT MAX(position) FROM discussion_categories WHERE circle = $1), 0) + 1, $4
             WHERE (SELECT COUNT(*) FROM discussion_categories WHERE circle = $1) < $5
             RETURNING id",
        )
        .bind(circle)
        .bind(name)
        .bind(description)
        .bind(now_ms)
        .bind(CATEGORIES_MAX)
        .fetch_optional(&self.pool)
        .await?;
        self.changed();
        row.map(|row| row.try_get(0)).transpose()
    }

    /// Renames a category of the circle; answers whether it was there.
    pub async fn update_discussion_category(
        &self,
        circle: i64,
        id: i64,
        name: &str,
        description: &str,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE discussion_categories SET name = $3, description = $4 WHERE circle = $1 AND id = $2",
        )
        .bind(circle)
        .bind(id)
        .bind(name)
        .bind(description)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Removes a category of the circle, its threads moving to `move_to` (another category of
    /// the same circle); answers whether it was removed.
    pub async fn remove_discussion_category(
        &self,
        circle: i64,
        id: i64,
        move_to: i64,
    ) -> DbResult<bool> {
        let mut tx = self.pool.begin().await?;
        let target: i64 = sqlx::query(
            "SELECT COUNT(*) FROM discussion_categories WHERE circle = $1 AND id = $2 AND id <> $3",
        )
        .bind(circle)
        .bind(move_to)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if target != 1 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE discussion_threads SET category = $3 WHERE circle = $1 AND category = $2",
        )
        .bind(circle)
        .bind(id)
        .bind(move_to)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM discussion_categories WHERE circle = $1 AND id = $2")
            .bind(circle)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Starts a thread (its author follows it and has read it), unless its author started
    /// [`THREADS_PER_DAY_MAX`] in the last day: its id, or `None`.
    pub async fn start_thread(&self, new: &NewThread<'_>, now_ms: i64) -> DbResult<Option<i64>> {
        let mut tx = self.pool.begin().await?;
        let recent: i64 = sqlx::query(
            "SELECT COUNT(*) FROM discussion_threads WHERE author_id = $1 AND created_at_ms > $2",
        )
        .bind(new.author_id)
        .bind(now_ms - crate::services::DAY_MS)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if recent >= THREADS_PER_DAY_MAX {
            return Ok(None);
        }
        let id = insert_thread(&mut tx, new, now_ms).await?;
        follow_unless_chosen(&mut tx, id, new.author_id).await?;
        read_up_to(&mut tx, id, new.author_id, 0, now_ms).await?;
        tx.commit().await?;
        self.changed();
        Ok(Some(id))
    }

    /// One thread of the circle.
    pub async fn thread(&self, circle: i64, id: i64) -> DbResult<Option<ThreadRow>> {
        let sql = format!("{THREAD_SELECT} WHERE t.circle = $1 AND t.id = $2");
        let row = sqlx::query(&sql)
            .bind(circle)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(thread_from_row).transpose()
    }

    /// A page of the circle's threads (in one category, or all), withdrawn ones left out:
    /// pinned first, then by latest activity. Answers one more than a page when there is more.
    pub async fn threads(
        &self,
        circle: i64,
        category: Option<i64>,
        page: i64,
    ) -> DbResult<Vec<ThreadRow>> {
        let sql = format!(
            "{THREAD_SELECT} WHERE t.circle = $1 AND t.withdrawn_at_ms IS NULL
               AND ($2 = 0 OR t.category = $2)
             ORDER BY t.pinned DESC, t.active_at_ms DESC, t.id DESC LIMIT $3 OFFSET $4"
        );
        sqlx::query(&sql)
            .bind(circle)
            .bind(category.unwrap_or(0))
            .bind(THREADS_PAGE_MAX + 1)
            .bind(page.clamp(0, THREAD_PAGES_MAX) * THREADS_PAGE_MAX)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(thread_from_row)
            .collect()
    }

    /// Pins or unpins a thread.
    pub async fn pin_thread(&self, id: i64, pinned: bool) -> DbResult<()> {
        sqlx::query("UPDATE discussion_threads SET pinned = $2 WHERE id = $1")
            .bind(id)
            .bind(i64::from(pinned))
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// Withdraws a thread: it leaves the lists; its replies stay with it.
    pub async fn withdraw_thread(&self, id: i64, now_ms: i64) -> DbResult<()> {
        sqlx::query(
            "UPDATE discussion_threads SET withdrawn_at_ms = $2, pinned = 0 WHERE id = $1 AND withdrawn_at_ms IS NULL",
        )
        .bind(id)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// Records the proposal a thread became, once: answers whether this call recorded it.
    pub async fn link_thread_proposal(&self, id: i64, number: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE discussion_threads SET proposal_number = $2 WHERE id = $1 AND proposal_number IS NULL",
        )
        .bind(id)
        .bind(number)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }
}

async fn insert_thread(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    new: &NewThread<'_>,
    now_ms: i64,
) -> DbResult<i64> {
    sqlx::query(
        "INSERT INTO discussion_threads (circle, category, author_id, title, body, pinned, active_at_ms, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7) RETURNING id",
    )
    .bind(new.circle)
    .bind(new.category)
    .bind(new.author_id)
    .bind(new.title)
    .bind(new.body)
    .bind(i64::from(new.pinned))
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)
}

impl NodeDb {
    /// Adds a reply (counted on the thread's row, bounded by [`REPLIES_PER_THREAD_MAX`]); its
    /// author follows the thread unless they chose otherwise, and has read it up to there.
    /// Answers its id, or `None` when the thread is full.
    pub async fn reply(
        &self,
        thread: i64,
        author: i64,
        body: &str,
        now_ms: i64,
    ) -> DbResult<Option<i64>> {
        let mut tx = self.pool.begin().await?;
        let counted = sqlx::query(
            "UPDATE discussion_threads SET reply_count = reply_count + 1, active_at_ms = $3
             WHERE id = $1 AND reply_count < $2",
        )
        .bind(thread)
        .bind(REPLIES_PER_THREAD_MAX)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        if counted.rows_affected() != 1 {
            return Ok(None);
        }
        let id: i64 = sqlx::query(
            "INSERT INTO discussion_replies (thread, author_id, body, created_at_ms) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(thread)
        .bind(author)
        .bind(body)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        sqlx::query(
            "UPDATE discussion_threads SET last_reply_id = $2 WHERE id = $1 AND last_reply_id < $2",
        )
        .bind(thread)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        follow_unless_chosen(&mut tx, thread, author).await?;
        read_up_to(&mut tx, thread, author, id, now_ms).await?;
        tx.commit().await?;
        self.changed();
        Ok(Some(id))
    }

    /// A thread's replies, oldest first.
    pub async fn replies(&self, thread: i64) -> DbResult<Vec<ReplyRow>> {
        let sql = format!("{REPLY_SELECT} WHERE r.thread = $1 ORDER BY r.id LIMIT $2");
        sqlx::query(&sql)
            .bind(thread)
            .bind(REPLIES_PER_THREAD_MAX)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(reply_from_row)
            .collect()
    }

    /// One reply in a thread of the circle.
    pub async fn discussion_reply(&self, circle: i64, id: i64) -> DbResult<Option<ReplyRow>> {
        let sql = format!(
            "{REPLY_SELECT} JOIN discussion_threads t ON t.id = r.thread WHERE r.id = $1 AND t.circle = $2"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(circle)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(reply_from_row).transpose()
    }

    /// Records that a member read a thread up to a reply. Not a change anyone else's pages
    /// show at once, except "seen by", which is read fresh.
    pub async fn mark_thread_read(
        &self,
        thread: i64,
        user_id: i64,
        last_reply_id: i64,
        now_ms: i64,
    ) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        read_up_to(&mut tx, thread, user_id, last_reply_id, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Who has read a thread up to its newest reply: (user id, display name), at most
    /// [`SEEN_BY_LISTED_MAX`], most recent readers first, and how many in all.
    pub async fn seen_by(
        &self,
        thread: i64,
        last_reply_id: i64,
    ) -> DbResult<(Vec<(i64, String)>, i64)> {
        let rows = sqlx::query(
            "SELECT r.user_id, u.display_name FROM discussion_reads r JOIN users u ON u.id = r.user_id
             WHERE r.thread = $1 AND r.last_reply_id >= $2 ORDER BY r.read_at_ms DESC, r.user_id LIMIT $3",
        )
        .bind(thread)
        .bind(last_reply_id)
        .bind(SEEN_BY_LISTED_MAX)
        .fetch_all(&self.pool)
        .await?;
        let names = rows
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<DbResult<Vec<_>>>()?;
        let count: i64 = sqlx::query(
            "SELECT COUNT(*) FROM discussion_reads WHERE thread = $1 AND last_reply_id >= $2",
        )
        .bind(thread)
        .bind(last_reply_id)
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        Ok((names, count))
    }

    /// How far a member has read each of these threads (threads never opened are absent).
    pub async fn reads_of(&self, user_id: i64, threads: &[i64]) -> DbResult<HashMap<i64, i64>> {
        let threads = &threads[..threads.len().min(THREADS_PAGE_MAX as usize * 2)];
        if threads.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT thread, last_reply_id FROM discussion_reads WHERE user_id = $1 AND thread IN ({})",
            super::placeholders(threads.len(), 2)
        );
        let mut query = sqlx::query(&sql).bind(user_id);
        for id in threads {
            query = query.bind(*id);
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect()
    }

    /// Sets how a member keeps up with a thread (`None`: the default, not told).
    pub async fn set_follow(
        &self,
        thread: i64,
        user_id: i64,
        mode: Option<FollowMode>,
    ) -> DbResult<()> {
        match mode {
            Some(mode) => {
                sqlx::query(
                    "INSERT INTO discussion_follows (thread, user_id, mode) VALUES ($1, $2, $3)
                     ON CONFLICT (thread, user_id) DO UPDATE SET mode = excluded.mode",
                )
                .bind(thread)
                .bind(user_id)
                .bind(mode.as_str())
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM discussion_follows WHERE thread = $1 AND user_id = $2")
                    .bind(thread)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
            }
        }
        self.changed();
        Ok(())
    }

    /// How a member keeps up with a thread.
    pub async fn follow_mode(&self, thread: i64, user_id: i64) -> DbResult<Option<FollowMode>> {
        let row =
            sqlx::query("SELECT mode FROM discussion_follows WHERE thread = $1 AND user_id = $2")
                .bind(thread)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some(row) => FollowMode::parse(&row.try_get::<String, _>(0)?),
            None => None,
        })
    }

    /// The members who follow a thread.
    pub async fn followers(&self, thread: i64) -> DbResult<Vec<i64>> {
        sqlx::query(
            "SELECT user_id FROM discussion_follows WHERE thread = $1 AND mode = 'follow' LIMIT $2",
        )
        .bind(thread)
        .bind(super::ACTIVE_MEMBERS_MAX)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect()
    }

    /// The threads a member muted (remembered: the home reads it on every visit).
    pub async fn muted_threads(&self, user_id: i64) -> DbResult<BTreeSet<i64>> {
        self.reads
            .muted_threads
            .get_or_read(&self.reads.generations, super::WEB_SCOPE, user_id, || async {
                sqlx::query("SELECT thread FROM discussion_follows WHERE user_id = $1 AND mode = 'mute'")
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| row.try_get::<i64, _>(0))
                    .collect::<DbResult<BTreeSet<i64>>>()
            })
            .await
    }
}

impl NodeDb {
    /// Erases a person's words in discussions (their threads withdrawn and emptied, their
    /// replies emptied) and what they read, followed and muted.
    pub async fn erase_discussion_author(&self, user_id: i64, now_ms: i64) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE discussion_threads SET title = '', body = '', pinned = 0, withdrawn_at_ms = COALESCE(withdrawn_at_ms, $2)
             WHERE author_id = $1",
        )
        .bind(user_id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        for sql in [
            "UPDATE discussion_replies SET body = '' WHERE author_id = $1",
            "DELETE FROM discussion_reads WHERE user_id = $1",
            "DELETE FROM discussion_follows WHERE user_id = $1",
        ] {
            sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    /// Everything a person wrote in a circle's discussions, for their takeout: (their
    /// threads, their replies, the threads they follow or muted).
    pub async fn discussions_of(
        &self,
        circle: i64,
        user_id: i64,
    ) -> DbResult<(Vec<ThreadRow>, Vec<ReplyRow>, Vec<(i64, String)>)> {
        let sql = format!(
            "{THREAD_SELECT} WHERE t.circle = $1 AND t.author_id = $2 ORDER BY t.id LIMIT 100000"
        );
        let threads = sqlx::query(&sql)
            .bind(circle)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(thread_from_row)
            .collect::<DbResult<Vec<_>>>()?;
        let sql = format!(
            "{REPLY_SELECT} JOIN discussion_threads t ON t.id = r.thread
             WHERE t.circle = $1 AND r.author_id = $2 ORDER BY r.id LIMIT 100000"
        );
        let replies = sqlx::query(&sql)
            .bind(circle)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(reply_from_row)
            .collect::<DbResult<Vec<_>>>()?;
        let follows = sqlx::query(
            "SELECT f.thread, f.mode FROM discussion_follows f JOIN discussion_threads t ON t.id = f.thread
             WHERE t.circle = $1 AND f.user_id = $2 ORDER BY f.thread LIMIT 100000",
        )
        .bind(circle)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<DbResult<Vec<_>>>()?;
        Ok((threads, replies, follows))
    }
}
