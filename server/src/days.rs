//! Days at a site: a site's time zone (from this machine's time zone database; UTC when it does
//! not know the name), the day an instant falls on there, where that day starts and ends, a time
//! of day on a given day, and times as the site's people write them.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::Error;

/// The time zone named `tz` (a site's), UTC when this machine does not know it.
pub fn zone(tz: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC)
}

fn to_chrono(z: &jiff::ZonedDateTime) -> Result<DateTime<Utc>, Error> {
    DateTime::from_timestamp_micros(z.timestamp().as_microsecond())
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("a time out of range")))
}

fn internal(e: jiff::Error) -> Error {
    Error::Internal(e.into())
}

/// The day `at` falls on in `tz`.
pub fn local_date(at: DateTime<Utc>, tz: &str) -> Result<NaiveDate, Error> {
    let ts = jiff::Timestamp::from_microsecond(at.timestamp_micros()).map_err(internal)?;
    let d = ts.to_zoned_datetime(zone(tz)).date();
    NaiveDate::from_ymd_opt(d.year().into(), d.month() as u32, d.day() as u32)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("a date out of range")))
}

/// From the start of `day` in `tz` to the start of the next.
pub fn day_window(day: NaiveDate, tz: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), Error> {
    use chrono::Datelike;
    let out_of_range = || Error::InvalidInput("date: out of range".into());
    let year = i16::try_from(day.year()).map_err(|_| out_of_range())?;
    let d = jiff::civil::Date::new(year, day.month() as i8, day.day() as i8)
        .map_err(|_| out_of_range())?;
    let z = zone(tz);
    let start = d.to_zoned_datetime(z.clone()).map_err(|_| out_of_range())?;
    let next = d
        .tomorrow()
        .and_then(|t| t.to_zoned_datetime(z))
        .map_err(|_| out_of_range())?;
    Ok((to_chrono(&start)?, to_chrono(&next)?))
}

/// The end of the day `at` falls on in `tz` (the start of the next day there).
pub fn end_of_day(at: DateTime<Utc>, tz: &str) -> Result<DateTime<Utc>, Error> {
    day_window(local_date(at, tz)?, tz).map(|(_, end)| end)
}

/// The instant of the time of day `hh_mm` (`HH:MM`) on `day` in `tz`. A time the clocks skip
/// (spring forward) is the instant just after the gap; one they pass twice (autumn) is the first.
pub fn at_time_of_day(day: NaiveDate, hh_mm: &str, tz: &str) -> Option<DateTime<Utc>> {
    let civil: jiff::civil::DateTime = format!("{day}T{hh_mm}").parse().ok()?;
    let z = civil.to_zoned_datetime(zone(tz)).ok()?;
    to_chrono(&z).ok()
}

/// `at` as the site's people read it: `2026-12-04 14:30` in `tz`.
pub fn local_time(at: DateTime<Utc>, tz: &str) -> String {
    jiff::Timestamp::from_microsecond(at.timestamp_micros())
        .map(|ts| {
            ts.to_zoned_datetime(zone(tz))
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| at.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// A time as written in an import: RFC 3339 with its offset (`2026-12-04T14:30:00Z`), or the
/// site's own reading of it in `tz` (`2026-12-04 14:30`, or with a `T`).
pub fn parse_time(raw: &str, tz: &str) -> Option<DateTime<Utc>> {
    let ts = match raw.parse::<jiff::Timestamp>() {
        Ok(ts) => ts,
        Err(_) => raw
            .parse::<jiff::civil::DateTime>()
            .ok()?
            .to_zoned_datetime(zone(tz))
            .ok()?
            .timestamp(),
    };
    DateTime::from_timestamp_micros(ts.as_microsecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_end_at_local_midnight() {
        let at = DateTime::parse_from_rfc3339("2026-03-29T21:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        // Paris is on summer time from 29 March 2026 (UTC+2): 21:30 UTC is 23:30 there.
        let end = end_of_day(at, "Europe/Paris").map(|t| t.to_rfc3339());
        assert_eq!(end.ok().as_deref(), Some("2026-03-29T22:00:00+00:00"));
        let end = end_of_day(at, "Nowhere/Unknown").map(|t| t.to_rfc3339());
        assert_eq!(end.ok().as_deref(), Some("2026-03-30T00:00:00+00:00"));
    }

    #[test]
    fn import_times_are_read_at_the_site() {
        let read = |raw: &str| parse_time(raw, "Europe/Paris").map(|t| t.to_rfc3339());
        let at = Some("2026-12-04T13:30:00+00:00".to_owned());
        assert_eq!(read("2026-12-04 14:30"), at);
        assert_eq!(read("2026-12-04T14:30"), at);
        assert_eq!(read("2026-12-04T13:30:00Z"), at);
        assert_eq!(read("2026-12-04T15:30:00+02:00"), at);
        assert_eq!(read("tomorrow"), None);
        assert_eq!(read("2026-13-04 14:30"), None);
    }
}
