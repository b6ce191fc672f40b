//! The Credit Commons protocol's shapes (cc-node, as Komunitin implements it), and what this
//! node reads of them, without IO: a transaction (`uuid`, `state`, `workflow`, `entries` of
//! `payer`, `payee`, `quant`, `description`, `metadata`), its states, the chain of hashes the
//! two sides keep of their shared account, and the one rule that reads a relayed transaction
//! as a payment to a member here.

use commons_ledger::crossing::is_cc_path;
use commons_ledger::keys::Hash;
use serde::{Deserialize, Serialize};

/// Places after the point in a Credit Commons amount (`quant`) this node reads.
pub const CC_DECIMALS: u32 = 2;
/// Most entries in one transaction (the payment, and the fees nodes on the way add).
pub const CC_ENTRIES_MAX: usize = 20;
/// Longest description of an entry kept.
pub const CC_DESCRIPTION_BYTES_MAX: usize = 500;
/// How long a validated transaction waits for its completion (seconds).
pub const CC_VALID_SECS: i64 = 300;
/// Largest amount read (in minor units of the partner's unit).
pub const CC_QUANT_MINOR_MAX: i64 = 1_000_000_000_000;
/// The workflow this node uses for payments it sends: the payer sends, and it completes at
/// once (`|` created by the payer, `P-` pending, `C+`/`CX+` as cc-node writes it).
pub const CC_WORKFLOW_SEND: &str = "|P-PC+CX+";

/// One entry of a Credit Commons transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CcEntry {
    pub payer: String,
    pub payee: String,
    /// A JSON number in the partner's unit.
    pub quant: serde_json::Number,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub metadata: serde_json::Value,
}

/// A Credit Commons transaction as relayed between nodes. Unknown fields are ignored: nodes
/// of other versions add their own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CcTransaction {
    pub uuid: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub workflow: String,
    pub entries: Vec<CcEntry>,
}

/// The answer to a relayed transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CcRelayAnswer {
    pub data: Vec<CcEntry>,
    pub meta: CcRelayMeta,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CcRelayMeta {
    pub secs_valid_left: i64,
}

/// A transaction's state in the partner's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CcState {
    Validated,
    Pending,
    Completed,
    Erased,
}

impl CcState {
    /// The letter cc-node writes (`V`, `P`, `C`, `E`), or its word; `X` (cc-node's "erased"
    /// in some versions) reads as erased.
    pub fn parse(text: &str) -> Option<CcState> {
        match text.trim().to_ascii_lowercase().as_str() {
            "v" | "validated" => Some(CcState::Validated),
            "p" | "pending" => Some(CcState::Pending),
            "c" | "completed" => Some(CcState::Completed),
            "e" | "x" | "erased" => Some(CcState::Erased),
            _ => None,
        }
    }
    pub fn letter(self) -> &'static str {
        match self {
            CcState::Validated => "V",
            CcState::Pending => "P",
            CcState::Completed => "C",
            CcState::Erased => "E",
        }
    }
}

/// Why a relayed transaction is not a payment this node takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CcRefusal {
    #[error("the transaction's uuid is not a UUID")]
    BadUuid,
    #[error("a transaction has 1 to {CC_ENTRIES_MAX} entries")]
    EntryCount,
    #[error("an account path is not one this node reads: {0}")]
    BadPath(String),
    #[error("quant {0} is not an amount above zero with at most {CC_DECIMALS} places")]
    BadQuant(String),
    #[error("every entry must have one account on this circle and one elsewhere, and only one account here")]
    NotOneAccountHere,
    #[error("the entries must leave the account here better off")]
    NothingGained,
}

/// A relayed transaction read as a payment to one member here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingPayment {
    /// The member's username (the last name of their path).
    pub username: String,
    /// What they gain, net of the fees the entries charge them, in the partner's minor units.
    pub net_there_minor: i64,
    /// The first payer's path, for the member's history.
    pub payer: String,
    pub description: String,
}

/// An amount in the partner's minor units, from its JSON number.
pub fn quant_minor(quant: &serde_json::Number) -> Result<i64, CcRefusal> {
    let text = quant.to_string();
    let bad = || CcRefusal::BadQuant(text.chars().take(40).collect());
    let decimal: rust_decimal::Decimal = text.parse().map_err(|_| bad())?;
    let scaled = decimal * rust_decimal::Decimal::from(10_i64.pow(CC_DECIMALS));
    if scaled.fract() != rust_decimal::Decimal::ZERO || scaled <= rust_decimal::Decimal::ZERO {
        return Err(bad());
    }
    let minor: i64 = scaled.try_into().map_err(|_| bad())?;
    if minor > CC_QUANT_MINOR_MAX {
        return Err(bad());
    }
    Ok(minor)
}

