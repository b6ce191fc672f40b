//! Deals between members of linked circles, as this node keeps its own member's side: the
//! listing's author's (`owner`, whose side decides every step) or the member's who answered it
//! (`responder`, whose side mirrors what the owner's side decided). The deal's rules are
//! `commons_market::deal`; the other circle's member is the party [`deal::ACROSS`].

use commons_market::deal::{self, Deal, Status, Terms};
use commons_market::listing::Side;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{DbResult, NodeDb};

/// One side of a deal across a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkDealRow {
    pub id: i64,
    pub uuid: [u8; 16],
    /// This node's member wrote the listing (their side decides).
    pub owner_here: bool,
    pub circle: i64,
    pub user_id: i64,
    /// The other member's circle id, username and name.
    pub partner: [u8; 32],
    pub other_username: String,
    pub other_name: String,
    /// The listing, in the owner's circle.
    pub listing_id: i64,
    pub listing_title: String,
    pub side: Side,
    pub status: Status,
    /// Amount in the listing's circle's unit (`None`: a gift).
    pub terms: Option<(String, Option<i64>)>,
    pub terms_by_owner: bool,
    pub version: i64,
    /// The payment across that settled it, hex.
    pub transfer: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl LinkDealRow {
    /// The deal as its rules see it: this node's member by their id, the other as `ACROSS`.
    pub fn deal(&self) -> Deal {
        let (owner, responder) = if self.owner_here {
            (self.user_id, deal::ACROSS)
        } else {
            (deal::ACROSS, self.user_id)
        };
        Deal {
            id: self.id,
            listing_id: self.listing_id,
            owner,
            responder,
            payer: deal::payer_for(self.side, owner, responder),
            status: self.status,
            terms: self
                .terms
                .as_ref()
                .map(|(description, amount_minor)| Terms {
                    description: description.clone(),
                    amount_minor: *amount_minor,
                    proposed_by: if self.terms_by_owner {
                        owner
                    } else {
                        responder
                    },
                }),
            payment_seq: None,
        }
    }

    /// This side after `after` (a step the rules allowed).
    pub fn with(&self, after: &Deal) -> LinkDealRow {
        LinkDealRow {
            status: after.status,
            terms: after
                .terms
                .as_ref()
                .map(|terms| (terms.description.clone(), terms.amount_minor)),
            terms_by_owner: after
                .terms
                .as_ref()
                .is_some_and(|terms| terms.proposed_by == after.owner),
            ..self.clone()
        }
    }

    fn role(&self) -> &'static str {
        if self.owner_here {
            "owner"
        } else {
            "responder"
        }
    }
}

/// One message of a deal across's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkDealMessage {
    pub id: i64,
    pub from_here: bool,
    pub body: String,
    pub created_ms: i64,
}

const COLUMNS: &str = "id, uuid, role, circle, user_id, partner, other_username, other_name, listing_id, listing_title, side, status, terms_description, terms_amount_minor, terms_by, version, transfer, created_ms, updated_ms";

fn row_of(row: &AnyRow) -> DbResult<LinkDealRow> {
    let corrupt = |what: &str| sqlx::Error::Decode(format!("a deal across's {what}").into());
    let uuid: Vec<u8> = row.try_get(1)?;
    let partner: Vec<u8> = row.try_get(5)?;
    let description: Option<String> = row.try_get(12)?;
    let amount_minor: Option<i64> = row.try_get(13)?;
    Ok(LinkDealRow {
        id: row.try_get(0)?,
        uuid: uuid.try_into().map_err(|_| corrupt("uuid"))?,
        owner_here: row.try_get::<String, _>(2)? == "owner",
        circle: row.try_get(3)?,
        user_id: row.try_get(4)?,
        partner: partner.try_into().map_err(|_| corrupt("partner"))?,
        other_username: row.try_get(6)?,
        other_name: row.try_get(7)?,
        listing_id: row.try_get(8)?,
        listing_title: row.try_get(9)?,
        side: Side::parse(&row.try_get::<String, _>(10)?).map_err(|_| corrupt("side"))?,
        status: Status::parse(&row.try_get::<String, _>(11)?).ok_or_else(|| corrupt("status"))?,
        terms: description.map(|description| (description, amount_minor)),
        terms_by_owner: row.try_get::<Option<String>, _>(14)?.as_deref() == Some("owner"),
        version: row.try_get(15)?,
        transfer: row.try_get(16)?,
        created_ms: row.try_get(17)?,
        updated_ms: row.try_get(18)?,
    })
}

