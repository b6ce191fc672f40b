//! The demo circle `commons serve --demo` plants in an empty node, so a newcomer can click
//! around at once: a steward, eleven members who joined through invitations, some history of
//! payments and open payment requests, and a market with offers, needs, an event and a
//! completed deal. It goes through the same services as real use.

mod community;
mod neighbours;

use crate::ledger::form::TransferCommand;
use crate::services::{NewCircle, SignUp};
use crate::AppState;

/// The demo's members: username, display name, short bio.
pub const DEMO_MEMBERS: &[(&str, &str, &str)] = &[
    (
        "amara",
        "Amara Okafor",
        "Steward. Bakes bread on Saturdays and teaches sourdough.",
    ),
    (
        "ben",
        "Ben Carter",
        "Bike repairs, small carpentry, a van for moving day.",
    ),
    (
        "chen",
        "Chen Wei",
        "Maths and physics tutoring for teenagers.",
    ),
    (
        "dolores",
        "Dolores Ruiz",
        "Spanish conversation, sewing and alterations.",
    ),
    (
        "emeka",
        "Emeka Nwosu",
        "Gardening help, seedlings in spring.",
    ),
    (
        "fatima",
        "Fátima Haddad",
        "Lifts to the clinic on weekdays; I drive a small car.",
    ),
    (
        "gus",
        "Gus Lindqvist",
        "Computer help for people who find it confusing.",
    ),
    (
        "hana",
        "Hana Sato",
        "Childminding in the afternoons; first-aid trained.",
    ),
    (
        "ivan",
        "Ivan Petrov",
        "Plumbing fixes, leaky taps, blocked drains.",
    ),
    ("jo", "Jo Mensah", "Dog walking and pet sitting."),
    (
        "kai",
        "Kai Rivera",
        "Tax forms and letters from the council, in plain words.",
    ),
    (
        "lena",
        "Lena Fischer",
        "Soup on Thursdays for whoever needs it.",
    ),
];
/// Everybody in the demo has this password (printed at start).
pub const DEMO_PASSWORD: &str = "demo-password";
pub const DEMO_SLUG: &str = "riverside";

/// Fills an empty node with a demo circle: a steward, eleven members who joined through the
/// steward's invitations, some payments between them, and a pending payment request. Everything
/// goes through the same services (and signed ledger entries) as real use.
pub async fn plant(state: &AppState) -> anyhow::Result<bool> {
    let services = &state.services;
    if !services.is_new_node().await? {
        return Ok(false);
    }
    let idle = state.config.session_idle_ms;
    let (steward_name, steward_display, steward_bio) = DEMO_MEMBERS[0];
    // The demo sets the node up with the token a console would print.
    let path = services
        .setup_path()
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?
        .ok_or_else(|| anyhow::anyhow!("the node is not new"))?;
    let token = path.trim_start_matches("/setup?token=");
    let (steward, sealing, info) = services
        .set_up_node(
            token,
            &SignUp {
                username: steward_name.into(),
                display_name: steward_display.into(),
                password: DEMO_PASSWORD.into(),
                language: None,
            },
            &NewCircle {
                slug: DEMO_SLUG.into(),
                name: "Riverside Time Bank".into(),
                unit_name: "hours".into(),
                unit_symbol: "h".into(),
                floor: "-20".into(),
                ceiling: "40".into(),
                time_zone: "Europe/London".into(),
            },
        )
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    services
        .db
        .update_profile(steward.id, steward_display, steward_bio, None)
        .await?;
    let steward_session = services.open_session(steward.id, sealing, idle).await?;
    let steward_actor = services
        .actor(&steward, &info.slug, Some(steward_session.token_hash))
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    // The demo welcomes requests to join, so its "ask to join" page can be tried.
    let mut settings = services
        .settings(&info)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    settings.open_to_requests = true;
    services
        .db
        .save_circle_settings(info.row_id, &settings, services.now_ms())
        .await?;
    let version = services
        .settings(&info)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?
        .agreements_version;
    let actors = plant_members(state, &steward_actor, &info, version).await?;
    plant_payments(state, &actors).await?;
    plant_market(state, &actors).await?;
    plant_governance(state, &actors).await?;
    let repair_cafe = community::plant_news(state, &actors)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    community::plant_people(state, &actors)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    community::plant_discussions(state, &actors)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    community::plant_conversations(state, &actors)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    community::plant_moderation(state, &actors)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    community::plant_public_page(state, &actors, repair_cafe)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    neighbours::plant_neighbours(state, &actors).await?;
    // The demo's own sessions were only for signing: end them and wipe their keys.
    for actor in &actors {
        if let Some(session) = actor.session {
            services.log_out(&session).await?;
        }
    }
    Ok(true)
}

