//! Exact money: amounts are integers of minor units; decimals only appear at the edges.

use std::fmt;

use rust_decimal::Decimal;
use thiserror::Error;

/// Most decimal places a circle's unit may have.
pub const DECIMALS_MAX: u8 = 4;
/// Largest absolute amount, balance or limit in minor units (10^15), far below `i64::MAX`, so
/// that sums of a few values can never overflow.
pub const MINOR_UNITS_MAX: i64 = 1_000_000_000_000_000;

/// Why a piece of text is not an amount this circle can use.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AmountError {
    #[error("{0:?} is not a number; write it like 12 or 3.50")]
    NotANumber(String),
    #[error("{text} has more decimal places than this circle uses ({decimals}); round it to {decimals} places")]
    TooManyDecimals { text: String, decimals: u8 },
    #[error("the amount must be more than zero")]
    NotPositive,
    #[error("{0} is too large for the ledger")]
    TooLarge(String),
    #[error("a circle's unit can have 0 to {DECIMALS_MAX} decimal places, not {0}")]
    BadDecimals(u32),
}

/// The number of decimal places of a circle's unit (0 to 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimals(u8);

impl Decimals {
    pub fn new(places: u32) -> Result<Decimals, AmountError> {
        if places > u32::from(DECIMALS_MAX) {
            return Err(AmountError::BadDecimals(places));
        }
        Ok(Decimals(places as u8))
    }
    pub fn places(self) -> u8 {
        self.0
    }

    /// Parses text such as `-20` or `3.5` into minor units, refusing extra decimals.
    pub fn parse_minor(self, text: &str) -> Result<i64, AmountError> {
        let trimmed = text.trim();
        let value: Decimal = decimal_point(trimmed, self.0)
            .ok_or_else(|| AmountError::NotANumber(trimmed.to_owned()))?
            .parse()
            .map_err(|_| AmountError::NotANumber(trimmed.to_owned()))?;
        let value = value.normalize();
        if value.scale() > u32::from(self.0) {
            return Err(AmountError::TooManyDecimals {
                text: trimmed.to_owned(),
                decimals: self.0,
            });
        }
        let scaled = value
            .checked_mul(Decimal::from(10i64.pow(u32::from(self.0))))
            .ok_or_else(|| AmountError::TooLarge(trimmed.to_owned()))?;
        let minor = i64::try_from(scaled).map_err(|_| AmountError::TooLarge(trimmed.to_owned()))?;
        if minor.abs() > MINOR_UNITS_MAX {
            return Err(AmountError::TooLarge(trimmed.to_owned()));
        }
        Ok(minor)
    }

    /// Parses a positive amount to pay or request.
    pub fn parse_positive(self, text: &str) -> Result<i64, AmountError> {
        let minor = self.parse_minor(text)?;
        if minor <= 0 {
            return Err(AmountError::NotPositive);
        }
        Ok(minor)
    }

    /// Formats minor units with exactly this many decimal places, e.g. `-18.50`.
    pub fn format(self, minor: i64) -> String {
        Decimal::new(minor, u32::from(self.0)).to_string()
    }
}

/// The text with a decimal comma (as Spanish and many languages write it) read as a point:
/// one comma, no point, and no more digits after it than the unit has decimals, so `1,000`
/// is never read as one. `None` for a comma used any other way.
fn decimal_point(text: &str, decimals: u8) -> Option<std::borrow::Cow<'_, str>> {
    match text.split_once(',') {
        None => Some(std::borrow::Cow::Borrowed(text)),
        Some((_, after)) => {
            let plain = !after.is_empty()
                && after.len() <= usize::from(decimals)
                && after.chars().all(|c| c.is_ascii_digit())
                && !text.contains('.');
            plain.then(|| std::borrow::Cow::Owned(text.replacen(',', ".", 1)))
        }
    }
}

/// An amount of a circle's unit, ready to be shown to a member: `-18.50 hours`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    pub decimals: Decimals,
    pub unit: String,
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.decimals.format(self.minor), self.unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format() {
        let two = Decimals::new(2).expect("valid");
        assert_eq!(two.parse_minor("1.5"), Ok(150));
        assert_eq!(two.parse_minor("-20"), Ok(-2000));
        assert_eq!(two.parse_minor("1.50"), Ok(150));
        // A decimal comma reads as a point, but never as a thousands separator.
        assert_eq!(two.parse_minor("1,5"), Ok(150));
        assert_eq!(two.parse_minor("-29,75"), Ok(-2975));
        assert!(
            two.parse_minor("1,000").is_err(),
            "never one thousand read as one"
        );
        assert!(two.parse_minor("1,5.0").is_err());
        assert!(two.parse_minor("1,").is_err());
        assert!(two.parse_minor("1,2,3").is_err());
        assert_eq!(two.format(-1850), "-18.50");
        assert_eq!(two.format(5), "0.05");
        assert!(matches!(
            two.parse_minor("1.505"),
            Err(AmountError::TooManyDecimals { .. })
        ));
        assert!(matches!(
            two.parse_minor("abc"),
            Err(AmountError::NotANumber(_))
        ));
        assert_eq!(two.parse_positive("0"), Err(AmountError::NotPositive));
        assert!(matches!(
            two.parse_minor("99999999999999999999"),
            Err(AmountError::TooLarge(_))
        ));
        let zero = Decimals::new(0).expect("valid");
        assert_eq!(zero.parse_minor("3"), Ok(3));
        assert_eq!(zero.format(3), "3");
        assert!(zero.parse_minor("3.5").is_err());
        assert!(Decimals::new(5).is_err());
    }
}
