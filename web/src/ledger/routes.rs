//! The ledger pages of a circle: the money on its home, paying and asking to be paid, answering requests,
//! the ledger itself, and my statement (and its CSV).

#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use commons_ledger::crossing::{connector_key, HoldSource, Settlement};
use commons_ledger::entry::{Action, Body};
use commons_ledger::keys::{Hash, PublicKey};
use commons_ledger::store::StoredEntry;
use maud::Markup;
use serde::Deserialize;

use crate::http::error::AppError;
use crate::http::extract::{PageForm, PagePath, PageQuery};
use crate::http::session::{redirect_with_flash, Flash, Visitor};
use crate::ledger::form::TransferCommand;
use crate::ledger::views::{ActivityRow, HomeView, PayForm, RequestRow};
use crate::services::{ActionError, Actor, IdempotencyKey};
use crate::views::{self, FormErrors};
use crate::AppState;

use crate::http::page::*;

/// Entries per page of the circle's ledger.
pub const LEDGER_PAGE_ENTRIES: u64 = 50;
/// Lines per page of a statement.
pub const STATEMENT_PAGE_ENTRIES: i64 = 100;
/// Lines on the home page's recent activity.
pub const RECENT_ENTRIES: i64 = 4;
/// Most lines in a downloaded statement.
pub const STATEMENT_CSV_ENTRIES_MAX: usize = 100_000;

pub(super) fn name_of(map: &HashMap<PublicKey, String>, key: &PublicKey) -> String {
    map.get(key).cloned().unwrap_or_else(|| key.short())
}

/// The member's lines: payments, and payments across (a hold shows once it committed, or as
/// on its way while pending; a released one never moved anything and is not shown).
pub(super) fn activity_rows(
    entries: &[StoredEntry],
    mine: &[PublicKey],
    names: &HashMap<PublicKey, String>,
    settled: &HashMap<Hash, Settlement>,
) -> Vec<ActivityRow> {
    entries
        .iter()
        .filter_map(|stored| {
            let body = &stored.entry.signed.record.body;
            // A payment across reads as paid to, or by, the linked circle (its connector).
            let (payer, payee, amount_minor) = match body {
                Body::Transfer {
                    payer,
                    payee,
                    amount_minor,
                    ..
                } => (*payer, *payee, amount_minor),
                Body::Hold(hold) => match (&hold.source, settled.get(&stored.hash)) {
                    (_, Some(Settlement::Release)) | (HoldSource::Link { .. }, _) => return None,
                    (HoldSource::Member(payer), _) => {
                        (*payer, connector_key(&hold.partner), &hold.amount_minor)
                    }
                },
                Body::Arrive(arrival) => (
                    connector_key(&arrival.partner),
                    arrival.payee,
                    &arrival.amount_minor,
                ),
                _ => return None,
            };
            let (payer, payee) = (&payer, &payee);
            let incoming = mine.contains(payee);
            let other = if incoming { payer } else { payee };
            Some(ActivityRow {
                seq: stored.entry.seq,
                recorded_at_ms: stored.entry.recorded_at_ms,
                incoming,
                other_name: name_of(names, other),
                amount_minor: *amount_minor,
                memo: stored.memo.as_ref().map(|memo| memo.text.clone()),
                kind: match body {
                    Body::Hold(_) if !settled.contains_key(&stored.hash) => "on-its-way",
                    Body::Hold(_) | Body::Arrive(_) => "across",
                    _ => body.kind_name(),
                },
                hash: stored.hash,
            })
        })
        .collect()
}

pub(super) fn parties(entries: &[StoredEntry]) -> Vec<PublicKey> {
    entries
        .iter()
        .flat_map(|stored| match &stored.entry.signed.record.body {
            Body::Transfer { payer, payee, .. } | Body::RequestPayment { payer, payee, .. } => {
                vec![*payer, *payee]
            }
            Body::OpenAccount { account, .. }
            | Body::SetLimits { account, .. }
            | Body::CloseAccount { account } => vec![*account, stored.entry.signed.record.author],
            Body::RotateKey { old, new } => vec![*old, *new],
            Body::AddSteward { key } | Body::RemoveSteward { key } => {
                vec![*key, stored.entry.signed.record.author]
            }
            Body::Genesis { stewards, .. } => stewards.clone(),
            Body::CloseRequest { .. } | Body::Settle { .. } => {
                vec![stored.entry.signed.record.author]
            }
            Body::Hold(hold) => match &hold.source {
                HoldSource::Member(payer) => vec![*payer, connector_key(&hold.partner)],
                HoldSource::Link { partner, .. } => {
                    vec![connector_key(partner), connector_key(&hold.partner)]
                }
            },
            Body::Arrive(arrival) => vec![connector_key(&arrival.partner), arrival.payee],
            Body::Enact { actions, .. } => actions
                .iter()
                .filter_map(|action| match action {
                    Action::SetLimits { account, .. }
                    | Action::Admit { account }
                    | Action::Remove { account }
                    | Action::AppointModerator { account }
                    | Action::EndModerator { account } => Some(*account),
                    Action::AddSteward { key } | Action::RemoveSteward { key } => Some(*key),
                    Action::Link(terms) => Some(connector_key(&terms.partner)),
                    Action::SetLinkStatus { partner, .. } => Some(connector_key(partner)),
                    Action::SetDefaultLimits { .. } | Action::SetDocument { .. } => None,
                })
                .collect(),
        })
        .collect()
}

