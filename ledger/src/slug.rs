//! Circle slugs: the short names in URLs and commands (`garden-share`).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

pub const SLUG_CHARS_MAX: usize = 40;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{0:?} is not a circle slug: use 2 to {SLUG_CHARS_MAX} lowercase letters, digits and single hyphens, starting with a letter (like garden-share)")]
pub struct SlugError(pub String);

/// A circle's slug: 2-40 of `a-z 0-9 -`, starting with a letter, no double or trailing hyphen.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CircleSlug(String);

impl CircleSlug {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CircleSlug {
    type Err = SlugError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let ok = (2..=SLUG_CHARS_MAX).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && !text.ends_with('-')
            && !text.contains("--")
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(CircleSlug(text.to_owned()))
        } else {
            Err(SlugError(text.chars().take(60).collect()))
        }
    }
}

impl fmt::Display for CircleSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for good in ["garden", "bike-share", "c2"] {
            assert!(good.parse::<CircleSlug>().is_ok(), "{good}");
        }
        for bad in [
            "",
            "a",
            "Garden",
            "2c",
            "a--b",
            "a-",
            "a b",
            "x".repeat(41).as_str(),
        ] {
            assert!(bad.parse::<CircleSlug>().is_err(), "{bad}");
        }
    }
}
