//! The public pages' markup (a circle's page, a shared news post or listing, a public
//! profile, the node's list of public circles) and the stewards' editor. Nobody is named here
//! unless they made their profile public; the views only show what the service handed them.

use maud::{html, Markup, PreEscaped};

use commons_market::listing::Side;
use commons_market::store::Listing;

use crate::db::news::NewsRow;
use crate::home::views::date_leaf;
use crate::http::session::Visitor;
use crate::i18n::{Tr, LANGUAGES};
use crate::public::rules::{field_name, text_for, Section, SectionText, Shared};
use crate::public::service::{PublicPage, PublicPerson, PublicProfile};
use crate::views::{art, csrf_field, error_summary, layout, when, CircleNav, FormErrors};

fn languages() -> Vec<&'static str> {
    LANGUAGES.iter().map(|(code, _)| *code).collect()
}

fn markdown(text: &str) -> Markup {
    PreEscaped(commons_market::markdown::render(text))
}

/// The text of a section for the reader, with its language marked when it is not theirs.
fn section_text(tr: &Tr, texts: &[SectionText], section: Section) -> Option<Markup> {
    let text = text_for(texts, section, tr.lang(), &languages())?;
    let lang = (text.language != tr.lang()).then_some(text.language.as_str());
    Some(html! { div.proposal-body lang=[lang] { (markdown(&text.body)) } })
}

fn listing_line(
    tr: &Tr,
    slug: &str,
    listing: &Listing,
    people: &std::collections::HashMap<i64, PublicPerson>,
) -> Markup {
    html! {
        li {
            span.badge { (tr.t(if listing.side == Side::Offer { "market-side-offer" } else { "market-side-need" })) }
            " "
            a.home-item-title href={"/p/" (slug) "/listings/" (listing.id)} { (listing.title) }
            @if let Some(person) = people.get(&listing.owner) {
                p.meta { a href={"/p/" (slug) "/people/" (person.username)} { (person.display_name) } }
            }
        }
    }
}

fn event_line(tr: &Tr, slug: &str, listing: &Listing) -> Markup {
    html! {
        @if let Some(event) = &listing.event {
            li {
                (date_leaf(tr, &event.starts.date()))
                div {
                    a.home-item-title href={"/p/" (slug) "/listings/" (listing.id)} { (listing.title) }
                    p.meta {
                        (crate::views::ago::wall_event(event.starts.as_ms()))
                        @if !event.place.is_empty() && !event.online { " · " (event.place) }
                    }
                }
            }
        }
    }
}

/// A circle's public page.
/// The circle's latest signed heads, for anyone to compare with what they were shown.
fn published_heads(tr: &crate::i18n::Tr, heads: &crate::ledger::read::PublishedHeads) -> Markup {
    html! {
        section.card.tree-head aria-labelledby="public-heads" {
            h2 #public-heads { (tr.t("public-heads")) }
            p { (tr.t("public-heads-lead")) }
            details {
                summary { (tr.t("public-heads-show")) }
                dl.facts {
                    div { dt { (tr.ta("public-heads-ledger", &[("size", &heads.ledger_size.to_string())])) } dd { code.hash { (heads.ledger_root.to_hex()) } } }
                    @if let Some((size, root)) = heads.moderation {
                        div { dt { (tr.ta("public-heads-moderation", &[("size", &size.to_string())])) } dd { code.hash { (root.to_hex()) } } }
                    }
                    div { dt { (tr.t("public-heads-node-key")) } dd { code.hash { (heads.node_key.to_hex()) } } }
                }
            }
        }
    }
}

