//! Test helpers for the web space: a real server on port 0 and a cookie-keeping client that
//! fills forms like a member would.

use std::sync::Arc;

use commons_ledger::store::Store;
use commons_web::{AppState, WebConfig};

/// A running web space on a fresh database.
#[allow(missing_debug_implementations)]
pub struct TestServer {
    pub url: String,
    pub state: Arc<AppState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start(db_url: &str) -> TestServer {
        TestServer::start_with(db_url, false).await
    }

    /// A server as it runs behind HTTPS (`--secure-cookies`).
    pub async fn start_with(db_url: &str, cookies_secure: bool) -> TestServer {
        TestServer::start_configured(db_url, |config| config.cookies_secure = cookies_secure).await
    }

    /// A server with its configuration changed by `change` (after the tests' defaults).
    pub async fn start_configured(db_url: &str, change: impl FnOnce(&mut WebConfig)) -> TestServer {
        let store = Store::open(db_url).await.expect("store opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("port 0 binds");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let mut config = WebConfig {
            public_url: url.clone(),
            // Sessions idle on the node's one clock, which governance tests advance by days.
            session_idle_ms: 30 * 24 * 3600 * 1000,
            // Test clients fill public forms faster than people; one test keeps the minimum.
            form_fill_ms_min: 0,
            // Test clients write faster than people; one test keeps a small limit.
            writes_per_minute: 1_000_000,
            ..WebConfig::default()
        };
        change(&mut config);
        let state = AppState::new(store, config).await.expect("state");
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(commons_web::serve(state.clone(), listener, async move {
            let _ = stopped.await;
        }))
        .into_future_unit();
        TestServer {
            url,
            state,
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    /// Stops the server, waiting for requests in flight.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.state.services.store().close().await;
    }

    pub fn client(&self) -> Member {
        Member {
            base: self.url.clone(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .expect("client"),
            last_page: String::new(),
        }
    }
}

trait IntoUnit {
    fn into_future_unit(self) -> tokio::task::JoinHandle<()>;
}

impl IntoUnit for tokio::task::JoinHandle<anyhow::Result<()>> {
    fn into_future_unit(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            if let Ok(Err(error)) = self.await {
                panic!("the server failed: {error}");
            }
        })
    }
}

/// A person with a browser: keeps cookies, follows redirects, reads the CSRF token of the last
/// page it saw.
#[derive(Debug)]
pub struct Member {
    pub base: String,
    pub http: reqwest::Client,
    pub last_page: String,
}

/// A response as a member sees it.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub url: String,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Member {
    pub async fn get(&mut self, path: &str) -> Page {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let page = read(response).await;
        self.last_page = page.body.clone();
        page
    }

    /// The CSRF token in the last page seen.
    pub fn csrf(&self) -> String {
        csrf_in(&self.last_page).expect("the last page has a form with a CSRF token")
    }

    /// Submits a form like the browser would: with the CSRF token of the page it came from
    /// (fetched first from `from`).
    pub async fn submit(&mut self, from: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        self.get(from).await;
        let csrf = self.csrf();
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        // The form's hidden fields travel too, as a browser would send them.
        let hidden: Vec<(&str, String)> = ["idempotency_key", "token", "stamp"]
            .into_iter()
            .filter(|name| !fields.iter().any(|(given, _)| given == name))
            .filter_map(|name| hidden_in(&self.last_page, name).map(|value| (name, value)))
            .collect();
        for (name, value) in &hidden {
            form.push((name, value.as_str()));
        }
        form.extend_from_slice(fields);
        let response = self
            .http
            .post(format!("{}{action}", self.base))
            .form(&form)
            .send()
            .await
            .expect("POST");
        let page = read(response).await;
        self.last_page = page.body.clone();
        page
    }

    /// Posts a form without any CSRF token.
    pub async fn post_without_csrf(&mut self, action: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .http
            .post(format!("{}{action}", self.base))
            .form(fields)
            .send()
            .await
            .expect("POST");
        read(response).await
    }
}

async fn read(response: reqwest::Response) -> Page {
    Page {
        status: response.status().as_u16(),
        url: response.url().to_string(),
        headers: response.headers().clone(),
        body: response.text().await.expect("body"),
    }
}

/// The value of the first hidden field called `name` in a page.
pub fn hidden_in(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

pub fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let at = html.find(marker)? + marker.len();
    let end = html[at..].find('"')?;
    Some(html[at..at + end].to_owned())
}

/// The invitation link path (`/join/...`) shown on an invitations page.
pub fn invitation_path(html: &str) -> Option<String> {
    let at = html.find("/join/")?;
    let end = html[at..].find('"')?;
    Some(html[at..at + end].to_owned())
}

