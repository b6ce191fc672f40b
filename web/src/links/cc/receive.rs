//! What a Credit Commons partner may ask of a circle here, under `/api/cc/{slug}/`: relay a
//! transaction paying a member (validated, then completed or erased by `PATCH`), and read the
//! account the two share. Every call names its node (`cc-node`, the link's partner path) and
//! carries the chain's current value (`last-hash`); nothing else authenticates it, so what it
//! says is taken on its word, within the link's limits, and counted as such by the audit.

use commons_ledger::crossing::{Arrival, LinkStatus, LinkTrust, TransferId};
use commons_ledger::store::{CircleInfo, LinkRow, StoreError};

use super::wire::{
    body_hash, incoming, minor_quant, next_hash, CcRefusal, CcRelayAnswer, CcRelayMeta, CcState,
    CcTransaction, CC_VALID_SECS,
};
use crate::db::cc::{CcChain, CcRow};
use crate::db::MemberStatus;
use crate::services::Services;

/// Why a partner's call is refused; nothing changes because of one.
#[derive(Debug, thiserror::Error)]
pub enum CcError {
    #[error("there is no such circle on this node")]
    NoSuchCircle,
    #[error("the {0} header is required")]
    MissingHeader(&'static str),
    #[error("cc-node {0:?} is not a Credit Commons node this circle is linked with")]
    NotOurPartner(String),
    #[error("the chain with this node has not been started here yet")]
    NotStarted,
    #[error("the last-hash header does not match this node's records")]
    WrongHash,
    #[error("the transaction cannot be read: {0}")]
    Unreadable(String),
    #[error("{0}")]
    Refused(#[from] CcRefusal),
    #[error("no active member has that account here")]
    NoSuchMember,
    #[error("the amount is worth less than the smallest amount of this circle's unit")]
    TooSmall,
    #[error("there is no such transaction here")]
    NoSuchTransaction,
    #[error("{0}")]
    Conflict(String),
    #[error("the transaction waited longer than {CC_VALID_SECS} seconds and was erased")]
    Expired,
    #[error("too many transactions wait with this node; complete or erase some first")]
    TooManyWaiting,
    #[error("the ledger refused it: {message}")]
    Ledger { code: String, message: String },
    #[error("{0}")]
    Internal(String),
}

impl From<sqlx::Error> for CcError {
    fn from(error: sqlx::Error) -> Self {
        CcError::Internal(error.to_string())
    }
}

impl From<StoreError> for CcError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NoSuchCircle(_) => CcError::NoSuchCircle,
            StoreError::Refused(refusal) => CcError::Ledger {
                code: commons_ledger::store::refusal_code(&refusal).into(),
                message: refusal.to_string(),
            },
            other => CcError::Internal(other.to_string()),
        }
    }
}

/// The two headers of a partner's call, as sent.
#[derive(Debug, Clone, Default)]
pub struct CcCall {
    pub cc_node: Option<String>,
    pub last_hash: Option<String>,
}

/// A partner that passed the headers' check.
pub(crate) struct CcPartner {
    pub info: CircleInfo,
    pub link: LinkRow,
    pub our_path: String,
    pub chain: CcChain,
}

/// What a partner reads of the account the two share, from its side.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CcAccountSummary {
    pub trades: i64,
    pub entries: i64,
    pub gross_in: serde_json::Number,
    pub gross_out: serde_json::Number,
    pub partners: i64,
    pub pending: i64,
    pub balance: serde_json::Number,
}

impl Services {
    /// The one check of a partner's call: a circle here with an open-or-suspended link on its
    /// word with the node the `cc-node` header names, and the chain's current value in
    /// `last-hash` (or the value before it, for a retried call of the transaction `retry_of`
    /// that moved it).
    pub(crate) async fn cc_partner(
        &self,
        slug: &str,
        call: &CcCall,
        retry_of: Option<&str>,
    ) -> Result<CcPartner, CcError> {
        let info = self.store.circle(slug).await?;
        let node = call
            .cc_node
            .as_deref()
            .ok_or(CcError::MissingHeader("cc-node"))?;
        let hash = call
            .last_hash
            .as_deref()
            .ok_or(CcError::MissingHeader("last-hash"))?;
        let found =
            self.store
                .links(&info)
                .await?
                .into_iter()
                .find_map(|link| match &link.terms.trust {
                    LinkTrust::OnItsWord {
                        their_path,
                        our_path,
                    } if their_path == node && link.status != LinkStatus::Closed => {
                        Some((our_path.clone(), link.clone()))
                    }
                    _ => None,
                });
        let (our_path, link) =
            found.ok_or_else(|| CcError::NotOurPartner(node.chars().take(100).collect()))?;
        let chain = self
            .db
            .cc_chain(info.row_id, &link.terms.partner.0)
            .await?
            .ok_or(CcError::NotStarted)?;
        let retried = retry_of.is_some_and(|uuid| {
            !chain.previous_hash.is_empty()
                && chain.last_uuid == uuid
                && chain.previous_hash == hash
        });
        if chain.last_hash != hash && !retried {
            return Err(CcError::WrongHash);
        }
        Ok(CcPartner {
            info,
            link,
            our_path,
            chain,
        })
    }

