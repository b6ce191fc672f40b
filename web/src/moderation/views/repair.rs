//! A repair conversation's page: who is invited and their answers, the choice to join or not,
//! the conversation, and the agreement each person consents to.

use maud::{html, Markup};

use crate::http::session::Visitor;
use crate::moderation::repair::RepairView;
use crate::views::{csrf_field, error_summary, layout, when, CircleNav, Field, FormErrors};

fn answer_label(v: &Visitor, answer: &str) -> String {
    v.tr.t(&format!("repair-answer-{answer}"))
}

pub fn repair_page(
    v: &Visitor,
    nav: &CircleNav,
    view: &RepairView,
    errors: &FormErrors,
    locked: bool,
) -> Markup {
    let tr = &v.tr;
    let repair = &view.repair;
    let title = tr.t("repair-title");
    let base = format!("/c/{}/repairs/{}", nav.slug, repair.id);
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            (error_summary(v, errors))
            section.card aria-labelledby="repair-about" {
                h2 #repair-about { (tr.t("repair-about")) }
                p.lead { (repair.topic) }
                p { (tr.ta("repair-facilitated-by", &[("name", &repair.facilitator_name)])) " · " (when(repair.opened_at_ms)) }
                p.hint { (tr.t("repair-private")) }
                @if repair.status != "open" {
                    p.notice { (tr.t(&format!("repair-status-{}", repair.status))) }
                }
                ul.plain-list {
                    @for person in &view.people {
                        li { (person.display_name) " · " (answer_label(v, &person.answer))
                            @if person.answer == "joined" && repair.agreement_version > 0 && person.consented_version == repair.agreement_version {
                                " · " span.badge { (tr.t("repair-consented")) }
                            }
                        }
                    }
                }
            }
            @if view.is_open() && view.my_answer.is_some() {
                (choice(v, view, &base))
            }
            @if view.takes_part() {
                (conversation(v, view, &base, errors))
                (agreement(v, view, &base, errors, locked))
            }
        },
    )
}

fn choice(v: &Visitor, view: &RepairView, base: &str) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="repair-choice" {
            h2 #repair-choice { (tr.t("repair-your-choice")) }
            p { (tr.t("repair-choice-lead")) }
            div.actions {
                @if view.my_answer.as_deref() != Some("joined") {
                    form method="post" action={(base) "/answer"} {
                        (csrf_field(v))
                        input type="hidden" name="answer" value="join";
                        button.button type="submit" { (tr.t("repair-join")) }
                    }
                }
                @if view.my_answer.as_deref() != Some("declined") {
                    form method="post" action={(base) "/answer"} {
                        (csrf_field(v))
                        input type="hidden" name="answer" value="decline";
                        button.button.secondary type="submit" { (tr.t("repair-decline")) }
                    }
                }
            }
        }
    }
}

fn conversation(v: &Visitor, view: &RepairView, base: &str, errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="repair-talk" {
            h2 #repair-talk { (tr.t("repair-conversation")) }
            @if view.messages.is_empty() {
                p.empty { (tr.t("repair-no-messages")) }
            } @else {
                ol.messages {
                    @for message in &view.messages {
                        li.message {
                            p.message-meta { strong { (message.author_name) } " · " (when(message.created_at_ms)) }
                            p { (message.body) }
                        }
                    }
                }
            }
            @if view.is_open() {
                form method="post" action={(base) "/message"} {
                    (csrf_field(v))
                    (Field::new("message", tr.t("repair-message"), "textarea", "").render(errors))
                    button.button.secondary type="submit" { (tr.t("repair-send")) }
                }
            }
        }
    }
}

fn agreement(
    v: &Visitor,
    view: &RepairView,
    base: &str,
    errors: &FormErrors,
    locked: bool,
) -> Markup {
    let tr = &v.tr;
    let repair = &view.repair;
    html! {
        section.card aria-labelledby="repair-agreement" {
            h2 #repair-agreement { (tr.t("repair-agreement")) }
            p.hint { (tr.t("repair-agreement-lead")) }
            @if repair.agreement_version == 0 {
                p.empty { (tr.t("repair-agreement-none")) }
            } @else {
                blockquote { @for line in repair.agreement.lines() { (line) br; } }
                h3 { (tr.t("repair-outline")) }
                p { (repair.outline) }
                @if view.is_open() && view.my_answer.as_deref() == Some("joined") {
                    @if view.i_consented {
                        p.notice { (tr.t("repair-you-consented")) }
                    } @else {
                        form method="post" action={(base) "/consent"} {
                            (csrf_field(v))
                            input type="hidden" name="version" value=(repair.agreement_version);
                            button.button type="submit" { (tr.t("repair-consent")) }
                        }
                    }
                }
            }
            @if view.is_facilitator && view.is_open() {
                details open[repair.agreement_version == 0] {
                    summary { (tr.t("repair-write")) }
                    form method="post" action={(base) "/agreement"} {
                        (csrf_field(v))
                        (Field::new("agreement", tr.t("repair-agreement-text"), "textarea", &repair.agreement).hint(tr.t("repair-agreement-hint")).render(errors))
                        (Field::new("outline", tr.t("repair-outline-text"), "text", &repair.outline).hint(tr.t("repair-outline-hint")).render(errors))
                        button.button.secondary type="submit" { (tr.t("repair-save-agreement")) }
                    }
                }
                div.actions {
                    @if view.may_conclude {
                        form method="post" action={(base) "/end"} {
                            (csrf_field(v))
                            input type="hidden" name="end" value="conclude";
                            @if locked { (crate::views::unlock_form(v, errors)) }
                            button.button type="submit" { (tr.t("repair-conclude")) }
                        }
                    }
                    form method="post" action={(base) "/end"} {
                        (csrf_field(v))
                        input type="hidden" name="end" value="close";
                        button.button.danger type="submit" { (tr.t("repair-close")) }
                    }
                }
            }
        }
    }
}
