//! What to sync: the plan (dates × regions × fields × periods), its validation, and the
//! rankings it expands to.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;
use keyapi_tiktok::{MAX_PAGE, MAX_PAGE_SIZE, Period, RankField, Region, VideoRankingQuery};
use serde::Serialize;

use crate::{DateRange, StoreError};

/// The most videos a ranking can hold: every page the API serves, ten a page.
pub const MAX_LIMIT: u64 = MAX_PAGE as u64 * MAX_PAGE_SIZE as u64;

/// The most rankings a plan may hold: 100,000, seven years of daily, weekly and monthly
/// rankings by views and by sales in the sixteen regions seen upstream. A larger plan is
/// refused (split it into several syncs): its status would be walked ranking by ranking
/// before anything is sent, and a typo such as a year 0001 should cost an error, not
/// hours.
pub const MAX_PLAN_RANKINGS: usize = 100_000;

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
/// assert_eq!(plan.rankings().count(), (30 + 5 + 1) * 2);
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

    /// Every ranking of the plan, each once, ordered by date, then region, field, period,
    /// made one at a time (memory does not grow with the plan). Duplicate regions, fields
    /// or periods are asked once.
    pub fn rankings(&self) -> impl Iterator<Item = RankingKey> + '_ {
        let mut regions = self.regions.clone();
        regions.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        regions.dedup();
        let mut fields = self.fields.clone();
        fields.sort_by_key(|field| field.code());
        fields.dedup();
        let mut periods = self.periods.clone();
        periods.sort_by_key(|period| period.code());
        periods.dedup();
        self.dates.days().flat_map(move |date| {
            let periods: Vec<Period> = periods
                .iter()
                .copied()
                .filter(|period| period.start_of_period(date) == date)
                .collect();
            let (regions, fields) = (regions.clone(), fields.clone());
            regions.into_iter().flat_map(move |region| {
                let periods = periods.clone();
                fields.clone().into_iter().flat_map(move |field| {
                    periods.clone().into_iter().map(move |period| RankingKey {
                        category: self.category.clone(),
                        ai: self.ai,
                        ..RankingKey::new(date, region, field, period)
                    })
                })
            })
        })
    }

    /// How many rankings [`rankings`](SyncPlan::rankings) makes, counted without making
    /// them (saturating).
    ///
    /// ```
    /// use keyapi_tiktok::Period;
    /// use keyapi_tiktok_store::SyncPlan;
    /// let plan = SyncPlan::new("2026-11-01..2026-11-30".parse()?)
    ///     .regions(["US".parse()?, "GB".parse()?])
    ///     .periods([Period::Daily, Period::Weekly, Period::Monthly]);
    /// assert_eq!(plan.ranking_count(), (30 + 5 + 1) * 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ranking_count(&self) -> u64 {
        let distinct = |mut names: Vec<&str>| {
            names.sort_unstable();
            names.dedup();
            names.len() as u64
        };
        let regions = distinct(self.regions.iter().map(Region::as_str).collect());
        let fields = distinct(self.fields.iter().map(|field| field.as_str()).collect());
        let mut periods = self.periods.clone();
        periods.sort_by_key(|period| period.code());
        periods.dedup();
        let dates: u64 = periods
            .into_iter()
            .map(|period| self.dates_of(period))
            .fold(0, u64::saturating_add);
        dates.saturating_mul(regions).saturating_mul(fields)
    }

    /// How many dates of the range a `period`'s rankings are dated on.
    fn dates_of(&self, period: Period) -> u64 {
        let (start, end) = (self.dates.start(), self.dates.end());
        let mut first = period.start_of_period(start);
        if first < start {
            match first.checked_add(period.length()) {
                Ok(next) => first = next,
                Err(_) => return 0,
            }
        }
        if first > end {
            return 0;
        }
        let unit = match period {
            Period::Weekly => jiff::Unit::Week,
            Period::Monthly => jiff::Unit::Month,
            _ => jiff::Unit::Day,
        };
        let periods_after_first = first.until((unit, end)).map_or(0, |span| match unit {
            jiff::Unit::Week => span.get_weeks(),
            jiff::Unit::Month => span.get_months(),
            _ => span.get_days(),
        });
        u64::try_from(periods_after_first).unwrap_or(0) + 1
    }

    /// Refuses a plan that cannot be fetched, before anything is sent: no region, field or
    /// period; a date in the future (later than today anywhere on Earth, in UTC+14, at
    /// `now`); a limit outside 1..=[`MAX_LIMIT`]; an invalid category; a plan whose range
    /// holds no date of its periods (a weekly plan without a Monday); a plan of more than
    /// [`MAX_PLAN_RANKINGS`] rankings (counted up to the bound, so refused at once).
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
        if self.ranking_count() > MAX_PLAN_RANKINGS as u64 {
            return Err(StoreError::invalid_plan(format!(
                "{} holds more than {MAX_PLAN_RANKINGS} rankings, the most one plan may \
                 hold (MAX_PLAN_RANKINGS): split it into several syncs",
                self.dates
            )));
        }
        let first = self.rankings().next();
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
pub(crate) use crate::dates::today as today_utc;

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
    fn the_count_of_rankings_is_the_number_made() {
        for (dates, periods) in [
            (
                "2026-10-28..2026-12-01",
                &[Period::Weekly, Period::Monthly][..],
            ),
            (
                "2026-11-02..2026-11-02",
                &[Period::Weekly, Period::Monthly][..],
            ),
            (
                "2026-11-03..2026-11-08",
                &[Period::Weekly, Period::Monthly][..],
            ),
            (
                "2024-01-31..2026-03-01",
                &[Period::Daily, Period::Weekly, Period::Monthly][..],
            ),
            (
                "2026-11-29..2026-12-01",
                &[Period::Daily, Period::Daily][..],
            ),
        ] {
            let plan = plan(dates, periods)
                .regions([
                    "US".parse().unwrap(),
                    "GB".parse().unwrap(),
                    "us".parse().unwrap(),
                ])
                .fields([RankField::Views, RankField::Sales, RankField::Views]);
            assert_eq!(
                plan.ranking_count(),
                plan.rankings().count() as u64,
                "{dates} {periods:?}"
            );
        }
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
    fn a_plan_larger_than_the_bound_is_refused_naming_it() {
        let now: Timestamp = "2026-12-01T11:00:00Z".parse().unwrap();
        let error = plan("0001-01-01..2026-01-01", &[Period::Daily])
            .validate(now)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid plan: 0001-01-01..2026-01-01 holds more than 100000 rankings, the most \
             one plan may hold (MAX_PLAN_RANKINGS): split it into several syncs"
        );
        // Monthly rankings over the same dates are fewer than the bound.
        assert!(
            plan("0001-01-01..2026-01-01", &[Period::Monthly])
                .validate(now)
                .is_ok()
        );
        // Exactly the bound is accepted: 100,000 days is 273 years of one daily ranking.
        let start = date(2026, 11, 30)
            .checked_sub(jiff::Span::new().days(MAX_PLAN_RANKINGS as i64 - 1))
            .unwrap();
        let largest = plan(&format!("{start}..2026-11-30"), &[Period::Daily]);
        assert!(largest.validate(now).is_ok());
        assert_eq!(largest.ranking_count(), MAX_PLAN_RANKINGS as u64);
        let start = start.checked_sub(jiff::Span::new().days(1)).unwrap();
        assert!(
            plan(&format!("{start}..2026-11-30"), &[Period::Daily])
                .validate(now)
                .is_err()
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
