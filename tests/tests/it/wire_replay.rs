//! Wire replay: wiremock serves the vendored spec's own examples (the 200 one and every
//! error one, each at its status, read when the test runs) to the ergonomic client, and
//! insta pins the typed result, the typed errors and the exact requests sent. A changed
//! example in the spec changes a snapshot; review with `cargo insta review`.

use std::collections::BTreeMap;

use jiff::civil::date;
use keyapi_tiktok::{Error, MAX_PAGE, Period, RankField, Region, VideoRankingQuery};
use keyapi_tiktok_drift_tests::{
    TEST_API_KEY, client, error_statuses, request_sent, response_example, serve_example, spec_json,
};
use serde_json::{Value, json};
use wiremock::MockServer;

fn region(code: &str) -> Region {
    code.parse().expect("a two-letter region code")
}

/// The query the examples are replayed for.
fn example_query() -> VideoRankingQuery {
    VideoRankingQuery::new(
        date(2026, 1, 31),
        region("US"),
        RankField::Sales,
        Period::Daily,
    )
}

/// What a typed error says, for a snapshot.
fn typed_error(error: &Error) -> Value {
    json!({
        "kind": error.kind(),
        "status": error.status(),
        "code": error.code(),
        "request_id": error.request_id(),
        "message": error.api_failure().map(|failure| failure.message.as_str()),
        "retryable": error.is_retryable(),
        "display": error.to_string(),
    })
}

async fn fetch_error(server: &MockServer, status: u16) -> Error {
    match client(server).video_ranking_page(&example_query()).await {
        Ok(page) => panic!("the spec's {status} example decoded as a page: {page:?}"),
        Err(error) => error,
    }
}

#[tokio::test]
async fn the_200_example_decodes_to_the_snapshotted_page() {
    let spec = spec_json();
    let server = serve_example(200, &response_example(&spec, 200)).await;
    let page = client(&server)
        .video_ranking_page(&example_query())
        .await
        .expect("the spec's 200 example decodes into a page");
    insta::assert_json_snapshot!("page_from_200_example", page);
}

#[tokio::test]
async fn every_error_example_maps_to_the_snapshotted_typed_error() {
    let spec = spec_json();
    let mut errors = BTreeMap::new();
    for status in error_statuses(&spec) {
        let server = serve_example(status, &response_example(&spec, status)).await;
        let error = fetch_error(&server, status).await;
        errors.insert(status.to_string(), typed_error(&error));
    }
    insta::assert_json_snapshot!("errors_from_error_examples", errors);
}

/// Upstream also reports failures as HTTP 200 with the code in the envelope; the error
/// examples sent that way must map to the same variants.
#[tokio::test]
async fn error_examples_in_an_http_200_envelope_map_to_the_same_errors() {
    let spec = spec_json();
    for status in error_statuses(&spec) {
        let example = response_example(&spec, status);
        let at_status = fetch_error(&serve_example(status, &example).await, status).await;
        let in_envelope = fetch_error(&serve_example(200, &example).await, status).await;
        assert_eq!(
            (
                in_envelope.kind(),
                in_envelope.code(),
                in_envelope.api_failure().map(|f| &f.message)
            ),
            (
                at_status.kind(),
                at_status.code(),
                at_status.api_failure().map(|f| &f.message)
            ),
            "the {status} example sent as HTTP 200: `{in_envelope}` vs `{at_status}` at its status"
        );
        assert_eq!(
            in_envelope.status(),
            Some(200),
            "the {status} example sent as HTTP 200 keeps the HTTP status: `{in_envelope}`"
        );
    }
}

/// One request as the server received it, with the secret and the unstable parts
/// redacted: method, path, the `name=value` query pairs exactly as encoded and sorted,
/// and the headers by name.
fn sent_request(request: &wiremock::Request) -> Value {
    let mut query: Vec<&str> = request
        .url
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .collect();
    query.sort_unstable();
    let mut headers = BTreeMap::<String, String>::new();
    for (name, value) in &request.headers {
        let value = value
            .to_str()
            .unwrap_or_else(|_| panic!("header `{name}` is not visible ASCII"))
            .to_owned();
        let value = match name.as_str() {
            "authorization" => {
                assert_eq!(
                    value,
                    format!("Bearer {TEST_API_KEY}"),
                    "the key goes in a bearer token"
                );
                "Bearer [redacted]".to_owned()
            }
            // The port is random.
            "host" => "[loopback]".to_owned(),
            "user-agent" => {
                let (product, _version) = value
                    .split_once('/')
                    .unwrap_or_else(|| panic!("user-agent `{value}` has no version"));
                format!("{product}/[version]")
            }
            _ => value,
        };
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert(value);
    }
    json!({
        "method": request.method.as_str(),
        "path": request.url.path(),
        "query": query,
        "headers": headers,
    })
}

#[tokio::test]
async fn representative_queries_send_the_snapshotted_requests() {
    let queries = [
        (
            "request_views_daily_defaults",
            VideoRankingQuery::new(
                date(2026, 1, 31),
                region("US"),
                RankField::Views,
                Period::Daily,
            ),
        ),
        (
            "request_sales_weekly_every_filter",
            VideoRankingQuery::new(
                date(2026, 1, 26),
                region("gb"),
                RankField::Sales,
                Period::Weekly,
            )
            .category("601450")
            .created_by_ai(false)
            .page(7)
            .page_size(5),
        ),
        (
            "request_views_monthly_ai_last_page",
            VideoRankingQuery::new(
                date(2026, 1, 1),
                region("DE"),
                RankField::Views,
                Period::Monthly,
            )
            .created_by_ai(true)
            .page(MAX_PAGE)
            .page_size(1),
        ),
    ];
    let spec = spec_json();
    let example = response_example(&spec, 200);
    for (name, query) in queries {
        let request = &request_sent(name, &query, &example).await;
        insta::assert_json_snapshot!(name, sent_request(request));
    }
}

/// The copies of the 200 example the crates ship (the ergonomic crate's docs and tests use
/// one, the testkit derives its videos from another; a package holds only its own files)
/// are the spec's own.
#[test]
fn the_crates_copies_of_the_200_example_match_the_spec() {
    let copies = [
        include_str!("../../../crates/keyapi-tiktok/src/spec_example_200.json"),
        include_str!("../../../crates/keyapi-tiktok-testkit/src/spec_example_200.json"),
    ];
    for copy in copies {
        let copy: Value = serde_json::from_str(copy).expect("the copy is JSON");
        assert_eq!(copy, response_example(&spec_json(), 200));
    }
}
