//! The slow path: coerces an item that drifted from the spec back into the spec's shape,
//! field by field, so it can be normalised like any other.

use keyapi_tiktok_openapi::types;
use serde_json::{Map, Value};

use super::RankedVideo;
use super::normalise::{Issues, normalise, number};

/// Coerces one drifted item into the spec's shape, then normalises it like any other.
pub(crate) fn rescue_item(item: Value, rank: u64) -> RankedVideo {
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
