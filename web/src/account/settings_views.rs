//! The settings rooms: profile; account and password; notifications and e-mail; privacy,
//! blocks and your data; "Advanced" (keys, one's own key, API tokens, the security log). Each
//! room is its own page, reached from the same room list, so nothing is 4,700 px down.

use maud::{html, Markup};

use crate::account::views::ProfileForm;
use crate::db::{TokenRow, TokenScope};
use crate::http::session::Visitor;
use crate::views::{csrf_field, error_summary, layout, radio, with_code, Field, FormErrors};

/// A room of the settings: one page, one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsRoom {
    Profile,
    Account,
    Notifications,
    Privacy,
    Advanced,
}

impl SettingsRoom {
    /// Every room, in the order the room list shows them.
    pub const ALL: [Self; 5] = [
        Self::Profile,
        Self::Account,
        Self::Notifications,
        Self::Privacy,
        Self::Advanced,
    ];

    /// Where the room is.
    pub fn path(self) -> &'static str {
        match self {
            Self::Profile => "/settings",
            Self::Account => "/settings/account",
            Self::Notifications => "/settings/email",
            Self::Privacy => "/settings/data",
            Self::Advanced => "/settings/advanced",
        }
    }

    /// The room's name.
    pub fn message_id(self) -> &'static str {
        match self {
            Self::Profile => "settings-room-profile",
            Self::Account => "settings-room-account",
            Self::Notifications => "settings-room-notifications",
            Self::Privacy => "settings-room-privacy",
            Self::Advanced => "settings-room-advanced",
        }
    }

    /// One line under the room's name in the list: what is in it.
    pub fn hint_id(self) -> &'static str {
        match self {
            Self::Profile => "settings-room-profile-hint",
            Self::Account => "settings-room-account-hint",
            Self::Notifications => "settings-room-notifications-hint",
            Self::Privacy => "settings-room-privacy-hint",
            Self::Advanced => "settings-room-advanced-hint",
        }
    }
}

/// A settings room's page: the list of rooms (this one marked), then the room's name and
/// content. The page's title names the room and the settings.
pub fn room_page(v: &Visitor, room: SettingsRoom, content: Markup) -> Markup {
    let tr = &v.tr;
    let name = tr.t(room.message_id());
    let settings = tr.t("settings-title");
    let title = format!("{name} · {settings}");
    layout(
        v,
        None,
        &title,
        html! {
            div.settings-rooms {
                nav.rooms aria-label=(settings) {
                    p.rooms-title aria-hidden="true" { (settings) }
                    ul {
                        @for each in SettingsRoom::ALL {
                            li {
                                a href=(each.path()) aria-current=[(each == room).then_some("page")] {
                                    span.room-name { (tr.t(each.message_id())) }
                                    span.room-hint { (tr.t(each.hint_id())) }
                                }
                            }
                        }
                    }
                }
                div.room {
                    h1 { (name) }
                    (content)
                }
            }
        },
    )
}

/// What the settings rooms show beyond the forms. Each room fills only what it shows.
#[derive(Debug, Clone, Default)]
pub struct SettingsView {
    /// (circle slug, circle name, my public key, whether I hold it myself)
    pub keys: Vec<(String, String, String, bool)>,
    /// My API tokens, with the name of the circle each is bound to (if any).
    pub tokens: Vec<(TokenRow, Option<String>)>,
    /// The recoveries of my account: (circle, steward, when), newest first.
    pub recoveries: Vec<(String, String, i64)>,
    /// Whether this login reaches only the circles that recovered it.
    pub restricted: bool,
    /// What happened to my account lately.
    pub activity: Vec<crate::account::activity::ActivityLine>,
    /// My photo's description, if I have one.
    pub photo_alt: Option<String>,
    /// The single-use token for the photo form.
    pub upload_token: Option<String>,
}

/// What the person sent and what was wrong with it, to show a room again.
#[derive(Debug, Clone, Default)]
pub struct SettingsForms {
    /// The profile as typed (None: as stored).
    pub profile: Option<ProfileForm>,
    pub profile_errors: FormErrors,
    pub password_errors: FormErrors,
    /// Errors of the own-key and token forms.
    pub advanced_errors: FormErrors,
    pub photo_errors: FormErrors,
    /// A token made just now, shown once.
    pub new_token: Option<String>,
}

