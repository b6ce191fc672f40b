//! The ledger rules on hand-made cases: every refusal is named, explained, and changes nothing.

mod common;

use common::{circle, pay};
use commons_ledger::entry::{memo_hash, Body, Cause};
use commons_ledger::export::Memo;
use commons_ledger::keys::{Nonce, SecretKey};
use commons_ledger::state::Refusal;

#[test]
fn insufficient_credit_names_the_numbers_and_writes_nothing() {
    let mut c = circle(2);
    c.ledger
        .submit(&c.members[0], pay(&c.members[0], &c.members[1], 1850))
        .expect("within limits");
    let before = c.ledger.entries.len();
    let refusal = c
        .ledger
        .submit(&c.members[0], pay(&c.members[0], &c.members[1], 200))
        .expect_err("beyond floor");
    assert!(matches!(refusal, Refusal::InsufficientCredit { .. }));
    assert_eq!(
        refusal.to_string(),
        "Not enough credit: your balance is -18.50 hours, your floor is -20.00 hours, so you can pay at most 1.50 hours."
    );
    assert_eq!(c.ledger.entries.len(), before);
    assert_eq!(
        c.ledger.state.accounts[&c.members[0].public_key()].balance_minor,
        -1850
    );
    c.ledger
        .submit(&c.members[0], pay(&c.members[0], &c.members[1], 150))
        .expect("exactly to the floor");
}

#[test]
fn ceiling_is_enforced() {
    let mut c = circle(4);
    let [a, b, d, rich] = [&c.members[0], &c.members[1], &c.members[2], &c.members[3]];
    for payer in [a, b] {
        c.ledger.submit(payer, pay(payer, rich, 2000)).expect("ok");
    }
    let refusal = c
        .ledger
        .submit(d, pay(d, rich, 1500))
        .expect_err("over ceiling");
    assert!(
        matches!(refusal, Refusal::CeilingExceeded { .. }),
        "{refusal}"
    );
    assert!(
        refusal.to_string().contains("at most 10.00 hours"),
        "{refusal}"
    );
}

#[test]
fn basic_refusals() {
    let mut c = circle(2);
    let (a, b) = (&c.members[0], &c.members[1]);
    let stranger = SecretKey::generate();
    assert_eq!(
        c.ledger.submit(a, pay(a, a, 1)).expect_err("self"),
        Refusal::PayerIsPayee
    );
    assert!(matches!(
        c.ledger.submit(a, pay(a, b, 0)).expect_err("zero"),
        Refusal::AmountOutOfRange { .. }
    ));
    assert!(matches!(
        c.ledger.submit(a, pay(a, b, -5)).expect_err("negative"),
        Refusal::AmountOutOfRange { .. }
    ));
    assert!(matches!(
        c.ledger
            .submit(&stranger, pay(&stranger, a, 1))
            .expect_err("stranger"),
        Refusal::NotAMember(_)
    ));
    assert!(matches!(
        c.ledger
            .submit(a, pay(a, &stranger, 1))
            .expect_err("to stranger"),
        Refusal::NotAMember(_)
    ));
    // Someone else signing for the payer.
    assert!(matches!(
        c.ledger.submit(b, pay(a, b, 1)).expect_err("not payer"),
        Refusal::NotAuthorised { .. }
    ));
    // Only stewards open accounts and change limits.
    let open = Body::OpenAccount {
        account: stranger.public_key(),
        floor_minor: -1,
        ceiling_minor: 1,
    };
    assert!(matches!(
        c.ledger.submit(a, open).expect_err("member opens"),
        Refusal::NotAuthorised { .. }
    ));
    // A forged signature.
    let mut signed = c.ledger.sign(a, pay(a, b, 1));
    signed.signature.0[5] ^= 1;
    assert_eq!(
        c.ledger.append(signed, None).expect_err("forged"),
        Refusal::BadSignature
    );
    // The same signed request twice.
    let signed = c.ledger.sign(a, pay(a, b, 1));
    let seq = c.ledger.append(signed.clone(), None).expect("first").seq;
    assert_eq!(
        c.ledger.append(signed, None).expect_err("replay"),
        Refusal::NonceReused { seq }
    );
    // A request for another circle.
    let other = circle(1);
    let foreign = other.ledger.sign(a, pay(a, b, 1));
    assert!(matches!(
        c.ledger.append(foreign, None).expect_err("other circle"),
        Refusal::WrongCircle { .. }
    ));
}

