//! News and announcements: a circle's posts (pinned first, newest next), their comments, and
//! the circle's setting whether members may post.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{DbResult, NodeDb};

/// Most posts one page of news lists.
pub const NEWS_PAGE_MAX: i64 = 20;
/// Most posts one person may publish in a day.
pub const NEWS_PER_DAY_MAX: i64 = 10;
/// Most comments on one post.
pub const NEWS_COMMENTS_PER_POST_MAX: i64 = 1_000;

/// A news post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsRow {
    pub id: i64,
    pub circle: i64,
    pub author_id: i64,
    pub author_name: String,
    pub title: String,
    pub body: String,
    pub pinned: bool,
    pub announced: bool,
    pub comment_count: i64,
    pub withdrawn: bool,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A comment on a news post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsCommentRow {
    pub id: i64,
    pub post: i64,
    pub author_id: i64,
    pub author_name: String,
    pub body: String,
    pub created_at_ms: i64,
}

/// A post to publish.
#[derive(Debug, Clone)]
pub struct NewNews<'a> {
    pub circle: i64,
    pub author_id: i64,
    pub title: &'a str,
    pub body: &'a str,
    pub pinned: bool,
    pub announced: bool,
}

const NEWS_SELECT: &str =
    "SELECT n.id, n.circle, n.author_id, u.display_name AS author_name, n.title, n.body,
        n.pinned, n.announced, n.comment_count, n.withdrawn_at_ms, n.created_at_ms, n.updated_at_ms
     FROM news_posts n JOIN users u ON u.id = n.author_id";

