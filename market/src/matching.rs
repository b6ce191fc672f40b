//! Matching: for a need, the offers that could meet it; for an offer, the needs it could meet.
//! A pure ranking over the index, every factor explained where it is computed, each one
//! reported with the match so a member (and a test) can see why it ranks where it does.

use std::collections::BTreeSet;

use crate::category::top_of;
use crate::index::{DocMeta, Index};
use crate::listing::{Kind, Side, ValueKind};

/// Most candidates taken from shared words, and from the same category, before scoring.
/// Bounds the work of one match query whatever the size of the circle.
pub const CANDIDATES_BY_WORDS_MAX: usize = 400;
pub const CANDIDATES_BY_CATEGORY_MAX: usize = 200;
/// Most matches one query returns.
pub const MATCHES_MAX: usize = 50;
/// Below this score a pair is not worth showing.
pub const SCORE_MIN: f32 = 0.25;

/// The weights of the additive factors; they sum to 1, so a perfect pair scores 1 before the
/// multipliers (availability, balance boost).
const TEXT_WEIGHT: f32 = 0.50;
const CATEGORY_WEIGHT: f32 = 0.15;
const KIND_WEIGHT: f32 = 0.15;
const TAGS_WEIGHT: f32 = 0.10;
const AREA_WEIGHT: f32 = 0.05;
const RECENCY_WEIGHT: f32 = 0.05;
/// A listing loses half its recency every this many days.
const RECENCY_HALF_LIFE_DAYS: f32 = 60.0;
/// The most a member deep in debit is lifted: +20 % at their floor.
pub const BALANCE_BOOST_MAX: f32 = 0.20;
const DAY_MS: f32 = 86_400_000.0;

/// Where the member who would earn stands: their balance and floor, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub balance_minor: i64,
    /// Zero or negative: how far into debit the member may go.
    pub floor_minor: i64,
}

/// Each factor of a match, in [0, 1] unless said otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Factors {
    /// Cosine similarity of the two listings' TF-IDF word vectors: words they share, weighted
    /// by how rare each word is in the circle ("bicycle" says more than "good").
    pub text: f32,
    /// 1 for the same category, 0.5 for the same top level (`repairs/…`), else 0.
    pub category: f32,
    /// How well the kinds fit: the same kind 1; skill and knowledge, or knowledge and an
    /// event (a talk, a workshop), 0.6; otherwise 0 — a bike for sale does not repair one.
    pub kind: f32,
    /// Jaccard overlap of the tags (after stemming and the thesaurus).
    pub tags: f32,
    /// 1 in the same area; by distance when both gave a rough location, in two coarse bands
    /// only (1 within 3 km, 0.5 within 10 km, else 0), so that scores reveal little about where
    /// anyone is; 0.5 when either is online or says neither; else 0.
    pub area: f32,
    /// Newer listings are likelier still wanted: halves every 60 days of age.
    pub recency: f32,
    /// Multiplier: 1 normally; 0.7 when the candidate expires within 3 days; 0.5 for an event
    /// whose places are taken (a waiting list is still a chance).
    pub availability: f32,
    /// Multiplier ≥ 1: lifts offers by members in debit, so that they find work and their
    /// balance can come back (see [`balance_boost`]).
    pub balance_boost: f32,
}

