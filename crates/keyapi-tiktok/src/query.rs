//! What to ask for: the typed, validated query for one page of a video ranking.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::Offset;
use serde::Serialize;

use crate::Error;

/// The highest page number the API serves.
pub const MAX_PAGE: u32 = 100_000;
/// The largest page the API serves.
pub const MAX_PAGE_SIZE: u8 = 10;
/// The earliest calendar on Earth (Kiribati's Line Islands): no place has a later date, so
/// no ranking can be dated after today there.
const EARLIEST_CALENDAR: Offset = Offset::constant(14);
/// Days after a period ends before its ranking is taken as settled (final): rankings are
/// published the day after (T+1), and this leaves room for late corrections.
pub const SETTLE_DAYS: i64 = 3;

/// Which metric the ranking is sorted by (`video_rank_field` on the wire).
///
/// ```
/// use keyapi_tiktok::RankField;
/// assert_eq!(RankField::Sales.code(), 2);
/// assert_eq!("views".parse::<RankField>().unwrap(), RankField::Views);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RankField {
    /// Ranked by views in the period (`1 = total_views_cnt`).
    Views,
    /// Ranked by estimated units sold in the period (`2 = total_video_sale_cnt`).
    Sales,
}

impl RankField {
    /// Every variant, in wire-code order. A slice, so that a new documented value is no
    /// breaking change: iterate it, its length is no promise.
    ///
    /// ```
    /// use keyapi_tiktok::RankField;
    /// let names: Vec<&str> = RankField::ALL.iter().map(|field| field.as_str()).collect();
    /// assert_eq!(names, ["views", "sales"]);
    /// ```
    ///
    /// ```compile_fail
    /// let [views, sales] = keyapi_tiktok::RankField::ALL;
    /// ```
    pub const ALL: &'static [RankField] = &[RankField::Views, RankField::Sales];

    /// The value sent as `video_rank_field`.
    ///
    /// ```
    /// assert_eq!(keyapi_tiktok::RankField::Views.code(), 1);
    /// ```
    pub const fn code(self) -> i64 {
        match self {
            RankField::Views => 1,
            RankField::Sales => 2,
        }
    }

    /// The upstream field this ranking sorts by, as the spec documents it.
    ///
    /// ```
    /// assert_eq!(keyapi_tiktok::RankField::Sales.wire_field(), "total_video_sale_cnt");
    /// ```
    pub const fn wire_field(self) -> &'static str {
        match self {
            RankField::Views => "total_views_cnt",
            RankField::Sales => "total_video_sale_cnt",
        }
    }

    /// The lower-case name used by `FromStr`, `Display` and the CLI.
    ///
    /// ```
    /// assert_eq!(keyapi_tiktok::RankField::Sales.as_str(), "sales");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            RankField::Views => "views",
            RankField::Sales => "sales",
        }
    }
}

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

macro_rules! name_conversions {
    ($ty:ident, $what:literal) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                $ty::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
                    .ok_or_else(|| {
                        let names: Vec<&str> = $ty::ALL.iter().map(|v| v.as_str()).collect();
                        Error::invalid_input($what, s, format!("one of {}", names.join(", ")))
                    })
            }
        }
    };
}
name_conversions!(RankField, "video_rank_field");
name_conversions!(Period, "rank_type");

/// A region code: two ASCII letters, upper case (`US`, `GB`, `UK`, `DE`, …).
///
/// Only the shape is checked: clients of the same upstream see both `UK` and `GB`, so a
/// fixed list would refuse codes the API accepts.
///
/// ```
/// use keyapi_tiktok::Region;
/// let region: Region = "us".parse().unwrap();
/// assert_eq!(region.as_str(), "US");
/// assert!("USA".parse::<Region>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Region([u8; 2]);

