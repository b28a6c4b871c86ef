//! Every way a request can fail maps to one typed error, the same whether upstream signals
//! it with the HTTP status or with the envelope code; invalid input costs no request; the
//! API key never shows.

use std::mem::discriminant;
use std::time::{Duration, Instant};

use crate::common::{builder, error_envelope, failure, hits, mount_any, query, usage};
use futures::StreamExt;
use keyapi_tiktok::{Error, Region, VideoRankingQuery};
use wiremock::{MockServer, ResponseTemplate};

/// The error for one page when the server answers every request with `response`, and how
/// many requests the server received.
async fn error_for(response: ResponseTemplate) -> (Error, usize) {
    let server = MockServer::start().await;
    mount_any(&server, response, 1).await;
    let client = builder(&server.uri()).build().expect("client");
    let error = failure(client.video_ranking_page(&query()).await);
    (error, hits(&server).await)
}

/// A bounded excerpt: at most 256 bytes of the body, then an ellipsis.
#[track_caller]
fn assert_bounded_excerpt(excerpt: &str, starts: &str) {
    assert!(excerpt.starts_with(starts), "{excerpt}");
    assert!(excerpt.ends_with('…'), "{excerpt}");
    assert!(
        excerpt.len() <= 256 + '…'.len_utf8(),
        "{} bytes",
        excerpt.len()
    );
}

#[tokio::test]
async fn each_error_code_maps_to_one_variant_whether_sent_as_http_status_or_envelope_code() {
    let cases = [
        (
            400,
            "Missing required parameter: handle",
            "bad_request",
            "bad request",
            false,
        ),
        (
            401,
            "apiKey is null",
            "authentication",
            "authentication failed",
            false,
        ),
        (
            402,
            "apiKey quota is not enough",
            "credits_exhausted",
            "credits exhausted",
            false,
        ),
        (
            429,
            "qps limit exceeded",
            "rate_limited",
            "rate limited",
            true,
        ),
        (500, "Internal server error", "server", "server error", true),
        (502, "Bad gateway", "server", "server error", true),
        (503, "Service unavailable", "server", "server error", true),
    ];
    for (code, message, kind, shown, retryable) in cases {
        let request_id = format!("req-{code}");
        let body = error_envelope(code.into(), message, &request_id);
        let (by_status, status_hits) =
            error_for(ResponseTemplate::new(code).set_body_json(&body)).await;
        let (by_envelope, envelope_hits) =
            error_for(ResponseTemplate::new(200).set_body_json(&body)).await;
        assert_eq!((status_hits, envelope_hits), (1, 1), "code {code}");
        assert_eq!(
            discriminant(&by_status),
            discriminant(&by_envelope),
            "code {code}"
        );
        for (error, http) in [(&by_status, code), (&by_envelope, 200)] {
            assert_eq!(error.kind(), kind, "{error:?}");
            assert_eq!(error.status(), Some(http), "{error:?}");
            assert_eq!(error.code(), Some(i64::from(code)), "{error:?}");
            assert_eq!(error.request_id(), Some(request_id.as_str()), "{error:?}");
            assert_eq!(error.is_retryable(), retryable, "{error:?}");
            assert_eq!(error.retry_after(), None, "{error:?}");
            assert_eq!(
                error.api_failure().map(|failure| failure.message.as_str()),
                Some(message)
            );
            assert_eq!(
                error.to_string(),
                format!("{shown} (HTTP {http}, code {code}): {message} [requestId {request_id}]")
            );
        }
    }
}

#[tokio::test]
async fn the_spec_error_examples_without_request_id_map_by_status() {
    let body =
        serde_json::json!({ "code": 402, "data": null, "message": "apiKey quota is not enough" });
    let (error, requests) = error_for(ResponseTemplate::new(402).set_body_json(body)).await;
    assert_eq!(requests, 1);
    assert!(matches!(error, Error::CreditsExhausted(_)), "{error:?}");
    assert_eq!(
        (error.status(), error.code(), error.request_id()),
        (Some(402), Some(402), None)
    );
    assert_eq!(
        error.to_string(),
        "credits exhausted (HTTP 402, code 402): apiKey quota is not enough"
    );
}

#[tokio::test]
async fn an_html_502_page_from_a_proxy_is_a_server_error_with_a_bounded_excerpt() {
    let html = format!(
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
         <center><h1>502 Bad Gateway</h1></center>\r\n{}<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        "<!-- a padding comment to make the page long -->\r\n".repeat(10)
    );
    assert!(html.len() > 400);
    let (error, requests) =
        error_for(ResponseTemplate::new(502).set_body_raw(html, "text/html")).await;
    assert_eq!(requests, 1);
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    assert_eq!(
        (error.status(), error.code(), error.request_id()),
        (Some(502), None, None)
    );
    assert!(error.is_retryable());
    let message = &error.api_failure().expect("an API failure").message;
    assert_bounded_excerpt(message, "<html>\r\n<head><title>502 Bad Gateway</title>");
    assert!(
        error
            .to_string()
            .starts_with("server error (HTTP 502): <html>"),
        "{error}"
    );
}

