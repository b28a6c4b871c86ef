//! Helpers shared by the wiremock tests: a client pointed at a mock server, realistic
//! upstream items, pages mounted by `page_num`, and a check that errors never leak the key.

#![allow(dead_code, reason = "each test file uses a subset of the helpers")]

pub(crate) mod raw;

use std::fmt::Debug;

use keyapi_tiktok::{
    Client, ClientBuilder, Error, Period, RankField, RetryPolicy, VideoRankingQuery,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A distinctive key, so a leak anywhere is easy to spot.
pub(crate) const API_KEY: &str = "sk-live-SECRET-1234";

/// The path every request goes to.
pub(crate) const ENDPOINT: &str = keyapi_tiktok_spec::VIDEO_RANKING.path;

/// A client builder with the secret key, the given base URL and no retries; tests add what
/// they exercise (retries, rate limits, budgets, timeouts).
pub(crate) fn builder(base_url: &str) -> ClientBuilder {
    Client::builder()
        .api_key(API_KEY)
        .base_url(base_url)
        .retry(RetryPolicy::no_delay(1))
}

/// A client for the server at `base_url` that makes up to `attempts` attempts without
/// waiting.
pub(crate) fn retrying_client(base_url: &str, attempts: u32) -> Client {
    builder(base_url)
        .retry(RetryPolicy::no_delay(attempts))
        .build()
        .expect("client")
}

/// The daily views ranking of the US on a Monday, first page, ten a page.
pub(crate) fn query() -> VideoRankingQuery {
    VideoRankingQuery::new(
        jiff::civil::date(2026, 11, 23),
        "US".parse().expect("US is a region"),
        RankField::Views,
        Period::Daily,
    )
}

/// The 19-digit video id the item of this rank carries.
pub(crate) fn video_id(rank: u64) -> String {
    format!("76013979779{rank:08}")
}

/// A realistic upstream item for a rank, every stringly field in its documented shape.
pub(crate) fn item(rank: u64) -> Value {
    let id = video_id(rank);
    json!({
        "avatar": format!("https://echosell-images.tos-ap-southeast-1.volces.com/user-avatar/{rank}/a.jpg"),
        "category": "Beauty",
        "create_time": (1_769_838_405 + rank).to_string(),
        "created_by_ai": rank.is_multiple_of(2).to_string(),
        "duration": 15 + rank,
        "nick_name": format!("creator {rank}"),
        "product_category_list": r#"[{ "category_name":"Beauty & Personal Care","category_id":"601450"}]"#,
        "reflow_cover": format!("https://echosell-images.tos-ap-southeast-1.volces.com/video-cover/422/{id}.jpg"),
        "region": "US",
        "sales_flag": rank % 3,
        "total_comments_cnt": rank,
        "total_digg_cnt": 10 * rank,
        "total_favorites_cnt": 2 * rank,
        "total_shares_cnt": 3 * rank,
        "total_video_sale_cnt": 5_000 - rank,
        "total_video_sale_gmv_amt": 40_000 - rank,
        "total_views_cnt": 1_000_000 - rank,
        "unique_id": format!("creator{rank}"),
        "user_id": format!("66337926250974{rank:05}"),
        "video_desc": format!("video #{rank} #fyp"),
        "video_id": id,
        "video_products": format!("[17294364185276{rank:05}]"),
    })
}

/// A success envelope around `data`.
pub(crate) fn envelope(data: Value) -> Value {
    json!({ "code": 0, "message": "success", "data": data, "requestId": "req-ok" })
}

/// An error envelope, as upstream sends it with an HTTP status or inside an HTTP 200.
pub(crate) fn error_envelope(code: i64, message: &str, request_id: &str) -> Value {
    json!({ "code": code, "message": message, "data": null, "requestId": request_id })
}

/// HTTP 200 with `count` realistic items of page `page` (ten a page).
pub(crate) fn page(page: u64, count: u64) -> ResponseTemplate {
    let first = (page - 1) * 10 + 1;
    let items: Vec<Value> = (first..first + count).map(item).collect();
    ResponseTemplate::new(200).set_body_json(envelope(Value::Array(items)))
}

/// Serves `response` for requests of page `page_num`, and expects exactly `hits` of them.
pub(crate) async fn mount_page(
    server: &MockServer,
    page_num: u32,
    response: ResponseTemplate,
    hits: u64,
) {
    Mock::given(method("GET"))
        .and(path(ENDPOINT))
        .and(query_param("page_num", page_num.to_string()))
        .respond_with(response)
        .expect(hits)
        .mount(server)
        .await;
}

/// Serves `response` for `times` requests whatever they ask, then lets later mounts answer.
pub(crate) async fn mount_any(server: &MockServer, response: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path(ENDPOINT))
        .respond_with(response)
        .up_to_n_times(times)
        .expect(times)
        .mount(server)
        .await;
}

/// How many requests the server has received.
pub(crate) async fn hits(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .expect("request recording is on")
        .len()
}

/// `(credits spent, requests sent)` by the client and its clones.
pub(crate) fn usage(client: &Client) -> (u64, u64) {
    let usage = client.usage();
    (usage.credits_spent, usage.requests_sent)
}

/// The error of a result that must have failed, after checking that neither its `Display`
/// nor its `Debug` shows the API key.
#[track_caller]
pub(crate) fn failure<T: Debug>(result: Result<T, Error>) -> Error {
    let error = result.expect_err("the call should fail");
    assert_secret_free(&error);
    error
}

/// Neither the `Display` nor the `Debug` of `error` shows the API key or part of it.
#[track_caller]
pub(crate) fn assert_secret_free(error: &Error) {
    for shown in [
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
    ] {
        assert!(!shown.contains("SECRET"), "the key leaks: {shown}");
    }
}
