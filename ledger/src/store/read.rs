//! Reading a circle's chain: pages of entries, accounts and stewards, a member's entries and open requests, and the latest tree head (remembered until the circle's next write).

use super::*;

impl Store {
    pub(super) async fn entry_page(
        &self,
        row_id: i64,
        from_seq: i64,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        read_entry_page(&mut *self.pool.acquire().await?, row_id, from_seq, limit).await
    }

    /// Entries of a circle from `from_seq` on, at most `limit` (capped at [`LIST_ENTRIES_MAX`]).
    pub async fn entries(
        &self,
        info: &CircleInfo,
        from_seq: u64,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        self.entry_page(
            info.row_id,
            from_seq as i64,
            limit.clamp(1, LIST_ENTRIES_MAX),
        )
        .await
    }

    /// Entries of one kind, from `from_seq` on, at most `limit` (capped at
    /// [`LIST_ENTRIES_MAX`]); e.g. every enactment (kind 11), a page at a time.
    pub async fn entries_of_kind(
        &self,
        info: &CircleInfo,
        kind: u8,
        from_seq: u64,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.seq, e.entry_hash, e.prev_hash, e.recorded_at_ms, e.request, e.signature, m.salt, m.text
             FROM entries e LEFT JOIN memos m ON m.circle = e.circle AND m.seq = e.seq
             WHERE e.circle = $1 AND e.kind = $2 AND e.seq >= $3 ORDER BY e.seq LIMIT $4",
        )
        .bind(info.row_id)
        .bind(i64::from(kind))
        .bind(from_seq as i64)
        .bind(limit.clamp(1, LIST_ENTRIES_MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored_entry_from_row).collect()
    }