/// An amount in the partner's minor units as a JSON number (`12.5`; a balance may be `-9`).
pub fn minor_quant(minor: i64) -> serde_json::Number {
    let decimal = rust_decimal::Decimal::new(minor, CC_DECIMALS).normalize();
    decimal
        .to_string()
        .parse()
        .unwrap_or_else(|_| serde_json::Number::from(0))
}

/// The member here a path names (`{our_path}/{username}`), if it names one.
fn local_name<'a>(path: &'a str, our_path: &str) -> Option<&'a str> {
    path.strip_prefix(our_path)?
        .strip_prefix('/')
        .filter(|name| !name.is_empty() && !name.contains('/'))
}

/// Reads a relayed transaction as a payment to one member here: every entry has exactly one
/// account here, always the same one, and the entries leave it better off.
pub fn incoming(tx: &CcTransaction, our_path: &str) -> Result<IncomingPayment, CcRefusal> {
    if commons_ledger::crossing::TransferId::parse(&tx.uuid).is_none() {
        return Err(CcRefusal::BadUuid);
    }
    if tx.entries.is_empty() || tx.entries.len() > CC_ENTRIES_MAX {
        return Err(CcRefusal::EntryCount);
    }
    let mut here: Option<&str> = None;
    let mut net: i64 = 0;
    let mut payer = None;
    for entry in &tx.entries {
        for path in [&entry.payer, &entry.payee] {
            if !is_cc_path(path) {
                return Err(CcRefusal::BadPath(path.chars().take(100).collect()));
            }
        }
        let quant = quant_minor(&entry.quant)?;
        let (name, gain) = match (
            local_name(&entry.payee, our_path),
            local_name(&entry.payer, our_path),
        ) {
            (Some(name), None) => {
                payer.get_or_insert(entry.payer.as_str());
                (name, quant)
            }
            (None, Some(name)) => (name, -quant),
            _ => return Err(CcRefusal::NotOneAccountHere),
        };
        if here.is_some_and(|known| known != name) {
            return Err(CcRefusal::NotOneAccountHere);
        }
        here = Some(name);
        net += gain;
    }
    let (Some(username), Some(payer)) = (here, payer) else {
        return Err(CcRefusal::NothingGained);
    };
    if net <= 0 {
        return Err(CcRefusal::NothingGained);
    }
    let description: String = tx.entries[0]
        .description
        .chars()
        .filter(|c| !c.is_control())
        .take(CC_DESCRIPTION_BYTES_MAX / 4)
        .collect();
    Ok(IncomingPayment {
        username: username.to_owned(),
        net_there_minor: net,
        payer: payer.to_owned(),
        description,
    })
}

/// The chain's next value after transaction `uuid` completed: the hex SHA-256 of the previous
/// value, a `|`, and the UUID. (cc-node's own rule is not in its published API description; a
/// partner that uses another says so at the first completed transaction, and the two operators
/// start the chain again: `docs/federation.md`.)
pub fn next_hash(previous: &str, uuid: &str) -> String {
    Hash::sha256(&[previous.as_bytes(), b"|", uuid.as_bytes()]).to_hex()
}

/// Longest part of a partner's answer shown to a member.
pub const PARTNER_WORDS_CHARS_MAX: usize = 300;

