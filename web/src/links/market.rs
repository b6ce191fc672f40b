//! The market across a link: by each circle's choice (the link proposal's "share the market"),
//! members see the linked circle's live offers and needs beside their own, marked with that
//! circle and priced in their own unit, found by the same search (across English and Spanish),
//! and pay or ask their author across the link.
//!
//! Who sees what: a member of a circle whose link is open both ways and shared by both
//! circles. A listing hidden or held by its own circle's moderators is hidden everywhere;
//! listings of a member still in the sandbox stay in their own circle; on this node a block
//! either way hides the author, as within a circle. Between nodes the question is signed by the
//! asking circle's node key and answered only for a circle whose link shares its market.

use commons_ledger::codec::Writer;
use commons_ledger::keys::Hash;
use commons_ledger::store::CircleInfo;
use commons_market::index::{Filters, Search};
use commons_market::listing::{
    Kind, Side, Value, ValueKind, DESCRIPTION_CHARS_MAX, TITLE_CHARS_MAX,
};
use commons_market::text::Language;
use serde::{Deserialize, Serialize};

use crate::links::federation::FederationError;
use crate::links::{LinkedCircle, PartnerCircle};
use crate::services::*;

/// Most listings one linked circle gives for one question.
pub const SHARED_LISTINGS_MAX: usize = 12;
/// Longest search text one question carries, in bytes.
pub const SHARED_QUERY_BYTES_MAX: usize = 200;
pub const MARKET_FORMAT: &str = "commons.link.market";

/// A listing as one circle shows it to a linked circle (and as it travels between nodes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedListing {
    pub id: i64,
    pub side: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub language: String,
    pub value_kind: String,
    pub amount_minor: Option<i64>,
    pub author_username: String,
    pub author_name: String,
    pub created_ms: i64,
}

/// A linked circle's node asking for this circle's listings: found by `text` (browsing when
/// empty), or the one listing `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketQuestion {
    pub format: String,
    pub from: String,
    pub to: String,
    pub text: String,
    pub side: Option<String>,
    pub id: Option<i64>,
    pub at_ms: i64,
    /// By the asking circle's node key over [`market_bytes`].
    pub signature: String,
}

/// The listings a linked circle shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketAnswer {
    pub listings: Vec<SharedListing>,
}

/// The bytes a market question's signature covers.
pub fn market_bytes(question: &MarketQuestion) -> Vec<u8> {
    let mut w = Writer::with_tag(MARKET_FORMAT);
    w.str(&question.from)
        .str(&question.to)
        .str(&question.text)
        .str(question.side.as_deref().unwrap_or(""))
        .i64(question.id.unwrap_or(-1))
        .i64(question.at_ms);
    w.finish()
}

crate::links::federation::node_message!(MarketQuestion, MARKET_FORMAT, market_bytes);

/// A listing of a linked circle, parsed (whatever another node sent) and priced for a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingAcross {
    pub circle: PartnerCircle,
    pub id: i64,
    pub side: Side,
    pub kind: Kind,
    pub title: String,
    pub description: String,
    pub category: String,
    pub language: Language,
    /// In the listing's own circle's unit.
    pub value: Value,
    /// What that costs in the member's unit: the least that gives at least it.
    pub value_here_minor: Option<i64>,
    pub author_username: String,
    pub author_name: String,
}

impl ListingAcross {
    /// Parses a shared listing: every field held to this node's own rules; `None` when one is
    /// not.
    fn parse(shared: SharedListing, linked: &LinkedCircle) -> Option<ListingAcross> {
        let title = commons_ledger::title::Title::parse(&shared.title, TITLE_CHARS_MAX).ok()?;
        let author_name: crate::names::DisplayName = shared.author_name.parse().ok()?;
        let author_username: crate::names::Username = shared.author_username.parse().ok()?;
        if shared.description.chars().count() > DESCRIPTION_CHARS_MAX || shared.category.len() > 100
        {
            return None;
        }
        let value = Value::new(
            ValueKind::parse(&shared.value_kind).ok()?,
            shared.amount_minor,
        )
        .ok()?;
        let value_here_minor = value.amount_minor().and_then(|there| {
            linked
                .link
                .terms
                .rate()
                .and_then(|rate| rate.cost_of(there))
                .ok()
        });
        Some(ListingAcross {
            circle: linked.partner.clone(),
            id: shared.id,
            side: Side::parse(&shared.side).ok()?,
            kind: Kind::parse(&shared.kind).ok()?,
            title: title.as_str().to_owned(),
            description: shared.description,
            category: shared.category,
            language: Language::from_tag(&shared.language),
            value,
            value_here_minor,
            author_username: author_username.as_str().to_owned(),
            author_name: author_name.as_str().to_owned(),
        })
    }
}

