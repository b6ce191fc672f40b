//! Following a recovery link: the restricted login it gives, the prior password taking the
//! account back, other circles confirming, and telling the person in every circle.

#![allow(clippy::result_large_err)]

use std::net::IpAddr;

use commons_ledger::entry::{Body, Request};
use commons_ledger::keys::SecretKey;
use commons_ledger::store::CircleInfo;

use crate::custody::{seal, unseal, Password, SealingKey};
use crate::db::{MemberStatus, User};

use crate::services::*;

/// How long after a recovery the password the person had before still takes the account back,
/// and the recovered login stays restricted to the circles that recovered it (30 days): long
/// enough for someone away or ill to notice the notice and the mail.
pub const RECOVERY_TAKE_BACK_MS: i64 = 30 * 24 * 3600 * 1000;

impl Services {
    /// The person and circle behind a recovery link, if it can still be used, and whether the
    /// person confirms their current password (an account another circle already recovered)
    /// instead of choosing a new one.
    pub async fn recovery(&self, link: &str) -> Result<(User, CircleInfo, bool), ActionError> {
        let secret = crate::http::session::decode_token(link).ok_or(ActionError::InvitationGone)?;
        let (_, circle, user_id, _, _) = self
            .db
            .recovery_by_token(&token_hash(&secret), self.now_ms())
            .await?
            .ok_or(ActionError::InvitationGone)?;
        let user = self
            .db
            .user(user_id)
            .await?
            .ok_or(ActionError::InvitationGone)?;
        let info = self
            .circle_by_row(circle)
            .await?
            .ok_or(ActionError::InvitationGone)?;
        let confirm_current = user.recovery_restricted;
        Ok((user, info, confirm_current))
    }

    /// Follows a recovery link. By construction it reaches only the circle whose stewards made
    /// it: the account moves on to a fresh key sealed under the person's password (a new one,
    /// or, if another circle already recovered them, their current one, confirmed), and the
    /// login is restricted to the circles that recovered it until the person proves the
    /// password they had before ([`Services::log_in`] takes the account back then). Every
    /// session and API token ends, and the person is told in every circle they belong to.
    pub async fn recover(
        &self,
        link: &str,
        password: &str,
        from: Option<IpAddr>,
    ) -> Result<(User, SealingKey, CircleInfo), ActionError> {
        let secret = crate::http::session::decode_token(link).ok_or(ActionError::InvitationGone)?;
        let (id, circle, user_id, temporary_key, sealed) = self
            .db
            .recovery_by_token(&token_hash(&secret), self.now_ms())
            .await?
            .ok_or(ActionError::InvitationGone)?;
        let person = self
            .db
            .user(user_id)
            .await?
            .ok_or(ActionError::InvitationGone)?;
        // Checked before the link is used: a wrong or too-short password changes nothing.
        let (new_password, sealing) = if person.recovery_restricted {
            let sealing = self
                .verify_password(&person, password, from)
                .await
                .map_err(|error| match error {
                    ActionError::WrongPassword => invalid("password", "error-password-wrong"),
                    other => other,
                })?;
            (None, sealing)
        } else {
            let password = Password::new_choice(password)
                .map_err(|_| invalid("password", "error-password-short"))?;
            let (hash, salt, sealing) = self.hash_and_seal(password).await?;
            (Some((hash, salt)), sealing)
        };
        let info = self
            .circle_by_row(circle)
            .await?
            .ok_or(ActionError::InvitationGone)?;
        let temporary = unseal(
            &SealingKey::from_link_secret(&secret),
            &info.circle_id,
            &temporary_key,
            &sealed,
        )?;
        if !self.db.use_recovery(id, self.now_ms()).await? {
            return Err(ActionError::InvitationGone);
        }
        let member_key = SecretKey::generate();
        self.store
            .append(
                &info.slug,
                Request::signed(
                    info.circle_id,
                    &temporary,
                    Body::RotateKey {
                        old: temporary_key,
                        new: member_key.public_key(),
                    },
                ),
                None,
            )
            .await?;
        self.db
            .move_member_key(
                info.row_id,
                user_id,
                &member_key.public_key(),
                Some(seal(&sealing, &info.circle_id, &member_key)),
            )
            .await?;
        let now = self.now_ms();
        let new_password = new_password
            .as_ref()
            .map(|(hash, salt)| (hash.as_str(), salt.as_slice()));
        for ended in self
            .db
            .record_recovery(
                user_id,
                info.row_id,
                new_password,
                now,
                now + RECOVERY_TAKE_BACK_MS,
            )
            .await?
        {
            self.keyring.remove(&ended);
        }
        self.tell_of_recovery(user_id, now).await?;
        self.record(
            user_id,
            crate::account::activity::SecurityEvent::RecoveryFinished,
            None,
            &info.name,
        )
        .await;
        let user = self.db.user(user_id).await?.ok_or(ActionError::NotFound)?;
        Ok((user, sealing, info))
    }

    /// Lifts the restriction of recovered logins whose take-back period passed with no take-back
    /// (every 5 minutes; see [`crate::db::NodeDb::lift_recoveries`]).
    pub async fn lift_recoveries(&self) -> Result<u64, ActionError> {
        Ok(self.db.lift_recoveries(self.now_ms()).await?)
    }

    /// A notification in every circle the person belongs to: their account was recovered.
    pub(crate) async fn tell_of_recovery(&self, user_id: i64, now: i64) -> Result<(), ActionError> {
        for membership in self.db.memberships_of(user_id).await? {
            if membership.status != MemberStatus::Active {
                continue;
            }
            self.db
                .notify(
                    crate::notifications::NewNotification::about_the_circle(
                        user_id,
                        membership.circle,
                        crate::notifications::NotificationKind::AccountRecovered,
                    ),
                    now,
                )
                .await?;
        }
        Ok(())
    }

    /// The recoveries of a person's account: (circle name, the steward who made the link,
    /// when it was followed), newest first.
    pub async fn recoveries_of(
        &self,
        user: &User,
    ) -> Result<Vec<(String, String, i64)>, ActionError> {
        let mut named = Vec::new();
        for (circle, steward, at_ms) in self.db.recoveries_of(user.id).await? {
            // A recovered login reads only the recoveries of circles it reaches.
            if !self.may_reach(user, circle).await? {
                continue;
            }
            let name = self
                .circle_by_row(circle)
                .await?
                .map_or_else(|| "—".to_owned(), |info| info.name);
            named.push((name, steward, at_ms));
        }
        Ok(named)
    }
}
