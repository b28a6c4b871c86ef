//! The command line: what `keyapi-tiktok` accepts, parsed and shape-checked by clap.
//!
//! Everything clap can check (dates, region codes, ranges) is checked here, so a bad
//! argument exits with status 2 before a client is built or a credit spent.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::civil::Date;
use keyapi_tiktok::{Period, RankField, Region};
use keyapi_tiktok_store::StoreError;

/// The whole command line.
#[derive(Debug, Parser)]
#[command(
    name = "keyapi-tiktok",
    version,
    about = "TikTok video rankings from KeyAPI, as a table, JSON, NDJSON or CSV",
    long_about = "TikTok video rankings from KeyAPI (GET /v1/tiktok/video/ranking/analytics), \
                  as a table, JSON, NDJSON or CSV.\n\n\
                  The API key is read from KEYAPI_API_KEY. Every page requested costs one credit.",
    after_help = EXIT_CODES
)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Fetch a video ranking by views or by sales.
    #[command(after_help = VIDEOS_AFTER_HELP)]
    Videos(VideosArgs),
    /// Fetch many rankings into a SQLite store: resumable, under one budget.
    #[command(after_help = crate::sync::SYNC_AFTER_HELP)]
    Sync(crate::sync::SyncArgs),
    /// Every stored entry of one video, from the store (no key, no credit).
    #[command(after_help = crate::queries::HISTORY_AFTER_HELP)]
    History(crate::queries::HistoryArgs),
    /// Each video's rank against the previous period, from the store (no key, no credit).
    #[command(after_help = crate::queries::MOVERS_AFTER_HELP)]
    Movers(crate::queries::MoversArgs),
    /// Copy the store consistently while syncs run (`store backup DEST`; no key, no credit).
    #[command(after_help = crate::backup::STORE_AFTER_HELP)]
    Store(crate::backup::StoreArgs),
    /// Show or clear the response cache.
    #[command(after_help = CACHE_AFTER_HELP)]
    Cache(CacheArgs),
    /// Report how a live page (or a saved body) departs from the vendored spec.
    #[command(after_help = crate::conformance::CONFORMANCE_AFTER_HELP)]
    Conformance(crate::conformance::ConformanceArgs),
    /// Print a shell completion script, e.g. `keyapi-tiktok completions bash > ~/.local/share/bash-completion/completions/keyapi-tiktok`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `keyapi-tiktok man > ~/.local/share/man/man1/keyapi-tiktok.1`.
    Man,
}

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

/// Where the cache lives.
#[derive(Debug, Args)]
pub(crate) struct CacheDir {
    /// The cache directory [default: $KEYAPI_CACHE_DIR, else the user's cache directory
    /// (e.g. ~/.cache/keyapi-tiktok)]
    #[arg(
        long,
        value_name = "DIR",
        env = "KEYAPI_CACHE_DIR",
        hide_env = true,
        global = true
    )]
    pub(crate) cache_dir: Option<PathBuf>,
}

const CACHE_AFTER_HELP: &str = "\
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

const EXIT_CODES: &str = "\
Exit status:
  0  success (a ranking shorter than --limit included)
  1  any other failure (server error, network, timeout, undecodable response, ...);
     for conformance: the answer drifted from the spec
  2  invalid arguments or environment (a date after today in UTC+14 included; for sync,
     history and movers also a store that is not ours, newer, or being written by
     another sync); no request was sent
  3  authentication failed (the API refused KEYAPI_API_KEY)
  4  credits exhausted (402), or the --budget spent
  5  still rate limited after the retries";

pub(crate) const VIDEOS_AFTER_HELP: &str = "\
Examples:
  # The top ten by views in the US on 2026-11-24, as a table
  keyapi-tiktok videos --date 2026-11-24 --region US --by views --period daily

  # Top 25 by sales in Great Britain (3 pages, 3 credits) as CSV
  keyapi-tiktok videos --date 2026-11-24 --region GB --by sales --period daily --limit 25 --format csv > top.csv

  # Weekly ranking (dated on Mondays) of beauty products, not AI-generated, one JSON object a line
  keyapi-tiktok videos --date 2026-11-23 --region US --by sales --period weekly \\
      --category 601450 --ai false --limit 100 --format ndjson | jq .video_url

