//! Views of the circle's decisions: the proposals list, the proposal form, a proposal with its
//! discussion, vote form, results (a chart with its table) and receipt, and the delegation page.

use commons_governance::ballot::Choice;
use commons_governance::majority::Stance;
use commons_governance::policy::{after_pause, AfterPause, Policy, Proposers, Status};
use commons_governance::proposal::Method;
use commons_governance::ranked::{Candidate, TieBreak};
use commons_governance::store::{Comment, EventKind, Proposal};
use commons_governance::stv::{format_votes, StageAction};
use commons_governance::tally::{Count, Outcome, Recount};
use commons_ledger::keys::PublicKey;
use maud::{html, Markup, PreEscaped};

use crate::db::Person;
use crate::governance::{
    MyBallot, ProposalInput, ProposalLists, ProposalView, RoundView, ACTION_KINDS, METHODS,
};
use crate::http::session::Visitor;
use crate::i18n::Tr;
use crate::views::Unit;
use crate::views::{csrf_field, error_summary, layout, radio, when, CircleNav, Field, FormErrors};

fn status_label(tr: &Tr, status: Status) -> String {
    tr.t(&format!("proposal-status-{}", status.as_str()))
}

pub fn method_label(tr: &Tr, method: &Method) -> String {
    match method {
        Method::Stv { seats } => tr.ta("method-stv-seats", &[("seats", &seats.to_string())]),
        other => tr.t(&format!("method-{}", other.name())),
    }
}

fn outcome_of(view: &RoundView) -> Option<Outcome> {
    view.round
        .decision
        .as_ref()
        .and_then(|d| serde_json::from_value(d.outcome.clone()).ok())
}

fn outcome_text(tr: &Tr, outcome: &Outcome, options: &[String]) -> String {
    match outcome {
        Outcome::Chosen { options: chosen } => {
            let names: Vec<&str> = chosen
                .iter()
                .filter_map(|c| options.get(usize::from(*c)).map(String::as_str))
                .collect();
            tr.ta("outcome-chosen", &[("options", &names.join(", "))])
        }
        Outcome::NoQuorum => tr.t("outcome-no-quorum"),
        Outcome::Passed => tr.t("outcome-passed"),
        Outcome::Rejected => tr.t("outcome-rejected"),
        Outcome::Blocked => tr.t("outcome-blocked"),
        Outcome::NoWinner => tr.t("outcome-no-winner"),
    }
}

