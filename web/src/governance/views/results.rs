//! A round's results: bars and the same numbers in a table, each method's count, ties.

use super::*;
use commons_governance::cardinal::{ApprovalCount, ScoreCount};
use commons_governance::irv::IrvCount;
use commons_governance::majority::{ConsentCount, MajorityCount};
use commons_governance::schulze::SchulzeCount;
use commons_governance::stv::StvCount;
use commons_governance::summary::{plain_votes, Summary};

pub(super) fn describe_actions(v: &Visitor, view: &ProposalView, unit: &Unit) -> Vec<String> {
    let names = &view.names;
    let name = |key: &PublicKey| names.get(key).cloned().unwrap_or_else(|| key.short());
    view.proposal
        .draft
        .actions
        .iter()
        .map(|action| crate::ledger::history::describe_action(&v.tr, action, &name, unit))
        .collect()
}

/// A horizontal bar chart (decoration: the table beside it carries the same numbers). Each bar
/// is an SVG rectangle sized by its attributes, in thousandths of the track: the node's CSP
/// allows no inline style, which would draw every bar full.
pub(super) fn bars(rows: &[(String, u64)], total: u64) -> Markup {
    html! {
        div.bar-chart aria-hidden="true" data-total=(total) {
            @for (label, value) in rows {
                div.bar-row {
                    span.bar-label { (label) }
                    svg.bar-track viewBox="0 0 1000 10" preserveAspectRatio="none" focusable="false" {
                        rect.bar x="0" y="0" width=(bar_thousandths(*value, total)) height="10" {}
                    }
                    span.bar-value { (value) }
                }
            }
        }
    }
}

/// A bar's length in thousandths of its track: exact to a thousandth, and never so thin that
/// a vote that counts cannot be seen.
fn bar_thousandths(value: u64, total: u64) -> u64 {
    if value == 0 {
        return 0;
    }
    value
        .saturating_mul(1000)
        .checked_div(total)
        .map_or(0, |length| length.clamp(4, 1000))
}

pub(super) fn share(value: u64, total: u64) -> String {
    match (value * 1000 + total / 2).checked_div(total) {
        None => "—".to_owned(),
        Some(tenths) => format!("{}.{} %", tenths / 10, tenths % 10),
    }
}

