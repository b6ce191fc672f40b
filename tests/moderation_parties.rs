//! Nobody judges their own case, on SQLite and PostgreSQL: a moderator who is a party to a
//! case (its subject, a reporter, the moderator appealed, or blocked either way with one of
//! them) cannot take, note or decide it; limiting or suspending someone who moderates takes a
//! second moderator unless a steward acts; and an appeal always has someone to hear it — when
//! no moderator can, the circle decides it by vote.

use commons_governance::moderation::{ActionKind, TargetKind};
use commons_tests::both_backends;
use commons_tests::node::{Node, SLUG};
use commons_web::db::BlockKind;
use commons_web::moderation::parties::Acted;
use commons_web::moderation::service::ActCommand;
use commons_web::services::{ActionError, Actor};

fn act(kind: ActionKind, reason: &str, ends_at_ms: Option<i64>) -> ActCommand {
    ActCommand {
        kind,
        agreements: vec![1],
        reason: reason.into(),
        ends_at_ms,
    }
}

async fn again(node: &Node, actor: &Actor) -> Actor {
    node.state
        .services
        .actor(&actor.user, SLUG, actor.session)
        .await
        .expect("still a member")
}

fn week(node: &Node) -> Option<i64> {
    Some(node.state.services.now_ms() + 7 * 24 * 3600 * 1000)
}

async fn a_moderator_never_judges_a_case_they_are_part_of(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let (ben, dolores, eli) = (
        node.member("ben").await,
        node.member("dolores").await,
        node.member("eli").await,
    );
    node.appoint_moderator(&dolores, &[&ben, &dolores, &eli])
        .await;
    node.appoint_moderator(&eli, &[&ben, &dolores, &eli]).await;
    // Dolores reports Ben, then tries to take and decide her own report.
    let case = node
        .report(&dolores, TargetKind::Member, "ben", vec![1], "Rude to me.")
        .await;
    let view = services
        .case_view(&dolores, case)
        .await
        .expect("she reads it");
    assert!(view.party && !view.may_act);
    assert!(matches!(
        services.assign_case(&dolores, case, true).await,
        Err(ActionError::Invalid {
            message_id: "moderation-case-party",
            ..
        })
    ));
    assert!(matches!(
        services.add_case_note(&dolores, case, "He is rude.").await,
        Err(ActionError::Invalid {
            message_id: "moderation-case-party",
            ..
        })
    ));
    assert!(matches!(
        services
            .act(
                &dolores,
                case,
                &act(ActionKind::Suspend, "Rude.", week(&node))
            )
            .await,
        Err(ActionError::Forbidden)
    ));
    // Eli blocked Ben: he is a party too.
    services
        .block(&eli, &"ben".parse().expect("name"), BlockKind::Block)
        .await
        .expect("blocked");
    assert!(services.case_view(&eli, case).await.expect("case").party);
    assert!(matches!(
        services
            .act(&eli, case, &act(ActionKind::Warn, "Be kind.", None))
            .await,
        Err(ActionError::Forbidden)
    ));
    // The steward, a party to nothing here, decides.
    let done = services
        .act(
            &node.steward,
            case,
            &act(ActionKind::Warn, "Be kind.", None),
        )
        .await
        .expect("warned");
    assert!(matches!(done, Acted::Logged(_)));
}

async fn suspending_a_steward_takes_a_second_moderator(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let (cara, dolores, eli) = (
        node.member("cara").await,
        node.member("dolores").await,
        node.member("eli").await,
    );
    node.appoint_moderator(&dolores, &[&cara, &dolores, &eli])
        .await;
    node.appoint_moderator(&eli, &[&cara, &dolores, &eli]).await;
    let case = node
        .report(&cara, TargetKind::Member, "amara", vec![1], "Harsh words.")
        .await;
    let suspend = act(ActionKind::Suspend, "A week to cool down.", week(&node));
    assert_eq!(
        services
            .act(&dolores, case, &suspend)
            .await
            .expect("proposed"),
        Acted::AwaitingSecond
    );
    assert!(
        again(&node, amara)
            .await
            .membership
            .suspended_until_ms
            .is_none(),
        "one moderator alone suspends no steward"
    );
    let view = services.case_view(&eli, case).await.expect("eli reads it");
    assert!(view.case.is_open);
    assert_eq!(
        view.pending.as_ref().map(|p| (p.kind, p.proposed_by)),
        Some((ActionKind::Suspend, dolores.user.id))
    );
    assert_eq!(
        services.act(&dolores, case, &suspend).await.expect("again"),
        Acted::AwaitingSecond,
        "agreeing with oneself is no second opinion"
    );
    assert!(matches!(
        services.act(&eli, case, &suspend).await.expect("agreed"),
        Acted::Logged(_)
    ));
    assert!(again(&node, amara)
        .await
        .membership
        .suspended_until_ms
        .is_some());
}

async fn an_appeal_always_has_someone_to_hear_it(db: String) {
    let node = Node::start(&db).await;
    let services = &node.state.services;
    let amara = &node.steward;
    let (ben, cara) = (node.member("ben").await, node.member("cara").await);
    // Amara, the only steward and so the only moderator, warns Ben on Cara's report.
    let case = node
        .report(&cara, TargetKind::Member, "ben", vec![1], "Rude.")
        .await;
    services
        .act(amara, case, &act(ActionKind::Warn, "Be kind.", None))
        .await
        .expect("warned");
    // Ben appeals: Amara may not hear it, and nobody else moderates, so the circle decides.
    let (_, by_vote) = services
        .appeal(&ben, 0, "I was kind.")
        .await
        .expect("appealed");
    assert!(by_vote.is_some(), "the appeal goes to the circle's vote");
}

both_backends! {
    a_moderator_never_judges_a_case_they_reported_are_blocked_with_or_are_about => a_moderator_never_judges_a_case_they_are_part_of;
    limiting_or_suspending_a_steward_or_moderator_takes_a_second_moderator => suspending_a_steward_takes_a_second_moderator;
    an_appeal_with_no_moderator_free_to_hear_it_goes_to_the_circle => an_appeal_always_has_someone_to_hear_it;
}
