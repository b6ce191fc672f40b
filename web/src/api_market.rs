//! The market's JSON API under `/api/v1/circles/{slug}/…`: listings (search, create, read,
//! matches with their scores) and deals. The same services as the pages; documented in
//! `docs/openapi.json`.

#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use commons_ledger::store::now_ms;
use commons_market::index::{Filters, Search, PAGE_LIMIT_MAX};
use commons_market::listing::{Kind, Side};
use commons_market::matching::Match;
use commons_market::store::{Listing, Message, StoredDeal};
use commons_market::text::Language;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{actor, api_error, ApiError, ApiJson, ApiPath, ApiQuery};
use crate::market::ListingInput;
use crate::AppState;

type ApiResult = Result<Json<Value>, ApiError>;

fn listing_json(listing: &Listing, decimals: u8) -> Value {
    let decimals = commons_ledger::amount::Decimals::new(u32::from(decimals)).ok();
    let amount = listing.value.amount_minor();
    json!({
        "id": listing.id,
        "owner": listing.owner,
        "side": listing.side.as_str(),
        "kind": listing.kind.as_str(),
        "status": listing.status.as_str(),
        "title": listing.title,
        "description": listing.description,
        "category": listing.category,
        "tags": listing.tags,
        "area": listing.area,
        "value_kind": listing.value.kind().as_str(),
        "amount_minor": amount,
        "amount": amount.and_then(|a| decimals.map(|d| d.format(a))),
        "availability": listing.availability,
        "language": listing.language.code(),
        "created_at_ms": listing.created_at_ms,
        "updated_at_ms": listing.updated_at_ms,
        "expires_at_ms": listing.expires_at_ms,
        "event": listing.event.as_ref().map(|e| json!({
            "starts": e.starts.to_input(),
            "ends": e.ends.to_input(),
            "place": e.place,
            "online": e.online,
            "capacity": e.capacity,
            "going": listing.going,
        })),
    })
}

fn match_json(found: &Match, listing: &Listing, decimals: u8) -> Value {
    let f = &found.factors;
    json!({
        "score": found.score,
        "factors": {
            "text": f.text,
            "category": f.category,
            "kind": f.kind,
            "tags": f.tags,
            "area": f.area,
            "recency": f.recency,
            "availability": f.availability,
            "balance_boost": f.balance_boost,
        },
        "listing": listing_json(listing, decimals),
    })
}

fn deal_json(stored: &StoredDeal, messages: Option<&[Message]>) -> Value {
    let d = &stored.deal;
    let mut value = json!({
        "id": d.id,
        "listing": d.listing_id,
        "owner": d.owner,
        "responder": d.responder,
        "payer": d.payer,
        "payee": d.payee(),
        "status": d.status.as_str(),
        "terms": d.terms.as_ref().map(|t| json!({
            "description": t.description,
            "amount_minor": t.amount_minor,
            "gift": t.amount_minor.is_none(),
            "proposed_by": t.proposed_by,
        })),
        "payment_seq": d.payment_seq,
        "reference": d.reference(),
        "created_at_ms": stored.created_at_ms,
        "updated_at_ms": stored.updated_at_ms,
    });
    if let Some(messages) = messages {
        value["messages"] = json!(messages
            .iter()
            .map(|m| json!({"id": m.id, "author": m.author, "body": m.body, "created_at_ms": m.created_at_ms}))
            .collect::<Vec<_>>());
    }
    value
}

#[derive(Debug, Default, Deserialize)]
pub struct ListingsQuery {
    #[serde(default)]
    q: String,
    side: Option<String>,
    kind: Option<String>,
    category: Option<String>,
    area: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
    /// The language the query is written in (default: the member's).
    language: Option<String>,
}

fn member_language(v: &crate::session::Visitor, asked: Option<&str>) -> Language {
    Language::from_tag(
        asked
            .or(v.user.as_ref().and_then(|u| u.language.as_deref()))
            .unwrap_or("en"),
    )
}

