//! Private conversations: a member talks with one member or a few (up to 8 people in all) of
//! their circle, started from a profile, a listing or the messages page. They obey the reach
//! rule (blocks, mutes, suspensions), the sandbox (new members answer but start none in their
//! first week) and per-person limits; they can be reported with the messages the reporter
//! chooses; they are in the takeout and go with erasure; nobody else reads them, stewards and
//! moderators included.

pub mod routes;
pub mod rules;
pub mod service;
pub mod views;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The feature's pages.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/c/{slug}/messages", get(routes::list).post(routes::start))
        .route("/c/{slug}/messages/new", get(routes::new_form))
        .route(
            "/c/{slug}/messages/{id}",
            get(routes::show).post(routes::reply),
        )
        .route("/c/{slug}/messages/{id}/mute", post(routes::mute))
        .route("/c/{slug}/messages/{id}/leave", post(routes::leave))
        .route(
            "/c/{slug}/messages/{id}/report",
            get(routes::report_form).post(routes::report),
        )
}
