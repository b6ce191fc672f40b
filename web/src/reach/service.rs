//! Reading the reach rule's facts: for one act, however many people it reaches
//! (`Services::outgoing`, `reach_of`, `notify_from`), or, for a page of many items, once per
//! reader and circle (`ReachLens`).

#![allow(clippy::result_large_err)]

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::db::{BlockKind, HiddenItems, HiddenState, User};
use crate::notifications::kind::NewNotification;
use crate::reach::rules::{reach, Channel, Facts, ItemState, Reach, Stop};
use crate::services::*;
use commons_governance::moderation::TargetKind;

/// The item that carries the words, if any: its kind and row id in the circle.
pub type Item = Option<(TargetKind, i64)>;

/// Blocks and mutes as one person sees them.
#[derive(Debug, Clone, Default)]
struct Relations {
    blocked_by_me: BTreeSet<i64>,
    muted_by_me: BTreeSet<i64>,
    blocked_me: BTreeSet<i64>,
}

impl Relations {
    fn of(person: i64, rows: &[(i64, i64, BlockKind)]) -> Relations {
        let mut relations = Relations::default();
        for &(chooser, other, kind) in rows {
            match (chooser == person, kind) {
                (true, BlockKind::Block) => relations.blocked_by_me.insert(other),
                (true, BlockKind::Mute) => relations.muted_by_me.insert(other),
                (false, BlockKind::Block) if other == person => {
                    relations.blocked_me.insert(chooser)
                }
                _ => false,
            };
        }
        relations
    }
}

/// Who is suspended at `now_ms`.
fn suspended_now(suspensions: &std::collections::BTreeMap<i64, i64>, now_ms: i64) -> BTreeSet<i64> {
    suspensions
        .iter()
        .filter(|(_, until)| **until > now_ms)
        .map(|(user, _)| *user)
        .collect()
}

fn item_state(items: &HiddenItems, item: Item) -> ItemState {
    let Some((kind, id)) = item else {
        return ItemState::Visible;
    };
    match items.get(&(kind.as_str().to_owned(), id)) {
        Some((HiddenState::Hidden, _)) => ItemState::Hidden,
        Some((HiddenState::Held, _)) => ItemState::Held,
        None => ItemState::Visible,
    }
}

/// What one reader's reach depends on in one circle, read once: their blocks and mutes, the
/// circle's suspended members and moderated items, and whether their login reaches the circle.
#[derive(Debug, Clone)]
pub struct ReachLens {
    reader: i64,
    relations: Relations,
    suspended: BTreeSet<i64>,
    moderated: Arc<HiddenItems>,
    login_outside_circle: bool,
}

impl ReachLens {
    /// The sender of what the circle itself says (a proposal's title, the node's notices):
    /// no person, so no block, mute or suspension applies.
    pub const THE_CIRCLE: i64 = 0;

    /// The rule's facts for something from `from` carried by `item`.
    pub fn facts(&self, from: i64, item: Item) -> Facts {
        Facts {
            same_person: from == self.reader && from != ReachLens::THE_CIRCLE,
            recipient_blocked_sender: self.relations.blocked_by_me.contains(&from),
            sender_blocked_recipient: self.relations.blocked_me.contains(&from),
            recipient_muted_sender: self.relations.muted_by_me.contains(&from),
            sender_suspended: self.suspended.contains(&from),
            item: item_state(&self.moderated, item),
            recipient_login_outside_circle: self.login_outside_circle,
        }
    }

    /// The rule's answer for something from `from`, carried by `item`, on `channel`.
    pub fn reach(&self, channel: Channel, from: i64, item: Item) -> Reach {
        reach(channel, &self.facts(from, item))
    }

    /// Whether it draws the reader's attention.
    pub fn delivers(&self, channel: Channel, from: i64, item: Item) -> bool {
        self.reach(channel, from, item).delivers()
    }
}

impl Services {
    /// Whether this login may reach a circle at all: every circle, unless a circle's stewards
    /// recovered the account; then only the circles that recovered it.
    pub async fn may_reach(&self, user: &User, circle: i64) -> Result<bool, ActionError> {
        Ok(!user.recovery_restricted || self.db.recovery_circles(user.id).await?.contains(&circle))
    }

    /// The reach lens of `reader` in `circle` (see [`ReachLens`]).
    pub(crate) async fn reach_lens(
        &self,
        reader: &User,
        circle: i64,
    ) -> Result<ReachLens, ActionError> {
        Ok(ReachLens {
            reader: reader.id,
            relations: Relations::of(reader.id, &self.db.blocks_touching(reader.id).await?),
            suspended: suspended_now(&*self.db.suspensions(circle).await?, self.now_ms()),
            moderated: self.db.hidden_items(circle).await?,
            login_outside_circle: !self.may_reach(reader, circle).await?,
        })
    }

