//! Page handlers of the circle's decisions: each reads the request, calls the governance
//! services, and renders a view. No SQL and no rules live here.

#![allow(clippy::result_large_err)]

use axum::extract::State;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use commons_governance::policy::Step;
use serde::Deserialize;

use crate::governance::views::{self as views, ProposalFormPage, ProposalPage};
use crate::governance::{PauseOutcome, ProposalInput};
use crate::http::error::AppError;
use crate::http::extract::{PageForm, PagePath, PageQuery};
use crate::http::page::flash_to;
use crate::http::page::{
    form_errors, is_locked, nav_for, page, page_with_status, unit_of, unlock_if_given, AppState_,
    PageResult,
};
use crate::http::session::{redirect_with_flash, Flash, Visitor};
use crate::services::{ActionError, Actor};
use crate::views::FormErrors;
use crate::AppState;

pub async fn list(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    let services = &state.services;
    let lists = services.proposal_lists(&actor).await?;
    let policy = services.governance_policy(&actor).await?;
    let may_propose = policy.may_propose(actor.is_steward);
    Ok(page(views::proposals_page(
        &v,
        &nav_for(&actor, "decisions"),
        &lists,
        may_propose,
    )))
}

async fn form_markup(
    state: &AppState,
    v: &Visitor,
    actor: &Actor,
    input: &ProposalInput,
    editing: Option<i64>,
    amending: bool,
    errors: &FormErrors,
) -> Result<maud::Markup, AppError> {
    let policy = state.services.governance_policy(actor).await?;
    Ok(views::proposal_form_page(
        v,
        &nav_for(actor, "decisions"),
        &ProposalFormPage {
            input,
            editing,
            amending,
            policy: &policy,
            unit: &unit_of(&actor.circle),
        },
        errors,
    ))
}

/// What a link may fill in on a new proposal: the kind of change and the member it is about
/// (as the moderation page's "propose a member to moderate" does). Nothing else.
#[derive(Debug, Default, Deserialize)]
pub struct NewProposalQuery {
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    member: Option<String>,
}

pub async fn new_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(query): PageQuery<NewProposalQuery>,
) -> PageResult {
    let policy = state.services.governance_policy(&actor).await?;
    let action = query
        .action
        .filter(|kind| crate::governance::form::ACTION_KINDS.contains(&kind.as_str()))
        .unwrap_or_default();
    let mut input = ProposalInput {
        delegation: Some("on".into()),
        hide_results: policy.hide_results.then(|| "on".into()),
        action,
        action_member: query
            .member
            .map(|name| name.chars().take(64).collect())
            .unwrap_or_default(),
        ..ProposalInput::default()
    };
    input.fill_policy(&policy);
    Ok(page(
        form_markup(
            &state,
            &v,
            &actor,
            &input,
            None,
            false,
            &FormErrors::default(),
        )
        .await?,
    ))
}

pub async fn new_submit(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath(slug): PagePath<String>,
    PageForm(input): PageForm<ProposalInput>,
) -> PageResult {
    match state.services.create_proposal(&actor, &input).await {
        Ok(proposal) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/proposals/{}", proposal.number),
            "flash-proposal-saved",
            &[],
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "title")?;
            let markup = form_markup(&state, &v, &actor, &input, None, false, &errors).await?;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, markup))
        }
    }
}

pub async fn edit_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, number)): PagePath<(String, i64)>,
) -> PageResult {
    let view = state.services.proposal_view(&actor, number).await?;
    if !state.services.may_edit(&actor, &view.proposal).await? {
        return Err(AppError::NotFound);
    }
    let decimals = commons_ledger::amount::Decimals::new(u32::from(actor.circle.decimals))
        .map_err(|_| AppError::NotFound)?;
    let mut names = view.names.clone();
    for person in state.services.active_people(&actor).await? {
        names.insert(person.account_key, person.username);
    }
    let partners = state
        .services
        .partners(crate::links::partners_named(&view.proposal.draft.actions))
        .await?;
    let input = ProposalInput::from_proposal(&view.proposal, decimals, &names, &partners);
    let amending = view.proposal.round > 0;
    Ok(page(
        form_markup(
            &state,
            &v,
            &actor,
            &input,
            Some(number),
            amending,
            &FormErrors::default(),
        )
        .await?,
    ))
}

