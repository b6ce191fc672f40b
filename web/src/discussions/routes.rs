//! Discussion pages. Who may do what: every active member (`Actor`) reads and searches the
//! circle's threads, starts threads, replies, follows and mutes; a reply's author alone changes
//! it (anyone else: "not found"); a thread's author or a steward changes
//! or withdraws it and turns it into a proposal; stewards pin threads and edit the categories
//! (`Steward`). The service refuses anyone else; every form is CSRF-protected by the visitor
//! layer.

#![allow(clippy::result_large_err)]

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::db::discussions::FollowMode;
use crate::discussions::rules::{CategoryCommand, ThreadCommand};
use crate::discussions::views::{
    categories_page, thread_form_page, thread_page, threads_page, ThreadForm,
};
use crate::http::extract::{PageForm, PagePath, PageQuery, Steward};
use crate::http::page::*;
use crate::http::session::Visitor;
use crate::services::{ActionError, Actor};
use crate::views::FormErrors;

const NAV: &str = "discussions";

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    category: Option<i64>,
    #[serde(default)]
    page: i64,
    /// Words to search the threads and replies for.
    #[serde(default)]
    q: String,
}

pub async fn list(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(query): PageQuery<ListQuery>,
) -> PageResult {
    if !query.q.trim().is_empty() {
        let results = match crate::discussions::edits::search_words(&query.q) {
            Ok(words) => Ok(state.services.search_discussions(&actor, &words).await?),
            Err(message_id) => Err(v.tr.t(message_id)),
        };
        return Ok(page(crate::discussions::views::search_page(
            &v,
            &nav_for(&actor, NAV),
            &query.q,
            &results,
        )));
    }
    let list = state
        .services
        .threads(&actor, query.category, query.page.max(0))
        .await?;
    Ok(page(threads_page(
        &v,
        &nav_for(&actor, NAV),
        &list,
        query.category,
        query.page.max(0),
    )))
}

#[derive(Debug, Default, Deserialize)]
pub struct ThreadInput {
    #[serde(default)]
    category: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

pub async fn new_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(query): PageQuery<ListQuery>,
) -> PageResult {
    let categories = state.services.discussion_categories(&actor).await?;
    let category = query.category.map(|id| id.to_string()).unwrap_or_default();
    let form = ThreadForm {
        category: &category,
        title: "",
        body: "",
        editing: None,
    };
    Ok(page(thread_form_page(
        &v,
        &nav_for(&actor, NAV),
        &categories,
        &form,
        &FormErrors::default(),
    )))
}

fn parse(input: &ThreadInput) -> Result<ThreadCommand, ActionError> {
    ThreadCommand::parse(&input.category, &input.title, &input.body).map_err(ActionError::Fields)
}

async fn form_again(
    state: &crate::AppState,
    v: &Visitor,
    actor: &Actor,
    input: &ThreadInput,
    editing: Option<i64>,
    error: ActionError,
) -> PageResult {
    let errors = form_errors(v, error, "body")?;
    let categories = state.services.discussion_categories(actor).await?;
    let form = ThreadForm {
        category: &input.category,
        title: &input.title,
        body: &input.body,
        editing,
    };
    Ok(page_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        thread_form_page(v, &nav_for(actor, NAV), &categories, &form, &errors),
    ))
}

pub async fn start(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath(slug): PagePath<String>,
    PageForm(input): PageForm<ThreadInput>,
) -> PageResult {
    let result = match parse(&input) {
        Ok(command) => state.services.start_thread(&actor, &command).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(id) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/discussions/{id}"),
            "flash-discussion-started",
            &[],
        )),
        Err(error) => form_again(&state, &v, &actor, &input, None, error).await,
    }
}

pub async fn show(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, id)): PagePath<(String, i64)>,
) -> PageResult {
    let data = state.services.thread_page(&actor, id).await?;
    Ok(page(thread_page(
        &v,
        &nav_for(&actor, NAV),
        &data,
        &FormErrors::default(),
    )))
}

pub async fn edit_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, id)): PagePath<(String, i64)>,
) -> PageResult {
    let data = state.services.thread_page(&actor, id).await?;
    if !data.may_change {
        return Err(crate::http::error::AppError::Forbidden);
    }
    let categories = state.services.discussion_categories(&actor).await?;
    let category = data.thread.category.to_string();
    let form = ThreadForm {
        category: &category,
        title: &data.thread.title,
        body: &data.thread.body,
        editing: Some(id),
    };
    Ok(page(thread_form_page(
        &v,
        &nav_for(&actor, NAV),
        &categories,
        &form,
        &FormErrors::default(),
    )))
}

pub async fn edit(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(input): PageForm<ThreadInput>,
) -> PageResult {
    let result = match parse(&input) {
        Ok(command) => state.services.edit_thread(&actor, id, &command).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/discussions/{id}"),
            "flash-saved",
            &[],
        )),
        Err(error) => form_again(&state, &v, &actor, &input, Some(id), error).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct ReplyInput {
    #[serde(default)]
    reply: String,
}

pub async fn reply(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(input): PageForm<ReplyInput>,
) -> PageResult {
    match state.services.reply_thread(&actor, id, &input.reply).await {
        Ok(reply) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/discussions/{id}#reply-{reply}"),
            "flash-replied",
            &[],
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "reply")?;
            let data = state.services.thread_page(&actor, id).await?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                thread_page(&v, &nav_for(&actor, NAV), &data, &errors),
            ))
        }
    }
}

