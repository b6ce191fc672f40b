//! The proposal form parsed once into a typed draft (method, options, quorum and threshold as
//! minimums the policy sets, the bar of steward-level actions, ledger actions), and a ballot's
//! choice from the page's fields.

#![allow(clippy::result_large_err)]

use std::collections::{HashMap, HashSet};

use commons_governance::ballot::Choice;
use commons_governance::majority::{Position, Stance, REASON_CHARS_MAX};
use commons_governance::policy::{
    agreements_hash, AfterPause, Bar, Policy, PolicyError, Proposers,
};
use commons_governance::proposal::{Method, OPTIONS_MAX, OPTION_CHARS_MAX, TITLE_CHARS_MAX};
use commons_governance::store::{Documents, Proposal, ProposalDraft, BODY_CHARS_MAX};
use commons_ledger::amount::Decimals;
use commons_ledger::entry::{Action, DOCUMENT_AGREEMENTS, DOCUMENT_POLICY};
use commons_ledger::keys::PublicKey;

use crate::db::MemberStatus;
use crate::services::{invalid, ActionError, Actor, Services};

/// A proposal form's fields as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ProposalInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub method: String,
    /// One option per line.
    #[serde(default)]
    pub options: String,
    #[serde(default)]
    pub seats: String,
    #[serde(default)]
    pub quorum: String,
    #[serde(default)]
    pub threshold: String,
    pub hide_results: Option<String>,
    pub delegation: Option<String>,
    /// none, default-limits, member-limits, admit, remove, add-steward, remove-steward,
    /// agreements, policy.
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub action_floor: String,
    #[serde(default)]
    pub action_ceiling: String,
    /// A member's username.
    #[serde(default)]
    pub action_member: String,
    #[serde(default)]
    pub action_text: String,
    #[serde(default)]
    pub policy_proposers: String,
    #[serde(default)]
    pub policy_discussion_hours: String,
    #[serde(default)]
    pub policy_voting_hours: String,
    #[serde(default)]
    pub policy_quorum: String,
    #[serde(default)]
    pub policy_threshold: String,
    #[serde(default)]
    pub policy_reminder_hours: String,
    pub policy_delegation: Option<String>,
    pub policy_hide_results: Option<String>,
    #[serde(default)]
    pub policy_steward_quorum: String,
    #[serde(default)]
    pub policy_steward_threshold: String,
    #[serde(default)]
    pub policy_pausers: String,
    /// discussion or new-round.
    #[serde(default)]
    pub policy_after_pause: String,
    /// The linked circle: its slug here, or its address (a Credit Commons node's API's).
    #[serde(default)]
    pub link_circle: String,
    /// "1 hour here = 12 credits there": the two amounts, each in its own unit.
    #[serde(default)]
    pub link_rate_here: String,
    #[serde(default)]
    pub link_rate_there: String,
    /// Most this circle may owe, and be owed, across the link (in this circle's unit).
    #[serde(default)]
    pub link_out_max: String,
    #[serde(default)]
    pub link_in_max: String,
    pub link_shares_market: Option<String>,
    /// With the next: a Credit Commons node's tree names (`trunk`, `trunk/garden`), on its word.
    #[serde(default)]
    pub link_cc_path: String,
    #[serde(default)]
    pub link_cc_our_path: String,
    /// open, suspended or closed.
    #[serde(default)]
    pub link_status: String,
}

/// The kinds of action the proposal form offers.
pub const ACTION_KINDS: [&str; 13] = [
    "none",
    "default-limits",
    "member-limits",
    "admit",
    "remove",
    "add-steward",
    "remove-steward",
    "appoint-moderator",
    "end-moderator",
    "agreements",
    "policy",
    "link",
    "link-status",
];

/// The decision methods the form offers, in order.
pub const METHODS: [&str; 7] = [
    "majority", "consent", "approval", "score", "irv", "schulze", "stv",
];

