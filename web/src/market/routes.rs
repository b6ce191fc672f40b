//! Page handlers of the market: each reads the request, calls the market services, and renders
//! a view. No SQL and no rules live here.

#![allow(clippy::result_large_err)]

use axum::extract::{Multipart, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use commons_market::event::Answer;
use commons_market::index::{Filters, Search};
use commons_market::listing::{Kind, Side, Status};
use commons_market::text::Language;
use serde::Deserialize;

use crate::http::error::AppError;
use crate::http::extract::Steward;
use crate::http::extract::{PageForm, PagePath, PageQuery};
use crate::http::page::flash_to;
use crate::http::page::{
    form_errors, is_locked, nav_for, page, page_with_status, unit_of, unlock_if_given, AppState_,
    PageResult,
};
use crate::http::session::Visitor;
use crate::market::views::{
    self as market_views, DealPage, ListingFormPage, ListingPage, MarketPage, MarketQuery,
};
use crate::market::{ListingInput, LISTINGS_PER_PAGE, MATCHES_SHOWN};
use crate::services::{ActionError, Actor};
use crate::views::{FieldError, FormErrors};
use crate::AppState;

/// Largest photo upload request (the photo plus the form around it).
pub const PHOTO_UPLOAD_BYTES_MAX: usize = commons_market::photo::PHOTO_BYTES_MAX + 64 * 1024;

fn language_of(v: &Visitor) -> Language {
    Language::from_tag(v.tr.lang())
}

fn errors_of(v: &Visitor, errors: &[(&'static str, &'static str)]) -> FormErrors {
    FormErrors(
        errors
            .iter()
            .map(|(field, id)| FieldError {
                field,
                message: v.tr.t(id),
            })
            .collect(),
    )
}

pub async fn browse(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(query): PageQuery<MarketQuery>,
) -> PageResult {
    let page_number = query.page.unwrap_or(1).clamp(1, 50);
    let search = Search {
        text: query.q.clone(),
        language: Some(language_of(&v)),
        filters: Filters {
            side: Side::parse(&query.side).ok(),
            kind: Kind::parse(&query.kind).ok(),
            category: Some(query.category.trim().to_string()).filter(|c| !c.is_empty()),
            area: Some(query.area.trim().to_string()).filter(|a| !a.is_empty()),
            owner: None,
            include_inactive: false,
            // Whom the searcher does not see is the service's to add.
            hidden_owners: Default::default(),
            hidden_listings: Default::default(),
        },
        offset: (page_number - 1) * LISTINGS_PER_PAGE,
        limit: LISTINGS_PER_PAGE,
        now_ms: state.services.now_ms(),
    };
    let (found, cards) = state.services.search_listings(&actor, &search).await?;
    let tree = state.services.category_tree(actor.circle.row_id).await?;
    let unit = unit_of(&actor.circle);
    let linked: Vec<String> = state
        .services
        .shared_market_circles(&actor)
        .await?
        .into_iter()
        .map(|linked| linked.partner.name)
        .collect();
    Ok(page(market_views::market_page(
        &v,
        &nav_for(&actor, "market"),
        &MarketPage {
            query: &query,
            page: &found,
            cards: &cards,
            tree: &tree,
            unit: &unit,
            per_page: LISTINGS_PER_PAGE,
            now_ms: state.services.now_ms(),
            linked: &linked,
        },
    )))
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    side: String,
    #[serde(default)]
    kind: String,
}

async fn form_page(
    state: &AppState,
    v: &Visitor,
    actor: &Actor,
    input: &ListingInput,
    editing: Option<i64>,
    errors: &FormErrors,
) -> Result<maud::Markup, AppError> {
    let tree = state.services.category_tree(actor.circle.row_id).await?;
    Ok(market_views::listing_form_page(
        v,
        &nav_for(actor, "market"),
        &ListingFormPage {
            input,
            editing,
            tree: &tree,
            unit: &unit_of(&actor.circle),
        },
        errors,
    ))
}

pub async fn new_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(query): PageQuery<NewQuery>,
) -> PageResult {
    let input = ListingInput {
        side: Side::parse(&query.side)
            .unwrap_or(Side::Offer)
            .as_str()
            .into(),
        kind: Kind::parse(&query.kind)
            .unwrap_or(Kind::Skill)
            .as_str()
            .into(),
        value_kind: "by_agreement".into(),
        category: "other".into(),
        ..ListingInput::default()
    };
    Ok(page(
        form_page(&state, &v, &actor, &input, None, &FormErrors::default()).await?,
    ))
}

