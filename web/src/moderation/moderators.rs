//! Who moderates a circle: stewards appoint members a passed proposal named, end an
//! appointment, and set whether the log names moderators.

#![allow(clippy::result_large_err)]

use crate::db::CircleFlag;
use crate::services::{invalid, ActionError, Actor, Services};

impl Services {
    /// A steward appoints a member to moderate, citing the passed proposal that decided it.
    pub async fn appoint_moderator(
        &self,
        actor: &Actor,
        username: &str,
        proposal_number: i64,
    ) -> Result<(), ActionError> {
        crate::services::require_steward(actor)?;
        let member = self
            .active_member(actor, username.trim())
            .await
            .map_err(|_| invalid("member", "error-member-unknown"))?;
        let proposal = self
            .proposal_of(actor, proposal_number)
            .await
            .map_err(|_| invalid("proposal", "moderation-error-proposal"))?;
        let rounds = self.governance.rounds(proposal.id).await?;
        let passed = rounds
            .last()
            .and_then(|round| round.decision.as_ref())
            .and_then(|decision| {
                serde_json::from_value::<commons_governance::tally::Outcome>(
                    decision.outcome.clone(),
                )
                .ok()
            })
            .is_some_and(|outcome| outcome.passed());
        if !passed {
            return Err(invalid("proposal", "moderation-error-proposal"));
        }
        self.db
            .appoint_moderator(
                actor.circle.row_id,
                member.card.user_id,
                proposal.number,
                actor.user.id,
                self.now_ms(),
            )
            .await?;
        Ok(())
    }

    /// A steward ends an appointment.
    pub async fn remove_moderator(&self, actor: &Actor, user_id: i64) -> Result<(), ActionError> {
        crate::services::require_steward(actor)?;
        if !self
            .db
            .remove_moderator(actor.circle.row_id, user_id)
            .await?
        {
            return Err(ActionError::NotFound);
        }
        Ok(())
    }

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

    /// Who moderates the circle besides its stewards, whether the log names them, and whether
    /// appeals go to the circle by vote.
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
        Ok((self.db.moderators(circle).await?, names_shown, by_vote))
    }

    /// Whether the action was already appealed.
    pub async fn appeal_made(&self, actor: &Actor, seq: i64) -> Result<bool, ActionError> {
        Ok(self.db.appealed(actor.circle.row_id, seq).await?)
    }
}
