//! The rules of moderation, without IO: the agreements as numbered points, who may moderate,
//! which actions fit which case, how long they last, when an appeal may be made, a case's
//! place in the queue, and the monthly transparency summary.

use std::collections::BTreeMap;

use commons_governance::moderation::{ActionKind, TargetKind, REASON_CHARS_MAX};

use crate::db::{CaseTimes, HiddenState};
use crate::services::{FieldProblem, DAY_MS};

/// Longest limit or suspension, in days.
pub const DURATION_DAYS_MAX: u32 = 365;
/// How long after an action its member may appeal it, in days.
pub const APPEAL_DAYS: i64 = 20;
/// Longest note a reporter or an appellant may write, in characters.
pub const NOTE_CHARS_MAX: usize = 2_000;

/// One of the circle's agreements, numbered as members cite it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub number: u16,
    pub text: String,
}

/// The circle's agreements as numbered points: one per line stewards wrote (a leading
/// "1." or "-" is the writer's own numbering and is dropped), blank lines skipped.
pub fn numbered(agreements: &str) -> Vec<Agreement> {
    agreements
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let without_number = line.trim_start_matches(|c: char| c.is_ascii_digit());
            let stripped = without_number
                .strip_prefix(['.', ')'])
                .or_else(|| line.strip_prefix(['-', '*', '•']))
                .unwrap_or(line);
            stripped.trim().to_owned()
        })
        .take(u16::MAX as usize)
        .enumerate()
        .map(|(index, text)| Agreement {
            number: index as u16 + 1,
            text,
        })
        .collect()
}

/// The agreements a form cites, by number: each must be one of the circle's.
pub fn parse_cited(values: &[String], agreements: &[Agreement]) -> Result<Vec<u16>, FieldProblem> {
    let mut cited = Vec::new();
    for value in values {
        let number: u16 = value
            .trim()
            .parse()
            .map_err(|_| FieldProblem::new("agreements", "moderation-error-agreement"))?;
        if !agreements.iter().any(|a| a.number == number) {
            return Err(FieldProblem::new(
                "agreements",
                "moderation-error-agreement",
            ));
        }
        if !cited.contains(&number) {
            cited.push(number);
        }
    }
    if cited.len() > commons_governance::moderation::AGREEMENTS_CITED_MAX {
        return Err(FieldProblem::new(
            "agreements",
            "moderation-error-agreement",
        ));
    }
    cited.sort_unstable();
    Ok(cited)
}

/// A reporter's, appellant's or moderator's words, bounded; `required` refuses empty text.
pub fn parse_text(
    text: &str,
    field: &'static str,
    required: bool,
    chars_max: usize,
) -> Result<String, FieldProblem> {
    let text = text.trim();
    if required && text.is_empty() {
        return Err(FieldProblem::new(field, "moderation-error-text-missing"));
    }
    if text.chars().count() > chars_max {
        return Err(FieldProblem::new(field, "moderation-error-text-long"));
    }
    Ok(text.to_owned())
}

/// A moderator's reason: required, bounded like the log's.
pub fn parse_reason(text: &str) -> Result<String, FieldProblem> {
    parse_text(text, "reason", true, REASON_CHARS_MAX)
}

/// Whether a text holds a link (a scheme, or a bare `www.` address): a new member's post with
/// one waits for a moderator, the pattern of spam.
pub fn has_link(text: &str) -> bool {
    let lower = text.to_lowercase();
    ["http://", "https://", "www.", "ftp://", "mailto:"]
        .iter()
        .any(|marker| lower.contains(marker))
}

/// Who may moderate a circle: its stewards, and the members a proposal appointed.
pub fn may_moderate(is_steward: bool, appointed: bool) -> bool {
    is_steward || appointed
}

/// The people a case concerns: a moderator who is one of them, or who blocked (or was blocked
/// by) one of them, may not take or decide it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parties {
    /// The member the case is about.
    pub subject: Option<i64>,
    /// Everyone who reported it.
    pub reporters: Vec<i64>,
    /// On an appeal: the moderator whose action is appealed.
    pub appealed_moderator: Option<i64>,
}

