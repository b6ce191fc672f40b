//! The Schulze method: a full ranking of the options from pairwise preferences.
//!
//! `d[a][b]` is the weight of ballots that rank a above b (a ranked option is above every option
//! the ballot leaves unranked; an overvote is a tie). The strength of a direct link a→b is
//! `d[a][b]` when more ballots prefer a to b than b to a ("winning votes"), else 0; the
//! strength of a path is its weakest link, and `p[a][b]` is the strongest path from a to b
//! (widest paths, Floyd–Warshall). a ranks above b when `p[a][b] > p[b][a]`. This relation is
//! transitive, so the options fall into ordered groups; options in one group are tied. A
//! Condorcet winner (who beats every other option head to head) is always ranked alone first.
//! When the first group has several options, the [`Lot`] picks the winner and the result says so.

use serde::Serialize;

use crate::ranked::{Candidate, Lot, RankedBallot, TieBreak};

/// A whole Schulze count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchulzeCount {
    pub candidates: usize,
    /// `pairwise[a][b]`: weight of ballots ranking a above b.
    pub pairwise: Vec<Vec<u64>>,
    /// `strongest[a][b]`: the strength of the strongest path from a to b.
    pub strongest: Vec<Vec<u64>>,
    /// The options in ranked groups, best first; options in one group are tied.
    pub ranking: Vec<Vec<Candidate>>,
    /// The option that beats every other head to head, if there is one.
    pub condorcet_winner: Option<Candidate>,
    /// `None` when no ballot ranked anything.
    pub winner: Option<Candidate>,
    pub tie_break: Option<TieBreak>,
}

