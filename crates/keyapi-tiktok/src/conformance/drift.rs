//! [`Drift`]: one way a response departs from the vendored spec, and how it reads.

use std::fmt;

use serde::Serialize;

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

/// `a` or `an`, as the type name needs.
pub(super) fn article(type_name: &str) -> &'static str {
    match type_name.as_bytes().first() {
        Some(b'a' | b'e' | b'i' | b'o' | b'u') => "an",
        _ => "a",
    }
}

/// `1 item`, `2 items`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
