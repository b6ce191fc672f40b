//! The rules of news, without IO: who may post, pin and announce, and the post and comment
//! forms parsed into commands (every wrong field at once).

use crate::names::{required_text, required_title};
use crate::services::FieldProblem;

/// Longest title, in characters.
pub const TITLE_CHARS_MAX: usize = 140;
/// Longest post, in characters (Markdown).
pub const BODY_CHARS_MAX: usize = 20_000;
/// Longest comment, in characters.
pub const COMMENT_CHARS_MAX: usize = 4_000;

/// Who may publish news: stewards, and members when the circle allows it.
pub fn may_post(is_steward: bool, members_may_post: bool) -> bool {
    is_steward || members_may_post
}

/// Who may pin a post or announce it to every member: stewards only.
pub fn may_pin_or_announce(is_steward: bool) -> bool {
    is_steward
}

/// Who may change or withdraw a post: its author, or a steward.
pub fn may_change(is_steward: bool, is_author: bool) -> bool {
    is_steward || is_author
}

/// A post, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsCommand {
    pub title: String,
    pub body: String,
    pub pinned: bool,
    pub announce: bool,
}

impl NewsCommand {
    /// The news form: a title and a text (both required, bounded; control characters
    /// refused), and whether to pin and announce it.
    pub fn parse(
        title: &str,
        body: &str,
        pinned: bool,
        announce: bool,
    ) -> Result<NewsCommand, Vec<FieldProblem>> {
        let title = required_title(
            title,
            "title",
            TITLE_CHARS_MAX,
            "news-error-title",
            "news-error-title-long",
        );
        let body = required_text(
            body,
            "body",
            BODY_CHARS_MAX,
            "news-error-body",
            "news-error-body-long",
        );
        match (title, body) {
            (Ok(title), Ok(body)) => Ok(NewsCommand {
                title,
                body,
                pinned,
                announce,
            }),
            (title, body) => Err([title.err(), body.err()].into_iter().flatten().collect()),
        }
    }
}

/// A comment, parsed.
pub fn parse_comment(text: &str) -> Result<String, FieldProblem> {
    required_text(
        text,
        "comment",
        COMMENT_CHARS_MAX,
        "news-error-comment",
        "news-error-comment-long",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stewards_post_pin_and_announce_and_members_post_only_when_the_circle_allows() {
        assert!(may_post(true, false));
        assert!(!may_post(false, false));
        assert!(may_post(false, true));
        assert!(may_pin_or_announce(true) && !may_pin_or_announce(false));
        assert!(may_change(false, true) && may_change(true, false) && !may_change(false, false));
    }

    #[test]
    fn a_post_needs_a_title_and_a_text_within_bounds_and_names_every_wrong_field() {
        let post =
            NewsCommand::parse(" Market day ", "Bring *tools*.", true, false).expect("valid");
        assert_eq!((post.title.as_str(), post.pinned), ("Market day", true));
        let fields: Vec<_> = NewsCommand::parse("", "", false, false)
            .unwrap_err()
            .iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["title", "body"]);
        assert!(NewsCommand::parse(&"x".repeat(TITLE_CHARS_MAX + 1), "ok", false, false).is_err());
        assert!(parse_comment("  ").is_err());
        assert!(parse_comment(&"y".repeat(COMMENT_CHARS_MAX + 1)).is_err());
        assert_eq!(parse_comment(" Thanks! ").unwrap(), "Thanks!");
    }
}
