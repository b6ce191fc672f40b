//! The rules of private conversations, with no IO: whom one may write to, who may start one,
//! how many a day, what a message may hold, and which messages a report may show.

use crate::db::conversations::CONVERSATION_PEOPLE_MAX;
use crate::names::Username;

/// Longest message, in characters.
pub const MESSAGE_CHARS_MAX: usize = 4_000;
/// Most conversations one member starts in a circle in a day.
pub const CONVERSATIONS_STARTED_PER_DAY_MAX: i64 = 20;
/// Most messages one report shows the moderators.
pub const REPORTED_MESSAGES_MAX: usize = 20;

/// A conversation to start, parsed: whom to write to (not the writer), and the first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartCommand {
    pub to: Vec<Username>,
    pub body: MessageBody,
}

/// A message's words: trimmed, not empty, at most [`MESSAGE_CHARS_MAX`] characters, without
/// control or bidirectional characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(text: &str) -> Result<MessageBody, &'static str> {
        let text = crate::names::bounded_text(text, MESSAGE_CHARS_MAX)
            .map_err(|_| "conversation-error-message-long")?;
        let text = text.trim();
        if text.is_empty() {
            return Err("conversation-error-message-empty");
        }
        Ok(MessageBody(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses whom to write to: usernames separated by commas or spaces (an `@` before each is
/// allowed), each once, the writer left out, at least one and at most
/// [`CONVERSATION_PEOPLE_MAX`] − 1.
pub fn parse_recipients(text: &str, writer: &str) -> Result<Vec<Username>, &'static str> {
    let mut people: Vec<Username> = Vec::new();
    for word in text.split([',', ' ', ';', '\n']).map(str::trim) {
        let word = word.trim_start_matches('@');
        if word.is_empty() {
            continue;
        }
        // Compared once parsed (lower case), so no spelling of the writer's own name counts.
        let name: Username = word.parse().map_err(|_| "conversation-error-to-unknown")?;
        if name.as_str() == writer.to_lowercase() {
            continue;
        }
        if !people.contains(&name) {
            people.push(name);
        }
        if people.len() > CONVERSATION_PEOPLE_MAX - 1 {
            return Err("conversation-error-to-many");
        }
    }
    if people.is_empty() {
        return Err("conversation-error-to-empty");
    }
    Ok(people)
}

/// Why a member may not start a conversation now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartRefusal {
    /// New members who asked to join answer conversations others start with them, and start
    /// their own after their first week (as Discourse does for new users).
    Sandbox,
    /// A moderator limited the member: they answer, but start none until the limit ends.
    Limited,
    /// The day's allowance is used.
    TooMany,
}

impl StartRefusal {
    pub fn message_id(self) -> &'static str {
        match self {
            StartRefusal::Sandbox => "conversation-error-sandbox",
            StartRefusal::Limited => "conversation-error-limited",
            StartRefusal::TooMany => "conversation-error-too-many",
        }
    }
}

/// Whether a member may start a conversation: not in the sandbox, not limited, and fewer than
/// [`CONVERSATIONS_STARTED_PER_DAY_MAX`] started in the last day.
pub fn may_start(in_sandbox: bool, limited: bool, started_today: i64) -> Result<(), StartRefusal> {
    if in_sandbox {
        return Err(StartRefusal::Sandbox);
    }
    if limited {
        return Err(StartRefusal::Limited);
    }
    if started_today >= CONVERSATIONS_STARTED_PER_DAY_MAX {
        return Err(StartRefusal::TooMany);
    }
    Ok(())
}

