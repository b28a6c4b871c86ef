//! The checks of one body: its envelope, its paging and each item, tallied into a
//! [`ConformanceReport`] by the decode the client uses.

use serde_json::{Map, Value};

use super::drift::article;
use super::{ConformanceReport, DOCUMENTED_CODES, ENVELOPE_FIELDS};
use crate::page::{RawEnvelope, escape_control_characters, item_value, rescued_item, without_bom};
use crate::{Error, Page, RankedVideo, SalesMethod, VideoRankingQuery};

/// Documented `string` fields that carry JSON inside the string; an issue the decode
/// records on one of them means the JSON did not parse.
const JSON_IN_STRING: &[&str] = &["product_category_list", "video_products"];

/// Upstream names are strangers' text: a report keeps at most this many bytes of one.
const MAX_NAME_BYTES: usize = 96;

impl ConformanceReport {
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
