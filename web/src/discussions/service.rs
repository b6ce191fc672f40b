//! Discussions: starting threads in the circle's categories, replying (followers are told),
//! reading (what is new, who has seen it), following and muting, turning a thread into a
//! proposal, and the stewards' categories. Blocks, the sandbox, suspensions and held posts
//! apply as everywhere else.

#![allow(clippy::result_large_err)]

use std::sync::{Arc, OnceLock};

use commons_governance::moderation::TargetKind;

use crate::db::discussions::{
    CategoryRow, FollowMode, NewThread, ReplyRow, ThreadRow, THREADS_PAGE_MAX,
};
use crate::db::MemberStatus;
use crate::discussions::rules::{self, CategoryCommand, Freshness, ThreadCommand};
use crate::governance::ProposalInput;
use crate::i18n::{Catalogues, Tr};
use crate::membership::sandbox::SandboxLimit;
use crate::notifications::{NewNotification, NotificationKind};
use crate::reach::Channel;
use crate::services::{invalid, ActionError, Actor, Services};

/// A thread in a list, with what is new in it for the reader.
#[derive(Debug, Clone)]
pub struct ThreadItem {
    pub thread: ThreadRow,
    pub freshness: Freshness,
    pub muted: bool,
}

/// A page of threads.
#[derive(Debug, Clone)]
pub struct ThreadList {
    pub categories: Vec<CategoryRow>,
    pub threads: Vec<ThreadItem>,
    pub more: bool,
}

/// A thread as a member reads it.
#[derive(Debug, Clone)]
pub struct ThreadPage {
    pub thread: ThreadRow,
    pub replies: Vec<ReplyRow>,
    /// Who has read it all (names listed, at most a few dozen) and how many in all.
    pub seen_by: Vec<(i64, String)>,
    pub seen_count: i64,
    pub follow: Option<FollowMode>,
    pub may_change: bool,
    pub may_pin: bool,
    pub may_propose: bool,
    /// The thread waits for a moderator (its author sees it).
    pub held: bool,
}

/// The catalogues, for the words a new circle's discussions start with.
fn catalogues() -> &'static Arc<Catalogues> {
    static CATALOGUES: OnceLock<Arc<Catalogues>> = OnceLock::new();
    CATALOGUES.get_or_init(Catalogues::load)
}

/// A new circle's categories, in a language.
fn default_categories(tr: &Tr) -> Vec<(String, String)> {
    ["general", "ideas", "questions"]
        .iter()
        .map(|key| {
            (
                tr.t(&format!("discussion-default-{key}")),
                tr.t(&format!("discussion-default-{key}-about")),
            )
        })
        .collect()
}

fn reply_note(user: i64, circle: i64, thread: i64) -> NewNotification {
    thread_note(user, circle, thread, NotificationKind::Reply)
}

fn thread_note(user: i64, circle: i64, thread: i64, kind: NotificationKind) -> NewNotification {
    NewNotification {
        thread: Some(thread),
        conversation: None,
        ..NewNotification::about_the_circle(user, circle, kind)
    }
}

impl Services {
    /// Gives a circle its categories and its pinned "Introductions" thread, once, in the
    /// author's language (the circle's founder when it is created; its first member later).
    pub async fn seed_discussions(
        &self,
        circle: i64,
        author_id: i64,
        language: &str,
    ) -> Result<(), ActionError> {
        let tr = catalogues().translator(language);
        let (title, body) = (
            tr.t("discussion-introductions-title"),
            tr.t("discussion-introductions-body"),
        );
        let opening = NewThread {
            circle,
            category: 0,
            author_id,
            title: &title,
            body: &body,
            pinned: true,
        };
        self.db
            .seed_discussions(circle, &default_categories(&tr), &opening, self.now_ms())
            .await?;
        Ok(())
    }

    /// The circle's categories, in their order.
    pub async fn discussion_categories(
        &self,
        actor: &Actor,
    ) -> Result<Vec<CategoryRow>, ActionError> {
        Ok(self.db.discussion_categories(actor.circle.row_id).await?)
    }

