//! The rules of linked circles, without a database: links by enactment, holds, settlements and
//! arrivals, each refusal with its numbers, and the sum of balances kept at zero throughout.

// A refusal carries the amounts and unit a member reads; the tests pass them around as is.
#![allow(clippy::result_large_err)]

mod common;

use common::{circle, pay, Circle};
use commons_ledger::crossing::{
    connector_key, Arrival, Hold, HoldSource, LinkStatus, LinkTerms, Settlement, TransferId,
};
use commons_ledger::entry::{Action, Body};
use commons_ledger::keys::{Hash, PublicKey, SecretKey};
use commons_ledger::state::{HoldState, Refusal};

fn enact(c: &mut Circle, actions: Vec<Action>) -> Result<(), Refusal> {
    let node = SecretKey::from_seed(*c.ledger.node_key.seed());
    let body = Body::Enact {
        proposal: Hash::sha256(&[format!("{actions:?}{}", c.ledger.state.next_seq).as_bytes()]),
        board_root: Hash([2; 32]),
        actions,
    };
    c.ledger.submit(&node, body).map(|_| ())
}

fn terms(partner: &Circle, here: i64, there: i64, out_max: i64, in_max: i64) -> LinkTerms {
    LinkTerms {
        partner: partner.ledger.state.circle_id,
        partner_node_key: partner.ledger.node_key.public_key(),
        address: String::new(),
        rate_here_minor: here,
        rate_there_minor: there,
        out_max_minor: out_max,
        in_max_minor: in_max,
        shares_market: false,
        trust: commons_ledger::crossing::LinkTrust::Proved,
    }
}

/// Two circles in hours (2 decimals) linked at 1 hour = 1 hour, each may owe the other 10 hours.
fn linked() -> (Circle, Circle) {
    let mut a = circle(2);
    let mut b = circle(2);
    let ab = terms(&b, 1, 1, 1000, 1000);
    let ba = terms(&a, 1, 1, 1000, 1000);
    enact(&mut a, vec![Action::Link(ab)]).expect("link a");
    enact(&mut b, vec![Action::Link(ba)]).expect("link b");
    (a, b)
}

fn hold_body(payer: &SecretKey, to: &Circle, payee: &PublicKey, amount: i64, there: i64) -> Hold {
    Hold {
        transfer: TransferId::random(),
        source: HoldSource::Member(payer.public_key()),
        partner: to.ledger.state.circle_id,
        amount_minor: amount,
        amount_there_minor: there,
        destination: to.ledger.state.circle_id,
        payee: *payee,
        deadline_ms: i64::MAX,
        memo_hash: None,
    }
}

fn node(c: &Circle) -> SecretKey {
    SecretKey::from_seed(*c.ledger.node_key.seed())
}

fn hold(c: &mut Circle, payer: usize, hold: Hold) -> Result<Hash, Refusal> {
    let payer = copy(&c.members[payer]);
    c.ledger.submit(&payer, Body::Hold(hold)).map(|e| e.hash())
}

fn settle(c: &mut Circle, hold: Hash, settlement: Settlement) -> Result<(), Refusal> {
    let key = node(c);
    c.ledger
        .submit(&key, Body::Settle { hold, settlement })
        .map(|_| ())
}

fn arrive(c: &mut Circle, from: &Circle, remote: Hash, hold: &Hold) -> Result<Hash, Refusal> {
    let key = node(c);
    let body = Body::Arrive(Arrival {
        transfer: hold.transfer,
        partner: from.ledger.state.circle_id,
        remote,
        payee: hold.payee,
        amount_minor: hold.amount_there_minor,
        memo_hash: None,
    });
    c.ledger.submit(&key, body).map(|e| e.hash())
}

fn balance(c: &Circle, key: &PublicKey) -> i64 {
    c.ledger.state.accounts[key].balance_minor
}