pub async fn new_submit(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath(slug): PagePath<String>,
    PageForm(input): PageForm<ListingInput>,
) -> PageResult {
    let errors = match state
        .services
        .parse_listing(&actor, &input, language_of(&v))
        .await?
    {
        Ok(draft) => match state.services.create_listing(&actor, &draft).await {
            Ok(listing) => {
                return Ok(flash_to(
                    &state,
                    &format!("/c/{slug}/market/{}", listing.id),
                    "flash-listing-published",
                    &[],
                ))
            }
            Err(error) => form_errors(&v, error, "title")?,
        },
        Err(errors) => errors_of(&v, &errors),
    };
    let markup = form_page(&state, &v, &actor, &input, None, &errors).await?;
    Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, markup))
}

async fn own_listing(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<commons_market::store::Listing, AppError> {
    let listing = state.services.listing(actor, id).await?;
    if listing.owner != actor.user.id {
        return Err(AppError::Forbidden);
    }
    Ok(listing)
}

pub async fn edit_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, id)): PagePath<(String, i64)>,
) -> PageResult {
    let listing = own_listing(&state, &actor, id).await?;
    let input = ListingInput::of(&listing, actor.circle.decimals);
    Ok(page(
        form_page(&state, &v, &actor, &input, Some(id), &FormErrors::default()).await?,
    ))
}

pub async fn edit_submit(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(input): PageForm<ListingInput>,
) -> PageResult {
    own_listing(&state, &actor, id).await?;
    let errors = match state
        .services
        .parse_listing(&actor, &input, language_of(&v))
        .await?
    {
        Ok(draft) => match state.services.update_listing(&actor, id, &draft).await {
            Ok(_) => {
                return Ok(flash_to(
                    &state,
                    &format!("/c/{slug}/market/{id}"),
                    "flash-listing-saved",
                    &[],
                ))
            }
            Err(error) => form_errors(&v, error, "title")?,
        },
        Err(errors) => errors_of(&v, &errors),
    };
    let markup = form_page(&state, &v, &actor, &input, Some(id), &errors).await?;
    Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, markup))
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    status: String,
}

pub async fn set_status(
    State(state): AppState_,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(form): PageForm<StatusForm>,
) -> PageResult {
    let status =
        Status::parse(&form.status).map_err(|_| AppError::BadRequest("market-error-choice"))?;
    state
        .services
        .set_listing_status(&actor, id, status)
        .await?;
    Ok(flash_to(
        &state,
        &format!("/c/{slug}/market/{id}"),
        &format!("flash-listing-{}", status.as_str()),
        &[],
    ))
}

