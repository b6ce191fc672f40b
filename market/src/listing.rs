//! A listing — an offer or a need — parsed once at the edge into types that cannot hold bad
//! values: its side, kind, how value is agreed, its status and its bounded texts.

use thiserror::Error;

/// Longest title, in characters.
pub const TITLE_CHARS_MAX: usize = 120;
/// Longest description (Markdown source), in characters.
pub const DESCRIPTION_CHARS_MAX: usize = 5_000;
/// Most tags on one listing.
pub const TAGS_MAX: usize = 8;
/// Longest tag, in characters.
pub const TAG_CHARS_MAX: usize = 32;
/// Longest area (neighbourhood) text, in characters.
pub const AREA_CHARS_MAX: usize = 80;
/// Longest availability text ("weekday evenings"), in characters.
pub const AVAILABILITY_CHARS_MAX: usize = 200;
/// Longest a listing may run before it must be renewed, in days.
pub const EXPIRY_DAYS_MAX: i64 = 365;
/// How long a listing runs when its author does not say, in days.
pub const EXPIRY_DAYS_DEFAULT: i64 = 90;
/// How long before expiry the author is reminded to renew, in days.
pub const RENEWAL_REMINDER_DAYS: i64 = 7;

pub const DAY_MS: i64 = 86_400_000;

/// Why a listing's field was not accepted; each maps to a message in the catalogue.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum ListingError {
    #[error("the title is empty")]
    TitleMissing,
    #[error("the title is too long")]
    TitleTooLong,
    #[error("the description is too long")]
    DescriptionTooLong,
    #[error("too many tags, or a tag is too long")]
    TagsInvalid,
    #[error("the area is too long")]
    AreaTooLong,
    #[error("the availability text is too long")]
    AvailabilityTooLong,
    #[error("unknown side, kind or value choice")]
    ChoiceInvalid,
    #[error("the expiry is not between 1 and 365 days")]
    ExpiryInvalid,
    #[error("a fixed or hourly value needs an amount above zero")]
    AmountMissing,
    #[error("the location is not a latitude and longitude")]
    LocationInvalid,
}

impl ListingError {
    /// The catalogue message id that explains this error to a member.
    pub fn message_id(self) -> &'static str {
        match self {
            ListingError::TitleMissing => "market-error-title-missing",
            ListingError::TitleTooLong => "market-error-title-too-long",
            ListingError::DescriptionTooLong => "market-error-description-too-long",
            ListingError::TagsInvalid => "market-error-tags",
            ListingError::AreaTooLong => "market-error-area-too-long",
            ListingError::AvailabilityTooLong => "market-error-availability-too-long",
            ListingError::ChoiceInvalid => "market-error-choice",
            ListingError::ExpiryInvalid => "market-error-expiry",
            ListingError::AmountMissing => "market-error-amount",
            ListingError::LocationInvalid => "market-error-location",
        }
    }
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stable name used in storage, URLs and the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(text: &str) -> Result<$name, ListingError> {
                match text { $($text => Ok($name::$variant),)+ _ => Err(ListingError::ChoiceInvalid) }
            }
        }
    };
}

text_enum!(
    /// Whether the member offers something or needs it.
    Side { Offer = "offer", Need = "need" }
);
text_enum!(
    /// What is offered or needed.
    Kind { Thing = "thing", Skill = "skill", Knowledge = "knowledge", Event = "event" }
);
text_enum!(
    /// Where a listing stands. Only active listings are found, matched or notified.
    Status { Active = "active", Paused = "paused", Closed = "closed" }
);
text_enum!(
    /// How value is agreed, without the amount.
    ValueKind { Fixed = "fixed", PerHour = "per_hour", ByAgreement = "by_agreement", Gift = "gift" }
);

impl Side {
    pub fn opposite(self) -> Side {
        match self {
            Side::Offer => Side::Need,
            Side::Need => Side::Offer,
        }
    }
}

/// How value is agreed, in the circle's unit (integer minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Fixed { amount_minor: i64 },
    PerHour { amount_minor: i64 },
    ByAgreement,
    Gift,
}

