//! The moderators' tables: cases in the queue, the reports that opened them, private notes,
//! items hidden or held for review, limits and suspensions, and appointed moderators.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{DbResult, NodeDb};

/// Most cases the queue lists at once (the highest in priority first).
pub const CASES_LISTED_MAX: i64 = 200;
/// Most reports one member may make in a day, in all circles.
pub const REPORTS_PER_DAY_MAX: i64 = 20;
/// Most notes on one case.
pub const NOTES_PER_CASE_MAX: i64 = 200;
/// Most reports listed on one case, or in one member's list of their reports.
pub const REPORTS_LISTED_MAX: i64 = 100;

/// One case in the moderators' queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub id: i64,
    pub circle: i64,
    /// `report`, `held` or `appeal`.
    pub origin: String,
    pub target_kind: String,
    pub target_id: i64,
    pub subject_id: Option<i64>,
    /// What was reported, as it was when first reported (kept even if it is edited later).
    pub snapshot: String,
    /// An appeal's words.
    pub statement: String,
    /// The log action an appeal is about.
    pub appeal_of: Option<i64>,
    /// The moderator who took the appealed action, who may not hear the appeal.
    pub excluded_moderator: Option<i64>,
    pub is_open: bool,
    pub assigned_to: Option<i64>,
    pub opened_at_ms: i64,
    pub first_response_at_ms: Option<i64>,
    pub closed_at_ms: Option<i64>,
    pub outcome: Option<String>,
    pub outcome_seq: Option<i64>,
    /// The proposal by which the circle decides an appeal, when its policy says so.
    pub proposal_number: Option<i64>,
    /// How many members reported it.
    pub reports: i64,
}

/// What opens or joins a case.
#[derive(Debug, Clone)]
pub struct NewCase<'a> {
    pub circle: i64,
    pub origin: &'a str,
    pub target_kind: &'a str,
    pub target_id: i64,
    pub subject_id: Option<i64>,
    pub snapshot: &'a str,
    pub statement: &'a str,
    pub appeal_of: Option<i64>,
    pub excluded_moderator: Option<i64>,
}

/// One member's report on a case, as moderators read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub reporter_id: i64,
    pub reporter_name: String,
    /// The agreements' numbers, comma-separated.
    pub agreements: String,
    pub note: String,
    pub created_at_ms: i64,
}

impl ReportRow {
    /// The numbers of the agreements the report cites (an unreadable number is left out).
    pub fn cited(&self) -> Vec<u16> {
        self.agreements
            .split(',')
            .filter_map(|number| number.trim().parse().ok())
            .collect()
    }
}

/// A report as its reporter follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyReportRow {
    pub case_id: i64,
    pub target_kind: String,
    pub created_at_ms: i64,
    pub is_open: bool,
    pub outcome: Option<String>,
    pub closed_at_ms: Option<i64>,
}

/// A moderator's private note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteRow {
    pub author_name: String,
    pub body: String,
    pub created_at_ms: i64,
}

/// Whether an item is hidden by a moderator or held until one looks at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HiddenState {
    Hidden,
    Held,
}

impl HiddenState {
    pub fn as_str(self) -> &'static str {
        match self {
            HiddenState::Hidden => "hidden",
            HiddenState::Held => "held",
        }
    }
}

/// The items of one circle that others do not see: (kind, id) → state and author.
pub type HiddenItems = HashMap<(String, i64), (HiddenState, Option<i64>)>;

/// A member whom a proposal appointed to moderate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeratorRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub proposal_number: i64,
    pub appointed_at_ms: i64,
}

/// A closed case's times and outcome, for the monthly summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseTimes {
    pub opened_at_ms: i64,
    pub first_response_at_ms: Option<i64>,
    pub is_appeal: bool,
    pub reports: i64,
}

