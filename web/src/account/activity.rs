//! A person's security activity: each login (marked when it comes from a new place), failed
//! password, password and key change, token and recovery is recorded for them alone, with the
//! place kept coarse, and forgotten after [`SECURITY_EVENTS_KEPT_DAYS`] days.

#![allow(clippy::result_large_err)]

use crate::capability::FullAccount;
use std::net::IpAddr;

use crate::db::SecurityEventRow;
use crate::services::*;

/// How long a person's security activity is kept.
pub const SECURITY_EVENTS_KEPT_DAYS: i64 = 90;

/// What happened to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityEvent {
    Login,
    LoginFailed,
    TookBack,
    PasswordChanged,
    TokenCreated,
    TokenRevoked,
    OwnKey,
    Recovered,
    RecoveryFinished,
}

impl SecurityEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityEvent::Login => "login",
            SecurityEvent::LoginFailed => "login_failed",
            SecurityEvent::TookBack => "took_back",
            SecurityEvent::PasswordChanged => "password_changed",
            SecurityEvent::TokenCreated => "token_created",
            SecurityEvent::TokenRevoked => "token_revoked",
            SecurityEvent::OwnKey => "own_key",
            SecurityEvent::Recovered => "recovered",
            SecurityEvent::RecoveryFinished => "recovery_finished",
        }
    }
}

/// The network an address belongs to, coarse enough to say nothing of the person: an IPv4
/// address's /24, an IPv6 address's /48.
pub fn coarse_place(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => coarse_place(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        },
    }
}

/// One event as the settings page shows it: the catalogue id of what happened, its argument
/// (a circle's name), where from, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityLine {
    pub message_id: &'static str,
    pub detail: String,
    pub place: Option<String>,
    pub at_ms: i64,
}

impl ActivityLine {
    fn of(row: SecurityEventRow) -> ActivityLine {
        let message_id = match (row.kind.as_str(), row.detail.as_str()) {
            ("login", "new_place") => "security-login-new-place",
            ("login", _) => "security-login",
            ("login_failed", _) => "security-login-failed",
            ("took_back", _) => "security-took-back",
            ("password_changed", _) => "security-password-changed",
            ("token_created", _) => "security-token-created",
            ("token_revoked", _) => "security-token-revoked",
            ("own_key", _) => "security-own-key",
            ("recovered", _) => "security-recovered",
            _ => "security-recovery-finished",
        };
        ActivityLine {
            message_id,
            detail: row.detail,
            place: row.place,
            at_ms: row.created_at_ms,
        }
    }
}

impl Services {
    /// Records what happened to a person's account. A failure to record is logged, never a
    /// reason to refuse what the person did.
    pub(crate) async fn record(
        &self,
        user_id: i64,
        event: SecurityEvent,
        from: Option<IpAddr>,
        detail: &str,
    ) {
        let place = from.map(coarse_place);
        let recorded = self
            .db
            .record_security_event(
                user_id,
                event.as_str(),
                place.as_deref(),
                detail,
                self.now_ms(),
            )
            .await;
        if let Err(error) = recorded {
            tracing::warn!(%error, "recording a security event failed");
        }
    }

    /// Records a login, marked when no login came from its place in the kept days.
    pub(crate) async fn record_login(&self, user_id: i64, from: Option<IpAddr>) {
        let since = self.now_ms() - SECURITY_EVENTS_KEPT_DAYS * DAY_MS;
        let new_place = match from.map(coarse_place) {
            Some(place) => !self
                .db
                .logged_in_from(user_id, &place, since)
                .await
                .unwrap_or(true),
            None => false,
        };
        let detail = if new_place { "new_place" } else { "" };
        self.record(user_id, SecurityEvent::Login, from, detail)
            .await;
    }

    /// The person's latest security activity, newest first.
    pub async fn security_activity(
        &self,
        user: &FullAccount,
    ) -> Result<Vec<ActivityLine>, ActionError> {
        Ok(self
            .db
            .security_events_of(user.id)
            .await?
            .into_iter()
            .map(ActivityLine::of)
            .collect())
    }

    /// Forgets security activity older than the kept days (the node's job).
    pub async fn purge_security_activity(&self) -> Result<u64, ActionError> {
        let before = self.now_ms() - SECURITY_EVENTS_KEPT_DAYS * DAY_MS;
        Ok(self.db.purge_security_events(before).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_kept_as_the_network_never_the_address() {
        assert_eq!(
            coarse_place("203.0.113.77".parse().expect("an address")),
            "203.0.113.0/24"
        );
        assert_eq!(
            coarse_place("2001:db8:abcd:12::1".parse().expect("an address")),
            "2001:db8:abcd::/48"
        );
        assert_eq!(
            coarse_place("::ffff:198.51.100.9".parse().expect("an address")),
            "198.51.100.0/24"
        );
    }
}
