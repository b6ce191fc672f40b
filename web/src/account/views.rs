//! Views of getting in: first-run setup, login, joining through an invitation, asking to join,
//! and a person's own settings.

use maud::{html, Markup};

use crate::db::{CircleSettings, TokenRow, TokenScope};
use crate::http::session::Visitor;
use crate::views::unlock_form;
use crate::views::{csrf_field, error_summary, layout, narrow_page, radio, Field, FormErrors};

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

/// What the settings page shows beyond the forms.
#[derive(Debug, Clone, Default)]
pub struct SettingsView {
    /// (circle slug, circle name, my public key, whether I hold it myself)
    pub keys: Vec<(String, String, String, bool)>,
    /// My API tokens, with the name of the circle each is bound to (if any).
    pub tokens: Vec<(TokenRow, Option<String>)>,
    /// A token made just now, shown once.
    pub new_token: Option<String>,
    /// The recoveries of my account: (circle, steward, when), newest first.
    pub recoveries: Vec<(String, String, i64)>,
    /// Whether this login reaches only the circles that recovered it.
    pub restricted: bool,
    /// Whom I blocked or muted.
    pub blocks: Vec<crate::db::BlockRow>,
    /// What happened to my account lately.
    pub activity: Vec<crate::account::activity::ActivityLine>,
    /// My photo's description, if I have one.
    pub photo_alt: Option<String>,
    /// The single-use token for the photo form.
    pub upload_token: Option<String>,
    /// What was wrong with the photo just sent.
    pub photo_errors: FormErrors,
}

pub fn settings_page(
    v: &Visitor,
    profile: &ProfileForm,
    profile_errors: &FormErrors,
    password_errors: &FormErrors,
    other_errors: &FormErrors,
    view: &SettingsView,
) -> Markup {
    let keys = &view.keys;
    let tr = &v.tr;
    let title = tr.t("settings-title");
    layout(
        v,
        None,
        &title,
        html! {
            h1 { (title) }
            (profile_section(v, profile, profile_errors))
            (photo_section(v, view))
            section.card aria-labelledby="email-link-title" {
                h2 #email-link-title { (tr.t("email-title")) }
                p { a.button.secondary href="/settings/email" { (tr.t("settings-email-link")) } }
            }
            (password_section(v, password_errors))
            (keys_section(v, keys, other_errors))
            @if !view.recoveries.is_empty() {
                (recoveries_section(v, view))
            }
            (tokens_section(v, view, other_errors))
            (crate::blocks::views::blocks_section(v, &view.blocks))
            (activity_section(v, &view.activity))
            section.card aria-labelledby="your-data-title" {
                h2 #your-data-title { (tr.t("data-title")) }
                p { (tr.t("settings-data-lead")) }
                p { a.button.secondary href="/settings/data" { (tr.t("settings-data-link")) } }
            }
        },
    )
}

