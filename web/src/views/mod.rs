//! Views: maud functions that turn what a page shows into HTML. They read no database and
//! decide nothing; every text comes from the translation catalogue.

use maud::{html, Markup, PreEscaped, DOCTYPE};

pub mod ago;
pub mod art;
pub mod local;

use crate::http::session::Visitor;

/// The stylesheet's URL; its name carries a hash of its content, so it can be cached forever.
pub fn stylesheet_path() -> &'static str {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let hash = commons_ledger::keys::Hash::sha256(&[crate::assets::STYLESHEET.as_bytes()]);
        format!("/static/app.{}.css", &hash.to_hex()[..12])
    })
}

/// The circle a page belongs to, for the navigation.
#[derive(Debug, Clone)]
pub struct CircleNav {
    pub slug: String,
    pub name: String,
    pub is_steward: bool,
    /// Which item is the current page: home, pay, ledger, members, invite, steward.
    pub current: &'static str,
}

/// A field's error, shown next to the field and in the summary at the top of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// The errors of a submitted form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    pub fn one(field: &'static str, message: String) -> FormErrors {
        FormErrors(vec![FieldError { field, message }])
    }
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The whole page: skip link, header with navigation, main landmark, footer with languages.
pub fn layout(v: &Visitor, nav: Option<&CircleNav>, title: &str, content: Markup) -> Markup {
    let tr = &v.tr;
    let site = tr.t("site-name");
    html! {
        (DOCTYPE)
        html lang=(tr.lang()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · " (nav.map_or(site.as_str(), |n| n.name.as_str())) }
                link rel="stylesheet" href=(stylesheet_path());
                link rel="icon" href="/static/icon.svg" type="image/svg+xml";
            }
            body {
                a.skip-link href="#main" { (tr.t("skip-to-content")) }
                header.site-header {
                    div.header-inner {
                        a.brand href="/" {
                            (PreEscaped(crate::assets::LOGO_SVG))
                            span { (site) }
                        }
                        (account_nav(v, title))
                    }
                    @if let Some(nav) = nav { (circle_nav(v, nav)) }
                }
                main #main tabindex="-1" {
                    @if let Some(flash) = &v.flash {
                        div.flash role="status" { (flash.text(tr)) }
                    }
                    (content)
                }
                footer.site-footer {
                    form method="post" action="/language" class="language-form" {
                        input type="hidden" name="csrf" value=(v.csrf);
                        label for="language-select" { (tr.t("footer-language")) }
                        select #language-select name="language" {
                            @for (code, name) in crate::i18n::LANGUAGES {
                                option value=(code) lang=(code) selected[*code == tr.lang()] { (name) }
                            }
                        }
                        button.button.secondary.small type="submit" { (tr.t("footer-language-apply")) }
                    }
                    p {
                        a href="/privacy" { (tr.t("footer-privacy")) }
                        @if let Some(nav) = nav {
                            " · " a href={"/c/" (nav.slug) "/moderation"} { (tr.t("footer-moderation")) }
                        }
                    }
                    p { (tr.t("footer-promise")) }
                }
            }
        }
    }
}

/// The person's links: inline on wide screens; on narrow ones the notifications link and a
/// menu (a `details` element: it opens without JavaScript) holding the rest.
fn account_nav(v: &Visitor, title: &str) -> Markup {
    let tr = &v.tr;
    let Some(user) = &v.user else {
        return html! {
            nav.user-nav aria-label=(tr.t("nav-account")) {
                a href="/login" { (tr.t("nav-login")) }
            }
        };
    };
    let notifications = html! {
        a.notifications-link href="/notifications" aria-current=[(title == tr.t("notifications-title")).then_some("page")] {
            (tr.t("nav-notifications"))
            @if v.unread > 0 {
                " " span.count-badge aria-hidden="true" { (v.unread) }
                span.visually-hidden { " " (tr.ta("nav-notifications-unread", &[("count", &v.unread.to_string())])) }
            }
        }
    };
    let logout = html! {
        form method="post" action="/logout" {
            input type="hidden" name="csrf" value=(v.csrf);
            button.link-button type="submit" { (tr.t("nav-logout")) }
        }
    };
    html! {
        nav.user-nav.wide-only aria-label=(tr.t("nav-account")) {
            a href="/circles" { (tr.t("nav-circles")) }
            (notifications)
            a href="/settings" { (user.display_name) }
            (logout)
        }
        nav.user-nav.narrow-only aria-label=(tr.t("nav-account")) {
            (notifications)
            details.menu.account-menu {
                summary {
                    (art::avatar(&user.username, &user.display_name, 32))
                    span.visually-hidden { (tr.t("nav-account")) }
                }
                div.menu-panel {
                    p.menu-name { (user.display_name) }
                    a href="/settings" { (tr.t("nav-settings")) }
                    a href="/circles" { (tr.t("nav-circles")) }
                    (logout)
                }
            }
        }
    }
}

