//! The pay and request forms (and the API's payment body), parsed once into a command: the
//! other member's username, an amount in minor units, and a memo.

#![allow(clippy::result_large_err)]

use commons_ledger::entry::MEMO_BYTES_MAX;
use commons_ledger::store::CircleInfo;

use crate::names::Username;
use crate::services::{all_fields, member_named, parse_amount, ActionError, FieldProblem};

/// Which entries the ledger page shows, by what they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LedgerKind {
    #[default]
    All,
    /// Payments (kind 5, reversals included).
    Payments,
    /// Payment requests, and their declining or withdrawing (kinds 6 and 7).
    Requests,
    /// What passed proposals enacted (kind 11).
    Decisions,
    /// Accounts and stewards: the circle's start, accounts opened, limits, keys, closings,
    /// stewards added or removed (kinds 1 to 4, 8 to 10).
    Accounts,
}

impl LedgerKind {
    pub const ALL: [LedgerKind; 5] = [
        LedgerKind::All,
        LedgerKind::Payments,
        LedgerKind::Requests,
        LedgerKind::Decisions,
        LedgerKind::Accounts,
    ];

    /// The kind a link or form names (`payments`...); an empty value is every kind.
    pub fn parse(text: &str) -> Option<LedgerKind> {
        match text.trim() {
            "" => Some(LedgerKind::All),
            text => LedgerKind::ALL
                .into_iter()
                .find(|kind| kind.as_str() == text),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::All => "all",
            LedgerKind::Payments => "payments",
            LedgerKind::Requests => "requests",
            LedgerKind::Decisions => "decisions",
            LedgerKind::Accounts => "accounts",
        }
    }

    /// The entry kinds shown (none: every kind).
    pub fn entry_kinds(self) -> &'static [u8] {
        match self {
            LedgerKind::All => &[],
            LedgerKind::Payments => &[5],
            LedgerKind::Requests => &[6, 7],
            LedgerKind::Decisions => &[11],
            LedgerKind::Accounts => &[1, 2, 3, 4, 8, 9, 10],
        }
    }

    /// Whether an entry of this kind is shown.
    pub fn shows(self, kind: u8) -> bool {
        self == LedgerKind::All || self.entry_kinds().contains(&kind)
    }
}

/// A memo as the ledger takes it: trimmed, at most [`MEMO_BYTES_MAX`] bytes, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoText(String);

