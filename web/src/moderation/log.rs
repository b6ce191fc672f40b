//! The circle's moderation log as the web space keeps it: signing an action with the
//! moderator's key onto the end of the chain (with the node's signed head), reading it back
//! with names where the circle's policy shows them, the export members verify offline,
//! appeals, and the monthly summary.

#![allow(clippy::result_large_err)]

use commons_governance::moderation::{
    export_lines, Action, ActionKind, LogHead, SignedAction, TargetKind, NO_PREVIOUS,
};
use commons_ledger::keys::{PublicKey, Signature};
use commons_ledger::merkle::Frontier;
use commons_ledger::signed::Signed;
use commons_ledger::store::CircleInfo;

use crate::db::{Appended, LogAppend, LogRow, NewCase};
use crate::moderation::rules::{self, ActionTimes, MonthSummary, Origin};
use crate::moderation::service::moderation_note;
use crate::notifications::NotificationKind;
use crate::services::{invalid, ActionError, Actor, Services, DAY_MS};

/// How many times an append is signed again when another moderator took the same place.
const APPEND_ATTEMPTS_MAX: usize = 5;

/// Appends are made one at a time in this process (the table's key keeps other processes out).
static APPEND_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What a moderator signs, before its place in the log is known.
#[derive(Debug, Clone)]
pub struct ActionDraft {
    pub kind: ActionKind,
    pub target: TargetKind,
    pub target_id: u64,
    pub subject: Option<PublicKey>,
    pub agreements: Vec<u16>,
    pub reason: String,
    pub ends_at_ms: Option<i64>,
    pub refers_to: Option<u64>,
}

/// Who signs an action: a moderator's circle key (and who they are), or the node's key for
/// what the circle decided by vote (nobody).
#[derive(Clone, Copy)]
pub(crate) struct Signer<'a> {
    pub key: &'a commons_ledger::keys::SecretKey,
    pub moderator_id: Option<i64>,
}

/// An action of the log as members read it.
#[derive(Debug, Clone)]
pub struct LoggedAction {
    pub action: Action,
    /// The moderator's name, if the circle's policy shows it (and the moderator is still
    /// known).
    pub moderator_name: Option<String>,
    /// Whether the reader is the member the action is about.
    pub about_reader: bool,
    /// Whether the reader may appeal it now.
    pub may_appeal: bool,
}

pub(crate) fn signed_of(row: &LogRow) -> Result<SignedAction, ActionError> {
    let signature: [u8; 64] = row.signature.clone().try_into().map_err(|_| {
        ActionError::Store(commons_ledger::store::StoreError::Corrupt(
            "a moderation signature is not 64 bytes".into(),
        ))
    })?;
    Signed::from_parts(row.bytes.clone(), Signature(signature)).map_err(|error| {
        ActionError::Store(commons_ledger::store::StoreError::Corrupt(format!(
            "a moderation action cannot be read: {error}"
        )))
    })
}

impl Services {
    /// Signs the action with the moderator's key at the end of the circle's log, with the
    /// node's signed head, in one transaction that also closes the case. Answers its number.
    pub(crate) async fn append_action(
        &self,
        actor: &Actor,
        draft: &ActionDraft,
        subject_id: Option<i64>,
        closes: Option<i64>,
    ) -> Result<u64, ActionError> {
        let key = self.signing_key(actor)?;
        let by = Signer {
            key: &key,
            moderator_id: Some(actor.user.id),
        };
        self.append_signed(&actor.circle, by, draft, subject_id, closes)
            .await
    }

