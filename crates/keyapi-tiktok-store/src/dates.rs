//! Dates as users write them, for every command: exactly `YYYY-MM-DD`, or `today`,
//! `yesterday`, `today-N`, counted in UTC; and ranges of them ([`DateRange`]).

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use crate::StoreError;

/// The largest `N` of `today-N`: 9,999 days (27 years), more than upstream keeps.
pub const MAX_DAYS_AGO: u16 = 9_999;

/// What [`parse_date`] accepts, for error messages and help texts.
pub const DATE_FORMS: &str = "YYYY-MM-DD, today, yesterday or today-N";

/// Today's date in UTC, the zone relative dates are counted in.
///
/// UTC, because the date a command resolves must not depend on the machine it runs on
/// (a cron line means the same on every server), and because the store already counts
/// days in UTC: a ranking settles [`SETTLE_DAYS`](keyapi_tiktok::SETTLE_DAYS) UTC days
/// after its period ends. `yesterday` in UTC is never in the future anywhere, and a
/// ranking fetched before upstream (in China, UTC+8) finished it is fetched again by a
/// later sync until it settles.
///
/// ```
/// let now: jiff::Timestamp = "2026-11-30T23:59:59Z".parse()?;
/// assert_eq!(keyapi_tiktok_store::today(now), jiff::civil::date(2026, 11, 30));
/// # Ok::<(), jiff::Error>(())
/// ```
pub fn today(now: Timestamp) -> Date {
    now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

/// Parses one date as every command takes it: exactly `YYYY-MM-DD` (a real calendar
/// date, four-digit year, no sign), or a date relative to `now` in UTC (see [`today`]):
/// `today`, `yesterday` or `today-N` with `N` up to [`MAX_DAYS_AGO`]. Surrounding spaces
/// are ignored. Commands pass the real clock; tests pass a fixed one.
///
/// ```
/// use jiff::civil::date;
/// use keyapi_tiktok_store::parse_date;
/// let now: jiff::Timestamp = "2026-12-01T06:00:00Z".parse()?;
/// assert_eq!(parse_date("2026-11-24", now)?, date(2026, 11, 24));
/// assert_eq!(parse_date("yesterday", now)?, date(2026, 11, 30));
/// assert_eq!(parse_date("today-7", now)?, date(2026, 11, 24));
/// assert!(parse_date("-009999-01-01", now).is_err()); // signed years are refused
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_date(text: &str, now: Timestamp) -> Result<Date, StoreError> {
    let text = text.trim();
    let refused = |why: &str| {
        StoreError::invalid_plan(format!(
            "`{text}` is not a date: {why}; expected {DATE_FORMS}"
        ))
    };
    let days_ago = match text {
        "today" => Some(0),
        "yesterday" => Some(1),
        _ => match text.strip_prefix("today-") {
            Some(n) => {
                let days = (!n.is_empty() && n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| n.parse::<u16>().ok())
                    .flatten()
                    .filter(|days| *days <= MAX_DAYS_AGO);
                Some(days.ok_or_else(|| {
                    refused(&format!("N is a number of days from 0 to {MAX_DAYS_AGO}"))
                })?)
            }
            None => None,
        },
    };
    if let Some(days) = days_ago {
        return today(now)
            .checked_sub(jiff::Span::new().days(i64::from(days)))
            .map_err(|_| refused("before the first date known"));
    }
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(refused("not written as one"));
    }
    text.parse()
        .map_err(|_| refused("no such day in the calendar"))
}

/// Dates from `start` to `end`, both included; parsed from one date or two joined by
/// `..`, each as [`parse_date`] takes it (`2026-11-01..2026-11-30`, `today-7..yesterday`).
///
/// ```
/// use keyapi_tiktok_store::DateRange;
/// let november: DateRange = "2026-11-01..2026-11-30".parse()?;
/// assert_eq!(november.days().count(), 30);
/// let one: DateRange = "2026-11-24".parse()?;
/// assert_eq!(one.start(), one.end());
/// assert!("2026-11-30..2026-11-01".parse::<DateRange>().is_err()); // the end before the start
/// let now: jiff::Timestamp = "2026-12-01T06:00:00Z".parse()?;
/// assert_eq!(DateRange::parse("today-7..yesterday", now)?.to_string(), "2026-11-24..2026-11-30");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct DateRange {
    start: Date,
    end: Date,
}

impl DateRange {
    /// The dates from `start` to `end`; refuses an end before the start.
    pub fn new(start: Date, end: Date) -> Result<DateRange, StoreError> {
        if end < start {
            return Err(StoreError::invalid_plan(format!(
                "the range {start}..{end} ends before it starts"
            )));
        }
        Ok(DateRange { start, end })
    }

    /// One day.
    pub fn day(date: Date) -> DateRange {
        DateRange {
            start: date,
            end: date,
        }
    }

