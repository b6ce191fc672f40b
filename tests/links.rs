//! Payments between linked circles through the store, on SQLite and PostgreSQL: across in both
//! directions at a rate that does not divide evenly, refused at the limit of trade, retried
//! without paying twice, finished after a crash at each step, through a middle circle, and
//! audited on every side.

use commons_ledger::crossing::{connector_key, Hold, HoldSource, LinkTerms, TransferId};
use commons_ledger::entry::{Action, Body};
use commons_ledger::keys::{Hash, PublicKey, SecretKey};
use commons_ledger::store::{LocalPeers, Outcome, Store};
use commons_tests::{both_backends, make_circle, StoreCircle};

async fn link(
    store: &Store,
    from: &StoreCircle,
    to: &StoreCircle,
    here: i64,
    there: i64,
    max: i64,
) {
    let partner_node_key = store.node_secret(&to.info).await.expect("key").public_key();
    let terms = LinkTerms {
        partner: to.info.circle_id,
        partner_node_key,
        address: String::new(),
        rate_here_minor: here,
        rate_there_minor: there,
        out_max_minor: max,
        in_max_minor: max,
        shares_market: true,
        trust: commons_ledger::crossing::LinkTrust::Proved,
    };
    let proposal = Hash::sha256(&[
        &from.info.circle_id.0,
        &to.info.circle_id.0,
        &here.to_be_bytes(),
    ]);
    store
        .enact(
            &from.info,
            proposal,
            Hash([0; 32]),
            vec![Action::Link(terms)],
        )
        .await
        .expect("link");
}

fn hold(
    from: &StoreCircle,
    payer: &SecretKey,
    to: &StoreCircle,
    payee: &PublicKey,
    amount: i64,
    there: i64,
) -> commons_ledger::entry::SignedRequest {
    from.sign(
        payer,
        Body::Hold(Hold {
            transfer: TransferId::random(),
            source: HoldSource::Member(payer.public_key()),
            partner: to.info.circle_id,
            amount_minor: amount,
            amount_there_minor: there,
            destination: to.info.circle_id,
            payee: *payee,
            deadline_ms: commons_ledger::store::now_ms() + 60_000,
            memo_hash: None,
        }),
    )
}

async fn balance(store: &Store, circle: &StoreCircle, key: &PublicKey) -> i64 {
    store
        .account(&circle.info, key)
        .await
        .expect("account")
        .map_or(0, |row| row.balance_minor)
}

async fn audits_clean(store: &Store, circle: &StoreCircle) {
    let report = store
        .audit(&circle.info.slug, None, &|_| {})
        .await
        .expect("audit");
    assert!(report.passed(), "{}: {:?}", circle.info.slug, report.faults);
}

/// Two circles on one node: garden in hours (2 decimals), repair in credits (2 decimals), at
/// 3 hours = 7 credits, each may owe the other 100.
async fn garden_and_repair(store: &Store) -> (StoreCircle, StoreCircle) {
    let garden = make_circle(store, "garden", 2).await;
    let repair = make_circle(store, "repair", 2).await;
    link(store, &garden, &repair, 3, 7, 10_000).await;
    link(store, &repair, &garden, 7, 3, 10_000).await;
    (garden, repair)
}

