//! Page handlers: each reads the request, calls the services, and renders a view. No SQL and
//! no rules live here.

#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use commons_ledger::entry::{Action, Body, Cause, DOCUMENT_AGREEMENTS};
use commons_ledger::keys::PublicKey;
use commons_ledger::state::Refusal;
use commons_ledger::store::{now_ms, CircleInfo, StoredEntry};
use maud::{Markup, PreEscaped};
use serde::Deserialize;

use crate::db::{MemberStatus, User};
use crate::http::error::AppError;
use crate::http::extract::Steward;
use crate::http::session::{
    redirect_with_flash, set_cookie, Flash, Visitor, LANG_COOKIE, SESSION_COOKIE,
};
use crate::i18n::Tr;
use crate::services::{
    parse_amount, ActionError, Actor, IdempotencyKey, LoginNotice, NewCircle, SignUp, TokenRequest,
};
use crate::views::auth::{JoinForm, ProfileForm, SetupForm};
use crate::views::circle::{
    ActivityRow, HomeView, InvitationRow, LedgerRow, LedgerView, MemberRow, PayForm, RequestRow,
    Unit,
};
use crate::views::steward::{AccountLine, LimitsForm, PendingRow, SettingsForm};
use crate::views::{self, CircleNav, FormErrors};
use crate::{AppState, LedgerViewKey};

pub(crate) type AppState_ = State<Arc<AppState>>;
pub(crate) type PageResult = Result<Response, AppError>;

/// Entries per page of the circle's ledger.
pub const LEDGER_PAGE_ENTRIES: u64 = 50;
/// Lines per page of a statement.
pub const STATEMENT_PAGE_ENTRIES: i64 = 100;
/// Lines on the home page's recent activity.
pub const RECENT_ENTRIES: i64 = 8;
/// Most lines in a downloaded statement.
pub const STATEMENT_CSV_ENTRIES_MAX: usize = 100_000;

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
    if state.services.keyring.get(&session).is_some() {
        return Ok(());
    }
    state
        .services
        .unlock(user, session, password, v.address)
        .await
}

pub(crate) fn is_locked(state: &AppState, v: &Visitor) -> bool {
    v.session
        .is_none_or(|session| state.services.keyring.get(&session).is_none())
}

// ----- node pages -----

pub async fn front(State(state): AppState_, v: Visitor) -> PageResult {
    if state.services.is_new_node().await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    let Some(user) = &v.user else {
        return Ok(page(views::auth::welcome_page(&v)));
    };
    let circles = state.services.my_circles(user).await?;
    if circles.len() == 1 {
        return Ok(Redirect::to(&format!("/c/{}", circles[0].slug)).into_response());
    }
    let list: Vec<(String, String)> = circles.into_iter().map(|c| (c.slug, c.name)).collect();
    Ok(page(views::auth::my_circles_page(
        &v,
        &list,
        user.is_admin(),
    )))
}

pub async fn my_circles(State(state): AppState_, v: Visitor) -> PageResult {
    let user = user_of(&v)?;
    let circles = state.services.my_circles(user).await?;
    let list: Vec<(String, String)> = circles.into_iter().map(|c| (c.slug, c.name)).collect();
    Ok(page(views::auth::my_circles_page(
        &v,
        &list,
        user.is_admin(),
    )))
}

pub async fn new_circle_form(State(state): AppState_, v: Visitor) -> PageResult {
    let user = user_of(&v)?;
    if !user.is_admin() {
        return Err(AppError::Forbidden);
    }
    let form = SetupForm {
        unit_name: v.tr.t("default-unit-name"),
        unit_symbol: v.tr.t("default-unit-symbol"),
        floor: "-20".into(),
        ceiling: "40".into(),
        ..SetupForm::default()
    };
    Ok(page(views::auth::new_circle_page(
        &v,
        &form,
        &FormErrors::default(),
        is_locked(&state, &v),
    )))
}

#[derive(Debug, Deserialize, Default)]
pub struct NewCircleForm {
    #[serde(flatten)]
    circle: SetupForm,
    #[serde(default)]
    unlock_password: String,
}

pub async fn new_circle_submit(
    State(state): AppState_,
    v: Visitor,
    Form(form): Form<NewCircleForm>,
) -> PageResult {
    let user = user_of(&v)?;
    if !user.is_admin() {
        return Err(AppError::Forbidden);
    }
    let circle = NewCircle {
        slug: form.circle.slug.clone(),
        name: form.circle.circle_name.clone(),
        unit_name: form.circle.unit_name.clone(),
        unit_symbol: form.circle.unit_symbol.clone(),
        floor: form.circle.floor.clone(),
        ceiling: form.circle.ceiling.clone(),
    };
    let result = match unlock_if_given(&state, &v, &form.unlock_password).await {
        Ok(()) => state.services.start_circle(user, v.session, &circle).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(info) => Ok(redirect_with_flash(
            &format!("/c/{}", info.slug),
            Flash::new("flash-circle-started", &[("circle", &info.name)]),
            state.config.cookies_secure,
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "floor")
                .map(|errors| rename_field(errors, "name", "circle_name"))?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::auth::new_circle_page(&v, &form.circle, &errors, is_locked(&state, &v)),
            ))
        }
    }
}

pub async fn healthz(State(state): AppState_) -> Response {
    match state.services.db.user_count().await {
        Ok(_) => (StatusCode::OK, "ok").into_response(),
        Err(error) => {
            tracing::error!(%error, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    token: String,
}

/// The page that sets up a new node, only for whoever has the one-time address `commons serve`
/// printed on its console (a node exposed before setup cannot be taken by its first visitor).
pub async fn setup_form(
    State(state): AppState_,
    v: Visitor,
    Query(query): Query<SetupQuery>,
) -> PageResult {
    if !state.services.is_new_node().await? {
        return Err(AppError::NotFound);
    }
    if !state.services.setup_token_is(&query.token).await? {
        return Ok(page_with_status(
            StatusCode::FORBIDDEN,
            views::message_page(
                &v,
                &v.tr.t("setup-title"),
                &v.tr.t("setup-needs-token"),
                None,
            ),
        ));
    }
    let form = SetupForm {
        unit_name: v.tr.t("default-unit-name"),
        unit_symbol: v.tr.t("default-unit-symbol"),
        floor: "-20".into(),
        ceiling: "40".into(),
        token: query.token,
        ..SetupForm::default()
    };
    Ok(page(views::auth::setup_page(
        &v,
        &form,
        &FormErrors::default(),
    )))
}

pub async fn setup_submit(
    State(state): AppState_,
    v: Visitor,
    Form(form): Form<SetupForm>,
) -> PageResult {
    let sign_up = SignUp {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        password: form.password.clone(),
        language: Some(v.tr.lang().to_owned()),
    };
    let circle = NewCircle {
        slug: form.slug.clone(),
        name: form.circle_name.clone(),
        unit_name: form.unit_name.clone(),
        unit_symbol: form.unit_symbol.clone(),
        floor: form.floor.clone(),
        ceiling: form.ceiling.clone(),
    };
    match state
        .services
        .set_up_node(&form.token, &sign_up, &circle)
        .await
    {
        Ok((user, sealing, info)) => {
            let session = state
                .services
                .open_session(user.id, sealing, state.config.session_idle_ms)
                .await?;
            Ok(login_response(
                &state,
                &session.token,
                &format!("/c/{}", info.slug),
                None,
            ))
        }
        Err(error) => {
            let errors = form_errors(&v, error, "floor")
                .map(|errors| rename_field(errors, "name", "circle_name"))?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::auth::setup_page(&v, &form, &errors),
            ))
        }
    }
}

fn rename_field(mut errors: FormErrors, from: &str, to: &'static str) -> FormErrors {
    for error in &mut errors.0 {
        if error.field == from {
            error.field = to;
        }
    }
    errors
}

/// The answer to a login: the session cookie, the way on, and what to tell the person.
fn login_response(state: &AppState, token: &[u8; 32], to: &str, flash: Option<Flash>) -> Response {
    let mut response = match flash {
        Some(flash) => redirect_with_flash(to, flash, state.config.cookies_secure),
        None => Redirect::to(to).into_response(),
    };
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &crate::http::session::encode_token(token),
            None,
            state.config.cookies_secure,
        ),
    );
    response
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Only local paths are followed after login (no open redirects).
fn safe_next(next: &str) -> String {
    // A local path only: no scheme or authority, no backslash, no whitespace or control
    // characters (browsers drop tabs and newlines, so `/\t/evil.example` would become
    // `//evil.example`).
    let local = next.starts_with('/')
        && !matches!(next.as_bytes().get(1), Some(b'/') | Some(b'\\'))
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control());
    if local {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::{csv_text, safe_next};

    #[test]
    fn member_text_in_csv_never_runs_as_a_formula() {
        assert_eq!(
            csv_text("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        for risky in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_text(risky).starts_with('\''), "{risky:?}");
        }
        assert_eq!(csv_text("Bread for Sunday"), "Bread for Sunday");
    }

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next("/c/garden?x=1"), "/c/garden?x=1");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "https://evil.example",
            "evil.example",
            "/ /evil.example",
            "",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}

