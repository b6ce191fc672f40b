//! Moments as people say them: "just now", "5 minutes ago", "yesterday at 18:40", "Tuesday
//! at 09:12", "4 Dec"; ahead, "in 3 hours", "tomorrow at 10:00", "Thu 10 Dec, 10:00". In the
//! reader's time zone and language, on the server (no JavaScript): the exact moment goes in
//! the `<time>` element's `datetime` and `title`. Pure but for [`time_ago`], which reads the
//! request's clock and zone.

use jiff::civil::Weekday;
use jiff::Timestamp;
use maud::{html, Markup};

use super::local::{when_in, Local};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
/// Within this many hours a moment reads "N hours ago"; beyond, by its day.
const HOURS_AGO_MAX: i64 = 6;
/// Within this many days a moment reads by its weekday; beyond, by its date.
const WEEKDAY_DAYS_MAX: i64 = 6;

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_ES: [&str; 12] = [
    "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
];

fn spanish(local: &Local) -> bool {
    local.language == "es"
}

fn weekday(day: Weekday, local: &Local, short: bool) -> &'static str {
    let index = day.to_monday_zero_offset() as usize;
    match (spanish(local), short) {
        (false, false) => [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ][index],
        (false, true) => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][index],
        (true, false) => [
            "lunes",
            "martes",
            "miércoles",
            "jueves",
            "viernes",
            "sábado",
            "domingo",
        ][index],
        (true, true) => ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"][index],
    }
}

fn month(number: i8, local: &Local) -> &'static str {
    let months = if spanish(local) { MONTHS_ES } else { MONTHS_EN };
    months[(number as usize).clamp(1, 12) - 1]
}

