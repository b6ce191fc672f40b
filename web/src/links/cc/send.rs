//! Paying an account of a Credit Commons partner: the payer's hold is relayed to it as a
//! Credit Commons transaction (`POST {address}/transaction/relay`), completed with
//! `PATCH {address}/transaction/{uuid}/C`, and settled here on its word. Every step is retried
//! by the node's background jobs until the partner answers; past the hold's deadline this node
//! asks it to erase the transaction, and releases the hold once it says it did.

use commons_ledger::crossing::LinkTrust;
use commons_ledger::entry::Body;
use commons_ledger::store::{CircleInfo, LinkRow, PeerError, StoredEntry, WordAnswer};
use reqwest::Method;
use serde_json::json;

use super::wire::{body_hash, minor_quant, next_hash, CC_WORKFLOW_SEND};
use crate::db::cc::CcRow;
use crate::links::peers::{CcReply, NodePeers};

/// The paths a link on its word names: its partner's, and this circle's as the partner knows it.
pub(crate) fn paths(link: &LinkRow) -> Option<(&str, &str)> {
    match &link.terms.trust {
        LinkTrust::OnItsWord {
            their_path,
            our_path,
        } => Some((their_path, our_path)),
        LinkTrust::Proved => None,
    }
}

fn pending(why: impl Into<String>) -> WordAnswer {
    WordAnswer::Pending { why: why.into() }
}

fn said(reply: &CcReply) -> String {
    super::wire::partner_words(&reply.body)
}

/// Relays a hold to its Credit Commons partner and says how it ended there. When it cannot
/// tell, it looks again whether another attempt (the node's jobs) finished it meanwhile.
pub(crate) async fn relay_hold(
    peers: &NodePeers,
    from: &CircleInfo,
    link: &LinkRow,
    hold: &StoredEntry,
) -> Result<WordAnswer, PeerError> {
    let answer = relay_hold_once(peers, from, link, hold).await?;
    let WordAnswer::Pending { .. } = answer else {
        return Ok(answer);
    };
    let Body::Hold(held) = &hold.entry.signed.record.body else {
        return Ok(answer);
    };
    let row = peers
        .db
        .cc_transaction(from.row_id, &held.transfer.to_string())
        .await
        .map_err(|error| PeerError::Unreachable(error.to_string()))?;
    Ok(match row {
        Some(row) if row.state == "C" => WordAnswer::Completed {
            remote: commons_ledger::keys::Hash(row.body_hash),
        },
        _ => answer,
    })
}

async fn relay_hold_once(
    peers: &NodePeers,
    from: &CircleInfo,
    link: &LinkRow,
    hold: &StoredEntry,
) -> Result<WordAnswer, PeerError> {
    let store_error = |error: sqlx::Error| PeerError::Unreachable(error.to_string());
    let Body::Hold(held) = &hold.entry.signed.record.body else {
        return Err(PeerError::Unreachable("not a hold".into()));
    };
    let (_, our_path) = paths(link).ok_or(PeerError::Unreachable("a proved link".into()))?;
    let uuid = held.transfer.to_string();
    let Some(row) = peers
        .db
        .cc_transaction(from.row_id, &uuid)
        .await
        .map_err(store_error)?
    else {
        return Ok(WordAnswer::Refused {
            code: "cc-unknown".into(),
            message: "this node kept no Credit Commons transaction for the payment".into(),
        });
    };
    // Finished by an earlier attempt (the settlement may still be on its way): as it ended.
    match row.state.as_str() {
        "C" => {
            return Ok(WordAnswer::Completed {
                remote: commons_ledger::keys::Hash(row.body_hash),
            })
        }
        "E" => {
            return Ok(WordAnswer::Refused {
                code: "cc-refused".into(),
                message: "the Credit Commons node did not take the payment".into(),
            })
        }
        _ => {}
    }
    let partner = link.terms.partner.0;
    let Some(chain) = peers
        .db
        .cc_chain(from.row_id, &partner)
        .await
        .map_err(store_error)?
    else {
        return Ok(pending("the chain with the partner has not been started"));
    };
    let call = (our_path, chain.last_hash.as_str());
    let now_ms = peers.store.now_ms();
    if now_ms > held.deadline_ms {
        return erase_late(peers, from, link, &row, call).await;
    }
    let transaction = json!({
        "uuid": uuid,
        "state": "V",
        "workflow": CC_WORKFLOW_SEND,
        "entries": [{
            "payer": row.payer,
            "payee": row.payee,
            "quant": minor_quant(held.amount_there_minor),
            "description": row.description,
            "metadata": {},
        }],
    });
    let address = &link.terms.address;
    let relayed = match peers
        .federation
        .cc_call(
            address,
            Method::POST,
            "/transaction/relay",
            call,
            Some(&transaction),
        )
        .await
    {
        Ok(reply) => reply,
        Err(error) => return Ok(pending(error)),
    };
    match relayed.status {
        200..=299 | 409 => {}
        400 | 403 | 404 | 422 => {
            let _ = peers
                .db
                .set_cc_state(from.row_id, &uuid, &["V", "P"], "E", now_ms)
                .await;
            return Ok(WordAnswer::Refused {
                code: "cc-refused".into(),
                message: said(&relayed),
            });
        }
        status => {
            return Ok(pending(format!(
                "the partner answered {status}: {}",
                said(&relayed)
            )))
        }
    }
    let completed = match peers
        .federation
        .cc_call(
            address,
            Method::PATCH,
            &format!("/transaction/{uuid}/C"),
            call,
            None,
        )
        .await
    {
        Ok(reply) if (200..300).contains(&reply.status) => reply,
        Ok(reply) => {
            return Ok(pending(format!(
                "the partner answered {}: {}",
                reply.status,
                said(&reply)
            )))
        }
        Err(error) => return Ok(pending(error)),
    };
    let mut answered = relayed.body;
    answered.extend_from_slice(&completed.body);
    let remote = body_hash(&answered);
    let next = next_hash(&chain.last_hash, &uuid);
    let moved = peers
        .db
        .complete_cc(
            from.row_id,
            &partner,
            &uuid,
            Some(&remote.0),
            (&chain.last_hash, &next),
            now_ms,
        )
        .await
        .map_err(store_error)?;
    if !moved {
        // Another attempt completed it meanwhile: its answer is the one the ledger names.
        let row = peers
            .db
            .cc_transaction(from.row_id, &uuid)
            .await
            .map_err(store_error)?;
        return Ok(match row {
            Some(row) if row.state == "C" => WordAnswer::Completed {
                remote: commons_ledger::keys::Hash(row.body_hash),
            },
            _ => pending("the transaction changed meanwhile"),
        });
    }
    Ok(WordAnswer::Completed { remote })
}

