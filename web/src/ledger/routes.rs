//! The ledger pages of a circle: its home, paying and asking to be paid, answering requests,
//! the ledger itself, my statement (and its CSV), and the members' directory.

#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Form;
use commons_ledger::entry::{Action, Body, Cause, DOCUMENT_AGREEMENTS};
use commons_ledger::keys::PublicKey;
use commons_ledger::store::{CircleInfo, StoredEntry};
use maud::{Markup, PreEscaped};
use serde::Deserialize;

use crate::db::MemberStatus;
use crate::http::error::AppError;
use crate::http::session::{redirect_with_flash, Flash, Visitor};
use crate::i18n::Tr;
use crate::ledger::views::{
    ActivityRow, HomeView, LedgerRow, LedgerView, MemberRow, PayForm, RequestRow,
};
use crate::services::{parse_amount, ActionError, Actor, IdempotencyKey};
use crate::views::Unit;
use crate::views::{self, FormErrors};
use crate::{AppState, LedgerViewKey};

use crate::http::page::*;

/// Entries per page of the circle's ledger.
pub const LEDGER_PAGE_ENTRIES: u64 = 50;
/// Lines per page of a statement.
pub const STATEMENT_PAGE_ENTRIES: i64 = 100;
/// Lines on the home page's recent activity.
pub const RECENT_ENTRIES: i64 = 8;
/// Most lines in a downloaded statement.
pub const STATEMENT_CSV_ENTRIES_MAX: usize = 100_000;

/// Names of the members behind ledger keys (keys nobody on this node holds show shortened).
async fn names(
    state: &AppState,
    info: &CircleInfo,
    keys: &[PublicKey],
) -> Result<HashMap<PublicKey, String>, AppError> {
    let mut unique: Vec<PublicKey> = keys.to_vec();
    unique.sort();
    unique.dedup();
    let mut map: HashMap<PublicKey, String> = HashMap::new();
    for chunk in unique.chunks(500) {
        for (key, _, name) in state.services.db.names_for_keys(info.row_id, chunk).await? {
            map.insert(key, name);
        }
    }
    Ok(map)
}

fn name_of(map: &HashMap<PublicKey, String>, key: &PublicKey) -> String {
    map.get(key).cloned().unwrap_or_else(|| key.short())
}

fn activity_rows(
    entries: &[StoredEntry],
    mine: &[PublicKey],
    names: &HashMap<PublicKey, String>,
) -> Vec<ActivityRow> {
    entries
        .iter()
        .filter_map(|stored| {
            let body = &stored.entry.signed.request.body;
            let Body::Transfer {
                payer,
                payee,
                amount_minor,
                ..
            } = body
            else {
                return None;
            };
            let incoming = mine.contains(payee);
            let other = if incoming { payer } else { payee };
            Some(ActivityRow {
                seq: stored.entry.seq,
                recorded_at_ms: stored.entry.recorded_at_ms,
                incoming,
                other_name: name_of(names, other),
                amount_minor: *amount_minor,
                memo: stored.memo.as_ref().map(|memo| memo.text.clone()),
                kind: body.kind_name(),
            })
        })
        .collect()
}

fn parties(entries: &[StoredEntry]) -> Vec<PublicKey> {
    entries
        .iter()
        .flat_map(|stored| match &stored.entry.signed.request.body {
            Body::Transfer { payer, payee, .. } | Body::RequestPayment { payer, payee, .. } => {
                vec![*payer, *payee]
            }
            Body::OpenAccount { account, .. }
            | Body::SetLimits { account, .. }
            | Body::CloseAccount { account } => vec![*account, stored.entry.signed.request.author],
            Body::RotateKey { old, new } => vec![*old, *new],
            Body::AddSteward { key } | Body::RemoveSteward { key } => {
                vec![*key, stored.entry.signed.request.author]
            }
            Body::Genesis { stewards, .. } => stewards.clone(),
            Body::CloseRequest { .. } => vec![stored.entry.signed.request.author],
            Body::Enact { actions, .. } => actions
                .iter()
                .filter_map(|action| match action {
                    Action::SetLimits { account, .. }
                    | Action::Admit { account }
                    | Action::Remove { account } => Some(*account),
                    Action::AddSteward { key } | Action::RemoveSteward { key } => Some(*key),
                    Action::SetDefaultLimits { .. } | Action::SetDocument { .. } => None,
                })
                .collect(),
        })
        .collect()
}

