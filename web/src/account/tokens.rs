//! API tokens (scoped, circle-bound, expiring) and registering one's own key.

#![allow(clippy::result_large_err)]

use crate::capability::FullAccount;
use commons_ledger::entry::Body;
use commons_ledger::keys::PublicKey;
use commons_ledger::store::{Appended, CircleInfo};

use crate::custody::random_secret;
use crate::db::{NewToken, TokenScope};
use crate::names::bounded_text;

use crate::account::activity::SecurityEvent;
use crate::services::*;

impl Services {
    /// Makes an API token for the command line; returns the token (shown once). It may read
    /// or read and act, in every circle of the person or one, and expires after `days`
    /// (1 to [`TOKEN_DAYS_MAX`]).
    pub async fn create_api_token(
        &self,
        user: &FullAccount,
        request: &TokenRequest,
    ) -> Result<String, ActionError> {
        let label = bounded_text(&request.label, 80).map_err(name_error("label"))?;
        if label.is_empty() {
            return Err(invalid("label", "error-required"));
        }
        // Unless asked for more, a token only reads.
        let scope = match request.scope.trim() {
            "" => TokenScope::Read,
            text => TokenScope::parse(text).ok_or_else(|| invalid("scope", "error-token-scope"))?,
        };
        let days = match request.days.trim() {
            "" => TOKEN_DAYS_DEFAULT,
            text => text
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=TOKEN_DAYS_MAX).contains(d))
                .ok_or_else(|| invalid("days", "error-token-days"))?,
        };
        let circle = match request.circle.trim() {
            "" => None,
            slug => Some(
                self.actor(user, slug, None)
                    .await
                    .map_err(|_| invalid("circle", "error-token-circle"))?
                    .circle
                    .row_id,
            ),
        };
        let token = random_secret();
        let now = self.now_ms();
        self.db
            .create_api_token(
                &token_hash(&token),
                NewToken {
                    user_id: user.id,
                    label: &label,
                    scope,
                    circle,
                    expires_at_ms: now + days * DAY_MS,
                },
                now,
            )
            .await?;
        self.record(user.id, SecurityEvent::TokenCreated, None, &label)
            .await;
        Ok(crate::http::session::encode_token(&token))
    }

    /// Moves the actor's account to a key they hold themselves: a rotation signed with their
    /// sealed key. From then on they sign with the command line; the node keeps no secret.
    /// A key no account may move onto: another member's (a pending member's key was made by
    /// the node for them). A steward's key the ledger's own rule refuses on every path; it is
    /// checked here too, so the form answers with a field error.
    pub async fn check_rotation_target(
        &self,
        info: &CircleInfo,
        new: &PublicKey,
    ) -> Result<(), ActionError> {
        if self.store.stewards(info).await?.contains(new)
            || self.db.member_by_key(info.row_id, new).await?.is_some()
        {
            return Err(invalid("public_key", "error-public-key"));
        }
        Ok(())
    }

    pub async fn register_own_key(
        &self,
        actor: &Actor,
        public_key_hex: &str,
    ) -> Result<Appended, ActionError> {
        let new: PublicKey = public_key_hex
            .trim()
            .parse()
            .map_err(|_| invalid("public_key", "error-public-key"))?;
        if new == actor.membership.account_key {
            return Err(invalid("public_key", "error-public-key"));
        }
        self.check_rotation_target(&actor.circle, &new).await?;
        let appended = self
            .append_as(
                actor,
                Body::RotateKey {
                    old: actor.membership.account_key,
                    new,
                },
                None,
            )
            .await?;
        self.db
            .move_member_key(actor.circle.row_id, actor.user.id, &new, None)
            .await?;
        self.record(
            actor.user.id,
            SecurityEvent::OwnKey,
            None,
            &actor.circle.name,
        )
        .await;
        Ok(appended)
    }
}
