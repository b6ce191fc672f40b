//! Deals across a link: a member answers a listing a linked circle shares ("I can help", "I'm
//! interested"), the two talk, one proposes terms (in the listing's circle's unit, shown in
//! both), the other agrees, and the payer confirms with a payment across, once. The rules are
//! the same as within a circle (`commons_market::deal`), the other circle's member being the
//! party [`deal::ACROSS`].
//!
//! Each node keeps its own member's side (`db/link_deals.rs`). The listing's author's side
//! decides every step, as the listing lives there; the other side asks it (a message signed by
//! its circle's node key, `deal_receive.rs`) and mirrors its answer. One node with both
//! circles keeps both sides and passes the same messages to itself.
//!
//! Who may: opening, a member of a circle whose link shares the market both ways, on a listing
//! they may see there ([`Services::listing_across`]) and whose author the reach rule lets them
//! reach (on this node; across nodes, each node holds its own members' blocks); every other step, only
//! the member whose side it is, within the deal's rules; a completion of another node's
//! member, only with the payment across having arrived here. A suspended member opens,
//! writes and proposes nothing.

use commons_ledger::keys::Hash;
use commons_ledger::store::CircleInfo;
use commons_market::deal::{self, Deal, DealError, Status};

use crate::db::link_deals::{LinkDealMessage, LinkDealRow};
use crate::links::deal_wire::*;
use crate::links::{CrossPayCommand, CrossResult, LinkedCircle};
use crate::reach::Channel;
use crate::services::*;

/// Most deals one member of a linked circle may have open with this circle's members, and one
/// member here with the members of one linked circle.
pub const LINK_DEALS_OPEN_PER_MEMBER_MAX: i64 = 20;
pub const LINK_DEALS_OPEN_WITH_CIRCLE_MAX: i64 = 50;
/// Most deals across a member's deals page lists.
pub const LINK_DEALS_LISTED_MAX: i64 = 100;
/// Most deals across one takeout holds per circle (far more than anyone keeps; memory stays
/// bounded).
pub const LINK_DEALS_TAKEOUT_MAX: i64 = 10_000;

/// A step a member takes on a deal across (besides talking and completing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DealStep {
    /// Terms: what, and the amount in the listing's circle's unit (`None`: a gift).
    Propose {
        description: String,
        amount_minor: Option<i64>,
    },
    Agree,
    Cancel,
}

impl DealStep {
    fn event(&self) -> DealEvent {
        match self {
            DealStep::Propose { .. } => DealEvent::Propose,
            DealStep::Agree => DealEvent::Agree,
            DealStep::Cancel => DealEvent::Cancel,
        }
    }

    /// The deal after `actor` takes this step, if its rules allow it.
    pub fn apply(&self, deal: &Deal, actor: i64) -> Result<Deal, DealError> {
        match self {
            DealStep::Propose {
                description,
                amount_minor,
            } => deal.propose(actor, description, *amount_minor),
            DealStep::Agree => deal.agree(actor),
            DealStep::Cancel => deal.cancel(actor),
        }
    }
}

/// A deal across as its page shows it.
#[derive(Debug, Clone)]
pub struct DealAcross {
    pub row: LinkDealRow,
    pub linked: LinkedCircle,
    pub messages: Vec<LinkDealMessage>,
}

impl DealAcross {
    /// An amount in the listing's circle's unit, in the member's own: the same when they wrote
    /// the listing, else about what it comes to at their circle's rate.
    pub fn terms_here_minor(&self, amount_minor: i64) -> Option<i64> {
        if self.row.owner_here {
            return Some(amount_minor);
        }
        let rate = self.linked.link.terms.rate().ok()?;
        rate.cost_of(amount_minor).ok()
    }
}

fn derived_uuid(parts: &[&[u8]]) -> [u8; 16] {
    let digest = Hash::sha256(parts);
    let mut uuid = [0u8; 16];
    uuid.copy_from_slice(&digest.0[..16]);
    uuid
}

