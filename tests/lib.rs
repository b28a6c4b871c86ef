//! Shared helpers for the drift tests: the vendored spec read at test time (as JSON and as
//! `openapiv3`), the ranking operation and its schemas, each declared response's example,
//! wiremock servers that replay an example at its status, and a reader for the values
//! documented in descriptions (`1=total_views_cnt，2=total_video_sale_cnt`).
//!
//! Everything reads `spec/upstream.openapi.yaml` when a test runs, not when it compiles,
//! so a changed spec changes what the tests see without touching them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use keyapi_tiktok::{Client, RetryPolicy, VideoRankingQuery};
use openapiv3::{ObjectType, OpenAPI, Operation, ReferenceOr, Schema, SchemaKind, Type};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The path of the one operation the crates wrap.
pub const OPERATION_PATH: &str = "/v1/tiktok/video/ranking/analytics";

/// The API key the test clients send; request snapshots redact it.
pub const TEST_API_KEY: &str = "sk-drift-test-key";

/// Where the vendored, byte-for-byte upstream spec lives.
pub fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/upstream.openapi.yaml")
}

/// The vendored spec's text, read now.
pub fn spec_text() -> String {
    let path = spec_path();
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read the vendored spec {}: {error}", path.display()))
}

/// The vendored spec as a JSON value, for the parts `openapiv3` does not keep (the
/// examples under each response's schema).
pub fn spec_json() -> Value {
    serde_yaml_ng::from_str(&spec_text()).expect("the vendored spec is valid YAML")
}

/// The vendored spec as a typed OpenAPI 3.0 document.
pub fn spec_openapi() -> OpenAPI {
    serde_yaml_ng::from_str(&spec_text()).expect("the vendored spec is an OpenAPI 3.0 document")
}

/// The `GET` operation at [`OPERATION_PATH`].
pub fn operation(spec: &OpenAPI) -> &Operation {
    let item = spec
        .paths
        .paths
        .get(OPERATION_PATH)
        .unwrap_or_else(|| panic!("the spec no longer has the path {OPERATION_PATH}"));
    let ReferenceOr::Item(item) = item else {
        panic!("the path item of {OPERATION_PATH} is a $ref; resolve it in the helper");
    };
    item.get
        .as_ref()
        .unwrap_or_else(|| panic!("the spec no longer has GET {OPERATION_PATH}"))
}

/// The `GET` operation at [`OPERATION_PATH`], as JSON.
pub fn operation_json(spec: &Value) -> &Value {
    let operation = &spec["paths"][OPERATION_PATH]["get"];
    assert!(
        operation.is_object(),
        "the spec no longer has GET {OPERATION_PATH}"
    );
    operation
}

