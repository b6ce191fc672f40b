//! Two nodes on loopback, one on SQLite and one on PostgreSQL, each serving its own database:
//! their circles link by a proposal in each (the form reads the other circle's descriptor from
//! its node), members pay across over HTTP in both directions, a replayed relay pays nothing
//! more, a relay under the wrong key is refused, and a payment sent while the other node is
//! down is held, then finished when it is back: on both ledgers or on neither, audited. Down
//! for longer than the deadline, the other node refuses the late payment (signed) and the
//! payer's hold is released.

use commons_ledger::entry::Body;
use commons_ledger::export::RawEntry;
use commons_ledger::relay::{proved, Answer, Relay, RELAY_FORMAT, RELAY_VERSION};
use commons_tests::node::{cross_pay, serve, Node};
use commons_tests::TestDb;
use commons_web::links::requests::RequestOutcome;
use commons_web::links::CrossResult;
use commons_web::services::{Actor, IdempotencyKey};

async fn node(url: &str) -> Node {
    Node::start_configured(url, |config| config.federation_private_addresses = true).await
}

async fn audits_clean(node: &Node) {
    let store = node.state.services.store();
    for circle in store.circles().await.expect("circles") {
        let report = store
            .audit(&circle.slug, None, &|_| {})
            .await
            .expect("audit");
        assert!(report.passed(), "{}: {:?}", circle.slug, report.faults);
    }
}

/// The relay of the hold that paid `transfer`'s first attempt, rebuilt from A's store as A sent it.
async fn relay_of_last_hold(node: &Node, actor: &Actor, to: &commons_ledger::keys::Hash) -> Relay {
    let store = node.state.services.store();
    let info = &actor.circle;
    let head = store.latest_tree_head(info).await.expect("head");
    let entries = store
        .entries_of_kinds_before(info, &[12], head.tree_size, 1)
        .await
        .expect("holds");
    let hold = entries.first().expect("a hold");
    assert!(matches!(hold.entry.signed.record.body, Body::Hold(_)));
    let proof = store
        .inclusion_proof(info, hold.entry.seq, head.tree_size)
        .await
        .expect("proof");
    Relay {
        format: RELAY_FORMAT.into(),
        version: RELAY_VERSION,
        from: info.circle_id.to_hex(),
        to: to.to_hex(),
        hold: proved(
            &RawEntry::from_entry(&hold.entry, hold.memo.clone()),
            &hold.hash,
            &proof,
        ),
        head: commons_ledger::export::TreeHeadLine::from_head(&head),
        consistency: None,
        held_size: 0,
    }
}

/// Two nodes serving on loopback (A on `db_a`, B on `db_b`), Ben on A and Carol on B, their
/// circles linked by a proposal in each at 1 hour of A = 2 of B, sharing their markets.
struct Pair {
    a: Node,
    b: Node,
    ben: Actor,
    carol: Actor,
    base_a: String,
    base_b: String,
    address_a: String,
    address_b: String,
    stop_b: tokio::sync::oneshot::Sender<()>,
    task_b: tokio::task::JoinHandle<()>,
    _a: (
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ),
    _dbs: (TestDb, TestDb),
}

