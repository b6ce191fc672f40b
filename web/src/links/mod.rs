//! Linked circles: the circles a circle trades with (on this node, for now), their terms as
//! the ledger keeps them, and payments across (through `commons_ledger::store::exchange`).
//! `service` holds what members and proposals need; the pay page and the proposal form use it.

pub mod pay;
pub mod routes;
pub mod service;
pub mod views;

pub use pay::*;
pub use service::*;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;

use crate::AppState;

/// The feature's pages.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route(
        "/c/{slug}/pay/across",
        get(routes::form).post(routes::submit),
    )
}