impl Region {
    /// Validates and normalises a region code.
    ///
    /// ```
    /// assert_eq!(keyapi_tiktok::Region::new(" gb ").unwrap().as_str(), "GB");
    /// ```
    pub fn new(code: &str) -> Result<Region, Error> {
        match code.trim().as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Region([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(Error::invalid_input(
                "region",
                code,
                "two letters, such as US or GB",
            )),
        }
    }

    /// The upper-case code.
    ///
    /// ```
    /// assert_eq!(keyapi_tiktok::Region::new("de").unwrap().as_str(), "DE");
    /// ```
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters, checked in `new`.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl FromStr for Region {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Region::new(s)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Region> for String {
    fn from(region: Region) -> String {
        region.as_str().to_owned()
    }
}

/// The query for one page of the video ranking (`GET /v1/tiktok/video/ranking/analytics`).
///
/// Built from the four required choices, then refined; [`Client`](crate::Client) validates
/// it with [`VideoRankingQuery::validate`] before any request, so a bad value costs no
/// credit.
///
/// ```
/// use jiff::civil::date;
/// use keyapi_tiktok::{Period, RankField, VideoRankingQuery};
///
/// let query = VideoRankingQuery::new(date(2026, 11, 24), "US".parse()?, RankField::Sales, Period::Daily)
///     .category("601450")
///     .created_by_ai(false)
///     .page(2)
///     .page_size(10);
/// query.validate()?;
/// assert_eq!(query.first_rank(), 11);
/// # Ok::<(), keyapi_tiktok::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct VideoRankingQuery {
    date: Date,
    region: Region,
    rank_field: RankField,
    period: Period,
    category: Option<String>,
    created_by_ai: Option<bool>,
    page: u32,
    page_size: u8,
}

impl VideoRankingQuery {
    /// The first page, ten items a page, no filters.
    ///
    /// ```
    /// # use keyapi_tiktok::*;
    /// let q = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), Region::new("US")?, RankField::Views, Period::Daily);
    /// assert_eq!((q.page_number(), q.size()), (1, 10));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn new(date: Date, region: Region, rank_field: RankField, period: Period) -> Self {
        VideoRankingQuery {
            date,
            region,
            rank_field,
            period,
            category: None,
            created_by_ai: None,
            page: 1,
            page_size: MAX_PAGE_SIZE,
        }
    }

    /// Only videos whose products are in this top-level product category
    /// (`product_category_id`, digits such as `601450`).
    ///
    /// ```
    /// # use keyapi_tiktok::*;
    /// # let q = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), Region::new("US")?, RankField::Sales, Period::Daily);
    /// assert_eq!(q.category("601450").category_id(), Some("601450"));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn category(mut self, id: impl Into<String>) -> Self {
        self.category = Some(id.into());
        self
    }

