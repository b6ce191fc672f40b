//! A circle's money: the money on its home, payments and requests, the ledger, statements.

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

use crate::http::api::{api_router, ApiRoute};
use crate::AppState;

/// The feature's pages and API calls.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
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
        .route("/c/{slug}/ledger/verify", get(history::ledger_verify))
        .route("/c/{slug}/statement", get(history::statement))
        .route("/c/{slug}/statement.csv", get(history::statement_csv))
        .merge(api_router(api_routes()))
}

/// The ledger's JSON API: circles, members, entries (and signed ones), proofs, statements, requests and payments.
pub fn api_routes() -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/api/v1/circles", api::circles),
        ApiRoute::get("/api/v1/circles/{slug}", api::circle),
        ApiRoute::get("/api/v1/circles/{slug}/members", api::members),
        ApiRoute::get("/api/v1/circles/{slug}/entries", api::entries),
        ApiRoute::post("/api/v1/circles/{slug}/entries", signed::submit_signed),
        ApiRoute::post(
            "/api/v1/circles/{slug}/entries/batch",
            signed::submit_signed_batch,
        ),
        ApiRoute::get("/api/v1/circles/{slug}/entries/{seq}/proof", signed::proof),
        ApiRoute::get("/api/v1/circles/{slug}/statement", api::statement),
        ApiRoute::get("/api/v1/circles/{slug}/requests", api::requests),
        ApiRoute::post(
            "/api/v1/circles/{slug}/requests/{seq}/{answer}",
            api::answer_request,
        ),
        ApiRoute::post("/api/v1/circles/{slug}/payments", api::pay),
        ApiRoute::post(
            "/api/v1/circles/{slug}/payment-requests",
            api::request_payment,
        ),
    ]
}
