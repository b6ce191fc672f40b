//! Persistence of governance (policies, proposals, discussion, frozen rounds, signed ballots
//! and delegations) over the node's database, with the same portable SQL on SQLite and
//! PostgreSQL. The close of a round recounts here, with the same [`recount`] that
//! `commons tally` runs offline.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use commons_ledger::codec::{Reader, Writer};
use commons_ledger::entry::Action;
use commons_ledger::keys::{Hash, PublicKey, Signature};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use thiserror::Error;

use crate::audit::{check_enactment, genesis_defaults, Backing, Enactment, History};
use crate::ballot::SignedBallot;
use crate::delegation::{Scope, SignedDelegation};
use crate::policy::{Policy, Status};
use crate::proposal::{Definition, Method};
use crate::tally::{recount, Decision, Recount};

mod audit;
mod ballots;
mod discussion;
mod erasure;
mod proposals;
mod rounds;
mod rows;
mod takeout;

use rows::*;

/// Most rows one list query returns (proposals, comments).
pub const LIST_ROWS_MAX: i64 = 200;
/// Most comments on one proposal.
pub const COMMENTS_PER_PROPOSAL_MAX: i64 = 2_000;
/// Most comments one member writes on one proposal (their share of the discussion).
pub const COMMENTS_PER_AUTHOR_MAX: i64 = 200;
/// Most comments one member writes on one proposal in an hour.
pub const COMMENTS_PER_AUTHOR_PER_HOUR_MAX: i64 = 30;
/// Longest comment, in characters.
pub const COMMENT_CHARS_MAX: usize = 5_000;
/// Longest proposal body, in characters.
pub const BODY_CHARS_MAX: usize = 20_000;
/// Most ballots one member may cast in one round (changing their mind included).
pub const BALLOTS_PER_VOTER_MAX: i64 = 50;
/// Most delegation records one member may sign in a day.
pub const DELEGATIONS_PER_DAY_MAX: i64 = 50;
/// Longest reason for a pause, in characters.
pub const PAUSE_REASON_CHARS_MAX: usize = 1_000;
/// Most history events listed for one proposal.
pub const EVENTS_LISTED_MAX: i64 = 500;

pub type GovernanceResult<T> = Result<T, GovernanceError>;

#[derive(Debug, Error)]
pub enum GovernanceError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored governance data is malformed: {0}")]
    Corrupt(String),
    #[error("no such proposal in this circle")]
    NotFound,
    #[error("someone changed this proposal at the same moment; look again and retry")]
    Conflict,
    #[error("voting on this round has closed; ballots are no longer accepted")]
    VotingClosed,
    #[error("you already voted at this very moment; wait a second and vote again")]
    SameMoment,
    #[error(
        "you have changed your vote {BALLOTS_PER_VOTER_MAX} times in this round; that is the most"
    )]
    TooManyBallots,
    #[error("this proposal already has {COMMENTS_PER_PROPOSAL_MAX} comments")]
    TooManyComments,
    #[error("you wrote {COMMENTS_PER_AUTHOR_PER_HOUR_MAX} comments on this proposal in the last hour, or {COMMENTS_PER_AUTHOR_MAX} in all")]
    CommentingTooMuch,
    #[error("you made {DELEGATIONS_PER_DAY_MAX} delegation changes today; try again tomorrow")]
    TooManyDelegations,
}

/// What happened in a proposal's life beyond its steps: its text changed during the
/// discussion, it was paused, the pause was lifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Edited,
    Paused,
    Resumed,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Edited => "edited",
            EventKind::Paused => "paused",
            EventKind::Resumed => "resumed",
        }
    }
    fn parse(text: &str) -> Option<EventKind> {
        Some(match text {
            "edited" => EventKind::Edited,
            "paused" => EventKind::Paused,
            "resumed" => EventKind::Resumed,
            _ => return None,
        })
    }
}

/// One entry of a proposal's public history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// Who did it; `None` when members' requests together paused it.
    pub actor: Option<i64>,
    pub reason: String,
    pub at_ms: i64,
}

/// A member's request to pause a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PauseRequest {
    pub requester: i64,
    pub reason: String,
    pub at_ms: i64,
}

/// The texts a proposal's set-document actions commit to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Documents {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreements: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
}

/// What an author writes: everything but the lifecycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalDraft {
    pub title: String,
    pub body: String,
    pub method: Method,
    pub options: Vec<String>,
    pub quorum_percent: u8,
    pub threshold_percent: u8,
    pub delegation: bool,
    pub hide_results: bool,
    pub actions: Vec<Action>,
    pub documents: Documents,
}

