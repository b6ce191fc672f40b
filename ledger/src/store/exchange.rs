//! Payments between linked circles, the protocol's steps over the store: hold, relay, and
//! settle on the sending side; check, record (or pass on) and answer on the receiving side.
//! The same code runs between two circles of one node and between nodes: only the [`Peers`]
//! that carry a relay differ (in process, or HTTP in `web`).
//!
//! Every step is idempotent by the payment's transfer id and by nonces derived from it, so a
//! retry after a crash or a lost answer finds what the first attempt did. A sender never
//! releases a hold the receiver may have recorded: only the receiver's signed refusal
//! ([`Answer::Erased`]), which it keeps as a promise, releases it.

use std::future::Future;
use std::pin::Pin;

use super::*;
use crate::crossing::{LinkStatus, LinkTerms, LinkTrust, Settlement, TransferId};
use crate::keys::Nonce;
use crate::relay::{
    check_completed, check_growth, erased_is_genuine, proved, Answer, Consistency, Growth, Relay,
    RelayError, ANSWER_FORMAT, RELAY_FORMAT, RELAY_VERSION,
};

/// Times a sender rebuilds a relay the receiver found stale before leaving it for later.
const STALE_RETRIES_MAX: usize = 3;

/// A circle's link as the store keeps it (the ledger's last word on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    pub terms: LinkTerms,
    pub status: LinkStatus,
    pub terms_seq: u64,
}

/// Why a relay could not be delivered or answered.
#[derive(Debug, Error)]
pub enum PeerError {
    #[error("the linked circle could not be reached: {0}")]
    Unreachable(String),
    #[error("the linked circle's answer cannot be trusted: {0}")]
    Untrusted(#[from] RelayError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Carries relays to linked circles.
pub trait Peers: Send + Sync {
    fn relay<'a>(
        &'a self,
        from: &'a CircleInfo,
        link: &'a LinkRow,
        relay: Relay,
    ) -> Pin<Box<dyn Future<Output = Result<Answer, PeerError>> + Send + 'a>>;

    /// Relays a hold to a partner taken on its word (`LinkTrust::OnItsWord`), in its own
    /// protocol. Peers that carry none leave the hold in flight.
    fn relay_on_word<'a>(
        &'a self,
        from: &'a CircleInfo,
        link: &'a LinkRow,
        hold: &'a StoredEntry,
    ) -> Pin<Box<dyn Future<Output = Result<WordAnswer, PeerError>> + Send + 'a>> {
        let _ = (from, hold);
        let address = link.terms.address.clone();
        Box::pin(async move {
            Err(PeerError::Unreachable(format!(
                "no carrier for a partner taken on its word at {address}"
            )))
        })
    }
}

/// What a partner taken on its word (a Credit Commons node) says of a payment relayed to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordAnswer {
    /// It says the payment is complete there; `remote` is the hash of what it answered (what
    /// the settlement names, so the audit can say which word it rests on).
    Completed { remote: Hash },
    /// It says it refused the payment, or that it erased it: the hold is released.
    Refused { code: String, message: String },
    /// Not decided yet there: ask again later.
    Pending { why: String },
}

/// Where a payment between circles stands after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Recorded on every ledger on its way, and final.
    Completed { remote: Hash },
    /// Refused further along; the hold is released (nothing moved anywhere).
    Refused { code: String, message: String },
    /// Still on its way: the node finishes it later (it retries until the other side
    /// answers; it never guesses).
    InFlight { why: String },
}

pub(super) fn derived_nonce(what: &[u8], id: &[u8]) -> Nonce {
    let digest = Hash::sha256(&[b"commons.link.nonce", what, id]);
    let mut nonce = [0u8; 16];
    nonce.copy_from_slice(&digest.0[..16]);
    Nonce(nonce)
}

