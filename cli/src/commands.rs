//! The commands: each reads its inputs, calls the ledger or the store, and prints the result.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};
use commons_governance::audit::{check_enactment, genesis_defaults, Backing, Enactment, History};
use commons_ledger::amount::Decimals;
use commons_ledger::audit::{audit, AuditReport};
use commons_ledger::entry::{
    memo_hash, Action, Body, Cause, CircleSpec, Request, SignedRequest, TreeHead, MEMO_BYTES_MAX,
};
use commons_ledger::export::{line_text, parse_export, Line, Memo, TreeHeadLine};
use commons_ledger::keys::{Hash, PublicKey, SecretKey};
use commons_ledger::merkle;
use commons_ledger::store::{CircleInfo, Store};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand_core::{OsRng, RngCore};
use serde_json::json;

use crate::{
    AccountCommand, AuditArgs, BenchCommand, CircleCommand, Cli, Command, KeyCommand, Outcome,
    StewardCommand,
};

pub async fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Keygen { out } => keygen(&out),
        Command::Bench(BenchCommand::Ledger {
            transfers,
            concurrency,
            pg,
        }) => crate::bench::ledger(transfers, concurrency, pg).await,
        Command::Bench(BenchCommand::Web {
            connections,
            seconds,
            pg,
            only,
        }) => crate::bench_web::web(connections, seconds, pg, only).await,
        Command::Bench(BenchCommand::Market {
            listings,
            connections,
            seconds,
            pg,
        }) => crate::bench_market::market(listings, connections, seconds, pg).await,
        Command::Bench(BenchCommand::Governance { ballots, blt }) => {
            crate::bench_governance::governance(ballots, &blt)
        }
        Command::Audit(args) if args.file.is_some() => audit_file(&args),
        Command::Tally(args) if args.proposal.is_none() => {
            match (&args.file, &args.blt, args.method) {
                (Some(file), _, _) => crate::tally::tally_file(file, args.json),
                (None, Some(blt), Some(method)) => {
                    crate::tally::tally_blt(blt, method, args.seats, args.json)
                }
                _ => anyhow::bail!("give a proposal, --file, or --blt with --method"),
            }
        }
        Command::Serve(args) => crate::serve::serve(&cli.db, args).await,
        Command::Pay(args) if args.server.is_some() => crate::remote::pay(&args).await,
        Command::Vote(args) => crate::remote::vote(&args).await,
        command => {
            let store = Store::open(&cli.db)
                .await
                .with_context(|| format!("cannot open the database {}", cli.db))?;
            let outcome = with_store(&store, command).await;
            store.close().await;
            outcome
        }
    }
}

