//! The proposal form.

use super::*;

pub(super) fn checkbox(name: &'static str, checked: bool, label: String) -> Markup {
    html! {
        div.field.checkbox {
            input type="checkbox" id=(name) name=(name) checked[checked];
            label for=(name) { (label) }
        }
    }
}

/// What the proposal form needs besides its fields.
#[derive(Debug)]
pub struct ProposalFormPage<'a> {
    pub input: &'a ProposalInput,
    /// The proposal being edited, if any.
    pub editing: Option<i64>,
    /// Amending a blocked consent proposal for a new round: the method and options stay.
    pub amending: bool,
    pub policy: &'a Policy,
    pub unit: &'a Unit,
}

pub fn proposal_form_page(
    v: &Visitor,
    nav: &CircleNav,
    p: &ProposalFormPage,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let input = p.input;
    let title = match p.editing {
        Some(_) => tr.t("proposal-edit-title"),
        None => tr.t("proposal-new-title"),
    };
    let action = match p.editing {
        Some(number) => format!("/c/{slug}/proposals/{number}/edit"),
        None => format!("/c/{slug}/proposals/new"),
    };
    let method = if input.method.is_empty() {
        "majority"
    } else {
        input.method.as_str()
    };
    let action_kind = if input.action.is_empty() {
        "none"
    } else {
        input.action.as_str()
    };
    let unit_hint = tr.ta("proposal-limit-hint", &[("unit", &p.unit.name)]);
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            (error_summary(v, errors))
            form.card.stack method="post" action=(action) novalidate {
                (csrf_field(v))
                (Field::new("title", tr.t("proposal-field-title"), "text", &input.title)
                    .hint(tr.t("proposal-field-title-hint")).render(errors))
                (Field::new("body", tr.t("proposal-field-body"), "textarea", &input.body)
                    .hint(tr.t("proposal-field-body-hint")).optional().render(errors))
                @if p.amending {
                    input type="hidden" name="method" value=(method);
                    input type="hidden" name="options" value=(input.options);
                    input type="hidden" name="seats" value=(input.seats);
                } @else {
                    (method_fields(tr, input, method, errors))
                }
                (rules_fields(tr, p, errors))
                (action_fields(tr, input, action_kind, &unit_hint, errors))
                (policy_fieldset(tr, input, errors))
                button.button type="submit" { (tr.t("proposal-save")) }
            }
        },
    )
}

/// The method's radio buttons, the options and the number of seats.
fn method_fields(tr: &Tr, input: &ProposalInput, method: &str, errors: &FormErrors) -> Markup {
    html! {
        fieldset #method {
            legend { (tr.t("proposal-field-method")) }
            @if let Some(error) = errors.for_field("method") { p.field-error { (error) } }
            @for m in METHODS {
                (radio("method", m, method == m, tr.t(&format!("method-{m}")), Some(tr.t(&format!("method-{m}-hint")))))
            }
        }
        (Field::new("options", tr.t("proposal-field-options"), "textarea", &input.options)
            .hint(tr.t("proposal-field-options-hint")).optional().render(errors))
        (Field::new("seats", tr.t("proposal-field-seats"), "number", &input.seats)
            .hint(tr.t("proposal-field-seats-hint")).optional().render(errors))
    }
}

/// The vote's rules: quorum, threshold, hidden results and delegation.
fn rules_fields(tr: &Tr, p: &ProposalFormPage, errors: &FormErrors) -> Markup {
    let input = p.input;
    html! {
        (Field::new("quorum", tr.t("proposal-field-quorum"), "number", &input.quorum)
            .hint(tr.ta("proposal-field-quorum-hint", &[
                ("default", &p.policy.quorum_percent.to_string()),
                ("steward", &p.policy.steward_quorum_percent.to_string()),
            ])).optional().render(errors))
        (Field::new("threshold", tr.t("proposal-field-threshold"), "number", &input.threshold)
            .hint(tr.ta("proposal-field-threshold-hint", &[
                ("default", &p.policy.threshold_percent.to_string()),
                ("steward", &p.policy.steward_threshold_percent.to_string()),
            ])).optional().render(errors))
        (checkbox("hide_results", input.hide_results.is_some(), tr.t("proposal-field-hide-results")))
        p.hint { (tr.t("proposal-field-hide-results-hint")) }
        @if p.policy.delegation {
            (checkbox("delegation", input.delegation.is_some() || p.editing.is_none(), tr.t("proposal-field-delegation")))
        }
    }
}

