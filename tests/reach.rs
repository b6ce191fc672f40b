//! The one reach rule, end to end on SQLite and PostgreSQL: for every channel that carries one
//! person's words, money or attention to another, a block either way, a mute, a moderator's
//! hide or hold and a suspension each stop it (the rule's table itself is tested in
//! `web/src/reach/rules.rs`). `every_channel_has_an_end_to_end_test` fails when a channel is
//! added without a test here that names it.

use commons_governance::moderation::{ActionKind, TargetKind};
use commons_tests::both_backends;
use commons_tests::node::Node;
use commons_web::conversations::rules::{parse_recipients, MessageBody, StartCommand};
use commons_web::conversations::service::Correspondent;
use commons_web::db::discussions::FollowMode;
use commons_web::db::BlockKind;
use commons_web::discussions::rules::ThreadCommand;
use commons_web::ledger::form::TransferCommand;
use commons_web::moderation::service::ActCommand;
use commons_web::names::Username;
use commons_web::news::rules::NewsCommand;
use commons_web::reach::Channel;
use commons_web::services::{ActionError, Actor, IdempotencyKey};

/// The test in this file that shows each channel asking the reach rule. A new channel does not
/// compile here until someone names its test.
fn covered_by(channel: Channel) -> &'static str {
    match channel {
        // Across a link too: `money_across_a_link_never_crosses_a_block_nor_comes_from_a_suspended_member`.
        // A deal across: `a_deal_across_a_link_reaches_nobody_who_blocked_or_muted_the_writer_nor_from_a_suspended_one`.
        Channel::Payment | Channel::PaymentRequest => {
            "money_never_crosses_a_block_or_comes_from_a_suspended_member"
        }
        Channel::DealMessage => "a_deals_messages_reach_nobody_who_blocked_or_muted_the_writer",
        Channel::PrivateMessage => {
            "a_private_message_reaches_nobody_who_blocked_or_muted_the_writer_nor_from_a_suspended_one"
        }
        Channel::Reply | Channel::Notification | Channel::Home => {
            "a_thread_title_reaches_nobody_the_rule_stops_however_it_is_edited"
        }
        Channel::Announcement => "an_announcement_reaches_nobody_who_blocked_its_author",
        Channel::Mention => "a_mention_reaches_nobody_who_blocked_or_muted_its_author",
        Channel::EmailNow => "mail_at_once_asks_the_rule_when_it_is_written",
        Channel::Digest => "digests_ask_the_rule_when_they_are_written",
    }
}

#[test]
fn every_channel_has_an_end_to_end_test() {
    let source = include_str!("reach.rs");
    for &channel in Channel::ALL {
        let name = covered_by(channel);
        assert!(
            source.contains(&format!("    {name} => ")),
            "{channel:?}: no test named {name} runs on both backends"
        );
    }
}

fn username(text: &str) -> Username {
    text.parse().expect("a username")
}

async fn block(node: &Node, who: &Actor, whom: &str, kind: BlockKind) {
    node.state
        .services
        .block(who, &username(whom), kind)
        .await
        .expect("blocked");
}

async fn unblock(node: &Node, who: &Actor, whom: &Actor) {
    node.state
        .services
        .unblock(&commons_tests::full(&who.user), whom.user.id)
        .await
        .expect("undone");
}

/// The member as the next request would find them (restrictions are read per request).
async fn again(node: &Node, actor: &Actor) -> Actor {
    node.state
        .services
        .actor(&actor.user, commons_tests::node::SLUG, actor.session)
        .await
        .expect("still a member")
}

/// A moderator's action on the only open case about `target`, reported by `reporter`.
async fn moderate(node: &Node, reporter: &Actor, kind: TargetKind, id: &str, action: ActionKind) {
    let case = node
        .report(reporter, kind, id, vec![1], "Not for here.")
        .await;
    let until = node.state.services.now_ms() + 7 * 24 * 3600 * 1000;
    let command = ActCommand {
        kind: action,
        agreements: vec![1],
        reason: "Against our agreements.".into(),
        ends_at_ms: matches!(action, ActionKind::Suspend).then_some(until),
    };
    node.state
        .services
        .act(&node.steward, case, &command)
        .await
        .expect("acted");
}

