//! Properties of the counts and the recount: order never matters, an export recounts to what
//! was recorded, and any change to a signed ballot is caught.

use commons_governance::ballot::{Ballot, Choice, SignedBallot};
use commons_governance::export;
use commons_governance::policy::Policy;
use commons_governance::proposal::{body_hash, Definition, Method};
use commons_governance::ranked::{Candidate, Lot, RankedBallot};
use commons_governance::tally::recount;
use commons_governance::{cardinal, irv, schulze, stv};
use commons_ledger::keys::{Hash, PublicKey, SecretKey};
use proptest::prelude::*;

const OPTIONS: usize = 5;

fn ranking() -> impl Strategy<Value = Vec<Candidate>> {
    Just((0..OPTIONS as Candidate).collect::<Vec<_>>())
        .prop_shuffle()
        .prop_flat_map(|order| (1..=OPTIONS).prop_map(move |len| order[..len].to_vec()))
}

fn ballots() -> impl Strategy<Value = Vec<RankedBallot>> {
    prop::collection::vec((1u64..4, ranking()), 0..40).prop_map(|list| {
        list.into_iter()
            .map(|(weight, order)| RankedBallot {
                weight,
                ..RankedBallot::ranking(&order)
            })
            .collect()
    })
}

fn lot() -> Lot {
    Lot {
        seed: Hash([42; 32]),
    }
}

proptest! {
    #[test]
    fn ranked_counts_never_depend_on_ballot_order(
        (original, shuffled) in ballots().prop_flat_map(|b| (Just(b.clone()), Just(b).prop_shuffle()))
    ) {
        prop_assert_eq!(irv::count(OPTIONS, &original, &lot()), irv::count(OPTIONS, &shuffled, &lot()));
        prop_assert_eq!(schulze::count(OPTIONS, &original, &lot()), schulze::count(OPTIONS, &shuffled, &lot()));
        prop_assert_eq!(stv::count(OPTIONS, 2, &original, &lot()), stv::count(OPTIONS, 2, &shuffled, &lot()));
    }

    #[test]
    fn approval_and_score_never_depend_on_ballot_order(
        (original, shuffled) in prop::collection::vec(prop::collection::vec(0u8..=5, OPTIONS), 0..30)
            .prop_flat_map(|b| (Just(b.clone()), Just(b).prop_shuffle()))
    ) {
        let as_score = |list: &Vec<Vec<u8>>| cardinal::score(OPTIONS, list.iter().map(|s| (s.as_slice(), 1)), &lot());
        prop_assert_eq!(as_score(&original), as_score(&shuffled));
        let approved = |list: &Vec<Vec<u8>>| -> Vec<Vec<Candidate>> {
            list.iter().map(|s| (0..OPTIONS as Candidate).filter(|o| s[usize::from(*o)] >= 3).collect()).collect()
        };
        let (a, b) = (approved(&original), approved(&shuffled));
        prop_assert_eq!(
            cardinal::approval(OPTIONS, a.iter().map(|x| (x.as_slice(), 1)), &lot()),
            cardinal::approval(OPTIONS, b.iter().map(|x| (x.as_slice(), 1)), &lot())
        );
    }
}

struct Vote {
    definition: Definition,
    ballots: Vec<SignedBallot>,
}

fn signed_vote(method: Method, choices: &[Choice]) -> Vote {
    let keys: Vec<SecretKey> = choices.iter().map(|_| SecretKey::generate()).collect();
    let mut electorate: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
    electorate.sort_unstable();
    let definition = Definition {
        circle_id: Hash([3; 32]),
        proposal_id: 4,
        round: 1,
        title: "Elect two stewards".into(),
        body_hash: body_hash(""),
        author: keys[0].public_key(),
        method,
        options: (0..OPTIONS).map(|i| format!("Member {i}")).collect(),
        quorum_percent: 0,
        threshold_percent: 50,
        opens_at_ms: 0,
        closes_at_ms: 10_000,
        electorate,
        delegation: false,
        hide_results: false,
        actions: vec![],
        policy_hash: Policy::default().hash(),
        discussed_since_ms: 0,
    };
    let ballots = keys
        .iter()
        .zip(choices)
        .enumerate()
        .map(|(i, (key, choice))| {
            Ballot::new(
                &definition,
                key.public_key(),
                100 + i as i64,
                choice.clone(),
            )
            .sign(key)
        })
        .collect();
    Vote {
        definition,
        ballots,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_recount_never_depends_on_order_and_an_export_recounts_to_the_record(
        (orders, permutation) in prop::collection::vec(ranking(), 1..12)
            .prop_flat_map(|orders| {
                let n = orders.len();
                (Just(orders), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
            })
    ) {
        let choices: Vec<Choice> = orders.into_iter().map(Choice::Ranked).collect();
        let vote = signed_vote(Method::Stv { seats: 2 }, &choices);
        let first = recount(&vote.definition, &vote.ballots, &[]);
        prop_assert!(first.problems.is_empty());
        let shuffled: Vec<SignedBallot> = permutation.iter().map(|i| vote.ballots[*i].clone()).collect();
        let second = recount(&vote.definition, &shuffled, &[]);
        prop_assert_eq!(first.decision(), second.decision());
        prop_assert_eq!(&first.count, &second.count);

        let text = export::write(
            &vote.definition,
            &Policy::default(),
            &shuffled, &[], Some(&first.decision()));
        let parsed = export::parse(&text).expect("our export parses");
        let ballots: Vec<SignedBallot> = parsed.ballots.into_iter().map(|b| b.expect("readable")).collect();
        let again = recount(&parsed.definition, &ballots, &[]);
        prop_assert_eq!(Some(again.decision()), parsed.decision);
    }

    #[test]
    fn any_flipped_bit_of_a_signed_ballot_is_named(
        which in 0usize..3,
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
        in_signature in any::<bool>(),
    ) {
        let vote = signed_vote(Method::Approval, &[
            Choice::Approval(vec![0, 1]),
            Choice::Approval(vec![2]),
            Choice::Approval(vec![]),
        ]);
        let mut ballots = vote.ballots.clone();
        let target = &mut ballots[which];
        let mut bytes = target.bytes.clone();
        let mut signature = target.signature;
        if in_signature {
            signature.0[position.index(64)] ^= 1 << bit;
        } else {
            let index = position.index(bytes.len());
            bytes[index] ^= 1 << bit;
        }
        match SignedBallot::from_parts(bytes, signature) {
            Err(_) => {} // it no longer decodes: the export reader names it
            Ok(changed) => {
                ballots[which] = changed;
                let result = recount(&vote.definition, &ballots, &[]);
                prop_assert_eq!(result.problems.len(), 1, "{:?}", result.problems);
                prop_assert_eq!(result.problems[0].index, which);
            }
        }
    }
}
