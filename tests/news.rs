//! News and announcements, through the services on both backends and once through the pages:
//! stewards post, pin and announce (every member is notified); members post only when the
//! circle allows, and never pin or announce; members comment; blocks, moderation and held
//! posts cover news like everything else; outsiders see nothing.

use commons_tests::both_backends;
use commons_tests::node::Node;
use commons_tests::web::{invite_and_join, set_up, TestServer};
use commons_web::db::BlockKind;
use commons_web::moderation::service::ActCommand;
use commons_web::news::rules::NewsCommand;
use commons_web::notifications::NotificationKind;
use commons_web::services::{ActionError, Actor};

fn news(title: &str, body: &str, pinned: bool, announce: bool) -> NewsCommand {
    NewsCommand::parse(title, body, pinned, announce).expect("a valid post")
}

async fn titles(node: &Node, actor: &Actor) -> Vec<String> {
    node.state
        .services
        .news(actor, None)
        .await
        .expect("news")
        .0
        .into_iter()
        .map(|post| post.title)
        .collect()
}

async fn posting_pinning_and_announcing(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    services
        .publish_news(amara, &news("Older news", "First.", false, false))
        .await
        .expect("published");
    let pinned = services
        .publish_news(
            amara,
            &news("Market on Saturday", "Bring **tools**.", true, true),
        )
        .await
        .expect("announced");
    services
        .publish_news(amara, &news("Newest", "Last.", false, false))
        .await
        .expect("published");
    assert_eq!(
        titles(&node, &ben).await,
        ["Market on Saturday", "Newest", "Older news"],
        "pinned first, then newest"
    );
    let kinds: Vec<NotificationKind> = services
        .node_db()
        .notifications(cara.user.id, 50)
        .await
        .expect("notifications")
        .into_iter()
        .map(|n| n.kind)
        .collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == NotificationKind::News)
            .count(),
        1,
        "only the announcement notifies"
    );
    // Members post only when the circle allows, and never pin or announce.
    assert!(matches!(
        services
            .publish_news(&ben, &news("Mine", "Hello", false, false))
            .await,
        Err(ActionError::Forbidden)
    ));
    services
        .set_members_may_post_news(amara, true)
        .await
        .expect("allowed");
    assert!(matches!(
        services
            .publish_news(&ben, &news("Mine", "Hello", false, true))
            .await,
        Err(ActionError::Forbidden)
    ));
    let bens = services
        .publish_news(&ben, &news("Mine", "Hello", false, false))
        .await
        .expect("a member posts");
    assert!(
        services.pin_news(&ben, bens, true).await.is_err(),
        "members do not pin"
    );
    assert!(
        services.withdraw_news(&cara, bens).await.is_err(),
        "nor withdraw others' posts"
    );
    services
        .withdraw_news(&ben, bens)
        .await
        .expect("the author withdraws");
    assert!(!titles(&node, &cara).await.contains(&"Mine".to_owned()));
    assert!(
        services
            .set_members_may_post_news(&ben, false)
            .await
            .is_err(),
        "a steward's setting"
    );
    // Comments, with the author's block respected.
    services
        .comment_news(&ben, pinned, "I'll bring a saw.")
        .await
        .expect("comment");
    services
        .comment_news(&cara, pinned, "Cakes from me.")
        .await
        .expect("comment");
    services
        .block(&cara, &"ben".parse().expect("a username"), BlockKind::Block)
        .await
        .expect("blocked");
    let seen = services.news_page(&cara, pinned).await.expect("page");
    assert_eq!(seen.comments.len(), 1, "cara no longer reads ben's comment");
    assert!(services.news_page(&cara, 999).await.is_err());
}

