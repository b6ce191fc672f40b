//! A person's account on the node: logging in, settings, tokens, recovery.

pub mod activity;
pub mod recovery;
pub mod routes;
pub mod service;
pub mod settings;
pub mod settings_views;
pub mod tokens;
pub mod views;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The feature's pages and API calls.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(routes::front))
        .route("/setup", get(routes::setup_form).post(routes::setup_submit))
        .route("/login", get(routes::login_form).post(routes::login_submit))
        .route("/logout", post(routes::logout))
        .route("/circles", get(routes::my_circles))
        .route(
            "/circles/new",
            get(routes::new_circle_form).post(routes::new_circle_submit),
        )
        .route("/language", post(routes::set_language))
        .route("/settings", get(settings::settings))
        .route("/settings/account", get(settings::settings_account))
        .route("/settings/advanced", get(settings::settings_advanced))
        .route("/settings/profile", post(settings::settings_profile))
        .route("/settings/password", post(settings::settings_password))
        .route(
            "/recover/{link}",
            get(routes::recover_form).post(routes::recover_submit),
        )
        .route("/settings/tokens", post(settings::create_token))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route("/settings/own-key", post(settings::register_own_key))
}
