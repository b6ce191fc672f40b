//! Paying a member of a linked circle: the quote the payer confirms (the amount in both
//! units), then the payment, held here, recorded there, settled here; never twice for one
//! idempotency key, whatever fails between.

#![allow(clippy::result_large_err)]

use commons_ledger::crossing::{Hold, HoldSource, TransferId};
use commons_ledger::entry::Body;
use commons_ledger::keys::Hash;
use commons_ledger::store::Outcome;

use crate::db::{MemberCard, MemberStatus};
use crate::ledger::form::{MemoText, TransferCommand};
use crate::links::onward::{Destination, RouteEnd};
use crate::links::LinkedCircle;
use crate::names::Username;
use crate::reach::Channel;
use crate::services::*;

/// How long the payee's circle accepts a payment after it was sent (ms).
pub const CROSS_DEADLINE_MS: i64 = 10 * 60 * 1000;

/// A payment to a member of a linked circle, as the payer asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossPayCommand {
    /// The linked circle's slug.
    pub circle: String,
    pub member: Username,
    /// In the payer's circle's minor units, above zero.
    pub amount_minor: i64,
    pub memo: Option<MemoText>,
}

/// Whom a payment across goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payee {
    pub username: String,
    pub display_name: String,
    pub account_key: commons_ledger::keys::PublicKey,
}

/// What the payer confirms: whom, where, and the amount in both units.
#[derive(Debug, Clone)]
pub struct CrossQuote {
    /// The linked circle the payment goes to first.
    pub linked: LinkedCircle,
    /// Through `linked` on to this circle (a middle circle's route), with what arrives there at
    /// the middle circle's rate.
    pub end: Option<(RouteEnd, i64)>,
    pub payee: Payee,
    pub amount_minor: i64,
    /// In the linked circle's unit.
    pub amount_there_minor: i64,
}

impl CrossQuote {
    /// The payee's circle's name (the end of a route, or the linked circle).
    pub fn circle_name(&self) -> &str {
        self.end
            .as_ref()
            .map_or(&self.linked.partner.name, |(end, _)| &end.name)
    }
    /// What the payee receives, in their circle's unit.
    pub fn amount_received_minor(&self) -> i64 {
        self.end
            .as_ref()
            .map_or(self.amount_there_minor, |(_, amount)| *amount)
    }
}

/// How a payment across ended for the payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrossResult {
    Paid,
    /// Refused on the way; nothing moved anywhere: why (a stable code, see
    /// `exchange_receive::refusal_code`), and the other circle's own words.
    Refused {
        code: String,
        message: String,
    },
    /// On its way: the node finishes it (or releases it on the other side's word).
    OnItsWay,
}

impl Services {
    /// A payment across as a form or the API gives it, parsed once: `circle` is a payable
    /// circle's reference (its slug here, or its address on another node), `member` a name in
    /// it, `amount` in the payer's unit.
    pub async fn cross_command(
        &self,
        actor: &Actor,
        circle: &str,
        member: &str,
        amount: &str,
        memo: &str,
    ) -> Result<CrossPayCommand, ActionError> {
        let destination = self.destination_named(actor, circle).await?;
        let member = match &destination.end {
            None => {
                self.member_named_across(actor, &destination.via, member)
                    .await?
            }
            Some(end) => match self.store.circle_by_id(&end.circle_id).await? {
                Some(info) => {
                    self.member_named_in(info.row_id, actor.user.id, member)
                        .await?
                }
                None => member.trim().trim_start_matches('@').to_owned(),
            },
        };
        let command = TransferCommand::parse(&actor.circle, &member, amount, memo)?;
        Ok(CrossPayCommand {
            circle: destination.reference(),
            member: command.member,
            amount_minor: command.amount_minor,
            memo: command.memo,
        })
    }

    /// The circle's open links a member can pay across now: open on this side, and (for a
    /// circle of this node) open on the other side too, so nobody's credit waits on a link
    /// the other circle has not agreed to.
    pub async fn payable_circles(&self, actor: &Actor) -> Result<Vec<LinkedCircle>, ActionError> {
        let mut payable = Vec::new();
        for linked in self.linked_circles(&actor.circle).await? {
            if !linked.is_open() {
                continue;
            }
            if let Some(info) = self.store.circle_by_id(&linked.partner.circle_id).await? {
                let back = self.store.link(&info, &actor.circle.circle_id).await?;
                if !back.is_some_and(|row| row.status == commons_ledger::crossing::LinkStatus::Open)
                {
                    continue;
                }
            }
            payable.push(linked);
        }
        Ok(payable)
    }

