//! The decisions' JSON API under `/api/v1/circles/{slug}/proposals…`: proposals with their rounds,
//! counts and the caller's receipt, ballots (a choice the node signs with the member's sealed
//! key, or bytes the member signed themselves), and a closed round's export. The same services
//! as the pages; every answer is a typed value the OpenAPI document ([`crate::api_doc`]) is
//! generated from.

#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use commons_governance::proposal::Method;
use commons_governance::store::Proposal;
use commons_ledger::keys::{decode_hex_vec, Signature};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::governance::{RoundView, LIVE_COUNT_BALLOTS_MAX};
use crate::http::api::{api_error, ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, SlugPath};
use crate::http::extract::ApiActor;
use crate::AppState;

/// Where a proposal is in its life.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ProposalStatus)]
pub enum ProposalStatusJson {
    Draft,
    Discussion,
    Voting,
    Paused,
    Closed,
    Enacted,
    Withdrawn,
}

impl From<commons_governance::policy::Status> for ProposalStatusJson {
    fn from(status: commons_governance::policy::Status) -> Self {
        use commons_governance::policy::Status;
        match status {
            Status::Draft => ProposalStatusJson::Draft,
            Status::Discussion => ProposalStatusJson::Discussion,
            Status::Voting => ProposalStatusJson::Voting,
            Status::Paused => ProposalStatusJson::Paused,
            Status::Closed => ProposalStatusJson::Closed,
            Status::Enacted => ProposalStatusJson::Enacted,
            Status::Withdrawn => ProposalStatusJson::Withdrawn,
        }
    }
}

/// How a proposal is decided.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Method)]
pub enum MethodJson {
    Majority,
    Consent,
    Approval,
    Score,
    Irv,
    Schulze,
    Stv,
}

impl From<&Method> for MethodJson {
    fn from(method: &Method) -> Self {
        match method {
            Method::Majority => MethodJson::Majority,
            Method::Consent => MethodJson::Consent,
            Method::Approval => MethodJson::Approval,
            Method::Score => MethodJson::Score,
            Method::Irv => MethodJson::Irv,
            Method::Schulze => MethodJson::Schulze,
            Method::Stv { .. } => MethodJson::Stv,
        }
    }
}

/// A proposal.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Proposal)]
pub struct ProposalJson {
    /// Its number in the circle.
    pub number: i64,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub status: ProposalStatusJson,
    pub method: MethodJson,
    /// For STV: how many seats.
    pub seats: Option<u16>,
    pub options: Vec<String>,
    pub quorum_percent: u8,
    pub threshold_percent: u8,
    pub delegation: bool,
    pub hide_results: bool,
    /// How many ledger actions it carries.
    pub actions: usize,
    /// The current voting round (0 before the first vote).
    pub round: u32,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// The entry that enacted it.
    pub enacted_seq: Option<i64>,
}

impl ProposalJson {
    fn new(p: &Proposal) -> ProposalJson {
        ProposalJson {
            number: p.number,
            title: p.draft.title.clone(),
            body: p.draft.body.clone(),
            status: p.status.into(),
            method: (&p.draft.method).into(),
            seats: match p.draft.method {
                Method::Stv { seats } => Some(seats),
                _ => None,
            },
            options: p.draft.options.clone(),
            quorum_percent: p.draft.quorum_percent,
            threshold_percent: p.draft.threshold_percent,
            delegation: p.draft.delegation,
            hide_results: p.draft.hide_results,
            actions: p.draft.actions.len(),
            round: p.round,
            created_at_ms: p.created_at_ms,
            updated_at_ms: p.updated_at_ms,
            enacted_seq: p.enacted_seq,
        }
    }
}

