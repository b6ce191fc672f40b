//! The moderation log's encoding and its offline check: a clean log verifies, and every
//! removed, reordered, rewritten or unsigned action is found.

use super::*;
use commons_ledger::authority::{Authority, AuthorityTimeline};
use proptest::prelude::*;

struct Log {
    circle_id: Hash,
    node: SecretKey,
    moderator: SecretKey,
    actions: Vec<SignedAction>,
    heads: Vec<LogHead>,
}

impl Log {
    fn new() -> Log {
        Log {
            circle_id: Hash([7; 32]),
            node: SecretKey::generate(),
            moderator: SecretKey::generate(),
            actions: Vec::new(),
            heads: Vec::new(),
        }
    }

    fn append(&mut self, kind: ActionKind, reason: &str) {
        let moderator = SecretKey::from_seed(*self.moderator.seed());
        self.append_by(&moderator, kind, reason, None);
    }

    /// An action signed by `signer` (the node's key, say), naming an earlier one or not.
    fn append_by(
        &mut self,
        signer: &SecretKey,
        kind: ActionKind,
        reason: &str,
        refers_to: Option<u64>,
    ) {
        let seq = self.actions.len() as u64;
        let action = Action {
            circle_id: self.circle_id,
            seq,
            previous: self.actions.last().map_or(NO_PREVIOUS, |a| a.receipt()),
            recorded_at_ms: 1_000 + seq as i64,
            moderator: signer.public_key(),
            kind,
            target: TargetKind::Listing,
            target_id: 40 + seq,
            subject: Some(SecretKey::generate().public_key()),
            agreements: vec![1, 3],
            reason: reason.to_owned(),
            ends_at_ms: kind.has_end().then_some(9_000),
            refers_to,
        };
        self.actions.push(Signed::sign(action, signer));
        let mut frontier = Frontier::default();
        for action in &self.actions {
            frontier.push(action.receipt());
        }
        self.heads.push(LogHead::sign(
            &self.node,
            self.circle_id,
            seq + 1,
            frontier.root(),
            1_000 + seq as i64,
        ));
    }

    fn export(&self) -> String {
        export_lines(
            &self.circle_id,
            "riverside",
            &self.node.public_key(),
            &self.actions,
            &self.heads,
        )
    }

    fn with(kinds: &[ActionKind]) -> Log {
        let mut log = Log::new();
        for (index, kind) in kinds.iter().enumerate() {
            log.append(*kind, &format!("reason {index}"));
        }
        log
    }
}

fn five() -> Log {
    Log::with(&[
        ActionKind::Warn,
        ActionKind::Hide,
        ActionKind::Suspend,
        ActionKind::Restore,
        ActionKind::Lift,
    ])
}

#[test]
fn an_action_reads_back_as_it_was_signed() {
    let log = five();
    for action in &log.actions {
        assert_eq!(Action::decode(&action.bytes).unwrap(), action.record);
        assert!(action.signature_is_valid());
    }
}

#[test]
fn a_clean_log_verifies_with_every_action_counted_by_kind() {
    let log = five();
    let report = verify_log(&log.export(), None);
    assert!(report.is_clean(), "{:?}", report.faults);
    assert_eq!((report.actions, report.heads), (5, 5));
    assert_eq!(report.slug, "riverside");
    assert_eq!(report.by_kind.len(), 5);
}

#[test]
fn an_empty_log_verifies() {
    let log = Log::new();
    let report = verify_log(&log.export(), None);
    assert!(report.is_clean(), "{:?}", report.faults);
    assert_eq!(report.actions, 0);
}

fn lines(log: &Log) -> Vec<String> {
    log.export().lines().map(str::to_owned).collect()
}

#[test]
fn a_removed_action_is_found() {
    let log = five();
    let mut lines = lines(&log);
    // Lines: circle, then (action, head) pairs. Remove action 2 and its head.
    lines.drain(5..7);
    let report = verify_log(&lines.join("\n"), None);
    assert!(!report.is_clean());
    assert!(report.faults.iter().any(|f| f.what.contains("removed")));
}