pub(super) fn simple_table(tr: &Tr, caption: &str, rows: &[(String, u64)], total: u64) -> Markup {
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
pub(super) fn rounds_table(
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

pub(super) fn option_name(options: &[String], c: Candidate) -> String {
    options
        .get(usize::from(c))
        .cloned()
        .unwrap_or_else(|| format!("{}", c + 1))
}

pub(super) fn tie_note(tr: &Tr, options: &[String], tie: &TieBreak) -> String {
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

pub(super) fn results(
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
    // What anyone reads at a glance, then how it was counted for those who want to check.
    let (glance, detail) = match &recount.count {
        Count::Majority(c) => majority_results(tr, view, &caption, c),
        Count::Consent(c) => consent_results(tr, &caption, c),
        Count::Approval(c) => approval_results(tr, options, &caption, c),
        Count::Score(c) => (html! {}, score_results(tr, options, &caption, c)),
        Count::Irv(c) => irv_results(tr, options, &caption, c),
        Count::Schulze(c) => (html! {}, schulze_results(tr, options, &caption, c)),
        Count::Stv(c) => (html! {}, stv_results(tr, options, &caption, c)),
    };
    html! {
        p.summary { (summary_sentence(tr, &Summary::of(&recount.count), options, view.round.decision.is_none())) }
        (glance)
        p.hint { (tr.ta("results-participation", &[
            ("took_part", &recount.participation.to_string()),
            ("electorate", &recount.electorate.to_string()),
            ("quorum", &view.round.definition.quorum_percent.to_string()),
        ])) }
        details.count-detail {
            summary { (tr.t("results-how-counted")) }
            (detail)
            @if !recount.flows.is_empty() {
                (delegation_flows(tr, recount, names))
            }
        }
    }
}

/// The count in one sentence of the reader's language; while the vote is open, what it would
/// come to if it closed now ("leads", never "won").
fn summary_sentence(tr: &Tr, summary: &Summary, options: &[String], running: bool) -> String {
    let name = |option: &Candidate| option_name(options, *option);
    let key = |id: &str| {
        if running {
            format!("{id}-running")
        } else {
            id.to_owned()
        }
    };
    let n = |value: &u64| value.to_string();
    match summary {
        Summary::Empty => tr.t(&key("summary-empty")),
        Summary::Majority { yes, no, abstain } => tr.ta(
            "summary-majority",
            &[("yes", &n(yes)), ("no", &n(no)), ("abstain", &n(abstain))],
        ),
        Summary::Consent {
            agree,
            stand_aside,
            objections,
        } => tr.ta(
            "summary-consent",
            &[
                ("agree", &n(agree)),
                ("aside", &n(stand_aside)),
                ("objections", &n(objections)),
            ],
        ),
        Summary::Won {
            option,
            steps,
            votes,
            continuing,
        } => tr.ta(
            &key("summary-won"),
            &[
                ("option", &name(option)),
                ("steps", &steps.to_string()),
                ("votes", &n(votes)),
                ("of", &n(continuing)),
            ],
        ),
        Summary::Approved {
            option,
            approvals,
            ballots,
        } => tr.ta(
            &key("summary-approved"),
            &[
                ("option", &name(option)),
                ("approvals", &n(approvals)),
                ("ballots", &n(ballots)),
            ],
        ),
        Summary::Scored {
            option,
            mean_hundredths,
        } => tr.ta(
            &key("summary-scored"),
            &[
                ("option", &name(option)),
                (
                    "mean",
                    &format!("{}.{:02}", mean_hundredths / 100, mean_hundredths % 100),
                ),
            ],
        ),
        Summary::First { option } => tr.ta(&key("summary-first"), &[("option", &name(option))]),
        Summary::TiedFirst { options: tied } => tr.ta(
            &key("summary-tied-first"),
            &[(
                "options",
                &tied.iter().map(name).collect::<Vec<_>>().join(", "),
            )],
        ),
        Summary::Elected {
            options: elected,
            stages,
        } => tr.ta(
            &key("summary-elected"),
            &[
                (
                    "options",
                    &elected.iter().map(name).collect::<Vec<_>>().join(", "),
                ),
                ("stages", &stages.to_string()),
            ],
        ),
    }
}

/// A majority vote's yes, no and abstain: bars, table and the threshold reached.
fn majority_results(
    tr: &Tr,
    view: &RoundView,
    caption: &str,
    c: &MajorityCount,
) -> (Markup, Markup) {
    let rows = vec![
        (tr.t("position-yes"), c.yes),
        (tr.t("position-no"), c.no),
        (tr.t("position-abstain"), c.abstain),
    ];
    let glance = html! {
        (bars(&rows, c.voted()))
        p.hint { (tr.ta("results-threshold", &[
            ("threshold", &view.round.definition.threshold_percent.to_string()),
            ("share", &share(c.yes, c.yes + c.no)),
        ])) }
    };
    (glance, simple_table(tr, caption, &rows, c.voted()))
}

/// A consent round's stances: bars, table and the objections' reasons.
fn consent_results(tr: &Tr, caption: &str, c: &ConsentCount) -> (Markup, Markup) {
    let objections: u64 = c.objections.iter().map(|(w, _)| *w).sum();
    let rows = vec![
        (tr.t("stance-agree"), c.agree),
        (tr.t("stance-stand-aside"), c.stand_aside),
        (tr.t("stance-object"), objections),
    ];
    let glance = html! {
        (bars(&rows, c.voted()))
        @if !c.objections.is_empty() {
            h4 { (tr.t("results-objections")) }
            ul.objections {
                @for (_, reason) in &c.objections {
                    li { (reason) }
                }
            }
        }
    };
    (glance, simple_table(tr, caption, &rows, c.voted()))
}

/// An approval vote's approvals per option: bars, table and any tie-break.
fn approval_results(
    tr: &Tr,
    options: &[String],
    caption: &str,
    c: &ApprovalCount,
) -> (Markup, Markup) {
    let rows: Vec<(String, u64)> = c
        .approvals
        .iter()
        .enumerate()
        .map(|(i, n)| (option_name(options, i as Candidate), *n))
        .collect();
    let detail = html! {
        (simple_table(tr, caption, &rows, c.ballots))
        @if let Some(tie) = &c.tie_break { p.hint { (tie_note(tr, options, tie)) } }
    };
    (bars(&rows, c.ballots), detail)
}

/// A score vote's table of each option's mean and score distribution, and any tie-break.
fn score_results(tr: &Tr, options: &[String], caption: &str, c: &ScoreCount) -> Markup {
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

/// An instant-runoff count: the final round's bars, the rounds table and who left when.
fn irv_results(tr: &Tr, options: &[String], caption: &str, c: &IrvCount) -> (Markup, Markup) {
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
    let detail = html! {
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
    };
    (bars(&final_rows, final_total), detail)
}

/// A Schulze count: the ranking, the pairwise preferences table and any tie-break.
fn schulze_results(tr: &Tr, options: &[String], caption: &str, c: &SchulzeCount) -> Markup {
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

/// A single-transferable-vote count: the quota, the stages table and each stage's notes.
fn stv_results(tr: &Tr, options: &[String], caption: &str, c: &StvCount) -> Markup {
    html! {
        p { (tr.ta("results-quota", &[("quota", &plain_votes(c.quota)), ("seats", &c.seats.to_string())])) }
        (rounds_table(
            tr,
            &format!("{caption} — {}", tr.t("results-stages")),
            options,
            &c.stages.iter().enumerate().map(|(n, st)| (
                tr.ta("results-stage-n", &[("stage", &(n + 1).to_string())]),
                st.tallies.iter().map(|t| t.map(plain_votes)).collect(),
                plain_votes(st.non_transferable),
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
                            ("value", &plain_votes(*transfer_value)),
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

/// The delegations' flows: whose votes went through whom, and which were lost.
fn delegation_flows(
    tr: &Tr,
    recount: &Recount,
    names: &std::collections::HashMap<PublicKey, String>,
) -> Markup {
    html! {
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

#[cfg(test)]
mod tests {
    use super::bar_thousandths;

    #[test]
    fn a_bar_is_as_long_as_its_share_and_a_single_vote_still_shows() {
        assert_eq!(bar_thousandths(3, 5), 600);
        assert_eq!(bar_thousandths(2, 5), 400);
        assert_eq!(bar_thousandths(5, 5), 1000);
        assert_eq!(bar_thousandths(0, 5), 0);
        assert_eq!(bar_thousandths(1, 10_000), 4, "thin, never invisible");
        assert_eq!(bar_thousandths(0, 0), 0);
        assert_eq!(bar_thousandths(7, 0), 0, "no total, no bar");
    }
}
