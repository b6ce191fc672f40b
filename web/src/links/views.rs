//! The pages of paying across a link: the form (which circle, who, how much) and the
//! confirmation that shows the amount in both units before anything is sent.

use maud::{html, Markup};

use crate::http::session::Visitor;
use crate::links::onward::Destination;
use crate::links::{CrossQuote, LinkedCircle};
use crate::views::{csrf_field, error_summary, layout, radio, CircleNav, Field, FormErrors, Unit};

/// The pay-across form's fields as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PayAcrossForm {
    /// The linked circle's slug.
    #[serde(default)]
    pub circle: String,
    #[serde(default)]
    pub member: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub memo: String,
    #[serde(default)]
    pub unlock_password: String,
    #[serde(default)]
    pub idempotency_key: String,
    /// "yes" once the payer saw the amount in both units and confirmed; "change" to go back to
    /// the form with what was typed.
    #[serde(default)]
    pub confirm: String,
}

/// The form: the linked circles to choose from, the payee, the amount in the payer's unit.
pub fn pay_across_page(
    v: &Visitor,
    nav: &CircleNav,
    unit: &Unit,
    destinations: &[Destination],
    form: &PayAcrossForm,
    locked: bool,
    errors: &FormErrors,
) -> Markup {
    let choices: Vec<(String, String)> = destinations
        .iter()
        .map(|destination| {
            let option = v.tr.ta(
                "cross-circle-option",
                &[
                    ("name", destination.name()),
                    ("unit", destination.unit_name()),
                ],
            );
            let label = match &destination.end {
                None => option,
                Some(_) => v.tr.ta(
                    "cross-circle-through",
                    &[("option", &option), ("via", &destination.via.partner.name)],
                ),
            };
            (destination.reference(), label)
        })
        .collect();
    let words = FormWords {
        title: "cross-title",
        lead: "cross-lead",
        action: "pay/across",
        member: "field-payee",
        amount_hint: "cross-hint-amount",
        submit: "cross-continue",
    };
    across_form(v, nav, unit, &choices, form, (locked, errors), &words)
}

/// What differs between paying across and asking across.
struct FormWords {
    title: &'static str,
    lead: &'static str,
    action: &'static str,
    member: &'static str,
    amount_hint: &'static str,
    submit: &'static str,
}

fn across_form(
    v: &Visitor,
    nav: &CircleNav,
    unit: &Unit,
    circles: &[(String, String)],
    form: &PayAcrossForm,
    (locked, errors): (bool, &FormErrors),
    words: &FormWords,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t(words.title);
    html! {
        (layout(v, Some(nav), &title, html! {
            section.card.narrow {
                h1 { (title) }
                p.lead { (tr.t(words.lead)) }
                (error_summary(v, errors))
                @if circles.is_empty() {
                    p { (tr.t("cross-none")) }
                } @else {
                    form method="post" action=(format!("/c/{}/{}", nav.slug, words.action)) novalidate {
                        (csrf_field(v))
                        input type="hidden" name="idempotency_key" value=(form.idempotency_key);
                        fieldset #circle {
                            legend { (tr.t("cross-field-circle")) }
                            @if let Some(error) = errors.for_field("circle") { p.field-error { (error) } }
                            @for (reference, label) in circles {
                                (radio("circle", reference,
                                    form.circle == *reference || circles.len() == 1,
                                    label.clone(), None))
                            }
                        }
                        (Field::new("member", tr.t(words.member), "text", &form.member)
                            .hint(tr.t("cross-hint-member")).render(errors))
                        (Field::new("amount", tr.ta("field-amount", &[("unit", &unit.name)]), "text", &form.amount)
                            .hint(tr.t(words.amount_hint)).render(errors))
                        (Field::new("memo", tr.t("field-memo"), "text", &form.memo).optional().hint(tr.t("cross-hint-memo")).render(errors))
                        @if locked {
                            (crate::views::unlock_form(v, errors))
                        }
                        button.button type="submit" { (tr.t(words.submit)) }
                    }
                }
            }
        }))
    }
}

/// The confirmation: who, where, and the amount in both units; sending keeps every field
/// (never the password: the first step unlocked the key for the session).
pub fn confirm_across_page(
    v: &Visitor,
    nav: &CircleNav,
    unit: &Unit,
    quote: &CrossQuote,
    form: &PayAcrossForm,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("cross-confirm-title");
    let partner = &quote.linked.partner;
    let (circle_name, there, amount_there) = match &quote.end {
        None => (
            partner.name.clone(),
            Unit {
                decimals: partner.decimals,
                symbol: partner.unit_symbol.clone(),
                name: partner.unit_name.clone(),
            },
            quote.amount_there_minor,
        ),
        Some((end, amount_end)) => (
            tr.ta(
                "cross-through",
                &[("circle", &end.name), ("via", &partner.name)],
            ),
            Unit {
                decimals: end.decimals,
                symbol: end.unit_symbol.clone(),
                name: end.unit_name.clone(),
            },
            *amount_end,
        ),
    };
    html! {
        (layout(v, Some(nav), &title, html! {
            section.card.narrow {
                h1 { (title) }
                dl.facts {
                    dt { (tr.t("cross-confirm-to")) }
                    dd { (quote.payee.display_name) " (@" (quote.payee.username) ")" }
                    dt { (tr.t("cross-confirm-circle")) }
                    dd { (circle_name) }
                    dt { (tr.t("cross-confirm-you-pay")) }
                    dd { strong { (unit.money(quote.amount_minor)) } }
                    dt { (tr.t("cross-confirm-they-receive")) }
                    dd { strong { (there.money(amount_there)) } }
                    @if !form.memo.trim().is_empty() {
                        dt { (tr.t("field-memo")) }
                        dd { (form.memo) }
                    }
                }
                p.hint { (tr.t("cross-confirm-rounding")) }
                form method="post" action=(format!("/c/{}/pay/across", nav.slug)) {
                    (csrf_field(v))
                    @for (name, value) in [
                        ("idempotency_key", &form.idempotency_key),
                        ("circle", &form.circle),
                        ("member", &quote.payee.username),
                        ("amount", &form.amount),
                        ("memo", &form.memo),
                    ] {
                        input type="hidden" name=(name) value=(value);
                    }
                    div.actions {
                        button.button type="submit" name="confirm" value="yes" { (tr.t("cross-send")) }
                        " "
                        button.button.secondary type="submit" name="confirm" value="change" { (tr.t("cross-change")) }
                    }
                }
            }
        }))
    }
}

/// The form to ask a member of a linked circle to pay me: which circle, who, how much in my
/// unit (they see what they pay in theirs). Nothing is signed, so no key is unlocked.
pub fn request_across_page(
    v: &Visitor,
    nav: &CircleNav,
    unit: &Unit,
    circles: &[LinkedCircle],
    form: &PayAcrossForm,
    errors: &FormErrors,
) -> Markup {
    let choices: Vec<(String, String)> = circles
        .iter()
        .map(|linked| {
            let label = v.tr.ta(
                "cross-circle-option",
                &[
                    ("name", &linked.partner.name),
                    ("unit", &linked.partner.unit_name),
                ],
            );
            (linked.partner.reference.clone(), label)
        })
        .collect();
    let words = FormWords {
        title: "request-across-title",
        lead: "request-across-lead",
        action: "request/across",
        member: "request-across-field-member",
        amount_hint: "request-across-hint-amount",
        submit: "request-across-send",
    };
    across_form(v, nav, unit, &choices, form, (false, errors), &words)
}
