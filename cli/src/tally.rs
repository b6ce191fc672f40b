//! `commons tally`: recount a vote from signed ballots (an export) or count a BLT file, and
//! print the round-by-round table, the pairwise matrix or the stages, as text or JSON.

use std::path::Path;

use anyhow::{bail, Context, Result};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};
use commons_governance::blt::{self, Election};
use commons_governance::export;
use commons_governance::irv::{self, IrvCount};
use commons_governance::ranked::{Candidate, TieBreak};
use commons_governance::schulze::{self, SchulzeCount};
use commons_governance::stv::{self, format_votes, StvCount};
use commons_governance::tally::{recount, Count, Outcome as VoteOutcome, Recount};
use serde_json::json;

use crate::Outcome;

/// Which count to run on a BLT file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BltMethod {
    Irv,
    Schulze,
    Stv,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn name(names: &[String], candidate: Candidate) -> String {
    names
        .get(usize::from(candidate))
        .cloned()
        .unwrap_or_else(|| format!("option {}", candidate + 1))
}

fn tie_note(names: &[String], tie: &TieBreak) -> String {
    match tie {
        TieBreak::PreviousRound {
            tied,
            chosen,
            round,
        } => format!(
            "tie between {} settled by round {round}: {}",
            tied.iter()
                .map(|c| name(names, *c))
                .collect::<Vec<_>>()
                .join(", "),
            name(names, *chosen)
        ),
        TieBreak::Lot { tied, chosen } => format!(
            "tie between {} settled by the lot: {}",
            tied.iter()
                .map(|c| name(names, *c))
                .collect::<Vec<_>>()
                .join(", "),
            name(names, *chosen)
        ),
    }
}

fn right(text: impl ToString) -> Cell {
    Cell::new(text.to_string()).set_alignment(CellAlignment::Right)
}

/// A table of each candidate's votes per round (or stage), with a last row of what left the
/// count: `columns` holds each round's tallies (`None` once a candidate is out) and `last` its
/// total for that row.
fn rounds_table(
    names: &[String],
    candidates: usize,
    labels: &[String],
    columns: &[(Vec<Option<String>>, String)],
    last_label: &str,
) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec![Cell::new("Candidate")];
    header.extend(labels.iter().map(right));
    table.set_header(header);
    for candidate in 0..candidates {
        let mut row = vec![Cell::new(name(names, candidate as Candidate))];
        row.extend(
            columns
                .iter()
                .map(|(tallies, _)| right(tallies[candidate].as_deref().unwrap_or("—"))),
        );
        table.add_row(row);
    }
    let mut last = vec![Cell::new(last_label)];
    last.extend(columns.iter().map(|(_, total)| right(total)));
    table.add_row(last);
    table
}

/// The round-by-round table of an instant-runoff count.
pub fn irv_table(names: &[String], count: &IrvCount) -> String {
    let labels: Vec<String> = (1..=count.rounds.len()).map(|r| format!("R{r}")).collect();
    let columns: Vec<(Vec<Option<String>>, String)> = count
        .rounds
        .iter()
        .map(|round| {
            let tallies = round
                .tallies
                .iter()
                .map(|t| t.map(|v| v.to_string()))
                .collect();
            (tallies, round.exhausted.to_string())
        })
        .collect();
    let table = rounds_table(names, count.candidates, &labels, &columns, "Exhausted");
    let mut out = table.to_string();
    for (index, round) in count.rounds.iter().enumerate() {
        if let Some(excluded) = round.excluded {
            out.push_str(&format!(
                "\nRound {}: {} excluded",
                index + 1,
                name(names, excluded)
            ));
            if let Some(tie) = &round.tie_break {
                out.push_str(&format!(" ({})", tie_note(names, tie)));
            }
        }
    }
    out
}