    /// Parses one date or a range `START..END`, each side as [`parse_date`] takes it, with
    /// relative dates counted from `now`.
    pub fn parse(text: &str, now: Timestamp) -> Result<DateRange, StoreError> {
        match text.split_once("..") {
            Some((start, end)) => DateRange::new(parse_date(start, now)?, parse_date(end, now)?),
            None => Ok(DateRange::day(parse_date(text, now)?)),
        }
    }

    /// The first date.
    pub fn start(&self) -> Date {
        self.start
    }

    /// The last date (included).
    pub fn end(&self) -> Date {
        self.end
    }

    /// Every date in the range, in order.
    pub fn days(&self) -> impl Iterator<Item = Date> + '_ {
        self.start
            .series(jiff::Span::new().days(1))
            .take_while(|date| *date <= self.end)
    }
}

/// [`DateRange::parse`] with relative dates counted from the real clock.
impl FromStr for DateRange {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<DateRange, StoreError> {
        DateRange::parse(text, Timestamp::now())
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}..{}", self.start, self.end)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn at(now: &str) -> Timestamp {
        now.parse().unwrap()
    }

    #[test]
    fn relative_dates_count_utc_days_across_month_year_and_midnight() {
        let cases = [
            // The zone's midnight: the last second of a day and the first of the next.
            ("2026-11-30T23:59:59Z", "today", date(2026, 11, 30)),
            ("2026-12-01T00:00:00Z", "today", date(2026, 12, 1)),
            ("2026-11-30T23:59:59Z", "yesterday", date(2026, 11, 29)),
            ("2026-12-01T00:00:00Z", "yesterday", date(2026, 11, 30)),
            // Whatever the offset the clock was written with, UTC counts.
            ("2026-12-01T07:00:00+08:00", "today", date(2026, 11, 30)),
            ("2026-11-30T20:00:00-05:00", "today", date(2026, 12, 1)),
            // A month end, a year end, a leap day.
            ("2026-12-01T12:00:00Z", "today-1", date(2026, 11, 30)),
            ("2027-01-01T00:30:00Z", "yesterday", date(2026, 12, 31)),
            ("2027-01-05T12:00:00Z", "today-7", date(2026, 12, 29)),
            ("2028-03-01T12:00:00Z", "today-1", date(2028, 2, 29)),
            ("2026-12-01T12:00:00Z", "today-0", date(2026, 12, 1)),
            ("2026-12-01T12:00:00Z", " today-30 ", date(2026, 11, 1)),
            ("2026-12-01T12:00:00Z", "today-9999", date(1999, 7, 17)),
            ("2026-12-01T12:00:00Z", "2026-02-28", date(2026, 2, 28)),
            ("2026-12-01T12:00:00Z", "0001-01-01", date(1, 1, 1)),
        ];
        for (now, text, expected) in cases {
            assert_eq!(
                parse_date(text, at(now)).unwrap(),
                expected,
                "{text} at {now}"
            );
        }
    }

    #[test]
    fn anything_else_is_refused_naming_the_forms() {
        let now = at("2026-12-01T12:00:00Z");
        for bad in [
            "",
            "-009999-01-01",
            "+002025-01-01",
            "2026-1-01",
            "2026-13-01",
            "2026-02-30",
            "20261101",
            "2026/11/01",
            "2026-11-01T00:00",
            "Today",
            "tomorrow",
            "today+1",
            "today-",
            "today--1",
            "today-+1",
            "today-10000",
            "today-00001",
            "today - 1",
            "yesterday-1",
        ] {
            let error = parse_date(bad, now).unwrap_err();
            assert!(error.is_refusal(), "{bad}");
            assert!(
                error
                    .to_string()
                    .contains("expected YYYY-MM-DD, today, yesterday or today-N"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn a_range_is_one_date_or_two_joined_by_two_dots() {
        let now = at("2026-12-01T12:00:00Z");
        let range = DateRange::parse(" 2026-11-01 .. 2026-11-03 ", now).unwrap();
        assert_eq!(
            (range.start(), range.end()),
            (date(2026, 11, 1), date(2026, 11, 3))
        );
        assert_eq!(range.to_string(), "2026-11-01..2026-11-03");
        let day = DateRange::parse("2026-02-28", now).unwrap();
        assert_eq!(day.days().collect::<Vec<_>>(), [date(2026, 2, 28)]);
        assert_eq!(
            DateRange::parse("today-7..yesterday", now)
                .unwrap()
                .to_string(),
            "2026-11-24..2026-11-30"
        );
        assert_eq!(
            DateRange::parse("2026-11-01..today", now)
                .unwrap()
                .to_string(),
            "2026-11-01..2026-12-01"
        );
        for bad in [
            "",
            "2026-11-01..",
            "..2026-11-01",
            "2026-13-01",
            "2026-11-01...2026-11-02",
            "-009999-01-01..2026-01-01",
            "2026-01-01..+002026-01-02",
        ] {
            assert!(DateRange::parse(bad, now).is_err(), "{bad}");
        }
        let error = DateRange::parse("today..yesterday", now).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid plan: the range 2026-12-01..2026-11-30 ends before it starts"
        );
    }
}
