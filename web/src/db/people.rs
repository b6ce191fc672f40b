//! People's profiles beyond name and bio: skills and interests (tags), what to ask them
//! about, whether their profile may be public, and their photo.

use std::collections::HashMap;

use sqlx::Row;

use super::{DbResult, NodeDb};
use crate::people::rules::{ProfileExtras, TagKind};

/// A person's tags and words, as their profile shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileRow {
    pub skills: Vec<String>,
    pub interests: Vec<String>,
    pub ask_me_about: String,
    pub public: bool,
    /// The photo's description, when there is a photo.
    pub photo_alt: Option<String>,
}

/// What the directory shows of each person beyond their card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryExtras {
    pub skills: Vec<String>,
    pub has_photo: bool,
}

/// A processed photo to keep.
#[derive(Debug, Clone)]
pub struct NewPhoto<'a> {
    pub alt: &'a str,
    pub full_jpeg: &'a [u8],
    pub thumb_jpeg: &'a [u8],
    pub width: i64,
    pub height: i64,
}

/// Most people whose extras one read returns.
const EXTRAS_IDS_MAX: usize = 500;

impl NodeDb {
    /// Replaces a person's skills, interests, "ask me about" and public choice, in one
    /// transaction.
    pub async fn save_profile_extras(&self, user_id: i64, extras: &ProfileExtras) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM user_tags WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for (kind, tags) in [
            (TagKind::Skill, &extras.skills),
            (TagKind::Interest, &extras.interests),
        ] {
            for (position, tag) in tags.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO user_tags (user_id, kind, tag, position) VALUES ($1, $2, $3, $4)",
                )
                .bind(user_id)
                .bind(kind.as_str())
                .bind(tag)
                .bind(position as i64)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query("UPDATE users SET ask_me_about = $2, profile_public = $3 WHERE id = $1")
            .bind(user_id)
            .bind(&extras.ask_me_about)
            .bind(i64::from(extras.public))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    /// A person's profile beyond name and bio.
    pub async fn profile_of(&self, user_id: i64) -> DbResult<ProfileRow> {
        let mut profile = ProfileRow::default();
        let rows = sqlx::query(
            "SELECT kind, tag FROM user_tags WHERE user_id = $1 ORDER BY kind, position",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            let tag: String = row.try_get("tag")?;
            match TagKind::parse(&row.try_get::<String, _>("kind")?) {
                Some(TagKind::Skill) => profile.skills.push(tag),
                Some(TagKind::Interest) => profile.interests.push(tag),
                None => {}
            }
        }
        let row = sqlx::query(
            "SELECT u.ask_me_about, u.profile_public, p.alt FROM users u
             LEFT JOIN user_photos p ON p.user_id = u.id WHERE u.id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = row {
            profile.ask_me_about = row.try_get("ask_me_about")?;
            profile.public = row.try_get::<i64, _>("profile_public")? != 0;
            profile.photo_alt = row.try_get("alt")?;
        }
        Ok(profile)
    }

    /// The skills and whether there is a photo, for each of these people.
    pub async fn directory_extras(
        &self,
        user_ids: &[i64],
    ) -> DbResult<HashMap<i64, DirectoryExtras>> {
        let ids = &user_ids[..user_ids.len().min(EXTRAS_IDS_MAX)];
        let mut extras: HashMap<i64, DirectoryExtras> = HashMap::new();
        if ids.is_empty() {
            return Ok(extras);
        }
        let list = super::placeholders(ids.len(), 1);
        let sql = format!(
            "SELECT user_id, tag FROM user_tags WHERE kind = 'skill' AND user_id IN ({list}) ORDER BY user_id, position"
        );
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&self.pool).await? {
            let user: i64 = row.try_get("user_id")?;
            extras
                .entry(user)
                .or_default()
                .skills
                .push(row.try_get("tag")?);
        }
        let sql = format!("SELECT user_id FROM user_photos WHERE user_id IN ({list})");
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&self.pool).await? {
            extras.entry(row.try_get(0)?).or_default().has_photo = true;
        }
        Ok(extras)
    }

    /// The active members of a circle with a skill or interest containing `text` (folded):
    /// their user ids, at most `limit`.
    pub async fn members_with_tag(
        &self,
        circle: i64,
        text: &str,
        limit: i64,
    ) -> DbResult<Vec<i64>> {
        let escaped: String = text
            .to_lowercase()
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        sqlx::query(
            "SELECT DISTINCT t.user_id FROM user_tags t
             JOIN memberships m ON m.user_id = t.user_id AND m.circle = $1 AND m.status = 'active'
             WHERE t.tag LIKE $2 ESCAPE '\\' ORDER BY t.user_id LIMIT $3",
        )
        .bind(circle)
        .bind(format!("%{escaped}%"))
        .bind(limit.clamp(1, super::MEMBERS_PAGE_MAX))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect()
    }

    /// Every active member of a circle who lists a skill, with their skills (for needs to find
    /// who could help), at most [`super::MEMBERS_PAGE_MAX`] people.
    pub async fn skilled_members(&self, circle: i64) -> DbResult<Vec<(i64, Vec<String>)>> {
        let rows = sqlx::query(
            "SELECT t.user_id, t.tag FROM user_tags t
             JOIN memberships m ON m.user_id = t.user_id AND m.circle = $1 AND m.status = 'active'
             WHERE t.kind = 'skill' ORDER BY t.user_id, t.position LIMIT $2",
        )
        .bind(circle)
        .bind(super::MEMBERS_PAGE_MAX * crate::people::rules::TAGS_PER_KIND_MAX as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut people: Vec<(i64, Vec<String>)> = Vec::new();
        for row in &rows {
            let user: i64 = row.try_get("user_id")?;
            let tag: String = row.try_get("tag")?;
            match people.last_mut() {
                Some((last, tags)) if *last == user => tags.push(tag),
                _ => people.push((user, vec![tag])),
            }
        }
        Ok(people)
    }

    /// Keeps a person's photo (replacing any earlier one).
    pub async fn save_user_photo(
        &self,
        user_id: i64,
        photo: &NewPhoto<'_>,
        now_ms: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO user_photos (user_id, alt, full_jpeg, thumb_jpeg, width, height, updated_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (user_id) DO UPDATE SET alt = excluded.alt, full_jpeg = excluded.full_jpeg,
               thumb_jpeg = excluded.thumb_jpeg, width = excluded.width, height = excluded.height,
               updated_at_ms = excluded.updated_at_ms",
        )
        .bind(user_id)
        .bind(photo.alt)
        .bind(photo.full_jpeg.to_vec())
        .bind(photo.thumb_jpeg.to_vec())
        .bind(photo.width)
        .bind(photo.height)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// Removes a person's photo.
    pub async fn delete_user_photo(&self, user_id: i64) -> DbResult<()> {
        sqlx::query("DELETE FROM user_photos WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// A person's photo (the thumbnail or the full size), with when it last changed.
    pub async fn user_photo(&self, user_id: i64, thumb: bool) -> DbResult<Option<(Vec<u8>, i64)>> {
        let column = if thumb { "thumb_jpeg" } else { "full_jpeg" };
        let sql = format!("SELECT {column}, updated_at_ms FROM user_photos WHERE user_id = $1");
        let row = sqlx::query(&sql)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .transpose()
    }
}
