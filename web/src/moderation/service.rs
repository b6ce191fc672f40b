//! Reporting, the moderators' queue and their actions: what a member may report, how cases
//! are ordered, and what each action changes (hiding, holding, limiting, suspending, lifting).

#![allow(clippy::result_large_err)]

use commons_governance::moderation::{ActionKind, TargetKind};

use crate::db::{CaseRow, HiddenState, NewCase, NoteRow, Person, ReportRow, REPORTS_PER_DAY_MAX};
use crate::moderation::log::ActionDraft;
use crate::moderation::parties::Acted;
use crate::moderation::rules::{self, Agreement, CaseFacts, Origin};
use crate::notifications::{NewNotification, NotificationKind};
use crate::services::{invalid, ActionError, Actor, Services, DAY_MS};

/// What a member reports, found in their circle and visible to them.
#[derive(Debug, Clone)]
pub struct ReportTarget {
    pub kind: TargetKind,
    /// The item's id, or the member's user id for a profile or a member.
    pub id: i64,
    pub subject_id: Option<i64>,
    pub subject_name: String,
    /// What the item says now (kept with the case even if the item is edited).
    pub snapshot: String,
    /// Where the item is, to go back to.
    pub back: String,
}

/// A report, parsed: what, which agreements it breaks, and the reporter's words.
#[derive(Debug, Clone)]
pub struct ReportCommand {
    pub agreements: Vec<u16>,
    pub note: String,
}

/// A moderator's action on a case, parsed.
#[derive(Debug, Clone)]
pub struct ActCommand {
    pub kind: ActionKind,
    pub agreements: Vec<u16>,
    pub reason: String,
    pub ends_at_ms: Option<i64>,
}

/// A case in the queue, with its priority and the names moderators read.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub case: CaseRow,
    pub priority: i64,
    pub subject_name: Option<String>,
    pub assigned_name: Option<String>,
}

/// Everything a moderator reads about one case, and what they may do.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub case: CaseRow,
    pub reports: Vec<ReportRow>,
    pub notes: Vec<NoteRow>,
    pub subject: Option<Person>,
    pub hidden: Option<HiddenState>,
    pub actions: Vec<ActionKind>,
    pub agreements: Vec<Agreement>,
    /// The action an appeal is about.
    pub appealed: Option<crate::moderation::log::LoggedAction>,
    /// Whether this moderator may act: the case is open and theirs to decide, and they are not
    /// a party to it (see [`crate::moderation::rules::Parties`]).
    pub may_act: bool,
    /// Whether this moderator is a party to the case (they may read it, not decide it).
    pub party: bool,
    /// A limit or suspension another moderator proposed, waiting for a second one.
    pub pending: Option<crate::db::second_opinions::PendingAction>,
    pub assigned_name: Option<String>,
    /// What a reported post or reply said before its author changed it, newest first.
    pub earlier: Vec<crate::db::discussion_edits::VersionRow>,
}

pub(crate) fn target_id(text: &str) -> Result<i64, ActionError> {
    text.parse().map_err(|_| ActionError::NotFound)
}

impl Services {
    /// Whether the actor moderates their circle: a steward, or a member whose account the
    /// ledger records as appointed by a passed proposal (the key that signs their actions).
    pub async fn is_moderator(&self, actor: &Actor) -> Result<bool, ActionError> {
        if actor.is_steward {
            return Ok(true);
        }
        let authority = self.store.authority(&actor.circle).await?;
        Ok(rules::may_moderate(
            false,
            authority.moderators.contains(&actor.membership.account_key),
        ))
    }

    /// The people who moderate the circle: the active members whose account key the ledger
    /// names as a steward's or an appointed moderator's.
    pub(crate) async fn moderator_ids(&self, actor: &Actor) -> Result<Vec<i64>, ActionError> {
        let authority = self.store.authority(&actor.circle).await?;
        Ok(self
            .db
            .active_members(actor.circle.row_id)
            .await?
            .into_iter()
            .filter(|p| authority.may_moderate(&p.account_key))
            .map(|p| p.user_id)
            .collect())
    }

    /// The circle's agreements as numbered points.
    pub async fn agreements(&self, actor: &Actor) -> Result<Vec<Agreement>, ActionError> {
        Ok(rules::numbered(
            &self.settings(&actor.circle).await?.agreements,
        ))
    }

