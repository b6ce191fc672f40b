//! A circle's state (accounts, limits, keys, balances) and the rules every entry must pass.
//!
//! The state is recomputed from the log alone by applying entries in order. The same
//! [`CircleState::apply_verified`] runs when the node appends and when `commons audit` recounts,
//! so the two can never disagree about what is allowed. No IO happens here.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use thiserror::Error;

use crate::amount::{Decimals, Money, DECIMALS_MAX, MINOR_UNITS_MAX};
pub use crate::authority::Authority;
use crate::entry::{
    memo_hash, Action, Body, Cause, CircleSpec, Entry, Request, SignedRequest, ACTIONS_MAX,
    DOCUMENT_AGREEMENTS, DOCUMENT_POLICY, MEMO_BYTES_MAX, NAME_BYTES_MAX,
};
use crate::keys::{Hash, Nonce, PublicKey};
use crate::slug::CircleSlug;

/// Why the ledger refuses a request. Each message says what happened, the numbers, and what to do.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Refusal {
    #[error("The signature does not match this request and key. Sign it again with the author's secret key.")]
    BadSignature,
    #[error(
        "The request's signed bytes are not the canonical encoding of its contents. Sign it again."
    )]
    Malformed,
    #[error("Not enough credit: your balance is {balance}, your floor is {floor}, so you can pay at most {available}.")]
    InsufficientCredit {
        balance: Money,
        floor: Money,
        available: Money,
    },
    #[error("This payment would take the payee above their ceiling: their balance is {balance} and their ceiling is {ceiling}, so they can receive at most {room} now.")]
    CeilingExceeded {
        balance: Money,
        ceiling: Money,
        room: Money,
    },
    #[error("{0} is not a member with an open account in this circle. Check the key, or ask a steward to open an account.")]
    NotAMember(String),
    #[error("You cannot pay yourself: the payer and the payee are the same account.")]
    PayerIsPayee,
    #[error("The amount must be more than zero and at most {max}; it was {amount}.")]
    AmountOutOfRange { amount: String, max: String },
    #[error("This request was already recorded as entry {seq}; it can never be applied twice.")]
    NonceReused { seq: u64 },
    #[error("Only {who} may {action}; this request is signed by {author}.")]
    NotAuthorised {
        who: &'static str,
        action: &'static str,
        author: String,
    },
    #[error("This request is for another circle (it names circle {found}, this is {expected}).")]
    WrongCircle { expected: String, found: String },
    #[error("Invalid limits: the floor must be zero or below and the ceiling zero or above (floor {floor}, ceiling {ceiling}).")]
    InvalidLimits { floor: Money, ceiling: Money },
    #[error("These limits would leave the balance outside them: the balance is {balance}, the new floor {floor} and ceiling {ceiling}. Settle the balance first or choose wider limits.")]
    LimitsExcludeBalance {
        balance: Money,
        floor: Money,
        ceiling: Money,
    },
    #[error("{0} already has an account in this circle (open, closed or rotated keys are never reused).")]
    AccountExists(String),
    #[error("{0} is a steward's key: no account can move onto it. Choose a key of your own.")]
    RotateOntoSteward(String),
    #[error("The account can only be closed at a zero balance; its balance is {0}.")]
    BalanceNotZero(Money),
    #[error("No open payment request has the hash {0}: it may have been accepted, declined or never made.")]
    UnknownRequest(String),
    #[error("This payment does not match the request it accepts (the request is for {expected}).")]
    RequestMismatch { expected: String },
    #[error("Entry {0} is not a transfer that can be reversed (it may be a reversal itself, or not a transfer).")]
    NotReversible(String),
    #[error("The transfer {0} has already been reversed.")]
    AlreadyReversed(String),
    #[error(
        "A reversal must send the same amount back from the original payee to the original payer."
    )]
    ReversalMismatch,
    #[error("{0} is already a steward.")]
    AlreadySteward(String),
    #[error("{0} is not a steward.")]
    NotASteward(String),
    #[error("The last steward cannot be removed; add another steward first.")]
    LastSteward,
    #[error("{0} already moderates this circle.")]
    AlreadyModerator(String),
    #[error("{0} is not one of the circle's appointed moderators.")]
    NotAModerator(String),
    #[error("The circle settings are invalid: {0}")]
    InvalidCircle(String),
    #[error("A circle's first entry must be its genesis, and only its first.")]
    GenesisOutOfPlace,
    #[error("The entry does not continue the chain (expected sequence {expected_seq} after {expected_prev}).")]
    ChainMismatch {
        expected_seq: u64,
        expected_prev: String,
    },
    #[error("The key {key} cannot be used: {why}")]
    BadKey { key: String, why: String },
    #[error("A reference is at most {NAME_BYTES_MAX} bytes long.")]
    ReferenceTooLong,
    #[error("A memo is at most {MEMO_BYTES_MAX} bytes long; this one is {0}. Shorten it.")]
    MemoTooLong(usize),
    #[error(
        "The proposal {proposal} was already enacted, as entry {seq}; a decision is applied once."
    )]
    AlreadyEnacted { proposal: String, seq: u64 },
    #[error("An enactment carries 1 to {ACTIONS_MAX} actions; this one has {0}.")]
    ActionCount(usize),
    #[error("There is no circle document number {0} (1 is the agreements, 2 the policy).")]
    UnknownDocument(u8),
    #[error("The memo text does not match the memo hash in the signed request, or the request has no memo. Sign the request again with this memo.")]
    MemoMismatch,
    #[error("This circle has no link with the circle {0}; its members can only pay circles it is linked with.")]
    NoLink(String),
    #[error("The link with the circle {partner} is {status}: no new payments pass it until a proposal opens it again.")]
    LinkNotOpen {
        partner: String,
        status: &'static str,
    },
    #[error("A circle cannot link with itself.")]
    LinkToItself,
    #[error("The link with the circle {partner} can only close at a zero balance of trade with nothing in flight; its balance is {balance} and {in_flight} payments are on their way.")]
    LinkNotSettled {
        partner: String,
        balance: Money,
        in_flight: usize,
    },
    #[error("{0}")]
    Link(#[from] crate::link::LinkError),
    #[error("At the link's rate {amount} here is {expected} there, but the request says {found}. Ask again with the amount at today's rate.")]
    RateMismatch {
        amount: Money,
        expected: i64,
        found: i64,
    },
    #[error("This payment (transfer {transfer}) is already recorded, as entry {seq}; it can never be applied twice.")]
    TransferKnown { transfer: String, seq: u64 },
    #[error("There is no payment on its way out with the hold {0}.")]
    UnknownHold(String),
    #[error("The payment held as {0} has already settled.")]
    HoldSettled(String),
    #[error("This circle may owe at most {limit} across its link with the circle {partner}, and only {room} of that is left now. Pay less, or wait until trade flows back the other way.")]
    TradeLimitOut {
        partner: String,
        limit: Money,
        room: Money,
    },
    #[error("The circle {partner} may owe this one at most {limit}, and only {room} of that is left now. Ask for less, or wait until trade flows back the other way.")]
    TradeLimitIn {
        partner: String,
        limit: Money,
        room: Money,
    },
    #[error("Payments of {0} are still on their way out of this account; wait until they arrive or are released.")]
    HoldsPending(Money),
}

