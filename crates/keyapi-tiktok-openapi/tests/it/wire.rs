//! The generated client against a local wiremock server: what it sends and what it decodes.

use std::path::Path;

use keyapi_tiktok_openapi::{Client, Error, types};
use keyapi_tiktok_spec::{UPSTREAM, VIDEO_RANKING};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PATH: &str = VIDEO_RANKING.path;

/// An example of the vendored spec, read at test time so a changed example is noticed.
fn spec_example(status: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(UPSTREAM);
    let spec = keyapi_tiktok_spec::read_document(&path).expect("the vendored spec loads");
    let operation = VIDEO_RANKING
        .operation(&spec)
        .expect("the vendored spec has the operation");
    operation["responses"][status]["content"]["application/json"]["schema"]["example"].clone()
}

async fn serve(status: u16, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> Client {
    crate::loopback_client(&server.uri())
}

async fn call(
    server: &MockServer,
) -> Result<types::VideoRankingResponse, Error<types::ErrorEnvelope>> {
    client(server)
        .get_api_v3_echotik_video_ranklist(None, "2026-01-31", 1, 10, None, 1, "US", 1)
        .await
        .map(|response| response.into_inner())
}

#[tokio::test]
async fn sends_every_required_parameter_and_the_documented_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .and(query_param("date", "2026-01-31"))
        .and(query_param("region", "US"))
        .and(query_param("video_rank_field", "2"))
        .and(query_param("rank_type", "3"))
        .and(query_param("page_num", "7"))
        .and(query_param("page_size", "10"))
        .and(query_param("product_category_id", "601450"))
        .and(query_param("created_by_ai", "false"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(spec_example("200")))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .get_api_v3_echotik_video_ranklist(
            Some("false"),
            "2026-01-31",
            7,
            10,
            Some("601450"),
            3,
            "US",
            2,
        )
        .await
        .expect("request matches");
}

#[tokio::test]
async fn the_spec_example_decodes() {
    let server = serve(200, spec_example("200")).await;
    let body = call(&server).await.expect("example decodes");
    assert_eq!(body.code, 0);
    assert_eq!(body.request_id, "b9ff3078-0b12-45b5-8b00-b7017ed18713");
    let items = body.data.expect("example has data");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].video_id.as_deref(), Some("7601397977986501919"));
    assert_eq!(items[0].total_video_sale_cnt, Some(5508));
    assert_eq!(
        items[0].video_products.as_deref(),
        Some("[1729436418527695003]")
    );
    assert!(items[0].extra.is_empty());
}

#[tokio::test]
async fn an_http_200_carrying_an_error_code_decodes() {
    let body =
        json!({ "code": 429, "message": "qps limit exceeded", "data": null, "requestId": "r-1" });
    let server = serve(200, body).await;
    let body = call(&server).await.expect("null data decodes");
    assert_eq!(
        (body.code, body.data, body.message.as_str()),
        (429, None, "qps limit exceeded")
    );
}

#[tokio::test]
async fn unknown_item_fields_land_in_extra() {
    let mut body = spec_example("200");
    body["data"][0]["total_views_history_cnt"] = json!(123_456_789);
    let server = serve(200, body).await;
    let items = call(&server).await.unwrap().data.unwrap();
    assert_eq!(
        items[0].extra.get("total_views_history_cnt"),
        Some(&json!(123_456_789))
    );
    assert_eq!(
        items[0].total_views_cnt,
        Some(0),
        "documented fields stay typed"
    );
}

#[tokio::test]
async fn every_documented_error_status_yields_the_typed_error_body() {
    for status in [400u16, 401, 402, 429, 500] {
        let example = spec_example(&status.to_string());
        assert_eq!(example["code"], json!(status), "spec example for {status}");
        let server = serve(status, example.clone()).await;
        match call(&server).await {
            Err(Error::ErrorResponse(response)) => {
                assert_eq!(response.status().as_u16(), status);
                let envelope: &types::ErrorEnvelope = &response;
                assert_eq!(envelope.code, Some(i64::from(status)));
                assert_eq!(envelope.message.as_deref(), example["message"].as_str());
                assert_eq!(envelope.data, None);
            }
            other => panic!("{status}: expected a typed error body, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_undocumented_status_is_an_unexpected_response() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .mount(&server)
        .await;
    match call(&server).await {
        Err(Error::UnexpectedResponse(response)) => assert_eq!(response.status().as_u16(), 502),
        other => panic!("expected UnexpectedResponse, got {other:?}"),
    }
}

#[tokio::test]
async fn a_non_json_body_on_a_documented_status_is_an_invalid_payload() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>"))
        .mount(&server)
        .await;
    assert!(matches!(
        call(&server).await,
        Err(Error::InvalidResponsePayload(..))
    ));
}
