//! Deals between two members over a listing: opening, messages, terms and their versions (a stale change is refused), completion with its ledger payment, and thank-yous.

use super::*;

impl Market {
    /// Opens a deal on a listing for `responder`, or returns the one they already have open.
    pub async fn open_deal(
        &self,
        circle: i64,
        listing: &Listing,
        responder: i64,
        now_ms: i64,
    ) -> MarketResult<(StoredDeal, bool)> {
        let opened = deal::open(listing.id, listing.side, listing.owner, responder)?;
        let mut tx = self.pool.begin().await?;
        Self::next_change(&mut tx, circle).await?;
        let existing = sqlx::query(&format!(
            "SELECT {DEAL_COLUMNS} FROM market_deals
             WHERE listing = $1 AND responder = $2 AND status NOT IN ('completed', 'cancelled')"
        ))
        .bind(listing.id)
        .bind(responder)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            return Ok((deal_of(&row)?, false));
        }
        let row = sqlx::query(
            "INSERT INTO market_deals (circle, listing, owner, responder, payer, status, version,
                 created_at_ms, updated_at_ms)
             VALUES ($1, $2, $3, $4, $5, 'open', 0, $6, $6) RETURNING id",
        )
        .bind(circle)
        .bind(listing.id)
        .bind(opened.owner)
        .bind(opened.responder)
        .bind(opened.payer)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get(0)?;
        tx.commit().await?;
        let stored = self.deal(circle, id).await?.ok_or(MarketError::NotFound)?;
        Ok((stored, true))
    }

    pub async fn deal(&self, circle: i64, id: i64) -> MarketResult<Option<StoredDeal>> {
        let row = sqlx::query(&format!(
            "SELECT {DEAL_COLUMNS} FROM market_deals WHERE id = $1 AND circle = $2"
        ))
        .bind(id)
        .bind(circle)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(deal_of).transpose()
    }

    /// Saves a deal's next state over the version it was decided on; `Conflict` when the deal
    /// changed meanwhile (the caller shows it again).
    pub async fn save_deal(
        &self,
        before: &StoredDeal,
        after: &Deal,
        now_ms: i64,
    ) -> MarketResult<StoredDeal> {
        let terms = after.terms.as_ref();
        let updated = sqlx::query(
            "UPDATE market_deals SET status = $1, terms_description = $2, terms_amount_minor = $3,
                 terms_proposed_by = $4, payment_seq = $5, version = version + 1, updated_at_ms = $6
             WHERE id = $7 AND circle = $8 AND version = $9",
        )
        .bind(after.status.as_str())
        .bind(terms.map(|t| t.description.clone()))
        .bind(terms.and_then(|t| t.amount_minor))
        .bind(terms.map(|t| t.proposed_by))
        .bind(after.payment_seq.map(|s| s as i64))
        .bind(now_ms)
        .bind(before.deal.id)
        .bind(before.circle)
        .bind(before.version)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(MarketError::Conflict);
        }
        self.deal(before.circle, before.deal.id)
            .await?
            .ok_or(MarketError::NotFound)
    }

    /// A member's deals in a circle, most recently changed first.
    pub async fn deals_of(&self, circle: i64, member: i64) -> MarketResult<Vec<StoredDeal>> {
        let rows = sqlx::query(&format!(
            "SELECT {DEAL_COLUMNS} FROM market_deals
             WHERE circle = $1 AND (owner = $2 OR responder = $2)
             ORDER BY updated_at_ms DESC, id DESC LIMIT $3"
        ))
        .bind(circle)
        .bind(member)
        .bind(LIST_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(deal_of).collect()
    }

    /// A member's completed deals (shown on their public page).
    pub async fn completed_deals_of(
        &self,
        circle: i64,
        member: i64,
    ) -> MarketResult<Vec<StoredDeal>> {
        Ok(self
            .deals_of(circle, member)
            .await?
            .into_iter()
            .filter(|d| d.deal.status == deal::Status::Completed)
            .collect())
    }

    /// Adds a message to a deal's conversation. In one transaction: the deal's own row moves
    /// its count (only below the conversation's cap; this also serialises writers), then the
    /// author's share is checked (half the conversation, and an hourly rate).
    pub async fn add_message(
        &self,
        deal: &StoredDeal,
        author: i64,
        body: &str,
        now_ms: i64,
    ) -> MarketResult<i64> {
        deal.deal.may_message(author)?;
        let mut tx = self.pool.begin().await?;
        let counted = sqlx::query(
            "UPDATE market_deals SET message_count = message_count + 1 WHERE id = $1 AND message_count < $2",
        )
        .bind(deal.deal.id)
        .bind(deal::MESSAGES_PER_DEAL_MAX as i64)
        .execute(&mut *tx)
        .await?;
        if counted.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(DealError::ConversationFull.into());
        }
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN created_at_ms > $3 THEN 1 ELSE 0 END), 0)
             FROM market_messages WHERE deal = $1 AND author = $2",
        )
        .bind(deal.deal.id)
        .bind(author)
        .bind(now_ms - 3_600_000)
        .fetch_one(&mut *tx)
        .await?;
        let (all, last_hour): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        if all >= deal::MESSAGES_PER_AUTHOR_MAX as i64
            || last_hour >= deal::MESSAGES_PER_AUTHOR_PER_HOUR_MAX as i64
        {
            tx.rollback().await?;
            return Err(DealError::MessagingTooMuch.into());
        }
        let row = sqlx::query(
            "INSERT INTO market_messages (deal, author, body, created_at_ms) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(deal.deal.id)
        .bind(author)
        .bind(body)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        let id = row.try_get(0)?;
        tx.commit().await?;
        Ok(id)
    }

    /// A deal's conversation, oldest first.
    pub async fn messages(&self, deal: i64) -> MarketResult<Vec<Message>> {
        let rows = sqlx::query(
            "SELECT id, author, body, created_at_ms FROM market_messages WHERE deal = $1 ORDER BY id LIMIT $2",
        )
        .bind(deal)
        .bind(deal::MESSAGES_PER_DEAL_MAX as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Message {
                    id: row.try_get("id")?,
                    author: row.try_get("author")?,
                    body: row.try_get("body")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }

    /// One message by its id, with its deal's id, if its deal is in the circle.
    pub async fn message(&self, circle: i64, id: i64) -> MarketResult<Option<(i64, Message)>> {
        let row = sqlx::query(
            "SELECT m.id, m.deal, m.author, m.body, m.created_at_ms FROM market_messages m
             JOIN market_deals d ON d.id = m.deal WHERE m.id = $1 AND d.circle = $2",
        )
        .bind(id)
        .bind(circle)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok((
                row.try_get("deal")?,
                Message {
                    id: row.try_get("id")?,
                    author: row.try_get("author")?,
                    body: row.try_get("body")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                },
            ))
        })
        .transpose()
    }

    /// Leaves (or rewrites) one's thank-you on a completed deal.
    pub async fn thank(
        &self,
        deal: &StoredDeal,
        author: i64,
        body: &str,
        now_ms: i64,
    ) -> MarketResult<()> {
        deal.deal.may_thank(author, body)?;
        sqlx::query(
            "INSERT INTO market_thanks (deal, author, body, created_at_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (deal, author) DO UPDATE SET body = excluded.body, created_at_ms = excluded.created_at_ms",
        )
        .bind(deal.deal.id)
        .bind(author)
        .bind(body.trim())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Thank-yous a member received in a circle, newest first.
    pub async fn thanks_to(&self, circle: i64, member: i64) -> MarketResult<Vec<Thanks>> {
        self.thanks_where(
            circle,
            "((d.owner = $2 OR d.responder = $2) AND t.author <> $2)",
            member,
        )
        .await
    }

    /// Thank-yous on one deal.
    pub async fn thanks_on(&self, circle: i64, deal: i64) -> MarketResult<Vec<Thanks>> {
        self.thanks_where(circle, "d.id = $2", deal).await
    }

    pub(super) async fn thanks_where(
        &self,
        circle: i64,
        condition: &str,
        value: i64,
    ) -> MarketResult<Vec<Thanks>> {
        let rows = sqlx::query(&format!(
            "SELECT t.deal, t.author, t.body, t.created_at_ms, d.owner, d.responder, l.title
             FROM market_thanks t JOIN market_deals d ON d.id = t.deal
             JOIN market_listings l ON l.id = d.listing
             WHERE d.circle = $1 AND {condition}
             ORDER BY t.created_at_ms DESC LIMIT $3"
        ))
        .bind(circle)
        .bind(value)
        .bind(LIST_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let author: i64 = row.try_get("author")?;
                let owner: i64 = row.try_get("owner")?;
                Ok(Thanks {
                    deal: row.try_get("deal")?,
                    author,
                    to: if author == owner {
                        row.try_get("responder")?
                    } else {
                        owner
                    },
                    listing_title: row.try_get("title")?,
                    body: row.try_get("body")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }
}
