//! Closing votes on time (the background job): counting, recording the decision, enacting a
//! passed proposal's actions under the policy in force when voting opened, and reminders.

#![allow(clippy::result_large_err)]

use std::collections::HashSet;

use crate::notifications::NotificationKind;
use commons_governance::policy::agreements_hash;
use commons_governance::store::{Proposal, Round};
use commons_governance::tally::Outcome;
use commons_ledger::entry::{Action, DOCUMENT_AGREEMENTS};
use commons_ledger::keys::{Hash, PublicKey};
use commons_ledger::store::CircleInfo;

use crate::db::MemberStatus;
use crate::services::{ActionError, Services};

impl Services {
    /// Closes every round whose time is over, records its decision, enacts passed proposals
    /// in the ledger, and tells the electorate. Returns how many rounds closed.
    pub async fn close_due_votes(&self) -> Result<usize, ActionError> {
        let now = self.now_ms();
        let mut closed = 0;
        let circles = self.circles_by_row().await?;
        for (circle, number) in self.governance.due(now).await? {
            let Some(info) = circles.get(&circle) else {
                continue;
            };
            // One round that cannot close (a stored record changed behind the node's back)
            // must not hold up every other vote on the node.
            let result = match self.governance.proposal(circle, number).await {
                Ok(Some(proposal)) => self.close_round(info, &proposal).await,
                Ok(None) => Ok(false),
                Err(error) => Err(error.into()),
            };
            match result {
                Ok(true) => closed += 1,
                Ok(false) => {}
                Err(error) => {
                    tracing::error!(%error, circle = %info.slug, proposal = number, "a vote could not be closed");
                }
            }
        }
        // Passed proposals that a crash or a fault kept from taking effect.
        for (circle, number) in self.governance.unenacted().await? {
            let Some(info) = circles.get(&circle) else {
                continue;
            };
            if let Some(proposal) = self.governance.proposal(circle, number).await? {
                if let Err(error) = self.enact_passed(info, &proposal).await {
                    tracing::error!(%error, circle = %info.slug, proposal = number, "a passed proposal could not take effect yet");
                }
            }
        }
        Ok(closed)
    }

    /// Closes a proposal's open round if its time is over (another process may have done it
    /// first); enacts it when it passed; tells the electorate. Returns whether this call closed it.
    pub async fn close_round(
        &self,
        info: &CircleInfo,
        proposal: &Proposal,
    ) -> Result<bool, ActionError> {
        let now = self.now_ms();
        let Some(result) = self.governance.close(proposal, proposal.round, now).await? else {
            return Ok(false);
        };
        if result.outcome == Outcome::Passed {
            self.enact_passed(info, proposal).await?;
        }
        if let Some(round) = self.governance.round(proposal.id, proposal.round).await? {
            let people = self.db.active_members(info.row_id).await?;
            for person in people.iter().filter(|p| {
                round
                    .definition
                    .electorate
                    .binary_search(&p.account_key)
                    .is_ok()
            }) {
                self.notify_proposal(
                    person.user_id,
                    info,
                    proposal.number,
                    NotificationKind::Decided,
                    now,
                )
                .await?;
            }
        }
        Ok(true)
    }

