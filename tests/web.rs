//! End to end through the web space: the real server on port 0 and a fresh database, driven
//! like members would drive it (forms, cookies, redirects), on SQLite and PostgreSQL.

use commons_ledger::keys::SecretKey;
use commons_ledger::store::Store;
use commons_tests::both_backends;
use commons_tests::web::{
    invitation_path, invite_and_join, join_second_circle, link_in, log_in, recovery_link, set_up,
    token_in, Member, TestServer, PASSWORD,
};
use commons_web::custody::SEALED_BYTES;
use commons_web::services::NewCircle;
use sqlx::Row;

async fn entry_count(server: &TestServer) -> u64 {
    let store = &server.state.services.store();
    let info = store.circle("garden").await.expect("circle");
    store.latest_tree_head(&info).await.expect("head").tree_size
}

async fn members_walkthrough(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;

    // Log out and in again, as Ben would on another day.
    let page = ben.submit("/c/garden", "/logout", &[]).await;
    assert!(page.url.ends_with("/login"), "{}", page.url);
    assert!(page.body.contains("You are logged out"));
    let wrong = log_in(&mut ben, "ben", "not my password").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("The username or password is not right"));
    let page = log_in(&mut ben, "BEN", PASSWORD).await;
    assert!(page.url.ends_with("/c/garden"), "{}", page.url);

    // One field names whom Ben pays: the browser suggests the members as he types (no
    // JavaScript), and a whole name is understood as well as a username; a part of a name
    // pays nobody.
    let form = ben.get("/c/garden/pay").await;
    assert!(
        form.body
            .contains("<option value=\"amara\">Amara Okafor</option>"),
        "{}",
        form.body
    );
    assert!(
        !form.body.contains("name=\"find\""),
        "no second control for the same choice"
    );
    let part = ben
        .submit(
            "/c/garden/pay",
            "/c/garden/pay",
            &[("member", "Okafor"), ("amount", "1")],
        )
        .await;
    assert_eq!(part.status, 422);
    assert!(
        part.body.contains("There is no member with this username"),
        "{}",
        part.body
    );

    // Ben pays Amara; she sees it.
    let page = ben
        .submit(
            "/c/garden/pay",
            "/c/garden/pay",
            &[
                ("member", "amara"),
                ("amount", "2.50"),
                ("memo", "Sourdough starter"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("You paid 2.50 h to Amara Okafor"),
        "{}",
        page.body
    );
    assert!(page.body.contains("-2.50 h"));
    let home = amara.get("/c/garden").await;
    assert!(home.body.contains("from Ben Carter"));
    assert!(home.body.contains("Sourdough starter"));
    assert!(home.body.contains("2.50 h"));

    // Amara asks Ben for payment; Ben accepts; both balances move.
    let page = amara
        .submit(
            "/c/garden/request",
            "/c/garden/request",
            &[
                ("member", "ben"),
                ("amount", "1.25"),
                ("memo", "Bread for the party"),
            ],
        )
        .await;
    assert!(
        page.body.contains("You asked Ben Carter for 1.25 h"),
        "{}",
        page.body
    );
    let home = ben.get("/c/garden").await;
    assert!(home.body.contains("asks you for 1.25 h"));
    let seq = {
        let marker = "/c/garden/requests/";
        let at = home.body.find(marker).expect("an accept form") + marker.len();
        home.body[at..].split('/').next().expect("seq").to_owned()
    };
    // Amara reads the ledger (the node remembers the page) before Ben accepts...
    let rows_before = amara
        .get("/c/garden/ledger")
        .await
        .body
        .matches(r#"<li class="ledger-row">"#)
        .count();
    let page = ben
        .submit(
            "/c/garden",
            &format!("/c/garden/requests/{seq}/accept"),
            &[],
        )
        .await;
    // ...and sees his payment there at once after.
    let rows_after = amara
        .get("/c/garden/ledger")
        .await
        .body
        .matches(r#"<li class="ledger-row">"#)
        .count();
    assert_eq!(rows_after, rows_before + 1);
    assert!(
        page.body.contains("Paid. The request is settled."),
        "{}",
        page.body
    );
    assert!(page.body.contains("-3.75 h"));
    assert!(!page.body.contains("asks you for"));

    // Ben's statement, as CSV.
    let csv = ben.get("/c/garden/statement.csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 3, "{}", csv.body);
    assert!(lines[0].starts_with("Entry,Time,With,Memo,Amount (hours),Balance,Entry hash"));
    assert!(lines[1].contains("Amara Okafor") && lines[1].contains(",-2.50,-2.50,"));
    assert!(lines[2].contains(",-1.25,-3.75,"), "{}", lines[2]);

    // The ledger reads who and what, with one line saying all of it is signed; the signed
    // tree head is a link away.
    let ledger = ben.get("/c/garden/ledger").await;
    assert!(
        ledger
            .body
            .contains("entries are signed, each by its author"),
        "{}",
        ledger.body
    );
    assert!(ledger.body.contains("Ben Carter paid Amara Okafor"));
    let verify = ben.get("/c/garden/ledger/verify").await;
    assert!(
        verify.body.contains("Tree head signature verified"),
        "{}",
        verify.body
    );
    assert!(
        verify.body.contains("commons audit --statement"),
        "{}",
        verify.body
    );
    // Filtered by member and by kind, with paging links that keep the filter.
    let payments = ben.get("/c/garden/ledger?member=ben&kind=payments").await;
    assert!(
        payments.body.contains("Ben Carter paid Amara Okafor"),
        "{}",
        payments.body
    );
    assert!(
        !payments.body.contains("asked"),
        "requests are left out: {}",
        payments.body
    );
    let decisions = ben.get("/c/garden/ledger?kind=decisions").await;
    assert!(
        decisions.body.contains("No entries match."),
        "{}",
        decisions.body
    );
    let accounts = ben.get("/c/garden/ledger?kind=accounts").await;
    assert!(
        !accounts.body.contains("Ben Carter paid"),
        "{}",
        accounts.body
    );
    let nobody = ben.get("/c/garden/ledger?member=nobody-here").await;
    assert!(
        nobody.body.contains("Nobody called nobody-here"),
        "{}",
        nobody.body
    );
    let bad = ben.get("/c/garden/ledger?kind=%3Cscript%3E").await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(!bad.body.contains("<script>"));
    // The page is remembered until something in it changes: a new name shows at once to
    // everyone.
    let seen_by_amara = amara.get("/c/garden/ledger").await;
    assert!(seen_by_amara.body.contains("Ben Carter paid Amara Okafor"));
    let page = ben
        .submit(
            "/settings",
            "/settings/profile",
            &[("display_name", "Ben C."), ("bio", ""), ("language", "en")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let renamed = amara.get("/c/garden/ledger").await;
    assert!(
        renamed.body.contains("Ben C. paid Amara Okafor"),
        "{}",
        renamed.body
    );
    let page = ben
        .submit(
            "/settings",
            "/settings/profile",
            &[
                ("display_name", "Ben Carter"),
                ("bio", ""),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);

    // Paying beyond the floor: the limit message with the numbers, and nothing written.
    let before = entry_count(&server).await;
    let page = ben
        .submit(
            "/c/garden/pay",
            "/c/garden/pay",
            &[("member", "amara"), ("amount", "100")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("Not enough credit: your balance is -3.75 hours and your floor is -20.00 hours, so you can pay at most 16.25 hours."),
        "{}",
        page.body
    );
    assert!(page.body.contains("error-summary"));
    assert_eq!(
        entry_count(&server).await,
        before,
        "a refused payment writes nothing"
    );

    // Bad input is refused with a message and changes nothing.
    let page = ben
        .submit(
            "/c/garden/pay",
            "/c/garden/pay",
            &[("member", "amara"), ("amount", "1.234")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("up to 2 decimals"));
    let page = ben
        .submit(
            "/c/garden/pay",
            "/c/garden/pay",
            &[("member", "nobody"), ("amount", "1")],
        )
        .await;
    assert!(page.body.contains("There is no member with this username"));
    assert_eq!(entry_count(&server).await, before);

    // In Spanish, the same refusal reads in Spanish.
    ben.submit("/c/garden", "/language", &[("language", "es")])
        .await;
    let page = ben
        .submit(
            "/c/garden/pay",
            "/c/garden/pay",
            &[("member", "amara"), ("amount", "100")],
        )
        .await;
    assert!(
        page.body.contains("No hay crédito suficiente"),
        "{}",
        page.body
    );
    assert!(page.body.contains("lang=\"es\""));

    // Logout ends the session: the old cookie opens nothing.
    let cookie_jar_before = ben.get("/c/garden").await;
    assert_eq!(cookie_jar_before.status, 200);
    ben.submit("/c/garden", "/logout", &[]).await;
    let page = ben.get("/c/garden").await;
    assert!(page.url.contains("/login?next=/c/garden"), "{}", page.url);
    let sessions: i64 = sqlx::query(
        "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'ben'",
    )
    .fetch_one(server.state.services.store().pool())
    .await
    .expect("count")
    .try_get(0)
    .expect("int");
    assert_eq!(sessions, 0);

    // The ledger still audits clean.
    let report = server
        .state
        .services
        .store()
        .audit("garden", None, &|_| {})
        .await
        .expect("audit runs");
    assert!(report.faults.is_empty(), "{:?}", report.faults);
    server.stop().await;
}

async fn malformed_forms_and_links_answer_the_error_page(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    // A form without its required field: the translated error page, never plain text.
    let page = amara
        .submit("/c/garden/market", "/c/garden/market/1/status", &[])
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("<html"), "{}", page.body);
    assert!(
        page.body.contains("This form could not be read"),
        "{}",
        page.body
    );
    // A link whose query does not parse.
    let page = amara.get("/c/garden/ledger?before=yesterday").await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains("This link could not be read"),
        "{}",
        page.body
    );
    // A path part that is not a number is a page that does not exist.
    let page = amara.get("/c/garden/market/not-a-number").await;
    assert_eq!(page.status, 404, "{}", page.body);
    assert!(page.body.contains("<html"), "{}", page.body);
    server.stop().await;
}

async fn csrf_and_circle_walls(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;

    // Forms without a CSRF token, or with someone else's, are refused and change nothing.
    let before = entry_count(&server).await;
    let page = ben
        .post_without_csrf("/c/garden/pay", &[("member", "amara"), ("amount", "1")])
        .await;
    assert_eq!(page.status, 403);
    let amara_token = {
        amara.get("/c/garden/pay").await;
        amara.csrf()
    };
    let page = ben
        .post_without_csrf(
            "/c/garden/pay",
            &[
                ("csrf", amara_token.as_str()),
                ("member", "amara"),
                ("amount", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    let page = server
        .client()
        .post_without_csrf("/login", &[("username", "ben"), ("password", PASSWORD)])
        .await;
    assert_eq!(page.status, 403, "login forms are protected too");
    assert_eq!(entry_count(&server).await, before);

    // A second circle, Carol's, on the same node.
    let sign_up = commons_web::services::SignUp {
        username: "carol".into(),
        display_name: "Carol".into(),
        password: PASSWORD.into(),
        language: None,
    };
    create_second_circle(&server, &sign_up).await;
    let mut carol = server.client();
    let page = log_in(&mut carol, "carol", PASSWORD).await;
    assert!(page.url.ends_with("/c/hillside"), "{}", page.url);

    // Every page and action of circle A answers 404 to a member of circle B.
    let seq = "3";
    for path in [
        "/c/garden",
        "/c/garden/pay",
        "/c/garden/request",
        "/c/garden/ledger",
        "/c/garden/ledger/verify",
        "/c/garden/ledger?member=ben&kind=payments",
        "/c/garden/statement",
        "/c/garden/statement.csv",
        "/c/garden/members",
        "/c/garden/members/ben",
        "/c/garden/invitations",
        "/c/garden/steward",
        "/c/garden/steward/settings",
        "/c/garden/steward/audit",
    ] {
        let page = carol.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(!page.body.contains("Ben Carter"), "{path} leaks a name");
        assert!(
            !page.body.contains("Garden Share"),
            "{path} leaks the circle"
        );
    }
    for path in [
        "/c/garden/pay".to_owned(),
        "/c/garden/request".to_owned(),
        format!("/c/garden/requests/{seq}/accept"),
        format!("/c/garden/requests/{seq}/decline"),
        "/c/garden/invitations".to_owned(),
        "/c/garden/invitations/1/revoke".to_owned(),
        "/c/garden/steward/limits".to_owned(),
        "/c/garden/steward/pending/2/admit".to_owned(),
        "/c/garden/steward/settings".to_owned(),
        "/c/garden/steward/audit".to_owned(),
    ] {
        let page = carol
            .submit(
                "/c/hillside",
                &path,
                &[
                    ("member", "ben"),
                    ("amount", "1"),
                    ("floor", "-1"),
                    ("ceiling", "1"),
                ],
            )
            .await;
        assert_eq!(page.status, 404, "{path}");
    }
    // And a plain member is not a steward.
    let page = ben.get("/c/garden/steward").await;
    assert_eq!(page.status, 403);
    assert_eq!(entry_count(&server).await, before);

    // Only node admins start circles from the web.
    assert_eq!(ben.get("/circles/new").await.status, 403);
    let page = amara
        .submit(
            "/circles/new",
            "/circles/new",
            &[
                ("circle_name", "Riverside Tools"),
                ("slug", "tools"),
                ("unit_name", "credits"),
                ("unit_symbol", "cr"),
                ("floor", "-5"),
                ("ceiling", "5"),
            ],
        )
        .await;
    assert!(page.url.ends_with("/c/tools"), "{}", page.url);
    assert!(page.body.contains("Riverside Tools is ready"));
    let page = amara
        .submit(
            "/circles/new",
            "/circles/new",
            &[
                ("circle_name", "Again"),
                ("slug", "tools"),
                ("unit_name", "credits"),
                ("unit_symbol", "cr"),
                ("floor", "-5"),
                ("ceiling", "5"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("already exists"));
    assert_eq!(ben.get("/c/tools").await.status, 404);
    let circles = amara.get("/circles").await;
    assert!(circles.body.contains("Garden Share") && circles.body.contains("Riverside Tools"));

    // Pages carry the security headers.
    let page = ben.get("/c/garden").await;
    let csp = page.headers["content-security-policy"]
        .to_str()
        .expect("ascii");
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["referrer-policy"], "same-origin");
    assert!(page.body.contains("lang=\"en\""));
    assert!(
        !page.body.contains("http://") || !page.body.contains("<script"),
        "no outside resources"
    );
    server.stop().await;
}

/// Carol signs up as the node admin would set her up: founder and steward of "hillside".
async fn create_second_circle(server: &TestServer, sign_up: &commons_web::services::SignUp) -> i64 {
    let services = &server.state.services;
    // A person with a login and their own circle: the same services the pages use.
    let (user, sealing) = {
        let hash = commons_web::custody::hash_password(
            &commons_web::custody::Password::new_choice(&sign_up.password).expect("long"),
            services.kdf_cost(),
        )
        .expect("hash");
        let salt = commons_web::custody::new_seal_salt();
        let id = services
            .node_db()
            .create_user(&commons_web::db::NewUser {
                username: sign_up.username.clone(),
                display_name: sign_up.display_name.clone(),
                password_hash: hash,
                seal_salt: salt.to_vec(),
                language: None,
                is_node_admin: false,
                now_ms: commons_ledger::store::now_ms(),
            })
            .await
            .expect("user");
        let user = services
            .node_db()
            .user(id)
            .await
            .expect("read")
            .expect("exists");
        let sealing = commons_web::custody::SealingKey::derive(
            &commons_web::custody::Password::typed(&sign_up.password).expect("typed"),
            &salt,
            services.kdf_cost(),
        )
        .expect("kdf");
        (user, sealing)
    };
    let circle = NewCircle {
        slug: "hillside".into(),
        name: "Hillside Exchange".into(),
        unit_name: "credits".into(),
        unit_symbol: "cr".into(),
        floor: "-10".into(),
        ceiling: "10".into(),
        time_zone: String::new(),
    };
    services
        .create_circle(
            &user,
            &sealing,
            services.circle_spec(&circle).expect("spec"),
        )
        .await
        .expect("circle");
    user.id
}

async fn keys_and_sessions_are_not_stored_plain(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let _ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    let pool = server.state.services.store().pool();
    let rows = sqlx::query("SELECT account_key, sealed_key FROM memberships")
        .fetch_all(pool)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 2);
    for row in rows {
        let public: Vec<u8> = row.try_get("account_key").expect("key");
        let sealed: Vec<u8> = row.try_get("sealed_key").expect("sealed");
        assert_eq!(sealed.len(), SEALED_BYTES);
        // No 32 bytes of the stored blob are the secret key behind the account.
        for window in sealed.windows(32) {
            let seed: [u8; 32] = window.try_into().expect("32");
            assert_ne!(
                SecretKey::from_seed(seed).public_key().as_bytes().to_vec(),
                public,
                "a plain signing key is stored"
            );
        }
    }
    // Session cookies are stored only as hashes.
    let cookie_store = amara.get("/c/garden").await;
    assert_eq!(cookie_store.status, 200);
    let hashes: Vec<Vec<u8>> = sqlx::query("SELECT token_hash FROM sessions")
        .fetch_all(pool)
        .await
        .expect("rows")
        .iter()
        .map(|row| row.try_get(0).expect("bytes"))
        .collect();
    assert!(!hashes.is_empty());
    // Invitation links leave no usable secret behind once used.
    let sealed_left: i64 =
        sqlx::query("SELECT COUNT(*) FROM invitations WHERE sealed_key IS NOT NULL")
            .fetch_one(pool)
            .await
            .expect("count")
            .try_get(0)
            .expect("int");
    assert_eq!(sealed_left, 0);
    // The node's password hashes are argon2id.
    let hash: String = sqlx::query("SELECT password_hash FROM users WHERE username = 'ben'")
        .fetch_one(pool)
        .await
        .expect("row")
        .try_get(0)
        .expect("text");
    assert!(hash.starts_with("$argon2id$"));
    server.stop().await;
    // A fresh store on the same database (a restart) has no keys in memory.
    let store = Store::open(&db).await.expect("reopen");
    store.close().await;
}

/// The token shown once on the settings page after making one.

async fn api(
    member: &Member,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    csrf: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = member
        .http
        .request(method, format!("{}{path}", member.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(csrf) = csrf {
        request = request.header("x-csrf-token", csrf);
    }
    // A well-behaved client: every call that moves money carries a fresh Idempotency-Key
    // (the tests of the key itself send their own, or none).
    if path.ends_with("/payments") || path.ends_with("/payment-requests") {
        request = request.header(
            "idempotency-key",
            format!("test-{}", hex::encode(rand::random::<[u8; 12]>())),
        );
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("API call");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

async fn api_tokens_own_keys_and_walls(db: String) {
    use reqwest::Method;
    use serde_json::json;
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;

    // Ben makes a token for the command line; it is shown once.
    let page = ben
        .submit(
            "/settings",
            "/settings/tokens",
            &[("label", "my laptop"), ("scope", "act")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = token_in(&page.body);
    let (status, circles) = api(
        &ben,
        Method::GET,
        "/api/v1/circles",
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(circles["circles"][0]["slug"], "garden");
    let (status, circle) = api(
        &ben,
        Method::GET,
        "/api/v1/circles/garden",
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(circle["me"]["floor_minor"], -2000);
    assert_eq!(circle["decimals"], 2);
    let (status, _) = api(
        &ben,
        Method::GET,
        "/api/v1/circles",
        Some("not-a-token"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = api(
        &server.client(),
        Method::GET,
        "/api/v1/circles/garden",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);

    // With a token the node cannot sign for Ben (his key is sealed under his password).
    let (status, answer) = api(
        &ben,
        Method::POST,
        "/api/v1/circles/garden/payments",
        Some(&token),
        None,
        Some(json!({"member": "amara", "amount": "1"})),
    )
    .await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"]["code"], "sign_it_yourself");
    // In his logged-in session it can, but only with the CSRF header.
    let (status, _) = api(
        &ben,
        Method::POST,
        "/api/v1/circles/garden/payments",
        None,
        None,
        Some(json!({"member": "amara", "amount": "1"})),
    )
    .await;
    assert_eq!(status, 403);
    ben.get("/c/garden").await;
    let csrf = ben.csrf();
    let (status, paid) = api(
        &ben,
        Method::POST,
        "/api/v1/circles/garden/payments",
        None,
        Some(&csrf),
        Some(json!({"member": "amara", "amount": "1", "memo": "By the API"})),
    )
    .await;
    assert_eq!(status, 200, "{paid}");
    let (status, refused) = api(
        &ben,
        Method::POST,
        "/api/v1/circles/garden/payments",
        None,
        Some(&csrf),
        Some(json!({"member": "amara", "amount": "500"})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(refused["error"]["code"], "insufficient_credit");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("you can pay at most 19.00 hours"),
        "{refused}"
    );

    // Ben moves his account to a key he holds; from then on he signs himself.
    let own = SecretKey::generate();
    let page = ben
        .submit(
            "/settings",
            "/settings/own-key",
            &[
                ("circle", "garden"),
                ("public_key", &own.public_key().to_hex()),
                ("unlock_password", "wrong password"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "a wrong password moves nothing");
    let page = ben
        .submit(
            "/settings",
            "/settings/own-key",
            &[
                ("circle", "garden"),
                ("public_key", &own.public_key().to_hex()),
                ("unlock_password", PASSWORD),
            ],
        )
        .await;
    assert!(page.body.contains("now uses your own key"), "{}", page.body);
    let info = server
        .state
        .services
        .store()
        .circle("garden")
        .await
        .expect("circle");
    let amara_key: String = {
        let (_, members) = api(
            &ben,
            Method::GET,
            "/api/v1/circles/garden/members",
            Some(&token),
            None,
            None,
        )
        .await;
        members["members"]
            .as_array()
            .expect("list")
            .iter()
            .find(|m| m["username"] == "amara")
            .expect("amara")["account_key"]
            .as_str()
            .expect("hex")
            .to_owned()
    };
    let transfer = |key: &SecretKey, amount_minor: i64| {
        commons_ledger::entry::Request::signed(
            info.circle_id,
            key,
            commons_ledger::entry::Body::Transfer {
                payer: key.public_key(),
                payee: amara_key.parse().expect("key"),
                amount_minor,
                memo_hash: None,
                cause: commons_ledger::entry::Cause::Direct,
            },
        )
    };
    let signed = transfer(&own, 150);
    let body = json!({"request": hex::encode(&signed.bytes), "signature": hex::encode(signed.signature.0)});
    let (status, appended) = api(
        &ben,
        Method::POST,
        "/api/v1/circles/garden/entries",
        Some(&token),
        None,
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 200, "{appended}");
    // The same signed request again is answered, not applied twice.
    let (status, again) = api(
        &ben,
        Method::POST,
        "/api/v1/circles/garden/entries",
        Some(&token),
        None,
        Some(body),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["seq"], appended["seq"]);
    // No rotation onto a steward's key (the ledger's rule) or another member's (the node's).
    let rotate_onto = |new: commons_ledger::keys::PublicKey| {
        let signed = commons_ledger::entry::Request::signed(
            info.circle_id,
            &own,
            commons_ledger::entry::Body::RotateKey {
                old: own.public_key(),
                new,
            },
        );
        json!({"request": hex::encode(&signed.bytes), "signature": hex::encode(signed.signature.0)})
    };
    let amara_public: commons_ledger::keys::PublicKey = amara_key.parse().expect("key");
    let (status, answer) = api(
        &ben,
        Method::POST,
        "/api/v1/circles/garden/entries",
        Some(&token),
        None,
        Some(rotate_onto(amara_public)),
    )
    .await;
    assert_eq!(status, 422, "onto a steward's key: {answer}");
    let (status, answer) = api(
        &ben,
        Method::POST,
        "/api/v1/circles/garden/entries/batch",
        Some(&token),
        None,
        Some(json!({"entries": [rotate_onto(amara_public)]})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["error"]["code"], "invalid", "{answer}");
    // Someone else's key, a broken signature, and a payment beyond the floor are refused.
    let stranger = transfer(&SecretKey::generate(), 100);
    let (status, answer) = api(&ben, Method::POST, "/api/v1/circles/garden/entries", Some(&token), None, Some(json!({"request": hex::encode(&stranger.bytes), "signature": hex::encode(stranger.signature.0)}))).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (403, Some("not_your_key"))
    );
    let forged = transfer(&own, 100);
    let (status, answer) = api(
        &ben,
        Method::POST,
        "/api/v1/circles/garden/entries",
        Some(&token),
        None,
        Some(json!({"request": hex::encode(&forged.bytes), "signature": hex::encode([7u8; 64])})),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("bad_signature"))
    );
    let greedy = transfer(&own, 5000);
    let (status, answer) = api(&ben, Method::POST, "/api/v1/circles/garden/entries", Some(&token), None, Some(json!({"request": hex::encode(&greedy.bytes), "signature": hex::encode(greedy.signature.0)}))).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("insufficient_credit"))
    );
    // A batch: each request is answered on its own, in order, as if posted one by one.
    let wire = |signed: &commons_ledger::entry::SignedRequest| json!({"request": hex::encode(&signed.bytes), "signature": hex::encode(signed.signature.0)});
    let batch = json!({"entries": [
        wire(&transfer(&own, 20)),
        wire(&signed),
        wire(&stranger),
        wire(&greedy),
        wire(&transfer(&own, 30)),
    ]});
    let (status, answer) = api(
        &ben,
        Method::POST,
        "/api/v1/circles/garden/entries/batch",
        Some(&token),
        None,
        Some(batch),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let results = answer["results"].as_array().expect("results");
    assert_eq!(results.len(), 5, "{answer}");
    assert!(results[0]["seq"].as_u64().is_some(), "{answer}");
    assert_eq!(
        (results[1]["duplicate"].as_bool(), &results[1]["seq"]),
        (Some(true), &appended["seq"])
    );
    assert_eq!(results[2]["error"]["code"], "not_your_key");
    assert_eq!(results[3]["error"]["code"], "insufficient_credit");
    assert_eq!(
        results[4]["seq"].as_u64(),
        results[0]["seq"].as_u64().map(|seq| seq + 1),
        "{answer}"
    );
    let (status, answer) = api(
        &ben,
        Method::POST,
        "/api/v1/circles/garden/entries/batch",
        Some(&token),
        None,
        Some(json!({"entries": []})),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("batch_size"))
    );
    let (status, statement) = api(
        &ben,
        Method::GET,
        "/api/v1/circles/garden/statement",
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        statement["entries"].as_array().expect("list").len(),
        4,
        "{statement}"
    );

    // A member of another circle gets 404 from every API route of this one.
    create_second_circle(
        &server,
        &commons_web::services::SignUp {
            username: "carol".into(),
            display_name: "Carol".into(),
            password: PASSWORD.into(),
            language: None,
        },
    )
    .await;
    let mut carol = server.client();
    log_in(&mut carol, "carol", PASSWORD).await;
    let page = carol
        .submit(
            "/settings",
            "/settings/tokens",
            &[("label", "carol's"), ("scope", "act")],
        )
        .await;
    let carol_token = token_in(&page.body);
    for path in [
        "/api/v1/circles/garden",
        "/api/v1/circles/garden/members",
        "/api/v1/circles/garden/entries",
        "/api/v1/circles/garden/entries/1/proof",
        "/api/v1/circles/garden/statement",
        "/api/v1/circles/garden/requests",
    ] {
        let (status, _) = api(&carol, Method::GET, path, Some(&carol_token), None, None).await;
        assert_eq!(status, 404, "{path}");
    }
    for path in [
        "/api/v1/circles/garden/entries",
        "/api/v1/circles/garden/entries/batch",
        "/api/v1/circles/garden/payments",
        "/api/v1/circles/garden/payment-requests",
        "/api/v1/circles/garden/requests/3/accept",
        "/api/v1/circles/garden/requests/3/decline",
    ] {
        let (status, _) = api(
            &carol,
            Method::POST,
            path,
            Some(&carol_token),
            None,
            Some(json!({"member": "ben", "amount": "1", "request": "00", "signature": "00", "entries": []})),
        )
        .await;
        assert_eq!(status, 404, "{path}");
    }
    let (_, circles) = api(
        &carol,
        Method::GET,
        "/api/v1/circles",
        Some(&carol_token),
        None,
        None,
    )
    .await;
    assert_eq!(circles["circles"].as_array().expect("list").len(), 1);
    assert_eq!(circles["circles"][0]["slug"], "hillside");
    let report = server
        .state
        .services
        .store()
        .audit("garden", None, &|_| {})
        .await
        .expect("audit");
    assert!(report.faults.is_empty(), "{:?}", report.faults);
    server.stop().await;
}

async fn recovery_revocation_and_reconciliation(db: String) {
    use reqwest::Method;
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;

    // A refused join (the username is taken) leaves the link usable.
    let page = amara
        .submit(
            "/c/garden/invitations",
            "/c/garden/invitations",
            &[("note", "Dee")],
        )
        .await;
    let link = invitation_path(&page.body).expect("link");
    let mut dee = server.client();
    let fields = |username: &'static str| {
        vec![
            ("display_name", "Dee"),
            ("username", username),
            ("password", PASSWORD),
            ("agreements_version", "1"),
            ("agree", "yes"),
        ]
    };
    let page = dee.submit(&link, &link, &fields("amara")).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("This username is taken"));
    assert!(
        page.body
            .contains(r#"name="agree" value="yes" required checked"#),
        "sent back with an error, the consent stays given: {}",
        page.body
    );
    let page = dee.submit(&link, &link, &fields("dee")).await;
    assert!(
        page.url.ends_with("/c/garden/welcome"),
        "the link still worked: {}",
        page.url
    );

    // Revoking an unused steward link closes the account it opened; the link stops working.
    let before = entry_count(&server).await;
    let page = amara
        .submit(
            "/c/garden/invitations",
            "/c/garden/invitations",
            &[("note", "Eve")],
        )
        .await;
    let unused = invitation_path(&page.body).expect("link");
    let revoke_form = {
        let marker = "/c/garden/invitations/";
        let at = page.body.find(marker).expect("a revoke form");
        let rest = &page.body[at..];
        rest[..rest.find('"').expect("end")].to_owned()
    };
    let page = amara
        .submit("/c/garden/invitations", &revoke_form, &[])
        .await;
    assert!(
        page.body.contains("The invitation is revoked"),
        "{}",
        page.body
    );
    assert_eq!(server.client().get(&unused).await.status, 410);
    assert_eq!(
        entry_count(&server).await,
        before + 2,
        "open-account, then close-account"
    );

    // Dee forgets her password. Amara makes a recovery link; Dee chooses a new password.
    let page = amara
        .submit(
            "/c/garden/steward",
            "/c/garden/steward/recovery",
            &[("member", "dee")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let recover = link_in(&page.body, "/recover/");
    let mut dee_again = server.client();
    let page = dee_again.get(&recover).await;
    assert!(page.body.contains("Choose a new password"));
    let page = dee_again
        .submit(&recover, &recover, &[("password", "short")])
        .await;
    assert_eq!(page.status, 422, "a too-short password changes nothing");
    let page = dee_again
        .submit(&recover, &recover, &[("password", "a brand new password")])
        .await;
    assert!(page.url.ends_with("/c/garden"), "{}", page.url);
    assert!(page.body.contains("Your new password is set"));
    assert_eq!(
        server.client().get(&recover).await.status,
        410,
        "a recovery link works once"
    );
    // Her old session ended; the new password works, and signs. (The old one would take the
    // account back whole: see a_stewards_recovery_reaches_only_their_own_circle.)
    let page = dee.get("/c/garden").await;
    assert!(page.url.contains("/login"), "{}", page.url);
    let page = log_in(&mut dee, "dee", "a brand new password").await;
    assert!(page.url.ends_with("/c/garden"), "{}", page.url);
    let page = dee
        .submit(
            "/c/garden/pay",
            "/c/garden/pay",
            &[("member", "amara"), ("amount", "1")],
        )
        .await;
    assert!(
        page.body.contains("You paid 1.00 h to Amara Okafor"),
        "{}",
        page.body
    );
    let ledger = amara.get("/c/garden/ledger").await;
    assert!(
        ledger.body.contains("Dee moved to a new key"),
        "the rotations are public"
    );
    // Her login stays restricted to Garden until the 30 days in which her old password could
    // take the account back are over; then it is whole again (keys and tokens included).
    let page = dee
        .submit("/settings", "/settings/tokens", &[("label", "t")])
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    server
        .state
        .services
        .store()
        .advance_clock(30 * 24 * 3600 * 1000);
    assert_eq!(
        server.state.services.lift_recoveries().await.expect("lift"),
        1
    );
    log_in(&mut dee, "dee", "a brand new password").await;
    log_in(&mut amara, "amara", PASSWORD).await;

    // A steward's key can never be claimed as someone's own key.
    let amara_key = {
        let page = amara
            .submit("/settings", "/settings/tokens", &[("label", "t")])
            .await;
        let token = token_in(&page.body);
        let (_, circle) = api(
            &amara,
            Method::GET,
            "/api/v1/circles/garden",
            Some(&token),
            None,
            None,
        )
        .await;
        circle["me"]["account_key"]
            .as_str()
            .expect("key")
            .to_owned()
    };
    let page = dee
        .submit(
            "/settings",
            "/settings/own-key",
            &[
                ("circle", "garden"),
                ("public_key", &amara_key),
                ("unlock_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("not a usable public key"));

    // A member who rotates their own key outside the pages (API, command line) is followed.
    let first = SecretKey::generate();
    let page = dee
        .submit(
            "/settings",
            "/settings/own-key",
            &[
                ("circle", "garden"),
                ("public_key", &first.public_key().to_hex()),
                ("unlock_password", "a brand new password"),
            ],
        )
        .await;
    assert!(page.body.contains("now uses your own key"));
    let page = dee
        .submit(
            "/settings",
            "/settings/tokens",
            &[("label", "laptop"), ("scope", "act")],
        )
        .await;
    let token = token_in(&page.body);
    let second = SecretKey::generate();
    let info = server
        .state
        .services
        .store()
        .circle("garden")
        .await
        .expect("circle");
    let rotate = commons_ledger::entry::Request::signed(
        info.circle_id,
        &first,
        commons_ledger::entry::Body::RotateKey {
            old: first.public_key(),
            new: second.public_key(),
        },
    );
    let (status, _) = api(&dee, Method::POST, "/api/v1/circles/garden/entries", Some(&token), None, Some(serde_json::json!({"request": hex::encode(&rotate.bytes), "signature": hex::encode(rotate.signature.0)}))).await;
    assert_eq!(status, 200);
    let (status, circle) = api(
        &dee,
        Method::GET,
        "/api/v1/circles/garden",
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(circle["me"]["account_key"], second.public_key().to_hex());
    assert_eq!(
        circle["me"]["balance_minor"], -100,
        "the balance moved with the key"
    );
    let statement = dee.get("/c/garden/statement").await;
    assert!(
        statement.body.contains("to Amara Okafor"),
        "older entries stay on the statement"
    );

    let report = server
        .state
        .services
        .store()
        .audit("garden", None, &|_| {})
        .await
        .expect("audit");
    assert!(report.faults.is_empty(), "{:?}", report.faults);
    server.stop().await;
}

/// Posts the pay form as a browser would, with the CSRF token and idempotency key given.
async fn post_payment(member: &Member, csrf: &str, key: &str, amount: &str, memo: &str) -> u16 {
    member
        .http
        .post(format!("{}/c/garden/pay", member.base))
        .form(&[
            ("csrf", csrf),
            ("idempotency_key", key),
            ("member", "amara"),
            ("amount", amount),
            ("memo", memo),
        ])
        .send()
        .await
        .expect("POST")
        .status()
        .as_u16()
}

async fn a_retried_payment_never_pays_twice(db: String) {
    use reqwest::Method;
    use serde_json::json;
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    let balance = |server: &TestServer| {
        let store = server.state.services.store().clone();
        async move {
            let info = store.circle("garden").await.expect("circle");
            let accounts = store.accounts(&info).await.expect("accounts");
            accounts.iter().map(|a| a.balance_minor.abs()).sum::<i64>() / 2
        }
    };

    // The same form sent twice (a double click, a reload after a time-out): one payment.
    let page = ben.get("/c/garden/pay").await;
    let key = commons_tests::web::hidden_in(&page.body, "idempotency_key")
        .expect("the form carries a key");
    let csrf = ben.csrf();
    let before = entry_count(&server).await;
    assert_eq!(
        post_payment(&ben, &csrf, &key, "2", "Seeds, thank you").await,
        200
    );
    assert_eq!(
        post_payment(&ben, &csrf, &key, "2", "Seeds, thank you").await,
        200,
        "the retry is answered, not refused"
    );
    assert_eq!(entry_count(&server).await, before + 1);
    assert_eq!(balance(&server).await, 200);
    // A retry racing the first: still one payment.
    let page = ben.get("/c/garden/pay").await;
    let key = commons_tests::web::hidden_in(&page.body, "idempotency_key").expect("key");
    assert_ne!(key, "", "every form gets its own key");
    let (first, second) = tokio::join!(
        post_payment(&ben, &csrf, &key, "1", ""),
        post_payment(&ben, &csrf, &key, "1", "")
    );
    assert_eq!((first, second), (200, 200));
    assert_eq!(entry_count(&server).await, before + 2);
    assert_eq!(balance(&server).await, 300);
    // The same key with other details pays nothing more and says why.
    let page = ben
        .http
        .post(format!("{}/c/garden/pay", ben.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("idempotency_key", key.as_str()),
            ("member", "amara"),
            ("amount", "5"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(page.status().as_u16(), 422);
    let text = page.text().await.expect("body");
    assert!(
        text.contains("This form was already sent, with other details"),
        "{text}"
    );
    assert_eq!(entry_count(&server).await, before + 2);
    // Without a key (a form from before, or doctored), nothing is sent.
    assert_eq!(post_payment(&ben, &csrf, "", "1", "").await, 422);
    assert_eq!(post_payment(&ben, &csrf, "short", "1", "").await, 422);
    // Two forms are two payments: a member may pay the same twice on purpose.
    ben.submit(
        "/c/garden/pay",
        "/c/garden/pay",
        &[("member", "amara"), ("amount", "1")],
    )
    .await;
    ben.submit(
        "/c/garden/pay",
        "/c/garden/pay",
        &[("member", "amara"), ("amount", "1")],
    )
    .await;
    assert_eq!(entry_count(&server).await, before + 4);

    // The API: the Idempotency-Key header is required and answers the first entry.
    ben.get("/c/garden").await;
    let csrf = ben.csrf();
    let call = |key: Option<&'static str>| {
        let mut request = ben
            .http
            .request(
                Method::POST,
                format!("{}/api/v1/circles/garden/payments", ben.base),
            )
            .header("x-csrf-token", csrf.clone())
            .json(&json!({"member": "amara", "amount": "0.5"}));
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        async move {
            let response = request.send().await.expect("POST");
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.expect("json");
            (status, body)
        }
    };
    let (status, refused) = call(None).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["code"], "idempotency_key");
    let (status, first) = call(Some("0f9d6c3e-retry-of-one-payment")).await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = call(Some("0f9d6c3e-retry-of-one-payment")).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (again["seq"].clone(), again["hash"].clone()),
        (first["seq"].clone(), first["hash"].clone())
    );
    assert_eq!(again["duplicate"], true);
    assert_eq!(entry_count(&server).await, before + 5);

    // Accepting one payment request twice at the same moment pays once.
    amara
        .submit(
            "/c/garden/request",
            "/c/garden/request",
            &[("member", "ben"), ("amount", "1")],
        )
        .await;
    let home = ben.get("/c/garden").await;
    let marker = "/c/garden/requests/";
    let at = home.body.find(marker).expect("an accept form") + marker.len();
    let seq = home.body[at..].split('/').next().expect("seq").to_owned();
    let csrf = ben.csrf();
    let accept = || {
        ben.http
            .post(format!("{}/c/garden/requests/{seq}/accept", ben.base))
            .form(&[("csrf", csrf.as_str())])
            .send()
    };
    let before_accept = entry_count(&server).await;
    let (one, two) = tokio::join!(accept(), accept());
    let _ = (one.expect("POST"), two.expect("POST"));
    assert_eq!(
        entry_count(&server).await,
        before_accept + 1,
        "one transfer for one request"
    );
    let report = server
        .state
        .services
        .store()
        .audit("garden", None, &|_| {})
        .await
        .expect("audit");
    assert!(report.faults.is_empty(), "{:?}", report.faults);
    let _ = api;
    server.stop().await;
}

async fn api_tokens_are_keys_to_the_api_and_nothing_more(db: String) {
    use reqwest::Method;
    use serde_json::json;
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    // Amara, the node's admin, starts a second circle.
    let page = amara
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
    assert!(page.url.ends_with("/c/river"), "{} {}", page.url, page.body);

    // A token made without asking for more only reads.
    let page = ben
        .submit("/settings", "/settings/tokens", &[("label", "phone")])
        .await;
    let read = token_in(&page.body);
    assert!(page.body.contains("Read only"), "{}", page.body);
    assert!(
        page.body.contains("expires"),
        "the expiry is shown: {}",
        page.body
    );
    let (status, _) = api(
        &ben,
        Method::GET,
        "/api/v1/circles/garden",
        Some(&read),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, refused) = api(
        &ben,
        Method::POST,
        "/api/v1/circles/garden/payments",
        Some(&read),
        None,
        Some(json!({"member": "amara", "amount": "1"})),
    )
    .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["error"]["code"], "token_scope");

    // A token opens no page: not the circle, not the settings, and it can never mint, list or
    // revoke tokens.
    let with_token = |path: &str, method: Method| {
        ben.http
            .request(method, format!("{}{path}", ben.base))
            .bearer_auth(&read)
            .form(&[("label", "minted"), ("scope", "act")])
            .send()
    };
    for (path, method) in [
        ("/c/garden", Method::GET),
        ("/c/garden/pay", Method::GET),
        ("/settings", Method::GET),
        ("/settings/tokens", Method::POST),
        ("/circles", Method::GET),
        ("/notifications", Method::GET),
    ] {
        let answer = with_token(path, method.clone()).await.expect("request");
        assert_eq!(answer.status().as_u16(), 401, "{method} {path}");
        let body: serde_json::Value = answer.json().await.expect("the API's error envelope");
        assert_eq!(body["error"]["code"], "token_not_for_pages");
    }
    let page = ben.get("/settings/advanced").await;
    assert_eq!(
        page.body.matches("/revoke\"").count(),
        1,
        "nothing was minted: {}",
        page.body
    );

    // A token bound to one circle opens no other.
    let page = amara
        .submit(
            "/settings",
            "/settings/tokens",
            &[
                ("label", "garden only"),
                ("scope", "act"),
                ("circle", "garden"),
                ("days", "30"),
            ],
        )
        .await;
    assert!(page.body.contains("Only in Garden Share"), "{}", page.body);
    let garden_only = token_in(&page.body);
    let (status, circles) = api(
        &amara,
        Method::GET,
        "/api/v1/circles",
        Some(&garden_only),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        circles["circles"].as_array().map(Vec::len),
        Some(1),
        "{circles}"
    );
    let (status, _) = api(
        &amara,
        Method::GET,
        "/api/v1/circles/river",
        Some(&garden_only),
        None,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = api(
        &amara,
        Method::GET,
        "/api/v1/circles/river/entries",
        Some(&garden_only),
        None,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = api(
        &amara,
        Method::GET,
        "/api/v1/circles/garden/entries",
        Some(&garden_only),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    // A circle one is not in, and lifetimes outside 1 to 365 days, are refused.
    for fields in [
        [
            ("label", "x"),
            ("scope", "act"),
            ("circle", "river"),
            ("days", "30"),
        ],
        [
            ("label", "x"),
            ("scope", "act"),
            ("circle", ""),
            ("days", "0"),
        ],
        [
            ("label", "x"),
            ("scope", "act"),
            ("circle", ""),
            ("days", "366"),
        ],
        [
            ("label", "x"),
            ("scope", "admin"),
            ("circle", ""),
            ("days", "30"),
        ],
    ] {
        let page = ben.submit("/settings", "/settings/tokens", &fields).await;
        assert_eq!(page.status, 422, "{fields:?}");
    }

    // An expired token opens nothing.
    let page = ben
        .submit(
            "/settings",
            "/settings/tokens",
            &[("label", "old"), ("scope", "act")],
        )
        .await;
    let old = token_in(&page.body);
    sqlx::query("UPDATE api_tokens SET expires_at_ms = 1 WHERE label = 'old'")
        .execute(server.state.services.store().pool())
        .await
        .expect("age it");
    let (status, answer) = api(&ben, Method::GET, "/api/v1/circles", Some(&old), None, None).await;
    assert_eq!(status, 401, "{answer}");

    // A password change revokes every token.
    let page = ben
        .submit(
            "/settings",
            "/settings/tokens",
            &[("label", "laptop"), ("scope", "act")],
        )
        .await;
    let laptop = token_in(&page.body);
    let (status, _) = api(
        &ben,
        Method::GET,
        "/api/v1/circles",
        Some(&laptop),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let page = ben
        .submit(
            "/settings",
            "/settings/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a different long password"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    for token in [&read, &laptop] {
        let (status, _) = api(
            &ben,
            Method::GET,
            "/api/v1/circles",
            Some(token),
            None,
            None,
        )
        .await;
        assert_eq!(status, 401, "revoked with the password change");
    }
    server.stop().await;
}

/// A steward of `slug` makes a recovery link for `member`; returns the link's path.
async fn recovery_reaches_only_its_circle(db: String) {
    use reqwest::Method;
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    // Amara starts a second circle, River Swap, and Ben joins it too.
    join_second_circle(&mut amara, &mut ben).await;
    let page = ben
        .submit(
            "/settings",
            "/settings/tokens",
            &[("label", "laptop"), ("scope", "act")],
        )
        .await;
    let token = token_in(&page.body);

    // Node admins are out of reach of any circle's stewards.
    let page = amara
        .submit(
            "/c/garden/steward",
            "/c/garden/steward/recovery",
            &[("member", "amara")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("No circle&#39;s steward can recover")
            || page.body.contains("No circle's steward can recover"),
        "{}",
        page.body
    );

    // Garden's steward makes a link for Ben. Whoever follows it gets Garden, and nothing else.
    let link = recovery_link(&mut amara, "garden", "ben").await;
    let mut holder = server.client();
    let page = holder
        .submit(&link, &link, &[("password", "the holder's password")])
        .await;
    assert!(page.url.ends_with("/c/garden"), "{}", page.url);
    assert_eq!(holder.get("/c/garden/pay").await.status, 200);
    for path in [
        "/c/river",
        "/c/river/market",
        "/c/river/ledger",
        "/c/river/proposals",
        "/api/v1/circles/river",
    ] {
        assert_eq!(holder.get(path).await.status, 404, "{path}");
    }
    let circles = holder.get("/circles").await;
    assert!(!circles.body.contains("River Swap"), "{}", circles.body);
    let settings = holder.get("/settings/advanced").await;
    assert!(!settings.body.contains("River Swap"), "{}", settings.body);
    assert!(
        !settings
            .body
            .contains("A new password was chosen with a recovery link"),
        "the recovered login does not read the person's security activity: {}",
        settings.body
    );
    for room in ["/settings/advanced", "/settings/account"] {
        let page = holder.get(room).await;
        assert!(
            page.body
                .contains("opens only the circles that recovered it"),
            "{room}: {}",
            page.body
        );
    }
    let notes = holder.get("/notifications").await;
    assert!(!notes.body.contains("River Swap"), "{}", notes.body);
    let page = holder
        .submit(
            "/settings",
            "/settings/tokens",
            &[("label", "mine now"), ("scope", "act")],
        )
        .await;
    assert_eq!(page.status, 403, "no tokens for a recovered login");
    assert_eq!(holder.get("/circles/new").await.status, 403);
    let page = amara
        .submit(
            "/c/river/invitations",
            "/c/river/invitations",
            &[("note", "again")],
        )
        .await;
    let another = invitation_path(&page.body).expect("link");
    let page = holder
        .submit(
            &another,
            &another,
            &[("agreements_version", "1"), ("agree", "yes")],
        )
        .await;
    assert_eq!(page.status, 422, "joins no other circle in Ben's name");
    // Every session and token of Ben's ended.
    assert!(ben.get("/c/garden").await.url.contains("/login"));
    let (status, _) = api(
        &ben,
        Method::GET,
        "/api/v1/circles",
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);

    // The real Ben logs in with the password he had: the account is his again, whole, and
    // whoever held the link is logged out.
    let page = log_in(&mut ben, "ben", PASSWORD).await;
    assert!(
        page.body.contains("Your account is yours again"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Amara Okafor"),
        "who made the recovery: {}",
        page.body
    );
    assert!(
        holder.get("/c/garden").await.url.contains("/login"),
        "the holder is out"
    );
    assert_eq!(
        log_in(&mut holder, "ben", "the holder's password")
            .await
            .status,
        401
    );
    assert_eq!(ben.get("/c/river").await.status, 200);
    let notes = ben.get("/notifications").await;
    assert_eq!(
        notes
            .body
            .matches("A steward recovered your account")
            .count(),
        2,
        "told in every circle: {}",
        notes.body
    );
    let settings = ben.get("/settings/account").await;
    assert!(
        settings.body.contains("Garden Share: by Amara Okafor"),
        "{}",
        settings.body
    );
    // His key in Garden moved on under the holder's password: Garden's stewards must help.
    let page = ben
        .submit(
            "/c/garden/pay",
            "/c/garden/pay",
            &[("member", "amara"), ("amount", "1")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);

    // A real recovery: Ben forgot his password. Garden's link restricts him to Garden; River's
    // stewards then confirm him with the password he chose, and everything opens again.
    let link = recovery_link(&mut amara, "garden", "ben").await;
    let mut ben = server.client();
    let page = ben
        .submit(&link, &link, &[("password", "my new password")])
        .await;
    assert!(page.url.ends_with("/c/garden"), "{}", page.url);
    assert!(
        page.body.contains("Your new password is set"),
        "{}",
        page.body
    );
    let page = ben
        .submit(
            "/c/garden/pay",
            "/c/garden/pay",
            &[("member", "amara"), ("amount", "1")],
        )
        .await;
    assert!(page.body.contains("You paid 1.00 h"), "{}", page.body);
    assert_eq!(ben.get("/c/river").await.status, 404);
    let link = recovery_link(&mut amara, "river", "ben").await;
    let page = ben.get(&link).await;
    assert!(page.body.contains("Confirm it is you"), "{}", page.body);
    let page = ben
        .submit(&link, &link, &[("password", "a wrong password")])
        .await;
    assert_eq!(page.status, 422, "a wrong password opens nothing");
    let page = ben
        .submit(&link, &link, &[("password", "my new password")])
        .await;
    assert!(page.url.ends_with("/c/river"), "{}", page.url);
    assert_eq!(ben.get("/c/garden").await.status, 200);
    // Every circle helped him back, but the account changes hands only once the 30 days in
    // which his forgotten password could still take it back are over.
    let page = ben
        .submit(
            "/settings",
            "/settings/tokens",
            &[("label", "laptop"), ("scope", "act")],
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    server
        .state
        .services
        .store()
        .advance_clock(30 * 24 * 3600 * 1000);
    assert_eq!(
        server.state.services.lift_recoveries().await.expect("lift"),
        1
    );
    log_in(&mut ben, "ben", "my new password").await;
    let page = ben
        .submit(
            "/settings",
            "/settings/tokens",
            &[("label", "laptop"), ("scope", "act")],
        )
        .await;
    assert_eq!(page.status, 200, "his account is whole");
    server.stop().await;
}

async fn password_checks_are_limited_everywhere(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    // Guessing through the password-change form is limited like a login.
    let mut refused_at = None;
    for attempt in 1..=12 {
        let page = ben
            .submit(
                "/settings",
                "/settings/password",
                &[
                    ("current_password", "a wrong guess"),
                    ("new_password", "whatever it is long"),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{}", page.body);
        if page.body.contains("Too many password attempts") {
            refused_at = Some(attempt);
            break;
        }
        assert!(
            page.body.contains("is not right") || page.body.contains("wrong"),
            "{}",
            page.body
        );
    }
    assert_eq!(refused_at, Some(11), "ten checks a minute, then none");
    // Now even the right password waits, and so does every other door: giving up the node-held
    // key, and logging in.
    let page = ben
        .submit(
            "/settings",
            "/settings/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "whatever it is long"),
            ],
        )
        .await;
    assert!(
        page.body.contains("Too many password attempts"),
        "{}",
        page.body
    );
    let page = ben
        .submit(
            "/settings",
            "/settings/own-key",
            &[
                ("circle", "garden"),
                ("public_key", &SecretKey::generate().public_key().to_hex()),
                ("unlock_password", PASSWORD),
            ],
        )
        .await;
    assert!(
        page.body.contains("Too many password attempts"),
        "{}",
        page.body
    );
    let mut again = server.client();
    assert_eq!(log_in(&mut again, "ben", PASSWORD).await.status, 429);
    server.stop().await;
}

async fn audits_run_on_request_never_on_a_view(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    // Looking runs nothing.
    let page = amara.get("/c/garden/steward/audit").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("No audit has run"), "{}", page.body);
    // A member who is not a steward can neither look nor run one.
    assert_eq!(ben.get("/c/garden/steward/audit").await.status, 403);
    assert_eq!(
        ben.submit("/c/garden", "/c/garden/steward/audit", &[])
            .await
            .status,
        403
    );
    // A steward runs it; asking again within the minute answers the same result.
    let page = amara
        .submit("/c/garden/steward/audit", "/c/garden/steward/audit", &[])
        .await;
    assert!(page.body.contains("The ledger is intact"), "{}", page.body);
    assert!(
        page.body.contains("asked for by Amara Okafor"),
        "{}",
        page.body
    );
    let first = page.body.clone();
    let again = amara
        .submit("/c/garden/steward/audit", "/c/garden/steward/audit", &[])
        .await;
    let when = |body: &str| {
        body.split("Last audit: ")
            .nth(1)
            .map(|rest| rest[..20].to_owned())
    };
    assert_eq!(
        when(&again.body),
        when(&first),
        "no second run within the minute"
    );
    server.stop().await;
}

async fn page_views_write_no_membership(db: String) {
    use reqwest::Method;
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut cleo = invite_and_join(&server, &mut amara, "cleo", "Cleo Park").await;
    let pool = server.state.services.store().pool().clone();
    let status_of = |name: &'static str| {
        let pool = pool.clone();
        async move {
            let row = sqlx::query("SELECT m.status FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = $1")
                .bind(name)
                .fetch_one(&pool)
                .await
                .expect("membership");
            row.try_get::<String, _>(0).expect("status")
        }
    };
    // Cleo moves to a key she holds, then closes her account with it through the API.
    let own = SecretKey::generate();
    let page = cleo
        .submit(
            "/settings",
            "/settings/own-key",
            &[
                ("circle", "garden"),
                ("public_key", &own.public_key().to_hex()),
                ("unlock_password", PASSWORD),
            ],
        )
        .await;
    assert!(page.body.contains("now uses your own key"), "{}", page.body);
    let page = cleo
        .submit(
            "/settings",
            "/settings/tokens",
            &[("label", "cli"), ("scope", "act")],
        )
        .await;
    let token = token_in(&page.body);
    let info = server
        .state
        .services
        .store()
        .circle("garden")
        .await
        .expect("circle");
    let close = commons_ledger::entry::Request::signed(
        info.circle_id,
        &own,
        commons_ledger::entry::Body::CloseAccount {
            account: own.public_key(),
        },
    );
    let (status, answer) = api(&cleo, Method::POST, "/api/v1/circles/garden/entries", Some(&token), None, Some(serde_json::json!({"request": hex::encode(&close.bytes), "signature": hex::encode(close.signature.0)}))).await;
    assert_eq!(status, 200, "{answer}");
    // Her pages answer 404 at once; looking writes nothing.
    assert_eq!(cleo.get("/c/garden").await.status, 404);
    assert_eq!(
        status_of("cleo").await,
        "active",
        "a page view wrote nothing"
    );
    // The node's job brings the row up to date.
    assert_eq!(
        server
            .state
            .services
            .reconcile_memberships()
            .await
            .expect("reconcile"),
        1
    );
    assert_eq!(status_of("cleo").await, "left");
    assert_eq!(
        server
            .state
            .services
            .reconcile_memberships()
            .await
            .expect("again"),
        0
    );

    // An admission a crash interrupted (no account opened, decided long ago) goes back to
    // pending; nobody is ever active without an open account.
    sqlx::query("UPDATE memberships SET status = 'admitting', decided_at_ms = 1 WHERE user_id = (SELECT id FROM users WHERE username = 'cleo')")
        .execute(&pool)
        .await
        .expect("interrupted");
    let (user, circle): (i64, i64) = {
        let row = sqlx::query("SELECT user_id, circle FROM memberships WHERE status = 'admitting'")
            .fetch_one(&pool)
            .await
            .expect("row");
        (
            row.try_get(0).expect("user"),
            row.try_get(1).expect("circle"),
        )
    };
    let fresh = SecretKey::generate();
    sqlx::query("UPDATE memberships SET account_key = $1 WHERE user_id = $2 AND circle = $3")
        .bind(fresh.public_key().as_bytes().to_vec())
        .bind(user)
        .bind(circle)
        .execute(&pool)
        .await
        .expect("a key with no account");
    assert_eq!(
        server
            .state
            .services
            .reconcile_memberships()
            .await
            .expect("reconcile"),
        1
    );
    assert_eq!(status_of("cleo").await, "pending");
    server.stop().await;
}

async fn setup_needs_the_printed_token_and_happens_once(db: String) {
    let server = TestServer::start(&db).await;
    let mut first = server.client();
    // A visitor without the address the console printed cannot take the node.
    let page = first.get("/setup").await;
    assert_eq!(page.status, 403);
    assert!(
        page.body
            .contains("Open the address that commons serve printed"),
        "{}",
        page.body
    );
    let fields = |username: &'static str| {
        vec![
            ("display_name", "Someone"),
            ("username", username),
            ("password", PASSWORD),
            ("circle_name", "Taken Circle"),
            ("slug", "taken"),
            ("unit_name", "hours"),
            ("unit_symbol", "h"),
            ("floor", "-20"),
            ("ceiling", "40"),
        ]
    };
    let mut guessed = fields("mallory");
    guessed.push(("token", "00"));
    let page = first.submit("/login", "/setup", &guessed).await;
    assert_eq!(page.status, 403);
    assert!(
        server.state.services.is_new_node().await.expect("new"),
        "nothing was written"
    );
    // Two people with the right address at the same moment: one node admin.
    let path = server
        .state
        .services
        .setup_path()
        .await
        .expect("path")
        .expect("new node");
    let token = path.trim_start_matches("/setup?token=").to_owned();
    let mut a = server.client();
    let mut b = server.client();
    a.get(&path).await;
    b.get(&path).await;
    let post = |member: &Member, username: &'static str| {
        let mut form: Vec<(String, String)> = fields(username)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        form.push(("token".into(), token.clone()));
        form.push(("csrf".into(), member.csrf()));
        member
            .http
            .post(format!("{}/setup", member.base))
            .form(&form)
            .send()
    };
    let (one, two) = tokio::join!(post(&a, "ana"), post(&b, "bo"));
    let statuses = [
        one.expect("POST").status().as_u16(),
        two.expect("POST").status().as_u16(),
    ];
    assert!(statuses.contains(&403), "{statuses:?}");
    let admins: i64 = sqlx::query("SELECT COUNT(*) FROM users WHERE is_node_admin = 1")
        .fetch_one(server.state.services.store().pool())
        .await
        .expect("count")
        .try_get(0)
        .expect("count");
    assert_eq!(admins, 1, "one node admin, whatever the timing");
    assert_eq!(
        server.state.services.setup_path().await.expect("path"),
        None
    );
    server.stop().await;
}

async fn names_cannot_hide_or_imitate(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    // A name with a right-to-left override (it would read "Amara" then a reversed word) is
    // refused at the door.
    let page = amara
        .submit(
            "/c/garden/invitations",
            "/c/garden/invitations",
            &[("note", "x")],
        )
        .await;
    let link = invitation_path(&page.body).expect("link");
    let mut mallory = server.client();
    let page = mallory
        .submit(
            &link,
            &link,
            &[
                ("display_name", "Amara\u{202E}drawets"),
                ("username", "mallory"),
                ("password", PASSWORD),
                ("agreements_version", "1"),
                ("agree", "yes"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    // A name that only looks like the steward's (a Cyrillic А) gets in, and the stewards see it.
    let _twin = invite_and_join(&server, &mut amara, "twin", "\u{0410}mara Okafor").await;
    let page = amara.get("/c/garden/steward").await;
    assert!(
        page.body.contains("Names that look like a steward"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("(@twin) looks like Amara Okafor"),
        "{}",
        page.body
    );
    // An honest name is not flagged.
    let _ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    let page = amara.get("/c/garden/steward").await;
    assert!(!page.body.contains("(@ben)"), "{}", page.body);
    server.stop().await;
}

async fn cookies_behind_https_are_host_only(db: String) {
    let plain = TestServer::start(&db).await;
    let answer = reqwest::get(format!("{}/login", plain.url))
        .await
        .expect("GET");
    assert!(
        answer.headers().get("strict-transport-security").is_none(),
        "no HSTS over plain HTTP"
    );
    plain.stop().await;

    let server = TestServer::start_with(&db, true).await;
    let path = server
        .state
        .services
        .setup_path()
        .await
        .expect("path")
        .expect("new");
    let token = path.trim_start_matches("/setup?token=").to_owned();
    let sign_up = commons_web::services::SignUp {
        username: "amara".into(),
        display_name: "Amara Okafor".into(),
        password: PASSWORD.into(),
        language: None,
    };
    let circle = NewCircle {
        slug: "garden".into(),
        name: "Garden Share".into(),
        unit_name: "hours".into(),
        unit_symbol: "h".into(),
        floor: "-20".into(),
        ceiling: "40".into(),
        time_zone: String::new(),
    };
    server
        .state
        .services
        .set_up_node(&token, &sign_up, &circle)
        .await
        .expect("set up");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = http
        .get(format!("{}/login", server.url))
        .send()
        .await
        .expect("GET");
    assert_eq!(
        page.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000")
    );
    let anon = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a cookie")
        .to_owned();
    assert!(
        anon.starts_with("__Host-commons_anon=")
            && anon.contains("; Secure")
            && anon.contains("Path=/"),
        "{anon}"
    );
    let anon_pair = anon.split(';').next().expect("pair").to_owned();
    let body = page.text().await.expect("body");
    let csrf = commons_tests::web::csrf_in(&body).expect("csrf");
    let login = http
        .post(format!("{}/login", server.url))
        .header("cookie", &anon_pair)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "amara"),
            ("password", PASSWORD),
            ("next", "/settings"),
        ])
        .send()
        .await
        .expect("POST");
    let session = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-commons_session="))
        .expect("a host-only session cookie")
        .to_owned();
    assert!(session.contains("; Secure"), "{session}");
    let pair = session.split(';').next().expect("pair");
    let settings = http
        .get(format!("{}/settings", server.url))
        .header("cookie", pair)
        .send()
        .await
        .expect("GET");
    assert_eq!(settings.status().as_u16(), 200);
    assert!(settings
        .text()
        .await
        .expect("body")
        .contains("Amara Okafor"));
    // The same session under the unprefixed name (a cookie a sibling site could have planted)
    // is not read.
    let value = pair.trim_start_matches("__Host-commons_session=");
    let planted = http
        .get(format!("{}/settings", server.url))
        .header("cookie", format!("commons_session={value}"))
        .send()
        .await
        .expect("GET");
    assert_ne!(planted.status().as_u16(), 200);
    server.stop().await;
}

async fn a_flood_of_requests_to_join_is_capped_and_declined_together(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    // Amara opens the circle to requests.
    let info = server
        .state
        .services
        .store()
        .circle("garden")
        .await
        .expect("circle");
    let mut settings = server
        .state
        .services
        .node_db()
        .circle_settings(info.row_id)
        .await
        .expect("read")
        .expect("settings");
    settings.open_to_requests = true;
    server
        .state
        .services
        .node_db()
        .save_circle_settings(info.row_id, &settings, 1)
        .await
        .expect("save");
    // A bot filled the waiting room up to one place short of the cap (oldest first: flood-0).
    let pool = server.state.services.store().pool().clone();
    let cap = commons_web::services::PENDING_PER_CIRCLE_MAX;
    commons_tests::fill_waiting_room(&pool, info.row_id, cap - 1).await;
    // Who waits is the stewards' to know: the ledger's filter does not tell a member.
    let probe = amara.get("/c/garden/ledger?member=flood-0").await;
    assert!(
        probe.body.contains("Nobody called flood-0"),
        "{}",
        probe.body
    );
    let ask = |username: &'static str| {
        vec![
            ("display_name", "Real Person"),
            ("username", username),
            ("password", PASSWORD),
            ("agreements_version", "1"),
            ("agree", "yes"),
            ("message", "Hello!"),
        ]
    };
    let mut real = server.client();
    let page = real
        .submit("/ask/garden", "/ask/garden", &ask("real"))
        .await;
    assert_eq!(page.status, 200, "the last place: {}", page.body);
    let mut late = server.client();
    let page = late
        .submit("/ask/garden", "/ask/garden", &ask("late"))
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("Many people are already waiting"),
        "{}",
        page.body
    );
    // The stewards see the oldest first, and decline the flood in one go.
    let page = amara.get("/c/garden/steward").await;
    let first = page.body.find("Flood 0").expect("flood 0");
    let later = page
        .body
        .find("Flood 1<")
        .or_else(|| page.body.find("Flood 1 "))
        .expect("flood 1");
    assert!(first < later, "oldest first");
    let ids: Vec<i64> = sqlx::query("SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username LIKE 'flood-%'")
        .fetch_all(&pool)
        .await
        .expect("ids")
        .iter()
        .map(|row| row.try_get(0).expect("id"))
        .collect();
    let mut form: Vec<(String, String)> = vec![("csrf".into(), amara.csrf())];
    form.extend(ids.iter().map(|id| ("user".to_owned(), id.to_string())));
    let answer = amara
        .http
        .post(format!("{}/c/garden/steward/pending/decline", amara.base))
        .form(&form)
        .send()
        .await
        .expect("POST");
    let body = answer.text().await.expect("body");
    assert!(
        body.contains(&format!("{} requests declined", cap - 1)),
        "{body}"
    );
    assert!(
        body.contains("Real Person"),
        "the real request stays: {body}"
    );
    // A member who is not a steward declines nobody.
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    ben.get("/c/garden").await;
    let form = vec![
        ("csrf".to_owned(), ben.csrf()),
        ("user".to_owned(), "1".to_owned()),
    ];
    let answer = ben
        .http
        .post(format!("{}/c/garden/steward/pending/decline", ben.base))
        .form(&form)
        .send()
        .await
        .expect("POST");
    assert_eq!(answer.status().as_u16(), 403);
    server.stop().await;
}

async fn api_rejections_use_the_envelope(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    let page = ben
        .submit(
            "/settings",
            "/settings/tokens",
            &[("label", "cli"), ("scope", "act")],
        )
        .await;
    let token = token_in(&page.body);
    let url = |path: &str| format!("{}{path}", server.url);
    let envelope = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body: serde_json::Value = response.json().await.expect("a JSON body");
        assert!(kind.starts_with("application/json"), "{kind}");
        assert!(body["error"]["message"].is_string(), "{body}");
        (
            status,
            body["error"]["code"].as_str().unwrap_or("").to_owned(),
        )
    };
    let http = &ben.http;
    let payments = url("/api/v1/circles/garden/payments");
    let broken = http
        .post(&payments)
        .bearer_auth(&token)
        .header("idempotency-key", "envelope-test-0001")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("POST");
    assert_eq!(envelope(broken).await, (400, "malformed".to_owned()));
    let plain = http
        .post(&payments)
        .bearer_auth(&token)
        .header("idempotency-key", "envelope-test-0002")
        .body("member=amara")
        .send()
        .await
        .expect("POST");
    assert_eq!(
        envelope(plain).await,
        (415, "unsupported_media_type".to_owned())
    );
    let missing = http
        .post(&payments)
        .bearer_auth(&token)
        .header("idempotency-key", "envelope-test-0003")
        .json(&serde_json::json!({"amount": 5}))
        .send()
        .await
        .expect("POST");
    assert_eq!(envelope(missing).await, (422, "invalid".to_owned()));
    // A body's fields given as an array (which serde alone would take) are refused.
    let array = http
        .post(url("/api/v1/circles/garden/listings/1/deals"))
        .bearer_auth(&token)
        .json(&serde_json::json!([]))
        .send()
        .await
        .expect("POST");
    assert_eq!(envelope(array).await, (422, "invalid".to_owned()));
    let bad_path = http
        .get(url("/api/v1/circles/garden/entries/not-a-number/proof"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_eq!(envelope(bad_path).await, (404, "not_found".to_owned()));
    let nowhere = http
        .get(url("/api/v1/nothing-here"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_eq!(envelope(nowhere).await, (404, "not_found".to_owned()));
    let bad_query = http
        .get(url("/api/v1/circles/garden/entries?limit=lots"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_eq!(envelope(bad_query).await, (400, "invalid_query".to_owned()));
    for limit in ["0", "501", "-3"] {
        let beyond = http
            .get(url(&format!(
                "/api/v1/circles/garden/entries?limit={limit}"
            )))
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET");
        assert_eq!(
            envelope(beyond).await,
            (400, "invalid_query".to_owned()),
            "limit={limit}"
        );
    }
    let within = http
        .get(url("/api/v1/circles/garden/entries?limit=500"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_eq!(within.status().as_u16(), 200);
    // Numbers beyond what the document allows are refused, not wrapped or clamped.
    for path in [
        "/api/v1/circles/garden/entries?before=9223372036854775808",
        "/api/v1/circles/garden/statement?before=-1",
        "/api/v1/circles/garden/entries/0/proof?tree_size=-1",
        "/api/v1/circles/garden/listings?limit=51",
        "/api/v1/circles/garden/listings?offset=10001",
        "/api/v1/circles/garden/listings?side=sideways",
    ] {
        let refused = http
            .get(url(path))
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET");
        assert_eq!(
            envelope(refused).await,
            (400, "invalid_query".to_owned()),
            "{path}"
        );
    }
    // The refusals of layers that know no API answer the envelope too: a session call without
    // its CSRF header, and a body over the node's limit.
    let no_csrf = http
        .post(url("/api/v1/circles/garden/listings/1/deals"))
        .json(&serde_json::json!({"message": "hello"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(envelope(no_csrf).await, (403, "csrf".to_owned()));
    // The document served is the one kept in docs/, generated from the code.
    let served = http
        .get(url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("text");
    assert_eq!(served, include_str!("../docs/openapi.json"));
    // (last: the node closes the connection without reading the body)
    let huge = http
        .post(url("/api/v1/circles/garden/entries"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(vec![b' '; 257 * 1024])
        .send()
        .await
        .expect("POST");
    assert_eq!(envelope(huge).await, (413, "too_large".to_owned()));
    server.stop().await;
}

both_backends! {
    recovery_revocation_and_key_changes_outside_the_pages => recovery_revocation_and_reconciliation;
    api_tokens_own_keys_and_circle_walls => api_tokens_own_keys_and_walls;
    members_join_pay_request_and_read_their_statement => members_walkthrough;
    forms_need_csrf_and_circles_are_walled => csrf_and_circle_walls;
    a_malformed_form_or_link_answers_the_translated_error_page => malformed_forms_and_links_answer_the_error_page;
    signing_keys_and_sessions_are_sealed_or_hashed => keys_and_sessions_are_not_stored_plain;
    a_retried_payment_or_request_answer_never_pays_twice => a_retried_payment_never_pays_twice;
    api_tokens_read_or_act_in_one_circle_or_all_expire_and_open_no_page => api_tokens_are_keys_to_the_api_and_nothing_more;
    a_stewards_recovery_reaches_only_their_own_circle => recovery_reaches_only_its_circle;
    every_password_check_is_limited_per_person_and_address => password_checks_are_limited_everywhere;
    the_stewards_audit_runs_on_request_never_on_a_view => audits_run_on_request_never_on_a_view;
    a_page_view_writes_no_membership_and_the_node_reconciles => page_views_write_no_membership;
    a_new_node_is_set_up_once_and_only_with_the_printed_address => setup_needs_the_printed_token_and_happens_once;
    display_names_cannot_hide_text_and_look_alikes_are_shown_to_stewards => names_cannot_hide_or_imitate;
    behind_https_cookies_are_host_only_and_hsts_is_sent => cookies_behind_https_are_host_only;
    a_flood_of_requests_to_join_is_capped_shown_oldest_first_and_declined_together => a_flood_of_requests_to_join_is_capped_and_declined_together;
    every_api_rejection_answers_the_json_envelope => api_rejections_use_the_envelope;
}