async fn pay(node: &Node, from: &Actor, to: &str) -> Result<(), ActionError> {
    let command = TransferCommand::parse(&from.circle, to, "1", "For the soup")?;
    node.state
        .services
        .pay(from, &command, &IdempotencyKey::generate())
        .await
        .map(|_| ())
}

async fn ask(node: &Node, from: &Actor, to: &str) -> Result<(), ActionError> {
    let command = TransferCommand::parse(
        &from.circle,
        to,
        "1",
        "You blocked me but I can still write to you",
    )?;
    node.state
        .services
        .request_payment(from, &command, &IdempotencyKey::generate())
        .await
        .map(|_| ())
}

fn not_there(result: Result<(), ActionError>) -> bool {
    matches!(
        result,
        Err(ActionError::Invalid {
            field: "member",
            message_id: "error-member-unknown"
        })
    )
}

async fn money(db: String) {
    let node = Node::start(&db).await;
    let (gus, hana) = (node.member("gus").await, node.member("hana").await);
    pay(&node, &gus, "hana")
        .await
        .expect("they pay each other before any block");
    ask(&node, &gus, "hana").await.expect("and ask");

    block(&node, &hana, "gus", BlockKind::Block).await;
    assert!(
        not_there(ask(&node, &gus, "hana").await),
        "gus's request does not reach hana"
    );
    assert!(not_there(pay(&node, &gus, "hana").await), "nor his payment");
    assert!(
        not_there(pay(&node, &hana, "gus").await),
        "a block works both ways"
    );
    unblock(&node, &hana, &gus).await;

    // A mute keeps hana's attention, not the money: the payment is made.
    block(&node, &hana, "gus", BlockKind::Mute).await;
    pay(&node, &gus, "hana")
        .await
        .expect("a mute stops no payment");
    unblock(&node, &hana, &gus).await;

    moderate(&node, &hana, TargetKind::Member, "gus", ActionKind::Suspend).await;
    let gus = again(&node, &gus).await;
    assert!(matches!(
        pay(&node, &gus, "hana").await,
        Err(ActionError::Suspended(_))
    ));
    assert!(matches!(
        ask(&node, &gus, "hana").await,
        Err(ActionError::Suspended(_))
    ));
}

/// Payments and payment requests to a member of a linked circle (on this node) ask the same
/// rule: a block either way stops both, a mute stops neither, a suspension stops both.
async fn money_across(db: String) {
    use commons_tests::node::cross_pay;
    let node = Node::start(&db).await;
    let repair = node.second_circle("repair", "Repair Café", "credits").await;
    let (gus, hana) = (node.member("gus").await, node.member("hana").await);
    let carol = node.member_in(&repair, "carol").await;
    node.link(&node.steward, &[&gus, &hana], "repair", ("1", "1", "30"))
        .await;
    node.link(&repair, &[&carol], "riverside", ("1", "1", "30"))
        .await;
    let services = &node.state.services;
    let pay = |from: Actor| async move {
        services
            .pay_across(
                &from,
                &cross_pay("repair", "carol", 100),
                &IdempotencyKey::generate(),
            )
            .await
            .map(|_| ())
    };
    let ask = |from: Actor| async move {
        services
            .request_across(
                &from,
                &cross_pay("repair", "carol", 100),
                &IdempotencyKey::generate(),
            )
            .await
            .map(|_| ())
    };
    pay(gus.clone())
        .await
        .expect("they pay across before any block");
    ask(gus.clone()).await.expect("and ask");
    block(&node, &carol, "gus", BlockKind::Block).await;
    assert!(
        not_there(ask(gus.clone()).await),
        "gus's request does not reach carol"
    );
    assert!(not_there(pay(gus.clone()).await), "nor his payment");
    let back = services
        .request_across(
            &carol,
            &cross_pay("riverside", "gus", 100),
            &IdempotencyKey::generate(),
        )
        .await;
    assert!(
        matches!(
            back,
            Err(ActionError::Invalid {
                field: "member",
                ..
            })
        ),
        "a block works both ways: {back:?}"
    );
    unblock(&node, &carol, &gus).await;
    block(&node, &carol, "gus", BlockKind::Mute).await;
    pay(gus.clone()).await.expect("a mute stops no payment");
    unblock(&node, &carol, &gus).await;
    moderate(&node, &hana, TargetKind::Member, "gus", ActionKind::Suspend).await;
    let gus = again(&node, &gus).await;
    assert!(matches!(
        pay(gus.clone()).await,
        Err(ActionError::Suspended(_))
    ));
    assert!(matches!(ask(gus).await, Err(ActionError::Suspended(_))));
}

