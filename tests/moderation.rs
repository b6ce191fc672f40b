//! Moderation, through the services on both backends and once through the pages: a report
//! reaches the queue, a hide removes the item for everyone else, the log shows the action and
//! verifies offline, the reporter learns the outcome, the author sees why and appeals, and a
//! different moderator restores it; a suspended member signs and posts nothing and keeps their
//! balance; a limited member's posts and a new member's links wait for a moderator; nobody
//! moderates without the role or beyond their circle.

use commons_governance::moderation::{verify_log, verify_log_with, ActionKind, KeptHead, Pins};
use commons_tests::both_backends;
use commons_tests::node::{sign_up, Node, SLUG};
use commons_tests::web::{invite_and_join, set_up, TestServer};
use commons_web::ledger::form::TransferCommand;
use commons_web::moderation::service::{ActCommand, ReportCommand};
use commons_web::notifications::NotificationKind;
use commons_web::services::{ActionError, Actor, IdempotencyKey};

const DAY_MS: i64 = 24 * 3600 * 1000;

async fn post(
    node: &Node,
    actor: &Actor,
    title: &str,
    description: &str,
) -> Result<i64, ActionError> {
    node.try_post(actor, "offer", title, description).await
}

async fn market_of(node: &Node, actor: &Actor) -> Vec<i64> {
    node.market_ids(actor).await
}

/// The member as the next request would find them (restrictions are read per request).
async fn again(node: &Node, actor: &Actor) -> Actor {
    node.state
        .services
        .actor(&actor.user, SLUG, actor.session)
        .await
        .expect("still a member")
}

fn act(kind: ActionKind, reason: &str, ends_at_ms: Option<i64>) -> ActCommand {
    ActCommand {
        kind,
        agreements: vec![1],
        reason: reason.into(),
        ends_at_ms,
    }
}

async fn kinds_notified(node: &Node, actor: &Actor) -> Vec<NotificationKind> {
    node.state
        .services
        .node_db()
        .notifications(actor.user.id, 50)
        .await
        .expect("notifications")
        .into_iter()
        .map(|n| n.kind)
        .collect()
}

/// The circle's moderation log checks clean against its own ledger, as `commons audit
/// --moderation LOG --ledger LEDGER` does: every action signed by someone the ledger names as a
/// steward or an appointed moderator at the action's time (the node's key only for how the
/// circle decided an appeal).
async fn checks_against_the_ledger(node: &Node, reader: &Actor) {
    let services = &node.state.services;
    let export = services.moderation_export(reader).await.expect("export");
    let mut ledger = Vec::new();
    services
        .store()
        .export_to(&node.steward.circle, &mut ledger, false)
        .await
        .expect("ledger");
    let text = String::from_utf8(ledger).expect("utf-8");
    let audited = commons_ledger::audit::audit(
        commons_ledger::export::parse_export(&text).into_audit_input(None),
        &|_| {},
    );
    assert!(audited.passed(), "{:?}", audited.faults);
    let state = audited.state.as_ref().expect("state");
    let pins = Pins {
        node_key: Some(state.node_key),
        circle_id: Some(state.circle_id),
        authority: Some(&audited.authority),
    };
    let report = verify_log_with(&export, None, pins);
    assert!(report.is_clean(), "{:?}", report.faults);
    assert!(report.actions > 0);
}

/// The only open case in the queue.
async fn only_case(node: &Node, moderator: &Actor) -> i64 {
    let queue = node.state.services.queue(moderator).await.expect("queue");
    assert_eq!(queue.len(), 1, "{queue:?}");
    queue[0].case.id
}