impl Factors {
    pub fn total(&self) -> f32 {
        (TEXT_WEIGHT * self.text
            + CATEGORY_WEIGHT * self.category
            + KIND_WEIGHT * self.kind
            + TAGS_WEIGHT * self.tags
            + AREA_WEIGHT * self.area
            + RECENCY_WEIGHT * self.recency)
            * self.availability
            * self.balance_boost
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    pub id: i64,
    pub score: f32,
    pub factors: Factors,
}

/// The boost for the member who would earn: `1 + 0.2 × depth`, where depth is how far their
/// balance is into their floor (0 at or above zero, 1 at the floor). Members with no floor
/// (cannot go into debit) and members in credit get no boost. The boost only reorders
/// offers for a need; it never makes an unrelated offer match (it multiplies, and the
/// threshold applies to the boosted score of a pair that already relates).
pub fn balance_boost(standing: Option<Standing>) -> f32 {
    match standing {
        Some(Standing {
            balance_minor,
            floor_minor,
        }) if balance_minor < 0 && floor_minor < 0 => {
            let depth = (balance_minor as f64 / floor_minor as f64).clamp(0.0, 1.0) as f32;
            1.0 + BALANCE_BOOST_MAX * depth
        }
        _ => 1.0,
    }
}

fn kind_fit(a: Kind, b: Kind) -> f32 {
    use Kind::*;
    match (a, b) {
        _ if a == b => 1.0,
        (Skill, Knowledge) | (Knowledge, Skill) | (Knowledge, Event) | (Event, Knowledge) => 0.6,
        _ => 0.0,
    }
}

fn category_fit(a: &str, b: &str) -> f32 {
    if a == b {
        1.0
    } else if top_of(a) == top_of(b) && a != "other" {
        0.5
    } else {
        0.0
    }
}

fn area_fit(a: &DocMeta, b: &DocMeta) -> f32 {
    let online = |x: &str| x == "online";
    if online(&a.area) || online(&b.area) {
        return 0.5;
    }
    let by_name = if !a.area.is_empty() && a.area == b.area {
        Some(1.0)
    } else if !a.area.is_empty() && !b.area.is_empty() {
        Some(0.0)
    } else {
        None
    };
    let by_distance = match (a.location, b.location) {
        (Some(x), Some(y)) => {
            let km = x.km_to(y);
            Some(if km <= 3.0 {
                1.0
            } else if km <= 10.0 {
                0.5
            } else {
                0.0
            })
        }
        _ => None,
    };
    match (by_name, by_distance) {
        (Some(name), Some(distance)) => f32::max(name, distance),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => 0.5,
    }
}

fn jaccard(a: &[u32], b: &[u32]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let a: BTreeSet<_> = a.iter().collect();
    let b: BTreeSet<_> = b.iter().collect();
    a.intersection(&b).count() as f32 / a.union(&b).count() as f32
}

fn cosine(a: &[(u32, f32)], a_norm: f32, b: &[(u32, f32)], b_norm: f32) -> f32 {
    if a_norm == 0.0 || b_norm == 0.0 {
        return 0.0;
    }
    // Both vectors are sorted by term id: merge them.
    let (mut i, mut j, mut dot) = (0, 0, 0.0f32);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    (dot / (a_norm * b_norm)).clamp(0.0, 1.0)
}

/// Whether two listings may match at all: opposite sides, different members, both live. A
/// gift matches like any other value.
pub fn eligible(listing: &DocMeta, candidate: &DocMeta, now_ms: i64) -> bool {
    candidate.side == listing.side.opposite()
        && candidate.owner != listing.owner
        && listing.is_live(now_ms)
        && candidate.is_live(now_ms)
}

/// Scores one pair, or `None` when they do not relate: no shared word, category or tag. The
/// offer's owner is the one who would earn, so the balance boost is theirs.
pub fn score_pair(
    index: &Index,
    listing: i64,
    candidate: i64,
    offerer_standing: Option<Standing>,
    now_ms: i64,
) -> Option<Factors> {
    let (a, b) = (index.meta(listing)?, index.meta(candidate)?);
    if !eligible(a, b, now_ms) {
        return None;
    }
    let (a_vector, a_norm) = index.vector(listing)?;
    let (b_vector, b_norm) = index.vector(candidate)?;
    let text = cosine(&a_vector, a_norm, &b_vector, b_norm);
    let category = category_fit(&a.category, &b.category);
    let tags = jaccard(index.tag_terms(listing), index.tag_terms(candidate));
    if text < 0.02 && category < 1.0 && tags == 0.0 {
        return None;
    }
    let age_days = ((now_ms - b.created_ms).max(0) as f32) / DAY_MS;
    let availability = if b.event_full {
        0.5
    } else if (b.expires_ms - now_ms) as f32 <= 3.0 * DAY_MS {
        0.7
    } else {
        1.0
    };
    Some(Factors {
        text,
        category,
        kind: kind_fit(a.kind, b.kind),
        tags,
        area: area_fit(a, b),
        recency: 0.5f32.powf(age_days / RECENCY_HALF_LIFE_DAYS),
        availability,
        balance_boost: balance_boost(offerer_standing),
    })
}

/// The listings worth scoring for `meta`: those sharing its rarest words, and the newest in
/// its category, each list bounded; sorted and unique.
fn candidates(index: &Index, meta: &DocMeta, now_ms: i64) -> Vec<i64> {
    let keep = |c: &DocMeta| eligible(meta, c, now_ms);
    let mut candidates = index.sharing_words(meta.id, CANDIDATES_BY_WORDS_MAX, keep);
    if meta.category != "other" {
        candidates.extend(index.newest_in_category(
            &meta.category,
            CANDIDATES_BY_CATEGORY_MAX,
            keep,
        ));
    }
    candidates.sort_unstable();
    candidates.dedup();
    candidates
}

/// The listings that could answer `listing`, best first, at most `limit` (≤ [`MATCHES_MAX`]).
/// `standing` tells where a member stands (for the balance boost); ties go to the newer
/// listing, so the order is the same on every run.
pub fn matches(
    index: &Index,
    listing: i64,
    standing: impl Fn(i64) -> Option<Standing>,
    now_ms: i64,
    limit: usize,
) -> Vec<Match> {
    finish(contenders(index, listing, now_ms, limit), standing, limit)
}

/// A candidate scored without the balance boost, with the member who would earn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contender {
    pub id: i64,
    pub offer_owner: i64,
    pub factors: Factors,
}