impl Store {
    /// The circle's links, as its enactments left them.
    pub async fn links(&self, info: &CircleInfo) -> Result<Vec<LinkRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT partner, partner_node_key, address, rate_here_minor, rate_there_minor, out_max_minor, in_max_minor, shares_market, status, terms_seq, their_path, our_path FROM links WHERE circle = $1 ORDER BY terms_seq",
        )
        .bind(info.row_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(link_row).collect()
    }

    /// The circle's link with `partner`, if it ever had one.
    pub async fn link(
        &self,
        info: &CircleInfo,
        partner: &Hash,
    ) -> Result<Option<LinkRow>, StoreError> {
        Ok(self
            .links(info)
            .await?
            .into_iter()
            .find(|row| row.terms.partner == *partner))
    }

    /// The circle of this node with this id.
    pub async fn circle_by_id(&self, circle_id: &Hash) -> Result<Option<CircleInfo>, StoreError> {
        Ok(self
            .circles()
            .await?
            .into_iter()
            .find(|info| info.circle_id == *circle_id))
    }

    /// The entry that recorded the payment `transfer` here (its hold or arrival).
    pub async fn transfer_entry(
        &self,
        info: &CircleInfo,
        transfer: &TransferId,
    ) -> Result<Option<StoredEntry>, StoreError> {
        let row =
            sqlx::query("SELECT seq FROM link_transfers WHERE circle = $1 AND transfer_id = $2")
                .bind(info.row_id)
                .bind(transfer.0.to_vec())
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some(row) => Ok(Some(
                self.entry(info, row.try_get::<i64, _>(0)? as u64).await?,
            )),
            None => Ok(None),
        }
    }

    /// How the hold in entry `hold_seq` settled, if it has.
    pub async fn settlement_of(
        &self,
        info: &CircleInfo,
        hold_hash: &Hash,
    ) -> Result<Option<Settlement>, StoreError> {
        let row = sqlx::query(
            "SELECT seq FROM entries WHERE circle = $1 AND refers_to = $2 AND kind = 13",
        )
        .bind(info.row_id)
        .bind(hold_hash.0.to_vec())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let stored = self.entry(info, row.try_get::<i64, _>(0)? as u64).await?;
        match stored.entry.signed.record.body {
            Body::Settle { settlement, .. } => Ok(Some(settlement)),
            _ => Err(StoreError::Corrupt(
                "a settlement row is not a settlement".into(),
            )),
        }
    }

    /// How each of these holds settled (holds not settled are absent), in batches.
    pub async fn settlements_of(
        &self,
        info: &CircleInfo,
        holds: &[Hash],
    ) -> Result<HashMap<Hash, Settlement>, StoreError> {
        let mut settled = HashMap::new();
        for chunk in holds.chunks(500) {
            let sql = format!(
                "SELECT request FROM entries WHERE circle = $1 AND kind = 13 AND refers_to IN ({})",
                placeholders_from(2, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(info.row_id);
            for hold in chunk {
                query = query.bind(hold.0.to_vec());
            }
            for row in query.fetch_all(&self.pool).await? {
                let bytes: Vec<u8> = row.try_get(0)?;
                let request = crate::entry::Request::decode(&bytes)
                    .map_err(|error| StoreError::Corrupt(error.to_string()))?;
                if let Body::Settle { hold, settlement } = request.body {
                    settled.insert(hold, settlement);
                }
            }
        }
        Ok(settled)
    }

    /// The entries settling these holds (for a member's statement: a settlement names the
    /// hold, not the member).
    pub async fn settlement_entries(
        &self,
        info: &CircleInfo,
        holds: &[Hash],
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let mut found = Vec::new();
        for chunk in holds.chunks(500) {
            let sql = format!(
                "SELECT e.seq, e.entry_hash, e.prev_hash, e.recorded_at_ms, e.request, e.signature, m.salt, m.text
                 FROM entries e LEFT JOIN memos m ON m.circle = e.circle AND m.seq = e.seq
                 WHERE e.circle = $1 AND e.kind = 13 AND e.refers_to IN ({})",
                placeholders_from(2, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(info.row_id);
            for hold in chunk {
                query = query.bind(hold.0.to_vec());
            }
            for row in query.fetch_all(&self.pool).await? {
                found.push(stored_entry_from_row(&row)?);
            }
        }
        Ok(found)
    }

    /// The holds of a circle not settled yet, oldest first (what a restarted node finishes).
    pub async fn holds_in_flight(&self, info: &CircleInfo) -> Result<Vec<StoredEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT h.seq FROM entries h WHERE h.circle = $1 AND h.kind = 12 AND NOT EXISTS (SELECT 1 FROM entries s WHERE s.circle = h.circle AND s.refers_to = h.entry_hash AND s.kind = 13) ORDER BY h.seq LIMIT 1000",
        )
        .bind(info.row_id)
        .fetch_all(&self.pool)
        .await?;
        let mut holds = Vec::with_capacity(rows.len());
        for row in rows {
            holds.push(self.entry(info, row.try_get::<i64, _>(0)? as u64).await?);
        }
        Ok(holds)
    }

    /// The latest tree head of `partner` this circle holds.
    pub async fn held_head(
        &self,
        info: &CircleInfo,
        partner: &Hash,
    ) -> Result<Option<TreeHead>, StoreError> {
        let row = sqlx::query(
            "SELECT tree_size, root, timestamp_ms, signature FROM link_heads WHERE circle = $1 AND partner = $2 ORDER BY tree_size DESC LIMIT 1",
        )
        .bind(info.row_id)
        .bind(partner.0.to_vec())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(TreeHead {
            circle_id: *partner,
            tree_size: row.try_get::<i64, _>(0)? as u64,
            root: hash(&row.try_get::<Vec<u8>, _>(1)?)?,
            timestamp_ms: row.try_get(2)?,
            signature: signature(&row.try_get::<Vec<u8>, _>(3)?)?,
        }))
    }

    /// Every tree head this circle holds of its linked circles, by circle and size (at most
    /// `limit`): what `commons export held-heads` writes for `commons audit --link --held`.
    pub async fn held_heads(
        &self,
        info: &CircleInfo,
        limit: i64,
    ) -> Result<Vec<TreeHead>, StoreError> {
        let rows = sqlx::query(
            "SELECT partner, tree_size, root, timestamp_ms, signature FROM link_heads WHERE circle = $1 ORDER BY partner, tree_size LIMIT $2",
        )
        .bind(info.row_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TreeHead {
                    circle_id: hash(&row.try_get::<Vec<u8>, _>(0)?)?,
                    tree_size: row.try_get::<i64, _>(1)? as u64,
                    root: hash(&row.try_get::<Vec<u8>, _>(2)?)?,
                    timestamp_ms: row.try_get(3)?,
                    signature: signature(&row.try_get::<Vec<u8>, _>(4)?)?,
                })
            })
            .collect()
    }

    /// The tree head of `partner` of exactly this size this circle holds, if any.
    async fn held_head_of_size(
        &self,
        info: &CircleInfo,
        partner: &Hash,
        size: u64,
    ) -> Result<Option<TreeHead>, StoreError> {
        let row = sqlx::query(
            "SELECT root, timestamp_ms, signature FROM link_heads WHERE circle = $1 AND partner = $2 AND tree_size = $3",
        )
        .bind(info.row_id)
        .bind(partner.0.to_vec())
        .bind(size as i64)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(TreeHead {
            circle_id: *partner,
            tree_size: size,
            root: hash(&row.try_get::<Vec<u8>, _>(0)?)?,
            timestamp_ms: row.try_get(1)?,
            signature: signature(&row.try_get::<Vec<u8>, _>(2)?)?,
        }))
    }

    /// Whether `head` (signed by the partner, checked) extends a head of the partner this
    /// circle holds: proved by `consistency` from a held head of its `from_size` (every head
    /// ever held is kept, so concurrent relays each prove from one the other side holds). A
    /// head that extends is kept; one that contradicts a held head is a fork. The first head
    /// from a partner is taken as it is.
    pub(super) async fn check_and_keep_head(
        &self,
        info: &CircleInfo,
        head: &TreeHead,
        consistency: Option<&Consistency>,
    ) -> Result<Result<Growth, RelayError>, StoreError> {
        let partner = head.circle_id;
        let Some(latest) = self.held_head(info, &partner).await? else {
            self.keep_head(info, head).await?;
            return Ok(Ok(Growth::Extends));
        };
        let from_size = consistency.map_or(head.tree_size, |c| c.from_size);
        let Some(base) = self.held_head_of_size(info, &partner, from_size).await? else {
            return Ok(Ok(Growth::Unproved {
                held_size: latest.tree_size,
            }));
        };
        let growth = match check_growth(Some(&base), head, consistency) {
            Ok(Growth::Unproved { .. }) => Growth::Unproved {
                held_size: latest.tree_size,
            },
            Ok(growth) => growth,
            Err(error) => return Ok(Err(error)),
        };
        if growth == Growth::Extends {
            if let Some(same) = self
                .held_head_of_size(info, &partner, head.tree_size)
                .await?
            {
                if same.root != head.root {
                    return Ok(Err(RelayError::Forked {
                        held: same.tree_size,
                    }));
                }
            }
            self.keep_head(info, head).await?;
        }
        Ok(Ok(growth))
    }

    async fn keep_head(&self, info: &CircleInfo, head: &TreeHead) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO link_heads (circle, partner, tree_size, root, timestamp_ms, signature) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (circle, partner, tree_size) DO NOTHING",
        )
        .bind(info.row_id)
        .bind(head.circle_id.0.to_vec())
        .bind(head.tree_size as i64)
        .bind(head.root.0.to_vec())
        .bind(head.timestamp_ms)
        .bind(head.signature.0.to_vec())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn acknowledged_size(
        &self,
        info: &CircleInfo,
        partner: &Hash,
    ) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT held_size FROM link_acks WHERE circle = $1 AND partner = $2")
            .bind(info.row_id)
            .bind(partner.0.to_vec())
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => row.try_get::<i64, _>(0)? as u64,
            None => 0,
        })
    }

    /// Remembers the size of this circle's tree head the partner says it holds (it keeps every
    /// head it ever held, so the next relay can prove growth from any size it reported).
    async fn acknowledge(
        &self,
        info: &CircleInfo,
        partner: &Hash,
        size: u64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO link_acks (circle, partner, held_size) VALUES ($1, $2, $3) ON CONFLICT (circle, partner) DO UPDATE SET held_size = excluded.held_size",
        )
        .bind(info.row_id)
        .bind(partner.0.to_vec())
        .bind(size as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// An entry of this circle proved in its latest head, with a proof that the head grew
    /// from `from_size` (a size the other side holds, 0 for none).
    pub(super) async fn prove(
        &self,
        info: &CircleInfo,
        stored: &StoredEntry,
        from_size: u64,
    ) -> Result<(crate::statement::ProvedEntry, TreeHead, Option<Consistency>), StoreError> {
        // One head for all three (a second read of "the latest head" could be another).
        let mut head = self.latest_tree_head(info).await?;
        if stored.entry.seq >= head.tree_size {
            // A remembered head from before the entry: read it from the database.
            head = read_tree_head(&mut *self.pool.acquire().await?, info).await?;
        }
        if stored.entry.seq >= head.tree_size {
            return Err(StoreError::NoSuchProof(format!(
                "entry {} is not in the latest tree head ({} entries)",
                stored.entry.seq, head.tree_size
            )));
        }
        let plan = crate::merkle::inclusion_plan(stored.entry.seq, head.tree_size);
        let proof = self.combine_plan(info, &plan).await?;
        let raw = crate::export::RawEntry::from_entry(&stored.entry, stored.memo.clone());
        let consistency = if from_size > 0 && from_size < head.tree_size {
            let plan = crate::merkle::consistency_plan(from_size, head.tree_size);
            let proof = self.combine_plan(info, &plan).await?;
            Some(Consistency {
                from_size,
                proof: proof.iter().map(|hash| hash.to_hex()).collect(),
            })
        } else {
            None
        };
        Ok((proved(&raw, &stored.hash, &proof), head, consistency))
    }

    /// Appends an entry signed by the circle's node key with a nonce derived from `what` and
    /// `id`, so the same step retried is the same signed request (answered as a duplicate).
    pub(super) async fn append_as_node(
        &self,
        info: &CircleInfo,
        what: &[u8],
        id: &[u8],
        body: Body,
        memo: Option<Memo>,
    ) -> Result<Appended, StoreError> {
        let node_key = self.node_secret(info).await?;
        let signed = crate::entry::Request {
            circle_id: info.circle_id,
            author: node_key.public_key(),
            nonce: derived_nonce(what, id),
            body,
        }
        .sign(&node_key);
        self.append(&info.slug, signed, memo).await
    }

    /// Sends a payment to a linked circle: appends the payer's signed hold, then takes it as
    /// far as it goes now ([`Store::advance_hold`]). A retried hold (the same signed request)
    /// takes up where the first attempt stopped.
    pub async fn send_across(
        &self,
        info: &CircleInfo,
        signed: SignedRequest,
        memo: Option<Memo>,
        peers: &dyn Peers,
    ) -> Result<(Appended, Outcome), StoreError> {
        if !matches!(signed.record.body, Body::Hold(_)) {
            return Err(StoreError::Corrupt("only a hold is sent across".into()));
        }
        let appended = self.append(&info.slug, signed, memo).await?;
        crate::faults::pause_point("send.held");
        let outcome = self.advance_hold(info, appended.seq, peers).await?;
        Ok((appended, outcome))
    }
}