/// Most of a member's listings whose matches are looked for across links on one page.
pub const ACROSS_MATCHED_LISTINGS_MAX: usize = 10;
/// Most matches across shown for one listing.
pub const ACROSS_MATCHES_SHOWN: usize = 3;

/// What a member asks of the linked circles' markets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcrossQuery {
    pub text: String,
    pub side: Option<Side>,
    pub id: Option<i64>,
}

impl Services {
    /// The linked circles whose markets the member sees: open both ways, shared by both.
    pub async fn shared_market_circles(
        &self,
        actor: &Actor,
    ) -> Result<Vec<LinkedCircle>, ActionError> {
        let mut shared = Vec::new();
        for linked in self.payable_circles(actor).await? {
            if !linked.link.terms.shares_market {
                continue;
            }
            if let Some(info) = self.store.circle_by_id(&linked.partner.circle_id).await? {
                let back = self.store.link(&info, &actor.circle.circle_id).await?;
                if !back.is_some_and(|row| row.terms.shares_market) {
                    continue;
                }
            }
            shared.push(linked);
        }
        Ok(shared)
    }

    /// The linked circles' listings the member may see for `query`, each circle's best first.
    /// A node that cannot be asked now gives nothing (its circle is named in the second list).
    pub async fn listings_across(
        &self,
        actor: &Actor,
        query: &AcrossQuery,
    ) -> Result<(Vec<ListingAcross>, Vec<String>), ActionError> {
        let mut found = Vec::new();
        let mut unreachable = Vec::new();
        // Members of other nodes the member blocked: their listings are not shown.
        let blocked: std::collections::BTreeSet<([u8; 32], String)> = self
            .db
            .link_blocks_of(actor.user.id)
            .await?
            .into_iter()
            .map(|block| (block.partner, block.username))
            .collect();
        for linked in self.shared_market_circles(actor).await? {
            let shared = if linked.partner.address.is_empty() {
                let info = self.store.circle(&linked.partner.reference).await?;
                let hidden = self.hidden_from(actor).await?;
                self.shared_listings(&info, query, hidden).await?
            } else {
                match self.ask_market(&actor.circle, &linked, query).await {
                    Ok(answer) => answer.listings,
                    Err(error) => {
                        tracing::warn!(%error, circle = %linked.partner.reference, "a linked circle's market could not be asked");
                        unreachable.push(linked.partner.name.clone());
                        continue;
                    }
                }
            };
            found.extend(
                shared
                    .into_iter()
                    .take(SHARED_LISTINGS_MAX)
                    .filter_map(|listing| ListingAcross::parse(listing, &linked))
                    .filter(|listing| {
                        !blocked.contains(&(
                            listing.circle.circle_id.0,
                            listing.author_username.clone(),
                        ))
                    }),
            );
        }
        Ok((found, unreachable))
    }

    /// "Who could help" across the links: for each of the member's listings (the first
    /// [`ACROSS_MATCHED_LISTINGS_MAX`]), the linked circles' listings of the other side found by
    /// its title and tags (in any of the node's languages), at most [`ACROSS_MATCHES_SHOWN`].
    pub async fn matches_across(
        &self,
        actor: &Actor,
        mine: &[commons_market::store::Listing],
    ) -> Result<Vec<(i64, Vec<ListingAcross>)>, ActionError> {
        if self.shared_market_circles(actor).await?.is_empty() {
            return Ok(Vec::new());
        }
        let mut all = Vec::new();
        for listing in mine.iter().take(ACROSS_MATCHED_LISTINGS_MAX) {
            let query = AcrossQuery {
                text: truncated(&format!("{} {}", listing.title, listing.tags.join(" "))),
                side: Some(match listing.side {
                    Side::Offer => Side::Need,
                    Side::Need => Side::Offer,
                }),
                id: None,
            };
            let (mut found, _) = self.listings_across(actor, &query).await?;
            found.truncate(ACROSS_MATCHES_SHOWN);
            all.push((listing.id, found));
        }
        Ok(all)
    }

    /// One listing of a linked circle, if the member may see it.
    pub async fn listing_across(
        &self,
        actor: &Actor,
        circle_id: &Hash,
        id: i64,
    ) -> Result<ListingAcross, ActionError> {
        let query = AcrossQuery {
            id: Some(id),
            ..AcrossQuery::default()
        };
        let (found, _) = self.listings_across(actor, &query).await?;
        found
            .into_iter()
            .find(|listing| listing.circle.circle_id == *circle_id && listing.id == id)
            .ok_or(ActionError::NotFound)
    }