Formats:
  table   aligned columns for reading (counts shortened: 1.2M, 45.6K)
  json    one array of records, written once every page has arrived
  ndjson  one record a line, written as each page arrives
  csv     a header and one row a record; the same columns as json without `extra`;
          product_ids are joined by `;` and product_categories are `id:name` pairs
          joined by `;` (e.g. `601450:Beauty & Personal Care;600001:Home Supplies`)

Text written by strangers (captions, nicknames, handles, upstream messages) is cleaned
for where it goes. json and ndjson carry it exactly as received. In csv, control
characters other than tab, newline and carriage return are removed, and a text cell that
starts a spreadsheet formula (=, +, -, @, tab or carriage return) gets a leading ' (numbers
are left alone). The table and stderr drop control, bidi and zero-width characters, and
the table cuts and aligns cells by display width (CJK and emoji take two columns).

Records carry these fields, in this order (the csv columns are the same, without extra):
  rank, video_id, video_url, user_id, unique_id, nick_name, region, category,
  created_at, duration_secs, created_by_ai, sales_method, views, likes, comments, shares,
  favorites, units_sold, gmv, product_ids, product_categories, description, cover_url,
  avatar_url, history_views, history_likes, history_comments, history_favorites,
  history_shares, history_units_sold, history_gmv, extra.
created_at is RFC 3339 in UTC; created_by_ai is true, false, or null/empty when unknown;
sales_method is none, video, live or unknown. The history_* fields are the all-time totals
upstream sends beside the period counts (empty when it does not), and extra (json and
ndjson only) holds the fields upstream sent that this tool does not know.
Counts are those of the period (in sales rankings upstream is reported to send period
views and likes as 0; the history_* totals carry values).

Cache:
  Repeated queries are answered from a disk cache and cost no credit: settled rankings
  are kept for good, newer ones for an hour (see `keyapi-tiktok cache --help`).

Logging:
  -v logs retries (status and wait), rate-limit waits and cache hits, misses and write
  failures on stderr, then a summary: pages, credits spent (every request that may have
  been charged, those in flight when the run stopped included), requests sent, cache hits.
  -vv adds debug detail. RUST_LOG (e.g. RUST_LOG=keyapi_tiktok=debug) chooses the filter
  instead. --quiet silences all of it; errors are always reported.

Environment:
  KEYAPI_API_KEY    the API key (required; never printed)
  KEYAPI_BASE_URL   the API's base URL when --base-url is not given
  KEYAPI_CACHE_DIR  the cache directory when --cache-dir is not given
  RUST_LOG          the log filter (see Logging)";

/// `keyapi-tiktok videos`: one ranking, streamed page by page.
#[derive(Debug, Args)]
pub(crate) struct VideosArgs {
    /// What to fetch.
    #[command(flatten)]
    pub(crate) query: QueryArgs,
    /// How to print it.
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    /// How to reach the API.
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// Spend at most this many credits: a request counts from the moment it is sent until
    /// its answer shows it was free, so the server never charges more. When the budget
    /// stops the ranking, what was printed stays and the exit status is 4, as for 402.
    #[arg(long, value_name = "CREDITS", help_heading = "Connection", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) budget: Option<u64>,
    /// Whether to use the response cache.
    #[command(flatten)]
    pub(crate) cache: CacheOptions,
}

/// The response cache, on by default.
#[derive(Debug, Args)]
#[command(next_help_heading = "Cache")]
pub(crate) struct CacheOptions {
    /// Neither read nor write the response cache.
    #[arg(long)]
    pub(crate) no_cache: bool,
    /// Where the cache lives.
    #[command(flatten)]
    pub(crate) dir: CacheDir,
}

