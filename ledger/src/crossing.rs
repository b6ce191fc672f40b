//! The ledger records of trade between linked circles, with their canonical encodings: the
//! terms of a link (enacted by a passed proposal), a payment held on its way out, its
//! settlement, and a payment arriving from a linked circle.
//!
//! A payment from a member of A to a member of B is recorded in each circle in its own unit:
//! A holds it (payer → the connector account of B, pending), B records its arrival (connector
//! of A → payee, final), then A settles the hold, naming B's entry. A payment routed through a
//! middle circle is held there too (connector of A → connector of C). The protocol that moves
//! these between nodes is in `docs/federation.md`; the rules that keep each circle's books are
//! in `state/links.rs`.

use std::fmt;

use crate::codec::{DecodeError, Reader, Writer};
use crate::keys::{Hash, PublicKey};
use crate::link::{ExchangeRate, LinkError, TradeLimits};

/// Longest address of a linked circle on another node (`https://node.example/c/garden`).
pub const LINK_ADDRESS_BYTES_MAX: usize = 300;
/// The domain of connector account keys: no member key can equal one (it would need the
/// discrete logarithm of a hash).
const CONNECTOR_TAG: &[u8] = b"commons.ledger.connector";

/// The key of the account a circle holds for its link to `partner` (the other circle's id).
pub fn connector_key(partner: &Hash) -> PublicKey {
    PublicKey::from_raw(Hash::sha256(&[CONNECTOR_TAG, &partner.0]).0)
}

/// A payment's identity across every circle it passes, chosen by the payer's client (a UUID's
/// 16 bytes), so that every step of the protocol can be retried without paying twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransferId(pub [u8; 16]);

impl TransferId {
    pub fn random() -> TransferId {
        TransferId(crate::keys::Nonce::random().0)
    }

    /// The UUID form, `8-4-4-4-12` lowercase hex.
    pub fn parse(text: &str) -> Option<TransferId> {
        let hex: String = text.chars().filter(|c| *c != '-').collect();
        if hex.len() != 32 || text.len() != 36 {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(index * 2..index * 2 + 2)?, 16).ok()?;
        }
        let id = TransferId(bytes);
        (id.to_string() == text.to_ascii_lowercase()).then_some(id)
    }
}

impl fmt::Display for TransferId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, byte) in self.0.iter().enumerate() {
            if [4, 6, 8, 10].contains(&index) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// Whether a link carries new payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    /// Tag 1: payments flow both ways.
    Open,
    /// Tag 2: no new payments either way; what is in flight still settles; the balance stays.
    Suspended,
    /// Tag 3: ended, at a zero balance of trade. A closed link can be opened again by a new
    /// proposal with its terms.
    Closed,
}

impl LinkStatus {
    pub fn tag(self) -> u8 {
        match self {
            LinkStatus::Open => 1,
            LinkStatus::Suspended => 2,
            LinkStatus::Closed => 3,
        }
    }
    pub fn from_tag(tag: u8) -> Result<LinkStatus, DecodeError> {
        match tag {
            1 => Ok(LinkStatus::Open),
            2 => Ok(LinkStatus::Suspended),
            3 => Ok(LinkStatus::Closed),
            tag => Err(DecodeError::UnknownTag {
                what: "link status",
                tag,
            }),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Open => "open",
            LinkStatus::Suspended => "suspended",
            LinkStatus::Closed => "closed",
        }
    }
}

/// What a circle agreed about its link with another: enacted by `Action::Link`. Enacting new
/// terms for a linked circle changes the rate and limits from that entry on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTerms {
    /// The other circle's id (the hash of its genesis entry).
    pub partner: Hash,
    /// The key that signs the other circle's tree heads and its node's requests to this one.
    pub partner_node_key: PublicKey,
    /// Where the other circle is: empty on this node, else its address on its node.
    pub address: String,
    /// `rate_here_minor` of this circle's minor units are worth `rate_there_minor` of the
    /// other's (an exact rational; see `link::ExchangeRate`).
    pub rate_here_minor: i64,
    pub rate_there_minor: i64,
    /// Most this circle may owe across the link (its members bought more than they sold).
    pub out_max_minor: i64,
    /// Most the other circle may owe this one.
    pub in_max_minor: i64,
    /// Whether this circle's members see the other circle's offers and needs.
    pub shares_market: bool,
    /// How this circle knows what the other records.
    pub trust: LinkTrust,
}

