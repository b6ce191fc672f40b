//! The messages two linked circles exchange to move a payment, and the checks each side makes
//! on what it receives (pure: no IO). The same messages pass between two circles of one node
//! and between two nodes (as JSON, `docs/federation.md`).
//!
//! A relay carries the sender's hold entry with an inclusion proof in a tree head signed by the
//! sender's node key: the receiver needs no other signature to know the sending circle holds
//! the payment, and a replayed relay is the same payment (its transfer id), answered as before.
//! The answer carries the receiver's entry the same way, so the sender settles its hold naming
//! an entry it has proof of, and both keep the other's signed tree heads.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::crossing::{Hold, HoldSource, LinkTerms};
use crate::entry::{entry_bytes, Body, Request, TreeHead};
use crate::export::{EntryLine, RawEntry, TreeHeadLine};
use crate::keys::Hash;
use crate::merkle::{leaf_hash, verify_consistency, verify_inclusion};
use crate::statement::ProvedEntry;

pub const RELAY_FORMAT: &str = "commons.link.relay";
pub const ANSWER_FORMAT: &str = "commons.link.answer";
pub const RELAY_VERSION: u16 = 1;
/// Most hashes in an inclusion or consistency proof (a tree of 2^64 entries needs 64).
pub const PROOF_HASHES_MAX: usize = 130;

/// A proof that the sender's tree grew from a size the receiver holds to the new head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consistency {
    pub from_size: u64,
    pub proof: Vec<String>,
}

/// A held payment sent on to the next circle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relay {
    pub format: String,
    pub version: u16,
    /// The sending circle's id and the receiving circle's id, hex.
    pub from: String,
    pub to: String,
    /// The hold entry (with its memo, if any) and its inclusion proof in `head`.
    pub hold: ProvedEntry,
    pub head: TreeHeadLine,
    /// From the last head of the sender the receiver acknowledged, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistency: Option<Consistency>,
    /// The size of the receiver's latest tree head the sender holds (0: none), so the answer
    /// proves its head grew from it.
    pub held_size: u64,
}

/// What the receiving circle answers. (A message made once and sent: the size of its largest
/// variant costs nothing worth a box.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "state", rename_all = "kebab-case")]
pub enum Answer {
    /// The payment is recorded, final, as `entry` (an arrival, or a hold passing it on that
    /// has committed), proved in `head`.
    Completed {
        format: String,
        entry: ProvedEntry,
        head: TreeHeadLine,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consistency: Option<Consistency>,
        /// The size of the sender's tree head the receiver holds now.
        held_size: u64,
    },
    /// The relay's tree head does not prove it grew from the one the receiver holds
    /// (`held_size`): send it again with the latest head and a proof from that size.
    Stale { format: String, held_size: u64 },
    /// Refused; nothing is recorded there, and never will be for this transfer: a promise
    /// signed by the receiving circle's node key over the hold's hash and the code.
    Erased {
        format: String,
        hold: String,
        code: String,
        message: String,
        signature: String,
        held_size: u64,
    },
    /// Passed on and not settled yet further along: ask again later with the same relay.
    Pending { format: String, held_size: u64 },
}