async fn with_store(store: &Store, command: Command) -> Result<Outcome> {
    match command {
        Command::Circle(CircleCommand::Create(args)) => {
            let steward = read_key(&args.steward_key)?;
            let decimals = Decimals::new(args.decimals)?;
            let spec = CircleSpec {
                slug: args
                    .slug
                    .parse::<commons_ledger::slug::CircleSlug>()?
                    .to_string(),
                name: args.name,
                unit_symbol: args.symbol.unwrap_or_else(|| args.unit.clone()),
                unit_name: args.unit,
                decimals: decimals.places(),
                default_floor_minor: decimals.parse_minor(&args.floor).context("--floor")?,
                default_ceiling_minor: decimals.parse_minor(&args.ceiling).context("--ceiling")?,
            };
            let node_key = SecretKey::generate();
            let genesis = Request::genesis(spec, &steward, node_key.public_key());
            let info = store.create_circle(genesis, &node_key).await?;
            println!(
                "Created circle {} ({}), id {}",
                info.slug, info.name, info.circle_id
            );
            println!(
                "Tree heads are signed by node key {}",
                node_key.public_key()
            );
            Ok(Outcome::Done)
        }
        Command::Circle(CircleCommand::List) => {
            let mut table = new_table(&["Slug", "Name", "Unit", "Entries", "Circle id"]);
            for info in store.circles().await? {
                table.add_row(vec![
                    Cell::new(&info.slug),
                    Cell::new(&info.name),
                    Cell::new(format!(
                        "{} ({}, {} decimals)",
                        info.unit_name, info.unit_symbol, info.decimals
                    )),
                    Cell::new(info.head_seq + 1).set_alignment(CellAlignment::Right),
                    Cell::new(info.circle_id.short()),
                ]);
            }
            println!("{table}");
            Ok(Outcome::Done)
        }
        Command::Account(AccountCommand::Open {
            slug,
            member,
            floor,
            ceiling,
            steward_key,
        }) => {
            let info = store.circle(&slug).await?;
            let (state, _) = store.load_state(info.row_id).await?;
            let decimals = decimals(&info);
            let account = parse_key(&member)?;
            let floor_minor = match floor {
                Some(text) => decimals.parse_minor(&text).context("--floor")?,
                None => state.default_floor_minor,
            };
            let ceiling_minor = match ceiling {
                Some(text) => decimals.parse_minor(&text).context("--ceiling")?,
                None => state.default_ceiling_minor,
            };
            let steward = read_key(&steward_key)?;
            let signed = sign(
                &info,
                &steward,
                Body::OpenAccount {
                    account,
                    floor_minor,
                    ceiling_minor,
                },
            );
            let appended = store.append(&slug, signed, None).await?;
            println!(
                "Opened account {} in {} (floor {}, ceiling {}) as entry {}",
                account,
                slug,
                decimals.format(floor_minor),
                decimals.format(ceiling_minor),
                appended.seq
            );
            Ok(Outcome::Done)
        }
        Command::Account(AccountCommand::Close { slug, member, key }) => {
            let info = store.circle(&slug).await?;
            let signed = sign(
                &info,
                &read_key(&key)?,
                Body::CloseAccount {
                    account: parse_key(&member)?,
                },
            );
            let appended = store.append(&slug, signed, None).await?;
            println!("Closed account {member} as entry {}", appended.seq);
            Ok(Outcome::Done)
        }
        Command::Steward(command) => {
            let (slug, member, steward_key, adding) = match command {
                StewardCommand::Add {
                    slug,
                    member,
                    steward_key,
                } => (slug, member, steward_key, true),
                StewardCommand::Remove {
                    slug,
                    member,
                    steward_key,
                } => (slug, member, steward_key, false),
            };
            let info = store.circle(&slug).await?;
            let key = parse_key(&member)?;
            let body = if adding {
                Body::AddSteward { key }
            } else {
                Body::RemoveSteward { key }
            };
            let appended = store
                .append(&slug, sign(&info, &read_key(&steward_key)?, body), None)
                .await?;
            let now = if adding { "now" } else { "no longer" };
            println!(
                "{member} is {now} a steward of {slug} (entry {})",
                appended.seq
            );
            Ok(Outcome::Done)
        }
        Command::Key(KeyCommand::Rotate {
            slug,
            old,
            new,
            key,
        }) => {
            let info = store.circle(&slug).await?;
            let body = Body::RotateKey {
                old: parse_key(&old)?,
                new: parse_key(&new)?,
            };
            let appended = store
                .append(&slug, sign(&info, &read_key(&key)?, body), None)
                .await?;
            println!(
                "The account moved from {} to {} (entry {})",
                &old[..8.min(old.len())],
                new,
                appended.seq
            );
            Ok(Outcome::Done)
        }
        Command::Limits(args) => {
            let info = store.circle(&args.slug).await?;
            let decimals = decimals(&info);
            let body = Body::SetLimits {
                account: parse_key(&args.member)?,
                floor_minor: decimals.parse_minor(&args.floor).context("--floor")?,
                ceiling_minor: decimals.parse_minor(&args.ceiling).context("--ceiling")?,
            };
            let signed = sign(&info, &read_key(&args.steward_key)?, body);
            let appended = store.append(&args.slug, signed, None).await?;
            println!("Limits changed as entry {}", appended.seq);
            Ok(Outcome::Done)
        }
        Command::Pay(args) => {
            let info = store.circle(&args.slug).await?;
            let payer = read_key(&args.from_key)?;
            let payee = parse_key(&args.to)?;
            let amount_minor = decimals(&info)
                .parse_positive(&args.amount)
                .context("--amount")?;
            let memo = args.memo.as_deref().map(new_memo).transpose()?;
            let cause = match args.reference {
                Some(text) => Cause::Reference(text),
                None => Cause::Direct,
            };
            let body = Body::Transfer {
                payer: payer.public_key(),
                payee,
                amount_minor,
                memo_hash: memo.as_ref().map(|m| memo_hash(&m.salt, &m.text)),
                cause,
            };
            let appended = store
                .append(&args.slug, sign(&info, &payer, body), memo)
                .await?;
            println!(
                "Paid {} {} to {} as entry {} ({})",
                decimals(&info).format(amount_minor),
                info.unit_name,
                payee.short(),
                appended.seq,
                appended.hash
            );
            Ok(Outcome::Done)
        }
        Command::Request(args) => {
            let info = store.circle(&args.slug).await?;
            let payee = read_key(&args.key)?;
            let amount_minor = decimals(&info)
                .parse_positive(&args.amount)
                .context("--amount")?;
            let memo = args.memo.as_deref().map(new_memo).transpose()?;
            let body = Body::RequestPayment {
                payer: parse_key(&args.from)?,
                payee: payee.public_key(),
                amount_minor,
                memo_hash: memo.as_ref().map(|m| memo_hash(&m.salt, &m.text)),
            };
            let appended = store
                .append(&args.slug, sign(&info, &payee, body), memo)
                .await?;
            println!(
                "Requested {} {} as entry {}; the payer accepts with `commons accept {} {}`",
                decimals(&info).format(amount_minor),
                info.unit_name,
                appended.seq,
                args.slug,
                appended.seq
            );
            Ok(Outcome::Done)
        }
        Command::Accept(args) => respond(store, args, Response::Accept).await,
        Command::Decline(args) => respond(store, args, Response::Decline).await,
        Command::Reverse(args) => respond(store, args, Response::Reverse).await,
        Command::Balance { slug, pubkey, json } => {
            balance(store, &slug, pubkey.as_deref(), json).await
        }
        Command::Log { slug, limit, json } => log(store, &slug, limit, json).await,
        Command::Export(crate::ExportArgs {
            what: None,
            slug,
            out,
            without_memos,
        }) => {
            let slug = slug.context("name a circle")?;
            export(store, &slug, out.as_deref(), !without_memos).await
        }
        Command::Export(crate::ExportArgs {
            what:
                Some(crate::ExportWhat::Ballots {
                    proposal,
                    round,
                    blt,
                    out,
                }),
            ..
        }) => crate::tally::export_ballots(store, &proposal, round, blt, out.as_deref()).await,
        Command::Tally(args) => {
            let proposal = args.proposal.as_deref().context("name a proposal")?;
            crate::tally::tally_store(store, proposal, args.round, args.json).await
        }
        Command::Head { slug, out } => {
            let info = store.circle(&slug).await?;
            let head = store.latest_tree_head(&info).await?;
            let text = line_text(&Line::TreeHead(TreeHeadLine::from_head(&head)));
            write_output(out.as_deref(), text.as_bytes())?;
            Ok(Outcome::Done)
        }
        Command::Prove { slug, entry, since } => prove(store, &slug, entry, since.as_deref()).await,
        Command::Audit(args) => {
            let slug = args.slug.clone().context("name a circle or give --file")?;
            let trusted = args
                .trusted_head
                .as_deref()
                .map(read_tree_head)
                .transpose()?;
            let info = store.circle(&slug).await?;
            let bar = progress_bar(info.head_seq + 1);
            let mut report = store
                .audit(&slug, trusted, &|done| bar.set_position(done))
                .await?;
            bar.finish_and_clear();
            check_enactments_in_store(store, &info, &mut report).await?;
            Ok(print_report(&report, args.json))
        }
        Command::Keygen { .. } | Command::Bench(_) | Command::Serve(_) | Command::Vote(_) => {
            unreachable_command()
        }
    }
}

