//! Titles the node writes itself (an appeal put to the circle's vote), shown in the reader's
//! language wherever a proposal's title is shown; a member's own title is shown as written.

use std::borrow::Cow;

use crate::i18n::Tr;

/// How the node titles an appeal it puts to the vote (stored so, in English, once).
const APPEAL_PREFIX: &str = "Appeal of moderation action #";

/// The stored title of an appeal of moderation action `seq`.
pub fn appeal_title(seq: u64) -> String {
    format!("{APPEAL_PREFIX}{seq}")
}

/// A proposal's title as this reader reads it: a title the node wrote, in their language.
pub fn shown<'a>(tr: &Tr, title: &'a str) -> Cow<'a, str> {
    match title
        .strip_prefix(APPEAL_PREFIX)
        .and_then(|seq| seq.parse::<u64>().ok())
    {
        Some(seq) => Cow::Owned(tr.ta("appeal-proposal-title", &[("number", &seq.to_string())])),
        None => Cow::Borrowed(title),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_appeals_title_reads_in_each_readers_language_and_a_members_title_as_written() {
        let catalogues = crate::i18n::Catalogues::load();
        let (en, es) = (catalogues.translator("en"), catalogues.translator("es"));
        let stored = appeal_title(7);
        assert_eq!(shown(&en, &stored), "Appeal of moderation action #7");
        assert_eq!(
            shown(&es, &stored),
            "Recurso contra la acción de moderación n.º 7"
        );
        for own in [
            "Appeal of moderation action #seven",
            "A new bench for the park",
        ] {
            assert_eq!(shown(&es, own), own);
        }
    }
}
