//! The members' web space: server-rendered pages (axum + maud) over a node's circles.
//!
//! `routes` are thin handlers, `services` hold what people can do, `db` is the only SQL,
//! `views` only render, `custody` seals keys, `session` knows who is asking, `i18n` translates.

pub mod api_doc;
pub mod assets;
pub mod blocks;
pub mod capability;
pub mod conversations;
pub mod custody;
pub mod db;
pub mod demo;
pub mod discussions;
pub mod email;
pub mod moderation;
pub mod news;
pub mod onboarding;
pub mod people;
pub mod public;
pub mod reach;

pub mod account;
pub mod governance;
pub mod home;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod ledger;
pub mod limits;
pub mod links;
pub mod market;
pub mod membership;
pub mod names;
pub mod notifications;
pub mod privacy;
pub mod services;
pub mod steward;

pub mod views;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use commons_ledger::store::cache::ReadCache;
use commons_ledger::store::Store;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::custody::KdfCost;
use crate::db::NodeDb;
use crate::http::error::ErrorPage;
use crate::http::session::Visitor;
use crate::i18n::Catalogues;
use crate::limits::PasswordLimits;
use crate::services::{Keyring, Services};

/// How the web space runs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The address people use to reach the node (for invitation links).
    pub public_url: String,
    /// Mark cookies `Secure` (when served over HTTPS).
    pub cookies_secure: bool,
    /// A session ends after this long without a request.
    pub session_idle_ms: i64,
    /// Login attempts allowed per minute, per address and per username.
    pub login_attempts_per_minute: u32,
    /// Sign-ups (new logins through joining or asking to join) per minute and address.
    pub signups_per_minute: u32,
    /// Writes (every request but GET and HEAD) per minute and person; an address gets
    /// `limits::ADDRESS_PEOPLE` times as many.
    pub writes_per_minute: u32,
    /// Most time one request may take.
    pub request_timeout_ms: u64,
    /// Largest request body.
    pub body_bytes_max: usize,
    /// The cost of password hashing and key sealing.
    pub kdf_cost: KdfCost,
    /// A public form (joining, asking to join) sent back sooner than this after it was shown is
    /// asked for again: people take longer, scripts do not.
    pub form_fill_ms_min: i64,
    /// How the node sends mail; `None`: it sends none.
    pub mail: Option<email::MailConfig>,
    /// Whether linked circles may be on this machine or a private network (a region's own
    /// network, tests); off, a member cannot make the node call what only it can reach.
    pub federation_private_addresses: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_url: "http://127.0.0.1:8080".into(),
            cookies_secure: false,
            session_idle_ms: 24 * 3600 * 1000,
            login_attempts_per_minute: 10,
            signups_per_minute: 5,
            writes_per_minute: 120,
            request_timeout_ms: 30_000,
            body_bytes_max: 256 * 1024,
            kdf_cost: KdfCost::RECOMMENDED,
            form_fill_ms_min: 3_000,
            mail: None,
            federation_private_addresses: false,
        }
    }
}

/// Everything the handlers share.
#[derive(Debug)]
pub struct AppState {
    pub services: Services,
    pub config: WebConfig,
    pub catalogues: Arc<Catalogues>,
    pub csrf_secret: Vec<u8>,
    /// Sign-ups (joining, asking to join) per client address: each costs two argon2 runs.
    pub signup_limits: PasswordLimits,
    /// Every write, per person and per address.
    pub write_limits: crate::limits::WriteLimits,
    /// Single-use tokens of photo uploads.
    pub upload_tokens: http::session::UploadTokens,
    /// Rendered parts of pages that are the same for every member, remembered until they change.
    pub views: Views,
    /// The node's mail, when it sends any.
    pub mail: Option<email::Mail>,
}

/// Most kilobytes of rendered views remembered.
pub const VIEWS_KIB_MAX: u64 = 64 * 1024;

/// Rendered views remembered under the circle's generation (see
/// [`commons_ledger::store::cache`]).
#[derive(Debug)]
pub struct Views {
    /// The ledger page's body, by page, language and names.
    pub ledger: ReadCache<LedgerViewKey, Arc<str>>,
    /// The circle's sections of the home, by what the reader sees and their language.
    pub home: ReadCache<HomeViewKey, Arc<(String, String)>>,
}

