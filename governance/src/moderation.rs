//! The circle's moderation log: every moderation action, signed by the moderator's own key,
//! chained to the one before by hash, and gathered in an RFC 9162 Merkle tree whose heads the
//! circle's node key signs. [`verify_log`] checks an export offline, so a member who kept an
//! old head can prove that no action was later removed, reordered or rewritten.
//!
//! The log is pseudonymous: it names members by their circle keys, never a reporter, and holds
//! no personal text beyond the reason a moderator wrote for the circle to read.

use serde::{Deserialize, Serialize};

use commons_ledger::codec::{DecodeError, Reader, Writer};
use commons_ledger::keys::{decode_hex_vec, Hash, PublicKey, SecretKey, Signature};
use commons_ledger::merkle::Frontier;
use commons_ledger::signed::{Signable, Signed};

pub const ACTION_TAG: &str = "commons.moderation.action";
pub const HEAD_TAG: &str = "commons.moderation.head";
pub const FORMAT_VERSION: u16 = 1;

/// Longest reason a moderator may write, in characters.
pub const REASON_CHARS_MAX: usize = 2_000;
/// Most agreements one action may cite.
pub const AGREEMENTS_CITED_MAX: usize = 16;
/// Most actions [`verify_log`] reads from one export (its memory stays bounded regardless:
/// it keeps the Merkle frontier, not the actions).
pub const LOG_ACTIONS_MAX: u64 = 10_000_000;

/// What a moderator did. The numbers are the encoding, fixed forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActionKind {
    /// A word to the member: nothing else changes.
    Warn,
    /// The item is hidden from everyone but its author and the moderators.
    Hide,
    /// The member's new posts wait for a moderator before others see them, until the end date.
    Limit,
    /// The member signs nothing new in the circle until the end date; their balance stays.
    Suspend,
    /// A limit or suspension ends early (`refers_to` names it).
    Lift,
    /// A hidden or held item is shown again (`refers_to` names the hide, if any).
    Restore,
    /// The reports were looked at and nothing was done.
    Dismiss,
    /// An appeal was heard and the action it named stands.
    Uphold,
    /// The people involved agreed, in a repair conversation, on what happens next.
    RepairAgreed,
}

impl ActionKind {
    pub const ALL: [ActionKind; 9] = [
        ActionKind::Warn,
        ActionKind::Hide,
        ActionKind::Limit,
        ActionKind::Suspend,
        ActionKind::Lift,
        ActionKind::Restore,
        ActionKind::Dismiss,
        ActionKind::Uphold,
        ActionKind::RepairAgreed,
    ];

    fn tag(self) -> u8 {
        match self {
            ActionKind::Warn => 1,
            ActionKind::Hide => 2,
            ActionKind::Limit => 3,
            ActionKind::Suspend => 4,
            ActionKind::Lift => 5,
            ActionKind::Restore => 6,
            ActionKind::Dismiss => 7,
            ActionKind::Uphold => 8,
            ActionKind::RepairAgreed => 9,
        }
    }

    fn from_tag(tag: u8) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|kind| kind.tag() == tag)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Warn => "warn",
            ActionKind::Hide => "hide",
            ActionKind::Limit => "limit",
            ActionKind::Suspend => "suspend",
            ActionKind::Lift => "lift",
            ActionKind::Restore => "restore",
            ActionKind::Dismiss => "dismiss",
            ActionKind::Uphold => "uphold",
            ActionKind::RepairAgreed => "repair",
        }
    }

    pub fn parse(text: &str) -> Option<ActionKind> {
        ActionKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    /// Whether the action has an end date (the others take effect once, or until lifted).
    pub fn has_end(self) -> bool {
        matches!(self, ActionKind::Limit | ActionKind::Suspend)
    }

    /// Whether the action weighs on the member (and so may be appealed).
    pub fn is_sanction(self) -> bool {
        matches!(
            self,
            ActionKind::Warn | ActionKind::Hide | ActionKind::Limit | ActionKind::Suspend
        )
    }
}

/// What can be reported and acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetKind {
    Listing,
    Message,
    Proposal,
    Comment,
    /// The words on a member's profile.
    Profile,
    /// A member's conduct as a whole.
    Member,
    /// A news post.
    News,
    /// A comment on a news post.
    NewsComment,
    /// A discussion thread's opening post.
    Thread,
    /// A reply in a discussion thread.
    Reply,
    /// A message in a private conversation (reported with the messages the reporter chose to
    /// show; moderators read nothing else of it).
    ConversationMessage,
}

