//! The rules of linked circles: a link's terms and status, payments held on their way out,
//! their settlement, and payments arriving. Pure: applied by the writer and by the auditor
//! alike, like every other rule in `state`.
//!
//! A link's connector account is an account of this circle like a member's, so the circle's
//! balances still sum to zero: a positive balance is what this circle owes the other (its
//! members bought more across the link than they sold), a negative one what the other owes.
//! Its floor and ceiling are the link's limits. Nobody can sign for it: only holds, their
//! settlements and arrivals move it, and member transfers can neither pay it nor be paid by it.

use super::*;
use crate::crossing::{
    cc_partner_id, connector_key, is_cc_path, Arrival, Hold, HoldSource, LinkStatus, LinkTerms,
    LinkTrust, Settlement, TransferId, LINK_ADDRESS_BYTES_MAX, NO_NODE_KEY,
};

/// The terms of a link with a Credit Commons node: named by where it is (its id derived from
/// its address and path), with paths that node can read, no node key, no shared market.
fn check_on_its_word(terms: &LinkTerms, their_path: &str, our_path: &str) -> Result<(), Refusal> {
    let refuse = |why: &str| Err(Refusal::InvalidCircle(why.to_owned()));
    if terms.partner != cc_partner_id(&terms.address, their_path) {
        return refuse("a Credit Commons partner's id is the hash of its address and path");
    }
    if terms.address.is_empty() || *terms.partner_node_key.as_bytes() != NO_NODE_KEY {
        return refuse("a Credit Commons partner has an address and no node key");
    }
    if !is_cc_path(their_path) || !is_cc_path(our_path) || their_path == our_path {
        return refuse("Credit Commons paths are names of lowercase letters, digits, - and _ joined by /, and the two differ");
    }
    if terms.shares_market {
        return refuse("a Credit Commons partner shares no market");
    }
    Ok(())
}

/// A circle's link with another, as its proposals left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    pub terms: LinkTerms,
    pub status: LinkStatus,
    /// The key of this circle's connector account for the other circle.
    pub connector: PublicKey,
    /// The entry that set the terms in force.
    pub terms_seq: u64,
    /// Payments this link carried that rest on the partner's word (arrivals, and holds it said
    /// it recorded): always 0 for a proved link.
    pub on_word_payments: u64,
}

/// Where a held payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldState {
    Pending,
    Committed { remote: Hash },
    Released,
}

/// A payment held on its way out of this circle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRecord {
    pub seq: u64,
    pub hold: Hold,
    /// The account the credit leaves: the paying member's, or the connector it came through.
    pub from: PublicKey,
    /// The connector account of the next circle.
    pub connector: PublicKey,
    pub state: HoldState,
}

impl CircleState {
    /// This circle's link with `partner`, whatever its status.
    pub fn link(&self, partner: &Hash) -> Result<&LinkRecord, Refusal> {
        self.links
            .get(partner)
            .ok_or_else(|| Refusal::NoLink(partner.short()))
    }

    fn open_link(&self, partner: &Hash) -> Result<&LinkRecord, Refusal> {
        let link = self.link(partner)?;
        if link.status != LinkStatus::Open {
            return Err(Refusal::LinkNotOpen {
                partner: partner.short(),
                status: link.status.as_str(),
            });
        }
        Ok(link)
    }

    /// Whether `key` is the connector account of one of this circle's links.
    pub fn is_connector(&self, key: &PublicKey) -> bool {
        self.connector_of.contains_key(key)
    }

    /// Credit held on its way out of this account, not yet settled.
    pub fn held_out_minor(&self, key: &PublicKey) -> i64 {
        self.held_out.get(key).copied().unwrap_or(0)
    }

    /// Credit held on its way into this account (connectors only).
    pub fn held_in_minor(&self, key: &PublicKey) -> i64 {
        self.held_in.get(key).copied().unwrap_or(0)
    }

    /// The entry (sequence number and hash) that recorded a payment with this transfer id here,
    /// its hold or its arrival.
    pub fn transfer_entry(&self, transfer: &TransferId) -> Option<(u64, Hash)> {
        self.transfer_entries.get(transfer).copied()
    }