mod links;
pub use links::{HoldRecord, HoldState, LinkRecord};

/// Checks a submission before it reaches the chain: the signed bytes must be exactly the
/// encoding of the request (so the rules judge what was signed), and a memo must be short enough
/// and the one the author committed to (so stored memos always verify).
pub fn check_submission(
    signed: &SignedRequest,
    memo: Option<&crate::export::Memo>,
) -> Result<(), Refusal> {
    if signed.record.encode() != signed.bytes {
        return Err(Refusal::Malformed);
    }
    let body = &signed.record.body;
    let Some(memo) = memo else { return Ok(()) };
    if memo.text.len() > MEMO_BYTES_MAX {
        return Err(Refusal::MemoTooLong(memo.text.len()));
    }
    if body.memo_hash() != Some(memo_hash(&memo.salt, &memo.text)) {
        return Err(Refusal::MemoMismatch);
    }
    Ok(())
}

/// Refuses keys that are not canonical points of large order as they enter a circle.
fn check_key(key: &PublicKey) -> Result<(), Refusal> {
    key.check_strong().map_err(|error| Refusal::BadKey {
        key: key.short(),
        why: error.to_string(),
    })
}

/// Whether an account can still trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Open,
    Closed,
    /// The account moved to another key; this key can no longer act.
    Rotated,
    /// The circle decided to remove the member: the account can no longer pay or be paid, and
    /// its balance stays part of the circle's sum.
    Removed,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Open => "open",
            AccountStatus::Closed => "closed",
            AccountStatus::Rotated => "rotated",
            AccountStatus::Removed => "removed",
        }
    }
}

