//! Signed ballots, receipts and the ballot board.
//!
//! A ballot's canonical bytes, under the domain tag `commons.governance.ballot` and a version,
//! bind the circle, the proposal's definition hash, the voter's key, the time it was cast, and
//! the choice in a typed encoding for the method. The voter signs them with their member key.
//! The **receipt** is the RFC 9162 leaf hash of the signed record (bytes ‖ signature). The
//! **board** is the Merkle tree of every accepted ballot's receipt, ordered by (time cast,
//! receipt); its root is published when voting closes, and a voter can check their receipt is
//! in it with an inclusion proof.
//!
//! A signed ballot is not secret: everyone who can read the board sees who voted and how.

use commons_ledger::codec::{DecodeError, Reader, Writer};
use commons_ledger::keys::{Hash, PublicKey, SecretKey, Signature};
use commons_ledger::merkle;
use commons_ledger::signed::{Signable, Signed};
use thiserror::Error;

use crate::cardinal::SCORE_MAX;
use crate::majority::{Position, Stance, REASON_CHARS_MAX};
use crate::proposal::{Definition, Method, FORMAT_VERSION};
use crate::ranked::Candidate;
use commons_ledger::codec::FIELD_BYTES_MAX;

pub const BALLOT_TAG: &str = "commons.governance.ballot";

/// What a voter chose, typed by method. The tag byte of each is fixed forever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Tag 1: 0 yes, 1 no, 2 abstain.
    Majority(Position),
    /// Tag 2: 0 agree, 1 stand aside, 2 object (with its reason).
    Consent(Stance),
    /// Tag 3: the approved options, ascending.
    Approval(Vec<Candidate>),
    /// Tag 4: one score per option.
    Score(Vec<u8>),
    /// Tag 5: options in order of preference, each at most once (a prefix of the options).
    Ranked(Vec<Candidate>),
}

/// Why a choice does not fit the vote it is cast in.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChoiceError {
    #[error("this ballot is for a {found} vote, but the proposal is decided by {expected}")]
    WrongMethod {
        expected: &'static str,
        found: &'static str,
    },
    #[error("option {0} does not exist")]
    UnknownOption(Candidate),
    #[error("an option is listed twice")]
    Repeated,
    #[error("approvals must be listed in ascending order")]
    Unordered,
    #[error("a score ballot scores each of the {expected} options; this one scores {found}")]
    ScoreCount { expected: usize, found: usize },
    #[error("scores go from 0 to {SCORE_MAX}")]
    ScoreRange,
    #[error("an objection needs a reason of 1 to {REASON_CHARS_MAX} characters")]
    Reason,
    #[error("a ranked ballot ranks at least one option")]
    EmptyRanking,
}

impl Choice {
    fn kind(&self) -> &'static str {
        match self {
            Choice::Majority(_) => "majority",
            Choice::Consent(_) => "consent",
            Choice::Approval(_) => "approval",
            Choice::Score(_) => "score",
            Choice::Ranked(_) => "ranked",
        }
    }

    /// Checks the choice against the vote's method and options.
    pub fn check(&self, method: &Method, options: usize) -> Result<(), ChoiceError> {
        let fits = matches!(
            (self, method),
            (Choice::Majority(_), Method::Majority)
                | (Choice::Consent(_), Method::Consent)
                | (Choice::Approval(_), Method::Approval)
                | (Choice::Score(_), Method::Score)
                | (
                    Choice::Ranked(_),
                    Method::Irv | Method::Schulze | Method::Stv { .. }
                )
        );
        if !fits {
            return Err(ChoiceError::WrongMethod {
                expected: method.name(),
                found: self.kind(),
            });
        }
        let known = |list: &[Candidate]| -> Result<(), ChoiceError> {
            match list.iter().find(|c| usize::from(**c) >= options) {
                Some(c) => Err(ChoiceError::UnknownOption(*c)),
                None => Ok(()),
            }
        };
        match self {
            Choice::Majority(_) => Ok(()),
            Choice::Consent(Stance::Object { reason }) => {
                let chars = reason.trim().chars().count();
                // Bounded in bytes too: the canonical encoding holds at most FIELD_BYTES_MAX.
                if chars == 0 || chars > REASON_CHARS_MAX || reason.len() > FIELD_BYTES_MAX {
                    Err(ChoiceError::Reason)
                } else {
                    Ok(())
                }
            }
            Choice::Consent(_) => Ok(()),
            Choice::Approval(list) => {
                known(list)?;
                if list.windows(2).any(|pair| pair[0] == pair[1]) {
                    return Err(ChoiceError::Repeated);
                }
                if list.windows(2).any(|pair| pair[0] > pair[1]) {
                    return Err(ChoiceError::Unordered);
                }
                Ok(())
            }
            Choice::Score(scores) => {
                if scores.len() != options {
                    return Err(ChoiceError::ScoreCount {
                        expected: options,
                        found: scores.len(),
                    });
                }
                if scores.iter().any(|s| *s > SCORE_MAX) {
                    return Err(ChoiceError::ScoreRange);
                }
                Ok(())
            }
            Choice::Ranked(list) => {
                known(list)?;
                if list.is_empty() {
                    return Err(ChoiceError::EmptyRanking);
                }
                let mut sorted = list.clone();
                sorted.sort_unstable();
                if sorted.windows(2).any(|pair| pair[0] == pair[1]) {
                    return Err(ChoiceError::Repeated);
                }
                Ok(())
            }
        }
    }

    fn encode(&self, w: &mut Writer) {
        match self {
            Choice::Majority(position) => {
                w.u8(1).u8(match position {
                    Position::Yes => 0,
                    Position::No => 1,
                    Position::Abstain => 2,
                });
            }
            Choice::Consent(stance) => {
                w.u8(2);
                match stance {
                    Stance::Agree => w.u8(0),
                    Stance::StandAside => w.u8(1),
                    Stance::Object { reason } => w.u8(2).str(reason),
                };
            }
            Choice::Approval(list) | Choice::Ranked(list) => {
                w.u8(if matches!(self, Choice::Approval(_)) {
                    3
                } else {
                    5
                });
                w.u32(list.len() as u32);
                for option in list {
                    w.u16(*option);
                }
            }
            Choice::Score(scores) => {
                w.u8(4).bytes(scores);
            }
        }
    }

    fn decode(r: &mut Reader<'_>) -> Result<Choice, DecodeError> {
        let list = |r: &mut Reader<'_>| -> Result<Vec<Candidate>, DecodeError> {
            let count = r.list_len()?;
            (0..count).map(|_| r.u16()).collect()
        };
        Ok(match r.u8()? {
            1 => Choice::Majority(match r.u8()? {
                0 => Position::Yes,
                1 => Position::No,
                2 => Position::Abstain,
                tag => {
                    return Err(DecodeError::UnknownTag {
                        what: "position",
                        tag,
                    })
                }
            }),
            2 => Choice::Consent(match r.u8()? {
                0 => Stance::Agree,
                1 => Stance::StandAside,
                2 => Stance::Object {
                    reason: r.string()?,
                },
                tag => {
                    return Err(DecodeError::UnknownTag {
                        what: "stance",
                        tag,
                    })
                }
            }),
            3 => Choice::Approval(list(r)?),
            4 => Choice::Score(r.bytes()?.to_vec()),
            5 => Choice::Ranked(list(r)?),
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "choice",
                    tag,
                })
            }
        })
    }
}

