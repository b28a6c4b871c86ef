//! Where the store of `sync`, `history` and `movers` lives: `--db`, else `KEYAPI_DB`,
//! else `rankings.sqlite3` in the user's data directory.

use std::path::PathBuf;

use clap::Args;

use crate::failure::Failure;

/// The store's file name in the user's data directory.
const DEFAULT_FILE: &str = "rankings.sqlite3";

/// `--db`, shared by `sync`, `history` and `movers`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Store")]
pub(crate) struct DbArg {
    /// The store, one SQLite file [default: $KEYAPI_DB, else rankings.sqlite3 in the
    /// user's data directory (e.g. ~/.local/share/keyapi-tiktok/rankings.sqlite3)]
    #[arg(long, value_name = "PATH", env = "KEYAPI_DB", hide_env = true)]
    db: Option<PathBuf>,
}

impl DbArg {
    /// The store's path.
    pub(crate) fn path(&self) -> Result<PathBuf, Failure> {
        self.db
            .clone()
            .or_else(|| dirs::data_dir().map(|dir| dir.join("keyapi-tiktok").join(DEFAULT_FILE)))
            .ok_or_else(|| {
                Failure::Usage("no data directory is known: give --db or KEYAPI_DB".to_owned())
            })
    }
}
