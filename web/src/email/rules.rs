//! What e-mail a member gets, decided without IO: how each kind of notification is delivered
//! (here only, at once, or in a daily or weekly digest), when a circle's digest is due (a
//! local morning hour), what a digest may hold (only what happened since the member last came
//! by), and which addresses and unsubscribe scopes parse.

use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::notifications::NotificationKind;

/// Longest e-mail address accepted (RFC 5321's path limit).
pub const EMAIL_ADDRESS_BYTES_MAX: usize = 254;
/// The local hour digests go out at.
pub const DIGEST_HOUR_DEFAULT: i8 = 7;
/// A digest is planned within this many hours of its morning, never later (a node that was
/// down all day skips that day rather than mailing at night).
pub const DIGEST_WINDOW_HOURS: i64 = 12;

/// How a member wants one kind of notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// Only on the notifications page.
    App,
    /// By e-mail as soon as it happens.
    Immediate,
    /// In the morning digest, every day there is something new.
    Daily,
    /// In the Monday morning digest.
    Weekly,
}

impl Delivery {
    pub const ALL: [Delivery; 4] = [
        Delivery::App,
        Delivery::Immediate,
        Delivery::Daily,
        Delivery::Weekly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::App => "app",
            Delivery::Immediate => "immediate",
            Delivery::Daily => "daily",
            Delivery::Weekly => "weekly",
        }
    }

    pub fn parse(text: &str) -> Option<Delivery> {
        Delivery::ALL.into_iter().find(|d| d.as_str() == text)
    }

    /// What a member gets until they choose: what concerns them alone (their deals, their
    /// account, a moderator's action, a vote about to close) at once; the circle's life (news,
    /// matches, replies, decisions) in the daily digest.
    pub fn default_for(kind: NotificationKind) -> Delivery {
        use NotificationKind as K;
        match kind {
            K::DealMessage
            | K::DealUpdate
            | K::DealAcross
            | K::EventPlace
            | K::AccountRecovered
            | K::Moderated
            | K::Repair
            | K::VoteReminder
            | K::ModerationQueue
            | K::JoinRequest
            | K::Conversation
            | K::Mention => Delivery::Immediate,
            K::Match
            | K::Thanks
            | K::Expiring
            | K::VoteOpen
            | K::Decided
            | K::ProposalChanged
            | K::ProposalPaused
            | K::ReportOutcome
            | K::News
            | K::Reply => Delivery::Daily,
        }
    }

    /// Whether the member may choose for this kind (a recovery of their account is always
    /// mailed at once: it is how they learn someone else got in).
    pub fn may_choose(kind: NotificationKind) -> bool {
        kind != NotificationKind::AccountRecovered
    }

    /// The digest this delivery goes into, if any.
    pub fn period(self) -> Option<Period> {
        match self {
            Delivery::Daily => Some(Period::Daily),
            Delivery::Weekly => Some(Period::Weekly),
            Delivery::App | Delivery::Immediate => None,
        }
    }
}

/// How often a digest goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Daily,
    Weekly,
}

impl Period {
    pub const ALL: [Period; 2] = [Period::Daily, Period::Weekly];

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Daily => "daily",
            Period::Weekly => "weekly",
        }
    }

    pub fn parse(text: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn delivery(self) -> Delivery {
        match self {
            Period::Daily => Delivery::Daily,
            Period::Weekly => Delivery::Weekly,
        }
    }

    /// How far ahead a digest looks for events and votes closing.
    pub fn ahead_ms(self) -> i64 {
        match self {
            Period::Daily => 2 * DAY_MS,
            Period::Weekly => 7 * DAY_MS,
        }
    }
}

const DAY_MS: i64 = 24 * 3600 * 1000;

