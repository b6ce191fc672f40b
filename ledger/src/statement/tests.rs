//! A statement verifies offline, holds only the member's entries, and any changed byte is found.

use super::*;
use crate::entry::{Cause, CircleSpec, Entry};
use crate::export::Memo;
use crate::keys::SecretKey;
use crate::memory::MemoryLedger;
use crate::merkle::inclusion_proof;
use proptest::prelude::*;

struct Fixture {
    ledger: MemoryLedger,
    members: Vec<SecretKey>,
}

fn fixture() -> Fixture {
    let steward = SecretKey::generate();
    let spec = CircleSpec {
        slug: "garden".into(),
        name: "Garden Share".into(),
        unit_name: "hours".into(),
        unit_symbol: "h".into(),
        decimals: 2,
        default_floor_minor: -2000,
        default_ceiling_minor: 5000,
    };
    let mut ledger = MemoryLedger::create(spec, &steward, 1_700_000_000_000).expect("genesis");
    let members: Vec<SecretKey> = (0..3).map(|_| SecretKey::generate()).collect();
    for member in &members {
        ledger
            .submit(
                &steward,
                Body::OpenAccount {
                    account: member.public_key(),
                    floor_minor: -2000,
                    ceiling_minor: 5000,
                },
            )
            .expect("open");
    }
    let salt = [7; 16];
    let memo = Memo {
        salt,
        text: "bread".into(),
    };
    let body = Body::Transfer {
        payer: members[0].public_key(),
        payee: members[1].public_key(),
        amount_minor: 250,
        memo_hash: Some(memo_hash(&salt, "bread")),
        cause: Cause::Direct,
    };
    let signed = ledger.sign(&members[0], body);
    ledger.append(signed, Some(memo)).expect("paid");
    // Member 0 asks member 2 for a payment, with a memo the request commits to.
    let ask = Memo {
        salt: [9; 16],
        text: "for the soup".into(),
    };
    let body = Body::RequestPayment {
        payer: members[2].public_key(),
        payee: members[0].public_key(),
        amount_minor: 30,
        memo_hash: Some(memo_hash(&ask.salt, &ask.text)),
    };
    let signed = ledger.sign(&members[0], body);
    ledger.append(signed, Some(ask)).expect("asked");
    for (payer, payee, amount) in [(1, 2, 100), (2, 0, 40), (1, 0, 10)] {
        ledger
            .submit(
                &members[payer],
                Body::Transfer {
                    payer: members[payer].public_key(),
                    payee: members[payee].public_key(),
                    amount_minor: amount,
                    memo_hash: None,
                    cause: Cause::Direct,
                },
            )
            .expect("paid");
    }
    Fixture { ledger, members }
}

fn stored(ledger: &MemoryLedger, seq: usize) -> StoredEntry {
    let entry: &Entry = &ledger.entries[seq];
    StoredEntry {
        entry: entry.clone(),
        hash: entry.hash(),
        memo: ledger.memos[seq].clone(),
    }
}

/// The statement of member `who`: their transfers, proved against the current head.
fn statement_of(f: &Fixture, who: usize) -> String {
    let leaves: Vec<Hash> = f.ledger.entries.iter().map(Entry::hash).collect();
    let key = f.members[who].public_key();
    let prove = |seq: usize| proved(&stored(&f.ledger, seq), &inclusion_proof(&leaves, seq));
    // Every entry that names the member's key, as the node's statement holds them.
    let entries = (1..f.ledger.entries.len())
        .filter(|seq| {
            f.ledger.entries[*seq]
                .signed
                .bytes
                .windows(32)
                .any(|w| w == key.as_bytes())
        })
        .map(prove)
        .collect();
    let statement = Statement {
        format: STATEMENT_FORMAT.into(),
        version: STATEMENT_VERSION,
        slug: "garden".into(),
        circle_id: f.ledger.state.circle_id.to_hex(),
        accounts: vec![key.to_hex()],
        tree_head: TreeHeadLine::from_head(&f.ledger.tree_head()),
        genesis: prove(0),
        entries,
    };
    serde_json::to_string_pretty(&statement).expect("serialises")
}

#[test]
fn a_members_statement_verifies_offline_with_their_net_balance() {
    let f = fixture();
    let report = verify_statement(&statement_of(&f, 0));
    assert!(report.is_clean(), "{:?}", report.faults);
    assert_eq!(
        report.entries_checked, 5,
        "opened, asked, and three payments"
    );
    assert_eq!(report.net_minor, -250 + 40 + 10);
    assert_eq!(
        report.net_minor,
        i128::from(f.ledger.state.accounts[&f.members[0].public_key()].balance_minor)
    );
}

#[test]
fn an_entry_of_someone_else_is_found() {
    let f = fixture();
    let mut statement: Statement = serde_json::from_str(&statement_of(&f, 0)).unwrap();
    let other: Statement = serde_json::from_str(&statement_of(&f, 2)).unwrap();
    let foreign = other
        .entries
        .iter()
        .find(|e| e.entry.seq == 6)
        .unwrap()
        .clone();
    statement.entries.push(foreign);
    statement.entries.sort_by_key(|e| e.entry.seq);
    let report = verify_statement(&serde_json::to_string(&statement).unwrap());
    assert!(
        report.faults.iter().any(|f| f.contains("not about")),
        "{:?}",
        report.faults
    );
}