    /// A hold by the hash of its entry.
    pub fn hold(&self, hold: &Hash) -> Option<&HoldRecord> {
        self.holds.get(hold)
    }

    /// The holds still waiting to settle, oldest first.
    pub fn pending_holds(&self) -> Vec<(Hash, &HoldRecord)> {
        let mut pending: Vec<(Hash, &HoldRecord)> = self
            .holds
            .iter()
            .filter(|(_, record)| record.state == HoldState::Pending)
            .map(|(hash, record)| (*hash, record))
            .collect();
        pending.sort_by_key(|(_, record)| record.seq);
        pending
    }

    /// Action::Link: opens the connector account or changes the terms of an existing link.
    pub(super) fn apply_link_terms(&mut self, terms: &LinkTerms, seq: u64) -> Result<(), Refusal> {
        if terms.partner == self.circle_id {
            return Err(Refusal::LinkToItself);
        }
        match &terms.trust {
            LinkTrust::Proved => check_key(&terms.partner_node_key)?,
            LinkTrust::OnItsWord {
                their_path,
                our_path,
            } => check_on_its_word(terms, their_path, our_path)?,
        }
        if let Some(held) = self.links.get(&terms.partner) {
            if held.terms.trust.is_proved() != terms.trust.is_proved() {
                return Err(Refusal::InvalidCircle(
                    "a link's kind (proved, or on the partner's word) cannot change".into(),
                ));
            }
        }
        if terms.address.len() > LINK_ADDRESS_BYTES_MAX {
            return Err(Refusal::InvalidCircle(format!(
                "a linked circle's address is at most {LINK_ADDRESS_BYTES_MAX} bytes"
            )));
        }
        terms.rate()?;
        let (floor_minor, ceiling_minor) = (-terms.in_max_minor, terms.out_max_minor);
        self.check_limits(floor_minor, ceiling_minor)?;
        let connector = connector_key(&terms.partner);
        match self.accounts.get(&connector) {
            Some(account) => {
                // Room already promised to payments in flight counts as used.
                let low = account.balance_minor - self.held_out_minor(&connector);
                let high = account.balance_minor + self.held_in_minor(&connector);
                if low < floor_minor || high > ceiling_minor {
                    return Err(Refusal::LimitsExcludeBalance {
                        balance: self.money(account.balance_minor),
                        floor: self.money(floor_minor),
                        ceiling: self.money(ceiling_minor),
                    });
                }
            }
            None => {
                self.accounts.insert(
                    connector,
                    Account {
                        floor_minor,
                        ceiling_minor,
                        balance_minor: 0,
                        status: AccountStatus::Open,
                    },
                );
            }
        }
        let account = self.accounts.get_mut(&connector).expect("present");
        account.floor_minor = floor_minor;
        account.ceiling_minor = ceiling_minor;
        self.connector_of.insert(connector, terms.partner);
        let on_word_payments = self
            .links
            .get(&terms.partner)
            .map_or(0, |held| held.on_word_payments);
        self.links.insert(
            terms.partner,
            LinkRecord {
                terms: terms.clone(),
                status: LinkStatus::Open,
                connector,
                terms_seq: seq,
                on_word_payments,
            },
        );
        Ok(())
    }

    /// Action::SetLinkStatus.
    pub(super) fn apply_link_status(
        &mut self,
        partner: &Hash,
        status: LinkStatus,
    ) -> Result<(), Refusal> {
        let connector = self.link(partner)?.connector;
        if status == LinkStatus::Closed {
            let balance = self.accounts[&connector].balance_minor;
            let in_flight = self
                .holds
                .values()
                .filter(|record| {
                    record.state == HoldState::Pending
                        && (record.from == connector || record.connector == connector)
                })
                .count();
            if balance != 0 || in_flight != 0 {
                return Err(Refusal::LinkNotSettled {
                    partner: partner.short(),
                    balance: self.money(balance),
                    in_flight,
                });
            }
        }
        self.links.get_mut(partner).expect("checked").status = status;
        Ok(())
    }

