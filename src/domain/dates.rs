//! How moments are shown to readers (in the site's time zone, in the contract's formats), and
//! the window of dates and times Dateline takes.
//!
//! Every date and moment an editor sends (a publish time, study and review dates) must fall in
//! [`EARLIEST_YEAR`]..=[`LATEST_YEAR`] (UTC): wide enough for any story's history and any
//! schedule, narrow enough that every accepted value formats everywhere (RFC 3339 needs four
//! year digits; PostgreSQL's driver panics past year 9999). Formatting never fails, even for a
//! value stored before the window was enforced.

use time::OffsetDateTime;

/// The first and last calendar years Dateline accepts in a date or moment.
pub const EARLIEST_YEAR: i32 = 1900;
pub const LATEST_YEAR: i32 = 2199;

/// The message of a date or moment outside the window.
pub fn out_of_range_message() -> String {
    format!("must be between {EARLIEST_YEAR}-01-01 and {LATEST_YEAR}-12-31")
}

/// Whether a moment lies in the accepted window: its calendar year as written, in its own
/// offset (what the OpenAPI document's pattern can state), and a moment UTC can hold.
pub fn moment_in_range(at: OffsetDateTime) -> bool {
    // `to_offset` panics past year 9999; `checked_to_offset` says so instead.
    (EARLIEST_YEAR..=LATEST_YEAR).contains(&at.year())
        && at.checked_to_offset(time::UtcOffset::UTC).is_some()
}

/// The years of the window, as a regular expression (a unit test keeps it equal to
/// [`EARLIEST_YEAR`]..=[`LATEST_YEAR`]).
const YEAR: &str = "(19[0-9]{2}|2[01][0-9]{2})";
const MONTH_DAY: &str = "(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])";

/// The dates the API takes (`YYYY-MM-DD` in the window), as the OpenAPI document states them
/// beside `format: date`, which adds that the day exists.
pub fn date_pattern() -> String {
    format!("^{YEAR}-{MONTH_DAY}$")
}

/// The moments the API takes: RFC 3339 with `T` and seconds, no leap second, the year as
/// written in the window. Beside `format: date-time`, which adds that the day exists.
pub fn moment_pattern() -> String {
    format!(
        "^{YEAR}-{MONTH_DAY}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?\
         ([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
    )
}

/// Reads a moment a client sends: [`moment_pattern`], then a day that exists. (`time`'s
/// RFC 3339 parser alone takes any separator and leap seconds, which the document does not.)
pub fn parse_moment(raw: &str) -> Option<OffsetDateTime> {
    static PATTERN: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(&moment_pattern()).expect("valid pattern"));
    if !PATTERN.is_match(raw) {
        return None;
    }
    OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339).ok()
}

/// `#[serde(deserialize_with = …)]` for moments a client sends ([`parse_moment`]); `null` is
/// none.
pub fn deserialize_moment_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<OffsetDateTime>, D::Error> {
    let raw: Option<String> = serde::Deserialize::deserialize(d)?;
    raw.map(|raw| {
        parse_moment(&raw).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "must be an RFC 3339 moment such as 2026-12-01T09:30:00-05:00, {}",
                out_of_range_message()
            ))
        })
    })
    .transpose()
}

/// `#[serde(deserialize_with = …)]` for calendar dates (`2011-09-25`), written or read: only a
/// string, as `time` reads it but without a `+` (which `time` never writes); `null` is none.
/// (`time` alone also reads a date from an array of year and day.) Whether the date lies in
/// the window is checked with the other fields' rules, so that a stored value always reads.
pub fn deserialize_date_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<time::Date>, D::Error> {
    let raw: Option<String> = serde::Deserialize::deserialize(d)?;
    raw.map(|raw| {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        (!raw.starts_with('+'))
            .then(|| time::Date::parse(&raw, format).ok())
            .flatten()
            .ok_or_else(|| serde::de::Error::custom("must be a date such as 2011-09-25"))
    })
    .transpose()
}

/// Whether a calendar date lies in the accepted window.
pub fn date_in_range(date: time::Date) -> bool {
    (EARLIEST_YEAR..=LATEST_YEAR).contains(&date.year())
}

