//! The auditor's check of enactments: each ledger entry that applies a decision (kind 11) must
//! be backed by a proposal whose frozen definition has exactly that hash, the same circle and
//! the same actions, that keeps the policy the ledger says was in force when voting opened,
//! and whose ballots, recounted now, pass with exactly the published board.

use commons_ledger::entry::{Action, Body, Request, DOCUMENT_POLICY};
use commons_ledger::keys::Hash;

use crate::ballot::SignedBallot;
use crate::delegation::SignedDelegation;
use crate::policy::{DefaultLimits, Policy};
use crate::proposal::Definition;
use crate::tally::{recount, Outcome};

/// What the ledger itself says about a circle's decisions over time: its default limits (from
/// the genesis entry and every enacted change) and which policy was in force when (the
/// default policy until an enactment names another). Built from the genesis entry and the
/// enactments, in ledger order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    genesis_defaults: DefaultLimits,
    /// (seq, new defaults), in ledger order.
    defaults: Vec<(u64, DefaultLimits)>,
    /// (recorded at, policy hash), in ledger order.
    policies: Vec<(i64, Hash)>,
}

impl History {
    pub fn new(genesis_defaults: DefaultLimits, enactments: &[Enactment]) -> History {
        let mut history = History {
            genesis_defaults,
            defaults: Vec::new(),
            policies: Vec::new(),
        };
        for enactment in enactments {
            for action in &enactment.actions {
                match action {
                    Action::SetDefaultLimits {
                        floor_minor,
                        ceiling_minor,
                    } => history.defaults.push((
                        enactment.seq,
                        DefaultLimits {
                            floor_minor: *floor_minor,
                            ceiling_minor: *ceiling_minor,
                        },
                    )),
                    Action::SetDocument { document, hash } if *document == DOCUMENT_POLICY => {
                        history.policies.push((enactment.recorded_at_ms, *hash));
                    }
                    _ => {}
                }
            }
        }
        history
    }

    /// The history of a ledger's requests: the genesis entry (seq 0) and every enactment.
    /// `None` when no request is a genesis.
    pub fn from_requests<'a>(
        requests: impl IntoIterator<Item = (u64, i64, &'a Request)>,
    ) -> Option<History> {
        let mut genesis = None;
        let mut enactments = Vec::new();
        for (seq, recorded_at_ms, request) in requests {
            if let Some(enactment) = Enactment::from_request(seq, recorded_at_ms, request) {
                enactments.push(enactment);
            } else if genesis.is_none() {
                genesis = genesis_defaults(request);
            }
        }
        Some(History::new(genesis?, &enactments))
    }

    /// The default limits in force just before the entry `seq` applies.
    pub fn defaults_before(&self, seq: u64) -> DefaultLimits {
        self.defaults
            .iter()
            .take_while(|(at, _)| *at < seq)
            .last()
            .map_or(self.genesis_defaults, |(_, limits)| *limits)
    }

    /// The hash of the policy in force at a moment: the last policy enacted at or before it,
    /// or the default policy.
    pub fn policy_at(&self, at_ms: i64) -> Hash {
        self.policies
            .iter()
            .take_while(|(recorded, _)| *recorded <= at_ms)
            .last()
            .map_or_else(|| Policy::default().hash(), |(_, hash)| *hash)
    }

    /// Checks a definition against the policy in force when its voting opened, as the ledger
    /// records it, for an enactment at `seq` (`u64::MAX`: one about to be written).
    pub fn check_policy(
        &self,
        definition: &Definition,
        policy: &Policy,
        seq: u64,
    ) -> Result<(), String> {
        let in_force = self.policy_at(definition.opens_at_ms);
        if definition.policy_hash != in_force {
            return Err(format!(
                "it was voted under policy {}, but the ledger says policy {} was in force when voting opened",
                definition.policy_hash.short(),
                in_force.short()
            ));
        }
        policy
            .admits(definition, self.defaults_before(seq))
            .map_err(|breach| format!("it breaks the policy in force when voting opened: {breach}"))
    }
}

/// One enactment found in a ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enactment {
    pub seq: u64,
    pub recorded_at_ms: i64,
    pub proposal: Hash,
    pub board_root: Hash,
    pub actions: Vec<Action>,
}

impl Enactment {
    /// The enactment a decoded request makes, if it is one.
    pub fn from_request(seq: u64, recorded_at_ms: i64, request: &Request) -> Option<Enactment> {
        match &request.body {
            Body::Enact {
                proposal,
                board_root,
                actions,
            } => Some(Enactment {
                seq,
                recorded_at_ms,
                proposal: *proposal,
                board_root: *board_root,
                actions: actions.clone(),
            }),
            _ => None,
        }
    }
}