/// Past the deadline: asks the partner to erase the transaction; released once it says it
/// did, or that it never had it.
async fn erase_late(
    peers: &NodePeers,
    from: &CircleInfo,
    link: &LinkRow,
    row: &CcRow,
    call: (&str, &str),
) -> Result<WordAnswer, PeerError> {
    let path = format!("/transaction/{}/E", row.uuid);
    match peers
        .federation
        .cc_call(&link.terms.address, Method::PATCH, &path, call, None)
        .await
    {
        Ok(reply) if (200..300).contains(&reply.status) || reply.status == 404 => {
            let _ = peers
                .db
                .set_cc_state(
                    from.row_id,
                    &row.uuid,
                    &["V", "P"],
                    "E",
                    peers.store.now_ms(),
                )
                .await;
            Ok(WordAnswer::Refused {
                code: "cc-expired".into(),
                message: "the Credit Commons node did not complete the payment in time".into(),
            })
        }
        Ok(reply) => Ok(pending(format!(
            "past its deadline; the partner answered {}: {}",
            reply.status,
            said(&reply)
        ))),
        Err(error) => Ok(pending(error)),
    }
}

impl crate::services::Services {
    /// Before a payment to a Credit Commons partner is held: what the relay will say (the
    /// payer's and payee's paths, the amount in the partner's unit, the memo), kept under the
    /// payment's transfer id. Refused while the chain with the partner is not started (the
    /// partner could not be told). Nothing for other links.
    pub(crate) async fn keep_cc_payment(
        &self,
        actor: &crate::services::Actor,
        quote: &crate::links::CrossQuote,
        transfer: commons_ledger::crossing::TransferId,
        memo: Option<&str>,
        deadline_ms: i64,
    ) -> Result<(), crate::services::ActionError> {
        let Some((_, our_path)) = paths(&quote.linked.link) else {
            return Ok(());
        };
        let partner = quote.linked.partner.circle_id.0;
        let row_id = actor.circle.row_id;
        if self.db.cc_chain(row_id, &partner).await?.is_none() {
            return Err(crate::services::invalid("circle", "cc-error-not-started"));
        }
        let now_ms = self.now_ms();
        let row = CcRow {
            partner,
            uuid: transfer.to_string(),
            direction: "out".into(),
            state: "V".into(),
            payer: format!("{our_path}/{}", actor.user.username),
            payee: quote.payee.username.clone(),
            quant_minor: quote.amount_there_minor,
            amount_minor: quote.amount_minor,
            description: memo.unwrap_or_default().to_owned(),
            body_hash: [0; 32],
            expires_at_ms: deadline_ms,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
        };
        if !self.db.insert_cc_transaction(row_id, &row).await?
            && self.db.cc_transaction(row_id, &row.uuid).await?.is_none()
        {
            return Err(crate::services::invalid("circle", "cc-error-busy"));
        }
        Ok(())
    }
}
