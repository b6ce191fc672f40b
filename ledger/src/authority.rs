//! Who holds power in a circle, and when: its stewards and the members a passed proposal
//! appointed to moderate. The ledger decides it (steward entries and enactments); stores read it
//! from the few entries that change it, and the moderation log's check asks the
//! [`AuthorityTimeline`] the auditor builds whether each action's signer held that power at the
//! action's time. No IO.

use std::collections::{BTreeMap, BTreeSet};

use crate::entry::{Action, Body};
use crate::keys::PublicKey;

/// Who holds power in a circle at one point in its chain: its stewards, and the members a passed
/// proposal appointed to moderate. Stores read it from the few entries that change it; the
/// moderation log's check asks it who could sign an action at the action's time.
#[derive(Debug, Clone, Default)]
pub struct Authority {
    pub stewards: BTreeSet<PublicKey>,
    pub moderators: BTreeSet<PublicKey>,
    /// Where each account moved (old key to new), so an end that names the key of when its
    /// vote opened still finds the moderator. Not part of who holds power.
    moved: BTreeMap<PublicKey, PublicKey>,
}

impl PartialEq for Authority {
    fn eq(&self, other: &Authority) -> bool {
        self.stewards == other.stewards && self.moderators == other.moderators
    }
}

impl Eq for Authority {}

impl Authority {
    /// These stewards and appointed moderators.
    pub fn new(stewards: BTreeSet<PublicKey>, moderators: BTreeSet<PublicKey>) -> Authority {
        Authority {
            stewards,
            moderators,
            moved: BTreeMap::new(),
        }
    }

    /// As a checked state holds it.
    pub fn of(state: &crate::state::CircleState) -> Authority {
        Authority {
            stewards: state.stewards.clone(),
            moderators: state.moderators.clone(),
            moved: BTreeMap::new(),
        }
    }

    /// Whether a moderation action signed by this key counts: a steward's or an appointed
    /// moderator's.
    pub fn may_moderate(&self, key: &PublicKey) -> bool {
        self.stewards.contains(key) || self.moderators.contains(key)
    }

    /// Follows one entry the ledger accepted (so its rules were already checked), as
    /// [`crate::state::CircleState::apply_request`] changed stewards and moderators for it. A property test
    /// holds the two to the same answers.
    pub fn follow(&mut self, body: &Body) {
        match body {
            Body::Genesis { stewards, .. } => self.stewards.extend(stewards.iter().copied()),
            Body::AddSteward { key } => {
                self.stewards.insert(*key);
            }
            Body::RemoveSteward { key } => {
                self.stewards.remove(key);
            }
            Body::RotateKey { old, new } => {
                // Every move is kept (an appointment made after it may be ended by a vote that
                // named the older key), as the ledger's state keeps them.
                self.moved.insert(*old, *new);
                if self.moderators.remove(old) {
                    self.moderators.insert(*new);
                }
            }
            Body::CloseAccount { account } => {
                self.moderators.remove(account);
            }
            Body::Enact { actions, .. } => {
                for action in actions {
                    match action {
                        Action::AddSteward { key } => {
                            self.stewards.insert(*key);
                        }
                        Action::RemoveSteward { key } => {
                            self.stewards.remove(key);
                        }
                        Action::Remove { account } => {
                            self.stewards.remove(account);
                            self.moderators.remove(account);
                        }
                        Action::AppointModerator { account } => {
                            self.moderators.insert(*account);
                        }
                        Action::EndModerator { account } => {
                            let mut account = *account;
                            while let Some(next) = self.moved.get(&account) {
                                account = *next;
                            }
                            self.moderators.remove(&account);
                        }
                        Action::SetDefaultLimits { .. }
                        | Action::SetLimits { .. }
                        | Action::Admit { .. }
                        | Action::SetDocument { .. }
                        | Action::Link(_)
                        | Action::SetLinkStatus { .. } => {}
                    }
                }
            }
            Body::OpenAccount { .. }
            | Body::SetLimits { .. }
            | Body::Transfer { .. }
            | Body::RequestPayment { .. }
            | Body::CloseRequest { .. }
            | Body::Hold(_)
            | Body::Settle { .. }
            | Body::Arrive(_) => {}
        }
    }
}

/// Who held power over a circle's history: each change, with the time of the entry that made it
/// (made by the auditor from entries it checked).
#[derive(Debug, Clone, Default)]
pub struct AuthorityTimeline {
    /// `(from_ms, authority)`, times never decreasing.
    changes: Vec<(i64, Authority)>,
}

impl AuthorityTimeline {
    /// Records the authority after an entry of this time, if it changed.
    pub fn record(&mut self, at_ms: i64, authority: &Authority) {
        let last = self.changes.last();
        if last.is_some_and(|(_, known)| known == authority) {
            return;
        }
        // A clock never runs backwards in a checked chain; if it did, the order still holds.
        let from_ms = last.map_or(at_ms, |(time, _)| at_ms.max(*time));
        self.changes.push((from_ms, authority.clone()));
    }

    /// The authority in force at this time (the last change at or before it), if the circle
    /// existed then.
    pub fn at(&self, at_ms: i64) -> Option<&Authority> {
        let after = self
            .changes
            .partition_point(|(from_ms, _)| *from_ms <= at_ms);
        after.checked_sub(1).map(|index| &self.changes[index].1)
    }

    /// Whether this key could sign a moderation action at this time.
    pub fn may_moderate(&self, key: &PublicKey, at_ms: i64) -> bool {
        self.at(at_ms)
            .is_some_and(|authority| authority.may_moderate(key))
    }

    /// How many times who holds power changed (the genesis counts as one).
    pub fn changes(&self) -> usize {
        self.changes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SecretKey;

    fn one(key: PublicKey) -> Authority {
        Authority {
            moderators: [key].into_iter().collect(),
            ..Authority::default()
        }
    }

    #[test]
    fn a_moderator_counts_from_the_appointment_until_it_ends() {
        let key = SecretKey::generate().public_key();
        let mut timeline = AuthorityTimeline::default();
        timeline.record(100, &Authority::default());
        timeline.record(200, &one(key));
        timeline.record(300, &Authority::default());
        assert!(!timeline.may_moderate(&key, 50));
        assert!(!timeline.may_moderate(&key, 199));
        assert!(timeline.may_moderate(&key, 200));
        assert!(timeline.may_moderate(&key, 299));
        assert!(!timeline.may_moderate(&key, 300));
        assert_eq!(timeline.changes(), 3);
    }

    #[test]
    fn an_unchanged_authority_is_recorded_once() {
        let key = SecretKey::generate().public_key();
        let mut timeline = AuthorityTimeline::default();
        timeline.record(1, &one(key));
        timeline.record(2, &one(key));
        assert_eq!(timeline.changes(), 1);
        assert!(timeline.at(0).is_none());
    }
}
