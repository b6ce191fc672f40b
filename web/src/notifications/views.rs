//! The notifications page.

use crate::notifications::NotificationKind;
use maud::{html, Markup};

use crate::http::session::Visitor;
use crate::notifications::NotificationCard;
use crate::views::{csrf_field, layout, when};

pub fn notifications_page(
    v: &Visitor,
    cards: &[NotificationCard],
    muted: &[NotificationKind],
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("notifications-title");
    layout(
        v,
        None,
        &title,
        html! {
            h1 { (title) }
            @if cards.iter().any(|c| !c.notification.read) {
                form method="post" action="/notifications/read" {
                    (csrf_field(v))
                    button.button.secondary type="submit" { (tr.t("notifications-mark-read")) }
                }
            }
            @if cards.is_empty() {
                p.empty { (tr.t("notifications-none")) }
            } @else {
                ul.notification-list {
                    @for card in cards {
                        @let n = &card.notification;
                        @let href = match (n.deal, n.other_listing, n.listing) {
                            _ if n.kind == NotificationKind::AccountRecovered => "/settings#recoveries-title".to_owned(),
                            _ if n.kind == NotificationKind::Moderated => format!("/c/{}/moderation/actions/{}", card.circle_slug, n.moderation.unwrap_or(0)),
                            _ if n.kind == NotificationKind::ReportOutcome => format!("/c/{}/moderation#my-reports", card.circle_slug),
                            _ if n.kind == NotificationKind::ModerationQueue => format!("/c/{}/moderation/cases/{}", card.circle_slug, n.moderation.unwrap_or(0)),
                            _ if n.kind == NotificationKind::News => format!("/c/{}/news/{}", card.circle_slug, n.news.unwrap_or(0)),
                            _ if n.kind == NotificationKind::Reply => format!("/c/{}/discussions/{}#latest", card.circle_slug, n.thread.unwrap_or(0)),
                            _ if n.kind == NotificationKind::Repair => format!("/c/{}/repairs/{}", card.circle_slug, n.moderation.unwrap_or(0)),
                            _ if n.proposal.is_some() => format!("/c/{}/proposals/{}", card.circle_slug, n.proposal.unwrap_or(0)),
                            (Some(deal), _, _) => format!("/c/{}/deals/{deal}", card.circle_slug),
                            (None, Some(other), _) => format!("/c/{}/market/{other}", card.circle_slug),
                            (None, None, Some(listing)) => format!("/c/{}/market/{listing}", card.circle_slug),
                            _ => format!("/c/{}", card.circle_slug),
                        };
                        li.notification.unread[!n.read] {
                            @if !n.read { span.badge { (tr.t("notifications-new")) } " " }
                            a href=(href) {
                                (tr.ta(&format!("notification-{}", n.kind.as_str()), &[
                                    ("title", card.listing_title.as_deref().unwrap_or("—")),
                                    ("other", card.other_title.as_deref().unwrap_or("—")),
                                ]))
                            }
                            p.hint { (card.circle_name) " · " (when(n.created_at_ms)) }
                        }
                    }
                }
            }
            section.card aria-labelledby="notify-settings-title" {
                h2 #notify-settings-title { (tr.t("notifications-settings")) }
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
