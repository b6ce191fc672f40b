//! A linked circle's node telling this one about a deal between their members: the signed
//! [`DealMessage`] is checked by the one rule for node messages (`check_message`), names are
//! parsed again under this node's rules, and the step is taken by the deal's own rules with
//! the other node's member as the party [`deal::ACROSS`]. A message only touches a side whose
//! other member is the sender's own; a completion by the other node's member needs the payment
//! across to have arrived here, to this node's member, for at least the agreed amount.

use commons_ledger::crossing::TransferId;
use commons_ledger::entry::Body;
use commons_ledger::keys::Hash;
use commons_ledger::store::CircleInfo;
use commons_market::deal::{self, Deal, DealError, Status};
use commons_market::listing::Side;

use crate::db::link_deals::LinkDealRow;
use crate::db::MemberStatus;
use crate::links::deal_wire::*;
use crate::links::deals::{
    DealStep, LINK_DEALS_OPEN_PER_MEMBER_MAX, LINK_DEALS_OPEN_WITH_CIRCLE_MAX,
};
use crate::links::federation::FederationError;
use crate::links::market::AcrossQuery;
use crate::notifications::{NewNotification, NotificationKind};
use crate::reach::Channel;
use crate::services::*;

fn unreadable(what: &str) -> FederationError {
    FederationError::Unreadable(what.to_owned())
}

fn answer(outcome: DealOutcome, refusal: String, row: &LinkDealRow) -> DealAnswer {
    DealAnswer {
        outcome,
        refusal,
        state: DealState::of(row),
        listing_title: row.listing_title.clone(),
        side: row.side.as_str().to_owned(),
    }
}

fn refused(error: DealError, row: &LinkDealRow) -> DealAnswer {
    answer(DealOutcome::Refused, refusal_of(error), row)
}

impl Services {
    /// Takes a linked circle's node's message about a deal between their members.
    pub async fn answer_deal_message(
        &self,
        slug: &str,
        message: &DealMessage,
    ) -> Result<DealAnswer, FederationError> {
        let info = self.store.circle(slug).await?;
        let (from, _) = self.check_message(&info, message).await?;
        let uuid: [u8; 16] = hex::decode(&message.uuid)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(unreadable("uuid"))?;
        let sender: crate::names::Username =
            message.sender.parse().map_err(|_| unreadable("sender"))?;
        if message.event == DealEvent::Open {
            return self.opened_from_afar(&info, from, uuid, message).await;
        }
        // This side is the other one: the owner's when the sender answered the listing.
        let row = self
            .db
            .link_deal_by_uuid(&uuid, !message.from_owner)
            .await?
            .filter(|row| row.partner == from.0 && row.other_username == sender.as_str())
            .filter(|row| row.circle == info.row_id)
            .ok_or(FederationError::NoSuchMember)?;
        match message.event {
            DealEvent::Open => unreachable!("answered above"),
            DealEvent::Message => self.message_from_afar(&info, &row, message).await,
            DealEvent::State if !row.owner_here => {
                let state = message.state.as_ref().ok_or(unreadable("state"))?;
                let mirrored = self
                    .mirror(&info, &row, state)
                    .await
                    .map_err(|_| unreadable("state"))?;
                if mirrored.version > row.version {
                    self.tell_member(&info, &mirrored, NotificationKind::DealAcross)
                        .await?;
                }
                Ok(answer(DealOutcome::Done, String::new(), &mirrored))
            }
            DealEvent::Completed if row.owner_here => {
                self.completed_from_afar(&info, &row, message).await
            }
            event if row.owner_here => self.step_from_afar(&info, &row, event, message).await,
            _ => Err(unreadable("event")),
        }
    }