/// The circle's sections: a tab bar on wide screens; on narrow ones a menu naming the current
/// section, which opens (without JavaScript) onto every section in two columns.
fn circle_nav(v: &Visitor, nav: &CircleNav) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let mut items = vec![
        ("home", format!("/c/{slug}"), tr.t("nav-home")),
        ("pay", format!("/c/{slug}/pay"), tr.t("nav-pay")),
        ("news", format!("/c/{slug}/news"), tr.t("nav-news")),
        (
            "discussions",
            format!("/c/{slug}/discussions"),
            tr.t("nav-discussions"),
        ),
        (
            "messages",
            format!("/c/{slug}/messages"),
            tr.t("nav-messages"),
        ),
        ("market", format!("/c/{slug}/market"), tr.t("nav-market")),
        (
            "decisions",
            format!("/c/{slug}/proposals"),
            tr.t("nav-decisions"),
        ),
        ("ledger", format!("/c/{slug}/ledger"), tr.t("nav-ledger")),
        ("members", format!("/c/{slug}/members"), tr.t("nav-members")),
        (
            "invite",
            format!("/c/{slug}/invitations"),
            tr.t("nav-invite"),
        ),
    ];
    if nav.is_steward {
        items.push(("steward", format!("/c/{slug}/steward"), tr.t("nav-steward")));
    }
    let current = items
        .iter()
        .find(|(key, ..)| *key == nav.current)
        .map_or_else(|| nav.name.clone(), |(_, _, label)| label.clone());
    let list = html! {
        ul {
            @for (key, href, label) in &items { (nav_item(nav, key, href, label)) }
        }
    };
    let label = tr.ta("nav-circle", &[("circle", &nav.name)]);
    html! {
        nav.circle-nav.wide-nav aria-label=(label) { (list) }
        nav.circle-nav.narrow-nav aria-label=(label) {
            details.menu.circle-menu {
                summary { span.circle-menu-current { (current) } span.circle-menu-more { (tr.t("nav-menu")) } }
                div.menu-panel { (list) }
            }
        }
    }
}

fn nav_item(nav: &CircleNav, key: &str, href: &str, label: &str) -> Markup {
    html! {
        li {
            @if nav.current == key {
                a href=(href) aria-current="page" { (label) }
            } @else {
                a href=(href) { (label) }
            }
        }
    }
}

/// The list of a form's errors, each linking to its field; focusable so it can be announced.
pub fn error_summary(v: &Visitor, errors: &FormErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                h2 #error-summary-title { (v.tr.t("error-summary-title")) }
                ul {
                    @for error in &errors.0 {
                        li { a href={"#" (error.field)} { (error.message) } }
                    }
                }
            }
        }
    }
}

/// One labelled input with its hint and error, wired together with `aria-describedby`.
#[derive(Debug)]
pub struct Field<'a> {
    pub name: &'static str,
    pub label: String,
    pub kind: &'static str,
    pub value: &'a str,
    pub hint: Option<String>,
    pub autocomplete: Option<&'static str>,
    pub required: bool,
    pub extra: Option<Markup>,
    /// The id of a `datalist` of suggestions.
    pub list: Option<&'static str>,
}

impl<'a> Field<'a> {
    pub fn new(name: &'static str, label: String, kind: &'static str, value: &'a str) -> Self {
        Field {
            name,
            label,
            kind,
            value,
            hint: None,
            autocomplete: None,
            required: true,
            extra: None,
            list: None,
        }
    }
    pub fn hint(mut self, hint: String) -> Self {
        self.hint = Some(hint);
        self
    }
    pub fn autocomplete(mut self, value: &'static str) -> Self {
        self.autocomplete = Some(value);
        self
    }
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }
    pub fn render(&self, errors: &FormErrors) -> Markup {
        let error = errors.for_field(self.name);
        let hint_id = format!("{}-hint", self.name);
        let error_id = format!("{}-error", self.name);
        let mut described = Vec::new();
        if self.hint.is_some() {
            described.push(hint_id.clone());
        }
        if error.is_some() {
            described.push(error_id.clone());
        }
        let described = (!described.is_empty()).then(|| described.join(" "));
        html! {
            div.field.has-error[error.is_some()] {
                label for=(self.name) { (self.label) }
                @if let Some(hint) = &self.hint {
                    p.hint id=(hint_id) { (hint) }
                }
                @if let Some(error) = error {
                    p.field-error id=(error_id) { (error) }
                }
                @if self.kind == "textarea" {
                    textarea id=(self.name) name=(self.name) rows="5" required[self.required]
                        aria-describedby=[described.as_deref()] aria-invalid=[error.map(|_| "true")] { (self.value) }
                } @else {
                    input id=(self.name) name=(self.name) type=(self.kind) value=(self.value)
                        required[self.required] autocomplete=[self.autocomplete] list=[self.list]
                        inputmode=[(self.kind == "text" && self.name == "amount").then_some("decimal")]
                        aria-describedby=[described.as_deref()] aria-invalid=[error.map(|_| "true")];
                }
                @if let Some(extra) = &self.extra { (extra) }
            }
        }
    }
}

