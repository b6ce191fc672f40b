//! The market's JSON API under `/api/v1/circles/{slug}/…`: listings (search, create, read,
//! matches with their scores) and deals. The same services as the pages; every answer is a
//! typed value the OpenAPI document ([`crate::api_doc`]) is generated from.

#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use commons_market::index::{Filters, Search, PAGE_LIMIT_MAX};
use commons_market::listing::{Kind, Side};
use commons_market::text::Language;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::api::{api_error, ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, SlugPath};
use crate::http::extract::ApiActor;
use crate::market::ListingInput;
use crate::AppState;

use super::api_types::*;

/// A search of the circle's live listings.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListingsQuery {
    /// Words to look for (stemmed, in the query's language).
    #[serde(default)]
    q: String,
    side: Option<SideJson>,
    kind: Option<KindJson>,
    category: Option<String>,
    area: Option<String>,
    /// How many results to skip.
    #[serde(default)]
    #[param(maximum = 10000)]
    offset: usize,
    /// How many results, 1 to 50 (20 when not given).
    #[param(minimum = 1, maximum = 50, default = 20)]
    limit: Option<usize>,
    /// The language the query is written in (default: the member's).
    language: Option<String>,
}

pub(super) fn member_language(v: &crate::http::session::Visitor, asked: Option<&str>) -> Language {
    Language::from_tag(
        asked
            .or(v.user.as_ref().and_then(|u| u.language.as_deref()))
            .unwrap_or("en"),
    )
}

/// A page of search results.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Listings)]
pub struct ListingsJson {
    /// How many listings match in all.
    pub total: usize,
    pub offset: usize,
    /// Each with its `score`.
    pub listings: Vec<ListingJson>,
}

/// A query parameter outside its documented range: refused, never quietly changed.
pub(super) fn out_of_range(name: &str, most: usize) -> ApiError {
    api_error(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        format!("{name} is from 1 to {most}."),
    )
}

/// Most results one search may skip.
pub const SEARCH_OFFSET_MAX: usize = 10_000;

/// Search the circle's live offers and needs, best first.
#[utoipa::path(get, path = "/api/v1/circles/{slug}/listings", tag = "market",
    params(SlugPath, ListingsQuery),
    responses((status = 200, description = "The listings found.", body = ListingsJson)))]
pub async fn listings(
    State(state): State<Arc<AppState>>,
    v: crate::http::session::Visitor,
    ApiActor(actor): ApiActor,
    ApiQuery(query): ApiQuery<ListingsQuery>,
) -> ApiResult<ListingsJson> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=PAGE_LIMIT_MAX).contains(&limit) {
        return Err(out_of_range("limit", PAGE_LIMIT_MAX));
    }
    if query.offset > SEARCH_OFFSET_MAX {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("offset is from 0 to {SEARCH_OFFSET_MAX}."),
        ));
    }
    let search = Search {
        text: query.q.clone(),
        language: Some(member_language(&v, query.language.as_deref())),
        filters: Filters {
            side: query.side.map(Side::from),
            kind: query.kind.map(Kind::from),
            category: query.category.clone().filter(|c| !c.is_empty()),
            area: query.area.clone().filter(|a| !a.is_empty()),
            owner: None,
            include_inactive: false,
            // Whom the searcher does not see is the service's to add.
            hidden_owners: Default::default(),
            hidden_listings: Default::default(),
        },
        offset: query.offset,
        limit,
        now_ms: state.services.now_ms(),
    };
    let (page, listings) = state.services.search_listing_rows(&actor, &search).await?;
    let decimals = actor.circle.decimals;
    Ok(Json(ListingsJson {
        total: page.total,
        offset: search.offset,
        listings: listings
            .iter()
            .filter_map(|listing| {
                let hit = page.hits.iter().find(|hit| hit.id == listing.id)?;
                let mut found = ListingJson::new(listing, decimals);
                found.score = Some(hit.score);
                Some(found)
            })
            .collect(),
    }))
}

/// A listing as the API takes it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewListing)]
pub struct ListingBody {
    #[schema(value_type = SideJson)]
    side: String,
    #[schema(value_type = KindJson)]
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
    #[schema(value_type = ValueKindJson)]
    value_kind: String,
    /// In the circle's unit, as text ("1.5").
    #[serde(default)]
    amount: String,
    #[serde(default)]
    availability: String,
    expires_in_days: Option<i64>,
    language: Option<String>,
    /// For events.
    event: Option<EventBody>,
}

/// When and where an event is, as the API takes it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewEvent)]
pub struct EventBody {
    /// Local time, YYYY-MM-DDTHH:MM.
    starts: String,
    /// Local time, YYYY-MM-DDTHH:MM.
    ends: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    online: bool,
    capacity: Option<u32>,
}

/// Post an offer or a need.
#[utoipa::path(post, path = "/api/v1/circles/{slug}/listings", tag = "market",
    params(SlugPath), request_body = ListingBody,
    responses((status = 201, description = "The listing.", body = ListingJson)))]
pub async fn create_listing(
    State(state): State<Arc<AppState>>,
    v: crate::http::session::Visitor,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<ListingBody>,
) -> Result<Response, ApiError> {
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
        Json(ListingJson::new(&listing, actor.circle.decimals)),
    )
        .into_response())
}

/// A circle's `{slug}` and a listing's or deal's `{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// The circle's short name.
    pub slug: String,
    /// The listing's or deal's id.
    pub id: i64,
}

/// One listing.
#[utoipa::path(get, path = "/api/v1/circles/{slug}/listings/{id}", tag = "market",
    params(IdPath),
    responses((status = 200, description = "The listing.", body = ListingJson)))]
