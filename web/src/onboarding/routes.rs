//! The welcome page. Who may see it: every active member of the circle (`Actor`), about
//! themselves only.

#![allow(clippy::result_large_err)]

use axum::extract::State;

use crate::http::page::*;
use crate::http::session::Visitor;
use crate::onboarding::views::welcome_page;
use crate::services::Actor;

pub async fn welcome(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    let welcome = state.services.welcome(&actor).await?;
    Ok(page(welcome_page(
        &v,
        &nav_for(&actor, "home"),
        &unit_of(&actor.circle),
        &welcome,
    )))
}
