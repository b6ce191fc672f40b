//! The demo circle's community life: news with an announcement and comments, and moderation
//! as a circle lives it (a hide appealed and restored, a warning, an open report, a repair).

use crate::AppState;

/// Moderation as a circle lives it: a listing reported and hidden, appealed and shown again
/// by a second moderator (appointed by the circle's proposal), a warning, and a report
/// still waiting in the queue.
pub(super) async fn plant_moderation(
    state: &AppState,
    actors: &[crate::services::Actor],
) -> Result<(), crate::services::ActionError> {
    use crate::moderation::service::{ActCommand, ReportCommand};
    use commons_governance::moderation::{ActionKind, TargetKind};
    let services = &state.services;
    let (steward, ben, cara, dev) = (&actors[0], &actors[1], &actors[2], &actors[3]);
    let act = |kind, reason: &str| ActCommand {
        kind,
        agreements: vec![3],
        reason: reason.into(),
        ends_at_ms: None,
    };
    let listing = services
        .market
        .listings_of(steward.circle.row_id, ben.user.id)
        .await?[0]
        .id;
    let target = services
        .report_target(cara, TargetKind::Listing, &listing.to_string())
        .await?;
    let report = ReportCommand {
        agreements: vec![3],
        note: "This reads like an advert from a shop.".into(),
    };
    services.report(cara, &target, &report).await?;
    let case = services.queue(steward).await?[0].case.id;
    let hide = act(ActionKind::Hide, "Hidden while we check: the circle agreed that offers are valued by need, not market prices.");
    let seq = services
        .act(steward, case, &hide)
        .await?
        .seq()
        .ok_or(crate::services::ActionError::Forbidden)?;
    services
        .appeal(
            ben,
            seq as i64,
            "It is my own work, priced in hours like everyone else's.",
        )
        .await?;
    let appeal = services.queue(dev).await?[0].case.id;
    let restore = act(
        ActionKind::Restore,
        "Ben explained: his own work, valued in hours. Shown again, with thanks to both.",
    );
    services.act(dev, appeal, &restore).await?;
    let member = services
        .report_target(ben, TargetKind::Member, &dev.user.username)
        .await?;
    let words = ReportCommand {
        agreements: vec![1],
        note: "Sharp words in a deal message.".into(),
    };
    services.report(ben, &member, &words).await?;
    let case = services.queue(steward).await?[0].case.id;
    services
        .act(
            steward,
            case,
            &act(
                ActionKind::Warn,
                "Please keep messages kind, even when a deal goes wrong.",
            ),
        )
        .await?;
    if let Some(eve) = actors.get(4) {
        let target = services
            .report_target(eve, TargetKind::Member, &cara.user.username)
            .await?;
        let open = ReportCommand {
            agreements: vec![2],
            note: "Promised to come twice and did not say.".into(),
        };
        services.report(eve, &target, &open).await?;
        // The steward offers the two a repair conversation; Chen has joined.
        let case = services.queue(steward).await?[0].case.id;
        let repair = services
            .open_repair(
                steward,
                case,
                &eve.user.username,
                "Missed visits, and how to say so early next time",
            )
            .await?;
        services.answer_repair(cara, repair, true).await?;
        services
            .repair_message(
                cara,
                repair,
                "I am sorry. My mother was ill and I did not think to write.",
            )
            .await?;
    }
    Ok(())
}

/// The circle's news: a pinned announcement with comments, and an older post.
pub(super) async fn plant_news(
    state: &AppState,
    actors: &[crate::services::Actor],
) -> Result<i64, crate::services::ActionError> {
    use crate::news::rules::NewsCommand;
    let services = &state.services;
    let post = |title: &str, body: &str, pinned: bool, announce: bool| {
        NewsCommand::parse(title, body, pinned, announce)
            .map_err(crate::services::ActionError::Fields)
    };
    let welcome = post(
        "Welcome to our new space",
        "We moved our time bank here from the mailing list. Everything you post stays in the circle.",
        false,
        false,
    )?;
    services.publish_news(&actors[0], &welcome).await?;
    let cafe = post(
        "Repair café this Saturday",
        "Bring what is broken: **bikes, lamps, jumpers**. Ben and Dolores will be there from 10:00 at the community hall.\n\n- tea and cake by Chen\n- an hour of help counts as an hour",
        true,
        true,
    )?;
    let repair_cafe = services.publish_news(&actors[0], &cafe).await?;
    services
        .comment_news(
            &actors[1],
            repair_cafe,
            "I'll bring my toolbox and a spare pump.",
        )
        .await?;
    services
        .comment_news(&actors[2], repair_cafe, "Lemon cake it is!")
        .await?;
    Ok(repair_cafe)
}

