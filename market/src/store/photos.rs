//! Listing photos: stored re-encoded (no metadata), at most a few per listing, with thumbnails.

use super::*;

impl Market {
    /// Adds a processed photo to the author's listing.
    pub async fn add_photo(
        &self,
        circle: i64,
        listing: i64,
        owner: i64,
        alt: &str,
        processed: &Processed,
        now_ms: i64,
    ) -> MarketResult<i64> {
        let found = self
            .listing(circle, listing)
            .await?
            .ok_or(MarketError::NotFound)?;
        if found.owner != owner {
            return Err(MarketError::NotYours);
        }
        let mut tx = self.pool.begin().await?;
        Self::next_change(&mut tx, circle).await?;
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM market_photos WHERE listing = $1")
            .bind(listing)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if count >= photo::PHOTOS_PER_LISTING_MAX as i64 {
            return Err(PhotoError::TooMany.into());
        }
        let row = sqlx::query(
            "INSERT INTO market_photos (listing, position, alt, full_jpeg, thumb_jpeg, width, height, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(listing)
        .bind(count)
        .bind(alt)
        .bind(processed.full_jpeg.clone())
        .bind(processed.thumb_jpeg.clone())
        .bind(i64::from(processed.width))
        .bind(i64::from(processed.height))
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        self.touch(circle);
        Ok(row.try_get(0)?)
    }

    /// The photos of a listing, in order.
    pub async fn photos(&self, listing: i64) -> MarketResult<Vec<PhotoInfo>> {
        let rows = sqlx::query(
            "SELECT id, listing, position, alt, width, height FROM market_photos
             WHERE listing = $1 ORDER BY position, id",
        )
        .bind(listing)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(photo_of).collect()
    }

    /// A photo's JPEG bytes (full or thumbnail), if it belongs to a listing of the circle.
    pub async fn photo_bytes(
        &self,
        circle: i64,
        listing: i64,
        photo: i64,
        thumb: bool,
    ) -> MarketResult<Option<Vec<u8>>> {
        let column = if thumb { "thumb_jpeg" } else { "full_jpeg" };
        let row = sqlx::query(&format!(
            "SELECT p.{column} FROM market_photos p JOIN market_listings l ON l.id = p.listing
             WHERE p.id = $1 AND p.listing = $2 AND l.circle = $3"
        ))
        .bind(photo)
        .bind(listing)
        .bind(circle)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// Removes a photo from the author's listing.
    pub async fn delete_photo(
        &self,
        circle: i64,
        listing: i64,
        owner: i64,
        photo: i64,
    ) -> MarketResult<()> {
        let found = self
            .listing(circle, listing)
            .await?
            .ok_or(MarketError::NotFound)?;
        if found.owner != owner {
            return Err(MarketError::NotYours);
        }
        let deleted = sqlx::query("DELETE FROM market_photos WHERE id = $1 AND listing = $2")
            .bind(photo)
            .bind(listing)
            .execute(&self.pool)
            .await?;
        if deleted.rows_affected() != 1 {
            return Err(MarketError::NotFound);
        }
        self.touch(circle);
        Ok(())
    }
}