/// The profile room: how others see me (name, introduction, photo, language).
pub fn profile_room(
    v: &Visitor,
    profile: &ProfileForm,
    forms: &SettingsForms,
    view: &SettingsView,
) -> Markup {
    room_page(
        v,
        SettingsRoom::Profile,
        html! {
            (profile_section(v, profile, &forms.profile_errors))
            (photo_section(v, view, &forms.photo_errors))
        },
    )
}

/// The account room: the password, and the recoveries that happened to the account.
pub fn account_room(v: &Visitor, forms: &SettingsForms, view: &SettingsView) -> Markup {
    room_page(
        v,
        SettingsRoom::Account,
        html! {
            (password_section(v, &forms.password_errors))
            @if !view.recoveries.is_empty() || view.restricted {
                (recoveries_section(v, view))
            }
        },
    )
}

/// The advanced room: signing keys, holding one's own key, API tokens, the security log.
pub fn advanced_room(v: &Visitor, forms: &SettingsForms, view: &SettingsView) -> Markup {
    room_page(
        v,
        SettingsRoom::Advanced,
        html! {
            p.lead { (v.tr.t("settings-advanced-lead")) }
            @if view.restricted {
                p.notice { (v.tr.t("settings-recovery-restricted")) }
            }
            (error_summary(v, &forms.advanced_errors))
            (keys_section(v, &view.keys, &forms.advanced_errors))
            (tokens_section(v, view, forms))
            @if !view.restricted {
                (activity_section(v, &view.activity))
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
                                (crate::views::ago::time_ago(line.at_ms)) " · "
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
            h2 #profile-title { (tr.t("settings-profile-card")) }
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
fn photo_section(v: &Visitor, view: &SettingsView, photo_errors: &FormErrors) -> Markup {
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
            (error_summary(v, photo_errors))
            @if let Some(upload) = &view.upload_token {
                form.stack method="post" action={"/settings/photo?upload=" (upload)} enctype="multipart/form-data" {
                    div.field.has-error[photo_errors.for_field("photo").is_some()] {
                        label for="photo" { (tr.t("settings-photo-file")) }
                        p.hint #photo-hint { (tr.t("market-photo-file-hint")) }
                        @if let Some(error) = photo_errors.for_field("photo") { p.field-error #photo-error { (error) } }
                        input #photo type="file" name="photo" accept="image/jpeg,image/png,image/webp" required aria-describedby="photo-hint";
                    }
                    div.field.has-error[photo_errors.for_field("alt").is_some()] {
                        label for="alt" { (tr.t("settings-photo-alt")) }
                        p.hint #alt-hint { (tr.t("settings-photo-alt-hint")) }
                        @if let Some(error) = photo_errors.for_field("alt") { p.field-error #alt-error { (error) } }
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
            @if keys.iter().any(|(_, _, _, own)| !*own) {
                (own_key_form(v, keys, other_errors))
            }
        }
    }
}

/// The form to move one's account in a circle to a key one holds oneself.
fn own_key_form(
    v: &Visitor,
    keys: &[(String, String, String, bool)],
    other_errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    html! {
            h3 { (tr.t("settings-own-key-title")) }
            p.hint { (with_code(&tr.t("settings-own-key-hint"))) }
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
                    li { (tr.ta("settings-recovery", &[("circle", circle), ("steward", steward), ("when", &crate::views::ago::ago(*at))])) }
                }
            }
        }
    }
}

/// The API tokens card: a token just made, my tokens and the form to make one.
fn tokens_section(v: &Visitor, view: &SettingsView, forms: &SettingsForms) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="tokens-title" {
            h2 #tokens-title { (tr.t("settings-tokens")) }
            p.hint { (tr.t("settings-tokens-hint")) }
            @if let Some(token) = &forms.new_token {
                div.highlight {
                    label for="new-token" { (tr.t("settings-token-made")) }
                    input #new-token.link-box type="text" readonly value=(token);
                }
            }
            @if !view.tokens.is_empty() {
                (token_list(v, view))
            }
            (token_form(v, view, &forms.advanced_errors))
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
                        (tr.ta("settings-token-created", &[("time", &crate::views::ago::ago(token.created_at_ms))]))
                        " · "
                        (tr.ta("settings-token-expires", &[("time", &crate::views::ago::date(token.expires_at_ms))]))
                    }
                    @if let Some(used) = token.last_used_ms { p.hint { (tr.ta("settings-token-used", &[("time", &crate::views::ago::ago(used))])) } }
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
                label for="token-circle" { (tr.t("token-circle")) }
                select #token-circle name="circle" {
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
