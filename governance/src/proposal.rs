//! A proposal's frozen definition: everything a vote is about, fixed when voting opens, and the
//! hash every ballot binds.
//!
//! When voting opens the node freezes the question (title, a hash of the body), the method and
//! its options, the rules (quorum, threshold, delegation, hidden results), the times, the
//! electorate (every member who may vote) and the actions the proposal carries. The canonical
//! encoding of all of it, under the domain tag `commons.governance.proposal`, hashes to the
//! definition hash. A ballot names that hash, not the proposal's number, so a ballot can never
//! be counted for a question its voter did not see.

use commons_ledger::codec::{DecodeError, Reader, Writer};
use commons_ledger::entry::Action;
use commons_ledger::keys::{Hash, PublicKey};
use serde::Serialize;

use crate::ranked::Lot;
use crate::stv::SEATS_MAX;

pub const PROPOSAL_TAG: &str = "commons.governance.proposal";
pub const ELECTORATE_TAG: &str = "commons.governance.electorate";
/// Version 2 (the first to be kept): definitions name the policy they are voted under and when
/// their text last changed.
pub const FORMAT_VERSION: u16 = 2;
/// At most this many options in one vote (ballots encode them as a list).
pub const OPTIONS_MAX: usize = 64;
/// Longest option label and title, in characters.
pub const OPTION_CHARS_MAX: usize = 200;
pub const TITLE_CHARS_MAX: usize = 200;
/// At most this many members in one electorate.
pub const ELECTORATE_MAX: usize = 10_000_000;

/// How a vote is decided. The tag byte of each is fixed forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Method {
    /// Tag 1: yes / no / abstain.
    Majority,
    /// Tag 2: agree / stand aside / object.
    Consent,
    /// Tag 3: approve any set of options.
    Approval,
    /// Tag 4: score every option 0–5.
    Score,
    /// Tag 5: ranked choice, one winner, instant runoff.
    Irv,
    /// Tag 6: ranked choice, a full ranking, Schulze.
    Schulze,
    /// Tag 7: ranked choice, several winners, Scottish STV.
    Stv { seats: u16 },
}

impl Method {
    pub fn tag(&self) -> u8 {
        match self {
            Method::Majority => 1,
            Method::Consent => 2,
            Method::Approval => 3,
            Method::Score => 4,
            Method::Irv => 5,
            Method::Schulze => 6,
            Method::Stv { .. } => 7,
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            Method::Majority => "majority",
            Method::Consent => "consent",
            Method::Approval => "approval",
            Method::Score => "score",
            Method::Irv => "irv",
            Method::Schulze => "schulze",
            Method::Stv { .. } => "stv",
        }
    }
    /// The method called `name` (as [`Method::name`] gives it), with `seats` for STV.
    pub fn parse(name: &str, seats: u16) -> Option<Method> {
        Some(match name {
            "majority" => Method::Majority,
            "consent" => Method::Consent,
            "approval" => Method::Approval,
            "score" => Method::Score,
            "irv" => Method::Irv,
            "schulze" => Method::Schulze,
            "stv" => Method::Stv { seats },
            _ => return None,
        })
    }
    /// Whether the vote is between options (rather than yes/no on the proposal).
    pub fn has_options(&self) -> bool {
        !matches!(self, Method::Majority | Method::Consent)
    }
    /// Whether ballots rank the options.
    pub fn is_ranked(&self) -> bool {
        matches!(self, Method::Irv | Method::Schulze | Method::Stv { .. })
    }
    fn encode(&self, w: &mut Writer) {
        w.u8(self.tag());
        if let Method::Stv { seats } = self {
            w.u16(*seats);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Method, DecodeError> {
        Ok(match r.u8()? {
            1 => Method::Majority,
            2 => Method::Consent,
            3 => Method::Approval,
            4 => Method::Score,
            5 => Method::Irv,
            6 => Method::Schulze,
            7 => Method::Stv { seats: r.u16()? },
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "method",
                    tag,
                })
            }
        })
    }
}

