//! The stewards' forms parsed once into commands: a member's limits, and whom to recover.

#![allow(clippy::result_large_err)]

use commons_ledger::amount::Decimals;
use commons_ledger::store::CircleInfo;

use crate::names::Username;
use crate::services::{all_fields, member_named, ActionError, FieldProblem};

/// One member's new floor and ceiling, in the circle's minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitsCommand {
    pub member: Username,
    pub floor_minor: i64,
    pub ceiling_minor: i64,
}

impl LimitsCommand {
    /// Parses the limits form, collecting every field's problem (`member`, `floor`, `ceiling`).
    /// Whether floor and ceiling make sense together is the ledger's rule, not the form's.
    pub fn parse(
        circle: &CircleInfo,
        member: &str,
        floor: &str,
        ceiling: &str,
    ) -> Result<LimitsCommand, ActionError> {
        let decimals =
            Decimals::new(u32::from(circle.decimals)).map_err(|_| ActionError::NotFound)?;
        let limit = |text: &str, field: &'static str| {
            decimals
                .parse_minor(text.trim())
                .map_err(|_| FieldProblem::new(field, "error-amount-invalid"))
        };
        let (member, floor_minor, ceiling_minor) = all_fields(
            member_named(member),
            limit(floor, "floor"),
            limit(ceiling, "ceiling"),
        )?;
        Ok(LimitsCommand {
            member,
            floor_minor,
            ceiling_minor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn circle() -> CircleInfo {
        crate::services::circle_for_tests()
    }

    #[test]
    fn limits_parse_into_minor_units_and_may_be_negative() {
        let command = LimitsCommand::parse(&circle(), "Ana", "-20", "35.5").expect("parses");
        assert_eq!(command.member.as_str(), "ana");
        assert_eq!((command.floor_minor, command.ceiling_minor), (-2000, 3550));
    }

    #[test]
    fn every_wrong_limits_field_is_named() {
        let Err(ActionError::Fields(problems)) = LimitsCommand::parse(&circle(), "", "x", "1.234")
        else {
            panic!("expected field problems");
        };
        let fields: Vec<_> = problems.iter().map(|problem| problem.field).collect();
        assert_eq!(fields, ["member", "floor", "ceiling"]);
    }
}