#[test]
fn limits_requests_reversals_rotation_and_closing() {
    let mut c = circle(3);
    let (a, b, d) = (&c.members[0], &c.members[1], &c.members[2]);
    let steward = &c.steward;
    c.ledger.submit(a, pay(a, b, 1000)).expect("pay");
    // Limits that would exclude the balance are refused; wider ones are fine.
    let narrow = Body::SetLimits {
        account: a.public_key(),
        floor_minor: -500,
        ceiling_minor: 100,
    };
    assert!(matches!(
        c.ledger.submit(steward, narrow).expect_err("narrow"),
        Refusal::LimitsExcludeBalance { .. }
    ));
    let wide = Body::SetLimits {
        account: a.public_key(),
        floor_minor: -4000,
        ceiling_minor: 100,
    };
    c.ledger.submit(steward, wide).expect("wide");
    let inverted = Body::SetLimits {
        account: a.public_key(),
        floor_minor: 5,
        ceiling_minor: 100,
    };
    assert!(matches!(
        c.ledger
            .submit(steward, inverted)
            .expect_err("positive floor"),
        Refusal::InvalidLimits { .. }
    ));

    // A payment request, accepted by the payer.
    let salt = [3u8; 16];
    let request = Body::RequestPayment {
        payer: d.public_key(),
        payee: b.public_key(),
        amount_minor: 300,
        memo_hash: Some(memo_hash(&salt, "soup")),
    };
    let signed = c.ledger.sign(b, request);
    let request_hash = c
        .ledger
        .append(
            signed,
            Some(Memo {
                salt,
                text: "soup".into(),
            }),
        )
        .expect("request")
        .hash();
    assert!(c.ledger.state.open_requests.contains_key(&request_hash));
    let wrong = Body::Transfer {
        payer: d.public_key(),
        payee: b.public_key(),
        amount_minor: 299,
        memo_hash: None,
        cause: Cause::AcceptsRequest(request_hash),
    };
    assert!(matches!(
        c.ledger.submit(d, wrong).expect_err("wrong amount"),
        Refusal::RequestMismatch { .. }
    ));
    let accept = Body::Transfer {
        payer: d.public_key(),
        payee: b.public_key(),
        amount_minor: 300,
        memo_hash: None,
        cause: Cause::AcceptsRequest(request_hash),
    };
    c.ledger.submit(d, accept.clone()).expect("accept");
    assert!(matches!(
        c.ledger.submit(d, accept).expect_err("twice"),
        Refusal::UnknownRequest(_)
    ));

    // A declined request.
    let request = Body::RequestPayment {
        payer: a.public_key(),
        payee: d.public_key(),
        amount_minor: 5,
        memo_hash: None,
    };
    let hash = c.ledger.submit(d, request).expect("request").hash();
    c.ledger
        .submit(a, Body::CloseRequest { request: hash })
        .expect("decline");
    assert!(!c.ledger.state.open_requests.contains_key(&hash));

    // A reversal: b sends the 10.00 back; it cannot happen twice, nor be reversed itself.
    let original = c.ledger.entries[4].hash();
    let reversal = Body::Transfer {
        payer: b.public_key(),
        payee: a.public_key(),
        amount_minor: 1000,
        memo_hash: None,
        cause: Cause::Reverses(original),
    };
    let reversal_hash = c
        .ledger
        .submit(b, reversal.clone())
        .expect("reverse")
        .hash();
    assert!(matches!(
        c.ledger.submit(b, reversal).expect_err("again"),
        Refusal::AlreadyReversed(_)
    ));
    let undo = Body::Transfer {
        payer: a.public_key(),
        payee: b.public_key(),
        amount_minor: 1000,
        memo_hash: None,
        cause: Cause::Reverses(reversal_hash),
    };
    assert!(matches!(
        c.ledger.submit(a, undo).expect_err("reverse a reversal"),
        Refusal::NotReversible(_)
    ));
    assert_eq!(c.ledger.state.accounts[&a.public_key()].balance_minor, 0);

    // Rotating a lost key by a steward: the balance moves to the new key, the old one is dead.
    let to_b = c
        .ledger
        .submit(d, pay(d, b, 40))
        .expect("pay b before the rotation")
        .hash();
    let new_b = SecretKey::generate();
    let balance_b = c.ledger.state.accounts[&b.public_key()].balance_minor;
    c.ledger
        .submit(
            steward,
            Body::RotateKey {
                old: b.public_key(),
                new: new_b.public_key(),
            },
        )
        .expect("rotate");
    assert_eq!(
        c.ledger.state.accounts[&new_b.public_key()].balance_minor,
        balance_b
    );
    assert!(matches!(
        c.ledger.submit(b, pay(b, a, 1)).expect_err("old key"),
        Refusal::NotAMember(_)
    ));
    c.ledger
        .submit(&new_b, pay(&new_b, a, 1))
        .expect("new key pays");
    // A transfer to b's old key can still be reversed by b's new key.
    let back = Body::Transfer {
        payer: new_b.public_key(),
        payee: d.public_key(),
        amount_minor: 40,
        memo_hash: None,
        cause: Cause::Reverses(to_b),
    };
    c.ledger
        .submit(&new_b, back)
        .expect("reverse across a rotation");

    // Closing needs a zero balance.
    assert!(matches!(
        c.ledger
            .submit(
                a,
                Body::CloseAccount {
                    account: a.public_key()
                }
            )
            .expect_err("non-zero"),
        Refusal::BalanceNotZero(_)
    ));
    c.ledger.submit(a, pay(a, &new_b, 1)).expect("settle");
    c.ledger
        .submit(
            a,
            Body::CloseAccount {
                account: a.public_key(),
            },
        )
        .expect("close");
    assert_eq!(c.ledger.state.balance_sum(), 0);
}