#[test]
fn a_payment_across_is_held_then_arrives_then_commits_and_both_books_balance() {
    let (mut a, mut b) = linked();
    let payee = b.members[0].public_key();
    let h = hold_body(&a.members[0], &b, &payee, 300, 300);
    let held = hold(&mut a, 0, h.clone()).expect("hold");
    // Held: nothing moved yet, but the payer can spend only what is left.
    assert_eq!(balance(&a, &a.members[0].public_key()), 0);
    assert_eq!(
        a.ledger.state.held_out_minor(&a.members[0].public_key()),
        300
    );
    let too_much = pay(&a.members[0], &a.members[1], 1800);
    let refused = a
        .ledger
        .submit(&a.members[0], too_much)
        .expect_err("refused");
    assert!(
        matches!(refused, Refusal::InsufficientCredit { .. }),
        "{refused}"
    );

    let arrived = arrive(&mut b, &a, held, &h).expect("arrive");
    assert_eq!(balance(&b, &payee), 300);
    assert_eq!(balance(&b, &connector_key(&a.ledger.state.circle_id)), -300);
    settle(&mut a, held, Settlement::Commit { remote: arrived }).expect("commit");
    assert_eq!(balance(&a, &a.members[0].public_key()), -300);
    assert_eq!(balance(&a, &connector_key(&b.ledger.state.circle_id)), 300);
    assert_eq!(a.ledger.state.balance_sum(), 0);
    assert_eq!(b.ledger.state.balance_sum(), 0);
    assert_eq!(
        a.ledger.state.hold(&held).map(|r| r.state),
        Some(HoldState::Committed { remote: arrived })
    );
    // A hold settles once.
    let again = settle(&mut a, held, Settlement::Release).expect_err("refused");
    assert!(matches!(again, Refusal::HoldSettled(_)), "{again}");
}

#[test]
fn a_released_hold_moves_nothing_and_frees_the_credit() {
    let (mut a, b) = linked();
    let h = hold_body(&a.members[0], &b, &b.members[0].public_key(), 900, 900);
    let held = hold(&mut a, 0, h).expect("hold");
    let payer = copy(&a.members[0]);
    let blocked = a
        .ledger
        .submit(&payer, pay(&a.members[0], &a.members[1], 2000));
    assert!(matches!(blocked, Err(Refusal::InsufficientCredit { .. })));
    settle(&mut a, held, Settlement::Release).expect("release");
    assert_eq!(balance(&a, &a.members[0].public_key()), 0);
    assert_eq!(a.ledger.state.held_out_minor(&a.members[0].public_key()), 0);
    let payer = copy(&a.members[0]);
    a.ledger
        .submit(&payer, pay(&a.members[0], &a.members[1], 2000))
        .expect("the credit is free again");
}

#[test]
fn a_transfer_id_is_recorded_once_on_each_side() {
    let (mut a, mut b) = linked();
    let h = hold_body(&a.members[0], &b, &b.members[0].public_key(), 100, 100);
    let held = hold(&mut a, 0, h.clone()).expect("hold");
    let other = Hold {
        source: HoldSource::Member(a.members[1].public_key()),
        ..h.clone()
    };
    let twice = hold(&mut a, 1, other).expect_err("refused");
    assert!(matches!(twice, Refusal::TransferKnown { .. }), "{twice}");
    arrive(&mut b, &a, held, &h).expect("arrive");
    let replayed = arrive(&mut b, &a, held, &h).expect_err("refused");
    assert!(
        matches!(replayed, Refusal::TransferKnown { .. }),
        "{replayed}"
    );
    assert_eq!(balance(&b, &b.members[0].public_key()), 100);
}

