//! What comes back: typed pages of ranked videos, and the normalisation that turns the
//! API's stringly fields into real types.
//!
//! Two decoding paths share one normaliser. The fast path decodes with the generated
//! (spec-exact) types. When upstream drifts from its own spec (a number sent as a string, a
//! decimal GMV, a raw control character) that decode fails, and [`decode_drifted`] coerces
//! each item back into the spec's shape field by field, so one bad field degrades that
//! field alone, recorded in [`RankedVideo::issues`], and never loses the page.

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;
use keyapi_tiktok_openapi::types;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::VideoRankingQuery;
use crate::error::{ApiFailure, Error};

/// One page of a ranking, as returned by [`Client::video_ranking_page`](crate::Client::video_ranking_page).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Page {
    /// The page number asked for.
    pub page: u32,
    /// The page size asked for; a page with fewer items is the last one.
    pub page_size: u8,
    /// The upstream `requestId`, when the response carried one.
    pub request_id: Option<String>,
    /// The videos, in rank order.
    pub items: Vec<RankedVideo>,
}

impl Page {
    /// Whether this page ends the ranking (it is shorter than the page size).
    ///
    /// ```
    /// let page = keyapi_tiktok::Page { page: 1, page_size: 10, request_id: None, items: vec![] };
    /// assert!(page.is_last());
    /// ```
    pub fn is_last(&self) -> bool {
        self.items.len() < usize::from(self.page_size)
    }

    /// Decodes a response body the way the client does: spec-exact first, then field by
    /// field when upstream has drifted from its spec. Ranks are derived from `query`.
    ///
    /// ```
    /// # use keyapi_tiktok::*;
    /// let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), Region::new("US")?, RankField::Views, Period::Daily);
    /// let page = Page::from_body(br#"{"code":0,"message":"success","data":[{"video_id":"7"}],"requestId":"r"}"#, &query)?;
    /// assert_eq!((page.items[0].rank, page.items[0].video_id.as_str()), (1, "7"));
    ///
    /// let error = Page::from_body(br#"{"code":402,"message":"apiKey quota is not enough","data":null}"#, &query).unwrap_err();
    /// assert!(matches!(error, Error::CreditsExhausted(_)));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn from_body(body: &[u8], query: &VideoRankingQuery) -> Result<Page, Error> {
        match serde_json::from_slice::<types::VideoRankingResponse>(body) {
            Ok(envelope) => page_from_envelope(envelope, None, query),
            Err(_) => decode_drifted(body, None, query),
        }
    }
}