/// Every other demo member joins by the steward's invitation, with their introduction, and
/// gets a session to sign with.
async fn plant_members(
    state: &AppState,
    steward_actor: &crate::services::Actor,
    info: &commons_ledger::store::CircleInfo,
    version: i64,
) -> anyhow::Result<Vec<crate::services::Actor>> {
    let services = &state.services;
    let idle = state.config.session_idle_ms;
    let mut actors = vec![steward_actor.clone()];
    for (username, display, bio) in &DEMO_MEMBERS[1..] {
        let link = services
            .invite(steward_actor, display)
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        let (user, sealing, _, _) = services
            .join(
                &link,
                Some(&SignUp {
                    username: (*username).into(),
                    display_name: (*display).into(),
                    password: DEMO_PASSWORD.into(),
                    language: None,
                }),
                None,
                version,
            )
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        services
            .db
            .update_profile(user.id, display, bio, None)
            .await?;
        let session = services.open_session(user.id, sealing, idle).await?;
        let actor = services
            .actor(&user, &info.slug, Some(session.token_hash))
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        actors.push(actor);
    }
    Ok(actors)
}

/// A little history: who helped whom, and two requests waiting for an answer.
async fn plant_payments(state: &AppState, actors: &[crate::services::Actor]) -> anyhow::Result<()> {
    let payments: &[(usize, usize, &str, &str)] = &[
        (2, 1, "2", "Fixed my bike's brakes"),
        (3, 0, "1.5", "Sourdough workshop"),
        (4, 5, "3", "Lifts to the clinic this week"),
        (0, 6, "1", "Set up the circle's printer"),
        (7, 3, "2", "Hemmed two pairs of trousers"),
        (8, 4, "2.5", "Dug the new vegetable bed"),
        (9, 8, "1", "Fixed the kitchen tap"),
        (10, 7, "4", "Childminding, Tuesday and Thursday"),
        (11, 10, "1.5", "Help with the council letter"),
        (5, 9, "2", "Walked Biscuit all week"),
        (1, 2, "3", "Physics tutoring for Sam"),
        (6, 11, "1", "Soup for the family"),
        (3, 4, "0.75", "Tomato seedlings"),
        (2, 0, "1", "Two loaves"),
    ];
    for (payer, payee, amount, memo) in payments {
        transfer(state, &actors[*payer], *payee, amount, memo, false).await?;
    }
    // Two requests still waiting for an answer.
    transfer(
        state,
        &actors[1],
        0,
        "1.5",
        "Tuned the bakery's delivery bike",
        true,
    )
    .await?;
    transfer(
        state,
        &actors[0],
        3,
        "1",
        "Bread for the Sunday lunch",
        true,
    )
    .await?;
    Ok(())
}

/// A demo member pays another demo member (by index), or asks them to pay.
async fn transfer(
    state: &AppState,
    actor: &crate::services::Actor,
    other: usize,
    amount: &str,
    memo: &str,
    requesting: bool,
) -> anyhow::Result<()> {
    let services = &state.services;
    let command = TransferCommand::parse(&actor.circle, DEMO_MEMBERS[other].0, amount, memo)
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    let attempt = crate::services::IdempotencyKey::generate();
    let done = if requesting {
        services.request_payment(actor, &command, &attempt).await
    } else {
        services.pay(actor, &command, &attempt).await
    };
    done.map(|_| ()).map_err(|error| anyhow::anyhow!("{error}"))
}

