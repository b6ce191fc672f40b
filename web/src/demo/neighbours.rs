//! The demo's neighbours: a second circle on the node, Hillside Repair Café, counting in
//! credits, linked with Riverside by a passed proposal in each (1 hour = 10 credits), and a
//! payment across, so "Pay someone in a linked circle" can be tried at once.

use commons_governance::majority::Position;

use crate::custody::{Password, SealingKey};
use crate::governance::ProposalInput;
use crate::links::CrossPayCommand;
use crate::services::{Actor, IdempotencyKey, NewCircle, SignUp};
use crate::AppState;

use super::{decide_in_the_past, DEMO_PASSWORD};

/// Hillside's own members besides Amara (its steward too).
const NEIGHBOURS: &[(&str, &str, &str)] = &[
    (
        "joy",
        "Joy Asante",
        "Fixes lamps, kettles and radios at the Saturday café.",
    ),
    (
        "kofi",
        "Kofi Boateng",
        "Sharpens knives and tools; brings the tea.",
    ),
];

fn failed(error: crate::services::ActionError) -> anyhow::Error {
    anyhow::anyhow!("{error}")
}

fn link_input(partner: &str, here: &str, there: &str, max: &str) -> ProposalInput {
    ProposalInput {
        title: format!("Trade with our neighbours at {partner}"),
        body: "Members of both circles can pay each other, each in their own unit.".into(),
        method: "majority".into(),
        action: "link".into(),
        link_circle: partner.into(),
        link_rate_here: here.into(),
        link_rate_there: there.into(),
        link_out_max: max.into(),
        link_in_max: max.into(),
        link_shares_market: Some("on".into()),
        ..ProposalInput::default()
    }
}

/// Plants Hillside, its members, both links and one payment across; `riverside` are the
/// demo's members (Amara first), each with a session to sign with.
pub(super) async fn plant_neighbours(state: &AppState, riverside: &[Actor]) -> anyhow::Result<()> {
    let services = &state.services;
    let amara = &riverside[0];
    let salt: [u8; 16] = amara
        .user
        .seal_salt
        .as_slice()
        .try_into()
        .map_err(|_| anyhow::anyhow!("a seal salt is 16 bytes"))?;
    let sealing = || -> anyhow::Result<SealingKey> {
        let password =
            Password::typed(DEMO_PASSWORD).map_err(|error| anyhow::anyhow!("{error:?}"))?;
        SealingKey::derive(&password, &salt, services.kdf_cost())
            .map_err(|error| anyhow::anyhow!("{error:?}"))
    };
    let circle = NewCircle {
        slug: "hillside".into(),
        name: "Hillside Repair Café".into(),
        unit_name: "credits".into(),
        unit_symbol: "cr".into(),
        floor: "-200".into(),
        ceiling: "400".into(),
        time_zone: "Europe/London".into(),
    };
    let spec = services.circle_spec(&circle).map_err(failed)?;
    services
        .create_circle(&amara.user, &sealing()?, spec)
        .await
        .map_err(failed)?;
    let idle = state.config.session_idle_ms;
    let session = services
        .open_session(amara.user.id, sealing()?, idle)
        .await?;
    let steward = services
        .actor(&amara.user, "hillside", Some(session.token_hash))
        .await
        .map_err(failed)?;
    let version = services
        .settings(&steward.circle)
        .await
        .map_err(failed)?
        .agreements_version;
    let mut hillside = vec![steward.clone()];
    for (username, display, bio) in NEIGHBOURS {
        let link = services.invite(&steward, display).await.map_err(failed)?;
        let sign_up = SignUp {
            username: (*username).into(),
            display_name: (*display).into(),
            password: DEMO_PASSWORD.into(),
            language: None,
        };
        let (user, sealing, _, _) = services
            .join(&link, Some(&sign_up), None, version)
            .await
            .map_err(failed)?;
        services
            .db
            .update_profile(user.id, display, bio, None)
            .await?;
        let session = services.open_session(user.id, sealing, idle).await?;
        hillside.push(
            services
                .actor(&user, "hillside", Some(session.token_hash))
                .await
                .map_err(failed)?,
        );
    }
    let everyone: Vec<&Actor> = riverside.iter().collect();
    let yes = |_| Some(Position::Yes);
    decide_in_the_past(
        state,
        &everyone,
        &link_input("hillside", "1", "10", "20"),
        12,
        None,
        yes,
    )
    .await?;
    let neighbours: Vec<&Actor> = hillside.iter().collect();
    decide_in_the_past(
        state,
        &neighbours,
        &link_input("riverside", "10", "1", "200"),
        12,
        None,
        yes,
    )
    .await?;
    let lamp = CrossPayCommand {
        circle: "hillside".into(),
        member: "joy".parse().map_err(|_| anyhow::anyhow!("a username"))?,
        amount_minor: 150,
        memo: crate::ledger::form::MemoText::parse("Rewired the reading lamp")
            .map_err(|_| anyhow::anyhow!("a memo"))?,
    };
    services
        .pay_across(&riverside[1], &lamp, &IdempotencyKey::generate())
        .await
        .map_err(failed)?;
    // Joy asks Ben for the parts of the kettle she mended: he sees it on his circle's home.
    let kettle = CrossPayCommand {
        circle: "riverside".into(),
        member: "ben".parse().map_err(|_| anyhow::anyhow!("a username"))?,
        amount_minor: 800,
        memo: crate::ledger::form::MemoText::parse("Kettle parts")
            .map_err(|_| anyhow::anyhow!("a memo"))?,
    };
    services
        .request_across(&hillside[1], &kettle, &IdempotencyKey::generate())
        .await
        .map_err(failed)?;
    let listings = plant_listings(state, &hillside).await?;
    plant_deal_across(state, &riverside[1], &hillside[2], listings[1]).await?;
    for actor in hillside.iter().skip(1).chain([&steward]) {
        if let Some(session) = actor.session {
            services.log_out(&session).await?;
        }
    }
    Ok(())
}

