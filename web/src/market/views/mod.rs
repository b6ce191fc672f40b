//! Views of a circle's market: browsing and searching, a listing, the listing form, one's own
//! listings, matches and trade cycles, deals and their conversations, the events calendar,
//! notifications, and the stewards' category tree.

use commons_market::category::{Category, Tree};
use commons_market::deal;
use commons_market::event::{LocalTime, Place, Rsvp};
use commons_market::index::Page;
use commons_market::listing::{Kind, Side, Status, Value, ValueKind};
use commons_market::matching::Match;
use commons_market::store::{Listing, Message, PhotoInfo, Thanks};
use maud::{html, Markup, PreEscaped};

use crate::db::Person;
use crate::http::session::Visitor;
use crate::i18n::Tr;
use crate::market::{CycleStep, DealCard, ListingCard, ListingInput};
use crate::views::Unit;
use crate::views::{csrf_field, error_summary, layout, CircleNav, Field, FormErrors};

mod deals;
mod events;
mod listings;

pub use deals::*;
pub use events::*;
pub use listings::*;

/// The label of a category: the circle's own, else the catalogue's.
pub fn category_label(tr: &Tr, tree: &Tree, path: &str) -> String {
    match tree.get(path) {
        Some(Category {
            label: Some(label), ..
        }) => label.clone(),
        Some(category) => tr.t(&category.message_id()),
        None => tr.t("category-other"),
    }
}

pub(crate) fn side_label(tr: &Tr, side: Side) -> String {
    tr.t(match side {
        Side::Offer => "market-side-offer",
        Side::Need => "market-side-need",
    })
}

pub(crate) fn kind_label(tr: &Tr, kind: Kind) -> String {
    tr.t(&format!("market-kind-{}", kind.as_str()))
}

/// "3.00 h", "2.00 h per hour", "by agreement", "gift".
pub fn value_text(tr: &Tr, unit: &Unit, value: Value) -> String {
    match value {
        Value::Fixed { amount_minor } => unit.money(amount_minor),
        Value::PerHour { amount_minor } => tr.ta(
            "market-value-per-hour-amount",
            &[("amount", &unit.money(amount_minor))],
        ),
        Value::ByAgreement => tr.t("market-value-by_agreement"),
        Value::Gift => tr.t("market-value-gift"),
    }
}

fn listing_href(slug: &str, id: i64) -> String {
    format!("/c/{slug}/market/{id}")
}

fn photo_href(slug: &str, listing: i64, photo: i64, thumb: bool) -> String {
    let size = if thumb { "thumb" } else { "full" };
    format!("/c/{slug}/market/{listing}/photos/{photo}/{size}.jpg")
}

/// The market's sub-navigation: browse, events, matches, my listings, deals, new.
pub(crate) fn market_tabs(v: &Visitor, slug: &str, current: &str) -> Markup {
    let tr = &v.tr;
    let items = [
        (
            "browse",
            format!("/c/{slug}/market"),
            tr.t("market-tab-browse"),
        ),
        (
            "events",
            format!("/c/{slug}/events"),
            tr.t("market-tab-events"),
        ),
        (
            "matches",
            format!("/c/{slug}/market/matches"),
            tr.t("market-tab-matches"),
        ),
        (
            "mine",
            format!("/c/{slug}/market/mine"),
            tr.t("market-tab-mine"),
        ),
        (
            "deals",
            format!("/c/{slug}/deals"),
            tr.t("market-tab-deals"),
        ),
    ];
    html! {
        nav.tabs aria-label=(tr.t("market-tabs")) {
            ul {
                @for (key, href, label) in &items {
                    li {
                        @if *key == current {
                            a href=(href) aria-current="page" { (label) }
                        } @else {
                            a href=(href) { (label) }
                        }
                    }
                }
            }
            a.button.small href={"/c/" (slug) "/market/new"} { (tr.t("market-new")) }
        }
    }
}

fn status_badge(tr: &Tr, listing: &Listing, now_ms: i64) -> Markup {
    let key = if listing.status == Status::Active && listing.expires_at_ms <= now_ms {
        Some("market-status-expired")
    } else {
        match listing.status {
            Status::Active => None,
            Status::Paused => Some("market-status-paused"),
            Status::Closed => Some("market-status-closed"),
        }
    };
    html! {
        @if let Some(key) = key { span.badge.muted { (tr.t(key)) } }
    }
}

/// One listing as a card in a list.
fn listing_card(
    v: &Visitor,
    slug: &str,
    tree: &Tree,
    unit: &Unit,
    card: &ListingCard,
    now_ms: i64,
) -> Markup {
    let tr = &v.tr;
    let l = &card.listing;
    html! {
        li.listing-card {
            @if let Some(photo) = &card.photo {
                img.listing-thumb src=(photo_href(slug, l.id, photo.id, true)) alt=(photo.alt)
                    width="96" height="96" loading="lazy";
            }
            div.listing-card-body {
                p.listing-meta {
                    span.badge.side-offer[l.side == Side::Offer].side-need[l.side == Side::Need] { (side_label(tr, l.side)) }
                    " "
                    span.badge.muted { (kind_label(tr, l.kind)) }
                    " "
                    (status_badge(tr, l, now_ms))
                }
                h3.listing-title { a href=(listing_href(slug, l.id)) { (l.title) } }
                p.listing-facts {
                    (category_label(tr, tree, &l.category))
                    " · " (value_text(tr, unit, l.value))
                    @if !l.area.is_empty() { " · " (l.area) }
                    @if let Some(event) = &l.event {
                        " · " (event.starts.date()) " " (event.starts.clock())
                    }
                }
                @if let Some(author) = &card.author {
                    p.hint { (tr.ta("market-by", &[("name", &author.display_name)])) }
                }
            }
        }
    }
}

