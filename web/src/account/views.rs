//! Views of getting in: first-run setup, login, joining through an invitation, asking to join,
//! and a person's circles (the settings rooms are in `settings_views`).

use maud::{html, Markup};

use crate::db::CircleSettings;
use crate::http::session::Visitor;
use crate::views::unlock_form;
use crate::views::{csrf_field, error_summary, layout, narrow_page, Field, FormErrors};

/// What the setup form was filled with (to show it again with errors).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub circle_name: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub unit_name: String,
    #[serde(default)]
    pub unit_symbol: String,
    #[serde(default)]
    pub floor: String,
    #[serde(default)]
    pub ceiling: String,
    /// The circle's time zone (an IANA name; empty means UTC).
    #[serde(default)]
    pub time_zone: String,
    /// The one-time setup token from the address `commons serve` printed.
    #[serde(default)]
    pub token: String,
}

pub fn setup_page(v: &Visitor, form: &SetupForm, errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    let title = tr.t("setup-title");
    narrow_page(
        v,
        &title,
        html! {
            p.lead { (tr.t("setup-lead")) }
            (error_summary(v, errors))
            form method="post" action="/setup" novalidate {
                (csrf_field(v))
                input type="hidden" name="token" value=(form.token);
                fieldset {
                    legend { (tr.t("setup-you")) }
                    (Field::new("display_name", tr.t("field-display-name"), "text", &form.display_name).autocomplete("name").render(errors))
                    (Field::new("username", tr.t("field-username"), "text", &form.username).autocomplete("username").hint(tr.t("hint-username")).render(errors))
                    (Field::new("password", tr.t("field-new-password"), "password", "").autocomplete("new-password").hint(tr.t("hint-password")).render(errors))
                }
                fieldset {
                    legend { (tr.t("setup-circle")) }
                    (Field::new("circle_name", tr.t("field-circle-name"), "text", &form.circle_name).render(errors))
                    (Field::new("slug", tr.t("field-slug"), "text", &form.slug).hint(tr.t("hint-slug")).render(errors))
                    (Field::new("unit_name", tr.t("field-unit-name"), "text", &form.unit_name).hint(tr.t("hint-unit-name")).render(errors))
                    (Field::new("unit_symbol", tr.t("field-unit-symbol"), "text", &form.unit_symbol).hint(tr.t("hint-unit-symbol")).render(errors))
                    (Field::new("floor", tr.t("field-floor"), "text", &form.floor).hint(tr.t("hint-floor")).render(errors))
                    (Field::new("ceiling", tr.t("field-ceiling"), "text", &form.ceiling).hint(tr.t("hint-ceiling")).render(errors))
                (crate::views::zone_field(tr, &form.time_zone, errors))
                    (crate::views::zone_field(tr, &form.time_zone, errors))
                }
                button.button type="submit" { (tr.t("setup-submit")) }
            }
        },
    )
}

/// A node admin's form for another circle.
pub fn new_circle_page(v: &Visitor, form: &SetupForm, errors: &FormErrors, locked: bool) -> Markup {
    let tr = &v.tr;
    let title = tr.t("circles-new");
    narrow_page(
        v,
        &title,
        html! {
            p.lead { (tr.t("circles-new-lead")) }
            (error_summary(v, errors))
            form method="post" action="/circles/new" novalidate {
                (csrf_field(v))
                (Field::new("circle_name", tr.t("field-circle-name"), "text", &form.circle_name).render(errors))
                (Field::new("slug", tr.t("field-slug"), "text", &form.slug).hint(tr.t("hint-slug")).render(errors))
                (Field::new("unit_name", tr.t("field-unit-name"), "text", &form.unit_name).hint(tr.t("hint-unit-name")).render(errors))
                (Field::new("unit_symbol", tr.t("field-unit-symbol"), "text", &form.unit_symbol).hint(tr.t("hint-unit-symbol")).render(errors))
                (Field::new("floor", tr.t("field-floor"), "text", &form.floor).hint(tr.t("hint-floor")).render(errors))
                (Field::new("ceiling", tr.t("field-ceiling"), "text", &form.ceiling).hint(tr.t("hint-ceiling")).render(errors))
                (crate::views::zone_field(tr, &form.time_zone, errors))
                @if locked { (unlock_form(v, errors)) }
                button.button type="submit" { (tr.t("setup-submit")) }
            }
        },
    )
}

