//! SQL column lists and the decoding of rows into the market's types.

use super::*;

pub(super) const LISTING_COLUMNS: &str = "l.id, l.circle, l.owner, l.side, l.kind, l.status, l.title, l.description, \
     l.category, l.tags, l.area, l.lat_centi, l.lon_centi, l.value_kind, l.amount_minor, l.availability, l.language, \
     l.created_at_ms, l.updated_at_ms, l.expires_at_ms, l.event_starts, l.event_ends, l.event_place, \
     l.event_online, l.event_capacity, l.change_seq, \
     (SELECT COUNT(*) FROM market_rsvps r WHERE r.listing = l.id AND r.place = 'going') AS going";

/// The columns a member's draft fills, in the order [`bind_draft`] binds them (20).
pub(super) const DRAFT_COLUMNS: [&str; 20] = [
    "side",
    "kind",
    "title",
    "description",
    "category",
    "tags",
    "area",
    "value_kind",
    "amount_minor",
    "availability",
    "language",
    "updated_at_ms",
    "expires_at_ms",
    "event_starts",
    "event_ends",
    "event_place",
    "event_online",
    "event_capacity",
    "lat_centi",
    "lon_centi",
];

pub(super) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds a draft's values for [`DRAFT_COLUMNS`], as written at `now_ms`. The one place that
/// maps a listing's fields to its columns, for inserts, imports and updates alike.
pub(super) fn bind_draft<'q>(
    query: AnyQuery<'q>,
    draft: &ListingDraft,
    now_ms: i64,
) -> AnyQuery<'q> {
    let event = draft.event.as_ref();
    query
        .bind(draft.side.as_str())
        .bind(draft.kind.as_str())
        .bind(draft.title.as_str().to_string())
        .bind(draft.description.clone())
        .bind(draft.category.clone())
        .bind(draft.tags.join(" "))
        .bind(draft.area.clone())
        .bind(draft.value.kind().as_str())
        .bind(draft.value.amount_minor())
        .bind(draft.availability.clone())
        .bind(draft.language.code())
        .bind(now_ms)
        .bind(now_ms + draft.expires_in_days * DAY_MS)
        .bind(event.map(|e| e.starts.0))
        .bind(event.map(|e| e.ends.0))
        .bind(event.map(|e| e.place.clone()))
        .bind(event.map(|e| i64::from(e.online)))
        .bind(event.and_then(|e| e.capacity).map(i64::from))
        .bind(draft.location.map(|l| i64::from(l.lat_centi)))
        .bind(draft.location.map(|l| i64::from(l.lon_centi)))
}

/// `INSERT INTO market_listings` of `rows` new listings: per row circle, owner, created_at_ms,
/// change_seq, then the draft's columns (24 values; status is 'active').
pub(super) fn insert_sql(rows: usize) -> String {
    const VALUES_PER_ROW: usize = 4 + DRAFT_COLUMNS.len();
    let mut sql = format!(
        "INSERT INTO market_listings (circle, owner, created_at_ms, change_seq, {}, status) VALUES ",
        DRAFT_COLUMNS.join(", ")
    );
    for row in 0..rows {
        let placeholders: Vec<String> = (1..=VALUES_PER_ROW)
            .map(|n| format!("${}", row * VALUES_PER_ROW + n))
            .collect();
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("({}, 'active')", placeholders.join(", ")));
    }
    sql
}

pub(super) fn corrupt(what: &str) -> MarketError {
    MarketError::Corrupt(what.to_string())
}

