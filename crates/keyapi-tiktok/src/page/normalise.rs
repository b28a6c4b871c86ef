//! Turns a spec-shaped item into a [`RankedVideo`]: every stringly field parsed into a
//! real type, every unusable value recorded as a [`FieldIssue`] instead of failing the page.
//!
//! Each field's rule is one function here; the one-pass decoder (`one_pass/item.rs`) calls
//! the same functions on the values as it reads them, and gives up where one records an issue.

use std::fmt;

use jiff::Timestamp;
use keyapi_tiktok_openapi::types;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::lenient::exact_integer;
use super::video::{
    FieldIssue, HistoryTotals, MediaUrl, ProductCategory, ProductId, RankedVideo, SalesMethod,
};

/// Collects field issues while one item is normalised.
#[derive(Default)]
pub(super) struct Issues(pub(super) Vec<FieldIssue>);

impl Issues {
    pub(super) fn push(
        &mut self,
        field: &str,
        value: impl fmt::Display,
        problem: impl Into<String>,
    ) {
        self.0.push(FieldIssue {
            field: field.to_owned(),
            value: crate::error::excerpt(value.to_string().as_bytes()),
            problem: problem.into(),
        });
    }
}

/// Turns a spec-shaped item into a [`RankedVideo`].
pub(super) fn normalise(
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
    let video_id = required_video_id(video_id, &mut issues);
    let history = take_history(&mut extra, &mut issues);
    let created_at = create_time
        .as_deref()
        .and_then(|s| created_at(s, &mut issues));
    let created_by_ai = created_by_ai
        .as_deref()
        .and_then(|s| ai_flag(s, &mut issues));
    RankedVideo {
        rank,
        duration_secs: count("duration", duration, &mut issues),
        views: count("total_views_cnt", total_views_cnt, &mut issues),
        likes: count("total_digg_cnt", total_digg_cnt, &mut issues),
        comments: count("total_comments_cnt", total_comments_cnt, &mut issues),
        shares: count("total_shares_cnt", total_shares_cnt, &mut issues),
        favorites: count("total_favorites_cnt", total_favorites_cnt, &mut issues),
        units_sold: count("total_video_sale_cnt", total_video_sale_cnt, &mut issues),
        gmv: exact_gmv.or(total_video_sale_gmv_amt.map(gmv)),
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

/// `video_id` is the one field an item cannot do without; a missing one is recorded.
pub(super) fn required_video_id(value: Option<String>, issues: &mut Issues) -> String {
    value.unwrap_or_else(|| {
        issues.push("video_id", "", "missing");
        String::new()
    })
}

/// `create_time`: blank is absent, else unix seconds (or milliseconds, see
/// [`parse_timestamp`]).
pub(super) fn created_at(s: &str, issues: &mut Issues) -> Option<Timestamp> {
    if s.trim().is_empty() {
        return None;
    }
    let parsed = parse_timestamp(s);
    if parsed.is_none() {
        issues.push("create_time", s, "expected unix seconds");
    }
    parsed
}

/// `created_by_ai`: blank is absent, else `true`/`false` (or `1`/`0`).
pub(super) fn ai_flag(s: &str, issues: &mut Issues) -> Option<bool> {
    if s.trim().is_empty() {
        return None;
    }
    let parsed = parse_bool(s);
    if parsed.is_none() {
        issues.push("created_by_ai", s, "expected true or false");
    }
    parsed
}

/// The spec's integer GMV as the typed field's decimal.
pub(super) fn gmv(n: i64) -> f64 {
    n as f64
}

/// A count must not be negative; one that is is recorded and dropped.
pub(super) fn count(field: &str, value: Option<i64>, issues: &mut Issues) -> Option<u64> {
    let n = value?;
    let count = u64::try_from(n).ok();
    if count.is_none() {
        issues.push(field, n, "negative count");
    }
    count
}

pub(super) fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.trim().is_empty())
}

/// The undocumented all-time totals' wire names, in the order of [`history_totals`]'s
/// argument.
pub(super) const HISTORY_FIELDS: [&str; 7] = [
    "total_views_history_cnt",
    "total_digg_history_cnt",
    "total_comments_history_cnt",
    "total_favorites_history_cnt",
    "total_shares_history_cnt",
    "total_video_sale_history_cnt",
    "total_video_sale_gmv_history_amt",
];

