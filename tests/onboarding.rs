//! Onboarding: a newcomer joins through a link for one person (a second use is refused), takes
//! the first steps (each shows as done) and appears among the new members; a link for several
//! lets in as many as it says, each asking to join, and no more; the welcome page and the
//! home's first-steps card through the pages.

use commons_tests::both_backends;
use commons_tests::node::{sign_up, Node};
use commons_tests::web::{invite_and_join, set_up, TestServer};
use commons_web::db::MemberStatus;
use commons_web::onboarding::rules::InviteCommand;
use commons_web::people::rules::ProfileExtras;
use commons_web::services::ActionError;

async fn a_newcomer_takes_the_first_steps(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let once = InviteCommand::parse("For Noor", "1", "7").expect("valid");
    let link = services.invite_with(amara, &once).await.expect("a link");
    let version = node.agreements_version().await;
    let (noor, sealing, status, _) = services
        .join(&link, Some(&sign_up("noor")), None, version)
        .await
        .expect("joins");
    assert_eq!(
        status,
        MemberStatus::Active,
        "a steward's link for one opens the account"
    );
    assert!(matches!(
        services
            .join(&link, Some(&sign_up("omar")), None, version)
            .await,
        Err(ActionError::InvitationGone)
    ));
    let noor = node.act_as(&noor, sealing).await.expect("acts");
    let steps = services.first_steps(&noor).await.expect("steps");
    assert_eq!(steps.count_done(), 0);
    assert!(services
        .welcome_on_home(&noor)
        .await
        .expect("home")
        .is_some());
    // Skills, an offer, a hello in the Introductions thread, the news: every step is done.
    let extras = ProfileExtras::parse("knitting", "", "", false).expect("valid");
    services
        .save_profile_extras(&noor.user, &extras)
        .await
        .expect("saved");
    node.try_post(&noor, "offer", "Knitted hats", "Warm ones.")
        .await
        .expect("offered");
    let welcome = services.welcome(&noor).await.expect("welcome");
    let intro = welcome.introductions.expect("the Introductions thread");
    services
        .reply_thread(&noor, intro, "Hello, I'm Noor and I knit.")
        .await
        .expect("said hello");
    services.news(&noor, None).await.expect("read the news");
    let steps = services.first_steps(&noor).await.expect("steps");
    assert!(steps.all_done(), "{steps:?}");
    assert!(services
        .welcome_on_home(&noor)
        .await
        .expect("home")
        .is_none());
    // Noor is among the new members on others' homes.
    let ben = node.member("ben").await;
    let pulse = services.pulse(&ben).await.expect("pulse");
    assert!(pulse.newcomers.iter().any(|(p, _)| p.username == "noor"));
}

async fn a_link_for_several_lets_in_as_many_as_it_says(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let group = InviteCommand::parse("The allotment group", "2", "").expect("valid");
    let link = services.invite_with(amara, &group).await.expect("a link");
    let version = node.agreements_version().await;
    for name in ["pia", "quinn"] {
        let (_, _, status, _) = services
            .join(&link, Some(&sign_up(name)), None, version)
            .await
            .expect("joins");
        assert_eq!(status, MemberStatus::Pending, "each asks; a steward admits");
    }
    assert!(matches!(
        services
            .join(&link, Some(&sign_up("rory")), None, version)
            .await,
        Err(ActionError::InvitationGone)
    ));
    // A link past its days lets nobody in.
    let short = InviteCommand::parse("", "5", "1").expect("valid");
    let link = services.invite_with(amara, &short).await.expect("a link");
    services.store().advance_clock(2 * 24 * 60 * 60 * 1000);
    assert!(matches!(
        services
            .join(&link, Some(&sign_up("sam")), None, version)
            .await,
        Err(ActionError::InvitationGone)
    ));
    // Members may not make links for several: a leaked group link must not let strangers vouch.
    let ben = node.member("ben").await;
    assert!(matches!(
        services.invite_with(&ben, &group).await,
        Err(ActionError::Forbidden)
    ));
}

both_backends! {
    a_newcomer_joins_by_a_link_for_one_takes_every_first_step_and_is_welcomed_as_new => a_newcomer_takes_the_first_steps;
    a_link_for_several_lets_in_as_many_as_it_says_each_asking_and_none_after_it_expires => a_link_for_several_lets_in_as_many_as_it_says;
}

/// Through the pages: a steward makes a link for two; the invitations page lists its uses; a
/// newcomer joining by a link lands on the welcome page; the home shows the first steps.
#[tokio::test]
async fn the_welcome_page_and_the_first_steps_through_the_pages() {
    let db = commons_tests::TestDb::sqlite();
    let server = TestServer::start(&db.url).await;
    let mut amara = set_up(&server).await;
    let refused = amara
        .submit(
            "/c/garden/invitations",
            "/c/garden/invitations",
            &[("note", ""), ("uses", "500"), ("days", "14")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("between 1 and 100"),
        "{}",
        refused.body
    );
    let made = amara
        .submit(
            "/c/garden/invitations",
            "/c/garden/invitations",
            &[("note", "Seed swap table"), ("uses", "2"), ("days", "7")],
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    assert!(made.body.contains("0 of 2 used"), "{}", made.body);
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Adeyemi").await;
    let welcome = ben.get("/c/garden/welcome").await;
    assert_eq!(welcome.status, 200);
    assert!(welcome.body.contains("How our credit works"));
    assert!(welcome
        .body
        .contains("Say hello in the Introductions discussion"));
    let home = ben.get("/c/garden").await;
    assert!(home.body.contains("Your first steps"), "{}", home.body);
    assert!(home.body.contains("0 of 4 done"));
    let outside = server.client().get("/c/garden/welcome").await;
    assert!(outside.url.contains("/login"), "{}", outside.url);
}
