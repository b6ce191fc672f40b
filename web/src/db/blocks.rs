//! Blocks and mutes between people: who hides whom. Read on every market and decision page, so
//! the set a person does not see is remembered until one of the person's blocks changes.

use std::collections::BTreeSet;

use std::sync::Arc;

use sqlx::Row;

use super::{DbResult, NodeDb};

/// What a person chose about another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockKind {
    /// Neither sees the other's listings, comments or messages; no deal between them.
    Block,
    /// Only the one who muted stops seeing the other.
    Mute,
}

impl BlockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Block => "block",
            BlockKind::Mute => "mute",
        }
    }

    pub fn parse(text: &str) -> Option<BlockKind> {
        match text {
            "block" => Some(BlockKind::Block),
            "mute" => Some(BlockKind::Mute),
            _ => None,
        }
    }
}

/// One of a person's blocks or mutes, with the other's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRow {
    pub other_id: i64,
    pub other_name: String,
    pub kind: BlockKind,
    pub created_at_ms: i64,
}

/// Most people one person may block or mute.
pub const BLOCKS_PER_PERSON_MAX: i64 = 1_000;

impl NodeDb {
    /// Blocks or mutes `other` (replacing what was chosen before). Refused past
    /// [`BLOCKS_PER_PERSON_MAX`]: answers whether it was stored.
    pub async fn set_block(
        &self,
        user_id: i64,
        other_id: i64,
        kind: BlockKind,
        now_ms: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "INSERT INTO member_blocks (user_id, other_id, kind, created_at_ms)
             SELECT $1, $2, $3, $4
             WHERE (SELECT COUNT(*) FROM member_blocks WHERE user_id = $1) < $5
                OR EXISTS (SELECT 1 FROM member_blocks WHERE user_id = $1 AND other_id = $2)
             ON CONFLICT (user_id, other_id) DO UPDATE SET kind = $3, created_at_ms = $4",
        )
        .bind(user_id)
        .bind(other_id)
        .bind(kind.as_str())
        .bind(now_ms)
        .bind(BLOCKS_PER_PERSON_MAX)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Undoes a block or a mute; answers whether there was one.
    pub async fn remove_block(&self, user_id: i64, other_id: i64) -> DbResult<bool> {
        let done = sqlx::query("DELETE FROM member_blocks WHERE user_id = $1 AND other_id = $2")
            .bind(user_id)
            .bind(other_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// The person's own blocks and mutes, newest first.
    pub async fn blocks_of(&self, user_id: i64) -> DbResult<Vec<BlockRow>> {
        let rows = sqlx::query(
            "SELECT b.other_id, u.display_name, b.kind, b.created_at_ms
             FROM member_blocks b JOIN users u ON u.id = b.other_id
             WHERE b.user_id = $1 ORDER BY b.created_at_ms DESC, b.other_id LIMIT $2",
        )
        .bind(user_id)
        .bind(BLOCKS_PER_PERSON_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(BlockRow {
                    other_id: row.try_get("other_id")?,
                    other_name: row.try_get("display_name")?,
                    kind: BlockKind::parse(&row.try_get::<String, _>("kind")?)
                        .ok_or_else(|| sqlx::Error::Decode("an unknown block kind".into()))?,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }

    /// Everyone the person does not see: whom they blocked or muted, and who blocked them.
    pub async fn hidden_from(&self, user_id: i64) -> DbResult<BTreeSet<i64>> {
        self.reads
            .hidden
            .get_or_read(&self.reads.generations, super::WEB_SCOPE, user_id, || async {
                let rows = sqlx::query(
                    "SELECT other_id AS id FROM member_blocks WHERE user_id = $1
                     UNION SELECT user_id AS id FROM member_blocks WHERE other_id = $1 AND kind = 'block'",
                )
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| row.try_get::<i64, _>("id"))
                    .collect::<DbResult<BTreeSet<i64>>>()
            })
            .await
    }

    /// Every block or mute the person made or that names them: (who chose, about whom, kind).
    /// A person has at most [`BLOCKS_PER_PERSON_MAX`] of their own; those about them number
    /// at most the node's members, each with one row.
    pub async fn blocks_touching(&self, user_id: i64) -> DbResult<Arc<Vec<(i64, i64, BlockKind)>>> {
        self.reads
            .touching
            .get_or_read(&self.reads.generations, super::WEB_SCOPE, user_id, || async {
                sqlx::query(
                    "SELECT user_id, other_id, kind FROM member_blocks WHERE user_id = $1 OR other_id = $1",
                )
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| {
                    let kind = BlockKind::parse(&row.try_get::<String, _>("kind")?)
                        .ok_or_else(|| sqlx::Error::Decode("an unknown block kind".into()))?;
                    Ok((row.try_get("user_id")?, row.try_get("other_id")?, kind))
                })
                .collect::<DbResult<Vec<_>>>()
                .map(Arc::new)
            })
            .await
    }

    /// Whether either of the two blocked the other.
    pub async fn blocked_between(&self, a: i64, b: i64) -> DbResult<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM member_blocks WHERE kind = 'block'
             AND ((user_id = $1 AND other_id = $2) OR (user_id = $2 AND other_id = $1))",
        )
        .bind(a)
        .bind(b)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// The pairs among these people where one blocked the other (for trade loops).
    pub async fn blocks_among(&self, people: &[i64]) -> DbResult<Vec<(i64, i64)>> {
        if people.is_empty() {
            return Ok(Vec::new());
        }
        let list = super::placeholders(people.len(), 1);
        let sql = format!(
            "SELECT user_id, other_id FROM member_blocks WHERE kind = 'block'
             AND user_id IN ({list}) AND other_id IN ({list})"
        );
        let mut query = sqlx::query(&sql);
        for id in people {
            query = query.bind(*id);
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("user_id")?, row.try_get("other_id")?)))
            .collect()
    }
}
