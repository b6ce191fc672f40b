//! The settings rooms this feature serves: the profile (with the photo), the account (password,
//! recoveries) and "Advanced" (keys, one's own key, API tokens made, shown once and revoked, the
//! security log). The e-mail room belongs to `email`, the privacy room to `privacy`.

#![allow(clippy::result_large_err)]

use axum::extract::State;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use maud::Markup;
use serde::Deserialize;

use crate::account::settings_views::{self, SettingsForms, SettingsRoom, SettingsView};
use crate::account::views::ProfileForm;
use crate::capability::FullAccount;
use crate::db::User;
use crate::http::error::AppError;
use crate::http::extract::{PageForm, PagePath};
use crate::http::session::{redirect_with_flash, Flash, Visitor};
use crate::services::{ActionError, TokenRequest};
use crate::views::{self, FormErrors};
use crate::AppState;

use crate::http::page::*;

/// A settings room, with what the person sent and what was wrong with it. Each room reads only
/// what it shows.
pub(super) async fn room_markup(
    state: &AppState,
    v: &Visitor,
    user: &User,
    room: SettingsRoom,
    forms: &SettingsForms,
) -> Result<Markup, AppError> {
    // A login a circle's stewards recovered learns nothing of the person's other circles: not
    // their activity (token labels, keys in other circles), nor whom they blocked.
    let full = FullAccount::of(user).ok();
    let mut view = SettingsView {
        restricted: full.is_none(),
        ..Default::default()
    };
    match room {
        SettingsRoom::Profile => {
            view.photo_alt = state.services.my_profile_extras(user).await?.photo_alt;
            view.upload_token = v
                .session
                .map(|session| state.upload_tokens.issue(&session, state.services.now_ms()));
            let profile = match &forms.profile {
                Some(typed) => typed.clone(),
                None => profile_of(state, user).await?,
            };
            return Ok(settings_views::profile_room(v, &profile, forms, &view));
        }
        SettingsRoom::Account => {
            view.recoveries = state.services.recoveries_of(user).await?;
            return Ok(settings_views::account_room(v, forms, &view));
        }
        SettingsRoom::Notifications | SettingsRoom::Privacy => {
            // Rooms of their own features (e-mail, privacy); never rendered here.
            return Err(AppError::NotFound);
        }
        SettingsRoom::Advanced => {}
    }
    let circles = state.services.my_circles(user).await?;
    view.tokens = state
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
    if let Some(account) = &full {
        view.activity = state.services.security_activity(account).await?;
    }
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
    Ok(settings_views::advanced_room(v, forms, &view))
}

/// A room shown again after a refused form.
async fn room_again(
    state: &AppState,
    v: &Visitor,
    user: &User,
    room: SettingsRoom,
    forms: SettingsForms,
) -> PageResult {
    Ok(page_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        room_markup(state, v, user, room, &forms).await?,
    ))
}

/// The profile form as stored: name, introduction, language, skills, interests and "ask me
/// about".
pub(super) async fn profile_of(state: &AppState, user: &User) -> Result<ProfileForm, AppError> {
    let extras = state.services.my_profile_extras(user).await?;
    Ok(ProfileForm {
        display_name: user.display_name.clone(),
        bio: user.bio.clone(),
        language: user.language.clone().unwrap_or_default(),
        skills: extras.skills.join(", "),
        interests: extras.interests.join(", "),
        ask_me_about: extras.ask_me_about,
        profile_public: extras.public.then(|| "on".to_owned()),
    })
}

/// The profile room again, with what was wrong with the photo just sent.
pub(crate) async fn settings_with_photo_errors(
    state: &AppState,
    v: &Visitor,
    user: &User,
    photo_errors: FormErrors,
) -> PageResult {
    let forms = SettingsForms {
        photo_errors,
        ..Default::default()
    };
    room_again(state, v, user, SettingsRoom::Profile, forms).await
}

