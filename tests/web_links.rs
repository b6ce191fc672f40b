//! Linked circles in the web space: a link made by a passed proposal in each circle, members
//! paying across in their own units, the reach rule and the limits holding across, and the
//! pay-across pages over HTTP (the amount in both units before anything is sent; a resent
//! form never pays twice), and the member API's calls for the same.

use commons_ledger::crossing::connector_key;
use commons_tests::both_backends;
use commons_tests::node::{cross_pay, Node};
use commons_tests::web::{invite_and_join, set_up, TestServer};
use commons_web::links::CrossResult;
use commons_web::services::{ActionError, IdempotencyKey};

both_backends! {
    a_link_takes_a_passed_proposal_in_each_circle_then_members_pay_in_their_own_units => |url: String| async move {
        let node = Node::start(&url).await;
        let repair = node.second_circle("repair", "Repair Café", "credits").await;
        let ben = node.member("ben").await;
        let carol = node.member_in(&repair, "carol").await;
        let services = &node.state.services;
        assert!(services.payable_circles(&ben).await.expect("none").is_empty());
        // Riverside agrees: 1 hour = 12 credits. Repair has not yet: nothing to pay across.
        node.link(&node.steward, &[], "repair", ("1", "12", "30")).await;
        assert!(services.payable_circles(&ben).await.expect("one-sided").is_empty());
        node.link(&repair, &[], "riverside", ("12", "1", "360")).await;
        let payable = services.payable_circles(&ben).await.expect("payable");
        assert_eq!(payable.len(), 1);
        assert_eq!(payable[0].partner.name, "Repair Café");
        // Ben pays Carol 1.50 hours: she receives 18.00 credits.
        let attempt = IdempotencyKey::generate();
        let (quote, result) = services.pay_across(&ben, &cross_pay("repair", "carol", 150), &attempt).await.expect("pay");
        assert_eq!(result, CrossResult::Paid);
        assert_eq!(quote.amount_there_minor, 1800);
        assert_eq!(node.balance(&ben).await, -150);
        assert_eq!(node.balance(&carol).await, 1800);
        // The same attempt again pays nothing more.
        let (_, again) = services.pay_across(&ben, &cross_pay("repair", "carol", 150), &attempt).await.expect("again");
        assert_eq!(again, CrossResult::Paid);
        assert_eq!(node.balance(&carol).await, 1800);
        // Carol pays back 6.00 credits: Ben receives 0.50 hours.
        let (_, back) = services.pay_across(&carol, &cross_pay("riverside", "ben", 600), &IdempotencyKey::generate()).await.expect("back");
        assert_eq!(back, CrossResult::Paid);
        assert_eq!(node.balance(&ben).await, -100);
        // Each circle's ledger names the other circle for its connector and still audits.
        let store = services.store();
        assert_eq!(
            store.account(&ben.circle, &connector_key(&repair.circle.circle_id)).await.expect("row").expect("connector").balance_minor,
            100
        );
        for circle in [&ben.circle, &carol.circle] {
            let report = store.audit(&circle.slug, None, &|_| {}).await.expect("audit");
            assert!(report.passed(), "{:?}", report.faults);
        }
    };

    across_a_link_the_limit_of_trade_the_reach_rule_and_membership_still_hold => |url: String| async move {
        let node = Node::start(&url).await;
        let repair = node.second_circle("repair", "Repair Café", "credits").await;
        let ben = node.member("ben").await;
        let carol = node.member_in(&repair, "carol").await;
        let dan = node.member_in(&repair, "dan").await;
        node.link(&node.steward, &[], "repair", ("1", "1", "5")).await;
        node.link(&repair, &[&carol, &dan], "riverside", ("1", "1", "5")).await;
        let services = &node.state.services;
        // Past the limit of trade: refused where it starts, with the numbers; nothing moves.
        let refused = services.pay_across(&ben, &cross_pay("repair", "carol", 600), &IdempotencyKey::generate()).await;
        let Err(ActionError::Refused(refusal)) = refused else { panic!("{refused:?}") };
        assert!(refusal.to_string().contains("may owe at most 5.00 hours"), "{refusal}");
        assert_eq!(node.balance(&carol).await, 0);
        // Somebody who is not a member there is nobody to pay.
        let nobody = services.quote_across(&ben, &cross_pay("repair", "amara-not-here", 100)).await;
        assert!(matches!(nobody, Err(ActionError::Invalid { field: "member", .. })), "{nobody:?}");
        // A block either way refuses the payment, as within a circle.
        services
            .block(&carol, &"ben".parse().expect("username"), commons_web::db::BlockKind::Block)
            .await
            .expect("carol blocks ben");
        let blocked = services.quote_across(&ben, &cross_pay("repair", "carol", 100)).await;
        assert!(matches!(blocked, Err(ActionError::Invalid { field: "member", .. })), "{blocked:?}");
        // A circle the payer's is not linked with is not offered.
        let far = services.quote_across(&ben, &cross_pay("elsewhere", "carol", 100)).await;
        assert!(matches!(far, Err(ActionError::Invalid { field: "circle", .. })), "{far:?}");
    };

    the_pay_across_pages_show_both_amounts_before_sending_and_a_resent_form_pays_once => |url: String| async move {
        let server = TestServer::start(&url).await;
        let mut amara = set_up(&server).await;
        let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
        commons_tests::web::join_second_circle(&mut amara, &mut ben).await;
        let services = &server.state.services;
        let store = services.store();
        let (garden, river) = link_garden_and_river(&server, false).await;
        // Who may not: a visitor (sent to log in), and nobody pays across a circle they are not in.
        let visitor = server.client().get("/c/garden/pay/across").await;
        assert!(visitor.url.contains("/login"), "{}", visitor.url);
        let stranger = invite_and_join(&server, &mut amara, "cara", "Cara Doyle").await;
        let mut stranger = stranger;
        let elsewhere = stranger.get("/c/river/pay/across").await;
        assert_eq!(elsewhere.status, 404);
        // The same for every page across: asking, the linked markets, a listing there.
        for path in ["/c/river/request/across", "/c/river/market/across", "/c/river/market/across/00/1"] {
            assert_eq!(stranger.get(path).await.status, 404, "{path}");
            let visitor = server.client().get(path).await;
            assert!(visitor.url.contains("/login"), "{path}: {}", visitor.url);
        }
        // Answering a request across is a form like any other: no CSRF token, nothing done.
        let forged = stranger.post_without_csrf("/c/garden/requests/across/1/pay", &[]).await;
        assert_eq!(forged.status, 403);
        let pay = ben.get("/c/garden/pay").await;
        assert!(pay.body.contains("/c/garden/pay/across"), "the pay page offers paying across");
        let form = ben.get("/c/garden/pay/across").await;
        assert_eq!(form.status, 200);
        assert!(form.body.contains("River Swap"));
        let key = commons_tests::web::hidden_in(&form.body, "idempotency_key").expect("key");
        let fields = [
            ("idempotency_key", key.as_str()),
            ("circle", "river"),
            ("member", "Amara Okafor"),
            ("amount", "1.50"),
            ("memo", "seedlings"),
        ];
        let confirm = ben.submit("/c/garden/pay/across", "/c/garden/pay/across", &fields).await;
        assert_eq!(confirm.status, 200, "{}", confirm.body);
        assert!(confirm.body.contains("1.50"), "what Ben pays");
        assert!(confirm.body.contains("3.00"), "what Amara receives in river's hours");
        let before = store.account(&river, &amara_key(&server, &river).await).await.expect("row").expect("open").balance_minor;
        let mut sent_fields = fields.to_vec();
        sent_fields.push(("confirm", "yes"));
        sent_fields[2] = ("member", "amara");
        let sent = ben.submit("/c/garden/pay/across", "/c/garden/pay/across", &sent_fields).await;
        assert!(sent.url.ends_with("/c/garden"), "{} {}", sent.url, sent.body);
        assert!(sent.body.contains("You paid"), "{}", sent.body);
        // The very same form sent again (a double click, a retry) pays nothing more.
        let again = ben.submit("/c/garden/pay/across", "/c/garden/pay/across", &sent_fields).await;
        assert!(again.url.ends_with("/c/garden"));
        let after = store.account(&river, &amara_key(&server, &river).await).await.expect("row").expect("open").balance_minor;
        assert_eq!(after - before, 300);
        // The statement shows it, to the other circle by name.
        let statement = ben.get("/c/garden/statement").await;
        assert!(statement.body.contains("River Swap"), "{}", statement.body);

        // The same through the API: the circles Ben can pay across, then a payment that a
        // retry with the same key answers without paying again.
        let links: serde_json::Value = ben.http.get(format!("{}/api/v1/circles/garden/links", ben.base))
            .send().await.expect("GET").json().await.expect("JSON");
        assert_eq!(links["circles"][0]["circle"], "river", "{links}");
        assert_eq!((links["circles"][0]["rate_here_minor"].as_i64(), links["circles"][0]["rate_there_minor"].as_i64()), (Some(1), Some(2)));
        let csrf = ben.csrf();
        let api_pay = |key: Option<&'static str>, circle: &'static str, body: serde_json::Value| {
            let mut request = ben.http
                .post(format!("{}/api/v1/circles/{circle}/payments/across", ben.base))
                .header("x-csrf-token", &csrf)
                .json(&body);
            if let Some(key) = key {
                request = request.header("idempotency-key", key);
            }
            async move {
                let answer = request.send().await.expect("POST");
                (answer.status().as_u16(), answer.json::<serde_json::Value>().await.expect("JSON"))
            }
        };
        let half = serde_json::json!({"circle": "river", "member": "amara", "amount": "0.50"});
        for _ in 0..2 {
            let (status, paid) = api_pay(Some("api-across-key-0001"), "garden", half.clone()).await;
            assert_eq!(status, 200, "{paid}");
            assert_eq!((paid["state"].as_str(), paid["amount_there_minor"].as_i64()), (Some("completed"), Some(100)));
        }
        let after_api = store.account(&river, &amara_key(&server, &river).await).await.expect("row").expect("open").balance_minor;
        assert_eq!(after_api - after, 100, "the retry paid nothing more");
        // Refused, each with the API's envelope: no key, a circle not linked, a circle Ben is
        // not a member of (nobody learns it exists).
        let (status, envelope) = api_pay(None, "garden", half.clone()).await;
        assert_eq!((status, envelope["error"]["code"].as_str()), (400, Some("idempotency_key")));
        let far = serde_json::json!({"circle": "elsewhere", "member": "amara", "amount": "0.50"});
        let (status, envelope) = api_pay(Some("api-across-key-0002"), "garden", far).await;
        assert_eq!((status, envelope["error"]["code"].as_str()), (422, Some("invalid")));
        let stranger_links = stranger.http.get(format!("{}/api/v1/circles/river/links", stranger.base)).send().await.expect("GET");
        assert_eq!(stranger_links.status().as_u16(), 404);

        // Ben asks Amara, in River Swap, for 1.00 of his hours; her river home asks her for
        // 2.00 of hers, and one press of its button pays it.
        let request = ben.get("/c/garden/request/across").await;
        assert_eq!(request.status, 200);
        let key = commons_tests::web::hidden_in(&request.body, "idempotency_key").expect("key");
        let asked = ben.submit("/c/garden/request/across", "/c/garden/request/across", &[
            ("idempotency_key", key.as_str()), ("circle", "river"), ("member", "amara"),
            ("amount", "1.00"), ("memo", "Seed potatoes"),
        ]).await;
        assert!(asked.url.ends_with("/c/garden"), "{} {}", asked.url, asked.body);
        let home = amara.get("/c/river").await;
        assert!(home.body.contains("Seed potatoes") && home.body.contains("2.00"), "{}", home.body);
        let action = home.body.split("action=\"").filter_map(|rest| rest.split('"').next())
            .find(|action| action.starts_with("/c/river/requests/across/") && action.ends_with("/pay"))
            .expect("a pay button")
            .to_owned();
        let before = store.account(&garden, &key_of(&server, &garden, "ben").await).await.expect("row").expect("open").balance_minor;
        let paid = amara.submit("/c/river", &action, &[]).await;
        assert!(paid.body.contains("Paid"), "{}", paid.body);
        let again = amara.submit("/c/river", &action, &[]).await;
        assert_eq!(again.status, 404, "a request is paid once");
        let after = store.account(&garden, &key_of(&server, &garden, "ben").await).await.expect("row").expect("open").balance_minor;
        assert_eq!(after - before, 100);
        server.stop().await;
    };
}