    /// Where a form's circle reference points: a payable circle, or a circle one of them passes
    /// payments on to (only that one is asked).
    pub(crate) async fn destination_named(
        &self,
        actor: &Actor,
        reference: &str,
    ) -> Result<Destination, ActionError> {
        let reference = reference.trim();
        let (via_reference, end) = match reference.split_once('#') {
            Some((via, end)) => (via, Some(end)),
            None => (reference, None),
        };
        let via = self
            .payable_circles(actor)
            .await?
            .into_iter()
            .find(|linked| linked.partner.reference == via_reference)
            .ok_or(invalid("circle", "cross-error-circle"))?;
        let Some(end) = end else {
            return Ok(Destination { via, end: None });
        };
        let end = self
            .destinations_through(actor, &via)
            .await?
            .into_iter()
            .find(|destination| destination.reference() == reference)
            .and_then(|destination| destination.end)
            .filter(|found| found.circle_id.to_hex() == end)
            .ok_or(invalid("circle", "cross-error-circle"))?;
        Ok(Destination {
            via,
            end: Some(end),
        })
    }

    /// Checks a payment across and converts its amount: an open link, an active member of
    /// that circle whom the reach rule lets the payer pay, an amount worth something there.
    pub async fn quote_across(
        &self,
        actor: &Actor,
        command: &CrossPayCommand,
    ) -> Result<CrossQuote, ActionError> {
        let destination = self.destination_named(actor, &command.circle).await?;
        let linked = destination.via;
        if let Some(end) = destination.end {
            return self.quote_onward(actor, command, linked, end).await;
        }
        let payee = if let Some((their_path, _)) = crate::links::cc::send::paths(&linked.link) {
            // An account of a Credit Commons partner: named by its path there, on its word.
            let path = format!("{their_path}/{}", command.member.as_str());
            if !commons_ledger::crossing::is_cc_path(&path) {
                return Err(invalid("member", "error-member-unknown"));
            }
            Payee {
                username: path.clone(),
                display_name: path.clone(),
                account_key: commons_ledger::crossing::cc_account_key(&path),
            }
        } else if linked.partner.address.is_empty() {
            self.local_payee(actor, &linked, command).await?
        } else {
            // A circle on another node says who the username is there (a signed question);
            // its own node keeps its members' blocks, this one the payer's.
            if self
                .blocked_across(
                    actor.user.id,
                    &linked.partner.circle_id.0,
                    command.member.as_str(),
                )
                .await?
            {
                return Err(invalid("member", "error-member-unknown"));
            }
            let (display_name, account_key) = self
                .ask_payee(&actor.circle, &linked.partner, command.member.as_str())
                .await?;
            Payee {
                username: command.member.as_str().to_owned(),
                display_name,
                account_key,
            }
        };
        let amount_there_minor = linked
            .link
            .terms
            .rate()
            .and_then(|rate| rate.convert(command.amount_minor))
            .map_err(|_| invalid("amount", "cross-error-too-small"))?;
        Ok(CrossQuote {
            linked,
            end: None,
            payee,
            amount_minor: command.amount_minor,
            amount_there_minor,
        })
    }

    /// A payment through a middle circle: the payee named by the end circle (on this node, if
    /// the reach rule lets the payer pay them), the amount at each link's rate.
    async fn quote_onward(
        &self,
        actor: &Actor,
        command: &CrossPayCommand,
        linked: LinkedCircle,
        end: RouteEnd,
    ) -> Result<CrossQuote, ActionError> {
        let payee = match self.store.circle_by_id(&end.circle_id).await? {
            Some(info) => {
                let (_, card) = self
                    .member_reached_in(actor, &info, command.member.as_str(), Channel::Payment)
                    .await?;
                Payee {
                    username: card.username,
                    display_name: card.display_name,
                    account_key: card.account_key,
                }
            }
            None => {
                let (display_name, account_key) = self
                    .payee_onward(&actor.circle, &linked, &end, command.member.as_str())
                    .await?;
                Payee {
                    username: command.member.as_str().to_owned(),
                    display_name,
                    account_key,
                }
            }
        };
        let too_small = |_| invalid("amount", "cross-error-too-small");
        let amount_there_minor = linked
            .link
            .terms
            .rate()
            .and_then(|rate| rate.convert(command.amount_minor))
            .map_err(too_small)?;
        let amount_end_minor = end.onward.convert(amount_there_minor).map_err(too_small)?;
        Ok(CrossQuote {
            linked,
            end: Some((end, amount_end_minor)),
            payee,
            amount_minor: command.amount_minor,
            amount_there_minor,
        })
    }

    /// An active member of a linked circle of this node, whom the reach rule lets the payer pay.
    async fn local_payee(
        &self,
        actor: &Actor,
        linked: &LinkedCircle,
        command: &CrossPayCommand,
    ) -> Result<Payee, ActionError> {
        let (_, card) = self
            .member_reached_across(actor, linked, command.member.as_str(), Channel::Payment)
            .await?;
        Ok(Payee {
            username: card.username,
            display_name: card.display_name,
            account_key: card.account_key,
        })
    }