/// The ranking asked for.
#[derive(Debug, Args)]
#[command(next_help_heading = "Ranking")]
pub(crate) struct QueryArgs {
    /// The ranking date; rankings are published the next day, weekly ones are reported to
    /// be dated on Mondays and monthly ones on the 1st. A date after today in UTC+14 (the
    /// earliest calendar on Earth) is refused (exit 2): no ranking is dated later. Today's
    /// is accepted but usually not yet published: an empty page, which costs a credit.
    /// YYYY-MM-DD, or today, yesterday or today-N (N days before today in UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) date: Date,
    /// Region code: two letters, such as US, GB, DE, ID.
    #[arg(long, value_name = "CC", value_parser = parse_region)]
    pub(crate) region: Region,
    /// Rank by views or by units sold.
    #[arg(long, value_enum)]
    pub(crate) by: By,
    /// The ranking period.
    #[arg(long, value_enum)]
    pub(crate) period: PeriodArg,
    /// Only videos selling products of this top-level product category (digits, such as 601450).
    #[arg(long, value_name = "ID")]
    pub(crate) category: Option<String>,
    /// Only AI-generated videos (true) or only the others (false).
    #[arg(long, value_name = "true|false")]
    pub(crate) ai: Option<bool>,
    /// How many videos to fetch; costs ceil(limit / page-size) credits.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = parse_limit, allow_negative_numbers = true)]
    pub(crate) limit: u64,
    /// Videos per request (1 to 10).
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub(crate) page_size: u8,
}

/// How the records are printed.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub(crate) struct OutputArgs {
    /// The output format (see Formats below).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// No progress bar, warnings or log; errors are still reported.
    #[arg(long)]
    pub(crate) quiet: bool,
    /// Log retries (status, wait), rate-limit waits and cache hits, misses and write
    /// failures to stderr, then a summary of pages, credits, requests and cache hits;
    /// -vv adds debug detail. RUST_LOG, when set, chooses the filter instead.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// Where the API is and how hard to try.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection")]
pub(crate) struct ConnectionArgs {
    /// The API's base URL [default: $KEYAPI_BASE_URL, else https://api.keyapi.ai]
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    /// Retries after a failed first attempt (rate limits, server errors, network failures).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub(crate) max_retries: u32,
    /// Seconds allowed for each request (decimals allowed).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_seconds)]
    pub(crate) timeout: Duration,
    /// Pages requested at once, at most; output stays in rank order. Above 1 it ramps up
    /// (2 pages, then 1 more per full page), so a ranking that ends early costs at most
    /// twice the pages it returned, and at most N - 1 extra credits.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) concurrency: u16,
    /// At most this many requests a second (decimals allowed).
    #[arg(long, value_name = "N", value_parser = parse_rate)]
    pub(crate) qps: Option<f64>,
}

/// `--by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum By {
    /// Views in the period.
    Views,
    /// Units sold in the period.
    Sales,
}

impl From<By> for RankField {
    fn from(by: By) -> RankField {
        match by {
            By::Views => RankField::Views,
            By::Sales => RankField::Sales,
        }
    }
}

/// `--period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PeriodArg {
    /// One day.
    Daily,
    /// One week, dated on its Monday.
    Weekly,
    /// One calendar month, dated on the 1st.
    Monthly,
}

impl From<PeriodArg> for Period {
    fn from(period: PeriodArg) -> Period {
        match period {
            PeriodArg::Daily => Period::Daily,
            PeriodArg::Weekly => Period::Weekly,
            PeriodArg::Monthly => Period::Monthly,
        }
    }
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Aligned columns for reading.
    Table,
    /// One JSON array.
    Json,
    /// One JSON object a line, streamed.
    Ndjson,
    /// A header and one row a record, streamed.
    Csv,
}

/// A date as every command takes it, through the store's one parser
/// ([`keyapi_tiktok_store::parse_date`]): exactly `YYYY-MM-DD`, or `today`, `yesterday`,
/// `today-N`, counted in UTC from the real clock.
pub(crate) fn parse_date(value: &str) -> Result<Date, String> {
    keyapi_tiktok_store::parse_date(value, jiff::Timestamp::now()).map_err(date_error)
}

