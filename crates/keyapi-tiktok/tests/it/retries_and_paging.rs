//! Retries, rate limits, credit budgets and page streams, pinned by exact request counts.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::{
    builder, envelope, error_envelope, failure, hits, mount_any, mount_page, page, query,
    retrying_client, usage, video_id,
};
use futures::{StreamExt, TryStreamExt};
use keyapi_tiktok::{Error, RankedVideo, RetryPolicy};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::{MockServer, ResponseTemplate};

fn rate_limited_by_status() -> ResponseTemplate {
    ResponseTemplate::new(429).set_body_json(error_envelope(429, "qps limit exceeded", "r"))
}

fn rate_limited_in_envelope() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(error_envelope(429, "qps limit exceeded", "r"))
}

fn ranks(items: &[RankedVideo]) -> Vec<u64> {
    items.iter().map(|video| video.rank).collect()
}

#[tokio::test]
async fn a_rate_limit_twice_then_success_takes_exactly_three_requests_by_status_or_envelope() {
    for rate_limited in [rate_limited_by_status(), rate_limited_in_envelope()] {
        let server = MockServer::start().await;
        mount_any(&server, rate_limited, 2).await;
        mount_any(&server, page(1, 10), 1).await;
        let client = retrying_client(&server.uri(), 4);
        let page = client
            .video_ranking_page(&query())
            .await
            .expect("third time lucky");
        assert_eq!(page.items.len(), 10);
        assert_eq!(hits(&server).await, 3);
        assert_eq!(usage(&client), (1, 3));
    }
}

#[tokio::test]
async fn bad_requests_authentication_and_credit_failures_are_requested_once() {
    let responses = [
        (402, 402, "credits_exhausted"),
        (401, 401, "authentication"),
        (400, 400, "bad_request"),
        (200, 402, "credits_exhausted"),
        (200, 401, "authentication"),
    ];
    for (status, code, kind) in responses {
        let server = MockServer::start().await;
        let body = error_envelope(code, "refused", "r");
        mount_any(
            &server,
            ResponseTemplate::new(status).set_body_json(body),
            1,
        )
        .await;
        let client = retrying_client(&server.uri(), 5);
        let error = failure(client.video_ranking_page(&query()).await);
        assert_eq!(error.kind(), kind);
        assert_eq!(hits(&server).await, 1, "HTTP {status} code {code}");
    }
}

#[tokio::test]
async fn server_errors_stop_after_the_configured_attempts() {
    for (status, code) in [(500, 500), (502, 502), (503, 503), (200, 500)] {
        let server = MockServer::start().await;
        let body = error_envelope(code, "Internal server error", "r");
        mount_any(
            &server,
            ResponseTemplate::new(status).set_body_json(body),
            3,
        )
        .await;
        let client = retrying_client(&server.uri(), 3);
        let error = failure(client.video_ranking_page(&query()).await);
        assert!(matches!(error, Error::Server(_)), "{error:?}");
        assert_eq!(hits(&server).await, 3, "HTTP {status} code {code}");
        assert_eq!(usage(&client), (0, 3));
    }
}

#[tokio::test]
async fn retry_after_is_reported_and_waited_for_up_to_the_policy_clamp() {
    let server = MockServer::start().await;
    let asked_to_wait = rate_limited_by_status().insert_header("retry-after", "1");
    mount_any(&server, asked_to_wait.clone(), 1).await;
    let once = builder(&server.uri()).build().expect("client");
    let error = failure(once.video_ranking_page(&query()).await);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));

    let server = MockServer::start().await;
    mount_any(&server, asked_to_wait, 1).await;
    mount_any(&server, page(1, 10), 1).await;
    let clamp = Duration::from_millis(200);
    let policy = RetryPolicy {
        max_retry_after: clamp,
        ..RetryPolicy::no_delay(2)
    };
    let client = builder(&server.uri())
        .retry(policy)
        .build()
        .expect("client");
    let started = Instant::now();
    client
        .video_ranking_page(&query())
        .await
        .expect("after waiting");
    assert!(started.elapsed() >= clamp, "{:?}", started.elapsed());
    assert_eq!(hits(&server).await, 2);
}

