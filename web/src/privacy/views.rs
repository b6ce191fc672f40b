//! The privacy page's markup: one card per kind of personal data (what, what for, who sees it,
//! how long), in the order a member meets them.

use maud::{html, Markup};

use crate::http::session::Visitor;
use crate::views::{csrf_field, layout};

/// Each kind of personal data, by its catalogue prefix (`privacy-{kind}-title`, `-what`,
/// `-why`, `-who`, `-kept`).
pub const DATA_KINDS: [&str; 12] = [
    "account",
    "profile",
    "cookies",
    "keys",
    "ledger",
    "market",
    "decisions",
    "talk",
    "notifications",
    "email",
    "safety",
    "moderation",
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

/// The person's data page: take everything out, leave a circle, erase the account.
pub fn data_page(
    v: &Visitor,
    circles: &[(String, String)],
    (blocks, blocks_across): (
        &[crate::db::BlockRow],
        &[crate::db::link_blocks::LinkBlockRow],
    ),
    erasure: &crate::privacy::erasure::ErasureView,
    errors: &crate::views::FormErrors,
) -> Markup {
    let tr = &v.tr;
    crate::account::settings_views::room_page(
        v,
        crate::account::settings_views::SettingsRoom::Privacy,
        html! {
            (crate::views::error_summary(v, errors))
            (crate::blocks::views::blocks_section(v, blocks, blocks_across))
            section.card aria-labelledby="takeout-title" {
                h2 #takeout-title { (tr.t("data-takeout")) }
                p { (tr.t("data-takeout-lead")) }
                p.hint { (tr.t("data-takeout-verify")) }
                form method="post" action="/settings/data/takeout" {
                    (csrf_field(v))
                    button.button type="submit" { (tr.t("data-takeout-send")) }
                }
            }
            @if !circles.is_empty() {
                section.card aria-labelledby="leave-title" {
                    h2 #leave-title { (tr.t("data-leave")) }
                    p { (tr.t("data-leave-lead")) }
                    ul.plain-list {
                        @for (slug, name) in circles {
                            li {
                                (name) " "
                                form.inline method="post" action={"/c/" (slug) "/leave"} {
                                    (csrf_field(v))
                                    button.link-button type="submit" { (tr.ta("data-leave-send", &[("circle", name)])) }
                                }
                            }
                        }
                    }
                }
            }
            (erase_section(v, erasure, errors))
        },
    )
}

fn block_text(v: &Visitor, block: &crate::privacy::erasure::ErasureBlock) -> String {
    use crate::privacy::erasure::ErasureBlock;
    let tr = &v.tr;
    match block {
        ErasureBlock::Balance {
            circle,
            balance_minor,
            unit,
        } => tr.ta(
            "erasure-block-balance",
            &[("circle", circle), ("balance", &unit.money(*balance_minor))],
        ),
        ErasureBlock::LastSteward { circle } => {
            tr.ta("erasure-block-steward", &[("circle", circle)])
        }
        // Never shown (see `ErasureView::blocks`); kept for completeness of the match.
        ErasureBlock::OpenReport => tr.t("erasure-waiting"),
        ErasureBlock::OnlyAdmin => tr.t("erasure-block-admin"),
    }
}

fn erase_section(
    v: &Visitor,
    erasure: &crate::privacy::erasure::ErasureView,
    errors: &crate::views::FormErrors,
) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="erase-title" {
            h2 #erase-title { (tr.t("erasure-title")) }
            p { (tr.t("erasure-lead")) }
            @if !erasure.blocks.is_empty() {
                ul.notice {
                    @for block in &erasure.blocks { li { (block_text(v, block)) } }
                }
            }
            @if let Some(on) = erasure.erase_on_ms {
                @if erasure.waiting {
                    p.notice { (tr.t("erasure-waiting")) }
                } @else {
                    p.notice { (tr.ta("erasure-scheduled", &[("date", &crate::views::ago::date(on))])) }
                }
                form method="post" action="/settings/data/erase/cancel" {
                    (csrf_field(v))
                    button.button type="submit" { (tr.t("erasure-cancel")) }
                }
            } @else {
                details open[errors.for_field("password").is_some()] {
                    summary { (tr.t("erasure-open")) }
                    form method="post" action="/settings/data/erase" {
                        (csrf_field(v))
                        (crate::views::Field::new("password", tr.t("erasure-password"), "password", "")
                            .autocomplete("current-password").hint(tr.t("erasure-password-hint")).render(errors))
                        button.button.danger type="submit" { (tr.t("erasure-send")) }
                    }
                }
            }
        }
    }
}
