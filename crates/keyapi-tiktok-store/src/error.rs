//! What can go wrong: [`StoreError`] for the database and the plan, [`SyncError`] for a
//! sync run, which keeps the report of what was stored before it stopped.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::SyncReport;

/// A store that cannot be opened, read or written, or a plan that cannot be fetched.
///
/// [`StoreError::is_refusal`] tells the errors that come from the caller's input (a bad
/// path, another application's file, a newer schema, an invalid plan, a sync already
/// running): nothing was sent and nothing was written.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The plan cannot be fetched (an empty range, an end before the start, a date in the
    /// future, no region…).
    #[non_exhaustive]
    InvalidPlan {
        /// What is wrong, in a sentence.
        message: String,
    },
    /// The path is a directory.
    #[non_exhaustive]
    IsDirectory {
        /// The path.
        path: PathBuf,
    },
    /// The file is not an SQLite database; it was not changed.
    #[non_exhaustive]
    NotSqlite {
        /// The path.
        path: PathBuf,
    },
    /// The file is another application's SQLite database; it was not changed.
    #[non_exhaustive]
    ForeignDatabase {
        /// The path.
        path: PathBuf,
        /// Its `PRAGMA application_id` (0 when unset but the database has tables).
        application_id: i32,
    },
    /// The database was written by a newer version of this crate; it was not changed.
    #[non_exhaustive]
    NewerSchema {
        /// The path.
        path: PathBuf,
        /// Its `PRAGMA user_version`.
        version: i64,
        /// The newest schema this crate knows.
        supported: i64,
    },
    /// The database file has more than one hard link. SQLite names its `-wal` and `-shm`
    /// files after the name it was opened by, so two names of one file would keep two
    /// write-ahead logs and corrupt it; it was not changed.
    #[non_exhaustive]
    HardLinked {
        /// The path.
        path: PathBuf,
        /// The file's link count (`st_nlink`).
        links: u64,
    },
    /// The path is a symbolic link to nothing; nothing was created.
    #[non_exhaustive]
    DanglingSymlink {
        /// The path.
        path: PathBuf,
        /// Where the link points.
        target: PathBuf,
    },
    /// A copy's destination exists already; it was left untouched.
    #[non_exhaustive]
    Exists {
        /// The path.
        path: PathBuf,
    },
    /// Opening for reading only, and there is no database at the path.
    #[non_exhaustive]
    Missing {
        /// The path.
        path: PathBuf,
    },
    /// Another sync is writing this database.
    #[non_exhaustive]
    Locked {
        /// The database's path.
        path: PathBuf,
    },
    /// The ranking asked about is not stored.
    #[non_exhaustive]
    NotStored {
        /// The ranking.
        ranking: Box<crate::RankingKey>,
    },
    /// The file system failed (a read-only location, a full disk, no permission).
    #[non_exhaustive]
    Io {
        /// What was being done, naming the path.
        action: String,
        /// The cause.
        source: std::io::Error,
    },
    /// SQLite failed (a full disk, a read-only file, a corrupt database).
    #[non_exhaustive]
    Sqlite {
        /// What was being done, naming the path.
        action: String,
        /// The cause.
        source: rusqlite::Error,
    },
}

impl StoreError {
    pub(crate) fn invalid_plan(message: impl Into<String>) -> StoreError {
        StoreError::InvalidPlan {
            message: message.into(),
        }
    }

    pub(crate) fn sqlite(
        action: impl fmt::Display,
        path: &Path,
    ) -> impl FnOnce(rusqlite::Error) -> StoreError {
        let action = format!("{action} {}", path.display());
        move |source| StoreError::Sqlite { action, source }
    }

    pub(crate) fn io(
        action: impl fmt::Display,
        path: &Path,
    ) -> impl FnOnce(std::io::Error) -> StoreError {
        let action = format!("{action} {}", path.display());
        move |source| StoreError::Io { action, source }
    }