pub async fn login_form(v: Visitor, Query(query): Query<NextQuery>) -> PageResult {
    Ok(page(views::auth::login_page(
        &v,
        "",
        &FormErrors::default(),
        &safe_next(&query.next),
    )))
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login_submit(
    State(state): AppState_,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    v: Visitor,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let next = safe_next(&form.next);
    match state
        .services
        .log_in(
            &form.username,
            &form.password,
            state.config.session_idle_ms,
            Some(address.ip()),
        )
        .await
    {
        Ok(session) => {
            // A session that was open before this login ends: its cookie is replaced.
            if let Some(old) = v.session {
                state.services.log_out(&old).await?;
            }
            let flash = session.notice.as_ref().map(|notice| {
                let (id, circle, steward, at_ms) = match notice {
                    LoginNotice::Recovered {
                        circle,
                        steward,
                        at_ms,
                    } => ("flash-login-recovered", circle, steward, at_ms),
                    LoginNotice::TookBack {
                        circle,
                        steward,
                        at_ms,
                    } => ("flash-login-took-back", circle, steward, at_ms),
                };
                Flash::new(
                    id,
                    &[
                        ("circle", circle),
                        ("steward", steward),
                        ("when", &views::when(*at_ms)),
                    ],
                )
            });
            Ok(login_response(&state, &session.token, &next, flash))
        }
        Err(ActionError::WrongPassword) => {
            let errors = FormErrors::one("password", v.tr.t("error-login-failed"));
            Ok(page_with_status(
                StatusCode::UNAUTHORIZED,
                views::auth::login_page(&v, &form.username, &errors, &next),
            ))
        }
        Err(ActionError::TooManyAttempts) => {
            let errors = FormErrors::one("username", v.tr.t("error-too-many-logins"));
            Ok(page_with_status(
                StatusCode::TOO_MANY_REQUESTS,
                views::auth::login_page(&v, &form.username, &errors, &next),
            ))
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn logout(State(state): AppState_, v: Visitor) -> PageResult {
    if let Some(session) = v.session {
        state.services.log_out(&session).await?;
    }
    let mut response = redirect_with_flash(
        "/login",
        Flash::new("flash-logged-out", &[]),
        state.config.cookies_secure,
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), state.config.cookies_secure),
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    language: String,
}

pub async fn set_language(
    State(state): AppState_,
    v: Visitor,
    headers: axum::http::HeaderMap,
    Form(form): Form<LanguageForm>,
) -> PageResult {
    let language = crate::i18n::LANGUAGES
        .iter()
        .find(|(code, _)| *code == form.language)
        .map(|(code, _)| *code)
        .ok_or(AppError::BadRequest("error-language"))?;
    if let Some(user) = &v.user {
        state
            .services
            .db
            .update_profile(user.id, &user.display_name, &user.bio, Some(language))
            .await?;
    }
    // Back to the page the form was on (same site only).
    let back = headers
        .get(header::REFERER)
        .and_then(|value| value.to_str().ok())
        .and_then(|referer| referer.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|at| rest[at..].to_owned()))
        .map(|path| safe_next(&path))
        .unwrap_or_else(|| "/".to_owned());
    let mut response = Redirect::to(&back).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            language,
            Some(365 * 24 * 3600),
            state.config.cookies_secure,
        ),
    );
    Ok(response)
}

// ----- joining -----

pub async fn join_form(
    State(state): AppState_,
    v: Visitor,
    Path(link): Path<String>,
) -> PageResult {
    match state.services.invitation(&link).await {
        Ok((invitation, info, _)) => {
            let settings = state.services.settings(&info).await?;
            Ok(page(views::auth::join_page(
                &v,
                &info.name,
                &settings,
                Some(&invitation.created_by_name),
                &format!("/join/{link}"),
                false,
                &JoinForm::default(),
                &FormErrors::default(),
            )))
        }
        Err(ActionError::InvitationGone) => Ok(page_with_status(
            StatusCode::GONE,
            views::message_page(
                &v,
                &v.tr.t("invitation-gone-title"),
                &v.tr.t("error-invitation-gone"),
                None,
            ),
        )),
        Err(error) => Err(error.into()),
    }
}

fn sign_up_of(v: &Visitor, form: &JoinForm) -> SignUp {
    SignUp {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        password: form.password.clone(),
        language: Some(v.tr.lang().to_owned()),
    }
}

/// The logged-in person with their session's sealing key, when joining as themselves.
fn existing_member(
    state: &AppState,
    v: &Visitor,
) -> Result<Option<(User, crate::custody::SealingKey)>, AppError> {
    let (Some(user), Some(session)) = (&v.user, v.session) else {
        return Ok(None);
    };
    match state.services.keyring.get(&session) {
        Some(sealing) => Ok(Some((user.clone(), sealing))),
        // Restarted since login: log in again to unlock.
        None => Err(AppError::LoginRequired),
    }
}

/// What joining and asking to join check before anything else: consent to the agreements,
/// and, for someone new, the sign-up limit. Gives the logged-in person, if any.
#[allow(clippy::type_complexity)]
fn joining_checks(
    state: &AppState,
    v: &Visitor,
    address: SocketAddr,
    form: &JoinForm,
) -> Result<Result<Option<(User, crate::custody::SealingKey)>, FormErrors>, AppError> {
    if form.agree.is_none() {
        return Ok(Err(FormErrors::one("agree", v.tr.t("error-agree"))));
    }
    let existing = existing_member(state, v)?;
    if existing.is_none() && !state.signup_limits.allow_address(address.ip()) {
        return Ok(Err(FormErrors::one("username", v.tr.t("error-too-many"))));
    }
    Ok(Ok(existing))
}

/// After joining or asking: someone new gets a session; someone logged in goes on with a flash.
async fn joined(
    state: &AppState,
    was_logged_in: bool,
    user: User,
    sealing: crate::custody::SealingKey,
    to: &str,
    flash: Flash,
) -> PageResult {
    if was_logged_in {
        return Ok(redirect_with_flash(to, flash, state.config.cookies_secure));
    }
    let session = state
        .services
        .open_session(user.id, sealing, state.config.session_idle_ms)
        .await?;
    Ok(login_response(state, &session.token, to, None))
}

