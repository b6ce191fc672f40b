//! The governance store's contract, on SQLite and PostgreSQL alike: proposals are numbered per
//! circle and move forward only from the status they were read in; ballots are accepted only
//! while their round is open, never twice at one moment, and never changed; the close recounts
//! and records the decision once; a passed proposal's enactment changes the ledger and audits.

use commons_governance::ballot::{Ballot, Choice};
use commons_governance::delegation::{Delegation, Scope};
use commons_governance::majority::Position;
use commons_governance::policy::{Policy, Status};
use commons_governance::proposal::{body_hash, Definition, Method};
use commons_governance::store::{Documents, Governance, GovernanceError, ProposalDraft};
use commons_governance::tally::Outcome;
use commons_ledger::entry::Action;
use commons_ledger::keys::PublicKey;
use commons_ledger::store::Store;
use commons_tests::{both_backends, make_circle, person};

const NOW_MS: i64 = 1_790_000_000_000;
const HOUR_MS: i64 = 3_600_000;

/// A policy that votes for an hour with no minimum discussion.
fn hourly() -> Policy {
    Policy {
        discussion_hours_min: 0,
        voting_hours: 1,
        ..Policy::default()
    }
}

fn draft(title: &str) -> ProposalDraft {
    ProposalDraft {
        title: title.into(),
        body: "Newcomers need more room to start trading.".into(),
        method: Method::Majority,
        options: vec![],
        quorum_percent: 50,
        threshold_percent: 50,
        delegation: true,
        hide_results: false,
        actions: vec![Action::SetDefaultLimits {
            floor_minor: -5000,
            ceiling_minor: 5000,
        }],
        documents: Documents::default(),
    }
}