/// Longest Credit Commons node path (`trunk/valley/garden`).
pub const CC_PATH_BYTES_MAX: usize = 100;
/// Longest name of one node in a Credit Commons path.
pub const CC_NAME_BYTES_MAX: usize = 32;
/// The partner id of a Credit Commons node is derived from where it is, in this domain.
const CC_PARTNER_TAG: &[u8] = b"commons.ledger.cc-partner";
/// The payee of a payment to a Credit Commons account is this domain's hash of its path.
const CC_ACCOUNT_TAG: &[u8] = b"commons.ledger.cc-account";

/// How a circle knows what its partner records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTrust {
    /// Action tag 10: a circle of this protocol. Its node signs its tree heads and proves every
    /// entry that crosses the link (`relay`), so `audit --link` checks both sides.
    Proved,
    /// Action tag 12: a Credit Commons node. It neither signs nor proves its entries: what it
    /// says it recorded is taken on its word, and the auditor reports those entries as resting
    /// on it. `partner_node_key` is [`NO_NODE_KEY`] and the partner's id is
    /// [`cc_partner_id`] of its address and path.
    OnItsWord {
        /// The partner node's path in its tree (`trunk`): its `cc-node` header.
        their_path: String,
        /// This circle's path as the partner knows it (`trunk/garden`): accounts here are
        /// `{our_path}/{username}` there.
        our_path: String,
    },
}

impl LinkTrust {
    pub fn is_proved(&self) -> bool {
        matches!(self, LinkTrust::Proved)
    }
}

/// The node key of a link whose partner has none (a Credit Commons node): no signature
/// verifies under it.
pub const NO_NODE_KEY: [u8; 32] = [0; 32];

/// The id of a Credit Commons partner at `address` with node path `their_path`.
pub fn cc_partner_id(address: &str, their_path: &str) -> Hash {
    Hash::sha256(&[
        CC_PARTNER_TAG,
        &(address.len() as u32).to_be_bytes(),
        address.as_bytes(),
        &(their_path.len() as u32).to_be_bytes(),
        their_path.as_bytes(),
    ])
}

/// The payee key a hold names for an account of a Credit Commons partner (`trunk/bob`).
pub fn cc_account_key(path: &str) -> PublicKey {
    PublicKey::from_raw(Hash::sha256(&[CC_ACCOUNT_TAG, path.as_bytes()]).0)
}

