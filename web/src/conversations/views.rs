//! Private conversation pages: the list, starting one, a conversation with its messages and
//! reply form, and the report form where the reporter chooses which messages to show.

use maud::{html, Markup};

use crate::conversations::service::{ConversationLine, ConversationView, ShownMessage};
use crate::db::conversations::ConversationPerson;
use crate::http::session::Visitor;
use crate::moderation::rules::Agreement;
use crate::views::art::avatar;
use crate::views::{csrf_field, error_summary, layout, CircleNav, Field, FormErrors};

fn base(slug: &str) -> String {
    format!("/c/{slug}/messages")
}

/// The other people's names, as one line: "Chen Wei, Dolores Ruiz and Kai".
pub fn names_line(v: &Visitor, others: &[ConversationPerson]) -> String {
    let names: Vec<&str> = others.iter().map(|p| p.display_name.as_str()).collect();
    match names.as_slice() {
        [] => v.tr.t("conversation-nobody"),
        [one] => (*one).to_owned(),
        [rest @ .., last] => v.tr.ta(
            "conversation-names",
            &[("names", &rest.join(", ")), ("last", last)],
        ),
    }
}

/// A message's words as written: plain text, its line breaks kept.
fn words(body: &str) -> Markup {
    html! {
        @for (index, line) in body.lines().enumerate() {
            @if index > 0 { br; }
            (line)
        }
    }
}

/// The member's conversations in the circle.
pub fn list_page(v: &Visitor, nav: &CircleNav, lines: &[ConversationLine]) -> Markup {
    let tr = &v.tr;
    let title = tr.t("conversations-title");
    let slug = &nav.slug;
    layout(
        v,
        Some(nav),
        &title,
        html! {
            div.page-head {
                h1 { (title) }
                a.button href={(base(slug)) "/new"} { (tr.t("conversation-start")) }
            }
            p.lead { (tr.t("conversations-lead")) }
            @if lines.is_empty() {
                p.empty { (tr.t("conversations-none")) }
            } @else {
                ul.conversation-list {
                    @for line in lines {
                        (list_line(v, slug, line))
                    }
                }
            }
        },
    )
}

fn list_line(v: &Visitor, slug: &str, line: &ConversationLine) -> Markup {
    let tr = &v.tr;
    let first = line.others.first();
    html! {
        li.conversation-line.unread[line.unread] {
            @if let Some(person) = first {
                (avatar(&person.username, &person.display_name, 40))
            }
            div {
                a href={(base(slug)) "/" (line.row.id)} {
                    strong { (names_line(v, &line.others)) }
                    @if line.unread { " " span.badge { (tr.t("conversation-unread")) } }
                }
                @if let Some(last) = &line.last {
                    @let snippet: String = last.body.chars().take(120).collect();
                    p.snippet { (last.author_name) ": " (snippet) }
                }
                p.hint {
                    (crate::views::ago::time_ago(line.row.active_at_ms))
                    @if line.muted { " · " (tr.t("conversation-muted")) }
                    @if line.left { " · " (tr.t("conversation-you-left")) }
                }
            }
        }
    }
}

/// What the start form was filled with.
#[derive(Debug, Default)]
pub struct StartForm<'a> {
    pub to: &'a str,
    pub body: &'a str,
}

pub fn new_page(v: &Visitor, nav: &CircleNav, form: &StartForm, errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    let title = tr.t("conversation-start");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            section.card.narrow {
                h1 { (title) }
                p.lead { (tr.t("conversation-start-lead")) }
                (error_summary(v, errors))
                form.stack method="post" action=(base(&nav.slug)) novalidate {
                    (csrf_field(v))
                    (Field::new("to", tr.t("conversation-to"), "text", form.to).hint(tr.t("conversation-to-hint")).render(errors))
                    (Field::new("body", tr.t("conversation-message"), "textarea", form.body).hint(tr.t("conversation-private-hint")).render(errors))
                    div.actions {
                        button.button type="submit" { (tr.t("conversation-send")) }
                        a.button.secondary href=(base(&nav.slug)) { (tr.t("conversation-cancel")) }
                    }
                }
            }
        },
    )
}