#[test]
fn two_swapped_actions_are_found() {
    let log = five();
    let mut lines = lines(&log);
    lines.swap(3, 5);
    let report = verify_log(&lines.join("\n"), None);
    assert!(!report.is_clean());
}

#[test]
fn a_rewritten_reason_is_found_even_with_the_heads_recomputed() {
    let mut log = five();
    // The node (or whoever holds its database) rewrites a reason and signs fresh heads: the
    // moderator's signature no longer verifies.
    let mut action = log.actions[1].record.clone();
    action.reason = "something kinder".into();
    log.actions[1] = Signed {
        bytes: action.encode(),
        record: action,
        signature: log.actions[1].signature,
    };
    let report = verify_log(&log.export(), None);
    assert!(report
        .faults
        .iter()
        .any(|f| f.what.contains("signature does not verify")));
}

#[test]
fn a_log_rebuilt_without_an_action_is_found_by_a_kept_head() {
    let log = five();
    let kept = KeptHead {
        tree_size: 5,
        root: log.heads[4].root,
        node_key: None,
    };
    // A new log, re-signed end to end by the node and a moderator, without the third action.
    let mut rebuilt = Log::new();
    rebuilt.node = SecretKey::from_seed(*log.node.seed());
    rebuilt.moderator = SecretKey::from_seed(*log.moderator.seed());
    for kind in [
        ActionKind::Warn,
        ActionKind::Hide,
        ActionKind::Restore,
        ActionKind::Lift,
    ] {
        rebuilt.append(kind, "rebuilt");
    }
    assert!(verify_log(&rebuilt.export(), None).is_clean());
    let report = verify_log(&rebuilt.export(), Some(kept));
    assert!(report.faults.iter().any(|f| f.what.contains("removed")));
    // The honest log still begins with the kept tree.
    assert!(verify_log(&log.export(), Some(kept)).is_clean());
    let earlier = KeptHead {
        tree_size: 2,
        root: log.heads[1].root,
        node_key: None,
    };
    assert!(verify_log(&log.export(), Some(earlier)).is_clean());
}

#[test]
fn a_dropped_last_head_is_found() {
    let log = five();
    let mut lines = lines(&log);
    lines.pop();
    let report = verify_log(&lines.join("\n"), None);
    assert!(report
        .faults
        .iter()
        .any(|f| f.what.contains("under no signed head")));
}

#[test]
fn a_head_not_signed_by_the_node_is_found() {
    let mut log = five();
    let stranger = SecretKey::generate();
    let head = log.heads[4];
    log.heads[4] = LogHead::sign(&stranger, head.circle_id, 5, head.root, head.timestamp_ms);
    let report = verify_log(&log.export(), None);
    assert!(report.faults.iter().any(|f| f.what.contains("not signed")));
}

#[test]
fn an_action_from_another_circle_is_found() {
    let mut log = five();
    let mut action = log.actions[0].record.clone();
    action.circle_id = Hash([9; 32]);
    log.actions[0] = Signed::sign(action, &log.moderator);
    let report = verify_log(&log.export(), None);
    assert!(report
        .faults
        .iter()
        .any(|f| f.what.contains("another circle")));
}

