//! The JSON API under `/api/v1`: the same actions as the pages, for scripts and for the
//! `commons` command line (`commons pay --server`). Authentication is an API token
//! (`Authorization: Bearer ...`, made on the settings page) or the page session (then the
//! `x-csrf-token` header is required). Described in `docs/openapi.json`, served at
//! `/api/v1/openapi.json`.

#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use commons_ledger::entry::{Body, SignedRequest};
use commons_ledger::export::Memo;
use commons_ledger::keys::{decode_hex, Hash, Signature};
use commons_ledger::store::{StoredEntry, LIST_ENTRIES_MAX};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::db::MemberStatus;
use crate::services::{ActionError, Actor, IdempotencyKey};
use crate::session::Visitor;
use crate::AppState;

pub const OPENAPI: &str = include_str!("../../docs/openapi.json");
/// Most entries one API list returns.
pub const API_PAGE_ENTRIES_MAX: i64 = 500;

/// An API error: a status, a stable machine-readable code and a sentence for people.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// `{"error": {"code", "message"}}`, with internal details logged and kept from the client.
    fn as_json(&self) -> Value {
        if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(message = %self.message, "internal API error");
        }
        let message = if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            "Something went wrong on the node. Nothing was changed; try again."
        } else {
            self.message.as_str()
        };
        json!({ "error": { "code": self.code, "message": message } })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.as_json())).into_response()
    }
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
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(api_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON, with the header Content-Type: application/json.",
            )),
            Err(JsonRejection::JsonSyntaxError(error)) => Err(api_error(
                StatusCode::BAD_REQUEST,
                "malformed",
                format!("The body is not valid JSON: {}", error.body_text()),
            )),
            Err(JsonRejection::JsonDataError(error)) => Err(api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!(
                    "The body does not have the expected fields: {}",
                    error.body_text()
                ),
            )),
            Err(other) => Err(api_error(other.status(), "malformed", other.body_text())),
        }
    }
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
            ActionError::Invalid { field, message_id } => api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("{field}: {message_id}"),
            ),
            ActionError::NotFound => api_error(StatusCode::NOT_FOUND, "not_found", "Not found."),
            ActionError::Forbidden => {
                api_error(StatusCode::FORBIDDEN, "forbidden", "Not allowed.")
            }
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

type ApiResult = Result<Json<Value>, ApiError>;

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

fn entries_json(state: &AppState, entries: &[StoredEntry]) -> Vec<Value> {
    let valid = state.services.verified.check(entries);
    entries
        .iter()
        .zip(valid)
        .map(|(stored, ok)| entry_json(stored, ok))
        .collect()
}

fn entry_json(stored: &StoredEntry, signature_valid: bool) -> Value {
    let request = &stored.entry.signed.request;
    let mut value = json!({
        "seq": stored.entry.seq,
        "hash": stored.hash.to_hex(),
        "recorded_at_ms": stored.entry.recorded_at_ms,
        "kind": request.body.kind_name(),
        "author": request.author.to_hex(),
        "signature_valid": signature_valid,
        "memo": stored.memo.as_ref().map(|memo| memo.text.clone()),
    });
    if let Body::Transfer {
        payer,
        payee,
        amount_minor,
        ..
    }
    | Body::RequestPayment {
        payer,
        payee,
        amount_minor,
        ..
    } = &request.body
    {
        value["payer"] = json!(payer.to_hex());
        value["payee"] = json!(payee.to_hex());
        value["amount_minor"] = json!(amount_minor);
    }
    value
}

/// `GET /api/v1/openapi.json`
pub async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
        .into_response()
}

/// `GET /api/v1/circles`: the circles I am an active member of.
pub async fn circles(State(state): State<Arc<AppState>>, v: Visitor) -> ApiResult {
    let user = v.user.as_ref().ok_or_else(|| {
        api_error(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Send an API token or log in.",
        )
    })?;
    let bound = v.token.and_then(|grant| grant.circle);
    let circles: Vec<_> = state
        .services
        .my_circles(user)
        .await?
        .into_iter()
        .filter(|info| bound.is_none_or(|circle| circle == info.row_id))
        .collect();
    Ok(Json(json!({
        "circles": circles.iter().map(|info| json!({
            "slug": info.slug,
            "name": info.name,
            "circle_id": info.circle_id.to_hex(),
        })).collect::<Vec<_>>()
    })))
}

