//! Private conversation pages. Who may do what: a member of the circle holding the whole
//! account (`Actor` + `FullAccount` → `Correspondent`) lists their conversations, starts one,
//! and reads, writes in, mutes, leaves and reports a conversation they are in. Anyone else gets
//! "not found" (another circle's member, a member not in the conversation, a steward, a
//! moderator); a login a recovery gave gets the recovered-login refusal. Every form is
//! CSRF-protected by the visitor layer.

#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::capability::FullAccount;
use crate::conversations::rules::{parse_recipients, MessageBody, StartCommand};
use crate::conversations::service::Correspondent;
use crate::conversations::views;
use crate::http::extract::{PageForm, PagePath, PageQuery};
use crate::http::page::*;
use crate::http::session::Visitor;
use crate::services::{invalid, ActionError, Actor};
use crate::views::FormErrors;

const NAV: &str = "messages";

type Fields = BTreeMap<String, String>;

fn correspondent(actor: Actor, account: &FullAccount) -> Result<Correspondent, ActionError> {
    Correspondent::new(actor, account)
}

pub async fn list(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    account: FullAccount,
) -> PageResult {
    let nav = nav_for(&actor, NAV);
    let who = correspondent(actor, &account)?;
    let lines = state.services.my_conversations(&who).await?;
    Ok(page(views::list_page(&v, &nav, &lines)))
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    to: String,
}

pub async fn new_form(
    v: Visitor,
    actor: Actor,
    account: FullAccount,
    PageQuery(query): PageQuery<NewQuery>,
) -> PageResult {
    let nav = nav_for(&actor, NAV);
    correspondent(actor, &account)?;
    let form = views::StartForm {
        to: &query.to,
        body: "",
    };
    Ok(page(views::new_page(
        &v,
        &nav,
        &form,
        &FormErrors::default(),
    )))
}

#[derive(Debug, Default, Deserialize)]
pub struct StartInput {
    #[serde(default)]
    to: String,
    #[serde(default)]
    body: String,
}

fn start_command(input: &StartInput, writer: &str) -> Result<StartCommand, ActionError> {
    let to = parse_recipients(&input.to, writer).map_err(|id| invalid("to", id));
    let body = MessageBody::parse(&input.body).map_err(|id| invalid("body", id));
    match (to, body) {
        (Ok(to), Ok(body)) => Ok(StartCommand { to, body }),
        (Err(error), _) | (_, Err(error)) => Err(error),
    }
}

pub async fn start(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    account: FullAccount,
    PagePath(slug): PagePath<String>,
    PageForm(input): PageForm<StartInput>,
) -> PageResult {
    let nav = nav_for(&actor, NAV);
    let who = correspondent(actor, &account)?;
    let result = match start_command(&input, &who.actor().user.username) {
        Ok(command) => state.services.start_conversation(&who, &command).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(id) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/messages/{id}#latest"),
            "flash-message-sent",
            &[],
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "body")?;
            let form = views::StartForm {
                to: &input.to,
                body: &input.body,
            };
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::new_page(&v, &nav, &form, &errors),
            ))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    before: Option<i64>,
}

pub async fn show(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    account: FullAccount,
    PagePath((_, id)): PagePath<(String, i64)>,
    PageQuery(query): PageQuery<ShowQuery>,
) -> PageResult {
    let nav = nav_for(&actor, NAV);
    let who = correspondent(actor, &account)?;
    let view = state
        .services
        .conversation_page(&who, id, query.before)
        .await?;
    Ok(page(views::conversation_page(
        &v,
        &nav,
        &view,
        "",
        &FormErrors::default(),
    )))
}

#[derive(Debug, Default, Deserialize)]
pub struct ReplyInput {
    #[serde(default)]
    body: String,
}

pub async fn reply(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    account: FullAccount,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(input): PageForm<ReplyInput>,
) -> PageResult {
    let nav = nav_for(&actor, NAV);
    let who = correspondent(actor, &account)?;
    let result = match MessageBody::parse(&input.body) {
        Ok(body) => state.services.conversation_message(&who, id, &body).await,
        Err(message_id) => Err(invalid("body", message_id)),
    };
    match result {
        Ok(()) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/messages/{id}#latest"),
            "flash-message-sent",
            &[],
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "body")?;
            let view = state.services.conversation_page(&who, id, None).await?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::conversation_page(&v, &nav, &view, &input.body, &errors),
            ))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MuteInput {
    #[serde(default)]
    muted: String,
}

pub async fn mute(
    State(state): AppState_,
    actor: Actor,
    account: FullAccount,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(input): PageForm<MuteInput>,
) -> PageResult {
    let who = correspondent(actor, &account)?;
    let muted = input.muted == "on";
    state.services.mute_conversation(&who, id, muted).await?;
    let flash = if muted {
        "flash-conversation-muted"
    } else {
        "flash-conversation-unmuted"
    };
    Ok(flash_to(
        &state,
        &format!("/c/{slug}/messages/{id}"),
        flash,
        &[],
    ))
}

pub async fn leave(
    State(state): AppState_,
    actor: Actor,
    account: FullAccount,
    PagePath((slug, id)): PagePath<(String, i64)>,
) -> PageResult {
    let who = correspondent(actor, &account)?;
    state.services.leave_conversation(&who, id).await?;
    Ok(flash_to(
        &state,
        &format!("/c/{slug}/messages"),
        "flash-conversation-left",
        &[],
    ))
}

pub async fn report_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    account: FullAccount,
    PagePath((_, id)): PagePath<(String, i64)>,
) -> PageResult {
    let nav = nav_for(&actor, NAV);
    let agreements = state.services.agreements(&actor).await?;
    let who = correspondent(actor, &account)?;
    let messages = state.services.reportable_messages(&who, id).await?;
    Ok(page(views::report_page(
        &v,
        &nav,
        id,
        &messages,
        &agreements,
        &[],
        &FormErrors::default(),
    )))
}

/// The messages a report form chose: its `message_N` boxes.
fn chosen_messages(fields: &Fields) -> Vec<i64> {
    fields
        .keys()
        .filter_map(|key| key.strip_prefix("message_"))
        .filter_map(|id| id.parse().ok())
        .take(crate::conversations::rules::REPORTED_MESSAGES_MAX + 1)
        .collect()
}

pub async fn report(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    account: FullAccount,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(fields): PageForm<Fields>,
) -> PageResult {
    let nav = nav_for(&actor, NAV);
    let agreements = state.services.agreements(&actor).await?;
    let who = correspondent(actor, &account)?;
    let chosen = chosen_messages(&fields);
    let result = match crate::moderation::form::report_command(&fields, &agreements) {
        Ok(command) => state
            .services
            .report_conversation(&who, id, &chosen, &command)
            .await
            .map(|_| ()),
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/moderation#my-reports"),
            "flash-reported",
            &[],
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "messages")?;
            let messages = state.services.reportable_messages(&who, id).await?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::report_page(&v, &nav, id, &messages, &agreements, &chosen, &errors),
            ))
        }
    }
}
