//! A newcomer's first days: the welcome (the circle's agreements in short, mutual credit with
//! their own numbers, their first steps and which are done), and recording the one step nothing
//! else records (reading the news).

#![allow(clippy::result_large_err)]

use commons_market::listing::Side;

use crate::moderation::rules::Agreement;
use crate::onboarding::rules::{self, FirstSteps, Step};
use crate::services::{ActionError, Actor, Services};

/// What the welcome page shows.
#[derive(Debug, Clone)]
pub struct Welcome {
    pub agreements: Vec<Agreement>,
    pub steps: FirstSteps,
    /// Where to say hello.
    pub introductions: Option<i64>,
    pub floor_minor: i64,
    pub ceiling_minor: i64,
    pub balance_minor: i64,
}

impl Services {
    /// Which first steps the actor has taken in their circle.
    pub async fn first_steps(&self, actor: &Actor) -> Result<FirstSteps, ActionError> {
        let circle = actor.circle.row_id;
        let me = actor.user.id;
        let profile = self.db.profile_of(me).await?;
        let offer = self
            .market
            .listings_of(circle, me)
            .await?
            .iter()
            .any(|l| l.side == Side::Offer);
        let introduced = match self.db.introductions_thread(circle).await? {
            Some(thread) => self.db.replied_in(thread, me).await?,
            None => false,
        };
        Ok(FirstSteps {
            profile: !profile.skills.is_empty() || profile.photo_alt.is_some(),
            offer,
            introduced,
            news: self.db.first_step_done(circle, me, Step::News).await?,
        })
    }

    /// Whether the home still greets the actor with their first steps, and which are done.
    pub async fn welcome_on_home(&self, actor: &Actor) -> Result<Option<FirstSteps>, ActionError> {
        let joined = actor.membership.created_at_ms;
        let now = self.now_ms();
        if now - joined >= rules::WELCOME_DAYS * 24 * 60 * 60 * 1000 {
            return Ok(None);
        }
        let steps = self.first_steps(actor).await?;
        Ok(rules::show_welcome(joined, now, &steps).then_some(steps))
    }

    /// The welcome page's content.
    pub async fn welcome(&self, actor: &Actor) -> Result<Welcome, ActionError> {
        Ok(Welcome {
            agreements: self.agreements(actor).await?,
            steps: self.first_steps(actor).await?,
            introductions: self.db.introductions_thread(actor.circle.row_id).await?,
            floor_minor: actor.account.floor_minor,
            ceiling_minor: actor.account.ceiling_minor,
            balance_minor: actor.account.balance_minor,
        })
    }

    /// Records a first step that nothing else records (once; later calls change nothing).
    pub(crate) async fn mark_first_step(
        &self,
        actor: &Actor,
        step: Step,
    ) -> Result<(), ActionError> {
        let (circle, me) = (actor.circle.row_id, actor.user.id);
        if !self.db.first_step_done(circle, me, step).await? {
            self.db
                .mark_first_step(circle, me, step, self.now_ms())
                .await?;
        }
        Ok(())
    }
}
