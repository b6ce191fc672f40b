//! Blocking and muting: a member chooses not to see another (a mute), or that neither sees the
//! other nor can deal with them (a block). Private: only the one who chose ever sees it.

#![allow(clippy::result_large_err)]

use crate::capability::FullAccount;
use std::collections::BTreeSet;

use crate::db::{BlockKind, BlockRow, User};
use crate::names::Username;
use crate::services::*;

impl Services {
    /// Blocks or mutes another member of the actor's circle (never oneself). Blocks reach
    /// across every circle, so only the whole account makes one: a recovered login cannot
    /// turn a block into a mute.
    pub async fn block(
        &self,
        actor: &Actor,
        username: &Username,
        kind: BlockKind,
    ) -> Result<(), ActionError> {
        FullAccount::of(&actor.user)?;
        // Someone of the circle, or of a circle linked with it (who can pay or ask across).
        let other = match self.other_member(actor, username, "member").await {
            Ok(card) => card,
            Err(error) => self.member_across(actor, username).await?.ok_or(error)?,
        };
        if other.user_id == actor.user.id {
            return Err(ActionError::NotFound);
        }
        if !self
            .db
            .set_block(actor.user.id, other.user_id, kind, self.now_ms())
            .await?
        {
            return Err(invalid("member", "block-error-too-many"));
        }
        // What they sent before no longer counts as waiting (the reach rule hides it too).
        self.db
            .mark_read_from(actor.user.id, other.user_id, self.now_ms())
            .await?;
        Ok(())
    }

    /// Undoes what the person chose about someone (a block or a mute); nothing to undo is not
    /// found.
    pub async fn unblock(&self, user: &FullAccount, other_id: i64) -> Result<(), ActionError> {
        if self.db.remove_block(user.id, other_id).await? {
            Ok(())
        } else {
            Err(ActionError::NotFound)
        }
    }

    /// The person's own blocks and mutes, newest first.
    pub async fn my_blocks(&self, user: &User) -> Result<Vec<BlockRow>, ActionError> {
        Ok(self.db.blocks_of(user.id).await?)
    }

    /// What the actor chose about another person, if anything (their page offers the undo).
    pub async fn my_block_of(
        &self,
        actor: &Actor,
        other_id: i64,
    ) -> Result<Option<BlockKind>, ActionError> {
        Ok(self
            .my_blocks(&actor.user)
            .await?
            .into_iter()
            .find(|row| row.other_id == other_id)
            .map(|row| row.kind))
    }

    /// Everyone the actor does not see in lists (market, matches, loops, events, comments):
    /// whom they blocked or muted, and who blocked them.
    pub(crate) async fn hidden_from(&self, actor: &Actor) -> Result<BTreeSet<i64>, ActionError> {
        Ok(self.db.hidden_from(actor.user.id).await?)
    }

    /// Refuses what would reach across a block (opening a deal, a message), in either
    /// direction. The other learns nothing: the listing or deal is simply not there for them.
    pub(crate) async fn refuse_if_blocked(
        &self,
        actor: &Actor,
        other: i64,
    ) -> Result<(), ActionError> {
        if self.db.blocked_between(actor.user.id, other).await? {
            return Err(ActionError::NotFound);
        }
        Ok(())
    }

    /// The pairs among these people where one blocked the other, read once for a page of
    /// trade loops.
    pub(crate) async fn blocks_among(
        &self,
        people: &[i64],
    ) -> Result<BTreeSet<(i64, i64)>, ActionError> {
        let mut unique = people.to_vec();
        unique.sort_unstable();
        unique.dedup();
        Ok(self.db.blocks_among(&unique).await?.into_iter().collect())
    }
}
