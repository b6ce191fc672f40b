//! Joining a circle, through the services: asking to join, being vouched for by a member,
//! and a steward admitting or declining. On SQLite and PostgreSQL alike. One walkthrough over
//! HTTP checks that the pay form's errors point at the form's own fields.

use commons_ledger::store::Store;
use commons_tests::both_backends;
use commons_tests::node::{sign_up, Node, SLUG};
use commons_tests::web::{set_up, TestServer};
use commons_web::ledger::form::TransferCommand;
use commons_web::services::{ActionError, IdempotencyKey};

/// The circle takes requests to join (its description and agreements unchanged).
async fn open_to_requests(node: &Node) {
    node.open_to_requests().await;
}

async fn asking_to_join_waits_for_a_steward(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let version = node.agreements_version().await;
    let refused = services
        .ask_to_join(SLUG, Some(&sign_up("ben")), None, "I bake bread", version)
        .await;
    assert!(
        matches!(refused, Err(ActionError::NotFound)),
        "a circle closed to requests hides the form: {refused:?}"
    );

    open_to_requests(&node).await;
    let version = node.agreements_version().await;
    let stale = services
        .ask_to_join(
            SLUG,
            Some(&sign_up("ben")),
            None,
            "I bake bread",
            version - 1,
        )
        .await;
    assert!(
        matches!(stale, Err(ActionError::Invalid { field: "agree", .. })),
        "{stale:?}"
    );
    let (ben, sealing, _) = services
        .ask_to_join(SLUG, Some(&sign_up("ben")), None, "I bake bread", version)
        .await
        .expect("asks");
    assert!(
        matches!(
            node.act_as(&ben, sealing.clone()).await,
            Err(ActionError::NotFound)
        ),
        "someone waiting sees nothing of the circle"
    );
    services
        .admit(&node.steward, ben.id)
        .await
        .expect("admitted");
    let ben = node.act_as(&ben, sealing).await.expect("an active member");
    assert_eq!(
        (
            ben.account.balance_minor,
            ben.account.floor_minor,
            ben.account.ceiling_minor
        ),
        (0, -2000, 4000),
        "admitted with an open account at the circle's default limits"
    );
}

/// The kinds of the member's notifications, newest first.
async fn kinds_of(node: &Node, user: i64) -> Vec<commons_web::notifications::NotificationKind> {
    node.state
        .services
        .node_db()
        .notifications(user, 50)
        .await
        .expect("notes")
        .into_iter()
        .map(|n| n.kind)
        .collect()
}

async fn stewards_are_told_someone_waits(db: String) {
    use commons_web::notifications::NotificationKind;
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let cara = node.member("cara").await;
    open_to_requests(&node).await;
    assert!(
        services
            .waiting_for_you(&node.steward)
            .await
            .expect("waiting")
            .is_none(),
        "nothing waits yet"
    );
    let version = node.agreements_version().await;
    services
        .ask_to_join(SLUG, Some(&sign_up("ben")), None, "I bake bread", version)
        .await
        .expect("asks");
    assert!(kinds_of(&node, node.steward.user.id)
        .await
        .contains(&NotificationKind::JoinRequest));
    assert!(
        !kinds_of(&node, cara.user.id)
            .await
            .contains(&NotificationKind::JoinRequest),
        "only stewards"
    );
    // A member's invitation makes someone wait too.
    let link = services.invite(&cara, "Dan").await.expect("invites");
    services
        .join(&link, Some(&sign_up("dan")), None, version)
        .await
        .expect("joins");
    let waiting = services
        .waiting_for_you(&node.steward)
        .await
        .expect("waiting")
        .expect("two wait");
    assert_eq!((waiting.joins, waiting.cases), (2, 0));
    assert!(services
        .waiting_for_you(&cara)
        .await
        .expect("waiting")
        .is_none());
    // A report waits for the moderators (a steward moderates), never for the member it is about.
    node.report(
        &cara,
        commons_governance::moderation::TargetKind::Member,
        "amara",
        vec![],
        "Rude.",
    )
    .await;
    let dora = node.member("dora").await;
    node.report(
        &dora,
        commons_governance::moderation::TargetKind::Member,
        "cara",
        vec![],
        "Rude too.",
    )
    .await;
    let waiting = services
        .waiting_for_you(&node.steward)
        .await
        .expect("waiting")
        .expect("waits");
    assert_eq!(
        (waiting.joins, waiting.cases),
        (2, 1),
        "not the case about her"
    );
}

