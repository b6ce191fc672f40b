//! End to end through the market: the real server on port 0 and a fresh database, driven like
//! members would (forms, cookies, redirects), on SQLite and PostgreSQL. An offer and a need
//! meet, both members are told, they talk, agree, and the payment names the deal in the ledger;
//! events fill up and keep a waiting list; search understands word forms; photos lose their
//! metadata; outsiders see nothing.

use commons_tests::both_backends;
use commons_tests::web::{invite_and_join, set_up, Member, Page, TestServer};

/// The id in a `/c/garden/market/{id}` or `/deals/{id}` URL.
fn id_in(url: &str, after: &str) -> String {
    let at = url
        .find(after)
        .unwrap_or_else(|| panic!("{after} in {url}"))
        + after.len();
    url[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect()
}

async fn post_listing(member: &mut Member, fields: &[(&str, &str)]) -> (Page, String) {
    let page = member
        .submit("/c/garden/market/new", "/c/garden/market/new", fields)
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Your listing is published"),
        "{}",
        page.body
    );
    let id = id_in(&page.url, "/c/garden/market/");
    (page, id)
}

/// The deal version a deal page's forms carry.
fn version_in(html: &str) -> String {
    let marker = "name=\"version\" value=\"";
    let at = html.find(marker).expect("a version field") + marker.len();
    html[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect()
}

/// The JPEG with EXIF (camera maker, GPS) that phones write, from the fixtures.
fn photo_with_exif() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/photo-with-gps.jpg"
    ))
    .expect("fixture")
}

