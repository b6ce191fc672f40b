//! What an auditor reads: a circle's decision history, the enactments to check against the ledger, and a round's recount from its signed ballots.

use super::*;

impl Governance {
    /// What the circle's ledger says about its decisions: the genesis defaults and every
    /// enactment (which policy was in force when, the default limits over time).
    pub async fn history(
        &self,
        ledger: &commons_ledger::store::Store,
        info: &commons_ledger::store::CircleInfo,
    ) -> Result<(History, Vec<Enactment>), AuditError> {
        let genesis = ledger.entry(info, 0).await?;
        let mut enactments = Vec::new();
        let mut from = 0;
        loop {
            let page = ledger.entries_of_kind(info, 11, from, 500).await?;
            let Some(last) = page.last() else { break };
            from = last.entry.seq + 1;
            enactments.extend(page.iter().filter_map(|stored| {
                Enactment::from_request(
                    stored.entry.seq,
                    stored.entry.recorded_at_ms,
                    &stored.entry.signed.record,
                )
            }));
        }
        let defaults = genesis_defaults(&genesis.entry.signed.record).ok_or_else(|| {
            GovernanceError::Corrupt("the ledger does not start with a genesis entry".into())
        })?;
        let history = History::new(defaults, &enactments);
        Ok((history, enactments))
    }

    /// The audit of every enactment (kind 11) in a circle's ledger: each must be backed by a
    /// proposal in this store that keeps the policy in force when its voting opened and whose
    /// recount passes with exactly the enacted board. Returns one (entry, what is wrong) per
    /// enactment that is not.
    pub async fn audit_enactments(
        &self,
        ledger: &commons_ledger::store::Store,
        info: &commons_ledger::store::CircleInfo,
    ) -> Result<Vec<(u64, String)>, AuditError> {
        let (history, enactments) = self.history(ledger, info).await?;
        let mut faults = Vec::new();
        for enactment in &enactments {
            let checked = match self.round_by_hash(&enactment.proposal).await? {
                None => check_enactment(&info.circle_id, &history, enactment, None),
                Some((proposal, round)) => {
                    let ballots = self.ballots(&round.definition_hash).await?;
                    let delegations = self
                        .delegations(info.row_id, proposal.number, round.definition.closes_at_ms)
                        .await?;
                    check_enactment(
                        &info.circle_id,
                        &history,
                        enactment,
                        Some(Backing {
                            definition: &round.definition,
                            policy: &round.policy,
                            ballots: &ballots,
                            delegations: &delegations,
                        }),
                    )
                }
            };
            if let Err(what) = checked {
                faults.push((enactment.seq, what));
            }
        }
        Ok(faults)
    }

    /// Recounts a stored round from its ballots and delegations; returns the recount and the
    /// decision recorded at its close (if it closed).
    pub async fn recount_round(
        &self,
        circle: i64,
        proposal: &Proposal,
        round: &Round,
    ) -> GovernanceResult<(Recount, Option<Decision>)> {
        let ballots = self.ballots(&round.definition_hash).await?;
        let delegations = self
            .delegations(circle, proposal.number, round.definition.closes_at_ms)
            .await?;
        Ok((
            recount(&round.definition, &ballots, &delegations),
            round.decision.clone(),
        ))
    }
}
