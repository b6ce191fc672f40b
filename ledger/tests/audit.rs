//! The auditor on exports: a clean ledger passes; any tampering is found and the entry named.

mod common;

use common::{circle, pay, Circle};
use commons_ledger::audit::{audit, AuditReport};
use commons_ledger::entry::{memo_hash, Body, Cause};
use commons_ledger::export::{parse_export, Memo};
use commons_ledger::keys::SecretKey;
use commons_ledger::memory::MemoryLedger;
use proptest::prelude::*;

fn audit_text(text: &str, trusted: Option<commons_ledger::entry::TreeHead>) -> AuditReport {
    audit(parse_export(text).into_audit_input(trusted), &|_| {})
}

fn busy_circle() -> Circle {
    let mut c = circle(3);
    let (a, b, d) = (&c.members[0], &c.members[1], &c.members[2]);
    c.ledger.submit(a, pay(a, b, 250)).expect("pay");
    let salt = [9u8; 16];
    let body = Body::Transfer {
        payer: b.public_key(),
        payee: d.public_key(),
        amount_minor: 75,
        memo_hash: Some(memo_hash(&salt, "bread, thank you")),
        cause: Cause::Direct,
    };
    let signed = c.ledger.sign(b, body);
    c.ledger
        .append(
            signed,
            Some(Memo {
                salt,
                text: "bread, thank you".into(),
            }),
        )
        .expect("memo pay");
    c.ledger.submit(d, pay(d, a, 10)).expect("pay");
    c
}

#[test]
fn a_clean_export_passes_and_recomputes_the_state() {
    let c = busy_circle();
    let report = audit_text(&c.ledger.export_text(), None);
    assert!(report.passed(), "{:?}", report.faults);
    let state = report.state.expect("state");
    assert_eq!(state.accounts, c.ledger.state.accounts);
    assert_eq!(state.head, c.ledger.state.head);
    assert_eq!(report.entries_checked, c.ledger.entries.len() as u64);
}

#[test]
fn changing_any_single_byte_of_an_entry_line_is_found_and_named() {
    let c = busy_circle();
    let text = c.ledger.export_text();
    let lines: Vec<&str> = text.lines().collect();
    // Line 7 is entry 5, the transfer that carries a memo.
    let target = 6;
    assert!(lines[target].contains("\"memo\""));
    let start: usize = lines[..target].iter().map(|line| line.len() + 1).sum();
    let end = start + lines[target].len() + 1;
    for position in start..end {
        for replacement in [b'0', b'a', b' ', b'"'] {
            let mut bytes = text.clone().into_bytes();
            if bytes[position] == replacement {
                continue;
            }
            bytes[position] = replacement;
            let tampered = String::from_utf8_lossy(&bytes);
            let report = audit_text(&tampered, None);
            assert!(
                !report.passed(),
                "byte {} -> {:?} not detected",
                position - start,
                replacement as char
            );
            let named = report
                .faults
                .iter()
                .any(|f| f.entry == Some(5) || (position == end - 1 && f.entry.is_some()));
            assert!(
                named,
                "byte {} -> {:?}: {:?}",
                position - start,
                replacement as char,
                report.faults
            );
        }
    }
}

#[test]
fn deleted_duplicated_and_reordered_entries_are_named() {
    let c = busy_circle();
    let text = c.ledger.export_text();
    let lines: Vec<&str> = text.lines().collect();
    let join = |lines: Vec<&str>| lines.join("\n") + "\n";

    let mut deleted = lines.clone();
    deleted.remove(5); // entry 4
    let report = audit_text(&join(deleted), None);
    assert!(
        report
            .faults
            .iter()
            .any(|f| f.entry == Some(4) && f.what.contains("missing")),
        "{:?}",
        report.faults
    );

    let mut duplicated = lines.clone();
    duplicated.insert(6, lines[6]);
    let report = audit_text(&join(duplicated), None);
    assert!(
        report
            .faults
            .iter()
            .any(|f| f.entry == Some(6) && f.what.contains("twice")),
        "{:?}",
        report.faults
    );

    let mut reordered = lines.clone();
    reordered.swap(5, 6);
    let report = audit_text(&join(reordered), None);
    assert!(
        report.faults.iter().any(|f| f.entry == Some(4)),
        "{:?}",
        report.faults
    );

    // Deleting the last entry and re-signing nothing: the tree head no longer matches.
    let mut truncated = lines.clone();
    truncated.remove(lines.len() - 2);
    let report = audit_text(&join(truncated), None);
    assert!(
        report.faults.iter().any(|f| f.what.contains("tree head")),
        "{:?}",
        report.faults
    );
}