/// A refused date's message, without the store's "invalid plan: " prefix.
pub(crate) fn date_error(error: StoreError) -> String {
    match error {
        StoreError::InvalidPlan { message, .. } => message,
        other => other.to_string(),
    }
}

/// At least one video: `--limit 0` would fetch nothing.
pub(crate) fn parse_limit(value: &str) -> Result<u64, String> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|limit| *limit > 0)
        .ok_or_else(|| "expected a number of videos, at least 1".to_owned())
}

pub(crate) fn parse_region(value: &str) -> Result<Region, String> {
    Region::new(value).map_err(|_| "expected two letters, such as US or GB".to_owned())
}

/// A positive, finite number of seconds.
fn parse_seconds(value: &str) -> Result<Duration, String> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|secs| *secs > 0.0)
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| "expected a positive number of seconds, such as 30 or 2.5".to_owned())
}

/// A positive, finite rate.
fn parse_rate(value: &str) -> Result<f64, String> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|rate| rate.is_finite() && *rate > 0.0)
        .ok_or_else(|| {
            "expected a positive number of requests a second, such as 5 or 0.5".to_owned()
        })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(extra: &[&str]) -> Result<VideosArgs, clap::Error> {
        let base = [
            "keyapi-tiktok",
            "videos",
            "--date",
            "2026-11-24",
            "--region",
            "us",
            "--by",
            "views",
            "--period",
            "daily",
        ];
        let cli = Cli::try_parse_from(base.iter().chain(extra))?;
        match cli.command {
            Command::Videos(args) => Ok(args),
            other => unreachable!("parsed a videos command line, got {other:?}"),
        }
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_follow_the_contract() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.query.region.as_str(), "US");
        assert_eq!((args.query.limit, args.query.page_size), (10, 10));
        assert_eq!(args.output.format, Format::Table);
        assert_eq!(args.connection.max_retries, 3);
        assert_eq!(args.connection.timeout, Duration::from_secs(30));
        assert_eq!(args.connection.concurrency, 1);
        assert_eq!((args.query.ai, args.connection.qps), (None, None));
        assert!(!args.cache.no_cache);
    }

    #[test]
    fn the_cache_subcommand_takes_an_action_and_a_directory() {
        let cli = Cli::try_parse_from(["keyapi-tiktok", "cache", "stats", "--cache-dir", "/tmp/c"])
            .unwrap();
        let Command::Cache(args) = cli.command else {
            panic!("a cache command")
        };
        assert_eq!(args.action, CacheAction::Stats);
        assert_eq!(args.dir.cache_dir, Some(PathBuf::from("/tmp/c")));
        assert!(Cli::try_parse_from(["keyapi-tiktok", "cache", "purge"]).is_err());
    }

    #[test]
    fn values_are_checked_before_anything_runs() {
        for bad in [
            &["--limit", "0"][..],
            &["--page-size", "0"],
            &["--page-size", "11"],
            &["--ai", "yes"],
            &["--format", "xml"],
            &["--timeout", "0"],
            &["--timeout", "NaN"],
            &["--qps", "-1"],
            &["--qps", "inf"],
            &["--concurrency", "0"],
        ] {
            let error = parse(bad).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad:?}");
        }
        assert_eq!(parse(&["--ai", "false"]).unwrap().query.ai, Some(false));
        assert_eq!(
            parse(&["--timeout", "0.25"]).unwrap().connection.timeout,
            Duration::from_millis(250)
        );
    }

    #[test]
    fn dates_must_be_real_and_written_yyyy_mm_dd() {
        assert_eq!(parse_date("2026-02-28"), Ok(jiff::civil::date(2026, 2, 28)));
        for bad in [
            "2026-02-30",
            "20260228",
            "2026-2-28",
            "2026-02-28T00:00",
            "tomorrow",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regions_are_two_letters() {
        assert!(parse_region("uk").is_ok());
        assert!(parse_region("USA").is_err());
        assert!(parse_region("U1").is_err());
    }
}
