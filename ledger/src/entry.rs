//! Signed requests, chain entries and signed tree heads, with their canonical encodings.
//!
//! An author signs a [`Request`] (what they want to happen). The node places it in the circle's
//! chain as an [`Entry`] (sequence number, previous hash, time). The entry's bytes are a leaf of
//! the circle's Merkle tree, and the node signs [`TreeHead`]s over that tree.

use crate::codec::{DecodeError, Reader, Writer};
use crate::crossing::{
    read_option_hash, write_option_hash, Arrival, Hold, LinkStatus, LinkTerms, Settlement,
};
use crate::keys::{Hash, Nonce, PublicKey, SecretKey, Signature};
use crate::signed::{Signable, Signed};

/// The format version written into every request, entry and tree head.
pub const FORMAT_VERSION: u16 = 1;
pub const REQUEST_TAG: &str = "commons.ledger.request";
pub const ENTRY_TAG: &str = "commons.ledger.entry";
pub const TREE_HEAD_TAG: &str = "commons.ledger.tree-head";
pub const MEMO_TAG: &str = "commons.ledger.memo";
/// Longest memo a member may attach to a payment, in bytes of UTF-8.
pub const MEMO_BYTES_MAX: usize = 1000;
/// Longest circle name, unit name, slug or reference, in bytes.
pub const NAME_BYTES_MAX: usize = 200;

/// The settings fixed at a circle's genesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircleSpec {
    pub slug: String,
    pub name: String,
    pub unit_name: String,
    pub unit_symbol: String,
    pub decimals: u8,
    pub default_floor_minor: i64,
    pub default_ceiling_minor: i64,
}

/// Why a transfer happens, when it is more than a plain payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// A payment the payer chose to make.
    Direct,
    /// The payer accepts the payment request recorded in the entry with this hash.
    AcceptsRequest(Hash),
    /// This transfer undoes the transfer in the entry with this hash.
    Reverses(Hash),
    /// A payment for something recorded outside the ledger, e.g. `deal:42` in the market.
    Reference(String),
}

/// Which circle document a [`Action::SetDocument`] commits to.
pub const DOCUMENT_AGREEMENTS: u8 = 1;
pub const DOCUMENT_POLICY: u8 = 2;
/// At most this many actions in one enactment.
pub const ACTIONS_MAX: usize = 16;

/// One change a passed proposal makes to the circle. The tag byte of each is fixed forever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Tag 1: new default floor and ceiling. Open accounts that were on the old defaults move to
    /// the new ones (a balance already beyond a new limit becomes that account's limit, so no
    /// balance is ever outside its limits); new accounts get them.
    SetDefaultLimits {
        floor_minor: i64,
        ceiling_minor: i64,
    },
    /// Tag 2: one account's floor and ceiling.
    SetLimits {
        account: PublicKey,
        floor_minor: i64,
        ceiling_minor: i64,
    },
    /// Tag 3: admit a member: open an account for their key at the default limits.
    Admit { account: PublicKey },
    /// Tag 4: remove a member: the account can no longer pay or be paid; its balance stays; a
    /// steward key of that account stops being a steward (never the last one).
    Remove { account: PublicKey },
    /// Tag 5: appoint a steward.
    AddSteward { key: PublicKey },
    /// Tag 6: remove a steward (never the last one).
    RemoveSteward { key: PublicKey },
    /// Tag 7: the circle's agreements or policy are now the document with this hash.
    SetDocument { document: u8, hash: Hash },
    /// Tag 8: the member with this account key moderates the circle (besides its stewards):
    /// their signed moderation actions count from this entry on. The appointment follows the
    /// account when its key rotates, and ends when the account is removed or closed.
    AppointModerator { account: PublicKey },
    /// Tag 9: the member with this account key no longer moderates the circle.
    EndModerator { account: PublicKey },
    /// Tag 10: link this circle with another on these terms (or change the terms of its link):
    /// opens the connector account for the other circle, its floor and ceiling the limits of
    /// the balance of trade.
    Link(LinkTerms),
    /// Tag 11: suspend, reopen or close the link with the circle `partner` (closing only at a
    /// zero balance of trade, with nothing in flight).
    SetLinkStatus { partner: Hash, status: LinkStatus },
}

