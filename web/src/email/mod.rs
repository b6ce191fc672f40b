//! E-mail that replaces the mailing list: a member's verified address (never shown to anyone
//! else), how each kind of notification reaches them (here only, at once, or in a daily or
//! weekly digest at the circle's morning hour), one-click unsubscribing, and a durable outbox
//! the sender drains through the operator's SMTP server. Off unless `--smtp` is given.

pub mod compose;
pub mod digest;
pub mod outbox;
pub mod routes;
pub mod rules;
pub mod service;
pub mod views;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub use outbox::{Mail, MailConfig, SmtpUrl};

/// Where one-click unsubscribe links point: mail programs post there with no cookie and no
/// CSRF token (RFC 8058), so the CSRF check lets these paths through; the link's signature
/// is their proof.
pub const UNSUBSCRIBE_PREFIX: &str = "/email/unsubscribe/";

/// The feature's pages.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/settings/email",
            get(routes::settings).post(routes::set_address),
        )
        .route("/settings/email/remove", post(routes::remove_address))
        .route("/settings/email/deliveries", post(routes::set_deliveries))
        .route(
            "/email/verify/{token}",
            get(routes::verify_form).post(routes::verify),
        )
        .route(
            "/email/unsubscribe/{user}/{scope}/{mac}",
            get(routes::unsubscribe_form).post(routes::unsubscribe),
        )
}