impl TargetKind {
    pub const ALL: [TargetKind; 11] = [
        TargetKind::Listing,
        TargetKind::Message,
        TargetKind::Proposal,
        TargetKind::Comment,
        TargetKind::Profile,
        TargetKind::Member,
        TargetKind::News,
        TargetKind::NewsComment,
        TargetKind::Thread,
        TargetKind::Reply,
        TargetKind::ConversationMessage,
    ];

    fn tag(self) -> u8 {
        match self {
            TargetKind::Listing => 1,
            TargetKind::Message => 2,
            TargetKind::Proposal => 3,
            TargetKind::Comment => 4,
            TargetKind::Profile => 5,
            TargetKind::Member => 6,
            TargetKind::News => 7,
            TargetKind::NewsComment => 8,
            TargetKind::Thread => 9,
            TargetKind::Reply => 10,
            TargetKind::ConversationMessage => 11,
        }
    }

    fn from_tag(tag: u8) -> Option<TargetKind> {
        TargetKind::ALL.into_iter().find(|kind| kind.tag() == tag)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Listing => "listing",
            TargetKind::Message => "message",
            TargetKind::Proposal => "proposal",
            TargetKind::Comment => "comment",
            TargetKind::Profile => "profile",
            TargetKind::Member => "member",
            TargetKind::News => "news",
            TargetKind::NewsComment => "news_comment",
            TargetKind::Thread => "thread",
            TargetKind::Reply => "reply",
            TargetKind::ConversationMessage => "conversation_message",
        }
    }

    /// Whether people read this kind of item rendered from Markdown (a moderator then sees it
    /// rendered the same way); messages, profiles and names are read as plain text, and so
    /// moderators see them, every character shown.
    pub fn written_in_markdown(self) -> bool {
        matches!(
            self,
            TargetKind::Listing
                | TargetKind::Proposal
                | TargetKind::Comment
                | TargetKind::News
                | TargetKind::NewsComment
                | TargetKind::Thread
                | TargetKind::Reply
        )
    }

    pub fn parse(text: &str) -> Option<TargetKind> {
        TargetKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    /// Whether an item of this kind can be hidden on its own (a proposal is the circle's to
    /// decide on, and a member is not an item).
    pub fn can_hide(self) -> bool {
        matches!(
            self,
            TargetKind::Listing
                | TargetKind::Message
                | TargetKind::Comment
                | TargetKind::Profile
                | TargetKind::News
                | TargetKind::NewsComment
                | TargetKind::Thread
                | TargetKind::Reply
                | TargetKind::ConversationMessage
        )
    }
}

/// One moderation action, as its moderator signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub circle_id: Hash,
    /// Its place in the circle's log, from 0.
    pub seq: u64,
    /// The receipt (leaf hash) of the action before it; all zeros for the first.
    pub previous: Hash,
    pub recorded_at_ms: i64,
    /// The moderator's circle key, which signs the action.
    pub moderator: PublicKey,
    pub kind: ActionKind,
    pub target: TargetKind,
    /// The item's number in its kind (0 for a member or a profile).
    pub target_id: u64,
    /// The member the action is about, by their circle key.
    pub subject: Option<PublicKey>,
    /// The numbers of the circle's agreements the action cites.
    pub agreements: Vec<u16>,
    pub reason: String,
    pub ends_at_ms: Option<i64>,
    /// The earlier action this one lifts, restores or upholds.
    pub refers_to: Option<u64>,
}

