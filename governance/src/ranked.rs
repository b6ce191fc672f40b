//! Ranked ballots as voters mark them, the counting rules' reading of them, and the lot that
//! breaks the ties no earlier round can.
//!
//! A paper ballot can say things a valid ranking cannot: a skipped rank, the same candidate twice,
//! two candidates at one rank (an overvote). These rules follow San Francisco's and Oakland's
//! ranked-choice rules, which the real elections in our test fixtures were counted under:
//!
//! - a **skipped rank** is passed over: the ballot moves on to its next marked rank;
//! - a **repeated candidate** counts once, at their highest rank; later marks of them are passed
//!   over;
//! - an **overvote** (two or more candidates at one rank) ends the ballot when the count reaches
//!   it: the ballot is exhausted from that rank on. For a Condorcet count (Schulze), which can
//!   use a tie, the candidates of an overvote are read as tied at that rank instead.

use commons_ledger::keys::Hash;
use serde::Serialize;

/// A candidate's position on the ballot paper (0-based).
pub type Candidate = u16;

/// At most this many candidates (options) in one count.
pub const CANDIDATES_MAX: usize = 1_000;
/// At most this many marks on one ranked ballot.
pub const MARKS_MAX: usize = 1_000;

/// One rank of a ballot as the voter marked it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Mark {
    Candidate(Candidate),
    /// Nothing marked at this rank.
    Skipped,
    /// Several candidates marked at one rank; the list is empty when the record does not say
    /// which (as in the San Francisco and Oakland records, `-=-`).
    Overvote(Vec<Candidate>),
}

/// A ballot as cast: its marks in rank order, and how many voters cast exactly this ballot (or,
/// with delegation, how many votes it carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankedBallot {
    pub weight: u64,
    pub marks: Vec<Mark>,
}

impl RankedBallot {
    /// A plain ranking of distinct candidates, weight 1.
    pub fn ranking(order: &[Candidate]) -> RankedBallot {
        RankedBallot {
            weight: 1,
            marks: order.iter().map(|c| Mark::Candidate(*c)).collect(),
        }
    }

    /// The candidates this ballot can count for, in order, under the elimination rules (IRV and
    /// STV): skipped ranks passed over, repeats dropped, and nothing from the first overvote on.
    pub fn preferences(&self) -> Vec<Candidate> {
        let mut order: Vec<Candidate> = Vec::new();
        for mark in &self.marks {
            match mark {
                Mark::Candidate(candidate) => {
                    if !order.contains(candidate) {
                        order.push(*candidate);
                    }
                }
                Mark::Skipped => {}
                Mark::Overvote(_) => break,
            }
        }
        order
    }

    /// The ballot as ordered groups of tied candidates, for pairwise counts (Schulze): skipped
    /// ranks and repeats dropped, an overvote read as a tie among its candidates. Candidates
    /// the ballot does not mention rank below all it does, tied with each other.
    pub fn groups(&self) -> Vec<Vec<Candidate>> {
        let mut seen: Vec<Candidate> = Vec::new();
        let mut groups = Vec::new();
        for mark in &self.marks {
            let group: Vec<Candidate> = match mark {
                Mark::Candidate(candidate) => vec![*candidate],
                Mark::Skipped => continue,
                Mark::Overvote(candidates) => candidates.clone(),
            };
            let fresh: Vec<Candidate> = group
                .into_iter()
                .filter(|candidate| {
                    if seen.contains(candidate) {
                        false
                    } else {
                        seen.push(*candidate);
                        true
                    }
                })
                .collect();
            if !fresh.is_empty() {
                groups.push(fresh);
            }
        }
        groups
    }

    /// The highest candidate number the ballot mentions, if any.
    pub fn highest_candidate(&self) -> Option<Candidate> {
        self.marks
            .iter()
            .flat_map(|mark| match mark {
                Mark::Candidate(candidate) => vec![*candidate],
                Mark::Skipped => vec![],
                Mark::Overvote(candidates) => candidates.clone(),
            })
            .max()
    }
}

