//! What to sync: the plan (dates × regions × fields × periods), its validation, and the
//! rankings it expands to.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use keyapi_tiktok::{MAX_PAGE, MAX_PAGE_SIZE, Period, RankField, Region, VideoRankingQuery};
use serde::Serialize;

use crate::StoreError;

/// The most videos a ranking can hold: every page the API serves, ten a page.
pub const MAX_LIMIT: u64 = MAX_PAGE as u64 * MAX_PAGE_SIZE as u64;

/// Dates from `start` to `end`, both included; parsed from `2026-11-01..2026-11-30` or
/// from one date.
///
/// ```
/// use keyapi_tiktok_store::DateRange;
/// let november: DateRange = "2026-11-01..2026-11-30".parse()?;
/// assert_eq!(november.days().count(), 30);
/// let one: DateRange = "2026-11-24".parse()?;
/// assert_eq!(one.start(), one.end());
/// assert!("2026-11-30..2026-11-01".parse::<DateRange>().is_err()); // the end before the start
/// # Ok::<(), keyapi_tiktok_store::StoreError>(())
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

impl FromStr for DateRange {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<DateRange, StoreError> {
        let date = |part: &str| {
            part.trim().parse::<Date>().map_err(|_| {
                StoreError::invalid_plan(format!(
                    "`{part}` is not a date: expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD"
                ))
            })
        };
        match text.split_once("..") {
            Some((start, end)) => DateRange::new(date(start)?, date(end)?),
            None => Ok(DateRange::day(date(text)?)),
        }
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

/// One ranking as the store keys it: what a [`VideoRankingQuery`] asks for, without the
/// page.
///
/// ```
/// use jiff::civil::date;
/// use keyapi_tiktok::{Period, RankField};
/// use keyapi_tiktok_store::RankingKey;
/// let key = RankingKey::new(date(2026, 11, 23), "US".parse()?, RankField::Views, Period::Weekly);
/// assert_eq!(key.previous().unwrap().date, date(2026, 11, 16));
/// # Ok::<(), keyapi_tiktok::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct RankingKey {
    /// The ranking's date (a Monday for weekly rankings, a 1st for monthly ones).
    pub date: Date,
    /// The region.
    pub region: Region,
    /// The metric it is sorted by.
    pub field: RankField,
    /// The period.
    pub period: Period,
    /// The product category filter, if any.
    pub category: Option<String>,
    /// The AI-generated filter, if any.
    pub ai: Option<bool>,
}

impl RankingKey {
    /// A ranking without filters.
    pub fn new(date: Date, region: Region, field: RankField, period: Period) -> RankingKey {
        RankingKey {
            date,
            region,
            field,
            period,
            category: None,
            ai: None,
        }
    }

    /// The query for the ranking's first page, ten videos a page.
    pub fn query(&self) -> VideoRankingQuery {
        let mut query = VideoRankingQuery::new(self.date, self.region, self.field, self.period);
        if let Some(category) = &self.category {
            query = query.category(category.clone());
        }
        if let Some(ai) = self.ai {
            query = query.created_by_ai(ai);
        }
        query
    }

    /// The same ranking one period earlier (the day, week or month before), the one
    /// [`movers`](crate::Store::movers) compares with; `None` before the first date jiff
    /// knows.
    pub fn previous(&self) -> Option<RankingKey> {
        let date = self.date.checked_sub(self.period.length()).ok()?;
        Some(RankingKey {
            date,
            ..self.clone()
        })
    }
}

impl RankingKey {
    /// Date, region, field, period: the order of plans and reports.
    fn order(&self) -> (Date, &str, i64, i64) {
        (
            self.date,
            self.region.as_str(),
            self.field.code(),
            self.period.code(),
        )
    }
}

impl fmt::Display for RankingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} by {}",
            self.date, self.period, self.region, self.field
        )?;
        if let Some(category) = &self.category {
            write!(f, " category {category}")?;
        }
        if let Some(ai) = self.ai {
            write!(f, " ai {ai}")?;
        }
        Ok(())
    }
}

/// What to sync: every combination of the dates, regions, fields and periods, each
/// ranking up to `limit` videos.
///
/// Weekly rankings are dated on Mondays and monthly ones on the 1st (see
/// [`Period`]), so for those periods only the range's Mondays and 1sts are asked.
///
/// ```
/// use keyapi_tiktok::{Period, RankField};
/// use keyapi_tiktok_store::SyncPlan;
/// let plan = SyncPlan::new("2026-11-01..2026-11-30".parse()?)
///     .regions(["US".parse()?, "GB".parse()?])
///     .fields([RankField::Views])
///     .periods([Period::Daily, Period::Weekly, Period::Monthly])
///     .limit(50);
/// // 30 days + 5 Mondays + 1 first of the month, for 2 regions.
/// assert_eq!(plan.rankings().len(), (30 + 5 + 1) * 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SyncPlan {
    /// The dates.
    pub dates: DateRange,
    /// The regions (none is an invalid plan).
    pub regions: Vec<Region>,
    /// The fields rankings are sorted by (none is an invalid plan).
    pub fields: Vec<RankField>,
    /// The periods (none is an invalid plan).
    pub periods: Vec<Period>,
    /// The product category filter, if any.
    pub category: Option<String>,
    /// The AI-generated filter, if any.
    pub ai: Option<bool>,
    /// Videos per ranking, from 1 to [`MAX_LIMIT`]; whole pages of ten are stored, so the
    /// last page may hold up to nine more.
    pub limit: u64,
}