/// The pairwise matrix and ranking of a Schulze count.
pub fn schulze_table(names: &[String], count: &SchulzeCount) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec![Cell::new("Preferred over →")];
    header.extend((0..count.candidates).map(|c| right(format!("{}", c + 1))));
    table.set_header(header);
    for a in 0..count.candidates {
        let mut row = vec![Cell::new(format!(
            "{} {}",
            a + 1,
            name(names, a as Candidate)
        ))];
        row.extend((0..count.candidates).map(|b| {
            if a == b {
                right("—")
            } else {
                right(count.pairwise[a][b])
            }
        }));
        table.add_row(row);
    }
    let mut out = table.to_string();
    out.push_str("\nRanking (strongest paths):");
    for (rank, group) in count.ranking.iter().enumerate() {
        let names: Vec<String> = group.iter().map(|c| name(names, *c)).collect();
        out.push_str(&format!("\n  {}. {}", rank + 1, names.join(" = ")));
    }
    if let Some(winner) = count.condorcet_winner {
        out.push_str(&format!(
            "\nCondorcet winner: {} (beats every other option head to head)",
            name(names, winner)
        ));
    }
    if let Some(tie) = &count.tie_break {
        out.push_str(&format!("\n{}", tie_note(names, tie)));
    }
    out
}

/// The stages of an STV count.
pub fn stv_table(names: &[String], count: &StvCount) -> String {
    let labels: Vec<String> = (1..=count.stages.len()).map(|s| format!("S{s}")).collect();
    let columns: Vec<(Vec<Option<String>>, String)> = count
        .stages
        .iter()
        .map(|stage| {
            let tallies = stage.tallies.iter().map(|t| t.map(format_votes)).collect();
            (tallies, format_votes(stage.non_transferable))
        })
        .collect();
    let table = rounds_table(
        names,
        count.candidates,
        &labels,
        &columns,
        "Non-transferable",
    );
    let mut out = format!(
        "{} seats, {} valid votes, quota {}\n{table}",
        count.seats,
        count.valid_votes,
        format_votes(count.quota)
    );
    for (index, stage) in count.stages.iter().enumerate() {
        let what = match &stage.action {
            stv::StageAction::FirstPreferences => "first preferences".to_owned(),
            stv::StageAction::Surplus {
                from,
                transfer_value,
            } => format!(
                "surplus of {} transferred at {}",
                name(names, *from),
                format_votes(*transfer_value)
            ),
            stv::StageAction::Exclusion { excluded } => {
                format!("{} excluded", name(names, *excluded))
            }
        };
        out.push_str(&format!("\nStage {}: {what}", index + 1));
        if !stage.elected.is_empty() {
            let elected: Vec<String> = stage.elected.iter().map(|c| name(names, *c)).collect();
            out.push_str(&format!("; elected: {}", elected.join(", ")));
        }
        for tie in &stage.tie_breaks {
            out.push_str(&format!(" ({})", tie_note(names, tie)));
        }
    }
    out
}

/// `commons tally --blt FILE --method M`.
pub fn tally_blt(
    path: &Path,
    method: BltMethod,
    seats: Option<usize>,
    json: bool,
) -> Result<Outcome> {
    let election: Election = blt::parse(&read(path)?)
        .with_context(|| format!("{} is not a BLT file", path.display()))?;
    let ballots = election.counted_ballots();
    let lot = election.lot();
    let names = &election.candidates;
    let cast: u64 = election.ballots.iter().map(|b| b.weight).sum();
    let started = std::time::Instant::now();
    let (body, winners, json_count) = match method {
        BltMethod::Irv => {
            let count = irv::count(names.len(), &ballots, &lot);
            (
                irv_table(names, &count),
                count.winner.into_iter().collect::<Vec<_>>(),
                serde_json::to_value(&count)?,
            )
        }
        BltMethod::Schulze => {
            let count = schulze::count(names.len(), &ballots, &lot);
            (
                schulze_table(names, &count),
                count.winner.into_iter().collect(),
                serde_json::to_value(&count)?,
            )
        }
        BltMethod::Stv => {
            let seats = seats.unwrap_or(election.seats);
            if seats == 0 || seats > stv::SEATS_MAX || seats >= names.len() {
                bail!(
                    "--seats must be 1 to {} and fewer than the {} candidates",
                    stv::SEATS_MAX,
                    names.len()
                );
            }
            let count = stv::count(names.len(), seats, &ballots, &lot);
            (
                stv_table(names, &count),
                count.elected.clone(),
                serde_json::to_value(&count)?,
            )
        }
    };
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let winner_names: Vec<String> = winners.iter().map(|c| name(names, *c)).collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "title": election.title,
                "candidates": names,
                "ballots": cast,
                "method": format!("{method:?}").to_lowercase(),
                "count": json_count,
                "winners": winner_names,
            }))?
        );
    } else {
        println!("{} — {cast} ballots", election.title);
        println!("{body}");
        match winner_names.as_slice() {
            [] => println!("No winner: no ballot counted for any candidate."),
            [one] => println!("Winner: {one}"),
            many => println!("Elected: {}", many.join(", ")),
        }
        println!("(counted in {elapsed_ms:.1} ms)");
    }
    Ok(Outcome::Done)
}

