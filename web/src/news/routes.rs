//! News pages. Who may do what: every active member (`Actor`) reads the circle's news and
//! comments; stewards, and members when the circle allows it, publish; stewards pin and
//! announce; a post's author or a steward changes or withdraws it. The service refuses anyone
//! else; every form is CSRF-protected by the visitor layer.

#![allow(clippy::result_large_err)]

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::http::extract::{PageForm, PagePath, PageQuery};
use crate::http::page::*;
use crate::http::session::Visitor;
use crate::news::rules::NewsCommand;
use crate::news::views::{news_form_page, news_list_page, news_post_page, NewsForm};
use crate::services::{ActionError, Actor};
use crate::views::FormErrors;

#[derive(Debug, Deserialize)]
pub struct NewsQuery {
    before: Option<i64>,
}

pub async fn news(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(query): PageQuery<NewsQuery>,
) -> PageResult {
    let services = &state.services;
    let (posts, older) = services.news(&actor, query.before).await?;
    let may_post = services.may_post_news(&actor).await?;
    let members = services.members_may_post_news(&actor).await?;
    Ok(page(news_list_page(
        &v,
        &nav_for(&actor, "news"),
        &posts,
        may_post,
        members,
        older,
    )))
}

#[derive(Debug, Default, Deserialize)]
pub struct NewsFormInput {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    pinned: Option<String>,
    announce: Option<String>,
}

pub async fn new_news(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    if !state.services.may_post_news(&actor).await? {
        return Err(crate::http::error::AppError::Forbidden);
    }
    let form = NewsForm {
        steward: actor.is_steward,
        ..NewsForm::default()
    };
    Ok(page(news_form_page(
        &v,
        &nav_for(&actor, "news"),
        &form,
        &FormErrors::default(),
    )))
}

fn parse(input: &NewsFormInput) -> Result<NewsCommand, ActionError> {
    NewsCommand::parse(
        &input.title,
        &input.body,
        input.pinned.is_some(),
        input.announce.is_some(),
    )
    .map_err(ActionError::Fields)
}

fn form_again(
    v: &Visitor,
    actor: &Actor,
    input: &NewsFormInput,
    editing: Option<i64>,
    errors: &FormErrors,
) -> axum::response::Response {
    let form = NewsForm {
        title: &input.title,
        body: &input.body,
        steward: actor.is_steward,
        editing,
    };
    page_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        news_form_page(v, &nav_for(actor, "news"), &form, errors),
    )
}

pub async fn publish(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath(slug): PagePath<String>,
    PageForm(input): PageForm<NewsFormInput>,
) -> PageResult {
    let result = match parse(&input) {
        Ok(command) => state.services.publish_news(&actor, &command).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(id) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/news/{id}"),
            "flash-news-published",
            &[],
        )),
        Err(error) => Ok(form_again(
            &v,
            &actor,
            &input,
            None,
            &form_errors(&v, error, "body")?,
        )),
    }
}

pub async fn post(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, id)): PagePath<(String, i64)>,
) -> PageResult {
    let page_data = post_page_data(&state, &v, &actor, id).await?;
    Ok(page(news_post_page(
        &v,
        &nav_for(&actor, "news"),
        &page_data,
        &FormErrors::default(),
    )))
}

/// A post's page, with a fresh photo-form token for whoever may change it.
async fn post_page_data(
    state: &crate::AppState,
    v: &Visitor,
    actor: &Actor,
    id: i64,
) -> Result<crate::news::service::NewsPage, crate::http::error::AppError> {
    let mut data = state.services.news_page(actor, id).await?;
    if let (true, Some(session)) = (data.may_change, v.session) {
        data.upload_token = Some(state.upload_tokens.issue(&session, state.services.now_ms()));
    }
    Ok(data)
}

