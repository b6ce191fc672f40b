//! What members do in their circle's market — list, search, match, strike deals, answer events,
//! add photos, read notifications — for pages and API alike. Every action goes through an
//! `Actor` (an active member of the circle); the rules live in `commons_market`.

use std::collections::HashMap;

use crate::notifications::{NewNotification, NotificationKind};
use commons_governance::moderation::TargetKind;
use commons_market::category::{Tree, TreeError};
use commons_market::cycles::{self, Bounds, Found};
use commons_market::deal::DealError;
use commons_market::event::{self};
use commons_market::index::{Page, Search};
use commons_market::listing::{ListingDraft, ListingForm, Status};
use commons_market::matching::{self, Match, Standing};
use commons_market::photo;
use commons_market::store::{Listing, MarketError, PhotoInfo, StoredDeal};
use commons_market::text::Language;

use crate::db::Person;
use crate::membership::sandbox::SandboxLimit;
use crate::reach::Channel;
use crate::services::{invalid, parse_amount, ActionError, Actor, Services};

/// A new listing notifies the authors of at most this many of its best matches.
pub const NOTIFY_MATCHES_MAX: usize = 5;
/// Only matches at least this good are worth a notification.
pub const NOTIFY_SCORE_MIN: f32 = 0.30;
/// Matches shown per listing on a page.
pub const MATCHES_SHOWN: usize = 5;
/// Listings per page of search results.
pub const LISTINGS_PER_PAGE: usize = 20;
/// Most events on the calendar page and in the circle's calendar file.
pub const EVENTS_MAX: i64 = 200;

impl From<MarketError> for ActionError {
    fn from(error: MarketError) -> Self {
        match error {
            MarketError::NotFound => ActionError::NotFound,
            MarketError::NotYours => ActionError::Forbidden,
            MarketError::TooManyListings => invalid("title", "market-error-too-many"),
            MarketError::Conflict => invalid("deal", "error-conflict"),
            MarketError::NotAnEvent => invalid("answer", "event-error-not-event"),
            MarketError::Deal(error) => invalid("deal", error.message_id()),
            MarketError::Photo(error) => invalid("photo", error.message_id()),
            MarketError::Db(error) => ActionError::Database(error),
            MarketError::Corrupt(what) => ActionError::Database(sqlx::Error::Decode(what.into())),
        }
    }
}

impl From<DealError> for ActionError {
    fn from(error: DealError) -> Self {
        invalid("deal", error.message_id())
    }
}

/// A listing form's raw fields, with the event's, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ListingInput {
    #[serde(default)]
    pub side: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub area: String,
    /// "latitude, longitude", optional and never shown to others.
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub value_kind: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub availability: String,
    #[serde(default)]
    pub expires_in_days: String,
    #[serde(default)]
    pub starts: String,
    #[serde(default)]
    pub ends: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub online: Option<String>,
    #[serde(default)]
    pub capacity: String,
}

impl ListingInput {
    /// The form's fields as a stored listing has them (for editing).
    pub fn of(listing: &Listing, decimals: u8) -> ListingInput {
        let decimals = commons_ledger::amount::Decimals::new(u32::from(decimals)).ok();
        let event = listing.event.as_ref();
        ListingInput {
            side: listing.side.as_str().into(),
            kind: listing.kind.as_str().into(),
            title: listing.title.clone(),
            description: listing.description.clone(),
            category: listing.category.clone(),
            tags: listing.tags.join(" "),
            area: listing.area.clone(),
            location: listing.location.map(|l| l.to_text()).unwrap_or_default(),
            value_kind: listing.value.kind().as_str().into(),
            amount: listing
                .value
                .amount_minor()
                .and_then(|a| decimals.map(|d| d.format(a)))
                .unwrap_or_default(),
            availability: listing.availability.clone(),
            expires_in_days: String::new(),
            starts: event.map(|e| e.starts.to_input()).unwrap_or_default(),
            ends: event.map(|e| e.ends.to_input()).unwrap_or_default(),
            place: event.map(|e| e.place.clone()).unwrap_or_default(),
            online: event.filter(|e| e.online).map(|_| "on".into()),
            capacity: event
                .and_then(|e| e.capacity)
                .map(|c| c.to_string())
                .unwrap_or_default(),
        }
    }
}

