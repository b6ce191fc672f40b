//! The circle's home shows the circle alive: the latest news, events soon, new offers and
//! needs, decisions open, new members, and the member's money smaller beside them. Each reader
//! sees it without what they blocked or muted and without hidden items; an empty circle
//! invites the first steps; outsiders see nothing.

use commons_tests::both_backends;
use commons_tests::node::Node;
use commons_tests::web::{invite_and_join, set_up, TestServer};
use commons_web::db::BlockKind;
use commons_web::names::Username;
use commons_web::news::rules::NewsCommand;

fn news(title: &str) -> NewsCommand {
    NewsCommand::parse(title, "Come along.", false, false).expect("a valid post")
}

async fn the_home_gathers_what_is_happening(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let ben = node.member("ben").await;
    let empty = services.pulse(&ben).await.expect("pulse");
    assert!(empty.news.is_empty() && empty.listings.is_empty() && empty.events.is_empty());
    assert_eq!(
        empty
            .newcomers
            .iter()
            .map(|(p, _)| p.username.as_str())
            .collect::<Vec<_>>(),
        ["ben", "amara"],
        "everyone joined this month, newest first"
    );
    services
        .publish_news(amara, &news("Seed swap on Sunday"))
        .await
        .expect("published");
    let offer = node
        .try_post(&ben, "offer", "Bike repairs", "I fix bikes.")
        .await
        .expect("posted");
    node.proposal_in_discussion(amara, "A repair café", "Once a month.")
        .await;
    let cara = node.member("cara").await;
    let pulse = services.pulse(&cara).await.expect("pulse");
    assert_eq!(pulse.news[0].title, "Seed swap on Sunday", "news at once");
    assert_eq!(pulse.listings[0].listing.id, offer, "the new offer at once");
    assert_eq!(pulse.discussing[0].draft.title, "A repair café");
    assert_eq!(pulse.newcomers[0].0.username, "cara");
    assert!(!pulse.may_post_news, "members post news only if allowed");
    assert!(services.pulse(amara).await.expect("pulse").may_post_news);
}

async fn a_home_leaves_out_what_its_reader_blocked_or_may_not_see(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    let offer = node
        .try_post(&ben, "offer", "Bike repairs", "I fix bikes.")
        .await
        .expect("posted");
    services
        .set_members_may_post_news(amara, true)
        .await
        .expect("allowed");
    services
        .publish_news(&ben, &news("Ben's news"))
        .await
        .expect("published");
    let before = services.pulse(&cara).await.expect("pulse");
    assert_eq!(before.listings.len(), 1);
    let username: Username = "ben".parse().expect("a username");
    services
        .block(&cara, &username, BlockKind::Block)
        .await
        .expect("blocked");
    let after = services.pulse(&cara).await.expect("pulse");
    assert!(after.listings.is_empty() && after.news.is_empty());
    assert!(
        after.newcomers.iter().all(|(p, _)| p.username != "ben"),
        "a blocked member is not offered to welcome"
    );
    let amara_sees = services.pulse(amara).await.expect("pulse");
    assert_eq!(
        amara_sees.listings[0].listing.id, offer,
        "others still see it"
    );
    // A moderator hides the offer: others no longer see it on the home; its author does.
    let eli = node.member("eli").await;
    node.report(
        &eli,
        commons_governance::moderation::TargetKind::Listing,
        &offer.to_string(),
        vec![],
        "Not allowed here.",
    )
    .await;
    let dana = node.member("dana").await;
    node.report(
        &dana,
        commons_governance::moderation::TargetKind::Listing,
        &offer.to_string(),
        vec![],
        "Spam.",
    )
    .await;
    let case = services.queue(amara).await.expect("queue")[0].case.id;
    let hide = commons_web::moderation::service::ActCommand {
        kind: commons_governance::moderation::ActionKind::Hide,
        agreements: vec![],
        reason: "Spam.".into(),
        ends_at_ms: None,
    };
    services.act(amara, case, &hide).await.expect("hidden");
    assert!(services
        .pulse(&dana)
        .await
        .expect("pulse")
        .listings
        .is_empty());
    assert_eq!(
        services.pulse(&ben).await.expect("pulse").listings[0]
            .listing
            .id,
        offer,
        "its author still sees it"
    );
}

both_backends! {
    the_home_shows_news_offers_decisions_and_new_members_as_soon_as_they_happen => the_home_gathers_what_is_happening;
    the_home_leaves_out_blocked_members_and_hidden_items => a_home_leaves_out_what_its_reader_blocked_or_may_not_see;
}

/// Through the pages: an empty circle's home invites the first steps; news posted by the
/// steward appears on a member's home; someone from another circle is refused.
#[tokio::test]
async fn the_home_page_shows_the_circle_and_invites_the_first_steps() {
    let db = commons_tests::TestDb::sqlite();
    let server = TestServer::start(&db.url).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Adeyemi").await;
    let home = ben.get("/c/garden").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("No news yet"), "{}", home.body);
    assert!(home.body.contains("Offer something"));
    assert!(home.body.contains("Make a proposal"));
    assert!(
        home.body.contains("Ben Adeyemi"),
        "the newcomer is welcomed"
    );
    assert!(home.body.contains("Balance"), "the money stays");
    let published = amara
        .submit(
            "/c/garden/news/new",
            "/c/garden/news",
            &[("title", "Seed swap"), ("body", "On Sunday.")],
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.body);
    let home = ben.get("/c/garden").await;
    assert!(home.body.contains("Seed swap"));
    assert!(!home.body.contains("No news yet"));
    // Someone who is not a member sees nothing of it.
    let outside = server.client().get("/c/garden").await;
    assert!(outside.url.contains("/login"), "{}", outside.url);
    assert!(!outside.body.contains("Seed swap"));
}
