//! The auditor: re-verifies a circle's whole history from its entries alone.
//!
//! It checks every signature (batch verification under ZIP-215, in parallel), every chain link
//! and entry hash, every rule (by replaying the entries through [`CircleState`]), every memo
//! commitment, zero-sum, floors and ceilings, the Merkle root against the signed tree head, and
//! that a trusted older tree head is a prefix of this log. No IO: callers bring the entries.

use std::fmt;

use rayon::prelude::*;

use crate::authority::{Authority, AuthorityTimeline};
use crate::entry::{entry_bytes, memo_hash, Body, Request, TreeHead, MEMO_BYTES_MAX};
use crate::export::{HeaderLine, RawEntry};
use crate::keys::{verify_batch, Hash, PublicKey};
use crate::merkle;
use crate::state::CircleState;

/// One thing wrong with a ledger, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The position of the entry (its expected sequence number); `None` for the whole ledger.
    pub entry: Option<u64>,
    pub what: String,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.entry {
            Some(seq) => write!(f, "entry {seq}: {}", self.what),
            None => write!(f, "ledger: {}", self.what),
        }
    }
}

/// What the auditor was given.
#[derive(Debug, Default)]
pub struct AuditInput {
    pub header: Option<HeaderLine>,
    pub entries: Vec<Result<RawEntry, String>>,
    pub tree_head: Option<TreeHead>,
    /// A tree head the steward kept from earlier: the log must extend it.
    pub trusted_head: Option<TreeHead>,
    /// Problems found while reading the input (unreadable header, tree head...).
    pub problems: Vec<String>,
}

/// The auditor's findings.
#[derive(Debug)]
pub struct AuditReport {
    pub entries_checked: u64,
    pub faults: Vec<Fault>,
    /// The state recomputed from the log (absent when there was no readable genesis).
    pub state: Option<CircleState>,
    /// The Merkle root of all entries as found.
    pub root: Hash,
    /// The hash of every entry as found, in order (the Merkle leaves).
    pub leaf_hashes: Vec<Hash>,
    /// Who held power when, from the entries that passed the rules: what the moderation log's
    /// check asks of each action's signer.
    pub authority: AuthorityTimeline,
}

impl AuditReport {
    pub fn passed(&self) -> bool {
        self.faults.is_empty()
    }
}

