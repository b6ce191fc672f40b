//! Views of a circle for its members: home, paying and requesting, the ledger, statements,
//! and invitations.

use maud::{html, Markup};

use crate::http::session::Visitor;
use crate::i18n::Tr;
use crate::views::Unit;
use crate::views::{csrf_field, error_summary, layout, when, CircleNav, Field, FormErrors};

/// One line of someone's activity.
#[derive(Debug, Clone)]
pub struct ActivityRow {
    pub seq: u64,
    pub recorded_at_ms: i64,
    /// True when credit came in.
    pub incoming: bool,
    pub other_name: String,
    pub amount_minor: i64,
    pub memo: Option<String>,
    pub kind: &'static str,
    /// The entry's hash.
    pub hash: commons_ledger::keys::Hash,
}

impl ActivityRow {
    /// How the line changed the balance: nothing while a payment across is on its way.
    pub fn moved_minor(&self) -> i64 {
        match (self.kind, self.incoming) {
            ("on-its-way", _) => 0,
            (_, true) => self.amount_minor,
            (_, false) => -self.amount_minor,
        }
    }
}

/// An open payment request.
#[derive(Debug, Clone)]
pub struct RequestRow {
    /// The request's entry here, or (across a link) its number among requests across.
    pub seq: u64,
    /// Across a link: the other member's circle (the answer goes to `/requests/across/`).
    pub circle: Option<String>,
    pub recorded_at_ms: i64,
    pub other_name: String,
    pub amount_minor: i64,
    pub memo: Option<String>,
}

#[derive(Debug, Clone)]
pub struct HomeView {
    pub unit: Unit,
    pub balance_minor: i64,
    pub floor_minor: i64,
    pub ceiling_minor: i64,
    pub recent: Vec<ActivityRow>,
    /// Requests I am asked to pay.
    pub to_pay: Vec<RequestRow>,
    /// Requests I made that wait for the payer.
    pub awaiting: Vec<RequestRow>,
}

/// My balance on its gauge between floor and ceiling (drawn with attributes, not inline
/// styles: the CSP allows no inline CSS), with the floor and ceiling written under it.
fn gauge(home: &HomeView) -> Markup {
    let unit = &home.unit;
    let span = (home.ceiling_minor - home.floor_minor).max(1) as f64;
    // Positions on the gauge, in percent of its width (display only; amounts stay integers).
    let zero_at = ((-home.floor_minor) as f64 / span * 100.0).clamp(0.0, 100.0);
    let balance_at =
        ((home.balance_minor - home.floor_minor) as f64 / span * 100.0).clamp(0.0, 100.0);
    let (bar_from, bar_to) = if balance_at < zero_at {
        (balance_at, zero_at)
    } else {
        (zero_at, balance_at)
    };
    html! {
        svg.gauge viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false" {
            rect.gauge-track x="0" y="0" width="100" height="10" rx="5" {}
            rect.gauge-bar.negative[home.balance_minor < 0] x=(format!("{bar_from:.2}")) y="0"
                width=(format!("{:.2}", (bar_to - bar_from).max(0.6))) height="10" {}
            rect.gauge-zero x=(format!("{:.2}", (zero_at - 0.4).max(0.0))) y="0" width="0.8" height="10" {}
        }
        div.gauge-labels aria-hidden="true" {
            span { (unit.money(home.floor_minor)) }
            span { (unit.money(home.ceiling_minor)) }
        }
    }
}