    /// An active member (not the actor) of a linked circle of this node whom the one reach rule
    /// lets `actor` reach on `channel`, with that circle; across a block, or nobody by that
    /// name, the member is not there (the form says so on its member field).
    pub(crate) async fn member_reached_across(
        &self,
        actor: &Actor,
        linked: &LinkedCircle,
        username: &str,
        channel: Channel,
    ) -> Result<(commons_ledger::store::CircleInfo, MemberCard), ActionError> {
        let info = self.store.circle(&linked.partner.reference).await?;
        self.member_reached_in(actor, &info, username, channel)
            .await
    }

    /// The same, for a member of `info`, a circle of this node.
    pub(crate) async fn member_reached_in(
        &self,
        actor: &Actor,
        info: &commons_ledger::store::CircleInfo,
        username: &str,
        channel: Channel,
    ) -> Result<(commons_ledger::store::CircleInfo, MemberCard), ActionError> {
        let info = info.clone();
        let card: MemberCard = self
            .db
            .member_by_username(info.row_id, username)
            .await?
            .filter(|card| card.status == MemberStatus::Active && card.user_id != actor.user.id)
            .ok_or(invalid("member", "error-member-unknown"))?;
        match self.reach_of(channel, actor, card.user_id, None).await {
            Err(ActionError::NotFound) => Err(invalid("member", "error-member-unknown")),
            other => other.map(|_| (info, card)),
        }
    }

    /// The id of the payment across that `attempt` makes (the same for every retry).
    pub(crate) fn transfer_for(&self, actor: &Actor, attempt: &IdempotencyKey) -> TransferId {
        let nonce = attempt.nonce(actor, "pay-across");
        let digest = Hash::sha256(&[b"commons.web.transfer-id", &nonce.0]);
        let mut transfer = [0u8; 16];
        transfer.copy_from_slice(&digest.0[..16]);
        TransferId(transfer)
    }

    /// Pays across. The idempotency key fixes the transfer id and the signed hold, so a retry
    /// finds the first attempt and takes it further instead of paying again.
    pub async fn pay_across(
        &self,
        actor: &Actor,
        command: &CrossPayCommand,
        attempt: &IdempotencyKey,
    ) -> Result<(CrossQuote, CrossResult), ActionError> {
        let quote = self.quote_across(actor, command).await?;
        let nonce = attempt.nonce(actor, "pay-across");
        let transfer = self.transfer_for(actor, attempt);
        let peers = self.node_peers();
        let outcome = match self.store.transfer_entry(&actor.circle, &transfer).await? {
            Some(earlier) => {
                self.store
                    .advance_hold(&actor.circle, earlier.entry.seq, &peers)
                    .await?
            }
            None => {
                let memo = command.memo.as_ref().map(|memo| memo.as_str().to_owned());
                let deadline_ms = self.now_ms() + CROSS_DEADLINE_MS;
                self.keep_cc_payment(actor, &quote, transfer, memo.as_deref(), deadline_ms)
                    .await?;
                let (signed, memo) = self.sign_as_member(actor, nonce, memo, |memo_hash| {
                    Body::Hold(Hold {
                        transfer,
                        source: HoldSource::Member(actor.membership.account_key),
                        partner: quote.linked.partner.circle_id,
                        amount_minor: quote.amount_minor,
                        amount_there_minor: quote.amount_there_minor,
                        destination: quote
                            .end
                            .as_ref()
                            .map_or(quote.linked.partner.circle_id, |(end, _)| end.circle_id),
                        payee: quote.payee.account_key,
                        deadline_ms,
                        memo_hash,
                    })
                })?;
                self.store
                    .send_across(&actor.circle, signed, memo, &peers)
                    .await?
                    .1
            }
        };
        let result = match outcome {
            Outcome::Completed { .. } => CrossResult::Paid,
            Outcome::Refused { code, message } => CrossResult::Refused { code, message },
            Outcome::InFlight { why } => {
                tracing::warn!(circle = %actor.circle.slug, %transfer, why, "a payment across is still on its way");
                CrossResult::OnItsWay
            }
        };
        Ok((quote, result))
    }

    /// Takes every payment across still on its way one step further (after a restart, or
    /// when the other side could not answer): run by the node's background jobs.
    pub async fn finish_payments_across(&self) -> Result<usize, ActionError> {
        let peers = self.node_peers();
        let mut finished = 0;
        for info in self.store.circles().await? {
            for hold in self.store.holds_in_flight(&info).await? {
                let outcome = self
                    .store
                    .advance_hold(&info, hold.entry.seq, &peers)
                    .await?;
                if !matches!(outcome, Outcome::InFlight { .. }) {
                    finished += 1;
                }
            }
        }
        Ok(finished)
    }
}
