//! The pay-across pages. Who may: a member of the circle (the `Actor` extractor) paying an
//! active member of a circle this one has an open link with, whom the reach rule lets them
//! pay; everyone else gets the form back with the reason, or 404 outside the circle.

use axum::extract::State;
use axum::http::StatusCode;

use crate::http::extract::{PageForm, PagePath, PageQuery};
use crate::http::page::*;
use crate::http::session::{redirect_with_flash, Flash, Visitor};
use crate::links::views::{confirm_across_page, pay_across_page, PayAcrossForm};
use crate::links::{CrossPayCommand, CrossResult};
use crate::services::{ActionError, Actor, IdempotencyKey};
use crate::views::{FieldError, FormErrors};

/// A link may fill the form in (a listing of a linked circle: whom, where, how much).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Prefill {
    #[serde(default)]
    pub circle: String,
    #[serde(default)]
    pub member: String,
    #[serde(default)]
    pub amount: String,
}

impl Prefill {
    /// A fresh form with what the link gave (the confirmation checks it all, as typed).
    pub fn form(self) -> PayAcrossForm {
        PayAcrossForm {
            idempotency_key: IdempotencyKey::generate().as_str().to_owned(),
            circle: self.circle,
            member: self.member,
            amount: self.amount,
            ..PayAcrossForm::default()
        }
    }
}

pub async fn form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(prefill): PageQuery<Prefill>,
) -> PageResult {
    let form = prefill.form();
    show_form(
        &state,
        &v,
        &actor,
        &form,
        &FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn show_form(
    state: &crate::AppState,
    v: &Visitor,
    actor: &Actor,
    form: &PayAcrossForm,
    errors: &FormErrors,
    status: StatusCode,
) -> PageResult {
    let destinations = state.services.destinations(actor).await?;
    let markup = pay_across_page(
        v,
        &nav_for(actor, "pay"),
        &unit_of(&actor.circle),
        &destinations,
        form,
        is_locked(state, v),
        errors,
    );
    Ok(page_with_status(status, markup))
}

/// The form parsed: the command, or the field's problem.
async fn parse(
    state: &crate::AppState,
    v: &Visitor,
    actor: &Actor,
    form: &PayAcrossForm,
) -> Result<CrossPayCommand, FormErrors> {
    state
        .services
        .cross_command(actor, &form.circle, &form.member, &form.amount, &form.memo)
        .await
        .map_err(|error| errors_of(v, error))
}

/// Why the other circle refused, in the visitor's language when the reason is a known one
/// (else the other circle's own words).
fn refusal_reason(v: &Visitor, code: &str, message: String) -> String {
    let id = match code {
        "trade-limit" => "cross-reason-trade-limit",
        "ceiling" => "cross-reason-ceiling",
        "not-a-member" => "cross-reason-not-a-member",
        "deadline" => "cross-reason-deadline",
        "rates-disagree" => "cross-reason-rates-disagree",
        "no-link" | "link-not-open" => "cross-reason-no-link",
        "no-route" => "cross-reason-no-route",
        "cc-refused" => return v.tr.ta("cross-reason-cc-refused", &[("words", &message)]),
        "cc-expired" => "cross-reason-cc-expired",
        _ => return message,
    };
    v.tr.t(id)
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
    let Ok(attempt) = form.idempotency_key.parse::<IdempotencyKey>() else {
        form.idempotency_key = IdempotencyKey::generate().as_str().to_owned();
        let errors = FormErrors(vec![FieldError {
            field: "amount",
            message: v.tr.t("error-form-stale"),
        }]);
        return show_form(
            &state,
            &v,
            &actor,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if form.confirm == "change" {
        form.confirm.clear();
        return show_form(
            &state,
            &v,
            &actor,
            &form,
            &FormErrors::default(),
            StatusCode::OK,
        )
        .await;
    }
    let refused = |errors: FormErrors| (errors, StatusCode::UNPROCESSABLE_ENTITY);
    let outcome = async {
        let command = parse(&state, &v, &actor, &form).await.map_err(refused)?;
        unlock_if_given(&state, &v, &form.unlock_password)
            .await
            .map_err(|error| refused(errors_of(&v, error)))?;
        if form.confirm != "yes" {
            let quote = state
                .services
                .quote_across(&actor, &command)
                .await
                .map_err(|error| refused(errors_of(&v, error)))?;
            return Ok(Err(quote));
        }
        state
            .services
            .pay_across(&actor, &command, &attempt)
            .await
            .map(Ok)
            .map_err(|error| refused(errors_of(&v, error)))
    }
    .await;
    match outcome {
        Ok(Err(quote)) => Ok(page(confirm_across_page(
            &v,
            &nav_for(&actor, "pay"),
            &unit_of(&actor.circle),
            &quote,
            &form,
        ))),
        Ok(Ok((quote, CrossResult::Paid))) => Ok(redirect_with_flash(
            &format!("/c/{slug}"),
            Flash::new(
                "flash-paid-across",
                &[
                    ("amount", &unit_of(&actor.circle).money(quote.amount_minor)),
                    ("name", &quote.payee.display_name),
                    ("circle", quote.circle_name()),
                ],
            ),
            state.config.cookies_secure,
        )),
        Ok(Ok((quote, CrossResult::OnItsWay))) => Ok(redirect_with_flash(
            &format!("/c/{slug}"),
            Flash::new(
                "flash-across-on-its-way",
                &[
                    ("amount", &unit_of(&actor.circle).money(quote.amount_minor)),
                    ("name", &quote.payee.display_name),
                ],
            ),
            state.config.cookies_secure,
        )),
        Ok(Ok((_, CrossResult::Refused { code, message }))) => {
            let errors = FormErrors(vec![FieldError {
                field: "amount",
                message: v.tr.ta(
                    "cross-refused",
                    &[("reason", &refusal_reason(&v, &code, message))],
                ),
            }]);
            form.idempotency_key = IdempotencyKey::generate().as_str().to_owned();
            form.confirm.clear();
            show_form(
                &state,
                &v,
                &actor,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err((errors, status)) => {
            form.confirm.clear();
            show_form(&state, &v, &actor, &form, &errors, status).await
        }
    }
}
