//! Deal pages: my deals, and one deal with its conversation and next steps.

use super::*;

pub(crate) fn deal_status_label(tr: &Tr, status: deal::Status) -> String {
    tr.t(&format!("deal-status-{}", status.as_str()))
}

pub fn deals_page(
    v: &Visitor,
    nav: &CircleNav,
    deals: &[DealCard],
    across: &[(crate::db::link_deals::LinkDealRow, String)],
) -> Markup {
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
            @if deals.is_empty() && across.is_empty() {
                p.empty { (tr.t("deals-none")) }
            }
            @if !deals.is_empty() {
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
                                    td { (crate::views::ago::time_ago(card.stored.updated_at_ms)) }
                                }
                            }
                        }
                    }
                }
            }
            @if !across.is_empty() {
                (deals_across_table(v, slug, across))
            }
        },
    )
}

/// The member's deals with members of linked circles.
fn deals_across_table(
    v: &Visitor,
    slug: &str,
    across: &[(crate::db::link_deals::LinkDealRow, String)],
) -> Markup {
    let tr = &v.tr;
    html! {
        h2 #across-deals { (tr.t("deals-across-title")) }
        div.table-wrap {
            table aria-labelledby="across-deals" {
                thead { tr {
                    th scope="col" { (tr.t("deals-listing")) }
                    th scope="col" { (tr.t("deals-with")) }
                    th scope="col" { (tr.t("across-circle")) }
                    th scope="col" { (tr.t("deals-status")) }
                    th scope="col" { (tr.t("deals-updated")) }
                } }
                tbody {
                    @for (row, circle) in across {
                        tr {
                            td { a href={"/c/" (slug) "/deals/across/" (row.id)} { (row.listing_title) } }
                            td { (row.other_name) }
                            td { (circle) }
                            td { (deal_status_label(tr, row.status)) }
                            td { (crate::views::ago::time_ago(row.updated_ms)) }
                        }
                    }
                }
            }
        }
    }
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
            (steps(tr, d.status))
            p.hint { (tr.t(if i_pay { "deal-you-pay" } else { "deal-you-are-paid" })) }
            div.grid {
                section.card aria-labelledby="terms-title" {
                    h2 #terms-title { (tr.t("deal-terms")) }
                    (terms_text(tr, p, &name_of))
                    (terms_actions(v, slug, p, &base, &other_name, i_pay, errors))
                }
                (conversation_section(v, p, slug, &base, &name_of, errors))
            }
            @if d.status == deal::Status::Completed {
                (thanks_section(v, p, &base, my_thanks, &name_of, errors))
            }
        },
    )
}

/// Where the deal is along its steps: talking, terms proposed, agreed, completed.
pub(crate) fn steps(tr: &Tr, status: deal::Status) -> Markup {
    html! {
        @match status.steps_done() {
            Some(current) => {
                ol.steps aria-label=(tr.t("deal-steps")) {
                    @for (index, step) in deal::Status::STEPS.iter().enumerate() {
                        li.done[index < current].current[index == current]
                            aria-current=[(index == current).then_some("step")] {
                            span.step-mark aria-hidden="true" { @if index < current { "✓" } @else { (index + 1) } }
                            span.step-label { (deal_status_label(tr, *step)) }
                            @if index < current { span.visually-hidden { " " (tr.t("deal-step-done")) } }
                        }
                    }
                }
            }
            None => { p.notice { (tr.t("deal-called-off")) } }
        }
    }
}

/// The deal's current terms: what, for how much, proposed by whom (or that there are none).
fn terms_text(tr: &Tr, p: &DealPage, name_of: &impl Fn(i64) -> String) -> Markup {
    let d = &p.card.stored.deal;
    html! {
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
    }
}

