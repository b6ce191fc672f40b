//! Real ranked-choice elections (fixtures/elections, with their README): our instant-runoff
//! count must give every official winner, and Schulze must find Burlington 2009's Condorcet
//! winner where IRV did not.

use std::path::PathBuf;

use commons_governance::blt::{self, Election};
use commons_governance::{irv, schulze};

fn election(file: &str) -> Election {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/elections")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    blt::parse(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn irv_winner(election: &Election) -> (String, usize) {
    let count = irv::count(
        election.candidates.len(),
        &election.counted_ballots(),
        &election.lot(),
    );
    let winner = count.winner.expect("a winner");
    (
        election.candidates[usize::from(winner)].clone(),
        count.rounds.len(),
    )
}

#[test]
fn every_official_irv_winner_is_reproduced() {
    for (file, ballots, winner) in [
        ("2006-Burlington-Mayor.blt", 9_865, "Bob Kiss"),
        ("2009-Burlington-Mayor.blt", 8_984, "Bob Kiss"),
        ("2009-Aspen-Mayor.blt", 2_544, "Michael C. 'Mick' Ireland"),
        ("2010-Oakland-Mayor.blt", 122_268, "JEAN QUAN"),
        ("2010-San_Leandro-Mayor.blt", 23_494, "STEPHEN H. CASSIDY"),
        (
            "2010-San_Francisco-Board_of_Supervisors-D10.blt",
            20_550,
            "MALIA COHEN",
        ),
        ("2011-San_Francisco-Mayor.blt", 197_242, "ED LEE"),
    ] {
        let election = election(file);
        let cast: u64 = election.ballots.iter().map(|b| b.weight).sum();
        assert_eq!(cast, ballots, "{file}: ballots");
        let (found, rounds) = irv_winner(&election);
        assert_eq!(found, winner, "{file}: IRV winner after {rounds} rounds");
    }
}

#[test]
fn oakland_2010_is_won_from_behind() {
    let election = election("2010-Oakland-Mayor.blt");
    let count = irv::count(
        election.candidates.len(),
        &election.counted_ballots(),
        &election.lot(),
    );
    let quan = election
        .candidates
        .iter()
        .position(|name| name == "JEAN QUAN")
        .expect("Quan is a candidate");
    let first = &count.rounds[0].tallies;
    let leader = (0..first.len())
        .max_by_key(|c| first[*c].unwrap_or(0))
        .expect("candidates");
    assert_ne!(leader, quan, "Quan trailed in round 1");
    assert_eq!(count.winner, Some(quan as u16));
}

#[test]
fn san_francisco_2011_takes_24_rounds_of_single_elimination() {
    let election = election("2011-San_Francisco-Mayor.blt");
    let (_, rounds) = irv_winner(&election);
    assert_eq!(rounds, 24);
}

#[test]
fn burlington_2009_schulze_elects_the_condorcet_winner_where_irv_did_not() {
    let election = election("2009-Burlington-Mayor.blt");
    let ballots = election.counted_ballots();
    let lot = election.lot();
    let montroll = election
        .candidates
        .iter()
        .position(|name| name == "Andy Montroll")
        .expect("Montroll is a candidate") as u16;
    let count = schulze::count(election.candidates.len(), &ballots, &lot);
    assert_eq!(count.condorcet_winner, Some(montroll));
    assert_eq!(count.winner, Some(montroll));
    assert_eq!(count.ranking[0], vec![montroll]);
    assert_eq!(irv_winner(&election).0, "Bob Kiss");
}

#[test]
fn every_file_survives_writing_and_reading_again() {
    for file in ["2009-Aspen-Mayor.blt", "2006-Burlington-Mayor.blt"] {
        let election = election(file);
        let again = blt::parse(&blt::write(&election)).expect("our own BLT parses");
        assert_eq!(again, election, "{file}");
    }
}
