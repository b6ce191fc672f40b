//! What members do to decide together — propose, discuss, vote, delegate — and what the node
//! does when voting closes (count, record, enact the decision in the ledger, tell everyone),
//! for pages and API alike. The rules live in `commons_governance`; this is the glue.

#![allow(clippy::result_large_err)]

use std::collections::{HashMap, HashSet};

use commons_governance::ballot::{verify_receipt, Ballot, Choice, SignedBallot};
use commons_governance::delegation::{choices, Delegation, Scope};
use commons_governance::majority::{Position, Stance, REASON_CHARS_MAX};
use commons_governance::policy::{
    after_pause, agreements_hash, check_step, AfterPause, Bar, DefaultLimits, Policy, PolicyError,
    Proposers, Status, Step, StepError,
};
use commons_governance::proposal::{
    body_hash, Definition, Method, OPTIONS_MAX, OPTION_CHARS_MAX, TITLE_CHARS_MAX,
};
use commons_governance::store::{
    AuditError, Comment, Documents, Event, GovernanceError, Proposal, ProposalDraft, Round,
    BODY_CHARS_MAX, COMMENT_CHARS_MAX, PAUSE_REASON_CHARS_MAX,
};
use commons_governance::tally::{recount, Outcome, Recount};
use commons_ledger::amount::Decimals;
use commons_ledger::entry::{Action, DOCUMENT_AGREEMENTS, DOCUMENT_POLICY};
use commons_ledger::keys::{Hash, PublicKey};
use commons_ledger::store::CircleInfo;
use commons_market::store::{NewNotification, NotificationKind};

use crate::db::{MemberStatus, Person};
use crate::services::{invalid, ActionError, Actor, Services};

/// How far a ballot signed outside the node may say it was cast from the node's clock.
pub const SIGNED_BALLOT_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;
/// Proposals per list on the proposals page.
pub const PROPOSALS_LISTED: i64 = 50;
/// Running results are counted on a page only below this many ballots; above it the page
/// shows the count of ballots until the close.
pub const LIVE_COUNT_BALLOTS_MAX: i64 = 20_000;

impl From<GovernanceError> for ActionError {
    fn from(error: GovernanceError) -> Self {
        match error {
            GovernanceError::NotFound => ActionError::NotFound,
            GovernanceError::Conflict => invalid("proposal", "error-conflict"),
            GovernanceError::VotingClosed => invalid("ballot", "ballot-error-closed"),
            GovernanceError::SameMoment => invalid("ballot", "ballot-error-same-moment"),
            GovernanceError::TooManyBallots => invalid("ballot", "ballot-error-too-many"),
            GovernanceError::TooManyComments => invalid("comment", "comment-error-too-many"),
            GovernanceError::CommentingTooMuch => invalid("comment", "comment-error-too-much"),
            GovernanceError::TooManyDelegations => invalid("delegate", "delegation-error-too-many"),
            GovernanceError::Db(error) => ActionError::Database(error),
            GovernanceError::Corrupt(what) => {
                ActionError::Database(sqlx::Error::Decode(what.into()))
            }
        }
    }
}

impl From<AuditError> for ActionError {
    fn from(error: AuditError) -> Self {
        match error {
            AuditError::Ledger(error) => error.into(),
            AuditError::Governance(error) => error.into(),
        }
    }
}

impl From<StepError> for ActionError {
    fn from(error: StepError) -> Self {
        match error {
            StepError::NotTheAuthor => ActionError::Forbidden,
            StepError::WrongStatus(_) => invalid("proposal", "proposal-error-status"),
            StepError::DiscussionTooShort { .. } => {
                invalid("proposal", "proposal-error-discussion-short")
            }
            StepError::NotBlocked => invalid("proposal", "proposal-error-not-blocked"),
        }
    }
}

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
}

/// The kinds of action the proposal form offers.
pub const ACTION_KINDS: [&str; 9] = [
    "none",
    "default-limits",
    "member-limits",
    "admit",
    "remove",
    "add-steward",
    "remove-steward",
    "agreements",
    "policy",
];

/// The decision methods the form offers, in order.
pub const METHODS: [&str; 7] = [
    "majority", "consent", "approval", "score", "irv", "schulze", "stv",
];