/// `GET /api/v1/circles/{slug}`: the circle and my account in it.
pub async fn circle(
    State(state): State<Arc<AppState>>,
    v: Visitor,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let info = &actor.circle;
    let account = &actor.account;
    Ok(Json(json!({
        "slug": info.slug,
        "name": info.name,
        "circle_id": info.circle_id.to_hex(),
        "unit_name": info.unit_name,
        "unit_symbol": info.unit_symbol,
        "decimals": info.decimals,
        "entries": info.head_seq + 1,
        "me": {
            "username": actor.user.username,
            "account_key": actor.membership.account_key.to_hex(),
            "holds_own_key": actor.membership.sealed_key.is_none(),
            "is_steward": actor.is_steward,
            "balance_minor": account.balance_minor,
            "floor_minor": account.floor_minor,
            "ceiling_minor": account.ceiling_minor,
        }
    })))
}

/// `GET /api/v1/circles/{slug}/members`
pub async fn members(
    State(state): State<Arc<AppState>>,
    v: Visitor,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let cards = state
        .services
        .db
        .members(
            actor.circle.row_id,
            MemberStatus::Active,
            None,
            crate::db::MEMBERS_PAGE_MAX,
        )
        .await?;
    Ok(Json(json!({
        "members": cards.iter().map(|card| json!({
            "username": card.username,
            "display_name": card.display_name,
            "account_key": card.account_key.to_hex(),
        })).collect::<Vec<_>>()
    })))
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    before: Option<u64>,
    limit: Option<i64>,
}

/// A page's `limit`: 1 to [`API_PAGE_ENTRIES_MAX`] (100 when not given); anything else is
/// refused as the documented contract says, not quietly changed.
fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(100),
        Some(limit) if (1..=API_PAGE_ENTRIES_MAX).contains(&limit) => Ok(limit),
        Some(_) => Err(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("limit is from 1 to {API_PAGE_ENTRIES_MAX}."),
        )),
    }
}

/// `GET /api/v1/circles/{slug}/entries?before=&limit=`: the circle's ledger, newest first.
pub async fn entries(
    State(state): State<Arc<AppState>>,
    v: Visitor,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let store = &state.services.store;
    let head = store.latest_tree_head(&actor.circle).await?;
    let limit = page_limit(query.limit)? as u64;
    let before = query.before.unwrap_or(head.tree_size).min(head.tree_size);
    let page = store.entries_before(&actor.circle, before, limit).await?;
    let from = before.saturating_sub(limit);
    Ok(Json(json!({
        "entries": entries_json(&state, &page),
        "next_before": (from > 0).then_some(from),
        "tree_head": {
            "tree_size": head.tree_size,
            "root": head.root.to_hex(),
            "timestamp_ms": head.timestamp_ms,
            "signature": head.signature.to_hex(),
        }
    })))
}

/// `GET /api/v1/circles/{slug}/statement?before=&limit=`: my transfers, newest first.
pub async fn statement(
    State(state): State<Arc<AppState>>,
    v: Visitor,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let keys = state
        .services
        .db
        .member_keys(actor.circle.row_id, actor.user.id)
        .await?;
    let limit = page_limit(query.limit)?;
    let page = state
        .services
        .store
        .account_entries(&actor.circle, &keys, false, query.before, limit)
        .await?;
    Ok(Json(json!({
        "entries": entries_json(&state, &page),
        "next_before": (page.len() as i64 == limit).then(|| page.last().map(|s| s.entry.seq)).flatten(),
    })))
}

/// `GET /api/v1/circles/{slug}/requests`: open payment requests I am part of.
pub async fn requests(
    State(state): State<Arc<AppState>>,
    v: Visitor,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let keys = state
        .services
        .db
        .member_keys(actor.circle.row_id, actor.user.id)
        .await?;
    let open = state
        .services
        .store
        .open_requests(&actor.circle, &keys, LIST_ENTRIES_MAX)
        .await?;
    Ok(Json(json!({
        "requests": entries_json(&state, &open)
    })))
}

#[derive(Debug, Deserialize)]
pub struct PaymentBody {
    /// The payee's (or, for a request, the payer's) username.
    member: String,
    amount: String,
    #[serde(default)]
    memo: String,
}

#[derive(Debug, Serialize)]
struct AppendedJson {
    seq: u64,
    hash: String,
    duplicate: bool,
}

fn appended(appended: commons_ledger::store::Appended) -> Json<Value> {
    Json(json!(AppendedJson {
        seq: appended.seq,
        hash: appended.hash.to_hex(),
        duplicate: appended.duplicate,
    }))
}

/// `POST /api/v1/circles/{slug}/payments`: pay a member, signed by the node with my sealed key
/// (only in a logged-in session, whose key is unsealed in memory).
pub async fn pay(
    State(state): State<Arc<AppState>>,
    v: Visitor,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PaymentBody>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let attempt = idempotency_key(&headers)?;
    Ok(appended(
        state
            .services
            .pay(&actor, &body.member, &body.amount, &body.memo, &attempt)
            .await?,
    ))
}

