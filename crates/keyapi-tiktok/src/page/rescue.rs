//! The slow path: reads a body any standard JSON parser accepts (`RawEnvelope`, then each
//! item with `read_item`), building at most a page of items, and coerces an item that
//! drifted from the spec back into the spec's shape, field by field, so it can be
//! normalised like any other.

use std::fmt;

use keyapi_tiktok_openapi::types;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, SeqAccess};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::RankedVideo;
use super::lenient::{self, Caveats, LenientStr, MAX_UNKNOWN_BYTES, MembersSeed};
use super::normalise::{Issues, integer, normalise, number};

/// A body's envelope read leniently: its members but `data` (the last of repeated ones),
/// and at most a page of `data`'s items, left raw.
pub(crate) struct RawEnvelope<'a> {
    /// The members but `data`, read by [`lenient::value`]; `data` itself is there as a
    /// stand-in of its JSON type (an empty list for the list), or absent.
    pub(crate) fields: Map<String, Value>,
    /// The first items of `data`, or `None` when `data` is neither a list nor null.
    pub(crate) items: Option<Vec<&'a RawValue>>,
    /// How many items `data` holds.
    pub(crate) received: usize,
}

impl<'a> RawEnvelope<'a> {
    /// Reads `bytes`, keeping at most `page_size` items; an error when they are not a JSON
    /// object (or hold a raw control character in a string).
    pub(crate) fn read(bytes: &'a [u8], page_size: usize) -> Result<Self, String> {
        let envelope_members = MembersSeed {
            known: |name| matches!(name, "code" | "message" | "data" | "requestId"),
            budget: MAX_UNKNOWN_BYTES,
        };
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let members = envelope_members
            .deserialize(&mut deserializer)
            .and_then(|members| deserializer.end().map(|()| members.kept));
        let members = match members {
            Ok(members) => members,
            Err(error) => {
                return Err(match serde_json::from_slice::<IgnoredAny>(bytes) {
                    Ok(_) => "the body is not a JSON object".to_owned(),
                    Err(_) => error.to_string(),
                });
            }
        };
        let mut envelope = RawEnvelope {
            fields: Map::new(),
            items: Some(Vec::new()),
            received: 0,
        };
        for (LenientStr(name, _), raw) in members {
            if name != "data" {
                let (value, _) = lenient::value(raw);
                envelope.fields.insert(name, value.unwrap_or(Value::Null));
                continue;
            }
            let (stand_in, items, received) = match raw.get().as_bytes().first() {
                Some(b'[') => {
                    let (items, received) = ItemsSeed(page_size)
                        .deserialize(&mut serde_json::Deserializer::from_str(raw.get()))
                        .map_err(|error| error.to_string())?;
                    (Value::Array(Vec::new()), Some(items), received)
                }
                Some(b'n') => (Value::Null, Some(Vec::new()), 0),
                Some(b'{') => (Value::Object(Map::new()), None, 0),
                Some(b'"') => (Value::String(String::new()), None, 0),
                Some(b't' | b'f') => (Value::Bool(true), None, 0),
                _ => (Value::from(0), None, 0),
            };
            envelope.fields.insert(name, stand_in);
            (envelope.items, envelope.received) = (items, received);
        }
        Ok(envelope)
    }
}

/// Reads a list's first items raw, skipping the others as it reads them.
struct ItemsSeed(usize);

impl<'de> DeserializeSeed<'de> for ItemsSeed {
    type Value = (Vec<&'de RawValue>, usize);
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> de::Visitor<'de> for ItemsSeed {
    type Value = (Vec<&'de RawValue>, usize);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of items")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while items.len() < self.0 {
            match seq.next_element::<&RawValue>()? {
                Some(item) => items.push(item),
                None => break,
            }
        }
        let mut received = items.len();
        while seq.next_element::<IgnoredAny>()?.is_some() {
            received += 1;
        }
        Ok((items, received))
    }
}

/// An item's members read by [`lenient::value`], each change it made recorded as an issue
/// on its member (but a number kept as text in a field this crate maps: the field's own
/// rule records that); unknown members past [`MAX_UNKNOWN_BYTES`] skipped, with an issue.
/// Not an object: read whole, for the rescue to record.
pub(super) fn read_item(raw: &RawValue) -> (Value, Issues) {
    let mut issues = Issues::default();
    let item_members = MembersSeed {
        known: is_mapped,
        budget: MAX_UNKNOWN_BYTES,
    };
    let members = item_members.deserialize(&mut serde_json::Deserializer::from_str(raw.get()));
    let Ok(members) = members else {
        let (value, caveats) = lenient::value(raw);
        for problem in caveats.problems() {
            issues.push("data[]", raw.get(), problem);
        }
        return (value.unwrap_or(Value::Null), issues);
    };
    if let Some((name, count)) = members.skipped {
        let problem = format!("{count} unknown fields past {MAX_UNKNOWN_BYTES} bytes were dropped");
        issues.push(&name, "", problem);
    }
    let mut fields = Map::new();
    for (LenientStr(name, key_caveats), raw) in members.kept {
        let (value, caveats) = lenient::value(raw);
        let mapped = is_mapped(&name);
        for problem in key_caveats.problems().chain(caveats.problems()) {
            if !(mapped && problem == Caveats::NUMBER_AS_TEXT) {
                issues.push(&name, raw.get(), problem);
            }
        }
        match value {
            Some(value) => fields.insert(name, value),
            None => fields.remove(&name),
        };
    }
    (Value::Object(fields), issues)
}

/// Whether this crate maps the item field `name` (it is not kept in `extra`).
fn is_mapped(name: &str) -> bool {
    RankedVideo::FIELDS.iter().any(|m| m.wire == name)
}

/// Coerces one drifted item into the spec's shape, then normalises it like any other;
/// `issues` holds what reading it recorded.
pub(super) fn rescue_item(item: Value, rank: u64, mut issues: Issues) -> RankedVideo {
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
            ("integer", other) => match (integer(other), number(other)) {
                (Some(n), _) => Some(Value::from(n)),
                (None, Some(n)) if name == "total_video_sale_gmv_amt" => {
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

pub(super) fn empty_item() -> types::RankedVideo {
    serde_json::from_value(Value::Object(Map::new())).unwrap_or_else(|_| unreachable!())
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
