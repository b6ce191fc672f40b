//! Repair conversations: a moderator opens a private space for the people a case involves and
//! facilitates it; each person chooses to join or not; if everyone who joined consents to the
//! same written agreement, its outline goes into the moderation log and the case closes.

#![allow(clippy::result_large_err)]

use commons_governance::moderation::{ActionKind, TargetKind};

use crate::db::{RepairMessage, RepairPerson, RepairRow, REPAIR_PEOPLE_MAX};
use crate::moderation::log::ActionDraft;
use crate::moderation::rules::{self, NOTE_CHARS_MAX};
use crate::moderation::service::moderation_note;
use crate::notifications::NotificationKind;
use crate::services::{invalid, ActionError, Actor, Services};

/// Longest agreement, in characters.
pub const AGREEMENT_CHARS_MAX: usize = 4_000;
/// Longest outline (what the circle reads in the log), in characters.
pub const OUTLINE_CHARS_MAX: usize = 500;

/// A conversation as one of its people (or its facilitator) reads it.
#[derive(Debug, Clone)]
pub struct RepairView {
    pub repair: RepairRow,
    pub people: Vec<RepairPerson>,
    pub messages: Vec<RepairMessage>,
    /// The reader's own answer, if they were invited.
    pub my_answer: Option<String>,
    pub is_facilitator: bool,
    /// Whether the reader consented to the agreement as it reads now.
    pub i_consented: bool,
    /// Whether the facilitator may conclude it now.
    pub may_conclude: bool,
}

impl RepairView {
    /// Whether the reader takes part in the conversation (joined, or facilitates).
    pub fn takes_part(&self) -> bool {
        self.is_facilitator || self.my_answer.as_deref() == Some("joined")
    }

    pub fn is_open(&self) -> bool {
        self.repair.status == "open"
    }
}

/// Whether an agreement may be concluded: the member the case is about (`subject`) joined,
/// everyone invited answered, someone joined, the agreement is written, and everyone who joined
/// consented to its current version.
pub fn may_conclude(repair: &RepairRow, people: &[RepairPerson], subject: Option<i64>) -> bool {
    let joined: Vec<&RepairPerson> = people.iter().filter(|p| p.answer == "joined").collect();
    // Nothing is agreed about someone without them.
    let subject_agrees = subject.is_none_or(|id| joined.iter().any(|p| p.user_id == id));
    subject_agrees
        && repair.status == "open"
        && repair.agreement_version > 0
        && !repair.outline.is_empty()
        && people.iter().all(|p| p.answer != "invited")
        && !joined.is_empty()
        && joined
            .iter()
            .all(|p| p.consented_version == repair.agreement_version)
}

