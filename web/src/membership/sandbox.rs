//! The sandbox new members start in: someone who asked to join (no member vouched for them with
//! an invitation) posts a few listings, messages and comments a day during their first week, so
//! that a script or a troll cannot flood a circle on the day they arrive. Pure rules; the
//! allowances are kept in `sandbox_allowances`.

#![allow(clippy::result_large_err)]

use crate::db::Membership;
use crate::services::{ActionError, Actor, Services, DAY_MS};

/// How long a member who asked to join stays in the sandbox.
pub const SANDBOX_DAYS: i64 = 7;

/// What the sandbox counts, each with its own daily allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxLimit {
    Listings,
    Messages,
    Comments,
}

impl SandboxLimit {
    /// Its name where allowances are kept.
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxLimit::Listings => "listings",
            SandboxLimit::Messages => "messages",
            SandboxLimit::Comments => "comments",
        }
    }

    /// How many a member in the sandbox may post on each day of their membership.
    pub fn per_day(self) -> i64 {
        match self {
            SandboxLimit::Listings => 3,
            SandboxLimit::Messages => 20,
            SandboxLimit::Comments => 10,
        }
    }

    /// The catalogue message that says what happened and what to do.
    pub fn message_id(self) -> &'static str {
        match self {
            SandboxLimit::Listings => "sandbox-listings",
            SandboxLimit::Messages => "sandbox-messages",
            SandboxLimit::Comments => "sandbox-comments",
        }
    }
}

/// Whether a member is still in the sandbox: they asked to join rather than being invited,
/// they do not steward the circle, and they joined less than [`SANDBOX_DAYS`] ago.
pub fn in_sandbox(membership: &Membership, is_steward: bool, now_ms: i64) -> bool {
    !is_steward
        && membership.vouched_by.is_none()
        && now_ms - membership.created_at_ms < SANDBOX_DAYS * DAY_MS
}

impl Services {
    /// Takes one post of this kind from the day's allowance of a member in the sandbox, or
    /// refuses it when the allowance is used. Days are counted from when they joined; the
    /// count and the taking are one statement ([`crate::db::NodeDb::take_allowance`]).
    pub(crate) async fn check_sandbox(
        &self,
        actor: &Actor,
        limit: SandboxLimit,
    ) -> Result<(), ActionError> {
        let now = self.now_ms();
        if !in_sandbox(&actor.membership, actor.is_steward, now) {
            return Ok(());
        }
        let day = sandbox_day(&actor.membership, now);
        if !self
            .db
            .take_allowance(
                actor.circle.row_id,
                actor.user.id,
                limit.as_str(),
                day,
                limit.per_day(),
            )
            .await?
        {
            return Err(ActionError::Sandboxed(limit));
        }
        Ok(())
    }
}

/// Which day of their membership it is for a member (0 on the day they joined).
pub fn sandbox_day(membership: &Membership, now_ms: i64) -> i64 {
    (now_ms - membership.created_at_ms).div_euclid(DAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::MemberStatus;
    use commons_ledger::keys::SecretKey;

    fn membership(vouched_by: Option<i64>, created_at_ms: i64) -> Membership {
        Membership {
            circle: 1,
            user_id: 2,
            status: MemberStatus::Active,
            account_key: SecretKey::generate().public_key(),
            sealed_key: None,
            vouched_by,
            request_message: String::new(),
            agreements_version: 1,
            created_at_ms,
            suspended_until_ms: None,
            limited_until_ms: None,
        }
    }

    #[test]
    fn only_members_who_asked_to_join_start_in_the_sandbox_and_only_for_a_week() {
        let now = 100 * DAY_MS;
        assert!(in_sandbox(&membership(None, now - DAY_MS), false, now));
        assert!(
            !in_sandbox(&membership(Some(7), now - DAY_MS), false, now),
            "invited: vouched for"
        );
        assert!(
            !in_sandbox(&membership(None, now - DAY_MS), true, now),
            "stewards never"
        );
        assert!(!in_sandbox(
            &membership(None, now - SANDBOX_DAYS * DAY_MS),
            false,
            now
        ));
    }

    #[test]
    fn every_sandbox_message_says_the_allowance_and_the_days_in_both_languages() {
        for catalogue in [
            include_str!("../../locales/en/main.ftl"),
            include_str!("../../locales/es/main.ftl"),
        ] {
            for limit in [
                SandboxLimit::Listings,
                SandboxLimit::Messages,
                SandboxLimit::Comments,
            ] {
                let line = catalogue
                    .lines()
                    .find(|line| line.starts_with(&format!("{} = ", limit.message_id())))
                    .expect("the message exists");
                assert!(line.contains(&format!(" {} ", limit.per_day())), "{line}");
                assert!(line.contains(&format!(" {} ", SANDBOX_DAYS)), "{line}");
            }
        }
    }
}
