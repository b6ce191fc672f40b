//! `commons pay --server URL`: pays through a node's JSON API while the secret key never
//! leaves this machine. The request is built and signed here, then posted to
//! `/api/v1/circles/{slug}/entries`; the node checks it like any other.

use anyhow::{anyhow, bail, Context, Result};
use commons_ledger::amount::Decimals;
use commons_ledger::entry::{memo_hash, Body, Cause, Request};
use commons_ledger::keys::{Hash, PublicKey};
use serde_json::{json, Value};

use crate::{Outcome, PayArgs, VoteArgs};

/// The refusal an API answer carries, so the exit code can tell "refused" (1) from "could not
/// run" (2).
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

struct Api {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let url = format!("{}{path}", self.base.trim_end_matches('/'));
        let mut request = self.http.request(method, &url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        let status = response.status();
        let value: Value = response
            .json()
            .await
            .with_context(|| format!("{url} did not answer with JSON"))?;
        if status.is_success() {
            return Ok(value);
        }
        let message = value["error"]["message"]
            .as_str()
            .unwrap_or("the node refused without a message")
            .to_owned();
        if status.as_u16() == 422 {
            return Err(anyhow!(Refused(message)));
        }
        bail!("{url}: {status}: {message}")
    }
}

pub async fn pay(args: &PayArgs) -> Result<Outcome> {
    let server = args.server.clone().context("--server")?;
    let token = args
        .token
        .clone()
        .context("--server needs an API token: --token or COMMONS_TOKEN (make one on the node's settings page)")?;
    let api = Api {
        base: server,
        token,
        http: reqwest::Client::new(),
    };
    let key_text = std::fs::read_to_string(&args.from_key)
        .with_context(|| format!("cannot read the key file {}", args.from_key.display()))?;
    let key = commons_ledger::keys::SecretKey::from_file_text(&key_text)
        .with_context(|| format!("{} is not a usable key file", args.from_key.display()))?;
    let slug = &args.slug;
    let circle = api
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/circles/{slug}"),
            None,
        )
        .await?;
    let circle_id = Hash::from_hex(circle["circle_id"].as_str().unwrap_or(""))
        .context("the node sent no circle id")?;
    let decimals = Decimals::new(circle["decimals"].as_u64().unwrap_or(0) as u32)
        .context("the node sent invalid decimals")?;
    let mine = circle["me"]["account_key"].as_str().unwrap_or("");
    if mine != key.public_key().to_hex() {
        bail!(
            "this key ({}) is not your account's key in {slug} ({mine}); register it on the node's settings page first",
            key.public_key().short()
        );
    }
    let payee: PublicKey = match args.to.parse::<PublicKey>() {
        Ok(key) => key,
        Err(_) => {
            let members = api
                .call(
                    reqwest::Method::GET,
                    &format!("/api/v1/circles/{slug}/members"),
                    None,
                )
                .await?;
            let found = members["members"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|member| {
                    member["username"].as_str() == Some(args.to.trim().to_lowercase().as_str())
                })
                .and_then(|member| member["account_key"].as_str())
                .ok_or_else(|| anyhow!("{slug} has no member called {:?}", args.to))?;
            found.parse().context("the node sent an invalid key")?
        }
    };
    let amount_minor = decimals.parse_positive(&args.amount).context("--amount")?;
    let memo = match &args.memo {
        Some(text) => {
            let mut salt = [0u8; 16];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut salt);
            Some((salt, text.clone()))
        }
        None => None,
    };
    let body = Body::Transfer {
        payer: key.public_key(),
        payee,
        amount_minor,
        memo_hash: memo.as_ref().map(|(salt, text)| memo_hash(salt, text)),
        cause: match &args.reference {
            Some(text) => Cause::Reference(text.clone()),
            None => Cause::Direct,
        },
    };
    let signed = Request::signed(circle_id, &key, body);
    let mut payload = json!({
        "request": hex::encode(&signed.bytes),
        "signature": hex::encode(signed.signature.0),
    });
    if let Some((salt, text)) = memo {
        payload["memo"] = json!({ "salt": hex::encode(salt), "text": text });
    }
    let appended = api
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/circles/{slug}/entries"),
            Some(payload),
        )
        .await?;
    println!(
        "Paid {} {} to {} as entry {} ({})",
        decimals.format(amount_minor),
        circle["unit_name"].as_str().unwrap_or(""),
        args.to,
        appended["seq"],
        appended["hash"].as_str().unwrap_or("")
    );
    Ok(Outcome::Done)
}

