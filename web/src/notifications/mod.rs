//! A member's notifications (of deals, matches, events, proposals, recoveries): the page, the
//! unread count, and which kinds they want.

pub mod group;
pub mod kind;
pub mod routes;
pub mod service;
pub mod views;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub use kind::*;
pub use service::*;

/// The feature's pages and API calls.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/notifications", get(routes::notifications))
        .route("/notifications/read", post(routes::notifications_read))
        .route(
            "/settings/notifications",
            post(routes::notification_settings),
        )
}
