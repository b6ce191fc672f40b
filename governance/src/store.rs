//! Persistence of governance (policies, proposals, discussion, frozen rounds, signed ballots
//! and delegations) over the node's database, with the same portable SQL on SQLite and
//! PostgreSQL. The close of a round recounts here, with the same [`recount`] that
//! `commons tally` runs offline.

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

fn method_from(name: &str, seats: i64) -> Option<Method> {
    Some(match name {
        "majority" => Method::Majority,
        "consent" => Method::Consent,
        "approval" => Method::Approval,
        "score" => Method::Score,
        "irv" => Method::Irv,
        "schulze" => Method::Schulze,
        "stv" => Method::Stv {
            seats: u16::try_from(seats).ok()?,
        },
        _ => return None,
    })
}

fn encode_actions(actions: &[Action]) -> Vec<u8> {
    let mut w = Writer::with_tag("commons.governance.actions");
    Action::encode_list(actions, &mut w);
    w.finish()
}

fn decode_actions(bytes: &[u8]) -> Result<Vec<Action>, GovernanceError> {
    let mut r = Reader::with_tag(bytes, "commons.governance.actions")
        .map_err(|e| GovernanceError::Corrupt(e.to_string()))?;
    let actions =
        Action::decode_list(&mut r).map_err(|e| GovernanceError::Corrupt(e.to_string()))?;
    r.finish()
        .map_err(|e| GovernanceError::Corrupt(e.to_string()))?;
    Ok(actions)
}

fn keys_bytes(keys: &[PublicKey]) -> Vec<u8> {
    keys.iter().flat_map(|k| k.as_bytes().to_vec()).collect()
}

fn keys_from(bytes: &[u8]) -> Result<Vec<PublicKey>, GovernanceError> {
    if !bytes.len().is_multiple_of(32) {
        return Err(GovernanceError::Corrupt(
            "an electorate is not whole keys".into(),
        ));
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|chunk| PublicKey::from_raw(chunk.try_into().expect("32 bytes")))
        .collect())
}

fn hash_from(bytes: Vec<u8>) -> Result<Hash, GovernanceError> {
    Ok(Hash(bytes.try_into().map_err(|_| {
        GovernanceError::Corrupt("a hash is not 32 bytes".into())
    })?))
}

fn signature_from(bytes: Vec<u8>) -> Result<Signature, GovernanceError> {
    Ok(Signature(bytes.try_into().map_err(|_| {
        GovernanceError::Corrupt("a signature is not 64 bytes".into())
    })?))
}

const PROPOSAL_COLUMNS: &str = "id, circle, number, author, title, body, method, seats, options, quorum_percent, threshold_percent, delegation, hide_results, actions, documents, status, round, discussion_opened_at_ms, created_at_ms, updated_at_ms, enacted_seq, enact_error, paused_from";

fn proposal_from(row: &AnyRow) -> GovernanceResult<Proposal> {
    let corrupt = |what: &str| GovernanceError::Corrupt(what.to_owned());
    let method: String = row.try_get("method")?;
    let seats: i64 = row.try_get("seats")?;
    let options: String = row.try_get("options")?;
    let documents: String = row.try_get("documents")?;
    let status: String = row.try_get("status")?;
    let percent = |name: &str| -> GovernanceResult<u8> {
        u8::try_from(row.try_get::<i64, _>(name)?).map_err(|_| corrupt("a percentage"))
    };
    let round: i64 = row.try_get("round")?;
    Ok(Proposal {
        id: row.try_get("id")?,
        circle: row.try_get("circle")?,
        number: row.try_get("number")?,
        author: row.try_get("author")?,
        draft: ProposalDraft {
            title: row.try_get("title")?,
            body: row.try_get("body")?,
            method: method_from(&method, seats).ok_or_else(|| corrupt("a method"))?,
            options: serde_json::from_str(&options).map_err(|_| corrupt("options"))?,
            quorum_percent: percent("quorum_percent")?,
            threshold_percent: percent("threshold_percent")?,
            delegation: row.try_get::<i64, _>("delegation")? != 0,
            hide_results: row.try_get::<i64, _>("hide_results")? != 0,
            actions: decode_actions(&row.try_get::<Vec<u8>, _>("actions")?)?,
            documents: serde_json::from_str(&documents).map_err(|_| corrupt("documents"))?,
        },
        status: Status::parse(&status).ok_or_else(|| corrupt("a status"))?,
        round: u32::try_from(round).map_err(|_| corrupt("a round"))?,
        discussion_opened_at_ms: row.try_get("discussion_opened_at_ms")?,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
        enacted_seq: row.try_get("enacted_seq")?,
        enact_error: row.try_get("enact_error")?,
        paused_from: row
            .try_get::<Option<String>, _>("paused_from")?
            .map(|text| Status::parse(&text).ok_or_else(|| corrupt("a paused status")))
            .transpose()?,
    })
}

