//! People pages: the members directory (search by name or skill, each person with their face
//! and skills) and a member's profile (photo or generated avatar, bio, what to ask them about,
//! skills and interests, their offers, needs and thank-yous). Faces appear wherever people do.

use maud::{html, Markup};

use crate::db::people::ProfileRow;
use crate::http::session::Visitor;
use crate::i18n::Tr;
use crate::people::service::DirectoryEntry;
use crate::views::art::avatar;
use crate::views::{layout, CircleNav};

/// Someone's face: their photo when they have one, else their generated avatar. Decorative
/// next to their name (empty alt); the profile's own large photo carries its description.
pub fn face(
    slug: &str,
    username: &str,
    display_name: &str,
    has_photo: bool,
    size_px: u32,
) -> Markup {
    html! {
        @if has_photo {
            img.avatar src={"/c/" (slug) "/members/" (username) "/photo/thumb.jpg"} alt=""
                width=(size_px) height=(size_px) loading="lazy";
        } @else {
            (avatar(username, display_name, size_px))
        }
    }
}

fn skill_chips(slug: &str, skills: &[String], label: &str) -> Markup {
    html! {
        @if !skills.is_empty() {
            ul.chips aria-label=(label) {
                @for skill in skills {
                    li { a.chip href={"/c/" (slug) "/members?skill=" (crate::market::views::url_encode(skill))} { (skill) } }
                }
            }
        }
    }
}

pub fn members_page(
    v: &Visitor,
    nav: &CircleNav,
    entries: &[DirectoryEntry],
    search: &str,
    skill: Option<&str>,
) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let title = tr.t("members-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            p.lead { (tr.t("members-lead")) }
            form.search-form method="get" action={"/c/" (slug) "/members"} role="search" {
                label for="q" { (tr.t("members-search")) }
                input #q type="search" name="q" value=(search);
                button.button.secondary type="submit" { (tr.t("members-search-submit")) }
            }
            @if let Some(skill) = skill {
                p.filter-note {
                    (tr.ta("members-with-skill", &[("skill", skill)])) " "
                    a href={"/c/" (slug) "/members"} { (tr.t("members-everyone")) }
                }
            }
            @if entries.is_empty() {
                p.empty { (tr.t("members-none")) }
            } @else {
                ul.member-grid {
                    @for entry in entries {
                        @let card = &entry.found.card;
                        li.card.member-card {
                            div.member-card-head {
                                (face(slug, &card.username, &card.display_name, entry.extras.has_photo, 48))
                                div {
                                    h2 { a href={"/c/" (slug) "/members/" (card.username)} { (card.display_name) } }
                                    @if entry.found.is_steward { span.badge { (tr.t("badge-steward")) } }
                                }
                            }
                            @if !card.bio.is_empty() { p { (card.bio) } }
                            (skill_chips(slug, &entry.extras.skills, &tr.ta("members-skills-of", &[("name", &card.display_name)])))
                        }
                    }
                }
            }
        },
    )
}

/// What a profile page shows of its member.
#[derive(Debug)]
pub struct ProfilePage<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub bio: &'a str,
    pub is_steward: bool,
    pub extras: &'a ProfileRow,
    pub joined_ms: i64,
    pub vouched_by: Option<&'a str>,
    pub is_me: bool,
}

fn profile_head(tr: &Tr, slug: &str, p: &ProfilePage) -> Markup {
    html! {
        div.profile-head {
            @if let Some(alt) = &p.extras.photo_alt {
                img.profile-photo src={"/c/" (slug) "/members/" (p.username) "/photo/full.jpg"} alt=(alt) width="160" height="160";
            } @else {
                (avatar(p.username, p.display_name, 112))
            }
            div {
                h1 { (p.display_name) }
                p.hint { "@" (p.username) }
                @if p.is_steward { p { span.badge { (tr.t("badge-steward")) } } }
            }
        }
    }
}

pub fn member_page(
    v: &Visitor,
    nav: &CircleNav,
    p: &ProfilePage,
    market: Markup,
    boundaries: Option<Markup>,
) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    layout(
        v,
        Some(nav),
        p.display_name,
        html! {
            section.card.profile {
                (profile_head(tr, slug, p))
                @if !p.bio.is_empty() { p.profile-bio { (p.bio) } }
                @if !p.extras.ask_me_about.is_empty() {
                    div.ask-me {
                        h2 { (tr.t("profile-ask-me-about")) }
                        p { (p.extras.ask_me_about) }
                    }
                }
                @if !p.extras.skills.is_empty() {
                    h2 #skills-title { (tr.t("profile-skills")) }
                    (skill_chips(slug, &p.extras.skills, &tr.t("profile-skills")))
                }
                @if !p.extras.interests.is_empty() {
                    h2 { (tr.t("profile-interests")) }
                    ul.chips aria-label=(tr.t("profile-interests")) {
                        @for interest in &p.extras.interests { li { span.chip { (interest) } } }
                    }
                }
                p.meta { (tr.ta("member-joined", &[("time", &crate::views::ago::date(p.joined_ms))])) }
                @if let Some(name) = p.vouched_by {
                    p.meta { (tr.ta("member-vouched-by", &[("name", name)])) }
                }
                @if p.is_me {
                    p { a href="/settings" { (tr.t("profile-edit-mine")) } }
                } @else {
                    p.actions {
                        a.button href={"/c/" (slug) "/pay?member=" (p.username)} { (tr.ta("member-pay", &[("name", p.display_name)])) }
                        a.button.secondary href={"/c/" (slug) "/request?member=" (p.username)} { (tr.ta("member-request", &[("name", p.display_name)])) }
                        a.button.secondary href={"/c/" (slug) "/messages/new?to=" (p.username)} { (tr.t("profile-write")) }
                    }
                }
            }
            div.grid.member-market { (market) }
            @if let Some(boundaries) = boundaries { (boundaries) }
            @if !p.is_me {
                p.report {
                    (crate::moderation::views::report_link(v, slug, commons_governance::moderation::TargetKind::Member, p.username))
                    " · " (crate::moderation::views::report_link(v, slug, commons_governance::moderation::TargetKind::Profile, p.username))
                }
            }
        },
    )
}

/// The "who could help" box on a need: members whose skills answer it.
pub fn helpers_box(
    v: &Visitor,
    slug: &str,
    helpers: &[(crate::db::Person, Vec<String>)],
) -> Markup {
    let tr = &v.tr;
    html! {
        @if !helpers.is_empty() {
            section.card aria-labelledby="helpers-title" {
                h2 #helpers-title { (tr.t("helpers-title")) }
                p.hint { (tr.t("helpers-hint")) }
                ul.people-list {
                    @for (person, skills) in helpers {
                        li {
                            (avatar(&person.username, &person.display_name, 40))
                            div {
                                a href={"/c/" (slug) "/members/" (person.username)} { (person.display_name) }
                                p.meta { (skills.join(", ")) }
                            }
                        }
                    }
                }
            }
        }
    }
}
