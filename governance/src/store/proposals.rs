//! Proposals: drafts, edits (recorded), status changes, pauses and pause requests, their history of events, and the people who took part.

use super::*;

impl Governance {
    /// Stores a new draft with the circle's next number.
    pub async fn create(
        &self,
        circle: i64,
        author: i64,
        draft: &ProposalDraft,
        now_ms: i64,
    ) -> GovernanceResult<Proposal> {
        for _ in 0..5 {
            let mut tx = self.pool.begin().await?;
            let number: i64 =
                sqlx::query("SELECT COALESCE(MAX(number), 0) + 1 FROM proposals WHERE circle = $1")
                    .bind(circle)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
            let seats = match draft.method {
                Method::Stv { seats } => i64::from(seats),
                _ => 1,
            };
            let inserted = sqlx::query(&format!(
                "INSERT INTO proposals (circle, number, author, title, body, method, seats, options, quorum_percent, threshold_percent, delegation, hide_results, actions, documents, status, round, created_at_ms, updated_at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'draft', 0, $15, $15)
                 ON CONFLICT (circle, number) DO NOTHING RETURNING {PROPOSAL_COLUMNS}"
            ))
            .bind(circle)
            .bind(number)
            .bind(author)
            .bind(&draft.title)
            .bind(&draft.body)
            .bind(draft.method.name())
            .bind(seats)
            .bind(serde_json::to_string(&draft.options).expect("options serialise"))
            .bind(i64::from(draft.quorum_percent))
            .bind(i64::from(draft.threshold_percent))
            .bind(i64::from(draft.delegation))
            .bind(i64::from(draft.hide_results))
            .bind(encode_actions(&draft.actions))
            .bind(serde_json::to_string(&draft.documents).expect("documents serialise"))
            .bind(now_ms)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = inserted {
                let proposal = proposal_from(&row)?;
                tx.commit().await?;
                self.touched();
                return Ok(proposal);
            }
            tx.rollback().await?;
        }
        Err(GovernanceError::Conflict)
    }