/// Step one of [`matches`], for callers that must look standings up (asynchronously) in
/// between: every candidate that could still be among the best `limit` once boosted. Since the
/// boost multiplies by at most `1 + BALANCE_BOOST_MAX`, a candidate whose unboosted score
/// times that stays below the `limit`-th best unboosted score (or below [`SCORE_MIN`]) can
/// never make it, and is dropped here.
pub fn contenders(index: &Index, listing: i64, now_ms: i64, limit: usize) -> Vec<Contender> {
    let Some(meta) = index.meta(listing) else {
        return Vec::new();
    };
    if !meta.is_live(now_ms) {
        return Vec::new();
    }
    let mut scored: Vec<Contender> = candidates(index, meta, now_ms)
        .into_iter()
        .filter_map(|candidate| {
            let offer_owner = if meta.side == Side::Offer {
                meta.owner
            } else {
                index.meta(candidate)?.owner
            };
            let factors = score_pair(index, listing, candidate, None, now_ms)?;
            Some(Contender {
                id: candidate,
                offer_owner,
                factors,
            })
        })
        .collect();
    scored.sort_unstable_by(|a, b| {
        b.factors
            .total()
            .total_cmp(&a.factors.total())
            .then(b.id.cmp(&a.id))
    });
    let limit = limit.clamp(1, MATCHES_MAX);
    let kth = scored.get(limit - 1).map_or(0.0, |c| c.factors.total());
    let floor = kth.max(SCORE_MIN) / (1.0 + BALANCE_BOOST_MAX);
    scored.retain(|c| c.factors.total() >= floor);
    scored
}

/// Step two of [`matches`]: applies each earner's balance boost, keeps the pairs at or above
/// [`SCORE_MIN`], and returns the best `limit`.
pub fn finish(
    contenders: Vec<Contender>,
    standing: impl Fn(i64) -> Option<Standing>,
    limit: usize,
) -> Vec<Match> {
    let mut found: Vec<Match> = contenders
        .into_iter()
        .filter_map(|c| {
            let factors = Factors {
                balance_boost: balance_boost(standing(c.offer_owner)),
                ..c.factors
            };
            let score = factors.total();
            (score >= SCORE_MIN).then_some(Match {
                id: c.id,
                score,
                factors,
            })
        })
        .collect();
    found.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(b.id.cmp(&a.id)));
    found.truncate(limit.min(MATCHES_MAX));
    found
}

/// The members who would earn among the contenders (whose standings the boost needs).
pub fn earners(contenders: &[Contender]) -> Vec<i64> {
    let mut owners: Vec<i64> = contenders.iter().map(|c| c.offer_owner).collect();
    owners.sort_unstable();
    owners.dedup();
    owners
}

