//! The kit every page handler uses, knowing no feature: answering a page (with a status),
//! the logged-in person, a circle's navigation and unit, a ledger refusal in words, a form's
//! field errors, unlocking a signing key with a password typed into a form, and `/healthz`.

#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use commons_ledger::state::Refusal;
use commons_ledger::store::CircleInfo;
use maud::Markup;
use serde::Deserialize;

use crate::db::User;
use crate::http::error::AppError;
use crate::http::session::Visitor;
use crate::services::{ActionError, Actor};
use crate::views::Unit;
use crate::views::{CircleNav, FormErrors};
use crate::AppState;

pub(crate) type AppState_ = State<Arc<AppState>>;
pub(crate) type PageResult = Result<Response, AppError>;

pub(crate) fn page(markup: Markup) -> Response {
    Html(markup.into_string()).into_response()
}

pub(crate) fn page_with_status(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

pub(crate) fn user_of(v: &Visitor) -> Result<&User, AppError> {
    v.user.as_ref().ok_or(AppError::LoginRequired)
}

pub(crate) fn nav_for(actor: &Actor, current: &'static str) -> CircleNav {
    CircleNav {
        slug: actor.circle.slug.clone(),
        name: actor.circle.name.clone(),
        is_steward: actor.is_steward,
        current,
    }
}

pub(crate) fn unit_of(info: &CircleInfo) -> Unit {
    Unit {
        decimals: info.decimals,
        symbol: info.unit_symbol.clone(),
        name: info.unit_name.clone(),
    }
}

/// The member-facing sentence for a ledger refusal, in the visitor's language.
pub fn refusal_text(v: &Visitor, refusal: &Refusal) -> String {
    let tr = &v.tr;
    match refusal {
        Refusal::InsufficientCredit {
            balance,
            floor,
            available,
        } => tr.ta(
            "refusal-insufficient-credit",
            &[
                ("balance", &balance.to_string()),
                ("floor", &floor.to_string()),
                ("available", &available.to_string()),
            ],
        ),
        Refusal::CeilingExceeded {
            balance,
            ceiling,
            room,
        } => tr.ta(
            "refusal-ceiling-exceeded",
            &[
                ("balance", &balance.to_string()),
                ("ceiling", &ceiling.to_string()),
                ("room", &room.to_string()),
            ],
        ),
        Refusal::NotAMember(_) => tr.t("refusal-not-a-member"),
        Refusal::PayerIsPayee => tr.t("refusal-payer-is-payee"),
        Refusal::AmountOutOfRange { max, .. } => {
            tr.ta("refusal-amount-out-of-range", &[("max", max)])
        }
        Refusal::UnknownRequest(_) => tr.t("refusal-unknown-request"),
        Refusal::NonceReused { seq } => tr.ta("refusal-already-sent", &[("seq", &seq.to_string())]),
        Refusal::InvalidLimits { floor, ceiling } => tr.ta(
            "refusal-invalid-limits",
            &[
                ("floor", &floor.to_string()),
                ("ceiling", &ceiling.to_string()),
            ],
        ),
        Refusal::LimitsExcludeBalance {
            balance,
            floor,
            ceiling,
        } => tr.ta(
            "refusal-limits-exclude-balance",
            &[
                ("balance", &balance.to_string()),
                ("floor", &floor.to_string()),
                ("ceiling", &ceiling.to_string()),
            ],
        ),
        Refusal::MemoTooLong(_) => tr.t("error-memo-long"),
        // Steward-only and protocol-level refusals keep the ledger's own (English) sentence.
        other => other.to_string(),
    }
}

/// Turns an action's error into form errors shown on the page, or a page-level error.
pub(crate) fn form_errors(
    v: &Visitor,
    error: ActionError,
    amount_field: &'static str,
) -> Result<FormErrors, AppError> {
    let tr = &v.tr;
    Ok(match error {
        ActionError::Refused(refusal) => FormErrors::one(amount_field, refusal_text(v, &refusal)),
        ActionError::Invalid { field, message_id } => FormErrors::one(field, tr.t(message_id)),
        ActionError::Fields(problems) => FormErrors(
            problems
                .into_iter()
                .map(|problem| crate::views::FieldError {
                    field: problem.field,
                    message: tr.t(problem.message_id),
                })
                .collect(),
        ),
        ActionError::Locked => FormErrors::one("unlock_password", tr.t("error-locked")),
        ActionError::WrongPassword => {
            FormErrors::one("unlock_password", tr.t("error-password-wrong"))
        }
        ActionError::OwnKey => FormErrors::one(amount_field, tr.t("error-own-key")),
        ActionError::KeyLost => FormErrors::one(amount_field, tr.t("error-key-lost")),
        ActionError::UsernameTaken => FormErrors::one("username", tr.t("error-username-taken")),
        ActionError::AlreadyMember => FormErrors::one("agree", tr.t("error-already-member")),
        ActionError::Busy => FormErrors::one(amount_field, tr.t("error-busy")),
        ActionError::TooManyAttempts => {
            FormErrors::one("unlock_password", tr.t("error-too-many-logins"))
        }
        other => return Err(AppError::from(other)),
    })
}

/// When the session's key is not in memory, a password typed into the form unlocks it.
pub(crate) async fn unlock_if_given(
    state: &AppState,
    v: &Visitor,
    password: &str,
) -> Result<(), ActionError> {
    if password.is_empty() {
        return Ok(());
    }
    let (Some(user), Some(session)) = (&v.user, v.session) else {
        return Ok(());
    };
    if state.services.sealing_key(&session).is_some() {
        return Ok(());
    }
    state
        .services
        .unlock(user, session, password, v.address)
        .await
}

/// A link that was used, revoked or has expired (410 Gone, in words).
pub(crate) fn link_gone_page(v: &Visitor) -> Response {
    page_with_status(
        StatusCode::GONE,
        crate::views::message_page(
            v,
            &v.tr.t("invitation-gone-title"),
            &v.tr.t("error-invitation-gone"),
            None,
        ),
    )
}

pub(crate) fn is_locked(state: &AppState, v: &Visitor) -> bool {
    v.session
        .is_none_or(|session| state.services.sealing_key(&session).is_none())
}

pub async fn healthz(State(state): AppState_) -> Response {
    match state.services.healthy().await {
        Ok(_) => (StatusCode::OK, "ok").into_response(),
        Err(error) => {
            tracing::error!(%error, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct UnlockForm {
    #[serde(default)]
    pub(crate) unlock_password: String,
}

/// A redirect that leaves a flash message (a catalogue id and its arguments) for the next page.
pub(crate) fn flash_to(state: &AppState, to: &str, id: &str, args: &[(&str, &str)]) -> Response {
    crate::http::session::redirect_with_flash(
        to,
        crate::http::session::Flash::new(id, args),
        state.config.cookies_secure,
    )
}