async fn hide_and_appeal(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let (ben, cara, dora, eve) = (
        node.member("ben").await,
        node.member("cara").await,
        node.member("dora").await,
        node.member("eve").await,
    );
    let listing = post(&node, &ben, "Bikes fixed", "Cheap, call me")
        .await
        .expect("posted");
    let target = services
        .report_target(
            &cara,
            commons_governance::moderation::TargetKind::Listing,
            &listing.to_string(),
        )
        .await
        .expect("cara can report what she sees");
    assert_eq!(target.subject_id, Some(ben.user.id));
    let report = ReportCommand {
        agreements: vec![3],
        note: "This is an advert.".into(),
    };
    services
        .report(&cara, &target, &report)
        .await
        .expect("reported");
    services
        .report(&cara, &target, &report)
        .await
        .expect("twice is once");
    services
        .report(&dora, &target, &report)
        .await
        .expect("dora too");
    assert!(!services.is_moderator(&cara).await.expect("role"));
    assert!(
        matches!(
            services
                .report_target(
                    &ben,
                    commons_governance::moderation::TargetKind::Listing,
                    &listing.to_string()
                )
                .await,
            Err(ActionError::Invalid { .. })
        ),
        "nobody reports their own listing"
    );
    let case = only_case(&node, amara).await;
    let view = services.case_view(amara, case).await.expect("case");
    assert_eq!(
        (view.case.reports, view.case.snapshot.as_str()),
        (2, "Bikes fixed\n\nCheap, call me")
    );
    assert!(view.actions.contains(&ActionKind::Hide));

    let hide = services
        .act(
            amara,
            case,
            &act(ActionKind::Hide, "Adverts are not for this circle.", None),
        )
        .await
        .expect("hidden");
    assert_eq!(hide, commons_web::moderation::parties::Acted::Logged(0));
    assert!(
        !market_of(&node, &cara).await.contains(&listing),
        "gone from the market"
    );
    assert!(matches!(
        services.listing(&cara, listing).await,
        Err(ActionError::NotFound)
    ));
    assert!(
        services.listing(&ben, listing).await.is_ok(),
        "its author still has it"
    );
    assert!(
        services.queue(amara).await.expect("queue").is_empty(),
        "the case is closed"
    );
    let reports = services.my_reports(&cara).await.expect("reports");
    assert_eq!(reports[0].outcome.as_deref(), Some("hide"));
    assert!(kinds_notified(&node, &cara)
        .await
        .contains(&NotificationKind::ReportOutcome));
    assert!(kinds_notified(&node, &ben)
        .await
        .contains(&NotificationKind::Moderated));
    let log = services.moderation_log(&cara, None).await.expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action.kind, ActionKind::Hide);
    assert_eq!(log[0].moderator_name.as_deref(), Some("amara"));
    assert!(!log[0].about_reader && !log[0].may_appeal);

    // The author sees why and appeals; the moderator who hid it may not hear the appeal.
    let seen = services.logged_action(&ben, 0).await.expect("ben reads it");
    assert!(seen.about_reader && seen.may_appeal);
    let head = services
        .moderation_head(&cara)
        .await
        .expect("head")
        .expect("one");
    for moderator in [&dora, &eve] {
        node.appoint_moderator(moderator, &[&cara, &dora, &eve])
            .await;
    }
    services
        .appeal(&ben, 0, "It is a gift to the circle, not an advert.")
        .await
        .expect("appealed");
    assert!(
        services.appeal(&ben, 0, "Again").await.is_err(),
        "one appeal per action"
    );
    assert!(
        services.appeal(&cara, 0, "Me too").await.is_err(),
        "only its member appeals"
    );
    let appeal = only_case(&node, amara).await;
    assert!(
        !services
            .case_view(amara, appeal)
            .await
            .expect("case")
            .may_act
    );
    assert!(matches!(
        services
            .act(
                amara,
                appeal,
                &act(ActionKind::Restore, "I change my mind.", None)
            )
            .await,
        Err(ActionError::Forbidden)
    ));
    let view = services
        .case_view(&dora, appeal)
        .await
        .expect("dora, a moderator too, reads the appeal");
    assert!(
        view.party && !view.may_act,
        "but she reported the listing: she is a party to its appeal"
    );
    let view = services
        .case_view(&eve, appeal)
        .await
        .expect("eve reads the appeal");
    assert_eq!(view.actions, [ActionKind::Uphold, ActionKind::Restore]);
    services
        .act(
            &eve,
            appeal,
            &act(ActionKind::Restore, "A gift is welcome here.", None),
        )
        .await
        .expect("restored");
    assert!(
        market_of(&node, &cara).await.contains(&listing),
        "back for everyone"
    );

    // The log verifies offline, and still begins with the head cara kept.
    checks_against_the_ledger(&node, &cara).await;
    let export = services.moderation_export(&cara).await.expect("export");
    let kept = KeptHead {
        tree_size: head.tree_size,
        root: head.root,
        node_key: None,
    };
    let report = verify_log(&export, Some(kept));
    assert!(report.is_clean(), "{:?}", report.faults);
    assert_eq!(report.actions, 2);
    let restore = services.logged_action(&cara, 1).await.expect("second");
    assert_eq!(
        (restore.action.kind, restore.action.refers_to),
        (ActionKind::Restore, Some(0))
    );
}

