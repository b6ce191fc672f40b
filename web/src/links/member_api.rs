//! The member's JSON API for linked circles (under `/api/v1/`): the circles I can pay across,
//! and paying a member of one. Who may: a member of the circle (`ApiActor`: anyone else gets
//! 404). Paying is session only, as for payments within the circle: the node signs with the
//! member's unsealed key; with a token the answer is 409 `sign_it_yourself`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::api::{api_error, ApiError, ApiJson, ApiResult, SlugPath};
use crate::http::extract::ApiActor;
use crate::ledger::api::{idempotency_key, IdempotencyHeader};
use crate::links::{CrossResult, LinkedCircle};
use crate::AppState;

/// The circles a member can pay across now.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LinkedCircles)]
pub struct LinkedCirclesJson {
    pub circles: Vec<LinkedCircleJson>,
}

/// A linked circle, open on both sides.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LinkedCircle)]
pub struct LinkedCircleJson {
    /// What to name it when paying: its short name on this node, or its address on another
    /// (`https://node.example/c/repair`).
    pub circle: String,
    pub name: String,
    pub unit_name: String,
    pub unit_symbol: String,
    /// Its unit's decimal places.
    pub decimals: u8,
    /// `rate_here_minor` of this circle's minor units are worth `rate_there_minor` of the
    /// linked circle's (both circles' proposals agreed on it).
    pub rate_here_minor: i64,
    pub rate_there_minor: i64,
}

impl From<&LinkedCircle> for LinkedCircleJson {
    fn from(linked: &LinkedCircle) -> Self {
        let partner = &linked.partner;
        LinkedCircleJson {
            circle: partner.reference.clone(),
            name: partner.name.clone(),
            unit_name: partner.unit_name.clone(),
            unit_symbol: partner.unit_symbol.clone(),
            decimals: partner.decimals,
            rate_here_minor: linked.link.terms.rate_here_minor,
            rate_there_minor: linked.link.terms.rate_there_minor,
        }
    }
}

/// The circles I can pay across: linked by a proposal in each circle, and open.
#[utoipa::path(get, path = "/api/v1/circles/{slug}/links", tag = "ledger", params(SlugPath),
    responses((status = 200, description = "The linked circles.", body = LinkedCirclesJson)))]
pub async fn links(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
) -> ApiResult<LinkedCirclesJson> {
    let circles = state.services.payable_circles(&actor).await?;
    Ok(Json(LinkedCirclesJson {
        circles: circles.iter().map(LinkedCircleJson::from).collect(),
    }))
}

/// A payment to a member of a linked circle.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = PaymentAcross)]
pub struct PaymentAcrossBody {
    /// The linked circle, as `/links` names it.
    circle: String,
    /// The payee's username there.
    member: String,
    /// In this circle's unit, as text ("1.50"); never a float.
    amount: String,
    /// What it is for (at most 280 characters).
    #[serde(default)]
    memo: String,
}

/// How a payment across stands.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SentAcross)]
pub struct SentAcrossJson {
    /// `completed`: recorded in both circles. `pending`: held here and on its way; the node
    /// finishes it, and a retry with the same Idempotency-Key asks again (it never pays twice).
    pub state: &'static str,
    pub circle: String,
    pub member: String,
    pub display_name: String,
    /// Taken from me, in this circle's minor units.
    pub amount_minor: i64,
    /// Given to the payee, in their circle's minor units (rounded down at each link).
    pub amount_there_minor: i64,
}

/// Pay a member of a linked circle. 200 when it is recorded on both sides, 202 while it is
/// on its way; a payment the other circle refused moved nothing (422 `refused_across`).
#[utoipa::path(post, path = "/api/v1/circles/{slug}/payments/across", tag = "ledger",
    params(SlugPath, IdempotencyHeader), request_body = PaymentAcrossBody,
    responses(
        (status = 200, description = "Paid: on both ledgers.", body = SentAcrossJson),
        (status = 202, description = "On its way: held here.", body = SentAcrossJson)))]
pub async fn pay_across(
    State(state): State<Arc<AppState>>,
    ApiActor(actor): ApiActor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PaymentAcrossBody>,
) -> Result<(StatusCode, Json<SentAcrossJson>), ApiError> {
    let attempt = idempotency_key(&headers)?;
    let services = &state.services;
    let command = services
        .cross_command(&actor, &body.circle, &body.member, &body.amount, &body.memo)
        .await?;
    let (quote, result) = services.pay_across(&actor, &command, &attempt).await?;
    let (status, stands) = match result {
        CrossResult::Paid => (StatusCode::OK, "completed"),
        CrossResult::OnItsWay => (StatusCode::ACCEPTED, "pending"),
        CrossResult::Refused { code, message } => {
            return Err(api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "refused_across",
                format!(
                    "The other circle refused this payment ({code}): {message}. Nothing moved."
                ),
            ))
        }
    };
    let amount_received_minor = quote.amount_received_minor();
    Ok((
        status,
        Json(SentAcrossJson {
            state: stands,
            circle: command.circle.clone(),
            member: quote.payee.username,
            display_name: quote.payee.display_name,
            amount_minor: quote.amount_minor,
            amount_there_minor: amount_received_minor,
        }),
    ))
}