/// A stored proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub id: i64,
    pub circle: i64,
    pub number: i64,
    pub author: i64,
    pub draft: ProposalDraft,
    pub status: Status,
    /// The latest voting round (0 before the first vote).
    pub round: u32,
    pub discussion_opened_at_ms: Option<i64>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub enacted_seq: Option<i64>,
    /// Why a passed proposal could not take effect, if it could not.
    pub enact_error: Option<String>,
    /// While paused: the status it was paused from.
    pub paused_from: Option<Status>,
}

/// A frozen voting round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub proposal: i64,
    pub round: u32,
    pub definition: Definition,
    pub definition_hash: Hash,
    /// The policy in force when the round opened (the definition names its hash).
    pub policy: Policy,
    pub ballot_count: i64,
    pub decision: Option<Decision>,
    pub closed_at_ms: Option<i64>,
    /// When a pause ended the round without a count.
    pub cancelled_at_ms: Option<i64>,
}

impl Round {
    pub fn is_open(&self, now_ms: i64) -> bool {
        self.decision.is_none()
            && self.cancelled_at_ms.is_none()
            && now_ms <= self.definition.closes_at_ms
    }
}

/// A discussion comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: i64,
    pub proposal: i64,
    pub parent: Option<i64>,
    pub author: i64,
    pub body: String,
    pub created_at_ms: i64,
}

const PROPOSAL_COLUMNS: &str = "id, circle, number, author, title, body, method, seats, options, quorum_percent, threshold_percent, delegation, hide_results, actions, documents, status, round, discussion_opened_at_ms, created_at_ms, updated_at_ms, enacted_seq, enact_error, paused_from";

/// A round's ballots in the order received.
const BALLOTS_OF_ROUND: &str =
    "SELECT bytes, signature FROM ballots WHERE definition_hash = $1 ORDER BY id";
/// The delegation records that can matter for a proposal: standing ones and its own, made by a
/// time.
const DELEGATIONS_FOR_PROPOSAL: &str = "SELECT bytes, signature FROM delegations
     WHERE circle = $1 AND (scope_proposal IS NULL OR scope_proposal = $2) AND made_at_ms <= $3 ORDER BY id";

const ROUND_COLUMNS: &str = "proposal, round, definition, definition_hash, electorate, policy, ballot_count, decision, closed_at_ms, cancelled_at_ms";

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    proposal: i64,
    kind: EventKind,
    actor: Option<i64>,
    reason: &str,
    now_ms: i64,
) -> GovernanceResult<()> {
    sqlx::query(
        "INSERT INTO proposal_events (proposal, kind, actor, reason, at_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(proposal)
    .bind(kind.as_str())
    .bind(actor)
    .bind(reason)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn clear_pause_requests(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    proposal: i64,
) -> GovernanceResult<()> {
    sqlx::query("DELETE FROM proposal_pause_requests WHERE proposal = $1")
        .bind(proposal)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The governance tables of one node.
#[derive(Debug, Clone)]
pub struct Governance {
    pool: AnyPool,
    /// Bumped after every change to a proposal's title, status or rounds in this process.
    version: Arc<AtomicU64>,
}

impl Governance {
    pub fn new(pool: AnyPool) -> Governance {
        Governance {
            pool,
            version: Arc::default(),
        }
    }

    /// A number that changes whenever a proposal's draft, status or voting round changes
    /// through this process: views built from the proposals are fresh while it stays.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    fn touched(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    // ----- policy -----

    /// The circle's policy (the default until a proposal changes it).
    pub async fn policy(&self, circle: i64) -> GovernanceResult<Policy> {
        let row = sqlx::query("SELECT policy FROM governance_policies WHERE circle = $1")
            .bind(circle)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(Policy::default()),
            Some(row) => serde_json::from_str(&row.try_get::<String, _>(0)?)
                .map_err(|_| GovernanceError::Corrupt("a policy".into())),
        }
    }

    pub async fn set_policy(
        &self,
        circle: i64,
        policy: &Policy,
        now_ms: i64,
    ) -> GovernanceResult<()> {
        sqlx::query(
            "INSERT INTO governance_policies (circle, policy, updated_at_ms) VALUES ($1, $2, $3)
             ON CONFLICT (circle) DO UPDATE SET policy = excluded.policy, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(circle)
        .bind(serde_json::to_string(policy).expect("policies serialise"))
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Why the enactment audit could not run.
#[derive(Debug, Error)]
pub enum AuditError {
    #[error("{0}")]
    Ledger(#[from] commons_ledger::store::StoreError),
    #[error("{0}")]
    Governance(#[from] GovernanceError),
}
