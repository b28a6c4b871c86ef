//! [`RankField`]: which metric a ranking is sorted by.

use serde::Serialize;

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

name_conversions!(RankField, "video_rank_field");