impl Services {
    /// A moderator opens a conversation about a case, inviting the member it is about and the
    /// members named (by username), and facilitates it.
    pub async fn open_repair(
        &self,
        actor: &Actor,
        case_id: i64,
        usernames: &str,
        topic: &str,
    ) -> Result<i64, ActionError> {
        let topic = rules::parse_text(topic, "topic", true, NOTE_CHARS_MAX)?;
        // The same walls as acting on the case: not about the facilitator, not an appeal (of
        // their own action or any other), not one the circle decides by vote.
        let case = self.case_of(actor, case_id).await?;
        let may_open = case.is_open
            && case.origin != "appeal"
            && case.proposal_number.is_none()
            && case.excluded_moderator != Some(actor.user.id);
        if !may_open {
            return Err(ActionError::NotFound);
        }
        // A party to the case (a reporter, or blocked with someone in it) facilitates nothing.
        self.refuse_party(actor, &case).await?;
        let mut people: Vec<i64> = case.subject_id.into_iter().collect();
        for name in usernames
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            let member = self
                .active_member(actor, name.trim_start_matches('@'))
                .await
                .map_err(|_| invalid("people", "error-member-unknown"))?;
            if member.card.user_id != actor.user.id && !people.contains(&member.card.user_id) {
                people.push(member.card.user_id);
            }
        }
        if people.is_empty() || people.len() > REPAIR_PEOPLE_MAX {
            return Err(invalid("people", "repair-error-people"));
        }
        // Nobody is put in one conversation with someone they blocked, or who blocked them.
        let mut everyone = people.clone();
        everyone.push(actor.user.id);
        if !self.blocks_among(&everyone).await?.is_empty() {
            return Err(invalid("people", "repair-error-blocked"));
        }
        let now = self.now_ms();
        let id = self
            .db
            .create_repair(
                actor.circle.row_id,
                case.id,
                actor.user.id,
                &topic,
                &people,
                now,
            )
            .await?;
        self.db
            .assign_case(case.id, Some(actor.user.id), now)
            .await?;
        for person in people {
            self.db
                .notify(
                    moderation_note(person, actor.circle.row_id, NotificationKind::Repair, id),
                    now,
                )
                .await?;
        }
        Ok(id)
    }

    /// A conversation, for its facilitator and the people invited to it (anyone else: not
    /// found).
    pub async fn repair_view(&self, actor: &Actor, id: i64) -> Result<RepairView, ActionError> {
        let repair = self
            .db
            .repair(actor.circle.row_id, id)
            .await?
            .ok_or(ActionError::NotFound)?;
        let people = self.db.repair_people(repair.id).await?;
        let subject = match repair.case_id {
            Some(case) => self
                .db
                .case(actor.circle.row_id, case)
                .await?
                .and_then(|case| case.subject_id),
            None => None,
        };
        let me = people.iter().find(|p| p.user_id == actor.user.id);
        let is_facilitator = repair.facilitator_id == actor.user.id;
        if me.is_none() && !is_facilitator {
            return Err(ActionError::NotFound);
        }
        let takes_part = is_facilitator || me.is_some_and(|p| p.answer == "joined");
        Ok(RepairView {
            messages: if takes_part {
                self.db.repair_messages(repair.id).await?
            } else {
                Vec::new()
            },
            my_answer: me.map(|p| p.answer.clone()),
            i_consented: me.is_some_and(|p| {
                p.consented_version == repair.agreement_version && repair.agreement_version > 0
            }),
            may_conclude: is_facilitator && may_conclude(&repair, &people, subject),
            is_facilitator,
            people,
            repair,
        })
    }

    /// An invited person joins or declines (nobody is forced; declining has no consequence by
    /// itself).
    pub async fn answer_repair(
        &self,
        actor: &Actor,
        id: i64,
        join: bool,
    ) -> Result<(), ActionError> {
        let view = self.repair_view(actor, id).await?;
        if view.my_answer.is_none()
            || !self
                .db
                .answer_repair(view.repair.id, actor.user.id, join)
                .await?
        {
            return Err(ActionError::NotFound);
        }
        Ok(())
    }

    /// Writes in the conversation (its facilitator and the people who joined).
    pub async fn repair_message(
        &self,
        actor: &Actor,
        id: i64,
        body: &str,
    ) -> Result<(), ActionError> {
        let body = rules::parse_text(body, "message", true, NOTE_CHARS_MAX)?;
        let view = self.repair_view(actor, id).await?;
        if !view.takes_part() || !view.is_open() {
            return Err(ActionError::Forbidden);
        }
        if !self
            .db
            .add_repair_message(view.repair.id, actor.user.id, &body, self.now_ms())
            .await?
        {
            return Err(invalid("message", "repair-error-full"));
        }
        Ok(())
    }

    /// The facilitator writes (or rewrites) the agreement and its outline: a new version that
    /// everyone who joined consents to again, and is told about.
    pub async fn write_repair_agreement(
        &self,
        actor: &Actor,
        id: i64,
        agreement: &str,
        outline: &str,
    ) -> Result<(), ActionError> {
        let agreement = rules::parse_text(agreement, "agreement", true, AGREEMENT_CHARS_MAX);
        let outline = rules::parse_text(outline, "outline", true, OUTLINE_CHARS_MAX);
        let (agreement, outline) = crate::services::all_fields(agreement, outline, Ok(()))
            .map(|(agreement, outline, ())| (agreement, outline))?;
        let view = self.repair_view(actor, id).await?;
        if !view.is_facilitator
            || !self
                .db
                .set_repair_agreement(view.repair.id, &agreement, &outline)
                .await?
        {
            return Err(ActionError::Forbidden);
        }
        let now = self.now_ms();
        for person in view.people.iter().filter(|p| p.answer == "joined") {
            self.db
                .notify(
                    moderation_note(
                        person.user_id,
                        actor.circle.row_id,
                        NotificationKind::Repair,
                        view.repair.id,
                    ),
                    now,
                )
                .await?;
        }
        Ok(())
    }

    /// A person who joined consents to the agreement as they read it (`version`): a newer
    /// text is not consented to by an older click.
    pub async fn consent_repair(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
    ) -> Result<(), ActionError> {
        let view = self.repair_view(actor, id).await?;
        if !self
            .db
            .consent_repair(view.repair.id, actor.user.id, version)
            .await?
        {
            return Err(invalid("agreement", "repair-error-stale"));
        }
        Ok(())
    }

    /// The facilitator concludes the agreement everyone consented to: its outline is signed
    /// into the moderation log, and the case closes.
    pub async fn conclude_repair(&self, actor: &Actor, id: i64) -> Result<u64, ActionError> {
        let view = self.repair_view(actor, id).await?;
        // Only someone who still moderates signs into the log.
        if !view.is_facilitator || !self.is_moderator(actor).await? {
            return Err(ActionError::Forbidden);
        }
        if !view.may_conclude {
            return Err(invalid("agreement", "repair-error-not-ready"));
        }
        let repair = &view.repair;
        let case = match repair.case_id {
            Some(case_id) => self.db.case(actor.circle.row_id, case_id).await?,
            None => None,
        };
        if let Some(case) = &case {
            self.refuse_party(actor, case).await?;
        }
        let target = case
            .as_ref()
            .and_then(|c| TargetKind::parse(&c.target_kind))
            .unwrap_or(TargetKind::Member);
        let subject_id = case.as_ref().and_then(|c| c.subject_id);
        let subject = match subject_id {
            Some(user) => self
                .db
                .membership(actor.circle.row_id, user)
                .await?
                .map(|m| m.account_key),
            None => None,
        };
        let draft = ActionDraft {
            kind: ActionKind::RepairAgreed,
            target,
            target_id: match (target, &case) {
                (TargetKind::Member | TargetKind::Profile, _) | (_, None) => 0,
                (_, Some(case)) => case.target_id as u64,
            },
            subject,
            agreements: Vec::new(),
            reason: repair.outline.clone(),
            ends_at_ms: None,
            refers_to: None,
        };
        let closes = case.as_ref().filter(|c| c.is_open).map(|c| c.id);
        let seq = self
            .append_action(actor, &draft, subject_id, closes)
            .await?;
        self.db.end_repair(repair.id, true, self.now_ms()).await?;
        Ok(seq)
    }

    /// The facilitator closes a conversation without an agreement (the case stays open).
    pub async fn close_repair(&self, actor: &Actor, id: i64) -> Result<(), ActionError> {
        let view = self.repair_view(actor, id).await?;
        if !view.is_facilitator
            || !self
                .db
                .end_repair(view.repair.id, false, self.now_ms())
                .await?
        {
            return Err(ActionError::Forbidden);
        }
        Ok(())
    }

    /// The open conversations the actor facilitates or was invited to.
    pub async fn my_repairs(&self, actor: &Actor) -> Result<Vec<RepairRow>, ActionError> {
        Ok(self
            .db
            .repairs_of(actor.circle.row_id, actor.user.id)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repair(version: i64, outline: &str) -> RepairRow {
        RepairRow {
            id: 1,
            circle: 1,
            case_id: Some(1),
            facilitator_id: 9,
            facilitator_name: "F".into(),
            topic: "t".into(),
            status: "open".into(),
            agreement: "a".into(),
            outline: outline.into(),
            agreement_version: version,
            opened_at_ms: 0,
            closed_at_ms: None,
        }
    }

    fn person(answer: &str, consented_version: i64) -> RepairPerson {
        RepairPerson {
            user_id: 1,
            display_name: "P".into(),
            answer: answer.into(),
            consented_version,
        }
    }

    fn may_conclude_for(r: &RepairRow, people: &[RepairPerson]) -> bool {
        may_conclude(r, people, None)
    }

    #[test]
    fn nothing_is_agreed_about_a_member_who_did_not_join() {
        let r = repair(1, "Outline.");
        assert!(may_conclude(&r, &[person("joined", 1)], Some(1)));
        assert!(
            !may_conclude(&r, &[person("joined", 1)], Some(2)),
            "the subject was not there"
        );
    }

    #[test]
    fn an_agreement_is_concluded_only_when_everyone_who_joined_consented_to_its_current_text() {
        let r = repair(2, "We talked it through.");
        assert!(may_conclude_for(
            &r,
            &[person("joined", 2), person("declined", 0)]
        ));
        assert!(
            !may_conclude_for(&r, &[person("joined", 2), person("joined", 1)]),
            "an older text"
        );
        assert!(
            !may_conclude_for(&r, &[person("joined", 2), person("invited", 0)]),
            "someone has not answered"
        );
        assert!(
            !may_conclude_for(&r, &[person("declined", 0)]),
            "nobody joined"
        );
        assert!(
            !may_conclude_for(&repair(0, ""), &[person("joined", 0)]),
            "nothing written"
        );
    }
}
