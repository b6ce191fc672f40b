//! A member's blocks of members of linked circles on other nodes, whose accounts this node does
//! not know: by the circle's id and the username there.

use sqlx::Row;

use super::blocks::BLOCKS_PER_PERSON_MAX;
use super::{DbResult, NodeDb};

/// One block of a member of a circle on another node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkBlockRow {
    pub partner: [u8; 32],
    pub username: String,
    pub name: String,
    pub created_ms: i64,
}

impl NodeDb {
    /// Blocks `username` of the circle `partner` for `user_id`; refused past
    /// [`BLOCKS_PER_PERSON_MAX`]: answers whether it was stored.
    pub async fn set_link_block(
        &self,
        user_id: i64,
        partner: &[u8; 32],
        username: &str,
        name: &str,
        now_ms: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "INSERT INTO link_blocks (user_id, partner, username, name, created_ms)
             SELECT $1, $2, $3, $4, $5
             WHERE (SELECT COUNT(*) FROM link_blocks WHERE user_id = $1) < $6
             ON CONFLICT (user_id, partner, username) DO NOTHING",
        )
        .bind(user_id)
        .bind(partner.to_vec())
        .bind(username.to_owned())
        .bind(name.to_owned())
        .bind(now_ms)
        .bind(BLOCKS_PER_PERSON_MAX)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1 || self.link_blocked(user_id, partner, username).await?)
    }

    /// Undoes one; answers whether there was one.
    pub async fn remove_link_block(
        &self,
        user_id: i64,
        partner: &[u8; 32],
        username: &str,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "DELETE FROM link_blocks WHERE user_id = $1 AND partner = $2 AND username = $3",
        )
        .bind(user_id)
        .bind(partner.to_vec())
        .bind(username.to_owned())
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Whether `user_id` blocked `username` of `partner`.
    pub async fn link_blocked(
        &self,
        user_id: i64,
        partner: &[u8; 32],
        username: &str,
    ) -> DbResult<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM link_blocks WHERE user_id = $1 AND partner = $2 AND username = $3",
        )
        .bind(user_id)
        .bind(partner.to_vec())
        .bind(username.to_owned())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// The person's blocks of members of other nodes, newest first.
    pub async fn link_blocks_of(&self, user_id: i64) -> DbResult<Vec<LinkBlockRow>> {
        let rows = sqlx::query(
            "SELECT partner, username, name, created_ms FROM link_blocks WHERE user_id = $1
             ORDER BY created_ms DESC, username LIMIT $2",
        )
        .bind(user_id)
        .bind(BLOCKS_PER_PERSON_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let partner: Vec<u8> = row.try_get(0)?;
                Ok(LinkBlockRow {
                    partner: partner.try_into().map_err(|_| {
                        sqlx::Error::Decode("a link block's circle is not 32 bytes".into())
                    })?,
                    username: row.try_get(1)?,
                    name: row.try_get(2)?,
                    created_ms: row.try_get(3)?,
                })
            })
            .collect()
    }
}