impl Action {
    fn encode(&self, w: &mut Writer) {
        match self {
            Action::SetDefaultLimits {
                floor_minor,
                ceiling_minor,
            } => {
                w.u8(1).i64(*floor_minor).i64(*ceiling_minor);
            }
            Action::SetLimits {
                account,
                floor_minor,
                ceiling_minor,
            } => {
                w.u8(2);
                write_account(w, account);
                w.i64(*floor_minor).i64(*ceiling_minor);
            }
            Action::Admit { account } => {
                w.u8(3);
                write_account(w, account);
            }
            Action::Remove { account } => {
                w.u8(4);
                write_account(w, account);
            }
            Action::AddSteward { key } => {
                w.u8(5).fixed(key.as_bytes());
            }
            Action::RemoveSteward { key } => {
                w.u8(6).fixed(key.as_bytes());
            }
            Action::SetDocument { document, hash } => {
                w.u8(7).u8(*document).fixed(&hash.0);
            }
            Action::AppointModerator { account } => {
                w.u8(8);
                write_account(w, account);
            }
            Action::EndModerator { account } => {
                w.u8(9);
                write_account(w, account);
            }
            Action::Link(terms) => {
                w.u8(terms.action_tag());
                terms.encode(w);
            }
            Action::SetLinkStatus { partner, status } => {
                w.u8(11).fixed(&partner.0).u8(status.tag());
            }
        }
    }

    fn decode(r: &mut Reader<'_>) -> Result<Action, DecodeError> {
        Ok(match r.u8()? {
            1 => Action::SetDefaultLimits {
                floor_minor: r.i64()?,
                ceiling_minor: r.i64()?,
            },
            2 => Action::SetLimits {
                account: read_account(r)?,
                floor_minor: r.i64()?,
                ceiling_minor: r.i64()?,
            },
            3 => Action::Admit {
                account: read_account(r)?,
            },
            4 => Action::Remove {
                account: read_account(r)?,
            },
            5 => Action::AddSteward { key: read_key(r)? },
            6 => Action::RemoveSteward { key: read_key(r)? },
            7 => Action::SetDocument {
                document: r.u8()?,
                hash: Hash(r.array()?),
            },
            8 => Action::AppointModerator {
                account: read_account(r)?,
            },
            9 => Action::EndModerator {
                account: read_account(r)?,
            },
            10 => Action::Link(LinkTerms::decode(r)?),
            12 => Action::Link(LinkTerms::decode_on_its_word(r)?),
            11 => Action::SetLinkStatus {
                partner: Hash(r.array()?),
                status: LinkStatus::from_tag(r.u8()?)?,
            },
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "action",
                    tag,
                })
            }
        })
    }

    /// The canonical bytes of a list of actions (as in an enactment), for other records that
    /// must bind exactly the same actions.
    pub fn encode_list(actions: &[Action], w: &mut Writer) {
        w.u32(actions.len() as u32);
        for action in actions {
            action.encode(w);
        }
    }

    pub fn decode_list(r: &mut Reader<'_>) -> Result<Vec<Action>, DecodeError> {
        let count = r.list_len()?;
        (0..count).map(|_| Action::decode(r)).collect()
    }
}

