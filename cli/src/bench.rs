//! `commons bench ledger`: durable append throughput to one circle, and audit speed.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use commons_ledger::audit::{audit, AuditInput};
use commons_ledger::entry::{Body, Cause, CircleSpec, Request, SignedRequest};
use commons_ledger::export::{line_text, parse_export, EntryLine, Line, TreeHeadLine};
use commons_ledger::keys::{Hash, Nonce, SecretKey};
use commons_ledger::store::Store;
use rand::Rng;
use rayon::prelude::*;

use crate::Outcome;

/// Members of the bench circle; payments go between random pairs of them.
const BENCH_MEMBERS: usize = 1_000;

pub async fn ledger(transfers: usize, concurrency: usize, pg: Option<String>) -> Result<Outcome> {
    let dir = tempfile::tempdir().context("cannot make a temporary folder")?;
    let (location, backend) = match &pg {
        Some(url) => (url.clone(), "PostgreSQL"),
        None => (
            dir.path().join("bench.db").to_string_lossy().into_owned(),
            "SQLite (WAL, synchronous=FULL)",
        ),
    };
    let store = Store::open(&location)
        .await
        .with_context(|| format!("cannot open {location}"))?;
    let slug = format!("bench-{}", hex::encode(rand::random::<[u8; 4]>()));
    let steward = SecretKey::generate();
    let node = SecretKey::generate();
    let spec = CircleSpec {
        slug: slug.clone(),
        name: "Bench".into(),
        unit_name: "credits".into(),
        unit_symbol: "cr".into(),
        decimals: 2,
        default_floor_minor: -100_000_000,
        default_ceiling_minor: 100_000_000,
    };
    let genesis = Request {
        circle_id: Hash::ZERO,
        author: steward.public_key(),
        nonce: Nonce::random(),
        body: Body::Genesis {
            spec,
            stewards: vec![steward.public_key()],
            node_key: node.public_key(),
        },
    }
    .sign(&steward);
    let info = store.create_circle(genesis, &node).await?;
    let sign = |author: &SecretKey, body: Body| -> SignedRequest {
        Request {
            circle_id: info.circle_id,
            author: author.public_key(),
            nonce: Nonce::random(),
            body,
        }
        .sign(author)
    };
    let members: Vec<SecretKey> = (0..BENCH_MEMBERS).map(|_| SecretKey::generate()).collect();
    let opens: Vec<SignedRequest> = members
        .iter()
        .map(|m| {
            sign(
                &steward,
                Body::OpenAccount {
                    account: m.public_key(),
                    floor_minor: -100_000_000,
                    ceiling_minor: 100_000_000,
                },
            )
        })
        .collect();
    submit_all(&store, &slug, opens, concurrency).await?;

    eprintln!("signing {transfers} transfers...");
    let signed: Vec<SignedRequest> = (0..transfers)
        .into_par_iter()
        .map(|_| {
            let mut rng = rand::thread_rng();
            let from = rng.gen_range(0..BENCH_MEMBERS);
            let to = (from + rng.gen_range(1..BENCH_MEMBERS)) % BENCH_MEMBERS;
            let body = Body::Transfer {
                payer: members[from].public_key(),
                payee: members[to].public_key(),
                amount_minor: rng.gen_range(1..10_000),
                memo_hash: None,
                cause: Cause::Direct,
            };
            sign(&members[from], body)
        })
        .collect();

    eprintln!("appending with {concurrency} requests in flight on {backend}...");
    let started = Instant::now();
    let accepted = submit_all(&store, &slug, signed, concurrency).await?;
    let append_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        accepted == transfers,
        "only {accepted} of {transfers} transfers were accepted"
    );

    let info = store.circle(&slug).await?;
    let (header, raws, head) = store.export_parts(&info).await?;
    let mut text = line_text(&Line::Header(header));
    for raw in &raws {
        text.push_str(&line_text(&Line::Entry(EntryLine::from_raw(
            raw,
            &raw.claimed_hash.unwrap_or(Hash::ZERO),
        ))));
    }
    text.push_str(&line_text(&Line::TreeHead(TreeHeadLine::from_head(&head))));
    store.close().await;

    let started = Instant::now();
    let parsed = parse_export(&text);
    let report = audit(
        AuditInput {
            header: parsed.header,
            entries: parsed.entries,
            tree_head: parsed.tree_head,
            trusted_head: None,
            problems: parsed.problems,
        },
        &|_| {},
    );
    let audit_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.passed(),
        "the bench ledger failed its audit: {:?}",
        report.faults.first()
    );

    println!("backend: {backend}");
    println!("append: {:.0} transfers/s", transfers as f64 / append_secs);
    println!(
        "audit: {:.0} entries/s",
        report.entries_checked as f64 / audit_secs
    );
    Ok(Outcome::Done)
}

/// Submits every request with `concurrency` in flight; returns how many were accepted.
async fn submit_all(
    store: &Store,
    slug: &str,
    requests: Vec<SignedRequest>,
    concurrency: usize,
) -> Result<usize> {
    let requests = Arc::new(std::sync::Mutex::new(requests.into_iter()));
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (store, slug, requests) = (store.clone(), slug.to_owned(), Arc::clone(&requests));
        tasks.push(tokio::spawn(async move {
            let mut accepted = 0usize;
            loop {
                let next = requests.lock().map(|mut iter| iter.next()).unwrap_or(None);
                let Some(signed) = next else { break };
                if store.append(&slug, signed, None).await.is_ok() {
                    accepted += 1;
                }
            }
            accepted
        }));
    }
    let mut accepted = 0;
    for task in tasks {
        accepted += task.await.context("a bench task failed")?;
    }
    Ok(accepted)
}
