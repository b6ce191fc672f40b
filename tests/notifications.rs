//! Notifications' store contract, on SQLite and PostgreSQL alike: the unread count every page
//! shows stays true, and a kind a member turned off is not stored (a recovery always is).

use commons_ledger::store::Store;
use commons_tests::{both_backends, make_circle, person};
use commons_web::db::NodeDb;
use commons_web::notifications::{NewNotification, NotificationKind};

const NOW_MS: i64 = 1_790_000_000_000;

both_backends! {
    notifications_count_unread_and_respect_mutes => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let circle = make_circle(&store, "market", 0).await.info.row_id;
        let ana = person(&store, "ana").await;
        let market = NodeDb::new(store.pool().clone());
        let note = |kind| NewNotification { user: ana, circle, kind, listing: None, other_listing: None, deal: None, proposal: None, moderation: None, news: None, thread: None, conversation: None };
        assert!(market.notify(note(NotificationKind::Match), NOW_MS).await.expect("notify"));
        assert!(market.notify(note(NotificationKind::Thanks), NOW_MS).await.expect("notify"));
        assert_eq!(market.unread_count(ana).await.expect("count"), 2);
        market.set_wanted(ana, &[NotificationKind::Thanks]).await.expect("mute");
        assert!(!market.notify(note(NotificationKind::Match), NOW_MS).await.expect("notify"));
        assert_eq!(market.mutes(ana).await.expect("mutes").len(), NotificationKind::ALL.len() - 1);
        market.mark_read(ana, NOW_MS).await.expect("read");
        assert_eq!(market.unread_count(ana).await.expect("count"), 0);
        assert_eq!(market.notifications(ana, 10).await.expect("list").len(), 2);
    };

    a_page_counts_as_seen_only_what_it_showed => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let circle = make_circle(&store, "seen", 0).await.info.row_id;
        let ana = person(&store, "ana").await;
        let db = NodeDb::new(store.pool().clone());
        let note = NewNotification::about_the_circle(ana, circle, NotificationKind::Thanks);
        db.notify(note, NOW_MS).await.expect("notify");
        let shown = db.notifications(ana, 10).await.expect("list")[0].id;
        // One more arrives while the page is being written: it stays new.
        db.notify(note, NOW_MS + 1).await.expect("notify");
        db.mark_read_up_to(ana, shown, NOW_MS + 2).await.expect("seen");
        assert_eq!(db.unread_count(ana).await.expect("count"), 1);
    };

    a_recovery_notice_is_stored_even_when_every_kind_is_turned_off => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let circle = make_circle(&store, "notices", 0).await.info.row_id;
        let ana = person(&store, "ana").await;
        let db = NodeDb::new(store.pool().clone());
        db.set_wanted(ana, &[]).await.expect("mute all");
        let note = |kind| NewNotification { user: ana, circle, kind, listing: None, other_listing: None, deal: None, proposal: None, moderation: None, news: None, thread: None, conversation: None };
        assert!(!db.notify(note(NotificationKind::DealMessage), NOW_MS).await.expect("notify"));
        assert!(db.notify(note(NotificationKind::AccountRecovered), NOW_MS).await.expect("notify"));
        assert_eq!(db.unread_count(ana).await.expect("count"), 1);
    };
}
