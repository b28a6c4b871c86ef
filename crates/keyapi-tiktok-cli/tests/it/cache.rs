//! `keyapi-tiktok` and its cache directory on a real machine: `cache clear` removes only
//! what the tool wrote, a new directory is private and tagged, and a directory others can
//! write is never used.

use std::path::Path;

use crate::common::*;

/// Files a user keeps in a directory that is not a cache.
fn plant_user_files(dir: &Path) {
    std::fs::create_dir_all(dir.join("projects")).unwrap();
    std::fs::write(dir.join("projects").join("thesis.tex"), b"years of work").unwrap();
    std::fs::write(dir.join("notes.txt"), b"keep me").unwrap();
}

fn user_files_survive(dir: &Path) {
    assert_eq!(
        std::fs::read(dir.join("projects").join("thesis.tex")).unwrap(),
        b"years of work"
    );
    assert_eq!(std::fs::read(dir.join("notes.txt")).unwrap(), b"keep me");
}

fn cache_command(action: &str, dir: &Path) -> TestCommand {
    command(&["cache", action, "--cache-dir", dir.to_str().unwrap()])
}

#[tokio::test]
async fn cache_clear_refuses_a_directory_that_is_not_a_cache() {
    let home = tempfile::tempdir().unwrap();
    plant_user_files(home.path());
    let run = finish(cache_command("clear", home.path())).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains(&home.path().display().to_string()));
    assert!(run.stderr.contains("CACHEDIR.TAG"), "{}", run.stderr);
    user_files_survive(home.path());

    let mut env = command(&["cache", "clear"]);
    env.env("KEYAPI_CACHE_DIR", home.path());
    assert_eq!(finish(env).await.code, 2);
    user_files_survive(home.path());

    let stats = finish(cache_command("stats", home.path())).await;
    assert_eq!(stats.code, 2);
    assert!(stats.stderr.contains("is not a cache"), "{}", stats.stderr);
    user_files_survive(home.path());
    assert!(
        !home.path().join("CACHEDIR.TAG").exists(),
        "nothing written"
    );
}

#[tokio::test]
async fn cache_clear_empties_a_real_cache_and_nothing_else() {
    let server = serve_ranking(25).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let cache_arg = cache.to_str().unwrap();
    let run = videos(&server, &["--date", "2026-01-31", "--cache-dir", cache_arg]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    plant_user_files(dir.path());

    let run = finish(cache_command("clear", &cache)).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut left: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["CACHEDIR.TAG", "pages-v1", "tmp"]);
    assert_eq!(
        std::fs::read_dir(cache.join("pages-v1")).unwrap().count(),
        0
    );
    assert!(cache.join("CACHEDIR.TAG").is_file());
    let stats = finish(cache_command("stats", &cache)).await;
    assert!(stats.stdout.contains("entries: 0\n"), "{}", stats.stdout);
    user_files_survive(dir.path());

    // A file of the user's own inside the cache: refused, and nothing is removed.
    let run = videos(&server, &["--date", "2026-01-31", "--cache-dir", cache_arg]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::write(cache.join("mine.txt"), b"mine").unwrap();
    let run = finish(cache_command("clear", &cache)).await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("mine.txt"), "{}", run.stderr);
    assert!(cache.join("mine.txt").exists() && cache.join("pages-v1").exists());
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_cache_directory_is_private_and_tagged() {
    use std::os::unix::fs::PermissionsExt;
    let server = serve_ranking(25).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("new-cache");
    let run = videos(&server, &["--cache-dir", cache.to_str().unwrap()]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "mode {mode:o}");
    let tag = std::fs::read_to_string(cache.join("CACHEDIR.TAG")).unwrap();
    assert!(tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
}

#[cfg(unix)]
#[tokio::test]
async fn a_cache_directory_others_can_write_is_refused_with_one_warning() {
    use std::os::unix::fs::PermissionsExt;
    let server = serve_ranking(25).await;
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let args = [
        "--date",
        "2026-01-31",
        "--cache-dir",
        shared.to_str().unwrap(),
    ];
    for _ in 0..2 {
        let run = videos(&server, &args).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout.lines().count(), 11, "the ranking is printed");
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.starts_with("warning: the cache directory "));
        assert!(run.stderr.contains("writable by group or others"));
    }
    assert_eq!(requests(&server).await.len(), 2, "nothing was cached");
    assert_eq!(std::fs::read_dir(&shared).unwrap().count(), 0);
}

