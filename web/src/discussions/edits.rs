//! Discussions, continued: searching threads and replies as the reader may see them, and a
//! member changing their own reply (shown as edited; the earlier words kept for moderators).

#![allow(clippy::result_large_err)]

use commons_governance::moderation::TargetKind;

use crate::db::discussions::{ReplyRow, ThreadRow};
use crate::discussions::rules;
use crate::services::{invalid, ActionError, Actor, Services};

/// Shortest and longest words one searches for, in characters.
pub const SEARCH_CHARS_MIN: usize = 2;
pub const SEARCH_CHARS_MAX: usize = 100;

/// What a search found: threads by their title or opening post, and replies with their
/// thread's title.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    pub words: String,
    pub threads: Vec<ThreadRow>,
    pub replies: Vec<(ReplyRow, String)>,
}

/// The words to search for, trimmed, or why not.
pub fn search_words(text: &str) -> Result<String, &'static str> {
    let words = text.trim();
    let count = words.chars().count();
    if count < SEARCH_CHARS_MIN {
        return Err("discussion-search-short");
    }
    if count > SEARCH_CHARS_MAX || words.chars().any(char::is_control) {
        return Err("discussion-search-long");
    }
    Ok(words.to_owned())
}

impl Services {
    /// Searches the circle's discussions for `words`, as the reader sees them: nothing by
    /// someone they blocked or who blocked them, nothing a moderator hid or holds, no thread
    /// they could not open.
    pub async fn search_discussions(
        &self,
        actor: &Actor,
        words: &str,
    ) -> Result<SearchResults, ActionError> {
        let circle = actor.circle.row_id;
        let hidden = self.hidden_from(actor).await?;
        let moderated = self.moderated_filter(actor).await?;
        let threads = self
            .db
            .search_threads(circle, words)
            .await?
            .into_iter()
            .filter(|t| !hidden.contains(&t.author_id))
            .filter(|t| !moderated.hides(TargetKind::Thread, t.id))
            .collect();
        let mut replies = Vec::new();
        for reply in self.db.search_replies(circle, words).await? {
            if hidden.contains(&reply.author_id) || moderated.hides(TargetKind::Reply, reply.id) {
                continue;
            }
            if let Ok(thread) = self.visible_thread(actor, reply.thread).await {
                replies.push((reply, thread.title));
            }
        }
        Ok(SearchResults {
            words: words.to_owned(),
            threads,
            replies,
        })
    }

    /// One of the actor's own replies, to change; anyone else's is "not found".
    pub async fn own_reply(&self, actor: &Actor, id: i64) -> Result<ReplyRow, ActionError> {
        let reply = self
            .db
            .discussion_reply(actor.circle.row_id, id)
            .await?
            .filter(|r| r.author_id == actor.user.id)
            .ok_or(ActionError::NotFound)?;
        self.visible_thread(actor, reply.thread).await?;
        Ok(reply)
    }

    /// Changes the actor's own reply. The earlier words are kept for the moderators; a
    /// limited member's change waits for a moderator again; nobody is told anew (no
    /// notification, no mention: a change never draws attention).
    pub async fn edit_reply(
        &self,
        actor: &Actor,
        id: i64,
        text: &str,
    ) -> Result<ReplyRow, ActionError> {
        self.check_not_suspended(actor)?;
        let reply = self.own_reply(actor, id).await?;
        if self.visible_thread(actor, reply.thread).await?.withdrawn {
            return Err(invalid("reply", "discussion-error-withdrawn"));
        }
        let body = rules::parse_reply(text)?;
        // A limited member's change waits for a moderator before anyone reads it: held first,
        // then written.
        self.hold_if_needed(actor, TargetKind::Reply, reply.id, &body)
            .await?;
        if !self.db.edit_reply(reply.id, &body, self.now_ms()).await? {
            return Err(invalid("reply", "discussion-error-edits"));
        }
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_needs_two_characters_and_at_most_a_hundred() {
        assert_eq!(search_words(" a "), Err("discussion-search-short"));
        assert_eq!(search_words(" rake ").as_deref(), Ok("rake"));
        assert_eq!(
            search_words(&"x".repeat(101)),
            Err("discussion-search-long")
        );
    }
}
