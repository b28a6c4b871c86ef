//! `keyapi-tiktok videos`: one ranking, streamed page by page to stdout as a table, JSON,
//! NDJSON or CSV.

use std::io::{self, BufWriter};
use std::time::Duration;

use clap::Args;
use futures::StreamExt;
use keyapi_tiktok::{Period, RankedVideo};

use crate::connect::{client, usable_cache};
use crate::failure::Failure;
use crate::flags::{CacheOptions, ConnectionArgs, OutputArgs, QueryArgs};
use crate::logging::{self, progress_bar};
use crate::output::{Record, RecordWriter};

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

/// How long `videos` waits, before exiting, for pages still being written to the cache
/// (each takes about a millisecond); past it, they are fetched again next time.
const CACHE_FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// `keyapi-tiktok videos`.
pub(crate) async fn run(args: VideosArgs) -> Result<(), Failure> {
    let VideosArgs {
        query: wanted,
        output,
        connection,
        budget,
        cache,
    } = args;
    logging::install(output.verbose, output.quiet);
    let client = client(&connection, budget, || usable_cache(cache, output.quiet))?;
    let query = wanted.ranking_query()?;
    let period = query.period();

    let warn = |message: String| logging::warn(output.quiet, &message);
    let start = period.start_of_period(wanted.date);
    if start != wanted.date {
        let dated = match period {
            Period::Weekly => "on Mondays",
            _ => "on the 1st of the month",
        };
        warn(format!(
            "{period} rankings are reported to be dated {dated}; {} may give an empty \
             ranking (try --date {start})",
            wanted.date
        ));
    }

    let ranking = client
        .video_ranking(query)
        .limit(wanted.limit)
        .concurrency(usize::from(connection.concurrency));
    let progress = progress_bar(u64::from(ranking.max_pages()), output.quiet);
    let mut pages = ranking.pages();
    let mut writer = RecordWriter::new(output.format, BufWriter::new(io::stdout()));
    let (mut written, mut pages_received) = (0, 0);
    let result = loop {
        let page = match pages.next().await {
            None => break Ok(()),
            Some(Ok(page)) => page,
            Some(Err(error)) => break Err(Failure::Api(error)),
        };
        progress.inc(1);
        pages_received += 1;
        written += page.items.len();
        let wrote = progress.suspend(|| {
            for video in &page.items {
                warn_issues(video, &warn);
            }
            writer.write(page.items.into_iter().map(Record::from).collect())
        });
        if let Err(error) = wrote {
            break Err(Failure::Output(error));
        }
    };
    progress.finish_and_clear();
    // Pages are cached in the background: let the last writes land before exiting.
    client.flush_cache(CACHE_FLUSH_TIMEOUT).await;
    let usage = client.usage();
    // The conservative figure: requests still in flight, and those whose answer was lost,
    // may have been charged.
    tracing::info!(
        "{pages_received} pages, {} credits spent, {} requests sent, {} cache hits",
        usage.credits_spent,
        usage.requests_sent,
        usage.cache_hits
    );
    let result = result.and_then(|()| writer.finish().map_err(Failure::Output));
    match result {
        // The reader went away (`| head`): stop quietly, spending nothing more.
        Err(Failure::Output(error)) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Ok(()) if written == 0 => {
            warn(
                "the ranking is empty: rankings are published the day after the period ends"
                    .to_owned(),
            );
            Ok(())
        }
        other => other,
    }
}

/// Says which fields of a video could not be read (the client left them empty).
fn warn_issues(video: &RankedVideo, warn: &impl Fn(String)) {
    for issue in &video.issues {
        warn(format!(
            "rank {} (video {}): `{}` left empty: {} (got {})",
            video.rank, video.video_id, issue.field, issue.problem, issue.value
        ));
    }
}