    /// A circle's live listings as it shows them to a linked circle: not hidden or held by
    /// its moderators, not by a member in the sandbox, nor by anyone in `hidden_owners`.
    pub(crate) async fn shared_listings(
        &self,
        info: &CircleInfo,
        query: &AcrossQuery,
        hidden_owners: std::collections::BTreeSet<i64>,
    ) -> Result<Vec<SharedListing>, ActionError> {
        let now_ms = self.now_ms();
        let hidden_listings: std::collections::BTreeSet<i64> = self
            .db
            .hidden_items(info.row_id)
            .await?
            .keys()
            .filter(|(kind, _)| kind == "listing")
            .map(|(_, id)| *id)
            .collect();
        let listings = match query.id {
            Some(id) => self
                .market
                .listing(info.row_id, id)
                .await?
                .filter(|listing| listing.is_live(now_ms))
                .filter(|listing| !hidden_owners.contains(&listing.owner))
                .filter(|listing| !hidden_listings.contains(&listing.id))
                .into_iter()
                .collect(),
            None => {
                let search = Search {
                    text: query.text.clone(),
                    language: None,
                    filters: Filters {
                        side: query.side,
                        hidden_owners,
                        hidden_listings,
                        ..Filters::default()
                    },
                    offset: 0,
                    limit: SHARED_LISTINGS_MAX,
                    now_ms,
                };
                let page = self.market.search(info.row_id, &search).await?;
                let ids: Vec<i64> = page.hits.iter().map(|hit| hit.id).collect();
                self.market.listings(info.row_id, &ids).await?
            }
        };
        let stewards = self.store.stewards(info).await?;
        let mut shared = Vec::new();
        for listing in listings {
            let Some(membership) = self.db.membership(info.row_id, listing.owner).await? else {
                continue;
            };
            let steward = stewards.contains(&membership.account_key);
            if crate::membership::sandbox::in_sandbox(&membership, steward, now_ms) {
                continue;
            }
            let Some(author) = self.db.people(info.row_id, &[listing.owner]).await?.pop() else {
                continue;
            };
            shared.push(SharedListing {
                id: listing.id,
                side: listing.side.as_str().into(),
                kind: listing.kind.as_str().into(),
                title: listing.title,
                description: listing.description,
                category: listing.category,
                language: listing.language.code().into(),
                value_kind: listing.value.kind().as_str().into(),
                amount_minor: listing.value.amount_minor(),
                author_username: author.username,
                author_name: author.display_name,
                created_ms: listing.created_at_ms,
            });
        }
        Ok(shared)
    }

    /// Asks a linked circle on another node for its listings (a signed question).
    async fn ask_market(
        &self,
        from: &CircleInfo,
        linked: &LinkedCircle,
        query: &AcrossQuery,
    ) -> Result<MarketAnswer, String> {
        let mut question = MarketQuestion {
            format: MARKET_FORMAT.into(),
            from: from.circle_id.to_hex(),
            to: linked.partner.circle_id.to_hex(),
            text: truncated(&query.text),
            side: query.side.map(|side| side.as_str().to_owned()),
            id: query.id,
            at_ms: self.now_ms(),
            signature: String::new(),
        };
        self.sign_message(from, &mut question)
            .await
            .map_err(|error| error.to_string())?;
        self.federation
            .ask_market(&linked.partner.address, &linked.partner.slug, &question)
            .await
    }

    /// Answers a linked circle's node asking for this circle's listings.
    pub async fn answer_market(
        &self,
        slug: &str,
        question: &MarketQuestion,
    ) -> Result<MarketAnswer, FederationError> {
        let info = self.store.circle(slug).await?;
        let unreadable = |what: &str| FederationError::Unreadable(what.to_owned());
        if question.text.len() > SHARED_QUERY_BYTES_MAX {
            return Err(unreadable("text"));
        }
        let (_, link) = self.check_message(&info, question).await?;
        if !link.terms.shares_market {
            return Err(FederationError::NotLinked);
        }
        let side = match question.side.as_deref() {
            None => None,
            Some(text) => Some(Side::parse(text).map_err(|_| unreadable("side"))?),
        };
        let query = AcrossQuery {
            text: question.text.clone(),
            side,
            id: question.id,
        };
        let listings = self
            .shared_listings(&info, &query, Default::default())
            .await
            .map_err(|error| FederationError::Internal(format!("{error:?}")))?;
        Ok(MarketAnswer { listings })
    }
}

/// At most [`SHARED_QUERY_BYTES_MAX`] bytes, cut at a character boundary.
fn truncated(text: &str) -> String {
    let mut end = text.len().min(SHARED_QUERY_BYTES_MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}