/// Links the test server's garden and river circles (1 hour of garden = 2 of river) by their
/// stewards' enactments (the proposals are tested above).
async fn link_garden_and_river(
    server: &TestServer,
    shares_market: bool,
) -> (
    commons_ledger::store::CircleInfo,
    commons_ledger::store::CircleInfo,
) {
    let store = server.state.services.store();
    let garden = store.circle("garden").await.expect("garden");
    let river = store.circle("river").await.expect("river");
    for (from, to, here, there) in [(&garden, &river, 1, 2), (&river, &garden, 2, 1)] {
        let terms = commons_ledger::crossing::LinkTerms {
            partner: to.circle_id,
            partner_node_key: store.node_secret(to).await.expect("key").public_key(),
            address: String::new(),
            rate_here_minor: here,
            rate_there_minor: there,
            out_max_minor: 10_000,
            in_max_minor: 10_000,
            shares_market,
            trust: commons_ledger::crossing::LinkTrust::Proved,
        };
        let proposal = commons_ledger::keys::Hash::sha256(&[&from.circle_id.0]);
        store
            .enact(
                from,
                proposal,
                commons_ledger::keys::Hash([0; 32]),
                vec![commons_ledger::entry::Action::Link(terms)],
            )
            .await
            .expect("linked");
    }
    (garden, river)
}