impl Store {
    /// Takes the hold in entry `seq` one step further: relays it and settles it by the answer.
    /// A hold already settled answers how it settled.
    pub async fn advance_hold(
        &self,
        info: &CircleInfo,
        seq: u64,
        peers: &dyn Peers,
    ) -> Result<Outcome, StoreError> {
        let store = self;
        let stored = store.entry(info, seq).await?;
        let Body::Hold(hold) = &stored.entry.signed.record.body else {
            return Err(StoreError::Corrupt(format!("entry {seq} is not a hold")));
        };
        if let Some(settled) = store.settlement_of(info, &stored.hash).await? {
            return Ok(match settled {
                Settlement::Commit { remote } => Outcome::Completed { remote },
                Settlement::Release => Outcome::Refused {
                    code: "released".into(),
                    message: "the payment did not go through".into(),
                },
            });
        }
        let Some(link) = store.link(info, &hold.partner).await? else {
            return Err(StoreError::Corrupt(
                "a hold names a circle never linked".into(),
            ));
        };
        if !link.terms.trust.is_proved() {
            return store.advance_on_word(info, &link, &stored, peers).await;
        }
        for _ in 0..STALE_RETRIES_MAX {
            let relay = store.relay_for(info, &link, &stored).await?;
            let answer = match peers.relay(info, &link, relay).await {
                Ok(answer) => answer,
                Err(error) => {
                    return Ok(Outcome::InFlight {
                        why: error.to_string(),
                    })
                }
            };
            crate::faults::pause_point("send.answered");
            match store.settle_by(info, &link, &stored, answer).await? {
                Some(outcome) => {
                    crate::faults::pause_point("send.settled");
                    return Ok(outcome);
                }
                None => continue,
            }
        }
        Ok(Outcome::InFlight {
            why: "the linked circle's ledger kept growing faster than the proofs".into(),
        })
    }
}

