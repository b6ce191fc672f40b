//! The one reach rule (pure): whether something from one person may reach another, on any
//! channel. Every channel asks [`reach`]; none keeps its own copy. docs/security.md ("The reach
//! rule") says the same in words.

/// Declares the channels once, with [`Channel::ALL`] built from the same list, so a channel
/// cannot exist without being in `ALL` (and the reach tests iterate `ALL`).
macro_rules! channels {
    ($($(#[$doc:meta])* $name:ident => $kind:ident,)+) => {
        /// Every way one person's words, money or attention come to another.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Channel {
            $($(#[$doc])* $name,)+
        }

        impl Channel {
            /// Every channel, in declaration order.
            pub const ALL: &'static [Channel] = &[$(Channel::$name,)+];

            /// Whether the channel is read through a login (the node's pages), rather than
            /// delivered to the person's own verified address (mail goes to the owner, never
            /// to whoever holds a recovered login).
            pub fn read_through_a_login(self) -> bool {
                !matches!(self, Channel::EmailNow | Channel::Digest)
            }

            /// Whether the sender addresses this one person (a payment, a message), or the
            /// node draws the person's attention to something (a notification, a digest).
            pub fn kind(self) -> ChannelKind {
                match self {
                    $(Channel::$name => ChannelKind::$kind,)+
                }
            }
        }
    };
}

channels! {
    /// A payment to another member, its memo included.
    Payment => Direct,
    /// A request to be paid, with its memo.
    PaymentRequest => Direct,
    /// Answering a listing (opening a deal) and every message in a deal.
    DealMessage => Direct,
    /// Starting a private conversation, and every message in one.
    PrivateMessage => Direct,
    /// A reply in a discussion or a comment on news or a proposal, as it reaches the people
    /// who follow it.
    Reply => Attention,
    /// A mention of someone by `@name` in a discussion, as it reaches them.
    Mention => Attention,
    /// A notification (the page, its unread count), with the title it names.
    Notification => Attention,
    /// A notification mailed at once.
    EmailNow => Attention,
    /// What a daily or Monday digest lists.
    Digest => Attention,
    /// News announced to every member.
    Announcement => Attention,
    /// What the circle's home shows a member (news, discussions, listings, requests to answer).
    Home => Attention,
}

/// How a channel reaches a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// The sender addresses the person: across a block or from a suspended member it is
    /// refused (as if the person were not there); otherwise it happens, quietly if the person
    /// muted the sender or a moderator holds or hid the item.
    Direct,
    /// The node draws the person's attention: anything that stops it leaves it out quietly.
    Attention,
}

/// What a moderator decided about the item that carries the words, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ItemState {
    /// Everyone who may see the circle may see it.
    #[default]
    Visible,
    /// Held for a moderator's review before others see it.
    Held,
    /// A moderator hid it.
    Hidden,
}

/// Everything the rule needs to know about the sender, the recipient and the item, read at
/// the moment of delivery (blocks, mutes and moderation may have changed since the act).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    /// The sender and the recipient are the same person.
    pub same_person: bool,
    /// The recipient blocked the sender.
    pub recipient_blocked_sender: bool,
    /// The sender blocked the recipient.
    pub sender_blocked_recipient: bool,
    /// The recipient muted the sender.
    pub recipient_muted_sender: bool,
    /// The circle's moderators suspended the sender.
    pub sender_suspended: bool,
    /// The item's moderation state.
    pub item: ItemState,
    /// The recipient reads through a login a recovery link gave, and the circle is not one that
    /// recovered it.
    pub recipient_login_outside_circle: bool,
}

/// Why something does not reach the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Blocked,
    Muted,
    Suspended,
    Held,
    Hidden,
    RecoveredLogin,
}

/// What the rule decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// It reaches the person.
    Deliver,
    /// It happens, but draws none of the person's attention (no notification, mail, digest
    /// line or home card).
    Quiet(Stop),
    /// It does not happen: the sender is told the person or item is not there.
    Refuse(Stop),
}

impl Reach {
    /// Whether the person's attention is drawn.
    pub fn delivers(self) -> bool {
        self == Reach::Deliver
    }
}

