//! Multi-winner single transferable vote, by the Scottish local-government rules (the Scottish
//! Local Government Elections Order 2007, the weighted inclusive Gregory method).
//!
//! All arithmetic is exact: votes are integers in units of 1/100,000 of a vote, which is the
//! precision the Scottish rules fix (transfer values are truncated to five decimal places).
//!
//! 1. The quota is ⌊valid votes ÷ (seats + 1)⌋ + 1 (Droop), from the first stage's total weight.
//! 2. Every continuing candidate whose votes reach the quota is elected, most votes first.
//! 3. If an elected candidate has an untransferred surplus, the largest surplus is transferred
//!    (one per stage): **every** ballot the candidate holds moves on to its next continuing
//!    preference at value `value × surplus ÷ candidate's votes`, truncated to five decimals.
//!    Ballots with no continuing preference are non-transferable; their value leaves the count.
//! 4. Otherwise the continuing candidate with the fewest votes is excluded and all their ballots
//!    move on at their current values.
//! 5. When the continuing candidates are no more than the seats left, they are all elected.
//!
//! Ties (for the largest surplus, for most votes when electing, for fewest when excluding) go
//! by the previous-stage rule, then the [`Lot`], as in IRV; each stage records how.

use serde::Serialize;

use crate::ranked::{break_tie, merge_preferences, Candidate, Lot, Pick, RankedBallot, TieBreak};

/// One vote, in the count's units (five decimal places).
pub const VOTE: u64 = 100_000;
/// At most this many seats.
pub const SEATS_MAX: usize = 100;

/// What happened at one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum StageAction {
    FirstPreferences,
    Surplus {
        from: Candidate,
        transfer_value: u64,
    },
    Exclusion {
        excluded: Candidate,
    },
}

/// One stage of the count: what was done, and the votes after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    pub action: StageAction,
    /// Votes per candidate in units of 1/100,000 (`None` once excluded).
    pub tallies: Vec<Option<u64>>,
    /// Value that could not be transferred, cumulative.
    pub non_transferable: u64,
    /// Candidates elected at this stage, in order.
    pub elected: Vec<Candidate>,
    pub tie_breaks: Vec<TieBreak>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StvCount {
    pub candidates: usize,
    pub seats: usize,
    /// Valid votes (whole votes).
    pub valid_votes: u64,
    /// The quota in units of 1/100,000.
    pub quota: u64,
    pub stages: Vec<Stage>,
    /// The elected, in the order they were elected.
    pub elected: Vec<Candidate>,
}

/// Of `among` (not empty), the one with the most (or fewest) `votes`, a tie settled by the
/// previous stages and then the lot.
fn pick(
    among: &[Candidate],
    votes: impl Fn(Candidate) -> u64,
    end: Pick,
    history: &[Vec<Option<u64>>],
    lot: &Lot,
) -> (Candidate, Option<TieBreak>) {
    let values = among.iter().map(|c| votes(*c));
    let target = match end {
        Pick::Most => values.max(),
        Pick::Fewest => values.min(),
    }
    .expect("someone to pick from");
    let tied: Vec<Candidate> = among
        .iter()
        .copied()
        .filter(|c| votes(*c) == target)
        .collect();
    break_tie(&tied, history, end, lot)
}

/// A parcel of identical ballots: preferences, where they stand, how many, value of each.
#[derive(Debug, Clone)]
struct Parcel {
    order: usize,
    position: usize,
    papers: u64,
    value: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Continuing,
    Elected,
    Excluded,
}

