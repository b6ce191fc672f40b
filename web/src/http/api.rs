//! The API's edge, knowing no feature: the error envelope every API refusal answers
//! (`ApiError`, `ErrorEnvelope`, the layer that wraps other layers' plain refusals), the
//! extractors whose rejections are that envelope (`ApiJson`, `ApiPath`, `ApiQuery`), and the
//! member a call acts as (`actor`, which also keeps a circle-bound token in its circle).

#![allow(clippy::result_large_err)]

use axum::extract::{Path, Query};
use axum::handler::Handler;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{self, MethodRouter};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::session::Visitor;
use crate::services::{ActionError, Actor};
use crate::AppState;

use std::sync::Arc;

/// An API error: a status, a stable machine-readable code and a sentence for people.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// For a 429: in how many seconds to try again, when the node knows (`Retry-After`).
    retry_after_s: Option<u64>,
}

/// Every error answer of the API: `{"error": {"code", "message"}}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorEnvelope {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: insufficient_credit, ceiling_exceeded, not_a_member, bad_signature,
    /// not_your_key, sign_it_yourself, unauthenticated, token_scope, not_found, forbidden,
    /// busy, malformed, invalid, invalid_query, idempotency_key, ...
    pub code: String,
    /// A sentence for people, with the numbers.
    pub message: String,
}

impl ErrorEnvelope {
    /// The envelope of any error answer (the edge wraps plain rejections in it too).
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> ErrorEnvelope {
        ErrorEnvelope {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}

impl ApiError {
    /// The envelope, with internal details logged and kept from the client.
    pub(crate) fn envelope(&self) -> ErrorEnvelope {
        if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(message = %self.message, "internal API error");
            return ErrorEnvelope::new(
                self.code,
                "Something went wrong on the node. Nothing was changed; try again.",
            );
        }
        ErrorEnvelope::new(self.code, self.message.as_str())
    }
}

impl ApiError {
    /// The same error, telling the client in how many seconds to try again.
    pub(crate) fn retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after_s = Some(seconds);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.envelope())).into_response();
        if let Some(seconds) = self.retry_after_s {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}

/// Under `/api/`, wraps every error answer that is not already JSON (the refusals of layers
/// that know nothing of the API: CSRF, a body over the limit, a timeout, a wrong method) in
/// the error envelope, keeping the response's other headers.
pub async fn envelope_layer(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !is_api || is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (code, message) = match status {
        StatusCode::FORBIDDEN => ("csrf", "Send the x-csrf-token header with every call that acts in a page session, or use an API token."),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "This path does not take this method."),
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "The body is larger than the node takes."),
        StatusCode::SERVICE_UNAVAILABLE => ("busy", "The node took too long or is busy; nothing was changed. Try again."),
        StatusCode::NOT_FOUND => ("not_found", "Not found."),
        _ => ("error", status.canonical_reason().unwrap_or("Something went wrong.")),
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.remove(CONTENT_ENCODING);
    parts.headers.insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    let body = serde_json::to_vec(&ErrorEnvelope::new(code, message)).unwrap_or_default();
    Response::from_parts(parts, axum::body::Body::from(body))
}

pub(crate) fn api_error(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
) -> ApiError {
    ApiError {
        status,
        code,
        message: message.into(),
        retry_after_s: None,
    }
}

/// A JSON body for the API: a body that is not JSON, lacks the expected fields, or is not sent
/// as `application/json` answers the API's error envelope, never axum's plain text.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        use axum::extract::rejection::JsonRejection;
        if !sent_as_json(request.headers()) {
            return Err(api_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON, with the header Content-Type: application/json.",
            ));
        }
        let bytes = match axum::body::Bytes::from_request(request, state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(api_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "The body is larger than the node takes.",
                ))
            }
            Err(rejection) => {
                return Err(api_error(
                    StatusCode::BAD_REQUEST,
                    "malformed",
                    rejection.body_text(),
                ))
            }
        };
        // Every body the API reads is an object; serde would also take a struct's fields as
        // an array, which the document does not allow.
        if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{')
            && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok()
        {
            return Err(api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "The body must be a JSON object.",
            ));
        }
        match Json::<T>::from_bytes(&bytes) {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::JsonDataError(error)) => Err(api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!(
                    "The body does not have the expected fields: {}",
                    error.body_text()
                ),
            )),
            Err(other) => Err(api_error(
                StatusCode::BAD_REQUEST,
                "malformed",
                format!("The body is not valid JSON: {}", other.body_text()),
            )),
        }
    }
}

/// Whether the body is declared JSON: `application/json` or `application/…+json`.
fn sent_as_json(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .is_some_and(|essence| {
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        })
}

/// Path parameters for the API: a part of the path that does not parse (a number that is not
/// one) answers 404 in the API's error envelope.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(_) => Err(api_error(StatusCode::NOT_FOUND, "not_found", "Not found.")),
        }
    }
}

/// Query parameters for the API: one that does not parse answers 400 in the error envelope.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(error) => Err(api_error(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("A query parameter is not valid: {}", error.body_text()),
            )),
        }
    }
}