    /// What reaching others depends on for something `from` does in `circle`, carried by
    /// `item`: read once for an act, however many people it reaches.
    pub(crate) async fn outgoing(
        &self,
        from: i64,
        circle: i64,
        item: Item,
    ) -> Result<Outgoing, ActionError> {
        let moderated = match item {
            Some(_) => self.db.hidden_items(circle).await?,
            None => Arc::default(),
        };
        let suspensions = self.db.suspensions(circle).await?;
        Ok(Outgoing {
            from,
            rows: self.db.blocks_touching(from).await?,
            sender_suspended: suspended_now(&suspensions, self.now_ms()).contains(&from),
            item: item_state(&moderated, item),
        })
    }

    /// The reach rule for an act of the actor's addressed to one person (a payment, a request,
    /// a deal's message): refused as not there ([`ActionError::NotFound`]), or as suspended,
    /// when the rule refuses it; otherwise whether it draws the person's attention.
    pub(crate) async fn reach_of(
        &self,
        channel: Channel,
        actor: &Actor,
        to: i64,
        item: Item,
    ) -> Result<Reach, ActionError> {
        let outgoing = self
            .outgoing(actor.user.id, actor.circle.row_id, item)
            .await?;
        match outgoing.reach(channel, to) {
            Reach::Refuse(Stop::Suspended) => {
                Err(self.writer(actor).err().unwrap_or(ActionError::Forbidden))
            }
            Reach::Refuse(_) => Err(ActionError::NotFound),
            other => Ok(other),
        }
    }

    /// Stores a notification of something `outgoing` carries, if the reach rule lets it reach
    /// the person on `channel`. Answers whether it was stored. Notifications nobody caused
    /// (reminders, the node's own notices, moderators acting for the circle) use
    /// `NodeDb::notify` directly.
    pub(crate) async fn notify_from(
        &self,
        outgoing: &Outgoing,
        channel: Channel,
        note: NewNotification,
    ) -> Result<bool, ActionError> {
        if !outgoing.reach(channel, note.user).delivers() {
            return Ok(false);
        }
        let from = Some(outgoing.from);
        Ok(self.db.notify_from(note, from, self.now_ms()).await?)
    }
}

/// What reaching others depends on for one act (see [`Services::outgoing`]).
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    from: i64,
    /// Every block and mute that names the sender, either way.
    rows: Arc<Vec<(i64, i64, BlockKind)>>,
    sender_suspended: bool,
    item: ItemState,
}

impl Outgoing {
    /// The rule's facts for reaching `to`.
    pub(crate) fn facts(&self, to: i64) -> Facts {
        let has =
            |chooser: i64, other: i64, kind: BlockKind| self.rows.contains(&(chooser, other, kind));
        Facts {
            same_person: self.from == to,
            recipient_blocked_sender: has(to, self.from, BlockKind::Block),
            sender_blocked_recipient: has(self.from, to, BlockKind::Block),
            recipient_muted_sender: has(to, self.from, BlockKind::Mute),
            sender_suspended: self.sender_suspended,
            item: self.item,
            recipient_login_outside_circle: false,
        }
    }

    /// The rule's answer for reaching `to` on `channel`.
    pub(crate) fn reach(&self, channel: Channel, to: i64) -> Reach {
        reach(channel, &self.facts(to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_act_reads_blocks_and_mutes_from_each_recipients_side() {
        let outgoing = Outgoing {
            from: 1,
            rows: Arc::new(vec![
                (2, 1, BlockKind::Block),
                (1, 3, BlockKind::Block),
                (4, 1, BlockKind::Mute),
                (1, 5, BlockKind::Mute),
            ]),
            sender_suspended: false,
            item: ItemState::Visible,
        };
        assert!(outgoing.facts(2).recipient_blocked_sender);
        assert!(outgoing.facts(3).sender_blocked_recipient);
        assert!(outgoing.facts(4).recipient_muted_sender);
        assert!(
            outgoing.reach(Channel::Notification, 5).delivers(),
            "the sender's own mute of someone does not stop what they send"
        );
        assert!(outgoing.facts(1).same_person);
    }

    #[test]
    fn relations_read_blocks_and_mutes_from_the_readers_side() {
        let rows = vec![
            (1, 2, BlockKind::Block),
            (1, 3, BlockKind::Mute),
            (4, 1, BlockKind::Block),
            (5, 1, BlockKind::Mute),
        ];
        let relations = Relations::of(1, &rows);
        assert!(relations.blocked_by_me.contains(&2));
        assert!(relations.muted_by_me.contains(&3));
        assert!(relations.blocked_me.contains(&4));
        assert!(
            !relations.blocked_me.contains(&5) && !relations.muted_by_me.contains(&5),
            "someone else's mute of the reader changes nothing for the reader"
        );
    }
}
