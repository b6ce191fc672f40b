//! Moderation's pages: the report form, one action of the log (with the appeal), the circle's
//! moderation page (`log.rs`), and the moderators' queue and case (`queue.rs`).

mod log;
mod queue;
mod repair;

pub use log::{moderation_page, ModerationHome};
pub use queue::{case_page, queue_page, Names};
pub use repair::repair_page;

use commons_governance::moderation::{ActionKind, TargetKind};
use maud::{html, Markup};

use crate::http::session::Visitor;
use crate::moderation::log::LoggedAction;
use crate::moderation::rules::Agreement;
use crate::moderation::service::ReportTarget;
use crate::views::{csrf_field, error_summary, layout, when, CircleNav, Field, FormErrors};

/// The "Report" link placed next to an item (a listing, a message, a comment, a proposal, a
/// profile), quiet by design.
pub fn report_link(v: &Visitor, slug: &str, kind: TargetKind, id: &str) -> Markup {
    html! {
        a.report-link href={"/c/" (slug) "/report/" (kind.as_str()) "/" (id)} {
            (v.tr.t(&format!("moderation-report-{}", kind.as_str())))
        }
    }
}

/// The agreements as checkboxes (`agreement_N`), the ones in `checked` ticked.
pub(crate) fn agreement_boxes(
    v: &Visitor,
    legend: &str,
    agreements: &[Agreement],
    checked: &[u16],
    errors: &FormErrors,
) -> Markup {
    html! {
        fieldset #agreements {
            legend { (legend) }
            @if let Some(error) = errors.for_field("agreements") {
                p.field-error #agreements-error { (error) }
            }
            @if agreements.is_empty() {
                p.hint { (v.tr.t("moderation-no-agreements")) }
            }
            @for agreement in agreements {
                @let id = format!("agreement_{}", agreement.number);
                div.field.checkbox {
                    input type="checkbox" id=(id) name=(id) checked[checked.contains(&agreement.number)];
                    label for=(id) { (agreement.number) ". " (agreement.text) }
                }
            }
        }
    }
}

/// The words a kind of action goes by.
pub(crate) fn kind_label(v: &Visitor, kind: ActionKind) -> String {
    v.tr.t(&format!("moderation-kind-{}", kind.as_str()))
}

/// The words a kind of item goes by.
pub(crate) fn target_label(v: &Visitor, kind: TargetKind) -> String {
    v.tr.t(&format!("moderation-target-{}", kind.as_str()))
}

/// The agreements an action cites, with their words.
pub(crate) fn cited_agreements(agreements: &[Agreement], cited: &[u16]) -> Markup {
    html! {
        @if !cited.is_empty() {
            ul.plain-list.cited {
                @for number in cited {
                    li {
                        (number) ". "
                        (agreements.iter().find(|a| a.number == *number).map_or("—", |a| a.text.as_str()))
                    }
                }
            }
        }
    }
}

/// The report form.
pub fn report_page(
    v: &Visitor,
    nav: &CircleNav,
    target: &ReportTarget,
    agreements: &[Agreement],
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t(&format!("moderation-report-{}", target.kind.as_str()));
    let snapshot: String = target.snapshot.chars().take(800).collect();
    layout(
        v,
        Some(nav),
        &title,
        html! {
            section.card.narrow {
                h1 { (title) }
                (error_summary(v, errors))
                p.lead { (tr.t("moderation-report-lead")) }
                @if target.kind == TargetKind::Member {
                    p { strong { (target.subject_name) } }
                } @else {
                    figure.reported {
                        blockquote { @for line in snapshot.lines() { (line) br; } }
                        figcaption { (target.subject_name) }
                    }
                }
                form method="post" {
                    (csrf_field(v))
                    (agreement_boxes(v, &tr.t("moderation-report-agreements"), agreements, &[], errors))
                    (Field::new("note", tr.t("moderation-report-note"), "textarea", "")
                        .hint(tr.t("moderation-report-note-hint")).optional().render(errors))
                    p.hint { (tr.t("moderation-report-private")) }
                    div.actions {
                        button.button type="submit" { (tr.t("moderation-report-send")) }
                        a.button.secondary href=(target.back) { (tr.t("moderation-cancel")) }
                    }
                }
                p.hint { (tr.t("moderation-report-or-block")) }
            }
        },
    )
}

/// One action of the log, as the circle reads it; for the member it is about, what was done,
/// why, by which agreement, until when, and how to appeal.
pub fn action_page(
    v: &Visitor,
    nav: &CircleNav,
    logged: &LoggedAction,
    agreements: &[Agreement],
    appealed: bool,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let action = &logged.action;
    let title = tr.ta(
        "moderation-action-title",
        &[("seq", &action.seq.to_string())],
    );
    layout(
        v,
        Some(nav),
        &title,
        html! {
            section.card.narrow {
                h1 { (title) }
                (error_summary(v, errors))
                @if logged.about_reader {
                    p.notice { (tr.t("moderation-action-about-you")) }
                }
                dl.facts {
                    div { dt { (tr.t("moderation-what")) } dd { (kind_label(v, action.kind)) " · " (target_label(v, action.target)) } }
                    div { dt { (tr.t("moderation-when")) } dd { (when(action.recorded_at_ms)) } }
                    @if let Some(until) = action.ends_at_ms {
                        div { dt { (tr.t("moderation-until")) } dd { (when(until)) } }
                    }
                    div { dt { (tr.t("moderation-by")) } dd { (logged.moderator_name.clone().unwrap_or_else(|| tr.t("moderation-a-moderator"))) } }
                    div { dt { (tr.t("moderation-why")) } dd { (action.reason) } }
                }
                @if !action.agreements.is_empty() {
                    h2 { (tr.t("moderation-cited")) }
                    (cited_agreements(agreements, &action.agreements))
                }
                @if logged.may_appeal {
                    h2 #appeal { (tr.t("moderation-appeal-title")) }
                    p { (tr.t("moderation-appeal-lead")) }
                    form method="post" action={"/c/" (nav.slug) "/moderation/actions/" (action.seq) "/appeal"} {
                        (csrf_field(v))
                        (Field::new("statement", tr.t("moderation-appeal-statement"), "textarea", "")
                            .hint(tr.t("moderation-appeal-statement-hint")).render(errors))
                        button.button type="submit" { (tr.t("moderation-appeal-send")) }
                    }
                } @else if logged.about_reader && appealed {
                    p.notice { (tr.t("moderation-appeal-made")) }
                }
                p { a href={"/c/" (nav.slug) "/moderation"} { (tr.t("moderation-back-to-log")) } }
            }
        },
    )
}