/// Why a relay or an answer cannot be trusted. Nothing is recorded because of one.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RelayError {
    #[error("the message is not a {0} of version {RELAY_VERSION}")]
    Format(&'static str),
    #[error("the message names circle {found}, not the linked circle {expected}")]
    WrongCircle { expected: String, found: String },
    #[error("the tree head is not signed by the linked circle's node key")]
    BadHeadSignature,
    #[error("the entry is not in the signed tree head (its proof fails)")]
    NotIncluded,
    #[error("the tree head does not extend the one held before (size {held}): the other side's ledger forked or was rewritten")]
    Forked { held: u64 },
    #[error("the entry cannot be read: {0}")]
    Unreadable(String),
    #[error("the entry's author signature does not verify")]
    BadEntrySignature,
    #[error("the entry is not {0}")]
    WrongEntry(&'static str),
}

/// A relay the receiver checked: the sender's hold, its entry hash, and the sender's head.
#[derive(Debug, Clone)]
pub struct CheckedRelay {
    pub hold: Hold,
    pub hold_hash: Hash,
    pub head: TreeHead,
    pub memo: Option<crate::export::Memo>,
}

/// A proved entry of the other circle, checked: its request, hash and the head proving it.
#[derive(Debug, Clone)]
pub struct CheckedEntry {
    pub request: Request,
    pub hash: Hash,
    pub raw: RawEntry,
    pub head: TreeHead,
}

/// Checks a proved entry of circle `terms.partner` against a head signed by its node key.
pub fn check_proved(
    terms: &LinkTerms,
    entry: &ProvedEntry,
    head: &TreeHeadLine,
) -> Result<CheckedEntry, RelayError> {
    let head = head
        .to_head()
        .map_err(|error| RelayError::Unreadable(error.to_string()))?;
    if head.circle_id != terms.partner {
        return Err(RelayError::WrongCircle {
            expected: terms.partner.short(),
            found: head.circle_id.short(),
        });
    }
    if !terms.node_key().is_some_and(|key| head.verify(key)) {
        return Err(RelayError::BadHeadSignature);
    }
    let raw = entry
        .entry
        .to_raw()
        .map_err(|error| RelayError::Unreadable(error.to_string()))?;
    let leaf = leaf_hash(&entry_bytes(
        raw.seq,
        &raw.prev_hash,
        raw.recorded_at_ms,
        &raw.request,
        &raw.signature,
    ));
    let proof: Vec<Hash> = entry
        .proof
        .iter()
        .take(PROOF_HASHES_MAX + 1)
        .map(|hex| Hash::from_hex(hex))
        .collect::<Result<_, _>>()
        .map_err(|error| RelayError::Unreadable(error.to_string()))?;
    if proof.len() > PROOF_HASHES_MAX
        || verify_inclusion(raw.seq, head.tree_size, &leaf.0, &proof, &head.root.0).is_err()
    {
        return Err(RelayError::NotIncluded);
    }
    let request =
        Request::decode(&raw.request).map_err(|error| RelayError::Unreadable(error.to_string()))?;
    if request.circle_id != terms.partner {
        return Err(RelayError::WrongCircle {
            expected: terms.partner.short(),
            found: request.circle_id.short(),
        });
    }
    if !request.author.verify(&raw.request, &raw.signature) {
        return Err(RelayError::BadEntrySignature);
    }
    Ok(CheckedEntry {
        request,
        hash: leaf,
        raw,
        head,
    })
}

/// How a new head of the other circle stands against the latest one held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Growth {
    /// The same head, or one proved to extend it (or none was held).
    Extends,
    /// Not provable from what was sent (an older head, or no proof from the held size):
    /// ask again with the latest head and a proof from `held_size`.
    Unproved { held_size: u64 },
}

/// Whether `head` extends `held`: the same tree grown, proved by `consistency` from the held
/// size. A head that contradicts the held one (same size, other root; or a failing proof) is
/// a fork.
pub fn check_growth(
    held: Option<&TreeHead>,
    head: &TreeHead,
    consistency: Option<&Consistency>,
) -> Result<Growth, RelayError> {
    let Some(held) = held else {
        return Ok(Growth::Extends);
    };
    let forked = RelayError::Forked {
        held: held.tree_size,
    };
    let unproved = Growth::Unproved {
        held_size: held.tree_size,
    };
    if head.tree_size == held.tree_size {
        return if head.root == held.root {
            Ok(Growth::Extends)
        } else {
            Err(forked)
        };
    }
    if head.tree_size < held.tree_size {
        return Ok(unproved);
    }
    let Some(consistency) = consistency.filter(|c| c.from_size == held.tree_size) else {
        return Ok(unproved);
    };
    let proof: Vec<[u8; 32]> = consistency
        .proof
        .iter()
        .take(PROOF_HASHES_MAX + 1)
        .map(|hex| Hash::from_hex(hex).map(|hash| hash.0))
        .collect::<Result<_, _>>()
        .map_err(|_| forked.clone())?;
    if proof.len() > PROOF_HASHES_MAX {
        return Err(forked);
    }
    verify_consistency(
        held.tree_size,
        head.tree_size,
        &proof,
        &held.root.0,
        &head.root.0,
    )
    .map_err(|_| forked)?;
    Ok(Growth::Extends)
}