    /// Signs the action with `by.key` (a moderator's, or the node's for what the circle
    /// decided by vote) onto the end of the circle's log; see [`Services::append_action`].
    pub(crate) async fn append_signed(
        &self,
        info: &CircleInfo,
        by: Signer<'_>,
        draft: &ActionDraft,
        subject_id: Option<i64>,
        closes: Option<i64>,
    ) -> Result<u64, ActionError> {
        let key = by.key;
        let node = self.store.node_secret(info).await?;
        let circle = info.row_id;
        let _one_at_a_time = APPEND_LOCK.lock().await;
        for _ in 0..APPEND_ATTEMPTS_MAX {
            let receipts = self.db.log_receipts(circle).await?;
            let mut frontier = Frontier::default();
            for receipt in &receipts {
                frontier.push(*receipt);
            }
            let now = self.now_ms();
            let action = Action {
                circle_id: info.circle_id,
                seq: receipts.len() as u64,
                previous: receipts.last().copied().unwrap_or(NO_PREVIOUS),
                recorded_at_ms: now,
                moderator: key.public_key(),
                kind: draft.kind,
                target: draft.target,
                target_id: draft.target_id,
                subject: draft.subject,
                agreements: draft.agreements.clone(),
                reason: draft.reason.clone(),
                ends_at_ms: draft.ends_at_ms,
                refers_to: draft.refers_to,
            };
            let signed = Signed::sign(action, key);
            frontier.push(signed.receipt());
            let head = LogHead::sign(&node, info.circle_id, frontier.size(), frontier.root(), now);
            let appended = self
                .db
                .append_log(&LogAppend {
                    circle,
                    action: &signed,
                    head: &head,
                    subject_id,
                    moderator_id: by.moderator_id,
                    closes,
                })
                .await?;
            match appended {
                Appended::Done => return Ok(signed.record.seq),
                Appended::CaseClosed => {
                    return Err(crate::services::invalid("kind", "moderation-case-closed"))
                }
                Appended::PlaceTaken => {}
            }
        }
        Err(ActionError::Busy)
    }

    /// The names the log shows: moderators' only if the circle's policy says so.
    async fn logged(
        &self,
        actor: &Actor,
        rows: Vec<LogRow>,
    ) -> Result<Vec<LoggedAction>, ActionError> {
        let names_shown = self
            .db
            .circle_flag(
                actor.circle.row_id,
                crate::db::CircleFlag::ModeratorNamesShown,
            )
            .await?;
        let ids: Vec<i64> = rows.iter().filter_map(|r| r.moderator_id).collect();
        let names = if names_shown {
            self.people_by_id(actor, &ids).await?
        } else {
            Default::default()
        };
        let now = self.now_ms();
        let mut actions = Vec::with_capacity(rows.len());
        for row in rows {
            let action = signed_of(&row)?.record;
            let about_reader = row.subject_id == Some(actor.user.id);
            let may_appeal = about_reader
                && rules::may_appeal(
                    action.kind,
                    action.recorded_at_ms,
                    now,
                    self.db.appealed(actor.circle.row_id, row.seq).await?,
                );
            actions.push(LoggedAction {
                moderator_name: row
                    .moderator_id
                    .and_then(|id| names.get(&id))
                    .map(|p| p.display_name.clone()),
                about_reader,
                may_appeal,
                action,
            });
        }
        Ok(actions)
    }

    /// A page of the circle's log, newest first.
    pub async fn moderation_log(
        &self,
        actor: &Actor,
        before: Option<i64>,
    ) -> Result<Vec<LoggedAction>, ActionError> {
        let rows = self.db.log_page(actor.circle.row_id, before).await?;
        self.logged(actor, rows).await
    }

    /// One action of the circle's log.
    pub async fn logged_action(
        &self,
        actor: &Actor,
        seq: i64,
    ) -> Result<LoggedAction, ActionError> {
        let row = self
            .db
            .log_entry(actor.circle.row_id, seq)
            .await?
            .ok_or(ActionError::NotFound)?;
        Ok(self.logged(actor, vec![row]).await?.remove(0))
    }

    /// The latest signed head of the circle's log, if it has any action.
    pub async fn moderation_head(&self, actor: &Actor) -> Result<Option<LogHead>, ActionError> {
        Ok(self
            .db
            .latest_log_head(actor.circle.row_id, actor.circle.circle_id)
            .await?)
    }

    /// The circle's node key, which signs the log's heads (members keep it with a head, so
    /// that no file can bring its own).
    pub async fn moderation_node_key(
        &self,
        actor: &Actor,
    ) -> Result<commons_ledger::keys::PublicKey, ActionError> {
        Ok(self.store.node_secret(&actor.circle).await?.public_key())
    }

