//! A node driven through its services (no HTTP): a fresh database, the node set up with one
//! circle and its steward, and people signed in to act, for per-feature service tests.

use std::sync::Arc;

use commons_ledger::store::Store;
use commons_web::db::User;
use commons_web::services::{Actor, NewCircle, SignUp};
use commons_web::{AppState, WebConfig};

/// The slug of the node's circle.
pub const SLUG: &str = "riverside";
/// Everyone's password in these tests.
pub const PASSWORD: &str = "a long enough password";

/// A node with one circle and its first steward, signed in.
#[derive(Debug)]
pub struct Node {
    pub state: Arc<AppState>,
    pub steward: Actor,
}

/// A payment to `member` of the linked circle `circle` (its slug, or its address).
pub fn cross_pay(
    circle: &str,
    member: &str,
    amount_minor: i64,
) -> commons_web::links::CrossPayCommand {
    commons_web::links::CrossPayCommand {
        circle: circle.into(),
        member: member.parse().expect("username"),
        amount_minor,
        memo: None,
    }
}

/// A node's state served on `port` (0: any) on loopback, until the sender is dropped or
/// fired: its address, the stop, and the server's task.
pub async fn serve(
    state: Arc<AppState>,
    port: u16,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = commons_web::serve(state, listener, async move {
            let _ = stopped.await;
        })
        .await;
    });
    (base, stop, task)
}

/// A sign-up as the forms send it.
pub fn sign_up(username: &str) -> SignUp {
    SignUp {
        username: username.into(),
        display_name: username.into(),
        password: PASSWORD.into(),
        language: None,
    }
}

impl Node {
    /// A fresh node on `db_url`, set up with its printed token by `amara`.
    pub async fn start(db_url: &str) -> Node {
        Node::start_configured(db_url, |_| {}).await
    }

    /// A fresh node whose configuration `change` adjusts (no jobs run: the test drives them).
    pub async fn start_configured(db_url: &str, change: impl FnOnce(&mut WebConfig)) -> Node {
        let store = Store::open(db_url).await.expect("store opens");
        let mut config = WebConfig::default();
        change(&mut config);
        let state = AppState::new(store, config).await.expect("state");
        let services = &state.services;
        let path = services
            .setup_path()
            .await
            .expect("setup")
            .expect("a new node");
        let token = path.trim_start_matches("/setup?token=").to_owned();
        let circle = NewCircle {
            slug: SLUG.into(),
            name: "Riverside".into(),
            unit_name: "hours".into(),
            unit_symbol: "h".into(),
            floor: "-20".into(),
            ceiling: "40".into(),
            time_zone: "Europe/London".into(),
        };
        let (user, sealing, _) = services
            .set_up_node(&token, &sign_up("amara"), &circle)
            .await
            .expect("set up");
        let session = services
            .open_session(user.id, sealing, 3_600_000)
            .await
            .expect("session");
        let steward = services
            .actor(&user, SLUG, Some(session.token_hash))
            .await
            .expect("the steward acts");
        Node { state, steward }
    }

    /// The person acting in the circle with a fresh session (an error if they are not an
    /// active member).
    pub async fn act_as(
        &self,
        user: &User,
        sealing: commons_web::custody::SealingKey,
    ) -> Result<Actor, commons_web::services::ActionError> {
        let services = &self.state.services;
        let session = services.open_session(user.id, sealing, 3_600_000).await?;
        services.actor(user, SLUG, Some(session.token_hash)).await
    }

    /// The circle's agreements version, which a joining person consents to.
    pub async fn agreements_version(&self) -> i64 {
        self.state
            .services
            .settings(&self.steward.circle)
            .await
            .expect("settings")
            .agreements_version
    }

    /// A member the steward invited (a steward's link opens the account at once), acting.
    pub async fn member(&self, username: &str) -> Actor {
        let services = &self.state.services;
        let link = services
            .invite(&self.steward, username)
            .await
            .expect("invite");
        let version = self.agreements_version().await;
        let (user, sealing, status, _) = services
            .join(&link, Some(&sign_up(username)), None, version)
            .await
            .expect("joins");
        assert_eq!(status, commons_web::db::MemberStatus::Active);
        self.act_as(&user, sealing).await.expect("active")
    }

