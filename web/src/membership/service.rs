//! Becoming and staying a member: invitations, joining, asking to join and admission, and
//! following key rotations made outside the web space.

#![allow(clippy::result_large_err)]

use commons_ledger::entry::{Body, Request};
use commons_ledger::keys::{PublicKey, SecretKey};
use commons_ledger::state::Refusal;
use commons_ledger::store::CircleInfo;

use crate::custody::{random_secret, seal, unseal, SealingKey};
use crate::db::{MemberStatus, Membership, NewMembership, NewUser, User};
use crate::names::{bounded_text, NOTE_CHARS_MAX};
use crate::onboarding::rules::InviteCommand;

use crate::services::*;

impl Services {
    /// Brings memberships up to date with the ledger (the node's job, never a page view):
    /// accounts moved to another key outside the web space are followed (the node forgets a
    /// sealed key it no longer needs), members whose account was closed have left, and an
    /// admission a crash interrupted is finished (its account is open) or undone. Returns how
    /// many rows changed.
    pub async fn reconcile_memberships(&self) -> Result<usize, ActionError> {
        let mut changed = 0;
        for info in self.store.circles().await? {
            for membership in self.db.memberships_in(info.row_id).await? {
                changed += self.reconcile(&info, &membership).await? as usize;
            }
        }
        Ok(changed)
    }

    /// Brings one member's row up to date with the ledger at once (after they rotated their own
    /// key through the API).
    pub async fn reconcile_member(&self, actor: &Actor) -> Result<bool, ActionError> {
        match self
            .db
            .membership(actor.circle.row_id, actor.user.id)
            .await?
        {
            Some(membership) => self.reconcile(&actor.circle, &membership).await,
            None => Ok(false),
        }
    }

    pub(crate) async fn reconcile(
        &self,
        info: &CircleInfo,
        membership: &Membership,
    ) -> Result<bool, ActionError> {
        let account = self.store.account(info, &membership.account_key).await?;
        let status = account.as_ref().map(|row| row.status.as_str());
        match (membership.status, status) {
            (MemberStatus::Active, Some("rotated")) => {
                let mut key = membership.account_key;
                for _ in 0..64 {
                    match self.store.key_successor(info, &key).await? {
                        Some(next) => key = next,
                        None => break,
                    }
                }
                self.db
                    .move_member_key(info.row_id, membership.user_id, &key, None)
                    .await?;
                Ok(true)
            }
            (MemberStatus::Active, Some("closed")) => {
                self.db
                    .set_membership_status(info.row_id, membership.user_id, MemberStatus::Left)
                    .await?;
                Ok(true)
            }
            (MemberStatus::Admitting, Some("open")) => Ok(self
                .db
                .finish_admission(info.row_id, membership.user_id)
                .await?),
            (MemberStatus::Admitting, None) => Ok(self
                .db
                .undo_stale_admission(
                    info.row_id,
                    membership.user_id,
                    self.now_ms() - ADMISSION_STALE_MS,
                )
                .await?),
            _ => Ok(false),
        }
    }

    // ----- invitations and joining -----
    /// Makes an invitation link. A steward's link opens the newcomer's account at once (for a
    /// temporary key sealed under the link's secret, which joining replaces); a member's link
    /// records their vouch and a steward admits the newcomer.
    pub async fn invite(&self, actor: &Actor, note: &str) -> Result<String, ActionError> {
        bounded_text(note, NOTE_CHARS_MAX).map_err(name_error("note"))?;
        let command = InviteCommand::parse(note, "", "").map_err(ActionError::Fields)?;
        self.invite_with(actor, &command).await
    }