#[cfg(unix)]
#[tokio::test]
async fn a_cache_dir_through_a_symlink_is_refused_however_it_is_spelled() {
    let server = serve_ranking(25).await;
    let dir = tempfile::tempdir().unwrap();
    // The link points at a real cache holding a page: neither adopted nor cleared through.
    let target = dir.path().join("target");
    let run = videos(
        &server,
        &[
            "--date",
            "2026-01-31",
            "--cache-dir",
            target.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let before = std::fs::read_dir(target.join("pages-v1")).unwrap().count();
    let first_requests = requests(&server).await.len();
    assert!(before > 0);
    let link = link.to_str().unwrap();
    let parent = dir.path().to_str().unwrap();
    for spelled in [
        format!("{link}/"),
        format!("{link}//"),
        format!("{link}/."),
        format!("{link}/./"),
        format!("{parent}/./link/"),
        format!("{parent}//link/"),
    ] {
        let fetched = videos(&server, &["--date", "2026-01-31", "--cache-dir", &spelled]).await;
        let cleared = finish(command(&["cache", "clear", "--cache-dir", &spelled])).await;
        for (run, code) in [(fetched, 0), (cleared, 2)] {
            assert_eq!(run.code, code, "{spelled}: {}", run.stderr);
            assert!(
                run.stderr.contains("symbolic link"),
                "{spelled}: {}",
                run.stderr
            );
        }
        let stats = finish(command(&["cache", "stats", "--cache-dir", &spelled])).await;
        assert_eq!(stats.code, 2, "{spelled}: {}", stats.stdout);
        assert_eq!(
            std::fs::read_dir(target.join("pages-v1")).unwrap().count(),
            before,
            "{spelled}: nothing cleared through the link"
        );
    }
    assert_eq!(
        requests(&server).await.len(),
        7 * first_requests,
        "no page was served through the link"
    );
}

/// A staging file's name as the cache writes it, left by an interrupted write.
fn stage(cache: &Path, name: &str, bytes: usize, age: std::time::Duration) {
    let path = cache.join("tmp").join(name);
    std::fs::write(&path, vec![b'x'; bytes]).unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(std::time::SystemTime::now() - age)
        .unwrap();
}

#[tokio::test]
async fn staging_files_left_by_interrupted_writes_are_counted_and_removed() {
    const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);
    let server = serve_ranking(25).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let cache_arg = cache.to_str().unwrap();
    let run = videos(&server, &["--date", "2026-01-31", "--cache-dir", cache_arg]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    stage(&cache, "page.4242-00000000000000aa", 1000, 2 * HOUR);
    stage(&cache, "page.4243-00000000000000bb", 2000, 2 * HOUR);
    stage(&cache, "CACHEDIR.TAG.4244-00000000000000cc", 10, 2 * HOUR);
    // A write under way in another process, and a file the cache did not write.
    stage(
        &cache,
        "page.4245-00000000000000dd",
        500,
        std::time::Duration::ZERO,
    );
    stage(&cache, "notes.txt", 7, 2 * HOUR);

    let stats = finish(cache_command("stats", &cache)).await;
    assert_eq!(stats.code, 0, "{}", stats.stderr);
    assert!(
        stats.stdout.contains("staged: 4\nstaged bytes: 3510\n"),
        "{}",
        stats.stdout
    );

    // The first use removes the staging files older than an hour.
    let run = videos(&server, &["--date", "2026-01-31", "--cache-dir", cache_arg]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stats = finish(cache_command("stats", &cache)).await;
    assert!(
        stats.stdout.contains("staged: 1\nstaged bytes: 500\n"),
        "{}",
        stats.stdout
    );
    assert!(cache.join("tmp/page.4245-00000000000000dd").exists());

    stage(&cache, "page.4246-00000000000000ee", 100, 2 * HOUR);
    let run = finish(cache_command("clear", &cache)).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stats = finish(cache_command("stats", &cache)).await;
    assert!(stats.stdout.contains("entries: 0\n"), "{}", stats.stdout);
    assert!(
        stats.stdout.contains("staged: 1\nstaged bytes: 500\n"),
        "{}",
        stats.stdout
    );
    assert!(!cache.join("tmp/page.4246-00000000000000ee").exists());
    assert_eq!(
        std::fs::read(cache.join("tmp/notes.txt")).unwrap(),
        b"xxxxxxx"
    );
}

#[tokio::test]
async fn cache_clear_beside_writers_exits_0_and_empties_the_cache() {
    use keyapi_tiktok::{Cache, Client, Period, RankField, RetryPolicy, VideoRankingQuery};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let server = serve_ranking(100).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..6u32 {
        // Separate clients and cache handles, as separate processes would have.
        let client = Client::builder()
            .api_key(KEY)
            .base_url(server.uri())
            .retry(RetryPolicy::no_delay(1))
            .cache(Cache::new(&cache))
            .build()
            .unwrap();
        let stop = Arc::clone(&stop);
        writers.push(tokio::spawn(async move {
            let mut day = jiff::civil::date(2025, 1, 1)
                .saturating_add(jiff::Span::new().days(i64::from(writer) * 40));
            while !stop.load(Ordering::Relaxed) {
                let query = VideoRankingQuery::new(
                    day,
                    "US".parse().unwrap(),
                    RankField::Views,
                    Period::Daily,
                );
                for page in 1..=10 {
                    client
                        .video_ranking_page(&query.clone().page(page))
                        .await
                        .unwrap();
                }
                assert!(client.flush_cache(std::time::Duration::from_secs(30)).await);
                day = day.tomorrow().unwrap();
            }
        }));
    }
    for attempt in 0..40 {
        let run = finish(cache_command("clear", &cache)).await;
        assert_eq!(
            run.code, 0,
            "clear {attempt} beside writers: {}",
            run.stderr
        );
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    let run = finish(cache_command("clear", &cache)).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stats = finish(cache_command("stats", &cache)).await;
    assert!(stats.stdout.contains("entries: 0\n"), "{}", stats.stdout);
    for sub in ["pages-v1", "tmp"] {
        if let Ok(left) = std::fs::read_dir(cache.join(sub)) {
            assert_eq!(left.count(), 0, "{sub} is empty");
        }
    }
}

/// Makes a file immutable with `chattr +i` (so even root cannot remove it) until dropped.
struct Immutable(std::path::PathBuf);

impl Immutable {
    fn set(path: &Path) -> Option<Immutable> {
        let status = std::process::Command::new("chattr")
            .arg("+i")
            .arg(path)
            .stderr(std::process::Stdio::null())
            .status();
        status
            .is_ok_and(|status| status.success())
            .then(|| Immutable(path.to_owned()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

#[tokio::test]
async fn cache_clear_names_what_it_could_not_remove_and_exits_1() {
    let server = serve_ranking(25).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let args = [
        "--date",
        "2026-01-31",
        "--limit",
        "20",
        "--cache-dir",
        cache.to_str().unwrap(),
    ];
    assert_eq!(videos(&server, &args).await.code, 0);
    let mut entries: Vec<_> = std::fs::read_dir(cache.join("pages-v1"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    assert!(entries.len() >= 2, "{entries:?}");
    let Some(stuck) = Immutable::set(&entries[0]) else {
        eprintln!("skipped: `chattr +i` is not available here (it needs root and ext4 or alike)");
        return;
    };
    let run = finish(cache_command("clear", &cache)).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&entries[0].display().to_string()),
        "{}",
        run.stderr
    );
    let left: Vec<_> = std::fs::read_dir(cache.join("pages-v1")).unwrap().collect();
    assert_eq!(left.len(), 1, "the rest was removed");
    drop(stuck);
    let run = finish(cache_command("clear", &cache)).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
}