impl Value {
    /// Builds a value from its kind and an amount (which fixed and hourly values require).
    pub fn new(kind: ValueKind, amount_minor: Option<i64>) -> Result<Value, ListingError> {
        let positive = amount_minor.filter(|a| *a > 0);
        match kind {
            ValueKind::Fixed => positive
                .map(|amount_minor| Value::Fixed { amount_minor })
                .ok_or(ListingError::AmountMissing),
            ValueKind::PerHour => positive
                .map(|amount_minor| Value::PerHour { amount_minor })
                .ok_or(ListingError::AmountMissing),
            ValueKind::ByAgreement => Ok(Value::ByAgreement),
            ValueKind::Gift => Ok(Value::Gift),
        }
    }

    pub fn kind(self) -> ValueKind {
        match self {
            Value::Fixed { .. } => ValueKind::Fixed,
            Value::PerHour { .. } => ValueKind::PerHour,
            Value::ByAgreement => ValueKind::ByAgreement,
            Value::Gift => ValueKind::Gift,
        }
    }

    pub fn amount_minor(self) -> Option<i64> {
        match self {
            Value::Fixed { amount_minor } | Value::PerHour { amount_minor } => Some(amount_minor),
            Value::ByAgreement | Value::Gift => None,
        }
    }
}

/// A coarse position: latitude and longitude rounded to hundredths of a degree (about a
/// kilometre), kept as integers. It is never shown to other members; it only ranks nearby
/// matches higher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location {
    pub lat_centi: i32,
    pub lon_centi: i32,
}

impl Location {
    /// Parses "51.507, -0.127" (or with a space instead of the comma) and rounds it.
    pub fn parse(text: &str) -> Result<Option<Location>, ListingError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.len() > 40 {
            return Err(ListingError::LocationInvalid);
        }
        let parts: Vec<&str> = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .collect();
        let [lat, lon] = parts.as_slice() else {
            return Err(ListingError::LocationInvalid);
        };
        let centi = |text: &str, max: i64| -> Result<i32, ListingError> {
            let value: rust_decimal::Decimal =
                text.parse().map_err(|_| ListingError::LocationInvalid)?;
            let rounded = value
                .checked_mul(rust_decimal::Decimal::from(100))
                .ok_or(ListingError::LocationInvalid)?
                .round();
            let whole: i64 = rounded
                .try_into()
                .map_err(|_| ListingError::LocationInvalid)?;
            if whole.abs() > max * 100 {
                return Err(ListingError::LocationInvalid);
            }
            Ok(whole as i32)
        };
        Ok(Some(Location {
            lat_centi: centi(lat, 90)?,
            lon_centi: centi(lon, 180)?,
        }))
    }

    /// "51.51, -0.13", as the form shows it back to its author.
    pub fn to_text(self) -> String {
        let show = |centi: i32| rust_decimal::Decimal::new(i64::from(centi), 2).to_string();
        format!("{}, {}", show(self.lat_centi), show(self.lon_centi))
    }

    /// The distance to another location in kilometres (equirectangular: exact enough at the
    /// scale of a town, and only used for ranking).
    pub fn km_to(self, other: Location) -> f32 {
        let degrees = |centi: i32| centi as f32 / 100.0;
        let mean_lat = ((degrees(self.lat_centi) + degrees(other.lat_centi)) / 2.0).to_radians();
        let x = (degrees(other.lon_centi) - degrees(self.lon_centi)).to_radians() * mean_lat.cos();
        let y = (degrees(other.lat_centi) - degrees(self.lat_centi)).to_radians();
        (x * x + y * y).sqrt() * 6371.0
    }
}

/// Trims a text and bounds its length in characters; `None` when it is too long.
fn bounded(text: &str, chars_max: usize) -> Option<String> {
    let trimmed = text.trim();
    (trimmed.chars().count() <= chars_max).then(|| trimmed.to_string())
}