mod deal_pages {
    use super::*;

    both_backends! {
        a_deal_across_over_http_goes_from_the_listing_to_the_payment_and_only_its_two_members_see_it => |url: String| async move {
            let server = TestServer::start(&url).await;
            let mut amara = set_up(&server).await;
            let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
            commons_tests::web::join_second_circle(&mut amara, &mut ben).await;
            let mut cara = invite_and_join(&server, &mut amara, "cara", "Cara Doyle").await;
            let (garden, river) = link_garden_and_river(&server, true).await;
            // Amara offers bread in River Swap, at 1 of river's hours.
            let posted = amara.submit("/c/river/market/new", "/c/river/market/new", &[
                ("side", "offer"), ("kind", "thing"), ("title", "Sourdough loaves"),
                ("description", "Baked on Fridays."), ("category", "other"),
                ("value_kind", "fixed"), ("amount", "1"),
            ]).await;
            let listing = posted.url.rsplit('/').next().expect("an id").to_owned();
            let listing_path = format!("/c/garden/market/across/{}/{listing}", river.circle_id.to_hex());
            // Ben, in the garden, sees it priced in both units and answers it.
            let seen = ben.get(&listing_path).await;
            assert_eq!(seen.status, 200, "{}", seen.body);
            assert!(seen.body.contains("I’m interested"), "{}", seen.body);
            let opened = ben.submit(&listing_path, &format!("{listing_path}/deal"), &[("message", "Two loaves on Friday?")]).await;
            assert!(opened.url.contains("/c/garden/deals/across/"), "{} {}", opened.url, opened.body);
            assert!(opened.body.contains("Two loaves on Friday?") && opened.body.contains("River Swap"), "{}", opened.body);
            let deal_path = opened.url.split('#').next().expect("a path").trim_start_matches(&ben.base).to_owned();
            let listing_again = ben.get(&listing_path).await;
            assert!(listing_again.body.contains("Go to your conversation about this") && listing_again.body.contains(&deal_path), "{}", listing_again.body);
            // Who may not: a visitor, a member of another circle, a member of the garden who is
            // not in the deal; a step without its CSRF token does nothing.
            let visitor = server.client().get(&deal_path).await;
            assert!(visitor.url.contains("/login"), "{}", visitor.url);
            assert_eq!(cara.get(&deal_path).await.status, 404);
            assert_eq!(cara.get(&deal_path.replace("/c/garden/", "/c/river/")).await.status, 404);
            let forged = cara.post_without_csrf(&format!("{deal_path}/cancel"), &[]).await;
            assert_eq!(forged.status, 403);
            let stolen = cara.submit("/c/garden/deals", &format!("{deal_path}/cancel"), &[]).await;
            assert_eq!(stolen.status, 404);

            // Amara finds it among her deals, and was told.
            let deals = amara.get("/c/river/deals").await;
            assert!(deals.body.contains("With members of linked circles") && deals.body.contains("Ben Carter"), "{}", deals.body);
            let told = amara.get("/notifications").await;
            assert!(told.body.contains("A member of a linked circle"), "{}", told.body);
            let hers = commons_tests::web::link_in(&deals.body, "/c/river/deals/across/");
            let page = amara.get(&hers).await;
            assert!(page.body.contains("Two loaves on Friday?"), "{}", page.body);
            // She proposes 2 of her hours; Ben sees them and what they come to in his.
            let proposed = amara.submit(&hers, &format!("{hers}/terms"), &[("description", "Two sourdough loaves"), ("amount", "2")]).await;
            assert!(proposed.body.contains("Two sourdough loaves"), "{}", proposed.body);
            let his = ben.get(&deal_path).await;
            assert!(his.body.contains("2.00 h") && his.body.contains("1.00"), "{}", his.body);
            let version = commons_tests::web::hidden_in(&his.body, "version").expect("a version");
            let agreed = ben.submit(&deal_path, &format!("{deal_path}/agree"), &[("version", &version)]).await;
            assert!(agreed.status == 200 && agreed.body.contains("Agreed"), "{}", agreed.body);
            let version = commons_tests::web::hidden_in(&agreed.body, "version").expect("a version");
            let before = server.state.services.store().account(&river, &amara_key(&server, &river).await).await.expect("row").expect("open").balance_minor;
            let done = ben.submit(&deal_path, &format!("{deal_path}/complete"), &[("version", &version)]).await;
            assert!(done.body.contains("Paid across the link"), "{}", done.body);
            let again = ben.submit(&deal_path, &format!("{deal_path}/complete"), &[("version", &version)]).await;
            assert_eq!(again.status, 200);
            let after = server.state.services.store().account(&river, &amara_key(&server, &river).await).await.expect("row").expect("open").balance_minor;
            assert_eq!(after - before, 200, "Amara is paid her 2.00 hours once");
            let bens = server.state.services.store().account(&garden, &key_of(&server, &garden, "ben").await).await.expect("row").expect("open").balance_minor;
            assert_eq!(bens, -100, "Ben pays 1.00 of his");
            let hers_now = amara.get(&hers).await;
            assert!(hers_now.body.contains("Paid across the link"), "{}", hers_now.body);
            server.stop().await;
        };
    }
}

