//! `commons audit --link A.jsonl B.jsonl`: two linked circles' exports, each audited on its
//! own, then against each other (every payment between them on both sides or on neither, the
//! same amounts, each side's link naming the other's node key).

use super::*;
use commons_ledger::link_audit::{audit_link, Side};

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
    let report = audit_link(
        &Side::new(state_a, &sides[0].1),
        &Side::new(state_b, &sides[1].1),
    );
    if args.json {
        let value = json!({
            "ok": report.passed() && passed,
            "checked_a_to_b": report.checked_there,
            "checked_b_to_a": report.checked_back,
            "released": report.released,
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
