//! Blocks and mutes, through the services on both backends and once through the pages: a block
//! keeps two members apart both ways (market, matches, events, deals, messages, comments), a
//! mute hides only from the one who muted, both are private, and undoing restores everything.

use commons_tests::both_backends;
use commons_tests::full;
use commons_tests::node::Node;
use commons_tests::web::{invite_and_join, set_up, TestServer};
use commons_web::db::BlockKind;
use commons_web::names::Username;
use commons_web::services::{ActionError, Actor};

/// A live listing: an offer or a need of a skill.
async fn post(node: &Node, actor: &Actor, side: &str, title: &str) -> i64 {
    let description = format!("{title}, in the neighbourhood.");
    node.try_post(actor, side, title, &description)
        .await
        .expect("posted")
}

/// The listing ids a member finds when browsing the market.
async fn market_of(node: &Node, actor: &Actor) -> Vec<i64> {
    node.market_ids(actor).await
}

fn username(text: &str) -> Username {
    text.parse().expect("a username")
}

async fn a_block_keeps_two_members_apart_both_ways(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    let bens = post(&node, &ben, "offer", "I fix bicycles").await;
    let caras = post(&node, &cara, "need", "Fix my bicycle brakes").await;
    let matches = services
        .matches_for(&cara, caras, 10)
        .await
        .expect("matches");
    assert!(
        matches.iter().any(|(_, l)| l.id == bens),
        "they match before any block"
    );

    services
        .block(&cara, &username("ben"), BlockKind::Block)
        .await
        .expect("blocked");
    assert!(
        !market_of(&node, &cara).await.contains(&bens),
        "cara no longer sees ben's offer"
    );
    assert!(
        !market_of(&node, &ben).await.contains(&caras),
        "nor ben cara's need: a block works both ways"
    );
    let amara = &node.steward;
    let everyone = market_of(&node, amara).await;
    assert!(
        everyone.contains(&bens) && everyone.contains(&caras),
        "others see both"
    );
    let matches = services
        .matches_for(&cara, caras, 10)
        .await
        .expect("matches");
    assert!(
        !matches.iter().any(|(_, l)| l.id == bens),
        "matches skip the pair"
    );
    assert!(matches!(
        services.listing(&cara, bens).await,
        Err(ActionError::NotFound)
    ));
    assert!(matches!(
        services.listing(&ben, caras).await,
        Err(ActionError::NotFound)
    ));
    assert!(
        matches!(
            services.open_deal(&ben, caras, "I can help").await,
            Err(ActionError::NotFound)
        ),
        "no deal across a block"
    );
    assert!(services
        .listings_by(&cara, ben.user.id)
        .await
        .expect("listings")
        .is_empty());

    // Comments: neither reads the other's.
    let proposal = node
        .proposal_in_discussion(amara, "A repair café", "Once a month.")
        .await;
    services
        .comment(&ben, proposal.number, None, "I can bring tools.")
        .await
        .expect("comment");
    services
        .comment(&cara, proposal.number, None, "Count me in.")
        .await
        .expect("comment");
    let authors = |view: commons_web::governance::ProposalView| -> Vec<i64> {
        view.comments.iter().map(|(c, _)| c.author).collect()
    };
    let seen_by_cara = authors(
        services
            .proposal_view(&cara, proposal.number)
            .await
            .expect("view"),
    );
    assert_eq!(seen_by_cara, vec![cara.user.id], "cara does not read ben");
    let seen_by_ben = authors(
        services
            .proposal_view(&ben, proposal.number)
            .await
            .expect("view"),
    );
    assert_eq!(seen_by_ben, vec![ben.user.id], "ben does not read cara");
    let seen_by_amara = authors(
        services
            .proposal_view(amara, proposal.number)
            .await
            .expect("view"),
    );
    assert_eq!(seen_by_amara.len(), 2);

    // Only the one who blocked can undo it: ben's undo finds nothing of his, and the block
    // stays.
    assert!(matches!(
        services.unblock(&full(&ben.user), cara.user.id).await,
        Err(ActionError::NotFound)
    ));
    assert!(
        !market_of(&node, &cara).await.contains(&bens),
        "still blocked"
    );

    // Private: ben is told nothing, and undoing restores everything.
    assert_eq!(
        services
            .my_block_of(&ben, cara.user.id)
            .await
            .expect("read"),
        None
    );
    assert!(services
        .my_blocks(&ben.user)
        .await
        .expect("read")
        .is_empty());
    services
        .unblock(&full(&cara.user), ben.user.id)
        .await
        .expect("undone");
    assert!(market_of(&node, &cara).await.contains(&bens));
    assert!(services.open_deal(&ben, caras, "I can help").await.is_ok());
}

