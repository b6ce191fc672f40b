//! The market's store contract, run against SQLite and PostgreSQL alike: search gives the
//! same results on both, event places hold under the rules, deals refuse stale changes, and
//! photos lose their metadata.

use commons_ledger::store::Store;
use commons_market::deal;
use commons_market::event::{Answer, EventDetails, LocalTime, Place};
use commons_market::index::{Filters, Search};
use commons_market::listing::{Kind, ListingDraft, Side, Status, Value};
use commons_market::photo;
use commons_market::store::{Market, MarketError};
use commons_market::text::Language;
use commons_tests::{both_backends, make_circle, person};

const NOW_MS: i64 = 1_790_000_000_000;

fn draft(
    side: Side,
    kind: Kind,
    title: &str,
    description: &str,
    category: &str,
    language: Language,
) -> ListingDraft {
    ListingDraft {
        side,
        kind,
        title: commons_market::listing::listing_title(title).expect("title"),
        description: description.into(),
        category: category.into(),
        tags: Vec::new(),
        area: "Riverside".into(),
        location: None,
        value: Value::ByAgreement,
        availability: String::new(),
        language,
        expires_in_days: 30,
        event: None,
    }
}

fn search(text: &str, language: Language) -> Search {
    Search {
        text: text.into(),
        language: Some(language),
        limit: 10,
        now_ms: NOW_MS,
        ..Search::default()
    }
}

