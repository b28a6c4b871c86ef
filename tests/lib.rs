//! Shared helpers for the drift tests: the vendored spec read at test time (as JSON and as
//! `openapiv3`), the ranking operation and its schemas, each declared response's example,
//! wiremock servers that replay an example at its status. Loading the document, its
//! documented values (`1=total_views_cnt，2=total_video_sale_cnt`) and the endpoint come
//! from `keyapi-tiktok-spec`, the reader `xtask` uses too.
//!
//! Everything reads `spec/upstream.openapi.yaml` when a test runs, not when it compiles,
//! so a changed spec changes what the tests see without touching them.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::PathBuf;

use keyapi_tiktok::{Client, RetryPolicy, VideoRankingQuery};
use keyapi_tiktok_spec::{UPSTREAM, VIDEO_RANKING};
use openapiv3::{ObjectType, OpenAPI, Operation, ReferenceOr, Schema, SchemaKind, Type};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The path of the one operation the crates wrap.
pub const OPERATION_PATH: &str = VIDEO_RANKING.path;

/// The API key the test clients send; request snapshots redact it.
pub const TEST_API_KEY: &str = "sk-drift-test-key";

/// Where the vendored upstream spec lives.
pub fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(UPSTREAM)
}

/// The vendored spec as a JSON value, for the parts `openapiv3` does not keep (the
/// examples under each response's schema).
pub fn spec_json() -> Value {
    let path = spec_path();
    keyapi_tiktok_spec::read_document(&path)
        .unwrap_or_else(|error| panic!("cannot load the vendored spec {}: {error}", path.display()))
}

/// The vendored spec as a typed OpenAPI 3.0 document.
pub fn spec_openapi() -> OpenAPI {
    keyapi_tiktok_spec::to_openapi(spec_json())
        .unwrap_or_else(|error| panic!("the vendored spec: {error}"))
}

/// The `GET` operation at [`OPERATION_PATH`].
pub fn operation(spec: &OpenAPI) -> &Operation {
    let missing = || missing_operation(&serde_json::to_value(spec).unwrap_or_default());
    let item = (spec.paths.paths.get(OPERATION_PATH)).unwrap_or_else(|| panic!("{}", missing()));
    let ReferenceOr::Item(item) = item else {
        panic!("the path item of {OPERATION_PATH} is a $ref; resolve it in the helper");
    };
    item.get.as_ref().unwrap_or_else(|| panic!("{}", missing()))
}

/// The `GET` operation at [`OPERATION_PATH`], as JSON.
pub fn operation_json(spec: &Value) -> &Value {
    VIDEO_RANKING
        .operation(spec)
        .unwrap_or_else(|| panic!("{}", missing_operation(spec)))
}

/// Why `spec` has no `GET` [`OPERATION_PATH`], naming the operations it has instead with
/// their operationIds, so that a path upstream renamed is named where the tests fail.
pub fn missing_operation(spec: &Value) -> String {
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        let item = keyapi_tiktok_spec::resolve(spec, item);
        for (method, operation) in item.as_object().into_iter().flatten() {
            if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                operations.push(format!(
                    "{} {path} (operationId {id})",
                    method.to_ascii_uppercase()
                ));
            }
        }
    }
    let has = if operations.is_empty() {
        "no operation with an operationId".to_owned()
    } else {
        operations.join(", ")
    };
    format!(
        "the spec no longer has GET {OPERATION_PATH} (keyapi_tiktok_spec::VIDEO_RANKING); it has \
         {has}. If upstream moved the operation, update VIDEO_RANKING.path to follow it"
    )
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

/// The inline schema, or the one its `#/components/schemas/…` reference leads to
/// (`Schema` or, as object properties and array items hold them, `Box<Schema>`).
pub fn resolve<'a, S: Borrow<Schema> + Debug>(
    spec: &'a OpenAPI,
    schema: &'a ReferenceOr<S>,
) -> &'a Schema {
    keyapi_tiktok_spec::resolve_schema(spec, schema)
        .unwrap_or_else(|| panic!("the reference {schema:?} leads to no schema"))
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
    match &resolve(spec, data).schema_kind {
        SchemaKind::Type(Type::Array(array)) => resolve(
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

/// The workspace README's code blocks, compiled and run as doctests (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod workspace_readme_doctests {}
