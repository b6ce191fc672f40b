//! `commons bench governance`: the instant-runoff count of San Francisco's 2011 mayoral race
//! (197,242 real ballots), and verifying and recounting a million signed ballots.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use commons_governance::ballot::{Ballot, Choice, SignedBallot};
use commons_governance::proposal::{body_hash, Definition, Method};
use commons_governance::tally::recount;
use commons_governance::{blt, irv};
use commons_ledger::keys::{Hash, PublicKey, SecretKey};
use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::Outcome;

/// Options on the bench's ranked ballot.
const BENCH_OPTIONS: usize = 8;
/// Repetitions of the BLT count (the median is reported).
const COUNT_RUNS: usize = 11;

fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

pub fn governance(ballots: usize, blt_path: &Path) -> Result<Outcome> {
    let threads = rayon::current_num_threads();
    println!("commons bench governance — {threads} threads");

    // 1. A real election, from the file.
    let text = std::fs::read_to_string(blt_path)
        .with_context(|| format!("cannot read {}", blt_path.display()))?;
    let mut parse_ms = Vec::new();
    let mut count_ms = Vec::new();
    let mut rounds = 0;
    let mut winner = String::new();
    let mut cast = 0;
    for _ in 0..COUNT_RUNS {
        let started = Instant::now();
        let election = blt::parse(&text).context("the BLT file")?;
        parse_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let count = irv::count(
            election.candidates.len(),
            &election.counted_ballots(),
            &election.lot(),
        );
        count_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        rounds = count.rounds.len();
        cast = election.ballots.iter().map(|b| b.weight).sum::<u64>();
        winner = count
            .winner
            .map(|w| election.candidates[usize::from(w)].clone())
            .unwrap_or_default();
    }
    let parse = median_ms(parse_ms);
    let count = median_ms(count_ms);
    println!(
        "IRV {}: {cast} ballots, {rounds} rounds, winner {winner}: parse {parse:.1} ms + count {count:.1} ms = {:.1} ms (median of {COUNT_RUNS})",
        blt_path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        parse + count
    );

    // 2. A million signed ballots.
    let started = Instant::now();
    let keys: Vec<SecretKey> = (0..ballots)
        .into_par_iter()
        .map(|_| SecretKey::generate())
        .collect();
    let mut electorate: Vec<PublicKey> = keys.par_iter().map(|k| k.public_key()).collect();
    electorate.par_sort_unstable();
    let definition = Definition {
        circle_id: Hash([1; 32]),
        proposal_id: 1,
        round: 1,
        title: "Bench election".into(),
        body_hash: body_hash(""),
        author: electorate[0],
        method: Method::Irv,
        options: (0..BENCH_OPTIONS)
            .map(|i| format!("Candidate {i}"))
            .collect(),
        quorum_percent: 10,
        threshold_percent: 50,
        opens_at_ms: 0,
        closes_at_ms: 1_000_000,
        electorate,
        delegation: false,
        hide_results: false,
        actions: vec![],
        policy_hash: commons_governance::policy::Policy::default().hash(),
        discussed_since_ms: 0,
    };
    let definition_hash = definition.hash();
    let signed: Vec<SignedBallot> = keys
        .par_iter()
        .enumerate()
        .map(|(i, key)| {
            let mut order: Vec<u16> = (0..BENCH_OPTIONS as u16).collect();
            order.shuffle(&mut rand::thread_rng());
            order.truncate(1 + i % BENCH_OPTIONS);
            Ballot {
                circle_id: definition.circle_id,
                proposal: definition_hash,
                voter: key.public_key(),
                cast_at_ms: 1 + (i % 999_999) as i64,
                choice: Choice::Ranked(order),
            }
            .sign(key)
        })
        .collect();
    drop(keys);
    println!(
        "made {ballots} signed ranked ballots in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The signatures alone, for comparison: the part of a recount no shortcut may skip.
    let started = Instant::now();
    let items: Vec<(PublicKey, &[u8], commons_ledger::keys::Signature)> = signed
        .iter()
        .map(|b| (b.record.voter, b.bytes.as_slice(), b.signature))
        .collect();
    let size = commons_ledger::keys::batch_size_for(items.len());
    let failed: usize = items
        .par_chunks(size)
        .map(|chunk| commons_ledger::keys::verify_batch(chunk).len())
        .sum();
    anyhow::ensure!(failed == 0, "the bench ballots must all verify");
    let verify_seconds = started.elapsed().as_secs_f64();
    drop(items);
    println!(
        "signatures alone (batch verification): {verify_seconds:.2} s, {:.0} signatures/s",
        ballots as f64 / verify_seconds
    );
    let started = Instant::now();
    let result = recount(&definition, &signed, &[]);
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        result.problems.is_empty(),
        "the bench ballots must all be valid"
    );
    println!(
        "verified and recounted {ballots} signed ballots (IRV, {BENCH_OPTIONS} options, board root {}) in {seconds:.2} s: {:.0} ballots/s",
        result.board.root().short(),
        ballots as f64 / seconds
    );
    Ok(Outcome::Done)
}