pub async fn edit_submit(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, number)): PagePath<(String, i64)>,
    PageForm(input): PageForm<ProposalInput>,
) -> PageResult {
    match state.services.edit_proposal(&actor, number, &input).await {
        Ok(_) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/proposals/{number}"),
            "flash-proposal-saved",
            &[],
        )),
        Err(error) => {
            let amending = state
                .services
                .proposal_view(&actor, number)
                .await
                .is_ok_and(|view| view.proposal.round > 0);
            let errors = form_errors(&v, error, "title")?;
            let markup =
                form_markup(&state, &v, &actor, &input, Some(number), amending, &errors).await?;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, markup))
        }
    }
}

async fn proposal_markup(
    state: &AppState,
    v: &Visitor,
    actor: &Actor,
    number: i64,
    errors: &FormErrors,
) -> Result<maud::Markup, AppError> {
    let services = &state.services;
    let view = services.proposal_view(actor, number).await?;
    let may_edit = services.may_edit(actor, &view.proposal).await?;
    let members = services.active_people(actor).await?;
    let members: Vec<_> = members
        .into_iter()
        .filter(|p| p.user_id != actor.user.id)
        .take(crate::db::MEMBERS_PAGE_MAX as usize)
        .collect();
    Ok(views::proposal_page(
        v,
        &nav_for(actor, "decisions"),
        &ProposalPage {
            is_author: view.proposal.author == actor.user.id,
            view: &view,
            unit: &unit_of(&actor.circle),
            may_edit,
            locked: is_locked(state, v),
            members: &members,
            is_steward: actor.is_steward,
        },
        errors,
    ))
}

pub async fn show(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((_, number)): PagePath<(String, i64)>,
) -> PageResult {
    Ok(page(
        proposal_markup(&state, &v, &actor, number, &FormErrors::default()).await?,
    ))
}

async fn with_error(
    state: &AppState,
    v: &Visitor,
    actor: &Actor,
    number: i64,
    error: ActionError,
    field: &'static str,
) -> PageResult {
    let errors = form_errors(v, error, field)?;
    let markup = proposal_markup(state, v, actor, number, &errors).await?;
    Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, markup))
}

pub async fn step(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, number, name)): PagePath<(String, i64, String)>,
) -> PageResult {
    let (step, flash) = match name.as_str() {
        "discuss" => (Step::StartDiscussion, "flash-proposal-discussion"),
        "vote" => (Step::OpenVoting, "flash-proposal-voting"),
        "round" => (Step::NewRound, "flash-proposal-amend-discussion"),
        "withdraw" => (Step::Withdraw, "flash-proposal-withdrawn"),
        _ => return Err(AppError::NotFound),
    };
    match state.services.proposal_step(&actor, number, step).await {
        Ok(_) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/proposals/{number}"),
            flash,
            &[],
        )),
        Err(error) => with_error(&state, &v, &actor, number, error, "proposal").await,
    }
}

#[derive(Debug, Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    comment: String,
    #[serde(default)]
    body: String,
    parent: Option<i64>,
}

pub async fn comment(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, number)): PagePath<(String, i64)>,
    PageForm(form): PageForm<CommentForm>,
) -> PageResult {
    let text = if form.parent.is_some() {
        &form.body
    } else {
        &form.comment
    };
    match state
        .services
        .comment(&actor, number, form.parent, text)
        .await
    {
        Ok(id) => {
            Ok(Redirect::to(&format!("/c/{slug}/proposals/{number}#comment-{id}")).into_response())
        }
        Err(error) => with_error(&state, &v, &actor, number, error, "comment").await,
    }
}

#[derive(Debug, Deserialize)]
pub struct PauseForm {
    #[serde(default)]
    reason: String,
}

