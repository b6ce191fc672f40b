//! A circle's money: its home, payments and requests, the ledger, statements, members.

pub mod api;
pub mod form;
pub mod history;
pub mod read;
pub mod routes;
pub mod service;
pub mod signed;
pub mod views;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The feature's pages and API calls.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/c/{slug}", get(routes::circle_home))
        .route(
            "/c/{slug}/pay",
            get(routes::pay_form).post(routes::pay_submit),
        )
        .route(
            "/c/{slug}/request",
            get(routes::request_form).post(routes::request_submit),
        )
        .route(
            "/c/{slug}/requests/{seq}/accept",
            post(routes::accept_request),
        )
        .route(
            "/c/{slug}/requests/{seq}/decline",
            post(routes::decline_request),
        )
        .route("/c/{slug}/ledger", get(history::ledger))
        .route("/c/{slug}/statement", get(history::statement))
        .route("/c/{slug}/statement.csv", get(history::statement_csv))
        .route("/c/{slug}/members", get(routes::members))
        .route("/c/{slug}/members/{username}", get(routes::member))
        .route("/api/v1/circles", get(api::circles))
        .route("/api/v1/circles/{slug}", get(api::circle))
        .route("/api/v1/circles/{slug}/members", get(api::members))
        .route(
            "/api/v1/circles/{slug}/entries",
            get(api::entries).post(signed::submit_signed),
        )
        .route(
            "/api/v1/circles/{slug}/entries/batch",
            post(signed::submit_signed_batch),
        )
        .route(
            "/api/v1/circles/{slug}/entries/{seq}/proof",
            get(signed::proof),
        )
        .route("/api/v1/circles/{slug}/statement", get(api::statement))
        .route("/api/v1/circles/{slug}/requests", get(api::requests))
        .route(
            "/api/v1/circles/{slug}/requests/{seq}/{answer}",
            post(api::answer_request),
        )
        .route("/api/v1/circles/{slug}/payments", post(api::pay))
        .route(
            "/api/v1/circles/{slug}/payment-requests",
            post(api::request_payment),
        )
}