/// A listing with what pages show beside it.
#[derive(Debug, Clone)]
pub struct ListingCard {
    pub listing: Listing,
    pub author: Option<Person>,
    /// The first photo, if any (id).
    pub photo: Option<PhotoInfo>,
}

/// A trade cycle as pages show it: each step's giver, receiver, offer and need.
#[derive(Debug, Clone)]
pub struct CycleStep {
    pub giver: Person,
    pub receiver: Person,
    pub offer: Listing,
    pub need: Listing,
}

impl Services {
    /// The circle's categories (its own tree, or the defaults).
    pub async fn category_tree(&self, circle: i64) -> Result<Tree, ActionError> {
        Ok(match self.market.category_text(circle).await? {
            Some(text) => Tree::parse(&text).unwrap_or_default(),
            None => Tree::default(),
        })
    }

    /// A steward replaces the circle's category tree.
    pub async fn set_category_tree(
        &self,
        actor: &Actor,
        text: &str,
    ) -> Result<Result<(), TreeError>, ActionError> {
        if !actor.is_steward {
            return Err(ActionError::Forbidden);
        }
        let tree = match Tree::parse(text) {
            Ok(tree) => tree,
            Err(error) => return Ok(Err(error)),
        };
        self.market
            .set_category_text(actor.circle.row_id, &tree.to_text(), self.now_ms())
            .await?;
        Ok(Ok(()))
    }

    /// Parses a listing form: every field error at once, as (field, catalogue id).
    pub async fn parse_listing(
        &self,
        actor: &Actor,
        input: &ListingInput,
        language: Language,
    ) -> Result<Result<ListingDraft, Vec<(&'static str, &'static str)>>, ActionError> {
        let tree = self.category_tree(actor.circle.row_id).await?;
        let mut errors: Vec<(&'static str, &'static str)> = Vec::new();
        let amount_minor = match input.amount.trim() {
            "" => None,
            text => match parse_amount(&actor.circle, text) {
                Ok(minor) => Some(minor),
                Err(_) => {
                    errors.push(("amount", "market-error-amount"));
                    None
                }
            },
        };
        let event = if input.kind == "event" {
            match event::EventDetails::parse(
                &input.starts,
                &input.ends,
                &input.place,
                input.online.is_some(),
                &input.capacity,
            ) {
                Ok(details) => Some(details),
                Err((field, error)) => {
                    errors.push((field, error.message_id()));
                    None
                }
            }
        } else {
            None
        };
        let form = ListingForm {
            side: input.side.clone(),
            kind: input.kind.clone(),
            title: input.title.clone(),
            description: input.description.clone(),
            category: input.category.clone(),
            tags: input.tags.clone(),
            area: input.area.clone(),
            location: input.location.clone(),
            value_kind: input.value_kind.clone(),
            amount_minor,
            availability: input.availability.clone(),
            expires_in_days: input.expires_in_days.clone(),
        };
        match form.parse(language, |path| tree.contains(path), event) {
            Ok(draft) if errors.is_empty() => Ok(Ok(draft)),
            Ok(_) => Ok(Err(errors)),
            Err(field_errors) => {
                for (field, error) in field_errors.0 {
                    if !errors.iter().any(|(f, _)| *f == field) {
                        errors.push((field, error.message_id()));
                    }
                }
                Ok(Err(errors))
            }
        }
    }

