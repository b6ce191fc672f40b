//! Public pages, feeds, the stewards' editor and sharing.
//!
//! Who may do what: anyone, logged in or not, reads the public pages and feeds of a circle
//! that opted in (any other circle answers 404, as if it did not exist), and a public profile
//! only of an active member who chose it; only the circle's stewards turn the page on or off
//! and write its sections (`Steward`); a listing is shared by its author only, a news post by
//! its author or a steward (`Actor`, then `Shared::may_share`).

#![allow(clippy::result_large_err)]

use axum::extract::State;
use axum::http::header::{self, HeaderValue};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::http::error::AppError;
use crate::http::extract::{PageForm, PagePath, Steward};
use crate::http::session::Visitor;
use crate::i18n::LANGUAGES;
use crate::public::rules::{PublicPageCommand, Shared};
use crate::public::{feeds, views};
use crate::services::{ActionError, Actor};
use crate::views::FormErrors;

use crate::http::page::*;

pub async fn circle_page(
    State(state): AppState_,
    v: Visitor,
    PagePath(slug): PagePath<String>,
) -> PageResult {
    let page_data = state.services.public_page(&slug).await?;
    Ok(page(views::public_page(&v, &page_data)))
}

pub async fn news_post(
    State(state): AppState_,
    v: Visitor,
    PagePath((slug, id)): PagePath<(String, i64)>,
) -> PageResult {
    let info = state.services.public_circle(&slug).await?;
    let post = state.services.public_news_post(&info, id).await?;
    let photos = state.services.public_news_photos(post.id).await?;
    Ok(page(views::public_news_page(
        &v, &info.name, &slug, &post, &photos,
    )))
}

pub async fn news_photo(
    State(state): AppState_,
    PagePath((slug, id, photo)): PagePath<(String, i64, String)>,
) -> PageResult {
    let photo: i64 = photo
        .strip_suffix(".jpg")
        .and_then(|id| id.parse().ok())
        .ok_or(AppError::NotFound)?;
    let bytes = state.services.public_news_photo(&slug, id, photo).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(response)
}

pub async fn listing(
    State(state): AppState_,
    v: Visitor,
    PagePath((slug, id)): PagePath<(String, i64)>,
) -> PageResult {
    let page_data = state.services.public_page(&slug).await?;
    let listing = (page_data.events.iter())
        .chain(page_data.listings.iter())
        .find(|l| l.id == id)
        .ok_or(AppError::NotFound)?;
    Ok(page(views::public_listing_page(
        &v,
        &page_data.circle.name,
        &slug,
        listing,
        page_data.people.get(&listing.owner),
        page_data.open_to_requests,
    )))
}

pub async fn person(
    State(state): AppState_,
    v: Visitor,
    PagePath((slug, username)): PagePath<(String, String)>,
) -> PageResult {
    if username.len() > 64 {
        return Err(AppError::NotFound);
    }
    let (info, profile) = state.services.public_profile(&slug, &username).await?;
    Ok(page(views::public_profile_page(
        &v, &info.name, &slug, &profile,
    )))
}

fn answer(body: String, content_type: &'static str) -> PageResult {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

pub async fn news_atom(
    State(state): AppState_,
    v: Visitor,
    PagePath(slug): PagePath<String>,
) -> PageResult {
    let info = state.services.public_circle(&slug).await?;
    let posts = state.services.public_news(&info).await?;
    let title = v.tr.ta("public-news-feed-title", &[("circle", &info.name)]);
    let xml = feeds::news_feed(&state.config.public_url, &info, title, &posts);
    answer(xml, "application/atom+xml; charset=utf-8")
}

pub async fn listings_atom(
    State(state): AppState_,
    v: Visitor,
    PagePath(slug): PagePath<String>,
) -> PageResult {
    let info = state.services.public_circle(&slug).await?;
    let (events, listings) = state.services.public_listings(&info).await?;
    let all: Vec<_> = events.into_iter().chain(listings).collect();
    let title =
        v.tr.ta("public-listings-feed-title", &[("circle", &info.name)]);
    let xml = feeds::listings_feed(&state.config.public_url, &info, title, &all);
    answer(xml, "application/atom+xml; charset=utf-8")
}

pub async fn events_ics(State(state): AppState_, PagePath(slug): PagePath<String>) -> PageResult {
    let info = state.services.public_circle(&slug).await?;
    let text = state
        .services
        .public_calendar(&state.config.public_url, &info)
        .await?;
    let mut response = answer(text, "text/calendar; charset=utf-8")?;
    if let Ok(value) =
        HeaderValue::from_str(&format!("inline; filename=\"{slug}-public-events.ics\""))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

pub async fn editor(State(state): AppState_, v: Visitor, Steward(actor): Steward) -> PageResult {
    let (enabled, texts) = state.services.public_page_editor(&actor).await?;
    Ok(page(views::editor_page(
        &v,
        &nav_for(&actor, "steward"),
        enabled,
        &texts,
        &FormErrors::default(),
    )))
}

pub async fn editor_submit(
    State(state): AppState_,
    v: Visitor,
    Steward(actor): Steward,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> PageResult {
    let enabled = fields
        .iter()
        .any(|(name, value)| name == "enabled" && value == "on");
    let languages: Vec<&str> = LANGUAGES.iter().map(|(code, _)| *code).collect();
    match PublicPageCommand::parse(enabled, &fields, &languages) {
        Ok(command) => {
            state.services.save_public_page(&actor, &command).await?;
            let to = format!("/c/{}/steward/public", actor.circle.slug);
            Ok(flash_to(&state, &to, "flash-public-saved", &[]))
        }
        Err(problems) => {
            let errors = FormErrors(
                problems
                    .iter()
                    .map(|p| crate::views::FieldError {
                        field: p.field,
                        message: v.tr.t(p.message_id),
                    })
                    .collect(),
            );
            let (_, texts) = state.services.public_page_editor(&actor).await?;
            let markup =
                views::editor_page(&v, &nav_for(&actor, "steward"), enabled, &texts, &errors);
            Ok(page_with_status(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                markup,
            ))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ShareForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    item: i64,
    #[serde(default)]
    shared: String,
}

pub async fn share(
    State(state): AppState_,
    actor: Actor,
    PageForm(form): PageForm<ShareForm>,
) -> PageResult {
    let kind = Shared::parse(&form.kind).ok_or(AppError::BadRequest("error-bad-form"))?;
    let shared = match form.shared.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(AppError::BadRequest("error-bad-form")),
    };
    match state.services.share(&actor, kind, form.item, shared).await {
        Ok(()) => {}
        Err(ActionError::NotFound) => return Err(AppError::NotFound),
        Err(error) => return Err(error.into()),
    }
    let slug = &actor.circle.slug;
    let to = match kind {
        Shared::Listing => format!("/c/{slug}/market/{}", form.item),
        Shared::News => format!("/c/{slug}/news/{}", form.item),
    };
    let flash = if shared {
        "flash-public-shared"
    } else {
        "flash-public-unshared"
    };
    Ok(flash_to(&state, &to, flash, &[]))
}