/// The circle's public page: its stewards' words in English and Spanish, the repair café's
/// news, and the events and a few offers their authors chose to share.
pub(super) async fn plant_public_page(
    state: &AppState,
    actors: &[crate::services::Actor],
    news: i64,
) -> Result<(), crate::services::ActionError> {
    use crate::public::rules::{PublicPageCommand, Shared};
    let services = &state.services;
    let fields: Vec<(String, String)> = DEMO_PUBLIC_TEXTS
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    let command = PublicPageCommand::parse(true, &fields, &["en", "es"])
        .map_err(crate::services::ActionError::Fields)?;
    services.save_public_page(&actors[0], &command).await?;
    services.share(&actors[0], Shared::News, news, true).await?;
    let circle = actors[0].circle.row_id;
    for id in 1..=12 {
        let Some(listing) = services.market.listing(circle, id).await? else {
            continue;
        };
        let Some(owner) = actors.iter().find(|a| a.user.id == listing.owner) else {
            continue;
        };
        if listing.event.is_some() || id % 3 == 1 {
            services.share(owner, Shared::Listing, id, true).await?;
        }
    }
    Ok(())
}

/// The demo's public page, field by field.
const DEMO_PUBLIC_TEXTS: [(&str, &str); 10] = [
    ("about_en", "We are neighbours along the river who trade **time** instead of money: an hour of help is worth an hour, whoever gives it. We started on a mailing list in 2019 and now meet here."),
    ("about_es", "Somos vecinas y vecinos del río que intercambiamos **tiempo** en lugar de dinero: una hora de ayuda vale una hora, la dé quien la dé. Empezamos en una lista de correo en 2019 y ahora nos encontramos aquí."),
    ("values_en", "- Everyone's hour is worth the same\n- We keep our promises, and say so early when we cannot\n- What we learn about each other stays in the circle"),
    ("values_es", "- La hora de cada persona vale lo mismo\n- Cumplimos lo que prometemos, y avisamos pronto si no podemos\n- Lo que sabemos unas de otras se queda en el círculo"),
    ("ways_en", "We decide together: anyone can propose, we talk it through, then vote. Stewards look after the ledger and the agreements, and change only what the circle decided."),
    ("ways_es", "Decidimos juntas: cualquiera puede proponer, lo hablamos y luego votamos. Las personas administradoras cuidan el registro y los acuerdos, y solo cambian lo que el círculo decidió."),
    ("collaborations_en", "- [Timebanking UK](https://timebanking.org)\n- The Riverside community hall"),
    ("collaborations_es", "- [Timebanking UK](https://timebanking.org)\n- El centro comunitario de Riverside"),
    ("involved_en", "Come to a repair café or an open evening and meet us, then ask to join below. A steward welcomes every newcomer."),
    ("involved_es", "Ven a un café de reparación o a una tarde abierta y conócenos; luego pide entrar aquí abajo. Una persona administradora recibe a cada recién llegada."),
];

/// The circle's discussions: introductions in the opening thread, an idea that became a
/// proposal's draft, a question with answers, followers and a mute.
pub(super) async fn plant_discussions(
    state: &AppState,
    actors: &[crate::services::Actor],
) -> Result<(), crate::services::ActionError> {
    use crate::db::discussions::FollowMode;
    use crate::discussions::rules::ThreadCommand;
    let services = &state.services;
    let categories = services.discussion_categories(&actors[0]).await?;
    let list = services.threads(&actors[0], None, 0).await?;
    if let Some(intro) = list.threads.first() {
        let intro = intro.thread.id;
        for (actor, text) in [
            (&actors[1], "Hi all, I'm Ben. I fix bikes and I'm learning to bake bread. Happy to teach anyone to patch a tube."),
            (&actors[2], "Chen here: I garden, bake too much cake, and would love help with my Spanish."),
            (&actors[3], "Dolores. Sewing, mending, and a big pile of seeds to share in spring."),
        ] {
            services.reply_thread(actor, intro, text).await?;
        }
    }
    let ideas = categories.get(1).or(categories.first()).map_or(0, |c| c.id);
    let questions = categories.get(2).or(categories.first()).map_or(0, |c| c.id);
    let thread = |category: i64, title: &str, body: &str| {
        ThreadCommand::parse(&category.to_string(), title, body)
            .map_err(crate::services::ActionError::Fields)
    };
    let tools = services
        .start_thread(
            &actors[1],
            &thread(ideas, "A tool library in the community hall?", "We each own a drill we use twice a year. What if we kept **one shared set** at the hall, lent for credits?\n\n- who would look after it?\n- what would we need first?")?,
        )
        .await?;
    services
        .reply_thread(
            &actors[2],
            tools,
            "Yes please. I can give a shelf and a ladder.",
        )
        .await?;
    services
        .reply_thread(&actors[0], tools, "The hall committee would welcome it. Shall we turn this into a proposal once we know who looks after it?")
        .await?;
    services
        .set_thread_follow(&actors[3], tools, Some(FollowMode::Follow))
        .await?;
    let compost = services
        .start_thread(
            &actors[2],
            &thread(
                questions,
                "Who knows about compost bins?",
                "Mine smells. What am I doing wrong?",
            )?,
        )
        .await?;
    services
        .reply_thread(
            &actors[3],
            compost,
            "More browns: dry leaves, cardboard. And turn it every week.",
        )
        .await?;
    services
        .set_thread_follow(&actors[1], compost, Some(FollowMode::Mute))
        .await?;
    Ok(())
}

