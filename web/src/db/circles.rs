//! A circle's settings kept by the web space (name, agreements, joining).

use super::*;

impl NodeDb {
    // ----- circles -----
    pub async fn circle_settings(&self, circle: i64) -> DbResult<Option<CircleSettings>> {
        self.reads
            .settings
            .get_or_read(&self.reads.generations, WEB_SCOPE, circle, || {
                self.read_circle_settings(circle)
            })
            .await
    }

    pub(super) async fn read_circle_settings(
        &self,
        circle: i64,
    ) -> DbResult<Option<CircleSettings>> {
        let row = sqlx::query("SELECT description, agreements, agreements_version, members_may_invite, open_to_requests FROM circle_settings WHERE circle = $1")
            .bind(circle)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(CircleSettings {
                description: row.try_get("description")?,
                agreements: row.try_get("agreements")?,
                agreements_version: row.try_get("agreements_version")?,
                members_may_invite: row.try_get::<i64, _>("members_may_invite")? != 0,
                open_to_requests: row.try_get::<i64, _>("open_to_requests")? != 0,
            })
        })
        .transpose()
    }

    /// Saves a circle's settings; a change to the agreements' text starts a new version.
    pub async fn save_circle_settings(
        &self,
        circle: i64,
        settings: &CircleSettings,
        now_ms: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO circle_settings (circle, description, agreements, agreements_version, members_may_invite, open_to_requests, updated_at_ms)
             VALUES ($1, $2, $3, 1, $4, $6, $5)
             ON CONFLICT (circle) DO UPDATE SET description = excluded.description,
               agreements_version = CASE WHEN circle_settings.agreements = excluded.agreements
                 THEN circle_settings.agreements_version ELSE circle_settings.agreements_version + 1 END,
               agreements = excluded.agreements,
               members_may_invite = excluded.members_may_invite,
               open_to_requests = excluded.open_to_requests, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(circle)
        .bind(&settings.description)
        .bind(&settings.agreements)
        .bind(i64::from(settings.members_may_invite))
        .bind(now_ms)
        .bind(i64::from(settings.open_to_requests))
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }
}