    /// The circle's log as JSON Lines, for `commons audit --moderation`.
    pub async fn moderation_export(&self, actor: &Actor) -> Result<String, ActionError> {
        let circle = &actor.circle;
        let rows = self.db.log_all(circle.row_id).await?;
        let actions = rows.iter().map(signed_of).collect::<Result<Vec<_>, _>>()?;
        let heads = self.db.log_heads(circle.row_id, circle.circle_id).await?;
        let node_key = self.store.node_secret(circle).await?.public_key();
        Ok(export_lines(
            &circle.circle_id,
            &circle.slug,
            &node_key,
            &actions,
            &heads,
        ))
    }

    /// The monthly transparency summary, from the cases and the log.
    pub async fn moderation_summary(
        &self,
        actor: &Actor,
    ) -> Result<Vec<MonthSummary>, ActionError> {
        let circle = actor.circle.row_id;
        let since = self.now_ms() - 366 * DAY_MS;
        let cases = self.db.case_times(circle, since).await?;
        let actions: Vec<ActionTimes> = self
            .db
            .log_kinds_since(circle, since)
            .await?
            .into_iter()
            .filter_map(|(kind, recorded_at_ms, on_appeal)| {
                ActionKind::parse(&kind).map(|kind| ActionTimes {
                    kind,
                    recorded_at_ms,
                    on_appeal,
                })
            })
            .collect();
        Ok(rules::monthly_summary(&cases, &actions))
    }

    /// The member an action was about appeals it: a new case that a different moderator
    /// hears (never the one who acted), once per action, within the appeal time.
    pub async fn appeal(
        &self,
        actor: &Actor,
        seq: i64,
        statement: &str,
    ) -> Result<(i64, Option<i64>), ActionError> {
        let statement = rules::parse_text(statement, "statement", true, rules::NOTE_CHARS_MAX)?;
        let row = self
            .db
            .log_entry(actor.circle.row_id, seq)
            .await?
            .ok_or(ActionError::NotFound)?;
        if row.subject_id != Some(actor.user.id) {
            return Err(ActionError::NotFound);
        }
        let action = signed_of(&row)?.record;
        let now = self.now_ms();
        let already = self.db.appealed(actor.circle.row_id, seq).await?;
        if !rules::may_appeal(action.kind, action.recorded_at_ms, now, already) {
            return Err(invalid("statement", "moderation-error-appeal-closed"));
        }
        let target_id = match row.case_id {
            Some(case_id) => self
                .db
                .case(actor.circle.row_id, case_id)
                .await?
                .map_or(0, |c| c.target_id),
            None => 0,
        };
        let (case_id, _) = self
            .db
            .open_case(
                &NewCase {
                    circle: actor.circle.row_id,
                    origin: Origin::Appeal.as_str(),
                    target_kind: action.target.as_str(),
                    target_id,
                    subject_id: Some(actor.user.id),
                    snapshot: &action.reason,
                    statement: &statement,
                    appeal_of: Some(seq),
                    excluded_moderator: row.moderator_id,
                },
                now,
            )
            .await?;
        // The circle hears it by vote when its policy says so, or when no moderator could:
        // every one is suspended or a party to it (the stewards are moderators too).
        let case = self
            .db
            .case(actor.circle.row_id, case_id)
            .await?
            .ok_or(ActionError::NotFound)?;
        let by_vote = if self
            .db
            .circle_flag(actor.circle.row_id, crate::db::CircleFlag::AppealsByVote)
            .await?
            || !self.appeal_has_a_hearer(actor, &case).await?
        {
            self.appeal_to_circle(actor, case_id, &action, &statement)
                .await?
        } else {
            None
        };
        for moderator in self.moderator_ids(actor).await? {
            if Some(moderator) == row.moderator_id || moderator == actor.user.id {
                continue;
            }
            self.db
                .notify(
                    moderation_note(
                        moderator,
                        actor.circle.row_id,
                        NotificationKind::ModerationQueue,
                        case_id,
                    ),
                    now,
                )
                .await?;
        }
        Ok((case_id, by_vote))
    }
}