pub(crate) fn percent(text: &str, default: u8, field: &'static str) -> Result<u8, ActionError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(default);
    }
    text.parse::<u8>()
        .ok()
        .filter(|p| *p <= 100)
        .ok_or_else(|| invalid(field, "proposal-error-percent"))
}

/// A proposal's quorum or threshold: blank is the policy's minimum; the author may only raise
/// it.
pub(crate) fn at_least(text: &str, minimum: u8, field: &'static str) -> Result<u8, ActionError> {
    let value = percent(text, minimum, field)?;
    if value < minimum {
        return Err(invalid(
            field,
            if field == "quorum" {
                "proposal-error-quorum-below"
            } else {
                "proposal-error-threshold-below"
            },
        ));
    }
    Ok(value)
}

pub(crate) fn count(text: &str, default: u32, field: &'static str) -> Result<u32, ActionError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(default);
    }
    text.parse::<u32>()
        .map_err(|_| invalid(field, "proposal-error-pausers"))
}

/// The form field and message for a policy the form would set that is not acceptable.
pub(crate) fn policy_error(error: PolicyError) -> ActionError {
    match error {
        PolicyError::Hours => invalid("policy_voting_hours", "proposal-error-hours"),
        PolicyError::Percent => invalid("policy_quorum", "proposal-error-percent"),
        PolicyError::Threshold => invalid("policy_threshold", "proposal-error-policy-threshold"),
        PolicyError::StewardBarLower => {
            invalid("policy_steward_quorum", "proposal-error-policy-steward-bar")
        }
        PolicyError::Pausers => invalid("policy_pausers", "proposal-error-pausers"),
    }
}

pub(crate) fn hours(text: &str, default: u32, field: &'static str) -> Result<u32, ActionError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(default);
    }
    text.parse::<u32>()
        .map_err(|_| invalid(field, "proposal-error-hours"))
}

impl ProposalInput {
    /// The form filled in from a stored proposal (for editing).
    pub fn from_proposal(
        proposal: &Proposal,
        decimals: Decimals,
        names: &HashMap<PublicKey, String>,
        partners: &HashMap<commons_ledger::keys::Hash, crate::links::PartnerCircle>,
    ) -> ProposalInput {
        let d = &proposal.draft;
        let mut input = ProposalInput {
            title: d.title.clone(),
            body: d.body.clone(),
            method: d.method.name().to_owned(),
            options: d.options.join("\n"),
            seats: match d.method {
                Method::Stv { seats } => seats.to_string(),
                _ => String::new(),
            },
            quorum: d.quorum_percent.to_string(),
            threshold: d.threshold_percent.to_string(),
            hide_results: d.hide_results.then(|| "on".into()),
            delegation: d.delegation.then(|| "on".into()),
            action: "none".into(),
            ..ProposalInput::default()
        };
        let member = |key: &PublicKey| names.get(key).cloned().unwrap_or_default();
        match d.actions.first() {
            Some(Action::SetDefaultLimits {
                floor_minor,
                ceiling_minor,
            }) => {
                input.action = "default-limits".into();
                input.action_floor = decimals.format(*floor_minor);
                input.action_ceiling = decimals.format(*ceiling_minor);
            }
            Some(Action::SetLimits {
                account,
                floor_minor,
                ceiling_minor,
            }) => {
                input.action = "member-limits".into();
                input.action_member = member(account);
                input.action_floor = decimals.format(*floor_minor);
                input.action_ceiling = decimals.format(*ceiling_minor);
            }
            Some(Action::Admit { account }) => {
                input.action = "admit".into();
                input.action_member = member(account);
            }
            Some(Action::Remove { account }) => {
                input.action = "remove".into();
                input.action_member = member(account);
            }
            Some(Action::AddSteward { key }) => {
                input.action = "add-steward".into();
                input.action_member = member(key);
            }
            Some(Action::RemoveSteward { key }) => {
                input.action = "remove-steward".into();
                input.action_member = member(key);
            }
            Some(Action::AppointModerator { account }) => {
                input.action = "appoint-moderator".into();
                input.action_member = member(account);
            }
            Some(Action::EndModerator { account }) => {
                input.action = "end-moderator".into();
                input.action_member = member(account);
            }
            Some(Action::SetDocument { document, .. }) if *document == DOCUMENT_AGREEMENTS => {
                input.action = "agreements".into();
                input.action_text = d.documents.agreements.clone().unwrap_or_default();
            }
            Some(Action::SetDocument { .. }) => {
                input.action = "policy".into();
            }
            Some(Action::Link(terms)) => input.fill_link(terms, decimals, partners),
            Some(Action::SetLinkStatus { partner, status }) => {
                input.fill_link_status(partner, *status, partners)
            }
            None => {}
        }
        if let Some(policy) = &d.documents.policy {
            input.fill_policy(policy);
        }
        input
    }

