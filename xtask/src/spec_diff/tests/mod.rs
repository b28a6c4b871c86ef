//! The spec-diff tests: each rule on a mutation of the vendored document, and the
//! vendored document's values; `formats` holds the fixture pairs and outputs.

mod formats;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use keyapi_tiktok_spec::{UPSTREAM, VIDEO_RANKING};
use serde_json::Value;

use super::model::operations;
use super::options::{FailOn, Format};
use super::rules::{NEW_RESPONSE_VALUE_NOTE, changed_paths};
use super::*;
use crate::project_root;

fn fixture(name: &str) -> PathBuf {
    project_root()
        .join("xtask/tests/fixtures/spec-diff")
        .join(name)
}

/// The default command line for `old` and `new`.
fn options(old: &Path, new: &Path) -> Options {
    Options {
        format: Format::Text,
        fail_on: FailOn::Breaking,
        old: old.to_owned(),
        new: new.to_owned(),
    }
}

fn upstream_text() -> String {
    std::fs::read_to_string(project_root().join(UPSTREAM)).unwrap()
}

/// The vendored document with `from` (which must occur exactly once) replaced by `to`.
fn mutated(from: &str, to: &str) -> Value {
    let text = upstream_text();
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    parse(&text.replacen(from, to, 1)).unwrap()
}

/// The report lines from the vendored document to its mutation, without the summary.
fn upstream_to(from: &str, to: &str) -> Vec<String> {
    let old = parse(&upstream_text()).unwrap();
    diff(&old, &mutated(from, to))
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// The last property of a ranked item in the vendored document.
const CREATED_BY_AI_PROPERTY: &str =
    "                        created_by_ai:\n                          type: string\n";

fn breaking(message: &str) -> String {
    format!("BREAKING  {}: {message}", VIDEO_RANKING.subject())
}

fn additive(message: &str) -> String {
    format!("additive  {}: {message}", VIDEO_RANKING.subject())
}

#[test]
fn identical_documents_have_no_differences() {
    let document = parse(&upstream_text()).unwrap();
    let changes = diff(&document, &document);
    assert_eq!(render(&changes), "no differences\n");
}

#[test]
fn json_and_yaml_of_the_same_document_do_not_differ() {
    let yaml = parse(&upstream_text()).unwrap();
    let json = parse(&serde_json::to_string_pretty(&yaml).unwrap()).unwrap();
    assert_eq!(diff(&yaml, &json), []);
    let yaml = load(&fixture("base.yaml")).unwrap();
    let json = load(&fixture("base.json")).unwrap();
    assert_eq!(diff(&yaml, &json), []);
}

#[test]
fn renaming_a_response_property_is_a_removal_and_an_addition() {
    let lines = upstream_to(
        "                        video_id:\n                          type: string\n",
        "                        id:\n                          type: string\n",
    );
    assert_eq!(
        lines,
        [
            breaking("response 200 property data[].video_id removed"),
            additive("response 200 property data[].id added (string)"),
        ]
    );
}

#[test]
fn adding_a_required_parameter_is_breaking() {
    let lines = upstream_to(
        "        - name: page_num\n",
        concat!(
            "        - name: seller_id\n",
            "          in: query\n",
            "          required: true\n",
            "          schema:\n",
            "            type: string\n",
            "        - name: page_num\n",
        ),
    );
    assert_eq!(
        lines,
        [breaking(
            "query parameter seller_id added (required, string)"
        )]
    );
}

#[test]
fn adding_an_optional_parameter_is_additive() {
    let lines = upstream_to(
        "        - name: page_num\n",
        concat!(
            "        - name: seller_id\n",
            "          in: query\n",
            "          required: false\n",
            "          schema:\n",
            "            type: string\n",
            "        - name: page_num\n",
        ),
    );
    assert_eq!(
        lines,
        [additive(
            "query parameter seller_id added (optional, string)"
        )]
    );
}

#[test]
fn adding_a_rank_field_value_is_additive() {
    let lines = upstream_to(
        "2=total_video_sale_cnt。",
        "2=total_video_sale_cnt，3=total_digg_cnt。",
    );
    assert_eq!(
        lines,
        [additive(
            "query parameter video_rank_field value 3=total_digg_cnt added"
        )]
    );
}

#[test]
fn adding_a_period_value_is_additive() {
    let lines = upstream_to("3=月榜。", "3=月榜，4=年榜。");
    assert_eq!(
        lines,
        [additive("query parameter rank_type value 4=年榜 added")]
    );
}

#[test]
fn removing_or_relabelling_a_documented_value_is_breaking() {
    let lines = upstream_to("1=日榜，2=周榜，3=月榜。", "1=日榜，2=双周榜。");
    assert_eq!(
        lines,
        [
            breaking("query parameter rank_type value 2 label changed from 周榜 to 双周榜"),
            breaking("query parameter rank_type value 3=月榜 removed"),
        ]
    );
}

#[test]
fn a_value_added_to_a_response_title_is_additive_but_flagged() {
    let lines = upstream_to(
        "2\n                            (live streaming sales)",
        "2\n                            (live streaming sales), 3 (bundle sales)",
    );
    assert_eq!(
        lines,
        [additive(&format!(
            "response 200 property data[].sales_flag value 3=bundle sales added{NEW_RESPONSE_VALUE_NOTE}"
        ))]
    );
}

#[test]
fn changing_a_property_type_is_breaking() {
    let lines = upstream_to(
        concat!(
            "                        duration:\n",
            "                          type: integer\n",
        ),
        concat!(
            "                        duration:\n",
            "                          type: string\n",
        ),
    );
    assert_eq!(
        lines,
        [breaking(
            "response 200 property data[].duration type changed from integer to string"
        )]
    );
}

#[test]
fn dropping_nullable_is_a_breaking_type_change() {
    let nullable = mutated(
        "                  data:\n                    type: array\n",
        concat!(
            "                  data:\n",
            "                    type: array\n",
            "                    nullable: true\n",
        ),
    );
    let upstream = parse(&upstream_text()).unwrap();
    let lines: Vec<String> = diff(&nullable, &upstream)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines,
        [breaking(
            "response 200 property data type changed from nullable array to array"
        )]
    );
}

