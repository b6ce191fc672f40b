//! The notifications page, marking them read, and which kinds a member wants.

#![allow(clippy::result_large_err)]

use axum::extract::State;
use commons_ledger::store::now_ms;

use crate::http::extract::PageForm;
use crate::http::page::{page, user_of, AppState_, PageResult};
use crate::http::session::Visitor;
use crate::notifications::wanted_kinds;
use crate::services::ActionError;

use crate::http::page::*;

pub async fn notifications(State(state): AppState_, v: Visitor) -> PageResult {
    let user = user_of(&v)?;
    let cards = state.services.notification_cards(user).await?;
    let muted = state
        .services
        .market
        .mutes(user.id)
        .await
        .map_err(ActionError::from)?;
    Ok(page(crate::notifications::views::notifications_page(
        &v, &cards, &muted,
    )))
}

pub async fn notifications_read(State(state): AppState_, v: Visitor) -> PageResult {
    let user = user_of(&v)?;
    state
        .services
        .market
        .mark_read(user.id, now_ms())
        .await
        .map_err(ActionError::from)?;
    Ok(flash_to(
        &state,
        "/notifications",
        "flash-notifications-read",
        &[],
    ))
}

pub async fn notification_settings(
    State(state): AppState_,
    v: Visitor,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> PageResult {
    let user = user_of(&v)?;
    let kinds: Vec<String> = fields
        .into_iter()
        .filter(|(name, _)| name == "kind")
        .map(|(_, value)| value)
        .collect();
    state
        .services
        .market
        .set_wanted(user.id, &wanted_kinds(&kinds))
        .await
        .map_err(ActionError::from)?;
    Ok(flash_to(
        &state,
        "/notifications",
        "flash-settings-saved",
        &[],
    ))
}
