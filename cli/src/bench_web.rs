//! `commons bench web`: the web space under load on loopback. A demo node runs in this process
//! on a fresh SQLite file; a load generator (also here: keep that in mind on a small machine)
//! keeps a number of HTTP/1.1 connections busy and records every request's latency.
//! Measured: a member's home page, the ledger page, the stylesheet (a static file of about the
//! same size, for comparison), and payments through `/api/v1` (signed ahead of time by members
//! who hold their own keys, so the figure is the node's work: checks, verification, writing).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use commons_ledger::entry::{Body, Cause, Request};
use commons_ledger::keys::SecretKey;
use commons_ledger::store::Store;
use commons_web::{AppState, WebConfig};
use serde_json::{json, Value};

use crate::Outcome;

/// What one run of a scenario measured.
pub(crate) struct Figures {
    requests: usize,
    errors: usize,
    seconds: f64,
    latencies_us: Vec<u64>,
    bytes: usize,
}

impl Figures {
    /// The latency at quantile `q` (0..=1), in milliseconds.
    pub(crate) fn quantile_ms(&self, q: f64) -> f64 {
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return 0.0;
        }
        let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted[index] as f64 / 1000.0
    }

    pub(crate) fn print(&self, name: &str) {
        println!(
            "{name}: {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, {} errors, {} bytes each",
            self.requests as f64 / self.seconds,
            self.quantile_ms(0.50),
            self.quantile_ms(0.99),
            self.errors,
            self.bytes
        );
    }
}

/// Keeps `connections` requests in flight for `seconds`, each task repeating `make`.
pub(crate) async fn hammer<F, Fut>(connections: usize, seconds: f64, make: F) -> Figures
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<usize, ()>> + Send,
{
    let make = Arc::new(make);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..connections {
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut bytes = 0;
            let mut round = 0;
            while Instant::now() < deadline {
                let begun = Instant::now();
                match make(task, round).await {
                    Ok(size) => {
                        latencies.push(begun.elapsed().as_micros() as u64);
                        bytes = size;
                    }
                    Err(()) => errors += 1,
                }
                round += 1;
            }
            (latencies, errors, bytes)
        }));
    }
    let mut figures = Figures {
        requests: 0,
        errors: 0,
        seconds: 0.0,
        latencies_us: Vec::new(),
        bytes: 0,
    };
    for task in tasks {
        if let Ok((latencies, errors, bytes)) = task.await {
            figures.requests += latencies.len();
            figures.latencies_us.extend(latencies);
            figures.errors += errors;
            figures.bytes = figures.bytes.max(bytes);
        }
    }
    figures.seconds = started.elapsed().as_secs_f64();
    figures
}

/// A demo node in this process, for the benches: a fresh SQLite file in a temporary folder
/// (or an empty PostgreSQL database), the demo circle planted, a listener on a free port.
pub(crate) struct DemoNode {
    pub state: Arc<AppState>,
    pub listener: tokio::net::TcpListener,
    pub base: String,
    /// Holds the temporary folder until the bench ends.
    pub _dir: tempfile::TempDir,
}

impl DemoNode {
    pub(crate) async fn start(pg: Option<String>) -> Result<DemoNode> {
        let dir = tempfile::tempdir().context("cannot make a temporary folder")?;
        let location =
            pg.unwrap_or_else(|| dir.path().join("bench.db").to_string_lossy().into_owned());
        let store = Store::open(&location).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let config = WebConfig {
            public_url: base.clone(),
            login_attempts_per_minute: 1_000,
            writes_per_minute: 1_000_000,
            ..WebConfig::default()
        };
        let state = AppState::new(store, config).await?;
        if !commons_web::demo::plant(&state).await? {
            bail!("the bench database is not empty");
        }
        Ok(DemoNode {
            state,
            listener,
            base,
            _dir: dir,
        })
    }
}

/// A cookie-keeping client logged in as a demo member.
pub(crate) async fn logged_in_client(
    base: &str,
    username: &str,
    connections: usize,
) -> Result<reqwest::Client> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(connections)
        .build()?;
    let login_page = client
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = csrf_of(&login_page).context("no CSRF token on the login page")?;
    client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", commons_web::demo::DEMO_PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await?;
    Ok(client)
}

fn csrf_of(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let at = html.find(marker)? + marker.len();
    Some(html[at..at + html[at..].find('"')?].to_owned())
}