/// Audits a ledger. `progress` is called with the number of entries replayed so far.
pub fn audit(input: AuditInput, progress: &(dyn Fn(u64) + Sync)) -> AuditReport {
    let mut faults: Vec<Fault> = input
        .problems
        .iter()
        .map(|what| Fault {
            entry: None,
            what: what.clone(),
        })
        .collect();

    // 1. Decode every request and compute every entry hash, in parallel.
    let decoded: Vec<Option<(Request, Hash)>> = input
        .entries
        .par_iter()
        .map(|raw| {
            let raw = raw.as_ref().ok()?;
            let hash = merkle::leaf_hash(&entry_bytes(
                raw.seq,
                &raw.prev_hash,
                raw.recorded_at_ms,
                &raw.request,
                &raw.signature,
            ));
            Request::decode(&raw.request)
                .ok()
                .map(|request| (request, hash))
        })
        .collect();

    // 2. Verify every signature, a batch per chunk, chunks in parallel.
    let batch_size = crate::keys::batch_size_for(input.entries.len());
    let signature_ok: Vec<bool> = input
        .entries
        .par_chunks(batch_size)
        .zip(decoded.par_chunks(batch_size))
        .flat_map_iter(|(raws, requests)| {
            let mut ok = vec![false; raws.len()];
            let mut items: Vec<(PublicKey, &[u8], crate::keys::Signature)> =
                Vec::with_capacity(raws.len());
            let mut positions = Vec::with_capacity(raws.len());
            for (index, (raw, request)) in raws.iter().zip(requests).enumerate() {
                if let (Ok(raw), Some((request, _))) = (raw, request) {
                    items.push((request.author, raw.request.as_slice(), raw.signature));
                    positions.push(index);
                }
            }
            let failed = verify_batch(&items);
            for (item, position) in positions.iter().enumerate() {
                ok[*position] = !failed.contains(&item);
            }
            ok
        })
        .collect();

    // 3. Replay in order.
    let mut state: Option<CircleState> = None;
    let mut authority = AuthorityTimeline::default();
    let mut leaf_hashes = Vec::with_capacity(input.entries.len());
    let mut previous: Option<(u64, Hash)> = None;
    for (position, (raw, decoded)) in input.entries.iter().zip(&decoded).enumerate() {
        let position = position as u64;
        if position.is_multiple_of(65_536) {
            progress(position);
        }
        let mut fault = |what: String| {
            faults.push(Fault {
                entry: Some(position),
                what,
            })
        };
        let raw = match raw {
            Ok(raw) => raw,
            Err(why) => {
                fault(format!("cannot be read: {why}"));
                // Keep the Merkle leaves aligned so later roots still name the right sizes.
                leaf_hashes.push(Hash::ZERO);
                continue;
            }
        };
        let entry_hash = merkle::leaf_hash(&entry_bytes(
            raw.seq,
            &raw.prev_hash,
            raw.recorded_at_ms,
            &raw.request,
            &raw.signature,
        ));
        leaf_hashes.push(entry_hash);
        match previous {
            None if raw.seq != 0 => fault(format!(
                "the first entry has sequence number {}, not 0",
                raw.seq
            )),
            Some((prev_seq, _)) if raw.seq == prev_seq => fault(format!(
                "sequence number {} appears twice (duplicated entry)",
                raw.seq
            )),
            Some((prev_seq, _)) if raw.seq < prev_seq => fault(format!(
                "sequence number {} comes after {prev_seq} (entries out of order)",
                raw.seq
            )),
            Some((prev_seq, _)) if raw.seq > prev_seq + 1 => fault(format!(
                "sequence number jumps from {prev_seq} to {} (entries missing)",
                raw.seq
            )),
            _ => {}
        }
        let expected_prev = previous.map_or(Hash::ZERO, |(_, hash)| hash);
        if raw.prev_hash != expected_prev {
            fault(format!(
                "its previous-entry hash {} does not match the entry before it ({})",
                raw.prev_hash.short(),
                expected_prev.short()
            ));
        }
        if let Some(claimed) = raw.claimed_hash {
            if claimed != entry_hash {
                fault(format!(
                    "its stated hash {} is not the hash of its contents {}",
                    claimed.short(),
                    entry_hash.short()
                ));
            }
        }
        previous = Some((raw.seq, entry_hash));
        let Some((request, _)) = decoded else {
            let why = Request::decode(&raw.request)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            fault(format!("its signed request cannot be decoded: {why}"));
            continue;
        };
        if !signature_ok[position as usize] {
            fault(format!(
                "the signature by {} does not verify",
                request.author.short()
            ));
        }
        if let Some(memo) = &raw.memo {
            let committed = request.body.memo_hash();
            if memo.text.len() > MEMO_BYTES_MAX {
                // Never hashed: no honest node stores a longer memo (format §7).
                fault(format!(
                    "its memo text is {} bytes long, more than the limit of {MEMO_BYTES_MAX}",
                    memo.text.len()
                ));
            } else if committed != Some(memo_hash(&memo.salt, &memo.text)) {
                fault("its memo text does not match the memo hash the author signed".into());
            }
        }
        match state.as_mut() {
            None => {
                let entry = crate::entry::Entry {
                    seq: raw.seq,
                    prev_hash: raw.prev_hash,
                    recorded_at_ms: raw.recorded_at_ms,
                    signed: crate::entry::SignedRequest {
                        record: request.clone(),
                        bytes: raw.request.clone(),
                        signature: raw.signature,
                    },
                };
                match CircleState::from_genesis(&entry, entry_hash) {
                    Ok(genesis) => {
                        authority.record(raw.recorded_at_ms, &Authority::of(&genesis));
                        state = Some(genesis);
                    }
                    Err(refusal) => fault(format!("is not a valid genesis entry: {refusal}")),
                }
            }
            Some(state) => match state.apply_request(request, position, entry_hash) {
                Err(refusal) => fault(format!(
                    "breaks the ledger rules ({}): {refusal}",
                    request.body.kind_name()
                )),
                Ok(()) if changes_authority(&request.body) => {
                    authority.record(raw.recorded_at_ms, &Authority::of(state));
                }
                Ok(()) => {}
            },
        }
    }
    progress(input.entries.len() as u64);

    // 4. Whole-ledger checks.
    let whole = |what: String| Fault { entry: None, what };
    match &state {
        None => faults.push(whole(
            "there is no readable genesis entry, so nothing else can be checked".into(),
        )),
        Some(state) => {
            let sum = state.balance_sum();
            if sum != 0 {
                faults.push(whole(format!(
                    "balances sum to {}, not zero",
                    state.money(sum)
                )));
            }
            let mut keys: Vec<&PublicKey> = state.accounts.keys().collect();
            keys.sort();
            for key in keys {
                let account = &state.accounts[key];
                if account.balance_minor < account.floor_minor
                    || account.balance_minor > account.ceiling_minor
                {
                    faults.push(whole(format!(
                        "account {} has balance {} outside its limits {} to {}",
                        key.short(),
                        state.money(account.balance_minor),
                        state.money(account.floor_minor),
                        state.money(account.ceiling_minor)
                    )));
                }
            }
            if let Some(header) = &input.header {
                check_header(header, state, &mut faults);
            }
        }
    }
    let root = merkle::root(&leaf_hashes);
    let node_key = state.as_ref().map(|state| state.node_key);
    let circle_id = state.as_ref().map(|state| state.circle_id);
    if let Some(head) = &input.tree_head {
        check_head(
            "the signed tree head",
            head,
            node_key,
            circle_id,
            &mut faults,
        );
        if head.tree_size != leaf_hashes.len() as u64 {
            faults.push(whole(format!(
                "the signed tree head covers {} entries but the log has {}",
                head.tree_size,
                leaf_hashes.len()
            )));
        } else if head.root != root {
            faults.push(whole(format!(
                "the Merkle root {} of the entries is not the signed root {}",
                root.short(),
                head.root.short()
            )));
        }
    }
    if let Some(trusted) = &input.trusted_head {
        check_head(
            "the trusted tree head",
            trusted,
            node_key,
            circle_id,
            &mut faults,
        );
        let size = trusted.tree_size as usize;
        if size == 0 || size > leaf_hashes.len() {
            faults.push(whole(format!(
                "the trusted tree head covers {} entries but the log has only {}: entries were removed",
                trusted.tree_size,
                leaf_hashes.len()
            )));
        } else {
            let proof = merkle::consistency_proof(&leaf_hashes, size);
            if merkle::verify_consistency(
                trusted.tree_size,
                leaf_hashes.len() as u64,
                &proof,
                &trusted.root.0,
                &root.0,
            )
            .is_err()
            {
                faults.push(whole(format!(
                    "the first {size} entries no longer have the trusted root {}: history was changed",
                    trusted.root.short()
                )));
            }
        }
    }
    AuditReport {
        entries_checked: input.entries.len() as u64,
        faults,
        state,
        root,
        leaf_hashes,
        authority,
    }
}