    /// Fills the policy fields (the circle's current policy, as a starting point).
    pub fn fill_policy(&mut self, policy: &Policy) {
        self.policy_proposers = match policy.proposers {
            Proposers::Members => "members".into(),
            Proposers::Stewards => "stewards".into(),
        };
        self.policy_discussion_hours = policy.discussion_hours_min.to_string();
        self.policy_voting_hours = policy.voting_hours.to_string();
        self.policy_quorum = policy.quorum_percent.to_string();
        self.policy_threshold = policy.threshold_percent.to_string();
        self.policy_reminder_hours = policy.reminder_hours.to_string();
        self.policy_delegation = policy.delegation.then(|| "on".into());
        self.policy_hide_results = policy.hide_results.then(|| "on".into());
        self.policy_steward_quorum = policy.steward_quorum_percent.to_string();
        self.policy_steward_threshold = policy.steward_threshold_percent.to_string();
        self.policy_pausers = policy.pausers_min.to_string();
        self.policy_after_pause = match policy.after_pause {
            AfterPause::Discussion => "discussion".into(),
            AfterPause::NewRound => "new-round".into(),
        };
    }
}

/// The parts of a ballot form: `position`, `stance`, `reason`, `approve-N`, `score-N`, `rank-N`.
pub fn parse_choice(
    method: &Method,
    options: usize,
    fields: &[(String, String)],
) -> Result<Choice, ActionError> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
    };
    let choice = match method {
        Method::Majority => Choice::Majority(match field("position") {
            Some("yes") => Position::Yes,
            Some("no") => Position::No,
            Some("abstain") => Position::Abstain,
            _ => return Err(invalid("position", "ballot-error-choose")),
        }),
        Method::Consent => Choice::Consent(match field("stance") {
            Some("agree") => Stance::Agree,
            Some("stand-aside") => Stance::StandAside,
            Some("object") => {
                let reason = field("reason").unwrap_or_default();
                if reason.is_empty() || reason.chars().count() > REASON_CHARS_MAX {
                    return Err(invalid("reason", "ballot-error-reason"));
                }
                Stance::Object {
                    reason: reason.to_owned(),
                }
            }
            _ => return Err(invalid("stance", "ballot-error-choose")),
        }),
        Method::Approval => Choice::Approval(
            (0..options)
                .filter(|i| field(&format!("approve-{i}")).is_some())
                .map(|i| i as u16)
                .collect(),
        ),
        Method::Score => {
            let mut scores = Vec::with_capacity(options);
            for i in 0..options {
                let score = match field(&format!("score-{i}")) {
                    None | Some("") => 0,
                    Some(text) => text
                        .parse::<u8>()
                        .ok()
                        .filter(|s| *s <= commons_governance::cardinal::SCORE_MAX)
                        .ok_or_else(|| invalid("score", "ballot-error-score"))?,
                };
                scores.push(score);
            }
            Choice::Score(scores)
        }
        Method::Irv | Method::Schulze | Method::Stv { .. } => {
            let mut ranked: Vec<(usize, u16)> = Vec::new();
            for i in 0..options {
                match field(&format!("rank-{i}")) {
                    None | Some("") => {}
                    Some(text) => {
                        let rank = text
                            .parse::<usize>()
                            .ok()
                            .filter(|r| (1..=options).contains(r))
                            .ok_or_else(|| invalid("rank", "ballot-error-rank"))?;
                        ranked.push((rank, i as u16));
                    }
                }
            }
            ranked.sort_unstable();
            if ranked.windows(2).any(|pair| pair[0].0 == pair[1].0) {
                return Err(invalid("rank", "ballot-error-rank-repeated"));
            }
            if ranked.is_empty() {
                return Err(invalid("rank", "ballot-error-rank-none"));
            }
            Choice::Ranked(ranked.into_iter().map(|(_, option)| option).collect())
        }
    };
    choice
        .check(method, options)
        .map_err(|_| invalid("ballot", "ballot-error-choose"))?;
    Ok(choice)
}