// ----- a circle to test in -----

pub const PASSWORD: &str = "a long enough password";

/// Sets the node up as Amara, steward of "garden" (floor -20, ceiling 40).
pub async fn set_up(server: &TestServer) -> Member {
    let mut amara = server.client();
    let page = amara.get("/").await;
    assert!(
        page.url.ends_with("/setup"),
        "a new node asks to be set up: {}",
        page.url
    );
    assert_eq!(
        page.status, 403,
        "only with the address the console printed"
    );
    let path = server
        .state
        .services
        .setup_path()
        .await
        .expect("setup path")
        .expect("a new node");
    let page = amara
        .submit(
            &path,
            "/setup",
            &[
                ("display_name", "Amara Okafor"),
                ("username", "amara"),
                ("password", PASSWORD),
                ("circle_name", "Garden Share"),
                ("slug", "garden"),
                ("unit_name", "hours"),
                ("unit_symbol", "h"),
                ("floor", "-20"),
                ("ceiling", "40"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.url.ends_with("/c/garden"), "{}", page.url);
    assert!(page.body.contains("Garden Share"));
    amara
}

/// The steward invites someone, who joins with the link; returns the newcomer's client.
pub async fn invite_and_join(
    server: &TestServer,
    steward: &mut Member,
    username: &str,
    name: &str,
) -> Member {
    let page = steward
        .submit(
            "/c/garden/invitations",
            "/c/garden/invitations",
            &[("note", name)],
        )
        .await;
    assert_eq!(page.status, 200);
    let link = invitation_path(&page.body).expect("the page shows the new link");
    let mut newcomer = server.client();
    let page = newcomer.get(&link).await;
    assert!(
        page.body.contains("Amara Okafor"),
        "the invitation says who invites"
    );
    assert!(
        page.body.contains("We treat each other with care"),
        "the agreements are shown"
    );
    let version = "1";
    // Without consent, nobody joins.
    let refused = newcomer
        .submit(
            &link,
            &link,
            &[
                ("display_name", name),
                ("username", username),
                ("password", PASSWORD),
                ("agreements_version", version),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("tick the box"));
    let page = newcomer
        .submit(
            &link,
            &link,
            &[
                ("display_name", name),
                ("username", username),
                ("password", PASSWORD),
                ("agreements_version", version),
                ("agree", "yes"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.url.ends_with("/c/garden/welcome"),
        "joined, logged in and welcomed: {}",
        page.url
    );
    // A link works once.
    let again = server.client().get(&link).await;
    assert_eq!(again.status, 410);
    newcomer
}

/// The node's admin (`steward`) starts a second circle, "River Swap" (`river`), and invites
/// `member`, who joins it too.
pub async fn join_second_circle(steward: &mut Member, member: &mut Member) {
    steward
        .submit(
            "/circles/new",
            "/circles/new",
            &[
                ("circle_name", "River Swap"),
                ("slug", "river"),
                ("unit_name", "hours"),
                ("unit_symbol", "h"),
                ("floor", "-10"),
                ("ceiling", "10"),
            ],
        )
        .await;
    let page = steward
        .submit(
            "/c/river/invitations",
            "/c/river/invitations",
            &[("note", "Ben")],
        )
        .await;
    let river_link = invitation_path(&page.body).expect("an invitation link");
    let page = member
        .submit(
            &river_link,
            &river_link,
            &[("agreements_version", "1"), ("agree", "yes")],
        )
        .await;
    assert!(
        page.url.ends_with("/c/river/welcome"),
        "{} {}",
        page.url,
        page.body
    );
}

/// Logs in through the login form.
pub async fn log_in(member: &mut Member, username: &str, password: &str) -> Page {
    member
        .submit(
            "/login",
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
}

/// The one-time link shown on a page (`/join/...` or `/recover/...`).
pub fn link_in(html: &str, prefix: &str) -> String {
    let at = html.find(prefix).expect("a link is shown");
    html[at..at + html[at..].find('"').expect("end")].to_owned()
}

/// A steward of `slug` makes a recovery link for `member`; returns its path.
pub async fn recovery_link(steward: &mut Member, slug: &str, member: &str) -> String {
    let page = steward
        .submit(
            &format!("/c/{slug}/steward"),
            &format!("/c/{slug}/steward/recovery"),
            &[("member", member)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    link_in(&page.body, "/recover/")
}

/// The API token a settings page shows once, after it was made.
pub fn token_in(html: &str) -> String {
    let marker = "id=\"new-token\"";
    let at = html.find(marker).expect("a new token is shown");
    let rest = &html[at..];
    let value = rest.find("value=\"").expect("value") + 7;
    rest[value..value + rest[value..].find('"').expect("end")].to_owned()
}
