//! Views for a circle's stewards: admitting people, members' limits, the circle's settings and
//! agreements, and the audit.

use maud::{html, Markup};

use crate::db::CircleSettings;
use crate::http::session::Visitor;
use crate::services::AuditRun;
use crate::views::Unit;
use crate::views::{csrf_field, error_summary, layout, when, CircleNav, Field, FormErrors};

/// Someone waiting to be admitted.
#[derive(Debug, Clone)]
pub struct PendingRow {
    pub user_id: i64,
    pub display_name: String,
    pub username: String,
    pub message: String,
    pub vouched_by: Option<String>,
    pub asked_at_ms: i64,
}

/// A member's account as stewards see it.
#[derive(Debug, Clone)]
pub struct AccountLine {
    pub username: String,
    pub display_name: String,
    pub balance_minor: i64,
    pub floor_minor: i64,
    pub ceiling_minor: i64,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct LimitsForm {
    #[serde(default)]
    pub member: String,
    #[serde(default)]
    pub floor: String,
    #[serde(default)]
    pub ceiling: String,
    #[serde(default)]
    pub unlock_password: String,
}

#[allow(clippy::too_many_arguments)]
pub fn steward_page(
    v: &Visitor,
    nav: &CircleNav,
    unit: &Unit,
    pending: &[PendingRow],
    look_alikes: &[(String, String, String)],
    accounts: &[AccountLine],
    limits: &LimitsForm,
    errors: &FormErrors,
    locked: bool,
    recovery_link: Option<&str>,
    public_on: bool,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("steward-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            p.lead { (tr.t("steward-lead")) }
            (tools(v, &nav.slug, public_on))
            @if let Some(link) = recovery_link {
                (recovery_link_card(v, link))
            }
            @if !look_alikes.is_empty() {
                (look_alikes_card(v, look_alikes))
            }
            (pending_section(v, &nav.slug, pending))
            (limits_section(v, &nav.slug, unit, accounts, limits, errors, locked))
            (recovery_section(v, &nav.slug, accounts))
        },
    )
}

/// An icon drawn for the project (24 px, in the text's colour).
fn icon(paths: &str) -> Markup {
    html! {
        svg.tool-icon viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"
            fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" {
            (maud::PreEscaped(paths))
        }
    }
}

/// The stewards' tools, each with what it is for.
fn tools(v: &Visitor, slug: &str, public_on: bool) -> Markup {
    let tr = &v.tr;
    let tools: [(String, &str, String, String); 7] = [
        (
            format!("/c/{slug}/steward/settings"),
            r#"<path d="M4 6h9M17 6h3M4 12h3M11 12h9M4 18h11M19 18h1"/><circle cx="15" cy="6" r="2"/><circle cx="9" cy="12" r="2"/><circle cx="17" cy="18" r="2"/>"#,
            tr.t("steward-settings"),
            tr.t("steward-tool-settings-hint"),
        ),
        (
            format!("/c/{slug}/steward/public"),
            r#"<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3c3 3.5 3 14.5 0 18M12 3c-3 3.5-3 14.5 0 18"/>"#,
            tr.t("public-editor-title"),
            tr.t(if public_on {
                "steward-tool-public-on"
            } else {
                "steward-tool-public-off"
            }),
        ),
        (
            format!("/c/{slug}/invitations"),
            r#"<rect x="3" y="5" width="18" height="14" rx="2"/><path d="M3 7l9 6 9-6"/>"#,
            tr.t("steward-tool-invitations"),
            tr.t("steward-tool-invitations-hint"),
        ),
        (
            format!("/c/{slug}/moderation"),
            r#"<path d="M12 3l8 3v6c0 4.5-3.5 8-8 9-4.5-1-8-4.5-8-9V6z"/><path d="M9 12l2 2 4-4"/>"#,
            tr.t("moderation-title"),
            tr.t("steward-tool-moderation-hint"),
        ),
        (
            format!("/c/{slug}/steward/audit"),
            r#"<path d="M5 4h10l4 4v12H5z"/><path d="M9 13l2 2 4-4"/>"#,
            tr.t("steward-audit"),
            tr.t("steward-tool-audit-hint"),
        ),
        (
            format!("/c/{slug}/steward/categories"),
            r#"<path d="M3 12V4h8l10 10-8 8z"/><circle cx="7.5" cy="7.5" r="1.5"/>"#,
            tr.t("steward-categories"),
            tr.t("steward-tool-categories-hint"),
        ),
        (
            format!("/c/{slug}/discussions/categories"),
            r#"<path d="M4 5h16v10H9l-5 4z"/>"#,
            tr.t("steward-tool-discussions"),
            tr.t("steward-tool-discussions-hint"),
        ),
    ];
    html! {
        nav aria-label=(tr.t("steward-tools")) {
            ul.tool-grid {
                @for (href, paths, title, hint) in &tools {
                    li {
                        a.tool href=(href) {
                            (icon(paths))
                            span.tool-text { span.tool-title { (title) } span.hint { (hint) } }
                        }
                    }
                }
            }
        }
    }
}