fn outcome_text(names: &[String], outcome: &VoteOutcome) -> String {
    match outcome {
        VoteOutcome::NoQuorum => "no quorum: too few members took part".into(),
        VoteOutcome::Passed => "passed".into(),
        VoteOutcome::Rejected => "rejected".into(),
        VoteOutcome::Blocked => "blocked by an objection".into(),
        VoteOutcome::Chosen { options } => format!(
            "chosen: {}",
            options
                .iter()
                .map(|c| name(names, *c))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        VoteOutcome::NoWinner => "no winner: no ballot counted for any option".into(),
    }
}

fn count_text(names: &[String], count: &Count) -> String {
    match count {
        Count::Majority(c) => format!("yes {}, no {}, abstain {}", c.yes, c.no, c.abstain),
        Count::Consent(c) => {
            let mut out = format!(
                "agree {}, stand aside {}, objections {}",
                c.agree,
                c.stand_aside,
                c.objections.len()
            );
            for (weight, reason) in &c.objections {
                out.push_str(&format!("\n  objection ({weight}): {reason}"));
            }
            out
        }
        Count::Approval(c) => {
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED);
            table.set_header(vec![Cell::new("Option"), right("Approvals")]);
            for (option, approvals) in c.approvals.iter().enumerate() {
                table.add_row(vec![
                    Cell::new(name(names, option as Candidate)),
                    right(approvals),
                ]);
            }
            table.to_string()
        }
        Count::Score(c) => {
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED);
            let mut header = vec![Cell::new("Option"), right("Total"), right("Mean")];
            header.extend((0..=5).map(|s| right(format!("{s}"))));
            table.set_header(header);
            for option in 0..c.totals.len() {
                let mean = c.mean_hundredths(option);
                let mut row = vec![
                    Cell::new(name(names, option as Candidate)),
                    right(c.totals[option]),
                    right(format!("{}.{:02}", mean / 100, mean % 100)),
                ];
                row.extend(c.distribution[option].iter().map(right));
                table.add_row(row);
            }
            table.to_string()
        }
        Count::Irv(c) => irv_table(names, c),
        Count::Schulze(c) => schulze_table(names, c),
        Count::Stv(c) => stv_table(names, c),
    }
}