#[test]
fn a_repeated_entry_is_found_so_no_payment_counts_twice() {
    let f = fixture();
    let mut statement: Statement = serde_json::from_str(&statement_of(&f, 0)).unwrap();
    let again = statement.entries[1].clone();
    statement.entries.push(again);
    let report = verify_statement(&serde_json::to_string(&statement).unwrap());
    assert!(
        report.faults.iter().any(|f| f.contains("repeated")),
        "{:?}",
        report.faults
    );
}

#[test]
fn a_changed_memo_or_amount_is_found() {
    let f = fixture();
    let text = statement_of(&f, 0);
    let changed = text.replace("\"bread\"", "\"cake\"");
    assert_ne!(changed, text);
    assert!(!verify_statement(&changed).is_clean());
}

#[test]
fn a_head_signed_by_another_key_is_found() {
    let f = fixture();
    let mut statement: Statement = serde_json::from_str(&statement_of(&f, 0)).unwrap();
    let head = f.ledger.tree_head();
    let forged = TreeHead::sign(
        &SecretKey::generate(),
        head.circle_id,
        head.tree_size,
        head.root,
        head.timestamp_ms,
    );
    statement.tree_head = TreeHeadLine::from_head(&forged);
    let report = verify_statement(&serde_json::to_string(&statement).unwrap());
    assert!(
        report.faults.iter().any(|f| f.contains("not signed")),
        "{:?}",
        report.faults
    );
}

#[test]
fn a_forged_request_memo_is_found() {
    let f = fixture();
    let text = statement_of(&f, 0);
    let changed = text.replace("for the soup", "FORGED: Ben owes 500");
    assert_ne!(changed, text);
    let report = verify_statement(&changed);
    assert!(
        report.faults.iter().any(|f| f.contains("memo")),
        "{:?}",
        report.faults
    );
}

#[test]
fn another_circles_slug_is_found() {
    let f = fixture();
    let text = statement_of(&f, 0);
    let changed = text.replacen("\"slug\": \"garden\"", "\"slug\": \"elsewhere\"", 1);
    assert_ne!(changed, text);
    let report = verify_statement(&changed);
    assert!(
        report.faults.iter().any(|f| f.contains("elsewhere")),
        "{:?}",
        report.faults
    );
}

#[test]
fn a_foreign_or_extra_account_is_found() {
    let f = fixture();
    let mut statement: Statement = serde_json::from_str(&statement_of(&f, 0)).unwrap();
    statement
        .accounts
        .push(SecretKey::generate().public_key().to_hex());
    let report = verify_statement(&serde_json::to_string(&statement).unwrap());
    assert!(
        report.faults.iter().any(|f| f.contains("not the member's")),
        "{:?}",
        report.faults
    );
    let mut statement: Statement = serde_json::from_str(&statement_of(&f, 0)).unwrap();
    statement.accounts = vec![f.members[1].public_key().to_hex()];
    assert!(!verify_statement(&serde_json::to_string(&statement).unwrap()).is_clean());
}

/// Every bit of a real statement flipped in turn, and every line deleted: the check fails each
/// time. (A flip that leaves the text's meaning whole would be listed in
/// docs/ledger-format.md as not covered: none does.)
#[test]
fn every_bit_flip_and_every_deleted_line_of_a_statement_is_found() {
    use rayon::prelude::*;
    let f = fixture();
    let text = statement_of(&f, 0);
    assert!(verify_statement(&text).is_clean());
    let bytes = text.as_bytes();
    let passed: Vec<(usize, u8)> = (0..bytes.len() * 8)
        .into_par_iter()
        .filter_map(|flip| {
            let (at, bit) = (flip / 8, flip % 8);
            let mut changed = bytes.to_vec();
            changed[at] ^= 1 << bit;
            let changed = String::from_utf8_lossy(&changed);
            verify_statement(&changed)
                .is_clean()
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
        "{} flips still verify: {shown:?}",
        passed.len()
    );
    let lines: Vec<&str> = text.lines().collect();
    for gone in 0..lines.len() {
        let mut kept = lines.clone();
        kept.remove(gone);
        assert!(
            !verify_statement(&kept.join("\n")).is_clean(),
            "line {gone} deleted: {}",
            lines[gone]
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_changed_byte_of_a_statement_is_found(position in 0usize..100_000, byte in any::<u8>()) {
        let f = fixture();
        let text = statement_of(&f, 0);
        let mut bytes = text.clone().into_bytes();
        let at = position % bytes.len();
        prop_assume!(bytes[at] != byte);
        // The slug and whitespace are for people; they are not signed.
        let slug = text.find("\"garden\"").unwrap();
        prop_assume!(!(slug..slug + 8).contains(&at));
        prop_assume!(!bytes[at].is_ascii_whitespace() && !byte.is_ascii_whitespace());
        bytes[at] = byte;
        let changed = String::from_utf8_lossy(&bytes);
        prop_assert!(!verify_statement(&changed).is_clean());
    }

    #[test]
    fn no_input_panics_the_check(text in ".{0,600}") {
        let _ = verify_statement(&text);
    }
}
