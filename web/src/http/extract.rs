//! Extractors that carry the web space's invariants, so a handler cannot forget them: an
//! [`Actor`] argument means the path's `{slug}` names a circle the visitor is an active member
//! of (else the page answers 404, or the login page); [`Steward`] means they steward it (else
//! 403); [`ApiActor`] is the same for the JSON API (its refusals are the API's envelope, and a
//! token bound to one circle opens no other).

use std::sync::Arc;

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::StatusCode;

use crate::capability::FullAccount;
use crate::http::api::{api_error, ApiError};
use crate::http::error::AppError;
use crate::http::session::Visitor;
use crate::services::{ActionError, Actor};
use crate::AppState;

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Visitor>()
            .cloned()
            .ok_or_else(|| AppError::Internal("the visitor layer did not run".into()))
    }
}

/// A logged-in person who holds the whole account (see [`FullAccount`]): a visitor who is not
/// logged in is sent to the login page, and a login a recovery link gave gets the translated
/// refusal page (403). Every route that changes the account itself takes this extractor; a
/// test walks the router's table to keep it so (`tests/recovery.rs`).
impl<S: Send + Sync> FromRequestParts<S> for FullAccount {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let visitor = parts
            .extensions
            .get::<Visitor>()
            .ok_or_else(|| AppError::Internal("the visitor layer did not run".into()))?;
        let user = visitor.user.as_ref().ok_or(AppError::LoginRequired)?;
        Ok(FullAccount::of(user)?)
    }
}

/// The visitor and the circle slug of a circle route, or why there are none.
async fn visitor_and_slug(parts: &mut Parts) -> Result<(Visitor, String), AppError> {
    let visitor = parts
        .extensions
        .get::<Visitor>()
        .cloned()
        .ok_or_else(|| AppError::Internal("the visitor layer did not run".into()))?;
    let params = RawPathParams::from_request_parts(parts, &())
        .await
        .map_err(|_| AppError::NotFound)?;
    let slug = params
        .iter()
        .find(|(name, _)| *name == "slug")
        .map(|(_, value)| value.to_owned())
        .ok_or_else(|| AppError::Internal("a circle route without {slug}".into()))?;
    Ok((visitor, slug))
}

/// A member acting in the circle of the path's `{slug}`: an active membership with an open
/// account (see [`crate::services::Services::actor`]). A stranger gets 404, as if the circle
/// did not exist; a visitor who is not logged in is sent to the login page.
impl FromRequestParts<Arc<AppState>> for Actor {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let (visitor, slug) = visitor_and_slug(parts).await?;
        let user = visitor.user.as_ref().ok_or(AppError::LoginRequired)?;
        Ok(state.services.actor(user, &slug, visitor.session).await?)
    }
}

/// The member acting in a circle named by a form field rather than the path (registering one's
/// own key, on the settings page): the same check as the [`Actor`] extractor.
pub(crate) async fn actor_named(
    state: &AppState,
    visitor: &Visitor,
    slug: &str,
) -> Result<Actor, AppError> {
    let user = visitor.user.as_ref().ok_or(AppError::LoginRequired)?;
    Ok(state.services.actor(user, slug, visitor.session).await?)
}

/// A steward of the circle of the path's `{slug}`; any other member gets 403.
#[derive(Debug)]
pub struct Steward(pub Actor);

impl FromRequestParts<Arc<AppState>> for Steward {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let actor = Actor::from_request_parts(parts, state).await?;
        if !actor.is_steward {
            return Err(AppError::Forbidden);
        }
        Ok(Steward(actor))
    }
}

/// A moderator of the circle of the path's `{slug}` (a steward, or a member a proposal
/// appointed); any other member gets 403.
#[derive(Debug)]
pub struct Moderator(pub Actor);

impl FromRequestParts<Arc<AppState>> for Moderator {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let actor = Actor::from_request_parts(parts, state).await?;
        if !state.services.is_moderator(&actor).await? {
            return Err(AppError::Forbidden);
        }
        // A suspended moderator does not moderate until the suspension ends.
        state.services.check_not_suspended(&actor)?;
        Ok(Moderator(actor))
    }
}

/// A member acting through the JSON API in the circle of the path's `{slug}`: refusals are the
/// API's envelope (401 without a token or session, 404 for a circle that is not theirs, or not
/// the one their token is bound to).
#[derive(Debug)]
pub struct ApiActor(pub Actor);

impl FromRequestParts<Arc<AppState>> for ApiActor {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let (visitor, slug) = visitor_and_slug(parts).await.map_err(|error| match error {
            AppError::NotFound => ApiError::from(ActionError::NotFound),
            other => api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("{other:?}"),
            ),
        })?;
        crate::http::api::actor(state, &visitor, &slug)
            .await
            .map(ApiActor)
    }
}

/// A page's form body: one that cannot be read (a missing or mistyped field, a wrong content
/// type) answers the error page in the visitor's language, never axum's plain text.
#[derive(Debug)]
pub struct PageForm<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for PageForm<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(value)) => Ok(PageForm(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::BadRequest("error-form-too-large"))
            }
            Err(_) => Err(AppError::BadRequest("error-bad-form")),
        }
    }
}

/// A page's query string: one that cannot be read answers the error page.
#[derive(Debug)]
pub struct PageQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for PageQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| PageQuery(value))
            .map_err(|_| AppError::BadRequest("error-bad-link"))
    }
}

/// A page's path parameters: a part that does not parse (a number that is not one) is a page
/// that does not exist.
#[derive(Debug)]
pub struct PagePath<T>(pub T);

impl<T, S> FromRequestParts<S> for PagePath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| PagePath(value))
            .map_err(|_| AppError::NotFound)
    }
}