async fn deals_across(db: String) {
    let node = Node::start(&db).await;
    let repair = node.second_circle("repair", "Repair Café", "credits").await;
    let (gus, hana) = (node.member("gus").await, node.member("hana").await);
    let carol = node.member_in(&repair, "carol").await;
    node.link(&node.steward, &[&gus, &hana], "repair", ("1", "1", "30"))
        .await;
    node.link(&repair, &[&carol], "riverside", ("1", "1", "30"))
        .await;
    let services = &node.state.services;
    let soup = node
        .try_post(&carol, "offer", "Soup on Sundays", "A pot for the street")
        .await
        .expect("posted");
    let bread = node
        .try_post(&carol, "offer", "Bread on Fridays", "Two loaves")
        .await
        .expect("posted");
    let cafe = carol.circle.circle_id;
    let before = stored(&node, &carol).await;
    let deal = services
        .open_deal_across(&gus, &cafe, soup, "Can I have some?")
        .await
        .expect("a deal before any block");
    assert_eq!(
        stored(&node, &carol).await,
        before + 2,
        "opened, and his first words"
    );
    block(&node, &carol, "gus", BlockKind::Mute).await;
    services
        .message_deal_across(&gus, deal, "Hello again")
        .await
        .expect("a muted member still writes in the deal");
    assert_eq!(
        stored(&node, &carol).await,
        before + 2,
        "and his new message draws no attention"
    );
    unblock(&node, &carol, &gus).await;
    let closed = |result: Result<(), ActionError>| {
        matches!(
            result,
            Err(ActionError::Invalid {
                message_id: "deal-error-messages-closed",
                ..
            })
        )
    };
    for (blocker, blocked) in [(&carol, "gus"), (&gus, "carol")] {
        block(&node, blocker, blocked, BlockKind::Block).await;
        assert!(
            closed(services.message_deal_across(&gus, deal, "Hello?").await),
            "a block by {} closes the deal's messages",
            blocker.user.username
        );
        let opened = services.open_deal_across(&gus, &cafe, bread, "").await;
        assert!(
            opened.is_err(),
            "and no new deal reaches across it: {opened:?}"
        );
        let other = if blocked == "gus" { &gus } else { &carol };
        unblock(&node, blocker, other).await;
    }
    assert!(
        cards_of(&node, &carol).await.contains("DealAcross"),
        "unblocked, what he wrote before is hers to see again"
    );
    moderate(&node, &hana, TargetKind::Member, "gus", ActionKind::Suspend).await;
    let gus = again(&node, &gus).await;
    assert!(matches!(
        services
            .message_deal_across(&gus, deal, "Still there?")
            .await,
        Err(ActionError::Suspended(_))
    ));
    assert!(matches!(
        services.open_deal_across(&gus, &cafe, bread, "").await,
        Err(ActionError::Suspended(_))
    ));
}

/// How many of the member's notifications are unread.
async fn unread(node: &Node, actor: &Actor) -> i64 {
    node.state
        .services
        .node_db()
        .unread_count(actor.user.id)
        .await
        .expect("count")
}

/// How many notifications the member has, read or not.
async fn stored(node: &Node, actor: &Actor) -> usize {
    kinds_of(node, actor).await.len()
}

