//! One plain sentence of what a count decided, for people: who won, in which step of how many,
//! with how many votes of how many. The tables and the count's detail say the rest. Pure.

use crate::ranked::Candidate;
use crate::stv::VOTE;
use crate::tally::Count;

/// What a count comes to, in the terms a sentence needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Summary {
    /// Nobody took part (or nobody chose anything).
    Empty,
    /// A yes/no vote: its votes, abstentions aside.
    Majority { yes: u64, no: u64, abstain: u64 },
    /// A consent round: how many agreed, stood aside and objected.
    Consent {
        agree: u64,
        stand_aside: u64,
        objections: u64,
    },
    /// A ranked vote for one winner: it won in the last of `steps` counting steps, with
    /// `votes` of the `continuing` votes still counting then.
    Won {
        option: Candidate,
        steps: usize,
        votes: u64,
        continuing: u64,
    },
    /// An approval vote: the most approved option, on how many of the ballots.
    Approved {
        option: Candidate,
        approvals: u64,
        ballots: u64,
    },
    /// A score vote: the highest average, in hundredths.
    Scored {
        option: Candidate,
        mean_hundredths: u64,
    },
    /// A full ranking: the option preferred to every other head to head, if one is.
    First { option: Candidate },
    /// A full ranking with a tie at the top.
    TiedFirst { options: Vec<Candidate> },
    /// Several seats: the elected in order, and in how many stages.
    Elected {
        options: Vec<Candidate>,
        stages: usize,
    },
}

impl Summary {
    pub fn of(count: &Count) -> Summary {
        match count {
            Count::Majority(c) if c.voted() == 0 => Summary::Empty,
            Count::Majority(c) => Summary::Majority {
                yes: c.yes,
                no: c.no,
                abstain: c.abstain,
            },
            Count::Consent(c) if c.voted() == 0 => Summary::Empty,
            Count::Consent(c) => Summary::Consent {
                agree: c.agree,
                stand_aside: c.stand_aside,
                objections: c.objections.iter().map(|(weight, _)| weight).sum(),
            },
            Count::Approval(c) => match c.winner {
                Some(option) => Summary::Approved {
                    option,
                    approvals: c.approvals[usize::from(option)],
                    ballots: c.ballots,
                },
                None => Summary::Empty,
            },
            Count::Score(c) => match c.winner {
                Some(option) => Summary::Scored {
                    option,
                    mean_hundredths: c.mean_hundredths(usize::from(option)),
                },
                None => Summary::Empty,
            },
            Count::Irv(c) => match (c.winner, c.rounds.last()) {
                (Some(option), Some(last)) => Summary::Won {
                    option,
                    steps: c.rounds.len(),
                    votes: last.tallies[usize::from(option)].unwrap_or(0),
                    continuing: last.continuing_total(),
                },
                _ => Summary::Empty,
            },
            Count::Schulze(c) => match (c.winner, c.ranking.first()) {
                (None, _) => Summary::Empty,
                (Some(_), Some(top)) if top.len() > 1 => Summary::TiedFirst {
                    options: top.clone(),
                },
                (Some(option), _) => Summary::First { option },
            },
            Count::Stv(c) if c.elected.is_empty() => Summary::Empty,
            Count::Stv(c) => Summary::Elected {
                options: c.elected.clone(),
                stages: c.stages.len(),
            },
        }
    }
}

/// Votes in 1/100,000 of a vote as people write them: a whole number when it is one ("3"),
/// else with the decimals it needs, at most five ("2.5", "0.33333").
pub fn plain_votes(value: u64) -> String {
    let whole = value / VOTE;
    let fraction = value % VOTE;
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = format!("{fraction:05}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::majority::MajorityCount;

    #[test]
    fn votes_read_as_whole_numbers_when_they_are() {
        assert_eq!(plain_votes(3 * VOTE), "3");
        assert_eq!(plain_votes(0), "0");
        assert_eq!(plain_votes(2 * VOTE + VOTE / 2), "2.5");
        assert_eq!(plain_votes(33_333), "0.33333");
    }

    #[test]
    fn a_count_nobody_took_part_in_says_so() {
        let count = Count::Majority(MajorityCount::default());
        assert_eq!(Summary::of(&count), Summary::Empty);
        let count = Count::Majority(MajorityCount {
            yes: 3,
            no: 2,
            abstain: 1,
        });
        assert_eq!(
            Summary::of(&count),
            Summary::Majority {
                yes: 3,
                no: 2,
                abstain: 1
            }
        );
    }
}
