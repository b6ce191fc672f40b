//! `commons pay --server URL`: pays through a node's JSON API while the secret key never
//! leaves this machine. The request is built and signed here, then posted to
//! `/api/v1/circles/{slug}/entries`; the node checks it like any other.

use anyhow::{anyhow, bail, Context, Result};
use commons_ledger::amount::Decimals;
use commons_ledger::entry::{memo_hash, Body, Cause, Request};
use commons_ledger::keys::{Hash, PublicKey};
use serde_json::{json, Value};

use crate::{Outcome, PayArgs};

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