#[test]
fn the_limit_of_trade_refuses_with_the_numbers_on_both_sides() {
    let (mut a, mut b) = linked();
    // A may owe B at most 10 hours: a 12-hour payment is refused where it starts.
    let big = hold_body(&a.members[0], &b, &b.members[0].public_key(), 1200, 1200);
    let refused = hold(&mut a, 0, big).expect_err("refused");
    assert_eq!(
        refused.to_string(),
        format!(
            "This circle may owe at most 10.00 hours across its link with the circle {}, and only 10.00 hours of that is left now. Pay less, or wait until trade flows back the other way.",
            b.ledger.state.circle_id.short()
        )
    );
    // Holds count against the room: two of 6 hours do not both fit.
    let first = hold_body(&a.members[0], &b, &b.members[0].public_key(), 600, 600);
    hold(&mut a, 0, first).expect("first");
    let second = hold_body(&a.members[1], &b, &b.members[0].public_key(), 600, 600);
    assert!(matches!(
        hold(&mut a, 1, second).expect_err("refused"),
        Refusal::TradeLimitOut { .. }
    ));
    // B refuses an arrival past what A may owe it, whatever A's side says.
    let mut wide = circle(1);
    enact(
        &mut wide,
        vec![Action::Link(terms(&b, 1, 1, 100_000, 100_000))],
    )
    .expect("accepted");
    let h = hold_body(&wide.members[0], &b, &b.members[0].public_key(), 1500, 1500);
    let held = hold(&mut wide, 0, h.clone()).expect("accepted");
    enact(&mut b, vec![Action::Link(terms(&wide, 1, 1, 1000, 1000))]).expect("accepted");
    let refused = arrive(&mut b, &wide, held, &h).expect_err("refused");
    assert!(matches!(refused, Refusal::TradeLimitIn { .. }), "{refused}");
    assert_eq!(b.ledger.state.balance_sum(), 0);
}

#[test]
fn the_amount_there_must_be_the_links_rate_rounded_down() {
    let mut a = circle(1);
    let b = circle(1);
    // 3 hundredths here are worth 7 hundredths there: 100 → 233.33 → 233.
    enact(
        &mut a,
        vec![Action::Link(terms(&b, 3, 7, 100_000, 100_000))],
    )
    .expect("accepted");
    let payee = b.members[0].public_key();
    let wrong = hold_body(&a.members[0], &b, &payee, 100, 234);
    let refused = hold(&mut a, 0, wrong).expect_err("refused");
    assert!(
        matches!(
            refused,
            Refusal::RateMismatch {
                expected: 233,
                found: 234,
                ..
            }
        ),
        "{refused}"
    );
    let right = hold_body(&a.members[0], &b, &payee, 100, 233);
    hold(&mut a, 0, right).expect("at rate");
    // An amount worth nothing there is refused with the least that converts.
    let mut c = circle(1);
    enact(
        &mut c,
        vec![Action::Link(terms(&b, 7, 3, 100_000, 100_000))],
    )
    .expect("accepted");
    let tiny = hold_body(&c.members[0], &b, &payee, 2, 0);
    let refused = hold(&mut c, 0, tiny).expect_err("refused");
    assert!(refused.to_string().contains("send at least 3"), "{refused}");
}

#[test]
fn nobody_pays_a_connector_or_signs_for_one_or_the_node() {
    let (mut a, b) = linked();
    let connector = connector_key(&b.ledger.state.circle_id);
    let payer = copy(&a.members[0]);
    let to_connector = Body::Transfer {
        payer: payer.public_key(),
        payee: connector,
        amount_minor: 100,
        memo_hash: None,
        cause: commons_ledger::entry::Cause::Direct,
    };
    assert!(matches!(
        a.ledger.submit(&payer, to_connector).expect_err("refused"),
        Refusal::NotAMember(_)
    ));
    // A member cannot hold someone else's credit, settle, or record an arrival.
    let theirs = hold_body(&a.members[1], &b, &b.members[0].public_key(), 100, 100);
    assert!(matches!(
        a.ledger
            .submit(&payer, Body::Hold(theirs))
            .expect_err("refused"),
        Refusal::NotAuthorised { .. }
    ));
    let h = hold_body(&payer, &b, &b.members[0].public_key(), 100, 100);
    let held = hold(&mut a, 0, h).expect("accepted");
    let settle = Body::Settle {
        hold: held,
        settlement: Settlement::Commit {
            remote: Hash([1; 32]),
        },
    };
    assert!(matches!(
        a.ledger.submit(&payer, settle).expect_err("refused"),
        Refusal::NotAuthorised { .. }
    ));
    // A steward cannot change a connector's limits outside a link's proposal.
    let steward = copy(&a.steward);
    let limits = Body::SetLimits {
        account: connector,
        floor_minor: -5,
        ceiling_minor: 5,
    };
    assert!(matches!(
        a.ledger.submit(&steward, limits).expect_err("refused"),
        Refusal::NotAMember(_)
    ));
}