fn round_from(row: &AnyRow) -> GovernanceResult<Round> {
    let definition_bytes: Vec<u8> = row.try_get("definition")?;
    let electorate = keys_from(&row.try_get::<Vec<u8>, _>("electorate")?)?;
    let definition = Definition::decode(&definition_bytes, electorate)
        .map_err(|e| GovernanceError::Corrupt(format!("a definition: {e}")))?;
    let decision: Option<String> = row.try_get("decision")?;
    let round: i64 = row.try_get("round")?;
    let policy: Option<String> = row.try_get("policy")?;
    let policy = policy
        .and_then(|text| serde_json::from_str(&text).ok())
        .ok_or_else(|| GovernanceError::Corrupt("a round's policy".into()))?;
    Ok(Round {
        proposal: row.try_get("proposal")?,
        round: u32::try_from(round).map_err(|_| GovernanceError::Corrupt("a round".into()))?,
        definition_hash: hash_from(row.try_get("definition_hash")?)?,
        definition,
        policy,
        ballot_count: row.try_get("ballot_count")?,
        decision: decision
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|_| GovernanceError::Corrupt("a decision".into()))?,
        closed_at_ms: row.try_get("closed_at_ms")?,
        cancelled_at_ms: row.try_get("cancelled_at_ms")?,
    })
}

fn ballot_from(row: &AnyRow) -> GovernanceResult<SignedBallot> {
    SignedBallot::from_parts(
        row.try_get("bytes")?,
        signature_from(row.try_get("signature")?)?,
    )
    .map_err(|e| GovernanceError::Corrupt(format!("a stored ballot: {e}")))
}

fn delegation_from(row: &AnyRow) -> GovernanceResult<SignedDelegation> {
    SignedDelegation::from_parts(
        row.try_get("bytes")?,
        signature_from(row.try_get("signature")?)?,
    )
    .map_err(|e| GovernanceError::Corrupt(format!("a stored delegation: {e}")))
}

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
}

impl Governance {
    pub fn new(pool: AnyPool) -> Governance {
        Governance { pool }
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

    // ----- proposals -----

    /// Stores a new draft with the circle's next number.
    pub async fn create(
        &self,
        circle: i64,
        author: i64,
        draft: &ProposalDraft,
        now_ms: i64,
    ) -> GovernanceResult<Proposal> {
        for _ in 0..5 {
            let mut tx = self.pool.begin().await?;
            let number: i64 =
                sqlx::query("SELECT COALESCE(MAX(number), 0) + 1 FROM proposals WHERE circle = $1")
                    .bind(circle)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
            let seats = match draft.method {
                Method::Stv { seats } => i64::from(seats),
                _ => 1,
            };
            let inserted = sqlx::query(&format!(
                "INSERT INTO proposals (circle, number, author, title, body, method, seats, options, quorum_percent, threshold_percent, delegation, hide_results, actions, documents, status, round, created_at_ms, updated_at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'draft', 0, $15, $15)
                 ON CONFLICT (circle, number) DO NOTHING RETURNING {PROPOSAL_COLUMNS}"
            ))
            .bind(circle)
            .bind(number)
            .bind(author)
            .bind(&draft.title)
            .bind(&draft.body)
            .bind(draft.method.name())
            .bind(seats)
            .bind(serde_json::to_string(&draft.options).expect("options serialise"))
            .bind(i64::from(draft.quorum_percent))
            .bind(i64::from(draft.threshold_percent))
            .bind(i64::from(draft.delegation))
            .bind(i64::from(draft.hide_results))
            .bind(encode_actions(&draft.actions))
            .bind(serde_json::to_string(&draft.documents).expect("documents serialise"))
            .bind(now_ms)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = inserted {
                let proposal = proposal_from(&row)?;
                tx.commit().await?;
                return Ok(proposal);
            }
            tx.rollback().await?;
        }
        Err(GovernanceError::Conflict)
    }

    /// Replaces a proposal's draft, only while it is still `status` (the caller checked who
    /// may edit and when). An edit during the discussion restarts its minimum time.
    pub async fn update(
        &self,
        id: i64,
        status: Status,
        draft: &ProposalDraft,
        now_ms: i64,
    ) -> GovernanceResult<()> {
        let seats = match draft.method {
            Method::Stv { seats } => i64::from(seats),
            _ => 1,
        };
        let updated = sqlx::query(
            "UPDATE proposals SET title = $1, body = $2, method = $3, seats = $4, options = $5, quorum_percent = $6, threshold_percent = $7, delegation = $8, hide_results = $9, actions = $10, documents = $11, updated_at_ms = $12,
               discussion_opened_at_ms = CASE WHEN status = 'discussion' THEN $12 ELSE discussion_opened_at_ms END
             WHERE id = $13 AND status = $14",
        )
        .bind(&draft.title)
        .bind(&draft.body)
        .bind(draft.method.name())
        .bind(seats)
        .bind(serde_json::to_string(&draft.options).expect("options serialise"))
        .bind(i64::from(draft.quorum_percent))
        .bind(i64::from(draft.threshold_percent))
        .bind(i64::from(draft.delegation))
        .bind(i64::from(draft.hide_results))
        .bind(encode_actions(&draft.actions))
        .bind(serde_json::to_string(&draft.documents).expect("documents serialise"))
        .bind(now_ms)
        .bind(id)
        .bind(status.as_str())
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(GovernanceError::Conflict);
        }
        Ok(())
    }

