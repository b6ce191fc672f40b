//! Views of the circle's decisions: the proposals list, the proposal form, a proposal with its
//! discussion, vote form, results (a chart with its table) and receipt, and the delegation page.

use commons_governance::ballot::Choice;
use commons_governance::majority::Stance;
use commons_governance::policy::{after_pause, AfterPause, Policy, Proposers, Status};
use commons_governance::proposal::Method;
use commons_governance::ranked::{Candidate, TieBreak};
use commons_governance::store::{Comment, EventKind, Proposal};
use commons_governance::stv::StageAction;
use commons_governance::tally::{Count, Outcome, Recount};
use commons_ledger::keys::PublicKey;
use maud::{html, Markup, PreEscaped};

use crate::db::Person;
use crate::governance::{
    BallotPrefill, MyBallot, ProposalInput, ProposalLists, ProposalView, RoundView, ACTION_KINDS,
    METHODS,
};
use crate::http::session::Visitor;
use crate::i18n::Tr;
use crate::views::Unit;
use crate::views::{csrf_field, error_summary, layout, radio, when, CircleNav, Field, FormErrors};

mod delegation;
mod form;
mod list;
mod proposal;
mod results;

pub use delegation::*;
pub use form::*;
pub use list::*;
pub use proposal::*;
use results::*;

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
    for summary in [
        "empty",
        "won",
        "approved",
        "scored",
        "first",
        "tied-first",
        "elected",
    ] {
        ids.push(format!("summary-{summary}"));
        ids.push(format!("summary-{summary}-running"));
    }
    for position in ["yes", "no", "abstain"] {
        ids.push(format!("position-{position}"));
    }
    for stance in ["agree", "stand-aside", "object"] {
        ids.push(format!("stance-{stance}"));
        ids.push(format!("stance-{stance}-hint"));
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
