//! The market: offers, needs and events (listings with photos and RSVPs), their matches, and
//! deals between two members ending in a ledger payment. `service` holds what members can do
//! (over `commons_market`'s store, index and matching), `routes` the pages, `api` the JSON API,
//! `views` the markup.

pub mod api;
pub mod api_types;
pub mod deals;
pub mod events;
pub mod routes;
pub mod service;
pub mod views;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::http::api::{api_router, ApiRoute};
use crate::AppState;

pub use deals::*;
pub use service::*;

/// The feature's pages and API calls.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/c/{slug}/market", get(routes::browse))
        .route(
            "/c/{slug}/market/new",
            get(routes::new_form).post(routes::new_submit),
        )
        .route("/c/{slug}/market/mine", get(routes::mine))
        .route("/c/{slug}/market/matches", get(routes::matches))
        .route("/c/{slug}/market/{id}", get(routes::show))
        .route(
            "/c/{slug}/market/{id}/edit",
            get(routes::edit_form).post(routes::edit_submit),
        )
        .route("/c/{slug}/market/{id}/status", post(routes::set_status))
        .route("/c/{slug}/market/{id}/rsvp", post(routes::rsvp))
        .route("/c/{slug}/market/{id}/event.ics", get(routes::event_ics))
        .route("/c/{slug}/market/{id}/deals", post(routes::deal_open))
        .route(
            "/c/{slug}/market/{id}/photos",
            post(routes::photo_upload).layer(DefaultBodyLimit::max(routes::PHOTO_UPLOAD_BYTES_MAX)),
        )
        .route(
            "/c/{slug}/market/{id}/photos/{photo}/delete",
            post(routes::photo_delete),
        )
        .route(
            "/c/{slug}/market/{id}/photos/{photo}/{size}",
            get(routes::photo_file),
        )
        .route("/c/{slug}/events", get(routes::events))
        .route("/c/{slug}/events.ics", get(routes::events_ics))
        .route("/c/{slug}/deals", get(routes::deals))
        .route("/c/{slug}/deals/{id}", get(routes::deal_show))
        .route("/c/{slug}/deals/{id}/{action}", post(routes::deal_action))
        .route(
            "/c/{slug}/steward/categories",
            get(routes::categories).post(routes::categories_submit),
        )
        .merge(api_router(api_routes()))
}

/// The market's JSON API: listings, their matches, and deals.
pub fn api_routes() -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/api/v1/circles/{slug}/listings", api::listings),
        ApiRoute::post("/api/v1/circles/{slug}/listings", api::create_listing),
        ApiRoute::get("/api/v1/circles/{slug}/listings/{id}", api::listing),
        ApiRoute::get("/api/v1/circles/{slug}/listings/{id}/matches", api::matches),
        ApiRoute::post("/api/v1/circles/{slug}/listings/{id}/deals", api::open_deal),
        ApiRoute::get("/api/v1/circles/{slug}/deals", api::deals),
        ApiRoute::get("/api/v1/circles/{slug}/deals/{id}", api::deal),
        ApiRoute::post(
            "/api/v1/circles/{slug}/deals/{id}/{action}",
            api::deal_action,
        ),
    ]
}