#[tokio::test]
async fn an_html_body_on_http_200_is_a_decode_error_with_a_bounded_excerpt() {
    let html = format!(
        "<!DOCTYPE html><html><head><title>Maintenance</title></head><body>{}</body></html>",
        "<p>We will be back soon.</p>".repeat(20)
    );
    let (error, requests) =
        error_for(ResponseTemplate::new(200).set_body_raw(html, "text/html")).await;
    assert_eq!(requests, 1);
    let Error::Decode { excerpt, .. } = &error else {
        panic!("expected a decode error, got {error:?}")
    };
    assert_bounded_excerpt(
        excerpt,
        "<!DOCTYPE html><html><head><title>Maintenance</title>",
    );
    assert_eq!(
        (error.kind(), error.code(), error.is_retryable()),
        ("decode", None, false)
    );
    let shown = error.to_string();
    assert!(shown.starts_with("cannot decode the response"), "{shown}");
    assert!(shown.contains("body starts \"<!DOCTYPE html>"), "{shown}");
}

#[tokio::test]
async fn invalid_queries_are_refused_naming_the_parameter_before_any_request() {
    let server = MockServer::start().await;
    let client = builder(&server.uri()).build().expect("client");
    let cases = [
        (
            query().page(0),
            "page_num",
            "invalid page_num `0`: expected 1..=100000",
        ),
        (
            query().page(100_001),
            "page_num",
            "invalid page_num `100001`: expected 1..=100000",
        ),
        (
            query().page_size(0),
            "page_size",
            "invalid page_size `0`: expected 1..=10",
        ),
        (
            query().page_size(11),
            "page_size",
            "invalid page_size `11`: expected 1..=10",
        ),
        (
            query().category("beauty"),
            "product_category_id",
            "invalid product_category_id `beauty`: expected a category id of 1 to 20 digits, such as 601450",
        ),
        (
            query().category(""),
            "product_category_id",
            "invalid product_category_id ``: expected a category id of 1 to 20 digits, such as 601450",
        ),
    ];
    for (query, parameter, message) in cases {
        let direct = failure(client.video_ranking_page(&query).await);
        let mut streamed: Vec<_> = client
            .video_ranking(query)
            .limit(30)
            .items()
            .collect()
            .await;
        assert_eq!(streamed.len(), 1, "the stream ends with the error");
        let streamed = failure(streamed.remove(0));
        for error in [direct, streamed] {
            assert!(
                matches!(&error, Error::InvalidInput { parameter: p, .. } if *p == parameter),
                "{error:?}"
            );
            assert_eq!(error.to_string(), message);
            assert!(!error.is_retryable());
        }
    }
    for code in ["USA", "U", "U1", ""] {
        let error = failure(code.parse::<Region>());
        assert!(
            matches!(
                error,
                Error::InvalidInput {
                    parameter: "region",
                    ..
                }
            ),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!("invalid region `{code}`: expected two letters, such as US or GB")
        );
    }
    assert_eq!(hits(&server).await, 0);
    assert_eq!(usage(&client), (0, 0));
}

#[test]
fn the_api_key_is_absent_from_debug_of_the_builder_and_the_client() {
    let builder = builder("https://api.keyapi.ai")
        .requests_per_second(5.0)
        .credit_budget(3);
    let client = builder.clone().build().expect("client");
    for shown in [
        format!("{builder:?}"),
        format!("{builder:#?}"),
        format!("{client:?}"),
        format!("{client:#?}"),
    ] {
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }
}

#[test]
fn plain_http_is_refused_except_to_loopback() {
    for url in [
        "http://api.keyapi.ai",
        "http://10.0.0.1:8080",
        "http://192.168.1.20/",
        "http://example.com:80",
    ] {
        let error = failure(builder(url).build());
        assert!(
            matches!(
                error,
                Error::InvalidInput {
                    parameter: "base_url",
                    ..
                }
            ),
            "{url}: {error:?}"
        );
    }
    for url in [
        "http://127.0.0.1:9",
        "http://localhost:9",
        "http://[::1]:9",
        "https://api.keyapi.ai",
    ] {
        builder(url).build().expect(url);
    }
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("an address");
    drop(listener);
    let client = builder(&format!("http://{address}"))
        .build()
        .expect("client");
    let error = failure(client.video_ranking_page(&query()).await);
    assert!(
        matches!(error, Error::Transport { timeout: false, .. }),
        "{error:?}"
    );
    assert_eq!(
        (error.kind(), error.status(), error.is_retryable()),
        ("transport", None, true)
    );
    assert_eq!(usage(&client), (0, 1));
}

