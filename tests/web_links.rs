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
        // Both circles link (by their stewards' enactments; the proposals are tested above).
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
                shares_market: false,
            };
            let proposal = commons_ledger::keys::Hash::sha256(&[&from.circle_id.0]);
            store
                .enact(from, proposal, commons_ledger::keys::Hash([0; 32]), vec![commons_ledger::entry::Action::Link(terms)])
                .await
                .expect("linked");
        }
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