async fn moderated_news(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    services
        .set_members_may_post_news(amara, true)
        .await
        .expect("allowed");
    let post = services
        .publish_news(&ben, &news("Cheap bikes", "Buy now!", false, false))
        .await
        .expect("published");
    node.report(
        &cara,
        commons_governance::moderation::TargetKind::News,
        &post.to_string(),
        vec![3],
        "An advert.",
    )
    .await;
    let case = services.queue(amara).await.expect("queue")[0].case.id;
    let hide = ActCommand {
        kind: commons_governance::moderation::ActionKind::Hide,
        agreements: vec![3],
        reason: "Adverts are not news.".into(),
        ends_at_ms: None,
    };
    services.act(amara, case, &hide).await.expect("hidden");
    assert!(!titles(&node, &cara)
        .await
        .contains(&"Cheap bikes".to_owned()));
    assert!(matches!(
        services.news_page(&cara, post).await,
        Err(ActionError::NotFound)
    ));
    assert!(
        services.news_page(&ben, post).await.is_ok(),
        "its author still reads it"
    );
    // A suspended member comments on nothing.
    let steward_post = services
        .publish_news(amara, &news("Garden day", "Sunday.", false, false))
        .await
        .expect("published");
    node.report(
        &cara,
        commons_governance::moderation::TargetKind::Member,
        "ben",
        vec![],
        "Spam.",
    )
    .await;
    let case = services.queue(amara).await.expect("queue")[0].case.id;
    let suspend = ActCommand {
        kind: commons_governance::moderation::ActionKind::Suspend,
        agreements: vec![],
        reason: "Spam.".into(),
        ends_at_ms: Some(services.now_ms() + 86_400_000),
    };
    services
        .act(amara, case, &suspend)
        .await
        .expect("suspended");
    let ben = services
        .actor(&ben.user, commons_tests::node::SLUG, ben.session)
        .await
        .expect("member");
    assert!(matches!(
        services.comment_news(&ben, steward_post, "Hello").await,
        Err(ActionError::Suspended(_))
    ));
}

both_backends! {
    stewards_post_pin_and_announce_and_members_post_and_comment_as_the_circle_allows => posting_pinning_and_announcing;
    reports_hides_and_suspensions_cover_news_like_everything_else => moderated_news;
}

