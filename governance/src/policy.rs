//! A circle's decision-making policy (itself changeable by proposal), the bar a proposal must
//! clear (the policy's minimums, higher for steward-level actions), and a proposal's lifecycle:
//! draft → discussion → voting → closed (passed / rejected / blocked / no quorum) → enacted,
//! withdrawn before the vote, or paused (in discussion or voting) until a steward lifts it.

use commons_ledger::codec::Writer;
use commons_ledger::entry::{Action, DOCUMENT_POLICY};
use commons_ledger::keys::Hash;
use serde::{Deserialize, Serialize};

use crate::proposal::{Definition, Method};
use crate::tally::Outcome;

pub const POLICY_TAG: &str = "commons.governance.policy";
const HOUR_MS: i64 = 3_600_000;
/// Longest discussion minimum and voting period a policy may set: 60 days.
pub const HOURS_MAX: u32 = 24 * 60;
/// Shortest voting period: one hour.
pub const VOTING_HOURS_MIN: u32 = 1;
/// A majority vote passes only when yes is more than this share of yes + no, whatever the
/// policy or the proposal says: more yes than no.
pub const THRESHOLD_PERCENT_MIN: u8 = 50;
/// The highest threshold that can still be met (yes must be *more* than the threshold).
pub const THRESHOLD_PERCENT_MAX: u8 = 99;
/// Most members whose requests together pause a proposal (0: only stewards pause).
pub const PAUSERS_MAX: u32 = 1_000;

/// Who may make proposals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Proposers {
    Members,
    Stewards,
}

/// What happens to a paused vote when a steward lifts the pause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AfterPause {
    /// The proposal goes back to discussion; the minimum discussion time starts again.
    #[default]
    Discussion,
    /// Voting starts again in a new round on the same text (the paused round's ballots do not
    /// count; members vote again).
    NewRound,
}

fn steward_quorum_default() -> u8 {
    50
}
fn steward_threshold_default() -> u8 {
    66
}
fn pausers_default() -> u32 {
    3
}

/// How a circle decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub proposers: Proposers,
    /// A proposal's text is discussed at least this long, since it last changed, before voting
    /// may open.
    pub discussion_hours_min: u32,
    /// How long voting stays open.
    pub voting_hours: u32,
    /// The least share of the electorate that must take part; an author may only raise it.
    pub quorum_percent: u8,
    /// The least share of yes among yes + no that must be exceeded in a majority vote (at least
    /// [`THRESHOLD_PERCENT_MIN`]); an author may only raise it.
    pub threshold_percent: u8,
    /// The quorum for proposals that carry steward-level actions (see [`is_steward_level`]);
    /// at least `quorum_percent`.
    #[serde(default = "steward_quorum_default")]
    pub steward_quorum_percent: u8,
    /// The threshold for proposals that carry steward-level actions; at least
    /// `threshold_percent`.
    #[serde(default = "steward_threshold_default")]
    pub steward_threshold_percent: u8,
    /// Whether members may delegate their votes.
    pub delegation: bool,
    /// Whether running results stay hidden until voting closes, by default.
    pub hide_results: bool,
    /// Reminders go to members who have not voted this long before the close.
    pub reminder_hours: u32,
    /// How many members' requests together pause a proposal (0: only stewards pause).
    #[serde(default = "pausers_default")]
    pub pausers_min: u32,
    /// What a paused vote does when the pause is lifted.
    #[serde(default)]
    pub after_pause: AfterPause,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            proposers: Proposers::Members,
            discussion_hours_min: 48,
            voting_hours: 7 * 24,
            quorum_percent: 30,
            threshold_percent: 50,
            steward_quorum_percent: steward_quorum_default(),
            steward_threshold_percent: steward_threshold_default(),
            delegation: true,
            hide_results: false,
            reminder_hours: 24,
            pausers_min: pausers_default(),
            after_pause: AfterPause::Discussion,
        }
    }
}