/// "5 minutes" or "1 minute" ("5 minutos", "1 minuto").
fn count(n: i64, unit: &str, local: &Local) -> String {
    let (one, many) = match (spanish(local), unit) {
        (false, "minute") => ("minute", "minutes"),
        (false, _) => ("hour", "hours"),
        (true, "minute") => ("minuto", "minutos"),
        (true, _) => ("hora", "horas"),
    };
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "at 09:12" ("a las 09:12", "a la 01:05").
fn at_time(hour: i8, minute: i8, local: &Local) -> String {
    match (spanish(local), hour) {
        (false, _) => format!("at {hour:02}:{minute:02}"),
        (true, 1) => format!("a la {hour:02}:{minute:02}"),
        (true, _) => format!("a las {hour:02}:{minute:02}"),
    }
}

/// A moment as people say it, seen from `now_ms`, in the reader's zone and language.
pub fn relative_in(ms: i64, now_ms: i64, local: &Local) -> String {
    let (Ok(at), Ok(now)) = (
        Timestamp::from_millisecond(ms),
        Timestamp::from_millisecond(now_ms),
    ) else {
        return ms.to_string();
    };
    let es = spanish(local);
    let ago_ms = now_ms.saturating_sub(ms);
    if (0..MINUTE_MS).contains(&ago_ms) || (-MINUTE_MS < ago_ms && ago_ms < 0) {
        return (if es { "ahora mismo" } else { "just now" }).to_owned();
    }
    if ago_ms > 0 && ago_ms < HOUR_MS {
        let n = count(ago_ms / MINUTE_MS, "minute", local);
        return if es {
            format!("hace {n}")
        } else {
            format!("{n} ago")
        };
    }
    if ago_ms < 0 && -ago_ms < HOUR_MS {
        let n = count(-ago_ms / MINUTE_MS, "minute", local);
        return if es {
            format!("dentro de {n}")
        } else {
            format!("in {n}")
        };
    }
    if ago_ms > 0 && ago_ms < HOURS_AGO_MAX * HOUR_MS {
        let n = count(ago_ms / HOUR_MS, "hour", local);
        return if es {
            format!("hace {n}")
        } else {
            format!("{n} ago")
        };
    }
    let zoned = at.to_zoned(local.zone.clone());
    let today = now.to_zoned(local.zone.clone()).date();
    let days = today
        .until(zoned.date())
        .map_or(0, |span| i64::from(span.get_days()));
    let time = at_time(zoned.hour(), zoned.minute(), local);
    match days {
        0 => format!("{} {time}", if es { "hoy" } else { "today" }),
        -1 => format!("{} {time}", if es { "ayer" } else { "yesterday" }),
        1 => format!("{} {time}", if es { "mañana" } else { "tomorrow" }),
        d if (-WEEKDAY_DAYS_MAX..0).contains(&d) || (2..=WEEKDAY_DAYS_MAX).contains(&d) => {
            let day = weekday(zoned.weekday(), local, false);
            if es {
                format!("el {day} {time}")
            } else {
                format!("{day} {time}")
            }
        }
        d if d > 0 => event_in(ms, local),
        _ if zoned.year() == today.year() => date_in(ms, local, false),
        _ => date_in(ms, local, true),
    }
}

/// A day: "4 Dec" or, with the year, "4 Dec 2025" ("4 dic 2025").
pub fn date_in(ms: i64, local: &Local, with_year: bool) -> String {
    let Ok(at) = Timestamp::from_millisecond(ms) else {
        return ms.to_string();
    };
    let zoned = at.to_zoned(local.zone.clone());
    let day = format!("{} {}", zoned.day(), month(zoned.month(), local));
    if with_year {
        format!("{day} {}", zoned.year())
    } else {
        day
    }
}

/// A moment to come, as an event reads: "Thu 10 Dec, 10:00" ("jue 10 dic, 10:00").
pub fn event_in(ms: i64, local: &Local) -> String {
    let Ok(at) = Timestamp::from_millisecond(ms) else {
        return ms.to_string();
    };
    let zoned = at.to_zoned(local.zone.clone());
    format!(
        "{} {} {}, {:02}:{:02}",
        weekday(zoned.weekday(), local, true),
        zoned.day(),
        month(zoned.month(), local),
        zoned.hour(),
        zoned.minute()
    )
}

/// A moment as people say it, for this request's reader, as plain text (inside a sentence).
pub fn ago(ms: i64) -> String {
    super::local::with(|local| relative_in(ms, local.now_ms(), local))
}

/// A day, for this request's reader: "4 Dec 2026".
pub fn date(ms: i64) -> String {
    super::local::with(|local| date_in(ms, local, true))
}

/// The reader's language with the wall clock of an event (its own local time, which no zone
/// moves: a `LocalTime` counts it as if it were UTC).
fn on_the_wall(local: &Local) -> Local {
    Local {
        language: local.language.clone(),
        zone: jiff::tz::TimeZone::UTC,
        now_ms: None,
    }
}

/// An event's start by its wall clock: "Thu 10 Dec, 10:00" ("jue 10 dic, 10:00").
pub fn wall_event(wall_ms: i64) -> String {
    super::local::with(|local| event_in(wall_ms, &on_the_wall(local)))
}

/// A calendar day by its wall clock: "Thursday 10 Dec" ("jueves 10 dic").
pub fn wall_day(wall_ms: i64) -> String {
    super::local::with(|local| {
        let wall = on_the_wall(local);
        let Ok(at) = Timestamp::from_millisecond(wall_ms) else {
            return wall_ms.to_string();
        };
        let zoned = at.to_zoned(wall.zone.clone());
        format!(
            "{} {} {}",
            weekday(zoned.weekday(), &wall, false),
            zoned.day(),
            month(zoned.month(), &wall)
        )
    })
}

/// The `datetime` of a `<time>` element: the moment in UTC, RFC 3339.
pub fn machine_time(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|at| at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// A `<time>` element saying a moment as people do, the exact local time in its title.
pub fn time_ago(ms: i64) -> Markup {
    let (text, exact) =
        super::local::with(|local| (relative_in(ms, local.now_ms(), local), when_in(ms, local)));
    html! { time datetime=(machine_time(ms)) title=(exact) { (text) } }
}

/// A `<time>` element with the day only ("4 Dec 2026"), e.g. when someone joined.
pub fn time_date(ms: i64) -> Markup {
    let (text, exact) = super::local::with(|local| (date_in(ms, local, true), when_in(ms, local)));
    html! { time datetime=(machine_time(ms)) title=(exact) { (text) } }
}

/// A `<time>` element for an event to come: "Thu 10 Dec, 10:00".
pub fn time_event(ms: i64) -> Markup {
    let (text, exact) = super::local::with(|local| (event_in(ms, local), when_in(ms, local)));
    html! { time datetime=(machine_time(ms)) title=(exact) { (text) } }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    /// Monday 7 Dec 2026, 12:00 UTC.
    const NOW: i64 = 1_796_644_800_000;

    fn local(language: &str, zone: &str) -> Local {
        Local {
            language: language.to_owned(),
            zone: TimeZone::get(zone).expect("zone"),
            now_ms: None,
        }
    }

    #[test]
    fn the_test_clock_is_a_monday_noon() {
        assert_eq!(when_in(NOW, &local("en", "UTC")), "7 Dec 2026, 12:00 UTC");
    }

    #[test]
    fn recent_moments_read_in_minutes_and_hours_in_both_languages() {
        let (en, es) = (local("en", "UTC"), local("es", "UTC"));
        assert_eq!(relative_in(NOW - 20_000, NOW, &en), "just now");
        assert_eq!(relative_in(NOW + 20_000, NOW, &es), "ahora mismo");
        assert_eq!(relative_in(NOW - MINUTE_MS, NOW, &en), "1 minute ago");
        assert_eq!(relative_in(NOW - 5 * MINUTE_MS, NOW, &en), "5 minutes ago");
        assert_eq!(relative_in(NOW - 5 * MINUTE_MS, NOW, &es), "hace 5 minutos");
        assert_eq!(relative_in(NOW - HOUR_MS, NOW, &es), "hace 1 hora");
        assert_eq!(relative_in(NOW - 2 * HOUR_MS, NOW, &en), "2 hours ago");
        assert_eq!(relative_in(NOW + 30 * MINUTE_MS, NOW, &en), "in 30 minutes");
        assert_eq!(
            relative_in(NOW + 30 * MINUTE_MS, NOW, &es),
            "dentro de 30 minutos"
        );
    }

    #[test]
    fn older_and_later_moments_read_by_their_day() {
        let en = local("en", "UTC");
        let es = local("es", "UTC");
        assert_eq!(relative_in(NOW - 10 * HOUR_MS, NOW, &en), "today at 02:00");
        assert_eq!(
            relative_in(NOW - 17 * HOUR_MS, NOW, &en),
            "yesterday at 19:00"
        );
        assert_eq!(
            relative_in(NOW - 17 * HOUR_MS, NOW, &es),
            "ayer a las 19:00"
        );
        assert_eq!(
            relative_in(NOW + 22 * HOUR_MS, NOW, &en),
            "tomorrow at 10:00"
        );
        assert_eq!(
            relative_in(NOW - 6 * 24 * HOUR_MS, NOW, &en),
            "Tuesday at 12:00"
        );
        assert_eq!(
            relative_in(NOW - 6 * 24 * HOUR_MS, NOW, &es),
            "el martes a las 12:00"
        );
        assert_eq!(
            relative_in(NOW + 3 * 24 * HOUR_MS - 2 * HOUR_MS, NOW, &en),
            "Thursday at 10:00"
        );
        assert_eq!(relative_in(NOW - 11 * HOUR_MS, NOW, &es), "hoy a la 01:00");
        assert_eq!(relative_in(NOW - 20 * 24 * HOUR_MS, NOW, &en), "17 Nov");
        assert_eq!(
            relative_in(NOW - 400 * 24 * HOUR_MS, NOW, &es),
            "2 nov 2025"
        );
        assert_eq!(
            relative_in(NOW + 10 * 24 * HOUR_MS, NOW, &en),
            "Thu 17 Dec, 12:00"
        );
        assert_eq!(
            relative_in(NOW + 10 * 24 * HOUR_MS, NOW, &es),
            "jue 17 dic, 12:00"
        );
    }

    #[test]
    fn the_day_is_the_readers_day_in_the_circles_time_zone() {
        // 23:30 on Sunday in UTC is already Monday in Madrid (00:30 CET), and still Sunday
        // afternoon in Los Angeles.
        let sunday_night = NOW - 12 * HOUR_MS - 30 * MINUTE_MS;
        assert_eq!(
            relative_in(sunday_night, NOW, &local("en", "UTC")),
            "yesterday at 23:30"
        );
        assert_eq!(
            relative_in(sunday_night, NOW, &local("en", "Europe/Madrid")),
            "today at 00:30"
        );
        assert_eq!(
            relative_in(sunday_night, NOW, &local("es", "America/Los_Angeles")),
            "ayer a las 15:30"
        );
        assert_eq!(
            date_in(sunday_night, &local("en", "Asia/Tokyo"), true),
            "7 Dec 2026"
        );
        assert_eq!(
            event_in(sunday_night, &local("es", "Europe/Madrid")),
            "lun 7 dic, 00:30"
        );
    }

    #[test]
    fn a_time_element_carries_the_exact_moment() {
        assert_eq!(machine_time(NOW), "2026-12-07T12:00:00Z");
        let html = time_date(NOW).into_string();
        assert_eq!(
            html,
            r#"<time datetime="2026-12-07T12:00:00Z" title="7 Dec 2026, 12:00 UTC">7 Dec 2026</time>"#
        );
    }

    #[test]
    fn an_event_reads_by_its_own_wall_clock_whatever_the_zone() {
        // 10:00 on Thursday 10 Dec 2026, as written by its host.
        let wall = 1_796_896_800_000;
        assert_eq!(
            event_in(wall, &on_the_wall(&local("en", "Asia/Tokyo"))),
            "Thu 10 Dec, 10:00"
        );
        assert_eq!(
            event_in(wall, &on_the_wall(&local("es", "UTC"))),
            "jue 10 dic, 10:00"
        );
        assert_eq!(wall_event(wall), "Thu 10 Dec, 10:00");
        assert_eq!(wall_day(wall), "Thursday 10 Dec");
    }

    #[test]
    fn no_moment_panics() {
        let en = local("en", "Europe/Madrid");
        for ms in [i64::MIN, -1, 0, i64::MAX, NOW] {
            let _ = relative_in(ms, NOW, &en);
            let _ = relative_in(NOW, ms, &en);
            let _ = date_in(ms, &en, true);
            let _ = event_in(ms, &en);
            let _ = machine_time(ms);
        }
    }
}