async fn suspension(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    let pay = |actor: Actor, amount: &'static str| async move {
        let command = TransferCommand::parse(&actor.circle, "cara", amount, "").expect("parses");
        services
            .pay(&actor, &command, &IdempotencyKey::generate())
            .await
    };
    pay(ben.clone(), "3").await.expect("paid");
    node.report(
        &cara,
        commons_governance::moderation::TargetKind::Member,
        "ben",
        vec![1],
        "Threats.",
    )
    .await;
    let case = only_case(&node, amara).await;
    let ends = services.now_ms() + 7 * DAY_MS;
    services
        .act(
            amara,
            case,
            &act(ActionKind::Suspend, "Threats in messages.", Some(ends)),
        )
        .await
        .expect("suspended");

    let ben_now = again(&node, &ben).await;
    assert!(
        matches!(pay(ben_now.clone(), "1").await, Err(ActionError::Suspended(until)) if until == ends)
    );
    assert!(matches!(
        post(&node, &ben_now, "Anything", "at all").await,
        Err(ActionError::Suspended(_))
    ));
    assert!(matches!(
        services.invite(&ben_now, "").await,
        Err(ActionError::Suspended(_))
    ));
    let account = services
        .store()
        .account(&amara.circle, &ben.membership.account_key)
        .await
        .expect("read")
        .expect("open");
    assert_eq!(account.balance_minor, -300, "the balance stays as it was");
    assert!(
        market_of(&node, &ben_now).await.is_empty(),
        "reading still works"
    );

    services.store().advance_clock(8 * DAY_MS);
    let ben_later = again(&node, &ben).await;
    pay(ben_later, "1").await.expect("the suspension ended");
}

async fn limit_and_links(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    node.report(
        &cara,
        commons_governance::moderation::TargetKind::Member,
        "ben",
        vec![],
        "Spam.",
    )
    .await;
    let case = only_case(&node, amara).await;
    let ends = services.now_ms() + 3 * DAY_MS;
    services
        .act(
            amara,
            case,
            &act(ActionKind::Limit, "Many adverts.", Some(ends)),
        )
        .await
        .expect("limited");
    let ben = again(&node, &ben).await;
    // A held message: the other member of the deal neither reads it nor reaches it by number.
    let caras = post(&node, &cara, "Garden help wanted", "Weeding on Sundays")
        .await
        .expect("posted");
    let deal = services
        .open_deal(&ben, caras, "Buy my lights at www.example.org")
        .await
        .expect("deal");
    let message = services
        .market()
        .messages(deal.deal.id)
        .await
        .expect("messages")[0]
        .id;
    let (_, seen, _) = services
        .deal_page(&cara, deal.deal.id)
        .await
        .expect("deal page");
    assert!(seen.is_empty(), "held from cara: {seen:?}");
    assert!(matches!(
        services
            .report_target(
                &cara,
                commons_governance::moderation::TargetKind::Message,
                &message.to_string()
            )
            .await,
        Err(ActionError::NotFound)
    ));
    let held_message = services
        .queue(amara)
        .await
        .expect("queue")
        .into_iter()
        .find(|item| item.case.target_kind == "message")
        .expect("the held message waits")
        .case
        .id;
    services
        .act(
            amara,
            held_message,
            &act(ActionKind::Hide, "An advert.", None),
        )
        .await
        .expect("kept hidden");
    let held = post(&node, &ben, "Bike lights", "Fitted for you")
        .await
        .expect("posted");
    assert!(
        !market_of(&node, &cara).await.contains(&held),
        "held from others"
    );
    assert!(
        market_of(&node, &ben).await.contains(&held),
        "its author sees it"
    );
    let case = only_case(&node, amara).await;
    let view = services.case_view(amara, case).await.expect("held case");
    assert_eq!(view.case.origin, "held");
    services
        .act(amara, case, &act(ActionKind::Restore, "Fine.", None))
        .await
        .expect("let through");
    assert!(market_of(&node, &cara).await.contains(&held));

    // Someone who asked to join (in the sandbox) posting a link is held too.
    let settings = services.settings(&amara.circle).await.expect("settings");
    services
        .save_settings(
            amara,
            &settings.description,
            &settings.agreements,
            true,
            true,
        )
        .await
        .expect("open to requests");
    let version = node.agreements_version().await;
    let (eve, sealing, _) = services
        .ask_to_join(SLUG, Some(&sign_up("eve")), None, "Hello", version)
        .await
        .expect("asks");
    services.admit(amara, eve.id).await.expect("admitted");
    let eve = node.act_as(&eve, sealing).await.expect("active");
    let plain = post(&node, &eve, "Sourdough", "Fresh on Fridays")
        .await
        .expect("posted");
    let linked = post(&node, &eve, "Sourdough", "Order at https://example.org")
        .await
        .expect("posted");
    let seen = market_of(&node, &cara).await;
    assert!(seen.contains(&plain) && !seen.contains(&linked), "{seen:?}");
    post(&node, &eve, "Rye loaves", "See www.example.org")
        .await
        .expect("posted");
    let signals = services.signals(amara).await.expect("signals");
    assert!(
        signals.contains(&commons_web::moderation::signals::Signal::NewMemberLinks {
            member: eve.user.id,
            held: 2
        }),
        "{signals:?}"
    );
}

