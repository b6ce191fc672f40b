//! The JSON API under `/api/v1`: the same actions as the pages, for scripts and for the
//! `commons` command line (`commons pay --server`). Authentication is an API token
//! (`Authorization: Bearer ...`, made on the settings page) or the page session (then the
//! `x-csrf-token` header is required). Described in `docs/openapi.json`, served at
//! `/api/v1/openapi.json`.
//!
//! Every answer is a typed value (`…Json`) that derives both `Serialize` and
//! [`utoipa::ToSchema`], and every handler carries its `#[utoipa::path]`: the OpenAPI
//! document ([`crate::api_doc`]) is generated from them and cannot drift.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use commons_ledger::entry::Body;
use commons_ledger::store::{StoredEntry, LIST_ENTRIES_MAX};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::api::{api_error, ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, SlugPath};
use crate::http::extract::ApiActor;
use crate::http::session::Visitor;
use crate::ledger::form::TransferCommand;
use crate::services::{Actor, IdempotencyKey};
use crate::AppState;

/// Most entries one API list returns.
pub const API_PAGE_ENTRIES_MAX: i64 = 500;

pub(super) fn entries_json(state: &AppState, entries: &[StoredEntry]) -> Vec<EntryJson> {
    let valid = state.services.signatures_ok(entries);
    entries
        .iter()
        .zip(valid)
        .map(|(stored, ok)| EntryJson::new(stored, ok))
        .collect()
}

/// One ledger entry.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Entry)]
pub struct EntryJson {
    /// Its position in the circle's log, from 0.
    pub seq: u64,
    /// The entry's hash, hex.
    pub hash: String,
    pub recorded_at_ms: i64,
    /// genesis, open-account, set-limits, rotate-key, transfer, reversal, accept-request,
    /// request-payment, close-request, close-account, add-steward, remove-steward, enact.
    pub kind: String,
    /// The author's account key, hex.
    pub author: String,
    /// Whether the node checked the author's signature and found it valid.
    pub signature_valid: bool,
    /// The memo's text, when the entry has one.
    pub memo: Option<String>,
    /// For transfers and payment requests: the payer's account key, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer: Option<String>,
    /// For transfers and payment requests: the payee's account key, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payee: Option<String>,
    /// For transfers and payment requests: the amount in minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_minor: Option<i64>,
}

impl EntryJson {
    fn new(stored: &StoredEntry, signature_valid: bool) -> EntryJson {
        let request = &stored.entry.signed.record;
        let money = match &request.body {
            Body::Transfer {
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
            } => Some((payer.to_hex(), payee.to_hex(), *amount_minor)),
            _ => None,
        };
        EntryJson {
            seq: stored.entry.seq,
            hash: stored.hash.to_hex(),
            recorded_at_ms: stored.entry.recorded_at_ms,
            kind: request.body.kind_name().to_owned(),
            author: request.author.to_hex(),
            signature_valid,
            memo: stored.memo.as_ref().map(|memo| memo.text.clone()),
            payer: money.as_ref().map(|(payer, _, _)| payer.clone()),
            payee: money.as_ref().map(|(_, payee, _)| payee.clone()),
            amount_minor: money.map(|(_, _, amount_minor)| amount_minor),
        }
    }
}

/// The circles I am an active member of.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Circles)]
pub struct CirclesJson {
    pub circles: Vec<CircleSummaryJson>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CircleSummary)]
pub struct CircleSummaryJson {
    /// The circle's short name, used in every path.
    pub slug: String,
    pub name: String,
    /// The circle's id (its genesis hash), hex.
    pub circle_id: String,
}

/// The circles I am an active member of (only the token's circle for a token bound to one).
#[utoipa::path(get, path = "/api/v1/circles", tag = "ledger",
    responses((status = 200, description = "My circles.", body = CirclesJson)))]
