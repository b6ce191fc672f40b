//! Public pages end to end, on both backends: a circle's page, feeds and calendar exist only
//! once its stewards opt in, show only what stewards wrote and authors shared, name only
//! members who chose a public profile, and a crawler without a login finds no member's name,
//! balance, memo or private listing anywhere on the node.

use std::collections::{HashSet, VecDeque};

use commons_tests::both_backends;
use commons_tests::web::{invite_and_join, set_up, Member, TestServer};

/// The id at the end of a `/market/{id}` or `/news/{id}` URL.
fn id_in(url: &str, after: &str) -> String {
    let at = url
        .find(after)
        .unwrap_or_else(|| panic!("{after} in {url}"))
        + after.len();
    url[at..].chars().take_while(char::is_ascii_digit).collect()
}

async fn post_listing(member: &mut Member, title: &str, description: &str) -> String {
    let page = member
        .submit(
            "/c/garden/market/new",
            "/c/garden/market/new",
            &[
                ("side", "offer"),
                ("kind", "skill"),
                ("title", title),
                ("description", description),
                ("category", "repairs/bikes"),
                ("value_kind", "per_hour"),
                ("amount", "1"),
            ],
        )
        .await;
    assert!(
        page.body.contains("Your listing is published"),
        "{}",
        page.body
    );
    id_in(&page.url, "/c/garden/market/")
}

