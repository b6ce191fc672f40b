//! The moderators' pages: the queue, highest priority first, and one case in context with its
//! reports, private notes, and the actions that fit it.

use commons_governance::moderation::{ActionKind, TargetKind};
use maud::{html, Markup, PreEscaped};

use super::{agreement_boxes, cited_agreements, kind_label, target_label};
use crate::db::HiddenState;
use crate::http::session::Visitor;
use crate::moderation::service::{CaseView, QueueItem};
use crate::moderation::signals::Signal;
use crate::views::{csrf_field, error_summary, layout, when, CircleNav, Field, FormErrors};

fn target_of(kind: &str) -> TargetKind {
    TargetKind::parse(kind).unwrap_or(TargetKind::Member)
}

/// A signal in words, with the names of the people it is about.
fn signal_text(v: &Visitor, signal: &Signal, names: &Names) -> String {
    let name = |id: &i64| {
        names
            .get(id)
            .map_or_else(|| "—".to_owned(), |p| p.display_name.clone())
    };
    match signal {
        Signal::InvitationBurst { root, joined } => v.tr.ta(
            "signal-burst",
            &[("name", &name(root)), ("count", &joined.to_string())],
        ),
        Signal::ReportedBySeveral { member, reporters } => v.tr.ta(
            "signal-reported",
            &[("name", &name(member)), ("count", &reporters.to_string())],
        ),
        Signal::NewMemberLinks { member, held } => v.tr.ta(
            "signal-links",
            &[("name", &name(member)), ("count", &held.to_string())],
        ),
    }
}

/// The people signals name, by user id.
pub type Names = std::collections::HashMap<i64, crate::db::Person>;