    /// Publishes a listing and tells the members whose listings it matches.
    pub async fn create_listing(
        &self,
        actor: &Actor,
        draft: &ListingDraft,
    ) -> Result<Listing, ActionError> {
        self.check_may_post(actor, SandboxLimit::Listings).await?;
        let listing = self
            .market
            .create_listing(actor.circle.row_id, actor.user.id, draft, self.now_ms())
            .await?;
        // A held listing is matched once a moderator lets it through, not before.
        let text = format!("{}\n\n{}", listing.title, listing.description);
        if !self
            .hold_if_needed(actor, TargetKind::Listing, listing.id, &text)
            .await?
        {
            self.notify_matches(actor, &listing).await?;
        }
        Ok(listing)
    }

    /// Replaces a listing's text. Matches are not notified again: people were told when it was
    /// first published, and an edit should not make their notifications noisy.
    pub async fn update_listing(
        &self,
        actor: &Actor,
        id: i64,
        draft: &ListingDraft,
    ) -> Result<Listing, ActionError> {
        self.check_not_suspended(actor)?;
        let (listing, promoted) = self
            .market
            .update_listing(actor.circle.row_id, id, actor.user.id, draft, self.now_ms())
            .await?;
        self.tell_promoted(actor, id, &promoted).await?;
        let text = format!("{}\n\n{}", listing.title, listing.description);
        self.hold_if_needed(actor, TargetKind::Listing, listing.id, &text)
            .await?;
        Ok(listing)
    }

    /// Pauses, reopens (renewing it) or closes one's own listing.
    pub async fn set_listing_status(
        &self,
        actor: &Actor,
        id: i64,
        status: Status,
    ) -> Result<(), ActionError> {
        let renew =
            (status == Status::Active).then_some(commons_market::listing::EXPIRY_DAYS_DEFAULT);
        Ok(self
            .market
            .set_status(
                actor.circle.row_id,
                id,
                actor.user.id,
                status,
                renew,
                self.now_ms(),
            )
            .await?)
    }

    /// Tells both owners of each good match, each through the reach rule (the new listing
    /// reaches the other owner from the actor; theirs reaches the actor from them).
    pub(crate) async fn notify_matches(
        &self,
        actor: &Actor,
        listing: &Listing,
    ) -> Result<(), ActionError> {
        let found = self
            .matches_for(actor, listing.id, NOTIFY_MATCHES_MAX)
            .await?;
        let circle = actor.circle.row_id;
        let mine = self
            .outgoing(
                actor.user.id,
                circle,
                Some((TargetKind::Listing, listing.id)),
            )
            .await?;
        let note = |user: i64, listing: i64, other_listing: i64| NewNotification {
            user,
            circle,
            kind: NotificationKind::Match,
            listing: Some(listing),
            other_listing: Some(other_listing),
            deal: None,
            proposal: None,
            moderation: None,
            news: None,
            thread: None,
            conversation: None,
        };
        for (found, other) in found.iter().filter(|(m, _)| m.score >= NOTIFY_SCORE_MIN) {
            let note_to_other = note(other.owner, other.id, listing.id);
            self.notify_from(&mine, Channel::Notification, note_to_other)
                .await?;
            let theirs = self
                .outgoing(other.owner, circle, Some((TargetKind::Listing, found.id)))
                .await?;
            let note_to_me = note(actor.user.id, listing.id, found.id);
            self.notify_from(&theirs, Channel::Notification, note_to_me)
                .await?;
        }
        Ok(())
    }

    /// A listing of the actor's circle. Paused and closed listings are shown to everyone who
    /// has the link (with their status), so that deals keep their context.
    /// A listing of the actor's circle; one across a block (either way) is not there for them.
    pub async fn listing(&self, actor: &Actor, id: i64) -> Result<Listing, ActionError> {
        let listing = self
            .market
            .listing(actor.circle.row_id, id)
            .await?
            .ok_or(ActionError::NotFound)?;
        if listing.owner != actor.user.id {
            self.refuse_if_blocked(actor, listing.owner).await?;
            // A hidden or held listing is there for its author and the moderators only.
            if self
                .moderated_filter(actor)
                .await?
                .hides(TargetKind::Listing, listing.id)
                && !self.is_moderator(actor).await?
            {
                return Err(ActionError::NotFound);
            }
        }
        Ok(listing)
    }

