//! When a ranking is settled (final): the rule the cache and the store share.

use jiff::civil::Date;

use super::VideoRankingQuery;

/// Days after a period ends before its ranking is taken as settled (final): rankings are
/// published the day after (T+1), and this leaves room for late corrections.
pub const SETTLE_DAYS: i64 = 3;

impl VideoRankingQuery {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Period, RankField};
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