#[test]
fn a_suspended_link_carries_nothing_new_and_closes_only_when_settled() {
    let (mut a, mut b) = linked();
    let b_id = b.ledger.state.circle_id;
    let payee = b.members[0].public_key();
    let h = hold_body(&a.members[0], &b, &payee, 100, 100);
    let held = hold(&mut a, 0, h.clone()).expect("accepted");
    enact(
        &mut a,
        vec![Action::SetLinkStatus {
            partner: b_id,
            status: LinkStatus::Suspended,
        }],
    )
    .expect("accepted");
    let next = hold_body(&a.members[1], &b, &payee, 100, 100);
    assert!(matches!(
        hold(&mut a, 1, next).expect_err("refused"),
        Refusal::LinkNotOpen { .. }
    ));
    // What was in flight still settles.
    let arrived = arrive(&mut b, &a, held, &h).expect("accepted");
    settle(&mut a, held, Settlement::Commit { remote: arrived }).expect("accepted");
    let close = |status| {
        vec![Action::SetLinkStatus {
            partner: b_id,
            status,
        }]
    };
    let refused = enact(&mut a, close(LinkStatus::Closed)).expect_err("refused");
    assert!(
        matches!(refused, Refusal::LinkNotSettled { .. }),
        "{refused}"
    );
    // Trade flows back: B's member pays A's member the same, and the link can close.
    let a_id_terms = terms(&a, 1, 1, 1000, 1000);
    let back = Hold {
        transfer: TransferId::random(),
        source: HoldSource::Member(b.members[0].public_key()),
        partner: a_id_terms.partner,
        amount_minor: 100,
        amount_there_minor: 100,
        destination: a_id_terms.partner,
        payee: a.members[1].public_key(),
        deadline_ms: i64::MAX,
        memo_hash: None,
    };
    let back_held = hold(&mut b, 0, back.clone()).expect("accepted");
    enact(&mut a, close(LinkStatus::Open)).expect("accepted");
    let back_arrived = arrive(&mut a, &b, back_held, &back).expect("accepted");
    settle(
        &mut b,
        back_held,
        Settlement::Commit {
            remote: back_arrived,
        },
    )
    .expect("accepted");
    enact(&mut a, close(LinkStatus::Closed)).expect("closes at zero");
    assert_eq!(
        a.ledger.state.link(&b_id).expect("linked").status,
        LinkStatus::Closed
    );
}

#[test]
fn a_link_cannot_be_with_the_circle_itself_and_new_terms_must_hold_what_is_owed() {
    let (mut a, mut b) = linked();
    let own = terms(&a, 1, 1, 10, 10);
    assert_eq!(
        enact(&mut a, vec![Action::Link(own)]).expect_err("refused"),
        Refusal::LinkToItself
    );
    let h = hold_body(&a.members[0], &b, &b.members[0].public_key(), 500, 500);
    let held = hold(&mut a, 0, h.clone()).expect("accepted");
    let arrived = arrive(&mut b, &a, held, &h).expect("accepted");
    settle(&mut a, held, Settlement::Commit { remote: arrived }).expect("accepted");
    // A owes B 5 hours: limits below that are refused, wider ones apply.
    let narrow = terms(&b, 1, 1, 400, 1000);
    assert!(matches!(
        enact(&mut a, vec![Action::Link(narrow)]).expect_err("refused"),
        Refusal::LimitsExcludeBalance { .. }
    ));
    enact(&mut a, vec![Action::Link(terms(&b, 1, 2, 600, 1000))]).expect("new terms");
    let link = a
        .ledger
        .state
        .link(&b.ledger.state.circle_id)
        .expect("accepted");
    assert_eq!(link.terms.rate_there_minor, 2);
}

