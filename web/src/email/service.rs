//! E-mail for people: their address and its verification, how each kind of notification
//! reaches them, one-click unsubscribing, and the mailer's two duties: a notification wanted
//! at once becomes a mail, and each morning each circle's digest is planned (see
//! [`super::digest`]). Mails are composed here and queued in the outbox in the same
//! transaction that records them as done, so none is queued twice or lost.

#![allow(clippy::result_large_err)]

use crate::capability::FullAccount;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use lettre::message::Mailbox;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::db::email::{EmailRow, NewMail};
use crate::db::User;
use crate::email::compose::{compose, host_of, Letter};
use crate::email::rules::{Delivery, EmailAddress, Unsubscribe};
use crate::i18n::{Catalogues, Tr};
use crate::notifications::{CardLookups, NotificationKind};
use crate::services::{token_hash, ActionError, Services};
use crate::views::local::{self, Local};

/// How long a verification link works.
pub const VERIFY_TTL_MS: i64 = 48 * 3600 * 1000;
/// Most verification mails one person may ask for in a day.
pub const VERIFY_PER_PERSON_PER_DAY_MAX: i64 = 5;
/// Most verification mails one address receives in a day, whoever asks.
pub const VERIFY_PER_ADDRESS_PER_DAY_MAX: i64 = 3;
/// Most notifications mailed at once to one person in an hour; past it they wait for the
/// notifications page (a flood of replies must not become a flood of mail).
pub const IMMEDIATE_PER_HOUR_MAX: i64 = 30;
/// A notification older than this when the mailer first sees it (the node sent no mail
/// before) is not mailed at once.
pub const IMMEDIATE_AGE_MS_MAX: i64 = 3600 * 1000;
/// Most notifications one pass of the mailer looks at.
pub const UNMAILED_BATCH_MAX: i64 = 200;

const DAY_MS: i64 = 24 * 3600 * 1000;
/// How long sent mails and planned digests are remembered (the limits count them).
pub const MAIL_KEPT_MS: i64 = 30 * DAY_MS;

/// What the node needs to write mail: who it is from, where its pages are, and the secret
/// its unsubscribe links are signed with.
#[derive(Clone)]
pub struct MailSettings {
    pub from: Mailbox,
    pub public_url: String,
    pub host: String,
    pub secret: Vec<u8>,
    /// The local hour digests go out at.
    pub digest_hour: i8,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("from", &self.from.to_string())
            .field("public_url", &self.public_url)
            .field("digest_hour", &self.digest_hour)
            .finish_non_exhaustive()
    }
}

impl MailSettings {
    pub fn new(from: Mailbox, public_url: &str, secret: Vec<u8>, digest_hour: i8) -> Self {
        MailSettings {
            from,
            host: host_of(public_url),
            public_url: public_url.trim_end_matches('/').to_owned(),
            secret,
            digest_hour,
        }
    }

    /// The signed one-click unsubscribe address of a scope, for one person.
    pub fn unsubscribe_url(&self, user_id: i64, scope: Unsubscribe) -> String {
        format!(
            "{}/email/unsubscribe/{user_id}/{}/{}",
            self.public_url,
            scope.as_str(),
            unsubscribe_mac(&self.secret, user_id, scope)
        )
    }

    /// The full address of a path on the node.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// Composes a letter into a mail for the outbox.
    pub fn mail(
        &self,
        user_id: i64,
        purpose: &'static str,
        letter: &Letter,
    ) -> Result<NewMail, ActionError> {
        let message = compose(letter, &self.from, &self.host).map_err(|error| {
            tracing::warn!(%error, "a mail could not be composed");
            ActionError::Invalid {
                field: "email",
                message_id: "error-email-invalid",
            }
        })?;
        Ok(NewMail {
            user_id,
            purpose,
            to_address: letter.to.clone(),
            message,
        })
    }
}

