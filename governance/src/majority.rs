//! Yes/no decisions: majority vote (yes / no / abstain) and sociocratic consent (agree / stand
//! aside / object), and the quorum both share.
//!
//! - **Quorum** is over all ballots, abstentions and stand-asides included: the weight of
//!   members who took part × 100 ≥ quorum % × the electorate.
//! - **Majority**: the share of yes among yes + no must be *more than* the threshold
//!   (yes × 100 > threshold % × (yes + no)); 50 is a simple majority, 66 two thirds. Abstentions
//!   count for the quorum only. With no yes and no no, nothing passes.
//! - **Consent**: any objection blocks, whatever its weight; each objection carries its reason.
//!   Without objections the proposal passes when at least one member agrees (stand-asides alone
//!   do not make a decision). The author may amend and open a new round; each round is its own
//!   count and the record keeps them all.

use serde::Serialize;

use crate::policy::THRESHOLD_PERCENT_MIN;

/// At most this many characters in an objection's reason.
pub const REASON_CHARS_MAX: usize = 2_000;

/// A majority-vote ballot's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    Yes,
    No,
    Abstain,
}

/// A consent ballot's stance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "stance", rename_all = "kebab-case")]
pub enum Stance {
    Agree,
    StandAside,
    /// An objection, with the reason the objector gives (never empty).
    Object {
        reason: String,
    },
}

/// Whether enough of the electorate took part.
pub fn quorum_met(voted_weight: u64, electorate: u64, quorum_percent: u8) -> bool {
    u128::from(voted_weight) * 100 >= u128::from(quorum_percent) * u128::from(electorate)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MajorityCount {
    pub yes: u64,
    pub no: u64,
    pub abstain: u64,
}

impl MajorityCount {
    pub fn count(votes: impl IntoIterator<Item = (Position, u64)>) -> MajorityCount {
        let mut count = MajorityCount::default();
        for (position, weight) in votes {
            match position {
                Position::Yes => count.yes += weight,
                Position::No => count.no += weight,
                Position::Abstain => count.abstain += weight,
            }
        }
        count
    }
    pub fn voted(&self) -> u64 {
        self.yes + self.no + self.abstain
    }
    /// Whether yes is more than `threshold_percent` of yes + no, and never less than more yes
    /// than no: a threshold below [`THRESHOLD_PERCENT_MIN`] counts as that minimum, whatever a
    /// definition says.
    pub fn passes(&self, threshold_percent: u8) -> bool {
        let threshold = threshold_percent.max(THRESHOLD_PERCENT_MIN);
        let decided = u128::from(self.yes) + u128::from(self.no);
        decided > 0 && u128::from(self.yes) * 100 > u128::from(threshold) * decided
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConsentCount {
    pub agree: u64,
    pub stand_aside: u64,
    /// Each objection's weight and reason, in the order given.
    pub objections: Vec<(u64, String)>,
}

impl ConsentCount {
    pub fn count(votes: impl IntoIterator<Item = (Stance, u64)>) -> ConsentCount {
        let mut count = ConsentCount::default();
        for (stance, weight) in votes {
            match stance {
                Stance::Agree => count.agree += weight,
                Stance::StandAside => count.stand_aside += weight,
                Stance::Object { reason } => count.objections.push((weight, reason)),
            }
        }
        count
    }
    pub fn voted(&self) -> u64 {
        self.agree + self.stand_aside + self.objections.iter().map(|(w, _)| w).sum::<u64>()
    }
    pub fn blocked(&self) -> bool {
        !self.objections.is_empty()
    }
    pub fn passes(&self) -> bool {
        !self.blocked() && self.agree > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_is_more_than_the_threshold_of_yes_and_no() {
        let count = MajorityCount::count([
            (Position::Yes, 3),
            (Position::No, 3),
            (Position::Abstain, 10),
        ]);
        assert!(!count.passes(50), "a tie is not a majority");
        let count = MajorityCount::count([(Position::Yes, 4), (Position::No, 3)]);
        assert!(count.passes(50));
        // Two thirds: 2 of 3 is 66.7 % > 66; 3 of 5 is not.
        assert!(MajorityCount::count([(Position::Yes, 2), (Position::No, 1)]).passes(66));
        assert!(!MajorityCount::count([(Position::Yes, 3), (Position::No, 2)]).passes(66));
        // Only abstentions, or nothing: nothing passes.
        assert!(!MajorityCount::count([(Position::Abstain, 5)]).passes(50));
        assert!(!MajorityCount::default().passes(0));
    }

    #[test]
    fn one_yes_never_beats_any_number_of_no_whatever_the_threshold() {
        let count = MajorityCount::count([(Position::Yes, 1), (Position::No, 9)]);
        assert!(!count.passes(0));
        assert!(!MajorityCount::count([(Position::Yes, 5), (Position::No, 5)]).passes(0));
        assert!(MajorityCount::count([(Position::Yes, 6), (Position::No, 5)]).passes(0));
    }

    #[test]
    fn quorum_counts_everyone_who_took_part() {
        assert!(quorum_met(5, 10, 50));
        assert!(!quorum_met(4, 10, 50));
        assert!(
            quorum_met(0, 0, 50),
            "an empty electorate has nobody missing"
        );
        assert!(quorum_met(0, 10, 0));
    }

    #[test]
    fn one_objection_blocks_consent() {
        let count = ConsentCount::count([
            (Stance::Agree, 9),
            (
                Stance::Object {
                    reason: "It leaves out the garden group".into(),
                },
                1,
            ),
        ]);
        assert!(count.blocked());
        assert!(!count.passes());
        assert_eq!(count.voted(), 10);
        assert!(ConsentCount::count([(Stance::Agree, 1), (Stance::StandAside, 5)]).passes());
        assert!(!ConsentCount::count([(Stance::StandAside, 5)]).passes());
        assert!(!ConsentCount::default().passes());
    }
}
