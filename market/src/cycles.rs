//! Trade cycles: small loops of members where A can serve B, B can serve C and C can serve A,
//! so that everyone gives and everyone receives — the barter loop mutual credit makes easy
//! to close. A bounded depth-first search from one member, pure and generic over how "can
//! serve" is decided (the store asks the matcher).

use std::collections::HashMap;
use std::hash::Hash;
use std::rc::Rc;

use crate::index::Index;
use crate::listing::Side;
use crate::matching;

/// The fewest and most members in a suggested cycle.
pub const CYCLE_MEMBERS_MIN: usize = 3;
pub const CYCLE_MEMBERS_MAX: usize = 5;
/// Most cycles one search returns.
pub const CYCLES_MAX: usize = 10;
/// Most members whose "can serve" lists one search may ask for: this bounds the work on a
/// big circle (each ask is a match query).
pub const EXPANSIONS_MAX: usize = 300;
/// Most steps the walk itself may take, over all rounds: a dense circle has far more paths
/// of five members than anyone could look at.
pub const WALK_STEPS_MAX: usize = 20_000;

/// One step of a cycle: the member served next, and how (e.g. which offer meets which need).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step<M, V> {
    pub to: M,
    pub via: V,
}

/// Cycles through the focal member: each a list of steps starting from them and ending back at
/// them. `truncated` says the search stopped at a bound before it had looked everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<M, V> {
    pub cycles: Vec<Vec<Step<M, V>>>,
    pub truncated: bool,
}

/// Bounds of one search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub members_max: usize,
    pub cycles_max: usize,
    pub expansions_max: usize,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            members_max: CYCLE_MEMBERS_MAX,
            cycles_max: CYCLES_MAX,
            expansions_max: EXPANSIONS_MAX,
        }
    }
}

struct SearchState<'a, M, V, F> {
    serves: F,
    known: HashMap<M, Rc<Vec<Step<M, V>>>>,
    walk_steps: usize,
    bounds: Bounds,
    found: Vec<Vec<Step<M, V>>>,
    truncated: bool,
    focal: &'a M,
}

impl<M, V, F> SearchState<'_, M, V, F>
where
    M: Clone + Eq + Hash,
    V: Clone,
    F: FnMut(&M) -> Vec<Step<M, V>>,
{
    fn neighbours(&mut self, member: &M) -> Option<Rc<Vec<Step<M, V>>>> {
        if let Some(steps) = self.known.get(member) {
            return Some(Rc::clone(steps));
        }
        if self.known.len() >= self.bounds.expansions_max {
            self.truncated = true;
            return None;
        }
        let steps = Rc::new((self.serves)(member));
        self.known.insert(member.clone(), Rc::clone(&steps));
        Some(steps)
    }

    /// `path` holds the steps taken so far; `members` the members on it, the focal first.
    fn walk(&mut self, members: &mut Vec<M>, path: &mut Vec<Step<M, V>>) {
        self.walk_steps += 1;
        if self.found.len() >= self.bounds.cycles_max || self.walk_steps > WALK_STEPS_MAX {
            self.truncated = true;
            return;
        }
        let Some(last) = members.last().cloned() else {
            return;
        };
        let Some(steps) = self.neighbours(&last) else {
            return;
        };
        for step in steps.iter() {
            if self.found.len() >= self.bounds.cycles_max || self.walk_steps > WALK_STEPS_MAX {
                self.truncated = true;
                return;
            }
            if &step.to == self.focal {
                // Only cycles of exactly this round's size: shorter ones came in earlier rounds.
                if members.len() == self.bounds.members_max {
                    let mut cycle = path.clone();
                    cycle.push(step.clone());
                    self.found.push(cycle);
                }
                continue;
            }
            if members.contains(&step.to) || members.len() >= self.bounds.members_max {
                continue;
            }
            members.push(step.to.clone());
            path.push(step.clone());
            self.walk(members, path);
            path.pop();
            members.pop();
        }
    }
}

