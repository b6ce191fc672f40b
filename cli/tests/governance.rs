//! `commons tally`, `commons export ballots` and `commons audit` on a node's own database: the
//! demo circle's decided proposal recounts to its record, its enactment audits, and a ballot
//! changed behind the node's back fails both the recount and the audit.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn commons(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_commons"))
        .args(args)
        .env("COMMONS_DB", db)
        .output()
        .expect("run commons")
}

/// Plants the demo in a fresh database (through `commons serve --demo`), then stops the server.
fn demo_database(dir: &tempfile::TempDir) -> String {
    let db = dir.path().join("demo.db").to_string_lossy().into_owned();
    let mut server = Command::new(env!("CARGO_BIN_EXE_commons"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .env("COMMONS_DB", &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let stdout = server.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines() {
        if line.expect("line").starts_with("Demo circle") {
            break;
        }
    }
    server.kill().expect("stop");
    server.wait().expect("stopped");
    db
}

#[test]
fn a_stored_decision_recounts_exports_and_audits_and_tampering_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_database(&dir);

    let tally = commons(&db, &["tally", "riverside/1"]);
    let text = String::from_utf8_lossy(&tally.stdout);
    assert!(tally.status.success(), "{text}");
    assert!(text.contains("Outcome: passed"), "{text}");
    assert!(text.contains("matches the recorded decision"), "{text}");

    let audit = commons(&db, &["audit", "riverside"]);
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stdout)
    );

    // Exported, then recounted offline.
    let export = dir.path().join("ballots.jsonl");
    let out = commons(
        &db,
        &[
            "export",
            "ballots",
            "riverside/1",
            "--out",
            export.to_str().expect("path"),
        ],
    );
    assert!(out.status.success());
    let offline = commons(&db, &["tally", "--file", export.to_str().expect("path")]);
    assert!(
        offline.status.success(),
        "{}",
        String::from_utf8_lossy(&offline.stdout)
    );
    // The ranked vote under way exports as BLT, which counts.
    let blt = dir.path().join("venue.blt");
    let out = commons(
        &db,
        &[
            "export",
            "ballots",
            "riverside/2",
            "--blt",
            "--out",
            blt.to_str().expect("path"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counted = commons(
        &db,
        &[
            "tally",
            "--blt",
            blt.to_str().expect("path"),
            "--method",
            "irv",
        ],
    );
    assert!(counted.status.success());
    assert!(String::from_utf8_lossy(&counted.stdout).contains("Winner: "));
    // A majority vote is not BLT.
    assert_eq!(
        commons(&db, &["export", "ballots", "riverside/1", "--blt"])
            .status
            .code(),
        Some(2)
    );
    // The ledger export with the ballots: the enactment recounts offline too; without them,
    // the audit says what is missing.
    let ledger = dir.path().join("ledger.jsonl");
    assert!(commons(
        &db,
        &[
            "export",
            "riverside",
            "--out",
            ledger.to_str().expect("path")
        ]
    )
    .status
    .success());
    // The demo's fifth proposal appointed its second moderator: its ballots back that entry.
    let appointment = dir.path().join("appointment.jsonl");
    let out = commons(
        &db,
        &[
            "export",
            "ballots",
            "riverside/5",
            "--out",
            appointment.to_str().expect("path"),
        ],
    );
    assert!(out.status.success());
    // Its sixth linked the circle with its neighbour, Hillside Repair Café.
    let link = dir.path().join("link.jsonl");
    let out = commons(
        &db,
        &[
            "export",
            "ballots",
            "riverside/6",
            "--out",
            link.to_str().expect("path"),
        ],
    );
    assert!(out.status.success());
    let offline_audit = commons(
        &db,
        &[
            "audit",
            "--file",
            ledger.to_str().expect("path"),
            "--ballots",
            export.to_str().expect("path"),
            "--ballots",
            appointment.to_str().expect("path"),
            "--ballots",
            link.to_str().expect("path"),
        ],
    );
    assert!(
        offline_audit.status.success(),
        "{}",
        String::from_utf8_lossy(&offline_audit.stdout)
    );
    let unbacked = commons(&db, &["audit", "--file", ledger.to_str().expect("path")]);
    assert_eq!(unbacked.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unbacked.stdout).contains("--ballots"));

    // Someone with the database changes a stored ballot (past the append-only trigger): the
    // recount names it, and the audit fails the enactment it backed.
    assert!(tamper_with_a_ballot(&db), "tampering went through");
    let tally = commons(&db, &["tally", "riverside/1"]);
    assert_eq!(tally.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&tally.stdout).contains("INVALID ballot"));
    let audit = commons(&db, &["audit", "riverside"]);
    assert_eq!(audit.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&audit.stdout).contains("enacts")
            || String::from_utf8_lossy(&audit.stdout).contains("invalid"),
        "{}",
        String::from_utf8_lossy(&audit.stdout)
    );
}

/// Drops the ballots' append-only trigger and flips a bit of one stored signature, with sqlx.
fn tamper_with_a_ballot(db: &str) -> bool {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{db}"))
            .await
            .expect("connect");
        sqlx::query("DROP TRIGGER ballots_no_update")
            .execute(&mut conn)
            .await
            .expect("drop");
        let done = sqlx::query(
            "UPDATE ballots SET signature = zeroblob(64) WHERE id = (SELECT MIN(id) FROM ballots)",
        )
        .execute(&mut conn)
        .await
        .expect("update");
        done.rows_affected() == 1
    })
}
