//! The privacy page's markup: one card per kind of personal data (what, what for, who sees it,
//! how long), in the order a member meets them.

use maud::{html, Markup};

use crate::http::session::Visitor;
use crate::views::layout;

/// Each kind of personal data, by its catalogue prefix (`privacy-{kind}-title`, `-what`,
/// `-why`, `-who`, `-kept`).
pub const DATA_KINDS: [&str; 8] = [
    "account",
    "cookies",
    "keys",
    "ledger",
    "market",
    "decisions",
    "notifications",
    "safety",
];

pub fn privacy_page(v: &Visitor) -> Markup {
    let tr = &v.tr;
    let title = tr.t("privacy-title");
    layout(
        v,
        None,
        &title,
        html! {
            h1 { (title) }
            p.lead { (tr.t("privacy-lead")) }
            @for kind in DATA_KINDS {
                @let heading = format!("privacy-{kind}-heading");
                section.card aria-labelledby=(heading) {
                    h2 id=(heading) { (tr.t(&format!("privacy-{kind}-title"))) }
                    dl.privacy {
                        dt { (tr.t("privacy-what")) }
                        dd { (tr.t(&format!("privacy-{kind}-what"))) }
                        dt { (tr.t("privacy-why")) }
                        dd { (tr.t(&format!("privacy-{kind}-why"))) }
                        dt { (tr.t("privacy-who")) }
                        dd { (tr.t(&format!("privacy-{kind}-who"))) }
                        dt { (tr.t("privacy-kept")) }
                        dd { (tr.t(&format!("privacy-{kind}-kept"))) }
                    }
                }
            }
            p { (tr.t("privacy-rights")) }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::DATA_KINDS;

    #[test]
    fn every_kind_of_data_is_described_in_every_language() {
        for catalogue in [
            include_str!("../../locales/en/main.ftl"),
            include_str!("../../locales/es/main.ftl"),
        ] {
            for kind in DATA_KINDS {
                for part in ["title", "what", "why", "who", "kept"] {
                    let id = format!("\nprivacy-{kind}-{part} = ");
                    assert!(catalogue.contains(&id), "{id:?}");
                }
            }
        }
    }
}
