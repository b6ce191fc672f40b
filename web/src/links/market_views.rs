//! The pages of the market across a link: the linked circles' offers and needs (searched like
//! the circle's own), and one of their listings, with what it costs in the member's unit and a
//! way to pay or ask its author across the link.

use maud::{html, Markup, PreEscaped};

use crate::http::session::Visitor;
use crate::links::market::ListingAcross;
use crate::market::views::{kind_label, market_tabs, side_label, url_encode, value_text};
use crate::views::{csrf_field, error_summary, layout, CircleNav, Field, FormErrors, Unit};
use commons_market::listing::{Side, Value};

/// What the page shows: the question, the listings found, and circles that could not answer.
#[derive(Debug)]
pub struct AcrossPage<'a> {
    pub q: &'a str,
    pub listings: &'a [ListingAcross],
    pub unreachable: &'a [String],
    /// The names of the circles whose markets the member sees (none: nothing shared).
    pub circles: &'a [String],
    pub unit: &'a Unit,
}

fn unit_there(listing: &ListingAcross) -> Unit {
    Unit {
        decimals: listing.circle.decimals,
        symbol: listing.circle.unit_symbol.clone(),
        name: listing.circle.unit_name.clone(),
    }
}

/// Its value in its circle's unit, and (when it has an amount) about what in the member's.
fn value_both(v: &Visitor, unit: &Unit, listing: &ListingAcross) -> String {
    let there = value_text(&v.tr, &unit_there(listing), listing.value);
    match (listing.value, listing.value_here_minor) {
        (Value::Fixed { .. } | Value::PerHour { .. }, Some(here)) => v.tr.ta(
            "across-value",
            &[("there", &there), ("here", &unit.money(here))],
        ),
        _ => there,
    }
}

pub fn listing_across_href(slug: &str, listing: &ListingAcross) -> String {
    format!(
        "/c/{slug}/market/across/{}/{}",
        listing.circle.circle_id.to_hex(),
        listing.id
    )
}

pub fn across_page(v: &Visitor, nav: &CircleNav, p: &AcrossPage<'_>) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let title = tr.t("across-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            (market_tabs(v, slug, "browse"))
            @if p.circles.is_empty() {
                p { (tr.t("across-none")) }
            } @else {
                p.lead { (tr.ta("across-lead", &[("circles", &p.circles.join(", "))])) }
                form.search-form method="get" action={"/c/" (slug) "/market/across"} role="search" {
                    div.search-row {
                        div.field.grow {
                            label for="q" { (tr.t("market-search-label")) }
                            input #q type="search" name="q" value=(p.q) autocomplete="off";
                        }
                        div.field { button.button type="submit" { (tr.t("market-search")) } }
                    }
                }
                @for name in p.unreachable {
                    p.notice role="status" { (tr.ta("across-unreachable", &[("circle", name)])) }
                }
                h2.visually-hidden { (tr.t("market-results")) }
                @if p.listings.is_empty() {
                    p.empty { (tr.t("across-nothing")) }
                } @else {
                    ul.listing-list {
                        @for listing in p.listings {
                            li.listing-card {
                                div.listing-card-body {
                                    p.listing-meta {
                                        span.badge.side-offer[listing.side == Side::Offer].side-need[listing.side == Side::Need] { (side_label(tr, listing.side)) }
                                        " "
                                        span.badge.muted { (kind_label(tr, listing.kind)) }
                                        " "
                                        span.badge.circle-badge { (listing.circle.name) }
                                    }
                                    h3.listing-title lang=(listing.language.code()) { a href=(listing_across_href(slug, listing)) { (listing.title) } }
                                    p.listing-facts { (value_both(v, p.unit, listing)) }
                                    p.hint { (tr.ta("market-by", &[("name", &listing.author_name)])) }
                                }
                            }
                        }
                    }
                }
                p { a href={"/c/" (slug) "/market?q=" (url_encode(p.q))} { (tr.t("across-back")) } }
            }
        },
    )
}

/// One listing of a linked circle: what, from whom and where, its value in both units, and
/// paying its author (an offer) or asking them to pay (a need) across the link.
pub fn listing_across_page(
    v: &Visitor,
    nav: &CircleNav,
    unit: &Unit,
    listing: &ListingAcross,
    my_deal: Option<i64>,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let circle = url_encode(&listing.circle.reference);
    let member = url_encode(&listing.author_username);
    let amount = listing
        .value_here_minor
        .filter(|_| matches!(listing.value, Value::Fixed { .. }))
        .map(|minor| unit.number(minor))
        .unwrap_or_default();
    let (action, label) = match listing.side {
        Side::Offer => (
            "pay/across",
            tr.ta("across-pay", &[("name", &listing.author_name)]),
        ),
        Side::Need => (
            "request/across",
            tr.ta("across-ask", &[("name", &listing.author_name)]),
        ),
    };
    let description = commons_market::markdown::render(&listing.description);
    layout(
        v,
        Some(nav),
        &listing.title,
        html! {
            article.card lang=(listing.language.code()) {
                p.listing-meta {
                    span.badge.side-offer[listing.side == Side::Offer].side-need[listing.side == Side::Need] { (side_label(tr, listing.side)) }
                    " "
                    span.badge.muted { (kind_label(tr, listing.kind)) }
                }
                h1 { (listing.title) }
                dl.facts {
                    dt { (tr.t("across-circle")) }
                    dd { (listing.circle.name) }
                    dt { (tr.t("across-author")) }
                    dd { (listing.author_name) " (@" (listing.author_username) ")" }
                    dt { (tr.t("across-value-label")) }
                    dd { (value_both(v, unit, listing)) }
                }
                div.listing-description { (PreEscaped(description)) }
                p.hint { (tr.t("across-rate-hint")) }
                (error_summary(v, errors))
                form method="post" action={"/c/" (slug) "/market/across/" (listing.circle.circle_id.to_hex()) "/" (listing.id) "/deal"} {
                    (csrf_field(v))
                    (Field::new("message", tr.t("deal-first-message"), "textarea", "").optional().render(errors))
                    button.button type="submit" {
                        (tr.t(if listing.side == Side::Need { "deal-can-help" } else { "deal-interested" }))
                    }
                }
                p.hint { (tr.t("across-deal-hint")) }
                @if let Some(deal) = my_deal {
                    p { a href={"/c/" (slug) "/deals/across/" (deal)} { (tr.t("deal-open-yours")) } }
                }
                p {
                    a.button.secondary href={"/c/" (slug) "/" (action) "?circle=" (circle) "&member=" (member) "&amount=" (amount)} { (label) }
                }
            }
            p { a href={"/c/" (slug) "/market/across"} { (tr.t("across-title")) } }
        },
    )
}
