//! Signals for moderators: patterns worth a look, never an action taken by itself. Bursts of
//! new members through one invitation tree, members reported by several people, and new members
//! whose posts with links were held. Built from what the circle already keeps (who vouched for
//! whom, reports, held posts); nothing is collected for them.

#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};

use crate::db::MemberStatus;
use crate::services::{ActionError, Actor, Services, DAY_MS};

/// A burst is this many members joining through one member's invitation tree ...
pub const BURST_JOINS_MIN: i64 = 5;
/// ... within this many days.
pub const BURST_DAYS: i64 = 7;
/// How far up an invitation tree a join counts (the inviter, theirs, and theirs).
pub const TREE_LEVELS: usize = 3;
/// A member reported by at least this many people ...
pub const REPORTERS_MIN: i64 = 3;
/// ... within this many days.
pub const REPORT_WINDOW_DAYS: i64 = 30;
/// A new member with at least this many posts held for links in their first week.
pub const HELD_POSTS_MIN: i64 = 2;

/// One pattern worth a moderator's look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// `joined` members joined in the last week through invitations that go back to `root`.
    InvitationBurst { root: i64, joined: i64 },
    /// `reporters` different members reported `member` in the last month.
    ReportedBySeveral { member: i64, reporters: i64 },
    /// A member who joined this week had `held` posts held for links.
    NewMemberLinks { member: i64, held: i64 },
}

/// A member as the invitation tree sees them: who vouched for them, and when they joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Joined {
    pub member: i64,
    pub vouched_by: Option<i64>,
    pub joined_at_ms: i64,
}

/// The members through whose invitation trees (up to [`TREE_LEVELS`] up) at least
/// [`BURST_JOINS_MIN`] people joined in the last [`BURST_DAYS`], most first.
pub fn invitation_bursts(members: &[Joined], now_ms: i64) -> Vec<Signal> {
    let inviter: HashMap<i64, i64> = members
        .iter()
        .filter_map(|m| m.vouched_by.map(|by| (m.member, by)))
        .collect();
    let mut joins: BTreeMap<i64, i64> = BTreeMap::new();
    for member in members
        .iter()
        .filter(|m| now_ms - m.joined_at_ms < BURST_DAYS * DAY_MS)
    {
        let mut at = member.member;
        for _ in 0..TREE_LEVELS {
            let Some(&up) = inviter.get(&at) else { break };
            *joins.entry(up).or_default() += 1;
            at = up;
        }
    }
    let mut bursts: Vec<Signal> = joins
        .into_iter()
        .filter(|(_, joined)| *joined >= BURST_JOINS_MIN)
        .map(|(root, joined)| Signal::InvitationBurst { root, joined })
        .collect();
    bursts.sort_by_key(|s| match s {
        Signal::InvitationBurst { joined, .. } => -joined,
        _ => 0,
    });
    bursts
}

impl Services {
    /// The circle's signals for its moderators (the caller holds a `Moderator`).
    pub async fn signals(&self, actor: &Actor) -> Result<Vec<Signal>, ActionError> {
        let circle = actor.circle.row_id;
        let now = self.now_ms();
        let members: Vec<Joined> = self
            .db
            .memberships_in(circle)
            .await?
            .into_iter()
            .filter(|m| m.status == MemberStatus::Active)
            .map(|m| Joined {
                member: m.user_id,
                vouched_by: m.vouched_by,
                joined_at_ms: m.created_at_ms,
            })
            .collect();
        // A steward's own invitations are how a circle starts; bursts are about members' trees.
        let stewards = self.store.stewards(&actor.circle).await?;
        let steward_ids: Vec<i64> = self
            .db
            .memberships_in(circle)
            .await?
            .into_iter()
            .filter(|m| stewards.contains(&m.account_key))
            .map(|m| m.user_id)
            .collect();
        let mut signals: Vec<Signal> = invitation_bursts(&members, now)
            .into_iter()
            .filter(|signal| !matches!(signal, Signal::InvitationBurst { root, .. } if steward_ids.contains(root)))
            .collect();
        for (member, reporters) in self
            .db
            .reporters_per_subject(circle, now - REPORT_WINDOW_DAYS * DAY_MS)
            .await?
        {
            if reporters >= REPORTERS_MIN {
                signals.push(Signal::ReportedBySeveral { member, reporters });
            }
        }
        let new_members: Vec<i64> = members
            .iter()
            .filter(|m| now - m.joined_at_ms < BURST_DAYS * DAY_MS)
            .map(|m| m.member)
            .collect();
        for (member, held) in self
            .db
            .held_per_author(circle, now - BURST_DAYS * DAY_MS)
            .await?
        {
            if held >= HELD_POSTS_MIN && new_members.contains(&member) {
                signals.push(Signal::NewMemberLinks { member, held });
            }
        }
        Ok(signals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(member: i64, vouched_by: Option<i64>, days_ago: i64) -> Joined {
        Joined {
            member,
            vouched_by,
            joined_at_ms: 100 * DAY_MS - days_ago * DAY_MS,
        }
    }

    #[test]
    fn five_joins_in_a_week_through_one_tree_are_a_burst_and_old_joins_are_not() {
        let now = 100 * DAY_MS;
        // 1 invited 2 and 3 long ago; this week 2 invited 4, 5, 6 and 3 invited 7, 8.
        let mut members = vec![
            joined(1, None, 300),
            joined(2, Some(1), 200),
            joined(3, Some(1), 200),
        ];
        for (member, by) in [(4, 2), (5, 2), (6, 2), (7, 3), (8, 3)] {
            members.push(joined(member, Some(by), 1));
        }
        assert_eq!(
            invitation_bursts(&members, now),
            [Signal::InvitationBurst { root: 1, joined: 5 }],
            "the tree's root, not its branches of 3 and 2"
        );
        let old: Vec<Joined> = members
            .iter()
            .map(|m| Joined {
                joined_at_ms: 0,
                ..*m
            })
            .collect();
        assert!(invitation_bursts(&old, now).is_empty());
    }

    #[test]
    fn a_tree_counts_only_three_levels_up() {
        let now = 100 * DAY_MS;
        let mut members = vec![joined(1, None, 300)];
        // A chain 1 → 2 → 3 → 4 → 5 ... joined this week: 1 sees only its first three levels.
        for member in 2..10 {
            members.push(joined(member, Some(member - 1), 1));
        }
        assert!(
            invitation_bursts(&members, now).is_empty(),
            "each member sees at most 3 joins"
        );
    }
}