    /// Whether the caller's input was refused (exit code 2 in the CLI): an invalid plan, a
    /// path that is a directory, not SQLite, another application's database, a newer
    /// schema, a hard-linked file, a dangling symlink, an existing copy destination, a missing database, a sync already
    /// running or a ranking not stored.
    /// Nothing was sent and nothing was written.
    ///
    /// ```
    /// let error = "2026-11-02..2026-11-01".parse::<keyapi_tiktok_store::DateRange>().unwrap_err();
    /// assert!(error.is_refusal());
    /// ```
    pub fn is_refusal(&self) -> bool {
        !matches!(self, StoreError::Io { .. } | StoreError::Sqlite { .. })
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::InvalidPlan { message } => write!(f, "invalid plan: {message}"),
            StoreError::IsDirectory { path } => {
                write!(f, "{} is a directory, not a database file", path.display())
            }
            StoreError::NotSqlite { path } => {
                write!(
                    f,
                    "{} is not an SQLite database; it was left untouched",
                    path.display()
                )
            }
            StoreError::ForeignDatabase {
                path,
                application_id,
            } => write!(
                f,
                "{} is another application's SQLite database (application_id {application_id}); it was left untouched",
                path.display()
            ),
            StoreError::NewerSchema {
                path,
                version,
                supported,
            } => write!(
                f,
                "{} has schema version {version}, newer than this program's {supported}; upgrade keyapi-tiktok (the file was left untouched)",
                path.display()
            ),
            StoreError::HardLinked { path, links } => write!(
                f,
                "{} has {links} hard links; a store must have one name (SQLite keeps a \
                 write-ahead log per name, so two names corrupt it): copy it with \
                 `keyapi-tiktok store backup` or remove the other links",
                path.display()
            ),
            StoreError::DanglingSymlink { path, target } => write!(
                f,
                "{} is a symbolic link to {}, which does not exist; nothing was created",
                path.display(),
                target.display()
            ),
            StoreError::Exists { path } => write!(
                f,
                "{} exists already; it was left untouched (give a new file)",
                path.display()
            ),
            StoreError::Missing { path } => {
                write!(
                    f,
                    "no database at {}; run `keyapi-tiktok sync` first",
                    path.display()
                )
            }
            StoreError::Locked { path } => write!(
                f,
                "another sync is writing {}; wait for it to finish",
                path.display()
            ),
            StoreError::NotStored { ranking } => write!(f, "the ranking {ranking} is not stored"),
            StoreError::Io { action, source } => write!(f, "cannot {action}: {source}"),
            StoreError::Sqlite { action, source } => write!(f, "cannot {action}: {source}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Io { source, .. } => Some(source),
            StoreError::Sqlite { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A sync that did not finish: refused before anything was sent, or stopped by a failed
/// request or write, with everything committed before kept (and counted in its report).
#[derive(Debug)]
#[non_exhaustive]
pub enum SyncError {
    /// Refused before anything was sent: see [`StoreError::is_refusal`]; a store that
    /// cannot be written (a read-only location) is found here too, before a credit is
    /// spent.
    Store(StoreError),
    /// A request failed (after the client's retries). The other rankings ran on, except
    /// after a failure every request would share (authentication, credits, budget, rate
    /// limit), which stops the run from starting more rankings.
    Fetch {
        /// The first failure; map it like any `keyapi_tiktok::Error`.
        error: keyapi_tiktok::Error,
        /// What the run did.
        report: Box<SyncReport>,
    },
    /// Writing failed during the run (a full disk): the run stopped, keeping every page
    /// committed before.
    Write {
        /// The failure.
        error: StoreError,
        /// What the run did.
        report: Box<SyncReport>,
    },
}

impl SyncError {
    /// What the run did before it stopped, when it started.
    pub fn report(&self) -> Option<&SyncReport> {
        match self {
            SyncError::Store(_) => None,
            SyncError::Fetch { report, .. } | SyncError::Write { report, .. } => Some(report),
        }
    }
}

impl From<StoreError> for SyncError {
    fn from(error: StoreError) -> SyncError {
        SyncError::Store(error)
    }
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncError::Store(error) => error.fmt(f),
            SyncError::Fetch { error, .. } => error.fmt(f),
            SyncError::Write { error, .. } => error.fmt(f),
        }
    }
}

impl std::error::Error for SyncError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SyncError::Store(error) | SyncError::Write { error, .. } => error.source(),
            SyncError::Fetch { error, .. } => error.source(),
        }
    }
}
