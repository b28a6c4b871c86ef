//! What every CLI test needs: the binary with a clean environment and its own cache, a
//! run's output with the key checked absent, and wiremock servers speaking the API.
#![allow(dead_code, unreachable_pub)] // each test file uses part of it

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::Command;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const PATH: &str = "/v1/tiktok/video/ranking/analytics";
/// A key distinctive enough that finding it in any output means it leaked.
pub const KEY: &str = "sk-live-SECRET-1234";
pub const PRODUCT_ID: &str = "1729436418527695003";

/// What a run of the binary left behind.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A command and the cache directory it alone uses, so no run is answered from another
/// test's cache.
pub struct TestCommand {
    command: Command,
    _cache: tempfile::TempDir,
}

impl Deref for TestCommand {
    type Target = Command;
    fn deref(&self) -> &Command {
        &self.command
    }
}

impl DerefMut for TestCommand {
    fn deref_mut(&mut self) -> &mut Command {
        &mut self.command
    }
}

/// The binary with a clean environment (no host `KEYAPI_BASE_URL`, proxies or cache
/// settings), the test key, a fresh `KEYAPI_CACHE_DIR`, and `args`.
pub fn command(args: &[&str]) -> TestCommand {
    let cache = tempfile::tempdir().expect("a temporary cache directory");
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyapi-tiktok"));
    command
        .args(args)
        .env_clear()
        .env("KEYAPI_API_KEY", KEY)
        .env("KEYAPI_CACHE_DIR", cache.path())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    TestCommand {
        command,
        _cache: cache,
    }
}

/// Runs the command and checks what every run must satisfy: the key is printed nowhere.
pub async fn finish(mut command: TestCommand) -> Run {
    let output = tokio::time::timeout(Duration::from_secs(60), command.command.output())
        .await
        .expect("the binary finishes")
        .expect("the binary runs");
    let run = Run {
        code: output.status.code().expect("the binary exits normally"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    };
    assert!(!run.stdout.contains(KEY), "the key leaked to stdout");
    assert!(!run.stderr.contains(KEY), "the key leaked to stderr");
    assert!(
        !run.stdout.contains("SECRET"),
        "part of the key leaked to stdout"
    );
    assert!(
        !run.stderr.contains("SECRET"),
        "part of the key leaked to stderr"
    );
    run
}

/// The `videos` command with `extra`; the query is the US daily views ranking of
/// 2026-11-24 unless `extra` gives `--date`, `--region`, `--by` or `--period` itself.
pub fn videos_command(extra: &[&str]) -> TestCommand {
    let mut args = vec!["videos"];
    for (flag, value) in [
        ("--date", "2026-11-24"),
        ("--region", "US"),
        ("--by", "views"),
        ("--period", "daily"),
    ] {
        if !extra.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args.extend_from_slice(extra);
    command(&args)
}

/// `videos` on `server` (unless `extra` gives `--base-url`) with `extra`, run to the end.
pub async fn videos(server: &MockServer, extra: &[&str]) -> Run {
    let uri = server.uri();
    let mut args = extra.to_vec();
    if !args.contains(&"--base-url") {
        args.extend(["--base-url", uri.as_str()]);
    }
    finish(videos_command(&args)).await
}

/// One upstream item as the API sends it: the spec's own example item (stringly fields and
/// all, from the file the docs and tests share), with values that tell ranks apart, an
/// undocumented all-time total and an unknown field.
pub fn item(rank: usize) -> Value {
    let mut item = keyapi_tiktok_testkit::spec_example_item();
    let overrides = json!({
        "video_id": format!("76013979779865{rank:05}"),
        "unique_id": format!("creator{rank}"),
        "total_views_cnt": 2_000_000 - rank * 1000,
        "total_digg_cnt": 45_600,
        "total_comments_cnt": 12,
        "total_shares_cnt": 3,
        "total_favorites_cnt": 4,
        "reflow_cover": "https://example.com/cover.jpg",
        "avatar": "https://example.com/avatar.jpg",
        "video_desc": "W huzz magnet, \"quoted\"\nsecond line 🧲 #fyp",
        "total_views_history_cnt": 9_000_000,
        "brand_new_field": { "x": 1 },
    });
    if let (Some(item), Value::Object(overrides)) = (item.as_object_mut(), overrides) {
        item.extend(overrides);
    }
    assert_eq!(
        item["video_products"],
        format!("[{PRODUCT_ID}]"),
        "the spec example's product"
    );
    item
}

pub fn success(items: Vec<Value>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "code": 0, "message": "success", "data": items, "requestId": "req-ok",
    }))
}

pub fn failure(status: u16, code: i64, message: &str, request_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": code, "message": message, "data": null, "requestId": request_id,
    }))
}

/// A ranking of `total` videos, served page by page as asked.
pub struct Ranking {
    pub total: usize,
}

impl Respond for Ranking {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let query = params(request);
        let page: usize = query["page_num"].parse().expect("page_num is a number");
        let size: usize = query["page_size"].parse().expect("page_size is a number");
        let first = (page - 1) * size;
        let count = self.total.saturating_sub(first).min(size);
        success((first + 1..=first + count).map(item).collect())
    }
}

pub fn params(request: &Request) -> HashMap<String, String> {
    request.url.query_pairs().into_owned().collect()
}

/// A server holding the ranking of `total` videos.
pub async fn serve_ranking(total: usize) -> MockServer {
    let server = MockServer::start().await;
    ranking_request()
        .respond_with(Ranking { total })
        .mount(&server)
        .await;
    server
}

/// A server answering every request with `response`.
pub async fn serve(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    ranking_request()
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

/// Serves `first` to the first request, then a ranking of 100 videos: a failure that clears.
pub async fn serve_once_then_ranking(first: ResponseTemplate) -> MockServer {
    serve_ranking_except(ranking_request().respond_with(first).up_to_n_times(1)).await
}

/// A ranking of 100 videos, except for the requests `exception` matches, which it answers.
pub async fn serve_ranking_except(exception: Mock) -> MockServer {
    let server = MockServer::start().await;
    exception.with_priority(1).mount(&server).await;
    ranking_request()
        .respond_with(Ranking { total: 100 })
        .mount(&server)
        .await;
    server
}

/// Matches every request for a ranking page.
pub fn ranking_request() -> wiremock::MockBuilder {
    Mock::given(method("GET")).and(path(PATH))
}

pub async fn requests(server: &MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .expect("request recording is on")
}

/// The `page_num` of every request received, in order.
pub async fn pages_requested(server: &MockServer) -> Vec<u32> {
    let mut pages: Vec<u32> = requests(server)
        .await
        .iter()
        .map(|request| params(request)["page_num"].parse().expect("a number"))
        .collect();
    pages.sort_unstable();
    pages
}

pub fn ndjson(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect()
}
