//! One page of a ranking ([`Page`]) and the two ways a body becomes one.
//!
//! Two decoding paths share one normaliser's field rules. The fast path ([`one_pass`])
//! reads a body that holds nothing unusual straight into [`RankedVideo`]s. Anything else
//! takes [`decode_drifted`]: any body a standard JSON parser accepts is read leniently
//! ([`lenient`]: a lone surrogate becomes U+FFFD, a number no type holds keeps its digits
//! as text, nesting past 128 levels is dropped, each said), and each item is coerced back
//! into the generated (spec-exact) type field by field ([`rescue`]), so one bad field
//! degrades that field alone, recorded in [`RankedVideo::issues`], and never loses the
//! page. Both paths build at most a page of items.
//!
//! - `video.rs`: [`RankedVideo`] and its value types;
//! - `fields.rs`: [`RankedVideo::FIELDS`], the table of upstream fields;
//! - `one_pass.rs`, `one_pass/item.rs`: spec-exact body → [`Page`], by the normaliser's
//!   field rules, giving up wherever one of them records an issue;
//! - `normalise.rs`: the field rules, and spec-shaped item → [`RankedVideo`];
//! - `lenient.rs`: any JSON value, read exactly and leniently;
//! - `rescue.rs`: body → envelope and raw items; drifted item → spec-shaped item.

mod fields;
mod lenient;
mod normalise;
mod one_pass;
#[cfg(test)]
mod one_pass_tests;
mod rescue;
#[cfg(test)]
mod tests;
mod video;

use std::ops::RangeFrom;
use std::time::Duration;

use keyapi_tiktok_openapi::types;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::VideoRankingQuery;
use crate::error::{ApiFailure, Error};
pub use fields::FieldMapping;
use normalise::{Issues, integer, normalise, text};
pub(crate) use rescue::{RawEnvelope, escape_control_characters};
use rescue::{read_item, rescue_item};
pub use video::{
    FieldIssue, HistoryTotals, MediaUrl, ProductCategory, ProductId, RankedVideo, SalesMethod,
};

/// One page of a ranking, as returned by [`Client::video_ranking_page`](crate::Client::video_ranking_page).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
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
    /// # let page = keyapi_tiktok::__doc_example_page();
    /// // One video on a page of 10: no page follows.
    /// assert_eq!((page.items.len(), page.page_size), (1, 10));
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
        decode_body(body, None, query)
    }
}

/// Decodes a success body: in one pass when it is spec-exact and holds nothing unusual,
/// else field by field ([`decode_drifted`]), with the same result. A leading UTF-8
/// byte-order mark is skipped.
pub(crate) fn decode_body(
    bytes: &[u8],
    status: Option<u16>,
    query: &VideoRankingQuery,
) -> Result<Page, Error> {
    let bytes = without_bom(bytes);
    one_pass::decode(bytes, status, query).unwrap_or_else(|| decode_drifted(bytes, status, query))
}

/// The body without a leading UTF-8 byte-order mark, which JSON parsers differ on.
pub(crate) fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// A UTF-8 byte-order mark.
pub(crate) const BOM: &[u8] = "\u{feff}".as_bytes();

/// Decodes a success body with the generated types' derived decoder, else field by field:
/// the oracle the one-pass decoder and the rescue are held to on what the derived decoder
/// holds exactly (it reads unknown fields through `f64`, and all items of a page).
#[cfg(test)]
pub(crate) fn decode_with_generated_types(
    bytes: &[u8],
    status: Option<u16>,
    query: &VideoRankingQuery,
) -> Result<Page, Error> {
    let bytes = without_bom(bytes);
    match serde_json::from_slice::<types::VideoRankingResponse>(bytes) {
        Ok(envelope) => page_from_envelope(envelope, status, query),
        Err(_) => decode_drifted(bytes, status, query),
    }
}

