//! A circle's decision-making policy (itself changeable by proposal) and a proposal's
//! lifecycle: draft → discussion → voting → closed (passed / rejected / blocked / no quorum) →
//! enacted, or withdrawn before the vote.

use commons_ledger::codec::Writer;
use commons_ledger::keys::Hash;
use serde::{Deserialize, Serialize};

use crate::tally::Outcome;

pub const POLICY_TAG: &str = "commons.governance.policy";
const HOUR_MS: i64 = 3_600_000;
/// Longest discussion minimum and voting period a policy may set: 60 days.
pub const HOURS_MAX: u32 = 24 * 60;
/// Shortest voting period: one hour.
pub const VOTING_HOURS_MIN: u32 = 1;

/// Who may make proposals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Proposers {
    Members,
    Stewards,
}

/// How a circle decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub proposers: Proposers,
    /// A proposal is discussed at least this long before voting may open.
    pub discussion_hours_min: u32,
    /// How long voting stays open.
    pub voting_hours: u32,
    /// Default share of the electorate that must take part.
    pub quorum_percent: u8,
    /// Default share of yes among yes + no that must be exceeded.
    pub threshold_percent: u8,
    /// Whether members may delegate their votes.
    pub delegation: bool,
    /// Whether running results stay hidden until voting closes, by default.
    pub hide_results: bool,
    /// Reminders go to members who have not voted this long before the close.
    pub reminder_hours: u32,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            proposers: Proposers::Members,
            discussion_hours_min: 48,
            voting_hours: 7 * 24,
            quorum_percent: 30,
            threshold_percent: 50,
            delegation: true,
            hide_results: false,
            reminder_hours: 24,
        }
    }
}

/// Why a policy is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("discussion and voting times are at most {HOURS_MAX} hours, and voting at least {VOTING_HOURS_MIN}")]
    Hours,
    #[error("quorum and threshold are percentages from 0 to 100")]
    Percent,
}

impl Policy {
    pub fn check(&self) -> Result<(), PolicyError> {
        if self.discussion_hours_min > HOURS_MAX
            || self.voting_hours > HOURS_MAX
            || self.voting_hours < VOTING_HOURS_MIN
            || self.reminder_hours > HOURS_MAX
        {
            return Err(PolicyError::Hours);
        }
        if self.quorum_percent > 100 || self.threshold_percent > 100 {
            return Err(PolicyError::Percent);
        }
        Ok(())
    }

    /// The canonical bytes, whose hash a passed policy proposal commits to in the ledger.
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
            .u8(u8::from(self.delegation))
            .u8(u8::from(self.hide_results))
            .u32(self.reminder_hours);
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
            "closed" => Status::Closed,
            "enacted" => Status::Enacted,
            "withdrawn" => Status::Withdrawn,
            _ => return None,
        })
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
    /// Amend a blocked consent proposal and vote again in a new round.
    NewRound,
    Withdraw,
}

/// Checks a step: who takes it, the status, the times. Pure: the caller brings the clock.
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
            let ready_at = opened + policy.discussion_ms_min();
            if now_ms < ready_at {
                return Err(StepError::DiscussionTooShort {
                    hours: policy.discussion_hours_min,
                    minutes_left: (ready_at - now_ms + 59_999) / 60_000,
                });
            }
            Ok(Status::Voting)
        }
        (Step::NewRound, Status::Closed) => match outcome {
            Some(Outcome::Blocked) => Ok(Status::Voting),
            _ => Err(StepError::NotBlocked),
        },
        (Step::Withdraw, Status::Draft | Status::Discussion) => Ok(Status::Withdrawn),
        (_, status) => Err(StepError::WrongStatus(status.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Ok(Status::Voting)
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
        let json = serde_json::to_string(&policy).expect("json");
        assert_eq!(serde_json::from_str::<Policy>(&json).expect("back"), policy);
    }
}
