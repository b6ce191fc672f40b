//! The market across a link's pages. Who may: a member of the circle (the `Actor`
//! extractor); what they see is what the linked circles share with their circle
//! (`Services::listings_across`: nothing from a circle that does not share, nothing hidden
//! there, nobody across a block); anyone else gets 404.

use axum::extract::State;
use commons_ledger::keys::Hash;
use commons_market::listing::Side;

use crate::http::extract::{PagePath, PageQuery};
use crate::http::page::*;
use crate::http::session::Visitor;
use crate::links::market::AcrossQuery;
use crate::links::market_views::{across_page, listing_across_page, AcrossPage};
use crate::services::{ActionError, Actor};

/// What the across page was asked for.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AcrossForm {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub side: String,
}

pub async fn browse(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(form): PageQuery<AcrossForm>,
) -> PageResult {
    let services = &state.services;
    let circles: Vec<String> = services
        .shared_market_circles(&actor)
        .await?
        .into_iter()
        .map(|linked| linked.partner.name)
        .collect();
    let query = AcrossQuery {
        text: form.q.trim().to_owned(),
        side: Side::parse(&form.side).ok(),
        id: None,
    };
    let (listings, unreachable) = if circles.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        services.listings_across(&actor, &query).await?
    };
    Ok(page(across_page(
        &v,
        &nav_for(&actor, "market"),
        &AcrossPage {
            q: &form.q,
            listings: &listings,
            unreachable: &unreachable,
            circles: &circles,
            unit: &unit_of(&actor.circle),
        },
    )))
}

pub async fn show(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, circle, id)): PagePath<(String, String, i64)>,
) -> PageResult {
    let circle = Hash::from_hex(&circle).map_err(|_| ActionError::NotFound)?;
    let listing = state.services.listing_across(&actor, &circle, id).await?;
    let my_deal = state
        .services
        .open_deal_across_on(&actor, &circle, id)
        .await?;
    Ok(page(listing_across_page(
        &v,
        &nav_for(&actor, "market"),
        &unit_of(&actor.circle),
        &listing,
        my_deal,
        &crate::views::FormErrors::default(),
    )))
}