/// `GET /api/v1/circles/{slug}/listings`
pub async fn listings(
    State(state): State<Arc<AppState>>,
    v: crate::session::Visitor,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<ListingsQuery>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let invalid = |field: &str| {
        api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("{field}: unknown value"),
        )
    };
    let search = Search {
        text: query.q.clone(),
        language: Some(member_language(&v, query.language.as_deref())),
        filters: Filters {
            side: query
                .side
                .as_deref()
                .map(Side::parse)
                .transpose()
                .map_err(|_| invalid("side"))?,
            kind: query
                .kind
                .as_deref()
                .map(Kind::parse)
                .transpose()
                .map_err(|_| invalid("kind"))?,
            category: query.category.clone().filter(|c| !c.is_empty()),
            area: query.area.clone().filter(|a| !a.is_empty()),
            owner: None,
            include_inactive: false,
        },
        offset: query.offset,
        limit: query.limit.unwrap_or(20).min(PAGE_LIMIT_MAX),
        now_ms: now_ms(),
    };
    let page = state
        .services
        .market
        .search(actor.circle.row_id, &search)
        .await
        .map_err(crate::services::ActionError::from)?;
    let ids: Vec<i64> = page.hits.iter().map(|h| h.id).collect();
    let listings = state
        .services
        .market
        .listings(actor.circle.row_id, &ids)
        .await
        .map_err(crate::services::ActionError::from)?;
    let decimals = actor.circle.decimals;
    Ok(Json(json!({
        "total": page.total,
        "offset": search.offset,
        "listings": listings.iter().filter_map(|listing| {
            let hit = page.hits.iter().find(|hit| hit.id == listing.id)?;
            let mut value = listing_json(listing, decimals);
            value["score"] = json!(hit.score);
            Some(value)
        }).collect::<Vec<_>>(),
    })))
}

/// A listing as the API takes it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingBody {
    side: String,
    kind: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    area: String,
    /// "latitude, longitude", rounded to about a kilometre; never shown to others.
    #[serde(default)]
    location: String,
    value_kind: String,
    /// In the circle's unit, as text ("1.5").
    #[serde(default)]
    amount: String,
    #[serde(default)]
    availability: String,
    expires_in_days: Option<i64>,
    language: Option<String>,
    event: Option<EventBody>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    starts: String,
    ends: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    online: bool,
    capacity: Option<u32>,
}