fn proposal_list(
    v: &Visitor,
    slug: &str,
    title_id: &str,
    list: &[Proposal],
    empty_id: &str,
    rounds: &std::collections::HashMap<i64, (i64, Option<Outcome>)>,
) -> Markup {
    let tr = &v.tr;
    let heading = format!("{title_id}-title");
    html! {
        section.card aria-labelledby=(heading) {
            h2 id=(heading) { (tr.t(title_id)) }
            @if list.is_empty() {
                p.empty { (tr.t(empty_id)) }
            } @else {
                ul.proposal-list {
                    @for p in list {
                        li {
                            a href={"/c/" (slug) "/proposals/" (p.number)} {
                                span.proposal-number { "#" (p.number) } " " (p.draft.title)
                            }
                            " "
                            span.badge { (status_label(tr, p.status)) }
                            p.hint {
                                (method_label(tr, &p.draft.method)) " · "
                                @match (p.status, rounds.get(&p.id)) {
                                    (Status::Voting, Some((closes, _))) => (tr.ta("proposals-closes", &[("when", &when(*closes))])),
                                    (_, Some((_, Some(outcome)))) => strong { (outcome_text(tr, outcome, &p.draft.options)) },
                                    _ => (when(p.updated_at_ms)),
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn proposals_page(
    v: &Visitor,
    nav: &CircleNav,
    lists: &ProposalLists,
    may_propose: bool,
) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let title = tr.t("proposals-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            div.page-head {
                h1 { (title) }
                div.actions {
                    @if may_propose {
                        a.button href={"/c/" (slug) "/proposals/new"} { (tr.t("proposals-new")) }
                    }
                    a.button.secondary href={"/c/" (slug) "/delegation"} { (tr.t("proposals-delegation")) }
                }
            }
            p.lead { (tr.t("proposals-lead")) }
            (proposal_list(v, slug, "proposals-voting", &lists.voting, "proposals-voting-none", &lists.rounds))
            (proposal_list(v, slug, "proposals-discussion", &lists.discussion, "proposals-discussion-none", &lists.rounds))
            @if !lists.my_drafts.is_empty() {
                (proposal_list(v, slug, "proposals-drafts", &lists.my_drafts, "proposals-drafts-none", &lists.rounds))
            }
            (proposal_list(v, slug, "proposals-decided", &lists.decided, "proposals-decided-none", &lists.rounds))
        },
    )
}

fn checkbox(name: &'static str, checked: bool, label: String) -> Markup {
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
                @if p.policy.delegation {
                    (checkbox("delegation", input.delegation.is_some() || p.editing.is_none(), tr.t("proposal-field-delegation")))
                }
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
                        .hint(unit_hint.clone()).optional().render(errors))
                    (Field::new("action_ceiling", tr.t("proposal-field-ceiling"), "text", &input.action_ceiling)
                        .hint(unit_hint.clone()).optional().render(errors))
                    (Field::new("action_text", tr.t("proposal-field-agreements"), "textarea", &input.action_text)
                        .hint(tr.t("proposal-field-agreements-hint")).optional().render(errors))
                }
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
                button.button type="submit" { (tr.t("proposal-save")) }
            }
        },
    )
}

fn describe_actions(v: &Visitor, view: &ProposalView, unit: &Unit) -> Vec<String> {
    let names = &view.names;
    let name = |key: &PublicKey| names.get(key).cloned().unwrap_or_else(|| key.short());
    view.proposal
        .draft
        .actions
        .iter()
        .map(|action| crate::ledger::routes::describe_action(&v.tr, action, &name, unit))
        .collect()
}

/// A horizontal bar chart (decoration: the table beside it carries the same numbers).
fn bars(rows: &[(String, u64)], total: u64) -> Markup {
    html! {
        div.bar-chart aria-hidden="true" {
            @for (label, value) in rows {
                @let width = (value * 100).checked_div(total).unwrap_or(0);
                div.bar-row {
                    span.bar-label { (label) }
                    span.bar-track { span.bar style={"width:" (width) "%"} {} }
                    span.bar-value { (value) }
                }
            }
        }
    }
}

fn share(value: u64, total: u64) -> String {
    match (value * 1000 + total / 2).checked_div(total) {
        None => "—".to_owned(),
        Some(tenths) => format!("{}.{} %", tenths / 10, tenths % 10),
    }
}

fn simple_table(tr: &Tr, caption: &str, rows: &[(String, u64)], total: u64) -> Markup {
    html! {
        div.table-wrap tabindex="0" role="region" aria-label=(caption) {
            table {
                caption { (caption) }
                thead { tr {
                    th scope="col" { (tr.t("results-option")) }
                    th scope="col" class="num" { (tr.t("results-votes")) }
                    th scope="col" class="num" { (tr.t("results-share")) }
                } }
                tbody {
                    @for (label, value) in rows {
                        tr {
                            th scope="row" { (label) }
                            td.num { (value) }
                            td.num { (share(*value, total)) }
                        }
                    }
                }
            }
        }
    }
}

/// Each option's votes per round (or stage), and a last row of what left the count. The
/// table may scroll sideways on a phone, so its region takes keyboard focus. Each
/// column: its label, the tallies (`None` once an option is out), and the last row's value.
fn rounds_table(
    tr: &Tr,
    caption: &str,
    options: &[String],
    columns: &[(String, Vec<Option<String>>, String)],
    last_label: &str,
) -> Markup {
    html! {
        div.table-wrap tabindex="0" role="region" aria-label=(caption) {
            table {
                caption { (caption) }
                thead { tr {
                    th scope="col" { (tr.t("results-option")) }
                    @for (label, _, _) in columns { th scope="col" class="num" { (label) } }
                } }
                tbody {
                    @for (i, option) in options.iter().enumerate() {
                        tr {
                            th scope="row" { (option) }
                            @for (_, tallies, _) in columns {
                                td.num { (tallies.get(i).cloned().flatten().unwrap_or_else(|| "—".to_owned())) }
                            }
                        }
                    }
                    tr {
                        th scope="row" { (last_label) }
                        @for (_, _, last) in columns { td.num { (last) } }
                    }
                }
            }
        }
    }
}

fn option_name(options: &[String], c: Candidate) -> String {
    options
        .get(usize::from(c))
        .cloned()
        .unwrap_or_else(|| format!("{}", c + 1))
}

fn tie_note(tr: &Tr, options: &[String], tie: &TieBreak) -> String {
    match tie {
        TieBreak::PreviousRound { chosen, round, .. } => tr.ta(
            "results-tie-previous",
            &[
                ("option", &option_name(options, *chosen)),
                ("round", &round.to_string()),
            ],
        ),
        TieBreak::Lot { chosen, .. } => tr.ta(
            "results-tie-lot",
            &[("option", &option_name(options, *chosen))],
        ),
    }
}

fn results(
    v: &Visitor,
    view: &RoundView,
    recount: &Recount,
    names: &std::collections::HashMap<PublicKey, String>,
) -> Markup {
    let tr = &v.tr;
    let options = &view.round.definition.options;
    let caption = tr.ta(
        "results-caption",
        &[("round", &view.round.round.to_string())],
    );
    let body = match &recount.count {
        Count::Majority(c) => {
            let rows = vec![
                (tr.t("position-yes"), c.yes),
                (tr.t("position-no"), c.no),
                (tr.t("position-abstain"), c.abstain),
            ];
            html! {
                (bars(&rows, c.voted()))
                (simple_table(tr, &caption, &rows, c.voted()))
                p.hint { (tr.ta("results-threshold", &[
                    ("threshold", &view.round.definition.threshold_percent.to_string()),
                    ("share", &share(c.yes, c.yes + c.no)),
                ])) }
            }
        }
        Count::Consent(c) => {
            let objections: u64 = c.objections.iter().map(|(w, _)| *w).sum();
            let rows = vec![
                (tr.t("stance-agree"), c.agree),
                (tr.t("stance-stand-aside"), c.stand_aside),
                (tr.t("stance-object"), objections),
            ];
            html! {
                (bars(&rows, c.voted()))
                (simple_table(tr, &caption, &rows, c.voted()))
                @if !c.objections.is_empty() {
                    h4 { (tr.t("results-objections")) }
                    ul.objections {
                        @for (_, reason) in &c.objections {
                            li { (reason) }
                        }
                    }
                }
            }
        }
        Count::Approval(c) => {
            let rows: Vec<(String, u64)> = c
                .approvals
                .iter()
                .enumerate()
                .map(|(i, n)| (option_name(options, i as Candidate), *n))
                .collect();
            html! {
                (bars(&rows, c.ballots))
                (simple_table(tr, &caption, &rows, c.ballots))
                @if let Some(tie) = &c.tie_break { p.hint { (tie_note(tr, options, tie)) } }
            }
        }
        Count::Score(c) => {
            html! {
                div.table-wrap tabindex="0" role="region" aria-label=(caption) {
                    table {
                        caption { (caption) }
                        thead { tr {
                            th scope="col" { (tr.t("results-option")) }
                            th scope="col" class="num" { (tr.t("results-mean")) }
                            @for s in 0..=5 { th scope="col" class="num" { (s) } }
                        } }
                        tbody {
                            @for i in 0..c.totals.len() {
                                @let mean = c.mean_hundredths(i);
                                tr {
                                    th scope="row" { (option_name(options, i as Candidate)) }
                                    td.num { (format!("{}.{:02}", mean / 100, mean % 100)) }
                                    @for n in c.distribution[i] { td.num { (n) } }
                                }
                            }
                        }
                    }
                }
                @if let Some(tie) = &c.tie_break { p.hint { (tie_note(tr, options, tie)) } }
            }
        }
        Count::Irv(c) => {
            let last = c.rounds.last();
            let final_rows: Vec<(String, u64)> = last
                .map(|r| {
                    r.tallies
                        .iter()
                        .enumerate()
                        .filter_map(|(i, t)| t.map(|t| (option_name(options, i as Candidate), t)))
                        .collect()
                })
                .unwrap_or_default();
            let final_total = last.map_or(0, |r| r.continuing_total());
            html! {
                (bars(&final_rows, final_total))
                (rounds_table(
                    tr,
                    &format!("{caption} — {}", tr.t("results-rounds")),
                    options,
                    &c.rounds.iter().enumerate().map(|(n, r)| (
                        tr.ta("results-round-n", &[("round", &(n + 1).to_string())]),
                        r.tallies.iter().map(|t| t.map(|v| v.to_string())).collect(),
                        r.exhausted.to_string(),
                    )).collect::<Vec<_>>(),
                    &tr.t("results-exhausted"),
                ))
                ol.round-notes {
                    @for (n, r) in c.rounds.iter().enumerate() {
                        @if let Some(out) = r.excluded {
                            li { (tr.ta("results-excluded", &[("round", &(n + 1).to_string()), ("option", &option_name(options, out))]))
                                @if let Some(tie) = &r.tie_break { " " (tie_note(tr, options, tie)) } }
                        }
                    }
                }
            }
        }
        Count::Schulze(c) => {
            html! {
                ol.ranking {
                    @for group in &c.ranking {
                        li { (group.iter().map(|o| option_name(options, *o)).collect::<Vec<_>>().join(" = ")) }
                    }
                }
                div.table-wrap tabindex="0" role="region" aria-label=(format!("{caption} — {}", tr.t("results-pairwise"))) {
                    table {
                        caption { (caption) " — " (tr.t("results-pairwise")) }
                        thead { tr {
                            th scope="col" { (tr.t("results-preferred-over")) }
                            @for i in 0..c.candidates { th scope="col" class="num" { (option_name(options, i as Candidate)) } }
                        } }
                        tbody {
                            @for a in 0..c.candidates {
                                tr {
                                    th scope="row" { (option_name(options, a as Candidate)) }
                                    @for b in 0..c.candidates {
                                        td.num { @if a == b { "—" } @else { (c.pairwise[a][b]) } }
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(tie) = &c.tie_break { p.hint { (tie_note(tr, options, tie)) } }
            }
        }
        Count::Stv(c) => {
            html! {
                p { (tr.ta("results-quota", &[("quota", &format_votes(c.quota)), ("seats", &c.seats.to_string())])) }
                (rounds_table(
                    tr,
                    &format!("{caption} — {}", tr.t("results-stages")),
                    options,
                    &c.stages.iter().enumerate().map(|(n, st)| (
                        tr.ta("results-stage-n", &[("stage", &(n + 1).to_string())]),
                        st.tallies.iter().map(|t| t.map(format_votes)).collect(),
                        format_votes(st.non_transferable),
                    )).collect::<Vec<_>>(),
                    &tr.t("results-non-transferable"),
                ))
                ol.round-notes {
                    @for (n, stage) in c.stages.iter().enumerate() {
                        @let number = (n + 1).to_string();
                        li {
                            @match &stage.action {
                                StageAction::FirstPreferences => (tr.ta("results-stage-first", &[("stage", &number)])),
                                StageAction::Surplus { from, transfer_value } => (tr.ta("results-stage-surplus", &[
                                    ("stage", &number),
                                    ("option", &option_name(options, *from)),
                                    ("value", &format_votes(*transfer_value)),
                                ])),
                                StageAction::Exclusion { excluded } => (tr.ta("results-stage-excluded", &[
                                    ("stage", &number),
                                    ("option", &option_name(options, *excluded)),
                                ])),
                            }
                            @if !stage.elected.is_empty() {
                                " " (tr.ta("results-stage-elected", &[("options", &stage.elected.iter().map(|c| option_name(options, *c)).collect::<Vec<_>>().join(", "))]))
                            }
                            @for tie in &stage.tie_breaks { " " (tie_note(tr, options, tie)) }
                        }
                    }
                }
            }
        }
    };
    html! {
        (body)
        p.hint { (tr.ta("results-participation", &[
            ("took_part", &recount.participation.to_string()),
            ("electorate", &recount.electorate.to_string()),
            ("quorum", &view.round.definition.quorum_percent.to_string()),
        ])) }
        @if !recount.flows.is_empty() {
            details {
                summary { (tr.ta("results-delegations", &[("count", &recount.flows.iter().filter(|f| f.counted).count().to_string())])) }
                p.hint { (tr.t("results-delegations-hint")) }
                ul.flows {
                    @for flow in &recount.flows {
                        @let name = |key: &PublicKey| names.get(key).cloned().unwrap_or_else(|| key.short());
                        @let path = std::iter::once(name(&flow.from))
                            .chain(flow.path.iter().map(name))
                            .collect::<Vec<_>>()
                            .join(" → ");
                        li {
                            (path)
                            @if !flow.counted { " " span.hint { (tr.t("results-flow-lost")) } }
                        }
                    }
                }
            }
        }
    }
}

fn choice_text(tr: &Tr, choice: &Choice, options: &[String]) -> String {
    match choice {
        Choice::Majority(p) => tr.t(match p {
            commons_governance::majority::Position::Yes => "position-yes",
            commons_governance::majority::Position::No => "position-no",
            commons_governance::majority::Position::Abstain => "position-abstain",
        }),
        Choice::Consent(Stance::Agree) => tr.t("stance-agree"),
        Choice::Consent(Stance::StandAside) => tr.t("stance-stand-aside"),
        Choice::Consent(Stance::Object { reason }) => {
            format!("{}: {reason}", tr.t("stance-object"))
        }
        Choice::Approval(list) => list
            .iter()
            .map(|c| option_name(options, *c))
            .collect::<Vec<_>>()
            .join(", "),
        Choice::Score(scores) => scores
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{} {s}", option_name(options, i as Candidate)))
            .collect::<Vec<_>>()
            .join(", "),
        Choice::Ranked(list) => list
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{}. {}", i + 1, option_name(options, *c)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn my_ballot_card(v: &Visitor, mine: &MyBallot, options: &[String]) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="receipt-title" {
            h3 #receipt-title { (tr.t("receipt-title")) }
            p { (tr.ta("receipt-your-vote", &[("choice", &choice_text(tr, &mine.ballot.ballot.choice, options))])) }
            p { (tr.t("receipt-label")) " " code.hash { (mine.receipt.to_hex()) } }
            @match &mine.inclusion {
                Some((index, size, _, root, true)) => p.ok {
                    (tr.ta("receipt-included", &[("position", &(index + 1).to_string()), ("size", &size.to_string())]))
                    " " code.hash { (root.to_hex()) }
                },
                Some((_, _, _, _, false)) => p.field-error { (tr.t("receipt-not-verified")) },
                None => p.hint { (tr.t("receipt-pending")) },
            }
        }
    }
}

fn vote_form(
    v: &Visitor,
    slug: &str,
    view: &ProposalView,
    round: &RoundView,
    locked: bool,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let d = &round.round.definition;
    let number = view.proposal.number;
    let n = d.options.len();
    html! {
        form.card.stack #ballot method="post" action={"/c/" (slug) "/proposals/" (number) "/ballot"} {
            (csrf_field(v))
            h3 { (tr.t("vote-title")) }
            p.hint { (tr.ta("vote-closes", &[("when", &when(d.closes_at_ms))])) }
            @if let Some(error) = errors.for_field("ballot") { p.field-error { (error) } }
            @match d.method {
                Method::Majority => fieldset #position {
                    legend { (tr.t("vote-majority-legend")) }
                    @if let Some(error) = errors.for_field("position") { p.field-error { (error) } }
                    (radio("position", "yes", false, tr.t("position-yes"), None))
                    (radio("position", "no", false, tr.t("position-no"), None))
                    (radio("position", "abstain", false, tr.t("position-abstain"), None))
                },
                Method::Consent => {
                    fieldset #stance {
                        legend { (tr.t("vote-consent-legend")) }
                        @if let Some(error) = errors.for_field("stance") { p.field-error { (error) } }
                        (radio("stance", "agree", false, tr.t("stance-agree"), Some(tr.t("stance-agree-hint"))))
                        (radio("stance", "stand-aside", false, tr.t("stance-stand-aside"), Some(tr.t("stance-stand-aside-hint"))))
                        (radio("stance", "object", false, tr.t("stance-object"), Some(tr.t("stance-object-hint"))))
                    }
                    (Field::new("reason", tr.t("vote-reason"), "textarea", "").hint(tr.t("vote-reason-hint")).optional().render(errors))
                },
                Method::Approval => fieldset {
                    legend { (tr.t("vote-approval-legend")) }
                    @for i in 0..n {
                        div.field.checkbox {
                            input type="checkbox" id={"approve-" (i)} name={"approve-" (i)};
                            label for={"approve-" (i)} { (d.options[i]) }
                        }
                    }
                },
                Method::Score => fieldset #score tabindex="-1" {
                    legend { (tr.t("vote-score-legend")) }
                    @if let Some(error) = errors.for_field("score") { p.field-error { (error) } }
                    @for i in 0..n {
                        div.field.inline-select {
                            label for={"score-" (i)} { (d.options[i]) }
                            select id={"score-" (i)} name={"score-" (i)} {
                                @for s in 0..=5u8 { option value=(s) { (s) } }
                            }
                        }
                    }
                },
                Method::Irv | Method::Schulze | Method::Stv { .. } => fieldset #rank tabindex="-1" {
                    legend { (tr.t("vote-rank-legend")) }
                    p.hint { (tr.t("vote-rank-hint")) }
                    @if let Some(error) = errors.for_field("rank") { p.field-error { (error) } }
                    @for i in 0..n {
                        div.field.inline-select {
                            label for={"rank-" (i)} { (d.options[i]) }
                            select id={"rank-" (i)} name={"rank-" (i)} {
                                option value="" { (tr.t("vote-rank-none")) }
                                @for r in 1..=n { option value=(r) { (tr.ta("vote-rank-n", &[("rank", &r.to_string())])) } }
                            }
                        }
                    }
                },
            }
            @if locked { (crate::views::unlock_form(v, errors)) }
            p.hint { (tr.t("vote-public")) }
            button.button type="submit" { (tr.t("vote-submit")) }
        }
    }
}

fn comment_thread(
    v: &Visitor,
    slug: &str,
    number: i64,
    comments: &[(Comment, String)],
    parent: Option<i64>,
    open: bool,
    depth: usize,
) -> Markup {
    let tr = &v.tr;
    html! {
        ul.comments {
            @for (comment, name) in comments.iter().filter(|(c, _)| c.parent == parent) {
                li.comment id={"comment-" (comment.id)} {
                    p.comment-meta { strong { (name) } " · " (when(comment.created_at_ms)) }
                    div.comment-body { (PreEscaped(commons_market::markdown::render(&comment.body))) }
                    @if open {
                        details.reply {
                            summary { (tr.t("comment-reply")) }
                            form.stack method="post" action={"/c/" (slug) "/proposals/" (number) "/comments"} {
                                (csrf_field(v))
                                input type="hidden" name="parent" value=(comment.id);
                                div.field {
                                    label for={"reply-" (comment.id)} { (tr.ta("comment-reply-to", &[("name", name)])) }
                                    textarea id={"reply-" (comment.id)} name="body" rows="3" required {}
                                }
                                button.button.secondary.small type="submit" { (tr.t("comment-send")) }
                            }
                        }
                    }
                    @if depth < 8 {
                        (comment_thread(v, slug, number, comments, Some(comment.id), open, depth + 1))
                    }
                }
            }
        }
    }
}

/// What the proposal page needs besides the view.
#[derive(Debug)]
pub struct ProposalPage<'a> {
    pub view: &'a ProposalView,
    pub unit: &'a Unit,
    pub is_author: bool,
    pub may_edit: bool,
    pub locked: bool,
    pub members: &'a [Person],
    pub is_steward: bool,
}