/// What a request asks the ledger to do. The tag byte of each kind is fixed forever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Kind 1: the first entry of a circle.
    Genesis {
        spec: CircleSpec,
        stewards: Vec<PublicKey>,
        node_key: PublicKey,
    },
    /// Kind 2: a steward opens an account for a member's key.
    OpenAccount {
        account: PublicKey,
        floor_minor: i64,
        ceiling_minor: i64,
    },
    /// Kind 3: a steward changes an account's floor and ceiling.
    SetLimits {
        account: PublicKey,
        floor_minor: i64,
        ceiling_minor: i64,
    },
    /// Kind 4: an account moves to a new key (signed by the old key, or a steward if it is lost).
    RotateKey { old: PublicKey, new: PublicKey },
    /// Kind 5: credit moves from payer to payee (signed by the payer, or a steward for a reversal).
    Transfer {
        payer: PublicKey,
        payee: PublicKey,
        amount_minor: i64,
        memo_hash: Option<Hash>,
        cause: Cause,
    },
    /// Kind 6: the payee asks the payer for a payment; nothing moves until the payer accepts.
    RequestPayment {
        payer: PublicKey,
        payee: PublicKey,
        amount_minor: i64,
        memo_hash: Option<Hash>,
    },
    /// Kind 7: the payer declines, or the payee withdraws, an open payment request.
    CloseRequest { request: Hash },
    /// Kind 8: an account at zero balance is closed.
    CloseAccount { account: PublicKey },
    /// Kind 9: a steward adds a steward key.
    AddSteward { key: PublicKey },
    /// Kind 10: a steward removes a steward key (never the last one).
    RemoveSteward { key: PublicKey },
    /// Kind 11: the node applies what a passed proposal decided. Signed by the circle's node
    /// key; `proposal` is the hash of the proposal's frozen definition and `board_root` the
    /// Merkle root of its ballot board, so `commons audit` can recount the decision.
    Enact {
        proposal: Hash,
        board_root: Hash,
        actions: Vec<Action>,
    },
    /// Kind 12: a payment to a linked circle is held (signed by the paying member, or by the
    /// node key when it passes through from another link).
    Hold(Hold),
    /// Kind 13: a hold ends, committed or released (signed by the node key).
    Settle { hold: Hash, settlement: Settlement },
    /// Kind 14: a payment arrives from a linked circle (signed by the node key).
    Arrive(Arrival),
}

impl Body {
    pub fn kind(&self) -> u8 {
        match self {
            Body::Genesis { .. } => 1,
            Body::OpenAccount { .. } => 2,
            Body::SetLimits { .. } => 3,
            Body::RotateKey { .. } => 4,
            Body::Transfer { .. } => 5,
            Body::RequestPayment { .. } => 6,
            Body::CloseRequest { .. } => 7,
            Body::CloseAccount { .. } => 8,
            Body::AddSteward { .. } => 9,
            Body::RemoveSteward { .. } => 10,
            Body::Enact { .. } => 11,
            Body::Hold(_) => 12,
            Body::Settle { .. } => 13,
            Body::Arrive(_) => 14,
        }
    }
    /// The salted memo commitment the entry carries, if its kind carries one.
    pub fn memo_hash(&self) -> Option<Hash> {
        match self {
            Body::Transfer { memo_hash, .. } | Body::RequestPayment { memo_hash, .. } => *memo_hash,
            Body::Hold(hold) => hold.memo_hash,
            Body::Arrive(arrival) => arrival.memo_hash,
            _ => None,
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self {
            Body::Genesis { .. } => "genesis",
            Body::OpenAccount { .. } => "open-account",
            Body::SetLimits { .. } => "set-limits",
            Body::RotateKey { .. } => "rotate-key",
            Body::Transfer {
                cause: Cause::Reverses(_),
                ..
            } => "reversal",
            Body::Transfer {
                cause: Cause::AcceptsRequest(_),
                ..
            } => "accept-request",
            Body::Transfer { .. } => "transfer",
            Body::RequestPayment { .. } => "request-payment",
            Body::CloseRequest { .. } => "close-request",
            Body::CloseAccount { .. } => "close-account",
            Body::AddSteward { .. } => "add-steward",
            Body::RemoveSteward { .. } => "remove-steward",
            Body::Enact { .. } => "enact",
            Body::Hold(_) => "hold",
            Body::Settle {
                settlement: Settlement::Commit { .. },
                ..
            } => "settle-commit",
            Body::Settle { .. } => "settle-release",
            Body::Arrive(_) => "arrive",
        }
    }
}

/// Account references carry a tag so that clearing accounts of partner circles (tag 2, reserved)
/// can be added later without changing how member accounts (tag 1) are encoded.
const ACCOUNT_MEMBER: u8 = 1;

fn write_account(writer: &mut Writer, key: &PublicKey) {
    writer.u8(ACCOUNT_MEMBER).fixed(key.as_bytes());
}

/// Keys are decoded without curve checks; the rules check keys when they enter a circle.
fn read_key(reader: &mut Reader<'_>) -> Result<PublicKey, DecodeError> {
    Ok(PublicKey::from_raw(reader.array()?))
}

fn read_account(reader: &mut Reader<'_>) -> Result<PublicKey, DecodeError> {
    match reader.u8()? {
        ACCOUNT_MEMBER => read_key(reader),
        tag => Err(DecodeError::UnknownTag {
            what: "account",
            tag,
        }),
    }
}

/// A request as its author signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The circle's id (the hash of its genesis entry); all zeroes in the genesis request itself.
    pub circle_id: Hash,
    pub author: PublicKey,
    pub nonce: Nonce,
    pub body: Body,
}

