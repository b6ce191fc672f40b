//! The commands that read a circle: balances, the log (each entry in words), the export, the latest tree head, and inclusion and consistency proofs.

use super::*;
use commons_ledger::crossing::{HoldSource, Settlement};

pub(super) async fn balance(
    store: &Store,
    slug: &str,
    only: Option<&str>,
    json: bool,
) -> Result<Outcome> {
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
pub(super) fn describe(body: &Body, decimals: Decimals, unit: &str) -> String {
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
        Body::Hold(hold) => format!(
            "{} held for circle {} (transfer {}): {}",
            match &hold.source {
                HoldSource::Member(payer) => payer.short(),
                HoldSource::Link { partner, .. } => format!("circle {}", partner.short()),
            },
            hold.partner.short(),
            hold.transfer,
            money(hold.amount_minor)
        ),
        Body::Settle {
            hold,
            settlement: Settlement::Commit { remote },
        } => format!("hold {} committed ({} there)", hold.short(), remote.short()),
        Body::Settle { hold, .. } => format!("hold {} released", hold.short()),
        Body::Arrive(arrival) => format!(
            "circle {} → {} (transfer {}): {}",
            arrival.partner.short(),
            arrival.payee.short(),
            arrival.transfer,
            money(arrival.amount_minor)
        ),
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
                    Action::AppointModerator { account } => {
                        format!("{} appointed to moderate", account.short())
                    }
                    Action::EndModerator { account } => {
                        format!("{} no longer moderates", account.short())
                    }
                    Action::SetDocument { document, hash } => {
                        format!("document {document} is now {}", hash.short())
                    }
                    Action::Link(terms) => format!(
                        "linked with circle {} at {} here = {} there (may owe {}, be owed {})",
                        terms.partner.short(),
                        terms.rate_here_minor,
                        terms.rate_there_minor,
                        money(terms.out_max_minor),
                        money(terms.in_max_minor)
                    ),
                    Action::SetLinkStatus { partner, status } => {
                        format!("link with circle {} {}", partner.short(), status.as_str())
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

pub(super) fn format_time(ms: i64) -> String {
    let time = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(time).to_string()
}

pub(super) async fn log(store: &Store, slug: &str, limit: i64, json: bool) -> Result<Outcome> {
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

pub(super) async fn export(
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
pub(super) async fn prove(
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

/// `commons head`: the latest signed tree head, to keep and check later.
pub(super) async fn head(
    store: &Store,
    slug: String,
    out: Option<std::path::PathBuf>,
) -> Result<Outcome> {
    let info = store.circle(&slug).await?;
    let head = store.latest_tree_head(&info).await?;
    let text = line_text(&Line::TreeHead(TreeHeadLine::from_head(&head)));
    write_output(out.as_deref(), text.as_bytes())?;
    Ok(Outcome::Done)
}
