//! People with a login: creating, reading, profiles and passwords.

use super::*;

impl NodeDb {
    // ----- people -----
    pub async fn user_count(&self) -> DbResult<i64> {
        sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)
    }

    pub async fn create_user(&self, user: &NewUser) -> DbResult<i64> {
        let row = sqlx::query(
            "INSERT INTO users (username, display_name, password_hash, seal_salt, language, is_node_admin, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(&user.password_hash)
        .bind(user.seal_salt.clone())
        .bind(user.language.clone())
        .bind(i64::from(user.is_node_admin))
        .bind(user.now_ms)
        .fetch_one(&self.pool)
        .await?;
        self.changed();
        row.try_get(0)
    }

    pub async fn user(&self, id: i64) -> DbResult<Option<User>> {
        self.reads
            .users
            .get_or_read(&self.reads.generations, WEB_SCOPE, id, || {
                self.read_user(id)
            })
            .await
    }

    pub(super) async fn read_user(&self, id: i64) -> DbResult<Option<User>> {
        let sql =
            format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND erased_at_ms IS NULL");
        sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    pub async fn user_by_username(&self, username: &str) -> DbResult<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1 AND erased_at_ms IS NULL"
        );
        sqlx::query(&sql)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    pub async fn update_profile(
        &self,
        user_id: i64,
        display_name: &str,
        bio: &str,
        language: Option<&str>,
    ) -> DbResult<()> {
        sqlx::query("UPDATE users SET display_name = $1, bio = $2, language = $3 WHERE id = $4")
            .bind(display_name)
            .bind(bio)
            .bind(language)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// Changes a password: the new hash, the new seal salt and every membership's key resealed
    /// under the new password, all in one transaction. Other sessions of the person end.
    pub async fn change_password(
        &self,
        user_id: i64,
        password_hash: &str,
        seal_salt: &[u8],
        resealed: &[(i64, Vec<u8>)],
        keep_session: &[u8],
    ) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1, seal_salt = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(seal_salt.to_vec())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for (circle, sealed) in resealed {
            sqlx::query(
                "UPDATE memberships SET sealed_key = $1 WHERE circle = $2 AND user_id = $3",
            )
            .bind(sealed.clone())
            .bind(*circle)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep_session.to_vec())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }
}
