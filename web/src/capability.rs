//! Capabilities as types: what a login must hold to change the account itself. A handler or
//! service that takes a [`FullAccount`] cannot be reached by a login a circle's stewards
//! recovered, because only [`FullAccount::of`] makes one and it refuses such a login.

use std::ops::Deref;

use crate::db::User;
use crate::services::ActionError;

/// A login that holds the whole account: not one a recovery link gave, which stays restricted
/// to the circles that recovered it for the take-back period
/// ([`crate::account::recovery::RECOVERY_TAKE_BACK_MS`]). Changing the password, tokens, the
/// e-mail address and what is mailed, keys, the profile and photo, blocks, notification
/// choices, taking data out, erasing, joining or leaving circles and reading the security
/// activity all need one.
#[derive(Debug, Clone)]
pub struct FullAccount(User);

impl FullAccount {
    /// The account, if this login holds all of it; a recovered login is refused with
    /// [`ActionError::RecoveredLogin`].
    pub fn of(user: &User) -> Result<FullAccount, ActionError> {
        if user.recovery_restricted {
            return Err(ActionError::RecoveredLogin);
        }
        Ok(FullAccount(user.clone()))
    }

    /// The person behind the account.
    pub fn user(&self) -> &User {
        &self.0
    }
}

impl Deref for FullAccount {
    type Target = User;
    fn deref(&self) -> &User {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(restricted: bool) -> User {
        User {
            id: 1,
            username: "ben".into(),
            display_name: "Ben".into(),
            bio: String::new(),
            password_hash: String::new(),
            seal_salt: Vec::new(),
            language: None,
            is_node_admin: false,
            created_at_ms: 0,
            recovery_restricted: restricted,
            prior_password: None,
            recovery_notice_at_ms: None,
            recovery_lifts_at_ms: None,
        }
    }

    #[test]
    fn a_recovered_login_holds_no_full_account() {
        assert!(matches!(
            FullAccount::of(&user(true)),
            Err(ActionError::RecoveredLogin)
        ));
    }

    #[test]
    fn a_login_nobody_recovered_holds_the_full_account() {
        assert_eq!(FullAccount::of(&user(false)).expect("full").username, "ben");
    }
}

/// A member who may write in their circle now: the circle's moderators have not suspended
/// them. Only [`crate::services::Services::writer`] makes one. Everything that signs or
/// records a member's act takes it — the node signing with their sealed key, and requests,
/// ballots and delegations they signed themselves through the API — so a suspension stops
/// every write, the pages and the signed API alike.
#[derive(Debug, Clone, Copy)]
pub struct Writer<'a>(&'a crate::services::Actor);

impl<'a> Writer<'a> {
    /// Only the services make one, after checking the suspension.
    pub(crate) fn checked(actor: &'a crate::services::Actor) -> Writer<'a> {
        Writer(actor)
    }

    /// The member who writes.
    pub fn actor(&self) -> &'a crate::services::Actor {
        self.0
    }
}