pub async fn circles(State(state): State<Arc<AppState>>, v: Visitor) -> ApiResult<CirclesJson> {
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
    Ok(Json(CirclesJson {
        circles: circles
            .iter()
            .map(|info| CircleSummaryJson {
                slug: info.slug.clone(),
                name: info.name.clone(),
                circle_id: info.circle_id.to_hex(),
            })
            .collect(),
    }))
}

/// A circle and my account in it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Circle)]
pub struct CircleJson {
    pub slug: String,
    pub name: String,
    /// The circle's id (its genesis hash), hex.
    pub circle_id: String,
    pub unit_name: String,
    pub unit_symbol: String,
    /// How many decimal places the unit has: `amount_minor` / 10^decimals units.
    pub decimals: u8,
    /// How many entries the circle's log has.
    pub entries: u64,
    pub me: MeJson,
}

/// My account in a circle.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Me)]
pub struct MeJson {
    pub username: String,
    /// My account key in this circle, hex.
    pub account_key: String,
    /// Whether I sign with my own key (then the node cannot sign for me).
    pub holds_own_key: bool,
    pub is_steward: bool,
    pub balance_minor: i64,
    /// The lowest my balance may go.
    pub floor_minor: i64,
    /// The highest my balance may go.
    pub ceiling_minor: i64,
}

/// The circle and my account in it.
#[utoipa::path(get, path = "/api/v1/circles/{slug}", tag = "ledger", params(SlugPath),
    responses((status = 200, description = "The circle.", body = CircleJson)))]
pub async fn circle(ApiActor(actor): ApiActor) -> ApiResult<CircleJson> {
    let info = &actor.circle;
    let account = &actor.account;
    Ok(Json(CircleJson {
        slug: info.slug.clone(),
        name: info.name.clone(),
        circle_id: info.circle_id.to_hex(),
        unit_name: info.unit_name.clone(),
        unit_symbol: info.unit_symbol.clone(),
        decimals: info.decimals,
        entries: info.head_seq + 1,
        me: MeJson {
            username: actor.user.username.clone(),
            account_key: actor.membership.account_key.to_hex(),
            holds_own_key: actor.membership.sealed_key.is_none(),
            is_steward: actor.is_steward,
            balance_minor: account.balance_minor,
            floor_minor: account.floor_minor,
            ceiling_minor: account.ceiling_minor,
        },
    }))
}

/// A circle's `{slug}` and an entry's `{seq}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SeqPath {
    /// The circle's short name.
    pub slug: String,
    /// The entry's position in the circle's log.
    pub seq: u64,
}

/// The circle's active members.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Members)]
pub struct MembersJson {
    pub members: Vec<MemberJson>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Member)]
pub struct MemberJson {
    pub username: String,
    pub display_name: String,
    /// Their account key in this circle, hex.
    pub account_key: String,
}

/// The circle's active members.
#[utoipa::path(get, path = "/api/v1/circles/{slug}/members", tag = "ledger", params(SlugPath),
    responses((status = 200, description = "The members.", body = MembersJson)))]
pub async fn members(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
) -> ApiResult<MembersJson> {
    let cards: Vec<_> = state
        .services
        .directory(&actor, "")
        .await?
        .into_iter()
        .map(|found| found.card)
        .collect();
    Ok(Json(MembersJson {
        members: cards
            .iter()
            .map(|card| MemberJson {
                username: card.username.clone(),
                display_name: card.display_name.clone(),
                account_key: card.account_key.to_hex(),
            })
            .collect(),
    }))
}

/// A page of entries, newest first.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Only entries before this sequence number.
    #[param(minimum = 0)]
    before: Option<i64>,
    /// How many entries, 1 to 500 (100 when not given).
    #[param(minimum = 1, maximum = 500, default = 100)]
    limit: Option<i64>,
}

/// A count or position from the query: 0 or more, as documented (the schema's integers are
/// 64-bit signed, so a larger number is refused, not wrapped).
pub(super) fn non_negative(name: &str, value: Option<i64>) -> Result<Option<u64>, ApiError> {
    value
        .map(|value| {
            u64::try_from(value).map_err(|_| {
                api_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    format!("{name} is 0 or more."),
                )
            })
        })
        .transpose()
}