/// Whether `path` is a Credit Commons node or account path: names of lowercase letters,
/// digits, `-` and `_` (at most [`CC_NAME_BYTES_MAX`] bytes each) joined by `/`.
pub fn is_cc_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= CC_PATH_BYTES_MAX
        && path.split('/').all(|name| {
            !name.is_empty()
                && name.len() <= CC_NAME_BYTES_MAX
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
}

impl LinkTerms {
    /// The key the partner's node signs with; none for a partner taken on its word (so no
    /// signature, however made, is ever taken for one of it).
    pub fn node_key(&self) -> Option<&PublicKey> {
        self.trust.is_proved().then_some(&self.partner_node_key)
    }
    pub fn rate(&self) -> Result<ExchangeRate, LinkError> {
        ExchangeRate::new(self.rate_here_minor, self.rate_there_minor)
    }
    pub fn limits(&self) -> TradeLimits {
        TradeLimits {
            out_max_minor: self.out_max_minor,
            in_max_minor: self.in_max_minor,
        }
    }
    /// The action tag these terms are written under: 10 proved, 12 on its word.
    pub(crate) fn action_tag(&self) -> u8 {
        match self.trust {
            LinkTrust::Proved => 10,
            LinkTrust::OnItsWord { .. } => 12,
        }
    }
    pub(crate) fn encode(&self, w: &mut Writer) {
        w.fixed(&self.partner.0);
        match &self.trust {
            LinkTrust::Proved => {
                w.fixed(self.partner_node_key.as_bytes()).str(&self.address);
            }
            LinkTrust::OnItsWord {
                their_path,
                our_path,
            } => {
                w.str(&self.address).str(their_path).str(our_path);
            }
        }
        w.i64(self.rate_here_minor)
            .i64(self.rate_there_minor)
            .i64(self.out_max_minor)
            .i64(self.in_max_minor);
        if self.trust.is_proved() {
            w.u8(u8::from(self.shares_market));
        }
    }
    /// Action tag 10.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<LinkTerms, DecodeError> {
        Ok(LinkTerms {
            partner: Hash(r.array()?),
            partner_node_key: PublicKey::from_raw(r.array()?),
            address: r.string()?,
            rate_here_minor: r.i64()?,
            rate_there_minor: r.i64()?,
            out_max_minor: r.i64()?,
            in_max_minor: r.i64()?,
            shares_market: read_bool(r)?,
            trust: LinkTrust::Proved,
        })
    }
    /// Action tag 12: a Credit Commons partner, which shares no market.
    pub(crate) fn decode_on_its_word(r: &mut Reader<'_>) -> Result<LinkTerms, DecodeError> {
        let partner = Hash(r.array()?);
        let address = r.string()?;
        let their_path = r.string()?;
        let our_path = r.string()?;
        Ok(LinkTerms {
            partner,
            partner_node_key: PublicKey::from_raw(NO_NODE_KEY),
            address,
            rate_here_minor: r.i64()?,
            rate_there_minor: r.i64()?,
            out_max_minor: r.i64()?,
            in_max_minor: r.i64()?,
            shares_market: false,
            trust: LinkTrust::OnItsWord {
                their_path,
                our_path,
            },
        })
    }
}

/// Where a held payment's credit comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldSource {
    /// Tag 1: a member of this circle pays (and signs the hold).
    Member(PublicKey),
    /// Tag 2: the payment arrived from the linked circle `partner`, held there as its entry
    /// `entry`, and passes on through this circle (signed by this circle's node key).
    Link { partner: Hash, entry: Hash },
}

/// A payment leaving this circle through its link to `partner`, held until it settles: the
/// source's available credit and the link's room shrink by the amount meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub transfer: TransferId,
    pub source: HoldSource,
    /// The next circle on the way (its id).
    pub partner: Hash,
    /// The amount in this circle's unit.
    pub amount_minor: i64,
    /// The same amount in the next circle's unit, at the link's rate (rounded down).
    pub amount_there_minor: i64,
    /// The circle the payee is in (the next one, or one further on).
    pub destination: Hash,
    /// The payee's account key in the destination circle.
    pub payee: PublicKey,
    /// After this time (ms since 1970, UTC) the next circle refuses the payment.
    pub deadline_ms: i64,
    pub memo_hash: Option<Hash>,
}

impl Hold {
    pub(crate) fn encode(&self, w: &mut Writer) {
        w.fixed(&self.transfer.0);
        match &self.source {
            HoldSource::Member(key) => w.u8(1).fixed(key.as_bytes()),
            HoldSource::Link { partner, entry } => w.u8(2).fixed(&partner.0).fixed(&entry.0),
        };
        w.fixed(&self.partner.0)
            .i64(self.amount_minor)
            .i64(self.amount_there_minor)
            .fixed(&self.destination.0)
            .fixed(self.payee.as_bytes())
            .i64(self.deadline_ms);
        write_option_hash(w, &self.memo_hash);
    }
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Hold, DecodeError> {
        let transfer = TransferId(r.array()?);
        let source = match r.u8()? {
            1 => HoldSource::Member(PublicKey::from_raw(r.array()?)),
            2 => HoldSource::Link {
                partner: Hash(r.array()?),
                entry: Hash(r.array()?),
            },
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "hold source",
                    tag,
                })
            }
        };
        Ok(Hold {
            transfer,
            source,
            partner: Hash(r.array()?),
            amount_minor: r.i64()?,
            amount_there_minor: r.i64()?,
            destination: Hash(r.array()?),
            payee: PublicKey::from_raw(r.array()?),
            deadline_ms: r.i64()?,
            memo_hash: read_option_hash(r)?,
        })
    }
}