async fn a_vouched_member_is_admitted_by_a_steward_only(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let cara = node.member("cara").await;
    let link = services
        .invite(&cara, "Dan from the allotment")
        .await
        .expect("members may invite");
    let version = node.agreements_version().await;
    let (dan, sealing, status, _) = services
        .join(&link, Some(&sign_up("dan")), None, version)
        .await
        .expect("joins");
    assert_eq!(
        status,
        commons_web::db::MemberStatus::Pending,
        "a member's invitation waits for a steward"
    );
    assert!(matches!(
        node.act_as(&dan, sealing.clone()).await,
        Err(ActionError::NotFound)
    ));
    assert!(
        matches!(
            services.admit(&cara, dan.id).await,
            Err(ActionError::Forbidden)
        ),
        "a member who vouched cannot admit"
    );
    services
        .admit(&node.steward, dan.id)
        .await
        .expect("a steward admits");
    assert!(node.act_as(&dan, sealing).await.is_ok());
    assert!(
        matches!(
            services.admit(&node.steward, dan.id).await,
            Err(ActionError::NotFound)
        ),
        "admitting twice opens no second account"
    );
}

async fn a_declined_member_never_gets_an_account(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let cara = node.member("cara").await;
    let link = services.invite(&cara, "Eve").await.expect("invite");
    let version = node.agreements_version().await;
    let (eve, sealing, _, _) = services
        .join(&link, Some(&sign_up("eve")), None, version)
        .await
        .expect("joins");
    assert!(
        matches!(
            services.decline_member(&cara, eve.id).await,
            Err(ActionError::Forbidden)
        ),
        "a member cannot decline"
    );
    let accounts_before = services
        .store()
        .accounts(&node.steward.circle)
        .await
        .expect("accounts")
        .len();
    services
        .decline_member(&node.steward, eve.id)
        .await
        .expect("declined");
    assert!(matches!(
        node.act_as(&eve, sealing).await,
        Err(ActionError::NotFound)
    ));
    assert!(
        matches!(
            services.admit(&node.steward, eve.id).await,
            Err(ActionError::NotFound)
        ),
        "a declined person cannot be admitted by a second click"
    );
    let accounts_after = services
        .store()
        .accounts(&node.steward.circle)
        .await
        .expect("accounts")
        .len();
    assert_eq!(accounts_before, accounts_after, "no account was opened");
}

async fn paying_an_unknown_member_names_the_member_field(db: String) {
    let node = Node::start(&db).await;
    let command = TransferCommand::parse(&node.steward.circle, "nobody", "1", "").expect("parses");
    let refused = node
        .state
        .services
        .pay(&node.steward, &command, &IdempotencyKey::generate())
        .await;
    assert!(
        matches!(
            refused,
            Err(ActionError::Invalid {
                field: "member",
                message_id: "error-member-unknown"
            })
        ),
        "{refused:?}"
    );
    let store = Store::open(&db).await.expect("store");
    let head = store.circle(SLUG).await.expect("circle").head_seq;
    assert_eq!(head, node.steward.circle.head_seq, "nothing was written");
}

both_backends! {
    asking_to_join_waits_in_the_waiting_room_until_a_steward_admits_with_an_open_account => asking_to_join_waits_for_a_steward;
    a_member_vouched_for_by_another_is_admitted_by_a_steward_and_never_by_the_voucher => a_vouched_member_is_admitted_by_a_steward_only;
    a_steward_declines_a_vouched_member_and_no_account_is_ever_opened => a_declined_member_never_gets_an_account;
    paying_an_unknown_member_is_refused_on_the_member_field_and_writes_nothing => paying_an_unknown_member_names_the_member_field;
    a_member_who_asked_to_join_posts_three_listings_a_day_during_their_first_week => a_member_who_asked_to_join_starts_in_the_sandbox;
    thirty_concurrent_posts_never_pass_the_sandboxs_daily_allowance => concurrent_posts_never_pass_the_sandbox_allowance;
    a_steward_is_told_when_someone_asks_to_join_and_sees_who_waits_on_their_home => stewards_are_told_someone_waits;
    twelve_people_asking_at_once_for_the_last_three_places_never_pass_the_waiting_rooms_cap => concurrent_requests_never_pass_the_waiting_rooms_cap;
}