/// Whether an entry of this kind can change who holds power (the rest are never looked at).
fn changes_authority(body: &Body) -> bool {
    matches!(
        body,
        Body::RotateKey { .. }
            | Body::CloseAccount { .. }
            | Body::AddSteward { .. }
            | Body::RemoveSteward { .. }
            | Body::Enact { .. }
    )
}

fn check_head(
    label: &str,
    head: &TreeHead,
    node_key: Option<PublicKey>,
    circle_id: Option<Hash>,
    faults: &mut Vec<Fault>,
) {
    let whole = |what: String| Fault { entry: None, what };
    if let Some(circle_id) = circle_id {
        if head.circle_id != circle_id {
            faults.push(whole(format!(
                "{label} is for another circle ({})",
                head.circle_id.short()
            )));
        }
    }
    if let Some(node_key) = node_key {
        if !head.verify(&node_key) {
            faults.push(whole(format!(
                "{label} is not signed by the circle's node key {}",
                node_key.short()
            )));
        }
    }
}

fn check_header(header: &HeaderLine, state: &CircleState, faults: &mut Vec<Fault>) {
    let mut problem = |what: String| {
        faults.push(Fault {
            entry: None,
            what: format!("header: {what}"),
        })
    };
    if header.format != crate::export::EXPORT_FORMAT
        || header.version != crate::export::EXPORT_VERSION
    {
        problem(format!(
            "unknown export format {} version {}",
            header.format, header.version
        ));
    }
    if header.circle_id != state.circle_id.to_hex() {
        problem("the circle id is not the hash of the genesis entry".into());
    }
    if header.slug != state.spec.slug || header.name != state.spec.name {
        problem("the circle's slug or name differs from its genesis entry".into());
    }
    if header.node_key != state.node_key.to_hex() {
        problem("the node key differs from the one named in the genesis entry".into());
    }
    let stewards: Vec<String> = state.stewards.iter().map(PublicKey::to_hex).collect();
    if header.steward_keys != stewards {
        problem("the steward keys differ from those the log establishes".into());
    }
}