/// The account's security activity: what happened, from where (coarse), when.
fn activity_section(v: &Visitor, activity: &[crate::account::activity::ActivityLine]) -> Markup {
    let tr = &v.tr;
    let days = crate::account::activity::SECURITY_EVENTS_KEPT_DAYS.to_string();
    html! {
        section.card aria-labelledby="security-title" {
            h2 #security-title { (tr.t("security-title")) }
            p.hint { (tr.ta("security-hint", &[("days", &days)])) }
            @if activity.is_empty() {
                p { (tr.t("security-none")) }
            } @else {
                ul.plain-list.activity {
                    @for line in activity {
                        li {
                            strong { (tr.ta(line.message_id, &[("circle", &line.detail)])) }
                            br;
                            span.hint {
                                (crate::views::when(line.at_ms)) " · "
                                @match &line.place {
                                    Some(place) => { (place) },
                                    None => { (tr.t("security-place-unknown")) },
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The profile card: display name, bio and language.
fn profile_section(v: &Visitor, profile: &ProfileForm, profile_errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="profile-title" {
            h2 #profile-title { (tr.t("settings-profile")) }
            (error_summary(v, profile_errors))
            form method="post" action="/settings/profile" novalidate {
                (csrf_field(v))
                (Field::new("display_name", tr.t("field-display-name"), "text", &profile.display_name).autocomplete("name").render(profile_errors))
                (Field::new("bio", tr.t("field-bio"), "textarea", &profile.bio).optional().hint(tr.t("hint-bio")).render(profile_errors))
                (Field::new("skills", tr.t("field-skills"), "text", &profile.skills).optional().hint(tr.t("hint-skills")).render(profile_errors))
                (Field::new("interests", tr.t("field-interests"), "text", &profile.interests).optional().hint(tr.t("hint-interests")).render(profile_errors))
                (Field::new("ask_me_about", tr.t("field-ask-me-about"), "text", &profile.ask_me_about).optional().hint(tr.t("hint-ask-me-about")).render(profile_errors))
                div.field.checkbox {
                    input #profile_public type="checkbox" name="profile_public" value="on" checked[profile.profile_public.is_some()] aria-describedby="profile_public-hint";
                    label for="profile_public" { (tr.t("field-profile-public")) }
                    p.hint #profile_public-hint { (tr.t("hint-profile-public")) }
                }
                div.field {
                    label for="language" { (tr.t("field-language")) }
                    select #language name="language" {
                        option value="" selected[profile.language.is_empty()] { (tr.t("language-browser")) }
                        @for (code, name) in crate::i18n::LANGUAGES {
                            option value=(code) lang=(code) selected[profile.language == *code] { (name) }
                        }
                    }
                }
                button.button type="submit" { (tr.t("settings-save")) }
            }
        }
    }
}

/// The photo card: my photo (or my generated avatar), the form to change it, and removing it.
fn photo_section(v: &Visitor, view: &SettingsView) -> Markup {
    let tr = &v.tr;
    let user = v.user.as_ref();
    let (username, name) =
        user.map_or(("", ""), |u| (u.username.as_str(), u.display_name.as_str()));
    html! {
        section.card aria-labelledby="photo-title" {
            h2 #photo-title { (tr.t("settings-photo")) }
            div.profile-head {
                @if let Some(alt) = &view.photo_alt {
                    img.profile-photo src="/settings/photo/thumb.jpg" alt=(alt) width="112" height="112";
                } @else {
                    (crate::views::art::avatar(username, name, 96))
                }
                p.hint { (tr.t(if view.photo_alt.is_some() { "settings-photo-yours" } else { "settings-photo-none" })) }
            }
            (error_summary(v, &view.photo_errors))
            @if let Some(upload) = &view.upload_token {
                form.stack method="post" action={"/settings/photo?upload=" (upload)} enctype="multipart/form-data" {
                    div.field.has-error[view.photo_errors.for_field("photo").is_some()] {
                        label for="photo" { (tr.t("settings-photo-file")) }
                        p.hint #photo-hint { (tr.t("market-photo-file-hint")) }
                        @if let Some(error) = view.photo_errors.for_field("photo") { p.field-error #photo-error { (error) } }
                        input #photo type="file" name="photo" accept="image/jpeg,image/png,image/webp" required aria-describedby="photo-hint";
                    }
                    div.field.has-error[view.photo_errors.for_field("alt").is_some()] {
                        label for="alt" { (tr.t("settings-photo-alt")) }
                        p.hint #alt-hint { (tr.t("settings-photo-alt-hint")) }
                        @if let Some(error) = view.photo_errors.for_field("alt") { p.field-error #alt-error { (error) } }
                        input #alt type="text" name="alt" required aria-describedby="alt-hint";
                    }
                    button.button.secondary type="submit" { (tr.t("settings-photo-upload")) }
                }
            }
            @if view.photo_alt.is_some() {
                form method="post" action="/settings/photo/remove" {
                    (csrf_field(v))
                    button.button.danger.small type="submit" { (tr.t("settings-photo-remove")) }
                }
            }
        }
    }
}

/// The password card: the form to change one's password.
fn password_section(v: &Visitor, password_errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="password-title" {
            h2 #password-title { (tr.t("settings-password")) }
            p.hint { (tr.t("settings-password-hint")) }
            (error_summary(v, password_errors))
            form method="post" action="/settings/password" novalidate {
                (csrf_field(v))
                (Field::new("current_password", tr.t("field-current-password"), "password", "").autocomplete("current-password").render(password_errors))
                (Field::new("new_password", tr.t("field-new-password"), "password", "").autocomplete("new-password").hint(tr.t("hint-password")).render(password_errors))
                button.button type="submit" { (tr.t("settings-password-submit")) }
            }
        }
    }
}

/// The keys card: my key in each circle, and the form to hold one myself.
fn keys_section(
    v: &Visitor,
    keys: &[(String, String, String, bool)],
    other_errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="keys-title" {
            h2 #keys-title { (tr.t("settings-keys")) }
            p.hint { (tr.t("settings-keys-hint")) }
            @if keys.is_empty() {
                p { (tr.t("settings-keys-none")) }
            } @else {
                dl.key-list {
                    @for (_, circle, key, own) in keys {
                        dt { (circle) @if *own { " " span.badge { (tr.t("settings-own-key")) } } }
                        dd { code.key { (key) } }
                    }
                }
            }
            (error_summary(v, other_errors))
            h3 { (tr.t("settings-own-key-title")) }
            p.hint { (tr.t("settings-own-key-hint")) }
            form method="post" action="/settings/own-key" novalidate {
                (csrf_field(v))
                div.field {
                    label for="circle" { (tr.t("field-circle")) }
                    select #circle name="circle" {
                        @for (slug, circle, _, own) in keys {
                            @if !*own { option value=(slug) { (circle) } }
                        }
                    }
                }
                (Field::new("public_key", tr.t("field-public-key"), "text", "").hint(tr.t("hint-public-key")).render(other_errors))
                (Field::new("unlock_password", tr.t("field-password"), "password", "").autocomplete("current-password").hint(tr.t("hint-confirm-password")).render(other_errors))
                button.button.secondary type="submit" { (tr.t("settings-own-key-submit")) }
            }
        }
    }
}

/// The recoveries card: when which steward recovered my account.
fn recoveries_section(v: &Visitor, view: &SettingsView) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="recoveries-title" {
            h2 #recoveries-title { (tr.t("settings-recoveries")) }
            p.hint { (tr.t("settings-recoveries-hint")) }
            @if view.restricted {
                p.notice { (tr.t("settings-recovery-restricted")) }
            }
            ul {
                @for (circle, steward, at) in &view.recoveries {
                    li { (tr.ta("settings-recovery", &[("circle", circle), ("steward", steward), ("when", &crate::views::when(*at))])) }
                }
            }
        }
    }
}

/// The API tokens card: a token just made, my tokens and the form to make one.
fn tokens_section(v: &Visitor, view: &SettingsView, other_errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="tokens-title" {
            h2 #tokens-title { (tr.t("settings-tokens")) }
            p.hint { (tr.t("settings-tokens-hint")) }
            @if let Some(token) = &view.new_token {
                div.highlight {
                    label for="new-token" { (tr.t("settings-token-made")) }
                    input #new-token.link-box type="text" readonly value=(token);
                }
            }
            @if !view.tokens.is_empty() {
                (token_list(v, view))
            }
            (token_form(v, view, other_errors))
        }
    }
}

/// My API tokens, each with its scope, circle, dates and revoke button.
fn token_list(v: &Visitor, view: &SettingsView) -> Markup {
    let tr = &v.tr;
    html! {
        ul.request-list {
            @for (token, circle) in &view.tokens {
                li {
                    p {
                        strong { (token.label) } " · "
                        (tr.t(match token.scope { TokenScope::Read => "token-scope-read", TokenScope::Act => "token-scope-act" }))
                        " · "
                        @match circle {
                            Some(name) => (tr.ta("token-circle-one", &[("circle", name)])),
                            None => (tr.t("token-circle-all")),
                        }
                    }
                    p.hint {
                        (tr.ta("settings-token-created", &[("time", &crate::views::when(token.created_at_ms))]))
                        " · "
                        (tr.ta("settings-token-expires", &[("time", &crate::views::when(token.expires_at_ms))]))
                    }
                    @if let Some(used) = token.last_used_ms { p.hint { (tr.ta("settings-token-used", &[("time", &crate::views::when(used))])) } }
                    form method="post" action={"/settings/tokens/" (token.id) "/revoke"} {
                        (csrf_field(v))
                        button.button.secondary.small type="submit" { (tr.ta("settings-token-revoke", &[("label", &token.label)])) }
                    }
                }
            }
        }
    }
}

/// The form to make an API token: its label, scope, circle and lifetime.
fn token_form(v: &Visitor, view: &SettingsView, other_errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    html! {
        form.stack method="post" action="/settings/tokens" novalidate {
            (csrf_field(v))
            (Field::new("label", tr.t("field-token-label"), "text", "").hint(tr.t("hint-token-label")).render(other_errors))
            fieldset.inline #scope {
                legend { (tr.t("token-scope")) }
                (radio("scope", "read", true, tr.t("token-scope-read"), None))
                (radio("scope", "act", false, tr.t("token-scope-act"), Some(tr.t("token-scope-act-hint"))))
            }
            div.field {
                label for="circle" { (tr.t("token-circle")) }
                select #circle name="circle" {
                    option value="" { (tr.t("token-circle-all")) }
                    @for (slug, name, _, _) in &view.keys {
                        option value=(slug) { (name) }
                    }
                }
            }
            div.field {
                label for="days" { (tr.t("token-days")) }
                select #days name="days" {
                    option value="30" { (tr.ta("token-days-n", &[("days", "30")])) }
                    option value="90" selected { (tr.ta("token-days-n", &[("days", "90")])) }
                    option value="365" { (tr.ta("token-days-n", &[("days", "365")])) }
                }
            }
            button.button.secondary type="submit" { (tr.t("settings-token-submit")) }
        }
    }
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