/// Why a definition cannot be frozen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("a title is 1 to {TITLE_CHARS_MAX} characters")]
    Title,
    #[error("{0} needs 2 to {OPTIONS_MAX} distinct options of 1 to {OPTION_CHARS_MAX} characters")]
    Options(&'static str),
    #[error("a yes/no vote has no options")]
    UnexpectedOptions,
    #[error("STV needs 1 to {SEATS_MAX} seats, fewer than the options")]
    Seats,
    #[error("quorum and threshold are percentages from 0 to 100")]
    Percent,
    #[error("voting must close after it opens, and open after the text was put to discussion")]
    Times,
    #[error("the electorate must list each member once, in order, and at most {ELECTORATE_MAX}")]
    Electorate,
    #[error(
        "a proposal carries at most {} actions, and only a yes/no vote can carry them",
        commons_ledger::entry::ACTIONS_MAX
    )]
    Actions,
}

/// Everything a vote is about, frozen when voting opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub circle_id: Hash,
    /// The proposal's number in its circle.
    pub proposal_id: u64,
    /// 1 for the first vote; a consent proposal amended after an objection votes again in
    /// round 2, 3, … (each round is its own definition).
    pub round: u32,
    pub title: String,
    /// SHA-256 of the proposal's body text (Markdown) as it was when voting opened.
    pub body_hash: Hash,
    pub author: PublicKey,
    pub method: Method,
    pub options: Vec<String>,
    pub quorum_percent: u8,
    pub threshold_percent: u8,
    pub opens_at_ms: i64,
    pub closes_at_ms: i64,
    /// Every member who may vote, sorted by key, each once.
    pub electorate: Vec<PublicKey>,
    /// Whether members may delegate their vote on this proposal.
    pub delegation: bool,
    /// Whether running results stay hidden until voting closes.
    pub hide_results: bool,
    /// What the circle's ledger does when the proposal passes.
    pub actions: Vec<Action>,
    /// The hash of the circle's policy in force when voting opened (see `Policy::hash`); the
    /// recount and the audit check the definition against it.
    pub policy_hash: Hash,
    /// When the text voted on was put to discussion as it stands (an edit restarts it): voting
    /// may open only the policy's minimum discussion time later.
    pub discussed_since_ms: i64,
}

/// The hash of a sorted electorate, under its own domain tag.
pub fn electorate_hash(electorate: &[PublicKey]) -> Hash {
    let mut parts: Vec<&[u8]> = Vec::with_capacity(electorate.len() + 1);
    parts.push(ELECTORATE_TAG.as_bytes());
    for key in electorate {
        parts.push(key.as_bytes());
    }
    Hash::sha256(&parts)
}

/// SHA-256 of a proposal's body text.
pub fn body_hash(body: &str) -> Hash {
    Hash::sha256(&[b"commons.governance.body", body.as_bytes()])
}

impl Definition {
    /// Checks what the encoding cannot: sizes, counts, order.
    pub fn check(&self) -> Result<(), DefinitionError> {
        let chars = self.title.trim().chars().count();
        if chars == 0 || chars > TITLE_CHARS_MAX {
            return Err(DefinitionError::Title);
        }
        if self.method.has_options() {
            let mut labels: Vec<&str> = self.options.iter().map(|o| o.trim()).collect();
            labels.sort_unstable();
            labels.dedup();
            let sized = self
                .options
                .iter()
                .all(|o| (1..=OPTION_CHARS_MAX).contains(&o.trim().chars().count()));
            if self.options.len() < 2
                || self.options.len() > OPTIONS_MAX
                || labels.len() != self.options.len()
                || !sized
            {
                return Err(DefinitionError::Options(self.method.name()));
            }
        } else if !self.options.is_empty() {
            return Err(DefinitionError::UnexpectedOptions);
        }
        if let Method::Stv { seats } = self.method {
            let seats = usize::from(seats);
            if seats == 0 || seats > SEATS_MAX || seats >= self.options.len() {
                return Err(DefinitionError::Seats);
            }
        }
        if self.quorum_percent > 100 || self.threshold_percent > 100 {
            return Err(DefinitionError::Percent);
        }
        if self.closes_at_ms <= self.opens_at_ms || self.discussed_since_ms > self.opens_at_ms {
            return Err(DefinitionError::Times);
        }
        if self.electorate.len() > ELECTORATE_MAX
            || self.electorate.windows(2).any(|pair| pair[0] >= pair[1])
        {
            return Err(DefinitionError::Electorate);
        }
        if self.actions.len() > commons_ledger::entry::ACTIONS_MAX
            || (!self.actions.is_empty() && self.method.has_options())
        {
            return Err(DefinitionError::Actions);
        }
        Ok(())
    }

