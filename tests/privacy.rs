//! Taking one's data out and erasing it, through the services on both backends and once
//! through the pages: the takeout holds every kind of the member's data and nothing of anyone
//! else's, its ledger statement verifies offline and fails after any changed byte; erasure
//! waits its grace period, deletes personal data from every table (read directly), keeps the
//! ledger verifying and other members' statements valid, and never settles a balance silently.

use std::io::Read;

use commons_ledger::statement::verify_statement;
use commons_tests::both_backends;
use commons_tests::full;
use commons_tests::node::{Node, PASSWORD, SLUG};
use commons_tests::web::{invite_and_join, set_up, TestServer};
use commons_web::db::email::NewMail;
use commons_web::ledger::form::TransferCommand;
use commons_web::privacy::takeout::Archive;
use commons_web::services::{ActionError, Actor, IdempotencyKey};
use sqlx::Row;

const DAY_MS: i64 = 24 * 3600 * 1000;

async fn pay(node: &Node, from: &Actor, to: &str, amount: &str, memo: &str) {
    let command = TransferCommand::parse(&from.circle, to, amount, memo).expect("parses");
    node.state
        .services
        .pay(from, &command, &IdempotencyKey::generate())
        .await
        .expect("paid");
}

async fn post(node: &Node, actor: &Actor, title: &str) -> i64 {
    let description = format!("{title}, gladly.");
    node.try_post(actor, "offer", title, &description)
        .await
        .expect("posted")
}

fn text_of(archive: &Archive, path: &str) -> String {
    String::from_utf8(
        archive
            .file(path)
            .unwrap_or_else(|| panic!("{path} is in the takeout"))
            .to_vec(),
    )
    .expect("text")
}

/// A small circle's life: ben and cara trade, talk in a deal, comment and report.
async fn lived_in(node: &Node) -> (Actor, Actor) {
    let services = &node.state.services;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    let caras = post(node, &cara, "Cara mends sweaters").await;
    let bens = post(node, &ben, "Ben fixes bicycles").await;
    let deal = services
        .open_deal(&ben, caras, "Ben asks about the sweater")
        .await
        .expect("deal");
    services
        .deal_message(&cara, deal.deal.id, "Cara whispers a secret")
        .await
        .expect("message");
    pay(node, &ben, "cara", "3", "for the sweater").await;
    pay(node, &cara, "ben", "1", "Cara's own note").await;
    node.report(
        &ben,
        commons_governance::moderation::TargetKind::Listing,
        &caras.to_string(),
        vec![1],
        "Ben's report words",
    )
    .await;
    assert!(bens > 0);
    give_address(node, &ben, "ben@example.org").await;
    give_address(node, &cara, "cara@example.org").await;
    (ben, cara)
}

/// The member's verified address, a delivery choice, and a mail waiting in the outbox.
async fn give_address(node: &Node, member: &Actor, address: &str) {
    let db = node.state.services.node_db();
    let now = node.state.services.now_ms();
    let token = [member.user.id as u8; 32];
    let mail = NewMail {
        user_id: member.user.id,
        purpose: "verify",
        to_address: address.to_owned(),
        message: format!("To: {address}\r\n\r\nhello"),
    };
    db.set_email_address(member.user.id, &token, now + 60_000, &mail, now)
        .await
        .expect("address");
    assert_eq!(
        db.verify_email(&token, now).await.expect("verify"),
        Some(member.user.id)
    );
    db.set_email_deliveries(member.user.id, &[("news", "weekly")])
        .await
        .expect("deliveries");
}