async fn cards_of(node: &Node, actor: &Actor) -> String {
    node.state
        .services
        .notification_cards(&actor.user)
        .await
        .expect("cards")
        .iter()
        .map(|card| format!("{:?}", card))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn home_of(node: &Node, actor: &Actor) -> String {
    format!(
        "{:?}",
        node.state.services.pulse(actor).await.expect("pulse")
    )
}

async fn start_thread(node: &Node, author: &Actor, title: &str) -> i64 {
    let services = &node.state.services;
    let category = services
        .discussion_categories(author)
        .await
        .expect("categories")[0]
        .id;
    let command = ThreadCommand::parse(&category.to_string(), title, "Who has a spare rake?")
        .expect("a thread");
    services
        .start_thread(author, &command)
        .await
        .expect("started")
}

async fn thread_titles(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (gus, hana) = (node.member("gus").await, node.member("hana").await);
    let thread = start_thread(&node, &gus, "Garden tools").await;
    services
        .set_thread_follow(&hana, thread, Some(FollowMode::Follow))
        .await
        .expect("follows");
    services
        .reply_thread(&gus, thread, "I have two rakes.")
        .await
        .expect("reply");
    assert!(
        cards_of(&node, &hana).await.contains("Garden tools"),
        "told of the reply"
    );
    assert!(home_of(&node, &hana).await.contains("Garden tools"));

    // Blocked, gus turns his thread's title into a message to hana: it reaches her nowhere.
    block(&node, &hana, "gus", BlockKind::Block).await;
    let edited = ThreadCommand::parse("1", "You blocked me but I can still write to you", "Hello")
        .expect("a command");
    let category = services
        .discussion_categories(&gus)
        .await
        .expect("categories")[0]
        .id;
    let edited = ThreadCommand { category, ..edited };
    services
        .edit_thread(&gus, thread, &edited)
        .await
        .expect("edited");
    services
        .reply_thread(&gus, thread, "Still here.")
        .await
        .expect("reply");
    let words = "You blocked me";
    assert!(
        !cards_of(&node, &hana).await.contains(words),
        "not in her notifications"
    );
    assert!(
        !home_of(&node, &hana).await.contains(words),
        "not on her home"
    );
    assert_eq!(
        stored(&node, &hana).await,
        1,
        "the reply after the block was never stored"
    );
    assert_eq!(
        unread(&node, &hana).await,
        0,
        "and what gus sent before no longer counts as waiting"
    );
    unblock(&node, &hana, &gus).await;
    assert!(
        cards_of(&node, &hana).await.contains(words),
        "undone, it shows again"
    );

    // A mute, a hold and a hide each stop it too.
    block(&node, &hana, "gus", BlockKind::Mute).await;
    assert!(!cards_of(&node, &hana).await.contains(words), "muted");
    assert!(!home_of(&node, &hana).await.contains(words), "muted");
    unblock(&node, &hana, &gus).await;
    moderate(
        &node,
        &hana,
        TargetKind::Thread,
        &thread.to_string(),
        ActionKind::Hide,
    )
    .await;
    assert!(
        !cards_of(&node, &hana).await.contains(words),
        "hidden by a moderator"
    );
    assert!(
        !home_of(&node, &hana).await.contains(words),
        "hidden by a moderator"
    );
}

/// A notification about a thread a moderator later hid, or caused by a member later suspended,
/// counts as unread for nobody: the count never points at what the rule keeps quiet.
async fn unread_counts(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (gus, hana, ida) = (
        node.member("gus").await,
        node.member("hana").await,
        node.member("ida").await,
    );
    let follow_a_reply = |title: &'static str| {
        let (node, gus, hana) = (&node, &gus, &hana);
        async move {
            let thread = start_thread(node, gus, title).await;
            services
                .set_thread_follow(hana, thread, Some(FollowMode::Follow))
                .await
                .expect("follows");
            services
                .reply_thread(gus, thread, "Come and see.")
                .await
                .expect("reply");
            thread
        }
    };
    let thread = follow_a_reply("Garden tools").await;
    assert_eq!(unread(&node, &hana).await, 1);
    moderate(
        &node,
        &ida,
        TargetKind::Thread,
        &thread.to_string(),
        ActionKind::Hide,
    )
    .await;
    assert_eq!(unread(&node, &hana).await, 0, "hidden: nothing to count");
    follow_a_reply("Seed swap").await;
    assert_eq!(unread(&node, &hana).await, 1);
    moderate(&node, &ida, TargetKind::Member, "gus", ActionKind::Suspend).await;
    assert_eq!(unread(&node, &hana).await, 0, "suspended: quiet");
    assert_eq!(cards_of(&node, &hana).await, "", "and nothing listed");
}