impl Request {
    /// The canonical bytes the author signs.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_tag(REQUEST_TAG);
        w.u16(FORMAT_VERSION)
            .fixed(&self.circle_id.0)
            .fixed(self.author.as_bytes())
            .fixed(&self.nonce.0);
        w.u8(self.body.kind());
        match &self.body {
            Body::Genesis {
                spec,
                stewards,
                node_key,
            } => {
                w.str(&spec.slug)
                    .str(&spec.name)
                    .str(&spec.unit_name)
                    .str(&spec.unit_symbol);
                w.u8(spec.decimals)
                    .i64(spec.default_floor_minor)
                    .i64(spec.default_ceiling_minor);
                w.u32(stewards.len() as u32);
                for steward in stewards {
                    w.fixed(steward.as_bytes());
                }
                w.fixed(node_key.as_bytes());
            }
            Body::OpenAccount {
                account,
                floor_minor,
                ceiling_minor,
            }
            | Body::SetLimits {
                account,
                floor_minor,
                ceiling_minor,
            } => {
                write_account(&mut w, account);
                w.i64(*floor_minor).i64(*ceiling_minor);
            }
            Body::RotateKey { old, new } => {
                write_account(&mut w, old);
                w.fixed(new.as_bytes());
            }
            Body::Transfer {
                payer,
                payee,
                amount_minor,
                memo_hash,
                cause,
            } => {
                write_account(&mut w, payer);
                write_account(&mut w, payee);
                w.i64(*amount_minor);
                write_option_hash(&mut w, memo_hash);
                match cause {
                    Cause::Direct => w.u8(0),
                    Cause::AcceptsRequest(hash) => w.u8(1).fixed(&hash.0),
                    Cause::Reverses(hash) => w.u8(2).fixed(&hash.0),
                    Cause::Reference(text) => w.u8(3).str(text),
                };
            }
            Body::RequestPayment {
                payer,
                payee,
                amount_minor,
                memo_hash,
            } => {
                write_account(&mut w, payer);
                write_account(&mut w, payee);
                w.i64(*amount_minor);
                write_option_hash(&mut w, memo_hash);
            }
            Body::CloseRequest { request } => {
                w.fixed(&request.0);
            }
            Body::CloseAccount { account } => write_account(&mut w, account),
            Body::AddSteward { key } | Body::RemoveSteward { key } => {
                w.fixed(key.as_bytes());
            }
            Body::Enact {
                proposal,
                board_root,
                actions,
            } => {
                w.fixed(&proposal.0).fixed(&board_root.0);
                Action::encode_list(actions, &mut w);
            }
            Body::Hold(hold) => hold.encode(&mut w),
            Body::Settle { hold, settlement } => {
                w.fixed(&hold.0);
                settlement.encode(&mut w);
            }
            Body::Arrive(arrival) => arrival.encode(&mut w),
        }
        w.finish()
    }

    pub fn decode(bytes: &[u8]) -> Result<Request, DecodeError> {
        let mut r = Reader::with_tag(bytes, REQUEST_TAG)?;
        let version = r.u16()?;
        if version != FORMAT_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let circle_id = Hash(r.array()?);
        let author = read_key(&mut r)?;
        let nonce = Nonce(r.array()?);
        let body = match r.u8()? {
            1 => {
                let spec = CircleSpec {
                    slug: r.string()?,
                    name: r.string()?,
                    unit_name: r.string()?,
                    unit_symbol: r.string()?,
                    decimals: r.u8()?,
                    default_floor_minor: r.i64()?,
                    default_ceiling_minor: r.i64()?,
                };
                let count = r.list_len()?;
                let stewards = (0..count)
                    .map(|_| read_key(&mut r))
                    .collect::<Result<Vec<_>, _>>()?;
                let node_key = read_key(&mut r)?;
                Body::Genesis {
                    spec,
                    stewards,
                    node_key,
                }
            }
            kind @ (2 | 3) => {
                let account = read_account(&mut r)?;
                let floor_minor = r.i64()?;
                let ceiling_minor = r.i64()?;
                if kind == 2 {
                    Body::OpenAccount {
                        account,
                        floor_minor,
                        ceiling_minor,
                    }
                } else {
                    Body::SetLimits {
                        account,
                        floor_minor,
                        ceiling_minor,
                    }
                }
            }
            4 => Body::RotateKey {
                old: read_account(&mut r)?,
                new: read_key(&mut r)?,
            },
            5 => {
                let payer = read_account(&mut r)?;
                let payee = read_account(&mut r)?;
                let amount_minor = r.i64()?;
                let memo_hash = read_option_hash(&mut r)?;
                let cause = match r.u8()? {
                    0 => Cause::Direct,
                    1 => Cause::AcceptsRequest(Hash(r.array()?)),
                    2 => Cause::Reverses(Hash(r.array()?)),
                    3 => Cause::Reference(r.string()?),
                    tag => return Err(DecodeError::UnknownTag { what: "cause", tag }),
                };
                Body::Transfer {
                    payer,
                    payee,
                    amount_minor,
                    memo_hash,
                    cause,
                }
            }
            6 => Body::RequestPayment {
                payer: read_account(&mut r)?,
                payee: read_account(&mut r)?,
                amount_minor: r.i64()?,
                memo_hash: read_option_hash(&mut r)?,
            },
            7 => Body::CloseRequest {
                request: Hash(r.array()?),
            },
            8 => Body::CloseAccount {
                account: read_account(&mut r)?,
            },
            9 => Body::AddSteward {
                key: read_key(&mut r)?,
            },
            10 => Body::RemoveSteward {
                key: read_key(&mut r)?,
            },
            11 => Body::Enact {
                proposal: Hash(r.array()?),
                board_root: Hash(r.array()?),
                actions: Action::decode_list(&mut r)?,
            },
            12 => Body::Hold(Hold::decode(&mut r)?),
            13 => Body::Settle {
                hold: Hash(r.array()?),
                settlement: Settlement::decode(&mut r)?,
            },
            14 => Body::Arrive(Arrival::decode(&mut r)?),
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "entry kind",
                    tag,
                })
            }
        };
        r.finish()?;
        Ok(Request {
            circle_id,
            author,
            nonce,
            body,
        })
    }

    /// Signs `body` as `author` for the circle `circle_id`, with a fresh random nonce.
    pub fn signed(circle_id: Hash, author: &SecretKey, body: Body) -> SignedRequest {
        Request {
            circle_id,
            author: author.public_key(),
            nonce: Nonce::random(),
            body,
        }
        .sign(author)
    }

    /// The signed genesis request of a new circle with `steward` as its first steward and
    /// `node_key` as the key that will sign its tree heads.
    pub fn genesis(spec: CircleSpec, steward: &SecretKey, node_key: PublicKey) -> SignedRequest {
        Request {
            circle_id: Hash::ZERO,
            author: steward.public_key(),
            nonce: Nonce::random(),
            body: Body::Genesis {
                spec,
                stewards: vec![steward.public_key()],
                node_key,
            },
        }
        .sign(steward)
    }

    /// Encodes and signs the request with the author's key.
    pub fn sign(self, key: &SecretKey) -> SignedRequest {
        Signed::sign(self, key)
    }
}