pub async fn listing(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    ApiPath(IdPath { slug: _, id }): ApiPath<IdPath>,
) -> ApiResult<ListingJson> {
    let listing = state.services.listing(&actor, id).await?;
    Ok(Json(ListingJson::new(&listing, actor.circle.decimals)))
}

/// How many matches.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchesQuery {
    /// 1 to 50 (10 when not given).
    #[param(minimum = 1, maximum = 50, default = 10)]
    limit: Option<usize>,
}

/// A listing's matches, best first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Matches)]
pub struct MatchesJson {
    /// The listing's id.
    pub listing: i64,
    pub matches: Vec<MatchJson>,
}

/// The listings that fit one of mine (its author only: scores say something about other
/// members' listings that others need not read).
#[utoipa::path(get, path = "/api/v1/circles/{slug}/listings/{id}/matches", tag = "market",
    params(IdPath, MatchesQuery),
    responses(
        (status = 200, description = "The matches.", body = MatchesJson),
        (status = 403, description = "Not my listing (forbidden).", body = crate::http::api::ErrorEnvelope),
    ))]
pub async fn matches(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    ApiPath(IdPath { slug: _, id }): ApiPath<IdPath>,
    ApiQuery(query): ApiQuery<MatchesQuery>,
) -> ApiResult<MatchesJson> {
    // A listing's matches are its author's, as on the pages: scores say something about
    // other members' listings (how near, how fitting) that others need not read.
    if state.services.listing(&actor, id).await?.owner != actor.user.id {
        return Err(crate::services::ActionError::Forbidden.into());
    }
    let limit = query.limit.unwrap_or(10);
    if !(1..=commons_market::matching::MATCHES_MAX).contains(&limit) {
        return Err(out_of_range("limit", commons_market::matching::MATCHES_MAX));
    }
    let found = state.services.matches_for(&actor, id, limit).await?;
    Ok(Json(MatchesJson {
        listing: id,
        matches: found
            .iter()
            .map(|(m, l)| MatchJson::new(m, l, actor.circle.decimals))
            .collect(),
    }))
}

/// My deals.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Deals)]
pub struct DealsJson {
    pub deals: Vec<DealJson>,
}

/// The deals I am part of.
#[utoipa::path(get, path = "/api/v1/circles/{slug}/deals", tag = "market", params(SlugPath),
    responses((status = 200, description = "My deals.", body = DealsJson)))]
pub async fn deals(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
) -> ApiResult<DealsJson> {
    let deals = state.services.deals_of(&actor).await?;
    Ok(Json(DealsJson {
        deals: deals.iter().map(|d| DealJson::new(d, None)).collect(),
    }))
}

/// What a deal action takes: `message` to open a deal or write in it; `description`,
/// `amount` and `gift` to propose terms; `version` to agree or complete; `thanks` to thank.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DealAction)]
pub struct DealBody {
    /// At most 2,000 characters.
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

/// Answer a listing: open a deal with its author, with a first `message`.
#[utoipa::path(post, path = "/api/v1/circles/{slug}/listings/{id}/deals", tag = "market",
    params(IdPath), request_body = DealBody,
    responses((status = 201, description = "The deal.", body = DealJson)))]
pub async fn open_deal(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    ApiPath(IdPath { slug: _, id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<DealBody>,
) -> Result<Response, ApiError> {
    let stored = state.services.open_deal(&actor, id, &body.message).await?;
    Ok((StatusCode::CREATED, Json(DealJson::new(&stored, None))).into_response())
}

/// One of my deals, with its conversation.
#[utoipa::path(get, path = "/api/v1/circles/{slug}/deals/{id}", tag = "market",
    params(IdPath),
    responses((status = 200, description = "The deal.", body = DealJson)))]
pub async fn deal(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    ApiPath(IdPath { slug: _, id }): ApiPath<IdPath>,
) -> ApiResult<DealJson> {
    let (card, messages, _) = state.services.deal_page(&actor, id).await?;
    Ok(Json(DealJson::new(&card.stored, Some(&messages))))
}

/// What to do with a deal.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DealActionName {
    Message,
    Terms,
    Agree,
    Complete,
    Cancel,
    Thanks,
}

/// A circle's `{slug}`, a deal's `{id}` and the `{action}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DealActionPath {
    /// The circle's short name.
    pub slug: String,
    /// The deal's id.
    pub id: i64,
    #[param(inline)]
    pub action: DealActionName,
}

/// Act on a deal: message, terms, agree, complete, cancel, thanks. Completing pays from my
/// sealed key (a page session); members who hold their own key pay with `commons pay` and
/// the deal's reference.
#[utoipa::path(post, path = "/api/v1/circles/{slug}/deals/{id}/{action}", tag = "market",
    params(DealActionPath), request_body = DealBody,
    responses((status = 200, description = "The deal after the action.", body = DealJson)))]
pub async fn deal_action(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    ApiPath(DealActionPath {
        slug: _,
        id,
        action,
    }): ApiPath<DealActionPath>,
    ApiJson(body): ApiJson<DealBody>,
) -> ApiResult<DealJson> {
    let services = &state.services;
    match action {
        DealActionName::Message => services.deal_message(&actor, id, &body.message).await?,
        DealActionName::Terms => {
            services
                .propose_terms(&actor, id, &body.description, &body.amount, body.gift)
                .await?;
        }
        DealActionName::Agree => {
            services.agree_terms(&actor, id, body.version).await?;
        }
        DealActionName::Complete => {
            services.complete_deal(&actor, id, body.version).await?;
        }
        DealActionName::Cancel => {
            services.cancel_deal(&actor, id).await?;
        }
        DealActionName::Thanks => services.thank(&actor, id, &body.thanks).await?,
    }
    let (card, messages, _) = services.deal_page(&actor, id).await?;
    Ok(Json(DealJson::new(&card.stored, Some(&messages))))
}