pub fn login_page(v: &Visitor, username: &str, errors: &FormErrors, next: &str) -> Markup {
    let tr = &v.tr;
    let title = tr.t("login-title");
    narrow_page(
        v,
        &title,
        html! {
            (error_summary(v, errors))
            form method="post" action="/login" novalidate {
                (csrf_field(v))
                input type="hidden" name="next" value=(next);
                (Field::new("username", tr.t("field-username"), "text", username).autocomplete("username").render(errors))
                (Field::new("password", tr.t("field-password"), "password", "").autocomplete("current-password").render(errors))
                button.button type="submit" { (tr.t("login-submit")) }
            }
            p.hint { (tr.t("login-forgot")) }
        },
    )
}

/// The sign-up part of joining forms, for someone without a login yet.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub agree: Option<String>,
    #[serde(default)]
    pub agreements_version: i64,
    #[serde(default)]
    pub message: String,
    /// When the form was shown, signed by the node (`http::bots`).
    #[serde(default)]
    pub stamp: String,
    /// The honeypot: people leave it empty.
    #[serde(default)]
    pub website: String,
}

/// The invitation page (`action` is `/join/<link>`) or the ask-to-join page.
#[allow(clippy::too_many_arguments)]
pub fn join_page(
    v: &Visitor,
    circle_name: &str,
    settings: &CircleSettings,
    invited_by: Option<&str>,
    action: &str,
    asking: bool,
    form: &JoinForm,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let title = tr.ta("join-title", &[("circle", circle_name)]);
    narrow_page(
        v,
        &title,
        html! {
            @if let Some(name) = invited_by {
                p.lead { (tr.ta("join-invited-by", &[("name", name)])) }
            } @else {
                p.lead { (tr.t("join-ask-lead")) }
            }
            @if !settings.description.is_empty() {
                p { (settings.description) }
            }
            (error_summary(v, errors))
            form method="post" action=(action) novalidate {
                (csrf_field(v))
                input type="hidden" name="stamp" value=(form.stamp);
                input type="hidden" name="agreements_version" value=(settings.agreements_version);
                div.honeypot aria-hidden="true" {
                    label for="website" { (tr.t("join-honeypot")) }
                    input #website type="text" name="website" value="" tabindex="-1" autocomplete="off";
                }
                section.agreements aria-labelledby="agreements-title" {
                    h2 #agreements-title { (tr.t("join-agreements")) }
                    div.agreements-text {
                        @for line in settings.agreements.lines().filter(|line| !line.trim().is_empty()) {
                            p { (line) }
                        }
                    }
                }
                @if let Some(user) = &v.user {
                    p { (tr.ta("join-as", &[("name", &user.display_name)])) }
                } @else {
                    fieldset {
                        legend { (tr.t("join-about-you")) }
                        (Field::new("display_name", tr.t("field-display-name"), "text", &form.display_name).autocomplete("name").render(errors))
                        (Field::new("username", tr.t("field-username"), "text", &form.username).autocomplete("username").hint(tr.t("hint-username")).render(errors))
                        (Field::new("password", tr.t("field-new-password"), "password", "").autocomplete("new-password").hint(tr.t("hint-password")).render(errors))
                    }
                    p.hint { (tr.t("join-have-login")) " " a href={"/login?next=" (action)} { (tr.t("nav-login")) } }
                }
                @if asking {
                    (Field::new("message", tr.t("field-join-message"), "textarea", &form.message).optional().hint(tr.t("hint-join-message")).render(errors))
                }
                div.field.checkbox.has-error[errors.for_field("agree").is_some()] {
                    @if let Some(error) = errors.for_field("agree") {
                        p.field-error id="agree-error" { (error) }
                    }
                    // Sent back with an error, the consent stays given, unless the agreements
                    // changed meanwhile (then they must be read again).
                    input #agree type="checkbox" name="agree" value="yes" required
                        checked[form.agree.is_some() && form.agreements_version == settings.agreements_version]
                        aria-describedby=[errors.for_field("agree").map(|_| "agree-error")];
                    label for="agree" { (tr.t("join-consent")) }
                }
                button.button type="submit" {
                    @if asking { (tr.t("join-ask-submit")) } @else { (tr.t("join-submit")) }
                }
            }
        },
    )
}

