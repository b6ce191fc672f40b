//! Deals between two members: opening one on a listing, messages, terms, agreeing, completing
//! with a ledger payment signed with a nonce derived from the deal (never twice), cancelling,
//! and thank-yous.

#![allow(clippy::result_large_err)]

use crate::notifications::{NewNotification, NotificationKind};
use commons_governance::moderation::TargetKind;
use commons_ledger::entry::{Body, Cause, Request};
use commons_ledger::keys::{Hash, Nonce};
use commons_market::deal::{self, Deal};
use commons_market::store::{Listing, MarketError, Message, StoredDeal, Thanks};

use crate::db::Person;
use crate::reach::Channel;
use crate::services::{invalid, parse_amount, ActionError, Actor, Services};

/// One deal with the names and listing pages show with it.
#[derive(Debug, Clone)]
pub struct DealCard {
    pub stored: StoredDeal,
    pub listing: Option<Listing>,
    pub other: Option<Person>,
}

/// The payment's nonce: derived from the circle and the deal alone. Every attempt to pay for
/// a deal is then either the very same signed request (answered by the ledger as a duplicate)
/// or, if the terms changed in between, refused for reusing the nonce: a deal is paid at most
/// once, whatever the timing.
pub(crate) fn deal_nonce(circle_id: &Hash, deal: i64) -> Nonce {
    Nonce::derived(&[
        b"commons.market.deal-payment",
        &circle_id.0,
        &deal.to_be_bytes(),
    ])
}

impl Services {
    // ----- deals -----
    /// "I can help" / "I'm interested": opens (or finds) the actor's deal on a listing, with
    /// an optional first message.
    pub async fn open_deal(
        &self,
        actor: &Actor,
        listing_id: i64,
        message: &str,
    ) -> Result<StoredDeal, ActionError> {
        self.check_not_suspended(actor)?;
        let listing = self.listing(actor, listing_id).await?;
        if !listing.is_live(self.now_ms()) {
            return Err(invalid("deal", "deal-error-listing-closed"));
        }
        let (stored, new) = self
            .market
            .open_deal(actor.circle.row_id, &listing, actor.user.id, self.now_ms())
            .await?;
        let message = message.trim();
        if !message.is_empty() {
            self.post_message(actor, &stored, message).await?;
        } else if new {
            self.notify_deal(actor, &stored, NotificationKind::DealMessage)
                .await?;
        }
        Ok(stored)
    }

    /// Tells the deal's other party, through the reach rule (a block either way, their mute or
    /// a suspension leaves them untold).
    pub(crate) async fn notify_deal(
        &self,
        actor: &Actor,
        stored: &StoredDeal,
        kind: NotificationKind,
    ) -> Result<(), ActionError> {
        let outgoing = self
            .outgoing(actor.user.id, actor.circle.row_id, None)
            .await?;
        self.notify_from(
            &outgoing,
            Channel::DealMessage,
            NewNotification {
                user: stored.deal.other_party(actor.user.id),
                circle: actor.circle.row_id,
                kind,
                listing: Some(stored.deal.listing_id),
                other_listing: None,
                deal: Some(stored.deal.id),
                proposal: None,
                moderation: None,
                news: None,
                thread: None,
                conversation: None,
            },
        )
        .await?;
        Ok(())
    }

    pub(crate) async fn post_message(
        &self,
        actor: &Actor,
        stored: &StoredDeal,
        text: &str,
    ) -> Result<(), ActionError> {
        // Control characters and bidirectional controls never reach the other member.
        let text = crate::names::bounded_text(text, deal::MESSAGE_CHARS_MAX)
            .map_err(|_| invalid("message", "deal-error-message-long"))?;
        if text.is_empty() {
            return Err(invalid("message", "deal-error-message-empty"));
        }
        let other = stored.deal.other_party(actor.user.id);
        match self
            .reach_of(Channel::DealMessage, actor, other, None)
            .await
        {
            Err(ActionError::NotFound) => {
                return Err(invalid("message", "deal-error-messages-closed"))
            }
            refused @ Err(_) => return refused.map(|_| ()),
            Ok(_) => {}
        }
        self.check_may_post(actor, crate::membership::sandbox::SandboxLimit::Messages)
            .await?;
        let id = self
            .market
            .add_message(stored, actor.user.id, &text, self.now_ms())
            .await?;
        // A held message reaches the other member only once a moderator lets it through.
        if self
            .hold_if_needed(actor, TargetKind::Message, id, &text)
            .await?
        {
            return Ok(());
        }
        self.notify_deal(actor, stored, NotificationKind::DealMessage)
            .await
    }