/// Plain rankings with weights, for tests: `(weight, order)`.
#[cfg(test)]
pub(crate) fn weighted(spec: &[(u64, &[Candidate])]) -> Vec<RankedBallot> {
    spec.iter()
        .map(|(weight, order)| RankedBallot {
            weight: *weight,
            ..RankedBallot::ranking(order)
        })
        .collect()
}

/// Identical preference lists merged, their weights summed, in a stable order (first seen
/// first): counting each distinct list once is what makes large elections fast.
pub fn merge_preferences(ballots: &[RankedBallot]) -> Vec<(Vec<Candidate>, u64)> {
    let mut positions: std::collections::HashMap<Vec<Candidate>, usize> =
        std::collections::HashMap::new();
    let mut merged: Vec<(Vec<Candidate>, u64)> = Vec::new();
    for ballot in ballots {
        if ballot.weight == 0 {
            continue;
        }
        let order = ballot.preferences();
        match positions.get(&order) {
            Some(&index) => merged[index].1 += ballot.weight,
            None => {
                positions.insert(order.clone(), merged.len());
                merged.push((order, ballot.weight));
            }
        }
    }
    merged
}

/// The deterministic lot that settles a tie no rule before it could: each candidate's ticket is
/// SHA-256("commons.governance.lot" ‖ seed ‖ candidate as two big-endian bytes), and tickets are
/// drawn in ascending order. The seed is the hash of the proposal's frozen definition (for a BLT
/// file, of its title and candidate names), so anyone can redraw it and nobody could choose it
/// after seeing the ballots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lot {
    pub seed: Hash,
}

impl Lot {
    pub fn ticket(&self, candidate: Candidate) -> Hash {
        Hash::sha256(&[
            b"commons.governance.lot",
            &self.seed.0,
            &candidate.to_be_bytes(),
        ])
    }

    /// The tied candidates in the order the lot draws them.
    pub fn draw(&self, tied: &[Candidate]) -> Vec<Candidate> {
        let mut order = tied.to_vec();
        order.sort_by_key(|candidate| self.ticket(*candidate).0);
        order
    }
}

/// How a tie was settled, so that the result says so rather than deciding silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum TieBreak {
    /// The candidates differed in an earlier round (1-based); the one with fewer (or, when
    /// electing, more) votes there was chosen.
    PreviousRound {
        tied: Vec<Candidate>,
        chosen: Candidate,
        round: usize,
    },
    /// They were tied in every earlier round too; the lot chose.
    Lot {
        tied: Vec<Candidate>,
        chosen: Candidate,
    },
}

impl TieBreak {
    pub fn chosen(&self) -> Candidate {
        match self {
            TieBreak::PreviousRound { chosen, .. } | TieBreak::Lot { chosen, .. } => *chosen,
        }
    }
}

/// Which end of a tie the rule looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The candidate with the fewest votes (to exclude).
    Fewest,
    /// The candidate with the most votes (to elect first, or to transfer first).
    Most,
}

