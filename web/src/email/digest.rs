//! The morning digest: for each member with a verified address, each circle they belong to,
//! and each period some kind of theirs is delivered in, once per period at the circle's local
//! morning hour, a mail with what happened since they last came by (news, notifications)
//! and what is coming (events, votes closing). Nothing new since their visit: no mail.

#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use commons_governance::store::Proposal;
use commons_ledger::store::CircleInfo;

use crate::db::email::{EmailRow, NewMail};
use crate::db::news::NewsRow;
use crate::db::{MemberStatus, User};
use crate::email::rules::{digest_since, due_digest, Delivery, Period, Unsubscribe};
use crate::email::service::{delivery_of, local_for, resolve_deliveries, MailSettings};
use crate::i18n::Catalogues;
use crate::market::ListingCard;
use crate::notifications::{CardLookups, NotificationCard, NotificationKind};
use crate::services::{ActionError, Services};
use crate::views::local;

/// Most events and votes a digest lists.
pub const DIGEST_COMING_MAX: usize = 5;
/// Most notifications a digest lists (the rest are on the notifications page).
pub const DIGEST_NOTES_MAX: usize = 30;

/// What one digest tells.
#[derive(Debug, Clone)]
pub struct Digest {
    pub circle: CircleInfo,
    pub period: Period,
    pub since_ms: i64,
    pub news: Vec<NewsRow>,
    pub notes: Vec<NotificationCard>,
    pub events: Vec<ListingCard>,
    pub voting: Vec<(Proposal, i64)>,
    /// The circle's latest signed heads, published in every digest.
    pub heads: crate::ledger::read::PublishedHeads,
}

impl Digest {
    /// Whether there is anything new to tell (events and votes alone are no reason to mail).
    pub fn has_news(&self) -> bool {
        !self.news.is_empty() || !self.notes.is_empty()
    }
}

impl Services {
    /// Plans the digests due now (each at most once: the plan and its mail are recorded in
    /// one transaction). Answers how many mails were queued.
    pub async fn plan_digests(
        &self,
        mail: &MailSettings,
        catalogues: &Arc<Catalogues>,
    ) -> Result<usize, ActionError> {
        let now = self.now_ms();
        let circles = self.circles_by_row().await?;
        let mut due: HashMap<(i64, Period), String> = HashMap::new();
        for info in circles.values() {
            let zone = self.circle_zone(info).await?;
            for period in Period::ALL {
                if let Some(key) = due_digest(now, &zone, period, mail.digest_hour) {
                    due.insert((info.row_id, period), key);
                }
            }
        }
        if due.is_empty() {
            return Ok(0);
        }
        let mut queued = 0;
        for address in self.db.verified_addresses().await? {
            match self
                .plan_for(&address, &circles, &due, mail, catalogues)
                .await
            {
                Ok(count) => queued += count,
                Err(error) => {
                    tracing::warn!(%error, user = address.user_id, "planning a digest failed")
                }
            }
        }
        Ok(queued)
    }

    /// Plans one person's due digests.
    async fn plan_for(
        &self,
        address: &EmailRow,
        circles: &HashMap<i64, CircleInfo>,
        due: &HashMap<(i64, Period), String>,
        mail: &MailSettings,
        catalogues: &Arc<Catalogues>,
    ) -> Result<usize, ActionError> {
        let Some(user) = self.db.user(address.user_id).await? else {
            return Ok(0);
        };
        let deliveries = resolve_deliveries(&self.db.email_deliveries(user.id).await?);
        let mut queued = 0;
        for membership in self.db.memberships_of(user.id).await? {
            if membership.status != MemberStatus::Active {
                continue;
            }
            let Some(info) = circles.get(&membership.circle) else {
                continue;
            };
            for period in Period::ALL {
                if !deliveries.iter().any(|(_, d)| d.period() == Some(period)) {
                    continue;
                }
                let Some(key) = due.get(&(info.row_id, period)) else {
                    continue;
                };
                if self.db.digest_planned(user.id, info.row_id, key).await? {
                    continue;
                }
                let outgoing = self
                    .digest_mail(&user, address, info, period, &deliveries, mail, catalogues)
                    .await?;
                let planned = self
                    .db
                    .plan_digest(
                        (user.id, info.row_id),
                        (period.as_str(), key),
                        outgoing.as_ref(),
                        self.now_ms(),
                    )
                    .await?;
                queued += usize::from(planned && outgoing.is_some());
            }
        }
        Ok(queued)
    }

