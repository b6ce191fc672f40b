//! E-mail end to end, against a real SMTP server (aiosmtpd) started by the test: addresses
//! are verified by the link mailed to them; a steward's news reaches members in their morning
//! digest, only those who have not come by since and did not opt out, once per period; one
//! click unsubscribes; notifications wanted at once arrive at once; a restart in the middle of
//! sending loses and repeats nothing; forged links and other people's addresses stay out of
//! reach.

use std::collections::HashSet;

use commons_tests::both_backends;
use commons_tests::smtp::{Received, SmtpSink};
use commons_tests::web::{invite_and_join, set_up, Member, TestServer};
use commons_web::email::MailConfig;

/// The digest hour that puts the node's real clock six hours before the next morning, and how
/// far to move the node's clock to be half an hour into that morning.
fn morning() -> (i8, i64) {
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
    let hour = (i64::from(now.hour()) + 6) % 24;
    let minutes_into_hour = i64::from(now.minute());
    let advance_ms = (6 * 60 - minutes_into_hour + 30) * 60_000;
    (hour as i8, advance_ms)
}

fn mail_config(sink: &SmtpSink, digest_hour: i8) -> MailConfig {
    let mut config = MailConfig::new(&sink.url(), "Garden Share <garden@example.org>");
    config.tick_ms = 50;
    config.digest_tick_ms = 50;
    config.digest_hour = digest_hour;
    config
}

async fn start(db: &str, sink: &SmtpSink, digest_hour: i8) -> TestServer {
    let mail = mail_config(sink, digest_hour);
    TestServer::start_configured(db, move |config| config.mail = Some(mail)).await
}

/// The member gives an address and follows the link mailed to it; answers the mail.
async fn verify_address(sink: &SmtpSink, member: &mut Member, address: &str) -> Received {
    commons_tests::smtp::verify_address(sink, member, address).await
}

