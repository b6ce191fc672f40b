//! Payment requests across a link (the payee asks, the payer approves): a member asks a member
//! of a linked circle to pay them an amount in their own unit; the payer sees it beside their
//! circle's requests, in their own unit (the least that gives the requester what they asked),
//! and pays it across (once, whatever is retried) or declines it; the requester may withdraw
//! it. Each node keeps its own member's side (`db/link_requests.rs`); between nodes the sides
//! meet by a message signed by the sending circle's node key.
//!
//! Who may: asking, a member of a circle with a link open both ways, of an active member
//! there whom the reach rule lets them ask (on this node; another node's members keep their
//! own blocks), at most [`LINK_REQUESTS_OPEN_PER_ASKER_MAX`] open with one circle's members
//! and [`LINK_REQUESTS_OPEN_PER_PAYER_MAX`] open to one member from one circle;
//! paying or declining, only the member asked; withdrawing, only the asker; a message, only a
//! linked circle's node, about its own members' requests.

use commons_ledger::codec::Writer;
use commons_ledger::crossing::LinkStatus;
use commons_ledger::keys::Hash;
use commons_ledger::store::CircleInfo;
use serde::{Deserialize, Serialize};

use crate::db::link_requests::LinkRequestRow;
use crate::db::MemberStatus;
use crate::links::federation::FederationError;
use crate::links::{CrossPayCommand, CrossResult, LinkedCircle};
use crate::reach::Channel;
use crate::services::*;

/// Most requests one member of a linked circle may have open with this circle's members.
pub const LINK_REQUESTS_OPEN_PER_ASKER_MAX: i64 = 20;
/// Most requests one member may have open from the members of one linked circle (whatever
/// names the other node gives its askers, it cannot fill a member's page).
pub const LINK_REQUESTS_OPEN_PER_PAYER_MAX: i64 = 50;
/// Most requests across a member's money page lists.
pub const LINK_REQUESTS_LISTED_MAX: i64 = 100;
pub const REQUEST_FORMAT: &str = "commons.link.request";

/// What a message about a request says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestEvent {
    /// The sender's member asks this node's member to pay.
    Ask,
    /// The sender's member takes their request back.
    Withdrawn,
    /// This node's member's request was paid (across, by the payment itself) or declined.
    Paid,
    Declined,
}

impl RequestEvent {
    fn as_str(self) -> &'static str {
        match self {
            RequestEvent::Ask => "ask",
            RequestEvent::Withdrawn => "withdrawn",
            RequestEvent::Paid => "paid",
            RequestEvent::Declined => "declined",
        }
    }
}

/// A linked circle's node telling this one about a request between their members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestMessage {
    pub format: String,
    /// The sending circle's id and this one's, hex.
    pub from: String,
    pub to: String,
    /// The request's id, hex (16 bytes).
    pub uuid: String,
    pub event: RequestEvent,
    /// The asker's username and name (the name only with `ask`), and the payer's username.
    pub asker: String,
    pub asker_name: String,
    pub payer: String,
    /// With `ask`: what the asker wants, in the sending circle's minor units.
    pub amount_minor: i64,
    pub memo: String,
    pub at_ms: i64,
    /// By the sending circle's node key over [`request_bytes`].
    pub signature: String,
}

/// The answer to `ask`: what the payer will pay, in their unit, and their name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestAnswer {
    pub amount_minor: i64,
    pub payer_name: String,
}

/// The bytes a request message's signature covers.
pub fn request_bytes(message: &RequestMessage) -> Vec<u8> {
    let mut w = Writer::with_tag(REQUEST_FORMAT);
    w.str(&message.from)
        .str(&message.to)
        .str(&message.uuid)
        .str(message.event.as_str())
        .str(&message.asker)
        .str(&message.asker_name)
        .str(&message.payer)
        .i64(message.amount_minor)
        .str(&message.memo)
        .i64(message.at_ms);
    w.finish()
}

crate::links::federation::node_message!(RequestMessage, REQUEST_FORMAT, request_bytes);

/// A request across as a member's money page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAcross {
    pub id: i64,
    /// Asked of this member (else asked by them).
    pub incoming: bool,
    pub other_name: String,
    pub circle_name: String,
    /// In this member's unit.
    pub amount_minor: i64,
    pub memo: Option<String>,
    pub created_ms: i64,
}

/// How answering a request across ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOutcome {
    Paid,
    OnItsWay,
    Closed,
}

fn uuid_of(attempt: &IdempotencyKey, actor: &Actor) -> [u8; 16] {
    let nonce = attempt.nonce(actor, "request-across");
    let digest = Hash::sha256(&[b"commons.web.request-across", &nonce.0]);
    let mut uuid = [0u8; 16];
    uuid.copy_from_slice(&digest.0[..16]);
    uuid
}