/// A payment arriving from the linked circle `partner`, where it is held as entry `remote`:
/// the connector account of `partner` pays the payee. Final once recorded; the sending circle
/// then settles its hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    pub transfer: TransferId,
    pub partner: Hash,
    pub remote: Hash,
    pub payee: PublicKey,
    /// The amount in this circle's unit (the hold's `amount_there_minor`).
    pub amount_minor: i64,
    pub memo_hash: Option<Hash>,
}

impl Arrival {
    pub(crate) fn encode(&self, w: &mut Writer) {
        w.fixed(&self.transfer.0)
            .fixed(&self.partner.0)
            .fixed(&self.remote.0)
            .fixed(self.payee.as_bytes())
            .i64(self.amount_minor);
        write_option_hash(w, &self.memo_hash);
    }
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Arrival, DecodeError> {
        Ok(Arrival {
            transfer: TransferId(r.array()?),
            partner: Hash(r.array()?),
            remote: Hash(r.array()?),
            payee: PublicKey::from_raw(r.array()?),
            amount_minor: r.i64()?,
            memo_hash: read_option_hash(r)?,
        })
    }
}

/// How a hold ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// Tag 1: the next circle recorded the payment as its entry with this hash: the credit
    /// moves from the source to the connector.
    Commit { remote: Hash },
    /// Tag 2: the next circle refused it, or it passed its deadline unrecorded: nothing moves.
    Release,
}

impl Settlement {
    pub(crate) fn encode(&self, w: &mut Writer) {
        match self {
            Settlement::Commit { remote } => w.u8(1).fixed(&remote.0),
            Settlement::Release => w.u8(2),
        };
    }
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Settlement, DecodeError> {
        match r.u8()? {
            1 => Ok(Settlement::Commit {
                remote: Hash(r.array()?),
            }),
            2 => Ok(Settlement::Release),
            tag => Err(DecodeError::UnknownTag {
                what: "settlement",
                tag,
            }),
        }
    }
}

fn read_bool(r: &mut Reader<'_>) -> Result<bool, DecodeError> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        tag => Err(DecodeError::UnknownTag { what: "bool", tag }),
    }
}

pub(crate) fn write_option_hash(writer: &mut Writer, hash: &Option<Hash>) {
    match hash {
        None => writer.u8(0),
        Some(hash) => writer.u8(1).fixed(&hash.0),
    };
}

pub(crate) fn read_option_hash(reader: &mut Reader<'_>) -> Result<Option<Hash>, DecodeError> {
    match reader.u8()? {
        0 => Ok(None),
        1 => Ok(Some(Hash(reader.array()?))),
        tag => Err(DecodeError::UnknownTag {
            what: "option",
            tag,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transfer_id_reads_back_from_its_uuid_form_and_nothing_else_does() {
        let id = TransferId([
            0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8,
        ]);
        let text = id.to_string();
        assert_eq!(text, "12345678-9abc-def0-0102-030405060708");
        assert_eq!(TransferId::parse(&text), Some(id));
        assert_eq!(TransferId::parse(&text.to_uppercase()), Some(id));
        for bad in [
            "",
            "12345678-9abc-def0-0102-03040506070",
            "123456789abcdef00102030405060708",
            "1234567-89abc-def0-0102-030405060708",
            "12345678-9abc-def0-0102-03040506070g",
            "12345678-9abc-def0-0102-0304050607080",
        ] {
            assert_eq!(TransferId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn connector_keys_differ_per_partner() {
        assert_ne!(connector_key(&Hash([1; 32])), connector_key(&Hash([2; 32])));
    }
}
