//! Pictures drawn for the project, as inline SVG: generated avatars (initials on a colour
//! chosen from the person's username) and the small illustrations of empty states. Nothing is
//! fetched from anywhere; colours come from attributes, since the CSP allows no inline styles.

use maud::{html, Markup, PreEscaped};

/// Background colours of avatars: warm, and dark enough for white initials (AA at any size).
const AVATAR_COLOURS: [&str; 8] = [
    "#2f5d50", "#8a3b1d", "#5b4a8a", "#1f5f7a", "#7a4f12", "#6b2f4f", "#3d5a1e", "#495057",
];

/// Up to two initials of a name ("Amara Okafor" → "AO", "ben" → "B").
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let letters: Vec<char> = match words.as_slice() {
        [] => vec!['?'],
        [one] => one.chars().take(1).collect(),
        [first, .., last] => first.chars().take(1).chain(last.chars().take(1)).collect(),
    };
    letters.into_iter().flat_map(char::to_uppercase).collect()
}

/// The colour of someone's avatar: the same for the same username everywhere.
pub fn avatar_colour(username: &str) -> &'static str {
    // FNV-1a: stable across builds and machines (unlike the standard library's hasher).
    let hash = username.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    AVATAR_COLOURS[(hash % AVATAR_COLOURS.len() as u64) as usize]
}

/// A round avatar with the person's initials. Decorative: the name is always written next to
/// it, so it is hidden from screen readers.
pub fn avatar(username: &str, display_name: &str, size_px: u32) -> Markup {
    html! {
        svg.avatar width=(size_px) height=(size_px) viewBox="0 0 40 40" aria-hidden="true" focusable="false" {
            circle cx="20" cy="20" r="20" fill=(avatar_colour(username)) {}
            text x="20" y="25.5" text-anchor="middle" font-size="15" font-weight="700" fill="#ffffff" {
                (initials(display_name))
            }
        }
    }
}

/// Which empty state to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scene {
    News,
    Events,
    Market,
    Decisions,
    People,
    Talk,
}

/// A small illustration for an empty state (decorative).
pub fn scene(scene: Scene) -> Markup {
    let drawing = match scene {
        Scene::News => NEWS,
        Scene::Events => EVENTS,
        Scene::Market => MARKET,
        Scene::Decisions => DECISIONS,
        Scene::People => PEOPLE,
        Scene::Talk => TALK,
    };
    html! {
        svg.scene width="96" height="72" viewBox="0 0 96 72" aria-hidden="true" focusable="false" {
            (PreEscaped(drawing))
        }
    }
}

/// A folded newspaper with a sprout.
const NEWS: &str = r##"<rect class="art-soft" x="8" y="14" width="62" height="48" rx="6"/><rect class="art-line" x="16" y="22" width="30" height="6" rx="3"/><rect class="art-line" x="16" y="33" width="46" height="3" rx="1.5"/><rect class="art-line" x="16" y="40" width="40" height="3" rx="1.5"/><rect class="art-line" x="16" y="47" width="44" height="3" rx="1.5"/><path class="art-leaf" d="M80 62c0-14 0-22 0-30"/><path class="art-leaf-fill" d="M80 40c-8 0-12-5-12-11 7 0 12 4 12 11zM80 34c0-7 5-12 12-12 0 7-5 12-12 12z"/>"##;

/// A calendar page with a star.
const EVENTS: &str = r##"<rect class="art-soft" x="14" y="12" width="56" height="52" rx="6"/><rect class="art-accent" x="14" y="12" width="56" height="13" rx="6"/><rect class="art-line" x="24" y="6" width="4" height="12" rx="2"/><rect class="art-line" x="56" y="6" width="4" height="12" rx="2"/><circle class="art-dot" cx="28" cy="36" r="3"/><circle class="art-dot" cx="42" cy="36" r="3"/><circle class="art-dot" cx="56" cy="36" r="3"/><circle class="art-dot" cx="28" cy="50" r="3"/><path class="art-leaf-fill" d="M80 30l3 6 7 1-5 5 1 7-6-3-6 3 1-7-5-5 7-1z"/>"##;

/// A basket with things to share.
const MARKET: &str = r##"<circle class="art-accent" cx="36" cy="26" r="9"/><rect class="art-leaf-fill" x="46" y="16" width="14" height="18" rx="3"/><path class="art-soft" d="M14 34h68l-7 28H21z"/><path class="art-line-stroke" d="M26 42v12M38 42v12M50 42v12M62 42v12M74 42v12" /><path class="art-line-stroke" d="M30 34c0-14 36-14 36 0" fill="none"/>"##;

/// A ballot going into a box.
const DECISIONS: &str = r##"<rect class="art-soft" x="16" y="34" width="60" height="30" rx="6"/><rect class="art-line" x="34" y="40" width="24" height="4" rx="2"/><rect class="art-paper" x="36" y="8" width="22" height="30" rx="3"/><path class="art-check" d="M41 22l5 5 8-10" fill="none"/>"##;

/// Two people side by side.
const PEOPLE: &str = r##"<circle class="art-accent" cx="34" cy="24" r="10"/><path class="art-accent" d="M16 64c0-13 8-22 18-22s18 9 18 22z"/><circle class="art-leaf-fill" cx="62" cy="28" r="9"/><path class="art-leaf-fill" d="M46 64c0-12 7-19 16-19s16 7 16 19z"/>"##;

/// Two speech bubbles.
const TALK: &str = r##"<path class="art-soft" d="M10 14h46a6 6 0 016 6v20a6 6 0 01-6 6H28l-10 9v-9h-8a6 6 0 01-6-6V20a6 6 0 016-6z"/><path class="art-accent" d="M44 34h38a6 6 0 016 6v14a6 6 0 01-6 6h-4v8l-9-8H44a6 6 0 01-6-6V40a6 6 0 016-6z"/><rect class="art-line" x="16" y="24" width="30" height="4" rx="2"/><rect class="art-line" x="16" y="32" width="20" height="4" rx="2"/>"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_the_first_and_last_names() {
        assert_eq!(initials("Amara Okafor"), "AO");
        assert_eq!(initials("ben"), "B");
        assert_eq!(initials("María José de la Cruz"), "MC");
        assert_eq!(initials("  "), "?");
        assert_eq!(initials("élodie"), "É");
    }

    #[test]
    fn a_username_always_gets_the_same_colour() {
        assert_eq!(avatar_colour("amara"), avatar_colour("amara"));
        let colours: std::collections::BTreeSet<&str> =
            ["amara", "ben", "chidi", "dolores", "eun", "farah"]
                .iter()
                .map(|name| avatar_colour(name))
                .collect();
        assert!(
            colours.len() > 2,
            "names spread over the palette: {colours:?}"
        );
    }
}