/// Why a policy is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("discussion and voting times are at most {HOURS_MAX} hours, and voting at least {VOTING_HOURS_MIN}")]
    Hours,
    #[error("quorums are percentages from 0 to 100")]
    Percent,
    #[error("a threshold is from {THRESHOLD_PERCENT_MIN} to {THRESHOLD_PERCENT_MAX} %: a majority vote never passes with fewer yes than no")]
    Threshold,
    #[error("the bar for steward-level actions (quorum and threshold) cannot be lower than the ordinary bar")]
    StewardBarLower,
    #[error("at most {PAUSERS_MAX} members can be needed to pause a proposal")]
    Pausers,
}

/// The circle's default floor and ceiling when an action is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultLimits {
    pub floor_minor: i64,
    pub ceiling_minor: i64,
}

/// Whether an action gives or takes power or reaches one member beyond the common rules: a
/// steward or moderator appointed or removed, a member removed, one member's limits beyond the defaults,
/// the policy replaced, or a link with another circle made, changed, reopened or closed (the
/// circle's members could then owe the other circle). Suspending a link is ordinary: stopping
/// trade must never be harder than starting it. Such proposals must clear the policy's higher bar.
pub fn is_steward_level(action: &Action, defaults: DefaultLimits) -> bool {
    match action {
        Action::AddSteward { .. }
        | Action::RemoveSteward { .. }
        | Action::Remove { .. }
        | Action::AppointModerator { .. }
        | Action::EndModerator { .. } => true,
        Action::SetLimits {
            floor_minor,
            ceiling_minor,
            ..
        } => *floor_minor < defaults.floor_minor || *ceiling_minor > defaults.ceiling_minor,
        Action::SetDocument { document, .. } => *document == DOCUMENT_POLICY,
        Action::Link(_) => true,
        Action::SetLinkStatus { status, .. } => {
            *status != commons_ledger::crossing::LinkStatus::Suspended
        }
        Action::SetDefaultLimits { .. } | Action::Admit { .. } => false,
    }
}

/// The least quorum and threshold a proposal must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar {
    pub quorum_percent: u8,
    pub threshold_percent: u8,
    /// Whether the higher bar for steward-level actions applies.
    pub steward_level: bool,
}

/// Why a frozen definition breaks the policy it was voted under. The recount at the close and
/// `commons audit` both refuse such a definition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Breach {
    #[error("it names the policy {named}, but the policy given has the hash {given}")]
    OtherPolicy { named: String, given: String },
    #[error("its quorum is {given} %, below the {required} % the policy asks{}", steward_note(*steward_level))]
    Quorum {
        given: u8,
        required: u8,
        steward_level: bool,
    },
    #[error("its threshold is {given} %, below the {required} % the policy asks{}", steward_note(*steward_level))]
    Threshold {
        given: u8,
        required: u8,
        steward_level: bool,
    },
    #[error("voting opened {minutes} minutes after its text last changed; the policy asks for {hours} hours of discussion")]
    DiscussionTooShort { minutes: i64, hours: u32 },
    #[error("voting lasts {minutes} minutes; the policy asks for {hours} hours")]
    VotingTooShort { minutes: i64, hours: u32 },
    #[error("it lets members delegate, which the policy does not allow")]
    Delegation,
}

fn steward_note(steward_level: bool) -> &'static str {
    if steward_level {
        " for steward-level actions"
    } else {
        ""
    }
}

impl Policy {
    /// Whether a proposal's running results stay hidden until its vote closes: when its author
    /// asks, when the circle's policy says so (an author cannot show them then), and always for
    /// an election of people (a running count would steer the votes still to come).
    pub fn hides_results(&self, method: &Method, author_asks: bool) -> bool {
        author_asks || self.hide_results || matches!(method, Method::Stv { .. })
    }