fn zoned(at: OffsetDateTime, tz: &jiff::tz::TimeZone) -> jiff::Zoned {
    // Outside jiff's range (only a value stored before the window was enforced) the nearest
    // moment it can show stands in: formatting never fails.
    let nanos = at.unix_timestamp_nanos();
    let ts = jiff::Timestamp::from_nanosecond(nanos).unwrap_or(if nanos < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    });
    ts.to_zoned(tz.clone())
}

/// The dateline: `Sep 26, 2011`.
pub fn dateline(at: OffsetDateTime, tz: &jiff::tz::TimeZone) -> String {
    zoned(at, tz).strftime("%b %-d, %Y").to_string()
}

/// The "Last updated on" moment: `February 22, 2022, 9:53 PM`.
pub fn long_datetime(at: OffsetDateTime, tz: &jiff::tz::TimeZone) -> String {
    zoned(at, tz).strftime("%B %-d, %Y, %-I:%M %p").to_string()
}

/// A long date without time: `February 22, 2022`.
pub fn long_date(at: OffsetDateTime, tz: &jiff::tz::TimeZone) -> String {
    zoned(at, tz).strftime("%B %-d, %Y").to_string()
}

/// The calendar year in the site's time zone.
pub fn year(at: OffsetDateTime, tz: &jiff::tz::TimeZone) -> i32 {
    i32::from(zoned(at, tz).year())
}

/// A moment as a `datetime-local` form value in the site's time zone: `2026-12-01T09:30`.
pub fn local_input(at: OffsetDateTime, tz: &jiff::tz::TimeZone) -> String {
    zoned(at, tz).strftime("%Y-%m-%dT%H:%M").to_string()
}

/// Reads a `datetime-local` form value (`2026-12-01T09:30`, seconds optional) as a moment in
/// the site's time zone. A wall-clock time skipped by a daylight-saving change moves forward.
pub fn parse_local_input(raw: &str, tz: &jiff::tz::TimeZone) -> Option<OffsetDateTime> {
    let civil: jiff::civil::DateTime = raw.trim().parse().ok()?;
    let zoned = civil.to_zoned(tz.clone()).ok()?;
    OffsetDateTime::from_unix_timestamp_nanos(zoned.timestamp().as_nanosecond()).ok()
}

/// Reads a form date `2026-12-01`.
pub fn parse_date_input(raw: &str) -> Option<time::Date> {
    let date: jiff::civil::Date = raw.trim().parse().ok()?;
    let month = time::Month::try_from(u8::try_from(date.month()).ok()?).ok()?;
    time::Date::from_calendar_date(
        i32::from(date.year()),
        month,
        u8::try_from(date.day()).ok()?,
    )
    .ok()
}

/// RFC 3339 to the second in the site's time zone, with its offset
/// (`2011-09-26T09:05:00-04:00`), for exports editors read beside the admin pages.
pub fn rfc3339_local(at: OffsetDateTime, tz: &jiff::tz::TimeZone) -> String {
    zoned(at, tz).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// RFC 3339 in UTC to the second (`2011-09-26T13:05:00Z`), for `datetime` attributes, feeds,
/// sitemaps and structured data: HTML's `datetime` allows at most three fraction digits, and
/// readers never need more than seconds.
pub fn rfc3339(at: OffsetDateTime) -> String {
    let at = utc(at);
    let at = at.replace_nanosecond(0).unwrap_or(at);
    format_utc(at)
}

/// RFC 3339 in UTC at full precision, for the API. Never fails: a year outside 0–9999 (only
/// possible for a value stored before the window was enforced) is written with its sign and
/// as many digits as it needs, as ISO 8601's expanded years are.
pub fn rfc3339_precise(at: OffsetDateTime) -> String {
    format_utc(utc(at))
}

/// `at` in UTC, or as it is when UTC cannot hold it (past year 9999).
fn utc(at: OffsetDateTime) -> OffsetDateTime {
    at.checked_to_offset(time::UtcOffset::UTC).unwrap_or(at)
}

fn format_utc(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| {
            let fraction = match at.nanosecond() {
                0 => String::new(),
                n => format!(".{n:09}").trim_end_matches('0').to_owned(),
            };
            format!(
                "{:+05}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}Z",
                at.year(),
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute(),
                at.second()
            )
        })
}