/// The card showing a recovery link just made, to pass on.
fn recovery_link_card(v: &Visitor, link: &str) -> Markup {
    let tr = &v.tr;
    html! {
        section.card.highlight aria-labelledby="recovery-link-title" {
            h2 #recovery-link-title { (tr.t("recovery-link-made")) }
            p { (tr.t("recovery-link-text")) }
            label for="recovery-link" { (tr.t("recovery-link-label")) }
            input #recovery-link.link-box type="text" readonly value=(link);
        }
    }
}

/// The card warning of members whose names look alike.
fn look_alikes_card(v: &Visitor, look_alikes: &[(String, String, String)]) -> Markup {
    let tr = &v.tr;
    html! {
        section.card.highlight aria-labelledby="look-alikes-title" {
            h2 #look-alikes-title { (tr.t("steward-look-alikes")) }
            p { (tr.t("steward-look-alikes-hint")) }
            ul {
                @for (name, username, steward) in look_alikes {
                    li { (tr.ta("steward-look-alike", &[("name", name), ("username", username), ("steward", steward)])) }
                }
            }
        }
    }
}

/// The people waiting to be admitted, each with admit and decline buttons.
fn pending_section(v: &Visitor, slug: &str, pending: &[PendingRow]) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="pending-title" {
            h2 #pending-title { (tr.t("steward-pending")) }
            @if pending.is_empty() {
                p.empty { (tr.t("steward-pending-none")) }
            } @else {
                p.hint { (tr.t("steward-pending-oldest-first")) }
                ul.request-list {
                    @for row in pending {
                        li {
                            div.field.checkbox {
                                input type="checkbox" id={"select-" (row.user_id)} name="user" value=(row.user_id) form="decline-many";
                                label for={"select-" (row.user_id)} { (tr.ta("steward-select", &[("name", &row.display_name)])) }
                            }
                            p { strong { (row.display_name) } " (@" (row.username) ") · " (when(row.asked_at_ms)) }
                            @if let Some(name) = &row.vouched_by {
                                p { (tr.ta("steward-vouched", &[("name", name)])) }
                            }
                            @if !row.message.is_empty() { p.memo { (row.message) } }
                            div.inline-actions {
                                form method="post" action={"/c/" (slug) "/steward/pending/" (row.user_id) "/admit"} {
                                    (csrf_field(v))
                                    button.button.small type="submit" { (tr.ta("steward-admit", &[("name", &row.display_name)])) }
                                }
                                form method="post" action={"/c/" (slug) "/steward/pending/" (row.user_id) "/decline"} {
                                    (csrf_field(v))
                                    button.button.secondary.small type="submit" { (tr.ta("steward-decline", &[("name", &row.display_name)])) }
                                }
                            }
                        }
                    }
                }
                form #decline-many method="post" action={"/c/" (slug) "/steward/pending/decline"} {
                    (csrf_field(v))
                    button.button.secondary type="submit" { (tr.t("steward-decline-selected")) }
                }
            }
        }
    }
}

/// The members' limits card: the form to set a member's floor and ceiling, and the table of all.
fn limits_section(
    v: &Visitor,
    slug: &str,
    unit: &Unit,
    accounts: &[AccountLine],
    limits: &LimitsForm,
    errors: &FormErrors,
    locked: bool,
) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="limits-title" {
            h2 #limits-title { (tr.t("steward-limits")) }
            p.hint { (tr.t("steward-limits-hint")) }
            (error_summary(v, errors))
            div.limits-layout {
            form method="post" action={"/c/" (slug) "/steward/limits"} novalidate {
                (csrf_field(v))
                div.field.has-error[errors.for_field("member").is_some()] {
                    label for="member" { (tr.t("field-member")) }
                    @if let Some(error) = errors.for_field("member") {
                        p.field-error id="member-error" { (error) }
                    }
                    select #member name="member" required aria-describedby=[errors.for_field("member").map(|_| "member-error")] {
                        option value="" { (tr.t("choose-member")) }
                        @for account in accounts {
                            option value=(account.username) selected[limits.member == account.username] { (account.display_name) " (" (account.username) ")" }
                        }
                    }
                }
                (Field::new("floor", tr.t("field-floor"), "text", &limits.floor).hint(tr.t("hint-floor")).render(errors))
                (Field::new("ceiling", tr.t("field-ceiling"), "text", &limits.ceiling).hint(tr.t("hint-ceiling")).render(errors))
                @if locked { (crate::views::unlock_form(v, errors)) }
                button.button type="submit" { (tr.t("steward-limits-submit")) }
            }
            div.table-wrap tabindex="0" role="group" aria-labelledby="limits-title" {
                table aria-labelledby="limits-title" {
                    thead { tr {
                        th scope="col" { (tr.t("col-member")) }
                        th scope="col" class="num" { (tr.t("home-balance")) }
                        th scope="col" class="num" { (tr.t("home-floor")) }
                        th scope="col" class="num" { (tr.t("home-ceiling")) }
                    } }
                    tbody {
                        @for account in accounts {
                            tr {
                                td { span.person-cell { (crate::views::art::avatar(&account.username, &account.display_name, 28)) (account.display_name) } }
                                td.num { (unit.money(account.balance_minor)) }
                                td.num { (unit.money(account.floor_minor)) }
                                td.num { (unit.money(account.ceiling_minor)) }
                            }
                        }
                    }
                }
            }
            }
        }
    }
}

