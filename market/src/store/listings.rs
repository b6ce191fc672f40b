//! Listings and categories: creating, editing and importing listings (each circle's open listings per member bounded), search through the live index, matches, and the circle's category tree.

use super::*;

impl Market {
    /// Stores a new listing.
    pub async fn create_listing(
        &self,
        circle: i64,
        owner: i64,
        draft: &ListingDraft,
        now_ms: i64,
    ) -> MarketResult<Listing> {
        let mut tx = self.pool.begin().await?;
        let change = Self::next_change(&mut tx, circle).await?;
        let open: i64 = sqlx::query(
            "SELECT COUNT(*) FROM market_listings WHERE circle = $1 AND owner = $2 AND status <> 'closed'",
        )
        .bind(circle)
        .bind(owner)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if open >= OPEN_LISTINGS_PER_MEMBER_MAX {
            return Err(MarketError::TooManyListings);
        }
        let sql = format!("{} RETURNING id", insert_sql(1));
        let query = sqlx::query(&sql)
            .bind(circle)
            .bind(owner)
            .bind(now_ms)
            .bind(change);
        let row = bind_draft(query, draft, now_ms).fetch_one(&mut *tx).await?;
        let id: i64 = row.try_get(0)?;
        tx.commit().await?;
        self.written(circle, id).await?;
        self.listing(circle, id).await?.ok_or(MarketError::NotFound)
    }

    /// Imports many listings at once (a circle moving from another tool, a benchmark): in
    /// transactions of [`IMPORT_ROWS_MAX`] rows, each owner still held to
    /// [`OPEN_LISTINGS_PER_MEMBER_MAX`]. Nobody is notified. Returns how many were stored.
    pub async fn import_listings(
        &self,
        circle: i64,
        listings: &[(i64, ListingDraft, i64)],
    ) -> MarketResult<usize> {
        let mut stored = 0;
        for chunk in listings.chunks(IMPORT_ROWS_MAX) {
            let mut tx = self.pool.begin().await?;
            let last = Self::next_changes(&mut tx, circle, chunk.len() as i64).await?;
            let first = last - chunk.len() as i64 + 1;
            let mut counts: HashMap<i64, i64> = HashMap::new();
            for (owner, _, _) in chunk {
                if !counts.contains_key(owner) {
                    let open: i64 = sqlx::query(
                        "SELECT COUNT(*) FROM market_listings WHERE circle = $1 AND owner = $2 AND status <> 'closed'",
                    )
                    .bind(circle)
                    .bind(*owner)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
                    counts.insert(*owner, open);
                }
                let count = counts.entry(*owner).or_default();
                *count += 1;
                if *count > OPEN_LISTINGS_PER_MEMBER_MAX {
                    return Err(MarketError::TooManyListings);
                }
            }
            // Each row takes its own change number, so an index refresh never pages past a row.
            let sql = insert_sql(chunk.len());
            let mut query = sqlx::query(&sql);
            for (offset, (owner, draft, created_ms)) in chunk.iter().enumerate() {
                query = query
                    .bind(circle)
                    .bind(*owner)
                    .bind(*created_ms)
                    .bind(first + offset as i64);
                query = bind_draft(query, draft, *created_ms);
            }
            query.execute(&mut *tx).await?;
            tx.commit().await?;
            stored += chunk.len();
        }
        // The index reads them on its next refresh (it may be loaded already).
        let live = self.live(circle);
        live.state.write().await.checked_at = None;
        Ok(stored)
    }

    /// The first photo of each listing that has one.
    pub async fn first_photos(&self, listings: &[i64]) -> MarketResult<HashMap<i64, PhotoInfo>> {
        let listings = &listings[..listings.len().min(FETCH_IDS_MAX)];
        if listings.is_empty() {
            return Ok(HashMap::new());
        }
        let placeholders: Vec<String> = (1..=listings.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT id, listing, position, alt, width, height FROM market_photos
             WHERE listing IN ({}) ORDER BY position DESC, id DESC",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in listings {
            query = query.bind(*id);
        }
        let mut first = HashMap::new();
        for row in query.fetch_all(&self.pool).await? {
            let photo = photo_of(&row)?;
            // Rows come last-first, so the first photo is inserted last and stays.
            first.insert(photo.listing, photo);
        }
        Ok(first)
    }

