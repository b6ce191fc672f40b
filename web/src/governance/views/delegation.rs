//! Delegating one's vote.

use super::*;

pub(super) fn delegate_form(
    v: &Visitor,
    slug: &str,
    proposal: Option<i64>,
    current: Option<&(Person, bool)>,
    members: &[Person],
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let action = match proposal {
        Some(number) => format!("/c/{slug}/proposals/{number}/delegate"),
        None => format!("/c/{slug}/delegation"),
    };
    html! {
        section.card aria-labelledby="delegate-title" {
            @if proposal.is_some() {
                h3 #delegate-title { (tr.t("delegate-title-proposal")) }
            } @else {
                h2 #delegate-title { (tr.t("delegate-title-standing")) }
            }
            @match current {
                Some((person, true)) => p { (tr.ta("delegate-current-standing", &[("name", &person.display_name)])) },
                Some((person, false)) => p { (tr.ta("delegate-current", &[("name", &person.display_name)])) },
                None => p { (tr.t("delegate-none")) },
            }
            p.hint { (tr.t("delegate-hint")) }
            form.stack method="post" action=(action) {
                (csrf_field(v))
                (Field::new("delegate", tr.t("delegate-field"), "text", "")
                    .hint(tr.t("delegate-field-hint")).optional().render(errors))
                @if !members.is_empty() {
                    details {
                        summary { (tr.t("delegate-members")) }
                        ul.member-names { @for m in members { li { (m.display_name) " — " code { (m.username) } } } }
                    }
                }
                button.button.secondary type="submit" { (tr.t("delegate-save")) }
            }
        }
    }
}

pub fn delegation_page(
    v: &Visitor,
    nav: &CircleNav,
    current: Option<&(Person, bool)>,
    members: &[Person],
    policy: &Policy,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("delegation-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            p.breadcrumb { a href={"/c/" (nav.slug) "/proposals"} { (tr.t("proposals-title")) } }
            h1 { (title) }
            (error_summary(v, errors))
            p.lead { (tr.t("delegation-lead")) }
            @if policy.delegation {
                (delegate_form(v, &nav.slug, None, current, members, errors))
            } @else {
                p.notice { (tr.t("delegation-error-off")) }
            }
            section.card aria-labelledby="policy-title" {
                h2 #policy-title { (tr.t("policy-title")) }
                (policy_list(tr, policy))
            }
        },
    )
}