    fn check_transfer_unseen(&self, transfer: &TransferId) -> Result<(), Refusal> {
        match self.transfer_entry(transfer) {
            Some((seq, _)) => Err(Refusal::TransferKnown {
                transfer: transfer.to_string(),
                seq,
            }),
            None => Ok(()),
        }
    }

    /// How much a connector may still pay out (the other circle coming to owe more), and
    /// whether `amount_minor` fits.
    fn check_connector_pays(
        &self,
        partner: &Hash,
        connector: &PublicKey,
        amount_minor: i64,
    ) -> Result<(), Refusal> {
        let account = &self.accounts[connector];
        let room = account.balance_minor - self.held_out_minor(connector) - account.floor_minor;
        if amount_minor > room {
            return Err(Refusal::TradeLimitIn {
                partner: partner.short(),
                limit: self.money(-account.floor_minor),
                room: self.money(room.max(0)),
            });
        }
        Ok(())
    }

    /// Whether a connector may be paid `amount_minor` more (this circle coming to owe more).
    fn check_connector_receives(
        &self,
        partner: &Hash,
        connector: &PublicKey,
        amount_minor: i64,
    ) -> Result<(), Refusal> {
        let account = &self.accounts[connector];
        let room = account.ceiling_minor - account.balance_minor - self.held_in_minor(connector);
        if amount_minor > room {
            return Err(Refusal::TradeLimitOut {
                partner: partner.short(),
                limit: self.money(account.ceiling_minor),
                room: self.money(room.max(0)),
            });
        }
        Ok(())
    }

    /// Body::Hold: reserves the amount on the source and on the next link.
    pub(super) fn apply_hold(
        &mut self,
        author: &PublicKey,
        hold: &Hold,
        seq: u64,
        entry_hash: Hash,
    ) -> Result<(), Refusal> {
        self.check_transfer_unseen(&hold.transfer)?;
        if hold.destination == self.circle_id {
            return Err(Refusal::LinkToItself);
        }
        self.check_amount(hold.amount_minor)?;
        let link = self.open_link(&hold.partner)?;
        let connector = link.connector;
        let expected = link.terms.rate()?.convert(hold.amount_minor)?;
        if expected != hold.amount_there_minor {
            return Err(Refusal::RateMismatch {
                amount: self.money(hold.amount_minor),
                expected,
                found: hold.amount_there_minor,
            });
        }
        let from = match &hold.source {
            HoldSource::Member(payer) => {
                self.require(author == payer, "the payer", "sign a payment", author)?;
                let account = self.open_account(payer)?;
                let available =
                    account.balance_minor - self.held_out_minor(payer) - account.floor_minor;
                if hold.amount_minor > available {
                    return Err(Refusal::InsufficientCredit {
                        balance: self.money(account.balance_minor),
                        floor: self.money(account.floor_minor),
                        available: self.money(available.max(0)),
                    });
                }
                *payer
            }
            HoldSource::Link { partner, entry: _ } => {
                self.require(
                    *author == self.node_key,
                    "the circle's node key",
                    "pass a payment on",
                    author,
                )?;
                if *partner == hold.partner {
                    return Err(Refusal::LinkToItself);
                }
                let source_link = self.open_link(partner)?;
                if !source_link.terms.trust.is_proved() || !link.terms.trust.is_proved() {
                    return Err(Refusal::InvalidCircle(
                        "a payment passes through a circle only between proved links".into(),
                    ));
                }
                let source = source_link.connector;
                self.check_connector_pays(partner, &source, hold.amount_minor)?;
                source
            }
        };
        self.check_connector_receives(&hold.partner, &connector, hold.amount_minor)?;
        *self.held_out.entry(from).or_default() += hold.amount_minor;
        *self.held_in.entry(connector).or_default() += hold.amount_minor;
        self.transfer_entries
            .insert(hold.transfer, (seq, entry_hash));
        self.holds.insert(
            entry_hash,
            HoldRecord {
                seq,
                hold: hold.clone(),
                from,
                connector,
                state: HoldState::Pending,
            },
        );
        Ok(())
    }