impl Store {
    /// A hold toward a partner taken on its word: settled by what it says.
    async fn advance_on_word(
        &self,
        info: &CircleInfo,
        link: &LinkRow,
        stored: &StoredEntry,
        peers: &dyn Peers,
    ) -> Result<Outcome, StoreError> {
        let answer = match peers.relay_on_word(info, link, stored).await {
            Ok(answer) => answer,
            Err(error) => {
                return Ok(Outcome::InFlight {
                    why: error.to_string(),
                })
            }
        };
        crate::faults::pause_point("send.answered");
        let (settlement, outcome) = match answer {
            WordAnswer::Completed { remote } => {
                (Settlement::Commit { remote }, Outcome::Completed { remote })
            }
            WordAnswer::Refused { code, message } => {
                (Settlement::Release, Outcome::Refused { code, message })
            }
            WordAnswer::Pending { why } => return Ok(Outcome::InFlight { why }),
        };
        let settle = Body::Settle {
            hold: stored.hash,
            settlement,
        };
        self.append_as_node(info, b"settle", &stored.hash.0, settle, None)
            .await?;
        crate::faults::pause_point("send.settled");
        Ok(outcome)
    }

    /// Records a payment a partner taken on its word says it sent: its connector pays the
    /// payee. `remote` is the hash of what the partner sent (the arrival names it). A retry
    /// (the same transfer id) finds the first arrival.
    pub async fn arrive_on_word(
        &self,
        info: &CircleInfo,
        arrival: crate::crossing::Arrival,
        memo: Option<Memo>,
    ) -> Result<Appended, StoreError> {
        match self.link(info, &arrival.partner).await? {
            Some(link) if !link.terms.trust.is_proved() => {}
            _ => {
                return Err(StoreError::Corrupt(
                    "only a partner taken on its word sends an arrival without proof".into(),
                ))
            }
        }
        let transfer = arrival.transfer;
        self.append_as_node(info, b"arrive", &transfer.0, Body::Arrive(arrival), memo)
            .await
    }