    /// Only AI-generated videos (`true`) or only the others (`false`).
    ///
    /// ```
    /// # use keyapi_tiktok::*;
    /// # let q = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), Region::new("US")?, RankField::Sales, Period::Daily);
    /// assert_eq!(q.created_by_ai(true).ai_filter(), Some(true));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn created_by_ai(mut self, created_by_ai: bool) -> Self {
        self.created_by_ai = Some(created_by_ai);
        self
    }

    /// The page number, from 1 to [`MAX_PAGE`].
    ///
    /// ```
    /// # use keyapi_tiktok::*;
    /// # let q = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), Region::new("US")?, RankField::Sales, Period::Daily);
    /// assert!(q.page(0).validate().is_err());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }

    /// Items per page, from 1 to [`MAX_PAGE_SIZE`].
    ///
    /// ```
    /// # use keyapi_tiktok::*;
    /// # let q = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), Region::new("US")?, RankField::Sales, Period::Daily);
    /// let error = q.page_size(50).validate().unwrap_err();
    /// assert_eq!(error.to_string(), "invalid page_size `50`: expected 1..=10");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn page_size(mut self, page_size: u8) -> Self {
        self.page_size = page_size;
        self
    }

    /// Refuses what the API would reject, naming the parameter, the value and what is
    /// allowed, and a date after [today in UTC+14](VideoRankingQuery::latest_date)
    /// ([`Error::DateAfterToday`]): no ranking anywhere is dated later, so the request
    /// could only spend a credit on an empty page.
    ///
    /// Today and yesterday are accepted. Rankings are published the day after their period
    /// ends, so a ranking dated today is usually not there yet: upstream answers an empty
    /// page, which costs a credit. Yesterday's daily ranking is the latest one published.
    ///
    /// ```
    /// # use keyapi_tiktok::*;
    /// # let q = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), Region::new("US")?, RankField::Sales, Period::Daily);
    /// assert!(q.clone().validate().is_ok());
    /// assert!(q.category("beauty").validate().is_err());
    /// let future = VideoRankingQuery::new(jiff::civil::date(2099, 1, 1), Region::new("US")?, RankField::Sales, Period::Daily);
    /// assert!(matches!(future.validate(), Err(Error::DateAfterToday { .. })));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        self.validate_at(Timestamp::now())
    }

    /// [`validate`](VideoRankingQuery::validate) as it would be at the instant `now`.
    ///
    /// ```
    /// # use keyapi_tiktok::*;
    /// let q = VideoRankingQuery::new(jiff::civil::date(2026, 12, 4), Region::new("US")?, RankField::Views, Period::Daily);
    /// // 10:00 UTC is midnight in UTC+14: the 4th has begun there.
    /// assert!(q.validate_at("2026-12-03T09:59:59Z".parse().unwrap()).is_err());
    /// assert!(q.validate_at("2026-12-03T10:00:00Z".parse().unwrap()).is_ok());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn validate_at(&self, now: Timestamp) -> Result<(), Error> {
        let latest = VideoRankingQuery::latest_date(now);
        if self.date > latest {
            return Err(Error::DateAfterToday {
                date: self.date,
                latest,
            });
        }
        if !(1..=MAX_PAGE).contains(&self.page) {
            return Err(Error::invalid_input(
                "page_num",
                self.page,
                format!("1..={MAX_PAGE}"),
            ));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(Error::invalid_input(
                "page_size",
                self.page_size,
                format!("1..={MAX_PAGE_SIZE}"),
            ));
        }
        if let Some(id) = &self.category
            && (id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(Error::invalid_input(
                "product_category_id",
                id,
                "a category id of 1 to 20 digits, such as 601450",
            ));
        }
        Ok(())
    }

    /// The latest date a query may have at the instant `now`: the date in UTC+14, where
    /// each day begins first, so no ranking anywhere is dated later.
    ///
    /// ```
    /// use keyapi_tiktok::VideoRankingQuery;
    /// let now = "2026-12-03T12:00:00Z".parse().unwrap();
    /// assert_eq!(VideoRankingQuery::latest_date(now), jiff::civil::date(2026, 12, 4));
    /// ```
    pub fn latest_date(now: Timestamp) -> Date {
        EARLIEST_CALENDAR.to_datetime(now).date()
    }

    /// The ranking date.
    pub fn date(&self) -> Date {
        self.date
    }
    /// The region.
    pub fn region(&self) -> Region {
        self.region
    }
    /// The metric the ranking is sorted by.
    pub fn rank_field(&self) -> RankField {
        self.rank_field
    }
    /// The ranking period.
    pub fn period(&self) -> Period {
        self.period
    }
    /// The product category filter, if any.
    pub fn category_id(&self) -> Option<&str> {
        self.category.as_deref()
    }
    /// The AI-generated filter, if any.
    pub fn ai_filter(&self) -> Option<bool> {
        self.created_by_ai
    }
    /// The page number.
    pub fn page_number(&self) -> u32 {
        self.page
    }
    /// Items per page.
    pub fn size(&self) -> u8 {
        self.page_size
    }

    /// The rank of the first item on this page: `(page - 1) * page_size + 1`.
    ///
    /// ```
    /// # use keyapi_tiktok::*;
    /// # let q = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), Region::new("US")?, RankField::Sales, Period::Daily);
    /// assert_eq!(q.page(3).page_size(5).first_rank(), 11);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn first_rank(&self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.page_size) + 1
    }

    /// Whether the ranking this query asks for can no longer change, as of `today` (UTC):
    /// more than [`SETTLE_DAYS`] days have passed since its period ended. The cache keeps
    /// settled pages for good and a store never fetches a settled ranking twice.
    ///
    /// A date inside a period (a Wednesday for a weekly ranking) could mean the calendar
    /// period containing it or a period starting on it; the later of the two ends decides,
    /// so a ranking is never taken as settled too early.
    ///
    /// ```
    /// use jiff::civil::date;
    /// use keyapi_tiktok::{Period, RankField, VideoRankingQuery};
    /// let weekly = VideoRankingQuery::new(date(2026, 11, 9), "US".parse()?, RankField::Views, Period::Weekly);
    /// assert!(!weekly.is_settled(date(2026, 11, 18))); // the week ended Sunday the 15th
    /// assert!(weekly.is_settled(date(2026, 11, 19)));
    /// # Ok::<(), keyapi_tiktok::Error>(())
    /// ```
    pub fn is_settled(&self, today: Date) -> bool {
        let (period, date) = (self.period, self.date);
        let calendar_end = period.end_of_period(period.start_of_period(date));
        let length = period.length();
        let window_end = date
            .checked_add(length)
            .and_then(|next| next.checked_sub(jiff::Span::new().days(1)));
        let Ok(window_end) = window_end else {
            return false;
        };
        calendar_end
            .max(window_end)
            .checked_add(jiff::Span::new().days(SETTLE_DAYS))
            .is_ok_and(|settled| today > settled)
    }

    /// Every parameter in a fixed order, for cache keys.
    #[cfg(feature = "cache")]
    pub(crate) fn canonical(&self) -> String {
        let ai = self
            .created_by_ai
            .map_or("", |ai| if ai { "true" } else { "false" });
        format!(
            "date={}&region={}&video_rank_field={}&rank_type={}&product_category_id={}&created_by_ai={ai}&page_num={}&page_size={}",
            self.date,
            self.region,
            self.rank_field.code(),
            self.period.code(),
            self.category.as_deref().unwrap_or(""),
            self.page,
            self.page_size,
        )
    }

    /// Whether the date is the conventional start of its period (see [`Period`]).
    pub(crate) fn date_starts_period(&self) -> bool {
        self.period.start_of_period(self.date) == self.date
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn query(day: Date, period: Period) -> VideoRankingQuery {
        VideoRankingQuery::new(day, "US".parse().unwrap(), RankField::Views, period)
    }

    #[test]
    fn settling_follows_the_end_of_each_period() {
        let daily = query(date(2026, 11, 20), Period::Daily);
        assert!(!daily.is_settled(date(2026, 11, 23)));
        assert!(daily.is_settled(date(2026, 11, 24)));
        let monthly = query(date(2026, 10, 1), Period::Monthly);
        assert!(!monthly.is_settled(date(2026, 11, 3)));
        assert!(monthly.is_settled(date(2026, 11, 4)));
        let weekly = query(date(2026, 11, 9), Period::Weekly);
        assert!(!weekly.is_settled(date(2026, 11, 18)));
        assert!(weekly.is_settled(date(2026, 11, 19)));
    }

    #[test]
    fn a_date_inside_a_period_waits_for_the_latest_period_it_could_mean() {
        // Wednesday the 11th: the calendar week ends Sunday the 15th, a week starting on
        // the 11th ends Tuesday the 17th; the later end decides.
        let weekly = query(date(2026, 11, 11), Period::Weekly);
        assert!(!weekly.is_settled(date(2026, 11, 20)));
        assert!(weekly.is_settled(date(2026, 11, 21)));
        // The 15th of October: the month ends the 31st, a month from the 15th the 14th of
        // November.
        let monthly = query(date(2026, 10, 15), Period::Monthly);
        assert!(!monthly.is_settled(date(2026, 11, 17)));
        assert!(monthly.is_settled(date(2026, 11, 18)));
        // The last day of January: a month from it ends on the 27th of February.
        let monthly = query(date(2026, 1, 31), Period::Monthly);
        assert!(!monthly.is_settled(date(2026, 3, 2)));
        assert!(monthly.is_settled(date(2026, 3, 3)));
    }
}
