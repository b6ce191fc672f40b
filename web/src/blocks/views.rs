//! The boundary controls on another member's page, and the list of one's blocks and mutes in
//! settings. Quiet by design: folded away until wanted, and never shown to the other person.

use maud::{html, Markup};

use crate::db::link_blocks::LinkBlockRow;
use crate::db::{BlockKind, BlockRow};
use crate::http::session::Visitor;
use crate::views::csrf_field;

/// On another member's page: mute or block them, or undo what was chosen.
pub fn block_controls(
    v: &Visitor,
    slug: &str,
    username: &str,
    name: &str,
    current: Option<BlockKind>,
) -> Markup {
    let tr = &v.tr;
    let action = format!("/c/{slug}/members/{username}/block");
    let button = |choice: &str, label: String, class: &str| {
        html! {
            form method="post" action=(action) {
                (csrf_field(v))
                input type="hidden" name="choice" value=(choice);
                button.button.(class) type="submit" { (label) }
            }
        }
    };
    html! {
        details.card.narrow.boundaries open[current.is_some()] {
            summary { (tr.t("block-title")) }
            @match current {
                None => {
                    p.hint { (tr.t("block-private")) }
                    p.hint { (tr.ta("block-mute-means", &[("name", name)])) }
                    p.hint { (tr.ta("block-block-means", &[("name", name)])) }
                    div.actions {
                        (button("mute", tr.ta("block-mute", &[("name", name)]), "secondary"))
                        (button("block", tr.ta("block-block", &[("name", name)]), "danger"))
                    }
                }
                Some(BlockKind::Mute) => {
                    p { (tr.ta("block-muted", &[("name", name)])) }
                    div.actions {
                        (button("undo", tr.ta("block-unmute", &[("name", name)]), "secondary"))
                        (button("block", tr.ta("block-block", &[("name", name)]), "danger"))
                    }
                }
                Some(BlockKind::Block) => {
                    p { (tr.ta("block-blocked", &[("name", name)])) }
                    div.actions {
                        (button("undo", tr.ta("block-unblock", &[("name", name)]), "secondary"))
                    }
                }
            }
        }
    }
}

/// In settings: everyone the person blocked or muted, each with its undo.
pub fn blocks_section(v: &Visitor, blocks: &[BlockRow], across: &[LinkBlockRow]) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="blocks-title" {
            h2 #blocks-title { (tr.t("settings-blocks")) }
            p.hint { (tr.t("block-private")) }
            @if blocks.is_empty() && across.is_empty() {
                p { (tr.t("settings-blocks-none")) }
            } @else {
                ul.plain-list {
                    @for row in blocks {
                        li {
                            @let kind = match row.kind {
                                BlockKind::Block => tr.t("settings-blocked"),
                                BlockKind::Mute => tr.t("settings-muted"),
                            };
                            span { (row.other_name) " · " (kind) " · " (crate::views::ago::time_ago(row.created_at_ms)) }
                            form.inline method="post" action="/settings/blocks/remove" {
                                (csrf_field(v))
                                input type="hidden" name="other" value=(row.other_id);
                                button.button.secondary type="submit" {
                                    (tr.ta("settings-blocks-undo", &[("name", &row.other_name)]))
                                }
                            }
                        }
                    }
                    @for row in across {
                        li {
                            span { (row.name) " (@" (row.username) ") · " (tr.t("settings-blocked-across")) " · " (crate::views::ago::time_ago(row.created_ms)) }
                            form.inline method="post" action="/settings/blocks/remove-across" {
                                (csrf_field(v))
                                input type="hidden" name="circle" value=(hex::encode(row.partner));
                                input type="hidden" name="username" value=(row.username);
                                button.button.secondary type="submit" {
                                    (tr.ta("settings-blocks-undo", &[("name", &row.name)]))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
