//! Stewards' pages: the circle's accounts and limits, the waiting room, circle settings, the
//! audit, and recovery links.

#![allow(clippy::result_large_err)]

use axum::extract::State;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::Markup;
use serde::Deserialize;

use crate::http::error::AppError;
use crate::http::extract::Steward;
use crate::http::extract::{PageForm, PagePath};
use crate::http::session::{redirect_with_flash, Flash, Visitor};
use crate::services::member_named;
use crate::services::{ActionError, Actor};
use crate::steward::form::LimitsCommand;
use crate::steward::views::{LimitsForm, SettingsForm};
use crate::views::{self, FormErrors};
use crate::AppState;

use crate::http::page::*;

async fn steward_page(
    state: &AppState,
    v: &Visitor,
    actor: &Actor,
    limits: &LimitsForm,
    errors: &FormErrors,
    recovery_link: Option<String>,
) -> Result<Markup, AppError> {
    let (pending, lines) = state.services.waiting_and_accounts(actor).await?;
    let look_alikes = state.services.look_alikes(actor).await?;
    let (public_on, _) = state.services.public_page_editor(actor).await?;
    Ok(crate::steward::views::steward_page(
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
        public_on,
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
    PagePath(slug): PagePath<String>,
    PageForm(form): PageForm<LimitsForm>,
) -> PageResult {
    let result = match unlock_if_given(&state, &v, &form.unlock_password).await {
        Ok(()) => {
            match LimitsCommand::parse(&actor.circle, &form.member, &form.floor, &form.ceiling) {
                Ok(command) => state
                    .services
                    .set_limits(&actor, &command)
                    .await
                    .map(|_| ()),
                Err(error) => Err(error),
            }
        }
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
    PagePath(slug): PagePath<String>,
    PageForm(fields): PageForm<Vec<(String, String)>>,
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
    PagePath((slug, user_id, decision)): PagePath<(String, i64, String)>,
    PageForm(form): PageForm<UnlockForm>,
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
    let zone = state.services.time_zone_name(&actor.circle).await?;
    Ok(page(crate::steward::views::circle_settings_page(
        &v,
        &nav_for(&actor, "steward"),
        &settings,
        &zone,
        &FormErrors::default(),
    )))
}

pub async fn circle_settings_submit(
    State(state): AppState_,
    v: Visitor,
    Steward(actor): Steward,
    PagePath(slug): PagePath<String>,
    PageForm(form): PageForm<SettingsForm>,
) -> PageResult {
    let zone = match form.time_zone.trim() {
        "" => "UTC",
        name => name,
    };
    let saved = match crate::views::local::zone_named(zone) {
        None => Err(crate::services::invalid("time_zone", "error-time-zone")),
        Some(_) => {
            state
                .services
                .save_settings(
                    &actor,
                    &form.description,
                    &form.agreements,
                    form.members_may_invite.is_some(),
                    form.open_to_requests.is_some(),
                )
                .await
        }
    };
    let saved = match saved {
        Ok(()) => state.services.set_time_zone(&actor, zone).await,
        Err(error) => Err(error),
    };
    match saved {
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
                crate::steward::views::circle_settings_page(
                    &v,
                    &nav_for(&actor, "steward"),
                    &settings,
                    &form.time_zone,
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
    Ok(page(crate::steward::views::audit_page(
        &v,
        &nav_for(&actor, "steward"),
        last.as_ref(),
    )))
}

/// A steward runs the full audit (at most one at a time, once a minute per circle).
pub async fn run_audit(
    State(state): AppState_,
    Steward(actor): Steward,
    PagePath(slug): PagePath<String>,
) -> PageResult {
    state.services.run_audit(&actor).await?;
    Ok(Redirect::to(&format!("/c/{slug}/steward/audit")).into_response())
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
    PageForm(form): PageForm<RecoveryForm>,
) -> PageResult {
    let result = match unlock_if_given(&state, &v, &form.unlock_password).await {
        Ok(()) => match member_named(&form.member) {
            Ok(member) => state.services.start_recovery(&actor, &member).await,
            Err(problem) => Err(problem.into()),
        },
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
