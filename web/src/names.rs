//! Names people type, parsed once at the edge: login names, display names, bios, notes.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

pub const USERNAME_CHARS_MIN: usize = 2;
pub const USERNAME_CHARS_MAX: usize = 32;
pub const DISPLAY_NAME_CHARS_MAX: usize = 80;
pub const BIO_CHARS_MAX: usize = 600;
/// Invitation notes, join-request messages.
pub const NOTE_CHARS_MAX: usize = 600;
pub const AGREEMENTS_CHARS_MAX: usize = 20_000;
pub const DESCRIPTION_CHARS_MAX: usize = 2_000;

/// Why a name was not accepted; each maps to a message in the translation catalogue.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    #[error("username-invalid")]
    UsernameInvalid,
    #[error("display-name-invalid")]
    DisplayNameInvalid,
    #[error("text-too-long")]
    TooLong,
}

impl NameError {
    /// The catalogue message id that explains this error.
    pub fn message_id(self) -> &'static str {
        match self {
            NameError::UsernameInvalid => "error-username-invalid",
            NameError::DisplayNameInvalid => "error-display-name-invalid",
            NameError::TooLong => "error-text-too-long",
        }
    }
}

/// A login name: 2-32 of `a-z 0-9 _ . -`, starting with a letter or digit; stored lowercase,
/// so `Ana` and `ana` are the same person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Username {
    type Err = NameError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim().to_lowercase();
        let count = text.chars().count();
        let ok = (USERNAME_CHARS_MIN..=USERNAME_CHARS_MAX).contains(&count)
            && text.starts_with(|c: char| c.is_ascii_alphanumeric())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
        if ok {
            Ok(Username(text))
        } else {
            Err(NameError::UsernameInvalid)
        }
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub use commons_ledger::title::is_hidden_format;

/// Whether a character would reorder the text around it (a bidirectional control).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// What a name looks like, for telling look-alikes apart: compatibility forms and accents
/// folded, lowercase, letters that look like Latin ones in Cyrillic and Greek taken as those,
/// digits that pass for letters too, and nothing but letters and digits kept. Two names with
/// the same skeleton are easy to mistake for each other.
pub fn skeleton(name: &str) -> String {
    name.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| if c == 'I' { 'l' } else { c })
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'а' | 'α' => 'a',
            'в' | 'β' => 'b',
            'с' | 'ϲ' => 'c',
            'е' | 'ε' => 'e',
            'һ' | 'η' => 'h',
            'і' | 'ι' | 'ı' | '1' | 'l' | '|' | 'ӏ' => 'l',
            'ј' => 'j',
            'к' | 'κ' => 'k',
            'м' | 'μ' => 'm',
            'п' => 'n',
            'о' | 'ο' | '0' | 'σ' => 'o',
            'р' | 'ρ' => 'p',
            'ѕ' | '5' => 's',
            'т' | 'τ' => 't',
            'у' | 'υ' | 'γ' => 'y',
            'х' | 'χ' => 'x',
            'ν' => 'v',
            other => other,
        })
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The name others see: 1-80 characters, no control or hidden format characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for DisplayName {
    type Err = NameError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let count = text.chars().count();
        if (1..=DISPLAY_NAME_CHARS_MAX).contains(&count)
            && !text.chars().any(|c| c.is_control() || is_hidden_format(c))
            && !skeleton(text).is_empty()
        {
            Ok(DisplayName(text.to_owned()))
        } else {
            Err(NameError::DisplayNameInvalid)
        }
    }
}

/// A form's required text, trimmed and bounded: `missing` names the catalogue message when it
/// is empty, `long` when it has more than `chars_max` characters, both about `field`.
pub fn required_text(
    text: &str,
    field: &'static str,
    chars_max: usize,
    missing: &'static str,
    long: &'static str,
) -> Result<String, crate::services::FieldProblem> {
    let text = bounded_text(text.trim(), chars_max)
        .map_err(|_| crate::services::FieldProblem::new(field, long))?;
    if text.is_empty() {
        return Err(crate::services::FieldProblem::new(field, missing));
    }
    Ok(text)
}

