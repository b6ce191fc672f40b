//! The market API's answer types (listings, matches, deals) and its enumerations, each mapped
//! from the domain by an exhaustive match, so a new variant cannot go undocumented.

#![allow(clippy::result_large_err)]

use commons_market::listing::{Kind, Side};
use commons_market::matching::Match;
use commons_market::store::{Listing, Message, StoredDeal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whether a listing offers something or asks for it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Side)]
pub enum SideJson {
    Offer,
    Need,
}

impl From<Side> for SideJson {
    fn from(side: Side) -> Self {
        match side {
            Side::Offer => SideJson::Offer,
            Side::Need => SideJson::Need,
        }
    }
}

impl From<SideJson> for Side {
    fn from(side: SideJson) -> Self {
        match side {
            SideJson::Offer => Side::Offer,
            SideJson::Need => Side::Need,
        }
    }
}

/// What a listing is about.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Kind)]
pub enum KindJson {
    Thing,
    Skill,
    Knowledge,
    Event,
}

impl From<Kind> for KindJson {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Thing => KindJson::Thing,
            Kind::Skill => KindJson::Skill,
            Kind::Knowledge => KindJson::Knowledge,
            Kind::Event => KindJson::Event,
        }
    }
}

impl From<KindJson> for Kind {
    fn from(kind: KindJson) -> Self {
        match kind {
            KindJson::Thing => Kind::Thing,
            KindJson::Skill => Kind::Skill,
            KindJson::Knowledge => Kind::Knowledge,
            KindJson::Event => Kind::Event,
        }
    }
}

/// Whether a listing is shown: active, paused by its author, or closed.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ListingStatus)]
pub enum ListingStatusJson {
    Active,
    Paused,
    Closed,
}

impl From<commons_market::listing::Status> for ListingStatusJson {
    fn from(status: commons_market::listing::Status) -> Self {
        use commons_market::listing::Status;
        match status {
            Status::Active => ListingStatusJson::Active,
            Status::Paused => ListingStatusJson::Paused,
            Status::Closed => ListingStatusJson::Closed,
        }
    }
}

/// How a listing is valued: a fixed amount, per hour, by agreement, or a gift.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ValueKind)]
pub enum ValueKindJson {
    Fixed,
    PerHour,
    ByAgreement,
    Gift,
}

impl From<commons_market::listing::ValueKind> for ValueKindJson {
    fn from(kind: commons_market::listing::ValueKind) -> Self {
        use commons_market::listing::ValueKind;
        match kind {
            ValueKind::Fixed => ValueKindJson::Fixed,
            ValueKind::PerHour => ValueKindJson::PerHour,
            ValueKind::ByAgreement => ValueKindJson::ByAgreement,
            ValueKind::Gift => ValueKindJson::Gift,
        }
    }
}

/// An offer or a need.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Listing)]
pub struct ListingJson {
    pub id: i64,
    /// The author's member id.
    pub owner: i64,
    pub side: SideJson,
    pub kind: KindJson,
    pub status: ListingStatusJson,
    pub title: String,
    /// Markdown.
    pub description: String,
    pub category: String,
    pub tags: Vec<String>,
    pub area: String,
    pub value_kind: ValueKindJson,
    /// For fixed and per-hour values.
    pub amount_minor: Option<i64>,
    /// The same amount in the circle's unit, as text.
    pub amount: Option<String>,
    pub availability: String,
    /// The language it is written in (en, fr, de, es, ...).
    pub language: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub expires_at_ms: i64,
    /// For events.
    pub event: Option<EventJson>,
    /// How well it fits the search (search results only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
}

/// When and where an event is.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventJson {
    /// Local time, YYYY-MM-DDTHH:MM.
    pub starts: String,
    /// Local time, YYYY-MM-DDTHH:MM.
    pub ends: String,
    pub place: String,
    pub online: bool,
    /// How many places; null for no limit.
    pub capacity: Option<u32>,
    /// How many members hold a place.
    pub going: i64,
}

impl ListingJson {
    pub(crate) fn new(listing: &Listing, decimals: u8) -> ListingJson {
        let decimals = commons_ledger::amount::Decimals::new(u32::from(decimals)).ok();
        let amount = listing.value.amount_minor();
        ListingJson {
            id: listing.id,
            owner: listing.owner,
            side: listing.side.into(),
            kind: listing.kind.into(),
            status: listing.status.into(),
            title: listing.title.clone(),
            description: listing.description.clone(),
            category: listing.category.clone(),
            tags: listing.tags.clone(),
            area: listing.area.clone(),
            value_kind: listing.value.kind().into(),
            amount_minor: amount,
            amount: amount.and_then(|a| decimals.map(|d| d.format(a))),
            availability: listing.availability.clone(),
            language: listing.language.code().to_owned(),
            created_at_ms: listing.created_at_ms,
            updated_at_ms: listing.updated_at_ms,
            expires_at_ms: listing.expires_at_ms,
            event: listing.event.as_ref().map(|e| EventJson {
                starts: e.starts.to_input(),
                ends: e.ends.to_input(),
                place: e.place.clone(),
                online: e.online,
                capacity: e.capacity,
                going: listing.going,
            }),
            score: None,
        }
    }
}