    /// Up to `limit` entries of these kinds before entry `before`, newest first (a page of
    /// the ledger filtered by kind: payments, requests, decisions...).
    pub async fn entries_of_kinds_before(
        &self,
        info: &CircleInfo,
        kinds: &[u8],
        before: u64,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let list = placeholders_from(4, kinds.len());
        let sql = format!(
            "SELECT e.seq, e.entry_hash, e.prev_hash, e.recorded_at_ms, e.request, e.signature, m.salt, m.text
             FROM entries e LEFT JOIN memos m ON m.circle = e.circle AND m.seq = e.seq
             WHERE e.circle = $1 AND e.seq < $2 AND e.kind IN ({list})
             ORDER BY e.seq DESC LIMIT $3"
        );
        let mut query = sqlx::query(&sql)
            .bind(info.row_id)
            .bind(before.min(i64::MAX as u64) as i64)
            .bind(limit.clamp(1, LIST_ENTRIES_MAX));
        for kind in kinds {
            query = query.bind(i64::from(*kind));
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(stored_entry_from_row).collect()
    }

    /// Up to `limit` entries just before entry `before`, newest first (a page of the log read
    /// backwards; `before` is usually the tree size).
    pub async fn entries_before(
        &self,
        info: &CircleInfo,
        before: u64,
        limit: u64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let from = before.saturating_sub(limit);
        if before <= from {
            return Ok(Vec::new());
        }
        self.remembered(
            &self.reads.pages,
            info.row_id,
            (info.row_id, before, limit),
            || async {
                let mut entries = self.entries(info, from, (before - from) as i64).await?;
                entries.retain(|stored| stored.entry.seq < before);
                entries.reverse();
                Ok(entries)
            },
        )
        .await
    }

    /// The most recent entries of a circle, newest first.
    pub async fn recent_entries(
        &self,
        info: &CircleInfo,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let size = self.latest_tree_head(info).await?.tree_size;
        self.entries_before(info, size, limit.clamp(1, LIST_ENTRIES_MAX) as u64)
            .await
    }

    pub(crate) async fn entry_in(&self, row_id: i64, seq: u64) -> Result<StoredEntry, StoreError> {
        self.entry_page(row_id, seq as i64, 1)
            .await?
            .into_iter()
            .find(|stored| stored.entry.seq == seq)
            .ok_or(StoreError::NoSuchEntry(seq))
    }

    pub async fn entry(&self, info: &CircleInfo, seq: u64) -> Result<StoredEntry, StoreError> {
        self.remembered(&self.reads.entries, info.row_id, (info.row_id, seq), || {
            self.entry_in(info.row_id, seq)
        })
        .await
    }

    /// The stored accounts of a circle, richest first.
    pub async fn accounts(&self, info: &CircleInfo) -> Result<Vec<AccountRow>, StoreError> {
        read_accounts(&mut *self.pool.acquire().await?, info.row_id).await
    }

    /// One account's stored row (under its current key), if the circle has it.
    pub async fn account(
        &self,
        info: &CircleInfo,
        key: &PublicKey,
    ) -> Result<Option<AccountRow>, StoreError> {
        self.remembered(
            &self.reads.accounts,
            info.row_id,
            (info.row_id, *key),
            || async {
                let row = sqlx::query(
                    "SELECT account_key, floor_minor, ceiling_minor, balance_minor, status FROM accounts WHERE circle = $1 AND account_key = $2",
                )
                .bind(info.row_id)
                .bind(key.as_bytes().to_vec())
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(account_from_row).transpose()
            },
        )
        .await
    }

    /// The circle's current steward keys, from its genesis and steward entries (a few rows).
    pub async fn stewards(&self, info: &CircleInfo) -> Result<BTreeSet<PublicKey>, StoreError> {
        Ok(self.authority(info).await?.stewards)
    }

    /// The account keys a passed proposal appointed to moderate the circle, as they stand now
    /// (the stewards moderate too; see [`Authority::may_moderate`]).
    pub async fn moderators(&self, info: &CircleInfo) -> Result<BTreeSet<PublicKey>, StoreError> {
        Ok(self.authority(info).await?.moderators)
    }

    /// Who holds power in the circle now: its stewards and appointed moderators.
    pub async fn authority(&self, info: &CircleInfo) -> Result<Authority, StoreError> {
        self.remembered(&self.reads.authority, info.row_id, info.row_id, || {
            self.read_authority(info)
        })
        .await
    }

    /// Replays the entries that change who holds power (genesis, key rotations, closings,
    /// steward entries and enactments: a few rows) through [`Authority::follow`], the same rule
    /// the ledger's state and the auditor apply.
    pub(super) async fn read_authority(&self, info: &CircleInfo) -> Result<Authority, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, request FROM entries WHERE circle = $1 AND kind IN (1, 4, 8, 9, 10, 11) ORDER BY seq",
        )
        .bind(info.row_id)
        .fetch_all(&self.pool)
        .await?;
        let mut authority = Authority::default();
        for row in &rows {
            let bytes: Vec<u8> = row.try_get("request")?;
            let request = crate::entry::Request::decode(&bytes).map_err(|error| {
                StoreError::Corrupt(format!("an entry cannot be read: {error}"))
            })?;
            authority.follow(&request.body);
        }
        Ok(authority)
    }

    /// The limits a new account gets now: the genesis defaults, or those of the latest
    /// enactment that changed them.
    pub async fn default_limits(&self, info: &CircleInfo) -> Result<(i64, i64), StoreError> {
        let rows = sqlx::query(
            "SELECT request FROM entries WHERE circle = $1 AND kind IN (1, 11) ORDER BY seq",
        )
        .bind(info.row_id)
        .fetch_all(&self.pool)
        .await?;
        let mut limits = None;
        for row in &rows {
            let bytes: Vec<u8> = row.try_get("request")?;
            let request = crate::entry::Request::decode(&bytes).map_err(|error| {
                StoreError::Corrupt(format!("an entry cannot be read: {error}"))
            })?;
            match request.body {
                Body::Genesis { spec, .. } => {
                    limits = Some((spec.default_floor_minor, spec.default_ceiling_minor))
                }
                Body::Enact { actions, .. } => {
                    for action in actions {
                        if let crate::entry::Action::SetDefaultLimits {
                            floor_minor,
                            ceiling_minor,
                        } = action
                        {
                            limits = Some((floor_minor, ceiling_minor));
                        }
                    }
                }
                _ => {}
            }
        }
        limits.ok_or_else(|| StoreError::Corrupt("the circle has no genesis entry".into()))
    }

    /// The key an account moved to from `key` (its `rotate-key` entry), if it moved.
    pub async fn key_successor(
        &self,
        info: &CircleInfo,
        key: &PublicKey,
    ) -> Result<Option<PublicKey>, StoreError> {
        self.remembered(
            &self.reads.successors,
            info.row_id,
            (info.row_id, *key),
            || self.read_key_successor(info, key),
        )
        .await
    }

    pub(super) async fn read_key_successor(
        &self,
        info: &CircleInfo,
        key: &PublicKey,
    ) -> Result<Option<PublicKey>, StoreError> {
        let rows =
            sqlx::query("SELECT request FROM entries WHERE circle = $1 AND kind = 4 ORDER BY seq")
                .bind(info.row_id)
                .fetch_all(&self.pool)
                .await?;
        for row in &rows {
            let bytes: Vec<u8> = row.try_get("request")?;
            let request = crate::entry::Request::decode(&bytes).map_err(|error| {
                StoreError::Corrupt(format!("an entry cannot be read: {error}"))
            })?;
            if let Body::RotateKey { old, new } = request.body {
                if old == *key {
                    return Ok(Some(new));
                }
            }
        }
        Ok(None)
    }

    /// Transfers (and, with `with_requests`, payment requests) paid or received by any of `keys`
    /// (an account's keys over time), newest first, before entry `before_seq` if given.
    pub async fn account_entries(
        &self,
        info: &CircleInfo,
        keys: &[PublicKey],
        with_requests: bool,
        before_seq: Option<u64>,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.remembered(
            &self.reads.account_entries,
            info.row_id,
            (info.row_id, keys.to_vec(), with_requests, before_seq, limit),
            || self.read_account_entries(info, keys, with_requests, before_seq, limit),
        )
        .await
    }

    pub(super) async fn read_account_entries(
        &self,
        info: &CircleInfo,
        keys: &[PublicKey],
        with_requests: bool,
        before_seq: Option<u64>,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let list = placeholders_from(4, keys.len());
        let kinds = if with_requests {
            "5, 6, 12, 14"
        } else {
            "5, 12, 14"
        };
        let sql = format!(
            "SELECT e.seq, e.entry_hash, e.prev_hash, e.recorded_at_ms, e.request, e.signature, m.salt, m.text
             FROM entries e LEFT JOIN memos m ON m.circle = e.circle AND m.seq = e.seq
             WHERE e.circle = $1 AND e.seq < $2 AND e.kind IN ({kinds})
               AND (e.payer IN ({list}) OR e.payee IN ({list}))
             ORDER BY e.seq DESC LIMIT $3"
        );
        let mut query = sqlx::query(&sql)
            .bind(info.row_id)
            .bind(before_seq.map_or(i64::MAX, |seq| seq as i64))
            .bind(limit.clamp(1, LIST_ENTRIES_MAX));
        for key in keys {
            query = query.bind(key.as_bytes().to_vec());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(stored_entry_from_row).collect()
    }

    /// Payment requests still open (neither accepted nor closed) that any of `keys` must pay or
    /// will receive, oldest first, at most `limit`.
    pub async fn open_requests(
        &self,
        info: &CircleInfo,
        keys: &[PublicKey],
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.remembered(
            &self.reads.open_requests,
            info.row_id,
            (info.row_id, keys.to_vec(), limit),
            || self.read_open_requests(info, keys, limit),
        )
        .await
    }

    pub(super) async fn read_open_requests(
        &self,
        info: &CircleInfo,
        keys: &[PublicKey],
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let list = placeholders_from(3, keys.len());
        let sql = format!(
            "SELECT e.seq, e.entry_hash, e.prev_hash, e.recorded_at_ms, e.request, e.signature, m.salt, m.text
             FROM entries e LEFT JOIN memos m ON m.circle = e.circle AND m.seq = e.seq
             WHERE e.circle = $1 AND e.kind = 6 AND (e.payer IN ({list}) OR e.payee IN ({list}))
               AND NOT EXISTS (SELECT 1 FROM entries c WHERE c.circle = e.circle AND c.refers_to = e.entry_hash)
             ORDER BY e.seq LIMIT $2"
        );
        let mut query = sqlx::query(&sql)
            .bind(info.row_id)
            .bind(limit.clamp(1, LIST_ENTRIES_MAX));
        for key in keys {
            query = query.bind(key.as_bytes().to_vec());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(stored_entry_from_row).collect()
    }

    /// The latest tree head the node signed for a circle.
    pub async fn latest_tree_head(&self, info: &CircleInfo) -> Result<TreeHead, StoreError> {
        self.remembered(&self.reads.heads, info.row_id, info.row_id, || async {
            read_tree_head(&mut *self.pool.acquire().await?, info).await
        })
        .await
    }

    /// Erases a memo's text and salt; the entry, its hash and signature stay valid.
    pub async fn erase_memo(&self, info: &CircleInfo, seq: u64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM memos WHERE circle = $1 AND seq = $2")
            .bind(info.row_id)
            .bind(seq as i64)
            .execute(&self.pool)
            .await?;
        self.changed(info.row_id);
        Ok(done.rows_affected() > 0)
    }
}
