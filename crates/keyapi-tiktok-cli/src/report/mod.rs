//! `keyapi-tiktok report`: one stored ranking as a self-contained HTML page (its top with
//! moves and rank sparklines, the top ten's chart, climbers, new entries and those that
//! left), from the store, without a key, a request or a credit.

mod chart;
mod page;

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use keyapi_tiktok_store::{MAX_REPORT_PERIODS, Store, StoreError};

use crate::failure::Failure;
use crate::queries::{StoredRankingArgs, not_stored};
use crate::store::DbArg;

pub(crate) const REPORT_AFTER_HELP: &str = "\
Writes one HTML page about a stored ranking: its top videos with their change since the
previous period (new, ▲ 3, ▼ 2, =), a sparkline of each one's rank over the last periods
stored, cover, creator, caption, views, units sold and GMV, a link to each video; a chart
of the top ten's ranks; the biggest climbers, the new entries and those that left; and
what the store lacks, with the sync command that fetches it. Nothing is sent: no key is
needed and no credit spent.

The page needs no network and runs no script: its CSS and SVG are inline, and its
Content-Security-Policy forbids scripts, fonts and every fetch but the covers, which load
from TikTok's https servers while their links last (a placeholder shows otherwise).
Upstream text is escaped and cleaned; only https links reach the page.

Examples:
  keyapi-tiktok report --date 2026-11-24 --region US --by views --period daily -o report.html
  keyapi-tiktok report --date 2026-11-23 --region GB --by sales --period weekly --top 20 --periods 12 > weekly.html

Exit status: 0 written, 2 invalid arguments, a ranking not stored (the error gives the
sync command that fetches it) or a store that is missing or not ours, 1 any other failure
(FILE, when given, is left as it was).";

/// `keyapi-tiktok report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The ranking.
    #[command(flatten)]
    ranking: StoredRankingArgs,
    /// How many of the ranking's first videos the table shows (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u64).range(1..=1000))]
    top: u64,
    /// How many periods the sparklines and the chart span, this one included: days,
    /// weeks or months, as --period says.
    #[arg(long, value_name = "K", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_REPORT_PERIODS)))]
    periods: u32,
    /// Write the page to FILE (a private file, replacing FILE whole once written; a FIFO
    /// or /dev/stdout is written into) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Where the store is.
    #[command(flatten)]
    db: DbArg,
}

/// Writes the report's page.
pub(crate) fn run(args: ReportArgs) -> Result<(), Failure> {
    let path = args.db.path()?;
    let store = Store::open_read_only(&path)?;
    let key = args.ranking.key()?;
    let report = match store.report(&key, args.top, args.periods) {
        Err(StoreError::NotStored { .. }) => return Err(not_stored(&key, &path)),
        other => other?,
    };
    let html = page::render(&report, &path);
    match &args.output {
        Some(file) => write_output(file, html.as_bytes()).map_err(|error| Failure::Write {
            path: file.clone(),
            error,
        }),
        None => match io::stdout().lock().write_all(html.as_bytes()) {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map_err(Failure::Output),
        },
    }
}

/// Writes `bytes` to `file`: a FIFO, `/dev/stdout` or a terminal (a symbolic link to
/// one too) is written into, never replaced by a file; anything else is replaced whole by
/// [`write_whole`], a symbolic link itself rather than the file it names (a link planted
/// where the page goes must not redirect it over another file).
fn write_output(file: &Path, bytes: &[u8]) -> io::Result<()> {
    match fs::metadata(file) {
        Ok(found) if !found.is_file() && !found.is_dir() => {
            OpenOptions::new().write(true).open(file)?.write_all(bytes)
        }
        _ => write_whole(file, bytes),
    }
}

/// Writes `bytes` to a new private file beside `file`, then renames it over `file`, so a kill
/// leaves the old page or the new one, never half of one; the new file is removed when
/// the rename fails, and nothing else is.
fn write_whole(file: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = file
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut staging_name = std::ffi::OsString::from(".");
    staging_name.push(name);
    staging_name.push(format!(".{}.tmp", std::process::id()));
    let staging = file.with_file_name(staging_name);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    // Private, as every file we make: the page replaces a file that may have been.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(&staging)?;
    let result = out
        .write_all(bytes)
        .and_then(|()| out.sync_all())
        .and_then(|()| fs::rename(&staging, file));
    if result.is_err() {
        // Ours alone: made above by create_new.
        let _ = fs::remove_file(&staging);
    }
    result
}