pub fn public_page(v: &Visitor, page: &PublicPage) -> Markup {
    let tr = &v.tr;
    let slug = &page.circle.slug;
    let about = section_text(tr, &page.texts, Section::About);
    layout(
        v,
        None,
        &page.circle.name,
        html! {
            section.hero.public-hero {
                p.eyebrow { (tr.t("public-eyebrow")) }
                h1 { (page.circle.name) }
                @if !page.description.is_empty() { p.lead { (page.description) } }
                @if page.open_to_requests {
                    p { a.button href={"/ask/" (slug)} { (tr.ta("public-ask", &[("circle", &page.circle.name)])) } }
                }
            }
            div.home-layout {
                div.home-main {
                    @if let Some(about) = about {
                        section.card aria-labelledby="public-about" {
                            h2 #public-about { (tr.t("public-section-about")) }
                            (about)
                        }
                    }
                    @for section in [Section::Values, Section::Ways, Section::Collaborations] {
                        @if let Some(text) = section_text(tr, &page.texts, section) {
                            @let id = format!("public-{}", section.as_str());
                            section.card aria-labelledby=(id) {
                                h2 id=(id) { (tr.t(&format!("public-section-{}", section.as_str()))) }
                                (text)
                            }
                        }
                    }
                    section.card aria-labelledby="public-involved" {
                        h2 #public-involved { (tr.t("public-section-involved")) }
                        @if let Some(text) = section_text(tr, &page.texts, Section::Involved) { (text) }
                        @if page.open_to_requests {
                            p { a.button href={"/ask/" (slug)} { (tr.ta("public-ask", &[("circle", &page.circle.name)])) } }
                        } @else {
                            p { (tr.t("public-invitation-only")) }
                        }
                    }
                }
                div.home-side {
                    section.card aria-labelledby="public-events" {
                        h2 #public-events { (tr.t("public-events")) }
                        @if page.events.is_empty() {
                            p.empty { (tr.t("public-events-none")) }
                        } @else {
                            ul.home-list.home-events { @for listing in &page.events { (event_line(tr, slug, listing)) } }
                        }
                        p.meta { a href={"/p/" (slug) "/events.ics"} { (tr.t("public-events-feed")) } }
                    }
                    section.card aria-labelledby="public-news" {
                        h2 #public-news { (tr.t("public-news")) }
                        @if page.news.is_empty() {
                            p.empty { (tr.t("public-news-none")) }
                        } @else {
                            ul.home-list {
                                @for post in &page.news {
                                    li {
                                        a.home-item-title href={"/p/" (slug) "/news/" (post.id)} { (post.title) }
                                        p.meta { (when(post.created_at_ms)) }
                                    }
                                }
                            }
                        }
                        p.meta { a href={"/p/" (slug) "/news.atom"} { (tr.t("public-news-feed")) } }
                    }
                    section.card aria-labelledby="public-listings" {
                        h2 #public-listings { (tr.t("public-listings")) }
                        @if page.listings.is_empty() {
                            p.empty { (tr.t("public-listings-none")) }
                        } @else {
                            ul.home-list { @for listing in &page.listings { (listing_line(tr, slug, listing, &page.people)) } }
                        }
                        p.meta { a href={"/p/" (slug) "/listings.atom"} { (tr.t("public-listings-feed")) } }
                    }
                    (published_heads(tr, &page.heads))
                }
            }
        },
    )
}

/// A news post shared publicly (the circle speaks; no author is named).
pub fn public_news_page(
    v: &Visitor,
    circle_name: &str,
    slug: &str,
    post: &NewsRow,
    photos: &[crate::db::news_photos::NewsPhoto],
) -> Markup {
    let tr = &v.tr;
    layout(
        v,
        None,
        &post.title,
        html! {
            p { a href={"/p/" (slug)} { "← " (circle_name) } }
            article.card.news-post {
                p.meta { (circle_name) " · " (when(post.created_at_ms)) }
                h1 { (post.title) }
                (markdown(&post.body))
                @if !photos.is_empty() {
                    ul.news-photos {
                        @for photo in photos {
                            li { img src={"/p/" (slug) "/news/" (post.id) "/photos/" (photo.id) ".jpg"} alt=(photo.alt) loading="lazy"; }
                        }
                    }
                }
            }
            p.meta { (tr.t("public-shared-by-circle")) }
        },
    )
}

/// A listing shared publicly.
pub fn public_listing_page(
    v: &Visitor,
    circle_name: &str,
    slug: &str,
    listing: &Listing,
    author: Option<&PublicPerson>,
    open_to_requests: bool,
) -> Markup {
    let tr = &v.tr;
    layout(
        v,
        None,
        &listing.title,
        html! {
            p { a href={"/p/" (slug)} { "← " (circle_name) } }
            article.card {
                p.meta {
                    span.badge { (tr.t(if listing.side == Side::Offer { "market-side-offer" } else { "market-side-need" })) }
                    " " (circle_name)
                    @if let Some(person) = author {
                        " · " a href={"/p/" (slug) "/people/" (person.username)} { (person.display_name) }
                    }
                }
                h1 { (listing.title) }
                @if let Some(event) = &listing.event {
                    p.lead {
                        (crate::views::ago::wall_event(event.starts.as_ms())) "–" (event.ends.clock())
                        @if !event.place.is_empty() && !event.online { " · " (event.place) }
                    }
                }
                (markdown(&listing.description))
            }
            p { (tr.t(if open_to_requests { "public-listing-join" } else { "public-invitation-only" })) }
            @if open_to_requests {
                p { a.button href={"/ask/" (slug)} { (tr.ta("public-ask", &[("circle", circle_name)])) } }
            }
        },
    )
}