/// Finds cycles of 3 to `members_max` members through `focal`, shortest first. `serves(m)`
/// lists the members `m` can serve, best first; it is called at most once per member and at
/// most `expansions_max` times in all.
pub fn cycles_through<M, V, F>(focal: &M, serves: F, bounds: Bounds) -> Found<M, V>
where
    M: Clone + Eq + Hash,
    V: Clone,
    F: FnMut(&M) -> Vec<Step<M, V>>,
{
    let bounds = Bounds {
        members_max: bounds
            .members_max
            .clamp(CYCLE_MEMBERS_MIN, CYCLE_MEMBERS_MAX),
        ..bounds
    };
    let mut state = SearchState {
        serves,
        known: HashMap::new(),
        walk_steps: 0,
        bounds,
        found: Vec::new(),
        truncated: false,
        focal,
    };
    // Iterative deepening: all 3-member cycles before any of 4, so the shortest loops (the
    // easiest to arrange) come first and are never crowded out by the bound.
    for members_max in CYCLE_MEMBERS_MIN..=bounds.members_max {
        state.bounds.members_max = members_max;
        let mut members = vec![focal.clone()];
        let mut path = Vec::new();
        state.walk(&mut members, &mut path);
        if state.found.len() >= bounds.cycles_max {
            break;
        }
    }
    Found {
        cycles: state.found,
        truncated: state.truncated,
    }
}

/// A link of a trade loop must match at least this well.
pub const LINK_SCORE_MIN: f32 = 0.30;
/// Needs each offer may serve in a loop search.
pub const LINKS_PER_OFFER: usize = 5;
/// A member's newest live offers considered (most members have a handful).
pub const OFFERS_PER_MEMBER_MAX: usize = 8;
/// Match queries one loop search may make in all: with [`EXPANSIONS_MAX`] this bounds the
/// time of a search on the biggest circle.
pub const MATCH_QUERIES_MAX: usize = 120;

