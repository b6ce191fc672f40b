//! Blocking, muting and undoing either, from the other's page or from settings.

#![allow(clippy::result_large_err)]

use axum::extract::State;
use serde::Deserialize;

use crate::capability::FullAccount;
use crate::db::BlockKind;
use crate::http::error::AppError;
use crate::http::extract::{PageForm, PagePath};
use crate::names::Username;
use crate::services::Actor;

use crate::http::page::*;

/// What a member chose on another's page.
#[derive(Debug, Deserialize)]
pub struct BlockForm {
    #[serde(default)]
    choice: String,
}

/// The choice, parsed: block, mute, or undo either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Set(BlockKind),
    Undo,
}

impl Choice {
    fn parse(text: &str) -> Option<Choice> {
        match text {
            "undo" => Some(Choice::Undo),
            other => BlockKind::parse(other).map(Choice::Set),
        }
    }
}

pub async fn block_member(
    State(state): AppState_,
    actor: Actor,
    PagePath((slug, username)): PagePath<(String, String)>,
    PageForm(form): PageForm<BlockForm>,
) -> PageResult {
    let choice = Choice::parse(&form.choice).ok_or(AppError::BadRequest("error-bad-form"))?;
    let username: Username = username.parse().map_err(|_| AppError::NotFound)?;
    let flash = match choice {
        Choice::Set(kind) => {
            state.services.block(&actor, &username, kind).await?;
            match kind {
                BlockKind::Block => "flash-blocked",
                BlockKind::Mute => "flash-muted",
            }
        }
        Choice::Undo => {
            let other = state
                .services
                .active_member(&actor, username.as_str())
                .await?;
            state
                .services
                .unblock(
                    &crate::capability::FullAccount::of(&actor.user)?,
                    other.card.user_id,
                )
                .await?;
            "flash-unblocked"
        }
    };
    let to = format!("/c/{slug}/members/{username}");
    Ok(flash_to(&state, &to, flash, &[]))
}

/// Undoing a block or a mute from settings.
#[derive(Debug, Deserialize)]
pub struct UnblockForm {
    #[serde(default)]
    other: i64,
}

pub async fn unblock(
    State(state): AppState_,
    account: FullAccount,
    PageForm(form): PageForm<UnblockForm>,
) -> PageResult {
    state.services.unblock(&account, form.other).await?;
    Ok(flash_to(
        &state,
        crate::account::settings_views::SettingsRoom::Privacy.path(),
        "flash-unblocked",
        &[],
    ))
}

/// Undoing a block of a member of another node, from settings.
#[derive(Debug, Deserialize)]
pub struct UnblockAcrossForm {
    #[serde(default)]
    circle: String,
    #[serde(default)]
    username: String,
}

pub async fn unblock_across(
    State(state): AppState_,
    account: FullAccount,
    PageForm(form): PageForm<UnblockAcrossForm>,
) -> PageResult {
    let circle =
        commons_ledger::keys::Hash::from_hex(&form.circle).map_err(|_| AppError::NotFound)?;
    state
        .services
        .unblock_across(&account, &circle, form.username.trim())
        .await?;
    Ok(flash_to(
        &state,
        crate::account::settings_views::SettingsRoom::Privacy.path(),
        "flash-unblocked",
        &[],
    ))
}