async fn amara_key(
    server: &TestServer,
    circle: &commons_ledger::store::CircleInfo,
) -> commons_ledger::keys::PublicKey {
    key_of(server, circle, "amara").await
}

async fn key_of(
    server: &TestServer,
    circle: &commons_ledger::store::CircleInfo,
    username: &str,
) -> commons_ledger::keys::PublicKey {
    server
        .state
        .services
        .node_db()
        .member_by_username(circle.row_id, username)
        .await
        .expect("read")
        .expect("a member")
        .account_key
}

mod requests_across {
    use commons_tests::both_backends;
    use commons_tests::node::{cross_pay, Node};
    use commons_web::links::requests::{
        RequestOutcome, LINK_REQUESTS_OPEN_PER_ASKER_MAX, LINK_REQUESTS_OPEN_PER_PAYER_MAX,
    };
    use commons_web::services::{ActionError, IdempotencyKey};

    both_backends! {
        a_member_asks_a_member_of_a_linked_circle_who_pays_once_in_their_own_unit => |url: String| async move {
            let node = Node::start(&url).await;
            let repair = node.second_circle("repair", "Repair Café", "credits").await;
            let ben = node.member("ben").await;
            let carol = node.member_in(&repair, "carol").await;
            let dan = node.member_in(&repair, "dan").await;
            // 3 hours here = 2 there, so Carol's 7.00 credits cost Ben 10.50 hours.
            node.link(&node.steward, &[], "repair", ("3", "2", "30")).await;
            node.link(&repair, &[&carol, &dan], "riverside", ("2", "3", "30")).await;
            let services = &node.state.services;
            let asked = services
                .request_across(&carol, &cross_pay("riverside", "ben", 700), &IdempotencyKey::generate())
                .await
                .expect("asked");
            assert_eq!((asked.other_name.as_str(), asked.circle_name.as_str()), ("ben", "Riverside"));
            let to_ben = services.requests_across(&ben).await.expect("ben's");
            assert_eq!(to_ben.len(), 1);
            assert!(to_ben[0].incoming);
            assert_eq!((to_ben[0].amount_minor, to_ben[0].circle_name.as_str()), (1050, "Repair Café"));
            let carols = services.requests_across(&carol).await.expect("carol's");
            assert_eq!((carols[0].incoming, carols[0].amount_minor), (false, 700));
            // Only Ben may pay it, and Carol may not pay her own.
            assert!(matches!(services.answer_request_across(&dan, to_ben[0].id, true).await, Err(ActionError::NotFound)));
            assert!(matches!(services.answer_request_across(&carol, carols[0].id, true).await, Err(ActionError::Forbidden)));
            assert_eq!(services.answer_request_across(&ben, to_ben[0].id, true).await.expect("paid"), RequestOutcome::Paid);
            assert_eq!((node.balance(&ben).await, node.balance(&carol).await), (-1050, 700));
            // Answered on both sides; paying it again finds nothing to pay.
            assert!(services.requests_across(&ben).await.expect("none").is_empty());
            assert!(services.requests_across(&carol).await.expect("none").is_empty());
            assert!(matches!(services.answer_request_across(&ben, to_ben[0].id, true).await, Err(ActionError::NotFound)));
            assert_eq!(node.balance(&carol).await, 700, "paid once");

            // Declined by Ben, or withdrawn by Carol: gone from both sides, nothing moved.
            for (who, answer) in [(&ben, "decline"), (&carol, "withdraw")] {
                services
                    .request_across(&carol, &cross_pay("riverside", "ben", 100), &IdempotencyKey::generate())
                    .await
                    .expect("asked");
                let mine = services.requests_across(who).await.expect("open");
                assert_eq!(services.answer_request_across(who, mine[0].id, false).await.expect(answer), RequestOutcome::Closed);
                assert!(services.requests_across(&ben).await.expect("none").is_empty(), "{answer}");
                assert!(services.requests_across(&carol).await.expect("none").is_empty(), "{answer}");
            }
            assert_eq!(node.balance(&carol).await, 700);
            // The same form sent twice makes one request; one asker keeps at most so many open.
            let attempt = IdempotencyKey::generate();
            for _ in 0..2 {
                services.request_across(&dan, &cross_pay("riverside", "ben", 100), &attempt).await.expect("asked");
            }
            assert_eq!(services.requests_across(&ben).await.expect("one").len(), 1);
            for _ in 1..LINK_REQUESTS_OPEN_PER_ASKER_MAX {
                services.request_across(&dan, &cross_pay("riverside", "ben", 100), &IdempotencyKey::generate()).await.expect("asked");
            }
            let over = services.request_across(&dan, &cross_pay("riverside", "ben", 100), &IdempotencyKey::generate()).await;
            assert!(matches!(over, Err(ActionError::Invalid { message_id: "request-across-too-many", .. })), "{over:?}");
            // And one member keeps at most so many open from one circle, whoever asks.
            let erin = node.member_in(&repair, "erin").await;
            let askers = [&carol, &erin];
            let mut open = LINK_REQUESTS_OPEN_PER_ASKER_MAX;
            while open < LINK_REQUESTS_OPEN_PER_PAYER_MAX {
                let asker = askers[(open as usize / LINK_REQUESTS_OPEN_PER_ASKER_MAX as usize) % 2];
                services.request_across(asker, &cross_pay("riverside", "ben", 100), &IdempotencyKey::generate()).await.expect("asked");
                open += 1;
            }
            let busy = services.request_across(&carol, &cross_pay("riverside", "ben", 100), &IdempotencyKey::generate()).await;
            assert!(matches!(busy, Err(ActionError::Invalid { message_id: "request-across-payer-busy", .. })), "{busy:?}");
            // A circle not linked, or a member not there, is nobody to ask.
            let far = services.request_across(&carol, &cross_pay("elsewhere", "ben", 100), &IdempotencyKey::generate()).await;
            assert!(matches!(far, Err(ActionError::Invalid { field: "circle", .. })), "{far:?}");
            let nobody = services.request_across(&carol, &cross_pay("riverside", "nobody", 100), &IdempotencyKey::generate()).await;
            assert!(matches!(nobody, Err(ActionError::Invalid { field: "member", .. })), "{nobody:?}");
        };
    }
}

