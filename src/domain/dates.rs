//! How moments are shown to readers: in the site's time zone, in the contract's formats.

use time::OffsetDateTime;

fn zoned(at: OffsetDateTime, tz: &jiff::tz::TimeZone) -> jiff::Zoned {
    let ts = jiff::Timestamp::from_nanosecond(at.unix_timestamp_nanos())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
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

/// RFC 3339 in UTC, for `datetime` attributes and machine-readable metadata.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
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