/// A page's `limit`: 1 to [`API_PAGE_ENTRIES_MAX`] (100 when not given); anything else is
/// refused as the documented contract says, not quietly changed.
pub(super) fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
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

/// A page of the circle's ledger, with the latest signed tree head.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Entries)]
pub struct EntriesJson {
    pub entries: Vec<EntryJson>,
    /// Pass as `before` for the next (older) page; null on the last page.
    pub next_before: Option<u64>,
    pub tree_head: TreeHeadJson,
}

/// The node's signed summary of the whole log: any entry can be proven to be in it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = TreeHead)]
pub struct TreeHeadJson {
    pub tree_size: u64,
    /// The Merkle root over every entry, hex.
    pub root: String,
    pub timestamp_ms: i64,
    /// The node's ed25519 signature over the head, hex.
    pub signature: String,
}

/// The circle's ledger, newest first, with the latest signed tree head.
#[utoipa::path(get, path = "/api/v1/circles/{slug}/entries", tag = "ledger",
    params(SlugPath, PageQuery),
    responses((status = 200, description = "A page of entries.", body = EntriesJson)))]
pub async fn entries(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<EntriesJson> {
    let limit = page_limit(query.limit)? as u64;
    let before = non_negative("before", query.before)?;
    let slice = state
        .services
        .ledger_slice(
            &actor.circle,
            before,
            limit,
            crate::ledger::form::LedgerKind::All,
            None,
        )
        .await?;
    let head = slice.head;
    let from = slice.before.saturating_sub(limit);
    Ok(Json(EntriesJson {
        entries: slice
            .entries
            .iter()
            .zip(slice.signatures_ok)
            .map(|(stored, ok)| EntryJson::new(stored, ok))
            .collect(),
        next_before: (from > 0).then_some(from),
        tree_head: TreeHeadJson {
            tree_size: head.tree_size,
            root: head.root.to_hex(),
            timestamp_ms: head.timestamp_ms,
            signature: head.signature.to_hex(),
        },
    }))
}

/// A page of my account's entries.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Statement)]
pub struct StatementJson {
    pub entries: Vec<EntryJson>,
    /// Pass as `before` for the next (older) page; null on the last page.
    pub next_before: Option<u64>,
}

/// My account's entries, newest first.
#[utoipa::path(get, path = "/api/v1/circles/{slug}/statement", tag = "ledger",
    params(SlugPath, PageQuery),
    responses((status = 200, description = "A page of my entries.", body = StatementJson)))]
pub async fn statement(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<StatementJson> {
    let keys = state.services.my_keys(&actor).await?;
    let limit = page_limit(query.limit)?;
    let before = non_negative("before", query.before)?;
    let page = state
        .services
        .my_entries(&actor, &keys, before, limit)
        .await?;
    Ok(Json(StatementJson {
        entries: entries_json(&state, &page),
        next_before: (page.len() as i64 == limit)
            .then(|| page.last().map(|s| s.entry.seq))
            .flatten(),
    }))
}

/// Open payment requests I am part of.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Requests)]
pub struct RequestsJson {
    /// The request-payment entries still open.
    pub requests: Vec<EntryJson>,
}

/// Open payment requests I am part of (to pay or to be paid).
#[utoipa::path(get, path = "/api/v1/circles/{slug}/requests", tag = "ledger", params(SlugPath),
    responses((status = 200, description = "Open requests.", body = RequestsJson)))]
pub async fn requests(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
) -> ApiResult<RequestsJson> {
    let keys = state.services.my_keys(&actor).await?;
    let open = state
        .services
        .my_open_requests(&actor, &keys, LIST_ENTRIES_MAX)
        .await?;
    Ok(Json(RequestsJson {
        requests: entries_json(&state, &open),
    }))
}

/// A payment or a payment request.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = Payment)]
pub struct PaymentBody {
    /// The payee's (or, for a request, the payer's) username.
    member: String,
    /// In the circle's unit, as text ("12.50"); never a float.
    amount: String,
    /// What it is for (at most 280 characters).
    #[serde(default)]
    memo: String,
}