    /// The active members among `ids`, by user id.
    pub async fn people_by_id(
        &self,
        actor: &Actor,
        ids: &[i64],
    ) -> Result<HashMap<i64, Person>, ActionError> {
        let mut people = HashMap::new();
        for chunk in ids.chunks(crate::db::MEMBERS_PAGE_MAX as usize) {
            for person in self.db.people(actor.circle.row_id, chunk).await? {
                people.insert(person.user_id, person);
            }
        }
        Ok(people)
    }

    /// Listings as cards: author and first photo.
    pub async fn cards(
        &self,
        actor: &Actor,
        listings: Vec<Listing>,
    ) -> Result<Vec<ListingCard>, ActionError> {
        let owners: Vec<i64> = listings.iter().map(|l| l.owner).collect();
        let people = self.people_by_id(actor, &owners).await?;
        let ids: Vec<i64> = listings.iter().map(|l| l.id).collect();
        let mut photos = self.market.first_photos(&ids).await?;
        Ok(listings
            .into_iter()
            .map(|listing| ListingCard {
                author: people.get(&listing.owner).cloned(),
                photo: photos.remove(&listing.id),
                listing,
            })
            .collect())
    }

    /// Searches or browses the circle's live listings.
    pub async fn search_listings(
        &self,
        actor: &Actor,
        search: &Search,
    ) -> Result<(Page, Vec<ListingCard>), ActionError> {
        let (page, listings) = self.search_listing_rows(actor, search).await?;
        let cards = self.cards(actor, listings).await?;
        Ok((page, cards))
    }

    /// A page of the circle's listings that match, without their authors and photos.
    pub(crate) async fn search_listing_rows(
        &self,
        actor: &Actor,
        search: &Search,
    ) -> Result<(Page, Vec<Listing>), ActionError> {
        let mut search = search.clone();
        search.filters.hidden_owners = self.hidden_from(actor).await?;
        search.filters.hidden_listings = self.moderated_filter(actor).await?.hidden_listings();
        let page = self.market.search(actor.circle.row_id, &search).await?;
        let ids: Vec<i64> = page.hits.iter().map(|h| h.id).collect();
        let listings = self.market.listings(actor.circle.row_id, &ids).await?;
        Ok((page, listings))
    }

    /// The photos of a listing (found through [`Services::listing`], which checks the circle).
    pub(crate) async fn listing_photos(
        &self,
        listing: &Listing,
    ) -> Result<Vec<PhotoInfo>, ActionError> {
        Ok(self.market.photos(listing.id).await?)
    }

    /// The deals the actor takes part in, in their circle.
    pub(crate) async fn deals_of(&self, actor: &Actor) -> Result<Vec<StoredDeal>, ActionError> {
        Ok(self
            .market
            .deals_of(actor.circle.row_id, actor.user.id)
            .await?)
    }

    /// A photo's JPEG bytes (the thumbnail or the full size), if it belongs to the circle.
    pub(crate) async fn photo_bytes(
        &self,
        actor: &Actor,
        listing: i64,
        photo: i64,
        thumb: bool,
    ) -> Result<Vec<u8>, ActionError> {
        // The listing's own walls first: blocks, and hidden or held listings.
        self.listing(actor, listing).await?;
        self.market
            .photo_bytes(actor.circle.row_id, listing, photo, thumb)
            .await?
            .ok_or(ActionError::NotFound)
    }

    /// Where the members who would earn stand (balance and floor), for the balance boost.
    pub(crate) async fn standings(
        &self,
        actor: &Actor,
        owners: &[i64],
    ) -> Result<HashMap<i64, Standing>, ActionError> {
        let people = self.people_by_id(actor, owners).await?;
        let mut standings = HashMap::new();
        for person in people.values() {
            if let Some(account) = self
                .store
                .account(&actor.circle, &person.account_key)
                .await?
            {
                standings.insert(
                    person.user_id,
                    Standing {
                        balance_minor: account.balance_minor,
                        floor_minor: account.floor_minor,
                    },
                );
            }
        }
        Ok(standings)
    }