impl Parties {
    /// Everyone the case concerns.
    pub fn people(&self) -> impl Iterator<Item = i64> + '_ {
        self.subject
            .into_iter()
            .chain(self.reporters.iter().copied())
            .chain(self.appealed_moderator)
    }

    /// Whether `moderator` is a party: one of the people the case concerns, or blocked either
    /// way with one of them (`blocked_with`).
    pub fn includes(&self, moderator: i64, blocked_with: impl Fn(i64) -> bool) -> bool {
        self.people()
            .any(|person| person == moderator || blocked_with(person))
    }
}

/// Whether an action needs a second moderator's agreement before it is taken: limiting or
/// suspending someone who moderates (a steward or an appointed moderator) takes two, unless a
/// steward acts. One moderator alone can never silence the circle's care or its stewards.
pub fn needs_second(kind: ActionKind, subject_moderates: bool, actor_is_steward: bool) -> bool {
    matches!(kind, ActionKind::Limit | ActionKind::Suspend)
        && subject_moderates
        && !actor_is_steward
}

/// Where a case came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Members reported it.
    Report,
    /// A post held for review (a limited member's, or a new member's with links).
    Held,
    /// The member an action was about asked for it to be looked at again.
    Appeal,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Report => "report",
            Origin::Held => "held",
            Origin::Appeal => "appeal",
        }
    }

    pub fn parse(text: &str) -> Option<Origin> {
        match text {
            "report" => Some(Origin::Report),
            "held" => Some(Origin::Held),
            "appeal" => Some(Origin::Appeal),
            _ => None,
        }
    }
}

/// The actions a moderator may take on a case: what fits its origin, its item (only items
/// can be hidden), whether it is hidden now, and whether it is about a member. On an appeal:
/// keep the action (uphold) or undo it (restore a hidden item, lift anything else).
pub fn actions_for(
    origin: Origin,
    target: TargetKind,
    hidden: Option<HiddenState>,
    has_subject: bool,
    appealed: Option<ActionKind>,
) -> Vec<ActionKind> {
    if origin == Origin::Appeal {
        let undo = match appealed {
            Some(ActionKind::Hide) => ActionKind::Restore,
            _ => ActionKind::Lift,
        };
        return vec![ActionKind::Uphold, undo];
    }
    let mut actions = Vec::new();
    if hidden.is_some() {
        actions.push(ActionKind::Restore);
    }
    if target.can_hide() && hidden != Some(HiddenState::Hidden) {
        actions.push(ActionKind::Hide);
    }
    if has_subject {
        actions.extend([ActionKind::Warn, ActionKind::Limit, ActionKind::Suspend]);
    }
    if origin == Origin::Report {
        actions.push(ActionKind::Dismiss);
    }
    actions
}

/// When a limit or suspension ends: it must have a number of days (1 to
/// [`DURATION_DAYS_MAX`]); other actions have no end.
pub fn ends_at(kind: ActionKind, days: &str, now_ms: i64) -> Result<Option<i64>, FieldProblem> {
    if !kind.has_end() {
        return Ok(None);
    }
    let days: u32 = days
        .trim()
        .parse()
        .map_err(|_| FieldProblem::new("days", "moderation-error-days"))?;
    if days == 0 || days > DURATION_DAYS_MAX {
        return Err(FieldProblem::new("days", "moderation-error-days"));
    }
    Ok(Some(now_ms + i64::from(days) * DAY_MS))
}

/// Whether the member an action was about may still appeal it: sanctions only, once, within
/// [`APPEAL_DAYS`].
pub fn may_appeal(kind: ActionKind, recorded_at_ms: i64, now_ms: i64, already: bool) -> bool {
    kind.is_sanction() && !already && now_ms - recorded_at_ms <= APPEAL_DAYS * DAY_MS
}