impl Action {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_tag(ACTION_TAG);
        w.u16(FORMAT_VERSION)
            .fixed(&self.circle_id.0)
            .u64(self.seq)
            .fixed(&self.previous.0)
            .i64(self.recorded_at_ms)
            .fixed(self.moderator.as_bytes())
            .u8(self.kind.tag())
            .u8(self.target.tag())
            .u64(self.target_id);
        match &self.subject {
            None => w.u8(0),
            Some(key) => w.u8(1).fixed(key.as_bytes()),
        };
        w.u32(self.agreements.len() as u32);
        for number in &self.agreements {
            w.u16(*number);
        }
        w.str(&self.reason);
        match self.ends_at_ms {
            None => w.u8(0),
            Some(ms) => w.u8(1).i64(ms),
        };
        match self.refers_to {
            None => w.u8(0),
            Some(seq) => w.u8(1).u64(seq),
        };
        w.finish()
    }

    pub fn decode(bytes: &[u8]) -> Result<Action, DecodeError> {
        let mut r = Reader::with_tag(bytes, ACTION_TAG)?;
        let version = r.u16()?;
        if version != FORMAT_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let circle_id = Hash(r.array()?);
        let seq = r.u64()?;
        let previous = Hash(r.array()?);
        let recorded_at_ms = r.i64()?;
        let moderator = PublicKey::from_raw(r.array()?);
        let kind = r.u8()?;
        let kind = ActionKind::from_tag(kind).ok_or(DecodeError::UnknownTag {
            what: "action kind",
            tag: kind,
        })?;
        let target = r.u8()?;
        let target = TargetKind::from_tag(target).ok_or(DecodeError::UnknownTag {
            what: "target kind",
            tag: target,
        })?;
        let target_id = r.u64()?;
        let subject = match r.u8()? {
            0 => None,
            1 => Some(PublicKey::from_raw(r.array()?)),
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "subject",
                    tag,
                })
            }
        };
        let count = r.list_len()?;
        if count > AGREEMENTS_CITED_MAX {
            return Err(DecodeError::ListTooLong(count));
        }
        let agreements = (0..count).map(|_| r.u16()).collect::<Result<Vec<_>, _>>()?;
        let reason = r.string()?;
        if reason.chars().count() > REASON_CHARS_MAX {
            return Err(DecodeError::Invalid("the reason is too long".into()));
        }
        let ends_at_ms = optional(&mut r, "end", Reader::i64)?;
        let refers_to = optional(&mut r, "reference", Reader::u64)?;
        r.finish()?;
        Ok(Action {
            circle_id,
            seq,
            previous,
            recorded_at_ms,
            moderator,
            kind,
            target,
            target_id,
            subject,
            agreements,
            reason,
            ends_at_ms,
            refers_to,
        })
    }
}

fn optional<'a, T>(
    r: &mut Reader<'a>,
    what: &'static str,
    read: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<Option<T>, DecodeError> {
    match r.u8()? {
        0 => Ok(None),
        1 => read(r).map(Some),
        tag => Err(DecodeError::UnknownTag { what, tag }),
    }
}

impl Signable for Action {
    const WHAT: &'static str = "moderation action";
    const CANONICAL_ONLY: bool = true;
    fn encode(&self) -> Vec<u8> {
        Action::encode(self)
    }
    fn decode(bytes: &[u8]) -> Result<Action, DecodeError> {
        Action::decode(bytes)
    }
    fn signer(&self) -> &PublicKey {
        &self.moderator
    }
}

/// An action with its canonical bytes and the moderator's signature.
pub type SignedAction = Signed<Action>;

/// What `previous` holds in the first action of a log.
pub const NO_PREVIOUS: Hash = Hash([0; 32]);

/// A signed statement by the circle's node key: the log had `tree_size` actions with this
/// Merkle root at this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogHead {
    pub circle_id: Hash,
    pub tree_size: u64,
    pub root: Hash,
    pub timestamp_ms: i64,
    pub signature: Signature,
}

impl LogHead {
    pub fn signed_bytes(
        circle_id: &Hash,
        tree_size: u64,
        root: &Hash,
        timestamp_ms: i64,
    ) -> Vec<u8> {
        let mut w = Writer::with_tag(HEAD_TAG);
        w.u16(FORMAT_VERSION)
            .fixed(&circle_id.0)
            .u64(tree_size)
            .fixed(&root.0)
            .i64(timestamp_ms);
        w.finish()
    }

    pub fn sign(
        node_key: &SecretKey,
        circle_id: Hash,
        tree_size: u64,
        root: Hash,
        timestamp_ms: i64,
    ) -> LogHead {
        let signature = node_key.sign(&Self::signed_bytes(
            &circle_id,
            tree_size,
            &root,
            timestamp_ms,
        ));
        LogHead {
            circle_id,
            tree_size,
            root,
            timestamp_ms,
            signature,
        }
    }

    pub fn verify(&self, node_key: &PublicKey) -> bool {
        node_key.verify(
            &Self::signed_bytes(
                &self.circle_id,
                self.tree_size,
                &self.root,
                self.timestamp_ms,
            ),
            &self.signature,
        )
    }
}

// ----- the export -----

