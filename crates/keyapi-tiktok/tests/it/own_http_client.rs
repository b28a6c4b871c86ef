//! `ClientBuilder::http_client`: a caller's own `reqwest::Client` carries the requests,
//! while the crate still adds the key itself and keeps its other rules.

use crate::common::{API_KEY, ENDPOINT, builder, hits, mount_page, page, query};
use keyapi_tiktok::Error;
use keyapi_tiktok::reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use wiremock::MockServer;
use wiremock::matchers::{header, method, path};

/// A caller's client: instrumented with a header of its own, and holding a wrong key in its
/// default headers, which the crate must replace with the configured one.
fn instrumented_client() -> keyapi_tiktok::reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert("x-instrumented", HeaderValue::from_static("yes"));
    headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer wrong-key"));
    keyapi_tiktok::http_client_builder()
        .expect("a TLS setup")
        .default_headers(headers)
        .no_proxy()
        .build()
        .expect("a reqwest client")
}

#[tokio::test]
async fn requests_go_through_the_given_client_with_the_configured_key() {
    let server = MockServer::start().await;
    wiremock::Mock::given(method("GET"))
        .and(path(ENDPOINT))
        .and(header("x-instrumented", "yes"))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .respond_with(page(1, 10))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server.uri())
        .http_client(instrumented_client())
        .build()
        .expect("client");
    let page = client.video_ranking_page(&query()).await.expect("a page");
    assert_eq!(page.items.len(), 10);
    assert_eq!(client.usage().credits_spent, 1);
    // One Authorization header, the configured one.
    let requests = server.received_requests().await.unwrap_or_default();
    let sent: Vec<_> = requests[0].headers.get_all(AUTHORIZATION).iter().collect();
    assert_eq!(sent, [&format!("Bearer {API_KEY}")]);
}

#[tokio::test]
async fn the_key_still_never_goes_over_plain_http_to_another_machine() {
    let error = builder("http://api.example.com")
        .http_client(instrumented_client())
        .build()
        .expect_err("plain http to another host is refused");
    assert!(
        matches!(
            error,
            Error::InvalidInput {
                parameter: "base_url",
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_body_cap_still_holds_with_the_given_client() {
    let server = MockServer::start().await;
    mount_page(&server, 1, page(1, 10), 1).await;
    let client = builder(&server.uri())
        .http_client(instrumented_client())
        .max_response_bytes(1024)
        .build()
        .expect("client");
    let error = client
        .video_ranking_page(&query())
        .await
        .expect_err("a ten-item page is over 1 KiB");
    assert!(matches!(error, Error::ResponseTooLarge { .. }), "{error:?}");
    assert_eq!(hits(&server).await, 1, "never retried");
}
