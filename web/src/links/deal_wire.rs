//! What two nodes say to each other about a deal between their members (a signed
//! [`DealMessage`], answered by a [`DealAnswer`]), and how each is read: every field another
//! node sends is held to this node's own rules before a member sees it.

use commons_ledger::codec::Writer;
use commons_market::deal::{self, Status, TERMS_CHARS_MAX};
use serde::{Deserialize, Serialize};

use crate::db::link_deals::LinkDealRow;

pub const DEAL_FORMAT: &str = "commons.link.deal";

/// What a message about a deal across says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DealEvent {
    /// The sender's member answers this node's member's listing (to the owner's side).
    Open,
    /// A message in the deal's conversation (either way).
    Message,
    /// Terms proposed, agreed to, the deal called off, or completed by the sender's member
    /// (to the owner's side, which decides).
    Propose,
    Agree,
    Cancel,
    Completed,
    /// The owner's side tells the responder's what it decided.
    State,
}

impl DealEvent {
    fn as_str(self) -> &'static str {
        match self {
            DealEvent::Open => "open",
            DealEvent::Message => "message",
            DealEvent::Propose => "propose",
            DealEvent::Agree => "agree",
            DealEvent::Cancel => "cancel",
            DealEvent::Completed => "completed",
            DealEvent::State => "state",
        }
    }
}

/// A deal's state as the owner's side decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealState {
    pub status: String,
    pub version: i64,
    pub terms_description: Option<String>,
    /// In the listing's circle's minor units; `None` with a description: a gift.
    pub terms_amount_minor: Option<i64>,
    pub terms_by_owner: bool,
    /// The payment across that settled the deal (its UUID), or empty.
    pub transfer: String,
}

impl DealState {
    pub fn of(row: &LinkDealRow) -> DealState {
        DealState {
            status: row.status.as_str().to_owned(),
            version: row.version,
            terms_description: row.terms.as_ref().map(|terms| terms.0.clone()),
            terms_amount_minor: row.terms.as_ref().and_then(|terms| terms.1),
            terms_by_owner: row.terms_by_owner,
            transfer: row.transfer.clone().unwrap_or_default(),
        }
    }

    /// `row` with this state, when every field holds to this node's rules.
    pub fn applied_to(&self, row: &LinkDealRow) -> Option<LinkDealRow> {
        let terms = match &self.terms_description {
            None => None,
            Some(text) => {
                let length = text.trim().chars().count();
                if length == 0 || length > TERMS_CHARS_MAX {
                    return None;
                }
                if self.terms_amount_minor.is_some_and(|amount| amount <= 0) {
                    return None;
                }
                Some((text.trim().to_owned(), self.terms_amount_minor))
            }
        };
        let transfer_ok = self.transfer.is_empty()
            || commons_ledger::crossing::TransferId::parse(&self.transfer).is_some();
        if self.version < 0 || !transfer_ok {
            return None;
        }
        Some(LinkDealRow {
            status: Status::parse(&self.status)?,
            terms,
            terms_by_owner: self.terms_by_owner,
            version: self.version,
            transfer: (!self.transfer.is_empty()).then(|| self.transfer.clone()),
            ..row.clone()
        })
    }
}

/// A linked circle's node telling this one about a deal between their members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealMessage {
    pub format: String,
    /// The sending circle's id and this one's, hex.
    pub from: String,
    pub to: String,
    /// The deal's id, hex (16 bytes).
    pub uuid: String,
    pub event: DealEvent,
    /// The sender's member wrote the listing.
    pub from_owner: bool,
    /// The sender's member's username and name, and this node's member's username.
    pub sender: String,
    pub sender_name: String,
    pub receiver: String,
    /// The listing's number in the owner's circle.
    pub listing: i64,
    /// The version of the deal the sender's member saw.
    pub version: i64,
    /// The message, the terms' description, or (with `open`) nothing.
    pub text: String,
    /// With `propose` and `completed`: the terms' amount in the listing's circle's unit.
    pub amount_minor: Option<i64>,
    /// With `message`: the message's own id (a message delivered twice is kept once), hex.
    pub message_uuid: String,
    /// With `completed`: the payment across that settled it (its UUID).
    pub transfer: String,
    /// With `state`: what the owner's side decided.
    pub state: Option<DealState>,
    pub at_ms: i64,
    /// By the sending circle's node key over [`deal_bytes`].
    pub signature: String,
}

/// How the owner's side took a step another node's member asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DealOutcome {
    Done,
    /// The deal changed since the member saw it: nothing was done; `state` is the new one.
    Changed,
    /// The deal's rules refuse it: `refusal` says why (a message id).
    Refused,
}

/// The answer to a deal message: the outcome and the deal's state on the owner's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealAnswer {
    pub outcome: DealOutcome,
    pub refusal: String,
    pub state: DealState,
    /// The listing's title and side.
    pub listing_title: String,
    pub side: String,
}

/// The bytes a deal message's signature covers.
pub fn deal_bytes(message: &DealMessage) -> Vec<u8> {
    let mut w = Writer::with_tag(DEAL_FORMAT);
    w.str(&message.from)
        .str(&message.to)
        .str(&message.uuid)
        .str(message.event.as_str())
        .u8(u8::from(message.from_owner))
        .str(&message.sender)
        .str(&message.sender_name)
        .str(&message.receiver)
        .i64(message.listing)
        .i64(message.version)
        .str(&message.text);
    optional_amount(&mut w, message.amount_minor);
    w.str(&message.message_uuid).str(&message.transfer);
    match &message.state {
        None => {
            w.u8(0);
        }
        Some(state) => {
            w.u8(1)
                .str(&state.status)
                .i64(state.version)
                .str(state.terms_description.as_deref().unwrap_or(""))
                .u8(u8::from(state.terms_description.is_some()));
            optional_amount(&mut w, state.terms_amount_minor);
            w.u8(u8::from(state.terms_by_owner)).str(&state.transfer);
        }
    }
    w.i64(message.at_ms);
    w.finish()
}

crate::links::federation::node_message!(DealMessage, DEAL_FORMAT, deal_bytes);

fn optional_amount(w: &mut Writer, amount_minor: Option<i64>) {
    match amount_minor {
        None => w.u8(0),
        Some(amount) => w.u8(1).i64(amount),
    };
}

/// The message a member is shown for another node's refusal: one of this node's own
/// catalogue's deal messages, or a general one (never words another node chose).
pub fn known_refusal(message_id: &str) -> &'static str {
    const KNOWN: [&str; 14] = [
        "deal-error-not-a-party",
        "deal-error-closed",
        "deal-error-no-terms",
        "deal-error-own-terms",
        "deal-error-not-agreed",
        "deal-error-not-the-payer",
        "deal-error-terms",
        "deal-error-messaging-too-much",
        "deal-error-conversation-full",
        "deal-error-listing-closed",
        "deal-error-message-long",
        "deal-error-messages-closed",
        "deal-across-too-many",
        "deal-across-busy",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == message_id)
        .unwrap_or("deal-across-refused")
}

/// The refusal's message id for a rule of the deal.
pub fn refusal_of(error: deal::DealError) -> String {
    error.message_id().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_node_s_refusal_shows_only_this_node_s_own_words() {
        assert_eq!(known_refusal("deal-error-closed"), "deal-error-closed");
        assert_eq!(known_refusal("<b>pay me</b>"), "deal-across-refused");
        assert_eq!(
            known_refusal(&refusal_of(deal::DealError::OwnTerms)),
            "deal-error-own-terms"
        );
    }
}
