//! `commons audit --link A.jsonl B.jsonl`: checks offline that two linked circles' ledgers
//! agree on every payment between them (pure: no IO, never panics).
//!
//! Each circle is first audited on its own (`audit.rs`: signatures, chain, tree head, rules).
//! Then, in each direction, every payment one circle held toward the other is checked against
//! the other's record of it: a committed hold names an entry the other circle has, recording
//! the same transfer and amount from this very hold; a released hold has no record there (or
//! one released too); every arrival there answers a hold here. So a node that drops, forges or
//! changes its side of a payment (even re-signing its whole log) is caught by the other's. And
//! the tree heads each node kept of the other ([`check_held_heads`]) must each be a prefix of
//! the other's export: a node cannot rewrite the history its partner once saw.

use std::collections::HashMap;

use crate::crossing::HoldSource;
use crate::entry::{entry_bytes, Body, Request, TreeHead};
use crate::export::{ParsedExport, TreeHeadLine};
use crate::keys::Hash;
use crate::merkle::{leaf_hash, Frontier};
use crate::state::{CircleState, HoldState};

/// Most faults listed (the count goes on).
pub const LINK_FAULTS_MAX: usize = 1000;

/// One circle's side: its state after its own audit and its entries by hash.
#[derive(Debug)]
pub struct Side<'a> {
    pub state: &'a CircleState,
    pub entries: HashMap<Hash, Request>,
    /// The leaf hashes of the export's entries, in order (what its tree heads sign).
    pub leaves: Vec<Hash>,
}

impl<'a> Side<'a> {
    /// The decodable entries of an export (its own audit reports the rest).
    pub fn new(state: &'a CircleState, parsed: &ParsedExport) -> Side<'a> {
        let leaves: Vec<Hash> = parsed
            .entries
            .iter()
            .flatten()
            .map(|raw| {
                leaf_hash(&entry_bytes(
                    raw.seq,
                    &raw.prev_hash,
                    raw.recorded_at_ms,
                    &raw.request,
                    &raw.signature,
                ))
            })
            .collect();
        let entries = parsed
            .entries
            .iter()
            .flatten()
            .zip(&leaves)
            .filter_map(|(raw, hash)| Some((*hash, Request::decode(&raw.request).ok()?)))
            .collect();
        Side {
            state,
            entries,
            leaves,
        }
    }
}

/// What the link check found.
#[derive(Debug, Default)]
pub struct LinkReport {
    /// Payments on both sides, checked the same, from the first circle to the second, and back.
    pub checked_there: u64,
    pub checked_back: u64,
    /// Holds released (refused or expired on the way), in both directions: nothing moved.
    pub released: u64,
    /// Tree heads one side held of the other, each found to be a prefix of the other's export.
    pub heads_checked: u64,
    /// Holds still waiting for the other side's answer when the exports were made.
    pub in_flight: u64,
    pub faults: Vec<String>,
    pub faults_total: u64,
}

impl LinkReport {
    pub fn passed(&self) -> bool {
        self.faults_total == 0
    }
    /// Records a fault (listed up to [`LINK_FAULTS_MAX`], counted always).
    pub fn fault(&mut self, what: String) {
        self.faults_total += 1;
        if self.faults.len() < LINK_FAULTS_MAX {
            self.faults.push(what);
        }
    }
}

/// Checks two circles' ledgers against each other.
pub fn audit_link(a: &Side<'_>, b: &Side<'_>) -> LinkReport {
    let mut report = LinkReport::default();
    check_terms(a, b, "A", &mut report);
    check_terms(b, a, "B", &mut report);
    report.checked_there = check_direction(a, b, "A", "B", &mut report);
    report.checked_back = check_direction(b, a, "B", "A", &mut report);
    report
}

/// Checks the tree heads the other circle held of `side` (`commons export held-heads`): each
/// signed by `side`'s node key, and each the root of the first entries of `side`'s export. A
/// node that rewrote, dropped or cut short the history it once signed to its partner is
/// caught here, even where no payment between them changed. Heads of other circles are
/// skipped.
pub fn check_held_heads(a: &Side<'_>, b: &Side<'_>, held: &[TreeHead], report: &mut LinkReport) {
    let ids = [a.state.circle_id, b.state.circle_id];
    let strangers = held
        .iter()
        .filter(|head| !ids.contains(&head.circle_id))
        .count();
    if strangers > 0 {
        report.fault(format!(
            "{strangers} held tree head(s) name a circle that is neither A nor B"
        ));
    }
    check_side_heads(a, held, "A", report);
    check_side_heads(b, held, "B", report);
}

/// Most held heads one file may carry (a node keeps one per answer it checked).
pub const HELD_HEADS_MAX: usize = 1_000_000;

/// A held-heads file (`commons export held-heads`: one tree head line each): the heads, and a
/// fault for every line that is not one. Never panics.
pub fn parse_held_heads(text: &str) -> (Vec<TreeHead>, Vec<String>) {
    let mut heads = Vec::new();
    let mut faults = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if index >= HELD_HEADS_MAX {
            faults.push(format!("more than {HELD_HEADS_MAX} held tree heads"));
            break;
        }
        match serde_json::from_str::<TreeHeadLine>(line)
            .map_err(|error| error.to_string())
            .and_then(|line| line.to_head().map_err(|error| error.to_string()))
        {
            Ok(head) => heads.push(head),
            Err(error) => faults.push(format!("line {}: not a tree head: {error}", index + 1)),
        }
    }
    (heads, faults)
}

