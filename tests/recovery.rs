//! Account recovery end to end, on SQLite and PostgreSQL: a recovered login is restricted to
//! the circles that recovered it for the whole take-back period, whatever circles the person
//! is in; the password from before takes the account back during that period; the restriction
//! lifts after it; and every route that changes the account itself refuses a recovered login
//! (a walk over the router's table, with a commented allow-list).

use commons_tests::both_backends;
use commons_tests::web::{
    invite_and_join, join_second_circle, log_in, recovery_link, set_up, Member, TestServer,
    PASSWORD,
};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Ben's account recovered by Garden's steward; returns the client of whoever followed the link.
async fn recovered_by_a_link_holder(server: &TestServer, amara: &mut Member) -> Member {
    let link = recovery_link(amara, "garden", "ben").await;
    let mut holder = server.client();
    let page = holder
        .submit(&link, &link, &[("password", "the holder's password")])
        .await;
    assert!(page.url.ends_with("/c/garden"), "{}", page.url);
    holder
}

async fn make_token(member: &mut Member) -> u16 {
    member
        .submit(
            "/settings",
            "/settings/tokens",
            &[("label", "mine now"), ("scope", "act")],
        )
        .await
        .status
}

async fn a_one_circle_members_prior_password_takes_the_account_back(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    let mut holder = recovered_by_a_link_holder(&server, &mut amara).await;

    // Ben is in one circle only, and every circle he is in recovered him: the login stays
    // restricted all the same.
    assert_eq!(
        make_token(&mut holder).await,
        403,
        "no token for the holder"
    );
    let settings = holder.get("/settings/advanced").await;
    assert!(
        !settings
            .body
            .contains("A new password was chosen with a recovery link"),
        "the holder does not read Ben's security activity"
    );
    let page = holder
        .submit(
            "/settings",
            "/settings/password",
            &[
                ("current_password", "the holder's password"),
                ("new_password", "the holder's second password"),
            ],
        )
        .await;
    assert_eq!(page.status, 403, "the holder changes no password");
    // Looking at the notifications clears nothing for the holder: Ben still finds the
    // notice of the recovery unread.
    let looked = holder.get("/notifications").await;
    assert_eq!(looked.status, 200);
    let again = holder.get("/notifications").await;
    assert!(again.body.contains("notification unread"), "{}", again.body);

    // 29 days later the node lifts nothing, and Ben's own password takes his account back.
    server.state.services.store().advance_clock(29 * DAY_MS);
    server.state.services.lift_recoveries().await.expect("lift");
    assert_eq!(make_token(&mut holder).await, 403);
    let page = log_in(&mut ben, "ben", PASSWORD).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Your account is yours again"),
        "{}",
        page.body
    );
    assert!(holder.get("/c/garden").await.url.contains("/login"));
    assert_eq!(
        log_in(&mut holder, "ben", "the holder's password")
            .await
            .status,
        401
    );
    server.stop().await;
}

async fn the_restriction_lifts_only_after_the_take_back_period(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    // Ben forgot his password: the link is his.
    let mut ben_again = recovered_by_a_link_holder(&server, &mut amara).await;
    server
        .state
        .services
        .store()
        .advance_clock(30 * DAY_MS - 60_000);
    server.state.services.lift_recoveries().await.expect("lift");
    assert_eq!(make_token(&mut ben_again).await, 403, "not a minute early");
    server.state.services.store().advance_clock(2 * 60_000);
    assert_eq!(
        server.state.services.lift_recoveries().await.expect("lift"),
        1
    );
    assert_eq!(
        make_token(&mut ben_again).await,
        200,
        "the account is whole"
    );
    // The password from before no longer takes it back.
    assert_eq!(log_in(&mut ben, "ben", PASSWORD).await.status, 401);
    server.stop().await;
}

async fn a_circle_that_never_recovered_the_person_stays_closed_after_the_period(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    join_second_circle(&mut amara, &mut ben).await;
    let mut holder = recovered_by_a_link_holder(&server, &mut amara).await;
    server.state.services.store().advance_clock(30 * DAY_MS);
    assert_eq!(
        server.state.services.lift_recoveries().await.expect("lift"),
        0,
        "River never recovered Ben: the login stays restricted"
    );
    // (Thirty idle days end the holder's session: they log in again with their password.)
    assert_eq!(
        log_in(&mut holder, "ben", "the holder's password")
            .await
            .status,
        200
    );
    assert_eq!(holder.get("/c/river").await.status, 404);
    assert_eq!(make_token(&mut holder).await, 403);
    assert_eq!(
        log_in(&mut ben, "ben", PASSWORD).await.status,
        401,
        "but the old password's take-back period is over"
    );
    server.stop().await;
}