/// The action the proposal takes, and that action's details.
fn action_fields(
    tr: &Tr,
    input: &ProposalInput,
    action_kind: &str,
    unit_hint: &str,
    errors: &FormErrors,
) -> Markup {
    html! {
        fieldset #action {
            legend { (tr.t("proposal-field-action")) }
            p.hint { (tr.t("proposal-field-action-hint")) }
            @if let Some(error) = errors.for_field("action") { p.field-error { (error) } }
            @for kind in ACTION_KINDS {
                (radio("action", kind, action_kind == kind, tr.t(&format!("action-kind-{kind}")), None))
            }
        }
        fieldset {
            legend { (tr.t("proposal-action-details")) }
            p.hint { (tr.t("proposal-action-details-hint")) }
            (Field::new("action_member", tr.t("proposal-field-member"), "text", &input.action_member)
                .hint(tr.t("proposal-field-member-hint")).optional().render(errors))
            (Field::new("action_floor", tr.t("proposal-field-floor"), "text", &input.action_floor)
                .hint(unit_hint.to_owned()).optional().render(errors))
            (Field::new("action_ceiling", tr.t("proposal-field-ceiling"), "text", &input.action_ceiling)
                .hint(unit_hint.to_owned()).optional().render(errors))
            (Field::new("action_text", tr.t("proposal-field-agreements"), "textarea", &input.action_text)
                .hint(tr.t("proposal-field-agreements-hint")).optional().render(errors))
        }
        (link_fieldset(tr, input, unit_hint, errors))
    }
}

/// The details of a link with another circle, for proposals that make or change one.
fn link_fieldset(tr: &Tr, input: &ProposalInput, unit_hint: &str, errors: &FormErrors) -> Markup {
    html! {
        fieldset {
            legend { (tr.t("link-legend")) }
            p.hint { (tr.t("link-legend-hint")) }
            (Field::new("link_circle", tr.t("link-field-circle"), "text", &input.link_circle)
                .hint(tr.t("link-field-circle-hint")).optional().render(errors))
            (Field::new("link_rate_here", tr.t("link-field-rate-here"), "text", &input.link_rate_here)
                .hint(unit_hint.to_owned()).optional().render(errors))
            (Field::new("link_rate_there", tr.t("link-field-rate-there"), "text", &input.link_rate_there)
                .hint(tr.t("link-field-rate-there-hint")).optional().render(errors))
            (Field::new("link_out_max", tr.t("link-field-out-max"), "text", &input.link_out_max)
                .hint(tr.t("link-field-out-max-hint")).optional().render(errors))
            (Field::new("link_in_max", tr.t("link-field-in-max"), "text", &input.link_in_max)
                .hint(tr.t("link-field-in-max-hint")).optional().render(errors))
            (checkbox("link_shares_market", input.link_shares_market.is_some(), tr.t("link-field-shares-market")))
            (Field::new("link_cc_path", tr.t("link-field-cc-path"), "text", &input.link_cc_path)
                .hint(tr.t("link-field-cc-path-hint")).optional().render(errors))
            (Field::new("link_cc_our_path", tr.t("link-field-cc-our-path"), "text", &input.link_cc_our_path)
                .hint(tr.t("link-field-cc-our-path-hint")).optional().render(errors))
            fieldset.inline {
                legend { (tr.t("link-field-status")) }
                @if let Some(error) = errors.for_field("link_status") { p.field-error { (error) } }
                @for status in ["open", "suspended", "closed"] {
                    (radio("link_status", status, input.link_status == status, tr.t(&format!("link-status-{status}")), None))
                }
            }
        }
    }
}

/// The fieldset of a new decision policy, for proposals that change it.
fn policy_fieldset(tr: &Tr, input: &ProposalInput, errors: &FormErrors) -> Markup {
    html! {
        fieldset {
            legend { (tr.t("proposal-policy-legend")) }
            p.hint { (tr.t("proposal-policy-hint")) }
            fieldset.inline {
                legend { (tr.t("policy-proposers")) }
                (radio("policy_proposers", "members", input.policy_proposers != "stewards", tr.t("policy-proposers-members"), None))
                (radio("policy_proposers", "stewards", input.policy_proposers == "stewards", tr.t("policy-proposers-stewards"), None))
            }
            (Field::new("policy_discussion_hours", tr.t("policy-discussion-hours"), "number", &input.policy_discussion_hours).optional().render(errors))
            (Field::new("policy_voting_hours", tr.t("policy-voting-hours"), "number", &input.policy_voting_hours).optional().render(errors))
            (Field::new("policy_reminder_hours", tr.t("policy-reminder-hours"), "number", &input.policy_reminder_hours).optional().render(errors))
            (Field::new("policy_quorum", tr.t("policy-quorum"), "number", &input.policy_quorum).optional().render(errors))
            (Field::new("policy_threshold", tr.t("policy-threshold"), "number", &input.policy_threshold).optional().render(errors))
            (Field::new("policy_steward_quorum", tr.t("policy-steward-quorum"), "number", &input.policy_steward_quorum)
                .hint(tr.t("policy-steward-hint")).optional().render(errors))
            (Field::new("policy_steward_threshold", tr.t("policy-steward-threshold"), "number", &input.policy_steward_threshold).optional().render(errors))
            (Field::new("policy_pausers", tr.t("policy-pausers"), "number", &input.policy_pausers).optional().render(errors))
            fieldset.inline {
                legend { (tr.t("policy-after-pause")) }
                (radio("policy_after_pause", "discussion", input.policy_after_pause != "new-round", tr.t("policy-after-pause-discussion"), None))
                (radio("policy_after_pause", "new-round", input.policy_after_pause == "new-round", tr.t("policy-after-pause-new-round"), None))
            }
            (checkbox("policy_delegation", input.policy_delegation.is_some(), tr.t("policy-delegation")))
            (checkbox("policy_hide_results", input.policy_hide_results.is_some(), tr.t("policy-hide-results")))
        }
    }
}
