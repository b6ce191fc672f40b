//! The ballot export: everything needed to recount one vote offline, as JSON Lines, and the
//! counted ranked ballots as BLT for other counting software (OpenSTV, Loomio).
//!
//! ```text
//! {"type":"proposal","definition":"<hex of the canonical definition>","electorate":["<hex key>",…],"policy":{…},"title":"…","method":"irv","options":["…"]}
//! {"type":"ballot","bytes":"<hex>","signature":"<hex>"}            one per ballot on the board
//! {"type":"delegation","bytes":"<hex>","signature":"<hex>"}        one per delegation record
//! {"type":"decision",…}                                            what the node recorded at the close
//! ```
//! Only `definition`, `electorate`, `policy` (whose hash the definition names) and the signed
//! records are trusted by the recount; `title`,
//! `method` and `options` are there for people reading the file and must agree with the
//! definition.

use commons_ledger::keys::{decode_hex_vec, PublicKey, Signature};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ballot::{Choice, SignedBallot};
use crate::blt::Election;
use crate::delegation::SignedDelegation;
use crate::policy::Policy;
use crate::proposal::Definition;
use crate::ranked::RankedBallot;
use crate::tally::{Counted, Decision};

/// At most this many lines in one export.
pub const EXPORT_LINES_MAX: usize = 20_000_000;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ExportError {
    #[error("line {line}: {what}")]
    Line { line: usize, what: String },
    #[error("the export has no proposal line")]
    NoProposal,
    #[error("the export has more than {EXPORT_LINES_MAX} lines")]
    TooLong,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
enum Line {
    Proposal {
        definition: String,
        electorate: Vec<String>,
        policy: Policy,
        title: String,
        method: String,
        options: Vec<String>,
    },
    Ballot {
        bytes: String,
        signature: String,
    },
    Delegation {
        bytes: String,
        signature: String,
    },
    Decision(Decision),
}

/// A parsed export. A signed record that cannot be decoded is kept as its error, so that the
/// recount names it instead of silently dropping it.
#[derive(Debug, Clone)]
pub struct BallotExport {
    pub definition: Definition,
    /// The policy the definition was voted under (its hash is the definition's `policy_hash`).
    pub policy: Policy,
    pub ballots: Vec<Result<SignedBallot, String>>,
    pub delegations: Vec<Result<SignedDelegation, String>>,
    pub decision: Option<Decision>,
}

/// Writes the export of one vote.
pub fn write(
    definition: &Definition,
    policy: &Policy,
    ballots: &[SignedBallot],
    delegations: &[SignedDelegation],
    decision: Option<&Decision>,
) -> String {
    let mut out = String::new();
    let mut push = |line: &Line| {
        out.push_str(&serde_json::to_string(line).expect("lines serialise"));
        out.push('\n');
    };
    push(&Line::Proposal {
        definition: hex::encode(definition.encode()),
        electorate: definition.electorate.iter().map(|k| k.to_hex()).collect(),
        policy: policy.clone(),
        title: definition.title.clone(),
        method: definition.method.name().to_owned(),
        options: definition.options.clone(),
    });
    for ballot in ballots {
        push(&Line::Ballot {
            bytes: hex::encode(&ballot.bytes),
            signature: ballot.signature.to_hex(),
        });
    }
    for delegation in delegations {
        push(&Line::Delegation {
            bytes: hex::encode(&delegation.bytes),
            signature: delegation.signature.to_hex(),
        });
    }
    if let Some(decision) = decision {
        push(&Line::Decision(decision.clone()));
    }
    out
}

fn signed_parts(bytes: &str, signature: &str) -> Result<(Vec<u8>, Signature), String> {
    let bytes = decode_hex_vec(bytes).ok_or("its bytes are not lowercase hex")?;
    let signature = Signature::from_hex(signature).map_err(|e| e.to_string())?;
    Ok((bytes, signature))
}

/// Parses an export.
pub fn parse(text: &str) -> Result<BallotExport, ExportError> {
    let mut definition = None;
    let mut policy_found = None;
    let mut ballots = Vec::new();
    let mut delegations = Vec::new();
    let mut decision = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if number > EXPORT_LINES_MAX {
            return Err(ExportError::TooLong);
        }
        if line.trim().is_empty() {
            continue;
        }
        let error = |what: String| ExportError::Line { line: number, what };
        let parsed: Line = serde_json::from_str(line).map_err(|e| error(e.to_string()))?;
        match parsed {
            Line::Proposal {
                definition: bytes,
                electorate,
                policy,
                title,
                method,
                options,
            } => {
                if definition.is_some() {
                    return Err(error("a second proposal line".into()));
                }
                let bytes = decode_hex_vec(&bytes)
                    .ok_or_else(|| error("the definition is not lowercase hex".into()))?;
                let electorate = electorate
                    .iter()
                    .map(|k| k.parse::<PublicKey>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| error(format!("an electorate key: {e}")))?;
                let parsed = Definition::decode(&bytes, electorate)
                    .map_err(|e| error(format!("the definition: {e}")))?;
                parsed
                    .check()
                    .map_err(|e| error(format!("the definition: {e}")))?;
                if parsed.title != title
                    || parsed.method.name() != method
                    || parsed.options != options
                {
                    return Err(error(
                        "the title, method or options shown do not match the signed definition"
                            .into(),
                    ));
                }
                if policy.hash() != parsed.policy_hash {
                    return Err(error(
                        "the policy given is not the one the signed definition names".into(),
                    ));
                }
                definition = Some(parsed);
                policy_found = Some(policy);
            }
            Line::Ballot { bytes, signature } => ballots.push(
                signed_parts(&bytes, &signature).and_then(|(bytes, signature)| {
                    SignedBallot::from_parts(bytes, signature).map_err(|e| e.to_string())
                }),
            ),
            Line::Delegation { bytes, signature } => delegations.push(
                signed_parts(&bytes, &signature).and_then(|(bytes, signature)| {
                    SignedDelegation::from_parts(bytes, signature).map_err(|e| e.to_string())
                }),
            ),
            Line::Decision(recorded) => decision = Some(recorded),
        }
    }
    Ok(BallotExport {
        definition: definition.ok_or(ExportError::NoProposal)?,
        policy: policy_found.ok_or(ExportError::NoProposal)?,
        ballots,
        delegations,
        decision,
    })
}

