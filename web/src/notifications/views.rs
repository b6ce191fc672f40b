//! The notifications page.

use crate::notifications::NotificationKind;
use maud::{html, Markup};

use crate::http::session::Visitor;
use crate::notifications::group::CardGroup;
use crate::views::{csrf_field, layout};

pub fn notifications_page(v: &Visitor, groups: &[CardGroup], muted: &[NotificationKind]) -> Markup {
    let tr = &v.tr;
    let title = tr.t("notifications-title");
    layout(
        v,
        None,
        &title,
        html! {
            h1 { (title) }
            @if groups.iter().any(|group| group.unread) {
                form method="post" action="/notifications/read" {
                    (csrf_field(v))
                    button.button.secondary type="submit" { (tr.t("notifications-mark-read")) }
                }
            }
            @if groups.is_empty() {
                p.empty { (tr.t("notifications-none")) }
            } @else {
                ul.notification-list {
                    @for group in groups {
                        @let card = &group.card;
                        li.notification.unread[group.unread] {
                            @if group.unread { span.badge { (tr.t("notifications-new")) } " " }
                            a href=(card.href()) { (card.sentence(tr)) }
                            @if group.count > 1 { " " span.count { (tr.tn("notifications-times", group.count as i64)) } }
                            p.hint {
                                @if !group.names.is_empty() {
                                    (group.names.join(", "))
                                    @if group.more_people > 0 { " " (tr.tn("notifications-more-people", group.more_people as i64)) }
                                    " · "
                                }
                                (card.circle_name) " · " (crate::views::ago::time_ago(card.notification.created_at_ms))
                            }
                        }
                    }
                }
            }
            section.card aria-labelledby="notify-settings-title" {
                h2 #notify-settings-title { (tr.t("notifications-settings")) }
                p { a href="/settings/email" { (tr.t("settings-email-link")) } }
                form method="post" action="/settings/notifications" {
                    (csrf_field(v))
                    fieldset {
                        legend { (tr.t("notifications-settings-legend")) }
                        @for kind in NotificationKind::ALL.into_iter().filter(|k| k.may_mute()) {
                            div.field.checkbox {
                                input type="checkbox" id={"kind-" (kind.as_str())} name="kind" value=(kind.as_str())
                                    checked[!muted.contains(&kind)];
                                label for={"kind-" (kind.as_str())} { (tr.t(&format!("notification-kind-{}", kind.as_str()))) }
                            }
                        }
                    }
                    button.button.secondary type="submit" { (tr.t("notifications-settings-save")) }
                }
            }
        },
    )
}
