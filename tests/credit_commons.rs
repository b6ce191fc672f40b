//! A Credit Commons node as a partner, taken on its word (`docs/federation.md`): a circle links
//! with it by a passed proposal, the operator starts the chain of their shared account, and
//! payments go both ways in the protocol's shapes against a Credit Commons peer written from
//! the published protocol (`tests/support/cc_peer.rs`). Who may call: only that node, with the
//! chain's current value; everyone else is refused and nothing changes.

use commons_tests::both_backends;
use commons_tests::cc_peer::{self, Book};
use commons_tests::node::{cross_pay, Node};
use commons_web::links::CrossResult;
use commons_web::services::{Actor, IdempotencyKey};
use reqwest::Method;
use serde_json::{json, Value};

const AGREED: &str = "agreed-by-both-operators";
const UUID_A: &str = "3d8ebb9f-6a29-42cb-9d39-9ee0a6bf7f1c";
const UUID_B: &str = "6f0c1b2a-0000-4c3d-8e9f-0123456789ab";

/// A node whose circle (riverside, `trunk/riverside` in the peer's tree) linked with the peer
/// (`trunk`) on its word at 1 hour = 2 trunk credits, each side owing at most 50 hours, with
/// the chain started; Bo is a member. Served on loopback.
struct Linked {
    node: Node,
    bo: Actor,
    base: String,
    peer: String,
    book: Book,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn linked(url: &str) -> Linked {
    let node = Node::start_configured(url, |c| c.federation_private_addresses = true).await;
    let bo = node.member("bo").await;
    let (peer, book) = cc_peer::start(
        "trunk",
        "trunk/riverside",
        AGREED,
        &["trunk/kofi", "trunk/ana"],
    )
    .await;
    let input = commons_web::governance::ProposalInput {
        title: "Trade with the trunk".into(),
        body: "The regional Credit Commons tree.".into(),
        method: "majority".into(),
        action: "link".into(),
        link_circle: peer.clone(),
        link_rate_here: "1".into(),
        link_rate_there: "2".into(),
        link_out_max: "50".into(),
        link_in_max: "50".into(),
        link_cc_path: "trunk".into(),
        link_cc_our_path: "trunk/riverside".into(),
        ..commons_web::governance::ProposalInput::default()
    };
    commons_web::demo::decide_in_the_past(
        &node.state,
        &[&node.steward, &bo],
        &input,
        10,
        None,
        |_| Some(commons_governance::majority::Position::Yes),
    )
    .await
    .expect("the link passes");
    node.state
        .services
        .start_cc_chain(commons_tests::node::SLUG, "trunk", AGREED)
        .await
        .expect("the operator starts the chain");
    let (base, stop, _) = commons_tests::node::serve(node.state.clone(), 0).await;
    Linked {
        node,
        bo,
        base,
        peer,
        book,
        _stop: stop,
    }
}

fn payment(uuid: &str, to: &str, quant: Value) -> Value {
    json!({
        "uuid": uuid,
        "state": "V",
        "workflow": "|P-PC+CX+",
        "entries": [{
            "payer": "trunk/kofi",
            "payee": to,
            "quant": quant,
            "description": "Seedlings",
            "metadata": { "foo": "bar" },
        }],
    })
}

async fn audit_counts_on_word(node: &Node) -> u64 {
    let store = node.state.services.store();
    let report = store
        .audit(commons_tests::node::SLUG, None, &|_| {})
        .await
        .expect("audit");
    assert!(report.passed(), "{:?}", report.faults);
    let state = report.state.expect("state");
    let sum: i64 = state.accounts.values().map(|a| a.balance_minor).sum();
    assert_eq!(sum, 0, "the circle's balances sum to zero");
    state.links.values().map(|link| link.on_word_payments).sum()
}

both_backends! {
    a_credit_commons_node_pays_a_member_here_once_it_completes_and_the_chain_moves_on => |url: String| async move {
        let t = linked(&url).await;
        let slug = commons_tests::node::SLUG;
        let before = t.node.balance(&t.bo).await;
        let body = payment(UUID_A, "trunk/riverside/bo", json!(9));
        let (status, answer) = cc_peer::call(&t.book, &t.base, slug, Method::POST, "/transaction/relay", Some(&body), None).await;
        assert_eq!(status, 201, "{answer}");
        assert_eq!(answer["data"], body["entries"]);
        assert!(answer["meta"]["secs_valid_left"].as_i64().expect("secs") > 0);
        assert_eq!(t.node.balance(&t.bo).await, before, "validated is not paid");
        // Relayed again, the same answer; another body under the same uuid is refused.
        let (status, _) = cc_peer::call(&t.book, &t.base, slug, Method::POST, "/transaction/relay", Some(&body), None).await;
        assert_eq!(status, 201);
        let other = payment(UUID_A, "trunk/riverside/bo", json!(10));
        let (status, _) = cc_peer::call(&t.book, &t.base, slug, Method::POST, "/transaction/relay", Some(&other), None).await;
        assert_eq!(status, 409);
        let (status, answer) = cc_peer::call(&t.book, &t.base, slug, Method::PATCH, &format!("/transaction/{UUID_A}/C"), None, None).await;
        assert_eq!(status, 201, "{answer}");
        // 9 trunk credits at 1 hour = 2 credits: 4.50 hours.
        assert_eq!(t.node.balance(&t.bo).await - before, 450);
        let old_hash = t.book.lock().expect("book").last_hash.clone();
        cc_peer::completed(&t.book, UUID_A);
        // A retried completion (the peer never heard the answer) still carries the old value:
        // answered as done, paid once.
        let (status, _) = cc_peer::call(&t.book, &t.base, slug, Method::PATCH, &format!("/transaction/{UUID_A}/C"), None, Some(&old_hash)).await;
        assert_eq!(status, 201);
        assert_eq!(t.node.balance(&t.bo).await - before, 450);
        // Any other call with the old value is refused; with the new one it is taken.
        let (status, _) = cc_peer::call(&t.book, &t.base, slug, Method::GET, "/account", None, Some(&old_hash)).await;
        assert_eq!(status, 401);
        let (status, account) = cc_peer::call(&t.book, &t.base, slug, Method::GET, "/account?acc_path=trunk/riverside", None, None).await;
        assert_eq!(status, 200, "{account}");
        assert_eq!(account["gross_out"], json!(9));
        assert_eq!(account["balance"], json!(-9));
        assert_eq!(account["trades"], json!(1));
        assert_eq!(account["pending"], json!(0));
        let (status, history) = cc_peer::call(&t.book, &t.base, slug, Method::GET, "/account/history", None, None).await;
        assert_eq!(status, 200);
        assert_eq!(history["meta"]["points"], json!(1));
        assert_eq!(history["meta"]["min"], json!(-9));
        assert_eq!(history["meta"]["max"], json!(0));
        // A member's own account is theirs: the partner reads only the shared one.
        let (status, _) = cc_peer::call(&t.book, &t.base, slug, Method::GET, "/account?acc_path=trunk/riverside/bo", None, None).await;
        assert_eq!(status, 404);
        // A completed payment is never erased.
        let (status, _) = cc_peer::call(&t.book, &t.base, slug, Method::PATCH, &format!("/transaction/{UUID_A}/E"), None, None).await;
        assert_eq!(status, 409);
        assert_eq!(audit_counts_on_word(&t.node).await, 1, "the audit counts it as resting on the partner's word");
    };

    calls_that_are_not_the_partners_are_refused_and_change_nothing => |url: String| async move {
        let t = linked(&url).await;
        let slug = commons_tests::node::SLUG;
        let before = t.node.balance(&t.bo).await;
        let body = payment(UUID_A, "trunk/riverside/bo", json!(4));
        let client = reqwest::Client::new();
        let url = format!("{}/api/cc/{slug}/transaction/relay", t.base);
        for (node, hash) in [
            (None, Some(AGREED)),
            (Some("trunk"), None),
            (Some("elsewhere"), Some(AGREED)),
            (Some("trunk"), Some("a guess")),
            (Some("trunk/riverside"), Some(AGREED)),
        ] {
            let mut request = client.post(&url).json(&body);
            if let Some(node) = node { request = request.header("cc-node", node); }
            if let Some(hash) = hash { request = request.header("last-hash", hash); }
            let response = request.send().await.expect("answer");
            assert_eq!(response.status().as_u16(), 401, "{node:?} {hash:?}");
            let envelope: Value = response.json().await.expect("the error envelope");
            assert!(envelope["error"]["code"].is_string(), "{envelope}");
        }
        // The right node, but what it sends is not a payment to a member here.
        for (bad, status) in [
            (payment(UUID_A, "trunk/riverside/nobody", json!(4)), 404),
            (payment(UUID_A, "trunk/riverside/bo", json!(0)), 422),
            (payment(UUID_A, "trunk/riverside/bo", json!(0.001)), 422),
            (payment(UUID_A, "trunk/elsewhere/bo", json!(4)), 422),
            (payment("existing", "trunk/riverside/bo", json!(4)), 422),
            (json!({ "uuid": UUID_A }), 422),
            (json!([1, 2]), 422),
        ] {
            let (answered, answer) = cc_peer::call(&t.book, &t.base, slug, Method::POST, "/transaction/relay", Some(&bad), None).await;
            assert_eq!(answered, status, "{bad} → {answer}");
        }
        // Another circle of the node, and a transaction never relayed.
        let (status, _) = cc_peer::call(&t.book, &t.base, "nowhere", Method::POST, "/transaction/relay", Some(&body), None).await;
        assert_eq!(status, 404);
        let (status, _) = cc_peer::call(&t.book, &t.base, slug, Method::PATCH, &format!("/transaction/{UUID_B}/C"), None, None).await;
        assert_eq!(status, 404);
        let (status, _) = cc_peer::call(&t.book, &t.base, slug, Method::PATCH, &format!("/transaction/{UUID_A}/maybe"), None, None).await;
        assert_eq!(status, 422);
        // Erased before it completes: nothing moves, and it cannot complete after.
        let (status, _) = cc_peer::call(&t.book, &t.base, slug, Method::POST, "/transaction/relay", Some(&body), None).await;
        assert_eq!(status, 201);
        let (status, _) = cc_peer::call(&t.book, &t.base, slug, Method::PATCH, &format!("/transaction/{UUID_A}/E"), None, None).await;
        assert_eq!(status, 201);
        let (status, _) = cc_peer::call(&t.book, &t.base, slug, Method::PATCH, &format!("/transaction/{UUID_A}/C"), None, None).await;
        assert_eq!(status, 409);
        // Past the link's limit (50 hours = 100 credits it may owe): refused when it would
        // complete, and erased.
        let big = payment(UUID_B, "trunk/riverside/bo", json!(140));
        let (status, _) = cc_peer::call(&t.book, &t.base, slug, Method::POST, "/transaction/relay", Some(&big), None).await;
        assert_eq!(status, 201);
        let (status, answer) = cc_peer::call(&t.book, &t.base, slug, Method::PATCH, &format!("/transaction/{UUID_B}/C"), None, None).await;
        assert_eq!(status, 409, "{answer}");
        assert_eq!(t.node.balance(&t.bo).await, before);
        assert_eq!(audit_counts_on_word(&t.node).await, 0);
    };

    a_member_pays_an_account_of_the_credit_commons_node_and_it_settles_on_its_word => |url: String| async move {
        let t = linked(&url).await;
        let services = &t.node.state.services;
        let before = t.node.balance(&t.bo).await;
        let attempt = IdempotencyKey::generate();
        let (quote, result) = services
            .pay_across(&t.bo, &cross_pay(&t.peer, "ana", 150), &attempt)
            .await
            .expect("pays");
        // Paid, or (when the node's own jobs took the same payment further at that moment) on
        // its way until they finish it.
        assert!(matches!(result, CrossResult::Paid | CrossResult::OnItsWay), "{result:?}");
        services.finish_payments_across().await.expect("jobs run");
        assert_eq!(quote.amount_there_minor, 300, "1.50 hours = 3 trunk credits");
        assert_eq!(t.node.balance(&t.bo).await, before - 150);
        {
            let book = t.book.lock().expect("book");
            assert_eq!(book.balances["trunk/ana"], 300);
            let (state, body) = book.transactions.values().next().expect("relayed");
            assert_eq!(state, "C");
            assert_eq!(body["entries"][0]["payer"], json!("trunk/riverside/bo"));
            assert_eq!(body["entries"][0]["quant"], json!(3));
        }
        // The same attempt again pays nothing more.
        let (_, again) = services
            .pay_across(&t.bo, &cross_pay(&t.peer, "ana", 150), &attempt)
            .await
            .expect("answers");
        assert_eq!(again, CrossResult::Paid);
        assert_eq!(t.node.balance(&t.bo).await, before - 150);
        assert_eq!(t.book.lock().expect("book").balances["trunk/ana"], 300);
        // Both chains moved together: the peer's next call is taken.
        let (status, answer) = cc_peer::call(&t.book, &t.base, commons_tests::node::SLUG, Method::GET, "/account", None, None).await;
        assert_eq!(status, 200, "{answer} {:?}", t.book.lock().expect("book"));
        assert_eq!(audit_counts_on_word(&t.node).await, 1);
    };

    a_payment_the_credit_commons_node_refuses_or_cannot_take_yet_moves_nothing_it_did_not_take => |url: String| async move {
        let t = linked(&url).await;
        let services = &t.node.state.services;
        let before = t.node.balance(&t.bo).await;
        // No such account there: refused, and the hold released.
        let (_, result) = services
            .pay_across(&t.bo, &cross_pay(&t.peer, "nobody", 100), &IdempotencyKey::generate())
            .await
            .expect("answers");
        assert_eq!(
            result,
            CrossResult::Refused {
                code: "cc-refused".into(),
                message: "no account trunk/nobody".into(),
            },
            "the partner's own words, read out of its error list"
        );
        assert_eq!(t.node.balance(&t.bo).await, before);
        // The node is down: the payment waits, held; once it is back the node's jobs finish it.
        t.book.lock().expect("book").down = true;
        let (_, result) = services
            .pay_across(&t.bo, &cross_pay(&t.peer, "kofi", 100), &IdempotencyKey::generate())
            .await
            .expect("answers");
        assert_eq!(result, CrossResult::OnItsWay);
        assert_eq!(t.node.balance(&t.bo).await, before, "held, not yet paid");
        t.book.lock().expect("book").down = false;
        // (The node's own jobs may finish it first: either way it is finished once.)
        services.finish_payments_across().await.expect("jobs run");
        assert_eq!(t.node.balance(&t.bo).await, before - 100);
        assert_eq!(t.book.lock().expect("book").balances["trunk/kofi"], 200);
        assert_eq!(audit_counts_on_word(&t.node).await, 1);
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credit_commons_partner_takes_no_requests_routes_or_market_questions() {
    let db = commons_tests::TestDb::sqlite();
    let t = linked(&db.url).await;
    let services = &t.node.state.services;
    let payable = services.payable_circles(&t.bo).await.expect("payable");
    assert_eq!(payable.len(), 1, "it is paid across like any linked circle");
    assert!(!payable[0].is_proved());
    assert!(services
        .requestable_circles(&t.bo)
        .await
        .expect("requestable")
        .is_empty());
    assert!(services
        .shared_market_circles(&t.bo)
        .await
        .expect("markets")
        .is_empty());
    let destinations = services.destinations(&t.bo).await.expect("destinations");
    assert_eq!(destinations.len(), 1, "no route is asked of it");
    // The peer was never called in this node's own protocol.
    assert!(t.book.lock().expect("book").calls.is_empty());
}
