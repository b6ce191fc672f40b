//! The rules of a newcomer's first days, without IO: the first steps and when the welcome
//! leaves the home, and an invitation link's uses and lifetime parsed from its form.

use crate::services::FieldProblem;

/// The home greets a member with their first steps for this many days after they join.
pub const WELCOME_DAYS: i64 = 30;
/// The most people one invitation link can let in.
pub const INVITATION_USES_MAX: i64 = 100;
/// How long a link may stay open, in days (the form's choices; the first is the default).
pub const INVITATION_DAYS: [i64; 4] = [14, 1, 7, 30];

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A first step a newcomer takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Listing their skills (and, if they like, a photo).
    Profile,
    /// Offering something.
    Offer,
    /// Saying hello in the circle's "Introductions" thread.
    Introduce,
    /// Reading the circle's news.
    News,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Profile, Step::Offer, Step::Introduce, Step::News];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Profile => "profile",
            Step::Offer => "offer",
            Step::Introduce => "introduce",
            Step::News => "news",
        }
    }
}

/// Which first steps a member has taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FirstSteps {
    pub profile: bool,
    pub offer: bool,
    pub introduced: bool,
    pub news: bool,
}

impl FirstSteps {
    pub fn done(&self, step: Step) -> bool {
        match step {
            Step::Profile => self.profile,
            Step::Offer => self.offer,
            Step::Introduce => self.introduced,
            Step::News => self.news,
        }
    }

    pub fn count_done(&self) -> usize {
        Step::ALL.iter().filter(|step| self.done(**step)).count()
    }

    pub fn all_done(&self) -> bool {
        self.count_done() == Step::ALL.len()
    }
}

/// Whether the home still greets a member with their first steps: in their first
/// [`WELCOME_DAYS`], until every step is taken.
pub fn show_welcome(joined_ms: i64, now_ms: i64, steps: &FirstSteps) -> bool {
    now_ms - joined_ms < WELCOME_DAYS * DAY_MS && !steps.all_done()
}

/// An invitation link to make, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteCommand {
    pub note: String,
    /// How many people the link lets in (one: a steward's link opens the account at once;
    /// more: each asks to join and a steward admits them).
    pub uses_max: i64,
    pub days: i64,
}

impl InviteCommand {
    /// The invitation form: a note (bounded), how many people (1 to [`INVITATION_USES_MAX`],
    /// empty meaning one) and how many days (one of [`INVITATION_DAYS`], empty meaning the first).
    pub fn parse(note: &str, uses: &str, days: &str) -> Result<InviteCommand, Vec<FieldProblem>> {
        let note = crate::names::bounded_text(note.trim(), crate::names::NOTE_CHARS_MAX)
            .map_err(|_| FieldProblem::new("note", "error-text-too-long"));
        let uses_max = match uses.trim() {
            "" => Ok(1),
            text => text
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=INVITATION_USES_MAX).contains(n))
                .ok_or_else(|| FieldProblem::new("uses", "invite-error-uses")),
        };
        let days = match days.trim() {
            "" => Ok(INVITATION_DAYS[0]),
            text => text
                .parse::<i64>()
                .ok()
                .filter(|d| INVITATION_DAYS.contains(d))
                .ok_or_else(|| FieldProblem::new("days", "invite-error-days")),
        };
        match (note, uses_max, days) {
            (Ok(note), Ok(uses_max), Ok(days)) => Ok(InviteCommand {
                note,
                uses_max,
                days,
            }),
            (note, uses, days) => Err([note.err(), uses.err(), days.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }

    /// When a link made at `now_ms` stops working.
    pub fn expires_at_ms(&self, now_ms: i64) -> i64 {
        now_ms + self.days * DAY_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_welcome_stays_until_every_step_is_taken_or_a_month_passes() {
        let some = FirstSteps {
            profile: true,
            news: true,
            ..FirstSteps::default()
        };
        assert_eq!(some.count_done(), 2);
        assert!(show_welcome(0, DAY_MS, &some));
        assert!(!show_welcome(0, WELCOME_DAYS * DAY_MS, &some), "a month on");
        let all = FirstSteps {
            profile: true,
            offer: true,
            introduced: true,
            news: true,
        };
        assert!(all.all_done() && !show_welcome(0, DAY_MS, &all));
    }

    #[test]
    fn a_link_lets_in_one_to_a_hundred_people_for_a_chosen_number_of_days() {
        let link = InviteCommand::parse(" For the allotment group ", "25", "7").expect("valid");
        assert_eq!((link.uses_max, link.days), (25, 7));
        assert_eq!(link.expires_at_ms(0), 7 * DAY_MS);
        let default = InviteCommand::parse("", "", "").expect("valid");
        assert_eq!((default.uses_max, default.days), (1, 14));
        let fields: Vec<&str> = InviteCommand::parse("", "0", "3")
            .unwrap_err()
            .iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["uses", "days"]);
        assert!(InviteCommand::parse("", "101", "").is_err());
        assert!(InviteCommand::parse("", "two", "").is_err());
    }
}