/// Settles a tie among `tied` by the previous-round rule (look back one round at a time, from the
/// latest, for the first round where the tied candidates differ, and keep those at the `pick` end
/// there), then by the lot. `history[r][c]` is candidate c's votes in round r (0-based), `None`
/// when they were no longer counted. Returns the chosen candidate and, when there was a real
/// tie, how it was settled.
pub fn break_tie<V: Ord + Copy>(
    tied: &[Candidate],
    history: &[Vec<Option<V>>],
    pick: Pick,
    lot: &Lot,
) -> (Candidate, Option<TieBreak>) {
    assert!(!tied.is_empty(), "a tie needs candidates");
    if tied.len() == 1 {
        return (tied[0], None);
    }
    let mut remaining = tied.to_vec();
    for (round, tallies) in history.iter().enumerate().rev() {
        let votes = |c: &Candidate| tallies.get(usize::from(*c)).copied().flatten();
        let values: Vec<V> = remaining.iter().filter_map(votes).collect();
        if values.len() != remaining.len() {
            continue;
        }
        let target = match pick {
            Pick::Fewest => *values.iter().min().expect("non-empty"),
            Pick::Most => *values.iter().max().expect("non-empty"),
        };
        let kept: Vec<Candidate> = remaining
            .iter()
            .copied()
            .filter(|c| votes(c) == Some(target))
            .collect();
        if kept.len() < remaining.len() {
            remaining = kept;
            if remaining.len() == 1 {
                return (
                    remaining[0],
                    Some(TieBreak::PreviousRound {
                        tied: sorted(tied),
                        chosen: remaining[0],
                        round: round + 1,
                    }),
                );
            }
        }
    }
    let chosen = lot.draw(&remaining)[0];
    (
        chosen,
        Some(TieBreak::Lot {
            tied: sorted(tied),
            chosen,
        }),
    )
}

fn sorted(candidates: &[Candidate]) -> Vec<Candidate> {
    let mut out = candidates.to_vec();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_ranks_repeats_and_overvotes_follow_the_san_francisco_rules() {
        let ballot = RankedBallot {
            weight: 1,
            marks: vec![
                Mark::Skipped,
                Mark::Candidate(2),
                Mark::Candidate(2),
                Mark::Candidate(0),
                Mark::Overvote(vec![1, 3]),
                Mark::Candidate(3),
            ],
        };
        assert_eq!(ballot.preferences(), vec![2, 0]);
        assert_eq!(ballot.groups(), vec![vec![2], vec![0], vec![1, 3]]);
        let unknown_overvote = RankedBallot {
            weight: 1,
            marks: vec![Mark::Overvote(vec![]), Mark::Candidate(1)],
        };
        assert!(unknown_overvote.preferences().is_empty());
        assert_eq!(unknown_overvote.groups(), vec![vec![1]]);
    }

    #[test]
    fn ties_look_back_then_draw_lots() {
        let lot = Lot {
            seed: Hash([9; 32]),
        };
        let history = vec![
            vec![Some(5u64), Some(3), Some(3)],
            vec![Some(6u64), Some(4), Some(4)],
        ];
        // 1 and 2 tie in every round: the lot decides, and says so.
        let (chosen, how) = break_tie(&[1, 2], &history, Pick::Fewest, &lot);
        assert_eq!(chosen, lot.draw(&[1, 2])[0]);
        assert!(matches!(how, Some(TieBreak::Lot { .. })));
        // They differed in round 1.
        let history = vec![
            vec![Some(5u64), Some(2), Some(3)],
            vec![Some(6u64), Some(4), Some(4)],
        ];
        let (chosen, how) = break_tie(&[1, 2], &history, Pick::Fewest, &lot);
        assert_eq!(chosen, 1);
        assert_eq!(
            how,
            Some(TieBreak::PreviousRound {
                tied: vec![1, 2],
                chosen: 1,
                round: 1
            })
        );
        let (chosen, _) = break_tie(&[1, 2], &history, Pick::Most, &lot);
        assert_eq!(chosen, 2);
        // No tie, no note.
        assert_eq!(break_tie(&[0], &history, Pick::Most, &lot), (0, None));
    }

    #[test]
    fn the_lot_is_a_fixed_order_for_a_seed() {
        let lot = Lot {
            seed: Hash([1; 32]),
        };
        assert_eq!(lot.draw(&[0, 1, 2, 3]), lot.draw(&[3, 2, 1, 0]));
        let other = Lot {
            seed: Hash([2; 32]),
        };
        let orders: Vec<Vec<Candidate>> = (0..8u8)
            .map(|i| {
                Lot {
                    seed: Hash([i; 32]),
                }
                .draw(&[0, 1, 2, 3])
            })
            .collect();
        assert!(orders.iter().any(|order| order != &orders[0]));
        assert_eq!(other.draw(&[5]), vec![5]);
    }
}
