//! The circle's moderation page: the member's own reports and what came of them, the monthly
//! summary, the log, and how to verify it offline.

use commons_governance::moderation::{ActionKind, LogHead};
use maud::{html, Markup};

use super::{kind_label, target_label};
use crate::db::{ModeratorRow, MyReportRow, RepairRow};
use crate::http::session::Visitor;
use crate::moderation::log::LoggedAction;
use crate::moderation::rules::MonthSummary;
use crate::views::{csrf_field, layout, when, CircleNav};

/// What the moderation page shows.
#[derive(Debug)]
pub struct ModerationHome {
    pub log: Vec<LoggedAction>,
    pub head: Option<LogHead>,
    /// The circle's node key, which signs every head (a member keeps it with the head).
    pub node_key: Option<commons_ledger::keys::PublicKey>,
    pub summary: Vec<MonthSummary>,
    pub my_reports: Vec<MyReportRow>,
    /// The open repair conversations the reader facilitates or was invited to.
    pub repairs: Vec<RepairRow>,
    pub is_moderator: bool,
    pub is_steward: bool,
    /// The members a proposal appointed, and whether the log names moderators.
    pub setup: (Vec<ModeratorRow>, bool, bool),
    pub open_cases: usize,
    /// The page of older actions, if any.
    pub older: Option<u64>,
}

fn duration_words(v: &Visitor, ms: i64) -> String {
    let minutes = ms / 60_000;
    if minutes < 120 {
        v.tr.ta("moderation-minutes", &[("count", &minutes.to_string())])
    } else {
        v.tr.ta(
            "moderation-hours",
            &[("count", &(minutes / 60).to_string())],
        )
    }
}

pub fn moderation_page(v: &Visitor, nav: &CircleNav, home: &ModerationHome) -> Markup {
    let tr = &v.tr;
    let title = tr.t("moderation-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            div.page-head {
                h1 { (title) }
                @if home.is_moderator {
                    a.button href={"/c/" (nav.slug) "/moderation/queue"} {
                        (tr.ta("moderation-queue-link", &[("count", &home.open_cases.to_string())]))
                    }
                }
            }
            p.lead { (tr.t("moderation-lead")) }
            @if !home.repairs.is_empty() {
                section.card aria-labelledby="my-repairs" {
                    h2 #my-repairs { (tr.t("repair-my")) }
                    ul.plain-list {
                        @for repair in &home.repairs {
                            li { a href={"/c/" (nav.slug) "/repairs/" (repair.id)} { (repair.topic) } " · " (when(repair.opened_at_ms)) }
                        }
                    }
                }
            }
            (my_reports(v, &home.my_reports))
            (summary(v, &home.summary))
            (log_list(v, nav, home))
            (verify(v, nav, home.head.as_ref(), home.node_key.as_ref()))
            (who_moderates(v, nav, home))
        },
    )
}

