//! The pages of payment requests across a link. Who may: asking, a member of the circle (the
//! `Actor` extractor) of an active member of a circle linked both ways whom the reach rule lets
//! them ask; paying or declining, only the member asked; withdrawing, only the asker
//! (`Services::answer_request_across`: anyone else's request is 404).

use axum::extract::State;
use axum::http::StatusCode;

use crate::http::extract::{PageForm, PagePath, PageQuery};
use crate::http::page::*;
use crate::http::session::{redirect_with_flash, Flash, Visitor};
use crate::links::requests::RequestOutcome;
use crate::links::views::{request_across_page, PayAcrossForm};
use crate::services::{ActionError, Actor, IdempotencyKey};
use crate::views::{self, FieldError, FormErrors};

pub async fn form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(prefill): PageQuery<crate::links::routes::Prefill>,
) -> PageResult {
    let form = prefill.form();
    show(
        &state,
        &v,
        &actor,
        &form,
        &FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn show(
    state: &crate::AppState,
    v: &Visitor,
    actor: &Actor,
    form: &PayAcrossForm,
    errors: &FormErrors,
    status: StatusCode,
) -> PageResult {
    let circles = state.services.requestable_circles(actor).await?;
    let markup = request_across_page(
        v,
        &nav_for(actor, "pay"),
        &unit_of(&actor.circle),
        &circles,
        form,
        errors,
    );
    Ok(page_with_status(status, markup))
}

fn errors_of(v: &Visitor, error: ActionError) -> FormErrors {
    form_errors(v, error, "amount").unwrap_or_else(|_| {
        FormErrors(vec![FieldError {
            field: "amount",
            message: v.tr.t("error-generic"),
        }])
    })
}

pub async fn submit(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath(slug): PagePath<String>,
    PageForm(mut form): PageForm<PayAcrossForm>,
) -> PageResult {
    let services = &state.services;
    let asked = async {
        let attempt: IdempotencyKey = form.idempotency_key.parse()?;
        let command = services
            .cross_command(&actor, &form.circle, &form.member, &form.amount, &form.memo)
            .await?;
        services.request_across(&actor, &command, &attempt).await
    }
    .await;
    match asked {
        Ok(request) => Ok(redirect_with_flash(
            &format!("/c/{slug}"),
            Flash::new(
                "flash-requested-across",
                &[
                    ("name", &request.other_name),
                    ("circle", &request.circle_name),
                ],
            ),
            state.config.cookies_secure,
        )),
        Err(error) => {
            if matches!(
                &error,
                ActionError::Invalid {
                    field: "idempotency_key",
                    ..
                }
            ) {
                form.idempotency_key = IdempotencyKey::generate().as_str().to_owned();
            }
            let errors = errors_of(&v, error);
            show(
                &state,
                &v,
                &actor,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `pay`: pay a request asked of me; `close`: decline it, or withdraw my own.
pub async fn answer(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, id, answer)): PagePath<(String, i64, String)>,
    PageForm(form): PageForm<UnlockForm>,
) -> PageResult {
    let pay = match answer.as_str() {
        "pay" => true,
        "close" => false,
        _ => return Err(ActionError::NotFound.into()),
    };
    let result = match unlock_if_given(&state, &v, &form.unlock_password).await {
        Ok(()) => state.services.answer_request_across(&actor, id, pay).await,
        Err(error) => Err(error),
    };
    let flash = match result {
        Ok(RequestOutcome::Paid) => "flash-accepted",
        Ok(RequestOutcome::OnItsWay) => "flash-request-across-on-its-way",
        Ok(RequestOutcome::Closed) => "flash-closed",
        Err(ActionError::Locked) => {
            return Ok(page(views::message_page(
                &v,
                &v.tr.t("unlock-title"),
                &v.tr.t("unlock-relogin"),
                Some((&format!("/login?next=/c/{slug}"), v.tr.t("nav-login"))),
            )))
        }
        Err(ActionError::Invalid { message_id, .. }) => {
            return Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::message_page(
                    &v,
                    &v.tr.t("refused-title"),
                    &v.tr.t(message_id),
                    Some((&format!("/c/{slug}"), v.tr.t("nav-home"))),
                ),
            ))
        }
        Err(error) => return Err(error.into()),
    };
    Ok(redirect_with_flash(
        &format!("/c/{slug}"),
        Flash::new(flash, &[]),
        state.config.cookies_secure,
    ))
}