impl MemoText {
    /// A memo from what the member typed; `None` when they typed nothing.
    pub fn parse(text: &str) -> Result<Option<MemoText>, FieldProblem> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.len() > MEMO_BYTES_MAX {
            return Err(FieldProblem::new("memo", "error-memo-long"));
        }
        Ok(Some(MemoText(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A payment, or a request to be paid, as the member asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferCommand {
    /// The other member: who is paid, or who is asked to pay.
    pub member: Username,
    /// Always positive, in the circle's minor units.
    pub amount_minor: i64,
    pub memo: Option<MemoText>,
}

impl TransferCommand {
    /// Parses the form's three fields, collecting every field's problem under the form's own
    /// field names (`member`, `amount`, `memo`).
    pub fn parse(
        circle: &CircleInfo,
        member: &str,
        amount: &str,
        memo: &str,
    ) -> Result<TransferCommand, ActionError> {
        let member = member_named(member);
        let amount_minor = if amount.trim().is_empty() {
            Err(FieldProblem::new("amount", "error-amount-required"))
        } else {
            parse_amount(circle, amount).map_err(|error| match error {
                ActionError::Invalid { field, message_id } => FieldProblem::new(field, message_id),
                _ => FieldProblem::new("amount", "error-amount-invalid"),
            })
        };
        let (member, amount_minor, memo) = all_fields(member, amount_minor, MemoText::parse(memo))?;
        Ok(TransferCommand {
            member,
            amount_minor,
            memo,
        })
    }
}

/// Whom a typed payee (or payer) names, among the members whose names come close to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    /// This member's username.
    Member(String),
    /// Several members are called exactly so: the payer must choose one.
    Several,
    /// Nobody by that username or full name.
    Nobody,
}

/// Reads what was typed in the one "who" field: a username (an `@` before it allowed), or a
/// member's full name as shown, in any case. Never a part of a name: money goes only to whom
/// the payer named exactly. `candidates` are (username, display name).
pub fn named_member(typed: &str, candidates: &[(String, String)]) -> Named {
    let typed = typed.trim().trim_start_matches('@');
    let folded = |text: &str| {
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let wanted = folded(typed);
    if let Some((username, _)) = candidates.iter().find(|(username, _)| *username == wanted) {
        return Named::Member(username.clone());
    }
    let mut exact = candidates.iter().filter(|(_, name)| folded(name) == wanted);
    match (exact.next(), exact.next()) {
        (Some((username, _)), None) => Named::Member(username.clone()),
        (Some(_), Some(_)) => Named::Several,
        (None, _) => Named::Nobody,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn circle() -> CircleInfo {
        crate::services::circle_for_tests()
    }

    fn problems(result: Result<TransferCommand, ActionError>) -> Vec<(&'static str, &'static str)> {
        match result {
            Err(ActionError::Fields(problems)) => problems
                .into_iter()
                .map(|problem| (problem.field, problem.message_id))
                .collect(),
            other => panic!("expected field problems, got {other:?}"),
        }
    }

    #[test]
    fn a_payee_is_named_by_username_or_by_their_whole_name_never_by_a_part() {
        let members = vec![
            ("jo".to_owned(), "Jo Mensah".to_owned()),
            ("jo2".to_owned(), "Jo  Smith".to_owned()),
            ("sam".to_owned(), "Sam Lee".to_owned()),
            ("sam2".to_owned(), "Sam Lee".to_owned()),
        ];
        assert_eq!(named_member(" @jo ", &members), Named::Member("jo".into()));
        assert_eq!(
            named_member("jo mensah", &members),
            Named::Member("jo".into())
        );
        assert_eq!(
            named_member("Jo Smith", &members),
            Named::Member("jo2".into())
        );
        assert_eq!(
            named_member("Mensah", &members),
            Named::Nobody,
            "a part of a name pays nobody"
        );
        assert_eq!(named_member("Sam Lee", &members), Named::Several);
    }

    #[test]
    fn a_payment_form_parses_once_into_minor_units_and_a_trimmed_memo() {
        let command =
            TransferCommand::parse(&circle(), " Ana ", "1.5", "  bread ").expect("parses");
        assert_eq!(command.member.as_str(), "ana");
        assert_eq!(command.amount_minor, 150);
        assert_eq!(command.memo.as_ref().map(MemoText::as_str), Some("bread"));
        let comma = TransferCommand::parse(&circle(), "ana", "1,5", "").expect("a decimal comma");
        assert_eq!(comma.amount_minor, 150, "Spanish readers write 1,5");
    }

    #[test]
    fn every_wrong_field_is_named_by_the_forms_own_field_name() {
        let long_memo = "x".repeat(MEMO_BYTES_MAX + 1);
        assert_eq!(
            problems(TransferCommand::parse(&circle(), "", "", &long_memo)),
            vec![
                ("member", "error-member-required"),
                ("amount", "error-amount-required"),
                ("memo", "error-memo-long"),
            ]
        );
        assert_eq!(
            problems(TransferCommand::parse(&circle(), "no such name!", "-2", "")),
            vec![
                ("member", "error-member-unknown"),
                ("amount", "error-amount-not-positive"),
            ]
        );
        assert_eq!(
            problems(TransferCommand::parse(&circle(), "ana", "1.555", "")),
            vec![("amount", "error-amount-decimals")]
        );
    }
}

#[cfg(test)]
mod ledger_kind_tests {
    use super::LedgerKind;

    #[test]
    fn every_entry_kind_is_in_exactly_one_filter() {
        for kind in 1..=11u8 {
            let filters: Vec<LedgerKind> = LedgerKind::ALL[1..]
                .iter()
                .copied()
                .filter(|filter| filter.shows(kind))
                .collect();
            assert_eq!(filters.len(), 1, "kind {kind}: {filters:?}");
            assert!(LedgerKind::All.shows(kind));
        }
        for filter in LedgerKind::ALL {
            assert_eq!(LedgerKind::parse(filter.as_str()), Some(filter));
        }
        assert_eq!(LedgerKind::parse(""), Some(LedgerKind::All));
        assert_eq!(LedgerKind::parse("<script>"), None);
    }
}
