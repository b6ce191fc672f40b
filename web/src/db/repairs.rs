//! Repair conversations' tables: the conversation (its facilitator, topic, agreement and
//! outline), the people invited and their answers and consents, and their messages.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{DbResult, NodeDb};

/// Most people one conversation invites (besides its facilitator).
pub const REPAIR_PEOPLE_MAX: usize = 8;
/// Most messages in one conversation.
pub const REPAIR_MESSAGES_MAX: i64 = 500;

/// A repair conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairRow {
    pub id: i64,
    pub circle: i64,
    pub case_id: Option<i64>,
    pub facilitator_id: i64,
    pub facilitator_name: String,
    pub topic: String,
    /// `open`, `agreed` or `closed`.
    pub status: String,
    pub agreement: String,
    pub outline: String,
    /// Each change of the agreement's text makes a new version; consents name one.
    pub agreement_version: i64,
    pub opened_at_ms: i64,
    pub closed_at_ms: Option<i64>,
}

/// Someone invited to a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairPerson {
    pub user_id: i64,
    pub display_name: String,
    /// `invited`, `joined` or `declined`.
    pub answer: String,
    /// The agreement version they consented to (0: none).
    pub consented_version: i64,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairMessage {
    pub author_id: i64,
    pub author_name: String,
    pub body: String,
    pub created_at_ms: i64,
}

const REPAIR_SELECT: &str = "SELECT r.id, r.circle, r.case_id, r.facilitator_id, u.display_name AS facilitator_name, r.topic,
        r.status, r.agreement, r.outline, r.agreement_version, r.opened_at_ms, r.closed_at_ms
     FROM repairs r JOIN users u ON u.id = r.facilitator_id";

fn repair_from_row(row: &AnyRow) -> DbResult<RepairRow> {
    Ok(RepairRow {
        id: row.try_get("id")?,
        circle: row.try_get("circle")?,
        case_id: row.try_get("case_id")?,
        facilitator_id: row.try_get("facilitator_id")?,
        facilitator_name: row.try_get("facilitator_name")?,
        topic: row.try_get("topic")?,
        status: row.try_get("status")?,
        agreement: row.try_get("agreement")?,
        outline: row.try_get("outline")?,
        agreement_version: row.try_get("agreement_version")?,
        opened_at_ms: row.try_get("opened_at_ms")?,
        closed_at_ms: row.try_get("closed_at_ms")?,
    })
}

impl NodeDb {
    /// Opens a conversation and invites its people, in one transaction.
    pub async fn create_repair(
        &self,
        circle: i64,
        case_id: i64,
        facilitator: i64,
        topic: &str,
        people: &[i64],
        now_ms: i64,
    ) -> DbResult<i64> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO repairs (circle, case_id, facilitator_id, topic, opened_at_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(circle)
        .bind(case_id)
        .bind(facilitator)
        .bind(topic)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        for person in people {
            sqlx::query("INSERT INTO repair_people (repair_id, user_id) VALUES ($1, $2) ON CONFLICT (repair_id, user_id) DO NOTHING")
                .bind(id)
                .bind(*person)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.changed();
        Ok(id)
    }

    /// A conversation of the circle.
    pub async fn repair(&self, circle: i64, id: i64) -> DbResult<Option<RepairRow>> {
        let sql = format!("{REPAIR_SELECT} WHERE r.circle = $1 AND r.id = $2");
        let row = sqlx::query(&sql)
            .bind(circle)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(repair_from_row).transpose()
    }

    /// The open conversations a person facilitates or was invited to, in a circle.
    pub async fn repairs_of(&self, circle: i64, user_id: i64) -> DbResult<Vec<RepairRow>> {
        let sql = format!(
            "{REPAIR_SELECT} WHERE r.circle = $1 AND r.status = 'open' AND (r.facilitator_id = $2
               OR EXISTS (SELECT 1 FROM repair_people p WHERE p.repair_id = r.id AND p.user_id = $2 AND p.answer <> 'declined'))
             ORDER BY r.opened_at_ms DESC LIMIT 50"
        );
        let rows = sqlx::query(&sql)
            .bind(circle)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(repair_from_row).collect()
    }

    /// The people invited to a conversation.
    pub async fn repair_people(&self, id: i64) -> DbResult<Vec<RepairPerson>> {
        let rows = sqlx::query(
            "SELECT p.user_id, u.display_name, p.answer, p.consented_version FROM repair_people p
             JOIN users u ON u.id = p.user_id WHERE p.repair_id = $1 ORDER BY u.display_name",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RepairPerson {
                    user_id: row.try_get("user_id")?,
                    display_name: row.try_get("display_name")?,
                    answer: row.try_get("answer")?,
                    consented_version: row.try_get("consented_version")?,
                })
            })
            .collect()
    }

    /// An invited person joins or declines (they may change their mind while it is open).
    pub async fn answer_repair(&self, id: i64, user_id: i64, join: bool) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE repair_people SET answer = $3, consented_version = 0 WHERE repair_id = $1 AND user_id = $2
             AND EXISTS (SELECT 1 FROM repairs WHERE id = $1 AND status = 'open')",
        )
        .bind(id)
        .bind(user_id)
        .bind(if join { "joined" } else { "declined" })
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Adds a message (bounded by [`REPAIR_MESSAGES_MAX`]).
    pub async fn add_repair_message(
        &self,
        id: i64,
        author: i64,
        body: &str,
        now_ms: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "INSERT INTO repair_messages (repair_id, author_id, body, created_at_ms)
             SELECT $1, $2, $3, $4 WHERE (SELECT COUNT(*) FROM repair_messages WHERE repair_id = $1) < $5",
        )
        .bind(id)
        .bind(author)
        .bind(body)
        .bind(now_ms)
        .bind(REPAIR_MESSAGES_MAX)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// A conversation's messages, oldest first.
    pub async fn repair_messages(&self, id: i64) -> DbResult<Vec<RepairMessage>> {
        let rows = sqlx::query(
            "SELECT m.author_id, u.display_name, m.body, m.created_at_ms FROM repair_messages m
             JOIN users u ON u.id = m.author_id WHERE m.repair_id = $1 ORDER BY m.id LIMIT $2",
        )
        .bind(id)
        .bind(REPAIR_MESSAGES_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RepairMessage {
                    author_id: row.try_get("author_id")?,
                    author_name: row.try_get("display_name")?,
                    body: row.try_get("body")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }

    /// Writes the agreement and its outline as a new version (earlier consents no longer
    /// count).
    pub async fn set_repair_agreement(
        &self,
        id: i64,
        agreement: &str,
        outline: &str,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE repairs SET agreement = $2, outline = $3, agreement_version = agreement_version + 1
             WHERE id = $1 AND status = 'open'",
        )
        .bind(id)
        .bind(agreement)
        .bind(outline)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// A person who joined consents to this version of the agreement (only if it is still
    /// the current one).
    pub async fn consent_repair(&self, id: i64, user_id: i64, version: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE repair_people SET consented_version = $3 WHERE repair_id = $1 AND user_id = $2 AND answer = 'joined'
             AND EXISTS (SELECT 1 FROM repairs WHERE id = $1 AND status = 'open' AND agreement_version = $3)",
        )
        .bind(id)
        .bind(user_id)
        .bind(version)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Ends a conversation, agreed or closed without agreement.
    pub async fn end_repair(&self, id: i64, agreed: bool, now_ms: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE repairs SET status = $2, closed_at_ms = $3 WHERE id = $1 AND status = 'open'",
        )
        .bind(id)
        .bind(if agreed { "agreed" } else { "closed" })
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }
}
