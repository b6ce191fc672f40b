//! Local time and local numbers: each circle has a time zone its stewards choose (a zone the
//! node does not know is refused); its pages write times in it, its events are compared with
//! its clock; Spanish pages write a decimal comma.

use commons_market::event::LocalTime;
use commons_tests::both_backends;
use commons_tests::node::Node;
use commons_tests::web::{invite_and_join, set_up, TestServer};
use commons_web::services::ActionError;

const HOUR_MS: i64 = 3_600_000;

async fn post_event(node: &Node, title: &str, starts: LocalTime) {
    let services = &node.state.services;
    let input = commons_web::market::ListingInput {
        side: "offer".into(),
        kind: "event".into(),
        title: title.into(),
        description: "Come along.".into(),
        category: "repairs/bikes".into(),
        value_kind: "gift".into(),
        starts: starts.to_input(),
        ends: LocalTime::from_ms(starts.0 * 60_000 + 2 * HOUR_MS).to_input(),
        place: "The hall".into(),
        ..commons_web::market::ListingInput::default()
    };
    let draft = services
        .parse_listing(
            &node.steward,
            &input,
            commons_market::text::Language::English,
        )
        .await
        .expect("parses")
        .expect("valid");
    services
        .create_listing(&node.steward, &draft)
        .await
        .expect("posted");
}

async fn events_follow_the_circles_clock(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    services
        .set_time_zone(amara, "Asia/Tokyo")
        .await
        .expect("a zone");
    // Tokyo is nine hours ahead of UTC: an event that ended an hour ago there is over, though
    // on UTC's clock its end is still eight hours away.
    let tokyo_now_ms = services.now_ms() + 9 * HOUR_MS;
    post_event(
        &node,
        "Ended an hour ago",
        LocalTime::from_ms(tokyo_now_ms - 3 * HOUR_MS),
    )
    .await;
    post_event(
        &node,
        "Later today",
        LocalTime::from_ms(tokyo_now_ms + 2 * HOUR_MS),
    )
    .await;
    let titles: Vec<String> = services
        .events(amara)
        .await
        .expect("events")
        .into_iter()
        .map(|card| card.listing.title)
        .collect();
    assert_eq!(titles, ["Later today"]);
    let calendar = services.calendar(
        "https://node.example",
        amara,
        &[],
        &services.circle_zone(&amara.circle).await.expect("zone"),
    );
    assert!(calendar.contains("X-WR-TIMEZONE:Asia/Tokyo"), "{calendar}");
    // A zone the node does not know is refused; members do not choose it.
    assert!(services.set_time_zone(amara, "Mars/Olympus").await.is_err());
    let ben = node.member("ben").await;
    assert!(matches!(
        services.set_time_zone(&ben, "Europe/Madrid").await,
        Err(ActionError::Forbidden)
    ));
}

both_backends! {
    events_are_compared_with_the_circles_clock_and_only_stewards_choose_a_known_zone => events_follow_the_circles_clock;
}

/// Through the pages: a steward sets Madrid's time zone and the circle's times follow it; a
/// Spanish reader sees a decimal comma.
#[tokio::test]
async fn times_follow_the_circles_zone_and_numbers_the_readers_language() {
    let db = commons_tests::TestDb::sqlite();
    let server = TestServer::start(&db.url).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Adeyemi").await;
    let agreements = "We treat each other with care.";
    let refused = amara
        .submit(
            "/c/garden/steward/settings",
            "/c/garden/steward/settings",
            &[("agreements", agreements), ("time_zone", "Mars/Olympus")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("does not know that time zone"),
        "{}",
        refused.body
    );
    let saved = amara
        .submit(
            "/c/garden/steward/settings",
            "/c/garden/steward/settings",
            &[("agreements", agreements), ("time_zone", "Europe/Madrid")],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let paid = ben
        .submit(
            "/c/garden/pay",
            "/c/garden/pay",
            &[("member", "amara"), ("amount", "1,5"), ("memo", "Seeds")],
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    let ledger = ben.get("/c/garden/ledger").await;
    assert!(
        ledger.body.contains(" CET") || ledger.body.contains(" CEST"),
        "times in Madrid: {}",
        ledger.body
    );
    assert!(!ledger.body.contains(" UTC<"), "no longer in UTC");
    let spanish = ben
        .submit("/c/garden", "/language", &[("language", "es")])
        .await;
    assert_eq!(spanish.status, 200);
    let home = ben.get("/c/garden").await;
    assert!(
        home.body.contains("-1,50 h"),
        "a decimal comma: {}",
        home.body
    );
}
