//! Joining pages: following an invitation, asking to join (and waiting), and a circle's
//! invitation links.

#![allow(clippy::result_large_err)]

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::Markup;
use serde::Deserialize;

use crate::account::views::JoinForm;
use crate::db::{MemberStatus, User};
use crate::http::error::AppError;
use crate::http::extract::{PageForm, PagePath};
use crate::http::session::{redirect_with_flash, Flash, Visitor};
use crate::ledger::views::InvitationRow;
use crate::services::{ActionError, Actor, SignUp};
use crate::views::{self, FormErrors};
use crate::AppState;

use crate::account::routes::login_response;
use crate::http::bots::{check_stamp, issue_stamp, Stamp};
use crate::http::page::*;

pub async fn join_form(
    State(state): AppState_,
    v: Visitor,
    PagePath(link): PagePath<String>,
) -> PageResult {
    match state.services.invitation(&link).await {
        Ok((invitation, info, _)) => {
            let settings = state.services.settings(&info).await?;
            Ok(page(crate::account::views::join_page(
                &v,
                &info.name,
                &settings,
                Some(&invitation.created_by_name),
                &format!("/join/{link}"),
                false,
                &stamped(&state, &JoinForm::default()),
                &FormErrors::default(),
            )))
        }
        Err(ActionError::InvitationGone) => Ok(link_gone_page(&v)),
        Err(error) => Err(error.into()),
    }
}

/// The form as shown (again): a fresh stamp of when, the password and the honeypot empty.
fn stamped(state: &AppState, form: &JoinForm) -> JoinForm {
    JoinForm {
        stamp: issue_stamp(&state.csrf_secret, state.services.now_ms()),
        password: String::new(),
        website: String::new(),
        ..form.clone()
    }
}

/// The logged-in person joining, with the key their session unlocked, as the services take it.
fn unlocked(
    existing: &Option<(User, crate::custody::SealingKey)>,
) -> Option<(&User, crate::custody::SealingKey)> {
    existing
        .as_ref()
        .map(|(user, sealing)| (user, sealing.clone()))
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
    match state.services.sealing_key(&session) {
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
    // A script fills the field no person sees, or sends the form back at once.
    let stamp = check_stamp(
        &state.csrf_secret,
        &form.stamp,
        state.services.now_ms(),
        state.config.form_fill_ms_min,
    );
    if !form.website.is_empty() || stamp == Stamp::Refused {
        return Ok(Err(FormErrors::one(
            "agree",
            v.tr.t("error-form-too-quick"),
        )));
    }
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
    PagePath(link): PagePath<String>,
    PageForm(form): PageForm<JoinForm>,
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
            crate::account::views::join_page(
                &v,
                &info.name,
                &settings,
                Some(&invitation.created_by_name),
                &format!("/join/{link}"),
                false,
                &stamped(&state, &form),
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
            unlocked(&existing),
            form.agreements_version,
        )
        .await;
    match result {
        Ok((user, sealing, status, info)) => {
            let to = match status {
                MemberStatus::Active => format!("/c/{}/welcome", info.slug),
                _ => format!("/pending/{}", info.slug),
            };
            let flash = Flash::new("flash-joined", &[("circle", &info.name)]);
            joined(&state, existing.is_some(), user, sealing, &to, flash).await
        }
        Err(error) => Ok(render_errors(form_errors(&v, error, "agree")?)),
    }
}

pub async fn ask_form(
    State(state): AppState_,
    v: Visitor,
    PagePath(slug): PagePath<String>,
) -> PageResult {
    let info = state.services.circle(&slug).await?;
    let settings = state.services.settings(&info).await?;
    if !settings.open_to_requests {
        return Err(AppError::NotFound);
    }
    Ok(page(crate::account::views::join_page(
        &v,
        &info.name,
        &settings,
        None,
        &format!("/ask/{slug}"),
        true,
        &stamped(&state, &JoinForm::default()),
        &FormErrors::default(),
    )))
}

pub async fn ask_submit(
    State(state): AppState_,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    v: Visitor,
    PagePath(slug): PagePath<String>,
    PageForm(form): PageForm<JoinForm>,
) -> PageResult {
    let info = state.services.circle(&slug).await?;
    let settings = state.services.settings(&info).await?;
    if !settings.open_to_requests {
        return Err(AppError::NotFound);
    }
    let render_errors = |errors: FormErrors| {
        page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            crate::account::views::join_page(
                &v,
                &info.name,
                &settings,
                None,
                &format!("/ask/{slug}"),
                true,
                &stamped(&state, &form),
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
            unlocked(&existing),
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

pub async fn pending(
    State(state): AppState_,
    v: Visitor,
    PagePath(slug): PagePath<String>,
) -> PageResult {
    let user = user_of(&v)?;
    let info = state.services.circle(&slug).await?;
    let membership = state
        .services
        .membership_of(&info, user)
        .await?
        .ok_or(AppError::NotFound)?;
    if membership.status == MemberStatus::Active {
        return Ok(Redirect::to(&format!("/c/{slug}")).into_response());
    }
    Ok(page(crate::account::views::pending_page(&v, &info.name)))
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
    let list = state.services.invitations_seen_by(actor).await?;
    let now = state.services.now_ms();
    let rows: Vec<InvitationRow> = list
        .into_iter()
        .map(|invitation| InvitationRow {
            id: invitation.id,
            state: invitation.state_at(now),
            note: invitation.note,
            created_by: invitation.created_by_name,
            created_at_ms: invitation.created_at_ms,
            expires_at_ms: invitation.expires_at_ms,
            use_count: invitation.use_count,
            max_uses: invitation.max_uses,
        })
        .collect();
    let link = new_link.map(|token| {
        format!(
            "{}/join/{token}",
            state.config.public_url.trim_end_matches('/')
        )
    });
    Ok(crate::ledger::views::invitations_page(
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
    #[serde(default)]
    uses: String,
    #[serde(default)]
    days: String,
}

pub async fn invite(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageForm(form): PageForm<InviteForm>,
) -> PageResult {
    let made =
        match crate::onboarding::rules::InviteCommand::parse(&form.note, &form.uses, &form.days) {
            Ok(command) => state.services.invite_with(&actor, &command).await,
            Err(problems) => Err(ActionError::Fields(problems)),
        };
    match made {
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
    PagePath((slug, id)): PagePath<(String, i64)>,
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