fn unreachable_command() -> Result<Outcome> {
    bail!("internal: this command does not use the database")
}

enum Response {
    Accept,
    Decline,
    Reverse,
}

async fn respond(store: &Store, args: crate::RespondArgs, response: Response) -> Result<Outcome> {
    let info = store.circle(&args.slug).await?;
    let key = read_key(&args.key)?;
    let target = store.entry(&info, args.seq).await?;
    // The parties may have rotated keys since the entry was made: act on their accounts now.
    let (state, _) = store.load_state(info.row_id).await?;
    let body = match (&response, &target.entry.signed.record.body) {
        (Response::Accept, Body::RequestPayment { .. }) => {
            let open = state
                .open_requests
                .get(&target.hash)
                .with_context(|| format!("the payment request {} is no longer open (it was accepted, declined or withdrawn)", args.seq))?;
            Body::Transfer {
                payer: open.payer,
                payee: open.payee,
                amount_minor: open.amount_minor,
                memo_hash: None,
                cause: Cause::AcceptsRequest(target.hash),
            }
        }
        (Response::Decline, Body::RequestPayment { .. }) => Body::CloseRequest {
            request: target.hash,
        },
        (
            Response::Reverse,
            Body::Transfer {
                payer,
                payee,
                amount_minor,
                ..
            },
        ) => Body::Transfer {
            payer: state.current_key(payee),
            payee: state.current_key(payer),
            amount_minor: *amount_minor,
            memo_hash: None,
            cause: Cause::Reverses(target.hash),
        },
        (Response::Reverse, _) => bail!(
            "entry {} is not a transfer, so it cannot be reversed",
            args.seq
        ),
        _ => bail!("entry {} is not a payment request", args.seq),
    };
    let appended = store
        .append(&args.slug, sign(&info, &key, body), None)
        .await?;
    let verb = match response {
        Response::Accept => "Accepted and paid",
        Response::Decline => "Closed",
        Response::Reverse => "Reversed",
    };
    println!("{verb} entry {} as entry {}", args.seq, appended.seq);
    Ok(Outcome::Done)
}