    /// Whether someone may put a proposal forward: every member, or only stewards.
    pub fn may_propose(&self, is_steward: bool) -> bool {
        self.proposers == Proposers::Members || is_steward
    }

    pub fn check(&self) -> Result<(), PolicyError> {
        if self.discussion_hours_min > HOURS_MAX
            || self.voting_hours > HOURS_MAX
            || self.voting_hours < VOTING_HOURS_MIN
            || self.reminder_hours > HOURS_MAX
        {
            return Err(PolicyError::Hours);
        }
        if self.quorum_percent > 100 || self.steward_quorum_percent > 100 {
            return Err(PolicyError::Percent);
        }
        let thresholds = THRESHOLD_PERCENT_MIN..=THRESHOLD_PERCENT_MAX;
        if !thresholds.contains(&self.threshold_percent)
            || !thresholds.contains(&self.steward_threshold_percent)
        {
            return Err(PolicyError::Threshold);
        }
        if self.steward_quorum_percent < self.quorum_percent
            || self.steward_threshold_percent < self.threshold_percent
        {
            return Err(PolicyError::StewardBarLower);
        }
        if self.pausers_min > PAUSERS_MAX {
            return Err(PolicyError::Pausers);
        }
        Ok(())
    }

    /// The canonical bytes, whose hash a passed policy proposal commits to in the ledger and
    /// every frozen definition names.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_tag(POLICY_TAG);
        w.u16(crate::proposal::FORMAT_VERSION)
            .u8(match self.proposers {
                Proposers::Members => 1,
                Proposers::Stewards => 2,
            })
            .u32(self.discussion_hours_min)
            .u32(self.voting_hours)
            .u8(self.quorum_percent)
            .u8(self.threshold_percent)
            .u8(self.steward_quorum_percent)
            .u8(self.steward_threshold_percent)
            .u8(u8::from(self.delegation))
            .u8(u8::from(self.hide_results))
            .u32(self.reminder_hours)
            .u32(self.pausers_min)
            .u8(match self.after_pause {
                AfterPause::Discussion => 1,
                AfterPause::NewRound => 2,
            });
        w.finish()
    }

    pub fn hash(&self) -> Hash {
        Hash::sha256(&[&self.encode()])
    }

    pub fn discussion_ms_min(&self) -> i64 {
        i64::from(self.discussion_hours_min) * HOUR_MS
    }
    pub fn voting_ms(&self) -> i64 {
        i64::from(self.voting_hours) * HOUR_MS
    }
    pub fn reminder_ms(&self) -> i64 {
        i64::from(self.reminder_hours) * HOUR_MS
    }

    /// The bar a proposal carrying these actions must clear.
    pub fn bar(&self, actions: &[Action], defaults: DefaultLimits) -> Bar {
        let steward_level = actions.iter().any(|a| is_steward_level(a, defaults));
        if steward_level {
            Bar {
                quorum_percent: self.steward_quorum_percent,
                threshold_percent: self.steward_threshold_percent,
                steward_level,
            }
        } else {
            Bar {
                quorum_percent: self.quorum_percent,
                threshold_percent: self.threshold_percent,
                steward_level,
            }
        }
    }

    /// Whether a frozen definition keeps this policy: it names this policy, its quorum and
    /// threshold clear the bar for its actions, its text was discussed the minimum time before
    /// voting opened, voting lasts the policy's time, and delegation is allowed only if the
    /// policy allows it. `defaults` are the circle's default limits when the actions apply.
    pub fn admits(&self, definition: &Definition, defaults: DefaultLimits) -> Result<(), Breach> {
        let hash = self.hash();
        if definition.policy_hash != hash {
            return Err(Breach::OtherPolicy {
                named: definition.policy_hash.short(),
                given: hash.short(),
            });
        }
        let bar = self.bar(&definition.actions, defaults);
        if definition.quorum_percent < bar.quorum_percent {
            return Err(Breach::Quorum {
                given: definition.quorum_percent,
                required: bar.quorum_percent,
                steward_level: bar.steward_level,
            });
        }
        if definition.method == Method::Majority
            && definition.threshold_percent < bar.threshold_percent
        {
            return Err(Breach::Threshold {
                given: definition.threshold_percent,
                required: bar.threshold_percent,
                steward_level: bar.steward_level,
            });
        }
        let discussed_ms = definition
            .opens_at_ms
            .saturating_sub(definition.discussed_since_ms);
        if discussed_ms < self.discussion_ms_min() {
            return Err(Breach::DiscussionTooShort {
                minutes: discussed_ms / 60_000,
                hours: self.discussion_hours_min,
            });
        }
        let voting_ms = definition
            .closes_at_ms
            .saturating_sub(definition.opens_at_ms);
        if voting_ms < self.voting_ms() {
            return Err(Breach::VotingTooShort {
                minutes: voting_ms / 60_000,
                hours: self.voting_hours,
            });
        }
        if definition.delegation && !self.delegation {
            return Err(Breach::Delegation);
        }
        Ok(())
    }
}