async fn post_news(steward: &mut Member, title: &str, body: &str) -> String {
    let page = steward
        .submit(
            "/c/garden/news/new",
            "/c/garden/news",
            &[("title", title), ("body", body)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    id_in(&page.url, "/c/garden/news/")
}

async fn share(member: &mut Member, from: &str, kind: &str, item: &str, shared: bool) -> u16 {
    member
        .submit(
            from,
            "/c/garden/public/share",
            &[
                ("kind", kind),
                ("item", item),
                ("shared", if shared { "1" } else { "0" }),
            ],
        )
        .await
        .status
}

/// Every page a visitor without a login reaches by following links from `starts`.
async fn crawl(visitor: &mut Member, starts: &[&str]) -> Vec<(String, u16, String)> {
    let mut seen: HashSet<String> = starts.iter().map(|s| (*s).to_owned()).collect();
    let mut queue: VecDeque<String> = seen.iter().cloned().collect();
    let mut pages = Vec::new();
    while let Some(path) = queue.pop_front() {
        if pages.len() >= 150 {
            break;
        }
        let page = visitor.get(&path).await;
        for link in page.body.split("href=\"").skip(1) {
            let href = link
                .split('"')
                .next()
                .unwrap_or_default()
                .replace("&amp;", "&");
            let href = href.split('#').next().unwrap_or_default().to_owned();
            if href.starts_with('/')
                && !href.starts_with("//")
                && !href.starts_with("/static/")
                && seen.insert(href.clone())
            {
                queue.push_back(href);
            }
        }
        pages.push((path, page.status, page.body));
    }
    pages
}

async fn public_pages_show_only_what_was_chosen(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Adeyemi").await;
    let mut cleo = invite_and_join(&server, &mut amara, "cleo", "Cleo Park").await;
    let paid = ben
        .submit(
            "/c/garden/pay",
            "/c/garden/pay",
            &[
                ("member", "cleo"),
                ("amount", "3.25"),
                ("memo", "for the bread, a secret"),
            ],
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    let shared_listing = post_listing(
        &mut ben,
        "Bike repair lessons",
        "I teach how to fix a puncture.",
    )
    .await;
    let private_listing =
        post_listing(&mut ben, "Secret sourdough starter", "Only for the circle.").await;
    let shared_news = post_news(
        &mut amara,
        "Open day on Sunday",
        "Come and meet us at the hall.",
    )
    .await;
    post_news(
        &mut amara,
        "Members-only meeting notes",
        "What we said about the budget.",
    )
    .await;

    // Before the stewards opt in, the circle has no public page: exactly as if it did not exist.
    let mut visitor = server.client();
    for path in [
        "/p/garden",
        "/p/garden/news.atom",
        "/p/garden/listings.atom",
        "/p/garden/events.ics",
        &format!("/p/garden/news/{shared_news}"),
    ] {
        assert_eq!(visitor.get(path).await.status, 404, "{path}");
    }
    assert_eq!(visitor.get("/p/nowhere").await.status, 404);

    // Who may share: a listing by its author only, news by its author or a steward.
    let listing_page = format!("/c/garden/market/{shared_listing}");
    let news_page = format!("/c/garden/news/{shared_news}");
    assert_eq!(
        share(&mut cleo, &listing_page, "listing", &shared_listing, true).await,
        403
    );
    assert_eq!(
        share(&mut amara, &listing_page, "listing", &shared_listing, true).await,
        403,
        "a steward cannot publish a member's offer"
    );
    assert_eq!(
        share(&mut cleo, &news_page, "news", &shared_news, true).await,
        403
    );
    assert_eq!(
        share(&mut ben, &listing_page, "listing", &shared_listing, true).await,
        200
    );
    assert_eq!(
        share(&mut amara, &news_page, "news", &shared_news, true).await,
        200
    );
    assert_eq!(
        share(&mut ben, &listing_page, "listing", "999999", true).await,
        404
    );
    assert_eq!(
        ben.post_without_csrf(
            "/c/garden/public/share",
            &[
                ("kind", "listing"),
                ("item", &private_listing),
                ("shared", "1")
            ]
        )
        .await
        .status,
        403
    );

    // Only stewards open the editor and turn the page on.
    assert_eq!(ben.get("/c/garden/steward/public").await.status, 403);
    let refused = ben
        .submit(
            "/c/garden/news",
            "/c/garden/steward/public",
            &[("enabled", "on"), ("about_en", "Taken over")],
        )
        .await;
    assert_eq!(refused.status, 403);
    let too_long = "x".repeat(20_001);
    let page = amara
        .submit(
            "/c/garden/steward/public",
            "/c/garden/steward/public",
            &[("enabled", "on"), ("values_en", &too_long)],
        )
        .await;
    assert_eq!(
        page.status, 422,
        "a text too long is refused, and nothing is saved"
    );
    assert_eq!(visitor.get("/p/garden").await.status, 404);
    let page = amara
        .submit(
            "/c/garden/steward/public",
            "/c/garden/steward/public",
            &[
                ("enabled", "on"),
                ("about_en", "We share **tools** and time."),
                ("about_es", "Compartimos **herramientas** y tiempo."),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("The public page is saved"));

    let public = visitor.get("/p/garden").await;
    assert_eq!(public.status, 200);
    assert!(public
        .body
        .contains("We share <strong>tools</strong> and time."));
    assert!(
        public.body.contains("Open day on Sunday") && public.body.contains("Bike repair lessons")
    );
    assert!(
        public.body.contains("This circle grows by invitation")
            && !public.body.contains("/ask/garden"),
        "the circle takes no requests to join, and says how to come in"
    );
    let spanish = visitor
        .http
        .get(format!("{}/p/garden", server.url))
        .header("accept-language", "es")
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(spanish.contains("Compartimos <strong>herramientas</strong> y tiempo."));
    let news_feed = visitor.get("/p/garden/news.atom").await;
    assert_eq!(
        news_feed
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/atom+xml; charset=utf-8")
    );
    assert!(
        news_feed.body.contains("Open day on Sunday") && !news_feed.body.contains("Members-only")
    );
    let listings_feed = visitor.get("/p/garden/listings.atom").await;
    assert!(
        listings_feed.body.contains("Bike repair lessons")
            && !listings_feed.body.contains("Secret sourdough")
    );
    assert!(visitor
        .get("/p/garden/events.ics")
        .await
        .body
        .starts_with("BEGIN:VCALENDAR"));
    assert_eq!(
        visitor
            .get(&format!("/p/garden/listings/{private_listing}"))
            .await
            .status,
        404
    );
    assert_eq!(
        visitor.get("/p/garden/people/ben").await.status,
        404,
        "Ben has not chosen a public profile"
    );

    // A crawler without a login finds nothing private anywhere on the node.
    let pages = crawl(&mut visitor, &["/", "/p/garden"]).await;
    assert!(
        pages.len() > 8,
        "the crawler walked the public pages: {:?}",
        pages.iter().map(|p| &p.0).collect::<Vec<_>>()
    );
    for (path, status, body) in &pages {
        for private in [
            "Ben Adeyemi",
            "Cleo Park",
            "Amara Okafor",
            "Secret sourdough",
            "Members-only",
            "a secret",
            "3.25",
            "budget",
        ] {
            assert!(
                !body.contains(private),
                "{path} ({status}) shows {private:?}"
            );
        }
    }

    // Ben chooses a public profile: now his name shows beside what he shared, and nobody else's.
    let page = ben
        .submit(
            "/settings",
            "/settings/profile",
            &[
                ("display_name", "Ben Adeyemi"),
                ("skills", "bikes"),
                ("profile_public", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let profile = visitor.get("/p/garden/people/ben").await;
    assert_eq!(profile.status, 200);
    assert!(profile.body.contains("Ben Adeyemi") && profile.body.contains("Bike repair lessons"));
    assert!(visitor
        .get("/p/garden")
        .await
        .body
        .contains("/p/garden/people/ben"));
    assert_eq!(visitor.get("/p/garden/people/cleo").await.status, 404);

    // Taking back: the listing leaves the page; turning the page off hides everything again.
    assert_eq!(
        share(&mut ben, &listing_page, "listing", &shared_listing, false).await,
        200
    );
    assert!(!visitor
        .get("/p/garden")
        .await
        .body
        .contains("Bike repair lessons"));
    let page = amara
        .submit(
            "/c/garden/steward/public",
            "/c/garden/steward/public",
            &[("about_en", "We share tools and time.")],
        )
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(visitor.get("/p/garden").await.status, 404);
    assert_eq!(visitor.get("/p/garden/people/ben").await.status, 404);
    server.stop().await;
}

both_backends! {
    a_public_page_shows_only_what_stewards_wrote_and_authors_shared => public_pages_show_only_what_was_chosen;
}
