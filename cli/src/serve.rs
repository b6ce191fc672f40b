//! `commons serve`: opens the store, optionally plants a demo circle, and runs the web space
//! until Ctrl-C or SIGTERM, finishing requests in flight.

use anyhow::{Context, Result};
use commons_ledger::store::Store;
use commons_web::demo::{self, DEMO_MEMBERS, DEMO_PASSWORD, DEMO_SLUG};
use commons_web::email::MailConfig;
use commons_web::{AppState, WebConfig};

use crate::{Outcome, ServeArgs};

/// Prints a line for the person who started the node. A closed stdout (a supervisor that
/// stopped reading) must never stop the server, so write errors are ignored, unlike `println!`.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

pub async fn serve(db: &str, args: ServeArgs) -> Result<Outcome> {
    let store = Store::open(db)
        .await
        .with_context(|| format!("cannot open the database {db}"))?;
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let address = listener.local_addr().context("no local address")?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    let mail = args.smtp.as_deref().map(|smtp| {
        let from = args.mail_from.clone().unwrap_or_else(|| {
            format!(
                "Commons <commons@{}>",
                commons_web::email::compose::host_of(&public_url)
            )
        });
        let mut mail = MailConfig::new(smtp, &from);
        mail.digest_hour = args.digest_hour;
        mail
    });
    let config = WebConfig {
        public_url,
        mail,
        cookies_secure: args.secure_cookies,
        session_idle_ms: i64::from(args.session_idle_hours) * 3600 * 1000,
        login_attempts_per_minute: args.login_attempts_per_minute,
        writes_per_minute: args.writes_per_minute,
        federation_private_addresses: args.federation_private_addresses,
        ..WebConfig::default()
    };
    let state = AppState::new(store, config.clone()).await?;
    if args.demo && !demo::plant(&state).await.context("cannot plant the demo")? {
        say!("The database is not empty: the demo is only planted in an empty one.");
    }
    say!("Commons is serving at {}", config.public_url);
    if config.mail.is_some() {
        say!("Mail goes out through the SMTP server given with --smtp.");
    } else {
        say!("No mail goes out (start with --smtp to send notifications and digests by e-mail).");
    }
    if args.demo {
        say!(
            "Demo circle \"{DEMO_SLUG}\": log in as any of {} with the password {DEMO_PASSWORD} (amara is a steward).",
            DEMO_MEMBERS
                .iter()
                .map(|(name, _, _)| *name)
                .collect::<Vec<_>>()
                .join(", ")
        );
    } else if let Some(path) = state.services.setup_path().await? {
        say!(
            "Set up the node and its first circle at {}{path} (this address works once; keep it to yourself).",
            config.public_url
        );
    }
    commons_web::serve(state, listener, shutdown_signal()).await?;
    Ok(Outcome::Done)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
