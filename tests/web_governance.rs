//! End to end through the circle's decisions, on SQLite and PostgreSQL: the real server on
//! port 0 and a fresh database, driven like members would. A proposal to raise the default
//! floor is discussed, voted on (one member by delegation, one changing their mind), closes,
//! and the new floor is in force in the ledger, which audits, with a recount that matches. A
//! consent proposal with one objection does not pass and can be amended for a second round.
//! Outsiders cannot vote, and a ballot after the close is refused.

use commons_governance::ballot::{Ballot, Choice};
use commons_governance::export;
use commons_governance::majority::Position;
use commons_governance::policy::Status;
use commons_governance::store::Governance;
use commons_governance::tally::{recount, Outcome};
use commons_ledger::keys::{Hash, SecretKey};
use commons_tests::both_backends;
use commons_tests::web::{invite_and_join, set_up, Member, Page, TestServer, PASSWORD};

const HOUR_MS: i64 = 3_600_000;

async fn step(member: &mut Member, number: u32, name: &str) -> Page {
    let path = format!("/c/garden/proposals/{number}");
    member
        .submit(&path, &format!("{path}/step/{name}"), &[])
        .await
}

async fn vote(member: &mut Member, number: u32, fields: &[(&str, &str)]) -> Page {
    let path = format!("/c/garden/proposals/{number}");
    member
        .submit(&path, &format!("{path}/ballot"), fields)
        .await
}

