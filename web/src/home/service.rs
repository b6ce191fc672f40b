//! What a circle's home shows: its latest news, events soon, new offers and needs, decisions
//! open for a vote or in discussion, active discussions, and new members. Read once per circle and remembered
//! while nothing it shows changes, then narrowed for each reader (blocks, mutes, hidden items).

#![allow(clippy::result_large_err)]

use std::sync::Arc;

use commons_governance::moderation::TargetKind;
use commons_governance::policy::Status as ProposalStatus;
use commons_governance::store::Proposal;
use commons_ledger::store::cache::ReadCache;
use commons_market::event::LocalTime;
use commons_market::index::Search;
use commons_market::listing::{Kind, Status};
use commons_market::store::Listing;

use crate::db::discussions::ThreadRow;
use crate::db::news::NewsRow;
use crate::db::Person;
use crate::market::service::ListingCard;
use crate::onboarding::rules::FirstSteps;
use crate::reach::Channel;
use crate::services::{ActionError, Actor, Services};

/// News posts on the home.
pub const HOME_NEWS_MAX: usize = 3;
/// Events on the home.
pub const HOME_EVENTS_MAX: usize = 3;
/// New offers and needs on the home.
pub const HOME_LISTINGS_MAX: usize = 6;
/// Decisions (voting and in discussion, each) on the home.
pub const HOME_DECISIONS_MAX: usize = 4;
/// Active discussions on the home.
pub const HOME_DISCUSSIONS_MAX: usize = 4;
/// New members on the home.
pub const HOME_NEWCOMERS_MAX: usize = 8;
/// Members who joined within this many days are new.
pub const NEWCOMER_DAYS: i64 = 30;
/// How many of each are read for the whole circle, so that a reader who blocked or muted some
/// authors still sees a full home.
const READ_FACTOR: usize = 3;
/// Circles' pulses remembered at once.
pub const PULSES_MAX: u64 = 4_096;
/// How long a remembered pulse serves at most (another process's writes show within this).
pub const PULSE_TTL_MS: u64 = 10_000;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const MINUTE_MS: i64 = 60 * 1000;

/// What is happening in a circle, as read for everyone (before each reader's own filters).
#[derive(Debug, Clone, Default)]
pub struct CirclePulse {
    pub news: Vec<NewsRow>,
    pub events: Vec<ListingCard>,
    pub listings: Vec<ListingCard>,
    /// Proposals open for a vote, with when the vote closes, closing soonest first.
    pub voting: Vec<(Proposal, i64)>,
    pub discussing: Vec<Proposal>,
    /// Members who joined lately, with when, newest first.
    pub newcomers: Vec<(Person, i64)>,
    /// Discussions, most recently active first.
    pub discussions: Vec<ThreadRow>,
    pub members_may_post_news: bool,
}

/// Which pulse: the circle, and the versions of everything it was read from. The minute
/// makes events that began and votes that closed leave the home in time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PulseKey {
    circle: i64,
    web_generation: u64,
    market_version: u64,
    governance_version: u64,
    minute: i64,
}

/// What the home remembers: each circle's pulse, and each newcomer's first steps (stamped like
/// the pulse, and with the person).
#[derive(Debug)]
pub struct HomeMemory {
    pulses: ReadCache<PulseKey, Arc<CirclePulse>>,
    steps: ReadCache<(i64, PulseKey), Option<FirstSteps>>,
}

/// Remembered pulses and first steps.
pub type Pulses = Arc<HomeMemory>;

/// A new, empty memory of pulses.
pub fn pulses() -> Pulses {
    // Keyed by every version they were read under, they are never stale for this process's
    // writes; the time limit only bounds how long another process's writes go unseen.
    let ttl = std::time::Duration::from_millis(PULSE_TTL_MS);
    Arc::new(HomeMemory {
        pulses: ReadCache::with_ttl(PULSES_MAX, |_| 1, ttl),
        steps: ReadCache::with_ttl(PULSES_MAX * 16, |_| 1, ttl),
    })
}

/// The home as one reader sees it.
#[derive(Debug, Clone, Default)]
pub struct Pulse {
    pub news: Vec<NewsRow>,
    pub events: Vec<ListingCard>,
    pub listings: Vec<ListingCard>,
    pub voting: Vec<(Proposal, i64)>,
    pub discussing: Vec<Proposal>,
    pub newcomers: Vec<(Person, i64)>,
    pub discussions: Vec<ThreadRow>,
    pub may_post_news: bool,
    /// The versions it was read under.
    pub key: Option<PulseKey>,
}

