//! Single-winner instant-runoff voting (ranked choice), counted round by round.
//!
//! Each round every ballot counts for its highest-ranked continuing candidate (see
//! [`crate::ranked`] for skipped ranks, repeats and overvotes). A candidate with more than half
//! of the continuing ballots wins. Otherwise the candidate with the fewest votes is excluded,
//! one per round, and their ballots move on. A tie for fewest is settled by the previous-round
//! rule (the tied candidate with fewer votes in the latest earlier round where they differed is
//! excluded), then by the [`Lot`]; the round records which. A ballot with no continuing
//! candidate left is exhausted.

use serde::Serialize;

use crate::ranked::{break_tie, merge_preferences, Candidate, Lot, Pick, RankedBallot, TieBreak};

/// One round of an instant-runoff count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IrvRound {
    /// Votes per candidate; `None` once a candidate is excluded.
    pub tallies: Vec<Option<u64>>,
    /// Ballots with no continuing candidate, cumulative.
    pub exhausted: u64,
    /// The candidate excluded at the end of this round (none in the last round).
    pub excluded: Option<Candidate>,
    /// How a tie for the exclusion was settled, when there was one.
    pub tie_break: Option<TieBreak>,
}

impl IrvRound {
    /// The votes still counting for a candidate.
    pub fn continuing_total(&self) -> u64 {
        self.tallies.iter().flatten().sum()
    }
}

/// A whole instant-runoff count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IrvCount {
    pub candidates: usize,
    pub rounds: Vec<IrvRound>,
    /// `None` when no ballot counted for anyone.
    pub winner: Option<Candidate>,
}

