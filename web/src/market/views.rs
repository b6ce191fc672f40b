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
use crate::views::{csrf_field, error_summary, layout, when, CircleNav, Field, FormErrors};

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

fn side_label(tr: &Tr, side: Side) -> String {
    tr.t(match side {
        Side::Offer => "market-side-offer",
        Side::Need => "market-side-need",
    })
}

fn kind_label(tr: &Tr, kind: Kind) -> String {
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
fn market_tabs(v: &Visitor, slug: &str, current: &str) -> Markup {
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

pub fn market_page(v: &Visitor, nav: &CircleNav, m: &MarketPage) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let q = m.query;
    let page_number = q.page.unwrap_or(1).max(1);
    let pages = m.page.total.div_ceil(m.per_page).max(1);
    let link = |page: usize| {
        let mut parts = vec![format!("page={page}")];
        for (key, value) in [
            ("q", &q.q),
            ("side", &q.side),
            ("kind", &q.kind),
            ("category", &q.category),
            ("area", &q.area),
        ] {
            if !value.is_empty() {
                parts.push(format!("{key}={}", url_encode(value)));
            }
        }
        format!("/c/{slug}/market?{}", parts.join("&"))
    };
    let sides = [
        (String::new(), tr.t("market-filter-any-side")),
        ("offer".into(), tr.t("market-side-offers")),
        ("need".into(), tr.t("market-side-needs")),
    ];
    let mut kinds = vec![(String::new(), tr.t("market-filter-any-kind"))];
    kinds.extend(
        Kind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), kind_label(tr, *k))),
    );
    let title = tr.t("market-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            (market_tabs(v, slug, "browse"))
            form.search-form.market-search method="get" action={"/c/" (slug) "/market"} role="search" {
                div.field.grow {
                    label for="q" { (tr.t("market-search-label")) }
                    input #q type="search" name="q" value=(q.q) autocomplete="off";
                }
                div.field {
                    label for="side" { (tr.t("market-filter-side")) }
                    select #side name="side" { (select_options(&q.side, &sides)) }
                }
                div.field {
                    label for="kind" { (tr.t("market-filter-kind")) }
                    select #kind name="kind" { (select_options(&q.kind, &kinds)) }
                }
                div.field {
                    label for="category" { (tr.t("market-filter-category")) }
                    select #category name="category" {
                        (select_options(&q.category, &category_options(tr, m.tree, Some(tr.t("market-filter-any-category")))))
                    }
                }
                div.field {
                    label for="area" { (tr.t("market-filter-area")) }
                    input #area type="text" name="area" value=(q.area);
                }
                div.field { button.button type="submit" { (tr.t("market-search")) } }
            }
            p role="status" {
                @if q.q.trim().is_empty() {
                    (tr.ta("market-count", &[("count", &m.page.total.to_string())]))
                } @else {
                    (tr.ta("market-found", &[("count", &m.page.total.to_string()), ("query", q.q.trim())]))
                }
            }
            h2.visually-hidden { (tr.t("market-results")) }
            @if m.cards.is_empty() {
                p.empty { (tr.t("market-none")) }
            } @else {
                ul.listing-list {
                    @for card in m.cards { (listing_card(v, slug, m.tree, m.unit, card, m.now_ms)) }
                }
            }
            @if pages > 1 {
                nav.pager aria-label=(tr.t("pager-label")) {
                    @if page_number > 1 { a href=(link(page_number - 1)) rel="prev" { (tr.t("market-page-previous")) } }
                    span { (tr.ta("market-page-position", &[("page", &page_number.to_string()), ("pages", &pages.to_string())])) }
                    @if page_number < pages { a href=(link(page_number + 1)) rel="next" { (tr.t("market-page-next")) } }
                }
            }
        },
    )
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

/// The listing form, new (`editing` None) or editing a listing.
#[derive(Debug)]
pub struct ListingFormPage<'a> {
    pub input: &'a ListingInput,
    pub editing: Option<i64>,
    pub tree: &'a Tree,
    pub unit: &'a Unit,
}