async fn listing_markup(
    state: &AppState,
    v: &Visitor,
    actor: &Actor,
    id: i64,
    errors: &FormErrors,
) -> Result<maud::Markup, AppError> {
    let services = &state.services;
    let listing = services.listing(actor, id).await?;
    let is_owner = listing.owner == actor.user.id;
    let photos = services.listing_photos(&listing).await?;
    let matches = if is_owner {
        services.matches_for(actor, id, MATCHES_SHOWN).await?
    } else {
        Vec::new()
    };
    let my_deal = services
        .deals_of(actor)
        .await?
        .into_iter()
        .find(|d| d.deal.listing_id == id && !d.deal.status.is_closed())
        .map(|d| d.deal.id);
    let rsvps = if listing.event.is_some() {
        services.rsvps(actor, id).await?
    } else {
        Vec::new()
    };
    let my_place = rsvps
        .iter()
        .find(|(r, _)| r.member == actor.user.id)
        .map(|(r, _)| r.place);
    let helpers = if listing.side == Side::Need && listing.is_live(services.now_ms()) {
        services.helpers_for(actor, &listing).await?
    } else {
        Vec::new()
    };
    let tree = services.category_tree(actor.circle.row_id).await?;
    let description_html = commons_market::markdown::render(&listing.description);
    let public = services
        .share_state(
            actor,
            crate::public::rules::Shared::Listing,
            listing.id,
            listing.owner,
        )
        .await?;
    let card = services
        .cards(actor, vec![listing])
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    Ok(market_views::listing_page(
        v,
        &nav_for(actor, "market"),
        &ListingPage {
            card: &card,
            description_html: &description_html,
            photos: &photos,
            tree: &tree,
            unit: &unit_of(&actor.circle),
            is_owner,
            my_deal,
            matches: &matches,
            rsvps: &rsvps,
            helpers: &helpers,
            my_place,
            now_ms: state.services.now_ms(),
            public,
            upload_token: match (is_owner, v.session) {
                (true, Some(session)) => {
                    Some(state.upload_tokens.issue(&session, state.services.now_ms()))
                }
                _ => None,
            },
        },
        errors,
    ))
}

pub async fn show(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, id)): PagePath<(String, i64)>,
) -> PageResult {
    Ok(page(
        listing_markup(&state, &v, &actor, id, &FormErrors::default()).await?,
    ))
}

/// Shows the listing again with a form error (photo, answer), as 422.
async fn listing_with_error(
    state: &AppState,
    v: &Visitor,
    actor: &Actor,
    id: i64,
    error: ActionError,
) -> PageResult {
    let errors = form_errors(v, error, "photo")?;
    let markup = listing_markup(state, v, actor, id, &errors).await?;
    Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, markup))
}

#[derive(Debug, Deserialize)]
pub struct RsvpForm {
    answer: String,
}

pub async fn rsvp(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(form): PageForm<RsvpForm>,
) -> PageResult {
    let answer = Answer::parse(&form.answer).ok_or(AppError::BadRequest("event-error-answer"))?;
    match state.services.rsvp(&actor, id, answer).await {
        Ok(place) => {
            let flash = match place {
                Some(place) => format!("event-you-{}", place.as_str()),
                None => "event-you-not-going".into(),
            };
            Ok(flash_to(
                &state,
                &format!("/c/{slug}/market/{id}"),
                &flash,
                &[],
            ))
        }
        Err(error) => listing_with_error(&state, &v, &actor, id, error).await,
    }
}