/// One ranked video with every stringly upstream field turned into a real type.
///
/// Counts are the increments within the ranking's period (a daily ranking's `views` are
/// that day's views); the all-time totals that upstream sends beside them, undocumented,
/// are in [`history`](RankedVideo::history). A value that cannot be read leaves its field
/// empty and adds an entry to [`issues`](RankedVideo::issues) instead of failing the page.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
pub struct ProductId(String);

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

    /// Takes `link` without copying it when it is already trimmed.
    fn from_string(link: String) -> Option<MediaUrl> {
        if link.trim().len() != link.len() {
            return MediaUrl::new(&link);
        }
        MediaUrl::is_link(&link).then_some(MediaUrl(link))
    }

    fn is_link(link: &str) -> bool {
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
        link.len() > scheme
            && !link[scheme..].starts_with('/')
            && !link
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
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
pub struct ProductCategory {
    /// `category_id`.
    pub id: String,
    /// `category_name`.
    pub name: String,
}

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

/// Collects field issues while one item is normalised.
#[derive(Default)]
struct Issues(Vec<FieldIssue>);

impl Issues {
    fn push(&mut self, field: &str, value: impl fmt::Display, problem: impl Into<String>) {
        self.0.push(FieldIssue {
            field: field.to_owned(),
            value: crate::error::excerpt(value.to_string().as_bytes()),
            problem: problem.into(),
        });
    }
}

/// Builds a page from the fast path's spec-exact decode, or the error its envelope `code`
/// reports.
pub(crate) fn page_from_envelope(
    body: types::VideoRankingResponse,
    status: Option<u16>,
    query: &VideoRankingQuery,
) -> Result<Page, Error> {
    if body.code != 0 {
        return Err(ApiFailure {
            status,
            code: Some(body.code),
            message: body.message,
            request_id: Some(body.request_id),
            retry_after: None,
        }
        .into_error());
    }
    let items = body
        .data
        .unwrap_or_default()
        .into_iter()
        .zip(query.first_rank()..)
        .map(|(item, rank)| normalise(item, rank, None, Issues::default()))
        .collect();
    Ok(Page {
        page: query.page_number(),
        page_size: query.size(),
        request_id: Some(body.request_id),
        items,
    })
}

/// The slow path for a body the spec-exact types could not decode: either an envelope
/// whose `code` says it failed, a page rescued field by field, or a decode error.
pub(crate) fn decode_drifted(
    bytes: &[u8],
    status: Option<u16>,
    query: &VideoRankingQuery,
) -> Result<Page, Error> {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        // Raw control characters inside strings are seen upstream; escape and retry.
        Err(first) => serde_json::from_slice(&escape_control_characters(bytes))
            .map_err(|_| Error::decode(status, first, bytes))?,
    };
    let Value::Object(mut envelope) = value else {
        return Err(Error::decode(
            status,
            "the body is not a JSON object",
            bytes,
        ));
    };
    let code = envelope.get("code").and_then(integer);
    let request_id = envelope.get("requestId").and_then(text);
    if code != Some(0) {
        let message = envelope.get("message").and_then(text).unwrap_or_default();
        if code.is_none() && message.is_empty() {
            return Err(Error::decode(
                status,
                "the body is not a KeyAPI envelope",
                bytes,
            ));
        }
        return Err(ApiFailure {
            status,
            code,
            message,
            request_id,
            retry_after: None,
        }
        .into_error());
    }
    let items = match envelope.remove("data") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(Error::decode(status, "`data` is not a list", bytes)),
    };
    let items = items
        .into_iter()
        .zip(query.first_rank()..)
        .map(|(item, rank)| rescue_item(item, rank))
        .collect();
    Ok(Page {
        page: query.page_number(),
        page_size: query.size(),
        request_id,
        items,
    })
}

/// The error a non-success HTTP status reports: classified by the status, with what the
/// body says when it is an envelope, else the start of the body (an HTML page from a proxy).
pub(crate) fn failure_from_body(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Error {
    let envelope = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(envelope)) => envelope,
        _ => Map::new(),
    };
    let message = match envelope.get("message").and_then(text) {
        Some(message) => message,
        None if body.is_empty() => "empty body".to_owned(),
        None => crate::error::excerpt(body),
    };
    ApiFailure {
        status: Some(status),
        code: envelope.get("code").and_then(integer),
        message,
        request_id: envelope.get("requestId").and_then(text),
        retry_after,
    }
    .into_error()
}

