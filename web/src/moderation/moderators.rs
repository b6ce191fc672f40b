//! Who moderates a circle: the stewards, and the members the ledger records as appointed by a
//! passed proposal (`AppointModerator`, until an `EndModerator` or their removal). Stewards set
//! whether the log names moderators and whether appeals go to the circle by vote.

#![allow(clippy::result_large_err)]

use crate::db::CircleFlag;
use crate::services::{ActionError, Actor, Services};

impl Services {
    /// A steward sets the circle's moderation policy.
    pub async fn set_moderation_policy(
        &self,
        actor: &Actor,
        names_shown: bool,
        appeals_by_vote: bool,
    ) -> Result<(), ActionError> {
        crate::services::require_steward(actor)?;
        let circle = actor.circle.row_id;
        self.ensure_settings_row(&actor.circle).await?;
        self.db
            .set_circle_flag(circle, CircleFlag::ModeratorNamesShown, names_shown)
            .await?;
        self.db
            .set_circle_flag(circle, CircleFlag::AppealsByVote, appeals_by_vote)
            .await?;
        Ok(())
    }

    /// Who moderates the circle besides its stewards (the appointments the ledger holds, with
    /// the proposal that made each), whether the log names them, and whether appeals go to the
    /// circle by vote.
    pub async fn moderation_setup(
        &self,
        actor: &Actor,
    ) -> Result<(Vec<crate::db::ModeratorRow>, bool, bool), ActionError> {
        let circle = actor.circle.row_id;
        let names_shown = self
            .db
            .circle_flag(circle, CircleFlag::ModeratorNamesShown)
            .await?;
        let by_vote = self
            .db
            .circle_flag(circle, CircleFlag::AppealsByVote)
            .await?;
        let moderators = self.moderator_ids(actor).await?;
        let mut appointed = self.db.moderators(circle).await?;
        appointed.retain(|row| moderators.contains(&row.user_id));
        Ok((appointed, names_shown, by_vote))
    }

    /// Whether the action was already appealed.
    pub async fn appeal_made(&self, actor: &Actor, seq: i64) -> Result<bool, ActionError> {
        Ok(self.db.appealed(actor.circle.row_id, seq).await?)
    }
}
