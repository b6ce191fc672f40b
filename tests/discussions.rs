//! Discussions, through the services on both backends and once through the pages: every circle
//! opens with categories and an "Introductions" thread; members start threads and reply;
//! followers are told of replies, muters are not; "seen by" and what is new follow each
//! reader; a thread becomes a proposal once, by its author or a steward; stewards edit the
//! categories; blocks and moderation cover threads and replies; outsiders see nothing.

use commons_tests::both_backends;
use commons_tests::node::Node;
use commons_tests::web::{invite_and_join, set_up, TestServer};
use commons_web::db::discussions::FollowMode;
use commons_web::db::BlockKind;
use commons_web::discussions::rules::{CategoryCommand, Freshness, ThreadCommand};
use commons_web::notifications::NotificationKind;
use commons_web::services::{ActionError, Actor};

fn thread(category: i64, title: &str, body: &str) -> ThreadCommand {
    ThreadCommand::parse(&category.to_string(), title, body).expect("a valid thread")
}

async fn first_category(node: &Node, actor: &Actor) -> i64 {
    node.state
        .services
        .discussion_categories(actor)
        .await
        .expect("categories")[0]
        .id
}

async fn replies_told(node: &Node, actor: &Actor) -> usize {
    node.state
        .services
        .node_db()
        .notifications(actor.user.id, 50)
        .await
        .expect("notifications")
        .iter()
        .filter(|n| n.kind == NotificationKind::Reply)
        .count()
}

async fn a_discussion_becomes_a_proposal(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    let category = first_category(&node, &ben).await;
    let id = services
        .start_thread(
            &ben,
            &thread(
                category,
                "A tool library?",
                "One shared set of tools at the hall.",
            ),
        )
        .await
        .expect("started");
    services
        .reply_thread(&cara, id, "I can give a shelf.")
        .await
        .expect("replied");
    services
        .set_thread_follow(&cara, id, Some(FollowMode::Follow))
        .await
        .expect("follows");
    assert_eq!(replies_told(&node, &ben).await, 1, "the author follows");
    // Cara may not turn Ben's thread into a proposal; Ben may, once.
    let tr = node.state.catalogues.translator("en");
    assert!(matches!(
        services.thread_to_proposal(&cara, &tr, id).await,
        Err(ActionError::Forbidden)
    ));
    let number = services
        .thread_to_proposal(&ben, &tr, id)
        .await
        .expect("proposed");
    let proposal = services
        .proposal_view(&ben, number)
        .await
        .expect("the draft")
        .proposal;
    assert_eq!(proposal.draft.title, "A tool library?");
    assert!(proposal
        .draft
        .body
        .starts_with("One shared set of tools at the hall."));
    assert!(proposal
        .draft
        .body
        .contains(&format!("/c/riverside/discussions/{id}")));
    let page = services.thread_page(&cara, id).await.expect("page");
    assert_eq!(page.thread.proposal_number, Some(number));
    assert!(matches!(
        services.thread_to_proposal(&ben, &tr, id).await,
        Err(ActionError::Forbidden)
    ));
}

async fn every_circle_opens_with_introductions(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let ben = node.member("ben").await;
    let list = services.threads(&ben, None, 0).await.expect("threads");
    assert_eq!(list.categories.len(), 3, "three categories to start");
    assert_eq!(list.threads.len(), 1);
    let intro = &list.threads[0].thread;
    assert_eq!(intro.title, "Introductions");
    assert!(intro.pinned);
    assert_eq!(
        intro.author_id, node.steward.user.id,
        "opened by the founder"
    );
    assert_eq!(list.threads[0].freshness, Freshness::Unopened);
    services
        .reply_thread(&ben, intro.id, "Hello, I'm Ben.")
        .await
        .expect("introduced");
    assert_eq!(
        replies_told(&node, &node.steward).await,
        1,
        "the founder hears every introduction"
    );
}

