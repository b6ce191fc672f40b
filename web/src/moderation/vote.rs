//! Appeals the circle decides by vote, when its policy says so: the appeal becomes a proposal
//! (majority, in discussion, written by the member who appeals), and when it is decided the
//! node writes the circle's decision into the moderation log under its own key — the action
//! undone if the proposal passed, kept otherwise — just as it enacts a passed proposal in the
//! ledger.

#![allow(clippy::result_large_err)]

use commons_governance::moderation::{ActionKind, TargetKind};
use commons_governance::policy::{Status, Step};
use commons_governance::tally::Outcome;

use crate::db::CaseRow;
use crate::governance::ProposalInput;
use crate::moderation::log::{ActionDraft, Signer};
use crate::services::{ActionError, Actor, Services};
use commons_governance::moderation::Action;

/// What the node decides for an appeal once its proposal is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Still being discussed or voted on.
    Pending,
    /// Withdrawn: back to the moderators.
    ToModerators,
    /// Passed: the appealed action is undone.
    Undo,
    /// Decided otherwise: the action stands.
    Keep,
}

/// The verdict of an appeal from its proposal's status and the outcome of its last round.
pub fn verdict(status: Status, outcome: Option<&Outcome>) -> Verdict {
    match (status, outcome) {
        (Status::Withdrawn, _) => Verdict::ToModerators,
        (_, Some(outcome)) if outcome.passed() => Verdict::Undo,
        (Status::Closed | Status::Enacted, Some(_)) => Verdict::Keep,
        _ => Verdict::Pending,
    }
}

/// The undoing of an appealed action: a hidden item is shown again, anything else lifted.
pub fn undo_of(appealed: ActionKind) -> ActionKind {
    if appealed == ActionKind::Hide {
        ActionKind::Restore
    } else {
        ActionKind::Lift
    }
}

impl Services {
    /// Makes an appeal a proposal the circle votes on (majority), in discussion at once,
    /// written by the member who appeals. Answers its number, or `None` when the circle's
    /// policy does not let members propose (the moderators hear the appeal then).
    pub(crate) async fn appeal_to_circle(
        &self,
        actor: &Actor,
        case_id: i64,
        action: &Action,
        statement: &str,
    ) -> Result<Option<i64>, ActionError> {
        let input = ProposalInput {
            title: crate::governance::titles::appeal_title(action.seq),
            body: format!(
                "**{}**: {}\n\n{}\n\n---\n\nPassing this proposal undoes moderation action #{}; otherwise it stands.",
                action.kind.as_str(),
                action.reason,
                statement,
                action.seq
            ),
            method: "majority".into(),
            action: "none".into(),
            ..ProposalInput::default()
        };
        let proposal = match self.create_proposal(actor, &input).await {
            Ok(proposal) => proposal,
            Err(
                ActionError::Invalid { .. }
                | ActionError::Fields(_)
                | ActionError::Forbidden
                | ActionError::Suspended(_),
            ) => return Ok(None),
            Err(other) => return Err(other),
        };
        self.proposal_step(actor, proposal.number, Step::StartDiscussion)
            .await?;
        self.db
            .set_case_proposal(case_id, Some(proposal.number))
            .await?;
        Ok(Some(proposal.number))
    }

    /// The job: every appeal whose proposal was decided gets the circle's decision, signed by
    /// the node into the moderation log. Answers how many were settled.
    pub async fn settle_appeals_by_vote(&self) -> Result<usize, ActionError> {
        let circles = self.circles_by_row().await?;
        let mut settled = 0;
        for case in self.db.appeals_in_vote().await? {
            let (Some(info), Some(number)) = (circles.get(&case.circle), case.proposal_number)
            else {
                continue;
            };
            let Some(proposal) = self.governance.proposal(info.row_id, number).await? else {
                continue;
            };
            let rounds = self.governance.rounds(proposal.id).await?;
            let outcome = rounds
                .last()
                .and_then(|round| round.decision.as_ref())
                .and_then(|d| serde_json::from_value::<Outcome>(d.outcome.clone()).ok());
            settled += usize::from(
                self.settle_appeal(info, &case, verdict(proposal.status, outcome.as_ref()))
                    .await?,
            );
        }
        Ok(settled)
    }

    async fn settle_appeal(
        &self,
        info: &commons_ledger::store::CircleInfo,
        case: &CaseRow,
        verdict: Verdict,
    ) -> Result<bool, ActionError> {
        let (Some(seq), Some(number)) = (case.appeal_of, case.proposal_number) else {
            return Ok(false);
        };
        let appealed = match self.db.log_entry(info.row_id, seq).await? {
            Some(row) => crate::moderation::log::signed_of(&row)?.record,
            None => return Ok(false),
        };
        let kind = match verdict {
            Verdict::Pending => return Ok(false),
            Verdict::ToModerators => {
                self.db.set_case_proposal(case.id, None).await?;
                return Ok(true);
            }
            Verdict::Undo => undo_of(appealed.kind),
            Verdict::Keep => ActionKind::Uphold,
        };
        let draft = ActionDraft {
            kind,
            target: appealed.target,
            target_id: if matches!(appealed.target, TargetKind::Member | TargetKind::Profile) {
                0
            } else {
                appealed.target_id
            },
            subject: appealed.subject,
            agreements: appealed.agreements.clone(),
            reason: format!("The circle decided this appeal by proposal #{number}."),
            ends_at_ms: None,
            refers_to: Some(seq as u64),
        };
        let node = self.store.node_secret(info).await?;
        let by = Signer {
            key: &node,
            moderator_id: None,
        };
        let new_seq = self
            .append_signed(info, by, &draft, case.subject_id, Some(case.id))
            .await?;
        self.apply_effect(
            info.row_id,
            case,
            kind,
            None,
            Some((appealed.kind, appealed.ends_at_ms)),
        )
        .await?;
        self.tell_outcome(info.row_id, case, kind, new_seq).await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passed_appeal_undoes_the_action_a_lost_one_keeps_it_and_a_withdrawn_one_goes_back() {
        assert_eq!(
            verdict(Status::Closed, Some(&Outcome::Passed)),
            Verdict::Undo
        );
        assert_eq!(
            verdict(Status::Closed, Some(&Outcome::Rejected)),
            Verdict::Keep
        );
        assert_eq!(
            verdict(Status::Closed, Some(&Outcome::NoQuorum)),
            Verdict::Keep
        );
        assert_eq!(verdict(Status::Voting, None), Verdict::Pending);
        assert_eq!(verdict(Status::Discussion, None), Verdict::Pending);
        assert_eq!(verdict(Status::Withdrawn, None), Verdict::ToModerators);
        assert_eq!(undo_of(ActionKind::Hide), ActionKind::Restore);
        assert_eq!(undo_of(ActionKind::Suspend), ActionKind::Lift);
    }
}
