//! `ResponseWatch::diverting_success_bodies`: a 2xx body reaches the caller whole and
//! undecoded, an error body is decoded as before, and a body past the cap is never handed
//! over.

use keyapi_tiktok_openapi::{Error, ResponseWatch, types};
use keyapi_tiktok_spec::VIDEO_RANKING;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SUCCESS: &str = r#"{"code":0,"message":"success","data":[{"video_id":"7"}],"requestId":"r"}"#;

async fn serve(status: u16, body: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(VIDEO_RANKING.path))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    server
}

async fn call(
    server: &MockServer,
    watch: &ResponseWatch,
) -> Result<types::VideoRankingResponse, Error<types::ErrorEnvelope>> {
    let client = crate::loopback_client(&server.uri());
    watch
        .run(client.get_api_v3_echotik_video_ranklist(None, "2026-01-31", 1, 10, None, 1, "US", 1))
        .await
        .map(|response| response.into_inner())
}

#[tokio::test]
async fn a_success_body_is_handed_over_whole_instead_of_decoded() {
    let server = serve(200, SUCCESS).await;
    let watch = ResponseWatch::new(1 << 20).diverting_success_bodies();
    let result = call(&server, &watch).await;
    match result {
        Err(Error::InvalidResponsePayload(seen, _)) => assert!(seen.is_empty()),
        other => panic!("expected the typed decode to be skipped, got {other:?}"),
    }
    assert_eq!(
        watch.take_success_body().as_deref(),
        Some(SUCCESS.as_bytes())
    );
    assert_eq!(watch.take_success_body(), None, "taken once");
}

#[tokio::test]
async fn without_diverting_the_body_is_decoded_and_kept_nowhere() {
    let server = serve(200, SUCCESS).await;
    let watch = ResponseWatch::new(1 << 20);
    let envelope = call(&server, &watch).await.expect("a decoded body");
    assert_eq!(envelope.request_id, "r");
    assert_eq!(watch.take_success_body(), None);
}

#[tokio::test]
async fn an_error_status_is_decoded_as_before() {
    let server = serve(402, r#"{"code":402,"message":"quota","data":null}"#).await;
    let watch = ResponseWatch::new(1 << 20).diverting_success_bodies();
    match call(&server, &watch).await {
        Err(Error::ErrorResponse(response)) => assert_eq!(response.code, Some(402)),
        other => panic!("expected the typed error body, got {other:?}"),
    }
    assert_eq!(watch.take_success_body(), None);
}

#[tokio::test]
async fn a_body_past_the_cap_fails_and_is_not_handed_over() {
    let server = serve(200, SUCCESS).await;
    let watch = ResponseWatch::new(10).diverting_success_bodies();
    assert!(matches!(
        call(&server, &watch).await,
        Err(Error::ResponseBodyError(_))
    ));
    assert_eq!(watch.take_success_body(), None);
}
