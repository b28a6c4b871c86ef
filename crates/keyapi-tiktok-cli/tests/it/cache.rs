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
    let left: Vec<_> = std::fs::read_dir(&cache).unwrap().flatten().collect();
    assert_eq!(left.len(), 1, "only the tag is left: {left:?}");
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