/// The pay page's error summary links each error to its field, by the form's own names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pay_pages_unknown_member_error_links_to_the_member_field() {
    let db = commons_tests::TestDb::sqlite();
    let server = TestServer::start(&db.url).await;
    let mut steward = set_up(&server).await;
    let page = steward
        .submit(
            "/c/garden/pay",
            "/c/garden/pay",
            &[("member", "nobody"), ("amount", "1")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("href=\"#member\""), "{}", page.body);
    assert!(
        page.body.contains("id=\"member\""),
        "the link has a field to land on"
    );
    assert!(!page.body.contains("#payee"));
    let page = steward
        .submit(
            "/c/garden/pay",
            "/c/garden/pay",
            &[("member", ""), ("amount", ""), ("memo", &"x".repeat(1001))],
        )
        .await;
    for field in ["#member", "#amount", "#memo"] {
        assert!(
            page.body.contains(&format!("href=\"{field}\"")),
            "every wrong field is listed: {field}"
        );
    }
    server.stop().await;
}

/// A public form sent back at once, or with the field no person sees filled in, changes
/// nothing; the same form sent at a person's pace joins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_form_sent_back_at_once_or_with_the_hidden_field_filled_makes_no_account() {
    use commons_tests::web::{csrf_in, hidden_in, invitation_path};
    let db = commons_tests::TestDb::sqlite();
    let server =
        TestServer::start_configured(&db.url, |config| config.form_fill_ms_min = 3_000).await;
    let mut amara = set_up(&server).await;
    let page = amara
        .submit(
            "/c/garden/invitations",
            "/c/garden/invitations",
            &[("note", "Dan")],
        )
        .await;
    let link = invitation_path(&page.body).expect("a link");
    let mut dan = server.client();
    let send = |dan: &commons_tests::web::Member, html: &str, honey: &str| {
        let form = vec![
            ("csrf".to_owned(), csrf_in(html).expect("csrf")),
            (
                "stamp".to_owned(),
                hidden_in(html, "stamp").expect("a stamp"),
            ),
            ("display_name".to_owned(), "Dan".to_owned()),
            ("username".to_owned(), "dan".to_owned()),
            ("password".to_owned(), "a long enough password".to_owned()),
            ("agreements_version".to_owned(), "1".to_owned()),
            ("agree".to_owned(), "yes".to_owned()),
            ("website".to_owned(), honey.to_owned()),
        ];
        dan.http
            .post(format!("{}{link}", dan.base))
            .form(&form)
            .send()
    };
    let shown = dan.get(&link).await.body;
    let at_once = send(&dan, &shown, "").await.expect("POST");
    assert_eq!(at_once.status(), 422);
    assert!(at_once
        .text()
        .await
        .expect("body")
        .contains("sent very quickly"));
    server.state.services.store().advance_clock(5_000);
    let honey = send(&dan, &shown, "http://spam.example")
        .await
        .expect("POST");
    assert_eq!(
        honey.status(),
        422,
        "the hidden field filled in: refused even at a person's pace"
    );
    let accounts = server
        .state
        .services
        .node_db()
        .user_count()
        .await
        .expect("count");
    assert_eq!(accounts, 1, "nobody but amara has an account");
    let person = send(&dan, &shown, "").await.expect("POST");
    assert!(person.status().is_success(), "{}", person.status());
    assert_eq!(
        server
            .state
            .services
            .node_db()
            .user_count()
            .await
            .expect("count"),
        2
    );
    server.stop().await;
}

/// Someone who asked to join (no vouch: the sandbox) and whom a steward admitted, acting.
async fn asked_and_admitted(node: &Node, username: &str) -> commons_web::services::Actor {
    node.newcomer(username).await
}

async fn a_member_who_asked_to_join_starts_in_the_sandbox(db: String) {
    use commons_web::membership::sandbox::{SandboxLimit, SANDBOX_DAYS};
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let ben = asked_and_admitted(&node, "ben").await;
    let input = |n: usize| commons_web::market::ListingInput {
        side: "offer".into(),
        kind: "skill".into(),
        title: format!("Help number {n}"),
        description: "Anything you need.".into(),
        category: "repairs/bikes".into(),
        value_kind: "gift".into(),
        ..commons_web::market::ListingInput::default()
    };
    let post = |n: usize| {
        let input = input(n);
        let ben = &ben;
        async move {
            let draft = services
                .parse_listing(ben, &input, commons_market::text::Language::English)
                .await
                .expect("parses")
                .expect("valid");
            services.create_listing(ben, &draft).await
        }
    };
    for n in 0..SandboxLimit::Listings.per_day() as usize {
        post(n).await.expect("within the day's allowance");
    }
    let refused = post(99).await;
    assert!(
        matches!(refused, Err(ActionError::Sandboxed(SandboxLimit::Listings))),
        "{refused:?}"
    );
    let cara = node.member("cara").await;
    for n in 0..5 {
        post_as(&node, &cara, n).await;
    }
    // A day later the allowance is new; after the first week there is none.
    services.store().advance_clock(24 * 3_600_000 + 1);
    post(100).await.expect("a new day");
    services
        .store()
        .advance_clock(SANDBOX_DAYS * 24 * 3_600_000);
    for n in 200..206 {
        post(n).await.expect("out of the sandbox");
    }
}

