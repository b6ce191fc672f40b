//! Listing pages: the market, the listing form, one listing with its matches, mine, my matches.

use super::*;
use commons_market::event::EventDetails;

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
    let filtering = [&q.side, &q.kind, &q.category, &q.area]
        .iter()
        .any(|value| !value.trim().is_empty());
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            (market_tabs(v, slug, "browse"))
            form.search-form.market-search method="get" action={"/c/" (slug) "/market"} role="search" {
                div.search-row {
                    div.field.grow {
                        label for="q" { (tr.t("market-search-label")) }
                        input #q type="search" name="q" value=(q.q) autocomplete="off";
                    }
                    div.field { button.button type="submit" { (tr.t("market-search")) } }
                }
                // Open when a filter is set; on wide screens the stylesheet shows them anyway.
                details.filters open[filtering] {
                    summary { (tr.t("market-filters")) }
                    div.filter-fields {
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
                    }
                }
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
            @if !m.linked.is_empty() {
                section.card aria-labelledby="across-title" {
                    h2 #across-title { (tr.t("across-title")) }
                    p {
                        a href={"/c/" (slug) "/market/across?q=" (url_encode(q.q.trim()))} {
                            (tr.ta("across-see", &[("circles", &m.linked.join(", "))]))
                        }
                    }
                }
            }
        },
    )
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
                (event_fields(tr, input, errors))
                p.actions {
                    button.button type="submit" { (tr.t(if f.editing.is_some() { "market-save" } else { "market-publish" })) }
                    a href={"/c/" (slug) "/market"} { (tr.t("cancel")) }
                }
            }
        },
    )
}

/// The listing form's fieldset for events: when, where, online and how many places.
fn event_fields(tr: &Tr, input: &ListingInput, errors: &FormErrors) -> Markup {
    html! {
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
    }
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
    /// For a need: members whose skills answer it.
    pub helpers: &'a [(Person, Vec<String>)],
    pub my_place: Option<Place>,
    pub now_ms: i64,
    /// The single-use token for the photo form (its owner's page only).
    pub upload_token: Option<String>,
    /// Whether it is on the circle's public page, for its author (`None`: nothing to offer).
    pub public: Option<bool>,
}

pub fn listing_page(v: &Visitor, nav: &CircleNav, p: &ListingPage, errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let l = &p.card.listing;
    let live = l.is_live(p.now_ms);
    let base = listing_href(slug, l.id);
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
                    (photo_strip(v, slug, p, &base))
                }
                (listing_details(v, slug, p, &base, live))
                @if let Some(event) = &l.event {
                    (event_card(v, p, &base, event, live))
                }
                (crate::people::views::helpers_box(v, slug, p.helpers))
                @if !p.is_owner {
                    p.report { (crate::moderation::views::report_link(v, slug, commons_governance::moderation::TargetKind::Listing, &l.id.to_string())) }
                }
                @if let (Some(shared), true) = (p.public, live) {
                    (crate::public::views::share_form(v, slug, crate::public::rules::Shared::Listing, l.id, shared))
                }
                @if p.is_owner {
                    (manage_section(v, p, &base))
                    section aria-labelledby="matches-title" {
                        h2 #matches-title { (tr.t("market-matches-for-this")) }
                        (match_list(v, slug, p.unit, p.matches))
                    }
                }
            }
        },
    )
}

/// The listing's photos, each with its delete button for the owner.
fn photo_strip(v: &Visitor, slug: &str, p: &ListingPage, base: &str) -> Markup {
    let tr = &v.tr;
    let l = &p.card.listing;
    html! {
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
}

/// The listing's description beside its facts card, with the form to start a deal.
fn listing_details(v: &Visitor, slug: &str, p: &ListingPage, base: &str, live: bool) -> Markup {
    let tr = &v.tr;
    let l = &p.card.listing;
    html! {
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
                    div { dt { (tr.t("market-posted")) } dd { (crate::views::ago::time_ago(l.created_at_ms)) } }
                    div { dt { (tr.t("market-expires")) } dd { (crate::views::ago::time_ago(l.expires_at_ms)) } }
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
                @if let (false, Some(author)) = (p.is_owner, &p.card.author) {
                    p { a href={"/c/" (slug) "/messages/new?to=" (author.username)} { (tr.ta("listing-write", &[("name", &author.display_name)])) } }
                }
            }
        }
    }
}

/// An event's card: when and where, the places taken, the answer buttons and who goes.
fn event_card(
    v: &Visitor,
    p: &ListingPage,
    base: &str,
    event: &EventDetails,
    live: bool,
) -> Markup {
    let tr = &v.tr;
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
    html! {
        section.card.event-card aria-labelledby="event-title" {
            h2 #event-title { (tr.t("event-title")) }
            dl.facts {
                div { dt { (tr.t("market-field-starts")) } dd { (crate::views::ago::wall_event(event.starts.as_ms())) } }
                div { dt { (tr.t("market-field-ends")) } dd { (crate::views::ago::wall_event(event.ends.as_ms())) } }
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
}

/// The owner's card to edit, pause, reopen or close the listing and add photos.
fn manage_section(v: &Visitor, p: &ListingPage, base: &str) -> Markup {
    let tr = &v.tr;
    let l = &p.card.listing;
    html! {
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
                (crate::views::photo_upload_form(v, &format!("{base}/photos?upload={upload}")))
            }
        }
    }
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
    across: &[(i64, Vec<crate::links::market::ListingAcross>)],
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
                    @if let Some((_, others)) = across.iter().find(|(id, others)| *id == listing.id && !others.is_empty()) {
                        h3 { (tr.t("across-matches")) }
                        ul.match-list {
                            @for other in others {
                                li {
                                    a href=(crate::links::market_views::listing_across_href(slug, other)) lang=(other.language.code()) { (other.title) }
                                    " · " (other.circle.name) " · " (tr.ta("market-by", &[("name", &other.author_name)]))
                                }
                            }
                        }
                    }
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
