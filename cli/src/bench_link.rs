//! `commons bench link`: payments between two nodes on loopback (each its own database, the
//! receiving node served over HTTP), against payments within one circle of the same node:
//! latency one at a time (p50, p99) and throughput with several payers at once.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use commons_ledger::crossing::{Hold, HoldSource, LinkTerms, TransferId};
use commons_ledger::entry::{Action, Body, Cause, CircleSpec, Request};
use commons_ledger::keys::{Hash, SecretKey};
use commons_ledger::store::{now_ms, CircleInfo, Outcome as Sent, Store};
use commons_web::links::peers::{Federation, NodePeers};
use commons_web::{AppState, WebConfig};

use crate::Outcome;

/// Payers (and payees) in each circle.
const BENCH_PAYERS: usize = 64;

struct Side {
    info: CircleInfo,
    members: Vec<SecretKey>,
}

async fn circle(store: &Store, slug: &str) -> Result<Side> {
    let steward = SecretKey::generate();
    let node = SecretKey::generate();
    let spec = CircleSpec {
        slug: slug.into(),
        name: slug.into(),
        unit_name: "credits".into(),
        unit_symbol: "cr".into(),
        decimals: 2,
        default_floor_minor: -100_000_000,
        default_ceiling_minor: 100_000_000,
    };
    let info = store
        .create_circle(Request::genesis(spec, &steward, node.public_key()), &node)
        .await?;
    let members: Vec<SecretKey> = (0..BENCH_PAYERS).map(|_| SecretKey::generate()).collect();
    for member in &members {
        let open = Body::OpenAccount {
            account: member.public_key(),
            floor_minor: -100_000_000,
            ceiling_minor: 100_000_000,
        };
        store
            .append(slug, Request::signed(info.circle_id, &steward, open), None)
            .await?;
    }
    Ok(Side { info, members })
}

async fn link(
    store: &Store,
    from: &Side,
    to: &Side,
    key: commons_ledger::keys::PublicKey,
    address: &str,
) -> Result<()> {
    let terms = LinkTerms {
        partner: to.info.circle_id,
        partner_node_key: key,
        address: address.into(),
        rate_here_minor: 1,
        rate_there_minor: 1,
        out_max_minor: 1_000_000_000_000,
        in_max_minor: 1_000_000_000_000,
        shares_market: false,
        trust: commons_ledger::crossing::LinkTrust::Proved,
    };
    let proposal = Hash::sha256(&[&from.info.circle_id.0, &to.info.circle_id.0]);
    store
        .enact(
            &from.info,
            proposal,
            Hash([0; 32]),
            vec![Action::Link(terms)],
        )
        .await?;
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(label: &str, mut latencies_ms: Vec<f64>, elapsed_s: f64) {
    latencies_ms.sort_by(f64::total_cmp);
    println!(
        "{label}: {:.0} payments/s, p50 {:.2} ms, p99 {:.2} ms ({} payments)",
        latencies_ms.len() as f64 / elapsed_s,
        percentile(&latencies_ms, 0.5),
        percentile(&latencies_ms, 0.99),
        latencies_ms.len()
    );
}

pub async fn link_bench(payments: usize, concurrency: usize) -> Result<Outcome> {
    let dir = tempfile::tempdir().context("cannot make a temporary folder")?;
    let store_a = Store::open(&dir.path().join("a.db").to_string_lossy()).await?;
    let store_b = Store::open(&dir.path().join("b.db").to_string_lossy()).await?;
    let a = circle(&store_a, "garden").await?;
    let b = circle(&store_b, "repair").await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let config = WebConfig {
        public_url: base.clone(),
        writes_per_minute: 1_000_000,
        federation_private_addresses: true,
        ..WebConfig::default()
    };
    let state_b: Arc<AppState> = AppState::new(store_b.clone(), config).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(commons_web::serve(state_b, listener, async move {
        let _ = stopped.await;
    }));
    let key_a = store_a.node_secret(&a.info).await?.public_key();
    let key_b = store_b.node_secret(&b.info).await?.public_key();
    link(&store_a, &a, &b, key_b, &base).await?;
    link(&store_b, &b, &a, key_a, "http://127.0.0.1:9").await?;
    let peers = Arc::new(NodePeers {
        store: store_a.clone(),
        federation: Federation::new(true),
        db: commons_web::db::NodeDb::new(store_a.pool().clone()),
    });
    println!("Payments between two nodes on loopback (SQLite each, the receiver over HTTP), and within one circle, one at a time and {concurrency} at once:");
    for (label, across, at_once) in [
        ("within a circle, one at a time", false, 1),
        ("across nodes, one at a time", true, 1),
        ("within a circle, at once", false, concurrency),
        ("across nodes, at once", true, concurrency),
    ] {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for worker in 0..at_once {
            let (store, peers, info) = (store_a.clone(), peers.clone(), a.info.clone());
            let payer = SecretKey::from_seed(*a.members[worker % BENCH_PAYERS].seed());
            let payee = b.members[worker % BENCH_PAYERS].public_key();
            let local_payee = a.members[(worker + 1) % BENCH_PAYERS].public_key();
            let to = b.info.circle_id;
            let count = payments / at_once;
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(count);
                for _ in 0..count {
                    let begun = Instant::now();
                    if across {
                        let hold = Body::Hold(Hold {
                            transfer: TransferId::random(),
                            source: HoldSource::Member(payer.public_key()),
                            partner: to,
                            amount_minor: 1,
                            amount_there_minor: 1,
                            destination: to,
                            payee,
                            deadline_ms: now_ms() + 60_000,
                            memo_hash: None,
                        });
                        let signed = Request::signed(info.circle_id, &payer, hold);
                        let (_, outcome) = store
                            .send_across(&info, signed, None, peers.as_ref())
                            .await?;
                        anyhow::ensure!(
                            matches!(outcome, Sent::Completed { .. }),
                            "not completed: {outcome:?}"
                        );
                    } else {
                        let pay = Body::Transfer {
                            payer: payer.public_key(),
                            payee: local_payee,
                            amount_minor: 1,
                            memo_hash: None,
                            cause: Cause::Direct,
                        };
                        store
                            .append(
                                &info.slug,
                                Request::signed(info.circle_id, &payer, pay),
                                None,
                            )
                            .await?;
                    }
                    latencies.push(begun.elapsed().as_secs_f64() * 1000.0);
                }
                anyhow::Ok(latencies)
            }));
        }
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await??);
        }
        report(label, latencies, started.elapsed().as_secs_f64());
    }
    let _ = stop.send(());
    let _ = server.await;
    Ok(Outcome::Done)
}
