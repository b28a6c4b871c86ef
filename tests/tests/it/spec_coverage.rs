//! Spec coverage: reads the vendored spec with `openapiv3` and fails, naming the item, when
//! a query parameter, a response property, a value documented in a description or a
//! documented error status has no counterpart in the typed API of `keyapi-tiktok`, or when
//! the typed API maps something the spec no longer documents.
//!
//! The tables below are the explicit mapping; each is checked in both directions, so a
//! stale row fails as surely as a missing one.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use jiff::civil::date;
use keyapi_tiktok::{
    FieldMapping, MAX_PAGE_SIZE, Page, Period, RankField, RankedVideo, SalesMethod,
    VideoRankingQuery,
};
use keyapi_tiktok_drift_tests::{
    OPERATION_PATH, client, declared_statuses, envelope_schema, error_statuses, item_schema,
    object, operation, request_sent, resolve, resolve_boxed, response_example, serve_example,
    spec_json, spec_openapi, type_name,
};
use keyapi_tiktok_spec::{VIDEO_RANKING, documented_values};
use openapiv3::{OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr};

/// Fails with every problem found, one a line.
#[track_caller]
fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s) between spec/upstream.openapi.yaml and keyapi-tiktok:\n  - {}",
        problems.len(),
        problems.join("\n  - ")
    );
}

// ---------------------------------------------------------------------------------------
// Query parameters
// ---------------------------------------------------------------------------------------

/// How the typed query sets one query parameter.
struct ParameterMapping {
    /// The parameter's name on the wire.
    name: &'static str,
    /// Whether every typed query sends it (it must then be required in the spec, and the
    /// other way round).
    always_sent: bool,
    /// The schema type the wire value is written for.
    schema_type: &'static str,
    /// The typed API that sets it.
    set_by: &'static str,
    /// The wire value a query gives it, `None` when it is not sent.
    wire: fn(&VideoRankingQuery) -> Option<String>,
}

const PARAMETERS: &[ParameterMapping] = &[
    ParameterMapping {
        name: "date",
        always_sent: true,
        schema_type: "string",
        set_by: "VideoRankingQuery::new(date, ..) / date()",
        wire: |q| Some(q.date().to_string()),
    },
    ParameterMapping {
        name: "region",
        always_sent: true,
        schema_type: "string",
        set_by: "VideoRankingQuery::new(_, region, ..) / region()",
        wire: |q| Some(q.region().as_str().to_owned()),
    },
    ParameterMapping {
        name: "product_category_id",
        always_sent: false,
        schema_type: "string",
        set_by: "VideoRankingQuery::category(id) / category_id()",
        wire: |q| q.category_id().map(str::to_owned),
    },
    ParameterMapping {
        name: "created_by_ai",
        always_sent: false,
        schema_type: "string",
        set_by: "VideoRankingQuery::created_by_ai(bool) / ai_filter()",
        wire: |q| q.ai_filter().map(|ai| ai.to_string()),
    },
    ParameterMapping {
        name: "video_rank_field",
        always_sent: true,
        schema_type: "integer",
        set_by: "VideoRankingQuery::new(_, _, rank_field, _) / rank_field().code()",
        wire: |q| Some(q.rank_field().code().to_string()),
    },
    ParameterMapping {
        name: "rank_type",
        always_sent: true,
        schema_type: "integer",
        set_by: "VideoRankingQuery::new(_, _, _, period) / period().code()",
        wire: |q| Some(q.period().code().to_string()),
    },
    ParameterMapping {
        name: "page_num",
        always_sent: true,
        schema_type: "integer",
        set_by: "VideoRankingQuery::page(n) / page_number()",
        wire: |q| Some(q.page_number().to_string()),
    },
    ParameterMapping {
        name: "page_size",
        always_sent: true,
        schema_type: "integer",
        set_by: "VideoRankingQuery::page_size(n) / size()",
        wire: |q| Some(q.size().to_string()),
    },
];

