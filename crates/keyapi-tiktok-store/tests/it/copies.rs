//! Consistent copies: a sync folds its WAL back into the database when it ends, and
//! `Store::backup` copies every committed ranking while a sync runs.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use keyapi_tiktok_store::{Store, StoreError, SyncEvent};
use keyapi_tiktok_testkit::FakeKeyApi;

use crate::common::*;

fn wal_len(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |metadata| metadata.len())
}

#[tokio::test]
async fn a_sync_with_no_reader_folds_its_wal_back_into_the_database() {
    let fake = FakeKeyApi::with_videos(30).await;
    let (_dir, path) = db();
    let mut store = Store::open(&path).unwrap();
    store
        .sync(
            &client(&fake),
            &plan("2026-11-01..2026-11-10", 30),
            options(4),
        )
        .await
        .unwrap();
    // The store is still open, so SQLite's checkpoint on close has not run.
    assert_eq!(wal_len(&path), 0);
    // The database file alone holds the run: a copy of it without its -wal has it all.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.sqlite3");
    std::fs::copy(&path, &copy).unwrap();
    assert_eq!(number(&copy, "SELECT count(*) FROM rankings"), 10);
    assert_eq!(
        number(
            &copy,
            "SELECT count(*) FROM sync_runs WHERE outcome = 'complete'"
        ),
        1
    );
}

#[tokio::test]
async fn a_reader_in_a_transaction_keeps_the_wal_and_the_sync_still_ends() {
    let fake = FakeKeyApi::with_videos(30).await;
    let (_dir, path) = db();
    sync(&path, &fake, &plan("2026-11-01", 30)).await.unwrap();
    let reader = sql(&path);
    reader
        .execute_batch("BEGIN; SELECT count(*) FROM rankings;")
        .unwrap();
    let mut store = Store::open(&path).unwrap();
    store
        .sync(
            &client(&fake),
            &plan("2026-11-02..2026-11-05", 30),
            options(4),
        )
        .await
        .unwrap();
    assert!(wal_len(&path) > 0);
    reader.execute_batch("COMMIT").unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn a_backup_taken_mid_sync_holds_every_committed_ranking_and_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeKeyApi::with_videos(30).await;
    let (dir, path) = db();
    let backup = dir.path().join("backup.sqlite3");
    let committed_at_backup = Arc::new(AtomicUsize::new(0));
    let (seen, target, at_backup) = (
        Arc::new(AtomicUsize::new(0)),
        backup.clone(),
        Arc::clone(&committed_at_backup),
    );
    let reader = std::sync::Mutex::new(None::<Store>);
    let store_path = path.clone();
    let options = options(2).progress(Arc::new(move |event| {
        if let SyncEvent::RankingStored { .. } = event {
            let stored = seen.fetch_add(1, Ordering::SeqCst) + 1;
            if stored == 7 {
                // Halfway through the run: the 7th ranking is committed.
                let mut reader = reader.lock().unwrap();
                let reader =
                    reader.get_or_insert_with(|| Store::open_read_only(&store_path).unwrap());
                reader.backup(&target).unwrap();
                at_backup.store(stored, Ordering::SeqCst);
            }
        }
    }));
    let mut store = Store::open(&path).unwrap();
    let report = store
        .sync(&client(&fake), &plan("2026-11-01..2026-11-20", 30), options)
        .await
        .unwrap();
    assert_eq!(report.rankings_done, 20);
    assert_eq!(committed_at_backup.load(Ordering::SeqCst), 7);
    assert_intact(&backup);
    let complete = number(
        &backup,
        "SELECT count(*) FROM rankings WHERE state = 'complete'",
    );
    assert!((7..20).contains(&complete), "{complete}");
    // Every complete ranking in the copy holds all its entries.
    assert_eq!(
        number(&backup, "SELECT count(*) FROM entries"),
        number(&backup, "SELECT sum(items) FROM rankings")
    );
    assert!(number(&backup, "SELECT count(*) FROM entries") >= complete * 30);
    let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(!dir.path().join("backup.sqlite3.partial").exists());
    // The copy is a store of its own.
    let copy = Store::open_read_only(&backup).unwrap();
    assert!(
        copy.stored(&key(jiff::civil::date(2026, 11, 1)))
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_backup_onto_an_existing_file_is_refused_and_the_file_untouched() {
    let fake = FakeKeyApi::with_videos(10).await;
    let (dir, path) = db();
    sync(&path, &fake, &plan("2026-11-01", 10)).await.unwrap();
    let existing = dir.path().join("notes.txt");
    std::fs::write(&existing, "mine").unwrap();
    let store = Store::open_read_only(&path).unwrap();
    let error = store.backup(&existing).unwrap_err();
    assert!(matches!(error, StoreError::Exists { .. }), "{error:?}");
    assert!(error.is_refusal());
    assert!(error.to_string().contains("exists already"), "{error}");
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "mine");
    assert!(!dir.path().join("notes.txt.partial").exists());
}

#[tokio::test]
async fn a_backup_never_deletes_a_partial_file_it_did_not_write() {
    let fake = FakeKeyApi::with_videos(10).await;
    let (dir, path) = db();
    sync(&path, &fake, &plan("2026-11-01", 10)).await.unwrap();
    let partial = dir.path().join("copy.sqlite3.partial");
    std::fs::write(&partial, "mine").unwrap();
    let store = Store::open_read_only(&path).unwrap();
    store.backup(&dir.path().join("copy.sqlite3")).unwrap_err();
    assert_eq!(std::fs::read_to_string(&partial).unwrap(), "mine");
    assert!(!dir.path().join("copy.sqlite3").exists());
}

/// A name SQLite would read otherwise (not UTF-8) is refused, nothing created, rather than
/// copied into another file while the one asked for stays empty.
#[cfg(unix)]
#[tokio::test]
async fn a_backup_is_written_into_the_file_named_or_refused() {
    use std::os::unix::ffi::OsStrExt;
    let fake = FakeKeyApi::with_videos(10).await;
    let (dir, path) = db();
    sync(&path, &fake, &plan("2026-11-01", 10)).await.unwrap();
    let store = Store::open_read_only(&path).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"copy\xff.sqlite3");
    let copied = store.backup(&dir.path().join(name));
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .filter(|file| file.as_bytes().starts_with(b"copy"))
        .collect();
    names.sort();
    match copied {
        Ok(()) => {
            assert_eq!(names, [name]);
            assert_intact(&dir.path().join(name));
        }
        Err(error) => assert!(names.is_empty(), "{error}: {names:?}"),
    }
}