    async fn relay_for(
        &self,
        info: &CircleInfo,
        link: &LinkRow,
        stored: &StoredEntry,
    ) -> Result<Relay, StoreError> {
        let partner = link.terms.partner;
        let acknowledged = self.acknowledged_size(info, &partner).await?;
        let (hold, head, consistency) = self.prove(info, stored, acknowledged).await?;
        let held_size = self
            .held_head(info, &partner)
            .await?
            .map_or(0, |head| head.tree_size);
        Ok(Relay {
            format: RELAY_FORMAT.to_owned(),
            version: RELAY_VERSION,
            from: info.circle_id.to_hex(),
            to: partner.to_hex(),
            hold,
            head: TreeHeadLine::from_head(&head),
            consistency,
            held_size,
        })
    }

    /// Settles a hold by the answer to its relay: `None` when the relay must be sent again
    /// (stale); an untrustworthy answer leaves the hold in flight.
    async fn settle_by(
        &self,
        info: &CircleInfo,
        link: &LinkRow,
        stored: &StoredEntry,
        answer: Answer,
    ) -> Result<Option<Outcome>, StoreError> {
        let partner = link.terms.partner;
        let untrusted = |error: RelayError| Outcome::InFlight {
            why: format!("the linked circle's answer cannot be trusted: {error}"),
        };
        match answer {
            Answer::Completed {
                format,
                entry,
                head,
                consistency,
                held_size,
            } => {
                if format != ANSWER_FORMAT {
                    return Ok(Some(untrusted(RelayError::Format(ANSWER_FORMAT))));
                }
                let checked = match check_completed(
                    &entry,
                    &head,
                    &link.terms,
                    &info.circle_id,
                    &stored.hash,
                ) {
                    Ok(checked) => checked,
                    Err(error) => return Ok(Some(untrusted(error))),
                };
                match self
                    .check_and_keep_head(info, &checked.head, consistency.as_ref())
                    .await?
                {
                    Ok(Growth::Extends) => {}
                    // Not provable from a head held here (answers crossing): ask again.
                    Ok(Growth::Unproved { .. }) => return Ok(None),
                    Err(error) => return Ok(Some(untrusted(error))),
                }
                self.acknowledge(info, &partner, held_size).await?;
                let settle = Body::Settle {
                    hold: stored.hash,
                    settlement: Settlement::Commit {
                        remote: checked.hash,
                    },
                };
                self.append_as_node(info, b"settle", &stored.hash.0, settle, None)
                    .await?;
                Ok(Some(Outcome::Completed {
                    remote: checked.hash,
                }))
            }
            Answer::Erased {
                hold,
                code,
                message,
                signature,
                held_size,
                ..
            } => {
                if !erased_is_genuine(&link.terms, &stored.hash, &hold, &code, &signature) {
                    return Ok(Some(untrusted(RelayError::BadHeadSignature)));
                }
                self.acknowledge(info, &partner, held_size).await?;
                let settle = Body::Settle {
                    hold: stored.hash,
                    settlement: Settlement::Release,
                };
                self.append_as_node(info, b"settle", &stored.hash.0, settle, None)
                    .await?;
                Ok(Some(Outcome::Refused { code, message }))
            }
            Answer::Pending { held_size, .. } => {
                self.acknowledge(info, &partner, held_size).await?;
                Ok(Some(Outcome::InFlight {
                    why: "it is on its way further along".into(),
                }))
            }
            Answer::Stale { held_size, .. } => {
                self.acknowledge(info, &partner, held_size).await?;
                Ok(None)
            }
        }
    }
}

