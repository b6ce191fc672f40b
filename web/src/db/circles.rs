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

    /// A circle's time zone (an IANA name; `UTC` until stewards choose), remembered: every page
    /// of the circle writes its times in it.
    pub async fn circle_time_zone(&self, circle: i64) -> DbResult<String> {
        self.reads
            .zones
            .get_or_read(&self.reads.generations, WEB_SCOPE, circle, || async move {
                let row = sqlx::query("SELECT time_zone FROM circle_settings WHERE circle = $1")
                    .bind(circle)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match row {
                    Some(row) => row.try_get::<String, _>(0)?,
                    None => "UTC".to_owned(),
                })
            })
            .await
    }

    /// Sets a circle's time zone (the settings row must exist; the name was checked).
    pub async fn set_circle_time_zone(&self, circle: i64, zone: &str) -> DbResult<()> {
        sqlx::query("UPDATE circle_settings SET time_zone = $2 WHERE circle = $1")
            .bind(circle)
            .bind(zone)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
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

    /// A yes-or-no setting of the circle (its default when the circle has no settings row).
    pub async fn circle_flag(&self, circle: i64, flag: CircleFlag) -> DbResult<bool> {
        let sql = format!(
            "SELECT {} FROM circle_settings WHERE circle = $1",
            flag.column()
        );
        let row = sqlx::query(&sql)
            .bind(circle)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => row.try_get::<i64, _>(0)? != 0,
            None => flag.default(),
        })
    }

    /// Sets a yes-or-no setting (the circle's settings row must exist).
    pub async fn set_circle_flag(
        &self,
        circle: i64,
        flag: CircleFlag,
        value: bool,
    ) -> DbResult<()> {
        let sql = format!(
            "UPDATE circle_settings SET {} = $2 WHERE circle = $1",
            flag.column()
        );
        sqlx::query(&sql)
            .bind(circle)
            .bind(i64::from(value))
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }
}

/// The yes-or-no settings of a circle, one `circle_settings` column each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircleFlag {
    /// The moderation log names the moderator of each action.
    ModeratorNamesShown,
    /// Appeals go to the whole circle as a proposal.
    AppealsByVote,
    /// Members, not only stewards, may post news.
    MembersMayPostNews,
}

impl CircleFlag {
    fn column(self) -> &'static str {
        match self {
            CircleFlag::ModeratorNamesShown => "moderator_names_shown",
            CircleFlag::AppealsByVote => "appeals_by_vote",
            CircleFlag::MembersMayPostNews => "members_may_post_news",
        }
    }

    fn default(self) -> bool {
        self == CircleFlag::ModeratorNamesShown
    }
}