/// Serves `body` as HTTP/1.1 on loopback, after dropping the first connection once its
/// request has arrived; returns the base URL and the count of connections accepted.
async fn server_dropping_the_first_connection(body: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
            read_request_head(&mut socket).await;
            if first {
                continue; // Dropping the socket closes the connection unanswered.
            }
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (url, accepted)
}

async fn read_request_head(socket: &mut TcpStream) {
    let mut head = Vec::new();
    let mut buffer = [0; 4096];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let items: Vec<Value> = (1..=10).map(crate::common::item).collect();
    let body = envelope(Value::Array(items)).to_string();
    let (url, accepted) = server_dropping_the_first_connection(body).await;
    let client = retrying_client(&url, 3);
    let page = client
        .video_ranking_page(&query())
        .await
        .expect("the retry succeeds");
    assert_eq!(ranks(&page.items), (1..=10).collect::<Vec<_>>());
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    // The dropped request reached the server, which may have charged it.
    assert_eq!(usage(&client), (2, 2));
}

#[tokio::test]
async fn a_timed_out_attempt_is_retried() {
    let server = MockServer::start().await;
    mount_any(&server, page(1, 10).set_delay(Duration::from_secs(5)), 1).await;
    mount_any(&server, page(1, 10), 1).await;
    let timeout = Duration::from_millis(500);
    let client = builder(&server.uri())
        .timeout(timeout)
        .retry(RetryPolicy::no_delay(2))
        .build()
        .expect("client");
    let started = Instant::now();
    let page = client
        .video_ranking_page(&query())
        .await
        .expect("the retry succeeds");
    assert!(started.elapsed() >= timeout);
    assert_eq!(page.items.len(), 10);
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test]
async fn a_limit_of_25_with_pages_of_10_makes_three_requests_and_yields_25_items() {
    let server = MockServer::start().await;
    for page_num in 1..=3 {
        mount_page(&server, page_num, page(page_num.into(), 10), 1).await;
    }
    mount_page(&server, 4, page(4, 10), 0).await;
    let client = builder(&server.uri()).build().expect("client");
    let items: Vec<RankedVideo> = client
        .video_ranking(query())
        .limit(25)
        .items()
        .try_collect()
        .await
        .expect("25 items");
    assert_eq!(ranks(&items), (1..=25).collect::<Vec<_>>());
    assert_eq!(hits(&server).await, 3);
    assert_eq!(usage(&client), (3, 3));
}

#[tokio::test]
async fn a_13_item_ranking_stops_after_its_short_second_page() {
    let server = MockServer::start().await;
    mount_page(&server, 1, page(1, 10), 1).await;
    mount_page(&server, 2, page(2, 3), 1).await;
    mount_page(&server, 3, page(3, 10), 0).await;
    let client = builder(&server.uri()).build().expect("client");
    let items: Vec<RankedVideo> = client
        .video_ranking(query())
        .items()
        .try_collect()
        .await
        .expect("13 items");
    assert_eq!(ranks(&items), (1..=13).collect::<Vec<_>>());
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test]
async fn an_empty_ranking_costs_one_request() {
    for data in [Value::Array(Vec::new()), Value::Null] {
        let server = MockServer::start().await;
        let empty = ResponseTemplate::new(200).set_body_json(envelope(data));
        mount_page(&server, 1, empty, 1).await;
        mount_page(&server, 2, page(2, 10), 0).await;
        let client = builder(&server.uri()).build().expect("client");
        let pages: Vec<_> = client
            .video_ranking(query())
            .limit(100)
            .pages()
            .try_collect()
            .await
            .expect("one empty page");
        assert_eq!(pages.len(), 1);
        assert!(pages[0].items.is_empty());
        assert_eq!(hits(&server).await, 1);
    }
}

