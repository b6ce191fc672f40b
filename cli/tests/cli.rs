//! The `commons` command line as stewards use it: commands, outputs, exit codes and messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Run {
    dir: tempfile::TempDir,
    db: String,
}

impl Run {
    fn sqlite() -> Run {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("commons.db").to_string_lossy().into_owned();
        Run { dir, db }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn commons(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_commons"))
            .args(args)
            .env("COMMONS_DB", &self.db)
            .current_dir(self.dir.path())
            .output()
            .expect("run commons")
    }

    /// Runs a command that must succeed and returns its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.commons(args);
        assert!(
            output.status.success(),
            "commons {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8")
    }

    fn keygen(&self, name: &str) -> String {
        let path = self.path(name);
        self.ok(&["keygen", "--out", path.to_str().expect("path")])
            .trim()
            .to_owned()
    }

    /// A circle `garden` with a steward and two members, alice and bob.
    fn garden(&self) -> (String, String) {
        self.keygen("steward.key");
        let alice = self.keygen("alice.key");
        let bob = self.keygen("bob.key");
        self.ok(&[
            "circle",
            "create",
            "garden",
            "--name",
            "Garden Share",
            "--unit",
            "hours",
            "--floor",
            "-20",
            "--ceiling",
            "50",
            "--steward-key",
            "steward.key",
        ]);
        for member in [&alice, &bob] {
            self.ok(&[
                "account",
                "open",
                "garden",
                "--member",
                member,
                "--steward-key",
                "steward.key",
            ]);
        }
        (alice, bob)
    }
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exit code")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn keygen_writes_a_private_file_and_never_overwrites() {
    let run = Run::sqlite();
    let public = run.keygen("me.key");
    assert_eq!(public.len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(run.path("me.key"))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(run.path("me.key")).expect("key file");
    assert!(text.contains(&public));
    let again = run.commons(&["keygen", "--out", "me.key"]);
    assert_eq!(code(&again), 2);
    assert!(stderr(&again).contains("never overwritten"));
    assert_eq!(
        std::fs::read_to_string(run.path("me.key")).expect("key file"),
        text
    );
}

#[test]
fn pay_balance_log_and_the_limit_message() {
    let run = Run::sqlite();
    let (alice, bob) = run.garden();
    let paid = run.ok(&[
        "pay",
        "garden",
        "--from-key",
        "alice.key",
        "--to",
        &bob,
        "--amount",
        "18.5",
        "--memo",
        "bike repair",
    ]);
    assert!(paid.starts_with("Paid 18.50 hours to"), "{paid}");

    let refused = run.commons(&[
        "pay",
        "garden",
        "--from-key",
        "alice.key",
        "--to",
        &bob,
        "--amount",
        "2",
    ]);
    assert_eq!(code(&refused), 1);
    assert!(
        stderr(&refused).contains("Not enough credit: your balance is -18.50 hours, your floor is -20.00 hours, so you can pay at most 1.50 hours."),
        "{}",
        stderr(&refused)
    );
    let too_precise = run.commons(&[
        "pay",
        "garden",
        "--from-key",
        "alice.key",
        "--to",
        &bob,
        "--amount",
        "0.005",
    ]);
    assert_eq!(code(&too_precise), 2);
    assert!(
        stderr(&too_precise).contains("more decimal places than this circle uses (2)"),
        "{}",
        stderr(&too_precise)
    );
    let to_self = run.commons(&[
        "pay",
        "garden",
        "--from-key",
        "alice.key",
        "--to",
        &alice,
        "--amount",
        "1",
    ]);
    assert_eq!(code(&to_self), 1);
    assert!(stderr(&to_self).contains("cannot pay yourself"));
    let bad_key = run.commons(&[
        "pay",
        "garden",
        "--from-key",
        "alice.key",
        "--to",
        "not-a-key",
        "--amount",
        "1",
    ]);
    assert_eq!(code(&bad_key), 2);
    assert!(stderr(&bad_key).contains("is not a member's public key"));
    let nowhere = run.commons(&["balance", "nowhere"]);
    assert_eq!(code(&nowhere), 2);
    assert!(stderr(&nowhere).contains("there is no circle called \"nowhere\""));

    let table = run.ok(&["balance", "garden"]);
    assert!(
        table.contains("Balance (hours)") && table.contains("-18.50") && table.contains("18.50"),
        "{table}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&run.ok(&["balance", "garden", &alice, "--json"])).expect("json");
    assert_eq!(json["accounts"][0]["balance"], "-18.50");
    assert_eq!(json["accounts"][0]["can_spend"], "1.50");
    assert_eq!(json["accounts"].as_array().map(Vec::len), Some(1));

    let log = run.ok(&["log", "garden", "--limit", "2"]);
    assert!(
        log.contains("bike repair") && log.contains("transfer") && !log.contains("genesis"),
        "{log}"
    );
    let log: serde_json::Value =
        serde_json::from_str(&run.ok(&["log", "garden", "--json"])).expect("json");
    assert_eq!(log.as_array().map(Vec::len), Some(4));
    assert_eq!(log[0]["memo"], "bike repair");
}

#[test]
fn requests_accept_decline_and_reverse() {
    let run = Run::sqlite();
    let (alice, _bob) = run.garden();
    let asked = run.ok(&[
        "request", "garden", "--key", "bob.key", "--from", &alice, "--amount", "3", "--memo",
        "soup",
    ]);
    assert!(asked.contains("as entry 3"), "{asked}");
    let wrong_payer = run.commons(&["accept", "garden", "3", "--key", "bob.key"]);
    assert_eq!(code(&wrong_payer), 1, "{}", stderr(&wrong_payer));
    assert!(run
        .ok(&["accept", "garden", "3", "--key", "alice.key"])
        .contains("as entry 4"));
    run.ok(&[
        "request", "garden", "--key", "bob.key", "--from", &alice, "--amount", "1",
    ]);
    assert!(run
        .ok(&["decline", "garden", "5", "--key", "alice.key"])
        .contains("Closed entry 5"));
    assert!(run
        .ok(&["reverse", "garden", "4", "--key", "bob.key"])
        .contains("Reversed entry 4"));
    let twice = run.commons(&["reverse", "garden", "4", "--key", "bob.key"]);
    assert_eq!(code(&twice), 1);
    assert!(stderr(&twice).contains("already been reversed"));
    let json: serde_json::Value =
        serde_json::from_str(&run.ok(&["balance", "garden", &alice, "--json"])).expect("json");
    assert_eq!(json["accounts"][0]["balance"], "0.00");
    assert!(run
        .ok(&["audit", "garden"])
        .starts_with("OK: 8 entries verified"));
}

fn tamper(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("export");
    assert!(text.contains(from), "{from} not in export");
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn export_audit_and_trusted_heads() {
    let run = Run::sqlite();
    let (_alice, bob) = run.garden();
    run.ok(&[
        "pay",
        "garden",
        "--from-key",
        "alice.key",
        "--to",
        &bob,
        "--amount",
        "2.5",
    ]);
    run.ok(&["head", "garden", "--out", "head-old.json"]);
    run.ok(&[
        "pay",
        "garden",
        "--from-key",
        "alice.key",
        "--to",
        &bob,
        "--amount",
        "1",
    ]);
    run.ok(&[
        "pay",
        "garden",
        "--from-key",
        "bob.key",
        "--to",
        &_alice,
        "--amount",
        "0.5",
        "--memo",
        "private note",
    ]);
    run.ok(&[
        "export",
        "garden",
        "--out",
        "public.jsonl",
        "--without-memos",
    ]);
    let public = std::fs::read_to_string(run.path("public.jsonl")).expect("export");
    assert!(!public.contains("private note"));
    assert!(run
        .ok(&["audit", "--file", "public.jsonl"])
        .starts_with("OK: 6 entries verified"));
    run.ok(&["export", "garden", "--out", "garden.jsonl"]);
    assert!(std::fs::read_to_string(run.path("garden.jsonl"))
        .expect("export")
        .contains("private note"));
    assert!(run
        .ok(&["audit", "--file", "garden.jsonl"])
        .starts_with("OK: 6 entries verified"));
    assert!(run
        .ok(&[
            "audit",
            "--file",
            "garden.jsonl",
            "--trusted-head",
            "head-old.json"
        ])
        .starts_with("OK"));
    assert!(run
        .ok(&["audit", "garden", "--trusted-head", "head-old.json"])
        .starts_with("OK"));
    let json: serde_json::Value =
        serde_json::from_str(&run.ok(&["audit", "garden", "--json"])).expect("json");
    assert_eq!(json["ok"], true);
    assert_eq!(json["entries"], 6);

    // One changed amount in the signed request of entry 3: audit exits 1 and names it.
    let export = run.path("garden.jsonl");
    let text = std::fs::read_to_string(&export).expect("export");
    let line = text.lines().nth(4).expect("entry 3").to_owned();
    let amount_hex = format!("{:016x}", 250);
    let forged = line.replacen(&amount_hex, &format!("{:016x}", 25000), 1);
    assert_ne!(forged, line);
    tamper(&export, &line, &forged);
    let audit = run.commons(&["audit", "--file", "garden.jsonl"]);
    assert_eq!(code(&audit), 1);
    let out = String::from_utf8_lossy(&audit.stdout);
    assert!(out.contains("FAULTS") && out.contains("entry 3:"), "{out}");
    let json: serde_json::Value = serde_json::from_str(&String::from_utf8_lossy(
        &run.commons(&["audit", "--file", "garden.jsonl", "--json"])
            .stdout,
    ))
    .expect("json");
    assert_eq!(json["ok"], false);
    assert!(json["faults"]
        .as_array()
        .expect("faults")
        .iter()
        .any(|f| f["entry"] == 3));

    // Cannot run: no such file, no such circle, a bad trusted head.
    let missing = run.commons(&["audit", "--file", "nope.jsonl"]);
    assert_eq!(code(&missing), 2);
    assert!(stderr(&missing).contains("cannot read the export"));
    assert_eq!(code(&run.commons(&["audit", "nowhere"])), 2);
    std::fs::write(run.path("bad-head.json"), "hello").expect("write");
    assert_eq!(
        code(&run.commons(&["audit", "garden", "--trusted-head", "bad-head.json"])),
        2
    );
    assert_eq!(code(&run.commons(&["audit"])), 2);
}

#[test]
fn no_hostile_export_stops_an_audit() {
    let run = Run::sqlite();
    let (alice, bob) = run.garden();
    run.ok(&[
        "pay",
        "garden",
        "--from-key",
        "alice.key",
        "--to",
        &bob,
        "--amount",
        "1",
        "--memo",
        "a note",
    ]);
    run.ok(&["export", "garden", "--out", "garden.jsonl"]);
    let _ = alice;
    let clean = std::fs::read(run.path("garden.jsonl")).expect("export");
    let text = String::from_utf8(clean.clone()).expect("utf-8");
    let hostile = |name: &str, bytes: Vec<u8>, expected: &str| {
        std::fs::write(run.path(name), bytes).expect("write");
        let output = run.commons(&["audit", "--file", name]);
        let said = String::from_utf8_lossy(&output.stdout).into_owned();
        assert_eq!(
            code(&output),
            1,
            "{name}: a fault, never a crash or a refusal to run: {said} {}",
            stderr(&output)
        );
        assert!(said.contains(expected), "{name}: {said}");
    };
    // A memo far beyond every limit (it used to panic the auditor).
    hostile(
        "long-memo.jsonl",
        text.replace("a note", &"x".repeat(100_000)).into_bytes(),
        "memo text is 100000 bytes long",
    );
    // Bytes that are not UTF-8.
    let mut broken = clean.clone();
    let at = text.find("a note").expect("memo");
    broken[at] = 0xFF;
    hostile("not-utf8.jsonl", broken, "is not UTF-8 text");
    // Integers that are not integers: -0, 1.0, 1e0, a leading zero.
    for (n, bad) in ["-0", "1.0", "1e0", "01"].iter().enumerate() {
        let mutated = text.replacen("\"seq\":1,", &format!("\"seq\":{bad},"), 1);
        assert_ne!(mutated, text);
        hostile(
            &format!("integer-{n}.jsonl"),
            mutated.into_bytes(),
            "cannot be read",
        );
    }
    // A trusted head that is not a tree head: the audit still runs, and says so.
    std::fs::write(run.path("head.json"), b"\xFFnot a head").expect("write");
    let output = run.commons(&[
        "audit",
        "--file",
        "garden.jsonl",
        "--trusted-head",
        "head.json",
    ]);
    assert_eq!(code(&output), 1);
    assert!(String::from_utf8_lossy(&output.stdout).contains("trusted tree head cannot be used"));
}

#[test]
fn a_trusted_head_from_another_history_fails() {
    let first = Run::sqlite();
    let (_a, bob) = first.garden();
    first.ok(&[
        "pay",
        "garden",
        "--from-key",
        "alice.key",
        "--to",
        &bob,
        "--amount",
        "1",
    ]);
    first.ok(&["head", "garden", "--out", "head.json"]);
    let second = Run::sqlite();
    second.garden();
    std::fs::copy(first.path("head.json"), second.path("head.json")).expect("copy");
    let audit = second.commons(&["audit", "garden", "--trusted-head", "head.json"]);
    assert_eq!(code(&audit), 1);
    assert!(String::from_utf8_lossy(&audit.stdout).contains("trusted tree head"));
}

#[test]
fn the_same_commands_work_on_postgresql() {
    let admin = std::env::var("COMMONS_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let name = format!("commons_cli_{}", std::process::id());
    let base = admin
        .rsplit_once('/')
        .map(|(base, _)| base.to_owned())
        .expect("url");
    let drop = format!("DROP DATABASE IF EXISTS {name}");
    let create = format!("CREATE DATABASE {name}");
    let created = Command::new("psql")
        .args([admin.as_str(), "-q", "-c", &drop, "-c", &create])
        .output()
        .expect("psql is installed");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let mut run = Run::sqlite();
    run.db = format!("{base}/{name}");
    let (_alice, bob) = run.garden();
    run.ok(&[
        "pay",
        "garden",
        "--from-key",
        "alice.key",
        "--to",
        &bob,
        "--amount",
        "4.25",
    ]);
    assert!(run.ok(&["balance", "garden"]).contains("4.25"));
    assert!(run
        .ok(&["audit", "garden"])
        .starts_with("OK: 4 entries verified"));
    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let _ = Command::new("psql")
        .args([admin.as_str(), "-q", "-c", &drop])
        .output();
}

#[test]
fn bench_prints_both_figures() {
    let run = Run::sqlite();
    let out = run.ok(&[
        "bench",
        "ledger",
        "--transfers",
        "300",
        "--concurrency",
        "16",
    ]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("append: ") && l.ends_with(" transfers/s")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("audit: ") && l.ends_with(" entries/s")),
        "{out}"
    );
}

#[test]
fn stewards_and_key_rotation() {
    let run = Run::sqlite();
    let (alice, bob) = run.garden();
    let second = run.keygen("second.key");
    run.ok(&[
        "steward",
        "add",
        "garden",
        "--member",
        &second,
        "--steward-key",
        "steward.key",
    ]);
    let not_steward = run.commons(&[
        "steward",
        "add",
        "garden",
        "--member",
        &alice,
        "--steward-key",
        "bob.key",
    ]);
    assert_eq!(code(&not_steward), 1);
    assert!(
        stderr(&not_steward).contains("Only a steward may add a steward"),
        "{}",
        stderr(&not_steward)
    );
    let steward =
        String::from_utf8_lossy(&std::fs::read(run.path("steward.key")).expect("key")).into_owned();
    let steward_public = steward
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("public key line")
        .to_owned();
    run.ok(&[
        "steward",
        "remove",
        "garden",
        "--member",
        &steward_public,
        "--steward-key",
        "second.key",
    ]);
    let last = run.commons(&[
        "steward",
        "remove",
        "garden",
        "--member",
        &second,
        "--steward-key",
        "second.key",
    ]);
    assert_eq!(code(&last), 1);
    assert!(stderr(&last).contains("The last steward cannot be removed"));

    // Alice lost her key: a steward moves her account, balance and all, to a new one.
    run.ok(&[
        "pay",
        "garden",
        "--from-key",
        "alice.key",
        "--to",
        &bob,
        "--amount",
        "3",
    ]);
    let fresh = run.keygen("alice-new.key");
    run.ok(&[
        "key",
        "rotate",
        "garden",
        "--old",
        &alice,
        "--new",
        &fresh,
        "--key",
        "second.key",
    ]);
    let old = run.commons(&[
        "pay",
        "garden",
        "--from-key",
        "alice.key",
        "--to",
        &bob,
        "--amount",
        "1",
    ]);
    assert_eq!(code(&old), 1);
    assert!(stderr(&old).contains("is not a member with an open account"));
    run.ok(&[
        "pay",
        "garden",
        "--from-key",
        "alice-new.key",
        "--to",
        &bob,
        "--amount",
        "1",
    ]);
    let json: serde_json::Value =
        serde_json::from_str(&run.ok(&["balance", "garden", &fresh, "--json"])).expect("json");
    assert_eq!(json["accounts"][0]["balance"], "-4.00");
    assert!(run.ok(&["audit", "garden"]).starts_with("OK"));
}

#[test]
fn proofs_of_inclusion_and_of_append_only_growth() {
    let run = Run::sqlite();
    let (_alice, bob) = run.garden();
    run.ok(&["head", "garden", "--out", "old-head.json"]);
    for amount in ["1", "2", "3"] {
        run.ok(&[
            "pay",
            "garden",
            "--from-key",
            "alice.key",
            "--to",
            &bob,
            "--amount",
            amount,
        ]);
    }
    let inclusion: serde_json::Value =
        serde_json::from_str(&run.ok(&["prove", "garden", "--entry", "4"])).expect("json");
    assert_eq!(inclusion["kind"], "inclusion");
    assert_eq!(inclusion["tree_head"]["tree_size"], 6);
    assert_eq!(inclusion["proof"].as_array().map(Vec::len), Some(2));
    let consistency: serde_json::Value =
        serde_json::from_str(&run.ok(&["prove", "garden", "--since", "old-head.json"]))
            .expect("json");
    assert_eq!(consistency["consistent"], true);
    assert_eq!(consistency["old_tree_head"]["tree_size"], 3);
    let missing = run.commons(&["prove", "garden", "--entry", "99"]);
    assert_eq!(code(&missing), 2);
    assert!(stderr(&missing).contains("not in the latest signed tree head"));

    // A head from another ledger with the same size does not extend this one.
    let other = Run::sqlite();
    other.garden();
    other.ok(&["head", "garden", "--out", "head.json"]);
    std::fs::copy(other.path("head.json"), run.path("foreign.json")).expect("copy");
    assert_eq!(
        code(&run.commons(&["prove", "garden", "--since", "foreign.json"])),
        2
    );
}

#[test]
fn accepting_and_reversing_follow_key_rotations() {
    let run = Run::sqlite();
    let (alice, bob) = run.garden();
    run.ok(&[
        "request", "garden", "--key", "bob.key", "--from", &alice, "--amount", "2",
    ]);
    run.ok(&[
        "pay",
        "garden",
        "--from-key",
        "alice.key",
        "--to",
        &bob,
        "--amount",
        "5",
    ]);
    // Alice and Bob both move to new keys after the request and the payment.
    let alice_new = run.keygen("alice-new.key");
    let bob_new = run.keygen("bob-new.key");
    run.ok(&[
        "key",
        "rotate",
        "garden",
        "--old",
        &alice,
        "--new",
        &alice_new,
        "--key",
        "alice.key",
    ]);
    run.ok(&[
        "key", "rotate", "garden", "--old", &bob, "--new", &bob_new, "--key", "bob.key",
    ]);
    assert!(run
        .ok(&["accept", "garden", "3", "--key", "alice-new.key"])
        .contains("Accepted and paid entry 3"));
    assert!(run
        .ok(&["reverse", "garden", "4", "--key", "bob-new.key"])
        .contains("Reversed entry 4"));
    let again = run.commons(&["accept", "garden", "3", "--key", "alice-new.key"]);
    assert_eq!(code(&again), 2);
    assert!(
        stderr(&again).contains("no longer open"),
        "{}",
        stderr(&again)
    );
    let json: serde_json::Value =
        serde_json::from_str(&run.ok(&["balance", "garden", &alice_new, "--json"])).expect("json");
    assert_eq!(json["accounts"][0]["balance"], "-2.00");
    assert!(run.ok(&["audit", "garden"]).starts_with("OK"));
}

/// `commons pay --server`: a member who holds their own key pays through a running node's JSON
/// API; the secret key never leaves this machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_through_a_node_with_my_own_key() {
    use std::io::BufRead;
    let run = Run::sqlite();
    let mut server = Command::new(env!("CARGO_BIN_EXE_commons"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .env("COMMONS_DB", &run.db)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let stdout = server.stdout.take().expect("stdout");
    // Read the first line (the address), then keep draining the rest in the background.
    let (first_tx, first_rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = first_tx.send(line);
        let mut rest = String::new();
        while reader.read_line(&mut rest).map(|n| n > 0).unwrap_or(false) {
            rest.clear();
        }
    });
    let first_line = first_rx.await.expect("a first line");
    let url = first_line
        .trim()
        .rsplit(' ')
        .next()
        .expect("the address")
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first_line}");

    // Ben logs in, makes a token and moves his account to a key made with `commons keygen`.
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let csrf_of = |html: &str| {
        let marker = "name=\"csrf\" value=\"";
        let at = html.find(marker).expect("csrf") + marker.len();
        html[at..at + html[at..].find('"').expect("end")].to_owned()
    };
    let page = http
        .get(format!("{url}/login"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    http.post(format!("{url}/login"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("username", "ben"),
            ("password", "demo-password"),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("login");
    let page = http
        .get(format!("{url}/settings"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    let made = http
        .post(format!("{url}/settings/tokens"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("label", "laptop"),
            ("scope", "act"),
        ])
        .send()
        .await
        .expect("token")
        .text()
        .await
        .expect("text");
    let token = {
        let at = made.find("id=\"new-token\"").expect("token shown");
        let rest = &made[at..];
        let value = rest.find("value=\"").expect("value") + 7;
        rest[value..value + rest[value..].find('"').expect("end")].to_owned()
    };
    let key_file = run.path("ben.key");
    let printed = run.ok(&["keygen", "--out", key_file.to_str().expect("path")]);
    let public = printed
        .split_whitespace()
        .find(|word| word.len() == 64 && word.chars().all(|c| c.is_ascii_hexdigit()))
        .expect("keygen prints the public key")
        .to_owned();
    let page = http
        .get(format!("{url}/settings"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    let moved = http
        .post(format!("{url}/settings/own-key"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("circle", "riverside"),
            ("public_key", public.as_str()),
            ("unlock_password", "demo-password"),
        ])
        .send()
        .await
        .expect("own key")
        .text()
        .await
        .expect("text");
    assert!(moved.contains("now uses your own key"), "{moved}");

    let key_arg = key_file.to_str().expect("path").to_owned();
    let pay = |amount: &'static str| {
        let url = url.clone();
        let token = token.clone();
        let key_arg = key_arg.clone();
        let db = run.db.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_commons"))
                .args([
                    "pay",
                    "riverside",
                    "--server",
                    &url,
                    "--from-key",
                    &key_arg,
                    "--to",
                    "amara",
                    "--amount",
                    amount,
                    "--memo",
                    "From my own key",
                ])
                .env("COMMONS_TOKEN", &token)
                .env("COMMONS_DB", db)
                .output()
                .expect("commons pay")
        })
    };
    let paid = pay("1.5").await.expect("join");
    assert!(paid.status.success(), "{}", stderr(&paid));
    let said = String::from_utf8_lossy(&paid.stdout);
    assert!(said.contains("Paid 1.50 hours to amara as entry"), "{said}");
    let refused = pay("500").await.expect("join");
    assert_eq!(code(&refused), 1, "a refusal exits 1");
    assert!(
        stderr(&refused).contains("Not enough credit"),
        "{}",
        stderr(&refused)
    );
    let _ = server.kill();
    let _ = server.wait();
}
