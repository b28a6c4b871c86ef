//! Values documented in descriptions (rank field, period, sales method) match the typed enums.

use super::parameters::{ENUM_PARAMETERS, spec_parameters};
use super::*;

/// The values documented on a query parameter, read as spec-diff reads them (the
/// parameter's description and its schema's), with the description for messages.
fn parameter_values(name: &str) -> (String, BTreeMap<i64, String>) {
    let spec = spec_json();
    // A moved operation is named as such, not as a missing parameter.
    operation_json(&spec);
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
    let text = schema_text(resolve(&spec, sales_flag));
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
        let values = documented_values(&schema_text(resolve(&spec, property)));
        if !values.is_empty() && name != "sales_flag" {
            problems.push(format!(
                "response property `{name}` documents coded values {values:?}, but no typed enum covers them"
            ));
        }
    }
    assert_no_problems("documented values", &problems);
}