/// A ballot as its voter signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    pub circle_id: Hash,
    /// The hash of the proposal's frozen definition.
    pub proposal: Hash,
    pub voter: PublicKey,
    pub cast_at_ms: i64,
    pub choice: Choice,
}

impl Ballot {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_tag(BALLOT_TAG);
        w.u16(FORMAT_VERSION)
            .fixed(&self.circle_id.0)
            .fixed(&self.proposal.0)
            .fixed(self.voter.as_bytes())
            .i64(self.cast_at_ms);
        self.choice.encode(&mut w);
        w.finish()
    }

    pub fn decode(bytes: &[u8]) -> Result<Ballot, DecodeError> {
        let mut r = Reader::with_tag(bytes, BALLOT_TAG)?;
        let version = r.u16()?;
        if version != FORMAT_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let ballot = Ballot {
            circle_id: Hash(r.array()?),
            proposal: Hash(r.array()?),
            voter: PublicKey::from_raw(r.array()?),
            cast_at_ms: r.i64()?,
            choice: Choice::decode(&mut r)?,
        };
        r.finish()?;
        Ok(ballot)
    }

    /// Signs the ballot with the voter's key.
    pub fn sign(self, key: &SecretKey) -> SignedBallot {
        Signed::sign(self, key)
    }

    /// A ballot for `definition`, cast now by `key`.
    pub fn new(
        definition: &Definition,
        voter: PublicKey,
        cast_at_ms: i64,
        choice: Choice,
    ) -> Ballot {
        Ballot {
            circle_id: definition.circle_id,
            proposal: definition.hash(),
            voter,
            cast_at_ms,
            choice,
        }
    }
}

impl Signable for Ballot {
    const WHAT: &'static str = "ballot";
    const CANONICAL_ONLY: bool = true;
    fn encode(&self) -> Vec<u8> {
        Ballot::encode(self)
    }
    fn decode(bytes: &[u8]) -> Result<Ballot, DecodeError> {
        Ballot::decode(bytes)
    }
    fn signer(&self) -> &PublicKey {
        &self.voter
    }
}

/// A ballot with its canonical bytes and the voter's signature.
pub type SignedBallot = Signed<Ballot>;

/// The receipt of signed ballot bytes: RFC 9162 leaf hash of bytes ‖ signature (as
/// [`Signed::receipt`]).
pub fn receipt(bytes: &[u8], signature: &Signature) -> Hash {
    commons_ledger::signed::receipt(bytes, signature)
}

/// The ballot board: receipts in board order (time cast, then receipt).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Board {
    pub leaves: Vec<Hash>,
}

