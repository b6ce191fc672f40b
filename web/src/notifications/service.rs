//! A member's notifications as cards to show (whatever feature raised them), and the kinds
//! they want.

#![allow(clippy::result_large_err)]

use crate::capability::FullAccount;
use std::collections::HashMap;

use commons_governance::moderation::TargetKind;

use crate::notifications::{Notification, NotificationKind};
use crate::reach::{Channel, ReachLens};

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
    titles: HashMap<(i64, i64), Titled>,
    lenses: HashMap<i64, crate::reach::ReachLens>,
}

/// A title a notification names: the words, whose they are (none: the circle's own, as a
/// proposal's title is) and the item that carries them, for the reach rule.
#[derive(Debug, Clone)]
struct Titled {
    title: String,
    author: Option<i64>,
    item: (TargetKind, i64),
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
            NotificationKind::AccountRecovered => {
                return "/settings/account#recoveries-title".to_owned()
            }
            NotificationKind::Moderated => {
                return format!("/c/{slug}/moderation/actions/{}", n.moderation.unwrap_or(0))
            }
            NotificationKind::ReportOutcome => return format!("/c/{slug}/moderation#my-reports"),
            NotificationKind::ModerationQueue => {
                return format!("/c/{slug}/moderation/cases/{}", n.moderation.unwrap_or(0))
            }
            NotificationKind::JoinRequest => return format!("/c/{slug}/steward#pending-title"),
            NotificationKind::News => return format!("/c/{slug}/news/{}", n.news.unwrap_or(0)),
            NotificationKind::Reply | NotificationKind::Mention => {
                return format!("/c/{slug}/discussions/{}#latest", n.thread.unwrap_or(0))
            }
            NotificationKind::Conversation => {
                return format!("/c/{slug}/messages/{}#latest", n.conversation.unwrap_or(0))
            }
            NotificationKind::Repair => {
                return format!("/c/{slug}/repairs/{}", n.moderation.unwrap_or(0))
            }
            NotificationKind::DealAcross => {
                return format!("/c/{slug}/deals/across/{}", n.deal.unwrap_or(0))
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
        // A title the node wrote (an appeal's) reads in the reader's language.
        let shown = |title: &Option<String>| {
            title.as_deref().map_or_else(
                || "—".to_owned(),
                |title| crate::governance::titles::shown(tr, title).into_owned(),
            )
        };
        tr.ta(
            &format!("notification-{}", self.notification.kind.as_str()),
            &[
                ("title", &shown(&self.listing_title)),
                ("other", &shown(&self.other_title)),
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

    /// Counts as seen what a page showed the person: their notifications up to the newest
    /// one it listed. Needs the whole account: a recovered login never clears the owner's.
    pub(crate) async fn mark_seen(
        &self,
        person: &FullAccount,
        newest_id: i64,
    ) -> Result<(), ActionError> {
        self.db
            .mark_read_up_to(person.id, newest_id, self.now_ms())
            .await?;
        Ok(())
    }

    /// Keeps only `wanted` among the kinds the person is notified of.
    pub(crate) async fn set_wanted_kinds(
        &self,
        person: &FullAccount,
        wanted: &[NotificationKind],
    ) -> Result<(), ActionError> {
        self.db.set_wanted(person.id, wanted).await?;
        Ok(())
    }

    /// A person's notifications grouped by what they are about, with who acted.
    pub async fn notification_groups(
        &self,
        person: &crate::db::User,
    ) -> Result<Vec<crate::notifications::group::CardGroup>, ActionError> {
        let cards = self.notification_cards(person).await?;
        let mut names: HashMap<i64, Option<String>> = HashMap::new();
        let mut named = Vec::with_capacity(cards.len());
        for card in cards {
            let name = match card.notification.from_user {
                Some(id) => match names.get(&id) {
                    Some(name) => name.clone(),
                    None => {
                        let name = self.db.user(id).await?.map(|u| u.display_name);
                        names.insert(id, name.clone());
                        name
                    }
                },
                None => None,
            };
            named.push((card, name));
        }
        Ok(crate::notifications::group::group(named))
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
            if let Some(card) = self
                .notification_card(person, note, Channel::Notification, &mut lookups)
                .await?
            {
                cards.push(card);
            }
        }
        Ok(cards)
    }

    /// One notification as a card, or `None` when the person may no longer see its circle or
    /// the reach rule stops it on `channel` now: the words it names are of someone blocked
    /// either way, muted or suspended, or a moderator hid or holds them, or a recovered login
    /// reads outside the circles that recovered it. Titles are read now, through the same rule,
    /// so an edited title reaches nobody the rule would not let it reach.
    pub(crate) async fn notification_card(
        &self,
        person: &crate::db::User,
        note: Notification,
        channel: Channel,
        lookups: &mut CardLookups,
    ) -> Result<Option<NotificationCard>, ActionError> {
        let Some(info) = lookups.circles.get(&note.circle).cloned() else {
            return Ok(None);
        };
        if !lookups.lenses.contains_key(&note.circle) {
            let lens = self.reach_lens(person, note.circle).await?;
            lookups.lenses.insert(note.circle, lens);
        }
        // Who writes to the person privately is theirs alone: a login a recovery gave (a
        // steward's, perhaps) is not told of it, as it reads no private message. Mail goes to
        // the owner's own address.
        if note.kind == NotificationKind::Conversation
            && person.recovery_restricted
            && channel.read_through_a_login()
        {
            return Ok(None);
        }
        let lens = &lookups.lenses[&note.circle];
        let from = note.from_user.unwrap_or(ReachLens::THE_CIRCLE);
        if !lens.delivers(channel, from, None) {
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
        let [first, second] = self.titles_of(&note, &mut lookups.titles).await?;
        let lens = &lookups.lenses[&note.circle];
        let reaches = |titled: &Option<Titled>| {
            titled.as_ref().is_none_or(|t| {
                lens.delivers(
                    channel,
                    t.author.unwrap_or(ReachLens::THE_CIRCLE),
                    Some(t.item),
                )
            })
        };
        if !reaches(&first) || !reaches(&second) {
            return Ok(None);
        }
        Ok(Some(NotificationCard {
            circle_slug: info.slug.clone(),
            circle_name: info.name.clone(),
            listing_title: first.map(|t| t.title),
            other_title: second.map(|t| t.title),
            notification: note,
        }))
    }

    /// The titles a notification names: its listing's (or news post's, thread's, proposal's)
    /// and the other listing's, each with whose words they are.
    async fn titles_of(
        &self,
        note: &Notification,
        titles: &mut HashMap<(i64, i64), Titled>,
    ) -> Result<[Option<Titled>; 2], ActionError> {
        let mut found = [None, None];
        for (slot, id) in [note.listing, note.other_listing].into_iter().enumerate() {
            let Some(id) = id else { continue };
            if let Some(titled) = titles.get(&(note.circle, id)) {
                found[slot] = Some(titled.clone());
                continue;
            }
            if let Some(listing) = self.market.listing(note.circle, id).await? {
                let titled = Titled {
                    title: listing.title,
                    author: Some(listing.owner),
                    item: (TargetKind::Listing, id),
                };
                titles.insert((note.circle, id), titled.clone());
                found[slot] = Some(titled);
            }
        }
        if let Some(id) = note.news {
            found[0] = self
                .db
                .news_post(note.circle, id)
                .await?
                .map(|post| Titled {
                    title: post.title,
                    author: Some(post.author_id),
                    item: (TargetKind::News, id),
                });
        }
        if let Some(id) = note.thread {
            found[0] = self.db.thread(note.circle, id).await?.map(|thread| Titled {
                title: thread.title,
                author: Some(thread.author_id),
                item: (TargetKind::Thread, id),
            });
        }
        if let Some(number) = note.proposal {
            // A proposal is the circle's to decide: its title reaches every member unless a
            // moderator hid it.
            found[0] = self
                .governance
                .proposal(note.circle, number)
                .await?
                .map(|p| Titled {
                    title: p.draft.title,
                    author: None,
                    item: (TargetKind::Proposal, number),
                });
        }
        if let (NotificationKind::DealAcross, Some(id)) = (note.kind, note.deal) {
            // The listing lives in the linked circle, whose own moderators decide on it: no
            // item of this circle's is named (listing 0 is never one).
            found[0] = self.db.link_deal(id).await?.map(|row| Titled {
                title: row.listing_title,
                author: None,
                item: (TargetKind::Listing, 0),
            });
        }
        Ok(found)
    }
}
