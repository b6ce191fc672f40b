//! Linked circles, the pure rules (no IO): the exchange rate two circles agree on, converting an
//! amount across it, and the limits on each link's balance of trade. A payment across a link is
//! recorded in each circle in its own unit (payer → the connector account of the other circle,
//! then connector → payee); these rules say how much each side records, and whether the link's
//! balance of trade may move that far.
//!
//! Rounding: a converted amount is rounded down to the receiving circle's minor unit, so a
//! payee never receives more than the rate gives; an amount that would convert to nothing is
//! refused rather than paid into thin air. Each circle's own books balance exactly whatever the
//! rounding (each records a whole transfer in its own unit).

use std::fmt;

use thiserror::Error;

use crate::amount::MINOR_UNITS_MAX;

/// Why an exchange rate, a conversion or a move of the balance of trade is refused. Each says
/// what happened, the numbers, and what to do.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum LinkError {
    #[error("an exchange rate compares two amounts above zero, like 1 hour = 12 credits")]
    RateNotPositive,
    #[error("an exchange rate's amounts can be at most {MINOR_UNITS_MAX} minor units each")]
    RateTooLarge,
    #[error("{amount_minor} minor units convert to less than one minor unit of the other circle; send at least {smallest_minor}")]
    ConvertsToNothing {
        amount_minor: i64,
        smallest_minor: i64,
    },
    #[error("the amount is too large to convert")]
    TooLarge,
    #[error("this payment would take the link's balance of trade to {would_be_minor}, past its limit of {limit_minor}; pay less, or wait until trade flows back the other way")]
    TradeLimit {
        would_be_minor: i64,
        limit_minor: i64,
    },
}

/// How many minor units of one circle's unit are worth how many of the other's: `from_minor`
/// of the paying side's unit equal `to_minor` of the receiving side's. "1 hour = 12 credits"
/// with hours in hundredths and credits whole is `from_minor = 100, to_minor = 12`. Kept as
/// the two integers agreed (an exact rational, never a float); reduced to lowest terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExchangeRate {
    from_minor: i64,
    to_minor: i64,
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl ExchangeRate {
    /// The rate at which `from_minor` of the paying side equal `to_minor` of the receiving
    /// side. Both must be above zero and at most [`MINOR_UNITS_MAX`].
    pub fn new(from_minor: i64, to_minor: i64) -> Result<ExchangeRate, LinkError> {
        if from_minor <= 0 || to_minor <= 0 {
            return Err(LinkError::RateNotPositive);
        }
        if from_minor > MINOR_UNITS_MAX || to_minor > MINOR_UNITS_MAX {
            return Err(LinkError::RateTooLarge);
        }
        let common = gcd(from_minor, to_minor);
        Ok(ExchangeRate {
            from_minor: from_minor / common,
            to_minor: to_minor / common,
        })
    }

    /// The same agreement seen from the other side.
    pub fn inverse(self) -> ExchangeRate {
        ExchangeRate {
            from_minor: self.to_minor,
            to_minor: self.from_minor,
        }
    }

    /// The two integers, in lowest terms: (paying side's minor units, receiving side's).
    pub fn terms(self) -> (i64, i64) {
        (self.from_minor, self.to_minor)
    }

    /// What `amount_minor` of the paying side is worth on the receiving side, rounded down to
    /// its minor unit. Refused when that is nothing, or the amount is out of bounds.
    pub fn convert(self, amount_minor: i64) -> Result<i64, LinkError> {
        if amount_minor <= 0 || amount_minor > MINOR_UNITS_MAX {
            return Err(LinkError::TooLarge);
        }
        let exact = i128::from(amount_minor) * i128::from(self.to_minor);
        let converted = exact / i128::from(self.from_minor);
        if converted == 0 {
            return Err(LinkError::ConvertsToNothing {
                amount_minor,
                smallest_minor: self.smallest_minor(),
            });
        }
        i64::try_from(converted)
            .ok()
            .filter(|value| *value <= MINOR_UNITS_MAX)
            .ok_or(LinkError::TooLarge)
    }

    /// The least amount of the paying side that converts to at least `wanted_minor` on the
    /// receiving side (what a payer pays for a request across: the requester never receives
    /// less than asked). Refused when out of bounds.
    pub fn cost_of(self, wanted_minor: i64) -> Result<i64, LinkError> {
        if wanted_minor <= 0 || wanted_minor > MINOR_UNITS_MAX {
            return Err(LinkError::TooLarge);
        }
        let (from, to) = (i128::from(self.from_minor), i128::from(self.to_minor));
        // ceil(wanted × from / to)
        let cost = (i128::from(wanted_minor) * from + to - 1) / to;
        i64::try_from(cost)
            .ok()
            .filter(|value| *value <= MINOR_UNITS_MAX)
            .ok_or(LinkError::TooLarge)
    }

    /// The least amount of the paying side that converts to at least one minor unit.
    pub fn smallest_minor(self) -> i64 {
        // ceil(from / to)
        (self.from_minor + self.to_minor - 1) / self.to_minor
    }
}

