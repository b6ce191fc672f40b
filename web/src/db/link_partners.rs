//! Circles on other nodes this node learned of (from their descriptors), so pages can name
//! them and show their unit. The ledger's link stays the truth about rate, limits and key.

use sqlx::Row;

use super::{DbResult, NodeDb};

/// A circle on another node, as its descriptor said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCircle {
    pub circle_id: [u8; 32],
    /// The node's base address (`https://node.example`).
    pub address: String,
    pub slug: String,
    pub name: String,
    pub unit_name: String,
    pub unit_symbol: String,
    pub decimals: u8,
    pub node_key: [u8; 32],
}

impl NodeDb {
    /// Remembers (or refreshes) what a circle on another node says of itself.
    pub async fn keep_remote_circle(&self, circle: &RemoteCircle, now_ms: i64) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO link_partners (circle_id, address, slug, name, unit_name, unit_symbol, decimals, node_key, updated_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (circle_id) DO UPDATE SET address = excluded.address, slug = excluded.slug, name = excluded.name, unit_name = excluded.unit_name, unit_symbol = excluded.unit_symbol, decimals = excluded.decimals, node_key = excluded.node_key, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(circle.circle_id.to_vec())
        .bind(circle.address.clone())
        .bind(circle.slug.clone())
        .bind(circle.name.clone())
        .bind(circle.unit_name.clone())
        .bind(circle.unit_symbol.clone())
        .bind(i64::from(circle.decimals))
        .bind(circle.node_key.to_vec())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A circle on another node this node knows of, by its id.
    pub async fn remote_circle(&self, circle_id: &[u8; 32]) -> DbResult<Option<RemoteCircle>> {
        let row = sqlx::query(
            "SELECT address, slug, name, unit_name, unit_symbol, decimals, node_key FROM link_partners WHERE circle_id = $1",
        )
        .bind(circle_id.to_vec())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let node_key: Vec<u8> = row.try_get(6)?;
        Ok(Some(RemoteCircle {
            circle_id: *circle_id,
            address: row.try_get(0)?,
            slug: row.try_get(1)?,
            name: row.try_get(2)?,
            unit_name: row.try_get(3)?,
            unit_symbol: row.try_get(4)?,
            decimals: u8::try_from(row.try_get::<i64, _>(5)?).unwrap_or(0),
            node_key: node_key.try_into().unwrap_or([0; 32]),
        }))
    }
}
