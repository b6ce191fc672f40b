//! The JSON API for members who hold their own key: appending requests they signed (one, or a
//! batch of up to 500, each applied as if posted alone), and inclusion proofs.

#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use commons_ledger::entry::{Body, SignedRequest};
use commons_ledger::export::Memo;
use commons_ledger::keys::{decode_hex, Signature};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::api::{
    api_error, ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorEnvelope, SlugPath,
};
use crate::http::extract::ApiActor;
use crate::services::{ActionError, Actor};
use crate::AppState;

use super::api::*;

/// A request signed by the member's own key (docs/ledger-format.md).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = SignedRequest)]
pub struct SignedBody {
    /// The canonical request bytes, hex.
    request: String,
    /// The author's ed25519 signature over them, 128 hex digits.
    signature: String,
    /// The memo the request commits to, if any.
    memo: Option<MemoBody>,
}

/// A memo and the salt its commitment in the request was made with.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = SignedMemo)]
pub struct MemoBody {
    /// 32 hex digits.
    salt: String,
    text: String,
}

/// A signed request as the API receives it, checked against the actor: well-formed, for this
/// circle, and authored by the actor's own account key.
pub(super) fn signed_of(
    actor: &Actor,
    body: SignedBody,
) -> Result<(SignedRequest, Option<Memo>), ApiError> {
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
    if signed.record.circle_id != actor.circle.circle_id {
        return Err(api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_circle",
            "This request is signed for another circle.",
        ));
    }
    if signed.record.author != actor.membership.account_key {
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
pub(super) async fn rotation_allowed(
    state: &AppState,
    actor: &Actor,
    signed: &SignedRequest,
) -> Result<(), ApiError> {
    if let Body::RotateKey { new, .. } = &signed.record.body {
        state
            .services
            .check_rotation_target(&actor.circle, new)
            .await?;
    }
    Ok(())
}

/// Append a request I signed myself (members who hold their own key; `commons pay --server`).
/// The author must be my account key in this circle.
#[utoipa::path(post, path = "/api/v1/circles/{slug}/entries", tag = "ledger",
    params(SlugPath), request_body = SignedBody,
    responses((status = 200, description = "The entry.", body = AppendedJson)))]
pub async fn submit_signed(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<SignedBody>,
) -> ApiResult<AppendedJson> {
    let (signed, memo) = signed_of(&actor, body)?;
    rotation_allowed(&state, &actor, &signed).await?;
    let result = state
        .services
        .append_own_signed(&state.services.writer(&actor)?, vec![(signed, memo)])
        .await?
        .pop()
        .ok_or(ActionError::Busy)??;
    Ok(Json(result.into()))
}

/// Most signed requests one batch takes (and the body limit applies as to any request).
pub const ENTRIES_BATCH_MAX: usize = 500;

/// Up to 500 requests signed by the member's own key.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = SignedBatch)]
pub struct SignedBatchBody {
    /// 1 to 500 signed requests.
    entries: Vec<SignedBody>,
}

/// Each batch entry's outcome, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = BatchResults)]
pub struct BatchResultsJson {
    pub results: Vec<BatchResultJson>,
}

/// One batch entry's outcome: its entry, or why it was refused.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = BatchResult)]
pub enum BatchResultJson {
    Appended(AppendedJson),
    Refused(ErrorEnvelope),
}

/// Append up to 500 requests signed by my own key. Each is checked and applied on its own, in
/// order, exactly as if posted one after another; the answer lists each one's entry or error,
/// in the same order.
#[utoipa::path(post, path = "/api/v1/circles/{slug}/entries/batch", tag = "ledger",
    params(SlugPath), request_body = SignedBatchBody,
    responses((status = 200, description = "Each entry's outcome.", body = BatchResultsJson)))]
pub async fn submit_signed_batch(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<SignedBatchBody>,
) -> ApiResult<BatchResultsJson> {
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
    let writer = state.services.writer(&actor)?;
    let mut appended = state
        .services
        .append_own_signed(&writer, valid)
        .await?
        .into_iter();
    let results: Vec<BatchResultJson> = malformed
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
                Ok(done) => BatchResultJson::Appended(done.into()),
                Err(error) => BatchResultJson::Refused(error.envelope()),
            }
        })
        .collect();
    Ok(Json(BatchResultsJson { results }))
}

/// An inclusion proof: the entry is leaf `seq` of the tree of `tree_size` entries.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Proof)]
pub struct ProofJson {
    pub seq: u64,
    pub tree_size: u64,
    /// The audit path (RFC 6962), hex hashes, from the leaf up.
    pub path: Vec<String>,
}

/// The proof that an entry is in the tree of a signed tree head.
#[utoipa::path(get, path = "/api/v1/circles/{slug}/entries/{seq}/proof", tag = "ledger",
    params(SeqPath, ProofQuery),
    responses((status = 200, description = "The inclusion proof.", body = ProofJson)))]
pub async fn proof(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    ApiPath(SeqPath { slug: _, seq }): ApiPath<SeqPath>,
    ApiQuery(query): ApiQuery<ProofQuery>,
) -> ApiResult<ProofJson> {
    let tree_size = non_negative("tree_size", query.tree_size)?;
    let (tree_size, path) = state
        .services
        .inclusion_proof(&actor.circle, seq, tree_size)
        .await?;
    Ok(Json(ProofJson {
        seq,
        tree_size,
        path: path.iter().map(|hash| hash.to_hex()).collect(),
    }))
}

/// Which tree the proof is for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProofQuery {
    /// The tree head's size (default: the latest tree head).
    #[param(minimum = 0)]
    tree_size: Option<i64>,
}