async fn takeout(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (ben, _cara) = lived_in(&node).await;
    let archive = services.takeout(&full(&ben.user)).await.expect("takeout");
    let dir = format!("circles/{SLUG}");
    for path in [
        "README.txt".to_owned(),
        "profile.json".into(),
        "security-activity.csv".into(),
        "notifications.json".into(),
        "blocks.json".into(),
        "email.json".into(),
        format!("{dir}/membership.json"),
        format!("{dir}/listings.json"),
        format!("{dir}/listings.csv"),
        format!("{dir}/deals.json"),
        format!("{dir}/my-deal-messages.csv"),
        format!("{dir}/proposals.json"),
        format!("{dir}/comments.csv"),
        format!("{dir}/ballots.json"),
        format!("{dir}/delegations.json"),
        format!("{dir}/invitations.json"),
        format!("{dir}/news.json"),
        format!("{dir}/news-comments.csv"),
        format!("{dir}/discussions.json"),
        format!("{dir}/discussion-replies.csv"),
        format!("{dir}/discussions-followed.csv"),
        format!("{dir}/reports-i-made.json"),
        format!("{dir}/moderation-about-me.json"),
        format!("{dir}/ledger/statement.json"),
        format!("{dir}/ledger/transfers.csv"),
    ] {
        assert!(
            archive.file(&path).is_some(),
            "{path} missing: {:?}",
            archive.paths()
        );
    }
    assert!(text_of(&archive, &format!("{dir}/listings.json")).contains("Ben fixes bicycles"));
    let email = text_of(&archive, "email.json");
    assert!(
        email.contains("ben@example.org") && email.contains(r#""news": "weekly""#),
        "{email}"
    );
    assert!(text_of(&archive, &format!("{dir}/my-deal-messages.csv"))
        .contains("Ben asks about the sweater"));
    assert!(text_of(&archive, &format!("{dir}/reports-i-made.json")).contains("Ben's report words"));
    let transfers = text_of(&archive, &format!("{dir}/ledger/transfers.csv"));
    assert!(transfers.contains("for the sweater"), "his own note");
    assert!(
        transfers.contains("Cara's own note"),
        "the note of a payment to him, as a bank statement shows it"
    );
    // Nothing of anyone else's: cara's listing, message and notes are hers.
    let everything: String = archive
        .paths()
        .iter()
        .filter(|p| !p.ends_with(".jpg"))
        .map(|p| text_of(&archive, p))
        .collect();
    for theirs in [
        "Cara mends sweaters",
        "Cara whispers a secret",
        "cara@example.org",
    ] {
        assert!(!everything.contains(theirs), "{theirs:?} is not ben's");
    }
    // The statement verifies offline, adds up to the balance, and any changed byte is found.
    let statement = text_of(&archive, &format!("{dir}/ledger/statement.json"));
    let report = verify_statement(&statement);
    assert!(report.is_clean(), "{:?}", report.faults);
    // Two payments, and the entries that made ben's keys his: the account opened for the
    // invitation's key and its move to his own.
    assert_eq!((report.entries_checked, report.net_minor), (4, -200));
    let changed = statement.replacen("for the sweater", "for the sweatee", 1);
    assert!(!verify_statement(&changed).is_clean());
    // The ZIP opens with any unzip tool.
    let bytes = archive.zip().expect("zip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut profile = String::new();
    zip.by_name("profile.json")
        .expect("profile")
        .read_to_string(&mut profile)
        .expect("read");
    assert!(profile.contains("\"username\": \"ben\""));
    assert!(
        matches!(
            services.takeout(&full(&ben.user)).await,
            Err(ActionError::TooManyAttempts)
        ),
        "one takeout every few minutes"
    );
}

async fn count(node: &Node, sql: &str, user: i64) -> i64 {
    sqlx::query(sql)
        .bind(user)
        .fetch_one(node.state.services.store().pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .try_get(0)
        .expect("a count")
}

async fn erasure(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (ben, cara) = lived_in(&node).await;
    let ben_id = ben.user.id;
    // Ben also talks, follows, lists his skills and adds a photo.
    let category = services
        .discussion_categories(&ben)
        .await
        .expect("categories")[0]
        .id;
    let opening = commons_web::discussions::rules::ThreadCommand::parse(
        &category.to_string(),
        "Ben's question",
        "Who has a pump?",
    )
    .expect("a thread");
    let thread = services
        .start_thread(&ben, &opening)
        .await
        .expect("started");
    services
        .reply_thread(&ben, thread, "Found one.")
        .await
        .expect("replied");
    let extras =
        commons_web::people::rules::ProfileExtras::parse("bikes", "bread", "Brakes", false)
            .expect("valid");
    services
        .save_profile_extras(&ben.user, &extras)
        .await
        .expect("saved");
    let photo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/photo-with-gps.jpg"
    ))
    .expect("fixture");
    services
        .set_profile_photo(&ben.user, "Ben", &photo)
        .await
        .expect("photo");
    // Ben's balance is -2: erasure is refused until it is zero, never settled silently.
    assert!(services
        .request_erasure(&full(&ben.user), PASSWORD, None)
        .await
        .is_err());
    pay(&node, &cara, "ben", "2", "").await;
    assert!(services
        .request_erasure(&full(&ben.user), "wrong password", None)
        .await
        .is_err());
    assert!(
        services
            .request_erasure(&full(&node.steward.user), PASSWORD, None)
            .await
            .is_err(),
        "a circle's last steward hands on first"
    );
    services
        .request_erasure(&full(&ben.user), PASSWORD, None)
        .await
        .expect("asked");
    assert_eq!(
        services.erase_due().await.expect("job"),
        0,
        "the grace period runs"
    );
    services
        .cancel_erasure(&full(&ben.user))
        .await
        .expect("changed mind");
    // Cara reports ben's listing: his reported words are kept until the report is resolved.
    let bens = services.listings_by(&cara, ben_id).await.expect("listings")[0].id;
    node.report(
        &cara,
        commons_governance::moderation::TargetKind::Listing,
        &bens.to_string(),
        vec![],
        "Odd.",
    )
    .await;
    services
        .request_erasure(&full(&ben.user), PASSWORD, None)
        .await
        .expect("asked again");
    let view = services.erasure_view(&full(&ben.user)).await.expect("view");
    assert!(
        view.blocks.is_empty() && !view.waiting,
        "nothing tells ben a report about him is open"
    );
    services.store().advance_clock(15 * DAY_MS);
    assert_eq!(
        services.erase_due().await.expect("job"),
        0,
        "an open report about ben waits"
    );
    let view = services.erasure_view(&full(&ben.user)).await.expect("view");
    assert!(
        view.blocks.is_empty() && view.waiting,
        "past the grace period, the erasure waits, said neutrally"
    );
    let case = services
        .queue(&node.steward)
        .await
        .expect("queue")
        .into_iter()
        .find(|item| item.case.subject_id == Some(ben_id))
        .expect("the case about ben")
        .case
        .id;
    let dismiss = commons_web::moderation::service::ActCommand {
        kind: commons_governance::moderation::ActionKind::Dismiss,
        agreements: vec![],
        reason: "Nothing wrong.".into(),
        ends_at_ms: None,
    };
    services
        .act(&node.steward, case, &dismiss)
        .await
        .expect("dismissed");
    assert_eq!(
        services.erase_due().await.expect("job"),
        1,
        "erased once resolved"
    );
    // Read the tables directly: nothing personal of ben's is left.
    for (sql, left) in [
        ("SELECT COUNT(*) FROM users WHERE id = $1 AND (display_name <> '' OR bio <> '' OR password_hash <> '' OR username = 'ben')", 0),
        ("SELECT COUNT(*) FROM sessions WHERE user_id = $1", 0),
        ("SELECT COUNT(*) FROM memberships WHERE user_id = $1", 0),
        ("SELECT COUNT(*) FROM member_keys WHERE user_id = $1", 0),
        ("SELECT COUNT(*) FROM notifications WHERE user_id = $1", 0),
        ("SELECT COUNT(*) FROM security_events WHERE user_id = $1", 0),
        ("SELECT COUNT(*) FROM moderation_reports WHERE reporter_id = $1", 0),
        ("SELECT COUNT(*) FROM market_listings WHERE owner = $1 AND (title <> '' OR description <> '')", 0),
        ("SELECT COUNT(*) FROM market_messages WHERE author = $1 AND body <> ''", 0),
        ("SELECT COUNT(*) FROM proposal_comments WHERE author = $1 AND body <> ''", 0),
        ("SELECT COUNT(*) FROM discussion_threads WHERE author_id = $1 AND (title <> '' OR body <> '')", 0),
        ("SELECT COUNT(*) FROM discussion_replies WHERE author_id = $1 AND body <> ''", 0),
        ("SELECT COUNT(*) FROM discussion_reads WHERE user_id = $1", 0),
        ("SELECT COUNT(*) FROM discussion_follows WHERE user_id = $1", 0),
        ("SELECT COUNT(*) FROM user_tags WHERE user_id = $1", 0),
        ("SELECT COUNT(*) FROM user_photos WHERE user_id = $1", 0),
        ("SELECT COUNT(*) FROM first_steps WHERE user_id = $1", 0),
        ("SELECT COUNT(*) FROM email_addresses WHERE user_id = $1", 0),
        ("SELECT COUNT(*) FROM email_deliveries WHERE user_id = $1", 0),
        ("SELECT COUNT(*) FROM email_outbox WHERE user_id = $1 OR to_address = 'ben@example.org'", 0),
        ("SELECT COUNT(*) FROM users WHERE id = $1 AND ask_me_about <> ''", 0),
    ] {
        assert_eq!(count(&node, sql, ben_id).await, left, "{sql}");
    }
    // Ben's memo is gone, cara's stays; the ledger still verifies, and so does cara's statement.
    let memos: Vec<String> = sqlx::query("SELECT text FROM memos")
        .fetch_all(services.store().pool())
        .await
        .expect("memos")
        .iter()
        .map(|row| row.try_get(0).expect("text"))
        .collect();
    assert!(
        !memos.iter().any(|m| m == "for the sweater")
            && memos.iter().any(|m| m == "Cara's own note"),
        "{memos:?}"
    );
    let audit = services
        .store()
        .audit(SLUG, None, &|_| {})
        .await
        .expect("audit");
    assert!(audit.passed(), "{:?}", audit.faults);
    services.store().advance_clock(DAY_MS);
    let archive = services
        .takeout(&full(&cara.user))
        .await
        .expect("cara's takeout");
    let report = verify_statement(&text_of(
        &archive,
        &format!("circles/{SLUG}/ledger/statement.json"),
    ));
    assert!(report.is_clean(), "{:?}", report.faults);
    assert!(
        services
            .node_db()
            .user(ben_id)
            .await
            .expect("read")
            .is_none(),
        "nobody logs in as ben"
    );
    // Read every column of every table: nothing of ben's is left but his pseudonymous key
    // where the signed records keep it.
    let key = ben.membership.account_key;
    let text =
        |what: &'static str, mark: &str, whole: bool| (what, mark.as_bytes().to_vec(), whole);
    let marks = vec![
        text("his name", "ben", true),
        text("his listing", "Ben fixes bicycles", false),
        text("his message", "Ben asks about the sweater", false),
        text("his memo", "for the sweater", false),
        text("his report", "Ben's report words", false),
        text("his thread", "Who has a pump?", false),
        text("his reply", "Found one.", false),
        text("his address", "ben@example.org", false),
        text("his skills", "Brakes", true),
        ("his key", key.as_bytes().to_vec(), false),
        text("his key in hex", &key.to_hex(), false),
    ];
    let left: Vec<String> = scan_every_table(&node, &marks)
        .await
        .into_iter()
        .filter(|hit| {
            let place = hit.split(':').next().unwrap_or("");
            !(hit.ends_with("his key") && KEY_KEEP_LIST.contains(&place))
        })
        .collect();
    assert!(left.is_empty(), "left after erasure: {left:#?}");
}

/// Every table of the schema, read whole: where any of `marks` (the person's words, names,
/// address and key) is still found, as `table.column`.
async fn scan_every_table(node: &Node, marks: &[(&str, Vec<u8>, bool)]) -> Vec<String> {
    let store = node.state.services.store();
    let pool = store.pool();
    let tables_sql = match store.backend() {
        commons_ledger::store::Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name"
        }
        commons_ledger::store::Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%' ORDER BY table_name"
        }
    };
    let tables: Vec<String> = sqlx::query(tables_sql)
        .fetch_all(pool)
        .await
        .expect("tables")
        .iter()
        .map(|row| row.try_get(0).expect("name"))
        .collect();
    assert!(tables.len() > 40, "every table is read: {tables:?}");
    let mut found = std::collections::BTreeSet::new();
    for table in &tables {
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
        for row in &rows {
            for (index, column) in row.columns().iter().enumerate() {
                use sqlx::Column;
                let value: Option<Vec<u8>> = match row.try_get::<Option<String>, _>(index) {
                    Ok(text) => text.map(String::into_bytes),
                    Err(_) => row.try_get::<Option<Vec<u8>>, _>(index).ok().flatten(),
                };
                let Some(value) = value else { continue };
                for (what, mark, whole) in marks {
                    let hit = if *whole {
                        value == *mark
                    } else {
                        value.windows(mark.len()).any(|w| w == mark.as_slice())
                    };
                    if hit {
                        found.insert(format!("{table}.{}: {what}", column.name()));
                    }
                }
            }
        }
    }
    found.into_iter().collect()
}

