//! Whether a query may be sent: the ranges the API serves, the category's shape, and no
//! date after today anywhere on Earth.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::Offset;

use super::{MAX_PAGE, MAX_PAGE_SIZE, VideoRankingQuery};
use crate::Error;

/// The earliest calendar on Earth (Kiribati's Line Islands): no place has a later date, so
/// no ranking can be dated after today there.
const EARLIEST_CALENDAR: Offset = Offset::constant(14);

impl VideoRankingQuery {
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
}