both_backends! {
    a_payment_crosses_both_ways_rounded_down_and_both_books_balance => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let (garden, repair) = garden_and_repair(&store).await;
        let peers = LocalPeers { store: store.clone() };
        let (ana, bea) = (&garden.members[0], &repair.members[0]);
        // 1.00 hour = 2.333… credits: Bea receives 2.33.
        let signed = hold(&garden, ana, &repair, &bea.public_key(), 100, 233);
        let (_, outcome) = store.send_across(&garden.info, signed, None, &peers).await.expect("send");
        assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
        assert_eq!(balance(&store, &garden, &ana.public_key()).await, -100);
        assert_eq!(balance(&store, &repair, &bea.public_key()).await, 233);
        assert_eq!(balance(&store, &garden, &connector_key(&repair.info.circle_id)).await, 100);
        assert_eq!(balance(&store, &repair, &connector_key(&garden.info.circle_id)).await, -233);
        // And back: 2.33 credits = 0.998… hours: Ana receives 0.99.
        let back = hold(&repair, bea, &garden, &ana.public_key(), 233, 99);
        let (_, outcome) = store.send_across(&repair.info, back, None, &peers).await.expect("back");
        assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
        assert_eq!(balance(&store, &garden, &ana.public_key()).await, -1);
        assert_eq!(balance(&store, &repair, &bea.public_key()).await, 0);
        audits_clean(&store, &garden).await;
        audits_clean(&store, &repair).await;
    };

    the_same_hold_sent_twice_pays_once => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let (garden, repair) = garden_and_repair(&store).await;
        let peers = LocalPeers { store: store.clone() };
        let bea = repair.members[0].public_key();
        let signed = hold(&garden, &garden.members[0], &repair, &bea, 300, 700);
        let (first, _) = store.send_across(&garden.info, signed.clone(), None, &peers).await.expect("first");
        let (again, outcome) = store.send_across(&garden.info, signed, None, &peers).await.expect("again");
        assert!(again.duplicate);
        assert_eq!(first.seq, again.seq);
        assert!(matches!(outcome, Outcome::Completed { .. }));
        assert_eq!(balance(&store, &repair, &bea).await, 700);
        assert_eq!(balance(&store, &garden, &garden.members[0].public_key()).await, -300);
    };

    a_payment_past_the_limit_of_trade_is_refused_where_it_starts_or_released => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let garden = make_circle(&store, "garden", 1).await;
        let repair = make_circle(&store, "repair", 1).await;
        // Garden lets its members owe repair 100; repair lets garden owe it only 5.
        link(&store, &garden, &repair, 1, 1, 10_000).await;
        link(&store, &repair, &garden, 1, 1, 500).await;
        let peers = LocalPeers { store: store.clone() };
        let ana = &garden.members[0];
        let bea = repair.members[0].public_key();
        let signed = hold(&garden, ana, &repair, &bea, 600, 600);
        let (_, outcome) = store.send_across(&garden.info, signed, None, &peers).await.expect("send");
        let Outcome::Refused { code, message } = outcome else { panic!("{outcome:?}") };
        assert_eq!(code, "trade-limit");
        assert!(message.contains("may owe this one at most 5.00 hours"), "{message}");
        // Released: nothing moved anywhere, and Ana's credit is free again.
        assert_eq!(balance(&store, &garden, &ana.public_key()).await, 0);
        assert_eq!(balance(&store, &repair, &bea).await, 0);
        let small = hold(&garden, ana, &repair, &bea, 500, 500);
        let (_, outcome) = store.send_across(&garden.info, small, None, &peers).await.expect("small");
        assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
        audits_clean(&store, &garden).await;
        audits_clean(&store, &repair).await;
    };

    a_hold_left_by_a_crash_at_each_step_finishes_on_both_sides_or_neither => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let (garden, repair) = garden_and_repair(&store).await;
        let peers = LocalPeers { store: store.clone() };
        let bea = repair.members[0].public_key();
        // 1. Crash after the hold was written, before the relay: the hold is in flight.
        let signed = hold(&garden, &garden.members[0], &repair, &bea, 300, 700);
        let held = store.append("garden", signed, None).await.expect("hold");
        assert_eq!(store.holds_in_flight(&garden.info).await.expect("in flight").len(), 1);
        // 2. The node restarts and finishes what it had in flight.
        store.close().await;
        let store = Store::open(&url).await.expect("reopen");
        let peers_again = LocalPeers { store: store.clone() };
        let garden_info = store.circle("garden").await.expect("garden");
        for stored in store.holds_in_flight(&garden_info).await.expect("in flight") {
            let outcome = store.advance_hold(&garden_info, stored.entry.seq, &peers_again).await.expect("advance");
            assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
        }
        assert!(store.holds_in_flight(&garden_info).await.expect("none").is_empty());
        assert_eq!(balance(&store, &repair, &bea).await, 700);
        // 3. Asked again, the settled hold answers as it settled; nothing moves twice.
        let outcome = store.advance_hold(&garden_info, held.seq, &peers_again).await.expect("again");
        assert!(matches!(outcome, Outcome::Completed { .. }));
        assert_eq!(balance(&store, &repair, &bea).await, 700);
        assert_eq!(balance(&store, &garden, &garden.members[0].public_key()).await, -300);
        drop(peers);
        audits_clean(&store, &garden).await;
        audits_clean(&store, &repair).await;
    };

    a_payment_passes_through_a_middle_circle_all_or_nothing => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let a = make_circle(&store, "garden", 1).await;
        let b = make_circle(&store, "commons", 1).await;
        let c = make_circle(&store, "repair", 1).await;
        link(&store, &a, &b, 1, 2, 10_000).await;
        link(&store, &b, &a, 2, 1, 10_000).await;
        link(&store, &b, &c, 1, 1, 300).await;
        link(&store, &c, &b, 1, 1, 300).await;
        let peers = LocalPeers { store: store.clone() };
        let payee = c.members[0].public_key();
        let through = |amount: i64| {
            a.sign(&a.members[0], Body::Hold(Hold {
                transfer: TransferId::random(),
                source: HoldSource::Member(a.members[0].public_key()),
                partner: b.info.circle_id,
                amount_minor: amount,
                amount_there_minor: amount * 2,
                destination: c.info.circle_id,
                payee,
                deadline_ms: commons_ledger::store::now_ms() + 60_000,
                memo_hash: None,
            }))
        };
        let (_, outcome) = store.send_across(&a.info, through(100), None, &peers).await.expect("send");
        assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
        assert_eq!(balance(&store, &c, &payee).await, 200);
        assert_eq!(balance(&store, &b, &connector_key(&a.info.circle_id)).await, -200);
        assert_eq!(balance(&store, &b, &connector_key(&c.info.circle_id)).await, 200);
        // Past the B–C limit: refused at C, released at B and at A.
        let (_, outcome) = store.send_across(&a.info, through(100), None, &peers).await.expect("send");
        assert!(matches!(outcome, Outcome::Refused { .. }), "{outcome:?}");
        assert_eq!(balance(&store, &a, &a.members[0].public_key()).await, -100);
        assert_eq!(balance(&store, &c, &payee).await, 200);
        for circle in [&a, &b, &c] {
            assert!(store.holds_in_flight(&circle.info).await.expect("none").is_empty());
            audits_clean(&store, circle).await;
        }
    };
}
