//! Voting: ballots the node signs with a member's sealed key or the member signed, delegations
//! (never a cycle), and a round's records and export.

#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use commons_governance::ballot::{Ballot, SignedBallot};
use commons_governance::delegation::{choices, Delegation, Scope};
use commons_governance::policy::Status;
use commons_governance::store::{GovernanceError, Proposal, Round};
use commons_ledger::keys::{Hash, PublicKey};
use commons_ledger::store::CircleInfo;

use crate::capability::Writer;
use crate::db::{MemberStatus, Person};
use crate::services::{invalid, ActionError, Actor, Services};

use crate::governance::*;

/// How far a ballot signed outside the node may say it was cast from the node's clock.
pub const SIGNED_BALLOT_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;
/// Proposals per list on the proposals page.
pub const PROPOSALS_LISTED: i64 = 50;
/// Running results are counted on a page only below this many ballots; above it the page
/// shows the count of ballots until the close.
pub const LIVE_COUNT_BALLOTS_MAX: i64 = 20_000;

impl Services {
    /// The proposal's round that takes ballots now, and the time it was looked at.
    pub(crate) async fn open_round_of(
        &self,
        actor: &Actor,
        number: i64,
    ) -> Result<(Round, i64), ActionError> {
        let proposal = self.proposal_of(actor, number).await?;
        let now = self.now_ms();
        match self.governance.round(proposal.id, proposal.round).await? {
            Some(round) if proposal.status == Status::Voting && round.is_open(now) => {
                Ok((round, now))
            }
            _ => Err(invalid("ballot", "ballot-error-closed")),
        }
    }

    /// Casts the member's ballot in the proposal's open round, signed with their key; returns
    /// the receipt.
    pub async fn vote(
        &self,
        actor: &Actor,
        number: i64,
        fields: &[(String, String)],
    ) -> Result<Hash, ActionError> {
        let (round, now) = self.open_round_of(actor, number).await?;
        let definition = &round.definition;
        if definition
            .electorate
            .binary_search(&actor.membership.account_key)
            .is_err()
        {
            return Err(invalid("ballot", "ballot-error-not-eligible"));
        }
        let choice = parse_choice(&definition.method, definition.option_count(), fields)?;
        if actor.membership.sealed_key.is_none() {
            return Err(invalid("ballot", "ballot-error-own-key"));
        }
        let key = self.signing_key(actor)?;
        // After my latest ballot, even one signed on a machine whose clock runs a little ahead.
        let latest = self
            .governance
            .ballots_of(&round.definition_hash, &actor.membership.account_key)
            .await?
            .first()
            .map_or(i64::MIN, |b| b.record.cast_at_ms);
        let mut cast_at = now.max(latest.saturating_add(1));
        if cast_at > definition.closes_at_ms {
            return Err(invalid("ballot", "ballot-error-closed"));
        }
        for _ in 0..3 {
            let ballot =
                Ballot::new(definition, key.public_key(), cast_at, choice.clone()).sign(&key);
            match self.governance.cast(&ballot, self.now_ms()).await {
                Err(GovernanceError::SameMoment) => cast_at += 1,
                other => return Ok(other?),
            }
        }
        Err(GovernanceError::SameMoment.into())
    }

    /// Accepts a ballot the member signed themselves (a member who holds their own key, through
    /// the API): it must be theirs, for the open round's definition, cast within
    /// [`SIGNED_BALLOT_CLOCK_SKEW_MS`] of the node's clock, with a valid choice and signature.
    /// Only a [`Writer`] casts: a suspended member's own signature counts no more than the
    /// node's would.
    pub async fn cast_signed(
        &self,
        writer: &Writer<'_>,
        number: i64,
        bytes: Vec<u8>,
        signature: commons_ledger::keys::Signature,
    ) -> Result<Hash, ActionError> {
        let actor = writer.actor();
        let (round, now) = self.open_round_of(actor, number).await?;
        let signed = SignedBallot::from_parts(bytes, signature)
            .map_err(|_| invalid("ballot", "ballot-error-malformed"))?;
        let ballot = &signed.record;
        if ballot.voter != actor.membership.account_key {
            return Err(invalid("ballot", "ballot-error-not-yours"));
        }
        if ballot.circle_id != actor.circle.circle_id || ballot.proposal != round.definition_hash {
            return Err(invalid("ballot", "ballot-error-other-proposal"));
        }
        if round
            .definition
            .electorate
            .binary_search(&ballot.voter)
            .is_err()
        {
            return Err(invalid("ballot", "ballot-error-not-eligible"));
        }
        if (ballot.cast_at_ms - now).abs() > SIGNED_BALLOT_CLOCK_SKEW_MS {
            return Err(invalid("ballot", "ballot-error-clock"));
        }
        if ballot.cast_at_ms < round.definition.opens_at_ms
            || ballot.cast_at_ms > round.definition.closes_at_ms
        {
            return Err(invalid("ballot", "ballot-error-closed"));
        }
        ballot
            .choice
            .check(&round.definition.method, round.definition.option_count())
            .map_err(|_| invalid("ballot", "ballot-error-choose"))?;
        if !signed.signature_is_valid() {
            return Err(invalid("ballot", "ballot-error-signature"));
        }
        Ok(self.governance.cast(&signed, now).await?)
    }

