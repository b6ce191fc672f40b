//! Moving money: paying, asking to be paid, and answering payment requests, each signed with
//! the member's key and never twice.

#![allow(clippy::result_large_err)]

use commons_ledger::entry::{Body, Cause};
use commons_ledger::keys::PublicKey;
use commons_ledger::store::{Appended, CircleInfo, StoredEntry};

use crate::db::MemberCard;
use crate::ledger::form::TransferCommand;
use crate::reach::Channel;
use crate::services::*;

/// A payment or a payment request the ledger recorded, and the other member.
#[derive(Debug)]
pub struct Transferred {
    pub appended: Appended,
    pub other: MemberCard,
}

impl Services {
    // ----- payments -----
    /// Pays another member of the circle, signed with the payer's key. The same idempotency
    /// key always answers the first payment and never pays twice.
    pub async fn pay(
        &self,
        actor: &Actor,
        command: &TransferCommand,
        attempt: &IdempotencyKey,
    ) -> Result<Transferred, ActionError> {
        let payee = self.other_member(actor, &command.member, "member").await?;
        self.reach_of_member(Channel::Payment, actor, &payee)
            .await?;
        let nonce = attempt.nonce(actor, "pay");
        let memo = command.memo.as_ref().map(|memo| memo.as_str().to_owned());
        let appended = self
            .append_once(actor, nonce, memo, |memo_hash| Body::Transfer {
                payer: actor.membership.account_key,
                payee: payee.account_key,
                amount_minor: command.amount_minor,
                memo_hash,
                cause: Cause::Direct,
            })
            .await?;
        Ok(Transferred {
            appended,
            other: payee,
        })
    }

    /// Asks another member to pay the actor; nothing moves until they accept. The same
    /// idempotency key always answers the first request.
    pub async fn request_payment(
        &self,
        actor: &Actor,
        command: &TransferCommand,
        attempt: &IdempotencyKey,
    ) -> Result<Transferred, ActionError> {
        let payer = self.other_member(actor, &command.member, "member").await?;
        self.reach_of_member(Channel::PaymentRequest, actor, &payer)
            .await?;
        let nonce = attempt.nonce(actor, "request");
        let memo = command.memo.as_ref().map(|memo| memo.as_str().to_owned());
        let appended = self
            .append_once(actor, nonce, memo, |memo_hash| Body::RequestPayment {
                payer: payer.account_key,
                payee: actor.membership.account_key,
                amount_minor: command.amount_minor,
                memo_hash,
            })
            .await?;
        Ok(Transferred {
            appended,
            other: payer,
        })
    }

    /// An open payment request of the circle by its entry number, if the actor is part of it.
    pub async fn open_request(
        &self,
        actor: &Actor,
        seq: u64,
    ) -> Result<(StoredEntry, PublicKey, PublicKey, i64), ActionError> {
        let keys = self
            .db
            .member_keys(actor.circle.row_id, actor.user.id)
            .await?;
        let open = self
            .store
            .open_requests(
                &actor.circle,
                &keys,
                commons_ledger::store::LIST_ENTRIES_MAX,
            )
            .await?;
        let stored = open
            .into_iter()
            .find(|stored| stored.entry.seq == seq)
            .ok_or(ActionError::NotFound)?;
        let Body::RequestPayment {
            payer,
            payee,
            amount_minor,
            ..
        } = stored.entry.signed.record.body
        else {
            return Err(ActionError::NotFound);
        };
        Ok((stored, payer, payee, amount_minor))
    }

    /// Accepts a payment request the actor must pay: a transfer that names the request.
    pub async fn accept_request(&self, actor: &Actor, seq: u64) -> Result<Appended, ActionError> {
        let (stored, payer, payee, amount_minor) = self.open_request(actor, seq).await?;
        let keys = self
            .db
            .member_keys(actor.circle.row_id, actor.user.id)
            .await?;
        if !keys.contains(&payer) {
            return Err(ActionError::Forbidden);
        }
        // The request follows both accounts through key rotations.
        let payee_now = self.current_key(&actor.circle, &payee).await?;
        // Accepting one request is always the same signed transfer: a second click, a retry or
        // a second tab is answered with the first payment.
        let nonce = answer_nonce(&actor.circle.circle_id, "accept", &stored.hash);
        self.append_once(actor, nonce, None, |_| Body::Transfer {
            payer: actor.membership.account_key,
            payee: payee_now,
            amount_minor,
            memo_hash: None,
            cause: Cause::AcceptsRequest(stored.hash),
        })
        .await
    }

    /// Declines (as payer) or withdraws (as payee) an open payment request.
    pub async fn close_request(&self, actor: &Actor, seq: u64) -> Result<Appended, ActionError> {
        let (stored, _, _, _) = self.open_request(actor, seq).await?;
        let nonce = answer_nonce(&actor.circle.circle_id, "close", &stored.hash);
        self.append_once(actor, nonce, None, |_| Body::CloseRequest {
            request: stored.hash,
        })
        .await
    }

    /// The reach rule for money addressed to another member: across a block the member is
    /// not there, as for a name nobody has (the form says so on its member field).
    async fn reach_of_member(
        &self,
        channel: Channel,
        actor: &Actor,
        other: &MemberCard,
    ) -> Result<(), ActionError> {
        match self.reach_of(channel, actor, other.user_id, None).await {
            Err(ActionError::NotFound) => Err(invalid("member", "error-member-unknown")),
            other => other.map(|_| ()),
        }
    }

    pub(crate) async fn current_key(
        &self,
        info: &CircleInfo,
        key: &PublicKey,
    ) -> Result<PublicKey, ActionError> {
        let holder = self.db.names_for_keys(info.row_id, &[*key]).await?;
        let Some((_, username, _)) = holder.into_iter().next() else {
            return Ok(*key);
        };
        Ok(self
            .db
            .member_by_username(info.row_id, &username)
            .await?
            .map_or(*key, |card| card.account_key))
    }
}