/// A voting round, frozen when voting opened.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Round)]
pub struct RoundJson {
    pub round: u32,
    /// The definition's hash, hex: what every ballot signs.
    pub definition_hash: String,
    /// The definition's canonical bytes, hex.
    pub definition: String,
    pub opens_at_ms: i64,
    pub closes_at_ms: i64,
    /// How many members may vote.
    pub electorate: usize,
    /// How many ballots were cast.
    pub ballots: i64,
    /// The decision recorded at the close (`commons tally` recounts it).
    #[schema(value_type = Option<Object>)]
    pub decision: Option<commons_governance::tally::Decision>,
    /// Running results are hidden until the close.
    pub results_hidden: bool,
    /// The count (at the close, or running when results are not hidden).
    pub count: Option<CountJson>,
}

/// A round's count.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Count)]
pub struct CountJson {
    /// The method's count (its shape depends on the method).
    #[schema(value_type = Object)]
    pub count: commons_governance::tally::Count,
    /// passed, rejected, no_quorum, or the winners.
    #[schema(value_type = Value)]
    pub outcome: commons_governance::tally::Outcome,
    /// Members who took part, directly or through a delegate.
    pub participation: u64,
    /// The ballot board's Merkle root, hex.
    pub board_root: String,
}

impl RoundJson {
    fn new(view: &RoundView) -> RoundJson {
        let r = &view.round;
        let d = &r.definition;
        RoundJson {
            round: r.round,
            definition_hash: r.definition_hash.to_hex(),
            definition: hex::encode(d.encode()),
            opens_at_ms: d.opens_at_ms,
            closes_at_ms: d.closes_at_ms,
            electorate: d.electorate.len(),
            ballots: r.ballot_count,
            decision: r.decision.clone(),
            results_hidden: view.hidden,
            count: if view.hidden {
                None
            } else {
                view.recount.as_ref().map(|c| CountJson {
                    count: c.count.clone(),
                    outcome: c.outcome.clone(),
                    participation: c.participation,
                    board_root: c.board.root().to_hex(),
                })
            },
        }
    }
}

/// The circle's proposals I may read.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Proposals)]
pub struct ProposalsJson {
    /// In voting, in discussion, my drafts, then decided.
    pub proposals: Vec<ProposalJson>,
}

/// The circle's proposals: in voting, in discussion, my drafts, and decided.
#[utoipa::path(get, path = "/api/v1/circles/{slug}/proposals", tag = "decisions",
    operation_id = "proposals", params(SlugPath),
    responses((status = 200, description = "The proposals.", body = ProposalsJson)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
) -> ApiResult<ProposalsJson> {
    let lists = state.services.proposal_lists(&actor).await?;
    let proposals = lists
        .voting
        .iter()
        .chain(&lists.discussion)
        .chain(&lists.my_drafts)
        .chain(&lists.decided)
        .map(ProposalJson::new)
        .collect();
    Ok(Json(ProposalsJson { proposals }))
}

/// One proposal with its rounds, whether I may vote, and my receipt.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProposalDetail)]
pub struct ProposalDetailJson {
    #[serde(flatten)]
    pub proposal: ProposalJson,
    pub rounds: Vec<RoundJson>,
    /// Whether I may vote in the open round.
    pub eligible: bool,
    /// My latest ballot's receipt.
    pub my_receipt: Option<ReceiptJson>,
    /// Above this many ballots the running count is not shown.
    pub live_count_ballots_max: i64,
}

/// A ballot's receipt and, once the round closed, its place on the ballot board.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Receipt)]
pub struct ReceiptJson {
    /// The ballot's hash, hex.
    pub receipt: String,
    pub on_board: Option<OnBoardJson>,
}

/// The proof that a ballot is on the published board.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OnBoard)]
pub struct OnBoardJson {
    pub index: usize,
    pub size: usize,
    /// The audit path, hex hashes.
    pub proof: Vec<String>,
    /// The board's root, hex.
    pub root: String,
    /// Whether the node checked the proof against the root.
    pub verified: bool,
}

/// A circle's `{slug}` and a proposal's `{number}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct NumberPath {
    /// The circle's short name.
    pub slug: String,
    /// The proposal's number in its circle.
    #[param(minimum = 1)]
    pub number: i64,
}