fn link_row(row: &AnyRow) -> Result<LinkRow, StoreError> {
    let status = match row.try_get::<String, _>(8)?.as_str() {
        "open" => LinkStatus::Open,
        "suspended" => LinkStatus::Suspended,
        "closed" => LinkStatus::Closed,
        other => return Err(StoreError::Corrupt(format!("a link's status {other:?}"))),
    };
    Ok(LinkRow {
        terms: LinkTerms {
            partner: hash(&row.try_get::<Vec<u8>, _>(0)?)?,
            partner_node_key: public_key(&row.try_get::<Vec<u8>, _>(1)?)?,
            address: row.try_get(2)?,
            rate_here_minor: row.try_get(3)?,
            rate_there_minor: row.try_get(4)?,
            out_max_minor: row.try_get(5)?,
            in_max_minor: row.try_get(6)?,
            shares_market: row.try_get::<i64, _>(7)? != 0,
            trust: match (row.try_get::<String, _>(10)?, row.try_get::<String, _>(11)?) {
                (their_path, _) if their_path.is_empty() => LinkTrust::Proved,
                (their_path, our_path) => LinkTrust::OnItsWord {
                    their_path,
                    our_path,
                },
            },
        },
        status,
        terms_seq: row.try_get::<i64, _>(9)? as u64,
    })
}

/// Carries relays between the circles of this node, in process (a link with an empty
/// address). A link to another node is unreachable through it.
#[derive(Debug, Clone)]
pub struct LocalPeers {
    pub store: Store,
}

impl Peers for LocalPeers {
    fn relay<'a>(
        &'a self,
        _from: &'a CircleInfo,
        link: &'a LinkRow,
        relay: Relay,
    ) -> Pin<Box<dyn Future<Output = Result<Answer, PeerError>> + Send + 'a>> {
        Box::pin(async move {
            if !link.terms.address.is_empty() {
                return Err(PeerError::Unreachable(format!(
                    "{} is on another node",
                    link.terms.address
                )));
            }
            self.store
                .receive_relay(&relay, self)
                .await
                .map_err(|error| match error {
                    super::ReceiveError::Store(error) => PeerError::Store(error),
                    other => PeerError::Unreachable(other.to_string()),
                })
        })
    }
}