/// Moves the undocumented all-time totals out of `extra` into typed fields; a value that
/// is not a usable total stays in `extra` and is recorded.
pub(super) fn take_history(extra: &mut Map<String, Value>, issues: &mut Issues) -> HistoryTotals {
    if extra.is_empty() {
        return HistoryTotals::default();
    }
    let totals = std::array::from_fn(|index| {
        let field = HISTORY_FIELDS[index];
        let value = extra.remove(field)?;
        let problem = match total(&value) {
            Some(total) if fits(index, total) => return Some(total),
            Some(_) => "beyond the largest count, 2^64 - 1",
            None if value.is_null() => return None,
            None => "expected a non-negative number",
        };
        issues.push(field, &value, problem);
        extra.insert(field.to_owned(), value);
        None
    });
    history_totals(totals)
}

/// An all-time total as received: a whole number exactly, any other as a decimal.
#[derive(Clone, Copy)]
pub(super) enum Total {
    Whole(u64),
    Decimal(f64),
}

/// A non-negative number, or a string holding one (upstream drifts between the two).
fn total(value: &Value) -> Option<Total> {
    let whole = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match whole {
        Some(n) => Some(Total::Whole(n)),
        None => number(value).and_then(decimal_total),
    }
}

/// A decimal total must not be negative.
pub(super) fn decimal_total(n: f64) -> Option<Total> {
    (n >= 0.0).then_some(Total::Decimal(n))
}

/// Whether a total fits the field at `index` of [`HISTORY_FIELDS`]: a count below 2^64
/// (a decimal one is cut to a whole number), the GMV any decimal.
pub(super) fn fits(index: usize, total: Total) -> bool {
    const TWO_TO_THE_64: f64 = 18_446_744_073_709_551_616.0;
    match total {
        Total::Decimal(n) => index == HISTORY_FIELDS.len() - 1 || n < TWO_TO_THE_64,
        Total::Whole(_) => true,
    }
}

/// The all-time totals, given in the order of [`HISTORY_FIELDS`] and each [`fits`] its
/// field: the counts as whole numbers, the GMV with its decimals.
pub(super) fn history_totals(totals: [Option<Total>; 7]) -> HistoryTotals {
    let [views, likes, comments, favorites, shares, units_sold, gmv] = totals;
    let count = |total: Option<Total>| match total? {
        Total::Whole(n) => Some(n),
        Total::Decimal(n) => Some(n as u64),
    };
    HistoryTotals {
        views: count(views),
        likes: count(likes),
        comments: count(comments),
        favorites: count(favorites),
        shares: count(shares),
        units_sold: count(units_sold),
        gmv: gmv.map(|total| match total {
            Total::Whole(n) => n as f64,
            Total::Decimal(n) => n,
        }),
    }
}

/// A JSON number, or a string holding one (upstream drifts between the two).
pub(super) fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    }
}

/// A whole number, or a string holding one, read exactly: `12.0` and `1e3` are whole, any
/// fraction or a number beyond `i64` is not.
pub(super) fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| exact_integer(&n.to_string())),
        Value::String(s) => exact_integer(s.trim()),
        _ => None,
    }
}

pub(super) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Unix seconds; values too large for seconds are taken as milliseconds.
pub(super) fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let n: i64 = s.trim().parse().ok()?;
    if n.unsigned_abs() >= 100_000_000_000 {
        Timestamp::from_millisecond(n).ok()
    } else {
        Timestamp::from_second(n).ok()
    }
}

pub(super) fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        t if t.eq_ignore_ascii_case("true") || t == "1" => Some(true),
        t if t.eq_ignore_ascii_case("false") || t == "0" => Some(false),
        _ => None,
    }
}

pub(super) fn parse_url(
    field: &str,
    value: Option<String>,
    issues: &mut Issues,
) -> Option<MediaUrl> {
    match MediaUrl::from_string(non_empty(value)?) {
        Ok(link) => Some(link),
        Err(value) => {
            issues.push(
                field,
                &value,
                "not a URL: expected an absolute http(s) link",
            );
            None
        }
    }
}

/// `"[1729436418527695003, 1729…]"`: read by hand so every digit survives (a JSON number
/// parser would round ids above 2^64, and anything going through `f64` those above 2^53).
pub(super) fn parse_product_ids(value: Option<&str>, issues: &mut Issues) -> Vec<ProductId> {
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
    for token in inner.split(',').map(unquoted) {
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

/// A list element without surrounding whitespace and quotes; the common bare number is
/// only trimmed.
fn unquoted(token: &str) -> &str {
    let token = token.trim();
    if token.starts_with('"') || token.ends_with('"') {
        token.trim_matches('"').trim()
    } else {
        token
    }
}

/// `"[{ \"category_name\":\"Beauty\",\"category_id\":\"601450\"}]"`.
pub(super) fn parse_categories(value: Option<&str>, issues: &mut Issues) -> Vec<ProductCategory> {
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
pub(super) struct IdText(Option<String>);

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
