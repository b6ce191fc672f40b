//! Public pages, opt-in per circle: the circle's page (about, values, ways of working,
//! collaborations, how to get involved — written by its stewards in Markdown, per language —
//! and the news, offers, needs and events their authors chose to share), a public profile for
//! members who chose one, Atom feeds and an iCalendar feed, and the node's list of public
//! circles on its front page.

pub mod feeds;
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
        .route("/p/{slug}", get(routes::circle_page))
        .route("/p/{slug}/news.atom", get(routes::news_atom))
        .route("/p/{slug}/listings.atom", get(routes::listings_atom))
        .route("/p/{slug}/events.ics", get(routes::events_ics))
        .route("/p/{slug}/news/{id}", get(routes::news_post))
        .route(
            "/p/{slug}/news/{id}/photos/{photo}",
            get(routes::news_photo),
        )
        .route("/p/{slug}/listings/{id}", get(routes::listing))
        .route("/p/{slug}/people/{username}", get(routes::person))
        .route(
            "/c/{slug}/steward/public",
            get(routes::editor).post(routes::editor_submit),
        )
        .route("/c/{slug}/public/share", post(routes::share))
}