    /// A second circle on the node, started by the steward (amara): her actor there.
    pub async fn second_circle(&self, slug: &str, name: &str, unit: &str) -> Actor {
        let services = &self.state.services;
        let user = &self.steward.user;
        let salt: [u8; 16] = user.seal_salt.as_slice().try_into().expect("salt");
        let sealing = || {
            commons_web::custody::SealingKey::derive(
                &commons_web::custody::Password::typed(PASSWORD).expect("typed"),
                &salt,
                services.kdf_cost(),
            )
            .expect("kdf")
        };
        let circle = NewCircle {
            slug: slug.into(),
            name: name.into(),
            unit_name: unit.into(),
            unit_symbol: unit.chars().take(2).collect(),
            floor: "-20".into(),
            ceiling: "40".into(),
            time_zone: "Europe/London".into(),
        };
        services
            .create_circle(
                user,
                &sealing(),
                services.circle_spec(&circle).expect("spec"),
            )
            .await
            .expect("circle");
        let session = services
            .open_session(user.id, sealing(), 3_600_000)
            .await
            .expect("session");
        services
            .actor(user, slug, Some(session.token_hash))
            .await
            .expect("the steward acts there")
    }

    /// A person `steward` invited into `steward`'s circle, acting there.
    pub async fn member_in(&self, steward: &Actor, username: &str) -> Actor {
        let services = &self.state.services;
        let link = services.invite(steward, username).await.expect("invite");
        let version = services
            .settings(&steward.circle)
            .await
            .expect("settings")
            .agreements_version;
        let (user, sealing, status, _) = services
            .join(&link, Some(&sign_up(username)), None, version)
            .await
            .expect("joins");
        assert_eq!(status, commons_web::db::MemberStatus::Active);
        let session = services
            .open_session(user.id, sealing, 3_600_000)
            .await
            .expect("session");
        services
            .actor(&user, &steward.circle.slug, Some(session.token_hash))
            .await
            .expect("active")
    }

    /// A proposal of `steward`'s circle to link with `partner` (a slug on this node, or an
    /// address on another) at `here` = `there`, each limit `max`, passed by the steward and
    /// `voters` (a link clears the steward-level bar) and enacted.
    pub async fn link(
        &self,
        steward: &Actor,
        voters: &[&Actor],
        partner: &str,
        terms: (&str, &str, &str),
    ) {
        self.link_sharing(steward, voters, partner, terms, true)
            .await;
    }

    /// As [`Node::link`], choosing whether the circle shares its market with the other.
    pub async fn link_sharing(
        &self,
        steward: &Actor,
        voters: &[&Actor],
        partner: &str,
        (here, there, max): (&str, &str, &str),
        shares_market: bool,
    ) {
        let input = commons_web::governance::ProposalInput {
            title: format!("Link with {partner}"),
            body: "Trade with our neighbours.".into(),
            method: "majority".into(),
            action: "link".into(),
            link_circle: partner.into(),
            link_rate_here: here.into(),
            link_rate_there: there.into(),
            link_out_max: max.into(),
            link_in_max: max.into(),
            link_shares_market: shares_market.then(|| "on".into()),
            ..commons_web::governance::ProposalInput::default()
        };
        let mut everyone = vec![steward];
        everyone.extend(voters.iter().copied());
        commons_web::demo::decide_in_the_past(&self.state, &everyone, &input, 10, None, |_| {
            Some(commons_governance::majority::Position::Yes)
        })
        .await
        .expect("the link passes");
    }

    /// The actor's balance in their circle.
    pub async fn balance(&self, actor: &Actor) -> i64 {
        self.state
            .services
            .store()
            .account(&actor.circle, &actor.membership.account_key)
            .await
            .expect("account")
            .expect("open")
            .balance_minor
    }

    /// Opens the circle to people asking to join (a public page with "Ask to join").
    pub async fn open_to_requests(&self) {
        let services = &self.state.services;
        let settings = services
            .settings(&self.steward.circle)
            .await
            .expect("settings");
        services
            .save_settings(
                &self.steward,
                &settings.description,
                &settings.agreements,
                true,
                true,
            )
            .await
            .expect("saved");
    }

    /// Someone who asked to join (nobody vouched: the sandbox) and whom the steward admitted,
    /// acting.
    pub async fn newcomer(&self, username: &str) -> Actor {
        let services = &self.state.services;
        self.open_to_requests().await;
        let version = self.agreements_version().await;
        let (person, sealing, _) = services
            .ask_to_join(SLUG, Some(&sign_up(username)), None, "Hello", version)
            .await
            .expect("asks");
        services
            .admit(&self.steward, person.id)
            .await
            .expect("admitted");
        self.act_as(&person, sealing).await.expect("active")
    }