both_backends! {
    an_elections_running_count_is_shown_to_nobody_the_steward_neither_until_the_vote_closes => |url: String| async move {
        let server = TestServer::start(&url).await;
        let store = server.state.services.store().clone();
        let mut amara = set_up(&server).await;
        let mut bea = invite_and_join(&server, &mut amara, "bea", "Bea Lund").await;
        // Bea does not tick "hide the running results": an election of people hides them anyway.
        let page = bea
            .submit(
                "/c/garden/proposals/new",
                "/c/garden/proposals/new",
                &[("title", "Two stewards for next year"), ("body", "Rank the people you trust."), ("method", "stv"), ("seats", "2"), ("options", "Amara\nBea\nCai"), ("action", "none")],
            )
            .await;
        assert!(page.url.ends_with("/c/garden/proposals/1"), "{}", page.body);
        step(&mut bea, 1, "discuss").await;
        store.advance_clock(49 * HOUR_MS);
        step(&mut bea, 1, "vote").await;
        vote(&mut bea, 1, &[("rank-1", "1"), ("rank-0", "2")]).await;
        vote(&mut amara, 1, &[("rank-0", "1")]).await;
        for member in [&mut amara, &mut bea] {
            let page = member.get("/c/garden/proposals/1").await;
            assert!(page.body.contains("The results stay hidden until voting closes."), "{}", page.body);
            assert!(!page.body.contains("bar-chart") && !page.body.contains("Elected"), "{}", page.body);
            let json: serde_json::Value = serde_json::from_str(&member.get("/api/v1/circles/garden/proposals/1").await.body).expect("json");
            assert_eq!(json["rounds"][0]["results_hidden"], true, "{json}");
            assert!(json["rounds"][0]["count"].is_null(), "{json}");
        }
        store.advance_clock(8 * 24 * HOUR_MS);
        assert_eq!(server.state.services.close_due_votes().await.expect("close"), 1);
        let page = amara.get("/c/garden/proposals/1").await;
        assert!(!page.body.contains("The results stay hidden"), "{}", page.body);
        // One plain sentence says who was elected; the quota and the steps sit behind a summary.
        // (Both have one vote: the lot drawn from the round's signed definition orders them.)
        assert!(
            page.body.contains(r#"<p class="summary">Elected: Bea, Amara.</p>"#)
                || page.body.contains(r#"<p class="summary">Elected: Amara, Bea.</p>"#),
            "{}",
            page.body
        );
        assert!(page.body.contains("How this was counted"), "{}", page.body);
        assert!(page.body.contains("for each of 2 seats: 1."), "{}", page.body);
        assert!(!page.body.contains(".00000"), "whole numbers read as whole numbers: {}", page.body);
        server.stop().await;
    };

    a_withdrawn_proposal_takes_no_more_comments_and_shows_no_comment_form => |url: String| async move {
        let server = TestServer::start(&url).await;
        let mut amara = set_up(&server).await;
        let mut bea = invite_and_join(&server, &mut amara, "bea", "Bea Lund").await;
        let page = amara
            .submit(
                "/c/garden/proposals/new",
                "/c/garden/proposals/new",
                &[("title", "A tool library"), ("body", "Share our tools."), ("method", "majority")],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        step(&mut amara, 1, "discuss").await;
        let page = bea
            .submit("/c/garden/proposals/1", "/c/garden/proposals/1/comments", &[("comment", "Count me in.")])
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let page = step(&mut amara, 1, "withdraw").await;
        assert_eq!(page.status, 200, "{}", page.body);
        // The page offers no comment form, and a comment posted anyway is refused.
        let page = bea.get("/c/garden/proposals/1").await;
        assert!(page.body.contains("Count me in."), "{}", page.body);
        assert!(!page.body.contains("/c/garden/proposals/1/comments"), "{}", page.body);
        let page = bea
            .submit("/c/garden/proposals/1", "/c/garden/proposals/1/comments", &[("comment", "Too late?")])
            .await;
        assert_ne!(page.status, 200, "{}", page.body);
        assert!(!bea.get("/c/garden/proposals/1").await.body.contains("Too late?"));
        server.stop().await;
    };
    a_passed_proposal_raises_the_default_floor_by_itself_and_everything_recounts => |url: String| async move {
        let server = TestServer::start(&url).await;
        let store = server.state.services.store().clone();
        let mut amara = set_up(&server).await;
        let mut bea = invite_and_join(&server, &mut amara, "bea", "Bea Lund").await;
        let mut cai = invite_and_join(&server, &mut amara, "cai", "Cai Moreno").await;
        let mut dee = invite_and_join(&server, &mut amara, "dee", "Dee Okoro").await;

        // Propose: every default account may go down to -50 hours.
        let page = amara
            .submit(
                "/c/garden/proposals/new",
                "/c/garden/proposals/new",
                &[
                    ("title", "Raise the default floor to -50 hours"),
                    ("body", "Newcomers run out of room to **start trading**."),
                    ("method", "majority"),
                    ("action", "default-limits"),
                    ("action_floor", "-50"),
                    ("action_ceiling", "40"),
                    ("delegation", "on"),
                ],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.url.ends_with("/c/garden/proposals/1"), "{}", page.url);
        assert!(page.body.contains("Your proposal is saved"), "{}", page.body);
        assert!(page.body.contains("<strong>start trading</strong>"), "Markdown is rendered");
        assert!(page.body.contains("the default limits are now -50.00 h to 40.00 h"), "{}", page.body);
        // A draft is its author's alone.
        assert_eq!(bea.get("/c/garden/proposals/1").await.status, 404);
        let page = step(&mut amara, 1, "discuss").await;
        assert!(page.body.contains("The discussion is open"), "{}", page.body);
        // Only the author moves it on.
        assert_eq!(step(&mut bea, 1, "vote").await.status, 403);

        // Discussion, threaded.
        let page = bea
            .submit("/c/garden/proposals/1", "/c/garden/proposals/1/comments", &[("comment", "Yes please: I am stuck at -20.")])
            .await;
        assert_eq!(page.status, 200);
        let id_at = page.body.find("id=\"comment-").expect("a comment") + "id=\"comment-".len();
        let comment_id: String = page.body[id_at..].chars().take_while(|c| c.is_ascii_digit()).collect();
        let page = amara
            .submit("/c/garden/proposals/1", "/c/garden/proposals/1/comments", &[("parent", comment_id.as_str()), ("body", "Same for the bakery crew.")])
            .await;
        assert!(page.body.contains("Same for the bakery crew."), "{}", page.body);

        // Voting opens only after the circle's minimum discussion time.
        let page = step(&mut amara, 1, "vote").await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("has not lasted long enough"), "{}", page.body);
        store.advance_clock(49 * HOUR_MS);
        // Dee moves her account to a key she holds herself, before voting opens.
        let dee_key = SecretKey::generate();
        let page = dee
            .submit(
                "/settings",
                "/settings/own-key",
                &[("circle", "garden"), ("public_key", &dee_key.public_key().to_hex()), ("unlock_password", PASSWORD)],
            )
            .await;
        assert!(page.body.contains("now uses your own key"), "{}", page.body);
        let page = step(&mut amara, 1, "vote").await;
        assert!(page.body.contains("Voting is open"), "{}", page.body);
        assert!(page.body.contains("4 members can vote"), "{}", page.body);

        // Someone who joins after voting opened is not in the frozen electorate.
        let mut eve = invite_and_join(&server, &mut amara, "eve", "Eve Sato").await;
        let page = vote(&mut eve, 1, &[("position", "yes")]).await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("cannot vote in this round") || page.body.contains("cannot vote"), "{}", page.body);
        // Nobody outside the circle votes, even with a token of their own.
        let mut outsider = server.client();
        let refused = outsider.post_without_csrf("/c/garden/proposals/1/ballot", &[("position", "yes")]).await;
        assert_ne!(refused.status, 200);

        // Votes: Amara yes; Bea no, then changes her mind; Cai delegates to Amara; Dee, who holds
        // her own key, signs "no" on her own machine and sends the signed bytes.
        let page = vote(&mut amara, 1, &[("position", "yes")]).await;
        assert!(page.body.contains("Your vote is signed and counted"), "{}", page.body);
        assert!(page.body.contains("Your receipt"), "{}", page.body);
        vote(&mut bea, 1, &[("position", "no")]).await;
        // Bea finds her "no" in the form, to change it or leave it.
        let page = bea.get("/c/garden/proposals/1").await;
        assert!(page.body.contains("Change your vote") && page.body.contains("You voted: No."), "{}", page.body);
        assert!(page.body.contains(r#"id="position-no" name="position" value="no" checked"#), "{}", page.body);
        assert!(!page.body.contains(r#"value="yes" checked"#), "{}", page.body);
        let page = vote(&mut bea, 1, &[("position", "yes")]).await;
        assert!(page.body.contains("Your vote: Yes"), "{}", page.body);
        assert!(page.body.contains(r#"id="position-yes" name="position" value="yes" checked"#), "{}", page.body);
        let page = cai
            .submit("/c/garden/proposals/1", "/c/garden/proposals/1/delegate", &[("delegate", "amara")])
            .await;
        assert!(page.body.contains("Your delegation is saved"), "{}", page.body);
        assert!(page.body.contains("goes to Amara Okafor"), "{}", page.body);
        // No cycles: Amara cannot delegate back to Cai.
        let page = amara
            .submit("/c/garden/proposals/1", "/c/garden/proposals/1/delegate", &[("delegate", "cai")])
            .await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("circle of delegations"), "{}", page.body);
        // The page cannot sign for a member who holds their own key; it says how to vote.
        let page = vote(&mut dee, 1, &[("position", "no")]).await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("commons vote"), "{}", page.body);
        // An invalid ballot changes nothing.
        let page = vote(&mut dee, 1, &[("position", "perhaps")]).await;
        assert_eq!(page.status, 422);
        // The JSON API: the running count, a ballot signed with one's own key (what `commons
        // vote` sends), a ballot by choice, and signed bytes that do not decode.
        let json: serde_json::Value = serde_json::from_str(&dee.get("/api/v1/circles/garden/proposals/1").await.body).expect("json");
        assert_eq!(json["rounds"][0]["count"]["count"]["yes"], 3, "{json}");
        assert_eq!(json["eligible"], true);
        let definition_hash = Hash::from_hex(json["rounds"][0]["definition_hash"].as_str().expect("hash")).expect("hex");
        let circle: serde_json::Value = serde_json::from_str(&dee.get("/api/v1/circles/garden").await.body).expect("json");
        let circle_id = Hash::from_hex(circle["circle_id"].as_str().expect("id")).expect("hex");
        let signed_by = |key: &SecretKey, position: Position| {
            Ballot {
                circle_id,
                proposal: definition_hash,
                voter: key.public_key(),
                cast_at_ms: store.now_ms(),
                choice: Choice::Majority(position),
            }
            .sign(key)
        };
        let post = |member: &Member, body: serde_json::Value| {
            let csrf = commons_tests::web::csrf_in(&member.last_page).expect("a page with a form");
            member
                .http
                .post(format!("{}/api/v1/circles/garden/proposals/1/ballot", server.url))
                .header("x-csrf-token", csrf)
                .json(&body)
                .send()
        };
        dee.get("/c/garden/proposals/1").await;
        let ballot = signed_by(&dee_key, Position::No);
        let answer = post(&dee, serde_json::json!({"signed": {"bytes": hex::encode(&ballot.bytes), "signature": ballot.signature.to_hex()}})).await.expect("POST");
        assert_eq!(answer.status(), 201);
        let receipt: serde_json::Value = answer.json().await.expect("json");
        assert_eq!(receipt["receipt"].as_str(), Some(ballot.receipt().to_hex().as_str()));
        // A ballot signed with someone else's key is not Dee's.
        let stranger = signed_by(&SecretKey::generate(), Position::Yes);
        let refused = post(&dee, serde_json::json!({"signed": {"bytes": hex::encode(&stranger.bytes), "signature": stranger.signature.to_hex()}})).await.expect("POST");
        assert_eq!(refused.status(), 422);
        let forged = post(&dee, serde_json::json!({"signed": {"bytes": "00", "signature": "0".repeat(128)}})).await.expect("POST");
        assert_eq!(forged.status(), 422);
        bea.get("/c/garden/proposals/1").await;
        let answer = post(&bea, serde_json::json!({"choice": {"position": "yes"}})).await.expect("POST");
        assert_eq!(answer.status(), 201);

        // The vote closes: a page view changes nothing; the node's job closes it.
        store.advance_clock(8 * 24 * HOUR_MS);
        let page = dee.get("/c/garden/proposals/1").await;
        assert!(!page.body.contains("Passed"), "a page view never closes a vote: {}", page.body);
        assert_eq!(server.state.services.close_due_votes().await.expect("close"), 1);
        let page = dee.get("/c/garden/proposals/1").await;
        assert!(page.body.contains("Passed"), "{}", page.body);
        assert!(page.body.contains("This decision is in force"), "{}", page.body);
        assert!(page.body.contains("4 of 4 members took part"), "{}", page.body);
        assert!(page.body.contains("1 votes came through delegation") || page.body.contains("votes came through delegation"), "{}", page.body);
        assert!(page.body.contains("Your ballot is on the published ballot board"), "{}", page.body);
        assert!(page.body.contains("Cai Moreno → Amara Okafor"), "how the delegated vote flowed: {}", page.body);
        let list = dee.get("/c/garden/proposals").await;
        assert!(list.body.contains("<strong>Passed</strong>"), "{}", list.body);
        // A ballot after the close is refused.
        let page = vote(&mut bea, 1, &[("position", "no")]).await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("closed"), "{}", page.body);

        // In the ledger: the enactment, and the new floor lets Bea pay 30 hours.
        let ledger = amara.get("/c/garden/ledger").await;
        assert!(ledger.body.contains("A decision of the circle took effect"), "{}", ledger.body);
        let page = bea
            .submit("/c/garden/pay", "/c/garden/pay", &[("member", "amara"), ("amount", "30")])
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let info = store.circle("garden").await.expect("circle");
        assert_eq!(store.default_limits(&info).await.expect("limits"), (-5000, 4000));

        // `commons audit`: the ledger, and every enactment recounted from the store.
        let report = store.audit("garden", None, &|_| {}).await.expect("audit");
        assert!(report.passed(), "{:?}", report.faults);
        let governance = Governance::new(store.pool().clone());
        let faults = governance.audit_enactments(&store, &info).await.expect("enactments");
        assert!(faults.is_empty(), "{faults:?}");
        // `commons tally garden/1`: the recount from the store matches the recorded decision.
        let proposal = governance.proposal(info.row_id, 1).await.expect("read").expect("found");
        assert_eq!(proposal.status, Status::Enacted);
        let round = governance.round(proposal.id, 1).await.expect("round").expect("found");
        let (counted, recorded) = governance.recount_round(info.row_id, &proposal, &round).await.expect("recount");
        assert_eq!(Some(counted.decision()), recorded);
        assert_eq!(counted.outcome, Outcome::Passed);
        assert_eq!(counted.superseded, 2, "Bea's first two ballots are on the board, not counted");
        // `commons tally --file`: a member downloads the signed ballots and recounts offline.
        let download = bea.get("/c/garden/proposals/1/ballots.jsonl?round=1").await;
        assert_eq!(download.status, 200);
        let parsed = export::parse(&download.body).expect("an export");
        let ballots: Vec<_> = parsed.ballots.into_iter().map(|b| b.expect("readable")).collect();
        let delegations: Vec<_> = parsed.delegations.into_iter().map(|d| d.expect("readable")).collect();
        let offline = recount(&parsed.definition, &ballots, &delegations);
        assert!(offline.problems.is_empty());
        assert_eq!(Some(offline.decision()), parsed.decision);
        server.stop().await;
    };

    a_consent_proposal_with_one_objection_does_not_pass_and_can_be_amended => |url: String| async move {
        let server = TestServer::start(&url).await;
        let store = server.state.services.store().clone();
        let mut amara = set_up(&server).await;
        let mut bea = invite_and_join(&server, &mut amara, "bea", "Bea Lund").await;
        let mut cai = invite_and_join(&server, &mut amara, "cai", "Cai Moreno").await;
        let page = amara
            .submit(
                "/c/garden/proposals/new",
                "/c/garden/proposals/new",
                &[
                    ("title", "Adopt the new watering rota"),
                    ("body", "Two people each week, in turn."),
                    ("method", "consent"),
                    ("action", "none"),
                ],
            )
            .await;
        assert!(page.url.ends_with("/c/garden/proposals/1"), "{}", page.body);
        step(&mut amara, 1, "discuss").await;
        store.advance_clock(49 * HOUR_MS);
        step(&mut amara, 1, "vote").await;
        vote(&mut amara, 1, &[("stance", "agree")]).await;
        // An objection needs its reason.
        let page = vote(&mut cai, 1, &[("stance", "object"), ("reason", "")]).await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("needs a reason"), "{}", page.body);
        vote(&mut cai, 1, &[("stance", "object"), ("reason", "Not before the harvest is in.")]).await;
        // A day before the close, whoever has not voted is reminded, once.
        store.advance_clock(6 * 24 * HOUR_MS + 2 * HOUR_MS);
        assert_eq!(server.state.services.remind_voters().await.expect("remind"), 1);
        assert_eq!(server.state.services.remind_voters().await.expect("again"), 0);
        let notes = bea.get("/notifications").await;
        assert!(notes.body.contains("closes soon, and you have not voted yet"), "{}", notes.body);
        assert!(notes.body.contains("/c/garden/proposals/1"), "{}", notes.body);
        vote(&mut bea, 1, &[("stance", "stand-aside")]).await;
        store.advance_clock(2 * 24 * HOUR_MS);
        server.state.services.close_due_votes().await.expect("close");
        let page = amara.get("/c/garden/proposals/1").await;
        assert!(page.body.contains("Stopped by an objection"), "{}", page.body);
        assert!(page.body.contains("Not before the harvest is in."), "{}", page.body);
        // The author amends it; the circle reads the new text for the minimum time; round 2,
        // with round 1 kept on the record. Everyone who voted is told that it changed.
        let page = amara
            .submit(
                "/c/garden/proposals/1/edit",
                "/c/garden/proposals/1/edit",
                &[
                    ("title", "Adopt the new watering rota after the harvest"),
                    ("body", "Two people each week, in turn, from October."),
                    ("method", "consent"),
                    ("action", "none"),
                ],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let notes = cai.get("/notifications").await;
        assert!(notes.body.contains("changed: read it again before the vote"), "{}", notes.body);
        let page = step(&mut amara, 1, "round").await;
        assert!(page.body.contains("back in discussion"), "{}", page.body);
        let page = step(&mut amara, 1, "vote").await;
        assert_eq!(page.status, 422, "the amended text is read for the minimum time first");
        store.advance_clock(49 * HOUR_MS);
        let page = step(&mut amara, 1, "vote").await;
        assert!(page.body.contains("Voting is open"), "{}", page.body);
        assert!(page.body.contains("Round 2: running results"), "{}", page.body);
        assert!(page.body.contains("Round 1: result"), "{}", page.body);
        server.stop().await;
    };

    nobody_can_seize_power_with_a_proposal_set_to_pass_on_one_vote => |url: String| async move {
        let server = TestServer::start(&url).await;
        let store = server.state.services.store().clone();
        let mut amara = set_up(&server).await;
        let mut bea = invite_and_join(&server, &mut amara, "bea", "Bea Lund").await;
        let _cai = invite_and_join(&server, &mut amara, "cai", "Cai Moreno").await;
        let _dee = invite_and_join(&server, &mut amara, "dee", "Dee Okoro").await;
        let seize = |quorum: &'static str, threshold: &'static str| {
            vec![
                ("title", "Make Bea a steward"),
                ("body", "Trust me."),
                ("method", "majority"),
                ("action", "add-steward"),
                ("action_member", "bea"),
                ("quorum", quorum),
                ("threshold", threshold),
            ]
        };
        // Quorum 0 and threshold 0 would let her own ballot decide: refused, nothing saved.
        let page = bea.submit("/c/garden/proposals/new", "/c/garden/proposals/new", &seize("0", "66")).await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("The quorum can only be raised"), "{}", page.body);
        let page = bea.submit("/c/garden/proposals/new", "/c/garden/proposals/new", &seize("50", "0")).await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("The threshold can only be raised"), "{}", page.body);
        // Left empty, a steward appointment carries the circle's higher bar.
        let page = bea.submit("/c/garden/proposals/new", "/c/garden/proposals/new", &seize("", "")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.url.ends_with("/c/garden/proposals/1"), "{}", page.url);
        assert!(page.body.contains("Quorum 50\u{a0}% · threshold 66\u{a0}%"), "{}", page.body);
        step(&mut bea, 1, "discuss").await;
        store.advance_clock(49 * HOUR_MS);
        let page = step(&mut bea, 1, "vote").await;
        assert!(page.body.contains("Voting is open"), "{}", page.body);
        // Her own "yes" alone is one of four: no quorum, nothing changes.
        vote(&mut bea, 1, &[("position", "yes")]).await;
        store.advance_clock(8 * 24 * HOUR_MS);
        assert_eq!(server.state.services.close_due_votes().await.expect("close"), 1);
        let page = bea.get("/c/garden/proposals/1").await;
        assert!(page.body.contains("too few members took part"), "{}", page.body);
        assert!(!page.body.contains("This decision is in force"), "{}", page.body);
        assert_eq!(bea.get("/c/garden/steward").await.status, 403, "Bea is not a steward");
        let info = store.circle("garden").await.expect("circle");
        assert_eq!(store.stewards(&info).await.expect("stewards").len(), 1);
        server.stop().await;
    };

    a_proposal_is_paused_by_a_steward_or_by_enough_members_and_every_pause_is_public => |url: String| async move {
        let server = TestServer::start(&url).await;
        let store = server.state.services.store().clone();
        let mut amara = set_up(&server).await;
        let mut bea = invite_and_join(&server, &mut amara, "bea", "Bea Lund").await;
        let mut cai = invite_and_join(&server, &mut amara, "cai", "Cai Moreno").await;
        let mut dee = invite_and_join(&server, &mut amara, "dee", "Dee Okoro").await;
        let mut eve = invite_and_join(&server, &mut amara, "eve", "Eve Sato").await;
        let page = bea
            .submit(
                "/c/garden/proposals/new",
                "/c/garden/proposals/new",
                &[("title", "Close the market on Sundays"), ("body", "Rest."), ("method", "majority"), ("action", "none")],
            )
            .await;
        assert!(page.url.ends_with("/c/garden/proposals/1"), "{}", page.body);
        step(&mut bea, 1, "discuss").await;
        cai.submit("/c/garden/proposals/1", "/c/garden/proposals/1/comments", &[("comment", "Why Sundays?")]).await;
        // Editing in discussion restarts its minimum time and tells who took part.
        store.advance_clock(47 * HOUR_MS);
        let page = bea
            .submit(
                "/c/garden/proposals/1/edit",
                "/c/garden/proposals/1/edit",
                &[("title", "Close the market on Sundays and Mondays"), ("body", "Rest, twice."), ("method", "majority"), ("action", "none")],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("changed the text; the discussion time started again"), "{}", page.body);
        let notes = cai.get("/notifications").await;
        assert!(notes.body.contains("changed: read it again before the vote"), "{}", notes.body);
        store.advance_clock(2 * HOUR_MS);
        let page = step(&mut bea, 1, "vote").await;
        assert_eq!(page.status, 422, "49 hours after the first text, but only 2 after the change: {}", page.body);

        // Members ask to pause: a reason is required; three requests pause it.
        let page = cai.submit("/c/garden/proposals/1", "/c/garden/proposals/1/pause", &[("reason", "")]).await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("Say why"), "{}", page.body);
        let page = cai.submit("/c/garden/proposals/1", "/c/garden/proposals/1/pause", &[("reason", "Traders were not asked.")]).await;
        assert!(page.body.contains("1 of the 3 members needed have asked"), "{}", page.body);
        let page = cai.submit("/c/garden/proposals/1", "/c/garden/proposals/1/pause", &[("reason", "Again")]).await;
        assert!(page.body.contains("1 of the 3 members needed have asked"), "asking twice counts once: {}", page.body);
        dee.submit("/c/garden/proposals/1", "/c/garden/proposals/1/pause", &[("reason", "Sunday is market day for many.")]).await;
        let page = eve.submit("/c/garden/proposals/1", "/c/garden/proposals/1/pause", &[("reason", "Let us talk first.")]).await;
        assert!(page.body.contains("The proposal is paused"), "{}", page.body);
        assert!(page.body.contains("Sunday is market day for many."), "the reasons are public: {}", page.body);
        assert!(page.body.contains("paused at the request of members"), "{}", page.body);
        assert!(!page.body.contains("Dee Okoro"), "requesters are not named: {}", page.body);
        let notes = bea.get("/notifications").await;
        assert!(notes.body.contains("was paused"), "the author is told: {}", notes.body);
        // Only stewards lift a pause; an author cannot vote on a paused proposal.
        assert_eq!(cai.submit("/c/garden/proposals/1", "/c/garden/proposals/1/resume", &[]).await.status, 403);
        assert_eq!(step(&mut bea, 1, "vote").await.status, 422);
        let page = amara.submit("/c/garden/proposals/1", "/c/garden/proposals/1/resume", &[]).await;
        assert!(page.body.contains("The pause is lifted"), "{}", page.body);
        assert!(page.body.contains("the pause was lifted"), "{}", page.body);

        // A steward pauses a vote: its round ends without a count.
        store.advance_clock(49 * HOUR_MS);
        let page = step(&mut bea, 1, "vote").await;
        assert!(page.body.contains("Voting is open"), "{}", page.body);
        vote(&mut cai, 1, &[("position", "yes")]).await;
        let page = amara.submit("/c/garden/proposals/1", "/c/garden/proposals/1/pause", &[("reason", "A member reported harassment in this thread.")]).await;
        assert!(page.body.contains("The proposal is paused"), "{}", page.body);
        assert!(page.body.contains("paused by Amara Okafor"), "{}", page.body);
        assert!(page.body.contains("the ballots of round 1 will not be counted"), "{}", page.body);
        let page = vote(&mut dee, 1, &[("position", "no")]).await;
        assert_eq!(page.status, 422, "no ballot while paused");
        store.advance_clock(8 * 24 * HOUR_MS);
        assert_eq!(server.state.services.close_due_votes().await.expect("close"), 0, "a paused round is never counted");
        let page = amara.submit("/c/garden/proposals/1", "/c/garden/proposals/1/resume", &[]).await;
        assert!(page.body.contains("ended by a pause"), "{}", page.body);
        let info = store.circle("garden").await.expect("circle");
        let governance = Governance::new(store.pool().clone());
        let proposal = governance.proposal(info.row_id, 1).await.expect("read").expect("found");
        assert_eq!(proposal.status, Status::Discussion, "by the default policy, a paused vote goes back to discussion");
        server.stop().await;
    };

    a_steward_pause_and_a_members_request_stay_within_the_circle => |url: String| async move {
        let server = TestServer::start(&url).await;
        let mut amara = set_up(&server).await;
        let mut bea = invite_and_join(&server, &mut amara, "bea", "Bea Lund").await;
        bea.submit(
            "/c/garden/proposals/new",
            "/c/garden/proposals/new",
            &[("title", "Plant an orchard"), ("body", "Apples."), ("method", "majority"), ("action", "none")],
        )
        .await;
        step(&mut bea, 1, "discuss").await;
        // A stranger (no member of the circle) reaches nothing, CSRF token or not.
        let mut stranger = server.client();
        stranger.get("/login").await;
        let page = stranger.submit("/login", "/c/garden/proposals/1/pause", &[("reason", "spam")]).await;
        assert!(page.url.contains("/login"), "asked to log in: {} {}", page.status, page.url);
        // Without the CSRF token, nothing is paused.
        let page = amara.post_without_csrf("/c/garden/proposals/1/pause", &[("reason", "x")]).await;
        assert_eq!(page.status, 403);
        let page = bea.get("/c/garden/proposals/1").await;
        assert!(!page.body.contains("This proposal is paused"), "{}", page.body);
        server.stop().await;
    };

    a_node_never_enacts_a_round_frozen_against_the_policy_and_the_audit_catches_one_that_was => |url: String| async move {
        // A patched node froze a steward appointment with quorum 0 and threshold 0, and a voter
        // list of one key it holds: the ballots are valid and the recount passes it.
        let server = TestServer::start(&url).await;
        let store = server.state.services.store().clone();
        let mut amara = set_up(&server).await;
        let page = amara
            .submit(
                "/c/garden/proposals/new",
                "/c/garden/proposals/new",
                &[("title", "Appoint the node's friend"), ("body", "."), ("method", "majority"), ("action", "none")],
            )
            .await;
        assert!(page.url.ends_with("/c/garden/proposals/1"), "{}", page.body);
        step(&mut amara, 1, "discuss").await;
        let info = store.circle("garden").await.expect("circle");
        let governance = Governance::new(store.pool().clone());
        let proposal = governance.proposal(info.row_id, 1).await.expect("read").expect("found");
        let friend = SecretKey::generate();
        let now = store.now_ms();
        let policy = commons_governance::policy::Policy::default();
        let definition = commons_governance::proposal::Definition {
            circle_id: info.circle_id,
            proposal_id: 1,
            round: 1,
            title: proposal.draft.title.clone(),
            body_hash: commons_governance::proposal::body_hash(&proposal.draft.body),
            author: friend.public_key(),
            method: commons_governance::proposal::Method::Majority,
            options: vec![],
            quorum_percent: 0,
            threshold_percent: 0,
            opens_at_ms: now,
            closes_at_ms: now + HOUR_MS,
            electorate: vec![friend.public_key()],
            delegation: false,
            hide_results: false,
            actions: vec![commons_ledger::entry::Action::AddSteward { key: friend.public_key() }],
            policy_hash: policy.hash(),
            discussed_since_ms: now,
        };
        let round = governance.open_round(&proposal, Status::Discussion, &definition, &policy, now).await.expect("open");
        let ballot = Ballot::new(&definition, friend.public_key(), now + 1, Choice::Majority(Position::Yes)).sign(&friend);
        governance.cast(&ballot, now + 1).await.expect("cast");
        store.advance_clock(2 * HOUR_MS);
        assert_eq!(server.state.services.close_due_votes().await.expect("close"), 1);
        // The honest node checks the policy before it writes: nothing is enacted.
        let closed = governance.proposal(info.row_id, 1).await.expect("read").expect("found");
        assert_eq!(closed.status, Status::Closed);
        let why = closed.enact_error.clone().expect("refused");
        assert!(why.contains("breaks the policy in force when voting opened"), "{why}");
        assert_eq!(store.stewards(&info).await.expect("stewards").len(), 1);
        let page = amara.get("/c/garden/proposals/1").await;
        assert!(page.body.contains("breaks the policy"), "the refusal is shown: {}", page.body);
        // A patched node that enacts it anyway is caught by the audit.
        let decision = round_decision(&governance, proposal.id).await;
        store.enact(&info, round.definition_hash, decision, definition.actions.clone()).await.expect("the ledger alone cannot tell");
        let faults = governance.audit_enactments(&store, &info).await.expect("audit");
        assert_eq!(faults.len(), 1, "{faults:?}");
        assert!(faults[0].1.contains("quorum is 0 %, below the 50 % the policy asks for steward-level actions"), "{faults:?}");
        server.stop().await;
    };
}

async fn round_decision(governance: &Governance, proposal: i64) -> Hash {
    let round = governance
        .round(proposal, 1)
        .await
        .expect("round")
        .expect("found");
    Hash::from_hex(&round.decision.expect("decided").board_root).expect("hex")
}