fn check_side_heads(side: &Side<'_>, held: &[TreeHead], name: &str, report: &mut LinkReport) {
    let mut mine: Vec<&TreeHead> = held
        .iter()
        .filter(|head| head.circle_id == side.state.circle_id)
        .collect();
    mine.sort_by_key(|head| head.tree_size);
    let mut frontier = Frontier::default();
    let mut leaves = side.leaves.iter();
    for head in mine {
        let size = head.tree_size;
        if !head.verify(&side.state.node_key) {
            report.fault(format!(
                "a tree head of {name} (size {size}) held by the other circle is not signed by {name}'s node key"
            ));
            continue;
        }
        if size > side.leaves.len() as u64 {
            report.fault(format!(
                "{name} signed a tree head of {size} entries, but its export has {}: entries it once signed are gone",
                side.leaves.len()
            ));
            continue;
        }
        let wanted = usize::try_from(size - frontier.size()).unwrap_or(usize::MAX);
        for leaf in leaves.by_ref().take(wanted) {
            frontier.push(*leaf);
        }
        if frontier.root() != head.root {
            report.fault(format!(
                "{name}'s export is not the log it signed at size {size} for the other circle: its history was rewritten"
            ));
            continue;
        }
        report.heads_checked += 1;
    }
}

/// The link `from` holds names `to`'s node key (the key its answers are checked with).
fn check_terms(from: &Side<'_>, to: &Side<'_>, name: &str, report: &mut LinkReport) {
    match from.state.links.get(&to.state.circle_id) {
        None => report.fault(format!("{name} has no link with the other circle")),
        Some(link) if link.terms.partner_node_key != to.state.node_key => report.fault(format!(
            "{name}'s link names the node key {}, not the other circle's {}",
            link.terms.partner_node_key.short(),
            to.state.node_key.short()
        )),
        Some(_) => {}
    }
}

/// `to`'s records of payments from `from`, by the hash of the hold each answers: arrivals,
/// and holds passing a payment on.
fn records_from<'s>(to: &'s Side<'_>, from: &Hash) -> HashMap<Hash, Vec<(&'s Hash, &'s Request)>> {
    let mut records: HashMap<Hash, Vec<(&'s Hash, &'s Request)>> = HashMap::new();
    for (remote, record) in to.entries.iter().filter_map(|(there, request)| {
        let remote = match &request.body {
            Body::Arrive(arrival) if arrival.partner == *from => arrival.remote,
            Body::Hold(hold) => match &hold.source {
                HoldSource::Link { partner, entry } if partner == from => *entry,
                _ => return None,
            },
            _ => return None,
        };
        Some((remote, (there, request)))
    }) {
        records.entry(remote).or_default().push(record);
    }
    records
}

