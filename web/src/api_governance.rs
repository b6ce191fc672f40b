//! The decisions' JSON API under `/api/v1/circles/{slug}/proposals…`: proposals with their rounds,
//! counts and the caller's receipt, ballots (a choice the node signs with the member's sealed
//! key, or bytes the member signed themselves), and a closed round's export. The same services
//! as the pages; documented in `docs/openapi.json`.

#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use commons_governance::store::Proposal;
use commons_ledger::keys::{decode_hex_vec, Signature};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{actor, api_error, ApiError, ApiJson, ApiPath, ApiQuery};
use crate::governance::{RoundView, LIVE_COUNT_BALLOTS_MAX};
use crate::AppState;

type ApiResult = Result<Json<Value>, ApiError>;

fn proposal_json(p: &Proposal) -> Value {
    json!({
        "number": p.number,
        "title": p.draft.title,
        "body": p.draft.body,
        "status": p.status.as_str(),
        "method": p.draft.method.name(),
        "seats": match p.draft.method {
            commons_governance::proposal::Method::Stv { seats } => Some(seats),
            _ => None,
        },
        "options": p.draft.options,
        "quorum_percent": p.draft.quorum_percent,
        "threshold_percent": p.draft.threshold_percent,
        "delegation": p.draft.delegation,
        "hide_results": p.draft.hide_results,
        "actions": p.draft.actions.len(),
        "round": p.round,
        "created_at_ms": p.created_at_ms,
        "updated_at_ms": p.updated_at_ms,
        "enacted_seq": p.enacted_seq,
    })
}

fn round_json(view: &RoundView) -> Value {
    let r = &view.round;
    let d = &r.definition;
    json!({
        "round": r.round,
        "definition_hash": r.definition_hash.to_hex(),
        "definition": hex::encode(d.encode()),
        "opens_at_ms": d.opens_at_ms,
        "closes_at_ms": d.closes_at_ms,
        "electorate": d.electorate.len(),
        "ballots": r.ballot_count,
        "decision": r.decision,
        "results_hidden": view.hidden,
        "count": if view.hidden { None } else { view.recount.as_ref().map(|c| json!({
            "count": c.count,
            "outcome": c.outcome,
            "participation": c.participation,
            "board_root": c.board.root().to_hex(),
        })) },
    })
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    v: crate::session::Visitor,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let lists = state.services.proposal_lists(&actor).await?;
    let all: Vec<Value> = lists
        .voting
        .iter()
        .chain(&lists.discussion)
        .chain(&lists.my_drafts)
        .chain(&lists.decided)
        .map(proposal_json)
        .collect();
    Ok(Json(json!({ "proposals": all })))
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    v: crate::session::Visitor,
    ApiPath((slug, number)): ApiPath<(String, i64)>,
) -> ApiResult {
    let actor = actor(&state, &v, &slug).await?;
    let view = state.services.proposal_view(&actor, number).await?;
    let mut body = proposal_json(&view.proposal);
    body["rounds"] = Value::Array(view.rounds.iter().map(round_json).collect());
    body["eligible"] = json!(view.eligible);
    body["my_receipt"] = json!(view.my_ballot.as_ref().map(|b| json!({
        "receipt": b.receipt.to_hex(),
        "on_board": b.inclusion.as_ref().map(|(index, size, proof, root, verified)| json!({
            "index": index,
            "size": size,
            "proof": proof.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
            "root": root.to_hex(),
            "verified": verified,
        })),
    })));
    body["live_count_ballots_max"] = json!(LIVE_COUNT_BALLOTS_MAX);
    Ok(Json(body))
}

/// A ballot: either the fields of the page's form (`position`, `stance` and `reason`,
/// `approve-N`, `score-N`, `rank-N`), which the node signs with the member's sealed key, or
/// `signed`: bytes and signature the member made with their own key (`commons vote`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotBody {
    #[serde(default)]
    choice: std::collections::BTreeMap<String, String>,
    signed: Option<SignedBody>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedBody {
    bytes: String,
    signature: String,
}

pub async fn ballot(
    State(state): State<Arc<AppState>>,
    v: crate::session::Visitor,
    ApiPath((slug, number)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<BallotBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = actor(&state, &v, &slug).await?;
    let receipt = match body.signed {
        Some(signed) => {
            let bytes = decode_hex_vec(&signed.bytes).ok_or_else(|| {
                api_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    "bytes: lowercase hex",
                )
            })?;
            let signature = Signature::from_hex(&signed.signature).map_err(|e| {
                api_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    format!("signature: {e}"),
                )
            })?;
            state
                .services
                .cast_signed(&actor, number, bytes, signature)
                .await?
        }
        None => {
            let fields: Vec<(String, String)> = body.choice.into_iter().collect();
            state.services.vote(&actor, number, &fields).await?
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(json!({ "receipt": receipt.to_hex() })),
    ))
}

#[derive(Debug, Deserialize)]
pub struct RoundQuery {
    round: Option<u32>,
}

/// A closed round's export (JSON Lines), as the page's download.
pub async fn ballots(
    State(state): State<Arc<AppState>>,
    v: crate::session::Visitor,
    ApiPath((slug, number)): ApiPath<(String, i64)>,
    ApiQuery(query): ApiQuery<RoundQuery>,
) -> Result<Response, ApiError> {
    let actor = actor(&state, &v, &slug).await?;
    let (text, _) = state
        .services
        .round_export(&actor, number, query.round)
        .await?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jsonl; charset=utf-8"),
    );
    Ok(response)
}
