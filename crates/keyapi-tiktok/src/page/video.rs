//! What one ranked video is: [`RankedVideo`] and the value types its fields hold.

use std::fmt;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value};
use url::Url;

/// One ranked video with every stringly upstream field turned into a real type.
///
/// Counts are the increments within the ranking's period (a daily ranking's `views` are
/// that day's views); the all-time totals that upstream sends beside them, undocumented,
/// are in [`history`](RankedVideo::history). A value that cannot be read leaves its field
/// empty and adds an entry to [`issues`](RankedVideo::issues) instead of failing the page.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RankedVideo {
    /// Position in the ranking, from 1, derived from the page and the position on it.
    pub rank: u64,
    /// TikTok video id (`video_id`), digits kept exactly.
    pub video_id: String,
    /// TikTok user id of the creator (`user_id`).
    pub user_id: Option<String>,
    /// The creator's handle, without `@` (`unique_id`).
    pub unique_id: Option<String>,
    /// The creator's display name (`nick_name`).
    pub nick_name: Option<String>,
    /// Region code of the video (`region`).
    pub region: Option<String>,
    /// The creator's category (`category`).
    pub category: Option<String>,
    /// The caption (`video_desc`).
    pub description: Option<String>,
    /// When the video was posted (`create_time`, unix seconds sent as a string).
    pub created_at: Option<Timestamp>,
    /// Length in seconds (`duration`).
    pub duration_secs: Option<u64>,
    /// Whether the video is AI-generated (`created_by_ai`, `"true"`/`"false"` upstream).
    pub created_by_ai: Option<bool>,
    /// How the creator mainly sells (`sales_flag`).
    pub sales_method: Option<SalesMethod>,
    /// Views in the period (`total_views_cnt`).
    pub views: Option<u64>,
    /// Likes in the period (`total_digg_cnt`).
    pub likes: Option<u64>,
    /// Comments in the period (`total_comments_cnt`).
    pub comments: Option<u64>,
    /// Shares in the period (`total_shares_cnt`).
    pub shares: Option<u64>,
    /// Favourites in the period (`total_favorites_cnt`).
    pub favorites: Option<u64>,
    /// Estimated units sold in the period (`total_video_sale_cnt`).
    pub units_sold: Option<u64>,
    /// Estimated sales value in the period (`total_video_sale_gmv_amt`); decimals kept.
    pub gmv: Option<f64>,
    /// Products sold in the video (`video_products`, a JSON list inside a string), with
    /// their exact digits.
    pub product_ids: Vec<ProductId>,
    /// Product categories (`product_category_list`, a JSON list inside a string).
    pub product_categories: Vec<ProductCategory>,
    /// Cover image (`reflow_cover`); upstream links expire.
    pub cover_url: Option<MediaUrl>,
    /// The creator's avatar (`avatar`); upstream links expire.
    pub avatar_url: Option<MediaUrl>,
    /// All-time totals, when upstream sends them.
    pub history: HistoryTotals,
    /// Fields this crate does not know, exactly as received.
    pub extra: Map<String, Value>,
    /// Values that could not be read, one entry per field.
    pub issues: Vec<FieldIssue>,
}
impl RankedVideo {
    /// The video's page on tiktok.com.
    ///
    /// ```
    /// # let page = keyapi_tiktok::__doc_example_page();
    /// let video = &page.items[0];
    /// assert_eq!(video.video_url(), "https://www.tiktok.com/@iamjuliocr/video/7601397977986501919");
    /// ```
    pub fn video_url(&self) -> String {
        match &self.unique_id {
            Some(handle) if !handle.is_empty() => {
                format!("https://www.tiktok.com/@{handle}/video/{}", self.video_id)
            }
            // TikTok redirects `@_` to the right creator when the handle is unknown.
            _ => format!("https://www.tiktok.com/@_/video/{}", self.video_id),
        }
    }
}

/// All-time totals sent beside the period counts (undocumented upstream; `None` when absent).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct HistoryTotals {
    /// `total_views_history_cnt`.
    pub views: Option<u64>,
    /// `total_digg_history_cnt`.
    pub likes: Option<u64>,
    /// `total_comments_history_cnt`.
    pub comments: Option<u64>,
    /// `total_favorites_history_cnt`.
    pub favorites: Option<u64>,
    /// `total_shares_history_cnt`.
    pub shares: Option<u64>,
    /// `total_video_sale_history_cnt`.
    pub units_sold: Option<u64>,
    /// `total_video_sale_gmv_history_amt`.
    pub gmv: Option<f64>,
}

