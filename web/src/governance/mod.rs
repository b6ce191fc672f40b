//! Decisions: proposals, their discussion, pauses and voting rounds, ballots (signed by the node
//! with a member's sealed key, or by the member), delegations, closing and enacting. `service`
//! holds what members can do (over `commons_governance`), `routes` the pages, `api` the JSON
//! API, `views` the markup.

pub mod api;
pub mod closing;
pub mod form;
pub mod link_form;
pub mod routes;
pub mod service;
pub mod titles;
pub mod views;
pub mod voting;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::http::api::{api_router, ApiRoute};
use crate::AppState;

pub use form::*;
pub use service::*;
pub use voting::*;

/// The feature's pages and API calls.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/c/{slug}/proposals", get(routes::list))
        .route(
            "/c/{slug}/proposals/new",
            get(routes::new_form).post(routes::new_submit),
        )
        .route("/c/{slug}/proposals/{number}", get(routes::show))
        .route(
            "/c/{slug}/proposals/{number}/edit",
            get(routes::edit_form).post(routes::edit_submit),
        )
        .route(
            "/c/{slug}/proposals/{number}/step/{name}",
            post(routes::step),
        )
        .route(
            "/c/{slug}/proposals/{number}/comments",
            post(routes::comment),
        )
        .route("/c/{slug}/proposals/{number}/pause", post(routes::pause))
        .route("/c/{slug}/proposals/{number}/resume", post(routes::resume))
        .route("/c/{slug}/proposals/{number}/ballot", post(routes::ballot))
        .route(
            "/c/{slug}/proposals/{number}/delegate",
            post(routes::delegate_for_proposal),
        )
        .route(
            "/c/{slug}/proposals/{number}/ballots.jsonl",
            get(routes::ballots_export),
        )
        .route(
            "/c/{slug}/delegation",
            get(routes::delegation).post(routes::delegation_submit),
        )
        .merge(api_router(api_routes()))
}

/// The decisions' JSON API: proposals, a ballot, and the signed ballots of a round.
pub fn api_routes() -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/api/v1/circles/{slug}/proposals", api::list),
        ApiRoute::get("/api/v1/circles/{slug}/proposals/{number}", api::show),
        ApiRoute::post(
            "/api/v1/circles/{slug}/proposals/{number}/ballot",
            api::ballot,
        ),
        ApiRoute::get(
            "/api/v1/circles/{slug}/proposals/{number}/ballots",
            api::ballots,
        ),
    ]
}