    /// Applies a passed proposal whose last round closed, if it carries actions: the ledger's
    /// refusal is recorded on the proposal (and shown); a fault leaves it to be tried again.
    pub(crate) async fn enact_passed(
        &self,
        info: &CircleInfo,
        proposal: &Proposal,
    ) -> Result<(), ActionError> {
        let Some(round) = self.governance.round(proposal.id, proposal.round).await? else {
            return Ok(());
        };
        let Some(decision) = &round.decision else {
            return Ok(());
        };
        let passed = serde_json::from_value::<Outcome>(decision.outcome.clone())
            .is_ok_and(|o| o == Outcome::Passed);
        if !passed || round.definition.actions.is_empty() {
            return Ok(());
        }
        // What the audit will check, checked before anything is written: the definition keeps
        // the policy the ledger had in force when voting opened.
        let (history, _) = self.governance.history(&self.store, info).await?;
        if let Err(why) = history.check_policy(&round.definition, &round.policy, u64::MAX) {
            tracing::error!(%why, circle = %info.slug, proposal = proposal.number, "a passed proposal breaks the policy and is not enacted");
            self.governance
                .set_enact_error(proposal.id, &why, self.now_ms())
                .await?;
            return Ok(());
        }
        match self.enact(info, proposal, &round).await {
            Ok(()) => Ok(()),
            Err(ActionError::Refused(refusal)) => {
                tracing::warn!(%refusal, circle = %info.slug, proposal = proposal.number, "a passed proposal was refused by the ledger");
                self.governance
                    .set_enact_error(proposal.id, &refusal.to_string(), self.now_ms())
                    .await?;
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// Applies a passed proposal: the ledger entry first (signed by the node key, with the
    /// actions of the frozen round), then what the web space keeps beside the ledger
    /// (memberships, and the agreements or policy whose hashes the actions name).
    pub(crate) async fn enact(
        &self,
        info: &CircleInfo,
        proposal: &Proposal,
        round: &Round,
    ) -> Result<(), ActionError> {
        let board_root = Hash::from_hex(
            &round
                .decision
                .as_ref()
                .map(|d| d.board_root.clone())
                .unwrap_or_default(),
        )
        .map_err(|_| ActionError::Database(sqlx::Error::Decode("a board root".into())))?;
        let actions = round.definition.actions.clone();
        let appended = self
            .store
            .enact(info, round.definition_hash, board_root, actions.clone())
            .await?;
        let now = self.now_ms();
        let documents = &proposal.draft.documents;
        for action in &actions {
            match action {
                Action::Admit { account } => {
                    if let Some(member) = self.member_with_key(info, account).await? {
                        self.db
                            .decide_membership(
                                info.row_id,
                                member,
                                MemberStatus::Active,
                                proposal.author,
                                now,
                            )
                            .await?;
                    }
                }
                Action::Remove { account } => {
                    if let Some(member) = self.member_with_key(info, account).await? {
                        self.db
                            .set_membership_status(info.row_id, member, MemberStatus::Removed)
                            .await?;
                        self.db.remove_moderator(info.row_id, member).await?;
                    }
                }
                // The ledger decides who moderates; the table keeps which proposal did it.
                Action::AppointModerator { account } => {
                    if let Some(member) = self.member_with_key(info, account).await? {
                        self.db
                            .appoint_moderator(
                                info.row_id,
                                member,
                                proposal.number,
                                proposal.author,
                                now,
                            )
                            .await?;
                    }
                }
                Action::EndModerator { account } => {
                    if let Some(member) = self.member_with_key(info, account).await? {
                        self.db.remove_moderator(info.row_id, member).await?;
                    }
                }
                Action::SetDocument { document, hash } if *document == DOCUMENT_AGREEMENTS => {
                    // Only the very text the vote committed to.
                    if let Some(text) = documents
                        .agreements
                        .as_ref()
                        .filter(|text| agreements_hash(text) == *hash)
                    {
                        let mut settings = self
                            .db
                            .circle_settings(info.row_id)
                            .await?
                            .unwrap_or_else(|| crate::db::CircleSettings {
                                description: String::new(),
                                agreements: String::new(),
                                agreements_version: 0,
                                members_may_invite: true,
                                open_to_requests: false,
                            });
                        settings.agreements = text.clone();
                        self.db
                            .save_circle_settings(info.row_id, &settings, now)
                            .await?;
                    }
                }
                Action::SetDocument { hash, .. } => {
                    if let Some(policy) = documents.policy.as_ref().filter(|p| p.hash() == *hash) {
                        self.governance.set_policy(info.row_id, policy, now).await?;
                    }
                }
                _ => {}
            }
        }
        self.governance
            .set_enacted(proposal.id, appended.seq, now)
            .await?;
        Ok(())
    }

    pub(crate) async fn member_with_key(
        &self,
        info: &CircleInfo,
        key: &PublicKey,
    ) -> Result<Option<i64>, ActionError> {
        Ok(self
            .db
            .member_by_key(info.row_id, key)
            .await?
            .map(|(user, _)| user))
    }

    /// Reminds members who have not voted, once per round, as its close comes near.
    pub async fn remind_voters(&self) -> Result<usize, ActionError> {
        let now = self.now_ms();
        let mut reminded = 0;
        for info in self.store.circles().await? {
            let policy = self.governance.policy(info.row_id).await?;
            let rounds = self
                .governance
                .take_reminders(info.row_id, policy.reminder_ms(), now)
                .await?;
            for round in rounds {
                let voted: HashSet<PublicKey> = self
                    .governance
                    .ballots(&round.definition_hash)
                    .await?
                    .into_iter()
                    .map(|b| b.record.voter)
                    .collect();
                let number = round.definition.proposal_id as i64;
                for person in self.db.active_members(info.row_id).await? {
                    if voted.contains(&person.account_key)
                        || round
                            .definition
                            .electorate
                            .binary_search(&person.account_key)
                            .is_err()
                    {
                        continue;
                    }
                    self.notify_proposal(
                        person.user_id,
                        &info,
                        number,
                        NotificationKind::VoteReminder,
                        now,
                    )
                    .await?;
                    reminded += 1;
                }
            }
        }
        Ok(reminded)
    }
}