/// The hash a passed agreements proposal commits to in the ledger.
pub fn agreements_hash(text: &str) -> Hash {
    Hash::sha256(&[b"commons.governance.agreements", text.as_bytes()])
}

/// Where a proposal is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Draft,
    Discussion,
    Voting,
    /// Held by stewards (or enough members) with a public reason, until a steward lifts it.
    Paused,
    Closed,
    Enacted,
    Withdrawn,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Discussion => "discussion",
            Status::Voting => "voting",
            Status::Paused => "paused",
            Status::Closed => "closed",
            Status::Enacted => "enacted",
            Status::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(text: &str) -> Option<Status> {
        Some(match text {
            "draft" => Status::Draft,
            "discussion" => Status::Discussion,
            "voting" => Status::Voting,
            "paused" => Status::Paused,
            "closed" => Status::Closed,
            "enacted" => Status::Enacted,
            "withdrawn" => Status::Withdrawn,
            _ => return None,
        })
    }
    /// Whether members may comment on a proposal in this status.
    pub fn accepts_comments(self) -> bool {
        !matches!(self, Status::Draft | Status::Withdrawn)
    }
    /// Whether the proposal can be paused now.
    pub fn may_pause(self) -> bool {
        matches!(self, Status::Discussion | Status::Voting)
    }
}

/// Why a step of the lifecycle cannot be taken now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("only the proposal's author can do this")]
    NotTheAuthor,
    #[error("this cannot be done while the proposal is {0}")]
    WrongStatus(&'static str),
    #[error("the circle discusses a proposal for at least {hours} hours before voting; voting can open in {minutes_left} minutes")]
    DiscussionTooShort { hours: u32, minutes_left: i64 },
    #[error("only a consent proposal blocked by an objection can be amended for a new round")]
    NotBlocked,
}

/// A step someone wants to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    StartDiscussion,
    OpenVoting,
    /// Take a blocked consent proposal back to discussion, to amend it for a new round.
    NewRound,
    Withdraw,
}

/// Checks a step: who takes it, the status, the times. Pure: the caller brings the clock.
/// `discussion_opened_at_ms` is when the text as it stands was put to discussion (an edit
/// restarts it).
pub fn check_step(
    step: Step,
    status: Status,
    is_author: bool,
    outcome: Option<&Outcome>,
    discussion_opened_at_ms: Option<i64>,
    policy: &Policy,
    now_ms: i64,
) -> Result<Status, StepError> {
    if !is_author {
        return Err(StepError::NotTheAuthor);
    }
    match (step, status) {
        (Step::StartDiscussion, Status::Draft) => Ok(Status::Discussion),
        (Step::OpenVoting, Status::Discussion) => {
            let opened = discussion_opened_at_ms.unwrap_or(now_ms);
            let ready_at = opened.saturating_add(policy.discussion_ms_min());
            if now_ms < ready_at {
                return Err(StepError::DiscussionTooShort {
                    hours: policy.discussion_hours_min,
                    minutes_left: (ready_at - now_ms + 59_999) / 60_000,
                });
            }
            Ok(Status::Voting)
        }
        (Step::NewRound, Status::Closed) => match outcome {
            Some(Outcome::Blocked) => Ok(Status::Discussion),
            _ => Err(StepError::NotBlocked),
        },
        (Step::Withdraw, Status::Draft | Status::Discussion | Status::Paused) => {
            Ok(Status::Withdrawn)
        }
        (_, status) => Err(StepError::WrongStatus(status.as_str())),
    }
}

