//! `keyapi-tiktok sync`: many rankings into the store under one concurrency, rate limit
//! and budget, resumable; `--dry-run` says what it would fetch and cost.

use std::io::{self, Write};
use std::sync::Arc;

use clap::Args;
use jiff::Timestamp;
use keyapi_tiktok::Region;
use keyapi_tiktok_store::{
    Action, DateRange, PlanStatus, PlannedRanking, Store, StoreError, SyncError, SyncEvent,
    SyncOptions, SyncPlan, SyncReport,
};

use crate::connect::client_builder;
use crate::failure::Failure;
use crate::flags::{By, ConnectionArgs, PeriodArg, parse_limit, parse_region};
use crate::logging::{self, progress_bar};
use crate::store::DbArg;

pub(crate) const SYNC_AFTER_HELP: &str = "\
Fetches every ranking of the plan (each date × region × --by × --period; weekly rankings
are dated on Mondays and monthly ones on the 1st, so only those dates of the range are
asked) into one SQLite file, up to --limit videos each (ceil(limit / 10) credits a
ranking at most). Nothing goes to stdout; a summary goes to stderr.

A ranking stored complete and settled (3 days after its period ends, as the cache rules)
is never fetched again; one cut short resumes at its first missing page; one stored
before it settled is fetched again. Each page is committed with its ranking's progress,
so a run that is killed or fails keeps what it stored and the next run pays only for
what is missing. One sync writes a store at a time (another exits with status 2 and sends
nothing); history, movers, sqlite3, DuckDB and Datasette can read it meanwhile. A sync
that ends folds the -wal file back into the .sqlite3 file; copy a store with
`keyapi-tiktok store backup DEST`, not cp (which can miss what is in the -wal file).

Dates are YYYY-MM-DD, or today, yesterday and today-N (N days before today), counted in
UTC so a command means the same dates on every machine; a range joins two with `..`.
A plan holds at most 100,000 rankings (dates × regions × --by × --period).

Examples:
  # Every day, from cron or a timer: the last week, what is missing or not settled yet
  keyapi-tiktok sync --date today-7..yesterday --region US,GB --by views --period daily \\
      --budget 200 --quiet

  # What a month of US and GB rankings by views and sales would cost; sends nothing
  keyapi-tiktok sync --date 2026-11-01..2026-11-30 --region US,GB --by views,sales \\
      --period daily,weekly,monthly --dry-run

  # Yesterday's top 100 in three regions, 4 pages at a time, at most 60 credits
  keyapi-tiktok sync --date 2026-11-24 --region US,GB,DE --by views,sales --period daily \\
      --concurrency 4 --budget 60

Then ask the store, for free:
  keyapi-tiktok history 7601397977986501919
  keyapi-tiktok movers --date 2026-11-24 --region US --by views --period daily
  sqlite3 ~/.local/share/keyapi-tiktok/rankings.sqlite3 'SELECT count(*) FROM entries'

Exit status: 0 every ranking stored, 1 any other failure (what was stored is kept),
2 invalid plan or arguments (more than 100,000 rankings included), a store that is not
ours, newer, hard-linked, a dangling symlink or being written by another sync, through
any path to it (nothing sent), 3 authentication, 4 credits exhausted or --budget spent, 5 still
rate limited after the retries.

Environment:
  KEYAPI_API_KEY   the API key (not needed for --dry-run; never printed)
  KEYAPI_BASE_URL  the API's base URL when --base-url is not given
  KEYAPI_DB        the store when --db is not given";

/// `keyapi-tiktok sync`.
#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// What to fetch.
    #[command(flatten)]
    plan: PlanArgs,
    /// Where the store is.
    #[command(flatten)]
    db: DbArg,
    /// Print the plan (the rankings to fetch, those already complete, the most credits it
    /// can cost) and send nothing; needs no key.
    #[arg(long, help_heading = "Run")]
    dry_run: bool,
    /// Stop before spending more than this many credits in the whole run (exit status 4).
    #[arg(long, value_name = "CREDITS", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Run")]
    budget: Option<u64>,
    /// No progress bar, summary, warnings or log; errors are still reported.
    #[arg(long, help_heading = "Run")]
    quiet: bool,
    /// Log retries and waits, as `videos -v` does; -vv adds debug detail.
    #[arg(short, long, action = clap::ArgAction::Count, help_heading = "Run")]
    verbose: u8,
    /// How to reach the API; --concurrency is shared by every ranking of the run.
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// The plan's flags.
#[derive(Debug, Args)]
#[command(next_help_heading = "Plan")]
struct PlanArgs {
    /// One date, or a range of dates (both included): YYYY-MM-DD, today, yesterday or
    /// today-N (days before today in UTC), such as today-7..yesterday. At most 100,000
    /// rankings a plan (MAX_PLAN_RANKINGS): split a larger backfill.
    #[arg(long, value_name = "DATE[..DATE]", value_parser = parse_dates)]
    date: DateRange,
    /// Region codes, comma-separated (US,GB,DE).
    #[arg(long, value_name = "CC,...", value_delimiter = ',', required = true, value_parser = parse_region)]
    region: Vec<Region>,
    /// Rank by views, by units sold, or both (views,sales).
    #[arg(long, value_enum, value_delimiter = ',', required = true)]
    by: Vec<By>,
    /// Periods, comma-separated (daily,weekly,monthly).
    #[arg(long, value_enum, value_delimiter = ',', required = true)]
    period: Vec<PeriodArg>,
    /// Only videos selling products of this top-level product category (digits).
    #[arg(long, value_name = "ID")]
    category: Option<String>,
    /// Only AI-generated videos (true) or only the others (false).
    #[arg(long, value_name = "true|false")]
    ai: Option<bool>,
    /// Videos per ranking; whole pages of 10 are fetched (ceil(limit / 10) credits a ranking).
    #[arg(long, value_name = "N", default_value_t = SyncPlan::DEFAULT_LIMIT, value_parser = parse_limit)]
    limit: u64,
}

