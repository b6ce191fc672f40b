//! The home page. Who may see it: every active member of the circle (`Actor`); each sees the
//! circle's pulse without what they blocked or muted and without hidden items.

#![allow(clippy::result_large_err)]

use axum::extract::State;

use crate::home::views::home_page;
use crate::http::page::*;
use crate::http::session::Visitor;
use crate::ledger::routes::money_view;
use crate::services::Actor;

pub async fn circle_home(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    let pulse = state.services.pulse(&actor).await?;
    let money = money_view(&state, &actor).await?;
    let steps = state.services.home_first_steps(&actor).await?;
    Ok(page(home_page(
        &v,
        &nav_for(&actor, "home"),
        &pulse,
        &money,
        steps.as_ref(),
    )))
}