/// The receiver's check of a relay from the linked circle `terms.partner` to circle `me`.
pub fn check_relay(
    relay: &Relay,
    terms: &LinkTerms,
    me: &Hash,
) -> Result<CheckedRelay, RelayError> {
    if relay.format != RELAY_FORMAT || relay.version != RELAY_VERSION {
        return Err(RelayError::Format(RELAY_FORMAT));
    }
    if relay.to != me.to_hex() || relay.from != terms.partner.to_hex() {
        return Err(RelayError::WrongCircle {
            expected: format!("{} → {}", terms.partner.short(), me.short()),
            found: format!("{} → {}", short_hex(&relay.from), short_hex(&relay.to)),
        });
    }
    let checked = check_proved(terms, &relay.hold, &relay.head)?;
    let Body::Hold(hold) = checked.request.body else {
        return Err(RelayError::WrongEntry("a hold"));
    };
    if hold.partner != *me {
        return Err(RelayError::WrongEntry("a hold on its way to this circle"));
    }
    Ok(CheckedRelay {
        hold,
        hold_hash: checked.hash,
        head: checked.head,
        memo: checked.raw.memo,
    })
}

/// The sender's check of a completed answer: the receiver's entry records this very hold (an
/// arrival, or a hold passing it on), proved in a head signed by the receiver's node key.
pub fn check_completed(
    entry: &ProvedEntry,
    head: &TreeHeadLine,
    terms: &LinkTerms,
    me: &Hash,
    hold_hash: &Hash,
) -> Result<CheckedEntry, RelayError> {
    let checked = check_proved(terms, entry, head)?;
    let records_it = match &checked.request.body {
        Body::Arrive(arrival) => arrival.partner == *me && arrival.remote == *hold_hash,
        Body::Hold(hold) => matches!(&hold.source,
            HoldSource::Link { partner, entry } if partner == me && entry == hold_hash),
        _ => false,
    };
    if !records_it {
        return Err(RelayError::WrongEntry(
            "the other side's record of this payment",
        ));
    }
    Ok(checked)
}

const ERASED_TAG: &str = "commons.link.erased";

/// The bytes a receiving circle's node key signs to promise it never records a payment.
pub fn erased_bytes(hold_hash: &Hash, code: &str) -> Vec<u8> {
    let mut w = crate::codec::Writer::with_tag(ERASED_TAG);
    w.u16(RELAY_VERSION).fixed(&hold_hash.0).str(code);
    w.finish()
}

/// The receiver's signed refusal of the hold `hold_hash`.
pub fn erased(
    node_key: &crate::keys::SecretKey,
    hold_hash: &Hash,
    code: &str,
    message: &str,
    held_size: u64,
) -> Answer {
    Answer::Erased {
        format: ANSWER_FORMAT.to_owned(),
        hold: hold_hash.to_hex(),
        code: code.to_owned(),
        message: message.to_owned(),
        signature: node_key.sign(&erased_bytes(hold_hash, code)).to_hex(),
        held_size,
    }
}

/// Whether a refusal is the linked circle's own, about this very hold.
pub fn erased_is_genuine(
    terms: &LinkTerms,
    hold_hash: &Hash,
    hold: &str,
    code: &str,
    signature: &str,
) -> bool {
    let Ok(signature) = crate::keys::Signature::from_hex(signature) else {
        return false;
    };
    hold == hold_hash.to_hex()
        && terms
            .node_key()
            .is_some_and(|key| key.verify(&erased_bytes(hold_hash, code), &signature))
}

fn short_hex(text: &str) -> String {
    text.chars().take(12).collect()
}

/// A proved entry from its parts.
pub fn proved(raw: &RawEntry, hash: &Hash, proof: &[Hash]) -> ProvedEntry {
    ProvedEntry {
        entry: EntryLine::from_raw(raw, hash),
        proof: proof.iter().map(|hash| hash.to_hex()).collect(),
    }
}
