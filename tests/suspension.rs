//! A suspension stops every write, on SQLite and PostgreSQL: the signed API takes the same
//! capability as the pages (`Writer`), so a suspended member who holds their own key pays,
//! asks and votes through the API no more than through the pages.
//! (What a moderator's suspension is and does: `tests/moderation.rs`.)

use commons_tests::both_backends;
use commons_tests::web::{invite_and_join, set_up, token_in, Member, TestServer, PASSWORD};
use commons_web::services::Actor;
use serde_json::json;

async fn actor(server: &TestServer, username: &str) -> Actor {
    let services = &server.state.services;
    let user = services
        .node_db()
        .user_by_username(username)
        .await
        .expect("read")
        .expect("a person");
    services
        .actor(&user, "garden", None)
        .await
        .expect("a member")
}

/// The circle's moderators suspend Ben for a week (as their action's effect does).
async fn suspend_ben(server: &TestServer) {
    let services = &server.state.services;
    let ben = actor(server, "ben").await;
    let until = services.now_ms() + 7 * 24 * 3600 * 1000;
    services
        .node_db()
        .set_restrictions(ben.circle.row_id, ben.user.id, Some(until), None)
        .await
        .expect("suspended");
}

/// A POST to the API with a bearer token: the status and the error code, if any.
async fn post(member: &Member, token: &str, path: &str, body: serde_json::Value) -> (u16, String) {
    let response = member
        .http
        .post(format!("{}{path}", member.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    let answer: serde_json::Value = response.json().await.unwrap_or_default();
    (
        status,
        answer["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
}

async fn a_suspended_member_signs_nothing_through_the_api(db: String) {
    use commons_ledger::entry::{Body, Cause, Request};
    use commons_ledger::keys::SecretKey;
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    // Ben holds his own key and an API token that may act.
    let own = SecretKey::generate();
    let page = ben
        .submit(
            "/settings",
            "/settings/own-key",
            &[
                ("circle", "garden"),
                ("public_key", &own.public_key().to_hex()),
                ("unlock_password", PASSWORD),
            ],
        )
        .await;
    assert!(page.body.contains("now uses your own key"), "{}", page.body);
    let page = ben
        .submit(
            "/settings",
            "/settings/tokens",
            &[("label", "laptop"), ("scope", "act")],
        )
        .await;
    let token = token_in(&page.body);

    let info = server
        .state
        .services
        .store()
        .circle("garden")
        .await
        .expect("circle");
    let amara_key = actor(&server, "amara").await.membership.account_key;
    let signed = |amount_minor: i64| {
        let request = Request::signed(
            info.circle_id,
            &own,
            Body::Transfer {
                payer: own.public_key(),
                payee: amara_key,
                amount_minor,
                memo_hash: None,
                cause: Cause::Direct,
            },
        );
        json!({"request": hex::encode(&request.bytes), "signature": hex::encode(request.signature.0)})
    };
    let entries = "/api/v1/circles/garden/entries";
    let ballot = "/api/v1/circles/garden/proposals/1/ballot";
    let nonsense_ballot = json!({"signed": {"bytes": "00", "signature": "00".repeat(64)}});
    assert_eq!(
        post(&ben, &token, entries, signed(100)).await.0,
        200,
        "he signs before"
    );
    assert_ne!(
        post(&ben, &token, ballot, nonsense_ballot.clone()).await.1,
        "suspended"
    );

    suspend_ben(&server).await;
    assert_eq!(
        post(&ben, &token, entries, signed(101)).await,
        (403, "suspended".to_owned()),
        "no signed payment"
    );
    assert_eq!(
        post(
            &ben,
            &token,
            &format!("{entries}/batch"),
            json!({"entries": [signed(102)]})
        )
        .await,
        (403, "suspended".to_owned()),
        "no batch"
    );
    assert_eq!(
        post(&ben, &token, ballot, nonsense_ballot).await,
        (403, "suspended".to_owned()),
        "no signed ballot"
    );
    server.stop().await;
}

both_backends! {
    a_suspended_member_pays_asks_and_votes_through_the_api_no_more_than_through_the_pages => a_suspended_member_signs_nothing_through_the_api;
}