/// The member's money as the circle's home shows it: balance, limits, open requests and the
/// last few movements.
pub(crate) async fn money_view(state: &AppState, actor: &Actor) -> Result<HomeView, AppError> {
    let services = &state.services;
    let info = &actor.circle;
    let account = &actor.account;
    let keys = services.my_keys(actor).await?;
    let recent = services
        .my_entries(actor, &keys, None, RECENT_ENTRIES)
        .await?;
    let open = services.my_open_requests(actor, &keys, 100).await?;
    let mut all_keys = parties(&recent);
    all_keys.extend(parties(&open));
    let names = services.key_names(info, &all_keys).await?;
    let settled = services.settlements_among(info, &recent).await?;
    let mut to_pay = Vec::new();
    let mut awaiting = Vec::new();
    for stored in &open {
        if let Body::RequestPayment {
            payer,
            payee,
            amount_minor,
            ..
        } = &stored.entry.signed.record.body
        {
            let i_pay = keys.contains(payer);
            let row = RequestRow {
                seq: stored.entry.seq,
                circle: None,
                recorded_at_ms: stored.entry.recorded_at_ms,
                other_name: name_of(&names, if i_pay { payee } else { payer }),
                amount_minor: *amount_minor,
                memo: stored.memo.as_ref().map(|memo| memo.text.clone()),
            };
            if i_pay {
                to_pay.push(row);
            } else {
                awaiting.push(row);
            }
        }
    }
    for across in services.requests_across(actor).await? {
        let row = RequestRow {
            seq: across.id as u64,
            circle: Some(across.circle_name),
            recorded_at_ms: across.created_ms,
            other_name: across.other_name,
            amount_minor: across.amount_minor,
            memo: across.memo,
        };
        if across.incoming {
            to_pay.push(row);
        } else {
            awaiting.push(row);
        }
    }
    let home = HomeView {
        unit: unit_of(info),
        balance_minor: account.balance_minor,
        floor_minor: account.floor_minor,
        ceiling_minor: account.ceiling_minor,
        recent: activity_rows(&recent, &keys, &names, &settled),
        to_pay,
        awaiting,
    };
    Ok(home)
}

pub(super) fn can_spend(actor: &Actor) -> i64 {
    actor.account.balance_minor - actor.account.floor_minor
}

#[derive(Debug, Deserialize)]
pub struct MemberQuery {
    #[serde(default)]
    member: String,
}

pub(super) async fn pay_form_page(
    state: &AppState,
    v: &Visitor,
    actor: &Actor,
    requesting: bool,
    form: &PayForm,
    errors: &FormErrors,
) -> Result<Markup, AppError> {
    let (members, more) = state
        .services
        .member_choices(actor, "", &form.member)
        .await?;
    let spend = can_spend(actor);
    Ok(crate::ledger::views::pay_page(
        v,
        &nav_for(actor, "pay"),
        &crate::ledger::views::PayPage {
            unit: unit_of(&actor.circle),
            can_spend_minor: spend,
            requesting,
            members,
            more_members: more,
            locked: is_locked(state, v),
            linked: !state.services.payable_circles(actor).await?.is_empty(),
        },
        form,
        errors,
    ))
}

pub async fn pay_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(query): PageQuery<MemberQuery>,
) -> PageResult {
    blank_pay_form(&state, &v, actor, query, false).await
}

pub async fn request_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(query): PageQuery<MemberQuery>,
) -> PageResult {
    blank_pay_form(&state, &v, actor, query, true).await
}

/// The pay (or request) form before anything is typed: the member may be chosen by a link.
pub(super) async fn blank_pay_form(
    state: &AppState,
    v: &Visitor,
    actor: Actor,
    query: MemberQuery,
    requesting: bool,
) -> PageResult {
    let form = PayForm {
        member: query.member,
        idempotency_key: IdempotencyKey::generate().as_str().to_owned(),
        ..PayForm::default()
    };
    let errors = FormErrors::default();
    Ok(page(
        pay_form_page(state, v, &actor, requesting, &form, &errors).await?,
    ))
}