/// Coerces one drifted item into the spec's shape, then normalises it like any other.
fn rescue_item(item: Value, rank: u64) -> RankedVideo {
    let mut issues = Issues::default();
    let mut fields = match item {
        Value::Object(fields) => fields,
        other => {
            issues.push("data[]", &other, "the item is not a JSON object");
            Map::new()
        }
    };
    let mut exact_gmv = None;
    for mapping in RankedVideo::FIELDS {
        let (name, Some(wire_type)) = (mapping.wire, mapping.documented_type) else {
            continue;
        };
        let Some(value) = fields.get_mut(name) else {
            continue;
        };
        let coerced = match (wire_type, &*value) {
            (_, Value::Null) => continue,
            ("string", Value::String(_)) => continue,
            ("string", Value::Number(n)) => Some(Value::String(n.to_string())),
            ("string", Value::Bool(b)) => Some(Value::String(b.to_string())),
            // The JSON-in-a-string lists sometimes arrive as real JSON.
            ("string", list @ (Value::Array(_) | Value::Object(_))) => {
                Some(Value::String(list.to_string()))
            }
            ("integer", Value::String(s)) if s.trim().is_empty() => Some(Value::Null),
            ("integer", other) => match number(other) {
                Some(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Some(Value::from(n as i64)),
                Some(n) if name == "total_video_sale_gmv_amt" => {
                    exact_gmv = Some(n);
                    Some(Value::Null)
                }
                _ => None,
            },
            // A type this crate was not written for: the field is recorded and dropped.
            _ => None,
        };
        match coerced {
            Some(coerced) => *value = coerced,
            None => {
                let article = if wire_type == "integer" { "an" } else { "a" };
                issues.push(name, &*value, format!("expected {article} {wire_type}"));
                fields.remove(name);
            }
        }
    }
    let item = serde_json::from_value::<types::RankedVideo>(Value::Object(fields)).unwrap_or_else(
        |error| {
            // Unreachable in practice: every documented field now has its spec type.
            issues.push("data[]", &error, "the item could not be decoded");
            empty_item()
        },
    );
    normalise(item, rank, exact_gmv, issues)
}

fn empty_item() -> types::RankedVideo {
    serde_json::from_value(Value::Object(Map::new())).unwrap_or_else(|_| unreachable!())
}

/// Turns a spec-shaped item into a [`RankedVideo`].
fn normalise(
    item: types::RankedVideo,
    rank: u64,
    exact_gmv: Option<f64>,
    mut issues: Issues,
) -> RankedVideo {
    let types::RankedVideo {
        avatar,
        category,
        create_time,
        created_by_ai,
        duration,
        nick_name,
        product_category_list,
        reflow_cover,
        region,
        sales_flag,
        total_comments_cnt,
        total_digg_cnt,
        total_favorites_cnt,
        total_shares_cnt,
        total_video_sale_cnt,
        total_video_sale_gmv_amt,
        total_views_cnt,
        unique_id,
        user_id,
        video_desc,
        video_id,
        video_products,
        mut extra,
    } = item;
    let video_id = video_id.unwrap_or_else(|| {
        issues.push("video_id", "", "missing");
        String::new()
    });
    let history = take_history(&mut extra, &mut issues);
    let created_at = non_empty(create_time).and_then(|s| {
        let parsed = parse_timestamp(&s);
        if parsed.is_none() {
            issues.push("create_time", &s, "expected unix seconds");
        }
        parsed
    });
    let created_by_ai = non_empty(created_by_ai).and_then(|s| {
        let parsed = parse_bool(&s);
        if parsed.is_none() {
            issues.push("created_by_ai", &s, "expected true or false");
        }
        parsed
    });
    RankedVideo {
        rank,
        duration_secs: count("duration", duration, &mut issues),
        views: count("total_views_cnt", total_views_cnt, &mut issues),
        likes: count("total_digg_cnt", total_digg_cnt, &mut issues),
        comments: count("total_comments_cnt", total_comments_cnt, &mut issues),
        shares: count("total_shares_cnt", total_shares_cnt, &mut issues),
        favorites: count("total_favorites_cnt", total_favorites_cnt, &mut issues),
        units_sold: count("total_video_sale_cnt", total_video_sale_cnt, &mut issues),
        gmv: exact_gmv.or(total_video_sale_gmv_amt.map(|n| n as f64)),
        created_at,
        created_by_ai,
        sales_method: sales_flag.map(SalesMethod::from_code),
        product_ids: parse_product_ids(video_products.as_deref(), &mut issues),
        product_categories: parse_categories(product_category_list.as_deref(), &mut issues),
        cover_url: parse_url("reflow_cover", reflow_cover, &mut issues),
        avatar_url: parse_url("avatar", avatar, &mut issues),
        video_id,
        user_id: non_empty(user_id),
        unique_id: non_empty(unique_id),
        nick_name,
        region: non_empty(region),
        category: non_empty(category),
        description: video_desc,
        history,
        extra,
        issues: issues.0,
    }
}

/// A count must not be negative; one that is is recorded and dropped.
fn count(field: &str, value: Option<i64>, issues: &mut Issues) -> Option<u64> {
    let n = value?;
    let count = u64::try_from(n).ok();
    if count.is_none() {
        issues.push(field, n, "negative count");
    }
    count
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.trim().is_empty())
}