fn calendar_response(text: String, file_name: &str) -> Response {
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

pub async fn event_ics(
    State(state): AppState_,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
) -> PageResult {
    let listing = state.services.listing(&actor, id).await?;
    if listing.event.is_none() {
        return Err(AppError::NotFound);
    }
    let zone = state.services.circle_zone(&actor.circle).await?;
    let text = state
        .services
        .calendar(&state.config.public_url, &actor, &[listing], &zone);
    Ok(calendar_response(text, &format!("{slug}-{id}.ics")))
}

pub async fn events(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    let events = state.services.events(&actor).await?;
    let tree = state.services.category_tree(actor.circle.row_id).await?;
    Ok(page(market_views::events_page(
        &v,
        &nav_for(&actor, "market"),
        &events,
        &tree,
        &unit_of(&actor.circle),
        state.services.now_ms(),
    )))
}

pub async fn events_ics(
    State(state): AppState_,
    actor: Actor,
    PagePath(slug): PagePath<String>,
) -> PageResult {
    let events = state.services.calendar_events(&actor).await?;
    let zone = state.services.circle_zone(&actor.circle).await?;
    let text = state
        .services
        .calendar(&state.config.public_url, &actor, &events, &zone);
    Ok(calendar_response(text, &format!("{slug}-events.ics")))
}

pub async fn mine(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    let listings = state.services.my_listings(&actor).await?;
    let tree = state.services.category_tree(actor.circle.row_id).await?;
    Ok(page(market_views::my_listings_page(
        &v,
        &nav_for(&actor, "market"),
        &listings,
        &tree,
        &unit_of(&actor.circle),
        state.services.now_ms(),
    )))
}

pub async fn matches(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    let mine = state.services.my_matches(&actor).await?;
    let (cycles, _truncated) = state.services.trade_cycles(&actor).await?;
    let listings: Vec<_> = mine.iter().map(|(listing, _)| listing.clone()).collect();
    let across = state.services.matches_across(&actor, &listings).await?;
    Ok(page(market_views::matches_page(
        &v,
        &nav_for(&actor, "market"),
        &mine,
        &across,
        &cycles,
        &unit_of(&actor.circle),
    )))
}

// ----- photos -----

pub async fn photo_upload(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    multipart: Multipart,
) -> PageResult {
    let (bytes, alt) = crate::http::upload::photo_form(multipart).await?;
    let result = match bytes {
        Some(bytes) => state.services.add_photo(&actor, id, &alt, &bytes).await,
        None => Err(crate::services::invalid("photo", "photo-error-missing")),
    };
    match result {
        Ok(_) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/market/{id}"),
            "flash-photo-added",
            &[],
        )),
        Err(error) => listing_with_error(&state, &v, &actor, id, error).await,
    }
}

pub async fn photo_delete(
    State(state): AppState_,
    actor: Actor,
    PagePath((slug, id, photo)): PagePath<(String, i64, i64)>,
) -> PageResult {
    state.services.delete_photo(&actor, id, photo).await?;
    Ok(flash_to(
        &state,
        &format!("/c/{slug}/market/{id}"),
        "flash-photo-deleted",
        &[],
    ))
}

pub async fn photo_file(
    State(state): AppState_,
    actor: Actor,
    PagePath((_, id, photo, size)): PagePath<(String, i64, i64, String)>,
) -> PageResult {
    let thumb = match size.as_str() {
        "thumb.jpg" => true,
        "full.jpg" => false,
        _ => return Err(AppError::NotFound),
    };
    let bytes = state.services.photo_bytes(&actor, id, photo, thumb).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    // Members only: private, but a photo never changes under its id.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400, immutable"),
    );
    Ok(response)
}

// ----- deals -----

#[derive(Debug, Default, Deserialize)]
pub struct DealForm {
    #[serde(default)]
    message: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    gift: Option<String>,
    #[serde(default)]
    thanks: String,
    #[serde(default)]
    unlock_password: String,
    /// The deal's version the member saw (agree and complete only act on what was shown).
    #[serde(default)]
    version: Option<i64>,
}

pub async fn deal_open(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(form): PageForm<DealForm>,
) -> PageResult {
    match state.services.open_deal(&actor, id, &form.message).await {
        Ok(stored) => {
            Ok(Redirect::to(&format!("/c/{slug}/deals/{}", stored.deal.id)).into_response())
        }
        Err(error) => listing_with_error(&state, &v, &actor, id, error).await,
    }
}

pub async fn deals(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    let deals = state.services.my_deals(&actor).await?;
    let across = state.services.deals_across(&actor).await?;
    Ok(page(market_views::deals_page(
        &v,
        &nav_for(&actor, "market"),
        &deals,
        &across,
    )))
}