/// Counts `ballots` for `candidates` candidates. Marks naming candidates outside the range are
/// the caller's error: parse and check ballots first.
pub fn count(candidates: usize, ballots: &[RankedBallot], lot: &Lot) -> IrvCount {
    let merged = merge_preferences(ballots);
    // Where each distinct ballot stands: the index of the candidate it counts for now.
    let mut position: Vec<usize> = vec![0; merged.len()];
    let mut continuing: Vec<bool> = vec![true; candidates];
    let mut piles: Vec<Vec<usize>> = vec![Vec::new(); candidates];
    let mut tallies: Vec<u64> = vec![0; candidates];
    let mut exhausted: u64 = 0;

    let place = |ballot: usize,
                 position: &mut Vec<usize>,
                 piles: &mut Vec<Vec<usize>>,
                 tallies: &mut Vec<u64>,
                 continuing: &[bool],
                 exhausted: &mut u64| {
        let (order, weight) = &merged[ballot];
        while let Some(candidate) = order.get(position[ballot]) {
            let candidate = usize::from(*candidate);
            if continuing[candidate] {
                piles[candidate].push(ballot);
                tallies[candidate] += weight;
                return;
            }
            position[ballot] += 1;
        }
        *exhausted += weight;
    };

    for ballot in 0..merged.len() {
        place(
            ballot,
            &mut position,
            &mut piles,
            &mut tallies,
            &continuing,
            &mut exhausted,
        );
    }

    let mut rounds: Vec<IrvRound> = Vec::new();
    let mut history: Vec<Vec<Option<u64>>> = Vec::new();
    loop {
        let snapshot: Vec<Option<u64>> = (0..candidates)
            .map(|c| continuing[c].then_some(tallies[c]))
            .collect();
        let total: u64 = snapshot.iter().flatten().sum();
        let alive: Vec<Candidate> = (0..candidates)
            .filter(|c| continuing[*c])
            .map(|c| c as Candidate)
            .collect();
        let leader = alive
            .iter()
            .copied()
            .max_by_key(|c| (tallies[usize::from(*c)], std::cmp::Reverse(*c)));
        let winner = match leader {
            _ if total == 0 => None,
            Some(leader) if tallies[usize::from(leader)] * 2 > total || alive.len() == 1 => {
                Some(leader)
            }
            _ => None,
        };
        if winner.is_some() || total == 0 || alive.len() <= 1 {
            rounds.push(IrvRound {
                tallies: snapshot,
                exhausted,
                excluded: None,
                tie_break: None,
            });
            return IrvCount {
                candidates,
                rounds,
                winner,
            };
        }
        let fewest = alive
            .iter()
            .map(|c| tallies[usize::from(*c)])
            .min()
            .expect("candidates remain");
        let tied: Vec<Candidate> = alive
            .iter()
            .copied()
            .filter(|c| tallies[usize::from(*c)] == fewest)
            .collect();
        let (excluded, tie_break) = break_tie(&tied, &history, Pick::Fewest, lot);
        history.push(snapshot.clone());
        rounds.push(IrvRound {
            tallies: snapshot,
            exhausted,
            excluded: Some(excluded),
            tie_break,
        });
        let excluded = usize::from(excluded);
        continuing[excluded] = false;
        tallies[excluded] = 0;
        for ballot in std::mem::take(&mut piles[excluded]) {
            position[ballot] += 1;
            place(
                ballot,
                &mut position,
                &mut piles,
                &mut tallies,
                &continuing,
                &mut exhausted,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commons_ledger::keys::Hash;

    fn lot() -> Lot {
        Lot {
            seed: Hash([3; 32]),
        }
    }

    fn ballots(spec: &[(u64, &[Candidate])]) -> Vec<RankedBallot> {
        crate::ranked::weighted(spec)
    }

    #[test]
    fn a_majority_of_first_preferences_wins_in_round_one() {
        let count = count(3, &ballots(&[(6, &[0, 1]), (4, &[1]), (1, &[2])]), &lot());
        assert_eq!(count.winner, Some(0));
        assert_eq!(count.rounds.len(), 1);
    }

    #[test]
    fn transfers_decide_when_nobody_has_a_majority() {
        // 0 leads on first preferences; 2's voters prefer 1, who wins.
        let count = count(
            3,
            &ballots(&[(8, &[0]), (6, &[1, 0]), (5, &[2, 1])]),
            &lot(),
        );
        assert_eq!(count.rounds[0].excluded, Some(2));
        assert_eq!(count.rounds[1].tallies, vec![Some(8), Some(11), None]);
        assert_eq!(count.winner, Some(1));
    }

    #[test]
    fn exhausted_ballots_leave_the_majority_base() {
        let count = count(3, &ballots(&[(4, &[0]), (3, &[1]), (2, &[2])]), &lot());
        // Round 2: 4 vs 3 with 2 exhausted; 4 > 7/2.
        assert_eq!(count.rounds[1].exhausted, 2);
        assert_eq!(count.winner, Some(0));
    }

    #[test]
    fn a_tie_for_last_looks_back_then_draws_lots_and_says_so() {
        // Round 1: 0=5, 1=3, 2=3, 3=1 → 3 excluded, their vote goes to 2.
        // Round 2: 0=5, 1=3, 2=4 → 1 excluded (no tie).
        let c = count(
            4,
            &ballots(&[(5, &[0]), (3, &[1]), (3, &[2]), (1, &[3, 2])]),
            &lot(),
        );
        assert_eq!(c.rounds[0].excluded, Some(3));
        assert!(c.rounds.iter().all(|r| r.tie_break.is_none()));
        // A real tie in every round: the lot decides and the round records it.
        let c = count(
            3,
            &ballots(&[(4, &[0]), (2, &[1, 0]), (2, &[2, 1])]),
            &lot(),
        );
        let tie = c.rounds[0].tie_break.clone().expect("a tie was broken");
        assert!(matches!(tie, TieBreak::Lot { .. }));
        assert_eq!(c.rounds[0].excluded, Some(lot().draw(&[1, 2])[0]));
    }

    #[test]
    fn the_previous_round_breaks_a_later_tie() {
        // Round 1: 0=6, 1=4, 2=3, 3=2 → 3 out, to 2. Round 2: 0=6, 1=4, 2=5 → 1 out.
        // Make round 2 tie 1 and 2 at 4: 3's 1 ballot goes to 2 (3+1=4).
        let c = count(
            4,
            &ballots(&[(6, &[0]), (4, &[1]), (3, &[2]), (1, &[3, 2])]),
            &lot(),
        );
        assert_eq!(c.rounds[1].tallies, vec![Some(6), Some(4), Some(4), None]);
        // In round 1, 2 had fewer (3 < 4): 2 is excluded.
        assert_eq!(c.rounds[1].excluded, Some(2));
        assert_eq!(
            c.rounds[1].tie_break,
            Some(TieBreak::PreviousRound {
                tied: vec![1, 2],
                chosen: 2,
                round: 1
            })
        );
    }

    #[test]
    fn the_empty_election_has_no_winner() {
        let c = count(3, &[], &lot());
        assert_eq!(c.winner, None);
        assert_eq!(c.rounds.len(), 1);
        let c = count(0, &[], &lot());
        assert_eq!(c.winner, None);
    }

    #[test]
    fn a_single_candidate_with_votes_wins() {
        let c = count(1, &ballots(&[(1, &[0])]), &lot());
        assert_eq!(c.winner, Some(0));
    }
}