/// The `Idempotency-Key` header every call that moves money must carry: a retry with the same
/// key answers the first result (the same entry) and never writes twice.
fn idempotency_key(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
    let refused = |message: &str| api_error(StatusCode::BAD_REQUEST, "idempotency_key", message);
    let value = headers.get("idempotency-key").ok_or_else(|| {
        refused("Send an Idempotency-Key header (16 to 64 letters, digits, - or _), the same for every retry of this payment.")
    })?;
    value
        .to_str()
        .ok()
        .and_then(|text| text.trim_matches('"').parse().ok())
        .ok_or_else(|| {
            refused("The Idempotency-Key header must be 16 to 64 letters, digits, - or _.")
        })
}

/// `POST /api/v1/circles/{slug}/payment-requests`: ask a member to pay me.
pub async fn request_payment(
    State(state): State<Arc<AppState>>,
    v: Visitor,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PaymentBody>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let attempt = idempotency_key(&headers)?;
    Ok(appended(
        state
            .services
            .request_payment(&actor, &body.member, &body.amount, &body.memo, &attempt)
            .await?,
    ))
}

/// `POST /api/v1/circles/{slug}/requests/{seq}/accept` and `.../decline`.
pub async fn answer_request(
    State(state): State<Arc<AppState>>,
    v: Visitor,
    ApiPath((slug, seq, answer)): ApiPath<(String, u64, String)>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let result = match answer.as_str() {
        "accept" => state.services.accept_request(&actor, seq).await?,
        "decline" => state.services.close_request(&actor, seq).await?,
        _ => return Err(api_error(StatusCode::NOT_FOUND, "not_found", "Not found.")),
    };
    Ok(appended(result))
}

#[derive(Debug, Deserialize)]
pub struct SignedBody {
    /// The canonical request bytes, hex.
    request: String,
    /// The author's ed25519 signature over them, hex.
    signature: String,
    /// The memo the request commits to, if any.
    memo: Option<MemoBody>,
}

#[derive(Debug, Deserialize)]
pub struct MemoBody {
    salt: String,
    text: String,
}

/// Decodes `bytes` as each JSON body the API reads; how many kinds it is (the fuzz target
/// `api_bodies` and its corpus replay call this: no body may panic the decoder).
pub fn decode_bodies(bytes: &[u8]) -> usize {
    [
        serde_json::from_slice::<PaymentBody>(bytes).is_ok(),
        serde_json::from_slice::<SignedBody>(bytes).is_ok(),
        serde_json::from_slice::<SignedBatchBody>(bytes).is_ok(),
        serde_json::from_slice::<crate::api_governance::BallotBody>(bytes).is_ok(),
        serde_json::from_slice::<crate::api_market::ListingBody>(bytes).is_ok(),
        serde_json::from_slice::<crate::api_market::DealBody>(bytes).is_ok(),
    ]
    .into_iter()
    .filter(|ok| *ok)
    .count()
}

/// A signed request as the API receives it, checked against the actor: well-formed, for this
/// circle, and authored by the actor's own account key.
fn signed_of(actor: &Actor, body: SignedBody) -> Result<(SignedRequest, Option<Memo>), ApiError> {
    let bad = |what: &str| {
        api_error(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("{what} is not valid"),
        )
    };
    let bytes =
        commons_ledger::keys::decode_hex_vec(&body.request).ok_or_else(|| bad("request (hex)"))?;
    let signature =
        Signature(decode_hex::<64>(&body.signature).map_err(|_| bad("signature (128 hex)"))?);
    let signed = SignedRequest::from_parts(bytes, signature).map_err(|_| bad("request"))?;
    if signed.request.circle_id != actor.circle.circle_id {
        return Err(api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_circle",
            "This request is signed for another circle.",
        ));
    }
    if signed.request.author != actor.membership.account_key {
        return Err(api_error(
            StatusCode::FORBIDDEN,
            "not_your_key",
            "The request must be signed by your own account key in this circle.",
        ));
    }
    let memo = match body.memo {
        Some(memo) => Some(Memo {
            salt: decode_hex::<16>(&memo.salt).map_err(|_| bad("memo salt (32 hex)"))?,
            text: memo.text,
        }),
        None => None,
    };
    Ok((signed, memo))
}

/// A signed key rotation may not move the account onto another member's key (a steward's, the
/// ledger refuses too).
async fn rotation_allowed(
    state: &AppState,
    actor: &Actor,
    signed: &SignedRequest,
) -> Result<(), ApiError> {
    if let Body::RotateKey { new, .. } = &signed.request.body {
        state
            .services
            .check_rotation_target(&actor.circle, new)
            .await?;
    }
    Ok(())
}

