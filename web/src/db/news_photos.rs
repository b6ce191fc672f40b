//! Photos on news posts: each post's few photos with their descriptions, and their bytes.

use sqlx::Row;

use super::people::NewPhoto;
use super::{DbResult, NodeDb};

/// Most photos on one post.
pub const NEWS_PHOTOS_PER_POST_MAX: i64 = 4;

/// A photo as a page shows it (its bytes are served apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsPhoto {
    pub id: i64,
    pub alt: String,
    pub width: i64,
    pub height: i64,
}

impl NodeDb {
    /// Adds a photo to a post unless it has [`NEWS_PHOTOS_PER_POST_MAX`] already: answers its
    /// id, or `None` past the limit.
    pub async fn add_news_photo(
        &self,
        (circle, post): (i64, i64),
        photo: &NewPhoto<'_>,
        now_ms: i64,
    ) -> DbResult<Option<i64>> {
        let mut tx = self.pool.begin().await?;
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM news_photos WHERE post = $1")
            .bind(post)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if count >= NEWS_PHOTOS_PER_POST_MAX {
            return Ok(None);
        }
        let id: i64 = sqlx::query(
            "INSERT INTO news_photos (circle, post, alt, full_jpeg, thumb_jpeg, width, height, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(circle)
        .bind(post)
        .bind(photo.alt)
        .bind(photo.full_jpeg.to_vec())
        .bind(photo.thumb_jpeg.to_vec())
        .bind(photo.width)
        .bind(photo.height)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        self.changed();
        Ok(Some(id))
    }

    /// A post's photos, in the order they were added.
    pub async fn news_photos(&self, post: i64) -> DbResult<Vec<NewsPhoto>> {
        sqlx::query("SELECT id, alt, width, height FROM news_photos WHERE post = $1 ORDER BY id")
            .bind(post)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(NewsPhoto {
                    id: row.try_get("id")?,
                    alt: row.try_get("alt")?,
                    width: row.try_get("width")?,
                    height: row.try_get("height")?,
                })
            })
            .collect()
    }

    /// A photo's JPEG bytes (full size or thumbnail), if it belongs to that post of that circle.
    pub async fn news_photo_bytes(
        &self,
        (circle, post, id): (i64, i64, i64),
        thumb: bool,
    ) -> DbResult<Option<Vec<u8>>> {
        let column = if thumb { "thumb_jpeg" } else { "full_jpeg" };
        sqlx::query(&format!(
            "SELECT {column} FROM news_photos WHERE id = $1 AND post = $2 AND circle = $3"
        ))
        .bind(id)
        .bind(post)
        .bind(circle)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| row.try_get::<Vec<u8>, _>(0))
        .transpose()
    }

    /// Deletes a photo of that post of that circle.
    pub async fn delete_news_photo(&self, (circle, post, id): (i64, i64, i64)) -> DbResult<()> {
        sqlx::query("DELETE FROM news_photos WHERE id = $1 AND post = $2 AND circle = $3")
            .bind(id)
            .bind(post)
            .bind(circle)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }
}