/// Builds a page from a spec-exact decode, or the error its envelope `code` reports.
pub(crate) fn page_from_envelope(
    body: types::VideoRankingResponse,
    status: Option<u16>,
    query: &VideoRankingQuery,
) -> Result<Page, Error> {
    let types::VideoRankingResponse {
        code,
        data,
        message,
        request_id,
    } = body;
    page_or_failure(
        code,
        message,
        request_id,
        data,
        status,
        query,
        |items, ranks| {
            let normalised = |(item, rank)| normalise(item, rank, None, Issues::default());
            items.into_iter().zip(ranks).map(normalised).collect()
        },
    )
}

/// A spec-exact envelope's page, its items (at most a page) given their ranks by `ranked`;
/// or the error its `code` reports.
fn page_or_failure<T>(
    code: i64,
    message: String,
    request_id: String,
    data: Option<Vec<T>>,
    status: Option<u16>,
    query: &VideoRankingQuery,
    ranked: impl FnOnce(Vec<T>, RangeFrom<u64>) -> Vec<RankedVideo>,
) -> Result<Page, Error> {
    if code != 0 {
        return Err(ApiFailure {
            status,
            code: Some(code),
            message,
            request_id: Some(request_id),
            retry_after: None,
        }
        .into_error());
    }
    let items = ranked(
        at_most_page_size(data.unwrap_or_default(), query),
        query.first_rank()..,
    );
    Ok(Page {
        page: query.page_number(),
        page_size: query.size(),
        request_id: Some(request_id),
        items,
    })
}

/// The slow path for a body the one-pass decoder gave up on: either an envelope whose
/// `code` says it failed, a page rescued field by field, or a decode error. Any body a
/// standard JSON parser accepts is a page (or the failure its `code` reports).
pub(crate) fn decode_drifted(
    bytes: &[u8],
    status: Option<u16>,
    query: &VideoRankingQuery,
) -> Result<Page, Error> {
    let page_size = usize::from(query.size());
    let repaired;
    let envelope = match RawEnvelope::read(bytes, page_size) {
        Ok(envelope) => envelope,
        // Raw control characters inside strings are seen upstream; escape and retry.
        Err(first) => {
            repaired = escape_control_characters(bytes);
            RawEnvelope::read(&repaired, page_size)
                .map_err(|_| Error::decode(status, first, bytes))?
        }
    };
    let RawEnvelope {
        fields,
        items,
        received,
    } = envelope;
    let code = fields.get("code").and_then(integer);
    let request_id = fields.get("requestId").and_then(text);
    if code != Some(0) {
        let message = fields.get("message").and_then(text).unwrap_or_default();
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
    let Some(items) = items else {
        return Err(Error::decode(status, "`data` is not a list", bytes));
    };
    if received > page_size {
        warn_over_long(query, received);
    }
    let items = items
        .into_iter()
        .zip(query.first_rank()..)
        .map(|(item, rank)| {
            let (item, issues) = read_item(item);
            rescue_item(item, rank, issues)
        })
        .collect();
    Ok(Page {
        page: query.page_number(),
        page_size: query.size(),
        request_id,
        items,
    })
}

/// An item's raw text read as [`decode_drifted`] reads it, for the conformance report.
pub(crate) fn item_value(raw: &serde_json::value::RawValue) -> Value {
    read_item(raw).0
}

/// An item's raw text read and decoded as [`decode_drifted`] does, for the conformance
/// report's check of items a page holds past its size (the client drops them).
pub(crate) fn rescued_item(raw: &serde_json::value::RawValue, rank: u64) -> (Value, RankedVideo) {
    let (value, issues) = read_item(raw);
    (value.clone(), rescue_item(value, rank, issues))
}

/// The items of a page, cut to the page size asked for: more would overlap the next page's
/// ranks.
fn at_most_page_size<T>(mut items: Vec<T>, query: &VideoRankingQuery) -> Vec<T> {
    if items.len() > usize::from(query.size()) {
        warn_over_long(query, items.len());
        items.truncate(usize::from(query.size()));
    }
    items
}

/// Says that a page came with more items than its size (the extra ones are dropped).
fn warn_over_long(query: &VideoRankingQuery, received: usize) {
    tracing::warn!(
        page = query.page_number(),
        page_size = query.size(),
        received,
        "the API sent more items than the page size; the extra ones were dropped"
    );
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
