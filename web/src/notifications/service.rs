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
        let user = person.id;
        let notes = self
            .db
            .notifications(user, crate::db::notifications::NOTIFICATIONS_LISTED_MAX)
            .await?;
        let circles = self.circles_by_row().await?;
        let mut member_of: HashMap<i64, bool> = HashMap::new();
        let mut titles: HashMap<(i64, i64), String> = HashMap::new();
        let mut cards = Vec::new();
        for note in notes {
            let Some(info) = circles.get(&note.circle) else {
                continue;
            };
            // A login a circle's stewards recovered sees nothing of the person's other circles.
            if !self.may_reach(person, note.circle).await? {
                continue;
            }
            let active = match member_of.get(&note.circle) {
                Some(active) => *active,
                None => {
                    let active = self
                        .db
                        .membership(note.circle, user)
                        .await?
                        .is_some_and(|m| m.status == crate::db::MemberStatus::Active);
                    member_of.insert(note.circle, active);
                    active
                }
            };
            if !active {
                continue;
            }
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
            cards.push(NotificationCard {
                circle_slug: info.slug.clone(),
                circle_name: info.name.clone(),
                listing_title,
                other_title,
                notification: note,
            });
        }
        Ok(cards)
    }
}