/// The digest due at `now_ms` in a circle of time zone `zone`: the key of the period whose
/// morning (at `hour`, local; Mondays for the weekly one) came less than
/// [`DIGEST_WINDOW_HOURS`] ago, or `None` outside those hours. Each key is planned once per
/// member and circle.
pub fn due_digest(now_ms: i64, zone: &TimeZone, period: Period, hour: i8) -> Option<String> {
    let now = Timestamp::from_millisecond(now_ms).ok()?;
    let local = now.to_zoned(zone.clone());
    let date = local.date();
    let start_date = match period {
        Period::Daily => date,
        Period::Weekly => {
            let back = i64::from(date.weekday().to_monday_zero_offset());
            date.checked_sub(back.days()).ok()?
        }
    };
    let start = start_date
        .at(hour.clamp(0, 23), 0, 0, 0)
        .to_zoned(zone.clone())
        .ok()?
        .timestamp();
    let since_start_ms = now_ms - start.as_millisecond();
    if !(0..DIGEST_WINDOW_HOURS * 3600 * 1000).contains(&since_start_ms) {
        return None;
    }
    debug_assert!(period != Period::Weekly || start_date.weekday() == Weekday::Monday);
    Some(format!("{}-{start_date}", period.as_str()))
}

/// What a digest may report: only what happened after the member last came by, after their
/// previous digest of the same period, and after their address was verified.
pub fn digest_since(
    last_visit_ms: Option<i64>,
    last_digest_ms: Option<i64>,
    verified_at_ms: i64,
) -> i64 {
    [last_visit_ms, last_digest_ms, Some(verified_at_ms)]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(verified_at_ms)
}

/// An e-mail address as a member typed it, checked (`name@domain`, no spaces, at most
/// [`EMAIL_ADDRESS_BYTES_MAX`] bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for EmailAddress {
    type Err = &'static str;
    fn from_str(text: &str) -> Result<EmailAddress, &'static str> {
        let text = text.trim();
        if text.is_empty() {
            return Err("error-email-required");
        }
        if text.len() > EMAIL_ADDRESS_BYTES_MAX
            || text.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err("error-email-invalid");
        }
        let parsed: lettre::Address = text.parse().map_err(|_| "error-email-invalid")?;
        if !parsed.domain().contains('.') && parsed.domain() != "localhost" {
            return Err("error-email-invalid");
        }
        Ok(EmailAddress(parsed.to_string()))
    }
}

/// What one unsubscribe link stops: one kind of notification mailed at once, or a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsubscribe {
    Kind(NotificationKind),
    Digest(Period),
}

impl Unsubscribe {
    pub fn as_str(self) -> String {
        match self {
            Unsubscribe::Kind(kind) => format!("kind-{}", kind.as_str()),
            Unsubscribe::Digest(period) => format!("digest-{}", period.as_str()),
        }
    }

    pub fn parse(text: &str) -> Option<Unsubscribe> {
        if let Some(kind) = text.strip_prefix("kind-") {
            return NotificationKind::parse(kind)
                .filter(|kind| Delivery::may_choose(*kind))
                .map(Unsubscribe::Kind);
        }
        text.strip_prefix("digest-")
            .and_then(Period::parse)
            .map(Unsubscribe::Digest)
    }

    /// The member's deliveries after unsubscribing: the kind, or every kind in the digest,
    /// kept to the notifications page.
    pub fn apply(self, deliveries: &mut [(NotificationKind, Delivery)]) {
        for (kind, delivery) in deliveries.iter_mut() {
            let stops = match self {
                Unsubscribe::Kind(stopped) => *kind == stopped,
                Unsubscribe::Digest(period) => delivery.period() == Some(period),
            };
            if stops && Delivery::may_choose(*kind) {
                *delivery = Delivery::App;
            }
        }
    }
}

/// Backoff before the next attempt at a mail the server did not take: a minute, doubling, at
/// most six hours.
pub fn retry_delay_ms(attempts: i64) -> i64 {
    let minutes = 1_i64 << attempts.clamp(0, 9);
    (minutes * 60_000).min(6 * 3600 * 1000)
}