/// What a partner's answer says, in words a page can show: the texts of a Credit Commons error
/// list (`{"errors": ["…"]}` or JSON:API objects with `detail` or `title`), the message of this
/// protocol's own envelope, or else the text itself; never control characters, at most
/// [`PARTNER_WORDS_CHARS_MAX`] characters.
pub fn partner_words(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => {
            let errors = value["errors"].as_array().map(|errors| {
                errors
                    .iter()
                    .filter_map(|error| {
                        error
                            .as_str()
                            .or_else(|| error["detail"].as_str())
                            .or_else(|| error["title"].as_str())
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            });
            errors
                .filter(|words| !words.is_empty())
                .or_else(|| value["error"]["message"].as_str().map(str::to_owned))
                .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned())
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    text.chars()
        .filter(|c| !c.is_control())
        .take(PARTNER_WORDS_CHARS_MAX)
        .collect()
}

/// The hash of a message's bytes as received or sent (what the ledger's entry names).
pub fn body_hash(bytes: &[u8]) -> Hash {
    Hash::sha256(&[b"commons.cc.body", bytes])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(payer: &str, payee: &str, quant: &str) -> CcEntry {
        CcEntry {
            payer: payer.into(),
            payee: payee.into(),
            quant: quant.parse().expect("number"),
            description: "bread".into(),
            metadata: serde_json::json!({}),
        }
    }

    fn tx(entries: Vec<CcEntry>) -> CcTransaction {
        CcTransaction {
            uuid: "3d8ebb9f-6a29-42cb-9d39-9ee0a6bf7f1c".into(),
            state: "V".into(),
            workflow: "|P-PC+CX+".into(),
            entries,
        }
    }

    #[test]
    fn a_payment_to_a_member_here_is_read_net_of_the_fees_it_pays() {
        let read = incoming(
            &tx(vec![
                entry("trunk/branch/alice", "trunk/garden/bo", "14"),
                entry("trunk/garden/bo", "trunk/branch/admin", "2.5"),
            ]),
            "trunk/garden",
        )
        .expect("a payment");
        assert_eq!(read.username, "bo");
        assert_eq!(read.net_there_minor, 1150);
        assert_eq!(read.payer, "trunk/branch/alice");
    }

    #[test]
    fn a_transaction_that_is_not_one_payment_to_one_member_here_is_refused() {
        let ours = "trunk/garden";
        for (entries, refusal) in [
            (vec![], CcRefusal::EntryCount),
            (
                vec![entry("trunk/a", "trunk/b", "1")],
                CcRefusal::NotOneAccountHere,
            ),
            (
                vec![entry("trunk/garden/ann", "trunk/garden/bo", "1")],
                CcRefusal::NotOneAccountHere,
            ),
            (
                vec![
                    entry("trunk/a", "trunk/garden/bo", "1"),
                    entry("trunk/a", "trunk/garden/ann", "1"),
                ],
                CcRefusal::NotOneAccountHere,
            ),
            (
                vec![entry("trunk/garden/bo", "trunk/a", "1")],
                CcRefusal::NothingGained,
            ),
            (
                vec![
                    entry("trunk/a", "trunk/garden/bo", "1"),
                    entry("trunk/garden/bo", "trunk/a", "1"),
                ],
                CcRefusal::NothingGained,
            ),
            (
                vec![entry("trunk/a", "trunk/garden/bo/x", "1")],
                CcRefusal::NotOneAccountHere,
            ),
            (
                vec![entry("Trunk/A", "trunk/garden/bo", "1")],
                CcRefusal::BadPath("Trunk/A".into()),
            ),
        ] {
            assert_eq!(
                incoming(&tx(entries.clone()), ours),
                Err(refusal),
                "{entries:?}"
            );
        }
        let mut bad_uuid = tx(vec![entry("trunk/a", "trunk/garden/bo", "1")]);
        bad_uuid.uuid = "existing".into();
        assert_eq!(incoming(&bad_uuid, ours), Err(CcRefusal::BadUuid));
    }

    #[test]
    fn an_amount_is_above_zero_with_at_most_two_places() {
        let number = |text: &str| text.parse::<serde_json::Number>().expect("number");
        assert_eq!(quant_minor(&number("14")), Ok(1400));
        assert_eq!(quant_minor(&number("0.01")), Ok(1));
        assert_eq!(quant_minor(&number("2.50")), Ok(250));
        for bad in ["0", "-1", "0.001", "1e300", "10000000001"] {
            assert!(quant_minor(&number(bad)).is_err(), "{bad}");
        }
        assert_eq!(minor_quant(1150).to_string(), "11.5");
        assert_eq!(minor_quant(1400).to_string(), "14");
        assert_eq!(minor_quant(-900).to_string(), "-9");
    }

    #[test]
    fn the_chain_moves_with_each_completed_transaction() {
        let first = next_hash("agreed", "3d8ebb9f-6a29-42cb-9d39-9ee0a6bf7f1c");
        assert_eq!(first.len(), 64);
        assert_ne!(
            first,
            next_hash("agreed", "3d8ebb9f-6a29-42cb-9d39-9ee0a6bf7f1d")
        );
        assert_ne!(
            first,
            next_hash("other", "3d8ebb9f-6a29-42cb-9d39-9ee0a6bf7f1c")
        );
    }

    #[test]
    fn a_partners_refusal_is_read_as_its_words() {
        assert_eq!(
            partner_words(br#"{"errors":["no account trunk/nobody"]}"#),
            "no account trunk/nobody"
        );
        assert_eq!(
            partner_words(
                br#"{"errors":[{"status":"400","detail":"Payee unknown"},{"title":"Bad"}]}"#
            ),
            "Payee unknown; Bad"
        );
        assert_eq!(
            partner_words(br#"{"error":{"code":"x","message":"Too late"}}"#),
            "Too late"
        );
        assert_eq!(partner_words(b"Gateway\x07\ndown"), "Gatewaydown");
        assert_eq!(partner_words(&[b'a'; 1000]).len(), PARTNER_WORDS_CHARS_MAX);
    }

    #[test]
    fn states_read_as_letters_or_words() {
        assert_eq!(CcState::parse("C"), Some(CcState::Completed));
        assert_eq!(CcState::parse("completed"), Some(CcState::Completed));
        assert_eq!(CcState::parse("X"), Some(CcState::Erased));
        assert_eq!(CcState::parse("maybe"), None);
    }
}
