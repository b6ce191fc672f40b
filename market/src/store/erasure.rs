//! Erasing a person's words from the market: their listings are closed and emptied (the rows
//! stay, as deals name them), their photos, thank-yous and event answers deleted, and the
//! text of their deal messages removed.

use super::*;

impl Market {
    /// Erases everything one person wrote in the market of every circle. Safe to run again
    /// (a crash halfway is finished by the next run).
    pub async fn erase_author(&self, user_id: i64, now_ms: i64) -> MarketResult<()> {
        let rows = sqlx::query("SELECT id, circle FROM market_listings WHERE owner = $1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        for row in &rows {
            let (id, circle): (i64, i64) = (row.try_get("id")?, row.try_get("circle")?);
            let mut tx = self.pool.begin().await?;
            let change = Self::next_change(&mut tx, circle).await?;
            sqlx::query("DELETE FROM market_photos WHERE listing = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE market_listings SET status = 'closed', title = '', description = '', tags = '', area = '',
                    lat_centi = NULL, lon_centi = NULL, availability = '', event_place = NULL,
                    updated_at_ms = $2, change_seq = $3
                 WHERE id = $1",
            )
            .bind(id)
            .bind(now_ms)
            .bind(change)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            self.written(circle, id).await?;
        }
        let mut tx = self.pool.begin().await?;
        for sql in [
            "UPDATE market_messages SET body = '' WHERE author = $1",
            "DELETE FROM market_thanks WHERE author = $1",
            "DELETE FROM market_rsvps WHERE member = $1",
        ] {
            sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