fn news_from_row(row: &AnyRow) -> DbResult<NewsRow> {
    Ok(NewsRow {
        id: row.try_get("id")?,
        circle: row.try_get("circle")?,
        author_id: row.try_get("author_id")?,
        author_name: row.try_get("author_name")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        pinned: row.try_get::<i64, _>("pinned")? != 0,
        announced: row.try_get::<i64, _>("announced")? != 0,
        comment_count: row.try_get("comment_count")?,
        withdrawn: row.try_get::<Option<i64>, _>("withdrawn_at_ms")?.is_some(),
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

impl NodeDb {
    /// Publishes a post, unless its author published [`NEWS_PER_DAY_MAX`] in the last day:
    /// answers its id, or `None` past the allowance.
    pub async fn publish_news(&self, news: &NewNews<'_>, now_ms: i64) -> DbResult<Option<i64>> {
        let row = sqlx::query(
            "INSERT INTO news_posts (circle, author_id, title, body, pinned, announced, created_at_ms, updated_at_ms)
             SELECT $1, $2, $3, $4, $5, $6, $7, $7
             WHERE (SELECT COUNT(*) FROM news_posts WHERE author_id = $2 AND created_at_ms > $8) < $9
             RETURNING id",
        )
        .bind(news.circle)
        .bind(news.author_id)
        .bind(news.title)
        .bind(news.body)
        .bind(i64::from(news.pinned))
        .bind(i64::from(news.announced))
        .bind(now_ms)
        .bind(now_ms - crate::services::DAY_MS)
        .bind(NEWS_PER_DAY_MAX)
        .fetch_optional(&self.pool)
        .await?;
        self.changed();
        row.map(|row| row.try_get(0)).transpose()
    }

    /// One post of the circle.
    pub async fn news_post(&self, circle: i64, id: i64) -> DbResult<Option<NewsRow>> {
        let sql = format!("{NEWS_SELECT} WHERE n.circle = $1 AND n.id = $2");
        let row = sqlx::query(&sql)
            .bind(circle)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(news_from_row).transpose()
    }

    /// A page of the circle's news, withdrawn posts left out: on the first page the pinned
    /// posts, then the newest others; later pages the others before `before` (an id). Answers
    /// the posts and the id to continue from, if there may be more.
    pub async fn news_page(
        &self,
        circle: i64,
        before: Option<i64>,
    ) -> DbResult<(Vec<NewsRow>, Option<i64>)> {
        let mut posts = Vec::new();
        if before.is_none() {
            let sql = format!(
                "{NEWS_SELECT} WHERE n.circle = $1 AND n.withdrawn_at_ms IS NULL AND n.pinned = 1
                 ORDER BY n.id DESC LIMIT $2"
            );
            let rows = sqlx::query(&sql)
                .bind(circle)
                .bind(NEWS_PAGE_MAX)
                .fetch_all(&self.pool)
                .await?;
            for row in &rows {
                posts.push(news_from_row(row)?);
            }
        }
        let sql = format!(
            "{NEWS_SELECT} WHERE n.circle = $1 AND n.withdrawn_at_ms IS NULL AND n.pinned = 0 AND n.id < $2
             ORDER BY n.id DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(circle)
            .bind(before.unwrap_or(i64::MAX))
            .bind(NEWS_PAGE_MAX)
            .fetch_all(&self.pool)
            .await?;
        let others = rows
            .iter()
            .map(news_from_row)
            .collect::<DbResult<Vec<_>>>()?;
        let more = (others.len() as i64 == NEWS_PAGE_MAX)
            .then(|| others.last().map(|p| p.id))
            .flatten();
        posts.extend(others);
        Ok((posts, more))
    }

    /// Changes a post's title and text.
    pub async fn edit_news(&self, id: i64, title: &str, body: &str, now_ms: i64) -> DbResult<()> {
        sqlx::query(
            "UPDATE news_posts SET title = $2, body = $3, updated_at_ms = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(title)
        .bind(body)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// Pins or unpins a post.
    pub async fn pin_news(&self, id: i64, pinned: bool) -> DbResult<()> {
        sqlx::query("UPDATE news_posts SET pinned = $2 WHERE id = $1")
            .bind(id)
            .bind(i64::from(pinned))
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// Withdraws a post (it leaves the news; its comments stay with it).
    pub async fn withdraw_news(&self, id: i64, now_ms: i64) -> DbResult<()> {
        sqlx::query("UPDATE news_posts SET withdrawn_at_ms = $2, pinned = 0 WHERE id = $1 AND withdrawn_at_ms IS NULL")
            .bind(id)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// Adds a comment, counted on the post's row (bounded by [`NEWS_COMMENTS_PER_POST_MAX`]):
    /// answers its id, or `None` when the post is full.
    pub async fn comment_news(
        &self,
        post: i64,
        author: i64,
        body: &str,
        now_ms: i64,
    ) -> DbResult<Option<i64>> {
        let mut tx = self.pool.begin().await?;
        let counted = sqlx::query(
            "UPDATE news_posts SET comment_count = comment_count + 1 WHERE id = $1 AND comment_count < $2",
        )
        .bind(post)
        .bind(NEWS_COMMENTS_PER_POST_MAX)
        .execute(&mut *tx)
        .await?;
        if counted.rows_affected() != 1 {
            return Ok(None);
        }
        let id: i64 = sqlx::query(
            "INSERT INTO news_comments (post, author_id, body, created_at_ms) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(post)
        .bind(author)
        .bind(body)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        self.changed();
        Ok(Some(id))
    }

    /// A post's comments, oldest first.
    pub async fn news_comments(&self, post: i64) -> DbResult<Vec<NewsCommentRow>> {
        let rows = sqlx::query(
            "SELECT c.id, c.post, c.author_id, u.display_name AS author_name, c.body, c.created_at_ms
             FROM news_comments c JOIN users u ON u.id = c.author_id WHERE c.post = $1 ORDER BY c.id LIMIT $2",
        )
        .bind(post)
        .bind(NEWS_COMMENTS_PER_POST_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(comment_from_row).collect()
    }

    /// One comment on a post of the circle.
    pub async fn news_comment(&self, circle: i64, id: i64) -> DbResult<Option<NewsCommentRow>> {
        let row = sqlx::query(
            "SELECT c.id, c.post, c.author_id, u.display_name AS author_name, c.body, c.created_at_ms
             FROM news_comments c JOIN users u ON u.id = c.author_id JOIN news_posts n ON n.id = c.post
             WHERE c.id = $1 AND n.circle = $2",
        )
        .bind(id)
        .bind(circle)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(comment_from_row).transpose()
    }

    /// Erases a person's news words (their posts withdrawn and emptied, their comments
    /// emptied).
    pub async fn erase_news_author(&self, user_id: i64, now_ms: i64) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE news_posts SET title = '', body = '', pinned = 0, withdrawn_at_ms = COALESCE(withdrawn_at_ms, $2)
             WHERE author_id = $1",
        )
        .bind(user_id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE news_comments SET body = '' WHERE author_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM news_photos WHERE post IN (SELECT id FROM news_posts WHERE author_id = $1)",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }
}

fn comment_from_row(row: &AnyRow) -> DbResult<NewsCommentRow> {
    Ok(NewsCommentRow {
        id: row.try_get("id")?,
        post: row.try_get("post")?,
        author_id: row.try_get("author_id")?,
        author_name: row.try_get("author_name")?,
        body: row.try_get("body")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

impl NodeDb {
    /// Everything a person wrote in a circle's news, for their takeout: (their posts, their
    /// comments).
    pub async fn news_written_by(
        &self,
        circle: i64,
        author: i64,
    ) -> DbResult<(Vec<NewsRow>, Vec<NewsCommentRow>)> {
        let sql = format!(
            "{NEWS_SELECT} WHERE n.circle = $1 AND n.author_id = $2 ORDER BY n.id LIMIT 100000"
        );
        let posts = sqlx::query(&sql)
            .bind(circle)
            .bind(author)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(news_from_row)
            .collect::<DbResult<Vec<_>>>()?;
        let comments = sqlx::query(
            "SELECT c.id, c.post, c.author_id, u.display_name AS author_name, c.body, c.created_at_ms
             FROM news_comments c JOIN users u ON u.id = c.author_id JOIN news_posts n ON n.id = c.post
             WHERE n.circle = $1 AND c.author_id = $2 ORDER BY c.id LIMIT 100000",
        )
        .bind(circle)
        .bind(author)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(comment_from_row)
        .collect::<DbResult<Vec<_>>>()?;
        Ok((posts, comments))
    }
}