/// `POST /api/v1/circles/{slug}/listings`
pub async fn create_listing(
    State(state): State<Arc<AppState>>,
    v: crate::session::Visitor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<ListingBody>,
) -> Result<Response, ApiError> {
    let actor = actor(&state, &v, &slug).await?;
    let event = body.event.as_ref();
    let input = ListingInput {
        side: body.side.clone(),
        kind: body.kind.clone(),
        title: body.title.clone(),
        description: body.description.clone(),
        category: body.category.clone(),
        tags: body.tags.join(" "),
        area: body.area.clone(),
        location: body.location.clone(),
        value_kind: body.value_kind.clone(),
        amount: body.amount.clone(),
        availability: body.availability.clone(),
        expires_in_days: body
            .expires_in_days
            .map(|d| d.to_string())
            .unwrap_or_default(),
        starts: event.map(|e| e.starts.clone()).unwrap_or_default(),
        ends: event.map(|e| e.ends.clone()).unwrap_or_default(),
        place: event.map(|e| e.place.clone()).unwrap_or_default(),
        online: event.filter(|e| e.online).map(|_| "on".into()),
        capacity: event
            .and_then(|e| e.capacity)
            .map(|c| c.to_string())
            .unwrap_or_default(),
    };
    let language = member_language(&v, body.language.as_deref());
    let draft = match state
        .services
        .parse_listing(&actor, &input, language)
        .await?
    {
        Ok(draft) => draft,
        Err(errors) => {
            return Err(api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                errors
                    .iter()
                    .map(|(field, id)| format!("{field}: {id}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ))
        }
    };
    let listing = state.services.create_listing(&actor, &draft).await?;
    Ok((
        StatusCode::CREATED,
        Json(listing_json(&listing, actor.circle.decimals)),
    )
        .into_response())
}

/// `GET /api/v1/circles/{slug}/listings/{id}`
pub async fn listing(
    State(state): State<Arc<AppState>>,
    v: crate::session::Visitor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let listing = state.services.listing(&actor, id).await?;
    Ok(Json(listing_json(&listing, actor.circle.decimals)))
}

#[derive(Debug, Default, Deserialize)]
pub struct MatchesQuery {
    limit: Option<usize>,
}

/// `GET /api/v1/circles/{slug}/listings/{id}/matches`
pub async fn matches(
    State(state): State<Arc<AppState>>,
    v: crate::session::Visitor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    ApiQuery(query): ApiQuery<MatchesQuery>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    // A listing's matches are its author's, as on the pages: scores say something about
    // other members' listings (how near, how fitting) that others need not read.
    if state.services.listing(&actor, id).await?.owner != actor.user.id {
        return Err(crate::services::ActionError::Forbidden.into());
    }
    let limit = query
        .limit
        .unwrap_or(10)
        .min(commons_market::matching::MATCHES_MAX);
    let found = state.services.matches_for(&actor, id, limit).await?;
    Ok(Json(json!({
        "listing": id,
        "matches": found.iter().map(|(m, l)| match_json(m, l, actor.circle.decimals)).collect::<Vec<_>>(),
    })))
}

/// `GET /api/v1/circles/{slug}/deals`
pub async fn deals(
    State(state): State<Arc<AppState>>,
    v: crate::session::Visitor,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let deals = state
        .services
        .market
        .deals_of(actor.circle.row_id, actor.user.id)
        .await
        .map_err(crate::services::ActionError::from)?;
    Ok(Json(
        json!({ "deals": deals.iter().map(|d| deal_json(d, None)).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    gift: bool,
    #[serde(default)]
    thanks: String,
    /// For agree and complete: the deal's version the terms were read at (recommended; a
    /// change since is refused with 409 instead of being agreed to unseen).
    #[serde(default)]
    version: Option<i64>,
}

/// `POST /api/v1/circles/{slug}/listings/{id}/deals`
pub async fn open_deal(
    State(state): State<Arc<AppState>>,
    v: crate::session::Visitor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<DealBody>,
) -> Result<Response, ApiError> {
    let actor = actor(&state, &v, &slug).await?;
    let stored = state.services.open_deal(&actor, id, &body.message).await?;
    Ok((StatusCode::CREATED, Json(deal_json(&stored, None))).into_response())
}

/// `GET /api/v1/circles/{slug}/deals/{id}`
pub async fn deal(
    State(state): State<Arc<AppState>>,
    v: crate::session::Visitor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let (card, messages, _) = state.services.deal_page(&actor, id).await?;
    Ok(Json(deal_json(&card.stored, Some(&messages))))
}

/// `POST /api/v1/circles/{slug}/deals/{id}/{action}`: message, terms, agree, complete,
/// cancel, thanks. Completing pays from the member's sealed key (page session or token with
/// an unlocked key); members who hold their own key pay with `commons pay` and a reference.
pub async fn deal_action(
    State(state): State<Arc<AppState>>,
    v: crate::session::Visitor,
    ApiPath((slug, id, action)): ApiPath<(String, i64, String)>,
    ApiJson(body): ApiJson<DealBody>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let services = &state.services;
    match action.as_str() {
        "message" => services.deal_message(&actor, id, &body.message).await?,
        "terms" => {
            services
                .propose_terms(&actor, id, &body.description, &body.amount, body.gift)
                .await?;
        }
        "agree" => {
            services.agree_terms(&actor, id, body.version).await?;
        }
        "complete" => {
            services.complete_deal(&actor, id, body.version).await?;
        }
        "cancel" => {
            services.cancel_deal(&actor, id).await?;
        }
        "thanks" => services.thank(&actor, id, &body.thanks).await?,
        _ => return Err(api_error(StatusCode::NOT_FOUND, "not_found", "Not found.")),
    }
    let (card, messages, _) = services.deal_page(&actor, id).await?;
    Ok(Json(deal_json(&card.stored, Some(&messages))))
}