/// The signature of an unsubscribe link (128 bits, hex).
pub fn unsubscribe_mac(secret: &[u8], user_id: i64, scope: Unsubscribe) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(b"commons.email.unsubscribe\0");
    mac.update(&user_id.to_be_bytes());
    mac.update(scope.as_str().as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

/// An unsubscribe link as it came back: whose, what it stops, and its signature.
#[derive(Debug, Clone)]
pub struct UnsubscribeLink {
    pub user_id: i64,
    pub scope: Unsubscribe,
    pub mac: String,
}

impl UnsubscribeLink {
    /// Parses the path's parts; `None` for anything that is not a link the node could send.
    pub fn parse(user_id: &str, scope: &str, mac: &str) -> Option<UnsubscribeLink> {
        if user_id.len() > 20 || mac.len() != 32 {
            return None;
        }
        Some(UnsubscribeLink {
            user_id: user_id.parse().ok().filter(|id: &i64| *id > 0)?,
            scope: Unsubscribe::parse(scope)?,
            mac: mac.to_owned(),
        })
    }

    /// Whether the node signed it.
    pub fn is_genuine(&self, secret: &[u8]) -> bool {
        let expected = unsubscribe_mac(secret, self.user_id, self.scope);
        expected.len() == self.mac.len()
            && bool::from(expected.as_bytes().ct_eq(self.mac.as_bytes()))
    }
}

/// A person's e-mail settings as their page shows them.
#[derive(Debug, Clone, Default)]
pub struct EmailSettings {
    pub address: Option<EmailRow>,
    pub deliveries: Vec<(NotificationKind, Delivery)>,
}

/// Every kind with its delivery: what the person chose, else the default.
pub fn resolve_deliveries(stored: &[(String, String)]) -> Vec<(NotificationKind, Delivery)> {
    NotificationKind::ALL
        .into_iter()
        .map(|kind| {
            let chosen = stored
                .iter()
                .find(|(k, _)| k == kind.as_str())
                .and_then(|(_, d)| Delivery::parse(d))
                .filter(|_| Delivery::may_choose(kind));
            (kind, chosen.unwrap_or_else(|| Delivery::default_for(kind)))
        })
        .collect()
}

/// The delivery of one kind in a resolved list.
pub fn delivery_of(
    deliveries: &[(NotificationKind, Delivery)],
    kind: NotificationKind,
) -> Delivery {
    deliveries
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or_else(|| Delivery::default_for(kind), |(_, d)| *d)
}

/// The reader's language and, for a circle, its time zone, for writing a mail.
pub(crate) fn local_for(
    catalogues: &Arc<Catalogues>,
    user: &User,
    zone: jiff::tz::TimeZone,
) -> (Tr, Local) {
    let language = catalogues.negotiate(user.language.as_deref(), None);
    (
        catalogues.translator(&language),
        Local {
            language,
            zone,
            now_ms: None,
        },
    )
}

impl Services {
    /// The person's address and deliveries.
    pub(crate) async fn email_settings(&self, person: &User) -> Result<EmailSettings, ActionError> {
        Ok(EmailSettings {
            address: self.db.email_address(person.id).await?,
            deliveries: resolve_deliveries(&self.db.email_deliveries(person.id).await?),
        })
    }

    /// Sets the person's address (unverified) and queues the mail that verifies it. A login
    /// the stewards recovered may not change where the account's mail goes.
    pub(crate) async fn set_email(
        &self,
        person: &FullAccount,
        address: &EmailAddress,
        mail: &MailSettings,
        catalogues: &Arc<Catalogues>,
    ) -> Result<(), ActionError> {
        let now = self.now_ms();
        let (by_person, by_address) = self
            .db
            .mails_since(person.id, address.as_str(), "verify", now - DAY_MS)
            .await?;
        if by_person >= VERIFY_PER_PERSON_PER_DAY_MAX
            || by_address >= VERIFY_PER_ADDRESS_PER_DAY_MAX
        {
            return Err(ActionError::Invalid {
                field: "email",
                message_id: "error-email-too-many",
            });
        }
        let token = crate::custody::random_secret();
        let url = mail.url(&format!(
            "/email/verify/{}",
            crate::http::session::encode_token(&token)
        ));
        let (tr, local) = local_for(catalogues, person, jiff::tz::TimeZone::UTC);
        let letter = local::scope(local, async {
            crate::email::views::verify_letter(&tr, address.as_str(), &person.display_name, &url)
        })
        .await;
        let outgoing = mail.mail(person.id, "verify", &letter)?;
        self.db
            .set_email_address(
                person.id,
                &token_hash(&token),
                now + VERIFY_TTL_MS,
                &outgoing,
                now,
            )
            .await?;
        Ok(())
    }

    /// Verifies the address a link was sent to; `NotFound` for a link used, expired or made up.
    pub(crate) async fn verify_email(&self, token: &str) -> Result<(), ActionError> {
        let token = crate::http::session::decode_token(token).ok_or(ActionError::NotFound)?;
        self.db
            .verify_email(&token_hash(&token), self.now_ms())
            .await?
            .map(|_| ())
            .ok_or(ActionError::NotFound)
    }

    /// Forgets the person's address (and mails to it not sent yet).
    pub(crate) async fn remove_email(&self, person: &FullAccount) -> Result<(), ActionError> {
        self.db.remove_email_address(person.id).await?;
        Ok(())
    }

    /// Sets how each kind reaches the person.
    pub(crate) async fn set_email_deliveries(
        &self,
        person: &FullAccount,
        deliveries: &[(NotificationKind, Delivery)],
    ) -> Result<(), ActionError> {
        let rows: Vec<(&str, &str)> = deliveries
            .iter()
            .filter(|(kind, _)| Delivery::may_choose(*kind))
            .map(|(kind, delivery)| (kind.as_str(), delivery.as_str()))
            .collect();
        self.db.set_email_deliveries(person.id, &rows).await?;
        Ok(())
    }

    /// Stops what an unsubscribe link names, for whoever it was sent to; `NotFound` for a link
    /// the node did not sign.
    pub(crate) async fn unsubscribe(
        &self,
        link: &UnsubscribeLink,
        mail: &MailSettings,
    ) -> Result<(), ActionError> {
        if !link.is_genuine(&mail.secret) {
            return Err(ActionError::NotFound);
        }
        let mut deliveries = resolve_deliveries(&self.db.email_deliveries(link.user_id).await?);
        link.scope.apply(&mut deliveries);
        let rows: Vec<(&str, &str)> = deliveries
            .iter()
            .filter(|(kind, _)| Delivery::may_choose(*kind))
            .map(|(kind, delivery)| (kind.as_str(), delivery.as_str()))
            .collect();
        self.db.set_email_deliveries(link.user_id, &rows).await?;
        Ok(())
    }

    /// Forgets mails sent or given up, and digests planned, more than a month ago.
    pub async fn purge_old_mail(&self) -> Result<u64, ActionError> {
        Ok(self.db.purge_mail(self.now_ms() - MAIL_KEPT_MS).await?)
    }

    /// How many mails wait, went and were given up (for the operator and the tests).
    pub async fn outbox_counts(&self) -> Result<crate::db::email::OutboxCounts, ActionError> {
        Ok(self.db.outbox_counts().await?)
    }

    /// Mails the notifications people want at once; every other new notification is marked
    /// as dealt with (the digest reads them by time). Answers how many mails were queued.
    pub async fn mail_notifications(
        &self,
        mail: &MailSettings,
        catalogues: &Arc<Catalogues>,
    ) -> Result<usize, ActionError> {
        let rows = self.db.unmailed_notifications(UNMAILED_BATCH_MAX).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let now = self.now_ms();
        let mut lookups = CardLookups::over(self.circles_by_row().await?);
        let mut queued = 0;
        for row in rows {
            let outgoing = match self
                .immediate_mail(row, now, mail, catalogues, &mut lookups)
                .await
            {
                Ok(outgoing) => outgoing,
                Err(error) => {
                    tracing::warn!(%error, notification = row.id, "a notification could not be mailed");
                    None
                }
            };
            self.db.mark_mailed(row.id, outgoing.as_ref(), now).await?;
            queued += usize::from(outgoing.is_some());
        }
        Ok(queued)
    }

    /// The mail of one notification, if its person wants it at once and may still see it.
    async fn immediate_mail(
        &self,
        row: crate::db::email::UnmailedRow,
        now: i64,
        mail: &MailSettings,
        catalogues: &Arc<Catalogues>,
        lookups: &mut CardLookups,
    ) -> Result<Option<NewMail>, ActionError> {
        if row.read || row.created_at_ms < now - IMMEDIATE_AGE_MS_MAX {
            return Ok(None);
        }
        let Some(address) = self.db.email_address(row.user_id).await? else {
            return Ok(None);
        };
        if address
            .verified_at_ms
            .is_none_or(|at| at > row.created_at_ms)
        {
            return Ok(None);
        }
        let Some((_, note)) = self.db.notification(row.id).await? else {
            return Ok(None);
        };
        let deliveries = resolve_deliveries(&self.db.email_deliveries(row.user_id).await?);
        if delivery_of(&deliveries, note.kind) != Delivery::Immediate {
            return Ok(None);
        }
        let (sent, _) = self
            .db
            .mails_since(
                row.user_id,
                &address.address,
                "notification",
                now - 3600 * 1000,
            )
            .await?;
        if sent >= IMMEDIATE_PER_HOUR_MAX {
            return Ok(None);
        }
        let Some(user) = self.db.user(row.user_id).await? else {
            return Ok(None);
        };
        let kind = note.kind;
        let Some(card) = self
            .notification_card(&user, note, crate::reach::Channel::EmailNow, lookups)
            .await?
        else {
            return Ok(None);
        };
        let zone = match lookups.circle(card.notification.circle).cloned() {
            Some(info) => self.circle_zone(&info).await?,
            None => jiff::tz::TimeZone::UTC,
        };
        let (tr, local) = local_for(catalogues, &user, zone);
        let unsubscribe = Delivery::may_choose(kind)
            .then(|| mail.unsubscribe_url(user.id, Unsubscribe::Kind(kind)));
        let letter = local::scope(local, async {
            crate::email::views::notification_letter(
                &tr,
                mail,
                &address.address,
                &card,
                unsubscribe,
            )
        })
        .await;
        Ok(Some(mail.mail(user.id, "notification", &letter)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::rules::Period;

    #[test]
    fn an_unsubscribe_link_works_only_as_the_node_signed_it() {
        let secret = b"a node secret of thirty-two bytes".to_vec();
        let scope = Unsubscribe::Digest(Period::Daily);
        let mac = unsubscribe_mac(&secret, 7, scope);
        let link = UnsubscribeLink::parse("7", "digest-daily", &mac).expect("parses");
        assert!(link.is_genuine(&secret));
        // Another person's id, another scope, or another node's secret: refused.
        let other = UnsubscribeLink::parse("8", "digest-daily", &mac).expect("parses");
        assert!(!other.is_genuine(&secret));
        let weekly = UnsubscribeLink::parse("7", "digest-weekly", &mac).expect("parses");
        assert!(!weekly.is_genuine(&secret));
        assert!(!link.is_genuine(b"another secret"));
        assert!(UnsubscribeLink::parse("7", "digest-daily", "short").is_none());
        assert!(UnsubscribeLink::parse("-7", "digest-daily", &mac).is_none());
        assert!(UnsubscribeLink::parse("7", "everything", &mac).is_none());
    }

    #[test]
    fn choices_override_defaults_and_unknown_rows_are_ignored() {
        let stored = vec![
            ("news".to_owned(), "weekly".to_owned()),
            ("reply".to_owned(), "sometimes".to_owned()),
            ("account_recovered".to_owned(), "app".to_owned()),
            ("nothing".to_owned(), "daily".to_owned()),
        ];
        let resolved = resolve_deliveries(&stored);
        assert_eq!(resolved.len(), NotificationKind::ALL.len());
        assert_eq!(
            delivery_of(&resolved, NotificationKind::News),
            Delivery::Weekly
        );
        assert_eq!(
            delivery_of(&resolved, NotificationKind::Reply),
            Delivery::default_for(NotificationKind::Reply)
        );
        assert_eq!(
            delivery_of(&resolved, NotificationKind::AccountRecovered),
            Delivery::Immediate
        );
    }
}