#[test]
fn an_action_written_in_upper_case_hex_is_a_fault_not_the_same_log() {
    let log = five();
    let export = log.export();
    let start = export.find("\"bytes\":\"").unwrap() + "\"bytes\":\"".len();
    let end = start + export[start..].find('"').unwrap();
    let upper = export[start..end].to_ascii_uppercase();
    assert_ne!(
        upper,
        export[start..end],
        "the fixture's bytes hold a letter"
    );
    let changed = format!("{}{}{}", &export[..start], upper, &export[end..]);
    assert!(!verify_log(&changed, None).is_clean());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_changed_byte_of_an_export_is_found_or_unreadable(position in 0usize..10_000, byte in any::<u8>()) {
        let log = five();
        let export = log.export();
        let mut bytes = export.clone().into_bytes();
        let at = position % bytes.len();
        // The slug is a label for people, not part of what is signed (the circle id is).
        let slug_at = export.find("riverside").unwrap();
        prop_assume!(!(slug_at..slug_at + "riverside".len()).contains(&at));
        prop_assume!(bytes[at] != byte);
        bytes[at] = byte;
        let text = String::from_utf8_lossy(&bytes);
        let report = verify_log(&text, None);
        // Changing a byte either breaks something the check reads, or lands where JSON does not
        // look (whitespace is not possible here: the export has none), so a fault is found.
        prop_assert!(!report.is_clean() || text == log.export());
    }

    #[test]
    fn no_input_panics_the_check(text in ".{0,400}") {
        let _ = verify_log(&text, None);
    }

    #[test]
    fn no_bytes_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Action::decode(&bytes);
    }
}

#[test]
fn a_log_forged_under_a_fresh_node_key_is_refused_when_the_key_is_pinned() {
    let honest = five();
    // A whole log invented: a fresh node key signs the heads, a throwaway key the actions.
    let forged = Log::with(&[ActionKind::Suspend]);
    assert!(
        verify_log(&forged.export(), None).is_clean(),
        "alone, a file vouches for the key it names"
    );
    let pinned = Some(honest.node.public_key());
    let report = verify_log_pinned(&forged.export(), None, pinned);
    assert!(
        report
            .faults
            .iter()
            .any(|f| f.what.contains("another node key")),
        "{:?}",
        report.faults
    );
    assert!(report
        .faults
        .iter()
        .any(|f| f.what.contains("not signed by the circle's node key")));
    // A kept head that names the node key pins it too; the honest log passes.
    let kept = KeptHead {
        tree_size: 5,
        root: honest.heads[4].root,
        node_key: pinned,
    };
    assert!(!verify_log(&forged.export(), Some(kept)).is_clean());
    assert!(verify_log(&honest.export(), Some(kept)).is_clean());
}

/// Every bit of a real export flipped in turn, and every line deleted: the check (with the head
/// and node key a member kept) fails each time, but for the circle line's slug, a label for
/// people (the circle's identity is its id, which every action and head signs; documented in
/// docs/moderation.md).
#[test]
fn every_bit_flip_and_every_deleted_line_of_a_moderation_export_is_found() {
    let log = five();
    let text = log.export();
    let kept = KeptHead {
        tree_size: 5,
        root: log.heads[4].root,
        node_key: Some(log.node.public_key()),
    };
    assert!(verify_log(&text, Some(kept)).is_clean());
    let slug_at = text.find("\"riverside\"").expect("the slug") + 1;
    let slug = slug_at..slug_at + "riverside".len();
    let bytes = text.as_bytes();
    let mut passed = Vec::new();
    for at in (0..bytes.len()).filter(|at| !slug.contains(at)) {
        for bit in 0..8 {
            let mut changed = bytes.to_vec();
            changed[at] ^= 1 << bit;
            if verify_log(&String::from_utf8_lossy(&changed), Some(kept)).is_clean() {
                passed.push((at, bit, bytes[at] as char));
            }
        }
    }
    assert!(
        passed.is_empty(),
        "{} flips still verify: {:?}",
        passed.len(),
        &passed[..passed.len().min(20)]
    );
    let lines = lines(&log);
    for gone in 0..lines.len() {
        let mut kept_lines = lines.clone();
        kept_lines.remove(gone);
        assert!(
            !verify_log(&kept_lines.join("\n"), Some(kept)).is_clean(),
            "line {gone} deleted: {}",
            lines[gone]
        );
    }
}

fn pins<'a>(log: &Log, authority: &'a AuthorityTimeline) -> Pins<'a> {
    Pins {
        node_key: Some(log.node.public_key()),
        circle_id: Some(log.circle_id),
        authority: Some(authority),
    }
}

