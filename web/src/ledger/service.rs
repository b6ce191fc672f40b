//! Moving money: paying, asking to be paid, and answering payment requests, each signed with
//! the member's key and never twice.

#![allow(clippy::result_large_err)]

use commons_ledger::entry::{memo_hash, Body, Cause, Request, SignedRequest};
use commons_ledger::export::Memo;
use commons_ledger::keys::PublicKey;
use commons_ledger::keys::{Hash, Nonce};
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
    /// Signs and appends a request with a nonce the caller derived (from the client's
    /// idempotency key, or from what the request answers): a retry is then the very same
    /// signed request, which the ledger answers with the first entry and never writes twice.
    /// The memo's salt is derived from the signing key and the nonce, so a retry commits to
    /// the same memo while nobody without the key can guess the salt.
    pub(crate) async fn append_once(
        &self,
        actor: &Actor,
        nonce: Nonce,
        memo_text: Option<String>,
        body: impl FnOnce(Option<Hash>) -> Body,
    ) -> Result<Appended, ActionError> {
        let (signed, memo) = self.sign_as_member(actor, nonce, memo_text, body)?;
        Ok(self.store.append(&actor.circle.slug, signed, memo).await?)
    }

    /// A request signed with the actor's key, with its memo salted and committed.
    pub(crate) fn sign_as_member(
        &self,
        actor: &Actor,
        nonce: Nonce,
        memo_text: Option<String>,
        body: impl FnOnce(Option<Hash>) -> Body,
    ) -> Result<(SignedRequest, Option<Memo>), ActionError> {
        let key = self.signing_key(actor)?;
        let memo = memo_text.map(|text| Memo {
            salt: memo_salt(&key, &nonce),
            text,
        });
        let body = body(memo.as_ref().map(|m| memo_hash(&m.salt, &m.text)));
        let signed = Request {
            circle_id: actor.circle.circle_id,
            author: key.public_key(),
            nonce,
            body,
        }
        .sign(&key);
        Ok((signed, memo))
    }

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
