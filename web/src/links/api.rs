//! What another node may ask of this one (under `/api/federation/`, JSON, no session, no
//! CSRF: each message authenticates itself): a circle's descriptor (public: what a link
//! needs), a relayed payment (proved by the sending circle's signed tree head), and who a
//! username is (asked only by a linked circle's node, signed). Every refusal is the API's
//! error envelope.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::http::api::{api_error, ApiError, ApiJson, ApiPath};
use crate::links::deal_wire::{DealAnswer, DealMessage};
use crate::links::federation::{FederationError, PayeeAnswer, PayeeQuestion};
use crate::links::market::{MarketAnswer, MarketQuestion};
use crate::links::onward::{OnwardPayeeQuestion, RoutesAnswer, RoutesQuestion};
use crate::links::peers::CircleDescriptor;
use crate::links::requests::{RequestAnswer, RequestMessage};
use crate::AppState;
use commons_ledger::relay::{Answer, Relay};

fn refusal(error: FederationError) -> ApiError {
    let (status, code) = match &error {
        FederationError::NoSuchCircle | FederationError::NoSuchMember => {
            (StatusCode::NOT_FOUND, "not_found")
        }
        FederationError::NotLinked => (StatusCode::FORBIDDEN, "not_linked"),
        FederationError::BadSignature => (StatusCode::UNAUTHORIZED, "bad_signature"),
        FederationError::Unreadable(_) | FederationError::Untrusted(_) => {
            (StatusCode::BAD_REQUEST, "untrusted")
        }
        FederationError::TransferTaken => (StatusCode::CONFLICT, "transfer_taken"),
        FederationError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    };
    api_error(status, code, error.to_string())
}

pub async fn descriptor(
    State(state): State<Arc<AppState>>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<CircleDescriptor>, ApiError> {
    state
        .services
        .circle_descriptor(&slug)
        .await
        .map(Json)
        .map_err(refusal)
}

pub async fn relay(
    State(state): State<Arc<AppState>>,
    ApiJson(relay): ApiJson<Relay>,
) -> Result<Json<Answer>, ApiError> {
    state
        .services
        .answer_relay(&relay)
        .await
        .map(Json)
        .map_err(refusal)
}

pub async fn request(
    State(state): State<Arc<AppState>>,
    ApiPath(slug): ApiPath<String>,
    ApiJson(message): ApiJson<RequestMessage>,
) -> Result<Json<RequestAnswer>, ApiError> {
    state
        .services
        .answer_request_message(&slug, &message)
        .await
        .map(Json)
        .map_err(refusal)
}

pub async fn market(
    State(state): State<Arc<AppState>>,
    ApiPath(slug): ApiPath<String>,
    ApiJson(question): ApiJson<MarketQuestion>,
) -> Result<Json<MarketAnswer>, ApiError> {
    state
        .services
        .answer_market(&slug, &question)
        .await
        .map(Json)
        .map_err(refusal)
}

pub async fn deal(
    State(state): State<Arc<AppState>>,
    ApiPath(slug): ApiPath<String>,
    ApiJson(message): ApiJson<DealMessage>,
) -> Result<Json<DealAnswer>, ApiError> {
    state
        .services
        .answer_deal_message(&slug, &message)
        .await
        .map(Json)
        .map_err(refusal)
}

pub async fn routes(
    State(state): State<Arc<AppState>>,
    ApiPath(slug): ApiPath<String>,
    ApiJson(question): ApiJson<RoutesQuestion>,
) -> Result<Json<RoutesAnswer>, ApiError> {
    state
        .services
        .answer_routes(&slug, &question)
        .await
        .map(Json)
        .map_err(refusal)
}

pub async fn payee_onward(
    State(state): State<Arc<AppState>>,
    ApiPath(slug): ApiPath<String>,
    ApiJson(question): ApiJson<OnwardPayeeQuestion>,
) -> Result<Json<PayeeAnswer>, ApiError> {
    state
        .services
        .answer_onward_payee(&slug, &question)
        .await
        .map(Json)
        .map_err(refusal)
}

pub async fn payee(
    State(state): State<Arc<AppState>>,
    ApiPath(slug): ApiPath<String>,
    ApiJson(question): ApiJson<PayeeQuestion>,
) -> Result<Json<PayeeAnswer>, ApiError> {
    state
        .services
        .answer_payee(&slug, &question)
        .await
        .map(Json)
        .map_err(refusal)
}
