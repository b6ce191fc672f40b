//! Account pages: the front page, node setup, logging in and out, language, my circles and
//! starting one, settings (profile, password, API tokens, own key) and following a recovery
//! link.

#![allow(clippy::result_large_err)]

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::header::{self};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::account::views::SetupForm;
use crate::capability::FullAccount;
use crate::http::error::AppError;
use crate::http::extract::{PageForm, PagePath, PageQuery};
use crate::http::session::{
    redirect_with_flash, set_cookie, Flash, Visitor, LANG_COOKIE, SESSION_COOKIE,
};
use crate::services::{ActionError, LoginNotice, NewCircle, SignUp};
use crate::views::{self, FormErrors};
use crate::AppState;

use crate::http::page::*;

pub async fn front(State(state): AppState_, v: Visitor) -> PageResult {
    if state.services.is_new_node().await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    let Some(user) = &v.user else {
        let public = state.services.public_circles().await?;
        return Ok(page(crate::account::views::welcome_page(&v, &public)));
    };
    let circles = state.services.my_circles(user).await?;
    if circles.len() == 1 {
        // What the login had to say (a recovery, an account taken back) shows there.
        let to = format!("/c/{}", circles[0].slug);
        return Ok(crate::http::session::redirect_keeping_flash(&to));
    }
    let list: Vec<(String, String)> = circles.into_iter().map(|c| (c.slug, c.name)).collect();
    Ok(page(crate::account::views::my_circles_page(
        &v,
        &list,
        user.is_admin(),
    )))
}

pub async fn my_circles(State(state): AppState_, v: Visitor) -> PageResult {
    let user = user_of(&v)?;
    let circles = state.services.my_circles(user).await?;
    let list: Vec<(String, String)> = circles.into_iter().map(|c| (c.slug, c.name)).collect();
    Ok(page(crate::account::views::my_circles_page(
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
    Ok(page(crate::account::views::new_circle_page(
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
    PageForm(form): PageForm<NewCircleForm>,
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
        time_zone: form.circle.time_zone.clone(),
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
                crate::account::views::new_circle_page(
                    &v,
                    &form.circle,
                    &errors,
                    is_locked(&state, &v),
                ),
            ))
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
    PageQuery(query): PageQuery<SetupQuery>,
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
    Ok(page(crate::account::views::setup_page(
        &v,
        &form,
        &FormErrors::default(),
    )))
}

pub async fn setup_submit(
    State(state): AppState_,
    v: Visitor,
    PageForm(form): PageForm<SetupForm>,
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
        time_zone: form.time_zone.clone(),
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
                crate::account::views::setup_page(&v, &form, &errors),
            ))
        }
    }
}

pub(super) fn rename_field(mut errors: FormErrors, from: &str, to: &'static str) -> FormErrors {
    for error in &mut errors.0 {
        if error.field == from {
            error.field = to;
        }
    }
    errors
}

/// The answer to a login: the session cookie, the way on, and what to tell the person.
pub(crate) fn login_response(
    state: &AppState,
    token: &[u8; 32],
    to: &str,
    flash: Option<Flash>,
) -> Response {
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
pub(super) fn safe_next(next: &str) -> String {
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

pub async fn login_form(v: Visitor, PageQuery(query): PageQuery<NextQuery>) -> PageResult {
    Ok(page(crate::account::views::login_page(
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
    PageForm(form): PageForm<LoginForm>,
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
                crate::account::views::login_page(&v, &form.username, &errors, &next),
            ))
        }
        Err(ActionError::TooManyAttempts) => {
            let errors = FormErrors::one("username", v.tr.t("error-too-many-logins"));
            Ok(page_with_status(
                StatusCode::TOO_MANY_REQUESTS,
                crate::account::views::login_page(&v, &form.username, &errors, &next),
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
    PageForm(form): PageForm<LanguageForm>,
) -> PageResult {
    let language = crate::i18n::LANGUAGES
        .iter()
        .find(|(code, _)| *code == form.language)
        .map(|(code, _)| *code)
        .ok_or(AppError::BadRequest("error-language"))?;
    // The account's own language (its mail's too) is the whole account's to change; a login
    // a recovery link gave changes only this browser's pages (the cookie below).
    if let Some(account) = v.user.as_ref().and_then(|user| FullAccount::of(user).ok()) {
        state.services.set_language(&account, language).await?;
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

pub async fn recover_form(
    State(state): AppState_,
    v: Visitor,
    PagePath(link): PagePath<String>,
) -> PageResult {
    match state.services.recovery(&link).await {
        Ok((user, info, confirm_current)) => Ok(page(crate::account::views::recover_page(
            &v,
            &user.display_name,
            &info.name,
            &format!("/recover/{link}"),
            confirm_current,
            &FormErrors::default(),
        ))),
        Err(ActionError::InvitationGone) => Ok(link_gone_page(&v)),
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
    PagePath(link): PagePath<String>,
    PageForm(form): PageForm<NewPasswordForm>,
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
                crate::account::views::recover_page(
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

#[cfg(test)]
mod tests {
    use super::safe_next;

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