pub fn count(candidates: usize, ballots: &[RankedBallot], lot: &Lot) -> SchulzeCount {
    let n = candidates;
    let mut pairwise = vec![vec![0u64; n]; n];
    // Rank position of each candidate on one ballot (usize::MAX = unranked), reused.
    let mut position = vec![usize::MAX; n];
    let mut any_ranked = false;
    for ballot in ballots {
        if ballot.weight == 0 {
            continue;
        }
        let groups = ballot.groups();
        if groups.is_empty() {
            continue;
        }
        any_ranked = true;
        position.iter_mut().for_each(|p| *p = usize::MAX);
        for (rank, group) in groups.iter().enumerate() {
            for candidate in group {
                position[usize::from(*candidate)] = rank;
            }
        }
        for a in 0..n {
            if position[a] == usize::MAX {
                continue;
            }
            for b in 0..n {
                if position[a] < position[b] {
                    pairwise[a][b] += ballot.weight;
                }
            }
        }
    }

    let mut strongest = vec![vec![0u64; n]; n];
    for a in 0..n {
        for b in 0..n {
            if a != b && pairwise[a][b] > pairwise[b][a] {
                strongest[a][b] = pairwise[a][b];
            }
        }
    }
    for via in 0..n {
        for a in 0..n {
            if a == via {
                continue;
            }
            for b in 0..n {
                if b == a || b == via {
                    continue;
                }
                let through = strongest[a][via].min(strongest[via][b]);
                if through > strongest[a][b] {
                    strongest[a][b] = through;
                }
            }
        }
    }

    // The ranking: the options no remaining option beats form the first group, then the same
    // among the rest, and so on. (The relation "a beats b" is transitive, but "tied" is not,
    // so counting wins would not give Schulze's winner set.)
    let beats = |a: usize, b: usize| strongest[a][b] > strongest[b][a];
    let mut remaining: Vec<usize> = (0..n).collect();
    let mut ranking: Vec<Vec<Candidate>> = Vec::new();
    while !remaining.is_empty() {
        let unbeaten: Vec<usize> = remaining
            .iter()
            .copied()
            .filter(|a| !remaining.iter().any(|b| beats(*b, *a)))
            .collect();
        // A transitive relation always leaves someone unbeaten; guard anyway.
        let group = if unbeaten.is_empty() {
            remaining.clone()
        } else {
            unbeaten
        };
        remaining.retain(|a| !group.contains(a));
        ranking.push(group.into_iter().map(|a| a as Candidate).collect());
    }

    let condorcet_winner = (0..n)
        .find(|a| (0..n).all(|b| b == *a || pairwise[*a][b] > pairwise[b][*a]))
        .map(|a| a as Candidate);

    let (winner, tie_break) = match ranking.first() {
        _ if !any_ranked => (None, None),
        None => (None, None),
        Some(first) if first.len() == 1 => (Some(first[0]), None),
        Some(first) => {
            let chosen = lot.draw(first)[0];
            (
                Some(chosen),
                Some(TieBreak::Lot {
                    tied: first.clone(),
                    chosen,
                }),
            )
        }
    };
    SchulzeCount {
        candidates,
        pairwise,
        strongest,
        ranking,
        condorcet_winner,
        winner,
        tie_break,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commons_ledger::keys::Hash;

    fn lot() -> Lot {
        Lot {
            seed: Hash([4; 32]),
        }
    }

    fn ballots(spec: &[(u64, &[Candidate])]) -> Vec<RankedBallot> {
        crate::ranked::weighted(spec)
    }

    /// The example from Schulze's paper (and Wikipedia): 45 voters, 5 options A–E; the
    /// ranking is E > A > C > B > D.
    #[test]
    fn schulzes_own_example() {
        let (a, b, c, d, e): (Candidate, Candidate, Candidate, Candidate, Candidate) =
            (0, 1, 2, 3, 4);
        let count = count(
            5,
            &ballots(&[
                (5, &[a, c, b, e, d]),
                (5, &[a, d, e, c, b]),
                (8, &[b, e, d, a, c]),
                (3, &[c, a, b, e, d]),
                (7, &[c, a, e, b, d]),
                (2, &[c, b, a, d, e]),
                (7, &[d, c, e, b, a]),
                (8, &[e, b, a, d, c]),
            ]),
            &lot(),
        );
        let (ai, bi) = (usize::from(a), usize::from(b));
        assert_eq!(count.pairwise[ai][bi], 20);
        assert_eq!(count.pairwise[bi][ai], 25);
        assert_eq!(count.strongest[ai][bi], 28);
        assert_eq!(
            count.ranking,
            vec![vec![e], vec![a], vec![c], vec![b], vec![d]]
        );
        assert_eq!(count.winner, Some(e));
        assert_eq!(count.condorcet_winner, None);
    }

    #[test]
    fn a_condorcet_winner_always_wins() {
        let count = count(
            3,
            &ballots(&[(4, &[0, 1, 2]), (3, &[1, 0, 2]), (2, &[2, 1, 0])]),
            &lot(),
        );
        // 1 beats 0 (5:4) and 2 (7:2).
        assert_eq!(count.condorcet_winner, Some(1));
        assert_eq!(count.winner, Some(1));
    }

    #[test]
    fn unranked_options_are_below_ranked_ones_and_overvotes_are_ties() {
        use crate::ranked::Mark;
        let ballot = RankedBallot {
            weight: 1,
            marks: vec![
                Mark::Overvote(vec![0, 1]),
                Mark::Skipped,
                Mark::Candidate(2),
            ],
        };
        let count = count(4, &[ballot], &lot());
        assert_eq!(count.pairwise[0][1], 0);
        assert_eq!(count.pairwise[0][2], 1);
        assert_eq!(count.pairwise[2][3], 1);
        assert_eq!(count.pairwise[3][2], 0);
    }

    #[test]
    fn a_perfect_cycle_is_a_tie_that_the_lot_breaks_openly() {
        let count = count(
            3,
            &ballots(&[(1, &[0, 1, 2]), (1, &[1, 2, 0]), (1, &[2, 0, 1])]),
            &lot(),
        );
        assert_eq!(count.ranking, vec![vec![0, 1, 2]]);
        let tie = count.tie_break.expect("tie");
        assert_eq!(count.winner, Some(tie.chosen()));
        assert_eq!(tie.chosen(), lot().draw(&[0, 1, 2])[0]);
    }

    /// a>c>b and b>a>c: only a→c is a strong link, so a and b are both unbeaten: a tie for
    /// first that the lot settles openly (counting wins would have made a win silently).
    #[test]
    fn an_unbeaten_pair_is_a_tie_not_a_win() {
        let count = count(3, &ballots(&[(1, &[0, 2, 1]), (1, &[1, 0, 2])]), &lot());
        assert_eq!(count.ranking, vec![vec![0, 1], vec![2]]);
        assert!(count.tie_break.is_some());
    }

    #[test]
    fn the_empty_election_has_no_winner() {
        let count = count(3, &[], &lot());
        assert_eq!(count.winner, None);
        assert_eq!(count.ranking, vec![vec![0, 1, 2]]);
        assert_eq!(super::count(0, &[], &lot()).winner, None);
    }
}
