//! A Credit Commons node for the tests, written from the protocol's published shapes (cc-node's
//! OpenAPI description and Komunitin's implementation of it), not from this node's code: it
//! checks the `cc-node` and `last-hash` headers of every call, keeps its accounts' balances,
//! takes relayed transactions as validated and completes or erases them by `PATCH`, and can
//! itself relay a transaction to a circle here. Its chain advances by the rule
//! `docs/federation.md` states (the hex SHA-256 of the previous value, `|`, the UUID).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{patch, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// What the peer keeps.
#[derive(Debug, Default)]
pub struct PeerBook {
    /// The node allowed to call (this node's circle's path in the peer's tree).
    pub caller: String,
    /// This peer's own path (what it sends as `cc-node`).
    pub own_path: String,
    pub last_hash: String,
    pub previous_hash: String,
    pub last_uuid: String,
    /// Accounts of the peer (paths) and their balances, in hundredths.
    pub balances: BTreeMap<String, i64>,
    /// Each transaction: its state letter and its body.
    pub transactions: BTreeMap<String, (String, Value)>,
    /// While set, every call answers 503 (the node is down for maintenance).
    pub down: bool,
    /// Every call received: method, path and status answered.
    pub calls: Vec<(String, String, u16)>,
}

/// The chain's next value after `uuid` completed.
pub fn next_hash(previous: &str, uuid: &str) -> String {
    commons_ledger::keys::Hash::sha256(&[previous.as_bytes(), b"|", uuid.as_bytes()]).to_hex()
}

pub type Book = Arc<Mutex<PeerBook>>;

fn errors(status: StatusCode, detail: &str) -> (StatusCode, Json<Value>) {
    (status, Json(json!({ "errors": [detail] })))
}

fn authorised(book: &PeerBook, headers: &HeaderMap, retry_of: Option<&str>) -> Result<(), String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let node = header("cc-node").ok_or("cc-node header is required.")?;
    let hash = header("last-hash").ok_or("last-hash header is required.")?;
    if node != book.caller {
        return Err(format!("cc-node {node:?} is not our node."));
    }
    let retried = retry_of.is_some_and(|uuid| uuid == book.last_uuid && hash == book.previous_hash);
    if hash != book.last_hash && !retried {
        return Err(format!(
            "value of last-hash header {hash:?} does not match our records."
        ));
    }
    Ok(())
}

fn quant_hundredths(value: &Value) -> Option<i64> {
    let text = value.to_string();
    let (whole, part) = text.split_once('.').unwrap_or((&text, ""));
    if part.len() > 2 {
        return None;
    }
    let part = format!("{part:0<2}");
    Some(whole.parse::<i64>().ok()? * 100 + part.parse::<i64>().ok()?)
}

async fn relay(
    State(book): State<Book>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let mut book = book.lock().expect("book");
    let answer = relay_in(&mut book, &headers, &body);
    book.calls.push((
        "POST".into(),
        "/transaction/relay".into(),
        answer.0.as_u16(),
    ));
    answer
}

fn relay_in(book: &mut PeerBook, headers: &HeaderMap, body: &Value) -> (StatusCode, Json<Value>) {
    if book.down {
        return errors(StatusCode::SERVICE_UNAVAILABLE, "down for maintenance");
    }
    if let Err(why) = authorised(book, headers, None) {
        return errors(StatusCode::UNAUTHORIZED, &why);
    }
    let Some(uuid) = body["uuid"].as_str().map(str::to_owned) else {
        return errors(StatusCode::BAD_REQUEST, "uuid is required");
    };
    if let Some((_, known)) = book.transactions.get(&uuid) {
        return if known == body {
            (
                StatusCode::OK,
                Json(json!({ "data": body["entries"], "meta": { "secs_valid_left": 300 } })),
            )
        } else {
            errors(StatusCode::CONFLICT, "this uuid is another transaction")
        };
    }
    let Some(entries) = body["entries"].as_array() else {
        return errors(StatusCode::BAD_REQUEST, "entries are required");
    };
    for entry in entries {
        let payee = entry["payee"].as_str().unwrap_or_default();
        if payee.starts_with(&format!("{}/", book.own_path)) && !book.balances.contains_key(payee) {
            return errors(StatusCode::BAD_REQUEST, &format!("no account {payee}"));
        }
        if quant_hundredths(&entry["quant"]).is_none_or(|q| q <= 0) {
            return errors(StatusCode::BAD_REQUEST, "quant must be above zero");
        }
    }
    book.transactions.insert(uuid, ("V".into(), body.clone()));
    (
        StatusCode::CREATED,
        Json(json!({ "data": body["entries"], "meta": { "secs_valid_left": 300 } })),
    )
}

