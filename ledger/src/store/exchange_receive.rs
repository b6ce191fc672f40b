//! The receiving side of a payment between circles: check the relay, then record the arrival
//! (or pass the payment on toward its destination), or refuse it for good, and answer.
//!
//! A decision on a transfer is made once: under a lock striped by transfer id (and on
//! PostgreSQL an advisory lock, so several processes agree), a refusal is kept in
//! `link_erased` before it is answered, and an earlier decision is answered again as it was.

use super::exchange::{LinkRow, Outcome, Peers};
use super::*;
use crate::crossing::{Arrival, Hold, HoldSource, TransferId};
use crate::link::ExchangeRate;
use crate::relay::{
    check_relay, erased, Answer, CheckedRelay, Growth, Relay, RelayError, ANSWER_FORMAT,
};

/// The furthest deadline of a relay from an unlinked circle whose refusal is kept.
pub const UNLINKED_DEADLINE_MS_MAX: i64 = 24 * 3600 * 1000;

/// Why a relay gets no answer (an answer is a decision; these are not).
#[derive(Debug, Error)]
pub enum ReceiveError {
    #[error("there is no circle {0} on this node")]
    NoSuchCircle(String),
    #[error("this circle has no link with the circle {0}")]
    NoLink(String),
    #[error("the relay cannot be trusted: {0}")]
    Untrusted(#[from] RelayError),
    #[error("the transfer id {0} is already used by another payment")]
    TransferTaken(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ReceiveError {
    fn from(error: sqlx::Error) -> Self {
        ReceiveError::Store(StoreError::Database(error))
    }
}

/// A checked relay and what the receiver needs to answer it.
struct Incoming<'a> {
    info: CircleInfo,
    link: LinkRow,
    checked: CheckedRelay,
    relay: &'a Relay,
    /// The size of the sender's head held after this relay.
    held_size: u64,
}

impl Store {
    /// Answers a relay from a linked circle (idempotent: the same relay, or a retry of it,
    /// gets the same decision).
    pub async fn receive_relay(
        &self,
        relay: &Relay,
        peers: &dyn Peers,
    ) -> Result<Answer, ReceiveError> {
        let incoming = match self.check_incoming(relay).await? {
            Ok(incoming) => incoming,
            Err(stale) => return Ok(stale),
        };
        let key = (incoming.info.row_id, incoming.checked.hold.transfer.0);
        let lock = {
            let mut locks = self.receiving.lock().unwrap_or_else(|e| e.into_inner());
            locks.entry(key).or_default().clone()
        };
        let guard = lock.clone().lock_owned().await;
        let advisory = advisory_key(&incoming.info.circle_id, &incoming.checked.hold.transfer);
        let answer = match self.shared_lock(advisory).await {
            Ok(mut shared) => {
                let answer = self.decide(&incoming, peers).await;
                if let Some(connection) = shared.as_mut() {
                    sqlx::query("SELECT pg_advisory_unlock($1)")
                        .bind(advisory)
                        .execute(&mut **connection)
                        .await?;
                }
                answer
            }
            Err(error) => Err(error),
        };
        drop(guard);
        let mut locks = self.receiving.lock().unwrap_or_else(|e| e.into_inner());
        // The map's and ours: nobody else waits, so the entry goes (the map stays bounded).
        if Arc::strong_count(&lock) == 2 {
            locks.remove(&key);
        }
        answer
    }

    /// On PostgreSQL, a session advisory lock for the transfer (held on its own connection).
    async fn shared_lock(
        &self,
        advisory: i64,
    ) -> Result<Option<sqlx::pool::PoolConnection<Any>>, ReceiveError> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let mut connection = self.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(advisory)
            .execute(&mut *connection)
            .await?;
        Ok(Some(connection))
    }

    /// Finds the circle and link, checks the relay's proofs and that the sender's head grew
    /// from the one held; `Err(answer)` when it is stale.
    async fn check_incoming<'a>(
        &self,
        relay: &'a Relay,
    ) -> Result<Result<Incoming<'a>, Answer>, ReceiveError> {
        let me = Hash::from_hex(&relay.to)
            .map_err(|_| ReceiveError::NoSuchCircle(relay.to.chars().take(12).collect()))?;
        let info = self
            .circle_by_id(&me)
            .await?
            .ok_or_else(|| ReceiveError::NoSuchCircle(me.short()))?;
        let from = Hash::from_hex(&relay.from)
            .map_err(|_| ReceiveError::NoLink(relay.from.chars().take(12).collect()))?;
        let Some(link) = self.link(&info, &from).await? else {
            return Ok(Err(self.refuse_unlinked(&info, relay).await?));
        };
        let checked = check_relay(relay, &link.terms, &info.circle_id)?;
        let held_size = match self
            .check_and_keep_head(&info, &checked.head, relay.consistency.as_ref())
            .await??
        {
            Growth::Extends => self
                .held_head(&info, &from)
                .await?
                .map_or(checked.head.tree_size, |held| held.tree_size),
            Growth::Unproved { held_size } => {
                return Ok(Err(Answer::Stale {
                    format: ANSWER_FORMAT.to_owned(),
                    held_size,
                }))
            }
        };
        Ok(Ok(Incoming {
            info,
            link,
            checked,
            relay,
            held_size,
        }))
    }

    /// The decision on a checked relay: an earlier one, or a new one.
    async fn decide(
        &self,
        incoming: &Incoming<'_>,
        peers: &dyn Peers,
    ) -> Result<Answer, ReceiveError> {
        if let Some(answer) = self.decided(incoming, peers).await? {
            return Ok(answer);
        }
        crate::faults::pause_point("receive.checked");
        let hold = &incoming.checked.hold;
        if self.now_ms() > hold.deadline_ms {
            return self
                .refuse(
                    incoming,
                    "deadline",
                    "the payment arrived after its deadline",
                )
                .await;
        }
        let terms = &incoming.link.terms;
        let agreed = ExchangeRate::new(terms.rate_there_minor, terms.rate_here_minor)
            .and_then(|rate| rate.convert(hold.amount_minor));
        if agreed != Ok(hold.amount_there_minor) {
            return self
                .refuse(
                    incoming,
                    "rates-disagree",
                    "the two circles' proposals set different exchange rates",
                )
                .await;
        }
        if hold.destination == incoming.info.circle_id {
            self.record_arrival(incoming).await
        } else {
            self.pass_on(incoming, peers).await
        }
    }

    /// An earlier decision on this transfer, answered again.
    async fn decided(
        &self,
        incoming: &Incoming<'_>,
        peers: &dyn Peers,
    ) -> Result<Option<Answer>, ReceiveError> {
        let Incoming { info, checked, .. } = incoming;
        let transfer = checked.hold.transfer;
        let row = sqlx::query(
            "SELECT hold_hash, code, message FROM link_erased WHERE circle = $1 AND transfer_id = $2",
        )
        .bind(info.row_id)
        .bind(transfer.0.to_vec())
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = row {
            if hash(&row.try_get::<Vec<u8>, _>(0)?)? != checked.hold_hash {
                return Err(ReceiveError::TransferTaken(transfer.to_string()));
            }
            let node_key = self.node_secret(info).await?;
            return Ok(Some(erased(
                &node_key,
                &checked.hold_hash,
                &row.try_get::<String, _>(1)?,
                &row.try_get::<String, _>(2)?,
                incoming.held_size,
            )));
        }
        let Some(stored) = self.transfer_entry(info, &transfer).await? else {
            return Ok(None);
        };
        let from = incoming.link.terms.partner;
        match &stored.entry.signed.record.body {
            Body::Arrive(arrival)
                if arrival.partner == from && arrival.remote == checked.hold_hash =>
            {
                Ok(Some(self.completed(incoming, &stored).await?))
            }
            Body::Hold(Hold {
                source: HoldSource::Link { partner, entry },
                ..
            }) if *partner == from && *entry == checked.hold_hash => {
                let outcome = self.advance_hold(info, stored.entry.seq, peers).await?;
                Ok(Some(self.answer_outcome(incoming, &stored, outcome).await?))
            }
            _ => Err(ReceiveError::TransferTaken(transfer.to_string())),
        }
    }

    async fn record_arrival(&self, incoming: &Incoming<'_>) -> Result<Answer, ReceiveError> {
        let hold = &incoming.checked.hold;
        let body = Body::Arrive(Arrival {
            transfer: hold.transfer,
            partner: incoming.link.terms.partner,
            remote: incoming.checked.hold_hash,
            payee: hold.payee,
            amount_minor: hold.amount_there_minor,
            memo_hash: hold.memo_hash,
        });
        let appended = self
            .append_as_node(
                &incoming.info,
                b"arrive",
                &hold.transfer.0,
                body,
                incoming.checked.memo.clone(),
            )
            .await;
        match appended {
            Ok(appended) => {
                crate::faults::pause_point("receive.decided");
                let stored = self.entry(&incoming.info, appended.seq).await?;
                self.completed(incoming, &stored).await
            }
            Err(StoreError::Refused(refusal)) => {
                self.refuse(incoming, refusal_code(&refusal), &refusal.to_string())
                    .await
            }
            Err(other) => Err(other.into()),
        }
    }

    /// A payment for a circle further on: held here (from the sender's connector to the next
    /// circle's), relayed on, and answered by how that went.
    async fn pass_on(
        &self,
        incoming: &Incoming<'_>,
        peers: &dyn Peers,
    ) -> Result<Answer, ReceiveError> {
        let hold = &incoming.checked.hold;
        let info = &incoming.info;
        let Some(next) = self.link(info, &hold.destination).await? else {
            return self
                .refuse(
                    incoming,
                    "no-route",
                    "this circle has no link with the payee's circle",
                )
                .await;
        };
        let amount_there = match next
            .terms
            .rate()
            .and_then(|rate| rate.convert(hold.amount_there_minor))
        {
            Ok(amount) => amount,
            Err(error) => return self.refuse(incoming, "rate", &error.to_string()).await,
        };
        let body = Body::Hold(Hold {
            transfer: hold.transfer,
            source: HoldSource::Link {
                partner: incoming.link.terms.partner,
                entry: incoming.checked.hold_hash,
            },
            partner: next.terms.partner,
            amount_minor: hold.amount_there_minor,
            amount_there_minor: amount_there,
            destination: hold.destination,
            payee: hold.payee,
            deadline_ms: hold.deadline_ms,
            memo_hash: hold.memo_hash,
        });
        let memo = incoming.checked.memo.clone();
        let appended = match self
            .append_as_node(info, b"pass", &hold.transfer.0, body, memo)
            .await
        {
            Ok(appended) => appended,
            Err(StoreError::Refused(refusal)) => {
                return self
                    .refuse(incoming, refusal_code(&refusal), &refusal.to_string())
                    .await
            }
            Err(other) => return Err(other.into()),
        };
        let stored = self.entry(info, appended.seq).await?;
        let outcome = self.advance_hold(info, appended.seq, peers).await?;
        self.answer_outcome(incoming, &stored, outcome).await
    }

    /// The answer for a payment passed on, by how its hold here stands.
    async fn answer_outcome(
        &self,
        incoming: &Incoming<'_>,
        stored: &StoredEntry,
        outcome: Outcome,
    ) -> Result<Answer, ReceiveError> {
        match outcome {
            Outcome::Completed { .. } => self.completed(incoming, stored).await,
            Outcome::Refused { code, message } => self.refuse(incoming, &code, &message).await,
            Outcome::InFlight { .. } => Ok(Answer::Pending {
                format: ANSWER_FORMAT.to_owned(),
                held_size: incoming.held_size,
            }),
        }
    }

    async fn completed(
        &self,
        incoming: &Incoming<'_>,
        stored: &StoredEntry,
    ) -> Result<Answer, ReceiveError> {
        let (entry, head, consistency) = self
            .prove(&incoming.info, stored, incoming.relay.held_size)
            .await?;
        Ok(Answer::Completed {
            format: ANSWER_FORMAT.to_owned(),
            entry,
            head: TreeHeadLine::from_head(&head),
            consistency,
            held_size: incoming.held_size,
        })
    }

    /// Refuses the payment for good: the promise is kept before it is given.
    async fn refuse(
        &self,
        incoming: &Incoming<'_>,
        code: &str,
        message: &str,
    ) -> Result<Answer, ReceiveError> {
        let Incoming { info, checked, .. } = incoming;
        sqlx::query(
            "INSERT INTO link_erased (circle, transfer_id, hold_hash, code, message) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (circle, transfer_id) DO NOTHING",
        )
        .bind(info.row_id)
        .bind(checked.hold.transfer.0.to_vec())
        .bind(checked.hold_hash.0.to_vec())
        .bind(code.to_owned())
        .bind(message.to_owned())
        .execute(&self.pool)
        .await?;
        crate::faults::pause_point("receive.decided");
        let node_key = self.node_secret(info).await?;
        Ok(erased(
            &node_key,
            &checked.hold_hash,
            code,
            message,
            incoming.held_size,
        ))
    }
}

