//! [`Period`]: a day, a week or a month, and the calendar dates each covers.

use jiff::civil::Date;
use serde::Serialize;

/// The ranking period (`rank_type` on the wire).
///
/// Rankings are reported (by other clients of the same upstream, not verified by us) to be
/// published the day after the period ends, weekly ones dated on the Monday that starts the
/// week and monthly ones on the 1st. This crate sends the date you give unchanged, because
/// that rule is not documented and rewriting a date behind your back could fetch the wrong
/// ranking; use [`Period::start_of_period`] to get the conventional date. A query whose date
/// is not the start of its period is logged at `warn` before it is sent.
///
/// ```
/// use keyapi_tiktok::Period;
/// assert_eq!(Period::Weekly.code(), 2);
/// assert_eq!("monthly".parse::<Period>().unwrap(), Period::Monthly);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Period {
    /// One day (`1 = 日榜`).
    Daily,
    /// One week (`2 = 周榜`).
    Weekly,
    /// One calendar month (`3 = 月榜`).
    Monthly,
}

impl Period {
    /// Every variant, in wire-code order. A slice, so that a new documented value is no
    /// breaking change: iterate it, its length is no promise.
    ///
    /// ```
    /// use keyapi_tiktok::Period;
    /// let codes: Vec<i64> = Period::ALL.iter().map(|period| period.code()).collect();
    /// assert_eq!(codes, [1, 2, 3]);
    /// ```
    ///
    /// ```compile_fail
    /// let [daily, weekly, monthly] = keyapi_tiktok::Period::ALL;
    /// ```
    pub const ALL: &'static [Period] = &[Period::Daily, Period::Weekly, Period::Monthly];

    /// The value sent as `rank_type`.
    ///
    /// ```
    /// assert_eq!(keyapi_tiktok::Period::Monthly.code(), 3);
    /// ```
    pub const fn code(self) -> i64 {
        match self {
            Period::Daily => 1,
            Period::Weekly => 2,
            Period::Monthly => 3,
        }
    }

    /// The lower-case name used by `FromStr`, `Display` and the CLI.
    ///
    /// ```
    /// assert_eq!(keyapi_tiktok::Period::Daily.as_str(), "daily");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Period::Daily => "daily",
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
        }
    }

    /// The conventional date of the ranking that contains `date`: the date itself for
    /// daily rankings, the Monday on or before it for weekly ones, the 1st of its month
    /// for monthly ones.
    ///
    /// ```
    /// use jiff::civil::date;
    /// use keyapi_tiktok::Period;
    /// let wednesday = date(2026, 11, 25);
    /// assert_eq!(Period::Daily.start_of_period(wednesday), wednesday);
    /// assert_eq!(Period::Weekly.start_of_period(wednesday), date(2026, 11, 23));
    /// assert_eq!(Period::Monthly.start_of_period(wednesday), date(2026, 11, 1));
    /// ```
    pub fn start_of_period(self, date: Date) -> Date {
        match self {
            Period::Daily => date,
            Period::Weekly => {
                let back = date.weekday().to_monday_zero_offset();
                date.checked_sub(jiff::Span::new().days(i64::from(back)))
                    .unwrap_or(date)
            }
            Period::Monthly => date.first_of_month(),
        }
    }

    /// The last day the ranking dated `start` covers (for a weekly or monthly ranking
    /// dated at the start of its period).
    ///
    /// ```
    /// use jiff::civil::date;
    /// use keyapi_tiktok::Period;
    /// assert_eq!(Period::Weekly.end_of_period(date(2026, 11, 23)), date(2026, 11, 29));
    /// assert_eq!(Period::Monthly.end_of_period(date(2026, 2, 1)), date(2026, 2, 28));
    /// ```
    pub fn end_of_period(self, start: Date) -> Date {
        match self {
            Period::Daily => start,
            Period::Weekly => start
                .checked_add(jiff::Span::new().days(6))
                .unwrap_or(start),
            Period::Monthly => start.last_of_month(),
        }
    }

    /// How long one period is: a day, a week or a month (from one ranking's date to the
    /// next one's).
    ///
    /// ```
    /// use jiff::civil::date;
    /// use keyapi_tiktok::Period;
    /// assert_eq!(date(2026, 11, 1).checked_add(Period::Monthly.length())?, date(2026, 12, 1));
    /// # Ok::<(), jiff::Error>(())
    /// ```
    pub fn length(self) -> jiff::Span {
        match self {
            Period::Daily => jiff::Span::new().days(1),
            Period::Weekly => jiff::Span::new().weeks(1),
            Period::Monthly => jiff::Span::new().months(1),
        }
    }
}

name_conversions!(Period, "rank_type");
