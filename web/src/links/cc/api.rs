//! The Credit Commons side of a circle, for its partner node (`/api/cc/{slug}/`, JSON, no
//! session and no CSRF: each call names its node and carries the chain's value). Who may call:
//! only the node a passed proposal linked on its word, with the current `last-hash`; anyone
//! else gets 401 and learns nothing. Every refusal is the API's error envelope.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use super::receive::{CcAccountSummary, CcCall, CcError};
use super::wire::{CcRelayAnswer, CcTransaction};
use crate::http::api::{api_error, ApiError, ApiJson, ApiPath, ApiQuery};
use crate::AppState;

/// Longest header value read.
const HEADER_BYTES_MAX: usize = 200;

fn call_of(headers: &HeaderMap) -> CcCall {
    let read = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .filter(|value| value.len() <= HEADER_BYTES_MAX)
            .map(|value| value.trim().to_owned())
    };
    CcCall {
        cc_node: read("cc-node"),
        last_hash: read("last-hash"),
    }
}

fn refusal(error: CcError) -> ApiError {
    let (status, code) = match &error {
        CcError::NoSuchCircle | CcError::NoSuchMember | CcError::NoSuchTransaction => {
            (StatusCode::NOT_FOUND, "not_found")
        }
        CcError::MissingHeader(_)
        | CcError::NotOurPartner(_)
        | CcError::NotStarted
        | CcError::WrongHash => (StatusCode::UNAUTHORIZED, "unauthorized"),
        CcError::Unreadable(_) | CcError::Refused(_) | CcError::TooSmall => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
        }
        CcError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        CcError::Expired => (StatusCode::GONE, "expired"),
        CcError::TooManyWaiting => (StatusCode::TOO_MANY_REQUESTS, "too_many_waiting"),
        CcError::Ledger { .. } => (StatusCode::CONFLICT, "refused"),
        CcError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    };
    api_error(status, code, error.to_string())
}

/// `GET /api/cc/{slug}/`: whether the headers are right.
pub async fn welcome(
    State(state): State<Arc<AppState>>,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    state
        .services
        .cc_partner(&slug, &call_of(&headers), None)
        .await
        .map_err(refusal)?;
    Ok(Json(serde_json::json!({
        "message": "Welcome to the Credit Commons federation protocol."
    })))
}

/// `POST /api/cc/{slug}/transaction/relay`: a transaction paying a member here, validated.
pub async fn relay(
    State(state): State<Arc<AppState>>,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(transaction): ApiJson<CcTransaction>,
) -> Result<(StatusCode, Json<CcRelayAnswer>), ApiError> {
    state
        .services
        .cc_relay(&slug, &call_of(&headers), &transaction)
        .await
        .map(|answer| (StatusCode::CREATED, Json(answer)))
        .map_err(refusal)
}

/// `PATCH /api/cc/{slug}/transaction/{uuid}/{state}`.
pub async fn update(
    State(state): State<Arc<AppState>>,
    ApiPath((slug, uuid, wanted)): ApiPath<(String, String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .cc_update(&slug, &call_of(&headers), &uuid, &wanted)
        .await
        .map(|()| StatusCode::CREATED)
        .map_err(refusal)
}

#[derive(Debug, serde::Deserialize)]
pub struct AccountQuery {
    #[serde(default)]
    pub acc_path: Option<String>,
}

/// `GET /api/cc/{slug}/account?acc_path=`: the shared account, from the partner's side.
pub async fn account(
    State(state): State<Arc<AppState>>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<AccountQuery>,
    headers: HeaderMap,
) -> Result<Json<CcAccountSummary>, ApiError> {
    state
        .services
        .cc_account(&slug, &call_of(&headers), query.acc_path.as_deref())
        .await
        .map(Json)
        .map_err(refusal)
}

/// `GET /api/cc/{slug}/account/history`: its balance after each completed transaction.
pub async fn history(
    State(state): State<Arc<AppState>>,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    state
        .services
        .cc_history(&slug, &call_of(&headers))
        .await
        .map(Json)
        .map_err(refusal)
}