async fn update(
    State(book): State<Book>,
    Path((uuid, state)): Path<(String, String)>,
    headers: HeaderMap,
) -> (StatusCode, Json<Value>) {
    let mut book = book.lock().expect("book");
    let answer = update_in(&mut book, &headers, &uuid, &state);
    book.calls.push((
        "PATCH".into(),
        format!("/transaction/{uuid}/{state}"),
        answer.0.as_u16(),
    ));
    answer
}

fn update_in(
    book: &mut PeerBook,
    headers: &HeaderMap,
    uuid: &str,
    state: &str,
) -> (StatusCode, Json<Value>) {
    if book.down {
        return errors(StatusCode::SERVICE_UNAVAILABLE, "down for maintenance");
    }
    if let Err(why) = authorised(book, headers, Some(uuid)) {
        return errors(StatusCode::UNAUTHORIZED, &why);
    }
    let Some((now, body)) = book.transactions.get(uuid).cloned() else {
        return errors(StatusCode::NOT_FOUND, &format!("Transfer {uuid} not found"));
    };
    match (now.as_str(), state) {
        (now, wanted) if now == wanted => {}
        ("V" | "P", "C") => {
            for entry in body["entries"].as_array().into_iter().flatten() {
                let quant = quant_hundredths(&entry["quant"]).unwrap_or(0);
                for (path, sign) in [(&entry["payer"], -1), (&entry["payee"], 1)] {
                    let path = path.as_str().unwrap_or_default().to_owned();
                    if let Some(balance) = book.balances.get_mut(&path) {
                        *balance += sign * quant;
                    }
                }
            }
            book.previous_hash = book.last_hash.clone();
            book.last_hash = next_hash(&book.last_hash, uuid);
            book.last_uuid = uuid.to_owned();
            book.transactions.get_mut(uuid).expect("known").0 = "C".into();
        }
        ("V" | "P", "E") => book.transactions.get_mut(uuid).expect("known").0 = "E".into(),
        _ => return errors(StatusCode::CONFLICT, "that state does not follow"),
    }
    (StatusCode::CREATED, Json(json!({})))
}

/// Starts the peer on a free loopback port; its API address (what a link names) and its book.
pub async fn start(
    own_path: &str,
    caller: &str,
    last_hash: &str,
    accounts: &[&str],
) -> (String, Book) {
    let book: Book = Arc::new(Mutex::new(PeerBook {
        caller: caller.into(),
        own_path: own_path.into(),
        last_hash: last_hash.into(),
        balances: accounts
            .iter()
            .map(|path| ((*path).to_owned(), 0))
            .collect(),
        ..PeerBook::default()
    }));
    let app = Router::new()
        .route("/cc/transaction/relay", post(relay))
        .route("/cc/transaction/{uuid}/{state}", patch(update))
        .with_state(book.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let address = format!("http://{}/cc", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (address, book)
}

/// The peer calls a circle here as its node: `method` on `path` under `/api/cc/{slug}`, with
/// its current `last-hash` (or `hash` when given).
pub async fn call(
    book: &Book,
    base: &str,
    slug: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
    hash: Option<&str>,
) -> (u16, Value) {
    let (node, last) = {
        let book = book.lock().expect("book");
        (book.own_path.clone(), book.last_hash.clone())
    };
    let mut request = reqwest::Client::new()
        .request(method, format!("{base}/api/cc/{slug}{path}"))
        .header("cc-node", node)
        .header("last-hash", hash.unwrap_or(&last));
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("the node answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// After the node here answered a completion, the peer moves its own chain the same way.
pub fn completed(book: &Book, uuid: &str) {
    let mut book = book.lock().expect("book");
    book.previous_hash = book.last_hash.clone();
    book.last_hash = next_hash(&book.last_hash, uuid);
    book.last_uuid = uuid.to_owned();
}
