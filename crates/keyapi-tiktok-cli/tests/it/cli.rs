//! The `keyapi-tiktok` binary run for real against local wiremock servers: what it prints
//! in every format, what it sends, how it fails, and that the key never shows.

use std::collections::HashMap;
use std::time::Duration;

use crate::common::*;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn json_is_one_array_of_typed_records() {
    let server = serve_ranking(100).await;
    let run = videos(&server, &["--format", "json", "--limit", "3"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let records: Vec<Value> = serde_json::from_str(&run.stdout).expect("one JSON array");
    assert_eq!(records.len(), 3);
    assert_eq!(
        pages_requested(&server).await,
        [1],
        "three records: one page, one credit"
    );
    let ranks: Vec<&Value> = records.iter().map(|record| &record["rank"]).collect();
    assert_eq!(ranks, [1, 2, 3]);
    let first = &records[0];
    assert_eq!(first["video_id"], "7601397977986500001");
    assert_eq!(
        first["video_url"],
        "https://www.tiktok.com/@creator1/video/7601397977986500001"
    );
    assert_eq!(first["user_id"], "6633792625097490438");
    assert_eq!(first["unique_id"], "creator1");
    assert_eq!(first["nick_name"], "ﾌひﾚﾉの");
    assert_eq!(first["region"], "US");
    assert_eq!(first["category"], "Other");
    assert_eq!(first["created_at"], "2026-01-31T05:46:45Z");
    assert_eq!(first["duration_secs"], 15);
    assert_eq!(first["created_by_ai"], false);
    assert_eq!(first["sales_method"], "video");
    assert_eq!(first["views"], 1_999_000);
    assert_eq!(first["likes"], 45_600);
    assert_eq!(first["comments"], 12);
    assert_eq!(first["shares"], 3);
    assert_eq!(first["favorites"], 4);
    assert_eq!(first["units_sold"], 5508);
    assert_eq!(first["gmv"], 44613.0);
    assert_eq!(first["product_ids"], json!([PRODUCT_ID]));
    assert_eq!(
        first["product_categories"],
        json!([{ "id": "601450", "name": "Beauty & Personal Care" }])
    );
    assert_eq!(
        first["description"],
        "W huzz magnet, \"quoted\"\nsecond line 🧲 #fyp"
    );
    assert_eq!(first["cover_url"], "https://example.com/cover.jpg");
    assert_eq!(first["avatar_url"], "https://example.com/avatar.jpg");
    assert_eq!(first["history_views"], 9_000_000);
    assert_eq!(first["extra"], json!({ "brand_new_field": { "x": 1 } }));
}

#[tokio::test]
async fn ndjson_is_one_record_a_line() {
    let server = serve_ranking(100).await;
    let run = videos(&server, &["--format", "ndjson", "--limit", "12"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let records = ndjson(&run.stdout);
    assert_eq!(records.len(), 12);
    for (record, rank) in records.iter().zip(1..) {
        assert_eq!(record["rank"], rank);
        assert_eq!(record["video_id"], format!("76013979779865{rank:05}"));
        assert_eq!(record["product_ids"][0], PRODUCT_ID);
    }
    assert_eq!(pages_requested(&server).await, [1, 2]);
}

#[tokio::test]
async fn csv_has_a_header_and_one_row_per_video_with_lists_joined() {
    let server = serve_ranking(100).await;
    let run = videos(&server, &["--format", "csv", "--limit", "2"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(pages_requested(&server).await, [1]);
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let header = reader.headers().expect("a header").clone();
    for column in [
        "rank",
        "video_id",
        "video_url",
        "user_id",
        "unique_id",
        "nick_name",
        "region",
        "category",
        "created_at",
        "duration_secs",
        "created_by_ai",
        "sales_method",
        "views",
        "likes",
        "comments",
        "shares",
        "favorites",
        "units_sold",
        "gmv",
        "product_ids",
        "product_categories",
        "description",
        "cover_url",
        "avatar_url",
    ] {
        assert!(header.iter().any(|name| name == column), "{column} missing");
    }
    assert!(!header.iter().any(|name| name == "extra"));
    let rows: Vec<HashMap<String, String>> = reader
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("rows parse");
    assert_eq!(rows.len(), 2);
    let row = &rows[1];
    assert_eq!(row["rank"], "2");
    assert_eq!(row["video_id"], "7601397977986500002");
    assert_eq!(row["created_at"], "2026-01-31T05:46:45Z");
    assert_eq!(row["created_by_ai"], "false");
    assert_eq!(row["sales_method"], "video");
    assert_eq!(row["views"], "1998000");
    assert_eq!(row["product_ids"], PRODUCT_ID);
    assert_eq!(row["product_categories"], "601450:Beauty & Personal Care");
    assert_eq!(
        row["description"],
        "W huzz magnet, \"quoted\"\nsecond line 🧲 #fyp"
    );
}

#[tokio::test]
async fn the_table_is_readable_with_compact_numbers() {
    let server = serve_ranking(100).await;
    let run = videos(&server, &["--limit", "2"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(pages_requested(&server).await, [1]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(lines[0].starts_with("RANK    VIEWS    LIKES     SOLD      GMV  CREATOR"));
    assert!(lines[0].ends_with("DESCRIPTION"));
    assert!(
        lines[1].starts_with("   1     2.0M    45.6K     5.5K    44.6K  @creator1"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("2026-01-31  7601397977986500001  W huzz magnet"));
    for line in lines {
        assert!(line.chars().count() <= 120, "{line}");
    }
}

#[tokio::test]
async fn limit_25_with_page_size_10_spends_exactly_three_requests() {
    let server = serve_ranking(1000).await;
    let run = videos(
        &server,
        &["--limit", "25", "--page-size", "10", "--format", "ndjson"],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(ndjson(&run.stdout).len(), 25);
    assert_eq!(pages_requested(&server).await, [1, 2, 3]);
    for request in requests(&server).await {
        assert_eq!(params(&request)["page_size"], "10");
    }
}

#[tokio::test]
async fn a_ranking_shorter_than_the_limit_is_success() {
    let server = serve_ranking(13).await;
    let run = videos(&server, &["--limit", "50", "--format", "json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let records: Vec<Value> = serde_json::from_str(&run.stdout).expect("one JSON array");
    assert_eq!(records.len(), 13);
    assert_eq!(records[12]["rank"], 13);
    // The second page was short: the ranking ended there.
    assert_eq!(pages_requested(&server).await, [1, 2]);
}

#[tokio::test]
async fn an_empty_ranking_is_success_with_a_warning() {
    let server = serve_ranking(0).await;
    let run = videos(&server, &["--format", "json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "[]");
    assert!(run.stderr.starts_with("warning: the ranking is empty"));
    let quiet = videos(&server, &["--format", "csv", "--quiet"]).await;
    assert_eq!(quiet.code, 0);
    assert_eq!(quiet.stdout.lines().count(), 1, "the header alone");
    assert_eq!(quiet.stderr, "");
}

#[tokio::test]
async fn every_query_parameter_is_sent_as_asked() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .and(query_param("date", "2026-11-23"))
        .and(query_param("region", "GB"))
        .and(query_param("video_rank_field", "2"))
        .and(query_param("rank_type", "2"))
        .and(query_param("page_num", "1"))
        .and(query_param("page_size", "5"))
        .and(query_param("product_category_id", "601450"))
        .and(query_param("created_by_ai", "false"))
        .respond_with(success(vec![item(1)]))
        .expect(1)
        .mount(&server)
        .await;
    let run = videos(
        &server,
        &[
            "--date",
            "2026-11-23",
            "--region",
            "gb",
            "--by",
            "sales",
            "--period",
            "weekly",
            "--category",
            "601450",
            "--ai",
            "false",
            "--page-size",
            "5",
            "--format",
            "ndjson",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(ndjson(&run.stdout).len(), 1);
    let request = &requests(&server).await[0];
    let authorization = request
        .headers
        .get("authorization")
        .expect("an Authorization header");
    assert_eq!(
        authorization.to_str().ok(),
        Some("Bearer sk-live-SECRET-1234")
    );
}

#[tokio::test]
async fn a_date_off_the_period_start_warns_but_is_sent() {
    let server = serve_ranking(3).await;
    let run = videos(&server, &["--period", "weekly", "--format", "json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("(try --date 2026-11-23)"),
        "{}",
        run.stderr
    );
    assert_eq!(params(&requests(&server).await[0])["date"], "2026-11-24");
}

#[tokio::test]
async fn invalid_arguments_exit_2_and_send_nothing() {
    let server = serve_ranking(100).await;
    let cases: &[&[&str]] = &[
        &["--region", "USA"],
        &["--region", "U1"],
        &["--date", "2026-02-30"],
        &["--date", "24/11/2026"],
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
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .respond_with(
            failure(200, 429, "qps limit exceeded", "r-1").insert_header("retry-after", "0"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .respond_with(Ranking { total: 100 })
        .mount(&server)
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
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .and(query_param("page_num", "2"))
        .respond_with(response)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .respond_with(Ranking { total: 100 })
        .mount(&server)
        .await;
    server
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
async fn concurrent_pages_come_out_in_rank_order() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .and(query_param("page_num", "1"))
        .respond_with(success((1..=10).map(item).collect()).set_delay(Duration::from_millis(300)))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .respond_with(Ranking { total: 100 })
        .mount(&server)
        .await;
    let run = videos(
        &server,
        &[
            "--format",
            "ndjson",
            "--limit",
            "30",
            "--concurrency",
            "3",
            "--qps",
            "1000",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ranks: Vec<u64> = ndjson(&run.stdout)
        .iter()
        .map(|record| record["rank"].as_u64().expect("a rank"))
        .collect();
    assert_eq!(ranks, (1..=30).collect::<Vec<_>>());
    assert_eq!(pages_requested(&server).await, [1, 2, 3]);
}

#[tokio::test]
async fn unreadable_fields_are_warned_about_and_left_empty() {
    let mut drifted = item(1);
    drifted["duration"] = json!("fifteen");
    let server = serve(success(vec![drifted])).await;
    let run = videos(&server, &["--format", "json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(requests(&server).await.len(), 1);
    let records: Vec<Value> = serde_json::from_str(&run.stdout).expect("one JSON array");
    assert_eq!(records[0]["duration_secs"], Value::Null);
    assert_eq!(records[0]["views"], 1_999_000);
    assert!(
        run.stderr
            .starts_with("warning: rank 1 (video 7601397977986500001): `duration` left empty"),
        "{}",
        run.stderr
    );
    let quiet = videos(&server, &["--format", "json", "--quiet"]).await;
    assert_eq!(quiet.stderr, "");
}

#[tokio::test]
async fn help_shows_examples_formats_and_exit_codes() {
    let run = finish(command(&["videos", "--help"])).await;
    assert_eq!(run.code, 0);
    for needle in [
        "--date <YYYY-MM-DD>",
        "Examples:",
        "--format csv",
        "`id:name` pairs",
        "KEYAPI_API_KEY",
        "-v, --verbose",
        "RUST_LOG",
        "starts a spreadsheet formula",
        "exactly as received",
        "display width",
    ] {
        assert!(run.stdout.contains(needle), "{needle} missing from help");
    }
    let run = finish(command(&["cache", "--help"])).await;
    for needle in ["CACHEDIR.TAG", "0700", "refuses", "empty page"] {
        assert!(
            run.stdout.contains(needle),
            "{needle} missing from cache help"
        );
    }
    let run = finish(command(&["--help"])).await;
    assert!(
        run.stdout
            .contains("5  still rate limited after the retries")
    );
}

/// `videos` for a settled ranking (final, so cached without expiry) with `cache_args`.
async fn settled(server: &MockServer, cache_args: &[&str]) -> Run {
    let mut extra = vec![
        "--date",
        "2026-01-31",
        "--format",
        "ndjson",
        "--limit",
        "20",
    ];
    extra.extend_from_slice(cache_args);
    videos(server, &extra).await
}

#[tokio::test]
async fn a_repeated_query_is_answered_from_the_cache_without_a_request() {
    let server = serve_ranking(25).await;
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    let first = settled(&server, &["--cache-dir", dir_arg]).await;
    let second = settled(&server, &["--cache-dir", dir_arg]).await;
    assert_eq!((first.code, second.code), (0, 0), "{}", second.stderr);
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(ndjson(&second.stdout).len(), 20);
    assert_eq!(requests(&server).await.len(), 2, "two pages, fetched once");

    let stats = finish(command(&["cache", "stats", "--cache-dir", dir_arg])).await;
    assert_eq!(stats.code, 0);
    assert!(stats.stdout.contains("entries: 2\n"), "{}", stats.stdout);
}

#[tokio::test]
async fn no_cache_asks_the_api_every_time() {
    let server = serve_ranking(25).await;
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    for _ in 0..2 {
        assert_eq!(
            settled(&server, &["--no-cache", "--cache-dir", dir_arg])
                .await
                .code,
            0
        );
    }
    assert_eq!(requests(&server).await.len(), 4);
    let stats = finish(command(&["cache", "stats", "--cache-dir", dir_arg])).await;
    assert!(stats.stdout.contains("entries: 0\n"), "{}", stats.stdout);
}

#[tokio::test]
async fn the_cache_directory_comes_from_keyapi_cache_dir_and_clear_empties_it() {
    let server = serve_ranking(25).await;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let uri = server.uri();
    let mut run = videos_command(&[
        "--base-url",
        &uri,
        "--date",
        "2026-01-31",
        "--format",
        "json",
    ]);
    run.env("KEYAPI_CACHE_DIR", dir);
    assert_eq!(finish(run).await.code, 0);
    let mut stats = command(&["cache", "stats"]);
    stats.env("KEYAPI_CACHE_DIR", dir);
    let stats = finish(stats).await;
    assert!(stats.stdout.contains("entries: 1\n"), "{}", stats.stdout);
    assert!(
        stats
            .stdout
            .contains(&format!("directory: {}", dir.display()))
    );

    let mut clear = command(&["cache", "clear"]);
    clear.env("KEYAPI_CACHE_DIR", dir);
    assert_eq!(finish(clear).await.code, 0);
    let mut stats = command(&["cache", "stats"]);
    stats.env("KEYAPI_CACHE_DIR", dir);
    assert!(finish(stats).await.stdout.contains("entries: 0\n"));
}

#[tokio::test]
async fn an_unwritable_cache_directory_warns_once_and_still_prints_the_ranking() {
    let server = serve_ranking(25).await;
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, b"").unwrap();
    let unwritable = blocker.join("cache");
    let run = settled(&server, &["--cache-dir", unwritable.to_str().unwrap()]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(ndjson(&run.stdout).len(), 20);
    let warnings: Vec<&str> = run.stderr.lines().filter(|l| l.contains("cache")).collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(
        warnings[0].starts_with("warning: the cache directory "),
        "{}",
        warnings[0]
    );
    assert!(warnings[0].ends_with("; continuing without the cache"));
}

#[tokio::test]
async fn two_processes_filling_one_cache_at_once_leave_it_consistent() {
    let server = serve_ranking(25).await;
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    let args = ["--cache-dir", dir_arg, "--concurrency", "2"];
    let (a, b) = tokio::join!(settled(&server, &args), settled(&server, &args));
    assert_eq!((a.code, b.code), (0, 0), "{} {}", a.stderr, b.stderr);
    assert_eq!(a.stdout, b.stdout);
    let fetched = requests(&server).await.len();
    let third = settled(&server, &args).await;
    assert_eq!(third.stdout, a.stdout);
    assert_eq!(
        requests(&server).await.len(),
        fetched,
        "the third run is served from the cache"
    );
    let stats = finish(command(&["cache", "stats", "--cache-dir", dir_arg])).await;
    assert!(stats.stdout.contains("entries: 2\n"), "{}", stats.stdout);
}
