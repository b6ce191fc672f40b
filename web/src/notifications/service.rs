//! A member's notifications as cards to show (whatever feature raised them), and the kinds
//! they want.

#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use crate::notifications::{Notification, NotificationKind};

use crate::services::{ActionError, Services};

/// A notification with what it is about, ready to show.
#[derive(Debug, Clone)]
pub struct NotificationCard {
    pub notification: Notification,
    pub circle_slug: String,
    pub circle_name: String,
    pub listing_title: Option<String>,
    pub other_title: Option<String>,
}

/// What the cards of one list share: circles, memberships and titles already looked up.
#[derive(Debug, Default)]
pub(crate) struct CardLookups {
    circles: HashMap<i64, commons_ledger::store::CircleInfo>,
    member_of: HashMap<i64, bool>,
    titles: HashMap<(i64, i64), String>,
}

impl CardLookups {
    /// Lookups over these circles (a card of any other circle is not shown).
    pub(crate) fn over(circles: HashMap<i64, commons_ledger::store::CircleInfo>) -> Self {
        CardLookups {
            circles,
            ..CardLookups::default()
        }
    }

    pub(crate) fn circle(&self, row: i64) -> Option<&commons_ledger::store::CircleInfo> {
        self.circles.get(&row)
    }
}

impl NotificationCard {
    /// Where the notification leads (a path on the node).
    pub fn href(&self) -> String {
        let n = &self.notification;
        let slug = &self.circle_slug;
        match n.kind {
            NotificationKind::AccountRecovered => return "/settings#recoveries-title".to_owned(),
            NotificationKind::Moderated => {
                return format!("/c/{slug}/moderation/actions/{}", n.moderation.unwrap_or(0))
            }
            NotificationKind::ReportOutcome => return format!("/c/{slug}/moderation#my-reports"),
            NotificationKind::ModerationQueue => {
                return format!("/c/{slug}/moderation/cases/{}", n.moderation.unwrap_or(0))
            }
            NotificationKind::News => return format!("/c/{slug}/news/{}", n.news.unwrap_or(0)),
            NotificationKind::Reply => {
                return format!("/c/{slug}/discussions/{}#latest", n.thread.unwrap_or(0))
            }
            NotificationKind::Repair => {
                return format!("/c/{slug}/repairs/{}", n.moderation.unwrap_or(0))
            }
            _ => {}
        }
        match (n.proposal, n.deal, n.other_listing, n.listing) {
            (Some(number), _, _, _) => format!("/c/{slug}/proposals/{number}"),
            (None, Some(deal), _, _) => format!("/c/{slug}/deals/{deal}"),
            (None, None, Some(other), _) => format!("/c/{slug}/market/{other}"),
            (None, None, None, Some(listing)) => format!("/c/{slug}/market/{listing}"),
            _ => format!("/c/{slug}"),
        }
    }

    /// What happened, in one sentence of the reader's language.
    pub fn sentence(&self, tr: &crate::i18n::Tr) -> String {
        tr.ta(
            &format!("notification-{}", self.notification.kind.as_str()),
            &[
                ("title", self.listing_title.as_deref().unwrap_or("—")),
                ("other", self.other_title.as_deref().unwrap_or("—")),
            ],
        )
    }
}

/// Parses the `kind` values of the notification settings form.
pub fn wanted_kinds(values: &[String]) -> Vec<NotificationKind> {
    values
        .iter()
        .filter_map(|v| NotificationKind::parse(v))
        .collect()
}

impl Services {
    /// How many of the person's notifications are unread.
    pub(crate) async fn unread_count(&self, person: &crate::db::User) -> Result<i64, ActionError> {
        Ok(self.db.unread_count(person.id).await?)
    }

    /// The kinds of notification the person has turned off.
    pub(crate) async fn muted_kinds(
        &self,
        person: &crate::db::User,
    ) -> Result<Vec<NotificationKind>, ActionError> {
        Ok(self.db.mutes(person.id).await?)
    }

    /// Marks every notification of the person read, now.
    pub(crate) async fn mark_all_read(&self, person: &crate::db::User) -> Result<(), ActionError> {
        self.db.mark_read(person.id, self.now_ms()).await?;
        Ok(())
    }

    /// Keeps only `wanted` among the kinds the person is notified of.
    pub(crate) async fn set_wanted_kinds(
        &self,
        person: &crate::db::User,
        wanted: &[NotificationKind],
    ) -> Result<(), ActionError> {
        self.db.set_wanted(person.id, wanted).await?;
        Ok(())
    }

    /// A person's notifications in the circles they are still an active member of.
    pub async fn notification_cards(
        &self,
        person: &crate::db::User,
    ) -> Result<Vec<NotificationCard>, ActionError> {
        let notes = self
            .db
            .notifications(
                person.id,
                crate::db::notifications::NOTIFICATIONS_LISTED_MAX,
            )
            .await?;
        let mut lookups = CardLookups::over(self.circles_by_row().await?);
        let mut cards = Vec::new();
        for note in notes {
            if let Some(card) = self.notification_card(person, note, &mut lookups).await? {
                cards.push(card);
            }
        }
        Ok(cards)
    }

    /// One notification as a card, or `None` when the person may no longer see its circle.
    pub(crate) async fn notification_card(
        &self,
        person: &crate::db::User,
        note: Notification,
        lookups: &mut CardLookups,
    ) -> Result<Option<NotificationCard>, ActionError> {
        let Some(info) = lookups.circles.get(&note.circle).cloned() else {
            return Ok(None);
        };
        // A login a circle's stewards recovered sees nothing of the person's other circles.
        if !self.may_reach(person, note.circle).await? {
            return Ok(None);
        }
        let active = match lookups.member_of.get(&note.circle) {
            Some(active) => *active,
            None => {
                let active = self
                    .db
                    .membership(note.circle, person.id)
                    .await?
                    .is_some_and(|m| m.status == crate::db::MemberStatus::Active);
                lookups.member_of.insert(note.circle, active);
                active
            }
        };
        if !active {
            return Ok(None);
        }
        let (listing_title, other_title) = self.titles_of(&note, &mut lookups.titles).await?;
        Ok(Some(NotificationCard {
            circle_slug: info.slug.clone(),
            circle_name: info.name.clone(),
            listing_title,
            other_title,
            notification: note,
        }))
    }

    /// The titles a notification names: its listing's (or news post's, thread's, proposal's)
    /// and the other listing's.
    async fn titles_of(
        &self,
        note: &Notification,
        titles: &mut HashMap<(i64, i64), String>,
    ) -> Result<(Option<String>, Option<String>), ActionError> {
        let mut found_titles = [None, None];
        for (slot, id) in [note.listing, note.other_listing].into_iter().enumerate() {
            let Some(id) = id else { continue };
            if let Some(title) = titles.get(&(note.circle, id)) {
                found_titles[slot] = Some(title.clone());
                continue;
            }
            if let Some(listing) = self.market.listing(note.circle, id).await? {
                titles.insert((note.circle, id), listing.title.clone());
                found_titles[slot] = Some(listing.title);
            }
        }
        let [mut listing_title, other_title] = found_titles;
        if let Some(id) = note.news {
            listing_title = self
                .db
                .news_post(note.circle, id)
                .await?
                .map(|post| post.title);
        }
        if let Some(id) = note.thread {
            listing_title = self
                .db
                .thread(note.circle, id)
                .await?
                .map(|thread| thread.title);
        }
        if let Some(number) = note.proposal {
            listing_title = self
                .governance
                .proposal(note.circle, number)
                .await?
                .map(|p| p.draft.title);
        }
        Ok((listing_title, other_title))
    }
}
