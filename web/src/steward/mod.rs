//! What a circle's stewards do: accounts and limits, admission, settings, audit, recovery.

pub mod form;
pub mod routes;
pub mod service;
pub mod views;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The feature's pages and API calls.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/c/{slug}/steward", get(routes::steward))
        .route("/c/{slug}/steward/limits", post(routes::steward_limits))
        .route(
            "/c/{slug}/steward/pending/decline",
            post(routes::steward_decline_many),
        )
        .route(
            "/c/{slug}/steward/pending/{user}/{decision}",
            post(routes::steward_decide),
        )
        .route(
            "/c/{slug}/steward/settings",
            get(routes::circle_settings).post(routes::circle_settings_submit),
        )
        .route(
            "/c/{slug}/steward/audit",
            get(routes::audit).post(routes::run_audit),
        )
        .route("/c/{slug}/steward/recovery", post(routes::steward_recovery))
}