pub async fn circle_home(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    let services = &state.services;
    let info = &actor.circle;
    let account = &actor.account;
    let keys = services.db.member_keys(info.row_id, actor.user.id).await?;
    let recent = services
        .store
        .account_entries(info, &keys, false, None, RECENT_ENTRIES)
        .await?;
    let open = services.store.open_requests(info, &keys, 100).await?;
    let mut all_keys = parties(&recent);
    all_keys.extend(parties(&open));
    let names = names(&state, info, &all_keys).await?;
    let mut to_pay = Vec::new();
    let mut awaiting = Vec::new();
    for stored in &open {
        if let Body::RequestPayment {
            payer,
            payee,
            amount_minor,
            ..
        } = &stored.entry.signed.request.body
        {
            let i_pay = keys.contains(payer);
            let row = RequestRow {
                seq: stored.entry.seq,
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
    let home = HomeView {
        unit: unit_of(info),
        balance_minor: account.balance_minor,
        floor_minor: account.floor_minor,
        ceiling_minor: account.ceiling_minor,
        recent: activity_rows(&recent, &keys, &names),
        to_pay,
        awaiting,
    };
    Ok(page(crate::ledger::views::home_page(
        &v,
        &nav_for(&actor, "home"),
        &home,
    )))
}

/// Other active members for the pay and request forms, as (username, display name): those
/// whose name matches `find`, at most [`crate::db::MEMBERS_PAGE_MAX`], and the member already
/// chosen. The flag says whether more members match than are listed.
async fn member_choices(
    state: &AppState,
    actor: &Actor,
    find: &str,
    chosen: &str,
) -> Result<(Vec<(String, String)>, bool), AppError> {
    let db = &state.services.db;
    let find = find.trim();
    let cards = db
        .members(
            actor.circle.row_id,
            MemberStatus::Active,
            (!find.is_empty()).then_some(find),
            crate::db::MEMBERS_PAGE_MAX,
        )
        .await?;
    let more = cards.len() as i64 >= crate::db::MEMBERS_PAGE_MAX;
    let mut choices: Vec<(String, String)> = cards
        .into_iter()
        .filter(|card| card.user_id != actor.user.id)
        .map(|card| (card.username, card.display_name))
        .collect();
    if !chosen.is_empty() && !choices.iter().any(|(username, _)| username == chosen) {
        if let Some(card) = db
            .member_by_username(actor.circle.row_id, chosen)
            .await?
            .filter(|card| card.status == MemberStatus::Active && card.user_id != actor.user.id)
        {
            choices.insert(0, (card.username, card.display_name));
        }
    }
    Ok((choices, more))
}

fn can_spend(actor: &Actor) -> i64 {
    actor.account.balance_minor - actor.account.floor_minor
}

#[derive(Debug, Deserialize)]
pub struct MemberQuery {
    #[serde(default)]
    member: String,
    /// A name to narrow the list of members down to (the pay page's search).
    #[serde(default)]
    find: String,
}

async fn pay_form_page(
    state: &AppState,
    v: &Visitor,
    actor: &Actor,
    requesting: bool,
    form: &PayForm,
    errors: &FormErrors,
    find: &str,
) -> Result<Markup, AppError> {
    let (members, more) = member_choices(state, actor, find, &form.member).await?;
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
            find: find.trim().to_owned(),
            locked: is_locked(state, v),
        },
        form,
        errors,
    ))
}

pub async fn pay_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Query(query): Query<MemberQuery>,
) -> PageResult {
    blank_pay_form(&state, &v, actor, query, false).await
}

pub async fn request_form(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Query(query): Query<MemberQuery>,
) -> PageResult {
    blank_pay_form(&state, &v, actor, query, true).await
}

