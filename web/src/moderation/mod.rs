//! Moderation and care: members report what harms them, moderators (the circle's stewards and
//! members a proposal appointed) work a queue ordered by priority and act with graduated,
//! reasoned actions; every action is signed into a log the whole circle reads and verifies
//! offline, and the member concerned is told why and may appeal to another moderator.

pub mod form;
pub mod log;
pub mod moderators;
pub mod parties;
pub mod repair;
pub mod repair_routes;
pub mod routes;
pub mod rules;
pub mod service;
pub mod signals;
pub mod target;
pub mod views;
pub mod vote;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The feature's pages.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/c/{slug}/report/{kind}/{id}",
            get(routes::report_form).post(routes::report),
        )
        .route("/c/{slug}/moderation", get(routes::moderation_home))
        .route(
            "/c/{slug}/moderation/export",
            get(routes::moderation_export),
        )
        .route(
            "/c/{slug}/moderation/actions/{seq}",
            get(routes::moderation_action),
        )
        .route(
            "/c/{slug}/moderation/actions/{seq}/appeal",
            post(routes::appeal),
        )
        .route("/c/{slug}/moderation/queue", get(routes::queue))
        .route("/c/{slug}/moderation/cases/{id}", get(routes::case))
        .route(
            "/c/{slug}/moderation/cases/{id}/assign",
            post(routes::assign),
        )
        .route("/c/{slug}/moderation/cases/{id}/note", post(routes::note))
        .route("/c/{slug}/moderation/cases/{id}/act", post(routes::act))
        .route("/c/{slug}/moderation/policy", post(routes::policy))
        .route(
            "/c/{slug}/moderation/cases/{id}/repair",
            post(repair_routes::open_repair),
        )
        .route("/c/{slug}/repairs/{id}", get(repair_routes::repair))
        .route("/c/{slug}/repairs/{id}/answer", post(repair_routes::answer))
        .route(
            "/c/{slug}/repairs/{id}/message",
            post(repair_routes::message),
        )
        .route(
            "/c/{slug}/repairs/{id}/agreement",
            post(repair_routes::agreement),
        )
        .route(
            "/c/{slug}/repairs/{id}/consent",
            post(repair_routes::consent),
        )
        .route("/c/{slug}/repairs/{id}/end", post(repair_routes::end))
}