mod market_across {
    use commons_governance::moderation::{ActionKind, TargetKind};
    use commons_tests::both_backends;
    use commons_tests::node::Node;
    use commons_web::links::market::AcrossQuery;
    use commons_web::moderation::service::ActCommand;
    use commons_web::services::ActionError;

    fn search(text: &str) -> AcrossQuery {
        AcrossQuery {
            text: text.into(),
            ..AcrossQuery::default()
        }
    }

    both_backends! {
        a_linked_circles_market_is_seen_only_where_both_share_across_languages_and_in_my_unit => |url: String| async move {
            let node = Node::start(&url).await;
            let repair = node.second_circle("repair", "Repair Café", "credits").await;
            let orchard = node.second_circle("orchard", "Orchard", "apples").await;
            let (ben, gus, hana) = (node.member("ben").await, node.member("gus").await, node.member("hana").await);
            let newbie = node.newcomer("newbie").await;
            let carol = node.member_in(&repair, "carol").await;
            let olive = node.member_in(&orchard, "olive").await;
            // Riverside and the café share their markets; Riverside does not share with the orchard.
            node.link(&node.steward, &[&ben, &gus, &hana], "repair", ("1", "12", "30")).await;
            node.link(&repair, &[&carol], "riverside", ("12", "1", "360")).await;
            node.link_sharing(&node.steward, &[&ben, &gus, &hana], "orchard", ("1", "1", "30"), false).await;
            node.link(&orchard, &[&olive], "riverside", ("1", "1", "30")).await;
            let guitar = node.try_post(&ben, "offer", "Guitar lessons for beginners", "Learn three chords in an hour.").await.expect("posted");
            let bikes = node.try_post(&gus, "offer", "Guitar strings changed", "Bring your guitar.").await.expect("posted");
            let sewing = node.try_post(&hana, "offer", "Guitar case mended", "Zips and straps.").await.expect("posted");
            let new = node.try_post(&newbie, "offer", "Guitar tuning", "Any guitar.").await.expect("posted");
            let services = &node.state.services;

            // A Spanish search in the café finds Ben's English offer, priced in credits.
            let (found, unreachable) = services.listings_across(&carol, &search("Clases de guitarra para principiantes")).await.expect("found");
            assert!(unreachable.is_empty());
            let ids: Vec<i64> = found.iter().map(|listing| listing.id).collect();
            assert!(ids.contains(&guitar), "{ids:?}");
            let lesson = services.listing_across(&carol, &ben.circle.circle_id, guitar).await.expect("seen");
            assert_eq!((lesson.circle.name.as_str(), lesson.author_username.as_str()), ("Riverside", "ben"));
            assert_eq!(lesson.value_here_minor, Some(1200), "1.00 hour is 12.00 credits");

            // Before any block or hide, Gus's and Hana's are there too; the newcomer's stays in
            // Riverside (it is found there).
            let (before, _) = services.listings_across(&carol, &search("guitar")).await.expect("found");
            let before: Vec<i64> = before.iter().map(|listing| listing.id).collect();
            assert!(before.contains(&bikes) && before.contains(&sewing) && !before.contains(&new), "{before:?}");
            let at_home = commons_market::index::Search { text: "guitar".into(), limit: 20, now_ms: services.now_ms(), ..Default::default() };
            let (_, home) = services.search_listings(&ben, &at_home).await.expect("search");
            assert!(home.iter().any(|card| card.listing.id == new), "the newcomer's listing is in its own circle");
            // Blocked either way, hidden by Riverside's moderators, or in the sandbox: not there.
            services.block(&carol, &"gus".parse().expect("username"), commons_web::db::BlockKind::Block).await.expect("blocked");
            let case = node.report(&ben, TargetKind::Listing, &sewing.to_string(), vec![1], "Not for here.").await;
            let hide = ActCommand { kind: ActionKind::Hide, agreements: vec![1], reason: "Against our agreements.".into(), ends_at_ms: None };
            services.act(&node.steward, case, &hide).await.expect("hidden");
            let (found, _) = services.listings_across(&carol, &search("guitar")).await.expect("found");
            let ids: Vec<i64> = found.iter().map(|listing| listing.id).collect();
            assert!(ids.contains(&guitar), "{ids:?}");
            for (id, why) in [(bikes, "blocked"), (sewing, "hidden"), (new, "in the sandbox")] {
                assert!(!ids.contains(&id), "{why}: {ids:?}");
                assert!(matches!(services.listing_across(&carol, &ben.circle.circle_id, id).await, Err(ActionError::NotFound)), "{why}");
            }
            // Who could help Carol's need, across the link: Ben's offer.
            let need = node.try_post(&carol, "need", "Quiero aprender guitarra", "Soy principiante.").await.expect("posted");
            let need = services.listing(&carol, need).await.expect("hers");
            let across = services.matches_across(&carol, std::slice::from_ref(&need)).await.expect("matches");
            assert_eq!(across.len(), 1);
            assert!(across[0].1.iter().any(|listing| listing.id == guitar), "{:?}", across[0].1);
            // Riverside does not share with the orchard: Olive sees nothing of it.
            assert!(services.shared_market_circles(&olive).await.expect("none").is_empty());
            let (nothing, _) = services.listings_across(&olive, &search("guitar")).await.expect("none");
            assert!(nothing.is_empty());
            assert!(matches!(services.listing_across(&olive, &ben.circle.circle_id, guitar).await, Err(ActionError::NotFound)));
        };
    }
}