async fn roles(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    node.report(
        &cara,
        commons_governance::moderation::TargetKind::Member,
        "ben",
        vec![],
        "Rude.",
    )
    .await;
    let case = only_case(&node, &node.steward).await;
    assert!(!services.is_moderator(&ben).await.expect("role"));
    // A row in the node's table gives no power: only an appointment the ledger records.
    services
        .node_db()
        .appoint_moderator(
            node.steward.circle.row_id,
            ben.user.id,
            1,
            node.steward.user.id,
            services.now_ms(),
        )
        .await
        .expect("a row");
    assert!(!services.is_moderator(&ben).await.expect("role"));
    // The member a case is about never decides it, even as an appointed moderator.
    node.appoint_moderator(&ben, &[&ben, &cara]).await;
    // The case about ben is not there for him: neither in his queue, nor by its number.
    assert!(services.queue(&ben).await.expect("queue").is_empty());
    assert!(matches!(
        services.case_view(&ben, case).await,
        Err(ActionError::NotFound)
    ));
    assert!(matches!(
        services
            .act(&ben, case, &act(ActionKind::Dismiss, "Nothing here.", None))
            .await,
        Err(ActionError::NotFound)
    ));
    assert!(services
        .add_case_note(&ben, case, "About me")
        .await
        .is_err());
    // The page lists the appointment with the proposal that made it.
    let (appointed, _, _) = services.moderation_setup(&cara).await.expect("setup");
    assert_eq!(
        appointed
            .iter()
            .map(|m| m.username.as_str())
            .collect::<Vec<_>>(),
        ["ben"]
    );
    // Another passed proposal ends it, and the page no longer lists him.
    node.decide("end-moderator", &ben, &[&ben, &cara], "Ben steps back")
        .await;
    assert!(!services.is_moderator(&ben).await.expect("role"));
    let (appointed, _, _) = services.moderation_setup(&cara).await.expect("setup");
    assert!(appointed.is_empty(), "{appointed:?}");
}