const CASE_SELECT: &str = "SELECT c.id, c.circle, c.origin, c.target_kind, c.target_id, c.subject_id, c.snapshot, c.statement,
        c.appeal_of, c.excluded_moderator, c.status, c.assigned_to, c.opened_at_ms, c.first_response_at_ms,
        c.closed_at_ms, c.outcome, c.outcome_seq, c.proposal_number,
        (SELECT COUNT(*) FROM moderation_reports r WHERE r.case_id = c.id) AS reports
     FROM moderation_cases c";

fn case_from_row(row: &AnyRow) -> DbResult<CaseRow> {
    Ok(CaseRow {
        id: row.try_get("id")?,
        circle: row.try_get("circle")?,
        origin: row.try_get("origin")?,
        target_kind: row.try_get("target_kind")?,
        target_id: row.try_get("target_id")?,
        subject_id: row.try_get("subject_id")?,
        snapshot: row.try_get("snapshot")?,
        statement: row.try_get("statement")?,
        appeal_of: row.try_get("appeal_of")?,
        excluded_moderator: row.try_get("excluded_moderator")?,
        is_open: row.try_get::<String, _>("status")? == "open",
        assigned_to: row.try_get("assigned_to")?,
        opened_at_ms: row.try_get("opened_at_ms")?,
        first_response_at_ms: row.try_get("first_response_at_ms")?,
        closed_at_ms: row.try_get("closed_at_ms")?,
        outcome: row.try_get("outcome")?,
        outcome_seq: row.try_get("outcome_seq")?,
        proposal_number: row.try_get("proposal_number")?,
        reports: row.try_get("reports")?,
    })
}