both_backends! {
    an_offer_and_a_need_meet_agree_and_the_payment_names_the_deal => |url: String| async move {
        let server = TestServer::start(&url).await;
        let mut amara = set_up(&server).await;
        let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
        let mut cara = invite_and_join(&server, &mut amara, "cara", "Cara Diaz").await;

        // Ben offers to fix bicycles; Cara needs her bike repaired.
        let (_, offer) = post_listing(&mut ben, &[
            ("side", "offer"), ("kind", "skill"), ("title", "I fix bicycles"),
            ("description", "Punctures, **brakes**, gears."), ("category", "repairs/bikes"),
            ("tags", "bikes repair"), ("area", "Riverside"), ("value_kind", "per_hour"), ("amount", "1"),
            ("location", "51.5074, -0.1278"),
        ]).await;
        // A rough location only ranks: others never see it; its author does, rounded.
        let seen = amara.get(&format!("/c/garden/market/{offer}")).await;
        assert!(seen.body.contains("I fix bicycles") && !seen.body.contains("51.5"), "{}", seen.body);
        let own = ben.get(&format!("/c/garden/market/{offer}/edit")).await;
        assert!(own.body.contains("51.51, -0.13"), "{}", own.body);
        let json = amara.get(&format!("/api/v1/circles/garden/listings/{offer}")).await;
        assert!(json.status == 200 && !json.body.contains("51.5"), "{}", json.body);
        let (page, need) = post_listing(&mut cara, &[
            ("side", "need"), ("kind", "skill"), ("title", "Bike repair"),
            ("description", "My back tyre keeps going flat and the brakes squeak."),
            ("category", "repairs/bikes"), ("value_kind", "by_agreement"),
        ]).await;
        assert!(page.body.contains("I fix bicycles"), "the author sees the match on their listing");

        // Both are told, with an unread count in the header.
        for (member, mine, other) in [(&mut ben, "I fix bicycles", "Bike repair"), (&mut cara, "Bike repair", "I fix bicycles")] {
            let page = member.get("/notifications").await;
            assert!(
                page.body.contains(&format!("“{other}” matches your listing “{mine}”")),
                "{}", page.body
            );
            assert!(page.body.contains("unread)"), "the header counts unread notifications");
            assert!(page.body.contains("notification unread"), "shown as new the first time");
            // Looking is reading: the count clears once the page was seen.
            let again = member.get("/notifications").await;
            assert!(!again.body.contains("unread)") && !again.body.contains("notification unread"), "{}", again.body);
            let read = member.submit("/notifications", "/notifications/read", &[]).await;
            assert!(!read.body.contains("unread)"), "marked read");
        }

        // Ben answers Cara's need: a private conversation opens.
        let page = ben
            .submit(&format!("/c/garden/market/{need}"), &format!("/c/garden/market/{need}/deals"),
                &[("message", "I can look at it on Saturday.")])
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let deal = id_in(&page.url, "/c/garden/deals/");
        assert!(page.body.contains("I can look at it on Saturday."));
        // Nobody else can read it.
        assert_eq!(amara.get(&format!("/c/garden/deals/{deal}")).await.status, 404);
        let deal_path = format!("/c/garden/deals/{deal}");
        let page = cara.get(&deal_path).await;
        assert!(page.body.contains("I can look at it on Saturday."), "Cara reads Ben's message");
        // Control and bidirectional characters never reach the other member; a message of
        // nothing else, or too long, is refused (pages and API alike).
        let page = ben.submit(&deal_path, &format!("{deal_path}/message"), &[("message", "Bring\u{7} the \u{202E}bike")]).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Bring the bike"), "{}", page.body);
        let page = ben.submit(&deal_path, &format!("{deal_path}/message"), &[("message", "\u{7}\u{202E}")]).await;
        assert_eq!(page.status, 422);
        let page = ben.submit(&deal_path, &format!("{deal_path}/message"), &[("message", &"x".repeat(2_001))]).await;
        assert_eq!(page.status, 422);

        // Ben proposes terms; he cannot agree to his own; Cara agrees.
        let page = ben.submit(&deal_path, &format!("{deal_path}/terms"),
            &[("description", "New inner tube and brake pads"), ("amount", "1.5")]).await;
        assert!(page.body.contains("Your proposal is sent"), "{}", page.body);
        let own = ben.submit(&deal_path, &format!("{deal_path}/agree"), &[]).await;
        assert_eq!(own.status, 422, "{}", own.body);
        // Agreeing acts only on the terms the member saw: Cara's page shows version n; Ben
        // changes the terms; Cara's click on the old page is refused.
        cara.get(&deal_path).await;
        let seen = version_in(&cara.last_page);
        ben.submit(&deal_path, &format!("{deal_path}/terms"),
            &[("description", "New inner tube and brake pads, and a chain"), ("amount", "1.5")]).await;
        let stale = cara.http
            .post(format!("{}{deal_path}/agree", server.url))
            .form(&[("csrf", cara.csrf().as_str()), ("version", seen.as_str())])
            .send().await.expect("POST");
        assert_eq!(stale.status(), 422, "terms changed since the page was shown");
        let page = cara.submit(&deal_path, &format!("{deal_path}/agree"), &[]).await;
        assert!(page.body.contains("Agreed. The deal is on."), "{}", page.body);
        // Only the payer confirms.
        let not_payer = ben.submit(&deal_path, &format!("{deal_path}/complete"), &[]).await;
        assert_eq!(not_payer.status, 422);
        // Two clicks at once (a double submit) still pay once: both sign the very same request.
        cara.get(&deal_path).await;
        let csrf = cara.csrf();
        let complete = || {
            cara.http
                .post(format!("{}{deal_path}/complete", server.url))
                .form(&[("csrf", csrf.as_str())])
                .send()
        };
        let (first, second) = tokio::join!(complete(), complete());
        let statuses = [first.expect("POST").status().as_u16(), second.expect("POST").status().as_u16()];
        assert!(statuses.contains(&200), "{statuses:?}");
        let page = cara.get(&deal_path).await;
        assert!(page.body.contains("Paid in ledger entry #"), "{}", page.body);
        // Confirming later pays nothing more.
        let again = cara.submit(&deal_path, &format!("{deal_path}/complete"), &[]).await;
        assert_eq!(again.status, 422);

        // The ledger shows the transfer naming the deal, and Cara's balance moved once.
        let ledger = cara.get("/c/garden/ledger").await;
        assert!(
            ledger.body.contains(&format!("Cara Diaz paid Ben Carter for market deal #{deal}")),
            "{}", ledger.body
        );
        assert_eq!(ledger.body.matches("for market deal #").count(), 1);
        let home = cara.get("/c/garden").await;
        assert!(home.body.contains("-1.50 h"), "{}", home.body);

        // A public thank-you shows on Ben's page.
        let page = cara.submit(&deal_path, &format!("{deal_path}/thanks"), &[("thanks", "Rides like new!")]).await;
        assert!(page.body.contains("Your thank-you is published"));
        let ben_page = amara.get("/c/garden/members/ben").await;
        assert!(ben_page.body.contains("Rides like new!"), "{}", ben_page.body);
        assert!(ben_page.body.contains("I fix bicycles"), "his listing shows on his page");
        assert!(ben_page.body.contains(">1 completed deal<"), "one deal, in the singular");

        // Search understands word forms: "repairing" finds "Bike repair", "bicycle" the offer.
        let found = amara.get("/c/garden/market?q=repairing").await;
        assert!(found.body.contains("Bike repair"), "{}", found.body);
        let found = amara.get("/c/garden/market?q=bicycle&side=offer").await;
        assert!(found.body.contains("I fix bicycles") && !found.body.contains("Bike repair"));

        // The JSON API ranks the need's matches with a score.
        let response = cara.http
            .get(format!("{}/api/v1/circles/garden/listings/{need}/matches", server.url))
            .send().await.expect("GET");
        assert_eq!(response.status(), 200);
        let json: serde_json::Value = response.json().await.expect("json");
        assert_eq!(json["matches"][0]["listing"]["id"].as_i64().map(|id| id.to_string()), Some(offer.clone()));
        assert!(json["matches"][0]["score"].as_f64().is_some_and(|s| s > 0.0));
        // Only a listing's author reads its matches.
        let other = amara.http
            .get(format!("{}/api/v1/circles/garden/listings/{need}/matches", server.url))
            .send().await.expect("GET");
        assert_eq!(other.status(), 403);

        // Closed listings leave search and take no deals.
        let page = ben.submit(&format!("/c/garden/market/{offer}"), &format!("/c/garden/market/{offer}/status"), &[("status", "closed")]).await;
        assert!(page.body.contains("Your listing is closed"));
        let found = amara.get("/c/garden/market?q=bicycle").await;
        assert!(!found.body.contains("I fix bicycles"));
        let refused = cara.submit(&format!("/c/garden/market/{offer}"), &format!("/c/garden/market/{offer}/deals"), &[]).await;
        assert_eq!(refused.status, 422);

        // Someone outside the circle sees nothing, by page or API.
        let mut outsider = server.client();
        outsider.get("/login").await;
        for path in [format!("/c/garden/market/{need}"), "/c/garden/market".into(), format!("/api/v1/circles/garden/listings/{need}")] {
            let page = outsider.get(&path).await;
            assert!(page.status == 401 || page.url.contains("/login"), "{path}: {}", page.status);
        }
        server.stop().await;
    };

    an_event_for_two_puts_the_third_on_the_waiting_list_and_exports_a_calendar => |url: String| async move {
        let server = TestServer::start(&url).await;
        let mut amara = set_up(&server).await;
        let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
        let mut cara = invite_and_join(&server, &mut amara, "cara", "Cara Diaz").await;
        let mut dan = invite_and_join(&server, &mut amara, "dan", "Dan Eze").await;
        let (_, event) = post_listing(&mut amara, &[
            ("side", "offer"), ("kind", "event"), ("title", "Repair café, with soup"),
            ("category", "events/repair-cafe"), ("value_kind", "gift"),
            ("starts", "2031-05-10T10:00"), ("ends", "2031-05-10T13:00"),
            ("place", "The hall, 3 Mill Lane"), ("capacity", "2"),
        ]).await;
        let path = format!("/c/garden/market/{event}");
        let rsvp = format!("{path}/rsvp");
        let page = ben.submit(&path, &rsvp, &[("answer", "going")]).await;
        assert!(page.body.contains("You are going."), "{}", page.body);
        let page = cara.submit(&path, &rsvp, &[("answer", "going")]).await;
        assert!(page.body.contains("You are going."));
        let page = dan.submit(&path, &rsvp, &[("answer", "going")]).await;
        assert!(page.body.contains("you are on the waiting list"), "{}", page.body);
        assert!(page.body.contains("2 of 2 taken"));
        // Ben cannot go after all: Dan moves up and is told.
        ben.submit(&path, &rsvp, &[("answer", "not_going")]).await;
        let page = dan.get("/notifications").await;
        assert!(page.body.contains("A place freed up: you are going to “Repair café, with soup”"), "{}", page.body);
        let page = dan.get(&path).await;
        assert!(page.body.contains("You are going."));
        // Ben wants to come after all: the list is full again, so he waits; Amara adds a
        // place, and he moves up and is told.
        let page = ben.submit(&path, &rsvp, &[("answer", "going")]).await;
        assert!(page.body.contains("you are on the waiting list"), "{}", page.body);
        let page = amara.submit(&format!("{path}/edit"), &format!("{path}/edit"), &[
            ("side", "offer"), ("kind", "event"), ("title", "Repair café, with soup"),
            ("category", "events/repair-cafe"), ("value_kind", "gift"),
            ("starts", "2031-05-10T10:00"), ("ends", "2031-05-10T13:00"),
            ("place", "The hall, 3 Mill Lane"), ("capacity", "3"),
        ]).await;
        assert!(page.body.contains("3 of 3 taken"), "{}", page.body);
        let page = ben.get("/notifications").await;
        assert!(page.body.contains("A place freed up"), "{}", page.body);

        // The events calendar, and iCalendar files for one event and the circle.
        let page = amara.get("/c/garden/events").await;
        assert!(page.body.contains("Repair café, with soup") && page.body.contains("2031-05-10"));
        for ics in [format!("{path}/event.ics"), "/c/garden/events.ics".into()] {
            let file = dan.get(&ics).await;
            assert_eq!(file.status, 200);
            assert!(file.headers["content-type"].to_str().unwrap_or("").starts_with("text/calendar"));
            assert!(file.body.contains("BEGIN:VEVENT\r\n"), "{}", file.body);
            assert!(file.body.contains("SUMMARY:Repair café\\, with soup\r\n"));
            assert!(file.body.contains("DTSTART:20310510T100000\r\n"));
        }
        server.stop().await;
    };

    photos_come_back_without_their_metadata_and_uploads_need_a_single_use_token => |url: String| async move {
        let server = TestServer::start(&url).await;
        let mut amara = set_up(&server).await;
        let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
        let (_, listing) = post_listing(&mut ben, &[
            ("side", "offer"), ("kind", "thing"), ("title", "Blue bike for a child"),
            ("category", "things/sports-bikes"), ("value_kind", "gift"),
        ]).await;
        let path = format!("/c/garden/market/{listing}");
        let http = ben.http.clone();
        let upload = |query: Option<String>, alt: &str| {
            let form = reqwest::multipart::Form::new()
                .text("alt", alt.to_string())
                .part("photo", reqwest::multipart::Part::bytes(photo_with_exif()).file_name("bike.jpg").mime_str("image/jpeg").expect("mime"));
            let action = match query {
                Some(query) => format!("{}{path}/photos?{query}", server.url),
                None => format!("{}{path}/photos", server.url),
            };
            http.post(action).multipart(form).send()
        };
        let upload_token = |html: &str| {
            let marker = "/photos?upload=";
            let at = html.find(marker).expect("the photo form") + marker.len();
            html[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect::<String>()
        };
        let refused = upload(None, "A blue bike").await.expect("POST");
        assert_eq!(refused.status(), 403, "an upload without a token is refused");
        let page = ben.get(&path).await;
        // The session-wide CSRF token does not open uploads: it never travels in a URL.
        let csrf = ben.csrf();
        let with_csrf = upload(Some(format!("csrf={csrf}")), "A blue bike").await.expect("POST");
        assert_eq!(with_csrf.status(), 403);
        let token = upload_token(&page.body);
        let no_alt = upload(Some(format!("upload={token}")), " ").await.expect("POST");
        assert_eq!(no_alt.status(), 422, "alt text is required");
        let used = upload(Some(format!("upload={token}")), "A small blue bike with stabilisers").await.expect("POST");
        assert_eq!(used.status(), 403, "an upload token works once");
        // Another member's token is not Ben's.
        let amara_page = amara.get(&path).await;
        assert!(!amara_page.body.contains("/photos?upload="), "only the owner gets the form");
        let page = ben.get(&path).await;
        let token = upload_token(&page.body);
        let done = upload(Some(format!("upload={token}")), "A small blue bike with stabilisers").await.expect("POST");
        assert_eq!(done.status(), 200);
        let page = ben.get(&path).await;
        assert!(page.body.contains(r#"alt="A small blue bike with stabilisers""#), "{}", page.body);
        let at = page.body.find("/photos/").expect("a photo link");
        let photo_path: String = page.body[at..].chars().take_while(|c| *c != '"').collect();
        let photo_url = format!("{path}{photo_path}");
        let photo = amara.http.get(format!("{}{photo_url}", server.url)).send().await.expect("GET");
        assert_eq!(photo.status(), 200);
        assert_eq!(photo.headers()["content-type"], "image/jpeg");
        let bytes = photo.bytes().await.expect("bytes");
        assert!(bytes.starts_with(&[0xFF, 0xD8]), "a JPEG");
        assert!(!bytes.windows(4).any(|w| w == b"Exif"), "no EXIF block");
        assert!(!bytes.windows(10).any(|w| w == b"PhoneMaker"), "no camera maker");
        // Photos are for members only.
        let outsider = server.client();
        let response = outsider.http.get(format!("{}{photo_url}", server.url)).send().await.expect("GET");
        assert!(response.url().path().starts_with("/login") || response.status() == 401);
        server.stop().await;
    };
}
