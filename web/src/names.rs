//! Names people type, parsed once at the edge: login names, display names, bios, notes.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

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

/// The name others see: 1-80 characters, no control characters, trimmed.
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
        if (1..=DISPLAY_NAME_CHARS_MAX).contains(&count) && !text.chars().any(char::is_control) {
            Ok(DisplayName(text.to_owned()))
        } else {
            Err(NameError::DisplayNameInvalid)
        }
    }
}

/// Free text with a length limit (bios, notes, messages); line breaks are kept.
pub fn bounded_text(text: &str, chars_max: usize) -> Result<String, NameError> {
    let text = text.trim().replace("\r\n", "\n");
    if text.chars().count() > chars_max {
        return Err(NameError::TooLong);
    }
    Ok(text
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
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
}
