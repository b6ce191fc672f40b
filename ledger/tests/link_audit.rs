//! `audit_link`: two linked circles' exports checked against each other. A clean pair passes;
//! every changed byte of either export fails (its own audit or the link's); and a node that
//! rewrites its whole log (validly signed) without a payment, with another amount, or with a
//! payment the other side released, is caught.

mod common;

use common::{circle, Circle};
use commons_ledger::audit::{audit, AuditReport};
use commons_ledger::crossing::{Arrival, Hold, HoldSource, LinkTerms, Settlement, TransferId};
use commons_ledger::entry::{Action, Body, Entry, Request, TreeHead};
use commons_ledger::export::{export_text, header_for, parse_export, RawEntry};
use commons_ledger::keys::{Hash, SecretKey};
use commons_ledger::link_audit::{
    audit_link, check_held_heads, parse_held_heads, LinkReport, Side,
};
use commons_ledger::merkle::Frontier;
use commons_ledger::state::CircleState;
use rayon::prelude::*;

fn node(c: &Circle) -> SecretKey {
    SecretKey::from_seed(*c.ledger.node_key.seed())
}

fn link(c: &mut Circle, partner: &Circle, here: i64, there: i64) {
    let terms = LinkTerms {
        partner: partner.ledger.state.circle_id,
        partner_node_key: partner.ledger.node_key.public_key(),
        address: String::new(),
        rate_here_minor: here,
        rate_there_minor: there,
        out_max_minor: 100_000,
        in_max_minor: 100_000,
        shares_market: false,
        trust: commons_ledger::crossing::LinkTrust::Proved,
    };
    let key = node(c);
    let body = Body::Enact {
        proposal: Hash([c.ledger.state.next_seq as u8; 32]),
        board_root: Hash([0; 32]),
        actions: vec![Action::Link(terms)],
    };
    c.ledger.submit(&key, body).expect("link");
}

/// How a payment from `from` to `to` ends in this test.
#[derive(Clone, Copy, PartialEq)]
enum End {
    Committed,
    Released,
    Pending,
}

fn pay(
    from: &mut Circle,
    to: &mut Circle,
    payer: usize,
    payee: usize,
    amount: i64,
    there: i64,
    end: End,
) {
    let hold = Hold {
        transfer: TransferId::random(),
        source: HoldSource::Member(from.members[payer].public_key()),
        partner: to.ledger.state.circle_id,
        amount_minor: amount,
        amount_there_minor: there,
        destination: to.ledger.state.circle_id,
        payee: to.members[payee].public_key(),
        deadline_ms: i64::MAX,
        memo_hash: None,
    };
    let payer_key = SecretKey::from_seed(*from.members[payer].seed());
    let held = from
        .ledger
        .submit(&payer_key, Body::Hold(hold.clone()))
        .expect("hold")
        .hash();
    let settlement = match end {
        End::Pending => return,
        End::Released => Settlement::Release,
        End::Committed => {
            let to_node = node(to);
            let arrival = Body::Arrive(Arrival {
                transfer: hold.transfer,
                partner: from.ledger.state.circle_id,
                remote: held,
                payee: hold.payee,
                amount_minor: there,
                memo_hash: None,
            });
            let arrived = to.ledger.submit(&to_node, arrival).expect("arrive").hash();
            Settlement::Commit { remote: arrived }
        }
    };
    let from_node = node(from);
    from.ledger
        .submit(
            &from_node,
            Body::Settle {
                hold: held,
                settlement,
            },
        )
        .expect("settle");
}

/// Garden (hours) and Repair (credits) at 3 = 7, with payments both ways, one released and
/// one still on its way.
fn trading() -> (Circle, Circle) {
    let (mut a, mut b) = (circle(2), circle(2));
    link(&mut a, &b, 3, 7);
    link(&mut b, &a, 7, 3);
    pay(&mut a, &mut b, 0, 0, 100, 233, End::Committed);
    pay(&mut a, &mut b, 1, 1, 300, 700, End::Committed);
    pay(&mut b, &mut a, 0, 1, 233, 99, End::Committed);
    pay(&mut a, &mut b, 0, 1, 50, 116, End::Released);
    pay(&mut a, &mut b, 1, 0, 30, 70, End::Pending);
    (a, b)
}

fn audited(text: &str) -> (AuditReport, commons_ledger::export::ParsedExport) {
    let parsed = parse_export(text);
    let again = parse_export(text);
    (audit(again.into_audit_input(None), &|_| {}), parsed)
}