    /// Makes an invitation link for one person or several, open for the command's days. A link
    /// for several is a steward's only, and never opens accounts at once: each person asks to
    /// join and a steward admits them (a link passed around must not let strangers straight in).
    pub async fn invite_with(
        &self,
        actor: &Actor,
        command: &InviteCommand,
    ) -> Result<String, ActionError> {
        self.check_not_suspended(actor)?;
        let note = command.note.clone();
        let settings = self.settings(&actor.circle).await?;
        if !actor.is_steward && !settings.members_may_invite {
            return Err(ActionError::Forbidden);
        }
        if command.uses_max > 1 && !actor.is_steward {
            return Err(ActionError::Forbidden);
        }
        let secret = random_secret();
        let now = self.now_ms();
        let account = if actor.is_steward && command.uses_max == 1 {
            let temporary = SecretKey::generate();
            let (floor_minor, ceiling_minor) = self.store.default_limits(&actor.circle).await?;
            self.append_as(
                actor,
                Body::OpenAccount {
                    account: temporary.public_key(),
                    floor_minor,
                    ceiling_minor,
                },
                None,
            )
            .await?;
            let sealed = seal(
                &SealingKey::from_link_secret(&secret),
                &actor.circle.circle_id,
                &temporary,
            );
            Some((temporary.public_key(), sealed))
        } else {
            None
        };
        self.db
            .create_invitation(
                actor.circle.row_id,
                &token_hash(&secret),
                actor.user.id,
                actor.is_steward,
                &note,
                account.as_ref().map(|(key, sealed)| (key, sealed.clone())),
                now,
                command.expires_at_ms(now),
                command.uses_max,
            )
            .await?;
        Ok(crate::http::session::encode_token(&secret))
    }

    /// The invitation behind a link, if it can still be used, with its circle.
    pub async fn invitation(
        &self,
        link: &str,
    ) -> Result<(crate::db::Invitation, CircleInfo, [u8; 32]), ActionError> {
        let secret = crate::http::session::decode_token(link).ok_or(ActionError::InvitationGone)?;
        let invitation = self
            .db
            .invitation_by_token(&token_hash(&secret))
            .await?
            .ok_or(ActionError::InvitationGone)?;
        if invitation.is_used_up()
            || invitation.revoked_at_ms.is_some()
            || invitation.expires_at_ms <= self.now_ms()
        {
            return Err(ActionError::InvitationGone);
        }
        let info = self
            .circle_by_row(invitation.circle)
            .await?
            .ok_or(ActionError::InvitationGone)?;
        Ok((invitation, info, secret))
    }

    /// Joins a circle through an invitation link, as a new person (`sign_up`) or as someone
    /// already logged in (`existing` with their session's sealing key). The newcomer consented
    /// to the agreements of version `agreements_version`. Returns the person and, for a new
    /// person, their sealing key (to open a session).
    pub async fn join(
        &self,
        link: &str,
        sign_up: Option<&SignUp>,
        existing: Option<(&User, SealingKey)>,
        agreements_version: i64,
    ) -> Result<(User, SealingKey, MemberStatus, CircleInfo), ActionError> {
        let (invitation, info, secret) = self.invitation(link).await?;
        let settings = self.settings(&info).await?;
        if agreements_version != settings.agreements_version {
            return Err(invalid("agree", "error-agreements-changed"));
        }
        // A member's invitation makes someone wait for a steward: the waiting room has a cap.
        if invitation.account_key.is_none() {
            self.check_waiting_room(&info).await?;
        }
        // Everything that can be checked is checked before the link is claimed, and nothing
        // is written until it is: a refused join leaves no person, key or entry behind.
        let (person, sealing) = self.who_joins(&info, existing, sign_up).await?;
        // Claim the link: two people racing for one link cannot both use it.
        if !self
            .db
            .claim_invitation(invitation.id, self.now_ms())
            .await?
        {
            return Err(ActionError::InvitationGone);
        }
        let member_key = SecretKey::generate();
        let sealed = seal(&sealing, &info.circle_id, &member_key);
        let steward_link = match (&invitation.account_key, &invitation.sealed_key) {
            (Some(temporary_key), Some(sealed_temporary)) => {
                Some((*temporary_key, sealed_temporary))
            }
            _ => None,
        };
        if let Some((temporary_key, sealed_temporary)) = steward_link {
            let moved = self
                .move_from_link_key(&info, &secret, temporary_key, sealed_temporary, &member_key)
                .await;
            if let Err(error) = moved {
                self.db.release_invitation(invitation.id).await?;
                return Err(error);
            }
        }
        let user = match person {
            Ok(user) => user,
            Err(new) => match self.insert_user(&new).await {
                Ok(user) => user,
                Err(error) => {
                    if steward_link.is_none() {
                        self.db.release_invitation(invitation.id).await?;
                    }
                    return Err(error);
                }
            },
        };
        let status = if steward_link.is_some() {
            MemberStatus::Active
        } else {
            MemberStatus::Pending
        };
        let membership = NewMembership {
            circle: info.row_id,
            user_id: user.id,
            status,
            account_key: member_key.public_key(),
            sealed_key: Some(sealed),
            vouched_by: Some(invitation.created_by),
            invitation: Some(invitation.id),
            request_message: String::new(),
            agreements_version,
            now_ms: self.now_ms(),
        };
        if steward_link.is_some() {
            self.db.create_membership(&membership).await?;
        } else if !self
            .db
            .create_waiting_membership(&membership, PENDING_PER_CIRCLE_MAX)
            .await?
        {
            // Others filled the waiting room since the check above: the link stays usable.
            self.db.release_invitation(invitation.id).await?;
            return Err(invalid("message", "error-waiting-room-full"));
        } else {
            self.tell_stewards_someone_waits(&info, user.id).await?;
        }
        if let Some((temporary_key, _)) = steward_link {
            self.db
                .remember_member_key(info.row_id, user.id, &temporary_key)
                .await?;
        }
        self.db
            .finish_invitation(invitation.id, user.id, self.now_ms())
            .await?;
        Ok((user, sealing, status, info))
    }