/// Every HTTP status the operation declares a response for, in order.
pub fn declared_statuses(spec: &Value) -> Vec<u16> {
    let responses = operation_json(spec)["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("GET {OPERATION_PATH} declares no responses"));
    let mut statuses: Vec<u16> = responses
        .keys()
        .map(|key| {
            key.parse().unwrap_or_else(|_| {
                panic!("GET {OPERATION_PATH} declares response `{key}`, which is not one status")
            })
        })
        .collect();
    statuses.sort_unstable();
    statuses
}

/// The declared error statuses (everything outside 200..300), in order.
pub fn error_statuses(spec: &Value) -> Vec<u16> {
    declared_statuses(spec)
        .into_iter()
        .filter(|status| !(200..300).contains(status))
        .collect()
}

/// The example body of the response declared for `status`: upstream puts it at
/// `…/responses/{status}/content/application/json/schema/example`; an example on the
/// media type itself is accepted too.
pub fn response_example(spec: &Value, status: u16) -> Value {
    let media =
        &operation_json(spec)["responses"][status.to_string()]["content"]["application/json"];
    [&media["schema"]["example"], &media["example"]]
        .into_iter()
        .find(|example| !example.is_null())
        .cloned()
        .unwrap_or_else(|| {
            panic!("the spec's {status} response of GET {OPERATION_PATH} has no application/json example")
        })
}

/// Every declared response's example, by status.
pub fn response_examples(spec: &Value) -> BTreeMap<u16, Value> {
    declared_statuses(spec)
        .into_iter()
        .map(|status| (status, response_example(spec, status)))
        .collect()
}

/// A local server answering `GET` [`OPERATION_PATH`] with `body` at `status`, and 404 to
/// anything else.
pub async fn serve_example(status: u16, body: &Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(OPERATION_PATH))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

/// A client for `server` that sends [`TEST_API_KEY`] and never retries, so each call is
/// exactly one request.
pub fn client(server: &MockServer) -> Client {
    Client::builder()
        .api_key(TEST_API_KEY)
        .base_url(server.uri())
        .retry(RetryPolicy::never())
        .build()
        .expect("a client for a loopback wiremock server builds")
}

/// Sends `query` once to a server answering with `example` and returns the one request
/// it received; `label` names the case in a failure.
pub async fn request_sent(label: &str, query: &VideoRankingQuery, example: &Value) -> Request {
    let server = serve_example(200, example).await;
    client(&server)
        .video_ranking_page(query)
        .await
        .unwrap_or_else(|error| panic!("{label}: the 200 example is served: {error}"));
    let mut received = server
        .received_requests()
        .await
        .expect("wiremock records requests by default");
    match received.len() {
        1 => received.remove(0),
        n => panic!("{label}: expected exactly one request, got {n}"),
    }
}

/// Follows a `#/components/schemas/…` reference, or returns the inline schema.
pub fn resolve<'a>(spec: &'a OpenAPI, schema: &'a ReferenceOr<Schema>) -> &'a Schema {
    match schema {
        ReferenceOr::Item(schema) => schema,
        ReferenceOr::Reference { reference } => component_schema(spec, reference),
    }
}

/// Like [`resolve`], for the boxed schemas of object properties and array items.
pub fn resolve_boxed<'a>(spec: &'a OpenAPI, schema: &'a ReferenceOr<Box<Schema>>) -> &'a Schema {
    match schema {
        ReferenceOr::Item(schema) => schema,
        ReferenceOr::Reference { reference } => component_schema(spec, reference),
    }
}

fn component_schema<'a>(spec: &'a OpenAPI, reference: &str) -> &'a Schema {
    let name = reference
        .strip_prefix("#/components/schemas/")
        .unwrap_or_else(|| panic!("cannot follow the reference `{reference}`"));
    let schema = spec
        .components
        .as_ref()
        .and_then(|components| components.schemas.get(name))
        .unwrap_or_else(|| panic!("the reference `{reference}` names no schema"));
    resolve(spec, schema)
}

/// The object shape of `schema`, or a panic naming `what` when it is not an object.
pub fn object<'a>(schema: &'a Schema, what: &str) -> &'a ObjectType {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => object,
        other => panic!("{what} is no longer an object schema: {other:?}"),
    }
}

/// The schema of the 200 response body (the envelope).
pub fn envelope_schema(spec: &OpenAPI) -> &Schema {
    let response = operation(spec)
        .responses
        .responses
        .get(&openapiv3::StatusCode::Code(200))
        .unwrap_or_else(|| panic!("GET {OPERATION_PATH} no longer declares a 200 response"));
    let ReferenceOr::Item(response) = response else {
        panic!("the 200 response of GET {OPERATION_PATH} is a $ref; resolve it in the helper");
    };
    let schema = response
        .content
        .get("application/json")
        .and_then(|media| media.schema.as_ref())
        .unwrap_or_else(|| panic!("the 200 response of GET {OPERATION_PATH} has no JSON schema"));
    resolve(spec, schema)
}

/// The schema of one ranking item (`data[]` of the 200 envelope).
pub fn item_schema(spec: &OpenAPI) -> &Schema {
    let envelope = object(envelope_schema(spec), "the 200 envelope");
    let data = envelope
        .properties
        .get("data")
        .unwrap_or_else(|| panic!("the 200 envelope no longer has a `data` property"));
    match &resolve_boxed(spec, data).schema_kind {
        SchemaKind::Type(Type::Array(array)) => resolve_boxed(
            spec,
            array
                .items
                .as_ref()
                .unwrap_or_else(|| panic!("`data` of the 200 envelope has no item schema")),
        ),
        other => panic!("`data` of the 200 envelope is no longer an array: {other:?}"),
    }
}

