//! `commons audit`: of a node's own chain or of an export file, offline, with a progress bar and a report (and the enactments checked against the decisions).

use super::*;

/// `commons audit <circle>`: the node's own chain, replayed and checked against a trusted head.
pub(super) async fn audit_store(store: &Store, args: AuditArgs) -> Result<Outcome> {
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

/// An export's text, and a fault for each line that is not UTF-8 (such bytes make their lines
/// unreadable, never stop the audit).
pub(super) fn read_export(
    path: &std::path::Path,
) -> Result<(String, Vec<commons_ledger::audit::Fault>)> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the export {}", path.display()))?;
    let faults = bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, line)| std::str::from_utf8(line).is_err())
        .map(|(index, _)| commons_ledger::audit::Fault {
            entry: None,
            what: format!("line {} is not UTF-8 text", index + 1),
        })
        .collect();
    Ok((String::from_utf8_lossy(&bytes).into_owned(), faults))
}

pub(super) fn audit_file(args: &AuditArgs) -> Result<Outcome> {
    let path = args.file.as_deref().context("--file")?;
    let (text, mut input_faults) = read_export(path)?;
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
pub(super) async fn check_enactments_in_store(
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

pub(super) fn print_report(report: &AuditReport, json: bool) -> Outcome {
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
            "on_its_word": on_its_word(report)
                .iter()
                .map(|(path, address, payments)| json!({ "partner": path, "address": address, "payments": payments }))
                .collect::<Vec<_>>(),
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
        for (path, address, payments) in on_its_word(report) {
            println!(
                "  Taken on its word: {payments} payment(s) with the Credit Commons node {path} at {address}. It proves nothing it records, so `audit --link` cannot check them."
            );
        }
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

/// The circle's links taken on their partner's word, with how many payments rest on it.
fn on_its_word(report: &AuditReport) -> Vec<(String, String, u64)> {
    let Some(state) = report.state.as_ref() else {
        return Vec::new();
    };
    state
        .links
        .values()
        .filter_map(|link| match &link.terms.trust {
            commons_ledger::crossing::LinkTrust::OnItsWord { their_path, .. } => Some((
                their_path.clone(),
                link.terms.address.clone(),
                link.on_word_payments,
            )),
            commons_ledger::crossing::LinkTrust::Proved => None,
        })
        .collect()
}

pub(super) fn progress_bar(total: u64) -> ProgressBar {
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

/// `commons audit --moderation FILE`: a circle's moderation log, offline: every action signed
/// by its moderator and chained in order, every head signed by the circle's node key over the
/// actions before it, and (with --kept-head) the log still beginning with a head kept earlier.
/// A file that cannot be read, or holds anything else, is a fault, never a crash.
pub(super) fn audit_moderation(args: &AuditArgs) -> Result<Outcome> {
    use commons_governance::moderation::{verify_log_with, KeptHead, LogFault, Pins};
    let path = args.moderation.as_deref().context("--moderation")?;
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the moderation log {}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut faults = Vec::new();
    let kept = match args.kept_head.as_deref().map(parse_kept_head) {
        Some(Ok(kept)) => Some(kept),
        Some(Err(what)) => {
            faults.push(LogFault { line: 0, what });
            None
        }
        None => None,
    };
    let kept = kept.map(|(tree_size, root, node_key)| KeptHead {
        tree_size,
        root,
        node_key,
    });
    let ledger = match args.ledger.as_deref().map(audited_ledger) {
        Some(Ok(ledger)) => Some(ledger),
        Some(Err(what)) => {
            faults.push(LogFault { line: 0, what });
            None
        }
        None => None,
    };
    let ledger_key = ledger.as_ref().map(|ledger| ledger.node_key);
    if let (Some(from_ledger), Some(Some(from_kept))) = (ledger_key, kept.map(|k| k.node_key)) {
        if from_ledger != from_kept {
            faults.push(LogFault {
                line: 0,
                what: "the node key in your kept head is not the one the ledger names".into(),
            });
        }
    }
    let pinned = ledger_key.or(kept.and_then(|k| k.node_key));
    let pins = Pins {
        node_key: pinned,
        circle_id: ledger.as_ref().map(|ledger| ledger.circle_id),
        authority: ledger.as_ref().map(|ledger| &ledger.authority),
    };
    let mut report = verify_log_with(&text, kept, pins);
    faults.append(&mut report.faults);
    if std::str::from_utf8(&bytes).is_err() {
        faults.push(LogFault {
            line: 0,
            what: "the file is not UTF-8 text".into(),
        });
    }
    report.faults = faults;
    if args.json {
        let faults: Vec<_> = report
            .faults
            .iter()
            .map(|f| json!({ "line": f.line, "what": f.what }))
            .collect();
        let by_kind: serde_json::Map<String, serde_json::Value> = report
            .by_kind
            .iter()
            .map(|(kind, count)| (kind.as_str().to_owned(), json!(count)))
            .collect();
        let value = json!({
            "ok": report.is_clean(),
            "circle": report.slug,
            "actions": report.actions,
            "heads": report.heads,
            "root": report.root.to_hex(),
            "by_kind": by_kind,
            "faults": faults,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else if report.is_clean() {
        let trusted = match (ledger_key, pinned) {
            (Some(_), _) => {
                "the node key the ledger names, and each signed by a steward or appointed moderator of its time by the ledger's record"
            }
            (None, Some(_)) => "the node key you kept",
            (None, None) => {
                "the node key the file names (nothing pinned it: keep the head with its key, or add --ledger)"
            }
        };
        println!(
            "OK: the moderation log of {} verifies: {} actions, each signed by its moderator and chained, under {} heads signed by {trusted} (root {}).",
            report.slug,
            report.actions,
            report.heads,
            report.root.short()
        );
    } else {
        println!(
            "FAULTS: {} problem(s) in the moderation log:",
            report.faults.len()
        );
        for fault in &report.faults {
            if fault.line == 0 {
                println!("  - {}", fault.what);
            } else {
                println!("  - line {}: {}", fault.line, fault.what);
            }
        }
    }
    Ok(if report.is_clean() {
        Outcome::Done
    } else {
        Outcome::Faults
    })
}

/// A kept head as the moderation page shows it: `SIZE:ROOT:NODEKEY` (or `SIZE:ROOT`, from
/// before the page named the node key).
type Kept = (
    u64,
    commons_ledger::keys::Hash,
    Option<commons_ledger::keys::PublicKey>,
);

fn parse_kept_head(text: &str) -> std::result::Result<Kept, String> {
    let mut parts = text.trim().split(':');
    let (Some(size), Some(root)) = (parts.next(), parts.next()) else {
        return Err("the kept head is not SIZE:ROOT:NODEKEY".to_owned());
    };
    let size = size
        .parse()
        .map_err(|_| "the kept head's size is not a number".to_owned())?;
    let root = commons_ledger::keys::Hash::from_hex(root)
        .map_err(|_| "the kept head's root is not 64 hex digits".to_owned())?;
    let node_key = match parts.next() {
        Some(key) => Some(
            key.parse()
                .map_err(|_| "the kept head's node key is not 64 hex digits".to_owned())?,
        ),
        None => None,
    };
    if parts.next().is_some() {
        return Err("the kept head is not SIZE:ROOT:NODEKEY".to_owned());
    }
    Ok((size, root, node_key))
}

/// What a moderation log check takes from the circle's ledger, once the ledger itself verified.
struct AuditedLedger {
    node_key: commons_ledger::keys::PublicKey,
    circle_id: commons_ledger::keys::Hash,
    authority: commons_ledger::authority::AuthorityTimeline,
}

/// Audits a circle's ledger export in full (as `commons audit --file` does) and answers what
/// its checked entries say: the node key, the circle's id, and who held power when. A ledger
/// with any fault pins nothing: its record of who moderated cannot be trusted.
fn audited_ledger(path: &std::path::Path) -> std::result::Result<AuditedLedger, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read the ledger {}: {error}", path.display()))?;
    let input = commons_ledger::export::parse_export(&text).into_audit_input(None);
    let report = commons_ledger::audit::audit(input, &|_| {});
    if let Some(fault) = report.faults.first() {
        return Err(format!(
            "the ledger {} does not verify ({} fault(s), the first: {fault}); run `commons audit --file` on it",
            path.display(),
            report.faults.len()
        ));
    }
    let state = report.state.ok_or_else(|| {
        format!(
            "{} does not begin with a circle's genesis entry",
            path.display()
        )
    })?;
    Ok(AuditedLedger {
        node_key: state.node_key,
        circle_id: state.circle_id,
        authority: report.authority,
    })
}

/// `commons audit --statement FILE`: a member's statement from their takeout, offline: the
/// genesis entry names the node key that signed the tree head, and each entry is signed by its
/// author, in that tree at its place, with its memo as committed, and about the member.
pub(super) fn audit_statement(args: &AuditArgs) -> Result<Outcome> {
    use commons_ledger::statement::verify_statement;
    let path = args.statement.as_deref().context("--statement")?;
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the statement {}", path.display()))?;
    let mut report = verify_statement(&String::from_utf8_lossy(&bytes));
    if std::str::from_utf8(&bytes).is_err() {
        report.faults.push("the file is not UTF-8 text".into());
    }
    if args.json {
        let value = json!({
            "ok": report.is_clean(),
            "circle": report.slug,
            "entries": report.entries_checked,
            "net_minor": report.net_minor.to_string(),
            "faults": report.faults,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else if report.is_clean() {
        println!(
            "OK: the statement of {} verifies: {} entries, each signed and in the circle's signed tree; they move the balance by {} (minor units).",
            report.slug, report.entries_checked, report.net_minor
        );
    } else {
        println!(
            "FAULTS: {} problem(s) in the statement:",
            report.faults.len()
        );
        for fault in &report.faults {
            println!("  - {fault}");
        }
    }
    Ok(if report.is_clean() {
        Outcome::Done
    } else {
        Outcome::Faults
    })
}