fn percent(text: &str, default: u8, field: &'static str) -> Result<u8, ActionError> {
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
fn at_least(text: &str, minimum: u8, field: &'static str) -> Result<u8, ActionError> {
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

fn count(text: &str, default: u32, field: &'static str) -> Result<u32, ActionError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(default);
    }
    text.parse::<u32>()
        .map_err(|_| invalid(field, "proposal-error-pausers"))
}

/// The form field and message for a policy the form would set that is not acceptable.
fn policy_error(error: PolicyError) -> ActionError {
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

fn hours(text: &str, default: u32, field: &'static str) -> Result<u32, ActionError> {
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
            Some(Action::SetDocument { document, .. }) if *document == DOCUMENT_AGREEMENTS => {
                input.action = "agreements".into();
                input.action_text = d.documents.agreements.clone().unwrap_or_default();
            }
            Some(Action::SetDocument { .. }) => {
                input.action = "policy".into();
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

/// A round as a page shows it: its definition, and its count when it may be shown.
#[derive(Debug, Clone)]
pub struct RoundView {
    pub round: Round,
    /// The count (at the close, or running when results are not hidden).
    pub recount: Option<Recount>,
    /// Running results are hidden until the close.
    pub hidden: bool,
}

/// My ballot in a round, with its receipt and, once the board is published, its proof.
#[derive(Debug, Clone)]
pub struct MyBallot {
    pub ballot: SignedBallot,
    pub receipt: Hash,
    /// (index, board size, proof, board root, verified) once the round closed.
    pub inclusion: Option<(usize, usize, Vec<Hash>, Hash, bool)>,
}

/// Everything the proposal page shows.
#[derive(Debug, Clone)]
pub struct ProposalView {
    pub proposal: Proposal,
    pub author: Option<Person>,
    pub rounds: Vec<RoundView>,
    pub comments: Vec<(Comment, String)>,
    pub my_ballot: Option<MyBallot>,
    /// Whether I am in the latest round's electorate.
    pub eligible: bool,
    /// Who my vote goes to on this proposal when I do not vote (and whether by a standing
    /// delegation).
    pub my_delegate: Option<(Person, bool)>,
    pub policy: Policy,
    /// The proposal's history (edits in discussion, pauses, their lifting), with who did each
    /// (`None`: members' requests together, or a member no longer active).
    pub history: Vec<(Event, Option<String>)>,
    /// How many members asked to pause it so far, and whether I did.
    pub pause_asked: u32,
    pub i_asked_pause: bool,
    /// Names of members by account key (ballot and action pages).
    pub names: HashMap<PublicKey, String>,
    pub now_ms: i64,
}

/// At most this many members' reasons make up the public reason of a pause they asked for.
pub const PAUSE_REASONS_SHOWN: usize = 10;

/// What a request to pause did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseOutcome {
    /// The proposal is paused.
    Paused,
    /// The member's request is recorded: `count` of the `needed` members have asked.
    Asked { count: u32, needed: u32 },
}

/// The proposals page.
#[derive(Debug, Clone, Default)]
pub struct ProposalLists {
    pub voting: Vec<Proposal>,
    pub discussion: Vec<Proposal>,
    pub decided: Vec<Proposal>,
    pub my_drafts: Vec<Proposal>,
    /// Per proposal id: its latest round's closing time and outcome (once decided).
    pub rounds: HashMap<i64, (i64, Option<Outcome>)>,
}

impl Services {
    async fn proposal_of(&self, actor: &Actor, number: i64) -> Result<Proposal, ActionError> {
        let proposal = self
            .governance
            .proposal(actor.circle.row_id, number)
            .await?
            .ok_or(ActionError::NotFound)?;
        // A draft is its author's alone.
        if proposal.status == Status::Draft && proposal.author != actor.user.id {
            return Err(ActionError::NotFound);
        }
        Ok(proposal)
    }

    pub async fn governance_policy(&self, actor: &Actor) -> Result<Policy, ActionError> {
        Ok(self.governance.policy(actor.circle.row_id).await?)
    }

    pub async fn proposal_lists(&self, actor: &Actor) -> Result<ProposalLists, ActionError> {
        let circle = actor.circle.row_id;
        let g = &self.governance;
        let drafts = g.drafts_of(circle, actor.user.id).await?;
        let mut lists = ProposalLists {
            voting: g
                .proposals(circle, &[Status::Voting], PROPOSALS_LISTED)
                .await?,
            discussion: g
                .proposals(
                    circle,
                    &[Status::Discussion, Status::Paused],
                    PROPOSALS_LISTED,
                )
                .await?,
            decided: g
                .proposals(
                    circle,
                    &[Status::Closed, Status::Enacted, Status::Withdrawn],
                    PROPOSALS_LISTED,
                )
                .await?,
            my_drafts: drafts,
            rounds: HashMap::new(),
        };
        let ids: Vec<i64> = lists
            .voting
            .iter()
            .chain(&lists.decided)
            .map(|p| p.id)
            .collect();
        lists.rounds = g
            .latest_rounds(&ids)
            .await?
            .into_iter()
            .map(|(id, (closes, decision))| {
                let outcome = decision.and_then(|d| serde_json::from_value(d.outcome).ok());
                (id, (closes, outcome))
            })
            .collect();
        Ok(lists)
    }

    async fn member_key(
        &self,
        actor: &Actor,
        username: &str,
        status: MemberStatus,
    ) -> Result<PublicKey, ActionError> {
        let username = username.trim().trim_start_matches('@');
        match self
            .db
            .member_by_username(actor.circle.row_id, username)
            .await?
        {
            Some(card) if card.status == status => Ok(card.account_key),
            _ => Err(invalid(
                "action_member",
                if status == MemberStatus::Pending {
                    "proposal-error-no-pending-member"
                } else {
                    "proposal-error-no-member"
                },
            )),
        }
    }

    /// Parses a proposal form into a draft, checking every field.
    pub async fn parse_proposal(
        &self,
        actor: &Actor,
        input: &ProposalInput,
    ) -> Result<ProposalDraft, ActionError> {
        let policy = self.governance_policy(actor).await?;
        let title = input.title.trim().to_owned();
        if title.is_empty() || title.chars().count() > TITLE_CHARS_MAX {
            return Err(invalid("title", "proposal-error-title"));
        }
        let body = input.body.trim().to_owned();
        if body.chars().count() > BODY_CHARS_MAX {
            return Err(invalid("body", "proposal-error-body"));
        }
        let mut method = match input.method.as_str() {
            "" | "majority" => Method::Majority,
            "consent" => Method::Consent,
            "approval" => Method::Approval,
            "score" => Method::Score,
            "irv" => Method::Irv,
            "schulze" => Method::Schulze,
            "stv" => Method::Stv { seats: 1 },
            _ => return Err(invalid("method", "proposal-error-method")),
        };
        let options: Vec<String> = if method.has_options() {
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
            options
        } else {
            Vec::new()
        };
        if let Method::Stv { .. } = method {
            let seats = input
                .seats
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|s| *s >= 1 && usize::from(*s) < options.len())
                .ok_or_else(|| invalid("seats", "proposal-error-seats"))?;
            method = Method::Stv { seats };
        }
        let decimals =
            Decimals::new(u32::from(actor.circle.decimals)).map_err(|_| ActionError::NotFound)?;
        let limit = |text: &str, field: &'static str| -> Result<i64, ActionError> {
            decimals
                .parse_minor(text.trim())
                .map_err(|_| invalid(field, "error-amount-invalid"))
        };
        let mut documents = Documents::default();
        let action = match input.action.as_str() {
            "" | "none" => None,
            "default-limits" => Some(Action::SetDefaultLimits {
                floor_minor: limit(&input.action_floor, "action_floor")?,
                ceiling_minor: limit(&input.action_ceiling, "action_ceiling")?,
            }),
            "member-limits" => Some(Action::SetLimits {
                account: self
                    .member_key(actor, &input.action_member, MemberStatus::Active)
                    .await?,
                floor_minor: limit(&input.action_floor, "action_floor")?,
                ceiling_minor: limit(&input.action_ceiling, "action_ceiling")?,
            }),
            "admit" => Some(Action::Admit {
                account: self
                    .member_key(actor, &input.action_member, MemberStatus::Pending)
                    .await?,
            }),
            "remove" => Some(Action::Remove {
                account: self
                    .member_key(actor, &input.action_member, MemberStatus::Active)
                    .await?,
            }),
            "add-steward" => Some(Action::AddSteward {
                key: self
                    .member_key(actor, &input.action_member, MemberStatus::Active)
                    .await?,
            }),
            "remove-steward" => Some(Action::RemoveSteward {
                key: self
                    .member_key(actor, &input.action_member, MemberStatus::Active)
                    .await?,
            }),
            "agreements" => {
                let text = input.action_text.trim().to_owned();
                if text.is_empty() || text.chars().count() > BODY_CHARS_MAX {
                    return Err(invalid("action_text", "proposal-error-agreements"));
                }
                let hash = agreements_hash(&text);
                documents.agreements = Some(text);
                Some(Action::SetDocument {
                    document: DOCUMENT_AGREEMENTS,
                    hash,
                })
            }
            "policy" => {
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
                    quorum_percent: percent(
                        &input.policy_quorum,
                        policy.quorum_percent,
                        "policy_quorum",
                    )?,
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
                    pausers_min: count(
                        &input.policy_pausers,
                        policy.pausers_min,
                        "policy_pausers",
                    )?,
                    after_pause: match input.policy_after_pause.as_str() {
                        "" => policy.after_pause,
                        "new-round" => AfterPause::NewRound,
                        "discussion" => AfterPause::Discussion,
                        _ => return Err(invalid("policy_after_pause", "proposal-error-action")),
                    },
                };
                new.check().map_err(policy_error)?;
                let hash = new.hash();
                documents.policy = Some(new);
                Some(Action::SetDocument {
                    document: DOCUMENT_POLICY,
                    hash,
                })
            }
            _ => return Err(invalid("action", "proposal-error-action")),
        };
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
        ) = &action
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
            hide_results: input.hide_results.is_some(),
            actions,
            documents,
        })
    }

    /// The circle's default limits now, as the bar for steward-level actions judges them.
    async fn default_limits(&self, info: &CircleInfo) -> Result<DefaultLimits, ActionError> {
        let (floor_minor, ceiling_minor) = self.store.default_limits(info).await?;
        Ok(DefaultLimits {
            floor_minor,
            ceiling_minor,
        })
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

    pub async fn create_proposal(
        &self,
        actor: &Actor,
        input: &ProposalInput,
    ) -> Result<Proposal, ActionError> {
        let policy = self.governance_policy(actor).await?;
        if policy.proposers == Proposers::Stewards && !actor.is_steward {
            return Err(invalid("title", "proposal-error-proposers"));
        }
        let draft = self.parse_proposal(actor, input).await?;
        Ok(self
            .governance
            .create(
                actor.circle.row_id,
                actor.user.id,
                &draft,
                self.store.now_ms(),
            )
            .await?)
    }

    /// Edits a proposal: its author, before the vote (or to amend a blocked consent proposal).
    pub async fn edit_proposal(
        &self,
        actor: &Actor,
        number: i64,
        input: &ProposalInput,
    ) -> Result<Proposal, ActionError> {
        let proposal = self.proposal_of(actor, number).await?;
        if proposal.author != actor.user.id {
            return Err(ActionError::Forbidden);
        }
        if !self.may_edit(&proposal).await? {
            return Err(invalid("title", "proposal-error-status"));
        }
        let mut draft = self.parse_proposal(actor, input).await?;
        if proposal.round > 0 {
            // An amendment for a new round keeps the method and options the vote was about.
            draft.method = proposal.draft.method;
            draft.options = proposal.draft.options.clone();
        }
        if draft == proposal.draft {
            return Ok(proposal);
        }
        let now = self.store.now_ms();
        // In discussion, the store restarts the minimum discussion time with the edit.
        self.governance
            .update(proposal.id, proposal.status, &draft, now)
            .await?;
        if proposal.status != Status::Draft {
            self.governance
                .record_edit(proposal.id, actor.user.id, now)
                .await?;
            self.notify_participants(
                &actor.circle,
                &proposal,
                Some(actor.user.id),
                NotificationKind::ProposalChanged,
            )
            .await?;
        }
        self.proposal_of(actor, number).await
    }

    /// Tells everyone who took part in a proposal (its author, commenters, voters of every
    /// round), but `except` (who caused it), that something happened to it.
    async fn notify_participants(
        &self,
        info: &CircleInfo,
        proposal: &Proposal,
        except: Option<i64>,
        kind: NotificationKind,
    ) -> Result<(), ActionError> {
        let (commenters, voters) = self.governance.participants(proposal.id).await?;
        let voters: HashSet<PublicKey> = voters.into_iter().collect();
        let mut users: HashSet<i64> = commenters.into_iter().collect();
        users.insert(proposal.author);
        for person in self.db.active_members(info.row_id).await? {
            if voters.contains(&person.account_key) {
                users.insert(person.user_id);
            }
        }
        let now = self.store.now_ms();
        let mut users: Vec<i64> = users.into_iter().filter(|u| Some(*u) != except).collect();
        users.sort_unstable();
        for user in users {
            self.notify_proposal(user, info, proposal.number, kind, now)
                .await?;
        }
        Ok(())
    }

    /// Whether the author may still edit: before the vote, or a consent proposal blocked in
    /// its last round.
    pub async fn may_edit(&self, proposal: &Proposal) -> Result<bool, ActionError> {
        Ok(match proposal.status {
            Status::Draft | Status::Discussion => true,
            Status::Closed => self.last_outcome(proposal).await? == Some(Outcome::Blocked),
            _ => false,
        })
    }

    async fn last_outcome(&self, proposal: &Proposal) -> Result<Option<Outcome>, ActionError> {
        if proposal.round == 0 {
            return Ok(None);
        }
        let round = self.governance.round(proposal.id, proposal.round).await?;
        Ok(round
            .and_then(|r| r.decision)
            .and_then(|d| serde_json::from_value(d.outcome).ok()))
    }

    /// The members who may vote now: active members whose ledger account is open.
    async fn electorate(&self, info: &CircleInfo) -> Result<Vec<Person>, ActionError> {
        let open: HashSet<PublicKey> = self
            .store
            .accounts(info)
            .await?
            .into_iter()
            .filter(|a| a.status == "open")
            .map(|a| a.key)
            .collect();
        let mut members: Vec<Person> = self
            .db
            .active_members(info.row_id)
            .await?
            .into_iter()
            .filter(|p| open.contains(&p.account_key))
            .collect();
        members.sort_by_key(|p| p.account_key);
        Ok(members)
    }

    /// Takes a step of the lifecycle: start the discussion, open voting (or a new round),
    /// withdraw.
    pub async fn proposal_step(
        &self,
        actor: &Actor,
        number: i64,
        step: Step,
    ) -> Result<Proposal, ActionError> {
        let proposal = self.proposal_of(actor, number).await?;
        let policy = self.governance_policy(actor).await?;
        let now = self.store.now_ms();
        let outcome = self.last_outcome(&proposal).await?;
        let to = check_step(
            step,
            proposal.status,
            proposal.author == actor.user.id,
            outcome.as_ref(),
            proposal.discussion_opened_at_ms,
            &policy,
            now,
        )?;
        if to != Status::Voting {
            self.governance
                .set_status(proposal.id, proposal.status, to, now)
                .await?;
            return self.proposal_of(actor, number).await;
        }
        let round = self
            .freeze_round(&actor.circle, &proposal, proposal.status, now)
            .await?;
        self.notify_vote_open(&actor.circle, &proposal, &round, now)
            .await?;
        self.proposal_of(actor, number).await
    }

    /// Freezes the proposal's next round and opens voting (from `from`: discussion, or a
    /// paused vote that resumes): the electorate, the policy in force and its bar (a quorum or
    /// threshold below it is raised to it), the time the text was put to discussion.
    async fn freeze_round(
        &self,
        info: &CircleInfo,
        proposal: &Proposal,
        from: Status,
        now: i64,
    ) -> Result<Round, ActionError> {
        let policy = self.governance.policy(info.row_id).await?;
        let defaults = self.default_limits(info).await?;
        let bar = policy.bar(&proposal.draft.actions, defaults);
        let author = self
            .db
            .membership(info.row_id, proposal.author)
            .await?
            .ok_or(ActionError::NotFound)?
            .account_key;
        let members = self.electorate(info).await?;
        let definition = Definition {
            circle_id: info.circle_id,
            proposal_id: proposal.number as u64,
            round: proposal.round + 1,
            title: proposal.draft.title.clone(),
            body_hash: body_hash(&proposal.draft.body),
            author,
            method: proposal.draft.method,
            options: proposal.draft.options.clone(),
            quorum_percent: proposal.draft.quorum_percent.max(bar.quorum_percent),
            threshold_percent: proposal.draft.threshold_percent.max(bar.threshold_percent),
            opens_at_ms: now,
            closes_at_ms: now + policy.voting_ms(),
            electorate: members.iter().map(|p| p.account_key).collect(),
            delegation: proposal.draft.delegation && policy.delegation,
            hide_results: proposal.draft.hide_results,
            actions: proposal.draft.actions.clone(),
            policy_hash: policy.hash(),
            discussed_since_ms: proposal.discussion_opened_at_ms.unwrap_or(now).min(now),
        };
        definition
            .check()
            .map_err(|_| invalid("proposal", "proposal-error-definition"))?;
        if let Err(breach) = policy.admits(&definition, defaults) {
            tracing::warn!(%breach, circle = %info.slug, proposal = proposal.number, "a definition would break the policy");
            return Err(invalid("proposal", "proposal-error-breaks-policy"));
        }
        Ok(self
            .governance
            .open_round(proposal, from, &definition, &policy, now)
            .await?)
    }

    /// Tells the round's electorate that voting opened.
    async fn notify_vote_open(
        &self,
        info: &CircleInfo,
        proposal: &Proposal,
        round: &Round,
        now: i64,
    ) -> Result<(), ActionError> {
        for member in self.db.active_members(info.row_id).await? {
            if round
                .definition
                .electorate
                .binary_search(&member.account_key)
                .is_ok()
            {
                self.notify_proposal(
                    member.user_id,
                    info,
                    proposal.number,
                    NotificationKind::VoteOpen,
                    now,
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn notify_proposal(
        &self,
        user: i64,
        info: &CircleInfo,
        number: i64,
        kind: NotificationKind,
        now: i64,
    ) -> Result<(), ActionError> {
        self.market
            .notify(
                NewNotification {
                    user,
                    circle: info.row_id,
                    kind,
                    listing: None,
                    other_listing: None,
                    deal: None,
                    proposal: Some(number),
                },
                now,
            )
            .await?;
        Ok(())
    }

    pub async fn comment(
        &self,
        actor: &Actor,
        number: i64,
        parent: Option<i64>,
        body: &str,
    ) -> Result<i64, ActionError> {
        let proposal = self.proposal_of(actor, number).await?;
        let body = body.trim();
        if body.is_empty() || body.chars().count() > COMMENT_CHARS_MAX {
            return Err(invalid("comment", "comment-error-length"));
        }
        if !proposal.status.accepts_comments() {
            return Err(invalid("comment", "comment-error-closed"));
        }
        Ok(self
            .governance
            .add_comment(
                proposal.id,
                parent,
                actor.user.id,
                body,
                self.store.now_ms(),
            )
            .await?)
    }

    /// Pauses a proposal in discussion or voting, with a public reason: a steward at once; a
    /// member asks, and the policy's number of members' requests together pause it (members
    /// cannot pause when the policy leaves it to stewards). A paused vote's round ends without
    /// a count. Everyone who took part is told.
    pub async fn pause_proposal(
        &self,
        actor: &Actor,
        number: i64,
        reason: &str,
    ) -> Result<PauseOutcome, ActionError> {
        let proposal = self.proposal_of(actor, number).await?;
        if !proposal.status.may_pause() {
            return Err(invalid("reason", "proposal-error-pause-status"));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > PAUSE_REASON_CHARS_MAX {
            return Err(invalid("reason", "proposal-error-pause-reason"));
        }
        let now = self.store.now_ms();
        if actor.is_steward {
            self.governance
                .pause(&proposal, Some(actor.user.id), reason, now)
                .await?;
        } else {
            let policy = self.governance_policy(actor).await?;
            if policy.pausers_min == 0 {
                return Err(invalid("reason", "proposal-error-pause-stewards"));
            }
            let requests = self
                .governance
                .request_pause(proposal.id, actor.user.id, reason, now)
                .await?;
            let count = requests.len() as u32;
            if count < policy.pausers_min {
                return Ok(PauseOutcome::Asked {
                    count,
                    needed: policy.pausers_min,
                });
            }
            let reasons: Vec<&str> = requests
                .iter()
                .take(PAUSE_REASONS_SHOWN)
                .map(|r| r.reason.as_str())
                .collect();
            self.governance
                .pause(&proposal, None, &reasons.join("\n\n"), now)
                .await?;
        }
        self.notify_participants(
            &actor.circle,
            &proposal,
            Some(actor.user.id),
            NotificationKind::ProposalPaused,
        )
        .await?;
        Ok(PauseOutcome::Paused)
    }

    /// Lifts a pause (stewards only): a paused discussion goes back to discussion, its minimum
    /// time starting again; a paused vote follows the policy (back to discussion, or a new
    /// round of voting on the same text).
    pub async fn resume_proposal(&self, actor: &Actor, number: i64) -> Result<(), ActionError> {
        if !actor.is_steward {
            return Err(ActionError::Forbidden);
        }
        let proposal = self.proposal_of(actor, number).await?;
        let Some(paused_from) = proposal
            .paused_from
            .filter(|_| proposal.status == Status::Paused)
        else {
            return Err(invalid("proposal", "proposal-error-status"));
        };
        let policy = self.governance_policy(actor).await?;
        let now = self.store.now_ms();
        match after_pause(paused_from, &policy) {
            Status::Voting => {
                let round = self
                    .freeze_round(&actor.circle, &proposal, Status::Paused, now)
                    .await?;
                self.notify_vote_open(&actor.circle, &proposal, &round, now)
                    .await?;
            }
            to => {
                self.governance
                    .set_status(proposal.id, Status::Paused, to, now)
                    .await?;
                self.notify_participants(
                    &actor.circle,
                    &proposal,
                    Some(actor.user.id),
                    NotificationKind::ProposalPaused,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The proposal's round that takes ballots now, and the time it was looked at.
    async fn open_round_of(&self, actor: &Actor, number: i64) -> Result<(Round, i64), ActionError> {
        let proposal = self.proposal_of(actor, number).await?;
        let now = self.store.now_ms();
        match self.governance.round(proposal.id, proposal.round).await? {
            Some(round) if proposal.status == Status::Voting && round.is_open(now) => {
                Ok((round, now))
            }
            _ => Err(invalid("ballot", "ballot-error-closed")),
        }
    }

    /// Casts the member's ballot in the proposal's open round, signed with their key; returns
    /// the receipt.
    pub async fn vote(
        &self,
        actor: &Actor,
        number: i64,
        fields: &[(String, String)],
    ) -> Result<Hash, ActionError> {
        let (round, now) = self.open_round_of(actor, number).await?;
        let definition = &round.definition;
        if definition
            .electorate
            .binary_search(&actor.membership.account_key)
            .is_err()
        {
            return Err(invalid("ballot", "ballot-error-not-eligible"));
        }
        let choice = parse_choice(&definition.method, definition.option_count(), fields)?;
        if actor.membership.sealed_key.is_none() {
            return Err(invalid("ballot", "ballot-error-own-key"));
        }
        let key = self.signing_key(actor)?;
        // After my latest ballot, even one signed on a machine whose clock runs a little ahead.
        let latest = self
            .governance
            .ballots_of(&round.definition_hash, &actor.membership.account_key)
            .await?
            .first()
            .map_or(i64::MIN, |b| b.ballot.cast_at_ms);
        let mut cast_at = now.max(latest.saturating_add(1));
        if cast_at > definition.closes_at_ms {
            return Err(invalid("ballot", "ballot-error-closed"));
        }
        for _ in 0..3 {
            let ballot =
                Ballot::new(definition, key.public_key(), cast_at, choice.clone()).sign(&key);
            match self.governance.cast(&ballot, self.store.now_ms()).await {
                Err(GovernanceError::SameMoment) => cast_at += 1,
                other => return Ok(other?),
            }
        }
        Err(GovernanceError::SameMoment.into())
    }

    /// Accepts a ballot the member signed themselves (a member who holds their own key, through
    /// the API): it must be theirs, for the open round's definition, cast within
    /// [`SIGNED_BALLOT_CLOCK_SKEW_MS`] of the node's clock, with a valid choice and signature.
    pub async fn cast_signed(
        &self,
        actor: &Actor,
        number: i64,
        bytes: Vec<u8>,
        signature: commons_ledger::keys::Signature,
    ) -> Result<Hash, ActionError> {
        let (round, now) = self.open_round_of(actor, number).await?;
        let signed = SignedBallot::from_parts(bytes, signature)
            .map_err(|_| invalid("ballot", "ballot-error-malformed"))?;
        let ballot = &signed.ballot;
        if ballot.voter != actor.membership.account_key {
            return Err(invalid("ballot", "ballot-error-not-yours"));
        }
        if ballot.circle_id != actor.circle.circle_id || ballot.proposal != round.definition_hash {
            return Err(invalid("ballot", "ballot-error-other-proposal"));
        }
        if round
            .definition
            .electorate
            .binary_search(&ballot.voter)
            .is_err()
        {
            return Err(invalid("ballot", "ballot-error-not-eligible"));
        }
        if (ballot.cast_at_ms - now).abs() > SIGNED_BALLOT_CLOCK_SKEW_MS {
            return Err(invalid("ballot", "ballot-error-clock"));
        }
        if ballot.cast_at_ms < round.definition.opens_at_ms
            || ballot.cast_at_ms > round.definition.closes_at_ms
        {
            return Err(invalid("ballot", "ballot-error-closed"));
        }
        ballot
            .choice
            .check(&round.definition.method, round.definition.option_count())
            .map_err(|_| invalid("ballot", "ballot-error-choose"))?;
        if !signed.signature_is_valid() {
            return Err(invalid("ballot", "ballot-error-signature"));
        }
        Ok(self.governance.cast(&signed, now).await?)
    }

    /// The delegation records of the circle that matter for a proposal now.
    async fn delegates_now(
        &self,
        info: &CircleInfo,
        number: i64,
    ) -> Result<HashMap<PublicKey, PublicKey>, ActionError> {
        let records = self
            .governance
            .delegations(info.row_id, number, i64::MAX)
            .await?;
        let records: Vec<&Delegation> = records.iter().map(|r| &r.delegation).collect();
        Ok(choices(&records, number as u64))
    }

    /// Delegates the member's vote (standing, or for one proposal) to another member, or
    /// revokes it (`to` empty).
    pub async fn delegate(
        &self,
        actor: &Actor,
        proposal: Option<i64>,
        to: &str,
    ) -> Result<(), ActionError> {
        let policy = self.governance_policy(actor).await?;
        if !policy.delegation {
            return Err(invalid("delegate", "delegation-error-off"));
        }
        if let Some(number) = proposal {
            let found = self.proposal_of(actor, number).await?;
            if !found.draft.delegation {
                return Err(invalid("delegate", "delegation-error-off"));
            }
        }
        let me = actor.membership.account_key;
        let delegate = if to.trim().is_empty() {
            None
        } else {
            let key = self
                .member_key(actor, to, MemberStatus::Active)
                .await
                .map_err(|_| invalid("delegate", "proposal-error-no-member"))?;
            if key == me {
                return Err(invalid("delegate", "delegation-error-self"));
            }
            // No cycles: following the delegate's own delegations must never lead back here —
            // for this proposal, or (for a standing delegation) for any proposal open now.
            let scopes: Vec<i64> = match proposal {
                Some(number) => vec![number],
                None => {
                    let mut open: Vec<i64> = self
                        .governance
                        .proposals(
                            actor.circle.row_id,
                            &[Status::Discussion, Status::Voting],
                            PROPOSALS_LISTED,
                        )
                        .await?
                        .iter()
                        .map(|p| p.number)
                        .collect();
                    open.push(0);
                    open
                }
            };
            for scope in scopes {
                let current = self.delegates_now(&actor.circle, scope).await?;
                let mut at = key;
                for _ in 0..=current.len() {
                    match current.get(&at) {
                        Some(next) if *next == me => {
                            return Err(invalid("delegate", "delegation-error-cycle"));
                        }
                        Some(next) => at = *next,
                        None => break,
                    }
                }
            }
            Some(key)
        };
        let signing = self.signing_key(actor)?;
        let record = Delegation {
            circle_id: actor.circle.circle_id,
            delegator: me,
            delegate,
            scope: proposal.map_or(Scope::Standing, |n| Scope::Proposal(n as u64)),
            made_at_ms: self.store.now_ms(),
        }
        .sign(&signing);
        self.governance
            .delegate(actor.circle.row_id, &record)
            .await?;
        Ok(())
    }

    /// Who the member's vote goes to: for a proposal (its own delegation first), or standing.
    pub async fn my_delegate(
        &self,
        actor: &Actor,
        proposal: Option<i64>,
    ) -> Result<Option<(Person, bool)>, ActionError> {
        let records = self
            .governance
            .delegations(actor.circle.row_id, proposal.unwrap_or(0), i64::MAX)
            .await?;
        let me = actor.membership.account_key;
        let mine: Vec<&Delegation> = records
            .iter()
            .map(|r| &r.delegation)
            .filter(|d| d.delegator == me)
            .collect();
        let chosen = choices(&mine, proposal.unwrap_or(0) as u64);
        let Some(key) = chosen.get(&me) else {
            return Ok(None);
        };
        let standing = !mine.iter().any(|d| {
            proposal.is_some() && d.scope == Scope::Proposal(proposal.unwrap_or(0) as u64)
        });
        let people = self.db.active_members(actor.circle.row_id).await?;
        Ok(people
            .into_iter()
            .find(|p| p.account_key == *key)
            .map(|p| (p, standing)))
    }

    /// A round's signed ballots and the delegations that count in it.
    pub async fn round_records(
        &self,
        actor: &Actor,
        proposal: &Proposal,
        round: &Round,
    ) -> Result<
        (
            Vec<SignedBallot>,
            Vec<commons_governance::delegation::SignedDelegation>,
        ),
        ActionError,
    > {
        let ballots = self.governance.ballots(&round.definition_hash).await?;
        let delegations = self
            .governance
            .delegations(
                actor.circle.row_id,
                proposal.number,
                round.definition.closes_at_ms,
            )
            .await?;
        Ok((ballots, delegations))
    }

    /// A closed round's export (JSON Lines: definition, signed ballots, delegations, recorded
    /// decision) and the round's number; `round` defaults to the latest.
    pub async fn round_export(
        &self,
        actor: &Actor,
        number: i64,
        round: Option<u32>,
    ) -> Result<(String, u32), ActionError> {
        let proposal = self.proposal_of(actor, number).await?;
        let wanted = round.unwrap_or(proposal.round);
        let found = match self.governance.round(proposal.id, wanted).await? {
            Some(found) if found.decision.is_some() => found,
            _ => return Err(ActionError::NotFound),
        };
        let (ballots, delegations) = self.round_records(actor, &proposal, &found).await?;
        Ok((
            commons_governance::export::write(
                &found.definition,
                &found.policy,
                &ballots,
                &delegations,
                found.decision.as_ref(),
            ),
            wanted,
        ))
    }

    /// Everything the proposal page shows.
    pub async fn proposal_view(
        &self,
        actor: &Actor,
        number: i64,
    ) -> Result<ProposalView, ActionError> {
        // A page view changes nothing: votes close in the background job.
        let proposal = self.proposal_of(actor, number).await?;
        let now = self.store.now_ms();
        let info = &actor.circle;
        let people = self.db.active_members(info.row_id).await?;
        let mut names: HashMap<PublicKey, String> = people
            .iter()
            .map(|p| (p.account_key, p.display_name.clone()))
            .collect();
        let by_id: HashMap<i64, &Person> = people.iter().map(|p| (p.user_id, p)).collect();
        let mut rounds = Vec::new();
        for round in self.governance.rounds(proposal.id).await? {
            let closed = round.decision.is_some();
            let hidden = !closed && round.definition.hide_results;
            let recount = if (closed || !hidden) && round.ballot_count <= LIVE_COUNT_BALLOTS_MAX {
                let ballots = self.governance.ballots(&round.definition_hash).await?;
                let delegations = self
                    .governance
                    .delegations(info.row_id, proposal.number, round.definition.closes_at_ms)
                    .await?;
                Some(recount(&round.definition, &ballots, &delegations))
            } else {
                None
            };
            rounds.push(RoundView {
                round,
                recount,
                hidden,
            });
        }
        let me = actor.membership.account_key;
        let mut my_ballot = None;
        let mut eligible = false;
        if let Some(last) = rounds.last() {
            eligible = last.round.definition.electorate.binary_search(&me).is_ok();
            let mine = self
                .governance
                .ballots_of(&last.round.definition_hash, &me)
                .await?;
            if let Some(ballot) = mine.into_iter().next() {
                let receipt = ballot.receipt();
                let inclusion = match (&last.round.decision, &last.recount) {
                    (Some(_), Some(count)) => count.board.proof(&receipt).map(|(index, proof)| {
                        let size = count.board.leaves.len();
                        let root = count.board.root();
                        let verified = verify_receipt(&receipt, index, size, &proof, &root);
                        (index, size, proof, root, verified)
                    }),
                    _ => None,
                };
                my_ballot = Some(MyBallot {
                    ballot,
                    receipt,
                    inclusion,
                });
            }
        }
        // Names for keys in actions that are not active members (pending, removed).
        for action in &proposal.draft.actions {
            if let Action::Admit { account } | Action::Remove { account } = action {
                if !names.contains_key(account) {
                    if let Some((_, name)) = self.db.member_by_key(info.row_id, account).await? {
                        names.insert(*account, name);
                    }
                }
            }
        }
        let comments = self
            .governance
            .comments(proposal.id)
            .await?
            .into_iter()
            .map(|c| {
                let name = by_id
                    .get(&c.author)
                    .map_or_else(|| "—".to_owned(), |p| p.display_name.clone());
                (c, name)
            })
            .collect();
        let history = self
            .governance
            .events(proposal.id)
            .await?
            .into_iter()
            .map(|event| {
                let name = event
                    .actor
                    .and_then(|id| by_id.get(&id))
                    .map(|p| p.display_name.clone());
                (event, name)
            })
            .collect();
        let pause_requests = self.governance.pause_requests(proposal.id).await?;
        Ok(ProposalView {
            author: by_id.get(&proposal.author).map(|p| (*p).clone()),
            history,
            pause_asked: pause_requests.len() as u32,
            i_asked_pause: pause_requests.iter().any(|r| r.requester == actor.user.id),
            my_delegate: if proposal.draft.delegation {
                self.my_delegate(actor, Some(number)).await?
            } else {
                None
            },
            policy: self.governance_policy(actor).await?,
            proposal,
            rounds,
            comments,
            my_ballot,
            eligible,
            names,
            now_ms: now,
        })
    }

    /// Closes every round whose time is over, records its decision, enacts passed proposals
    /// in the ledger, and tells the electorate. Returns how many rounds closed.
    pub async fn close_due_votes(&self) -> Result<usize, ActionError> {
        let now = self.store.now_ms();
        let mut closed = 0;
        let circles: HashMap<i64, CircleInfo> = self
            .store
            .circles()
            .await?
            .into_iter()
            .map(|c| (c.row_id, c))
            .collect();
        for (circle, number) in self.governance.due(now).await? {
            let Some(info) = circles.get(&circle) else {
                continue;
            };
            // One round that cannot close (a stored record changed behind the node's back)
            // must not hold up every other vote on the node.
            let result = match self.governance.proposal(circle, number).await {
                Ok(Some(proposal)) => self.close_round(info, &proposal).await,
                Ok(None) => Ok(false),
                Err(error) => Err(error.into()),
            };
            match result {
                Ok(true) => closed += 1,
                Ok(false) => {}
                Err(error) => {
                    tracing::error!(%error, circle = %info.slug, proposal = number, "a vote could not be closed");
                }
            }
        }
        // Passed proposals that a crash or a fault kept from taking effect.
        for (circle, number) in self.governance.unenacted().await? {
            let Some(info) = circles.get(&circle) else {
                continue;
            };
            if let Some(proposal) = self.governance.proposal(circle, number).await? {
                if let Err(error) = self.enact_passed(info, &proposal).await {
                    tracing::error!(%error, circle = %info.slug, proposal = number, "a passed proposal could not take effect yet");
                }
            }
        }
        Ok(closed)
    }

    /// Closes a proposal's open round if its time is over (another process may have done it
    /// first); enacts it when it passed; tells the electorate. Returns whether this call closed it.
    pub async fn close_round(
        &self,
        info: &CircleInfo,
        proposal: &Proposal,
    ) -> Result<bool, ActionError> {
        let now = self.store.now_ms();
        let Some(result) = self.governance.close(proposal, proposal.round, now).await? else {
            return Ok(false);
        };
        if result.outcome == Outcome::Passed {
            self.enact_passed(info, proposal).await?;
        }
        if let Some(round) = self.governance.round(proposal.id, proposal.round).await? {
            let people = self.db.active_members(info.row_id).await?;
            for person in people.iter().filter(|p| {
                round
                    .definition
                    .electorate
                    .binary_search(&p.account_key)
                    .is_ok()
            }) {
                self.notify_proposal(
                    person.user_id,
                    info,
                    proposal.number,
                    NotificationKind::Decided,
                    now,
                )
                .await?;
            }
        }
        Ok(true)
    }

    /// Applies a passed proposal whose last round closed, if it carries actions: the ledger's
    /// refusal is recorded on the proposal (and shown); a fault leaves it to be tried again.
    async fn enact_passed(
        &self,
        info: &CircleInfo,
        proposal: &Proposal,
    ) -> Result<(), ActionError> {
        let Some(round) = self.governance.round(proposal.id, proposal.round).await? else {
            return Ok(());
        };
        let Some(decision) = &round.decision else {
            return Ok(());
        };
        let passed = serde_json::from_value::<Outcome>(decision.outcome.clone())
            .is_ok_and(|o| o == Outcome::Passed);
        if !passed || round.definition.actions.is_empty() {
            return Ok(());
        }
        // What the audit will check, checked before anything is written: the definition keeps
        // the policy the ledger had in force when voting opened.
        let (history, _) = self.governance.history(&self.store, info).await?;
        if let Err(why) = history.check_policy(&round.definition, &round.policy, u64::MAX) {
            tracing::error!(%why, circle = %info.slug, proposal = proposal.number, "a passed proposal breaks the policy and is not enacted");
            self.governance
                .set_enact_error(proposal.id, &why, self.store.now_ms())
                .await?;
            return Ok(());
        }
        match self.enact(info, proposal, &round).await {
            Ok(()) => Ok(()),
            Err(ActionError::Refused(refusal)) => {
                tracing::warn!(%refusal, circle = %info.slug, proposal = proposal.number, "a passed proposal was refused by the ledger");
                self.governance
                    .set_enact_error(proposal.id, &refusal.to_string(), self.store.now_ms())
                    .await?;
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// Applies a passed proposal: the ledger entry first (signed by the node key, with the
    /// actions of the frozen round), then what the web space keeps beside the ledger
    /// (memberships, and the agreements or policy whose hashes the actions name).
    async fn enact(
        &self,
        info: &CircleInfo,
        proposal: &Proposal,
        round: &Round,
    ) -> Result<(), ActionError> {
        let board_root = Hash::from_hex(
            &round
                .decision
                .as_ref()
                .map(|d| d.board_root.clone())
                .unwrap_or_default(),
        )
        .map_err(|_| ActionError::Database(sqlx::Error::Decode("a board root".into())))?;
        let actions = round.definition.actions.clone();
        let appended = self
            .store
            .enact(info, round.definition_hash, board_root, actions.clone())
            .await?;
        let now = self.store.now_ms();
        let documents = &proposal.draft.documents;
        for action in &actions {
            match action {
                Action::Admit { account } => {
                    if let Some(member) = self.member_with_key(info, account).await? {
                        self.db
                            .decide_membership(
                                info.row_id,
                                member,
                                MemberStatus::Active,
                                proposal.author,
                                now,
                            )
                            .await?;
                    }
                }
                Action::Remove { account } => {
                    if let Some(member) = self.member_with_key(info, account).await? {
                        self.db
                            .set_membership_status(info.row_id, member, MemberStatus::Removed)
                            .await?;
                    }
                }
                Action::SetDocument { document, hash } if *document == DOCUMENT_AGREEMENTS => {
                    // Only the very text the vote committed to.
                    if let Some(text) = documents
                        .agreements
                        .as_ref()
                        .filter(|text| agreements_hash(text) == *hash)
                    {
                        let mut settings = self
                            .db
                            .circle_settings(info.row_id)
                            .await?
                            .unwrap_or_else(|| crate::db::CircleSettings {
                                description: String::new(),
                                agreements: String::new(),
                                agreements_version: 0,
                                members_may_invite: true,
                                open_to_requests: false,
                            });
                        settings.agreements = text.clone();
                        self.db
                            .save_circle_settings(info.row_id, &settings, now)
                            .await?;
                    }
                }
                Action::SetDocument { hash, .. } => {
                    if let Some(policy) = documents.policy.as_ref().filter(|p| p.hash() == *hash) {
                        self.governance.set_policy(info.row_id, policy, now).await?;
                    }
                }
                _ => {}
            }
        }
        self.governance
            .set_enacted(proposal.id, appended.seq, now)
            .await?;
        Ok(())
    }

    async fn member_with_key(
        &self,
        info: &CircleInfo,
        key: &PublicKey,
    ) -> Result<Option<i64>, ActionError> {
        Ok(self
            .db
            .member_by_key(info.row_id, key)
            .await?
            .map(|(user, _)| user))
    }

    /// Reminds members who have not voted, once per round, as its close comes near.
    pub async fn remind_voters(&self) -> Result<usize, ActionError> {
        let now = self.store.now_ms();
        let mut reminded = 0;
        for info in self.store.circles().await? {
            let policy = self.governance.policy(info.row_id).await?;
            let rounds = self
                .governance
                .take_reminders(info.row_id, policy.reminder_ms(), now)
                .await?;
            for round in rounds {
                let voted: HashSet<PublicKey> = self
                    .governance
                    .ballots(&round.definition_hash)
                    .await?
                    .into_iter()
                    .map(|b| b.ballot.voter)
                    .collect();
                let number = round.definition.proposal_id as i64;
                for person in self.db.active_members(info.row_id).await? {
                    if voted.contains(&person.account_key)
                        || round
                            .definition
                            .electorate
                            .binary_search(&person.account_key)
                            .is_err()
                    {
                        continue;
                    }
                    self.notify_proposal(
                        person.user_id,
                        &info,
                        number,
                        NotificationKind::VoteReminder,
                        now,
                    )
                    .await?;
                    reminded += 1;
                }
            }
        }
        Ok(reminded)
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
}