/// Both exports audited on their own, then against each other: whether all three pass.
fn all_pass(a: &str, b: &str) -> bool {
    let ((report_a, parsed_a), (report_b, parsed_b)) = (audited(a), audited(b));
    if !report_a.passed() || !report_b.passed() {
        return false;
    }
    let (Some(state_a), Some(state_b)) = (&report_a.state, &report_b.state) else {
        return false;
    };
    audit_link(
        &Side::new(state_a, &parsed_a),
        &Side::new(state_b, &parsed_b),
    )
    .passed()
}

fn link_report(a: &str, b: &str) -> LinkReport {
    let ((report_a, parsed_a), (report_b, parsed_b)) = (audited(a), audited(b));
    assert!(report_a.passed(), "{:?}", report_a.faults);
    assert!(report_b.passed(), "{:?}", report_b.faults);
    audit_link(
        &Side::new(report_a.state.as_ref().expect("a"), &parsed_a),
        &Side::new(report_b.state.as_ref().expect("b"), &parsed_b),
    )
}

/// The circle's log as its own node could rewrite it: every request again (the ones `change`
/// keeps, as it changes them), newly chained and under a newly signed head. It audits clean
/// on its own.
fn rewritten(c: &Circle, change: impl Fn(&Request) -> Option<Body>) -> String {
    let genesis = &c.ledger.entries[0];
    let mut state = CircleState::from_genesis(genesis, genesis.hash()).expect("genesis");
    let mut entries: Vec<Entry> = vec![genesis.clone()];
    let mut frontier = Frontier::default();
    frontier.push(genesis.hash());
    let node_key = node(c);
    // Entries placed again get new hashes: settlements follow their holds.
    let mut moved: std::collections::HashMap<Hash, Hash> = std::collections::HashMap::new();
    for entry in &c.ledger.entries[1..] {
        let request = &entry.signed.record;
        let Some(mut body) = change(request) else {
            continue;
        };
        if let Body::Settle { hold, .. } = &mut body {
            *hold = moved.get(hold).copied().unwrap_or(*hold);
        }
        let signed = if body == request.body {
            entry.signed.clone()
        } else {
            Request {
                body,
                ..request.clone()
            }
            .sign(&node_key)
        };
        let (placed, hash) = state
            .place(signed, entry.recorded_at_ms)
            .expect("the node's own rules");
        moved.insert(entry.hash(), hash);
        frontier.push(hash);
        entries.push(placed);
    }
    let head = TreeHead::sign(
        &node_key,
        state.circle_id,
        frontier.size(),
        frontier.root(),
        1,
    );
    let raw: Vec<RawEntry> = entries
        .iter()
        .map(|e| RawEntry::from_entry(e, None))
        .collect();
    export_text(header_for(&state), &raw, &head)
}

#[test]
fn two_linked_circles_that_agree_pass_with_every_payment_counted() {
    let (a, b) = trading();
    let report = link_report(&a.ledger.export_text(), &b.ledger.export_text());
    assert!(report.passed(), "{:?}", report.faults);
    assert_eq!(
        (
            report.checked_there,
            report.checked_back,
            report.released,
            report.in_flight
        ),
        (2, 1, 1, 1)
    );
}

#[test]
fn every_changed_byte_of_either_export_is_found() {
    let (a, b) = trading();
    let (text_a, text_b) = (a.ledger.export_text(), b.ledger.export_text());
    assert!(all_pass(&text_a, &text_b));
    for (which, text) in [("A", &text_a), ("B", &text_b)] {
        let bytes = text.as_bytes();
        let passed: Vec<usize> = (0..bytes.len())
            .into_par_iter()
            .filter(|at| {
                let mut changed = bytes.to_vec();
                changed[*at] ^= 0x01;
                let changed = String::from_utf8_lossy(&changed).into_owned();
                if which == "A" {
                    all_pass(&changed, &text_b)
                } else {
                    all_pass(&text_a, &changed)
                }
            })
            .collect();
        assert!(
            passed.is_empty(),
            "{which}: {} changed bytes still pass: {:?}",
            passed.len(),
            &passed[..passed.len().min(10)]
        );
    }
}