/// Attempts after which a mail is given up.
pub const SEND_ATTEMPTS_MAX: i64 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>().expect("time").as_millisecond()
    }

    fn london() -> TimeZone {
        TimeZone::get("Europe/London").expect("zone")
    }

    #[test]
    fn the_daily_digest_is_due_from_the_local_morning_hour_for_twelve_hours() {
        let zone = TimeZone::get("America/New_York").expect("zone");
        // 11:59 UTC is 06:59 in New York: not yet.
        assert_eq!(
            due_digest(ms("2026-12-02T11:59:00Z"), &zone, Period::Daily, 7),
            None
        );
        assert_eq!(
            due_digest(ms("2026-12-02T12:00:00Z"), &zone, Period::Daily, 7).as_deref(),
            Some("daily-2026-12-02")
        );
        assert_eq!(
            due_digest(ms("2026-12-02T23:59:00Z"), &zone, Period::Daily, 7).as_deref(),
            Some("daily-2026-12-02")
        );
        // 19:00 local: too late for a morning digest.
        assert_eq!(
            due_digest(ms("2026-12-03T00:00:00Z"), &zone, Period::Daily, 7),
            None
        );
    }

    #[test]
    fn the_weekly_digest_is_due_on_monday_mornings_only() {
        // 2026-11-30 is a Monday.
        assert_eq!(
            due_digest(ms("2026-11-30T08:00:00Z"), &london(), Period::Weekly, 7).as_deref(),
            Some("weekly-2026-11-30")
        );
        assert_eq!(
            due_digest(ms("2026-12-01T08:00:00Z"), &london(), Period::Weekly, 7),
            None
        );
    }

    #[test]
    fn a_digest_reports_only_what_happened_since_the_last_visit_or_digest() {
        assert_eq!(digest_since(Some(500), Some(300), 100), 500);
        assert_eq!(digest_since(None, Some(300), 100), 300);
        assert_eq!(digest_since(None, None, 100), 100);
        assert_eq!(digest_since(Some(50), None, 100), 100);
    }

    #[test]
    fn addresses_parse_only_when_they_look_like_addresses() {
        assert!("ben@example.org".parse::<EmailAddress>().is_ok());
        assert_eq!(
            " ben@example.org ".parse::<EmailAddress>().map(|a| a.0),
            Ok("ben@example.org".to_owned())
        );
        for bad in [
            "",
            "ben",
            "ben@",
            "@example.org",
            "ben @example.org",
            "ben@example",
            "a@b.c\r\nBcc: x@y.z",
        ] {
            assert!(
                bad.parse::<EmailAddress>().is_err(),
                "{bad:?} must not parse"
            );
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(long.parse::<EmailAddress>().is_err());
    }

    #[test]
    fn unsubscribing_from_a_digest_keeps_its_kinds_on_the_notifications_page_only() {
        let mut deliveries = vec![
            (NotificationKind::News, Delivery::Daily),
            (NotificationKind::Reply, Delivery::Weekly),
            (NotificationKind::DealMessage, Delivery::Immediate),
        ];
        Unsubscribe::Digest(Period::Daily).apply(&mut deliveries);
        assert_eq!(deliveries[0].1, Delivery::App);
        assert_eq!(deliveries[1].1, Delivery::Weekly);
        Unsubscribe::Kind(NotificationKind::DealMessage).apply(&mut deliveries);
        assert_eq!(deliveries[2].1, Delivery::App);
    }

    #[test]
    fn a_recovered_account_is_always_mailed_and_cannot_be_unsubscribed() {
        assert_eq!(Unsubscribe::parse("kind-account_recovered"), None);
        assert_eq!(
            Delivery::default_for(NotificationKind::AccountRecovered),
            Delivery::Immediate
        );
        let mut deliveries = vec![(NotificationKind::AccountRecovered, Delivery::Immediate)];
        Unsubscribe::Digest(Period::Daily).apply(&mut deliveries);
        assert_eq!(deliveries[0].1, Delivery::Immediate);
    }

    #[test]
    fn unsubscribe_scopes_round_trip() {
        for scope in [
            Unsubscribe::Kind(NotificationKind::Reply),
            Unsubscribe::Digest(Period::Weekly),
        ] {
            assert_eq!(Unsubscribe::parse(&scope.as_str()), Some(scope));
        }
        assert_eq!(Unsubscribe::parse("kind-nothing"), None);
        assert_eq!(Unsubscribe::parse("digest-hourly"), None);
    }

    #[test]
    fn retries_back_off_from_a_minute_to_six_hours() {
        assert_eq!(retry_delay_ms(0), 60_000);
        assert_eq!(retry_delay_ms(1), 120_000);
        assert_eq!(retry_delay_ms(20), 6 * 3600 * 1000);
    }
}
