//! Response properties: every item and envelope property is mapped, typed as written for, and lands where FIELDS says.

use super::parameters::minimal_query;
use super::*;

/// The mapping of an upstream item property, if [`RankedVideo::FIELDS`] has one.
fn mapping(wire: &str) -> Option<&'static FieldMapping> {
    RankedVideo::FIELDS.iter().find(|m| m.wire == wire)
}

#[test]
fn every_item_property_is_mapped_by_ranked_video_fields_and_back() {
    let spec = spec_openapi();
    let item = object(item_schema(&spec), "the ranking item");
    let mut problems = Vec::new();
    for (name, property) in &item.properties {
        let kind = type_name(resolve(&spec, property));
        match mapping(name) {
            None => problems.push(format!(
                "response property `{name}` ({kind}) of the ranking item has no mapping in \
                 RankedVideo::FIELDS (it would only land in `extra`)"
            )),
            Some(m) if m.documented_type.is_none() => problems.push(format!(
                "response property `{name}` ({kind}) is now documented by the spec, but \
                 RankedVideo::FIELDS maps it as an undocumented all-time total (`{}`)",
                m.field
            )),
            Some(_) => {}
        }
    }
    for m in RankedVideo::FIELDS {
        if m.documented_type.is_some() && !item.properties.contains_key(m.wire) {
            problems.push(format!(
                "RankedVideo::FIELDS maps `{}` to `{}`, but the spec's ranking item no longer has a property `{}`",
                m.wire, m.field, m.wire
            ));
        }
    }
    assert_no_problems("ranking item properties", &problems);
}

#[test]
fn every_item_property_has_the_type_its_mapping_was_written_for() {
    let spec = spec_openapi();
    let item = object(item_schema(&spec), "the ranking item");
    let mut problems = Vec::new();
    for (name, property) in &item.properties {
        let actual = type_name(resolve(&spec, property));
        if let Some(m) = mapping(name)
            && let Some(expected) = m.documented_type
            && expected != actual
        {
            problems.push(format!(
                "response property `{name}` is `{actual}` in the spec, but its typed field `{}` was written for `{expected}`",
                m.field
            ));
        }
    }
    assert_no_problems("ranking item property types", &problems);
}

/// FIELDS names real fields: every typed name is a key of a serialized [`RankedVideo`].
#[test]
fn ranked_video_fields_name_real_typed_fields() {
    let spec = spec_json();
    let body = serde_json::to_vec(&response_example(&spec, 200)).expect("the example serializes");
    let page = Page::from_body(&body, &minimal_query()).expect("the 200 example decodes");
    let item = page.items.first().expect("the 200 example has an item");
    let item = serde_json::to_value(item).expect("a RankedVideo serializes");
    let mut problems = Vec::new();
    for FieldMapping {
        wire, field: typed, ..
    } in RankedVideo::FIELDS
    {
        let found = typed
            .split('.')
            .try_fold(&item, |value, key| value.get(key))
            .is_some();
        if !found {
            problems.push(format!(
                "RankedVideo::FIELDS maps `{wire}` to `{typed}`, which a serialized RankedVideo does not have"
            ));
        }
    }
    assert_no_problems("RankedVideo::FIELDS", &problems);
}

/// A value for `wire` that differs from `baseline` but stays readable, so that changing it
/// must change the typed field it maps to (and only that one).
fn distinctive(wire: &str, baseline: Option<&Value>) -> Value {
    match baseline {
        // The undocumented totals are absent from the example.
        None | Some(Value::Null) => json!(4242),
        Some(Value::Number(n)) => json!(n.as_i64().unwrap_or(0) + 7),
        Some(Value::String(text)) => Value::String(match text.as_str() {
            "true" => "false".to_owned(),
            "false" => "true".to_owned(),
            number if number.parse::<i64>().is_ok() => {
                (number.parse::<i64>().unwrap_or(0) + 86_400).to_string()
            }
            link if link.starts_with("http") => format!("{link}?distinct={wire}"),
            // The JSON-in-a-string lists: another product id, another category id.
            list if list.starts_with('[') => {
                list.replace("695003", "699999").replace("601450", "609999")
            }
            other => format!("{other} ({wire})"),
        }),
        Some(other) => panic!("`{wire}` has an example value of an unexpected kind: {other}"),
    }
}

/// The typed leaves of a serialized video, `history.views` style, without the ones every
/// item has regardless of its fields.
fn leaves(video: &Value) -> BTreeMap<String, Value> {
    let mut leaves = BTreeMap::new();
    if let Some(object) = video.as_object() {
        for (key, value) in object {
            match (key.as_str(), value) {
                ("history", Value::Object(totals)) => {
                    for (total, value) in totals {
                        leaves.insert(format!("history.{total}"), value.clone());
                    }
                }
                _ => {
                    leaves.insert(key.clone(), value.clone());
                }
            }
        }
    }
    leaves
}

/// FIELDS says where each wire field lands: changing one wire field in the spec's example
/// changes exactly the typed field FIELDS names (so `total_views_cnt` lands in `views`, not
/// merely somewhere), and records no issue.
#[test]
fn each_wire_field_lands_in_the_field_fields_names() {
    let spec = spec_json();
    let example = response_example(&spec, 200);
    let decode = |body: &Value| -> Value {
        let bytes = serde_json::to_vec(body).expect("the body serializes");
        let page = Page::from_body(&bytes, &minimal_query()).expect("the body decodes");
        serde_json::to_value(&page.items[0]).expect("a RankedVideo serializes")
    };
    let baseline = leaves(&decode(&example));
    let mut problems = Vec::new();
    for FieldMapping { wire, field, .. } in RankedVideo::FIELDS {
        let mut body = example.clone();
        let item = &mut body["data"][0];
        let value = distinctive(wire, item.get(*wire));
        item[*wire] = value.clone();
        let video = decode(&body);
        let changed: Vec<String> = leaves(&video)
            .into_iter()
            .filter(|(key, value)| baseline.get(key) != Some(value))
            .map(|(key, _)| key)
            .collect();
        if changed != [*field] {
            problems.push(format!(
                "`{wire}` = {value} changed {changed:?}, but RankedVideo::FIELDS says it lands in `{field}`"
            ));
        }
    }
    assert_no_problems("where each wire field lands", &problems);
}

/// The envelope properties the client reads, with the type it reads them as.
const ENVELOPE: &[(&str, &str, &str)] = &[
    ("code", "integer", "error classification; 0 is success"),
    ("message", "string", "ApiFailure::message"),
    ("data", "array", "Page::items"),
    (
        "requestId",
        "string",
        "Page::request_id / Error::request_id",
    ),
];

#[test]
fn the_envelope_has_the_properties_the_client_reads() {
    let spec = spec_openapi();
    let envelope = object(envelope_schema(&spec), "the 200 envelope");
    let mut problems = Vec::new();
    for (name, property) in &envelope.properties {
        let actual = type_name(resolve(&spec, property));
        match ENVELOPE.iter().find(|(wire, _, _)| wire == name) {
            None => problems.push(format!(
                "the 200 envelope has a property `{name}` ({actual}) that the client does not read"
            )),
            Some((_, expected, read_as)) if *expected != actual => problems.push(format!(
                "envelope property `{name}` is `{actual}` in the spec, but it is read as `{expected}` ({read_as})"
            )),
            Some(_) => {}
        }
    }
    for (name, _, read_as) in ENVELOPE {
        if !envelope.properties.contains_key(*name) {
            problems.push(format!(
                "the client reads envelope property `{name}` ({read_as}), but the spec no longer has it"
            ));
        }
    }
    assert_no_problems("200 envelope", &problems);
}
