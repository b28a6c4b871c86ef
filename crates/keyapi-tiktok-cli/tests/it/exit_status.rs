//! `keyapi-tiktok videos` when something is wrong: invalid arguments, a missing key, API
//! failures and transport errors, each with its exit status, one line on stderr and the
//! requests it spent.

use std::time::Duration;

use crate::common::*;
use serde_json::Value;
use wiremock::matchers::query_param;
use wiremock::{MockServer, ResponseTemplate};

#[tokio::test]
async fn invalid_arguments_exit_2_and_send_nothing() {
    let server = serve_ranking(100).await;
    let cases: &[&[&str]] = &[
        &["--region", "USA"],
        &["--region", "U1"],
        &["--date", "2026-02-30"],
        &["--date", "24/11/2026"],
        &["--date", "2099-01-01"],
        &["--by", "likes"],
        &["--period", "yearly"],
        &["--page-size", "0"],
        &["--page-size", "11"],
        &["--limit", "0"],
        &["--limit", "-3"],
        &["--ai", "maybe"],
        &["--format", "xml"],
        &["--category", "beauty"],
        &["--timeout", "0"],
        &["--qps", "0"],
        &["--concurrency", "0"],
        &["--base-url", "http://example.com"],
        &["--base-url", "not a url"],
        &["--unknown-flag"],
    ];
    for extra in cases {
        let run = videos(&server, extra).await;
        assert_eq!(run.code, 2, "{extra:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{extra:?}");
        assert!(
            run.stderr.starts_with("error: "),
            "{extra:?}: {}",
            run.stderr
        );
        // The error names the flag (or the parameter it sets) and the refused value, so a
        // flag that was removed (also exit 2) cannot pass for a value that was refused.
        let flag = extra[0];
        let parameter = flag.trim_start_matches("--").replace('-', "_");
        assert!(
            run.stderr.contains(flag) || run.stderr.contains(&parameter),
            "{extra:?}: the error does not name {flag}: {}",
            run.stderr
        );
        if let Some(value) = extra.get(1) {
            assert!(
                run.stderr.contains(value),
                "{extra:?}: the error does not name {value:?}: {}",
                run.stderr
            );
        }
    }
    let no_command = finish(command(&[])).await;
    assert_eq!(no_command.code, 2);
    assert!(requests(&server).await.is_empty(), "a request was sent");
}