fn my_reports(v: &Visitor, reports: &[MyReportRow]) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="my-reports" {
            h2 #my-reports { (tr.t("moderation-my-reports")) }
            @if reports.is_empty() {
                p { (tr.t("moderation-my-reports-none")) }
            } @else {
                ul.plain-list {
                    @for report in reports {
                        li {
                            (tr.t(&format!("moderation-target-{}", report.target_kind))) " · " (when(report.created_at_ms)) " · "
                            @match (&report.outcome, report.is_open) {
                                (_, true) => { (tr.t("moderation-report-waiting")) }
                                (Some(outcome), false) => {
                                    (tr.ta("moderation-report-done", &[("outcome", &tr.t(&format!("moderation-kind-{outcome}")))]))
                                }
                                (None, false) => { (tr.t("moderation-report-closed")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn summary(v: &Visitor, months: &[MonthSummary]) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="summary-title" {
            h2 #summary-title { (tr.t("moderation-summary")) }
            @if months.is_empty() {
                p { (tr.t("moderation-summary-none")) }
            } @else {
                div.table-wrap tabindex="0" role="region" aria-label=(tr.t("moderation-summary-table")) {
                    table {
                        caption.visually-hidden { (tr.t("moderation-summary")) }
                        thead { tr {
                            th scope="col" { (tr.t("moderation-month")) }
                            th scope="col" { (tr.t("moderation-reports")) }
                            th scope="col" { (tr.t("moderation-actions")) }
                            th scope="col" { (tr.t("moderation-appeals")) }
                            th scope="col" { (tr.t("moderation-first-response")) }
                        } }
                        tbody {
                            @for month in months {
                                tr {
                                    th scope="row" { (month.month) }
                                    td.num { (month.reports) }
                                    td {
                                        @for (kind, count) in &month.actions {
                                            span.tag { (kind_label(v, *kind)) " " (count) } " "
                                        }
                                    }
                                    td { (tr.ta("moderation-appeals-figures", &[
                                        ("count", &month.appeals.to_string()),
                                        ("upheld", &month.appeals_upheld.to_string()),
                                        ("undone", &month.appeals_undone.to_string()),
                                    ])) }
                                    td { (month.first_response_ms_median.map_or_else(|| "—".to_owned(), |ms| duration_words(v, ms))) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn log_list(v: &Visitor, nav: &CircleNav, home: &ModerationHome) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="log-title" {
            h2 #log-title { (tr.t("moderation-log")) }
            p.hint { (tr.t("moderation-log-hint")) }
            @if home.log.is_empty() {
                p.empty { (tr.t("moderation-log-empty")) }
            } @else {
                ol.plain-list.moderation-log reversed {
                    @for logged in &home.log {
                        @let action = &logged.action;
                        li value=(action.seq + 1) {
                            a href={"/c/" (nav.slug) "/moderation/actions/" (action.seq)} {
                                "#" (action.seq) " · " (kind_label(v, action.kind)) " · " (target_label(v, action.target))
                            }
                            @if logged.about_reader { " " span.badge { (tr.t("moderation-about-you")) } }
                            p.hint {
                                (when(action.recorded_at_ms))
                                @if !action.agreements.is_empty() {
                                    " · " (tr.ta("moderation-agreements-cited", &[("numbers", &action.agreements.iter().map(u16::to_string).collect::<Vec<_>>().join(", "))]))
                                }
                                @if let Some(until) = action.ends_at_ms { " · " (tr.ta("moderation-until-date", &[("date", &when(until))])) }
                                " · " (logged.moderator_name.clone().unwrap_or_else(|| tr.t("moderation-a-moderator")))
                            }
                            @if action.kind != ActionKind::Dismiss { p { (action.reason) } }
                        }
                    }
                }
                @if let Some(older) = home.older {
                    p { a href={"/c/" (nav.slug) "/moderation?before=" (older)} { (tr.t("moderation-older")) } }
                }
            }
        }
    }
}

fn verify(
    v: &Visitor,
    nav: &CircleNav,
    head: Option<&LogHead>,
    node_key: Option<&commons_ledger::keys::PublicKey>,
) -> Markup {
    let tr = &v.tr;
    html! {
        section.card.tree-head aria-labelledby="verify-title" {
            h2 #verify-title { (tr.t("moderation-verify")) }
            p { (tr.t("moderation-verify-lead")) }
            @if let Some(head) = head {
                dl.facts {
                    div { dt { (tr.t("moderation-head-size")) } dd { (head.tree_size) } }
                    div { dt { (tr.t("moderation-head-root")) } dd { code.hash { (head.root.to_hex()) } } }
                    div { dt { (tr.t("moderation-when")) } dd { (when(head.timestamp_ms)) } }
                }
                p { (tr.t("moderation-verify-command")) }
                pre { code { "commons audit --moderation " (nav.slug) "-moderation.jsonl --kept-head " (head.tree_size) ":" (head.root.to_hex()) @if let Some(key) = node_key { ":" (key.to_hex()) } } }
            }
            p { a.button.secondary href={"/c/" (nav.slug) "/moderation/export"} download={(nav.slug) "-moderation.jsonl"} { (tr.t("moderation-download")) } }
        }
    }
}

fn who_moderates(v: &Visitor, nav: &CircleNav, home: &ModerationHome) -> Markup {
    let tr = &v.tr;
    let (appointed, names_shown, by_vote) = &home.setup;
    html! {
        section.card aria-labelledby="who-title" {
            h2 #who-title { (tr.t("moderation-who")) }
            p { (tr.t("moderation-who-lead")) }
            @if appointed.is_empty() {
                p.hint { (tr.t("moderation-who-none")) }
            } @else {
                ul.plain-list {
                    @for moderator in appointed {
                        li {
                            (moderator.display_name) " · "
                            a href={"/c/" (nav.slug) "/proposals/" (moderator.proposal_number)} {
                                (tr.ta("moderation-appointed-by", &[("number", &moderator.proposal_number.to_string())]))
                            }
                            " · "
                            a href={"/c/" (nav.slug) "/proposals/new?action=end-moderator&member=" (moderator.username)} {
                                (tr.ta("moderation-unappoint", &[("name", &moderator.display_name)]))
                            }
                        }
                    }
                }
            }
            p { (tr.t(if *names_shown { "moderation-names-shown" } else { "moderation-names-hidden" })) }
            p { (tr.t(if *by_vote { "moderation-appeals-vote" } else { "moderation-appeals-moderator" })) }
            p { a.button.secondary href={"/c/" (nav.slug) "/proposals/new?action=appoint-moderator"} { (tr.t("moderation-appoint")) } }
            @if home.is_steward {
                details {
                    summary { (tr.t("moderation-policy")) }
                    form method="post" action={"/c/" (nav.slug) "/moderation/policy"} {
                        (csrf_field(v))
                        div.field.checkbox {
                            input #names_shown type="checkbox" name="names_shown" checked[*names_shown];
                            label for="names_shown" { (tr.t("moderation-names-shown-label")) }
                        }
                        div.field.checkbox {
                            input #appeals_by_vote type="checkbox" name="appeals_by_vote" checked[*by_vote];
                            label for="appeals_by_vote" { (tr.t("moderation-appeals-vote-label")) }
                        }
                        button.button.secondary type="submit" { (tr.t("moderation-policy-save")) }
                    }
                }
            }
        }
    }
}