/// Which messages a report shows the moderators, checked against the messages the reporter
/// can read: each chosen one must be among them, at least one written by someone else, and
/// all of those by one person (the person the report is about). Answers that person and the
/// chosen messages' ids, oldest first. `readable` holds (message id, author) pairs: what the
/// reporter may show (others' messages only: a case never holds the reporter's own words).
pub fn reported_messages(
    chosen: &[i64],
    readable: &[(i64, i64)],
    reporter: i64,
) -> Result<(i64, Vec<i64>), &'static str> {
    if chosen.len() > REPORTED_MESSAGES_MAX {
        return Err("conversation-error-report-many");
    }
    let mut ids = Vec::new();
    let mut subject = None;
    for (id, author) in readable {
        if !chosen.contains(id) {
            continue;
        }
        ids.push(*id);
        if *author == reporter {
            continue;
        }
        match subject {
            None => subject = Some(*author),
            Some(one) if one == *author => {}
            Some(_) => return Err("conversation-error-report-one-person"),
        }
    }
    if ids.len()
        != chosen
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    {
        return Err("conversation-error-report-unknown");
    }
    let subject = subject.ok_or("conversation-error-report-none")?;
    Ok((subject, ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(people: &[Username]) -> Vec<&str> {
        people.iter().map(Username::as_str).collect()
    }

    #[test]
    fn recipients_are_read_from_commas_or_spaces_each_once_and_never_the_writer() {
        let people = parse_recipients("@Chen, dolores  chen ben", "ben").expect("parsed");
        assert_eq!(names(&people), ["chen", "dolores"]);
    }

    #[test]
    fn no_spelling_of_the_writers_own_name_counts_as_someone_else() {
        // U+212A KELVIN SIGN lowercases to "k".
        assert_eq!(
            parse_recipients("\u{212A}en, KEN", "ken"),
            Err("conversation-error-to-empty")
        );
    }

    #[test]
    fn a_conversation_needs_someone_else() {
        assert_eq!(
            parse_recipients(" , ben ", "ben"),
            Err("conversation-error-to-empty")
        );
    }

    #[test]
    fn a_conversation_holds_at_most_eight_people_with_its_starter() {
        let seven = "pat1 pat2 pat3 pat4 pat5 pat6 pat7";
        assert_eq!(parse_recipients(seven, "ben").expect("seven").len(), 7);
        assert_eq!(
            parse_recipients(&format!("{seven} pat8"), "ben"),
            Err("conversation-error-to-many")
        );
    }

    #[test]
    fn a_name_that_cannot_be_a_username_is_refused() {
        assert_eq!(
            parse_recipients("chen, <script>", "ben"),
            Err("conversation-error-to-unknown")
        );
    }

    #[test]
    fn a_message_is_trimmed_and_neither_empty_nor_too_long() {
        assert_eq!(MessageBody::parse("  hi  ").expect("ok").as_str(), "hi");
        assert_eq!(
            MessageBody::parse(" \n "),
            Err("conversation-error-message-empty")
        );
        let long = "a".repeat(MESSAGE_CHARS_MAX + 1);
        assert_eq!(
            MessageBody::parse(&long),
            Err("conversation-error-message-long")
        );
    }

    #[test]
    fn new_and_limited_members_start_no_conversation_and_nobody_starts_too_many() {
        assert_eq!(may_start(true, false, 0), Err(StartRefusal::Sandbox));
        assert_eq!(may_start(false, true, 0), Err(StartRefusal::Limited));
        assert_eq!(
            may_start(false, false, CONVERSATIONS_STARTED_PER_DAY_MAX),
            Err(StartRefusal::TooMany)
        );
        assert_eq!(
            may_start(false, false, CONVERSATIONS_STARTED_PER_DAY_MAX - 1),
            Ok(())
        );
    }

    #[test]
    fn a_report_shows_only_chosen_messages_the_reporter_can_read_about_one_person() {
        let readable = [(1, 10), (2, 20), (3, 10), (4, 30)];
        assert_eq!(
            reported_messages(&[3, 1, 2], &readable, 20),
            Ok((10, vec![1, 2, 3]))
        );
        assert_eq!(
            reported_messages(&[1, 4], &readable, 20),
            Err("conversation-error-report-one-person")
        );
        assert_eq!(
            reported_messages(&[2], &readable, 20),
            Err("conversation-error-report-none"),
            "one's own messages alone are about nobody"
        );
        assert_eq!(
            reported_messages(&[1, 99], &readable, 20),
            Err("conversation-error-report-unknown"),
            "a message the reporter cannot read is never copied into a case"
        );
        assert_eq!(
            reported_messages(&[], &readable, 20),
            Err("conversation-error-report-none")
        );
    }
}
