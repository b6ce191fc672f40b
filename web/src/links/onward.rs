//! Paying through a middle circle (Credit Commons' tree of ledgers): a member of A pays a member
//! of C when A and C are not linked but both are linked with B. A's node asks B which circles B
//! passes payments on to (`routes`) and who the payee is in C (`payee-onward`), each a question
//! signed by A's node key and answered only to a linked circle; B answers for C from its own
//! node, or by asking C's node with its own key. The payment itself is one hold at A toward
//! destination C; B holds it on toward C at B's own rate and within B's own limits, all or
//! nothing (`exchange_receive.rs`, `pass_on`).
//!
//! Who may: only a linked circle's node asks (signed, recent, the link's key); B names only the
//! circles its links are open with (on this node, open both ways), never the asker itself, at
//! most [`ROUTES_MAX`]; a payee onward only in such a circle, only an active member. Names and
//! units another node sends are held to this node's rules before a member sees them.

use commons_ledger::codec::Writer;
use commons_ledger::keys::{Hash, PublicKey};
use commons_ledger::link::ExchangeRate;
use commons_ledger::store::CircleInfo;
use serde::{Deserialize, Serialize};

use crate::db::MemberStatus;
use crate::links::federation::{FederationError, PayeeAnswer};
use crate::links::LinkedCircle;
use crate::services::*;

pub const ROUTES_FORMAT: &str = "commons.link.routes";
pub const ONWARD_PAYEE_FORMAT: &str = "commons.link.payee-onward";
/// Most circles a middle circle names for one question.
pub const ROUTES_MAX: usize = 20;
/// Longest circle name or unit name another node may give, in characters.
pub const ROUTE_NAME_CHARS_MAX: usize = 100;

/// A linked circle's node asking which circles this one passes payments on to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutesQuestion {
    pub format: String,
    pub from: String,
    pub to: String,
    pub at_ms: i64,
    /// By the asking circle's node key over [`routes_bytes`].
    pub signature: String,
}

/// One circle a middle circle passes payments on to, with the middle circle's rate toward it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteJson {
    pub circle_id: String,
    pub name: String,
    pub unit_name: String,
    pub unit_symbol: String,
    pub decimals: u8,
    pub rate_here_minor: i64,
    pub rate_there_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutesAnswer {
    pub circles: Vec<RouteJson>,
}

/// A linked circle's node asking who `username` is in `circle`, a circle this one is linked
/// with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnwardPayeeQuestion {
    pub format: String,
    pub from: String,
    pub to: String,
    pub circle: String,
    pub username: String,
    pub at_ms: i64,
    /// By the asking circle's node key over [`onward_payee_bytes`].
    pub signature: String,
}

pub fn routes_bytes(question: &RoutesQuestion) -> Vec<u8> {
    let mut w = Writer::with_tag(ROUTES_FORMAT);
    w.str(&question.from).str(&question.to).i64(question.at_ms);
    w.finish()
}

pub fn onward_payee_bytes(question: &OnwardPayeeQuestion) -> Vec<u8> {
    let mut w = Writer::with_tag(ONWARD_PAYEE_FORMAT);
    w.str(&question.from)
        .str(&question.to)
        .str(&question.circle)
        .str(&question.username)
        .i64(question.at_ms);
    w.finish()
}

crate::links::federation::node_message!(RoutesQuestion, ROUTES_FORMAT, routes_bytes);
crate::links::federation::node_message!(
    OnwardPayeeQuestion,
    ONWARD_PAYEE_FORMAT,
    onward_payee_bytes
);

/// The payee's circle, two links away, as this node read it from the middle circle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEnd {
    pub circle_id: Hash,
    pub name: String,
    pub unit_name: String,
    pub unit_symbol: String,
    pub decimals: u8,
    /// The middle circle's rate toward it.
    pub onward: ExchangeRate,
}

impl RouteEnd {
    /// A route another node named, when every field holds to this node's rules.
    fn parse(route: &RouteJson) -> Option<RouteEnd> {
        let name = |text: &str| {
            crate::names::bounded_text(text, ROUTE_NAME_CHARS_MAX)
                .ok()
                .filter(|text| !text.is_empty())
        };
        let symbol = crate::names::bounded_text(&route.unit_symbol, 16).ok()?;
        if route.decimals > 6 {
            return None;
        }
        Some(RouteEnd {
            circle_id: Hash::from_hex(&route.circle_id).ok()?,
            name: name(&route.name)?,
            unit_name: name(&route.unit_name)?,
            unit_symbol: symbol,
            decimals: route.decimals,
            onward: ExchangeRate::new(route.rate_here_minor, route.rate_there_minor).ok()?,
        })
    }
}

