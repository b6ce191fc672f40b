//! One proposal's page: its text, the vote form and my receipt, the discussion, pauses, its history and the policy.

use super::*;

pub(super) fn choice_text(tr: &Tr, choice: &Choice, options: &[String]) -> String {
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

pub(super) fn my_ballot_card(v: &Visitor, mine: &MyBallot, options: &[String]) -> Markup {
    let tr = &v.tr;
    html! {
        section.card aria-labelledby="receipt-title" {
            h3 #receipt-title { (tr.t("receipt-title")) }
            p { (tr.ta("receipt-your-vote", &[("choice", &choice_text(tr, &mine.ballot.record.choice, options))])) }
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

pub(super) fn vote_form(
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
    // A member who voted finds their ballot in the form, to change it or leave it.
    let mine = view
        .my_ballot
        .as_ref()
        .map(|mine| &mine.ballot.record.choice);
    let prefill = BallotPrefill::of(mine, n);
    html! {
        form.card.stack #ballot method="post" action={"/c/" (slug) "/proposals/" (number) "/ballot"} {
            (csrf_field(v))
            h3 { (tr.t(if mine.is_some() { "vote-change-title" } else { "vote-title" })) }
            @if let Some(choice) = mine {
                p.notice { (tr.ta("vote-yours", &[("choice", &choice_text(tr, choice, &d.options))])) }
            }
            p.hint { (tr.ta("vote-closes", &[("when", &crate::views::ago::ago(d.closes_at_ms))])) }
            @if let Some(error) = errors.for_field("ballot") { p.field-error { (error) } }
            @match d.method {
                Method::Majority => fieldset #position {
                    legend { (tr.t("vote-majority-legend")) }
                    @if let Some(error) = errors.for_field("position") { p.field-error { (error) } }
                    @for position in ["yes", "no", "abstain"] {
                        (radio("position", position, prefill.position == Some(position), tr.t(&format!("position-{position}")), None))
                    }
                },
                Method::Consent => {
                    fieldset #stance {
                        legend { (tr.t("vote-consent-legend")) }
                        @if let Some(error) = errors.for_field("stance") { p.field-error { (error) } }
                        @for stance in ["agree", "stand-aside", "object"] {
                            (radio("stance", stance, prefill.stance == Some(stance), tr.t(&format!("stance-{stance}")), Some(tr.t(&format!("stance-{stance}-hint")))))
                        }
                    }
                    (Field::new("reason", tr.t("vote-reason"), "textarea", &prefill.reason).hint(tr.t("vote-reason-hint")).optional().render(errors))
                },
                Method::Approval => fieldset {
                    legend { (tr.t("vote-approval-legend")) }
                    @for i in 0..n {
                        div.field.checkbox {
                            input type="checkbox" id={"approve-" (i)} name={"approve-" (i)} checked[prefill.approved[i]];
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
                                @for s in 0..=5u8 { option value=(s) selected[prefill.scores[i] == s] { (s) } }
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
                                option value="" selected[prefill.ranks[i].is_none()] { (tr.t("vote-rank-none")) }
                                @for r in 1..=n { option value=(r) selected[prefill.ranks[i] == Some(r)] { (tr.ta("vote-rank-n", &[("rank", &r.to_string())])) } }
                            }
                        }
                    }
                },
            }
            @if locked { (crate::views::unlock_form(v, errors)) }
            p.hint { (tr.t("vote-public")) }
            button.button type="submit" { (tr.t(if mine.is_some() { "vote-change-submit" } else { "vote-submit" })) }
        }
    }
}

pub(super) fn comment_thread(
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
                    p.comment-meta { strong { (name) } " · " (crate::views::ago::time_ago(comment.created_at_ms)) }
                    div.comment-body { (PreEscaped(commons_market::markdown::render(&comment.body))) }
                    @if v.user.as_ref().is_some_and(|me| me.id != comment.author) {
                        p.report { (crate::moderation::views::report_link(v, slug, commons_governance::moderation::TargetKind::Comment, &comment.id.to_string())) }
                    }
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
    let title = format!(
        "#{number} {}",
        crate::governance::titles::shown(&v.tr, &proposal.draft.title)
    );
    let actions = describe_actions(v, view, p.unit);
    let last = view.rounds.last();
    let voting_open =
        proposal.status == Status::Voting && last.is_some_and(|r| r.round.is_open(view.now_ms));
    let discussion_open = proposal.status.accepts_comments();
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
    layout(
        v,
        Some(nav),
        &title,
        html! {
            (proposal_heading(tr, slug, view, &title))
            (error_summary(v, errors))
            div.proposal-body { (PreEscaped(commons_market::markdown::render(&proposal.draft.body))) }
            @if !proposal.draft.options.is_empty() {
                (options_section(tr, proposal))
            }
            (changes_section(tr, slug, proposal, &actions, quorum, threshold))
            // After what the proposal says and does, never on a heading of its own.
            @if !p.is_author {
                p.report { (crate::moderation::views::report_link(v, slug, commons_governance::moderation::TargetKind::Proposal, &proposal.number.to_string())) }
            }
            @if p.is_author {
                (author_actions(v, p, &base))
            }
            (pause_section(v, p, &base, errors))
            @if let Some(round) = last {
                (vote_section(v, slug, p, round, voting_open, errors))
            }
            @for round in view.rounds.iter().rev() {
                (round_results_section(v, slug, &base, view, round))
            }
            (history_section(v, view))
            (discussion_section(v, slug, &base, view, discussion_open, errors))
        },
    )
}

