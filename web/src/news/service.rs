//! News and announcements: publishing (stewards, and members if the circle allows), pinning
//! and announcing (stewards), changing or withdrawing (the author or a steward), comments
//! (every member, with the sandbox, suspensions, held posts and blocks applied), and reading.

#![allow(clippy::result_large_err)]

use commons_governance::moderation::TargetKind;

use crate::db::news::{NewNews, NewsCommentRow, NewsRow};
use crate::membership::sandbox::SandboxLimit;
use crate::news::rules::{self, NewsCommand};
use crate::notifications::{NewNotification, NotificationKind};
use crate::reach::Channel;
use crate::services::{invalid, ActionError, Actor, Services};

/// A post as a member reads it, with its comments.
#[derive(Debug, Clone)]
pub struct NewsPage {
    pub post: NewsRow,
    pub comments: Vec<NewsCommentRow>,
    pub may_change: bool,
    pub may_pin: bool,
    /// The post waits for a moderator (its author sees it).
    pub held: bool,
    /// Whether it is on the circle's public page, for whoever may share it (`None`: nothing
    /// to offer).
    pub public: Option<bool>,
    pub photos: Vec<crate::db::news_photos::NewsPhoto>,
    /// The single-use token of the photo form, for whoever may change the post (set by the
    /// page's handler).
    pub upload_token: Option<String>,
}

fn news_note(user: i64, circle: i64, post: i64) -> NewNotification {
    NewNotification {
        user,
        circle,
        kind: NotificationKind::News,
        listing: None,
        other_listing: None,
        deal: None,
        proposal: None,
        moderation: None,
        news: Some(post),
        thread: None,
        conversation: None,
    }
}

impl Services {
    /// Whether the circle lets members (not only stewards) publish news.
    pub async fn members_may_post_news(&self, actor: &Actor) -> Result<bool, ActionError> {
        Ok(self
            .db
            .circle_flag(
                actor.circle.row_id,
                crate::db::CircleFlag::MembersMayPostNews,
            )
            .await?)
    }

    /// Whether the actor may publish news in their circle.
    pub async fn may_post_news(&self, actor: &Actor) -> Result<bool, ActionError> {
        let members = self
            .db
            .circle_flag(
                actor.circle.row_id,
                crate::db::CircleFlag::MembersMayPostNews,
            )
            .await?;
        Ok(rules::may_post(actor.is_steward, members))
    }

    /// Publishes a post; an announcement notifies every member.
    pub async fn publish_news(
        &self,
        actor: &Actor,
        command: &NewsCommand,
    ) -> Result<i64, ActionError> {
        self.check_not_suspended(actor)?;
        if !self.may_post_news(actor).await? {
            return Err(ActionError::Forbidden);
        }
        let steward_only = command.pinned || command.announce;
        if steward_only && !rules::may_pin_or_announce(actor.is_steward) {
            return Err(ActionError::Forbidden);
        }
        let circle = actor.circle.row_id;
        let news = NewNews {
            circle,
            author_id: actor.user.id,
            title: &command.title,
            body: &command.body,
            pinned: command.pinned,
            announced: command.announce,
        };
        let id = self
            .db
            .publish_news(&news, self.now_ms())
            .await?
            .ok_or(invalid("body", "news-error-too-many"))?;
        let text = format!("{}\n\n{}", command.title, command.body);
        let held = self
            .hold_if_needed(actor, TargetKind::News, id, &text)
            .await?;
        if command.announce && !held {
            let outgoing = self
                .outgoing(actor.user.id, circle, Some((TargetKind::News, id)))
                .await?;
            for person in self.db.active_members(circle).await? {
                if person.user_id != actor.user.id {
                    self.notify_from(
                        &outgoing,
                        Channel::Announcement,
                        news_note(person.user_id, circle, id),
                    )
                    .await?;
                }
            }
        }
        Ok(id)
    }