    /// Reports an item: joins the open case about it (or opens one, telling the moderators),
    /// keeping the item as it is now. Reporting the same item twice is answered as done.
    pub async fn report(
        &self,
        actor: &Actor,
        target: &ReportTarget,
        command: &ReportCommand,
    ) -> Result<i64, ActionError> {
        self.check_not_suspended(actor)?;
        let now = self.now_ms();
        if self
            .db
            .reports_made_since(actor.user.id, now - DAY_MS)
            .await?
            >= REPORTS_PER_DAY_MAX
        {
            return Err(invalid("note", "moderation-error-too-many-reports"));
        }
        let (case_id, opened) = self
            .db
            .open_case(
                &NewCase {
                    circle: actor.circle.row_id,
                    origin: Origin::Report.as_str(),
                    target_kind: target.kind.as_str(),
                    target_id: target.id,
                    subject_id: target.subject_id,
                    snapshot: &target.snapshot,
                    statement: "",
                    appeal_of: None,
                    excluded_moderator: None,
                },
                now,
            )
            .await?;
        let agreements = command
            .agreements
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",");
        self.db
            .add_report(case_id, actor.user.id, &agreements, &command.note, now)
            .await?;
        if opened {
            self.tell_moderators(actor, case_id, target.subject_id)
                .await?;
        }
        Ok(case_id)
    }

    /// Tells every moderator but the member concerned that a case waits in the queue.
    pub(crate) async fn tell_moderators(
        &self,
        actor: &Actor,
        case_id: i64,
        subject: Option<i64>,
    ) -> Result<(), ActionError> {
        let now = self.now_ms();
        for moderator in self.moderator_ids(actor).await? {
            if Some(moderator) == subject {
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
        Ok(())
    }

    /// The reports the actor made in their circle, with what came of each.
    pub async fn my_reports(
        &self,
        actor: &Actor,
    ) -> Result<Vec<crate::db::MyReportRow>, ActionError> {
        Ok(self
            .db
            .my_reports(actor.circle.row_id, actor.user.id)
            .await?)
    }

    /// The circle's open cases, highest priority first (moderators only: the caller holds a
    /// `Moderator`).
    pub async fn queue(&self, actor: &Actor) -> Result<Vec<QueueItem>, ActionError> {
        let circle = actor.circle.row_id;
        // A moderator never reads the cases about themselves: who reported them, what they
        // said, the other moderators' notes.
        let cases: Vec<CaseRow> = self
            .db
            .open_cases(circle)
            .await?
            .into_iter()
            .filter(|case| case.subject_id != Some(actor.user.id))
            .collect();
        let reporters = self.db.reporters_of_open_cases(circle).await?;
        let all_reporters: Vec<i64> = reporters.iter().map(|(_, r)| *r).collect();
        let records = self.db.reporter_records(&all_reporters).await?;
        let mut people: Vec<i64> = cases.iter().filter_map(|c| c.subject_id).collect();
        people.extend(cases.iter().filter_map(|c| c.assigned_to));
        let names = self.people_by_id(actor, &people).await?;
        let now = self.now_ms();
        let mut items = Vec::with_capacity(cases.len());
        for case in cases {
            let (upheld, total) = reporters
                .iter()
                .filter(|(case_id, _)| *case_id == case.id)
                .filter_map(|(_, reporter)| records.get(reporter))
                .fold((0, 0), |(u, t), (upheld, total)| (u + upheld, t + total));
            let joined = match case.subject_id {
                Some(subject) => self
                    .db
                    .membership(circle, subject)
                    .await?
                    .map(|m| m.created_at_ms),
                None => None,
            };
            let facts = CaseFacts {
                origin: Origin::parse(&case.origin).unwrap_or(Origin::Report),
                reports: case.reports,
                reporters_upheld: upheld,
                reporters_total: total,
                subject_joined_at_ms: joined,
                opened_at_ms: case.opened_at_ms,
            };
            items.push(QueueItem {
                priority: rules::priority(&facts, now),
                subject_name: case
                    .subject_id
                    .and_then(|id| names.get(&id))
                    .map(|p| p.display_name.clone()),
                assigned_name: case
                    .assigned_to
                    .and_then(|id| names.get(&id))
                    .map(|p| p.display_name.clone()),
                case,
            });
        }
        items.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then(a.case.opened_at_ms.cmp(&b.case.opened_at_ms))
        });
        Ok(items)
    }

    /// One case of the actor's circle.
    /// A case of the actor's circle that is not about the actor (those are other moderators'
    /// to read and decide).
    pub(crate) async fn case_of(&self, actor: &Actor, id: i64) -> Result<CaseRow, ActionError> {
        self.db
            .case(actor.circle.row_id, id)
            .await?
            .filter(|case| case.subject_id != Some(actor.user.id))
            .ok_or(ActionError::NotFound)
    }

    /// A case in context, for a moderator.
    pub async fn case_view(&self, actor: &Actor, id: i64) -> Result<CaseView, ActionError> {
        let case = self.case_of(actor, id).await?;
        let mut ids: Vec<i64> = case.subject_id.into_iter().collect();
        ids.extend(case.assigned_to);
        let mut names = self.people_by_id(actor, &ids).await?;
        let hidden = self.hidden_state(actor, &case).await?;
        let appealed = match case.appeal_of {
            Some(seq) => Some(self.logged_action(actor, seq).await?),
            None => None,
        };
        let origin = Origin::parse(&case.origin).unwrap_or(Origin::Report);
        let target = TargetKind::parse(&case.target_kind).unwrap_or(TargetKind::Member);
        let earlier = match target {
            TargetKind::Thread | TargetKind::Reply => {
                self.db
                    .discussion_versions(target.as_str(), case.target_id)
                    .await?
            }
            _ => Vec::new(),
        };
        let actions = rules::actions_for(
            origin,
            target,
            hidden,
            case.subject_id.is_some(),
            appealed.as_ref().map(|a| a.action.kind),
        );
        let party = self
            .is_party(actor.user.id, &self.case_parties(&case).await?)
            .await?;
        let may_act = case.is_open && case.proposal_number.is_none() && !party;
        Ok(CaseView {
            reports: self.db.case_reports(case.id).await?,
            notes: self.db.case_notes(case.id).await?,
            subject: case.subject_id.and_then(|id| names.get(&id).cloned()),
            assigned_name: case
                .assigned_to
                .and_then(|id| names.remove(&id))
                .map(|p| p.display_name),
            agreements: self.agreements(actor).await?,
            hidden,
            actions,
            appealed,
            may_act,
            party,
            earlier,
            pending: match case.is_open {
                true => self.pending_of(&case).await?,
                false => None,
            },
            case,
        })
    }

    async fn hidden_state(
        &self,
        actor: &Actor,
        case: &CaseRow,
    ) -> Result<Option<HiddenState>, ActionError> {
        let items = self.db.hidden_items(actor.circle.row_id).await?;
        Ok(items
            .get(&(case.target_kind.clone(), case.target_id))
            .map(|(state, _)| *state))
    }

    /// Takes an open case (or gives it back).
    pub async fn assign_case(&self, actor: &Actor, id: i64, take: bool) -> Result<(), ActionError> {
        let case = self.case_of(actor, id).await?;
        self.refuse_party(actor, &case).await?;
        let moderator = take.then_some(actor.user.id);
        if !self
            .db
            .assign_case(case.id, moderator, self.now_ms())
            .await?
        {
            return Err(ActionError::NotFound);
        }
        Ok(())
    }

    /// Adds a private note to a case.
    pub async fn add_case_note(
        &self,
        actor: &Actor,
        id: i64,
        body: &str,
    ) -> Result<(), ActionError> {
        let body = rules::parse_text(body, "note", true, rules::NOTE_CHARS_MAX)?;
        let case = self.case_of(actor, id).await?;
        self.refuse_party(actor, &case).await?;
        if !self
            .db
            .add_note(case.id, actor.user.id, &body, self.now_ms())
            .await?
        {
            return Err(invalid("note", "moderation-error-too-many-notes"));
        }
        Ok(())
    }

    /// A moderator acts on a case: the action is signed into the log, the case closes, its
    /// effect follows, the member concerned is told (what, why, how to appeal) and so are the
    /// reporters (the outcome).
    pub async fn act(
        &self,
        actor: &Actor,
        id: i64,
        command: &ActCommand,
    ) -> Result<Acted, ActionError> {
        let view = self.case_view(actor, id).await?;
        if !view.may_act {
            return Err(ActionError::Forbidden);
        }
        if !view.actions.contains(&command.kind) {
            return Err(invalid("kind", "moderation-error-action"));
        }
        let case = &view.case;
        if !self.second_opinion(actor, case, command).await? {
            self.tell_moderators(actor, case.id, case.subject_id)
                .await?;
            return Ok(Acted::AwaitingSecond);
        }
        let target = TargetKind::parse(&case.target_kind).ok_or(ActionError::NotFound)?;
        let subject = match case.subject_id {
            Some(subject) => self.db.membership(actor.circle.row_id, subject).await?,
            None => None,
        };
        let draft = ActionDraft {
            kind: command.kind,
            target,
            target_id: if matches!(target, TargetKind::Member | TargetKind::Profile) {
                0
            } else {
                case.target_id as u64
            },
            subject: subject.as_ref().map(|m| m.account_key),
            agreements: command.agreements.clone(),
            reason: command.reason.clone(),
            ends_at_ms: command.ends_at_ms,
            refers_to: case.appeal_of.map(|seq| seq as u64),
        };
        let seq = self
            .append_action(actor, &draft, case.subject_id, Some(case.id))
            .await?;
        let circle = actor.circle.row_id;
        let appealed = view
            .appealed
            .as_ref()
            .map(|a| (a.action.kind, a.action.ends_at_ms));
        self.apply_effect(circle, case, command.kind, command.ends_at_ms, appealed)
            .await?;
        self.tell_outcome(circle, case, command.kind, seq).await?;
        self.db.clear_pending_action(case.id).await?;
        Ok(Acted::Logged(seq))
    }

    /// What an action changes, beyond the log.
    pub(crate) async fn apply_effect(
        &self,
        circle: i64,
        case: &CaseRow,
        kind: ActionKind,
        ends_at_ms: Option<i64>,
        appealed: Option<(ActionKind, Option<i64>)>,
    ) -> Result<(), ActionError> {
        let now = self.now_ms();
        let membership = match case.subject_id {
            Some(subject) => self.db.membership(circle, subject).await?,
            None => None,
        };
        let restrictions = membership
            .as_ref()
            .map(|m| (m.suspended_until_ms, m.limited_until_ms));
        match (kind, appealed) {
            (ActionKind::Hide, _) => {
                self.db
                    .set_hidden(
                        circle,
                        &case.target_kind,
                        case.target_id,
                        HiddenState::Hidden,
                        case.subject_id,
                        now,
                    )
                    .await?;
                // Nobody keeps an unread count for what nobody is shown any more.
                self.db
                    .mark_read_about(circle, &case.target_kind, case.target_id, now)
                    .await?;
            }
            (ActionKind::Restore, _) => {
                self.db
                    .unhide(circle, &case.target_kind, case.target_id)
                    .await?;
            }
            (ActionKind::Limit | ActionKind::Suspend | ActionKind::Lift, _) => {
                let (Some(subject), Some((suspended, limited))) = (case.subject_id, restrictions)
                else {
                    return Ok(());
                };
                // Undoing clears only the restriction the appealed action set: a later,
                // separate one stays.
                let (suspended, limited) = match (kind, appealed) {
                    (ActionKind::Suspend, _) => (ends_at_ms, limited),
                    (ActionKind::Limit, _) => (suspended, ends_at_ms),
                    (_, Some((ActionKind::Suspend, until))) if suspended == until => {
                        (None, limited)
                    }
                    (_, Some((ActionKind::Limit, until))) if limited == until => (suspended, None),
                    _ => (suspended, limited),
                };
                self.db
                    .set_restrictions(circle, subject, suspended, limited)
                    .await?;
                if kind == ActionKind::Suspend {
                    self.db.mark_read_from_in(circle, subject, now).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Tells the member concerned what was done (a sanction or its undoing), and the
    /// reporters the outcome of their report.
    pub(crate) async fn tell_outcome(
        &self,
        circle: i64,
        case: &CaseRow,
        kind: ActionKind,
        seq: u64,
    ) -> Result<(), ActionError> {
        let now = self.now_ms();
        if let Some(subject) = case.subject_id {
            if kind != ActionKind::Dismiss {
                self.db
                    .notify(
                        moderation_note(subject, circle, NotificationKind::Moderated, seq as i64),
                        now,
                    )
                    .await?;
            }
        }
        if case.origin == Origin::Report.as_str() {
            for reporter in self.db.case_reporters(case.id).await? {
                self.db
                    .notify(
                        moderation_note(reporter, circle, NotificationKind::ReportOutcome, case.id),
                        now,
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// Refuses anything new from a member the circle's moderators suspended.
    pub(crate) fn check_not_suspended(&self, actor: &Actor) -> Result<(), ActionError> {
        self.writer(actor).map(|_| ())
    }

    /// The capability to write in the actor's circle: refused while the circle's moderators
    /// suspend them (see [`crate::capability::Writer`]).
    pub fn writer<'a>(
        &self,
        actor: &'a Actor,
    ) -> Result<crate::capability::Writer<'a>, ActionError> {
        match actor.membership.suspended_until_ms {
            Some(until) if until > self.now_ms() => Err(ActionError::Suspended(until)),
            _ => Ok(crate::capability::Writer::checked(actor)),
        }
    }

    /// Before a post: a suspended member posts nothing; a new member in the sandbox has a
    /// daily allowance.
    pub(crate) async fn check_may_post(
        &self,
        actor: &Actor,
        limit: crate::membership::sandbox::SandboxLimit,
    ) -> Result<(), ActionError> {
        self.check_not_suspended(actor)?;
        self.check_sandbox(actor, limit).await
    }

    /// After a post: a limited member's post, or a post with a link from a member in the
    /// sandbox, waits for a moderator before anyone else sees it. Answers whether it was held.
    pub(crate) async fn hold_if_needed(
        &self,
        actor: &Actor,
        kind: TargetKind,
        id: i64,
        text: &str,
    ) -> Result<bool, ActionError> {
        let now = self.now_ms();
        let limited = actor
            .membership
            .limited_until_ms
            .is_some_and(|until| until > now);
        let new_with_link =
            crate::membership::sandbox::in_sandbox(&actor.membership, actor.is_steward, now)
                && rules::has_link(text);
        if !limited && !new_with_link {
            return Ok(false);
        }
        let circle = actor.circle.row_id;
        self.db
            .set_hidden(
                circle,
                kind.as_str(),
                id,
                HiddenState::Held,
                Some(actor.user.id),
                now,
            )
            .await?;
        let (case_id, opened) = self
            .db
            .open_case(
                &NewCase {
                    circle,
                    origin: Origin::Held.as_str(),
                    target_kind: kind.as_str(),
                    target_id: id,
                    subject_id: Some(actor.user.id),
                    snapshot: text,
                    statement: "",
                    appeal_of: None,
                    excluded_moderator: None,
                },
                now,
            )
            .await?;
        if opened {
            self.tell_moderators(actor, case_id, Some(actor.user.id))
                .await?;
        }
        Ok(true)
    }

    /// The circle's hidden and held items, and whether the actor sees them anyway (their
    /// own, or as a moderator): the filter every list of others' posts applies.
    pub(crate) async fn moderated_filter(
        &self,
        actor: &Actor,
    ) -> Result<ModeratedFilter, ActionError> {
        Ok(ModeratedFilter {
            items: self.db.hidden_items(actor.circle.row_id).await?,
            viewer: actor.user.id,
        })
    }
}

/// What others do not see in a circle: items hidden by a moderator or held for review, except
/// by their author (services let moderators through where they need to, as `Services::listing`
/// does).
#[derive(Debug, Clone)]
pub struct ModeratedFilter {
    items: std::sync::Arc<crate::db::HiddenItems>,
    viewer: i64,
}

impl ModeratedFilter {
    /// What the public does not see: every hidden or held item (nobody is its author).
    pub(crate) fn for_public(items: std::sync::Arc<crate::db::HiddenItems>) -> ModeratedFilter {
        ModeratedFilter { items, viewer: 0 }
    }

    /// Whether the viewer does not see this item.
    pub fn hides(&self, kind: TargetKind, id: i64) -> bool {
        self.items
            .get(&(kind.as_str().to_owned(), id))
            .is_some_and(|(_, author)| *author != Some(self.viewer))
    }

    /// The state of an item, for its author's own view ("waiting for a moderator").
    pub fn state(&self, kind: TargetKind, id: i64) -> Option<HiddenState> {
        self.items
            .get(&(kind.as_str().to_owned(), id))
            .map(|(state, _)| *state)
    }

    /// The listings the viewer does not see (for the market's index filter).
    pub fn hidden_listings(&self) -> std::collections::BTreeSet<i64> {
        self.items
            .iter()
            .filter(|((kind, _), (_, author))| kind == "listing" && *author != Some(self.viewer))
            .map(|((_, id), _)| *id)
            .collect()
    }
}

/// A moderation notification for one member.
pub(crate) fn moderation_note(
    user: i64,
    circle: i64,
    kind: NotificationKind,
    moderation: i64,
) -> NewNotification {
    NewNotification {
        moderation: Some(moderation),
        ..NewNotification::about_the_circle(user, circle, kind)
    }
}