    /// The other node's member answers this node's member's listing: a deal opened on it
    /// (once per uuid), within the limits of open deals.
    async fn opened_from_afar(
        &self,
        info: &CircleInfo,
        from: Hash,
        uuid: [u8; 16],
        message: &DealMessage,
    ) -> Result<DealAnswer, FederationError> {
        if let Some(known) = self.db.link_deal_by_uuid(&uuid, true).await? {
            return Ok(answer(DealOutcome::Done, String::new(), &known));
        }
        let sender_name: crate::names::DisplayName = message
            .sender_name
            .parse()
            .map_err(|_| unreadable("sender_name"))?;
        let query = AcrossQuery {
            id: Some(message.listing),
            ..AcrossQuery::default()
        };
        let shared = self
            .shared_listings(info, &query, Default::default())
            .await
            .map_err(|error| FederationError::Internal(format!("{error:?}")))?;
        let listing = shared
            .into_iter()
            .find(|listing| listing.author_username == message.receiver)
            .ok_or(FederationError::NoSuchMember)?;
        let owner = self
            .db
            .member_by_username(info.row_id, &listing.author_username)
            .await?
            .filter(|card| card.status == MemberStatus::Active)
            .ok_or(FederationError::NoSuchMember)?;
        let now_ms = self.now_ms();
        let side = LinkDealRow {
            id: 0,
            uuid,
            owner_here: true,
            circle: info.row_id,
            user_id: owner.user_id,
            partner: from.0,
            other_username: message.sender.clone(),
            other_name: sender_name.as_str().to_owned(),
            listing_id: listing.id,
            listing_title: listing.title.clone(),
            side: Side::parse(&listing.side).map_err(|_| unreadable("side"))?,
            status: Status::Open,
            terms: None,
            terms_by_owner: false,
            version: 0,
            transfer: None,
            created_ms: now_ms,
            updated_ms: now_ms,
        };
        if self
            .blocked_from(owner.user_id, &from.0, &side.other_username)
            .await?
        {
            return Ok(answer(
                DealOutcome::Refused,
                "deal-error-messages-closed".into(),
                &side,
            ));
        }
        let with_them = self
            .db
            .open_link_deals(info.row_id, &from.0, Some(&side.other_username), 0)
            .await?;
        let with_circle = self
            .db
            .open_link_deals(info.row_id, &from.0, None, owner.user_id)
            .await?;
        if with_them >= LINK_DEALS_OPEN_PER_MEMBER_MAX {
            return Ok(answer(
                DealOutcome::Refused,
                "deal-across-too-many".into(),
                &side,
            ));
        }
        if with_circle >= LINK_DEALS_OPEN_WITH_CIRCLE_MAX {
            return Ok(answer(
                DealOutcome::Refused,
                "deal-across-busy".into(),
                &side,
            ));
        }
        let kept = self.db.keep_link_deal(&side).await?;
        self.tell_member(info, &kept, NotificationKind::DealAcross)
            .await?;
        Ok(answer(DealOutcome::Done, String::new(), &kept))
    }

    /// A message from the other node's member, kept once, within the conversation's limits.
    async fn message_from_afar(
        &self,
        info: &CircleInfo,
        row: &LinkDealRow,
        message: &DealMessage,
    ) -> Result<DealAnswer, FederationError> {
        let message_uuid: [u8; 16] = hex::decode(&message.message_uuid)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(unreadable("message_uuid"))?;
        let text = crate::names::bounded_text(&message.text, deal::MESSAGE_CHARS_MAX)
            .map_err(|_| unreadable("text"))?;
        if text.is_empty() {
            return Err(unreadable("text"));
        }
        let now_ms = self.now_ms();
        let (all, last_hour) = self
            .db
            .link_deal_messages_by(row.id, false, now_ms - 3_600_000)
            .await?;
        if all >= deal::MESSAGES_PER_AUTHOR_MAX as i64
            || last_hour >= deal::MESSAGES_PER_AUTHOR_PER_HOUR_MAX as i64
        {
            return Ok(refused(DealError::MessagingTooMuch, row));
        }
        if self
            .blocked_from(row.user_id, &row.partner, &row.other_username)
            .await?
        {
            return Ok(answer(
                DealOutcome::Refused,
                "deal-error-messages-closed".into(),
                row,
            ));
        }
        let member_active = self
            .db
            .membership(info.row_id, row.user_id)
            .await?
            .is_some_and(|membership| membership.status == MemberStatus::Active);
        if !member_active {
            return Ok(answer(
                DealOutcome::Refused,
                "deal-error-messages-closed".into(),
                row,
            ));
        }
        self.db
            .add_link_deal_message(row.id, &message_uuid, false, &text, now_ms)
            .await?;
        self.tell_member(info, row, NotificationKind::DealAcross)
            .await?;
        Ok(answer(DealOutcome::Done, String::new(), row))
    }

