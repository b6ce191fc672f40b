//! Repair conversations' pages. Who may do what: a moderator (`Moderator`) opens one from a
//! case they may act on; the people invited and its facilitator read it (anyone else: 404);
//! invited people join or decline; those who joined write and consent; the facilitator writes
//! the agreement and concludes or closes it.

#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;

use crate::http::extract::{Moderator, PageForm, PagePath};
use crate::http::page::*;
use crate::http::session::Visitor;
use crate::moderation::views::repair_page;
use crate::services::{ActionError, Actor};
use crate::views::FormErrors;

type Fields = BTreeMap<String, String>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.get(name).map_or("", String::as_str)
}

async fn again(
    state: &crate::AppState,
    v: &Visitor,
    actor: &Actor,
    id: i64,
    error: ActionError,
) -> PageResult {
    let errors = form_errors(v, error, "message")?;
    let view = state.services.repair_view(actor, id).await?;
    let nav = nav_for(actor, "");
    Ok(page_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        repair_page(v, &nav, &view, &errors, is_locked(state, v)),
    ))
}

fn back(state: &crate::AppState, slug: &str, id: i64, flash: &str) -> axum::response::Response {
    flash_to(state, &format!("/c/{slug}/repairs/{id}"), flash, &[])
}

pub async fn open_repair(
    State(state): AppState_,
    v: Visitor,
    Moderator(actor): Moderator,
    PagePath((slug, case_id)): PagePath<(String, i64)>,
    PageForm(fields): PageForm<Fields>,
) -> PageResult {
    match state
        .services
        .open_repair(
            &actor,
            case_id,
            field(&fields, "people"),
            field(&fields, "topic"),
        )
        .await
    {
        Ok(id) => Ok(back(&state, &slug, id, "flash-repair-opened")),
        Err(error) => {
            let errors = form_errors(&v, error, "people")?;
            let view = state.services.case_view(&actor, case_id).await?;
            let nav = nav_for(&actor, "");
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                crate::moderation::views::case_page(
                    &v,
                    &nav,
                    &view,
                    &errors,
                    is_locked(&state, &v),
                ),
            ))
        }
    }
}

pub async fn repair(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, id)): PagePath<(String, i64)>,
) -> PageResult {
    let view = state.services.repair_view(&actor, id).await?;
    let nav = nav_for(&actor, "");
    Ok(page(repair_page(
        &v,
        &nav,
        &view,
        &FormErrors::default(),
        is_locked(&state, &v),
    )))
}

pub async fn answer(
    State(state): AppState_,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(fields): PageForm<Fields>,
) -> PageResult {
    let join = match field(&fields, "answer") {
        "join" => true,
        "decline" => false,
        _ => return Err(crate::http::error::AppError::BadRequest("error-bad-form")),
    };
    state.services.answer_repair(&actor, id, join).await?;
    Ok(back(
        &state,
        &slug,
        id,
        if join {
            "flash-repair-joined"
        } else {
            "flash-repair-declined"
        },
    ))
}

pub async fn message(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(fields): PageForm<Fields>,
) -> PageResult {
    match state
        .services
        .repair_message(&actor, id, field(&fields, "message"))
        .await
    {
        Ok(()) => Ok(back(&state, &slug, id, "flash-saved")),
        Err(error) => again(&state, &v, &actor, id, error).await,
    }
}

pub async fn agreement(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(fields): PageForm<Fields>,
) -> PageResult {
    let (agreement, outline) = (field(&fields, "agreement"), field(&fields, "outline"));
    match state
        .services
        .write_repair_agreement(&actor, id, agreement, outline)
        .await
    {
        Ok(()) => Ok(back(&state, &slug, id, "flash-saved")),
        Err(error) => again(&state, &v, &actor, id, error).await,
    }
}

pub async fn consent(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(fields): PageForm<Fields>,
) -> PageResult {
    let version = field(&fields, "version").parse().unwrap_or(-1);
    match state.services.consent_repair(&actor, id, version).await {
        Ok(()) => Ok(back(&state, &slug, id, "flash-repair-consented")),
        Err(error) => again(&state, &v, &actor, id, error).await,
    }
}

pub async fn end(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(fields): PageForm<Fields>,
) -> PageResult {
    let result = match field(&fields, "end") {
        "conclude" => match unlock_if_given(&state, &v, field(&fields, "unlock_password")).await {
            Ok(()) => state
                .services
                .conclude_repair(&actor, id)
                .await
                .map(|_| "flash-repair-agreed"),
            Err(error) => Err(error),
        },
        "close" => state
            .services
            .close_repair(&actor, id)
            .await
            .map(|()| "flash-repair-closed"),
        _ => return Err(crate::http::error::AppError::BadRequest("error-bad-form")),
    };
    match result {
        Ok(flash) => Ok(back(&state, &slug, id, flash)),
        Err(error) => again(&state, &v, &actor, id, error).await,
    }
}