pub async fn web(
    connections: usize,
    seconds: f64,
    pg: Option<String>,
    only: Vec<String>,
) -> Result<Outcome> {
    let wanted = |name: &str| only.is_empty() || only.iter().any(|one| one == name);
    let node = DemoNode::start(pg).await?;
    let (state, listener, base) = (node.state.clone(), node.listener, node.base.clone());
    let server = tokio::spawn(commons_web::serve(
        state.clone(),
        listener,
        std::future::pending::<()>(),
    ));

    // Every demo member moves to a key held here and gets an API token.
    let services = &state.services;
    let info = services
        .store()
        .circle(commons_web::demo::DEMO_SLUG)
        .await?;
    let mut payers: Vec<(SecretKey, String, String)> = Vec::new();
    for (index, (username, _, _)) in commons_web::demo::DEMO_MEMBERS.iter().enumerate() {
        // Each member logs in as from their own (documentation) address, as they would.
        let from = std::net::IpAddr::from([192, 0, 2, index as u8]);
        let session = services
            .log_in(
                username,
                commons_web::demo::DEMO_PASSWORD,
                3_600_000,
                Some(from),
            )
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        let user = services
            .node_db()
            .user(session.user_id)
            .await?
            .context("user")?;
        let actor = services
            .actor(&user, &info.slug, Some(session.token_hash))
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        let own = SecretKey::generate();
        services
            .register_own_key(&actor, &own.public_key().to_hex())
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        let token = services
            .create_api_token(
                &commons_web::capability::FullAccount::of(&user)
                    .map_err(|error| anyhow::anyhow!("{error}"))?,
                &commons_web::services::TokenRequest {
                    label: "bench".into(),
                    scope: "act".into(),
                    circle: info.slug.clone(),
                    days: "1".into(),
                },
            )
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        payers.push((own, token, username.to_string()));
    }

    // Ben's browser session for the pages.
    let client = logged_in_client(&base, "ben", connections).await?;
    let stylesheet = commons_web::views::stylesheet_path().to_owned();
    println!(
        "web bench: {connections} connections, {seconds} s per scenario, load generator in the same process"
    );
    for (scenario, name, path) in [
        ("home", "home page", format!("/c/{}", info.slug)),
        ("ledger", "ledger page", format!("/c/{}/ledger", info.slug)),
        ("static", "static file (stylesheet)", stylesheet),
    ] {
        if !wanted(scenario) {
            continue;
        }
        let client = client.clone();
        let url = format!("{base}{path}");
        let figures = hammer(connections, seconds, move |_, _| {
            let client = client.clone();
            let url = url.clone();
            async move {
                let response = client.get(&url).send().await.map_err(|_| ())?;
                if !response.status().is_success() {
                    return Err(());
                }
                Ok(response.bytes().await.map_err(|_| ())?.len())
            }
        })
        .await;
        figures.print(name);
    }

    if wanted("payments") {
        payments(
            &base,
            &info,
            &payers,
            connections,
            seconds,
            "payments through /api/v1 (pre-signed)",
        )
        .await?;
    }
    if wanted("unlocks") {
        payments_under_bad_unlocks(&state, &base, &info, &payers, connections, seconds).await?;
    }
    if wanted("batch") {
        batched_payments(&base, &info, &payers, connections, seconds).await?;
    }
    let report = services.store().audit(&info.slug, None, &|_| {}).await?;
    println!(
        "audit after the bench: {} entries, {} faults",
        report.entries_checked,
        report.faults.len()
    );
    server.abort();
    Ok(Outcome::Done)
}

/// Payments: each member pays the next one 0.01 in turn, so balances stay near zero.
async fn payments(
    base: &str,
    info: &commons_ledger::store::CircleInfo,
    payers: &[(SecretKey, String, String)],
    connections: usize,
    seconds: f64,
    label: &str,
) -> Result<()> {
    // Enough for 20,000 payments a second over the whole run.
    let per_task = ((20_000.0 * seconds) as usize).div_ceil(connections.max(1));
    let mut prepared: Vec<Vec<(String, Value)>> = Vec::new();
    let keys: Vec<_> = payers.iter().map(|(key, _, _)| key.public_key()).collect();
    for task in 0..connections {
        let mut list = Vec::with_capacity(per_task);
        for round in 0..per_task {
            let from = (task + round) % payers.len();
            let to = (from + 1) % payers.len();
            let (key, token, _) = &payers[from];
            list.push((token.clone(), transfer_json(info, key, keys[to])));
        }
        prepared.push(list);
    }
    let prepared = Arc::new(prepared);
    let api = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()?;
    let url = format!("{base}/api/v1/circles/{}/entries", info.slug);
    let figures = hammer(connections, seconds, move |task, round| {
        let api = api.clone();
        let url = url.clone();
        let prepared = prepared.clone();
        async move {
            let Some((token, body)) = prepared[task].get(round) else {
                tokio::time::sleep(Duration::from_millis(1)).await;
                return Err(());
            };
            let response = api
                .post(&url)
                .bearer_auth(token)
                .json(body)
                .send()
                .await
                .map_err(|_| ())?;
            if !response.status().is_success() {
                return Err(());
            }
            Ok(response.bytes().await.map_err(|_| ())?.len())
        }
    })
    .await;
    figures.print(label);
    Ok(())
}

/// Bad unlocks hammering the node at once (each a wrong password, from its own address).
const BAD_UNLOCKERS: usize = 200;