pub fn proposal_page(
    v: &Visitor,
    nav: &CircleNav,
    p: &ProposalPage,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let view = p.view;
    let proposal = &view.proposal;
    let number = proposal.number;
    let base = format!("/c/{slug}/proposals/{number}");
    let title = format!("#{number} {}", proposal.draft.title);
    let actions = describe_actions(v, view, p.unit);
    let last = view.rounds.last();
    let voting_open =
        proposal.status == Status::Voting && last.is_some_and(|r| r.round.is_open(view.now_ms));
    let discussion_open = proposal.status.accepts_comments() && proposal.status != Status::Enacted;
    // Once voting opened, the frozen definition's rules are the ones that count.
    let (quorum, threshold) = last.map_or(
        (
            proposal.draft.quorum_percent,
            proposal.draft.threshold_percent,
        ),
        |r| {
            (
                r.round.definition.quorum_percent,
                r.round.definition.threshold_percent,
            )
        },
    );
    let step = |name: &str, label: String, secondary: bool| {
        html! {
            form method="post" action={(base) "/step/" (name)} {
                (csrf_field(v))
                @if secondary {
                    button.button.secondary type="submit" { (label) }
                } @else {
                    button.button type="submit" { (label) }
                }
            }
        }
    };
    layout(
        v,
        Some(nav),
        &title,
        html! {
            p.breadcrumb { a href={"/c/" (slug) "/proposals"} { (tr.t("proposals-title")) } }
            h1 { (title) }
            p.meta {
                span.badge { (status_label(tr, proposal.status)) }
                " " (method_label(tr, &proposal.draft.method))
                @if let Some(author) = &view.author { " · " (tr.ta("proposal-by", &[("name", &author.display_name)])) }
                " · " (when(proposal.created_at_ms))
            }
            (error_summary(v, errors))
            div.proposal-body { (PreEscaped(commons_market::markdown::render(&proposal.draft.body))) }
            @if !proposal.draft.options.is_empty() {
                section aria-labelledby="options-title" {
                    h2 #options-title { (tr.t("proposal-options")) }
                    ol { @for option in &proposal.draft.options { li { (option) } } }
                }
            }
            section.card aria-labelledby="changes-title" {
                h2 #changes-title { (tr.t("proposal-changes")) }
                @if actions.is_empty() {
                    p { (tr.t("proposal-changes-none")) }
                } @else {
                    p { (tr.t("proposal-changes-lead")) }
                    ul { @for a in &actions { li { (a) } } }
                    @if let Some(text) = &proposal.draft.documents.agreements {
                        details { summary { (tr.t("proposal-new-agreements")) } div { (PreEscaped(commons_market::markdown::render(text))) } }
                    }
                    @if let Some(policy) = &proposal.draft.documents.policy {
                        (policy_list(tr, policy))
                    }
                }
                @if proposal.draft.method == Method::Majority {
                    p.hint { (tr.ta("proposal-rules", &[
                        ("quorum", &quorum.to_string()),
                        ("threshold", &threshold.to_string()),
                    ])) }
                } @else {
                    p.hint { (tr.ta("proposal-rules-quorum", &[
                        ("quorum", &quorum.to_string()),
                    ])) }
                }
                @if let Some(why) = &proposal.enact_error {
                    p.field-error { (tr.ta("proposal-enact-refused", &[("why", why)])) }
                }
                @if proposal.status == Status::Enacted {
                    p.ok { (tr.ta("proposal-enacted", &[("seq", &proposal.enacted_seq.unwrap_or(0).to_string())]))
                        " " a href={"/c/" (slug) "/ledger"} { (tr.t("proposal-see-ledger")) } }
                }
            }
            @if p.is_author {
                div.actions.author-actions {
                    @if p.may_edit { a.button.secondary href={(base) "/edit"} { (tr.t("proposal-edit")) } }
                    @match proposal.status {
                        Status::Draft => {
                            (step("discuss", tr.t("proposal-step-discuss"), false))
                            (step("withdraw", tr.t("proposal-step-withdraw"), true))
                        },
                        Status::Discussion => {
                            (step("vote", tr.t("proposal-step-vote"), false))
                            (step("withdraw", tr.t("proposal-step-withdraw"), true))
                        },
                        Status::Closed if p.may_edit => (step("round", tr.t("proposal-step-round"), false)),
                        Status::Paused => (step("withdraw", tr.t("proposal-step-withdraw"), true)),
                        _ => {},
                    }
                }
                @if proposal.status == Status::Discussion {
                    p.hint { (tr.ta("proposal-discussion-min", &[("hours", &view.policy.discussion_hours_min.to_string())])) }
                }
            }
            (pause_section(v, p, &base, errors))
            @if let Some(round) = last {
                section aria-labelledby="vote-section-title" {
                    h2 #vote-section-title { (tr.t("proposal-vote-section")) }
                    p.hint { (tr.ta(if round.round.decision.is_some() { "vote-round-facts-closed" } else { "vote-round-facts" }, &[
                        ("round", &round.round.round.to_string()),
                        ("opened", &when(round.round.definition.opens_at_ms)),
                        ("closes", &when(round.round.definition.closes_at_ms)),
                        ("electorate", &round.round.definition.electorate.len().to_string()),
                        ("ballots", &round.round.ballot_count.to_string()),
                    ])) }
                    @if voting_open {
                        @if view.eligible {
                            (vote_form(v, slug, view, round, p.locked, errors))
                        } @else {
                            p.notice { (tr.t("vote-not-eligible")) }
                        }
                    }
                    @if let Some(mine) = &view.my_ballot {
                        (my_ballot_card(v, mine, &round.round.definition.options))
                    }
                    @if voting_open && round.round.definition.delegation && view.eligible {
                        (delegate_form(v, slug, Some(number), view.my_delegate.as_ref(), p.members, errors))
                    }
                }
            }
            @for round in view.rounds.iter().rev() {
                section.card.results aria-labelledby={"results-" (round.round.round)} {
                    h2 id={"results-" (round.round.round)} {
                        @if round.round.decision.is_some() { (tr.ta("results-title-final", &[("round", &round.round.round.to_string())])) }
                        @else { (tr.ta("results-title-running", &[("round", &round.round.round.to_string())])) }
                    }
                    @if let Some(outcome) = outcome_of(round) {
                        p.outcome { strong { (outcome_text(tr, &outcome, &round.round.definition.options)) } }
                    }
                    @if round.round.cancelled_at_ms.is_some() {
                        p.notice { (tr.t("round-cancelled")) }
                    }
                    @if round.hidden {
                        p { (tr.t("results-hidden")) }
                    } @else if let Some(recount) = &round.recount {
                        (results(v, round, recount, &view.names))
                    }
                    @if let Some(decision) = &round.round.decision {
                        p.hint { (tr.t("results-board")) " " code.hash { (decision.board_root) } }
                        p.hint { (tr.t("results-recount")) " " code { "commons tally " (slug) "/" (number) " --round " (round.round.round) } }
                        p { a href={(base) "/ballots.jsonl?round=" (round.round.round)} download { (tr.t("results-download")) } }
                    }
                }
            }
            (history_section(v, view))
            section aria-labelledby="discussion-title" {
                h2 #discussion-title { (tr.t("discussion-title")) }
                @if view.comments.is_empty() { p.empty { (tr.t("discussion-none")) } }
                (comment_thread(v, slug, number, &view.comments, None, discussion_open, 0))
                @if discussion_open {
                    form.card.stack method="post" action={(base) "/comments"} {
                        (csrf_field(v))
                        (Field::new("comment", tr.t("comment-new"), "textarea", "").hint(tr.t("comment-hint")).render(errors))
                        button.button type="submit" { (tr.t("comment-send")) }
                    }
                }
            }
        },
    )
}