pub async fn join_submit(
    State(state): AppState_,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    v: Visitor,
    Path(link): Path<String>,
    Form(form): Form<JoinForm>,
) -> PageResult {
    let (invitation, info, _) = state
        .services
        .invitation(&link)
        .await
        .map_err(AppError::from)?;
    let settings = state.services.settings(&info).await?;
    let render_errors = |errors: FormErrors| {
        page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::auth::join_page(
                &v,
                &info.name,
                &settings,
                Some(&invitation.created_by_name),
                &format!("/join/{link}"),
                false,
                &form,
                &errors,
            ),
        )
    };
    let existing = match joining_checks(&state, &v, address, &form)? {
        Ok(existing) => existing,
        Err(errors) => return Ok(render_errors(errors)),
    };
    let sign_up = sign_up_of(&v, &form);
    let result = state
        .services
        .join(
            &link,
            existing.is_none().then_some(&sign_up),
            existing
                .as_ref()
                .map(|(user, sealing)| (user, sealing.clone())),
            form.agreements_version,
        )
        .await;
    match result {
        Ok((user, sealing, status, info)) => {
            let to = match status {
                MemberStatus::Active => format!("/c/{}", info.slug),
                _ => format!("/pending/{}", info.slug),
            };
            let flash = Flash::new("flash-joined", &[("circle", &info.name)]);
            joined(&state, existing.is_some(), user, sealing, &to, flash).await
        }
        Err(error) => Ok(render_errors(form_errors(&v, error, "agree")?)),
    }
}

pub async fn ask_form(State(state): AppState_, v: Visitor, Path(slug): Path<String>) -> PageResult {
    let info = state.services.store.circle(&slug).await?;
    let settings = state.services.settings(&info).await?;
    if !settings.open_to_requests {
        return Err(AppError::NotFound);
    }
    Ok(page(views::auth::join_page(
        &v,
        &info.name,
        &settings,
        None,
        &format!("/ask/{slug}"),
        true,
        &JoinForm::default(),
        &FormErrors::default(),
    )))
}

pub async fn ask_submit(
    State(state): AppState_,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(form): Form<JoinForm>,
) -> PageResult {
    let info = state.services.store.circle(&slug).await?;
    let settings = state.services.settings(&info).await?;
    if !settings.open_to_requests {
        return Err(AppError::NotFound);
    }
    let render_errors = |errors: FormErrors| {
        page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::auth::join_page(
                &v,
                &info.name,
                &settings,
                None,
                &format!("/ask/{slug}"),
                true,
                &form,
                &errors,
            ),
        )
    };
    let existing = match joining_checks(&state, &v, address, &form)? {
        Ok(existing) => existing,
        Err(errors) => return Ok(render_errors(errors)),
    };
    let sign_up = sign_up_of(&v, &form);
    match state
        .services
        .ask_to_join(
            &slug,
            existing.is_none().then_some(&sign_up),
            existing
                .as_ref()
                .map(|(user, sealing)| (user, sealing.clone())),
            &form.message,
            form.agreements_version,
        )
        .await
    {
        Ok((user, sealing, info)) => {
            let to = format!("/pending/{}", info.slug);
            let flash = Flash::new("flash-asked", &[("circle", &info.name)]);
            joined(&state, existing.is_some(), user, sealing, &to, flash).await
        }
        Err(error) => Ok(render_errors(form_errors(&v, error, "agree")?)),
    }
}

pub async fn pending(State(state): AppState_, v: Visitor, Path(slug): Path<String>) -> PageResult {
    let user = user_of(&v)?;
    let info = state.services.store.circle(&slug).await?;
    let membership = state
        .services
        .db
        .membership(info.row_id, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    if membership.status == MemberStatus::Active {
        return Ok(Redirect::to(&format!("/c/{slug}")).into_response());
    }
    Ok(page(views::auth::pending_page(&v, &info.name)))
}

// ----- a circle -----

/// Names of the members behind ledger keys (keys nobody on this node holds show shortened).
async fn names(
    state: &AppState,
    info: &CircleInfo,
    keys: &[PublicKey],
) -> Result<HashMap<PublicKey, String>, AppError> {
    let mut unique: Vec<PublicKey> = keys.to_vec();
    unique.sort();
    unique.dedup();
    let mut map: HashMap<PublicKey, String> = HashMap::new();
    for chunk in unique.chunks(500) {
        for (key, _, name) in state.services.db.names_for_keys(info.row_id, chunk).await? {
            map.insert(key, name);
        }
    }
    Ok(map)
}

fn name_of(map: &HashMap<PublicKey, String>, key: &PublicKey) -> String {
    map.get(key).cloned().unwrap_or_else(|| key.short())
}

fn activity_rows(
    entries: &[StoredEntry],
    mine: &[PublicKey],
    names: &HashMap<PublicKey, String>,
) -> Vec<ActivityRow> {
    entries
        .iter()
        .filter_map(|stored| {
            let body = &stored.entry.signed.request.body;
            let Body::Transfer {
                payer,
                payee,
                amount_minor,
                ..
            } = body
            else {
                return None;
            };
            let incoming = mine.contains(payee);
            let other = if incoming { payer } else { payee };
            Some(ActivityRow {
                seq: stored.entry.seq,
                recorded_at_ms: stored.entry.recorded_at_ms,
                incoming,
                other_name: name_of(names, other),
                amount_minor: *amount_minor,
                memo: stored.memo.as_ref().map(|memo| memo.text.clone()),
                kind: body.kind_name(),
            })
        })
        .collect()
}

fn parties(entries: &[StoredEntry]) -> Vec<PublicKey> {
    entries
        .iter()
        .flat_map(|stored| match &stored.entry.signed.request.body {
            Body::Transfer { payer, payee, .. } | Body::RequestPayment { payer, payee, .. } => {
                vec![*payer, *payee]
            }
            Body::OpenAccount { account, .. }
            | Body::SetLimits { account, .. }
            | Body::CloseAccount { account } => vec![*account, stored.entry.signed.request.author],
            Body::RotateKey { old, new } => vec![*old, *new],
            Body::AddSteward { key } | Body::RemoveSteward { key } => {
                vec![*key, stored.entry.signed.request.author]
            }
            Body::Genesis { stewards, .. } => stewards.clone(),
            Body::CloseRequest { .. } => vec![stored.entry.signed.request.author],
            Body::Enact { actions, .. } => actions
                .iter()
                .filter_map(|action| match action {
                    Action::SetLimits { account, .. }
                    | Action::Admit { account }
                    | Action::Remove { account } => Some(*account),
                    Action::AddSteward { key } | Action::RemoveSteward { key } => Some(*key),
                    Action::SetDefaultLimits { .. } | Action::SetDocument { .. } => None,
                })
                .collect(),
        })
        .collect()
}

pub async fn circle_home(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    let services = &state.services;
    let info = &actor.circle;
    let account = &actor.account;
    let keys = services.db.member_keys(info.row_id, actor.user.id).await?;
    let recent = services
        .store
        .account_entries(info, &keys, false, None, RECENT_ENTRIES)
        .await?;
    let open = services.store.open_requests(info, &keys, 100).await?;
    let mut all_keys = parties(&recent);
    all_keys.extend(parties(&open));
    let names = names(&state, info, &all_keys).await?;
    let mut to_pay = Vec::new();
    let mut awaiting = Vec::new();
    for stored in &open {
        if let Body::RequestPayment {
            payer,
            payee,
            amount_minor,
            ..
        } = &stored.entry.signed.request.body
        {
            let i_pay = keys.contains(payer);
            let row = RequestRow {
                seq: stored.entry.seq,
                recorded_at_ms: stored.entry.recorded_at_ms,
                other_name: name_of(&names, if i_pay { payee } else { payer }),
                amount_minor: *amount_minor,
                memo: stored.memo.as_ref().map(|memo| memo.text.clone()),
            };
            if i_pay {
                to_pay.push(row);
            } else {
                awaiting.push(row);
            }
        }
    }
    let home = HomeView {
        unit: unit_of(info),
        balance_minor: account.balance_minor,
        floor_minor: account.floor_minor,
        ceiling_minor: account.ceiling_minor,
        recent: activity_rows(&recent, &keys, &names),
        to_pay,
        awaiting,
    };
    Ok(page(views::circle::home_page(
        &v,
        &nav_for(&actor, "home"),
        &home,
    )))
}

/// Other active members for the pay and request forms, as (username, display name): those
/// whose name matches `find`, at most [`crate::db::MEMBERS_PAGE_MAX`], and the member already
/// chosen. The flag says whether more members match than are listed.
async fn member_choices(
    state: &AppState,
    actor: &Actor,
    find: &str,
    chosen: &str,
) -> Result<(Vec<(String, String)>, bool), AppError> {
    let db = &state.services.db;
    let find = find.trim();
    let cards = db
        .members(
            actor.circle.row_id,
            MemberStatus::Active,
            (!find.is_empty()).then_some(find),
            crate::db::MEMBERS_PAGE_MAX,
        )
        .await?;
    let more = cards.len() as i64 >= crate::db::MEMBERS_PAGE_MAX;
    let mut choices: Vec<(String, String)> = cards
        .into_iter()
        .filter(|card| card.user_id != actor.user.id)
        .map(|card| (card.username, card.display_name))
        .collect();
    if !chosen.is_empty() && !choices.iter().any(|(username, _)| username == chosen) {
        if let Some(card) = db
            .member_by_username(actor.circle.row_id, chosen)
            .await?
            .filter(|card| card.status == MemberStatus::Active && card.user_id != actor.user.id)
        {
            choices.insert(0, (card.username, card.display_name));
        }
    }
    Ok((choices, more))
}

fn can_spend(actor: &Actor) -> i64 {
    actor.account.balance_minor - actor.account.floor_minor
}

#[derive(Debug, Deserialize)]
pub struct MemberQuery {
    #[serde(default)]
    member: String,
    /// A name to narrow the list of members down to (the pay page's search).
    #[serde(default)]
    find: String,
}

async fn pay_form_page(
    state: &AppState,
    v: &Visitor,
    actor: &Actor,
    requesting: bool,
    form: &PayForm,
    errors: &FormErrors,
    find: &str,
) -> Result<Markup, AppError> {
    let (members, more) = member_choices(state, actor, find, &form.member).await?;
    let spend = can_spend(actor);
    Ok(views::circle::pay_page(
        v,
        &nav_for(actor, "pay"),
        &views::circle::PayPage {
            unit: unit_of(&actor.circle),
            can_spend_minor: spend,
            requesting,
            members,
            more_members: more,
            find: find.trim().to_owned(),
            locked: is_locked(state, v),
        },
        form,
        errors,
    ))
}

pub async fn pay_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Query(query): Query<MemberQuery>,
) -> PageResult {
    blank_pay_form(&state, &v, actor, query, false).await
}