    /// A relayed transaction paying a member here: checked and kept as validated (nothing
    /// moves until the partner completes it). Relayed again with the same bytes, it answers
    /// as before; with other bytes under the same UUID, it is refused.
    pub async fn cc_relay(
        &self,
        slug: &str,
        call: &CcCall,
        transaction: &CcTransaction,
    ) -> Result<CcRelayAnswer, CcError> {
        let partner = self.cc_partner(slug, call, None).await?;
        let payment = incoming(transaction, &partner.our_path)?;
        // What it sent, as this node reads it (its canonical JSON): what the arrival names.
        let hash = body_hash(&serde_json::to_vec(transaction).unwrap_or_default());
        let now_ms = self.now_ms();
        let answer = |expires_at_ms: i64| CcRelayAnswer {
            data: transaction.entries.clone(),
            meta: CcRelayMeta {
                secs_valid_left: ((expires_at_ms - now_ms) / 1000).max(0),
            },
        };
        let row_id = partner.info.row_id;
        if let Some(known) = self.db.cc_transaction(row_id, &transaction.uuid).await? {
            if known.direction == "in" && known.body_hash == hash.0 {
                return Ok(answer(known.expires_at_ms));
            }
            return Err(CcError::Conflict(
                "this uuid is another transaction's".into(),
            ));
        }
        self.db
            .member_by_username(row_id, &payment.username)
            .await?
            .filter(|card| card.status == MemberStatus::Active)
            .ok_or(CcError::NoSuchMember)?;
        let amount_minor = partner
            .link
            .terms
            .rate()
            .and_then(|rate| rate.inverse().convert(payment.net_there_minor))
            .ok()
            .filter(|minor| *minor > 0)
            .ok_or(CcError::TooSmall)?;
        let expires_at_ms = now_ms + CC_VALID_SECS * 1000;
        let row = CcRow {
            partner: partner.link.terms.partner.0,
            uuid: transaction.uuid.clone(),
            direction: "in".into(),
            state: CcState::Validated.letter().into(),
            payer: payment.payer,
            payee: payment.username,
            quant_minor: payment.net_there_minor,
            amount_minor,
            description: payment.description,
            body_hash: hash.0,
            expires_at_ms,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
        };
        if !self.db.insert_cc_transaction(row_id, &row).await? {
            return Err(CcError::TooManyWaiting);
        }
        Ok(answer(expires_at_ms))
    }

    /// A partner moves a transaction it relayed here: completed (the member is paid, on the
    /// partner's word, within the link's limits), pending, or erased. The same move again is
    /// answered as done; a completed payment is never erased.
    pub async fn cc_update(
        &self,
        slug: &str,
        call: &CcCall,
        uuid: &str,
        state: &str,
    ) -> Result<(), CcError> {
        let partner = self.cc_partner(slug, call, Some(uuid)).await?;
        let row_id = partner.info.row_id;
        let state = CcState::parse(state).ok_or_else(|| {
            CcError::Unreadable(format!(
                "state {:?}",
                state.chars().take(20).collect::<String>()
            ))
        })?;
        let row = self
            .db
            .cc_transaction(row_id, uuid)
            .await?
            .filter(|row| row.direction == "in" && row.partner == partner.link.terms.partner.0)
            .ok_or(CcError::NoSuchTransaction)?;
        let now_ms = self.now_ms();
        let waiting = ["V", "P"];
        match (row.state.as_str(), state) {
            (now, wanted) if now == wanted.letter() => Ok(()),
            ("C", _) => Err(CcError::Conflict(
                "a completed payment is never erased here; a correction is a new transaction"
                    .into(),
            )),
            ("E", _) => Err(CcError::Conflict("the transaction was erased".into())),
            (_, CcState::Completed) if now_ms > row.expires_at_ms => {
                self.db
                    .set_cc_state(row_id, uuid, &waiting, "E", now_ms)
                    .await?;
                Err(CcError::Expired)
            }
            (_, CcState::Completed) => self.cc_complete(&partner, &row).await,
            (_, other) => {
                self.db
                    .set_cc_state(row_id, uuid, &waiting, other.letter(), now_ms)
                    .await?;
                Ok(())
            }
        }
    }

    /// Pays the member what the partner relayed (an arrival naming the hash of what it sent),
    /// then moves the chain on.
    async fn cc_complete(&self, partner: &CcPartner, row: &CcRow) -> Result<(), CcError> {
        let row_id = partner.info.row_id;
        let now_ms = self.now_ms();
        let transfer = TransferId::parse(&row.uuid).ok_or(CcRefusal::BadUuid)?;
        let card = self
            .db
            .member_by_username(row_id, &row.payee)
            .await?
            .filter(|card| card.status == MemberStatus::Active);
        let Some(card) = card else {
            self.db
                .set_cc_state(row_id, &row.uuid, &["V", "P"], "E", now_ms)
                .await?;
            return Err(CcError::NoSuchMember);
        };
        let arrival = Arrival {
            transfer,
            partner: partner.link.terms.partner,
            remote: commons_ledger::keys::Hash(row.body_hash),
            payee: card.account_key,
            amount_minor: row.amount_minor,
            memo_hash: None,
        };
        if let Err(error) = self
            .store
            .arrive_on_word(&partner.info, arrival, None)
            .await
        {
            if matches!(error, StoreError::Refused(_)) {
                self.db
                    .set_cc_state(row_id, &row.uuid, &["V", "P"], "E", now_ms)
                    .await?;
            }
            return Err(error.into());
        }
        let next = next_hash(&partner.chain.last_hash, &row.uuid);
        self.db
            .complete_cc(
                row_id,
                &partner.link.terms.partner.0,
                &row.uuid,
                None,
                (&partner.chain.last_hash, &next),
                now_ms,
            )
            .await?;
        Ok(())
    }