/// The counted ballots of a ranked vote as a BLT election (each ballot's weight is the votes it
/// carries, delegated ones included).
pub fn to_blt(definition: &Definition, counted: &[Counted]) -> Election {
    let seats = match definition.method {
        crate::proposal::Method::Stv { seats } => usize::from(seats),
        _ => 1,
    };
    Election {
        title: definition.title.clone(),
        candidates: definition.options.clone(),
        seats,
        withdrawn: vec![],
        ballots: counted
            .iter()
            .filter_map(|c| match &c.choice {
                Choice::Ranked(order) => Some(RankedBallot {
                    weight: c.weight,
                    ..RankedBallot::ranking(order)
                }),
                _ => None,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::Ballot;
    use crate::proposal::tests::sample;
    use crate::proposal::Method;
    use crate::tally::recount;
    use commons_ledger::keys::SecretKey;

    #[test]
    fn an_export_recounts_to_the_recorded_decision_and_converts_to_blt() {
        let keys: Vec<SecretKey> = (0..4).map(|_| SecretKey::generate()).collect();
        let publics: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
        let definition = sample(Method::Irv, &publics);
        let ballots: Vec<SignedBallot> = keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                Ballot::new(
                    &definition,
                    key.public_key(),
                    1_500,
                    Choice::Ranked(vec![(i % 3) as u16, ((i + 1) % 3) as u16]),
                )
                .sign(key)
            })
            .collect();
        let first = recount(&definition, &ballots, &[]);
        let text = write(
            &definition,
            &Policy::default(),
            &ballots,
            &[],
            Some(&first.decision()),
        );
        let parsed = parse(&text).expect("parses");
        assert_eq!(parsed.definition, definition);
        let again: Vec<SignedBallot> = parsed.ballots.into_iter().map(|b| b.expect("ok")).collect();
        let second = recount(&parsed.definition, &again, &[]);
        assert_eq!(Some(second.decision()), parsed.decision);
        let blt = to_blt(&definition, &second.counted);
        let reparsed = crate::blt::parse(&crate::blt::write(&blt)).expect("BLT parses");
        assert_eq!(reparsed.ballots.len(), 4);
        assert_eq!(reparsed.candidates, definition.options);
    }

    #[test]
    fn a_doctored_title_or_a_broken_record_is_caught() {
        let key = SecretKey::generate();
        let definition = sample(Method::Majority, &[key.public_key()]);
        let text = write(&definition, &Policy::default(), &[], &[], None);
        let doctored = text.replace("Raise the default floor", "Lower the default floor");
        assert!(parse(&doctored).is_err());
        let lenient = text.replace("\"quorum_percent\":30", "\"quorum_percent\":0");
        assert_ne!(lenient, text);
        let error = parse(&lenient).expect_err("another policy");
        assert!(error.to_string().contains("policy"), "{error}");
        let broken = format!(
            "{text}{{\"type\":\"ballot\",\"bytes\":\"00\",\"signature\":\"{}\"}}\n",
            "0".repeat(128)
        );
        let parsed = parse(&broken).expect("parses");
        assert!(parsed.ballots[0].is_err());
        assert!(
            parse("{\"type\":\"ballot\",\"bytes\":\"\",\"signature\":\"\",\"extra\":1}").is_err()
        );
        assert_eq!(parse("").err(), Some(ExportError::NoProposal));
    }
}