/// A steward pauses a proposal at once; a member asks, and enough members' requests pause it.
pub async fn pause(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, number)): PagePath<(String, i64)>,
    PageForm(form): PageForm<PauseForm>,
) -> PageResult {
    let to = format!("/c/{slug}/proposals/{number}");
    match state
        .services
        .pause_proposal(&actor, number, &form.reason)
        .await
    {
        Ok(PauseOutcome::Paused) => Ok(flash_to(&state, &to, "flash-proposal-paused", &[])),
        Ok(PauseOutcome::Asked { count, needed }) => Ok(redirect_with_flash(
            &to,
            Flash::new(
                "flash-proposal-pause-asked",
                &[
                    ("count", &count.to_string()),
                    ("needed", &needed.to_string()),
                ],
            ),
            state.config.cookies_secure,
        )),
        Err(error) => with_error(&state, &v, &actor, number, error, "reason").await,
    }
}

/// A steward lifts a pause.
pub async fn resume(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, number)): PagePath<(String, i64)>,
) -> PageResult {
    match state.services.resume_proposal(&actor, number).await {
        Ok(()) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/proposals/{number}"),
            "flash-proposal-resumed",
            &[],
        )),
        Err(error) => with_error(&state, &v, &actor, number, error, "proposal").await,
    }
}

pub async fn ballot(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, number)): PagePath<(String, i64)>,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> PageResult {
    let password = fields
        .iter()
        .find(|(k, _)| k == "unlock_password")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let result = match unlock_if_given(&state, &v, &password).await {
        Ok(()) => state.services.vote(&actor, number, &fields).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/proposals/{number}#receipt-title"),
            "flash-vote-cast",
            &[],
        )),
        Err(error) => with_error(&state, &v, &actor, number, error, "ballot").await,
    }
}

#[derive(Debug, Deserialize)]
pub struct DelegateForm {
    #[serde(default)]
    delegate: String,
    #[serde(default)]
    unlock_password: String,
}

pub async fn delegate_for_proposal(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, number)): PagePath<(String, i64)>,
    PageForm(form): PageForm<DelegateForm>,
) -> PageResult {
    let result = match unlock_if_given(&state, &v, &form.unlock_password).await {
        Ok(()) => {
            state
                .services
                .delegate(&actor, Some(number), &form.delegate)
                .await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/proposals/{number}"),
            "flash-delegation-saved",
            &[],
        )),
        Err(error) => with_error(&state, &v, &actor, number, error, "delegate").await,
    }
}

async fn delegation_markup(
    state: &AppState,
    v: &Visitor,
    actor: &Actor,
    errors: &FormErrors,
) -> Result<maud::Markup, AppError> {
    let services = &state.services;
    let current = services.my_delegate(actor, None).await?;
    let policy = services.governance_policy(actor).await?;
    let members: Vec<_> = services
        .active_people(actor)
        .await?
        .into_iter()
        .filter(|p| p.user_id != actor.user.id)
        .take(crate::db::MEMBERS_PAGE_MAX as usize)
        .collect();
    Ok(views::delegation_page(
        v,
        &nav_for(actor, "decisions"),
        current.as_ref(),
        &members,
        &policy,
        errors,
    ))
}

pub async fn delegation(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    Ok(page(
        delegation_markup(&state, &v, &actor, &FormErrors::default()).await?,
    ))
}

pub async fn delegation_submit(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath(slug): PagePath<String>,
    PageForm(form): PageForm<DelegateForm>,
) -> PageResult {
    let result = match unlock_if_given(&state, &v, &form.unlock_password).await {
        Ok(()) => state.services.delegate(&actor, None, &form.delegate).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(flash_to(
            &state,
            &format!("/c/{slug}/delegation"),
            "flash-delegation-saved",
            &[],
        )),
        Err(error) => {
            let errors = form_errors(&v, error, "delegate")?;
            let markup = delegation_markup(&state, &v, &actor, &errors).await?;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, markup))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RoundQuery {
    round: Option<u32>,
}

/// A closed round's ballots, delegations and decision, for `commons tally --file`: ballots are
/// public to the circle's members.
pub async fn ballots_export(
    State(state): AppState_,
    actor: Actor,
    PagePath((slug, number)): PagePath<(String, i64)>,
    PageQuery(query): PageQuery<RoundQuery>,
) -> Result<Response, AppError> {
    let (text, wanted) = state
        .services
        .round_export(&actor, number, query.round)
        .await?;
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jsonl; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{slug}-{number}-round-{wanted}.jsonl\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
