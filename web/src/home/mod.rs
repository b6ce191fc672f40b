//! A circle's home: what is happening in the circle first (news, events soon, new offers and
//! needs, decisions, new members), and the member's money beside it.

pub mod routes;
pub mod service;
pub mod views;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;

use crate::AppState;

/// The feature's pages.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/c/{slug}", get(routes::circle_home))
}
