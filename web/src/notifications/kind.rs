//! What a member can be notified of (from every feature: deals, matches, events, decisions,
//! recoveries), a stored notification, and one to store.

/// What a notification is about. Members can turn each kind off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// A new listing matches one of yours.
    Match,
    /// Someone answered your listing, or wrote in one of your deals.
    DealMessage,
    /// Terms were proposed, agreed, or the deal completed or was called off.
    DealUpdate,
    /// A member of a linked circle answered your listing, wrote in a deal across, or it moved
    /// on (terms, agreement, completion, calling off).
    DealAcross,
    /// Someone thanked you.
    Thanks,
    /// You moved up from an event's waiting list.
    EventPlace,
    /// One of your listings expires soon.
    Expiring,
    /// Voting opened on a proposal of your circle.
    VoteOpen,
    /// Voting on a proposal closes soon and you have not voted.
    VoteReminder,
    /// A proposal you could vote on was decided.
    Decided,
    /// A proposal you commented on or voted on changed its text (its discussion restarts).
    ProposalChanged,
    /// A proposal you wrote, commented on or voted on was paused (or the pause was lifted).
    ProposalPaused,
    /// A circle's stewards recovered your account (told in every circle you belong to; it
    /// cannot be turned off).
    AccountRecovered,
    /// A moderator acted on something of yours, or on you (what, why, and how to appeal; it
    /// cannot be turned off).
    Moderated,
    /// A report you made was looked at: the outcome.
    ReportOutcome,
    /// Something new waits in the moderators' queue (moderators only).
    ModerationQueue,
    /// Someone asked to join the circle and waits for a steward (stewards only).
    JoinRequest,
    /// You are invited to a repair conversation, or its agreement changed.
    Repair,
    /// A steward announced news to every member.
    News,
    /// Someone replied in a discussion you follow.
    Reply,
    /// A new message in one of your private conversations.
    Conversation,
    /// Someone mentioned you by `@name` in a discussion.
    Mention,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 22] = [
        NotificationKind::Match,
        NotificationKind::DealMessage,
        NotificationKind::DealUpdate,
        NotificationKind::DealAcross,
        NotificationKind::Thanks,
        NotificationKind::EventPlace,
        NotificationKind::Expiring,
        NotificationKind::VoteOpen,
        NotificationKind::VoteReminder,
        NotificationKind::Decided,
        NotificationKind::ProposalChanged,
        NotificationKind::ProposalPaused,
        NotificationKind::AccountRecovered,
        NotificationKind::Moderated,
        NotificationKind::ReportOutcome,
        NotificationKind::ModerationQueue,
        NotificationKind::JoinRequest,
        NotificationKind::Repair,
        NotificationKind::News,
        NotificationKind::Reply,
        NotificationKind::Conversation,
        NotificationKind::Mention,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Match => "match",
            NotificationKind::DealMessage => "deal_message",
            NotificationKind::DealUpdate => "deal_update",
            NotificationKind::DealAcross => "deal_across",
            NotificationKind::Thanks => "thanks",
            NotificationKind::EventPlace => "event_place",
            NotificationKind::Expiring => "expiring",
            NotificationKind::VoteOpen => "vote_open",
            NotificationKind::VoteReminder => "vote_reminder",
            NotificationKind::Decided => "decided",
            NotificationKind::ProposalChanged => "proposal_changed",
            NotificationKind::ProposalPaused => "proposal_paused",
            NotificationKind::AccountRecovered => "account_recovered",
            NotificationKind::Moderated => "moderated",
            NotificationKind::ReportOutcome => "report_outcome",
            NotificationKind::ModerationQueue => "moderation_queue",
            NotificationKind::JoinRequest => "join_request",
            NotificationKind::Repair => "repair",
            NotificationKind::News => "news",
            NotificationKind::Reply => "reply",
            NotificationKind::Conversation => "conversation",
            NotificationKind::Mention => "mention",
        }
    }
    /// Whether a member may turn this kind off (a recovery of their account, never).
    pub fn may_mute(self) -> bool {
        !matches!(
            self,
            NotificationKind::AccountRecovered | NotificationKind::Moderated
        )
    }
    pub fn parse(text: &str) -> Option<NotificationKind> {
        NotificationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// A notification for one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub circle: i64,
    pub kind: NotificationKind,
    pub listing: Option<i64>,
    pub other_listing: Option<i64>,
    pub deal: Option<i64>,
    /// The proposal's number in its circle (governance notifications).
    pub proposal: Option<i64>,
    /// The case, log action or repair conversation (moderation notifications).
    pub moderation: Option<i64>,
    /// The news post (announcements).
    pub news: Option<i64>,
    /// The discussion thread (replies).
    pub thread: Option<i64>,
    /// The private conversation (its new messages).
    pub conversation: Option<i64>,
    /// Who caused it, when a person did: the reach rule reads it again whenever it is shown.
    pub from_user: Option<i64>,
    pub created_at_ms: i64,
    pub read: bool,
}

/// What to notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewNotification {
    pub user: i64,
    pub circle: i64,
    pub kind: NotificationKind,
    pub listing: Option<i64>,
    pub other_listing: Option<i64>,
    pub deal: Option<i64>,
    /// The proposal's number in its circle (governance notifications).
    pub proposal: Option<i64>,
    /// The case, log action or repair conversation (moderation notifications).
    pub moderation: Option<i64>,
    /// The news post (announcements).
    pub news: Option<i64>,
    /// The discussion thread (replies).
    pub thread: Option<i64>,
    /// The private conversation (its new messages).
    pub conversation: Option<i64>,
}

impl NewNotification {
    /// A notification about the circle itself, naming no item.
    pub fn about_the_circle(user: i64, circle: i64, kind: NotificationKind) -> NewNotification {
        NewNotification {
            user,
            circle,
            kind,
            listing: None,
            other_listing: None,
            deal: None,
            proposal: None,
            moderation: None,
            news: None,
            thread: None,
            conversation: None,
        }
    }
}