#[test]
fn stewards_can_be_added_but_never_all_removed() {
    let mut c = circle(1);
    let steward = c.steward.public_key();
    assert_eq!(
        c.ledger
            .submit(&c.steward, Body::RemoveSteward { key: steward })
            .expect_err("last"),
        Refusal::LastSteward
    );
    let second = SecretKey::generate();
    c.ledger
        .submit(
            &c.steward,
            Body::AddSteward {
                key: second.public_key(),
            },
        )
        .expect("add");
    c.ledger
        .submit(&second, Body::RemoveSteward { key: steward })
        .expect("remove first");
    assert!(!c.ledger.state.is_steward(&steward));
    let _ = Nonce::random();
}

#[test]
fn weak_keys_cannot_enter_a_circle() {
    let mut c = circle(1);
    // The identity point: anyone can forge signatures that verify under it with ZIP-215 rules.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = commons_ledger::keys::PublicKey::from_raw(identity);
    let open = Body::OpenAccount {
        account: weak,
        floor_minor: -1,
        ceiling_minor: 1,
    };
    assert!(matches!(
        c.ledger.submit(&c.steward, open).expect_err("weak"),
        Refusal::BadKey { .. }
    ));
    let steward = Body::AddSteward { key: weak };
    assert!(matches!(
        c.ledger.submit(&c.steward, steward).expect_err("weak"),
        Refusal::BadKey { .. }
    ));
    let rotate = Body::RotateKey {
        old: c.members[0].public_key(),
        new: weak,
    };
    assert!(matches!(
        c.ledger.submit(&c.members[0], rotate).expect_err("weak"),
        Refusal::BadKey { .. }
    ));
}

