//! `keyapi-tiktok videos` run for real against local wiremock servers: what it prints in
//! every format, what it sends and how many requests it spends.

use std::collections::HashMap;
use std::time::Duration;

use crate::common::*;
use serde_json::{Value, json};
use wiremock::MockServer;
use wiremock::matchers::query_param;

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
    ranking_request()
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
async fn concurrent_pages_come_out_in_rank_order() {
    let server = serve_ranking_except(
        ranking_request()
            .and(query_param("page_num", "1"))
            .respond_with(
                success((1..=10).map(item).collect()).set_delay(Duration::from_millis(300)),
            ),
    )
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
        "--date <DATE>",
        "today-N",
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
