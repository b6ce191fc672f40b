//! Private conversations' tables: the conversation, its people (how far each read, whether
//! they muted it, when they left) and its messages. Nothing here decides who may read or
//! write: `conversations::service` does, through the reach rule.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{placeholders, DbResult, NodeDb};

/// Most people in one conversation, its starter included.
pub const CONVERSATION_PEOPLE_MAX: usize = 8;
/// Most messages one conversation holds.
pub const CONVERSATION_MESSAGES_MAX: i64 = 5_000;
/// Most messages one page of a conversation shows (the newest; older ones page back).
pub const CONVERSATION_PAGE_MAX: i64 = 100;
/// Most conversations one list shows.
pub const CONVERSATIONS_LISTED_MAX: i64 = 100;

/// A conversation, as listed for one of its people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRow {
    pub id: i64,
    pub circle: i64,
    pub started_by: Option<i64>,
    pub last_message_id: i64,
    pub active_at_ms: i64,
    pub created_at_ms: i64,
}

/// Someone in a conversation (or who was).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationPerson {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub last_read_id: i64,
    pub muted: bool,
    pub left_at_ms: Option<i64>,
}

impl ConversationPerson {
    /// Whether they are still in it.
    pub fn present(&self) -> bool {
        self.left_at_ms.is_none()
    }
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationMessage {
    pub id: i64,
    pub conversation: i64,
    pub author_id: i64,
    pub author_name: String,
    pub body: String,
    pub created_at_ms: i64,
}

fn conversation_from_row(row: &AnyRow) -> DbResult<ConversationRow> {
    Ok(ConversationRow {
        id: row.try_get("id")?,
        circle: row.try_get("circle")?,
        started_by: row.try_get("started_by")?,
        last_message_id: row.try_get("last_message_id")?,
        active_at_ms: row.try_get("active_at_ms")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

fn message_from_row(row: &AnyRow) -> DbResult<ConversationMessage> {
    Ok(ConversationMessage {
        id: row.try_get("id")?,
        conversation: row.try_get("conversation")?,
        author_id: row.try_get("author_id")?,
        author_name: row.try_get("author_name")?,
        body: row.try_get("body")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

const CONVERSATION_SELECT: &str =
    "SELECT c.id, c.circle, c.started_by, c.last_message_id, c.active_at_ms, c.created_at_ms FROM conversations c";
const MESSAGE_SELECT: &str = "SELECT m.id, m.conversation, m.author_id, u.display_name AS author_name, m.body, m.created_at_ms
     FROM conversation_messages m JOIN users u ON u.id = m.author_id";

impl NodeDb {
    /// Starts a conversation between `people` (the starter first) with its first message, in
    /// one transaction, unless the starter started `started_max` since `since_ms` already (the
    /// count and the insert are one statement). Answers the conversation's id, or None.
    pub async fn start_conversation(
        &self,
        circle: i64,
        people: &[i64],
        body: &str,
        now_ms: i64,
        (since_ms, started_max): (i64, i64),
    ) -> DbResult<Option<i64>> {
        let Some(&starter) = people.first() else {
            return Ok(None);
        };
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO conversations (circle, started_by, active_at_ms, created_at_ms)
             SELECT $1, $2, $3, $3
             WHERE (SELECT COUNT(*) FROM conversations
                    WHERE circle = $1 AND started_by = $2 AND created_at_ms >= $4) < $5
             RETURNING id",
        )
        .bind(circle)
        .bind(starter)
        .bind(now_ms)
        .bind(since_ms)
        .bind(started_max)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let id: i64 = row.try_get(0)?;
        for &person in people {
            sqlx::query(
                "INSERT INTO conversation_people (conversation, user_id, joined_at_ms) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(person)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        add_message(&mut tx, id, starter, body, now_ms).await?;
        tx.commit().await?;
        self.changed();
        Ok(Some(id))
    }

    /// Adds a message, unless the conversation holds [`CONVERSATION_MESSAGES_MAX`] already or
    /// the author left it. Answers the message's id, or None when it was not added.
    pub async fn add_conversation_message(
        &self,
        conversation: i64,
        author: i64,
        body: &str,
        now_ms: i64,
    ) -> DbResult<Option<i64>> {
        let mut tx = self.pool.begin().await?;
        let id = add_message(&mut tx, conversation, author, body, now_ms).await?;
        tx.commit().await?;
        self.changed();
        Ok(id)
    }

    /// A conversation of the circle.
    pub async fn conversation(&self, circle: i64, id: i64) -> DbResult<Option<ConversationRow>> {
        let row = sqlx::query(&format!(
            "{CONVERSATION_SELECT} WHERE c.circle = $1 AND c.id = $2"
        ))
        .bind(circle)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(conversation_from_row).transpose()
    }

    /// The people of a conversation, in the order they were added (the starter first).
    pub async fn conversation_people(
        &self,
        conversation: i64,
    ) -> DbResult<Vec<ConversationPerson>> {
        let rows = sqlx::query(
            "SELECT p.user_id, u.username, u.display_name, p.last_read_id, p.muted, p.left_at_ms
             FROM conversation_people p JOIN users u ON u.id = p.user_id
             WHERE p.conversation = $1 ORDER BY p.joined_at_ms, p.user_id",
        )
        .bind(conversation)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ConversationPerson {
                    user_id: row.try_get("user_id")?,
                    username: row.try_get("username")?,
                    display_name: row.try_get("display_name")?,
                    last_read_id: row.try_get("last_read_id")?,
                    muted: row.try_get::<i64, _>("muted")? != 0,
                    left_at_ms: row.try_get("left_at_ms")?,
                })
            })
            .collect()
    }

    /// The newest messages of a conversation before `before_id` (None: the newest of all),
    /// at most [`CONVERSATION_PAGE_MAX`], oldest first.
    pub async fn conversation_messages(
        &self,
        conversation: i64,
        before_id: Option<i64>,
    ) -> DbResult<Vec<ConversationMessage>> {
        let rows = sqlx::query(&format!(
            "{MESSAGE_SELECT} WHERE m.conversation = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3"
        ))
        .bind(conversation)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(CONVERSATION_PAGE_MAX)
        .fetch_all(&self.pool)
        .await?;
        let mut messages = rows
            .iter()
            .map(message_from_row)
            .collect::<DbResult<Vec<_>>>()?;
        messages.reverse();
        Ok(messages)
    }

    /// Some messages of a conversation by their ids (those that are in it), oldest first.
    pub async fn conversation_messages_by_id(
        &self,
        conversation: i64,
        ids: &[i64],
    ) -> DbResult<Vec<ConversationMessage>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{MESSAGE_SELECT} WHERE m.conversation = $1 AND m.id IN ({}) ORDER BY m.id",
            placeholders(ids.len(), 2)
        );
        let mut query = sqlx::query(&sql).bind(conversation);
        for id in ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(message_from_row).collect()
    }

    /// Messages by their ids, whatever their conversation (the last message of each listed
    /// conversation: at most [`CONVERSATIONS_LISTED_MAX`] ids).
    pub async fn last_conversation_messages(
        &self,
        ids: &[i64],
    ) -> DbResult<Vec<ConversationMessage>> {
        let ids: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| *id > 0)
            .take(CONVERSATIONS_LISTED_MAX as usize)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{MESSAGE_SELECT} WHERE m.id IN ({})",
            placeholders(ids.len(), 1)
        );
        let mut query = sqlx::query(&sql);
        for id in &ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(message_from_row).collect()
    }

    /// The conversations a person is or was in, in a circle, the most recently active first.
    pub async fn conversations_of(
        &self,
        circle: i64,
        user_id: i64,
    ) -> DbResult<Vec<ConversationRow>> {
        let rows = sqlx::query(&format!(
            "{CONVERSATION_SELECT} JOIN conversation_people p ON p.conversation = c.id
             WHERE c.circle = $1 AND p.user_id = $2 ORDER BY c.active_at_ms DESC, c.id DESC LIMIT $3"
        ))
        .bind(circle)
        .bind(user_id)
        .bind(CONVERSATIONS_LISTED_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(conversation_from_row).collect()
    }

    /// The conversation in the circle whose present people are exactly `people`, if any (so
    /// writing to the same people again continues it).
    pub async fn conversation_between(&self, circle: i64, people: &[i64]) -> DbResult<Option<i64>> {
        let sql = format!(
            "SELECT c.id FROM conversations c JOIN conversation_people p ON p.conversation = c.id
             WHERE c.circle = $1 AND p.left_at_ms IS NULL
             GROUP BY c.id
             HAVING COUNT(*) = $2 AND SUM(CASE WHEN p.user_id IN ({}) THEN 1 ELSE 0 END) = $2
             ORDER BY c.id DESC LIMIT 1",
            placeholders(people.len(), 3)
        );
        let mut query = sqlx::query(&sql).bind(circle).bind(people.len() as i64);
        for person in people {
            query = query.bind(*person);
        }
        let row = query.fetch_optional(&self.pool).await?;
        row.map(|row| row.try_get(0)).transpose()
    }

    /// How many conversations the person started in the circle since `since_ms`.
    pub async fn conversations_started_since(
        &self,
        circle: i64,
        user_id: i64,
        since_ms: i64,
    ) -> DbResult<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM conversations WHERE circle = $1 AND started_by = $2 AND created_at_ms >= $3",
        )
        .bind(circle)
        .bind(user_id)
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await?;
        row.try_get(0)
    }