/// The parameters whose description documents coded values, and the enum that covers them.
const ENUM_PARAMETERS: &[(&str, &str)] =
    &[("video_rank_field", "RankField"), ("rank_type", "Period")];

/// A query with only the four required choices.
fn minimal_query() -> VideoRankingQuery {
    VideoRankingQuery::new(
        date(2026, 1, 31),
        "US".parse().expect("US is a region"),
        RankField::Views,
        Period::Daily,
    )
}

/// A query that sets everything the typed query can set.
fn full_query() -> VideoRankingQuery {
    VideoRankingQuery::new(
        date(2026, 1, 26),
        "GB".parse().expect("GB is a region"),
        RankField::Sales,
        Period::Weekly,
    )
    .category("601450")
    .created_by_ai(true)
    .page(3)
    .page_size(MAX_PAGE_SIZE)
}

/// One query parameter as the spec declares it.
struct SpecParameter {
    name: String,
    required: bool,
    schema_type: &'static str,
    description: String,
}

/// The operation's query parameters; parameters anywhere else are reported as problems.
fn spec_parameters(spec: &OpenAPI, problems: &mut Vec<String>) -> Vec<SpecParameter> {
    let mut parameters = Vec::new();
    for parameter in &operation(spec).parameters {
        let ReferenceOr::Item(parameter) = parameter else {
            problems.push(format!(
                "GET {OPERATION_PATH} has a $ref parameter ({parameter:?}); teach the test to resolve it"
            ));
            continue;
        };
        let data = parameter.parameter_data_ref();
        if !matches!(parameter, Parameter::Query { .. }) {
            problems.push(format!(
                "parameter `{}` is not a query parameter ({parameter:?}); the typed query only sends query parameters",
                data.name
            ));
            continue;
        }
        let schema_type = match &data.format {
            ParameterSchemaOrContent::Schema(schema) => type_name(resolve(spec, schema)),
            ParameterSchemaOrContent::Content(_) => "content",
        };
        parameters.push(SpecParameter {
            name: data.name.clone(),
            required: data.required,
            schema_type,
            description: data.description.clone().unwrap_or_default(),
        });
    }
    parameters
}

#[test]
fn every_query_parameter_has_a_typed_counterpart_and_back() {
    let spec = spec_openapi();
    let mut problems = Vec::new();
    let parameters = spec_parameters(&spec, &mut problems);
    let minimal = minimal_query();
    for parameter in &parameters {
        let name = parameter.name.as_str();
        let Some(mapping) = PARAMETERS.iter().find(|m| m.name == name) else {
            problems.push(format!(
                "query parameter `{name}` ({}{}) has no counterpart in VideoRankingQuery: \
                 add a way to set it and a row to PARAMETERS",
                if parameter.required {
                    "required, "
                } else {
                    "optional, "
                },
                parameter.schema_type
            ));
            continue;
        };
        if parameter.required != mapping.always_sent {
            problems.push(format!(
                "query parameter `{name}` is {} in the spec, but the typed query {} ({})",
                if parameter.required {
                    "required"
                } else {
                    "optional"
                },
                if mapping.always_sent {
                    "always sends it"
                } else {
                    "may leave it unset"
                },
                mapping.set_by
            ));
        }
        if parameter.schema_type != mapping.schema_type {
            problems.push(format!(
                "query parameter `{name}` is `{}` in the spec, but the typed query ({}) was written for `{}`",
                parameter.schema_type, mapping.set_by, mapping.schema_type
            ));
        }
        if mapping.always_sent && (mapping.wire)(&minimal).is_none() {
            problems.push(format!(
                "query parameter `{name}` is always sent by the table, but a minimal query leaves it unset"
            ));
        }
    }
    for mapping in PARAMETERS {
        if !parameters.iter().any(|p| p.name == mapping.name) {
            problems.push(format!(
                "the typed query sets `{}` ({}), but the spec no longer has that query parameter",
                mapping.name, mapping.set_by
            ));
        }
    }
    assert_no_problems("query parameters", &problems);
}

