//! Every spelling of a store's path reaches one store with one writer: symlinks (to the
//! file or to its directory), `..`, relative paths; a hard-linked database file and a
//! dangling symlink are refused before anything is sent.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use keyapi_tiktok_store::{Store, StoreError, SyncError};
use keyapi_tiktok_testkit::{FakeKeyApi, Reply};

use crate::common::*;

/// `path` relative to the current directory (`../../tmp/…/rankings.sqlite3`).
fn relative_to_cwd(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap();
    let mut relative = PathBuf::new();
    for _ in cwd.components().skip(1) {
        relative.push("..");
    }
    relative.join(path.strip_prefix("/").unwrap())
}

#[tokio::test]
async fn a_second_sync_through_any_spelling_of_the_path_is_refused_and_sends_nothing() {
    let fake = FakeKeyApi::with_videos(10).await;
    let (dir, path) = db();
    sync(&path, &fake, &plan("2026-11-19", 10)).await.unwrap();
    std::os::unix::fs::symlink(&path, dir.path().join("alias.sqlite3")).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("linked-dir")).unwrap();
    let spellings = [
        dir.path().join("alias.sqlite3"),
        dir.path().join("sub/../rankings.sqlite3"),
        dir.path().join("linked-dir/rankings.sqlite3"),
        dir.path().join("linked-dir/alias.sqlite3"),
        relative_to_cwd(&path),
    ];
    for (day, spelling) in (10..).zip(spellings) {
        let before = fake.received().len();
        fake.script([Reply::Slow(Duration::from_millis(400))]);
        let mut first = Store::open(&path).unwrap();
        let mut second = Store::open(&spelling).unwrap();
        let client = client(&fake);
        let today = plan(&format!("2026-11-{day}"), 10);
        let running = first.sync(&client, &today, options(1));
        let meanwhile = async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            second
                .sync(&client, &plan("2026-11-18", 10), options(1))
                .await
        };
        let (first, refused) = tokio::join!(running, meanwhile);
        first.unwrap();
        assert!(
            matches!(refused, Err(SyncError::Store(StoreError::Locked { .. }))),
            "{spelling:?}: {refused:?}"
        );
        // Only the first sync's one request.
        assert_eq!(fake.received().len(), before + 1, "{spelling:?}");
    }
    // One lock file, beside the real database.
    let locks: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with("-lock"))
        .collect();
    assert_eq!(locks, ["rankings.sqlite3-lock"]);
}

#[tokio::test]
async fn a_database_file_with_two_hard_links_is_refused_before_anything_is_sent() {
    let fake = FakeKeyApi::with_videos(10).await;
    let (dir, path) = db();
    sync(&path, &fake, &plan("2026-11-19", 10)).await.unwrap();
    let requests = fake.received().len();
    let other = dir.path().join("hard.sqlite3");
    std::fs::hard_link(&path, &other).unwrap();
    for spelling in [&path, &other] {
        for error in [
            Store::open(spelling).unwrap_err(),
            Store::open_read_only(spelling).unwrap_err(),
        ] {
            assert!(
                matches!(error, StoreError::HardLinked { links: 2, .. }),
                "{error:?}"
            );
            assert!(error.is_refusal());
            assert!(error.to_string().contains("2 hard links"), "{error}");
        }
    }
    assert_eq!(fake.received().len(), requests);
    assert!(!dir.path().join("hard.sqlite3-wal").exists());
}

#[test]
fn a_dangling_symlink_is_refused_and_nothing_is_created() {
    let (dir, path) = db();
    let target = dir.path().join("elsewhere/target.sqlite3");
    std::os::unix::fs::symlink(&target, &path).unwrap();
    let error = Store::open(&path).unwrap_err();
    assert!(
        matches!(error, StoreError::DanglingSymlink { .. }),
        "{error:?}"
    );
    assert!(error.is_refusal());
    assert!(
        error.to_string().contains("elsewhere/target.sqlite3"),
        "{error}"
    );
    assert!(!target.exists());
    assert!(!dir.path().join("elsewhere").exists());
    assert!(std::fs::symlink_metadata(&path).unwrap().is_symlink());
}