/// A listing that fits another, with its score and what it is made of.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Match)]
pub struct MatchJson {
    pub score: f32,
    pub factors: FactorsJson,
    pub listing: ListingJson,
}

/// What a match's score is made of, each from 0 to 1 (the boost from 1).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Factors)]
pub struct FactorsJson {
    pub text: f32,
    pub category: f32,
    pub kind: f32,
    pub tags: f32,
    pub area: f32,
    pub recency: f32,
    pub availability: f32,
    /// More for the member who would earn and is furthest below zero.
    pub balance_boost: f32,
}

impl MatchJson {
    pub(crate) fn new(found: &Match, listing: &Listing, decimals: u8) -> MatchJson {
        let f = &found.factors;
        MatchJson {
            score: found.score,
            factors: FactorsJson {
                text: f.text,
                category: f.category,
                kind: f.kind,
                tags: f.tags,
                area: f.area,
                recency: f.recency,
                availability: f.availability,
                balance_boost: f.balance_boost,
            },
            listing: ListingJson::new(listing, decimals),
        }
    }
}

/// Where a deal stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DealStatus)]
pub enum DealStatusJson {
    Open,
    Proposed,
    Agreed,
    Completed,
    Cancelled,
}

impl From<commons_market::deal::Status> for DealStatusJson {
    fn from(status: commons_market::deal::Status) -> Self {
        use commons_market::deal::Status;
        match status {
            Status::Open => DealStatusJson::Open,
            Status::Proposed => DealStatusJson::Proposed,
            Status::Agreed => DealStatusJson::Agreed,
            Status::Completed => DealStatusJson::Completed,
            Status::Cancelled => DealStatusJson::Cancelled,
        }
    }
}

/// A deal between a listing's author and a member who answered it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Deal)]
pub struct DealJson {
    pub id: i64,
    /// The listing's id.
    pub listing: i64,
    /// The listing's author (member id).
    pub owner: i64,
    /// The member who answered (member id).
    pub responder: i64,
    pub payer: i64,
    pub payee: i64,
    pub status: DealStatusJson,
    /// The terms on the table, once proposed.
    pub terms: Option<TermsJson>,
    /// The payment's entry, once completed.
    pub payment_seq: Option<u64>,
    /// The payment's reference (`deal:ID`), for `commons pay --reference`.
    pub reference: String,
    /// Send as `version` with agree and complete: a change since is refused, never agreed to
    /// unseen.
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// The conversation (one deal read on its own only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<MessageJson>>,
}

/// What is proposed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Terms)]
pub struct TermsJson {
    pub description: String,
    /// Null for a gift.
    pub amount_minor: Option<i64>,
    pub gift: bool,
    /// Who proposed them (member id).
    pub proposed_by: i64,
}

/// One message in a deal's conversation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DealMessage)]
pub struct MessageJson {
    pub id: i64,
    /// Member id.
    pub author: i64,
    pub body: String,
    pub created_at_ms: i64,
}

impl DealJson {
    pub(crate) fn new(stored: &StoredDeal, messages: Option<&[Message]>) -> DealJson {
        let d = &stored.deal;
        DealJson {
            id: d.id,
            listing: d.listing_id,
            owner: d.owner,
            responder: d.responder,
            payer: d.payer,
            payee: d.payee(),
            status: d.status.into(),
            terms: d.terms.as_ref().map(|t| TermsJson {
                description: t.description.clone(),
                amount_minor: t.amount_minor,
                gift: t.amount_minor.is_none(),
                proposed_by: t.proposed_by,
            }),
            payment_seq: d.payment_seq,
            reference: d.reference(),
            version: stored.version,
            created_at_ms: stored.created_at_ms,
            updated_at_ms: stored.updated_at_ms,
            messages: messages.map(|messages| {
                messages
                    .iter()
                    .map(|m| MessageJson {
                        id: m.id,
                        author: m.author,
                        body: m.body.clone(),
                        created_at_ms: m.created_at_ms,
                    })
                    .collect()
            }),
        }
    }
}