both_backends! {
    search_finds_listings_by_stemmed_words_with_the_same_ranking_on_both_backends => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let circle = make_circle(&store, "market", 0).await.info.row_id;
        let (ana, ben) = (person(&store, "ana").await, person(&store, "ben").await);
        let market = Market::new(store.pool().clone());
        let listings = [
            (ana, draft(Side::Offer, Kind::Skill, "Gardening and pruning", "Hedges trimmed, roses pruned.", "home/gardening", Language::English)),
            (ben, draft(Side::Need, Kind::Thing, "Garden hose", "Mine split in the frost.", "things/garden-plants", Language::English)),
            (ana, draft(Side::Offer, Kind::Skill, "Clases de jardinería", "Aprende a cuidar tu huerto.", "learning/crafts", Language::Spanish)),
            (ben, draft(Side::Offer, Kind::Thing, "Piano for free", "Upright, needs tuning.", "things/furniture", Language::English)),
        ];
        let mut ids = Vec::new();
        for (owner, listing) in &listings {
            ids.push(market.create_listing(circle, *owner, listing, NOW_MS).await.expect("create").id);
        }
        // "gardens" is stemmed to "garden"; the Spanish listing's "jardinería"/"huerto" join the
        // same concept through the thesaurus. The order is fixed: more words, then BM25, then id.
        let found = market.search(circle, &search("gardens", Language::English)).await.expect("search");
        let found_ids: Vec<i64> = found.hits.iter().map(|h| h.id).collect();
        assert_eq!(found.total, 3, "{found:?}");
        // The Spanish class names its garden twice (title and description), then the short
        // hose listing, then the gardener whose title holds the word once among others.
        assert_eq!(found_ids, vec![ids[2], ids[1], ids[0]], "{found:?}");
        let pruning = market.search(circle, &search("pruned", Language::English)).await.expect("search");
        assert_eq!(pruning.hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![ids[0]]);
        let offers = Search { filters: Filters { side: Some(Side::Offer), ..Filters::default() }, ..search("", Language::English) };
        let browse = market.search(circle, &offers).await.expect("browse");
        assert_eq!(browse.hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![ids[3], ids[2], ids[0]]);
        // Paused listings leave search at once.
        market.set_status(circle, ids[0], ana, Status::Paused, None, NOW_MS).await.expect("pause");
        let pruning = market.search(circle, &search("pruned", Language::English)).await.expect("search");
        assert!(pruning.hits.is_empty());
        // Only the author changes a listing.
        let stolen = market.set_status(circle, ids[1], ana, Status::Closed, None, NOW_MS).await;
        assert!(matches!(stolen, Err(MarketError::NotYours)), "{stolen:?}");
    };

    another_processs_listings_reach_the_index_within_its_freshness => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let circle = make_circle(&store, "market", 0).await.info.row_id;
        let ana = person(&store, "ana").await;
        let here = Market::new(store.pool().clone());
        let elsewhere = Market::new(store.pool().clone());
        assert_eq!(here.search(circle, &search("ladder", Language::English)).await.expect("search").total, 0);
        elsewhere
            .create_listing(circle, ana, &draft(Side::Offer, Kind::Thing, "Ladder to lend", "", "things/tools", Language::English), NOW_MS)
            .await
            .expect("create");
        tokio::time::sleep(std::time::Duration::from_millis(commons_market::store::INDEX_FRESHNESS_MS + 100)).await;
        assert_eq!(here.search(circle, &search("ladders", Language::English)).await.expect("search").total, 1);
    };

    the_third_going_to_an_event_for_two_waits_and_moves_up => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let circle = make_circle(&store, "market", 0).await.info.row_id;
        let people = [
            person(&store, "host").await,
            person(&store, "a").await,
            person(&store, "b").await,
            person(&store, "c").await,
        ];
        let market = Market::new(store.pool().clone());
        let mut event = draft(Side::Offer, Kind::Event, "Repair café", "Bring broken things.", "events/repair-cafe", Language::English);
        event.event = Some(EventDetails {
            starts: LocalTime::parse("2026-12-05T10:00").expect("time"),
            ends: LocalTime::parse("2026-12-05T13:00").expect("time"),
            place: "Hall".into(),
            online: false,
            capacity: Some(2),
        });
        let listing = market.create_listing(circle, people[0], &event, NOW_MS).await.expect("create");
        let mut places = Vec::new();
        for (i, member) in people[1..].iter().enumerate() {
            let outcome = market.respond(circle, listing.id, *member, Answer::Going, NOW_MS + i as i64).await.expect("answer");
            places.push(outcome.place);
        }
        assert_eq!(places, vec![Some(Place::Going), Some(Place::Going), Some(Place::Waiting)]);
        let full = market.listing(circle, listing.id).await.expect("read").expect("listing");
        assert!(full.event_full());
        let leaves = market.respond(circle, listing.id, people[1], Answer::NotGoing, NOW_MS + 10).await.expect("answer");
        assert_eq!(leaves.promoted, vec![people[3]]);
        let not_event = market
            .create_listing(circle, people[0], &draft(Side::Offer, Kind::Thing, "Chair", "", "things/furniture", Language::English), NOW_MS)
            .await
            .expect("create");
        let refused = market.respond(circle, not_event.id, people[1], Answer::Going, NOW_MS).await;
        assert!(matches!(refused, Err(MarketError::NotAnEvent)), "{refused:?}");
    };

    deals_reopen_once_refuse_stale_changes_and_keep_their_conversation => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let circle = make_circle(&store, "market", 0).await.info.row_id;
        let (owner, helper) = (person(&store, "owner").await, person(&store, "helper").await);
        let market = Market::new(store.pool().clone());
        let need = market
            .create_listing(circle, owner, &draft(Side::Need, Kind::Skill, "Bike repair", "", "repairs/bikes", Language::English), NOW_MS)
            .await
            .expect("create");
        let (opened, new) = market.open_deal(circle, &need, helper, NOW_MS).await.expect("open");
        assert!(new);
        let (again, new_again) = market.open_deal(circle, &need, helper, NOW_MS).await.expect("open again");
        assert!(!new_again);
        assert_eq!(again.deal.id, opened.deal.id);
        assert!(matches!(market.open_deal(circle, &need, owner, NOW_MS).await, Err(MarketError::Deal(deal::DealError::OwnListing))));
        let proposed = opened.deal.propose(helper, "Two hours on Saturday", Some(200)).expect("terms");
        let saved = market.save_deal(&opened, &proposed, NOW_MS).await.expect("save");
        assert_eq!(saved.version, opened.version + 1);
        // A change decided on the old version is refused.
        let stale = market.save_deal(&opened, &opened.deal.cancel(owner).expect("cancel"), NOW_MS).await;
        assert!(matches!(stale, Err(MarketError::Conflict)), "{stale:?}");
        market.add_message(&saved, owner, "Saturday works!", NOW_MS).await.expect("message");
        assert!(market.add_message(&saved, person(&store, "stranger").await, "hi", NOW_MS).await.is_err());
        let messages = market.messages(saved.deal.id).await.expect("messages");
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].author, owner);
        let agreed = market.save_deal(&saved, &saved.deal.agree(owner).expect("agree"), NOW_MS).await.expect("save");
        let done = market.save_deal(&agreed, &agreed.deal.completed(owner, Some(9)).expect("complete"), NOW_MS).await.expect("save");
        assert_eq!(done.deal.payment_seq, Some(9));
        market.thank(&done, owner, "Brakes are silent now, thank you!", NOW_MS).await.expect("thanks");
        let thanks = market.thanks_to(circle, helper).await.expect("thanks");
        assert_eq!(thanks.len(), 1);
        assert_eq!((thanks[0].author, thanks[0].to), (owner, helper));
        assert_eq!(thanks[0].listing_title, "Bike repair");
    };

    photos_are_stored_without_their_metadata => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let circle = make_circle(&store, "market", 0).await.info.row_id;
        let (ana, ben) = (person(&store, "ana").await, person(&store, "ben").await);
        let market = Market::new(store.pool().clone());
        let listing = market
            .create_listing(circle, ana, &draft(Side::Offer, Kind::Thing, "Blue bike", "", "things/sports-bikes", Language::English), NOW_MS)
            .await
            .expect("create");
        let upload = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/photo-with-gps.jpg")).expect("fixture");
        assert!(upload.windows(4).any(|w| w == b"Exif"), "the fixture carries EXIF");
        assert!(upload.windows(10).any(|w| w == b"PhoneMaker"), "and the camera's maker");
        let processed = photo::process(&upload).expect("process");
        assert!(matches!(market.add_photo(circle, listing.id, ben, "A bike", &processed, NOW_MS).await, Err(MarketError::NotYours)));
        let id = market.add_photo(circle, listing.id, ana, "A blue bike", &processed, NOW_MS).await.expect("add");
        let stored = market.photo_bytes(circle, listing.id, id, false).await.expect("read").expect("photo");
        assert!(!stored.windows(4).any(|w| w == b"Exif"));
        assert!(!stored.windows(10).any(|w| w == b"PhoneMaker"));
        assert_eq!(market.photos(listing.id).await.expect("photos")[0].alt, "A blue bike");
    };

    imports_many_listings_in_chunks_and_holds_each_owner_to_the_cap => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let circle = make_circle(&store, "market", 0).await.info.row_id;
        let market = Market::new(store.pool().clone());
        let mut owners = Vec::new();
        for n in 0..6 {
            owners.push(person(&store, &format!("owner{n}")).await);
        }
        let titles = ["Ladder to lend", "Bread baking", "Bicycle repairs", "Piano lessons"];
        let rows: Vec<(i64, ListingDraft, i64)> = (0..1_200)
            .map(|i| {
                let title = titles[i % titles.len()];
                (owners[i % owners.len()], draft(Side::Offer, Kind::Skill, title, "", "other", Language::English), NOW_MS + i as i64)
            })
            .collect();
        assert_eq!(market.import_listings(circle, &rows).await.expect("import"), 1_200);
        let found = market.search(circle, &search("ladders", Language::English)).await.expect("search");
        assert_eq!(found.total, 300);
        // Each owner now holds 200 open listings: one more is refused, and nothing is stored.
        let more = vec![(owners[0], draft(Side::Offer, Kind::Skill, "One too many", "", "other", Language::English), NOW_MS)];
        assert!(matches!(market.import_listings(circle, &more).await, Err(MarketError::TooManyListings)));
        let refused = market.create_listing(circle, owners[1], &more[0].1, NOW_MS).await;
        assert!(matches!(refused, Err(MarketError::TooManyListings)), "{refused:?}");
        assert_eq!(market.search(circle, &search("many", Language::English)).await.expect("search").total, 0);
    };

    authors_are_reminded_once_of_listings_about_to_expire => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let circle = make_circle(&store, "market", 0).await.info.row_id;
        let ana = person(&store, "ana").await;
        let market = Market::new(store.pool().clone());
        let mut soon = draft(Side::Offer, Kind::Thing, "Spare chairs", "", "things/furniture", Language::English);
        soon.expires_in_days = 2;
        let soon = market.create_listing(circle, ana, &soon, NOW_MS).await.expect("create");
        market
            .create_listing(circle, ana, &draft(Side::Offer, Kind::Thing, "A table", "", "things/furniture", Language::English), NOW_MS)
            .await
            .expect("create");
        let week = 7 * commons_market::listing::DAY_MS;
        let first = market.take_expiring(NOW_MS + week, NOW_MS).await.expect("take");
        assert_eq!(first.iter().map(|l| l.id).collect::<Vec<_>>(), vec![soon.id]);
        assert!(market.take_expiring(NOW_MS + week, NOW_MS).await.expect("take").is_empty(), "once");
        // Reopening renews it, and a later reminder comes again.
        market.set_status(circle, soon.id, ana, Status::Active, Some(2), NOW_MS).await.expect("renew");
        assert_eq!(market.take_expiring(NOW_MS + week, NOW_MS).await.expect("take").len(), 1);
    };

    neither_member_of_a_deal_can_fill_its_conversation_for_the_other => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let circle = make_circle(&store, "market", 0).await.info.row_id;
        let (owner, helper) = (person(&store, "owner").await, person(&store, "helper").await);
        let market = Market::new(store.pool().clone());
        let need = market
            .create_listing(circle, owner, &draft(Side::Need, Kind::Skill, "Sewing", "", "repairs/bikes", Language::English), NOW_MS)
            .await
            .expect("create");
        let (deal, _) = market.open_deal(circle, &need, helper, NOW_MS).await.expect("open");
        // An hour's worth of messages, then the flood stops; the other member still writes.
        for n in 0..deal::MESSAGES_PER_AUTHOR_PER_HOUR_MAX {
            market.add_message(&deal, helper, "spam", NOW_MS + n as i64).await.expect("within the hour's share");
        }
        let flood = market.add_message(&deal, helper, "spam", NOW_MS + 100).await;
        assert!(matches!(flood, Err(MarketError::Deal(deal::DealError::MessagingTooMuch))), "{flood:?}");
        market.add_message(&deal, owner, "Please stop.", NOW_MS + 101).await.expect("the other member writes");
        // An hour later the helper may write again, up to their half of the conversation.
        let later = NOW_MS + 3_600_000 + 1_000;
        market.add_message(&deal, helper, "sorry", later).await.expect("a new hour");
        // The conversation's own cap holds, counted on the deal's row.
        sqlx::query("UPDATE market_deals SET message_count = $1 WHERE id = $2")
            .bind(deal::MESSAGES_PER_DEAL_MAX as i64)
            .bind(deal.deal.id)
            .execute(store.pool())
            .await
            .expect("fill");
        let full = market.add_message(&deal, owner, "one more", later + 1).await;
        assert!(matches!(full, Err(MarketError::Deal(deal::DealError::ConversationFull))), "{full:?}");
    };
}
