//! Events: when and where, how many places, who is going (and who waits), and the iCalendar
//! (RFC 5545) text calendars import. Times are the circle's local wall-clock times as members
//! type them ("2026-12-05T18:30"); calendars get them as floating times, which every
//! calendar shows as written — right for a local gathering.

use thiserror::Error;

/// Most places an event may have (`None` means no limit).
pub const CAPACITY_MAX: u32 = 10_000;
/// Longest place text, in characters.
pub const PLACE_CHARS_MAX: usize = 200;
/// Longest an event may last, in days.
pub const EVENT_DAYS_MAX: i64 = 14;
const MINUTE_MS: i64 = 60_000;

/// A wall-clock time, minutes since 1970-01-01T00:00 (no zone: see the module note).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime(pub i64);

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl LocalTime {
    /// Parses `YYYY-MM-DDTHH:MM` (what `<input type="datetime-local">` sends), seconds allowed.
    pub fn parse(text: &str) -> Option<LocalTime> {
        let text = text.trim();
        let (date, time) = text.split_once(['T', ' '])?;
        let mut date_parts = date.split('-');
        let year: i64 = date_parts.next()?.parse().ok()?;
        let month: u32 = date_parts.next()?.parse().ok()?;
        let day: u32 = date_parts.next()?.parse().ok()?;
        let mut time_parts = time.split(':');
        let hour: i64 = time_parts.next()?.parse().ok()?;
        let minute: i64 = time_parts.next()?.parse().ok()?;
        if date_parts.next().is_some()
            || !(1970..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || !(0..24).contains(&hour)
            || !(0..60).contains(&minute)
        {
            return None;
        }
        Some(LocalTime(
            days_from_civil(year, month, day) * 1440 + hour * 60 + minute,
        ))
    }

    /// Reads a clock (milliseconds since the epoch) as a wall-clock time.
    pub fn from_ms(ms: i64) -> LocalTime {
        LocalTime(ms.div_euclid(MINUTE_MS))
    }

    pub fn as_ms(self) -> i64 {
        self.0 * MINUTE_MS
    }

    fn parts(self) -> (i64, u32, u32, i64, i64) {
        let (year, month, day) = civil_from_days(self.0.div_euclid(1440));
        let minutes = self.0.rem_euclid(1440);
        (year, month, day, minutes / 60, minutes % 60)
    }

    /// `2026-12-05T18:30`, as forms show it.
    pub fn to_input(self) -> String {
        let (y, mo, d, h, mi) = self.parts();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}")
    }

    /// `2026-12-05`, the day, for grouping a calendar.
    pub fn date(self) -> String {
        let (y, mo, d, _, _) = self.parts();
        format!("{y:04}-{mo:02}-{d:02}")
    }

    /// `18:30`.
    pub fn clock(self) -> String {
        let (_, _, _, h, mi) = self.parts();
        format!("{h:02}:{mi:02}")
    }

    /// iCalendar's floating DATE-TIME: `20261205T183000`.
    pub fn to_ical(self) -> String {
        let (y, mo, d, h, mi) = self.parts();
        format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}00")
    }

    /// The day of the week, 0 = Monday.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday.
        (self.0.div_euclid(1440) + 3).rem_euclid(7) as u32
    }
}

/// When, where and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDetails {
    pub starts: LocalTime,
    pub ends: LocalTime,
    /// An address or a room; for an online event, where the link will be shared.
    pub place: String,
    pub online: bool,
    pub capacity: Option<u32>,
}

#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum EventError {
    #[error("the start or end time is not a date and time")]
    TimeInvalid,
    #[error("the event must end after it starts, within 14 days")]
    EndInvalid,
    #[error("the place is too long")]
    PlaceTooLong,
    #[error("the number of places is not a whole number from 1 to 10,000")]
    CapacityInvalid,
}

impl EventError {
    pub fn message_id(self) -> &'static str {
        match self {
            EventError::TimeInvalid => "event-error-time",
            EventError::EndInvalid => "event-error-end",
            EventError::PlaceTooLong => "event-error-place",
            EventError::CapacityInvalid => "event-error-capacity",
        }
    }
}