async fn digests_go_only_to_those_away_since_and_who_want_them(db: String) {
    let sink = SmtpSink::start(0);
    let (hour, advance_ms) = morning();
    let server = start(&db, &sink, hour).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Adeyemi").await;
    let mut cleo = invite_and_join(&server, &mut amara, "cleo", "Cleo Park").await;
    let mut dan = invite_and_join(&server, &mut amara, "dan", "Dan Ruiz").await;
    for (member, address) in [
        (&mut ben, "ben@example.org"),
        (&mut cleo, "cleo@example.org"),
        (&mut dan, "dan@example.org"),
    ] {
        verify_address(&sink, member, address).await;
    }
    // Dan keeps everything to the notifications page.
    let kinds = [
        "news",
        "match",
        "reply",
        "vote_open",
        "decided",
        "thanks",
        "expiring",
        "proposal_changed",
        "proposal_paused",
        "report_outcome",
    ];
    let fields: Vec<(&str, &str)> = kinds.iter().map(|kind| (*kind, "app")).collect();
    let page = dan
        .submit("/settings/email", "/settings/email/deliveries", &fields)
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let page = amara
        .submit(
            "/c/garden/news/new",
            "/c/garden/news",
            &[
                ("title", "Seed swap on Saturday"),
                ("body", "Bring *seeds*."),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    // Cleo comes by after the news (sessions note a visit once a minute) and sees it at home.
    server.state.services.store().advance_clock(2 * 60_000);
    let home = cleo.get("/c/garden").await;
    assert!(
        home.body.contains("Seed swap on Saturday"),
        "the news is on the home page"
    );
    // The next morning, in the circle's time zone.
    server.state.services.store().advance_clock(advance_ms);
    let mails = sink.wait_for(4).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(
        sink.received().len(),
        4,
        "three verifications and one digest: {mails:#?}"
    );
    let digest = sink.to("ben@example.org").pop().expect("Ben's digest");
    assert!(
        digest.subject.contains("Garden Share: today's digest"),
        "{}",
        digest.subject
    );
    assert!(
        digest.text.contains("Seed swap on Saturday"),
        "{}",
        digest.text
    );
    assert!(
        digest.html.contains("Seed swap on Saturday"),
        "{}",
        digest.html
    );
    assert!(
        digest.text.contains("/c/garden/news/"),
        "a link to the post"
    );
    assert_eq!(
        digest.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(digest
        .header("List-Id")
        .is_some_and(|id| id.starts_with("<garden.")));
    assert_eq!(
        sink.to("cleo@example.org").len(),
        1,
        "Cleo came by after the news: no digest"
    );
    assert_eq!(
        sink.to("dan@example.org").len(),
        1,
        "Dan opted out: no digest"
    );
    // One click, from the mail program: no cookie, no CSRF token.
    let unsubscribe = digest
        .header("List-Unsubscribe")
        .expect("an unsubscribe address")
        .trim_matches(|c| c == '<' || c == '>')
        .to_owned();
    let response = reqwest::Client::new()
        .post(&unsubscribe)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .expect("posts");
    assert_eq!(response.status(), 200);
    let settings = ben.get("/settings/email").await;
    assert!(
        settings
            .body
            .contains(r#"<option value="app" selected>Only here</option>"#),
        "the daily kinds are kept to the page now"
    );
    assert!(
        !settings.body.contains(r#"<option value="daily" selected>"#),
        "{}",
        settings.body
    );
    server.stop().await;
}

async fn a_restart_in_the_middle_of_sending_loses_and_repeats_nothing(db: String) {
    let sink = SmtpSink::start(300);
    let (hour, advance_ms) = morning();
    let server = start(&db, &sink, hour).await;
    let mut amara = set_up(&server).await;
    let names = ["ben", "cleo", "dan", "eve", "fay"];
    for name in names {
        let mut member =
            invite_and_join(&server, &mut amara, name, &format!("{name} Member")).await;
        verify_address(&sink, &mut member, &format!("{name}@example.org")).await;
    }
    amara
        .submit(
            "/c/garden/news/new",
            "/c/garden/news",
            &[
                ("title", "The orchard needs hands"),
                ("body", "Sunday, 10 am."),
            ],
        )
        .await;
    server.state.services.store().advance_clock(advance_ms);
    sink.wait_for(names.len() + 2).await;
    let waiting_before_stop = server.state.services.outbox_counts().await.expect("counts");
    server.stop().await;
    let sent_before_restart = sink.received().len();
    assert!(
        sent_before_restart < 2 * names.len() && waiting_before_stop.waiting > 0,
        "the node stopped in the middle of sending: {sent_before_restart} sent, {waiting_before_stop:?}"
    );
    // The same database, a new process (on the same morning): it finishes what the first one
    // queued, once, and plans no digest again.
    let server = start(&db, &sink, hour).await;
    server.state.services.store().advance_clock(advance_ms);
    sink.wait_for(2 * names.len()).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
    let mails = sink.received();
    assert_eq!(mails.len(), 2 * names.len(), "nothing lost, nothing twice");
    for name in names {
        let theirs = sink.to(&format!("{name}@example.org"));
        let digests: Vec<&Received> = theirs
            .iter()
            .filter(|m| m.subject.contains("digest"))
            .collect();
        assert_eq!(digests.len(), 1, "{name} got one digest");
        assert!(digests[0].text.contains("The orchard needs hands"));
    }
    let ids: HashSet<&str> = mails
        .iter()
        .filter_map(|m| m.header("Message-ID"))
        .collect();
    assert_eq!(ids.len(), mails.len());
    let counts = server.state.services.outbox_counts().await.expect("counts");
    assert_eq!((counts.waiting, counts.sent), (0, 2 * names.len() as i64));
    server.stop().await;
}

both_backends! {
    a_steward_s_news_reaches_in_the_digest_only_those_away_since_who_want_it => digests_go_only_to_those_away_since_and_who_want_them;
    a_node_restarted_while_sending_mail_loses_and_repeats_nothing => a_restart_in_the_middle_of_sending_loses_and_repeats_nothing;
}

/// Deal messages are mailed at once (the default); forged and replayed links change nothing;
/// nobody else ever sees an address; limits hold.
#[tokio::test]
async fn links_cannot_be_forged_or_replayed_and_addresses_stay_private() {
    let db = commons_tests::TestDb::sqlite();
    let sink = SmtpSink::start(0);
    let (hour, _) = morning();
    let server = start(&db.url, &sink, hour).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Adeyemi").await;
    let mut cleo = invite_and_join(&server, &mut amara, "cleo", "Cleo Park").await;
    let verification = verify_address(&sink, &mut ben, "ben@example.org").await;
    // The link works once.
    let link = verification.link(&ben.base).expect("link");
    let path = link.strip_prefix(&ben.base).expect("path").to_owned();
    let again = ben.submit(&path, &path, &[]).await;
    assert_eq!(again.status, 404);
    assert!(again.body.contains("This link no longer works"));
    // A made-up token.
    let forged = cleo
        .submit(
            "/email/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "/email/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            &[],
        )
        .await;
    assert_eq!(forged.status, 404);
    // Nobody else sees Ben's address: not on his page, not in the directory.
    for path in ["/c/garden/members/ben", "/c/garden/members", "/c/garden"] {
        let page = cleo.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            !page.body.contains("ben@example.org"),
            "{path} shows no address"
        );
    }
    // A deal message is mailed to Ben at once.
    let page = ben
        .submit(
            "/c/garden/market/new",
            "/c/garden/market/new",
            &[
                ("side", "offer"),
                ("kind", "skill"),
                ("title", "Bike repair lessons"),
                ("description", "I fix bikes and teach how."),
                ("category", "repairs/bikes"),
                ("value_kind", "per_hour"),
                ("amount", "1"),
            ],
        )
        .await;
    assert!(
        page.body.contains("Your listing is published"),
        "{}",
        page.body
    );
    let listing: String = page
        .url
        .rsplit("/market/")
        .next()
        .expect("id")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let before = sink.received().len();
    let page = cleo
        .submit(
            &format!("/c/garden/market/{listing}"),
            &format!("/c/garden/market/{listing}/deals"),
            &[("message", "Could you show me how to true a wheel?")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let mails = sink.wait_for(before + 1).await;
    let mail = mails.last().expect("a mail");
    assert_eq!(mail.to, "ben@example.org");
    assert!(
        mail.subject.contains("[Garden Share]") && mail.subject.contains("Bike repair lessons"),
        "{}",
        mail.subject
    );
    let unsubscribe = mail
        .header("List-Unsubscribe")
        .expect("unsubscribe")
        .trim_matches(|c| c == '<' || c == '>')
        .to_owned();
    assert!(unsubscribe.contains("/kind-deal_message/"), "{unsubscribe}");
    // Forged unsubscribe links: another person's id, another scope, a changed signature.
    let (prefix, mac) = unsubscribe.rsplit_once('/').expect("mac");
    let cleo_id = prefix.replace("/unsubscribe/2/", "/unsubscribe/3/");
    for forged in [
        format!("{cleo_id}/{mac}"),
        format!(
            "{}/{mac}",
            prefix.replace("kind-deal_message", "digest-daily")
        ),
        format!("{prefix}/{}", "0".repeat(32)),
    ] {
        let response = reqwest::Client::new()
            .post(&forged)
            .send()
            .await
            .expect("posts");
        assert_eq!(response.status(), 404, "{forged}");
    }
    let settings = ben.get("/settings/email").await;
    assert!(settings
        .body
        .contains(r#"<option value="immediate" selected>By e-mail at once</option>"#));
    // The genuine link, opened in a browser: a page with a button, nothing changed yet.
    let page = ben
        .get(unsubscribe.strip_prefix(&ben.base).expect("path"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Stop these e-mails"));
    // Verification mails are limited per address, whoever asks.
    for _ in 0..3 {
        let page = cleo
            .submit(
                "/settings/email",
                "/settings/email",
                &[("email", "target@example.org")],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
    }
    let page = cleo
        .submit(
            "/settings/email",
            "/settings/email",
            &[("email", "target@example.org")],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("Too many confirmation links"));
    let bad = cleo
        .submit(
            "/settings/email",
            "/settings/email",
            &[("email", "not an address")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("does not look like an e-mail address"));
    // Without CSRF, nothing changes.
    let page = cleo
        .post_without_csrf("/settings/email", &[("email", "x@example.org")])
        .await;
    assert_eq!(page.status, 403);
    server.stop().await;
}

/// A node started without `--smtp` sends nothing and says so.
#[tokio::test]
async fn a_node_without_smtp_sends_no_mail_and_says_so() {
    let db = commons_tests::TestDb::sqlite();
    let server = TestServer::start(&db.url).await;
    let mut amara = set_up(&server).await;
    let page = amara.get("/settings/email").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("This node does not send e-mail"));
    let page = amara
        .submit(
            "/settings/email",
            "/settings/email",
            &[("email", "amara@example.org")],
        )
        .await;
    assert_eq!(page.status, 404);
    server.stop().await;
}

/// Whoever holds a login the stewards recovered cannot move the account's mail elsewhere;
/// the person hears of the recovery at their own address, at once.
#[tokio::test]
async fn a_recovered_login_cannot_move_the_mail_and_the_owner_is_told_by_mail() {
    let db = commons_tests::TestDb::sqlite();
    let sink = SmtpSink::start(0);
    let (hour, _) = morning();
    let server = start(&db.url, &sink, hour).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Adeyemi").await;
    verify_address(&sink, &mut ben, "ben@example.org").await;
    // Ben is in a second circle too, so a recovery by Garden's stewards restricts the login to
    // Garden (in a single circle, a recovery gives the whole account back, by design).
    commons_tests::web::join_second_circle(&mut amara, &mut ben).await;
    let page = amara
        .submit(
            "/c/garden/steward",
            "/c/garden/steward/recovery",
            &[("member", "ben")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let at = page.body.find("/recover/").expect("a recovery link");
    let link: String = page.body[at..]
        .chars()
        .take_while(|c| *c != '"' && *c != '<' && !c.is_whitespace())
        .collect();
    let mut holder = server.client();
    let page = holder
        .submit(&link, &link, &[("password", "the holder's password")])
        .await;
    assert!(page.url.ends_with("/c/garden"), "{}", page.url);
    let moved = holder
        .submit(
            "/settings/email",
            "/settings/email",
            &[("email", "holder@example.org")],
        )
        .await;
    assert_eq!(moved.status, 403);
    let removed = holder
        .submit("/settings/email", "/settings/email/remove", &[])
        .await;
    assert_eq!(removed.status, 403);
    // Ben is told at his own address, at once, and nothing went to the holder's.
    let mails = sink.wait_for(2).await;
    let told = mails.last().expect("a mail");
    assert_eq!(told.to, "ben@example.org");
    assert!(told.subject.contains("recovered"), "{}", told.subject);
    assert!(
        told.header("List-Unsubscribe").is_none(),
        "a recovery notice cannot be unsubscribed from"
    );
    assert!(sink.to("holder@example.org").is_empty());
    server.stop().await;
}
