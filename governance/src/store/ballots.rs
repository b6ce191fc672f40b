//! Signed ballots (one counted per voter per round, the board's count kept exact) and signed delegations.

use super::*;

impl Governance {
    /// Accepts a signed ballot into an open round; returns its receipt. The caller checked the
    /// ballot (signature, electorate, choice) and set its time from the node's clock.
    pub async fn cast(&self, ballot: &SignedBallot, now_ms: i64) -> GovernanceResult<Hash> {
        let hash = ballot.record.proposal.0.to_vec();
        let voter = ballot.record.voter.as_bytes().to_vec();
        let mut tx = self.pool.begin().await?;
        // Moving the round's count serialises ballots with the close: once the close has
        // written the decision, no ballot gets in.
        // The node's clock and the ballot's own time must both fall within the round.
        let open = sqlx::query(
            "UPDATE proposal_rounds SET ballot_count = ballot_count + 1
             WHERE definition_hash = $1 AND decision IS NULL AND cancelled_at_ms IS NULL AND closes_at_ms >= $2 AND opens_at_ms <= $2
               AND closes_at_ms >= $3 AND opens_at_ms <= $3",
        )
        .bind(&hash)
        .bind(now_ms)
        .bind(ballot.record.cast_at_ms)
        .execute(&mut *tx)
        .await?;
        if open.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(GovernanceError::VotingClosed);
        }
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(MAX(cast_at_ms), 0) FROM ballots WHERE definition_hash = $1 AND voter = $2",
        )
        .bind(&hash)
        .bind(&voter)
        .fetch_one(&mut *tx)
        .await?;
        let (count, latest): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        if count >= BALLOTS_PER_VOTER_MAX {
            tx.rollback().await?;
            return Err(GovernanceError::TooManyBallots);
        }
        if count > 0 && latest >= ballot.record.cast_at_ms {
            tx.rollback().await?;
            return Err(GovernanceError::SameMoment);
        }
        let receipt = ballot.receipt();
        sqlx::query(
            "INSERT INTO ballots (definition_hash, voter, cast_at_ms, bytes, signature, receipt, received_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&hash)
        .bind(&voter)
        .bind(ballot.record.cast_at_ms)
        .bind(ballot.bytes.clone())
        .bind(ballot.signature.0.to_vec())
        .bind(receipt.0.to_vec())
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(receipt)
    }

    /// Every ballot of a round, in the order received.
    pub async fn ballots(&self, definition_hash: &Hash) -> GovernanceResult<Vec<SignedBallot>> {
        let rows = sqlx::query(BALLOTS_OF_ROUND)
            .bind(definition_hash.0.to_vec())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(ballot_from).collect()
    }

    /// A voter's ballots in a round, latest first.
    pub async fn ballots_of(
        &self,
        definition_hash: &Hash,
        voter: &PublicKey,
    ) -> GovernanceResult<Vec<SignedBallot>> {
        let rows = sqlx::query(
            "SELECT bytes, signature FROM ballots WHERE definition_hash = $1 AND voter = $2 ORDER BY cast_at_ms DESC",
        )
        .bind(definition_hash.0.to_vec())
        .bind(voter.as_bytes().to_vec())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(ballot_from).collect()
    }

    // ----- delegations -----

    /// Stores a signed delegation (checked by the caller).
    pub async fn delegate(&self, circle: i64, signed: &SignedDelegation) -> GovernanceResult<()> {
        let record = &signed.record;
        let day_ago = record.made_at_ms - 86_400_000;
        let recent: i64 = sqlx::query(
            "SELECT COUNT(*) FROM delegations WHERE circle = $1 AND delegator = $2 AND made_at_ms > $3",
        )
        .bind(circle)
        .bind(record.delegator.as_bytes().to_vec())
        .bind(day_ago)
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        if recent >= DELEGATIONS_PER_DAY_MAX {
            return Err(GovernanceError::TooManyDelegations);
        }
        sqlx::query(
            "INSERT INTO delegations (circle, delegator, delegate, scope_proposal, made_at_ms, bytes, signature)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(circle)
        .bind(record.delegator.as_bytes().to_vec())
        .bind(record.delegate.map(|k| k.as_bytes().to_vec()))
        .bind(match record.scope {
            Scope::Standing => None,
            Scope::Proposal(number) => Some(number as i64),
        })
        .bind(record.made_at_ms)
        .bind(signed.bytes.clone())
        .bind(signed.signature.0.to_vec())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The delegation records that can matter for a proposal: standing ones and its own, made
    /// before `until_ms`.
    pub async fn delegations(
        &self,
        circle: i64,
        proposal_number: i64,
        until_ms: i64,
    ) -> GovernanceResult<Vec<SignedDelegation>> {
        let rows = sqlx::query(DELEGATIONS_FOR_PROPOSAL)
            .bind(circle)
            .bind(proposal_number)
            .bind(until_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(delegation_from).collect()
    }
}