/// The home's money card: the balance, what I can spend, paying and asking, and my last few
/// movements, smaller than the circle's news beside it.
pub fn money_card(v: &Visitor, slug: &str, home: &HomeView) -> Markup {
    let tr = &v.tr;
    let unit = &home.unit;
    html! {
        section.card.money-card aria-labelledby="balance-title" {
            h2 #balance-title { (tr.t("home-balance")) }
            p.balance.negative[home.balance_minor < 0] { (unit.money(home.balance_minor)) }
            (gauge(home))
            @if home.balance_minor < 0 { p.hint { (tr.t("home-balance-below-zero")) } }
            p.hint {
                (tr.ta("home-can-spend-sentence", &[
                    ("spend", &unit.money((home.balance_minor - home.floor_minor).max(0))),
                    ("receive", &unit.money((home.ceiling_minor - home.balance_minor).max(0))),
                ]))
                " "
                (tr.ta("home-limits-sentence", &[
                    ("floor", &unit.money(home.floor_minor)),
                    ("ceiling", &unit.money(home.ceiling_minor)),
                ]))
            }
            p.actions {
                a.button.small href={"/c/" (slug) "/pay"} { (tr.t("nav-pay")) }
                a.button.secondary.small href={"/c/" (slug) "/request"} { (tr.t("home-request")) }
            }
            @if !home.recent.is_empty() {
                h3 { (tr.t("home-activity")) }
                ul.recent-list {
                    @for row in &home.recent {
                        li {
                            span {
                                @if row.incoming { (tr.ta("activity-from", &[("name", &row.other_name)])) }
                                @else { (tr.ta("activity-to", &[("name", &row.other_name)])) }
                                @if let Some(memo) = &row.memo { br; span.memo { (memo) } }
                            }
                            span.amount.incoming[row.incoming] {
                                @if row.incoming { "+" } @else { "−" }
                                (unit.money(row.amount_minor))
                            }
                        }
                    }
                }
            }
            p { a href={"/c/" (slug) "/statement"} { (tr.t("home-statement")) } }
        }
    }
}

/// The requests card: requests I am asked to pay, and mine that wait for the payer.
pub fn requests_section(v: &Visitor, slug: &str, home: &HomeView) -> Markup {
    let tr = &v.tr;
    let unit = &home.unit;
    html! {
        section.card aria-labelledby="requests-title" {
            h2 #requests-title { (tr.t("home-requests")) }
            @if home.to_pay.is_empty() && home.awaiting.is_empty() {
                p.empty { (tr.t("home-requests-none")) }
            }
            @if !home.to_pay.is_empty() {
                h3 { (tr.t("home-requests-to-pay")) }
                (to_pay_list(v, slug, unit, &home.to_pay))
            }
            @if !home.awaiting.is_empty() {
                h3 { (tr.t("home-requests-awaiting")) }
                (awaiting_list(v, slug, unit, &home.awaiting))
            }
        }
    }
}

/// The requests I am asked to pay, each with accept and decline buttons.
fn to_pay_list(v: &Visitor, slug: &str, unit: &Unit, rows: &[RequestRow]) -> Markup {
    let tr = &v.tr;
    html! {
        ul.request-list {
            @for row in rows {
                li {
                    p {
                        strong { (row.other_name) }
                        @if let Some(circle) = &row.circle { " " (tr.ta("request-across-of", &[("circle", circle)])) }
                        " " (tr.ta("home-asks-you", &[("amount", &unit.money(row.amount_minor))]))
                    }
                    @if let Some(memo) = &row.memo { p.memo { (memo) } }
                    div.inline-actions {
                        form method="post" action=(answer_path(slug, row, "accept")) {
                            (csrf_field(v))
                            button.button.small type="submit" { (tr.ta("home-accept", &[("amount", &unit.money(row.amount_minor)), ("name", &row.other_name)])) }
                        }
                        form method="post" action=(answer_path(slug, row, "decline")) {
                            (csrf_field(v))
                            button.button.secondary.small type="submit" { (tr.ta("home-decline", &[("name", &row.other_name)])) }
                        }
                    }
                }
            }
        }
    }
}

/// Where a request's answer goes: `accept` or `decline` (which withdraws my own).
fn answer_path(slug: &str, row: &RequestRow, answer: &str) -> String {
    match (&row.circle, answer) {
        (Some(_), "accept") => format!("/c/{slug}/requests/across/{}/pay", row.seq),
        (Some(_), _) => format!("/c/{slug}/requests/across/{}/close", row.seq),
        (None, _) => format!("/c/{slug}/requests/{}/{answer}", row.seq),
    }
}

/// My requests that wait for the payer, each with its withdraw button.
fn awaiting_list(v: &Visitor, slug: &str, unit: &Unit, rows: &[RequestRow]) -> Markup {
    let tr = &v.tr;
    html! {
        ul.request-list {
            @for row in rows {
                li {
                    p {
                        (tr.ta("home-you-asked", &[("amount", &unit.money(row.amount_minor)), ("name", &row.other_name)]))
                        @if let Some(circle) = &row.circle { " " (tr.ta("request-across-of", &[("circle", circle)])) }
                    }
                    @if let Some(memo) = &row.memo { p.memo { (memo) } }
                    form method="post" action=(answer_path(slug, row, "decline")) {
                        (csrf_field(v))
                        button.button.secondary.small type="submit" { (tr.ta("home-withdraw", &[("name", &row.other_name)])) }
                    }
                }
            }
        }
    }
}

