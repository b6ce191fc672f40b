//! People: skills and interests a member lists are found by the directory and offered to the
//! needs they answer; profiles and photos are for the circle's members only, never across a
//! block, and a profile a moderator hid keeps only its name; a person changes their own
//! profile and photo and nobody else's.

use commons_tests::both_backends;
use commons_tests::node::Node;
use commons_tests::web::{invite_and_join, set_up, TestServer};
use commons_web::db::BlockKind;
use commons_web::people::rules::ProfileExtras;
use commons_web::services::ActionError;

fn extras(skills: &str, interests: &str, ask: &str) -> ProfileExtras {
    ProfileExtras::parse(skills, interests, ask, false).expect("valid")
}

fn photo_with_exif() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/photo-with-gps.jpg"
    ))
    .expect("fixture")
}

async fn skills_find_people(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (ben, cara, dana) = (
        node.member("ben").await,
        node.member("cara").await,
        node.member("dana").await,
    );
    services
        .save_profile_extras(
            &ben.user,
            &extras("Bike repair, carpentry", "sourdough", "Fixing brakes"),
        )
        .await
        .expect("saved");
    services
        .save_profile_extras(&cara.user, &extras("sourdough", "bike repair", ""))
        .await
        .expect("saved");
    let names = |entries: Vec<commons_web::people::service::DirectoryEntry>| -> Vec<String> {
        entries.into_iter().map(|e| e.found.card.username).collect()
    };
    // A search by part of a skill finds the people who list it (or are interested in it).
    let found = names(
        services
            .people_directory(&dana, "bike", None)
            .await
            .expect("dir"),
    );
    assert_eq!(found, ["ben", "cara"]);
    // The skill filter is exact and looks at skills only.
    let found = names(
        services
            .people_directory(&dana, "", Some("Bike Repair"))
            .await
            .expect("dir"),
    );
    assert_eq!(found, ["ben"]);
    let profile = services
        .profile_extras(&dana, ben.user.id)
        .await
        .expect("profile");
    assert_eq!(profile.skills, ["bike repair", "carpentry"]);
    assert_eq!(profile.ask_me_about, "Fixing brakes");
    // A need for bike repairs finds Ben, not its author, not Cara (interested, not skilled).
    let need = node
        .try_post(&dana, "need", "Repair my bike's brakes", "They squeal.")
        .await
        .expect("posted");
    let listing = services.listing(&dana, need).await.expect("listing");
    let helpers: Vec<String> = services
        .helpers_for(&dana, &listing)
        .await
        .expect("helpers")
        .into_iter()
        .map(|(p, _)| p.username)
        .collect();
    assert_eq!(helpers, ["ben"]);
    // Across a block, nobody is offered.
    let username: commons_web::names::Username = "ben".parse().expect("a username");
    services
        .block(&dana, &username, BlockKind::Block)
        .await
        .expect("blocked");
    assert!(services
        .helpers_for(&dana, &listing)
        .await
        .expect("helpers")
        .is_empty());
}

async fn photos_stay_in_the_circle(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    assert!(matches!(
        services.member_photo(&cara, "ben", true).await,
        Err(ActionError::NotFound)
    ));
    assert!(
        services
            .set_profile_photo(&ben.user, " ", &photo_with_exif())
            .await
            .is_err(),
        "a photo needs its description"
    );
    services
        .set_profile_photo(&ben.user, "Ben smiling by his bike", &photo_with_exif())
        .await
        .expect("saved");
    let bytes = services
        .member_photo(&cara, "ben", false)
        .await
        .expect("photo");
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "a JPEG");
    assert!(!bytes.windows(4).any(|w| w == b"Exif"), "no EXIF block");
    let profile = services
        .profile_extras(&cara, ben.user.id)
        .await
        .expect("profile");
    assert_eq!(
        profile.photo_alt.as_deref(),
        Some("Ben smiling by his bike")
    );
    let username: commons_web::names::Username = "ben".parse().expect("a username");
    services
        .block(&cara, &username, BlockKind::Block)
        .await
        .expect("blocked");
    assert!(matches!(
        services.member_photo(&cara, "ben", true).await,
        Err(ActionError::NotFound)
    ));
    services
        .remove_profile_photo(&ben.user)
        .await
        .expect("removed");
    assert!(services.own_photo(&ben.user, true).await.is_err());
}

