//! Notifications grouped by what they are about: three replies in one discussion read as one
//! line, "3 times", with who acted. Pure.

use crate::notifications::NotificationCard;

/// Most names one group shows; the rest are counted.
pub const NAMES_SHOWN_MAX: usize = 3;

/// The notifications about one thing, newest first.
#[derive(Debug, Clone)]
pub struct CardGroup {
    /// The newest of them (what the line says and where it leads).
    pub card: NotificationCard,
    /// How many notifications the group holds.
    pub count: usize,
    /// Who acted, newest first, each once, at most [`NAMES_SHOWN_MAX`].
    pub names: Vec<String>,
    /// How many more people acted than `names` shows.
    pub more_people: usize,
    /// Whether any of them is unread.
    pub unread: bool,
}

/// Groups cards (newest first, each with the name of who acted, if a person did) by circle,
/// kind and where they lead, keeping the order of each group's newest card.
pub fn group(cards: Vec<(NotificationCard, Option<String>)>) -> Vec<CardGroup> {
    let mut groups: Vec<(CardGroup, Vec<String>)> = Vec::new();
    for (card, name) in cards {
        let key = (
            card.notification.circle,
            card.notification.kind,
            card.href(),
        );
        let found = groups.iter_mut().find(|(group, _)| {
            (
                group.card.notification.circle,
                group.card.notification.kind,
                group.card.href(),
            ) == key
        });
        match found {
            Some((group, everyone)) => {
                group.count += 1;
                group.unread |= !card.notification.read;
                if let Some(name) = name.filter(|name| !everyone.contains(name)) {
                    everyone.push(name);
                }
            }
            None => {
                let unread = !card.notification.read;
                let everyone: Vec<String> = name.into_iter().collect();
                let group = CardGroup {
                    card,
                    count: 1,
                    names: Vec::new(),
                    more_people: 0,
                    unread,
                };
                groups.push((group, everyone));
            }
        }
    }
    groups
        .into_iter()
        .map(|(mut group, everyone)| {
            group.more_people = everyone.len().saturating_sub(NAMES_SHOWN_MAX);
            group.names = everyone.into_iter().take(NAMES_SHOWN_MAX).collect();
            group
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notifications::{Notification, NotificationKind};

    fn card(id: i64, kind: NotificationKind, thread: i64, read: bool) -> NotificationCard {
        NotificationCard {
            notification: Notification {
                id,
                circle: 1,
                kind,
                listing: None,
                other_listing: None,
                deal: None,
                proposal: None,
                moderation: None,
                news: None,
                thread: Some(thread),
                conversation: None,
                from_user: None,
                created_at_ms: 1_000 - id,
                read,
            },
            circle_slug: "garden".into(),
            circle_name: "Garden".into(),
            listing_title: Some("Introductions".into()),
            other_title: None,
        }
    }

    #[test]
    fn replies_in_one_discussion_read_as_one_line_with_who_wrote() {
        let reply = NotificationKind::Reply;
        let cards = vec![
            (card(1, reply, 7, false), Some("Kai".to_owned())),
            (card(2, reply, 8, true), Some("Ben".to_owned())),
            (card(3, reply, 7, true), Some("Dolores".to_owned())),
            (card(4, reply, 7, true), Some("Kai".to_owned())),
            (card(5, reply, 7, true), Some("Chen".to_owned())),
            (card(6, reply, 7, true), Some("Eve".to_owned())),
            (card(7, NotificationKind::News, 7, false), None),
        ];
        let groups = group(cards);
        assert_eq!(groups.len(), 3);
        let first = &groups[0];
        assert_eq!(first.card.notification.id, 1, "led by the newest");
        assert_eq!(first.count, 5);
        assert_eq!(first.names, ["Kai", "Dolores", "Chen"]);
        assert_eq!(first.more_people, 1);
        assert!(first.unread);
        assert_eq!((groups[1].count, groups[1].unread), (1, false));
        assert!(groups[2].names.is_empty() && groups[2].unread);
    }
}