/// Where a member can pay across: a linked circle, or a circle linked with one (`end`).
#[derive(Debug, Clone)]
pub struct Destination {
    /// The linked circle the payment goes to first.
    pub via: LinkedCircle,
    /// Through `via` to this circle, or `None`: to `via` itself.
    pub end: Option<RouteEnd>,
}

impl Destination {
    /// How forms name it: the linked circle's reference, or it and the end circle's id.
    pub fn reference(&self) -> String {
        match &self.end {
            None => self.via.partner.reference.clone(),
            Some(end) => format!("{}#{}", self.via.partner.reference, end.circle_id.to_hex()),
        }
    }
    pub fn name(&self) -> &str {
        self.end
            .as_ref()
            .map_or(&self.via.partner.name, |end| &end.name)
    }
    pub fn unit_name(&self) -> &str {
        self.end
            .as_ref()
            .map_or(&self.via.partner.unit_name, |end| &end.unit_name)
    }
}

impl Services {
    /// Every circle the member can pay across: the linked ones, then those the linked ones
    /// pass payments on to (a node that cannot be asked now adds none).
    pub async fn destinations(&self, actor: &Actor) -> Result<Vec<Destination>, ActionError> {
        let payable = self.payable_circles(actor).await?;
        let mut destinations: Vec<Destination> = payable
            .iter()
            .map(|via| Destination {
                via: via.clone(),
                end: None,
            })
            .collect();
        for via in payable.iter().filter(|via| via.is_proved()) {
            for end in self.routes_through(&actor.circle, via).await {
                let known = end.circle_id == actor.circle.circle_id
                    || destinations.iter().any(|known| {
                        known.via.partner.circle_id == end.circle_id
                            || known
                                .end
                                .as_ref()
                                .is_some_and(|e| e.circle_id == end.circle_id)
                    });
                if !known {
                    destinations.push(Destination {
                        via: via.clone(),
                        end: Some(end),
                    });
                }
            }
        }
        Ok(destinations)
    }

    /// The destinations through one linked circle.
    pub(crate) async fn destinations_through(
        &self,
        actor: &Actor,
        via: &LinkedCircle,
    ) -> Result<Vec<Destination>, ActionError> {
        Ok(self
            .routes_through(&actor.circle, via)
            .await
            .into_iter()
            .filter(|end| end.circle_id != actor.circle.circle_id)
            .map(|end| Destination {
                via: via.clone(),
                end: Some(end),
            })
            .collect())
    }

    /// The circles `via` passes payments on to, as it answers (remembered a while).
    async fn routes_through(&self, from: &CircleInfo, via: &LinkedCircle) -> Vec<RouteEnd> {
        let remembered = (via.partner.circle_id.0, from.circle_id.0);
        if let Some(known) = self.federation.routes.get(&remembered, 0) {
            return known;
        }
        let answer = match self.ask_routes(from, via).await {
            Ok(answer) => answer,
            Err(error) => {
                tracing::warn!(%error, circle = %via.partner.reference, "a linked circle's routes could not be asked");
                return Vec::new();
            }
        };
        let ends: Vec<RouteEnd> = answer
            .circles
            .iter()
            .take(ROUTES_MAX)
            .filter_map(RouteEnd::parse)
            .collect();
        self.federation.routes.put(remembered, 0, ends.clone());
        ends
    }

    async fn ask_routes(
        &self,
        from: &CircleInfo,
        via: &LinkedCircle,
    ) -> Result<RoutesAnswer, String> {
        let mut question = RoutesQuestion {
            format: ROUTES_FORMAT.into(),
            from: from.circle_id.to_hex(),
            to: via.partner.circle_id.to_hex(),
            at_ms: self.now_ms(),
            signature: String::new(),
        };
        self.sign_message(from, &mut question)
            .await
            .map_err(|error| error.to_string())?;
        if via.partner.address.is_empty() {
            return self
                .answer_routes(&via.partner.slug, &question)
                .await
                .map_err(|error| error.to_string());
        }
        self.federation
            .ask_routes(&via.partner.address, &via.partner.slug, &question)
            .await
    }