impl Services {
    /// Parses a proposal form into a draft, checking every field.
    pub async fn parse_proposal(
        &self,
        actor: &Actor,
        input: &ProposalInput,
    ) -> Result<ProposalDraft, ActionError> {
        let policy = self.governance_policy(actor).await?;
        let (title, body) = parse_title_and_body(input)?;
        let (method, options) = parse_method(input)?;
        let mut documents = Documents::default();
        let action = self
            .parse_action(actor, input, &policy, &mut documents)
            .await?;
        check_action(action.as_ref(), &method)?;
        let actions: Vec<Action> = action.into_iter().collect();
        let bar = self.bar(actor, &policy, &actions).await?;
        let quorum_percent = at_least(&input.quorum, bar.quorum_percent, "quorum")?;
        let threshold_percent = at_least(&input.threshold, bar.threshold_percent, "threshold")?;
        Ok(ProposalDraft {
            title,
            body,
            method,
            options,
            quorum_percent,
            threshold_percent,
            delegation: policy.delegation && input.delegation.is_some(),
            hide_results: policy.hides_results(&method, input.hide_results.is_some()),
            actions,
            documents,
        })
    }

    /// The one action the form asks for, if any; a document it sets goes into `documents`.
    async fn parse_action(
        &self,
        actor: &Actor,
        input: &ProposalInput,
        policy: &Policy,
        documents: &mut Documents,
    ) -> Result<Option<Action>, ActionError> {
        let decimals =
            Decimals::new(u32::from(actor.circle.decimals)).map_err(|_| ActionError::NotFound)?;
        let limit = |text: &str, field: &'static str| -> Result<i64, ActionError> {
            decimals
                .parse_minor(text.trim())
                .map_err(|_| invalid(field, "error-amount-invalid"))
        };
        let member = |status| self.member_key(actor, &input.action_member, status);
        Ok(Some(match input.action.as_str() {
            "" | "none" => return Ok(None),
            "default-limits" => Action::SetDefaultLimits {
                floor_minor: limit(&input.action_floor, "action_floor")?,
                ceiling_minor: limit(&input.action_ceiling, "action_ceiling")?,
            },
            "member-limits" => Action::SetLimits {
                account: member(MemberStatus::Active).await?,
                floor_minor: limit(&input.action_floor, "action_floor")?,
                ceiling_minor: limit(&input.action_ceiling, "action_ceiling")?,
            },
            "admit" => Action::Admit {
                account: member(MemberStatus::Pending).await?,
            },
            "remove" => Action::Remove {
                account: member(MemberStatus::Active).await?,
            },
            "add-steward" => Action::AddSteward {
                key: member(MemberStatus::Active).await?,
            },
            "remove-steward" => Action::RemoveSteward {
                key: member(MemberStatus::Active).await?,
            },
            "appoint-moderator" => Action::AppointModerator {
                account: member(MemberStatus::Active).await?,
            },
            "end-moderator" => Action::EndModerator {
                account: member(MemberStatus::Active).await?,
            },
            "agreements" => {
                let text = input.action_text.trim().to_owned();
                if text.is_empty() || text.chars().count() > BODY_CHARS_MAX {
                    return Err(invalid("action_text", "proposal-error-agreements"));
                }
                let hash = agreements_hash(&text);
                documents.agreements = Some(text);
                Action::SetDocument {
                    document: DOCUMENT_AGREEMENTS,
                    hash,
                }
            }
            "policy" => {
                let new = parse_policy(input, policy)?;
                let hash = new.hash();
                documents.policy = Some(new);
                Action::SetDocument {
                    document: DOCUMENT_POLICY,
                    hash,
                }
            }
            "link" => self.parse_link(actor, input).await?,
            "link-status" => self.parse_link_status(actor, input).await?,
            _ => return Err(invalid("action", "proposal-error-action")),
        }))
    }

    /// The least quorum and threshold a proposal carrying these actions must have now.
    pub async fn bar(
        &self,
        actor: &Actor,
        policy: &Policy,
        actions: &[Action],
    ) -> Result<Bar, ActionError> {
        Ok(policy.bar(actions, self.default_limits(&actor.circle).await?))
    }
}