/// The pause: a paused proposal's notice and reason, the steward's button to lift it, or the
/// form to pause it (stewards) or ask for a pause (members, where the policy lets them).
fn pause_section(v: &Visitor, p: &ProposalPage, base: &str, errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    let view = p.view;
    let proposal = &view.proposal;
    let policy = &view.policy;
    let needed = policy.pausers_min.to_string();
    let asked = view.pause_asked.to_string();
    let last_pause = view
        .history
        .iter()
        .rev()
        .find(|(event, _)| event.kind == EventKind::Paused);
    html! {
        @if proposal.status == Status::Paused {
            section.card.paused aria-labelledby="paused-title" {
                h2 #paused-title { (status_label(tr, Status::Paused)) }
                @if let Some((event, _)) = last_pause {
                    p { (tr.ta("paused-notice", &[("when", &when(event.at_ms))])) }
                    @if proposal.paused_from == Some(Status::Voting) {
                        p { (tr.ta("paused-notice-vote", &[("round", &proposal.round.to_string())])) }
                    }
                    p { strong { (tr.t("paused-reason")) } }
                    blockquote.pause-reason { @for line in event.reason.lines() { (line) br; } }
                }
                @if p.is_steward {
                    form.stack method="post" action={(base) "/resume"} {
                        (csrf_field(v))
                        p.hint { (tr.t(if after_pause(proposal.paused_from.unwrap_or(Status::Discussion), policy) == Status::Voting { "resume-to-vote" } else { "resume-to-discussion" })) }
                        button.button type="submit" { (tr.t("resume-button")) }
                    }
                }
            }
        } @else if proposal.status.may_pause() && (p.is_steward || policy.pausers_min > 0) {
            details.card.pause open[errors.for_field("reason").is_some()] {
                summary { (tr.t("pause-title")) }
                @if p.is_steward {
                    p { (tr.t("pause-lead-steward")) }
                } @else if view.i_asked_pause {
                    p { (tr.ta("pause-asked", &[("count", &asked), ("needed", &needed)])) }
                } @else {
                    p { (tr.ta("pause-lead-member", &[("count", &asked), ("needed", &needed)])) }
                }
                @if p.is_steward || !view.i_asked_pause {
                    form.stack method="post" action={(base) "/pause"} {
                        (csrf_field(v))
                        (Field::new("reason", tr.t("pause-field-reason"), "textarea", "").render(errors))
                        button.button.secondary type="submit" {
                            (tr.t(if p.is_steward { "pause-button-steward" } else { "pause-button-member" }))
                        }
                    }
                }
            }
        }
    }
}

