//! What a circle's stewards do: the audit, circle settings, members' limits, recovery links.

#![allow(clippy::result_large_err)]

use commons_ledger::entry::Body;
use commons_ledger::keys::SecretKey;
use commons_ledger::store::Appended;

use crate::custody::{random_secret, seal, SealingKey};
use std::collections::HashMap;

use commons_ledger::keys::PublicKey;

use crate::db::{CircleSettings, MemberStatus};
use crate::names::{bounded_text, Username};
use crate::steward::form::LimitsCommand;
use crate::steward::views::{AccountLine, PendingRow};

use crate::services::*;

impl Services {
    /// A circle's time zone (UTC when it has none, or none the node knows).
    pub async fn circle_zone(
        &self,
        info: &commons_ledger::store::CircleInfo,
    ) -> Result<jiff::tz::TimeZone, ActionError> {
        let name = self.db.circle_time_zone(info.row_id).await?;
        Ok(crate::views::local::zone_named(&name).unwrap_or(jiff::tz::TimeZone::UTC))
    }

    /// The time zone of the circle with this slug, for writing its pages' times (UTC for
    /// anything else).
    pub async fn zone_of_slug(&self, slug: &str) -> jiff::tz::TimeZone {
        match self.store.circle(slug).await {
            Ok(info) => self
                .circle_zone(&info)
                .await
                .unwrap_or(jiff::tz::TimeZone::UTC),
            Err(_) => jiff::tz::TimeZone::UTC,
        }
    }

    /// The circle's wall-clock time now, as events are written (their times are the circle's).
    pub(crate) async fn circle_now(
        &self,
        info: &commons_ledger::store::CircleInfo,
    ) -> Result<commons_market::event::LocalTime, ActionError> {
        let zone = self.circle_zone(info).await?;
        let now = self.now_ms();
        Ok(commons_market::event::LocalTime::from_ms(
            now + crate::views::local::offset_ms_at(&zone, now),
        ))
    }

    /// The circle's time zone's name, as stewards chose it.
    pub async fn time_zone_name(
        &self,
        info: &commons_ledger::store::CircleInfo,
    ) -> Result<String, ActionError> {
        Ok(self.db.circle_time_zone(info.row_id).await?)
    }

    /// A steward sets the circle's time zone (an IANA name the node knows).
    pub async fn set_time_zone(&self, actor: &Actor, name: &str) -> Result<(), ActionError> {
        if !actor.is_steward {
            return Err(ActionError::Forbidden);
        }
        let name = name.trim();
        crate::views::local::zone_named(name).ok_or(invalid("time_zone", "error-time-zone"))?;
        self.ensure_settings_row(&actor.circle).await?;
        Ok(self
            .db
            .set_circle_time_zone(actor.circle.row_id, name)
            .await?)
    }

    /// Makes sure the circle has its settings row (with the defaults), so that one setting can
    /// be changed alone.
    pub(crate) async fn ensure_settings_row(
        &self,
        info: &commons_ledger::store::CircleInfo,
    ) -> Result<(), ActionError> {
        if self.db.circle_settings(info.row_id).await?.is_none() {
            let settings = self.settings(info).await?;
            self.db
                .save_circle_settings(info.row_id, &settings, self.now_ms())
                .await?;
        }
        Ok(())
    }

    /// The people waiting to join, and every active member's account with its limits, for the
    /// stewards' page (stewards only).
    pub(crate) async fn waiting_and_accounts(
        &self,
        actor: &Actor,
    ) -> Result<(Vec<PendingRow>, Vec<AccountLine>), ActionError> {
        require_steward(actor)?;
        let pending: Vec<PendingRow> = self
            .db
            .members(
                actor.circle.row_id,
                MemberStatus::Pending,
                None,
                crate::db::MEMBERS_PAGE_MAX,
            )
            .await?
            .into_iter()
            .map(|card| PendingRow {
                user_id: card.user_id,
                display_name: card.display_name,
                username: card.username,
                message: card.request_message,
                vouched_by: card.vouched_by_name,
                asked_at_ms: card.created_at_ms,
            })
            .collect();
        let cards = self
            .db
            .members(
                actor.circle.row_id,
                MemberStatus::Active,
                None,
                crate::db::MEMBERS_PAGE_MAX,
            )
            .await?;
        let accounts = self.store.accounts(&actor.circle).await?;
        let by_key: HashMap<PublicKey, _> = accounts.iter().map(|row| (row.key, row)).collect();
        let lines: Vec<AccountLine> = cards
            .into_iter()
            .filter_map(|card| {
                let account = by_key.get(&card.account_key)?;
                Some(AccountLine {
                    username: card.username,
                    display_name: card.display_name,
                    balance_minor: account.balance_minor,
                    floor_minor: account.floor_minor,
                    ceiling_minor: account.ceiling_minor,
                })
            })
            .collect();
        Ok((pending, lines))
    }

