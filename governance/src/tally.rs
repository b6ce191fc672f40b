//! The recount: from a frozen definition, signed ballots and signed delegations to a decision,
//! checking everything on the way. The node runs it when voting closes; `commons tally` runs
//! the very same function offline, from the store or an export.
//!
//! Checks, each failure named: every signature (batch-verified in parallel), that each ballot
//! is for this circle and this definition, that its voter is in the frozen electorate, that it
//! was cast between the opening and the close, that its choice fits the method; and that a voter
//! has no two ballots at the same moment. The latest valid ballot per voter counts; earlier ones
//! are superseded (still on the board, not counted).

use std::collections::{HashMap, HashSet};

use commons_ledger::keys::{verify_batch, Hash, PublicKey, Signature};
use rayon::prelude::*;
use serde::Serialize;

use crate::ballot::{receipt, Board, Choice, SignedBallot};
use crate::cardinal::{self, ApprovalCount, ScoreCount};
use crate::delegation::{choices, resolve, Flow, SignedDelegation};
use crate::irv::{self, IrvCount};
use crate::majority::{quorum_met, ConsentCount, MajorityCount};
use crate::proposal::{Definition, Method};
use crate::ranked::{Candidate, RankedBallot};
use crate::schulze::{self, SchulzeCount};
use crate::stv::{self, StvCount};

/// A ballot or delegation that cannot count, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// "ballot" or "delegation", and its position in the input (0-based).
    pub record: &'static str,
    pub index: usize,
    pub voter: Option<String>,
    pub what: String,
}

/// What the vote decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Too few members took part.
    NoQuorum,
    Passed,
    Rejected,
    /// A consent vote with at least one objection.
    Blocked,
    /// The options chosen, in order (one for IRV, Schulze, approval and score; the seats for STV).
    Chosen {
        options: Vec<Candidate>,
    },
    /// Nobody's ballot counted for any option.
    NoWinner,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Passed)
    }
}

/// The method's own count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Count {
    Majority(MajorityCount),
    Consent(ConsentCount),
    Approval(ApprovalCount),
    Score(ScoreCount),
    Irv(IrvCount),
    Schulze(SchulzeCount),
    Stv(StvCount),
}

/// One counted ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub voter: PublicKey,
    pub receipt: Hash,
    pub weight: u64,
    pub choice: Choice,
}

/// Everything a recount finds.
#[derive(Debug, Clone)]
pub struct Recount {
    pub definition_hash: Hash,
    /// The receipts of every distinct valid ballot and of every delegation record the count
    /// used, in board order; its root is the published board root.
    pub board: Board,
    pub problems: Vec<Problem>,
    pub counted: Vec<Counted>,
    /// Valid ballots replaced by a later ballot of the same voter.
    pub superseded: usize,
    pub flows: Vec<Flow>,
    /// Members who took part, directly or through a delegate.
    pub participation: u64,
    pub electorate: u64,
    pub count: Count,
    pub outcome: Outcome,
}

/// The part of a recount that is recorded when voting closes and compared by `commons tally`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Decision {
    /// Hex of the definition hash.
    pub proposal: String,
    /// Hex of the board root.
    pub board_root: String,
    pub ballots_on_board: u64,
    pub participation: u64,
    pub electorate: u64,
    /// The outcome as JSON (see [`Outcome`]).
    pub outcome: serde_json::Value,
}

impl Recount {
    pub fn decision(&self) -> Decision {
        Decision {
            proposal: self.definition_hash.to_hex(),
            board_root: self.board.root().to_hex(),
            ballots_on_board: self.board.leaves.len() as u64,
            participation: self.participation,
            electorate: self.electorate,
            outcome: serde_json::to_value(&self.outcome).expect("outcomes serialise"),
        }
    }
}

/// Verifies signatures of (key, bytes, signature) triples in parallel batches; true = valid.
fn verify_all(items: &[(PublicKey, &[u8], Signature)]) -> Vec<bool> {
    let size = commons_ledger::keys::batch_size_for(items.len());
    items
        .par_chunks(size)
        .flat_map_iter(|chunk| {
            let failed = verify_batch(chunk);
            let mut ok = vec![true; chunk.len()];
            for index in failed {
                ok[index] = false;
            }
            ok
        })
        .collect()
}

