//! What this node answers other nodes, and asks them: a circle's descriptor, a relayed payment,
//! and a payee by username (asked only by a linked circle's node, signed with its key, so a
//! circle's members cannot be listed by anyone else).

use commons_ledger::codec::Writer;
use commons_ledger::crossing::LinkStatus;
use commons_ledger::keys::{Hash, PublicKey, Signature};
use commons_ledger::relay::{Answer, Relay};
use commons_ledger::store::{CircleInfo, ReceiveError, StoreError};
use serde::{Deserialize, Serialize};

use crate::db::MemberStatus;
use crate::links::peers::{CircleDescriptor, NodePeers, DESCRIPTOR_FORMAT};
use crate::links::PartnerCircle;
use crate::services::{invalid, ActionError, Services};

pub const PAYEE_FORMAT: &str = "commons.link.payee";
/// How far a payee question's time may be from this node's clock.
pub const PAYEE_SKEW_MS_MAX: i64 = 5 * 60 * 1000;

/// A linked circle's node asking who a username is in one of this node's circles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayeeQuestion {
    pub format: String,
    /// The asking circle's id and the asked circle's, hex.
    pub from: String,
    pub to: String,
    pub username: String,
    pub at_ms: i64,
    /// By the asking circle's node key over [`payee_bytes`].
    pub signature: String,
}

/// The answer: the member's name and account key there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayeeAnswer {
    pub username: String,
    pub display_name: String,
    pub account_key: String,
}

/// The bytes a payee question's signature covers.
pub fn payee_bytes(from: &Hash, to: &Hash, username: &str, at_ms: i64) -> Vec<u8> {
    let mut w = Writer::with_tag(PAYEE_FORMAT);
    w.fixed(&from.0).fixed(&to.0).str(username).i64(at_ms);
    w.finish()
}

/// Why another node's question gets no answer.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("there is no such circle on this node")]
    NoSuchCircle,
    #[error("this circle has no open link with the asking circle")]
    NotLinked,
    #[error("the question is not signed by the linked circle's node key, or is too old")]
    BadSignature,
    #[error("no active member has that username there")]
    NoSuchMember,
    #[error("the message cannot be read: {0}")]
    Unreadable(String),
    #[error("the relay cannot be trusted: {0}")]
    Untrusted(String),
    #[error("the transfer id is already used by another payment")]
    TransferTaken,
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for FederationError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NoSuchCircle(_) => FederationError::NoSuchCircle,
            other => FederationError::Internal(other.to_string()),
        }
    }
}

impl From<sqlx::Error> for FederationError {
    fn from(error: sqlx::Error) -> Self {
        FederationError::Internal(error.to_string())
    }
}

/// What every signed message from a linked circle's node carries (a payee question, a
/// payment request, a market question): who sends it, to whom, when, and the signature over
/// the message's own bytes.
#[derive(Debug, Clone, Copy)]
pub struct SignedBy<'a> {
    pub format_ok: bool,
    pub from: &'a str,
    pub to: &'a str,
    pub at_ms: i64,
    pub signature: &'a str,
    pub bytes: &'a [u8],
}

/// A message a linked circle's node signs: what the one rule reads of it
/// ([`Services::check_message`]), and how this node signs its own ([`Services::sign_message`]).
pub trait NodeMessage {
    /// Whether the message names its kind's format.
    fn format_ok(&self) -> bool;
    fn from(&self) -> &str;
    fn to(&self) -> &str;
    fn at_ms(&self) -> i64;
    fn signature(&self) -> &str;
    /// The bytes the signature covers.
    fn signed_bytes(&self) -> Vec<u8>;
    fn set_signature(&mut self, signature: String);
}

/// Implements [`NodeMessage`] for a message with `format`, `from`, `to`, `at_ms` and
/// `signature` fields, its format and the function giving its signed bytes.
macro_rules! node_message {
    ($message:ty, $format:expr, $bytes:path) => {
        impl $crate::links::federation::NodeMessage for $message {
            fn format_ok(&self) -> bool {
                self.format == $format
            }
            fn from(&self) -> &str {
                &self.from
            }
            fn to(&self) -> &str {
                &self.to
            }
            fn at_ms(&self) -> i64 {
                self.at_ms
            }
            fn signature(&self) -> &str {
                &self.signature
            }
            fn signed_bytes(&self) -> Vec<u8> {
                $bytes(self)
            }
            fn set_signature(&mut self, signature: String) {
                self.signature = signature;
            }
        }
    };
}
pub(crate) use node_message;

impl Services {
    /// [`Services::check_signed`] for a [`NodeMessage`].
    pub(crate) async fn check_message<M: NodeMessage>(
        &self,
        info: &CircleInfo,
        message: &M,
    ) -> Result<(Hash, commons_ledger::store::LinkRow), FederationError> {
        let bytes = message.signed_bytes();
        let signed = SignedBy {
            format_ok: message.format_ok(),
            from: message.from(),
            to: message.to(),
            at_ms: message.at_ms(),
            signature: message.signature(),
            bytes: &bytes,
        };
        self.check_signed(info, signed).await
    }

    /// Signs a message with `from`'s node key.
    pub(crate) async fn sign_message<M: NodeMessage>(
        &self,
        from: &CircleInfo,
        message: &mut M,
    ) -> Result<(), StoreError> {
        let node_key = self.store.node_secret(from).await?;
        message.set_signature(node_key.sign(&message.signed_bytes()).to_hex());
        Ok(())
    }

