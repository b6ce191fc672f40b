//! The circle's home page: what is happening first (news, events, new offers and needs,
//! decisions, new members), the member's money smaller at the side. Each empty section invites
//! the first step.

use commons_market::listing::Side;
use maud::{html, Markup, PreEscaped};

use crate::home::service::{Pulse, WaitingForYou};
use crate::http::session::Visitor;
use crate::i18n::Tr;
use crate::ledger::views::{money_card, requests_section, HomeView};
use crate::market::service::ListingCard;
use crate::onboarding::rules::FirstSteps;
use crate::onboarding::views::first_steps_card;
use crate::views::art::{avatar, scene, Scene};
use crate::views::{layout, CircleNav};

/// The parts of the home that are the circle's, the same for every reader who sees the same
/// items: the main column and the side's decisions and newcomers (rendered once, remembered).
pub fn circle_sections(tr: &Tr, slug: &str, pulse: &Pulse) -> (String, String) {
    let main = html! {
        (news_section(tr, slug, pulse))
        (discussions_section(tr, slug, pulse))
        (events_section(tr, slug, pulse))
        (listings_section(tr, slug, pulse))
    };
    let side = html! {
        (decisions_section(tr, slug, pulse))
        (newcomers_section(tr, slug, pulse))
    };
    (main.into_string(), side.into_string())
}

/// The home page: the circle's sections (already rendered) around the reader's own parts.
pub fn home_page(
    v: &Visitor,
    nav: &CircleNav,
    may_post_news: bool,
    sections: &(String, String),
    money: &HomeView,
    first_steps: Option<&FirstSteps>,
    waiting: Option<WaitingForYou>,
) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let has_requests = !money.to_pay.is_empty() || !money.awaiting.is_empty();
    layout(
        v,
        Some(nav),
        &nav.name,
        html! {
            div.home-hero {
                h1 { (nav.name) }
                p.lead { (tr.ta("home-greeting", &[("name", &v.user.as_ref().map(|u| u.display_name.clone()).unwrap_or_default())])) }
                p.hero-actions {
                    a.button href={"/c/" (slug) "/market/new"} { (tr.t("home-act-offer")) }
                    a.button.secondary href={"/c/" (slug) "/pay"} { (tr.t("nav-pay")) }
                    @if may_post_news {
                        a.button.secondary href={"/c/" (slug) "/news/new"} { (tr.t("news-new")) }
                    }
                }
            }
            // On a phone the money comes first; on a wide screen it heads the side column.
            div.home-layout {
                div.home-money {
                    (money_card(v, slug, money))
                    @if has_requests { (requests_section(v, slug, money)) }
                }
                div.home-main {
                    @if let Some(waiting) = waiting { (waiting_card(tr, slug, waiting)) }
                    @if let Some(steps) = first_steps { (first_steps_card(tr, slug, steps)) }
                    (PreEscaped(&sections.0))
                }
                div.home-side {
                    (PreEscaped(&sections.1))
                }
            }
        },
    )
}

/// What waits for a steward's or a moderator's decision, each with where to decide it.
fn waiting_card(tr: &Tr, slug: &str, waiting: WaitingForYou) -> Markup {
    html! {
        section.card.waiting aria-labelledby="waiting-title" {
            h2 #waiting-title { (tr.t("home-waiting-title")) }
            ul.plain-list {
                @if waiting.joins > 0 {
                    li { a href={"/c/" (slug) "/steward#pending-title"} { (tr.tn("home-waiting-joins", waiting.joins)) } }
                }
                @if waiting.cases > 0 {
                    li { a href={"/c/" (slug) "/moderation/queue"} { (tr.tn("home-waiting-cases", waiting.cases)) } }
                }
            }
        }
    }
}

