//! Discussions, continued: changing a thread's opening post or a reply (every earlier version
//! kept for the moderators) and searching a circle's threads and replies.

use sqlx::Row;

use super::discussions::{
    reply_from_row, thread_from_row, ReplyRow, ThreadRow, REPLY_SELECT, THREAD_SELECT,
};
use super::{DbResult, NodeDb};

/// Most times one post or reply may be changed.
pub const VERSIONS_PER_ITEM_MAX: i64 = 50;
/// Most threads, and most replies, one search answers.
pub const SEARCH_RESULTS_MAX: i64 = 30;

/// An earlier version of a post or reply, as it read until `replaced_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    pub title: String,
    pub body: String,
    pub replaced_at_ms: i64,
}

/// A search's words as a `LIKE` pattern: lower case, `%`, `_` and `\` taken literally.
fn like_pattern(words: &str) -> String {
    let mut pattern = String::from("%");
    for c in words.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl NodeDb {
    /// Changes a thread's title and opening text, keeping the earlier version (for the
    /// moderators) in the same transaction. Refused (false) after
    /// [`VERSIONS_PER_ITEM_MAX`] changes.
    pub async fn edit_thread(
        &self,
        id: i64,
        title: &str,
        body: &str,
        now_ms: i64,
    ) -> DbResult<bool> {
        let mut tx = self.pool.begin().await?;
        let kept = sqlx::query(
            "INSERT INTO discussion_versions (kind, item, title, body, replaced_at_ms)
             SELECT 'thread', id, title, body, $2 FROM discussion_threads WHERE id = $1
               AND (SELECT COUNT(*) FROM discussion_versions WHERE kind = 'thread' AND item = $1) < $3",
        )
        .bind(id)
        .bind(now_ms)
        .bind(VERSIONS_PER_ITEM_MAX)
        .execute(&mut *tx)
        .await?;
        if kept.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE discussion_threads SET title = $2, body = $3, updated_at_ms = $4, edited_at_ms = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(title)
        .bind(body)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.changed();
        Ok(true)
    }

    /// Changes a reply's words, keeping the earlier version in the same transaction. Refused
    /// (false) after [`VERSIONS_PER_ITEM_MAX`] changes.
    pub async fn edit_reply(&self, id: i64, body: &str, now_ms: i64) -> DbResult<bool> {
        let mut tx = self.pool.begin().await?;
        let kept = sqlx::query(
            "INSERT INTO discussion_versions (kind, item, body, replaced_at_ms)
             SELECT 'reply', id, body, $2 FROM discussion_replies WHERE id = $1
               AND (SELECT COUNT(*) FROM discussion_versions WHERE kind = 'reply' AND item = $1) < $3",
        )
        .bind(id)
        .bind(now_ms)
        .bind(VERSIONS_PER_ITEM_MAX)
        .execute(&mut *tx)
        .await?;
        if kept.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("UPDATE discussion_replies SET body = $2, edited_at_ms = $3 WHERE id = $1")
            .bind(id)
            .bind(body)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(true)
    }

    /// The earlier versions of a post (`thread`) or reply (`reply`), newest first.
    pub async fn discussion_versions(&self, kind: &str, item: i64) -> DbResult<Vec<VersionRow>> {
        let rows = sqlx::query(
            "SELECT title, body, replaced_at_ms FROM discussion_versions
             WHERE kind = $1 AND item = $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(kind)
        .bind(item)
        .bind(VERSIONS_PER_ITEM_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(VersionRow {
                    title: row.try_get("title")?,
                    body: row.try_get("body")?,
                    replaced_at_ms: row.try_get("replaced_at_ms")?,
                })
            })
            .collect()
    }

    /// The circle's threads whose title or opening post holds `words` (not withdrawn), the
    /// most recently active first.
    pub async fn search_threads(&self, circle: i64, words: &str) -> DbResult<Vec<ThreadRow>> {
        let sql = format!(
            "{THREAD_SELECT} WHERE t.circle = $1 AND t.withdrawn_at_ms IS NULL
               AND (LOWER(t.title) LIKE $2 ESCAPE '\\' OR LOWER(t.body) LIKE $2 ESCAPE '\\')
             ORDER BY t.active_at_ms DESC, t.id DESC LIMIT $3"
        );
        sqlx::query(&sql)
            .bind(circle)
            .bind(like_pattern(words))
            .bind(SEARCH_RESULTS_MAX)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(thread_from_row)
            .collect()
    }

    /// The circle's replies that hold `words` (in threads not withdrawn), newest first.
    pub async fn search_replies(&self, circle: i64, words: &str) -> DbResult<Vec<ReplyRow>> {
        let sql = format!(
            "{REPLY_SELECT} JOIN discussion_threads t ON t.id = r.thread
             WHERE t.circle = $1 AND t.withdrawn_at_ms IS NULL AND LOWER(r.body) LIKE $2 ESCAPE '\\'
             ORDER BY r.id DESC LIMIT $3"
        );
        sqlx::query(&sql)
            .bind(circle)
            .bind(like_pattern(words))
            .bind(SEARCH_RESULTS_MAX)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(reply_from_row)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_search_takes_percent_and_underscore_literally() {
        assert_eq!(super::like_pattern("50%_Off\\"), "%50\\%\\_off\\\\%");
    }
}
