//! How a response departs from the vendored spec: a drift report built from the same
//! decode the client uses ([`Page::from_body`], [`RankedVideo::extra`],
//! [`RankedVideo::issues`]) and the spec's field types as [`RankedVideo::FIELDS`] holds them.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::page::{RawEnvelope, escape_control_characters, item_value, rescued_item, without_bom};
use crate::{Client, Error, Page, RankedVideo, SalesMethod, VideoRankingQuery};

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

/// Documented `string` fields that carry JSON inside the string; an issue the decode
/// records on one of them means the JSON did not parse.
const JSON_IN_STRING: &[&str] = &["product_category_list", "video_products"];

/// Upstream names are strangers' text: a report keeps at most this many bytes of one.
const MAX_NAME_BYTES: usize = 96;

/// One way a response departs from the vendored spec, with how many items show it.
///
/// Serialised with a `kind` tag (`undocumented_field`, `missing_field`, …) for
/// `--format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Drift {
    /// An item field the spec does not document (such as `total_views_history_cnt`).
    UndocumentedField {
        /// The upstream name.
        field: String,
        /// The JSON type it came as.
        json_type: &'static str,
        /// In how many items.
        items: usize,
    },
    /// A documented item field that was absent or `null`.
    MissingField {
        /// The upstream name.
        field: &'static str,
        /// In how many items.
        items: usize,
    },
    /// A documented field whose value had another JSON type (a count sent as a string, a
    /// decimal GMV). The client coerces what it can; `unusable` counts the values it had to
    /// leave empty.
    WrongType {
        /// The upstream name.
        field: &'static str,
        /// The type the spec documents.
        documented: &'static str,
        /// The type received.
        received: &'static str,
        /// In how many items.
        items: usize,
        /// How many of those values the client could not use.
        unusable: usize,
    },
    /// A value outside the set the spec documents (`sales_flag: 3`).
    UndocumentedValue {
        /// The upstream name.
        field: &'static str,
        /// The value received.
        value: String,
        /// In how many items.
        items: usize,
    },
    /// A documented JSON-in-a-string field (`product_category_list`, `video_products`)
    /// whose content did not parse.
    UnparsableJsonString {
        /// The upstream name.
        field: String,
        /// In how many items.
        items: usize,
        /// The first problem seen, with the value (bounded).
        example: String,
    },
    /// A value of the documented type that still could not be read (`create_time: "soon"`,
    /// a negative count, a cover that is not a link).
    UnreadableValue {
        /// The upstream name.
        field: String,
        /// In how many items.
        items: usize,
        /// The first problem seen, with the value (bounded).
        example: String,
    },
    /// The envelope departs from the spec: no `requestId`, an undocumented `code`, a
    /// property of another type or not documented, a body that is not strict JSON.
    Envelope {
        /// What is wrong.
        problem: String,
        /// In how many pages.
        pages: usize,
    },
    /// The pages break the paging the spec documents: more items than the page size asked
    /// for, or a page repeating the videos of the page before it (`page_num` ignored).
    Paging {
        /// What is wrong.
        problem: String,
        /// In how many pages.
        pages: usize,
    },
}

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

    /// Checks a body whose decode, for `query`, is `page`.
    pub(crate) fn add_page(&mut self, body: &[u8], page: &Page, query: &VideoRankingQuery) {
        self.pages += 1;
        let bytes = without_bom(body);
        if bytes.len() < body.len() {
            self.envelope_problem("the body starts with a UTF-8 byte-order mark");
        }
        let page_size = usize::from(query.size());
        // Every item is checked, so every item is kept: as slices of the body, not copies.
        let repaired;
        let envelope = match RawEnvelope::read(bytes, usize::MAX) {
            Ok(envelope) => envelope,
            Err(_) => {
                self.envelope_problem(
                    "the body is not strict JSON: raw control characters inside strings",
                );
                repaired = escape_control_characters(bytes);
                match RawEnvelope::read(&repaired, usize::MAX) {
                    Ok(envelope) => envelope,
                    Err(_) => return,
                }
            }
        };
        self.check_envelope(&envelope.fields);
        if envelope.received > page_size {
            self.paging_problem(format!(
                "`data` holds {} items, more than the page size of {page_size}",
                envelope.received
            ));
        }
        let raw_items = envelope.items.unwrap_or_default();
        let kept = page.items.len();
        for (raw, item) in raw_items.iter().zip(&page.items) {
            self.check_item(&item_value(raw), item);
        }
        // The items the client dropped, decoded as it decodes a drifted item.
        for (raw, rank) in raw_items
            .iter()
            .skip(kept)
            .zip(query.first_rank().saturating_add(kept as u64)..)
        {
            let (value, item) = rescued_item(raw, rank);
            self.check_item(&value, &item);
        }
    }

    /// Records a failed request: an undocumented envelope `code` or a repeated page is
    /// drift; anything else is the caller's error.
    pub(crate) fn add_failure(&mut self, error: Error) -> Result<(), Error> {
        if let Error::RepeatedPage { page } = error {
            self.paging_problem(format!(
                "page {page} repeats the videos of page {}: upstream ignored `page_num`",
                page.saturating_sub(1)
            ));
            return Ok(());
        }
        match error.code() {
            Some(code) if !DOCUMENTED_CODES.contains(&code) => {
                self.pages += 1;
                self.envelope_problem(&format!("`code` {code} is not documented"));
                Ok(())
            }
            _ => Err(error),
        }
    }

    fn envelope_problem(&mut self, problem: &str) {
        *self.envelope.entry(problem.to_owned()).or_default() += 1;
    }

    fn paging_problem(&mut self, problem: String) {
        *self.paging.entry(problem).or_default() += 1;
    }

    fn check_envelope(&mut self, envelope: &Map<String, Value>) {
        for (name, documented) in ENVELOPE_FIELDS {
            match envelope.get(*name) {
                None => self.envelope_problem(&format!("no `{name}`")),
                Some(Value::Null) if *name == "data" => self.envelope_problem("`data` is null"),
                Some(value) if json_type(value) != *documented => {
                    let received = json_type(value);
                    self.envelope_problem(&format!(
                        "`{name}` is {} {received}, documented as {} {documented}",
                        article(received),
                        article(documented)
                    ));
                }
                Some(_) => {}
            }
        }
        for (name, value) in envelope {
            if !ENVELOPE_FIELDS
                .iter()
                .any(|(documented, _)| documented == name)
            {
                let problem = format!(
                    "undocumented property `{}` ({})",
                    bounded(name),
                    json_type(value)
                );
                self.envelope_problem(&problem);
            }
        }
    }

    fn check_item(&mut self, raw: &Value, item: &RankedVideo) {
        self.items += 1;
        let empty = Map::new();
        let raw = raw.as_object().unwrap_or(&empty);
        let mut wrong_typed = Vec::new();
        for mapping in RankedVideo::FIELDS {
            let value = raw.get(mapping.wire).filter(|value| !value.is_null());
            match (mapping.documented_type, value) {
                (Some(_), None) => *self.missing.entry(mapping.wire).or_default() += 1,
                (Some(documented), Some(value)) => {
                    let received = json_type(value);
                    if received != documented {
                        let key = (mapping.wire, documented, received);
                        self.wrong_types.entry(key).or_default().0 += 1;
                        wrong_typed.push(key);
                    }
                }
                // An undocumented field this crate maps (the all-time totals): the decode
                // moved it out of `extra`, unless it could not read it.
                (None, Some(value)) if !item.extra.contains_key(mapping.wire) => {
                    self.undocumented(mapping.wire, value)
                }
                (None, _) => {}
            }
        }
        for (name, value) in &item.extra {
            self.undocumented(name, value);
        }
        if let Some(SalesMethod::Unknown(code)) = item.sales_method {
            *self
                .values
                .entry(("sales_flag", code.to_string()))
                .or_default() += 1;
        }
        for issue in &item.issues {
            if let Some(key) = wrong_typed.iter().find(|key| key.0 == issue.field) {
                if let Some(counts) = self.wrong_types.get_mut(key) {
                    counts.1 += 1;
                }
                continue;
            }
            let tally = if JSON_IN_STRING.contains(&issue.field.as_str()) {
                &mut self.unparsable
            } else {
                &mut self.unreadable
            };
            let example = format!("{} (got {})", issue.problem, issue.value);
            tally.entry(bounded(&issue.field)).or_insert((0, example)).0 += 1;
        }
    }

    fn undocumented(&mut self, name: &str, value: &Value) {
        *self
            .undocumented
            .entry((bounded(name), json_type(value)))
            .or_default() += 1;
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

/// One line per departure; upstream text is bounded but not cleaned of control characters
/// (a terminal printer does that).
impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::UndocumentedField {
                field,
                json_type,
                items,
            } => write!(
                f,
                "undocumented field `{field}` ({json_type}) in {}",
                count(*items, "item")
            ),
            Drift::MissingField { field, items } => {
                write!(
                    f,
                    "documented field `{field}` missing in {}",
                    count(*items, "item")
                )
            }
            Drift::WrongType {
                field,
                documented,
                received,
                items,
                unusable,
            } => write!(
                f,
                "`{field}` documented as {} {documented}, received {} {received} in {} ({unusable} unusable)",
                article(documented),
                article(received),
                count(*items, "item")
            ),
            Drift::UndocumentedValue {
                field,
                value,
                items,
            } => write!(
                f,
                "`{field}` has the undocumented value {value} in {}",
                count(*items, "item")
            ),
            Drift::UnparsableJsonString {
                field,
                items,
                example,
            } => write!(
                f,
                "`{field}` holds JSON that does not parse in {}: {example}",
                count(*items, "item")
            ),
            Drift::UnreadableValue {
                field,
                items,
                example,
            } => write!(
                f,
                "`{field}` could not be read in {}: {example}",
                count(*items, "item")
            ),
            Drift::Envelope { problem, pages } => {
                write!(f, "envelope: {problem} in {}", count(*pages, "page"))
            }
            Drift::Paging { problem, pages } => {
                write!(f, "paging: {problem} in {}", count(*pages, "page"))
            }
        }
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

/// The JSON type of a value, with integers told from other numbers as the spec does.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn article(type_name: &str) -> &'static str {
    match type_name.as_bytes().first() {
        Some(b'a' | b'e' | b'i' | b'o' | b'u') => "an",
        _ => "a",
    }
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// At most [`MAX_NAME_BYTES`] of a name, cut on a character boundary.
fn bounded(name: &str) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name.to_owned();
    }
    let mut end = MAX_NAME_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &name[..end])
}
