//! What the public sees of a circle that opted in: the stewards' sections, and the news,
//! offers, needs and events their authors shared — never a member's name unless that member
//! made their profile public, never a balance, never anything else. A circle that did not opt
//! in answers "not found", exactly like a circle that does not exist.

#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use commons_governance::moderation::TargetKind;
use commons_ledger::store::CircleInfo;
use commons_market::listing::Status;
use commons_market::store::Listing;

use crate::db::news::NewsRow;
use crate::db::{MemberStatus, User};
use crate::moderation::service::ModeratedFilter;
use crate::public::rules::{PublicPageCommand, SectionText, Shared, PUBLIC_ITEMS_MAX};
use crate::services::{ActionError, Actor, Services};

/// A member who chose to be seen on public pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicPerson {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
}

/// A circle's public page.
#[derive(Debug, Clone)]
pub struct PublicPage {
    pub circle: CircleInfo,
    pub description: String,
    pub open_to_requests: bool,
    pub texts: Vec<SectionText>,
    pub news: Vec<NewsRow>,
    pub events: Vec<Listing>,
    pub listings: Vec<Listing>,
    /// Authors of what is shown who made their profile public (nobody else is named).
    pub people: HashMap<i64, PublicPerson>,
    /// The latest signed heads, for anyone to compare with what they were shown.
    pub heads: crate::ledger::read::PublishedHeads,
}

/// A public profile: what the member chose to show.
#[derive(Debug, Clone)]
pub struct PublicProfile {
    pub person: PublicPerson,
    pub bio: String,
    pub skills: Vec<String>,
    pub interests: Vec<String>,
    pub ask_me_about: String,
    pub listings: Vec<Listing>,
}

impl Services {
    /// The circle of a public page, if it opted in (else `NotFound`, as for no circle at all).
    pub(crate) async fn public_circle(&self, slug: &str) -> Result<CircleInfo, ActionError> {
        let info = self.store.circle(slug).await?;
        if !self.db.public_enabled(info.row_id).await? {
            return Err(ActionError::NotFound);
        }
        Ok(info)
    }

    /// What the public may not see of the circle: everything a moderator hid or holds.
    async fn public_filter(&self, circle: i64) -> Result<ModeratedFilter, ActionError> {
        Ok(ModeratedFilter::for_public(
            self.db.hidden_items(circle).await?,
        ))
    }

    /// The circle's news shared publicly, newest first.
    pub(crate) async fn public_news(&self, info: &CircleInfo) -> Result<Vec<NewsRow>, ActionError> {
        let hidden = self.public_filter(info.row_id).await?;
        let mut posts = Vec::new();
        for id in self.db.shared_items(info.row_id, Shared::News).await? {
            if hidden.hides(TargetKind::News, id) {
                continue;
            }
            if let Some(post) = self.db.news_post(info.row_id, id).await? {
                if !post.withdrawn {
                    posts.push(post);
                }
            }
        }
        posts.sort_by_key(|post| std::cmp::Reverse(post.created_at_ms));
        posts.truncate(PUBLIC_ITEMS_MAX);
        Ok(posts)
    }

    /// One news post shared publicly.
    pub(crate) async fn public_news_post(
        &self,
        info: &CircleInfo,
        id: i64,
    ) -> Result<NewsRow, ActionError> {
        self.public_news(info)
            .await?
            .into_iter()
            .find(|post| post.id == id)
            .ok_or(ActionError::NotFound)
    }