#[tokio::test]
async fn a_slow_response_past_the_timeout_is_a_retryable_timeout_error() {
    let server = MockServer::start().await;
    let slow = crate::common::page(1, 10).set_delay(Duration::from_secs(5));
    mount_any(&server, slow, 1).await;
    let timeout = Duration::from_millis(300);
    let client = builder(&server.uri())
        .timeout(timeout)
        .build()
        .expect("client");
    let started = Instant::now();
    let error = failure(client.video_ranking_page(&query()).await);
    assert!(started.elapsed() >= timeout);
    assert!(
        matches!(error, Error::Transport { timeout: true, .. }),
        "{error:?}"
    );
    assert_eq!(
        (error.kind(), error.to_string().as_str()),
        ("timeout", "request timed out")
    );
    assert!(error.is_retryable());
    assert_eq!(hits(&server).await, 1);
}
/// A 200 body that leaves the spec-typed path keeps its HTTP status.
#[tokio::test]
async fn a_200_body_off_the_fast_path_keeps_its_http_status() {
    let html = ResponseTemplate::new(200).set_body_raw("<html>maintenance</html>", "text/html");
    let (error, _) = error_for(html).await;
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    assert_eq!(error.status(), Some(200), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("cannot decode the response (HTTP 200): ")
    );

    let no_request_id =
        serde_json::json!({ "code": 402, "data": null, "message": "apiKey quota is not enough" });
    let (error, _) = error_for(ResponseTemplate::new(200).set_body_json(no_request_id)).await;
    assert!(matches!(error, Error::CreditsExhausted(_)), "{error:?}");
    assert_eq!(
        (error.status(), error.code()),
        (Some(200), Some(402)),
        "{error:?}"
    );
}

/// A non-JSON body on a documented error status is classified by the status, not as a decode error.
#[tokio::test]
async fn a_non_json_body_on_a_documented_error_status_is_classified_by_the_status() {
    for (status, body, kind) in [
        (500, "<html>busy</html>", "server"),
        (429, "<html>slow down</html>", "rate_limited"),
        (429, "", "rate_limited"),
        (401, "Unauthorized", "authentication"),
    ] {
        let (error, requests) =
            error_for(ResponseTemplate::new(status).set_body_raw(body, "text/html")).await;
        assert_eq!(requests, 1);
        assert_eq!(
            (error.kind(), error.status()),
            (kind, Some(status)),
            "{error:?}"
        );
    }
}

/// `query()` dated `date`.
fn dated(date: jiff::civil::Date) -> VideoRankingQuery {
    VideoRankingQuery::new(
        date,
        query().region(),
        query().rank_field(),
        query().period(),
    )
}

#[test]
fn a_date_after_today_in_utc_plus_14_is_refused_naming_the_latest_date() {
    let utc = |hour, minute, second| {
        jiff::civil::date(2026, 12, 3)
            .at(hour, minute, second, 0)
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .expect("a UTC time")
            .timestamp()
    };
    let (third, fourth, fifth) = (
        jiff::civil::date(2026, 12, 3),
        jiff::civil::date(2026, 12, 4),
        jiff::civil::date(2026, 12, 5),
    );
    // 10:00 UTC is midnight in UTC+14, the first place where a day begins.
    for (now, latest, refused) in [
        (utc(9, 59, 59), third, fourth),
        (utc(10, 0, 0), fourth, fifth),
    ] {
        assert_eq!(VideoRankingQuery::latest_date(now), latest);
        dated(latest).validate_at(now).expect("the latest date");
        let error = failure(dated(refused).validate_at(now));
        assert!(
            matches!(&error, Error::DateAfterToday { date, latest: l, .. } if *date == refused && *l == latest),
            "{error:?}"
        );
        assert_eq!(error.kind(), "invalid_input");
        assert!(!error.is_retryable());
        assert_eq!(
            error.to_string(),
            format!(
                "invalid date `{refused}`: expected a date no later than {latest}, today in \
                 UTC+14, where days begin first: no ranking is dated later"
            )
        );
    }
}

#[tokio::test]
async fn a_future_date_costs_no_request_and_today_and_yesterday_are_accepted() {
    let server = MockServer::start().await;
    let client = builder(&server.uri()).build().expect("client");
    let latest = VideoRankingQuery::latest_date(jiff::Timestamp::now());
    let after = latest.tomorrow().expect("a date");
    for future in [after, jiff::civil::date(2099, 1, 1)] {
        let direct = failure(client.video_ranking_page(&dated(future)).await);
        let mut streamed: Vec<_> = client
            .video_ranking(dated(future))
            .limit(30)
            .items()
            .collect()
            .await;
        let streamed = failure(streamed.remove(0));
        for error in [direct, streamed] {
            assert!(
                matches!(&error, Error::DateAfterToday { latest: l, .. } if *l == latest),
                "{error:?}"
            );
        }
    }
    assert_eq!(hits(&server).await, 0);
    assert_eq!(usage(&client), (0, 0));
    let today = jiff::ZonedDateTime::now().date();
    let yesterday = today.yesterday().expect("a date");
    for date in [today, yesterday] {
        dated(date)
            .validate()
            .expect("today and yesterday are accepted");
    }
}