impl NodeDb {
    /// The open case about this target from this origin (for an appeal: about this action).
    async fn open_case_id(&self, case: &NewCase<'_>) -> DbResult<Option<i64>> {
        let row = sqlx::query(
            "SELECT id FROM moderation_cases WHERE circle = $1 AND origin = $2 AND target_kind = $3
             AND target_id = $4 AND COALESCE(appeal_of, -1) = $5 AND status = 'open'",
        )
        .bind(case.circle)
        .bind(case.origin)
        .bind(case.target_kind)
        .bind(case.target_id)
        .bind(case.appeal_of.unwrap_or(-1))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| row.try_get(0)).transpose()
    }

    /// The open case about the target (joined), or a new one; answers its id and whether it
    /// is new. Two members reporting at once join one case (the open-case index is unique).
    pub async fn open_case(&self, case: &NewCase<'_>, now_ms: i64) -> DbResult<(i64, bool)> {
        if let Some(id) = self.open_case_id(case).await? {
            return Ok((id, false));
        }
        let inserted = sqlx::query(
            "INSERT INTO moderation_cases (circle, origin, target_kind, target_id, subject_id, snapshot, statement, appeal_of, excluded_moderator, opened_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(case.circle)
        .bind(case.origin)
        .bind(case.target_kind)
        .bind(case.target_id)
        .bind(case.subject_id)
        .bind(case.snapshot)
        .bind(case.statement)
        .bind(case.appeal_of)
        .bind(case.excluded_moderator)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await;
        self.changed();
        match inserted {
            Ok(row) => Ok((row.try_get(0)?, true)),
            Err(error) => match self.open_case_id(case).await? {
                Some(id) => Ok((id, false)),
                None => Err(error),
            },
        }
    }

    /// Adds a member's report to a case; answers false if they already reported it, or made
    /// [`REPORTS_PER_DAY_MAX`] reports in the last day.
    pub async fn add_report(
        &self,
        case_id: i64,
        reporter: i64,
        agreements: &str,
        note: &str,
        now_ms: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "INSERT INTO moderation_reports (case_id, reporter_id, agreements, note, created_at_ms)
             SELECT $1, $2, $3, $4, $5
             WHERE (SELECT COUNT(*) FROM moderation_reports WHERE reporter_id = $2 AND created_at_ms > $6) < $7
             ON CONFLICT (case_id, reporter_id) DO NOTHING",
        )
        .bind(case_id)
        .bind(reporter)
        .bind(agreements)
        .bind(note)
        .bind(now_ms)
        .bind(now_ms - crate::services::DAY_MS)
        .bind(REPORTS_PER_DAY_MAX)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// How many reports the member made in the last day.
    pub async fn reports_made_since(&self, reporter: i64, since_ms: i64) -> DbResult<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM moderation_reports WHERE reporter_id = $1 AND created_at_ms > $2",
        )
        .bind(reporter)
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await?;
        row.try_get(0)
    }

    /// The circle's open cases, oldest first (the service orders them by priority).
    pub async fn open_cases(&self, circle: i64) -> DbResult<Vec<CaseRow>> {
        let sql = format!(
            "{CASE_SELECT} WHERE c.circle = $1 AND c.status = 'open' ORDER BY c.opened_at_ms, c.id LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(circle)
            .bind(CASES_LISTED_MAX)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(case_from_row).collect()
    }

    /// One case of the circle.
    pub async fn case(&self, circle: i64, id: i64) -> DbResult<Option<CaseRow>> {
        let sql = format!("{CASE_SELECT} WHERE c.circle = $1 AND c.id = $2");
        let row = sqlx::query(&sql)
            .bind(circle)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(case_from_row).transpose()
    }

    /// The reports on a case, with their reporters' names (for moderators only).
    pub async fn case_reports(&self, case_id: i64) -> DbResult<Vec<ReportRow>> {
        let rows = sqlx::query(
            "SELECT r.reporter_id, u.display_name, r.agreements, r.note, r.created_at_ms
             FROM moderation_reports r JOIN users u ON u.id = r.reporter_id
             WHERE r.case_id = $1 ORDER BY r.created_at_ms LIMIT $2",
        )
        .bind(case_id)
        .bind(REPORTS_LISTED_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ReportRow {
                    reporter_id: row.try_get("reporter_id")?,
                    reporter_name: row.try_get("display_name")?,
                    agreements: row.try_get("agreements")?,
                    note: row.try_get("note")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }

    /// Each reporter's past reports on closed cases: (that led to an action, all).
    pub async fn reporter_records(&self, reporters: &[i64]) -> DbResult<HashMap<i64, (i64, i64)>> {
        let mut unique = reporters.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let mut records = HashMap::new();
        for chunk in unique.chunks(500) {
            records.extend(self.reporter_records_of(chunk).await?);
        }
        Ok(records)
    }

    async fn reporter_records_of(&self, reporters: &[i64]) -> DbResult<HashMap<i64, (i64, i64)>> {
        if reporters.is_empty() {
            return Ok(HashMap::new());
        }
        let list = super::placeholders(reporters.len(), 1);
        let sql = format!(
            "SELECT r.reporter_id,
                    SUM(CASE WHEN c.outcome IN ('warn', 'hide', 'limit', 'suspend') THEN 1 ELSE 0 END) AS upheld,
                    COUNT(*) AS total
             FROM moderation_reports r JOIN moderation_cases c ON c.id = r.case_id
             WHERE c.status = 'closed' AND r.reporter_id IN ({list}) GROUP BY r.reporter_id"
        );
        let mut query = sqlx::query(&sql);
        for id in reporters {
            query = query.bind(*id);
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get("reporter_id")?,
                    (row.try_get("upheld")?, row.try_get("total")?),
                ))
            })
            .collect()
    }

    /// (case, reporter) of every report on the circle's open cases.
    pub async fn reporters_of_open_cases(&self, circle: i64) -> DbResult<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT r.case_id, r.reporter_id FROM moderation_reports r
             JOIN moderation_cases c ON c.id = r.case_id WHERE c.circle = $1 AND c.status = 'open'
             LIMIT 100000",
        )
        .bind(circle)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("case_id")?, row.try_get("reporter_id")?)))
            .collect()
    }

    /// The reports a member made in a circle, newest first.
    pub async fn my_reports(&self, circle: i64, reporter: i64) -> DbResult<Vec<MyReportRow>> {
        let rows = sqlx::query(
            "SELECT c.id, c.target_kind, r.created_at_ms, c.status, c.outcome, c.closed_at_ms
             FROM moderation_reports r JOIN moderation_cases c ON c.id = r.case_id
             WHERE c.circle = $1 AND r.reporter_id = $2 ORDER BY r.created_at_ms DESC LIMIT $3",
        )
        .bind(circle)
        .bind(reporter)
        .bind(REPORTS_LISTED_MAX)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(MyReportRow {
                    case_id: row.try_get("id")?,
                    target_kind: row.try_get("target_kind")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                    is_open: row.try_get::<String, _>("status")? == "open",
                    outcome: row.try_get("outcome")?,
                    closed_at_ms: row.try_get("closed_at_ms")?,
                })
            })
            .collect()
    }

    /// The reporters of a case (to tell them the outcome).
    pub async fn case_reporters(&self, case_id: i64) -> DbResult<Vec<i64>> {
        let rows = sqlx::query("SELECT reporter_id FROM moderation_reports WHERE case_id = $1")
            .bind(case_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| row.try_get(0)).collect()
    }

    /// Assigns an open case to a moderator (or releases it), marking the first response.
    pub async fn assign_case(
        &self,
        case_id: i64,
        moderator: Option<i64>,
        now_ms: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE moderation_cases SET assigned_to = $2,
                first_response_at_ms = COALESCE(first_response_at_ms, $3)
             WHERE id = $1 AND status = 'open'",
        )
        .bind(case_id)
        .bind(moderator)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// Adds a private note to a case (bounded by [`NOTES_PER_CASE_MAX`]), marking the first
    /// response.
    pub async fn add_note(
        &self,
        case_id: i64,
        author: i64,
        body: &str,
        now_ms: i64,
    ) -> DbResult<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "INSERT INTO moderation_notes (case_id, author_id, body, created_at_ms)
             SELECT $1, $2, $3, $4
             WHERE (SELECT COUNT(*) FROM moderation_notes WHERE case_id = $1) < $5",
        )
        .bind(case_id)
        .bind(author)
        .bind(body)
        .bind(now_ms)
        .bind(NOTES_PER_CASE_MAX)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE moderation_cases SET first_response_at_ms = COALESCE(first_response_at_ms, $2) WHERE id = $1",
        )
        .bind(case_id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// A case's notes, oldest first.
    pub async fn case_notes(&self, case_id: i64) -> DbResult<Vec<NoteRow>> {
        let rows = sqlx::query(
            "SELECT u.display_name, n.body, n.created_at_ms FROM moderation_notes n
             JOIN users u ON u.id = n.author_id WHERE n.case_id = $1 ORDER BY n.id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(NoteRow {
                    author_name: row.try_get("display_name")?,
                    body: row.try_get("body")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }

    /// The circle's cases opened since a time, for the monthly summary (bounded).
    pub async fn case_times(&self, circle: i64, since_ms: i64) -> DbResult<Vec<CaseTimes>> {
        let rows = sqlx::query(
            "SELECT c.opened_at_ms, c.first_response_at_ms, c.origin,
                (SELECT COUNT(*) FROM moderation_reports r WHERE r.case_id = c.id) AS reports
             FROM moderation_cases c WHERE c.circle = $1 AND c.opened_at_ms >= $2
             ORDER BY c.opened_at_ms LIMIT 100000",
        )
        .bind(circle)
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CaseTimes {
                    opened_at_ms: row.try_get("opened_at_ms")?,
                    first_response_at_ms: row.try_get("first_response_at_ms")?,
                    is_appeal: row.try_get::<String, _>("origin")? == "appeal",
                    reports: row.try_get("reports")?,
                })
            })
            .collect()
    }

    /// Whether the member already appealed this action.
    pub async fn appealed(&self, circle: i64, seq: i64) -> DbResult<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM moderation_cases WHERE circle = $1 AND origin = 'appeal' AND appeal_of = $2",
        )
        .bind(circle)
        .bind(seq)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    // ----- hidden and held items -----

    /// Hides an item, or holds it for review.
    pub async fn set_hidden(
        &self,
        circle: i64,
        kind: &str,
        id: i64,
        state: HiddenState,
        author: Option<i64>,
        now_ms: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO moderation_hidden (circle, target_kind, target_id, state, author_id, since_ms)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (circle, target_kind, target_id) DO UPDATE SET state = $4, since_ms = $6",
        )
        .bind(circle)
        .bind(kind)
        .bind(id)
        .bind(state.as_str())
        .bind(author)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// Shows an item again; answers whether it was hidden or held.
    pub async fn unhide(&self, circle: i64, kind: &str, id: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "DELETE FROM moderation_hidden WHERE circle = $1 AND target_kind = $2 AND target_id = $3",
        )
        .bind(circle)
        .bind(kind)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// The circle's hidden and held items (remembered until the web tables change).
    pub async fn hidden_items(&self, circle: i64) -> DbResult<Arc<HiddenItems>> {
        self.reads
            .moderated
            .get_or_read(&self.reads.generations, super::WEB_SCOPE, circle, || async {
                let rows = sqlx::query(
                    "SELECT target_kind, target_id, state, author_id FROM moderation_hidden WHERE circle = $1",
                )
                .bind(circle)
                .fetch_all(&self.pool)
                .await?;
                let mut items = HiddenItems::new();
                for row in &rows {
                    let state = match row.try_get::<String, _>("state")?.as_str() {
                        "held" => HiddenState::Held,
                        _ => HiddenState::Hidden,
                    };
                    items.insert(
                        (row.try_get("target_kind")?, row.try_get("target_id")?),
                        (state, row.try_get("author_id")?),
                    );
                }
                Ok(Arc::new(items))
            })
            .await
    }

    // ----- limits and suspensions -----

    /// The members of a circle with a suspension recorded, and until when (ms); compare with
    /// the clock to know who is suspended now.
    pub async fn suspensions(
        &self,
        circle: i64,
    ) -> DbResult<Arc<std::collections::BTreeMap<i64, i64>>> {
        self.reads
            .suspensions
            .get_or_read(
                &self.reads.generations,
                super::WEB_SCOPE,
                circle,
                || async {
                    sqlx::query(
                        "SELECT user_id, suspended_until_ms FROM memberships
                     WHERE circle = $1 AND suspended_until_ms IS NOT NULL",
                    )
                    .bind(circle)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| Ok((row.try_get::<i64, _>(0)?, row.try_get::<i64, _>(1)?)))
                    .collect::<DbResult<std::collections::BTreeMap<_, _>>>()
                    .map(Arc::new)
                },
            )
            .await
    }

    /// Sets or clears a member's suspension and limit in a circle.
    pub async fn set_restrictions(
        &self,
        circle: i64,
        user_id: i64,
        suspended_until_ms: Option<i64>,
        limited_until_ms: Option<i64>,
    ) -> DbResult<()> {
        sqlx::query(
            "UPDATE memberships SET suspended_until_ms = $3, limited_until_ms = $4 WHERE circle = $1 AND user_id = $2",
        )
        .bind(circle)
        .bind(user_id)
        .bind(suspended_until_ms)
        .bind(limited_until_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    // ----- appointed moderators and the policy -----

    /// Appoints a member to moderate, citing the proposal that decided it.
    pub async fn appoint_moderator(
        &self,
        circle: i64,
        user_id: i64,
        proposal_number: i64,
        appointed_by: i64,
        now_ms: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO moderators (circle, user_id, proposal_number, appointed_by, appointed_at_ms)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (circle, user_id) DO UPDATE SET proposal_number = $3, appointed_by = $4, appointed_at_ms = $5",
        )
        .bind(circle)
        .bind(user_id)
        .bind(proposal_number)
        .bind(appointed_by)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    /// Ends an appointment; answers whether there was one.
    pub async fn remove_moderator(&self, circle: i64, user_id: i64) -> DbResult<bool> {
        let done = sqlx::query("DELETE FROM moderators WHERE circle = $1 AND user_id = $2")
            .bind(circle)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(done.rows_affected() == 1)
    }

    /// The members appointed to moderate the circle.
    pub async fn moderators(&self, circle: i64) -> DbResult<Vec<ModeratorRow>> {
        let rows = sqlx::query(
            "SELECT m.user_id, u.username, u.display_name, m.proposal_number, m.appointed_at_ms
             FROM moderators m JOIN users u ON u.id = m.user_id WHERE m.circle = $1 ORDER BY u.display_name",
        )
        .bind(circle)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ModeratorRow {
                    user_id: row.try_get("user_id")?,
                    username: row.try_get("username")?,
                    display_name: row.try_get("display_name")?,
                    proposal_number: row.try_get("proposal_number")?,
                    appointed_at_ms: row.try_get("appointed_at_ms")?,
                })
            })
            .collect()
    }
}

