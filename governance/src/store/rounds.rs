//! Voting rounds: opening one with its frozen electorate and definition, finding due rounds and reminders, and the close that stores a decision once.

use super::*;

impl Governance {
    /// Freezes a round: stores its definition and moves the proposal (from `from`) to voting.
    pub async fn open_round(
        &self,
        proposal: &Proposal,
        from: Status,
        definition: &Definition,
        policy: &Policy,
        now_ms: i64,
    ) -> GovernanceResult<Round> {
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE proposals SET status = 'voting', round = $1, updated_at_ms = $2, paused_from = NULL
             WHERE id = $3 AND status = $4 AND round = $5 AND updated_at_ms = $6",
        )
        .bind(i64::from(definition.round))
        .bind(now_ms)
        .bind(proposal.id)
        .bind(from.as_str())
        .bind(i64::from(proposal.round))
        // An edit that landed after the definition was built would not be what is voted on.
        .bind(proposal.updated_at_ms)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(GovernanceError::Conflict);
        }
        let hash = definition.hash();
        sqlx::query(
            "INSERT INTO proposal_rounds (proposal, round, definition, definition_hash, electorate, policy, opens_at_ms, closes_at_ms, ballot_count)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)",
        )
        .bind(proposal.id)
        .bind(i64::from(definition.round))
        .bind(definition.encode())
        .bind(hash.0.to_vec())
        .bind(keys_bytes(&definition.electorate))
        .bind(serde_json::to_string(policy).expect("policies serialise"))
        .bind(definition.opens_at_ms)
        .bind(definition.closes_at_ms)
        .execute(&mut *tx)
        .await?;
        if from == Status::Paused {
            insert_event(&mut tx, proposal.id, EventKind::Resumed, None, "", now_ms).await?;
            clear_pause_requests(&mut tx, proposal.id).await?;
        }
        tx.commit().await?;
        self.touched();
        Ok(Round {
            proposal: proposal.id,
            round: definition.round,
            definition: definition.clone(),
            definition_hash: hash,
            policy: policy.clone(),
            ballot_count: 0,
            decision: None,
            closed_at_ms: None,
            cancelled_at_ms: None,
        })
    }

    pub async fn round(&self, proposal: i64, round: u32) -> GovernanceResult<Option<Round>> {
        let row = sqlx::query(&format!(
            "SELECT {ROUND_COLUMNS} FROM proposal_rounds WHERE proposal = $1 AND round = $2"
        ))
        .bind(proposal)
        .bind(i64::from(round))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(round_from).transpose()
    }

    /// Every round of a proposal, first first.
    pub async fn rounds(&self, proposal: i64) -> GovernanceResult<Vec<Round>> {
        let rows = sqlx::query(&format!(
            "SELECT {ROUND_COLUMNS} FROM proposal_rounds WHERE proposal = $1 ORDER BY round"
        ))
        .bind(proposal)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(round_from).collect()
    }

    /// For these proposals (at most [`LIST_ROWS_MAX`]), their latest round's closing time and
    /// recorded decision, by proposal id: what a list of proposals shows.
    pub async fn latest_rounds(
        &self,
        ids: &[i64],
    ) -> GovernanceResult<std::collections::HashMap<i64, (i64, Option<Decision>)>> {
        let ids: Vec<i64> = ids.iter().copied().take(LIST_ROWS_MAX as usize).collect();
        if ids.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        let list = (0..ids.len())
            .map(|n| format!("${}", n + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT r.proposal, r.closes_at_ms, r.decision FROM proposal_rounds r
             JOIN proposals p ON p.id = r.proposal AND p.round = r.round
             WHERE r.proposal IN ({list})"
        );
        let mut query = sqlx::query(&sql);
        for id in &ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let decision: Option<String> = row.try_get("decision")?;
                let decision = decision
                    .map(|text| serde_json::from_str(&text))
                    .transpose()
                    .map_err(|_| GovernanceError::Corrupt("a decision".into()))?;
                Ok((
                    row.try_get::<i64, _>("proposal")?,
                    (row.try_get::<i64, _>("closes_at_ms")?, decision),
                ))
            })
            .collect()
    }

    /// The round with this definition hash, with its proposal.
    pub async fn round_by_hash(&self, hash: &Hash) -> GovernanceResult<Option<(Proposal, Round)>> {
        let row = sqlx::query(&format!(
            "SELECT {ROUND_COLUMNS} FROM proposal_rounds WHERE definition_hash = $1"
        ))
        .bind(hash.0.to_vec())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let round = round_from(&row)?;
        let row = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE id = $1"
        ))
        .bind(round.proposal)
        .fetch_one(&self.pool)
        .await?;
        Ok(Some((proposal_from(&row)?, round)))
    }

    /// Open rounds whose voting time is over: (circle, proposal number), oldest first.
    pub async fn due(&self, now_ms: i64) -> GovernanceResult<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT p.circle, p.number FROM proposal_rounds r JOIN proposals p ON p.id = r.proposal
             WHERE r.decision IS NULL AND r.cancelled_at_ms IS NULL AND r.closes_at_ms < $1 ORDER BY r.closes_at_ms LIMIT $2",
        )
        .bind(now_ms)
        .bind(LIST_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect()
    }

    /// Open rounds closing within `reminder_ms` that have not had their reminder, each marked
    /// as reminded in the same statement that finds it (so each reminder goes once).
    pub async fn take_reminders(
        &self,
        circle: i64,
        reminder_ms: i64,
        now_ms: i64,
    ) -> GovernanceResult<Vec<Round>> {
        let rows = sqlx::query(&format!(
            "UPDATE proposal_rounds SET reminded_at_ms = $1
             WHERE reminded_at_ms IS NULL AND decision IS NULL AND cancelled_at_ms IS NULL AND closes_at_ms >= $1 AND closes_at_ms - $2 <= $1
               AND proposal IN (SELECT id FROM proposals WHERE circle = $3)
             RETURNING {ROUND_COLUMNS}"
        ))
        .bind(now_ms)
        .bind(reminder_ms)
        .bind(circle)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(round_from).collect()
    }

    /// Closes a round whose time is over: recounts its ballots and delegations, records the
    /// decision, and moves the proposal to closed. Returns `None` when another process closed it
    /// first.
    pub async fn close(
        &self,
        proposal: &Proposal,
        round: u32,
        now_ms: i64,
    ) -> GovernanceResult<Option<Recount>> {
        let mut tx = self.pool.begin().await?;
        // Take the round (the same row every ballot moves) before reading its ballots.
        let taken = sqlx::query(
            "UPDATE proposal_rounds SET closed_at_ms = $1 WHERE proposal = $2 AND round = $3 AND decision IS NULL AND cancelled_at_ms IS NULL AND closes_at_ms < $1",
        )
        .bind(now_ms)
        .bind(proposal.id)
        .bind(i64::from(round))
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "SELECT {ROUND_COLUMNS} FROM proposal_rounds WHERE proposal = $1 AND round = $2"
        ))
        .bind(proposal.id)
        .bind(i64::from(round))
        .fetch_one(&mut *tx)
        .await?;
        let stored = round_from(&row)?;
        let rows = sqlx::query(BALLOTS_OF_ROUND)
            .bind(stored.definition_hash.0.to_vec())
            .fetch_all(&mut *tx)
            .await?;
        let ballots: Vec<SignedBallot> = rows.iter().map(ballot_from).collect::<Result<_, _>>()?;
        let rows = sqlx::query(DELEGATIONS_FOR_PROPOSAL)
            .bind(proposal.circle)
            .bind(proposal.number)
            .bind(stored.definition.closes_at_ms)
            .fetch_all(&mut *tx)
            .await?;
        let delegations: Vec<SignedDelegation> =
            rows.iter().map(delegation_from).collect::<Result<_, _>>()?;
        let result = recount(&stored.definition, &ballots, &delegations);
        if !result.problems.is_empty() {
            // The node checked every ballot on the way in; a stored ballot that fails now was
            // changed behind the node's back.
            tx.rollback().await?;
            return Err(GovernanceError::Corrupt(format!(
                "{} stored ballots or delegations no longer verify: {}",
                result.problems.len(),
                result.problems[0].what
            )));
        }
        let decision = serde_json::to_string(&result.decision()).expect("decisions serialise");
        sqlx::query("UPDATE proposal_rounds SET decision = $1 WHERE proposal = $2 AND round = $3")
            .bind(decision)
            .bind(proposal.id)
            .bind(i64::from(round))
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE proposals SET status = 'closed', updated_at_ms = $1 WHERE id = $2 AND status = 'voting'")
            .bind(now_ms)
            .bind(proposal.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.touched();
        Ok(Some(result))
    }

    /// Closed proposals that carry actions and have not taken effect nor been refused (a crash or
    /// a database fault between the close and the enactment): (circle, number), oldest first.
    pub async fn unenacted(&self) -> GovernanceResult<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT circle, number FROM proposals
             WHERE status = 'closed' AND enacted_seq IS NULL AND enact_error IS NULL AND actions <> $1
             ORDER BY updated_at_ms LIMIT $2",
        )
        .bind(encode_actions(&[]))
        .bind(LIST_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect()
    }

    /// Records why a passed proposal could not take effect.
    pub async fn set_enact_error(&self, id: i64, why: &str, now_ms: i64) -> GovernanceResult<()> {
        sqlx::query("UPDATE proposals SET enact_error = $1, updated_at_ms = $2 WHERE id = $3 AND enacted_seq IS NULL")
            .bind(why)
            .bind(now_ms)
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.touched();
        Ok(())
    }

    /// Records the ledger entry that enacted a proposal.
    pub async fn set_enacted(&self, id: i64, seq: u64, now_ms: i64) -> GovernanceResult<()> {
        sqlx::query(
            "UPDATE proposals SET status = 'enacted', enacted_seq = $1, updated_at_ms = $2 WHERE id = $3 AND status = 'closed'",
        )
        .bind(seq as i64)
        .bind(now_ms)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.touched();
        Ok(())
    }
}
