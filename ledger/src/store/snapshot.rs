//! Whole-chain reads from one snapshot: the export a steward takes offline, and the node's own audit that replays every entry and checks every column.

use super::*;

impl Store {
    /// A read-only transaction in which every read sees the same committed state (SQLite: a
    /// WAL read snapshot from the first read; PostgreSQL: REPEATABLE READ), so that audits and
    /// exports of a live node never see half of a batch.
    pub(super) async fn snapshot(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// Writes a circle's JSON Lines export to `out` from one consistent snapshot, streaming the
    /// entries page by page; returns how many entries were written. Without memos the export
    /// still verifies completely (entries commit to memos by salted hash only), so it can be
    /// shared beyond the circle without its members' private notes.
    pub async fn export_to(
        &self,
        info: &CircleInfo,
        out: &mut (dyn Write + Send),
        include_memos: bool,
    ) -> Result<u64, StoreError> {
        let mut tx = self.snapshot().await?;
        let head = read_tree_head(&mut tx, info).await?;
        let (state, _) = replay(&mut tx, info.row_id).await?;
        let io = |error: std::io::Error| StoreError::Io(error.to_string());
        out.write_all(line_text(&Line::Header(header_for(&state))).as_bytes())
            .map_err(io)?;
        let mut written = 0u64;
        loop {
            let page =
                read_entry_page(&mut tx, info.row_id, written as i64, READ_PAGE_ENTRIES).await?;
            if page.is_empty() {
                break;
            }
            for stored in page {
                let raw =
                    RawEntry::from_entry(&stored.entry, stored.memo.filter(|_| include_memos));
                out.write_all(
                    line_text(&Line::Entry(EntryLine::from_raw(&raw, &stored.hash))).as_bytes(),
                )
                .map_err(io)?;
                written += 1;
            }
        }
        out.write_all(line_text(&Line::TreeHead(TreeHeadLine::from_head(&head))).as_bytes())
            .map_err(io)?;
        tx.rollback().await?;
        Ok(written)
    }

    /// Everything needed to audit or export a circle, in memory, from one consistent snapshot.
    pub async fn export_parts(
        &self,
        info: &CircleInfo,
    ) -> Result<(HeaderLine, Vec<RawEntry>, TreeHead), StoreError> {
        let mut tx = self.snapshot().await?;
        let head = read_tree_head(&mut tx, info).await?;
        let (state, _) = replay(&mut tx, info.row_id).await?;
        let mut raws = Vec::new();
        loop {
            let page =
                read_entry_page(&mut tx, info.row_id, raws.len() as i64, READ_PAGE_ENTRIES).await?;
            if page.is_empty() {
                break;
            }
            raws.extend(
                page.into_iter()
                    .map(|stored| RawEntry::from_entry(&stored.entry, stored.memo)),
            );
        }
        tx.rollback().await?;
        Ok((header_for(&state), raws, head))
    }

    /// Audits a circle in the database: everything `audit` checks on an export, plus that the
    /// stored columns (amounts, parties, hashes) and the stored balances match the signed log.
    pub async fn audit(
        &self,
        slug: &str,
        trusted_head: Option<TreeHead>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<AuditReport, StoreError> {
        // Everything is read from one snapshot, so a live node's appends cannot make a clean
        // ledger look inconsistent (entries beyond the tree head, balances from a later batch).
        let mut tx = self.snapshot().await?;
        let (info, mismatches) = read_circle_checked(&mut tx, slug).await?;
        let head_hash: Vec<u8> = sqlx::query("SELECT head_hash FROM circles WHERE id = $1")
            .bind(info.row_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        // A missing tree head is a finding about the ledger, not a reason the audit cannot run.
        let head = read_tree_head(&mut tx, &info).await.ok();
        let mut problems: Vec<String> = mismatches
            .into_iter()
            .map(|m| format!("circle settings: {m}"))
            .collect();
        if head.is_none() {
            problems.push("no signed tree head is stored for this circle".to_owned());
        }
        let mut entries = Vec::new();
        let mut column_faults = Vec::new();
        let mut from_seq = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT e.seq, e.entry_hash, e.prev_hash, e.recorded_at_ms, e.request, e.signature, e.kind, e.author, e.payer, e.payee, e.amount_minor, e.refers_to, m.salt, m.text
                 FROM entries e LEFT JOIN memos m ON m.circle = e.circle AND m.seq = e.seq
                 WHERE e.circle = $1 AND e.seq >= $2 ORDER BY e.seq LIMIT $3",
            )
            .bind(info.row_id)
            .bind(from_seq)
            .bind(READ_PAGE_ENTRIES)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            from_seq = rows
                .last()
                .map(|row| row.try_get::<i64, _>("seq"))
                .transpose()?
                .unwrap_or(from_seq)
                + 1;
            for row in &rows {
                let raw = raw_entry_from_row(row);
                if let Ok(raw) = &raw {
                    if let Err(error) = check_columns(row, raw, &mut column_faults) {
                        column_faults.push(Fault {
                            entry: Some(raw.seq),
                            what: format!("its stored columns cannot be read: {error}"),
                        });
                    }
                }
                entries.push(raw.map_err(|error| error.to_string()));
            }
        }
        let mut report = audit(
            AuditInput {
                header: None,
                entries,
                tree_head: head,
                trusted_head,
                problems,
            },
            progress,
        );
        report.faults.extend(column_faults);
        let stored = read_accounts(&mut tx, info.row_id).await?;
        tx.rollback().await?;
        if let Some(state) = &report.state {
            let mut seen = 0usize;
            for row in &stored {
                match state.accounts.get(&row.key) {
                    None => report.faults.push(Fault {
                        entry: None,
                        what: format!(
                            "account {} is stored but no entry opened it",
                            row.key.short()
                        ),
                    }),
                    Some(account) => {
                        seen += 1;
                        if account.balance_minor != row.balance_minor
                            || account.floor_minor != row.floor_minor
                            || account.ceiling_minor != row.ceiling_minor
                            || account.status.as_str() != row.status
                        {
                            report.faults.push(Fault {
                                entry: None,
                                what: format!(
                                    "account {}: stored balance {} (floor {}, ceiling {}, {}) but the log gives {} (floor {}, ceiling {}, {})",
                                    row.key.short(),
                                    state.money(row.balance_minor),
                                    state.money(row.floor_minor),
                                    state.money(row.ceiling_minor),
                                    row.status,
                                    state.money(account.balance_minor),
                                    state.money(account.floor_minor),
                                    state.money(account.ceiling_minor),
                                    account.status.as_str()
                                ),
                            });
                        }
                    }
                }
            }
            if seen != state.accounts.len() {
                report.faults.push(Fault {
                    entry: None,
                    what: format!(
                        "{} accounts in the log have no stored row",
                        state.accounts.len() - seen
                    ),
                });
            }
            if head_hash != state.head.0 {
                report.faults.push(Fault {
                    entry: None,
                    what: "the circle's stored head hash is not the hash of its last entry".into(),
                });
            }
            if state.next_seq != info.head_seq + 1 {
                report.faults.push(Fault {
                    entry: None,
                    what: format!(
                        "the circle's stored head is {}, the log ends at {}",
                        info.head_seq,
                        state.next_seq - 1
                    ),
                });
            }
        }
        Ok(report)
    }
}

/// The circle built from its genesis entry, and every way its stored row differs from it.
pub(super) async fn read_circle_checked(
    conn: &mut AnyConnection,
    slug: &str,
) -> Result<(CircleInfo, Vec<String>), StoreError> {
    let row = sqlx::query("SELECT id, slug, circle_id, name, unit_name, unit_symbol, decimals, head_seq, head_hash FROM circles WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NoSuchCircle(slug.to_owned()))?;
    let stored = circle_from_row(&row)?;
    let genesis = read_entry_page(conn, stored.row_id, 0, 1)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Corrupt("the circle has no genesis entry".into()))?;
    let Body::Genesis { spec, .. } = &genesis.entry.signed.record.body else {
        return Err(StoreError::Corrupt(
            "the circle's first entry is not a genesis entry".into(),
        ));
    };
    let signed = CircleInfo {
        row_id: stored.row_id,
        slug: spec.slug.clone(),
        circle_id: genesis.entry.hash(),
        name: spec.name.clone(),
        unit_name: spec.unit_name.clone(),
        unit_symbol: spec.unit_symbol.clone(),
        decimals: spec.decimals.min(crate::amount::DECIMALS_MAX),
        head_seq: stored.head_seq,
    };
    let mut mismatches = Vec::new();
    let mut compare = |what: &str, found: String, expected: String| {
        if found != expected {
            mismatches.push(format!(
                "{what} is {found:?} but the genesis says {expected:?}"
            ));
        }
    };
    compare("the slug", stored.slug.clone(), signed.slug.clone());
    compare(
        "the circle id",
        stored.circle_id.to_hex(),
        signed.circle_id.to_hex(),
    );
    compare("the name", stored.name.clone(), signed.name.clone());
    compare(
        "the unit",
        stored.unit_name.clone(),
        signed.unit_name.clone(),
    );
    compare(
        "the unit symbol",
        stored.unit_symbol.clone(),
        signed.unit_symbol.clone(),
    );
    compare(
        "the decimals",
        stored.decimals.to_string(),
        spec.decimals.to_string(),
    );
    Ok((signed, mismatches))
}

/// Replays a circle's stored log into its state and Merkle frontier, page by page.
pub(super) async fn replay(
    conn: &mut AnyConnection,
    row_id: i64,
) -> Result<(CircleState, merkle::Frontier), StoreError> {
    let mut state: Option<CircleState> = None;
    let mut frontier = merkle::Frontier::default();
    loop {
        let page = read_entry_page(conn, row_id, frontier.size() as i64, READ_PAGE_ENTRIES).await?;
        if page.is_empty() {
            break;
        }
        for stored in page {
            frontier.push(stored.hash);
            match state.as_mut() {
                None => state = Some(CircleState::from_genesis(&stored.entry, stored.hash)?),
                Some(state) => {
                    state
                        .apply_verified(&stored.entry, stored.hash)
                        .map_err(|refusal| {
                            StoreError::Corrupt(format!(
                                "entry {} no longer applies: {refusal}",
                                stored.entry.seq
                            ))
                        })?
                }
            }
        }
    }
    let state =
        state.ok_or_else(|| StoreError::Corrupt("the circle has no genesis entry".into()))?;
    Ok((state, frontier))
}

/// Compares the denormalised columns of a stored entry with its signed request.
pub(super) fn check_columns(
    row: &AnyRow,
    raw: &RawEntry,
    faults: &mut Vec<Fault>,
) -> Result<(), StoreError> {
    let Ok(request) = crate::entry::Request::decode(&raw.request) else {
        return Ok(());
    };
    let seq = raw.seq;
    let mut fault = |what: String| {
        faults.push(Fault {
            entry: Some(seq),
            what,
        })
    };
    let kind: i64 = row.try_get("kind")?;
    if kind != i64::from(request.body.kind()) {
        fault(format!(
            "the stored kind {kind} is not the signed kind {}",
            request.body.kind()
        ));
    }
    let author: Vec<u8> = row.try_get("author")?;
    if author != request.author.as_bytes() {
        fault("the stored author is not the signer".into());
    }
    let Columns {
        payer,
        payee,
        amount_minor: amount,
        refers_to,
    } = columns_of(&request.body);
    let stored_payer: Option<Vec<u8>> = row.try_get("payer")?;
    let stored_payee: Option<Vec<u8>> = row.try_get("payee")?;
    let stored_amount: Option<i64> = row.try_get("amount_minor")?;
    let stored_refers_to: Option<Vec<u8>> = row.try_get("refers_to")?;
    if stored_refers_to != refers_to {
        fault("the stored reference to an earlier entry is not the one signed".into());
    }
    if stored_amount != amount {
        fault(format!(
            "the stored amount {} is not the signed amount {}",
            stored_amount.map_or("none".into(), |a| a.to_string()),
            amount.map_or("none".into(), |a| a.to_string())
        ));
    }
    if stored_payer != payer || stored_payee != payee {
        fault("the stored payer or payee is not the one signed".into());
    }
    Ok(())
}