impl Pulse {
    /// What distinguishes this reader's home from another's in the same circle at the same
    /// versions: which items they see, and whether they may post news. Two readers with the
    /// same digest see the same sections, so the sections are rendered once for both.
    pub fn digest(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.key.hash(&mut hasher);
        self.may_post_news.hash(&mut hasher);
        for id in (self.news.iter().map(|n| n.id))
            .chain(self.events.iter().map(|c| c.listing.id))
            .chain(self.listings.iter().map(|c| c.listing.id))
            .chain(self.voting.iter().map(|(p, _)| p.id))
            .chain(self.discussing.iter().map(|p| p.id))
            .chain(self.newcomers.iter().map(|(p, _)| p.user_id))
            .chain(self.discussions.iter().map(|t| t.id))
        {
            id.hash(&mut hasher);
            0xffu8.hash(&mut hasher);
        }
        hasher.finish()
    }
}

impl Services {
    /// What is happening in the actor's circle, as they may see it.
    pub async fn pulse(&self, actor: &Actor) -> Result<Pulse, ActionError> {
        let (key, circle) = self.circle_pulse(actor).await?;
        let lens = self.reach_lens(&actor.user, actor.circle.row_id).await?;
        let muted = self.db.muted_threads(actor.user.id).await?;
        let reaches =
            |from: i64, item: Option<(TargetKind, i64)>| lens.delivers(Channel::Home, from, item);
        let listing_seen = |card: &&ListingCard| {
            reaches(
                card.listing.owner,
                Some((TargetKind::Listing, card.listing.id)),
            )
        };
        Ok(Pulse {
            news: circle
                .news
                .iter()
                .filter(|post| reaches(post.author_id, Some((TargetKind::News, post.id))))
                .take(HOME_NEWS_MAX)
                .cloned()
                .collect(),
            events: (circle.events.iter().filter(listing_seen))
                .take(HOME_EVENTS_MAX)
                .cloned()
                .collect(),
            listings: (circle.listings.iter().filter(listing_seen))
                .take(HOME_LISTINGS_MAX)
                .cloned()
                .collect(),
            voting: circle.voting.clone(),
            discussing: circle.discussing.clone(),
            newcomers: (circle.newcomers.iter())
                .filter(|(person, _)| reaches(person.user_id, None))
                .take(HOME_NEWCOMERS_MAX)
                .cloned()
                .collect(),
            discussions: (circle.discussions.iter())
                .filter(|t| !muted.contains(&t.id))
                .filter(|t| reaches(t.author_id, Some((TargetKind::Thread, t.id))))
                .take(HOME_DISCUSSIONS_MAX)
                .cloned()
                .collect(),
            may_post_news: crate::news::rules::may_post(
                actor.is_steward,
                circle.members_may_post_news,
            ),
            key: Some(key),
        })
    }

    /// The versions of everything the home reads, for the actor's circle, now.
    async fn pulse_key(&self, actor: &Actor) -> Result<PulseKey, ActionError> {
        let circle = actor.circle.row_id;
        Ok(PulseKey {
            circle,
            web_generation: self.db.generation(),
            market_version: self.market.version(circle).await?,
            governance_version: self.governance.version(),
            minute: self.now_ms().div_euclid(MINUTE_MS),
        })
    }

    /// The circle's pulse from memory, or read afresh when anything in it may have changed.
    async fn circle_pulse(
        &self,
        actor: &Actor,
    ) -> Result<(PulseKey, Arc<CirclePulse>), ActionError> {
        let key = self.pulse_key(actor).await?;
        // One reader reads an expired pulse again; the others wait for it.
        let pulse = self
            .pulses
            .pulses
            .get_or_read_versioned(key.clone(), || async {
                Ok::<_, ActionError>(Arc::new(self.read_pulse(actor, self.now_ms()).await?))
            })
            .await?;
        Ok((key, pulse))
    }

    /// What waits for the actor's decision, if they are a steward or a moderator: people who
    /// asked to join, and cases in the moderation queue (never one about themselves). `None`
    /// when nothing waits or they hold neither role.
    pub async fn waiting_for_you(
        &self,
        actor: &Actor,
    ) -> Result<Option<WaitingForYou>, ActionError> {
        let joins = if actor.is_steward {
            self.db
                .count_with_status(actor.circle.row_id, crate::db::MemberStatus::Pending)
                .await?
        } else {
            0
        };
        // A suspended moderator moderates nothing, and is not counted cases to do.
        let moderating =
            self.check_not_suspended(actor).is_ok() && self.is_moderator(actor).await?;
        let cases = if moderating {
            self.queue(actor).await?.len() as i64
        } else {
            0
        };
        Ok((joins > 0 || cases > 0).then_some(WaitingForYou { joins, cases }))
    }