impl Signable for Request {
    const WHAT: &'static str = "request";
    // The ledger refuses non-canonical bytes itself, with a sentence (`Refusal`), so that an
    // auditor still reads and reports such an entry.
    const CANONICAL_ONLY: bool = false;
    fn encode(&self) -> Vec<u8> {
        Request::encode(self)
    }
    fn decode(bytes: &[u8]) -> Result<Request, DecodeError> {
        Request::decode(bytes)
    }
    fn signer(&self) -> &PublicKey {
        &self.author
    }
}

/// A request with its canonical bytes and the author's signature over them.
pub type SignedRequest = Signed<Request>;

/// A signed request placed in a circle's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub prev_hash: Hash,
    pub recorded_at_ms: i64,
    pub signed: SignedRequest,
}

impl Entry {
    /// The entry's canonical bytes: the data of its Merkle leaf.
    pub fn encode(&self) -> Vec<u8> {
        entry_bytes(
            self.seq,
            &self.prev_hash,
            self.recorded_at_ms,
            &self.signed.bytes,
            &self.signed.signature,
        )
    }
    /// The entry hash = the RFC 9162 leaf hash of its bytes; the next entry's `prev_hash`.
    pub fn hash(&self) -> Hash {
        crate::merkle::leaf_hash(&self.encode())
    }
}