pub(super) fn listing_of(row: &AnyRow) -> MarketResult<Listing> {
    let text = |name: &str| -> MarketResult<String> { Ok(row.try_get::<String, _>(name)?) };
    let value_kind = ValueKind::parse(&text("value_kind")?).map_err(|_| corrupt("value_kind"))?;
    let amount: Option<i64> = row.try_get("amount_minor")?;
    let event = match row.try_get::<Option<i64>, _>("event_starts")? {
        Some(starts) => Some(EventDetails {
            starts: LocalTime(starts),
            ends: LocalTime(
                row.try_get::<Option<i64>, _>("event_ends")?
                    .unwrap_or(starts),
            ),
            place: row
                .try_get::<Option<String>, _>("event_place")?
                .unwrap_or_default(),
            online: row.try_get::<Option<i64>, _>("event_online")?.unwrap_or(0) != 0,
            capacity: row
                .try_get::<Option<i64>, _>("event_capacity")?
                .and_then(|c| u32::try_from(c).ok()),
        }),
        None => None,
    };
    Ok(Listing {
        id: row.try_get("id")?,
        circle: row.try_get("circle")?,
        owner: row.try_get("owner")?,
        side: Side::parse(&text("side")?).map_err(|_| corrupt("side"))?,
        kind: Kind::parse(&text("kind")?).map_err(|_| corrupt("kind"))?,
        status: Status::parse(&text("status")?).map_err(|_| corrupt("status"))?,
        title: text("title")?,
        description: text("description")?,
        category: text("category")?,
        tags: text("tags")?
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        area: text("area")?,
        location: match (
            row.try_get::<Option<i64>, _>("lat_centi")?,
            row.try_get::<Option<i64>, _>("lon_centi")?,
        ) {
            (Some(lat), Some(lon)) => Some(Location {
                lat_centi: i32::try_from(lat).map_err(|_| corrupt("lat_centi"))?,
                lon_centi: i32::try_from(lon).map_err(|_| corrupt("lon_centi"))?,
            }),
            _ => None,
        },
        value: Value::new(value_kind, amount).map_err(|_| corrupt("amount_minor"))?,
        availability: text("availability")?,
        language: Language::from_tag(&text("language")?),
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
        expires_at_ms: row.try_get("expires_at_ms")?,
        event,
        going: row.try_get("going")?,
    })
}

pub(super) fn rsvp_of(row: &AnyRow) -> MarketResult<Rsvp> {
    Ok(Rsvp {
        member: row.try_get("member")?,
        place: Place::parse(&row.try_get::<String, _>("place")?)
            .ok_or_else(|| corrupt("rsvp place"))?,
        at_ms: row.try_get("at_ms")?,
    })
}

pub(super) fn photo_of(row: &AnyRow) -> MarketResult<PhotoInfo> {
    Ok(PhotoInfo {
        id: row.try_get("id")?,
        listing: row.try_get("listing")?,
        position: row.try_get("position")?,
        alt: row.try_get("alt")?,
        width: row.try_get("width")?,
        height: row.try_get("height")?,
    })
}

pub(super) const DEAL_COLUMNS: &str =
    "id, circle, listing, owner, responder, payer, status, terms_description, \
     terms_amount_minor, terms_proposed_by, payment_seq, version, created_at_ms, updated_at_ms";

pub(super) fn deal_of(row: &AnyRow) -> MarketResult<StoredDeal> {
    let terms = match row.try_get::<Option<String>, _>("terms_description")? {
        Some(description) => Some(Terms {
            description,
            amount_minor: row.try_get("terms_amount_minor")?,
            proposed_by: row
                .try_get::<Option<i64>, _>("terms_proposed_by")?
                .ok_or_else(|| corrupt("terms_proposed_by"))?,
        }),
        None => None,
    };
    Ok(StoredDeal {
        deal: Deal {
            id: row.try_get("id")?,
            listing_id: row.try_get("listing")?,
            owner: row.try_get("owner")?,
            responder: row.try_get("responder")?,
            payer: row.try_get("payer")?,
            status: deal::Status::parse(&row.try_get::<String, _>("status")?)
                .ok_or_else(|| corrupt("deal status"))?,
            terms,
            payment_seq: row
                .try_get::<Option<i64>, _>("payment_seq")?
                .map(|s| s as u64),
        },
        circle: row.try_get("circle")?,
        version: row.try_get("version")?,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}