impl NodeDb {
    /// The reports a member made in a circle, for their takeout: (what, agreements, their
    /// words, when, the outcome).
    pub async fn reports_made(
        &self,
        circle: i64,
        reporter: i64,
    ) -> DbResult<Vec<(String, String, String, i64, Option<String>)>> {
        let rows = sqlx::query(
            "SELECT c.target_kind, r.agreements, r.note, r.created_at_ms, c.outcome
             FROM moderation_reports r JOIN moderation_cases c ON c.id = r.case_id
             WHERE c.circle = $1 AND r.reporter_id = $2 ORDER BY r.created_at_ms LIMIT 100000",
        )
        .bind(circle)
        .bind(reporter)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("target_kind")?,
                    row.try_get("agreements")?,
                    row.try_get("note")?,
                    row.try_get("created_at_ms")?,
                    row.try_get("outcome")?,
                ))
            })
            .collect()
    }
}

impl NodeDb {
    /// How many different members reported each member of the circle since a time.
    pub async fn reporters_per_subject(
        &self,
        circle: i64,
        since_ms: i64,
    ) -> DbResult<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT c.subject_id, COUNT(DISTINCT r.reporter_id) AS reporters
             FROM moderation_reports r JOIN moderation_cases c ON c.id = r.case_id
             WHERE c.circle = $1 AND r.created_at_ms >= $2 AND c.subject_id IS NOT NULL
             GROUP BY c.subject_id",
        )
        .bind(circle)
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("subject_id")?, row.try_get("reporters")?)))
            .collect()
    }

    /// How many posts of each member were held for review since a time.
    pub async fn held_per_author(&self, circle: i64, since_ms: i64) -> DbResult<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT subject_id, COUNT(*) AS held FROM moderation_cases
             WHERE circle = $1 AND origin = 'held' AND opened_at_ms >= $2 AND subject_id IS NOT NULL
             GROUP BY subject_id",
        )
        .bind(circle)
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("subject_id")?, row.try_get("held")?)))
            .collect()
    }
}

impl NodeDb {
    /// Links an appeal to the proposal the circle decides it by (or unlinks it).
    pub async fn set_case_proposal(&self, case_id: i64, number: Option<i64>) -> DbResult<()> {
        sqlx::query("UPDATE moderation_cases SET proposal_number = $2 WHERE id = $1")
            .bind(case_id)
            .bind(number)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    /// Every open appeal a circle decides by vote, on the whole node.
    pub async fn appeals_in_vote(&self) -> DbResult<Vec<CaseRow>> {
        let sql = format!(
            "{CASE_SELECT} WHERE c.status = 'open' AND c.origin = 'appeal' AND c.proposal_number IS NOT NULL ORDER BY c.id LIMIT $1"
        );
        let rows = sqlx::query(&sql)
            .bind(CASES_LISTED_MAX)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(case_from_row).collect()
    }
}