/// The one reach rule. One's own things always reach oneself. Otherwise the first stop that
/// applies decides: a block either way, a suspension of the sender, a mute by the recipient,
/// a moderator's hold or hide on the item, a recovered login reading (on the node's pages)
/// outside the circles that recovered it. On a direct channel a block or a suspension refuses the act; every other
/// stop, and every stop on an attention channel, keeps it quiet.
pub fn reach(channel: Channel, facts: &Facts) -> Reach {
    if facts.same_person {
        return Reach::Deliver;
    }
    let stop = if facts.recipient_blocked_sender || facts.sender_blocked_recipient {
        Stop::Blocked
    } else if facts.sender_suspended {
        Stop::Suspended
    } else if facts.recipient_muted_sender {
        Stop::Muted
    } else if facts.item == ItemState::Hidden {
        Stop::Hidden
    } else if facts.item == ItemState::Held {
        Stop::Held
    } else if facts.recipient_login_outside_circle && channel.read_through_a_login() {
        Stop::RecoveredLogin
    } else {
        return Reach::Deliver;
    };
    match (channel.kind(), stop) {
        (ChannelKind::Direct, Stop::Blocked | Stop::Suspended) => Reach::Refuse(stop),
        _ => Reach::Quiet(stop),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row per stop: the facts, and what each kind of channel answers.
    fn rows() -> Vec<(&'static str, Facts, Reach, Reach)> {
        let base = Facts::default();
        vec![
            (
                "the recipient blocked the sender",
                Facts {
                    recipient_blocked_sender: true,
                    ..base
                },
                Reach::Refuse(Stop::Blocked),
                Reach::Quiet(Stop::Blocked),
            ),
            (
                "the sender blocked the recipient",
                Facts {
                    sender_blocked_recipient: true,
                    ..base
                },
                Reach::Refuse(Stop::Blocked),
                Reach::Quiet(Stop::Blocked),
            ),
            (
                "the recipient muted the sender",
                Facts {
                    recipient_muted_sender: true,
                    ..base
                },
                Reach::Quiet(Stop::Muted),
                Reach::Quiet(Stop::Muted),
            ),
            (
                "a moderator hid the item",
                Facts {
                    item: ItemState::Hidden,
                    ..base
                },
                Reach::Quiet(Stop::Hidden),
                Reach::Quiet(Stop::Hidden),
            ),
            (
                "a moderator holds the item",
                Facts {
                    item: ItemState::Held,
                    ..base
                },
                Reach::Quiet(Stop::Held),
                Reach::Quiet(Stop::Held),
            ),
            (
                "the sender is suspended",
                Facts {
                    sender_suspended: true,
                    ..base
                },
                Reach::Refuse(Stop::Suspended),
                Reach::Quiet(Stop::Suspended),
            ),
            (
                "the recipient reads through a recovered login outside its circles",
                Facts {
                    recipient_login_outside_circle: true,
                    ..base
                },
                Reach::Quiet(Stop::RecoveredLogin),
                Reach::Quiet(Stop::RecoveredLogin),
            ),
        ]
    }

    #[test]
    fn every_channel_is_stopped_by_every_stop_and_delivers_otherwise() {
        for &channel in Channel::ALL {
            assert_eq!(
                reach(channel, &Facts::default()),
                Reach::Deliver,
                "{channel:?}"
            );
            for (what, facts, direct, attention) in rows() {
                if facts.recipient_login_outside_circle && !channel.read_through_a_login() {
                    continue;
                }
                let expected = match channel.kind() {
                    ChannelKind::Direct => direct,
                    ChannelKind::Attention => attention,
                };
                let found = reach(channel, &facts);
                assert_eq!(found, expected, "{channel:?}: {what}");
                assert!(!found.delivers(), "{channel:?} delivered although {what}");
            }
        }
    }

    #[test]
    fn ones_own_things_always_reach_oneself() {
        let own = Facts {
            same_person: true,
            item: ItemState::Hidden,
            sender_suspended: true,
            ..Facts::default()
        };
        for &channel in Channel::ALL {
            assert_eq!(reach(channel, &own), Reach::Deliver, "{channel:?}");
        }
    }

    #[test]
    fn mail_reaches_the_owners_own_address_whatever_a_recovered_login_reaches() {
        let outside = Facts {
            recipient_login_outside_circle: true,
            ..Facts::default()
        };
        for &channel in Channel::ALL {
            let expected = if channel.read_through_a_login() {
                Reach::Quiet(Stop::RecoveredLogin)
            } else {
                Reach::Deliver
            };
            assert_eq!(reach(channel, &outside), expected, "{channel:?}");
        }
    }

    #[test]
    fn a_block_outranks_a_mute_so_the_sender_of_a_direct_act_is_refused() {
        let both = Facts {
            recipient_muted_sender: true,
            recipient_blocked_sender: true,
            ..Facts::default()
        };
        assert_eq!(reach(Channel::Payment, &both), Reach::Refuse(Stop::Blocked));
    }

    #[test]
    fn every_channel_is_in_all_once() {
        let mut seen = std::collections::HashSet::new();
        for &channel in Channel::ALL {
            assert!(seen.insert(channel), "{channel:?} twice");
        }
    }
}
