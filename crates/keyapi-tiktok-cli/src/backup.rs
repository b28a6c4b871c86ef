//! `keyapi-tiktok store backup DEST`: a consistent, private copy of the store, taken while
//! syncs write and readers read.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use keyapi_tiktok_store::Store;

use crate::failure::Failure;
use crate::logging;
use crate::store::DbArg;

pub(crate) const STORE_AFTER_HELP: &str = "\
A store is its .sqlite3 file and, while anything has it open, its -wal file, which holds
the latest commits until they are folded back: a cp of the .sqlite3 file alone can miss
recent syncs. `store backup` copies one consistent moment of the store, every committed
ranking included, while syncs and readers run (SQLite's VACUUM INTO), into a new file
created private (0600); an existing DEST is refused (exit 2) and left untouched. Nothing is
sent: no key is needed and no credit spent.

Examples:
  keyapi-tiktok store backup rankings-2026-12-01.sqlite3
  keyapi-tiktok store backup /backups/rankings.sqlite3 --db ./rankings.sqlite3";

/// `keyapi-tiktok store`.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// What to do with the store.
    #[command(subcommand)]
    action: StoreAction,
}

/// What `keyapi-tiktok store` does.
#[derive(Debug, Subcommand)]
enum StoreAction {
    /// Copy the store, consistently, to a new private file.
    #[command(after_help = STORE_AFTER_HELP)]
    Backup {
        /// The copy: a new file (an existing one is refused).
        #[arg(value_name = "DEST")]
        destination: PathBuf,
        /// The store to copy.
        #[command(flatten)]
        db: DbArg,
    },
}

/// Runs `store backup`.
pub(crate) fn run(args: StoreArgs) -> Result<(), Failure> {
    match args.action {
        StoreAction::Backup { destination, db } => {
            let store = Store::open_read_only(&db.path()?)?;
            store.backup(&destination)?;
            logging::line(&format!(
                "copied {} to {}",
                store.path().display(),
                destination.display()
            ));
            Ok(())
        }
    }
}
