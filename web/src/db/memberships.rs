//! Memberships: a person's status and keys in a circle, and the steps of admission.

use super::*;

/// The key space of the waiting room's PostgreSQL transaction locks (plus the circle's row id).
const WAITING_ROOM_LOCK: i64 = 0x5741_4954_0000_0000;

impl NodeDb {
    // ----- memberships -----
    pub async fn create_membership(&self, new: &NewMembership) -> DbResult<()> {
        self.insert_membership(new, i64::MAX).await.map(|_| ())
    }

    /// Someone starts to wait for the stewards, unless `waiting_max` people already wait in
    /// the circle: answers whether there was room. Exact under concurrent requests: the count
    /// and the insert are one statement (SQLite runs it under its one write lock), and on
    /// PostgreSQL a per-circle transaction lock orders the requests that race.
    pub async fn create_waiting_membership(
        &self,
        new: &NewMembership,
        waiting_max: i64,
    ) -> DbResult<bool> {
        debug_assert_eq!(new.status, MemberStatus::Pending);
        self.insert_membership(new, waiting_max).await
    }

    async fn insert_membership(&self, new: &NewMembership, waiting_max: i64) -> DbResult<bool> {
        let mut tx = self.pool.begin().await?;
        if waiting_max != i64::MAX && self.is_postgres() {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WAITING_ROOM_LOCK + new.circle)
                .execute(&mut *tx)
                .await?;
        }
        let inserted = sqlx::query(
            "INSERT INTO memberships (circle, user_id, status, account_key, sealed_key, vouched_by, invitation, request_message, agreements_version, agreed_at_ms, created_at_ms)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10
             WHERE $3 <> 'pending' OR (SELECT COUNT(*) FROM memberships WHERE circle = $1 AND status = 'pending') < $11",
        )
        .bind(new.circle)
        .bind(new.user_id)
        .bind(new.status.as_str())
        .bind(new.account_key.as_bytes().to_vec())
        .bind(new.sealed_key.clone())
        .bind(new.vouched_by)
        .bind(new.invitation)
        .bind(&new.request_message)
        .bind(new.agreements_version)
        .bind(new.now_ms)
        .bind(waiting_max)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("INSERT INTO member_keys (circle, account_key, user_id) VALUES ($1, $2, $3)")
            .bind(new.circle)
            .bind(new.account_key.as_bytes().to_vec())
            .bind(new.user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(true)
    }

    pub async fn membership(&self, circle: i64, user_id: i64) -> DbResult<Option<Membership>> {
        self.reads
            .memberships
            .get_or_read(
                &self.reads.generations,
                WEB_SCOPE,
                (circle, user_id),
                || self.read_membership(circle, user_id),
            )
            .await
    }

    pub(super) async fn read_membership(
        &self,
        circle: i64,
        user_id: i64,
    ) -> DbResult<Option<Membership>> {
        let sql = format!(
            "SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE circle = $1 AND user_id = $2"
        );
        sqlx::query(&sql)
            .bind(circle)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(membership_from_row)
            .transpose()
    }

    /// Circles (row ids) a person is an active member of, with their membership.
    pub async fn memberships_of(&self, user_id: i64) -> DbResult<Vec<Membership>> {
        self.memberships_where("user_id = $1 ORDER BY created_at_ms", user_id)
            .await
    }

    /// The active and admitting memberships of a circle (what `reconcile_memberships` checks).
    pub async fn memberships_in(&self, circle: i64) -> DbResult<Vec<Membership>> {
        self.memberships_where(
            "circle = $1 AND status IN ('active', 'admitting') ORDER BY user_id",
            circle,
        )
        .await
    }

    /// Memberships matching a fixed condition on one bound id.
    pub(super) async fn memberships_where(
        &self,
        condition: &str,
        id: i64,
    ) -> DbResult<Vec<Membership>> {
        let sql = format!("SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE {condition}");
        sqlx::query(&sql)
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(membership_from_row)
            .collect()
    }

    /// Puts an admission a crash interrupted (decided before `before_ms`, no account opened)
    /// back to pending.
    pub async fn undo_stale_admission(
        &self,
        circle: i64,
        user_id: i64,
        before_ms: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE memberships SET status = 'pending', decided_by = NULL, decided_at_ms = NULL
             WHERE circle = $1 AND user_id = $2 AND status = 'admitting' AND decided_at_ms < $3",
        )
        .bind(circle)
        .bind(user_id)
        .bind(before_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// How many memberships of a circle have this status.
    pub async fn count_with_status(&self, circle: i64, status: MemberStatus) -> DbResult<i64> {
        sqlx::query("SELECT COUNT(*) FROM memberships WHERE circle = $1 AND status = $2")
            .bind(circle)
            .bind(status.as_str())
            .fetch_one(&self.pool)
            .await?
            .try_get(0)
    }

    /// Records a steward's decision on a pending membership.
    pub async fn decide_membership(
        &self,
        circle: i64,
        user_id: i64,
        status: MemberStatus,
        decided_by: i64,
        now_ms: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE memberships SET status = $1, decided_by = $2, decided_at_ms = $3 WHERE circle = $4 AND user_id = $5 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(decided_by)
        .bind(now_ms)
        .bind(circle)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// An admission whose ledger account is open: the member is active.
    pub async fn finish_admission(&self, circle: i64, user_id: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE memberships SET status = 'active' WHERE circle = $1 AND user_id = $2 AND status = 'admitting'",
        )
        .bind(circle)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Puts an admission back to pending (its ledger account could not be opened).
    pub async fn undecide_membership(&self, circle: i64, user_id: i64) -> DbResult<()> {
        sqlx::query(
            "UPDATE memberships SET status = 'pending', decided_by = NULL, decided_at_ms = NULL WHERE circle = $1 AND user_id = $2 AND status = 'admitting'",
        )
        .bind(circle)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// Sets a membership's status (e.g. `left` when the ledger account was closed).
    pub async fn set_membership_status(
        &self,
        circle: i64,
        user_id: i64,
        status: MemberStatus,
    ) -> DbResult<()> {
        sqlx::query("UPDATE memberships SET status = $1 WHERE circle = $2 AND user_id = $3")
            .bind(status.as_str())
            .bind(circle)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// Moves a membership to a new key (after a ledger key rotation), remembering the old one.
    pub async fn move_member_key(
        &self,
        circle: i64,
        user_id: i64,
        new_key: &PublicKey,
        sealed_key: Option<Vec<u8>>,
    ) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE memberships SET account_key = $1, sealed_key = $2 WHERE circle = $3 AND user_id = $4",
        )
        .bind(new_key.as_bytes().to_vec())
        .bind(sealed_key)
        .bind(circle)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO member_keys (circle, account_key, user_id) VALUES ($1, $2, $3) ON CONFLICT (circle, account_key) DO NOTHING")
            .bind(circle)
            .bind(new_key.as_bytes().to_vec())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    /// Records a key the member's account had before (e.g. an invitation's temporary key).
    pub async fn remember_member_key(
        &self,
        circle: i64,
        user_id: i64,
        key: &PublicKey,
    ) -> DbResult<()> {
        sqlx::query("INSERT INTO member_keys (circle, account_key, user_id) VALUES ($1, $2, $3) ON CONFLICT (circle, account_key) DO NOTHING")
            .bind(circle)
            .bind(key.as_bytes().to_vec())
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }
}
