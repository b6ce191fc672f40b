//! Every background job of the web space, started with the server and stopped with it: loading
//! the market indexes at start, every 5 minutes purging expired sessions, reminding voters and
//! the authors of expiring listings, bringing memberships up to date with the ledger and
//! shrinking the password limiters, every 30 seconds closing the votes whose time is over and
//! taking payments to linked circles still on their way a step further (at start too), and,
//! when the node sends mail, the mailer (notifications wanted at once, morning digests, the
//! outbox). No page view does any of this (a GET writes nothing).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::AppState;

/// The running jobs.
#[derive(Debug)]
pub struct Jobs {
    purger: JoinHandle<()>,
    closer: JoinHandle<()>,
    crossings: JoinHandle<()>,
    mailer: Option<(watch::Sender<bool>, JoinHandle<()>)>,
}

impl Jobs {
    /// Stops every job (at the server's shutdown). The mailer finishes the mail it is sending
    /// first, so no mail is sent twice or lost across a restart.
    pub async fn stop(self) {
        self.purger.abort();
        self.closer.abort();
        self.crossings.abort();
        if let Some((stop, mailer)) = self.mailer {
            let _ = stop.send(true);
            let _ = mailer.await;
        }
    }
}

/// Starts every job.
pub fn start(state: &Arc<AppState>) -> Jobs {
    warm_market_indexes(state.clone());
    seed_discussions(state.clone());
    Jobs {
        purger: tokio::spawn(every_five_minutes(state.clone())),
        closer: tokio::spawn(close_due_votes(state.clone())),
        crossings: tokio::spawn(finish_payments_across(state.clone())),
        mailer: state.mail.is_some().then(|| {
            let (stop, stopped) = watch::channel(false);
            (stop, tokio::spawn(mailer(state.clone(), stopped)))
        }),
    }
}

/// The mailer: every tick, the notifications wanted at once become mails and the outbox is
/// drained; every digest tick, the digests due are planned. Stops between two mails.
async fn mailer(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let Some(mail) = state.mail.clone() else {
        return;
    };
    let mut tick = tokio::time::interval(Duration::from_millis(mail.config.tick_ms.max(10)));
    let digest_every = Duration::from_millis(mail.config.digest_tick_ms.max(10));
    let mut digests_planned_at: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        if let Err(error) = state
            .services
            .mail_notifications(&mail.settings, &state.catalogues)
            .await
        {
            tracing::warn!(%error, "mailing notifications failed");
        }
        if digests_planned_at.is_none_or(|at| at.elapsed() >= digest_every) {
            digests_planned_at = Some(tokio::time::Instant::now());
            match state
                .services
                .plan_digests(&mail.settings, &state.catalogues)
                .await
            {
                Ok(0) => {}
                Ok(planned) => tracing::info!(planned, "digests planned"),
                Err(error) => tracing::warn!(%error, "planning digests failed"),
            }
        }
        match mail.send_due(&state.services, &stop).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "mails sent"),
            Err(error) => tracing::warn!(%error, "sending mail failed"),
        }
    }
}

/// Every 30 seconds, and once at start: payments to linked circles left on their way (by a
/// restart, or a circle that could not answer) go a step further; each ends on both sides or
/// on neither.
async fn finish_payments_across(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    loop {
        tick.tick().await;
        match state.services.finish_payments_across().await {
            Ok(0) => {}
            Ok(finished) => tracing::info!(finished, "payments across finished"),
            Err(error) => tracing::warn!(%error, "finishing payments across failed"),
        }
    }
}

/// Gives circles from before discussions their categories and "Introductions" thread.
fn seed_discussions(state: Arc<AppState>) {
    tokio::spawn(async move {
        if let Err(error) = state.services.seed_missing_discussions().await {
            tracing::warn!(%error, "seeding the discussions of older circles failed");
        }
    });
}

/// Loads each circle's market index now, so the first search after a start is not slow.
fn warm_market_indexes(state: Arc<AppState>) {
    tokio::spawn(async move {
        match state.services.store.circles().await {
            Ok(circles) => {
                for circle in circles {
                    if let Err(error) = state
                        .services
                        .market
                        .with_index(circle.row_id, |_| ())
                        .await
                    {
                        tracing::warn!(%error, circle = %circle.slug, "loading the market index failed");
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "listing circles to load their market indexes failed")
            }
        }
    });
}

/// Every 5 minutes: expired sessions and security activity older than 90 days go, accounts
/// whose erasure's grace period ended are erased, voters and authors of expiring listings are
/// reminded, memberships follow the ledger, and the password limiters forget old attempts.
async fn every_five_minutes(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        if let Err(error) = state.services.purge_sessions().await {
            tracing::warn!(%error, "purging expired sessions failed");
        }
        if let Err(error) = state.services.purge_security_activity().await {
            tracing::warn!(%error, "forgetting old security activity failed");
        }
        match state.services.erase_due().await {
            Ok(0) => {}
            Ok(erased) => {
                tracing::info!(erased, "accounts erased at the end of their grace period")
            }
            Err(error) => tracing::warn!(%error, "erasing accounts failed"),
        }
        match state.services.remind_voters().await {
            Ok(0) => {}
            Ok(reminded) => tracing::info!(reminded, "reminded members who have not voted"),
            Err(error) => tracing::warn!(%error, "reminding voters failed"),
        }
        match state.services.remind_expiring().await {
            Ok(0) => {}
            Ok(reminded) => tracing::info!(reminded, "reminded authors of expiring listings"),
            Err(error) => {
                tracing::warn!(%error, "reminding authors of expiring listings failed")
            }
        }
        match state.services.lift_recoveries().await {
            Ok(0) => {}
            Ok(lifted) => tracing::info!(lifted, "recovered logins whose take-back period ended"),
            Err(error) => tracing::warn!(%error, "lifting recovered logins failed"),
        }
        match state.services.reconcile_memberships().await {
            Ok(0) => {}
            Ok(changed) => {
                tracing::info!(changed, "memberships brought up to date with the ledger")
            }
            Err(error) => tracing::warn!(%error, "bringing memberships up to date failed"),
        }
        if let Err(error) = state.services.purge_old_mail().await {
            tracing::warn!(%error, "forgetting old mail failed");
        }
        state.services.password_limits.shrink();
        state.signup_limits.shrink();
        state.write_limits.shrink();
    }
}

/// Votes close on time: every half minute, rounds whose time is over are counted, recorded and
/// (when they pass) enacted, and appeals the circles decided by vote are settled in the
/// moderation log.
async fn close_due_votes(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    loop {
        tick.tick().await;
        match state.services.close_due_votes().await {
            Ok(0) => {}
            Ok(closed) => tracing::info!(closed, "closed votes whose time was over"),
            Err(error) => tracing::warn!(%error, "closing votes failed"),
        }
        match state.services.settle_appeals_by_vote().await {
            Ok(0) => {}
            Ok(settled) => tracing::info!(settled, "appeals settled by the circles' votes"),
            Err(error) => tracing::warn!(%error, "settling appeals by vote failed"),
        }
    }
}