async fn linked_pair(db_a: TestDb, db_b: TestDb) -> Pair {
    let (a, b) = (node(&db_a.url).await, node(&db_b.url).await);
    let (base_a, stop_a, task_a) = serve(a.state.clone(), 0).await;
    let (base_b, stop_b, task_b) = serve(b.state.clone(), 0).await;
    let ben = a.member("ben").await;
    let carol = b.member("carol").await;
    let (address_a, address_b) = (
        format!("{base_a}/c/riverside"),
        format!("{base_b}/c/riverside"),
    );
    // Each circle's proposal reads the other's descriptor: 1 hour here = 2 there, and back.
    a.link(&a.steward, &[&ben], &address_b, ("1", "2", "50"))
        .await;
    b.link(&b.steward, &[&carol], &address_a, ("2", "1", "50"))
        .await;
    Pair {
        a,
        b,
        ben,
        carol,
        base_a,
        base_b,
        address_a,
        address_b,
        stop_b,
        task_b,
        _a: (stop_a, task_a),
        _dbs: (db_a, db_b),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_link_and_pay_across_over_http_all_or_nothing() {
    let Pair {
        a,
        b,
        ben,
        carol,
        base_a: _base_a,
        base_b,
        address_a,
        address_b,
        stop_b,
        task_b,
        _a: _serving_a,
        _dbs,
    } = linked_pair(TestDb::sqlite(), TestDb::postgres().await).await;
    let payable = a
        .state
        .services
        .payable_circles(&ben)
        .await
        .expect("payable");
    assert_eq!(payable.len(), 1);
    assert_eq!(payable[0].partner.reference, address_b);

    // Ben pays Carol 1.50 hours: 3.00 arrive on the other node.
    let attempt = IdempotencyKey::generate();
    let (quote, result) = a
        .state
        .services
        .pay_across(&ben, &cross_pay(&address_b, "carol", 150), &attempt)
        .await
        .expect("pay");
    assert_eq!(result, CrossResult::Paid);
    assert_eq!(quote.payee.display_name, "carol");
    assert_eq!(
        (a.balance(&ben).await, b.balance(&carol).await),
        (-150, 300)
    );
    // And back: Carol pays Ben 1.00, he receives 0.50.
    let (_, back) = b
        .state
        .services
        .pay_across(
            &carol,
            &cross_pay(&address_a, "ben", 100),
            &IdempotencyKey::generate(),
        )
        .await
        .expect("back");
    assert_eq!(back, CrossResult::Paid);
    assert_eq!(
        (a.balance(&ben).await, b.balance(&carol).await),
        (-100, 200)
    );

    // A replayed relay (Ben's payment, posted again by anyone) gets the same answer, and
    // nothing moves twice.
    let http = reqwest::Client::new();
    let replay = relay_of_last_hold(&a, &ben, &carol.circle.circle_id).await;
    for _ in 0..2 {
        let answer: Answer = http
            .post(format!("{base_b}/api/federation/transaction/relay"))
            .json(&replay)
            .send()
            .await
            .expect("post")
            .json()
            .await
            .expect("an answer");
        assert!(matches!(answer, Answer::Completed { .. }), "{answer:?}");
    }
    assert_eq!(b.balance(&carol).await, 200);
    // A relay whose tree head is not signed by the linked circle's node key is refused.
    let mut forged = replay.clone();
    forged.head.signature = commons_ledger::keys::SecretKey::generate()
        .sign(b"not the head")
        .to_hex();
    let refused = http
        .post(format!("{base_b}/api/federation/transaction/relay"))
        .json(&forged)
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 400);
    let envelope: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(envelope["error"]["code"], "untrusted");
    // A payee question not signed by the linked node is refused, and a stranger cannot list
    // the circle's members.
    let question = serde_json::json!({
        "format": "commons.link.payee", "from": ben.circle.circle_id.to_hex(),
        "to": carol.circle.circle_id.to_hex(), "username": "carol", "at_ms": 0,
        "signature": "00".repeat(64),
    });
    let asked = http
        .post(format!("{base_b}/api/federation/circles/riverside/payee"))
        .json(&question)
        .send()
        .await
        .expect("post");
    assert_eq!(asked.status(), 401);

    // Ben checks the payment (the other node names Carol); then that node goes down before he
    // sends it: his payment is held, not guessed.
    a.state
        .services
        .quote_across(&ben, &cross_pay(&address_b, "carol", 200))
        .await
        .expect("quote");
    let port_b: u16 = base_b
        .rsplit(':')
        .next()
        .expect("port")
        .parse()
        .expect("port");
    let _ = stop_b.send(());
    let _ = task_b.await;
    let (_, held) = a
        .state
        .services
        .pay_across(
            &ben,
            &cross_pay(&address_b, "carol", 200),
            &IdempotencyKey::generate(),
        )
        .await
        .unwrap_or_else(|error| panic!("{error:?}"));
    assert_eq!(held, CrossResult::OnItsWay);
    let in_flight = a
        .state
        .services
        .store()
        .holds_in_flight(&ben.circle)
        .await
        .expect("in flight");
    assert_eq!(in_flight.len(), 1);
    assert_eq!(a.balance(&ben).await, -100, "held, not moved");
    // It comes back: the node finishes what was on its way; both sides have it.
    let (_, stop_b, task_b) = serve(b.state.clone(), port_b).await;
    a.state
        .services
        .finish_payments_across()
        .await
        .expect("finish");
    assert!(a
        .state
        .services
        .store()
        .holds_in_flight(&ben.circle)
        .await
        .expect("none")
        .is_empty());
    assert_eq!(
        (a.balance(&ben).await, b.balance(&carol).await),
        (-300, 600)
    );

    // Down for longer than the deadline: the payment is held until the other node answers,
    // and it answers with a signed refusal (too late), so Ben's hold is released: nothing moved.
    let _ = stop_b.send(());
    let _ = task_b.await;
    let (_, late) = a
        .state
        .services
        .pay_across(
            &ben,
            &cross_pay(&address_b, "carol", 50),
            &IdempotencyKey::generate(),
        )
        .await
        .expect("held");
    assert_eq!(late, CrossResult::OnItsWay);
    b.state
        .services
        .store()
        .advance_clock(commons_web::links::CROSS_DEADLINE_MS + 60_000);
    let (_base_b, _stop_b, _task_b) = serve(b.state.clone(), port_b).await;
    assert_eq!(
        a.state
            .services
            .finish_payments_across()
            .await
            .expect("finish"),
        1
    );
    assert!(a
        .state
        .services
        .store()
        .holds_in_flight(&ben.circle)
        .await
        .expect("none")
        .is_empty());
    assert_eq!(
        (a.balance(&ben).await, b.balance(&carol).await),
        (-300, 600),
        "the late payment moved nothing"
    );
    audits_clean(&a).await;
    audits_clean(&b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_on_another_node_asks_to_be_paid_and_is_paid_once() {
    let Pair {
        a,
        b,
        ben,
        carol,
        base_a,
        base_b: _base_b,
        address_a,
        address_b: _address_b,
        stop_b: _stop_b,
        task_b: _task_b,
        _a: _serving_a,
        _dbs,
    } = linked_pair(TestDb::postgres().await, TestDb::sqlite()).await;
    let (services_a, services_b) = (&a.state.services, &b.state.services);
    // Carol asks Ben for 3.00 of her hours: he sees 1.50 of his.
    let ask = |amount_minor| {
        let (carol, command) = (&carol, cross_pay(&address_a, "ben", amount_minor));
        async move {
            services_b
                .request_across(carol, &command, &IdempotencyKey::generate())
                .await
        }
    };
    let asked = ask(300).await.expect("asked");
    assert_eq!(asked.other_name, "ben");
    let to_ben = services_a.requests_across(&ben).await.expect("ben's");
    assert_eq!(
        (to_ben.len(), to_ben[0].incoming, to_ben[0].amount_minor),
        (1, true, 150)
    );
    assert_eq!(
        services_a
            .answer_request_across(&ben, to_ben[0].id, true)
            .await
            .expect("paid"),
        RequestOutcome::Paid
    );
    assert_eq!(
        (a.balance(&ben).await, b.balance(&carol).await),
        (-150, 300)
    );
    assert!(
        services_b
            .requests_across(&carol)
            .await
            .expect("none")
            .is_empty(),
        "Carol's node was told it is paid"
    );
    // Declined there, or withdrawn here: closed on both nodes.
    ask(100).await.expect("asked");
    let open = services_a.requests_across(&ben).await.expect("open");
    services_a
        .answer_request_across(&ben, open[0].id, false)
        .await
        .expect("declined");
    assert!(services_b
        .requests_across(&carol)
        .await
        .expect("none")
        .is_empty());
    ask(100).await.expect("asked");
    let mine = services_b.requests_across(&carol).await.expect("open");
    services_b
        .answer_request_across(&carol, mine[0].id, false)
        .await
        .expect("withdrawn");
    assert!(services_a
        .requests_across(&ben)
        .await
        .expect("none")
        .is_empty());
    // A message not signed by the linked circle's node key is refused, and changes nothing.
    let forged = serde_json::json!({
        "format": "commons.link.request", "from": carol.circle.circle_id.to_hex(),
        "to": ben.circle.circle_id.to_hex(), "uuid": "00".repeat(16), "event": "ask",
        "asker": "carol", "asker_name": "Carol", "payer": "ben", "amount_minor": 100,
        "memo": "", "at_ms": services_a.now_ms(), "signature": "00".repeat(64),
    });
    let refused = reqwest::Client::new()
        .post(format!(
            "{base_a}/api/federation/circles/riverside/requests"
        ))
        .json(&forged)
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 401);
    assert!(services_a
        .requests_across(&ben)
        .await
        .expect("none")
        .is_empty());
    assert_eq!(b.balance(&carol).await, 300, "paid once");
}

/// A circle on another node shares its market: a member here finds a listing there (in
/// Spanish, by English words), sees it priced in their unit, and pays its author across, from
/// the listing to the settled payment. A question not signed by the linked node is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_market_shared_between_nodes_is_found_priced_and_paid_across() {
    use commons_web::links::market::AcrossQuery;
    let Pair {
        a,
        b,
        ben,
        carol,
        base_a: _base_a,
        base_b,
        address_a: _address_a,
        address_b,
        stop_b: _stop_b,
        task_b: _task_b,
        _a: _serving_a,
        _dbs,
    } = linked_pair(TestDb::sqlite(), TestDb::postgres().await).await;
    // Carol writes in Spanish.
    let input = commons_web::market::ListingInput {
        side: "offer".into(),
        kind: "skill".into(),
        title: "Clases de guitarra para principiantes".into(),
        description: "Una hora a la semana.".into(),
        category: "other".into(),
        value_kind: "per_hour".into(),
        amount: "1".into(),
        ..commons_web::market::ListingInput::default()
    };
    let draft = b
        .state
        .services
        .parse_listing(&carol, &input, commons_market::text::Language::Spanish)
        .await
        .expect("parses")
        .expect("valid");
    let lessons = b
        .state
        .services
        .create_listing(&carol, &draft)
        .await
        .expect("posted")
        .id;
    let services = &a.state.services;
    let query = AcrossQuery {
        text: "guitar lessons".into(),
        ..AcrossQuery::default()
    };
    let (found, unreachable) = services.listings_across(&ben, &query).await.expect("asked");
    assert!(unreachable.is_empty(), "{unreachable:?}");
    assert_eq!(
        found.iter().map(|listing| listing.id).collect::<Vec<_>>(),
        vec![lessons]
    );
    let listing = services
        .listing_across(&ben, &carol.circle.circle_id, lessons)
        .await
        .expect("the listing");
    assert_eq!(listing.circle.address, base_b);
    assert_eq!(
        listing.value_here_minor,
        Some(50),
        "1.00 of Carol's hours is 0.50 of Ben's"
    );
    // Ben pays Carol for an hour from the listing: 0.50 here, 1.00 there.
    let (_, paid) = services
        .pay_across(
            &ben,
            &cross_pay(&address_b, &listing.author_username, 50),
            &IdempotencyKey::generate(),
        )
        .await
        .expect("paid");
    assert_eq!(paid, CrossResult::Paid);
    assert_eq!((a.balance(&ben).await, b.balance(&carol).await), (-50, 100));
    // Nobody but the linked node may ask B's market.
    let forged = serde_json::json!({
        "format": "commons.link.market", "from": ben.circle.circle_id.to_hex(),
        "to": carol.circle.circle_id.to_hex(), "text": "", "side": null, "id": null,
        "at_ms": b.state.services.now_ms(), "signature": "00".repeat(64),
    });
    let refused = reqwest::Client::new()
        .post(format!("{base_b}/api/federation/circles/riverside/market"))
        .json(&forged)
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 401);
}