pub fn count(candidates: usize, seats: usize, ballots: &[RankedBallot], lot: &Lot) -> StvCount {
    let merged = merge_preferences(ballots);
    let valid_votes: u64 = merged
        .iter()
        .filter(|(order, _)| !order.is_empty())
        .map(|(_, weight)| *weight)
        .sum();
    let quota = (valid_votes / (seats as u64 + 1) + 1) * VOTE;
    let mut state = vec![State::Continuing; candidates];
    let mut piles: Vec<Vec<Parcel>> = vec![Vec::new(); candidates];
    let mut non_transferable: u64 = 0;

    // Moves a parcel to its next continuing preference, or to the non-transferable pile.
    let place = |mut parcel: Parcel,
                 piles: &mut Vec<Vec<Parcel>>,
                 state: &[State],
                 non_transferable: &mut u64| {
        let order = &merged[parcel.order].0;
        while let Some(candidate) = order.get(parcel.position) {
            let candidate = usize::from(*candidate);
            if state[candidate] == State::Continuing {
                piles[candidate].push(parcel);
                return;
            }
            parcel.position += 1;
        }
        *non_transferable += parcel.papers * parcel.value;
    };
    for (index, (_, weight)) in merged.iter().enumerate() {
        let parcel = Parcel {
            order: index,
            position: 0,
            papers: *weight,
            value: VOTE,
        };
        place(parcel, &mut piles, &state, &mut non_transferable);
    }
    let total = |pile: &Vec<Parcel>| -> u64 { pile.iter().map(|p| p.papers * p.value).sum() };

    let mut stages: Vec<Stage> = Vec::new();
    let mut history: Vec<Vec<Option<u64>>> = Vec::new();
    let mut elected: Vec<Candidate> = Vec::new();
    // Elected candidates whose surplus is still to be transferred.
    let mut pending: Vec<Candidate> = Vec::new();
    let mut action = StageAction::FirstPreferences;
    // A tie settled in choosing a stage's action is recorded on that stage.
    let mut carried_ties: Vec<TieBreak> = Vec::new();
    loop {
        let mut tie_breaks = std::mem::take(&mut carried_ties);
        let mut elected_now = Vec::new();
        let tallies_of = |state: &[State], piles: &Vec<Vec<Parcel>>| -> Vec<Option<u64>> {
            (0..candidates)
                .map(|c| (state[c] != State::Excluded).then(|| total(&piles[c])))
                .collect()
        };
        // Elect everyone at or over the quota, most votes first.
        let mut reaching: Vec<Candidate> = (0..candidates)
            .filter(|c| state[*c] == State::Continuing && total(&piles[*c]) >= quota)
            .map(|c| c as Candidate)
            .collect();
        while !reaching.is_empty() && elected.len() < seats {
            let votes = |c: Candidate| total(&piles[usize::from(c)]);
            let (chosen, tie) = pick(&reaching, votes, Pick::Most, &history, lot);
            tie_breaks.extend(tie);
            state[usize::from(chosen)] = State::Elected;
            elected.push(chosen);
            elected_now.push(chosen);
            pending.push(chosen);
            reaching.retain(|c| *c != chosen);
        }
        // Fill the last seats when only as many candidates as seats remain.
        let continuing: Vec<Candidate> = (0..candidates)
            .filter(|c| state[*c] == State::Continuing)
            .map(|c| c as Candidate)
            .collect();
        let seats_left = seats - elected.len();
        if valid_votes > 0
            && seats_left > 0
            && !continuing.is_empty()
            && continuing.len() <= seats_left
        {
            let mut rest = continuing.clone();
            while !rest.is_empty() {
                let votes = |c: Candidate| total(&piles[usize::from(c)]);
                let (chosen, tie) = pick(&rest, votes, Pick::Most, &history, lot);
                tie_breaks.extend(tie);
                state[usize::from(chosen)] = State::Elected;
                elected.push(chosen);
                elected_now.push(chosen);
                rest.retain(|c| *c != chosen);
            }
        }
        let tallies = tallies_of(&state, &piles);
        history.push(tallies.clone());
        stages.push(Stage {
            action: action.clone(),
            tallies,
            non_transferable,
            elected: elected_now,
            tie_breaks,
        });
        let continuing_left = state.contains(&State::Continuing);
        if elected.len() >= seats || !continuing_left || valid_votes == 0 {
            break;
        }

        // Next stage: the largest surplus, or else an exclusion.
        let surpluses: Vec<(Candidate, u64)> = pending
            .iter()
            .map(|c| (*c, total(&piles[usize::from(*c)]).saturating_sub(quota)))
            .filter(|(_, surplus)| *surplus > 0)
            .collect();
        let stage_tie;
        if !surpluses.is_empty() {
            let with_surplus: Vec<Candidate> = surpluses.iter().map(|(c, _)| *c).collect();
            let surplus_of = |c: Candidate| {
                surpluses
                    .iter()
                    .find(|(d, _)| *d == c)
                    .map_or(0, |(_, s)| *s)
            };
            let (from, tie) = pick(&with_surplus, surplus_of, Pick::Most, &history, lot);
            let largest = surplus_of(from);
            stage_tie = tie;
            pending.retain(|c| *c != from);
            let from_index = usize::from(from);
            let held = total(&piles[from_index]);
            let parcels = std::mem::take(&mut piles[from_index]);
            let mut kept = Vec::new();
            for mut parcel in parcels {
                let new_value =
                    (u128::from(parcel.value) * u128::from(largest) / u128::from(held)) as u64;
                // The elected candidate keeps the quota: what each paper leaves behind.
                kept.push(Parcel {
                    value: parcel.value - new_value,
                    ..parcel.clone()
                });
                parcel.value = new_value;
                parcel.position += 1;
                if new_value > 0 {
                    place(parcel, &mut piles, &state, &mut non_transferable);
                }
            }
            // Truncation leaves a little more than the quota behind; it stays with the
            // candidate, as under the Scottish rules.
            piles[from_index] = kept;
            action = StageAction::Surplus {
                from,
                transfer_value: (u128::from(VOTE) * u128::from(largest) / u128::from(held)) as u64,
            };
        } else {
            pending.clear();
            let votes = |c: Candidate| total(&piles[usize::from(c)]);
            let (excluded, tie) = pick(&continuing, votes, Pick::Fewest, &history, lot);
            stage_tie = tie;
            let index = usize::from(excluded);
            state[index] = State::Excluded;
            for mut parcel in std::mem::take(&mut piles[index]) {
                parcel.position += 1;
                place(parcel, &mut piles, &state, &mut non_transferable);
            }
            action = StageAction::Exclusion { excluded };
        }
        carried_ties.extend(stage_tie);
    }
    StvCount {
        candidates,
        seats,
        valid_votes,
        quota,
        stages,
        elected,
    }
}

