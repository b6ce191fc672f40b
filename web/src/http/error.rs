//! The one error type of the web edge: person-facing errors become 4xx pages with a message,
//! internal errors an opaque 500 that is logged with the request id.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::services::ActionError;

/// What went wrong while answering a request.
#[derive(Debug)]
pub enum AppError {
    /// No such page, or a circle page the visitor is not a member of (the same answer, so that
    /// outsiders learn nothing about a circle).
    NotFound,
    /// A logged-in member may not do this (e.g. a steward's page).
    Forbidden,
    /// The page needs a login.
    LoginRequired,
    /// A login a recovery link gave tried to change the account itself.
    RecoveredLogin,
    /// A request that cannot be understood (its catalogue message id).
    BadRequest(&'static str),
    TooManyRequests,
    /// A new member's daily allowance is used (the catalogue message says which and what to do).
    Sandboxed(&'static str),
    /// The circle's moderators suspended the member until then (ms).
    Suspended(i64),
    /// The ledger refused an entry: shown with the ledger's numbers in the member's language.
    Refused(commons_ledger::state::Refusal),
    /// Anything else: logged, never shown.
    Internal(String),
}

/// Marks a response as an error for the error-page layer, which renders it in the visitor's
/// language inside the site's layout.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub message_id: &'static str,
    /// For a ledger refusal: the refusal, rendered in the visitor's language.
    pub refusal: Option<commons_ledger::state::Refusal>,
    /// For a suspension: when it ends.
    pub until_ms: Option<i64>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut refusal = None;
        let mut until_ms = None;
        let (status, message_id) = match self {
            AppError::NotFound => (StatusCode::NOT_FOUND, "error-not-found"),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "error-forbidden"),
            AppError::LoginRequired => (StatusCode::UNAUTHORIZED, "error-login-required"),
            AppError::RecoveredLogin => (StatusCode::FORBIDDEN, "error-recovered-login"),
            AppError::BadRequest(id) => (StatusCode::BAD_REQUEST, id),
            AppError::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "error-too-many"),
            AppError::Sandboxed(id) => (StatusCode::TOO_MANY_REQUESTS, id),
            AppError::Suspended(until) => {
                until_ms = Some(until);
                (StatusCode::FORBIDDEN, "moderation-suspended")
            }
            AppError::Refused(found) => {
                refusal = Some(found);
                (StatusCode::UNPROCESSABLE_ENTITY, "refused-title")
            }
            AppError::Internal(error) => {
                tracing::error!(%error, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
            }
        };
        let mut response = (status, message_id).into_response();
        response.extensions_mut().insert(ErrorPage {
            status,
            message_id,
            refusal,
            until_ms,
        });
        response
    }
}

impl From<ActionError> for AppError {
    fn from(error: ActionError) -> Self {
        match error {
            ActionError::NotFound => AppError::NotFound,
            ActionError::Forbidden => AppError::Forbidden,
            ActionError::RecoveredLogin => AppError::RecoveredLogin,
            ActionError::Busy | ActionError::TooManyAttempts => AppError::TooManyRequests,
            ActionError::Sandboxed(limit) => AppError::Sandboxed(limit.message_id()),
            ActionError::Suspended(until) => AppError::Suspended(until),
            ActionError::InvitationGone => AppError::BadRequest("error-invitation-gone"),
            ActionError::Invalid { message_id, .. } => AppError::BadRequest(message_id),
            ActionError::Fields(problems) => AppError::BadRequest(
                problems
                    .first()
                    .map_or("error-bad-form", |problem| problem.message_id),
            ),
            ActionError::Refused(refusal) => AppError::Refused(refusal),
            // Every other error a person can cause or fix says what to do.
            ActionError::Locked => AppError::BadRequest("unlock-relogin"),
            ActionError::KeyLost => AppError::BadRequest("error-key-lost"),
            ActionError::OwnKey => AppError::BadRequest("error-own-key"),
            ActionError::WrongPassword => AppError::BadRequest("error-password-wrong"),
            ActionError::UsernameTaken => AppError::BadRequest("error-username-taken"),
            ActionError::AlreadyMember => AppError::BadRequest("error-already-member"),
            other
            @ (ActionError::Store(_) | ActionError::Database(_) | ActionError::Custody(_)) => {
                AppError::Internal(other.to_string())
            }
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        AppError::Internal(error.to_string())
    }
}

impl From<commons_ledger::store::StoreError> for AppError {
    fn from(error: commons_ledger::store::StoreError) -> Self {
        AppError::from(ActionError::from(error))
    }
}

impl From<commons_market::store::MarketError> for AppError {
    fn from(error: commons_market::store::MarketError) -> Self {
        AppError::from(ActionError::from(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::membership::sandbox::SandboxLimit;

    #[test]
    fn a_used_sandbox_allowance_answers_429_with_the_message_that_says_what_to_do() {
        for limit in [
            SandboxLimit::Listings,
            SandboxLimit::Messages,
            SandboxLimit::Comments,
        ] {
            let response = AppError::from(ActionError::Sandboxed(limit)).into_response();
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
            let page = response
                .extensions()
                .get::<ErrorPage>()
                .expect("an error page");
            assert_eq!(page.message_id, limit.message_id());
        }
        let api = crate::http::api::ApiError::from(ActionError::Sandboxed(SandboxLimit::Listings));
        assert_eq!(api.envelope().error.code, "sandbox");
    }
}