/// One member's account in a circle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub floor_minor: i64,
    pub ceiling_minor: i64,
    pub balance_minor: i64,
    pub status: AccountStatus,
}

/// A payment request waiting for the payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRequest {
    pub seq: u64,
    pub payer: PublicKey,
    pub payee: PublicKey,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TransferRecord {
    payer: PublicKey,
    payee: PublicKey,
    amount_minor: i64,
    /// False once the transfer has been reversed.
    reversible: bool,
    /// Reversals themselves are never reversed (pay again instead).
    is_reversal: bool,
}

/// Everything the log implies about a circle at one point in its chain.
#[derive(Debug, Clone)]
pub struct CircleState {
    pub circle_id: Hash,
    pub spec: CircleSpec,
    pub node_key: PublicKey,
    pub stewards: BTreeSet<PublicKey>,
    /// The account keys a passed proposal appointed to moderate (the stewards moderate too).
    pub moderators: BTreeSet<PublicKey>,
    pub accounts: HashMap<PublicKey, Account>,
    pub open_requests: HashMap<Hash, OpenRequest>,
    /// The limits new accounts get: the genesis defaults until a passed proposal changes them.
    pub default_floor_minor: i64,
    pub default_ceiling_minor: i64,
    /// The hash of each circle document (agreements, policy) a passed proposal set.
    pub documents: BTreeMap<u8, Hash>,
    /// Each enacted proposal (the hash of its definition) and its enactment's sequence number.
    pub enacted: HashMap<Hash, u64>,
    nonces: HashMap<(PublicKey, Nonce), u64>,
    transfers: HashMap<Hash, TransferRecord>,
    /// Each rotated key and the key its account moved to.
    rotated_to: HashMap<PublicKey, PublicKey>,
    /// Each linked circle (by its id) and the link's terms and status.
    pub links: BTreeMap<Hash, LinkRecord>,
    /// Each connector account key and the circle it links to.
    connector_of: HashMap<PublicKey, Hash>,
    /// Payments held on their way out, by the hash of their hold entry.
    holds: HashMap<Hash, HoldRecord>,
    /// Credit held on its way out of each account, and into each connector.
    held_out: HashMap<PublicKey, i64>,
    held_in: HashMap<PublicKey, i64>,
    /// The entry of each cross-circle payment's hold or arrival, by its transfer id.
    transfer_entries: HashMap<crate::crossing::TransferId, (u64, Hash)>,
    /// The sequence number the next entry must have.
    pub next_seq: u64,
    /// The hash of the last entry, which the next entry must name as its `prev_hash`.
    pub head: Hash,
}

impl CircleState {
    /// Starts a circle's state from its genesis entry (whose signature the caller verified).
    pub fn from_genesis(entry: &Entry, entry_hash: Hash) -> Result<CircleState, Refusal> {
        let request = &entry.signed.record;
        let Body::Genesis {
            spec,
            stewards,
            node_key,
        } = &request.body
        else {
            return Err(Refusal::GenesisOutOfPlace);
        };
        if entry.seq != 0 || entry.prev_hash != Hash::ZERO || request.circle_id != Hash::ZERO {
            return Err(Refusal::GenesisOutOfPlace);
        }
        spec.slug
            .parse::<CircleSlug>()
            .map_err(|error| Refusal::InvalidCircle(error.to_string()))?;
        for (label, text) in [
            ("name", &spec.name),
            ("unit name", &spec.unit_name),
            ("unit symbol", &spec.unit_symbol),
        ] {
            if text.trim().is_empty() || text.len() > NAME_BYTES_MAX {
                return Err(Refusal::InvalidCircle(format!(
                    "the {label} must be 1 to {NAME_BYTES_MAX} bytes"
                )));
            }
        }
        if spec.decimals > DECIMALS_MAX {
            return Err(Refusal::InvalidCircle(format!(
                "a unit has at most {DECIMALS_MAX} decimal places"
            )));
        }
        for key in stewards.iter().chain([node_key]) {
            check_key(key)?;
        }
        let steward_set: BTreeSet<PublicKey> = stewards.iter().copied().collect();
        if steward_set.is_empty() || steward_set.len() != stewards.len() {
            return Err(Refusal::InvalidCircle(
                "list at least one steward, each once".into(),
            ));
        }
        if !steward_set.contains(&request.author) {
            return Err(Refusal::NotAuthorised {
                who: "a steward",
                action: "create the circle",
                author: request.author.short(),
            });
        }
        let mut state = CircleState {
            circle_id: entry_hash,
            spec: spec.clone(),
            node_key: *node_key,
            stewards: steward_set,
            moderators: BTreeSet::new(),
            accounts: HashMap::new(),
            open_requests: HashMap::new(),
            default_floor_minor: spec.default_floor_minor,
            default_ceiling_minor: spec.default_ceiling_minor,
            documents: BTreeMap::new(),
            enacted: HashMap::new(),
            nonces: HashMap::new(),
            transfers: HashMap::new(),
            rotated_to: HashMap::new(),
            links: BTreeMap::new(),
            connector_of: HashMap::new(),
            holds: HashMap::new(),
            held_out: HashMap::new(),
            held_in: HashMap::new(),
            transfer_entries: HashMap::new(),
            next_seq: 1,
            head: entry_hash,
        };
        state.check_limits(spec.default_floor_minor, spec.default_ceiling_minor)?;
        state.nonces.insert((request.author, request.nonce), 0);
        Ok(state)
    }