/// Formats a count in units of 1/100,000 as a decimal with five places.
pub fn format_votes(value: u64) -> String {
    format!("{}.{:05}", value / VOTE, value % VOTE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use commons_ledger::keys::Hash;

    fn lot() -> Lot {
        Lot {
            seed: Hash([5; 32]),
        }
    }

    fn ballots(spec: &[(u64, &[Candidate])]) -> Vec<RankedBallot> {
        crate::ranked::weighted(spec)
    }

    #[test]
    fn one_seat_is_instant_runoff() {
        let b = ballots(&[(8, &[0]), (6, &[1, 0]), (5, &[2, 1])]);
        let stv = count(3, 1, &b, &lot());
        assert_eq!(stv.elected, vec![1]);
    }

    /// The classic worked example (Wikipedia's "Single transferable vote", food election): 20
    /// voters, 3 seats, quota 6. Chocolate's surplus elects Strawberry; Oranges go out; Pears'
    /// transfer then elects Cake... the winners are Chocolate, Oranges and Strawberry.
    #[test]
    fn the_food_election() {
        let (oranges, pears, chocolate, strawberries, hamburgers): (
            Candidate,
            Candidate,
            Candidate,
            Candidate,
            Candidate,
        ) = (0, 1, 2, 3, 4);
        let b = ballots(&[
            (4, &[oranges]),
            (2, &[pears, oranges]),
            (8, &[chocolate, strawberries]),
            (4, &[chocolate, hamburgers]),
            (1, &[strawberries]),
            (1, &[hamburgers]),
        ]);
        let stv = count(5, 3, &b, &lot());
        assert_eq!(stv.quota, 6 * VOTE);
        assert_eq!(stv.elected[0], chocolate);
        let mut elected = stv.elected.clone();
        elected.sort_unstable();
        assert_eq!(elected, vec![oranges, chocolate, strawberries]);
        // Chocolate's surplus of 6 over 12 ballots: each moves on at 0.5.
        assert_eq!(
            stv.stages[1].action,
            StageAction::Surplus {
                from: chocolate,
                transfer_value: VOTE / 2
            }
        );
        assert_eq!(
            stv.stages[1].tallies[usize::from(strawberries)],
            Some(5 * VOTE)
        );
        assert_eq!(
            stv.stages[1].tallies[usize::from(hamburgers)],
            Some(3 * VOTE)
        );
    }

    #[test]
    fn transfer_values_are_truncated_to_five_decimals() {
        // 7 ballots for 0 then 1, quota for 2 seats of 7 votes = 3; surplus 4 over 7 papers.
        let b = ballots(&[(7, &[0, 1]), (1, &[2])]);
        let stv = count(3, 2, &b, &lot());
        assert_eq!(stv.quota, 3 * VOTE);
        // 4/7 = 0.571428… → 0.57142 per paper; 7 papers carry 3.99994.
        assert_eq!(stv.stages[1].tallies[1], Some(7 * 57_142));
        assert_eq!(stv.elected, vec![0, 1]);
    }

    #[test]
    fn value_is_conserved_up_to_non_transferable_and_truncation() {
        let b = ballots(&[
            (5, &[0, 1, 2]),
            (3, &[1, 2]),
            (2, &[2]),
            (4, &[3, 0]),
            (1, &[4]),
        ]);
        let stv = count(5, 2, &b, &lot());
        for stage in &stv.stages {
            let held: u64 = stage.tallies.iter().flatten().sum();
            assert!(held + stage.non_transferable <= 15 * VOTE);
            assert!(held + stage.non_transferable >= 15 * VOTE - 20);
        }
        assert_eq!(stv.elected.len(), 2);
    }

    #[test]
    fn the_empty_election_elects_nobody() {
        let stv = count(3, 2, &[], &lot());
        assert!(stv.elected.is_empty());
        assert_eq!(stv.valid_votes, 0);
        assert_eq!(stv.stages.len(), 1);
    }

    #[test]
    fn fewer_candidates_than_seats_are_all_elected() {
        let b = ballots(&[(3, &[0]), (1, &[1])]);
        let stv = count(2, 3, &b, &lot());
        assert_eq!(stv.elected, vec![0, 1]);
    }
}