/// Moves the undocumented all-time totals out of `extra` into typed fields; a value that
/// is not a number stays in `extra` and is recorded.
fn take_history(extra: &mut Map<String, Value>, issues: &mut Issues) -> HistoryTotals {
    if extra.is_empty() {
        return HistoryTotals::default();
    }
    let mut take = |field: &str| -> Option<f64> {
        let value = extra.remove(field)?;
        match number(&value) {
            Some(n) if n >= 0.0 => Some(n),
            _ if value.is_null() => None,
            _ => {
                issues.push(field, &value, "expected a non-negative number");
                extra.insert(field.to_owned(), value);
                None
            }
        }
    };
    let mut count = |field: &str| take(field).map(|n| n as u64);
    HistoryTotals {
        views: count("total_views_history_cnt"),
        likes: count("total_digg_history_cnt"),
        comments: count("total_comments_history_cnt"),
        favorites: count("total_favorites_history_cnt"),
        shares: count("total_shares_history_cnt"),
        units_sold: count("total_video_sale_history_cnt"),
        gmv: take("total_video_sale_gmv_history_amt"),
    }
}

/// A JSON number, or a string holding one (upstream drifts between the two).
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    }
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Unix seconds; values too large for seconds are taken as milliseconds.
fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let n: i64 = s.trim().parse().ok()?;
    if n.abs() >= 100_000_000_000 {
        Timestamp::from_millisecond(n).ok()
    } else {
        Timestamp::from_second(n).ok()
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        t if t.eq_ignore_ascii_case("true") || t == "1" => Some(true),
        t if t.eq_ignore_ascii_case("false") || t == "0" => Some(false),
        _ => None,
    }
}

fn parse_url(field: &str, value: Option<String>, issues: &mut Issues) -> Option<MediaUrl> {
    let value = non_empty(value)?;
    if !MediaUrl::is_link(value.trim()) {
        issues.push(
            field,
            &value,
            "not a URL: expected an absolute http(s) link",
        );
        return None;
    }
    MediaUrl::from_string(value)
}

/// `"[1729436418527695003, 1729…]"`: read by hand so every digit survives (a JSON number
/// parser would round ids above 2^64, and anything going through `f64` those above 2^53).
fn parse_product_ids(value: Option<&str>, issues: &mut Issues) -> Vec<ProductId> {
    let Some(list) = value
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "null")
    else {
        return Vec::new();
    };
    let Some(inner) = list.strip_prefix('[').and_then(|s| s.strip_suffix(']')) else {
        issues.push(
            "video_products",
            list,
            "expected a JSON list of product ids",
        );
        return Vec::new();
    };
    let mut ids = Vec::new();
    for token in inner.split(',').map(|t| t.trim().trim_matches('"').trim()) {
        if token.is_empty() {
            continue;
        }
        if token.bytes().all(|b| b.is_ascii_digit()) {
            ids.push(ProductId(token.to_owned()));
        } else {
            issues.push(
                "video_products",
                list,
                format!("`{token}` is not a product id"),
            );
        }
    }
    ids
}

/// `"[{ \"category_name\":\"Beauty\",\"category_id\":\"601450\"}]"`.
fn parse_categories(value: Option<&str>, issues: &mut Issues) -> Vec<ProductCategory> {
    #[derive(Deserialize)]
    struct Raw {
        category_id: IdText,
        #[serde(default)]
        category_name: Option<String>,
    }
    let Some(list) = value
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "null")
    else {
        return Vec::new();
    };
    match serde_json::from_str::<Vec<Raw>>(list) {
        Ok(raw) => raw
            .into_iter()
            .filter_map(|c| {
                Some(ProductCategory {
                    id: c.category_id.0?,
                    name: c.category_name.unwrap_or_default(),
                })
            })
            .collect(),
        Err(error) => {
            issues.push(
                "product_category_list",
                list,
                format!("expected a JSON list of categories: {error}"),
            );
            Vec::new()
        }
    }
}

/// An id sent as a string or as a number, read as text without an intermediate `Value`;
/// `None` for anything else.
struct IdText(Option<String>);