/// What the queue knows of a case when ordering it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts {
    pub origin: Origin,
    pub reports: i64,
    /// The reporters' past reports on closed cases: how many led to an action, of how many.
    pub reporters_upheld: i64,
    pub reporters_total: i64,
    /// When the member the case is about joined the circle.
    pub subject_joined_at_ms: Option<i64>,
    pub opened_at_ms: i64,
}

/// A case's priority in the queue (higher first): more reporters, reporters whose past
/// reports were found right, newer accounts, appeals (someone waits on them), and time waited.
pub fn priority(facts: &CaseFacts, now_ms: i64) -> i64 {
    let reports = facts.reports.min(10) * 10;
    // Laplace's rule: a reporter with no history counts as half right.
    let accuracy = (facts.reporters_upheld + 1) as f64 / (facts.reporters_total + 2) as f64;
    let accuracy = (accuracy * 20.0).round() as i64;
    let age_days = facts
        .subject_joined_at_ms
        .map(|joined| (now_ms - joined) / DAY_MS);
    let newness = match age_days {
        Some(days) if days < 7 => 15,
        Some(days) if days < 30 => 5,
        _ => 0,
    };
    let origin = match facts.origin {
        Origin::Appeal => 25,
        Origin::Held => 8,
        Origin::Report => 0,
    };
    let waited_hours = ((now_ms - facts.opened_at_ms) / 3_600_000).max(0);
    reports + accuracy + newness + origin + (waited_hours / 6).min(20)
}

/// One month of the circle's moderation, in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthSummary {
    /// `2026-11`.
    pub month: String,
    pub reports: i64,
    pub cases: i64,
    pub actions: BTreeMap<ActionKind, i64>,
    pub appeals: i64,
    /// Appeals decided: the action kept, or undone.
    pub appeals_upheld: i64,
    pub appeals_undone: i64,
    /// The median time from a case opening to a moderator's first response.
    pub first_response_ms_median: Option<i64>,
}

/// An action as the summary counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionTimes {
    pub kind: ActionKind,
    pub recorded_at_ms: i64,
    /// Whether it decided an appeal.
    pub on_appeal: bool,
}

/// The month a time falls in, as `YYYY-MM` (UTC).
pub fn month_of(ms: i64) -> String {
    let (year, month, _) = crate::views::civil_from_days(ms.div_euclid(DAY_MS));
    format!("{year:04}-{month:02}")
}

