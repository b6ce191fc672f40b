//! An in-memory ledger for one circle: the rules and chain without a database. Used by tests,
//! benchmarks and tools that build a ledger to audit; the stores use the same [`CircleState`].

use crate::entry::{Body, CircleSpec, Entry, Request, SignedRequest, TreeHead};
use crate::export::{export_text, header_for, Memo, RawEntry};
use crate::keys::{Hash, SecretKey};
use crate::merkle::Frontier;
use crate::state::{CircleState, Refusal};

/// A circle's whole ledger held in memory.
#[derive(Debug)]
pub struct MemoryLedger {
    pub state: CircleState,
    pub entries: Vec<Entry>,
    pub memos: Vec<Option<Memo>>,
    pub node_key: SecretKey,
    frontier: Frontier,
    clock_ms: i64,
}

impl MemoryLedger {
    /// Creates a circle whose genesis is signed by `steward`.
    pub fn create(
        spec: CircleSpec,
        steward: &SecretKey,
        clock_ms: i64,
    ) -> Result<MemoryLedger, Refusal> {
        let node_key = SecretKey::generate();
        let signed = Request::genesis(spec, steward, node_key.public_key());
        let entry = Entry {
            seq: 0,
            prev_hash: Hash::ZERO,
            recorded_at_ms: clock_ms,
            signed,
        };
        let hash = entry.hash();
        let state = CircleState::from_genesis(&entry, hash)?;
        let mut frontier = Frontier::default();
        frontier.push(hash);
        Ok(MemoryLedger {
            state,
            entries: vec![entry],
            memos: vec![None],
            node_key,
            frontier,
            clock_ms,
        })
    }

    /// Signs `body` as `author` for this circle.
    pub fn sign(&self, author: &SecretKey, body: Body) -> SignedRequest {
        Request::signed(self.state.circle_id, author, body)
    }

    /// Verifies and appends a signed request; a refusal changes nothing.
    pub fn append(&mut self, signed: SignedRequest, memo: Option<Memo>) -> Result<&Entry, Refusal> {
        if !signed.signature_is_valid() {
            return Err(Refusal::BadSignature);
        }
        crate::state::check_submission(&signed, memo.as_ref())?;
        self.clock_ms += 1;
        let (entry, hash) = self.state.place(signed, self.clock_ms)?;
        self.frontier.push(hash);
        self.entries.push(entry);
        self.memos.push(memo);
        Ok(self.entries.last().expect("just pushed"))
    }

    /// Signs and appends in one step.
    pub fn submit(&mut self, author: &SecretKey, body: Body) -> Result<&Entry, Refusal> {
        let signed = self.sign(author, body);
        self.append(signed, None)
    }

    pub fn tree_head(&self) -> TreeHead {
        TreeHead::sign(
            &self.node_key,
            self.state.circle_id,
            self.frontier.size(),
            self.frontier.root(),
            self.clock_ms,
        )
    }

    pub fn raw_entries(&self) -> Vec<RawEntry> {
        self.entries
            .iter()
            .zip(&self.memos)
            .map(|(entry, memo)| RawEntry::from_entry(entry, memo.clone()))
            .collect()
    }

    /// The JSON Lines export of this ledger.
    pub fn export_text(&self) -> String {
        export_text(
            header_for(&self.state),
            &self.raw_entries(),
            &self.tree_head(),
        )
    }
}