/// The pay (or request) form before anything is typed: the member may be chosen by a link.
async fn blank_pay_form(
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
        pay_form_page(state, v, &actor, requesting, &form, &errors, &query.find).await?,
    ))
}

async fn pay_or_request(
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
    if form.member.trim().is_empty() {
        errors.0.push(views::FieldError {
            field: "member",
            message: v.tr.t("error-member-required"),
        });
    }
    if form.amount.trim().is_empty() {
        errors.0.push(views::FieldError {
            field: "amount",
            message: v.tr.t("error-amount-required"),
        });
    } else if let Err(error) = parse_amount(&actor.circle, &form.amount) {
        errors.0.extend(form_errors(&v, error, "amount")?.0);
    }
    if errors.is_empty() {
        if let Err(error) = unlock_if_given(&state, &v, &form.unlock_password).await {
            errors = form_errors(&v, error, "amount")?;
        }
    }
    if let (true, Ok(attempt)) = (errors.is_empty(), &attempt) {
        let result = if requesting {
            state
                .services
                .request_payment(&actor, &form.member, &form.amount, &form.memo, attempt)
                .await
        } else {
            state
                .services
                .pay(&actor, &form.member, &form.amount, &form.memo, attempt)
                .await
        };
        match result {
            Ok(_) => {
                let name = state
                    .services
                    .db
                    .member_by_username(actor.circle.row_id, &form.member.trim().to_lowercase())
                    .await?
                    .map(|card| card.display_name)
                    .unwrap_or_default();
                let amount = parse_amount(&actor.circle, &form.amount)
                    .map(|minor| unit_of(&actor.circle).money(minor))
                    .unwrap_or_default();
                let id = if requesting {
                    "flash-requested"
                } else {
                    "flash-paid"
                };
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
    let markup = pay_form_page(&state, &v, &actor, requesting, &form, &errors, "").await?;
    Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, markup))
}

pub async fn pay_submit(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Path(slug): Path<String>,
    Form(form): Form<PayForm>,
) -> PageResult {
    pay_or_request(state, v, actor, slug, form, false).await
}

pub async fn request_submit(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Path(slug): Path<String>,
    Form(form): Form<PayForm>,
) -> PageResult {
    pay_or_request(state, v, actor, slug, form, true).await
}

async fn answer_request(
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
    Path((slug, seq)): Path<(String, u64)>,
    Form(form): Form<UnlockForm>,
) -> PageResult {
    answer_request(state, v, actor, slug, seq, form, true).await
}

pub async fn decline_request(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Path((slug, seq)): Path<(String, u64)>,
    Form(form): Form<UnlockForm>,
) -> PageResult {
    answer_request(state, v, actor, slug, seq, form, false).await
}

#[derive(Debug, Deserialize)]
pub struct BeforeQuery {
    before: Option<u64>,
}

fn summary(
    tr: &Tr,
    body: &Body,
    author: &PublicKey,
    names: &HashMap<PublicKey, String>,
    unit: &Unit,
) -> (String, Option<i64>) {
    let n = |key: &PublicKey| name_of(names, key);
    match body {
        Body::Genesis { .. } => (tr.t("kind-genesis"), None),
        Body::OpenAccount { account, .. } => (
            tr.ta(
                "kind-open-account",
                &[("name", &n(account)), ("steward", &n(author))],
            ),
            None,
        ),
        Body::SetLimits {
            account,
            floor_minor,
            ceiling_minor,
        } => (
            tr.ta(
                "kind-set-limits",
                &[
                    ("name", &n(account)),
                    ("floor", &unit.money(*floor_minor)),
                    ("ceiling", &unit.money(*ceiling_minor)),
                ],
            ),
            None,
        ),
        Body::RotateKey { old, .. } => (tr.ta("kind-rotate-key", &[("name", &n(old))]), None),
        Body::Transfer {
            payer,
            payee,
            amount_minor,
            cause,
            ..
        } => {
            let (id, reference) = match cause {
                Cause::Reverses(_) => ("kind-reversal-of", String::new()),
                Cause::AcceptsRequest(_) => ("kind-accepted", String::new()),
                Cause::Reference(text) => match text.strip_prefix("deal:") {
                    Some(deal) => ("kind-for-deal", deal.to_owned()),
                    None => ("kind-reference", text.clone()),
                },
                Cause::Direct => ("kind-transfer", String::new()),
            };
            (
                tr.ta(
                    id,
                    &[
                        ("payer", &n(payer)),
                        ("payee", &n(payee)),
                        ("reference", &reference),
                    ],
                ),
                Some(*amount_minor),
            )
        }
        Body::RequestPayment {
            payer,
            payee,
            amount_minor,
            ..
        } => (
            tr.ta(
                "kind-request",
                &[("payer", &n(payer)), ("payee", &n(payee))],
            ),
            Some(*amount_minor),
        ),
        Body::CloseRequest { .. } => (tr.ta("kind-close-request", &[("name", &n(author))]), None),
        Body::CloseAccount { account } => {
            (tr.ta("kind-close-account", &[("name", &n(account))]), None)
        }
        Body::AddSteward { key } => (tr.ta("kind-add-steward", &[("name", &n(key))]), None),
        Body::RemoveSteward { key } => (tr.ta("kind-remove-steward", &[("name", &n(key))]), None),
        Body::Enact { actions, .. } => {
            let described: Vec<String> = actions
                .iter()
                .map(|action| describe_action(tr, action, &n, unit))
                .collect();
            (
                tr.ta("kind-enact", &[("actions", &described.join("; "))]),
                None,
            )
        }
    }
}

/// One action of an enactment, in a sentence fragment a member reads on the ledger page.
pub fn describe_action(
    tr: &Tr,
    action: &Action,
    name: &dyn Fn(&PublicKey) -> String,
    unit: &Unit,
) -> String {
    match action {
        Action::SetDefaultLimits {
            floor_minor,
            ceiling_minor,
        } => tr.ta(
            "action-default-limits",
            &[
                ("floor", &unit.money(*floor_minor)),
                ("ceiling", &unit.money(*ceiling_minor)),
            ],
        ),
        Action::SetLimits {
            account,
            floor_minor,
            ceiling_minor,
        } => tr.ta(
            "action-set-limits",
            &[
                ("name", &name(account)),
                ("floor", &unit.money(*floor_minor)),
                ("ceiling", &unit.money(*ceiling_minor)),
            ],
        ),
        Action::Admit { account } => tr.ta("action-admit", &[("name", &name(account))]),
        Action::Remove { account } => tr.ta("action-remove", &[("name", &name(account))]),
        Action::AddSteward { key } => tr.ta("action-add-steward", &[("name", &name(key))]),
        Action::RemoveSteward { key } => tr.ta("action-remove-steward", &[("name", &name(key))]),
        Action::SetDocument { document, .. } if *document == DOCUMENT_AGREEMENTS => {
            tr.t("action-agreements")
        }
        Action::SetDocument { .. } => tr.t("action-policy"),
    }
}

pub async fn ledger(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Query(query): Query<BeforeQuery>,
) -> PageResult {
    let info = &actor.circle;
    // The body is the same for every member reading this page in this language: remembered
    // until the circle's next entry (or a change of names).
    let key = LedgerViewKey {
        row_id: info.row_id,
        before: query.before,
        language: v.tr.lang().to_owned(),
        names_generation: state.services.db.generation(),
    };
    let body = state
        .services
        .store
        .remembered(&state.views.ledger, info.row_id, key, || {
            ledger_body(&state, &v.tr, info, query.before)
        })
        .await?;
    Ok(page(crate::ledger::views::ledger_page(
        &v,
        &nav_for(&actor, "ledger"),
        PreEscaped(body.to_string()),
    )))
}

async fn ledger_body(
    state: &AppState,
    tr: &Tr,
    info: &CircleInfo,
    before: Option<u64>,
) -> Result<Arc<str>, AppError> {
    let store = &state.services.store;
    let head = store.latest_tree_head(info).await?;
    let before = before.unwrap_or(head.tree_size).min(head.tree_size);
    let from = before.saturating_sub(LEDGER_PAGE_ENTRIES);
    let entries = store
        .entries_before(info, before, LEDGER_PAGE_ENTRIES)
        .await?;
    let genesis = store.entry(info, 0).await?;
    let node_key = match &genesis.entry.signed.request.body {
        Body::Genesis { node_key, .. } => *node_key,
        _ => {
            return Err(AppError::Internal(
                "the first entry is not a genesis".into(),
            ))
        }
    };
    let names = names(state, info, &parties(&entries)).await?;
    let unit = unit_of(info);
    let valid = state.services.verified.check(&entries);
    let rows = entries
        .iter()
        .zip(valid)
        .map(|(stored, signature_ok)| {
            let request = &stored.entry.signed.request;
            let (summary, amount_minor) =
                summary(tr, &request.body, &request.author, &names, &unit);
            LedgerRow {
                seq: stored.entry.seq,
                recorded_at_ms: stored.entry.recorded_at_ms,
                kind: request.body.kind_name(),
                summary,
                amount_minor,
                memo: stored.memo.as_ref().map(|memo| memo.text.clone()),
                hash_hex: stored.hash.to_hex(),
                signature_ok,
            }
        })
        .collect();
    let view = LedgerView {
        unit,
        rows,
        tree_size: head.tree_size,
        root_hex: head.root.to_hex(),
        head_signature_ok: state.services.verified.check_head(&head, &node_key),
        head_time_ms: head.timestamp_ms,
        older: (from > 0).then_some(from),
        newer: (before < head.tree_size).then(|| {
            let newer = before + LEDGER_PAGE_ENTRIES;
            (newer < head.tree_size).then_some(newer)
        }),
    };
    Ok(crate::ledger::views::ledger_body(tr, &info.slug, &view)
        .into_string()
        .into())
}

pub async fn statement(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Query(query): Query<BeforeQuery>,
) -> PageResult {
    let info = &actor.circle;
    let keys = state
        .services
        .db
        .member_keys(info.row_id, actor.user.id)
        .await?;
    let entries = state
        .services
        .store
        .account_entries(info, &keys, false, query.before, STATEMENT_PAGE_ENTRIES)
        .await?;
    let names = names(&state, info, &parties(&entries)).await?;
    let older = (entries.len() as i64 == STATEMENT_PAGE_ENTRIES)
        .then(|| entries.last().map(|stored| stored.entry.seq))
        .flatten();
    let rows = activity_rows(&entries, &keys, &names);
    Ok(page(crate::ledger::views::statement_page(
        &v,
        &nav_for(&actor, "home"),
        &unit_of(info),
        &rows,
        older,
    )))
}

pub async fn statement_csv(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    let info = &actor.circle;
    let keys = state
        .services
        .db
        .member_keys(info.row_id, actor.user.id)
        .await?;
    let mut entries = Vec::new();
    let mut before = None;
    loop {
        let page = state
            .services
            .store
            .account_entries(
                info,
                &keys,
                false,
                before,
                commons_ledger::store::LIST_ENTRIES_MAX,
            )
            .await?;
        let done = (page.len() as i64) < commons_ledger::store::LIST_ENTRIES_MAX;
        before = page.last().map(|stored| stored.entry.seq);
        entries.extend(page);
        if done || entries.len() >= STATEMENT_CSV_ENTRIES_MAX {
            break;
        }
    }
    entries.reverse();
    let names = names(&state, info, &parties(&entries)).await?;
    let rows = activity_rows(&entries, &keys, &names);
    let unit = unit_of(info);
    let tr = &v.tr;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |error: csv::Error| AppError::Internal(error.to_string());
    writer
        .write_record([
            tr.t("csv-entry"),
            tr.t("csv-time"),
            tr.t("csv-counterparty"),
            tr.t("csv-memo"),
            tr.ta("csv-amount", &[("unit", &unit.name)]),
            tr.t("csv-balance"),
            tr.t("csv-hash"),
        ])
        .map_err(csv_error)?;
    // The balance before the oldest line listed: today's balance minus everything listed
    // (right even when the download is cut at its limit).
    let current = actor.account.balance_minor;
    let listed: i64 = rows
        .iter()
        .map(|row| {
            if row.incoming {
                row.amount_minor
            } else {
                -row.amount_minor
            }
        })
        .sum();
    let mut balance = current - listed;
    for (row, stored) in rows.iter().zip(entries.iter()) {
        let signed = if row.incoming {
            row.amount_minor
        } else {
            -row.amount_minor
        };
        balance += signed;
        writer
            .write_record([
                row.seq.to_string(),
                views::when(row.recorded_at_ms),
                csv_text(&row.other_name),
                csv_text(row.memo.as_deref().unwrap_or("")),
                unit.number(signed),
                unit.number(balance),
                stored.hash.to_hex(),
            ])
            .map_err(csv_error)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| AppError::Internal(error.to_string()))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}-statement.csv\"",
        info.slug
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Text written by members, made safe for spreadsheets: a cell starting with `=`, `+`, `-`, `@`
/// (or a tab or carriage return) would run as a formula, so it gets a leading apostrophe.
fn csv_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn members(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Query(query): Query<SearchQuery>,
) -> PageResult {
    let stewards = state.services.store.stewards(&actor.circle).await?;
    let search = query.q.trim();
    let cards = state
        .services
        .db
        .members(
            actor.circle.row_id,
            MemberStatus::Active,
            (!search.is_empty()).then_some(search),
            crate::db::MEMBERS_PAGE_MAX,
        )
        .await?;
    let rows: Vec<MemberRow> = cards
        .into_iter()
        .map(|card| MemberRow {
            is_steward: stewards.contains(&card.account_key),
            username: card.username,
            display_name: card.display_name,
            bio: card.bio,
        })
        .collect();
    Ok(page(crate::ledger::views::members_page(
        &v,
        &nav_for(&actor, "members"),
        &rows,
        search,
    )))
}

pub async fn member(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    Path((_, username)): Path<(String, String)>,
) -> PageResult {
    let card = state
        .services
        .db
        .member_by_username(actor.circle.row_id, &username)
        .await?
        .filter(|card| card.status == MemberStatus::Active)
        .ok_or(AppError::NotFound)?;
    let stewards = state.services.store.stewards(&actor.circle).await?;
    let is_me = card.user_id == actor.user.id;
    let row = MemberRow {
        is_steward: stewards.contains(&card.account_key),
        username: card.username.clone(),
        display_name: card.display_name.clone(),
        bio: card.bio.clone(),
    };
    let services = &state.services;
    let listings = services.listings_by(&actor, card.user_id).await?;
    let thanks = services.thanks_to(&actor, card.user_id).await?;
    let completed = services.completed_deals(&actor, card.user_id).await?.len();
    let authors: Vec<i64> = thanks.iter().map(|t| t.author).collect();
    let people = services.people_by_id(&actor, &authors).await?;
    let names = |id: i64| {
        people
            .get(&id)
            .map_or_else(|| v.tr.t("member-former"), |p| p.display_name.clone())
    };
    let market = crate::market::views::member_market(
        &v,
        &actor.circle.slug,
        &listings,
        &thanks,
        completed,
        &names,
        &unit_of(&actor.circle),
    );
    Ok(page(crate::ledger::views::member_page(
        &v,
        &nav_for(&actor, "members"),
        &row,
        card.created_at_ms,
        card.vouched_by_name.as_deref(),
        is_me,
        market,
    )))
}

#[cfg(test)]
mod tests {
    use super::csv_text;

    #[test]
    fn member_text_in_csv_never_runs_as_a_formula() {
        assert_eq!(
            csv_text("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        for risky in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_text(risky).starts_with('\''), "{risky:?}");
        }
        assert_eq!(csv_text("Bread for Sunday"), "Bread for Sunday");
    }
}
