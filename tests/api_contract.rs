//! The JSON API keeps its documented contract: schemathesis (property-based testing from the
//! OpenAPI document the node generates from its code and serves at `/api/v1/openapi.json`)
//! runs against the web space on port 0 with the demo circle and the node's default write
//! limit, as its steward with a token that may act, for a bounded time. The checks: no server error, only documented status codes
//! and content types, answers that match their schemas and documented headers, and every
//! request that breaks the schema refused with a 4xx. Any failure fails this test.
//!
//! Needs schemathesis in `tests/schemathesis/.venv` (`python3 -m venv tests/schemathesis/.venv
//! && tests/schemathesis/.venv/bin/pip install -r tests/schemathesis/requirements.txt`;
//! `.ci/run` does this), or its path in `SCHEMATHESIS`. `SCHEMATHESIS_MAX_TIME` (seconds,
//! default 150) bounds the run.

use std::path::{Path, PathBuf};
use std::process::Command;

use commons_tests::web::{Member, TestServer};
use commons_tests::TestDb;

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_schema_conformance,response_headers_conformance,negative_data_rejection";

fn schemathesis() -> PathBuf {
    let path = std::env::var_os("SCHEMATHESIS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis/.venv/bin/schemathesis"),
        PathBuf::from,
    );
    assert!(
        path.exists(),
        "schemathesis is missing at {}: run `python3 -m venv tests/schemathesis/.venv && \
         tests/schemathesis/.venv/bin/pip install -r tests/schemathesis/requirements.txt` \
         (see .ci/run)",
        path.display()
    );
    path
}

/// Logs the demo's steward in and makes an API token that may act in every circle.
async fn steward_token(server: &TestServer) -> String {
    let mut amara: Member = server.client();
    let page = amara
        .submit(
            "/login",
            "/login",
            &[
                ("username", "amara"),
                ("password", commons_web::demo::DEMO_PASSWORD),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let page = amara
        .submit(
            "/settings",
            "/settings/tokens",
            &[("label", "schemathesis"), ("scope", "act")],
        )
        .await;
    let marker = page
        .body
        .find("id=\"new-token\"")
        .expect("a new token is shown");
    let rest = &page.body[marker..];
    let start = rest.find("value=\"").expect("its value") + 7;
    rest[start..start + rest[start..].find('"').expect("its end")].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_contract_failure_in_the_api() {
    let schemathesis = schemathesis();
    let db = TestDb::sqlite();
    // The node's own write limit, as a real node runs: a write past it answers the documented
    // 429 (rate_limited, Retry-After).
    let server = TestServer::start_configured(&db.url, |config| {
        config.writes_per_minute = commons_web::WebConfig::default().writes_per_minute;
    })
    .await;
    assert!(commons_web::demo::plant(&server.state).await.expect("demo"));
    let token = steward_token(&server).await;
    let max_time = std::env::var("SCHEMATHESIS_MAX_TIME").unwrap_or_else(|_| "150".into());
    let report = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schemathesis");
    let url = server.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(schemathesis)
            .arg("run")
            .arg(format!("{url}/api/v1/openapi.json"))
            .args(["--checks", CHECKS])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--max-time", &max_time])
            // One worker: with two, CPython 3.11's `ast.parse` (which Hypothesis calls to
            // describe its filters) fails now and then across threads.
            .args(["--workers", "1"])
            .args(["--seed", "20261201"])
            .args(["--request-timeout", "30"])
            .args(["--report", "junit"])
            .arg("--report-dir")
            .arg(&report)
            .env("NO_COLOR", "1")
            .env("SCHEMATHESIS_TELEMETRY", "false")
            .output()
    })
    .await
    .expect("join")
    .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    server.stop().await;
    assert!(
        output.status.success(),
        "schemathesis found contract failures:\n{stdout}\n{stderr}"
    );
}