async fn a_mute_hides_only_from_the_one_who_muted(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    let bens = post(&node, &ben, "offer", "I fix bicycles").await;
    let caras = post(&node, &cara, "need", "Fix my bicycle brakes").await;
    services
        .block(&cara, &username("ben"), BlockKind::Mute)
        .await
        .expect("muted");
    assert!(
        !market_of(&node, &cara).await.contains(&bens),
        "hidden from cara"
    );
    assert!(
        market_of(&node, &ben).await.contains(&caras),
        "ben still sees cara"
    );
    assert!(
        services
            .open_deal(&cara, bens, "Still need this")
            .await
            .is_ok(),
        "a mute does not stop a deal"
    );
    assert_eq!(
        services
            .my_block_of(&cara, ben.user.id)
            .await
            .expect("read"),
        Some(BlockKind::Mute)
    );
}

async fn a_block_closes_the_messages_of_an_open_deal(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    let bens = post(&node, &ben, "offer", "I fix bicycles").await;
    let deal = services
        .open_deal(&cara, bens, "Hello!")
        .await
        .expect("opened");
    services
        .block(&ben, &username("cara"), BlockKind::Block)
        .await
        .expect("blocked");
    for (who, text) in [(&cara, "Are you there?"), (&ben, "Bye")] {
        let refused = services.deal_message(who, deal.deal.id, text).await;
        assert!(
            matches!(
                refused,
                Err(ActionError::Invalid {
                    field: "message",
                    message_id: "deal-error-messages-closed"
                })
            ),
            "{refused:?}"
        );
    }
}

async fn nobody_blocks_themselves_or_a_stranger(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let ben = node.member("ben").await;
    assert!(services
        .block(&ben, &username("ben"), BlockKind::Block)
        .await
        .is_err());
    assert!(matches!(
        services
            .block(&ben, &username("nobody"), BlockKind::Block)
            .await,
        Err(ActionError::Invalid {
            field: "member",
            ..
        })
    ));
    assert!(matches!(
        services
            .unblock(&full(&ben.user), node.steward.user.id)
            .await,
        Err(ActionError::NotFound)
    ));
}

both_backends! {
    a_block_keeps_two_members_apart_in_the_market_matches_deals_and_discussions => a_block_keeps_two_members_apart_both_ways;
    a_mute_hides_the_other_only_from_the_one_who_muted_and_deals_stay_open => a_mute_hides_only_from_the_one_who_muted;
    a_block_closes_the_messages_of_a_deal_already_open_for_both => a_block_closes_the_messages_of_an_open_deal;
    nobody_blocks_themselves_a_stranger_or_undoes_what_they_did_not_choose => nobody_blocks_themselves_or_a_stranger;
}

/// Through the pages: the controls on a member's page, the flash, the list in settings with its
/// undo, and nothing on the other's side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_from_a_members_page_is_listed_in_settings_and_undone_there() {
    let db = commons_tests::TestDb::sqlite();
    let server = TestServer::start(&db.url).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Adler").await;
    let page = amara.get("/c/garden/members/ben").await;
    assert!(page.body.contains("Block or mute"), "{}", page.body);
    let page = amara
        .submit(
            "/c/garden/members/ben",
            "/c/garden/members/ben/block",
            &[("choice", "block")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("You blocked Ben Adler"), "{}", page.body);
    let settings = amara.get("/settings/data").await;
    assert!(settings.body.contains("Ben Adler"), "listed in settings");
    let bens_view = ben.get("/c/garden/members/amara").await;
    assert!(
        bens_view.body.contains("Block Amara Okafor") && !bens_view.body.contains("You blocked"),
        "the other is told nothing: their page offers what it offers anyone"
    );
    let junk = amara
        .submit(
            "/c/garden/members/ben",
            "/c/garden/members/ben/block",
            &[("choice", "smite")],
        )
        .await;
    assert_eq!(junk.status, 400, "an unknown choice changes nothing");
    let other = commons_tests::web::hidden_in(&settings.body, "other").expect("an undo form");
    let page = amara
        .submit("/settings", "/settings/blocks/remove", &[("other", &other)])
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("You have not blocked or muted anyone."),
        "{}",
        page.body
    );
    server.stop().await;
}