pub async fn edit_reply_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, id, reply)): PagePath<(String, i64, i64)>,
) -> PageResult {
    let reply = state.services.own_reply(&actor, reply).await?;
    if reply.thread != id {
        return Err(crate::http::error::AppError::NotFound);
    }
    Ok(page(crate::discussions::views::reply_edit_page(
        &v,
        &nav_for(&actor, NAV),
        &reply,
        &reply.body,
        &FormErrors::default(),
    )))
}

pub async fn edit_reply(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id, reply)): PagePath<(String, i64, i64)>,
    PageForm(input): PageForm<ReplyInput>,
) -> PageResult {
    let own = state.services.own_reply(&actor, reply).await?;
    if own.thread != id {
        return Err(crate::http::error::AppError::NotFound);
    }
    match state.services.edit_reply(&actor, reply, &input.reply).await {
        Ok(_) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/discussions/{id}#reply-{reply}"),
            "flash-saved",
            &[],
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "reply")?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                crate::discussions::views::reply_edit_page(
                    &v,
                    &nav_for(&actor, NAV),
                    &own,
                    &input.reply,
                    &errors,
                ),
            ))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct FollowInput {
    #[serde(default)]
    mode: String,
}

pub async fn follow(
    State(state): AppState_,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(input): PageForm<FollowInput>,
) -> PageResult {
    let mode = FollowMode::parse(&input.mode);
    state.services.set_thread_follow(&actor, id, mode).await?;
    let message = match mode {
        Some(FollowMode::Follow) => "flash-discussion-following",
        Some(FollowMode::Mute) => "flash-discussion-muted",
        None => "flash-saved",
    };
    Ok(flash_to(
        &state,
        &format!("/c/{slug}/discussions/{id}"),
        message,
        &[],
    ))
}

#[derive(Debug, Deserialize)]
pub struct PinInput {
    #[serde(default)]
    pinned: String,
}

pub async fn pin(
    State(state): AppState_,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(input): PageForm<PinInput>,
) -> PageResult {
    state
        .services
        .pin_thread(&actor, id, input.pinned == "1")
        .await?;
    Ok(flash_to(
        &state,
        &format!("/c/{slug}/discussions/{id}"),
        "flash-saved",
        &[],
    ))
}

pub async fn withdraw(
    State(state): AppState_,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
) -> PageResult {
    state.services.withdraw_thread(&actor, id).await?;
    Ok(flash_to(
        &state,
        &format!("/c/{slug}/discussions"),
        "flash-discussion-withdrawn",
        &[],
    ))
}

pub async fn to_proposal(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
) -> PageResult {
    let number = state.services.thread_to_proposal(&actor, &v.tr, id).await?;
    Ok(flash_to(
        &state,
        &format!("/c/{slug}/proposals/{number}/edit"),
        "flash-discussion-proposed",
        &[],
    ))
}

pub async fn categories(
    State(state): AppState_,
    v: Visitor,
    Steward(actor): Steward,
) -> PageResult {
    let list = state.services.discussion_categories(&actor).await?;
    Ok(page(categories_page(
        &v,
        &nav_for(&actor, NAV),
        &list,
        &FormErrors::default(),
    )))
}

#[derive(Debug, Default, Deserialize)]
pub struct CategoryInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

async fn categories_again(
    state: &crate::AppState,
    v: &Visitor,
    actor: &Actor,
    error: ActionError,
) -> PageResult {
    let errors = form_errors(v, error, "name")?;
    let list = state.services.discussion_categories(actor).await?;
    Ok(page_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        categories_page(v, &nav_for(actor, NAV), &list, &errors),
    ))
}

pub async fn add_category(
    State(state): AppState_,
    v: Visitor,
    Steward(actor): Steward,
    PagePath(slug): PagePath<String>,
    PageForm(input): PageForm<CategoryInput>,
) -> PageResult {
    let result = match CategoryCommand::parse(&input.name, &input.description) {
        Ok(command) => {
            state
                .services
                .add_discussion_category(&actor, &command)
                .await
        }
        Err(problems) => Err(ActionError::Fields(problems)),
    };
    match result {
        Ok(_) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/discussions/categories"),
            "flash-saved",
            &[],
        )),
        Err(error) => categories_again(&state, &v, &actor, error).await,
    }
}

pub async fn update_category(
    State(state): AppState_,
    v: Visitor,
    Steward(actor): Steward,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(input): PageForm<CategoryInput>,
) -> PageResult {
    let result = match CategoryCommand::parse(&input.name, &input.description) {
        Ok(command) => {
            state
                .services
                .update_discussion_category(&actor, id, &command)
                .await
        }
        Err(problems) => Err(ActionError::Fields(problems)),
    };
    match result {
        Ok(()) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/discussions/categories"),
            "flash-saved",
            &[],
        )),
        Err(error) => categories_again(&state, &v, &actor, error).await,
    }
}

pub async fn remove_category(
    State(state): AppState_,
    v: Visitor,
    Steward(actor): Steward,
    PagePath((slug, id)): PagePath<(String, i64)>,
) -> PageResult {
    match state.services.remove_discussion_category(&actor, id).await {
        Ok(()) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/discussions/categories"),
            "flash-discussion-category-removed",
            &[],
        )),
        Err(error) => categories_again(&state, &v, &actor, error).await,
    }
}
