//! Private conversations: starting one, writing, reading, muting, leaving and reporting. Who
//! may do what:
//! - only the people in a conversation read it or write in it (anyone else, stewards and
//!   moderators included, gets "not found");
//! - only with the whole account ([`Correspondent`]): a login a circle's stewards recovered
//!   reads no private message, so a steward cannot read someone's messages by recovering them;
//! - every message asks the one reach rule ([`Channel::PrivateMessage`]): a block either way or
//!   a suspension refuses it, a mute keeps it quiet, and a reader never sees what the rule stops;
//! - moderators read only the messages a reporter chose to show them, copied into the case.

#![allow(clippy::result_large_err)]

use std::collections::BTreeSet;

use commons_governance::moderation::TargetKind;

use crate::capability::FullAccount;
use crate::conversations::rules::{self, MessageBody, StartCommand};
use crate::db::conversations::{ConversationMessage, ConversationPerson, ConversationRow};
use crate::moderation::service::{ReportCommand, ReportTarget};
use crate::notifications::{NewNotification, NotificationKind};
use crate::reach::{Channel, ItemState, Reach, ReachLens, Stop};
use crate::services::{invalid, ActionError, Actor, Services, DAY_MS};

/// A member who may read and write private conversations in their circle: a member of it,
/// holding the whole account. Only [`Correspondent::new`] makes one, from a [`FullAccount`].
#[derive(Debug, Clone)]
pub struct Correspondent(Actor);

impl Correspondent {
    /// The member, proven to hold the whole account.
    pub fn new(actor: Actor, account: &FullAccount) -> Result<Correspondent, ActionError> {
        if account.id != actor.user.id {
            return Err(ActionError::Forbidden);
        }
        Ok(Correspondent(actor))
    }

    pub fn actor(&self) -> &Actor {
        &self.0
    }
}

/// A message as one reader sees it.
#[derive(Debug, Clone)]
pub struct ShownMessage {
    pub message: ConversationMessage,
    pub mine: bool,
    /// Written since the reader last read the conversation.
    pub new: bool,
}

/// One conversation as one of its people reads it.
#[derive(Debug, Clone)]
pub struct ConversationView {
    pub row: ConversationRow,
    /// Everyone else in it (or who was), the starter first.
    pub others: Vec<ConversationPerson>,
    pub me: ConversationPerson,
    pub messages: Vec<ShownMessage>,
    /// Where older messages start, if there are more.
    pub older_before: Option<i64>,
    /// Why the reader cannot write here now, if they cannot (a catalogue message).
    pub closed: Option<&'static str>,
    /// Whether the reader may mute or leave it (they are still in it).
    pub may_leave: bool,
    /// Whether there is something of someone else's to report.
    pub may_report: bool,
}

/// A line of the reader's list of conversations.
#[derive(Debug, Clone)]
pub struct ConversationLine {
    pub row: ConversationRow,
    pub others: Vec<ConversationPerson>,
    pub last: Option<ConversationMessage>,
    pub unread: bool,
    pub muted: bool,
    pub left: bool,
}

/// Whether a reader sees a message: what the rule delivers, or keeps quiet only by the
/// reader's own mute. Never what crosses a block, comes from a suspended member, or a
/// moderator hid or holds (whatever else applies).
fn shown(lens: &ReachLens, message: &ConversationMessage) -> bool {
    lens.facts(message.author_id, Some(item_of(message))).item == ItemState::Visible
        && matches!(
            message_reach(lens, message),
            Reach::Deliver | Reach::Quiet(Stop::Muted)
        )
}

/// Whether a reader may show a message to the moderators in a report: what they see, and
/// what a block (theirs or the author's) or the author's suspension keeps from them now —
/// they received it, or it was written to them; never what a moderator hid or holds.
fn reportable(lens: &ReachLens, message: &ConversationMessage) -> bool {
    lens.facts(message.author_id, Some(item_of(message))).item == ItemState::Visible
        && !matches!(
            message_reach(lens, message),
            Reach::Quiet(Stop::Hidden | Stop::Held)
        )
}