    /// A newcomer's first steps for their home (`None` once they are all taken, or a month
    /// after joining), remembered while nothing they are read from changes.
    pub async fn home_first_steps(
        &self,
        actor: &Actor,
        pulse: &Pulse,
    ) -> Result<Option<FirstSteps>, ActionError> {
        // Stamped with the versions the pulse was read under (read once per request).
        let Some(pulse_key) = pulse.key.clone() else {
            return self.welcome_on_home(actor).await;
        };
        let key = (actor.user.id, pulse_key);
        self.pulses
            .steps
            .get_or_read_versioned(key, || self.welcome_on_home(actor))
            .await
    }

    async fn read_pulse(&self, actor: &Actor, now_ms: i64) -> Result<CirclePulse, ActionError> {
        let circle = actor.circle.row_id;
        let (mut news, _) = self.db.news_page(circle, None).await?;
        news.truncate(HOME_NEWS_MAX * READ_FACTOR);
        // The home shows titles: the texts stay out of memory (and out of every reader's copy).
        news.iter_mut().for_each(|post| post.body.clear());
        let (voting, discussing) = self.open_decisions(circle).await?;
        let mut discussions = self.db.threads(circle, None, 0).await?;
        discussions.sort_by_key(|t| std::cmp::Reverse((t.active_at_ms, t.id)));
        discussions.truncate(HOME_DISCUSSIONS_MAX * READ_FACTOR);
        discussions
            .iter_mut()
            .for_each(|thread| thread.body.clear());
        let (mut voting, mut discussing) = (voting, discussing);
        voting.iter_mut().for_each(|(p, _)| p.draft.body.clear());
        discussing.iter_mut().for_each(|p| p.draft.body.clear());
        let mut events = self
            .cards(
                actor,
                self.soon(circle, self.circle_now(&actor.circle).await?)
                    .await?,
            )
            .await?;
        let mut listings = self
            .cards(actor, self.newest(circle, now_ms).await?)
            .await?;
        for card in events.iter_mut().chain(listings.iter_mut()) {
            card.listing.description.clear();
        }
        Ok(CirclePulse {
            events,
            listings,
            discussions,
            news,
            voting,
            discussing,
            newcomers: self
                .db
                .newcomers(
                    circle,
                    now_ms - NEWCOMER_DAYS * DAY_MS,
                    (HOME_NEWCOMERS_MAX * READ_FACTOR) as i64,
                )
                .await?,
            members_may_post_news: self.members_may_post_news(actor).await?,
        })
    }

    /// Open events that have not begun, soonest first.
    async fn soon(&self, circle: i64, from: LocalTime) -> Result<Vec<Listing>, ActionError> {
        let events = self
            .market
            .events(circle, from, (HOME_EVENTS_MAX * READ_FACTOR) as i64)
            .await?;
        Ok(events
            .into_iter()
            .filter(|l| l.status == Status::Active)
            .collect())
    }

    /// The newest live offers and needs that are not events.
    async fn newest(&self, circle: i64, now_ms: i64) -> Result<Vec<Listing>, ActionError> {
        let search = Search {
            limit: HOME_LISTINGS_MAX * READ_FACTOR * 2,
            now_ms,
            ..Search::default()
        };
        let page = self.market.search(circle, &search).await?;
        let ids: Vec<i64> = page.hits.iter().map(|hit| hit.id).collect();
        let mut listings = self.market.listings(circle, &ids).await?;
        listings.retain(|l| l.kind != Kind::Event);
        listings.sort_by_key(|l| std::cmp::Reverse((l.created_at_ms, l.id)));
        listings.truncate(HOME_LISTINGS_MAX * READ_FACTOR);
        Ok(listings)
    }

    /// Proposals open for a vote (closing soonest first) and in discussion (newest first).
    async fn open_decisions(
        &self,
        circle: i64,
    ) -> Result<(Vec<(Proposal, i64)>, Vec<Proposal>), ActionError> {
        let g = &self.governance;
        let voting = g
            .proposals(
                circle,
                &[ProposalStatus::Voting],
                HOME_DECISIONS_MAX as i64 * 4,
            )
            .await?;
        let ids: Vec<i64> = voting.iter().map(|p| p.id).collect();
        let rounds = g.latest_rounds(&ids).await?;
        let mut voting: Vec<(Proposal, i64)> = voting
            .into_iter()
            .filter_map(|p| rounds.get(&p.id).map(|(closes, _)| (p, *closes)))
            .collect();
        voting.sort_by_key(|(p, closes)| (*closes, p.number));
        voting.truncate(HOME_DECISIONS_MAX);
        let mut discussing = g
            .proposals(
                circle,
                &[ProposalStatus::Discussion],
                HOME_DECISIONS_MAX as i64,
            )
            .await?;
        discussing.truncate(HOME_DECISIONS_MAX);
        Ok((voting, discussing))
    }
}

/// What waits for a steward's or a moderator's decision (see [`Services::waiting_for_you`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitingForYou {
    /// People who asked to join (stewards).
    pub joins: i64,
    /// Cases in the moderation queue (moderators).
    pub cases: i64,
}