    /// Gives every circle from before discussions its categories and opening thread, written
    /// by its first member in their language (run once at start; seeding twice does nothing).
    pub async fn seed_missing_discussions(&self) -> Result<usize, ActionError> {
        let mut seeded = 0;
        for info in self.store.circles().await? {
            if !self.db.discussion_categories(info.row_id).await?.is_empty() {
                continue;
            }
            let first = self
                .db
                .memberships_in(info.row_id)
                .await?
                .into_iter()
                .filter(|m| m.status == MemberStatus::Active)
                .min_by_key(|m| (m.created_at_ms, m.user_id));
            let Some(first) = first else { continue };
            let language = self.db.user(first.user_id).await?.and_then(|u| u.language);
            self.ensure_settings_row(&info).await?;
            self.seed_discussions(
                info.row_id,
                first.user_id,
                language.as_deref().unwrap_or("en"),
            )
            .await?;
            seeded += 1;
        }
        Ok(seeded)
    }

    /// A page of the circle's threads (one category's, or all), as the actor may see them.
    pub async fn threads(
        &self,
        actor: &Actor,
        category: Option<i64>,
        page: i64,
    ) -> Result<ThreadList, ActionError> {
        let categories = self.discussion_categories(actor).await?;
        let category = category.filter(|id| categories.iter().any(|c| c.id == *id));
        let mut rows = self.db.threads(actor.circle.row_id, category, page).await?;
        let more = rows.len() as i64 > THREADS_PAGE_MAX;
        rows.truncate(THREADS_PAGE_MAX as usize);
        let threads = self.thread_items(actor, rows).await?;
        Ok(ThreadList {
            categories,
            threads,
            more,
        })
    }