/// One demo listing: (member index, side, kind, title, description, category, tags, value,
/// amount).
type DemoListing = (
    usize,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// The demo market.
const DEMO_LISTINGS: &[DemoListing] = &[
    (1, "offer", "skill", "I fix bicycles", "Punctures, brakes, gears and wobbly wheels. Bring it round on a **Saturday morning**; I have most common parts.", "repairs/bikes", "bikes repair", "per_hour", "1"),
    (3, "offer", "skill", "Hemming and alterations", "Trousers too long, a zip that sticks, a seam that opened: I mend clothes by hand or machine.", "repairs/sewing", "sewing clothes", "per_hour", "1"),
    (5, "offer", "skill", "Lifts to the clinic", "Weekday mornings, small car, room for a walking frame in the boot.", "transport/lifts", "lift car", "by_agreement", ""),
    (4, "offer", "thing", "Tomato seedlings", "A dozen sturdy plants, three varieties. Free to a good garden.", "things/garden-plants", "seedlings garden", "gift", ""),
    (6, "offer", "knowledge", "Computer help in plain words", "Email, video calls, getting photos off your phone. Patient, no jargon.", "learning/computers", "computer phone", "per_hour", "1"),
    (0, "offer", "event", "Sourdough workshop", "Learn to keep a starter and bake your first loaf. Bring a jar.", "events/workshops", "bread baking", "fixed", "1.5"),
    (2, "need", "skill", "Bike repair", "My back tyre keeps going flat and the brakes squeak.", "repairs/bikes", "bike", "by_agreement", ""),
    (10, "need", "thing", "A ladder to borrow for a weekend", "To clear the gutters before winter.", "things/tools", "ladder", "gift", ""),
    (11, "need", "knowledge", "Help with a council letter", "A form about the parking permit I do not understand.", "admin/paperwork", "forms", "by_agreement", ""),
    (7, "need", "skill", "My trousers are too long", "Two pairs of school trousers to take up before term.", "repairs/sewing", "", "by_agreement", ""),
];

async fn plant_market(state: &AppState, actors: &[crate::services::Actor]) -> anyhow::Result<()> {
    use commons_market::event::LocalTime;
    use commons_market::text::Language;
    let services = &state.services;
    let in_three_days = LocalTime::from_ms(services.now_ms() + 3 * 86_400_000);
    let day = in_three_days.date();
    let mut ids = Vec::new();
    for (member, side, kind, title, description, category, tags, value, amount) in DEMO_LISTINGS {
        let input = crate::market::ListingInput {
            side: (*side).into(),
            kind: (*kind).into(),
            title: (*title).into(),
            description: (*description).into(),
            category: (*category).into(),
            tags: (*tags).into(),
            area: "Riverside".into(),
            value_kind: (*value).into(),
            amount: (*amount).into(),
            starts: format!("{day}T10:00"),
            ends: format!("{day}T13:00"),
            place: "The community hall, 3 Mill Lane".into(),
            capacity: "8".into(),
            ..crate::market::ListingInput::default()
        };
        let actor = &actors[*member];
        let draft = services
            .parse_listing(actor, &input, Language::English)
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?
            .map_err(|errors| anyhow::anyhow!("demo listing {title}: {errors:?}"))?;
        let listing = services
            .create_listing(actor, &draft)
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        ids.push(listing.id);
    }
    let fail = |error: crate::services::ActionError| anyhow::anyhow!("{error}");
    // Chen needed a bike repair; Ben helped, was paid, and was thanked.
    let (chen, ben) = (&actors[2], &actors[1]);
    let deal = services
        .open_deal(ben, ids[6], "I can look at it on Saturday morning.")
        .await
        .map_err(fail)?;
    services
        .deal_message(chen, deal.deal.id, "Saturday is perfect, thank you!")
        .await
        .map_err(fail)?;
    services
        .propose_terms(
            ben,
            deal.deal.id,
            "New inner tube and brake pads, about an hour",
            "1",
            false,
        )
        .await
        .map_err(fail)?;
    services
        .agree_terms(chen, deal.deal.id, None)
        .await
        .map_err(fail)?;
    services
        .complete_deal(chen, deal.deal.id, None)
        .await
        .map_err(fail)?;
    services
        .thank(
            chen,
            deal.deal.id,
            "Rides like new. Ben explained everything as he went.",
        )
        .await
        .map_err(fail)?;
    // Hana asked Dolores about the trousers; they are still talking.
    services
        .open_deal(
            &actors[3],
            ids[9],
            "I can take them up this week. How much shorter?",
        )
        .await
        .map_err(fail)?;
    // Some are going to the workshop.
    for member in [2, 3, 4, 7] {
        services
            .rsvp(
                &actors[member],
                ids[5],
                commons_market::event::Answer::Going,
            )
            .await
            .map_err(fail)?;
    }
    Ok(())
}

fn input(title: &str, body: &str, method: &str, options: &str) -> crate::governance::ProposalInput {
    crate::governance::ProposalInput {
        title: title.into(),
        body: body.into(),
        method: method.into(),
        options: options.into(),
        delegation: Some("on".into()),
        action: "none".into(),
        ..crate::governance::ProposalInput::default()
    }
}

/// The demo's decisions: one decided last week and in force, a ranked vote and an STV election
/// under way, one in discussion, and the appointment of a second moderator.
async fn plant_governance(
    state: &AppState,
    actors: &[crate::services::Actor],
) -> anyhow::Result<()> {
    plant_decided(state, actors).await?;
    plant_venue_vote(state, actors).await?;
    plant_discussion(state, actors).await?;
    plant_election(state, actors).await?;
    plant_appointment(state, actors).await
}

/// Decided last week (discussed and voted in the past, under the default policy the ledger
/// holds): more room below zero for everyone.
async fn plant_decided(state: &AppState, actors: &[crate::services::Actor]) -> anyhow::Result<()> {
    use commons_governance::majority::Position;
    let mut floor = input(
        "Let everyone go down to -30 hours",
        "Several of us ran into the -20 floor while waiting for a big job to be paid back. More room below zero makes it easier to say yes to help.",
        "majority",
        "",
    );
    floor.action = "default-limits".into();
    floor.action_floor = "-30".into();
    floor.action_ceiling = "40".into();
    let comment = (
        4,
        "Yes: I had to turn down a week of gardening work because of the floor.",
    );
    let voters: Vec<&crate::services::Actor> = actors.iter().collect();
    decide_in_the_past(state, &voters, &floor, 11, Some(comment), |index| {
        if index % 4 == 3 {
            None // not everyone votes
        } else if index % 5 == 4 {
            Some(Position::No)
        } else {
            Some(Position::Yes)
        }
    })
    .await
}

/// Decided last week too: a second member moderates with the stewards (the ledger records the appointment,
/// so the moderation log's check knows their key).
async fn plant_appointment(
    state: &AppState,
    actors: &[crate::services::Actor],
) -> anyhow::Result<()> {
    use commons_governance::majority::Position;
    let name = actors[3].user.display_name.clone();
    let mut appointment = input(
        &format!("{name} helps moderate the circle"),
        &format!("Amara has been the only one looking at reports. {name} offered to help, and has done the circle's listening training at the community centre."),
        "majority",
        "",
    );
    appointment.action = "appoint-moderator".into();
    appointment.action_member = actors[3].user.username.clone();
    let voters: Vec<&crate::services::Actor> = actors.iter().collect();
    decide_in_the_past(state, &voters, &appointment, 10, None, |index| {
        (index % 4 != 3).then_some(Position::Yes)
    })
    .await
}

/// A majority proposal by `actors[0]`, discussed from `discussed_days_ago`, voted on for a
/// week from two days later by the circle's active members (each actor as `position` says, or
/// not at all; the rest not at all), then closed and enacted now through the same path as any
/// vote: signed ballots, the count, the ledger's enactment. The demo's history is made so, and
/// tests that need a decision without waiting a week.
pub async fn decide_in_the_past(
    state: &AppState,
    actors: &[&crate::services::Actor],
    draft: &crate::governance::ProposalInput,
    discussed_days_ago: i64,
    comment: Option<(usize, &str)>,
    position: impl Fn(usize) -> Option<commons_governance::majority::Position>,
) -> anyhow::Result<()> {
    use commons_governance::ballot::{Ballot, Choice};
    use commons_governance::policy::Status;
    use commons_governance::proposal::{body_hash, Definition};
    let services = &state.services;
    let fail = |error: crate::services::ActionError| anyhow::anyhow!("{error}");
    let now = services.now_ms();
    let day = 86_400_000;
    let discussed_since_ms = now - discussed_days_ago * day;
    let opens_at_ms = discussed_since_ms + 2 * day;
    let info = &actors[0].circle;
    let policy = services.governance.policy(info.row_id).await?;
    let proposal = services
        .create_proposal(actors[0], draft)
        .await
        .map_err(fail)?;
    discussed_since(services, proposal.id, discussed_since_ms).await?;
    if let Some((author, words)) = comment {
        services
            .comment(actors[author], proposal.number, None, words)
            .await
            .map_err(fail)?;
    }
    let proposal = services
        .governance
        .proposal(info.row_id, proposal.number)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo proposal"))?;
    let mut electorate: Vec<_> = services
        .db
        .active_members(info.row_id)
        .await?
        .into_iter()
        .map(|member| member.account_key)
        .collect();
    electorate.sort_unstable();
    let definition = Definition {
        circle_id: info.circle_id,
        proposal_id: proposal.number as u64,
        round: 1,
        title: proposal.draft.title.clone(),
        body_hash: body_hash(&proposal.draft.body),
        author: actors[0].membership.account_key,
        method: proposal.draft.method,
        options: vec![],
        quorum_percent: proposal.draft.quorum_percent,
        threshold_percent: proposal.draft.threshold_percent,
        opens_at_ms,
        closes_at_ms: opens_at_ms + 7 * day,
        electorate,
        delegation: true,
        hide_results: false,
        actions: proposal.draft.actions.clone(),
        policy_hash: policy.hash(),
        discussed_since_ms,
    };
    services
        .governance
        .open_round(
            &proposal,
            Status::Discussion,
            &definition,
            &policy,
            opens_at_ms,
        )
        .await?;
    for (index, actor) in actors.iter().enumerate() {
        let Some(position) = position(index) else {
            continue;
        };
        let key = services.signing_key(actor).map_err(fail)?;
        let cast_at = opens_at_ms + day + index as i64 * 3_600_000;
        let ballot = Ballot::new(
            &definition,
            key.public_key(),
            cast_at,
            Choice::Majority(position),
        )
        .sign(&key);
        services.governance.cast(&ballot, cast_at).await?;
    }
    let proposal = services
        .governance
        .proposal(info.row_id, proposal.number)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo proposal"))?;
    services.close_round(info, &proposal).await.map_err(fail)?;
    Ok(())
}

/// Voting now: where the spring skill-share meets (ranked choice).
async fn plant_venue_vote(
    state: &AppState,
    actors: &[crate::services::Actor],
) -> anyhow::Result<()> {
    use commons_governance::policy::Step;
    let services = &state.services;
    let fail = |error: crate::services::ActionError| anyhow::anyhow!("{error}");
    let now = services.now_ms();
    let day = 86_400_000;

    let venue = services
        .create_proposal(
            &actors[2],
            &input(
                "Where should the spring skill-share be held?",
                "We need a place for about forty people, with tables and a kettle. Rank the places you could get to.",
                "irv",
                "The community hall\nRiverside park (with the gazebo)\nThe library's meeting room",
            ),
        )
        .await
        .map_err(fail)?;
    discussed_since(services, venue.id, now - 3 * day).await?;
    services
        .proposal_step(&actors[2], venue.number, Step::OpenVoting)
        .await
        .map_err(fail)?;
    let rankings: &[&[(&str, &str)]] = &[
        &[("rank-0", "1"), ("rank-2", "2")],
        &[("rank-1", "1"), ("rank-0", "2")],
        &[("rank-2", "1"), ("rank-0", "2"), ("rank-1", "3")],
        &[("rank-0", "1")],
        &[("rank-1", "1"), ("rank-2", "2")],
    ];
    cast_rankings(services, &actors[1..], venue.number, rankings).await?;
    Ok(())
}

/// In discussion: a monthly repair café.
async fn plant_discussion(
    state: &AppState,
    actors: &[crate::services::Actor],
) -> anyhow::Result<()> {
    use commons_governance::policy::Step;
    let services = &state.services;
    let fail = |error: crate::services::ActionError| anyhow::anyhow!("{error}");
    let cafe = services
        .create_proposal(
            &actors[1],
            &input(
                "Start a monthly repair café",
                "Once a month, bring what is broken and we fix it together: bikes, clothes, lamps, phones. Hours go to whoever fixes.",
                "consent",
                "",
            ),
        )
        .await
        .map_err(fail)?;
    services
        .proposal_step(&actors[1], cafe.number, Step::StartDiscussion)
        .await
        .map_err(fail)?;
    let first = services
        .comment(
            &actors[3],
            cafe.number,
            None,
            "Lovely idea. I can bring my sewing machine.",
        )
        .await
        .map_err(fail)?;
    services
        .comment(
            &actors[8],
            cafe.number,
            Some(first),
            "And I can do taps and small plumbing.",
        )
        .await
        .map_err(fail)?;
    Ok(())
}

/// Voting now: two stewards for the coming year (single transferable vote).
async fn plant_election(state: &AppState, actors: &[crate::services::Actor]) -> anyhow::Result<()> {
    use commons_governance::policy::Step;
    let services = &state.services;
    let fail = |error: crate::services::ActionError| anyhow::anyhow!("{error}");
    let now = services.now_ms();
    let day = 86_400_000;

    let mut stewards = input(
        "Who should be our two stewards next year?",
        "Stewards welcome newcomers and keep the circle's limits fair. Rank the people you would trust with it.",
        "stv",
        "Amara Okafor\nDolores Ruiz\nGus Lindqvist\nHana Sato",
    );
    stewards.seats = "2".into();
    let election = services
        .create_proposal(&actors[9], &stewards)
        .await
        .map_err(fail)?;
    discussed_since(services, election.id, now - 4 * day).await?;
    services
        .proposal_step(&actors[9], election.number, Step::OpenVoting)
        .await
        .map_err(fail)?;
    let rankings: &[&[(&str, &str)]] = &[
        &[("rank-0", "1"), ("rank-1", "2")],
        &[("rank-0", "1"), ("rank-3", "2")],
        &[("rank-1", "1"), ("rank-2", "2"), ("rank-0", "3")],
        &[("rank-3", "1"), ("rank-1", "2")],
        &[("rank-0", "1"), ("rank-2", "2")],
        &[("rank-2", "1"), ("rank-3", "2")],
    ];
    cast_rankings(services, &actors[4..], election.number, rankings).await?;
    Ok(())
}

/// A demo proposal went to discussion at `at_ms` (in the past: the demo's history).
async fn discussed_since(
    services: &crate::services::Services,
    proposal: i64,
    at_ms: i64,
) -> anyhow::Result<()> {
    use commons_governance::policy::Status;
    services
        .governance
        .set_status(proposal, Status::Draft, Status::Discussion, at_ms)
        .await?;
    Ok(())
}

/// Each actor in turn ranks options (form fields `rank-N` = place) on a proposal.
async fn cast_rankings(
    services: &crate::services::Services,
    actors: &[crate::services::Actor],
    number: i64,
    rankings: &[&[(&str, &str)]],
) -> anyhow::Result<()> {
    for (actor, ranking) in actors.iter().zip(rankings) {
        let fields: Vec<(String, String)> = ranking
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        services
            .vote(actor, number, &fields)
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
    }
    Ok(())
}