impl Services {
    /// Starts a conversation with the people the command names (or continues the one already
    /// held with exactly them), with its first message. Answers the conversation's id.
    pub async fn start_conversation(
        &self,
        who: &Correspondent,
        command: &StartCommand,
    ) -> Result<i64, ActionError> {
        let actor = who.actor();
        self.check_not_suspended(actor)?;
        let now = self.now_ms();
        let limited = actor
            .membership
            .limited_until_ms
            .is_some_and(|until| until > now);
        let sandbox =
            crate::membership::sandbox::in_sandbox(&actor.membership, actor.is_steward, now);
        let started = self
            .db
            .conversations_started_since(actor.circle.row_id, actor.user.id, now - DAY_MS)
            .await?;
        rules::may_start(sandbox, limited, started)
            .map_err(|refusal| invalid("to", refusal.message_id()))?;
        let mut people = vec![actor.user.id];
        for username in &command.to {
            let member = match self.find_active_member(actor, username.as_str()).await? {
                Some(member) => member,
                None => return Err(invalid("to", "conversation-error-to-unknown")),
            };
            // Across a block the person is "not there", as for a name nobody has: whom one is
            // blocked by is never told.
            match self
                .reach_of(Channel::PrivateMessage, actor, member.user_id, None)
                .await
            {
                Err(ActionError::NotFound) => {
                    return Err(invalid("to", "conversation-error-to-unknown"))
                }
                Err(other) => return Err(other),
                Ok(_) if people.contains(&member.user_id) => {}
                Ok(_) => people.push(member.user_id),
            }
        }
        let id = match self
            .db
            .conversation_between(actor.circle.row_id, &people)
            .await?
        {
            Some(id) => {
                self.write_in(actor, id, &command.body).await?;
                return Ok(id);
            }
            None => {
                let limit = (now - DAY_MS, rules::CONVERSATIONS_STARTED_PER_DAY_MAX);
                self.db
                    .start_conversation(
                        actor.circle.row_id,
                        &people,
                        command.body.as_str(),
                        now,
                        limit,
                    )
                    .await?
                    .ok_or_else(|| invalid("to", rules::StartRefusal::TooMany.message_id()))?
            }
        };
        let everyone = self.db.conversation_people(id).await?;
        self.tell_conversation(actor, id, &everyone).await?;
        Ok(id)
    }

    /// Writes a message in a conversation the member is in.
    pub async fn conversation_message(
        &self,
        who: &Correspondent,
        id: i64,
        body: &MessageBody,
    ) -> Result<(), ActionError> {
        let actor = who.actor();
        self.check_not_suspended(actor)?;
        self.conversation_of(actor, id).await?;
        self.write_in(actor, id, body).await
    }

    /// Adds the message, if the rule lets it reach anyone still in the conversation, and tells
    /// those it reaches.
    async fn write_in(
        &self,
        actor: &Actor,
        id: i64,
        body: &MessageBody,
    ) -> Result<(), ActionError> {
        let everyone = self.db.conversation_people(id).await?;
        if let Some(reason) = self.closed_for(actor, &everyone).await? {
            return Err(invalid("body", reason));
        }
        self.check_sandbox(actor, crate::membership::sandbox::SandboxLimit::Messages)
            .await?;
        if self
            .db
            .add_conversation_message(id, actor.user.id, body.as_str(), self.now_ms())
            .await?
            .is_none()
        {
            return Err(invalid("body", "conversation-error-full"));
        }
        self.tell_conversation(actor, id, &everyone).await
    }