    /// Threads without what the actor does not see, each with what is new in it.
    pub(crate) async fn thread_items(
        &self,
        actor: &Actor,
        rows: Vec<ThreadRow>,
    ) -> Result<Vec<ThreadItem>, ActionError> {
        let hidden = self.hidden_from(actor).await?;
        let moderated = self.moderated_filter(actor).await?;
        let muted = self.db.muted_threads(actor.user.id).await?;
        let rows: Vec<ThreadRow> = rows
            .into_iter()
            .filter(|t| !hidden.contains(&t.author_id))
            .filter(|t| !moderated.hides(TargetKind::Thread, t.id))
            .collect();
        let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
        let reads = self.db.reads_of(actor.user.id, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|thread| ThreadItem {
                freshness: rules::freshness(thread.last_reply_id, reads.get(&thread.id).copied()),
                muted: muted.contains(&thread.id),
                thread,
            })
            .collect())
    }

    /// Starts a thread in one of the circle's categories; its author follows it.
    pub async fn start_thread(
        &self,
        actor: &Actor,
        command: &ThreadCommand,
    ) -> Result<i64, ActionError> {
        self.check_may_post(actor, SandboxLimit::Comments).await?;
        let categories = self.discussion_categories(actor).await?;
        if !categories.iter().any(|c| c.id == command.category) {
            return Err(invalid("category", "discussion-error-category"));
        }
        let new = NewThread {
            circle: actor.circle.row_id,
            category: command.category,
            author_id: actor.user.id,
            title: &command.title,
            body: &command.body,
            pinned: false,
        };
        let id = self
            .db
            .start_thread(&new, self.now_ms())
            .await?
            .ok_or(invalid("body", "discussion-error-too-many"))?;
        let text = format!("{}\n\n{}", command.title, command.body);
        if !self
            .hold_if_needed(actor, TargetKind::Thread, id, &text)
            .await?
        {
            let outgoing = self
                .outgoing(
                    actor.user.id,
                    actor.circle.row_id,
                    Some((TargetKind::Thread, id)),
                )
                .await?;
            self.tell_mentioned(actor, id, &command.body, &outgoing, &[])
                .await?;
        }
        Ok(id)
    }

    /// A thread of the actor's circle that the actor may see.
    pub(crate) async fn visible_thread(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<ThreadRow, ActionError> {
        let thread = self
            .db
            .thread(actor.circle.row_id, id)
            .await?
            .filter(|t| !t.withdrawn || t.author_id == actor.user.id)
            .ok_or(ActionError::NotFound)?;
        if thread.author_id != actor.user.id {
            if self.hidden_from(actor).await?.contains(&thread.author_id) {
                return Err(ActionError::NotFound);
            }
            if self
                .moderated_filter(actor)
                .await?
                .hides(TargetKind::Thread, thread.id)
                && !self.is_moderator(actor).await?
            {
                return Err(ActionError::NotFound);
            }
        }
        Ok(thread)
    }

    /// One thread with its replies, as the actor may read it; reading it marks it read.
    pub async fn thread_page(&self, actor: &Actor, id: i64) -> Result<ThreadPage, ActionError> {
        let thread = self.visible_thread(actor, id).await?;
        let hidden = self.hidden_from(actor).await?;
        let moderated = self.moderated_filter(actor).await?;
        let replies: Vec<ReplyRow> = self
            .db
            .replies(thread.id)
            .await?
            .into_iter()
            .filter(|r| !hidden.contains(&r.author_id))
            .filter(|r| !moderated.hides(TargetKind::Reply, r.id))
            .collect();
        self.db
            .mark_thread_read(
                thread.id,
                actor.user.id,
                thread.last_reply_id,
                self.now_ms(),
            )
            .await?;
        let (seen_by, seen_count) = self.db.seen_by(thread.id, thread.last_reply_id).await?;
        let seen_by = seen_by
            .into_iter()
            .filter(|(user, _)| !hidden.contains(user))
            .collect();
        let is_author = thread.author_id == actor.user.id;
        Ok(ThreadPage {
            follow: self.db.follow_mode(thread.id, actor.user.id).await?,
            may_change: rules::may_change(actor.is_steward, is_author),
            may_pin: rules::may_pin(actor.is_steward),
            may_propose: rules::may_propose(actor.is_steward, is_author, thread.proposal_number),
            held: moderated.state(TargetKind::Thread, thread.id).is_some(),
            replies,
            seen_by,
            seen_count,
            thread,
        })
    }

    /// A member replies in a thread; its followers are told (not the author of the reply, and
    /// not anyone who blocked them or whom they blocked).
    pub async fn reply_thread(
        &self,
        actor: &Actor,
        id: i64,
        text: &str,
    ) -> Result<i64, ActionError> {
        let body = rules::parse_reply(text)?;
        let thread = self.visible_thread(actor, id).await?;
        if thread.withdrawn {
            return Err(invalid("reply", "discussion-error-withdrawn"));
        }
        self.check_may_post(actor, SandboxLimit::Comments).await?;
        let reply = self
            .db
            .reply(thread.id, actor.user.id, &body, self.now_ms())
            .await?
            .ok_or(invalid("reply", "discussion-error-full"))?;
        let held = self
            .hold_if_needed(actor, TargetKind::Reply, reply, &body)
            .await?;
        if !held {
            let circle = actor.circle.row_id;
            let outgoing = self
                .outgoing(actor.user.id, circle, Some((TargetKind::Reply, reply)))
                .await?;
            let followers = self.db.followers(thread.id).await?;
            for follower in &followers {
                if *follower != actor.user.id {
                    self.notify_from(
                        &outgoing,
                        Channel::Reply,
                        reply_note(*follower, circle, thread.id),
                    )
                    .await?;
                }
            }
            self.tell_mentioned(actor, thread.id, &body, &outgoing, &followers)
                .await?;
        }
        Ok(reply)
    }

    /// Tells the members a post mentions by `@name`, through the reach rule (a block either
    /// way, their mute or a suspension leaves them untold), unless they are its author or were
    /// told of it already (`told`: the thread's followers).
    async fn tell_mentioned(
        &self,
        actor: &Actor,
        thread: i64,
        body: &str,
        outgoing: &crate::reach::service::Outgoing,
        told: &[i64],
    ) -> Result<(), ActionError> {
        for username in rules::mentions(body) {
            let Some(member) = self.find_active_member(actor, username.as_str()).await? else {
                continue;
            };
            if member.user_id == actor.user.id || told.contains(&member.user_id) {
                continue;
            }
            let note = thread_note(
                member.user_id,
                actor.circle.row_id,
                thread,
                NotificationKind::Mention,
            );
            self.notify_from(outgoing, Channel::Mention, note).await?;
        }
        Ok(())
    }

    /// Follows, mutes, or goes back to the default for a thread the actor can see.
    pub async fn set_thread_follow(
        &self,
        actor: &Actor,
        id: i64,
        mode: Option<FollowMode>,
    ) -> Result<(), ActionError> {
        let thread = self.visible_thread(actor, id).await?;
        Ok(self.db.set_follow(thread.id, actor.user.id, mode).await?)
    }

    /// Changes a thread's title and text (its author or a steward).
    pub async fn edit_thread(
        &self,
        actor: &Actor,
        id: i64,
        command: &ThreadCommand,
    ) -> Result<(), ActionError> {
        self.check_not_suspended(actor)?;
        let thread = self.visible_thread(actor, id).await?;
        if !rules::may_change(actor.is_steward, thread.author_id == actor.user.id) {
            return Err(ActionError::Forbidden);
        }
        // A limited member's change waits for a moderator before anyone reads it: held first,
        // then written.
        let text = format!("{}\n\n{}", command.title, command.body);
        self.hold_if_needed(actor, TargetKind::Thread, thread.id, &text)
            .await?;
        if !self
            .db
            .edit_thread(thread.id, &command.title, &command.body, self.now_ms())
            .await?
        {
            return Err(invalid("body", "discussion-error-edits-thread"));
        }
        Ok(())
    }

    /// Pins or unpins a thread (stewards).
    pub async fn pin_thread(
        &self,
        actor: &Actor,
        id: i64,
        pinned: bool,
    ) -> Result<(), ActionError> {
        if !rules::may_pin(actor.is_steward) {
            return Err(ActionError::Forbidden);
        }
        let thread = self.visible_thread(actor, id).await?;
        Ok(self.db.pin_thread(thread.id, pinned).await?)
    }

    /// Withdraws a thread (its author or a steward).
    pub async fn withdraw_thread(&self, actor: &Actor, id: i64) -> Result<(), ActionError> {
        let thread = self.visible_thread(actor, id).await?;
        if !rules::may_change(actor.is_steward, thread.author_id == actor.user.id) {
            return Err(ActionError::Forbidden);
        }
        Ok(self.db.withdraw_thread(thread.id, self.now_ms()).await?)
    }

    /// Turns a thread into a draft proposal carrying its title and text, once (its author or
    /// a steward, as far as the circle lets them propose): the proposal's number.
    pub async fn thread_to_proposal(
        &self,
        actor: &Actor,
        tr: &Tr,
        id: i64,
    ) -> Result<i64, ActionError> {
        let thread = self.visible_thread(actor, id).await?;
        let is_author = thread.author_id == actor.user.id;
        if !rules::may_propose(actor.is_steward, is_author, thread.proposal_number) {
            return Err(ActionError::Forbidden);
        }
        let path = format!("/c/{}/discussions/{}", actor.circle.slug, thread.id);
        let input = ProposalInput {
            title: thread.title.clone(),
            body: rules::proposal_body(&thread.body, &path, &tr.t("discussion-proposal-from")),
            method: "consent".into(),
            action: "none".into(),
            delegation: None,
            ..ProposalInput::default()
        };
        let proposal = self.create_proposal(actor, &input).await?;
        if !self
            .db
            .link_thread_proposal(thread.id, proposal.number)
            .await?
        {
            // Someone turned it into a proposal at the same moment: theirs stands; this draft
            // stays the actor's own, to keep or withdraw.
            return Err(invalid("thread", "discussion-error-already-proposed"));
        }
        Ok(proposal.number)
    }

    /// A steward adds a category.
    pub async fn add_discussion_category(
        &self,
        actor: &Actor,
        command: &CategoryCommand,
    ) -> Result<i64, ActionError> {
        if !actor.is_steward {
            return Err(ActionError::Forbidden);
        }
        self.discussion_categories(actor).await?;
        self.db
            .add_discussion_category(
                actor.circle.row_id,
                &command.name,
                &command.description,
                self.now_ms(),
            )
            .await?
            .ok_or(invalid("name", "discussion-error-categories-full"))
    }

    /// A steward renames or describes a category of their circle.
    pub async fn update_discussion_category(
        &self,
        actor: &Actor,
        id: i64,
        command: &CategoryCommand,
    ) -> Result<(), ActionError> {
        if !actor.is_steward {
            return Err(ActionError::Forbidden);
        }
        self.db
            .update_discussion_category(
                actor.circle.row_id,
                id,
                &command.name,
                &command.description,
            )
            .await?
            .then_some(())
            .ok_or(ActionError::NotFound)
    }

    /// A steward removes a category of their circle; its threads move to the first other one.
    /// The last category stays.
    pub async fn remove_discussion_category(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<(), ActionError> {
        if !actor.is_steward {
            return Err(ActionError::Forbidden);
        }
        let categories = self.discussion_categories(actor).await?;
        if !categories.iter().any(|c| c.id == id) {
            return Err(ActionError::NotFound);
        }
        let move_to = categories
            .iter()
            .find(|c| c.id != id)
            .ok_or(invalid("category", "discussion-error-last-category"))?;
        self.db
            .remove_discussion_category(actor.circle.row_id, id, move_to.id)
            .await?
            .then_some(())
            .ok_or(ActionError::NotFound)
    }
}
