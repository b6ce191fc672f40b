//! The home page. Who may see it: every active member of the circle (`Actor`); each sees the
//! circle's pulse without what they blocked or muted and without hidden items.

#![allow(clippy::result_large_err)]

use axum::extract::State;

use std::sync::Arc;

use crate::home::views::{circle_sections, home_page};
use crate::http::page::*;
use crate::http::session::Visitor;
use crate::ledger::routes::money_view;
use crate::services::Actor;
use crate::HomeViewKey;

pub async fn circle_home(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    let pulse = state.services.pulse(&actor).await?;
    // The circle's sections are the same for every reader who sees the same items in the same
    // language: rendered once, remembered under the versions they were read at.
    let key = HomeViewKey {
        digest: pulse.digest(),
        language: v.tr.lang().to_owned(),
    };
    let sections = state
        .views
        .home
        .get_or_read_versioned(key, || async {
            Ok::<_, std::convert::Infallible>(Arc::new(circle_sections(
                &v.tr,
                &actor.circle.slug,
                &pulse,
            )))
        })
        .await
        .unwrap_or_else(|never| match never {});
    let money = money_view(&state, &actor).await?;
    let steps = state.services.home_first_steps(&actor, &pulse).await?;
    let waiting = state.services.waiting_for_you(&actor).await?;
    Ok(page(home_page(
        &v,
        &nav_for(&actor, "home"),
        pulse.may_post_news,
        &sections,
        &money,
        steps.as_ref(),
        waiting,
    )))
}
