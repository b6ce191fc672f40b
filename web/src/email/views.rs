//! What the e-mail feature shows and sends: the settings page (address, verification, how
//! each kind arrives), the verify and unsubscribe pages, and the mails themselves, each with a
//! plain-text part and a simple HTML part that reads well in any mail program.

use maud::{html, Markup, DOCTYPE};

use crate::db::email::EmailRow;
use crate::email::compose::Letter;
use crate::email::digest::Digest;
use crate::email::rules::{Delivery, Unsubscribe};
use crate::email::service::{EmailSettings, MailSettings};
use crate::http::session::Visitor;
use crate::i18n::Tr;
use crate::notifications::{NotificationCard, NotificationKind};
use crate::views::{csrf_field, error_summary, narrow_page, when, Field, FormErrors};

/// The kinds of notification as the settings group them (every kind is in one group).
pub const DELIVERY_GROUPS: [(&str, &[NotificationKind]); 4] = [
    (
        "market",
        &[
            NotificationKind::DealMessage,
            NotificationKind::DealUpdate,
            NotificationKind::DealAcross,
            NotificationKind::Match,
            NotificationKind::Thanks,
            NotificationKind::EventPlace,
            NotificationKind::Expiring,
        ],
    ),
    (
        "community",
        &[
            NotificationKind::Conversation,
            NotificationKind::Mention,
            NotificationKind::News,
            NotificationKind::Reply,
        ],
    ),
    (
        "decisions",
        &[
            NotificationKind::VoteOpen,
            NotificationKind::VoteReminder,
            NotificationKind::Decided,
            NotificationKind::ProposalChanged,
            NotificationKind::ProposalPaused,
        ],
    ),
    (
        "safety",
        &[
            NotificationKind::Moderated,
            NotificationKind::ReportOutcome,
            NotificationKind::ModerationQueue,
            NotificationKind::JoinRequest,
            NotificationKind::Repair,
            NotificationKind::AccountRecovered,
        ],
    ),
];

/// The e-mail settings page.
pub fn settings_page(
    v: &Visitor,
    settings: &EmailSettings,
    mail_on: bool,
    typed: &str,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    crate::account::settings_views::room_page(
        v,
        crate::account::settings_views::SettingsRoom::Notifications,
        html! {
            p.lead { (tr.t("email-lead")) }
            @if !mail_on {
                // No dead end: where to be told instead, and the way back.
                p.notice role="status" { (tr.t("email-off")) }
                p { (tr.t("email-off-instead")) " " a href="/notifications" { (tr.t("email-off-notifications")) } }
            } @else {
                (error_summary(v, errors))
                (address_section(v, settings.address.as_ref(), typed, errors))
                (deliveries_section(v, settings))
            }
        },
    )
}

fn address_section(
    v: &Visitor,
    address: Option<&EmailRow>,
    typed: &str,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="email-address-title" {
            h2 #email-address-title { (tr.t("email-address-title")) }
            @match address {
                Some(row) if row.verified_at_ms.is_some() => {
                    p { (tr.ta("email-verified", &[("address", &row.address)])) }
                }
                Some(row) => {
                    p.notice role="status" { (tr.ta("email-pending", &[("address", &row.address)])) }
                }
                None => p { (tr.t("email-none")) }
            }
            p.hint { (tr.t("email-private")) }
            form method="post" action="/settings/email" {
                (csrf_field(v))
                (Field::new("email", tr.t("field-email"), "email", typed).autocomplete("email").render(errors))
                button.button type="submit" {
                    (tr.t(if address.is_some() { "email-change" } else { "email-add" }))
                }
            }
            @if address.is_some() {
                form method="post" action="/settings/email/remove" {
                    (csrf_field(v))
                    button.button.secondary type="submit" { (tr.t("email-remove")) }
                }
            }
        }
    }
}

