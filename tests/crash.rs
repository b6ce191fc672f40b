//! Promise 3: an acknowledged transfer survives a crash. A child process appends transfers as
//! fast as it can and reports each acknowledgement; the parent kills it with SIGKILL mid-stream,
//! reopens the database and finds every acknowledged transfer, with an intact, auditable chain.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use commons_ledger::keys::SecretKey;
use commons_ledger::store::Store;
use commons_tests::{make_circle, TestDb};

const CHILD_ENV: &str = "COMMONS_CRASH_CHILD_DB";

/// Not a test of its own: the body of the child process, run only when the parent sets
/// `COMMONS_CRASH_CHILD_DB`. It prints `ack SEQ HASH` after each acknowledged append.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child_process() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Store::open(&url).await.expect("open");
    let circle = Arc::new(make_circle(&store, "crash", 16).await);
    let mut tasks = Vec::new();
    for worker in 0..16usize {
        let (store, circle) = (store.clone(), Arc::clone(&circle));
        tasks.push(tokio::spawn(async move {
            for round in 0usize.. {
                let payer: &SecretKey = &circle.members[worker];
                let payee = &circle.members[(worker + 1 + round % 15) % 16];
                let amount = 1 + (round % 3) as i64;
                // Pay back and forth within the limits forever, until killed.
                let signed = if round % 2 == 0 {
                    circle.pay(payer, payee, amount)
                } else {
                    circle.pay(payee, payer, amount)
                };
                if let Ok(appended) = store.append("crash", signed, None).await {
                    println!("ack {} {}", appended.seq, appended.hash);
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
}

async fn survives_sigkill(db: &TestDb) {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "crash_child_process",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, &db.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut acknowledged = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if let Some(rest) = line.strip_prefix("ack ") {
            let (seq, hash) = rest.split_once(' ').expect("seq and hash");
            acknowledged.push((seq.parse::<u64>().expect("seq"), hash.to_owned()));
            if acknowledged.len() == 2_000 {
                child.kill().expect("SIGKILL the child");
                break;
            }
        }
    }
    let _ = child.wait();
    assert_eq!(
        acknowledged.len(),
        2_000,
        "the child stopped before acknowledging enough transfers"
    );

    let store = Store::open(&db.url).await.expect("reopen after the crash");
    let info = store.circle("crash").await.expect("circle");
    let last = acknowledged
        .iter()
        .map(|(seq, _)| *seq)
        .max()
        .expect("acks");
    assert!(
        info.head_seq >= last,
        "head {} is behind acknowledged entry {last}",
        info.head_seq
    );
    for (seq, hash) in &acknowledged {
        let stored = store
            .entry(&info, *seq)
            .await
            .expect("acknowledged entry is stored");
        assert_eq!(&stored.hash.to_hex(), hash, "entry {seq} changed");
    }
    let report = store.audit("crash", None, &|_| {}).await.expect("audit");
    assert!(report.passed(), "{:?}", report.faults);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_transfers_survive_sigkill_on_sqlite() {
    survives_sigkill(&TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_transfers_survive_sigkill_on_postgres() {
    survives_sigkill(&TestDb::postgres().await).await;
}