/// Recounts a vote. `ballots` and `delegations` may come in any order; the result does not
/// depend on it.
pub fn recount(
    definition: &Definition,
    ballots: &[SignedBallot],
    delegations: &[SignedDelegation],
) -> Recount {
    let definition_hash = definition.hash();
    let mut problems = Vec::new();
    let electorate = &definition.electorate;
    let eligible = |key: &PublicKey| electorate.binary_search(key).is_ok();

    // 1. Signatures, all at once.
    let items: Vec<(PublicKey, &[u8], Signature)> = ballots
        .iter()
        .map(|b| (b.record.voter, b.bytes.as_slice(), b.signature))
        .collect();
    let signature_ok = verify_all(&items);

    // 2. Each ballot's own checks.
    let mut valid: Vec<&SignedBallot> = Vec::with_capacity(ballots.len());
    for (index, (signed, ok)) in ballots.iter().zip(signature_ok).enumerate() {
        let ballot = &signed.record;
        let problem = if !ok {
            Some("its signature does not verify".to_owned())
        } else if ballot.circle_id != definition.circle_id {
            Some("it is for another circle".to_owned())
        } else if ballot.proposal != definition_hash {
            Some(format!(
                "it is for another proposal definition ({})",
                ballot.proposal.short()
            ))
        } else if !eligible(&ballot.voter) {
            Some("its voter is not in the electorate frozen when voting opened".to_owned())
        } else if ballot.cast_at_ms < definition.opens_at_ms {
            Some("it was cast before voting opened".to_owned())
        } else if ballot.cast_at_ms > definition.closes_at_ms {
            Some("it was cast after voting closed".to_owned())
        } else if let Err(error) = ballot
            .choice
            .check(&definition.method, definition.option_count())
        {
            Some(error.to_string())
        } else {
            None
        };
        match problem {
            Some(what) => problems.push(Problem {
                record: "ballot",
                index,
                voter: Some(ballot.voter.to_hex()),
                what,
            }),
            None => valid.push(signed),
        }
    }

    // 3. The latest ballot per voter. (The same signed ballot given twice is one ballot.)
    let receipts: Vec<Hash> = valid
        .par_iter()
        .map(|b| receipt(&b.bytes, &b.signature))
        .collect();
    let mut seen_receipts: HashSet<Hash> = HashSet::with_capacity(valid.len());
    let distinct: Vec<usize> = (0..valid.len())
        .filter(|i| seen_receipts.insert(receipts[*i]))
        .collect();
    let mut latest_time: HashMap<PublicKey, i64> = HashMap::with_capacity(valid.len());
    for &i in &distinct {
        let at = valid[i].record.cast_at_ms;
        let entry = latest_time.entry(valid[i].record.voter).or_insert(at);
        *entry = (*entry).max(at);
    }
    // Each voter's ballots at their latest time: one counts; two different ones count neither.
    let mut latest: HashMap<PublicKey, usize> = HashMap::with_capacity(latest_time.len());
    let mut same_moment: HashSet<PublicKey> = HashSet::new();
    for &i in &distinct {
        let voter = valid[i].record.voter;
        if valid[i].record.cast_at_ms != latest_time[&voter] {
            continue;
        }
        if latest.insert(voter, i).is_some() {
            same_moment.insert(voter);
        }
    }
    let mut doubled: Vec<&PublicKey> = same_moment.iter().collect();
    doubled.sort_unstable();
    for voter in doubled {
        let at = latest_time[voter];
        problems.push(Problem {
            record: "ballot",
            index: ballots
                .iter()
                .position(|b| b.record.voter == *voter && b.record.cast_at_ms == at)
                .unwrap_or(0),
            voter: Some(voter.to_hex()),
            what: "this voter has two different ballots cast at the same moment".into(),
        });
    }
    let superseded = distinct.len() - latest.len();

    // 4. Delegations.
    let mut usable = Vec::new();
    let mut usable_signed: Vec<&SignedDelegation> = Vec::new();
    if definition.delegation {
        let items: Vec<(PublicKey, &[u8], Signature)> = delegations
            .iter()
            .map(|d| (d.record.delegator, d.bytes.as_slice(), d.signature))
            .collect();
        for (index, (signed, ok)) in delegations.iter().zip(verify_all(&items)).enumerate() {
            let record = &signed.record;
            let problem = if !ok {
                Some("its signature does not verify")
            } else if record.circle_id != definition.circle_id {
                Some("it is for another circle")
            } else if record.made_at_ms > definition.closes_at_ms {
                Some("it was made after voting closed")
            } else {
                None
            };
            match problem {
                Some(what) => problems.push(Problem {
                    record: "delegation",
                    index,
                    voter: Some(record.delegator.to_hex()),
                    what: what.to_owned(),
                }),
                None => {
                    usable.push(record);
                    usable_signed.push(signed);
                }
            }
        }
    }
    // The board: every distinct valid ballot and every delegation record the count used.
    let mut leaves: Vec<(i64, Hash)> = distinct
        .iter()
        .map(|i| (valid[*i].record.cast_at_ms, receipts[*i]))
        .collect();
    leaves.extend(
        usable_signed
            .iter()
            .map(|d| (d.record.made_at_ms, receipt(&d.bytes, &d.signature))),
    );
    let board = Board::new(leaves);
    let voted: HashSet<PublicKey> = latest.keys().copied().collect();
    let delegates = choices(&usable, definition.proposal_id);
    let resolution = resolve(electorate, &voted, &delegates);

    // 5. The count, over the counted ballots in a fixed order (by voter key).
    let mut counted: Vec<Counted> = latest
        .iter()
        .filter(|(voter, _)| !same_moment.contains(*voter))
        .map(|(voter, position)| Counted {
            voter: *voter,
            receipt: receipts[*position],
            weight: resolution.weights.get(voter).copied().unwrap_or(1),
            choice: valid[*position].record.choice.clone(),
        })
        .collect();
    counted.sort_unstable_by_key(|c| c.voter);
    let participation: u64 = counted.iter().map(|c| c.weight).sum();
    let (count, outcome) = count_choices(definition, &counted, participation);
    Recount {
        definition_hash,
        board,
        problems,
        counted,
        superseded,
        flows: resolution.flows,
        participation,
        electorate: electorate.len() as u64,
        count,
        outcome,
    }
}

