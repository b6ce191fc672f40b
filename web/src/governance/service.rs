//! What members do to decide together — propose, discuss, vote, delegate — and what the node
//! does when voting closes (count, record, enact the decision in the ledger, tell everyone),
//! for pages and API alike. The rules live in `commons_governance`; this is the glue.

#![allow(clippy::result_large_err)]

use std::collections::{HashMap, HashSet};

use crate::notifications::{NewNotification, NotificationKind};
use commons_governance::ballot::{verify_receipt, SignedBallot};
use commons_governance::moderation::TargetKind;
use commons_governance::policy::{
    after_pause, check_step, DefaultLimits, Policy, Status, Step, StepError,
};
use commons_governance::proposal::{body_hash, Definition};
use commons_governance::store::{
    AuditError, Comment, Event, GovernanceError, Proposal, Round, COMMENT_CHARS_MAX,
    PAUSE_REASON_CHARS_MAX,
};
use commons_governance::tally::{recount, Outcome, Recount};
use commons_ledger::entry::Action;
use commons_ledger::keys::{Hash, PublicKey};
use commons_ledger::store::CircleInfo;

use crate::db::{MemberStatus, Person};
use crate::governance::*;
use crate::services::{invalid, ActionError, Actor, Services};

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
    pub(crate) async fn proposal_of(
        &self,
        actor: &Actor,
        number: i64,
    ) -> Result<Proposal, ActionError> {
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

    pub(crate) async fn member_key(
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

    /// The circle's default limits now, as the bar for steward-level actions judges them.
    pub(crate) async fn default_limits(
        &self,
        info: &CircleInfo,
    ) -> Result<DefaultLimits, ActionError> {
        let (floor_minor, ceiling_minor) = self.store.default_limits(info).await?;
        Ok(DefaultLimits {
            floor_minor,
            ceiling_minor,
        })
    }

    pub async fn create_proposal(
        &self,
        actor: &Actor,
        input: &ProposalInput,
    ) -> Result<Proposal, ActionError> {
        self.check_not_suspended(actor)?;
        let policy = self.governance_policy(actor).await?;
        if !policy.may_propose(actor.is_steward) {
            return Err(invalid("title", "proposal-error-proposers"));
        }
        let draft = self.parse_proposal(actor, input).await?;
        Ok(self
            .governance
            .create(actor.circle.row_id, actor.user.id, &draft, self.now_ms())
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
        if !self.may_edit(actor, &proposal).await? {
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
        let now = self.now_ms();
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
    pub(crate) async fn notify_participants(
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
        let now = self.now_ms();
        let mut users: Vec<i64> = users.into_iter().filter(|u| Some(*u) != except).collect();
        users.sort_unstable();
        for user in users {
            self.notify_proposal(user, info, proposal.number, kind, now)
                .await?;
        }
        Ok(())
    }

    /// Whether the actor may edit the proposal: only its author, before the vote, or when a
    /// consent proposal was blocked in its last round.
    pub async fn may_edit(&self, actor: &Actor, proposal: &Proposal) -> Result<bool, ActionError> {
        if proposal.author != actor.user.id {
            return Ok(false);
        }
        Ok(match proposal.status {
            Status::Draft | Status::Discussion => true,
            Status::Closed => self.last_outcome(proposal).await? == Some(Outcome::Blocked),
            _ => false,
        })
    }

    pub(crate) async fn last_outcome(
        &self,
        proposal: &Proposal,
    ) -> Result<Option<Outcome>, ActionError> {
        if proposal.round == 0 {
            return Ok(None);
        }
        let round = self.governance.round(proposal.id, proposal.round).await?;
        Ok(round
            .and_then(|r| r.decision)
            .and_then(|d| serde_json::from_value(d.outcome).ok()))
    }

    /// The members who may vote now: active members whose ledger account is open.
    pub(crate) async fn electorate(&self, info: &CircleInfo) -> Result<Vec<Person>, ActionError> {
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
        let now = self.now_ms();
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
    pub(crate) async fn freeze_round(
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
    pub(crate) async fn notify_vote_open(
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

    pub(crate) async fn notify_proposal(
        &self,
        user: i64,
        info: &CircleInfo,
        number: i64,
        kind: NotificationKind,
        now: i64,
    ) -> Result<(), ActionError> {
        self.db
            .notify(
                NewNotification {
                    user,
                    circle: info.row_id,
                    kind,
                    listing: None,
                    other_listing: None,
                    deal: None,
                    proposal: Some(number),
                    moderation: None,
                    news: None,
                    thread: None,
                    conversation: None,
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
        self.check_may_post(actor, crate::membership::sandbox::SandboxLimit::Comments)
            .await?;
        let id = self
            .governance
            .add_comment(proposal.id, parent, actor.user.id, body, self.now_ms())
            .await?;
        self.hold_if_needed(actor, TargetKind::Comment, id, body)
            .await?;
        Ok(id)
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
        let now = self.now_ms();
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
        let now = self.now_ms();
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

    /// Everything the proposal page shows.
    pub async fn proposal_view(
        &self,
        actor: &Actor,
        number: i64,
    ) -> Result<ProposalView, ActionError> {
        // A page view changes nothing: votes close in the background job.
        let proposal = self.proposal_of(actor, number).await?;
        let now = self.now_ms();
        let info = &actor.circle;
        let people = self.db.active_members(info.row_id).await?;
        let mut names: HashMap<PublicKey, String> = people
            .iter()
            .map(|p| (p.account_key, p.display_name.clone()))
            .collect();
        let by_id: HashMap<i64, &Person> = people.iter().map(|p| (p.user_id, p)).collect();
        let rounds = self.round_views(info, &proposal).await?;
        let (my_ballot, eligible) = self.my_ballot(actor, rounds.last()).await?;
        self.name_action_keys(info, &proposal, &mut names).await?;
        // Comments of people hidden from the actor (blocked or muted, or who blocked them).
        let hidden = self.hidden_from(actor).await?;
        let moderated = self.moderated_filter(actor).await?;
        let comments = self
            .governance
            .comments(proposal.id)
            .await?
            .into_iter()
            .filter(|c| !hidden.contains(&c.author))
            .filter(|c| !moderated.hides(TargetKind::Comment, c.id))
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

    /// Each round of the proposal with its count, when it may be shown: a closed round's, or a
    /// running one's unless results are hidden (and only up to [`LIVE_COUNT_BALLOTS_MAX`]).
    async fn round_views(
        &self,
        info: &CircleInfo,
        proposal: &Proposal,
    ) -> Result<Vec<RoundView>, ActionError> {
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
        Ok(rounds)
    }

    /// The actor's ballot in the last round (with its receipt, and once the round closed, the
    /// proof that the receipt is on the board), and whether they may vote in it.
    async fn my_ballot(
        &self,
        actor: &Actor,
        last: Option<&RoundView>,
    ) -> Result<(Option<MyBallot>, bool), ActionError> {
        let Some(last) = last else {
            return Ok((None, false));
        };
        let me = actor.membership.account_key;
        let eligible = last.round.definition.electorate.binary_search(&me).is_ok();
        let mine = self
            .governance
            .ballots_of(&last.round.definition_hash, &me)
            .await?;
        let Some(ballot) = mine.into_iter().next() else {
            return Ok((None, eligible));
        };
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
        let my_ballot = MyBallot {
            ballot,
            receipt,
            inclusion,
        };
        Ok((Some(my_ballot), eligible))
    }

    /// Names for keys in the proposal's actions that are not active members (pending, removed).
    async fn name_action_keys(
        &self,
        info: &CircleInfo,
        proposal: &Proposal,
        names: &mut HashMap<PublicKey, String>,
    ) -> Result<(), ActionError> {
        for action in &proposal.draft.actions {
            if let Action::Admit { account } | Action::Remove { account } = action {
                if !names.contains_key(account) {
                    if let Some((_, name)) = self.db.member_by_key(info.row_id, account).await? {
                        names.insert(*account, name);
                    }
                }
            }
        }
        self.name_partners(&proposal.draft.actions, names).await
    }
}