pub(super) async fn pay_or_request(
    state: Arc<AppState>,
    v: Visitor,
    actor: Actor,
    slug: String,
    form: PayForm,
    requesting: bool,
) -> PageResult {
    let mut errors = FormErrors::default();
    // A form from before this version, or a doctored key: a fresh form, nothing sent.
    let attempt: Result<IdempotencyKey, _> = form.idempotency_key.parse();
    if attempt.is_err() {
        errors.0.push(views::FieldError {
            field: "amount",
            message: v.tr.t("error-form-stale"),
        });
    }
    // The one "who" field: a username, or a member's whole name as shown.
    let member = match state.services.member_named(&actor, &form.member).await {
        Ok(username) => username,
        Err(error) => {
            errors.0.extend(form_errors(&v, error, "member")?.0);
            form.member.clone()
        }
    };
    let command = match TransferCommand::parse(&actor.circle, &member, &form.amount, &form.memo) {
        Ok(command) => Some(command),
        Err(error) => {
            errors.0.extend(form_errors(&v, error, "amount")?.0);
            None
        }
    };
    if errors.is_empty() {
        if let Err(error) = unlock_if_given(&state, &v, &form.unlock_password).await {
            errors = form_errors(&v, error, "amount")?;
        }
    }
    if let (true, Ok(attempt), Some(command)) = (errors.is_empty(), &attempt, &command) {
        let result = if requesting {
            state
                .services
                .request_payment(&actor, command, attempt)
                .await
        } else {
            state.services.pay(&actor, command, attempt).await
        };
        match result {
            Ok(done) => {
                let amount = unit_of(&actor.circle).money(command.amount_minor);
                let id = if requesting {
                    "flash-requested"
                } else {
                    "flash-paid"
                };
                let name = done.other.display_name;
                return Ok(redirect_with_flash(
                    &format!("/c/{slug}"),
                    Flash::new(id, &[("amount", &amount), ("name", &name)]),
                    state.config.cookies_secure,
                ));
            }
            Err(error) => errors = form_errors(&v, error, "amount")?,
        }
    }
    let mut form = form;
    if attempt.is_err() {
        form.idempotency_key = IdempotencyKey::generate().as_str().to_owned();
    }
    let markup = pay_form_page(&state, &v, &actor, requesting, &form, &errors).await?;
    Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, markup))
}

pub async fn pay_submit(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath(slug): PagePath<String>,
    PageForm(form): PageForm<PayForm>,
) -> PageResult {
    pay_or_request(state, v, actor, slug, form, false).await
}

pub async fn request_submit(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath(slug): PagePath<String>,
    PageForm(form): PageForm<PayForm>,
) -> PageResult {
    pay_or_request(state, v, actor, slug, form, true).await
}

pub(super) async fn answer_request(
    state: Arc<AppState>,
    v: Visitor,
    actor: Actor,
    slug: String,
    seq: u64,
    form: UnlockForm,
    accept: bool,
) -> PageResult {
    let result = match unlock_if_given(&state, &v, &form.unlock_password).await {
        Ok(()) if accept => state.services.accept_request(&actor, seq).await,
        Ok(()) => state.services.close_request(&actor, seq).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => {
            let id = if accept {
                "flash-accepted"
            } else {
                "flash-closed"
            };
            Ok(redirect_with_flash(
                &format!("/c/{slug}"),
                Flash::new(id, &[]),
                state.config.cookies_secure,
            ))
        }
        Err(ActionError::Locked) => Ok(page(views::message_page(
            &v,
            &v.tr.t("unlock-title"),
            &v.tr.t("unlock-relogin"),
            Some((&format!("/login?next=/c/{slug}"), v.tr.t("nav-login"))),
        ))),
        Err(ActionError::Refused(refusal)) => Ok(page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::message_page(
                &v,
                &v.tr.t("refused-title"),
                &refusal_text(&v, &refusal),
                Some((&format!("/c/{slug}"), v.tr.t("nav-home"))),
            ),
        )),
        Err(error) => Err(error.into()),
    }
}

pub async fn accept_request(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, seq)): PagePath<(String, u64)>,
    PageForm(form): PageForm<UnlockForm>,
) -> PageResult {
    answer_request(state, v, actor, slug, seq, form, true).await
}

pub async fn decline_request(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PagePath((slug, seq)): PagePath<(String, u64)>,
    PageForm(form): PageForm<UnlockForm>,
) -> PageResult {
    answer_request(state, v, actor, slug, seq, form, false).await
}