    /// Terms, an agreement or a calling off by the other node's member, decided here by the
    /// deal's rules over the version they saw.
    async fn step_from_afar(
        &self,
        info: &CircleInfo,
        row: &LinkDealRow,
        event: DealEvent,
        message: &DealMessage,
    ) -> Result<DealAnswer, FederationError> {
        let step = match event {
            DealEvent::Propose => DealStep::Propose {
                description: crate::names::bounded_text(&message.text, deal::TERMS_CHARS_MAX)
                    .unwrap_or_default(),
                amount_minor: message.amount_minor,
            },
            DealEvent::Agree => DealStep::Agree,
            DealEvent::Cancel => DealStep::Cancel,
            _ => return Err(unreadable("event")),
        };
        if step != DealStep::Cancel
            && self
                .blocked_from(row.user_id, &row.partner, &row.other_username)
                .await?
        {
            return Ok(answer(
                DealOutcome::Refused,
                "deal-error-messages-closed".into(),
                row,
            ));
        }
        if step != DealStep::Cancel && message.version != row.version {
            return Ok(answer(DealOutcome::Changed, String::new(), row));
        }
        let after = match step.apply(&row.deal(), deal::ACROSS) {
            Ok(after) => after,
            Err(error) => return Ok(refused(error, row)),
        };
        self.save_from_afar(info, row, &after, None).await
    }

    /// The other node's member paid (or gave) what was agreed: completed here once the payment
    /// arrived, with the terms it paid for even if this side changed them meanwhile.
    async fn completed_from_afar(
        &self,
        info: &CircleInfo,
        row: &LinkDealRow,
        message: &DealMessage,
    ) -> Result<DealAnswer, FederationError> {
        if row.status == Status::Completed {
            return Ok(answer(DealOutcome::Done, String::new(), row));
        }
        let deal = row.deal();
        let Some(amount_minor) = message.amount_minor else {
            // A gift: nothing moved, so it completes only as the rules allow now.
            if message.version != row.version {
                return Ok(answer(DealOutcome::Changed, String::new(), row));
            }
            return match deal.completed(deal::ACROSS, None) {
                Ok(after) => self.save_from_afar(info, row, &after, None).await,
                Err(error) => Ok(refused(error, row)),
            };
        };
        if deal.payer != deal::ACROSS {
            return Ok(refused(DealError::NotThePayer, row));
        }
        let arrived = self
            .payment_arrived(info, row, &message.transfer, amount_minor)
            .await
            .map_err(|error| FederationError::Internal(format!("{error:?}")))?;
        if !arrived {
            return Ok(answer(
                DealOutcome::Refused,
                "deal-across-not-paid".into(),
                row,
            ));
        }
        let description = crate::names::bounded_text(&message.text, deal::TERMS_CHARS_MAX)
            .ok()
            .filter(|text| !text.is_empty())
            .unwrap_or_else(|| row.listing_title.clone());
        let terms = deal::Terms {
            description,
            amount_minor: Some(amount_minor),
            proposed_by: deal.terms.as_ref().map_or(deal::ACROSS, |t| t.proposed_by),
        };
        let after = Deal {
            status: Status::Completed,
            terms: Some(terms),
            ..deal
        };
        self.save_from_afar(info, row, &after, Some(message.transfer.clone()))
            .await
    }