fn activity_table(v: &Visitor, unit: &Unit, rows: &[ActivityRow], labelled_by: &str) -> Markup {
    let tr = &v.tr;
    html! {
        @if rows.is_empty() {
            p.empty { (tr.t("activity-none")) }
        } @else {
            div.table-wrap tabindex="0" role="group" aria-labelledby=(labelled_by) {
                table aria-labelledby=(labelled_by) {
                    thead {
                        tr {
                            th scope="col" { (tr.t("col-when")) }
                            th scope="col" { (tr.t("col-who")) }
                            th scope="col" { (tr.t("col-memo")) }
                            th scope="col" class="num" { (tr.t("col-amount")) }
                        }
                    }
                    tbody {
                        @for row in rows {
                            tr {
                                td { (when(row.recorded_at_ms)) }
                                td {
                                    @if row.incoming { (tr.ta("activity-from", &[("name", &row.other_name)])) }
                                    @else { (tr.ta("activity-to", &[("name", &row.other_name)])) }
                                    @if row.kind == "reversal" { " " span.badge { (tr.t("kind-reversal")) } }
                                    @if row.kind == "on-its-way" { " " span.badge { (tr.t("kind-on-its-way")) } }
                                }
                                td { (row.memo.as_deref().unwrap_or("")) }
                                td.num.amount.incoming[row.incoming] {
                                    @if row.incoming { "+" } @else { "−" }
                                    (unit.money(row.amount_minor))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What the pay or request form was filled with.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PayForm {
    /// The other member's username.
    #[serde(default)]
    pub member: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub memo: String,
    #[serde(default)]
    pub unlock_password: String,
    /// The attempt's idempotency key (kept when the form is shown again with an error, so a
    /// retry never pays twice).
    #[serde(default)]
    pub idempotency_key: String,
}

/// The pay form (`requesting` false) or the request form (`requesting` true).
#[allow(clippy::too_many_arguments)]
/// What the pay (or request) page shows besides the form's own values.
#[derive(Debug, Clone)]
pub struct PayPage {
    pub unit: Unit,
    pub can_spend_minor: i64,
    /// Asking a member to pay me, rather than paying them.
    pub requesting: bool,
    /// The members to choose from: (username, display name).
    pub members: Vec<(String, String)>,
    /// More members than the suggestions list: the field says to type a whole name.
    pub more_members: bool,
    /// The member's key must be unlocked with their password to sign.
    pub locked: bool,
    /// The circle has open links: members can pay across them too.
    pub linked: bool,
}

pub fn pay_page(
    v: &Visitor,
    nav: &CircleNav,
    pay: &PayPage,
    form: &PayForm,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let PayPage {
        unit,
        can_spend_minor,
        requesting,
        members,
        more_members,
        locked,
        linked,
    } = pay;
    let (can_spend_minor, requesting, locked) = (*can_spend_minor, *requesting, *locked);
    let title = if requesting {
        tr.t("request-title")
    } else {
        tr.t("pay-title")
    };
    let action = if requesting {
        format!("/c/{}/request", nav.slug)
    } else {
        format!("/c/{}/pay", nav.slug)
    };
    html! {
        (layout(v, Some(nav), &title, html! {
            section.card.narrow {
                h1 { (title) }
                @if requesting {
                    p.lead { (tr.t("request-lead")) }
                } @else {
                    p.lead { (tr.ta("pay-lead", &[("amount", &unit.money(can_spend_minor.max(0)))])) }
                }
                (error_summary(v, errors))
                form method="post" action=(action) novalidate {
                    (csrf_field(v))
                    input type="hidden" name="idempotency_key" value=(form.idempotency_key);
                    div.field.has-error[errors.for_field("member").is_some()] {
                        label for="member" {
                            @if requesting { (tr.t("field-payer")) } @else { (tr.t("field-payee")) }
                        }
                        p.hint id="member-hint" {
                            (tr.t(if *more_members { "hint-member-many" } else { "hint-member" }))
                        }
                        @if let Some(error) = errors.for_field("member") {
                            p.field-error id="member-error" { (error) }
                        }
                        // One field: type a name and the browser suggests the members (no
                        // JavaScript); a username or a whole name is understood.
                        input #member type="text" name="member" list="member-list" value=(form.member)
                            required autocomplete="off" spellcheck="false"
                            aria-describedby=(if errors.for_field("member").is_some() { "member-hint member-error" } else { "member-hint" })
                            aria-invalid=[errors.for_field("member").map(|_| "true")];
                        datalist #member-list {
                            @for (username, name) in members {
                                option value=(username) { (name) }
                            }
                        }
                    }
                    (Field::new("amount", tr.ta("field-amount", &[("unit", &unit.name)]), "text", &form.amount)
                        .hint(tr.ta("hint-amount", &[("example", &crate::views::local::number(&unit.number(10i64.pow(u32::from(unit.decimals)) * 3 / 2)))])).render(errors))
                    (Field::new("memo", tr.t("field-memo"), "text", &form.memo).optional().hint(tr.t("hint-memo")).render(errors))
                    @if locked {
                        (crate::views::unlock_form(v, errors))
                    }
                    button.button type="submit" {
                        @if requesting { (tr.t("request-submit")) } @else { (tr.t("pay-submit")) }
                    }
                }
                @if *linked && !requesting {
                    p { a href=(format!("/c/{}/pay/across", nav.slug)) { (tr.t("pay-across-link")) } }
                }
                @if *linked && requesting {
                    p { a href=(format!("/c/{}/request/across", nav.slug)) { (tr.t("request-across-link")) } }
                }
            }
        }))
    }
}

/// One line of the circle's ledger.
#[derive(Debug, Clone)]
pub struct LedgerRow {
    pub seq: u64,
    pub recorded_at_ms: i64,
    pub kind: &'static str,
    pub summary: String,
    pub amount_minor: Option<i64>,
    pub memo: Option<String>,
    pub hash_hex: String,
    pub signature_ok: bool,
}

#[derive(Debug, Clone)]
pub struct LedgerView {
    pub unit: Unit,
    /// The tree head and every entry on the page verify.
    pub all_verified: bool,
    pub rows: Vec<LedgerRow>,
    pub tree_size: u64,
    pub root_hex: String,
    pub head_signature_ok: bool,
    pub head_time_ms: i64,
    /// The `before` value of the next (older) page, if any.
    pub older: Option<u64>,
    /// The `before` value of the newer page, if this is not the newest.
    pub newer: Option<Option<u64>>,
    pub filter: crate::ledger::history::LedgerFilter,
}

/// The ledger page around its body (see [`ledger_body`]).
pub fn ledger_page(v: &Visitor, nav: &CircleNav, body: Markup) -> Markup {
    layout(v, Some(nav), &v.tr.t("ledger-title"), body)
}

/// The ledger page's content: the same for every member reading it in one language, so the
/// node can remember it until the next entry. It reads who, what, how much and when; that all
/// of it is signed is one line, with the way to check it a link away.
pub fn ledger_body(tr: &Tr, slug: &str, ledger: &LedgerView) -> Markup {
    let title = tr.t("ledger-title");
    let keep = ledger.filter.link_query();
    html! {
        h1 { (title) }
        @if ledger.all_verified {
            p.verified-line {
                span aria-hidden="true" { "✓ " }
                (tr.ta("ledger-all-signed", &[("size", &ledger.tree_size.to_string())])) " "
                a href={"/c/" (slug) "/ledger/verify"} { (tr.t("ledger-how-to-check")) }
            }
        } @else {
            p.notice.unverified {
                span aria-hidden="true" { "✗ " }
                (tr.t("ledger-not-all-signed")) " "
                a href={"/c/" (slug) "/ledger/verify"} { (tr.t("ledger-how-to-check")) }
            }
        }
        (filter_form(tr, slug, &ledger.filter))
        section.card aria-labelledby="entries-title" {
            h2 #entries-title { (tr.t("ledger-entries")) }
            @if ledger.rows.is_empty() {
                p.empty { (tr.t("ledger-none-match")) }
            } @else {
                ol.ledger-list {
                    @for row in &ledger.rows {
                        li.ledger-row {
                            div.ledger-what {
                                span { (row.summary) }
                                @if let Some(memo) = &row.memo { span.memo { (memo) } }
                                @if !row.signature_ok {
                                    span.unverified { span aria-hidden="true" { "✗ " } (tr.ta("ledger-entry-bad", &[("seq", &row.seq.to_string())])) }
                                }
                            }
                            span.ledger-amount { @if let Some(amount) = row.amount_minor { (ledger.unit.money(amount)) } }
                            span.ledger-when { (crate::views::ago::time_date(row.recorded_at_ms)) }
                        }
                    }
                }
            }
            nav.pager aria-label=(tr.t("pager-label")) {
                @if let Some(newer) = ledger.newer {
                    @match newer {
                        Some(before) => a href={"/c/" (slug) "/ledger?before=" (before) (keep)} { (tr.t("pager-newer")) },
                        None => a href={"/c/" (slug) "/ledger?" (keep.trim_start_matches('&'))} { (tr.t("pager-newer")) },
                    }
                }
                @if let Some(before) = ledger.older {
                    a href={"/c/" (slug) "/ledger?before=" (before) (keep)} { (tr.t("pager-older")) }
                }
            }
        }
    }
}

/// Choosing whose entries and which kind the ledger shows (a plain GET form).
fn filter_form(tr: &Tr, slug: &str, filter: &crate::ledger::history::LedgerFilter) -> Markup {
    use crate::ledger::form::LedgerKind;
    html! {
        form.card.filters method="get" action={"/c/" (slug) "/ledger"} {
            div.field {
                label for="member" { (tr.t("ledger-filter-member")) }
                input #member type="text" name="member" value=(filter.member) autocomplete="off" aria-describedby="member-hint";
                p.hint #member-hint { (tr.t("ledger-filter-member-hint")) }
            }
            div.field {
                label for="kind" { (tr.t("ledger-filter-kind")) }
                select #kind name="kind" {
                    @for kind in LedgerKind::ALL {
                        option value=(kind.as_str()) selected[filter.kind == kind] { (tr.t(&format!("ledger-kind-{}", kind.as_str()))) }
                    }
                }
            }
            button.button.secondary type="submit" { (tr.t("ledger-filter-show")) }
            @if filter.is_on() { " " a href={"/c/" (slug) "/ledger"} { (tr.t("ledger-filter-clear")) } }
        }
    }
}

/// The ledger when the filter names nobody in the circle.
pub fn ledger_nobody(tr: &Tr, slug: &str, filter: &crate::ledger::history::LedgerFilter) -> Markup {
    html! {
        h1 { (tr.t("ledger-title")) }
        (filter_form(tr, slug, filter))
        p.notice { (tr.ta("ledger-no-such-member", &[("name", &filter.member)])) }
    }
}

/// How anyone can check the ledger: the signed tree head, its root and the audit command.
pub fn verify_page(
    v: &Visitor,
    nav: &CircleNav,
    head: &commons_ledger::entry::TreeHead,
    head_signature_ok: bool,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("ledger-verify-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            p.breadcrumb { a href={"/c/" (nav.slug) "/ledger"} { (tr.t("ledger-title")) } }
            h1 { (title) }
            p.lead { (tr.t("ledger-verify-lead")) }
            section.card.tree-head aria-labelledby="head-title" {
                h2 #head-title { (tr.t("ledger-head")) }
                p { (tr.ta("ledger-head-text", &[("size", &head.tree_size.to_string()), ("time", &when(head.timestamp_ms))])) }
                p { (tr.t("ledger-root")) " " code.key { (head.root.to_hex()) } }
                @if head_signature_ok {
                    p.verified { span aria-hidden="true" { "✓ " } (tr.t("ledger-head-verified")) }
                } @else {
                    p.unverified { span aria-hidden="true" { "✗ " } (tr.t("ledger-head-unverified")) }
                }
            }
            section.card aria-labelledby="audit-title" {
                h2 #audit-title { (tr.t("ledger-verify-yourself")) }
                p { (tr.t("ledger-audit-hint")) }
                pre { code { "commons audit " (nav.slug) } }
                p { (tr.t("ledger-verify-statement")) " " a href="/settings/data" { (tr.t("ledger-verify-your-data")) } (tr.t("ledger-verify-then-run")) }
                pre { code { "commons audit --statement circles/" (nav.slug) "/ledger/statement.json" } }
            }
        },
    )
}

pub fn statement_page(
    v: &Visitor,
    nav: &CircleNav,
    unit: &Unit,
    rows: &[ActivityRow],
    older: Option<u64>,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("statement-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 #statement-title { (title) }
            p { a.button.secondary href={"/c/" (nav.slug) "/statement.csv"} download { (tr.t("statement-csv")) } }
            section.card {
                (activity_table(v, unit, rows, "statement-title"))
                @if let Some(before) = older {
                    nav.pager aria-label=(tr.t("pager-label")) {
                        a href={"/c/" (nav.slug) "/statement?before=" (before)} { (tr.t("pager-older")) }
                    }
                }
            }
        },
    )
}

/// An invitation as listed.
#[derive(Debug, Clone)]
pub struct InvitationRow {
    pub id: i64,
    pub note: String,
    pub created_by: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    /// used, revoked, expired or open
    pub state: &'static str,
    /// How many people used it, of how many it lets in.
    pub use_count: i64,
    pub max_uses: i64,
}

pub fn invitations_page(
    v: &Visitor,
    nav: &CircleNav,
    may_invite: bool,
    new_link: Option<&str>,
    rows: &[InvitationRow],
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("invite-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            @if let Some(link) = new_link {
                section.card.highlight aria-labelledby="new-link-title" {
                    h2 #new-link-title { (tr.t("invite-link-made")) }
                    p { (tr.t("invite-link-text")) }
                    label for="new-link" { (tr.t("invite-link-label")) }
                    input #new-link.link-box type="text" readonly value=(link);
                }
            }
            @if may_invite {
                section.card.narrow aria-labelledby="invite-form-title" {
                    h2 #invite-form-title { (tr.t("invite-new")) }
                    @if nav.is_steward {
                        p.hint { (tr.t("invite-steward-hint")) }
                    } @else {
                        p.hint { (tr.t("invite-member-hint")) }
                    }
                    (error_summary(v, errors))
                    form method="post" action={"/c/" (nav.slug) "/invitations"} novalidate {
                        (csrf_field(v))
                        (Field::new("note", tr.t("field-invite-note"), "text", "").optional().hint(tr.t("hint-invite-note")).render(errors))
                        @if nav.is_steward {
                            (Field::new("uses", tr.t("field-invite-uses"), "number", "1").hint(tr.t("hint-invite-uses")).render(errors))
                        }
                        div.field.has-error[errors.for_field("days").is_some()] {
                            label for="days" { (tr.t("field-invite-days")) }
                            @if let Some(error) = errors.for_field("days") { p.field-error #days-error { (error) } }
                            select #days name="days" aria-describedby=[errors.for_field("days").map(|_| "days-error")] {
                                @for days in crate::onboarding::rules::INVITATION_DAYS {
                                    option value=(days) { (tr.tn("invite-days-option", days)) }
                                }
                            }
                        }
                        button.button type="submit" { (tr.t("invite-submit")) }
                    }
                }
            } @else {
                p { (tr.t("invite-not-allowed")) }
            }
            section.card aria-labelledby="invite-list-title" {
                h2 #invite-list-title { (tr.t("invite-list")) }
                @if rows.is_empty() {
                    p.empty { (tr.t("invite-none")) }
                } @else {
                    div.table-wrap tabindex="0" role="group" aria-labelledby="invite-list-title" {
                        table aria-labelledby="invite-list-title" {
                            thead { tr {
                                th scope="col" { (tr.t("col-note")) }
                                th scope="col" { (tr.t("col-made-by")) }
                                th scope="col" { (tr.t("col-expires")) }
                                th scope="col" { (tr.t("col-state")) }
                                th scope="col" { (tr.t("col-uses")) }
                                th scope="col" { span.visually-hidden { (tr.t("col-actions")) } }
                            } }
                            tbody {
                                @for row in rows {
                                    tr {
                                        td { (row.note) }
                                        td { (row.created_by) }
                                        td { (when(row.expires_at_ms)) }
                                        td { (tr.t(&format!("invite-state-{}", row.state))) }
                                        td { (tr.ta("invite-uses", &[("used", &row.use_count.to_string()), ("max", &row.max_uses.to_string())])) }
                                        td {
                                            @if row.state == "open" {
                                                form method="post" action={"/c/" (nav.slug) "/invitations/" (row.id) "/revoke"} {
                                                    (csrf_field(v))
                                                    button.button.secondary.small type="submit" { (tr.t("invite-revoke")) }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod catalogue_tests {
    #[test]
    fn every_ledger_filter_has_its_words_in_both_languages() {
        for language in ["en", "es"] {
            let ids = crate::i18n::Catalogues::ids(language);
            for kind in crate::ledger::form::LedgerKind::ALL {
                let id = format!("ledger-kind-{}", kind.as_str());
                assert!(ids.contains(&id), "{language}: {id}");
            }
        }
    }
}
