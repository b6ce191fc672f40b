//! The node's own rows: its secret and the one-time setup token.

use super::*;

impl NodeDb {
    /// The node's secret called `name`, made from `fresh` the first time it is asked for.
    pub async fn node_secret(&self, name: &str, fresh: [u8; 32]) -> DbResult<Vec<u8>> {
        sqlx::query(
            "INSERT INTO node_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh.to_vec())
        .execute(&self.pool)
        .await?;
        self.changed();
        sqlx::query("SELECT value FROM node_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)
    }

    /// The one-time setup token of a node nobody has set up yet (made once, kept until used).
    pub async fn setup_token(&self, fresh: [u8; 32]) -> DbResult<Vec<u8>> {
        self.node_secret("setup", fresh).await
    }

    /// Claims the setup token: exactly one caller with the right token wins, once.
    pub async fn claim_setup(&self, token: &[u8]) -> DbResult<bool> {
        let done = sqlx::query("DELETE FROM node_secrets WHERE name = 'setup' AND value = $1")
            .bind(token.to_vec())
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Gives a claimed setup token back (the setup could not be written).
    pub async fn release_setup(&self, token: &[u8]) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO node_secrets (name, value) VALUES ('setup', $1) ON CONFLICT (name) DO NOTHING",
        )
        .bind(token.to_vec())
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }
}
