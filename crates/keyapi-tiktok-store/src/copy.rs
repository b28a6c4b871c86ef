//! Consistent copies of a store: [`Store::backup`] while syncs and readers run, and the
//! checkpoint that folds the write-ahead log back into the database when a sync ends.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::store::{BUSY_TIMEOUT, private_file_options};
use crate::{Store, StoreError};

/// How long the checkpoint at the end of a sync waits for readers before leaving the WAL
/// as it is (the next checkpoint folds it back).
const CHECKPOINT_WAIT: Duration = Duration::from_millis(200);

/// Whether the end-of-sync checkpoint folded the whole WAL back into the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Checkpoint {
    /// The database file holds every commit; the `-wal` file is empty.
    Folded,
    /// Another connection holds part of the WAL (a reader's open read transaction, or a
    /// sync that started meanwhile), so the database file alone misses recent commits
    /// until a later checkpoint.
    ReadersHoldIt,
}

impl Store {
    /// Copies the store to `destination`, a new file created private (0600 on unix): a
    /// consistent snapshot of every committed ranking, taken while syncs write and readers
    /// read, through SQLite's `VACUUM INTO` (one read transaction, so the copy is one
    /// moment of the store; SQLite's online backup API would start over each time a sync
    /// commits). The copy holds every commit, including those still in the `-wal` file,
    /// which a `cp` of the `.sqlite3` file alone misses.
    ///
    /// Refuses an existing `destination` ([`StoreError::Exists`]), leaving it untouched.
    /// The copy is written beside it as `DESTINATION.partial` and renamed when whole, so
    /// `destination` never holds half a copy (it is empty until then); an existing
    /// `DESTINATION.partial` fails the backup and is left alone. A `destination` not named
    /// in UTF-8 is refused ([`StoreError::Io`]): SQLite names files in UTF-8.
    ///
    /// ```no_run
    /// use keyapi_tiktok_store::Store;
    /// let store = Store::open_read_only("rankings.sqlite3".as_ref())?;
    /// store.backup("rankings-2026-12-01.sqlite3".as_ref())?;
    /// # Ok::<(), keyapi_tiktok_store::StoreError>(())
    /// ```
    pub fn backup(&self, destination: &Path) -> Result<(), StoreError> {
        let mut partial = destination.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        // `VACUUM INTO` takes a file name as text: a name that is not UTF-8 would be copied
        // into another file, and a relative one starting with `file:` read as a URI.
        let sqlite_name = match partial.to_str() {
            Some(name) if partial.is_relative() => format!(".{}{name}", std::path::MAIN_SEPARATOR),
            Some(name) => name.to_owned(),
            None => {
                return Err(StoreError::io("create", destination)(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "SQLite writes only to a file named in UTF-8",
                )));
            }
        };
        // The name is claimed first, by an empty private file: nothing else is replaced.
        let create_new = |path: &Path| {
            private_file_options()
                .write(true)
                .create_new(true)
                .open(path)
        };
        create_new(destination).map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => StoreError::Exists {
                path: destination.to_owned(),
            },
            _ => StoreError::io("create", destination)(error),
        })?;
        let copied = create_new(&partial)
            .map_err(StoreError::io("create", &partial))
            .and_then(|_| {
                // `VACUUM INTO` fills an empty file and keeps its mode.
                let copied = self
                    .connection
                    .execute("VACUUM INTO ?1", [&sqlite_name])
                    .map_err(StoreError::sqlite(
                        format_args!("copy {} to", self.path.display()),
                        &partial,
                    ))
                    .and_then(|_| {
                        std::fs::rename(&partial, destination)
                            .map_err(StoreError::io("create", destination))
                    });
                if copied.is_err() {
                    // Ours (created above), and not a copy.
                    let _ = std::fs::remove_file(&partial);
                }
                copied
            });
        if copied.is_err() {
            // Ours, the empty file claiming the name; a `.partial` already there is not.
            let _ = std::fs::remove_file(destination);
        }
        copied
    }

    pub(crate) fn fold_wal(&self) -> Result<Checkpoint, StoreError> {
        let failed = StoreError::sqlite("checkpoint", &self.path);
        self.connection
            .busy_timeout(CHECKPOINT_WAIT)
            .map_err(StoreError::sqlite("checkpoint", &self.path))?;
        let busy = self
            .connection
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            });
        let restored = self.connection.busy_timeout(BUSY_TIMEOUT);
        let busy = busy.map_err(failed)?;
        restored.map_err(StoreError::sqlite("checkpoint", &self.path))?;
        Ok(if busy == 0 {
            Checkpoint::Folded
        } else {
            Checkpoint::ReadersHoldIt
        })
    }
}