async fn deal_markup(
    state: &AppState,
    v: &Visitor,
    actor: &Actor,
    id: i64,
    errors: &FormErrors,
) -> Result<maud::Markup, AppError> {
    let (card, messages, thanks) = state.services.deal_page(actor, id).await?;
    Ok(market_views::deal_page(
        v,
        &nav_for(actor, "market"),
        &DealPage {
            card: &card,
            messages: &messages,
            thanks: &thanks,
            me: actor.user.id,
            my_name: &actor.user.display_name,
            unit: &unit_of(&actor.circle),
            locked: is_locked(state, v),
        },
        errors,
    ))
}

pub async fn deal_show(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, id)): PagePath<(String, i64)>,
) -> PageResult {
    Ok(page(
        deal_markup(&state, &v, &actor, id, &FormErrors::default()).await?,
    ))
}

pub async fn deal_action(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id, action)): PagePath<(String, i64, String)>,
    PageForm(form): PageForm<DealForm>,
) -> PageResult {
    let services = &state.services;
    let (result, flash, field) = match action.as_str() {
        "message" => (
            services.deal_message(&actor, id, &form.message).await,
            None,
            "message",
        ),
        "terms" => (
            services
                .propose_terms(
                    &actor,
                    id,
                    &form.description,
                    &form.amount,
                    form.gift.is_some(),
                )
                .await
                .map(|_| ()),
            Some("flash-terms-proposed"),
            "description",
        ),
        "agree" => (
            services
                .agree_terms(&actor, id, form.version)
                .await
                .map(|_| ()),
            Some("flash-terms-agreed"),
            "deal",
        ),
        "cancel" => (
            services.cancel_deal(&actor, id).await.map(|_| ()),
            Some("flash-deal-cancelled"),
            "deal",
        ),
        "complete" => {
            let result = match unlock_if_given(&state, &v, &form.unlock_password).await {
                Ok(()) => services
                    .complete_deal(&actor, id, form.version)
                    .await
                    .map(|_| ()),
                Err(error) => Err(error),
            };
            (result, Some("flash-deal-completed"), "deal")
        }
        "thanks" => (
            services.thank(&actor, id, &form.thanks).await,
            Some("flash-thanks-sent"),
            "thanks",
        ),
        _ => return Err(AppError::NotFound),
    };
    let to = format!("/c/{slug}/deals/{id}");
    match result {
        Ok(()) => Ok(match flash {
            Some(flash) => flash_to(&state, &to, flash, &[]),
            None => Redirect::to(&format!("{to}#talk-title")).into_response(),
        }),
        Err(error) => {
            let errors = form_errors(&v, error, field)?;
            let markup = deal_markup(&state, &v, &actor, id, &errors).await?;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, markup))
        }
    }
}

// ----- notifications -----

// ----- stewards -----

pub async fn categories(
    State(state): AppState_,
    v: Visitor,
    Steward(actor): Steward,
) -> PageResult {
    let tree = state.services.category_tree(actor.circle.row_id).await?;
    Ok(page(market_views::categories_page(
        &v,
        &nav_for(&actor, "steward"),
        &tree.to_text(),
        &FormErrors::default(),
    )))
}

#[derive(Debug, Deserialize)]
pub struct CategoriesForm {
    #[serde(default)]
    tree: String,
}

pub async fn categories_submit(
    State(state): AppState_,
    v: Visitor,
    Steward(actor): Steward,
    PagePath(slug): PagePath<String>,
    PageForm(form): PageForm<CategoriesForm>,
) -> PageResult {
    match state.services.set_category_tree(&actor, &form.tree).await? {
        Ok(()) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/steward/categories"),
            "flash-settings-saved",
            &[],
        )),
        Err(error) => {
            let (id, line) = error.message();
            let errors = FormErrors::one("tree", v.tr.ta(id, &[("line", &line.to_string())]));
            let markup =
                market_views::categories_page(&v, &nav_for(&actor, "steward"), &form.tree, &errors);
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, markup))
        }
    }
}