/// Encodes an entry from its parts (used by the auditor, which may hold undecodable requests).
pub fn entry_bytes(
    seq: u64,
    prev_hash: &Hash,
    recorded_at_ms: i64,
    request: &[u8],
    signature: &Signature,
) -> Vec<u8> {
    let mut w = Writer::with_tag(ENTRY_TAG);
    w.u16(FORMAT_VERSION)
        .u64(seq)
        .fixed(&prev_hash.0)
        .i64(recorded_at_ms);
    w.u32(request.len() as u32)
        .fixed(request)
        .fixed(&signature.0);
    w.finish()
}

/// The node's signed statement of a circle's tree size and Merkle root at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeHead {
    pub circle_id: Hash,
    pub tree_size: u64,
    pub root: Hash,
    pub timestamp_ms: i64,
    pub signature: Signature,
}

impl TreeHead {
    pub fn signed_bytes(
        circle_id: &Hash,
        tree_size: u64,
        root: &Hash,
        timestamp_ms: i64,
    ) -> Vec<u8> {
        let mut w = Writer::with_tag(TREE_HEAD_TAG);
        w.u16(FORMAT_VERSION)
            .fixed(&circle_id.0)
            .u64(tree_size)
            .fixed(&root.0)
            .i64(timestamp_ms);
        w.finish()
    }
    pub fn sign(
        node_key: &SecretKey,
        circle_id: Hash,
        tree_size: u64,
        root: Hash,
        timestamp_ms: i64,
    ) -> TreeHead {
        let signature = node_key.sign(&Self::signed_bytes(
            &circle_id,
            tree_size,
            &root,
            timestamp_ms,
        ));
        TreeHead {
            circle_id,
            tree_size,
            root,
            timestamp_ms,
            signature,
        }
    }
    pub fn verify(&self, node_key: &PublicKey) -> bool {
        node_key.verify(
            &Self::signed_bytes(
                &self.circle_id,
                self.tree_size,
                &self.root,
                self.timestamp_ms,
            ),
            &self.signature,
        )
    }
}