/// Whether a listing is a gift (shown with its matches: gifts match like any other value).
pub fn is_gift(meta: &DocMeta) -> bool {
    meta.value == ValueKind::Gift
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::tests::doc;
    use crate::listing::Status;

    fn ids(found: &[Match]) -> Vec<i64> {
        found.iter().map(|m| m.id).collect()
    }

    fn bike_circle() -> Index {
        let mut index = Index::default();
        let mut need = doc(1, Side::Need, Kind::Skill, "Bike repair", "repairs/bikes");
        need.description = "Flat tyre and squeaky brakes on my old bike.".into();
        index.upsert(need);
        let mut fixer = doc(
            2,
            Side::Offer,
            Kind::Skill,
            "I fix bicycles",
            "repairs/bikes",
        );
        fixer.description = "Punctures, brakes, gears. Bring it round on Saturdays.".into();
        index.upsert(fixer);
        let mut sale = doc(
            3,
            Side::Offer,
            Kind::Thing,
            "Bike for sale",
            "things/sports-bikes",
        );
        sale.description = "A blue bike, good tyres, needs a new owner.".into();
        index.upsert(sale);
        index.upsert(doc(
            4,
            Side::Offer,
            Kind::Skill,
            "Piano lessons",
            "learning/music",
        ));
        index
    }

    #[test]
    fn a_need_for_bike_repair_ranks_fix_bicycles_above_bike_for_sale() {
        let index = bike_circle();
        let found = matches(&index, 1, |_| None, 0, 10);
        assert_eq!(ids(&found)[0], 2, "{found:#?}");
        let sale = found.iter().find(|m| m.id == 3);
        assert!(sale.is_none_or(|s| s.score < found[0].score));
        assert!(!ids(&found).contains(&4), "piano lessons do not fix bikes");
        // And the other way: the offer finds the need.
        assert_eq!(ids(&matches(&index, 2, |_| None, 0, 10)), vec![1]);
    }

    #[test]
    fn a_gift_offer_matches() {
        let mut index = Index::default();
        index.upsert(doc(
            1,
            Side::Need,
            Kind::Thing,
            "Need a high chair for my toddler",
            "things/kids",
        ));
        let mut gift = doc(
            2,
            Side::Offer,
            Kind::Thing,
            "Free high chair",
            "things/kids",
        );
        gift.meta.value = ValueKind::Gift;
        index.upsert(gift);
        let found = matches(&index, 1, |_| None, 0, 10);
        assert_eq!(ids(&found), vec![2]);
        assert!(is_gift(index.meta(2).expect("known")));
    }

    #[test]
    fn closed_paused_expired_own_and_same_side_listings_never_match() {
        let mut index = bike_circle();
        let mut closed = doc(
            5,
            Side::Offer,
            Kind::Skill,
            "Bicycle repairs",
            "repairs/bikes",
        );
        closed.meta.status = Status::Closed;
        index.upsert(closed);
        let mut paused = doc(
            6,
            Side::Offer,
            Kind::Skill,
            "Bicycle repairs",
            "repairs/bikes",
        );
        paused.meta.status = Status::Paused;
        index.upsert(paused);
        let mut expired = doc(
            7,
            Side::Offer,
            Kind::Skill,
            "Bicycle repairs",
            "repairs/bikes",
        );
        expired.meta.expires_ms = 1_000;
        index.upsert(expired);
        let mut own = doc(
            8,
            Side::Offer,
            Kind::Skill,
            "Bicycle repairs",
            "repairs/bikes",
        );
        own.meta.owner = 1;
        index.upsert(own);
        index.upsert(doc(
            9,
            Side::Need,
            Kind::Skill,
            "Bicycle repairs",
            "repairs/bikes",
        ));
        let found = ids(&matches(&index, 1, |_| None, 2_000, 10));
        for never in [5, 6, 7, 8, 9] {
            assert!(!found.contains(&never), "{never} matched: {found:?}");
        }
        // An expired need has no matches at all.
        let mut index = bike_circle();
        let mut need = doc(1, Side::Need, Kind::Skill, "Bike repair", "repairs/bikes");
        need.meta.expires_ms = 10;
        index.upsert(need);
        assert!(matches(&index, 1, |_| None, 20, 10).is_empty());
    }

    #[test]
    fn members_in_debit_are_lifted_but_unrelated_offers_stay_out() {
        let mut index = Index::default();
        index.upsert(doc(
            1,
            Side::Need,
            Kind::Skill,
            "Help with my garden",
            "home/gardening",
        ));
        index.upsert(doc(
            2,
            Side::Offer,
            Kind::Skill,
            "Gardening help",
            "home/gardening",
        ));
        index.upsert(doc(
            3,
            Side::Offer,
            Kind::Skill,
            "Gardening help",
            "home/gardening",
        ));
        index.upsert(doc(
            4,
            Side::Offer,
            Kind::Skill,
            "Piano lessons",
            "learning/music",
        ));
        let in_debit = |owner: i64| {
            (owner == 2 || owner == 4).then_some(Standing {
                balance_minor: -900,
                floor_minor: -1000,
            })
        };
        let found = matches(&index, 1, in_debit, 0, 10);
        assert_eq!(
            ids(&found),
            vec![2, 3],
            "equal offers: the one in debit first"
        );
        assert!((found[0].factors.balance_boost - 1.18).abs() < 1e-4);
        assert_eq!(
            balance_boost(Some(Standing {
                balance_minor: 50,
                floor_minor: -10
            })),
            1.0
        );
        assert_eq!(
            balance_boost(Some(Standing {
                balance_minor: -50,
                floor_minor: 0
            })),
            1.0
        );
        assert_eq!(
            balance_boost(Some(Standing {
                balance_minor: -50,
                floor_minor: -10
            })),
            1.2
        );
    }

    #[test]
    fn pruning_before_the_boost_never_changes_the_result() {
        // Against brute force: every candidate scored with its boost, sorted, cut.
        let words = [
            "bike", "repair", "garden", "bread", "lesson", "ladder", "lift", "sewing",
        ];
        let categories = [
            "repairs/bikes",
            "home/gardening",
            "food/meals",
            "learning/music",
        ];
        let mut index = Index::default();
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for id in 0..400i64 {
            let title: Vec<&str> = (0..3).map(|_| words[next(8) as usize]).collect();
            let side = if next(2) == 0 {
                Side::Offer
            } else {
                Side::Need
            };
            let mut listing = doc(
                id,
                side,
                Kind::Skill,
                &title.join(" "),
                categories[next(4) as usize],
            );
            listing.meta.owner = next(40) as i64;
            index.upsert(listing);
        }
        let standing = |owner: i64| {
            (owner % 3 == 0).then_some(Standing {
                balance_minor: -(owner * 25),
                floor_minor: -1000,
            })
        };
        for listing in 0..400i64 {
            let meta = index.meta(listing).expect("known").clone();
            let mut brute: Vec<Match> = candidates(&index, &meta, 0)
                .into_iter()
                .filter_map(|c| {
                    let owner = if meta.side == Side::Offer {
                        meta.owner
                    } else {
                        index.meta(c)?.owner
                    };
                    let factors = score_pair(&index, listing, c, standing(owner), 0)?;
                    let score = factors.total();
                    (score >= SCORE_MIN).then_some(Match {
                        id: c,
                        score,
                        factors,
                    })
                })
                .collect();
            brute.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(b.id.cmp(&a.id)));
            brute.truncate(5);
            assert_eq!(
                matches(&index, listing, standing, 0, 5),
                brute,
                "listing {listing}"
            );
        }
    }

    #[test]
    fn nearby_listings_rank_higher_when_both_gave_a_coarse_location() {
        use crate::listing::Location;
        let at = |lat: i32, lon: i32| {
            Some(Location {
                lat_centi: lat,
                lon_centi: lon,
            })
        };
        let mut index = Index::default();
        let mut need = doc(1, Side::Need, Kind::Skill, "Dog walking", "care/pets");
        need.meta.location = at(5150, -12);
        index.upsert(need);
        for (id, location) in [(2, at(5190, -12)), (3, at(5151, -13)), (4, None)] {
            let mut offer = doc(id, Side::Offer, Kind::Skill, "Dog walking", "care/pets");
            offer.meta.created_ms = 1;
            offer.meta.location = location;
            index.upsert(offer);
        }
        let found = matches(&index, 1, |_| None, 1, 10);
        assert_eq!(ids(&found), vec![3, 4, 2], "near, unknown, 44 km away");
        assert_eq!(found[0].factors.area, 1.0, "{:?}", found[0].factors);
        assert_eq!(found[2].factors.area, 0.0);
    }

    #[test]
    fn matching_work_is_bounded_on_a_big_circle() {
        let mut index = Index::default();
        index.upsert(doc(
            0,
            Side::Need,
            Kind::Thing,
            "A ladder to borrow",
            "things/tools",
        ));
        for id in 1..5_000 {
            index.upsert(doc(
                id,
                Side::Offer,
                Kind::Thing,
                "Ladder and tools to lend",
                "things/tools",
            ));
        }
        let found = matches(&index, 0, |_| None, 0, 500);
        assert_eq!(found.len(), MATCHES_MAX);
        assert_eq!(found[0].id, 4_999, "ties go to the newest");
    }
}
