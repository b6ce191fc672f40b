//! Events: places, answers (yes, maybe, no) with the waiting list moving up when a place frees, and the calendar.

use super::*;

impl Market {
    /// Records a member's answer to an event and moves the waiting list on. Returns the
    /// member's place and who moved up.
    pub async fn respond(
        &self,
        circle: i64,
        listing: i64,
        member: i64,
        answer: Answer,
        now_ms: i64,
    ) -> MarketResult<event::Outcome> {
        let mut tx = self.pool.begin().await?;
        // First: the circle's change number, which serialises places (see next_change).
        let change = Self::next_change(&mut tx, circle).await?;
        let row = sqlx::query(
            "SELECT event_capacity, event_starts FROM market_listings WHERE id = $1 AND circle = $2",
        )
        .bind(listing)
        .bind(circle)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(MarketError::NotFound)?;
        if row.try_get::<Option<i64>, _>("event_starts")?.is_none() {
            return Err(MarketError::NotAnEvent);
        }
        let capacity = row
            .try_get::<Option<i64>, _>("event_capacity")?
            .and_then(|c| u32::try_from(c).ok());
        let rsvps = Self::read_rsvps(&mut tx, listing).await?;
        let outcome = event::respond(&rsvps, capacity, member, answer, now_ms);
        Self::write_rsvps(&mut tx, listing, &outcome.rsvps).await?;
        // The listing changes too: fullness is part of how available it is.
        sqlx::query("UPDATE market_listings SET change_seq = $1 WHERE id = $2")
            .bind(change)
            .bind(listing)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.written(circle, listing).await?;
        Ok(outcome)
    }

    /// Everyone's answers to an event, in the order they first asked.
    pub async fn rsvps(&self, listing: i64) -> MarketResult<Vec<Rsvp>> {
        let rows = sqlx::query(
            "SELECT member, place, at_ms FROM market_rsvps WHERE listing = $1 ORDER BY at_ms, member",
        )
        .bind(listing)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rsvp_of).collect()
    }
}