/// Trade loops through `member` in a circle's index: `A → B` when one of A's live offers
/// matches one of B's live needs (score at least [`LINK_SCORE_MIN`], best
/// [`LINKS_PER_OFFER`] per offer). Each step's `via` is (offer id, need id). At most
/// [`MATCH_QUERIES_MAX`] match queries are made; `truncated` says when that bound was hit.
pub fn trade_loops(
    index: &Index,
    member: i64,
    now_ms: i64,
    bounds: Bounds,
) -> Found<i64, (i64, i64)> {
    let mut queries = 0usize;
    let mut out_of_queries = false;
    let mut found = cycles_through(
        &member,
        |giver: &i64| {
            let mut offers: Vec<i64> = index
                .owned_by(*giver)
                .filter(|m| m.side == Side::Offer && m.is_live(now_ms))
                .map(|m| m.id)
                .collect();
            offers.sort_unstable_by(|a, b| b.cmp(a));
            offers.truncate(OFFERS_PER_MEMBER_MAX);
            let mut steps: Vec<Step<i64, (i64, i64)>> = Vec::new();
            for offer in offers {
                if queries >= MATCH_QUERIES_MAX {
                    out_of_queries = true;
                    break;
                }
                queries += 1;
                for found in matching::matches(index, offer, |_| None, now_ms, LINKS_PER_OFFER) {
                    let Some(need) = index.meta(found.id) else {
                        continue;
                    };
                    if found.score >= LINK_SCORE_MIN && !steps.iter().any(|s| s.to == need.owner) {
                        steps.push(Step {
                            to: need.owner,
                            via: (offer, found.id),
                        });
                    }
                }
            }
            steps
        },
        bounds,
    );
    found.truncated |= out_of_queries;
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(u32, u32)]) -> impl FnMut(&u32) -> Vec<Step<u32, ()>> + '_ {
        move |from: &u32| {
            edges
                .iter()
                .filter(|(a, _)| a == from)
                .map(|(_, b)| Step { to: *b, via: () })
                .collect()
        }
    }

    fn members(found: &Found<u32, ()>) -> Vec<Vec<u32>> {
        found
            .cycles
            .iter()
            .map(|c| c.iter().map(|s| s.to).collect())
            .collect()
    }

    #[test]
    fn a_three_member_loop_is_found_and_a_pair_is_not_a_cycle() {
        // 1 serves 2, 2 serves 3, 3 serves 1; 1 and 4 serve each other (a plain swap).
        let edges = [(1, 2), (2, 3), (3, 1), (1, 4), (4, 1)];
        let found = cycles_through(&1, graph(&edges), Bounds::default());
        assert_eq!(members(&found), vec![vec![2, 3, 1]]);
        assert!(!found.truncated);
    }

    #[test]
    fn shorter_cycles_come_first_and_six_members_are_too_many() {
        let edges = [
            (1, 2),
            (2, 3),
            (3, 4),
            (4, 1), // four members
            (1, 5),
            (5, 6),
            (6, 1), // three members
            (1, 7),
            (7, 8),
            (8, 9),
            (9, 10),
            (10, 11),
            (11, 1), // six members
        ];
        let found = cycles_through(&1, graph(&edges), Bounds::default());
        assert_eq!(members(&found), vec![vec![5, 6, 1], vec![2, 3, 4, 1]]);
    }

    #[test]
    fn the_search_is_bounded_on_a_dense_circle() {
        // Everyone can serve everyone among 60 members: countless cycles.
        let mut asked = 0;
        let found = cycles_through(
            &0u32,
            |from: &u32| {
                asked += 1;
                (0..60)
                    .filter(|to| to != from)
                    .map(|to| Step { to, via: () })
                    .collect()
            },
            Bounds {
                expansions_max: 20,
                ..Bounds::default()
            },
        );
        assert_eq!(found.cycles.len(), CYCLES_MAX);
        assert!(found.truncated);
        assert!(asked <= 20, "asked {asked} times");
        assert!(found.cycles.iter().all(|c| c.len() == 3));
    }

    #[test]
    fn a_loop_of_three_members_is_found_in_their_listings() {
        use crate::index::tests::doc;
        use crate::listing::Kind;
        let mut index = Index::default();
        // Owner 1 fixes bikes and needs bread; 2 bakes and needs a lift; 3 drives and needs a bike fixed.
        let listings = [
            (
                10,
                1,
                Side::Offer,
                Kind::Skill,
                "I fix bicycles",
                "repairs/bikes",
            ),
            (
                11,
                1,
                Side::Need,
                Kind::Thing,
                "Fresh bread each week",
                "food/baking-preserves",
            ),
            (
                20,
                2,
                Side::Offer,
                Kind::Thing,
                "Homemade bread, baked weekly",
                "food/baking-preserves",
            ),
            (
                21,
                2,
                Side::Need,
                Kind::Skill,
                "A lift to the hospital",
                "transport/lifts",
            ),
            (
                30,
                3,
                Side::Offer,
                Kind::Skill,
                "Lifts to the hospital or clinic",
                "transport/lifts",
            ),
            (
                31,
                3,
                Side::Need,
                Kind::Skill,
                "Bicycle repair",
                "repairs/bikes",
            ),
        ];
        for (id, owner, side, kind, title, category) in listings {
            let mut listing = doc(id, side, kind, title, category);
            listing.meta.owner = owner;
            index.upsert(listing);
        }
        let found = trade_loops(&index, 1, 0, Bounds::default());
        assert_eq!(found.cycles.len(), 1, "{found:?}");
        let steps: Vec<(i64, (i64, i64))> = found.cycles[0].iter().map(|s| (s.to, s.via)).collect();
        assert_eq!(steps, vec![(3, (10, 31)), (2, (30, 21)), (1, (20, 11))]);
    }

    #[test]
    fn no_member_appears_twice_in_a_cycle() {
        let edges = [(1, 2), (2, 2), (2, 3), (3, 2), (3, 1)];
        let found = cycles_through(&1, graph(&edges), Bounds::default());
        assert_eq!(members(&found), vec![vec![2, 3, 1]]);
    }
}
