//! `commons audit --statement` and `commons audit --moderation`: a member's statement and a
//! circle's moderation log verify offline (exit 0), any change is a fault (exit 1), and no file
//! makes the command crash.

use std::process::Command;

use commons_governance::moderation::{
    export_lines, Action, ActionKind, LogHead, TargetKind, NO_PREVIOUS,
};
use commons_ledger::entry::{Body, Cause, CircleSpec, Entry};
use commons_ledger::export::TreeHeadLine;
use commons_ledger::keys::{Hash, SecretKey};
use commons_ledger::memory::MemoryLedger;
use commons_ledger::merkle::{inclusion_proof, Frontier};
use commons_ledger::signed::Signed;
use commons_ledger::statement::{proved, Statement, STATEMENT_FORMAT, STATEMENT_VERSION};
use commons_ledger::store::StoredEntry;

fn audit(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_commons"))
        .arg("audit")
        .args(args)
        .output()
        .expect("run commons");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The circle these checks use, in hours with two decimals.
fn garden() -> CircleSpec {
    CircleSpec {
        slug: "garden".into(),
        name: "Garden Share".into(),
        unit_name: "hours".into(),
        unit_symbol: "h".into(),
        decimals: 2,
        default_floor_minor: -2000,
        default_ceiling_minor: 5000,
    }
}

fn statement() -> String {
    let steward = SecretKey::generate();
    let spec = garden();
    let mut ledger = MemoryLedger::create(spec, &steward, 1_700_000_000_000).expect("genesis");
    let (ana, ben) = (SecretKey::generate(), SecretKey::generate());
    for key in [&ana, &ben] {
        ledger
            .submit(
                &steward,
                Body::OpenAccount {
                    account: key.public_key(),
                    floor_minor: -2000,
                    ceiling_minor: 5000,
                },
            )
            .expect("open");
    }
    ledger
        .submit(
            &ana,
            Body::Transfer {
                payer: ana.public_key(),
                payee: ben.public_key(),
                amount_minor: 300,
                memo_hash: None,
                cause: Cause::Direct,
            },
        )
        .expect("paid");
    let leaves: Vec<Hash> = ledger.entries.iter().map(Entry::hash).collect();
    let prove = |seq: usize| {
        let entry = &ledger.entries[seq];
        proved(
            &StoredEntry {
                entry: entry.clone(),
                hash: entry.hash(),
                memo: None,
            },
            &inclusion_proof(&leaves, seq),
        )
    };
    let statement = Statement {
        format: STATEMENT_FORMAT.into(),
        version: STATEMENT_VERSION,
        slug: "garden".into(),
        circle_id: ledger.state.circle_id.to_hex(),
        accounts: vec![ana.public_key().to_hex()],
        tree_head: TreeHeadLine::from_head(&ledger.tree_head()),
        genesis: prove(0),
        entries: vec![prove(1), prove(3)],
    };
    serde_json::to_string_pretty(&statement).expect("json")
}

fn moderation_log() -> (String, String) {
    let (node, moderator) = (SecretKey::generate(), SecretKey::generate());
    moderation_log_of(Hash([3; 32]), &node, &moderator, &[1_000, 1_001])
}

/// A log of the circle `circle_id` whose heads `node` signs: one action by `moderator` at each
/// time (a warning, then hides).
fn moderation_log_of(
    circle_id: Hash,
    node: &SecretKey,
    moderator: &SecretKey,
    times_ms: &[i64],
) -> (String, String) {
    let mut actions = Vec::new();
    let mut heads = Vec::new();
    let mut frontier = Frontier::default();
    for (seq, time_ms) in times_ms.iter().enumerate() {
        let kind = if seq == 0 {
            ActionKind::Warn
        } else {
            ActionKind::Hide
        };
        let action = Action {
            circle_id,
            seq: seq as u64,
            previous: actions
                .last()
                .map_or(NO_PREVIOUS, |a: &Signed<Action>| a.receipt()),
            recorded_at_ms: *time_ms,
            moderator: moderator.public_key(),
            kind,
            target: TargetKind::Listing,
            target_id: 9,
            subject: None,
            agreements: vec![1],
            reason: format!("reason {seq}"),
            ends_at_ms: None,
            refers_to: None,
        };
        let signed = Signed::sign(action, moderator);
        frontier.push(signed.receipt());
        heads.push(LogHead::sign(
            node,
            circle_id,
            frontier.size(),
            frontier.root(),
            *time_ms,
        ));
        actions.push(signed);
    }
    let kept = format!("{}:{}", frontier.size(), frontier.root().to_hex());
    (
        export_lines(&circle_id, "garden", &node.public_key(), &actions, &heads),
        kept,
    )
}

#[test]
fn a_statement_verifies_offline_and_a_changed_one_does_not() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("statement.json");
    let text = statement();
    std::fs::write(&path, &text).expect("write");
    let (code, out) = audit(&["--statement", path.to_str().expect("path")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK") && out.contains("-300"), "{out}");
    std::fs::write(&path, text.replacen("\"seq\": 3", "\"seq\": 2", 1)).expect("write");
    let (code, out) = audit(&["--statement", path.to_str().expect("path")]);
    assert_eq!(code, 1, "{out}");
    for hostile in [&b"\xff\xfe not json"[..], b"{}", b"[]", b""] {
        std::fs::write(&path, hostile).expect("write");
        let (code, _) = audit(&["--statement", path.to_str().expect("path")]);
        assert_eq!(code, 1, "a hostile file is a fault, never a crash");
    }
}

#[test]
fn a_moderation_log_verifies_offline_against_a_kept_head_and_a_rewritten_one_does_not() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("log.jsonl");
    let (text, kept) = moderation_log();
    std::fs::write(&path, &text).expect("write");
    let file = path.to_str().expect("path");
    let (code, out) = audit(&["--moderation", file, "--kept-head", &kept]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 actions"), "{out}");
    let without_last: Vec<&str> = text.lines().take(3).collect();
    std::fs::write(&path, without_last.join("\n")).expect("write");
    let (code, out) = audit(&["--moderation", file, "--kept-head", &kept]);
    assert_eq!(
        code, 1,
        "a removed action is found with the kept head: {out}"
    );
    // One hex digit of the first action's signed bytes (near its end: the reason) changed.
    let at = text.find("\",\"signature\"").expect("an action") - 3;
    let mut rewritten = text.clone().into_bytes();
    rewritten[at] = if rewritten[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&path, &rewritten).expect("write");
    let (code, out) = audit(&["--moderation", file]);
    assert_eq!(code, 1, "a rewritten action is found: {out}");
    let (code, _) = audit(&["--moderation", file, "--kept-head", "nonsense"]);
    assert_eq!(code, 1, "an unreadable kept head is a fault");
}

#[test]
fn a_moderation_log_signed_under_another_node_key_fails_against_the_key_kept() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("log.jsonl");
    let file = path.to_str().expect("path");
    let (honest, kept) = moderation_log();
    let node_key = {
        let line: serde_json::Value =
            serde_json::from_str(honest.lines().next().expect("a circle line")).expect("json");
        line["circle"]["node_key"]
            .as_str()
            .or_else(|| line["node_key"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("the circle line names its node key: {line}"))
    };
    let kept_with_key = format!("{kept}:{node_key}");
    std::fs::write(&path, &honest).expect("write");
    let (code, out) = audit(&["--moderation", file, "--kept-head", &kept_with_key]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("the node key you kept"), "{out}");
    // Another log, every line re-signed under a fresh node key and a throwaway moderator key.
    let (forged, _) = moderation_log();
    std::fs::write(&path, &forged).expect("write");
    let (code, out) = audit(&["--moderation", file]);
    assert_eq!(code, 0, "alone, a file vouches only for itself: {out}");
    assert!(out.contains("nothing pinned it"), "{out}");
    let (code, out) = audit(&["--moderation", file, "--kept-head", &kept_with_key]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("another node key"), "{out}");
}

#[test]
fn with_the_ledger_a_moderation_action_by_someone_whose_appointment_had_ended_is_a_fault() {
    let steward = SecretKey::generate();
    let spec = garden();
    let start_ms = 1_700_000_000_000;
    let mut ledger = MemoryLedger::create(spec, &steward, start_ms).expect("genesis");
    let node = SecretKey::from_seed(*ledger.node_key.seed());
    let dora = SecretKey::generate();
    ledger
        .submit(
            &steward,
            Body::OpenAccount {
                account: dora.public_key(),
                floor_minor: -2000,
                ceiling_minor: 5000,
            },
        )
        .expect("open");
    for (number, action) in [
        commons_ledger::entry::Action::AppointModerator {
            account: dora.public_key(),
        },
        commons_ledger::entry::Action::EndModerator {
            account: dora.public_key(),
        },
    ]
    .into_iter()
    .enumerate()
    {
        ledger
            .submit(
                &node,
                Body::Enact {
                    proposal: Hash([number as u8 + 1; 32]),
                    board_root: Hash([9; 32]),
                    actions: vec![action],
                },
            )
            .expect("enacted");
    }
    // Entries at start, +1 (open), +2 (appointed), +3 (ended).
    let appointed_ms = ledger.entries[2].recorded_at_ms;
    let ended_ms = ledger.entries[3].recorded_at_ms;
    let dir = tempfile::tempdir().expect("dir");
    let ledger_path = dir.path().join("garden.jsonl");
    std::fs::write(&ledger_path, ledger.export_text()).expect("write");
    let log_path = dir.path().join("log.jsonl");
    let (ledger_file, log_file) = (
        ledger_path.to_str().expect("path"),
        log_path.to_str().expect("path"),
    );
    let circle_id = ledger.state.circle_id;
    let (while_appointed, _) = moderation_log_of(circle_id, &node, &dora, &[appointed_ms]);
    std::fs::write(&log_path, &while_appointed).expect("write");
    let (code, out) = audit(&["--moderation", log_file, "--ledger", ledger_file]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("appointed moderator of its time"), "{out}");
    let (after_the_end, _) = moderation_log_of(circle_id, &node, &dora, &[appointed_ms, ended_ms]);
    std::fs::write(&log_path, &after_the_end).expect("write");
    let (code, out) = audit(&["--moderation", log_file, "--ledger", ledger_file]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("action 1: it is signed by")
            && out.contains("neither a steward nor an appointed moderator"),
        "{out}"
    );
    // A ledger that does not verify vouches for nobody.
    let mut broken = ledger.export_text();
    broken = broken.replacen("\"seq\":3", "\"seq\":4", 1);
    std::fs::write(&ledger_path, broken).expect("write");
    std::fs::write(&log_path, &while_appointed).expect("write");
    let (code, out) = audit(&["--moderation", log_file, "--ledger", ledger_file]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not verify"), "{out}");
}