async fn followers_hear_muters_do_not_and_readers_are_counted(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (ben, cara, dana) = (
        node.member("ben").await,
        node.member("cara").await,
        node.member("dana").await,
    );
    let category = first_category(&node, &ben).await;
    let id = services
        .start_thread(&ben, &thread(category, "Compost?", "Mine smells."))
        .await
        .expect("started");
    services
        .reply_thread(&cara, id, "More leaves.")
        .await
        .expect("replied");
    // Cara replied, so she follows; she mutes it, then Dana's reply tells only Ben.
    services
        .set_thread_follow(&cara, id, Some(FollowMode::Mute))
        .await
        .expect("muted");
    services
        .reply_thread(&dana, id, "Turn it weekly.")
        .await
        .expect("replied");
    assert_eq!(replies_told(&node, &ben).await, 2);
    assert_eq!(
        replies_told(&node, &cara).await,
        0,
        "muted, and never told of her own"
    );
    assert_eq!(replies_told(&node, &dana).await, 0);
    // A reply never un-mutes.
    services
        .reply_thread(&cara, id, "Thanks!")
        .await
        .expect("replied");
    let page = services.thread_page(&cara, id).await.expect("page");
    assert_eq!(page.follow, Some(FollowMode::Mute));
    // The home leaves muted threads out.
    let home = services.pulse(&cara).await.expect("pulse");
    assert!(home.discussions.iter().all(|t| t.id != id));
    // Ben has not read the replies yet: they are new to him; reading counts him as seen.
    let list = services.threads(&ben, None, 0).await.expect("threads");
    let item = list
        .threads
        .iter()
        .find(|t| t.thread.id == id)
        .expect("listed");
    assert_eq!(item.freshness, Freshness::NewReplies);
    let before = services
        .thread_page(&dana, id)
        .await
        .expect("page")
        .seen_count;
    let page = services.thread_page(&ben, id).await.expect("page");
    assert_eq!(
        page.seen_count,
        before + 1,
        "Ben joins those who have seen it all"
    );
    let list = services.threads(&ben, None, 0).await.expect("threads");
    assert!(list
        .threads
        .iter()
        .any(|t| t.thread.id == id && t.freshness == Freshness::Seen));
}

async fn stewards_edit_categories_and_members_cannot(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let ben = node.member("ben").await;
    let command = CategoryCommand::parse("Garden", "Seeds, plots and tools").expect("valid");
    assert!(matches!(
        services.add_discussion_category(&ben, &command).await,
        Err(ActionError::Forbidden)
    ));
    let garden = services
        .add_discussion_category(amara, &command)
        .await
        .expect("added");
    let id = services
        .start_thread(&ben, &thread(garden, "Plot 4 is free", "Anyone?"))
        .await
        .expect("started");
    assert!(matches!(
        services.remove_discussion_category(&ben, garden).await,
        Err(ActionError::Forbidden)
    ));
    services
        .remove_discussion_category(amara, garden)
        .await
        .expect("removed");
    let moved = services.thread_page(&ben, id).await.expect("still there");
    assert_ne!(moved.thread.category, garden, "its threads moved");
    // The last category stays.
    let categories = services.discussion_categories(amara).await.expect("list");
    for category in &categories[1..] {
        services
            .remove_discussion_category(amara, category.id)
            .await
            .expect("removed");
    }
    assert!(services
        .remove_discussion_category(amara, categories[0].id)
        .await
        .is_err());
    // A thread in a category the circle does not have is refused.
    assert!(services
        .start_thread(&ben, &thread(garden, "Nowhere", "x"))
        .await
        .is_err());
    // Members neither pin nor change another's thread nor withdraw it.
    let cara = node.member("cara").await;
    assert!(matches!(
        services.pin_thread(&ben, id, true).await,
        Err(ActionError::Forbidden)
    ));
    assert!(matches!(
        services
            .edit_thread(&cara, id, &thread(categories[0].id, "Mine now", "x"))
            .await,
        Err(ActionError::Forbidden)
    ));
    assert!(matches!(
        services.withdraw_thread(&cara, id).await,
        Err(ActionError::Forbidden)
    ));
    services.pin_thread(amara, id, true).await.expect("pinned");
}