async fn repair(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let (ben, cara, dora) = (
        node.member("ben").await,
        node.member("cara").await,
        node.member("dora").await,
    );
    node.report(
        &cara,
        commons_governance::moderation::TargetKind::Member,
        "ben",
        vec![5],
        "He was harsh with me.",
    )
    .await;
    let case = only_case(&node, amara).await;
    assert!(
        services
            .open_repair(&ben, case, "", "About me")
            .await
            .is_err(),
        "not by the member concerned"
    );
    let id = services
        .open_repair(
            amara,
            case,
            "cara",
            "What happened at the market on Saturday",
        )
        .await
        .expect("opened");
    assert!(kinds_notified(&node, &ben)
        .await
        .contains(&NotificationKind::Repair));
    assert!(
        matches!(
            services.repair_view(&dora, id).await,
            Err(ActionError::NotFound)
        ),
        "private"
    );
    let invited = services
        .repair_view(&ben, id)
        .await
        .expect("ben is invited");
    assert!(invited.messages.is_empty() && !invited.takes_part());
    assert!(
        services.repair_message(&ben, id, "Hello").await.is_err(),
        "only after joining"
    );
    services.answer_repair(&ben, id, true).await.expect("joins");
    services
        .answer_repair(&cara, id, true)
        .await
        .expect("joins");
    services
        .repair_message(&ben, id, "I was tired; I am sorry.")
        .await
        .expect("writes");
    assert_eq!(
        services
            .repair_view(&cara, id)
            .await
            .expect("view")
            .messages
            .len(),
        1
    );
    assert!(
        services
            .write_repair_agreement(&ben, id, "x", "y")
            .await
            .is_err(),
        "the facilitator writes it"
    );
    services
        .write_repair_agreement(
            amara,
            id,
            "Ben apologises; Cara and Ben meet at the next market.",
            "Ben and Cara talked and agreed how to go on.",
        )
        .await
        .expect("written");
    services
        .consent_repair(&ben, id, 1)
        .await
        .expect("ben consents");
    assert!(
        services.conclude_repair(amara, id).await.is_err(),
        "cara has not consented"
    );
    services
        .write_repair_agreement(
            amara,
            id,
            "Ben apologises; they meet at the next market with a friend.",
            "Ben and Cara talked and agreed how to go on.",
        )
        .await
        .expect("rewritten");
    assert!(
        services.consent_repair(&cara, id, 1).await.is_err(),
        "an older text is not consented to"
    );
    services
        .consent_repair(&cara, id, 2)
        .await
        .expect("cara consents");
    assert!(
        !services
            .repair_view(amara, id)
            .await
            .expect("view")
            .may_conclude,
        "ben's consent was to the old text"
    );
    services
        .consent_repair(&ben, id, 2)
        .await
        .expect("ben consents again");
    let seq = services
        .conclude_repair(amara, id)
        .await
        .expect("concluded");
    let logged = services
        .logged_action(&dora, seq as i64)
        .await
        .expect("in the log");
    assert_eq!(logged.action.kind, ActionKind::RepairAgreed);
    assert_eq!(
        logged.action.reason,
        "Ben and Cara talked and agreed how to go on."
    );
    assert!(
        services.queue(amara).await.expect("queue").is_empty(),
        "the case is closed"
    );
    assert!(
        services.repair_message(&ben, id, "More").await.is_err(),
        "a concluded conversation is closed"
    );
}

async fn signals(db: String) {
    use commons_web::moderation::signals::Signal;
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let ben = node.member("ben").await;
    for name in ["cara", "dora", "eli"] {
        let reporter = node.member(name).await;
        node.report(
            &reporter,
            commons_governance::moderation::TargetKind::Member,
            "ben",
            vec![],
            "Pushy.",
        )
        .await;
    }
    let found = services.signals(&node.steward).await.expect("signals");
    assert!(
        found.contains(&Signal::ReportedBySeveral {
            member: ben.user.id,
            reporters: 3
        }),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .all(|s| !matches!(s, Signal::InvitationBurst { .. })),
        "one steward's invitations over time are no burst: {found:?}"
    );
}

async fn appeal_by_vote(db: String) {
    use commons_governance::policy::Step;
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let (ben, cara, dora) = (
        node.member("ben").await,
        node.member("cara").await,
        node.member("dora").await,
    );
    services
        .set_moderation_policy(amara, true, true)
        .await
        .expect("appeals by vote");
    let listing = post(&node, &ben, "Bikes fixed", "Cheap, call me")
        .await
        .expect("posted");
    node.report(
        &cara,
        commons_governance::moderation::TargetKind::Listing,
        &listing.to_string(),
        vec![3],
        "An advert.",
    )
    .await;
    let case = only_case(&node, amara).await;
    services
        .act(
            amara,
            case,
            &act(ActionKind::Hide, "Looks like an advert.", None),
        )
        .await
        .expect("hidden");
    let (appeal, number) = services
        .appeal(&ben, 0, "It is my own work.")
        .await
        .expect("appealed");
    let number = number.expect("the appeal is a proposal");
    assert!(
        !services
            .case_view(&dora, appeal)
            .await
            .map(|v| v.may_act)
            .unwrap_or(false),
        "nobody but the circle decides it"
    );
    // The circle discusses, votes and decides; the node writes the decision into the log.
    services.store().advance_clock(49 * 3600 * 1000);
    let ben = again(&node, &ben).await;
    services
        .proposal_step(&ben, number, Step::OpenVoting)
        .await
        .expect("voting opens");
    for voter in [&ben, &cara, &dora, amara] {
        let position = if voter.user.id == cara.user.id {
            "no"
        } else {
            "yes"
        };
        services
            .vote(
                voter,
                number,
                &[("position".to_owned(), position.to_owned())],
            )
            .await
            .expect("voted");
    }
    assert_eq!(
        services.settle_appeals_by_vote().await.expect("settle"),
        0,
        "not before the vote closes"
    );
    services.store().advance_clock(15 * DAY_MS);
    services.close_due_votes().await.expect("closed");
    assert_eq!(services.settle_appeals_by_vote().await.expect("settle"), 1);
    let decided = services.logged_action(&cara, 1).await.expect("in the log");
    assert_eq!(
        (decided.action.kind, decided.action.refers_to),
        (ActionKind::Restore, Some(0))
    );
    assert!(
        decided.moderator_name.is_none(),
        "signed by the node for the circle"
    );
    assert!(
        market_of(&node, &cara).await.contains(&listing),
        "shown again by the circle's decision"
    );
    let export = services.moderation_export(&cara).await.expect("export");
    assert!(verify_log(&export, None).is_clean());
    checks_against_the_ledger(&node, &cara).await;
    assert!(services.queue(amara).await.expect("queue").is_empty());
}

