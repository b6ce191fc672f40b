//! Blocks and mutes: a member hides another from their market, matches, loops, events and
//! discussions (a mute), or keeps both apart (a block: no deal, no message, nothing seen either
//! way). Made from the other's page, undone there or in settings; nobody else ever sees them.

pub mod routes;
pub mod service;
pub mod views;

use std::sync::Arc;

use axum::routing::post;
use axum::Router;

use crate::AppState;

/// The feature's pages.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/c/{slug}/members/{username}/block",
            post(routes::block_member),
        )
        .route("/settings/blocks/remove", post(routes::unblock))
        .route(
            "/settings/blocks/remove-across",
            post(routes::unblock_across),
        )
}