/// Ties the table to the client: what it sends is exactly what the table says.
#[tokio::test]
async fn the_client_sends_exactly_the_mapped_parameters() {
    let spec = spec_json();
    let example = response_example(&spec, 200);
    let mut problems = Vec::new();
    for (label, query) in [
        ("minimal query", minimal_query()),
        ("full query", full_query()),
    ] {
        let request = &request_sent(label, &query, &example).await;
        let sent: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
        for mapping in PARAMETERS {
            let expected = (mapping.wire)(&query);
            let actual = sent.get(mapping.name).cloned();
            if actual != expected {
                problems.push(format!(
                    "{label}: `{}` was sent as {actual:?}, the table says {expected:?} ({})",
                    mapping.name, mapping.set_by
                ));
            }
        }
        for name in sent.keys() {
            if !PARAMETERS.iter().any(|m| m.name == name) {
                problems.push(format!(
                    "{label}: the client sent `{name}`, which is not in PARAMETERS"
                ));
            }
        }
    }
    assert_no_problems("parameters sent", &problems);
}

/// The same two queries against literal wire values, written out by hand: the table above
/// derives its expectations from the query's accessors, so it alone would not notice an
/// accessor and the wire drifting together.
#[tokio::test]
async fn the_wire_values_are_the_documented_codes() {
    let spec = spec_json();
    let example = response_example(&spec, 200);
    type WireValues = &'static [(&'static str, &'static str)];
    let cases: [(&str, VideoRankingQuery, WireValues); 2] = [
        (
            "minimal query",
            minimal_query(),
            &[
                ("date", "2026-01-31"),
                ("page_num", "1"),
                ("page_size", "10"),
                ("rank_type", "1"),
                ("region", "US"),
                ("video_rank_field", "1"),
            ],
        ),
        (
            "full query",
            full_query(),
            &[
                ("created_by_ai", "true"),
                ("date", "2026-01-26"),
                ("page_num", "3"),
                ("page_size", "10"),
                ("product_category_id", "601450"),
                ("rank_type", "2"),
                ("region", "GB"),
                ("video_rank_field", "2"),
            ],
        ),
    ];
    for (label, query, expected) in cases {
        let request = request_sent(label, &query, &example).await;
        let sent: Vec<(String, String)> = {
            let mut pairs: Vec<_> = request.url.query_pairs().into_owned().collect();
            pairs.sort();
            pairs
        };
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        assert_eq!(sent, expected, "{label}");
    }
}

// ---------------------------------------------------------------------------------------
// Documented values: rank field, period, sales method
// ---------------------------------------------------------------------------------------

/// The values documented on a query parameter, read as spec-diff reads them (the
/// parameter's description and its schema's), with the description for messages.
fn parameter_values(name: &str) -> (String, BTreeMap<i64, String>) {
    let spec = spec_json();
    let parameter = VIDEO_RANKING
        .parameter(&spec, name)
        .unwrap_or_else(|| panic!("the spec no longer has the query parameter `{name}`"));
    let description = parameter["description"].as_str().unwrap_or_default();
    (
        description.to_owned(),
        keyapi_tiktok_spec::parameter_values(&spec, parameter),
    )
}

#[test]
fn documented_rank_field_values_match_rank_field() {
    let (description, documented) = parameter_values("video_rank_field");
    let mut problems = Vec::new();
    for (code, label) in &documented {
        match RankField::ALL.iter().find(|field| field.code() == *code) {
            None => problems.push(format!(
                "video_rank_field documents {code}={label}, but no RankField variant has code {code}"
            )),
            Some(field) if field.wire_field() != label => problems.push(format!(
                "video_rank_field documents {code}={label}, but RankField::{field:?}.wire_field() is `{}`",
                field.wire_field()
            )),
            Some(_) => {}
        }
    }
    for field in RankField::ALL {
        if !documented.iter().any(|(code, _)| *code == field.code()) {
            problems.push(format!(
                "RankField::{field:?} (code {}, {}) is no longer documented in video_rank_field's description: {description:?}",
                field.code(),
                field.wire_field()
            ));
        }
    }
    assert_no_problems("video_rank_field values", &problems);
}