#[test]
fn a_node_that_rewrites_its_log_without_a_payment_it_recorded_is_caught() {
    let (a, b) = trading();
    let a_id = a.ledger.state.circle_id;
    let dropped = std::cell::Cell::new(false);
    let without = rewritten(&b, |request| match &request.body {
        Body::Arrive(arrival) if arrival.partner == a_id && !dropped.get() => {
            dropped.set(true);
            None
        }
        other => Some(other.clone()),
    });
    let report = link_report(&a.ledger.export_text(), &without);
    assert!(!report.passed());
    assert!(
        report.faults.iter().any(|f| f.contains("does not have")),
        "{:?}",
        report.faults
    );
}

/// The tree heads a partner would have kept of `c`: one at each size from `from` on, signed
/// by `c`'s node key.
fn heads_of(c: &Circle, from: usize) -> Vec<TreeHead> {
    let node_key = node(c);
    let mut frontier = Frontier::default();
    let mut heads = Vec::new();
    for (index, entry) in c.ledger.entries.iter().enumerate() {
        frontier.push(entry.hash());
        if index + 1 >= from {
            let size = frontier.size();
            let root = frontier.root();
            heads.push(TreeHead::sign(
                &node_key,
                c.ledger.state.circle_id,
                size,
                root,
                1,
            ));
        }
    }
    heads
}

/// What checking `held` against A's and B's exports finds.
fn held_report(a_text: &str, b_text: &str, held: &[TreeHead]) -> LinkReport {
    let ((report_a, parsed_a), (report_b, parsed_b)) = (audited(a_text), audited(b_text));
    let mut report = LinkReport::default();
    check_held_heads(
        &Side::new(report_a.state.as_ref().expect("a"), &parsed_a),
        &Side::new(report_b.state.as_ref().expect("b"), &parsed_b),
        held,
        &mut report,
    );
    report
}

#[test]
fn the_heads_a_partner_kept_find_a_history_rewritten_or_cut_short_beyond_the_link() {
    let (a, mut b) = trading();
    let before = b.ledger.export_text();
    // Two payments inside B, which have nothing to do with the link.
    for (payer, payee, amount_minor) in [(0, 1, 25), (1, 0, 10)] {
        let key = SecretKey::from_seed(*b.members[payer].seed());
        let body = Body::Transfer {
            payer: b.members[payer].public_key(),
            payee: b.members[payee].public_key(),
            amount_minor,
            memo_hash: None,
            cause: commons_ledger::entry::Cause::Direct,
        };
        b.ledger.submit(&key, body).expect("pay inside B");
    }
    let held = heads_of(&b, 2);
    let text_a = a.ledger.export_text();
    let clean = held_report(&text_a, &b.ledger.export_text(), &held);
    assert!(clean.passed(), "{:?}", clean.faults);
    assert_eq!(clean.heads_checked, held.len() as u64);
    // B rewrites its log without the first of them (the second, still signed by its payer,
    // moves up): the link alone agrees, the heads A kept do not.
    let without = rewritten(&b, |request| match &request.body {
        Body::Transfer {
            amount_minor: 25, ..
        } => None,
        other => Some(other.clone()),
    });
    assert!(link_report(&a.ledger.export_text(), &without).passed());
    let caught = held_report(&text_a, &without, &held);
    assert!(
        caught
            .faults
            .iter()
            .any(|f| f.contains("history was rewritten")),
        "{:?}",
        caught.faults
    );
    // B's export from before the payment: a head A holds is longer than it.
    let cut = held_report(&text_a, &before, &held);
    assert!(
        cut.faults.iter().any(|f| f.contains("are gone")),
        "{:?}",
        cut.faults
    );
    // A head not signed by B's node key counts for nothing.
    let mut forged = held.clone();
    forged[0].root = Hash([7; 32]);
    let forged = held_report(&text_a, &b.ledger.export_text(), &forged);
    assert!(
        forged.faults.iter().any(|f| f.contains("not signed")),
        "{:?}",
        forged.faults
    );
    // A's heads are checked against A's export; a head of a third circle is a fault.
    assert!(held_report(&text_a, &b.ledger.export_text(), &heads_of(&a, 1)).passed());
    let stranger = heads_of(&circle(1), 1);
    let strange = held_report(&text_a, &b.ledger.export_text(), &stranger);
    assert!(
        strange.faults.iter().any(|f| f.contains("neither A nor B")),
        "{:?}",
        strange.faults
    );
}