    /// A deal the actor is part of, to act on toward the other party on `channel` (terms, an
    /// agreement, a payment, thanks): the reach rule refuses it across a block or from a
    /// suspended member, as it refuses the deal's messages.
    async fn deal_across(
        &self,
        actor: &Actor,
        id: i64,
        channel: Channel,
    ) -> Result<StoredDeal, ActionError> {
        let stored = self.deal_for(actor, id).await?;
        let other = stored.deal.other_party(actor.user.id);
        match self.reach_of(channel, actor, other, None).await {
            Err(ActionError::NotFound) => Err(invalid("deal", "deal-error-messages-closed")),
            refused @ Err(_) => refused.map(|_| stored),
            Ok(_) => Ok(stored),
        }
    }

    /// A deal the actor is part of; anyone else gets "not found".
    pub async fn deal_for(&self, actor: &Actor, id: i64) -> Result<StoredDeal, ActionError> {
        self.market
            .deal(actor.circle.row_id, id)
            .await?
            .filter(|d| d.deal.is_party(actor.user.id))
            .ok_or(ActionError::NotFound)
    }

    /// A deal with its listing, the other member, conversation and thank-yous.
    pub async fn deal_page(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<(DealCard, Vec<Message>, Vec<Thanks>), ActionError> {
        let stored = self.deal_for(actor, id).await?;
        let moderated = self.moderated_filter(actor).await?;
        let messages = self
            .market
            .messages(id)
            .await?
            .into_iter()
            .filter(|m| !moderated.hides(TargetKind::Message, m.id))
            .collect();
        let thanks = self.market.thanks_on(actor.circle.row_id, id).await?;
        let card = self.deal_card(actor, stored).await?;
        Ok((card, messages, thanks))
    }

    pub(crate) async fn deal_card(
        &self,
        actor: &Actor,
        stored: StoredDeal,
    ) -> Result<DealCard, ActionError> {
        let other_id = stored.deal.other_party(actor.user.id);
        let people = self.people_by_id(actor, &[other_id]).await?;
        let listing = self
            .market
            .listing(actor.circle.row_id, stored.deal.listing_id)
            .await?;
        Ok(DealCard {
            other: people.get(&other_id).cloned(),
            listing,
            stored,
        })
    }

    /// The actor's deals, most recent first.
    pub async fn my_deals(&self, actor: &Actor) -> Result<Vec<DealCard>, ActionError> {
        let deals = self
            .market
            .deals_of(actor.circle.row_id, actor.user.id)
            .await?;
        let mut cards = Vec::with_capacity(deals.len());
        for stored in deals {
            cards.push(self.deal_card(actor, stored).await?);
        }
        Ok(cards)
    }

    pub async fn deal_message(
        &self,
        actor: &Actor,
        id: i64,
        text: &str,
    ) -> Result<(), ActionError> {
        let stored = self.deal_for(actor, id).await?;
        if text.trim().is_empty() {
            return Err(invalid("message", "deal-error-message-empty"));
        }
        self.post_message(actor, &stored, text.trim()).await
    }

    /// Proposes terms: a description and an amount in the circle's unit, or a gift.
    pub async fn propose_terms(
        &self,
        actor: &Actor,
        id: i64,
        description: &str,
        amount: &str,
        gift: bool,
    ) -> Result<StoredDeal, ActionError> {
        let stored = self.deal_across(actor, id, Channel::DealMessage).await?;
        let amount_minor = if gift {
            None
        } else {
            Some(
                parse_amount(&actor.circle, amount)
                    .map_err(|_| invalid("amount", "deal-error-terms"))?,
            )
        };
        let after = stored
            .deal
            .propose(actor.user.id, description, amount_minor)?;
        self.save_and_tell(actor, &stored, &after).await
    }

    /// Saves a deal's change (refused if the deal moved on since `stored`) and tells the other
    /// party.
    async fn save_and_tell(
        &self,
        actor: &Actor,
        stored: &StoredDeal,
        after: &Deal,
    ) -> Result<StoredDeal, ActionError> {
        let saved = self.market.save_deal(stored, after, self.now_ms()).await?;
        self.notify_deal(actor, &saved, NotificationKind::DealUpdate)
            .await?;
        Ok(saved)
    }

    /// Agrees to the terms shown at `seen_version` (when given): terms changed since are not
    /// agreed to unseen.
    pub async fn agree_terms(
        &self,
        actor: &Actor,
        id: i64,
        seen_version: Option<i64>,
    ) -> Result<StoredDeal, ActionError> {
        let stored = self.deal_across(actor, id, Channel::DealMessage).await?;
        if seen_version.is_some_and(|v| v != stored.version) {
            return Err(MarketError::Conflict.into());
        }
        let after = stored.deal.agree(actor.user.id)?;
        self.save_and_tell(actor, &stored, &after).await
    }

    pub async fn cancel_deal(&self, actor: &Actor, id: i64) -> Result<StoredDeal, ActionError> {
        let stored = self.deal_for(actor, id).await?;
        let after = stored.deal.cancel(actor.user.id)?;
        self.save_and_tell(actor, &stored, &after).await
    }

    /// The payer confirms the work is done: their signed transfer, which names the deal, moves
    /// the agreed amount (nothing moves for a gift), and the deal is completed. The transfer's
    /// nonce is derived from the deal and its version, so a repeated click submits the very
    /// same signed request and the ledger answers it as a duplicate: nobody pays twice.
    pub async fn complete_deal(
        &self,
        actor: &Actor,
        id: i64,
        seen_version: Option<i64>,
    ) -> Result<StoredDeal, ActionError> {
        // What a deal already agreed is settled even across a later block: the payment
        // carries no words, and owing must never be escaped by blocking.
        let stored = self.deal_for(actor, id).await?;
        if seen_version.is_some_and(|v| v != stored.version)
            && stored.deal.status != deal::Status::Completed
        {
            return Err(MarketError::Conflict.into());
        }
        let amount = stored.deal.may_complete(actor.user.id)?;
        let payment_seq = match amount {
            None => None,
            Some(amount_minor) => {
                let payee_id = stored.deal.payee();
                let people = self.people_by_id(actor, &[payee_id]).await?;
                let payee = people
                    .get(&payee_id)
                    .ok_or_else(|| invalid("deal", "deal-error-payee-gone"))?;
                let key = self.signing_key(actor)?;
                let signed = Request {
                    circle_id: actor.circle.circle_id,
                    author: key.public_key(),
                    nonce: deal_nonce(&actor.circle.circle_id, stored.deal.id),
                    body: Body::Transfer {
                        payer: actor.membership.account_key,
                        payee: payee.account_key,
                        amount_minor,
                        memo_hash: None,
                        cause: Cause::Reference(stored.deal.reference()),
                    },
                }
                .sign(&key);
                let appended = self.store.append(&actor.circle.slug, signed, None).await?;
                Some(appended.seq)
            }
        };
        let after = stored.deal.completed(actor.user.id, payment_seq)?;
        // Once money moved, the deal is completed with the terms it was agreed on, even if the
        // other member re-proposed or called it off in the meantime.
        let mut base = stored;
        let mut attempts = 0;
        let saved = loop {
            match self.market.save_deal(&base, &after, self.now_ms()).await {
                Ok(saved) => break saved,
                Err(MarketError::Conflict) if attempts < 5 => {
                    attempts += 1;
                    let now = self.deal_for(actor, id).await?;
                    if now.deal.status == deal::Status::Completed {
                        // A repeated click recorded it already.
                        return Ok(now);
                    }
                    if payment_seq.is_none() {
                        return Err(MarketError::Conflict.into());
                    }
                    base = now;
                }
                Err(error) => return Err(error.into()),
            }
        };
        self.notify_deal(actor, &saved, NotificationKind::DealUpdate)
            .await?;
        Ok(saved)
    }

    /// Leaves a public thank-you on a completed deal.
    pub async fn thank(&self, actor: &Actor, id: i64, text: &str) -> Result<(), ActionError> {
        let stored = self.deal_across(actor, id, Channel::DealMessage).await?;
        self.market
            .thank(&stored, actor.user.id, text, self.now_ms())
            .await?;
        self.notify_deal(actor, &stored, NotificationKind::Thanks)
            .await
    }

    /// Thank-yous a member received (their page).
    pub async fn thanks_to(&self, actor: &Actor, member: i64) -> Result<Vec<Thanks>, ActionError> {
        Ok(self.market.thanks_to(actor.circle.row_id, member).await?)
    }

    /// A member's completed deals (their page), with their listings.
    pub async fn completed_deals(
        &self,
        actor: &Actor,
        member: i64,
    ) -> Result<Vec<(StoredDeal, Option<Listing>)>, ActionError> {
        let mut out = Vec::new();
        for stored in self
            .market
            .completed_deals_of(actor.circle.row_id, member)
            .await?
        {
            let listing = self
                .market
                .listing(actor.circle.row_id, stored.deal.listing_id)
                .await?;
            out.push((stored, listing));
        }
        Ok(out)
    }
}