impl SyncPlan {
    /// The default number of videos per ranking.
    pub const DEFAULT_LIMIT: u64 = 100;

    /// A plan for these dates, daily rankings by views in no region yet, up to
    /// [`DEFAULT_LIMIT`](SyncPlan::DEFAULT_LIMIT) videos each.
    pub fn new(dates: DateRange) -> SyncPlan {
        SyncPlan {
            dates,
            regions: Vec::new(),
            fields: vec![RankField::Views],
            periods: vec![Period::Daily],
            category: None,
            ai: None,
            limit: SyncPlan::DEFAULT_LIMIT,
        }
    }

    /// These regions.
    pub fn regions(mut self, regions: impl IntoIterator<Item = Region>) -> SyncPlan {
        self.regions = regions.into_iter().collect();
        self
    }

    /// These fields.
    pub fn fields(mut self, fields: impl IntoIterator<Item = RankField>) -> SyncPlan {
        self.fields = fields.into_iter().collect();
        self
    }

    /// These periods.
    pub fn periods(mut self, periods: impl IntoIterator<Item = Period>) -> SyncPlan {
        self.periods = periods.into_iter().collect();
        self
    }

    /// Only this product category.
    pub fn category(mut self, id: impl Into<String>) -> SyncPlan {
        self.category = Some(id.into());
        self
    }

    /// Only AI-generated videos (`true`) or only the others (`false`).
    pub fn ai(mut self, ai: bool) -> SyncPlan {
        self.ai = Some(ai);
        self
    }

    /// Up to this many videos per ranking.
    pub fn limit(mut self, videos: u64) -> SyncPlan {
        self.limit = videos;
        self
    }

    /// The pages each ranking needs: `ceil(limit / 10)`, saturated at the API's last page.
    pub fn pages_per_ranking(&self) -> u32 {
        let pages = self.limit.div_ceil(u64::from(MAX_PAGE_SIZE));
        u32::try_from(pages).unwrap_or(MAX_PAGE).min(MAX_PAGE)
    }

    /// Every ranking of the plan, each once, ordered by date, then region, field, period.
    /// Duplicate regions, fields or periods are asked once.
    pub fn rankings(&self) -> Vec<RankingKey> {
        let mut rankings = Vec::new();
        for date in self.dates.days() {
            for &region in &self.regions {
                for &field in &self.fields {
                    for &period in &self.periods {
                        if period.start_of_period(date) != date {
                            continue;
                        }
                        rankings.push(RankingKey {
                            category: self.category.clone(),
                            ai: self.ai,
                            ..RankingKey::new(date, region, field, period)
                        });
                    }
                }
            }
        }
        rankings.sort_by(|a, b| a.order().cmp(&b.order()));
        rankings.dedup();
        rankings
    }

    /// Refuses a plan that cannot be fetched, before anything is sent: no region, field or
    /// period; a date in the future (later than today anywhere on Earth, in UTC+14, at
    /// `now`); a limit outside 1..=[`MAX_LIMIT`]; an invalid category; a plan whose range
    /// holds no date of its periods (a weekly plan without a Monday).
    ///
    /// ```
    /// use keyapi_tiktok_store::SyncPlan;
    /// let now: jiff::Timestamp = "2026-12-01T12:00:00Z".parse()?;
    /// // Noon UTC on the 1st is 2 a.m. on the 2nd in UTC+14: the 3rd is in the future.
    /// let plan = SyncPlan::new("2026-11-30..2026-12-05".parse()?).regions(["US".parse()?]);
    /// let error = plan.validate(now).unwrap_err();
    /// assert_eq!(error.to_string(), "invalid plan: 2026-12-03 is in the future");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self, now: Timestamp) -> Result<(), StoreError> {
        let missing = [
            (self.regions.is_empty(), "a region"),
            (self.fields.is_empty(), "a field to rank by"),
            (self.periods.is_empty(), "a period"),
        ];
        if let Some((_, what)) = missing.iter().find(|(empty, _)| *empty) {
            return Err(StoreError::invalid_plan(format!("the plan needs {what}")));
        }
        let latest = VideoRankingQuery::latest_date(now);
        if self.dates.end() > latest {
            let first_future = self.dates.start().max(
                latest
                    .checked_add(jiff::Span::new().days(1))
                    .unwrap_or(latest),
            );
            return Err(StoreError::invalid_plan(format!(
                "{first_future} is in the future"
            )));
        }
        if !(1..=MAX_LIMIT).contains(&self.limit) {
            return Err(StoreError::invalid_plan(format!(
                "the limit {} is outside 1..={MAX_LIMIT}",
                self.limit
            )));
        }
        let first = self.rankings().into_iter().next();
        let Some(first) = first else {
            return Err(StoreError::invalid_plan(format!(
                "{} holds no date of the plan's periods (weekly rankings are dated on Mondays, monthly ones on the 1st)",
                self.dates
            )));
        };
        first
            .query()
            .validate()
            .map_err(|error| StoreError::invalid_plan(error.to_string()))
    }
}

