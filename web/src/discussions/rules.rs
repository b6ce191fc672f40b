//! The rules of discussions, without IO: who may change, pin and turn a thread into a
//! proposal, what is new to a reader, and the forms parsed into commands (every wrong field at
//! once).

use crate::names::{required_text, required_title};
use crate::services::FieldProblem;

/// Longest title, in characters.
pub const TITLE_CHARS_MAX: usize = 140;
/// Longest opening post, in characters (Markdown).
pub const BODY_CHARS_MAX: usize = 20_000;
/// Longest reply, in characters (Markdown).
pub const REPLY_CHARS_MAX: usize = 8_000;
/// Longest category name, in characters.
pub const CATEGORY_NAME_CHARS_MAX: usize = 60;
/// Longest category description, in characters.
pub const CATEGORY_DESCRIPTION_CHARS_MAX: usize = 240;

/// Who may change or withdraw a thread: its author, or a steward.
pub fn may_change(is_steward: bool, is_author: bool) -> bool {
    is_steward || is_author
}

/// Who may pin a thread to the top: stewards.
pub fn may_pin(is_steward: bool) -> bool {
    is_steward
}

/// Who may turn a thread into a proposal: its author or a steward, once.
pub fn may_propose(is_steward: bool, is_author: bool, already: Option<i64>) -> bool {
    (is_steward || is_author) && already.is_none()
}

/// What is new in a thread for a reader who read up to `read` (`None`: never opened it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// The reader never opened it.
    Unopened,
    /// Replies came since the reader last read it.
    NewReplies,
    /// The reader has seen all of it.
    Seen,
}

pub fn freshness(last_reply_id: i64, read: Option<i64>) -> Freshness {
    match read {
        None => Freshness::Unopened,
        Some(read) if read < last_reply_id => Freshness::NewReplies,
        Some(_) => Freshness::Seen,
    }
}

/// The text a proposal starts from when a thread becomes one: the opening post, then where
/// the discussion was (a path on this node).
pub fn proposal_body(body: &str, thread_path: &str, heading: &str) -> String {
    let body = body.trim();
    format!("{body}\n\n{heading} {thread_path}")
}

/// A new thread, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadCommand {
    pub category: i64,
    pub title: String,
    pub body: String,
}

