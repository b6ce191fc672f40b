//! `commons audit --link A.jsonl B.jsonl`: two linked circles' exports, each audited on its
//! own, then against each other (every payment between them on both sides or on neither, the
//! same amounts, each side's link naming the other's node key).

use super::*;
use commons_ledger::export::TreeHeadLine;
use commons_ledger::link_audit::{
    audit_link, check_held_heads, parse_held_heads, LinkReport, Side, HELD_HEADS_MAX,
};

pub(super) fn audit_link_files(args: &AuditArgs) -> Result<Outcome> {
    let [path_a, path_b] = args.link.as_slice() else {
        bail!("--link takes two exports: A.jsonl B.jsonl");
    };
    let mut sides = Vec::new();
    let mut passed = true;
    for (name, path) in [("A", path_a), ("B", path_b)] {
        let (text, input_faults) = auditing::read_export(path)?;
        let parsed = parse_export(&text);
        let mut report = audit(parse_export(&text).into_audit_input(None), &|_| {});
        report.faults.splice(0..0, input_faults);
        if !args.json {
            print!("{name} ({}): ", path.display());
        }
        passed &= auditing::print_report(&report, args.json) == Outcome::Done;
        sides.push((report, parsed));
    }
    let (Some(state_a), Some(state_b)) = (&sides[0].0.state, &sides[1].0.state) else {
        println!(
            "FAULTS: a circle without a readable genesis cannot be checked against the other."
        );
        return Ok(Outcome::Faults);
    };
    let (side_a, side_b) = (
        Side::new(state_a, &sides[0].1),
        Side::new(state_b, &sides[1].1),
    );
    let mut report = audit_link(&side_a, &side_b);
    for path in &args.held {
        let held = read_held_heads(path, &mut report)?;
        check_held_heads(&side_a, &side_b, &held, &mut report);
    }
    if args.json {
        let value = json!({
            "ok": report.passed() && passed,
            "checked_a_to_b": report.checked_there,
            "checked_b_to_a": report.checked_back,
            "released": report.released,
            "held_heads_checked": report.heads_checked,
            "in_flight": report.in_flight,
            "faults": report.faults,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else if report.passed() {
        println!(
            "OK: the link agrees: {} payments from A to B and {} from B to A are on both sides, the same; {} released (nothing moved); {} still on their way.",
            report.checked_there, report.checked_back, report.released, report.in_flight
        );
        if !args.held.is_empty() {
            println!(
                "OK: {} tree heads the circles kept of each other are each the start of the other's export.",
                report.heads_checked
            );
        }
    } else {
        println!(
            "FAULTS: {} problem(s) between the two circles:",
            report.faults_total
        );
        for fault in &report.faults {
            println!("  {fault}");
        }
    }
    Ok(if passed && report.passed() {
        Outcome::Done
    } else {
        Outcome::Faults
    })
}

/// A held-heads file: one tree head line each; a line that cannot be read is a fault.
fn read_held_heads(
    path: &std::path::Path,
    report: &mut LinkReport,
) -> Result<Vec<commons_ledger::entry::TreeHead>> {
    let (text, input_faults) = auditing::read_export(path)?;
    let (heads, faults) = parse_held_heads(&text);
    for fault in input_faults {
        report.fault(format!("{}: {fault}", path.display()));
    }
    for fault in faults {
        report.fault(format!("{}: {fault}", path.display()));
    }
    Ok(heads)
}

/// `commons export held-heads SLUG`: the tree heads the circle kept of its linked circles.
pub(super) async fn export_held_heads(
    store: &Store,
    slug: &str,
    out: Option<&std::path::Path>,
) -> Result<Outcome> {
    let info = store.circle(slug).await?;
    let heads = store.held_heads(&info, HELD_HEADS_MAX as i64).await?;
    let mut text = String::new();
    for head in &heads {
        text.push_str(&serde_json::to_string(&TreeHeadLine::from_head(head))?);
        text.push('\n');
    }
    match out {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "Exported {} held tree heads of {slug} to {}",
                heads.len(),
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(Outcome::Done)
}