/// The proposal's title (required) and body, trimmed and bounded.
fn parse_title_and_body(input: &ProposalInput) -> Result<(String, String), ActionError> {
    let title = commons_ledger::title::Title::parse(&input.title, TITLE_CHARS_MAX)
        .map_err(|_| invalid("title", "proposal-error-title"))?
        .into_string();
    let body = input.body.trim().to_owned();
    if body.chars().count() > BODY_CHARS_MAX {
        return Err(invalid("body", "proposal-error-body"));
    }
    Ok((title, body))
}

/// The voting method and, for a vote between options, its 2 to [`OPTIONS_MAX`] distinct
/// options (one per line) and, for STV, fewer seats than options.
fn parse_method(input: &ProposalInput) -> Result<(Method, Vec<String>), ActionError> {
    let name = match input.method.as_str() {
        "" => "majority",
        name => name,
    };
    let method =
        Method::parse(name, 1).ok_or_else(|| invalid("method", "proposal-error-method"))?;
    if !method.has_options() {
        return Ok((method, Vec::new()));
    }
    let options: Vec<String> = input
        .options
        .lines()
        .map(|line| line.trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect();
    let distinct: HashSet<&String> = options.iter().collect();
    if options.len() < 2
        || options.len() > OPTIONS_MAX
        || distinct.len() != options.len()
        || options.iter().any(|o| o.chars().count() > OPTION_CHARS_MAX)
    {
        return Err(invalid("options", "proposal-error-options"));
    }
    if let Method::Stv { .. } = method {
        let seats = input
            .seats
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|s| *s >= 1 && usize::from(*s) < options.len())
            .ok_or_else(|| invalid("seats", "proposal-error-seats"))?;
        return Ok((Method::Stv { seats }, options));
    }
    Ok((method, options))
}

/// Limits proposed by vote keep a floor at or below zero and a ceiling at or above it, and an
/// action is decided by a yes/no vote, never between options.
fn check_action(action: Option<&Action>, method: &Method) -> Result<(), ActionError> {
    if let Some(
        Action::SetDefaultLimits {
            floor_minor,
            ceiling_minor,
        }
        | Action::SetLimits {
            floor_minor,
            ceiling_minor,
            ..
        },
    ) = action
    {
        if *floor_minor > 0 {
            return Err(invalid("action_floor", "proposal-error-floor"));
        }
        if *ceiling_minor < 0 {
            return Err(invalid("action_ceiling", "proposal-error-ceiling"));
        }
    }
    if action.is_some() && method.has_options() {
        return Err(invalid("action", "proposal-error-action-method"));
    }
    Ok(())
}