/// Every path in the web crate's route tables (`.route("path", …)` in each feature's
/// `mod.rs`), with whether it takes a POST.
fn routes() -> Vec<(String, bool)> {
    let mut found = Vec::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/src");
    let mut folders = vec![root];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("read the source") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.file_name().is_some_and(|name| name == "mod.rs") {
                let text = std::fs::read_to_string(&path).expect("read");
                found.extend(routes_in(&text));
            }
        }
    }
    found
}

fn routes_in(text: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let mut depth = 1;
        let end = rest
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(rest.len(), |(at, _)| at);
        let call = &rest[..end];
        if let Some(open) = call.find('"') {
            let close = call[open + 1..].find('"').expect("a closing quote") + open + 1;
            found.push((call[open + 1..close].to_owned(), call.contains("post(")));
        }
    }
    found
}

/// Account routes a recovered login may still post to, and why.
const ALLOWED: &[&str] = &[
    // Logging in again is how the owner takes the account back.
    "/login",
    // Leaving is always allowed.
    "/logout",
    // Refused to everyone once the node is set up.
    "/setup",
    // The language the pages are written in changes nothing the owner relies on.
    "/language",
    // Another circle's stewards' link is how the person gets that circle back.
    "/recover/{link}",
    // The link is mailed to the owner's address only; the holder never has it.
    "/email/verify/{token}",
    // A signed link from a mail to the owner's address (RFC 8058): no login involved.
    "/email/unsubscribe/{user}/{scope}/{mac}",
    // Open to strangers; a logged-in recovered login is refused in the service
    // (`FullAccount::of` in `who_joins`), tested in `tests/web.rs`.
    "/join/{link}",
    "/ask/{slug}",
];

/// Circle routes that change the person's account rather than act in the circle.
/// (Blocking the other member of a deal across is its `block` step.)
const ACCOUNT_ROUTES_UNDER_A_CIRCLE: &[&str] = &[
    "/c/{slug}/leave",
    "/c/{slug}/members/{username}/block",
    "/c/{slug}/deals/across/{id}/{step}",
];

fn filled(path: &str) -> String {
    path.replace("{slug}", "garden")
        .replace("{size}", "small")
        .replace("{id}", "00")
        .replace("{username}", "amara")
        .replace("{step}", "block")
}

async fn a_recovered_login_is_refused_every_account_change(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let _ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    let mut holder = recovered_by_a_link_holder(&server, &mut amara).await;
    let walked: Vec<String> = routes()
        .into_iter()
        .filter(|(path, post)| {
            *post
                && (ACCOUNT_ROUTES_UNDER_A_CIRCLE.contains(&path.as_str())
                    || !(path.starts_with("/c/")
                        || path.starts_with("/p/")
                        || path.starts_with("/api/")))
        })
        .map(|(path, _)| path)
        .filter(|path| !ALLOWED.contains(&path.as_str()))
        .collect();
    for must in [
        "/settings/password",
        "/settings/tokens",
        "/settings/email/deliveries",
        "/settings/data/takeout",
        "/c/{slug}/leave",
        "/c/{slug}/deals/across/{id}/{step}",
    ] {
        assert!(walked.iter().any(|p| p == must), "{must} is walked");
    }
    for path in &walked {
        let page = holder
            .submit("/settings", &filled(path), &[("choice", "mute")])
            .await;
        assert_eq!(page.status, 403, "{path}: {}", page.body);
        assert!(
            page.body.contains("This login came from a recovery link") || path == "/circles/new",
            "{path}: {}",
            page.body
        );
    }
    server.stop().await;
}

both_backends! {
    a_one_circle_members_prior_password_takes_the_account_back_for_thirty_days => a_one_circle_members_prior_password_takes_the_account_back;
    a_recovered_login_stays_restricted_until_the_take_back_period_ends => the_restriction_lifts_only_after_the_take_back_period;
    every_state_changing_account_route_refuses_a_recovered_login => a_recovered_login_is_refused_every_account_change;
    a_circle_that_never_recovered_the_person_stays_closed_after_the_take_back_period => a_circle_that_never_recovered_the_person_stays_closed_after_the_period;
}
