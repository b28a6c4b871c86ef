//! An upstream that echoes the key back: the whole key, and any run of 8 or more of its
//! characters in any letter case, is removed from everything upstream sends before it
//! reaches an error, a page, a log line or a conformance report.

use crate::common::{API_KEY, builder, envelope, error_envelope, failure, item, mount_any, query};
use keyapi_tiktok::{ConformanceReport, Page};
use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

/// What upstream may say about the key: the whole of it, in another case, and runs of it
/// long enough to identify it.
const ECHOES: [&str; 4] = [
    "invalid api key: sk-live-SECRET-1234",
    "key SK-LIVE-secret-1234 refused",
    "key …live-SECRET-12… refused",
    "prefix sk-live-SECRET ends",
];

/// Neither the whole key nor a run of 8 of its characters, in any case, is in `text`.
#[track_caller]
fn assert_key_free(text: &str) {
    let text = text.to_ascii_lowercase();
    let key = API_KEY.to_ascii_lowercase();
    for run in key.as_bytes().windows(8) {
        let run = std::str::from_utf8(run).expect("the key is ASCII");
        assert!(!text.contains(run), "`{run}` of the key leaks: {text}");
    }
}

async fn served(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    mount_any(&server, response, 1).await;
    server
}

#[tokio::test]
async fn errors_never_carry_the_key_upstream_echoed() {
    for echo in ECHOES {
        let responses = [
            // A documented status with an envelope (decoded by the generated types).
            ResponseTemplate::new(401).set_body_json(error_envelope(401, echo, echo)),
            // An envelope failure inside an HTTP 200.
            ResponseTemplate::new(200).set_body_json(error_envelope(429, echo, echo)),
            // A proxy's page on an undocumented status.
            ResponseTemplate::new(502).set_body_string(format!("<html>{echo}</html>")),
            // A success status whose body cannot be decoded: the excerpt.
            ResponseTemplate::new(200).set_body_string(format!("<html>{echo}</html>")),
            // A redirect to a host named after the key.
            ResponseTemplate::new(302)
                .insert_header("Location", "https://sk-live-secret-1234.example.com/x"),
        ];
        for response in responses {
            let server = served(response).await;
            let client = builder(&server.uri()).build().expect("client");
            let error = failure(client.video_ranking_page(&query()).await);
            for shown in [
                error.to_string(),
                format!("{error:?}"),
                format!("{error:#?}"),
            ] {
                assert_key_free(&shown);
            }
            if let Some(failure) = error.api_failure() {
                assert!(failure.message.contains("[redacted]"), "{failure:?}");
            }
        }
    }
}

#[tokio::test]
async fn pages_and_conformance_reports_never_carry_the_key_upstream_echoed() {
    let mut echoed = item(1);
    echoed["video_desc"] = json!(ECHOES[0]);
    echoed["sk-live-SECRET-1234"] = json!(ECHOES[1]);
    let mut body = envelope(json!([echoed]));
    body["requestId"] = json!(ECHOES[2]);
    let server = served(ResponseTemplate::new(200).set_body_json(&body)).await;
    let client = builder(&server.uri()).build().expect("client");
    let page = client.video_ranking_page(&query()).await.expect("a page");
    assert_key_free(&format!("{page:?}"));
    assert_key_free(&serde_json::to_string(&page).expect("JSON"));
    assert_eq!(
        page.items[0].description.as_deref(),
        Some("invalid api key: [redacted]")
    );

    let server = served(ResponseTemplate::new(200).set_body_json(&body)).await;
    let client = builder(&server.uri()).build().expect("client");
    let mut report = ConformanceReport::default();
    client
        .conformance(&query(), &mut report)
        .await
        .expect("a report");
    assert!(!report.conforms());
    assert_key_free(&serde_json::to_string(&report).expect("JSON"));
    for drift in report.drift() {
        assert_key_free(&drift.to_string());
    }
    // A body given by the caller is the caller's own: it is checked as given.
    let direct = Page::from_body(&serde_json::to_vec(&body).expect("JSON"), &query());
    assert_eq!(
        direct.expect("a page").items[0].description.as_deref(),
        Some(ECHOES[0])
    );
}