    /// The best matches of a listing with the matched listings, best first.
    pub async fn matches_for(
        &self,
        actor: &Actor,
        id: i64,
        limit: usize,
    ) -> Result<Vec<(Match, Listing)>, ActionError> {
        let circle = actor.circle.row_id;
        let now = self.now_ms();
        let contenders = self
            .market
            .with_index(circle, |index| matching::contenders(index, id, now, limit))
            .await?;
        let standings = self
            .standings(actor, &matching::earners(&contenders))
            .await?;
        let found = matching::finish(contenders, |owner| standings.get(&owner).copied(), limit);
        let hidden = self.hidden_from(actor).await?;
        let moderated = self.moderated_filter(actor).await?;
        let ids: Vec<i64> = found.iter().map(|m| m.id).collect();
        let mut listings: HashMap<i64, Listing> = self
            .market
            .listings(circle, &ids)
            .await?
            .into_iter()
            .map(|l| (l.id, l))
            .collect();
        Ok(found
            .into_iter()
            .filter_map(|m| listings.remove(&m.id).map(|l| (m, l)))
            .filter(|(_, listing)| !hidden.contains(&listing.owner))
            .filter(|(_, listing)| !moderated.hides(TargetKind::Listing, listing.id))
            .collect())
    }

    /// "Matches for you": each of the actor's live listings with its best matches.
    pub async fn my_matches(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(Listing, Vec<(Match, Listing)>)>, ActionError> {
        let now = self.now_ms();
        let mine = self
            .market
            .listings_of(actor.circle.row_id, actor.user.id)
            .await?;
        let mut all = Vec::new();
        for listing in mine.into_iter().filter(|l| l.is_live(now)) {
            let found = self.matches_for(actor, listing.id, MATCHES_SHOWN).await?;
            all.push((listing, found));
        }
        Ok(all)
    }

    /// Small trade loops through the actor: each step is (giver, receiver, offer, need).
    pub async fn trade_cycles(
        &self,
        actor: &Actor,
    ) -> Result<(Vec<Vec<CycleStep>>, bool), ActionError> {
        let now = self.now_ms();
        let me = actor.user.id;
        let found: Found<i64, (i64, i64)> = self
            .market
            .with_index(actor.circle.row_id, |index| {
                cycles::trade_loops(index, me, now, Bounds::default())
            })
            .await?;
        let mut member_ids: Vec<i64> = found.cycles.iter().flatten().map(|s| s.to).collect();
        member_ids.push(me);
        let people = self.people_by_id(actor, &member_ids).await?;
        let listing_ids: Vec<i64> = found
            .cycles
            .iter()
            .flatten()
            .flat_map(|s| [s.via.0, s.via.1])
            .collect();
        // A listing a moderator hid or holds is not there, so no loop goes through it.
        let moderated = self.moderated_filter(actor).await?;
        let mut listings: HashMap<i64, Listing> = HashMap::new();
        for chunk in listing_ids.chunks(commons_market::store::FETCH_IDS_MAX) {
            for listing in self.market.listings(actor.circle.row_id, chunk).await? {
                if !moderated.hides(TargetKind::Listing, listing.id) {
                    listings.insert(listing.id, listing);
                }
            }
        }
        let hidden = self.hidden_from(actor).await?;
        let blocked = self.blocks_among(&member_ids).await?;
        let mut shown = Vec::new();
        'cycles: for cycle in &found.cycles {
            // A loop through someone hidden from the actor, or joining two people who blocked
            // one another, is not offered.
            let members: Vec<i64> = cycle.iter().map(|step| step.to).collect();
            let joins_a_block = blocked
                .iter()
                .any(|(a, b)| members.contains(a) && members.contains(b));
            if joins_a_block || members.iter().any(|member| hidden.contains(member)) {
                continue;
            }
            let mut giver = me;
            let mut steps = Vec::new();
            for step in cycle {
                let (Some(g), Some(r), Some(offer), Some(need)) = (
                    people.get(&giver),
                    people.get(&step.to),
                    listings.get(&step.via.0),
                    listings.get(&step.via.1),
                ) else {
                    continue 'cycles;
                };
                steps.push(CycleStep {
                    giver: g.clone(),
                    receiver: r.clone(),
                    offer: offer.clone(),
                    need: need.clone(),
                });
                giver = step.to;
            }
            shown.push(steps);
        }
        Ok((shown, found.truncated))
    }