/// The café's market, some of it in Spanish: Riverside's members see it beside their own
/// (the link shares the market), found by English words too.
type DemoListing = (
    usize,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);
const HILLSIDE_LISTINGS: &[DemoListing] = &[
    (
        1,
        "offer",
        "skill",
        "Arreglo de lámparas, hervidores y radios",
        "Los sábados en el café: trae lo que no funciona y lo miramos juntos.",
        "fixed",
        "20",
    ),
    (
        2,
        "offer",
        "knowledge",
        "Clases de guitarra para principiantes",
        "Una hora a la semana, con guitarra prestada si no tienes.",
        "per_hour",
        "10",
    ),
    (
        1,
        "need",
        "thing",
        "Me hace falta un taladro prestado",
        "Para colgar unas estanterías el domingo.",
        "gift",
        "",
    ),
    (
        2,
        "need",
        "skill",
        "Reparar los frenos de mi bici",
        "Chirrían y frenan poco.",
        "by_agreement",
        "",
    ),
];

/// Ben answers Kofi's guitar lessons across the link; they talk, and Kofi proposes terms in
/// the café's credits, which Ben sees in hours and may agree to.
async fn plant_deal_across(
    state: &AppState,
    ben: &Actor,
    kofi: &Actor,
    lessons: i64,
) -> anyhow::Result<()> {
    let services = &state.services;
    let failed = |error: crate::services::ActionError| anyhow::anyhow!("{error:?}");
    services
        .open_deal_across(
            ben,
            &kofi.circle.circle_id,
            lessons,
            "Hola Kofi! I would love two lessons. Is Saturday morning good for you?",
        )
        .await
        .map_err(failed)?;
    let deal = services.deals_across(kofi).await.map_err(failed)?[0].0.id;
    services
        .message_deal_across(kofi, deal, "¡Claro! Bring your guitar if you have one.")
        .await
        .map_err(failed)?;
    let terms = crate::links::deals::DealStep::Propose {
        description: "Two guitar lessons, Saturday mornings at the café".into(),
        amount_minor: Some(2000),
    };
    services
        .step_deal_across(kofi, deal, terms, None)
        .await
        .map_err(failed)?;
    Ok(())
}

/// Plants the café's listings; their ids, in the order of [`HILLSIDE_LISTINGS`].
async fn plant_listings(state: &AppState, hillside: &[Actor]) -> anyhow::Result<Vec<i64>> {
    let services = &state.services;
    let mut ids = Vec::new();
    for (member, side, kind, title, description, value, amount) in HILLSIDE_LISTINGS {
        let input = crate::market::ListingInput {
            side: (*side).into(),
            kind: (*kind).into(),
            title: (*title).into(),
            description: (*description).into(),
            category: "other".into(),
            area: "Hillside".into(),
            value_kind: (*value).into(),
            amount: (*amount).into(),
            ..crate::market::ListingInput::default()
        };
        let actor = &hillside[*member];
        let draft = services
            .parse_listing(actor, &input, commons_market::text::Language::Spanish)
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?
            .map_err(|errors| anyhow::anyhow!("demo listing {title}: {errors:?}"))?;
        let listing = services
            .create_listing(actor, &draft)
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        ids.push(listing.id);
    }
    Ok(ids)
}