#[tokio::test]
async fn invalid_values_are_named_in_the_error() {
    let server = serve_ranking(100).await;
    let run = videos(&server, &["--region", "USA"]).await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("'USA'") && run.stderr.contains("--region"));
    let run = videos(&server, &["--category", "beauty"]).await;
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: invalid_input: invalid product_category_id `beauty`: \
         expected a category id of 1 to 20 digits, such as 601450\n"
    );
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn a_date_after_today_in_utc_plus_14_exits_2_naming_the_latest_date() {
    let server = serve_ranking(100).await;
    let latest =
        keyapi_tiktok::VideoRankingQuery::latest_date(keyapi_tiktok::jiff::Timestamp::now());
    let tomorrow = latest.tomorrow().expect("a date").to_string();
    let run = videos(&server, &["--date", &tomorrow]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "error: invalid_input: invalid date `{tomorrow}`: expected a date no later than \
             {latest}, today in UTC+14, where days begin first: no ranking is dated later\n"
        )
    );
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn a_missing_key_exits_2_and_sends_nothing() {
    let server = serve_ranking(100).await;
    let uri = server.uri();
    let args = ["--base-url", uri.as_str()];
    for key in [None, Some("")] {
        let mut command = videos_command(&args);
        match key {
            None => command.env_remove("KEYAPI_API_KEY"),
            Some(key) => command.env("KEYAPI_API_KEY", key),
        };
        let run = finish(command).await;
        assert_eq!(run.code, 2, "{key:?}");
        assert_eq!(
            run.stderr,
            "error: invalid_input: KEYAPI_API_KEY is not set: export your KeyAPI key as KEYAPI_API_KEY\n"
        );
    }
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn the_base_url_comes_from_the_flag_then_the_environment() {
    let server = serve_ranking(100).await;
    let from_env = finish({
        let mut command = videos_command(&["--limit", "1", "--format", "ndjson"]);
        command.env("KEYAPI_BASE_URL", server.uri());
        command
    })
    .await;
    assert_eq!(from_env.code, 0, "{}", from_env.stderr);
    assert_eq!(ndjson(&from_env.stdout).len(), 1);

    // Nothing listens on port 9: the flag must win over it.
    let flag_wins = finish({
        let uri = server.uri();
        let mut command =
            videos_command(&["--limit", "1", "--format", "ndjson", "--base-url", &uri]);
        command.env("KEYAPI_BASE_URL", "http://127.0.0.1:9");
        command
    })
    .await;
    assert_eq!(flag_wins.code, 0, "{}", flag_wins.stderr);
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn authentication_failure_exits_3_without_retrying() {
    let server = serve(failure(401, 401, "invalid api key", "req-401")).await;
    let run = videos(&server, &[]).await;
    assert_eq!(run.code, 3);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: authentication (HTTP 401, code 401): invalid api key [requestId req-401]\n"
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn credits_exhausted_in_an_http_200_envelope_exits_4() {
    let server = serve(failure(200, 402, "apiKey quota is not enough", "req-402")).await;
    let run = videos(&server, &["--format", "json"]).await;
    assert_eq!(run.code, 4);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: credits_exhausted (HTTP 200, code 402): apiKey quota is not enough [requestId req-402]\n"
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn still_rate_limited_after_the_retries_exits_5() {
    let server =
        serve(failure(429, 429, "qps limit exceeded", "abc").insert_header("retry-after", "0"))
            .await;
    let run = videos(&server, &["--max-retries", "2"]).await;
    assert_eq!(run.code, 5);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: rate_limited (HTTP 429, code 429): qps limit exceeded [requestId abc]\n"
    );
    assert_eq!(
        requests(&server).await.len(),
        3,
        "one attempt and two retries"
    );
}

#[tokio::test]
async fn max_retries_0_sends_one_request() {
    let server = serve(failure(429, 429, "qps limit exceeded", "abc")).await;
    let run = videos(&server, &["--max-retries", "0"]).await;
    assert_eq!(run.code, 5);
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_rate_limit_that_clears_is_retried_to_success() {
    let server = serve_once_then_ranking(
        failure(200, 429, "qps limit exceeded", "r-1").insert_header("retry-after", "0"),
    )
    .await;
    let run = videos(&server, &["--format", "ndjson", "--max-retries", "1"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(ndjson(&run.stdout).len(), 10);
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn other_failures_exit_1_with_one_line_even_for_an_html_body() {
    let html = "<html>\n<body>\r\n<h1>502 Bad Gateway</h1>\n</body>\n</html>\n";
    let server = serve(ResponseTemplate::new(502).set_body_raw(html, "text/html")).await;
    let run = videos(&server, &["--max-retries", "0"]).await;
    assert_eq!(run.code, 1);
    assert_eq!(
        requests(&server).await.len(),
        1,
        "--max-retries 0: one request"
    );
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: server (HTTP 502): <html>"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("502 Bad Gateway"));
}

#[tokio::test]
async fn an_envelope_server_error_exits_1() {
    let server = serve(failure(500, 500, "internal error", "req-500")).await;
    let run = videos(&server, &["--max-retries", "0"]).await;
    assert_eq!(run.code, 1);
    assert_eq!(
        requests(&server).await.len(),
        1,
        "--max-retries 0: one request"
    );
    assert_eq!(
        run.stderr,
        "error: server (HTTP 500, code 500): internal error [requestId req-500]\n"
    );
}

#[tokio::test]
async fn a_refused_connection_exits_1() {
    let run = finish(videos_command(&[
        "--max-retries",
        "0",
        "--base-url",
        "http://127.0.0.1:9",
    ]))
    .await;
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: transport: request failed"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_timeout_exits_1() {
    let server = serve(success(vec![item(1)]).set_delay(Duration::from_secs(5))).await;
    let run = videos(&server, &["--timeout", "0.2", "--max-retries", "0"]).await;
    assert_eq!(run.code, 1);
    assert_eq!(
        requests(&server).await.len(),
        1,
        "--max-retries 0: one request"
    );
    assert_eq!(run.stderr, "error: timeout: request timed out\n");
}

#[tokio::test]
async fn an_undecodable_body_exits_1() {
    let server =
        serve(ResponseTemplate::new(200).set_body_raw("not json", "application/json")).await;
    let run = videos(&server, &[]).await;
    assert_eq!(run.code, 1);
    assert_eq!(
        requests(&server).await.len(),
        1,
        "a decode error is never retried"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("error: decode: cannot decode the response"),
        "{}",
        run.stderr
    );
}

/// Page 1 succeeds, page 2 fails for good.
async fn serve_failing_second_page(response: ResponseTemplate) -> MockServer {
    serve_ranking_except(
        ranking_request()
            .and(query_param("page_num", "2"))
            .respond_with(response),
    )
    .await
}

#[tokio::test]
async fn a_failure_after_streamed_pages_keeps_them_and_exits_non_zero() {
    let server =
        serve_failing_second_page(failure(402, 402, "apiKey quota is not enough", "req-2")).await;

    let run = videos(&server, &["--format", "ndjson", "--limit", "30"]).await;
    assert_eq!(run.code, 4);
    assert_eq!(ndjson(&run.stdout).len(), 10, "page 1 is kept");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);

    let run = videos(&server, &["--format", "csv", "--limit", "30"]).await;
    assert_eq!(run.code, 4);
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    assert_eq!(reader.records().count(), 10, "page 1 is kept");

    // A partial JSON array would pass for a complete one: nothing is written.
    let run = videos(&server, &["--format", "json", "--limit", "30"]).await;
    assert_eq!(run.code, 4);
    assert_eq!(run.stdout, "");
}

#[tokio::test]
async fn a_page_any_standard_json_parser_reads_is_printed_not_an_error() {
    // A byte-order mark, `code` 0.0, a caption cut inside an emoji, a count and an unknown
    // value no number type holds: Python's `json` reads it, and so does the command.
    let body = "\u{feff}{\"code\":0.0,\"message\":\"success\",\"requestId\":\"r\",\"data\":[\
        {\"video_id\":\"7\",\"video_desc\":\"cut emoji \\ud83d\",\"total_views_cnt\":1e400,\
        \"score\":123456789012345678901234567890}]}";
    let server = serve(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
    let run = videos(&server, &["--format", "ndjson", "--limit", "1"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let records = ndjson(&run.stdout);
    assert_eq!(records[0]["video_id"], "7");
    assert_eq!(records[0]["description"], "cut emoji \u{fffd}");
    assert_eq!(records[0]["views"], Value::Null);
    assert_eq!(
        records[0]["extra"]["score"],
        "123456789012345678901234567890"
    );
}