impl ThreadCommand {
    /// The thread form: a category (its id), a title and a text, both required and bounded.
    pub fn parse(
        category: &str,
        title: &str,
        body: &str,
    ) -> Result<ThreadCommand, Vec<FieldProblem>> {
        let category = category
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| FieldProblem::new("category", "discussion-error-category"));
        let title = required_title(
            title,
            "title",
            TITLE_CHARS_MAX,
            "discussion-error-title",
            "discussion-error-title-long",
        );
        let body = required_text(
            body,
            "body",
            BODY_CHARS_MAX,
            "discussion-error-body",
            "discussion-error-body-long",
        );
        match (category, title, body) {
            (Ok(category), Ok(title), Ok(body)) => Ok(ThreadCommand {
                category,
                title,
                body,
            }),
            (category, title, body) => Err([category.err(), title.err(), body.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }
}

/// A reply, parsed.
pub fn parse_reply(text: &str) -> Result<String, FieldProblem> {
    required_text(
        text,
        "reply",
        REPLY_CHARS_MAX,
        "discussion-error-reply",
        "discussion-error-reply-long",
    )
}

/// A category, parsed: a name (required) and a short description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryCommand {
    pub name: String,
    pub description: String,
}

impl CategoryCommand {
    pub fn parse(name: &str, description: &str) -> Result<CategoryCommand, Vec<FieldProblem>> {
        let name = required_text(
            name,
            "name",
            CATEGORY_NAME_CHARS_MAX,
            "discussion-error-category-name",
            "discussion-error-category-name-long",
        );
        let description =
            crate::names::bounded_text(description.trim(), CATEGORY_DESCRIPTION_CHARS_MAX).map_err(
                |_| FieldProblem::new("description", "discussion-error-category-description-long"),
            );
        match (name, description) {
            (Ok(name), Ok(description)) => Ok(CategoryCommand { name, description }),
            (name, description) => Err([name.err(), description.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }
}

/// Most people one post or reply mentions (the rest are not told).
pub const MENTIONS_PER_POST_MAX: usize = 10;

/// The usernames a text mentions: `@name` at the start or after a space or punctuation (not
/// inside an address like `ana@example.org`), each once, at most [`MENTIONS_PER_POST_MAX`].
pub fn mentions(text: &str) -> Vec<crate::names::Username> {
    let mut found: Vec<crate::names::Username> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    for (at, c) in chars.iter().enumerate() {
        if *c != '@' || at > 0 && (chars[at - 1].is_alphanumeric() || chars[at - 1] == '@') {
            continue;
        }
        let name: String = chars[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            .collect();
        let name = name.trim_end_matches(['.', '-']);
        if let Ok(username) = name.parse::<crate::names::Username>() {
            if !found.contains(&username) {
                found.push(username);
            }
        }
        if found.len() == MENTIONS_PER_POST_MAX {
            break;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_read_from_at_names_each_once_never_from_an_address() {
        let found = mentions("Thanks @Chen and @dolores. Mail ana@example.org, @chen again, @x");
        let names: Vec<&str> = found.iter().map(|u| u.as_str()).collect();
        assert_eq!(
            names,
            ["chen", "dolores"],
            "an address and a one-letter name are no mention"
        );
        let many: String = (0..20).map(|n| format!("@pat{n} ")).collect();
        assert_eq!(mentions(&many).len(), MENTIONS_PER_POST_MAX);
    }

    #[test]
    fn authors_and_stewards_change_a_thread_and_only_stewards_pin() {
        assert!(may_change(false, true) && may_change(true, false) && !may_change(false, false));
        assert!(may_pin(true) && !may_pin(false));
    }

    #[test]
    fn a_thread_becomes_a_proposal_once_by_its_author_or_a_steward() {
        assert!(may_propose(false, true, None));
        assert!(may_propose(true, false, None));
        assert!(!may_propose(false, false, None));
        assert!(!may_propose(true, true, Some(3)));
    }

    #[test]
    fn a_thread_is_new_until_opened_and_again_when_replies_come() {
        assert_eq!(freshness(0, None), Freshness::Unopened);
        assert_eq!(freshness(7, Some(5)), Freshness::NewReplies);
        assert_eq!(freshness(7, Some(7)), Freshness::Seen);
        assert_eq!(freshness(0, Some(0)), Freshness::Seen);
    }

    #[test]
    fn a_proposal_carries_the_opening_post_and_where_the_discussion_was() {
        let body = proposal_body(
            " Let us fix bikes together. \n",
            "/c/garden/discussions/4",
            "From the discussion:",
        );
        assert_eq!(
            body,
            "Let us fix bikes together.\n\nFrom the discussion: /c/garden/discussions/4"
        );
    }

    #[test]
    fn a_thread_needs_a_category_a_title_and_a_text_and_names_every_wrong_field() {
        let thread = ThreadCommand::parse("2", " Repair café? ", "Who is in?").expect("valid");
        assert_eq!(
            (thread.category, thread.title.as_str()),
            (2, "Repair café?")
        );
        let fields: Vec<_> = ThreadCommand::parse("x", "", "")
            .unwrap_err()
            .iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["category", "title", "body"]);
        assert!(ThreadCommand::parse("1", &"t".repeat(TITLE_CHARS_MAX + 1), "ok").is_err());
        assert!(ThreadCommand::parse("-1", "ok", "ok").is_err());
        assert!(parse_reply(" ").is_err());
        assert!(parse_reply(&"r".repeat(REPLY_CHARS_MAX + 1)).is_err());
        assert_eq!(parse_reply(" Me! ").unwrap(), "Me!");
    }

    #[test]
    fn a_category_needs_a_name_and_keeps_its_description_short() {
        assert_eq!(
            CategoryCommand::parse(" Ideas ", "What could we do?")
                .unwrap()
                .name,
            "Ideas"
        );
        assert!(CategoryCommand::parse("", "x").is_err());
        assert!(
            CategoryCommand::parse("Ideas", &"d".repeat(CATEGORY_DESCRIPTION_CHARS_MAX + 1))
                .is_err()
        );
        assert!(CategoryCommand::parse(&"n".repeat(CATEGORY_NAME_CHARS_MAX + 1), "").is_err());
    }
}