/// One conversation: who is in it, its messages, the reply form, and muting, leaving and
/// reporting.
pub fn conversation_page(
    v: &Visitor,
    nav: &CircleNav,
    view: &ConversationView,
    typed: &str,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let names = names_line(v, &view.others);
    let title = tr.ta("conversation-with", &[("names", &names)]);
    let here = format!("{}/{}", base(&nav.slug), view.row.id);
    layout(
        v,
        Some(nav),
        &title,
        html! {
            p.breadcrumb { a href=(base(&nav.slug)) { (tr.t("conversations-title")) } " › " }
            h1 { (title) }
            p.hint { (tr.t("conversation-private-line")) }
            @if view.others.iter().any(|p| !p.present()) {
                p.hint {
                    @for person in view.others.iter().filter(|p| !p.present()) {
                        (tr.ta("conversation-person-left", &[("name", &person.display_name)])) " "
                    }
                }
            }
            (error_summary(v, errors))
            @if let Some(before) = view.older_before {
                p { a href={(here) "?before=" (before)} { (tr.t("conversation-older")) } }
            }
            ol.messages aria-label=(tr.t("conversation-messages")) {
                @for shown in &view.messages {
                    (message_item(v, shown))
                }
            }
            @match view.closed {
                Some(reason) => { p.notice #latest { (tr.t(reason)) } }
                None => {
                    form.card.stack #latest method="post" action=(here) {
                        (csrf_field(v))
                        (Field::new("body", tr.t("conversation-reply"), "textarea", typed).render(errors))
                        button.button type="submit" { (tr.t("conversation-send")) }
                    }
                }
            }
            (conversation_controls(v, view, &here))
        },
    )
}

fn message_item(v: &Visitor, shown: &ShownMessage) -> Markup {
    let m = &shown.message;
    html! {
        li.message.mine[shown.mine].new[shown.new] id={"message-" (m.id)} {
            p.message-meta {
                strong { (if shown.mine { v.tr.t("conversation-you") } else { m.author_name.clone() }) }
                " · " (crate::views::ago::time_ago(m.created_at_ms))
                @if shown.new { " · " span.badge { (v.tr.t("conversation-new")) } }
            }
            p.message-body { (words(&m.body)) }
        }
    }
}

fn conversation_controls(v: &Visitor, view: &ConversationView, here: &str) -> Markup {
    let tr = &v.tr;
    let muted = view.me.muted;
    html! {
        section.card.conversation-controls aria-labelledby="conversation-controls-title" {
            h2 #conversation-controls-title { (tr.t("conversation-controls")) }
            @if view.may_leave {
                form.inline method="post" action={(here) "/mute"} {
                    (csrf_field(v))
                    input type="hidden" name="muted" value=(if muted { "off" } else { "on" });
                    button.button.secondary.small type="submit" {
                        (tr.t(if muted { "conversation-unmute" } else { "conversation-mute" }))
                    }
                }
                form.inline method="post" action={(here) "/leave"} {
                    (csrf_field(v))
                    button.button.secondary.small type="submit" { (tr.t("conversation-leave")) }
                }
            }
            @if view.may_report {
                a.button.secondary.small href={(here) "/report"} { (tr.t("conversation-report")) }
            }
            p.hint { (tr.t("conversation-controls-hint")) }
        }
    }
}

/// The report form: the reporter ticks the messages the moderators will read (nothing else of
/// the conversation reaches them), the agreements broken, and a note.
pub fn report_page(
    v: &Visitor,
    nav: &CircleNav,
    id: i64,
    messages: &[ShownMessage],
    agreements: &[Agreement],
    chosen: &[i64],
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("conversation-report-title");
    let here = format!("{}/{id}", base(&nav.slug));
    layout(
        v,
        Some(nav),
        &title,
        html! {
            section.card.narrow {
                h1 { (title) }
                p.lead { (tr.t("conversation-report-lead")) }
                (error_summary(v, errors))
                form method="post" action={(here) "/report"} {
                    (csrf_field(v))
                    fieldset #messages {
                        legend { (tr.t("conversation-report-choose")) }
                        @if let Some(error) = errors.for_field("messages") {
                            p.field-error #messages-error { (error) }
                        }
                        @for shown in messages {
                            @let field = format!("message_{}", shown.message.id);
                            div.field.checkbox.reported-message {
                                input type="checkbox" id=(field) name=(field) checked[chosen.contains(&shown.message.id)];
                                label for=(field) {
                                    strong { (if shown.mine { tr.t("conversation-you") } else { shown.message.author_name.clone() }) }
                                    " · " (crate::views::ago::ago(shown.message.created_at_ms))
                                    br;
                                    (words(&shown.message.body))
                                }
                            }
                        }
                    }
                    (crate::moderation::views::agreement_boxes(v, &tr.t("moderation-report-agreements"), agreements, &[], errors))
                    (Field::new("note", tr.t("moderation-report-note"), "textarea", "")
                        .hint(tr.t("moderation-report-note-hint")).optional().render(errors))
                    p.hint { (tr.t("moderation-report-private")) }
                    div.actions {
                        button.button type="submit" { (tr.t("moderation-report-send")) }
                        a.button.secondary href=(here) { (tr.t("moderation-cancel")) }
                    }
                }
                p.hint { (tr.t("moderation-report-or-block")) }
            }
        },
    )
}