async fn lifting_one_suspension(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let (ben, cara, dora) = (
        node.member("ben").await,
        node.member("cara").await,
        node.member("dora").await,
    );
    let suspend = |days: i64| {
        act(
            ActionKind::Suspend,
            "Threats.",
            Some(services.now_ms() + days * DAY_MS),
        )
    };
    let report_ben = || async {
        node.report(
            &cara,
            commons_governance::moderation::TargetKind::Member,
            "ben",
            vec![],
            "Again.",
        )
        .await;
        only_case(&node, amara).await
    };
    let first = report_ben().await;
    services
        .act(amara, first, &suspend(2))
        .await
        .expect("a short suspension");
    services.store().advance_clock(3 * DAY_MS);
    let second = report_ben().await;
    let long_until = services.now_ms() + 30 * DAY_MS;
    services
        .act(amara, second, &suspend(30))
        .await
        .expect("a long suspension");
    // Ben appeals the first, short one; a second moderator lifts it.
    let ben = again(&node, &ben).await;
    services
        .appeal(&ben, 0, "That was a misunderstanding.")
        .await
        .expect("appealed");
    node.appoint_moderator(&dora, &[&cara, &dora]).await;
    let appeal = only_case(&node, &dora).await;
    services
        .act(
            &dora,
            appeal,
            &act(ActionKind::Lift, "Agreed: a misunderstanding.", None),
        )
        .await
        .expect("lifted");
    let ben = again(&node, &ben).await;
    assert_eq!(
        ben.membership.suspended_until_ms,
        Some(long_until),
        "the later suspension stands"
    );
}

/// The kinds of notification a person holds.
async fn notified(node: &Node, person: &Actor) -> Vec<NotificationKind> {
    node.state
        .services
        .node_db()
        .notifications(person.user.id, 50)
        .await
        .expect("notifications")
        .iter()
        .map(|n| n.kind)
        .collect()
}

async fn moderators_are_told(db: String) {
    let node = Node::start(&db).await;
    let (gus, hana, ida) = (
        node.member("gus").await,
        node.member("hana").await,
        node.member("ida").await,
    );
    node.appoint_moderator(&ida, &[&gus, &hana]).await;
    let steward_before = notified(&node, &node.steward).await.len();
    let ida_before = notified(&node, &ida).await.len();
    let gus_before = notified(&node, &gus).await.len();
    node.report(
        &gus,
        commons_governance::moderation::TargetKind::Member,
        "hana",
        vec![1],
        "Rude at the swap.",
    )
    .await;
    for (who, person, was) in [
        ("the steward", &node.steward, steward_before),
        ("the appointed moderator", &ida, ida_before),
    ] {
        let now = notified(&node, person).await;
        assert_eq!(now.len(), was + 1, "{who} is told once");
        assert_eq!(now[0], NotificationKind::ModerationQueue, "{who}");
    }
    assert_eq!(
        notified(&node, &gus).await.len(),
        gus_before,
        "the reporter is not told a case waits"
    );
    assert!(
        !notified(&node, &hana)
            .await
            .contains(&NotificationKind::ModerationQueue),
        "nor the member it is about"
    );
}

