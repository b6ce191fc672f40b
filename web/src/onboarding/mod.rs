//! Onboarding: a newcomer lands on a welcome page (the circle's agreements in short, how mutual
//! credit works with their own numbers, a first-steps checklist) and the home keeps the steps
//! in view until they are taken; invitation links let in one person or several, for a chosen
//! number of days.

pub mod routes;
pub mod rules;
pub mod service;
pub mod views;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;

use crate::AppState;

/// The feature's pages.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/c/{slug}/welcome", get(routes::welcome))
}