    /// Who joins: the logged-in person (not yet a member, and not a login a recovery
    /// restricted), or a new person to make from the sign-up (`Err`, not yet written).
    async fn who_joins(
        &self,
        info: &CircleInfo,
        existing: Option<(&User, SealingKey)>,
        sign_up: Option<&SignUp>,
    ) -> Result<(Result<User, NewUser>, SealingKey), ActionError> {
        match (existing, sign_up) {
            (Some((user, sealing)), _) => {
                if self.db.membership(info.row_id, user.id).await?.is_some() {
                    return Err(ActionError::AlreadyMember);
                }
                // Whoever holds a recovery link must not join other circles in the person's name.
                let account = crate::capability::FullAccount::of(user)
                    .map_err(|_| invalid("agree", "error-join-recovered"))?;
                Ok((Ok(account.user().clone()), sealing))
            }
            (None, Some(sign_up)) => {
                let (new, sealing) = self.prepare_user(sign_up, false).await?;
                Ok((Err(new), sealing))
            }
            (None, None) => Err(ActionError::Forbidden),
        }
    }

    /// A steward's link opened an account under a temporary key its maker saw: the account
    /// moves (a signed rotation) to a key only the member can open.
    async fn move_from_link_key(
        &self,
        info: &CircleInfo,
        secret: &[u8; 32],
        temporary_key: PublicKey,
        sealed_temporary: &[u8],
        member_key: &SecretKey,
    ) -> Result<(), ActionError> {
        let temporary = unseal(
            &SealingKey::from_link_secret(secret),
            &info.circle_id,
            &temporary_key,
            sealed_temporary,
        )?;
        let rotate = Request::signed(
            info.circle_id,
            &temporary,
            Body::RotateKey {
                old: temporary_key,
                new: member_key.public_key(),
            },
        );
        self.store.append(&info.slug, rotate, None).await?;
        Ok(())
    }

