//! The BLT ballot format (OpenSTV, Loomio, Checkoway's audit records): reading and writing.
//!
//! ```text
//! # comments start with '#'
//! 4 2              candidates, seats
//! -3               optional: withdrawn candidates, as negative numbers
//! 1 2 1 4 0        weight, preferences (candidates numbered from 1), 0
//! 1 - 3 0          '-' is a skipped rank
//! 1 2=3 1 0        '2=3' is an overvote (two candidates at one rank; '-=-' when unknown)
//! 0                end of ballots
//! "Name 1"         one quoted name per candidate
//! "Title"
//! ```
//! How the counts read skipped ranks, repeats and overvotes is in [`crate::ranked`].

use commons_ledger::keys::Hash;
use thiserror::Error;

use crate::ranked::{Candidate, Lot, Mark, RankedBallot, CANDIDATES_MAX, MARKS_MAX};

/// At most this many ballot lines in one file (ten times San Francisco's 2011 mayoral race).
pub const BALLOT_LINES_MAX: usize = 2_000_000;
/// The largest weight of one ballot line, and of all of them together: counts (STV works in
/// 1/100,000 of a vote) stay far from overflowing 64 bits.
pub const WEIGHT_MAX: u64 = 1_000_000_000;
pub const TOTAL_WEIGHT_MAX: u64 = 1_000_000_000_000;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BltError {
    #[error("line {line}: {what}")]
    Line { line: usize, what: String },
    #[error("the file ends before {0}")]
    Truncated(&'static str),
    #[error("the file has more than {BALLOT_LINES_MAX} ballot lines")]
    TooManyBallots,
}

/// A parsed BLT file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Election {
    pub title: String,
    pub candidates: Vec<String>,
    pub seats: usize,
    /// Candidates withdrawn before the count (0-based); they are never counted.
    pub withdrawn: Vec<Candidate>,
    pub ballots: Vec<RankedBallot>,
}

impl Election {
    /// The lot for ties: seeded by the title and candidate names, so any counter draws the same.
    pub fn lot(&self) -> Lot {
        let mut parts: Vec<&[u8]> = vec![b"commons.governance.blt", self.title.as_bytes()];
        for name in &self.candidates {
            parts.push(b"\0");
            parts.push(name.as_bytes());
        }
        Lot {
            seed: Hash::sha256(&parts),
        }
    }

    /// The ballots with withdrawn candidates' marks skipped.
    pub fn counted_ballots(&self) -> Vec<RankedBallot> {
        if self.withdrawn.is_empty() {
            return self.ballots.clone();
        }
        self.ballots
            .iter()
            .map(|ballot| RankedBallot {
                weight: ballot.weight,
                marks: ballot
                    .marks
                    .iter()
                    .map(|mark| match mark {
                        Mark::Candidate(c) if self.withdrawn.contains(c) => Mark::Skipped,
                        Mark::Overvote(list) => Mark::Overvote(
                            list.iter()
                                .copied()
                                .filter(|c| !self.withdrawn.contains(c))
                                .collect(),
                        ),
                        other => other.clone(),
                    })
                    .collect(),
            })
            .collect()
    }
}

fn line_error(line: usize, what: impl Into<String>) -> BltError {
    BltError::Line {
        line,
        what: what.into(),
    }
}

fn unquote(line: usize, text: &str) -> Result<String, BltError> {
    let text = text.trim();
    if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') {
        Ok(text[1..text.len() - 1].to_owned())
    } else {
        Err(line_error(
            line,
            format!("expected a quoted name, found {text:?}"),
        ))
    }
}

fn candidate_number(line: usize, token: &str, candidates: usize) -> Result<Candidate, BltError> {
    let number: usize = token
        .parse()
        .map_err(|_| line_error(line, format!("{token:?} is not a candidate number")))?;
    if number == 0 || number > candidates {
        return Err(line_error(
            line,
            format!("candidate {number} is not between 1 and {candidates}"),
        ));
    }
    Ok((number - 1) as Candidate)
}