#[test]
fn no_account_moves_onto_a_steward_key_on_any_path() {
    // The web grants the steward role by key: an account moved onto a steward's key would be
    // that steward. The rule is the ledger's, so the API and the command line refuse it too.
    let mut c = circle(2);
    let steward_key = c.steward.public_key();
    let by_member = Body::RotateKey {
        old: c.members[0].public_key(),
        new: steward_key,
    };
    assert!(matches!(
        c.ledger
            .submit(&c.members[0], by_member)
            .expect_err("refused"),
        Refusal::RotateOntoSteward(_)
    ));
    let by_steward = Body::RotateKey {
        old: c.members[1].public_key(),
        new: steward_key,
    };
    assert!(matches!(
        c.ledger
            .submit(&c.steward, by_steward)
            .expect_err("refused"),
        Refusal::RotateOntoSteward(_)
    ));
    // Onto a fresh key of the member's own, it moves.
    let own = SecretKey::generate();
    c.ledger
        .submit(
            &c.members[0],
            Body::RotateKey {
                old: c.members[0].public_key(),
                new: own.public_key(),
            },
        )
        .expect("rotated");
}

mod enactments {
    use super::common::{circle, pay};
    use commons_ledger::audit::{audit, AuditInput};
    use commons_ledger::entry::{Action, Body, DOCUMENT_POLICY};
    use commons_ledger::export::parse_export;
    use commons_ledger::keys::{Hash, SecretKey};
    use commons_ledger::state::{AccountStatus, Refusal};

    fn enact(actions: Vec<Action>) -> Body {
        Body::Enact {
            proposal: Hash::sha256(&[format!("{actions:?}").as_bytes()]),
            board_root: Hash([2; 32]),
            actions,
        }
    }

    #[test]
    fn only_the_node_key_enacts_and_each_proposal_once() {
        let mut c = circle(2);
        let node = SecretKey::from_seed(*c.ledger.node_key.seed());
        let body = enact(vec![Action::SetDefaultLimits {
            floor_minor: -5000,
            ceiling_minor: 8000,
        }]);
        let refusal = c
            .ledger
            .submit(&c.steward, body.clone())
            .expect_err("a steward cannot enact");
        assert!(
            matches!(refusal, Refusal::NotAuthorised { .. }),
            "{refusal}"
        );
        c.ledger
            .submit(&node, body.clone())
            .expect("the node enacts");
        let refusal = c.ledger.submit(&node, body).expect_err("twice");
        assert!(
            matches!(refusal, Refusal::AlreadyEnacted { .. }),
            "{refusal}"
        );
        let refusal = c.ledger.submit(&node, enact(vec![])).expect_err("empty");
        assert_eq!(refusal, Refusal::ActionCount(0));
    }

    #[test]
    fn new_default_limits_reach_accounts_on_the_old_defaults_and_new_members() {
        let mut c = circle(3);
        let node = SecretKey::from_seed(*c.ledger.node_key.seed());
        let [a, b, own] = [&c.members[0], &c.members[1], &c.members[2]];
        c.ledger.submit(a, pay(a, b, 1500)).expect("pay");
        c.ledger
            .submit(
                &c.steward,
                Body::SetLimits {
                    account: own.public_key(),
                    floor_minor: -100,
                    ceiling_minor: 100,
                },
            )
            .expect("own limits");
        let newcomer = SecretKey::generate();
        // A tighter floor than a's balance: a keeps the balance as floor, never outside.
        c.ledger
            .submit(
                &node,
                enact(vec![
                    Action::SetDefaultLimits {
                        floor_minor: -1000,
                        ceiling_minor: 6000,
                    },
                    Action::Admit {
                        account: newcomer.public_key(),
                    },
                ]),
            )
            .expect("enacted");
        let state = &c.ledger.state;
        let account = |k: &SecretKey| state.accounts[&k.public_key()].clone();
        assert_eq!(
            (account(a).floor_minor, account(a).ceiling_minor),
            (-1500, 6000)
        );
        assert_eq!(
            (account(b).floor_minor, account(b).ceiling_minor),
            (-1000, 6000)
        );
        assert_eq!(
            (account(own).floor_minor, account(own).ceiling_minor),
            (-100, 100)
        );
        assert_eq!(
            (
                account(&newcomer).floor_minor,
                account(&newcomer).ceiling_minor
            ),
            (-1000, 6000)
        );
        state.assert_invariants(state.accounts.keys());
    }

