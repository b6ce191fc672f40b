//! The circle's history: the ledger (its body remembered per page, language and names), my
//! statement and its CSV (member text never runs as a spreadsheet formula), and how an
//! entry's action reads.

#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{self, HeaderValue};
use axum::response::IntoResponse;
use commons_ledger::crossing::{connector_key, HoldSource, Settlement};
use commons_ledger::entry::{Action, Body, Cause, DOCUMENT_AGREEMENTS};
use commons_ledger::keys::PublicKey;
use commons_ledger::store::CircleInfo;
use maud::PreEscaped;
use serde::Deserialize;

use crate::http::error::AppError;
use crate::http::extract::PageQuery;
use crate::http::session::Visitor;
use crate::i18n::Tr;
use crate::ledger::form::LedgerKind;
use crate::ledger::views::{ActivityRow, LedgerRow, LedgerView};
use crate::services::Actor;
use crate::views::Unit;
use crate::views::{self};
use crate::{AppState, LedgerViewKey};

use crate::http::page::*;

use super::routes::*;

#[derive(Debug, Deserialize)]
pub struct BeforeQuery {
    before: Option<u64>,
}

pub(super) fn summary(
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
        Body::Hold(hold) => {
            let to = n(&connector_key(&hold.partner));
            match &hold.source {
                HoldSource::Member(payer) => (
                    tr.ta("kind-hold", &[("payer", &n(payer)), ("circle", &to)]),
                    Some(hold.amount_minor),
                ),
                HoldSource::Link { partner, .. } => (
                    tr.ta(
                        "kind-hold-through",
                        &[("from", &n(&connector_key(partner))), ("circle", &to)],
                    ),
                    Some(hold.amount_minor),
                ),
            }
        }
        Body::Settle {
            settlement: Settlement::Commit { .. },
            ..
        } => (tr.t("kind-settle-commit"), None),
        Body::Settle { .. } => (tr.t("kind-settle-release"), None),
        Body::Arrive(arrival) => (
            tr.ta(
                "kind-arrive",
                &[
                    ("payee", &n(&arrival.payee)),
                    ("circle", &n(&connector_key(&arrival.partner))),
                ],
            ),
            Some(arrival.amount_minor),
        ),
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
        Action::AppointModerator { account } => {
            tr.ta("action-appoint-moderator", &[("name", &name(account))])
        }
        Action::EndModerator { account } => {
            tr.ta("action-end-moderator", &[("name", &name(account))])
        }
        Action::SetDocument { document, .. } if *document == DOCUMENT_AGREEMENTS => {
            tr.t("action-agreements")
        }
        Action::SetDocument { .. } => tr.t("action-policy"),
        Action::Link(terms) if !terms.trust.is_proved() => tr.ta(
            "action-link-on-its-word",
            &[
                ("circle", &name(&connector_key(&terms.partner))),
                ("out", &unit.money(terms.out_max_minor)),
                ("in", &unit.money(terms.in_max_minor)),
            ],
        ),
        Action::Link(terms) => tr.ta(
            "action-link",
            &[
                ("circle", &name(&connector_key(&terms.partner))),
                ("out", &unit.money(terms.out_max_minor)),
                ("in", &unit.money(terms.in_max_minor)),
                ("key", &terms.partner_node_key.short()),
            ],
        ),
        Action::SetLinkStatus { partner, status } => tr.ta(
            "action-link-status",
            &[
                ("circle", &name(&connector_key(partner))),
                ("status", status.as_str()),
            ],
        ),
    }
}

/// What the ledger page's link or filter form asks for.
#[derive(Debug, Deserialize)]
pub struct LedgerQuery {
    before: Option<u64>,
    #[serde(default)]
    member: String,
    #[serde(default)]
    kind: String,
}

/// The filter the page shows and its links carry.
#[derive(Debug, Clone, Default)]
pub struct LedgerFilter {
    pub kind: LedgerKind,
    /// The username asked for, as typed (trimmed, bounded).
    pub member: String,
    /// The member it names, if any: (user id, display name, keys).
    pub found: Option<(i64, String, Vec<PublicKey>)>,
}

impl LedgerFilter {
    /// The query string the page's links keep (`&member=ben&kind=payments`).
    pub fn link_query(&self) -> String {
        let mut query = String::new();
        if !self.member.is_empty() {
            query.push_str("&member=");
            query.push_str(&crate::market::views::url_encode(&self.member));
        }
        if self.kind != LedgerKind::All {
            query.push_str("&kind=");
            query.push_str(self.kind.as_str());
        }
        query
    }

    pub fn is_on(&self) -> bool {
        self.kind != LedgerKind::All || !self.member.is_empty()
    }
}