fn moderating(stewards: &[&SecretKey], moderators: &[&SecretKey]) -> Authority {
    Authority::new(
        stewards.iter().map(|k| k.public_key()).collect(),
        moderators.iter().map(|k| k.public_key()).collect(),
    )
}

#[test]
fn with_the_ledgers_record_an_action_by_someone_who_no_longer_moderated_is_found() {
    // Actions 0 and 1 are recorded at 1000 and 1001; the appointment ended at 1001.
    let log = Log::with(&[ActionKind::Warn, ActionKind::Hide]);
    let steward = SecretKey::generate();
    let mut timeline = AuthorityTimeline::default();
    timeline.record(0, &moderating(&[&steward], &[]));
    timeline.record(500, &moderating(&[&steward], &[&log.moderator]));
    timeline.record(1_001, &moderating(&[&steward], &[]));
    let report = verify_log_with(&log.export(), None, pins(&log, &timeline));
    assert_eq!(report.faults.len(), 1, "{:?}", report.faults);
    assert!(
        report.faults[0]
            .what
            .starts_with("action 1: it is signed by")
            && report.faults[0].what.ends_with(
                "who was neither a steward nor an appointed moderator of the circle at that time"
            ),
        "{:?}",
        report.faults
    );
    // Without the ledger, the file alone cannot say who moderated.
    assert!(verify_log(&log.export(), None).is_clean());
    // Appointed all along, the same log verifies.
    let mut always = AuthorityTimeline::default();
    always.record(0, &moderating(&[&steward], &[&log.moderator]));
    assert!(verify_log_with(&log.export(), None, pins(&log, &always)).is_clean());
}

#[test]
fn an_action_signed_before_the_circle_began_or_by_a_stranger_is_found() {
    let log = Log::with(&[ActionKind::Warn]);
    let mut later = AuthorityTimeline::default();
    later.record(5_000, &moderating(&[&log.moderator], &[]));
    let report = verify_log_with(&log.export(), None, pins(&log, &later));
    assert_eq!(report.faults.len(), 1, "{:?}", report.faults);
    let mut others = AuthorityTimeline::default();
    others.record(0, &moderating(&[&SecretKey::generate()], &[]));
    let report = verify_log_with(&log.export(), None, pins(&log, &others));
    assert_eq!(report.faults.len(), 1, "{:?}", report.faults);
}

#[test]
fn the_node_key_signs_only_how_the_circle_decided_an_appeal() {
    let mut log = Log::with(&[ActionKind::Hide]);
    let node = SecretKey::from_seed(*log.node.seed());
    log.append_by(&node, ActionKind::Restore, "The circle decided.", Some(0));
    let mut timeline = AuthorityTimeline::default();
    timeline.record(0, &moderating(&[&log.moderator], &[]));
    assert!(verify_log_with(&log.export(), None, pins(&log, &timeline)).is_clean());
    log.append_by(&node, ActionKind::Warn, "The node warns.", None);
    log.append_by(&node, ActionKind::Uphold, "Names itself.", Some(3));
    for report in [
        verify_log(&log.export(), None),
        verify_log_with(&log.export(), None, pins(&log, &timeline)),
    ] {
        let found: Vec<&str> = report.faults.iter().map(|f| f.what.as_str()).collect();
        assert_eq!(
            found,
            [
                "action 2: it is signed by the node's key, which only records how the circle decided an appeal by vote",
                "action 3: it is signed by the node's key, which only records how the circle decided an appeal by vote",
            ]
        );
    }
}

#[test]
fn a_log_of_another_circle_than_the_ledgers_is_found() {
    let log = five();
    let timeline = AuthorityTimeline::default();
    let mut pinned = pins(&log, &timeline);
    pinned.authority = None;
    assert!(verify_log_with(&log.export(), None, pinned).is_clean());
    pinned.circle_id = Some(Hash([9; 32]));
    let report = verify_log_with(&log.export(), None, pinned);
    assert_eq!(
        report.faults[0].what,
        "the log is of another circle than the ledger you gave"
    );
}