async fn balance(store: &Store, slug: &str, only: Option<&str>, json: bool) -> Result<Outcome> {
    let info = store.circle(slug).await?;
    let decimals = decimals(&info);
    let only = only.map(parse_key).transpose()?;
    let accounts: Vec<_> = store
        .accounts(&info)
        .await?
        .into_iter()
        .filter(|a| only.is_none_or(|key| a.key == key))
        .collect();
    if only.is_some() && accounts.is_empty() {
        bail!(
            "{} has no account in {slug}",
            only.map(|k| k.to_string()).unwrap_or_default()
        );
    }
    if json {
        let rows: Vec<_> = accounts
            .iter()
            .map(|a| {
                json!({
                    "account": a.key.to_hex(),
                    "balance": decimals.format(a.balance_minor),
                    "balance_minor": a.balance_minor,
                    "floor": decimals.format(a.floor_minor),
                    "ceiling": decimals.format(a.ceiling_minor),
                    "can_spend": decimals.format((a.balance_minor - a.floor_minor).max(0)),
                    "status": a.status,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "circle": slug, "unit": info.unit_name, "accounts": rows })
            )?
        );
        return Ok(Outcome::Done);
    }
    let unit = &info.unit_name;
    let mut table = new_table(&[
        "Account",
        &format!("Balance ({unit})"),
        "Floor",
        "Ceiling",
        "Can spend",
        "Status",
    ]);
    for a in &accounts {
        table.add_row(vec![
            Cell::new(a.key.to_hex()),
            Cell::new(decimals.format(a.balance_minor)).set_alignment(CellAlignment::Right),
            Cell::new(decimals.format(a.floor_minor)).set_alignment(CellAlignment::Right),
            Cell::new(decimals.format(a.ceiling_minor)).set_alignment(CellAlignment::Right),
            Cell::new(decimals.format((a.balance_minor - a.floor_minor).max(0)))
                .set_alignment(CellAlignment::Right),
            Cell::new(&a.status),
        ]);
    }
    println!("{table}");
    Ok(Outcome::Done)
}

