//! Trade cycles: small loops of members where A can serve B, B can serve C and C can serve A,
//! so that everyone gives and everyone receives — the barter loop mutual credit makes easy
//! to close. A bounded depth-first search from one member, pure and generic over how "can
//! serve" is decided (the store asks the matcher).

use std::collections::HashMap;
use std::hash::Hash;

/// The fewest and most members in a suggested cycle.
pub const CYCLE_MEMBERS_MIN: usize = 3;
pub const CYCLE_MEMBERS_MAX: usize = 5;
/// Most cycles one search returns.
pub const CYCLES_MAX: usize = 10;
/// Most members whose "can serve" lists one search may ask for: this bounds the work on a
/// big circle (each ask is a match query).
pub const EXPANSIONS_MAX: usize = 300;

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
    known: HashMap<M, Vec<Step<M, V>>>,
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
    fn neighbours(&mut self, member: &M) -> Option<Vec<Step<M, V>>> {
        if let Some(steps) = self.known.get(member) {
            return Some(steps.clone());
        }
        if self.known.len() >= self.bounds.expansions_max {
            self.truncated = true;
            return None;
        }
        let steps = (self.serves)(member);
        self.known.insert(member.clone(), steps.clone());
        Some(steps)
    }

    /// `path` holds the steps taken so far; `members` the members on it, the focal first.
    fn walk(&mut self, members: &mut Vec<M>, path: &mut Vec<Step<M, V>>) {
        if self.found.len() >= self.bounds.cycles_max {
            self.truncated = true;
            return;
        }
        let Some(last) = members.last().cloned() else {
            return;
        };
        let Some(steps) = self.neighbours(&last) else {
            return;
        };
        for step in steps {
            if self.found.len() >= self.bounds.cycles_max {
                self.truncated = true;
                return;
            }
            if &step.to == self.focal {
                // Only cycles of exactly this round's size: shorter ones came in earlier rounds.
                if members.len() == self.bounds.members_max {
                    let mut cycle = path.clone();
                    cycle.push(step);
                    self.found.push(cycle);
                }
                continue;
            }
            if members.contains(&step.to) || members.len() >= self.bounds.members_max {
                continue;
            }
            members.push(step.to.clone());
            path.push(step);
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
        members_max: bounds.members_max.clamp(CYCLE_MEMBERS_MIN, CYCLE_MEMBERS_MAX),
        ..bounds
    };
    let mut state = SearchState {
        serves,
        known: HashMap::new(),
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
    Found { cycles: state.found, truncated: state.truncated }
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
        found.cycles.iter().map(|c| c.iter().map(|s| s.to).collect()).collect()
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
            (1, 2), (2, 3), (3, 4), (4, 1), // four members
            (1, 5), (5, 6), (6, 1), // three members
            (1, 7), (7, 8), (8, 9), (9, 10), (10, 11), (11, 1), // six members
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
                (0..60).filter(|to| to != from).map(|to| Step { to, via: () }).collect()
            },
            Bounds { expansions_max: 20, ..Bounds::default() },
        );
        assert_eq!(found.cycles.len(), CYCLES_MAX);
        assert!(found.truncated);
        assert!(asked <= 20, "asked {asked} times");
        assert!(found.cycles.iter().all(|c| c.len() == 3));
    }

    #[test]
    fn no_member_appears_twice_in_a_cycle() {
        let edges = [(1, 2), (2, 2), (2, 3), (3, 2), (3, 1)];
        let found = cycles_through(&1, graph(&edges), Bounds::default());
        assert_eq!(members(&found), vec![vec![2, 3, 1]]);
    }
}
