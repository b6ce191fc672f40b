//! The settings page: profile, password, API tokens (made, shown once, revoked), one's own
//! key, and the recoveries that happened to the account.

#![allow(clippy::result_large_err)]

use axum::extract::State;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use maud::Markup;
use serde::Deserialize;

use crate::account::views::ProfileForm;
use crate::db::User;
use crate::http::error::AppError;
use crate::http::extract::{PageForm, PagePath};
use crate::http::session::{redirect_with_flash, Flash, Visitor};
use crate::services::{ActionError, TokenRequest};
use crate::views::{self, FormErrors};
use crate::AppState;

use crate::http::page::*;

#[allow(clippy::too_many_arguments)]
pub(super) async fn settings_markup(
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
        .api_tokens_of(user)
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
    let mut view = crate::account::views::SettingsView {
        new_token,
        tokens,
        recoveries: state.services.recoveries_of(user).await?,
        // A login a circle's stewards recovered learns nothing of the person's other circles:
        // not their activity (token labels, keys in other circles), nor whom they blocked.
        activity: if user.recovery_restricted {
            Vec::new()
        } else {
            state.services.security_activity(user).await?
        },
        blocks: if user.recovery_restricted {
            Vec::new()
        } else {
            state.services.my_blocks(user).await?
        },
        restricted: user.recovery_restricted,
        ..Default::default()
    };
    for info in circles {
        if let Some(membership) = state.services.membership_of(&info, user).await? {
            view.keys.push((
                info.slug.clone(),
                info.name.clone(),
                membership.account_key.to_hex(),
                membership.sealed_key.is_none(),
            ));
        }
    }
    Ok(crate::account::views::settings_page(
        v,
        profile,
        profile_errors,
        password_errors,
        other_errors,
        &view,
    ))
}

pub(super) fn profile_of(user: &User) -> ProfileForm {
    ProfileForm {
        display_name: user.display_name.clone(),
        bio: user.bio.clone(),
        language: user.language.clone().unwrap_or_default(),
    }
}

pub async fn create_token(
    State(state): AppState_,
    v: Visitor,
    PageForm(form): PageForm<TokenRequest>,
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
    PagePath(id): PagePath<String>,
) -> PageResult {
    let user = user_of(&v)?;
    let hash = hex::decode(&id).map_err(|_| AppError::NotFound)?;
    state.services.revoke_api_token(user, &hash).await?;
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
    PageForm(form): PageForm<OwnKeyForm>,
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
                state.services.keep_sealing_key(session, sealing);
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
    PageForm(form): PageForm<ProfileForm>,
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
                .update_profile(user, &name, &bio, language)
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
    PageForm(form): PageForm<PasswordForm>,
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