mod deals_across {
    use commons_market::deal::Status;
    use commons_tests::both_backends;
    use commons_tests::node::Node;
    use commons_web::links::deal_wire::{
        deal_bytes, DealEvent, DealMessage, DealOutcome, DEAL_FORMAT,
    };
    use commons_web::links::deals::DealStep;
    use commons_web::links::federation::FederationError;
    use commons_web::services::ActionError;

    fn propose(description: &str, amount_minor: Option<i64>) -> DealStep {
        DealStep::Propose {
            description: description.into(),
            amount_minor,
        }
    }

    fn refused_as(result: Result<impl std::fmt::Debug, ActionError>, id: &str) {
        match result {
            Err(ActionError::Invalid { message_id, .. }) if message_id == id => {}
            other => panic!("expected {id}, got {other:?}"),
        }
    }

    both_backends! {
        a_deal_across_two_circles_goes_from_the_listing_to_one_payment_in_each_unit => |url: String| async move {
            let node = Node::start(&url).await;
            let repair = node.second_circle("repair", "Repair Café", "credits").await;
            let ben = node.member("ben").await;
            let carol = node.member_in(&repair, "carol").await;
            let dan = node.member_in(&repair, "dan").await;
            // 1 hour = 12 credits, both ways, markets shared.
            node.link(&node.steward, &[&ben], "repair", ("1", "12", "30")).await;
            node.link(&repair, &[&carol, &dan], "riverside", ("12", "1", "360")).await;
            let lessons = node.try_post(&ben, "offer", "Guitar lessons for beginners", "Three chords in an hour.").await.expect("posted");
            let services = &node.state.services;
            let riverside = ben.circle.circle_id;

            // Carol answers Ben's offer with a first message; asking again finds the same deal.
            let hers = services.open_deal_across(&carol, &riverside, lessons, "Hola, ¿el sábado?").await.expect("opened");
            assert_eq!(services.open_deal_across(&carol, &riverside, lessons, "").await.expect("same"), hers);
            let bens = services.deals_across(&ben).await.expect("his");
            assert_eq!(bens.len(), 1);
            let (his_row, circle) = &bens[0];
            assert_eq!((his_row.other_username.as_str(), circle.as_str(), his_row.owner_here), ("carol", "Repair Café", true));
            let his = his_row.id;
            let talk = services.link_deal_of(&ben, his).await.expect("seen");
            assert_eq!(talk.messages.iter().map(|m| (m.from_here, m.body.as_str())).collect::<Vec<_>>(), vec![(false, "Hola, ¿el sábado?")]);
            // Nobody else sees either side.
            for (who, id) in [(&dan, hers), (&dan, his), (&carol, his), (&ben, hers)] {
                assert!(matches!(services.link_deal_of(who, id).await, Err(ActionError::NotFound)));
            }

            // Ben proposes an hour and a half (in his unit); Carol sees it, in both units.
            services.message_deal_across(&ben, his, "Sí, a las diez.").await.expect("written");
            services.step_deal_across(&ben, his, propose("Two lessons", Some(150)), None).await.expect("proposed");
            refused_as(services.step_deal_across(&ben, his, DealStep::Agree, None).await, "deal-error-own-terms");
            let seen = services.link_deal_of(&carol, hers).await.expect("hers");
            assert_eq!((seen.row.status, seen.row.terms.clone(), seen.row.version), (Status::Proposed, Some(("Two lessons".into(), Some(150))), 1));
            assert_eq!(seen.terms_here_minor(150), Some(1800), "1.50 hours are 18.00 credits");
            assert_eq!(seen.messages.len(), 2);
            // What Carol saw at version 0 is not agreed to.
            refused_as(services.step_deal_across(&carol, hers, DealStep::Agree, Some(0)).await, "error-conflict");
            services.step_deal_across(&carol, hers, DealStep::Agree, Some(1)).await.expect("agreed");
            assert_eq!(services.link_deal_of(&ben, his).await.expect("his").row.status, Status::Agreed);
            // Only the payer (Carol, who receives the help) confirms it; she pays once.
            assert!(matches!(services.complete_deal_across(&ben, his, None).await, Err(ActionError::Invalid { message_id: "deal-error-not-the-payer", .. }) | Err(ActionError::Forbidden)));
            let done = services.complete_deal_across(&carol, hers, Some(2)).await.expect("completed");
            assert_eq!(done.status, Status::Completed);
            assert!(done.transfer.is_some());
            services.complete_deal_across(&carol, hers, None).await.expect("again: nothing more");
            assert_eq!((node.balance(&carol).await, node.balance(&ben).await), (-1800, 150));
            let his_side = services.link_deal_of(&ben, his).await.expect("his");
            assert_eq!((his_side.row.status, his_side.row.transfer.clone()), (Status::Completed, done.transfer.clone()));
            // A completed deal takes no new terms, from either side.
            refused_as(services.step_deal_across(&ben, his, propose("More", Some(100)), None).await, "deal-error-closed");
            refused_as(services.step_deal_across(&carol, hers, propose("More", Some(100)), None).await, "deal-error-closed");
        };

        a_gift_across_completes_without_money_and_the_reach_rule_holds => |url: String| async move {
            let node = Node::start(&url).await;
            let repair = node.second_circle("repair", "Repair Café", "credits").await;
            let ben = node.member("ben").await;
            let carol = node.member_in(&repair, "carol").await;
            node.link(&node.steward, &[&ben], "repair", ("1", "12", "30")).await;
            node.link(&repair, &[&carol], "riverside", ("12", "1", "360")).await;
            let drill = node.try_post(&ben, "need", "Power drill to lend", "For a weekend.").await.expect("posted");
            let services = &node.state.services;
            let riverside = ben.circle.circle_id;
            // Carol can help; she gives it; Ben, who needs it, confirms it done: nothing moves.
            let hers = services.open_deal_across(&carol, &riverside, drill, "").await.expect("opened");
            services.step_deal_across(&carol, hers, propose("Lend my drill", None), None).await.expect("proposed");
            let his = services.deals_across(&ben).await.expect("his")[0].0.id;
            services.step_deal_across(&ben, his, DealStep::Agree, None).await.expect("agreed");
            assert_eq!(services.link_deal_of(&carol, hers).await.expect("hers").row.status, Status::Agreed);
            services.complete_deal_across(&ben, his, None).await.expect("completed");
            assert_eq!(services.link_deal_of(&carol, hers).await.expect("hers").row.status, Status::Completed);
            assert_eq!((node.balance(&carol).await, node.balance(&ben).await), (0, 0));

            // Blocked either way: no new deal and no message.
            let saw = node.try_post(&ben, "need", "A saw", "To borrow.").await.expect("posted");
            services.block(&ben, &"carol".parse().expect("username"), commons_web::db::BlockKind::Block).await.expect("blocked");
            refused_as(services.message_deal_across(&carol, hers, "Hello?").await, "deal-error-messages-closed");
            assert!(services.open_deal_across(&carol, &riverside, saw, "").await.is_err());
        };

        a_deal_message_from_a_linked_node_is_held_to_the_deal_s_rules => |url: String| async move {
            let node = Node::start(&url).await;
            let repair = node.second_circle("repair", "Repair Café", "credits").await;
            let ben = node.member("ben").await;
            let carol = node.member_in(&repair, "carol").await;
            node.link(&node.steward, &[&ben], "repair", ("1", "12", "30")).await;
            node.link(&repair, &[&carol], "riverside", ("12", "1", "360")).await;
            let lessons = node.try_post(&ben, "offer", "Guitar lessons", "An hour.").await.expect("posted");
            let services = &node.state.services;
            let hers = services.open_deal_across(&carol, &ben.circle.circle_id, lessons, "").await.expect("opened");
            let row = services.link_deal_of(&carol, hers).await.expect("hers").row;
            let his = services.deals_across(&ben).await.expect("his")[0].0.id;
            services.step_deal_across(&ben, his, propose("One lesson", Some(100)), None).await.expect("proposed");
            services.step_deal_across(&carol, hers, DealStep::Agree, None).await.expect("agreed");
            let key = services.store().node_secret(&repair.circle).await.expect("the café's node key");
            let mut claim = DealMessage {
                format: DEAL_FORMAT.into(),
                from: repair.circle.circle_id.to_hex(),
                to: ben.circle.circle_id.to_hex(),
                uuid: hex::encode(row.uuid),
                event: DealEvent::Completed,
                from_owner: false,
                sender: "carol".into(),
                sender_name: String::new(),
                receiver: "ben".into(),
                listing: lessons,
                version: 2,
                text: "One lesson".into(),
                amount_minor: Some(100),
                message_uuid: String::new(),
                transfer: "01234567-89ab-cdef-0123-456789abcdef".into(),
                state: None,
                at_ms: services.now_ms(),
                signature: String::new(),
            };
            claim.signature = key.sign(&deal_bytes(&claim)).to_hex();
            // A completion claimed without the payment having arrived is refused.
            let answer = services.answer_deal_message("riverside", &claim).await.expect("answered");
            assert_eq!((answer.outcome, answer.refusal.as_str()), (DealOutcome::Refused, "deal-across-not-paid"));
            // Changed after signing, or signed by another key: not taken at all.
            let mut changed = claim.clone();
            changed.amount_minor = Some(1);
            assert!(matches!(services.answer_deal_message("riverside", &changed).await, Err(FederationError::BadSignature)));
            let mut forged = claim.clone();
            let other = services.store().node_secret(&ben.circle).await.expect("riverside's key");
            forged.signature = other.sign(&deal_bytes(&forged)).to_hex();
            assert!(matches!(services.answer_deal_message("riverside", &forged).await, Err(FederationError::BadSignature)));
            // Replayed long after it was signed: refused as well.
            let mut stale = claim.clone();
            stale.at_ms -= 10 * 60 * 1000;
            stale.signature = key.sign(&deal_bytes(&stale)).to_hex();
            assert!(matches!(services.answer_deal_message("riverside", &stale).await, Err(FederationError::BadSignature)));
            // Someone else's name on a message finds no deal.
            let mut stranger = claim.clone();
            stranger.event = DealEvent::Cancel;
            stranger.sender = "mallory".into();
            stranger.signature = key.sign(&deal_bytes(&stranger)).to_hex();
            assert!(matches!(services.answer_deal_message("riverside", &stranger).await, Err(FederationError::NoSuchMember)));
            assert_eq!(services.link_deal_of(&ben, his).await.expect("his").row.status, Status::Agreed);

            // The other way round: Ben needs help and Carol is paid. Riverside's node telling
            // the café the deal is completed, with no payment arrived, is not believed.
            let need = node.try_post(&ben, "need", "A ladder", "For the gutter.").await.expect("posted");
            let helping = services.open_deal_across(&carol, &ben.circle.circle_id, need, "").await.expect("opened");
            services.step_deal_across(&carol, helping, propose("My ladder", Some(100)), None).await.expect("proposed");
            let theirs = services.deals_across(&ben).await.expect("his")[0].0.clone();
            services.step_deal_across(&ben, theirs.id, DealStep::Agree, None).await.expect("agreed");
            let riverside_key = services.store().node_secret(&ben.circle).await.expect("riverside's key");
            let mut state = services.link_deal_of(&ben, theirs.id).await.expect("his").row;
            state.status = Status::Completed;
            state.version += 1;
            state.transfer = Some("01234567-89ab-cdef-0123-456789abcdef".into());
            let mut told = DealMessage {
                format: DEAL_FORMAT.into(),
                from: ben.circle.circle_id.to_hex(),
                to: repair.circle.circle_id.to_hex(),
                uuid: hex::encode(theirs.uuid),
                event: DealEvent::State,
                from_owner: true,
                sender: "ben".into(),
                sender_name: String::new(),
                receiver: "carol".into(),
                listing: need,
                version: state.version,
                text: String::new(),
                amount_minor: None,
                message_uuid: String::new(),
                transfer: String::new(),
                state: Some(commons_web::links::deal_wire::DealState::of(&state)),
                at_ms: services.now_ms(),
                signature: String::new(),
            };
            told.signature = riverside_key.sign(&deal_bytes(&told)).to_hex();
            assert!(services.answer_deal_message("repair", &told).await.is_err());
            assert_eq!(services.link_deal_of(&carol, helping).await.expect("hers").row.status, Status::Agreed, "not paid, not completed");
        };
    }
}