pub async fn request_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Query(query): Query<MemberQuery>,
) -> PageResult {
    blank_pay_form(&state, &v, actor, query, true).await
}

/// The pay (or request) form before anything is typed: the member may be chosen by a link.
async fn blank_pay_form(
    state: &AppState,
    v: &Visitor,
    actor: Actor,
    query: MemberQuery,
    requesting: bool,
) -> PageResult {
    let form = PayForm {
        member: query.member,
        idempotency_key: IdempotencyKey::generate().as_str().to_owned(),
        ..PayForm::default()
    };
    let errors = FormErrors::default();
    Ok(page(
        pay_form_page(state, v, &actor, requesting, &form, &errors, &query.find).await?,
    ))
}

async fn pay_or_request(
    state: Arc<AppState>,
    v: Visitor,
    actor: Actor,
    slug: String,
    form: PayForm,
    requesting: bool,
) -> PageResult {
    let mut errors = FormErrors::default();
    // A form from before this version, or a doctored key: a fresh form, nothing sent.
    let attempt: Result<IdempotencyKey, _> = form.idempotency_key.parse();
    if attempt.is_err() {
        errors.0.push(views::FieldError {
            field: "amount",
            message: v.tr.t("error-form-stale"),
        });
    }
    if form.member.trim().is_empty() {
        errors.0.push(views::FieldError {
            field: "member",
            message: v.tr.t("error-member-required"),
        });
    }
    if form.amount.trim().is_empty() {
        errors.0.push(views::FieldError {
            field: "amount",
            message: v.tr.t("error-amount-required"),
        });
    } else if let Err(error) = parse_amount(&actor.circle, &form.amount) {
        errors.0.extend(form_errors(&v, error, "amount")?.0);
    }
    if errors.is_empty() {
        if let Err(error) = unlock_if_given(&state, &v, &form.unlock_password).await {
            errors = form_errors(&v, error, "amount")?;
        }
    }
    if let (true, Ok(attempt)) = (errors.is_empty(), &attempt) {
        let result = if requesting {
            state
                .services
                .request_payment(&actor, &form.member, &form.amount, &form.memo, attempt)
                .await
        } else {
            state
                .services
                .pay(&actor, &form.member, &form.amount, &form.memo, attempt)
                .await
        };
        match result {
            Ok(_) => {
                let name = state
                    .services
                    .db
                    .member_by_username(actor.circle.row_id, &form.member.trim().to_lowercase())
                    .await?
                    .map(|card| card.display_name)
                    .unwrap_or_default();
                let amount = parse_amount(&actor.circle, &form.amount)
                    .map(|minor| unit_of(&actor.circle).money(minor))
                    .unwrap_or_default();
                let id = if requesting {
                    "flash-requested"
                } else {
                    "flash-paid"
                };
                return Ok(redirect_with_flash(
                    &format!("/c/{slug}"),
                    Flash::new(id, &[("amount", &amount), ("name", &name)]),
                    state.config.cookies_secure,
                ));
            }
            Err(error) => errors = form_errors(&v, error, "amount")?,
        }
    }
    let mut form = form;
    if attempt.is_err() {
        form.idempotency_key = IdempotencyKey::generate().as_str().to_owned();
    }
    let markup = pay_form_page(&state, &v, &actor, requesting, &form, &errors, "").await?;
    Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, markup))
}

pub async fn pay_submit(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Path(slug): Path<String>,
    Form(form): Form<PayForm>,
) -> PageResult {
    pay_or_request(state, v, actor, slug, form, false).await
}

pub async fn request_submit(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Path(slug): Path<String>,
    Form(form): Form<PayForm>,
) -> PageResult {
    pay_or_request(state, v, actor, slug, form, true).await
}

#[derive(Debug, Deserialize, Default)]
pub struct UnlockForm {
    #[serde(default)]
    unlock_password: String,
}

async fn answer_request(
    state: Arc<AppState>,
    v: Visitor,
    actor: Actor,
    slug: String,
    seq: u64,
    form: UnlockForm,
    accept: bool,
) -> PageResult {
    let result = match unlock_if_given(&state, &v, &form.unlock_password).await {
        Ok(()) if accept => state.services.accept_request(&actor, seq).await,
        Ok(()) => state.services.close_request(&actor, seq).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => {
            let id = if accept {
                "flash-accepted"
            } else {
                "flash-closed"
            };
            Ok(redirect_with_flash(
                &format!("/c/{slug}"),
                Flash::new(id, &[]),
                state.config.cookies_secure,
            ))
        }
        Err(ActionError::Locked) => Ok(page(views::message_page(
            &v,
            &v.tr.t("unlock-title"),
            &v.tr.t("unlock-relogin"),
            Some((&format!("/login?next=/c/{slug}"), v.tr.t("nav-login"))),
        ))),
        Err(ActionError::Refused(refusal)) => Ok(page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::message_page(
                &v,
                &v.tr.t("refused-title"),
                &refusal_text(&v, &refusal),
                Some((&format!("/c/{slug}"), v.tr.t("nav-home"))),
            ),
        )),
        Err(error) => Err(error.into()),
    }
}

pub async fn accept_request(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Path((slug, seq)): Path<(String, u64)>,
    Form(form): Form<UnlockForm>,
) -> PageResult {
    answer_request(state, v, actor, slug, seq, form, true).await
}

pub async fn decline_request(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Path((slug, seq)): Path<(String, u64)>,
    Form(form): Form<UnlockForm>,
) -> PageResult {
    answer_request(state, v, actor, slug, seq, form, false).await
}

#[derive(Debug, Deserialize)]
pub struct BeforeQuery {
    before: Option<u64>,
}