/// `#[serde(with = …)]` for moments in API answers and revisions: RFC 3339 that never fails to
/// serialise ([`rfc3339_precise`]); reads what `time::serde::rfc3339` reads.
pub mod serde_rfc3339 {
    use serde::{Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(at: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::rfc3339_precise(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        time::serde::rfc3339::deserialize(d)
    }

    /// The same for `Option<OffsetDateTime>` (`null` for none).
    pub mod option {
        use serde::{Deserializer, Serializer};
        use time::OffsetDateTime;

        pub fn serialize<S: Serializer>(
            at: &Option<OffsetDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => s.serialize_str(&super::super::rfc3339_precise(*at)),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<OffsetDateTime>, D::Error> {
            time::serde::rfc3339::option::deserialize(d)
        }
    }
}

/// The calendar date of `at` in the site's time zone.
pub fn local_date(at: OffsetDateTime, tz: &jiff::tz::TimeZone) -> time::Date {
    let zoned = zoned(at, tz);
    time::Month::try_from(u8::try_from(zoned.month()).unwrap_or(1))
        .ok()
        .and_then(|month| {
            time::Date::from_calendar_date(
                i32::from(zoned.year()),
                month,
                u8::try_from(zoned.day()).unwrap_or(1),
            )
            .ok()
        })
        .unwrap_or(at.date())
}

/// A calendar date as `February 22, 2022`.
pub fn calendar_date(date: time::Date) -> String {
    let month = date.month().to_string();
    format!("{month} {}, {}", date.day(), date.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn local_dates_are_the_site_time_zone_s() {
        let tz = new_york();
        assert_eq!(
            local_date(datetime!(2026-12-07 03:00 UTC), &tz),
            date!(2026 - 12 - 06)
        );
        assert_eq!(
            local_date(datetime!(2026-12-07 06:00 UTC), &tz),
            date!(2026 - 12 - 07)
        );
    }

    #[test]
    fn form_inputs_round_trip_in_the_site_time_zone() {
        let tz = new_york();
        let at = parse_local_input("2026-12-01T09:30", &tz).unwrap();
        assert_eq!(rfc3339(at), "2026-12-01T14:30:00Z");
        assert_eq!(local_input(at, &tz), "2026-12-01T09:30");
        assert!(parse_local_input("tomorrow", &tz).is_none());
        assert!(parse_local_input("2026-13-01T09:30", &tz).is_none());
        assert_eq!(
            parse_date_input("2024-02-29"),
            Some(time::macros::date!(2024 - 02 - 29))
        );
        assert!(parse_date_input("2023-02-29").is_none());
        assert!(parse_date_input("29/02/2024").is_none());
    }

    fn new_york() -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get("America/New_York").unwrap()
    }

    #[test]
    fn formats_in_the_site_time_zone() {
        // 02:53 UTC on Feb 23 is 9:53 PM on Feb 22 in New York.
        let at = datetime!(2022-02-23 02:53 UTC);
        assert_eq!(long_datetime(at, &new_york()), "February 22, 2022, 9:53 PM");
        assert_eq!(dateline(at, &new_york()), "Feb 22, 2022");
        assert_eq!(dateline(at, &jiff::tz::TimeZone::UTC), "Feb 23, 2022");
        assert_eq!(year(datetime!(2012-01-01 03:00 UTC), &new_york()), 2011);
    }

    #[test]
    fn machine_readable_times_stop_at_the_second_and_never_fail() {
        let at = datetime!(2026-12-06 10:15:30.123456 UTC);
        assert_eq!(rfc3339(at), "2026-12-06T10:15:30Z");
        assert_eq!(rfc3339_precise(at), "2026-12-06T10:15:30.123456Z");
        // Stored before the window was enforced: still formatted, never an error.
        let early = datetime!(0000-01-01 00:00 +01:00);
        assert_eq!(rfc3339(early), "-0001-12-31T23:00:00Z");
        assert!(!dateline(early, &new_york()).is_empty());
        assert!(!long_datetime(datetime!(-9999-01-01 00:00 UTC), &new_york()).is_empty());
        let json = serde_json::to_string(&Wrapper(early)).unwrap();
        assert_eq!(json, r#""-0001-12-31T23:00:00Z""#);
    }

    #[derive(serde::Serialize)]
    struct Wrapper(#[serde(with = "serde_rfc3339")] OffsetDateTime);

    #[test]
    fn the_window_covers_1900_to_2199() {
        assert!(moment_in_range(datetime!(1900-01-01 00:00 UTC)));
        assert!(moment_in_range(datetime!(2199-12-31 23:59:59 UTC)));
        assert!(!moment_in_range(datetime!(1899-12-31 23:59:59 UTC)));
        // The year counts as written, in the moment's own offset: 2199-12-31 22:00 at -05:00
        // (2200 in UTC) is in, 1900-01-01 00:30 at +01:00 (1899 in UTC) too.
        assert!(moment_in_range(datetime!(2199-12-31 22:00 -05:00)));
        assert!(moment_in_range(datetime!(1900-01-01 00:30 +01:00)));
        assert!(!moment_in_range(datetime!(2200-01-01 00:30 +01:00)));
        assert!(!moment_in_range(datetime!(0000-01-01 00:00 UTC)));
        // Past what UTC can hold: out, without a panic.
        assert!(!moment_in_range(datetime!(9999-12-31 23:00 -05:00)));
        assert!(!rfc3339(datetime!(9999-12-31 23:00 -05:00)).is_empty());
        assert!(date_in_range(date!(2011 - 09 - 25)));
        assert!(!date_in_range(date!(2200 - 01 - 01)));
    }

    #[test]
    fn the_patterns_state_the_window_and_the_shapes_the_api_reads() {
        let date = regex::Regex::new(&date_pattern()).unwrap();
        for year in 1000..=9999 {
            let raw = format!("{year}-06-15");
            assert_eq!(
                date.is_match(&raw),
                (EARLIEST_YEAR..=LATEST_YEAR).contains(&year),
                "{raw}"
            );
        }
        for raw in [
            "2011-9-25",
            "+2011-09-25",
            "2011-13-01",
            "2011-09-32",
            "2011-09-25 ",
        ] {
            assert!(!date.is_match(raw), "{raw}");
        }
        for (raw, ok) in [
            ("2026-12-01T09:30:00Z", true),
            ("2026-12-01t09:30:00.123456789123z", true),
            ("2199-12-31T22:00:00-05:00", true),
            ("1900-01-01T00:30:00+01:00", true),
            ("2026-12-01 09:30:00Z", false),
            ("2026-12-01T09:30Z", false),
            ("2026-12-31T23:59:60Z", false),
            ("2026-12-01T09:30:00+24:00", false),
            ("2026-12-01T09:30:00.Z", false),
            ("2026-02-30T09:30:00Z", false),
            ("2200-01-01T00:00:00+01:00", false),
        ] {
            assert_eq!(parse_moment(raw).is_some(), ok, "{raw}");
        }
        let read = |json: &str| {
            deserialize_date_option(&mut serde_json::Deserializer::from_str(json)).ok()
        };
        assert_eq!(read(r#""2024-02-29""#), Some(Some(date!(2024 - 02 - 29))));
        assert_eq!(read("null"), Some(None));
        assert_eq!(read(r#""+2024-02-29""#), None);
        assert_eq!(read(r#""2023-02-29""#), None);
        assert_eq!(read("[2024, 60]"), None);
    }

    #[test]
    fn formats_morning_hours_without_padding() {
        let at = datetime!(2011-09-26 13:05 UTC);
        assert_eq!(
            long_datetime(at, &new_york()),
            "September 26, 2011, 9:05 AM"
        );
        assert_eq!(dateline(at, &new_york()), "Sep 26, 2011");
        assert_eq!(rfc3339(at), "2011-09-26T13:05:00Z");
        assert_eq!(calendar_date(date!(2022 - 02 - 22)), "February 22, 2022");
    }
}
