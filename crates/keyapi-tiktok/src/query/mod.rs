//! What to ask for: the typed query for one page of a video ranking, built from the four
//! required choices and refined; its parts (`rank_field.rs`, `period.rs`, `region.rs`) and
//! rules (`validate.rs`: what may be sent; `settle.rs`: when a ranking is final) beside it.

use jiff::civil::Date;
use serde::Serialize;

/// `Display` and `FromStr` by the variants' lower-case names, for [`RankField`] and [`Period`].
macro_rules! name_conversions {
    ($ty:ident, $what:literal) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = crate::Error;

            fn from_str(s: &str) -> Result<Self, crate::Error> {
                $ty::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
                    .ok_or_else(|| {
                        let names: Vec<&str> = $ty::ALL.iter().map(|v| v.as_str()).collect();
                        crate::Error::invalid_input(
                            $what,
                            s,
                            format!("one of {}", names.join(", ")),
                        )
                    })
            }
        }
    };
}

mod period;
mod rank_field;
mod region;
mod settle;
mod validate;

pub use period::Period;
pub use rank_field::RankField;
pub use region::Region;
pub use settle::SETTLE_DAYS;

/// The highest page number the API serves.
pub const MAX_PAGE: u32 = 100_000;
/// The largest page the API serves.
pub const MAX_PAGE_SIZE: u8 = 10;

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