/// A member's public profile (they chose it).
pub fn public_profile_page(
    v: &Visitor,
    circle_name: &str,
    slug: &str,
    profile: &PublicProfile,
) -> Markup {
    let tr = &v.tr;
    let person = &profile.person;
    layout(
        v,
        None,
        &person.display_name,
        html! {
            p { a href={"/p/" (slug)} { "← " (circle_name) } }
            section.card.profile {
                div.profile-head {
                    (art::avatar(&person.username, &person.display_name, 96))
                    div {
                        h1 { (person.display_name) }
                        p.meta { (tr.ta("public-member-of", &[("circle", circle_name)])) }
                    }
                }
                @if !profile.bio.is_empty() { p { (profile.bio) } }
                @if !profile.ask_me_about.is_empty() {
                    p { strong { (tr.t("profile-ask-me-about")) } " " (profile.ask_me_about) }
                }
                @if !profile.skills.is_empty() {
                    h2 { (tr.t("profile-skills")) }
                    ul.chips { @for skill in &profile.skills { li.chip { (skill) } } }
                }
                @if !profile.interests.is_empty() {
                    h2 { (tr.t("profile-interests")) }
                    ul.chips { @for interest in &profile.interests { li.chip { (interest) } } }
                }
            }
            @if !profile.listings.is_empty() {
                section.card aria-labelledby="public-their-listings" {
                    h2 #public-their-listings { (tr.t("public-listings")) }
                    ul.home-list {
                        @for listing in &profile.listings {
                            li { a.home-item-title href={"/p/" (slug) "/listings/" (listing.id)} { (listing.title) } }
                        }
                    }
                }
            }
        },
    )
}

/// The circles with a public page, for the node's front page.
pub fn public_circles_list(
    tr: &Tr,
    circles: &[(commons_ledger::store::CircleInfo, String)],
) -> Markup {
    html! {
        @if !circles.is_empty() {
            section.card aria-labelledby="public-circles" {
                h2 #public-circles { (tr.t("public-circles")) }
                ul.home-list {
                    @for (info, description) in circles {
                        li {
                            a.home-item-title href={"/p/" (info.slug)} { (info.name) }
                            @if !description.is_empty() { p.meta { (description) } }
                        }
                    }
                }
            }
        }
    }
}

/// The stewards' editor of the public page.
pub fn editor_page(
    v: &Visitor,
    nav: &CircleNav,
    enabled: bool,
    texts: &[SectionText],
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("public-editor-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            p.lead { (tr.t("public-editor-lead")) }
            (error_summary(v, errors))
            @if enabled {
                p { a href={"/p/" (nav.slug)} { (tr.t("public-editor-view")) } }
            }
            form method="post" action={"/c/" (nav.slug) "/steward/public"} {
                (csrf_field(v))
                div.field.checkbox {
                    input #enabled type="checkbox" name="enabled" value="on" checked[enabled];
                    label for="enabled" { (tr.t("public-editor-enabled")) }
                }
                p.hint { (tr.t("public-editor-markdown")) }
                @for (code, language) in LANGUAGES {
                    fieldset {
                        legend lang=(code) { (language) }
                        @for section in Section::ALL {
                            @let name = field_name(section, code);
                            @let value = texts.iter().find(|t| t.section == section && t.language == *code).map_or("", |t| t.body.as_str());
                            @let error = errors.for_field(name);
                            div.field.has-error[error.is_some()] {
                                label for=(name) { (tr.t(&format!("public-section-{}", section.as_str()))) }
                                @if let Some(error) = error { p.field-error id={(name) "-error"} { (error) } }
                                textarea id=(name) name=(name) rows="5" lang=(code)
                                    aria-describedby=[error.map(|_| format!("{name}-error"))] { (value) }
                            }
                        }
                    }
                }
                button.button type="submit" { (tr.t("public-editor-save")) }
            }
        },
    )
}

/// The share toggle on a listing's or news post's page, for whoever may share it.
pub fn share_form(v: &Visitor, slug: &str, kind: Shared, item: i64, shared: bool) -> Markup {
    let tr = &v.tr;
    html! {
        form.share-form method="post" action={"/c/" (slug) "/public/share"} {
            (csrf_field(v))
            input type="hidden" name="kind" value=(kind.as_str());
            input type="hidden" name="item" value=(item);
            input type="hidden" name="shared" value=(if shared { "0" } else { "1" });
            p.hint { (tr.t(if shared { "public-shared-yes" } else { "public-shared-no" })) }
            button.button.secondary type="submit" {
                (tr.t(if shared { "public-unshare" } else { "public-share" }))
            }
        }
    }
}