/// Posts a listing for `member` on `node` (value per hour, 1.00).
async fn post_on(
    node: &Node,
    member: &Actor,
    side: &str,
    title: &str,
    language: commons_market::text::Language,
) -> i64 {
    let input = commons_web::market::ListingInput {
        side: side.into(),
        kind: "skill".into(),
        title: title.into(),
        description: "Una hora, o dos.".into(),
        category: "other".into(),
        value_kind: "per_hour".into(),
        amount: "1".into(),
        ..commons_web::market::ListingInput::default()
    };
    let services = &node.state.services;
    let draft = services
        .parse_listing(member, &input, language)
        .await
        .expect("parses")
        .expect("valid");
    services
        .create_listing(member, &draft)
        .await
        .expect("posted")
        .id
}

/// A deal across two circles on two nodes, from the listing to the settled payment, both ways
/// round: Ben (on A) answers Carol's offer (on B), whose side decides, and pays her; Carol
/// answers Ben's need, and Ben, whose side decides, pays her. With B down, nothing is kept as
/// sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deal_across_two_nodes_goes_from_the_listing_to_the_settled_payment() {
    use commons_market::deal::Status;
    use commons_market::text::Language;
    use commons_web::links::deals::DealStep;
    let Pair {
        a,
        b,
        ben,
        carol,
        base_a: _base_a,
        base_b: _base_b,
        address_a: _address_a,
        address_b: _address_b,
        stop_b,
        task_b,
        _a: _serving_a,
        _dbs,
    } = linked_pair(TestDb::sqlite(), TestDb::postgres().await).await;
    let (on_a, on_b) = (&a.state.services, &b.state.services);
    let lessons = post_on(
        &b,
        &carol,
        "offer",
        "Clases de guitarra para principiantes",
        Language::Spanish,
    )
    .await;

    // Ben answers Carol's offer from its page on A: Carol's node keeps her side, and his words.
    let bens = on_a
        .open_deal_across(
            &ben,
            &carol.circle.circle_id,
            lessons,
            "Hi! Saturday morning?",
        )
        .await
        .expect("opened");
    let carols = on_b.deals_across(&carol).await.expect("hers")[0].0.id;
    let hers = on_b.link_deal_of(&carol, carols).await.expect("hers");
    assert_eq!(
        (hers.row.other_username.as_str(), hers.row.owner_here),
        ("ben", true)
    );
    assert_eq!(hers.messages[0].body, "Hi! Saturday morning?");
    // She proposes two of her hours; he sees them, and that they cost him one of his.
    let propose = |text: &str, amount| DealStep::Propose {
        description: text.into(),
        amount_minor: Some(amount),
    };
    on_b.step_deal_across(&carol, carols, propose("Dos clases", 200), None)
        .await
        .expect("proposed");
    let his = on_a.link_deal_of(&ben, bens).await.expect("his");
    assert_eq!(
        (his.row.status, his.terms_here_minor(200)),
        (Status::Proposed, Some(100))
    );
    on_a.step_deal_across(&ben, bens, DealStep::Agree, Some(his.row.version))
        .await
        .expect("agreed");
    assert_eq!(
        on_b.link_deal_of(&carol, carols)
            .await
            .expect("hers")
            .row
            .status,
        Status::Agreed
    );
    let done = on_a
        .complete_deal_across(&ben, bens, None)
        .await
        .expect("completed");
    assert_eq!(done.status, Status::Completed);
    on_a.complete_deal_across(&ben, bens, None)
        .await
        .expect("again: nothing more");
    let hers = on_b.link_deal_of(&carol, carols).await.expect("hers");
    assert_eq!(
        (hers.row.status, hers.row.transfer.clone()),
        (Status::Completed, done.transfer.clone())
    );
    assert_eq!(
        (a.balance(&ben).await, b.balance(&carol).await),
        (-100, 200)
    );

    // The other way round: Ben needs a drill on A; Carol can help from B. Ben's side decides,
    // and tells B of every step.
    let drill = post_on(&a, &ben, "need", "Power drill to lend", Language::English).await;
    let carols = on_b
        .open_deal_across(&carol, &ben.circle.circle_id, drill, "")
        .await
        .expect("opened");
    on_b.step_deal_across(
        &carol,
        carols,
        propose("My drill for the weekend", 50),
        None,
    )
    .await
    .expect("proposed");
    let bens = on_a.deals_across(&ben).await.expect("his")[0].0.id;
    on_a.step_deal_across(&ben, bens, DealStep::Agree, None)
        .await
        .expect("agreed");
    assert_eq!(
        on_b.link_deal_of(&carol, carols)
            .await
            .expect("hers")
            .row
            .status,
        Status::Agreed,
        "told by A"
    );
    on_a.complete_deal_across(&ben, bens, None)
        .await
        .expect("completed: Ben pays 0.50 of his");
    assert_eq!(
        on_b.link_deal_of(&carol, carols)
            .await
            .expect("hers")
            .row
            .status,
        Status::Completed,
        "told by A"
    );
    assert_eq!(
        (a.balance(&ben).await, b.balance(&carol).await),
        (-150, 300)
    );
    audits_clean(&a).await;
    audits_clean(&b).await;

    // B is down: Ben's message is not sent, and not kept on A as if it were.
    stop_b.send(()).expect("stop B");
    task_b.await.expect("B stopped");
    let before = on_a
        .link_deal_of(&ben, bens)
        .await
        .expect("his")
        .messages
        .len();
    let unsent = on_a.message_deal_across(&ben, bens, "Thanks again!").await;
    assert!(
        matches!(
            unsent,
            Err(commons_web::services::ActionError::Invalid {
                message_id: "deal-across-unreachable",
                ..
            })
        ),
        "{unsent:?}"
    );
    assert_eq!(
        on_a.link_deal_of(&ben, bens)
            .await
            .expect("his")
            .messages
            .len(),
        before
    );
}