impl NodeDb {
    /// Keeps a new side of a deal (a side already kept for this uuid is left as it is) and
    /// returns the side as stored.
    pub async fn keep_link_deal(&self, side: &LinkDealRow) -> DbResult<LinkDealRow> {
        let terms = side.terms.as_ref();
        sqlx::query(
            "INSERT INTO link_deals (uuid, role, circle, user_id, partner, other_username, other_name, listing_id, listing_title, side, status, terms_description, terms_amount_minor, terms_by, version, transfer, created_ms, updated_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) ON CONFLICT (uuid, role) DO NOTHING",
        )
        .bind(side.uuid.to_vec())
        .bind(side.role())
        .bind(side.circle)
        .bind(side.user_id)
        .bind(side.partner.to_vec())
        .bind(side.other_username.clone())
        .bind(side.other_name.clone())
        .bind(side.listing_id)
        .bind(side.listing_title.clone())
        .bind(side.side.as_str())
        .bind(side.status.as_str())
        .bind(terms.map(|terms| terms.0.clone()))
        .bind(terms.and_then(|terms| terms.1))
        .bind(terms.map(|_| if side.terms_by_owner { "owner" } else { "responder" }))
        .bind(side.version)
        .bind(side.transfer.clone())
        .bind(side.created_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        self.link_deal_by_uuid(&side.uuid, side.owner_here)
            .await?
            .ok_or_else(|| sqlx::Error::RowNotFound)
    }

    /// Saves a side's next state over the version it was decided on (`before.version`); the
    /// side as stored, or `None` when it changed meanwhile. A responder's side mirrors the
    /// owner's: `before.version` is then whatever it held, and the owner's version is kept.
    pub async fn save_link_deal(
        &self,
        before: &LinkDealRow,
        after: &LinkDealRow,
        now_ms: i64,
    ) -> DbResult<Option<LinkDealRow>> {
        let terms = after.terms.as_ref();
        let done = sqlx::query(
            "UPDATE link_deals SET status = $1, terms_description = $2, terms_amount_minor = $3, terms_by = $4, version = $5, transfer = $6, updated_ms = $7 \
             WHERE id = $8 AND version = $9",
        )
        .bind(after.status.as_str())
        .bind(terms.map(|terms| terms.0.clone()))
        .bind(terms.and_then(|terms| terms.1))
        .bind(terms.map(|_| if after.terms_by_owner { "owner" } else { "responder" }))
        .bind(after.version)
        .bind(after.transfer.clone())
        .bind(now_ms)
        .bind(before.id)
        .bind(before.version)
        .execute(&self.pool)
        .await?;
        self.changed();
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        self.link_deal(before.id).await
    }

    /// One side, by its number here.
    pub async fn link_deal(&self, id: i64) -> DbResult<Option<LinkDealRow>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM link_deals WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(row_of).transpose()
    }

    /// One side, by the deal's uuid and the side.
    pub async fn link_deal_by_uuid(
        &self,
        uuid: &[u8; 16],
        owner_here: bool,
    ) -> DbResult<Option<LinkDealRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM link_deals WHERE uuid = $1 AND role = $2"
        ))
        .bind(uuid.to_vec())
        .bind(if owner_here { "owner" } else { "responder" })
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row_of).transpose()
    }

    /// A member's deals across in a circle, most recently changed first (at most `limit`).
    pub async fn link_deals_of(
        &self,
        circle: i64,
        user_id: i64,
        limit: i64,
    ) -> DbResult<Vec<LinkDealRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM link_deals WHERE circle = $1 AND user_id = $2 ORDER BY updated_ms DESC, id DESC LIMIT $3"
        ))
        .bind(circle)
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_of).collect()
    }

    /// How many of a member's deals on one listing they answered (open or not): each new one
    /// gets its own uuid.
    pub async fn link_deals_answered(
        &self,
        circle: i64,
        user_id: i64,
        partner: &[u8; 32],
        listing_id: i64,
    ) -> DbResult<Vec<LinkDealRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM link_deals WHERE circle = $1 AND user_id = $2 AND partner = $3 AND listing_id = $4 AND role = 'responder' ORDER BY id"
        ))
        .bind(circle)
        .bind(user_id)
        .bind(partner.to_vec())
        .bind(listing_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_of).collect()
    }

    /// How many deals are open in `circle` with one member of a linked circle (`Some`), or
    /// with any of that circle's members for one member here (`None` and `user_id`).
    pub async fn open_link_deals(
        &self,
        circle: i64,
        partner: &[u8; 32],
        other_username: Option<&str>,
        user_id: i64,
    ) -> DbResult<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM link_deals WHERE circle = $1 AND partner = $2 \
             AND (($3 = '' AND user_id = $4) OR other_username = $3) \
             AND status NOT IN ('completed', 'cancelled')",
        )
        .bind(circle)
        .bind(partner.to_vec())
        .bind(other_username.unwrap_or("").to_owned())
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        row.try_get(0)
    }

    /// Adds a message to one side's conversation (a message delivered twice is kept once).
    pub async fn add_link_deal_message(
        &self,
        deal: i64,
        uuid: &[u8; 16],
        from_here: bool,
        body: &str,
        now_ms: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO link_deal_messages (deal, uuid, author, body, created_ms) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (deal, uuid) DO NOTHING",
        )
        .bind(deal)
        .bind(uuid.to_vec())
        .bind(if from_here { "here" } else { "there" })
        .bind(body.to_owned())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        sqlx::query("UPDATE link_deals SET updated_ms = $1 WHERE id = $2")
            .bind(now_ms)
            .bind(deal)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// A side's conversation, oldest first.
    pub async fn link_deal_messages(&self, deal: i64) -> DbResult<Vec<LinkDealMessage>> {
        let rows = sqlx::query(
            "SELECT id, author, body, created_ms FROM link_deal_messages WHERE deal = $1 ORDER BY id LIMIT $2",
        )
        .bind(deal)
        .bind(deal::MESSAGES_PER_DEAL_MAX as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(LinkDealMessage {
                    id: row.try_get(0)?,
                    from_here: row.try_get::<String, _>(1)? == "here",
                    body: row.try_get(2)?,
                    created_ms: row.try_get(3)?,
                })
            })
            .collect()
    }

    /// How many messages one side of a conversation wrote, in all and since `since_ms`.
    pub async fn link_deal_messages_by(
        &self,
        deal: i64,
        from_here: bool,
        since_ms: i64,
    ) -> DbResult<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN created_ms >= $3 THEN 1 ELSE 0 END), 0) FROM link_deal_messages WHERE deal = $1 AND author = $2",
        )
        .bind(deal)
        .bind(if from_here { "here" } else { "there" })
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }
}