/// Prints a recount; returns whether it is clean (no problems, and the recorded decision, if
/// any, matches).
pub fn print_recount(
    recount: &Recount,
    names: &[String],
    title: &str,
    recorded: Option<&commons_governance::tally::Decision>,
    json: bool,
) -> Result<bool> {
    let decision = recount.decision();
    let matches = recorded.map(|r| *r == decision);
    let clean = recount.problems.is_empty() && matches != Some(false);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "title": title,
                "options": names,
                "decision": decision,
                "recorded": recorded,
                "matches_recorded": matches,
                "problems": recount.problems,
                "superseded": recount.superseded,
                "delegations": recount.flows.iter().map(|flow| json!({
                    "from": flow.from.to_hex(),
                    "path": flow.path.iter().map(|k| k.to_hex()).collect::<Vec<_>>(),
                    "counted": flow.counted,
                })).collect::<Vec<_>>(),
                "count": recount.count,
                "outcome": recount.outcome,
            }))?
        );
        return Ok(clean);
    }
    println!("{title}");
    println!(
        "{} ballots on the board (root {}), {} superseded by a later ballot; {} of {} members took part",
        recount.board.leaves.len(),
        recount.board.root().to_hex(),
        recount.superseded,
        recount.participation,
        recount.electorate
    );
    for flow in &recount.flows {
        let path: Vec<String> = flow.path.iter().map(|k| k.short()).collect();
        println!(
            "delegation: {} → {}{}",
            flow.from.short(),
            path.join(" → "),
            if flow.counted {
                ""
            } else {
                " (not counted: no ballot at the end, or a cycle)"
            }
        );
    }
    println!("{}", count_text(names, &recount.count));
    println!("Outcome: {}", outcome_text(names, &recount.outcome));
    for problem in &recount.problems {
        println!(
            "INVALID {} {}{}: {}",
            problem.record,
            problem.index + 1,
            problem
                .voter
                .as_ref()
                .map(|v| format!(" by {}", &v[..12.min(v.len())]))
                .unwrap_or_default(),
            problem.what
        );
    }
    match matches {
        Some(true) => println!("The recount matches the recorded decision."),
        Some(false) => println!(
            "MISMATCH: the recorded decision was {}",
            serde_json::to_string(&recorded)?
        ),
        None => println!("No recorded decision to compare with."),
    }
    Ok(clean)
}

/// A definition that breaks the policy it names is a problem of the count. Without the ledger
/// the circle's default limits are unknown, so one member's limits count as within them here;
/// `commons audit` judges them against the ledger.
fn policy_problem(
    definition: &commons_governance::proposal::Definition,
    policy: &commons_governance::policy::Policy,
) -> Option<commons_governance::tally::Problem> {
    let unknown = commons_governance::policy::DefaultLimits {
        floor_minor: i64::MIN,
        ceiling_minor: i64::MAX,
    };
    let breach = policy.admits(definition, unknown).err()?;
    Some(commons_governance::tally::Problem {
        record: "definition",
        index: 0,
        voter: None,
        what: format!("it breaks the policy it names: {breach}"),
    })
}

/// `commons tally --file BALLOTS.jsonl`.
pub fn tally_file(path: &Path, json: bool) -> Result<Outcome> {
    let parsed = export::parse(&read(path)?)
        .with_context(|| format!("{} is not a ballot export", path.display()))?;
    let mut ballots = Vec::with_capacity(parsed.ballots.len());
    // Where each readable ballot was in the file, so problems name the file's positions.
    let mut ballot_lines = Vec::with_capacity(parsed.ballots.len());
    let mut delegation_lines = Vec::with_capacity(parsed.delegations.len());
    let mut unreadable = Vec::new();
    for (index, ballot) in parsed.ballots.into_iter().enumerate() {
        match ballot {
            Ok(ballot) => {
                ballots.push(ballot);
                ballot_lines.push(index);
            }
            Err(why) => unreadable.push(commons_governance::tally::Problem {
                record: "ballot",
                index,
                voter: None,
                what: format!("it cannot be read: {why}"),
            }),
        }
    }
    let mut delegations = Vec::with_capacity(parsed.delegations.len());
    for (index, delegation) in parsed.delegations.into_iter().enumerate() {
        match delegation {
            Ok(delegation) => {
                delegations.push(delegation);
                delegation_lines.push(index);
            }
            Err(why) => unreadable.push(commons_governance::tally::Problem {
                record: "delegation",
                index,
                voter: None,
                what: format!("it cannot be read: {why}"),
            }),
        }
    }
    let mut result = recount(&parsed.definition, &ballots, &delegations);
    for problem in &mut result.problems {
        problem.index = match problem.record {
            "ballot" => ballot_lines[problem.index],
            _ => delegation_lines[problem.index],
        };
    }
    result.problems.splice(0..0, unreadable);
    result
        .problems
        .extend(policy_problem(&parsed.definition, &parsed.policy));
    let clean = print_recount(
        &result,
        &parsed.definition.options,
        &parsed.definition.title,
        parsed.decision.as_ref(),
        json,
    )?;
    Ok(if clean {
        Outcome::Done
    } else {
        Outcome::Faults
    })
}