fn radio_group(
    name: &'static str,
    legend: &str,
    selected: &str,
    options: &[(String, String)],
    errors: &FormErrors,
) -> Markup {
    let error = errors.for_field(name);
    html! {
        fieldset.radio-group #(name) aria-describedby=[error.map(|_| format!("{name}-error"))] {
            legend { (legend) }
            @if let Some(error) = error { p.field-error id={(name) "-error"} { (error) } }
            div.radios {
                @for (index, (value, label)) in options.iter().enumerate() {
                    @let id = format!("{name}-{index}");
                    div.radio {
                        input type="radio" id=(id) name=(name) value=(value) checked[value == selected] required;
                        label for=(id) { (label) }
                    }
                }
            }
        }
    }
}

pub fn listing_form_page(
    v: &Visitor,
    nav: &CircleNav,
    f: &ListingFormPage,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let input = f.input;
    let title = tr.t(if f.editing.is_some() {
        "market-edit-title"
    } else {
        "market-new-title"
    });
    let action = match f.editing {
        Some(id) => format!("/c/{slug}/market/{id}/edit"),
        None => format!("/c/{slug}/market/new"),
    };
    let sides = [
        ("offer".to_string(), tr.t("market-side-offer-long")),
        ("need".to_string(), tr.t("market-side-need-long")),
    ];
    let kinds: Vec<(String, String)> = Kind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), kind_label(tr, *k)))
        .collect();
    let values: Vec<(String, String)> = ValueKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str().to_string(),
                tr.t(&format!("market-value-{}", k.as_str())),
            )
        })
        .collect();
    let category_error = errors.for_field("category");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            (error_summary(v, errors))
            form.card.listing-form method="post" action=(action) novalidate {
                (csrf_field(v))
                (radio_group("side", &tr.t("market-field-side"), &input.side, &sides, errors))
                (radio_group("kind", &tr.t("market-field-kind"), &input.kind, &kinds, errors))
                (Field::new("title", tr.t("market-field-title"), "text", &input.title)
                    .hint(tr.t("market-field-title-hint")).render(errors))
                (Field::new("description", tr.t("market-field-description"), "textarea", &input.description)
                    .hint(tr.t("market-field-description-hint")).optional().render(errors))
                div.field.has-error[category_error.is_some()] {
                    label for="category" { (tr.t("market-field-category")) }
                    @if let Some(error) = category_error { p.field-error id="category-error" { (error) } }
                    select #category name="category" {
                        (select_options(&input.category, &category_options(tr, f.tree, None)))
                    }
                }
                (Field::new("tags", tr.t("market-field-tags"), "text", &input.tags)
                    .hint(tr.t("market-field-tags-hint")).optional().render(errors))
                (Field::new("area", tr.t("market-field-area"), "text", &input.area)
                    .hint(tr.t("market-field-area-hint")).optional().render(errors))
                (Field::new("location", tr.t("market-field-location"), "text", &input.location)
                    .hint(tr.t("market-field-location-hint")).optional().render(errors))
                (radio_group("value_kind", &tr.t("market-field-value"), &input.value_kind, &values, errors))
                (Field::new("amount", tr.ta("market-field-amount", &[("unit", &f.unit.name)]), "text", &input.amount)
                    .hint(tr.t("market-field-amount-hint")).optional().render(errors))
                (Field::new("availability", tr.t("market-field-availability"), "text", &input.availability)
                    .hint(tr.t("market-field-availability-hint")).optional().render(errors))
                (Field::new("expires_in_days", tr.t("market-field-expires"), "number", &input.expires_in_days)
                    .hint(tr.t("market-field-expires-hint")).optional().render(errors))
                fieldset.event-fields {
                    legend { (tr.t("market-event-fields")) }
                    p.hint { (tr.t("market-event-fields-hint")) }
                    (Field::new("starts", tr.t("market-field-starts"), "datetime-local", &input.starts).optional().render(errors))
                    (Field::new("ends", tr.t("market-field-ends"), "datetime-local", &input.ends).optional().render(errors))
                    (Field::new("place", tr.t("market-field-place"), "text", &input.place).optional().render(errors))
                    div.field.checkbox {
                        input #online type="checkbox" name="online" checked[input.online.is_some()];
                        label for="online" { (tr.t("market-field-online")) }
                    }
                    (Field::new("capacity", tr.t("market-field-capacity"), "number", &input.capacity)
                        .hint(tr.t("market-field-capacity-hint")).optional().render(errors))
                }
                p.actions {
                    button.button type="submit" { (tr.t(if f.editing.is_some() { "market-save" } else { "market-publish" })) }
                    a href={"/c/" (slug) "/market"} { (tr.t("cancel")) }
                }
            }
        },
    )
}

