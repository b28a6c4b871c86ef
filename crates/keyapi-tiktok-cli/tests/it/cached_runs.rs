//! `keyapi-tiktok videos` with its response cache: repeated queries cost nothing, the
//! directory comes from the flag or the environment, and a broken cache costs only itself.

use crate::common::*;
use wiremock::MockServer;

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
