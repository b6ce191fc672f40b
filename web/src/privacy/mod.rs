//! Privacy: the page that says, in plain words, every piece of personal data the node keeps,
//! what for, who sees it and how long (for anyone); and the person's own data page: taking
//! everything out (`takeout.rs`), leaving a circle and erasing the account (`erasure.rs`).

pub mod erasure;
pub mod routes;
pub mod takeout;
pub mod views;

use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;

use crate::http::page::{page, AppState_, PageResult};
use crate::http::session::Visitor;
use crate::AppState;

/// The feature's pages.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/privacy", get(privacy))
        .route("/settings/data", get(routes::data))
        .route("/settings/data/takeout", post(routes::takeout))
        .route("/settings/data/erase", post(routes::erase))
        .route("/settings/data/erase/cancel", post(routes::cancel_erasure))
        .route("/c/{slug}/leave", post(routes::leave))
}

async fn privacy(State(_state): AppState_, v: Visitor) -> PageResult {
    Ok(page(views::privacy_page(&v)))
}
