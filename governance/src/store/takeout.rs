//! What one member wrote and signed in a circle's decisions, for their takeout: their
//! proposals, comments, ballots and delegations (each bounded).

use super::*;

/// Most records of one kind a takeout reads.
pub(crate) const TAKEOUT_ROWS_MAX: i64 = 100_000;

impl Governance {
    /// Every proposal the member wrote in the circle, newest first.
    pub async fn proposals_by(&self, circle: i64, author: i64) -> GovernanceResult<Vec<Proposal>> {
        let rows = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE circle = $1 AND author = $2 ORDER BY number DESC LIMIT $3"
        ))
        .bind(circle)
        .bind(author)
        .bind(TAKEOUT_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(proposal_from).collect()
    }

    /// Every comment the member wrote on the circle's proposals, with the proposal's number,
    /// oldest first.
    pub async fn comments_by(
        &self,
        circle: i64,
        author: i64,
    ) -> GovernanceResult<Vec<(i64, Comment)>> {
        let rows = sqlx::query(
            "SELECT c.id, c.proposal, c.parent, c.author, c.body, c.created_at_ms, p.number FROM proposal_comments c
             JOIN proposals p ON p.id = c.proposal WHERE p.circle = $1 AND c.author = $2 ORDER BY c.id LIMIT $3",
        )
        .bind(circle)
        .bind(author)
        .bind(TAKEOUT_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("number")?,
                    Comment {
                        id: row.try_get("id")?,
                        proposal: row.try_get("proposal")?,
                        parent: row.try_get("parent")?,
                        author: row.try_get("author")?,
                        body: row.try_get("body")?,
                        created_at_ms: row.try_get("created_at_ms")?,
                    },
                ))
            })
            .collect()
    }

    /// Every ballot signed by these keys (a member's keys in one circle), oldest first.
    pub async fn ballots_by(&self, voters: &[PublicKey]) -> GovernanceResult<Vec<SignedBallot>> {
        let mut ballots = Vec::new();
        for voter in voters {
            let rows = sqlx::query("SELECT bytes, signature FROM ballots WHERE voter = $1 ORDER BY cast_at_ms LIMIT $2")
                .bind(voter.as_bytes().to_vec())
                .bind(TAKEOUT_ROWS_MAX)
                .fetch_all(&self.pool)
                .await?;
            for row in &rows {
                ballots.push(ballot_from(row)?);
            }
        }
        Ok(ballots)
    }

    /// Every delegation signed by these keys in the circle, oldest first.
    pub async fn delegations_by(
        &self,
        circle: i64,
        delegators: &[PublicKey],
    ) -> GovernanceResult<Vec<SignedDelegation>> {
        let mut delegations = Vec::new();
        for delegator in delegators {
            let rows = sqlx::query(
                "SELECT bytes, signature FROM delegations WHERE circle = $1 AND delegator = $2 ORDER BY made_at_ms LIMIT $3",
            )
            .bind(circle)
            .bind(delegator.as_bytes().to_vec())
            .bind(TAKEOUT_ROWS_MAX)
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                delegations.push(delegation_from(row)?);
            }
        }
        Ok(delegations)
    }
}