/// An empty section: a drawing, a sentence, and the first thing to do.
fn empty_state(picture: Scene, text: String, action: Option<(String, String)>) -> Markup {
    html! {
        div.empty-state {
            (scene(picture))
            p { (text) }
            @if let Some((href, label)) = action {
                a.button.small.secondary href=(href) { (label) }
            }
        }
    }
}

fn section_head(id: &str, title: String, all: Option<(String, String)>) -> Markup {
    html! {
        div.section-head {
            h2 id=(id) { (title) }
            @if let Some((href, label)) = all { a href=(href) { (label) } }
        }
    }
}

fn news_section(tr: &Tr, slug: &str, pulse: &Pulse) -> Markup {
    html! {
        section.card aria-labelledby="home-news" {
            (section_head("home-news", tr.t("home-news"), Some((format!("/c/{slug}/news"), tr.t("home-news-all")))))
            @if pulse.news.is_empty() {
                (empty_state(Scene::News, tr.t("home-news-none"),
                    pulse.may_post_news.then(|| (format!("/c/{slug}/news/new"), tr.t("home-news-first")))))
            } @else {
                ul.home-list {
                    @for post in &pulse.news {
                        li {
                            a.home-item-title href={"/c/" (slug) "/news/" (post.id)} { (post.title) }
                            p.meta {
                                @if post.pinned { span.badge { (tr.t("news-pinned")) } " " }
                                (post.author_name) " · " (crate::views::ago::date(post.created_at_ms))
                                @if post.comment_count > 0 { " · " (tr.tn("news-comments-count", post.comment_count)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn discussions_section(tr: &Tr, slug: &str, pulse: &Pulse) -> Markup {
    html! {
        section.card aria-labelledby="home-discussions" {
            (section_head("home-discussions", tr.t("home-discussions"), Some((format!("/c/{slug}/discussions"), tr.t("home-discussions-all")))))
            @if pulse.discussions.is_empty() {
                (empty_state(Scene::Talk, tr.t("home-discussions-none"),
                    Some((format!("/c/{slug}/discussions/new"), tr.t("discussion-start")))))
            } @else {
                ul.home-list {
                    @for t in &pulse.discussions {
                        li {
                            a.home-item-title href={"/c/" (slug) "/discussions/" (t.id)} { (t.title) }
                            p.meta {
                                (t.author_name) " · " (tr.tn("discussion-replies-count", t.reply_count)) " · "
                                (tr.ta("discussion-active", &[("when", &crate::views::ago::date(t.active_at_ms))]))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A calendar leaf: the day of the month over the month's short name.
pub(crate) fn date_leaf(tr: &Tr, date: &str) -> Markup {
    let mut parts = date.split('-').skip(1);
    let month = parts.next().unwrap_or("1").trim_start_matches('0');
    let day = parts.next().unwrap_or("1").trim_start_matches('0');
    html! {
        span.date-leaf aria-hidden="true" {
            span.date-leaf-day { (day) }
            span.date-leaf-month { (tr.t(&format!("month-short-{month}"))) }
        }
    }
}

fn events_section(tr: &Tr, slug: &str, pulse: &Pulse) -> Markup {
    html! {
        section.card aria-labelledby="home-events" {
            (section_head("home-events", tr.t("home-events"), Some((format!("/c/{slug}/events"), tr.t("home-events-all")))))
            @if pulse.events.is_empty() {
                (empty_state(Scene::Events, tr.t("home-events-none"),
                    Some((format!("/c/{slug}/market/new?kind=event"), tr.t("home-events-first")))))
            } @else {
                ul.home-list.home-events {
                    @for card in &pulse.events {
                        @if let Some(event) = &card.listing.event {
                            li {
                                (date_leaf(tr, &event.starts.date()))
                                div {
                                    a.home-item-title href={"/c/" (slug) "/market/" (card.listing.id)} { (card.listing.title) }
                                    p.meta {
                                        (crate::views::ago::wall_event(event.starts.as_ms()))
                                        @if !event.place.is_empty() { " · " (event.place) }
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

fn listing_item(tr: &Tr, slug: &str, card: &ListingCard) -> Markup {
    let l = &card.listing;
    html! {
        li.home-listing {
            span.badge.side-offer[l.side == Side::Offer].side-need[l.side == Side::Need] {
                (tr.t(if l.side == Side::Offer { "market-side-offer" } else { "market-side-need" }))
            }
            a.home-item-title href={"/c/" (slug) "/market/" (l.id)} { (l.title) }
            @if let Some(author) = &card.author {
                p.meta.person-line {
                    (avatar(&author.username, &author.display_name, 24))
                    (author.display_name)
                }
            }
        }
    }
}

fn listings_section(tr: &Tr, slug: &str, pulse: &Pulse) -> Markup {
    html! {
        section.card aria-labelledby="home-market" {
            (section_head("home-market", tr.t("home-market"), Some((format!("/c/{slug}/market"), tr.t("home-market-all")))))
            @if pulse.listings.is_empty() {
                (empty_state(Scene::Market, tr.t("home-market-none"),
                    Some((format!("/c/{slug}/market/new"), tr.t("home-market-first")))))
            } @else {
                ul.home-listings {
                    @for card in &pulse.listings { (listing_item(tr, slug, card)) }
                }
            }
        }
    }
}

fn decisions_section(tr: &Tr, slug: &str, pulse: &Pulse) -> Markup {
    html! {
        section.card aria-labelledby="home-decisions" {
            (section_head("home-decisions", tr.t("home-decisions"), Some((format!("/c/{slug}/proposals"), tr.t("home-decisions-all")))))
            @if pulse.voting.is_empty() && pulse.discussing.is_empty() {
                (empty_state(Scene::Decisions, tr.t("home-decisions-none"),
                    Some((format!("/c/{slug}/proposals/new"), tr.t("home-decisions-first")))))
            }
            @if !pulse.voting.is_empty() {
                h3 { (tr.t("home-decisions-voting")) }
                ul.home-list {
                    @for (p, closes_ms) in &pulse.voting {
                        li {
                            a.home-item-title href={"/c/" (slug) "/proposals/" (p.number)} { "#" (p.number) " " (crate::governance::titles::shown(tr, &p.draft.title)) }
                            p.meta { (tr.ta("proposals-closes", &[("when", &crate::views::ago::date(*closes_ms))])) }
                        }
                    }
                }
            }
            @if !pulse.discussing.is_empty() {
                h3 { (tr.t("home-decisions-discussing")) }
                ul.home-list {
                    @for p in &pulse.discussing {
                        li {
                            a.home-item-title href={"/c/" (slug) "/proposals/" (p.number)} { "#" (p.number) " " (crate::governance::titles::shown(tr, &p.draft.title)) }
                        }
                    }
                }
            }
        }
    }
}

fn newcomers_section(tr: &Tr, slug: &str, pulse: &Pulse) -> Markup {
    html! {
        section.card aria-labelledby="home-newcomers" {
            (section_head("home-newcomers", tr.t("home-newcomers"), Some((format!("/c/{slug}/members"), tr.t("home-newcomers-all")))))
            @if pulse.newcomers.is_empty() {
                (empty_state(Scene::People, tr.t("home-newcomers-none"),
                    Some((format!("/c/{slug}/members"), tr.t("home-newcomers-first")))))
            } @else {
                p.hint { (tr.t("home-newcomers-hint")) }
                ul.people-list {
                    @for (person, joined_ms) in &pulse.newcomers {
                        li {
                            (avatar(&person.username, &person.display_name, 40))
                            div {
                                a href={"/c/" (slug) "/members/" (person.username)} { (person.display_name) }
                                p.meta { (tr.ta("home-joined", &[("when", &crate::views::ago::date(*joined_ms))])) }
                            }
                        }
                    }
                }
            }
        }
    }
}