/// The deal's next steps: agree, complete and pay, the payment entry, propose terms or cancel.
fn terms_actions(
    v: &Visitor,
    slug: &str,
    p: &DealPage,
    base: &str,
    other_name: &str,
    i_pay: bool,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let d = &p.card.stored.deal;
    html! {
        @if d.may_agree(p.me).is_ok() {
            form method="post" action={(base) "/agree"} {
                (csrf_field(v))
                input type="hidden" name="version" value=(p.card.stored.version);
                button.button type="submit" { (tr.t("deal-agree")) }
            }
        }
        @if d.may_complete(p.me).is_ok() {
            form method="post" action={(base) "/complete"} {
                (csrf_field(v))
                input type="hidden" name="version" value=(p.card.stored.version);
                @if p.locked {
                    (crate::views::unlock_form(v, errors))
                }
                button.button type="submit" {
                    @match d.terms.as_ref().and_then(|t| t.amount_minor) {
                        Some(amount) => (tr.ta("deal-complete-pay", &[("amount", &p.unit.money(amount)), ("name", other_name)])),
                        None => (tr.t("deal-complete-gift")),
                    }
                }
            }
        }
        @if d.status == deal::Status::Agreed && !i_pay {
            p.hint { (tr.ta("deal-waiting-for-payer", &[("name", other_name)])) }
        }
        @if d.status == deal::Status::Completed {
            @if let Some(seq) = d.payment_seq {
                p { a href={"/c/" (slug) "/ledger#entry-" (seq)} { (tr.ta("deal-paid-entry", &[("seq", &seq.to_string())])) } }
            }
        }
        @if d.may_change(p.me).is_ok() {
            (propose_or_call_off(v, base, d.terms.is_some(), tr.ta("deal-terms-amount", &[("unit", &p.unit.name)]), None, errors))
        }
    }
}

/// The deal's conversation: its messages and the form to send one.
fn conversation_section(
    v: &Visitor,
    p: &DealPage,
    slug: &str,
    base: &str,
    name_of: &impl Fn(i64) -> String,
    errors: &FormErrors,
) -> Markup {
    let said: Vec<Said> = p
        .messages
        .iter()
        .map(|message| Said {
            mine: message.author == p.me,
            author: name_of(message.author),
            at_ms: message.created_at_ms,
            body: &message.body,
            report: (message.author != p.me).then(|| {
                crate::moderation::views::report_link(
                    v,
                    slug,
                    commons_governance::moderation::TargetKind::Message,
                    &message.id.to_string(),
                )
            }),
        })
        .collect();
    deal_conversation(v, &said, base, errors)
}

/// One message of a deal's conversation as the page shows it.
pub(crate) struct Said<'a> {
    pub mine: bool,
    pub author: String,
    pub at_ms: i64,
    pub body: &'a str,
    /// The link to report it, for what the other member wrote.
    pub report: Option<Markup>,
}

/// Proposing (new) terms, and calling the deal off: what a party may do until the deal
/// closes (within a circle or across a link; the amount's label names its unit).
pub(crate) fn propose_or_call_off(
    v: &Visitor,
    base: &str,
    has_terms: bool,
    amount_label: String,
    amount_hint: Option<String>,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let mut amount = Field::new("amount", amount_label, "text", "").optional();
    if let Some(hint) = amount_hint {
        amount = amount.hint(hint);
    }
    html! {
        details.propose {
            summary { (tr.t(if has_terms { "deal-propose-new" } else { "deal-propose" })) }
            form method="post" action={(base) "/terms"} {
                (csrf_field(v))
                (Field::new("description", tr.t("deal-terms-description"), "textarea", "")
                    .hint(tr.t("deal-terms-description-hint")).render(errors))
                (amount.render(errors))
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

/// A deal's conversation (within a circle or across a link): its messages and the form to send
/// one to `{base}/message`.
pub(crate) fn deal_conversation(
    v: &Visitor,
    said: &[Said],
    base: &str,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="talk-title" {
            h2 #talk-title { (tr.t("deal-conversation")) }
            @if said.is_empty() {
                p.empty { (tr.t("deal-no-messages")) }
            } @else {
                ol.messages {
                    @for message in said {
                        li.message.mine[message.mine] {
                            p.message-meta { strong { (message.author) } " · " (crate::views::ago::time_ago(message.at_ms)) }
                            p { (message.body) }
                            @if let Some(report) = &message.report {
                                p.report { (report) }
                            }
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
}

/// A completed deal's thanks, and the form to write mine.
fn thanks_section(
    v: &Visitor,
    p: &DealPage,
    base: &str,
    my_thanks: Option<&Thanks>,
    name_of: &impl Fn(i64) -> String,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    html! {
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
}
