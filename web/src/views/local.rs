//! How times and numbers are written for the reader: in the circle's time zone, with the
//! month names and decimal separator of the reader's language. The visitor layer sets it for
//! each request (a task-local), so every view writes them alike without passing it around;
//! outside a request (CSV files, jobs, tests) times are written in UTC, in English.

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The reader's way of writing times and numbers.
#[derive(Debug, Clone)]
pub struct Local {
    /// A language code the catalogues know (`en`, `es`).
    pub language: String,
    pub zone: TimeZone,
    /// The node's clock when the request came (what "5 minutes ago" counts from); the
    /// system's clock when none was set.
    pub now_ms: Option<i64>,
}

impl Local {
    pub fn now_ms(&self) -> i64 {
        self.now_ms
            .unwrap_or_else(|| Timestamp::now().as_millisecond())
    }
}

impl Default for Local {
    fn default() -> Self {
        Local {
            language: "en".to_owned(),
            zone: TimeZone::UTC,
            now_ms: None,
        }
    }
}

tokio::task_local! {
    static LOCAL: Local;
}

/// Runs `work` with `local` as the way of writing times and numbers.
pub async fn scope<F: std::future::Future>(local: Local, work: F) -> F::Output {
    LOCAL.scope(local, work).await
}

pub(super) fn with<R>(read: impl FnOnce(&Local) -> R) -> R {
    match LOCAL.try_with(|local| local.clone()) {
        Ok(local) => read(&local),
        Err(_) => read(&Local::default()),
    }
}

/// A time zone by its IANA name (`Europe/Madrid`), if the node knows it.
pub fn zone_named(name: &str) -> Option<TimeZone> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    TimeZone::get(name).ok()
}

/// Every time zone name the node knows, sorted (for the stewards' choice).
pub fn zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|name| name.as_str().to_owned())
        .filter(|name| name.contains('/') || name == "UTC")
        .collect();
    names.sort();
    names
}

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_ES: [&str; 12] = [
    "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
];

/// A moment as the reader reads it: `1 Dec 2026, 16:48 CET` (`1 dic 2026, 16:48 CET`).
pub fn when_in(ms: i64, local: &Local) -> String {
    let Ok(at) = Timestamp::from_millisecond(ms) else {
        return ms.to_string();
    };
    let zoned = at.to_zoned(local.zone.clone());
    let months = if local.language == "es" {
        MONTHS_ES
    } else {
        MONTHS_EN
    };
    let month = months[(zoned.month() as usize).clamp(1, 12) - 1];
    let abbreviation = local.zone.to_offset_info(at).abbreviation().to_string();
    format!(
        "{} {month} {}, {:02}:{:02} {abbreviation}",
        zoned.day(),
        zoned.year(),
        zoned.hour(),
        zoned.minute()
    )
}

/// A moment as the reader of this request reads it.
pub fn when(ms: i64) -> String {
    with(|local| when_in(ms, local))
}

/// The offset of the reader's time zone from UTC at a moment, in milliseconds (what turns a
/// moment into the circle's wall-clock time).
pub fn offset_ms_at(zone: &TimeZone, ms: i64) -> i64 {
    match Timestamp::from_millisecond(ms) {
        Ok(at) => i64::from(zone.to_offset(at).seconds()) * 1000,
        Err(_) => 0,
    }
}

/// A plain decimal number (`1234.50`, `-3`) as the reader writes it: a decimal comma and
/// thin groups of thousands in Spanish (`1234,50`, `12 345,50`), a point and commas in
/// English (`1,234.50`). Anything else is returned as it is.
pub fn number_in(plain: &str, language: &str) -> String {
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return plain.to_owned();
    }
    let (group, point, group_from) = if language == "es" {
        ('\u{a0}', ',', 5)
    } else {
        (',', '.', 4)
    };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if whole.len() >= group_from && i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    match fraction {
        Some(fraction) => format!("{sign}{grouped}{point}{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A plain decimal number as the reader of this request writes it.
pub fn number(plain: &str) -> String {
    with(|local| number_in(plain, &local.language))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(language: &str, zone: &str) -> Local {
        Local {
            language: language.to_owned(),
            zone: zone_named(zone).expect("a known zone"),
            now_ms: None,
        }
    }

    #[test]
    fn a_moment_is_written_in_the_circles_zone_and_the_readers_language() {
        // 2026-12-04 03:17 UTC.
        let ms = 1_796_354_220_000;
        assert_eq!(when_in(ms, &Local::default()), "4 Dec 2026, 03:17 UTC");
        assert_eq!(
            when_in(ms, &local("es", "Europe/Madrid")),
            "4 dic 2026, 04:17 CET"
        );
        assert_eq!(
            when_in(ms, &local("en", "America/Bogota")),
            "3 Dec 2026, 22:17 -05"
        );
        // Summer time moves the clock: 2026-07-01 12:00 UTC is 14:00 in Madrid.
        assert_eq!(
            when_in(1_782_907_200_000, &local("en", "Europe/Madrid")),
            "1 Jul 2026, 14:00 CEST"
        );
    }

    #[test]
    fn outside_a_request_times_are_utc_in_english() {
        assert_eq!(when(0), "1 Jan 1970, 00:00 UTC");
    }

    #[test]
    fn numbers_take_a_decimal_comma_in_spanish_and_group_thousands() {
        assert_eq!(number_in("29.75", "es"), "29,75");
        assert_eq!(number_in("29.75", "en"), "29.75");
        assert_eq!(number_in("-1234.50", "en"), "-1,234.50");
        assert_eq!(
            number_in("1234.50", "es"),
            "1234,50",
            "four digits stay together"
        );
        assert_eq!(number_in("12345.50", "es"), "12\u{a0}345,50");
        assert_eq!(number_in("1000000", "en"), "1,000,000");
        assert_eq!(number_in("abc", "es"), "abc");
    }

    #[test]
    fn only_known_zones_are_accepted() {
        assert!(zone_named("Europe/Madrid").is_some());
        assert!(zone_named("Mars/Olympus").is_none());
        assert!(zone_named("").is_none());
        assert!(zone_names().contains(&"America/Bogota".to_owned()));
    }
}