impl Store {
    /// A relay from a circle this one has no link with: refused for good, signed (a promise
    /// not to record it, which needs no trust in the sender), and kept, so a link made later
    /// does not turn the same relay into a payment the sender already released.
    async fn refuse_unlinked(
        &self,
        info: &CircleInfo,
        relay: &Relay,
    ) -> Result<Answer, ReceiveError> {
        let raw = relay
            .hold
            .entry
            .to_raw()
            .map_err(|error| RelayError::Unreadable(error.to_string()))?;
        let request = crate::entry::Request::decode(&raw.request)
            .map_err(|error| RelayError::Unreadable(error.to_string()))?;
        let Body::Hold(hold) = request.body else {
            return Err(RelayError::WrongEntry("a hold").into());
        };
        let hold_hash = crate::merkle::leaf_hash(&crate::entry::entry_bytes(
            raw.seq,
            &raw.prev_hash,
            raw.recorded_at_ms,
            &raw.request,
            &raw.signature,
        ));
        let (code, message) = ("no-link", "the payee's circle has no link with this circle");
        // Past its deadline nothing records it anyway: promised without keeping a row. Anyone
        // can send such a relay, so a row is kept only for a deadline within a day.
        let now = self.now_ms();
        if hold.deadline_ms < now {
            let node_key = self.node_secret(info).await?;
            return Ok(erased(&node_key, &hold_hash, code, message, 0));
        }
        if hold.deadline_ms > now + UNLINKED_DEADLINE_MS_MAX {
            return Err(RelayError::WrongEntry("a hold with a deadline within a day").into());
        }
        sqlx::query(
            "INSERT INTO link_erased (circle, transfer_id, hold_hash, code, message) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (circle, transfer_id) DO NOTHING",
        )
        .bind(info.row_id)
        .bind(hold.transfer.0.to_vec())
        .bind(hold_hash.0.to_vec())
        .bind(code)
        .bind(message)
        .execute(&self.pool)
        .await?;
        crate::faults::pause_point("receive.decided");
        let node_key = self.node_secret(info).await?;
        Ok(erased(&node_key, &hold_hash, code, message, 0))
    }
}

/// The PostgreSQL advisory lock of a transfer's decision in one circle.
fn advisory_key(circle: &Hash, transfer: &TransferId) -> i64 {
    let digest = Hash::sha256(&[b"commons.link.receive", &circle.0, &transfer.0]);
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest.0[..8]);
    i64::from_be_bytes(bytes)
}

/// A short, stable name for why the ledger refused a payment, for the other node.
pub fn refusal_code(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::NotAMember(_) => "not-a-member",
        Refusal::CeilingExceeded { .. } => "ceiling",
        Refusal::InsufficientCredit { .. } => "insufficient-credit",
        Refusal::TradeLimitIn { .. } | Refusal::TradeLimitOut { .. } => "trade-limit",
        Refusal::LinkNotOpen { .. } => "link-not-open",
        Refusal::NoLink(_) => "no-link",
        Refusal::RateMismatch { .. } | Refusal::Link(_) => "rate",
        _ => "refused",
    }
}
