//! Links with Credit Commons nodes (cc-node, Komunitin's accounting service), taken on their
//! word: `wire` reads and writes the protocol's shapes (pure), `receive` answers the partner's
//! calls, `send` relays a member's payment to it, `api` is the edge. The ledger keeps the
//! money as for any link (an arrival, a hold and its settlement), naming the hash of what the
//! partner sent, and counts every such payment as resting on the partner's word.

pub mod api;
pub mod receive;
pub mod send;
pub mod wire;

use std::sync::Arc;

use axum::routing::{get, patch, post};
use axum::Router;

use crate::AppState;

/// Where a Credit Commons partner's calls arrive (no session, no CSRF token: `api`).
pub const CC_PREFIX: &str = "/api/cc/";

/// The partner's endpoints, under `/api/cc/{slug}/`.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/cc/{slug}", get(api::welcome))
        .route("/api/cc/{slug}/", get(api::welcome))
        .route("/api/cc/{slug}/transaction/relay", post(api::relay))
        .route(
            "/api/cc/{slug}/transaction/{uuid}/{state}",
            patch(api::update),
        )
        .route("/api/cc/{slug}/account", get(api::account))
        .route("/api/cc/{slug}/account/history", get(api::history))
}