/// Where a person's circle key may stay after erasure, pseudonymous (docs/privacy.md): the
/// signed records of the ledger, of votes and of moderation, which must keep verifying.
const KEY_KEEP_LIST: &[&str] = &[
    "entries.request",
    "entries.author",
    "entries.payer",
    "entries.payee",
    "accounts.account_key",
    "ballots.voter",
    "ballots.bytes",
    "delegations.bytes",
    "moderation_log.bytes",
];

async fn leaving(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    pay(&node, &ben, "cara", "1", "").await;
    assert!(
        services.leave_circle(&ben, &full(&ben.user)).await.is_err(),
        "not with a balance"
    );
    pay(&node, &cara, "ben", "1", "").await;
    let ben = services
        .actor(&ben.user, SLUG, ben.session)
        .await
        .expect("member");
    services
        .leave_circle(&ben, &full(&ben.user))
        .await
        .expect("left");
    assert!(matches!(
        services.actor(&ben.user, SLUG, ben.session).await,
        Err(ActionError::NotFound)
    ));
    assert!(
        services
            .leave_circle(&node.steward, &full(&node.steward.user))
            .await
            .is_err(),
        "the last steward stays"
    );
}

/// A deal with a member of a linked circle on this node: in the takeout (only the member's own
/// words), and gone with an erasure, from the other member's side too.
async fn deals_across(db: String) {
    let node = Node::start(&db).await;
    let repair = node.second_circle("repair", "Repair Café", "credits").await;
    let ben = node.member("ben").await;
    let carol = node.member_in(&repair, "carol").await;
    node.link(&node.steward, &[&ben], "repair", ("1", "1", "30"))
        .await;
    node.link(&repair, &[&carol], "riverside", ("1", "1", "30"))
        .await;
    let services = &node.state.services;
    let bread = node
        .try_post(&carol, "offer", "Bread on Fridays", "Two loaves")
        .await
        .expect("posted");
    let bens = services
        .open_deal_across(&ben, &carol.circle.circle_id, bread, "Bread please")
        .await
        .expect("opened");
    let hers = services.deals_across(&carol).await.expect("hers")[0].0.id;
    services
        .message_deal_across(&carol, hers, "Yes, on Friday")
        .await
        .expect("written");
    let archive = services.takeout(&full(&ben.user)).await.expect("takeout");
    let dir = format!("circles/{SLUG}");
    let deals = text_of(&archive, &format!("{dir}/deals-across.json"));
    assert!(
        deals.contains("carol") && deals.contains("Bread on Fridays"),
        "{deals}"
    );
    let words = text_of(&archive, &format!("{dir}/my-deal-across-messages.csv"));
    assert!(words.contains("Bread please"), "{words}");
    assert!(
        !words.contains("Yes, on Friday"),
        "nothing of carol's: {words}"
    );

    services
        .request_erasure(&full(&ben.user), PASSWORD, None)
        .await
        .expect("asked");
    services.store().advance_clock(15 * DAY_MS);
    assert_eq!(services.erase_due().await.expect("job"), 1);
    assert!(services
        .node_db()
        .link_deal(bens)
        .await
        .expect("read")
        .is_none());
    let kept = services.link_deal_of(&carol, hers).await.expect("hers");
    assert_eq!(kept.row.other_name, "", "his name went with him");
    let bodies: Vec<(bool, &str)> = kept
        .messages
        .iter()
        .map(|message| (message.from_here, message.body.as_str()))
        .collect();
    assert_eq!(bodies, vec![(false, ""), (true, "Yes, on Friday")]);
}