#[test]
fn every_changed_byte_of_a_held_heads_file_is_found() {
    let (a, b) = trading();
    let (text_a, text_b) = (a.ledger.export_text(), b.ledger.export_text());
    let held: String = heads_of(&b, 5)
        .iter()
        .map(|head| {
            serde_json::to_string(&commons_ledger::export::TreeHeadLine::from_head(head))
                .expect("json")
                + "\n"
        })
        .collect();
    let passes = |text: &str| {
        let (heads, faults) = parse_held_heads(text);
        faults.is_empty() && held_report(&text_a, &text_b, &heads).passed()
    };
    assert!(passes(&held));
    let bytes = held.as_bytes();
    let passed: Vec<usize> = (0..bytes.len())
        .into_par_iter()
        .filter(|at| {
            let mut changed = bytes.to_vec();
            changed[*at] ^= 0x01;
            passes(&String::from_utf8_lossy(&changed))
        })
        .collect();
    assert!(
        passed.is_empty(),
        "{} changed bytes still pass: {:?}",
        passed.len(),
        &passed[..passed.len().min(10)]
    );
}

#[test]
fn a_node_that_rewrites_an_amount_it_received_is_caught() {
    let (a, b) = trading();
    let changed = rewritten(&b, |request| match &request.body {
        Body::Arrive(arrival) if arrival.amount_minor == 233 => Some(Body::Arrive(Arrival {
            amount_minor: 2330,
            ..arrival.clone()
        })),
        other => Some(other.clone()),
    });
    let report = link_report(&a.ledger.export_text(), &changed);
    assert!(
        report.faults.iter().any(|f| f.contains("differs")),
        "{:?}",
        report.faults
    );
}

#[test]
fn a_payment_recorded_on_one_side_and_released_on_the_other_is_caught() {
    let (mut a, mut b) = trading();
    // A releases a hold although B recorded the payment: the two ledgers disagree.
    let hold = Hold {
        transfer: TransferId::random(),
        source: HoldSource::Member(a.members[0].public_key()),
        partner: b.ledger.state.circle_id,
        amount_minor: 10,
        amount_there_minor: 23,
        destination: b.ledger.state.circle_id,
        payee: b.members[0].public_key(),
        deadline_ms: i64::MAX,
        memo_hash: None,
    };
    let payer = SecretKey::from_seed(*a.members[0].seed());
    let held = a
        .ledger
        .submit(&payer, Body::Hold(hold.clone()))
        .expect("hold")
        .hash();
    let b_node = node(&b);
    let arrival = Body::Arrive(Arrival {
        transfer: hold.transfer,
        partner: a.ledger.state.circle_id,
        remote: held,
        payee: hold.payee,
        amount_minor: 23,
        memo_hash: None,
    });
    b.ledger.submit(&b_node, arrival).expect("arrive");
    let a_node = node(&a);
    a.ledger
        .submit(
            &a_node,
            Body::Settle {
                hold: held,
                settlement: Settlement::Release,
            },
        )
        .expect("released");
    let report = link_report(&a.ledger.export_text(), &b.ledger.export_text());
    assert!(
        report
            .faults
            .iter()
            .any(|f| f.contains("released its hold")),
        "{:?}",
        report.faults
    );
}

/// One step of a random history between two linked circles: a payment either way that the
/// receiving side records or refuses (its limits may refuse it too), settled or left in flight
/// (a fault: the answer was lost), or a payment within a circle.
#[derive(Debug, Clone)]
enum Step {
    Across {
        from_a: bool,
        payer: usize,
        payee: usize,
        amount: i64,
        received: bool,
        settled: bool,
    },
    Within {
        in_a: bool,
        payer: usize,
        amount: i64,
    },
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        (
            any::<bool>(),
            0..2usize,
            0..2usize,
            1..3000i64,
            any::<bool>(),
            prop::bool::weighted(0.8)
        )
            .prop_map(
                |(from_a, payer, payee, amount, received, settled)| Step::Across {
                    from_a,
                    payer,
                    payee,
                    amount,
                    received,
                    settled,
                }
            ),
        (any::<bool>(), 0..2usize, 1..3000i64).prop_map(|(in_a, payer, amount)| Step::Within {
            in_a,
            payer,
            amount,
        }),
    ]
}

