//! Query parameters: every one has a typed counterpart, and the client sends exactly them.

use super::*;

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
pub(super) const ENUM_PARAMETERS: &[(&str, &str)] =
    &[("video_rank_field", "RankField"), ("rank_type", "Period")];

/// A query with only the four required choices.
pub(super) fn minimal_query() -> VideoRankingQuery {
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
pub(super) struct SpecParameter {
    pub(super) name: String,
    required: bool,
    schema_type: &'static str,
    pub(super) description: String,
}

/// The operation's query parameters; parameters anywhere else are reported as problems.
pub(super) fn spec_parameters(spec: &OpenAPI, problems: &mut Vec<String>) -> Vec<SpecParameter> {
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
