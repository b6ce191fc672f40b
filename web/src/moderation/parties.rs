//! Who may hear a case: a moderator who is a party to it (its subject, a reporter, the
//! moderator whose action is appealed, or blocked either way with one of them) may not take,
//! note or decide it; limiting or suspending someone who moderates waits for a second
//! moderator unless a steward acts; and an appeal always has someone to hear it.

#![allow(clippy::result_large_err)]

use crate::db::second_opinions::PendingAction;
use crate::db::{BlockKind, CaseRow};
use crate::moderation::rules::{self, Parties};
use crate::moderation::service::ActCommand;
use crate::services::{ActionError, Actor, Services};

/// What a moderator's decision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acted {
    /// The action is signed into the log at this number.
    Logged(u64),
    /// Limiting or suspending someone who moderates waits for a second moderator.
    AwaitingSecond,
}

impl Acted {
    /// The log's number of the action, if it was taken.
    pub fn seq(self) -> Option<u64> {
        match self {
            Acted::Logged(seq) => Some(seq),
            Acted::AwaitingSecond => None,
        }
    }
}

impl Services {
    /// The people a case concerns.
    /// The people a case concerns. An appeal concerns the people of the case it appeals too
    /// (its reporters), besides the moderator whose action is appealed.
    pub(crate) async fn case_parties(&self, case: &CaseRow) -> Result<Parties, ActionError> {
        let mut reporters = self.db.case_reporters(case.id).await?;
        if let Some(seq) = case.appeal_of {
            let appealed = self.db.log_entry(case.circle, seq).await?;
            if let Some(original) = appealed.and_then(|row| row.case_id) {
                reporters.extend(self.db.case_reporters(original).await?);
            }
        }
        Ok(Parties {
            subject: case.subject_id,
            reporters,
            appealed_moderator: case.excluded_moderator,
        })
    }

    /// Whether `moderator` is a party to a case with these parties.
    pub(crate) async fn is_party(
        &self,
        moderator: i64,
        parties: &Parties,
    ) -> Result<bool, ActionError> {
        let blocks = self.db.blocks_touching(moderator).await?;
        let blocked_with = |person: i64| {
            blocks.iter().any(|&(chooser, other, kind)| {
                kind == BlockKind::Block
                    && ((chooser == moderator && other == person)
                        || (chooser == person && other == moderator))
            })
        };
        Ok(parties.includes(moderator, blocked_with))
    }

    /// Refuses a moderator who is a party to the case (see [`Parties`]), in words that say
    /// why and who decides instead.
    pub(crate) async fn refuse_party(
        &self,
        actor: &Actor,
        case: &CaseRow,
    ) -> Result<(), ActionError> {
        let parties = self.case_parties(case).await?;
        if self.is_party(actor.user.id, &parties).await? {
            return Err(crate::services::invalid("note", "moderation-case-party"));
        }
        Ok(())
    }

    /// Whether this person moderates the actor's circle (a steward or appointed).
    pub(crate) async fn moderates(&self, actor: &Actor, user_id: i64) -> Result<bool, ActionError> {
        Ok(self.moderator_ids(actor).await?.contains(&user_id))
    }

    /// Before an action is taken: limiting or suspending someone who moderates is taken only
    /// with a second moderator's agreement (the same kind and end date, proposed by another
    /// who still moderates and is no party) or by a steward; otherwise it is recorded as
    /// proposed (replacing any earlier proposal) and waits. Answers whether to go on.
    pub(crate) async fn second_opinion(
        &self,
        actor: &Actor,
        case: &CaseRow,
        command: &ActCommand,
    ) -> Result<bool, ActionError> {
        let subject_moderates = match case.subject_id {
            Some(subject) => self.moderates(actor, subject).await?,
            None => false,
        };
        if !rules::needs_second(command.kind, subject_moderates, actor.is_steward) {
            return Ok(true);
        }
        let pending = self.db.pending_action(case.id).await?;
        let agrees = match &pending {
            Some(pending) => {
                pending.kind == command.kind
                    && same_days(
                        pending.ends_at_ms.map(|end| end - pending.proposed_at_ms),
                        command.ends_at_ms.map(|end| end - self.now_ms()),
                    )
                    && pending.proposed_by != actor.user.id
                    && self.moderates(actor, pending.proposed_by).await?
                    && !self
                        .is_party(pending.proposed_by, &self.case_parties(case).await?)
                        .await?
            }
            None => false,
        };
        match pending {
            Some(_) if agrees => {
                self.db.clear_pending_action(case.id).await?;
                Ok(true)
            }
            _ => {
                self.db
                    .propose_action(
                        case.id,
                        command.kind.as_str(),
                        actor.user.id,
                        command.ends_at_ms,
                        &command.reason,
                        self.now_ms(),
                    )
                    .await?;
                Ok(false)
            }
        }
    }

    /// What waits on a case for a second moderator.
    pub(crate) async fn pending_of(
        &self,
        case: &CaseRow,
    ) -> Result<Option<PendingAction>, ActionError> {
        Ok(self.db.pending_action(case.id).await?)
    }

    /// Whether anyone could hear an appeal of `appellant` against `appealed_moderator`'s
    /// action: a moderator (steward or appointed) who is not suspended and not a party.
    pub(crate) async fn appeal_has_a_hearer(
        &self,
        actor: &Actor,
        case: &CaseRow,
    ) -> Result<bool, ActionError> {
        let parties = self.case_parties(case).await?;
        let now = self.now_ms();
        let suspensions = self.db.suspensions(actor.circle.row_id).await?;
        for moderator in self.moderator_ids(actor).await? {
            let suspended = suspensions
                .get(&moderator)
                .is_some_and(|until| *until > now);
            if !suspended && !self.is_party(moderator, &parties).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Whether two durations (ms) come to the same number of whole days: the second moderator
/// agrees to the same length of restriction, counted from their agreement.
fn same_days(first_ms: Option<i64>, second_ms: Option<i64>) -> bool {
    let days = |ms: i64| (ms + crate::services::DAY_MS / 2).div_euclid(crate::services::DAY_MS);
    first_ms.map(days) == second_ms.map(days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::DAY_MS;

    #[test]
    fn agreeing_to_a_restriction_means_the_same_number_of_days() {
        assert!(same_days(Some(7 * DAY_MS - 40), Some(7 * DAY_MS)));
        assert!(!same_days(Some(DAY_MS), Some(365 * DAY_MS)));
        assert!(!same_days(Some(DAY_MS), None));
    }
}