async fn blocks_and_moderation_cover_discussions(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    let category = first_category(&node, &ben).await;
    let id = services
        .start_thread(&ben, &thread(category, "Cheap bikes", "Buy now!"))
        .await
        .expect("started");
    let username: commons_web::names::Username = "ben".parse().expect("a username");
    services
        .block(&cara, &username, BlockKind::Block)
        .await
        .expect("blocked");
    assert!(matches!(
        services.thread_page(&cara, id).await,
        Err(ActionError::NotFound)
    ));
    assert!(services
        .threads(&cara, None, 0)
        .await
        .expect("threads")
        .threads
        .iter()
        .all(|t| t.thread.id != id));
    assert!(services.reply_thread(&cara, id, "Hm").await.is_err());
    // A moderator hides the thread: others no longer find it; its author still does.
    let dana = node.member("dana").await;
    node.report(
        &dana,
        commons_governance::moderation::TargetKind::Thread,
        &id.to_string(),
        vec![],
        "An advert.",
    )
    .await;
    let case = services.queue(amara).await.expect("queue")[0].case.id;
    let hide = commons_web::moderation::service::ActCommand {
        kind: commons_governance::moderation::ActionKind::Hide,
        agreements: vec![],
        reason: "Adverts go in the market.".into(),
        ends_at_ms: None,
    };
    services.act(amara, case, &hide).await.expect("hidden");
    assert!(matches!(
        services.thread_page(&dana, id).await,
        Err(ActionError::NotFound)
    ));
    assert!(services.thread_page(&ben, id).await.is_ok());
    // Another circle's thread ids lead nowhere: ids are looked up within the actor's circle.
    assert!(matches!(
        services.thread_page(&dana, id + 1000).await,
        Err(ActionError::NotFound)
    ));
}

async fn search_finds_what_the_reader_may_see(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (gus, hana, ida) = (
        node.member("gus").await,
        node.member("hana").await,
        node.member("ida").await,
    );
    let category = first_category(&node, &gus).await;
    let id = services
        .start_thread(
            &gus,
            &thread(category, "Compost bins", "Who has a spare pallet?"),
        )
        .await
        .expect("started");
    services
        .reply_thread(&hana, id, "I have pallets, and 50% off worms.")
        .await
        .expect("replied");
    services
        .reply_thread(&ida, id, "Pallets from the market on Fridays.")
        .await
        .expect("replied");
    let found = services
        .search_discussions(&gus, "PALLET")
        .await
        .expect("searched");
    assert_eq!(
        found.threads.len(),
        1,
        "the thread by its opening post, whatever the case"
    );
    assert_eq!(found.replies.len(), 2);
    assert!(found
        .replies
        .iter()
        .all(|(_, title)| title == "Compost bins"));
    let found = services
        .search_discussions(&gus, "50%")
        .await
        .expect("searched");
    assert_eq!(found.replies.len(), 1, "a percent sign is a percent sign");
    assert!(services
        .search_discussions(&gus, "5_%")
        .await
        .expect("searched")
        .replies
        .is_empty());

    // Nothing by someone the reader blocked (or who blocked them), nor what a moderator hid.
    services
        .block(&gus, &"hana".parse().expect("name"), BlockKind::Block)
        .await
        .expect("blocked");
    let found = services
        .search_discussions(&gus, "pallet")
        .await
        .expect("searched");
    assert_eq!(found.replies.len(), 1, "hana's reply is not found");
    let theirs = services
        .search_discussions(&hana, "pallet")
        .await
        .expect("searched");
    assert!(theirs.threads.is_empty(), "nor gus's thread by hana");
}

async fn a_reply_is_changed_by_its_author_alone_and_moderators_read_what_it_said_body(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (gus, hana) = (node.member("gus").await, node.member("hana").await);
    let category = first_category(&node, &gus).await;
    let id = services
        .start_thread(&gus, &thread(category, "Soup rota", "Who cooks on Sunday?"))
        .await
        .expect("started");
    let reply = services
        .reply_thread(&hana, id, "You are all hopeless cooks.")
        .await
        .expect("replied");
    let case = node
        .report(
            &gus,
            commons_governance::moderation::TargetKind::Reply,
            &reply.to_string(),
            vec![1],
            "Unkind.",
        )
        .await;
    assert!(
        matches!(
            services.edit_reply(&gus, reply, "Gus rewrote it").await,
            Err(ActionError::NotFound)
        ),
        "nobody changes someone else's reply"
    );
    services
        .edit_reply(&hana, reply, "I can cook on Sunday.")
        .await
        .expect("changed");
    let page = services.thread_page(&gus, id).await.expect("the thread");
    let shown = page
        .replies
        .iter()
        .find(|r| r.id == reply)
        .expect("the reply");
    assert_eq!(shown.body, "I can cook on Sunday.");
    assert!(shown.edited_at_ms.is_some(), "shown as edited");
    let view = services
        .case_view(&node.steward, case)
        .await
        .expect("the case");
    assert_eq!(view.earlier.len(), 1);
    assert_eq!(view.earlier[0].body, "You are all hopeless cooks.");
    assert!(
        view.case.snapshot.contains("hopeless"),
        "the case keeps what was reported"
    );
}