/// A form's title, parsed into the one [`commons_ledger::title::Title`] (one line, no control
/// or bidirectional characters): `missing` names the catalogue message when nothing visible is
/// left, `long` when it has more than `chars_max` characters, both about `field`.
pub fn required_title(
    text: &str,
    field: &'static str,
    chars_max: usize,
    missing: &'static str,
    long: &'static str,
) -> Result<String, crate::services::FieldProblem> {
    use commons_ledger::title::{Title, TitleError};
    match Title::parse(text, chars_max) {
        Ok(title) => Ok(title.into_string()),
        Err(TitleError::Missing) => Err(crate::services::FieldProblem::new(field, missing)),
        Err(TitleError::TooLong(_)) => Err(crate::services::FieldProblem::new(field, long)),
    }
}

/// Free text with a length limit (bios, notes, messages); line breaks are kept, control
/// characters and bidirectional controls (which could make the text around it read backwards)
/// dropped.
pub fn bounded_text(text: &str, chars_max: usize) -> Result<String, NameError> {
    let text = text.trim().replace("\r\n", "\n");
    if text.chars().count() > chars_max {
        return Err(NameError::TooLong);
    }
    Ok(text
        .chars()
        .filter(|c| *c == '\n' || !(c.is_control() || is_bidi_control(*c)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercase_and_plain() {
        assert_eq!(
            "  Ana.M ".parse::<Username>().map(|u| u.0),
            Ok("ana.m".into())
        );
        for bad in ["a", "-ana", "ana marie", "ána", &"a".repeat(33), ""] {
            assert!(bad.parse::<Username>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn display_names_and_texts_have_limits() {
        assert_eq!(
            " Ana María ".parse::<DisplayName>().map(|n| n.0),
            Ok("Ana María".into())
        );
        assert!("".parse::<DisplayName>().is_err());
        assert!("a\u{7}b".parse::<DisplayName>().is_err());
        assert_eq!(bounded_text("a\r\nb\u{0}", 10), Ok("a\nb".into()));
        assert_eq!(bounded_text(&"x".repeat(11), 10), Err(NameError::TooLong));
    }

    #[test]
    fn display_names_refuse_bidi_controls_and_invisible_characters() {
        // "Amara" followed by a right-to-left override and a reversed word.
        for bad in [
            "Amara\u{202E}nimda",
            "\u{2067}Amara\u{2069}",
            "Ama\u{200B}ra",
            "\u{FEFF}Amara",
            "Amara\u{E0041}",
            "\u{200F}",
            "   \u{00AD} ",
        ] {
            assert!(bad.parse::<DisplayName>().is_err(), "{bad:?}");
        }
        // Names in every script stay welcome, joiners included.
        for good in [
            "Amara Okafor",
            "مریم‌جان",
            "José",
            "Ана",
            "李小龍",
            "👩‍👩‍👧 Family",
        ] {
            assert!(good.parse::<DisplayName>().is_ok(), "{good:?}");
        }
        assert_eq!(bounded_text("abc\u{202E}def", 20), Ok("abcdef".into()));
    }

    #[test]
    fn look_alike_names_share_a_skeleton() {
        let amara = skeleton("Amara Okafor");
        for lookalike in [
            "AMARA OKAFOR",
            "Amara  Okafor.",
            "Аmara Okafor",
            "Amára Okafór",
            "Amara 0kafor",
            "Ａｍａｒａ Ｏｋａｆｏｒ",
        ] {
            assert_eq!(skeleton(lookalike), amara, "{lookalike}");
        }
        assert_ne!(skeleton("Amaru Okafor"), amara);
        assert_eq!(
            skeleton("BiIl"),
            skeleton("Bill"),
            "a capital I passes for an l"
        );
    }
}