both_backends! {
    a_new_report_tells_every_moderator_and_nobody_else => moderators_are_told;
    a_hidden_listing_is_gone_for_others_and_an_appeal_to_another_moderator_restores_it => hide_and_appeal;
    a_suspended_member_signs_and_posts_nothing_and_keeps_their_balance => suspension;
    a_limited_members_posts_and_a_new_members_links_wait_for_a_moderator => limit_and_links;
    moderation_is_for_moderators_and_appointment_needs_a_passed_proposal => roles;
    a_repair_conversation_is_private_by_consent_and_its_agreement_outline_enters_the_log => repair;
    a_member_reported_by_three_people_is_a_signal_for_moderators => signals;
    an_appeal_the_circle_decides_by_vote_is_settled_by_the_node_in_the_log => appeal_by_vote;
    lifting_an_appealed_suspension_leaves_a_later_one_standing => lifting_one_suspension;
}

/// Someone who belongs to another circle of the node (`tools`), not to `garden`.
async fn member_of_another_circle(
    server: &TestServer,
    amara: &mut commons_tests::web::Member,
) -> commons_tests::web::Member {
    let fields = [
        ("circle_name", "Riverside Tools"),
        ("slug", "tools"),
        ("unit_name", "credits"),
        ("unit_symbol", "cr"),
        ("floor", "-5"),
        ("ceiling", "5"),
    ];
    amara.submit("/circles/new", "/circles/new", &fields).await;
    let page = amara
        .submit(
            "/c/tools/invitations",
            "/c/tools/invitations",
            &[("note", "Zed")],
        )
        .await;
    let link = commons_tests::web::invitation_path(&page.body).expect("a link");
    let mut zed = server.client();
    let joined = zed
        .submit(
            &link,
            &link,
            &[
                ("display_name", "Zed"),
                ("username", "zed"),
                ("password", commons_tests::node::PASSWORD),
                ("agreements_version", "1"),
                ("agree", "yes"),
            ],
        )
        .await;
    assert!(joined.url.ends_with("/c/tools/welcome"), "{}", joined.url);
    zed
}