impl<'de> Deserialize<'de> for IdText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = IdText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id as a string or a number")
            }
            fn visit_str<E>(self, v: &str) -> Result<IdText, E> {
                Ok(IdText(Some(v.to_owned())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<IdText, E> {
                Ok(IdText(Some(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<IdText, E> {
                Ok(IdText(Some(v.to_string())))
            }
            fn visit_unit<E>(self) -> Result<IdText, E> {
                Ok(IdText(None))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Escapes raw control characters inside JSON strings, which strict JSON forbids.
pub(crate) fn escape_control_characters(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string && b < 0x20 {
            out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
            continue;
        }
        out.push(b);
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (_, false, b'"') => in_string = !in_string,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rescue(item: Value) -> RankedVideo {
        rescue_item(item, 1)
    }

    #[test]
    fn escaping_control_characters_only_touches_strings() {
        let raw = b"{\"a\":\"x\ty\",\n\"b\":\"q\\\"\x01\"}";
        let value: Value = serde_json::from_slice(&escape_control_characters(raw)).unwrap();
        assert_eq!(value, json!({ "a": "x\ty", "b": "q\"\u{1}" }));
    }

    #[test]
    fn product_ids_keep_every_digit_in_every_shape() {
        let mut issues = Issues::default();
        for (input, expected) in [
            ("[1729436418527695003]", vec!["1729436418527695003"]),
            (
                "[\"1729436418527695003\", 98765432109876543210]",
                vec!["1729436418527695003", "98765432109876543210"],
            ),
            ("[]", vec![]),
            ("", vec![]),
            ("null", vec![]),
        ] {
            let ids: Vec<String> = parse_product_ids(Some(input), &mut issues)
                .into_iter()
                .map(|id| id.0)
                .collect();
            assert_eq!(ids, expected, "{input}");
        }
        assert!(issues.0.is_empty());
        assert!(parse_product_ids(Some("[12, abc]"), &mut issues).len() == 1);
        assert_eq!(issues.0[0].field, "video_products");
    }

    #[test]
    fn drifted_types_are_coerced_and_recorded_only_when_unusable() {
        let video = rescue(json!({
            "video_id": 7601397977986501919u64,
            "create_time": 1769838405,
            "created_by_ai": true,
            "total_views_cnt": "1200",
            "total_digg_cnt": 3.0,
            "total_video_sale_gmv_amt": 446.13,
            "video_products": [1729436418527695003u64],
            "duration": "fifteen",
        }));
        assert_eq!(video.video_id, "7601397977986501919");
        assert_eq!(
            video.created_at,
            Some(Timestamp::from_second(1769838405).unwrap())
        );
        assert_eq!(video.created_by_ai, Some(true));
        assert_eq!(
            (video.views, video.likes, video.gmv),
            (Some(1200), Some(3), Some(446.13))
        );
        assert_eq!(video.product_ids[0].as_str(), "1729436418527695003");
        assert_eq!(video.duration_secs, None);
        assert_eq!(video.issues.len(), 1);
        assert_eq!(
            (
                video.issues[0].field.as_str(),
                video.issues[0].value.as_str()
            ),
            ("duration", "\"fifteen\"")
        );
    }

    #[test]
    fn media_urls_are_absolute_http_links() {
        for ok in [
            "https://a.example/x.jpg",
            "HTTP://a",
            " https://a.example/x ",
        ] {
            assert_eq!(
                MediaUrl::new(ok).map(String::from),
                Some(ok.trim().to_owned())
            );
        }
        for bad in [
            "https://",
            "http:///x",
            "ftp://a",
            "//a.example",
            "https://a b",
            "a.jpg",
        ] {
            assert!(MediaUrl::new(bad).is_none(), "{bad}");
        }
        let owned = MediaUrl::from_string(" https://a.example ".to_owned());
        assert_eq!(
            owned.as_ref().map(MediaUrl::as_str),
            Some("https://a.example")
        );
    }

    #[test]
    fn history_totals_are_typed_and_leave_extra() {
        let video = rescue(json!({
            "video_id": "1",
            "total_views_history_cnt": 10,
            "total_video_sale_gmv_history_amt": "12.5",
            "brand_new_field": [1, 2],
        }));
        assert_eq!(video.history.views, Some(10));
        assert_eq!(video.history.gmv, Some(12.5));
        assert_eq!(
            video.extra,
            json!({ "brand_new_field": [1, 2] })
                .as_object()
                .unwrap()
                .clone()
        );
    }
}
