//! `commons tally` as a steward uses it: counting real BLT elections, and recounting a vote's
//! signed ballots offline, where any change to any signed ballot is caught (exit 1).

use std::path::PathBuf;
use std::process::{Command, Output};

use commons_governance::ballot::{Ballot, Choice, SignedBallot};
use commons_governance::delegation::{Delegation, Scope, SignedDelegation};
use commons_governance::export;
use commons_governance::majority::Position;
use commons_governance::policy::Policy;
use commons_governance::proposal::{body_hash, Definition, Method};
use commons_governance::tally::recount;
use commons_ledger::entry::Action;
use commons_ledger::keys::{Hash, PublicKey, SecretKey};
use proptest::prelude::*;

fn commons(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_commons"))
        .args(args)
        .output()
        .expect("run commons")
}

fn elections(file: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../governance/tests/fixtures/elections")
        .join(file)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_blt_file_is_counted_by_irv_and_schulze_with_their_tables() {
    let burlington = elections("2009-Burlington-Mayor.blt");
    let irv = commons(&["tally", "--blt", &burlington, "--method", "irv"]);
    assert!(irv.status.success());
    let text = String::from_utf8_lossy(&irv.stdout);
    assert!(text.contains("Winner: Bob Kiss"), "{text}");
    assert!(text.contains("Round 4: Andy Montroll excluded"), "{text}");
    let schulze = commons(&[
        "tally",
        "--blt",
        &burlington,
        "--method",
        "schulze",
        "--json",
    ]);
    assert!(schulze.status.success());
    let json: serde_json::Value = serde_json::from_slice(&schulze.stdout).expect("json");
    assert_eq!(json["winners"][0], "Andy Montroll");
    assert_eq!(json["count"]["pairwise"][1][0], 4067);
    let stv = commons(&[
        "tally",
        "--blt",
        &burlington,
        "--method",
        "stv",
        "--seats",
        "2",
    ]);
    assert!(stv.status.success());
    assert!(String::from_utf8_lossy(&stv.stdout).contains("Elected: "));
}

#[test]
fn a_file_that_is_not_blt_cannot_run() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("bad.blt");
    std::fs::write(&path, "3 1\n1 4 0\n0\n").expect("write");
    let output = commons(&[
        "tally",
        "--blt",
        path.to_str().expect("path"),
        "--method",
        "irv",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("candidate 4"));
    let output = commons(&["tally", "--blt", path.to_str().expect("path")]);
    assert_eq!(output.status.code(), Some(2), "--method is required");
}

struct Vote {
    definition: Definition,
    policy: Policy,
    ballots: Vec<SignedBallot>,
    delegations: Vec<SignedDelegation>,
}

/// A majority vote of five members raising the default floor: one changes their mind, one
/// delegates.
fn vote() -> Vote {
    let keys: Vec<SecretKey> = (0..5).map(|_| SecretKey::generate()).collect();
    let mut electorate: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
    electorate.sort_unstable();
    // A circle that votes for an hour, with no minimum discussion.
    let policy = Policy {
        discussion_hours_min: 0,
        voting_hours: 1,
        ..Policy::default()
    };
    let definition = Definition {
        circle_id: Hash([7; 32]),
        proposal_id: 1,
        round: 1,
        title: "Raise the default floor to -50 hours".into(),
        body_hash: body_hash("More room for newcomers."),
        author: keys[0].public_key(),
        method: Method::Majority,
        options: vec![],
        quorum_percent: 50,
        threshold_percent: 50,
        opens_at_ms: 1_000,
        closes_at_ms: 1_000 + 3_600_000,
        electorate,
        delegation: true,
        hide_results: false,
        actions: vec![Action::SetDefaultLimits {
            floor_minor: -5000,
            ceiling_minor: 5000,
        }],
        policy_hash: policy.hash(),
        discussed_since_ms: 1_000,
    };
    let cast = |i: usize, at: i64, position: Position| {
        Ballot::new(
            &definition,
            keys[i].public_key(),
            at,
            Choice::Majority(position),
        )
        .sign(&keys[i])
    };
    let ballots = vec![
        cast(0, 2_000, Position::Yes),
        cast(1, 2_100, Position::No),
        cast(1, 2_200, Position::Yes),
        cast(2, 2_300, Position::No),
    ];
    let delegations = vec![Delegation {
        circle_id: definition.circle_id,
        delegator: keys[3].public_key(),
        delegate: Some(keys[0].public_key()),
        scope: Scope::Standing,
        made_at_ms: 500,
    }
    .sign(&keys[3])];
    Vote {
        definition,
        policy,
        ballots,
        delegations,
    }
}

fn write_export(vote: &Vote, dir: &tempfile::TempDir, text: Option<String>) -> String {
    let counted = recount(&vote.definition, &vote.ballots, &vote.delegations);
    let text = text.unwrap_or_else(|| {
        export::write(
            &vote.definition,
            &vote.policy,
            &vote.ballots,
            &vote.delegations,
            Some(&counted.decision()),
        )
    });
    let path = dir.path().join("ballots.jsonl");
    std::fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

#[test]
fn an_honest_export_recounts_to_its_recorded_decision() {
    let vote = vote();
    let dir = tempfile::tempdir().expect("dir");
    let path = write_export(&vote, &dir, None);
    let output = commons(&["tally", "--file", &path]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("yes 3, no 1, abstain 0"), "{text}");
    assert!(text.contains("Outcome: passed"), "{text}");
    assert!(text.contains("1 superseded"), "{text}");
    assert!(text.contains("matches the recorded decision"), "{text}");
    let json = commons(&["tally", "--file", &path, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(json["matches_recorded"], true);
    assert_eq!(json["outcome"]["outcome"], "passed");
}

#[test]
fn a_changed_recorded_decision_is_a_mismatch() {
    let vote = vote();
    let dir = tempfile::tempdir().expect("dir");
    let honest = export::write(
        &vote.definition,
        &vote.policy,
        &vote.ballots,
        &vote.delegations,
        Some(&recount(&vote.definition, &vote.ballots, &vote.delegations).decision()),
    );
    let lie = honest.replace("\"outcome\":\"passed\"", "\"outcome\":\"rejected\"");
    assert_ne!(lie, honest);
    let path = write_export(&vote, &dir, Some(lie));
    let output = commons(&["tally", "--file", &path]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("MISMATCH"));
}

#[test]
fn a_definition_that_breaks_the_policy_it_names_makes_tally_exit_1() {
    // A node patched to skip the check froze a quorum of 0 for a steward-level action: every
    // ballot is valid and signed, but the recount refuses the definition.
    let mut vote = vote();
    vote.definition.quorum_percent = 0;
    vote.definition.actions = vec![Action::AddSteward {
        key: vote.definition.author,
    }];
    let resigned: Vec<SignedBallot> = Vec::new();
    vote.ballots = resigned;
    vote.delegations.clear();
    let dir = tempfile::tempdir().expect("dir");
    let path = write_export(&vote, &dir, None);
    let output = commons(&["tally", "--file", &path]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("INVALID definition 1: it breaks the policy it names: its quorum is 0 %, below the 50 % the policy asks for steward-level actions"), "{text}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any change to any signed ballot (one bit of its bytes or signature) makes the recount
    /// name an invalid ballot, and `commons tally` exit 1.
    #[test]
    fn any_change_to_a_signed_ballot_makes_tally_exit_1(
        ballot in 0usize..4,
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
        in_signature in any::<bool>(),
    ) {
        let mut vote = vote();
        // The recorded decision is the honest one; the ballot changes after it.
        let decision = recount(&vote.definition, &vote.ballots, &vote.delegations).decision();
        let target = &mut vote.ballots[ballot];
        if in_signature {
            target.signature.0[position.index(64)] ^= 1 << bit;
        } else {
            let index = position.index(target.bytes.len());
            target.bytes[index] ^= 1 << bit;
        }
        let dir = tempfile::tempdir().expect("dir");
        let text = export::write(&vote.definition, &vote.policy, &vote.ballots, &vote.delegations, Some(&decision));
        let path = write_export(&vote, &dir, Some(text));
        let output = commons(&["tally", "--file", &path]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        prop_assert_eq!(output.status.code(), Some(1), "{}", stdout);
        prop_assert!(stdout.contains("INVALID ballot"), "{}", stdout);
    }
}