impl EventDetails {
    /// Parses the event fields of a listing form; an empty capacity means no limit.
    pub fn parse(
        starts: &str,
        ends: &str,
        place: &str,
        online: bool,
        capacity: &str,
    ) -> Result<EventDetails, (&'static str, EventError)> {
        let starts = LocalTime::parse(starts).ok_or(("starts", EventError::TimeInvalid))?;
        let ends = LocalTime::parse(ends).ok_or(("ends", EventError::TimeInvalid))?;
        if ends <= starts || ends.0 - starts.0 > EVENT_DAYS_MAX * 1440 {
            return Err(("ends", EventError::EndInvalid));
        }
        let place = place.trim();
        if place.chars().count() > PLACE_CHARS_MAX {
            return Err(("place", EventError::PlaceTooLong));
        }
        let capacity = match capacity.trim() {
            "" => None,
            text => Some(
                text.parse::<u32>()
                    .ok()
                    .filter(|c| (1..=CAPACITY_MAX).contains(c))
                    .ok_or(("capacity", EventError::CapacityInvalid))?,
            ),
        };
        Ok(EventDetails {
            starts,
            ends,
            place: place.to_string(),
            online,
            capacity,
        })
    }
}

/// What a member answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Going,
    Maybe,
    NotGoing,
}

impl Answer {
    pub fn parse(text: &str) -> Option<Answer> {
        match text {
            "going" => Some(Answer::Going),
            "maybe" => Some(Answer::Maybe),
            "not_going" => Some(Answer::NotGoing),
            _ => None,
        }
    }
}

/// Where a member stands: going (holds a place), maybe, or waiting for a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    Going,
    Waiting,
    Maybe,
}

impl Place {
    pub fn as_str(self) -> &'static str {
        match self {
            Place::Going => "going",
            Place::Waiting => "waiting",
            Place::Maybe => "maybe",
        }
    }
    pub fn parse(text: &str) -> Option<Place> {
        match text {
            "going" => Some(Place::Going),
            "waiting" => Some(Place::Waiting),
            "maybe" => Some(Place::Maybe),
            _ => None,
        }
    }
}

/// One member's answer, with when they first asked for a place (the waiting list's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rsvp {
    pub member: i64,
    pub place: Place,
    pub at_ms: i64,
}

/// The answers after one member's answer, and who moved up from the waiting list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub rsvps: Vec<Rsvp>,
    /// The answering member's place, `None` when they are not going.
    pub place: Option<Place>,
    pub promoted: Vec<i64>,
}

/// Applies one answer. "Going" takes a free place, or joins the end of the waiting list when
/// all are taken; leaving a place (maybe, not going) gives it to the first in line. A member
/// who is already going or waiting keeps their spot when they answer "going" again.
pub fn respond(
    rsvps: &[Rsvp],
    capacity: Option<u32>,
    member: i64,
    answer: Answer,
    now_ms: i64,
) -> Outcome {
    let previous = rsvps.iter().find(|r| r.member == member).copied();
    let mut rest: Vec<Rsvp> = rsvps
        .iter()
        .filter(|r| r.member != member)
        .copied()
        .collect();
    let going = rest.iter().filter(|r| r.place == Place::Going).count();
    let has_room = |going: usize| capacity.is_none_or(|c| going < c as usize);
    let place = match answer {
        Answer::Going => match previous {
            Some(r) if r.place != Place::Maybe => {
                rest.push(r);
                Some(r.place)
            }
            _ => {
                let place = if has_room(going) {
                    Place::Going
                } else {
                    Place::Waiting
                };
                rest.push(Rsvp {
                    member,
                    place,
                    at_ms: now_ms,
                });
                Some(place)
            }
        },
        Answer::Maybe => {
            rest.push(Rsvp {
                member,
                place: Place::Maybe,
                at_ms: now_ms,
            });
            Some(Place::Maybe)
        }
        Answer::NotGoing => None,
    };
    let (rsvps, promoted) = rebalance(rest, capacity);
    let place = if promoted.contains(&member) {
        Some(Place::Going)
    } else {
        place
    };
    Outcome {
        rsvps,
        place,
        promoted,
    }
}