/// `--date`, relative dates counted from the real clock (see [`parse_date`]).
///
/// [`parse_date`]: crate::flags::parse_date
fn parse_dates(value: &str) -> Result<DateRange, String> {
    DateRange::parse(value, Timestamp::now()).map_err(crate::flags::date_error)
}

impl PlanArgs {
    fn plan(&self) -> SyncPlan {
        let mut plan = SyncPlan::new(self.date)
            .regions(self.region.iter().copied())
            .fields(self.by.iter().map(|&by| by.into()))
            .periods(self.period.iter().map(|&period| period.into()))
            .limit(self.limit);
        if let Some(category) = &self.category {
            plan = plan.category(category.clone());
        }
        if let Some(ai) = self.ai {
            plan = plan.ai(ai);
        }
        plan
    }
}

/// Runs `sync`, or prints its plan with `--dry-run`.
pub(crate) async fn run(args: SyncArgs) -> Result<(), Failure> {
    logging::install(args.verbose, args.quiet);
    let plan = args.plan.plan();
    let now = Timestamp::now();
    plan.validate(now)?;
    let path = args.db.path()?;
    if args.dry_run {
        return match Store::open_read_only(&path) {
            Err(StoreError::Missing { .. }) => {
                print_plan(PlannedRanking::of_empty_store(&plan, now)?)
            }
            other => print_plan(other?.plan_rankings(&plan, now)?),
        };
    }

    let concurrency = usize::from(args.connection.concurrency);
    let mut builder = client_builder(&args.connection)?.max_in_flight(concurrency);
    if let Some(budget) = args.budget {
        builder = builder.credit_budget(budget);
    }
    let client = builder.build()?;
    let mut store = Store::open(&path)?;
    let status = store.plan_status(&plan, now)?;
    // Over every page the plan may fetch.
    let progress = progress_bar(status.max_credits, args.quiet);
    let (bar, quiet) = (progress.clone(), args.quiet);
    let options = SyncOptions::new()
        .concurrency(concurrency)
        .now(now)
        .progress(Arc::new(move |event| match event {
            SyncEvent::PageStored { .. } => bar.inc(1),
            SyncEvent::RankingFailed { ranking, error } => {
                bar.suspend(|| logging::warn(quiet, &format!("{ranking}: {error}")));
            }
            _ => {}
        }));
    let result = store.sync(&client, &plan, options).await;
    progress.finish_and_clear();
    let report = match &result {
        Ok(report) => Some(report),
        Err(error) => error.report(),
    };
    if let (Some(report), false) = (report, args.quiet) {
        logging::line(&summary(report));
    }
    result.map(|_| ()).map_err(Failure::from)
}

/// `stored 2 of 2 rankings (0 already complete, 0 partial, 0 failed): 6 pages, 50 videos,
/// 6 credits, 6 requests`.
fn summary(report: &SyncReport) -> String {
    format!(
        "stored {} of {} rankings ({} already complete, {} partial, {} failed): {} pages, \
         {} videos, {} credits, {} requests",
        report.rankings_done,
        report.rankings_planned,
        report.rankings_skipped,
        report.rankings_partial,
        report.rankings_failed,
        report.pages,
        report.items,
        report.credits,
        report.requests
    )
}

/// One line a ranking, as each is found (memory does not grow with the plan), then the
/// totals.
fn print_plan(
    rankings: impl Iterator<Item = Result<PlannedRanking, StoreError>>,
) -> Result<(), Failure> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut status = PlanStatus::default();
    for planned in rankings {
        let planned = planned?;
        status.add(&planned);
        let what = match planned.action {
            Action::Skip => "complete".to_owned(),
            Action::New => format!("new, up to {} pages", planned.max_pages),
            Action::Resume { from_page } => {
                format!(
                    "resume at page {from_page}, up to {} pages",
                    planned.max_pages
                )
            }
            Action::Refresh => format!(
                "fetch again from page 1 (stored before it settled), up to {} pages",
                planned.max_pages
            ),
        };
        writeln!(out, "{}: {what}", planned.key).map_err(Failure::Output)?;
    }
    writeln!(
        out,
        "{} rankings to fetch, {} already complete, at most {} credits",
        status.to_fetch, status.complete, status.max_credits
    )
    .and_then(|()| out.flush())
    .map_err(Failure::Output)
}

impl From<SyncError> for Failure {
    fn from(error: SyncError) -> Failure {
        match error {
            SyncError::Store(error) | SyncError::Write { error, .. } => Failure::from(error),
            SyncError::Fetch { error, .. } => Failure::Api(error),
            // A kind added later: its message, as a failure of the run.
            other => Failure::Store {
                message: other.to_string(),
                refused: false,
            },
        }
    }
}
