//! News and announcements: stewards (and members, if the circle allows) post news in Markdown,
//! pinned or not; members comment; an announcement notifies every member. Reports, blocks,
//! the sandbox and held posts cover posts and comments alike. Posts carry photos, each with its
//! description.

pub mod photos;
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
        .route("/c/{slug}/news", get(routes::news).post(routes::publish))
        .route("/c/{slug}/news/new", get(routes::new_news))
        .route("/c/{slug}/news/settings", post(routes::settings))
        .route("/c/{slug}/news/{id}", get(routes::post))
        .route(
            "/c/{slug}/news/{id}/edit",
            get(routes::edit_form).post(routes::edit),
        )
        .route("/c/{slug}/news/{id}/comments", post(routes::comment))
        .route("/c/{slug}/news/{id}/pin", post(routes::pin))
        .route("/c/{slug}/news/{id}/withdraw", post(routes::withdraw))
        .route(
            "/c/{slug}/news/{id}/photos",
            post(routes::photo_upload).layer(DefaultBodyLimit::max(
                crate::people::routes::PHOTO_UPLOAD_BYTES_MAX,
            )),
        )
        .route(
            "/c/{slug}/news/{id}/photos/{photo}/delete",
            post(routes::photo_delete),
        )
        .route(
            "/c/{slug}/news/{id}/photos/{photo}/{size}",
            get(routes::photo_file),
        )
}
