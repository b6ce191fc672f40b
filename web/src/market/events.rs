//! Events: answering one (a place, the waiting list, or no), telling those who move up, the
//! upcoming events of a circle (without those hidden from the reader) and their calendar.

#![allow(clippy::result_large_err)]

use commons_governance::moderation::TargetKind;
use commons_market::event::{self, Answer, CalendarEvent};
use commons_market::listing::Status;
use commons_market::store::Listing;

use crate::db::Person;
use crate::market::service::{ListingCard, EVENTS_MAX};
use crate::notifications::{NewNotification, NotificationKind};
use crate::services::{invalid, ActionError, Actor, Services};

impl Services {
    /// Answers an event; members who move up from the waiting list are told.
    pub async fn rsvp(
        &self,
        actor: &Actor,
        id: i64,
        answer: Answer,
    ) -> Result<Option<event::Place>, ActionError> {
        let listing = self.listing(actor, id).await?;
        if !listing.is_live(self.now_ms()) {
            return Err(invalid("answer", "event-error-closed"));
        }
        let outcome = self
            .market
            .respond(
                actor.circle.row_id,
                id,
                actor.user.id,
                answer,
                self.now_ms(),
            )
            .await?;
        self.tell_promoted(actor, id, &outcome.promoted).await?;
        Ok(outcome.place)
    }

    /// Tells members who moved up from an event's waiting list (not the one who acted).
    pub(crate) async fn tell_promoted(
        &self,
        actor: &Actor,
        listing: i64,
        promoted: &[i64],
    ) -> Result<(), ActionError> {
        for member in promoted.iter().filter(|m| **m != actor.user.id) {
            self.db
                .notify(
                    NewNotification {
                        listing: Some(listing),
                        ..NewNotification::about_the_circle(
                            *member,
                            actor.circle.row_id,
                            NotificationKind::EventPlace,
                        )
                    },
                    self.now_ms(),
                )
                .await?;
        }
        Ok(())
    }

    /// Everyone's answers to an event, with their names.
    pub async fn rsvps(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<Vec<(event::Rsvp, Option<Person>)>, ActionError> {
        let rsvps = self.market.rsvps(id).await?;
        let ids: Vec<i64> = rsvps.iter().map(|r| r.member).collect();
        let people = self.people_by_id(actor, &ids).await?;
        Ok(rsvps
            .into_iter()
            .map(|r| {
                let person = people.get(&r.member).cloned();
                (r, person)
            })
            .collect())
    }

    /// Upcoming events of the circle, soonest first.
    pub async fn events(&self, actor: &Actor) -> Result<Vec<ListingCard>, ActionError> {
        let from = self.circle_now(&actor.circle).await?;
        let hidden = self.hidden_from(actor).await?;
        let moderated = self.moderated_filter(actor).await?;
        let listings = self
            .market
            .events(actor.circle.row_id, from, EVENTS_MAX)
            .await?
            .into_iter()
            .filter(|l| l.status == Status::Active && !hidden.contains(&l.owner))
            .filter(|l| !moderated.hides(TargetKind::Listing, l.id))
            .collect();
        self.cards(actor, listings).await
    }

    /// Upcoming events for the circle's calendar file: open ones, and closed ones (which the
    /// file marks cancelled, so subscribers' calendars drop them).
    pub async fn calendar_events(&self, actor: &Actor) -> Result<Vec<Listing>, ActionError> {
        let from = self.circle_now(&actor.circle).await?;
        let hidden = self.hidden_from(actor).await?;
        let moderated = self.moderated_filter(actor).await?;
        Ok(self
            .market
            .events(actor.circle.row_id, from, EVENTS_MAX)
            .await?
            .into_iter()
            .filter(|l| l.status != Status::Paused && !hidden.contains(&l.owner))
            .filter(|l| !moderated.hides(TargetKind::Listing, l.id))
            .collect())
    }

    /// An iCalendar file of events (one, or the circle's upcoming ones).
    pub fn calendar(
        &self,
        public_url: &str,
        actor: &Actor,
        events: &[Listing],
        zone: &jiff::tz::TimeZone,
    ) -> String {
        let host = public_url
            .split("://")
            .nth(1)
            .unwrap_or(public_url)
            .trim_end_matches('/');
        let calendar_events: Vec<CalendarEvent> = events
            .iter()
            .filter_map(|l| {
                let details = l.event.as_ref()?;
                Some(CalendarEvent {
                    uid: format!("listing-{}@{host}", l.id),
                    title: l.title.clone(),
                    description: commons_market::markdown::plain_excerpt(&l.description, 1_000),
                    place: details.place.clone(),
                    url: format!(
                        "{}/c/{}/market/{}",
                        public_url.trim_end_matches('/'),
                        actor.circle.slug,
                        l.id
                    ),
                    starts: details.starts,
                    ends: details.ends,
                    stamp_ms: l.updated_at_ms,
                    cancelled: l.status == Status::Closed,
                })
            })
            .collect();
        event::calendar_in_zone(&actor.circle.name, zone.iana_name(), &calendar_events)
    }
}