/// Reads `--choice` for a method: majority `yes|no|abstain`; consent `agree|stand-aside|object:REASON`;
/// approval `1,3` (option numbers); score `5,0,3` (one per option); ranked `2,1,3` (option
/// numbers, first choice first).
pub fn parse_vote_choice(
    method: &str,
    options: usize,
    text: &str,
) -> Result<commons_governance::ballot::Choice> {
    use commons_governance::ballot::Choice;
    use commons_governance::majority::{Position, Stance};
    let text = text.trim();
    let numbers = |text: &str| -> Result<Vec<u16>> {
        text.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                let n: usize = t
                    .parse()
                    .with_context(|| format!("{t:?} is not an option number"))?;
                if n == 0 || n > options {
                    bail!("option {n} does not exist (1 to {options})");
                }
                Ok((n - 1) as u16)
            })
            .collect()
    };
    Ok(match method {
        "majority" => Choice::Majority(match text {
            "yes" => Position::Yes,
            "no" => Position::No,
            "abstain" => Position::Abstain,
            _ => bail!("a majority vote is yes, no or abstain"),
        }),
        "consent" => Choice::Consent(match text.split_once(':') {
            None if text == "agree" => Stance::Agree,
            None if text == "stand-aside" => Stance::StandAside,
            Some(("object", reason)) => Stance::Object {
                reason: reason.trim().to_owned(),
            },
            _ => bail!("a consent vote is agree, stand-aside or object:REASON"),
        }),
        "approval" => {
            let mut list = numbers(text)?;
            list.sort_unstable();
            Choice::Approval(list)
        }
        "score" => Choice::Score(
            text.split(',')
                .map(|t| {
                    t.trim()
                        .parse::<u8>()
                        .with_context(|| format!("{t:?} is not a score"))
                })
                .collect::<Result<Vec<_>>>()?,
        ),
        "irv" | "schulze" | "stv" => Choice::Ranked(numbers(text)?),
        other => bail!("the node answered an unknown method {other:?}"),
    })
}

/// `commons vote SLUG/NUMBER --server URL --key FILE --choice C`: signs a ballot here with the
/// member's own key and posts the signed bytes; prints the receipt.
pub async fn vote(args: &VoteArgs) -> Result<Outcome> {
    let (slug, number) = args
        .proposal
        .split_once('/')
        .context("name the proposal as SLUG/NUMBER, e.g. garden/3")?;
    let api = Api {
        base: args.server.clone(),
        token: args
            .token
            .clone()
            .context("--token or COMMONS_TOKEN (make one on the node's settings page)")?,
        http: reqwest::Client::new(),
    };
    let key_text = std::fs::read_to_string(&args.key)
        .with_context(|| format!("cannot read the key file {}", args.key.display()))?;
    let key = commons_ledger::keys::SecretKey::from_file_text(&key_text)
        .with_context(|| format!("{} is not a secret key file", args.key.display()))?;
    let proposal = api
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/circles/{slug}/proposals/{number}"),
            None,
        )
        .await?;
    let round = proposal["rounds"]
        .as_array()
        .and_then(|rounds| rounds.last())
        .context("this proposal has not been put to a vote")?;
    let definition_hex = round["definition"]
        .as_str()
        .context("the round's definition")?;
    let definition_hash = Hash::sha256(&[&hex::decode(definition_hex).context("definition hex")?]);
    if definition_hash.to_hex() != round["definition_hash"].as_str().unwrap_or_default() {
        bail!("the node's definition does not hash to the round it names");
    }
    let method = proposal["method"].as_str().unwrap_or_default();
    let options = proposal["options"].as_array().map_or(0, Vec::len);
    let choice = parse_vote_choice(method, options, &args.choice)?;
    let circle_id = Hash::from_hex(
        api.call(
            reqwest::Method::GET,
            &format!("/api/v1/circles/{slug}"),
            None,
        )
        .await?["circle_id"]
            .as_str()
            .context("the circle's id")?,
    )?;
    let ballot = commons_governance::ballot::Ballot {
        circle_id,
        proposal: definition_hash,
        voter: key.public_key(),
        cast_at_ms: commons_ledger::store::now_ms(),
        choice,
    }
    .sign(&key);
    let answer = api
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/circles/{slug}/proposals/{number}/ballot"),
            Some(json!({ "signed": {
                "bytes": hex::encode(&ballot.bytes),
                "signature": ballot.signature.to_hex(),
            }})),
        )
        .await?;
    println!(
        "Your vote is signed and counted. Receipt: {}",
        answer["receipt"].as_str().unwrap_or_default()
    );
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::parse_vote_choice;
    use commons_governance::ballot::Choice;
    use commons_governance::majority::{Position, Stance};

    #[test]
    fn choices_read_as_the_help_says() {
        assert_eq!(
            parse_vote_choice("majority", 0, "abstain").expect("ok"),
            Choice::Majority(Position::Abstain)
        );
        assert_eq!(
            parse_vote_choice("consent", 0, "object: not yet").expect("ok"),
            Choice::Consent(Stance::Object {
                reason: "not yet".into()
            })
        );
        assert_eq!(
            parse_vote_choice("approval", 3, "3,1").expect("ok"),
            Choice::Approval(vec![0, 2])
        );
        assert_eq!(
            parse_vote_choice("score", 3, "5,0,3").expect("ok"),
            Choice::Score(vec![5, 0, 3])
        );
        assert_eq!(
            parse_vote_choice("irv", 3, "2, 1").expect("ok"),
            Choice::Ranked(vec![1, 0])
        );
        assert!(parse_vote_choice("irv", 3, "4").is_err());
        assert!(parse_vote_choice("majority", 0, "maybe").is_err());
    }
}
