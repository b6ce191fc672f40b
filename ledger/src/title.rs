//! `Title`: the one type for every title a person writes and others read — a listing's, a news
//! post's, a thread's, a proposal's. It lives here, in the crate every other crate builds on,
//! so that the market, governance and the web space clean titles the same way.
//!
//! A title is one line of plain words: line breaks and tabs become spaces, runs of spaces fold
//! into one, and control characters and invisible format characters (bidirectional controls,
//! zero-width spaces, tags) are dropped, so that a title can neither start a new line in a
//! plain-text mail nor make the text around it read backwards.

use std::fmt;

use thiserror::Error;

/// Why a title was refused.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum TitleError {
    #[error("a title needs at least one visible character")]
    Missing,
    #[error("a title has at most {0} characters")]
    TooLong(usize),
}

/// One line of plain words, 1 to the caller's limit of characters (see the module).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Title(String);

impl Title {
    /// Cleans `text` (see the module) and checks it has 1 to `chars_max` characters.
    pub fn parse(text: &str, chars_max: usize) -> Result<Title, TitleError> {
        let cleaned = clean_line(text);
        if cleaned.is_empty() {
            return Err(TitleError::Missing);
        }
        if cleaned.chars().count() > chars_max {
            return Err(TitleError::TooLong(chars_max));
        }
        Ok(Title(cleaned))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Title {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `text` as one line: whitespace (line breaks included) folded to single spaces, control
/// and invisible format characters dropped, trimmed.
pub fn clean_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !is_hidden_format(*c))
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Invisible format characters (Unicode category Cf) no name or title may hold: bidirectional
/// controls (which can make a text read backwards or hide what follows it), zero-width spaces,
/// word joiners, the byte-order mark, tags. The zero-width joiner and non-joiner stay: Persian,
/// Indic scripts and emoji need them.
pub fn is_hidden_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}' | '\u{200E}' | '\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0001}' | '\u{E0020}'..='\u{E007F}'
        | '\u{0600}'..='\u{0605}' | '\u{06DD}' | '\u{070F}' | '\u{08E2}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_is_one_line_whatever_breaks_it_was_typed_with() {
        let typed =
            "Bike repair\r\nSECURITY NOTICE: your password expires today.\u{2028}Confirm\tit";
        assert_eq!(
            Title::parse(typed, 200).map(Title::into_string),
            Ok("Bike repair SECURITY NOTICE: your password expires today. Confirm it".into())
        );
    }

    #[test]
    fn a_title_holds_no_control_or_bidirectional_characters() {
        let typed = "Free\u{7} soup\u{202E}puos eerf\u{2066} \u{200B}today\u{FEFF}";
        assert_eq!(
            Title::parse(typed, 200).map(Title::into_string),
            Ok("Free souppuos eerf today".into())
        );
    }

    #[test]
    fn a_title_of_nothing_visible_is_missing_and_one_over_the_limit_is_too_long() {
        assert_eq!(Title::parse(" \n\u{200F}\t", 10), Err(TitleError::Missing));
        assert_eq!(
            Title::parse(&"é".repeat(11), 10),
            Err(TitleError::TooLong(10))
        );
        assert!(Title::parse(&"é".repeat(10), 10).is_ok());
    }

    #[test]
    fn titles_in_every_script_stay_as_typed() {
        for good in ["Arreglo de bicis", "مریم‌جان", "李小龍", "👩‍👩‍👧 Family day"]
        {
            assert_eq!(
                Title::parse(good, 100).map(Title::into_string),
                Ok(good.into())
            );
        }
    }
}
