//! The events page.

use super::*;

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
                        @match LocalTime::parse(&format!("{day}T00:00")) {
                            Some(time) => (crate::views::ago::wall_day(time.as_ms())),
                            None => (day),
                        }
                    }
                    ul.listing-list { @for card in cards { (listing_card(v, slug, tree, unit, card, now_ms)) } }
                }
            }
        },
    )
}