fn summary(
    tr: &Tr,
    body: &Body,
    author: &PublicKey,
    names: &HashMap<PublicKey, String>,
    unit: &Unit,
) -> (String, Option<i64>) {
    let n = |key: &PublicKey| name_of(names, key);
    match body {
        Body::Genesis { .. } => (tr.t("kind-genesis"), None),
        Body::OpenAccount { account, .. } => (
            tr.ta(
                "kind-open-account",
                &[("name", &n(account)), ("steward", &n(author))],
            ),
            None,
        ),
        Body::SetLimits {
            account,
            floor_minor,
            ceiling_minor,
        } => (
            tr.ta(
                "kind-set-limits",
                &[
                    ("name", &n(account)),
                    ("floor", &unit.money(*floor_minor)),
                    ("ceiling", &unit.money(*ceiling_minor)),
                ],
            ),
            None,
        ),
        Body::RotateKey { old, .. } => (tr.ta("kind-rotate-key", &[("name", &n(old))]), None),
        Body::Transfer {
            payer,
            payee,
            amount_minor,
            cause,
            ..
        } => {
            let (id, reference) = match cause {
                Cause::Reverses(_) => ("kind-reversal-of", String::new()),
                Cause::AcceptsRequest(_) => ("kind-accepted", String::new()),
                Cause::Reference(text) => match text.strip_prefix("deal:") {
                    Some(deal) => ("kind-for-deal", deal.to_owned()),
                    None => ("kind-reference", text.clone()),
                },
                Cause::Direct => ("kind-transfer", String::new()),
            };
            (
                tr.ta(
                    id,
                    &[
                        ("payer", &n(payer)),
                        ("payee", &n(payee)),
                        ("reference", &reference),
                    ],
                ),
                Some(*amount_minor),
            )
        }
        Body::RequestPayment {
            payer,
            payee,
            amount_minor,
            ..
        } => (
            tr.ta(
                "kind-request",
                &[("payer", &n(payer)), ("payee", &n(payee))],
            ),
            Some(*amount_minor),
        ),
        Body::CloseRequest { .. } => (tr.ta("kind-close-request", &[("name", &n(author))]), None),
        Body::CloseAccount { account } => {
            (tr.ta("kind-close-account", &[("name", &n(account))]), None)
        }
        Body::AddSteward { key } => (tr.ta("kind-add-steward", &[("name", &n(key))]), None),
        Body::RemoveSteward { key } => (tr.ta("kind-remove-steward", &[("name", &n(key))]), None),
        Body::Enact { actions, .. } => {
            let described: Vec<String> = actions
                .iter()
                .map(|action| describe_action(tr, action, &n, unit))
                .collect();
            (
                tr.ta("kind-enact", &[("actions", &described.join("; "))]),
                None,
            )
        }
    }
}

/// One action of an enactment, in a sentence fragment a member reads on the ledger page.
pub fn describe_action(
    tr: &Tr,
    action: &Action,
    name: &dyn Fn(&PublicKey) -> String,
    unit: &Unit,
) -> String {
    match action {
        Action::SetDefaultLimits {
            floor_minor,
            ceiling_minor,
        } => tr.ta(
            "action-default-limits",
            &[
                ("floor", &unit.money(*floor_minor)),
                ("ceiling", &unit.money(*ceiling_minor)),
            ],
        ),
        Action::SetLimits {
            account,
            floor_minor,
            ceiling_minor,
        } => tr.ta(
            "action-set-limits",
            &[
                ("name", &name(account)),
                ("floor", &unit.money(*floor_minor)),
                ("ceiling", &unit.money(*ceiling_minor)),
            ],
        ),
        Action::Admit { account } => tr.ta("action-admit", &[("name", &name(account))]),
        Action::Remove { account } => tr.ta("action-remove", &[("name", &name(account))]),
        Action::AddSteward { key } => tr.ta("action-add-steward", &[("name", &name(key))]),
        Action::RemoveSteward { key } => tr.ta("action-remove-steward", &[("name", &name(key))]),
        Action::SetDocument { document, .. } if *document == DOCUMENT_AGREEMENTS => {
            tr.t("action-agreements")
        }
        Action::SetDocument { .. } => tr.t("action-policy"),
    }
}

pub async fn ledger(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Query(query): Query<BeforeQuery>,
) -> PageResult {
    let info = &actor.circle;
    // The body is the same for every member reading this page in this language: remembered
    // until the circle's next entry (or a change of names).
    let key = LedgerViewKey {
        row_id: info.row_id,
        before: query.before,
        language: v.tr.lang().to_owned(),
        names_generation: state.services.db.generation(),
    };
    let body = state
        .services
        .store
        .remembered(&state.views.ledger, info.row_id, key, || {
            ledger_body(&state, &v.tr, info, query.before)
        })
        .await?;
    Ok(page(views::circle::ledger_page(
        &v,
        &nav_for(&actor, "ledger"),
        PreEscaped(body.to_string()),
    )))
}

async fn ledger_body(
    state: &AppState,
    tr: &Tr,
    info: &CircleInfo,
    before: Option<u64>,
) -> Result<Arc<str>, AppError> {
    let store = &state.services.store;
    let head = store.latest_tree_head(info).await?;
    let before = before.unwrap_or(head.tree_size).min(head.tree_size);
    let from = before.saturating_sub(LEDGER_PAGE_ENTRIES);
    let entries = store
        .entries_before(info, before, LEDGER_PAGE_ENTRIES)
        .await?;
    let genesis = store.entry(info, 0).await?;
    let node_key = match &genesis.entry.signed.request.body {
        Body::Genesis { node_key, .. } => *node_key,
        _ => {
            return Err(AppError::Internal(
                "the first entry is not a genesis".into(),
            ))
        }
    };
    let names = names(state, info, &parties(&entries)).await?;
    let unit = unit_of(info);
    let valid = state.services.verified.check(&entries);
    let rows = entries
        .iter()
        .zip(valid)
        .map(|(stored, signature_ok)| {
            let request = &stored.entry.signed.request;
            let (summary, amount_minor) =
                summary(tr, &request.body, &request.author, &names, &unit);
            LedgerRow {
                seq: stored.entry.seq,
                recorded_at_ms: stored.entry.recorded_at_ms,
                kind: request.body.kind_name(),
                summary,
                amount_minor,
                memo: stored.memo.as_ref().map(|memo| memo.text.clone()),
                hash_hex: stored.hash.to_hex(),
                signature_ok,
            }
        })
        .collect();
    let view = LedgerView {
        unit,
        rows,
        tree_size: head.tree_size,
        root_hex: head.root.to_hex(),
        head_signature_ok: state.services.verified.check_head(&head, &node_key),
        head_time_ms: head.timestamp_ms,
        older: (from > 0).then_some(from),
        newer: (before < head.tree_size).then(|| {
            let newer = before + LEDGER_PAGE_ENTRIES;
            (newer < head.tree_size).then_some(newer)
        }),
    };
    Ok(views::circle::ledger_body(tr, &info.slug, &view)
        .into_string()
        .into())
}

pub async fn statement(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Query(query): Query<BeforeQuery>,
) -> PageResult {
    let info = &actor.circle;
    let keys = state
        .services
        .db
        .member_keys(info.row_id, actor.user.id)
        .await?;
    let entries = state
        .services
        .store
        .account_entries(info, &keys, false, query.before, STATEMENT_PAGE_ENTRIES)
        .await?;
    let names = names(&state, info, &parties(&entries)).await?;
    let older = (entries.len() as i64 == STATEMENT_PAGE_ENTRIES)
        .then(|| entries.last().map(|stored| stored.entry.seq))
        .flatten();
    let rows = activity_rows(&entries, &keys, &names);
    Ok(page(views::circle::statement_page(
        &v,
        &nav_for(&actor, "home"),
        &unit_of(info),
        &rows,
        older,
    )))
}

