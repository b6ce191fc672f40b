//! `commons bench market`: the market at scale. A demo node runs in this process on a fresh
//! SQLite file (or an empty PostgreSQL database); its circle gets `--listings` listings written
//! from the matching fixture's 165 real-sounding offers and needs (varied area, age and
//! wording) for 1,000 members. Measured: loading the search index, search and match latency
//! in process, trade-loop search, and the market pages and matches API under HTTP load (as
//! Ben, a demo member, asking for the matches of his own 200 listings).

use std::time::Instant;

use anyhow::{Context, Result};
use commons_ledger::store::now_ms;
use commons_market::cycles::{trade_loops, Bounds};
use commons_market::index::{Filters, Search};
use commons_market::listing::{Kind, ListingDraft, Side, Value, ValueKind};
use commons_market::matching;
use commons_market::text::Language;
use commons_web::db::NewUser;
use rand::{Rng, SeedableRng};
use serde_json::Value as Json;

use crate::bench_web::{hammer, logged_in_client, DemoNode};
use crate::Outcome;

const FIXTURE: &str = include_str!("../../market/tests/fixtures/matching.json");
const AREAS: &[&str] = &[
    "Riverside",
    "Old Town",
    "Hillcrest",
    "Northfield",
    "Harbour",
    "Online",
];
/// Words that vary the titles, as members' own wording varies.
const FLOURISHES: &[&str] = &[
    "",
    "",
    "",
    "weekends",
    "evenings",
    "nearby",
    "quickly",
    "for neighbours",
    "any time",
    "happy to help",
    "small jobs",
    "this month",
];
const DAY_MS: i64 = 86_400_000;
/// Listings each bench member owns at most (the per-member cap is 200).
const LISTINGS_PER_OWNER: usize = 100;

/// Latencies in microseconds: p50 and p99 in milliseconds.
fn quantiles(mut latencies_us: Vec<u64>) -> (f64, f64, f64) {
    latencies_us.sort_unstable();
    let at = |q: f64| {
        let index = ((latencies_us.len() as f64 - 1.0) * q).round() as usize;
        latencies_us.get(index).copied().unwrap_or(0) as f64 / 1000.0
    };
    (at(0.5), at(0.99), at(1.0))
}

struct Template {
    side: Side,
    kind: Kind,
    title: String,
    description: String,
    category: String,
    tags: Vec<String>,
    value: ValueKind,
    language: Language,
}