both_backends! {
    proposals_are_numbered_per_circle_and_move_forward_only_from_what_was_read => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let garden = make_circle(&store, "garden", 0).await.info.row_id;
        let river = make_circle(&store, "river", 0).await.info.row_id;
        let ana = person(&store, "ana").await;
        let governance = Governance::new(store.pool().clone());
        let first = governance.create(garden, ana, &draft("First"), NOW_MS).await.expect("create");
        let second = governance.create(garden, ana, &draft("Second"), NOW_MS).await.expect("create");
        let other = governance.create(river, ana, &draft("Elsewhere"), NOW_MS).await.expect("create");
        assert_eq!((first.number, second.number, other.number), (1, 2, 1));
        assert_eq!(first.status, Status::Draft);
        assert_eq!(first.draft, draft("First"));
        governance.set_status(first.id, Status::Draft, Status::Discussion, NOW_MS).await.expect("discuss");
        let again = governance.set_status(first.id, Status::Draft, Status::Discussion, NOW_MS).await;
        assert!(matches!(again, Err(GovernanceError::Conflict)));
        let stale = governance.update(first.id, Status::Draft, &draft("Edited"), NOW_MS).await;
        assert!(matches!(stale, Err(GovernanceError::Conflict)), "not a draft any more");
        governance.update(first.id, Status::Discussion, &draft("Edited"), NOW_MS).await.expect("edit in discussion");
        let read = governance.proposal(garden, 1).await.expect("read").expect("found");
        assert_eq!(read.draft.title, "Edited");
        assert_eq!(read.discussion_opened_at_ms, Some(NOW_MS));
        let listed = governance.proposals(garden, &[Status::Discussion, Status::Draft], 10).await.expect("list");
        assert_eq!(listed.iter().map(|p| p.number).collect::<Vec<_>>(), vec![2, 1]);
        assert!(governance.proposal(river, 2).await.expect("read").is_none());
        // The policy is the default until a proposal changes it.
        assert_eq!(governance.policy(garden).await.expect("policy"), Policy::default());
        let stricter = Policy { quorum_percent: 60, ..Policy::default() };
        governance.set_policy(garden, &stricter, NOW_MS).await.expect("set");
        assert_eq!(governance.policy(garden).await.expect("policy"), stricter);
        // Threaded discussion.
        let root = governance.add_comment(first.id, None, ana, "Why 50?", NOW_MS).await.expect("comment");
        governance.add_comment(first.id, Some(root), ana, "Because rent.", NOW_MS).await.expect("reply");
        let foreign = governance.add_comment(second.id, Some(root), ana, "Lost", NOW_MS).await;
        assert!(matches!(foreign, Err(GovernanceError::NotFound)), "a reply stays in its proposal");
        let comments = governance.comments(first.id).await.expect("comments");
        assert_eq!(comments.len(), 2);
        assert_eq!(comments[1].parent, Some(root));
    };

    ballots_count_only_while_the_round_is_open_and_the_close_decides_once => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let circle = make_circle(&store, "garden", 4).await;
        let ana = person(&store, "ana").await;
        let governance = Governance::new(store.pool().clone());
        let proposal = governance.create(circle.info.row_id, ana, &draft("Floor"), NOW_MS).await.expect("create");
        governance.set_status(proposal.id, Status::Draft, Status::Discussion, NOW_MS).await.expect("discuss");
        let mut electorate: Vec<PublicKey> = circle.members.iter().map(|k| k.public_key()).collect();
        electorate.sort_unstable();
        let definition = Definition {
            circle_id: circle.info.circle_id,
            proposal_id: proposal.number as u64,
            round: 1,
            title: proposal.draft.title.clone(),
            body_hash: body_hash(&proposal.draft.body),
            author: circle.members[0].public_key(),
            method: Method::Majority,
            options: vec![],
            quorum_percent: 50,
            threshold_percent: 50,
            opens_at_ms: NOW_MS,
            closes_at_ms: NOW_MS + HOUR_MS,
            electorate,
            delegation: true,
            hide_results: false,
            actions: proposal.draft.actions.clone(),
            policy_hash: hourly().hash(),
            discussed_since_ms: NOW_MS,
        };
        let proposal = governance.proposal(circle.info.row_id, 1).await.expect("read").expect("found");
        let round = governance.open_round(&proposal, Status::Discussion, &definition, &hourly(), NOW_MS).await.expect("open");
        assert_eq!(round.policy, hourly(), "the round keeps the policy it was frozen under");
        let twice = governance.open_round(&proposal, Status::Discussion, &definition, &hourly(), NOW_MS).await;
        assert!(matches!(twice, Err(GovernanceError::Conflict)));
        let vote = |member: usize, at: i64, position: Position| {
            let key = &circle.members[member];
            Ballot::new(&definition, key.public_key(), at, Choice::Majority(position)).sign(key)
        };
        governance.cast(&vote(0, NOW_MS + 10, Position::No), NOW_MS + 10).await.expect("cast");
        // A ballot whose own time is outside the round is refused, whatever the node's clock.
        let future = governance.cast(&vote(2, NOW_MS + HOUR_MS + 5, Position::Yes), NOW_MS + 10).await;
        assert!(matches!(future, Err(GovernanceError::VotingClosed)));
        let same = governance.cast(&vote(0, NOW_MS + 10, Position::Yes), NOW_MS + 10).await;
        assert!(matches!(same, Err(GovernanceError::SameMoment)));
        let receipt = governance.cast(&vote(0, NOW_MS + 20, Position::Yes), NOW_MS + 20).await.expect("changed mind");
        governance.cast(&vote(1, NOW_MS + 30, Position::No), NOW_MS + 30).await.expect("cast");
        // Member 2 delegates to member 0.
        let delegation = Delegation {
            circle_id: circle.info.circle_id,
            delegator: circle.members[2].public_key(),
            delegate: Some(circle.members[0].public_key()),
            scope: Scope::Proposal(1),
            made_at_ms: NOW_MS + 40,
        }
        .sign(&circle.members[2]);
        governance.delegate(circle.info.row_id, &delegation).await.expect("delegate");
        // Signed records never change.
        let tampered = sqlx::query("UPDATE ballots SET cast_at_ms = 0").execute(store.pool()).await;
        assert!(tampered.is_err(), "ballots are append-only");
        let removed = sqlx::query("DELETE FROM delegations").execute(store.pool()).await;
        assert!(removed.is_err(), "delegations are append-only");
        assert_eq!(governance.ballots(&round.definition_hash).await.expect("ballots").len(), 3);
        let mine = governance.ballots_of(&round.definition_hash, &circle.members[0].public_key()).await.expect("mine");
        assert_eq!(mine[0].receipt(), receipt, "latest first");
        // Reminders go once.
        let reminded = governance.take_reminders(circle.info.row_id, 2 * HOUR_MS, NOW_MS + 50).await.expect("remind");
        assert_eq!(reminded.len(), 1);
        assert!(governance.take_reminders(circle.info.row_id, 2 * HOUR_MS, NOW_MS + 60).await.expect("again").is_empty());
        // Not due before its time; closed once after it.
        assert!(governance.close(&proposal, 1, NOW_MS + 100).await.expect("early").is_none());
        assert!(governance.due(NOW_MS + 100).await.expect("due").is_empty());
        let after = NOW_MS + HOUR_MS + 1;
        assert_eq!(governance.due(after).await.expect("due"), vec![(circle.info.row_id, 1)]);
        let late = governance.cast(&vote(3, after, Position::No), after).await;
        assert!(matches!(late, Err(GovernanceError::VotingClosed)));
        let recount = governance.close(&proposal, 1, after).await.expect("close").expect("closed now");
        assert_eq!(recount.outcome, Outcome::Passed, "{:?}", recount.count);
        assert_eq!(recount.participation, 3);
        assert!(governance.close(&proposal, 1, after).await.expect("again").is_none());
        let stored = governance.round(proposal.id, 1).await.expect("round").expect("found");
        assert_eq!(stored.decision, Some(recount.decision()));
        let closed = governance.proposal(circle.info.row_id, 1).await.expect("read").expect("found");
        assert_eq!(closed.status, Status::Closed);
        let (found, _) = governance.round_by_hash(&round.definition_hash).await.expect("by hash").expect("found");
        assert_eq!(found.id, proposal.id);

        // The enactment: the node key signs it, the ledger applies it, the audit passes.
        let appended = store
            .enact(&circle.info, round.definition_hash, recount.board.root(), definition.actions.clone())
            .await
            .expect("enacted");
        let again = store
            .enact(&circle.info, round.definition_hash, recount.board.root(), definition.actions.clone())
            .await
            .expect("same request");
        assert!(again.duplicate && again.seq == appended.seq);
        governance.set_enacted(proposal.id, appended.seq, after).await.expect("mark");
        assert_eq!(store.default_limits(&circle.info).await.expect("limits"), (-5000, 5000));
        let account = store.account(&circle.info, &circle.members[1].public_key()).await.expect("account").expect("open");
        assert_eq!(account.floor_minor, -5000, "accounts on the old defaults follow");
        let report = store.audit(&circle.info.slug, None, &|_| {}).await.expect("audit");
        assert!(report.passed(), "{:?}", report.faults);
    };

    a_pause_ends_a_vote_without_a_count_and_every_step_is_in_the_history => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let circle = make_circle(&store, "garden", 3).await;
        let ana = person(&store, "ana").await;
        let bo = person(&store, "bo").await;
        let cy = person(&store, "cy").await;
        let governance = Governance::new(store.pool().clone());
        let garden = circle.info.row_id;
        let proposal = governance.create(garden, ana, &draft("Floor"), NOW_MS).await.expect("create");
        governance.set_status(proposal.id, Status::Draft, Status::Discussion, NOW_MS).await.expect("discuss");
        // An edit in discussion restarts its minimum time.
        governance.update(proposal.id, Status::Discussion, &draft("Floor, amended"), NOW_MS + 10).await.expect("edit");
        governance.record_edit(proposal.id, ana, NOW_MS + 10).await.expect("history");
        let edited = governance.proposal(garden, 1).await.expect("read").expect("found");
        assert_eq!(edited.discussion_opened_at_ms, Some(NOW_MS + 10));
        // Members ask; each once.
        assert_eq!(governance.request_pause(proposal.id, bo, "Too fast", NOW_MS + 20).await.expect("ask").len(), 1);
        assert_eq!(governance.request_pause(proposal.id, bo, "Again", NOW_MS + 21).await.expect("again").len(), 1);
        assert_eq!(governance.request_pause(proposal.id, cy, "Unclear", NOW_MS + 22).await.expect("ask").len(), 2);
        // Voting opens; a ballot is cast; then a pause ends the round without a count.
        let mut electorate: Vec<PublicKey> = circle.members.iter().map(|k| k.public_key()).collect();
        electorate.sort_unstable();
        let definition = Definition {
            circle_id: circle.info.circle_id,
            proposal_id: 1,
            round: 1,
            title: edited.draft.title.clone(),
            body_hash: body_hash(&edited.draft.body),
            author: circle.members[0].public_key(),
            method: Method::Majority,
            options: vec![],
            quorum_percent: 30,
            threshold_percent: 50,
            opens_at_ms: NOW_MS + 100,
            closes_at_ms: NOW_MS + 100 + HOUR_MS,
            electorate,
            delegation: false,
            hide_results: false,
            actions: vec![],
            policy_hash: hourly().hash(),
            discussed_since_ms: NOW_MS + 10,
        };
        let round = governance.open_round(&edited, Status::Discussion, &definition, &hourly(), NOW_MS + 100).await.expect("open");
        let key = &circle.members[1];
        let ballot = |at: i64| Ballot::new(&definition, key.public_key(), at, Choice::Majority(Position::Yes)).sign(key);
        governance.cast(&ballot(NOW_MS + 200), NOW_MS + 200).await.expect("cast");
        let voting = governance.proposal(garden, 1).await.expect("read").expect("found");
        governance.pause(&voting, Some(ana), "A member raised a safety concern", NOW_MS + 300).await.expect("pause");
        let paused = governance.proposal(garden, 1).await.expect("read").expect("found");
        assert_eq!((paused.status, paused.paused_from), (Status::Paused, Some(Status::Voting)));
        assert!(governance.pause_requests(proposal.id).await.expect("requests").is_empty(), "a pause clears the requests");
        let late = governance.cast(&ballot(NOW_MS + 400), NOW_MS + 400).await;
        assert!(matches!(late, Err(GovernanceError::VotingClosed)), "no ballot after a pause");
        let after = NOW_MS + 2 * HOUR_MS;
        assert!(governance.due(after).await.expect("due").is_empty(), "a paused round is never counted");
        assert!(governance.close(&paused, 1, after).await.expect("close").is_none());
        let stored = governance.round(round.proposal, 1).await.expect("round").expect("found");
        assert_eq!(stored.cancelled_at_ms, Some(NOW_MS + 300));
        assert!(!stored.is_open(NOW_MS + 301));
        // A second pause of the same proposal changes nothing.
        assert!(matches!(governance.pause(&voting, Some(ana), "again", NOW_MS + 310).await, Err(GovernanceError::Conflict)));
        // Lifted back to discussion: the minimum time starts again.
        governance.set_status(proposal.id, Status::Paused, Status::Discussion, NOW_MS + 500).await.expect("lift");
        let lifted = governance.proposal(garden, 1).await.expect("read").expect("found");
        assert_eq!((lifted.status, lifted.paused_from, lifted.discussion_opened_at_ms), (Status::Discussion, None, Some(NOW_MS + 500)));
        let history = governance.events(proposal.id).await.expect("history");
        let kinds: Vec<_> = history.iter().map(|e| (e.kind, e.actor)).collect();
        use commons_governance::store::EventKind;
        assert_eq!(kinds, vec![(EventKind::Edited, Some(ana)), (EventKind::Paused, Some(ana)), (EventKind::Resumed, None)]);
        assert_eq!(history[1].reason, "A member raised a safety concern");
        let (commenters, voters) = governance.participants(proposal.id).await.expect("participants");
        assert!(commenters.is_empty());
        assert_eq!(voters, vec![key.public_key()], "voters of every round, ended ones included");
    };

    nobody_can_fill_a_discussion_for_everyone_else => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let circle = make_circle(&store, "garden", 1).await;
        let (ana, bo) = (person(&store, "ana").await, person(&store, "bo").await);
        let governance = Governance::new(store.pool().clone());
        let proposal = governance.create(circle.info.row_id, ana, &draft("Floor"), NOW_MS).await.expect("create");
        use commons_governance::store::{COMMENTS_PER_AUTHOR_PER_HOUR_MAX, COMMENTS_PER_PROPOSAL_MAX};
        for n in 0..COMMENTS_PER_AUTHOR_PER_HOUR_MAX {
            governance.add_comment(proposal.id, None, bo, "again", NOW_MS + n).await.expect("within the hour");
        }
        let flood = governance.add_comment(proposal.id, None, bo, "again", NOW_MS + 100).await;
        assert!(matches!(flood, Err(GovernanceError::CommentingTooMuch)), "{flood:?}");
        governance.add_comment(proposal.id, None, ana, "Others still speak.", NOW_MS + 101).await.expect("ana");
        assert_eq!(governance.comments(proposal.id).await.expect("comments").len() as i64, COMMENTS_PER_AUTHOR_PER_HOUR_MAX + 1);
        // The discussion's own cap, counted on the proposal's row.
        sqlx::query("UPDATE proposals SET comment_count = $1 WHERE id = $2")
            .bind(COMMENTS_PER_PROPOSAL_MAX)
            .bind(proposal.id)
            .execute(store.pool())
            .await
            .expect("fill");
        let full = governance.add_comment(proposal.id, None, ana, "one more", NOW_MS + 200).await;
        assert!(matches!(full, Err(GovernanceError::TooManyComments)), "{full:?}");
    };
}
