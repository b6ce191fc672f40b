//! Comments on a proposal, bounded per author.

use super::*;

impl Governance {
    /// Adds a comment. In one transaction: the proposal's own row moves its count (only below
    /// [`COMMENTS_PER_PROPOSAL_MAX`]; this also serialises writers), then the author's share is
    /// checked ([`COMMENTS_PER_AUTHOR_MAX`] in all, [`COMMENTS_PER_AUTHOR_PER_HOUR_MAX`] an hour).
    pub async fn add_comment(
        &self,
        proposal: i64,
        parent: Option<i64>,
        author: i64,
        body: &str,
        now_ms: i64,
    ) -> GovernanceResult<i64> {
        let mut tx = self.pool.begin().await?;
        let counted = sqlx::query(
            "UPDATE proposals SET comment_count = comment_count + 1 WHERE id = $1 AND comment_count < $2",
        )
        .bind(proposal)
        .bind(COMMENTS_PER_PROPOSAL_MAX)
        .execute(&mut *tx)
        .await?;
        if counted.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(GovernanceError::TooManyComments);
        }
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN created_at_ms > $3 THEN 1 ELSE 0 END), 0)
             FROM proposal_comments WHERE proposal = $1 AND author = $2",
        )
        .bind(proposal)
        .bind(author)
        .bind(now_ms - 3_600_000)
        .fetch_one(&mut *tx)
        .await?;
        let (all, last_hour): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        if all >= COMMENTS_PER_AUTHOR_MAX || last_hour >= COMMENTS_PER_AUTHOR_PER_HOUR_MAX {
            tx.rollback().await?;
            return Err(GovernanceError::CommentingTooMuch);
        }
        if let Some(parent) = parent {
            let found =
                sqlx::query("SELECT 1 FROM proposal_comments WHERE id = $1 AND proposal = $2")
                    .bind(parent)
                    .bind(proposal)
                    .fetch_optional(&mut *tx)
                    .await?;
            if found.is_none() {
                tx.rollback().await?;
                return Err(GovernanceError::NotFound);
            }
        }
        let row = sqlx::query(
            "INSERT INTO proposal_comments (proposal, parent, author, body, created_at_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(proposal)
        .bind(parent)
        .bind(author)
        .bind(body)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        let id = row.try_get(0)?;
        tx.commit().await?;
        Ok(id)
    }

    /// One comment by its id, if its proposal is in the circle.
    pub async fn comment(&self, circle: i64, id: i64) -> GovernanceResult<Option<Comment>> {
        let row = sqlx::query(
            "SELECT c.id, c.proposal, c.parent, c.author, c.body, c.created_at_ms FROM proposal_comments c
             JOIN proposals p ON p.id = c.proposal WHERE c.id = $1 AND p.circle = $2",
        )
        .bind(id)
        .bind(circle)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Comment {
                id: row.try_get("id")?,
                proposal: row.try_get("proposal")?,
                parent: row.try_get("parent")?,
                author: row.try_get("author")?,
                body: row.try_get("body")?,
                created_at_ms: row.try_get("created_at_ms")?,
            })
        })
        .transpose()
    }

    /// A proposal's comments, oldest first.
    pub async fn comments(&self, proposal: i64) -> GovernanceResult<Vec<Comment>> {
        let rows = sqlx::query(
            "SELECT id, proposal, parent, author, body, created_at_ms FROM proposal_comments WHERE proposal = $1 ORDER BY id LIMIT $2",
        )
        .bind(proposal)
        .bind(COMMENTS_PER_PROPOSAL_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Comment {
                    id: row.try_get("id")?,
                    proposal: row.try_get("proposal")?,
                    parent: row.try_get("parent")?,
                    author: row.try_get("author")?,
                    body: row.try_get("body")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }
}