/// `POST /api/v1/circles/{slug}/entries`: append a request signed by the member's own key.
pub async fn submit_signed(
    State(state): State<Arc<AppState>>,
    v: Visitor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<SignedBody>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let (signed, memo) = signed_of(&actor, body)?;
    rotation_allowed(&state, &actor, &signed).await?;
    let rotates = matches!(signed.request.body, Body::RotateKey { .. });
    let result = state
        .services
        .store
        .append(&actor.circle.slug, signed, memo)
        .await?;
    if rotates {
        state.services.reconcile_member(&actor).await?;
    }
    Ok(appended(result))
}

/// Most signed requests one batch takes (and the body limit applies as to any request).
pub const ENTRIES_BATCH_MAX: usize = 500;

#[derive(Debug, Deserialize)]
pub struct SignedBatchBody {
    entries: Vec<SignedBody>,
}

/// `POST /api/v1/circles/{slug}/entries/batch`: append up to [`ENTRIES_BATCH_MAX`] requests
/// signed by the member's own key. Each is checked and applied on its own, in order, exactly as
/// if posted one after another; the answer lists each one's entry or error, in the same order.
pub async fn submit_signed_batch(
    State(state): State<Arc<AppState>>,
    v: Visitor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<SignedBatchBody>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    if body.entries.is_empty() || body.entries.len() > ENTRIES_BATCH_MAX {
        return Err(api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "batch_size",
            format!("Send between 1 and {ENTRIES_BATCH_MAX} entries in one batch."),
        ));
    }
    // Malformed entries are answered here; the rest go to the ledger, in order.
    let mut malformed: Vec<Option<ApiError>> = Vec::with_capacity(body.entries.len());
    let mut valid: Vec<(SignedRequest, Option<Memo>)> = Vec::with_capacity(body.entries.len());
    for one in body.entries {
        let checked = match signed_of(&actor, one) {
            Ok(signed) => rotation_allowed(&state, &actor, &signed.0)
                .await
                .map(|()| signed),
            Err(error) => Err(error),
        };
        match checked {
            Ok(signed) => {
                valid.push(signed);
                malformed.push(None);
            }
            Err(error) => malformed.push(Some(error)),
        }
    }
    let rotates = valid
        .iter()
        .any(|(signed, _)| matches!(signed.request.body, Body::RotateKey { .. }));
    let mut appended = state
        .services
        .store
        .append_many(&actor.circle.slug, valid)
        .await?
        .into_iter();
    if rotates {
        state.services.reconcile_member(&actor).await?;
    }
    let results: Vec<Value> = malformed
        .into_iter()
        .map(|refused| {
            let outcome = match refused {
                Some(error) => Err(error),
                None => match appended.next() {
                    Some(Ok(done)) => Ok(done),
                    Some(Err(error)) => Err(ApiError::from(error)),
                    None => Err(ApiError::from(ActionError::Busy)),
                },
            };
            match outcome {
                Ok(done) => json!(AppendedJson {
                    seq: done.seq,
                    hash: done.hash.to_hex(),
                    duplicate: done.duplicate,
                }),
                Err(error) => error.as_json(),
            }
        })
        .collect();
    Ok(Json(json!({ "results": results })))
}

/// `GET /api/v1/circles/{slug}/entries/{seq}/proof?tree_size=`: an inclusion proof.
pub async fn proof(
    State(state): State<Arc<AppState>>,
    v: Visitor,
    ApiPath((slug, seq)): ApiPath<(String, u64)>,
    ApiQuery(query): ApiQuery<ProofQuery>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let store = &state.services.store;
    let head = store.latest_tree_head(&actor.circle).await?;
    let tree_size = query.tree_size.unwrap_or(head.tree_size);
    let path: Vec<Hash> = store.inclusion_proof(&actor.circle, seq, tree_size).await?;
    Ok(Json(json!({
        "seq": seq,
        "tree_size": tree_size,
        "path": path.iter().map(|hash| hash.to_hex()).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Deserialize)]
pub struct ProofQuery {
    tree_size: Option<u64>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_api_route_is_documented_and_every_documented_path_exists() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).expect("valid JSON");
        let documented: Vec<&String> = doc["paths"].as_object().expect("paths").keys().collect();
        let source = include_str!("lib.rs");
        let routes: Vec<&str> = source
            .match_indices("\"/api/v1/")
            .map(|(at, _)| {
                let rest = &source[at + 1..];
                &rest[..rest.find('"').unwrap_or(0)]
            })
            .filter(|path| *path != "/api/v1/openapi.json")
            .collect();
        assert!(routes.len() >= 10, "{routes:?}");
        for route in &routes {
            assert!(
                documented.iter().any(|path| path == route),
                "{route} is not in docs/openapi.json"
            );
        }
        for path in documented {
            assert!(
                routes.contains(&path.as_str()),
                "{path} is documented but not served"
            );
        }
    }
}