pub async fn statement_csv(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    let info = &actor.circle;
    let keys = state
        .services
        .db
        .member_keys(info.row_id, actor.user.id)
        .await?;
    let mut entries = Vec::new();
    let mut before = None;
    loop {
        let page = state
            .services
            .store
            .account_entries(
                info,
                &keys,
                false,
                before,
                commons_ledger::store::LIST_ENTRIES_MAX,
            )
            .await?;
        let done = (page.len() as i64) < commons_ledger::store::LIST_ENTRIES_MAX;
        before = page.last().map(|stored| stored.entry.seq);
        entries.extend(page);
        if done || entries.len() >= STATEMENT_CSV_ENTRIES_MAX {
            break;
        }
    }
    entries.reverse();
    let names = names(&state, info, &parties(&entries)).await?;
    let rows = activity_rows(&entries, &keys, &names);
    let unit = unit_of(info);
    let tr = &v.tr;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |error: csv::Error| AppError::Internal(error.to_string());
    writer
        .write_record([
            tr.t("csv-entry"),
            tr.t("csv-time"),
            tr.t("csv-counterparty"),
            tr.t("csv-memo"),
            tr.ta("csv-amount", &[("unit", &unit.name)]),
            tr.t("csv-balance"),
            tr.t("csv-hash"),
        ])
        .map_err(csv_error)?;
    // The balance before the oldest line listed: today's balance minus everything listed
    // (right even when the download is cut at its limit).
    let current = actor.account.balance_minor;
    let listed: i64 = rows
        .iter()
        .map(|row| {
            if row.incoming {
                row.amount_minor
            } else {
                -row.amount_minor
            }
        })
        .sum();
    let mut balance = current - listed;
    for (row, stored) in rows.iter().zip(entries.iter()) {
        let signed = if row.incoming {
            row.amount_minor
        } else {
            -row.amount_minor
        };
        balance += signed;
        writer
            .write_record([
                row.seq.to_string(),
                views::when(row.recorded_at_ms),
                csv_text(&row.other_name),
                csv_text(row.memo.as_deref().unwrap_or("")),
                unit.number(signed),
                unit.number(balance),
                stored.hash.to_hex(),
            ])
            .map_err(csv_error)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| AppError::Internal(error.to_string()))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}-statement.csv\"",
        info.slug
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Text written by members, made safe for spreadsheets: a cell starting with `=`, `+`, `-`, `@`
/// (or a tab or carriage return) would run as a formula, so it gets a leading apostrophe.
fn csv_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn members(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Query(query): Query<SearchQuery>,
) -> PageResult {
    let stewards = state.services.store.stewards(&actor.circle).await?;
    let search = query.q.trim();
    let cards = state
        .services
        .db
        .members(
            actor.circle.row_id,
            MemberStatus::Active,
            (!search.is_empty()).then_some(search),
            crate::db::MEMBERS_PAGE_MAX,
        )
        .await?;
    let rows: Vec<MemberRow> = cards
        .into_iter()
        .map(|card| MemberRow {
            is_steward: stewards.contains(&card.account_key),
            username: card.username,
            display_name: card.display_name,
            bio: card.bio,
        })
        .collect();
    Ok(page(views::circle::members_page(
        &v,
        &nav_for(&actor, "members"),
        &rows,
        search,
    )))
}

pub async fn member(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Path((_, username)): Path<(String, String)>,
) -> PageResult {
    let card = state
        .services
        .db
        .member_by_username(actor.circle.row_id, &username)
        .await?
        .filter(|card| card.status == MemberStatus::Active)
        .ok_or(AppError::NotFound)?;
    let stewards = state.services.store.stewards(&actor.circle).await?;
    let is_me = card.user_id == actor.user.id;
    let row = MemberRow {
        is_steward: stewards.contains(&card.account_key),
        username: card.username.clone(),
        display_name: card.display_name.clone(),
        bio: card.bio.clone(),
    };
    let services = &state.services;
    let listings = services.listings_by(&actor, card.user_id).await?;
    let thanks = services.thanks_to(&actor, card.user_id).await?;
    let completed = services.completed_deals(&actor, card.user_id).await?.len();
    let authors: Vec<i64> = thanks.iter().map(|t| t.author).collect();
    let people = services.people_by_id(&actor, &authors).await?;
    let names = |id: i64| {
        people
            .get(&id)
            .map_or_else(|| v.tr.t("member-former"), |p| p.display_name.clone())
    };
    let market = crate::market::views::member_market(
        &v,
        &actor.circle.slug,
        &listings,
        &thanks,
        completed,
        &names,
        &unit_of(&actor.circle),
    );
    Ok(page(views::circle::member_page(
        &v,
        &nav_for(&actor, "members"),
        &row,
        card.created_at_ms,
        card.vouched_by_name.as_deref(),
        is_me,
        market,
    )))
}

async fn invitations_page(
    state: &AppState,
    v: &Visitor,
    actor: &Actor,
    new_link: Option<String>,
    errors: &FormErrors,
) -> Result<Markup, AppError> {
    let settings = state.services.settings(&actor.circle).await?;
    let may_invite = actor.is_steward || settings.members_may_invite;
    let list = state
        .services
        .db
        .invitations(
            actor.circle.row_id,
            (!actor.is_steward).then_some(actor.user.id),
        )
        .await?;
    let now = now_ms();
    let rows: Vec<InvitationRow> = list
        .into_iter()
        .map(|invitation| InvitationRow {
            id: invitation.id,
            state: if invitation.used_by.is_some() {
                "used"
            } else if invitation.revoked_at_ms.is_some() {
                "revoked"
            } else if invitation.expires_at_ms <= now {
                "expired"
            } else {
                "open"
            },
            note: invitation.note,
            created_by: invitation.created_by_name,
            created_at_ms: invitation.created_at_ms,
            expires_at_ms: invitation.expires_at_ms,
        })
        .collect();
    let link = new_link.map(|token| {
        format!(
            "{}/join/{token}",
            state.config.public_url.trim_end_matches('/')
        )
    });
    Ok(views::circle::invitations_page(
        v,
        &nav_for(actor, "invite"),
        may_invite,
        link.as_deref(),
        &rows,
        errors,
    ))
}

pub async fn invitations(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    Ok(page(
        invitations_page(&state, &v, &actor, None, &FormErrors::default()).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    note: String,
}

pub async fn invite(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Form(form): Form<InviteForm>,
) -> PageResult {
    match state.services.invite(&actor, &form.note).await {
        Ok(token) => {
            let mut response = page(
                invitations_page(&state, &v, &actor, Some(token), &FormErrors::default()).await?,
            );
            // The page shows a secret link: never cache it.
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(error) => {
            let errors = form_errors(&v, error, "note")?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                invitations_page(&state, &v, &actor, None, &errors).await?,
            ))
        }
    }
}

pub async fn revoke_invitation(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Path((slug, id)): Path<(String, i64)>,
) -> PageResult {
    match state.services.revoke_invitation(&actor, id).await {
        Ok(()) => {}
        Err(ActionError::Locked) => {
            return Ok(page(views::message_page(
                &v,
                &v.tr.t("unlock-title"),
                &v.tr.t("unlock-relogin"),
                Some((
                    &format!("/login?next=/c/{slug}/invitations"),
                    v.tr.t("nav-login"),
                )),
            )))
        }
        Err(error) => return Err(error.into()),
    }
    Ok(redirect_with_flash(
        &format!("/c/{slug}/invitations"),
        Flash::new("flash-invitation-revoked", &[]),
        state.config.cookies_secure,
    ))
}

// ----- stewards -----

async fn steward_page(
    state: &AppState,
    v: &Visitor,
    actor: &Actor,
    limits: &LimitsForm,
    errors: &FormErrors,
    recovery_link: Option<String>,
) -> Result<Markup, AppError> {
    let db = &state.services.db;
    let pending: Vec<PendingRow> = db
        .members(
            actor.circle.row_id,
            MemberStatus::Pending,
            None,
            crate::db::MEMBERS_PAGE_MAX,
        )
        .await?
        .into_iter()
        .map(|card| PendingRow {
            user_id: card.user_id,
            display_name: card.display_name,
            username: card.username,
            message: card.request_message,
            vouched_by: card.vouched_by_name,
            asked_at_ms: card.created_at_ms,
        })
        .collect();
    let cards = db
        .members(
            actor.circle.row_id,
            MemberStatus::Active,
            None,
            crate::db::MEMBERS_PAGE_MAX,
        )
        .await?;
    let accounts = state.services.store.accounts(&actor.circle).await?;
    let by_key: HashMap<PublicKey, _> = accounts.iter().map(|row| (row.key, row)).collect();
    let lines: Vec<AccountLine> = cards
        .into_iter()
        .filter_map(|card| {
            let account = by_key.get(&card.account_key)?;
            Some(AccountLine {
                username: card.username,
                display_name: card.display_name,
                balance_minor: account.balance_minor,
                floor_minor: account.floor_minor,
                ceiling_minor: account.ceiling_minor,
            })
        })
        .collect();
    let look_alikes = state.services.look_alikes(actor).await?;
    Ok(views::steward::steward_page(
        v,
        &nav_for(actor, "steward"),
        &unit_of(&actor.circle),
        &pending,
        &look_alikes,
        &lines,
        limits,
        errors,
        is_locked(state, v),
        recovery_link.as_deref(),
    ))
}

pub async fn steward(State(state): AppState_, v: Visitor, Steward(actor): Steward) -> PageResult {
    Ok(page(
        steward_page(
            &state,
            &v,
            &actor,
            &LimitsForm::default(),
            &FormErrors::default(),
            None,
        )
        .await?,
    ))
}

pub async fn steward_limits(
    State(state): AppState_,
    v: Visitor,
    Steward(actor): Steward,
    Path(slug): Path<String>,
    Form(form): Form<LimitsForm>,
) -> PageResult {
    let result = match unlock_if_given(&state, &v, &form.unlock_password).await {
        Ok(()) => state
            .services
            .set_limits(&actor, &form.member, &form.floor, &form.ceiling)
            .await
            .map(|_| ()),
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(redirect_with_flash(
            &format!("/c/{slug}/steward"),
            Flash::new("flash-limits-set", &[]),
            state.config.cookies_secure,
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "floor")?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                steward_page(&state, &v, &actor, &form, &errors, None).await?,
            ))
        }
    }
}