pub async fn create_token(
    State(state): AppState_,
    v: Visitor,
    account: FullAccount,
    PageForm(form): PageForm<TokenRequest>,
) -> PageResult {
    let user = account.user();
    match state.services.create_api_token(&account, &form).await {
        Ok(token) => {
            let forms = SettingsForms {
                new_token: Some(token),
                ..Default::default()
            };
            let markup = room_markup(&state, &v, user, SettingsRoom::Advanced, &forms).await?;
            let mut response = page(markup);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(error) => {
            let forms = SettingsForms {
                advanced_errors: form_errors(&v, error, "label")?,
                ..Default::default()
            };
            room_again(&state, &v, user, SettingsRoom::Advanced, forms).await
        }
    }
}

pub async fn revoke_token(
    State(state): AppState_,
    account: FullAccount,
    PagePath(id): PagePath<String>,
) -> PageResult {
    let hash = hex::decode(&id).map_err(|_| AppError::NotFound)?;
    state.services.revoke_api_token(&account, &hash).await?;
    Ok(redirect_with_flash(
        SettingsRoom::Advanced.path(),
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
    account: FullAccount,
    PageForm(form): PageForm<OwnKeyForm>,
) -> PageResult {
    let user = account.user();
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
            SettingsRoom::Advanced.path(),
            Flash::new("flash-own-key", &[("circle", &actor.circle.name)]),
            state.config.cookies_secure,
        )),
        Err(error) => {
            let forms = SettingsForms {
                advanced_errors: form_errors(&v, error, "public_key")?,
                ..Default::default()
            };
            room_again(&state, &v, user, SettingsRoom::Advanced, forms).await
        }
    }
}

/// The profile room (the settings' first room).
pub async fn settings(State(state): AppState_, v: Visitor) -> PageResult {
    let user = user_of(&v)?;
    let forms = SettingsForms::default();
    Ok(page(
        room_markup(&state, &v, user, SettingsRoom::Profile, &forms).await?,
    ))
}

/// The account room: password and recoveries.
pub async fn settings_account(State(state): AppState_, v: Visitor) -> PageResult {
    let user = user_of(&v)?;
    let forms = SettingsForms::default();
    Ok(page(
        room_markup(&state, &v, user, SettingsRoom::Account, &forms).await?,
    ))
}

/// The advanced room: keys, one's own key, API tokens, the security log.
pub async fn settings_advanced(State(state): AppState_, v: Visitor) -> PageResult {
    let user = user_of(&v)?;
    let forms = SettingsForms::default();
    Ok(page(
        room_markup(&state, &v, user, SettingsRoom::Advanced, &forms).await?,
    ))
}

pub async fn settings_profile(
    State(state): AppState_,
    v: Visitor,
    account: FullAccount,
    PageForm(form): PageForm<ProfileForm>,
) -> PageResult {
    let user = account.user();
    let display_name = form.display_name.parse::<crate::names::DisplayName>();
    let bio = crate::names::bounded_text(&form.bio, crate::names::BIO_CHARS_MAX);
    let language = crate::i18n::LANGUAGES
        .iter()
        .find(|(code, _)| *code == form.language)
        .map(|(code, _)| *code);
    let extras = crate::people::rules::ProfileExtras::parse(
        &form.skills,
        &form.interests,
        &form.ask_me_about,
        form.profile_public.is_some(),
    );
    match (display_name, bio, extras) {
        (Ok(name), Ok(bio), Ok(extras)) => {
            state
                .services
                .update_profile(&account, &name, &bio, language)
                .await?;
            state.services.save_profile_extras(user, &extras).await?;
            Ok(redirect_with_flash(
                "/settings",
                Flash::new("flash-profile-saved", &[]),
                state.config.cookies_secure,
            ))
        }
        (name, bio, extras) => {
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
            for problem in extras.err().unwrap_or_default() {
                errors.0.push(views::FieldError {
                    field: problem.field,
                    message: v.tr.t(problem.message_id),
                });
            }
            let forms = SettingsForms {
                profile: Some(form),
                profile_errors: errors,
                ..Default::default()
            };
            room_again(&state, &v, user, SettingsRoom::Profile, forms).await
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
    account: FullAccount,
    PageForm(form): PageForm<PasswordForm>,
) -> PageResult {
    let user = account.user();
    let session = v.session.ok_or(AppError::LoginRequired)?;
    match state
        .services
        .change_password(
            &account,
            session,
            &form.current_password,
            &form.new_password,
            v.address,
        )
        .await
    {
        Ok(()) => Ok(redirect_with_flash(
            SettingsRoom::Account.path(),
            Flash::new("flash-password-changed", &[]),
            state.config.cookies_secure,
        )),
        Err(error) => {
            let forms = SettingsForms {
                password_errors: form_errors(&v, error, "new_password")?,
                ..Default::default()
            };
            room_again(&state, &v, user, SettingsRoom::Account, forms).await
        }
    }
}
