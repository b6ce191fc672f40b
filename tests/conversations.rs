//! Private conversations end to end, on SQLite and PostgreSQL: starting one from the pages,
//! replying, being told (on the page and by mail, without the words), muting and leaving; who
//! is refused (another circle's member, a member not in it, a steward, a moderator, a
//! recovered login, a new member starting one); a report that shows the moderators only the
//! messages the reporter chose; the takeout holding one's own messages; erasure removing them.
//! The reach rule's own row for private messages is in `tests/reach.rs`.

use commons_tests::both_backends;
use commons_tests::node::Node;
use commons_tests::smtp::SmtpSink;
use commons_tests::web::{
    invite_and_join, join_second_circle, recovery_link, set_up, Member, TestServer,
};
use commons_web::conversations::rules::{parse_recipients, MessageBody, StartCommand};
use commons_web::conversations::service::Correspondent;
use commons_web::email::MailConfig;
use commons_web::services::{ActionError, Actor};

fn id_in(url: &str) -> i64 {
    let at = url.find("/messages/").expect("a conversation's address") + "/messages/".len();
    url[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("its number")
}

async fn write(member: &mut Member, to: &str, body: &str) -> i64 {
    let page = member
        .submit(
            "/c/garden/messages/new",
            "/c/garden/messages",
            &[("to", to), ("body", body)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(body), "the sender reads what they wrote");
    id_in(&page.url)
}

async fn talking(db: String) {
    let sink = SmtpSink::start(0);
    let mut mail = MailConfig::new(&sink.url(), "Garden Share <garden@example.org>");
    mail.tick_ms = 50;
    let server = TestServer::start_configured(&db, move |config| config.mail = Some(mail)).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    let mut chen = invite_and_join(&server, &mut amara, "chen", "Chen Wei").await;
    let mut dee = invite_and_join(&server, &mut amara, "dee", "Dee Lopez").await;
    commons_tests::smtp::verify_address(&sink, &mut chen, "chen@example.org").await;

    // From Chen's page, Ben writes to her.
    let profile = ben.get("/c/garden/members/chen").await;
    assert!(profile.body.contains("/c/garden/messages/new?to=chen"));
    let id = write(
        &mut ben,
        "chen",
        "Could you show me how to graft the apple tree?",
    )
    .await;
    let path = format!("/c/garden/messages/{id}");

    // Chen is told by mail at once (the mail never carries the words) and on the page.
    let mails = sink.wait_for(2).await;
    let told = mails
        .iter()
        .find(|m| m.to == "chen@example.org" && m.subject.contains("private conversation"))
        .expect("mailed at once");
    assert!(
        !told.text.contains("graft"),
        "the words stay on the node: {}",
        told.text
    );
    let notes = chen.get("/notifications").await;
    assert!(
        notes.body.contains("New message in a private conversation"),
        "{}",
        notes.body
    );
    assert!(notes.body.contains("Ben Carter"), "who wrote is named");

    let page = chen.get(&path).await;
    assert!(page.body.contains("graft the apple tree"));
    let page = chen
        .submit(&path, &path, &[("body", "Yes! Saturday morning?")])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(ben.get(&path).await.body.contains("Saturday morning?"));
    let list = ben.get("/c/garden/messages").await;
    assert!(list.body.contains("Chen Wei") && list.body.contains("Saturday morning?"));

    // Writing to the same person again continues the same conversation.
    assert_eq!(write(&mut ben, "chen", "Saturday works.").await, id);

    // Nobody else reads it: another member, the steward who moderates, nor by its report form.
    for (who, member) in [("dee", &mut dee), ("amara", &mut amara)] {
        for suffix in ["", "/report"] {
            let page = member.get(&format!("{path}{suffix}")).await;
            assert_eq!(page.status, 404, "{who} {suffix}");
            assert!(!page.body.contains("graft"), "{who}");
        }
        let page = member
            .submit("/c/garden/messages", &path, &[("body", "me too")])
            .await;
        assert_eq!(page.status, 404, "{who} cannot write in it");
    }
    // Another circle's member meets no such conversation, even by number.
    join_second_circle(&mut amara, &mut dee).await;
    assert_eq!(dee.get(&path.replace("garden", "river")).await.status, 404);

    // Muting keeps it but tells nothing new; leaving ends it for the one who leaves.
    chen.submit(&path, &format!("{path}/mute"), &[("muted", "on")])
        .await;
    let before = chen
        .get("/notifications")
        .await
        .body
        .matches("private conversation")
        .count();
    write(&mut ben, "chen", "Bring gloves.").await;
    let after = chen
        .get("/notifications")
        .await
        .body
        .matches("private conversation")
        .count();
    assert_eq!(before, after, "a muted conversation tells nothing new");
    chen.submit(&path, &format!("{path}/leave"), &[]).await;
    let page = ben.submit(&path, &path, &[("body", "Hello?")]).await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("Everyone else left this conversation"),
        "{}",
        page.body
    );
    let page = chen.get(&path).await;
    assert!(page.body.contains("Bring gloves.") && !page.body.contains("Hello?"));
    server.stop().await;
}

async fn recovered_login(db: String) {
    let server = TestServer::start(&db).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Carter").await;
    let id = write(&mut amara, "ben", "Welcome, Ben!").await;
    let path = format!("/c/garden/messages/{id}");
    assert!(ben.get(&path).await.body.contains("Welcome, Ben!"));

    // A steward who recovers Ben's login does not read his messages with it.
    let link = recovery_link(&mut amara, "garden", "ben").await;
    let mut holder = server.client();
    holder
        .submit(&link, &link, &[("password", "the holder's password")])
        .await;
    for page in ["/c/garden/messages", path.as_str()] {
        let page = holder.get(page).await;
        assert_eq!(page.status, 403, "{}", page.body);
        assert!(!page.body.contains("Welcome, Ben!"));
    }
    // Nor learns who writes to him: no notification of a private message reaches that login.
    let notes = holder.get("/notifications").await;
    assert_eq!(notes.status, 200);
    assert!(
        !notes.body.contains("New message in a private conversation"),
        "{}",
        notes.body
    );
    server.stop().await;
}

fn correspondent(actor: &Actor) -> Correspondent {
    Correspondent::new(actor.clone(), &commons_tests::full(&actor.user)).expect("the whole account")
}

fn start_command(to: &str, writer: &Actor, body: &str) -> StartCommand {
    StartCommand {
        to: parse_recipients(to, &writer.user.username).expect("people"),
        body: MessageBody::parse(body).expect("words"),
    }
}

async fn start(node: &Node, from: &Actor, to: &str, body: &str) -> Result<i64, ActionError> {
    node.state
        .services
        .start_conversation(&correspondent(from), &start_command(to, from, body))
        .await
}

async fn reporting(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (gus, hana) = (node.member("gus").await, node.member("hana").await);
    let id = start(&node, &gus, "hana", "Hi Hana, about the soup pot.")
        .await
        .expect("started");
    let who = correspondent(&gus);
    for body in [
        "You never answer, you are useless.",
        "Sorry, long day. Forget that.",
    ] {
        let body = MessageBody::parse(body).expect("words");
        services
            .conversation_message(&who, id, &body)
            .await
            .expect("sent");
    }
    let hanas = correspondent(&hana);
    let messages = services
        .reportable_messages(&hanas, id)
        .await
        .expect("hers to choose from");
    assert_eq!(messages.len(), 3);
    let rude = messages[1].message.id;
    let command = commons_web::moderation::service::ReportCommand {
        agreements: vec![1],
        note: "This hurt.".into(),
    };
    let mine = services
        .start_conversation(&hanas, &start_command("gus", &hana, "Please be kind."))
        .await
        .expect("her reply");
    assert_eq!(mine, id, "the same two people: the same conversation");
    let own = messages.iter().find(|m| m.mine).map(|m| m.message.id);
    assert!(own.is_none(), "the form is read before Hana wrote");
    let case = services
        .report_conversation(&hanas, id, &[rude], &command)
        .await
        .expect("reported");
    let view = services
        .case_view(&node.steward, case)
        .await
        .expect("the moderators' case");
    assert!(
        view.case.snapshot.contains("you are useless"),
        "{}",
        view.case.snapshot
    );
    for unchosen in ["soup pot", "Forget that", "Please be kind"] {
        assert!(
            !view.case.snapshot.contains(unchosen),
            "{unchosen} was not chosen"
        );
    }
    assert_eq!(view.case.subject_id, Some(gus.user.id));

    // Refused: choosing nobody else's message, another conversation's message, the generic
    // report form for a private message, and someone outside the conversation.
    let refused = services
        .report_conversation(&hanas, id, &[], &command)
        .await;
    assert!(matches!(
        refused,
        Err(ActionError::Invalid {
            field: "messages",
            ..
        })
    ));
    let other = start(&node, &node.steward, "gus", "Gus, a word?")
        .await
        .expect("another");
    let theirs = services
        .conversation_page(&correspondent(&node.steward), other, None)
        .await
        .expect("read")
        .messages[0]
        .message
        .id;
    let refused = services
        .report_conversation(&hanas, id, &[theirs], &command)
        .await;
    assert!(matches!(
        refused,
        Err(ActionError::Invalid {
            field: "messages",
            ..
        })
    ));
    let refused = services
        .report_target(
            &hana,
            commons_governance::moderation::TargetKind::ConversationMessage,
            &rude.to_string(),
        )
        .await;
    assert!(matches!(refused, Err(ActionError::NotFound)));
    let refused = services
        .report_conversation(&correspondent(&node.steward), id, &[rude], &command)
        .await;
    assert!(matches!(refused, Err(ActionError::NotFound)));
}

async fn who_starts(db: String) {
    let node = Node::start(&db).await;
    let gus = node.member("gus").await;
    let mut names = Vec::new();
    for n in 1..=8 {
        node.member(&format!("pat{n}")).await;
        names.push(format!("pat{n}"));
    }
    assert_eq!(
        parse_recipients(&names.join(","), "gus"),
        Err("conversation-error-to-many"),
        "nine people is too many"
    );
    let seven = names[..7].join(",");
    start(&node, &gus, &seven, "Hello all seven")
        .await
        .expect("eight people in all");

    // Someone who asked to join (nobody vouched) answers, but starts nothing in their first week.
    let newcomer = node.newcomer("ivy").await;
    let refused = start(&node, &newcomer, "gus", "Hi!").await;
    assert!(
        matches!(
            refused,
            Err(ActionError::Invalid {
                message_id: "conversation-error-sandbox",
                ..
            })
        ),
        "{refused:?}"
    );
    let id = start(&node, &gus, "ivy", "Welcome, Ivy!")
        .await
        .expect("gus writes first");
    let body = MessageBody::parse("Thank you!").expect("words");
    node.state
        .services
        .conversation_message(&correspondent(&newcomer), id, &body)
        .await
        .expect("she answers");
}

async fn takeout_and_erasure(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (gus, hana) = (node.member("gus").await, node.member("hana").await);
    let id = start(&node, &gus, "hana", "My secret soup recipe: lentils.")
        .await
        .expect("started");
    let body = MessageBody::parse("Hana's answer: add cumin.").expect("words");
    services
        .conversation_message(&correspondent(&hana), id, &body)
        .await
        .expect("sent");

    let archive = services
        .takeout(&commons_tests::full(&gus.user))
        .await
        .expect("takeout");
    let file = archive
        .file("circles/riverside/messages.json")
        .expect("messages.json");
    let text = String::from_utf8_lossy(file);
    assert!(text.contains("lentils") && text.contains("hana"), "{text}");
    assert!(!text.contains("cumin"), "nobody else's words: {text}");

    assert!(services.erase_now(gus.user.id).await.expect("erased"));
    let view = services
        .conversation_page(&correspondent(&hana), id, None)
        .await
        .expect("hana still has her conversation");
    let words: Vec<&str> = view
        .messages
        .iter()
        .map(|m| m.message.body.as_str())
        .collect();
    assert_eq!(
        words,
        ["Hana's answer: add cumin."],
        "gus's words went with him"
    );
}

both_backends! {
    people_write_to_each_other_and_nobody_else_reads_it => talking;
    a_steward_who_recovers_a_login_reads_no_private_message_with_it => recovered_login;
    a_report_shows_the_moderators_only_the_chosen_messages => reporting;
    new_members_answer_but_start_none_and_eight_people_at_most => who_starts;
    takeout_holds_ones_own_messages_and_erasure_removes_them => takeout_and_erasure;
}