impl Services {
    /// The linked circles a member can ask to pay: payable, and proved (a Credit Commons
    /// node takes payments, not requests between members).
    pub async fn requestable_circles(
        &self,
        actor: &Actor,
    ) -> Result<Vec<LinkedCircle>, ActionError> {
        let mut circles = self.payable_circles(actor).await?;
        circles.retain(LinkedCircle::is_proved);
        Ok(circles)
    }

    /// Asks a member of a linked circle to pay `command.amount_minor` (in the asker's unit).
    /// The same attempt makes the same request.
    pub async fn request_across(
        &self,
        actor: &Actor,
        command: &CrossPayCommand,
        attempt: &IdempotencyKey,
    ) -> Result<RequestAcross, ActionError> {
        // A suspended member asks nobody, here or on another node.
        self.check_not_suspended(actor)?;
        let linked = self
            .requestable_circles(actor)
            .await?
            .into_iter()
            .find(|linked| linked.partner.reference == command.circle)
            .ok_or(invalid("circle", "cross-error-circle"))?;
        let mut out = LinkRequestRow {
            id: 0,
            uuid: uuid_of(attempt, actor),
            incoming: false,
            circle: actor.circle.row_id,
            user_id: actor.user.id,
            partner: linked.partner.circle_id.0,
            other_username: command.member.as_str().to_owned(),
            other_name: String::new(),
            amount_minor: command.amount_minor,
            amount_there_minor: 0,
            memo: command.memo.as_ref().map(|memo| memo.as_str().to_owned()),
            state: "open".into(),
            created_ms: self.now_ms(),
        };
        let answer = if linked.partner.address.is_empty() {
            self.ask_here(actor, &linked, &out).await?
        } else {
            if self
                .blocked_across(
                    actor.user.id,
                    &linked.partner.circle_id.0,
                    &out.other_username,
                )
                .await?
            {
                return Err(invalid("member", "cross-error-remote-member"));
            }
            let message = self
                .request_message(&actor.circle, &linked, &out, RequestEvent::Ask, actor)
                .await?;
            self.federation
                .tell_request(&linked.partner.address, &linked.partner.slug, &message)
                .await
                .map_err(|_| invalid("member", "cross-error-remote-member"))?
        };
        // What another node answers is held to this node's rules before a member sees it.
        out.other_name = answer
            .payer_name
            .parse::<crate::names::DisplayName>()
            .map(|name| name.as_str().to_owned())
            .unwrap_or_else(|_| out.other_username.clone());
        out.amount_there_minor = answer.amount_minor.max(0);
        self.db.keep_link_request(&out).await?;
        Ok(RequestAcross {
            id: 0,
            incoming: false,
            other_name: out.other_name,
            circle_name: linked.partner.name,
            amount_minor: out.amount_minor,
            memo: out.memo,
            created_ms: out.created_ms,
        })
    }

    /// Asks a member of a circle of this node: the reach rule, the payer's side kept.
    async fn ask_here(
        &self,
        actor: &Actor,
        linked: &LinkedCircle,
        out: &LinkRequestRow,
    ) -> Result<RequestAnswer, ActionError> {
        let (info, payer) = self
            .member_reached_across(actor, linked, &out.other_username, Channel::PaymentRequest)
            .await?;
        let asker = IncomingAsk {
            asker: actor.user.username.clone(),
            asker_name: actor.user.display_name.clone(),
            from: actor.circle.circle_id,
        };
        self.keep_incoming(&info, &asker, out, payer).await
    }

    /// The payer's side of a request: what they pay (the least that gives the asker what
    /// they asked, at this circle's rate), within the limit of open requests per asker.
    async fn keep_incoming(
        &self,
        info: &CircleInfo,
        ask: &IncomingAsk,
        out: &LinkRequestRow,
        payer: crate::db::MemberCard,
    ) -> Result<RequestAnswer, ActionError> {
        let link = self
            .store
            .link(info, &ask.from)
            .await?
            .filter(|link| link.status == LinkStatus::Open)
            .ok_or(invalid("circle", "cross-error-circle"))?;
        let cost = link
            .terms
            .rate()
            .and_then(|rate| rate.cost_of(out.amount_minor))
            .map_err(|_| invalid("amount", "cross-error-too-small"))?;
        let open = self
            .db
            .open_link_requests_from(info.row_id, &ask.from.0, &ask.asker)
            .await?;
        let known = self.db.link_request_by_uuid(&out.uuid, true).await?;
        if known.is_none() && open >= LINK_REQUESTS_OPEN_PER_ASKER_MAX {
            return Err(invalid("member", "request-across-too-many"));
        }
        let waiting = self
            .db
            .open_link_requests_to(info.row_id, payer.user_id, &ask.from.0)
            .await?;
        if known.is_none() && waiting >= LINK_REQUESTS_OPEN_PER_PAYER_MAX {
            return Err(invalid("member", "request-across-payer-busy"));
        }
        self.db
            .keep_link_request(&LinkRequestRow {
                id: 0,
                uuid: out.uuid,
                incoming: true,
                circle: info.row_id,
                user_id: payer.user_id,
                partner: ask.from.0,
                other_username: ask.asker.clone(),
                other_name: ask.asker_name.clone(),
                amount_minor: cost,
                amount_there_minor: out.amount_minor,
                memo: out.memo.clone(),
                state: "open".into(),
                created_ms: out.created_ms,
            })
            .await?;
        Ok(RequestAnswer {
            amount_minor: cost,
            payer_name: payer.display_name,
        })
    }