    /// The one rule for messages from other nodes: addressed to this circle, from a circle it
    /// has an open link with, recent (within [`PAYEE_SKEW_MS_MAX`]), and signed by the node
    /// key that link names. The sending circle's id and the link, or why not.
    pub(crate) async fn check_signed(
        &self,
        info: &CircleInfo,
        message: SignedBy<'_>,
    ) -> Result<(Hash, commons_ledger::store::LinkRow), FederationError> {
        let unreadable = |what: &str| FederationError::Unreadable(what.to_owned());
        let from = Hash::from_hex(message.from).map_err(|_| unreadable("from"))?;
        let to = Hash::from_hex(message.to).map_err(|_| unreadable("to"))?;
        if !message.format_ok || to != info.circle_id {
            return Err(unreadable("format or circle"));
        }
        let link = self
            .store
            .link(info, &from)
            .await?
            .filter(|link| link.status == LinkStatus::Open)
            .ok_or(FederationError::NotLinked)?;
        let signature =
            Signature::from_hex(message.signature).map_err(|_| unreadable("signature"))?;
        let fresh = (self.now_ms() - message.at_ms).abs() <= PAYEE_SKEW_MS_MAX;
        if !fresh
            || !link
                .terms
                .node_key()
                .is_some_and(|key| key.verify(message.bytes, &signature))
        {
            return Err(FederationError::BadSignature);
        }
        Ok((from, link))
    }

    /// The peers of this node's circles.
    pub fn node_peers(&self) -> NodePeers {
        NodePeers {
            store: self.store.clone(),
            federation: self.federation.clone(),
            db: self.db.clone(),
        }
    }

    /// What a circle says of itself to a node that would link with it.
    pub async fn circle_descriptor(&self, slug: &str) -> Result<CircleDescriptor, FederationError> {
        let info = self.store.circle(slug).await?;
        Ok(CircleDescriptor {
            format: DESCRIPTOR_FORMAT.into(),
            circle_id: info.circle_id.to_hex(),
            slug: info.slug.clone(),
            name: info.name.clone(),
            unit_name: info.unit_name.clone(),
            unit_symbol: info.unit_symbol.clone(),
            decimals: info.decimals,
            node_key: self.store.node_secret(&info).await?.public_key().to_hex(),
        })
    }

    /// Answers a relayed payment from a linked circle.
    pub async fn answer_relay(&self, relay: &Relay) -> Result<Answer, FederationError> {
        let peers = self.node_peers();
        self.store
            .receive_relay(relay, &peers)
            .await
            .map_err(|error| match error {
                ReceiveError::NoSuchCircle(_) => FederationError::NoSuchCircle,
                ReceiveError::NoLink(_) => FederationError::NotLinked,
                ReceiveError::Untrusted(error) => FederationError::Untrusted(error.to_string()),
                ReceiveError::TransferTaken(_) => FederationError::TransferTaken,
                ReceiveError::Store(error) => FederationError::Internal(error.to_string()),
            })
    }

    /// Answers who a username is in one of this node's circles, to a linked circle's node.
    pub async fn answer_payee(
        &self,
        slug: &str,
        question: &PayeeQuestion,
    ) -> Result<PayeeAnswer, FederationError> {
        let info = self.store.circle(slug).await?;
        let unreadable = |what: &str| FederationError::Unreadable(what.to_owned());
        let from = Hash::from_hex(&question.from).map_err(|_| unreadable("from"))?;
        let to = Hash::from_hex(&question.to).map_err(|_| unreadable("to"))?;
        let bytes = payee_bytes(&from, &to, &question.username, question.at_ms);
        let message = SignedBy {
            format_ok: question.format == PAYEE_FORMAT,
            from: &question.from,
            to: &question.to,
            at_ms: question.at_ms,
            signature: &question.signature,
            bytes: &bytes,
        };
        self.check_signed(&info, message).await?;
        let card = self
            .db
            .member_by_username(info.row_id, question.username.trim())
            .await?
            .filter(|card| card.status == MemberStatus::Active)
            .ok_or(FederationError::NoSuchMember)?;
        Ok(PayeeAnswer {
            username: card.username,
            display_name: card.display_name,
            account_key: card.account_key.to_hex(),
        })
    }

    /// Asks a linked circle on another node who `username` is there.
    pub(crate) async fn ask_payee(
        &self,
        from: &CircleInfo,
        partner: &PartnerCircle,
        username: &str,
    ) -> Result<(String, PublicKey), ActionError> {
        let remembered = (partner.circle_id.0, username.to_owned());
        if let Some(known) = self.federation.payees.get(&remembered, 0) {
            return Ok(known);
        }
        let at_ms = self.now_ms();
        let node_key = self.store.node_secret(from).await?;
        let bytes = payee_bytes(&from.circle_id, &partner.circle_id, username, at_ms);
        let question = PayeeQuestion {
            format: PAYEE_FORMAT.into(),
            from: from.circle_id.to_hex(),
            to: partner.circle_id.to_hex(),
            username: username.to_owned(),
            at_ms,
            signature: node_key.sign(&bytes).to_hex(),
        };
        let answer = self
            .federation
            .ask_payee(&partner.address, &partner.slug, &question)
            .await
            .map_err(|_| invalid("member", "cross-error-remote-member"))?;
        let key = answer
            .account_key
            .parse::<PublicKey>()
            .map_err(|_| invalid("member", "cross-error-remote-member"))?;
        let known = (answer.display_name, key);
        self.federation.payees.put(remembered, 0, known.clone());
        Ok(known)
    }
}