/// A new policy from the form, each field left empty keeping the policy in force.
fn parse_policy(input: &ProposalInput, policy: &Policy) -> Result<Policy, ActionError> {
    let new = Policy {
        proposers: match input.policy_proposers.as_str() {
            "stewards" => Proposers::Stewards,
            _ => Proposers::Members,
        },
        discussion_hours_min: hours(
            &input.policy_discussion_hours,
            policy.discussion_hours_min,
            "policy_discussion_hours",
        )?,
        voting_hours: hours(
            &input.policy_voting_hours,
            policy.voting_hours,
            "policy_voting_hours",
        )?,
        quorum_percent: percent(&input.policy_quorum, policy.quorum_percent, "policy_quorum")?,
        threshold_percent: percent(
            &input.policy_threshold,
            policy.threshold_percent,
            "policy_threshold",
        )?,
        steward_quorum_percent: percent(
            &input.policy_steward_quorum,
            policy.steward_quorum_percent,
            "policy_steward_quorum",
        )?,
        steward_threshold_percent: percent(
            &input.policy_steward_threshold,
            policy.steward_threshold_percent,
            "policy_steward_threshold",
        )?,
        delegation: input.policy_delegation.is_some(),
        hide_results: input.policy_hide_results.is_some(),
        reminder_hours: hours(
            &input.policy_reminder_hours,
            policy.reminder_hours,
            "policy_reminder_hours",
        )?,
        pausers_min: count(&input.policy_pausers, policy.pausers_min, "policy_pausers")?,
        after_pause: match input.policy_after_pause.as_str() {
            "" => policy.after_pause,
            "new-round" => AfterPause::NewRound,
            "discussion" => AfterPause::Discussion,
            _ => return Err(invalid("policy_after_pause", "proposal-error-action")),
        },
    };
    new.check().map_err(policy_error)?;
    Ok(new)
}

/// A member's ballot as the vote form shows it again, so that changing a vote starts from it
/// (the inverse of parsing the form).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BallotPrefill {
    /// `yes`, `no` or `abstain` (majority).
    pub position: Option<&'static str>,
    /// `agree`, `stand-aside` or `object` (consent), and an objection's reason.
    pub stance: Option<&'static str>,
    pub reason: String,
    /// Per option: approved, its score, its rank (1 first).
    pub approved: Vec<bool>,
    pub scores: Vec<u8>,
    pub ranks: Vec<Option<usize>>,
}

