//! An upstream that misbehaves the way real ones and networks do: bodies cut short or
//! endless, pages repeated, redirects, huge messages. Credits are counted conservatively,
//! nothing is retried that cannot succeed, nothing grows without bound.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::raw::{self, Reply};
use crate::common::{
    builder, envelope, error_envelope, failure, hits, item, mount_any, mount_page, page, query,
    retrying_client, usage, video_id,
};
use futures::StreamExt;
use keyapi_tiktok::{Page, RankedVideo, RetryPolicy};
use serde_json::Value;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn full_page_body() -> String {
    envelope(Value::Array((1..=10).map(item).collect())).to_string()
}

fn ranks(items: &[RankedVideo]) -> Vec<u64> {
    items.iter().map(|video| video.rank).collect()
}

// 1. Credits are counted conservatively.

#[tokio::test]
async fn a_2xx_whose_body_is_cut_is_counted_before_the_retry() {
    let body = full_page_body();
    let server = raw::start(move |n| match n {
        0 => Reply::Close(raw::cut("200 OK", &body[..20], body.len())),
        _ => Reply::Close(raw::full("200 OK", &body)),
    })
    .await;
    let client = retrying_client(&server.url, 3);
    let page = client
        .video_ranking_page(&query())
        .await
        .expect("the retry succeeds");
    assert_eq!(page.items.len(), 10);
    assert_eq!(usage(&client), (2, 2), "the cut 2xx may have been charged");
}