    /// Marks the conversation read by the person up to `message_id` (never backwards).
    pub async fn mark_conversation_read(
        &self,
        conversation: i64,
        user_id: i64,
        message_id: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "UPDATE conversation_people SET last_read_id = $3
             WHERE conversation = $1 AND user_id = $2 AND last_read_id < $3",
        )
        .bind(conversation)
        .bind(user_id)
        .bind(message_id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// Mutes (or unmutes) the conversation for the person.
    pub async fn set_conversation_muted(
        &self,
        conversation: i64,
        user_id: i64,
        muted: bool,
    ) -> DbResult<()> {
        sqlx::query(
            "UPDATE conversation_people SET muted = $3 WHERE conversation = $1 AND user_id = $2",
        )
        .bind(conversation)
        .bind(user_id)
        .bind(i64::from(muted))
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// The person leaves the conversation: nothing more reaches them from it.
    pub async fn leave_conversation(
        &self,
        conversation: i64,
        user_id: i64,
        now_ms: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "UPDATE conversation_people SET left_at_ms = $3
             WHERE conversation = $1 AND user_id = $2 AND left_at_ms IS NULL",
        )
        .bind(conversation)
        .bind(user_id)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// The conversations the person is or was in, in a circle, oldest first, each with the
    /// messages the person wrote (for their takeout: nobody else's words).
    pub async fn conversations_for_takeout(
        &self,
        circle: i64,
        user_id: i64,
    ) -> DbResult<Vec<(ConversationRow, Vec<ConversationMessage>)>> {
        let rows = sqlx::query(&format!(
            "{CONVERSATION_SELECT} JOIN conversation_people p ON p.conversation = c.id
             WHERE c.circle = $1 AND p.user_id = $2 ORDER BY c.id"
        ))
        .bind(circle)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        let mut all = Vec::with_capacity(rows.len());
        for row in &rows {
            let conversation = conversation_from_row(row)?;
            let messages = sqlx::query(&format!(
                "{MESSAGE_SELECT} WHERE m.conversation = $1 AND m.author_id = $2 ORDER BY m.id"
            ))
            .bind(conversation.id)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(message_from_row)
            .collect::<DbResult<Vec<_>>>()?;
            all.push((conversation, messages));
        }
        Ok(all)
    }
}

/// Adds a message inside a transaction, in one statement that counts too: unless the
/// conversation holds [`CONVERSATION_MESSAGES_MAX`] already or the author is not in it (so
/// concurrent writers never pass the limit). The conversation moves up, and its author has
/// read what they wrote.
async fn add_message(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    conversation: i64,
    author: i64,
    body: &str,
    now_ms: i64,
) -> DbResult<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO conversation_messages (conversation, author_id, body, created_at_ms)
         SELECT $1, $2, $3, $4
         WHERE (SELECT COUNT(*) FROM conversation_messages WHERE conversation = $1) < $5
           AND EXISTS (SELECT 1 FROM conversation_people
                       WHERE conversation = $1 AND user_id = $2 AND left_at_ms IS NULL)
         RETURNING id",
    )
    .bind(conversation)
    .bind(author)
    .bind(body)
    .bind(now_ms)
    .bind(CONVERSATION_MESSAGES_MAX)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let id: i64 = row.try_get(0)?;
    sqlx::query("UPDATE conversations SET last_message_id = $2, active_at_ms = $3 WHERE id = $1")
        .bind(conversation)
        .bind(id)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE conversation_people SET last_read_id = $3 WHERE conversation = $1 AND user_id = $2",
    )
    .bind(conversation)
    .bind(author)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(Some(id))
}
