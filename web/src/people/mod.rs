//! People: every member's profile (a photo or a generated avatar, their words, skills and
//! interests, what to ask them about, their offers, needs and thank-yous), the directory
//! searchable by name or skill, and the members whose skills answer a need. Profiles are for
//! the circle's members only.

pub mod routes;
pub mod rules;
pub mod service;
pub mod views;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The feature's pages.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/c/{slug}/members", get(routes::members))
        .route("/c/{slug}/members/{username}", get(routes::member))
        .route(
            "/c/{slug}/members/{username}/photo/{size}",
            get(routes::member_photo),
        )
        .route("/settings/photo/{size}", get(routes::my_photo))
        .route(
            "/settings/photo",
            post(routes::photo_upload).layer(DefaultBodyLimit::max(routes::PHOTO_UPLOAD_BYTES_MAX)),
        )
        .route("/settings/photo/remove", post(routes::photo_remove))
}
