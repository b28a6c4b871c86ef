//! The schema, a public contract: the application id that marks our files, and the
//! migrations, in order, that `PRAGMA user_version` counts.

use std::path::Path;

use rusqlite::Connection;

use crate::StoreError;

/// `PRAGMA application_id` of a keyapi-tiktok store: `0x4B415454`, "KATT" in ASCII
/// (KeyApi TikTok), so another application's SQLite file is recognised and left alone.
pub const APPLICATION_ID: i32 = 0x4B41_5454;

/// The schema version this crate writes (`PRAGMA user_version`): the number of migrations.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Each migration takes the schema from its index to the next version; applied in order,
/// each in the transaction that sets `user_version`. Never edit one that has shipped: add
/// another (the crate README documents the resulting tables).
const MIGRATIONS: &[&str] = &[
    // 1: rankings, entries, videos (a view of entries), sync_runs.
    r#"
CREATE TABLE rankings (
    id INTEGER PRIMARY KEY,
    date TEXT NOT NULL,
    region TEXT NOT NULL,
    field TEXT NOT NULL CHECK (field IN ('views', 'sales')),
    period TEXT NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly')),
    category TEXT,
    ai INTEGER CHECK (ai IN (0, 1)),
    state TEXT NOT NULL CHECK (state IN ('partial', 'complete', 'ended_short')),
    pages INTEGER NOT NULL,
    items INTEGER NOT NULL,
    credits INTEGER NOT NULL,
    fetched_at TEXT NOT NULL,
    settled INTEGER NOT NULL CHECK (settled IN (0, 1))
);
CREATE UNIQUE INDEX rankings_key
    ON rankings (date, region, field, period, ifnull(category, ''), ifnull(ai, -1));

CREATE TABLE entries (
    ranking INTEGER NOT NULL REFERENCES rankings (id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,
    video_id TEXT NOT NULL,
    user_id TEXT,
    unique_id TEXT,
    nick_name TEXT,
    region TEXT,
    category TEXT,
    description TEXT,
    created_at TEXT,
    duration_secs INTEGER,
    created_by_ai INTEGER,
    sales_method TEXT,
    views INTEGER,
    likes INTEGER,
    comments INTEGER,
    shares INTEGER,
    favorites INTEGER,
    units_sold INTEGER,
    gmv REAL,
    product_ids TEXT NOT NULL,
    product_categories TEXT NOT NULL,
    cover_url TEXT,
    avatar_url TEXT,
    history_views INTEGER,
    history_likes INTEGER,
    history_comments INTEGER,
    history_favorites INTEGER,
    history_shares INTEGER,
    history_units_sold INTEGER,
    history_gmv REAL,
    extra TEXT NOT NULL,
    issues TEXT NOT NULL,
    PRIMARY KEY (ranking, rank)
);
CREATE INDEX entries_video ON entries (video_id);

-- Derived, never stored twice: each video's metadata from its latest entry (the latest
-- ranking date, then the latest fetch), and the first and last dates it was ranked. A
-- lookup by video_id reads only that video's entries, through entries_video.
CREATE VIEW videos AS
SELECT video_id, user_id, unique_id, nick_name, region, description, created_at,
    duration_secs, created_by_ai, cover_url, avatar_url, first_seen, last_seen
FROM (
    SELECT e.video_id, e.user_id, e.unique_id, e.nick_name, e.region, e.description,
        e.created_at, e.duration_secs, e.created_by_ai, e.cover_url, e.avatar_url,
        min(r.date) OVER latest_first AS first_seen,
        r.date AS last_seen,
        row_number() OVER latest_first AS position
    FROM entries AS e JOIN rankings AS r ON r.id = e.ranking
    WINDOW latest_first AS (
        PARTITION BY e.video_id ORDER BY r.date DESC, r.fetched_at DESC, r.id DESC
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    )
)
WHERE position = 1;

CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY,
    plan TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT NOT NULL,
    rankings INTEGER NOT NULL DEFAULT 0,
    pages INTEGER NOT NULL DEFAULT 0,
    items INTEGER NOT NULL DEFAULT 0,
    credits INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
"#,
];

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The database header's size, and where `application_id` sits in it (big-endian).
const HEADER_BYTES: usize = 100;
const APPLICATION_ID_AT: usize = 68;

/// What is at a path, checked without letting SQLite touch it.
pub(crate) enum Found {
    /// Nothing (or an empty file): a new store.
    Nothing,
    /// A file with an SQLite header.
    Sqlite {
        /// The header's `application_id`: ours, another application's, or 0 (none yet, or
        /// a file whose first transaction is still only in its `-wal` file).
        application_id: i32,
    },
}

/// Refuses a directory and a file that is not SQLite, reading only the file's header.
pub(crate) fn inspect(path: &Path) -> Result<Found, StoreError> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(error) => return Err(StoreError::io("read", path)(error)),
    };
    if metadata.is_dir() {
        return Err(StoreError::IsDirectory {
            path: path.to_owned(),
        });
    }
    if metadata.len() == 0 {
        return Ok(Found::Nothing);
    }
    let mut header = [0u8; HEADER_BYTES];
    let read = std::fs::File::open(path)
        .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut header));
    match read {
        Ok(()) if header.starts_with(SQLITE_HEADER) => {
            let mut id = [0u8; 4];
            id.copy_from_slice(&header[APPLICATION_ID_AT..APPLICATION_ID_AT + 4]);
            Ok(Found::Sqlite {
                application_id: i32::from_be_bytes(id),
            })
        }
        Ok(()) => Err(StoreError::NotSqlite {
            path: path.to_owned(),
        }),
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(StoreError::NotSqlite {
                path: path.to_owned(),
            })
        }
        Err(error) => Err(StoreError::io("read", path)(error)),
    }
}

/// The schema version of a database that is ours (or new: 0), refusing another
/// application's and a newer one, reading only.
pub(crate) fn version(connection: &Connection, path: &Path) -> Result<i64, StoreError> {
    let read = |pragma: &str| {
        connection
            .pragma_query_value(None, pragma, |row| row.get::<_, i64>(0))
            .map_err(StoreError::sqlite("read", path))
    };
    let application_id = read("application_id")?;
    let version = read("user_version")?;
    let tables: i64 = connection
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(StoreError::sqlite("read", path))?;
    let ours = application_id == i64::from(APPLICATION_ID);
    if !ours && (application_id != 0 || tables > 0 || version != 0) {
        return Err(StoreError::ForeignDatabase {
            path: path.to_owned(),
            application_id: i32::try_from(application_id).unwrap_or(i32::MAX),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

/// Applies the migrations after `from`, each in one transaction with its `user_version`.
pub(crate) fn migrate(connection: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let from = usize::try_from(version(connection, path)?).unwrap_or(0);
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(from) {
        let failed = StoreError::sqlite("migrate", path);
        let transaction = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::sqlite("write", path))?;
        // Another process may have migrated while this one waited for the lock.
        let now: i64 = transaction
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(StoreError::sqlite("read", path))?;
        if now > index as i64 {
            continue;
        }
        transaction
            .execute_batch(migration)
            .and_then(|()| transaction.pragma_update(None, "application_id", APPLICATION_ID))
            .and_then(|()| transaction.pragma_update(None, "user_version", index as i64 + 1))
            .and_then(|()| transaction.commit())
            .map_err(failed)?;
    }
    Ok(())
}