/// Through the pages: the report form, the queue and the log are walled by role and circle,
/// and the forms carry CSRF tokens.
#[tokio::test]
async fn the_moderation_pages_answer_members_moderators_and_strangers_as_they_should() {
    let db = commons_tests::TestDb::sqlite();
    let server = TestServer::start(&db.url).await;
    let mut amara = set_up(&server).await;
    let mut ben = invite_and_join(&server, &mut amara, "ben", "Ben Adeyemi").await;
    let mut cara = invite_and_join(&server, &mut amara, "cara", "Cara Lind").await;
    let form = cara.get("/c/garden/report/member/ben").await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains("agreement_1"),
        "the agreements are offered"
    );
    let unsigned = cara
        .post_without_csrf("/c/garden/report/member/ben", &[("note", "x")])
        .await;
    assert_eq!(
        unsigned.status, 403,
        "no report without the form's CSRF token"
    );
    let sent = cara
        .submit(
            "/c/garden/report/member/ben",
            "/c/garden/report/member/ben",
            &[("agreement_1", "on"), ("note", "He shouts at people.")],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.url.contains("/c/garden/moderation"), "{}", sent.url);
    assert!(
        !sent.body.contains("He shouts"),
        "the reporter's words are for moderators"
    );
    assert_eq!(ben.get("/c/garden/moderation/queue").await.status, 403);
    for (action, fields) in [
        (
            "/c/garden/moderation/policy",
            vec![("appeals_by_vote", "on")],
        ),
        (
            "/c/garden/moderation/cases/1/act",
            vec![("kind", "dismiss"), ("reason", "mine")],
        ),
    ] {
        let page = ben.submit("/c/garden/moderation", action, &fields).await;
        assert_eq!(page.status, 403, "a member is refused {action}");
    }
    assert_eq!(ben.get("/c/garden/moderation/cases/1").await.status, 403);
    // Nobody appoints a moderator by a request of their own, a steward neither: only a passed
    // proposal does (the ledger records it).
    let appointed = amara
        .submit(
            "/c/garden/moderation",
            "/c/garden/moderation/moderators",
            &[("member", "ben"), ("proposal", "1")],
        )
        .await;
    assert!(
        matches!(appointed.status, 404 | 405),
        "{}",
        appointed.status
    );
    // The moderation page offers a proposal instead, its form already set to appoint.
    let page = amara.get("/c/garden/moderation").await;
    assert!(
        page.body
            .contains("/c/garden/proposals/new?action=appoint-moderator"),
        "{}",
        page.body
    );
    let form = amara
        .get("/c/garden/proposals/new?action=appoint-moderator&member=ben")
        .await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains(r#"value="appoint-moderator" checked"#)
            && form.body.contains(r#"value="ben""#),
        "{}",
        form.body
    );
    let form = amara
        .get("/c/garden/proposals/new?action=%3Cscript%3E")
        .await;
    assert_eq!(form.status, 200, "an unknown kind fills in nothing");
    assert!(!form.body.contains("<script>"));
    assert_eq!(
        cara.get("/c/garden/report/member/cara").await.status,
        400,
        "not oneself"
    );
    let queue = amara.get("/c/garden/moderation/queue").await;
    assert!(
        queue.body.contains("Ben Adeyemi"),
        "the queue names who it is about"
    );
    let case = amara.get("/c/garden/moderation/cases/1").await;
    assert!(case.body.contains("He shouts") && case.body.contains("Cara Lind"));
    // The agreement the report cites reads in its words, not as a number.
    assert!(!case.body.contains("agreements 1"), "{}", case.body);
    assert!(case.body.contains("nobody yet"), "{}", case.body);
    let acted = amara
        .submit(
            "/c/garden/moderation/cases/1",
            "/c/garden/moderation/cases/1/act",
            &[
                ("kind", "warn"),
                ("agreement_1", "on"),
                ("reason", "Please speak kindly."),
            ],
        )
        .await;
    assert_eq!(acted.status, 200, "{}", acted.body);
    // The closed case says what was decided, linking to the action in the log.
    let closed = amara.get("/c/garden/moderation/cases/1").await;
    assert!(closed.body.contains("What was decided"), "{}", closed.body);
    assert!(
        closed.body.contains(r#"href="../actions/"#),
        "{}",
        closed.body
    );
    assert!(!closed.body.contains("Taken by"), "{}", closed.body);
    let log = ben.get("/c/garden/moderation").await;
    assert!(
        log.body.contains("Please speak kindly."),
        "the log shows the action and why"
    );
    assert!(
        !log.body.contains("Cara Lind"),
        "the log never names the reporter"
    );
    let action = ben.get("/c/garden/moderation/actions/0").await;
    assert!(action.body.contains("statement"), "its member may appeal");
    let export = cara.get("/c/garden/moderation/export").await;
    assert!(verify_log(&export.body, None).is_clean());
    let mut zed = member_of_another_circle(&server, &mut amara).await;
    assert_eq!(zed.get("/c/garden/moderation").await.status, 404);
    assert_eq!(zed.get("/c/garden/moderation/export").await.status, 404);
    assert_eq!(zed.get("/c/garden/report/member/ben").await.status, 404);
}

/// A flood of writes is slowed to a person's pace: per person, and per address across accounts.
#[tokio::test]
async fn a_flood_of_writes_is_refused_per_person_with_a_page_or_the_api_envelope_and_retry_after() {
    let db = commons_tests::TestDb::sqlite();
    let server = TestServer::start_configured(&db.url, |config| config.writes_per_minute = 4).await;
    let mut amara = set_up(&server).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let page = amara
            .submit("/settings/data", "/settings/data/erase/cancel", &[])
            .await;
        statuses.push(page.status);
    }
    assert_eq!(statuses[0], 200);
    assert_eq!(
        statuses.last(),
        Some(&429),
        "at most 4 writes a minute here: {statuses:?}"
    );
    let refused = amara
        .submit("/settings/data", "/settings/data/erase/cancel", &[])
        .await;
    assert_eq!(refused.status, 429);
    assert!(
        refused.body.contains("Too many"),
        "a page in words: {}",
        refused.body
    );
    assert_eq!(
        refused
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("15"),
        "4 writes a minute: one more frees up in 15 s"
    );
    assert_eq!(
        amara.get("/settings/data").await.status,
        200,
        "reading is never limited"
    );
    // Through the API the refusal is the documented envelope.
    let csrf = amara.csrf();
    let response = amara
        .http
        .post(format!("{}/api/v1/circles/garden/payments", amara.base))
        .header("x-csrf-token", csrf)
        .header("idempotency-key", "flood-test-key-0001")
        .json(&serde_json::json!({"member": "amara", "amount": "1"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("15")
    );
    let answer: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(answer["error"]["code"], "rate_limited", "{answer}");
}