/// A one-line description of an entry for people.
fn describe(body: &Body, decimals: Decimals, unit: &str) -> String {
    let money = |minor: i64| format!("{} {unit}", decimals.format(minor));
    match body {
        Body::Genesis { spec, stewards, .. } => format!(
            "circle {} created, {} steward(s)",
            spec.name,
            stewards.len()
        ),
        Body::OpenAccount {
            account,
            floor_minor,
            ceiling_minor,
        } => {
            format!(
                "account {} opened, floor {}, ceiling {}",
                account.short(),
                money(*floor_minor),
                money(*ceiling_minor)
            )
        }
        Body::SetLimits {
            account,
            floor_minor,
            ceiling_minor,
        } => {
            format!(
                "limits of {} set to {} … {}",
                account.short(),
                money(*floor_minor),
                money(*ceiling_minor)
            )
        }
        Body::RotateKey { old, new } => format!("key {} replaced by {}", old.short(), new.short()),
        Body::Transfer {
            payer,
            payee,
            amount_minor,
            cause,
            ..
        } => {
            let why = match cause {
                Cause::Direct => String::new(),
                Cause::AcceptsRequest(hash) => format!(" (accepts request {})", hash.short()),
                Cause::Reverses(hash) => format!(" (reverses {})", hash.short()),
                Cause::Reference(text) => format!(" (for {text})"),
            };
            format!(
                "{} → {}: {}{why}",
                payer.short(),
                payee.short(),
                money(*amount_minor)
            )
        }
        Body::RequestPayment {
            payer,
            payee,
            amount_minor,
            ..
        } => {
            format!(
                "{} asks {} for {}",
                payee.short(),
                payer.short(),
                money(*amount_minor)
            )
        }
        Body::CloseRequest { request } => format!("request {} closed", request.short()),
        Body::CloseAccount { account } => format!("account {} closed", account.short()),
        Body::AddSteward { key } => format!("steward {} added", key.short()),
        Body::RemoveSteward { key } => format!("steward {} removed", key.short()),
        Body::Enact {
            proposal, actions, ..
        } => {
            let described: Vec<String> = actions
                .iter()
                .map(|action| match action {
                    Action::SetDefaultLimits {
                        floor_minor,
                        ceiling_minor,
                    } => format!(
                        "default limits {} … {}",
                        money(*floor_minor),
                        money(*ceiling_minor)
                    ),
                    Action::SetLimits {
                        account,
                        floor_minor,
                        ceiling_minor,
                    } => format!(
                        "limits of {} {} … {}",
                        account.short(),
                        money(*floor_minor),
                        money(*ceiling_minor)
                    ),
                    Action::Admit { account } => format!("admit {}", account.short()),
                    Action::Remove { account } => format!("remove {}", account.short()),
                    Action::AddSteward { key } => format!("steward {} added", key.short()),
                    Action::RemoveSteward { key } => format!("steward {} removed", key.short()),
                    Action::SetDocument { document, hash } => {
                        format!("document {document} is now {}", hash.short())
                    }
                })
                .collect();
            format!(
                "proposal {} enacted: {}",
                proposal.short(),
                described.join("; ")
            )
        }
    }
}

fn format_time(ms: i64) -> String {
    let time = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(time).to_string()
}