    /// Replaces a proposal's draft, only while it is still `status` (the caller checked who
    /// may edit and when). An edit during the discussion restarts its minimum time.
    pub async fn update(
        &self,
        id: i64,
        status: Status,
        draft: &ProposalDraft,
        now_ms: i64,
    ) -> GovernanceResult<()> {
        let seats = match draft.method {
            Method::Stv { seats } => i64::from(seats),
            _ => 1,
        };
        let updated = sqlx::query(
            "UPDATE proposals SET title = $1, body = $2, method = $3, seats = $4, options = $5, quorum_percent = $6, threshold_percent = $7, delegation = $8, hide_results = $9, actions = $10, documents = $11, updated_at_ms = $12,
               discussion_opened_at_ms = CASE WHEN status = 'discussion' THEN $12 ELSE discussion_opened_at_ms END
             WHERE id = $13 AND status = $14",
        )
        .bind(&draft.title)
        .bind(&draft.body)
        .bind(draft.method.name())
        .bind(seats)
        .bind(serde_json::to_string(&draft.options).expect("options serialise"))
        .bind(i64::from(draft.quorum_percent))
        .bind(i64::from(draft.threshold_percent))
        .bind(i64::from(draft.delegation))
        .bind(i64::from(draft.hide_results))
        .bind(encode_actions(&draft.actions))
        .bind(serde_json::to_string(&draft.documents).expect("documents serialise"))
        .bind(now_ms)
        .bind(id)
        .bind(status.as_str())
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(GovernanceError::Conflict);
        }
        self.touched();
        Ok(())
    }

    /// Moves a proposal from one status to another (compare-and-set). Moving to discussion
    /// starts its minimum time; leaving a pause records that it was lifted.
    pub async fn set_status(
        &self,
        id: i64,
        from: Status,
        to: Status,
        now_ms: i64,
    ) -> GovernanceResult<()> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE proposals SET status = $1, updated_at_ms = $2, paused_from = NULL,
               discussion_opened_at_ms = CASE WHEN $1 = 'discussion' THEN $2 ELSE discussion_opened_at_ms END
             WHERE id = $3 AND status = $4",
        )
        .bind(to.as_str())
        .bind(now_ms)
        .bind(id)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(GovernanceError::Conflict);
        }
        if from == Status::Paused {
            let reason = if to == Status::Withdrawn {
                "withdrawn"
            } else {
                ""
            };
            insert_event(&mut tx, id, EventKind::Resumed, None, reason, now_ms).await?;
            clear_pause_requests(&mut tx, id).await?;
        }
        tx.commit().await?;
        self.touched();
        Ok(())
    }

    /// Pauses a proposal in discussion or voting, with a public reason; `actor` is the steward
    /// who paused it (`None`: members' requests together). A paused vote's round ends without
    /// a count, serialised with its ballots on the round's row (the close may have come first:
    /// then nothing changes and the answer is a conflict).
    pub async fn pause(
        &self,
        proposal: &Proposal,
        actor: Option<i64>,
        reason: &str,
        now_ms: i64,
    ) -> GovernanceResult<()> {
        let mut tx = self.pool.begin().await?;
        if proposal.status == Status::Voting {
            let ended = sqlx::query(
                "UPDATE proposal_rounds SET cancelled_at_ms = $1
                 WHERE proposal = $2 AND round = $3 AND decision IS NULL AND cancelled_at_ms IS NULL AND closed_at_ms IS NULL AND closes_at_ms >= $1",
            )
            .bind(now_ms)
            .bind(proposal.id)
            .bind(i64::from(proposal.round))
            .execute(&mut *tx)
            .await?;
            if ended.rows_affected() != 1 {
                tx.rollback().await?;
                return Err(GovernanceError::Conflict);
            }
        }
        let moved = sqlx::query(
            "UPDATE proposals SET status = 'paused', paused_from = $1, updated_at_ms = $2
             WHERE id = $3 AND status = $1 AND status IN ('discussion', 'voting')",
        )
        .bind(proposal.status.as_str())
        .bind(now_ms)
        .bind(proposal.id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(GovernanceError::Conflict);
        }
        insert_event(
            &mut tx,
            proposal.id,
            EventKind::Paused,
            actor,
            reason,
            now_ms,
        )
        .await?;
        clear_pause_requests(&mut tx, proposal.id).await?;
        tx.commit().await?;
        self.touched();
        Ok(())
    }

    /// Records a member's request to pause (once per member; asking again changes nothing);
    /// returns every open request, oldest first.
    pub async fn request_pause(
        &self,
        proposal: i64,
        requester: i64,
        reason: &str,
        now_ms: i64,
    ) -> GovernanceResult<Vec<PauseRequest>> {
        sqlx::query(
            "INSERT INTO proposal_pause_requests (proposal, requester, reason, at_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (proposal, requester) DO NOTHING",
        )
        .bind(proposal)
        .bind(requester)
        .bind(reason)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.pause_requests(proposal).await
    }

    /// The open requests to pause a proposal, oldest first.
    pub async fn pause_requests(&self, proposal: i64) -> GovernanceResult<Vec<PauseRequest>> {
        let rows = sqlx::query(
            "SELECT requester, reason, at_ms FROM proposal_pause_requests WHERE proposal = $1 ORDER BY at_ms, requester LIMIT $2",
        )
        .bind(proposal)
        .bind(i64::from(crate::policy::PAUSERS_MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PauseRequest {
                    requester: row.try_get("requester")?,
                    reason: row.try_get("reason")?,
                    at_ms: row.try_get("at_ms")?,
                })
            })
            .collect()
    }

    /// Records that the text changed during the discussion.
    pub async fn record_edit(
        &self,
        proposal: i64,
        actor: i64,
        now_ms: i64,
    ) -> GovernanceResult<()> {
        let mut tx = self.pool.begin().await?;
        insert_event(
            &mut tx,
            proposal,
            EventKind::Edited,
            Some(actor),
            "",
            now_ms,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A proposal's history, oldest first.
    pub async fn events(&self, proposal: i64) -> GovernanceResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT kind, actor, reason, at_ms FROM proposal_events WHERE proposal = $1 ORDER BY id LIMIT $2",
        )
        .bind(proposal)
        .bind(EVENTS_LISTED_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                Ok(Event {
                    kind: EventKind::parse(&kind)
                        .ok_or_else(|| GovernanceError::Corrupt("an event kind".into()))?,
                    actor: row.try_get("actor")?,
                    reason: row.try_get("reason")?,
                    at_ms: row.try_get("at_ms")?,
                })
            })
            .collect()
    }

    /// Everyone who took part in a proposal so far: its commenters and, by account key, the
    /// voters of every round.
    pub async fn participants(
        &self,
        proposal: i64,
    ) -> GovernanceResult<(Vec<i64>, Vec<PublicKey>)> {
        let commenters =
            sqlx::query("SELECT DISTINCT author FROM proposal_comments WHERE proposal = $1")
                .bind(proposal)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<Vec<i64>, _>>()?;
        let voters = sqlx::query(
            "SELECT DISTINCT b.voter FROM ballots b JOIN proposal_rounds r ON r.definition_hash = b.definition_hash WHERE r.proposal = $1",
        )
        .bind(proposal)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let bytes: Vec<u8> = row.try_get(0)?;
            let raw: [u8; 32] = bytes
                .try_into()
                .map_err(|_| GovernanceError::Corrupt("a voter key".into()))?;
            Ok(PublicKey::from_raw(raw))
        })
        .collect::<GovernanceResult<Vec<_>>>()?;
        Ok((commenters, voters))
    }

    pub async fn proposal(&self, circle: i64, number: i64) -> GovernanceResult<Option<Proposal>> {
        let row = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE circle = $1 AND number = $2"
        ))
        .bind(circle)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(proposal_from).transpose()
    }

    /// One author's drafts in a circle, newest first.
    pub async fn drafts_of(&self, circle: i64, author: i64) -> GovernanceResult<Vec<Proposal>> {
        let rows = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE circle = $1 AND author = $2 AND status = 'draft' ORDER BY number DESC LIMIT $3"
        ))
        .bind(circle)
        .bind(author)
        .bind(LIST_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(proposal_from).collect()
    }

    /// A circle's proposals in these statuses, newest first.
    pub async fn proposals(
        &self,
        circle: i64,
        statuses: &[Status],
        limit: i64,
    ) -> GovernanceResult<Vec<Proposal>> {
        let list: Vec<String> = statuses
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let rows = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE circle = $1 AND status IN ({}) ORDER BY number DESC LIMIT $2",
            list.join(", ")
        ))
        .bind(circle)
        .bind(limit.clamp(1, LIST_ROWS_MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(proposal_from).collect()
    }
}