    #[test]
    fn enactments_are_all_or_nothing_and_removed_members_cannot_trade() {
        let mut c = circle(2);
        let node = SecretKey::from_seed(*c.ledger.node_key.seed());
        let [a, b] = [&c.members[0], &c.members[1]];
        let before = c.ledger.state.stewards.clone();
        let refusal = c
            .ledger
            .submit(
                &node,
                enact(vec![
                    Action::AddSteward {
                        key: a.public_key(),
                    },
                    Action::RemoveSteward {
                        key: b.public_key(),
                    },
                ]),
            )
            .expect_err("b is no steward");
        assert!(matches!(refusal, Refusal::NotASteward(_)), "{refusal}");
        assert_eq!(c.ledger.state.stewards, before, "nothing applied");
        c.ledger
            .submit(
                &node,
                enact(vec![
                    Action::Remove {
                        account: b.public_key(),
                    },
                    Action::SetDocument {
                        document: DOCUMENT_POLICY,
                        hash: Hash([3; 32]),
                    },
                ]),
            )
            .expect("removed");
        assert_eq!(
            c.ledger.state.accounts[&b.public_key()].status,
            AccountStatus::Removed
        );
        assert_eq!(c.ledger.state.documents[&DOCUMENT_POLICY], Hash([3; 32]));
        let refusal = c.ledger.submit(a, pay(a, b, 100)).expect_err("removed");
        assert!(matches!(refusal, Refusal::NotAMember(_)), "{refusal}");
        // A removed member's key is no steward any more.
        let steward_key = c.steward.public_key();
        c.ledger
            .submit(
                &node,
                enact(vec![Action::AddSteward {
                    key: a.public_key(),
                }]),
            )
            .expect("a steward");
        c.ledger
            .submit(
                &node,
                enact(vec![Action::Remove {
                    account: a.public_key(),
                }]),
            )
            .expect("removed");
        assert!(!c.ledger.state.is_steward(&a.public_key()));
        assert!(c.ledger.state.is_steward(&steward_key));
        let refusal = c
            .ledger
            .submit(
                &node,
                enact(vec![Action::SetDocument {
                    document: 9,
                    hash: Hash([3; 32]),
                }]),
            )
            .expect_err("no such document");
        assert_eq!(refusal, Refusal::UnknownDocument(9));
        // The auditor replays enactments with the same rules.
        let input: AuditInput = parse_export(&c.ledger.export_text()).into_audit_input(None);
        let report = audit(input, &|_| {});
        assert!(report.passed(), "{:?}", report.faults);
    }
}

mod appointments {
    use super::common::circle;
    use commons_ledger::audit::audit;
    use commons_ledger::authority::Authority;
    use commons_ledger::entry::{Action, Body};
    use commons_ledger::export::parse_export;
    use commons_ledger::keys::{Hash, SecretKey};
    use commons_ledger::state::Refusal;
    use proptest::prelude::*;

    /// An enactment of a proposal never enacted before (each call names a new one).
    fn enact(actions: Vec<Action>) -> Body {
        static PROPOSALS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let number = PROPOSALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Body::Enact {
            proposal: Hash::sha256(&[&number.to_le_bytes()]),
            board_root: Hash([2; 32]),
            actions,
        }
    }