    /// One digest's mail, or `None` when nothing happened since the person came by.
    #[allow(clippy::too_many_arguments)]
    async fn digest_mail(
        &self,
        user: &User,
        address: &EmailRow,
        info: &CircleInfo,
        period: Period,
        deliveries: &[(NotificationKind, Delivery)],
        mail: &MailSettings,
        catalogues: &Arc<Catalogues>,
    ) -> Result<Option<NewMail>, ActionError> {
        let since = digest_since(
            self.db.last_visit_ms(user.id).await?,
            self.db
                .last_digest_ms(user.id, info.row_id, period.as_str())
                .await?,
            address.verified_at_ms.unwrap_or(address.created_at_ms),
        )
        // Never older than the period itself (and a day): a digest is not an archive.
        .max(self.now_ms() - period.ahead_ms().max(8 * 24 * 3600 * 1000));
        let Some(digest) = self.digest(user, info, period, since, deliveries).await? else {
            return Ok(None);
        };
        let zone = self.circle_zone(info).await?;
        let (tr, local) = local_for(catalogues, user, zone);
        let unsubscribe = mail.unsubscribe_url(user.id, Unsubscribe::Digest(period));
        let letter = local::scope(local, async {
            crate::email::views::digest_letter(&tr, mail, &address.address, &digest, &unsubscribe)
        })
        .await;
        Ok(Some(mail.mail(user.id, "digest", &letter)?))
    }

    /// What the digest tells the person, as they may see the circle; `None` when nothing new.
    async fn digest(
        &self,
        user: &User,
        info: &CircleInfo,
        period: Period,
        since: i64,
        deliveries: &[(NotificationKind, Delivery)],
    ) -> Result<Option<Digest>, ActionError> {
        let actor = match self.actor(user, &info.slug, None).await {
            Ok(actor) => actor,
            Err(ActionError::NotFound) => return Ok(None),
            Err(error) => return Err(error),
        };
        let pulse = self.pulse(&actor).await?;
        let in_period = |kind| delivery_of(deliveries, kind).period() == Some(period);
        let news = if in_period(NotificationKind::News) {
            (pulse.news.iter())
                .filter(|post| post.created_at_ms > since && post.author_id != user.id)
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        let mut lookups = CardLookups::over(HashMap::from([(info.row_id, info.clone())]));
        let mut notes = Vec::new();
        for note in self
            .db
            .notifications(user.id, crate::db::notifications::NOTIFICATIONS_LISTED_MAX)
            .await?
        {
            let wanted = note.circle == info.row_id
                && !note.read
                && note.created_at_ms > since
                && note.kind != NotificationKind::News
                && in_period(note.kind);
            if !wanted || notes.len() >= DIGEST_NOTES_MAX {
                continue;
            }
            if let Some(card) = self
                .notification_card(user, note, crate::reach::Channel::Digest, &mut lookups)
                .await?
            {
                notes.push(card);
            }
        }
        let horizon = self.now_ms() + period.ahead_ms();
        let digest = Digest {
            heads: self.published_heads(info).await?,
            circle: info.clone(),
            period,
            since_ms: since,
            news,
            notes,
            events: pulse
                .events
                .iter()
                .take(DIGEST_COMING_MAX)
                .cloned()
                .collect(),
            voting: (pulse.voting.iter())
                .filter(|(_, closes_ms)| *closes_ms <= horizon)
                .take(DIGEST_COMING_MAX)
                .cloned()
                .collect(),
        };
        Ok(digest.has_news().then_some(digest))
    }
}