/// One line of a moderation log export (JSON Lines): the circle first, then every action in
/// order, each followed by the head the node signed when it was appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLine {
    Circle(CircleLine),
    Action(ActionLine),
    Head(HeadLine),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircleLine {
    pub circle_id: String,
    pub slug: String,
    pub node_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionLine {
    pub bytes: String,
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadLine {
    pub tree_size: u64,
    pub root: String,
    pub timestamp_ms: i64,
    pub signature: String,
}

impl ActionLine {
    pub fn of(action: &SignedAction) -> ActionLine {
        ActionLine {
            bytes: hex::encode(&action.bytes),
            signature: action.signature.to_hex(),
        }
    }
}

impl HeadLine {
    pub fn of(head: &LogHead) -> HeadLine {
        HeadLine {
            tree_size: head.tree_size,
            root: head.root.to_hex(),
            timestamp_ms: head.timestamp_ms,
            signature: head.signature.to_hex(),
        }
    }
}

/// What went wrong at one line of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFault {
    /// The line, from 1 (0: the export as a whole).
    pub line: usize,
    pub what: String,
}

/// What [`verify_log`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReport {
    pub slug: String,
    pub actions: u64,
    pub heads: u64,
    /// The root of every action read.
    pub root: Hash,
    /// The actions read, kind by kind.
    pub by_kind: Vec<(ActionKind, u64)>,
    pub faults: Vec<LogFault>,
}

impl LogReport {
    pub fn is_clean(&self) -> bool {
        self.faults.is_empty()
    }
}

/// A head a member kept from an earlier day: the log must still hold that tree as its prefix,
/// signed by the node key it names (when it names one: `SIZE:ROOT:NODEKEY`). A key is pinned
/// from what the member kept or from the circle's ledger, never read from the file alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptHead {
    pub tree_size: u64,
    pub root: Hash,
    pub node_key: Option<PublicKey>,
}

/// What a check trusts from outside the file: the node key (from a kept head or the circle's
/// ledger) and, from the circle's audited ledger, its id and who held power when.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pins<'a> {
    pub node_key: Option<PublicKey>,
    pub circle_id: Option<Hash>,
    /// With it, every action must be signed by a steward or an appointed moderator of its time,
    /// or by the node key for what the circle decided by vote on an appeal.
    pub authority: Option<&'a commons_ledger::authority::AuthorityTimeline>,
}

/// The state of a check in progress, one line at a time.
struct Check<'a> {
    /// The node key pinned from outside the file, if any.
    pinned_node_key: Option<PublicKey>,
    pinned_circle_id: Option<Hash>,
    authority: Option<&'a commons_ledger::authority::AuthorityTimeline>,
    /// An action was read and its own head has not followed yet.
    head_due: bool,
    circle: Option<(Hash, PublicKey)>,
    frontier: Frontier,
    /// The receipt the next action must name (`None` after an unreadable action).
    previous: Option<Hash>,
    last_time_ms: i64,
    heads: u64,
    headed: u64,
    by_kind: std::collections::BTreeMap<ActionKind, u64>,
    faults: Vec<LogFault>,
    slug: String,
    kept: Option<KeptHead>,
}

/// Most faults one check reports (the rest are counted in the last).
pub const FAULTS_MAX: usize = 100;