async fn deal_messages(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (gus, hana) = (node.member("gus").await, node.member("hana").await);
    let listing = node
        .try_post(
            &hana,
            "offer",
            "Soup on Sundays",
            "A pot of soup for the street",
        )
        .await
        .expect("posted");
    let deal = services
        .open_deal(&gus, listing, "Can I have some?")
        .await
        .expect("deal");
    assert_eq!(unread(&node, &hana).await, 1);
    block(&node, &hana, "gus", BlockKind::Mute).await;
    services
        .deal_message(&gus, deal.deal.id, "Hello again")
        .await
        .expect("a muted member still writes in the deal");
    assert_eq!(
        unread(&node, &hana).await,
        0,
        "muting marks what gus sent as seen"
    );
    assert_eq!(
        stored(&node, &hana).await,
        1,
        "and his new message draws no attention"
    );
    unblock(&node, &hana, &gus).await;
    block(&node, &hana, "gus", BlockKind::Block).await;
    assert!(
        services
            .deal_message(&gus, deal.deal.id, "Hello?")
            .await
            .is_err(),
        "a block closes the deal's messages"
    );
    assert_eq!(stored(&node, &hana).await, 1);
    assert!(
        cards_of(&node, &hana).await.is_empty(),
        "and what gus wrote before no longer draws her attention"
    );
}

fn correspondent(actor: &Actor) -> Correspondent {
    Correspondent::new(actor.clone(), &commons_tests::full(&actor.user)).expect("whole account")
}

async fn start_conversation(
    node: &Node,
    from: &Actor,
    to: &str,
    body: &str,
) -> Result<i64, ActionError> {
    let command = StartCommand {
        to: parse_recipients(to, &from.user.username).expect("people"),
        body: MessageBody::parse(body).expect("words"),
    };
    node.state
        .services
        .start_conversation(&correspondent(from), &command)
        .await
}

async fn say(node: &Node, from: &Actor, id: i64, body: &str) -> Result<(), ActionError> {
    let body = MessageBody::parse(body).expect("words");
    node.state
        .services
        .conversation_message(&correspondent(from), id, &body)
        .await
}

/// What `reader` reads in a conversation.
async fn read_in(node: &Node, reader: &Actor, id: i64) -> Vec<String> {
    node.state
        .services
        .conversation_page(&correspondent(reader), id, None)
        .await
        .expect("their conversation")
        .messages
        .into_iter()
        .map(|m| m.message.body)
        .collect()
}

async fn private_messages(db: String) {
    let node = Node::start(&db).await;
    let (gus, hana, ida) = (
        node.member("gus").await,
        node.member("hana").await,
        node.member("ida").await,
    );
    let id = start_conversation(&node, &gus, "hana, ida", "Soup on Sunday?")
        .await
        .expect("started");
    assert_eq!(unread(&node, &hana).await, 1);

    // A mute: gus still writes, hana still reads, but nothing draws her attention.
    block(&node, &hana, "gus", BlockKind::Mute).await;
    assert_eq!(
        unread(&node, &hana).await,
        0,
        "muting marks what gus sent as seen"
    );
    say(&node, &gus, id, "Bring bowls.")
        .await
        .expect("a muted member still writes");
    assert_eq!(stored(&node, &hana).await, 1, "and draws no attention");
    assert!(read_in(&node, &hana, id)
        .await
        .contains(&"Bring bowls.".to_owned()));
    unblock(&node, &hana, &gus).await;

    // A block: hana no longer reads gus (nor he her), ida still reads both; one to one, the
    // conversation is closed both ways.
    block(&node, &hana, "gus", BlockKind::Block).await;
    say(&node, &hana, id, "I can bring bread.")
        .await
        .expect("ida still reads her");
    assert_eq!(read_in(&node, &hana, id).await, ["I can bring bread."]);
    assert!(!read_in(&node, &gus, id)
        .await
        .contains(&"I can bring bread.".to_owned()));
    assert!(read_in(&node, &ida, id)
        .await
        .contains(&"I can bring bread.".to_owned()));
    assert!(
        start_conversation(&node, &gus, "hana", "Why?")
            .await
            .is_err(),
        "no new conversation across a block"
    );
    assert!(
        start_conversation(&node, &hana, "gus", "Stop.")
            .await
            .is_err(),
        "either way"
    );
    let pair = start_conversation(&node, &ida, "gus", "Hi there")
        .await
        .expect("ida and gus");
    say(&node, &gus, pair, "Gus here.")
        .await
        .expect("gus answers");
    unblock(&node, &hana, &gus).await;

    // A suspension refuses what gus writes, and hides what he wrote from everyone else.
    moderate(&node, &ida, TargetKind::Member, "gus", ActionKind::Suspend).await;
    let suspended = again(&node, &gus).await;
    assert!(say(&node, &suspended, pair, "Hello?").await.is_err());
    assert!(start_conversation(&node, &suspended, "ida", "Hello?")
        .await
        .is_err());
    assert_eq!(
        read_in(&node, &ida, pair).await,
        ["Hi there"],
        "his words are not shown"
    );
}