/// The proposal's public history: edits that restarted the discussion, pauses, their lifting.
fn history_section(v: &Visitor, view: &ProposalView) -> Markup {
    let tr = &v.tr;
    html! {
        @if !view.history.is_empty() {
            section aria-labelledby="history-title" {
                h2 #history-title { (tr.t("history-title")) }
                ul.history {
                    @for (event, name) in &view.history {
                        @let at = when(event.at_ms);
                        @let name = name.clone().unwrap_or_else(|| "—".into());
                        li {
                            @match (event.kind, event.actor) {
                                (EventKind::Edited, _) => (tr.ta("history-edited", &[("when", &at), ("name", &name)])),
                                (EventKind::Paused, Some(_)) => {
                                    (tr.ta("history-paused", &[("when", &at), ("name", &name)]))
                                    " " q { (event.reason) }
                                },
                                (EventKind::Paused, None) => {
                                    (tr.ta("history-paused-members", &[("when", &at)]))
                                    " " q { (event.reason) }
                                },
                                (EventKind::Resumed, _) if event.reason == "withdrawn" => (tr.ta("history-withdrawn", &[("when", &at)])),
                                (EventKind::Resumed, _) => (tr.ta("history-resumed", &[("when", &at)])),
                            }
                        }
                    }
                }
            }
        }
    }
}