    /// Asks to join a circle that is open to requests; a steward decides.
    pub async fn ask_to_join(
        &self,
        slug: &str,
        sign_up: Option<&SignUp>,
        existing: Option<(&User, SealingKey)>,
        message: &str,
        agreements_version: i64,
    ) -> Result<(User, SealingKey, CircleInfo), ActionError> {
        let info = self.store.circle(slug).await?;
        let settings = self.settings(&info).await?;
        if !settings.open_to_requests {
            return Err(ActionError::NotFound);
        }
        if agreements_version != settings.agreements_version {
            return Err(invalid("agree", "error-agreements-changed"));
        }
        let message = bounded_text(message, NOTE_CHARS_MAX).map_err(name_error("message"))?;
        self.check_waiting_room(&info).await?;
        let (user, sealing) = match self.who_joins(&info, existing, sign_up).await? {
            (Ok(user), sealing) => (user, sealing),
            (Err(new), sealing) => (self.insert_user(&new).await?, sealing),
        };
        let member_key = SecretKey::generate();
        let waiting = NewMembership {
            circle: info.row_id,
            user_id: user.id,
            status: MemberStatus::Pending,
            account_key: member_key.public_key(),
            sealed_key: Some(seal(&sealing, &info.circle_id, &member_key)),
            vouched_by: None,
            invitation: None,
            request_message: message,
            agreements_version,
            now_ms: self.now_ms(),
        };
        // Exact under a flood: others may have filled the room since the check above (the
        // person, if new, keeps the account they made and can ask again later).
        if !self
            .db
            .create_waiting_membership(&waiting, PENDING_PER_CIRCLE_MAX)
            .await?
        {
            return Err(invalid("message", "error-waiting-room-full"));
        }
        self.tell_stewards_someone_waits(&info, user.id).await?;
        Ok((user, sealing, info))
    }

    /// A steward admits a pending member: a steward-signed entry opens their account.
    pub async fn admit(&self, actor: &Actor, user_id: i64) -> Result<(), ActionError> {
        require_steward(actor)?;
        let pending = self
            .db
            .membership(actor.circle.row_id, user_id)
            .await?
            .filter(|membership| membership.status == MemberStatus::Pending)
            .ok_or(ActionError::NotFound)?;
        let (floor_minor, ceiling_minor) = self.store.default_limits(&actor.circle).await?;
        // Claim the decision first (one steward wins a race between admitting and declining),
        // then open the account, and only then is the member active: nobody is ever active
        // without an open account. If the entry cannot be written, the person is waiting again.
        if !self
            .db
            .decide_membership(
                actor.circle.row_id,
                user_id,
                MemberStatus::Admitting,
                actor.user.id,
                self.now_ms(),
            )
            .await?
        {
            return Err(ActionError::NotFound);
        }
        let opened = self
            .append_as(
                actor,
                Body::OpenAccount {
                    account: pending.account_key,
                    floor_minor,
                    ceiling_minor,
                },
                None,
            )
            .await;
        if let Err(error) = opened {
            self.db
                .undecide_membership(actor.circle.row_id, user_id)
                .await?;
            return Err(error);
        }
        self.db
            .finish_admission(actor.circle.row_id, user_id)
            .await?;
        Ok(())
    }

    /// Tells each of the circle's stewards that someone waits for them to decide, through the
    /// reach rule (a steward who blocked the person is not told).
    async fn tell_stewards_someone_waits(
        &self,
        info: &CircleInfo,
        who: i64,
    ) -> Result<(), ActionError> {
        let stewards = self.store.stewards(info).await?;
        let outgoing = self.outgoing(who, info.row_id, None).await?;
        for person in self.db.active_members(info.row_id).await? {
            if !stewards.contains(&person.account_key) {
                continue;
            }
            let note = crate::notifications::NewNotification::about_the_circle(
                person.user_id,
                info.row_id,
                crate::notifications::NotificationKind::JoinRequest,
            );
            self.notify_from(&outgoing, crate::reach::Channel::Notification, note)
                .await?;
        }
        Ok(())
    }

    /// Refuses a new request to join when [`PENDING_PER_CIRCLE_MAX`] people already wait: a
    /// flood of requests must not bury the real ones, nor grow without end.
    pub(crate) async fn check_waiting_room(&self, info: &CircleInfo) -> Result<(), ActionError> {
        if self
            .db
            .count_with_status(info.row_id, MemberStatus::Pending)
            .await?
            >= PENDING_PER_CIRCLE_MAX
        {
            return Err(invalid("message", "error-waiting-room-full"));
        }
        Ok(())
    }