/// A listing's title: the one [`commons_ledger::title::Title`] of every crate, 1-120
/// characters.
pub use commons_ledger::title::Title;

/// A listing's title, parsed: one line, no control or bidirectional characters, 1 to
/// [`TITLE_CHARS_MAX`] characters.
pub fn listing_title(text: &str) -> Result<Title, ListingError> {
    Title::parse(text, TITLE_CHARS_MAX).map_err(|error| match error {
        commons_ledger::title::TitleError::Missing => ListingError::TitleMissing,
        commons_ledger::title::TitleError::TooLong(_) => ListingError::TitleTooLong,
    })
}

/// Parses tags typed as "bikes, repair #tools": split on commas, spaces and `#`, lowercased,
/// deduplicated, at most [`TAGS_MAX`] of at most [`TAG_CHARS_MAX`] characters.
pub fn parse_tags(text: &str) -> Result<Vec<String>, ListingError> {
    let mut tags: Vec<String> = Vec::new();
    for raw in text.split(|c: char| c == ',' || c == '#' || c.is_whitespace()) {
        let tag = raw.trim().to_lowercase();
        if tag.is_empty() || tags.contains(&tag) {
            continue;
        }
        if tag.chars().count() > TAG_CHARS_MAX {
            return Err(ListingError::TagsInvalid);
        }
        tags.push(tag);
    }
    if tags.len() > TAGS_MAX {
        return Err(ListingError::TagsInvalid);
    }
    Ok(tags)
}

/// Everything a member writes about a listing, parsed. The store adds its id, owner and times.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingDraft {
    pub side: Side,
    pub kind: Kind,
    pub title: Title,
    /// Markdown source; rendered with [`crate::markdown::render`].
    pub description: String,
    /// A category path from the circle's tree, e.g. `repairs/bikes`.
    pub category: String,
    pub tags: Vec<String>,
    pub area: String,
    pub location: Option<Location>,
    pub value: Value,
    pub availability: String,
    /// The language the listing is written in (its words are stemmed in it).
    pub language: crate::text::Language,
    pub expires_in_days: i64,
    /// Only for events.
    pub event: Option<crate::event::EventDetails>,
}

/// The fields of a listing form as typed, before parsing.
#[derive(Debug, Clone, Default)]
pub struct ListingForm {
    pub side: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub tags: String,
    pub area: String,
    /// "latitude, longitude", optional.
    pub location: String,
    pub value_kind: String,
    /// Already parsed by the caller with the circle's decimals (the market knows no units).
    pub amount_minor: Option<i64>,
    pub availability: String,
    pub expires_in_days: String,
}

/// Every field error of a form at once, so the member can fix them together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, ListingError)>);

impl FieldErrors {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn note<T>(&mut self, field: &'static str, result: Result<T, ListingError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push((field, error));
                None
            }
        }
    }
}

