//! A member's statement: their own entries in one circle, each with an RFC 9162 inclusion
//! proof against a tree head the circle's node key signed, and the genesis entry (which names
//! that node key) with its own proof. [`verify_statement`] checks it offline with nothing else:
//! a member proves their history without anyone else's entries, and any changed byte is found.

use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use crate::crossing::{HoldSource, Settlement};
use crate::entry::{entry_bytes, memo_hash, Body, Request, TreeHead};
use crate::export::{EntryLine, RawEntry, TreeHeadLine};
use crate::keys::{Hash, PublicKey};
use crate::merkle::{leaf_hash, verify_inclusion};
use crate::store::StoredEntry;

pub const STATEMENT_FORMAT: &str = "commons-ledger-statement";
pub const STATEMENT_VERSION: u16 = 1;
/// Most entries one statement holds.
pub const STATEMENT_ENTRIES_MAX: usize = 1_000_000;
/// Most account keys one statement names (a member's keys over their rotations).
pub const STATEMENT_ACCOUNTS_MAX: usize = 16;
/// Most faults one check reports.
pub const STATEMENT_FAULTS_MAX: usize = 100;

/// An entry with its inclusion proof (hex hashes, from the leaf up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvedEntry {
    pub entry: EntryLine,
    pub proof: Vec<String>,
}

/// A member's statement of one circle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub format: String,
    pub version: u16,
    pub slug: String,
    pub circle_id: String,
    /// The member's account keys (more than one if they rotated their key).
    pub accounts: Vec<String>,
    pub tree_head: TreeHeadLine,
    pub genesis: ProvedEntry,
    /// The member's entries, oldest first.
    pub entries: Vec<ProvedEntry>,
}

/// An entry of the store with its proof, as a statement holds it.
pub fn proved(stored: &StoredEntry, proof: &[Hash]) -> ProvedEntry {
    let raw = RawEntry::from_entry(&stored.entry, stored.memo.clone());
    ProvedEntry {
        entry: EntryLine::from_raw(&raw, &stored.hash),
        proof: proof.iter().map(Hash::to_hex).collect(),
    }
}

/// What [`verify_statement`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatementReport {
    pub slug: String,
    pub entries_checked: u64,
    /// Transfers received minus transfers paid by the statement's accounts, in minor units.
    pub net_minor: i128,
    pub faults: Vec<String>,
}

impl StatementReport {
    pub fn is_clean(&self) -> bool {
        self.faults.is_empty()
    }
}

/// One entry read and checked: its request, if it could be read, and whether it is in the tree.
fn check_entry(
    proved: &ProvedEntry,
    circle_id: &Hash,
    head: &TreeHead,
    faults: &mut Vec<String>,
) -> Option<(Request, Vec<u8>, Hash)> {
    let seq = proved.entry.seq;
    let raw = match proved.entry.to_raw() {
        Ok(raw) => raw,
        Err(error) => {
            faults.push(format!("entry {seq}: it cannot be read ({error})"));
            return None;
        }
    };
    let request = match Request::decode(&raw.request) {
        Ok(request) => request,
        Err(error) => {
            faults.push(format!("entry {seq}: its request cannot be read ({error})"));
            return None;
        }
    };
    if !request.author.verify(&raw.request, &raw.signature) {
        faults.push(format!(
            "entry {seq}: its author's signature does not verify (it was changed)"
        ));
    }
    if request.circle_id != *circle_id {
        faults.push(format!("entry {seq}: it belongs to another circle"));
    }
    let leaf = leaf_hash(&entry_bytes(
        seq,
        &raw.prev_hash,
        raw.recorded_at_ms,
        &raw.request,
        &raw.signature,
    ));
    if raw.claimed_hash.is_some_and(|claimed| claimed != leaf) {
        faults.push(format!(
            "entry {seq}: its stated hash is not the hash of its bytes"
        ));
    }
    let proof: Result<Vec<Hash>, _> = proved.proof.iter().map(|h| Hash::from_hex(h)).collect();
    let included = proof.is_ok_and(|proof| {
        verify_inclusion(seq, head.tree_size, &leaf.0, &proof, &head.root.0).is_ok()
    });
    if !included {
        faults.push(format!(
            "entry {seq}: its proof does not place it in the signed tree head"
        ));
    }
    let committed = request.body.memo_hash();
    if let Some(memo) = &raw.memo {
        if committed != Some(memo_hash(&memo.salt, &memo.text)) {
            faults.push(format!(
                "entry {seq}: its memo is not the one the entry commits to"
            ));
        }
    }
    Some((request, raw.request, leaf))
}