/// Applies the method and the quorum to the counted ballots.
pub fn count_choices(
    definition: &Definition,
    counted: &[Counted],
    participation: u64,
) -> (Count, Outcome) {
    let lot = definition.lot();
    let options = definition.option_count();
    let quorum = quorum_met(
        participation,
        definition.electorate.len() as u64,
        definition.quorum_percent,
    );
    let chosen = |winners: Vec<Candidate>| {
        if !quorum {
            Outcome::NoQuorum
        } else if winners.is_empty() {
            Outcome::NoWinner
        } else {
            Outcome::Chosen { options: winners }
        }
    };
    let ranked = || -> Vec<RankedBallot> {
        counted
            .iter()
            .filter_map(|c| match &c.choice {
                Choice::Ranked(order) => Some(RankedBallot {
                    weight: c.weight,
                    ..RankedBallot::ranking(order)
                }),
                _ => None,
            })
            .collect()
    };
    match definition.method {
        Method::Majority => {
            let count = MajorityCount::count(counted.iter().filter_map(|c| match &c.choice {
                Choice::Majority(position) => Some((*position, c.weight)),
                _ => None,
            }));
            let outcome = if !quorum {
                Outcome::NoQuorum
            } else if count.passes(definition.threshold_percent) {
                Outcome::Passed
            } else {
                Outcome::Rejected
            };
            (Count::Majority(count), outcome)
        }
        Method::Consent => {
            let count = ConsentCount::count(counted.iter().filter_map(|c| match &c.choice {
                Choice::Consent(stance) => Some((stance.clone(), c.weight)),
                _ => None,
            }));
            let outcome = if !quorum {
                Outcome::NoQuorum
            } else if count.blocked() {
                Outcome::Blocked
            } else if count.passes() {
                Outcome::Passed
            } else {
                Outcome::Rejected
            };
            (Count::Consent(count), outcome)
        }
        Method::Approval => {
            let count = cardinal::approval(
                options,
                counted.iter().filter_map(|c| match &c.choice {
                    Choice::Approval(list) => Some((list.as_slice(), c.weight)),
                    _ => None,
                }),
                &lot,
            );
            let outcome = chosen(count.winner.into_iter().collect());
            (Count::Approval(count), outcome)
        }
        Method::Score => {
            let count = cardinal::score(
                options,
                counted.iter().filter_map(|c| match &c.choice {
                    Choice::Score(scores) => Some((scores.as_slice(), c.weight)),
                    _ => None,
                }),
                &lot,
            );
            let outcome = chosen(count.winner.into_iter().collect());
            (Count::Score(count), outcome)
        }
        Method::Irv => {
            let count = irv::count(options, &ranked(), &lot);
            let outcome = chosen(count.winner.into_iter().collect());
            (Count::Irv(count), outcome)
        }
        Method::Schulze => {
            let count = schulze::count(options, &ranked(), &lot);
            let outcome = chosen(count.winner.into_iter().collect());
            (Count::Schulze(count), outcome)
        }
        Method::Stv { seats } => {
            let count = stv::count(options, usize::from(seats), &ranked(), &lot);
            let outcome = chosen(count.elected.clone());
            (Count::Stv(count), outcome)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::Ballot;
    use crate::delegation::{Delegation, Scope};
    use crate::majority::{Position, Stance};
    use crate::proposal::tests::sample;
    use commons_ledger::keys::SecretKey;

    struct Vote {
        keys: Vec<SecretKey>,
        definition: Definition,
    }

    fn vote(method: Method, members: usize) -> Vote {
        let keys: Vec<SecretKey> = (0..members).map(|_| SecretKey::generate()).collect();
        let publics: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
        let definition = sample(method, &publics);
        Vote { keys, definition }
    }

    impl Vote {
        fn ballot(&self, member: usize, at: i64, choice: Choice) -> SignedBallot {
            let key = &self.keys[member];
            Ballot::new(&self.definition, key.public_key(), at, choice).sign(key)
        }
    }

    #[test]
    fn the_latest_ballot_counts_and_delegated_votes_join_their_delegate() {
        let v = vote(Method::Majority, 4);
        let yes = Choice::Majority(Position::Yes);
        let no = Choice::Majority(Position::No);
        let ballots = vec![
            v.ballot(0, 1_100, no.clone()),
            v.ballot(0, 1_200, yes.clone()), // changed their mind
            v.ballot(1, 1_300, no.clone()),
        ];
        let delegation = Delegation {
            circle_id: v.definition.circle_id,
            delegator: v.keys[2].public_key(),
            delegate: Some(v.keys[0].public_key()),
            scope: Scope::Proposal(v.definition.proposal_id),
            made_at_ms: 900,
        }
        .sign(&v.keys[2]);
        let r = recount(&v.definition, &ballots, &[delegation]);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.superseded, 1);
        assert_eq!(r.board.leaves.len(), 4, "three ballots and the delegation");
        assert_eq!(r.participation, 3);
        assert_eq!(
            r.count,
            Count::Majority(MajorityCount {
                yes: 2,
                no: 1,
                abstain: 0
            })
        );
        assert_eq!(r.outcome, Outcome::Passed);
        assert_eq!(r.flows.len(), 1);
    }

    #[test]
    fn every_kind_of_bad_ballot_is_named_and_not_counted() {
        let v = vote(Method::Majority, 3);
        let outsider = SecretKey::generate();
        let yes = Choice::Majority(Position::Yes);
        let mut forged = v.ballot(0, 1_100, yes.clone());
        forged.signature.0[0] ^= 1;
        let late = v.ballot(1, 2_001, yes.clone());
        let early = v.ballot(2, 999, yes.clone());
        let stranger =
            Ballot::new(&v.definition, outsider.public_key(), 1_500, yes.clone()).sign(&outsider);
        let mut other_definition = v.definition.clone();
        other_definition.title.push('!');
        let other = Ballot::new(
            &other_definition,
            v.keys[0].public_key(),
            1_500,
            yes.clone(),
        )
        .sign(&v.keys[0]);
        let wrong_method = v.ballot(1, 1_500, Choice::Ranked(vec![0]));
        let r = recount(
            &v.definition,
            &[forged, late, early, stranger, other, wrong_method],
            &[],
        );
        let whats: Vec<&str> = r.problems.iter().map(|p| p.what.as_str()).collect();
        assert_eq!(r.problems.len(), 6, "{whats:?}");
        assert!(whats[0].contains("signature"));
        assert!(whats[1].contains("after voting closed"));
        assert!(whats[2].contains("before voting opened"));
        assert!(whats[3].contains("electorate"));
        assert!(whats[4].contains("another proposal"));
        assert!(whats[5].contains("majority"));
        assert!(r.counted.is_empty());
        assert_eq!(r.outcome, Outcome::NoQuorum);
    }

    #[test]
    fn two_ballots_at_one_moment_matter_only_if_they_are_the_latest_whatever_the_order() {
        let v = vote(Method::Majority, 2);
        let yes = Choice::Majority(Position::Yes);
        let no = Choice::Majority(Position::No);
        let early_a = v.ballot(0, 1_100, yes.clone());
        let early_b = v.ballot(0, 1_100, no.clone());
        let later = v.ballot(0, 1_200, yes.clone());
        for order in [
            vec![early_a.clone(), early_b.clone(), later.clone()],
            vec![later.clone(), early_b.clone(), early_a.clone()],
        ] {
            let r = recount(&v.definition, &order, &[]);
            assert!(r.problems.is_empty(), "{:?}", r.problems);
            assert_eq!(r.counted.len(), 1);
            assert_eq!(r.superseded, 2);
        }
        // At the latest moment, two different ballots: named, and neither counts.
        let clash = recount(
            &v.definition,
            &[early_a, later, v.ballot(0, 1_200, no)],
            &[],
        );
        assert_eq!(clash.problems.len(), 1);
        assert!(clash.counted.is_empty());
        // The same signed ballot twice is one ballot.
        let once = v.ballot(1, 1_300, yes);
        let twice = recount(&v.definition, &[once.clone(), once], &[]);
        assert!(twice.problems.is_empty());
        assert_eq!(twice.board.leaves.len(), 1);
    }

    #[test]
    fn the_board_commits_to_the_delegations_the_count_used() {
        let v = vote(Method::Majority, 3);
        let ballots = vec![v.ballot(0, 1_100, Choice::Majority(Position::Yes))];
        let delegation = Delegation {
            circle_id: v.definition.circle_id,
            delegator: v.keys[1].public_key(),
            delegate: Some(v.keys[0].public_key()),
            scope: Scope::Standing,
            made_at_ms: 500,
        }
        .sign(&v.keys[1]);
        let with = recount(&v.definition, &ballots, &[delegation]);
        let without = recount(&v.definition, &ballots, &[]);
        assert_ne!(with.board.root(), without.board.root());
        assert_eq!(with.board.leaves.len(), 2);
    }

    #[test]
    fn one_objection_blocks_a_consent_vote() {
        let v = vote(Method::Consent, 3);
        let r = recount(
            &v.definition,
            &[
                v.ballot(0, 1_100, Choice::Consent(Stance::Agree)),
                v.ballot(1, 1_100, Choice::Consent(Stance::Agree)),
                v.ballot(
                    2,
                    1_100,
                    Choice::Consent(Stance::Object {
                        reason: "Not before the harvest".into(),
                    }),
                ),
            ],
            &[],
        );
        assert_eq!(r.outcome, Outcome::Blocked);
    }

    #[test]
    fn ranked_votes_count_by_their_method_and_the_empty_vote_decides_nothing() {
        let v = vote(Method::Irv, 5);
        let ballots: Vec<SignedBallot> = [vec![0, 1], vec![1], vec![2, 1], vec![1, 0], vec![0]]
            .into_iter()
            .enumerate()
            .map(|(i, order)| v.ballot(i, 1_500, Choice::Ranked(order)))
            .collect();
        let r = recount(&v.definition, &ballots, &[]);
        assert_eq!(r.outcome, Outcome::Chosen { options: vec![1] });
        let empty = recount(&v.definition, &[], &[]);
        assert_eq!(empty.outcome, Outcome::NoQuorum);
        let mut d = v.definition.clone();
        d.quorum_percent = 0;
        assert_eq!(recount(&d, &[], &[]).outcome, Outcome::NoWinner);
    }
}