/// Fills free places from the waiting list, first come first served (after an answer, or when
/// the author raises the number of places). Nobody going loses their place when the number is
/// lowered: the list simply waits until enough leave. Returns the answers and who moved up.
pub fn rebalance(mut rsvps: Vec<Rsvp>, capacity: Option<u32>) -> (Vec<Rsvp>, Vec<i64>) {
    let has_room = |going: usize| capacity.is_none_or(|c| going < c as usize);
    let mut promoted = Vec::new();
    rsvps.sort_by_key(|r| (r.at_ms, r.member));
    loop {
        let going = rsvps.iter().filter(|r| r.place == Place::Going).count();
        if !has_room(going) {
            break;
        }
        let Some(next) = rsvps.iter_mut().find(|r| r.place == Place::Waiting) else {
            break;
        };
        next.place = Place::Going;
        promoted.push(next.member);
    }
    (rsvps, promoted)
}

/// One event as a calendar shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    /// Stable and unique: `listing-42@node.example`.
    pub uid: String,
    pub title: String,
    pub description: String,
    pub place: String,
    pub url: String,
    pub starts: LocalTime,
    pub ends: LocalTime,
    /// When the listing was last changed (DTSTAMP, in UTC).
    pub stamp_ms: i64,
    pub cancelled: bool,
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn ical_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes one content line, folded at 75 octets without splitting a character (§3.1).
fn push_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

fn utc_stamp(ms: i64) -> String {
    let time = LocalTime::from_ms(ms);
    let seconds = ms.div_euclid(1000).rem_euclid(60);
    format!("{}{seconds:02}Z", &time.to_ical()[..13])
}

/// An iCalendar file holding `events`, named `calendar_name`.
pub fn calendar(calendar_name: &str, events: &[CalendarEvent]) -> String {
    calendar_in_zone(calendar_name, None, events)
}

