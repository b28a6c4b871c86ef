//! How a response departs from the vendored spec: a drift report built from the same
//! decode the client uses ([`Page::from_body`], [`RankedVideo::extra`],
//! [`RankedVideo::issues`]) and the spec's field types as [`RankedVideo::FIELDS`] holds them.
//!
//! This file holds the report and its public face; `drift.rs` the kinds of departure and
//! how each reads, `checks.rs` the checks of one body.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{Client, Error, Page, VideoRankingQuery};

mod checks;
mod drift;

pub use drift::Drift;

/// The envelope properties the spec documents for a 200 response, with their JSON types
/// (checked against the vendored spec by the drift tests).
pub const ENVELOPE_FIELDS: &[(&str, &str)] = &[
    ("code", "integer"),
    ("message", "string"),
    ("data", "array"),
    ("requestId", "string"),
];

/// The envelope `code`s the spec documents: 0 for success, then one per documented error
/// status (checked against the vendored spec by the drift tests).
pub const DOCUMENTED_CODES: &[i64] = &[0, 400, 401, 402, 429, 500];

/// How one or more responses depart from the vendored spec.
///
/// Each body is decoded exactly as the client decodes it; the report then says what the
/// decode had to tolerate. Add bodies with [`add_body`](ConformanceReport::add_body), or
/// fetch pages with [`Client::conformance`].
///
/// ```
/// use keyapi_tiktok::{ConformanceReport, Drift, Period, RankField, VideoRankingQuery};
///
/// let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 23), "US".parse()?, RankField::Sales, Period::Daily);
/// let mut report = ConformanceReport::default();
/// report.add_body(br#"{"code":0,"message":"success","data":[{"video_id":"7","sales_flag":3,"total_views_history_cnt":9}]}"#, &query)?;
/// assert!(!report.conforms());
/// let drift = report.drift();
/// assert!(drift.contains(&Drift::UndocumentedValue { field: "sales_flag", value: "3".into(), items: 1 }));
/// assert!(drift.iter().any(|d| matches!(d, Drift::Envelope { problem, .. } if problem.contains("requestId"))));
/// # Ok::<(), keyapi_tiktok::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ConformanceReport {
    pages: usize,
    items: usize,
    undocumented: BTreeMap<(String, &'static str), usize>,
    missing: BTreeMap<&'static str, usize>,
    wrong_types: BTreeMap<(&'static str, &'static str, &'static str), (usize, usize)>,
    values: BTreeMap<(&'static str, String), usize>,
    unparsable: BTreeMap<String, (usize, String)>,
    unreadable: BTreeMap<String, (usize, String)>,
    envelope: BTreeMap<String, usize>,
    paging: BTreeMap<String, usize>,
}

impl ConformanceReport {
    /// Checks one response body as the client would decode it for `query`, every item it
    /// holds included: a page longer than the page size is reported, and the items past
    /// the page size (which the client drops) are checked too.
    ///
    /// # Errors
    ///
    /// The error the client would return for a body whose documented `code` reports a
    /// failure (401, 402, 429, …) or that cannot be decoded at all. An undocumented code is
    /// drift, not an error: it is reported.
    pub fn add_body(&mut self, body: &[u8], query: &VideoRankingQuery) -> Result<(), Error> {
        match Page::from_body(body, query) {
            Ok(page) => {
                self.add_page(body, &page, query);
                Ok(())
            }
            Err(error) => self.add_failure(error),
        }
    }

    /// Whether nothing departed from the spec.
    ///
    /// ```
    /// # let query = keyapi_tiktok::VideoRankingQuery::new(jiff::civil::date(2026, 1, 31), "US".parse()?, keyapi_tiktok::RankField::Sales, keyapi_tiktok::Period::Daily);
    /// let mut report = keyapi_tiktok::ConformanceReport::default();
    /// assert!(report.conforms()); // nothing checked yet
    /// # Ok::<(), keyapi_tiktok::Error>(())
    /// ```
    pub fn conforms(&self) -> bool {
        self.drift().is_empty()
    }

    /// Pages checked.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Items checked.
    pub fn items(&self) -> usize {
        self.items
    }

    /// Every departure found: envelope first, then paging, then the item fields by kind,
    /// each sorted by name.
    pub fn drift(&self) -> Vec<Drift> {
        let envelope = self
            .envelope
            .iter()
            .map(|(problem, &pages)| Drift::Envelope {
                problem: problem.clone(),
                pages,
            });
        let paging = self.paging.iter().map(|(problem, &pages)| Drift::Paging {
            problem: problem.clone(),
            pages,
        });
        let undocumented = self
            .undocumented
            .iter()
            .map(|((field, json_type), &items)| Drift::UndocumentedField {
                field: field.clone(),
                json_type,
                items,
            });
        let missing = self
            .missing
            .iter()
            .map(|(&field, &items)| Drift::MissingField { field, items });
        let wrong_types =
            self.wrong_types
                .iter()
                .map(
                    |(&(field, documented, received), &(items, unusable))| Drift::WrongType {
                        field,
                        documented,
                        received,
                        items,
                        unusable,
                    },
                );
        let values = self
            .values
            .iter()
            .map(|((field, value), &items)| Drift::UndocumentedValue {
                field,
                value: value.clone(),
                items,
            });
        let unparsable =
            self.unparsable
                .iter()
                .map(|(field, (items, example))| Drift::UnparsableJsonString {
                    field: field.clone(),
                    items: *items,
                    example: example.clone(),
                });
        let unreadable =
            self.unreadable
                .iter()
                .map(|(field, (items, example))| Drift::UnreadableValue {
                    field: field.clone(),
                    items: *items,
                    example: example.clone(),
                });
        envelope
            .chain(paging)
            .chain(undocumented)
            .chain(missing)
            .chain(wrong_types)
            .chain(values)
            .chain(unparsable)
            .chain(unreadable)
            .collect()
    }
}

/// `{"pages": …, "items": …, "conforms": …, "drift": [{"kind": …}, …]}`.
impl Serialize for ConformanceReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shape {
            pages: usize,
            items: usize,
            conforms: bool,
            drift: Vec<Drift>,
        }
        let drift = self.drift();
        Shape {
            pages: self.pages,
            items: self.items,
            conforms: drift.is_empty(),
            drift,
        }
        .serialize(serializer)
    }
}

impl Client {
    /// Fetches one page (one credit, retried like any request, never from the cache) and
    /// adds it to `report`: [`Ranking::conformance`](crate::Ranking::conformance) for the page
    /// of `query`.
    ///
    /// ```no_run
    /// # use keyapi_tiktok::*;
    /// # async fn run(client: Client) -> Result<(), Error> {
    /// let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 23), "US".parse()?, RankField::Views, Period::Daily);
    /// let mut report = ConformanceReport::default();
    /// client.conformance(&query, &mut report).await?;
    /// for drift in report.drift() {
    ///     println!("{drift}");
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # What a live page cannot show
    ///
    /// When the body fits the spec's types, the client decodes it with them and the report
    /// reads that decode: envelope properties the spec does not document are dropped there
    /// and so not reported (item fields are, through `extra`). A saved body given to
    /// [`ConformanceReport::add_body`] shows them.
    ///
    /// # Errors
    ///
    /// As [`Client::video_ranking_page`], except that an undocumented envelope `code` is
    /// reported as drift.
    pub async fn conformance(
        &self,
        query: &VideoRankingQuery,
        report: &mut ConformanceReport,
    ) -> Result<(), Error> {
        self.video_ranking(query.clone())
            .limit(u64::from(query.size()))
            .conformance(report)
            .await
    }
}