impl Check<'_> {
    fn fault(&mut self, line: usize, what: String) {
        if self.faults.len() < FAULTS_MAX {
            self.faults.push(LogFault { line, what });
        }
    }

    fn circle_line(&mut self, line: usize, circle: CircleLine) {
        if self.circle.is_some() {
            return self.fault(line, "a second circle line".into());
        }
        let circle_id = Hash::from_hex(&circle.circle_id);
        let node_key = circle.node_key.parse::<PublicKey>();
        match (circle_id, node_key) {
            (Ok(id), Ok(key)) => {
                if self.pinned_node_key.is_some_and(|pinned| pinned != key) {
                    self.fault(
                        line,
                        "the log names another node key than the circle's (the one you kept, or \
                         its ledger's): it was signed again by someone else"
                            .into(),
                    );
                }
                if self.pinned_circle_id.is_some_and(|pinned| pinned != id) {
                    self.fault(
                        line,
                        "the log is of another circle than the ledger you gave".into(),
                    );
                }
                // Heads are checked against the pinned key when there is one.
                self.circle = Some((id, self.pinned_node_key.unwrap_or(key)));
                self.slug = circle.slug;
            }
            _ => self.fault(
                line,
                "the circle line's circle id or node key is not valid hex".into(),
            ),
        }
    }

    fn action_line(&mut self, line: usize, action: ActionLine) {
        let Some((circle_id, _)) = self.circle else {
            return self.fault(line, "an action before the circle line".into());
        };
        if self.frontier.size() >= LOG_ACTIONS_MAX {
            return self.fault(line, format!("more than {LOG_ACTIONS_MAX} actions"));
        }
        // The node signs a head at every action: each is followed by its own.
        if self.head_due {
            self.fault(
                line,
                format!(
                    "action {} has no head of its own (a head was removed)",
                    self.frontier.size().saturating_sub(1)
                ),
            );
        }
        self.head_due = true;
        let seq = self.frontier.size();
        let bytes = decode_hex_vec(&action.bytes)
            .ok_or_else(|| "its bytes are not lowercase hex".to_owned());
        let signature = Signature::from_hex(&action.signature)
            .map_err(|_| "its signature is not hex".to_owned());
        let signed = bytes.and_then(|bytes| {
            let signature = signature?;
            SignedAction::from_parts(bytes, signature)
                .map_err(|error| format!("it cannot be read: {error}"))
        });
        let signed = match signed {
            Ok(signed) => signed,
            Err(what) => {
                self.fault(line, format!("action {seq}: {what}"));
                // The chain cannot be followed past an unreadable action; its place in the tree
                // still counts, so the heads that follow are checked against what is there.
                self.frontier
                    .push(commons_ledger::merkle::leaf_hash(action.bytes.as_bytes()));
                self.previous = None;
                return;
            }
        };
        let record = &signed.record;
        if !signed.signature_is_valid() {
            self.fault(line, format!("action {seq}: the moderator's signature does not verify (the action was changed)"));
        }
        if record.circle_id != circle_id {
            self.fault(line, format!("action {seq}: it belongs to another circle"));
        }
        if record.seq != seq {
            self.fault(
                line,
                format!(
                    "action {seq}: it says it is action {} (an action was removed or moved)",
                    record.seq
                ),
            );
        }
        if self
            .previous
            .is_some_and(|previous| record.previous != previous)
        {
            self.fault(
                line,
                format!(
                    "action {seq}: it does not follow the action before it (the chain is broken)"
                ),
            );
        }
        if record.recorded_at_ms < self.last_time_ms {
            self.fault(
                line,
                format!("action {seq}: it is dated before the action before it"),
            );
        }
        self.last_time_ms = record.recorded_at_ms;
        self.check_signer(line, record);
        *self.by_kind.entry(record.kind).or_default() += 1;
        let leaf = signed.receipt();
        self.previous = Some(leaf);
        self.frontier.push(leaf);
        self.check_kept(line);
    }

    /// The node key signs only what the circle decided on an appeal by vote (it upholds, lifts
    /// or restores an earlier action); with the ledger's authority, every other action is
    /// signed by someone who was a steward or an appointed moderator when it was recorded.
    fn check_signer(&mut self, line: usize, record: &Action) {
        let Some((_, node_key)) = self.circle else {
            return;
        };
        let seq = record.seq;
        if record.moderator == node_key {
            let settles_appeal = record.refers_to.is_some_and(|earlier| earlier < seq)
                && matches!(
                    record.kind,
                    ActionKind::Uphold | ActionKind::Lift | ActionKind::Restore
                );
            if !settles_appeal {
                self.fault(line, format!("action {seq}: it is signed by the node's key, which only records how the circle decided an appeal by vote"));
            }
            return;
        }
        let Some(authority) = self.authority else {
            return;
        };
        if !authority.may_moderate(&record.moderator, record.recorded_at_ms) {
            self.fault(line, format!("action {seq}: it is signed by {}, who was neither a steward nor an appointed moderator of the circle at that time", record.moderator.short()));
        }
    }

    fn check_kept(&mut self, line: usize) {
        if let Some(kept) = self.kept {
            if kept.tree_size == self.frontier.size() && kept.root != self.frontier.root() {
                self.fault(line, format!("the first {} actions are not the ones the head you kept names (an action was removed or rewritten)", kept.tree_size));
            }
        }
    }

    fn head_line(&mut self, line: usize, head: HeadLine) {
        let Some((circle_id, node_key)) = self.circle else {
            return self.fault(line, "a head before the circle line".into());
        };
        self.heads += 1;
        self.head_due = false;
        let (Ok(root), Ok(signature)) = (
            Hash::from_hex(&head.root),
            Signature::from_hex(&head.signature),
        ) else {
            return self.fault(line, "the head's root or signature is not hex".into());
        };
        let signed = LogHead {
            circle_id,
            tree_size: head.tree_size,
            root,
            timestamp_ms: head.timestamp_ms,
            signature,
        };
        if !signed.verify(&node_key) {
            self.fault(
                line,
                format!(
                    "the head of {} actions is not signed by the circle's node key",
                    head.tree_size
                ),
            );
        }
        if head.tree_size != self.frontier.size() {
            self.fault(
                line,
                format!(
                    "the head names {} actions where the log has {} at this point",
                    head.tree_size,
                    self.frontier.size()
                ),
            );
        } else if root != self.frontier.root() {
            self.fault(
                line,
                format!(
                    "the head of {} actions has another root than the actions before it",
                    head.tree_size
                ),
            );
        } else {
            self.headed = head.tree_size;
        }
    }
}

