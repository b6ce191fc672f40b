//! The sender: drains the outbox through the operator's SMTP server, a mail at a time. Each
//! mail is claimed before it is sent and marked sent as soon as the server takes it; one the
//! server refuses for now is tried again with backoff, one it refuses for good is given up.
//! A stop waits for the mail being sent, so a restart loses and repeats nothing; after a hard
//! crash between the server's "OK" and the mark, the one mail may go again with the same
//! Message-ID, which mail programs drop as a copy.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::message::Mailbox;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::watch;

use crate::db::email::{OutboxRow, OUTBOX_BATCH_MAX};
use crate::email::rules::{retry_delay_ms, SEND_ATTEMPTS_MAX};
use crate::email::service::MailSettings;
use crate::services::{ActionError, Services};

/// How long one SMTP exchange may take.
pub const SMTP_TIMEOUT_MS: u64 = 30_000;

/// The operator's mail server, as `commons serve --smtp` names it. Its URL may hold a
/// password, so it is never printed.
#[derive(Clone)]
pub struct SmtpUrl(pub String);

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpUrl(…)")
    }
}

/// How the node sends mail.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port`, `smtp://user:password@host:587?tls=required`, `smtps://host`.
    pub smtp_url: SmtpUrl,
    /// The sender, `Commons <commons@example.org>`.
    pub from: String,
    /// How often the outbox is drained and new notifications are looked at.
    pub tick_ms: u64,
    /// How often digests due are planned.
    pub digest_tick_ms: u64,
    /// The local hour digests go out at.
    pub digest_hour: i8,
}

impl MailConfig {
    /// A configuration with the usual rhythm: the outbox every 10 s, digests every minute,
    /// at 7 in the morning.
    pub fn new(smtp_url: &str, from: &str) -> MailConfig {
        MailConfig {
            smtp_url: SmtpUrl(smtp_url.to_owned()),
            from: from.to_owned(),
            tick_ms: 10_000,
            digest_tick_ms: 60_000,
            digest_hour: crate::email::rules::DIGEST_HOUR_DEFAULT,
        }
    }
}

/// The node's mail: what it writes with and the server it sends through.
#[derive(Clone)]
pub struct Mail {
    pub settings: MailSettings,
    pub config: MailConfig,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("settings", &self.settings)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Why mail cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error("the SMTP address is not one the node can use (smtp://host:port, smtps://host, with ?tls=required for STARTTLS)")]
    SmtpUrl,
    #[error("the sender address {0:?} is not an e-mail address")]
    From(String),
}

impl Mail {
    pub fn new(
        config: MailConfig,
        public_url: &str,
        secret: Vec<u8>,
    ) -> Result<Mail, MailSetupError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|_| MailSetupError::From(config.from.clone()))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url.0)
            .map_err(|_| MailSetupError::SmtpUrl)?
            .timeout(Some(Duration::from_millis(SMTP_TIMEOUT_MS)))
            .build();
        Ok(Mail {
            settings: MailSettings::new(from, public_url, secret, config.digest_hour),
            config,
            transport,
        })
    }

    /// Sends the mails due now, one at a time, until none is left or `stop` is raised.
    /// Answers how many went.
    pub async fn send_due(
        &self,
        services: &Services,
        stop: &watch::Receiver<bool>,
    ) -> Result<usize, ActionError> {
        let mut sent = 0;
        let due = services
            .db
            .due_mails(services.now_ms(), OUTBOX_BATCH_MAX)
            .await?;
        for row in due {
            if *stop.borrow() {
                break;
            }
            if !services.db.claim_mail(row.id, services.now_ms()).await? {
                continue;
            }
            sent += usize::from(self.send_one(services, &row).await?);
        }
        Ok(sent)
    }

    /// Sends one claimed mail and records what happened.
    async fn send_one(&self, services: &Services, row: &OutboxRow) -> Result<bool, ActionError> {
        let envelope = match envelope(&self.settings.from, &row.to_address) {
            Some(envelope) => envelope,
            None => {
                let now = services.now_ms();
                services
                    .db
                    .mail_not_sent(row.id, None, "the address cannot receive mail", now)
                    .await?;
                return Ok(false);
            }
        };
        let result = self
            .transport
            .send_raw(&envelope, row.message.as_bytes())
            .await;
        let now = services.now_ms();
        match result {
            Ok(_) => {
                services.db.mail_sent(row.id, now).await?;
                Ok(true)
            }
            Err(error) => {
                let attempts = row.attempts + 1;
                let next = (!error.is_permanent() && attempts < SEND_ATTEMPTS_MAX)
                    .then(|| now + retry_delay_ms(row.attempts));
                tracing::warn!(%error, mail = row.id, attempts, "the mail server did not take a mail");
                services
                    .db
                    .mail_not_sent(row.id, next, &error.to_string(), now)
                    .await?;
                Ok(false)
            }
        }
    }
}

fn envelope(from: &Mailbox, to: &str) -> Option<Envelope> {
    let to: Address = to.parse().ok()?;
    Envelope::new(Some(from.email.clone()), vec![to]).ok()
}