impl Board {
    /// The board of these (time cast, receipt) pairs, in any order.
    pub fn new(mut entries: Vec<(i64, Hash)>) -> Board {
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1 .0.cmp(&b.1 .0)));
        Board {
            leaves: entries.into_iter().map(|(_, receipt)| receipt).collect(),
        }
    }
    pub fn root(&self) -> Hash {
        merkle::root(&self.leaves)
    }
    /// The receipt's position and inclusion proof, if it is on the board.
    pub fn proof(&self, receipt: &Hash) -> Option<(usize, Vec<Hash>)> {
        let index = self.leaves.iter().position(|leaf| leaf == receipt)?;
        Some((index, merkle::inclusion_proof(&self.leaves, index)))
    }
}

/// Checks that `receipt` is leaf `index` of a board of `size` leaves with root `root`.
pub fn verify_receipt(
    receipt: &Hash,
    index: usize,
    size: usize,
    proof: &[Hash],
    root: &Hash,
) -> bool {
    let proof: Vec<&[u8]> = proof.iter().map(|hash| hash.0.as_slice()).collect();
    merkle::verify_inclusion(index as u64, size as u64, &receipt.0, &proof, &root.0).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proposal::tests::sample;

    #[test]
    fn every_choice_round_trips_and_any_flipped_byte_breaks_the_signature() {
        let key = SecretKey::generate();
        let definition = sample(Method::Consent, &[key.public_key()]);
        for choice in [
            Choice::Majority(Position::Abstain),
            Choice::Consent(Stance::Object {
                reason: "Too fast".into(),
            }),
            Choice::Consent(Stance::StandAside),
            Choice::Approval(vec![0, 2]),
            Choice::Score(vec![5, 0, 3]),
            Choice::Ranked(vec![2, 0]),
        ] {
            let signed = Ballot::new(&definition, key.public_key(), 1_500, choice).sign(&key);
            let back =
                SignedBallot::from_parts(signed.bytes.clone(), signed.signature).expect("decodes");
            assert_eq!(back, signed);
            assert!(back.signature_is_valid());
            for index in 0..signed.bytes.len() {
                let mut bytes = signed.bytes.clone();
                bytes[index] ^= 1;
                assert!(!key.public_key().verify(&bytes, &signed.signature));
            }
        }
    }

    #[test]
    fn choices_must_fit_the_method_and_options() {
        let ranked = Method::Irv;
        assert_eq!(Choice::Ranked(vec![0, 2]).check(&ranked, 3), Ok(()));
        assert_eq!(
            Choice::Ranked(vec![0, 0]).check(&ranked, 3),
            Err(ChoiceError::Repeated)
        );
        assert_eq!(
            Choice::Ranked(vec![3]).check(&ranked, 3),
            Err(ChoiceError::UnknownOption(3))
        );
        assert_eq!(
            Choice::Ranked(vec![]).check(&ranked, 3),
            Err(ChoiceError::EmptyRanking)
        );
        assert!(matches!(
            Choice::Majority(Position::Yes).check(&ranked, 3),
            Err(ChoiceError::WrongMethod { .. })
        ));
        assert_eq!(
            Choice::Score(vec![1, 2]).check(&Method::Score, 3),
            Err(ChoiceError::ScoreCount {
                expected: 3,
                found: 2
            })
        );
        assert_eq!(
            Choice::Score(vec![1, 2, 6]).check(&Method::Score, 3),
            Err(ChoiceError::ScoreRange)
        );
        assert_eq!(
            Choice::Approval(vec![2, 1]).check(&Method::Approval, 3),
            Err(ChoiceError::Unordered)
        );
        assert_eq!(
            Choice::Consent(Stance::Object { reason: " ".into() }).check(&Method::Consent, 0),
            Err(ChoiceError::Reason)
        );
    }

    #[test]
    fn an_objection_of_two_thousand_four_byte_characters_is_refused_before_it_is_encoded() {
        // 2,000 characters but 8,000 bytes: more than one field of the encoding holds.
        let reason = "𝄞".repeat(REASON_CHARS_MAX);
        assert_eq!(
            Choice::Consent(Stance::Object { reason }).check(&Method::Consent, 0),
            Err(ChoiceError::Reason)
        );
    }

    #[test]
    fn receipts_are_proven_on_the_board() {
        let key = SecretKey::generate();
        let definition = sample(Method::Majority, &[key.public_key()]);
        let ballots: Vec<SignedBallot> = (0..5)
            .map(|i| {
                Ballot::new(
                    &definition,
                    key.public_key(),
                    1_000 + i,
                    Choice::Majority(Position::Yes),
                )
                .sign(&key)
            })
            .collect();
        let board = Board::new(
            ballots
                .iter()
                .map(|b| (b.record.cast_at_ms, b.receipt()))
                .collect(),
        );
        let root = board.root();
        for ballot in &ballots {
            let (index, proof) = board.proof(&ballot.receipt()).expect("on the board");
            assert!(verify_receipt(&ballot.receipt(), index, 5, &proof, &root));
            assert!(!verify_receipt(
                &ballot.receipt(),
                (index + 1) % 5,
                5,
                &proof,
                &root
            ));
        }
        assert!(board.proof(&Hash([0; 32])).is_none());
    }
}