impl ListingForm {
    /// Parses every field, collecting all errors. `category_known` says whether a path is in
    /// the circle's tree; an unknown category becomes `other`.
    pub fn parse(
        &self,
        language: crate::text::Language,
        category_known: impl Fn(&str) -> bool,
        event: Option<crate::event::EventDetails>,
    ) -> Result<ListingDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let side = errors.note("side", Side::parse(&self.side));
        let kind = errors.note("kind", Kind::parse(&self.kind));
        let title = errors.note("title", listing_title(&self.title));
        let description = errors.note(
            "description",
            bounded(&self.description, DESCRIPTION_CHARS_MAX)
                .ok_or(ListingError::DescriptionTooLong),
        );
        let tags = errors.note("tags", parse_tags(&self.tags));
        let area = errors.note(
            "area",
            bounded(&self.area, AREA_CHARS_MAX).ok_or(ListingError::AreaTooLong),
        );
        let location = errors.note("location", Location::parse(&self.location));
        let availability = errors.note(
            "availability",
            bounded(&self.availability, AVAILABILITY_CHARS_MAX)
                .ok_or(ListingError::AvailabilityTooLong),
        );
        let value = errors.note(
            "amount",
            ValueKind::parse(&self.value_kind).and_then(|k| Value::new(k, self.amount_minor)),
        );
        let expires_in_days = errors.note("expires", {
            let text = self.expires_in_days.trim();
            if text.is_empty() {
                Ok(EXPIRY_DAYS_DEFAULT)
            } else {
                text.parse::<i64>()
                    .ok()
                    .filter(|d| (1..=EXPIRY_DAYS_MAX).contains(d))
                    .ok_or(ListingError::ExpiryInvalid)
            }
        });
        let category = self.category.trim();
        let category = if category_known(category) {
            category
        } else {
            "other"
        }
        .to_string();
        match (
            side,
            kind,
            title,
            description,
            tags,
            area,
            location,
            availability,
            value,
            expires_in_days,
        ) {
            (
                Some(side),
                Some(kind),
                Some(title),
                Some(description),
                Some(tags),
                Some(area),
                Some(location),
                Some(availability),
                Some(value),
                Some(expires_in_days),
            ) if errors.is_empty() => Ok(ListingDraft {
                side,
                kind,
                title,
                description,
                category,
                tags,
                area,
                location,
                value,
                availability,
                language,
                expires_in_days,
                event: if kind == Kind::Event { event } else { None },
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Language;

    fn form() -> ListingForm {
        ListingForm {
            side: "offer".into(),
            kind: "skill".into(),
            title: "  I fix\n bicycles ".into(),
            description: "Punctures, brakes, gears.".into(),
            category: "repairs/bikes".into(),
            tags: "Bikes, repair #bikes".into(),
            value_kind: "per_hour".into(),
            amount_minor: Some(100),
            ..ListingForm::default()
        }
    }

    #[test]
    fn a_good_form_parses_with_tidy_fields() {
        let draft = form()
            .parse(Language::English, |_| true, None)
            .expect("parses");
        assert_eq!(draft.title.as_str(), "I fix bicycles");
        assert_eq!(draft.tags, vec!["bikes", "repair"]);
        assert_eq!(draft.value, Value::PerHour { amount_minor: 100 });
        assert_eq!(draft.expires_in_days, EXPIRY_DAYS_DEFAULT);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut bad = form();
        bad.title = " ".into();
        bad.kind = "spaceship".into();
        bad.amount_minor = None;
        bad.expires_in_days = "400".into();
        bad.tags = "a b c d e f g h i".into();
        let errors = bad
            .parse(Language::English, |_| true, None)
            .expect_err("refused");
        let fields: Vec<_> = errors.0.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["kind", "title", "tags", "amount", "expires"]);
    }

    #[test]
    fn coarse_locations_are_rounded_to_about_a_kilometre() {
        let here = Location::parse(" 51.5074, -0.1278 ")
            .expect("parses")
            .expect("given");
        assert_eq!(
            here,
            Location {
                lat_centi: 5151,
                lon_centi: -13
            }
        );
        assert_eq!(here.to_text(), "51.51, -0.13");
        assert_eq!(Location::parse(""), Ok(None));
        for bad in [
            "91, 0",
            "0, 181",
            "north",
            "1, 2, 3",
            "51.5",
            "79228162514264337593543950335,0",
            "7922816251426433759354395033,0",
        ] {
            assert_eq!(
                Location::parse(bad),
                Err(ListingError::LocationInvalid),
                "{bad}"
            );
        }
        let there = Location::parse("51.52 -0.10")
            .expect("parses")
            .expect("given");
        let km = here.km_to(there);
        assert!((2.0..2.6).contains(&km), "{km} km");
    }

    #[test]
    fn an_unknown_category_becomes_other_and_gifts_need_no_amount() {
        let mut gift = form();
        gift.category = "nowhere".into();
        gift.value_kind = "gift".into();
        gift.amount_minor = None;
        let draft = gift
            .parse(Language::English, |c| c == "repairs/bikes", None)
            .expect("parses");
        assert_eq!(draft.category, "other");
        assert_eq!(draft.value, Value::Gift);
    }
}