mod through_a_middle_circle {
    use commons_tests::both_backends;
    use commons_tests::node::Node;
    use commons_web::links::CrossResult;
    use commons_web::services::{ActionError, IdempotencyKey};

    both_backends! {
        a_member_pays_a_circle_two_links_away_through_the_middle_at_each_links_rate => |url: String| async move {
            let node = Node::start(&url).await;
            let repair = node.second_circle("repair", "Repair Café", "credits").await;
            let orchard = node.second_circle("orchard", "Orchard", "apples").await;
            let ben = node.member("ben").await;
            let carol = node.member_in(&repair, "carol").await;
            let olive = node.member_in(&orchard, "olive").await;
            // Riverside–café and café–orchard are linked; Riverside and the orchard are not.
            node.link(&node.steward, &[&ben], "repair", ("1", "12", "30")).await;
            node.link(&repair, &[&carol], "riverside", ("12", "1", "360")).await;
            node.link(&repair, &[&carol], "orchard", ("3", "1", "100")).await;
            node.link(&orchard, &[&olive], "repair", ("1", "3", "100")).await;
            let services = &node.state.services;
            let destinations = services.destinations(&ben).await.expect("destinations");
            let names: Vec<&str> = destinations.iter().map(|destination| destination.name()).collect();
            assert_eq!(names, vec!["Repair Café", "Orchard"]);
            let to_orchard = destinations[1].reference();
            // 0.50 hours = 6.00 credits = 2.00 apples.
            let command = services.cross_command(&ben, &to_orchard, "Olive", "0.50", "").await.expect("named by name");
            assert_eq!(command.member.as_str(), "olive");
            let (quote, paid) = services.pay_across(&ben, &command, &IdempotencyKey::generate()).await.expect("paid");
            assert_eq!((paid, quote.amount_received_minor(), quote.circle_name()), (CrossResult::Paid, 200, "Orchard"));
            assert_eq!((node.balance(&ben).await, node.balance(&olive).await), (-50, 200));
            // A circle the middle one is not linked with, or a made-up route, is nobody to pay.
            let made_up = format!("repair#{}", "ab".repeat(32));
            let refused = services.cross_command(&ben, &made_up, "olive", "0.50", "").await;
            assert!(matches!(refused, Err(ActionError::Invalid { field: "circle", .. })), "{refused:?}");
            // Nobody by that name there (the reach rule is asked as for a linked circle).
            let nobody = services.cross_command(&ben, &to_orchard, "nobody-here", "0.50", "").await.expect("parsed");
            let nobody = services.quote_across(&ben, &nobody).await;
            assert!(matches!(nobody, Err(ActionError::Invalid { field: "member", .. })), "{nobody:?}");
        };
    }
}
