//! `keyapi-tiktok cache stats|clear`: the response cache, shown or cleared.

use std::io::{self, Write};

use clap::{Args, Subcommand};
use keyapi_tiktok::Cache;

use crate::failure::Failure;
use crate::flags::CacheDir;
use crate::logging;

/// `keyapi-tiktok cache stats|clear`.
#[derive(Debug, Args)]
pub(crate) struct CacheArgs {
    /// What to do with the cache.
    #[command(subcommand)]
    pub(crate) action: CacheAction,
    /// The cache directory.
    #[command(flatten)]
    pub(crate) dir: CacheDir,
}

/// What `keyapi-tiktok cache` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Subcommand)]
pub(crate) enum CacheAction {
    /// Print the cache directory, its entries, its size and its staging files.
    Stats,
    /// Remove every cached page and abandoned staging file (only from a directory tagged
    /// as a cache).
    Clear,
}

pub(crate) const CACHE_AFTER_HELP: &str = "\
Pages of rankings that can no longer change (a daily ranking 3 days after its date, a
weekly one 3 days after its Sunday, a monthly one 3 days after the month's end; for a date
inside a period, 3 days after the latest period it could mean) are kept without expiry;
pages of newer rankings for an hour. An empty page is never kept for good: an hour at
most for a settled ranking, not at all for a newer one. Errors are never kept. A cached
page costs no credit.

The directory is created private (mode 0700) and tagged with a CACHEDIR.TAG file, so
backup tools skip it. It is used only while it holds nothing but that tag and the cache's
entries (pages-v1, tmp, and index-v5, content-v2 left by earlier versions); an older
untagged cache holding only those is adopted and made private.
A directory that is a symbolic link (however spelled: `link/` and `link/.` are `link`),
holds anything else, belongs to another user or is writable by group or others, or whose
pages-v1 or tmp is, is not used (one warning; the ranking is still fetched). An entry that
is not a regular file (a FIFO, a symbolic link) or is dated in the future is fetched again;
one stored as final is trusted only once its ranking has settled.
`cache clear` removes only the cache's entries and the staging files in tmp older than an
hour (left by interrupted runs; also removed on first use), and refuses (exit status 2) a
directory without the tag or holding anything else; `cache stats` says so too and changes
nothing. Beside other runs writing to the cache, `cache clear` removes their new pages too
and exits 0; it exits 1, naming a file, only if something it wrote could not be removed.
`cache stats` prints the entries, the bytes of the directory, and the staging files
(`staged`, `staged bytes`: writes under way or left by interrupted runs).";

/// `keyapi-tiktok cache stats|clear`.
pub(crate) async fn run(args: CacheArgs) -> Result<(), Failure> {
    let cache = Cache::new(args.dir.path()?);
    match args.action {
        CacheAction::Stats => {
            let stats = cache.stats().await?;
            let mut out = io::stdout().lock();
            writeln!(out, "directory: {}", cache.dir().display())
                .and_then(|()| writeln!(out, "entries: {}", stats.entries))
                .and_then(|()| writeln!(out, "bytes: {}", stats.bytes))
                .and_then(|()| writeln!(out, "staged: {}", stats.staged))
                .and_then(|()| writeln!(out, "staged bytes: {}", stats.staged_bytes))
                .or_else(|error| match error.kind() {
                    io::ErrorKind::BrokenPipe => Ok(()),
                    _ => Err(Failure::Output(error)),
                })?;
        }
        CacheAction::Clear => {
            cache.clear().await?;
            logging::line(&format!("cleared {}", cache.dir().display()));
        }
    }
    Ok(())
}