/// Today's date in UTC, which [`VideoRankingQuery::is_settled`] counts from.
pub(crate) fn today_utc(now: Timestamp) -> Date {
    now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn plan(dates: &str, periods: &[Period]) -> SyncPlan {
        SyncPlan::new(dates.parse().unwrap())
            .regions(["US".parse().unwrap()])
            .periods(periods.iter().copied())
    }

    fn dates(plan: &SyncPlan, period: Period) -> Vec<Date> {
        plan.rankings()
            .into_iter()
            .filter(|key| key.period == period)
            .map(|key| key.date)
            .collect()
    }

    #[test]
    fn weekly_rankings_are_the_mondays_and_monthly_ones_the_firsts_in_the_range() {
        let plan = plan("2026-10-28..2026-12-01", &[Period::Weekly, Period::Monthly]);
        assert_eq!(
            dates(&plan, Period::Weekly),
            [
                date(2026, 11, 2),
                date(2026, 11, 9),
                date(2026, 11, 16),
                date(2026, 11, 23),
                date(2026, 11, 30)
            ]
        );
        assert_eq!(
            dates(&plan, Period::Monthly),
            [date(2026, 11, 1), date(2026, 12, 1)]
        );
    }

    #[test]
    fn daily_rankings_are_every_date_and_duplicates_are_asked_once() {
        let plan = plan("2026-11-29..2026-12-01", &[Period::Daily, Period::Daily])
            .regions(["US".parse().unwrap(), "us".parse().unwrap()]);
        assert_eq!(
            dates(&plan, Period::Daily),
            [date(2026, 11, 29), date(2026, 11, 30), date(2026, 12, 1)]
        );
    }

    #[test]
    fn a_range_is_one_date_or_two_joined_by_two_dots() {
        let range: DateRange = " 2026-11-01 .. 2026-11-03 ".parse().unwrap();
        assert_eq!(
            (range.start(), range.end()),
            (date(2026, 11, 1), date(2026, 11, 3))
        );
        assert_eq!(range.to_string(), "2026-11-01..2026-11-03");
        let day: DateRange = "2026-02-28".parse().unwrap();
        assert_eq!(day.days().collect::<Vec<_>>(), [date(2026, 2, 28)]);
        for bad in [
            "",
            "2026-11-01..",
            "..2026-11-01",
            "2026-13-01",
            "2026-11-01...2026-11-02",
            "yesterday",
        ] {
            assert!(bad.parse::<DateRange>().is_err(), "{bad}");
        }
        let error = "2026-11-02..2026-11-01".parse::<DateRange>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid plan: the range 2026-11-02..2026-11-01 ends before it starts"
        );
    }

    #[test]
    fn validation_refuses_what_cannot_be_fetched() {
        let now: Timestamp = "2026-12-01T11:00:00Z".parse().unwrap();
        // 11:00 UTC is 01:00 on the 2nd in UTC+14: the 2nd is today somewhere.
        assert!(plan("2026-12-02", &[Period::Daily]).validate(now).is_ok());
        let message = |plan: SyncPlan| plan.validate(now).unwrap_err().to_string();
        assert_eq!(
            message(plan("2026-12-01..2026-12-04", &[Period::Daily])),
            "invalid plan: 2026-12-03 is in the future"
        );
        assert_eq!(
            message(plan("2026-11-03..2026-11-05", &[Period::Weekly])),
            "invalid plan: 2026-11-03..2026-11-05 holds no date of the plan's periods (weekly rankings are dated on Mondays, monthly ones on the 1st)"
        );
        assert_eq!(
            message(plan("2026-11-03", &[])),
            "invalid plan: the plan needs a period"
        );
        assert_eq!(
            message(plan("2026-11-03", &[Period::Daily]).regions([])),
            "invalid plan: the plan needs a region"
        );
        assert_eq!(
            message(plan("2026-11-03", &[Period::Daily]).limit(0)),
            "invalid plan: the limit 0 is outside 1..=1000000"
        );
        assert!(
            message(plan("2026-11-03", &[Period::Daily]).category("beauty"))
                .contains("product_category_id")
        );
    }

    #[test]
    fn pages_per_ranking_round_up_and_saturate() {
        let base = plan("2026-11-03", &[Period::Daily]);
        assert_eq!(base.clone().limit(1).pages_per_ranking(), 1);
        assert_eq!(base.clone().limit(25).pages_per_ranking(), 3);
        assert_eq!(base.limit(u64::MAX).pages_per_ranking(), MAX_PAGE);
    }
}