/// Checks a moderation log export offline: every action readable and signed by its moderator,
/// numbered in order, chained to the one before, dated in order; every head signed by the
/// circle's node key and equal to the Merkle root of the actions before it; the last action
/// under a head; and, if the member kept a head, the log still begins with that tree. Never
/// panics, whatever the input.
pub fn verify_log(text: &str, kept: Option<KeptHead>) -> LogReport {
    verify_log_pinned(text, kept, kept.and_then(|kept| kept.node_key))
}

/// [`verify_log`] with the circle's node key pinned from outside the file (the member's kept
/// head, or the genesis of the circle's ledger): a log signed by any other key fails, whatever
/// key its own circle line names.
pub fn verify_log_pinned(
    text: &str,
    kept: Option<KeptHead>,
    node_key: Option<PublicKey>,
) -> LogReport {
    verify_log_with(
        text,
        kept,
        Pins {
            node_key,
            ..Pins::default()
        },
    )
}

/// [`verify_log`] with what `pins` trusts from outside the file: the node key, and from the
/// circle's audited ledger its id and who held power when each action was signed.
pub fn verify_log_with(text: &str, kept: Option<KeptHead>, pins: Pins<'_>) -> LogReport {
    let mut check = Check {
        pinned_node_key: pins.node_key,
        pinned_circle_id: pins.circle_id,
        authority: pins.authority,
        head_due: false,
        circle: None,
        frontier: Frontier::default(),
        previous: Some(NO_PREVIOUS),
        last_time_ms: i64::MIN,
        heads: 0,
        headed: 0,
        by_kind: Default::default(),
        faults: Vec::new(),
        slug: String::new(),
        kept,
    };
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<LogLine>(line) {
            Ok(LogLine::Circle(circle)) => check.circle_line(number, circle),
            Ok(LogLine::Action(action)) => check.action_line(number, action),
            Ok(LogLine::Head(head)) => check.head_line(number, head),
            Err(error) => check.fault(number, format!("the line cannot be read: {error}")),
        }
    }
    finish(check)
}

fn finish(mut check: Check) -> LogReport {
    if check.circle.is_none() {
        check.fault(0, "the export has no circle line".into());
    }
    let size = check.frontier.size();
    if check.headed != size {
        check.fault(
            0,
            format!(
                "the last {} actions are under no signed head (a head was removed)",
                size.saturating_sub(check.headed)
            ),
        );
    }
    if let Some(kept) = check.kept {
        if kept.tree_size > size {
            check.fault(0, format!("the head you kept names {} actions, but the log now has {size} (actions were removed)", kept.tree_size));
        }
    }
    LogReport {
        slug: check.slug,
        actions: size,
        heads: check.heads,
        root: check.frontier.root(),
        by_kind: check.by_kind.into_iter().collect(),
        faults: check.faults,
    }
}

/// Writes a log export: the circle line, then each action followed by its head. `heads` must
/// hold one head per tree size 1..=n, in order (the node signs one at every append).
pub fn export_lines(
    circle_id: &Hash,
    slug: &str,
    node_key: &PublicKey,
    actions: &[SignedAction],
    heads: &[LogHead],
) -> String {
    let mut out = String::new();
    let mut push = |line: LogLine| {
        out.push_str(&serde_json::to_string(&line).expect("log lines serialise"));
        out.push('\n');
    };
    push(LogLine::Circle(CircleLine {
        circle_id: circle_id.to_hex(),
        slug: slug.to_owned(),
        node_key: node_key.to_hex(),
    }));
    let mut heads = heads.iter().peekable();
    for (index, action) in actions.iter().enumerate() {
        push(LogLine::Action(ActionLine::of(action)));
        while let Some(head) = heads.next_if(|head| head.tree_size <= index as u64 + 1) {
            push(LogLine::Head(HeadLine::of(head)));
        }
    }
    out
}

#[cfg(test)]
mod tests;