async fn a_hidden_profile_keeps_only_its_name(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    services
        .save_profile_extras(&ben.user, &extras("shouting", "", "Anything rude"))
        .await
        .expect("saved");
    node.report(
        &cara,
        commons_governance::moderation::TargetKind::Profile,
        "ben",
        vec![],
        "Rude words.",
    )
    .await;
    let case = services.queue(amara).await.expect("queue")[0].case.id;
    let hide = commons_web::moderation::service::ActCommand {
        kind: commons_governance::moderation::ActionKind::Hide,
        agreements: vec![],
        reason: "Rude.".into(),
        ends_at_ms: None,
    };
    services.act(amara, case, &hide).await.expect("hidden");
    let seen = services
        .profile_extras(&cara, ben.user.id)
        .await
        .expect("profile");
    assert!(seen.skills.is_empty() && seen.ask_me_about.is_empty());
    let own = services
        .profile_extras(&ben, ben.user.id)
        .await
        .expect("profile");
    assert_eq!(own.skills, ["shouting"], "its owner still sees it");
    let listed = services
        .people_directory(&cara, "shouting", None)
        .await
        .expect("dir");
    assert!(listed.iter().all(|e| e.extras.skills.is_empty()));
}

both_backends! {
    skills_and_interests_find_people_in_the_directory_and_needs_find_who_can_help => skills_find_people;
    photos_are_for_the_circle_only_never_across_a_block_and_lose_their_metadata => photos_stay_in_the_circle;
    a_profile_a_moderator_hid_keeps_its_name_and_loses_its_words => a_hidden_profile_keeps_only_its_name;
}

/// Through the pages: a member saves skills in settings (a wrong field is named), others see
/// them on the profile and find the member by skill; the photo form needs its single-use
/// token; outsiders are sent to log in.
#[tokio::test]
async fn a_profile_is_written_in_settings_and_read_by_the_circle() {
    let db = commons_tests::TestDb::sqlite();
    let server = TestServer::start(&db.url).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Adeyemi").await;
    let too_long = "x".repeat(41);
    let refused = ben
        .submit(
            "/settings",
            "/settings/profile",
            &[
                ("display_name", "Ben Adeyemi"),
                ("bio", ""),
                ("skills", &too_long),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("40 characters"), "{}", refused.body);
    let saved = ben
        .submit(
            "/settings",
            "/settings/profile",
            &[
                ("display_name", "Ben Adeyemi"),
                ("bio", "I fix things."),
                ("skills", "bike repair, carpentry"),
                ("interests", "sourdough"),
                ("ask_me_about", "Brakes that squeal"),
            ],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let profile = amara.get("/c/garden/members/ben").await;
    assert!(profile.body.contains("bike repair") && profile.body.contains("Brakes that squeal"));
    let found = amara.get("/c/garden/members?q=carp").await;
    assert!(found.body.contains("Ben Adeyemi"), "{}", found.body);
    let by_skill = amara.get("/c/garden/members?skill=carpentry").await;
    assert!(by_skill.body.contains("Ben Adeyemi"));
    assert!(
        !by_skill.body.contains("/c/garden/members/amara\""),
        "only those with the skill"
    );
    // The photo form: without its single-use token an upload is refused.
    let form = reqwest::multipart::Form::new().text("alt", "Ben").part(
        "photo",
        reqwest::multipart::Part::bytes(photo_with_exif())
            .file_name("ben.jpg")
            .mime_str("image/jpeg")
            .expect("mime"),
    );
    let refused = ben
        .http
        .post(format!("{}/settings/photo", server.url))
        .multipart(form)
        .send()
        .await
        .expect("POST");
    assert_eq!(refused.status(), 403);
    let settings = ben.get("/settings").await;
    let marker = "/settings/photo?upload=";
    let at = settings.body.find(marker).expect("the photo form") + marker.len();
    let token: String = settings.body[at..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    let form = reqwest::multipart::Form::new()
        .text("alt", "Ben by the river")
        .part(
            "photo",
            reqwest::multipart::Part::bytes(photo_with_exif())
                .file_name("ben.jpg")
                .mime_str("image/jpeg")
                .expect("mime"),
        );
    let done = ben
        .http
        .post(format!("{}/settings/photo?upload={token}", server.url))
        .multipart(form)
        .send()
        .await
        .expect("POST");
    assert_eq!(done.status(), 200);
    let profile = amara.get("/c/garden/members/ben").await;
    assert!(
        profile.body.contains(r#"alt="Ben by the river""#),
        "{}",
        profile.body
    );
    let photo = amara
        .http
        .get(format!(
            "{}/c/garden/members/ben/photo/thumb.jpg",
            server.url
        ))
        .send()
        .await
        .expect("GET");
    assert_eq!(photo.status(), 200);
    let outside = server
        .client()
        .get("/c/garden/members/ben/photo/thumb.jpg")
        .await;
    assert!(outside.url.contains("/login"), "{}", outside.url);
}