/// The JSON type a schema declares (`string`, `integer`, `number`, `boolean`, `object`,
/// `array`), or a description of what it is instead.
pub fn type_name(schema: &Schema) -> &'static str {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(_)) => "string",
        SchemaKind::Type(Type::Integer(_)) => "integer",
        SchemaKind::Type(Type::Number(_)) => "number",
        SchemaKind::Type(Type::Boolean(_)) => "boolean",
        SchemaKind::Type(Type::Object(_)) => "object",
        SchemaKind::Type(Type::Array(_)) => "array",
        SchemaKind::OneOf { .. } => "oneOf",
        SchemaKind::AllOf { .. } => "allOf",
        SchemaKind::AnyOf { .. } => "anyOf",
        SchemaKind::Not { .. } => "not",
        SchemaKind::Any(_) => "any",
    }
}

/// The coded values a description or title documents, in order: `1=total_views_cnt，2=…`
/// (with ASCII or full-width punctuation) and `0 (no sales), 1 (video sales)` both give
/// `(code, label)` pairs.
///
/// ```
/// use keyapi_tiktok_drift_tests::documented_values;
/// assert_eq!(
///     documented_values("榜单周期，1=日榜，2=周榜。"),
///     [(1, "日榜".to_owned()), (2, "周榜".to_owned())],
/// );
/// assert_eq!(
///     documented_values("Main sales methods: 0 (no sales), 2 (live streaming sales)"),
///     [(0, "no sales".to_owned()), (2, "live streaming sales".to_owned())],
/// );
/// ```
pub fn documented_values(text: &str) -> Vec<(i64, String)> {
    const SEPARATORS: &[char] = &[',', '，', '.', '。', ';', '；', '、', ')', '）', '\n'];
    let chars: Vec<char> = text.chars().collect();
    let mut values = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_number = chars[i].is_ascii_digit()
            && (i == 0 || !(chars[i - 1].is_ascii_alphanumeric() || "_.-".contains(chars[i - 1])));
        if !starts_number {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let digits: String = chars[start..i].iter().collect();
        let mut next = i;
        while next < chars.len() && chars[next].is_whitespace() {
            next += 1;
        }
        let label_end = |from: usize, stops: &[char]| {
            (from..chars.len())
                .find(|&j| stops.contains(&chars[j]))
                .unwrap_or(chars.len())
        };
        let (label_start, end) = match chars.get(next) {
            Some('=' | '＝') => (next + 1, label_end(next + 1, SEPARATORS)),
            Some('(' | '（') => (next + 1, label_end(next + 1, &[')', '）'])),
            _ => continue,
        };
        let label: String = chars[label_start..end].iter().collect();
        if let Ok(code) = digits.parse()
            && !label.trim().is_empty()
        {
            values.push((code, label.split_whitespace().collect::<Vec<_>>().join(" ")));
        }
        i = end;
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(i64, String)> {
        documented_values(text)
    }

    fn owned(pairs: &[(i64, &str)]) -> Vec<(i64, String)> {
        pairs
            .iter()
            .map(|&(code, label)| (code, label.to_owned()))
            .collect()
    }

    #[test]
    fn reads_the_upstream_descriptions_with_full_width_punctuation() {
        assert_eq!(
            values("榜单排序字段，1=total_views_cnt，2=total_video_sale_cnt。"),
            owned(&[(1, "total_views_cnt"), (2, "total_video_sale_cnt")])
        );
        assert_eq!(
            values("榜单周期，1=日榜，2=周榜，3=月榜。"),
            owned(&[(1, "日榜"), (2, "周榜"), (3, "月榜")])
        );
    }

    #[test]
    fn reads_parenthesised_values_across_folded_lines() {
        assert_eq!(
            values("Main sales methods: 0 (no sales), 1 (video sales), 2\n(live streaming sales)"),
            owned(&[
                (0, "no sales"),
                (1, "video sales"),
                (2, "live streaming sales")
            ])
        );
    }

    #[test]
    fn ignores_numbers_that_document_no_value() {
        for text in [
            "页码，从 1 开始，最大支持 100000。",
            "每页返回数量，最大值为 10。",
            "榜单日期，格式为 yyyy-MM-dd。",
            "Video sales GMV (estimated)",
            "v2=beta",
        ] {
            assert_eq!(values(text), owned(&[]), "{text}");
        }
    }

    #[test]
    fn reads_ascii_punctuation_and_spaces_around_the_equals_sign() {
        assert_eq!(
            values("1 = views, 2=sales; 3=gmv."),
            owned(&[(1, "views"), (2, "sales"), (3, "gmv")])
        );
    }
}
