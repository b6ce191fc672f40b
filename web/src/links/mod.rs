//! Linked circles: the circles a circle trades with (on this node, for now), their terms as
//! the ledger keeps them, and payments across (through `commons_ledger::store::exchange`).
//! `service` holds what members and proposals need; the pay page and the proposal form use it.

pub mod api;
pub mod blocks;
pub mod cc;
pub mod deal_receive;
pub mod deal_routes;
pub mod deal_views;
pub mod deal_wire;
pub mod deals;
pub mod federation;
pub mod market;
pub mod market_routes;
pub mod market_views;
pub mod member_api;
pub mod onward;
pub mod pay;
pub mod peers;
pub mod request_routes;
pub mod requests;
pub mod routes;
pub mod service;
pub mod views;

pub use pay::*;
pub use service::*;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The feature's pages.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/c/{slug}/pay/across",
            get(routes::form).post(routes::submit),
        )
        .route(
            "/c/{slug}/request/across",
            get(request_routes::form).post(request_routes::submit),
        )
        .route(
            "/c/{slug}/requests/across/{id}/{answer}",
            post(request_routes::answer),
        )
        .route("/c/{slug}/market/across", get(market_routes::browse))
        .route(
            "/c/{slug}/market/across/{circle}/{id}/deal",
            post(deal_routes::open),
        )
        .route("/c/{slug}/deals/across/{id}", get(deal_routes::show))
        .route(
            "/c/{slug}/deals/across/{id}/{step}",
            post(deal_routes::step),
        )
        .route(
            "/c/{slug}/market/across/{circle}/{id}",
            get(market_routes::show),
        )
        .route("/api/federation/circles/{slug}", get(api::descriptor))
        .route("/api/federation/circles/{slug}/payee", post(api::payee))
        .route(
            "/api/federation/circles/{slug}/requests",
            post(api::request),
        )
        .route("/api/federation/circles/{slug}/market", post(api::market))
        .route("/api/federation/circles/{slug}/deals", post(api::deal))
        .route("/api/federation/circles/{slug}/routes", post(api::routes))
        .route(
            "/api/federation/circles/{slug}/payee-onward",
            post(api::payee_onward),
        )
        .route("/api/federation/transaction/relay", post(api::relay))
        .merge(cc::router())
        .merge(crate::http::api::api_router(api_routes()))
}

/// The member's API calls (in the API document).
pub fn api_routes() -> Vec<crate::http::api::ApiRoute> {
    use crate::http::api::ApiRoute;
    vec![
        ApiRoute::get("/api/v1/circles/{slug}/links", member_api::links),
        ApiRoute::post(
            "/api/v1/circles/{slug}/payments/across",
            member_api::pay_across,
        ),
    ]
}

/// Where other nodes call this one: no session, no CSRF (each message proves itself).
pub const FEDERATION_PREFIX: &str = "/api/federation/";
