//! `-v`/`-vv` and `RUST_LOG`: retries, waits and cache activity become visible on stderr,
//! with a summary at the end; never the key, and nothing with `--quiet`.

use crate::common::*;
use wiremock::MockServer;

/// A 429 with `Retry-After: 0` once, then the ranking.
async fn serve_one_rate_limit() -> MockServer {
    serve_once_then_ranking(
        failure(429, 429, "qps limit exceeded", "r-429").insert_header("retry-after", "0"),
    )
    .await
}

#[tokio::test]
async fn verbose_shows_a_retried_429_and_a_summary() {
    let server = serve_one_rate_limit().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    let args = [
        "-v",
        "--format",
        "ndjson",
        "--date",
        "2026-01-31",
        "--cache-dir",
        cache,
    ];
    let run = videos(&server, &args).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 10);
    let retry = run
        .stderr
        .lines()
        .find(|line| line.contains("retrying"))
        .unwrap_or_else(|| panic!("no retry line in {}", run.stderr));
    // `Retry-After: 0` still waits the base delay (500 ms) plus jitter: no tight loop.
    let wait_ms: u64 = retry
        .split("wait_ms=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("no wait_ms in {retry}"));
    assert!(
        retry.contains("HTTP 429") && (500..1000).contains(&wait_ms),
        "{retry}"
    );
    assert!(run.stderr.contains("cache miss"), "{}", run.stderr);
    let summary = run.stderr.lines().last().unwrap();
    assert!(
        summary.ends_with("1 pages, 1 credits spent, 2 requests sent, 0 cache hits"),
        "{summary}"
    );

    // Debug detail never shows the key either (`finish` checks every run).
    let run = videos(
        &server,
        &[
            "-vv",
            "--date",
            "2026-01-31",
            "--page-size",
            "5",
            "--cache-dir",
            cache,
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let attempts: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("attempt{"))
        .collect();
    assert_eq!(attempts.len(), 2, "{}", run.stderr);
    assert!(
        attempts[0].contains("status=200 code=0 request_id=\"req-ok\""),
        "{}",
        attempts[0]
    );

    // Again: answered from the cache, and said so.
    let run = videos(&server, &args).await;
    assert!(run.stderr.contains("cache hit"), "{}", run.stderr);
    let summary = run.stderr.lines().last().unwrap();
    assert!(
        summary.ends_with("1 pages, 0 credits spent, 0 requests sent, 1 cache hits"),
        "{summary}"
    );
}

#[tokio::test]
async fn without_verbose_or_with_quiet_retries_stay_silent() {
    for extra in [&[][..], &["--quiet", "-vv"]] {
        let server = serve_one_rate_limit().await;
        let run = videos(&server, extra).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stderr, "", "{extra:?}");
    }
}

#[tokio::test]
async fn rust_log_chooses_the_filter() {
    let server = serve_one_rate_limit().await;
    let uri = server.uri();
    let mut command = videos_command(&["--base-url", &uri, "--format", "ndjson"]);
    command.env("RUST_LOG", "keyapi_tiktok=warn");
    let run = finish(command).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("retrying"), "{}", run.stderr);
    assert!(!run.stderr.contains("credits spent"), "{}", run.stderr);
}