    /// Moves a proposal from one status to another (compare-and-set). Moving to discussion
    /// starts its minimum time; leaving a pause records that it was lifted.
    pub async fn set_status(
        &self,
        id: i64,
        from: Status,
        to: Status,
        now_ms: i64,
    ) -> GovernanceResult<()> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE proposals SET status = $1, updated_at_ms = $2, paused_from = NULL,
               discussion_opened_at_ms = CASE WHEN $1 = 'discussion' THEN $2 ELSE discussion_opened_at_ms END
             WHERE id = $3 AND status = $4",
        )
        .bind(to.as_str())
        .bind(now_ms)
        .bind(id)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(GovernanceError::Conflict);
        }
        if from == Status::Paused {
            let reason = if to == Status::Withdrawn {
                "withdrawn"
            } else {
                ""
            };
            insert_event(&mut tx, id, EventKind::Resumed, None, reason, now_ms).await?;
            clear_pause_requests(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Pauses a proposal in discussion or voting, with a public reason; `actor` is the steward
    /// who paused it (`None`: members' requests together). A paused vote's round ends without
    /// a count, serialised with its ballots on the round's row (the close may have come first:
    /// then nothing changes and the answer is a conflict).
    pub async fn pause(
        &self,
        proposal: &Proposal,
        actor: Option<i64>,
        reason: &str,
        now_ms: i64,
    ) -> GovernanceResult<()> {
        let mut tx = self.pool.begin().await?;
        if proposal.status == Status::Voting {
            let ended = sqlx::query(
                "UPDATE proposal_rounds SET cancelled_at_ms = $1
                 WHERE proposal = $2 AND round = $3 AND decision IS NULL AND cancelled_at_ms IS NULL AND closed_at_ms IS NULL AND closes_at_ms >= $1",
            )
            .bind(now_ms)
            .bind(proposal.id)
            .bind(i64::from(proposal.round))
            .execute(&mut *tx)
            .await?;
            if ended.rows_affected() != 1 {
                tx.rollback().await?;
                return Err(GovernanceError::Conflict);
            }
        }
        let moved = sqlx::query(
            "UPDATE proposals SET status = 'paused', paused_from = $1, updated_at_ms = $2
             WHERE id = $3 AND status = $1 AND status IN ('discussion', 'voting')",
        )
        .bind(proposal.status.as_str())
        .bind(now_ms)
        .bind(proposal.id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(GovernanceError::Conflict);
        }
        insert_event(
            &mut tx,
            proposal.id,
            EventKind::Paused,
            actor,
            reason,
            now_ms,
        )
        .await?;
        clear_pause_requests(&mut tx, proposal.id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a member's request to pause (once per member; asking again changes nothing);
    /// returns every open request, oldest first.
    pub async fn request_pause(
        &self,
        proposal: i64,
        requester: i64,
        reason: &str,
        now_ms: i64,
    ) -> GovernanceResult<Vec<PauseRequest>> {
        sqlx::query(
            "INSERT INTO proposal_pause_requests (proposal, requester, reason, at_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (proposal, requester) DO NOTHING",
        )
        .bind(proposal)
        .bind(requester)
        .bind(reason)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.pause_requests(proposal).await
    }

    /// The open requests to pause a proposal, oldest first.
    pub async fn pause_requests(&self, proposal: i64) -> GovernanceResult<Vec<PauseRequest>> {
        let rows = sqlx::query(
            "SELECT requester, reason, at_ms FROM proposal_pause_requests WHERE proposal = $1 ORDER BY at_ms, requester LIMIT $2",
        )
        .bind(proposal)
        .bind(i64::from(crate::policy::PAUSERS_MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PauseRequest {
                    requester: row.try_get("requester")?,
                    reason: row.try_get("reason")?,
                    at_ms: row.try_get("at_ms")?,
                })
            })
            .collect()
    }

    /// Records that the text changed during the discussion.
    pub async fn record_edit(
        &self,
        proposal: i64,
        actor: i64,
        now_ms: i64,
    ) -> GovernanceResult<()> {
        let mut tx = self.pool.begin().await?;
        insert_event(
            &mut tx,
            proposal,
            EventKind::Edited,
            Some(actor),
            "",
            now_ms,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A proposal's history, oldest first.
    pub async fn events(&self, proposal: i64) -> GovernanceResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT kind, actor, reason, at_ms FROM proposal_events WHERE proposal = $1 ORDER BY id LIMIT $2",
        )
        .bind(proposal)
        .bind(EVENTS_LISTED_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                Ok(Event {
                    kind: EventKind::parse(&kind)
                        .ok_or_else(|| GovernanceError::Corrupt("an event kind".into()))?,
                    actor: row.try_get("actor")?,
                    reason: row.try_get("reason")?,
                    at_ms: row.try_get("at_ms")?,
                })
            })
            .collect()
    }

    /// Everyone who took part in a proposal so far: its commenters and, by account key, the
    /// voters of every round.
    pub async fn participants(
        &self,
        proposal: i64,
    ) -> GovernanceResult<(Vec<i64>, Vec<PublicKey>)> {
        let commenters =
            sqlx::query("SELECT DISTINCT author FROM proposal_comments WHERE proposal = $1")
                .bind(proposal)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<Vec<i64>, _>>()?;
        let voters = sqlx::query(
            "SELECT DISTINCT b.voter FROM ballots b JOIN proposal_rounds r ON r.definition_hash = b.definition_hash WHERE r.proposal = $1",
        )
        .bind(proposal)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let bytes: Vec<u8> = row.try_get(0)?;
            let raw: [u8; 32] = bytes
                .try_into()
                .map_err(|_| GovernanceError::Corrupt("a voter key".into()))?;
            Ok(PublicKey::from_raw(raw))
        })
        .collect::<GovernanceResult<Vec<_>>>()?;
        Ok((commenters, voters))
    }

    pub async fn proposal(&self, circle: i64, number: i64) -> GovernanceResult<Option<Proposal>> {
        let row = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE circle = $1 AND number = $2"
        ))
        .bind(circle)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(proposal_from).transpose()
    }

    /// One author's drafts in a circle, newest first.
    pub async fn drafts_of(&self, circle: i64, author: i64) -> GovernanceResult<Vec<Proposal>> {
        let rows = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE circle = $1 AND author = $2 AND status = 'draft' ORDER BY number DESC LIMIT $3"
        ))
        .bind(circle)
        .bind(author)
        .bind(LIST_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(proposal_from).collect()
    }

    /// A circle's proposals in these statuses, newest first.
    pub async fn proposals(
        &self,
        circle: i64,
        statuses: &[Status],
        limit: i64,
    ) -> GovernanceResult<Vec<Proposal>> {
        let list: Vec<String> = statuses
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let rows = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE circle = $1 AND status IN ({}) ORDER BY number DESC LIMIT $2",
            list.join(", ")
        ))
        .bind(circle)
        .bind(limit.clamp(1, LIST_ROWS_MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(proposal_from).collect()
    }

    // ----- rounds -----

    /// Freezes a round: stores its definition and moves the proposal (from `from`) to voting.
    pub async fn open_round(
        &self,
        proposal: &Proposal,
        from: Status,
        definition: &Definition,
        policy: &Policy,
        now_ms: i64,
    ) -> GovernanceResult<Round> {
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE proposals SET status = 'voting', round = $1, updated_at_ms = $2, paused_from = NULL
             WHERE id = $3 AND status = $4 AND round = $5 AND updated_at_ms = $6",
        )
        .bind(i64::from(definition.round))
        .bind(now_ms)
        .bind(proposal.id)
        .bind(from.as_str())
        .bind(i64::from(proposal.round))
        // An edit that landed after the definition was built would not be what is voted on.
        .bind(proposal.updated_at_ms)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(GovernanceError::Conflict);
        }
        let hash = definition.hash();
        sqlx::query(
            "INSERT INTO proposal_rounds (proposal, round, definition, definition_hash, electorate, policy, opens_at_ms, closes_at_ms, ballot_count)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)",
        )
        .bind(proposal.id)
        .bind(i64::from(definition.round))
        .bind(definition.encode())
        .bind(hash.0.to_vec())
        .bind(keys_bytes(&definition.electorate))
        .bind(serde_json::to_string(policy).expect("policies serialise"))
        .bind(definition.opens_at_ms)
        .bind(definition.closes_at_ms)
        .execute(&mut *tx)
        .await?;
        if from == Status::Paused {
            insert_event(&mut tx, proposal.id, EventKind::Resumed, None, "", now_ms).await?;
            clear_pause_requests(&mut tx, proposal.id).await?;
        }
        tx.commit().await?;
        Ok(Round {
            proposal: proposal.id,
            round: definition.round,
            definition: definition.clone(),
            definition_hash: hash,
            policy: policy.clone(),
            ballot_count: 0,
            decision: None,
            closed_at_ms: None,
            cancelled_at_ms: None,
        })
    }

    pub async fn round(&self, proposal: i64, round: u32) -> GovernanceResult<Option<Round>> {
        let row = sqlx::query(&format!(
            "SELECT {ROUND_COLUMNS} FROM proposal_rounds WHERE proposal = $1 AND round = $2"
        ))
        .bind(proposal)
        .bind(i64::from(round))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(round_from).transpose()
    }

    /// Every round of a proposal, first first.
    pub async fn rounds(&self, proposal: i64) -> GovernanceResult<Vec<Round>> {
        let rows = sqlx::query(&format!(
            "SELECT {ROUND_COLUMNS} FROM proposal_rounds WHERE proposal = $1 ORDER BY round"
        ))
        .bind(proposal)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(round_from).collect()
    }

    /// For these proposals (at most [`LIST_ROWS_MAX`]), their latest round's closing time and
    /// recorded decision, by proposal id: what a list of proposals shows.
    pub async fn latest_rounds(
        &self,
        ids: &[i64],
    ) -> GovernanceResult<std::collections::HashMap<i64, (i64, Option<Decision>)>> {
        let ids: Vec<i64> = ids.iter().copied().take(LIST_ROWS_MAX as usize).collect();
        if ids.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        let list = (0..ids.len())
            .map(|n| format!("${}", n + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT r.proposal, r.closes_at_ms, r.decision FROM proposal_rounds r
             JOIN proposals p ON p.id = r.proposal AND p.round = r.round
             WHERE r.proposal IN ({list})"
        );
        let mut query = sqlx::query(&sql);
        for id in &ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let decision: Option<String> = row.try_get("decision")?;
                let decision = decision
                    .map(|text| serde_json::from_str(&text))
                    .transpose()
                    .map_err(|_| GovernanceError::Corrupt("a decision".into()))?;
                Ok((
                    row.try_get::<i64, _>("proposal")?,
                    (row.try_get::<i64, _>("closes_at_ms")?, decision),
                ))
            })
            .collect()
    }

    /// The round with this definition hash, with its proposal.
    pub async fn round_by_hash(&self, hash: &Hash) -> GovernanceResult<Option<(Proposal, Round)>> {
        let row = sqlx::query(&format!(
            "SELECT {ROUND_COLUMNS} FROM proposal_rounds WHERE definition_hash = $1"
        ))
        .bind(hash.0.to_vec())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let round = round_from(&row)?;
        let row = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE id = $1"
        ))
        .bind(round.proposal)
        .fetch_one(&self.pool)
        .await?;
        Ok(Some((proposal_from(&row)?, round)))
    }

    /// Open rounds whose voting time is over: (circle, proposal number), oldest first.
    pub async fn due(&self, now_ms: i64) -> GovernanceResult<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT p.circle, p.number FROM proposal_rounds r JOIN proposals p ON p.id = r.proposal
             WHERE r.decision IS NULL AND r.cancelled_at_ms IS NULL AND r.closes_at_ms < $1 ORDER BY r.closes_at_ms LIMIT $2",
        )
        .bind(now_ms)
        .bind(LIST_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect()
    }

    /// Open rounds closing within `reminder_ms` that have not had their reminder, each marked
    /// as reminded in the same statement that finds it (so each reminder goes once).
    pub async fn take_reminders(
        &self,
        circle: i64,
        reminder_ms: i64,
        now_ms: i64,
    ) -> GovernanceResult<Vec<Round>> {
        let rows = sqlx::query(&format!(
            "UPDATE proposal_rounds SET reminded_at_ms = $1
             WHERE reminded_at_ms IS NULL AND decision IS NULL AND cancelled_at_ms IS NULL AND closes_at_ms >= $1 AND closes_at_ms - $2 <= $1
               AND proposal IN (SELECT id FROM proposals WHERE circle = $3)
             RETURNING {ROUND_COLUMNS}"
        ))
        .bind(now_ms)
        .bind(reminder_ms)
        .bind(circle)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(round_from).collect()
    }

    // ----- ballots -----

    /// Accepts a signed ballot into an open round; returns its receipt. The caller checked the
    /// ballot (signature, electorate, choice) and set its time from the node's clock.
    pub async fn cast(&self, ballot: &SignedBallot, now_ms: i64) -> GovernanceResult<Hash> {
        let hash = ballot.ballot.proposal.0.to_vec();
        let voter = ballot.ballot.voter.as_bytes().to_vec();
        let mut tx = self.pool.begin().await?;
        // Moving the round's count serialises ballots with the close: once the close has
        // written the decision, no ballot gets in.
        // The node's clock and the ballot's own time must both fall within the round.
        let open = sqlx::query(
            "UPDATE proposal_rounds SET ballot_count = ballot_count + 1
             WHERE definition_hash = $1 AND decision IS NULL AND cancelled_at_ms IS NULL AND closes_at_ms >= $2 AND opens_at_ms <= $2
               AND closes_at_ms >= $3 AND opens_at_ms <= $3",
        )
        .bind(&hash)
        .bind(now_ms)
        .bind(ballot.ballot.cast_at_ms)
        .execute(&mut *tx)
        .await?;
        if open.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(GovernanceError::VotingClosed);
        }
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(MAX(cast_at_ms), 0) FROM ballots WHERE definition_hash = $1 AND voter = $2",
        )
        .bind(&hash)
        .bind(&voter)
        .fetch_one(&mut *tx)
        .await?;
        let (count, latest): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        if count >= BALLOTS_PER_VOTER_MAX {
            tx.rollback().await?;
            return Err(GovernanceError::TooManyBallots);
        }
        if count > 0 && latest >= ballot.ballot.cast_at_ms {
            tx.rollback().await?;
            return Err(GovernanceError::SameMoment);
        }
        let receipt = ballot.receipt();
        sqlx::query(
            "INSERT INTO ballots (definition_hash, voter, cast_at_ms, bytes, signature, receipt, received_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&hash)
        .bind(&voter)
        .bind(ballot.ballot.cast_at_ms)
        .bind(ballot.bytes.clone())
        .bind(ballot.signature.0.to_vec())
        .bind(receipt.0.to_vec())
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(receipt)
    }

    /// Every ballot of a round, in the order received.
    pub async fn ballots(&self, definition_hash: &Hash) -> GovernanceResult<Vec<SignedBallot>> {
        let rows = sqlx::query(BALLOTS_OF_ROUND)
            .bind(definition_hash.0.to_vec())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(ballot_from).collect()
    }

    /// A voter's ballots in a round, latest first.
    pub async fn ballots_of(
        &self,
        definition_hash: &Hash,
        voter: &PublicKey,
    ) -> GovernanceResult<Vec<SignedBallot>> {
        let rows = sqlx::query(
            "SELECT bytes, signature FROM ballots WHERE definition_hash = $1 AND voter = $2 ORDER BY cast_at_ms DESC",
        )
        .bind(definition_hash.0.to_vec())
        .bind(voter.as_bytes().to_vec())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(ballot_from).collect()
    }

    // ----- delegations -----

    /// Stores a signed delegation (checked by the caller).
    pub async fn delegate(&self, circle: i64, signed: &SignedDelegation) -> GovernanceResult<()> {
        let record = &signed.delegation;
        let day_ago = record.made_at_ms - 86_400_000;
        let recent: i64 = sqlx::query(
            "SELECT COUNT(*) FROM delegations WHERE circle = $1 AND delegator = $2 AND made_at_ms > $3",
        )
        .bind(circle)
        .bind(record.delegator.as_bytes().to_vec())
        .bind(day_ago)
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        if recent >= DELEGATIONS_PER_DAY_MAX {
            return Err(GovernanceError::TooManyDelegations);
        }
        sqlx::query(
            "INSERT INTO delegations (circle, delegator, delegate, scope_proposal, made_at_ms, bytes, signature)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(circle)
        .bind(record.delegator.as_bytes().to_vec())
        .bind(record.delegate.map(|k| k.as_bytes().to_vec()))
        .bind(match record.scope {
            Scope::Standing => None,
            Scope::Proposal(number) => Some(number as i64),
        })
        .bind(record.made_at_ms)
        .bind(signed.bytes.clone())
        .bind(signed.signature.0.to_vec())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The delegation records that can matter for a proposal: standing ones and its own, made
    /// before `until_ms`.
    pub async fn delegations(
        &self,
        circle: i64,
        proposal_number: i64,
        until_ms: i64,
    ) -> GovernanceResult<Vec<SignedDelegation>> {
        let rows = sqlx::query(DELEGATIONS_FOR_PROPOSAL)
            .bind(circle)
            .bind(proposal_number)
            .bind(until_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(delegation_from).collect()
    }

    // ----- the close -----

    /// Closes a round whose time is over: recounts its ballots and delegations, records the
    /// decision, and moves the proposal to closed. Returns `None` when another process closed it
    /// first.
    pub async fn close(
        &self,
        proposal: &Proposal,
        round: u32,
        now_ms: i64,
    ) -> GovernanceResult<Option<Recount>> {
        let mut tx = self.pool.begin().await?;
        // Take the round (the same row every ballot moves) before reading its ballots.
        let taken = sqlx::query(
            "UPDATE proposal_rounds SET closed_at_ms = $1 WHERE proposal = $2 AND round = $3 AND decision IS NULL AND cancelled_at_ms IS NULL AND closes_at_ms < $1",
        )
        .bind(now_ms)
        .bind(proposal.id)
        .bind(i64::from(round))
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "SELECT {ROUND_COLUMNS} FROM proposal_rounds WHERE proposal = $1 AND round = $2"
        ))
        .bind(proposal.id)
        .bind(i64::from(round))
        .fetch_one(&mut *tx)
        .await?;
        let stored = round_from(&row)?;
        let rows = sqlx::query(BALLOTS_OF_ROUND)
            .bind(stored.definition_hash.0.to_vec())
            .fetch_all(&mut *tx)
            .await?;
        let ballots: Vec<SignedBallot> = rows.iter().map(ballot_from).collect::<Result<_, _>>()?;
        let rows = sqlx::query(DELEGATIONS_FOR_PROPOSAL)
            .bind(proposal.circle)
            .bind(proposal.number)
            .bind(stored.definition.closes_at_ms)
            .fetch_all(&mut *tx)
            .await?;
        let delegations: Vec<SignedDelegation> =
            rows.iter().map(delegation_from).collect::<Result<_, _>>()?;
        let result = recount(&stored.definition, &ballots, &delegations);
        if !result.problems.is_empty() {
            // The node checked every ballot on the way in; a stored ballot that fails now was
            // changed behind the node's back.
            tx.rollback().await?;
            return Err(GovernanceError::Corrupt(format!(
                "{} stored ballots or delegations no longer verify: {}",
                result.problems.len(),
                result.problems[0].what
            )));
        }
        let decision = serde_json::to_string(&result.decision()).expect("decisions serialise");
        sqlx::query("UPDATE proposal_rounds SET decision = $1 WHERE proposal = $2 AND round = $3")
            .bind(decision)
            .bind(proposal.id)
            .bind(i64::from(round))
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE proposals SET status = 'closed', updated_at_ms = $1 WHERE id = $2 AND status = 'voting'")
            .bind(now_ms)
            .bind(proposal.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(result))
    }

    /// Closed proposals that carry actions and have not taken effect nor been refused (a crash or
    /// a database fault between the close and the enactment): (circle, number), oldest first.
    pub async fn unenacted(&self) -> GovernanceResult<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT circle, number FROM proposals
             WHERE status = 'closed' AND enacted_seq IS NULL AND enact_error IS NULL AND actions <> $1
             ORDER BY updated_at_ms LIMIT $2",
        )
        .bind(encode_actions(&[]))
        .bind(LIST_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect()
    }

    /// Records why a passed proposal could not take effect.
    pub async fn set_enact_error(&self, id: i64, why: &str, now_ms: i64) -> GovernanceResult<()> {
        sqlx::query("UPDATE proposals SET enact_error = $1, updated_at_ms = $2 WHERE id = $3 AND enacted_seq IS NULL")
            .bind(why)
            .bind(now_ms)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records the ledger entry that enacted a proposal.
    pub async fn set_enacted(&self, id: i64, seq: u64, now_ms: i64) -> GovernanceResult<()> {
        sqlx::query(
            "UPDATE proposals SET status = 'enacted', enacted_seq = $1, updated_at_ms = $2 WHERE id = $3 AND status = 'closed'",
        )
        .bind(seq as i64)
        .bind(now_ms)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // ----- discussion -----

    /// Adds a comment. In one transaction: the proposal's own row moves its count (only below
    /// [`COMMENTS_PER_PROPOSAL_MAX`]; this also serialises writers), then the author's share is
    /// checked ([`COMMENTS_PER_AUTHOR_MAX`] in all, [`COMMENTS_PER_AUTHOR_PER_HOUR_MAX`] an hour).
    pub async fn add_comment(
        &self,
        proposal: i64,
        parent: Option<i64>,
        author: i64,
        body: &str,
        now_ms: i64,
    ) -> GovernanceResult<i64> {
        let mut tx = self.pool.begin().await?;
        let counted = sqlx::query(
            "UPDATE proposals SET comment_count = comment_count + 1 WHERE id = $1 AND comment_count < $2",
        )
        .bind(proposal)
        .bind(COMMENTS_PER_PROPOSAL_MAX)
        .execute(&mut *tx)
        .await?;
        if counted.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(GovernanceError::TooManyComments);
        }
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN created_at_ms > $3 THEN 1 ELSE 0 END), 0)
             FROM proposal_comments WHERE proposal = $1 AND author = $2",
        )
        .bind(proposal)
        .bind(author)
        .bind(now_ms - 3_600_000)
        .fetch_one(&mut *tx)
        .await?;
        let (all, last_hour): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        if all >= COMMENTS_PER_AUTHOR_MAX || last_hour >= COMMENTS_PER_AUTHOR_PER_HOUR_MAX {
            tx.rollback().await?;
            return Err(GovernanceError::CommentingTooMuch);
        }
        if let Some(parent) = parent {
            let found =
                sqlx::query("SELECT 1 FROM proposal_comments WHERE id = $1 AND proposal = $2")
                    .bind(parent)
                    .bind(proposal)
                    .fetch_optional(&mut *tx)
                    .await?;
            if found.is_none() {
                tx.rollback().await?;
                return Err(GovernanceError::NotFound);
            }
        }
        let row = sqlx::query(
            "INSERT INTO proposal_comments (proposal, parent, author, body, created_at_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(proposal)
        .bind(parent)
        .bind(author)
        .bind(body)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        let id = row.try_get(0)?;
        tx.commit().await?;
        Ok(id)
    }

    /// A proposal's comments, oldest first.
    pub async fn comments(&self, proposal: i64) -> GovernanceResult<Vec<Comment>> {
        let rows = sqlx::query(
            "SELECT id, proposal, parent, author, body, created_at_ms FROM proposal_comments WHERE proposal = $1 ORDER BY id LIMIT $2",
        )
        .bind(proposal)
        .bind(COMMENTS_PER_PROPOSAL_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Comment {
                    id: row.try_get("id")?,
                    proposal: row.try_get("proposal")?,
                    parent: row.try_get("parent")?,
                    author: row.try_get("author")?,
                    body: row.try_get("body")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }

    // ----- audit -----

    /// What the circle's ledger says about its decisions: the genesis defaults and every
    /// enactment (which policy was in force when, the default limits over time).
    pub async fn history(
        &self,
        ledger: &commons_ledger::store::Store,
        info: &commons_ledger::store::CircleInfo,
    ) -> Result<(History, Vec<Enactment>), AuditError> {
        let genesis = ledger.entry(info, 0).await?;
        let mut enactments = Vec::new();
        let mut from = 0;
        loop {
            let page = ledger.entries_of_kind(info, 11, from, 500).await?;
            let Some(last) = page.last() else { break };
            from = last.entry.seq + 1;
            enactments.extend(page.iter().filter_map(|stored| {
                Enactment::from_request(
                    stored.entry.seq,
                    stored.entry.recorded_at_ms,
                    &stored.entry.signed.request,
                )
            }));
        }
        let defaults = genesis_defaults(&genesis.entry.signed.request).ok_or_else(|| {
            GovernanceError::Corrupt("the ledger does not start with a genesis entry".into())
        })?;
        let history = History::new(defaults, &enactments);
        Ok((history, enactments))
    }

    /// The audit of every enactment (kind 11) in a circle's ledger: each must be backed by a
    /// proposal in this store that keeps the policy in force when its voting opened and whose
    /// recount passes with exactly the enacted board. Returns one (entry, what is wrong) per
    /// enactment that is not.
    pub async fn audit_enactments(
        &self,
        ledger: &commons_ledger::store::Store,
        info: &commons_ledger::store::CircleInfo,
    ) -> Result<Vec<(u64, String)>, AuditError> {
        let (history, enactments) = self.history(ledger, info).await?;
        let mut faults = Vec::new();
        for enactment in &enactments {
            let checked = match self.round_by_hash(&enactment.proposal).await? {
                None => check_enactment(&info.circle_id, &history, enactment, None),
                Some((proposal, round)) => {
                    let ballots = self.ballots(&round.definition_hash).await?;
                    let delegations = self
                        .delegations(info.row_id, proposal.number, round.definition.closes_at_ms)
                        .await?;
                    check_enactment(
                        &info.circle_id,
                        &history,
                        enactment,
                        Some(Backing {
                            definition: &round.definition,
                            policy: &round.policy,
                            ballots: &ballots,
                            delegations: &delegations,
                        }),
                    )
                }
            };
            if let Err(what) = checked {
                faults.push((enactment.seq, what));
            }
        }
        Ok(faults)
    }

    /// Recounts a stored round from its ballots and delegations; returns the recount and the
    /// decision recorded at its close (if it closed).
    pub async fn recount_round(
        &self,
        circle: i64,
        proposal: &Proposal,
        round: &Round,
    ) -> GovernanceResult<(Recount, Option<Decision>)> {
        let ballots = self.ballots(&round.definition_hash).await?;
        let delegations = self
            .delegations(circle, proposal.number, round.definition.closes_at_ms)
            .await?;
        Ok((
            recount(&round.definition, &ballots, &delegations),
            round.decision.clone(),
        ))
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
