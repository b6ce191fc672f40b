//! Approval and score votes: each option judged on its own.
//!
//! - **Approval**: a ballot approves any set of options (possibly none); the option with the
//!   most approvals wins.
//! - **Score**: a ballot gives every option a score from 0 to 5 (an option left blank on the
//!   form scores 0); the option with the highest total, and so the highest mean, wins. The
//!   result gives each option's mean (to two decimals, exact) and the distribution of scores.
//!
//! A tie for first place is broken by the [`Lot`], and the result says so.

use serde::Serialize;

use crate::ranked::{Candidate, Lot, TieBreak};

/// The highest score a ballot can give.
pub const SCORE_MAX: u8 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalCount {
    /// Approvals per option (weighted).
    pub approvals: Vec<u64>,
    pub ballots: u64,
    pub winner: Option<Candidate>,
    pub tie_break: Option<TieBreak>,
}

pub fn approval<'a>(
    options: usize,
    ballots: impl IntoIterator<Item = (&'a [Candidate], u64)>,
    lot: &Lot,
) -> ApprovalCount {
    let mut approvals = vec![0u64; options];
    let mut total = 0;
    for (approved, weight) in ballots {
        total += weight;
        for option in approved {
            approvals[usize::from(*option)] += weight;
        }
    }
    let (winner, tie_break) = top(&approvals, lot);
    ApprovalCount {
        approvals,
        ballots: total,
        winner,
        tie_break,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScoreCount {
    /// Total score per option (weighted).
    pub totals: Vec<u64>,
    /// `distribution[option][score]`: weight of ballots giving that option that score.
    pub distribution: Vec<[u64; SCORE_MAX as usize + 1]>,
    pub ballots: u64,
    pub winner: Option<Candidate>,
    pub tie_break: Option<TieBreak>,
}

impl ScoreCount {
    /// An option's mean score in hundredths, rounded half up (exact integer arithmetic).
    pub fn mean_hundredths(&self, option: usize) -> u64 {
        if self.ballots == 0 {
            return 0;
        }
        (self.totals[option] * 200 + self.ballots) / (self.ballots * 2)
    }
}

pub fn score<'a>(
    options: usize,
    ballots: impl IntoIterator<Item = (&'a [u8], u64)>,
    lot: &Lot,
) -> ScoreCount {
    let mut totals = vec![0u64; options];
    let mut distribution = vec![[0u64; SCORE_MAX as usize + 1]; options];
    let mut total = 0;
    for (scores, weight) in ballots {
        total += weight;
        for (option, score) in scores.iter().enumerate().take(options) {
            let score = (*score).min(SCORE_MAX);
            totals[option] += u64::from(score) * weight;
            distribution[option][usize::from(score)] += weight;
        }
    }
    let (winner, tie_break) = if total == 0 {
        (None, None)
    } else {
        top(&totals, lot)
    };
    ScoreCount {
        totals,
        distribution,
        ballots: total,
        winner,
        tie_break,
    }
}

/// The option with the highest count; none when every count is zero.
fn top(counts: &[u64], lot: &Lot) -> (Option<Candidate>, Option<TieBreak>) {
    let Some(best) = counts.iter().copied().max().filter(|best| *best > 0) else {
        return (None, None);
    };
    let tied: Vec<Candidate> = (0..counts.len())
        .filter(|option| counts[*option] == best)
        .map(|option| option as Candidate)
        .collect();
    if tied.len() == 1 {
        return (Some(tied[0]), None);
    }
    let chosen = lot.draw(&tied)[0];
    (Some(chosen), Some(TieBreak::Lot { tied, chosen }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use commons_ledger::keys::Hash;

    fn lot() -> Lot {
        Lot {
            seed: Hash([6; 32]),
        }
    }

    #[test]
    fn approval_counts_every_approved_option() {
        let ballots: Vec<(Vec<Candidate>, u64)> =
            vec![(vec![0, 1], 1), (vec![1], 2), (vec![], 1), (vec![2, 1], 1)];
        let count = approval(3, ballots.iter().map(|(a, w)| (a.as_slice(), *w)), &lot());
        assert_eq!(count.approvals, vec![1, 4, 1]);
        assert_eq!(count.ballots, 5);
        assert_eq!(count.winner, Some(1));
        assert_eq!(count.tie_break, None);
    }

    #[test]
    fn approval_ties_go_to_the_lot_openly_and_the_empty_vote_has_no_winner() {
        let ballots: Vec<(Vec<Candidate>, u64)> = vec![(vec![0], 1), (vec![2], 1)];
        let count = approval(3, ballots.iter().map(|(a, w)| (a.as_slice(), *w)), &lot());
        let tie = count.tie_break.expect("tie");
        assert_eq!(count.winner, Some(lot().draw(&[0, 2])[0]));
        assert_eq!(tie.chosen(), count.winner.expect("winner"));
        let empty = approval(3, std::iter::empty(), &lot());
        assert_eq!(empty.winner, None);
    }

    #[test]
    fn score_gives_means_and_distributions() {
        let ballots: Vec<(Vec<u8>, u64)> = vec![(vec![5, 0, 3], 1), (vec![4, 2, 3], 2)];
        let count = score(3, ballots.iter().map(|(s, w)| (s.as_slice(), *w)), &lot());
        assert_eq!(count.totals, vec![13, 4, 9]);
        assert_eq!(count.ballots, 3);
        assert_eq!(count.mean_hundredths(0), 433);
        assert_eq!(count.mean_hundredths(1), 133);
        assert_eq!(count.distribution[0], [0, 0, 0, 0, 2, 1]);
        assert_eq!(count.winner, Some(0));
        let empty = score(3, std::iter::empty(), &lot());
        assert_eq!(empty.winner, None);
        assert_eq!(empty.mean_hundredths(0), 0);
    }
}
