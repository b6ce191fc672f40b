//! Delegation: a member lets another member's ballot count for them too, for one proposal or
//! standing, by a signed and revocable record.
//!
//! Rules of the count:
//! - a record is signed by the delegator; the latest one per (delegator, scope) made before
//!   voting closes counts, and a record with no delegate revokes;
//! - a delegation for this proposal comes before a standing one;
//! - a member's own ballot always overrides their delegation;
//! - delegation is transitive: if the delegate did not vote either, their own delegation is
//!   followed, and so on, until someone who voted;
//! - a chain that returns to a member already on it (a cycle), leaves the electorate, or ends
//!   with someone who did not vote carries no vote; the tally lists these too.

use std::collections::{BTreeMap, HashMap, HashSet};

use commons_ledger::codec::{DecodeError, Reader, Writer};
use commons_ledger::keys::{Hash, PublicKey, SecretKey};

use crate::proposal::FORMAT_VERSION;
use commons_ledger::signed::{Signable, Signed};

pub const DELEGATION_TAG: &str = "commons.governance.delegation";

/// What a delegation covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Every proposal of the circle, until revoked.
    Standing,
    /// One proposal, by its number in the circle (every round of it).
    Proposal(u64),
}

/// A delegation as its delegator signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    pub circle_id: Hash,
    pub delegator: PublicKey,
    /// `None` revokes the delegator's delegation in this scope.
    pub delegate: Option<PublicKey>,
    pub scope: Scope,
    pub made_at_ms: i64,
}

impl Delegation {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_tag(DELEGATION_TAG);
        w.u16(FORMAT_VERSION)
            .fixed(&self.circle_id.0)
            .fixed(self.delegator.as_bytes());
        match &self.delegate {
            None => w.u8(0),
            Some(key) => w.u8(1).fixed(key.as_bytes()),
        };
        match self.scope {
            Scope::Standing => w.u8(0),
            Scope::Proposal(id) => w.u8(1).u64(id),
        };
        w.i64(self.made_at_ms);
        w.finish()
    }

    pub fn decode(bytes: &[u8]) -> Result<Delegation, DecodeError> {
        let mut r = Reader::with_tag(bytes, DELEGATION_TAG)?;
        let version = r.u16()?;
        if version != FORMAT_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let circle_id = Hash(r.array()?);
        let delegator = PublicKey::from_raw(r.array()?);
        let delegate = match r.u8()? {
            0 => None,
            1 => Some(PublicKey::from_raw(r.array()?)),
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "delegate",
                    tag,
                })
            }
        };
        let scope = match r.u8()? {
            0 => Scope::Standing,
            1 => Scope::Proposal(r.u64()?),
            tag => return Err(DecodeError::UnknownTag { what: "scope", tag }),
        };
        let made_at_ms = r.i64()?;
        r.finish()?;
        Ok(Delegation {
            circle_id,
            delegator,
            delegate,
            scope,
            made_at_ms,
        })
    }

    /// Signs the delegation with the delegator's key.
    pub fn sign(self, key: &SecretKey) -> SignedDelegation {
        Signed::sign(self, key)
    }
}

impl Signable for Delegation {
    const WHAT: &'static str = "delegation";
    const CANONICAL_ONLY: bool = true;
    fn encode(&self) -> Vec<u8> {
        Delegation::encode(self)
    }
    fn decode(bytes: &[u8]) -> Result<Delegation, DecodeError> {
        Delegation::decode(bytes)
    }
    fn signer(&self) -> &PublicKey {
        &self.delegator
    }
}

/// A delegation with its canonical bytes and the delegator's signature.
pub type SignedDelegation = Signed<Delegation>;

/// How one member's vote travelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub from: PublicKey,
    /// The members the vote passed through, ending with whoever cast the ballot it joined.
    pub path: Vec<PublicKey>,
    /// Whether it reached a ballot (false: a cycle, or nobody on the chain voted).
    pub counted: bool,
}

/// Where the votes of members who did not vote went, and each ballot's weight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    /// Weight per voter who cast a ballot: 1 + the members whose votes reached them.
    pub weights: HashMap<PublicKey, u64>,
    pub flows: Vec<Flow>,
}

/// The delegate each member chose for a proposal: the latest valid record per scope, this
/// proposal's before a standing one. `records` must already be checked (signature, circle,
/// time).
pub fn choices(records: &[&Delegation], proposal_id: u64) -> HashMap<PublicKey, PublicKey> {
    let mut latest: BTreeMap<(PublicKey, Scope), &Delegation> = BTreeMap::new();
    for record in records {
        if !matches!(record.scope, Scope::Standing) && record.scope != Scope::Proposal(proposal_id)
        {
            continue;
        }
        let key = (record.delegator, record.scope);
        match latest.get(&key) {
            Some(existing) if existing.made_at_ms >= record.made_at_ms => {}
            _ => {
                latest.insert(key, record);
            }
        }
    }
    let mut chosen = HashMap::new();
    for ((delegator, _), record) in &latest {
        let specific = latest.get(&(*delegator, Scope::Proposal(proposal_id)));
        let effective = specific.unwrap_or(record);
        if let Some(delegate) = effective.delegate {
            chosen.insert(*delegator, delegate);
        }
    }
    chosen
}