fn templates() -> Result<Vec<Template>> {
    let fixture: Json = serde_json::from_str(FIXTURE).context("the fixture is JSON")?;
    let mut out = Vec::new();
    for (side, key) in [(Side::Offer, "offers"), (Side::Need, "needs")] {
        for item in fixture[key].as_array().context("listings")? {
            let text = |k: &str| item[k].as_str().unwrap_or_default().to_string();
            out.push(Template {
                side,
                kind: Kind::parse(&text("kind")).map_err(|e| anyhow::anyhow!("{e}"))?,
                title: text("title"),
                description: text("description"),
                category: text("category"),
                tags: item["tags"]
                    .as_array()
                    .map(|t| {
                        t.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                value: ValueKind::parse(&text("value")).map_err(|e| anyhow::anyhow!("{e}"))?,
                language: Language::from_tag(&text("language")),
            });
        }
    }
    Ok(out)
}

pub async fn market(
    listings: usize,
    connections: usize,
    seconds: f64,
    pg: Option<String>,
) -> Result<Outcome> {
    let node = DemoNode::start(pg).await?;
    let (state, listener, base) = (node.state.clone(), node.listener, node.base.clone());
    let services = &state.services;
    let info = services
        .store()
        .circle(commons_web::demo::DEMO_SLUG)
        .await?;
    let circle = info.row_id;

    // Members to own the listings (they cannot log in: their password hash is no hash).
    let owners_count = listings.div_ceil(LISTINGS_PER_OWNER).max(1);
    let started = Instant::now();
    let mut owners = Vec::with_capacity(owners_count);
    for n in 0..owners_count {
        owners.push(
            services
                .node_db()
                .create_user(&NewUser {
                    username: format!("bench{n}"),
                    display_name: format!("Bench member {n}"),
                    password_hash: "!".into(),
                    seal_salt: vec![0; 16],
                    language: None,
                    is_node_admin: false,
                    now_ms: now_ms(),
                })
                .await?,
        );
    }
    let templates = templates()?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let now = now_ms();
    let rows: Vec<(i64, ListingDraft, i64)> = (0..listings)
        .map(|i| {
            let t = &templates[i % templates.len()];
            let flourish = FLOURISHES[rng.gen_range(0..FLOURISHES.len())];
            let title = if flourish.is_empty() {
                t.title.clone()
            } else {
                format!("{}, {flourish}", t.title)
            };
            let draft = ListingDraft {
                side: t.side,
                kind: t.kind,
                title: commons_market::listing::listing_title(&title).unwrap_or_else(|_| {
                    commons_market::listing::listing_title("A listing").expect("a title")
                }),
                description: t.description.clone(),
                category: t.category.clone(),
                tags: t.tags.clone(),
                area: AREAS[rng.gen_range(0..AREAS.len())].into(),
                location: None,
                value: Value::new(t.value, Some(100)).unwrap_or(Value::ByAgreement),
                availability: String::new(),
                language: t.language,
                expires_in_days: 365,
                event: None,
            };
            (
                owners[i / LISTINGS_PER_OWNER],
                draft,
                now - rng.gen_range(0..300) * DAY_MS,
            )
        })
        .collect();
    let mut stored = services.market().import_listings(circle, &rows).await?;
    // Ben (who the HTTP scenarios log in as) gets 199 listings too: a listing's matches are its
    // author's to read.
    let ben = services
        .node_db()
        .user_by_username("ben")
        .await?
        .context("the demo has ben")?
        .id;
    let bens: Vec<(i64, ListingDraft, i64)> = rows
        .iter()
        .take(199)
        .map(|(_, draft, created)| (ben, draft.clone(), *created))
        .collect();
    stored += services.market().import_listings(circle, &bens).await?;
    println!(
        "market bench: {stored} listings for {owners_count} members written in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Loading the index (the first search after start).
    let started = Instant::now();
    let loaded = services
        .market()
        .search(
            circle,
            &Search {
                limit: 1,
                now_ms: now,
                ..Search::default()
            },
        )
        .await?;
    println!(
        "index load: {:.2} s for {} live listings",
        started.elapsed().as_secs_f64(),
        loaded.total
    );

    // Search: queries members type, from the fixture's needs, sometimes with a filter.
    let queries: Vec<(String, Option<Side>)> = templates
        .iter()
        .filter(|t| t.side == Side::Need)
        .flat_map(|t| {
            let words: Vec<&str> = t.title.split_whitespace().collect();
            [
                (t.title.clone(), None),
                (
                    words.iter().take(2).copied().collect::<Vec<_>>().join(" "),
                    Some(Side::Offer),
                ),
            ]
        })
        .collect();
    let mut latencies = Vec::new();
    let mut found_total = 0usize;
    for round in 0..2_000 {
        let (text, side) = &queries[round % queries.len()];
        let search = Search {
            text: text.clone(),
            language: Some(Language::English),
            filters: Filters {
                side: *side,
                ..Filters::default()
            },
            limit: 20,
            now_ms: now,
            ..Search::default()
        };
        let begun = Instant::now();
        let page = services.market().search(circle, &search).await?;
        latencies.push(begun.elapsed().as_micros() as u64);
        found_total += page.total;
    }
    let (p50, p99, max) = quantiles(latencies);
    println!(
        "search (in process, 2,000 queries): p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms; {:.0} results per query on average",
        found_total as f64 / 2_000.0
    );

    // Matches for random listings.
    let ids: Vec<i64> = services
        .market()
        .with_index(circle, |index| index.metas().map(|m| m.id).collect())
        .await?;
    let ben_ids: Vec<i64> = services
        .market()
        .with_index(circle, |index| index.owned_by(ben).map(|m| m.id).collect())
        .await?;
    let mut latencies = Vec::new();
    let mut matched = 0usize;
    for _ in 0..1_000 {
        let id = ids[rng.gen_range(0..ids.len())];
        let begun = Instant::now();
        let found = services
            .market()
            .with_index(circle, |index| {
                matching::matches(index, id, |_| None, now, 10)
            })
            .await?;
        latencies.push(begun.elapsed().as_micros() as u64);
        matched += found.len();
    }
    let (p50, p99, max) = quantiles(latencies);
    println!(
        "matches (in process, 1,000 listings, top 10): p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms; {:.1} matches each",
        matched as f64 / 1_000.0
    );

    // Trade loops for members with listings on both sides.
    let mut latencies = Vec::new();
    let mut loops = 0;
    let mut truncated = 0;
    for n in 0..20 {
        let member = owners[(n * 37) % owners.len()];
        let begun = Instant::now();
        let found = services
            .market()
            .with_index(circle, |index| {
                trade_loops(index, member, now, Bounds::default())
            })
            .await?;
        latencies.push(begun.elapsed().as_micros() as u64);
        loops += found.cycles.len();
        truncated += usize::from(found.truncated);
    }
    let (p50, p99, max) = quantiles(latencies);
    println!(
        "trade loops (20 members, bounded to {} expansions): p50 {p50:.0} ms, max {max:.0} ms (p99 {p99:.0} ms); {loops} loops, {truncated} searches stopped at the bound",
        commons_market::cycles::EXPANSIONS_MAX
    );

    // The pages and the API under load.
    let server = tokio::spawn(commons_web::serve(
        state.clone(),
        listener,
        std::future::pending::<()>(),
    ));
    let client = logged_in_client(&base, "ben", connections).await?;
    let slug = info.slug.clone();
    let words: Vec<String> = queries.iter().map(|(q, _)| q.clone()).collect();
    for connections in [1, connections] {
        println!("HTTP: {connections} connections, {seconds} s per scenario, load generator in the same process");
        for scenario in ["search page", "browse page", "matches API"] {
            let client = client.clone();
            let base = base.clone();
            let slug = slug.clone();
            let words = words.clone();
            let ids = ben_ids.clone();
            let figures = hammer(connections, seconds, move |task, round| {
                let client = client.clone();
                let url = match scenario {
                    "search page" => format!(
                        "{base}/c/{slug}/market?q={}",
                        words[(task * 31 + round) % words.len()]
                            .replace(' ', "+")
                            .replace(['&', '#', '?'], "")
                    ),
                    "browse page" => {
                        format!("{base}/c/{slug}/market?page={}", 1 + (task + round) % 50)
                    }
                    _ => format!(
                        "{base}/api/v1/circles/{slug}/listings/{}/matches",
                        ids[(task * 7919 + round * 104_729) % ids.len()]
                    ),
                };
                async move {
                    let response = client.get(&url).send().await.map_err(|_| ())?;
                    if !response.status().is_success() {
                        return Err(());
                    }
                    Ok(response.bytes().await.map_err(|_| ())?.len())
                }
            })
            .await;
            figures.print(scenario);
        }
    }
    server.abort();
    Ok(Outcome::Done)
}