#[test]
fn adding_a_property_is_additive() {
    let lines = upstream_to(
        CREATED_BY_AI_PROPERTY,
        concat!(
            "                        created_by_ai:\n",
            "                          type: string\n",
            "                        total_views_history_cnt:\n",
            "                          type: integer\n",
        ),
    );
    assert_eq!(
        lines,
        [additive(
            "response 200 property data[].total_views_history_cnt added (integer)"
        )]
    );
}

#[test]
fn a_response_property_becoming_optional_is_breaking_and_required_is_not() {
    let lines = upstream_to(
        "                required:\n                  - code\n                  - message\n",
        "                required:\n                  - message\n",
    );
    assert_eq!(
        lines,
        [breaking("response 200 property code became optional")]
    );
    let lines = upstream_to(
        CREATED_BY_AI_PROPERTY,
        concat!(
            "                        created_by_ai:\n",
            "                          type: string\n",
            "                      required:\n",
            "                        - video_id\n",
        ),
    );
    assert_eq!(
        lines,
        [additive(
            "response 200 property data[].video_id became required"
        )]
    );
}

#[test]
fn parameter_requiredness_and_type_changes_are_classified_by_direction() {
    let lines = upstream_to(
        concat!(
            "最大支持 100000。\n",
            "          required: true\n",
            "          schema:\n",
            "            type: integer\n",
        ),
        concat!(
            "最大支持 100000。\n",
            "          required: false\n",
            "          schema:\n",
            "            type: string\n",
        ),
    );
    assert_eq!(
        lines,
        [
            breaking("query parameter page_num type changed from integer to string"),
            additive("query parameter page_num became optional"),
        ]
    );
    let lines = upstream_to(
        "商品类目过滤。\n          required: false\n",
        "商品类目过滤。\n          required: true\n",
    );
    assert_eq!(
        lines,
        [breaking(
            "query parameter product_category_id became required"
        )]
    );
}

#[test]
fn removing_a_parameter_is_breaking() {
    let lines = upstream_to(
        concat!(
            "        - name: page_size\n",
            "          in: query\n",
            "          description: 每页返回数量，最大值为 10。\n",
            "          required: true\n",
            "          schema:\n",
            "            type: integer\n",
        ),
        "",
    );
    assert_eq!(lines, [breaking("query parameter page_size removed")]);
}

#[test]
fn removing_an_error_status_is_breaking_and_adding_one_is_not() {
    let text = upstream_text();
    let start = text.find("        '402':\n").unwrap();
    let end = text.find("        '429':\n").unwrap();
    let block = &text[start..end];
    assert_eq!(upstream_to(block, ""), [breaking("response 402 removed")]);
    let renamed = block.replace("'402'", "'403'");
    assert_eq!(
        upstream_to(block, &format!("{block}{renamed}")),
        [additive("response 403 added")]
    );
}