/// The time zone field: a text input suggesting every zone the node knows (a `datalist`, so it
/// works without JavaScript).
pub fn zone_field(tr: &crate::i18n::Tr, value: &str, errors: &FormErrors) -> Markup {
    let mut field = Field::new("time_zone", tr.t("field-time-zone"), "text", value)
        .optional()
        .hint(tr.t("hint-time-zone"));
    field.list = Some("time-zones");
    field.extra = Some(html! {
        datalist #time-zones {
            @for name in local::zone_names() { option value=(name) {} }
        }
    });
    field.render(errors)
}

/// The form that uploads a photo with its description (for people who cannot see it), to
/// `action` (which carries the single-use upload token in place of the CSRF field).
pub fn photo_upload_form(v: &Visitor, action: &str) -> Markup {
    let tr = &v.tr;
    html! {
        form method="post" action=(action) enctype="multipart/form-data" {
            div.field {
                label for="photo" { (tr.t("market-photo-file")) }
                p.hint #photo-hint { (tr.t("market-photo-file-hint")) }
                input #photo type="file" name="photo" accept="image/jpeg,image/png,image/webp" required aria-describedby="photo-hint";
            }
            div.field {
                label for="alt" { (tr.t("market-photo-alt")) }
                p.hint #alt-hint { (tr.t("market-photo-alt-hint")) }
                input #alt type="text" name="alt" required aria-describedby="alt-hint";
            }
            button.button.secondary type="submit" { (tr.t("market-photo-upload")) }
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(v: &Visitor) -> Markup {
    html! { input type="hidden" name="csrf" value=(v.csrf); }
}

/// A page of one narrow card under its heading, outside any circle (setting up, logging in,
/// joining, messages).
pub fn narrow_page(v: &Visitor, title: &str, content: Markup) -> Markup {
    layout(
        v,
        None,
        title,
        html! {
            section.card.narrow {
                h1 { (title) }
                (content)
            }
        },
    )
}

/// A message page (errors, confirmations) inside the layout.
pub fn message_page(v: &Visitor, title: &str, text: &str, back: Option<(&str, String)>) -> Markup {
    narrow_page(
        v,
        title,
        html! {
            p { (text) }
            @if let Some((href, label)) = back {
                p { a.button href=(href) { (label) } }
            }
        },
    )
}

/// A sentence from the catalogue with its commands in `backticks` shown as code, never as
/// literal backticks. Other text stays text (escaped).
pub fn with_code(sentence: &str) -> Markup {
    html! {
        @for (index, part) in sentence.split('`').enumerate() {
            @if index % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

/// A date and time for people, in the circle's time zone and the reader's language:
/// `26 Nov 2026, 09:12 UTC` (see [`local`]).
pub fn when(ms: i64) -> String {
    local::when(ms)
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// One radio button with its label (and an optional hint), for a fieldset of choices.
pub(crate) fn radio(
    name: &'static str,
    value: &str,
    checked: bool,
    label: String,
    hint: Option<String>,
) -> Markup {
    let id = format!("{name}-{value}");
    let hint_id = format!("{id}-hint");
    html! {
        div.field.radio {
            input type="radio" id=(id) name=(name) value=(value) checked[checked]
                aria-describedby=[hint.as_ref().map(|_| hint_id.clone())];
            label for=(id) { (label) }
            @if let Some(hint) = hint {
                p.hint id=(hint_id) { (hint) }
            }
        }
    }
}

/// How a circle's amounts are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub decimals: u8,
    pub symbol: String,
    pub name: String,
}

impl Unit {
    /// `12.50 h`
    pub fn money(&self, minor: i64) -> String {
        format!("{} {}", local::number(&self.number(minor)), self.symbol)
    }
    /// `12.50`
    pub fn number(&self, minor: i64) -> String {
        rust_decimal::Decimal::new(minor, u32::from(self.decimals)).to_string()
    }
}

/// Asks for the password again when the session's key is no longer in memory.
pub fn unlock_form(v: &Visitor, errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    html! {
        div.unlock {
            p { (tr.t("unlock-text")) }
            (Field::new("unlock_password", tr.t("field-password"), "password", "").autocomplete("current-password").render(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_command_in_backticks_is_shown_as_code_and_no_backtick_remains() {
        let shown = super::with_code("Run `commons audit` then <b>`x`</b>").into_string();
        assert_eq!(
            shown,
            "Run <code>commons audit</code> then &lt;b&gt;<code>x</code>&lt;/b&gt;"
        );
    }

    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(when(0), "1 Jan 1970, 00:00 UTC");
        assert_eq!(when(1_795_684_320_000), "26 Nov 2026, 09:12 UTC");
        assert_eq!(when(951_782_400_000), "29 Feb 2000, 00:00 UTC");
    }
}