/// Shown after asking to join or joining through a member's invitation.
pub fn pending_page(v: &Visitor, circle_name: &str) -> Markup {
    let tr = &v.tr;
    let title = tr.t("pending-title");
    narrow_page(
        v,
        &title,
        html! {
            p { (tr.ta("pending-text", &[("circle", circle_name)])) }
            p { a.button href="/" { (tr.t("nav-home")) } }
        },
    )
}

/// A person's circles (the node's front page once logged in).
pub fn my_circles_page(v: &Visitor, circles: &[(String, String)], is_admin: bool) -> Markup {
    let tr = &v.tr;
    let title = tr.t("circles-title");
    narrow_page(
        v,
        &title,
        html! {
            @if circles.is_empty() {
                p { (tr.t("circles-none")) }
            } @else {
                ul.plain-list {
                    @for (slug, name) in circles {
                        li { a.big-link href={"/c/" (slug)} { (name) } }
                    }
                }
            }
            @if is_admin {
                p.hint { (tr.t("circles-admin-hint")) }
                p { a.button.secondary href="/circles/new" { (tr.t("circles-new")) } }
            }
        },
    )
}

/// The front page for someone not logged in.
pub fn welcome_page(v: &Visitor, public: &[(commons_ledger::store::CircleInfo, String)]) -> Markup {
    let tr = &v.tr;
    let title = tr.t("welcome-title");
    layout(
        v,
        None,
        &title,
        html! {
            section.hero {
                h1 { (title) }
                p.lead { (tr.t("welcome-lead")) }
                p { a.button href="/login" { (tr.t("nav-login")) } }
                p.hint { (tr.t(if public.is_empty() { "welcome-invite-hint" } else { "welcome-invite-or-ask" })) }
            }
            (crate::public::views::public_circles_list(tr, public))
        },
    )
}

/// What the settings forms were filled with.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub bio: String,
    #[serde(default)]
    pub language: String,
    /// Skills, comma-separated.
    #[serde(default)]
    pub skills: String,
    /// Interests, comma-separated.
    #[serde(default)]
    pub interests: String,
    #[serde(default)]
    pub ask_me_about: String,
    /// "on" when the person shows their profile on the public pages of their circles.
    #[serde(default)]
    pub profile_public: Option<String>,
}

/// The page a recovery link opens: choose a new password.
pub fn recover_page(
    v: &Visitor,
    name: &str,
    circle: &str,
    action: &str,
    confirm_current: bool,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t(if confirm_current {
        "recover-confirm-title"
    } else {
        "recover-title"
    });
    narrow_page(
        v,
        &title,
        html! {
            p.lead { (tr.ta("recover-lead", &[("name", name), ("circle", circle)])) }
            @if confirm_current {
                p.hint { (tr.ta("recover-confirm-hint", &[("circle", circle)])) }
            } @else {
                p.hint { (tr.ta("recover-hint", &[("circle", circle)])) }
            }
            (error_summary(v, errors))
            form method="post" action=(action) novalidate {
                (csrf_field(v))
                @if confirm_current {
                    (Field::new("password", tr.t("field-current-recovery-password"), "password", "").autocomplete("current-password").render(errors))
                } @else {
                    (Field::new("password", tr.t("field-new-password"), "password", "").autocomplete("new-password").hint(tr.t("hint-password")).render(errors))
                }
                button.button type="submit" { (tr.t(if confirm_current { "recover-confirm-submit" } else { "recover-submit" })) }
            }
        },
    )
}
