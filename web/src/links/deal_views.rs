//! The page of a deal across a link: with whom and where, its steps, the terms in the
//! listing's circle's unit (and about what they come to in the member's own), the next steps
//! the deal's rules allow this member, and the conversation.

use commons_market::deal::Status;
use maud::{html, Markup};

use crate::http::session::Visitor;
use crate::links::deals::DealAcross;
use crate::market::views::{
    deal_conversation, deal_status_label, market_tabs, propose_or_call_off, steps, Said,
};
use crate::views::{csrf_field, error_summary, layout, CircleNav, FormErrors, Unit};

/// What the page shows.
#[derive(Debug)]
pub struct DealAcrossPage<'a> {
    pub across: &'a DealAcross,
    pub me: i64,
    pub my_name: &'a str,
    /// The member's own circle's unit.
    pub unit: &'a Unit,
    /// Signing needs the member's password again.
    pub locked: bool,
}

impl DealAcrossPage<'_> {
    /// The unit the terms are in: the listing's circle's.
    fn terms_unit(&self) -> Unit {
        if self.across.row.owner_here {
            return self.unit.clone();
        }
        let partner = &self.across.linked.partner;
        Unit {
            decimals: partner.decimals,
            symbol: partner.unit_symbol.clone(),
            name: partner.unit_name.clone(),
        }
    }

    /// An amount of the terms, in their unit and (when it differs) about what it is in mine.
    fn amount_text(&self, amount_minor: i64) -> String {
        let there = self.terms_unit().money(amount_minor);
        match self.across.terms_here_minor(amount_minor) {
            Some(here) if !self.across.row.owner_here => {
                format!("{there} (≈ {})", self.unit.money(here))
            }
            _ => there,
        }
    }
}

pub fn deal_across_page(
    v: &Visitor,
    nav: &CircleNav,
    p: &DealAcrossPage,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let row = &p.across.row;
    let circle_name = &p.across.linked.partner.name;
    let title = tr.ta("deal-title", &[("title", &row.listing_title)]);
    let listing_href = if row.owner_here {
        format!("/c/{slug}/market/{}", row.listing_id)
    } else {
        format!(
            "/c/{slug}/market/across/{}/{}",
            hex::encode(row.partner),
            row.listing_id
        )
    };
    let i_pay = row.deal().payer == p.me;
    layout(
        v,
        Some(nav),
        &title,
        html! {
            (market_tabs(v, slug, "deals"))
            h1 { (title) }
            (error_summary(v, errors))
            p.lead {
                (tr.ta("deal-across-with", &[("name", &row.other_name), ("circle", circle_name)]))
                " · " span.badge { (deal_status_label(tr, row.status)) }
            }
            p { a href=(listing_href) { (tr.t("deal-see-listing")) } }
            (steps(tr, row.status))
            p.hint { (tr.t(if i_pay { "deal-you-pay" } else { "deal-you-are-paid" })) }
            div.grid {
                section.card aria-labelledby="terms-title" {
                    h2 #terms-title { (tr.t("deal-terms")) }
                    (terms_text(v, p))
                    (next_steps(v, p, slug, i_pay, errors))
                }
                (conversation(v, p, slug, errors))
            }
            (block_section(v, p, slug))
        },
    )
}

/// Blocking the other member: folded away until wanted, as on a member's page.
fn block_section(v: &Visitor, p: &DealAcrossPage, slug: &str) -> Markup {
    let tr = &v.tr;
    let row = &p.across.row;
    let name = row.other_name.as_str();
    html! {
        details.card.narrow.boundaries {
            summary { (tr.ta("deal-across-block", &[("name", name)])) }
            p.hint { (tr.t("block-private")) }
            p.hint { (tr.ta("block-block-means", &[("name", name)])) }
            form method="post" action={"/c/" (slug) "/deals/across/" (row.id) "/block"} {
                (csrf_field(v))
                button.button.danger type="submit" { (tr.ta("block-block", &[("name", name)])) }
            }
        }
    }
}

fn terms_text(v: &Visitor, p: &DealAcrossPage) -> Markup {
    let tr = &v.tr;
    let row = &p.across.row;
    let by = if row.terms_by_owner == row.owner_here {
        p.my_name.to_owned()
    } else {
        row.other_name.clone()
    };
    html! {
        @match &row.terms {
            Some((description, amount)) => {
                p { (description) }
                p.amount { @match amount {
                    Some(amount) => (p.amount_text(*amount)),
                    None => (tr.t("market-value-gift")),
                } }
                p.hint { (tr.ta("deal-proposed-by", &[("name", &by)])) }
            }
            None => { p.empty { (tr.t("deal-no-terms")) } }
        }
    }
}

/// Agree, confirm and pay, propose terms or call it off: what the deal's rules allow me.
fn next_steps(
    v: &Visitor,
    p: &DealAcrossPage,
    slug: &str,
    i_pay: bool,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let row = &p.across.row;
    let d = row.deal();
    let base = format!("/c/{slug}/deals/across/{}", row.id);
    let amount_label = tr.ta("deal-terms-amount", &[("unit", &p.terms_unit().name)]);
    html! {
        @if d.may_agree(p.me).is_ok() {
            form method="post" action={(base) "/agree"} {
                (csrf_field(v))
                input type="hidden" name="version" value=(row.version);
                button.button type="submit" { (tr.t("deal-agree")) }
            }
        }
        @if d.may_complete(p.me).is_ok() {
            form method="post" action={(base) "/complete"} {
                (csrf_field(v))
                input type="hidden" name="version" value=(row.version);
                @if p.locked {
                    (crate::views::unlock_form(v, errors))
                }
                button.button type="submit" {
                    @match d.terms.as_ref().and_then(|t| t.amount_minor) {
                        Some(amount) => (tr.ta("deal-complete-pay", &[("amount", &p.amount_text(amount)), ("name", &row.other_name)])),
                        None => (tr.t("deal-complete-gift")),
                    }
                }
            }
        }
        @if row.status == Status::Agreed && !i_pay {
            p.hint { (tr.ta("deal-waiting-for-payer", &[("name", &row.other_name)])) }
        }
        @if row.status == Status::Completed && row.transfer.is_some() {
            p { (tr.t("deal-across-paid")) }
        }
        @if d.may_change(p.me).is_ok() {
            (propose_or_call_off(v, &base, d.terms.is_some(), amount_label, Some(tr.t("deal-across-amount-hint")), errors))
        }
    }
}

/// The conversation: its messages and the form to send one.
fn conversation(v: &Visitor, p: &DealAcrossPage, slug: &str, errors: &FormErrors) -> Markup {
    let row = &p.across.row;
    let said: Vec<Said> = p
        .across
        .messages
        .iter()
        .map(|message| Said {
            mine: message.from_here,
            author: if message.from_here {
                p.my_name.to_owned()
            } else {
                row.other_name.clone()
            },
            at_ms: message.created_ms,
            body: &message.body,
            report: None,
        })
        .collect();
    deal_conversation(
        v,
        &said,
        &format!("/c/{slug}/deals/across/{}", row.id),
        errors,
    )
}