fn policy_list(tr: &Tr, policy: &Policy) -> Markup {
    let yes_no = |flag: bool| tr.t(if flag { "policy-yes" } else { "policy-no" });
    let rows = [
        (
            tr.t("policy-proposers"),
            tr.t(match policy.proposers {
                Proposers::Members => "policy-proposers-members",
                Proposers::Stewards => "policy-proposers-stewards",
            }),
        ),
        (
            tr.t("policy-discussion-hours"),
            policy.discussion_hours_min.to_string(),
        ),
        (tr.t("policy-voting-hours"), policy.voting_hours.to_string()),
        (
            tr.t("policy-reminder-hours"),
            policy.reminder_hours.to_string(),
        ),
        (
            tr.t("policy-quorum"),
            format!("{} %", policy.quorum_percent),
        ),
        (
            tr.t("policy-threshold"),
            format!("{} %", policy.threshold_percent),
        ),
        (
            tr.t("policy-steward-quorum"),
            format!("{} %", policy.steward_quorum_percent),
        ),
        (
            tr.t("policy-steward-threshold"),
            format!("{} %", policy.steward_threshold_percent),
        ),
        (tr.t("policy-pausers"), policy.pausers_min.to_string()),
        (
            tr.t("policy-after-pause"),
            tr.t(match policy.after_pause {
                AfterPause::Discussion => "policy-after-pause-discussion",
                AfterPause::NewRound => "policy-after-pause-new-round",
            }),
        ),
        (tr.t("policy-delegation"), yes_no(policy.delegation)),
        (tr.t("policy-hide-results"), yes_no(policy.hide_results)),
    ];
    html! {
        dl.facts {
            @for (term, value) in &rows {
                div { dt { (term) } dd { (value) } }
            }
        }
    }
}

fn delegate_form(
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

/// Every catalogue id the views build at run time (for the catalogue test).
pub fn built_ids() -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for status in [
        "draft",
        "discussion",
        "voting",
        "paused",
        "closed",
        "enacted",
        "withdrawn",
    ] {
        ids.push(format!("proposal-status-{status}"));
    }
    for method in METHODS {
        ids.push(format!("method-{method}"));
        ids.push(format!("method-{method}-hint"));
    }
    for kind in ACTION_KINDS {
        ids.push(format!("action-kind-{kind}"));
    }
    ids
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_built_id_is_in_the_catalogues() {
        for language in ["en", "es"] {
            let ids = crate::i18n::Catalogues::ids(language);
            for id in super::built_ids() {
                assert!(ids.contains(&id), "{language} lacks {id}");
            }
        }
    }
}