/// Three circles on three nodes (SQLite, PostgreSQL, SQLite): A and C are not linked, both are
/// linked with B. Ben, on A, finds C among the circles he can pay ("through B"), B's node names
/// Dora in C, and his payment is recorded on every ledger it passes, each hop at its own rate
/// (rates that do not divide, each rounded down) and within its own limits, all or nothing;
/// and back the other way. Every ledger audits and B's books balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_pay_through_the_middle_one_at_each_links_rate_all_or_nothing() {
    use commons_ledger::crossing::connector_key;
    let (db_a, db_b, db_c) = (TestDb::sqlite(), TestDb::postgres().await, TestDb::sqlite());
    let (a, b, c) = (
        node(&db_a.url).await,
        node(&db_b.url).await,
        node(&db_c.url).await,
    );
    let (base_a, _stop_a, _task_a) = serve(a.state.clone(), 0).await;
    let (base_b, _stop_b, _task_b) = serve(b.state.clone(), 0).await;
    let (base_c, _stop_c, _task_c) = serve(c.state.clone(), 0).await;
    let (ben, carol, dora) = (
        a.member("ben").await,
        b.member("carol").await,
        c.member("dora").await,
    );
    let (at_a, at_b, at_c) = (
        format!("{base_a}/c/riverside"),
        format!("{base_b}/c/riverside"),
        format!("{base_c}/c/riverside"),
    );
    // A–B: 3 of A's = 7 of B's. B–C: 2 of B's = 3 of C's; at most 5.00 owed on B–C.
    a.link(&a.steward, &[&ben], &at_b, ("3", "7", "50")).await;
    b.link(&b.steward, &[&carol], &at_a, ("7", "3", "50")).await;
    b.link(&b.steward, &[&carol], &at_c, ("2", "3", "5")).await;
    c.link(&c.steward, &[&dora], &at_b, ("3", "2", "5")).await;
    let (on_a, on_c) = (&a.state.services, &c.state.services);

    let destinations = on_a.destinations(&ben).await.expect("destinations");
    let through = destinations
        .iter()
        .find(|destination| destination.end.is_some())
        .expect("C, through B");
    assert_eq!(through.via.partner.reference, at_b);
    assert!(through.reference().contains('#'));
    let to_c = through.reference();
    // 1.00 of A's is 2.33 of B's (7/3, rounded down), which is 3.49 of C's (3/2, rounded down).
    let command = on_a
        .cross_command(&ben, &to_c, "dora", "1.00", "Seeds")
        .await
        .expect("a payment through B");
    let quote = on_a.quote_across(&ben, &command).await.expect("quoted");
    assert_eq!(
        (quote.amount_there_minor, quote.amount_received_minor()),
        (233, 349)
    );
    assert_eq!(quote.payee.username, "dora");
    let (_, paid) = on_a
        .pay_across(&ben, &command, &IdempotencyKey::generate())
        .await
        .expect("paid");
    assert_eq!(paid, CrossResult::Paid);
    assert_eq!((a.balance(&ben).await, c.balance(&dora).await), (-100, 349));
    // B passed it on: its connector for A owes 2.33, its connector for C is owed them.
    let store_b = b.state.services.store();
    for (circle, owed) in [(&ben.circle.circle_id, -233), (&dora.circle.circle_id, 233)] {
        let row = store_b
            .account(&carol.circle, &connector_key(circle))
            .await
            .expect("row")
            .expect("a connector");
        assert_eq!(row.balance_minor, owed);
    }

    // Past the B–C limit: refused at C's link, released at B and at A, nothing moved.
    let too_much = on_a
        .cross_command(&ben, &to_c, "dora", "2.00", "")
        .await
        .expect("parsed");
    let (_, refused) = on_a
        .pay_across(&ben, &too_much, &IdempotencyKey::generate())
        .await
        .expect("answered");
    assert!(
        matches!(refused, CrossResult::Refused { .. }),
        "{refused:?}"
    );
    assert_eq!((a.balance(&ben).await, c.balance(&dora).await), (-100, 349));

    // And back: Dora pays Ben through B.
    let back = on_c
        .destinations(&dora)
        .await
        .expect("destinations")
        .into_iter()
        .find(|destination| destination.end.is_some())
        .expect("A, through B")
        .reference();
    let command = on_c
        .cross_command(&dora, &back, "ben", "1.50", "")
        .await
        .expect("parsed");
    let (_, paid) = on_c
        .pay_across(&dora, &command, &IdempotencyKey::generate())
        .await
        .expect("paid");
    assert_eq!(paid, CrossResult::Paid);
    // 1.50 of C's is 1.00 of B's (2/3), which is 0.42 of A's (3/7, rounded down).
    assert_eq!((a.balance(&ben).await, c.balance(&dora).await), (-58, 199));
    for node in [&a, &b, &c] {
        audits_clean(node).await;
        let store = node.state.services.store();
        for circle in store.circles().await.expect("circles") {
            assert!(store
                .holds_in_flight(&circle)
                .await
                .expect("holds")
                .is_empty());
        }
    }
    // Someone not linked with B asks its routes: refused.
    let forged = serde_json::json!({
        "format": "commons.link.routes", "from": "00".repeat(32),
        "to": carol.circle.circle_id.to_hex(), "at_ms": b.state.services.now_ms(),
        "signature": "00".repeat(64),
    });
    let refused = reqwest::Client::new()
        .post(format!("{base_b}/api/federation/circles/riverside/routes"))
        .json(&forged)
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    drop((db_a, db_b, db_c));
}