    /// Declines many people waiting to join at once (a flood of requests); returns how many.
    pub async fn decline_members(
        &self,
        actor: &Actor,
        user_ids: &[i64],
    ) -> Result<usize, ActionError> {
        require_steward(actor)?;
        let mut declined = 0;
        for user_id in user_ids.iter().take(PENDING_PER_CIRCLE_MAX as usize) {
            if self
                .db
                .decide_membership(
                    actor.circle.row_id,
                    *user_id,
                    MemberStatus::Declined,
                    actor.user.id,
                    self.now_ms(),
                )
                .await?
            {
                declined += 1;
            }
        }
        Ok(declined)
    }

    /// Members and people waiting to join whose display name looks like a steward's (the same
    /// skeleton: case, accents, look-alike letters and spacing aside), for the stewards' page:
    /// (their display name, their username, the steward's display name).
    pub async fn look_alikes(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(String, String, String)>, ActionError> {
        require_steward(actor)?;
        let info = &actor.circle;
        let stewards = self.store.stewards(info).await?;
        let mut steward_names: Vec<(i64, String)> = Vec::new();
        for key in &stewards {
            if let Some((user, name)) = self.db.member_by_key(info.row_id, key).await? {
                steward_names.push((user, name));
            }
        }
        let mut found = Vec::new();
        for status in [MemberStatus::Active, MemberStatus::Pending] {
            for card in self
                .db
                .members(info.row_id, status, None, crate::db::MEMBERS_PAGE_MAX)
                .await?
            {
                let shape = crate::names::skeleton(&card.display_name);
                for (steward, name) in &steward_names {
                    if *steward != card.user_id && crate::names::skeleton(name) == shape {
                        found.push((
                            card.display_name.clone(),
                            card.username.clone(),
                            name.clone(),
                        ));
                    }
                }
            }
        }
        Ok(found)
    }

    /// A steward declines a person waiting to join: no account is ever opened for them.
    pub async fn decline_member(&self, actor: &Actor, user_id: i64) -> Result<(), ActionError> {
        require_steward(actor)?;
        if !self
            .db
            .decide_membership(
                actor.circle.row_id,
                user_id,
                MemberStatus::Declined,
                actor.user.id,
                self.now_ms(),
            )
            .await?
        {
            return Err(ActionError::NotFound);
        }
        Ok(())
    }

    /// The circle's invitations a steward sees (all) or a member sees (their own), newest first.
    pub(crate) async fn invitations_seen_by(
        &self,
        actor: &Actor,
    ) -> Result<Vec<crate::db::Invitation>, ActionError> {
        Ok(self
            .db
            .invitations(
                actor.circle.row_id,
                (!actor.is_steward).then_some(actor.user.id),
            )
            .await?)
    }

    /// Revokes an unused invitation; a steward's link also closes the account it opened.
    pub async fn revoke_invitation(&self, actor: &Actor, id: i64) -> Result<(), ActionError> {
        let invitation = self
            .db
            .invitation(actor.circle.row_id, id)
            .await?
            .ok_or(ActionError::NotFound)?;
        if !actor.is_steward && invitation.created_by != actor.user.id {
            return Err(ActionError::Forbidden);
        }
        if invitation.used_by.is_some() || invitation.revoked_at_ms.is_some() {
            return Err(ActionError::InvitationGone);
        }
        // A link that opened an account is revoked by closing that account first (a steward's
        // signature); only then does the link stop working. If the link was used meanwhile,
        // the account has moved to the member's key and the close is refused.
        if let Some(account) = invitation.account_key {
            if !actor.is_steward {
                return Err(ActionError::Forbidden);
            }
            match self
                .append_as(actor, Body::CloseAccount { account }, None)
                .await
            {
                Ok(_) => {}
                Err(ActionError::Refused(Refusal::NotAMember(_))) => {
                    return Err(ActionError::InvitationGone)
                }
                Err(error) => return Err(error),
            }
        }
        if !self
            .db
            .revoke_invitation(actor.circle.row_id, id, self.now_ms())
            .await?
        {
            return Err(ActionError::InvitationGone);
        }
        Ok(())
    }
}
