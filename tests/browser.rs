//! Accessibility and keyboard checks in a real browser: starts the web space on port 0 with
//! the demo circle, then runs `tests/browser/check.mjs` (node + playwright-core + axe-core on
//! Debian's Chromium). The check fails on any axe violation (WCAG 2.1 A/AA and best practice)
//! on any page, as a member and as a steward, and if paying by keyboard alone does not work.
//!
//! Needs `apt-get install -y chromium` and `npm ci --prefix tests/browser` (`.ci/run` does both).

use std::path::Path;
use std::process::Command;

use commons_tests::web::TestServer;
use commons_tests::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_and_paying_works_by_keyboard() {
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "Chromium is missing: run `apt-get install -y chromium` (see .ci/run)"
    );
    assert!(
        browser_dir.join("node_modules/playwright-core").exists()
            && browser_dir.join("node_modules/axe-core").exists(),
        "playwright-core and axe-core are missing: run `npm ci --prefix tests/browser` (see .ci/run)"
    );
    let db = TestDb::sqlite();
    // Mail on (to a port nothing listens on: the demo's members give no address, so nothing is
    // sent), so the e-mail settings show their forms.
    let mail = commons_web::email::MailConfig::new("smtp://127.0.0.1:9", "Demo <demo@example.org>");
    let server =
        TestServer::start_configured(&db.url, move |config| config.mail = Some(mail)).await;
    assert!(commons_web::demo::plant(&server.state).await.expect("demo"));
    let url = server.url.clone();
    let dir = browser_dir.clone();
    let output = tokio::task::spawn_blocking(move || {
        let mut command = Command::new("node");
        command.arg("check.mjs").arg(&url).current_dir(&dir);
        if let Ok(shots) = std::env::var("SCREENSHOTS") {
            command.env("SCREENSHOTS", shots);
        }
        command.output()
    })
    .await
    .expect("join")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    server.stop().await;
    assert!(
        output.status.success(),
        "browser checks failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("0 violations"), "{stdout}");
}