/// What the browse page was asked for.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct MarketQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub side: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub page: Option<usize>,
}

#[derive(Debug)]
pub struct MarketPage<'a> {
    pub query: &'a MarketQuery,
    pub page: &'a Page,
    pub cards: &'a [ListingCard],
    pub tree: &'a Tree,
    pub unit: &'a Unit,
    pub per_page: usize,
    pub now_ms: i64,
    /// The linked circles whose markets the member sees too.
    pub linked: &'a [String],
}

fn select_options(selected: &str, options: &[(String, String)]) -> Markup {
    html! {
        @for (value, label) in options {
            option value=(value) selected[value == selected] { (label) }
        }
    }
}

fn category_options(tr: &Tr, tree: &Tree, any: Option<String>) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = any
        .into_iter()
        .map(|label| (String::new(), label))
        .collect();
    for category in tree.categories() {
        let label = category_label(tr, tree, &category.path);
        let label = if category.is_leaf() {
            format!("— {label}")
        } else {
            label
        };
        options.push((category.path.clone(), label));
    }
    options
}

/// Percent-encodes a query value.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn categories_page(v: &Visitor, nav: &CircleNav, text: &str, errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    let title = tr.t("categories-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            (error_summary(v, errors))
            form.card method="post" action={"/c/" (nav.slug) "/steward/categories"} {
                (csrf_field(v))
                (Field::new("tree", tr.t("categories-field"), "textarea", text)
                    .hint(tr.t("categories-hint")).render(errors))
                button.button type="submit" { (tr.t("categories-save")) }
            }
        },
    )
}

/// The listings and thank-yous on a member's page.
pub fn member_market(
    v: &Visitor,
    slug: &str,
    listings: &[Listing],
    thanks: &[Thanks],
    completed_deals: usize,
    names: &dyn Fn(i64) -> String,
    unit: &Unit,
) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="member-listings-title" {
            h2 #member-listings-title { (tr.t("member-listings")) }
            @if listings.is_empty() {
                p.empty { (tr.t("member-listings-none")) }
            } @else {
                ul.plain-list {
                    @for l in listings {
                        li {
                            span.badge { (side_label(tr, l.side)) } " "
                            a href=(listing_href(slug, l.id)) { (l.title) }
                            " · " (value_text(tr, unit, l.value))
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="member-thanks-title" {
            h2 #member-thanks-title { (tr.t("member-thanks")) }
            p.hint { (tr.tn("member-deals-completed", completed_deals as i64)) }
            @if thanks.is_empty() {
                p.empty { (tr.t("member-thanks-none")) }
            }
            @for t in thanks {
                blockquote.thanks {
                    p { (t.body) }
                    footer { "— " (names(t.author)) ", " (tr.ta("member-thanks-for", &[("title", &t.listing_title)])) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::notifications::NotificationKind;
    use commons_market::category::Tree;
    use commons_market::deal;
    use commons_market::event::Place;
    use commons_market::listing::{Kind, Status, ValueKind};

    use crate::i18n::Catalogues;

    /// Ids the views build from values (`market-kind-{kind}`...), which the source scan of the
    /// catalogue test cannot see.
    #[test]
    fn every_id_built_from_a_value_is_in_the_catalogue() {
        let english: BTreeSet<String> = Catalogues::ids("en").into_iter().collect();
        let mut built: Vec<String> = Vec::new();
        built.extend(
            Kind::ALL
                .iter()
                .map(|k| format!("market-kind-{}", k.as_str())),
        );
        built.extend(
            ValueKind::ALL
                .iter()
                .map(|k| format!("market-value-{}", k.as_str())),
        );
        built.extend(
            Status::ALL
                .iter()
                .map(|s| format!("flash-listing-{}", s.as_str())),
        );
        built.extend(NotificationKind::ALL.iter().flat_map(|k| {
            [
                format!("notification-{}", k.as_str()),
                format!("notification-kind-{}", k.as_str()),
            ]
        }));
        built.extend(Tree::default().categories().iter().map(|c| c.message_id()));
        built.extend(
            [Place::Going, Place::Maybe, Place::Waiting]
                .iter()
                .map(|p| format!("event-you-{}", p.as_str())),
        );
        built.extend(
            [
                deal::Status::Open,
                deal::Status::Proposed,
                deal::Status::Agreed,
                deal::Status::Completed,
                deal::Status::Cancelled,
            ]
            .iter()
            .map(|s| format!("deal-status-{}", s.as_str())),
        );
        let missing: Vec<&String> = built.iter().filter(|id| !english.contains(*id)).collect();
        assert!(
            missing.is_empty(),
            "missing from the catalogue: {missing:?}"
        );
    }
}