/// How a creator mainly sells (`sales_flag`).
///
/// ```
/// use keyapi_tiktok::SalesMethod;
/// assert_eq!(SalesMethod::from_code(2), SalesMethod::Live);
/// assert_eq!(SalesMethod::from_code(7).as_str(), "unknown");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SalesMethod {
    /// `0`: no sales.
    NoSales,
    /// `1`: sales through videos.
    Video,
    /// `2`: sales through live streams.
    Live,
    /// A code the spec does not document, kept.
    Unknown(i64),
}

impl SalesMethod {
    /// Maps the upstream `sales_flag` code.
    pub fn from_code(code: i64) -> SalesMethod {
        match code {
            0 => SalesMethod::NoSales,
            1 => SalesMethod::Video,
            2 => SalesMethod::Live,
            other => SalesMethod::Unknown(other),
        }
    }

    /// `none`, `video`, `live` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            SalesMethod::NoSales => "none",
            SalesMethod::Video => "video",
            SalesMethod::Live => "live",
            SalesMethod::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for SalesMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SalesMethod {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A TikTok Shop product id, with its exact digits (they exceed 2^53, so never an `f64`).
///
/// ```
/// # let page = keyapi_tiktok::__doc_example_page();
/// assert_eq!(page.items[0].product_ids[0].as_str(), "1729436418527695003");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ProductId(pub(super) String);

impl ProductId {
    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A link to an image upstream serves (`avatar`, `reflow_cover`), checked to be an
/// absolute `http(s)://` URL without whitespace.
///
/// It is kept as text because parsing each link into a [`url::Url`] costs more than
/// decoding the rest of the page; [`MediaUrl::to_url`] does that when it is needed.
///
/// ```
/// # let page = keyapi_tiktok::__doc_example_page();
/// let cover = page.items[0].cover_url.as_ref().unwrap();
/// assert_eq!(cover.to_url().unwrap().host_str(), Some("echosell-images.tos-ap-southeast-1.volces.com"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct MediaUrl(String);

impl MediaUrl {
    /// Checks `link` (surrounding whitespace removed).
    ///
    /// ```
    /// use keyapi_tiktok::MediaUrl;
    /// assert!(MediaUrl::new("https://example.com/a.jpg").is_some());
    /// assert!(MediaUrl::new("not a url").is_none());
    /// ```
    pub fn new(link: &str) -> Option<MediaUrl> {
        let link = link.trim();
        MediaUrl::is_link(link).then(|| MediaUrl(link.to_owned()))
    }

    /// Takes `link` (surrounding whitespace removed), checked once and copied only when it
    /// had such whitespace; gives it back when it is not a link.
    pub(super) fn from_string(link: String) -> Result<MediaUrl, String> {
        let trimmed = link.trim();
        if !MediaUrl::is_link(trimmed) {
            return Err(link);
        }
        if trimmed.len() == link.len() {
            Ok(MediaUrl(link))
        } else {
            Ok(MediaUrl(trimmed.to_owned()))
        }
    }

    pub(super) fn is_link(link: &str) -> bool {
        let scheme = if link
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        {
            8
        } else if link
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        {
            7
        } else {
            return false;
        };
        // ASCII whitespace and control characters are exactly the bytes up to b' ' and DEL;
        // a fold without early exit compiles to a vector loop (links run to 300 bytes).
        let unfit = link
            .bytes()
            .fold(false, |unfit, b| unfit | (b <= b' ') | (b == 0x7f));
        link.len() > scheme && !link[scheme..].starts_with('/') && !unfit
    }

    /// The link as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The link parsed into a [`url::Url`].
    pub fn to_url(&self) -> Result<Url, url::ParseError> {
        Url::parse(&self.0)
    }
}

impl fmt::Display for MediaUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<MediaUrl> for String {
    fn from(link: MediaUrl) -> String {
        link.0
    }
}

/// A product category from `product_category_list`.
///
/// ```
/// # let page = keyapi_tiktok::__doc_example_page();
/// let category = &page.items[0].product_categories[0];
/// assert_eq!((category.id.as_str(), category.name.as_str()), ("601450", "Beauty & Personal Care"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct ProductCategory {
    /// `category_id`.
    pub id: String,
    /// `category_name`.
    pub name: String,
}
/// A value that could not be read; its field was left empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldIssue {
    /// The upstream field name.
    pub field: String,
    /// The value as received (at most 256 bytes).
    pub value: String,
    /// Why it was not usable.
    pub problem: String,
}