    /// A post of the actor's circle that the actor may see.
    pub(super) async fn visible_news(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<NewsRow, ActionError> {
        let post = self
            .db
            .news_post(actor.circle.row_id, id)
            .await?
            .filter(|post| !post.withdrawn || post.author_id == actor.user.id)
            .ok_or(ActionError::NotFound)?;
        if post.author_id != actor.user.id {
            if self.hidden_from(actor).await?.contains(&post.author_id) {
                return Err(ActionError::NotFound);
            }
            if self
                .moderated_filter(actor)
                .await?
                .hides(TargetKind::News, post.id)
                && !self.is_moderator(actor).await?
            {
                return Err(ActionError::NotFound);
            }
        }
        Ok(post)
    }

    /// A page of the circle's news (pinned first), without what the actor does not see, and
    /// where the next page starts, if there may be one.
    pub async fn news(
        &self,
        actor: &Actor,
        before: Option<i64>,
    ) -> Result<(Vec<NewsRow>, Option<i64>), ActionError> {
        let hidden = self.hidden_from(actor).await?;
        let moderated = self.moderated_filter(actor).await?;
        let (posts, more) = self.db.news_page(actor.circle.row_id, before).await?;
        self.mark_first_step(actor, crate::onboarding::rules::Step::News)
            .await?;
        let posts = posts
            .into_iter()
            .filter(|post| !hidden.contains(&post.author_id))
            .filter(|post| !moderated.hides(TargetKind::News, post.id))
            .collect();
        Ok((posts, more))
    }

    /// One post with its comments, as the actor may read it.
    pub async fn news_page(&self, actor: &Actor, id: i64) -> Result<NewsPage, ActionError> {
        let post = self.visible_news(actor, id).await?;
        let hidden = self.hidden_from(actor).await?;
        let moderated = self.moderated_filter(actor).await?;
        let comments = self
            .db
            .news_comments(post.id)
            .await?
            .into_iter()
            .filter(|c| !hidden.contains(&c.author_id))
            .filter(|c| !moderated.hides(TargetKind::NewsComment, c.id))
            .collect();
        let public = self
            .share_state(
                actor,
                crate::public::rules::Shared::News,
                post.id,
                post.author_id,
            )
            .await?;
        Ok(NewsPage {
            public,
            photos: self.db.news_photos(post.id).await?,
            upload_token: None,
            may_change: rules::may_change(actor.is_steward, post.author_id == actor.user.id),
            may_pin: rules::may_pin_or_announce(actor.is_steward),
            held: moderated.state(TargetKind::News, post.id).is_some(),
            comments,
            post,
        })
    }

    /// Changes a post's title and text (its author or a steward).
    pub async fn edit_news(
        &self,
        actor: &Actor,
        id: i64,
        command: &NewsCommand,
    ) -> Result<(), ActionError> {
        self.check_not_suspended(actor)?;
        let post = self.visible_news(actor, id).await?;
        if !rules::may_change(actor.is_steward, post.author_id == actor.user.id) {
            return Err(ActionError::Forbidden);
        }
        self.db
            .edit_news(post.id, &command.title, &command.body, self.now_ms())
            .await?;
        let text = format!("{}\n\n{}", command.title, command.body);
        self.hold_if_needed(actor, TargetKind::News, post.id, &text)
            .await?;
        Ok(())
    }

    /// Pins or unpins a post (stewards).
    pub async fn pin_news(&self, actor: &Actor, id: i64, pinned: bool) -> Result<(), ActionError> {
        if !rules::may_pin_or_announce(actor.is_steward) {
            return Err(ActionError::Forbidden);
        }
        let post = self.visible_news(actor, id).await?;
        Ok(self.db.pin_news(post.id, pinned).await?)
    }

    /// Withdraws a post (its author or a steward).
    pub async fn withdraw_news(&self, actor: &Actor, id: i64) -> Result<(), ActionError> {
        let post = self.visible_news(actor, id).await?;
        if !rules::may_change(actor.is_steward, post.author_id == actor.user.id) {
            return Err(ActionError::Forbidden);
        }
        Ok(self.db.withdraw_news(post.id, self.now_ms()).await?)
    }

    /// A member comments on a post.
    pub async fn comment_news(
        &self,
        actor: &Actor,
        id: i64,
        text: &str,
    ) -> Result<i64, ActionError> {
        let body = rules::parse_comment(text)?;
        let post = self.visible_news(actor, id).await?;
        if post.withdrawn {
            return Err(invalid("comment", "news-error-withdrawn"));
        }
        self.check_may_post(actor, SandboxLimit::Comments).await?;
        let comment = self
            .db
            .comment_news(post.id, actor.user.id, &body, self.now_ms())
            .await?
            .ok_or(invalid("comment", "news-error-comments-full"))?;
        self.hold_if_needed(actor, TargetKind::NewsComment, comment, &body)
            .await?;
        Ok(comment)
    }

    /// A steward sets whether members may post news.
    pub async fn set_members_may_post_news(
        &self,
        actor: &Actor,
        allowed: bool,
    ) -> Result<(), ActionError> {
        crate::services::require_steward(actor)?;
        let circle = actor.circle.row_id;
        self.ensure_settings_row(&actor.circle).await?;
        Ok(self
            .db
            .set_circle_flag(circle, crate::db::CircleFlag::MembersMayPostNews, allowed)
            .await?)
    }
}
