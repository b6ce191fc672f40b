//! The privacy page: every piece of personal data the node keeps, what it is for, who sees it
//! and how long it is kept, in plain words, for anyone (logged in or not).

pub mod views;

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::Router;

use crate::http::page::{page, AppState_, PageResult};
use crate::http::session::Visitor;
use crate::AppState;

/// The feature's pages.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/privacy", get(privacy))
}

async fn privacy(State(_state): AppState_, v: Visitor) -> PageResult {
    Ok(page(views::privacy_page(&v)))
}
