//! The notifications page, marking them read, and which kinds a member wants.

#![allow(clippy::result_large_err)]

use axum::extract::State;

use crate::capability::FullAccount;
use crate::http::extract::PageForm;
use crate::http::page::{page, user_of, AppState_, PageResult};
use crate::http::session::Visitor;
use crate::notifications::wanted_kinds;

use crate::http::page::*;

/// The page shows what is new, then counts it as seen: the badge clears once the person has
/// looked (a recovered login never clears the owner's notices, the recovery notice among them).
pub async fn notifications(State(state): AppState_, v: Visitor) -> PageResult {
    let user = user_of(&v)?;
    let groups = state.services.notification_groups(user).await?;
    let muted = state.services.muted_kinds(user).await?;
    let markup = crate::notifications::views::notifications_page(&v, &groups, &muted);
    let newest = groups.iter().map(|group| group.card.notification.id).max();
    if let (Some(newest), true) = (newest, groups.iter().any(|group| group.unread)) {
        if let Ok(account) = FullAccount::of(user) {
            state.services.mark_seen(&account, newest).await?;
        }
    }
    Ok(page(markup))
}

/// Marking every notification read needs the whole account: a recovered login must not
/// silence the notices of its own use (the recovery notice is one).
pub async fn notifications_read(State(state): AppState_, account: FullAccount) -> PageResult {
    let user = account.user();
    state.services.mark_all_read(user).await?;
    Ok(flash_to(
        &state,
        "/notifications",
        "flash-notifications-read",
        &[],
    ))
}

pub async fn notification_settings(
    State(state): AppState_,
    account: FullAccount,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> PageResult {
    let kinds: Vec<String> = fields
        .into_iter()
        .filter(|(name, _)| name == "kind")
        .map(|(_, value)| value)
        .collect();
    state
        .services
        .set_wanted_kinds(&account, &wanted_kinds(&kinds))
        .await?;
    Ok(flash_to(
        &state,
        "/notifications",
        "flash-settings-saved",
        &[],
    ))
}
