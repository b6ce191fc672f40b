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

mod auditing;
mod link_audit;
mod reading;
mod signing;

use auditing::*;
use reading::*;
use signing::*;

use crate::{
    AccountCommand, AuditArgs, BenchCommand, CircleCommand, Cli, Command, CreateCircleArgs,
    KeyCommand, LimitsArgs, Outcome, PayArgs, RequestArgs, StewardCommand,
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
        Command::Bench(BenchCommand::Link {
            payments,
            concurrency,
        }) => crate::bench_link::link_bench(payments, concurrency.max(1)).await,
        Command::Bench(BenchCommand::Governance { ballots, blt }) => {
            crate::bench_governance::governance(ballots, &blt)
        }
        Command::Audit(args) if !args.link.is_empty() => link_audit::audit_link_files(&args),
        Command::Audit(args) if args.file.is_some() => audit_file(&args),
        Command::Audit(args) if args.moderation.is_some() => audit_moderation(&args),
        Command::Audit(args) if args.statement.is_some() => audit_statement(&args),
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
        Command::Circle(CircleCommand::Create(args)) => circle_create(store, args).await,
        Command::Circle(CircleCommand::List) => circle_list(store).await,
        Command::Circle(CircleCommand::CcChain {
            slug,
            partner,
            last_hash,
        }) => cc_chain(store, slug, partner, last_hash).await,
        Command::Account(AccountCommand::Open {
            slug,
            member,
            floor,
            ceiling,
            steward_key,
        }) => account_open(store, slug, member, floor, ceiling, steward_key).await,
        Command::Account(AccountCommand::Close { slug, member, key }) => {
            account_close(store, slug, member, key).await
        }
        Command::Steward(command) => steward(store, command).await,
        Command::Key(KeyCommand::Rotate {
            slug,
            old,
            new,
            key,
        }) => key_rotate(store, slug, old, new, key).await,
        Command::Limits(args) => limits(store, args).await,
        Command::Pay(args) => pay(store, args).await,
        Command::Request(args) => request(store, args).await,
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
        Command::Export(crate::ExportArgs {
            what: Some(crate::ExportWhat::HeldHeads { slug, out }),
            ..
        }) => link_audit::export_held_heads(store, &slug, out.as_deref()).await,
        Command::Tally(args) => {
            let proposal = args.proposal.as_deref().context("name a proposal")?;
            crate::tally::tally_store(store, proposal, args.round, args.json).await
        }
        Command::Head { slug, out } => head(store, slug, out).await,
        Command::Prove { slug, entry, since } => prove(store, &slug, entry, since.as_deref()).await,
        Command::Audit(args) => audit_store(store, args).await,
        Command::Keygen { .. } | Command::Bench(_) | Command::Serve(_) | Command::Vote(_) => {
            unreachable_command()
        }
    }
}

fn unreachable_command() -> Result<Outcome> {
    bail!("internal: this command does not use the database")
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

/// `commons circle cc-chain`: an operator starts a Credit Commons partner's chain.
async fn cc_chain(
    store: &Store,
    slug: String,
    partner: String,
    last_hash: String,
) -> Result<Outcome> {
    let state =
        commons_web::AppState::new(store.clone(), commons_web::WebConfig::default()).await?;
    state
        .services
        .start_cc_chain(&slug, &partner, &last_hash)
        .await
        .with_context(|| format!("cannot start the chain of {slug} with {partner}"))?;
    println!("The chain of {slug}'s account with the Credit Commons node {partner} starts at the agreed value. Its calls are taken from now on.");
    Ok(Outcome::Done)
}