#[test]
fn a_payment_passes_through_a_middle_circle_held_there_too() {
    let mut a = circle(1);
    let mut b = circle(1);
    let mut c = circle(1);
    enact(&mut a, vec![Action::Link(terms(&b, 1, 2, 5000, 5000))]).expect("accepted");
    enact(
        &mut b,
        vec![
            Action::Link(terms(&a, 2, 1, 5000, 5000)),
            Action::Link(terms(&c, 1, 1, 5000, 5000)),
        ],
    )
    .expect("accepted");
    enact(&mut c, vec![Action::Link(terms(&b, 1, 1, 5000, 5000))]).expect("accepted");
    let payee = c.members[0].public_key();
    let first = Hold {
        destination: c.ledger.state.circle_id,
        ..hold_body(&a.members[0], &b, &payee, 100, 200)
    };
    let at_a = hold(&mut a, 0, first.clone()).expect("accepted");
    let through = Hold {
        source: HoldSource::Link {
            partner: a.ledger.state.circle_id,
            entry: at_a,
        },
        partner: c.ledger.state.circle_id,
        amount_minor: 200,
        amount_there_minor: 200,
        ..first.clone()
    };
    let b_node = node(&b);
    let at_b = b
        .ledger
        .submit(&b_node, Body::Hold(through.clone()))
        .expect("accepted")
        .hash();
    let at_c = arrive(&mut c, &b, at_b, &through).expect("accepted");
    settle(&mut b, at_b, Settlement::Commit { remote: at_c }).expect("accepted");
    settle(&mut a, at_a, Settlement::Commit { remote: at_b }).expect("accepted");
    assert_eq!(balance(&a, &a.members[0].public_key()), -100);
    assert_eq!(balance(&b, &connector_key(&a.ledger.state.circle_id)), -200);
    assert_eq!(balance(&b, &connector_key(&c.ledger.state.circle_id)), 200);
    assert_eq!(balance(&c, &payee), 200);
    for circle in [&a, &b, &c] {
        assert_eq!(circle.ledger.state.balance_sum(), 0);
    }
    // Only the node passes payments on.
    let member = copy(&b.members[0]);
    let forged = Hold {
        transfer: TransferId::random(),
        ..through
    };
    assert!(matches!(
        b.ledger
            .submit(&member, Body::Hold(forged))
            .expect_err("refused"),
        Refusal::NotAuthorised { .. }
    ));
}

fn copy(key: &SecretKey) -> SecretKey {
    SecretKey::from_seed(*key.seed())
}

mod on_its_word {
    //! A link with a Credit Commons node (action tag 12): named by where it is, no node key,
    //! never a route, and every payment with it counted as resting on its word.
    use super::*;
    use commons_ledger::crossing::{cc_account_key, cc_partner_id, LinkTrust, NO_NODE_KEY};

    fn cc_terms(address: &str, their_path: &str, our_path: &str) -> LinkTerms {
        LinkTerms {
            partner: cc_partner_id(address, their_path),
            partner_node_key: PublicKey::from_raw(NO_NODE_KEY),
            address: address.into(),
            rate_here_minor: 1,
            rate_there_minor: 1,
            out_max_minor: 1000,
            in_max_minor: 1000,
            shares_market: false,
            trust: LinkTrust::OnItsWord {
                their_path: their_path.into(),
                our_path: our_path.into(),
            },
        }
    }

    #[test]
    fn a_credit_commons_partner_is_named_by_its_address_and_path() {
        let mut a = circle(2);
        let mut forged = cc_terms("https://cc.example.org", "trunk", "trunk/a");
        forged.partner = Hash([9; 32]);
        assert!(matches!(
            enact(&mut a, vec![Action::Link(forged)]),
            Err(Refusal::InvalidCircle(_))
        ));
        enact(
            &mut a,
            vec![Action::Link(cc_terms(
                "https://cc.example.org",
                "trunk",
                "trunk/a",
            ))],
        )
        .expect("a partner named by where it is");
    }

