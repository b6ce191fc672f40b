//! Moderation's pages. Who may do what:
//! - any active member (`Actor`): report what they can see in their circle (not their own),
//!   read the circle's moderation page, log and export, and appeal an action about them;
//! - moderators (`Moderator`: the circle's stewards and members a passed proposal appointed):
//!   the queue, a case, taking it, notes, and acting — never on a case about themselves, and
//!   never on the appeal of their own action;
//! - stewards (`Steward`): setting the moderation policy (appointments are made by proposal).

#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use commons_governance::moderation::TargetKind;
use serde::Deserialize;

use crate::http::error::AppError;
use crate::http::extract::{Moderator, PageForm, PagePath, PageQuery, Steward};
use crate::http::page::*;
use crate::http::session::Visitor;
use crate::moderation::form::{act_command, report_command};
use crate::moderation::parties::Acted;
use crate::moderation::signals::Signal;
use crate::moderation::views::{self, ModerationHome};
use crate::services::{ActionError, Actor};
use crate::views::FormErrors;

type Fields = BTreeMap<String, String>;

fn target_kind(text: &str) -> Result<TargetKind, AppError> {
    TargetKind::parse(text).ok_or(AppError::NotFound)
}

pub async fn report_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, kind, id)): PagePath<(String, String, String)>,
) -> PageResult {
    let target = state
        .services
        .report_target(&actor, target_kind(&kind)?, &id)
        .await?;
    let agreements = state.services.agreements(&actor).await?;
    let nav = nav_for(&actor, "");
    Ok(page(views::report_page(
        &v,
        &nav,
        &target,
        &agreements,
        &FormErrors::default(),
    )))
}

pub async fn report(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, kind, id)): PagePath<(String, String, String)>,
    PageForm(fields): PageForm<Fields>,
) -> PageResult {
    let services = &state.services;
    let target = services
        .report_target(&actor, target_kind(&kind)?, &id)
        .await?;
    let agreements = services.agreements(&actor).await?;
    let result = match report_command(&fields, &agreements) {
        Ok(command) => services.report(&actor, &target, &command).await.map(|_| ()),
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
            let errors = form_errors(&v, error, "note")?;
            let nav = nav_for(&actor, "");
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::report_page(&v, &nav, &target, &agreements, &errors),
            ))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct LogQuery {
    before: Option<i64>,
}

pub async fn moderation_home(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(query): PageQuery<LogQuery>,
) -> PageResult {
    let services = &state.services;
    let is_moderator = services.is_moderator(&actor).await?;
    let log = services.moderation_log(&actor, query.before).await?;
    let older = (log.len() as i64 == crate::db::LOG_PAGE_MAX)
        .then(|| log.last().map(|l| l.action.seq))
        .flatten();
    let home = ModerationHome {
        head: services.moderation_head(&actor).await?,
        node_key: Some(services.moderation_node_key(&actor).await?),
        summary: services.moderation_summary(&actor).await?,
        my_reports: services.my_reports(&actor).await?,
        repairs: services.my_repairs(&actor).await?,
        open_cases: if is_moderator {
            services.queue(&actor).await?.len()
        } else {
            0
        },
        setup: services.moderation_setup(&actor).await?,
        is_steward: actor.is_steward,
        is_moderator,
        older,
        log,
    };
    let nav = nav_for(&actor, "");
    Ok(page(views::moderation_page(&v, &nav, &home)))
}

pub async fn moderation_export(State(state): AppState_, actor: Actor) -> PageResult {
    let text = state.services.moderation_export(&actor).await?;
    let name = format!(
        "attachment; filename=\"{}-moderation.jsonl\"",
        actor.circle.slug
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/jsonl; charset=utf-8".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, name),
        ],
        text,
    )
        .into_response())
}

async fn action_view(
    state: &crate::AppState,
    v: &Visitor,
    actor: &Actor,
    seq: i64,
    errors: &FormErrors,
) -> Result<maud::Markup, AppError> {
    let services = &state.services;
    let logged = services.logged_action(actor, seq).await?;
    let agreements = services.agreements(actor).await?;
    let appealed = services.appeal_made(actor, seq).await?;
    let nav = nav_for(actor, "");
    Ok(views::action_page(
        v,
        &nav,
        &logged,
        &agreements,
        appealed,
        errors,
    ))
}