    /// The canonical bytes (the electorate enters as its count and hash).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_tag(PROPOSAL_TAG);
        w.u16(FORMAT_VERSION)
            .fixed(&self.circle_id.0)
            .u64(self.proposal_id)
            .u32(self.round)
            .str(&self.title)
            .fixed(&self.body_hash.0)
            .fixed(self.author.as_bytes());
        self.method.encode(&mut w);
        w.u32(self.options.len() as u32);
        for option in &self.options {
            w.str(option);
        }
        w.u8(self.quorum_percent)
            .u8(self.threshold_percent)
            .i64(self.opens_at_ms)
            .i64(self.closes_at_ms)
            .u32(self.electorate.len() as u32)
            .fixed(&electorate_hash(&self.electorate).0)
            .u8(u8::from(self.delegation))
            .u8(u8::from(self.hide_results));
        Action::encode_list(&self.actions, &mut w);
        w.fixed(&self.policy_hash.0).i64(self.discussed_since_ms);
        w.finish()
    }

    /// Decodes the canonical bytes; the electorate itself travels beside them and must match the
    /// hash inside.
    pub fn decode(bytes: &[u8], electorate: Vec<PublicKey>) -> Result<Definition, DecodeError> {
        let mut r = Reader::with_tag(bytes, PROPOSAL_TAG)?;
        let version = r.u16()?;
        if version != FORMAT_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let circle_id = Hash(r.array()?);
        let proposal_id = r.u64()?;
        let round = r.u32()?;
        let title = r.string()?;
        let body_hash = Hash(r.array()?);
        let author = PublicKey::from_raw(r.array()?);
        let method = Method::decode(&mut r)?;
        let count = r.list_len()?;
        let options = (0..count)
            .map(|_| r.string())
            .collect::<Result<Vec<_>, _>>()?;
        let quorum_percent = r.u8()?;
        let threshold_percent = r.u8()?;
        let opens_at_ms = r.i64()?;
        let closes_at_ms = r.i64()?;
        let electorate_len = r.u32()? as usize;
        let hash = Hash(r.array()?);
        if electorate_len != electorate.len() || hash != electorate_hash(&electorate) {
            return Err(DecodeError::UnknownTag {
                what: "electorate (its list does not match the hash in the definition)",
                tag: 0,
            });
        }
        let flag = |r: &mut Reader<'_>| -> Result<bool, DecodeError> {
            match r.u8()? {
                0 => Ok(false),
                1 => Ok(true),
                tag => Err(DecodeError::UnknownTag { what: "flag", tag }),
            }
        };
        let delegation = flag(&mut r)?;
        let hide_results = flag(&mut r)?;
        let actions = Action::decode_list(&mut r)?;
        let policy_hash = Hash(r.array()?);
        let discussed_since_ms = r.i64()?;
        r.finish()?;
        Ok(Definition {
            circle_id,
            proposal_id,
            round,
            title,
            body_hash,
            author,
            method,
            options,
            quorum_percent,
            threshold_percent,
            opens_at_ms,
            closes_at_ms,
            electorate,
            delegation,
            hide_results,
            actions,
            policy_hash,
            discussed_since_ms,
        })
    }

    /// The definition hash every ballot binds.
    pub fn hash(&self) -> Hash {
        Hash::sha256(&[&self.encode()])
    }

    /// The lot that settles this vote's last-resort ties.
    pub fn lot(&self) -> Lot {
        Lot { seed: self.hash() }
    }

    /// The number of options a ballot chooses among (none for yes/no votes).
    pub fn option_count(&self) -> usize {
        self.options.len()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use commons_ledger::keys::SecretKey;

    pub fn sample(method: Method, voters: &[PublicKey]) -> Definition {
        let mut electorate = voters.to_vec();
        electorate.sort_unstable();
        Definition {
            circle_id: Hash([1; 32]),
            proposal_id: 7,
            round: 1,
            title: "Raise the default floor".into(),
            body_hash: body_hash("Let everyone go 50 hours below zero."),
            author: voters
                .first()
                .copied()
                .unwrap_or_else(|| SecretKey::generate().public_key()),
            method,
            options: if method.has_options() {
                vec!["Ana".into(), "Bo".into(), "Cy".into()]
            } else {
                vec![]
            },
            quorum_percent: 50,
            threshold_percent: 50,
            opens_at_ms: 1_000,
            closes_at_ms: 2_000,
            electorate,
            delegation: true,
            hide_results: false,
            actions: vec![],
            policy_hash: crate::policy::Policy::default().hash(),
            discussed_since_ms: 0,
        }
    }

    #[test]
    fn definitions_round_trip_and_every_field_changes_the_hash() {
        let voters: Vec<PublicKey> = (0..3).map(|_| SecretKey::generate().public_key()).collect();
        let mut definition = sample(Method::Majority, &voters);
        definition.actions = vec![Action::SetDefaultLimits {
            floor_minor: -5000,
            ceiling_minor: 5000,
        }];
        definition.check().expect("valid");
        let bytes = definition.encode();
        let back = Definition::decode(&bytes, definition.electorate.clone()).expect("decodes");
        assert_eq!(back, definition);
        let base = definition.hash();
        let mut changed = definition.clone();
        changed.closes_at_ms += 1;
        assert_ne!(changed.hash(), base);
        let mut changed = definition.clone();
        changed.electorate.pop();
        assert_ne!(changed.hash(), base);
        assert!(Definition::decode(&bytes, changed.electorate.clone()).is_err());
        let mut changed = definition.clone();
        changed.actions.clear();
        assert_ne!(changed.hash(), base);
        let mut changed = definition.clone();
        changed.policy_hash = Hash([3; 32]);
        assert_ne!(changed.hash(), base);
        let mut changed = definition.clone();
        changed.discussed_since_ms += 1;
        assert_ne!(changed.hash(), base);
    }

    #[test]
    fn bad_definitions_are_named() {
        let voters: Vec<PublicKey> = (0..3).map(|_| SecretKey::generate().public_key()).collect();
        let mut d = sample(Method::Irv, &voters);
        d.options = vec!["Only".into()];
        assert_eq!(d.check(), Err(DefinitionError::Options("irv")));
        let mut d = sample(Method::Stv { seats: 3 }, &voters);
        assert_eq!(d.check(), Err(DefinitionError::Seats));
        d.method = Method::Stv { seats: 2 };
        assert_eq!(d.check(), Ok(()));
        let mut d = sample(Method::Majority, &voters);
        d.closes_at_ms = d.opens_at_ms;
        assert_eq!(d.check(), Err(DefinitionError::Times));
        let mut d = sample(Method::Majority, &voters);
        d.electorate.reverse();
        assert_eq!(d.check(), Err(DefinitionError::Electorate));
        let mut d = sample(Method::Approval, &voters);
        d.actions = vec![Action::AddSteward { key: voters[0] }];
        assert_eq!(d.check(), Err(DefinitionError::Actions));
    }
}