    /// Replaces what the author wrote; the listing runs again for its new expiry from now.
    /// Returns the listing and the members who moved up from an event's waiting list.
    pub async fn update_listing(
        &self,
        circle: i64,
        id: i64,
        owner: i64,
        draft: &ListingDraft,
        now_ms: i64,
    ) -> MarketResult<(Listing, Vec<i64>)> {
        let mut tx = self.pool.begin().await?;
        let change = Self::next_change(&mut tx, circle).await?;
        let event = draft.event.as_ref();
        let set: Vec<String> = DRAFT_COLUMNS
            .iter()
            .enumerate()
            .map(|(n, column)| format!("{column} = ${}", n + 1))
            .collect();
        let sql = format!(
            "UPDATE market_listings SET {}, reminded_at_ms = NULL, change_seq = $21
             WHERE id = $22 AND circle = $23 AND owner = $24",
            set.join(", ")
        );
        let updated = bind_draft(sqlx::query(&sql), draft, now_ms)
            .bind(change)
            .bind(id)
            .bind(circle)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() != 1 {
            return Err(self.why_not_yours(circle, id).await);
        }
        // More places move the waiting list on; an event no longer an event keeps no answers.
        let promoted = match event {
            Some(details) => {
                let rsvps = Self::read_rsvps(&mut tx, id).await?;
                let (rsvps, promoted) = event::rebalance(rsvps, details.capacity);
                Self::write_rsvps(&mut tx, id, &rsvps).await?;
                promoted
            }
            None => {
                sqlx::query("DELETE FROM market_rsvps WHERE listing = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                Vec::new()
            }
        };
        tx.commit().await?;
        self.written(circle, id).await?;
        let listing = self
            .listing(circle, id)
            .await?
            .ok_or(MarketError::NotFound)?;
        Ok((listing, promoted))
    }

    pub(super) async fn read_rsvps(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        listing: i64,
    ) -> MarketResult<Vec<Rsvp>> {
        let mut rsvps = Vec::new();
        for row in sqlx::query("SELECT member, place, at_ms FROM market_rsvps WHERE listing = $1")
            .bind(listing)
            .fetch_all(&mut **tx)
            .await?
        {
            rsvps.push(rsvp_of(&row)?);
        }
        Ok(rsvps)
    }

    pub(super) async fn write_rsvps(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        listing: i64,
        rsvps: &[Rsvp],
    ) -> MarketResult<()> {
        sqlx::query("DELETE FROM market_rsvps WHERE listing = $1")
            .bind(listing)
            .execute(&mut **tx)
            .await?;
        for rsvp in rsvps {
            sqlx::query(
                "INSERT INTO market_rsvps (listing, member, place, at_ms) VALUES ($1, $2, $3, $4)",
            )
            .bind(listing)
            .bind(rsvp.member)
            .bind(rsvp.place.as_str())
            .bind(rsvp.at_ms)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    pub(super) async fn why_not_yours(&self, circle: i64, id: i64) -> MarketError {
        match self.listing(circle, id).await {
            Ok(Some(_)) => MarketError::NotYours,
            Ok(None) => MarketError::NotFound,
            Err(error) => error,
        }
    }

    /// Pauses, reopens or closes a listing. Reopening an expired listing renews it for
    /// `renew_days` from now.
    pub async fn set_status(
        &self,
        circle: i64,
        id: i64,
        owner: i64,
        status: Status,
        renew_days: Option<i64>,
        now_ms: i64,
    ) -> MarketResult<()> {
        let mut tx = self.pool.begin().await?;
        let change = Self::next_change(&mut tx, circle).await?;
        if status != Status::Closed {
            // Reopening a closed listing counts against the open-listings cap like a new one.
            let open: i64 = sqlx::query(
                "SELECT COUNT(*) FROM market_listings
                 WHERE circle = $1 AND owner = $2 AND status <> 'closed' AND id <> $3",
            )
            .bind(circle)
            .bind(owner)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            if open >= OPEN_LISTINGS_PER_MEMBER_MAX {
                return Err(MarketError::TooManyListings);
            }
        }
        let updated = sqlx::query(
            "UPDATE market_listings SET status = $1, updated_at_ms = $2, change_seq = $3,
                 expires_at_ms = CASE WHEN $4 > 0 THEN $2 + $4 * $5 ELSE expires_at_ms END,
                 reminded_at_ms = CASE WHEN $4 > 0 THEN NULL ELSE reminded_at_ms END
             WHERE id = $6 AND circle = $7 AND owner = $8",
        )
        .bind(status.as_str())
        .bind(now_ms)
        .bind(change)
        .bind(renew_days.unwrap_or(0))
        .bind(DAY_MS)
        .bind(id)
        .bind(circle)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(self.why_not_yours(circle, id).await);
        }
        tx.commit().await?;
        self.written(circle, id).await
    }

    /// One listing of the circle.
    pub async fn listing(&self, circle: i64, id: i64) -> MarketResult<Option<Listing>> {
        let row = sqlx::query(&format!(
            "SELECT {LISTING_COLUMNS} FROM market_listings l WHERE l.id = $1 AND l.circle = $2"
        ))
        .bind(id)
        .bind(circle)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(listing_of).transpose()
    }

    /// Listings by id, in the order asked (unknown ids are skipped); at most [`FETCH_IDS_MAX`].
    pub async fn listings(&self, circle: i64, ids: &[i64]) -> MarketResult<Vec<Listing>> {
        let ids = &ids[..ids.len().min(FETCH_IDS_MAX)];
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // By primary key only: with the circle in the WHERE clause SQLite's planner may pick
        // a circle index and scan every listing of the circle. The circle is checked here.
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {LISTING_COLUMNS} FROM market_listings l WHERE l.id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(*id);
        }
        let mut by_id: HashMap<i64, Listing> = HashMap::new();
        for row in query.fetch_all(&self.pool).await? {
            let listing = listing_of(&row)?;
            if listing.circle == circle {
                by_id.insert(listing.id, listing);
            }
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// A member's listings in a circle, newest first (every status).
    pub async fn listings_of(&self, circle: i64, owner: i64) -> MarketResult<Vec<Listing>> {
        let rows = sqlx::query(&format!(
            "SELECT {LISTING_COLUMNS} FROM market_listings l WHERE l.circle = $1 AND l.owner = $2
             ORDER BY l.id DESC LIMIT $3"
        ))
        .bind(circle)
        .bind(owner)
        .bind(LIST_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(listing_of).collect()
    }

    /// Searches or browses the circle's live listings.
    pub async fn search(&self, circle: i64, search: &Search) -> MarketResult<Page> {
        self.with_index(circle, |index| index.search(search)).await
    }

    /// The listings that could answer listing `id`, best first.
    pub async fn matches(
        &self,
        circle: i64,
        id: i64,
        standing: impl Fn(i64) -> Option<Standing>,
        now_ms: i64,
        limit: usize,
    ) -> MarketResult<Vec<Match>> {
        self.with_index(circle, |index| {
            matching::matches(index, id, standing, now_ms, limit)
        })
        .await
    }

    /// Upcoming events of the circle from `from` (wall-clock), soonest first, whatever their
    /// status (calendars tell subscribers about cancelled ones).
    pub async fn events(
        &self,
        circle: i64,
        from: LocalTime,
        limit: i64,
    ) -> MarketResult<Vec<Listing>> {
        let rows = sqlx::query(&format!(
            "SELECT {LISTING_COLUMNS} FROM market_listings l
             WHERE l.circle = $1 AND l.event_starts IS NOT NULL AND l.event_ends >= $2
             ORDER BY l.event_starts, l.id LIMIT $3"
        ))
        .bind(circle)
        .bind(from.0)
        .bind(limit.clamp(1, LIST_ROWS_MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(listing_of).collect()
    }

    /// Live listings that expire before `before_ms` and whose author was not yet reminded;
    /// marks them reminded and returns them (each reminder is given once).
    pub async fn take_expiring(&self, before_ms: i64, now_ms: i64) -> MarketResult<Vec<Listing>> {
        let rows = sqlx::query(&format!(
            "SELECT {LISTING_COLUMNS} FROM market_listings l
             WHERE l.status = 'active' AND l.reminded_at_ms IS NULL
               AND l.expires_at_ms < $1 AND l.expires_at_ms > $2
             ORDER BY l.expires_at_ms LIMIT $3"
        ))
        .bind(before_ms)
        .bind(now_ms)
        .bind(LIST_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        let mut taken = Vec::new();
        for row in &rows {
            let listing = listing_of(row)?;
            let marked = sqlx::query(
                "UPDATE market_listings SET reminded_at_ms = $1 WHERE id = $2 AND reminded_at_ms IS NULL",
            )
            .bind(now_ms)
            .bind(listing.id)
            .execute(&self.pool)
            .await?;
            if marked.rows_affected() == 1 {
                taken.push(listing);
            }
        }
        Ok(taken)
    }

    // ----- categories -----

    /// The circle's category tree text, if its stewards edited it.
    pub async fn category_text(&self, circle: i64) -> MarketResult<Option<String>> {
        let row = sqlx::query("SELECT tree FROM market_categories WHERE circle = $1")
            .bind(circle)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub async fn set_category_text(
        &self,
        circle: i64,
        tree: &str,
        now_ms: i64,
    ) -> MarketResult<()> {
        sqlx::query(
            "INSERT INTO market_categories (circle, tree, updated_at_ms) VALUES ($1, $2, $3)
             ON CONFLICT (circle) DO UPDATE SET tree = excluded.tree, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(circle)
        .bind(tree)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