/// Parses a BLT file.
pub fn parse(text: &str) -> Result<Election, BltError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'));
    let (number, header) = lines.next().ok_or(BltError::Truncated("the header"))?;
    let fields: Vec<&str> = header.split_whitespace().collect();
    let [candidates, seats] = fields.as_slice() else {
        return Err(line_error(
            number,
            "the header must be two numbers: candidates and seats",
        ));
    };
    let candidates: usize = candidates
        .parse()
        .ok()
        .filter(|n| (1..=CANDIDATES_MAX).contains(n))
        .ok_or_else(|| {
            line_error(
                number,
                format!("the number of candidates must be 1 to {CANDIDATES_MAX}"),
            )
        })?;
    let seats: usize = seats
        .parse()
        .ok()
        .filter(|n| (1..=candidates).contains(n))
        .ok_or_else(|| {
            line_error(
                number,
                "the number of seats must be 1 to the number of candidates",
            )
        })?;

    let mut withdrawn = Vec::new();
    let mut ballots = Vec::new();
    let mut ended = false;
    let mut first = true;
    let mut total_weight: u64 = 0;
    for (number, line) in lines.by_ref() {
        if first && line.starts_with('-') && !line.starts_with("- ") && line != "-" {
            first = false;
            for token in line.split_whitespace() {
                let candidate = token.strip_prefix('-').ok_or_else(|| {
                    line_error(number, "withdrawn candidates are negative numbers")
                })?;
                withdrawn.push(candidate_number(number, candidate, candidates)?);
            }
            continue;
        }
        first = false;
        if line == "0" {
            ended = true;
            break;
        }
        if ballots.len() >= BALLOT_LINES_MAX {
            return Err(BltError::TooManyBallots);
        }
        let mut tokens = line.split_whitespace();
        let weight: u64 = tokens
            .next()
            .and_then(|t| t.parse().ok())
            .filter(|w| *w <= WEIGHT_MAX)
            .ok_or_else(|| {
                line_error(
                    number,
                    format!("a ballot line starts with its weight, 0 to {WEIGHT_MAX}"),
                )
            })?;
        total_weight += weight;
        if total_weight > TOTAL_WEIGHT_MAX {
            return Err(line_error(
                number,
                format!("the weights add up to more than {TOTAL_WEIGHT_MAX}"),
            ));
        }
        let mut marks = Vec::new();
        let mut closed = false;
        for token in tokens {
            if closed {
                return Err(line_error(number, "nothing may follow the closing 0"));
            }
            if token == "0" {
                closed = true;
                continue;
            }
            if marks.len() >= MARKS_MAX {
                return Err(line_error(number, format!("more than {MARKS_MAX} ranks")));
            }
            marks.push(if token == "-" {
                Mark::Skipped
            } else if token.contains('=') {
                let mut listed = Vec::new();
                for part in token.split('=') {
                    if part != "-" {
                        listed.push(candidate_number(number, part, candidates)?);
                    }
                }
                Mark::Overvote(listed)
            } else {
                Mark::Candidate(candidate_number(number, token, candidates)?)
            });
        }
        if !closed {
            return Err(line_error(number, "a ballot line ends with 0"));
        }
        ballots.push(RankedBallot { weight, marks });
    }
    if !ended {
        return Err(BltError::Truncated("the 0 line that ends the ballots"));
    }
    let mut names = Vec::with_capacity(candidates);
    for _ in 0..candidates {
        let (number, line) = lines
            .next()
            .ok_or(BltError::Truncated("every candidate's name"))?;
        names.push(unquote(number, line)?);
    }
    let title = match lines.next() {
        Some((number, line)) => unquote(number, line)?,
        None => String::new(),
    };
    Ok(Election {
        title,
        candidates: names,
        seats,
        withdrawn,
        ballots,
    })
}

/// Writes an election as BLT (names' double quotes become single quotes, which BLT cannot
/// escape).
pub fn write(election: &Election) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} {}\n",
        election.candidates.len(),
        election.seats
    ));
    if !election.withdrawn.is_empty() {
        let list: Vec<String> = election
            .withdrawn
            .iter()
            .map(|c| format!("-{}", c + 1))
            .collect();
        out.push_str(&list.join(" "));
        out.push('\n');
    }
    for ballot in &election.ballots {
        out.push_str(&ballot.weight.to_string());
        for mark in &ballot.marks {
            out.push(' ');
            match mark {
                Mark::Candidate(c) => out.push_str(&(c + 1).to_string()),
                Mark::Skipped => out.push('-'),
                Mark::Overvote(list) if list.is_empty() => out.push_str("-=-"),
                Mark::Overvote(list) => {
                    let parts: Vec<String> = list.iter().map(|c| (c + 1).to_string()).collect();
                    out.push_str(&parts.join("="));
                }
            }
        }
        out.push_str(" 0\n");
    }
    out.push_str("0\n");
    for name in &election.candidates {
        out.push_str(&format!("\"{}\"\n", name.replace('"', "'")));
    }
    out.push_str(&format!("\"{}\"\n", election.title.replace('"', "'")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# a comment\n3 1\n-3\n2 1 2 0\n1 - 2=3 1 0\n1 -=- 2 0\n0\n\"Ana\"\n\"Bo\"\n\"Cy\"\n\"Garden steward\"\n";

    #[test]
    fn reads_every_kind_of_mark() {
        let election = parse(SAMPLE).expect("parses");
        assert_eq!(election.candidates, vec!["Ana", "Bo", "Cy"]);
        assert_eq!(election.title, "Garden steward");
        assert_eq!(election.seats, 1);
        assert_eq!(election.withdrawn, vec![2]);
        assert_eq!(election.ballots.len(), 3);
        assert_eq!(election.ballots[0].weight, 2);
        assert_eq!(
            election.ballots[1].marks,
            vec![
                Mark::Skipped,
                Mark::Overvote(vec![1, 2]),
                Mark::Candidate(0)
            ]
        );
        assert_eq!(election.ballots[2].marks[0], Mark::Overvote(vec![]));
        let counted = election.counted_ballots();
        assert_eq!(counted[1].marks[1], Mark::Overvote(vec![1]));
    }

    #[test]
    fn writing_and_reading_again_gives_the_same_election() {
        let election = parse(SAMPLE).expect("parses");
        assert_eq!(parse(&write(&election)).expect("parses again"), election);
    }

    #[test]
    fn bad_files_say_which_line_and_why() {
        for (text, needle) in [
            ("", "header"),
            ("3\n", "two numbers"),
            ("2 1\n1 3 0\n0\n\"a\"\n\"b\"\n", "candidate 3"),
            ("2 1\n1 1\n0\n\"a\"\n\"b\"\n", "ends with 0"),
            ("2 1\n1 1 0\n", "0 line"),
            ("2 1\n1 1 0\n0\n\"a\"\n", "every candidate"),
            ("2 1\n1 1 0\n0\nbob\n\"b\"\n", "quoted"),
            ("2 3\n", "seats"),
            ("2 1\n99999999999 1 0\n0\n\"a\"\n\"b\"\n", "weight"),
        ] {
            let error = parse(text).expect_err(text).to_string();
            assert!(error.contains(needle), "{text:?}: {error}");
        }
    }
}