/// Through the pages: a steward publishes, a member reads and comments, the forms need CSRF,
/// members cannot reach the form, outsiders see nothing.
#[tokio::test]
async fn news_is_published_read_and_commented_through_the_pages() {
    let db = commons_tests::TestDb::sqlite();
    let server = TestServer::start(&db.url).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Adeyemi").await;
    let empty = amara
        .submit(
            "/c/garden/news/new",
            "/c/garden/news",
            &[("title", ""), ("body", "")],
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("Give the post a title"));
    let page = amara
        .submit(
            "/c/garden/news/new",
            "/c/garden/news",
            &[
                ("title", "Seed swap"),
                ("body", "On *Sunday* at the hall."),
                ("announce", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.url.contains("/c/garden/news/"), "{}", page.url);
    assert!(page.body.contains("<em>Sunday</em>"), "Markdown rendered");
    let post_path = page
        .url
        .split("/c/garden")
        .nth(1)
        .map(|p| format!("/c/garden{p}"))
        .expect("a post path");
    let list = ben.get("/c/garden/news").await;
    assert!(list.body.contains("Seed swap"));
    assert_eq!(
        ben.get("/c/garden/news/new").await.status,
        403,
        "members post only when allowed"
    );
    let settings = ben
        .submit(
            "/c/garden/news",
            "/c/garden/news/settings",
            &[("members_may_post", "on")],
        )
        .await;
    assert_eq!(settings.status, 403, "only stewards let members post news");
    assert_eq!(
        ben.get("/c/garden/news/new").await.status,
        403,
        "and nothing changed"
    );
    let unsigned = ben
        .post_without_csrf(&format!("{post_path}/comments"), &[("comment", "x")])
        .await;
    assert_eq!(unsigned.status, 403);
    let commented = ben
        .submit(
            &post_path,
            &format!("{post_path}/comments"),
            &[("comment", "I'll bring beans.")],
        )
        .await;
    assert!(
        commented.body.contains("I&#39;ll bring beans.")
            || commented.body.contains("I'll bring beans."),
        "{}",
        commented.body
    );
    let notes = ben.get("/notifications").await;
    assert!(
        notes.body.contains("Seed swap"),
        "the announcement reached ben"
    );
    let stranger = server.client().get("/c/garden/news").await;
    assert!(stranger.url.contains("/login"), "{}", stranger.url);
}

/// Photos on a post: added by its author or a steward with a description, without their
/// metadata, seen by members, refused to others, and public only with a post on the public
/// page.
#[tokio::test]
async fn a_news_post_carries_photos_with_descriptions_for_members_only() {
    let db = commons_tests::TestDb::sqlite();
    let server = TestServer::start(&db.url).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Adeyemi").await;
    let page = amara
        .submit(
            "/c/garden/news/new",
            "/c/garden/news",
            &[("title", "Harvest day"), ("body", "Look at the pumpkins.")],
        )
        .await;
    let post: String = page
        .url
        .rsplit("/news/")
        .next()
        .expect("id")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let path = format!("/c/garden/news/{post}");
    let fixture = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/photo-with-gps.jpg"
    ))
    .expect("fixture");
    let upload = |member: &commons_tests::web::Member, token: Option<String>, alt: &'static str| {
        let form = reqwest::multipart::Form::new()
            .part(
                "photo",
                reqwest::multipart::Part::bytes(fixture.clone())
                    .file_name("p.jpg")
                    .mime_str("image/jpeg")
                    .expect("mime"),
            )
            .text("alt", alt);
        let query = token.map(|t| format!("?upload={t}")).unwrap_or_default();
        member
            .http
            .post(format!("{}{path}/photos{query}", server.url))
            .multipart(form)
            .send()
    };
    let token_in = |html: &str| {
        let marker = "/photos?upload=";
        html.find(marker).map(|at| {
            html[at + marker.len()..]
                .chars()
                .take_while(|c| c.is_ascii_hexdigit())
                .collect::<String>()
        })
    };
    // A member who may not change the post gets no form, and no token of theirs opens it.
    let bens_view = ben.get(&path).await;
    assert!(
        token_in(&bens_view.body).is_none(),
        "only the author or a steward gets the form"
    );
    assert_eq!(
        upload(&ben, None, "A pumpkin")
            .await
            .expect("POST")
            .status(),
        403
    );
    let page = amara.get(&path).await;
    let token = token_in(&page.body).expect("the steward's photo form");
    let no_alt = upload(&amara, Some(token), " ").await.expect("POST");
    assert_eq!(no_alt.status(), 422, "a photo needs its description");
    let page = amara.get(&path).await;
    let token = token_in(&page.body).expect("a fresh token");
    let done = upload(&amara, Some(token), "Three orange pumpkins on straw")
        .await
        .expect("POST");
    assert_eq!(done.status(), 200);
    let page = ben.get(&path).await;
    assert!(
        page.body
            .contains(r#"alt="Three orange pumpkins on straw""#),
        "{}",
        page.body
    );
    let at = page
        .body
        .find(&format!("{path}/photos/"))
        .expect("a photo link");
    let photo_path: String = page.body[at..].chars().take_while(|c| *c != '"').collect();
    let photo = ben
        .http
        .get(format!("{}{photo_path}", server.url))
        .send()
        .await
        .expect("GET");
    assert_eq!(photo.status(), 200);
    let bytes = photo.bytes().await.expect("bytes");
    assert!(
        bytes.starts_with(&[0xFF, 0xD8]) && !bytes.windows(4).any(|w| w == b"Exif"),
        "a JPEG without EXIF"
    );
    // Nobody outside the circle sees it; the public page shows it only once the post is shared.
    let outsider = server.client();
    let response = outsider
        .http
        .get(format!("{}{photo_path}", server.url))
        .send()
        .await
        .expect("GET");
    assert!(response.url().path().starts_with("/login") || response.status() == 401);
    let photo_id: String = photo_path
        .rsplit("/photos/")
        .next()
        .expect("id")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let public_photo = format!("/p/garden/news/{post}/photos/{photo_id}.jpg");
    let mut visitor = server.client();
    assert_eq!(visitor.get(&public_photo).await.status, 404);
    amara
        .submit(
            "/c/garden/steward/public",
            "/c/garden/steward/public",
            &[("enabled", "on")],
        )
        .await;
    assert_eq!(
        visitor.get(&public_photo).await.status,
        404,
        "the post is not shared"
    );
    amara
        .submit(
            &path,
            "/c/garden/public/share",
            &[("kind", "news"), ("item", &post), ("shared", "1")],
        )
        .await;
    assert_eq!(visitor.get(&public_photo).await.status, 200);
    let public_post = visitor.get(&format!("/p/garden/news/{post}")).await;
    assert!(public_post
        .body
        .contains(r#"alt="Three orange pumpkins on straw""#));
    // Ben cannot remove it; the steward can.
    let delete = photo_path
        .replace("/full.jpg", "/delete")
        .replace("/thumb.jpg", "/delete");
    assert_eq!(ben.submit(&path, &delete, &[]).await.status, 403);
    assert_eq!(amara.submit(&path, &delete, &[]).await.status, 200);
    assert!(!ben.get(&path).await.body.contains("Three orange pumpkins"));
    server.stop().await;
}