    /// The actor's own listings, every status, newest first.
    pub async fn my_listings(&self, actor: &Actor) -> Result<Vec<Listing>, ActionError> {
        Ok(self
            .market
            .listings_of(actor.circle.row_id, actor.user.id)
            .await?)
    }

    /// Another member's live listings (their page).
    pub async fn listings_by(
        &self,
        actor: &Actor,
        owner: i64,
    ) -> Result<Vec<Listing>, ActionError> {
        let now = self.now_ms();
        let hidden = self.hidden_from(actor).await?;
        let moderated = self.moderated_filter(actor).await?;
        Ok(self
            .market
            .listings_of(actor.circle.row_id, owner)
            .await?
            .into_iter()
            .filter(|l| l.is_live(now))
            .filter(|l| !hidden.contains(&l.owner))
            .filter(|l| !moderated.hides(TargetKind::Listing, l.id))
            .collect())
    }

    // ----- photos -----
    /// Adds a photo to one's listing: processed (resized, metadata dropped) before it is kept.
    pub async fn add_photo(
        &self,
        actor: &Actor,
        listing: i64,
        alt: &str,
        bytes: &[u8],
    ) -> Result<i64, ActionError> {
        let alt = photo::parse_alt(alt).map_err(MarketError::from)?;
        let found = self.listing(actor, listing).await?;
        if found.owner != actor.user.id {
            return Err(ActionError::Forbidden);
        }
        let processed = processed_photo(bytes).await?;
        Ok(self
            .market
            .add_photo(
                actor.circle.row_id,
                listing,
                actor.user.id,
                &alt,
                &processed,
                self.now_ms(),
            )
            .await?)
    }

    pub async fn delete_photo(
        &self,
        actor: &Actor,
        listing: i64,
        photo: i64,
    ) -> Result<(), ActionError> {
        Ok(self
            .market
            .delete_photo(actor.circle.row_id, listing, actor.user.id, photo)
            .await?)
    }

    /// Reminds authors whose listings expire within a week (each reminder once).
    pub async fn remind_expiring(&self) -> Result<usize, ActionError> {
        let now = self.now_ms();
        let before =
            now + commons_market::listing::RENEWAL_REMINDER_DAYS * commons_market::listing::DAY_MS;
        let expiring = self.market.take_expiring(before, now).await?;
        for listing in &expiring {
            self.db
                .notify(
                    NewNotification {
                        listing: Some(listing.id),
                        ..NewNotification::about_the_circle(
                            listing.owner,
                            listing.circle,
                            NotificationKind::Expiring,
                        )
                    },
                    now,
                )
                .await?;
        }
        Ok(expiring.len())
    }
}

/// A photo decoded, resized and re-encoded without its metadata, one at a time across the
/// node (listings, profiles and news share the slot: decoding and resizing take hundreds of
/// megabytes at worst).
pub(crate) async fn processed_photo(bytes: &[u8]) -> Result<photo::Processed, ActionError> {
    static PROCESSING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    let _slot = PROCESSING.acquire().await.map_err(|_| ActionError::Busy)?;
    let bytes = bytes.to_vec();
    Ok(tokio::task::spawn_blocking(move || photo::process(&bytes))
        .await
        .map_err(|error| ActionError::Database(sqlx::Error::Protocol(error.to_string())))?
        .map_err(MarketError::from)?)
}