both_backends! {
    a_search_finds_threads_and_replies_the_reader_may_see_and_nothing_else => search_finds_what_the_reader_may_see;
    a_reply_is_changed_by_its_author_alone_and_moderators_read_what_it_said => a_reply_is_changed_by_its_author_alone_and_moderators_read_what_it_said_body;
    a_member_starts_a_discussion_another_replies_and_follows_and_the_first_turns_it_into_a_proposal => a_discussion_becomes_a_proposal;
    every_circle_opens_with_three_categories_and_a_pinned_introductions_thread => every_circle_opens_with_introductions;
    followers_are_told_of_replies_muters_are_not_and_readers_are_counted_as_seen => followers_hear_muters_do_not_and_readers_are_counted;
    only_stewards_edit_categories_pin_threads_and_the_last_category_stays => stewards_edit_categories_and_members_cannot;
    blocks_and_moderation_cover_threads_like_everything_else => blocks_and_moderation_cover_discussions;
}

/// Through the pages, as a keyboard or no-JavaScript user would: start a thread, reply, follow,
/// turn it into a proposal; every form needs its CSRF token; outsiders are sent to log in.
#[tokio::test]
async fn discussions_work_through_plain_forms() {
    let db = commons_tests::TestDb::sqlite();
    let server = TestServer::start(&db.url).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Adeyemi").await;
    let list = ben.get("/c/garden/discussions").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Introductions"), "{}", list.body);
    let form = ben.get("/c/garden/discussions/new").await;
    let category = form
        .body
        .split("option value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a category option")
        .to_owned();
    let empty = ben
        .submit(
            "/c/garden/discussions/new",
            "/c/garden/discussions",
            &[("category", &category), ("title", ""), ("body", "")],
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("Give the discussion a title"));
    let started = ben
        .submit(
            "/c/garden/discussions/new",
            "/c/garden/discussions",
            &[
                ("category", &category),
                ("title", "Seed swap?"),
                ("body", "Shall we swap *seeds* in March?"),
            ],
        )
        .await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert!(started.body.contains("<em>seeds</em>"));
    let path = format!(
        "/c/garden{}",
        started
            .url
            .split("/c/garden")
            .nth(1)
            .expect("a thread path")
    );
    let replied = amara
        .submit(
            &path,
            &format!("{path}/replies"),
            &[("reply", "Yes! I have beans.")],
        )
        .await;
    assert_eq!(replied.status, 200);
    assert!(replied.body.contains("I have beans"));
    let followed = amara
        .submit(&path, &format!("{path}/follow"), &[("mode", "follow")])
        .await;
    assert!(followed.body.contains("You follow this discussion"));
    let refused = amara
        .post_without_csrf(&format!("{path}/replies"), &[("reply", "forged")])
        .await;
    assert_eq!(refused.status, 403);
    let proposed = ben.submit(&path, &format!("{path}/proposal"), &[]).await;
    assert_eq!(proposed.status, 200, "{}", proposed.body);
    assert!(proposed.url.contains("/proposals/"), "{}", proposed.url);
    assert!(proposed.body.contains("Seed swap?"));
    assert_eq!(
        ben.get("/c/garden/discussions/categories").await.status,
        403,
        "members do not edit categories"
    );
    assert_eq!(
        amara.get("/c/garden/discussions/categories").await.status,
        200
    );
    let outside = server.client().get(&path).await;
    assert!(outside.url.contains("/login"), "{}", outside.url);
}