    /// Whether the payment across `transfer` (its UUID) arrived on this circle's ledger from
    /// the deal's other circle, to this side's member, for at least `at_least_minor` of this
    /// circle's unit.
    pub(crate) async fn payment_arrived(
        &self,
        info: &CircleInfo,
        row: &LinkDealRow,
        transfer: &str,
        at_least_minor: i64,
    ) -> Result<bool, ActionError> {
        let Some(transfer) = TransferId::parse(transfer) else {
            return Ok(false);
        };
        let Some(member_key) = self
            .db
            .membership(info.row_id, row.user_id)
            .await?
            .map(|membership| membership.account_key)
        else {
            return Ok(false);
        };
        let stored = self.store.transfer_entry(info, &transfer).await?;
        Ok(
            stored.is_some_and(|stored| match &stored.entry.signed.record.body {
                Body::Arrive(arrival) => {
                    arrival.payee == member_key
                        && arrival.partner == Hash(row.partner)
                        && arrival.amount_minor >= at_least_minor
                }
                _ => false,
            }),
        )
    }

    async fn save_from_afar(
        &self,
        info: &CircleInfo,
        row: &LinkDealRow,
        after: &Deal,
        transfer: Option<String>,
    ) -> Result<DealAnswer, FederationError> {
        let next = LinkDealRow {
            version: row.version + 1,
            transfer: transfer.or_else(|| row.transfer.clone()),
            ..row.with(after)
        };
        let Some(saved) = self.db.save_link_deal(row, &next, self.now_ms()).await? else {
            let now = self
                .db
                .link_deal(row.id)
                .await?
                .unwrap_or_else(|| row.clone());
            return Ok(answer(DealOutcome::Changed, String::new(), &now));
        };
        self.tell_member(info, &saved, NotificationKind::DealAcross)
            .await?;
        Ok(answer(DealOutcome::Done, String::new(), &saved))
    }

    /// Whether this node's member blocked the sender (a member of another node).
    async fn blocked_from(
        &self,
        user_id: i64,
        partner: &[u8; 32],
        username: &str,
    ) -> Result<bool, FederationError> {
        self.blocked_across(user_id, partner, username)
            .await
            .map_err(|error| FederationError::Internal(format!("{error:?}")))
    }

    /// Tells this node's member of a deal across (unless they turned it off). When the sender
    /// is a member of a circle of this node, through the reach rule as any deal's message: a
    /// mute keeps it from their attention. A member of another node is held by this node's
    /// member's own block of them (refused before anything is kept).
    async fn tell_member(
        &self,
        info: &CircleInfo,
        row: &LinkDealRow,
        kind: NotificationKind,
    ) -> Result<(), FederationError> {
        let internal = |error: ActionError| FederationError::Internal(format!("{error:?}"));
        let mut note = NewNotification::about_the_circle(row.user_id, info.row_id, kind);
        note.deal = Some(row.id);
        let sender = match self.store.circle_by_id(&Hash(row.partner)).await? {
            Some(circle) => self
                .db
                .member_by_username(circle.row_id, &row.other_username)
                .await?
                .map(|card| card.user_id),
            None => None,
        };
        match sender {
            Some(sender) => {
                let outgoing = self
                    .outgoing(sender, info.row_id, None)
                    .await
                    .map_err(internal)?;
                self.notify_from(&outgoing, Channel::DealMessage, note)
                    .await
                    .map_err(internal)?;
            }
            None => {
                self.db
                    .notify_from(note, None, self.now_ms())
                    .await
                    .map_err(|error| FederationError::Internal(error.to_string()))?;
            }
        }
        Ok(())
    }
}
