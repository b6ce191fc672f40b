//! What a member reports: finding the item in their circle as they see it, its author, and
//! the words kept as reported.

#![allow(clippy::result_large_err)]

use commons_governance::moderation::TargetKind;

use crate::moderation::service::{target_id, ReportTarget};
use crate::services::{invalid, ActionError, Actor, Services};

impl Services {
    /// What the actor would report: the item must be in their circle, visible to them, and
    /// not their own.
    pub async fn report_target(
        &self,
        actor: &Actor,
        kind: TargetKind,
        id: &str,
    ) -> Result<ReportTarget, ActionError> {
        let slug = &actor.circle.slug;
        let (id, subject, snapshot, back) = match kind {
            TargetKind::Listing => {
                let listing = self.listing(actor, target_id(id)?).await?;
                let text = format!("{}\n\n{}", listing.title, listing.description);
                (
                    listing.id,
                    listing.owner,
                    text,
                    format!("/c/{slug}/market/{}", listing.id),
                )
            }
            TargetKind::Message => {
                let (deal_id, message) = self
                    .market
                    .message(actor.circle.row_id, target_id(id)?)
                    .await?
                    .ok_or(ActionError::NotFound)?;
                let deal = self.deal_for(actor, deal_id).await?;
                (
                    message.id,
                    message.author,
                    message.body,
                    format!("/c/{slug}/deals/{}", deal.deal.id),
                )
            }
            TargetKind::Comment => {
                let comment = self
                    .governance
                    .comment(actor.circle.row_id, target_id(id)?)
                    .await?
                    .ok_or(ActionError::NotFound)?;
                if self.hidden_from(actor).await?.contains(&comment.author) {
                    return Err(ActionError::NotFound);
                }
                (
                    comment.id,
                    comment.author,
                    comment.body,
                    format!("/c/{slug}/proposals"),
                )
            }
            TargetKind::Proposal => {
                let proposal = self.proposal_of(actor, target_id(id)?).await?;
                let text = format!("{}\n\n{}", proposal.draft.title, proposal.draft.body);
                (
                    proposal.number,
                    proposal.author,
                    text,
                    format!("/c/{slug}/proposals/{}", proposal.number),
                )
            }
            TargetKind::News => {
                let post = self.news_page(actor, target_id(id)?).await?.post;
                let text = format!("{}\n\n{}", post.title, post.body);
                (
                    post.id,
                    post.author_id,
                    text,
                    format!("/c/{slug}/news/{}", post.id),
                )
            }
            TargetKind::NewsComment => {
                let comment = self
                    .db
                    .news_comment(actor.circle.row_id, target_id(id)?)
                    .await?
                    .ok_or(ActionError::NotFound)?;
                let post = self.news_page(actor, comment.post).await?;
                if !post.comments.iter().any(|c| c.id == comment.id) {
                    return Err(ActionError::NotFound);
                }
                (
                    comment.id,
                    comment.author_id,
                    comment.body,
                    format!("/c/{slug}/news/{}", comment.post),
                )
            }
            TargetKind::Thread => {
                let thread = self.visible_thread(actor, target_id(id)?).await?;
                let text = format!("{}\n\n{}", thread.title, thread.body);
                (
                    thread.id,
                    thread.author_id,
                    text,
                    format!("/c/{slug}/discussions/{}", thread.id),
                )
            }
            TargetKind::Reply => {
                let reply = self
                    .db
                    .discussion_reply(actor.circle.row_id, target_id(id)?)
                    .await?
                    .ok_or(ActionError::NotFound)?;
                self.visible_thread(actor, reply.thread).await?;
                if self.hidden_from(actor).await?.contains(&reply.author_id) {
                    return Err(ActionError::NotFound);
                }
                (
                    reply.id,
                    reply.author_id,
                    reply.body,
                    format!("/c/{slug}/discussions/{}", reply.thread),
                )
            }
            // Private messages are reported from their conversation, where the reporter
            // chooses which to show (`Services::report_conversation`); never by number.
            TargetKind::ConversationMessage => return Err(ActionError::NotFound),
            TargetKind::Profile | TargetKind::Member => {
                let member = self.active_member(actor, id).await?.card;
                let text = match kind {
                    TargetKind::Profile => format!("{}\n\n{}", member.display_name, member.bio),
                    _ => member.display_name.clone(),
                };
                (
                    member.user_id,
                    member.user_id,
                    text,
                    format!("/c/{slug}/members/{}", member.username),
                )
            }
        };
        if subject == actor.user.id {
            return Err(invalid("note", "moderation-error-own"));
        }
        // An item a moderator hid or holds is not there for others, even by its number: its
        // words would show on the report form.
        if matches!(
            kind,
            TargetKind::Message | TargetKind::Comment | TargetKind::NewsComment | TargetKind::Reply
        ) && self.moderated_filter(actor).await?.hides(kind, id)
        {
            return Err(ActionError::NotFound);
        }
        let subject_name = self
            .people_by_id(actor, &[subject])
            .await?
            .remove(&subject)
            .map_or_else(|| "—".to_owned(), |p| p.display_name);
        Ok(ReportTarget {
            kind,
            id,
            subject_id: Some(subject),
            subject_name,
            snapshot,
            back,
        })
    }
}
