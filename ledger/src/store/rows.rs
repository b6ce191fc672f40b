//! Turning database rows into the store's types, and the small reads every other part shares.

use super::*;

/// Reads a circle, taking its settings from its signed genesis entry (never from the editable
/// row alone). A row that disagrees with the genesis is refused: amounts would be parsed with the
/// wrong number of decimals, or payments sent to the wrong circle.
pub(super) async fn read_circle(
    conn: &mut AnyConnection,
    slug: &str,
) -> Result<CircleInfo, StoreError> {
    let (info, mismatches) = read_circle_checked(conn, slug).await?;
    if !mismatches.is_empty() {
        return Err(StoreError::Corrupt(format!(
            "the circle's stored settings differ from its signed genesis entry ({}); run `commons audit {slug}`",
            mismatches.join("; ")
        )));
    }
    Ok(info)
}

pub(super) async fn read_entry_page(
    conn: &mut AnyConnection,
    row_id: i64,
    from_seq: i64,
    limit: i64,
) -> Result<Vec<StoredEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT e.seq, e.entry_hash, e.prev_hash, e.recorded_at_ms, e.request, e.signature, m.salt, m.text
         FROM entries e LEFT JOIN memos m ON m.circle = e.circle AND m.seq = e.seq
         WHERE e.circle = $1 AND e.seq >= $2 ORDER BY e.seq LIMIT $3",
    )
    .bind(row_id)
    .bind(from_seq)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(stored_entry_from_row).collect()
}

pub(super) async fn read_accounts(
    conn: &mut AnyConnection,
    row_id: i64,
) -> Result<Vec<AccountRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT account_key, floor_minor, ceiling_minor, balance_minor, status FROM accounts WHERE circle = $1 ORDER BY balance_minor DESC, account_key",
    )
    .bind(row_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(account_from_row).collect()
}

pub(super) fn account_from_row(row: &AnyRow) -> Result<AccountRow, StoreError> {
    let key: Vec<u8> = row.try_get("account_key")?;
    Ok(AccountRow {
        key: public_key(&key)?,
        floor_minor: row.try_get("floor_minor")?,
        ceiling_minor: row.try_get("ceiling_minor")?,
        balance_minor: row.try_get("balance_minor")?,
        status: row.try_get("status")?,
    })
}

/// `$first, $first+1, ...` for an `IN (...)` list of `count` values (`count` >= 1).
pub(super) fn placeholders_from(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) async fn read_tree_head(
    conn: &mut AnyConnection,
    info: &CircleInfo,
) -> Result<TreeHead, StoreError> {
    let row = sqlx::query("SELECT tree_size, root, timestamp_ms, signature FROM tree_heads WHERE circle = $1 ORDER BY tree_size DESC LIMIT 1")
        .bind(info.row_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(TreeHead {
        circle_id: info.circle_id,
        tree_size: row.try_get::<i64, _>("tree_size")? as u64,
        root: hash(&row.try_get::<Vec<u8>, _>("root")?)?,
        timestamp_ms: row.try_get("timestamp_ms")?,
        signature: signature(&row.try_get::<Vec<u8>, _>("signature")?)?,
    })
}

pub(super) fn circle_from_row(row: &AnyRow) -> Result<CircleInfo, StoreError> {
    Ok(CircleInfo {
        row_id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        circle_id: hash(&row.try_get::<Vec<u8>, _>("circle_id")?)?,
        name: row.try_get("name")?,
        unit_name: row.try_get("unit_name")?,
        unit_symbol: row.try_get("unit_symbol")?,
        decimals: u8::try_from(row.try_get::<i64, _>("decimals")?).unwrap_or(u8::MAX),
        head_seq: row.try_get::<i64, _>("head_seq")? as u64,
    })
}

pub(super) fn raw_entry_from_row(row: &AnyRow) -> Result<RawEntry, StoreError> {
    let salt: Option<Vec<u8>> = row.try_get("salt")?;
    let text: Option<String> = row.try_get("text")?;
    let memo = match (salt, text) {
        (Some(salt), Some(text)) => Some(Memo {
            salt: salt
                .try_into()
                .map_err(|_| StoreError::Corrupt("a memo salt is not 16 bytes".into()))?,
            text,
        }),
        _ => None,
    };
    Ok(RawEntry {
        seq: row.try_get::<i64, _>("seq")? as u64,
        prev_hash: hash(&row.try_get::<Vec<u8>, _>("prev_hash")?)?,
        recorded_at_ms: row.try_get("recorded_at_ms")?,
        request: row.try_get("request")?,
        signature: signature(&row.try_get::<Vec<u8>, _>("signature")?)?,
        claimed_hash: Some(hash(&row.try_get::<Vec<u8>, _>("entry_hash")?)?),
        memo,
    })
}

pub(super) fn stored_entry_from_row(row: &AnyRow) -> Result<StoredEntry, StoreError> {
    let raw = raw_entry_from_row(row)?;
    let signed = SignedRequest::from_parts(raw.request, raw.signature).map_err(|error| {
        StoreError::Corrupt(format!("entry {} cannot be decoded: {error}", raw.seq))
    })?;
    Ok(StoredEntry {
        entry: Entry {
            seq: raw.seq,
            prev_hash: raw.prev_hash,
            recorded_at_ms: raw.recorded_at_ms,
            signed,
        },
        hash: raw.claimed_hash.unwrap_or(Hash::ZERO),
        memo: raw.memo,
    })
}

pub(super) fn hash(bytes: &[u8]) -> Result<Hash, StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map(Hash)
        .map_err(|_| StoreError::Corrupt("a stored hash is not 32 bytes".into()))
}