    /// A member's open requests across in their circle, asked of them and by them.
    pub async fn requests_across(&self, actor: &Actor) -> Result<Vec<RequestAcross>, ActionError> {
        let rows = self
            .db
            .open_link_requests(actor.circle.row_id, actor.user.id, LINK_REQUESTS_LISTED_MAX)
            .await?;
        let linked = self.linked_circles(&actor.circle).await?;
        Ok(rows
            .into_iter()
            .map(|row| RequestAcross {
                id: row.id,
                incoming: row.incoming,
                circle_name: linked
                    .iter()
                    .find(|linked| linked.partner.circle_id.0 == row.partner)
                    .map(|linked| linked.partner.name.clone())
                    .unwrap_or_default(),
                other_name: row.other_name,
                amount_minor: row.amount_minor,
                memo: row.memo,
                created_ms: row.created_ms,
            })
            .collect())
    }

    /// Pays (`pay`) or declines a request asked of the member, or withdraws their own (`pay`
    /// false). Paying is one payment across whatever is retried: its idempotency key is the
    /// request's.
    pub async fn answer_request_across(
        &self,
        actor: &Actor,
        id: i64,
        pay: bool,
    ) -> Result<RequestOutcome, ActionError> {
        let row = self
            .db
            .link_request(id)
            .await?
            .filter(|row| row.circle == actor.circle.row_id && row.user_id == actor.user.id)
            .filter(|row| row.state == "open")
            .ok_or(ActionError::NotFound)?;
        if pay && !row.incoming {
            return Err(ActionError::Forbidden);
        }
        let linked = self
            .linked_circles(&actor.circle)
            .await?
            .into_iter()
            .find(|linked| linked.partner.circle_id.0 == row.partner)
            .ok_or(ActionError::NotFound)?;
        if pay {
            let command = CrossPayCommand {
                circle: linked.partner.reference.clone(),
                member: row
                    .other_username
                    .parse()
                    .map_err(|_| invalid("member", "error-member-unknown"))?,
                amount_minor: row.amount_minor,
                memo: row
                    .memo
                    .as_deref()
                    .and_then(|memo| crate::ledger::form::MemoText::parse(memo).ok().flatten()),
            };
            let attempt: IdempotencyKey =
                format!("request-across-{}", hex::encode(row.uuid)).parse()?;
            let (_, result) = self.pay_across(actor, &command, &attempt).await?;
            return match result {
                CrossResult::Paid => {
                    self.end_request(actor, &linked, &row, RequestEvent::Paid)
                        .await?;
                    Ok(RequestOutcome::Paid)
                }
                CrossResult::OnItsWay => Ok(RequestOutcome::OnItsWay),
                CrossResult::Refused { .. } => Err(invalid("amount", "request-across-refused")),
            };
        }
        let event = if row.incoming {
            RequestEvent::Declined
        } else {
            RequestEvent::Withdrawn
        };
        self.end_request(actor, &linked, &row, event).await?;
        Ok(RequestOutcome::Closed)
    }

    /// Ends both sides of a request: this one, and the other (here, or told to its node; a
    /// node that cannot be reached is told nothing, and its member's side stays open there).
    async fn end_request(
        &self,
        actor: &Actor,
        linked: &LinkedCircle,
        row: &LinkRequestRow,
        event: RequestEvent,
    ) -> Result<(), ActionError> {
        let now_ms = self.now_ms();
        let state = event.as_str();
        self.db
            .end_link_request(&row.uuid, row.incoming, state, now_ms)
            .await?;
        if linked.partner.address.is_empty() {
            self.db
                .end_link_request(&row.uuid, !row.incoming, state, now_ms)
                .await?;
            return Ok(());
        }
        let message = self
            .request_message(&actor.circle, linked, row, event, actor)
            .await?;
        if let Err(error) = self
            .federation
            .tell_request(&linked.partner.address, &linked.partner.slug, &message)
            .await
        {
            tracing::warn!(%error, "the linked circle's node was not told of an answered request");
        }
        Ok(())
    }