    /// Who `username` is in the end circle of a route, asked of the middle circle (its own
    /// node knows, or asks the end circle's).
    pub(crate) async fn payee_onward(
        &self,
        from: &CircleInfo,
        via: &LinkedCircle,
        end: &RouteEnd,
        username: &str,
    ) -> Result<(String, PublicKey), ActionError> {
        let remembered = (end.circle_id.0, username.to_owned());
        if let Some(known) = self.federation.payees.get(&remembered, 0) {
            return Ok(known);
        }
        let mut question = OnwardPayeeQuestion {
            format: ONWARD_PAYEE_FORMAT.into(),
            from: from.circle_id.to_hex(),
            to: via.partner.circle_id.to_hex(),
            circle: end.circle_id.to_hex(),
            username: username.to_owned(),
            at_ms: self.now_ms(),
            signature: String::new(),
        };
        self.sign_message(from, &mut question).await?;
        let nobody = || invalid("member", "cross-error-remote-member");
        let answer = if via.partner.address.is_empty() {
            Box::pin(self.answer_onward_payee(&via.partner.slug, &question))
                .await
                .map_err(|_| nobody())?
        } else {
            self.federation
                .ask_onward_payee(&via.partner.address, &via.partner.slug, &question)
                .await
                .map_err(|_| nobody())?
        };
        let name: crate::names::DisplayName = answer.display_name.parse().map_err(|_| nobody())?;
        let key = answer
            .account_key
            .parse::<PublicKey>()
            .map_err(|_| nobody())?;
        let known = (name.as_str().to_owned(), key);
        self.federation.payees.put(remembered, 0, known.clone());
        Ok(known)
    }

    /// Answers a linked circle's node: the circles this one passes payments on to.
    pub async fn answer_routes(
        &self,
        slug: &str,
        question: &RoutesQuestion,
    ) -> Result<RoutesAnswer, FederationError> {
        let info = self.store.circle(slug).await?;
        let (from, _) = self.check_message(&info, question).await?;
        let mut circles = Vec::new();
        for linked in self.onward_links(&info).await? {
            if linked.partner.circle_id == from {
                continue;
            }
            circles.push(RouteJson {
                circle_id: linked.partner.circle_id.to_hex(),
                name: linked.partner.name.clone(),
                unit_name: linked.partner.unit_name.clone(),
                unit_symbol: linked.partner.unit_symbol.clone(),
                decimals: linked.partner.decimals,
                rate_here_minor: linked.link.terms.rate_here_minor,
                rate_there_minor: linked.link.terms.rate_there_minor,
            });
            if circles.len() == ROUTES_MAX {
                break;
            }
        }
        Ok(RoutesAnswer { circles })
    }

    /// This circle's links a payment may pass on along: open here, and for a circle of this
    /// node open there too.
    async fn onward_links(&self, info: &CircleInfo) -> Result<Vec<LinkedCircle>, FederationError> {
        let internal = |error: ActionError| FederationError::Internal(format!("{error:?}"));
        let mut open = Vec::new();
        for linked in self.linked_circles(info).await.map_err(internal)? {
            if !linked.is_open() || !linked.is_proved() {
                continue;
            }
            if let Some(there) = self.store.circle_by_id(&linked.partner.circle_id).await? {
                let back = self.store.link(&there, &info.circle_id).await?;
                if !back.is_some_and(|row| row.status == commons_ledger::crossing::LinkStatus::Open)
                {
                    continue;
                }
            }
            open.push(linked);
        }
        Ok(open)
    }

    /// Answers a linked circle's node: who `username` is in a circle this one passes payments
    /// on to.
    pub async fn answer_onward_payee(
        &self,
        slug: &str,
        question: &OnwardPayeeQuestion,
    ) -> Result<PayeeAnswer, FederationError> {
        let info = self.store.circle(slug).await?;
        let (from, _) = self.check_message(&info, question).await?;
        let circle = Hash::from_hex(&question.circle)
            .map_err(|_| FederationError::Unreadable("circle".into()))?;
        let linked = self
            .onward_links(&info)
            .await?
            .into_iter()
            .find(|linked| linked.partner.circle_id == circle && circle != from)
            .ok_or(FederationError::NotLinked)?;
        if linked.partner.address.is_empty() {
            let there = self
                .store
                .circle_by_id(&circle)
                .await?
                .ok_or(FederationError::NoSuchCircle)?;
            let card = self
                .db
                .member_by_username(there.row_id, question.username.trim())
                .await?
                .filter(|card| card.status == MemberStatus::Active)
                .ok_or(FederationError::NoSuchMember)?;
            return Ok(PayeeAnswer {
                username: card.username,
                display_name: card.display_name,
                account_key: card.account_key.to_hex(),
            });
        }
        let (display_name, key) = self
            .ask_payee(&info, &linked.partner, question.username.trim())
            .await
            .map_err(|_| FederationError::NoSuchMember)?;
        Ok(PayeeAnswer {
            username: question.username.trim().to_owned(),
            display_name,
            account_key: key.to_hex(),
        })
    }
}