    fn appoint(key: &SecretKey) -> Body {
        enact(vec![Action::AppointModerator {
            account: key.public_key(),
        }])
    }

    /// Who holds power as the stores read it (following accepted entries only), next to what
    /// the checked state says.
    fn followed(c: &super::common::Circle) -> Authority {
        let mut authority = Authority::default();
        for entry in &c.ledger.entries {
            authority.follow(&entry.signed.record.body);
        }
        authority
    }

    #[test]
    fn only_a_member_is_appointed_to_moderate_and_only_once() {
        let mut c = circle(2);
        let node = SecretKey::from_seed(*c.ledger.node_key.seed());
        let stranger = SecretKey::generate();
        let refusal = c
            .ledger
            .submit(&node, appoint(&stranger))
            .expect_err("a stranger");
        assert!(matches!(refusal, Refusal::NotAMember(_)), "{refusal}");
        let refusal = c
            .ledger
            .submit(&c.steward, appoint(&c.members[0]))
            .expect_err("a steward alone appoints nobody");
        assert!(
            matches!(refusal, Refusal::NotAuthorised { .. }),
            "{refusal}"
        );
        c.ledger
            .submit(&node, appoint(&c.members[0]))
            .expect("appointed");
        let member = c.members[0].public_key();
        assert!(c.ledger.state.may_moderate(&member));
        assert!(!c.ledger.state.is_steward(&member), "no steward for it");
        let refusal = c
            .ledger
            .submit(&node, appoint(&c.members[0]))
            .expect_err("twice");
        assert_eq!(refusal, Refusal::AlreadyModerator(member.short()));
        assert_eq!(
            refusal.to_string(),
            format!("{} already moderates this circle.", member.short())
        );
        let end = |key: &SecretKey| {
            enact(vec![Action::EndModerator {
                account: key.public_key(),
            }])
        };
        let refusal = c
            .ledger
            .submit(&node, end(&c.members[1]))
            .expect_err("never appointed");
        assert!(matches!(refusal, Refusal::NotAModerator(_)), "{refusal}");
        c.ledger.submit(&node, end(&c.members[0])).expect("ended");
        assert!(!c.ledger.state.may_moderate(&member));
        assert_eq!(followed(&c), Authority::of(&c.ledger.state));
    }

    #[test]
    fn an_appointment_follows_the_account_to_a_new_key_and_ends_when_the_member_goes() {
        let mut c = circle(3);
        let node = SecretKey::from_seed(*c.ledger.node_key.seed());
        let [a, b, d] = [&c.members[0], &c.members[1], &c.members[2]];
        for member in [a, b, d] {
            c.ledger.submit(&node, appoint(member)).expect("appointed");
        }
        let appointed_at_ms = c.ledger.entries.last().expect("entries").recorded_at_ms;
        let own = SecretKey::generate();
        c.ledger
            .submit(
                a,
                Body::RotateKey {
                    old: a.public_key(),
                    new: own.public_key(),
                },
            )
            .expect("rotated");
        assert!(c.ledger.state.may_moderate(&own.public_key()));
        assert!(!c.ledger.state.may_moderate(&a.public_key()));
        c.ledger
            .submit(
                &node,
                enact(vec![Action::Remove {
                    account: b.public_key(),
                }]),
            )
            .expect("removed");
        assert!(!c.ledger.state.may_moderate(&b.public_key()));
        c.ledger
            .submit(
                d,
                Body::CloseAccount {
                    account: d.public_key(),
                },
            )
            .expect("left at zero");
        assert!(!c.ledger.state.may_moderate(&d.public_key()));
        assert_eq!(followed(&c), Authority::of(&c.ledger.state));
        // The auditor replays the same rules and knows who moderated when.
        let report = audit(
            parse_export(&c.ledger.export_text()).into_audit_input(None),
            &|_| {},
        );
        assert!(report.passed(), "{:?}", report.faults);
        let timeline = &report.authority;
        assert!(!timeline.may_moderate(&b.public_key(), appointed_at_ms - 3));
        assert!(timeline.may_moderate(&b.public_key(), appointed_at_ms));
        assert!(timeline.may_moderate(&a.public_key(), appointed_at_ms));
        assert!(!timeline.may_moderate(&a.public_key(), i64::MAX));
        assert!(timeline.may_moderate(&own.public_key(), i64::MAX));
        assert!(!timeline.may_moderate(&d.public_key(), i64::MAX));
        assert!(timeline.may_moderate(&c.steward.public_key(), i64::MAX));
        // The vote to end a's appointment froze a's first key; a moved to another key since:
        // the decision still ends it (a key change cannot escape a decision).
        let end_by_first_key = enact(vec![Action::EndModerator {
            account: a.public_key(),
        }]);
        c.ledger
            .submit(&node, end_by_first_key)
            .expect("ended through the rotation");
        assert!(!c.ledger.state.may_moderate(&own.public_key()));
        assert_eq!(followed(&c), Authority::of(&c.ledger.state));
    }

