//! E-mail's pages: settings (address, deliveries), the verification link, and the one-click
//! unsubscribe link.
//!
//! Who may do what: the settings are the logged-in person's own (a login the stewards
//! recovered may not change the address); a verification link verifies the address it was sent
//! to, once, within 48 hours, logged in or not; an unsubscribe link stops what it names for the
//! person it was sent to, and only as the node signed it. Both links open a page with a
//! button: following a link changes nothing (mail scanners follow links).

#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::capability::FullAccount;
use crate::email::rules::{Delivery, EmailAddress};
use crate::email::service::UnsubscribeLink;
use crate::email::views;
use crate::http::error::AppError;
use crate::http::extract::{PageForm, PagePath};
use crate::http::session::Visitor;
use crate::notifications::NotificationKind;
use crate::services::ActionError;
use crate::views::FormErrors;

use crate::http::page::*;

pub async fn settings(State(state): AppState_, v: Visitor) -> PageResult {
    let user = user_of(&v)?;
    let settings = state.services.email_settings(user).await?;
    Ok(page(views::settings_page(
        &v,
        &settings,
        state.mail.is_some(),
        "",
        &FormErrors::default(),
    )))
}

#[derive(Debug, Deserialize)]
pub struct AddressForm {
    #[serde(default)]
    email: String,
}

pub async fn set_address(
    State(state): AppState_,
    v: Visitor,
    account: FullAccount,
    PageForm(form): PageForm<AddressForm>,
) -> PageResult {
    let mail = state.mail.as_ref().ok_or(AppError::NotFound)?;
    let address: EmailAddress = match form.email.parse() {
        Ok(address) => address,
        Err(message_id) => return refuse(&state, &v, &form.email, message_id).await,
    };
    match state
        .services
        .set_email(&account, &address, &mail.settings, &state.catalogues)
        .await
    {
        Ok(()) => Ok(flash_to(
            &state,
            "/settings/email",
            "flash-email-sent",
            &[("address", address.as_str())],
        )),
        Err(ActionError::Invalid { message_id, .. }) => {
            refuse(&state, &v, &form.email, message_id).await
        }
        Err(error) => Err(error.into()),
    }
}

/// The settings page again, with what was typed and why it was refused.
async fn refuse(
    state: &crate::AppState,
    v: &Visitor,
    typed: &str,
    message_id: &'static str,
) -> PageResult {
    let user = user_of(v)?;
    let settings = state.services.email_settings(user).await?;
    let errors = FormErrors::one("email", v.tr.t(message_id));
    let markup = views::settings_page(v, &settings, true, typed, &errors);
    Ok(page_with_status(StatusCode::BAD_REQUEST, markup))
}

pub async fn remove_address(State(state): AppState_, account: FullAccount) -> PageResult {
    state.services.remove_email(&account).await?;
    Ok(flash_to(
        &state,
        "/settings/email",
        "flash-email-removed",
        &[],
    ))
}

pub async fn set_deliveries(
    State(state): AppState_,
    account: FullAccount,
    PageForm(form): PageForm<HashMap<String, String>>,
) -> PageResult {
    let user = account.user();
    let mut deliveries = state.services.email_settings(user).await?.deliveries;
    for (kind, delivery) in deliveries.iter_mut() {
        if let Some(chosen) = form.get(kind.as_str()) {
            *delivery = Delivery::parse(chosen).ok_or(AppError::BadRequest("error-bad-form"))?;
        }
    }
    let known = |key: &String| key == "csrf" || NotificationKind::parse(key).is_some();
    if !form.keys().all(known) {
        return Err(AppError::BadRequest("error-bad-form"));
    }
    state
        .services
        .set_email_deliveries(&account, &deliveries)
        .await?;
    Ok(flash_to(
        &state,
        "/settings/email",
        "flash-email-deliveries",
        &[],
    ))
}

pub async fn verify_form(v: Visitor, PagePath(token): PagePath<String>) -> PageResult {
    if token.len() > 64 {
        return Err(AppError::NotFound);
    }
    Ok(page(views::verify_page(&v, &token)))
}

pub async fn verify(
    State(state): AppState_,
    v: Visitor,
    PagePath(token): PagePath<String>,
) -> PageResult {
    let (status, title, text) = match state.services.verify_email(&token).await {
        Ok(()) => (
            StatusCode::OK,
            "email-verified-title",
            "email-verified-text",
        ),
        Err(ActionError::NotFound) => (
            StatusCode::NOT_FOUND,
            "email-verify-gone-title",
            "email-verify-gone-text",
        ),
        Err(error) => return Err(error.into()),
    };
    let back = Some(("/settings/email", v.tr.t("email-title")));
    Ok(page_with_status(
        status,
        crate::views::message_page(&v, &v.tr.t(title), &v.tr.t(text), back),
    ))
}

fn parse_link(user: &str, scope: &str, mac: &str) -> Result<UnsubscribeLink, AppError> {
    UnsubscribeLink::parse(user, scope, mac).ok_or(AppError::NotFound)
}

pub async fn unsubscribe_form(
    State(state): AppState_,
    v: Visitor,
    PagePath((user, scope, mac)): PagePath<(String, String, String)>,
) -> PageResult {
    let link = parse_link(&user, &scope, &mac)?;
    let mail = state.mail.as_ref().ok_or(AppError::NotFound)?;
    if !link.is_genuine(&mail.settings.secret) {
        return Err(AppError::NotFound);
    }
    let path = format!("/email/unsubscribe/{user}/{scope}/{mac}");
    Ok(page(views::unsubscribe_page(&v, &path, link.scope)))
}

/// One click: from the page's button, or posted by the mail program itself (RFC 8058: no
/// cookie, no CSRF token; the link's signature is the proof).
pub async fn unsubscribe(
    State(state): AppState_,
    v: Visitor,
    PagePath((user, scope, mac)): PagePath<(String, String, String)>,
) -> PageResult {
    let link = parse_link(&user, &scope, &mac)?;
    let mail = state.mail.as_ref().ok_or(AppError::NotFound)?;
    state.services.unsubscribe(&link, &mail.settings).await?;
    let back = Some(("/settings/email", v.tr.t("email-title")));
    Ok(page(crate::views::message_page(
        &v,
        &v.tr.t("email-unsubscribed-title"),
        &v.tr.t("email-unsubscribed-text"),
        back,
    )))
}