    /// The account the two share, as the partner reads it: what it received from this circle
    /// (`gross_in`), what it paid (`gross_out`), in its unit. Only the shared account
    /// (`acc_path` empty or this circle's path) is answered: members' accounts are theirs.
    pub async fn cc_account(
        &self,
        slug: &str,
        call: &CcCall,
        acc_path: Option<&str>,
    ) -> Result<CcAccountSummary, CcError> {
        let partner = self.cc_partner(slug, call, None).await?;
        if acc_path.is_some_and(|path| !path.is_empty() && path != partner.our_path) {
            return Err(CcError::NoSuchTransaction);
        }
        let (row_id, id) = (partner.info.row_id, &partner.link.terms.partner.0);
        let totals = self.db.cc_totals(row_id, id).await?;
        let pending = self.db.cc_waiting(row_id, id).await?;
        Ok(CcAccountSummary {
            trades: totals.completed,
            entries: totals.completed,
            gross_in: minor_quant(totals.sent_minor),
            gross_out: minor_quant(totals.received_minor),
            partners: 1,
            pending,
            balance: minor_quant(totals.sent_minor - totals.received_minor),
        })
    }

    /// The shared account's balance after each completed transaction, from the partner's side:
    /// `data` maps each time (`YYYY-MM-DD HH:MM:SS`, UTC) to the balance.
    pub async fn cc_history(
        &self,
        slug: &str,
        call: &CcCall,
    ) -> Result<serde_json::Value, CcError> {
        let partner = self.cc_partner(slug, call, None).await?;
        let (row_id, id) = (partner.info.row_id, &partner.link.terms.partner.0);
        let rows = self.db.cc_completed(row_id, id).await?;
        let change = |row: &CcRow| match row.direction.as_str() {
            "out" => row.quant_minor,
            _ => -row.quant_minor,
        };
        // The latest transactions only: the balance before them is what all of them left,
        // less what these did.
        let totals = self.db.cc_totals(row_id, id).await?;
        let mut balance =
            totals.sent_minor - totals.received_minor - rows.iter().map(change).sum::<i64>();
        let mut points = serde_json::Map::new();
        let (mut low, mut high) = (balance, balance);
        for row in &rows {
            balance += change(row);
            low = low.min(balance);
            high = high.max(balance);
            points.insert(time_text(row.updated_at_ms), minor_quant(balance).into());
        }
        let start = rows.first().map(|row| time_text(row.updated_at_ms));
        let end = rows.last().map(|row| time_text(row.updated_at_ms));
        Ok(serde_json::json!({
            "data": points,
            "meta": {
                "min": minor_quant(low),
                "max": minor_quant(high),
                "points": rows.len(),
                "start": start,
                "end": end,
            }
        }))
    }
}

fn time_text(ms: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(at)
        .to_string()
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_owned()
}

/// Why the chain with a partner cannot be started.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("the circle {0:?} has no link on its word with a Credit Commons node named {1:?}")]
    NoSuchPartner(String, String),
    #[error("the agreed last-hash must be 1 to 200 visible characters")]
    BadHash,
    #[error("{0}")]
    Store(String),
}

impl Services {
    /// Starts (or starts again) the chain of `slug`'s account with the Credit Commons node
    /// `their_path` at the value both operators agreed: an operator's act, never a proposal's
    /// (the value is what the partner authenticates with).
    pub async fn start_cc_chain(
        &self,
        slug: &str,
        their_path: &str,
        last_hash: &str,
    ) -> Result<(), ChainError> {
        let store = |error: &dyn std::fmt::Display| ChainError::Store(error.to_string());
        if last_hash.is_empty()
            || last_hash.len() > 200
            || !last_hash.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(ChainError::BadHash);
        }
        let info = self.store.circle(slug).await.map_err(|e| store(&e))?;
        let link = self
            .store
            .links(&info)
            .await
            .map_err(|e| store(&e))?
            .into_iter()
            .find(|link| {
                matches!(&link.terms.trust, LinkTrust::OnItsWord { their_path: path, .. } if path == their_path)
            })
            .ok_or_else(|| ChainError::NoSuchPartner(slug.into(), their_path.into()))?;
        self.db
            .set_cc_chain(info.row_id, &link.terms.partner.0, last_hash, self.now_ms())
            .await
            .map_err(|e| store(&e))
    }
}