fn deliveries_section(v: &Visitor, settings: &EmailSettings) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="email-deliveries-title" {
            h2 #email-deliveries-title { (tr.t("email-deliveries-title")) }
            p.hint { (tr.t("email-deliveries-hint")) }
            form.deliveries method="post" action="/settings/email/deliveries" {
                (csrf_field(v))
                @for (group, kinds) in DELIVERY_GROUPS {
                    fieldset {
                        legend { (tr.t(&format!("email-group-{group}"))) }
                        @for (kind, delivery) in settings.deliveries.iter().filter(|(k, _)| kinds.contains(k)) {
                            @if Delivery::may_choose(*kind) {
                                div.field {
                                    label for={"delivery-" (kind.as_str())} {
                                        (tr.t(&format!("email-kind-{}", kind.as_str())))
                                    }
                                    select id={"delivery-" (kind.as_str())} name=(kind.as_str()) {
                                        @for choice in Delivery::ALL {
                                            option value=(choice.as_str()) selected[choice == *delivery] {
                                                (tr.t(&format!("email-delivery-{}", choice.as_str())))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                button.button.secondary type="submit" { (tr.t("email-deliveries-save")) }
            }
        }
    }
}

/// The page a verification link opens: one button, so a mail scanner following the link
/// verifies nothing.
pub fn verify_page(v: &Visitor, token: &str) -> Markup {
    let tr = &v.tr;
    narrow_page(
        v,
        &tr.t("email-verify-title"),
        html! {
            p { (tr.t("email-verify-text")) }
            form method="post" action={"/email/verify/" (token)} {
                (csrf_field(v))
                button.button type="submit" { (tr.t("email-verify-button")) }
            }
        },
    )
}

/// The page an unsubscribe link opens (mail programs post to the same address directly).
pub fn unsubscribe_page(v: &Visitor, path: &str, scope: Unsubscribe) -> Markup {
    let tr = &v.tr;
    narrow_page(
        v,
        &tr.t("email-unsubscribe-title"),
        html! {
            p { (scope_sentence(tr, scope)) }
            form method="post" action=(path) {
                (csrf_field(v))
                button.button type="submit" { (tr.t("email-unsubscribe-button")) }
            }
            p { a href="/settings/email" { (tr.t("email-unsubscribe-settings")) } }
        },
    )
}

fn scope_sentence(tr: &Tr, scope: Unsubscribe) -> String {
    match scope {
        Unsubscribe::Kind(kind) => tr.ta(
            "email-unsubscribe-kind",
            &[("kind", &tr.t(&format!("email-kind-{}", kind.as_str())))],
        ),
        Unsubscribe::Digest(period) => {
            tr.t(&format!("email-unsubscribe-digest-{}", period.as_str()))
        }
    }
}

/// A mail's HTML: one column, the node's warm colours, the footer saying why it came.
fn frame(tr: &Tr, title: &str, content: Markup, footer: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(tr.lang()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
            }
            body style="margin:0;padding:0;background:#f6f1e8;color:#2b2622;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;line-height:1.5" {
                div style="max-width:36rem;margin:0 auto;padding:1.5rem 1rem" {
                    div style="background:#fffdf9;border-radius:12px;padding:1.25rem 1.5rem;border:1px solid #e6dccb" {
                        (content)
                    }
                    div style="font-size:0.875rem;color:#5c534a;padding:1rem 0.5rem" { (footer) }
                }
            }
        }
    }
    .into_string()
}

fn link(href: &str, text: &str) -> Markup {
    html! { a href=(href) style="color:#7a3e12" { (text) } }
}

fn button(href: &str, text: &str) -> Markup {
    html! {
        p { a href=(href) style="display:inline-block;background:#7a3e12;color:#ffffff;padding:0.6rem 1.1rem;border-radius:8px;text-decoration:none;font-weight:600" { (text) } }
    }
}

/// The mail that verifies an address.
pub fn verify_letter(tr: &Tr, to: &str, name: &str, url: &str) -> Letter {
    let subject = tr.t("email-verify-subject");
    let hello = tr.ta("email-hello", &[("name", name)]);
    let text = format!(
        "{hello}\n\n{}\n\n{url}\n\n{}\n",
        tr.t("email-verify-body"),
        tr.t("email-verify-ignore")
    );
    let html = frame(
        tr,
        &subject,
        html! {
            p { (hello) }
            p { (tr.t("email-verify-body")) }
            (button(url, &tr.t("email-verify-button")))
            p style="font-size:0.875rem;word-break:break-all" { (url) }
        },
        html! { p { (tr.t("email-verify-ignore")) } },
    );
    Letter {
        to: to.to_owned(),
        subject,
        text,
        html,
        unsubscribe_url: None,
        list_id: None,
    }
}

/// The mail of one notification wanted at once.
pub fn notification_letter(
    tr: &Tr,
    mail: &MailSettings,
    to: &str,
    card: &NotificationCard,
    unsubscribe: Option<String>,
) -> Letter {
    let sentence = card.sentence(tr);
    let subject = format!("[{}] {sentence}", card.circle_name);
    let url = mail.url(&card.href());
    let settings = mail.url("/settings/email");
    let why = tr.ta("email-why-kind", &[("circle", &card.circle_name)]);
    let mut text = format!(
        "{sentence}\n{}\n\n{url}\n\n-- \n{why}\n{}: {settings}\n",
        when(card.notification.created_at_ms),
        tr.t("email-settings-link")
    );
    if let Some(unsubscribe) = &unsubscribe {
        text.push_str(&format!(
            "{}: {unsubscribe}\n",
            tr.t("email-unsubscribe-link")
        ));
    }
    let html = frame(
        tr,
        &subject,
        html! {
            p style="font-size:0.875rem;color:#5c534a" { (card.circle_name) " · " (when(card.notification.created_at_ms)) }
            p style="font-size:1.125rem" { (sentence) }
            (button(&url, &tr.t("email-open")))
        },
        footer(tr, &why, &settings, unsubscribe.as_deref()),
    );
    Letter {
        to: to.to_owned(),
        subject,
        text,
        html,
        unsubscribe_url: unsubscribe,
        list_id: Some(format!("{}.{}", card.circle_slug, mail.host)),
    }
}

fn footer(tr: &Tr, why: &str, settings: &str, unsubscribe: Option<&str>) -> Markup {
    html! {
        p { (why) }
        p {
            (link(settings, &tr.t("email-settings-link")))
            @if let Some(unsubscribe) = unsubscribe {
                " · " (link(unsubscribe, &tr.t("email-unsubscribe-link")))
            }
        }
    }
}

/// A circle's digest.
pub fn digest_letter(
    tr: &Tr,
    mail: &MailSettings,
    to: &str,
    digest: &Digest,
    unsubscribe: &str,
) -> Letter {
    let circle = &digest.circle;
    let base = mail.url(&format!("/c/{}", circle.slug));
    let subject = tr.ta(
        &format!("email-digest-subject-{}", digest.period.as_str()),
        &[("circle", &circle.name)],
    );
    let since = tr.ta("email-digest-since", &[("when", &when(digest.since_ms))]);
    let settings = mail.url("/settings/email");
    let why = tr.ta(
        &format!("email-why-digest-{}", digest.period.as_str()),
        &[("circle", &circle.name)],
    );
    let mut text = format!("{subject}\n{since}\n");
    let mut sections = Vec::new();
    if !digest.news.is_empty() {
        text.push_str(&format!("\n== {} ==\n", tr.t("news-title")));
        for post in &digest.news {
            let url = format!("{base}/news/{}", post.id);
            text.push_str(&format!(
                "* {} ({}, {})\n  {url}\n",
                post.title,
                post.author_name,
                when(post.created_at_ms)
            ));
        }
        sections.push(html! {
            h2 style="font-size:1.125rem;margin:1.25rem 0 0.5rem" { (tr.t("news-title")) }
            ul style="padding-left:1.25rem" {
                @for post in &digest.news {
                    li { (link(&format!("{base}/news/{}", post.id), &post.title)) " — " (post.author_name) ", " (when(post.created_at_ms)) }
                }
            }
        });
    }
    if !digest.notes.is_empty() {
        text.push_str(&format!("\n== {} ==\n", tr.t("email-digest-for-you")));
        for card in &digest.notes {
            text.push_str(&format!(
                "* {}\n  {}\n",
                card.sentence(tr),
                mail.url(&card.href())
            ));
        }
        sections.push(html! {
            h2 style="font-size:1.125rem;margin:1.25rem 0 0.5rem" { (tr.t("email-digest-for-you")) }
            ul style="padding-left:1.25rem" {
                @for card in &digest.notes {
                    li { (link(&mail.url(&card.href()), &card.sentence(tr))) }
                }
            }
        });
    }
    if !digest.voting.is_empty() {
        text.push_str(&format!("\n== {} ==\n", tr.t("home-decisions-voting")));
        for (proposal, closes_ms) in &digest.voting {
            let closes = tr.ta("proposals-closes", &[("when", &when(*closes_ms))]);
            text.push_str(&format!(
                "* #{} {} ({closes})\n  {base}/proposals/{}\n",
                proposal.number,
                crate::governance::titles::shown(tr, &proposal.draft.title),
                proposal.number
            ));
        }
        sections.push(html! {
            h2 style="font-size:1.125rem;margin:1.25rem 0 0.5rem" { (tr.t("home-decisions-voting")) }
            ul style="padding-left:1.25rem" {
                @for (proposal, closes_ms) in &digest.voting {
                    li {
                        (link(&format!("{base}/proposals/{}", proposal.number), &format!("#{} {}", proposal.number, crate::governance::titles::shown(tr, &proposal.draft.title))))
                        " — " (tr.ta("proposals-closes", &[("when", &when(*closes_ms))]))
                    }
                }
            }
        });
    }
    if !digest.events.is_empty() {
        text.push_str(&format!("\n== {} ==\n", tr.t("home-events")));
        for card in &digest.events {
            let at = event_when(card);
            text.push_str(&format!(
                "* {} ({at})\n  {base}/market/{}\n",
                card.listing.title, card.listing.id
            ));
        }
        sections.push(html! {
            h2 style="font-size:1.125rem;margin:1.25rem 0 0.5rem" { (tr.t("home-events")) }
            ul style="padding-left:1.25rem" {
                @for card in &digest.events {
                    li { (link(&format!("{base}/market/{}", card.listing.id), &card.listing.title)) " — " (event_when(card)) }
                }
            }
        });
    }
    let heads = tr.ta(
        "email-digest-heads",
        &[
            ("size", &digest.heads.ledger_size.to_string()),
            ("root", &digest.heads.ledger_root.to_hex()),
        ],
    );
    text.push_str(&format!("\n{heads}\n"));
    sections.push(
        html! { p style="color:#5c534a;font-size:0.875rem;overflow-wrap:anywhere" { (heads) } },
    );
    text.push_str(&format!(
        "\n{base}\n\n-- \n{why}\n{}: {settings}\n{}: {unsubscribe}\n",
        tr.t("email-settings-link"),
        tr.t("email-unsubscribe-link")
    ));
    let html = frame(
        tr,
        &subject,
        html! {
            h1 style="font-size:1.375rem;margin:0 0 0.25rem" { (subject) }
            p style="color:#5c534a;margin:0" { (since) }
            @for section in &sections { (section) }
            (button(&base, &tr.ta("email-digest-open", &[("circle", &circle.name)])))
        },
        footer(tr, &why, &settings, Some(unsubscribe)),
    );
    Letter {
        to: to.to_owned(),
        subject,
        text,
        html,
        unsubscribe_url: Some(unsubscribe.to_owned()),
        list_id: Some(format!("{}.{}", circle.slug, mail.host)),
    }
}

fn event_when(card: &crate::market::ListingCard) -> String {
    match &card.listing.event {
        Some(event) => crate::views::ago::wall_event(event.starts.as_ms()),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::DELIVERY_GROUPS;
    use crate::notifications::NotificationKind;

    #[test]
    fn every_kind_of_notification_is_in_exactly_one_group() {
        for kind in NotificationKind::ALL {
            let groups = DELIVERY_GROUPS
                .iter()
                .filter(|(_, kinds)| kinds.contains(&kind))
                .count();
            assert_eq!(groups, 1, "{kind:?}");
        }
    }
}