/// The card to make a recovery link for a member who lost their password.
fn recovery_section(v: &Visitor, slug: &str, accounts: &[AccountLine]) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="recovery-title" {
            h2 #recovery-title { (tr.t("recovery-title")) }
            p.hint { (tr.t("recovery-hint")) }
            form method="post" action={"/c/" (slug) "/steward/recovery"} novalidate {
                (csrf_field(v))
                div.field {
                    label for="recovery-member" { (tr.t("field-member")) }
                    select #recovery-member name="member" required {
                        option value="" { (tr.t("choose-member")) }
                        @for account in accounts {
                            option value=(account.username) { (account.display_name) " (" (account.username) ")" }
                        }
                    }
                }
                button.button.secondary type="submit" { (tr.t("recovery-submit")) }
            }
        }
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub agreements: String,
    #[serde(default)]
    pub members_may_invite: Option<String>,
    #[serde(default)]
    pub open_to_requests: Option<String>,
    #[serde(default)]
    pub time_zone: String,
}

pub fn circle_settings_page(
    v: &Visitor,
    nav: &CircleNav,
    settings: &CircleSettings,
    time_zone: &str,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("steward-settings");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            section.card {
                h1 { (title) }
                (error_summary(v, errors))
                form method="post" action={"/c/" (nav.slug) "/steward/settings"} novalidate {
                    (csrf_field(v))
                    (Field::new("description", tr.t("field-description"), "textarea", &settings.description).optional().hint(tr.t("hint-description")).render(errors))
                    (Field::new("agreements", tr.t("field-agreements"), "textarea", &settings.agreements).hint(tr.t("hint-agreements")).render(errors))
                    (crate::views::zone_field(tr, time_zone, errors))
                    div.field.checkbox {
                        input #members_may_invite type="checkbox" name="members_may_invite" value="yes" checked[settings.members_may_invite];
                        label for="members_may_invite" { (tr.t("field-members-may-invite")) }
                    }
                    div.field.checkbox {
                        input #open_to_requests type="checkbox" name="open_to_requests" value="yes" checked[settings.open_to_requests];
                        label for="open_to_requests" { (tr.t("field-open-to-requests")) }
                    }
                    p.hint { (tr.ta("settings-ask-link", &[("path", &format!("/ask/{}", nav.slug))])) }
                    button.button type="submit" { (tr.t("settings-save")) }
                }
            }
        },
    )
}

/// The stewards' audit page: the last audit (if any) and the button that runs one.
pub fn audit_page(v: &Visitor, nav: &CircleNav, last: Option<&AuditRun>) -> Markup {
    let tr = &v.tr;
    let title = tr.t("steward-audit");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            section.card {
                h1 { (title) }
                @match last {
                    None => p { (tr.t("audit-none")) },
                    Some(AuditRun::Running { .. }) => p { (tr.t("audit-running")) },
                    Some(AuditRun::Done(audit)) => {
                        p { (tr.ta("audit-when", &[("when", &crate::views::when(audit.at_ms)), ("name", &audit.by)])) }
                        p { (tr.ta("audit-checked", &[("count", &audit.entries.to_string()), ("ms", &audit.elapsed_ms.to_string())])) }
                        @if audit.faults.is_empty() {
                            p.verified { span aria-hidden="true" { "✓ " } (tr.t("audit-clean")) }
                        } @else {
                            p.unverified { span aria-hidden="true" { "✗ " } (tr.tn("audit-faults", audit.faults.len() as i64)) }
                            ul {
                                @for (entry, what) in &audit.faults {
                                    li {
                                        @if let Some(seq) = entry { (tr.ta("audit-entry", &[("seq", &seq.to_string())])) ": " }
                                        (what)
                                    }
                                }
                            }
                        }
                    },
                }
                form method="post" action={"/c/" (nav.slug) "/steward/audit"} {
                    (csrf_field(v))
                    button.button type="submit" { (tr.t("audit-run")) }
                }
                p.hint { (tr.t("audit-hint")) }
            }
        },
    )
}