/// The page's breadcrumb, title and the line of status, method, author and date.
fn proposal_heading(tr: &Tr, slug: &str, view: &ProposalView, title: &str) -> Markup {
    let proposal = &view.proposal;
    html! {
        p.breadcrumb { a href={"/c/" (slug) "/proposals"} { (tr.t("proposals-title")) } }
        h1 { (title) }
        p.meta {
            span.badge { (status_label(tr, proposal.status)) }
            " " (method_label(tr, &proposal.draft.method))
            @if let Some(author) = &view.author { " · " (tr.ta("proposal-by", &[("name", &author.display_name)])) }
            " · " (crate::views::ago::time_ago(proposal.created_at_ms))
        }
    }
}

/// The section listing the proposal's options.
fn options_section(tr: &Tr, proposal: &Proposal) -> Markup {
    html! {
        section aria-labelledby="options-title" {
            h2 #options-title { (tr.t("proposal-options")) }
            ol { @for option in &proposal.draft.options { li { (option) } } }
        }
    }
}

/// The card of what the proposal changes, the rules it is decided by, and its enactment.
fn changes_section(
    tr: &Tr,
    slug: &str,
    proposal: &Proposal,
    actions: &[String],
    quorum: u8,
    threshold: u8,
) -> Markup {
    html! {
        section.card aria-labelledby="changes-title" {
            h2 #changes-title { (tr.t("proposal-changes")) }
            @if actions.is_empty() {
                p { (tr.t("proposal-changes-none")) }
            } @else {
                p { (tr.t("proposal-changes-lead")) }
                ul { @for a in actions { li { (a) } } }
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
    }
}

/// The author's buttons to edit the proposal and move it to its next step.
fn author_actions(v: &Visitor, p: &ProposalPage, base: &str) -> Markup {
    let tr = &v.tr;
    let view = p.view;
    let proposal = &view.proposal;
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
    html! {
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
}

/// The latest round's vote section: its facts, the vote form, my receipt and the delegation form.
fn vote_section(
    v: &Visitor,
    slug: &str,
    p: &ProposalPage,
    round: &RoundView,
    voting_open: bool,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let view = p.view;
    let number = view.proposal.number;
    html! {
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
}

/// One round's results card: its outcome, the count and how to check it.
fn round_results_section(
    v: &Visitor,
    slug: &str,
    base: &str,
    view: &ProposalView,
    round: &RoundView,
) -> Markup {
    let tr = &v.tr;
    let number = view.proposal.number;
    html! {
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
                details.count-detail {
                    summary { (tr.t("results-check-yourself")) }
                    p.hint { (tr.t("results-board")) " " code.hash { (decision.board_root) } }
                    p.hint { (tr.t("results-recount")) " " code { "commons tally " (slug) "/" (number) " --round " (round.round.round) } }
                    p { a href={(base) "/ballots.jsonl?round=" (round.round.round)} download { (tr.t("results-download")) } }
                }
            }
        }
    }
}

/// The discussion section: the comment thread and the form for a new comment.
fn discussion_section(
    v: &Visitor,
    slug: &str,
    base: &str,
    view: &ProposalView,
    discussion_open: bool,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let number = view.proposal.number;
    html! {
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
    }
}

/// The pause: a paused proposal's notice and reason, the steward's button to lift it, or the
/// form to pause it (stewards) or ask for a pause (members, where the policy lets them).
pub(super) fn pause_section(
    v: &Visitor,
    p: &ProposalPage,
    base: &str,
    errors: &FormErrors,
) -> Markup {
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
pub(super) fn history_section(v: &Visitor, view: &ProposalView) -> Markup {
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

pub(super) fn policy_list(tr: &Tr, policy: &Policy) -> Markup {
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
