//! A person's security activity, on both backends: logins (a new place marked), failed
//! passwords, tokens, password changes and recoveries are recorded for the person alone, with
//! the place kept coarse, and forgotten after 90 days.

use std::net::IpAddr;

use commons_tests::both_backends;
use commons_tests::full;
use commons_tests::node::{Node, PASSWORD};
use commons_web::services::TokenRequest;

const DAY_MS: i64 = 24 * 3_600_000;

fn at(address: &str) -> Option<IpAddr> {
    Some(address.parse().expect("an address"))
}

async fn logins_and_tokens_are_recorded_for_the_person_alone(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let ben = node.member("ben").await;
    assert!(services
        .log_in("ben", "not the password", 60_000, at("203.0.113.7"))
        .await
        .is_err());
    services
        .log_in("ben", PASSWORD, 60_000, at("203.0.113.9"))
        .await
        .expect("logs in");
    services
        .log_in("ben", PASSWORD, 60_000, at("198.51.100.1"))
        .await
        .expect("logs in");
    services
        .log_in("ben", PASSWORD, 60_000, at("203.0.113.200"))
        .await
        .expect("logs in");
    let request = TokenRequest {
        label: "laptop".into(),
        ..TokenRequest::default()
    };
    services
        .create_api_token(&full(&ben.user), &request)
        .await
        .expect("a token");
    let lines = services
        .security_activity(&full(&ben.user))
        .await
        .expect("activity");
    let seen: Vec<(&str, Option<&str>)> = lines
        .iter()
        .map(|line| (line.message_id, line.place.as_deref()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("security-token-created", None),
            ("security-login", Some("203.0.113.0/24")),
            ("security-login-new-place", Some("198.51.100.0/24")),
            ("security-login-new-place", Some("203.0.113.0/24")),
            ("security-login-failed", Some("203.0.113.0/24")),
        ],
        "newest first; a place already seen is not new"
    );
    let amaras = services
        .security_activity(&full(&node.steward.user))
        .await
        .expect("activity");
    assert!(
        amaras.is_empty(),
        "nobody reads another's activity: {amaras:?}"
    );
    assert!(
        services
            .log_in("nobody", "whatever", 60_000, at("203.0.113.7"))
            .await
            .is_err(),
        "an unknown name records nothing for anyone"
    );

    node.state.services.store().advance_clock(91 * DAY_MS);
    services.purge_security_activity().await.expect("purged");
    assert!(services
        .security_activity(&full(&ben.user))
        .await
        .expect("activity")
        .is_empty());
}

async fn a_recovery_is_recorded_for_the_recovered_person(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let ben = node.member("ben").await;
    let username = "ben".parse().expect("a username");
    services
        .start_recovery(&node.steward, &username)
        .await
        .expect("a recovery link");
    let lines = services
        .security_activity(&full(&ben.user))
        .await
        .expect("activity");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].message_id, "security-recovered");
    assert_eq!(
        lines[0].detail, "Riverside",
        "names the circle whose stewards did it"
    );
}

async fn a_flood_of_wrong_passwords_keeps_only_the_latest_events(db: String) {
    use commons_web::db::SECURITY_EVENTS_PER_PERSON_MAX;
    use sqlx::Row;
    let node = Node::start(&db).await;
    let ben = node.member("ben").await;
    let db = node.state.services.node_db();
    for n in 0..SECURITY_EVENTS_PER_PERSON_MAX + 20 {
        db.record_security_event(ben.user.id, "login_failed", Some("203.0.113.0/24"), "", n)
            .await
            .expect("recorded");
    }
    let row =
        sqlx::query("SELECT COUNT(*), MIN(created_at_ms) FROM security_events WHERE user_id = $1")
            .bind(ben.user.id)
            .fetch_one(node.state.services.store().pool())
            .await
            .expect("count");
    let kept: i64 = row.try_get(0).expect("a count");
    let oldest: i64 = row.try_get(1).expect("a time");
    assert_eq!(kept, SECURITY_EVENTS_PER_PERSON_MAX);
    assert_eq!(oldest, 20, "the oldest go first");
    let amaras = node
        .state
        .services
        .security_activity(&full(&node.steward.user))
        .await
        .expect("read");
    assert!(
        amaras.is_empty(),
        "another person's events are untouched by the trim"
    );
}

both_backends! {
    a_flood_of_wrong_passwords_keeps_only_the_latest_500_events_of_that_person => a_flood_of_wrong_passwords_keeps_only_the_latest_events;
    logins_failed_passwords_and_tokens_are_recorded_coarsely_for_the_person_alone_for_90_days => logins_and_tokens_are_recorded_for_the_person_alone;
    a_stewards_recovery_is_recorded_in_the_recovered_persons_activity => a_recovery_is_recorded_for_the_recovered_person;
}