/// Which home sections: a digest of the pulse's versions and the items the reader sees
/// ([`home::service::Pulse::digest`]), and the reader's language.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HomeViewKey {
    pub digest: u64,
    pub language: String,
}

/// Which ledger page body: the circle, the page, the reader's language, and the generation of
/// the names shown in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LedgerViewKey {
    pub row_id: i64,
    pub before: Option<u64>,
    pub kind: crate::ledger::form::LedgerKind,
    /// The member whose entries alone are shown (their user id), if any.
    pub member: Option<i64>,
    pub language: String,
    pub names_generation: u64,
}

impl Default for Views {
    fn default() -> Self {
        Views {
            ledger: ReadCache::new(VIEWS_KIB_MAX, |body: &Arc<str>| body.len() as u64 / 1024),
            // Keyed by the versions of everything they show: the time limit is only a bound.
            home: ReadCache::with_ttl(
                VIEWS_KIB_MAX,
                |sections: &Arc<(String, String)>| {
                    (sections.0.len() + sections.1.len()) as u64 / 1024 + 1
                },
                std::time::Duration::from_millis(home::service::PULSE_TTL_MS),
            ),
        }
    }
}

impl AppState {
    /// Builds the state over an open store (its database also holds the web space's tables).
    pub async fn new(store: Store, config: WebConfig) -> anyhow::Result<Arc<AppState>> {
        let db = NodeDb::new(store.pool().clone());
        let csrf_secret = db
            .node_secret("csrf", custody::random_secret())
            .await
            .map_err(|error| anyhow::anyhow!("cannot read the node's CSRF secret: {error}"))?;
        let mail = match &config.mail {
            Some(mail_config) => {
                let secret = db
                    .node_secret("mail", custody::random_secret())
                    .await
                    .map_err(|error| {
                        anyhow::anyhow!("cannot read the node's mail secret: {error}")
                    })?;
                Some(email::Mail::new(
                    mail_config.clone(),
                    &config.public_url,
                    secret,
                )?)
            }
            None => None,
        };
        Ok(Arc::new(AppState {
            mail,
            services: Services {
                market: commons_market::store::Market::new(store.pool().clone()),
                governance: commons_governance::store::Governance::new(store.pool().clone()),
                store,
                db,
                keyring: Keyring::default(),
                cost: config.kdf_cost,
                verified: services::VerifiedSignatures::default(),
                password_limits: Arc::new(PasswordLimits::new(config.login_attempts_per_minute)),
                argon2: limits::Argon2Pool::for_this_machine(),
                audits: Default::default(),
                takeouts: Default::default(),
                pulses: home::service::pulses(),
                federation: links::peers::Federation::new(config.federation_private_addresses),
            },
            signup_limits: PasswordLimits::new(config.signups_per_minute),
            write_limits: crate::limits::WriteLimits::new(config.writes_per_minute),
            upload_tokens: http::session::UploadTokens::default(),
            views: Views::default(),
            catalogues: Catalogues::load(),
            csrf_secret,
            config,
        }))
    }
}

