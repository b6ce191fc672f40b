//! The moderation forms, parsed once into commands: a report (the agreements it names, the
//! reporter's words) and a moderator's action (its kind, the agreements it cites, the reason,
//! and the days a limit or suspension lasts). Agreements come as `agreement_N` checkboxes.

use std::collections::BTreeMap;

use commons_governance::moderation::ActionKind;

use crate::moderation::rules::{self, Agreement};
use crate::moderation::service::{ActCommand, ReportCommand};
use crate::services::{ActionError, FieldProblem};

/// The numbers of the `agreement_N` boxes a form ticked.
fn cited(fields: &BTreeMap<String, String>) -> Vec<String> {
    fields
        .keys()
        .filter_map(|key| key.strip_prefix("agreement_"))
        .map(str::to_owned)
        .collect()
}

fn field<'a>(fields: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    fields.get(name).map_or("", String::as_str)
}

fn collect(problems: Vec<FieldProblem>) -> Result<(), ActionError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ActionError::Fields(problems))
    }
}

/// A report: at least one agreement or a few words.
pub fn report_command(
    fields: &BTreeMap<String, String>,
    agreements: &[Agreement],
) -> Result<ReportCommand, ActionError> {
    let mut problems = Vec::new();
    let cited = rules::parse_cited(&cited(fields), agreements).map_err(|p| problems.push(p));
    let note = rules::parse_text(field(fields, "note"), "note", false, rules::NOTE_CHARS_MAX)
        .map_err(|p| problems.push(p));
    collect(problems)?;
    let (cited, note) = (cited.unwrap_or_default(), note.unwrap_or_default());
    if cited.is_empty() && note.is_empty() {
        return Err(ActionError::Fields(vec![FieldProblem::new(
            "agreements",
            "moderation-error-report-empty",
        )]));
    }
    Ok(ReportCommand {
        agreements: cited,
        note,
    })
}

/// A moderator's action.
pub fn act_command(
    fields: &BTreeMap<String, String>,
    agreements: &[Agreement],
    now_ms: i64,
) -> Result<ActCommand, ActionError> {
    let mut problems = Vec::new();
    let kind = ActionKind::parse(field(fields, "kind"))
        .ok_or_else(|| problems.push(FieldProblem::new("kind", "moderation-error-action")));
    let cited = rules::parse_cited(&cited(fields), agreements).map_err(|p| problems.push(p));
    let reason = rules::parse_reason(field(fields, "reason")).map_err(|p| problems.push(p));
    let ends = match kind {
        Ok(kind) => {
            rules::ends_at(kind, field(fields, "days"), now_ms).map_err(|p| problems.push(p))
        }
        Err(()) => Err(()),
    };
    collect(problems)?;
    match (kind, cited, reason, ends) {
        (Ok(kind), Ok(agreements), Ok(reason), Ok(ends_at_ms)) => Ok(ActCommand {
            kind,
            agreements,
            reason,
            ends_at_ms,
        }),
        _ => Err(ActionError::Fields(vec![FieldProblem::new(
            "kind",
            "moderation-error-action",
        )])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_report_names_an_agreement_or_says_something() {
        let agreements = rules::numbered("Be kind\nNo ads");
        let report = report_command(
            &form(&[("agreement_2", "on"), ("note", " spam ")]),
            &agreements,
        )
        .unwrap();
        assert_eq!((report.agreements, report.note.as_str()), (vec![2], "spam"));
        assert!(report_command(&form(&[("note", "  ")]), &agreements).is_err());
        assert!(report_command(&form(&[("agreement_9", "on")]), &agreements).is_err());
    }

    #[test]
    fn an_action_needs_a_known_kind_a_reason_and_days_when_it_lasts() {
        let agreements = rules::numbered("Be kind");
        let day = crate::services::DAY_MS;
        let suspend = act_command(
            &form(&[
                ("kind", "suspend"),
                ("reason", "threats"),
                ("days", "3"),
                ("agreement_1", "on"),
            ]),
            &agreements,
            0,
        )
        .unwrap();
        assert_eq!(suspend.ends_at_ms, Some(3 * day));
        let Err(ActionError::Fields(problems)) = act_command(
            &form(&[("kind", "suspend"), ("reason", "")]),
            &agreements,
            0,
        ) else {
            panic!("refused")
        };
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["reason", "days"]);
        assert!(act_command(&form(&[("kind", "ban"), ("reason", "x")]), &agreements, 0).is_err());
    }
}