/// Checks a statement offline: the genesis entry at 0 (naming the node key and the circle's
/// slug) in the tree, the tree head signed by that key, each entry signed by its author, of
/// this circle, in the tree at its place, once and in order, with its memo (of a payment or a
/// request) as committed, and about one of the statement's accounts, and each account opened,
/// admitted or rotated to by an entry shown. It proves every entry shown is in the ledger; it cannot prove that
/// none was left out (the net it reports is over the entries shown). Never panics, whatever
/// the input.
pub fn verify_statement(text: &str) -> StatementReport {
    let mut report = StatementReport::default();
    let statement: Statement = match serde_json::from_str(text) {
        Ok(statement) => statement,
        Err(error) => {
            report
                .faults
                .push(format!("the statement cannot be read: {error}"));
            return report;
        }
    };
    report.slug = statement.slug.clone();
    if statement.format != STATEMENT_FORMAT || statement.version != STATEMENT_VERSION {
        report.faults.push(format!(
            "not a statement this tool reads ({} {})",
            statement.format, statement.version
        ));
        return report;
    }
    if statement.entries.len() > STATEMENT_ENTRIES_MAX {
        report
            .faults
            .push(format!("more than {STATEMENT_ENTRIES_MAX} entries"));
        return report;
    }
    let (Ok(circle_id), Ok(head)) = (
        Hash::from_hex(&statement.circle_id),
        statement.tree_head.to_head(),
    ) else {
        report
            .faults
            .push("the circle id or the tree head cannot be read".into());
        return report;
    };
    if statement.accounts.len() > STATEMENT_ACCOUNTS_MAX {
        report
            .faults
            .push(format!("more than {STATEMENT_ACCOUNTS_MAX} accounts"));
        return report;
    }
    let accounts: Vec<PublicKey> = statement
        .accounts
        .iter()
        .filter_map(|k| k.parse().ok())
        .collect();
    if accounts.len() != statement.accounts.len() || accounts.is_empty() {
        report
            .faults
            .push("the statement's accounts are not keys".into());
    }
    if head.circle_id != circle_id {
        report
            .faults
            .push("the tree head is another circle's".into());
    }
    let mut proven = check_genesis(
        &statement.genesis,
        &circle_id,
        &head,
        &statement.slug,
        &mut report.faults,
    );
    let mut last_seq = 0u64;
    // The member's holds shown so far, with their amounts, so their settlements count.
    let mut member_holds: HashMap<Hash, i64> = HashMap::new();
    for proved in &statement.entries {
        report.entries_checked += 1;
        if report.faults.len() >= STATEMENT_FAULTS_MAX {
            break;
        }
        // Each entry once, in the log's order: a repeated entry would count twice.
        if proved.entry.seq <= last_seq {
            report.faults.push(format!(
                "entry {}: not after the entry before it (repeated or out of order)",
                proved.entry.seq
            ));
            continue;
        }
        last_seq = proved.entry.seq;
        let Some((request, bytes, leaf)) =
            check_entry(proved, &circle_id, &head, &mut report.faults)
        else {
            continue;
        };
        proven.extend(keys_opened_by(&request.body));
        // A settlement names the hold it ends, not the member: it is theirs when the hold is.
        let settles_theirs = matches!(&request.body,
            Body::Settle { hold, .. } if member_holds.contains_key(hold));
        let about_member = settles_theirs
            || accounts
                .iter()
                .any(|key| bytes.windows(32).any(|w| w == key.as_bytes()));
        if !about_member {
            report.faults.push(format!(
                "entry {}: it is not about the statement's accounts",
                proved.entry.seq
            ));
        }
        report.net_minor += net_change(&request.body, &accounts, leaf, &mut member_holds);
    }
    // Every account named is the member's: an entry shown opened it or rotated to it.
    for key in &accounts {
        if !proven.contains(key) {
            report.faults.push(format!(
                "the account {} is not opened, admitted or rotated to by any entry shown (it is not the member's)",
                key.short()
            ));
        }
    }
    report
}