pub async fn ledger(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(query): PageQuery<LedgerQuery>,
) -> PageResult {
    let info = &actor.circle;
    let kind = LedgerKind::parse(&query.kind).ok_or(AppError::BadRequest("ledger-error-kind"))?;
    let member: String = query.member.trim().chars().take(64).collect();
    let found = match member.as_str() {
        "" => None,
        name => state.services.ledger_member(&actor, name).await?,
    };
    let filter = LedgerFilter {
        kind,
        member,
        found,
    };
    // The body is the same for every member reading this page in this language: remembered
    // until the circle's next entry (or a change of names).
    let key = LedgerViewKey {
        row_id: info.row_id,
        before: query.before,
        kind: filter.kind,
        member: filter.found.as_ref().map(|(id, _, _)| *id),
        language: v.tr.lang().to_owned(),
        names_generation: state.services.names_generation(),
    };
    let body = if !filter.member.is_empty() && filter.found.is_none() {
        // Nobody by that name: nothing to remember.
        crate::ledger::views::ledger_nobody(&v.tr, &info.slug, &filter)
            .into_string()
            .into()
    } else {
        state
            .services
            .remembered(&state.views.ledger, info.row_id, key, || {
                ledger_body(&state, &v.tr, info, query.before, &filter)
            })
            .await?
    };
    Ok(page(crate::ledger::views::ledger_page(
        &v,
        &nav_for(&actor, "ledger"),
        PreEscaped(body.to_string()),
    )))
}

/// How to check the ledger yourself: the signed tree head, its root, and the audit command.
pub async fn ledger_verify(State(state): AppState_, v: Visitor, actor: Actor) -> PageResult {
    let info = &actor.circle;
    let slice = state
        .services
        .ledger_slice(info, None, 1, LedgerKind::All, None)
        .await?;
    Ok(page(crate::ledger::views::verify_page(
        &v,
        &nav_for(&actor, "ledger"),
        &slice.head,
        slice.head_signature_ok,
    )))
}

pub(super) async fn ledger_body(
    state: &AppState,
    tr: &Tr,
    info: &CircleInfo,
    before: Option<u64>,
    filter: &LedgerFilter,
) -> Result<Arc<str>, AppError> {
    let keys = filter.found.as_ref().map(|(_, _, keys)| keys.as_slice());
    let slice = state
        .services
        .ledger_slice(info, before, LEDGER_PAGE_ENTRIES, filter.kind, keys)
        .await?;
    let (head, before, entries) = (&slice.head, slice.before, &slice.entries);
    let names = state.services.key_names(info, &parties(entries)).await?;
    let unit = unit_of(info);
    let rows: Vec<LedgerRow> = entries
        .iter()
        .zip(slice.signatures_ok.iter().copied())
        .map(|(stored, signature_ok)| {
            let request = &stored.entry.signed.record;
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
    // Unfiltered, pages are fixed stretches of the log; filtered, the next page starts below
    // the oldest entry shown.
    let (older, newer) = if filter.is_on() {
        (slice.more, (before < head.tree_size).then_some(None))
    } else {
        let from = before.saturating_sub(LEDGER_PAGE_ENTRIES);
        let newer = (before < head.tree_size).then(|| {
            let newer = before + LEDGER_PAGE_ENTRIES;
            (newer < head.tree_size).then_some(newer)
        });
        ((from > 0).then_some(from), newer)
    };
    let view = LedgerView {
        unit,
        all_verified: slice.head_signature_ok && rows.iter().all(|row| row.signature_ok),
        rows,
        tree_size: head.tree_size,
        root_hex: head.root.to_hex(),
        head_signature_ok: slice.head_signature_ok,
        head_time_ms: head.timestamp_ms,
        older,
        newer,
        filter: filter.clone(),
    };
    Ok(crate::ledger::views::ledger_body(tr, &info.slug, &view)
        .into_string()
        .into())
}

pub async fn statement(
    State(state): AppState_,
    v: Visitor,
    actor: Actor,
    PageQuery(query): PageQuery<BeforeQuery>,
) -> PageResult {
    let info = &actor.circle;
    let keys = state.services.my_keys(&actor).await?;
    let entries = state
        .services
        .my_entries(&actor, &keys, query.before, STATEMENT_PAGE_ENTRIES)
        .await?;
    let names = state.services.key_names(info, &parties(&entries)).await?;
    let older = (entries.len() as i64 == STATEMENT_PAGE_ENTRIES)
        .then(|| entries.last().map(|stored| stored.entry.seq))
        .flatten();
    let settled = state.services.settlements_among(info, &entries).await?;
    let rows = activity_rows(&entries, &keys, &names, &settled);
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
    let keys = state.services.my_keys(&actor).await?;
    let entries = state
        .services
        .my_statement(&actor, &keys, STATEMENT_CSV_ENTRIES_MAX)
        .await?;
    let names = state.services.key_names(info, &parties(&entries)).await?;
    let settled = state.services.settlements_among(info, &entries).await?;
    let rows = activity_rows(&entries, &keys, &names, &settled);
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
    let listed: i64 = rows.iter().map(ActivityRow::moved_minor).sum();
    let mut balance = current - listed;
    for row in &rows {
        let signed = row.moved_minor();
        balance += signed;
        writer
            .write_record([
                row.seq.to_string(),
                views::when(row.recorded_at_ms),
                csv_text(&row.other_name),
                csv_text(row.memo.as_deref().unwrap_or("")),
                unit.number(signed),
                unit.number(balance),
                row.hash.to_hex(),
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
pub(super) fn csv_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
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