#[test]
fn an_erased_memo_still_verifies_but_a_changed_one_does_not() {
    let c = busy_circle();
    let text = c.ledger.export_text();
    let erased = text
        .lines()
        .map(|line| match line.find(",\"memo\"") {
            Some(at) => format!("{}}}", &line[..at]),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    assert_ne!(erased, text);
    assert!(audit_text(&erased, None).passed());
    let changed = text.replace("bread, thank you", "bread, thank yoU");
    let report = audit_text(&changed, None);
    assert!(
        report
            .faults
            .iter()
            .any(|f| f.entry == Some(5) && f.what.contains("memo")),
        "{:?}",
        report.faults
    );
}

#[test]
fn a_trusted_old_head_proves_append_only() {
    let mut c = busy_circle();
    let old_head = c.ledger.tree_head();
    let (a, b) = (&c.members[0], &c.members[1]);
    c.ledger.submit(a, pay(a, b, 5)).expect("pay");
    assert!(audit_text(&c.ledger.export_text(), Some(old_head.clone())).passed());

    // A node that rewrites history (here: a whole new ledger) cannot match the old head.
    let mut rewritten = busy_circle();
    rewritten.ledger.node_key = SecretKey::from_seed(*c.ledger.node_key.seed());
    let report = audit_text(&rewritten.ledger.export_text(), Some(old_head.clone()));
    assert!(!report.passed());

    // A log shorter than the trusted head has lost entries.
    let mut short = old_head;
    short.tree_size += 10;
    let report = audit_text(&c.ledger.export_text(), Some(short));
    assert!(
        report.faults.iter().any(|f| f.what.contains("trusted")),
        "{:?}",
        report.faults
    );
}

/// One random action in a circle.
#[derive(Debug, Clone)]
enum Action {
    Pay {
        from: usize,
        to: usize,
        amount_minor: i64,
    },
    Limits {
        who: usize,
        floor_minor: i64,
        ceiling_minor: i64,
    },
    Reverse {
        back: usize,
    },
    Request {
        from: usize,
        to: usize,
        amount_minor: i64,
        accept: bool,
    },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => (0..5usize, 0..5usize, 1..3000i64).prop_map(|(from, to, amount_minor)| Action::Pay { from, to, amount_minor }),
        1 => (0..5usize, -5000..=0i64, 0..8000i64).prop_map(|(who, floor_minor, ceiling_minor)| Action::Limits { who, floor_minor, ceiling_minor }),
        1 => (0..20usize).prop_map(|back| Action::Reverse { back }),
        1 => (0..5usize, 0..5usize, 1..3000i64, any::<bool>()).prop_map(|(from, to, amount_minor, accept)| Action::Request { from, to, amount_minor, accept }),
    ]
}

fn run(actions: &[Action]) -> MemoryLedger {
    let c = circle(5);
    let (mut ledger, steward, m) = (c.ledger, c.steward, c.members);
    let mut transfers = Vec::new();
    for action in actions {
        match *action {
            Action::Pay {
                from,
                to,
                amount_minor,
            } => {
                if let Ok(entry) = ledger.submit(&m[from], pay(&m[from], &m[to], amount_minor)) {
                    transfers.push((entry.hash(), from, to, amount_minor));
                }
            }
            Action::Limits {
                who,
                floor_minor,
                ceiling_minor,
            } => {
                let _ = ledger.submit(
                    &steward,
                    Body::SetLimits {
                        account: m[who].public_key(),
                        floor_minor,
                        ceiling_minor,
                    },
                );
            }
            Action::Reverse { back } => {
                if let Some(&(hash, from, to, amount_minor)) = transfers.iter().rev().nth(back) {
                    let body = Body::Transfer {
                        payer: m[to].public_key(),
                        payee: m[from].public_key(),
                        amount_minor,
                        memo_hash: None,
                        cause: Cause::Reverses(hash),
                    };
                    let _ = ledger.submit(&m[to], body);
                }
            }
            Action::Request {
                from,
                to,
                amount_minor,
                accept,
            } => {
                let body = Body::RequestPayment {
                    payer: m[from].public_key(),
                    payee: m[to].public_key(),
                    amount_minor,
                    memo_hash: None,
                };
                if let Ok(entry) = ledger.submit(&m[to], body) {
                    let hash = entry.hash();
                    let reply = if accept {
                        Body::Transfer {
                            payer: m[from].public_key(),
                            payee: m[to].public_key(),
                            amount_minor,
                            memo_hash: None,
                            cause: Cause::AcceptsRequest(hash),
                        }
                    } else {
                        Body::CloseRequest { request: hash }
                    };
                    let _ = ledger.submit(&m[from], reply);
                }
            }
        }
        // After every step: zero-sum, and every balance within its limits.
        assert_eq!(ledger.state.balance_sum(), 0);
        for account in ledger.state.accounts.values() {
            assert!(
                account.floor_minor <= account.balance_minor
                    && account.balance_minor <= account.ceiling_minor,
                "{account:?}"
            );
        }
    }
    ledger
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_histories_keep_the_invariants_and_audit_clean(actions in prop::collection::vec(action(), 1..80)) {
        let ledger = run(&actions);
        let report = audit_text(&ledger.export_text(), None);
        prop_assert!(report.passed(), "{:?}", report.faults);
        let state = report.state.expect("state");
        prop_assert_eq!(&state.accounts, &ledger.state.accounts);
        prop_assert_eq!(state.balance_sum(), 0);
    }
}

#[test]
fn a_memo_longer_than_the_limit_is_a_fault_and_never_stops_the_audit() {
    // A hostile exporter pads the memo beyond every limit (5,000 bytes and 100,000 bytes); the
    // auditor names the entry and carries on.
    let c = busy_circle();
    let text = c.ledger.export_text();
    for length in [1_001, 5_000, 100_000] {
        let long = "x".repeat(length);
        let tampered = text.replace("bread, thank you", &long);
        assert_ne!(tampered, text);
        let report = audit_text(&tampered, None);
        assert!(!report.passed());
        let fault = report
            .faults
            .iter()
            .find(|f| f.what.contains("memo text is"))
            .expect("the long memo is named");
        assert_eq!(fault.entry, Some(5), "{:?}", report.faults);
        assert!(
            fault.what.contains(&format!("{length} bytes long")),
            "{}",
            fault.what
        );
        assert_eq!(
            report.entries_checked,
            c.ledger.entries.len() as u64,
            "the audit went on"
        );
    }
}

#[test]
fn the_memo_commitment_hashes_any_text_without_panicking() {
    let salt = [1u8; 16];
    assert_ne!(
        memo_hash(&salt, &"y".repeat(10_000)),
        memo_hash(&salt, &"y".repeat(10_001))
    );
}

/// Every bit of a real export (payments, a memo, a rotation, an appointment to moderate)
/// flipped in turn, and every line deleted: the audit fails each time. Exports name nothing
/// for people only: the header's name and slug are checked against the genesis entry.
#[test]
fn every_bit_flip_and_every_deleted_line_of_an_export_is_found() {
    use commons_ledger::entry::Action;
    use commons_ledger::keys::Hash;
    use rayon::prelude::*;
    let mut c = busy_circle();
    let node = SecretKey::from_seed(*c.ledger.node_key.seed());
    let own = SecretKey::generate();
    let old = c.members[2].public_key();
    c.ledger
        .submit(
            &c.members[2],
            Body::RotateKey {
                old,
                new: own.public_key(),
            },
        )
        .expect("rotated");
    c.ledger
        .submit(
            &node,
            Body::Enact {
                proposal: Hash([5; 32]),
                board_root: Hash([6; 32]),
                actions: vec![Action::AppointModerator {
                    account: own.public_key(),
                }],
            },
        )
        .expect("appointed");
    let text = c.ledger.export_text();
    assert!(audit_text(&text, None).passed());
    let bytes = text.as_bytes();
    let passed: Vec<(usize, u8)> = (0..bytes.len() * 8)
        .into_par_iter()
        .filter_map(|flip| {
            let (at, bit) = (flip / 8, flip % 8);
            let mut changed = bytes.to_vec();
            changed[at] ^= 1 << bit;
            let changed = String::from_utf8_lossy(&changed);
            audit_text(&changed, None)
                .passed()
                .then_some((at, bit as u8))
        })
        .collect();
    let shown: Vec<String> = passed
        .iter()
        .take(20)
        .map(|(at, bit)| format!("byte {at} ({:?}) bit {bit}", bytes[*at] as char))
        .collect();
    assert!(
        passed.is_empty(),
        "{} of {} flips still verify: {shown:?}",
        passed.len(),
        bytes.len() * 8
    );
    let lines: Vec<&str> = text.lines().collect();
    for gone in 0..lines.len() {
        let mut kept = lines.clone();
        kept.remove(gone);
        let mut changed = kept.join("\n");
        changed.push('\n');
        assert!(
            !audit_text(&changed, None).passed(),
            "line {gone} deleted: {}",
            lines[gone]
        );
    }
}