/// Finds a proposal by `SLUG/NUMBER` (or `NUMBER` on a node with one circle) and one of its
/// rounds (the latest by default).
async fn find_round(
    store: &commons_ledger::store::Store,
    reference: &str,
    round: Option<u32>,
) -> Result<(
    commons_ledger::store::CircleInfo,
    commons_governance::store::Proposal,
    commons_governance::store::Round,
)> {
    let (slug, number) = match reference.split_once('/') {
        Some((slug, number)) => (slug.to_owned(), number),
        None => {
            let circles = store.circles().await?;
            match circles.as_slice() {
                [only] => (only.slug.clone(), reference),
                _ => bail!("this node has {} circles: name the proposal as SLUG/NUMBER, e.g. garden/{reference}", circles.len()),
            }
        }
    };
    let number: i64 = number
        .parse()
        .with_context(|| format!("{number:?} is not a proposal number"))?;
    let info = store.circle(&slug).await?;
    let governance = commons_governance::store::Governance::new(store.pool().clone());
    let proposal = governance
        .proposal(info.row_id, number)
        .await?
        .with_context(|| format!("circle {slug} has no proposal {number}"))?;
    let wanted = round.unwrap_or(proposal.round);
    if wanted == 0 {
        bail!("proposal {slug}/{number} has not been put to a vote yet");
    }
    let found = governance
        .round(proposal.id, wanted)
        .await?
        .with_context(|| format!("proposal {slug}/{number} has no round {wanted}"))?;
    Ok((info, proposal, found))
}

async fn round_records(
    store: &commons_ledger::store::Store,
    info: &commons_ledger::store::CircleInfo,
    proposal: &commons_governance::store::Proposal,
    round: &commons_governance::store::Round,
) -> Result<(
    Vec<commons_governance::ballot::SignedBallot>,
    Vec<commons_governance::delegation::SignedDelegation>,
)> {
    let governance = commons_governance::store::Governance::new(store.pool().clone());
    let ballots = governance.ballots(&round.definition_hash).await?;
    let delegations = governance
        .delegations(info.row_id, proposal.number, round.definition.closes_at_ms)
        .await?;
    Ok((ballots, delegations))
}

/// `commons tally SLUG/NUMBER`: recount a proposal's round from the database.
pub async fn tally_store(
    store: &commons_ledger::store::Store,
    reference: &str,
    round: Option<u32>,
    json: bool,
) -> Result<Outcome> {
    let (info, proposal, round) = find_round(store, reference, round).await?;
    let governance = commons_governance::store::Governance::new(store.pool().clone());
    let (mut result, _) = governance
        .recount_round(info.row_id, &proposal, &round)
        .await?;
    result
        .problems
        .extend(policy_problem(&round.definition, &round.policy));
    if round.decision.is_none() && !json {
        println!("Voting on this round is still open: this is the running count.");
    }
    let clean = print_recount(
        &result,
        &round.definition.options,
        &format!(
            "{}/{} round {}: {}",
            info.slug, proposal.number, round.round, round.definition.title
        ),
        round.decision.as_ref(),
        json,
    )?;
    Ok(if clean {
        Outcome::Done
    } else {
        Outcome::Faults
    })
}

/// `commons export ballots SLUG/NUMBER`: everything needed to recount a round offline.
pub async fn export_ballots(
    store: &commons_ledger::store::Store,
    reference: &str,
    round: Option<u32>,
    blt: bool,
    out: Option<&Path>,
) -> Result<Outcome> {
    let (info, proposal, round) = find_round(store, reference, round).await?;
    let (ballots, delegations) = round_records(store, &info, &proposal, &round).await?;
    let text = if blt {
        if !round.definition.method.is_ranked() {
            bail!(
                "BLT holds ranked ballots; this vote is decided by {}",
                round.definition.method.name()
            );
        }
        let result = recount(&round.definition, &ballots, &delegations);
        blt::write(&export::to_blt(&round.definition, &result.counted))
    } else {
        export::write(
            &round.definition,
            &round.policy,
            &ballots,
            &delegations,
            round.decision.as_ref(),
        )
    };
    match out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(Outcome::Done)
}