/// Everything the listing page shows.
#[derive(Debug)]
pub struct ListingPage<'a> {
    pub card: &'a ListingCard,
    pub description_html: &'a str,
    pub photos: &'a [PhotoInfo],
    pub tree: &'a Tree,
    pub unit: &'a Unit,
    pub is_owner: bool,
    /// The viewer's open deal on it, if any.
    pub my_deal: Option<i64>,
    /// For the owner: the best matches.
    pub matches: &'a [(Match, Listing)],
    pub rsvps: &'a [(Rsvp, Option<Person>)],
    pub my_place: Option<Place>,
    pub now_ms: i64,
    /// The single-use token for the photo form (its owner's page only).
    pub upload_token: Option<String>,
}

pub fn listing_page(v: &Visitor, nav: &CircleNav, p: &ListingPage, errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let l = &p.card.listing;
    let live = l.is_live(p.now_ms);
    let base = listing_href(slug, l.id);
    let going: Vec<&(Rsvp, Option<Person>)> = p
        .rsvps
        .iter()
        .filter(|(r, _)| r.place == Place::Going)
        .collect();
    let waiting: Vec<&(Rsvp, Option<Person>)> = p
        .rsvps
        .iter()
        .filter(|(r, _)| r.place == Place::Waiting)
        .collect();
    let maybe = p
        .rsvps
        .iter()
        .filter(|(r, _)| r.place == Place::Maybe)
        .count();
    layout(
        v,
        Some(nav),
        &l.title,
        html! {
            (market_tabs(v, slug, ""))
            (error_summary(v, errors))
            article.listing {
                p.listing-meta {
                    span.badge.side-offer[l.side == Side::Offer].side-need[l.side == Side::Need] { (side_label(tr, l.side)) }
                    " " span.badge.muted { (kind_label(tr, l.kind)) }
                    " " (status_badge(tr, l, p.now_ms))
                }
                h1 { (l.title) }
                @if !p.photos.is_empty() {
                    ul.photo-strip {
                        @for photo in p.photos {
                            li {
                                a href=(photo_href(slug, l.id, photo.id, false)) {
                                    img src=(photo_href(slug, l.id, photo.id, true)) alt=(photo.alt) loading="lazy";
                                }
                                @if p.is_owner {
                                    form method="post" action={(base) "/photos/" (photo.id) "/delete"} {
                                        (csrf_field(v))
                                        button.link-button type="submit" { (tr.ta("market-photo-delete", &[("alt", &photo.alt)])) }
                                    }
                                }
                            }
                        }
                    }
                }
                div.grid {
                    div.listing-description {
                        @if l.description.trim().is_empty() {
                            p.empty { (tr.t("market-no-description")) }
                        } @else {
                            (PreEscaped(p.description_html))
                        }
                    }
                    section.card aria-labelledby="facts-title" {
                        h2 #facts-title.visually-hidden { (tr.t("market-facts")) }
                        dl.facts {
                            div { dt { (tr.t("market-field-value")) } dd { (value_text(tr, p.unit, l.value)) } }
                            div { dt { (tr.t("market-field-category")) } dd { (category_label(tr, p.tree, &l.category)) } }
                            @if !l.area.is_empty() { div { dt { (tr.t("market-field-area")) } dd { (l.area) } } }
                            @if !l.availability.is_empty() { div { dt { (tr.t("market-field-availability")) } dd { (l.availability) } } }
                            @if !l.tags.is_empty() {
                                div { dt { (tr.t("market-field-tags")) } dd { @for tag in &l.tags { span.tag { (tag) } " " } } }
                            }
                            @if let Some(author) = &p.card.author {
                                div { dt { (tr.t("market-author")) } dd { a href={"/c/" (slug) "/members/" (author.username)} { (author.display_name) } } }
                            }
                            div { dt { (tr.t("market-posted")) } dd { (when(l.created_at_ms)) } }
                            div { dt { (tr.t("market-expires")) } dd { (when(l.expires_at_ms)) } }
                        }
                        @if !p.is_owner && live {
                            form method="post" action={(base) "/deals"} {
                                (csrf_field(v))
                                div.field {
                                    label for="message" { (tr.t("deal-first-message")) }
                                    textarea #message name="message" rows="3" {}
                                }
                                button.button type="submit" {
                                    (tr.t(if l.side == Side::Need { "deal-can-help" } else { "deal-interested" }))
                                }
                            }
                        }
                        @if let Some(deal) = p.my_deal {
                            p { a href={"/c/" (slug) "/deals/" (deal)} { (tr.t("deal-open-yours")) } }
                        }
                    }
                }
                @if let Some(event) = &l.event {
                    section.card.event-card aria-labelledby="event-title" {
                        h2 #event-title { (tr.t("event-title")) }
                        dl.facts {
                            div { dt { (tr.t("market-field-starts")) } dd { (event.starts.date()) " " (event.starts.clock()) } }
                            div { dt { (tr.t("market-field-ends")) } dd { (event.ends.date()) " " (event.ends.clock()) } }
                            div { dt { (tr.t("market-field-place")) } dd {
                                @if event.online { (tr.t("event-online")) " " }
                                (event.place)
                            } }
                            div { dt { (tr.t("event-places")) } dd {
                                @match event.capacity {
                                    Some(capacity) => (tr.ta("event-places-taken", &[("going", &going.len().to_string()), ("capacity", &capacity.to_string())])),
                                    None => (tr.ta("event-going-count", &[("going", &going.len().to_string())])),
                                }
                                @if maybe > 0 { " · " (tr.ta("event-maybe-count", &[("count", &maybe.to_string())])) }
                                @if !waiting.is_empty() { " · " (tr.ta("event-waiting-count", &[("count", &waiting.len().to_string())])) }
                            } }
                        }
                        @if let Some(place) = p.my_place {
                            p.flash role="status" { (tr.t(&format!("event-you-{}", place.as_str()))) }
                        }
                        @if live {
                            form.inline-actions method="post" action={(base) "/rsvp"} {
                                (csrf_field(v))
                                button.button type="submit" name="answer" value="going" { (tr.t("event-answer-going")) }
                                button.button.secondary type="submit" name="answer" value="maybe" { (tr.t("event-answer-maybe")) }
                                @if p.my_place.is_some() {
                                    button.button.secondary type="submit" name="answer" value="not_going" { (tr.t("event-answer-not-going")) }
                                }
                            }
                        }
                        p { a href={(base) "/event.ics"} { (tr.t("event-add-to-calendar")) } }
                        @if !going.is_empty() {
                            h3 { (tr.t("event-who-goes")) }
                            ul.inline-list { @for (_, person) in &going { li { (person.as_ref().map_or("—", |p| p.display_name.as_str())) } } }
                        }
                        @if !waiting.is_empty() {
                            h3 { (tr.t("event-waiting-list")) }
                            ol.inline-list { @for (_, person) in &waiting { li { (person.as_ref().map_or("—", |p| p.display_name.as_str())) } } }
                        }
                    }
                }
                @if p.is_owner {
                    section.card aria-labelledby="manage-title" {
                        h2 #manage-title { (tr.t("market-manage")) }
                        div.inline-actions {
                            a.button.secondary href={(base) "/edit"} { (tr.t("market-edit")) }
                            form method="post" action={(base) "/status"} {
                                (csrf_field(v))
                                @if l.status == Status::Active && l.expires_at_ms > p.now_ms {
                                    button.button.secondary type="submit" name="status" value="paused" { (tr.t("market-pause")) }
                                } @else {
                                    button.button.secondary type="submit" name="status" value="active" { (tr.t("market-reopen")) }
                                }
                            }
                            @if l.status != Status::Closed {
                                form method="post" action={(base) "/status"} {
                                    (csrf_field(v))
                                    button.button.secondary type="submit" name="status" value="closed" { (tr.t("market-close")) }
                                }
                            }
                        }
                        @if let (true, Some(upload)) = (p.photos.len() < commons_market::photo::PHOTOS_PER_LISTING_MAX, &p.upload_token) {
                            h3 { (tr.t("market-photo-add")) }
                            form method="post" action={(base) "/photos?upload=" (upload)} enctype="multipart/form-data" {
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
                    section aria-labelledby="matches-title" {
                        h2 #matches-title { (tr.t("market-matches-for-this")) }
                        (match_list(v, slug, p.unit, p.matches))
                    }
                }
            }
        },
    )
}

fn match_list(v: &Visitor, slug: &str, unit: &Unit, matches: &[(Match, Listing)]) -> Markup {
    let tr = &v.tr;
    html! {
        @if matches.is_empty() {
            p.empty { (tr.t("market-matches-none")) }
        } @else {
            ol.match-list {
                @for (found, listing) in matches {
                    li {
                        a href=(listing_href(slug, listing.id)) { (listing.title) }
                        " · " (value_text(tr, unit, listing.value))
                        " "
                        span.hint { (tr.ta("market-match-score", &[("score", &format!("{:.0}", found.score * 100.0))])) }
                        @if found.factors.balance_boost > 1.0 {
                            " " span.badge.muted { (tr.t("market-match-boosted")) }
                        }
                    }
                }
            }
        }
    }
}

pub fn my_listings_page(
    v: &Visitor,
    nav: &CircleNav,
    listings: &[Listing],
    tree: &Tree,
    unit: &Unit,
    now_ms: i64,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("market-mine-title");
    let cards: Vec<ListingCard> = listings
        .iter()
        .map(|l| ListingCard {
            listing: l.clone(),
            author: None,
            photo: None,
        })
        .collect();
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            (market_tabs(v, &nav.slug, "mine"))
            h2.visually-hidden { (tr.t("market-results")) }
            @if cards.is_empty() {
                p.empty { (tr.t("market-mine-none")) }
            } @else {
                ul.listing-list { @for card in &cards { (listing_card(v, &nav.slug, tree, unit, card, now_ms)) } }
            }
        },
    )
}

pub fn matches_page(
    v: &Visitor,
    nav: &CircleNav,
    mine: &[(Listing, Vec<(Match, Listing)>)],
    cycles: &[Vec<CycleStep>],
    unit: &Unit,
) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let title = tr.t("market-matches-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            (market_tabs(v, slug, "matches"))
            @if mine.is_empty() {
                p.empty { (tr.t("market-matches-no-listings")) }
            }
            @for (listing, found) in mine {
                section.card aria-labelledby={"for-" (listing.id)} {
                    h2 id={"for-" (listing.id)} {
                        (tr.ta("market-matches-for", &[("title", &listing.title)]))
                    }
                    (match_list(v, slug, unit, found))
                }
            }
            section aria-labelledby="cycles-title" {
                h2 #cycles-title { (tr.t("cycles-title")) }
                p.hint { (tr.t("cycles-hint")) }
                @if cycles.is_empty() {
                    p.empty { (tr.t("cycles-none")) }
                }
                @for cycle in cycles {
                    ol.cycle.card {
                        @for step in cycle {
                            li {
                                (tr.ta("cycles-step", &[
                                    ("giver", &step.giver.display_name),
                                    ("receiver", &step.receiver.display_name),
                                ]))
                                ": "
                                a href=(listing_href(slug, step.offer.id)) { (step.offer.title) }
                                " → "
                                a href=(listing_href(slug, step.need.id)) { (step.need.title) }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn deal_status_label(tr: &Tr, status: deal::Status) -> String {
    tr.t(&format!("deal-status-{}", status.as_str()))
}

pub fn deals_page(v: &Visitor, nav: &CircleNav, deals: &[DealCard]) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let title = tr.t("deals-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            (market_tabs(v, slug, "deals"))
            @if deals.is_empty() {
                p.empty { (tr.t("deals-none")) }
            } @else {
                div.table-wrap {
                    table {
                        caption.visually-hidden { (title) }
                        thead { tr {
                            th scope="col" { (tr.t("deals-listing")) }
                            th scope="col" { (tr.t("deals-with")) }
                            th scope="col" { (tr.t("deals-status")) }
                            th scope="col" { (tr.t("deals-updated")) }
                        } }
                        tbody {
                            @for card in deals {
                                tr {
                                    td { a href={"/c/" (slug) "/deals/" (card.stored.deal.id)} {
                                        (card.listing.as_ref().map_or("—", |l| l.title.as_str()))
                                    } }
                                    td { (card.other.as_ref().map_or("—", |p| p.display_name.as_str())) }
                                    td { (deal_status_label(tr, card.stored.deal.status)) }
                                    td { (when(card.stored.updated_at_ms)) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// What the deal page shows.
#[derive(Debug)]
pub struct DealPage<'a> {
    pub card: &'a DealCard,
    pub messages: &'a [Message],
    pub thanks: &'a [Thanks],
    pub me: i64,
    pub my_name: &'a str,
    pub unit: &'a Unit,
    /// Signing needs the member's password again.
    pub locked: bool,
}

pub fn deal_page(v: &Visitor, nav: &CircleNav, p: &DealPage, errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let d = &p.card.stored.deal;
    let base = format!("/c/{slug}/deals/{}", d.id);
    let other_name = p
        .card
        .other
        .as_ref()
        .map_or("—".to_string(), |o| o.display_name.clone());
    let name_of = |id: i64| {
        if id == p.me {
            p.my_name.to_string()
        } else {
            other_name.clone()
        }
    };
    let listing_title = p
        .card
        .listing
        .as_ref()
        .map_or("—".to_string(), |l| l.title.clone());
    let title = tr.ta("deal-title", &[("title", &listing_title)]);
    let i_pay = d.payer == p.me;
    let my_thanks = p.thanks.iter().find(|t| t.author == p.me);
    layout(
        v,
        Some(nav),
        &title,
        html! {
            (market_tabs(v, slug, "deals"))
            h1 { (title) }
            (error_summary(v, errors))
            p.lead {
                (tr.ta("deal-with", &[("name", &other_name)]))
                " · " span.badge { (deal_status_label(tr, d.status)) }
            }
            @if let Some(listing) = &p.card.listing {
                p { a href=(listing_href(slug, listing.id)) { (tr.t("deal-see-listing")) } }
            }
            p.hint { (tr.t(if i_pay { "deal-you-pay" } else { "deal-you-are-paid" })) }
            div.grid {
                section.card aria-labelledby="terms-title" {
                    h2 #terms-title { (tr.t("deal-terms")) }
                    @match &d.terms {
                        Some(terms) => {
                            p { (terms.description) }
                            p.amount { @match terms.amount_minor {
                                Some(amount) => (p.unit.money(amount)),
                                None => (tr.t("market-value-gift")),
                            } }
                            p.hint { (tr.ta("deal-proposed-by", &[("name", &name_of(terms.proposed_by))])) }
                        }
                        None => { p.empty { (tr.t("deal-no-terms")) } }
                    }
                    @if d.status == deal::Status::Proposed && d.terms.as_ref().is_some_and(|t| t.proposed_by != p.me) {
                        form method="post" action={(base) "/agree"} {
                            (csrf_field(v))
                            input type="hidden" name="version" value=(p.card.stored.version);
                            button.button type="submit" { (tr.t("deal-agree")) }
                        }
                    }
                    @if d.status == deal::Status::Agreed && i_pay {
                        form method="post" action={(base) "/complete"} {
                            (csrf_field(v))
                            input type="hidden" name="version" value=(p.card.stored.version);
                            @if p.locked {
                                (crate::views::unlock_form(v, errors))
                            }
                            button.button type="submit" {
                                @match d.terms.as_ref().and_then(|t| t.amount_minor) {
                                    Some(amount) => (tr.ta("deal-complete-pay", &[("amount", &p.unit.money(amount)), ("name", &other_name)])),
                                    None => (tr.t("deal-complete-gift")),
                                }
                            }
                        }
                    }
                    @if d.status == deal::Status::Agreed && !i_pay {
                        p.hint { (tr.ta("deal-waiting-for-payer", &[("name", &other_name)])) }
                    }
                    @if d.status == deal::Status::Completed {
                        @if let Some(seq) = d.payment_seq {
                            p { a href={"/c/" (slug) "/ledger#entry-" (seq)} { (tr.ta("deal-paid-entry", &[("seq", &seq.to_string())])) } }
                        }
                    }
                    @if !d.status.is_closed() {
                        details.propose {
                            summary { (tr.t(if d.terms.is_some() { "deal-propose-new" } else { "deal-propose" })) }
                            form method="post" action={(base) "/terms"} {
                                (csrf_field(v))
                                (Field::new("description", tr.t("deal-terms-description"), "textarea", "")
                                    .hint(tr.t("deal-terms-description-hint")).render(errors))
                                (Field::new("amount", tr.ta("deal-terms-amount", &[("unit", &p.unit.name)]), "text", "")
                                    .optional().render(errors))
                                div.field.checkbox {
                                    input #gift type="checkbox" name="gift";
                                    label for="gift" { (tr.t("deal-terms-gift")) }
                                }
                                button.button.secondary type="submit" { (tr.t("deal-propose-send")) }
                            }
                        }
                        form method="post" action={(base) "/cancel"} {
                            (csrf_field(v))
                            button.link-button type="submit" { (tr.t("deal-cancel")) }
                        }
                    }
                }
                section.card aria-labelledby="talk-title" {
                    h2 #talk-title { (tr.t("deal-conversation")) }
                    @if p.messages.is_empty() {
                        p.empty { (tr.t("deal-no-messages")) }
                    } @else {
                        ol.messages {
                            @for message in p.messages {
                                li.message.mine[message.author == p.me] {
                                    p.message-meta { strong { (name_of(message.author)) } " · " (when(message.created_at_ms)) }
                                    p { (message.body) }
                                }
                            }
                        }
                    }
                    form method="post" action={(base) "/message"} {
                        (csrf_field(v))
                        (Field::new("message", tr.t("deal-message"), "textarea", "").render(errors))
                        button.button.secondary type="submit" { (tr.t("deal-send")) }
                    }
                }
            }
            @if d.status == deal::Status::Completed {
                section.card aria-labelledby="thanks-title" {
                    h2 #thanks-title { (tr.t("thanks-title")) }
                    @for thanks in p.thanks {
                        blockquote.thanks { p { (thanks.body) } footer { "— " (name_of(thanks.author)) } }
                    }
                    form method="post" action={(base) "/thanks"} {
                        (csrf_field(v))
                        (Field::new("thanks", tr.t("thanks-field"), "text", my_thanks.map_or("", |t| t.body.as_str()))
                            .hint(tr.t("thanks-hint")).render(errors))
                        button.button.secondary type="submit" { (tr.t("thanks-send")) }
                    }
                }
            }
        },
    )
}

pub fn events_page(
    v: &Visitor,
    nav: &CircleNav,
    events: &[ListingCard],
    tree: &Tree,
    unit: &Unit,
    now_ms: i64,
) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let title = tr.t("events-title");
    let mut days: Vec<(String, Vec<&ListingCard>)> = Vec::new();
    for card in events {
        let day = card
            .listing
            .event
            .as_ref()
            .map(|e| e.starts.date())
            .unwrap_or_default();
        match days.last_mut() {
            Some((last, cards)) if *last == day => cards.push(card),
            _ => days.push((day, vec![card])),
        }
    }
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            (market_tabs(v, slug, "events"))
            p { a href={"/c/" (slug) "/events.ics"} { (tr.t("events-subscribe")) } }
            @if days.is_empty() {
                p.empty { (tr.t("events-none")) }
            }
            @for (day, cards) in &days {
                section aria-labelledby={"day-" (day)} {
                    h2 id={"day-" (day)} {
                        @if let Some(time) = LocalTime::parse(&format!("{day}T00:00")) {
                            (tr.t(&format!("weekday-{}", time.weekday()))) " "
                        }
                        (day)
                    }
                    ul.listing-list { @for card in cards { (listing_card(v, slug, tree, unit, card, now_ms)) } }
                }
            }
        },
    )
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
            p.hint { (tr.ta("member-deals-completed", &[("count", &completed_deals.to_string())])) }
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

    use commons_market::category::Tree;
    use commons_market::deal;
    use commons_market::event::Place;
    use commons_market::listing::{Kind, Status, ValueKind};
    use commons_market::store::NotificationKind;

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
        built.extend((0..7).map(|d| format!("weekday-{d}")));
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
