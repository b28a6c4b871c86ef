//! The `keyapi-tiktok` command: TikTok video rankings from KeyAPI as a table, JSON, NDJSON
//! or CSV. Data goes to stdout, everything else to stderr; the exit status says what
//! failed (see `keyapi-tiktok --help`).

mod args;
mod backup;
mod conformance;
#[cfg(test)]
mod docs_drift;
mod logging;
mod manual;
mod output;
mod queries;
mod rows;
mod sanitize;
mod store;
mod sync;
mod table;

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use keyapi_tiktok::{
    API_KEY_ENV, Cache, Client, ClientBuilder, Error, Period, RankedVideo, RetryPolicy,
    VideoRankingQuery,
};
use keyapi_tiktok_store::StoreError;

use crate::args::{
    CacheAction, CacheArgs, CacheDir, CacheOptions, Cli, Command, ConnectionArgs, QueryArgs,
    VideosArgs,
};
use crate::output::{Record, RecordWriter};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Videos(args) => videos(args).await,
        Command::Sync(args) => sync::run(args).await,
        Command::History(args) => queries::history(args),
        Command::Movers(args) => queries::movers(args),
        Command::Store(args) => backup::run(args),
        Command::Cache(args) => cache(args).await,
        Command::Completions { shell } => {
            manual::print(&manual::completions(shell)).map_err(Failure::Output)
        }
        Command::Man => manual::print(&manual::man_page()).map_err(Failure::Output),
        Command::Conformance(args) => conformance::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            logging::line(&failure.line());
            ExitCode::from(failure.exit_code())
        }
    }
}

/// Why the command failed.
#[derive(Debug)]
enum Failure {
    /// An argument or the environment is unusable; nothing was sent.
    Usage(String),
    /// The client or the API failed.
    Api(Error),
    /// Stdout could not be written.
    Output(io::Error),
    /// `conformance` found this many departures from the spec (its report is on stdout).
    Drift(usize),
    /// The store of `sync`, `history` or `movers` refused the input (nothing was sent or
    /// written) or failed.
    Store { message: String, refused: bool },
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Failure {
        match error {
            StoreError::InvalidPlan { .. } => Failure::Usage(error.to_string()),
            _ => Failure::Store {
                refused: error.is_refusal(),
                message: error.to_string(),
            },
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Api(error)
    }
}

impl Failure {
    /// 2 invalid arguments (a store refused included), 3 authentication, 4 credits exhausted
    /// (402, or the `--budget` spent: the same situation for a script), 5 rate limited, 1
    /// the rest.
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_)
            | Failure::Api(Error::InvalidInput { .. } | Error::DateAfterToday { .. })
            | Failure::Store { refused: true, .. } => 2,
            Failure::Api(Error::Authentication(_)) => 3,
            Failure::Api(Error::CreditsExhausted(_) | Error::BudgetExhausted { .. }) => 4,
            Failure::Api(Error::RateLimited(_)) => 5,
            Failure::Api(_) | Failure::Output(_) | Failure::Drift(_) | Failure::Store { .. } => 1,
        }
    }

    /// What went wrong, without the `error: kind` prefix.
    fn message(&self) -> String {
        match self {
            Failure::Usage(message) | Failure::Store { message, .. } => message.clone(),
            Failure::Api(error) => error.to_string(),
            Failure::Output(error) => error.to_string(),
            Failure::Drift(found) => format!(
                "{found} departure{} from the vendored spec",
                if *found == 1 { "" } else { "s" }
            ),
        }
    }

    /// `error: rate_limited (HTTP 429, code 429): qps limit exceeded [requestId r-1]`,
    /// made one clean line by [`logging::line`].
    fn line(&self) -> String {
        match self {
            Failure::Usage(message) => format!("error: invalid_input: {message}"),
            // The failure renders ` (HTTP s, code c): message [requestId id]`.
            Failure::Api(error) => match error.api_failure() {
                Some(failure) => format!("error: {}{failure}", error.kind()),
                None => format!("error: {}: {error}", error.kind()),
            },
            Failure::Output(error) => format!("error: output: cannot write to stdout: {error}"),
            Failure::Drift(_) => format!("drift: {}", self.message()),
            Failure::Store { message, .. } => format!("error: store: {message}"),
        }
    }
}