/// The label the spec gives each period (`1=日榜`); the library has no such method.
const PERIOD_LABELS: &[(Period, &str)] = &[
    (Period::Daily, "日榜"),
    (Period::Weekly, "周榜"),
    (Period::Monthly, "月榜"),
];

#[test]
fn documented_period_values_match_period() {
    let (description, documented) = parameter_values("rank_type");
    let mut problems = Vec::new();
    for (code, label) in &documented {
        match Period::ALL.iter().find(|period| period.code() == *code) {
            None => problems.push(format!(
                "rank_type documents {code}={label}, but no Period variant has code {code}"
            )),
            Some(period) => {
                let expected = PERIOD_LABELS
                    .iter()
                    .find(|(p, _)| p == period)
                    .map(|(_, l)| *l);
                if expected != Some(label.as_str()) {
                    problems.push(format!(
                        "rank_type documents {code}={label}, but Period::{period:?} was written for {code}={}",
                        expected.unwrap_or("<no row in PERIOD_LABELS>")
                    ));
                }
            }
        }
    }
    for period in Period::ALL {
        if !documented.iter().any(|(code, _)| *code == period.code()) {
            problems.push(format!(
                "Period::{period:?} (code {}) is no longer documented in rank_type's description: {description:?}",
                period.code()
            ));
        }
    }
    assert_no_problems("rank_type values", &problems);
}

/// The sales methods the spec documents in `sales_flag`'s title, with their labels.
const SALES_METHODS: &[(i64, SalesMethod, &str)] = &[
    (0, SalesMethod::NoSales, "no sales"),
    (1, SalesMethod::Video, "video sales"),
    (2, SalesMethod::Live, "live streaming sales"),
];