    /// The delegation records of the circle that matter for a proposal now.
    pub(crate) async fn delegates_now(
        &self,
        info: &CircleInfo,
        number: i64,
    ) -> Result<HashMap<PublicKey, PublicKey>, ActionError> {
        let records = self
            .governance
            .delegations(info.row_id, number, i64::MAX)
            .await?;
        let records: Vec<&Delegation> = records.iter().map(|r| &r.record).collect();
        Ok(choices(&records, number as u64))
    }

    /// Delegates the member's vote (standing, or for one proposal) to another member, or
    /// revokes it (`to` empty).
    pub async fn delegate(
        &self,
        actor: &Actor,
        proposal: Option<i64>,
        to: &str,
    ) -> Result<(), ActionError> {
        let policy = self.governance_policy(actor).await?;
        if !policy.delegation {
            return Err(invalid("delegate", "delegation-error-off"));
        }
        if let Some(number) = proposal {
            let found = self.proposal_of(actor, number).await?;
            if !found.draft.delegation {
                return Err(invalid("delegate", "delegation-error-off"));
            }
        }
        let me = actor.membership.account_key;
        let delegate = if to.trim().is_empty() {
            None
        } else {
            let key = self
                .member_key(actor, to, MemberStatus::Active)
                .await
                .map_err(|_| invalid("delegate", "proposal-error-no-member"))?;
            if key == me {
                return Err(invalid("delegate", "delegation-error-self"));
            }
            // No cycles: following the delegate's own delegations must never lead back here —
            // for this proposal, or (for a standing delegation) for any proposal open now.
            let scopes: Vec<i64> = match proposal {
                Some(number) => vec![number],
                None => {
                    let mut open: Vec<i64> = self
                        .governance
                        .proposals(
                            actor.circle.row_id,
                            &[Status::Discussion, Status::Voting],
                            PROPOSALS_LISTED,
                        )
                        .await?
                        .iter()
                        .map(|p| p.number)
                        .collect();
                    open.push(0);
                    open
                }
            };
            for scope in scopes {
                let current = self.delegates_now(&actor.circle, scope).await?;
                let mut at = key;
                for _ in 0..=current.len() {
                    match current.get(&at) {
                        Some(next) if *next == me => {
                            return Err(invalid("delegate", "delegation-error-cycle"));
                        }
                        Some(next) => at = *next,
                        None => break,
                    }
                }
            }
            Some(key)
        };
        let signing = self.signing_key(actor)?;
        let record = Delegation {
            circle_id: actor.circle.circle_id,
            delegator: me,
            delegate,
            scope: proposal.map_or(Scope::Standing, |n| Scope::Proposal(n as u64)),
            made_at_ms: self.now_ms(),
        }
        .sign(&signing);
        self.governance
            .delegate(actor.circle.row_id, &record)
            .await?;
        Ok(())
    }

    /// Who the member's vote goes to: for a proposal (its own delegation first), or standing.
    pub async fn my_delegate(
        &self,
        actor: &Actor,
        proposal: Option<i64>,
    ) -> Result<Option<(Person, bool)>, ActionError> {
        let records = self
            .governance
            .delegations(actor.circle.row_id, proposal.unwrap_or(0), i64::MAX)
            .await?;
        let me = actor.membership.account_key;
        let mine: Vec<&Delegation> = records
            .iter()
            .map(|r| &r.record)
            .filter(|d| d.delegator == me)
            .collect();
        let chosen = choices(&mine, proposal.unwrap_or(0) as u64);
        let Some(key) = chosen.get(&me) else {
            return Ok(None);
        };
        let standing = !mine.iter().any(|d| {
            proposal.is_some() && d.scope == Scope::Proposal(proposal.unwrap_or(0) as u64)
        });
        let people = self.db.active_members(actor.circle.row_id).await?;
        Ok(people
            .into_iter()
            .find(|p| p.account_key == *key)
            .map(|p| (p, standing)))
    }

    /// A round's signed ballots and the delegations that count in it.
    pub async fn round_records(
        &self,
        actor: &Actor,
        proposal: &Proposal,
        round: &Round,
    ) -> Result<
        (
            Vec<SignedBallot>,
            Vec<commons_governance::delegation::SignedDelegation>,
        ),
        ActionError,
    > {
        let ballots = self.governance.ballots(&round.definition_hash).await?;
        let delegations = self
            .governance
            .delegations(
                actor.circle.row_id,
                proposal.number,
                round.definition.closes_at_ms,
            )
            .await?;
        Ok((ballots, delegations))
    }

    /// A closed round's export (JSON Lines: definition, signed ballots, delegations, recorded
    /// decision) and the round's number; `round` defaults to the latest.
    pub async fn round_export(
        &self,
        actor: &Actor,
        number: i64,
        round: Option<u32>,
    ) -> Result<(String, u32), ActionError> {
        let proposal = self.proposal_of(actor, number).await?;
        let wanted = round.unwrap_or(proposal.round);
        let found = match self.governance.round(proposal.id, wanted).await? {
            Some(found) if found.decision.is_some() => found,
            _ => return Err(ActionError::NotFound),
        };
        let (ballots, delegations) = self.round_records(actor, &proposal, &found).await?;
        Ok((
            commons_governance::export::write(
                &found.definition,
                &found.policy,
                &ballots,
                &delegations,
                found.decision.as_ref(),
            ),
            wanted,
        ))
    }
}
