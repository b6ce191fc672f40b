//! The person's data page. Who may do what: only the logged-in person, for themselves —
//! taking their data out, asking for (or calling off) their account's erasure, and leaving a
//! circle they belong to (`Actor`). A login a circle's stewards recovered may do none of these
//! until the person takes the account back.

#![allow(clippy::result_large_err)]

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::capability::FullAccount;
use crate::http::error::AppError;
use crate::http::extract::PageForm;
use crate::http::page::*;
use crate::http::session::Visitor;
use crate::services::Actor;
use crate::views::FormErrors;

async fn data_markup(
    state: &crate::AppState,
    v: &Visitor,
    errors: &FormErrors,
) -> Result<maud::Markup, AppError> {
    let user = user_of(v)?;
    let circles: Vec<(String, String)> = state
        .services
        .my_circles(user)
        .await?
        .into_iter()
        .map(|c| (c.slug, c.name))
        .collect();
    // A login a recovery link gave learns nothing of the person's other circles here.
    // Nor whom the person blocked or muted.
    let (erasure, blocks, blocks_across) = match FullAccount::of(user) {
        Ok(account) => (
            state.services.erasure_view(&account).await?,
            state.services.my_blocks(&account).await?,
            state.services.my_link_blocks(&account).await?,
        ),
        Err(_) => Default::default(),
    };
    Ok(crate::privacy::views::data_page(
        v,
        &circles,
        (&blocks, &blocks_across),
        &erasure,
        errors,
    ))
}

pub async fn data(State(state): AppState_, v: Visitor) -> PageResult {
    Ok(page(data_markup(&state, &v, &FormErrors::default()).await?))
}

pub async fn takeout(State(state): AppState_, account: FullAccount) -> PageResult {
    let user = account.user();
    let archive = state.services.takeout(&account).await?;
    let bytes = archive
        .zip()
        .map_err(|error| AppError::Internal(format!("writing a takeout: {error}")))?;
    // A file name without spaces or words of any language: commons-ben-2026-12-07.zip.
    let day = crate::views::ago::machine_time(state.services.now_ms());
    let name = format!(
        "attachment; filename=\"commons-{}-{}.zip\"",
        user.username,
        day.get(..10).unwrap_or("takeout")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    password: String,
}

pub async fn erase(
    State(state): AppState_,
    v: Visitor,
    account: FullAccount,
    PageForm(form): PageForm<EraseForm>,
) -> PageResult {
    match state
        .services
        .request_erasure(&account, &form.password, v.address)
        .await
    {
        Ok(()) => Ok(flash_to(
            &state,
            "/settings/data#erase-title",
            "flash-erasure-asked",
            &[],
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "password")?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                data_markup(&state, &v, &errors).await?,
            ))
        }
    }
}

pub async fn cancel_erasure(State(state): AppState_, account: FullAccount) -> PageResult {
    state.services.cancel_erasure(&account).await?;
    Ok(flash_to(
        &state,
        "/settings/data#erase-title",
        "flash-erasure-cancelled",
        &[],
    ))
}

pub async fn leave(State(state): AppState_, actor: Actor, account: FullAccount) -> PageResult {
    state.services.leave_circle(&actor, &account).await?;
    Ok(flash_to(
        &state,
        "/circles",
        "flash-left",
        &[("circle", &actor.circle.name)],
    ))
}