    pub fn decimals(&self) -> Decimals {
        Decimals::new(u32::from(self.spec.decimals)).expect("checked at genesis")
    }

    /// An amount of this circle's unit, for messages.
    pub fn money(&self, minor: i64) -> Money {
        Money {
            minor,
            decimals: self.decimals(),
            unit: self.spec.unit_name.clone(),
        }
    }

    /// The key an account has now: follows key rotations from `key` (each new key is unused when
    /// it is rotated to, so the chain has no cycles).
    pub fn current_key(&self, key: &PublicKey) -> PublicKey {
        let mut key = *key;
        while let Some(next) = self.rotated_to.get(&key) {
            key = *next;
        }
        key
    }

    pub fn is_steward(&self, key: &PublicKey) -> bool {
        self.stewards.contains(key)
    }

    /// Whether a moderation action signed by this key counts now: a steward's, or an appointed
    /// moderator's.
    pub fn may_moderate(&self, key: &PublicKey) -> bool {
        self.stewards.contains(key) || self.moderators.contains(key)
    }

    /// The sum of all balances: zero after every entry, by construction.
    pub fn balance_sum(&self) -> i64 {
        self.accounts
            .values()
            .map(|account| account.balance_minor)
            .sum()
    }

    /// Panics unless balances sum to zero and every `touched` account is within its limits.
    /// The rules make both impossible to break; this runs after every batch of appends so that a
    /// bug stops the writer before anything is committed, rather than corrupting the ledger.
    pub fn assert_invariants<'a>(&self, touched: impl IntoIterator<Item = &'a PublicKey>) {
        assert_eq!(
            self.balance_sum(),
            0,
            "balances of circle {} no longer sum to zero",
            self.spec.slug
        );
        for key in touched {
            if let Some(account) = self.accounts.get(key) {
                assert!(
                    account.floor_minor <= account.balance_minor
                        && account.balance_minor <= account.ceiling_minor,
                    "account {} is outside its limits: {account:?}",
                    key.short()
                );
            }
        }
    }

    /// The entry sequence number of an earlier request with this author and nonce.
    pub fn nonce_seq(&self, author: &PublicKey, nonce: &Nonce) -> Option<u64> {
        self.nonces.get(&(*author, *nonce)).copied()
    }

    /// A member's open account (never a link's connector account, which nobody signs for).
    fn open_account(&self, key: &PublicKey) -> Result<&Account, Refusal> {
        match self.accounts.get(key) {
            Some(account) if account.status == AccountStatus::Open && !self.is_connector(key) => {
                Ok(account)
            }
            _ => Err(Refusal::NotAMember(key.short())),
        }
    }

    fn check_limits(&self, floor_minor: i64, ceiling_minor: i64) -> Result<(), Refusal> {
        if floor_minor > 0
            || ceiling_minor < 0
            || floor_minor < -MINOR_UNITS_MAX
            || ceiling_minor > MINOR_UNITS_MAX
        {
            return Err(Refusal::InvalidLimits {
                floor: self.money(floor_minor),
                ceiling: self.money(ceiling_minor),
            });
        }
        Ok(())
    }

    fn check_amount(&self, amount_minor: i64) -> Result<(), Refusal> {
        if amount_minor <= 0 || amount_minor > MINOR_UNITS_MAX {
            return Err(Refusal::AmountOutOfRange {
                amount: self.decimals().format(amount_minor),
                max: self.decimals().format(MINOR_UNITS_MAX),
            });
        }
        Ok(())
    }

    fn require(
        &self,
        allowed: bool,
        who: &'static str,
        action: &'static str,
        author: &PublicKey,
    ) -> Result<(), Refusal> {
        if allowed {
            Ok(())
        } else {
            Err(Refusal::NotAuthorised {
                who,
                action,
                author: author.short(),
            })
        }
    }

    /// Checks that moving `amount_minor` from payer to payee keeps both within their limits.
    fn check_transfer(
        &self,
        payer: &PublicKey,
        payee: &PublicKey,
        amount_minor: i64,
    ) -> Result<(), Refusal> {
        if payer == payee {
            return Err(Refusal::PayerIsPayee);
        }
        self.check_amount(amount_minor)?;
        let from = self.open_account(payer)?;
        let to = self.open_account(payee)?;
        let available = from.balance_minor - self.held_out_minor(payer) - from.floor_minor;
        if amount_minor > available {
            return Err(Refusal::InsufficientCredit {
                balance: self.money(from.balance_minor),
                floor: self.money(from.floor_minor),
                available: self.money(available.max(0)),
            });
        }
        let room = to.ceiling_minor - to.balance_minor;
        if amount_minor > room {
            return Err(Refusal::CeilingExceeded {
                balance: self.money(to.balance_minor),
                ceiling: self.money(to.ceiling_minor),
                room: self.money(room.max(0)),
            });
        }
        Ok(())
    }

    /// Checks `entry` against every rule and, only if all pass, applies it.
    ///
    /// The caller must already have verified the author's signature (one by one or in a batch):
    /// signatures are expensive, so they are checked in bulk outside this function. On refusal,
    /// the state is unchanged.
    pub fn apply_verified(&mut self, entry: &Entry, entry_hash: Hash) -> Result<(), Refusal> {
        if entry.seq != self.next_seq || entry.prev_hash != self.head {
            return Err(Refusal::ChainMismatch {
                expected_seq: self.next_seq,
                expected_prev: self.head.to_hex(),
            });
        }
        self.apply_request(&entry.signed.record, entry.seq, entry_hash)
    }

    /// Places a signed request (whose signature the caller verified) at the end of the chain:
    /// on success returns the new entry and its hash, on refusal changes nothing.
    pub fn place(
        &mut self,
        signed: SignedRequest,
        recorded_at_ms: i64,
    ) -> Result<(Entry, Hash), Refusal> {
        let entry = Entry {
            seq: self.next_seq,
            prev_hash: self.head,
            recorded_at_ms,
            signed,
        };
        let hash = entry.hash();
        self.apply_verified(&entry, hash)?;
        Ok((entry, hash))
    }

    /// Applies a request as entry `seq` with hash `entry_hash`, checking every rule but not the
    /// chain links (the auditor reports broken links itself and carries on).
    pub fn apply_request(
        &mut self,
        request: &Request,
        seq: u64,
        entry_hash: Hash,
    ) -> Result<(), Refusal> {
        let author = &request.author;
        if request.circle_id != self.circle_id {
            return Err(Refusal::WrongCircle {
                expected: self.circle_id.to_hex(),
                found: request.circle_id.to_hex(),
            });
        }
        if let Some(seq) = self.nonce_seq(author, &request.nonce) {
            return Err(Refusal::NonceReused { seq });
        }
        let steward = self.is_steward(author);
        match &request.body {
            Body::Genesis { .. } => return Err(Refusal::GenesisOutOfPlace),
            Body::OpenAccount {
                account,
                floor_minor,
                ceiling_minor,
            } => {
                self.require(steward, "a steward", "open an account", author)?;
                self.open_new_account(account, *floor_minor, *ceiling_minor)?;
            }
            Body::SetLimits {
                account,
                floor_minor,
                ceiling_minor,
            } => {
                self.require(steward, "a steward", "change limits", author)?;
                self.set_limits(account, *floor_minor, *ceiling_minor)?;
            }
            Body::RotateKey { old, new } => {
                self.require(
                    author == old || steward,
                    "the account's own key or a steward",
                    "rotate a key",
                    author,
                )?;
                let moved = self.open_account(old)?.clone();
                if self.accounts.contains_key(new) {
                    return Err(Refusal::AccountExists(new.short()));
                }
                // Stewardship is held by key: an account moved onto a steward's key would let
                // whoever moved it act as that steward, or the steward act as its owner.
                if self.stewards.contains(new) {
                    return Err(Refusal::RotateOntoSteward(new.short()));
                }
                check_key(new)?;
                self.rotated_to.insert(*old, *new);
                self.move_holds(old, new);
                self.accounts.get_mut(old).expect("checked open").status = AccountStatus::Rotated;
                self.accounts
                    .get_mut(old)
                    .expect("checked open")
                    .balance_minor = 0;
                self.accounts.insert(*new, moved);
                // An appointment to moderate follows the account; stewardship stays with its key.
                if self.moderators.remove(old) {
                    self.moderators.insert(*new);
                }
                // Payment requests follow the account to its new key.
                for open in self.open_requests.values_mut() {
                    if open.payer == *old {
                        open.payer = *new;
                    }
                    if open.payee == *old {
                        open.payee = *new;
                    }
                }
            }
            Body::Transfer {
                payer,
                payee,
                amount_minor,
                memo_hash: _,
                cause,
            } => {
                let mut reversed: Option<Hash> = None;
                let mut accepted: Option<Hash> = None;
                match cause {
                    Cause::Direct => {
                        self.require(author == payer, "the payer", "sign a payment", author)?
                    }
                    Cause::Reference(text) => {
                        self.require(author == payer, "the payer", "sign a payment", author)?;
                        if text.len() > NAME_BYTES_MAX {
                            return Err(Refusal::ReferenceTooLong);
                        }
                    }
                    Cause::AcceptsRequest(request_hash) => {
                        self.require(
                            author == payer,
                            "the payer",
                            "accept a payment request",
                            author,
                        )?;
                        let open = self
                            .open_requests
                            .get(request_hash)
                            .ok_or_else(|| Refusal::UnknownRequest(request_hash.to_hex()))?;
                        if open.payer != *payer
                            || open.payee != *payee
                            || open.amount_minor != *amount_minor
                        {
                            return Err(Refusal::RequestMismatch {
                                expected: format!(
                                    "{} from {} to {}",
                                    self.money(open.amount_minor),
                                    open.payer.short(),
                                    open.payee.short()
                                ),
                            });
                        }
                        accepted = Some(*request_hash);
                    }
                    Cause::Reverses(original_hash) => {
                        self.require(
                            author == payer || steward,
                            "the original payee or a steward",
                            "reverse a payment",
                            author,
                        )?;
                        let original = self
                            .transfers
                            .get(original_hash)
                            .ok_or_else(|| Refusal::NotReversible(original_hash.to_hex()))?;
                        if original.is_reversal {
                            return Err(Refusal::NotReversible(original_hash.to_hex()));
                        }
                        if !original.reversible {
                            return Err(Refusal::AlreadyReversed(original_hash.to_hex()));
                        }
                        // The parties may have rotated keys since: match their accounts now.
                        if self.current_key(&original.payee) != *payer
                            || self.current_key(&original.payer) != *payee
                            || original.amount_minor != *amount_minor
                        {
                            return Err(Refusal::ReversalMismatch);
                        }
                        reversed = Some(*original_hash);
                    }
                }
                self.check_transfer(payer, payee, *amount_minor)?;
                self.accounts
                    .get_mut(payer)
                    .expect("checked open")
                    .balance_minor -= amount_minor;
                self.accounts
                    .get_mut(payee)
                    .expect("checked open")
                    .balance_minor += amount_minor;
                if let Some(hash) = accepted {
                    self.open_requests.remove(&hash);
                }
                if let Some(hash) = reversed {
                    self.transfers.get_mut(&hash).expect("checked").reversible = false;
                }
                self.transfers.insert(
                    entry_hash,
                    TransferRecord {
                        payer: *payer,
                        payee: *payee,
                        amount_minor: *amount_minor,
                        reversible: reversed.is_none(),
                        is_reversal: reversed.is_some(),
                    },
                );
            }
            Body::RequestPayment {
                payer,
                payee,
                amount_minor,
                memo_hash: _,
            } => {
                self.require(author == payee, "the payee", "request a payment", author)?;
                if payer == payee {
                    return Err(Refusal::PayerIsPayee);
                }
                self.check_amount(*amount_minor)?;
                self.open_account(payer)?;
                self.open_account(payee)?;
                self.open_requests.insert(
                    entry_hash,
                    OpenRequest {
                        seq,
                        payer: *payer,
                        payee: *payee,
                        amount_minor: *amount_minor,
                    },
                );
            }
            Body::CloseRequest {
                request: request_hash,
            } => {
                let open = self
                    .open_requests
                    .get(request_hash)
                    .ok_or_else(|| Refusal::UnknownRequest(request_hash.to_hex()))?;
                self.require(
                    *author == open.payer || *author == open.payee || steward,
                    "the payer, the payee or a steward",
                    "close a payment request",
                    author,
                )?;
                self.open_requests.remove(request_hash);
            }
            Body::CloseAccount { account } => {
                self.require(
                    author == account || steward,
                    "the account's own key or a steward",
                    "close an account",
                    author,
                )?;
                let balance = self.open_account(account)?.balance_minor;
                if balance != 0 {
                    return Err(Refusal::BalanceNotZero(self.money(balance)));
                }
                let held = self.held_out_minor(account);
                if held != 0 {
                    return Err(Refusal::HoldsPending(self.money(held)));
                }
                self.accounts.get_mut(account).expect("checked open").status =
                    AccountStatus::Closed;
                self.moderators.remove(account);
                self.open_requests
                    .retain(|_, open| open.payer != *account && open.payee != *account);
            }
            Body::AddSteward { key } => {
                self.require(steward, "a steward", "add a steward", author)?;
                self.add_steward(key)?;
            }
            Body::RemoveSteward { key } => {
                self.require(steward, "a steward", "remove a steward", author)?;
                self.remove_steward(key)?;
            }
            Body::Enact {
                proposal,
                board_root: _,
                actions,
            } => {
                self.require(
                    *author == self.node_key,
                    "the circle's node key",
                    "enact a decision",
                    author,
                )?;
                if let Some(seq) = self.enacted.get(proposal) {
                    return Err(Refusal::AlreadyEnacted {
                        proposal: proposal.short(),
                        seq: *seq,
                    });
                }
                if actions.is_empty() || actions.len() > ACTIONS_MAX {
                    return Err(Refusal::ActionCount(actions.len()));
                }
                // All or nothing: the actions apply to a copy, which replaces the state only when
                // every one of them passed.
                let mut next = self.clone();
                for action in actions {
                    next.apply_action(action, seq)?;
                }
                next.enacted.insert(*proposal, seq);
                *self = next;
            }
            Body::Hold(hold) => self.apply_hold(author, hold, seq, entry_hash)?,
            Body::Settle { hold, settlement } => self.apply_settle(author, hold, settlement)?,
            Body::Arrive(arrival) => self.apply_arrival(author, arrival, seq, entry_hash)?,
        }
        self.nonces.insert((*author, request.nonce), seq);
        self.next_seq = seq + 1;
        self.head = entry_hash;
        debug_assert_eq!(self.balance_sum(), 0, "balances must always sum to zero");
        Ok(())
    }

    fn open_new_account(
        &mut self,
        account: &PublicKey,
        floor_minor: i64,
        ceiling_minor: i64,
    ) -> Result<(), Refusal> {
        if self.accounts.contains_key(account) {
            return Err(Refusal::AccountExists(account.short()));
        }
        check_key(account)?;
        self.check_limits(floor_minor, ceiling_minor)?;
        self.accounts.insert(
            *account,
            Account {
                floor_minor,
                ceiling_minor,
                balance_minor: 0,
                status: AccountStatus::Open,
            },
        );
        Ok(())
    }

    fn set_limits(
        &mut self,
        account: &PublicKey,
        floor_minor: i64,
        ceiling_minor: i64,
    ) -> Result<(), Refusal> {
        self.check_limits(floor_minor, ceiling_minor)?;
        let balance = self.open_account(account)?.balance_minor;
        let held = self.held_out_minor(account);
        if balance - held < floor_minor || balance > ceiling_minor {
            return Err(Refusal::LimitsExcludeBalance {
                balance: self.money(balance),
                floor: self.money(floor_minor),
                ceiling: self.money(ceiling_minor),
            });
        }
        let entry = self.accounts.get_mut(account).expect("checked open");
        entry.floor_minor = floor_minor;
        entry.ceiling_minor = ceiling_minor;
        Ok(())
    }

    fn add_steward(&mut self, key: &PublicKey) -> Result<(), Refusal> {
        check_key(key)?;
        if !self.stewards.insert(*key) {
            return Err(Refusal::AlreadySteward(key.short()));
        }
        Ok(())
    }

    fn remove_steward(&mut self, key: &PublicKey) -> Result<(), Refusal> {
        if !self.stewards.contains(key) {
            return Err(Refusal::NotASteward(key.short()));
        }
        if self.stewards.len() == 1 {
            return Err(Refusal::LastSteward);
        }
        self.stewards.remove(key);
        Ok(())
    }

    /// One action of an enactment, checked by the same rules a steward's entry would be.
    fn apply_action(&mut self, action: &Action, seq: u64) -> Result<(), Refusal> {
        match action {
            Action::SetDefaultLimits {
                floor_minor,
                ceiling_minor,
            } => {
                self.check_limits(*floor_minor, *ceiling_minor)?;
                let old = (self.default_floor_minor, self.default_ceiling_minor);
                for (key, account) in self.accounts.iter_mut() {
                    if account.status == AccountStatus::Open
                        && (account.floor_minor, account.ceiling_minor) == old
                        && !self.connector_of.contains_key(key)
                    {
                        let held = self.held_out.get(key).copied().unwrap_or(0);
                        account.floor_minor = (*floor_minor).min(account.balance_minor - held);
                        account.ceiling_minor = (*ceiling_minor).max(account.balance_minor);
                    }
                }
                self.default_floor_minor = *floor_minor;
                self.default_ceiling_minor = *ceiling_minor;
            }
            Action::SetLimits {
                account,
                floor_minor,
                ceiling_minor,
            } => self.set_limits(account, *floor_minor, *ceiling_minor)?,
            Action::Admit { account } => {
                let (floor, ceiling) = (self.default_floor_minor, self.default_ceiling_minor);
                self.open_new_account(account, floor, ceiling)?;
            }
            Action::Remove { account } => {
                self.open_account(account)?;
                // A removed member is no steward either (never the last one).
                if self.stewards.contains(account) {
                    self.remove_steward(account)?;
                }
                self.accounts.get_mut(account).expect("checked open").status =
                    AccountStatus::Removed;
                self.moderators.remove(account);
                self.open_requests
                    .retain(|_, open| open.payer != *account && open.payee != *account);
            }
            Action::AddSteward { key } => self.add_steward(key)?,
            Action::RemoveSteward { key } => self.remove_steward(key)?,
            Action::SetDocument { document, hash } => {
                if ![DOCUMENT_AGREEMENTS, DOCUMENT_POLICY].contains(document) {
                    return Err(Refusal::UnknownDocument(*document));
                }
                self.documents.insert(*document, *hash);
            }
            Action::Link(terms) => self.apply_link_terms(terms, seq)?,
            Action::SetLinkStatus { partner, status } => {
                self.apply_link_status(partner, *status)?
            }
            Action::AppointModerator { account } => {
                self.open_account(account)?;
                if !self.moderators.insert(*account) {
                    return Err(Refusal::AlreadyModerator(account.short()));
                }
            }
            Action::EndModerator { account } => {
                // The proposal names the key the account had when voting opened: a moderator
                // who moves to a new key meanwhile is still the one it ends.
                let account = self.current_key(account);
                if !self.moderators.remove(&account) {
                    return Err(Refusal::NotAModerator(account.short()));
                }
            }
        }
        Ok(())
    }

    /// The accounts an entry changed (call after applying it), for stores that keep a table of
    /// balances and limits.
    pub fn touched_accounts(&self, body: &Body) -> Vec<PublicKey> {
        match body {
            Body::Enact { actions, .. } => {
                let mut keys = Vec::new();
                for action in actions {
                    match action {
                        Action::SetDefaultLimits { .. } => {
                            keys.extend(self.accounts.keys().copied());
                        }
                        Action::SetLimits { account, .. }
                        | Action::Admit { account }
                        | Action::Remove { account } => keys.push(*account),
                        Action::Link(terms) => {
                            keys.push(crate::crossing::connector_key(&terms.partner))
                        }
                        Action::SetLinkStatus { .. } => {}
                        Action::AddSteward { .. }
                        | Action::RemoveSteward { .. }
                        | Action::SetDocument { .. }
                        | Action::AppointModerator { .. }
                        | Action::EndModerator { .. } => {}
                    }
                }
                keys.sort_unstable();
                keys.dedup();
                keys
            }
            Body::Genesis { .. }
            | Body::AddSteward { .. }
            | Body::RemoveSteward { .. }
            | Body::CloseRequest { .. } => Vec::new(),
            Body::RequestPayment { .. } | Body::Hold(_) => Vec::new(),
            Body::Settle { .. } | Body::Arrive(_) => self.touched_by_link_entry(body),
            Body::OpenAccount { account, .. }
            | Body::SetLimits { account, .. }
            | Body::CloseAccount { account } => vec![*account],
            Body::RotateKey { old, new } => vec![*old, *new],
            Body::Transfer { payer, payee, .. } => vec![*payer, *payee],
        }
    }
}