async fn log(store: &Store, slug: &str, limit: i64, json: bool) -> Result<Outcome> {
    let info = store.circle(slug).await?;
    let decimals = decimals(&info);
    let entries = store.recent_entries(&info, limit).await?;
    if json {
        let rows: Vec<_> = entries
            .iter()
            .map(|stored| {
                let body = &stored.entry.signed.record.body;
                json!({
                    "seq": stored.entry.seq,
                    "recorded_at": format_time(stored.entry.recorded_at_ms),
                    "kind": body.kind_name(),
                    "author": stored.entry.signed.record.author.to_hex(),
                    "summary": describe(body, decimals, &info.unit_name),
                    "memo": stored.memo.as_ref().map(|m| m.text.clone()),
                    "hash": stored.hash.to_hex(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(Outcome::Done);
    }
    let mut table = new_table(&[
        "Seq",
        "Recorded (UTC)",
        "Kind",
        "Signed by",
        "What",
        "Memo",
        "Hash",
    ]);
    for stored in &entries {
        let body = &stored.entry.signed.record.body;
        table.add_row(vec![
            Cell::new(stored.entry.seq).set_alignment(CellAlignment::Right),
            Cell::new(format_time(stored.entry.recorded_at_ms)),
            Cell::new(body.kind_name()),
            Cell::new(stored.entry.signed.record.author.short()),
            Cell::new(describe(body, decimals, &info.unit_name)),
            Cell::new(stored.memo.as_ref().map(|m| m.text.as_str()).unwrap_or("")),
            Cell::new(stored.hash.short()),
        ]);
    }
    println!("{table}");
    Ok(Outcome::Done)
}

async fn export(
    store: &Store,
    slug: &str,
    out: Option<&Path>,
    include_memos: bool,
) -> Result<Outcome> {
    let info = store.circle(slug).await?;
    let written = match out {
        Some(path) => {
            // Written beside the target and renamed at the end, so a failed export never leaves
            // a truncated file that looks like a ledger with missing entries.
            let partial = path.with_extension("partial");
            let file = std::fs::File::create(&partial)
                .with_context(|| format!("cannot write {}", partial.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            let written = store.export_to(&info, &mut writer, include_memos).await?;
            writer
                .into_inner()
                .map_err(|error| error.into_error())?
                .sync_all()?;
            std::fs::rename(&partial, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("Exported {written} entries of {slug} to {}", path.display());
            written
        }
        None => {
            let mut writer = std::io::BufWriter::new(std::io::stdout());
            let written = store.export_to(&info, &mut writer, include_memos).await?;
            writer.flush()?;
            written
        }
    };
    tracing::info!(entries = written, "export written");
    Ok(Outcome::Done)
}

/// Prints an inclusion or consistency proof against the latest signed tree head, after checking
/// it here with the same verifier an outside party would use.
async fn prove(
    store: &Store,
    slug: &str,
    entry: Option<u64>,
    since: Option<&Path>,
) -> Result<Outcome> {
    let info = store.circle(slug).await?;
    let head = store.latest_tree_head(&info).await?;
    let hexes = |proof: &[Hash]| proof.iter().map(Hash::to_hex).collect::<Vec<_>>();
    let value = match (entry, since) {
        (Some(seq), _) => {
            if seq >= head.tree_size {
                bail!(
                    "entry {seq} is not in the latest signed tree head ({} entries)",
                    head.tree_size
                );
            }
            let stored = store.entry(&info, seq).await?;
            let proof = store.inclusion_proof(&info, seq, head.tree_size).await?;
            merkle::verify_inclusion(seq, head.tree_size, &stored.hash.0, &proof, &head.root.0)
                .context("the store produced an inclusion proof that does not verify")?;
            json!({
                "kind": "inclusion",
                "entry": seq,
                "entry_hash": stored.hash.to_hex(),
                "tree_head": TreeHeadLine::from_head(&head),
                "proof": hexes(&proof),
            })
        }
        (None, Some(path)) => {
            let old = read_tree_head(path)?;
            if old.circle_id != info.circle_id {
                bail!("{} is a tree head of another circle", path.display());
            }
            if old.tree_size == 0 || old.tree_size > head.tree_size {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({ "kind": "consistency", "consistent": false, "why": "the saved head is larger than today's log: entries were removed" })
                    )?
                );
                return Ok(Outcome::Faults);
            }
            let proof = store
                .consistency_proof(&info, old.tree_size, head.tree_size)
                .await?;
            let consistent = merkle::verify_consistency(
                old.tree_size,
                head.tree_size,
                &proof,
                &old.root.0,
                &head.root.0,
            )
            .is_ok();
            let value = json!({
                "kind": "consistency",
                "consistent": consistent,
                "old_tree_head": TreeHeadLine::from_head(&old),
                "tree_head": TreeHeadLine::from_head(&head),
                "proof": hexes(&proof),
            });
            if !consistent {
                println!("{}", serde_json::to_string_pretty(&value)?);
                return Ok(Outcome::Faults);
            }
            value
        }
        (None, None) => bail!("give --entry SEQ or --since FILE"),
    };
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(Outcome::Done)
}

fn audit_file(args: &AuditArgs) -> Result<Outcome> {
    let path = args.file.as_deref().context("--file")?;
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the export {}", path.display()))?;
    // Bytes that are not UTF-8 make their lines unreadable (faults), never stop the audit.
    let mut input_faults: Vec<commons_ledger::audit::Fault> = bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, line)| std::str::from_utf8(line).is_err())
        .map(|(index, _)| commons_ledger::audit::Fault {
            entry: None,
            what: format!("line {} is not UTF-8 text", index + 1),
        })
        .collect();
    let text = String::from_utf8_lossy(&bytes);
    // A trusted head that cannot be read is a fault too: the audit goes on without it.
    let trusted = match args.trusted_head.as_deref().map(read_tree_head) {
        Some(Ok(head)) => Some(head),
        Some(Err(error)) => {
            input_faults.push(commons_ledger::audit::Fault {
                entry: None,
                what: format!("the trusted tree head cannot be used: {error:#}"),
            });
            None
        }
        None => None,
    };
    let parsed = parse_export(&text);
    // The genesis entry (the default limits) and the enactments: what the ledger says about
    // its decisions.
    let mut genesis = None;
    let mut enactments: Vec<Enactment> = Vec::new();
    for raw in parsed.entries.iter().flatten() {
        let Ok(request) = Request::decode(&raw.request) else {
            continue;
        };
        if let Some(enactment) = Enactment::from_request(raw.seq, raw.recorded_at_ms, &request) {
            enactments.push(enactment);
        } else if raw.seq == 0 {
            genesis = genesis_defaults(&request);
        }
    }
    let history = genesis.map(|defaults| History::new(defaults, &enactments));
    let mut exports = Vec::new();
    for path in &args.ballots {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the ballot export {}", path.display()))?;
        let export = commons_governance::export::parse(&text)
            .with_context(|| format!("{} is not a ballot export", path.display()))?;
        exports.push(export);
    }
    let bar = progress_bar(parsed.entries.len() as u64);
    let mut report = audit(parsed.into_audit_input(trusted), &|done| {
        bar.set_position(done)
    });
    bar.finish_and_clear();
    report.faults.splice(0..0, input_faults);
    let circle_id = report.state.as_ref().map(|state| state.circle_id);
    for enactment in &enactments {
        let (Some(circle_id), Some(history)) = (circle_id, history.as_ref()) else {
            break;
        };
        let backing = exports
            .iter()
            .find(|export| export.definition.hash() == enactment.proposal);
        let checked = match backing {
            None => check_enactment(&circle_id, history, enactment, None)
                .map_err(|what| format!("{what} (give its ballot export with --ballots)")),
            Some(export) => {
                // A record that cannot be read fails the recount: it is left out, so the board
                // no longer matches.
                let ballots: Vec<_> = export.ballots.iter().flatten().cloned().collect();
                let delegations: Vec<_> = export.delegations.iter().flatten().cloned().collect();
                let unreadable = export.ballots.iter().filter(|b| b.is_err()).count()
                    + export.delegations.iter().filter(|d| d.is_err()).count();
                if unreadable > 0 {
                    Err(format!(
                        "{unreadable} records of its ballot export cannot be read"
                    ))
                } else {
                    check_enactment(
                        &circle_id,
                        history,
                        enactment,
                        Some(Backing {
                            definition: &export.definition,
                            policy: &export.policy,
                            ballots: &ballots,
                            delegations: &delegations,
                        }),
                    )
                }
            }
        };
        if let Err(what) = checked {
            report.faults.push(commons_ledger::audit::Fault {
                entry: Some(enactment.seq),
                what,
            });
        }
    }
    Ok(print_report(&report, args.json))
}

/// Every enactment (kind 11) in the circle must be backed by a proposal in the store whose
/// recount passes with exactly the enacted board; each that is not becomes a fault.
async fn check_enactments_in_store(
    store: &Store,
    info: &commons_ledger::store::CircleInfo,
    report: &mut AuditReport,
) -> Result<()> {
    let governance = commons_governance::store::Governance::new(store.pool().clone());
    for (seq, what) in governance.audit_enactments(store, info).await? {
        report.faults.push(commons_ledger::audit::Fault {
            entry: Some(seq),
            what,
        });
    }
    Ok(())
}

fn print_report(report: &AuditReport, json: bool) -> Outcome {
    if json {
        let faults: Vec<_> = report
            .faults
            .iter()
            .map(|f| json!({ "entry": f.entry, "what": f.what }))
            .collect();
        let value = json!({
            "ok": report.passed(),
            "entries": report.entries_checked,
            "root": report.root.to_hex(),
            "accounts": report.state.as_ref().map(|s| s.accounts.len()),
            "faults": faults,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else if report.passed() {
        let accounts = report.state.as_ref().map_or(0, |s| s.accounts.len());
        println!(
            "OK: {} entries verified (signatures, chain, rules, balances, Merkle root {}), {accounts} accounts sum to zero.",
            report.entries_checked,
            report.root.short()
        );
    } else {
        println!(
            "FAULTS: {} problem(s) in {} entries:",
            report.faults.len(),
            report.entries_checked
        );
        for fault in &report.faults {
            println!("  {fault}");
        }
    }
    if report.passed() {
        Outcome::Done
    } else {
        Outcome::Faults
    }
}

fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() || total < 100_000 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "auditing {bar:40} {pos}/{len} entries ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    bar
}

fn keygen(out: &Path) -> Result<Outcome> {
    let key = SecretKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(out).with_context(|| {
        format!(
            "cannot create {} (an existing key file is never overwritten)",
            out.display()
        )
    })?;
    file.write_all(key.to_file_text().as_bytes())?;
    file.sync_all()?;
    println!("{}", key.public_key());
    Ok(Outcome::Done)
}

fn read_key(path: &Path) -> Result<SecretKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the key file {}", path.display()))?;
    SecretKey::from_file_text(&text)
        .with_context(|| format!("{} is not a usable key file", path.display()))
}

fn parse_key(text: &str) -> Result<PublicKey> {
    text.parse::<PublicKey>().with_context(|| {
        format!("{text:?} is not a member's public key (64 lowercase hex characters)")
    })
}

fn read_tree_head(path: &Path) -> Result<TreeHead> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the tree head {}", path.display()))?;
    match serde_json::from_str::<Line>(text.trim()) {
        Ok(Line::TreeHead(line)) => Ok(line.to_head()?),
        _ => bail!(
            "{} is not a tree head line (make one with `commons head SLUG --out FILE`)",
            path.display()
        ),
    }
}

fn new_memo(text: &str) -> Result<Memo> {
    if text.len() > MEMO_BYTES_MAX {
        bail!(
            "the memo is {} bytes long; the limit is {MEMO_BYTES_MAX}",
            text.len()
        );
    }
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    Ok(Memo {
        salt,
        text: text.to_owned(),
    })
}

fn sign(info: &CircleInfo, author: &SecretKey, body: Body) -> SignedRequest {
    Request::signed(info.circle_id, author, body)
}

fn decimals(info: &CircleInfo) -> Decimals {
    Decimals::new(u32::from(info.decimals)).expect("stored circles have 0 to 4 decimals")
}

fn new_table(headers: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(headers.to_vec());
    table
}

fn write_output(out: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
        }
        None => std::io::stdout()
            .write_all(bytes)
            .context("cannot write to standard output"),
    }
}
