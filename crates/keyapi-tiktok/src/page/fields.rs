//! The table of upstream item fields: which field of [`RankedVideo`] each lands in, and
//! the JSON type the spec documents for it. The rescue, the conformance report and the
//! drift tests all read this one table.

use super::RankedVideo;

/// How one upstream item field maps onto [`RankedVideo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldMapping {
    /// The upstream name.
    pub wire: &'static str,
    /// The field here; `history.views` names a field of [`RankedVideo::history`].
    pub field: &'static str,
    /// The JSON type the spec documents; `None` for fields upstream sends undocumented.
    pub documented_type: Option<&'static str>,
}

impl RankedVideo {
    /// Every upstream field this type maps: the documented fields, with the JSON type the
    /// spec gives them, then the undocumented all-time totals.
    ///
    /// ```
    /// use keyapi_tiktok::RankedVideo;
    /// let likes = RankedVideo::FIELDS.iter().find(|m| m.wire == "total_digg_cnt").unwrap();
    /// assert_eq!((likes.field, likes.documented_type), ("likes", Some("integer")));
    /// ```
    pub const FIELDS: &'static [FieldMapping] = &[
        FieldMapping {
            wire: "avatar",
            field: "avatar_url",
            documented_type: Some("string"),
        },
        FieldMapping {
            wire: "category",
            field: "category",
            documented_type: Some("string"),
        },
        FieldMapping {
            wire: "create_time",
            field: "created_at",
            documented_type: Some("string"),
        },
        FieldMapping {
            wire: "created_by_ai",
            field: "created_by_ai",
            documented_type: Some("string"),
        },
        FieldMapping {
            wire: "duration",
            field: "duration_secs",
            documented_type: Some("integer"),
        },
        FieldMapping {
            wire: "nick_name",
            field: "nick_name",
            documented_type: Some("string"),
        },
        FieldMapping {
            wire: "product_category_list",
            field: "product_categories",
            documented_type: Some("string"),
        },
        FieldMapping {
            wire: "reflow_cover",
            field: "cover_url",
            documented_type: Some("string"),
        },
        FieldMapping {
            wire: "region",
            field: "region",
            documented_type: Some("string"),
        },
        FieldMapping {
            wire: "sales_flag",
            field: "sales_method",
            documented_type: Some("integer"),
        },
        FieldMapping {
            wire: "total_comments_cnt",
            field: "comments",
            documented_type: Some("integer"),
        },
        FieldMapping {
            wire: "total_digg_cnt",
            field: "likes",
            documented_type: Some("integer"),
        },
        FieldMapping {
            wire: "total_favorites_cnt",
            field: "favorites",
            documented_type: Some("integer"),
        },
        FieldMapping {
            wire: "total_shares_cnt",
            field: "shares",
            documented_type: Some("integer"),
        },
        FieldMapping {
            wire: "total_video_sale_cnt",
            field: "units_sold",
            documented_type: Some("integer"),
        },
        FieldMapping {
            wire: "total_video_sale_gmv_amt",
            field: "gmv",
            documented_type: Some("integer"),
        },
        FieldMapping {
            wire: "total_views_cnt",
            field: "views",
            documented_type: Some("integer"),
        },
        FieldMapping {
            wire: "unique_id",
            field: "unique_id",
            documented_type: Some("string"),
        },
        FieldMapping {
            wire: "user_id",
            field: "user_id",
            documented_type: Some("string"),
        },
        FieldMapping {
            wire: "video_desc",
            field: "description",
            documented_type: Some("string"),
        },
        FieldMapping {
            wire: "video_id",
            field: "video_id",
            documented_type: Some("string"),
        },
        FieldMapping {
            wire: "video_products",
            field: "product_ids",
            documented_type: Some("string"),
        },
        FieldMapping {
            wire: "total_views_history_cnt",
            field: "history.views",
            documented_type: None,
        },
        FieldMapping {
            wire: "total_digg_history_cnt",
            field: "history.likes",
            documented_type: None,
        },
        FieldMapping {
            wire: "total_comments_history_cnt",
            field: "history.comments",
            documented_type: None,
        },
        FieldMapping {
            wire: "total_favorites_history_cnt",
            field: "history.favorites",
            documented_type: None,
        },
        FieldMapping {
            wire: "total_shares_history_cnt",
            field: "history.shares",
            documented_type: None,
        },
        FieldMapping {
            wire: "total_video_sale_history_cnt",
            field: "history.units_sold",
            documented_type: None,
        },
        FieldMapping {
            wire: "total_video_sale_gmv_history_amt",
            field: "history.gmv",
            documented_type: None,
        },
    ];
}