pub async fn moderation_action(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, seq)): PagePath<(String, i64)>,
) -> PageResult {
    Ok(page(
        action_view(&state, &v, &actor, seq, &FormErrors::default()).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct AppealForm {
    #[serde(default)]
    statement: String,
}

pub async fn appeal(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, seq)): PagePath<(String, i64)>,
    PageForm(form): PageForm<AppealForm>,
) -> PageResult {
    match state.services.appeal(&actor, seq, &form.statement).await {
        Ok((_, by_vote)) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/moderation/actions/{seq}"),
            if by_vote.is_some() {
                "flash-appealed-vote"
            } else {
                "flash-appealed"
            },
            &[],
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "statement")?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                action_view(&state, &v, &actor, seq, &errors).await?,
            ))
        }
    }
}

pub async fn queue(State(state): AppState_, v: Visitor, Moderator(actor): Moderator) -> PageResult {
    let services = &state.services;
    let items = services.queue(&actor).await?;
    let signals = services.signals(&actor).await?;
    let people: Vec<i64> = signals
        .iter()
        .map(|signal| match signal {
            Signal::InvitationBurst { root, .. } => *root,
            Signal::ReportedBySeveral { member, .. } | Signal::NewMemberLinks { member, .. } => {
                *member
            }
        })
        .collect();
    let names = services.people_by_id(&actor, &people).await?;
    let nav = nav_for(&actor, "");
    Ok(page(views::queue_page(&v, &nav, &items, &signals, &names)))
}

async fn case_markup(
    state: &crate::AppState,
    v: &Visitor,
    actor: &Actor,
    id: i64,
    errors: &FormErrors,
) -> Result<maud::Markup, AppError> {
    let view = state.services.case_view(actor, id).await?;
    let nav = nav_for(actor, "");
    Ok(views::case_page(
        v,
        &nav,
        &view,
        errors,
        is_locked(state, v),
    ))
}

pub async fn case(
    State(state): AppState_,
    v: Visitor,
    Moderator(actor): Moderator,
    PagePath((_, id)): PagePath<(String, i64)>,
) -> PageResult {
    Ok(page(
        case_markup(&state, &v, &actor, id, &FormErrors::default()).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    take: String,
}

pub async fn assign(
    State(state): AppState_,
    Moderator(actor): Moderator,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(form): PageForm<AssignForm>,
) -> PageResult {
    state
        .services
        .assign_case(&actor, id, form.take == "1")
        .await?;
    Ok(flash_to(
        &state,
        &format!("/c/{slug}/moderation/cases/{id}"),
        "flash-saved",
        &[],
    ))
}

pub async fn note(
    State(state): AppState_,
    v: Visitor,
    Moderator(actor): Moderator,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(fields): PageForm<Fields>,
) -> PageResult {
    let body = fields.get("note").map_or("", String::as_str);
    match state.services.add_case_note(&actor, id, body).await {
        Ok(()) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/moderation/cases/{id}#notes-title"),
            "flash-saved",
            &[],
        )),
        Err(error) => case_again(&state, &v, &actor, id, error).await,
    }
}

async fn case_again(
    state: &crate::AppState,
    v: &Visitor,
    actor: &Actor,
    id: i64,
    error: ActionError,
) -> PageResult {
    let errors = form_errors(v, error, "reason")?;
    Ok(page_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        case_markup(state, v, actor, id, &errors).await?,
    ))
}

pub async fn act(
    State(state): AppState_,
    v: Visitor,
    Moderator(actor): Moderator,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(fields): PageForm<Fields>,
) -> PageResult {
    let services = &state.services;
    let password = fields.get("unlock_password").map_or("", String::as_str);
    let result = match unlock_if_given(&state, &v, password).await {
        Ok(()) => {
            let agreements = services.agreements(&actor).await?;
            match act_command(&fields, &agreements, services.now_ms()) {
                Ok(command) => services.act(&actor, id, &command).await,
                Err(error) => Err(error),
            }
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(Acted::Logged(seq)) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/moderation/queue"),
            "flash-moderated",
            &[("seq", &seq.to_string())],
        )),
        Ok(Acted::AwaitingSecond) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/moderation/queue"),
            "flash-moderation-awaits-second",
            &[],
        )),
        Err(error) => case_again(&state, &v, &actor, id, error).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    names_shown: Option<String>,
    #[serde(default)]
    appeals_by_vote: Option<String>,
}

pub async fn policy(
    State(state): AppState_,
    Steward(actor): Steward,
    PagePath(slug): PagePath<String>,
    PageForm(form): PageForm<PolicyForm>,
) -> PageResult {
    state
        .services
        .set_moderation_policy(
            &actor,
            form.names_shown.is_some(),
            form.appeals_by_vote.is_some(),
        )
        .await?;
    Ok(flash_to(
        &state,
        &format!("/c/{slug}/moderation#who-title"),
        "flash-saved",
        &[],
    ))
}