#[test]
fn changing_an_example_value_is_additive_and_says_where() {
    let lines = upstream_to("total_video_sale_cnt: 5508", "total_video_sale_cnt: 5509");
    assert_eq!(
        lines,
        [additive(
            "response 200 body example changed at data[0].total_video_sale_cnt"
        )]
    );
    let lines = upstream_to("                  message: qps limit exceeded\n", "");
    assert_eq!(
        lines,
        [additive("response 429 body example changed at message")]
    );
}

#[test]
fn many_example_changes_are_counted() {
    let mut paths = Vec::new();
    let old = serde_json::json!({ "a": 1, "b": [1, 2], "c": { "d": 1 }, "e": 1 });
    let new = serde_json::json!({ "a": 2, "b": [1], "c": { "d": 2 }, "f": 1 });
    changed_paths(&old, &new, "", &mut paths);
    assert_eq!(paths, ["a", "b[1]", "c.d", "e", "f"]);
}

#[test]
fn operations_added_and_removed() {
    let path = VIDEO_RANKING.path;
    let lines = upstream_to(
        &format!("  {path}:\n    get:\n"),
        &format!("  {path}:\n    post:\n"),
    );
    assert_eq!(
        lines,
        [
            breaking("operation removed"),
            format!("additive  POST {path}: operation added"),
        ]
    );
}

#[test]
fn the_vendored_document_documents_exactly_the_known_values() {
    let operations = operations(&parse(&upstream_text()).unwrap());
    let operation = &operations[&VIDEO_RANKING.subject()];
    let documented: BTreeMap<&str, usize> = (operation.parameters.iter())
        .filter(|(_, parameter)| !parameter.values.is_empty())
        .map(|((_, name), parameter)| (name.as_str(), parameter.values.len()))
        .collect();
    assert_eq!(
        documented,
        BTreeMap::from([("rank_type", 3), ("video_rank_field", 2)])
    );
    let properties = &operation.responses["200"].properties;
    let documented: Vec<&str> = (properties.iter())
        .filter(|(_, property)| !property.values.is_empty())
        .map(|(path, _)| path.as_str())
        .collect();
    assert_eq!(documented, ["data[].sales_flag"]);
    assert_eq!(properties.len(), 1 + 4 + 1 + 22);
}

#[test]
fn references_are_resolved_and_recursive_schemas_terminate() {
    let document = parse(
        "
openapi: 3.0.1
info: { title: t, version: '1' }
paths:
  /tree:
    get:
      parameters: [{ $ref: '#/components/parameters/Depth' }]
      responses:
        '200':
          description: ok
          content:
            application/json; charset=utf-8:
              schema: { $ref: '#/components/schemas/Node' }
components:
  parameters:
    Depth: { name: depth, in: query, required: true, schema: { type: integer } }
  schemas:
    Node:
      type: object
      properties:
        name: { type: string }
        children: { type: array, items: { $ref: '#/components/schemas/Node' } }
",
    )
    .unwrap();
    let operation = &operations(&document)["GET /tree"];
    assert!(operation.parameters[&("query".to_owned(), "depth".to_owned())].required);
    let paths: Vec<&str> = operation.responses["200"]
        .properties
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(paths, ["", "children", "children[]", "name"]);
}

/// spec-diff and the drift tests' spec coverage (tests/tests/spec_coverage.rs) read
/// documented values through the same functions of `keyapi-tiktok-spec`: what spec-diff
/// compares is exactly what spec coverage checks against the typed enums.
#[test]
fn spec_diff_reads_the_documented_values_spec_coverage_reads() {
    let document = parse(&upstream_text()).unwrap();
    let operation = &operations(&document)[&VIDEO_RANKING.subject()];
    for ((_, name), parameter) in &operation.parameters {
        let coverage = VIDEO_RANKING.parameter(&document, name).unwrap();
        assert_eq!(
            parameter.values,
            keyapi_tiktok_spec::parameter_values(&document, coverage),
            "{name}"
        );
    }
    assert_eq!(
        operation.parameters[&("query".to_owned(), "rank_type".to_owned())].values,
        BTreeMap::from([
            (1, "日榜".to_owned()),
            (2, "周榜".to_owned()),
            (3, "月榜".to_owned()),
        ])
    );
    let sales_flag = &operation.responses["200"].properties["data[].sales_flag"];
    let schema = keyapi_tiktok_spec::resolve(
        &document,
        &VIDEO_RANKING.operation(&document).unwrap()["responses"]["200"]["content"]["application/json"]
            ["schema"],
    );
    let coverage = &schema["properties"]["data"]["items"]["properties"]["sales_flag"];
    assert_eq!(
        *sales_flag.values,
        keyapi_tiktok_spec::schema_values(&document, coverage)
    );
    assert_eq!(sales_flag.values.len(), 3);
}