impl fmt::Display for ExchangeRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.from_minor, self.to_minor)
    }
}

/// The limits on a link's balance of trade, in the circle's own minor units: how far its
/// connector account may go below zero (the circle's members paid out more than they received
/// across the link) and above zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeLimits {
    /// Most the circle may owe across the link (a positive number).
    pub out_max_minor: i64,
    /// Most the other circle may owe this one (a positive number).
    pub in_max_minor: i64,
}

impl TradeLimits {
    /// Whether the connector's balance may move from `balance_minor` by `change_minor` (negative:
    /// members pay out; positive: members are paid in). Refused past either limit.
    pub fn check(self, balance_minor: i64, change_minor: i64) -> Result<i64, LinkError> {
        let would_be = balance_minor
            .checked_add(change_minor)
            .ok_or(LinkError::TooLarge)?;
        if would_be < -self.out_max_minor {
            return Err(LinkError::TradeLimit {
                would_be_minor: would_be,
                limit_minor: -self.out_max_minor,
            });
        }
        if would_be > self.in_max_minor {
            return Err(LinkError::TradeLimit {
                would_be_minor: would_be,
                limit_minor: self.in_max_minor,
            });
        }
        Ok(would_be)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 1 hour (in hundredths) = 12 credits (whole).
    fn hours_to_credits() -> ExchangeRate {
        ExchangeRate::new(100, 12).expect("a rate")
    }

    #[test]
    fn a_rate_is_kept_in_lowest_terms_and_reads_the_same_from_both_sides() {
        let rate = hours_to_credits();
        assert_eq!(rate.terms(), (25, 3));
        assert_eq!(rate.inverse().terms(), (3, 25));
        assert_eq!(rate.to_string(), "25:3");
    }

    #[test]
    fn a_rate_compares_two_amounts_above_zero_and_within_bounds() {
        assert_eq!(ExchangeRate::new(0, 12), Err(LinkError::RateNotPositive));
        assert_eq!(ExchangeRate::new(100, -1), Err(LinkError::RateNotPositive));
        assert_eq!(
            ExchangeRate::new(MINOR_UNITS_MAX + 1, 1),
            Err(LinkError::RateTooLarge)
        );
    }

    #[test]
    fn an_amount_converts_exactly_when_the_rate_divides_it() {
        // 1.50 hours = 18 credits; 12 credits = 1.00 hour.
        assert_eq!(hours_to_credits().convert(150), Ok(18));
        assert_eq!(hours_to_credits().inverse().convert(12), Ok(100));
    }

    #[test]
    fn the_cost_of_an_amount_is_the_least_that_converts_to_at_least_it() {
        // 3 hours here = 2 there: 7 there cost 10.5 here, so 11 (which gives 7.33, so 7).
        let rate = ExchangeRate::new(3, 2).expect("rate");
        assert_eq!(rate.cost_of(7), Ok(11));
        assert_eq!(rate.convert(11), Ok(7));
        assert_eq!(rate.convert(10), Ok(6), "one less gives less than asked");
        assert_eq!(rate.cost_of(6), Ok(9));
        assert_eq!(rate.cost_of(0), Err(LinkError::TooLarge));
        assert_eq!(rate.cost_of(MINOR_UNITS_MAX), Err(LinkError::TooLarge));
    }

    #[test]
    fn a_rate_that_does_not_divide_rounds_down_so_nobody_receives_more_than_the_rate_gives() {
        // 0.10 hours = 1.2 credits: 1 credit. 5 credits = 0.41666… hours: 0.41 hours.
        assert_eq!(hours_to_credits().convert(10), Ok(1));
        assert_eq!(hours_to_credits().inverse().convert(5), Ok(41));
    }

    #[test]
    fn an_amount_worth_less_than_one_minor_unit_is_refused_with_the_least_that_is_not() {
        // 0.05 hours = 0.6 credits: nothing; 0.09 hours is the least that is worth a credit.
        assert_eq!(
            hours_to_credits().convert(5),
            Err(LinkError::ConvertsToNothing {
                amount_minor: 5,
                smallest_minor: 9
            })
        );
        assert_eq!(hours_to_credits().convert(9), Ok(1));
    }

    #[test]
    fn the_balance_of_trade_stays_within_both_limits() {
        let limits = TradeLimits {
            out_max_minor: 1_000,
            in_max_minor: 500,
        };
        assert_eq!(limits.check(0, -1_000), Ok(-1_000));
        assert_eq!(
            limits.check(-900, -200),
            Err(LinkError::TradeLimit {
                would_be_minor: -1_100,
                limit_minor: -1_000
            })
        );
        assert_eq!(
            limits.check(400, 101),
            Err(LinkError::TradeLimit {
                would_be_minor: 501,
                limit_minor: 500
            })
        );
        assert_eq!(limits.check(i64::MAX, 1), Err(LinkError::TooLarge));
    }

    proptest! {
        #[test]
        fn a_conversion_never_gives_more_than_the_exact_rate_nor_a_whole_unit_less(
            from in 1i64..1_000_000, to in 1i64..1_000_000, amount in 1i64..1_000_000_000,
        ) {
            let rate = ExchangeRate::new(from, to).expect("a rate");
            match rate.convert(amount) {
                Ok(converted) => {
                    // converted <= amount * to / from < converted + 1
                    let exact = i128::from(amount) * i128::from(to);
                    prop_assert!(i128::from(converted) * i128::from(from) <= exact);
                    prop_assert!((i128::from(converted) + 1) * i128::from(from) > exact);
                }
                Err(LinkError::ConvertsToNothing { smallest_minor, .. }) => {
                    prop_assert!(amount < smallest_minor);
                    prop_assert!(rate.convert(smallest_minor).is_ok());
                }
                Err(other) => prop_assert!(false, "{other}"),
            }
        }

        #[test]
        fn converting_more_never_gives_less(
            from in 1i64..10_000, to in 1i64..10_000, amount in 1i64..1_000_000, more in 0i64..1_000,
        ) {
            let rate = ExchangeRate::new(from, to).expect("a rate");
            if let (Ok(less), Ok(bigger)) = (rate.convert(amount), rate.convert(amount + more)) {
                prop_assert!(bigger >= less);
            }
        }

        #[test]
        fn paying_the_cost_of_an_amount_gives_at_least_it_and_one_less_does_not(
            from in 1i64..10_000, to in 1i64..10_000, wanted in 1i64..1_000_000,
        ) {
            let rate = ExchangeRate::new(from, to).expect("a rate");
            let cost = rate.cost_of(wanted).expect("within bounds");
            prop_assert!(rate.convert(cost).expect("converts") >= wanted);
            prop_assert!(rate.convert(cost - 1).map_or(true, |got| got < wanted));
        }
    }
}