pub fn queue_page(
    v: &Visitor,
    nav: &CircleNav,
    items: &[QueueItem],
    signals: &[Signal],
    names: &Names,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("moderation-queue");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            p.lead { (tr.t("moderation-queue-lead")) }
            @if !signals.is_empty() {
                section.card aria-labelledby="signals-title" {
                    h2 #signals-title { (tr.t("signals-title")) }
                    p.hint { (tr.t("signals-hint")) }
                    ul.plain-list {
                        @for signal in signals { li { (signal_text(v, signal, names)) } }
                    }
                }
            }
            @if items.is_empty() {
                p.empty { (tr.t("moderation-queue-empty")) }
            } @else {
                div.table-wrap tabindex="0" role="region" aria-label=(title) {
                    table {
                        caption.visually-hidden { (title) }
                        thead { tr {
                            th scope="col" { (tr.t("moderation-priority")) }
                            th scope="col" { (tr.t("moderation-case")) }
                            th scope="col" { (tr.t("moderation-about")) }
                            th scope="col" { (tr.t("moderation-reports")) }
                            th scope="col" { (tr.t("moderation-opened")) }
                            th scope="col" { (tr.t("moderation-assigned")) }
                        } }
                        tbody {
                            @for item in items {
                                tr {
                                    td.num { (item.priority) }
                                    th scope="row" {
                                        a href={"/c/" (nav.slug) "/moderation/cases/" (item.case.id)} {
                                            (tr.t(&format!("moderation-origin-{}", item.case.origin))) " · "
                                            (target_label(v, target_of(&item.case.target_kind)))
                                        }
                                    }
                                    td { (item.subject_name.as_deref().unwrap_or("—")) }
                                    td.num { (item.case.reports) }
                                    td { (when(item.case.opened_at_ms)) }
                                    td { (item.assigned_name.as_deref().unwrap_or("—")) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub fn case_page(
    v: &Visitor,
    nav: &CircleNav,
    view: &CaseView,
    errors: &FormErrors,
    locked: bool,
) -> Markup {
    let tr = &v.tr;
    let case = &view.case;
    let title = tr.ta("moderation-case-title", &[("id", &case.id.to_string())]);
    let base = format!("/c/{}/moderation/cases/{}", nav.slug, case.id);
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            (error_summary(v, errors))
            (case_context(v, view))
            (case_reports(v, view))
            @if let Some(pending) = &view.pending {
                p.notice {
                    (tr.ta("moderation-pending-second", &[
                        ("name", pending.proposer_name.as_str()),
                        ("action", &kind_label(v, pending.kind)),
                        ("until", &pending.ends_at_ms.map(when).unwrap_or_default()),
                        ("reason", pending.reason.as_str()),
                    ]))
                }
            }
            @if view.party && case.is_open {
                p.notice { (tr.t("moderation-case-party")) }
            }
            @if view.may_act {
                (act_form(v, view, &base, errors, locked))
            } @else if case.is_open {
                p.notice { (tr.t("moderation-case-not-yours")) }
            } @else {
                p.notice { (tr.t("moderation-case-closed")) }
            }
            @if view.may_act && view.case.origin != "appeal" {
                (repair_form(v, &base, errors))
            }
            (case_notes(v, view, &base, errors))
            p { a href={"/c/" (nav.slug) "/moderation/queue"} { (tr.t("moderation-back-to-queue")) } }
        },
    )
}

fn case_context(v: &Visitor, view: &CaseView) -> Markup {
    let tr = &v.tr;
    let case = &view.case;
    html! {
        section.card aria-labelledby="context-title" {
            h2 #context-title { (tr.t("moderation-context")) }
            dl.facts {
                div { dt { (tr.t("moderation-what")) } dd { (tr.t(&format!("moderation-origin-{}", case.origin))) " · " (target_label(v, target_of(&case.target_kind))) } }
                div { dt { (tr.t("moderation-about")) } dd { (view.subject.as_ref().map_or("—", |p| p.display_name.as_str())) } }
                div { dt { (tr.t("moderation-opened")) } dd { (when(case.opened_at_ms)) } }
                @if let Some(state) = view.hidden {
                    div { dt { (tr.t("moderation-now")) } dd { (tr.t(match state { HiddenState::Hidden => "moderation-now-hidden", HiddenState::Held => "moderation-now-held" })) } }
                }
                @if case.is_open {
                    div { dt { (tr.t("moderation-assigned")) } dd { @match &view.assigned_name { Some(name) => (name), None => (tr.t("moderation-nobody-yet")) } } }
                } @else {
                    @if let Some(outcome) = &case.outcome {
                        div { dt { (tr.t("moderation-outcome")) } dd {
                            @match case.outcome_seq {
                                Some(seq) => a href={"../actions/" (seq)} { (tr.t(&format!("moderation-kind-{outcome}"))) },
                                None => (tr.t(&format!("moderation-kind-{outcome}"))),
                            }
                            @if let Some(name) = &view.assigned_name { " · " (tr.ta("moderation-decided-by", &[("name", name)])) }
                        } }
                    }
                }
            }
            h3 { (tr.t("moderation-snapshot")) }
            // The item as it was reported, as its readers saw it: rendered from Markdown (raw
            // HTML dropped) where they read it so, else every character as typed.
            @if target_of(&case.target_kind).written_in_markdown() {
                blockquote.reported { (PreEscaped(commons_market::markdown::render(&case.snapshot))) }
            } @else {
                blockquote.reported { @for line in case.snapshot.lines() { (line) br; } }
            }
            @if !view.earlier.is_empty() {
                details.earlier-versions {
                    summary { (tr.tn("moderation-earlier-versions", view.earlier.len() as i64)) }
                    @for version in &view.earlier {
                        p.hint { (tr.ta("moderation-version-until", &[("when", &when(version.replaced_at_ms))])) }
                        blockquote.reported {
                            @if !version.title.is_empty() { strong { (version.title) } br; }
                            (PreEscaped(commons_market::markdown::render(&version.body)))
                        }
                    }
                }
            }
            @if let Some(appealed) = &view.appealed {
                h3 { (tr.t("moderation-appealed-action")) }
                p { (kind_label(v, appealed.action.kind)) " · " (when(appealed.action.recorded_at_ms)) }
                (cited_agreements(&view.agreements, &appealed.action.agreements))
                h3 { (tr.t("moderation-appeal-words")) }
                blockquote { (case.statement) }
                @if let Some(number) = case.proposal_number {
                    p.notice {
                        a href={"../../proposals/" (number)} { (tr.ta("moderation-appeal-by-vote", &[("number", &number.to_string())])) }
                    }
                }
            }
        }
    }
}

fn case_reports(v: &Visitor, view: &CaseView) -> Markup {
    let tr = &v.tr;
    html! {
        @if !view.reports.is_empty() {
            section.card aria-labelledby="reports-title" {
                h2 #reports-title { (tr.tn("moderation-case-reports", view.reports.len() as i64)) }
                ul.plain-list {
                    @for report in &view.reports {
                        li {
                            strong { (report.reporter_name) } " · " (when(report.created_at_ms))
                            @if !report.note.is_empty() { p { (report.note) } }
                            @if !report.cited().is_empty() {
                                (cited_agreements(&view.agreements, &report.cited()))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn act_form(v: &Visitor, view: &CaseView, base: &str, errors: &FormErrors, locked: bool) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="act-title" {
            h2 #act-title { (tr.t("moderation-act")) }
            form method="post" action={(base) "/assign"} class="inline" {
                (csrf_field(v))
                @if view.case.assigned_to.is_some() {
                    input type="hidden" name="take" value="0";
                    button.button.secondary.small type="submit" { (tr.t("moderation-release")) }
                } @else {
                    input type="hidden" name="take" value="1";
                    button.button.secondary.small type="submit" { (tr.t("moderation-take")) }
                }
            }
            form method="post" action={(base) "/act"} {
                (csrf_field(v))
                fieldset #kind {
                    legend { (tr.t("moderation-choose-action")) }
                    @if let Some(error) = errors.for_field("kind") { p.field-error #kind-error { (error) } }
                    @for kind in &view.actions {
                        @let id = format!("kind-{}", kind.as_str());
                        div.field.radio {
                            input type="radio" id=(id) name="kind" value=(kind.as_str()) required;
                            label for=(id) { (kind_label(v, *kind)) }
                            p.hint { (tr.t(&format!("moderation-kind-{}-hint", kind.as_str()))) }
                        }
                    }
                }
                @if view.actions.iter().any(|k| matches!(k, ActionKind::Limit | ActionKind::Suspend)) {
                    (Field::new("days", tr.t("moderation-days"), "number", "").hint(tr.t("moderation-days-hint")).optional().render(errors))
                }
                (agreement_boxes(v, &tr.t("moderation-act-agreements"), &view.agreements, &[], errors))
                (Field::new("reason", tr.t("moderation-reason"), "textarea", "").hint(tr.t("moderation-reason-hint")).render(errors))
                @if locked { (crate::views::unlock_form(v, errors)) }
                button.button type="submit" { (tr.t("moderation-act-send")) }
            }
        }
    }
}

fn case_notes(v: &Visitor, view: &CaseView, base: &str, errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="notes-title" {
            h2 #notes-title { (tr.t("moderation-notes")) }
            p.hint { (tr.t("moderation-notes-hint")) }
            @for note in &view.notes {
                div.comment {
                    p.comment-meta { strong { (note.author_name) } " · " (when(note.created_at_ms)) }
                    p.comment-body { (note.body) }
                }
            }
            @if !view.party {
                form method="post" action={(base) "/note"} {
                    (csrf_field(v))
                    (Field::new("note", tr.t("moderation-note"), "textarea", "").render(errors))
                    button.button.secondary type="submit" { (tr.t("moderation-note-add")) }
                }
            }
        }
    }
}

fn repair_form(v: &Visitor, base: &str, errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="repair-open-title" {
            h2 #repair-open-title { (tr.t("repair-open")) }
            p { (tr.t("repair-open-lead")) }
            form method="post" action={(base) "/repair"} {
                (csrf_field(v))
                (Field::new("people", tr.t("repair-people"), "text", "").hint(tr.t("repair-people-hint")).optional().render(errors))
                (Field::new("topic", tr.t("repair-topic"), "textarea", "").render(errors))
                button.button.secondary type="submit" { (tr.t("repair-open-send")) }
            }
        }
    }
}
