//! Faults between two `commons serve` processes, each on its own database (one SQLite, one
//! PostgreSQL, then the other way round): a member of A pays a member of B across their link
//! while one process is stopped at a step of the protocol and killed there with SIGKILL
//! (`commons_ledger::faults`), at every step, on both sides, for payments that go through
//! and payments B refuses. The killed process starts again and the member retries with the
//! same Idempotency-Key. Afterwards every payment is on both ledgers or on neither, none
//! twice, both circles' audits pass and `commons audit --link` agrees on the two exports; a
//! dropped arrival fails it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use commons_ledger::faults::PAUSE_AT_VARIABLE;
use commons_tests::node::{serve, Node, PASSWORD, SLUG};
use commons_tests::web::{log_in, Member};
use commons_tests::TestDb;

/// One `commons serve` process, and the lines of its standard error.
struct Process {
    child: Child,
    errors: mpsc::Receiver<String>,
}

impl Process {
    /// Starts a node on `db` at `port`, stopping at `pause` when given; ready when it answers.
    async fn start(db: &str, port: u16, pause: Option<&str>) -> Process {
        let mut command = Command::new(env!("CARGO_BIN_EXE_commons"));
        command
            .args(["--db", db, "serve", "--federation-private-addresses"])
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(point) = pause {
            command.env(PAUSE_AT_VARIABLE, point);
        }
        let mut child = command.spawn().expect("commons serve starts");
        let stderr = child.stderr.take();
        let (lines, errors) = mpsc::channel();
        let process = Process { child, errors };
        std::thread::spawn(move || {
            let Some(stderr) = stderr else { return };
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    return;
                }
            }
        });
        let http = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            let answer = http
                .get(format!("http://127.0.0.1:{port}/healthz"))
                .send()
                .await;
            if answer.is_ok_and(|answer| answer.status().is_success()) {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("commons serve on port {port} never answered");
    }

    /// Waits until the process stops at `point`, then kills it (SIGKILL).
    fn kill_at(self, point: &str) {
        let marker = format!("commons-fault-pause {point}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.errors.recv_timeout(left) {
                Ok(line) if line.contains(&marker) => break,
                Ok(_) => {}
                Err(_) => panic!("the process never reached {point}"),
            }
        }
        self.kill();
    }

    /// SIGKILL (also when a test fails: no process outlives its test).
    fn kill(self) {}
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

/// A member logged in on a node: their cookies, their CSRF token, the linked circle's
/// address and whom they pay there.
#[derive(Clone)]
struct Payer {
    base: String,
    http: reqwest::Client,
    csrf: String,
    partner: String,
    payee: &'static str,
}

impl Payer {
    /// Ben, paying Carol: a fresh login (which unseals his key in a new process).
    async fn log_in(base: &str, partner: &str) -> Payer {
        Payer::log_in_as(base, "ben", partner, "carol").await
    }

    async fn log_in_as(base: &str, username: &str, partner: &str, payee: &'static str) -> Payer {
        let mut member = Member {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .expect("client"),
            last_page: String::new(),
        };
        let page = log_in(&mut member, username, PASSWORD).await;
        assert_eq!(page.status, 200, "{}", page.body);
        Payer {
            csrf: member.csrf(),
            base: member.base,
            http: member.http,
            partner: partner.to_owned(),
            payee,
        }
    }

    /// An attempt to pay the payee across, through the member API: the status and the body, or
    /// nothing when the node did not answer.
    async fn pay(&self, key: &str, amount: &str) -> Option<(u16, serde_json::Value)> {
        let answer = self
            .http
            .post(format!(
                "{}/api/v1/circles/{SLUG}/payments/across",
                self.base
            ))
            .header("x-csrf-token", &self.csrf)
            .header("idempotency-key", key)
            .json(&serde_json::json!({
                "circle": self.partner, "member": self.payee, "amount": amount,
            }))
            .send()
            .await
            .ok()?;
        let status = answer.status().as_u16();
        Some((status, answer.json().await.unwrap_or_default()))
    }
}

/// Two nodes set up in this process (a proposal in each links their circles: 3 hours of A
/// are worth 2 of B; A lets 50 hours out, B takes in at most 5), then left for the processes.
async fn two_linked_nodes(
    url_a: &str,
    url_b: &str,
    (port_a, port_b): (u16, u16),
) -> (String, String) {
    let private = |config: &mut commons_web::WebConfig| config.federation_private_addresses = true;
    let a = Node::start_configured(url_a, private).await;
    let b = Node::start_configured(url_b, private).await;
    let (_, stop_a, task_a) = serve(a.state.clone(), port_a).await;
    let (_, stop_b, task_b) = serve(b.state.clone(), port_b).await;
    let ben = a.member("ben").await;
    let carol = b.member("carol").await;
    let address_a = format!("http://127.0.0.1:{port_a}/c/{SLUG}");
    let address_b = format!("http://127.0.0.1:{port_b}/c/{SLUG}");
    a.link(&a.steward, &[&ben], &address_b, ("3", "2", "50"))
        .await;
    b.link(&b.steward, &[&carol], &address_a, ("2", "3", "5"))
        .await;
    for (stop, task) in [(stop_a, task_a), (stop_b, task_b)] {
        let _ = stop.send(());
        let _ = task.await;
    }
    a.state.services.store().close().await;
    b.state.services.store().close().await;
    (address_a, address_b)
}