/// The default limits a genesis request sets (`None` for any other request).
pub fn genesis_defaults(request: &Request) -> Option<DefaultLimits> {
    match &request.body {
        Body::Genesis { spec, .. } => Some(DefaultLimits {
            floor_minor: spec.default_floor_minor,
            ceiling_minor: spec.default_ceiling_minor,
        }),
        _ => None,
    }
}

/// What backs an enactment: the round's definition, the policy it names, and every ballot and
/// delegation record.
#[derive(Debug, Clone, Copy)]
pub struct Backing<'a> {
    pub definition: &'a Definition,
    pub policy: &'a Policy,
    pub ballots: &'a [SignedBallot],
    pub delegations: &'a [SignedDelegation],
}

/// Checks one enactment; the error says what is wrong, for the audit's list of faults.
pub fn check_enactment(
    circle_id: &Hash,
    history: &History,
    enactment: &Enactment,
    backing: Option<Backing<'_>>,
) -> Result<(), String> {
    let Some(backing) = backing else {
        return Err(format!(
            "it enacts proposal {}, but no proposal with that definition and its ballots were found",
            enactment.proposal.short()
        ));
    };
    let definition = backing.definition;
    if definition.hash() != enactment.proposal {
        return Err("the proposal definition given does not have the enacted hash".into());
    }
    if definition.circle_id != *circle_id {
        return Err("the enacted proposal belongs to another circle".into());
    }
    if definition.actions != enactment.actions {
        return Err("the enacted actions are not the ones the proposal carried".into());
    }
    if enactment.recorded_at_ms < definition.closes_at_ms {
        return Err("it was enacted before voting closed".into());
    }
    history.check_policy(definition, backing.policy, enactment.seq)?;
    let result = recount(definition, backing.ballots, backing.delegations);
    if let Some(problem) = result.problems.first() {
        return Err(format!(
            "{} of its ballots or delegations are invalid (first: {} {}: {})",
            result.problems.len(),
            problem.record,
            problem.index + 1,
            problem.what
        ));
    }
    if result.board.root() != enactment.board_root {
        return Err(format!(
            "its ballot board root {} is not the root of the ballots recounted ({})",
            enactment.board_root.short(),
            result.board.root().short()
        ));
    }
    if result.outcome != Outcome::Passed {
        return Err(format!(
            "the recount does not pass the proposal: {}",
            serde_json::to_string(&result.outcome).unwrap_or_default()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::{Ballot, Choice};
    use crate::majority::Position;
    use crate::proposal::tests::sample;
    use crate::proposal::Method;
    use commons_ledger::keys::SecretKey;

    const HOUR: i64 = 3_600_000;

    fn history() -> History {
        History::new(
            DefaultLimits {
                floor_minor: -100,
                ceiling_minor: 100,
            },
            &[],
        )
    }

    /// A passed definition under the default policy, its ballots and the enactment.
    fn passed(actions: Vec<Action>) -> (Definition, Vec<SignedBallot>, Enactment) {
        let keys: Vec<SecretKey> = (0..3).map(|_| SecretKey::generate()).collect();
        let publics: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
        let mut definition = sample(Method::Majority, &publics);
        definition.opens_at_ms = 48 * HOUR;
        definition.closes_at_ms = definition.opens_at_ms + 168 * HOUR;
        definition.quorum_percent = 50;
        definition.threshold_percent = 66;
        definition.actions = actions;
        let ballots: Vec<SignedBallot> = keys
            .iter()
            .map(|k| {
                Ballot::new(
                    &definition,
                    k.public_key(),
                    definition.opens_at_ms + 1,
                    Choice::Majority(Position::Yes),
                )
                .sign(k)
            })
            .collect();
        let root = recount(&definition, &ballots, &[]).board.root();
        let enactment = Enactment {
            seq: 9,
            recorded_at_ms: definition.closes_at_ms + 1,
            proposal: definition.hash(),
            board_root: root,
            actions: definition.actions.clone(),
        };
        (definition, ballots, enactment)
    }

    #[test]
    fn an_enactment_must_be_backed_by_a_passing_recount_of_exactly_its_board() {
        let (definition, ballots, enactment) = passed(vec![Action::SetDefaultLimits {
            floor_minor: -1,
            ceiling_minor: 1,
        }]);
        let policy = Policy::default();
        let backing = Backing {
            definition: &definition,
            policy: &policy,
            ballots: &ballots,
            delegations: &[],
        };
        let circle = definition.circle_id;
        let history = history();
        assert_eq!(
            check_enactment(&circle, &history, &enactment, Some(backing)),
            Ok(())
        );
        assert!(check_enactment(&circle, &history, &enactment, None).is_err());
        let mut changed = enactment.clone();
        changed.actions.clear();
        assert!(check_enactment(&circle, &history, &changed, Some(backing)).is_err());
        let mut early = enactment.clone();
        early.recorded_at_ms = definition.closes_at_ms - 1;
        assert!(check_enactment(&circle, &history, &early, Some(backing)).is_err());
        // A ballot left out: the board no longer matches.
        let fewer = Backing {
            ballots: &ballots[..2],
            ..backing
        };
        let error = check_enactment(&circle, &history, &enactment, Some(fewer)).expect_err("board");
        assert!(error.contains("board root"), "{error}");
        assert!(check_enactment(&Hash([9; 32]), &history, &enactment, Some(backing)).is_err());
    }

    #[test]
    fn an_enactment_whose_definition_breaks_the_policy_in_force_is_refused() {
        // A patched node froze a steward appointment at the ordinary bar: every ballot is
        // valid and the recount passes it, but the audit refuses it.
        let key = SecretKey::generate().public_key();
        let (mut definition, _, _) = passed(vec![Action::AddSteward { key }]);
        definition.quorum_percent = 1;
        definition.threshold_percent = 0;
        let signer = SecretKey::generate();
        definition.electorate = vec![signer.public_key()];
        let ballot = Ballot::new(
            &definition,
            signer.public_key(),
            definition.opens_at_ms + 1,
            Choice::Majority(Position::Yes),
        )
        .sign(&signer);
        let ballots = [ballot];
        let result = recount(&definition, &ballots, &[]);
        assert!(result.outcome.passed());
        let enactment = Enactment {
            seq: 9,
            recorded_at_ms: definition.closes_at_ms + 1,
            proposal: definition.hash(),
            board_root: result.board.root(),
            actions: definition.actions.clone(),
        };
        let policy = Policy::default();
        let backing = Backing {
            definition: &definition,
            policy: &policy,
            ballots: &ballots,
            delegations: &[],
        };
        let error = check_enactment(&definition.circle_id, &history(), &enactment, Some(backing))
            .expect_err("breach");
        assert!(error.contains("quorum is 1 %"), "{error}");
    }

    #[test]
    fn an_enactment_must_name_the_policy_the_ledger_had_in_force_when_voting_opened() {
        let (definition, ballots, enactment) = passed(vec![]);
        let lenient = Policy {
            quorum_percent: 0,
            discussion_hours_min: 0,
            ..Policy::default()
        };
        let mut lenient_definition = definition.clone();
        lenient_definition.policy_hash = lenient.hash();
        let _ = ballots;
        // The ledger never enacted the lenient policy: the default was in force.
        let error = check_history(&history(), &lenient_definition, &lenient);
        assert!(error.contains("in force when voting opened"), "{error}");
        // Once the ledger enacted it before voting opened, it is the policy in force.
        let adopted = Enactment {
            seq: 3,
            recorded_at_ms: lenient_definition.opens_at_ms - 1,
            proposal: Hash([7; 32]),
            board_root: Hash([7; 32]),
            actions: vec![Action::SetDocument {
                document: DOCUMENT_POLICY,
                hash: lenient.hash(),
            }],
        };
        let history = History::new(history().genesis_defaults, &[adopted]);
        assert_eq!(history.policy_at(0), Policy::default().hash());
        assert_eq!(
            history.policy_at(lenient_definition.opens_at_ms),
            lenient.hash()
        );
        assert_eq!(
            history.check_policy(&lenient_definition, &lenient, enactment.seq),
            Ok(())
        );
        // The policy document given must be the one named.
        let error = history
            .check_policy(&lenient_definition, &Policy::default(), enactment.seq)
            .expect_err("other document");
        assert!(error.contains("policy"), "{error}");
    }

    fn check_history(history: &History, definition: &Definition, policy: &Policy) -> String {
        history
            .check_policy(definition, policy, u64::MAX)
            .expect_err("refused")
    }

    #[test]
    fn member_limits_are_judged_against_the_defaults_in_force_at_the_enactment() {
        let raised = Enactment {
            seq: 5,
            recorded_at_ms: 0,
            proposal: Hash([1; 32]),
            board_root: Hash([1; 32]),
            actions: vec![Action::SetDefaultLimits {
                floor_minor: -500,
                ceiling_minor: 500,
            }],
        };
        let history = History::new(history().genesis_defaults, &[raised]);
        assert_eq!(history.defaults_before(5).floor_minor, -100);
        assert_eq!(history.defaults_before(6).floor_minor, -500);
    }
}