/// How long `videos` waits, before exiting, for pages still being written to the cache
/// (each takes about a millisecond); past it, they are fetched again next time.
const CACHE_FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// `keyapi-tiktok videos`.
async fn videos(args: VideosArgs) -> Result<(), Failure> {
    let VideosArgs {
        query: wanted,
        output,
        connection,
        budget,
        cache,
    } = args;
    logging::install(output.verbose, output.quiet);
    let client = client(&connection, budget, || usable_cache(cache, output.quiet))?;
    let query = ranking_query(&wanted)?;
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

/// A client from `KEYAPI_API_KEY`, the connection flags and the credit budget (`--budget`);
/// `cache` is asked for only once the key is known to be there.
fn client(
    connection: &ConnectionArgs,
    budget: Option<u64>,
    cache: impl FnOnce() -> Option<Cache>,
) -> Result<Client, Failure> {
    let mut builder = client_builder(connection)?;
    if let Some(credits) = budget {
        builder = builder.credit_budget(credits);
    }
    if let Some(cache) = cache() {
        builder = builder.cache(cache);
    }
    Ok(builder.build()?)
}

/// A client builder from `KEYAPI_API_KEY` and the connection flags, refused (exit 2,
/// nothing sent) when the key is not set.
fn client_builder(connection: &ConnectionArgs) -> Result<ClientBuilder, Failure> {
    if std::env::var_os(API_KEY_ENV).is_none_or(|key| key.is_empty()) {
        return Err(Failure::Usage(format!(
            "{API_KEY_ENV} is not set: export your KeyAPI key as {API_KEY_ENV}"
        )));
    }
    let mut builder = ClientBuilder::from_env()
        .timeout(connection.timeout)
        .retry(RetryPolicy {
            max_attempts: connection.max_retries.saturating_add(1),
            ..RetryPolicy::default()
        });
    if let Some(base_url) = &connection.base_url {
        builder = builder.base_url(base_url.clone());
    }
    if let Some(qps) = connection.qps {
        builder = builder.requests_per_second(qps);
    }
    Ok(builder)
}

/// The first page of the ranking the flags ask for, validated (no credit spent on a bad one).
fn ranking_query(wanted: &QueryArgs) -> Result<VideoRankingQuery, Failure> {
    let mut query = VideoRankingQuery::new(
        wanted.date,
        wanted.region,
        wanted.by.into(),
        wanted.period.into(),
    )
    .page_size(wanted.page_size);
    if let Some(category) = &wanted.category {
        query = query.category(category.clone());
    }
    if let Some(ai) = wanted.ai {
        query = query.created_by_ai(ai);
    }
    query.validate()?;
    Ok(query)
}

/// `keyapi-tiktok cache stats|clear`.
async fn cache(args: CacheArgs) -> Result<(), Failure> {
    let cache = Cache::new(cache_dir(args.dir)?);
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

/// `--cache-dir`, else `KEYAPI_CACHE_DIR` (both through clap), else the user's cache
/// directory.
fn cache_dir(dir: CacheDir) -> Result<std::path::PathBuf, Failure> {
    dir.cache_dir
        .or_else(|| dirs::cache_dir().map(|dir| dir.join("keyapi-tiktok")))
        .ok_or_else(|| {
            Failure::Usage(
                "no cache directory is known: give --cache-dir or KEYAPI_CACHE_DIR".to_owned(),
            )
        })
}

/// The cache to use, unless `--no-cache`; a directory that cannot be written costs one
/// warning and the cache, never the run.
fn usable_cache(options: CacheOptions, quiet: bool) -> Option<Cache> {
    if options.no_cache {
        return None;
    }
    let checked = cache_dir(options.dir).and_then(|dir| {
        let cache = Cache::new(dir);
        cache.ensure_writable()?;
        Ok(cache)
    });
    match checked {
        Ok(cache) => Some(cache),
        Err(failure) => {
            logging::warn(
                quiet,
                &format!("{}; continuing without the cache", failure.message()),
            );
            None
        }
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

/// A progress bar on stderr when it is a terminal and several pages are fetched; hidden
/// otherwise.
fn progress_bar(pages: u64, quiet: bool) -> ProgressBar {
    if quiet || pages < 2 || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(pages);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} page {pos}/{len} {wide_bar} {elapsed}")
    {
        bar.set_style(style);
    }
    bar
}