    /// The circle's live listings shared publicly (events apart, upcoming only), newest first.
    pub(crate) async fn public_listings(
        &self,
        info: &CircleInfo,
    ) -> Result<(Vec<Listing>, Vec<Listing>), ActionError> {
        let hidden = self.public_filter(info.row_id).await?;
        let now_ms = self.now_ms();
        let today = self.circle_now(info).await?;
        let mut events = Vec::new();
        let mut listings = Vec::new();
        for id in self.db.shared_items(info.row_id, Shared::Listing).await? {
            if hidden.hides(TargetKind::Listing, id) {
                continue;
            }
            let Some(listing) = self.market.listing(info.row_id, id).await? else {
                continue;
            };
            if !listing.is_live(now_ms) || listing.status == Status::Paused {
                continue;
            }
            // What someone who left the circle shared leaves its page with them.
            let author_active = self
                .db
                .membership(info.row_id, listing.owner)
                .await?
                .is_some_and(|m| m.status == MemberStatus::Active);
            if !author_active {
                continue;
            }
            match &listing.event {
                Some(event) if event.ends >= today => events.push(listing),
                Some(_) => {}
                None => listings.push(listing),
            }
        }
        events.sort_by_key(|l| l.event.as_ref().map(|e| e.starts));
        events.truncate(PUBLIC_ITEMS_MAX);
        listings.sort_by_key(|l| std::cmp::Reverse(l.created_at_ms));
        listings.truncate(PUBLIC_ITEMS_MAX);
        Ok((events, listings))
    }

    /// The circle's shared upcoming events as an iCalendar file, in its time zone.
    pub(crate) async fn public_calendar(
        &self,
        public_url: &str,
        info: &CircleInfo,
    ) -> Result<String, ActionError> {
        let (events, _) = self.public_listings(info).await?;
        let zone = self.circle_zone(info).await?;
        let host = crate::email::compose::host_of(public_url);
        let base = format!("{}/p/{}", public_url.trim_end_matches('/'), info.slug);
        let calendar_events: Vec<commons_market::event::CalendarEvent> = events
            .iter()
            .filter_map(|l| {
                let details = l.event.as_ref()?;
                Some(commons_market::event::CalendarEvent {
                    uid: format!("listing-{}@{host}", l.id),
                    title: l.title.clone(),
                    description: commons_market::markdown::plain_excerpt(&l.description, 1_000),
                    place: if details.online {
                        String::new()
                    } else {
                        details.place.clone()
                    },
                    url: format!("{base}/listings/{}", l.id),
                    starts: details.starts,
                    ends: details.ends,
                    stamp_ms: l.updated_at_ms,
                    cancelled: false,
                })
            })
            .collect();
        Ok(commons_market::event::calendar_in_zone(
            &info.name,
            zone.iana_name(),
            &calendar_events,
        ))
    }

    /// The person, if they chose to be seen publicly and are an active member of the circle.
    async fn public_person(
        &self,
        circle: i64,
        user: &User,
    ) -> Result<Option<PublicPerson>, ActionError> {
        let active = self
            .db
            .membership(circle, user.id)
            .await?
            .is_some_and(|m| m.status == MemberStatus::Active);
        if !active || !self.db.profile_of(user.id).await?.public {
            return Ok(None);
        }
        Ok(Some(PublicPerson {
            user_id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
        }))
    }

    /// The whole public page of a circle that opted in.
    pub(crate) async fn public_page(&self, slug: &str) -> Result<PublicPage, ActionError> {
        let info = self.public_circle(slug).await?;
        let settings = self.settings(&info).await?;
        let news = self.public_news(&info).await?;
        let (events, listings) = self.public_listings(&info).await?;
        let mut people = HashMap::new();
        for owner in events.iter().chain(listings.iter()).map(|l| l.owner) {
            if people.contains_key(&owner) {
                continue;
            }
            if let Some(user) = self.db.user(owner).await? {
                if let Some(person) = self.public_person(info.row_id, &user).await? {
                    people.insert(owner, person);
                }
            }
        }
        Ok(PublicPage {
            heads: self.published_heads(&info).await?,
            texts: self.db.public_texts(info.row_id).await?,
            description: settings.description,
            open_to_requests: settings.open_to_requests,
            circle: info,
            news,
            events,
            listings,
            people,
        })
    }

