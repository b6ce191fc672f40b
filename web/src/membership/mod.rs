//! Becoming a member of a circle: invitations, asking to join, admission.

pub mod routes;
pub mod sandbox;
pub mod service;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The feature's pages and API calls.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/join/{link}",
            get(routes::join_form).post(routes::join_submit),
        )
        .route(
            "/ask/{slug}",
            get(routes::ask_form).post(routes::ask_submit),
        )
        .route("/pending/{slug}", get(routes::pending))
        .route(
            "/c/{slug}/invitations",
            get(routes::invitations).post(routes::invite),
        )
        .route(
            "/c/{slug}/invitations/{id}/revoke",
            post(routes::revoke_invitation),
        )
}