impl BallotPrefill {
    /// The form's values for `choice` over `options` options (none: an empty form).
    pub fn of(choice: Option<&Choice>, options: usize) -> BallotPrefill {
        let mut prefill = BallotPrefill {
            approved: vec![false; options],
            scores: vec![0; options],
            ranks: vec![None; options],
            ..BallotPrefill::default()
        };
        match choice {
            None => {}
            Some(Choice::Majority(position)) => {
                prefill.position = Some(match position {
                    Position::Yes => "yes",
                    Position::No => "no",
                    Position::Abstain => "abstain",
                })
            }
            Some(Choice::Consent(stance)) => {
                prefill.stance = Some(match stance {
                    Stance::Agree => "agree",
                    Stance::StandAside => "stand-aside",
                    Stance::Object { reason } => {
                        prefill.reason = reason.clone();
                        "object"
                    }
                })
            }
            Some(Choice::Approval(list)) => {
                for candidate in list {
                    if let Some(slot) = prefill.approved.get_mut(usize::from(*candidate)) {
                        *slot = true;
                    }
                }
            }
            Some(Choice::Score(scores)) => {
                for (slot, score) in prefill.scores.iter_mut().zip(scores) {
                    *slot = *score;
                }
            }
            Some(Choice::Ranked(list)) => {
                for (place, candidate) in list.iter().enumerate() {
                    if let Some(slot) = prefill.ranks.get_mut(usize::from(*candidate)) {
                        *slot = Some(place + 1);
                    }
                }
            }
        }
        prefill
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn every_ballot_form_reads_into_its_choice() {
        let choice = |method: Method, pairs: &[(&str, &str)]| {
            parse_choice(&method, 3, &fields(pairs)).map_err(|e| e.to_string())
        };
        assert_eq!(
            choice(Method::Majority, &[("position", "no")]),
            Ok(Choice::Majority(Position::No))
        );
        assert_eq!(
            choice(
                Method::Consent,
                &[("stance", "object"), ("reason", " Too soon ")]
            ),
            Ok(Choice::Consent(Stance::Object {
                reason: "Too soon".into()
            }))
        );
        assert!(choice(Method::Consent, &[("stance", "object")]).is_err());
        assert_eq!(
            choice(
                Method::Approval,
                &[("approve-2", "on"), ("approve-0", "on")]
            ),
            Ok(Choice::Approval(vec![0, 2]))
        );
        assert_eq!(
            choice(Method::Approval, &[]),
            Ok(Choice::Approval(vec![])),
            "approving nothing is a valid ballot"
        );
        assert_eq!(
            choice(Method::Score, &[("score-0", "5"), ("score-2", "1")]),
            Ok(Choice::Score(vec![5, 0, 1]))
        );
        assert!(choice(Method::Score, &[("score-0", "6")]).is_err());
        // Ranks may skip numbers; they must not repeat; at least one.
        assert_eq!(
            choice(Method::Irv, &[("rank-0", "3"), ("rank-2", "1")]),
            Ok(Choice::Ranked(vec![2, 0]))
        );
        assert!(choice(Method::Schulze, &[("rank-0", "1"), ("rank-1", "1")]).is_err());
        assert!(choice(Method::Stv { seats: 2 }, &[]).is_err());
        assert!(choice(Method::Irv, &[("rank-1", "9")]).is_err());
    }

    /// What the vote form sends back when nothing is changed.
    fn sent(prefill: &BallotPrefill) -> Vec<(String, String)> {
        let mut sent = Vec::new();
        sent.extend(
            prefill
                .position
                .map(|p| ("position".to_owned(), p.to_owned())),
        );
        sent.extend(prefill.stance.map(|p| ("stance".to_owned(), p.to_owned())));
        sent.push(("reason".to_owned(), prefill.reason.clone()));
        for (i, approved) in prefill.approved.iter().enumerate() {
            if *approved {
                sent.push((format!("approve-{i}"), "on".to_owned()));
            }
        }
        for (i, score) in prefill.scores.iter().enumerate() {
            sent.push((format!("score-{i}"), score.to_string()));
        }
        for (i, rank) in prefill.ranks.iter().enumerate() {
            let rank = rank.map(|r| r.to_string()).unwrap_or_default();
            sent.push((format!("rank-{i}"), rank));
        }
        sent
    }

    #[test]
    fn a_ballot_shown_again_in_the_form_is_sent_back_as_the_same_choice() {
        let ballots = [
            (Method::Majority, Choice::Majority(Position::Abstain)),
            (Method::Consent, Choice::Consent(Stance::StandAside)),
            (
                Method::Consent,
                Choice::Consent(Stance::Object {
                    reason: "Not before the spring.".into(),
                }),
            ),
            (Method::Approval, Choice::Approval(vec![0, 2])),
            (Method::Approval, Choice::Approval(vec![])),
            (Method::Score, Choice::Score(vec![5, 0, 3])),
            (Method::Irv, Choice::Ranked(vec![2, 0])),
            (Method::Stv { seats: 2 }, Choice::Ranked(vec![1, 2, 0])),
        ];
        for (method, choice) in ballots {
            let prefill = BallotPrefill::of(Some(&choice), 3);
            let again = parse_choice(&method, 3, &sent(&prefill)).expect("parses");
            assert_eq!(again, choice, "{method:?}");
        }
        assert_eq!(BallotPrefill::of(None, 2).ranks, vec![None, None]);
    }
}