/// Every hold of `from` toward `to`, against `to`'s records; every record of `to` from `from`,
/// against `from`'s holds. Answers how many holds were checked.
fn check_direction(
    from: &Side<'_>,
    to: &Side<'_>,
    f: &str,
    t: &str,
    report: &mut LinkReport,
) -> u64 {
    let (from_id, to_id) = (from.state.circle_id, to.state.circle_id);
    let records = records_from(to, &from_id);
    let mut checked = 0;
    for (hold_hash, request) in &from.entries {
        let Body::Hold(hold) = &request.body else {
            continue;
        };
        if hold.partner != to_id {
            continue;
        }
        let state = from.state.hold(hold_hash).map(|record| record.state);
        match state {
            Some(HoldState::Committed { .. }) => checked += 1,
            Some(HoldState::Released) => report.released += 1,
            _ => {}
        }
        let record = records
            .get(hold_hash)
            .and_then(|list| list.first().copied());
        let short = hold_hash.short();
        match (state, record) {
            (None, _) => report.fault(format!("{f}'s hold {short} is not in {f}'s own state")),
            (Some(HoldState::Pending), _) => report.in_flight += 1,
            (Some(HoldState::Released), None) => {}
            (Some(HoldState::Released), Some((there, record))) => {
                if !released_there(to, there, record) {
                    report.fault(format!(
                        "{f} released its hold {short}, but {t} recorded the payment as {}",
                        there.short()
                    ));
                }
            }
            (Some(HoldState::Committed { remote }), None) => report.fault(format!(
                "{f} committed its hold {short} naming {}, which {t} does not have",
                remote.short()
            )),
            (Some(HoldState::Committed { remote }), Some((there, record))) => {
                if remote != *there {
                    report.fault(format!(
                        "{f}'s hold {short} names {} in {t}, but {t} recorded it as {}",
                        remote.short(),
                        there.short()
                    ));
                }
                if !same_payment(hold, record) {
                    report.fault(format!(
                        "{t}'s record {} of {f}'s hold {short} differs in transfer, payee or amount",
                        there.short()
                    ));
                }
                if released_there(to, there, record) {
                    report.fault(format!(
                        "{f} committed its hold {short}, but {t} released its own"
                    ));
                }
            }
        }
    }
    // Every record there answers a hold here.
    for (remote, list) in &records {
        let (there, _) = list[0];
        if list.len() > 1 {
            report.fault(format!(
                "{t} records {f}'s hold {} {} times",
                remote.short(),
                list.len()
            ));
        }
        let answers = matches!(from.entries.get(remote),
            Some(Request { body: Body::Hold(hold), .. }) if hold.partner == to_id);
        if !answers {
            report.fault(format!(
                "{t}'s entry {} records a payment from {f}'s hold {}, which {f} does not have",
                there.short(),
                remote.short()
            ));
        }
    }
    checked
}

/// Whether `to`'s record is a hold passing the payment on that `to` itself released.
fn released_there(to: &Side<'_>, there: &Hash, record: &Request) -> bool {
    matches!(record.body, Body::Hold(_))
        && to.state.hold(there).map(|r| r.state) == Some(HoldState::Released)
}

/// Whether `to`'s record carries the same payment as `from`'s hold.
fn same_payment(hold: &crate::crossing::Hold, record: &Request) -> bool {
    match &record.body {
        Body::Arrive(arrival) => {
            arrival.transfer == hold.transfer
                && arrival.payee == hold.payee
                && arrival.amount_minor == hold.amount_there_minor
                && arrival.memo_hash == hold.memo_hash
        }
        Body::Hold(next) => {
            next.transfer == hold.transfer
                && next.payee == hold.payee
                && next.destination == hold.destination
                && next.amount_minor == hold.amount_there_minor
        }
        _ => false,
    }
}
