//! The pages of deals across a link. Who may: opening, a member of the circle (the `Actor`
//! extractor) on a listing a linked circle shares with them; seeing and acting on a deal, only
//! the member whose side it is (`Services::deal_across`: anyone else's is 404), each step as
//! the deal's rules allow it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use commons_ledger::keys::Hash;
use serde::Deserialize;

use crate::http::extract::{PageForm, PagePath};
use crate::http::page::*;
use crate::http::session::Visitor;
use crate::links::deal_views::{deal_across_page, DealAcrossPage};
use crate::links::deals::DealStep;
use crate::services::{ActionError, Actor};
use crate::views::FormErrors;

#[derive(Debug, Default, Deserialize)]
pub struct DealAcrossForm {
    #[serde(default)]
    message: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    gift: Option<String>,
    #[serde(default)]
    unlock_password: String,
    /// The deal's version the member saw (steps only act on what was shown).
    #[serde(default)]
    version: Option<i64>,
}

/// "I can help" / "I'm interested" on a listing of a linked circle.
pub async fn open(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, circle, id)): PagePath<(String, String, i64)>,
    PageForm(form): PageForm<DealAcrossForm>,
) -> PageResult {
    let circle = Hash::from_hex(&circle).map_err(|_| ActionError::NotFound)?;
    match state
        .services
        .open_deal_across(&actor, &circle, id, &form.message)
        .await
    {
        Ok(deal) => Ok(Redirect::to(&format!("/c/{slug}/deals/across/{deal}")).into_response()),
        Err(ActionError::NotFound) => Err(ActionError::NotFound.into()),
        Err(error) => {
            let listing = state.services.listing_across(&actor, &circle, id).await?;
            let my_deal = state
                .services
                .open_deal_across_on(&actor, &circle, id)
                .await?;
            let errors = form_errors(&v, error, "message")?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                crate::links::market_views::listing_across_page(
                    &v,
                    &nav_for(&actor, "market"),
                    &unit_of(&actor.circle),
                    &listing,
                    my_deal,
                    &errors,
                ),
            ))
        }
    }
}

async fn markup(
    state: &crate::AppState,
    v: &Visitor,
    actor: &Actor,
    id: i64,
    errors: &FormErrors,
) -> Result<maud::Markup, crate::http::error::AppError> {
    let across = state.services.link_deal_of(actor, id).await?;
    Ok(deal_across_page(
        v,
        &nav_for(actor, "market"),
        &DealAcrossPage {
            across: &across,
            me: actor.user.id,
            my_name: &actor.user.display_name,
            unit: &unit_of(&actor.circle),
            locked: is_locked(state, v),
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
        markup(&state, &v, &actor, id, &FormErrors::default()).await?,
    ))
}

/// `message`, `terms`, `agree`, `cancel`, `complete` or `block` (the other member).
pub async fn step(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id, step)): PagePath<(String, i64, String)>,
    PageForm(form): PageForm<DealAcrossForm>,
) -> PageResult {
    let services = &state.services;
    let (result, flash, field) = match step.as_str() {
        "message" => (
            services
                .message_deal_across(&actor, id, &form.message)
                .await,
            None,
            "message",
        ),
        "terms" => {
            let result = async {
                let terms = services
                    .terms_across(
                        &actor,
                        id,
                        &form.description,
                        &form.amount,
                        form.gift.is_some(),
                    )
                    .await?;
                services.step_deal_across(&actor, id, terms, None).await
            }
            .await;
            (
                result.map(|_| ()),
                Some("flash-terms-proposed"),
                "description",
            )
        }
        "agree" | "cancel" => {
            let (step, flash) = if step == "agree" {
                (DealStep::Agree, "flash-terms-agreed")
            } else {
                (DealStep::Cancel, "flash-deal-cancelled")
            };
            let result = services
                .step_deal_across(&actor, id, step, form.version)
                .await;
            (result.map(|_| ()), Some(flash), "deal")
        }
        "complete" => {
            let result = match unlock_if_given(&state, &v, &form.unlock_password).await {
                Ok(()) => services
                    .complete_deal_across(&actor, id, form.version)
                    .await
                    .map(|_| ()),
                Err(error) => Err(error),
            };
            (result, Some("flash-deal-completed"), "deal")
        }
        "block" => (
            services.block_across(&actor, id).await.map(|_| ()),
            Some("flash-blocked"),
            "deal",
        ),
        _ => return Err(ActionError::NotFound.into()),
    };
    let to = format!("/c/{slug}/deals/across/{id}");
    match result {
        Ok(()) => Ok(match flash {
            Some(flash) => flash_to(&state, &to, flash, &[]),
            None => Redirect::to(&format!("{to}#talk-title")).into_response(),
        }),
        Err(error) => {
            let errors = form_errors(&v, error, field)?;
            let markup = markup(&state, &v, &actor, id, &errors).await?;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, markup))
        }
    }
}
