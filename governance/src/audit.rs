//! The auditor's check of enactments: each ledger entry that applies a decision (kind 11) must
//! be backed by a proposal whose frozen definition has exactly that hash, the same circle and
//! the same actions, and whose ballots, recounted now, pass with exactly the published board.

use commons_ledger::entry::{Action, Body, Request};
use commons_ledger::keys::Hash;

use crate::ballot::SignedBallot;
use crate::delegation::SignedDelegation;
use crate::proposal::Definition;
use crate::tally::{recount, Outcome};

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

/// What backs an enactment: the round's definition and every ballot and delegation record.
#[derive(Debug, Clone, Copy)]
pub struct Backing<'a> {
    pub definition: &'a Definition,
    pub ballots: &'a [SignedBallot],
    pub delegations: &'a [SignedDelegation],
}

/// Checks one enactment; the error says what is wrong, for the audit's list of faults.
pub fn check_enactment(
    circle_id: &Hash,
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

    #[test]
    fn an_enactment_must_be_backed_by_a_passing_recount_of_exactly_its_board() {
        let keys: Vec<SecretKey> = (0..3).map(|_| SecretKey::generate()).collect();
        let publics: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
        let mut definition = sample(Method::Majority, &publics);
        definition.actions = vec![Action::SetDefaultLimits {
            floor_minor: -1,
            ceiling_minor: 1,
        }];
        let ballots: Vec<SignedBallot> = keys
            .iter()
            .map(|k| {
                Ballot::new(
                    &definition,
                    k.public_key(),
                    1_500,
                    Choice::Majority(Position::Yes),
                )
                .sign(k)
            })
            .collect();
        let root = recount(&definition, &ballots, &[]).board.root();
        let enactment = Enactment {
            seq: 9,
            recorded_at_ms: 2_500,
            proposal: definition.hash(),
            board_root: root,
            actions: definition.actions.clone(),
        };
        let backing = Backing {
            definition: &definition,
            ballots: &ballots,
            delegations: &[],
        };
        let circle = definition.circle_id;
        assert_eq!(check_enactment(&circle, &enactment, Some(backing)), Ok(()));
        assert!(check_enactment(&circle, &enactment, None).is_err());
        let mut changed = enactment.clone();
        changed.actions.clear();
        assert!(check_enactment(&circle, &changed, Some(backing)).is_err());
        let mut early = enactment.clone();
        early.recorded_at_ms = 1_900;
        assert!(check_enactment(&circle, &early, Some(backing)).is_err());
        // A ballot left out: the board no longer matches.
        let fewer = Backing {
            ballots: &ballots[..2],
            ..backing
        };
        let error = check_enactment(&circle, &enactment, Some(fewer)).expect_err("board");
        assert!(error.contains("board root"), "{error}");
        assert!(check_enactment(&Hash([9; 32]), &enactment, Some(backing)).is_err());
    }
}