/// Resolves delegations for one vote: `electorate` (sorted), who cast a ballot, and each
/// member's chosen delegate.
pub fn resolve(
    electorate: &[PublicKey],
    voted: &HashSet<PublicKey>,
    delegates: &HashMap<PublicKey, PublicKey>,
) -> Resolution {
    let in_electorate = |key: &PublicKey| electorate.binary_search(key).is_ok();
    let mut resolution = Resolution::default();
    for voter in voted {
        resolution.weights.insert(*voter, 1);
    }
    for member in electorate {
        if voted.contains(member) || !delegates.contains_key(member) {
            continue;
        }
        let mut path: Vec<PublicKey> = Vec::new();
        let mut seen: HashSet<PublicKey> = HashSet::from([*member]);
        let mut at = *member;
        let counted = loop {
            let Some(next) = delegates.get(&at) else {
                break false;
            };
            if !in_electorate(next) || !seen.insert(*next) {
                path.push(*next);
                break false;
            }
            path.push(*next);
            if voted.contains(next) {
                break true;
            }
            at = *next;
        };
        if counted {
            *resolution
                .weights
                .get_mut(path.last().expect("non-empty"))
                .expect("voted") += 1;
        }
        resolution.flows.push(Flow {
            from: *member,
            path,
            counted,
        });
    }
    resolution
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: usize) -> Vec<PublicKey> {
        let mut keys: Vec<PublicKey> = (0..n).map(|_| SecretKey::generate().public_key()).collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn votes_flow_along_chains_and_a_direct_ballot_overrides() {
        let k = keys(5);
        let voted: HashSet<PublicKey> = [k[0], k[3]].into();
        // 1 → 2 → 0 (0 voted); 3 delegated to 0 but voted itself; 4 → 1 → 2 → 0.
        let delegates: HashMap<PublicKey, PublicKey> =
            [(k[1], k[2]), (k[2], k[0]), (k[3], k[0]), (k[4], k[1])].into();
        let r = resolve(&k, &voted, &delegates);
        assert_eq!(r.weights[&k[0]], 4);
        assert_eq!(r.weights[&k[3]], 1);
        assert!(r.flows.iter().all(|f| f.counted));
        let from4 = r.flows.iter().find(|f| f.from == k[4]).expect("flow");
        assert_eq!(from4.path, vec![k[1], k[2], k[0]]);
    }

    #[test]
    fn cycles_outsiders_and_chains_without_a_ballot_carry_nothing() {
        let k = keys(4);
        let outsider = SecretKey::generate().public_key();
        let voted: HashSet<PublicKey> = [k[3]].into();
        let delegates: HashMap<PublicKey, PublicKey> =
            [(k[0], k[1]), (k[1], k[0]), (k[2], outsider)].into();
        let r = resolve(&k, &voted, &delegates);
        assert_eq!(r.weights[&k[3]], 1);
        assert_eq!(r.flows.len(), 3);
        assert!(r.flows.iter().all(|f| !f.counted));
    }

    #[test]
    fn the_latest_record_counts_and_a_proposal_delegation_comes_first() {
        let k = keys(3);
        let record = |delegate: Option<PublicKey>, scope, at| Delegation {
            circle_id: Hash([1; 32]),
            delegator: k[0],
            delegate,
            scope,
            made_at_ms: at,
        };
        let a = record(Some(k[1]), Scope::Standing, 1);
        let b = record(Some(k[2]), Scope::Proposal(7), 2);
        let c = record(None, Scope::Proposal(7), 3);
        assert_eq!(choices(&[&a, &b], 7)[&k[0]], k[2]);
        assert_eq!(choices(&[&a, &b], 8)[&k[0]], k[1]);
        // Revoking the proposal delegation leaves… the revocation: no delegate for proposal 7.
        assert!(!choices(&[&a, &b, &c], 7).contains_key(&k[0]));
        let revoked = record(None, Scope::Standing, 4);
        assert!(choices(&[&a, &revoked], 8).is_empty());
        let signer = SecretKey::generate();
        let signed = Delegation {
            delegator: signer.public_key(),
            ..a.clone()
        }
        .sign(&signer);
        let back =
            SignedDelegation::from_parts(signed.bytes.clone(), signed.signature).expect("ok");
        assert!(back.signature_is_valid());
    }
}