/// What the demo's people can do, care about and like to be asked about.
const DEMO_PROFILES: &[(&str, &str, &str, &str)] = &[
    (
        "amara",
        "sourdough, baking, facilitation",
        "community gardens, mutual aid",
        "How to keep a starter alive",
    ),
    (
        "ben",
        "bike repair, carpentry, moving",
        "sourdough, climbing",
        "Brakes that squeal",
    ),
    (
        "chen",
        "maths tutoring, physics, cake",
        "spanish, gardening",
        "Why the sky is blue",
    ),
    (
        "dolores",
        "spanish, sewing, mending",
        "seed saving, choirs",
        "Mending jeans so it doesn't show",
    ),
    (
        "emeka",
        "gardening, seedlings, composting",
        "beekeeping",
        "What to plant in March",
    ),
    ("fatima", "driving, arabic", "walking groups", ""),
    (
        "gus",
        "computer help, phones, printers",
        "repair cafés",
        "Getting video calls to work",
    ),
    ("hana", "childminding, first aid", "origami", ""),
    ("ivan", "plumbing, bike repair", "chess", "Leaky taps"),
    ("jo", "dog walking, pet sitting", "birdwatching", ""),
    (
        "kai",
        "tax forms, letters, english",
        "cooking",
        "Letters from the council",
    ),
    (
        "lena",
        "cooking, soup",
        "community kitchens",
        "Soup for a crowd",
    ),
];

/// The demo's people: skills, interests and what to ask them about.
pub(super) async fn plant_people(
    state: &AppState,
    actors: &[crate::services::Actor],
) -> Result<(), crate::services::ActionError> {
    use crate::people::rules::ProfileExtras;
    for actor in actors {
        if let Some((_, skills, interests, ask)) = DEMO_PROFILES
            .iter()
            .find(|(name, ..)| *name == actor.user.username)
        {
            // Ben chose a public profile, so the public page can name him beside what he shares.
            let public = actor.user.username == "ben";
            let extras = ProfileExtras::parse(skills, interests, ask, public)
                .map_err(crate::services::ActionError::Fields)?;
            state
                .services
                .save_profile_extras(&actor.user, &extras)
                .await?;
        }
    }
    Ok(())
}

/// The demo's private conversations: Chen and Ben arranging a repair, and a small group about
/// the seed swap (so the messages pages have something to show).
pub(super) async fn plant_conversations(
    state: &AppState,
    actors: &[crate::services::Actor],
) -> Result<(), crate::services::ActionError> {
    use crate::conversations::rules::{parse_recipients, MessageBody, StartCommand};
    use crate::conversations::service::Correspondent;
    let services = &state.services;
    let by_name = |name: &str| actors.iter().find(|a| a.user.username == name);
    let talks: [(&str, &str, &[(&str, &str)]); 2] = [
        (
            "chen",
            "ben",
            &[
                (
                    "chen",
                    "Hi Ben, my bicycle's back brake squeals. Could you have a look this week?",
                ),
                (
                    "ben",
                    "Happy to! Thursday after six works for me.\nBring it to the repair café.",
                ),
                ("chen", "Perfect, see you Thursday. I'll bring biscuits."),
            ],
        ),
        (
            "amara",
            "ben, dolores",
            &[
                (
                    "amara",
                    "Could you two help set up the seed swap tables on Saturday at nine?",
                ),
                ("dolores", "Yes, count me in."),
            ],
        ),
    ];
    for (starter, to, lines) in talks {
        let Some(from) = by_name(starter) else {
            continue;
        };
        let mut conversation = None;
        for (author, text) in lines {
            let Some(actor) = by_name(author) else {
                continue;
            };
            let who = Correspondent::new(
                actor.clone(),
                &crate::capability::FullAccount::of(&actor.user)?,
            )?;
            let body =
                MessageBody::parse(text).map_err(|id| crate::services::invalid("body", id))?;
            match conversation {
                None => {
                    let to = parse_recipients(to, &from.user.username)
                        .map_err(|id| crate::services::invalid("to", id))?;
                    let command = StartCommand { to, body };
                    conversation = Some(services.start_conversation(&who, &command).await?);
                }
                Some(id) => services.conversation_message(&who, id, &body).await?,
            }
        }
    }
    Ok(())
}
