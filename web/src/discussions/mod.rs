//! Discussions: threads for ideas and questions in categories stewards edit, with replies,
//! "seen by", following and muting, and a one-click "turn this into a proposal". Every circle
//! starts with an "Introductions" thread. Reports, blocks, the sandbox and held posts cover
//! threads and replies alike.

pub mod edits;
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
        .route(
            "/c/{slug}/discussions",
            get(routes::list).post(routes::start),
        )
        .route("/c/{slug}/discussions/new", get(routes::new_form))
        .route(
            "/c/{slug}/discussions/categories",
            get(routes::categories).post(routes::add_category),
        )
        .route(
            "/c/{slug}/discussions/categories/{id}",
            post(routes::update_category),
        )
        .route(
            "/c/{slug}/discussions/categories/{id}/remove",
            post(routes::remove_category),
        )
        .route("/c/{slug}/discussions/{id}", get(routes::show))
        .route(
            "/c/{slug}/discussions/{id}/edit",
            get(routes::edit_form).post(routes::edit),
        )
        .route("/c/{slug}/discussions/{id}/replies", post(routes::reply))
        .route(
            "/c/{slug}/discussions/{id}/replies/{reply}/edit",
            get(routes::edit_reply_form).post(routes::edit_reply),
        )
        .route("/c/{slug}/discussions/{id}/follow", post(routes::follow))
        .route("/c/{slug}/discussions/{id}/pin", post(routes::pin))
        .route(
            "/c/{slug}/discussions/{id}/withdraw",
            post(routes::withdraw),
        )
        .route(
            "/c/{slug}/discussions/{id}/proposal",
            post(routes::to_proposal),
        )
}