    /// A member's public profile in a circle that opted in; `NotFound` unless they chose it.
    pub(crate) async fn public_profile(
        &self,
        slug: &str,
        username: &str,
    ) -> Result<(CircleInfo, PublicProfile), ActionError> {
        let info = self.public_circle(slug).await?;
        let user = self
            .db
            .user_by_username(username)
            .await?
            .ok_or(ActionError::NotFound)?;
        let person = self
            .public_person(info.row_id, &user)
            .await?
            .ok_or(ActionError::NotFound)?;
        if self
            .public_filter(info.row_id)
            .await?
            .hides(TargetKind::Profile, user.id)
        {
            return Err(ActionError::NotFound);
        }
        let extras = self.db.profile_of(user.id).await?;
        let (events, listings) = self.public_listings(&info).await?;
        let listings = events
            .into_iter()
            .chain(listings)
            .filter(|l| l.owner == user.id)
            .collect();
        Ok((
            info,
            PublicProfile {
                person,
                bio: user.bio.clone(),
                skills: extras.skills,
                interests: extras.interests,
                ask_me_about: extras.ask_me_about,
                listings,
            },
        ))
    }

    /// The circles whose public page is on, with their descriptions (the node's front page).
    pub(crate) async fn public_circles(&self) -> Result<Vec<(CircleInfo, String)>, ActionError> {
        let circles = self.circles_by_row().await?;
        let mut list = Vec::new();
        for id in self.db.public_circle_ids().await? {
            if let Some(info) = circles.get(&id) {
                let description = self.settings(info).await?.description;
                list.push((info.clone(), description));
            }
        }
        Ok(list)
    }

    /// Whether the page is on, and its texts (for the stewards' editor).
    pub(crate) async fn public_page_editor(
        &self,
        actor: &Actor,
    ) -> Result<(bool, Vec<SectionText>), ActionError> {
        if !actor.is_steward {
            return Err(ActionError::Forbidden);
        }
        let circle = actor.circle.row_id;
        Ok((
            self.db.public_enabled(circle).await?,
            self.db.public_texts(circle).await?,
        ))
    }

    /// Saves the public page (stewards only).
    pub(crate) async fn save_public_page(
        &self,
        actor: &Actor,
        command: &PublicPageCommand,
    ) -> Result<(), ActionError> {
        if !actor.is_steward {
            return Err(ActionError::Forbidden);
        }
        self.db
            .save_public_page(
                actor.circle.row_id,
                command.enabled,
                &command.texts,
                self.now_ms(),
            )
            .await?;
        Ok(())
    }

    /// Whether the actor may share this item, and whether it is shared: `None` when the circle
    /// has no public page or the actor may not share it (the page then offers nothing).
    pub(crate) async fn share_state(
        &self,
        actor: &Actor,
        kind: Shared,
        item: i64,
        author: i64,
    ) -> Result<Option<bool>, ActionError> {
        let circle = actor.circle.row_id;
        if !kind.may_share(author == actor.user.id, actor.is_steward)
            || !self.db.public_enabled(circle).await?
        {
            return Ok(None);
        }
        Ok(Some(self.db.is_shared(circle, kind, item).await?))
    }

    /// Shares an item on the public page, or takes it back: a listing by its author, a news
    /// post by its author or a steward.
    pub(crate) async fn share(
        &self,
        actor: &Actor,
        kind: Shared,
        item: i64,
        shared: bool,
    ) -> Result<(), ActionError> {
        let circle = actor.circle.row_id;
        let author = match kind {
            Shared::Listing => self.market.listing(circle, item).await?.map(|l| l.owner),
            Shared::News => self.db.news_post(circle, item).await?.map(|p| p.author_id),
        }
        .ok_or(ActionError::NotFound)?;
        if !kind.may_share(author == actor.user.id, actor.is_steward) {
            return Err(ActionError::Forbidden);
        }
        self.db
            .set_shared((circle, kind, item), actor.user.id, shared, self.now_ms())
            .await?;
        Ok(())
    }
}