    /// `member` is appointed to moderate by a proposal of the steward's that passed: decided
    /// in the past (no clock moves, so everyone's session stays open), the steward and `voters`
    /// voting yes, enacted into the ledger as any decision is.
    pub async fn appoint_moderator(&self, member: &Actor, voters: &[&Actor]) {
        self.decide(
            "appoint-moderator",
            member,
            voters,
            &format!("{} helps moderate", member.user.username),
        )
        .await;
        let services = &self.state.services;
        assert!(
            services.is_moderator(member).await.expect("role"),
            "the proposal passed and appointed {}",
            member.user.username
        );
    }

    /// A proposal of the steward's with this action about `member` (a form's action kind),
    /// passed by the steward and `voters` and enacted.
    pub async fn decide(&self, action: &str, member: &Actor, voters: &[&Actor], title: &str) {
        let input = commons_web::governance::ProposalInput {
            title: title.into(),
            body: "Decided by the circle.".into(),
            method: "majority".into(),
            action: action.into(),
            action_member: member.user.username.clone(),
            delegation: None,
            ..commons_web::governance::ProposalInput::default()
        };
        let mut everyone = vec![&self.steward];
        everyone.extend(voters.iter().copied());
        commons_web::demo::decide_in_the_past(&self.state, &everyone, &input, 10, None, |_| {
            Some(commons_governance::majority::Position::Yes)
        })
        .await
        .expect("decided");
    }

    /// `reporter` reports an item (or a member, by username) naming these agreements, with a
    /// note: answers the case the report joined.
    pub async fn report(
        &self,
        reporter: &Actor,
        kind: commons_governance::moderation::TargetKind,
        id: &str,
        agreements: Vec<u16>,
        note: &str,
    ) -> i64 {
        let services = &self.state.services;
        let target = services
            .report_target(reporter, kind, id)
            .await
            .expect("a target the reporter may report");
        let command = commons_web::moderation::service::ReportCommand {
            agreements,
            note: note.into(),
        };
        services
            .report(reporter, &target, &command)
            .await
            .expect("reported")
    }

    /// A live skill listing, offered or needed, as the listing form sends it.
    pub async fn try_post(
        &self,
        actor: &Actor,
        side: &str,
        title: &str,
        description: &str,
    ) -> Result<i64, commons_web::services::ActionError> {
        let services = &self.state.services;
        let input = commons_web::market::ListingInput {
            side: side.into(),
            kind: "skill".into(),
            title: title.into(),
            description: description.into(),
            category: "repairs/bikes".into(),
            tags: "bikes repair".into(),
            value_kind: "per_hour".into(),
            amount: "1".into(),
            ..commons_web::market::ListingInput::default()
        };
        let draft = services
            .parse_listing(actor, &input, commons_market::text::Language::English)
            .await
            .expect("parses")
            .expect("valid");
        Ok(services.create_listing(actor, &draft).await?.id)
    }

    /// A consent proposal with no action, written by `actor` and opened for discussion.
    pub async fn proposal_in_discussion(
        &self,
        actor: &Actor,
        title: &str,
        body: &str,
    ) -> commons_governance::store::Proposal {
        let services = &self.state.services;
        let input = commons_web::governance::ProposalInput {
            title: title.into(),
            body: body.into(),
            method: "consent".into(),
            action: "none".into(),
            delegation: None,
            ..commons_web::governance::ProposalInput::default()
        };
        let proposal = services
            .create_proposal(actor, &input)
            .await
            .expect("proposed");
        services
            .proposal_step(
                actor,
                proposal.number,
                commons_governance::policy::Step::StartDiscussion,
            )
            .await
            .expect("discussion");
        proposal
    }

    /// The listing ids a member finds when browsing the market.
    pub async fn market_ids(&self, actor: &Actor) -> Vec<i64> {
        let search = commons_market::index::Search {
            limit: 50,
            ..commons_market::index::Search::default()
        };
        let (_, cards) = self
            .state
            .services
            .search_listings(actor, &search)
            .await
            .expect("search");
        cards.into_iter().map(|card| card.listing.id).collect()
    }
}