async fn concurrent_posts_never_pass_the_sandbox_allowance(db: String) {
    use commons_web::membership::sandbox::SandboxLimit;
    let node = Node::start(&db).await;
    let ben = asked_and_admitted(&node, "ben").await;
    // Thirty posts at once, as a script would send them.
    let mut tasks = Vec::new();
    for n in 0..30 {
        let (state, ben) = (node.state.clone(), ben.clone());
        tasks.push(tokio::spawn(async move {
            let input = commons_web::market::ListingInput {
                side: "offer".into(),
                kind: "skill".into(),
                title: format!("Flood number {n}"),
                description: "Anything you need.".into(),
                category: "repairs/bikes".into(),
                value_kind: "gift".into(),
                ..commons_web::market::ListingInput::default()
            };
            let draft = state
                .services
                .parse_listing(&ben, &input, commons_market::text::Language::English)
                .await
                .expect("parses")
                .expect("valid");
            state.services.create_listing(&ben, &draft).await.is_ok()
        }));
    }
    let mut written = 0;
    for task in tasks {
        written += usize::from(task.await.expect("task"));
    }
    assert_eq!(
        written as i64,
        SandboxLimit::Listings.per_day(),
        "thirty at once write the day's allowance, no more"
    );
}

/// Twelve people ask at once for the last three places in the waiting room: three wait, the
/// others are told the room is full, and the room never holds more than its cap.
async fn concurrent_requests_never_pass_the_waiting_rooms_cap(db: String) {
    use sqlx::Row;
    let node = Node::start(&db).await;
    open_to_requests(&node).await;
    let services = &node.state.services;
    let (circle, pool) = (node.steward.circle.row_id, services.store().pool().clone());
    let cap = commons_web::services::PENDING_PER_CIRCLE_MAX;
    let waiting = || async {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM memberships WHERE circle = $1 AND status = 'pending'",
        )
        .bind(circle)
        .fetch_one(&pool)
        .await
        .expect("count");
        row.try_get::<i64, _>("n").expect("n")
    };
    commons_tests::fill_waiting_room(&pool, circle, cap - 3).await;
    assert_eq!(waiting().await, cap - 3);
    let version = node.agreements_version().await;
    let mut tasks = Vec::new();
    for n in 0..12 {
        let state = node.state.clone();
        tasks.push(tokio::spawn(async move {
            let person = sign_up(&format!("asker{n}"));
            match state
                .services
                .ask_to_join(SLUG, Some(&person), None, "Hello", version)
                .await
            {
                Ok(_) => true,
                Err(ActionError::Invalid {
                    message_id: "error-waiting-room-full",
                    ..
                }) => false,
                Err(other) => panic!("{other:?}"),
            }
        }));
    }
    let mut admitted = 0;
    for task in tasks {
        admitted += usize::from(task.await.expect("task"));
    }
    assert_eq!(admitted, 3, "the last three places, no more");
    assert_eq!(waiting().await, cap);
}

/// An invited member posts without the sandbox's allowance.
async fn post_as(node: &Node, actor: &commons_web::services::Actor, n: usize) {
    let services = &node.state.services;
    let input = commons_web::market::ListingInput {
        side: "need".into(),
        kind: "skill".into(),
        title: format!("Need number {n}"),
        description: "Anything.".into(),
        category: "repairs/bikes".into(),
        value_kind: "gift".into(),
        ..commons_web::market::ListingInput::default()
    };
    let draft = services
        .parse_listing(actor, &input, commons_market::text::Language::English)
        .await
        .expect("parses")
        .expect("valid");
    services
        .create_listing(actor, &draft)
        .await
        .expect("no sandbox for the invited");
}