/// A steward declines every checked request at once (a flood of requests to join).
pub async fn steward_decline_many(
    State(state): AppState_,
    Steward(actor): Steward,
    Path(slug): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let users: Vec<i64> = fields
        .iter()
        .filter(|(name, _)| name == "user")
        .filter_map(|(_, value)| value.parse().ok())
        .collect();
    let declined = state.services.decline_members(&actor, &users).await?;
    Ok(redirect_with_flash(
        &format!("/c/{slug}/steward"),
        Flash::new("flash-declined-many", &[("count", &declined.to_string())]),
        state.config.cookies_secure,
    ))
}

pub async fn steward_decide(
    State(state): AppState_,
    v: Visitor,
    Steward(actor): Steward,
    Path((slug, user_id, decision)): Path<(String, i64, String)>,
    Form(form): Form<UnlockForm>,
) -> PageResult {
    let result = match decision.as_str() {
        "admit" => match unlock_if_given(&state, &v, &form.unlock_password).await {
            Ok(()) => state.services.admit(&actor, user_id).await,
            Err(error) => Err(error),
        },
        "decline" => state.services.decline_member(&actor, user_id).await,
        _ => return Err(AppError::NotFound),
    };
    match result {
        Ok(()) => Ok(redirect_with_flash(
            &format!("/c/{slug}/steward"),
            Flash::new(
                if decision == "admit" {
                    "flash-admitted"
                } else {
                    "flash-declined"
                },
                &[],
            ),
            state.config.cookies_secure,
        )),
        Err(ActionError::Locked) => Ok(page(views::message_page(
            &v,
            &v.tr.t("unlock-title"),
            &v.tr.t("unlock-relogin"),
            Some((
                &format!("/login?next=/c/{slug}/steward"),
                v.tr.t("nav-login"),
            )),
        ))),
        Err(error) => Err(error.into()),
    }
}

pub async fn circle_settings(
    State(state): AppState_,
    v: Visitor,
    Steward(actor): Steward,
) -> PageResult {
    let settings = state.services.settings(&actor.circle).await?;
    Ok(page(views::steward::circle_settings_page(
        &v,
        &nav_for(&actor, "steward"),
        &settings,
        &FormErrors::default(),
    )))
}

pub async fn circle_settings_submit(
    State(state): AppState_,
    v: Visitor,
    Steward(actor): Steward,
    Path(slug): Path<String>,
    Form(form): Form<SettingsForm>,
) -> PageResult {
    match state
        .services
        .save_settings(
            &actor,
            &form.description,
            &form.agreements,
            form.members_may_invite.is_some(),
            form.open_to_requests.is_some(),
        )
        .await
    {
        Ok(()) => Ok(redirect_with_flash(
            &format!("/c/{slug}/steward/settings"),
            Flash::new("flash-settings-saved", &[]),
            state.config.cookies_secure,
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "agreements")?;
            let mut settings = state.services.settings(&actor.circle).await?;
            settings.description = form.description;
            settings.agreements = form.agreements;
            settings.members_may_invite = form.members_may_invite.is_some();
            settings.open_to_requests = form.open_to_requests.is_some();
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::steward::circle_settings_page(
                    &v,
                    &nav_for(&actor, "steward"),
                    &settings,
                    &errors,
                ),
            ))
        }
    }
}

/// The stewards' audit page: the last audit's result, and the button that runs one. A view
/// never runs the audit itself.
pub async fn audit(State(state): AppState_, v: Visitor, Steward(actor): Steward) -> PageResult {
    let last = state.services.last_audit(&actor)?;
    Ok(page(views::steward::audit_page(
        &v,
        &nav_for(&actor, "steward"),
        last.as_ref(),
    )))
}

/// A steward runs the full audit (at most one at a time, once a minute per circle).
pub async fn run_audit(
    State(state): AppState_,
    Steward(actor): Steward,
    Path(slug): Path<String>,
) -> PageResult {
    state.services.run_audit(&actor).await?;
    Ok(Redirect::to(&format!("/c/{slug}/steward/audit")).into_response())
}

// ----- my settings -----

#[allow(clippy::too_many_arguments)]
async fn settings_markup(
    state: &AppState,
    v: &Visitor,
    user: &User,
    profile: &ProfileForm,
    profile_errors: &FormErrors,
    password_errors: &FormErrors,
    other_errors: &FormErrors,
    new_token: Option<String>,
) -> Result<Markup, AppError> {
    let circles = state.services.my_circles(user).await?;
    let tokens = state
        .services
        .db
        .api_tokens_of(user.id)
        .await?
        .into_iter()
        .map(|token| {
            let circle = token.circle.map(|row| {
                circles
                    .iter()
                    .find(|info| info.row_id == row)
                    .map_or_else(|| "—".to_owned(), |info| info.name.clone())
            });
            (token, circle)
        })
        .collect();
    let mut view = views::auth::SettingsView {
        new_token,
        tokens,
        recoveries: state.services.recoveries_of(user).await?,
        restricted: user.recovery_restricted,
        ..Default::default()
    };
    for info in circles {
        if let Some(membership) = state.services.db.membership(info.row_id, user.id).await? {
            view.keys.push((
                info.slug.clone(),
                info.name.clone(),
                membership.account_key.to_hex(),
                membership.sealed_key.is_none(),
            ));
        }
    }
    Ok(views::auth::settings_page(
        v,
        profile,
        profile_errors,
        password_errors,
        other_errors,
        &view,
    ))
}

fn profile_of(user: &User) -> ProfileForm {
    ProfileForm {
        display_name: user.display_name.clone(),
        bio: user.bio.clone(),
        language: user.language.clone().unwrap_or_default(),
    }
}