/// Which process stops where, how much Ben pays, and whether B takes it.
const CASES: [(char, &str, &str, bool); 7] = [
    ('A', "send.held", "0.10", true),
    ('B', "receive.checked", "0.10", true),
    ('B', "receive.decided", "0.10", true),
    ('A', "send.answered", "0.10", true),
    ('A', "send.settled", "0.10", true),
    // 9 hours of A are 6 of B: more than B takes in across the link.
    ('B', "receive.decided", "9", false),
    ('A', "send.answered", "9", false),
];

fn commons(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_commons"))
        .args(args)
        .output()
        .expect("runs");
    (
        output.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

async fn killed_at_every_step(url_a: &str, url_b: &str) {
    let ports = (free_port(), free_port());
    let (_, address_b) = two_linked_nodes(url_a, url_b, ports).await;
    let base_a = format!("http://127.0.0.1:{}", ports.0);
    let mut node_a = Some(Process::start(url_a, ports.0, None).await);
    let mut node_b = Some(Process::start(url_b, ports.1, None).await);
    for (number, (victim, point, amount, taken)) in CASES.into_iter().enumerate() {
        // The victim starts again, asked to stop at the point.
        let (db, port, slot) = match victim {
            'A' => (url_a, ports.0, &mut node_a),
            _ => (url_b, ports.1, &mut node_b),
        };
        slot.take().expect("running").kill();
        *slot = Some(Process::start(db, port, Some(point)).await);
        let ben = Payer::log_in(&base_a, &address_b).await;
        let key = format!(
            "fault-case-{number:02}-{}",
            hex::encode(rand::random::<[u8; 8]>())
        );
        let first = tokio::spawn({
            let (ben, key, amount) = (ben.clone(), key.clone(), amount.to_owned());
            async move { ben.pay(&key, &amount).await }
        });
        slot.take().expect("paused").kill_at(point);
        if let Some((status, body)) = first.await.expect("first attempt") {
            assert_eq!(
                status, 202,
                "{victim} killed at {point}: only on its way: {body}"
            );
        }
        *slot = Some(Process::start(db, port, None).await);
        // The member retries with the same key until the payment has its end.
        let ben = if victim == 'A' {
            Payer::log_in(&base_a, &address_b).await
        } else {
            ben
        };
        let mut last = None;
        for _ in 0..40 {
            last = ben.pay(&key, amount).await;
            if last.as_ref().is_some_and(|(status, _)| *status != 202) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let (status, body) = last.expect("an answer");
        let expected = if taken { 200 } else { 422 };
        assert_eq!(status, expected, "{victim} killed at {point}: {body}");
        if !taken {
            assert_eq!(body["error"]["code"], "refused_across", "{body}");
        }
    }
    for slot in [&mut node_a, &mut node_b] {
        slot.take().expect("running").kill();
    }
    the_books_agree(url_a, url_b).await;
}

/// Five payments of 0.10 went through (6 hundredths of B's hour each, rounded down), the two
/// of 9 moved nothing; nothing is on its way; every audit passes.
async fn the_books_agree(url_a: &str, url_b: &str) {
    let dir = tempfile::tempdir().expect("dir");
    let mut exports = Vec::new();
    for (name, url) in [("a", url_a), ("b", url_b)] {
        let (code, out) = commons(&["--db", url, "audit", SLUG]);
        assert_eq!(code, 0, "{name}: {out}");
        let path = dir.path().join(format!("{name}.jsonl"));
        let text = path.to_string_lossy().into_owned();
        let (code, out) = commons(&["--db", url, "export", SLUG, "--out", &text]);
        assert_eq!(code, 0, "{out}");
        exports.push(text);
        // And the heads this node kept of the other: the other's export must begin with each.
        let held = dir.path().join(format!("{name}-held.jsonl"));
        let held = held.to_string_lossy().into_owned();
        let (code, out) = commons(&["--db", url, "export", "held-heads", SLUG, "--out", &held]);
        assert_eq!(code, 0, "{out}");
        exports.push(held);
    }
    let (a, a_held, b, b_held) = (&exports[0], &exports[1], &exports[2], &exports[3]);
    let (code, out) = commons(&["audit", "--link", a, b, "--held", a_held, "--held", b_held]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("tree heads the circles kept of each other are each the start"),
        "{out}"
    );
    assert!(
        !out.contains("OK: 0 tree heads"),
        "each node kept heads of the other: {out}"
    );
    assert!(
        out.contains(
            "5 payments from A to B and 0 from B to A are on both sides, the same; 2 released"
        ),
        "every payment once, the refused ones never: {out}"
    );
    for (url, username, balance_minor) in [(url_a, "ben", -50), (url_b, "carol", 30)] {
        let store = commons_ledger::store::Store::open(url)
            .await
            .expect("store");
        let info = store.circle(SLUG).await.expect("circle");
        assert!(store
            .holds_in_flight(&info)
            .await
            .expect("holds")
            .is_empty());
        let db = commons_web::db::NodeDb::new(store.pool().clone());
        let card = db
            .member_by_username(info.row_id, username)
            .await
            .expect("read")
            .expect("member");
        let account = store
            .account(&info, &card.account_key)
            .await
            .expect("read")
            .expect("account");
        assert_eq!(account.balance_minor, balance_minor, "{username}");
        store.close().await;
    }
    // B's export without its last entry: the link no longer agrees.
    let exports = [a.clone(), b.clone()];
    let text = std::fs::read_to_string(&exports[1]).expect("read");
    let mut lines: Vec<&str> = text.lines().collect();
    let last = lines
        .iter()
        .rposition(|line| line.contains("\"seq\":"))
        .expect("entries");
    lines.remove(last);
    std::fs::write(&exports[1], lines.join("\n") + "\n").expect("write");
    let (code, out) = commons(&["audit", "--link", &exports[0], &exports[1]]);
    assert_eq!(code, 1, "a dropped entry fails the link: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_every_step_of_a_payment_across_each_is_on_both_ledgers_or_neither() {
    let (a, b) = (TestDb::sqlite(), TestDb::postgres().await);
    killed_at_every_step(&a.url, &b.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_every_step_the_other_way_round_each_is_on_both_ledgers_or_neither() {
    let (a, b) = (TestDb::postgres().await, TestDb::sqlite());
    killed_at_every_step(&a.url, &b.url).await;
}

/// Several `commons serve` processes on one PostgreSQL database (a node scaled out): Ben pays
/// across from one, then the other, in turn, and Carol pays back to the first; every payment
/// completes, the proofs each process gives agree with what the other wrote, and the books
/// agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgresql_pay_across_in_turn() {
    let (db_a, db_b) = (TestDb::postgres().await, TestDb::sqlite());
    let ports = (free_port(), free_port());
    let (address_a, address_b) = two_linked_nodes(&db_a.url, &db_b.url, ports).await;
    let port_a2 = free_port();
    let _b = Process::start(&db_b.url, ports.1, None).await;
    let _a1 = Process::start(&db_a.url, ports.0, None).await;
    let _a2 = Process::start(&db_a.url, port_a2, None).await;
    let bens = [
        Payer::log_in(&format!("http://127.0.0.1:{}", ports.0), &address_b).await,
        Payer::log_in(&format!("http://127.0.0.1:{port_a2}"), &address_b).await,
    ];
    let carol = Payer::log_in_as(
        &format!("http://127.0.0.1:{}", ports.1),
        "carol",
        &address_a,
        "ben",
    )
    .await;
    for round in 0..6 {
        let key = format!(
            "two-processes-{round:02}-{}",
            hex::encode(rand::random::<[u8; 8]>())
        );
        let (status, body) = bens[round % 2].pay(&key, "0.30").await.expect("an answer");
        assert_eq!(status, 200, "round {round}: {body}");
        if round % 3 == 2 {
            let key = format!(
                "carol-back-{round:02}-{}",
                hex::encode(rand::random::<[u8; 8]>())
            );
            let (status, body) = carol.pay(&key, "0.20").await.expect("an answer");
            assert_eq!(status, 200, "round {round}, back: {body}");
        }
    }
    drop((_a1, _a2, _b));
    let dir = tempfile::tempdir().expect("dir");
    let mut exports = Vec::new();
    for (name, url) in [("a", &db_a.url), ("b", &db_b.url)] {
        let (code, out) = commons(&["--db", url, "audit", SLUG]);
        assert_eq!(code, 0, "{name}: {out}");
        let path = dir
            .path()
            .join(format!("{name}.jsonl"))
            .to_string_lossy()
            .into_owned();
        let (code, out) = commons(&["--db", url, "export", SLUG, "--out", &path]);
        assert_eq!(code, 0, "{out}");
        exports.push(path);
    }
    let (code, out) = commons(&["audit", "--link", &exports[0], &exports[1]]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("6 payments from A to B and 2 from B to A"),
        "{out}"
    );
}