#[tokio::test]
async fn a_retry_after_a_cut_2xx_needs_budget_for_another_credit() {
    let body = full_page_body();
    let server =
        raw::start(move |_| Reply::Close(raw::cut("200 OK", &body[..20], body.len()))).await;
    let client = builder(&server.url)
        .retry(RetryPolicy::no_delay(3))
        .credit_budget(1)
        .build()
        .expect("client");
    let error = failure(client.video_ranking_page(&query()).await);
    assert_eq!(error.kind(), "budget_exhausted", "{error}");
    assert_eq!(server.accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(usage(&client), (1, 1));
}

#[tokio::test]
async fn a_code_0_body_that_cannot_be_decoded_is_counted() {
    let server = MockServer::start().await;
    let body =
        serde_json::json!({"code": 0, "message": "success", "data": "oops", "requestId": "r"});
    mount_any(&server, ResponseTemplate::new(200).set_body_json(body), 1).await;
    let client = builder(&server.uri()).build().expect("client");
    let error = failure(client.video_ranking_page(&query()).await);
    assert_eq!(error.kind(), "decode");
    assert_eq!(usage(&client), (1, 1));
}

#[tokio::test]
async fn a_page_dropped_after_its_head_arrived_is_counted() {
    let body = full_page_body();
    let server =
        raw::start(move |_| Reply::Hang(raw::cut("200 OK", &body[..20], body.len()))).await;
    let client = builder(&server.url).build().expect("client");
    let dropped = tokio::time::timeout(
        Duration::from_millis(500),
        client.video_ranking_page(&query()),
    )
    .await;
    assert!(dropped.is_err(), "the body never completes");
    assert_eq!(usage(&client), (1, 1));
}

#[tokio::test]
async fn only_an_answer_read_whole_proves_a_charge_and_only_a_refusal_proves_none() {
    let body = full_page_body();
    let cut = raw::start(move |_| Reply::Close(raw::cut("200 OK", &body[..20], body.len()))).await;
    let undecodable = serde_json::json!({"code": 0, "message": "success", "data": "oops"});
    let wiremock_cases = [
        ("a page", page(1, 10), (1, 1)),
        (
            "an undecodable 2xx",
            ResponseTemplate::new(200).set_body_json(undecodable),
            (1, 1),
        ),
        (
            "a 200 envelope 429",
            ResponseTemplate::new(200).set_body_json(error_envelope(429, "qps", "r")),
            (0, 0),
        ),
        (
            "a 500",
            ResponseTemplate::new(500).set_body_json(error_envelope(500, "oops", "r")),
            (0, 0),
        ),
        (
            "no head before the timeout",
            page(1, 10).set_delay(Duration::from_secs(5)),
            (1, 0),
        ),
    ];
    let mut seen = Vec::new();
    for (case, response, expected) in wiremock_cases {
        let server = MockServer::start().await;
        mount_any(&server, response, 1).await;
        let client = builder(&server.uri())
            .timeout(Duration::from_millis(300))
            .build()
            .expect("client");
        let _ = client.video_ranking_page(&query()).await;
        let usage = client.usage();
        seen.push((case, (usage.credits_spent, usage.credits_charged), expected));
    }
    let client = builder(&cut.url).build().expect("client");
    let _ = client.video_ranking_page(&query()).await;
    let usage = client.usage();
    seen.push((
        "a 2xx cut",
        (usage.credits_spent, usage.credits_charged),
        (1, 0),
    ));
    let wrong: Vec<_> = seen
        .iter()
        .filter(|(_, got, expected)| got != expected)
        .collect();
    assert!(
        wrong.is_empty(),
        "(case, (spent, charged), expected): {wrong:?}"
    );
}

// 2. Bodies are read with a cap.

#[tokio::test]
async fn a_body_over_the_default_cap_is_refused_and_not_retried() {
    let server = MockServer::start().await;
    let huge = vec![b' '; 9 * 1024 * 1024];
    mount_any(
        &server,
        ResponseTemplate::new(200).set_body_raw(huge, "application/json"),
        1,
    )
    .await;
    let client = retrying_client(&server.uri(), 3);
    let error = failure(client.video_ranking_page(&query()).await);
    assert_eq!(error.kind(), "response_too_large", "{error}");
    assert_eq!(hits(&server).await, 1);
    assert_eq!(
        usage(&client),
        (1, 1),
        "a 2xx too large may have been charged"
    );
}

#[tokio::test]
async fn the_cap_holds_while_an_endless_body_streams() {
    let server = raw::start(|_| Reply::Endless(raw::head("200 OK", None))).await;
    let client = builder(&server.url)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let error = failure(client.video_ranking_page(&query()).await);
    assert_eq!(error.kind(), "response_too_large", "{error}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let written = server.written.load(std::sync::atomic::Ordering::SeqCst);
    // What the client read stays near the cap; the rest sat in socket buffers.
    assert!(written < 16 * 1024 * 1024, "{written} bytes were sent");
}

#[tokio::test]
async fn a_huge_upstream_message_is_kept_short_and_cut_when_shown() {
    let server = MockServer::start().await;
    let message = "x".repeat(2 * 1024 * 1024);
    let body = error_envelope(500, &message, "r");
    mount_any(&server, ResponseTemplate::new(500).set_body_json(body), 1).await;
    let client = builder(&server.uri()).build().expect("client");
    let error = failure(client.video_ranking_page(&query()).await);
    let kept = &error.api_failure().expect("an API failure").message;
    assert!(kept.len() <= 4096, "{} bytes kept", kept.len());
    assert!(
        error.to_string().len() <= 1024,
        "{} bytes shown",
        error.to_string().len()
    );
}

// 3. Pages never yield more than their size, nor repeat.

#[tokio::test]
async fn a_page_never_yields_more_than_page_size_items() {
    let server = MockServer::start().await;
    let oversized = envelope(Value::Array((1..=15).map(item).collect()));
    mount_page(
        &server,
        1,
        ResponseTemplate::new(200).set_body_json(oversized.clone()),
        1,
    )
    .await;
    mount_page(&server, 2, page(2, 5), 1).await;
    let client = builder(&server.uri()).build().expect("client");
    let items: Vec<RankedVideo> = client
        .video_ranking(query())
        .items()
        .map(|item| item.expect("an item"))
        .collect()
        .await;
    assert_eq!(ranks(&items), (1..=15).collect::<Vec<_>>());
    let page = Page::from_body(oversized.to_string().as_bytes(), &query()).expect("a page");
    assert_eq!(page.items.len(), 10);
}

#[tokio::test]
async fn a_server_ignoring_page_num_ends_the_stream_with_an_error() {
    let server = MockServer::start().await;
    mount_any(&server, page(1, 10), 2).await;
    let client = builder(&server.uri()).build().expect("client");
    let results: Vec<_> = client
        .video_ranking(query())
        .limit(200)
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 11, "ten items, then the error");
    let yielded: Vec<RankedVideo> = results[..10]
        .iter()
        .map(|item| item.as_ref().expect("an item").clone())
        .collect();
    assert_eq!(ranks(&yielded), (1..=10).collect::<Vec<_>>());
    let error = failure(results.into_iter().last().expect("the error"));
    assert_eq!(error.kind(), "repeated_page", "{error}");
    assert!(error.to_string().contains("page_num"), "{error}");
    assert_eq!(hits(&server).await, 2, "no page after the repeated one");
}

#[tokio::test]
async fn a_resumed_stream_ends_at_a_page_repeating_the_page_read_before_it() {
    let server = MockServer::start().await;
    // Upstream serves page 1 whatever the page asked: resumed at page 2, after page 1.
    mount_any(&server, page(1, 10), 1).await;
    let client = builder(&server.uri()).build().expect("client");
    let after: Vec<String> = (1..=10).map(video_id).collect();
    let results: Vec<_> = client
        .video_ranking(query().page(2))
        .limit(50)
        .after_page(after)
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 1, "no item, only the error");
    let error = failure(results.into_iter().last().expect("the error"));
    assert_eq!(error.kind(), "repeated_page", "{error}");
    assert_eq!(hits(&server).await, 1, "no page after the repeated one");
}