both_backends! {
    deals_across_a_link_are_in_the_takeout_and_leave_with_an_erasure => deals_across;
    a_takeout_holds_all_of_the_members_data_and_nothing_of_anyone_elses_and_its_statement_verifies => takeout;
    erasure_waits_its_grace_period_then_leaves_nothing_personal_and_every_ledger_verifies => erasure;
    a_member_leaves_a_circle_only_at_a_zero_balance_and_never_as_its_last_steward => leaving;
}

/// Through the pages: the data page, a takeout download, and erasure asked and called off.
#[tokio::test]
async fn the_data_page_downloads_a_takeout_and_asks_for_erasure_with_the_password() {
    let db = commons_tests::TestDb::sqlite();
    let server = TestServer::start(&db.url).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Adeyemi").await;
    let page = ben.get("/settings/data").await;
    assert_eq!(page.status, 200);
    let zip = ben
        .submit("/settings/data", "/settings/data/takeout", &[])
        .await;
    assert_eq!(zip.status, 200);
    assert_eq!(zip.headers["content-type"], "application/zip");
    let unsigned = ben.post_without_csrf("/settings/data/takeout", &[]).await;
    assert_eq!(unsigned.status, 403);
    let wrong = ben
        .submit(
            "/settings/data",
            "/settings/data/erase",
            &[("password", "nope")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    let asked = ben
        .submit(
            "/settings/data",
            "/settings/data/erase",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.body.contains("erase/cancel"));
    let kept = ben
        .submit("/settings/data", "/settings/data/erase/cancel", &[])
        .await;
    assert!(!kept.body.contains("erase/cancel"));
    let stranger = server.client().get("/settings/data").await;
    assert!(stranger.url.contains("/login"), "{}", stranger.url);
}