/// The entry a call appended (or, for a retry, the entry the first call appended).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Appended)]
pub struct AppendedJson {
    pub seq: u64,
    /// The entry's hash, hex.
    pub hash: String,
    /// True when this answers a retry: the entry was already there and nothing was written.
    pub duplicate: bool,
}

impl From<commons_ledger::store::Appended> for AppendedJson {
    fn from(appended: commons_ledger::store::Appended) -> Self {
        AppendedJson {
            seq: appended.seq,
            hash: appended.hash.to_hex(),
            duplicate: appended.duplicate,
        }
    }
}

/// The `Idempotency-Key` header, as the document describes it.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyHeader {
    /// 16 to 64 letters, digits, - or _; the same for every retry of one payment. A retry with
    /// the same key answers the first entry (with "duplicate": true) and never writes twice.
    #[param(
        rename = "Idempotency-Key",
        min_length = 16,
        max_length = 64,
        pattern = "^[A-Za-z0-9_-]{16,64}$"
    )]
    #[allow(dead_code)]
    idempotency_key: String,
}

/// Pay a member. Session only: the node signs with my unsealed key; with a token the answer
/// is 409 sign_it_yourself.
#[utoipa::path(post, path = "/api/v1/circles/{slug}/payments", tag = "ledger",
    params(SlugPath, IdempotencyHeader), request_body = PaymentBody,
    responses((status = 200, description = "The payment's entry.", body = AppendedJson)))]
pub async fn pay(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PaymentBody>,
) -> ApiResult<AppendedJson> {
    transfer(&state, &actor, &headers, &body, false).await
}

/// A payment, or a request to be paid, from the API's body and its `Idempotency-Key`.
async fn transfer(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    body: &PaymentBody,
    requesting: bool,
) -> ApiResult<AppendedJson> {
    let attempt = idempotency_key(headers)?;
    let command = TransferCommand::parse(&actor.circle, &body.member, &body.amount, &body.memo)?;
    let done = if requesting {
        state
            .services
            .request_payment(actor, &command, &attempt)
            .await?
    } else {
        state.services.pay(actor, &command, &attempt).await?
    };
    Ok(Json(done.appended.into()))
}

/// The `Idempotency-Key` header every call that moves money must carry: a retry with the same
/// key answers the first result (the same entry) and never writes twice.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
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

/// Ask a member to pay me (`member` is who is asked to pay). Session only, as for payments.
#[utoipa::path(post, path = "/api/v1/circles/{slug}/payment-requests", tag = "ledger",
    params(SlugPath, IdempotencyHeader), request_body = PaymentBody,
    responses((status = 200, description = "The request's entry.", body = AppendedJson)))]
pub async fn request_payment(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PaymentBody>,
) -> ApiResult<AppendedJson> {
    transfer(&state, &actor, &headers, &body, true).await
}

/// How to answer a payment request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    /// Pay it.
    Accept,
    /// Close it unpaid.
    Decline,
}

/// A circle's `{slug}`, a request's `{seq}` and the `{answer}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AnswerPath {
    /// The circle's short name.
    pub slug: String,
    /// The request's entry.
    pub seq: u64,
    #[param(inline)]
    pub answer: Answer,
}

/// Accept (pay) or decline a payment request made to me. Session only for accept, as for
/// payments.
#[utoipa::path(post, path = "/api/v1/circles/{slug}/requests/{seq}/{answer}", tag = "ledger",
    params(AnswerPath),
    responses((status = 200, description = "The answer's entry.", body = AppendedJson)))]
pub async fn answer_request(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    ApiPath(AnswerPath {
        slug: _,
        seq,
        answer,
    }): ApiPath<AnswerPath>,
) -> ApiResult<AppendedJson> {
    let result = match answer {
        Answer::Accept => state.services.accept_request(&actor, seq).await?,
        Answer::Decline => state.services.close_request(&actor, seq).await?,
    };
    Ok(Json(result.into()))
}