/// A page refused as a repeat is not cached: were it kept (for good, the ranking being
/// settled), every later run would stop at it, even once upstream honours `page_num` again.
#[cfg(feature = "cache")]
#[tokio::test]
async fn a_repeated_page_is_not_cached() {
    use futures::TryStreamExt;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cached_client = |server: &MockServer| {
        builder(&server.uri())
            .cache(keyapi_tiktok::Cache::new(dir.path()))
            .build()
            .expect("client")
    };
    let server = MockServer::start().await;
    mount_any(&server, page(1, 10), 2).await;
    let client = cached_client(&server);
    let results: Vec<_> = client
        .video_ranking(query())
        .limit(30)
        .pages()
        .collect()
        .await;
    let error = failure(results.into_iter().last().expect("the error"));
    assert_eq!(error.kind(), "repeated_page", "{error}");
    assert!(client.flush_cache(Duration::from_secs(10)).await);

    // Upstream honours page_num again; page 1 is still in the cache.
    for page_num in 2..=3 {
        mount_page(&server, page_num, page(u64::from(page_num), 10), 1).await;
    }
    let client = cached_client(&server);
    let pages: Vec<Page> = client
        .video_ranking(query())
        .limit(30)
        .pages()
        .try_collect()
        .await
        .expect("the whole ranking");
    let items: Vec<RankedVideo> = pages.into_iter().flat_map(|page| page.items).collect();
    assert_eq!(ranks(&items), (1..=30).collect::<Vec<_>>());
    assert_eq!(client.usage().cache_hits, 1, "page 1 from the cache");
}

// 4. Redirects are not followed.

#[tokio::test]
async fn a_redirect_is_an_error_naming_the_location_host_and_is_not_retried() {
    let elsewhere = MockServer::start().await;
    mount_page(&elsewhere, 1, page(1, 10), 0).await;
    let server = MockServer::start().await;
    let location = format!("{}/steal?api_key=sk-live-SECRET-1234", elsewhere.uri());
    mount_any(
        &server,
        ResponseTemplate::new(302).insert_header("location", location),
        1,
    )
    .await;
    let client = retrying_client(&server.uri(), 3);
    let error = failure(client.video_ranking_page(&query()).await);
    assert_eq!(error.kind(), "redirect", "{error}");
    let shown = error.to_string();
    assert!(
        shown.contains("302") && shown.contains("127.0.0.1"),
        "{shown}"
    );
    assert!(!shown.contains("/steal"), "{shown}");
    assert_eq!((hits(&server).await, hits(&elsewhere).await), (1, 0));
    assert_eq!(usage(&client), (0, 1));
}

// 8. Retry classification.

#[tokio::test]
async fn a_401_or_402_whose_body_is_cut_is_decided_by_its_status() {
    for (status, kind) in [
        ("401 Unauthorized", "authentication"),
        ("402 Payment Required", "credits_exhausted"),
    ] {
        let body = error_envelope(401, "apiKey is invalid", "r").to_string();
        let server =
            raw::start(move |_| Reply::Close(raw::cut(status, &body[..20], body.len()))).await;
        let client = retrying_client(&server.url, 4);
        let error = failure(client.video_ranking_page(&query()).await);
        assert_eq!(error.kind(), kind, "{error}");
        assert_eq!(
            server.accepted.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "{status}"
        );
        assert_eq!(usage(&client), (0, 1));
    }
}

#[tokio::test]
async fn a_tls_failure_is_not_retried() {
    let server = raw::start(|_| Reply::Garbage(b"this is not TLS\r\n\r\n".to_vec())).await;
    let url = server.url.replace("http://", "https://");
    let client = retrying_client(&url, 4);
    let error = failure(client.video_ranking_page(&query()).await);
    assert_eq!(error.kind(), "transport", "{error}");
    assert!(
        !error.is_retryable(),
        "{error}: {:?}",
        std::error::Error::source(&error)
    );
    assert_eq!(server.accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_maximum_total_time_includes_the_last_attempts_timeout() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(page(1, 10).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let max_elapsed = Duration::from_millis(1000);
    let client = builder(&server.uri())
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy {
            max_elapsed,
            ..RetryPolicy::no_delay(10)
        })
        .build()
        .expect("client");
    let started = Instant::now();
    let error = failure(client.video_ranking_page(&query()).await);
    assert_eq!(error.kind(), "timeout");
    assert!(
        started.elapsed() <= max_elapsed + Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
}

// 9. Rate limiter order.

/// Answers the first request after a second and the others at once, noting when each came.
struct SlowFirst(Arc<Mutex<Vec<Instant>>>);

impl Respond for SlowFirst {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut arrivals = self.0.lock().expect("arrivals");
        arrivals.push(Instant::now());
        let response = page(1, 10);
        if arrivals.len() == 1 {
            response.set_delay(Duration::from_secs(1))
        } else {
            response
        }
    }
}

#[tokio::test]
async fn requests_released_together_by_the_in_flight_limit_keep_the_rate() {
    let server = MockServer::start().await;
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(SlowFirst(Arc::clone(&arrivals)))
        .mount(&server)
        .await;
    let client = builder(&server.uri())
        .max_in_flight(1)
        .requests_per_second(5.0)
        .build()
        .expect("client");
    let calls = (1..=4).map(|n| {
        let client = client.clone();
        tokio::spawn(async move { client.video_ranking_page(&query().page(n)).await })
    });
    for call in futures::future::join_all(calls).await {
        call.expect("joined").expect("a page");
    }
    let arrivals = arrivals.lock().expect("arrivals").clone();
    assert_eq!(arrivals.len(), 4);
    for pair in arrivals.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(gap >= Duration::from_millis(150), "a burst: {gap:?} apart");
    }
}