/// One proposal, with its frozen voting rounds (definition hash and canonical bytes in hex,
/// times, electorate size, ballots, the recorded decision, and the count unless results are
/// hidden), whether I may vote, and my latest receipt with its proof once the round closed.
#[utoipa::path(get, path = "/api/v1/circles/{slug}/proposals/{number}", tag = "decisions",
    operation_id = "proposal", params(NumberPath),
    responses((status = 200, description = "The proposal.", body = ProposalDetailJson)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    ApiPath(NumberPath { slug: _, number }): ApiPath<NumberPath>,
) -> ApiResult<ProposalDetailJson> {
    let view = state.services.proposal_view(&actor, number).await?;
    Ok(Json(ProposalDetailJson {
        proposal: ProposalJson::new(&view.proposal),
        rounds: view.rounds.iter().map(RoundJson::new).collect(),
        eligible: view.eligible,
        my_receipt: view.my_ballot.as_ref().map(|b| ReceiptJson {
            receipt: b.receipt.to_hex(),
            on_board: b
                .inclusion
                .as_ref()
                .map(|(index, size, proof, root, verified)| OnBoardJson {
                    index: *index,
                    size: *size,
                    proof: proof.iter().map(|h| h.to_hex()).collect(),
                    root: root.to_hex(),
                    verified: *verified,
                }),
        }),
        live_count_ballots_max: LIVE_COUNT_BALLOTS_MAX,
    }))
}

/// A ballot: either the fields of the page's form (`position`, `stance` and `reason`,
/// `approve-N`, `score-N`, `rank-N`), which the node signs with the member's sealed key, or
/// `signed`: bytes and signature the member made with their own key (`commons vote`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Ballot)]
pub struct BallotBody {
    /// The page form's fields, by name.
    #[serde(default)]
    choice: std::collections::BTreeMap<String, String>,
    signed: Option<SignedBody>,
}

/// A ballot I signed with my own key (`commons vote`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SignedBallot)]
pub struct SignedBody {
    /// The ballot's canonical bytes, lowercase hex.
    bytes: String,
    /// My ed25519 signature over them, 128 hex digits.
    signature: String,
}

/// A cast ballot's receipt.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = BallotReceipt)]
pub struct BallotReceiptJson {
    /// The ballot's hash, hex: find it on the board when the round closes.
    pub receipt: String,
}

/// Vote in the open round (a later ballot replaces an earlier one).
#[utoipa::path(post, path = "/api/v1/circles/{slug}/proposals/{number}/ballot",
    tag = "decisions", params(NumberPath), request_body = BallotBody,
    responses((status = 201, description = "The receipt.", body = BallotReceiptJson)))]
pub async fn ballot(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    ApiPath(NumberPath { slug: _, number }): ApiPath<NumberPath>,
    ApiJson(body): ApiJson<BallotBody>,
) -> Result<(StatusCode, Json<BallotReceiptJson>), ApiError> {
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
                .cast_signed(&state.services.writer(&actor)?, number, bytes, signature)
                .await?
        }
        None => {
            let fields: Vec<(String, String)> = body.choice.into_iter().collect();
            state.services.vote(&actor, number, &fields).await?
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(BallotReceiptJson {
            receipt: receipt.to_hex(),
        }),
    ))
}

/// Which round.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoundQuery {
    /// The round (default: the latest closed one).
    #[param(minimum = 1)]
    round: Option<u32>,
}

/// A closed round's export as JSON Lines (the definition, every ballot and delegation, the
/// decision), for `commons tally` to recount offline.
#[utoipa::path(get, path = "/api/v1/circles/{slug}/proposals/{number}/ballots",
    tag = "decisions", params(NumberPath, RoundQuery),
    responses((status = 200, description = "The round's export.",
        content_type = "application/jsonl", body = String)))]
pub async fn ballots(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    ApiPath(NumberPath { slug: _, number }): ApiPath<NumberPath>,
    ApiQuery(query): ApiQuery<RoundQuery>,
) -> Result<Response, ApiError> {
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
