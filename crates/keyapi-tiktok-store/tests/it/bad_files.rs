//! Files that are not our store are refused and left byte for byte as they were.

use std::path::Path;

use keyapi_tiktok_store::{APPLICATION_ID, SCHEMA_VERSION, Store, StoreError};
use rusqlite::Connection;

use jiff::civil::date;

use crate::common::*;

/// Opens `path` both ways; both refusals, the file unchanged.
fn refused(path: &Path) -> (StoreError, StoreError) {
    let before = std::fs::read(path).ok();
    let writable = Store::open(path).unwrap_err();
    let readable = Store::open_read_only(path).unwrap_err();
    assert_eq!(
        std::fs::read(path).ok(),
        before,
        "{} changed",
        path.display()
    );
    assert!(
        writable.is_refusal() && readable.is_refusal(),
        "{writable:?} {readable:?}"
    );
    (writable, readable)
}

#[test]
fn a_directory_is_refused() {
    let (dir, _) = db();
    let (error, _) = refused(dir.path());
    assert!(matches!(error, StoreError::IsDirectory { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .ends_with("is a directory, not a database file"),
        "{error}"
    );
}

#[test]
fn a_file_that_is_not_sqlite_is_refused() {
    let (_dir, path) = db();
    for bytes in [&b"date,region\n2026-11-20,US\n"[..], b"SQLite"] {
        std::fs::write(&path, bytes).unwrap();
        let (error, _) = refused(&path);
        assert!(matches!(error, StoreError::NotSqlite { .. }), "{error:?}");
    }
}

#[test]
fn another_applications_database_is_refused() {
    let (_dir, path) = db();
    // With its own application id, and without one but with tables.
    for setup in [
        "PRAGMA application_id = 42; CREATE TABLE notes (body TEXT);",
        "CREATE TABLE rankings (id INTEGER PRIMARY KEY);",
    ] {
        let _ = std::fs::remove_file(&path);
        Connection::open(&path)
            .unwrap()
            .execute_batch(setup)
            .unwrap();
        let (error, _) = refused(&path);
        assert!(
            matches!(error, StoreError::ForeignDatabase { .. }),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .contains("another application's SQLite database"),
            "{error}"
        );
    }
}

#[test]
fn a_newer_schema_is_refused() {
    let (_dir, path) = db();
    drop(Store::open(&path).unwrap());
    sql(&path)
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let (error, readable) = refused(&path);
    assert!(
        matches!(error, StoreError::NewerSchema { version, .. } if version == SCHEMA_VERSION + 1),
        "{error:?}"
    );
    assert!(
        matches!(readable, StoreError::NewerSchema { .. }),
        "{readable:?}"
    );
}

#[test]
fn a_new_store_is_marked_ours_and_reopened_without_change() {
    let (dir, _) = db();
    let path = dir.path().join("nested/dir/rankings.sqlite3");
    drop(Store::open(&path).unwrap());
    assert_eq!(
        number(&path, "PRAGMA application_id"),
        i64::from(APPLICATION_ID)
    );
    assert_eq!(number(&path, "PRAGMA user_version"), SCHEMA_VERSION);
    let journal: String = sql(&path)
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    drop(Store::open(&path).unwrap());
    drop(Store::open_read_only(&path).unwrap());
    assert_intact(&path);
}

#[test]
fn reading_a_missing_store_creates_nothing() {
    let (dir, path) = db();
    let error = Store::open_read_only(&path).unwrap_err();
    assert!(matches!(error, StoreError::Missing { .. }), "{error:?}");
    assert!(error.is_refusal());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_store_left_by_a_crash_opens_for_reading_and_writing() {
    let fake = keyapi_tiktok_testkit::FakeKeyApi::with_videos(10).await;
    let (dir, path) = db();
    sync(&path, &fake, &plan("2026-11-19", 10)).await.unwrap();
    // The files as a writer killed after a commit leaves them: the commit only in the
    // -wal file, the -shm file beside it, no process holding either.
    let writer = sql(&path);
    writer
        .execute_batch("PRAGMA wal_autocheckpoint = 0; UPDATE rankings SET credits = 7")
        .unwrap();
    let crashed = dir.path().join("crashed.sqlite3");
    for suffix in ["", "-wal", "-shm"] {
        let name = |base: &Path| format!("{}{suffix}", base.display());
        std::fs::copy(name(&path), name(&crashed)).unwrap();
    }
    drop(writer);
    assert!(
        std::fs::metadata(format!("{}-wal", crashed.display()))
            .unwrap()
            .len()
            > 0
    );
    let reader = Store::open_read_only(&crashed).unwrap();
    assert_eq!(
        reader
            .stored(&key(date(2026, 11, 19)))
            .unwrap()
            .unwrap()
            .credits,
        7
    );
    drop(reader);
    let writer = Store::open(&crashed).unwrap();
    assert_eq!(
        writer
            .stored(&key(date(2026, 11, 19)))
            .unwrap()
            .unwrap()
            .credits,
        7
    );
    drop(writer);
    assert_intact(&crashed);
}

/// A store it creates is private: the directory it makes 0700, the database, its WAL
/// and the lock file 0600, whatever the umask (others may share the machine).
#[cfg(unix)]
#[test]
fn a_new_store_and_the_directory_made_for_it_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("made/for/it/rankings.sqlite3");
    // A write with no pages: the store opened, locked and its writer started and stopped.
    let _open = Store::open(&path).unwrap(); // the WAL is there while a writer is open
    keyapi_tiktok_store::__bench_write(&path, 1, std::iter::empty()).unwrap();
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    for made in ["made", "made/for", "made/for/it"] {
        assert_eq!(mode(&dir.path().join(made)), 0o700, "{made}");
    }
    for file in [
        "rankings.sqlite3",
        "rankings.sqlite3-wal",
        "rankings.sqlite3-lock",
    ] {
        assert_eq!(
            mode(&dir.path().join("made/for/it").join(file)),
            0o600,
            "{file}"
        );
    }
}