    /// One step of a random history: which action, on which member.
    #[derive(Debug, Clone)]
    enum Step {
        Appoint(usize),
        End(usize),
        /// Ends an appointment by the key the member had at first (a vote frozen before a
        /// rotation).
        EndFirst(usize),
        Remove(usize),
        Close(usize),
        Rotate(usize),
        AddSteward(usize),
        RemoveSteward(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        let member = 0..4usize;
        prop_oneof![
            member.clone().prop_map(Step::Appoint),
            member.clone().prop_map(Step::End),
            member.clone().prop_map(Step::EndFirst),
            member.clone().prop_map(Step::Remove),
            member.clone().prop_map(Step::Close),
            member.clone().prop_map(Step::Rotate),
            member.clone().prop_map(Step::AddSteward),
            member.prop_map(Step::RemoveSteward),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The stores read who holds power by following accepted entries; the ledger's state
        /// decides it with every check. Whatever happens, refused or not, they agree.
        #[test]
        fn the_stores_reading_of_who_holds_power_agrees_with_the_ledger(steps in proptest::collection::vec(step(), 1..24)) {
            let mut c = circle(4);
            let node = SecretKey::from_seed(*c.ledger.node_key.seed());
            let mut keys: Vec<SecretKey> = c.members.iter().map(|k| SecretKey::from_seed(*k.seed())).collect();
            for step in steps {
                let key = |i: usize| keys[i].public_key();
                let (author, body) = match step {
                    Step::Appoint(i) => (&node, enact(vec![Action::AppointModerator { account: key(i) }])),
                    Step::End(i) => (&node, enact(vec![Action::EndModerator { account: key(i) }])),
                    Step::EndFirst(i) => (&node, enact(vec![Action::EndModerator { account: c.members[i].public_key() }])),
                    Step::Remove(i) => (&node, enact(vec![Action::Remove { account: key(i) }])),
                    Step::Close(i) => (&keys[i], Body::CloseAccount { account: key(i) }),
                    Step::AddSteward(i) => (&node, enact(vec![Action::AddSteward { key: key(i) }])),
                    Step::RemoveSteward(i) => (&node, enact(vec![Action::RemoveSteward { key: key(i) }])),
                    Step::Rotate(i) => {
                        let new = SecretKey::generate();
                        let body = Body::RotateKey { old: key(i), new: new.public_key() };
                        if c.ledger.submit(&keys[i], body).is_ok() {
                            keys[i] = new;
                        }
                        continue;
                    }
                };
                let _ = c.ledger.submit(author, body);
                prop_assert_eq!(followed(&c), Authority::of(&c.ledger.state));
            }
        }
    }
}
