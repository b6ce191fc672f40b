//! The proposals list.

use super::*;

pub(super) fn proposal_list(
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
                                span.proposal-number { "#" (p.number) } " " (crate::governance::titles::shown(&v.tr, &p.draft.title))
                            }
                            " "
                            span.badge { (status_label(tr, p.status)) }
                            p.hint {
                                (method_label(tr, &p.draft.method)) " · "
                                @match (p.status, rounds.get(&p.id)) {
                                    (Status::Voting, Some((closes, _))) => (tr.ta("proposals-closes", &[("when", &crate::views::ago::ago(*closes))])),
                                    (_, Some((_, Some(outcome)))) => strong { (outcome_text(tr, outcome, &p.draft.options)) },
                                    _ => (crate::views::ago::time_ago(p.updated_at_ms)),
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