pub async fn photo_upload(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    multipart: axum::extract::Multipart,
) -> PageResult {
    let (bytes, alt) = crate::http::upload::photo_form(multipart).await?;
    let result = match bytes {
        Some(bytes) => {
            state
                .services
                .add_news_photo(&actor, id, &alt, &bytes)
                .await
        }
        None => Err(crate::services::invalid("photo", "photo-error-missing")),
    };
    match result {
        Ok(_) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/news/{id}"),
            "flash-photo-added",
            &[],
        )),
        Err(ActionError::Forbidden) => Err(crate::http::error::AppError::Forbidden),
        Err(ActionError::NotFound) => Err(crate::http::error::AppError::NotFound),
        Err(error) => {
            let errors = form_errors(&v, error, "photo")?;
            let data = post_page_data(&state, &v, &actor, id).await?;
            let markup = news_post_page(&v, &nav_for(&actor, "news"), &data, &errors);
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, markup))
        }
    }
}

pub async fn photo_delete(
    State(state): AppState_,
    actor: Actor,
    PagePath((slug, id, photo)): PagePath<(String, i64, i64)>,
) -> PageResult {
    state.services.delete_news_photo(&actor, id, photo).await?;
    Ok(flash_to(
        &state,
        &format!("/c/{slug}/news/{id}"),
        "flash-photo-deleted",
        &[],
    ))
}

pub async fn photo_file(
    State(state): AppState_,
    actor: Actor,
    PagePath((_, id, photo, size)): PagePath<(String, i64, i64, String)>,
) -> PageResult {
    let thumb = crate::people::routes::thumb_of(&size)?;
    let bytes = state.services.news_photo(&actor, id, photo, thumb).await?;
    Ok(crate::people::routes::jpeg(bytes))
}

pub async fn edit_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, id)): PagePath<(String, i64)>,
) -> PageResult {
    let data = state.services.news_page(&actor, id).await?;
    if !data.may_change {
        return Err(crate::http::error::AppError::Forbidden);
    }
    let form = NewsForm {
        title: &data.post.title,
        body: &data.post.body,
        steward: actor.is_steward,
        editing: Some(id),
    };
    Ok(page(news_form_page(
        &v,
        &nav_for(&actor, "news"),
        &form,
        &FormErrors::default(),
    )))
}

pub async fn edit(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(input): PageForm<NewsFormInput>,
) -> PageResult {
    let result = match parse(&input) {
        Ok(command) => state.services.edit_news(&actor, id, &command).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/news/{id}"),
            "flash-saved",
            &[],
        )),
        Err(error) => Ok(form_again(
            &v,
            &actor,
            &input,
            Some(id),
            &form_errors(&v, error, "body")?,
        )),
    }
}

#[derive(Debug, Deserialize)]
pub struct CommentInput {
    #[serde(default)]
    comment: String,
}

pub async fn comment(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
    PageForm(input): PageForm<CommentInput>,
) -> PageResult {
    match state
        .services
        .comment_news(&actor, id, &input.comment)
        .await
    {
        Ok(comment) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/news/{id}#comment-{comment}"),
            "flash-commented",
            &[],
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "comment")?;
            let data = post_page_data(&state, &v, &actor, id).await?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                news_post_page(&v, &nav_for(&actor, "news"), &data, &errors),
            ))
        }
    }
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
        .pin_news(&actor, id, input.pinned == "1")
        .await?;
    Ok(flash_to(
        &state,
        &format!("/c/{slug}/news/{id}"),
        "flash-saved",
        &[],
    ))
}

pub async fn withdraw(
    State(state): AppState_,
    actor: Actor,
    PagePath((slug, id)): PagePath<(String, i64)>,
) -> PageResult {
    state.services.withdraw_news(&actor, id).await?;
    Ok(flash_to(
        &state,
        &format!("/c/{slug}/news"),
        "flash-news-withdrawn",
        &[],
    ))
}

#[derive(Debug, Deserialize)]
pub struct SettingsInput {
    members_may_post: Option<String>,
}

pub async fn settings(
    State(state): AppState_,
    crate::http::extract::Steward(actor): crate::http::extract::Steward,
    PagePath(slug): PagePath<String>,
    PageForm(input): PageForm<SettingsInput>,
) -> PageResult {
    state
        .services
        .set_members_may_post_news(&actor, input.members_may_post.is_some())
        .await?;
    Ok(flash_to(
        &state,
        &format!("/c/{slug}/news"),
        "flash-saved",
        &[],
    ))
}