impl Services {
    /// "I can help" / "I'm interested" on a listing of a linked circle: opens the member's
    /// deal on it (or finds the one open), with an optional first message.
    pub async fn open_deal_across(
        &self,
        actor: &Actor,
        circle_id: &Hash,
        listing_id: i64,
        message: &str,
    ) -> Result<i64, ActionError> {
        self.check_not_suspended(actor)?;
        let listing = self.listing_across(actor, circle_id, listing_id).await?;
        let linked = self
            .shared_market_circles(actor)
            .await?
            .into_iter()
            .find(|linked| linked.partner.circle_id == *circle_id)
            .ok_or(ActionError::NotFound)?;
        let answered = self
            .db
            .link_deals_answered(actor.circle.row_id, actor.user.id, &circle_id.0, listing_id)
            .await?;
        let row = match answered.iter().find(|row| !row.status.is_closed()) {
            Some(open) => open.clone(),
            None => {
                self.reach_across(actor, &linked, &listing.author_username)
                    .await?;
                let uuid = derived_uuid(&[
                    b"commons.web.deal-across",
                    &actor.circle.circle_id.0,
                    &actor.user.id.to_be_bytes(),
                    &circle_id.0,
                    &listing_id.to_be_bytes(),
                    &(answered.len() as u64).to_be_bytes(),
                ]);
                let now_ms = self.now_ms();
                let side = LinkDealRow {
                    id: 0,
                    uuid,
                    owner_here: false,
                    circle: actor.circle.row_id,
                    user_id: actor.user.id,
                    partner: circle_id.0,
                    other_username: listing.author_username.clone(),
                    other_name: listing.author_name.clone(),
                    listing_id,
                    listing_title: listing.title.clone(),
                    side: listing.side,
                    status: Status::Open,
                    terms: None,
                    terms_by_owner: false,
                    version: 0,
                    transfer: None,
                    created_ms: now_ms,
                    updated_ms: now_ms,
                };
                let answer = self
                    .deliver(
                        actor,
                        &linked,
                        self.link_deal_message(actor, &side, DealEvent::Open),
                    )
                    .await?;
                if answer.outcome != DealOutcome::Done {
                    return Err(invalid("message", known_refusal(&answer.refusal)));
                }
                let side = answer
                    .state
                    .applied_to(&side)
                    .ok_or(invalid("message", "deal-across-refused"))?;
                self.db.keep_link_deal(&side).await?
            }
        };
        if !message.trim().is_empty() {
            self.message_deal_across(actor, row.id, message).await?;
        }
        Ok(row.id)
    }

    /// The member's open deal on a listing of a linked circle, if they have one.
    pub async fn open_deal_across_on(
        &self,
        actor: &Actor,
        circle_id: &Hash,
        listing_id: i64,
    ) -> Result<Option<i64>, ActionError> {
        Ok(self
            .db
            .link_deals_answered(actor.circle.row_id, actor.user.id, &circle_id.0, listing_id)
            .await?
            .into_iter()
            .find(|row| !row.status.is_closed())
            .map(|row| row.id))
    }

    /// The reach rule between the actor and the other circle's member: on this node a block
    /// either way, their mute, a suspension; on another node the actor's own block of them
    /// (theirs is kept by their node).
    async fn reach_across(
        &self,
        actor: &Actor,
        linked: &LinkedCircle,
        username: &str,
    ) -> Result<(), ActionError> {
        if linked.partner.address.is_empty() {
            match self
                .member_reached_across(actor, linked, username, Channel::DealMessage)
                .await
            {
                Err(ActionError::Invalid { .. }) => {
                    return Err(invalid("message", "deal-error-messages-closed"))
                }
                other => {
                    other?;
                }
            }
        } else if self
            .blocked_across(actor.user.id, &linked.partner.circle_id.0, username)
            .await?
        {
            return Err(invalid("message", "deal-error-messages-closed"));
        }
        Ok(())
    }

    /// The actor's side of a deal across, with its linked circle; anyone else gets 404.
    pub async fn link_deal_of(&self, actor: &Actor, id: i64) -> Result<DealAcross, ActionError> {
        let row = self
            .db
            .link_deal(id)
            .await?
            .filter(|row| row.circle == actor.circle.row_id && row.user_id == actor.user.id)
            .ok_or(ActionError::NotFound)?;
        let linked = self
            .linked_circles(&actor.circle)
            .await?
            .into_iter()
            .find(|linked| linked.partner.circle_id.0 == row.partner)
            .ok_or(ActionError::NotFound)?;
        let messages = self.db.link_deal_messages(row.id).await?;
        Ok(DealAcross {
            row,
            linked,
            messages,
        })
    }

