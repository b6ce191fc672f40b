//! `commons bench ledger`: durable append throughput to one circle, and audit speed.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use commons_ledger::audit::audit;
use commons_ledger::entry::{Body, Cause, CircleSpec, Request, SignedRequest};
use commons_ledger::export::{export_text, parse_export};
use commons_ledger::keys::{verify_batch, PublicKey, SecretKey, Signature};
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
    let genesis = Request::genesis(spec, &steward, node.public_key());
    let info = store.create_circle(genesis, &node).await?;
    let sign = |author: &SecretKey, body: Body| -> SignedRequest {
        Request::signed(info.circle_id, author, body)
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
    let text = export_text(header, &raws, &head);
    store.close().await;

    let started = Instant::now();
    let parsed = parse_export(&text);
    let report = audit(parsed.into_audit_input(None), &|_| {});
    let audit_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.passed(),
        "the bench ledger failed its audit: {:?}",
        report.faults.first()
    );

    let (sign_per_s, verify_per_s, batch_per_s) = crypto_baseline(&members);
    println!("backend: {backend}");
    println!("ed25519 on one core: sign {sign_per_s:.0}/s, verify {verify_per_s:.0}/s, batch verify {batch_per_s:.0}/s");
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

/// Signatures made, checked singly and checked in batches of 256 per second on one core: the
/// ceiling the ledger's figures should be read against.
fn crypto_baseline(members: &[SecretKey]) -> (f64, f64, f64) {
    const SIGNATURES: usize = 4_096;
    let messages: Vec<Vec<u8>> = (0..SIGNATURES)
        .map(|i| (i as u64).to_be_bytes().repeat(24))
        .collect();
    let started = Instant::now();
    let signed: Vec<(PublicKey, Signature)> = messages
        .iter()
        .enumerate()
        .map(|(i, message)| {
            let key = &members[i % members.len()];
            (key.public_key(), key.sign(message))
        })
        .collect();
    let sign_per_s = SIGNATURES as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let valid = messages
        .iter()
        .zip(&signed)
        .filter(|(message, (key, signature))| key.verify(message, signature))
        .count();
    let verify_per_s = SIGNATURES as f64 / started.elapsed().as_secs_f64();
    let items: Vec<(PublicKey, &[u8], Signature)> = messages
        .iter()
        .zip(&signed)
        .map(|(message, (key, signature))| (*key, message.as_slice(), *signature))
        .collect();
    let started = Instant::now();
    let failed: usize = items
        .chunks(256)
        .map(|chunk| verify_batch(chunk).len())
        .sum();
    let batch_per_s = SIGNATURES as f64 / started.elapsed().as_secs_f64();
    assert!(
        valid == SIGNATURES && failed == 0,
        "the baseline signatures must verify"
    );
    (sign_per_s, verify_per_s, batch_per_s)
}