/// A calendar whose floating times are wall-clock times in `zone` (an IANA name), which it
/// names (`X-WR-TIMEZONE`) so calendar programs place the events right.
pub fn calendar_in_zone(
    calendar_name: &str,
    zone: Option<&str>,
    events: &[CalendarEvent],
) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Commons Platform//Market//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        push_line(&mut out, line);
    }
    push_line(
        &mut out,
        &format!("X-WR-CALNAME:{}", ical_text(calendar_name)),
    );
    if let Some(zone) = zone {
        push_line(&mut out, &format!("X-WR-TIMEZONE:{}", ical_text(zone)));
    }
    for event in events {
        push_line(&mut out, "BEGIN:VEVENT");
        push_line(&mut out, &format!("UID:{}", ical_text(&event.uid)));
        push_line(&mut out, &format!("DTSTAMP:{}", utc_stamp(event.stamp_ms)));
        push_line(&mut out, &format!("DTSTART:{}", event.starts.to_ical()));
        push_line(&mut out, &format!("DTEND:{}", event.ends.to_ical()));
        push_line(&mut out, &format!("SUMMARY:{}", ical_text(&event.title)));
        if !event.description.is_empty() {
            push_line(
                &mut out,
                &format!("DESCRIPTION:{}", ical_text(&event.description)),
            );
        }
        if !event.place.is_empty() {
            push_line(&mut out, &format!("LOCATION:{}", ical_text(&event.place)));
        }
        push_line(&mut out, &format!("URL:{}", event.url));
        push_line(
            &mut out,
            if event.cancelled {
                "STATUS:CANCELLED"
            } else {
                "STATUS:CONFIRMED"
            },
        );
        push_line(&mut out, "END:VEVENT");
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_clock_times_round_trip_and_bad_dates_are_refused() {
        let t = LocalTime::parse("2026-12-05T18:30").expect("parses");
        assert_eq!(t.to_input(), "2026-12-05T18:30");
        assert_eq!(t.to_ical(), "20261205T183000");
        assert_eq!(t.weekday(), 5, "a Saturday");
        assert_eq!(
            LocalTime::parse("2024-02-29T00:00").map(|t| t.date()),
            Some("2024-02-29".into())
        );
        for bad in [
            "2026-02-29T10:00",
            "2026-13-01T10:00",
            "2026-12-05T24:00",
            "tomorrow",
            "2026-12-05",
        ] {
            assert_eq!(LocalTime::parse(bad), None, "{bad}");
        }
        assert_eq!(LocalTime::from_ms(0).to_input(), "1970-01-01T00:00");
    }

    #[test]
    fn the_third_going_with_two_places_waits_and_moves_up_when_one_leaves() {
        let first = respond(&[], Some(2), 1, Answer::Going, 10);
        let second = respond(&first.rsvps, Some(2), 2, Answer::Going, 20);
        let third = respond(&second.rsvps, Some(2), 3, Answer::Going, 30);
        assert_eq!(third.place, Some(Place::Waiting));
        let fourth = respond(&third.rsvps, Some(2), 4, Answer::Going, 40);
        assert_eq!(fourth.place, Some(Place::Waiting));
        // Asking again keeps one's spot in the line.
        let again = respond(&fourth.rsvps, Some(2), 3, Answer::Going, 50);
        assert_eq!(again.place, Some(Place::Waiting));
        let leaves = respond(&again.rsvps, Some(2), 1, Answer::NotGoing, 60);
        assert_eq!(leaves.promoted, vec![3], "first in line first");
        assert_eq!(leaves.place, None);
        let going: Vec<i64> = leaves
            .rsvps
            .iter()
            .filter(|r| r.place == Place::Going)
            .map(|r| r.member)
            .collect();
        assert_eq!(going, vec![2, 3]);
    }

    #[test]
    fn more_places_move_the_line_and_fewer_take_no_place_away() {
        let mut rsvps = Vec::new();
        for member in 1..=4 {
            rsvps = respond(&rsvps, Some(2), member, Answer::Going, member).rsvps;
        }
        let (more, promoted) = rebalance(rsvps.clone(), Some(3));
        assert_eq!(promoted, vec![3]);
        assert_eq!(more.iter().filter(|r| r.place == Place::Going).count(), 3);
        let (fewer, promoted) = rebalance(more, Some(1));
        assert!(promoted.is_empty());
        assert_eq!(fewer.iter().filter(|r| r.place == Place::Going).count(), 3);
    }

    #[test]
    fn maybe_holds_no_place_and_no_limit_means_everyone_goes() {
        let maybe = respond(&[], Some(1), 1, Answer::Maybe, 1);
        let going = respond(&maybe.rsvps, Some(1), 2, Answer::Going, 2);
        assert_eq!(going.place, Some(Place::Going));
        let mut rsvps = Vec::new();
        for member in 0..100 {
            rsvps = respond(&rsvps, None, member, Answer::Going, member).rsvps;
        }
        assert!(rsvps.iter().all(|r| r.place == Place::Going));
    }

    #[test]
    fn calendars_escape_fold_and_end_lines_with_crlf() {
        let event = CalendarEvent {
            uid: "listing-7@commons.test".into(),
            title: "Repair café; bring things, and friends".into(),
            description: "Line one\nLine two ".to_string() + &"é".repeat(60),
            place: "Hall, 3 Main St".into(),
            url: "http://commons.test/c/x/market/7".into(),
            starts: LocalTime::parse("2026-12-05T10:00").expect("time"),
            ends: LocalTime::parse("2026-12-05T13:00").expect("time"),
            stamp_ms: 1_790_000_000_123,
            cancelled: false,
        };
        let text = calendar("Riverside, events", &[event]);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(text.contains("SUMMARY:Repair café\\; bring things\\, and friends\r\n"));
        assert!(text.contains("DTSTART:20261205T100000\r\n"));
        assert!(text.contains("X-WR-CALNAME:Riverside\\, events\r\n"));
        assert!(text.contains("DTSTAMP:20260921T141320Z\r\n"), "{text}");
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        assert!(
            !text.replace("\r\n", "").contains('\n'),
            "no bare line feeds"
        );
        assert!(text.ends_with("END:VCALENDAR\r\n"));
    }
}