/// A property's title and description, where upstream documents its values.
fn schema_text(schema: &openapiv3::Schema) -> String {
    let data = &schema.schema_data;
    [data.title.as_deref(), data.description.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn documented_sales_flag_values_map_to_sales_methods() {
    let spec = spec_openapi();
    let item = object(item_schema(&spec), "the ranking item");
    let sales_flag = item
        .properties
        .get("sales_flag")
        .unwrap_or_else(|| panic!("the ranking item no longer has a `sales_flag` property"));
    let text = schema_text(resolve_boxed(&spec, sales_flag));
    let documented = documented_values(&text);
    let mut problems = Vec::new();
    for (code, label) in &documented {
        let method = SalesMethod::from_code(*code);
        if let SalesMethod::Unknown(_) = method {
            problems.push(format!(
                "sales_flag documents {code} ({label}), but SalesMethod::from_code({code}) is Unknown"
            ));
        }
        match SALES_METHODS.iter().find(|(c, _, _)| c == code) {
            Some((_, expected, expected_label)) => {
                if method != *expected || label.as_str() != *expected_label {
                    problems.push(format!(
                        "sales_flag documents {code} ({label}) and SalesMethod::from_code({code}) is {method:?}, \
                         but the mapping was written for {code} ({expected_label}) = {expected:?}"
                    ));
                }
            }
            None => problems.push(format!(
                "sales_flag documents {code} ({label}), which has no row in SALES_METHODS"
            )),
        }
    }
    // Every code the library knows must still be documented.
    for code in -64..=1024 {
        let method = SalesMethod::from_code(code);
        if !matches!(method, SalesMethod::Unknown(_))
            && !documented.iter().any(|(documented, _)| *documented == code)
        {
            problems.push(format!(
                "SalesMethod::from_code({code}) is {method:?}, but sales_flag no longer documents {code}: {text:?}"
            ));
        }
    }
    assert_no_problems("sales_flag values", &problems);
}

#[test]
fn coded_values_are_documented_only_where_a_typed_enum_covers_them() {
    let spec = spec_openapi();
    let mut problems = Vec::new();
    for parameter in spec_parameters(&spec, &mut problems) {
        let values = documented_values(&parameter.description);
        if !values.is_empty()
            && !ENUM_PARAMETERS
                .iter()
                .any(|(name, _)| *name == parameter.name)
        {
            problems.push(format!(
                "query parameter `{}` documents coded values {values:?}, but no typed enum covers them",
                parameter.name
            ));
        }
    }
    for (name, _) in ENUM_PARAMETERS {
        if !spec_parameters(&spec, &mut Vec::new())
            .iter()
            .any(|p| p.name == *name)
        {
            problems.push(format!(
                "ENUM_PARAMETERS lists `{name}`, which the spec no longer has"
            ));
        }
    }
    let item = object(item_schema(&spec), "the ranking item");
    for (name, property) in &item.properties {
        let values = documented_values(&schema_text(resolve_boxed(&spec, property)));
        if !values.is_empty() && name != "sales_flag" {
            problems.push(format!(
                "response property `{name}` documents coded values {values:?}, but no typed enum covers them"
            ));
        }
    }
    assert_no_problems("documented values", &problems);
}

// ---------------------------------------------------------------------------------------
// Response properties
// ---------------------------------------------------------------------------------------

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
        let kind = type_name(resolve_boxed(&spec, property));
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
        let actual = type_name(resolve_boxed(&spec, property));
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
        let actual = type_name(resolve_boxed(&spec, property));
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

// ---------------------------------------------------------------------------------------
// Error statuses
// ---------------------------------------------------------------------------------------

/// The typed error each documented error status maps to, as `Error::kind()`.
const ERROR_KINDS: &[(u16, &str)] = &[
    (400, "bad_request"),
    (401, "authentication"),
    (402, "credits_exhausted"),
    (429, "rate_limited"),
    (500, "server"),
];

/// Kinds that are not a typed variant for a status: the catch-all and decode failures.
const GENERIC_KINDS: &[&str] = &["api", "decode", "transport"];

#[tokio::test]
async fn every_documented_error_status_has_a_typed_error_and_back() {
    let spec = spec_json();
    let mut problems = Vec::new();
    let successes: Vec<u16> = declared_statuses(&spec)
        .into_iter()
        .filter(|status| (200..300).contains(status))
        .collect();
    if successes != [200] {
        problems.push(format!(
            "the spec declares success statuses {successes:?}; the client decodes only 200"
        ));
    }
    let documented = error_statuses(&spec);
    for &status in &documented {
        let example = response_example(&spec, status);
        let server = serve_example(status, &example).await;
        let kind = match client(&server).video_ranking_page(&minimal_query()).await {
            Ok(_) => {
                problems.push(format!(
                    "documented error status {status}: its example decoded as a page"
                ));
                continue;
            }
            Err(error) => error.kind(),
        };
        match ERROR_KINDS.iter().find(|(s, _)| *s == status) {
            None => problems.push(format!(
                "documented error status {status} has no typed error variant in ERROR_KINDS \
                 (its example maps to Error::kind() `{kind}`)"
            )),
            Some((_, expected)) if *expected != kind => problems.push(format!(
                "documented error status {status} maps to Error::kind() `{kind}`, ERROR_KINDS expects `{expected}`"
            )),
            Some(_) => {}
        }
        if GENERIC_KINDS.contains(&kind) {
            problems.push(format!(
                "documented error status {status} maps to the generic Error::kind() `{kind}`, not a typed variant"
            ));
        }
    }
    for (status, kind) in ERROR_KINDS {
        if !documented.contains(status) {
            problems.push(format!(
                "ERROR_KINDS maps status {status} to `{kind}`, but the spec no longer documents status {status}"
            ));
        }
    }
    assert_no_problems("error statuses", &problems);
}