#[tokio::test]
async fn concurrent_paging_yields_items_in_rank_order() {
    let server = MockServer::start().await;
    for (page_num, delay_ms) in [(1, 300), (2, 200), (3, 0), (4, 100)] {
        let slow = page(page_num.into(), 10).set_delay(Duration::from_millis(delay_ms));
        mount_page(&server, page_num, slow, 1).await;
    }
    mount_page(&server, 5, page(5, 10), 0).await;
    let client = builder(&server.uri()).build().expect("client");
    let items: Vec<RankedVideo> = client
        .video_ranking(query())
        .limit(40)
        .concurrency(4)
        .items()
        .try_collect()
        .await
        .expect("40 items");
    assert_eq!(ranks(&items), (1..=40).collect::<Vec<_>>());
    let ids: Vec<&str> = items.iter().map(|video| video.video_id.as_str()).collect();
    assert_eq!(ids, (1..=40).map(video_id).collect::<Vec<_>>());
    assert_eq!(hits(&server).await, 4);
}

#[tokio::test]
async fn a_credit_budget_is_never_exceeded_and_its_exhaustion_ends_the_stream() {
    let server = MockServer::start().await;
    mount_page(&server, 1, page(1, 10), 1).await;
    mount_page(&server, 2, page(2, 10), 1).await;
    mount_page(&server, 3, page(3, 10), 0).await;
    let client = builder(&server.uri())
        .credit_budget(2)
        .build()
        .expect("client");
    let mut results: Vec<_> = client
        .video_ranking(query())
        .limit(50)
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 21, "20 items, then the error, then the end");
    let error = failure(results.pop().expect("the error"));
    assert!(
        matches!(error, Error::BudgetExhausted { budget: 2, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "credit budget of 2 spent: request not sent"
    );
    let items: Vec<RankedVideo> = results
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("items");
    assert_eq!(ranks(&items), (1..=20).collect::<Vec<_>>());
    let again = failure(client.video_ranking_page(&query().page(3)).await);
    assert!(
        matches!(again, Error::BudgetExhausted { budget: 2, .. }),
        "{again:?}"
    );
    assert_eq!(hits(&server).await, 2);
    assert_eq!(usage(&client), (2, 2));
}

#[tokio::test]
async fn a_stream_ends_right_after_yielding_an_error() {
    let server = MockServer::start().await;
    mount_page(&server, 1, page(1, 10), 1).await;
    let refused =
        ResponseTemplate::new(401).set_body_json(error_envelope(401, "apiKey is null", "r"));
    mount_page(&server, 2, refused, 1).await;
    mount_page(&server, 3, page(3, 10), 0).await;
    let client = builder(&server.uri()).build().expect("client");
    let mut results: Vec<_> = client
        .video_ranking(query())
        .limit(50)
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 11);
    let error = failure(results.pop().expect("the error"));
    assert!(matches!(error, Error::Authentication(_)), "{error:?}");
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test]
async fn usage_counts_credits_and_requests_separately_across_clones() {
    let server = MockServer::start().await;
    let failing = ResponseTemplate::new(500).set_body_json(error_envelope(500, "oops", "r"));
    mount_any(&server, failing, 1).await;
    mount_any(&server, page(1, 10), 1).await;
    mount_any(
        &server,
        ResponseTemplate::new(200).set_body_json(error_envelope(402, "no", "r")),
        1,
    )
    .await;
    let client = retrying_client(&server.uri(), 3);
    let clone = client.clone();
    client
        .video_ranking_page(&query())
        .await
        .expect("500, then a page");
    assert_eq!(usage(&client), (1, 2));
    let error = failure(clone.video_ranking_page(&query()).await);
    assert!(matches!(error, Error::CreditsExhausted(_)), "{error:?}");
    let expected = (1, 3);
    assert_eq!((usage(&client), usage(&clone)), (expected, expected));
    assert_eq!(hits(&server).await, 3);
}

#[tokio::test]
async fn a_requests_per_second_limit_shared_by_clones_spaces_requests() {
    let server = MockServer::start().await;
    mount_any(&server, page(1, 10), 5).await;
    let client = builder(&server.uri())
        .requests_per_second(20.0)
        .build()
        .expect("client");
    let fetch = |client: keyapi_tiktok::Client, times: usize| async move {
        for _ in 0..times {
            client.video_ranking_page(&query()).await.expect("page");
        }
    };
    let started = Instant::now();
    tokio::join!(fetch(client.clone(), 3), fetch(client.clone(), 2));
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(hits(&server).await, 5);
    assert_eq!(usage(&client), (5, 5));
}