    /// Why the actor cannot write in a conversation with these people, if they cannot: they
    /// left it, everyone else left, or the rule refuses it to every other person still in it
    /// (a block either way).
    async fn closed_for(
        &self,
        actor: &Actor,
        everyone: &[ConversationPerson],
    ) -> Result<Option<&'static str>, ActionError> {
        let me = everyone.iter().find(|p| p.user_id == actor.user.id);
        if !me.is_some_and(ConversationPerson::present) {
            return Ok(Some("conversation-closed-you-left"));
        }
        let others = self.still_here(actor, everyone).await?;
        if others.is_empty() {
            return Ok(Some("conversation-closed-alone"));
        }
        let outgoing = self
            .outgoing(actor.user.id, actor.circle.row_id, None)
            .await?;
        let reachable = others.iter().any(|other| {
            !matches!(
                outgoing.reach(Channel::PrivateMessage, *other),
                Reach::Refuse(_)
            )
        });
        Ok((!reachable).then_some("conversation-closed-blocked"))
    }

    /// Everyone else still in the conversation and still a member of the circle (someone who
    /// left the circle, or was removed, reads and receives nothing more).
    async fn still_here(
        &self,
        actor: &Actor,
        everyone: &[ConversationPerson],
    ) -> Result<Vec<i64>, ActionError> {
        let mut here = Vec::new();
        for person in everyone {
            if person.user_id == actor.user.id || !person.present() {
                continue;
            }
            let membership = self
                .db
                .membership(actor.circle.row_id, person.user_id)
                .await?;
            if membership.is_some_and(|m| m.status == crate::db::MemberStatus::Active) {
                here.push(person.user_id);
            }
        }
        Ok(here)
    }

    /// Tells everyone else still in the conversation, through the reach rule, unless they
    /// muted it.
    async fn tell_conversation(
        &self,
        actor: &Actor,
        id: i64,
        everyone: &[ConversationPerson],
    ) -> Result<(), ActionError> {
        let outgoing = self
            .outgoing(actor.user.id, actor.circle.row_id, None)
            .await?;
        let here = self.still_here(actor, everyone).await?;
        for person in everyone {
            if !here.contains(&person.user_id) || person.muted {
                continue;
            }
            let note = NewNotification {
                conversation: Some(id),
                ..NewNotification::about_the_circle(
                    person.user_id,
                    actor.circle.row_id,
                    NotificationKind::Conversation,
                )
            };
            self.notify_from(&outgoing, Channel::PrivateMessage, note)
                .await?;
        }
        Ok(())
    }

    /// A conversation of the actor's circle that the actor is (or was) in, with its people and
    /// the actor's own place in it; anyone else gets "not found".
    async fn conversation_of(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<(ConversationRow, Vec<ConversationPerson>, ConversationPerson), ActionError> {
        let row = self
            .db
            .conversation(actor.circle.row_id, id)
            .await?
            .ok_or(ActionError::NotFound)?;
        let people = self.db.conversation_people(id).await?;
        let me = people
            .iter()
            .find(|p| p.user_id == actor.user.id)
            .cloned()
            .ok_or(ActionError::NotFound)?;
        Ok((row, people, me))
    }

    /// The messages of a conversation the reader may see (through the rule; up to when they
    /// left, if they did), the newest page before `before_id`.
    async fn readable_messages(
        &self,
        actor: &Actor,
        me: &ConversationPerson,
        id: i64,
        before_id: Option<i64>,
        purpose: Purpose,
    ) -> Result<(Vec<ConversationMessage>, Option<i64>), ActionError> {
        let lens = self.reach_lens(&actor.user, actor.circle.row_id).await?;
        let page = self.db.conversation_messages(id, before_id).await?;
        let full = page.len() as i64 >= crate::db::conversations::CONVERSATION_PAGE_MAX;
        let older_before = full.then(|| page.first().map(|m| m.id)).flatten();
        let messages = page
            .into_iter()
            .filter(|m| me.left_at_ms.is_none_or(|left| m.created_at_ms <= left))
            .filter(|m| match purpose {
                Purpose::Read => shown(&lens, m),
                Purpose::Report => reportable(&lens, m),
            })
            .collect();
        Ok((messages, older_before))
    }

    /// A conversation as the reader sees it; what it shows counts as read.
    pub async fn conversation_page(
        &self,
        who: &Correspondent,
        id: i64,
        before_id: Option<i64>,
    ) -> Result<ConversationView, ActionError> {
        let actor = who.actor();
        let (row, people, me) = self.conversation_of(actor, id).await?;
        let (messages, older_before) = self
            .readable_messages(actor, &me, id, before_id, Purpose::Read)
            .await?;
        if let Some(newest) = messages.last() {
            self.db
                .mark_conversation_read(id, actor.user.id, newest.id)
                .await?;
        }
        let closed = self.closed_for(actor, &people).await?;
        let others = people
            .into_iter()
            .filter(|p| p.user_id != actor.user.id)
            .collect();
        let messages: Vec<ShownMessage> = messages
            .into_iter()
            .map(|message| ShownMessage {
                mine: message.author_id == actor.user.id,
                new: message.id > me.last_read_id && message.author_id != actor.user.id,
                message,
            })
            .collect();
        Ok(ConversationView {
            may_leave: me.present(),
            may_report: messages.iter().any(|m| !m.mine),
            row,
            others,
            me,
            messages,
            older_before,
            closed,
        })
    }

    /// The member's conversations in the circle, the most recently active first.
    pub async fn my_conversations(
        &self,
        who: &Correspondent,
    ) -> Result<Vec<ConversationLine>, ActionError> {
        let actor = who.actor();
        let lens = self.reach_lens(&actor.user, actor.circle.row_id).await?;
        let rows = self
            .db
            .conversations_of(actor.circle.row_id, actor.user.id)
            .await?;
        let lasts = self
            .db
            .last_conversation_messages(&rows.iter().map(|r| r.last_message_id).collect::<Vec<_>>())
            .await?;
        let mut lines = Vec::with_capacity(rows.len());
        for row in rows {
            let people = self.db.conversation_people(row.id).await?;
            let Some(me) = people.iter().find(|p| p.user_id == actor.user.id).cloned() else {
                continue;
            };
            let last = lasts
                .iter()
                .find(|m| m.id == row.last_message_id)
                .filter(|m| shown(&lens, m))
                .filter(|m| me.left_at_ms.is_none_or(|left| m.created_at_ms <= left))
                .cloned();
            lines.push(ConversationLine {
                unread: me.present() && last.as_ref().is_some_and(|m| m.id > me.last_read_id),
                muted: me.muted,
                left: !me.present(),
                others: people
                    .into_iter()
                    .filter(|p| p.user_id != actor.user.id)
                    .collect(),
                last,
                row,
            });
        }
        Ok(lines)
    }

    /// Mutes or unmutes a conversation for the member: it stays, and tells them nothing new.
    pub async fn mute_conversation(
        &self,
        who: &Correspondent,
        id: i64,
        muted: bool,
    ) -> Result<(), ActionError> {
        self.conversation_of(who.actor(), id).await?;
        Ok(self
            .db
            .set_conversation_muted(id, who.actor().user.id, muted)
            .await?)
    }

    /// The member leaves a conversation: they keep what was said until then, and nothing new
    /// reaches them from it.
    pub async fn leave_conversation(
        &self,
        who: &Correspondent,
        id: i64,
    ) -> Result<(), ActionError> {
        self.conversation_of(who.actor(), id).await?;
        Ok(self
            .db
            .leave_conversation(id, who.actor().user.id, self.now_ms())
            .await?)
    }

    /// Reports someone's messages in a conversation: the moderators get a case holding only
    /// the messages the reporter chose (and the reporter's note), never the conversation.
    pub async fn report_conversation(
        &self,
        who: &Correspondent,
        id: i64,
        chosen: &[i64],
        command: &ReportCommand,
    ) -> Result<i64, ActionError> {
        let actor = who.actor();
        let (_, _, me) = self.conversation_of(actor, id).await?;
        // The messages the form offered.
        let (readable, _) = self
            .readable_messages(actor, &me, id, None, Purpose::Report)
            .await?;
        // Only others' messages are offered, so a case never holds the reporter's own words.
        let pairs: Vec<(i64, i64)> = readable
            .iter()
            .filter(|m| m.author_id != actor.user.id)
            .map(|m| (m.id, m.author_id))
            .collect();
        let (subject, ids) = rules::reported_messages(chosen, &pairs, actor.user.id)
            .map_err(|message_id| invalid("messages", message_id))?;
        let ids: BTreeSet<i64> = ids.into_iter().collect();
        let shown: Vec<&ConversationMessage> =
            readable.iter().filter(|m| ids.contains(&m.id)).collect();
        let newest_of_subject = shown
            .iter()
            .rev()
            .find(|m| m.author_id == subject)
            .map(|m| m.id)
            .ok_or(ActionError::NotFound)?;
        let snapshot = shown
            .iter()
            .map(|m| {
                format!(
                    "{} · {}\n{}",
                    m.author_name,
                    crate::views::ago::machine_time(m.created_at_ms),
                    m.body
                )
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        let subject_name = shown
            .iter()
            .find(|m| m.author_id == subject)
            .map(|m| m.author_name.clone())
            .unwrap_or_default();
        let target = ReportTarget {
            kind: TargetKind::ConversationMessage,
            id: newest_of_subject,
            subject_id: Some(subject),
            subject_name,
            snapshot,
            back: format!("/c/{}/messages/{id}", actor.circle.slug),
        };
        self.report(actor, &target, command).await
    }

    /// The messages the member may choose from to report: others' messages of the newest
    /// page (see [`reportable`]), oldest first. Reading them here marks nothing read.
    pub async fn reportable_messages(
        &self,
        who: &Correspondent,
        id: i64,
    ) -> Result<Vec<ShownMessage>, ActionError> {
        let actor = who.actor();
        let (_, _, me) = self.conversation_of(actor, id).await?;
        let (messages, _) = self
            .readable_messages(actor, &me, id, None, Purpose::Report)
            .await?;
        Ok(messages
            .into_iter()
            .filter(|m| m.author_id != actor.user.id)
            .map(|message| ShownMessage {
                mine: false,
                new: false,
                message,
            })
            .collect())
    }
}

/// Why messages are read: to show them, or to choose some for a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Read,
    Report,
}

/// The item that carries a message's words, for the reach rule.
fn item_of(message: &ConversationMessage) -> (TargetKind, i64) {
    (TargetKind::ConversationMessage, message.id)
}

/// The rule's answer for a reader seeing one message.
fn message_reach(lens: &ReachLens, message: &ConversationMessage) -> Reach {
    lens.reach(
        Channel::PrivateMessage,
        message.author_id,
        Some(item_of(message)),
    )
}