    /// Body::Settle: a pending hold commits (the credit moves) or is released.
    pub(super) fn apply_settle(
        &mut self,
        author: &PublicKey,
        hold_hash: &Hash,
        settlement: &Settlement,
    ) -> Result<(), Refusal> {
        self.require(
            *author == self.node_key,
            "the circle's node key",
            "settle a payment between circles",
            author,
        )?;
        let record = self
            .holds
            .get(hold_hash)
            .ok_or_else(|| Refusal::UnknownHold(hold_hash.short()))?;
        if record.state != HoldState::Pending {
            return Err(Refusal::HoldSettled(hold_hash.short()));
        }
        let (from, connector, amount) = (record.from, record.connector, record.hold.amount_minor);
        let partner = record.hold.partner;
        *self.held_out.get_mut(&from).expect("held") -= amount;
        *self.held_in.get_mut(&connector).expect("held") -= amount;
        let state = match settlement {
            Settlement::Commit { remote } => {
                self.accounts.get_mut(&from).expect("held").balance_minor -= amount;
                self.accounts
                    .get_mut(&connector)
                    .expect("held")
                    .balance_minor += amount;
                self.count_on_word(&partner);
                HoldState::Committed { remote: *remote }
            }
            Settlement::Release => HoldState::Released,
        };
        self.holds.get_mut(hold_hash).expect("checked").state = state;
        Ok(())
    }

    /// Body::Arrive: the connector of the sending circle pays the payee.
    pub(super) fn apply_arrival(
        &mut self,
        author: &PublicKey,
        arrival: &Arrival,
        seq: u64,
        entry_hash: Hash,
    ) -> Result<(), Refusal> {
        self.require(
            *author == self.node_key,
            "the circle's node key",
            "record a payment from a linked circle",
            author,
        )?;
        self.check_transfer_unseen(&arrival.transfer)?;
        self.check_amount(arrival.amount_minor)?;
        let connector = self.open_link(&arrival.partner)?.connector;
        self.check_connector_pays(&arrival.partner, &connector, arrival.amount_minor)?;
        let payee = self.open_account(&arrival.payee)?;
        let room = payee.ceiling_minor - payee.balance_minor;
        if arrival.amount_minor > room {
            return Err(Refusal::CeilingExceeded {
                balance: self.money(payee.balance_minor),
                ceiling: self.money(payee.ceiling_minor),
                room: self.money(room.max(0)),
            });
        }
        self.accounts
            .get_mut(&connector)
            .expect("open")
            .balance_minor -= arrival.amount_minor;
        self.accounts
            .get_mut(&arrival.payee)
            .expect("open")
            .balance_minor += arrival.amount_minor;
        self.transfer_entries
            .insert(arrival.transfer, (seq, entry_hash));
        self.count_on_word(&arrival.partner);
        Ok(())
    }

    /// Counts a payment that rests on `partner`'s word, if its link is taken on its word.
    fn count_on_word(&mut self, partner: &Hash) {
        if let Some(link) = self.links.get_mut(partner) {
            if !link.terms.trust.is_proved() {
                link.on_word_payments += 1;
            }
        }
    }

    /// The accounts a settlement or arrival changed (after applying it).
    pub(super) fn touched_by_link_entry(&self, body: &Body) -> Vec<PublicKey> {
        match body {
            Body::Settle { hold, .. } => self
                .holds
                .get(hold)
                .map(|record| vec![record.from, record.connector])
                .unwrap_or_default(),
            Body::Arrive(arrival) => vec![connector_key(&arrival.partner), arrival.payee],
            _ => Vec::new(),
        }
    }

    /// A key rotation carries the account's holds to its new key.
    pub(super) fn move_holds(&mut self, old: &PublicKey, new: &PublicKey) {
        if let Some(held) = self.held_out.remove(old) {
            self.held_out.insert(*new, held);
        }
        for record in self.holds.values_mut() {
            if record.from == *old {
                record.from = *new;
            }
        }
    }
}