    /// The circle's last audit from the stewards' page, if any (stewards only).
    pub fn last_audit(&self, actor: &Actor) -> Result<Option<AuditRun>, ActionError> {
        require_steward(actor)?;
        Ok(self
            .audits
            .lock()
            .map_err(|_| ActionError::Busy)?
            .get(&actor.circle.row_id)
            .cloned())
    }

    /// A steward runs the circle's full audit: one at a time per circle, and a result younger
    /// than [`AUDIT_INTERVAL_MS`] is the answer instead of a new run.
    pub async fn run_audit(&self, actor: &Actor) -> Result<AuditResult, ActionError> {
        require_steward(actor)?;
        let now = self.now_ms();
        {
            let mut audits = self.audits.lock().map_err(|_| ActionError::Busy)?;
            match audits.get(&actor.circle.row_id) {
                Some(AuditRun::Running { .. }) => return Err(ActionError::Busy),
                Some(AuditRun::Done(done)) if now - done.at_ms < AUDIT_INTERVAL_MS => {
                    return Ok(done.clone())
                }
                _ => {}
            }
            audits.insert(actor.circle.row_id, AuditRun::Running { since_ms: now });
        }
        let started = std::time::Instant::now();
        let report = self.store.audit(&actor.circle.slug, None, &|_| {}).await;
        let mut audits = self.audits.lock().map_err(|_| ActionError::Busy)?;
        let report = match report {
            Ok(report) => report,
            Err(error) => {
                audits.remove(&actor.circle.row_id);
                return Err(error.into());
            }
        };
        let result = AuditResult {
            at_ms: now,
            by: actor.user.display_name.clone(),
            entries: report.entries_checked,
            faults: report
                .faults
                .iter()
                .map(|fault| (fault.entry, fault.what.clone()))
                .collect(),
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        audits.insert(actor.circle.row_id, AuditRun::Done(result.clone()));
        Ok(result)
    }

    pub async fn save_settings(
        &self,
        actor: &Actor,
        description: &str,
        agreements: &str,
        members_may_invite: bool,
        open_to_requests: bool,
    ) -> Result<(), ActionError> {
        require_steward(actor)?;
        let description = bounded_text(description, crate::names::DESCRIPTION_CHARS_MAX)
            .map_err(name_error("description"))?;
        let agreements = bounded_text(agreements, crate::names::AGREEMENTS_CHARS_MAX)
            .map_err(name_error("agreements"))?;
        if agreements.is_empty() {
            return Err(invalid("agreements", "error-required"));
        }
        let current = self.settings(&actor.circle).await?;
        self.db
            .save_circle_settings(
                actor.circle.row_id,
                &CircleSettings {
                    description,
                    agreements,
                    agreements_version: current.agreements_version,
                    members_may_invite,
                    open_to_requests,
                },
                self.now_ms(),
            )
            .await?;
        Ok(())
    }

    /// A steward sets one member's floor and ceiling (a signed ledger entry).
    pub async fn set_limits(
        &self,
        actor: &Actor,
        command: &LimitsCommand,
    ) -> Result<Appended, ActionError> {
        require_steward(actor)?;
        let member = self.other_member(actor, &command.member, "member").await?;
        self.append_as(
            actor,
            Body::SetLimits {
                account: member.account_key,
                floor_minor: command.floor_minor,
                ceiling_minor: command.ceiling_minor,
            },
            None,
        )
        .await
    }

    /// A steward helps a member who forgot their password: the account moves (a steward-signed
    /// `rotate-key` entry, visible to all) to a temporary key sealed under a one-time link's
    /// secret; the member follows the link and chooses a new password. Returns the link token.
    pub async fn start_recovery(
        &self,
        actor: &Actor,
        username: &Username,
    ) -> Result<String, ActionError> {
        require_steward(actor)?;
        let member = self.other_member(actor, username, "member").await?;
        // A node admin's account reaches every circle's creation: no circle's steward may
        // recover it.
        let person = self
            .db
            .user(member.user_id)
            .await?
            .ok_or(ActionError::NotFound)?;
        if person.is_node_admin {
            return Err(invalid("member", "recovery-error-admin"));
        }
        let temporary = SecretKey::generate();
        self.append_as(
            actor,
            Body::RotateKey {
                old: member.account_key,
                new: temporary.public_key(),
            },
            None,
        )
        .await?;
        self.db
            .move_member_key(
                actor.circle.row_id,
                member.user_id,
                &temporary.public_key(),
                None,
            )
            .await?;
        let secret = random_secret();
        let now = self.now_ms();
        self.db
            .create_recovery(
                actor.circle.row_id,
                member.user_id,
                &token_hash(&secret),
                actor.user.id,
                &temporary.public_key(),
                seal(
                    &SealingKey::from_link_secret(&secret),
                    &actor.circle.circle_id,
                    &temporary,
                ),
                now,
                now + RECOVERY_TTL_MS,
            )
            .await?;
        self.record(
            member.user_id,
            crate::account::activity::SecurityEvent::Recovered,
            None,
            &actor.circle.name,
        )
        .await;
        Ok(crate::http::session::encode_token(&secret))
    }
}