/// Plays one step; refusals by either side's rules change nothing, as on a real node.
fn play(a: &mut Circle, b: &mut Circle, step: &Step) {
    match *step {
        Step::Within {
            in_a,
            payer,
            amount,
        } => {
            let c = if in_a { a } else { b };
            let key = SecretKey::from_seed(*c.members[payer].seed());
            let _ = c.ledger.submit(
                &key,
                common::pay(&c.members[payer], &c.members[1 - payer], amount),
            );
        }
        Step::Across {
            from_a,
            payer,
            payee,
            amount,
            received,
            settled,
        } => {
            let (from, to) = if from_a { (a, b) } else { (b, a) };
            let rate = from
                .ledger
                .state
                .link(&to.ledger.state.circle_id)
                .expect("linked")
                .terms
                .rate()
                .expect("rate");
            let Ok(there) = rate.convert(amount) else {
                return;
            };
            let hold = Hold {
                transfer: TransferId::random(),
                source: HoldSource::Member(from.members[payer].public_key()),
                partner: to.ledger.state.circle_id,
                amount_minor: amount,
                amount_there_minor: there,
                destination: to.ledger.state.circle_id,
                payee: to.members[payee].public_key(),
                deadline_ms: i64::MAX,
                memo_hash: None,
            };
            let key = SecretKey::from_seed(*from.members[payer].seed());
            let Ok(entry) = from.ledger.submit(&key, Body::Hold(hold.clone())) else {
                return;
            };
            let held = entry.hash();
            let arrived = if received {
                let to_node = node(to);
                let arrival = Body::Arrive(Arrival {
                    transfer: hold.transfer,
                    partner: from.ledger.state.circle_id,
                    remote: held,
                    payee: hold.payee,
                    amount_minor: there,
                    memo_hash: None,
                });
                to.ledger.submit(&to_node, arrival).ok().map(|e| e.hash())
            } else {
                None
            };
            if !settled {
                return;
            }
            let settlement = match arrived {
                Some(remote) => Settlement::Commit { remote },
                None => Settlement::Release,
            };
            let from_node = node(from);
            from.ledger
                .submit(
                    &from_node,
                    Body::Settle {
                        hold: held,
                        settlement,
                    },
                )
                .expect("a pending hold settles");
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    #[test]
    fn random_payments_across_and_lost_answers_conserve_value_at_the_agreed_rate(
        steps in proptest::collection::vec(step(), 1..40)
    ) {
        let (mut a, mut b) = (circle(2), circle(2));
        link(&mut a, &b, 3, 7);
        link(&mut b, &a, 7, 3);
        for step in &steps {
            play(&mut a, &mut b, step);
        }
        // Each circle's books balance, and no account passed its limits.
        for c in [&a, &b] {
            proptest::prop_assert_eq!(c.ledger.state.balance_sum(), 0);
            for account in c.ledger.state.accounts.values() {
                proptest::prop_assert!(account.floor_minor <= account.balance_minor && account.balance_minor <= account.ceiling_minor);
            }
        }
        // What A's connector records of trade with B is what B's arrivals and holds record, at
        // the rate: every committed payment on both sides, and the link audit agrees.
        let report = link_report(&a.ledger.export_text(), &b.ledger.export_text());
        proptest::prop_assert!(report.passed(), "{:?}", report.faults);
        let committed_into = |from: &Circle, to: &Circle| -> i64 {
            // Sum, in `to`'s unit, of payments `from` committed toward `to`.
            from.ledger.entries.iter().filter_map(|e| match &e.signed.record.body {
                Body::Hold(h) if h.partner == to.ledger.state.circle_id => {
                    match from.ledger.state.hold(&e.hash()).map(|r| r.state) {
                        Some(commons_ledger::state::HoldState::Committed { .. }) => Some(h.amount_there_minor),
                        _ => None,
                    }
                }
                _ => None,
            }).sum()
        };
        let arrived_from = |to: &Circle, from: &Circle| -> i64 {
            to.ledger.entries.iter().filter_map(|e| match &e.signed.record.body {
                Body::Arrive(x) if x.partner == from.ledger.state.circle_id => Some(x.amount_minor),
                _ => None,
            }).sum()
        };
        let pending = |from: &Circle| from.ledger.state.pending_holds().len();
        // Arrivals for holds still pending count on the receiving side only until they settle.
        if pending(&a) == 0 {
            proptest::prop_assert_eq!(committed_into(&a, &b), arrived_from(&b, &a));
        }
        if pending(&b) == 0 {
            proptest::prop_assert_eq!(committed_into(&b, &a), arrived_from(&a, &b));
        }
    }
}