/// How an entry changes the balance of the statement's accounts (a hold changes nothing
/// until it settles; its commitment moves the amount).
fn net_change(
    body: &Body,
    accounts: &[PublicKey],
    leaf: Hash,
    member_holds: &mut HashMap<Hash, i64>,
) -> i128 {
    match body {
        Body::Transfer {
            payer,
            payee,
            amount_minor,
            ..
        } => {
            let amount = i128::from(*amount_minor);
            let mut net = 0;
            if accounts.contains(payee) {
                net += amount;
            }
            if accounts.contains(payer) {
                net -= amount;
            }
            net
        }
        Body::Arrive(arrival) if accounts.contains(&arrival.payee) => {
            i128::from(arrival.amount_minor)
        }
        Body::Hold(hold) => {
            if let HoldSource::Member(payer) = &hold.source {
                if accounts.contains(payer) {
                    member_holds.insert(leaf, hold.amount_minor);
                }
            }
            0
        }
        Body::Settle {
            hold,
            settlement: Settlement::Commit { .. },
        } => member_holds
            .remove(hold)
            .map_or(0, |amount| -i128::from(amount)),
        Body::Settle { hold, .. } => {
            member_holds.remove(hold);
            0
        }
        _ => 0,
    }
}

/// The accounts an entry brings into being: opened, admitted, rotated to, or a founding
/// steward's (a statement shows these entries to prove its accounts are the member's).
pub fn keys_opened_by(body: &Body) -> Vec<PublicKey> {
    match body {
        Body::OpenAccount { account, .. } => vec![*account],
        Body::RotateKey { new, .. } => vec![*new],
        Body::Genesis { stewards, .. } => stewards.clone(),
        Body::Enact { actions, .. } => actions
            .iter()
            .filter_map(|action| match action {
                crate::entry::Action::Admit { account } => Some(*account),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Checks the genesis entry (the circle's id is its hash; it names the node key that signs
/// the head, and the circle's slug); answers the founding stewards' keys.
fn check_genesis(
    genesis: &ProvedEntry,
    circle_id: &Hash,
    head: &TreeHead,
    slug: &str,
    faults: &mut Vec<String>,
) -> Vec<PublicKey> {
    if genesis.entry.seq != 0 {
        faults.push("the genesis entry is not entry 0".into());
        return Vec::new();
    }
    let before = faults.len();
    // The genesis request names no circle (the circle's id is the genesis entry's hash).
    let Some((request, _, leaf)) = check_entry(genesis, &Hash::ZERO, head, faults) else {
        return Vec::new();
    };
    if leaf != *circle_id {
        faults.push("the genesis entry is not the one the circle's id names".into());
    }
    match &request.body {
        Body::Genesis {
            node_key,
            spec,
            stewards,
        } => {
            if spec.slug != slug {
                faults.push(format!(
                    "the statement says it is of {slug:?}, but its circle is {:?}",
                    spec.slug
                ));
            }
            if faults.len() == before && !head.verify(node_key) {
                faults.push(
                    "the tree head is not signed by the node key the genesis entry names".into(),
                );
            }
            stewards.clone()
        }
        _ => {
            faults.push("entry 0 is not a genesis entry".into());
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests;