#[test]
fn each_kind_of_change_has_its_rule_id() {
    let ids = |from: &str, to: &str| -> Vec<&'static str> {
        let old = parse(&upstream_text()).unwrap();
        diff(&old, &mutated(from, to))
            .iter()
            .map(|change| change.rule.id())
            .collect()
    };
    assert_eq!(
        ids("3=月榜。", "3=月榜，4=年榜。"),
        ["parameter-value-added"]
    );
    assert_eq!(
        ids(
            "商品类目过滤。\n          required: false\n",
            "商品类目过滤。\n          required: true\n",
        ),
        ["parameter-became-required"]
    );
    assert_eq!(
        ids("total_video_sale_cnt: 5508", "total_video_sale_cnt: 5509"),
        ["example-changed"]
    );
}

/// A document whose 200 body is the first of `depth` schemas, each with two properties
/// pointing at the next, the last one a `leaf` type: 2^depth property paths, `3 * depth`
/// schema uses.
fn chain(depth: usize, leaf: &str) -> Value {
    let mut schemas = serde_json::Map::new();
    for level in 0..depth {
        let next = serde_json::json!({ "$ref": format!("#/components/schemas/S{}", level + 1) });
        schemas.insert(
            format!("S{level}"),
            serde_json::json!({ "type": "object", "properties": { "a": next, "b": next } }),
        );
    }
    schemas.insert(format!("S{depth}"), serde_json::json!({ "type": leaf }));
    serde_json::json!({
        "openapi": "3.0.1",
        "info": { "title": "t", "version": "1" },
        "paths": { "/chain": { "get": { "responses": { "200": {
            "description": "ok",
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/S0" } } },
        } } } } },
        "components": { "schemas": schemas },
    })
}

/// The walk records each schema reached through a `$ref` once, with its properties: a
/// later use records the property itself, not its subtree again.
#[test]
fn a_schema_reached_many_times_is_walked_once() {
    let document = chain(12, "string");
    let properties = &operations(&document)["GET /chain"].responses["200"].properties;
    // The body, then per level `a` (walked) and `b` (the same schema, not walked again).
    assert!(
        properties.len() <= 2 * 12 + 1,
        "{} properties",
        properties.len()
    );
}

/// A chain 40 deep is compared in time linear in the document; a change at its end is
/// reported once, where the changed schema is first reached, not at each of the 2^40
/// paths that lead there.
#[test]
fn a_deep_chain_of_shared_schemas_is_compared_once_per_schema() {
    let old = chain(40, "string");
    assert!(diff(&old, &old).is_empty());
    let changes: Vec<String> = diff(&old, &chain(40, "integer"))
        .iter()
        .map(ToString::to_string)
        .collect();
    let path = vec!["a"; 39].join(".");
    let changed = |last: &str| {
        format!(
            "BREAKING  GET /chain: response 200 property {path}.{last} type changed from \
             string to integer"
        )
    };
    assert_eq!(changes, [changed("a")]);
}

/// The same schema inline in two places or shared through one component is the same
/// document to a client; a change to the shared schema is a change in both places.
#[test]
fn a_schema_shared_through_a_component_compares_equal_to_its_inline_copies() {
    let document = |shared: bool, id_type: &str| -> Value {
        let video =
            serde_json::json!({ "type": "object", "properties": { "id": { "type": id_type } } });
        let (first, second, components) = if shared {
            let reference = serde_json::json!({ "$ref": "#/components/schemas/Video" });
            (
                reference.clone(),
                reference,
                serde_json::json!({ "schemas": { "Video": video } }),
            )
        } else {
            (video.clone(), video, serde_json::json!({}))
        };
        serde_json::json!({
            "openapi": "3.0.1",
            "info": { "title": "t", "version": "1" },
            "paths": { "/pair": { "get": { "responses": { "200": {
                "description": "ok",
                "content": { "application/json": { "schema": {
                    "type": "object",
                    "properties": { "first": first, "second": second },
                } } },
            } } } } },
            "components": components,
        })
    };
    assert!(diff(&document(false, "string"), &document(true, "string")).is_empty());
    assert!(diff(&document(true, "string"), &document(false, "string")).is_empty());
    let changes: Vec<String> = diff(&document(false, "string"), &document(true, "integer"))
        .iter()
        .map(|change| change.message.clone())
        .collect();
    assert_eq!(
        changes,
        [
            "response 200 property first.id type changed from string to integer",
            "response 200 property second.id type changed from string to integer",
        ]
    );
}