impl From<ActionError> for ApiError {
    fn from(error: ActionError) -> Self {
        use commons_ledger::state::Refusal;
        match error {
            ActionError::Refused(refusal) => {
                let code = match &refusal {
                    Refusal::InsufficientCredit { .. } => "insufficient_credit",
                    Refusal::CeilingExceeded { .. } => "ceiling_exceeded",
                    Refusal::NotAMember(_) => "not_a_member",
                    Refusal::BadSignature => "bad_signature",
                    Refusal::NonceReused { .. } => "nonce_reused",
                    Refusal::NotAuthorised { .. } => "not_authorised",
                    Refusal::UnknownRequest(_) => "unknown_request",
                    _ => "refused",
                };
                api_error(StatusCode::UNPROCESSABLE_ENTITY, code, refusal.to_string())
            }
            ActionError::Invalid { .. } | ActionError::Fields(_) => api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                error.to_string(),
            ),
            ActionError::NotFound => api_error(StatusCode::NOT_FOUND, "not_found", "Not found."),
            ActionError::Forbidden => {
                api_error(StatusCode::FORBIDDEN, "forbidden", "Not allowed.")
            }
            ActionError::RecoveredLogin => api_error(
                StatusCode::FORBIDDEN,
                "recovered_login",
                "This login came from a recovery link: it cannot change the account itself until the take-back period ends.",
            ),
            ActionError::Locked | ActionError::OwnKey => api_error(
                StatusCode::CONFLICT,
                "sign_it_yourself",
                "The node cannot sign for you here: sign the request with your key and POST it to /entries (commons pay --server does this).",
            ),
            ActionError::KeyLost => api_error(
                StatusCode::CONFLICT,
                "key_lost",
                "Your key in this circle is sealed under an old password. Ask a steward of this circle for a recovery link.",
            ),
            ActionError::TooManyAttempts => api_error(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "Too many password checks from here or for this person: wait a minute.",
            )
            .retry_after(60),
            ActionError::Sandboxed(limit) => api_error(
                StatusCode::TOO_MANY_REQUESTS,
                "sandbox",
                format!(
                    "New members who asked to join post at most {} of these a day during their first {} days. Try again tomorrow.",
                    limit.per_day(),
                    crate::membership::sandbox::SANDBOX_DAYS
                ),
            ),
            ActionError::Suspended(until) => api_error(
                StatusCode::FORBIDDEN,
                "suspended",
                format!(
                    "The circle's moderators suspended you until {}: you can read, but not pay, post or vote there. You may appeal from the circle's moderation page.",
                    crate::views::when(until)
                ),
            ),
            ActionError::Busy => api_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "The circle is busy; nothing was changed. Try again.",
            ),
            other => api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                other.to_string(),
            ),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            error.to_string(),
        )
    }
}

impl From<commons_ledger::store::StoreError> for ApiError {
    fn from(error: commons_ledger::store::StoreError) -> Self {
        ApiError::from(ActionError::from(error))
    }
}

/// What an API handler answers.
pub(crate) type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) async fn actor(state: &AppState, v: &Visitor, slug: &str) -> Result<Actor, ApiError> {
    let user = v.user.as_ref().ok_or_else(|| {
        api_error(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Send an API token (Authorization: Bearer ...) or log in.",
        )
    })?;
    let actor = state.services.actor(user, slug, v.session).await?;
    // A token bound to one circle opens no other: the same answer as for a stranger.
    if v.token
        .is_some_and(|grant| grant.circle.is_some_and(|c| c != actor.circle.row_id))
    {
        return Err(ActionError::NotFound.into());
    }
    Ok(actor)
}

/// The `{slug}` every circle path starts with.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SlugPath {
    /// The circle's short name.
    pub slug: String,
}

/// One operation of the JSON API: its method, its path, and its handler. Each feature lists
/// its operations in one table (`api_routes()` in its `mod.rs`); the router is built from the
/// tables, and the OpenAPI test compares them with the document.
pub struct ApiRoute {
    pub method: &'static str,
    pub path: &'static str,
    handler: MethodRouter<Arc<AppState>>,
}

impl std::fmt::Debug for ApiRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

impl ApiRoute {
    pub fn get<H, T>(path: &'static str, handler: H) -> ApiRoute
    where
        H: Handler<T, Arc<AppState>>,
        T: 'static,
    {
        ApiRoute {
            method: "GET",
            path,
            handler: routing::get(handler),
        }
    }

    pub fn post<H, T>(path: &'static str, handler: H) -> ApiRoute
    where
        H: Handler<T, Arc<AppState>>,
        T: 'static,
    {
        ApiRoute {
            method: "POST",
            path,
            handler: routing::post(handler),
        }
    }
}

/// The router of a table of operations (two methods on one path share it).
pub fn api_router(routes: Vec<ApiRoute>) -> Router<Arc<AppState>> {
    routes.into_iter().fold(Router::new(), |router, route| {
        router.route(route.path, route.handler)
    })
}
