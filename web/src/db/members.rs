//! Reading members: directories, names for ledger keys, people by id, electorates.

use super::*;

impl NodeDb {
    /// Members of a circle with this status, by name (people waiting: oldest first); `search`
    /// filters names (case-insensitive).
    pub async fn members(
        &self,
        circle: i64,
        status: MemberStatus,
        search: Option<&str>,
        limit: i64,
    ) -> DbResult<Vec<MemberCard>> {
        let pattern = search
            .map(|text| {
                let escaped: String = text
                    .to_lowercase()
                    .chars()
                    .flat_map(|c| match c {
                        '%' | '_' | '\\' => vec!['\\', c],
                        c => vec![c],
                    })
                    .collect();
                format!("%{escaped}%")
            })
            .unwrap_or_else(|| "%".to_owned());
        let order = if status == MemberStatus::Pending {
            "m.created_at_ms, u.id"
        } else {
            "LOWER(u.display_name), u.id"
        };
        let sql = format!(
            "{CARD_SELECT} WHERE m.circle = $1 AND m.status = $2
               AND (LOWER(u.display_name) LIKE $3 ESCAPE '\\' OR u.username LIKE $3 ESCAPE '\\')
             ORDER BY {order} LIMIT $4"
        );
        sqlx::query(&sql)
            .bind(circle)
            .bind(status.as_str())
            .bind(pattern)
            .bind(limit.clamp(1, MEMBERS_PAGE_MAX))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(card_from_row)
            .collect()
    }

    pub async fn member_by_username(
        &self,
        circle: i64,
        username: &str,
    ) -> DbResult<Option<MemberCard>> {
        let sql = format!("{CARD_SELECT} WHERE m.circle = $1 AND u.username = $2");
        sqlx::query(&sql)
            .bind(circle)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(card_from_row)
            .transpose()
    }

    /// Who holds (or held) a ledger key in a circle: names for the ledger pages.
    pub async fn names_for_keys(&self, circle: i64, keys: &[PublicKey]) -> DbResult<Vec<KeyName>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.reads
            .names
            .get_or_read(
                &self.reads.generations,
                WEB_SCOPE,
                (circle, keys.to_vec()),
                || self.read_names_for_keys(circle, keys),
            )
            .await
    }

    pub(super) async fn read_names_for_keys(
        &self,
        circle: i64,
        keys: &[PublicKey],
    ) -> DbResult<Vec<KeyName>> {
        let list = super::placeholders(keys.len(), 2);
        let sql = format!(
            "SELECT k.account_key, u.username, u.display_name FROM member_keys k JOIN users u ON u.id = k.user_id
             WHERE k.circle = $1 AND k.account_key IN ({list})"
        );
        let mut query = sqlx::query(&sql).bind(circle);
        for key in keys {
            query = query.bind(key.as_bytes().to_vec());
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok((
                    key_of(row.try_get("account_key")?)?,
                    row.try_get("username")?,
                    row.try_get("display_name")?,
                ))
            })
            .collect()
    }

    /// The active members among `user_ids` in a circle, with their names and current account
    /// keys (at most [`MEMBERS_PAGE_MAX`] ids are looked up).
    pub async fn people(&self, circle: i64, user_ids: &[i64]) -> DbResult<Vec<Person>> {
        let mut ids: Vec<i64> = user_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        ids.truncate(MEMBERS_PAGE_MAX as usize);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.reads
            .people
            .get_or_read(
                &self.reads.generations,
                WEB_SCOPE,
                (circle, ids.clone()),
                || self.read_people(circle, ids.clone()),
            )
            .await
    }

    pub(super) async fn read_people(&self, circle: i64, ids: Vec<i64>) -> DbResult<Vec<Person>> {
        let list = super::placeholders(ids.len(), 2);
        let sql = format!(
            "SELECT m.user_id, u.username, u.display_name, m.account_key FROM memberships m
             JOIN users u ON u.id = m.user_id
             WHERE m.circle = $1 AND m.status = 'active' AND m.user_id IN ({list})"
        );
        let mut query = sqlx::query(&sql).bind(circle);
        for id in &ids {
            query = query.bind(*id);
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(person_from_row)
            .collect()
    }

    /// Every active member of a circle with their current account key, at most
    /// [`ACTIVE_MEMBERS_MAX`] (a vote's electorate, who to notify).
    pub async fn active_members(&self, circle: i64) -> DbResult<Vec<Person>> {
        sqlx::query(
            "SELECT m.user_id, u.username, u.display_name, m.account_key FROM memberships m
             JOIN users u ON u.id = m.user_id
             WHERE m.circle = $1 AND m.status = 'active' ORDER BY m.user_id LIMIT $2",
        )
        .bind(circle)
        .bind(ACTIVE_MEMBERS_MAX)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(person_from_row)
        .collect()
    }

    /// Members who became active since `since_ms`, newest first, with when they joined (the
    /// steward's decision, or the invitation's use).
    pub async fn newcomers(
        &self,
        circle: i64,
        since_ms: i64,
        limit: i64,
    ) -> DbResult<Vec<(Person, i64)>> {
        sqlx::query(
            "SELECT m.user_id, u.username, u.display_name, m.account_key,
                    COALESCE(m.decided_at_ms, m.created_at_ms) AS joined_at_ms
             FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.circle = $1 AND m.status = 'active'
               AND COALESCE(m.decided_at_ms, m.created_at_ms) >= $2
             ORDER BY joined_at_ms DESC, m.user_id DESC LIMIT $3",
        )
        .bind(circle)
        .bind(since_ms)
        .bind(limit.clamp(1, MEMBERS_PAGE_MAX))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((person_from_row(row)?, row.try_get("joined_at_ms")?)))
        .collect()
    }

    /// The person whose membership holds this account key, and their name (any status).
    pub async fn member_by_key(
        &self,
        circle: i64,
        key: &PublicKey,
    ) -> DbResult<Option<(i64, String)>> {
        let row = sqlx::query(
            "SELECT m.user_id, u.display_name FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.circle = $1 AND m.account_key = $2",
        )
        .bind(circle)
        .bind(key.as_bytes().to_vec())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((row.try_get("user_id")?, row.try_get("display_name")?)))
            .transpose()
    }

    /// Every key a member's account has had in a circle.
    pub async fn member_keys(&self, circle: i64, user_id: i64) -> DbResult<Vec<PublicKey>> {
        self.reads
            .member_keys
            .get_or_read(
                &self.reads.generations,
                WEB_SCOPE,
                (circle, user_id),
                || self.read_member_keys(circle, user_id),
            )
            .await
    }

    pub(super) async fn read_member_keys(
        &self,
        circle: i64,
        user_id: i64,
    ) -> DbResult<Vec<PublicKey>> {
        sqlx::query("SELECT account_key FROM member_keys WHERE circle = $1 AND user_id = $2")
            .bind(circle)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|row| key_of(row.try_get(0)?))
            .collect()
    }
}

fn person_from_row(row: &AnyRow) -> DbResult<Person> {
    Ok(Person {
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        account_key: key_of(row.try_get("account_key")?)?,
    })
}