/// The kinds of the notifications `actor` holds.
async fn kinds_of(node: &Node, actor: &Actor) -> Vec<&'static str> {
    node.state
        .services
        .node_db()
        .notifications(actor.user.id, 50)
        .await
        .expect("notes")
        .iter()
        .map(|n| n.kind.as_str())
        .collect()
}

async fn mentions(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (gus, hana, ida) = (
        node.member("gus").await,
        node.member("hana").await,
        node.member("ida").await,
    );
    let thread = start_thread(&node, &gus, "Soup rota").await;
    services
        .reply_thread(&gus, thread, "@hana and @ida, could you take Sunday?")
        .await
        .expect("replied");
    assert_eq!(kinds_of(&node, &hana).await, ["mention"]);
    assert_eq!(kinds_of(&node, &ida).await, ["mention"]);

    block(&node, &hana, "gus", BlockKind::Block).await;
    block(&node, &ida, "gus", BlockKind::Mute).await;
    services
        .reply_thread(&gus, thread, "@hana @ida please answer")
        .await
        .expect("replied");
    assert_eq!(
        kinds_of(&node, &hana).await,
        ["mention"],
        "a blocked author's mention reaches nobody"
    );
    assert_eq!(
        kinds_of(&node, &ida).await,
        ["mention"],
        "nor a muted one's"
    );
    unblock(&node, &hana, &gus).await;

    // The other way: gus blocked hana, and she mentions him in ida's thread.
    let idas = start_thread(&node, &ida, "Bread rota").await;
    block(&node, &gus, "hana", BlockKind::Block).await;
    services
        .reply_thread(&hana, idas, "@gus I can do Sunday")
        .await
        .expect("replied");
    assert!(kinds_of(&node, &gus).await.is_empty(), "a block either way");
    unblock(&node, &gus, &hana).await;

    // A suspended member's mentions reach nobody either (nor do they post).
    moderate(&node, &hana, TargetKind::Member, "gus", ActionKind::Suspend).await;
    let suspended = again(&node, &gus).await;
    assert!(services
        .reply_thread(&suspended, thread, "@ida?")
        .await
        .is_err());
    let mentions_of_ida = kinds_of(&node, &ida)
        .await
        .into_iter()
        .filter(|k| *k == "mention")
        .count();
    assert_eq!(mentions_of_ida, 1);
}

async fn announcements(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (gus, hana) = (node.member("gus").await, node.member("hana").await);
    block(&node, &hana, "amara", BlockKind::Block).await;
    let news =
        NewsCommand::parse("Seed swap on Saturday", "Bring seeds.", false, true).expect("news");
    services
        .publish_news(&node.steward, &news)
        .await
        .expect("announced");
    assert!(
        cards_of(&node, &gus).await.contains("Seed swap"),
        "gus is told"
    );
    assert!(
        !cards_of(&node, &hana).await.contains("Seed swap"),
        "hana blocked amara"
    );
    assert_eq!(unread(&node, &hana).await, 0);
}

/// A node that writes mail (nothing is sent: no job runs), its digests due now, and hana with a
/// verified address.
async fn node_with_mail(db: &str) -> (Node, Actor) {
    use commons_web::db::email::NewMail;
    let london = jiff::tz::TimeZone::get("Europe/London").expect("a zone");
    let hour = jiff::Timestamp::now().to_zoned(london).hour();
    let node = Node::start_configured(db, |config| {
        let mut mail = commons_web::email::MailConfig::new(
            "smtp://127.0.0.1:9",
            "Garden <garden@example.org>",
        );
        mail.digest_hour = hour;
        config.mail = Some(mail);
    })
    .await;
    let hana = node.member("hana").await;
    let services = &node.state.services;
    let now = services.now_ms();
    let mail = NewMail {
        user_id: hana.user.id,
        purpose: "verify",
        to_address: "hana@example.org".into(),
        message: "Subject: verify\r\n\r\nverify".into(),
    };
    let db = services.node_db();
    db.set_email_address(hana.user.id, b"token", now + 60_000, &mail, now)
        .await
        .expect("address");
    db.verify_email(b"token", now).await.expect("verified");
    (node, hana)
}