    /// The member's deals across with the other member's circle's name, most recently
    /// changed first.
    pub async fn deals_across(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(LinkDealRow, String)>, ActionError> {
        let linked = self.linked_circles(&actor.circle).await?;
        let rows = self
            .db
            .link_deals_of(actor.circle.row_id, actor.user.id, LINK_DEALS_LISTED_MAX)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let circle = linked
                    .iter()
                    .find(|linked| linked.partner.circle_id.0 == row.partner)
                    .map(|linked| linked.partner.name.clone())
                    .unwrap_or_default();
                (row, circle)
            })
            .collect())
    }

    /// Writes in a deal across: delivered to the other side first (kept there once, however
    /// often it is retried), then kept here.
    pub async fn message_deal_across(
        &self,
        actor: &Actor,
        id: i64,
        text: &str,
    ) -> Result<(), ActionError> {
        self.check_not_suspended(actor)?;
        let across = self.link_deal_of(actor, id).await?;
        let row = &across.row;
        let text = crate::names::bounded_text(text, deal::MESSAGE_CHARS_MAX)
            .map_err(|_| invalid("message", "deal-error-message-long"))?;
        if text.is_empty() {
            return Err(invalid("message", "deal-error-message-empty"));
        }
        row.deal().may_message(actor.user.id)?;
        self.reach_across(actor, &across.linked, &row.other_username)
            .await?;
        self.check_may_post(actor, crate::membership::sandbox::SandboxLimit::Messages)
            .await?;
        let now_ms = self.now_ms();
        let (all, last_hour) = self
            .db
            .link_deal_messages_by(row.id, true, now_ms - 3_600_000)
            .await?;
        if all >= deal::MESSAGES_PER_AUTHOR_MAX as i64
            || last_hour >= deal::MESSAGES_PER_AUTHOR_PER_HOUR_MAX as i64
        {
            return Err(DealError::MessagingTooMuch.into());
        }
        let message_uuid = derived_uuid(&[
            b"commons.web.deal-across-message",
            &row.uuid,
            &actor.user.id.to_be_bytes(),
            &all.to_be_bytes(),
            text.as_bytes(),
        ]);
        let mut message = self.link_deal_message(actor, row, DealEvent::Message);
        message.text = text.clone();
        message.message_uuid = hex::encode(message_uuid);
        let answer = self.deliver(actor, &across.linked, message).await?;
        if answer.outcome != DealOutcome::Done {
            return Err(invalid("message", known_refusal(&answer.refusal)));
        }
        self.db
            .add_link_deal_message(row.id, &message_uuid, true, &text, now_ms)
            .await?;
        Ok(())
    }

    /// Terms as a member typed them on a deal across: the amount in the listing's circle's
    /// unit (their own when they wrote it), or a gift.
    pub async fn terms_across(
        &self,
        actor: &Actor,
        id: i64,
        description: &str,
        amount: &str,
        gift: bool,
    ) -> Result<DealStep, ActionError> {
        let across = self.link_deal_of(actor, id).await?;
        let description = crate::names::bounded_text(description, deal::TERMS_CHARS_MAX)
            .map_err(|_| invalid("description", "deal-error-terms"))?;
        let decimals = if across.row.owner_here {
            actor.circle.decimals
        } else {
            across.linked.partner.decimals
        };
        let amount_minor = if gift {
            None
        } else {
            Some(
                parse_amount_in(decimals, amount)
                    .map_err(|_| invalid("amount", "deal-error-terms"))?,
            )
        };
        Ok(DealStep::Propose {
            description,
            amount_minor,
        })
    }

    /// Proposes terms, agrees, or calls the deal off, as seen at `seen_version`: decided on
    /// this side when the member wrote the listing, else asked of the owner's side.
    pub async fn step_deal_across(
        &self,
        actor: &Actor,
        id: i64,
        step: DealStep,
        seen_version: Option<i64>,
    ) -> Result<LinkDealRow, ActionError> {
        if step != DealStep::Cancel {
            self.check_not_suspended(actor)?;
        }
        let across = self.link_deal_of(actor, id).await?;
        let row = &across.row;
        if seen_version.is_some_and(|version| version != row.version) {
            return Err(invalid("deal", "error-conflict"));
        }
        let after = step.apply(&row.deal(), actor.user.id)?;
        if step != DealStep::Cancel {
            self.reach_across(actor, &across.linked, &row.other_username)
                .await?;
        }
        if row.owner_here {
            return self
                .decide_and_tell(actor, &across.linked, row, &after)
                .await;
        }
        let mut message = self.link_deal_message(actor, row, step.event());
        if let DealStep::Propose {
            description,
            amount_minor,
        } = &step
        {
            message.text = description.trim().to_owned();
            message.amount_minor = *amount_minor;
        }
        self.ask_owner_side(actor, &across.linked, row, message)
            .await
    }

    /// The owner's side takes a step its own member decided, then tells the other side (a
    /// node that cannot be told now learns it with the next answer it gets).
    async fn decide_and_tell(
        &self,
        actor: &Actor,
        linked: &LinkedCircle,
        row: &LinkDealRow,
        after: &Deal,
    ) -> Result<LinkDealRow, ActionError> {
        let next = LinkDealRow {
            version: row.version + 1,
            ..row.with(after)
        };
        let saved = self
            .db
            .save_link_deal(row, &next, self.now_ms())
            .await?
            .ok_or(invalid("deal", "error-conflict"))?;
        let mut message = self.link_deal_message(actor, &saved, DealEvent::State);
        message.state = Some(DealState::of(&saved));
        if let Err(error) = self.deliver(actor, linked, message).await {
            tracing::warn!(
                ?error,
                "the other side of a deal across was not told of a step"
            );
        }
        Ok(saved)
    }

    /// Asks the owner's side to take a step and mirrors what it decided.
    async fn ask_owner_side(
        &self,
        actor: &Actor,
        linked: &LinkedCircle,
        row: &LinkDealRow,
        message: DealMessage,
    ) -> Result<LinkDealRow, ActionError> {
        let answer = self.deliver(actor, linked, message).await?;
        let mirrored = self.mirror(&actor.circle, row, &answer.state).await?;
        match answer.outcome {
            DealOutcome::Done => Ok(mirrored),
            DealOutcome::Changed => Err(invalid("deal", "error-conflict")),
            DealOutcome::Refused => Err(invalid("deal", known_refusal(&answer.refusal))),
        }
    }

    /// Keeps what the owner's side decided, when it is newer than what this side holds. A deal
    /// that pays this side's member is kept as completed only once the payment arrived here.
    pub(crate) async fn mirror(
        &self,
        info: &CircleInfo,
        row: &LinkDealRow,
        state: &DealState,
    ) -> Result<LinkDealRow, ActionError> {
        let Some(next) = state.applied_to(row) else {
            return Err(invalid("deal", "deal-across-refused"));
        };
        if next.version <= row.version {
            return Ok(row.clone());
        }
        if !self.completion_holds(info, row, &next).await? {
            return Err(invalid("deal", "deal-across-not-paid"));
        }
        Ok(self
            .db
            .save_link_deal(row, &next, self.now_ms())
            .await?
            .unwrap_or(next))
    }

    /// Whether a completion the other side tells of holds here: nothing to check unless this
    /// side's member is paid, and then the payment (converted at the rate both circles
    /// agreed, as an arrival is) must be on this ledger.
    async fn completion_holds(
        &self,
        info: &CircleInfo,
        row: &LinkDealRow,
        next: &LinkDealRow,
    ) -> Result<bool, ActionError> {
        let paid_here = next.deal().payee() == row.user_id;
        let amount = next.terms.as_ref().and_then(|terms| terms.1);
        let (true, Some(amount_minor), Status::Completed) = (paid_here, amount, next.status) else {
            return Ok(true);
        };
        let Some(link) = self.store.link(info, &Hash(row.partner)).await? else {
            return Ok(false);
        };
        let at_least = commons_ledger::link::ExchangeRate::new(
            link.terms.rate_there_minor,
            link.terms.rate_here_minor,
        )
        .and_then(|rate| rate.convert(amount_minor))
        .unwrap_or(i64::MAX);
        let transfer = next.transfer.clone().unwrap_or_default();
        self.payment_arrived(info, row, &transfer, at_least).await
    }

    /// The payer confirms the deal is done: pays the agreed amount across (once, whatever is
    /// retried: the payment's key is the deal's), then the deal is completed. The amount is
    /// the listing's circle's: its author pays exactly it, or receives at least it.
    pub async fn complete_deal_across(
        &self,
        actor: &Actor,
        id: i64,
        seen_version: Option<i64>,
    ) -> Result<LinkDealRow, ActionError> {
        let across = self.link_deal_of(actor, id).await?;
        let row = &across.row;
        if row.status == Status::Completed {
            return Ok(row.clone());
        }
        if seen_version.is_some_and(|version| version != row.version) {
            return Err(invalid("deal", "error-conflict"));
        }
        let before = row.deal();
        let amount = before.may_complete(actor.user.id)?;
        let transfer = match amount {
            None => None,
            Some(amount_minor) => Some(self.pay_for_deal(actor, &across, amount_minor).await?),
        };
        let after = before.completed(actor.user.id, None)?;
        if row.owner_here {
            // Once money moved, the deal completes on the terms it was paid for, even if the
            // other member proposed again meanwhile.
            let mut base = row.clone();
            for _ in 0..5 {
                let paid = LinkDealRow {
                    transfer: transfer.clone(),
                    ..base.clone()
                };
                match self
                    .decide_and_tell(actor, &across.linked, &paid, &after)
                    .await
                {
                    Err(ActionError::Invalid {
                        message_id: "error-conflict",
                        ..
                    }) if transfer.is_some() => {
                        base = self
                            .db
                            .link_deal(row.id)
                            .await?
                            .ok_or(ActionError::NotFound)?;
                        if base.status == Status::Completed {
                            return Ok(base);
                        }
                    }
                    other => return other,
                }
            }
            return Err(invalid("deal", "error-conflict"));
        }
        let mut message = self.link_deal_message(actor, row, DealEvent::Completed);
        let terms = before.terms.as_ref();
        message.text = terms.map(|t| t.description.clone()).unwrap_or_default();
        message.amount_minor = amount;
        message.transfer = transfer.unwrap_or_default();
        self.ask_owner_side(actor, &across.linked, row, message)
            .await
    }

    /// Pays the deal's amount across; the payment's id (hex) once it arrived.
    async fn pay_for_deal(
        &self,
        actor: &Actor,
        across: &DealAcross,
        amount_minor: i64,
    ) -> Result<String, ActionError> {
        let row = &across.row;
        let pay_minor = if row.owner_here {
            amount_minor
        } else {
            across
                .linked
                .link
                .terms
                .rate()
                .and_then(|rate| rate.cost_of(amount_minor))
                .map_err(|_| invalid("amount", "cross-error-too-small"))?
        };
        let command = CrossPayCommand {
            circle: across.linked.partner.reference.clone(),
            member: row
                .other_username
                .parse()
                .map_err(|_| invalid("member", "error-member-unknown"))?,
            amount_minor: pay_minor,
            memo: crate::ledger::form::MemoText::parse(&truncated_memo(&row.listing_title))
                .ok()
                .flatten(),
        };
        let attempt: IdempotencyKey = format!("deal-across-{}", hex::encode(row.uuid)).parse()?;
        let transfer = self.transfer_for(actor, &attempt);
        let (_, result) = self.pay_across(actor, &command, &attempt).await?;
        match result {
            CrossResult::Paid => Ok(transfer.to_string()),
            CrossResult::OnItsWay => Err(invalid("deal", "deal-across-on-its-way")),
            CrossResult::Refused { .. } => Err(invalid("deal", "deal-across-payment-refused")),
        }
    }

    /// A message about `row` from the actor's side, unsigned.
    fn link_deal_message(&self, actor: &Actor, row: &LinkDealRow, event: DealEvent) -> DealMessage {
        DealMessage {
            format: DEAL_FORMAT.into(),
            from: actor.circle.circle_id.to_hex(),
            to: hex::encode(row.partner),
            uuid: hex::encode(row.uuid),
            event,
            from_owner: row.owner_here,
            sender: actor.user.username.clone(),
            sender_name: actor.user.display_name.clone(),
            receiver: row.other_username.clone(),
            listing: row.listing_id,
            version: row.version,
            text: String::new(),
            amount_minor: None,
            message_uuid: String::new(),
            transfer: String::new(),
            state: None,
            at_ms: self.now_ms(),
            signature: String::new(),
        }
    }

    /// Signs a message with the actor's circle's node key and hands it to the other side: on
    /// this node directly, else to its node.
    async fn deliver(
        &self,
        actor: &Actor,
        linked: &LinkedCircle,
        mut message: DealMessage,
    ) -> Result<DealAnswer, ActionError> {
        self.sign_message(&actor.circle, &mut message).await?;
        if linked.partner.address.is_empty() {
            return Box::pin(self.answer_deal_message(&linked.partner.slug, &message))
                .await
                .map_err(|error| {
                    tracing::warn!(%error, "a deal message on this node was refused");
                    invalid("deal", "deal-across-refused")
                });
        }
        self.federation
            .tell_deal(&linked.partner.address, &linked.partner.slug, &message)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "a linked circle's node could not be told of a deal");
                invalid("deal", "deal-across-unreachable")
            })
    }
}

/// A listing's title as a payment's memo (at most the memo's bytes, cut at a character).
fn truncated_memo(title: &str) -> String {
    let mut end = title.len().min(commons_ledger::entry::MEMO_BYTES_MAX);
    while !title.is_char_boundary(end) {
        end -= 1;
    }
    title[..end].to_owned()
}