pub(super) fn signature(bytes: &[u8]) -> Result<Signature, StoreError> {
    <[u8; 64]>::try_from(bytes)
        .map(Signature)
        .map_err(|_| StoreError::Corrupt("a stored signature is not 64 bytes".into()))
}

pub(super) fn public_key(bytes: &[u8]) -> Result<PublicKey, StoreError> {
    let array = <[u8; 32]>::try_from(bytes)
        .map_err(|_| StoreError::Corrupt("a stored key is not 32 bytes".into()))?;
    // Stored keys were checked when they entered the circle; a changed one shows up in the
    // audit as an account no entry opened, so it is read as it is.
    Ok(PublicKey::from_raw(array))
}

/// The columns stored beside an entry for queries: who pays whom, how much, and the entry it
/// refers to (the request it accepts or closes, or the transfer it reverses).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Columns {
    pub payer: Option<Vec<u8>>,
    pub payee: Option<Vec<u8>>,
    pub amount_minor: Option<i64>,
    pub refers_to: Option<Vec<u8>>,
}

pub(crate) fn columns_of(body: &Body) -> Columns {
    use crate::crossing::{connector_key, HoldSource};
    match body {
        Body::Transfer {
            payer,
            payee,
            amount_minor,
            cause,
            ..
        } => Columns {
            payer: Some(payer.as_bytes().to_vec()),
            payee: Some(payee.as_bytes().to_vec()),
            amount_minor: Some(*amount_minor),
            refers_to: match cause {
                Cause::AcceptsRequest(hash) | Cause::Reverses(hash) => Some(hash.0.to_vec()),
                Cause::Direct | Cause::Reference(_) => None,
            },
        },
        Body::RequestPayment {
            payer,
            payee,
            amount_minor,
            ..
        } => Columns {
            payer: Some(payer.as_bytes().to_vec()),
            payee: Some(payee.as_bytes().to_vec()),
            amount_minor: Some(*amount_minor),
            refers_to: None,
        },
        Body::CloseRequest { request } | Body::Settle { hold: request, .. } => Columns {
            refers_to: Some(request.0.to_vec()),
            ..Columns::default()
        },
        Body::Hold(hold) => Columns {
            payer: Some(match &hold.source {
                HoldSource::Member(payer) => payer.as_bytes().to_vec(),
                HoldSource::Link { partner, .. } => connector_key(partner).as_bytes().to_vec(),
            }),
            payee: Some(connector_key(&hold.partner).as_bytes().to_vec()),
            amount_minor: Some(hold.amount_minor),
            refers_to: None,
        },
        Body::Arrive(arrival) => Columns {
            payer: Some(connector_key(&arrival.partner).as_bytes().to_vec()),
            payee: Some(arrival.payee.as_bytes().to_vec()),
            amount_minor: Some(arrival.amount_minor),
            refers_to: Some(arrival.remote.0.to_vec()),
        },
        _ => Columns::default(),
    }
}