    /// A signed message about `row` for the linked circle's node.
    async fn request_message(
        &self,
        from: &CircleInfo,
        linked: &LinkedCircle,
        row: &LinkRequestRow,
        event: RequestEvent,
        actor: &Actor,
    ) -> Result<RequestMessage, ActionError> {
        let me = actor.user.username.clone();
        let (asker, payer) = if row.incoming {
            (row.other_username.clone(), me)
        } else {
            (me, row.other_username.clone())
        };
        let mut message = RequestMessage {
            format: REQUEST_FORMAT.into(),
            from: from.circle_id.to_hex(),
            to: linked.partner.circle_id.to_hex(),
            uuid: hex::encode(row.uuid),
            event,
            asker_name: if event == RequestEvent::Ask {
                actor.user.display_name.clone()
            } else {
                String::new()
            },
            asker,
            payer,
            amount_minor: if event == RequestEvent::Ask {
                row.amount_minor
            } else {
                0
            },
            memo: row.memo.clone().unwrap_or_default(),
            at_ms: self.now_ms(),
            signature: String::new(),
        };
        self.sign_message(from, &mut message).await?;
        Ok(message)
    }
}

/// Who asks, from which circle.
struct IncomingAsk {
    asker: String,
    asker_name: String,
    from: Hash,
}

impl Services {
    /// Takes a linked circle's node's message about a request between their members.
    pub async fn answer_request_message(
        &self,
        slug: &str,
        message: &RequestMessage,
    ) -> Result<RequestAnswer, FederationError> {
        let info = self.store.circle(slug).await?;
        let (from, _) = self.check_message(&info, message).await?;
        let uuid: [u8; 16] = hex::decode(&message.uuid)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(FederationError::Unreadable("uuid".into()))?;
        let nothing = RequestAnswer {
            amount_minor: 0,
            payer_name: String::new(),
        };
        // A message ends only a side whose other member is the sender's own.
        let (incoming, other) = match message.event {
            RequestEvent::Ask => return self.asked_from_afar(&info, from, uuid, message).await,
            RequestEvent::Withdrawn => (true, &message.asker),
            RequestEvent::Paid | RequestEvent::Declined => (false, &message.payer),
        };
        let row = self.db.link_request_by_uuid(&uuid, incoming).await?;
        if let Some(row) = row.filter(|row| row.partner == from.0 && row.other_username == *other) {
            self.db
                .end_link_request(&row.uuid, incoming, message.event.as_str(), self.now_ms())
                .await?;
        }
        Ok(nothing)
    }

    async fn asked_from_afar(
        &self,
        info: &CircleInfo,
        from: Hash,
        uuid: [u8; 16],
        message: &RequestMessage,
    ) -> Result<RequestAnswer, FederationError> {
        let payer = self
            .db
            .member_by_username(info.row_id, message.payer.trim())
            .await?
            .filter(|card| card.status == MemberStatus::Active)
            .ok_or(FederationError::NoSuchMember)?;
        // A member who blocked the asker is nobody to ask.
        if self
            .blocked_across(payer.user_id, &from.0, message.asker.trim())
            .await
            .map_err(|error| FederationError::Internal(format!("{error:?}")))?
        {
            return Err(FederationError::NoSuchMember);
        }
        let memo = crate::ledger::form::MemoText::parse(&message.memo)
            .map_err(|_| FederationError::Unreadable("memo".into()))?;
        // Names from another node are held to this node's own rules for names.
        let asker: crate::names::Username = message
            .asker
            .parse()
            .map_err(|_| FederationError::Unreadable("asker".into()))?;
        let asker_name: crate::names::DisplayName = message
            .asker_name
            .parse()
            .map_err(|_| FederationError::Unreadable("asker_name".into()))?;
        let out = LinkRequestRow {
            id: 0,
            uuid,
            incoming: false,
            circle: 0,
            user_id: 0,
            partner: from.0,
            other_username: message.payer.clone(),
            other_name: String::new(),
            amount_minor: message.amount_minor,
            amount_there_minor: 0,
            memo: memo.map(|memo| memo.as_str().to_owned()),
            state: "open".into(),
            created_ms: self.now_ms(),
        };
        let ask = IncomingAsk {
            asker: asker.as_str().to_owned(),
            asker_name: asker_name.as_str().to_owned(),
            from,
        };
        self.keep_incoming(info, &ask, &out, payer)
            .await
            .map_err(|error| match error {
                ActionError::Invalid { message_id, .. } => {
                    FederationError::Unreadable(message_id.to_owned())
                }
                other => FederationError::Internal(format!("{other:?}")),
            })
    }
}
