//! People pages. Who may do what: every active member (`Actor`) reads the circle's directory,
//! its members' profiles and their photos (never across a block, never a profile a moderator
//! hid); a logged-in person sets or removes their own photo, and nobody else's.
//! Uploads carry a single-use token bound to the session, in place of the CSRF field.

#![allow(clippy::result_large_err)]

use axum::extract::{Multipart, State};
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::capability::FullAccount;
use crate::http::error::AppError;
use crate::http::extract::{PagePath, PageQuery};
use crate::http::page::*;
use crate::http::session::{redirect_with_flash, Flash, Visitor};
use crate::people::views::{member_page, members_page, ProfilePage};
use crate::services::Actor;

/// The largest photo upload accepted (the photo module refuses larger files with a sentence).
pub const PHOTO_UPLOAD_BYTES_MAX: usize = commons_market::photo::PHOTO_BYTES_MAX + 64 * 1024;

#[derive(Debug, Default, Deserialize)]
pub struct DirectoryQuery {
    #[serde(default)]
    q: String,
    skill: Option<String>,
}

pub async fn members(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(query): PageQuery<DirectoryQuery>,
) -> PageResult {
    let skill = query
        .skill
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let entries = state
        .services
        .people_directory(&actor, &query.q, skill)
        .await?;
    Ok(page(members_page(
        &v,
        &nav_for(&actor, "members"),
        &entries,
        query.q.trim(),
        skill,
    )))
}

pub async fn member(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, username)): PagePath<(String, String)>,
) -> PageResult {
    let services = &state.services;
    let found = services.active_member(&actor, &username).await?;
    let card = &found.card;
    let is_me = card.user_id == actor.user.id;
    let extras = services.profile_extras(&actor, card.user_id).await?;
    let listings = services.listings_by(&actor, card.user_id).await?;
    let thanks = services.thanks_to(&actor, card.user_id).await?;
    let completed = services.completed_deals(&actor, card.user_id).await?.len();
    let authors: Vec<i64> = thanks.iter().map(|t| t.author).collect();
    let people = services.people_by_id(&actor, &authors).await?;
    let names = |id: i64| {
        people
            .get(&id)
            .map_or_else(|| v.tr.t("member-former"), |p| p.display_name.clone())
    };
    let market = crate::market::views::member_market(
        &v,
        &actor.circle.slug,
        &listings,
        &thanks,
        completed,
        &names,
        &unit_of(&actor.circle),
    );
    let boundaries = if is_me {
        None
    } else {
        let current = services.my_block_of(&actor, card.user_id).await?;
        Some(crate::blocks::views::block_controls(
            &v,
            &actor.circle.slug,
            &card.username,
            &card.display_name,
            current,
        ))
    };
    let profile = ProfilePage {
        username: &card.username,
        display_name: &card.display_name,
        bio: &card.bio,
        is_steward: found.is_steward,
        extras: &extras,
        joined_ms: card.created_at_ms,
        vouched_by: card.vouched_by_name.as_deref(),
        is_me,
    };
    Ok(page(member_page(
        &v,
        &nav_for(&actor, "members"),
        &profile,
        market,
        boundaries,
    )))
}

/// The JPEG answer for a photo: private to the circle's members, revalidated after a day (a
/// person may change their photo under the same address).
pub(crate) fn jpeg(bytes: Vec<u8>) -> axum::response::Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    response
}

pub(crate) fn thumb_of(size: &str) -> Result<bool, AppError> {
    match size {
        "thumb.jpg" => Ok(true),
        "full.jpg" => Ok(false),
        _ => Err(AppError::NotFound),
    }
}

pub async fn member_photo(
    State(state): AppState_,
    actor: Actor,
    PagePath((_, username, size)): PagePath<(String, String, String)>,
) -> PageResult {
    let thumb = thumb_of(&size)?;
    let bytes = state
        .services
        .member_photo(&actor, &username, thumb)
        .await?;
    Ok(jpeg(bytes))
}

pub async fn my_photo(
    State(state): AppState_,
    v: Visitor,
    PagePath(size): PagePath<String>,
) -> PageResult {
    let user = user_of(&v)?;
    let thumb = thumb_of(&size)?;
    let bytes = state.services.own_photo(user, thumb).await?;
    Ok(jpeg(bytes))
}

pub async fn photo_upload(
    State(state): AppState_,
    v: Visitor,
    account: FullAccount,
    multipart: Multipart,
) -> PageResult {
    let user = account.user().clone();
    let (bytes, alt) = crate::http::upload::photo_form(multipart).await?;
    let result = match bytes {
        Some(bytes) => state.services.set_profile_photo(&user, &alt, &bytes).await,
        None => Err(crate::services::invalid("photo", "photo-error-missing")),
    };
    match result {
        Ok(()) => Ok(redirect_with_flash(
            "/settings#photo-title",
            Flash::new("flash-profile-photo-saved", &[]),
            state.config.cookies_secure,
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "photo")?;
            Ok(
                crate::account::settings::settings_with_photo_errors(&state, &v, &user, errors)
                    .await?,
            )
        }
    }
}

pub async fn photo_remove(State(state): AppState_, account: FullAccount) -> PageResult {
    let user = account.user();
    state.services.remove_profile_photo(user).await?;
    Ok(redirect_with_flash(
        "/settings#photo-title",
        Flash::new("flash-profile-photo-removed", &[]),
        state.config.cookies_secure,
    ))
}