/// The monthly transparency summary, newest month first, from the cases and the log.
pub fn monthly_summary(cases: &[CaseTimes], actions: &[ActionTimes]) -> Vec<MonthSummary> {
    let mut months: BTreeMap<String, (MonthSummary, Vec<i64>)> = BTreeMap::new();
    for case in cases {
        let (month, waits) = months.entry(month_of(case.opened_at_ms)).or_default();
        month.cases += 1;
        month.reports += case.reports;
        month.appeals += i64::from(case.is_appeal);
        if let Some(first) = case.first_response_at_ms {
            waits.push(first - case.opened_at_ms);
        }
    }
    for action in actions {
        let (month, _) = months.entry(month_of(action.recorded_at_ms)).or_default();
        *month.actions.entry(action.kind).or_default() += 1;
        if action.on_appeal {
            match action.kind {
                ActionKind::Uphold => month.appeals_upheld += 1,
                _ => month.appeals_undone += 1,
            }
        }
    }
    months
        .into_iter()
        .rev()
        .map(|(name, (mut month, mut waits))| {
            month.month = name;
            waits.sort_unstable();
            month.first_response_ms_median = waits.get(waits.len() / 2).copied();
            month
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moderator_who_reported_is_a_party_to_the_case() {
        let parties = Parties {
            subject: Some(1),
            reporters: vec![2, 3],
            appealed_moderator: None,
        };
        for party in [1, 2, 3] {
            assert!(parties.includes(party, |_| false), "{party}");
        }
        assert!(!parties.includes(4, |_| false));
    }

    #[test]
    fn a_moderator_blocked_with_someone_in_the_case_is_a_party() {
        let parties = Parties {
            subject: Some(1),
            reporters: vec![2],
            appealed_moderator: Some(5),
        };
        assert!(parties.includes(4, |person| person == 2));
        assert!(
            parties.includes(5, |_| false),
            "the moderator whose action is appealed"
        );
    }

    #[test]
    fn limiting_or_suspending_a_moderator_takes_two_unless_a_steward_acts() {
        for kind in [ActionKind::Limit, ActionKind::Suspend] {
            assert!(needs_second(kind, true, false), "{kind:?}");
            assert!(!needs_second(kind, true, true), "a steward: {kind:?}");
            assert!(!needs_second(kind, false, false), "a member: {kind:?}");
        }
        for kind in [ActionKind::Warn, ActionKind::Hide, ActionKind::Dismiss] {
            assert!(!needs_second(kind, true, false), "{kind:?}");
        }
    }

    #[test]
    fn agreements_are_numbered_by_line_without_the_writers_own_numbers() {
        let agreements = numbered("1. Be kind\n\n- Keep promises\n3) No ads\nPlain line");
        let texts: Vec<_> = agreements
            .iter()
            .map(|a| (a.number, a.text.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                (1, "Be kind"),
                (2, "Keep promises"),
                (3, "No ads"),
                (4, "Plain line")
            ]
        );
    }

    #[test]
    fn a_report_may_cite_only_the_circles_own_agreements() {
        let agreements = numbered("a\nb\nc");
        assert_eq!(
            parse_cited(&["3".into(), "1".into(), "3".into()], &agreements),
            Ok(vec![1, 3])
        );
        assert!(parse_cited(&["4".into()], &agreements).is_err());
        assert!(parse_cited(&["x".into()], &agreements).is_err());
        assert_eq!(parse_cited(&[], &agreements), Ok(vec![]));
    }

    #[test]
    fn a_post_with_a_web_address_has_a_link_and_plain_words_do_not() {
        assert!(has_link("see https://example.org"));
        assert!(has_link("WWW.EXAMPLE.ORG"));
        assert!(!has_link("I can fix bikes on Saturdays"));
    }

    #[test]
    fn only_stewards_and_appointed_members_moderate() {
        assert!(may_moderate(true, false));
        assert!(may_moderate(false, true));
        assert!(!may_moderate(false, false));
    }

    #[test]
    fn a_proposal_or_a_member_cannot_be_hidden_and_an_appeal_is_kept_or_undone() {
        let on_proposal = actions_for(Origin::Report, TargetKind::Proposal, None, true, None);
        assert!(!on_proposal.contains(&ActionKind::Hide));
        assert!(on_proposal.contains(&ActionKind::Suspend));
        let on_listing = actions_for(Origin::Report, TargetKind::Listing, None, true, None);
        assert!(on_listing.contains(&ActionKind::Hide));
        let hidden = actions_for(
            Origin::Report,
            TargetKind::Listing,
            Some(HiddenState::Hidden),
            true,
            None,
        );
        assert!(hidden.contains(&ActionKind::Restore) && !hidden.contains(&ActionKind::Hide));
        assert_eq!(
            actions_for(
                Origin::Appeal,
                TargetKind::Listing,
                None,
                true,
                Some(ActionKind::Hide)
            ),
            [ActionKind::Uphold, ActionKind::Restore]
        );
        assert_eq!(
            actions_for(
                Origin::Appeal,
                TargetKind::Member,
                None,
                true,
                Some(ActionKind::Suspend)
            ),
            [ActionKind::Uphold, ActionKind::Lift]
        );
        let held = actions_for(
            Origin::Held,
            TargetKind::Comment,
            Some(HiddenState::Held),
            true,
            None,
        );
        assert!(held.contains(&ActionKind::Restore) && !held.contains(&ActionKind::Dismiss));
    }

    #[test]
    fn limits_and_suspensions_need_one_day_to_a_year_and_nothing_else_has_an_end() {
        assert_eq!(ends_at(ActionKind::Suspend, "7", 0), Ok(Some(7 * DAY_MS)));
        assert!(ends_at(ActionKind::Suspend, "0", 0).is_err());
        assert!(ends_at(ActionKind::Limit, "366", 0).is_err());
        assert!(ends_at(ActionKind::Limit, "", 0).is_err());
        assert_eq!(ends_at(ActionKind::Hide, "", 0), Ok(None));
    }

    #[test]
    fn a_sanction_may_be_appealed_once_within_twenty_days() {
        assert!(may_appeal(ActionKind::Hide, 0, APPEAL_DAYS * DAY_MS, false));
        assert!(!may_appeal(
            ActionKind::Hide,
            0,
            APPEAL_DAYS * DAY_MS + 1,
            false
        ));
        assert!(!may_appeal(ActionKind::Hide, 0, 0, true));
        assert!(!may_appeal(ActionKind::Dismiss, 0, 0, false));
    }

    #[test]
    fn more_and_more_reliable_reporters_newer_accounts_and_appeals_come_first() {
        let base = CaseFacts {
            origin: Origin::Report,
            reports: 1,
            reporters_upheld: 0,
            reporters_total: 0,
            subject_joined_at_ms: Some(0),
            opened_at_ms: 100 * DAY_MS,
        };
        let now = 100 * DAY_MS;
        let p = |facts: CaseFacts| priority(&facts, now);
        assert!(p(CaseFacts { reports: 3, ..base }) > p(base));
        assert!(
            p(CaseFacts {
                reporters_upheld: 9,
                reporters_total: 10,
                ..base
            }) > p(CaseFacts {
                reporters_upheld: 0,
                reporters_total: 10,
                ..base
            })
        );
        assert!(
            p(CaseFacts {
                subject_joined_at_ms: Some(99 * DAY_MS),
                ..base
            }) > p(base)
        );
        assert!(
            p(CaseFacts {
                origin: Origin::Appeal,
                ..base
            }) > p(base)
        );
        assert!(
            p(CaseFacts {
                opened_at_ms: 98 * DAY_MS,
                ..base
            }) > p(base)
        );
    }

    #[test]
    fn the_summary_counts_each_month_apart_with_the_median_first_response() {
        let day = DAY_MS;
        let nov = 20_407 * day; // 2025-11-15
        let dec = nov + 20 * day;
        let cases = [
            CaseTimes {
                opened_at_ms: nov,
                first_response_at_ms: Some(nov + 10),
                is_appeal: false,
                reports: 2,
            },
            CaseTimes {
                opened_at_ms: nov,
                first_response_at_ms: Some(nov + 30),
                is_appeal: false,
                reports: 1,
            },
            CaseTimes {
                opened_at_ms: nov,
                first_response_at_ms: Some(nov + 20),
                is_appeal: true,
                reports: 0,
            },
            CaseTimes {
                opened_at_ms: dec,
                first_response_at_ms: None,
                is_appeal: false,
                reports: 1,
            },
        ];
        let actions = [
            ActionTimes {
                kind: ActionKind::Hide,
                recorded_at_ms: nov,
                on_appeal: false,
            },
            ActionTimes {
                kind: ActionKind::Restore,
                recorded_at_ms: nov,
                on_appeal: true,
            },
        ];
        let summary = monthly_summary(&cases, &actions);
        assert_eq!(summary.len(), 2);
        assert_eq!(summary[0].month, "2025-12");
        let november = &summary[1];
        assert_eq!(november.month, "2025-11");
        assert_eq!(
            (november.cases, november.reports, november.appeals),
            (3, 3, 1)
        );
        assert_eq!(november.appeals_undone, 1);
        assert_eq!(november.actions.get(&ActionKind::Hide), Some(&1));
        assert_eq!(november.first_response_ms_median, Some(20));
        assert_eq!(summary[0].first_response_ms_median, None);
    }
}