/// Where a paused proposal goes when a steward lifts the pause: a paused discussion goes back
/// to discussion (its minimum time starts again); a paused vote follows the policy.
pub fn after_pause(paused_from: Status, policy: &Policy) -> Status {
    match (paused_from, policy.after_pause) {
        (Status::Voting, AfterPause::NewRound) => Status::Voting,
        _ => Status::Discussion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_election_of_people_and_a_circle_that_says_so_hide_running_results() {
        let mut policy = Policy::default();
        assert!(!policy.hides_results(&Method::Majority, false));
        assert!(policy.hides_results(&Method::Majority, true));
        assert!(policy.hides_results(&Method::Stv { seats: 2 }, false));
        assert!(!policy.hides_results(&Method::Irv, false));
        policy.hide_results = true;
        assert!(policy.hides_results(&Method::Approval, false));
    }

    #[test]
    fn stewards_always_propose_and_members_only_when_the_policy_says_so() {
        let open = Policy::default();
        assert!(open.may_propose(false) && open.may_propose(true));
        let closed = Policy {
            proposers: Proposers::Stewards,
            ..Policy::default()
        };
        assert!(!closed.may_propose(false));
        assert!(closed.may_propose(true));
    }

    #[test]
    fn members_talk_about_a_proposal_from_discussion_on_and_after_it_is_decided() {
        for status in [
            Status::Discussion,
            Status::Voting,
            Status::Paused,
            Status::Closed,
            Status::Enacted,
        ] {
            assert!(status.accepts_comments(), "{status:?}");
        }
        for status in [Status::Draft, Status::Withdrawn] {
            assert!(!status.accepts_comments(), "{status:?}");
        }
    }

    #[test]
    fn the_lifecycle_goes_forward_only_by_its_author_and_after_the_discussion() {
        let policy = Policy::default();
        let hour = 3_600_000;
        let step = |step, status, author, outcome: Option<&Outcome>, opened, now| {
            check_step(step, status, author, outcome, opened, &policy, now)
        };
        assert_eq!(
            step(Step::StartDiscussion, Status::Draft, true, None, None, 0),
            Ok(Status::Discussion)
        );
        assert_eq!(
            step(Step::StartDiscussion, Status::Draft, false, None, None, 0),
            Err(StepError::NotTheAuthor)
        );
        assert_eq!(
            step(
                Step::OpenVoting,
                Status::Discussion,
                true,
                None,
                Some(0),
                47 * hour
            ),
            Err(StepError::DiscussionTooShort {
                hours: 48,
                minutes_left: 60
            })
        );
        assert_eq!(
            step(
                Step::OpenVoting,
                Status::Discussion,
                true,
                None,
                Some(0),
                48 * hour
            ),
            Ok(Status::Voting)
        );
        assert_eq!(
            step(Step::OpenVoting, Status::Draft, true, None, None, 0),
            Err(StepError::WrongStatus("draft"))
        );
        assert_eq!(
            step(
                Step::NewRound,
                Status::Closed,
                true,
                Some(&Outcome::Blocked),
                None,
                0
            ),
            Ok(Status::Discussion),
            "an amended consent proposal is read for the minimum time again before it is voted on"
        );
        assert_eq!(
            step(
                Step::NewRound,
                Status::Closed,
                true,
                Some(&Outcome::Rejected),
                None,
                0
            ),
            Err(StepError::NotBlocked)
        );
        assert_eq!(
            step(Step::Withdraw, Status::Voting, true, None, None, 0),
            Err(StepError::WrongStatus("voting"))
        );
    }

    #[test]
    fn policies_are_checked_and_hash_what_they_say() {
        let policy = Policy::default();
        assert_eq!(policy.check(), Ok(()));
        let mut other = policy.clone();
        other.quorum_percent = 101;
        assert_eq!(other.check(), Err(PolicyError::Percent));
        other.quorum_percent = 40;
        assert_ne!(other.hash(), policy.hash());
        other.voting_hours = 0;
        assert_eq!(other.check(), Err(PolicyError::Hours));
        // Stored policies from before the steward bar and pauses read with their defaults.
        let old = r#"{"proposers":"members","discussion_hours_min":48,"voting_hours":168,"quorum_percent":30,"threshold_percent":50,"delegation":true,"hide_results":false,"reminder_hours":24}"#;
        assert_eq!(serde_json::from_str::<Policy>(old).expect("old"), policy);
        let json = serde_json::to_string(&policy).expect("json");
        assert_eq!(serde_json::from_str::<Policy>(&json).expect("back"), policy);
    }

    #[test]
    fn a_policy_never_lets_a_majority_vote_pass_with_fewer_yes_than_no() {
        for threshold in [0, 10, 49, 100] {
            let policy = Policy {
                threshold_percent: threshold,
                steward_threshold_percent: 99,
                ..Policy::default()
            };
            assert_eq!(policy.check(), Err(PolicyError::Threshold), "{threshold}");
        }
    }

    #[test]
    fn the_bar_for_steward_level_actions_is_never_lower_than_the_ordinary_bar() {
        let policy = Policy {
            steward_quorum_percent: 20,
            ..Policy::default()
        };
        assert_eq!(policy.check(), Err(PolicyError::StewardBarLower));
        let policy = Policy {
            steward_threshold_percent: 50,
            threshold_percent: 60,
            ..Policy::default()
        };
        assert_eq!(policy.check(), Err(PolicyError::StewardBarLower));
    }

    fn defaults() -> DefaultLimits {
        DefaultLimits {
            floor_minor: -2_000,
            ceiling_minor: 5_000,
        }
    }

    #[test]
    fn steward_level_actions_are_power_removal_limits_beyond_the_defaults_and_the_policy() {
        use commons_ledger::entry::DOCUMENT_AGREEMENTS;
        use commons_ledger::keys::SecretKey;
        let key = SecretKey::generate().public_key();
        let level = |action: Action| is_steward_level(&action, defaults());
        assert!(level(Action::AddSteward { key }));
        assert!(level(Action::RemoveSteward { key }));
        assert!(level(Action::Remove { account: key }));
        assert!(level(Action::SetDocument {
            document: DOCUMENT_POLICY,
            hash: Hash([0; 32])
        }));
        assert!(level(Action::SetLimits {
            account: key,
            floor_minor: -1_000_000_000_000_000_000,
            ceiling_minor: 5_000
        }));
        assert!(level(Action::SetLimits {
            account: key,
            floor_minor: -2_000,
            ceiling_minor: 5_001
        }));
        assert!(!level(Action::SetLimits {
            account: key,
            floor_minor: -1_000,
            ceiling_minor: 5_000
        }));
        assert!(!level(Action::Admit { account: key }));
        assert!(!level(Action::SetDefaultLimits {
            floor_minor: -9_000,
            ceiling_minor: 9_000
        }));
        assert!(!level(Action::SetDocument {
            document: DOCUMENT_AGREEMENTS,
            hash: Hash([0; 32])
        }));
    }

    fn definition(policy: &Policy) -> Definition {
        let mut definition = crate::proposal::tests::sample(Method::Majority, &[]);
        definition.policy_hash = policy.hash();
        definition.quorum_percent = policy.quorum_percent;
        definition.threshold_percent = policy.threshold_percent;
        definition.discussed_since_ms = 0;
        definition.opens_at_ms = policy.discussion_ms_min();
        definition.closes_at_ms = definition.opens_at_ms + policy.voting_ms();
        definition
    }

    #[test]
    fn a_definition_must_clear_the_policy_minimums_the_author_may_only_raise() {
        let policy = Policy::default();
        let mut d = definition(&policy);
        assert_eq!(policy.admits(&d, defaults()), Ok(()));
        d.quorum_percent = 0;
        assert_eq!(
            policy.admits(&d, defaults()),
            Err(Breach::Quorum {
                given: 0,
                required: 30,
                steward_level: false
            })
        );
        let mut d = definition(&policy);
        d.threshold_percent = 0;
        assert!(matches!(
            policy.admits(&d, defaults()),
            Err(Breach::Threshold { given: 0, .. })
        ));
        let mut d = definition(&policy);
        d.quorum_percent = 80;
        d.threshold_percent = 75;
        assert_eq!(policy.admits(&d, defaults()), Ok(()), "raising is allowed");
    }

    #[test]
    fn a_definition_carrying_a_steward_level_action_must_clear_the_higher_bar() {
        use commons_ledger::keys::SecretKey;
        let policy = Policy::default();
        let mut d = definition(&policy);
        d.actions = vec![Action::AddSteward {
            key: SecretKey::generate().public_key(),
        }];
        assert_eq!(
            policy.admits(&d, defaults()),
            Err(Breach::Quorum {
                given: 30,
                required: 50,
                steward_level: true
            })
        );
        d.quorum_percent = 50;
        assert_eq!(
            policy.admits(&d, defaults()),
            Err(Breach::Threshold {
                given: 50,
                required: 66,
                steward_level: true
            })
        );
        d.threshold_percent = 66;
        assert_eq!(policy.admits(&d, defaults()), Ok(()));
    }

    #[test]
    fn a_definition_must_name_the_policy_and_keep_its_times_and_delegation() {
        let policy = Policy {
            delegation: false,
            ..Policy::default()
        };
        let mut d = definition(&policy);
        d.delegation = false;
        assert_eq!(policy.admits(&d, defaults()), Ok(()));
        let mut other = d.clone();
        other.policy_hash = Policy::default().hash();
        assert!(matches!(
            policy.admits(&other, defaults()),
            Err(Breach::OtherPolicy { .. })
        ));
        let mut early = d.clone();
        early.discussed_since_ms = 1;
        assert_eq!(
            policy.admits(&early, defaults()),
            Err(Breach::DiscussionTooShort {
                minutes: 48 * 60 - 1,
                hours: 48
            })
        );
        let mut short = d.clone();
        short.closes_at_ms -= 1;
        assert!(matches!(
            policy.admits(&short, defaults()),
            Err(Breach::VotingTooShort { .. })
        ));
        let mut delegating = d.clone();
        delegating.delegation = true;
        assert_eq!(
            policy.admits(&delegating, defaults()),
            Err(Breach::Delegation)
        );
    }

    #[test]
    fn a_paused_vote_resumes_or_goes_back_to_discussion_by_the_policy() {
        let mut policy = Policy::default();
        assert_eq!(after_pause(Status::Voting, &policy), Status::Discussion);
        assert_eq!(after_pause(Status::Discussion, &policy), Status::Discussion);
        policy.after_pause = AfterPause::NewRound;
        assert_eq!(after_pause(Status::Voting, &policy), Status::Voting);
        assert_eq!(after_pause(Status::Discussion, &policy), Status::Discussion);
        assert!(Status::Voting.may_pause() && Status::Discussion.may_pause());
        assert!(!Status::Draft.may_pause() && !Status::Closed.may_pause());
    }
}