/// The content security policy: only this node's own styles and images, no scripts, no frames.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Every operation of the JSON API, from the features' tables (the OpenAPI test compares them
/// with the document).
#[cfg(test)]
pub(crate) fn api_routes() -> Vec<http::api::ApiRoute> {
    [
        ledger::api_routes(),
        links::api_routes(),
        market::api_routes(),
        governance::api_routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The whole application: pages, static files and the middleware around them.
pub fn router(state: Arc<AppState>) -> Router {
    let pages = Router::new()
        .merge(account::router())
        .merge(membership::router())
        .merge(home::router())
        .merge(email::router())
        .merge(public::router())
        .merge(ledger::router())
        .merge(links::router())
        .merge(steward::router())
        .merge(market::router())
        .merge(governance::router())
        .merge(notifications::router())
        .merge(blocks::router())
        .merge(moderation::router())
        .merge(news::router())
        .merge(conversations::router())
        .merge(discussions::router())
        .merge(people::router())
        .merge(onboarding::router())
        .merge(privacy::router())
        .fallback(not_found)
        // Extractors read at most the configured body; the photo route allows more (market).
        .layer(DefaultBodyLimit::max(state.config.body_bytes_max))
        .layer(middleware::from_fn(error_pages))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            http::session::visitor_layer,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache, private"),
        ));
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route("/healthz", get(http::page::healthz))
        .route("/api/v1/openapi.json", get(api_doc::openapi))
        .route("/static/{file}", get(assets::serve))
        .merge(pages)
        .with_state(state.clone())
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
        ))
        // Behind HTTPS, browsers remember to use it for a year.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            state
                .config
                .cookies_secure
                .then(|| HeaderValue::from_static("max-age=31536000")),
        ))
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(
            state
                .config
                .body_bytes_max
                .max(market::routes::PHOTO_UPLOAD_BYTES_MAX),
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_millis(state.config.request_timeout_ms),
        ))
        // Under /api/, the layers' own refusals (CSRF, too large, timeout) answer the envelope.
        .layer(middleware::from_fn(http::api::envelope_layer))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(
            |request: &Request| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %request.method(), path = %loggable_path(request.uri().path()), id)
            },
        ))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// The path as logs may show it: the secrets in invitation and recovery links are cut off.
pub fn loggable_path(path: &str) -> String {
    for prefix in ["/join/", "/recover/", "/email/"] {
        if path.starts_with(prefix) {
            return format!("{prefix}…");
        }
    }
    path.to_owned()
}

/// Nothing here: a page in the visitor's language, or, under `/api/`, the API's error envelope.
async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return http::api::api_error(StatusCode::NOT_FOUND, "not_found", "Not found.")
            .into_response();
    }
    http::error::AppError::NotFound.into_response()
}

/// Renders error responses as pages in the visitor's language; sends people who need to log
/// in to the login page and back.
async fn error_pages(request: Request, next: Next) -> Response {
    let visitor = request.extensions().get::<Visitor>().cloned();
    let path = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let is_get = request.method() == axum::http::Method::GET;
    let response = next.run(request).await;
    let Some(error) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    let Some(v) = visitor else { return response };
    if error.status == StatusCode::UNAUTHORIZED && error.message_id == "error-login-required" {
        let next = if is_get { path } else { "/".into() };
        let encoded: String = next
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"/-_.".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        return Redirect::to(&format!("/login?next={encoded}")).into_response();
    }
    let title = v.tr.t(match error.status {
        StatusCode::NOT_FOUND => "error-not-found-title",
        StatusCode::FORBIDDEN => "error-forbidden-title",
        StatusCode::INTERNAL_SERVER_ERROR => "error-internal-title",
        _ => "error-title",
    });
    let text = match (&error.refusal, error.until_ms) {
        (Some(refusal), _) => http::page::refusal_text(&v, refusal),
        (None, Some(until)) => v.tr.ta(error.message_id, &[("until", &views::when(until))]),
        (None, None) => v.tr.t(error.message_id),
    };
    let title = if error.refusal.is_some() {
        v.tr.t("refused-title")
    } else {
        title
    };
    let markup = views::message_page(&v, &title, &text, Some(("/", v.tr.t("nav-home"))));
    (error.status, Html(markup.into_string())).into_response()
}

/// Serves the web space until `shutdown` completes, finishing requests in flight.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let jobs = jobs::start(&state);
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    jobs.stop().await;
    result.map_err(|error| anyhow::anyhow!("the server stopped: {error}"))
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn link_secrets_never_reach_the_logs() {
        assert_eq!(loggable_path("/join/abcdefSECRET"), "/join/…");
        assert_eq!(loggable_path("/recover/abcdefSECRET"), "/recover/…");
        assert_eq!(loggable_path("/email/verify/abcdefSECRET"), "/email/…");
        assert_eq!(
            loggable_path("/email/unsubscribe/7/digest-daily/SECRET"),
            "/email/…"
        );
        assert_eq!(loggable_path("/c/garden/pay"), "/c/garden/pay");
    }
}