pub async fn create_token(
    State(state): AppState_,
    v: Visitor,
    Form(form): Form<TokenRequest>,
) -> PageResult {
    let user = user_of(&v)?;
    let none = FormErrors::default();
    match state.services.create_api_token(user, &form).await {
        Ok(token) => {
            let mut response = page(
                settings_markup(
                    &state,
                    &v,
                    user,
                    &profile_of(user),
                    &none,
                    &none,
                    &none,
                    Some(token),
                )
                .await?,
            );
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(error) => {
            let errors = form_errors(&v, error, "label")?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                settings_markup(
                    &state,
                    &v,
                    user,
                    &profile_of(user),
                    &none,
                    &none,
                    &errors,
                    None,
                )
                .await?,
            ))
        }
    }
}

pub async fn revoke_token(
    State(state): AppState_,
    v: Visitor,
    Path(id): Path<String>,
) -> PageResult {
    let user = user_of(&v)?;
    let hash = hex::decode(&id).map_err(|_| AppError::NotFound)?;
    if !state.services.db.delete_api_token(user.id, &hash).await? {
        return Err(AppError::NotFound);
    }
    Ok(redirect_with_flash(
        "/settings",
        Flash::new("flash-token-revoked", &[]),
        state.config.cookies_secure,
    ))
}

#[derive(Debug, Deserialize)]
pub struct OwnKeyForm {
    #[serde(default)]
    circle: String,
    #[serde(default)]
    public_key: String,
    #[serde(default)]
    unlock_password: String,
}

pub async fn register_own_key(
    State(state): AppState_,
    v: Visitor,
    Form(form): Form<OwnKeyForm>,
) -> PageResult {
    let user = user_of(&v)?;
    let actor = crate::http::extract::actor_named(&state, &v, &form.circle).await?;
    // Giving up the node-held key is serious: the password confirms it is really them.
    let result = match state
        .services
        .verify_password(user, &form.unlock_password, v.address)
        .await
    {
        Ok(sealing) => {
            if let Some(session) = v.session {
                state.services.keyring.insert(session, sealing);
            }
            state
                .services
                .register_own_key(&actor, &form.public_key)
                .await
        }
        Err(ActionError::TooManyAttempts) => Err(ActionError::TooManyAttempts),
        Err(_) => Err(ActionError::WrongPassword),
    };
    match result {
        Ok(_) => Ok(redirect_with_flash(
            "/settings",
            Flash::new("flash-own-key", &[("circle", &actor.circle.name)]),
            state.config.cookies_secure,
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "public_key")?;
            let none = FormErrors::default();
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                settings_markup(
                    &state,
                    &v,
                    user,
                    &profile_of(user),
                    &none,
                    &none,
                    &errors,
                    None,
                )
                .await?,
            ))
        }
    }
}

pub async fn settings(State(state): AppState_, v: Visitor) -> PageResult {
    let user = user_of(&v)?;
    let profile = ProfileForm {
        display_name: user.display_name.clone(),
        bio: user.bio.clone(),
        language: user.language.clone().unwrap_or_default(),
    };
    Ok(page(
        settings_markup(
            &state,
            &v,
            user,
            &profile,
            &FormErrors::default(),
            &FormErrors::default(),
            &FormErrors::default(),
            None,
        )
        .await?,
    ))
}

pub async fn settings_profile(
    State(state): AppState_,
    v: Visitor,
    Form(form): Form<ProfileForm>,
) -> PageResult {
    let user = user_of(&v)?;
    let display_name = form.display_name.parse::<crate::names::DisplayName>();
    let bio = crate::names::bounded_text(&form.bio, crate::names::BIO_CHARS_MAX);
    let language = crate::i18n::LANGUAGES
        .iter()
        .find(|(code, _)| *code == form.language)
        .map(|(code, _)| *code);
    match (display_name, bio) {
        (Ok(name), Ok(bio)) => {
            state
                .services
                .db
                .update_profile(user.id, name.as_str(), &bio, language)
                .await?;
            Ok(redirect_with_flash(
                "/settings",
                Flash::new("flash-profile-saved", &[]),
                state.config.cookies_secure,
            ))
        }
        (name, bio) => {
            let mut errors = FormErrors::default();
            if let Err(error) = name {
                errors.0.push(views::FieldError {
                    field: "display_name",
                    message: v.tr.t(error.message_id()),
                });
            }
            if let Err(error) = bio {
                errors.0.push(views::FieldError {
                    field: "bio",
                    message: v.tr.t(error.message_id()),
                });
            }
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                settings_markup(
                    &state,
                    &v,
                    user,
                    &form,
                    &errors,
                    &FormErrors::default(),
                    &FormErrors::default(),
                    None,
                )
                .await?,
            ))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn settings_password(
    State(state): AppState_,
    v: Visitor,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let user = user_of(&v)?;
    let session = v.session.ok_or(AppError::LoginRequired)?;
    match state
        .services
        .change_password(
            user,
            session,
            &form.current_password,
            &form.new_password,
            v.address,
        )
        .await
    {
        Ok(()) => Ok(redirect_with_flash(
            "/settings",
            Flash::new("flash-password-changed", &[]),
            state.config.cookies_secure,
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "new_password")?;
            let profile = ProfileForm {
                display_name: user.display_name.clone(),
                bio: user.bio.clone(),
                language: user.language.clone().unwrap_or_default(),
            };
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                settings_markup(
                    &state,
                    &v,
                    user,
                    &profile,
                    &FormErrors::default(),
                    &errors,
                    &FormErrors::default(),
                    None,
                )
                .await?,
            ))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RecoveryForm {
    #[serde(default)]
    member: String,
    #[serde(default)]
    unlock_password: String,
}

pub async fn steward_recovery(
    State(state): AppState_,
    v: Visitor,
    Steward(actor): Steward,
    Form(form): Form<RecoveryForm>,
) -> PageResult {
    let result = match unlock_if_given(&state, &v, &form.unlock_password).await {
        Ok(()) => state.services.start_recovery(&actor, &form.member).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(token) => {
            let link = format!(
                "{}/recover/{token}",
                state.config.public_url.trim_end_matches('/')
            );
            let markup = steward_page(
                &state,
                &v,
                &actor,
                &LimitsForm::default(),
                &FormErrors::default(),
                Some(link),
            )
            .await?;
            let mut response = page(markup);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(error) => {
            let errors = form_errors(&v, error, "member")?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                steward_page(&state, &v, &actor, &LimitsForm::default(), &errors, None).await?,
            ))
        }
    }
}

pub async fn recover_form(
    State(state): AppState_,
    v: Visitor,
    Path(link): Path<String>,
) -> PageResult {
    match state.services.recovery(&link).await {
        Ok((user, info, confirm_current)) => Ok(page(views::auth::recover_page(
            &v,
            &user.display_name,
            &info.name,
            &format!("/recover/{link}"),
            confirm_current,
            &FormErrors::default(),
        ))),
        Err(ActionError::InvitationGone) => Ok(page_with_status(
            StatusCode::GONE,
            views::message_page(
                &v,
                &v.tr.t("invitation-gone-title"),
                &v.tr.t("error-invitation-gone"),
                None,
            ),
        )),
        Err(error) => Err(error.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn recover_submit(
    State(state): AppState_,
    v: Visitor,
    Path(link): Path<String>,
    Form(form): Form<NewPasswordForm>,
) -> PageResult {
    let (user, info, confirm_current) = state
        .services
        .recovery(&link)
        .await
        .map_err(AppError::from)?;
    match state
        .services
        .recover(&link, &form.password, v.address)
        .await
    {
        Ok((user, sealing, info)) => {
            if let Some(old) = v.session {
                state.services.log_out(&old).await?;
            }
            let session = state
                .services
                .open_session(user.id, sealing, state.config.session_idle_ms)
                .await?;
            Ok(login_response(
                &state,
                &session.token,
                &format!("/c/{}", info.slug),
                Some(Flash::new("flash-recovered", &[])),
            ))
        }
        Err(error) => {
            let errors = form_errors(&v, error, "password")?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::auth::recover_page(
                    &v,
                    &user.display_name,
                    &info.name,
                    &format!("/recover/{link}"),
                    confirm_current,
                    &errors,
                ),
            ))
        }
    }
}