/// Payments while [`BAD_UNLOCKERS`] tasks check wrong passwords as fast as the node lets them:
/// argon2 runs on its own bounded pool, so the ledger's signature checks never wait behind it.
async fn payments_under_bad_unlocks(
    state: &Arc<AppState>,
    base: &str,
    info: &commons_ledger::store::CircleInfo,
    payers: &[(SecretKey, String, String)],
    connections: usize,
    seconds: f64,
) -> Result<()> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let user = state
        .services
        .node_db()
        .user_by_username("ben")
        .await?
        .context("the demo has ben")?;
    let stop = Arc::new(AtomicBool::new(false));
    // Checked (a wrong password found wrong), busy (the argon2 queue was full), limited.
    let counts = Arc::new([
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    ]);
    let mut guessers = Vec::with_capacity(BAD_UNLOCKERS);
    for n in 0..BAD_UNLOCKERS {
        let (state, user, stop, counts) =
            (state.clone(), user.clone(), stop.clone(), counts.clone());
        let from = std::net::IpAddr::from([10, 9, (n >> 8) as u8, n as u8]);
        guessers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let slot = match state
                    .services
                    .verify_password(&user, "a wrong guess", Some(from))
                    .await
                {
                    Err(commons_web::services::ActionError::Busy) => 1,
                    Err(commons_web::services::ActionError::TooManyAttempts) => 2,
                    _ => 0,
                };
                counts[slot].fetch_add(1, Ordering::Relaxed);
                if slot != 0 {
                    // A refusal costs the node next to nothing; the guesser waits a little so
                    // that this in-process load generator does not eat the CPU it measures.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }
    let label = format!("payments while {BAD_UNLOCKERS} bad unlocks run");
    payments(base, info, payers, connections, seconds, &label).await?;
    stop.store(true, Ordering::Relaxed);
    for guesser in guessers {
        let _ = guesser.await;
    }
    println!(
        "bad unlocks meanwhile: {} checked by argon2, {} answered busy, {} refused by the limits",
        counts[0].load(Ordering::Relaxed),
        counts[1].load(Ordering::Relaxed),
        counts[2].load(Ordering::Relaxed)
    );
    Ok(())
}

/// Payments in batches of 100 through `/entries/batch`, each batch from one member to the others.
async fn batched_payments(
    base: &str,
    info: &commons_ledger::store::CircleInfo,
    payers: &[(SecretKey, String, String)],
    connections: usize,
    seconds: f64,
) -> Result<()> {
    const BATCH_PAYMENTS: usize = 100;
    let batches_per_task =
        ((40_000.0 * seconds) as usize).div_ceil(connections.max(1) * BATCH_PAYMENTS);
    let keys: Vec<_> = payers.iter().map(|(key, _, _)| key.public_key()).collect();
    // Batch `round` of connection `task` is paid by member `task + round`, so every member pays
    // as much as they receive over the run and nobody reaches their floor.
    let prepared: Vec<Vec<(String, Value)>> = (0..connections)
        .map(|task| {
            (0..batches_per_task)
                .map(|round| {
                    let from = (task + round) % payers.len();
                    let (key, token, _) = &payers[from];
                    let entries: Vec<Value> = (0..BATCH_PAYMENTS)
                        .map(|index| {
                            let step = 1 + (task + index) % (payers.len() - 1);
                            transfer_json(info, key, keys[(from + step) % payers.len()])
                        })
                        .collect();
                    (token.clone(), json!({ "entries": entries }))
                })
                .collect()
        })
        .collect();
    let prepared = Arc::new(prepared);
    let api = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()?;
    let url = format!("{base}/api/v1/circles/{}/entries/batch", info.slug);
    let figures = hammer(connections, seconds, move |task, round| {
        let api = api.clone();
        let url = url.clone();
        let prepared = prepared.clone();
        async move {
            let Some((token, body)) = prepared[task].get(round) else {
                tokio::time::sleep(Duration::from_millis(1)).await;
                return Err(());
            };
            let response = api
                .post(&url)
                .bearer_auth(token)
                .json(body)
                .send()
                .await
                .map_err(|_| ())?;
            if !response.status().is_success() {
                return Err(());
            }
            let answer: Value = response.json().await.map_err(|_| ())?;
            let all_appended = answer["results"]
                .as_array()
                .is_some_and(|results| results.iter().all(|one| one.get("seq").is_some()));
            if all_appended {
                Ok(BATCH_PAYMENTS)
            } else {
                Err(())
            }
        }
    })
    .await;
    let payments = figures.requests * BATCH_PAYMENTS;
    println!(
        "payments in batches of {BATCH_PAYMENTS} through /api/v1/.../entries/batch: {:.0} payments/s ({:.0} requests/s), p50 {:.2} ms, p99 {:.2} ms per batch, {} errors",
        payments as f64 / figures.seconds,
        figures.requests as f64 / figures.seconds,
        figures.quantile_ms(0.50),
        figures.quantile_ms(0.99),
        figures.errors
    );
    Ok(())
}

/// A transfer of 0.01 from `key` to `payee`, signed, as the API takes it.
fn transfer_json(
    info: &commons_ledger::store::CircleInfo,
    key: &SecretKey,
    payee: commons_ledger::keys::PublicKey,
) -> Value {
    let signed = Request::signed(
        info.circle_id,
        key,
        Body::Transfer {
            payer: key.public_key(),
            payee,
            amount_minor: 1,
            memo_hash: None,
            cause: Cause::Direct,
        },
    );
    json!({"request": hex::encode(&signed.bytes), "signature": hex::encode(signed.signature.0)})
}