/// The plain-text parts of the mails waiting for hana.
async fn mails_to_hana(node: &Node) -> Vec<String> {
    let services = &node.state.services;
    let outbox = services
        .node_db()
        .due_mails(services.now_ms() + 1, 50)
        .await
        .expect("outbox");
    outbox
        .iter()
        .filter(|m| m.to_address == "hana@example.org")
        .map(|m| {
            let parsed = mailparse::parse_mail(m.message.as_bytes()).expect("a mail");
            let mut text = parsed.get_body().unwrap_or_default();
            for part in &parsed.subparts {
                text.push_str(&part.get_body().unwrap_or_default());
            }
            text
        })
        .collect()
}

async fn mail_at_once(db: String) {
    let (node, hana) = node_with_mail(&db).await;
    let services = &node.state.services;
    let (gus, ivo) = (node.member("gus").await, node.member("ivo").await);
    let listing = node
        .try_post(
            &hana,
            "offer",
            "Soup on Sundays",
            "A pot of soup for the street",
        )
        .await
        .expect("posted");
    // Two people write to hana (deal messages are mailed at once); she blocks one of them
    // before the mailer comes by.
    services
        .open_deal(&gus, listing, "Can I have some?")
        .await
        .expect("deal");
    services
        .open_deal(&ivo, listing, "And me?")
        .await
        .expect("deal");
    block(&node, &hana, "gus", BlockKind::Block).await;
    let settings = &node.state.mail.as_ref().expect("mail is on").settings;
    let queued = services
        .mail_notifications(settings, &node.state.catalogues)
        .await
        .expect("mailed");
    assert_eq!(queued, 1, "only ivo's message is mailed");
    assert_eq!(
        mails_to_hana(&node).await.len(),
        2,
        "the verification and ivo's message"
    );
}

async fn digests(db: String) {
    let (node, hana) = node_with_mail(&db).await;
    let services = &node.state.services;
    let (gus, ivo) = (node.member("gus").await, node.member("ivo").await);
    let guss = start_thread(&node, &gus, "Gus corner").await;
    let ivos = start_thread(&node, &ivo, "Ivo corner").await;
    for thread in [guss, ivos] {
        services
            .set_thread_follow(&hana, thread, Some(FollowMode::Follow))
            .await
            .expect("follows");
    }
    services
        .reply_thread(&gus, guss, "Rakes here.")
        .await
        .expect("reply");
    services
        .reply_thread(&ivo, ivos, "Hoes here.")
        .await
        .expect("reply");
    block(&node, &hana, "gus", BlockKind::Block).await;
    let settings = &node.state.mail.as_ref().expect("mail is on").settings;
    let planned = services
        .plan_digests(settings, &node.state.catalogues)
        .await
        .expect("digests");
    assert!(planned >= 1, "hana's digest is due");
    let mails = mails_to_hana(&node).await.join("\n----\n");
    assert!(mails.contains("Ivo corner"), "{mails}");
    assert!(!mails.contains("Gus corner"), "{mails}");
}

both_backends! {
    money_never_crosses_a_block_or_comes_from_a_suspended_member => money;
    money_across_a_link_never_crosses_a_block_nor_comes_from_a_suspended_member => money_across;
    a_deal_across_a_link_reaches_nobody_who_blocked_or_muted_the_writer_nor_from_a_suspended_one => deals_across;
    a_thread_title_reaches_nobody_the_rule_stops_however_it_is_edited => thread_titles;
    a_deals_messages_reach_nobody_who_blocked_or_muted_the_writer => deal_messages;
    a_private_message_reaches_nobody_who_blocked_or_muted_the_writer_nor_from_a_suspended_one => private_messages;
    an_announcement_reaches_nobody_who_blocked_its_author => announcements;
    a_mention_reaches_nobody_who_blocked_or_muted_its_author => mentions;
    mail_at_once_asks_the_rule_when_it_is_written => mail_at_once;
    digests_ask_the_rule_when_they_are_written => digests;
    an_unread_count_never_counts_what_a_moderator_hid_or_a_suspended_member_caused => unread_counts;
}