    #[test]
    fn a_credit_commons_link_has_readable_paths_no_key_and_no_market() {
        let mut a = circle(2);
        let b = circle(2);
        let mut keyed = cc_terms("https://cc.example.org", "trunk", "trunk/a");
        keyed.partner_node_key = b.ledger.node_key.public_key();
        let mut market = cc_terms("https://cc.example.org", "trunk", "trunk/a");
        market.shares_market = true;
        for bad in [
            cc_terms("https://cc.example.org", "Trunk", "trunk/a"),
            cc_terms("https://cc.example.org", "trunk", "trunk//a"),
            cc_terms("https://cc.example.org", "trunk", "trunk"),
            cc_terms("", "trunk", "trunk/a"),
            keyed,
            market,
        ] {
            assert!(
                matches!(
                    enact(&mut a, vec![Action::Link(bad.clone())]),
                    Err(Refusal::InvalidCircle(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn payments_with_a_credit_commons_partner_are_counted_as_on_its_word() {
        let mut a = circle(2);
        let terms = cc_terms("https://cc.example.org", "trunk", "trunk/a");
        let partner = terms.partner;
        enact(&mut a, vec![Action::Link(terms)]).expect("link");
        let key = node(&a);
        let payee = a.members[0].public_key();
        a.ledger
            .submit(
                &key,
                Body::Arrive(Arrival {
                    transfer: TransferId::random(),
                    partner,
                    remote: Hash([7; 32]),
                    payee,
                    amount_minor: 300,
                    memo_hash: None,
                }),
            )
            .expect("arrival on its word");
        let mut out = Hold {
            partner,
            destination: partner,
            ..hold_body(&a.members[1], &a, &cc_account_key("trunk/bob"), 100, 100)
        };
        out.source = HoldSource::Member(a.members[1].public_key());
        let held = hold(&mut a, 1, out).expect("hold");
        settle(
            &mut a,
            held,
            Settlement::Commit {
                remote: Hash([8; 32]),
            },
        )
        .expect("settle");
        assert_eq!(a.ledger.state.links[&partner].on_word_payments, 2);
        let sum: i64 = a
            .ledger
            .state
            .accounts
            .values()
            .map(|acc| acc.balance_minor)
            .sum();
        assert_eq!(sum, 0);
    }

    #[test]
    fn no_signature_is_ever_taken_for_a_credit_commons_partners() {
        // R = the identity point, s = 0: under cofactored verification this "signature"
        // verifies for every message under a key of small order, such as the all-zero bytes a
        // link on its word decodes as its node key. A partner taken on its word has no key.
        let mut forged = [0u8; 64];
        forged[0] = 1;
        let signature = commons_ledger::keys::Signature(forged);
        let terms = cc_terms("https://cc.example.org", "trunk", "trunk/a");
        assert_eq!(terms.node_key(), None);
        let hold = Hash([5; 32]);
        assert!(!commons_ledger::relay::erased_is_genuine(
            &terms,
            &hold,
            &hold.to_hex(),
            "no-link",
            &signature.to_hex(),
        ));
        let proved = super::terms(&circle(2), 1, 1, 10, 10);
        assert!(proved.node_key().is_some());
    }

    #[test]
    fn no_payment_passes_through_a_circle_to_or_from_a_credit_commons_partner() {
        let (mut a, b) = linked();
        let terms = cc_terms("https://cc.example.org", "trunk", "trunk/a");
        let partner = terms.partner;
        enact(&mut a, vec![Action::Link(terms)]).expect("link");
        let key = node(&a);
        let onward = Hold {
            transfer: TransferId::random(),
            source: HoldSource::Link {
                partner: b.ledger.state.circle_id,
                entry: Hash([3; 32]),
            },
            partner,
            amount_minor: 10,
            amount_there_minor: 10,
            destination: partner,
            payee: cc_account_key("trunk/bob"),
            deadline_ms: i64::MAX,
            memo_hash: None,
        };
        assert!(matches!(
            a.ledger.submit(&key, Body::Hold(onward)),
            Err(Refusal::InvalidCircle(_))
        ));
    }
}