/// Carol, on B, blocks Ben, of A, from their deal: B keeps it, and holds it both ways. The deal
/// is called off on both sides; nothing more of Ben's reaches her (a message, a new deal, a
/// request), his listings are not shown to her, and she cannot pay him. Undone, all is as
/// before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_of_a_member_of_another_node_holds_both_ways() {
    use commons_market::deal::Status;
    use commons_market::text::Language;
    use commons_web::links::market::AcrossQuery;
    use commons_web::services::ActionError;
    let Pair {
        a,
        b,
        ben,
        carol,
        base_a: _base_a,
        base_b: _base_b,
        address_a,
        address_b,
        stop_b: _stop_b,
        task_b: _task_b,
        _a: _serving_a,
        _dbs,
    } = linked_pair(TestDb::sqlite(), TestDb::postgres().await).await;
    let (on_a, on_b) = (&a.state.services, &b.state.services);
    let lessons = post_on(&b, &carol, "offer", "Clases de guitarra", Language::Spanish).await;
    let bread = post_on(&b, &carol, "offer", "Pan de masa madre", Language::Spanish).await;
    let bens_drill = post_on(&a, &ben, "offer", "Power drill to lend", Language::English).await;
    let bens = on_a
        .open_deal_across(&ben, &carol.circle.circle_id, lessons, "Hello!")
        .await
        .expect("opened");
    let carols = on_b.deals_across(&carol).await.expect("hers")[0].0.id;
    on_b.block_across(&carol, carols).await.expect("blocked");
    assert_eq!(
        on_a.link_deal_of(&ben, bens).await.expect("his").row.status,
        Status::Cancelled
    );
    let refused = |result: Result<(), ActionError>, what: &str| match result {
        Err(ActionError::Invalid { message_id, .. }) => assert!(
            ["deal-error-messages-closed", "cross-error-remote-member"].contains(&message_id),
            "{what}: {message_id}"
        ),
        other => panic!("{what}: {other:?}"),
    };
    refused(
        on_a.message_deal_across(&ben, bens, "Hello?").await,
        "a message",
    );
    refused(
        on_a.open_deal_across(&ben, &carol.circle.circle_id, bread, "")
            .await
            .map(|_| ()),
        "a new deal",
    );
    refused(
        on_a.request_across(
            &ben,
            &cross_pay(&address_b, "carol", 100),
            &IdempotencyKey::generate(),
        )
        .await
        .map(|_| ()),
        "a request",
    );
    assert_eq!(
        on_b.link_deal_of(&carol, carols)
            .await
            .expect("hers")
            .messages
            .len(),
        1
    );
    let drills = AcrossQuery {
        text: "drill".into(),
        ..AcrossQuery::default()
    };
    let (seen, _) = on_b.listings_across(&carol, &drills).await.expect("asked");
    assert!(
        seen.iter().all(|listing| listing.id != bens_drill),
        "his listing is not shown to her"
    );
    let pay = on_b
        .quote_across(&carol, &cross_pay(&address_a, "ben", 100))
        .await;
    assert!(
        matches!(
            pay,
            Err(ActionError::Invalid {
                field: "member",
                ..
            })
        ),
        "{pay:?}"
    );
    // Her block is hers: it is listed in her settings, and she undoes it there.
    let blocks = on_b.my_link_blocks(&carol.user).await.expect("hers");
    assert_eq!((blocks.len(), blocks[0].username.as_str()), (1, "ben"));
    on_b.unblock_across(
        &commons_tests::full(&carol.user),
        &ben.circle.circle_id,
        "ben",
    )
    .await
    .expect("undone");
    on_a.open_deal_across(&ben, &carol.circle.circle_id, bread, "Hello again")
        .await
        .expect("opened");
    let (seen, _) = on_b.listings_across(&carol, &drills).await.expect("asked");
    assert!(seen.iter().any(|listing| listing.id == bens_drill));
}