/// The salted commitment to a memo that a transfer or request carries instead of the memo text.
/// Total: a text of any length hashes (its length as a `u32`, then its bytes), though the rules
/// and the auditor refuse memos longer than [`MEMO_BYTES_MAX`].
pub fn memo_hash(salt: &[u8; 16], text: &str) -> Hash {
    let mut w = Writer::with_tag(MEMO_TAG);
    w.fixed(salt)
        .u32(u32::try_from(text.len()).unwrap_or(u32::MAX))
        .fixed(text.as_bytes());
    Hash::sha256(&[&w.finish()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_bodies(a: PublicKey, b: PublicKey) -> Vec<Body> {
        let h = Hash([7; 32]);
        vec![
            Body::Genesis {
                spec: CircleSpec {
                    slug: "garden".into(),
                    name: "Garden".into(),
                    unit_name: "hours".into(),
                    unit_symbol: "h".into(),
                    decimals: 2,
                    default_floor_minor: -2000,
                    default_ceiling_minor: 5000,
                },
                stewards: vec![a],
                node_key: b,
            },
            Body::OpenAccount {
                account: b,
                floor_minor: -1,
                ceiling_minor: 2,
            },
            Body::SetLimits {
                account: b,
                floor_minor: -3,
                ceiling_minor: 4,
            },
            Body::RotateKey { old: a, new: b },
            Body::Transfer {
                payer: a,
                payee: b,
                amount_minor: 5,
                memo_hash: Some(h),
                cause: Cause::Direct,
            },
            Body::Transfer {
                payer: a,
                payee: b,
                amount_minor: 5,
                memo_hash: None,
                cause: Cause::AcceptsRequest(h),
            },
            Body::Transfer {
                payer: a,
                payee: b,
                amount_minor: 5,
                memo_hash: None,
                cause: Cause::Reverses(h),
            },
            Body::Transfer {
                payer: a,
                payee: b,
                amount_minor: 5,
                memo_hash: None,
                cause: Cause::Reference("deal:1".into()),
            },
            Body::RequestPayment {
                payer: a,
                payee: b,
                amount_minor: 9,
                memo_hash: None,
            },
            Body::CloseRequest { request: h },
            Body::CloseAccount { account: b },
            Body::AddSteward { key: b },
            Body::RemoveSteward { key: b },
            Body::Enact {
                proposal: h,
                board_root: Hash([8; 32]),
                actions: vec![
                    Action::SetDefaultLimits {
                        floor_minor: -5,
                        ceiling_minor: 6,
                    },
                    Action::SetLimits {
                        account: b,
                        floor_minor: -1,
                        ceiling_minor: 1,
                    },
                    Action::Admit { account: a },
                    Action::Remove { account: b },
                    Action::AddSteward { key: a },
                    Action::RemoveSteward { key: b },
                    Action::SetDocument {
                        document: DOCUMENT_POLICY,
                        hash: h,
                    },
                    Action::AppointModerator { account: a },
                    Action::EndModerator { account: b },
                    Action::Link(LinkTerms {
                        partner: h,
                        partner_node_key: b,
                        address: "https://other.example/c/repair".into(),
                        rate_here_minor: 100,
                        rate_there_minor: 12,
                        out_max_minor: 5000,
                        in_max_minor: 6000,
                        shares_market: true,
                        trust: crate::crossing::LinkTrust::Proved,
                    }),
                    Action::SetLinkStatus {
                        partner: h,
                        status: LinkStatus::Suspended,
                    },
                ],
            },
            Body::Hold(Hold {
                transfer: crate::crossing::TransferId([3; 16]),
                source: crate::crossing::HoldSource::Member(a),
                partner: h,
                amount_minor: 250,
                amount_there_minor: 30,
                destination: Hash([9; 32]),
                payee: b,
                deadline_ms: 1_000_000,
                memo_hash: Some(h),
            }),
            Body::Hold(Hold {
                transfer: crate::crossing::TransferId([3; 16]),
                source: crate::crossing::HoldSource::Link {
                    partner: Hash([4; 32]),
                    entry: Hash([5; 32]),
                },
                partner: h,
                amount_minor: 250,
                amount_there_minor: 30,
                destination: h,
                payee: b,
                deadline_ms: 1_000_000,
                memo_hash: None,
            }),
            Body::Settle {
                hold: h,
                settlement: Settlement::Commit {
                    remote: Hash([6; 32]),
                },
            },
            Body::Settle {
                hold: h,
                settlement: Settlement::Release,
            },
            Body::Arrive(Arrival {
                transfer: crate::crossing::TransferId([3; 16]),
                partner: h,
                remote: Hash([6; 32]),
                payee: a,
                amount_minor: 30,
                memo_hash: None,
            }),
        ]
    }

    #[test]
    fn every_kind_round_trips_and_any_flipped_byte_changes_the_meaning() {
        let key = SecretKey::generate();
        let other = SecretKey::generate().public_key();
        for body in sample_bodies(key.public_key(), other) {
            let request = Request {
                circle_id: Hash([1; 32]),
                author: key.public_key(),
                nonce: Nonce([2; 16]),
                body,
            };
            let signed = request.clone().sign(&key);
            assert_eq!(Request::decode(&signed.bytes).as_ref(), Ok(&request));
            assert!(signed.signature_is_valid());
            for index in 0..signed.bytes.len() {
                let mut bytes = signed.bytes.clone();
                bytes[index] ^= 0x01;
                let decoded = Request::decode(&bytes);
                assert_ne!(
                    decoded.as_ref(),
                    Ok(&request),
                    "byte {index} of {:?}",
                    request.body
                );
                assert!(!key.public_key().verify(&bytes, &signed.signature));
            }
            let mut longer = signed.bytes.clone();
            longer.push(0);
            assert!(Request::decode(&longer).is_err());
        }
    }

    #[test]
    fn tree_heads_sign_and_verify() {
        let node = SecretKey::generate();
        let head = TreeHead::sign(&node, Hash([1; 32]), 3, Hash([2; 32]), 1000);
        assert!(head.verify(&node.public_key()));
        let mut forged = head.clone();
        forged.tree_size = 4;
        assert!(!forged.verify(&node.public_key()));
    }
}
