//! [`Store::sync`]: the plan's rankings fetched side by side under the client's one
//! concurrency, rate limit and budget, each page committed with its ranking's progress.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use futures::StreamExt;
use jiff::Timestamp;
use keyapi_tiktok::{Client, Error, MAX_PAGE_SIZE};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::copy::Checkpoint;
use crate::plan::today_utc;
use crate::store::{Action, PlannedRanking, RankingState, planned_rankings};
use crate::writer::{MAX_BATCH, PageWrite, Writer};
use crate::{RankingKey, Store, StoreError, SyncError, SyncPlan};

/// What a sync reports while it runs, to [`SyncOptions::progress`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "event")]
#[non_exhaustive]
pub enum SyncEvent {
    /// A page is committed.
    PageStored {
        /// Its ranking.
        ranking: RankingKey,
        /// The page number.
        page: u32,
        /// Videos on it.
        items: usize,
    },
    /// A ranking is stored whole (complete or ended short).
    RankingStored {
        /// The ranking.
        ranking: RankingKey,
        /// Complete or ended short.
        state: RankingState,
    },
    /// A ranking's request failed; what it stored before is kept.
    RankingFailed {
        /// The ranking.
        ranking: RankingKey,
        /// The failure, as `keyapi_tiktok::Error` displays it.
        error: String,
    },
}

/// A callback for [`SyncEvent`]s; it runs on the sync's threads, so keep it quick.
pub type ProgressFn = Arc<dyn Fn(&SyncEvent) + Send + Sync>;

/// How a sync runs.
///
/// ```
/// use std::sync::Arc;
/// use keyapi_tiktok_store::SyncOptions;
/// let options = SyncOptions::new()
///     .concurrency(8)
///     .progress(Arc::new(|event| eprintln!("{event:?}")));
/// assert_eq!(options.concurrency, 8);
/// ```
#[derive(Clone)]
pub struct SyncOptions {
    /// Rankings fetched side by side, and pages in flight per ranking (at least 1). Build
    /// the client with the same [`max_in_flight`](keyapi_tiktok::ClientBuilder::max_in_flight):
    /// the client's limit is the one concurrency across every ranking, so many short
    /// rankings fill the window together.
    pub concurrency: usize,
    /// The time the plan is checked and settled against (default: now).
    pub now: Timestamp,
    /// Called for each [`SyncEvent`].
    pub progress: Option<ProgressFn>,
}

impl SyncOptions {
    /// One ranking at a time, as of now, without progress.
    pub fn new() -> SyncOptions {
        SyncOptions {
            concurrency: 1,
            now: Timestamp::now(),
            progress: None,
        }
    }

    /// Rankings side by side, and pages in flight per ranking.
    pub fn concurrency(mut self, concurrency: usize) -> SyncOptions {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Check and settle the plan as of `now` (tests and replays).
    pub fn now(mut self, now: Timestamp) -> SyncOptions {
        self.now = now;
        self
    }

    /// Report progress to `progress`.
    pub fn progress(mut self, progress: ProgressFn) -> SyncOptions {
        self.progress = Some(progress);
        self
    }

    fn emit(&self, event: SyncEvent) {
        if let Some(progress) = &self.progress {
            progress(&event);
        }
    }
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions::new()
    }
}

impl fmt::Debug for SyncOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncOptions")
            .field("concurrency", &self.concurrency)
            .field("now", &self.now)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// How a sync ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncOutcome {
    /// Every ranking of the plan is stored whole.
    Complete,
    /// Some rankings failed or were not started; what was fetched is stored.
    Failed,
    /// Writing failed (a full disk); what was committed is kept.
    WriteFailed,
}

impl SyncOutcome {
    /// The value of the `sync_runs.outcome` column.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncOutcome::Complete => "complete",
            SyncOutcome::Failed => "failed",
            SyncOutcome::WriteFailed => "write_failed",
        }
    }
}

/// What a sync did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// `sync_runs.id` of this run.
    pub run_id: i64,
    /// Rankings in the plan.
    pub rankings_planned: usize,
    /// Rankings skipped: already complete and settled.
    pub rankings_skipped: usize,
    /// Rankings stored whole by this run (complete or ended short).
    pub rankings_done: usize,
    /// Rankings this run did not store whole: stopped by a failure or the budget, or not
    /// started after a failure every ranking would share. The next sync resumes them.
    pub rankings_partial: usize,
    /// Rankings whose requests failed.
    pub rankings_failed: usize,
    /// Pages stored.
    pub pages: u64,
    /// Videos stored.
    pub items: u64,
    /// Credits spent, as the client counts them ([`keyapi_tiktok::Usage`]).
    pub credits: u64,
    /// Requests sent, retries included.
    pub requests: u64,
    /// How it ended.
    pub outcome: SyncOutcome,
}

/// How one ranking's fetch ended.
enum Fetched {
    /// Every page it needed went to the writer.
    Sent,
    /// A request failed.
    Failed(Error),
    /// Not started: the run is stopping.
    NotStarted,
    /// The writer stopped taking pages.
    WriterGone,
}

impl Store {
    /// Fetches what `plan` needs and the store lacks, and stores it: see the crate docs for
    /// the rules (idempotent, resumable, crash-safe, one writer).
    ///
    /// Refused before anything is sent ([`SyncError::Store`]): an invalid plan, another
    /// sync on the same database, a store that cannot be written. Once started, a failed
    /// request ([`SyncError::Fetch`]) or write ([`SyncError::Write`]) ends the run with
    /// everything committed before kept.
    ///
    /// ```no_run
    /// use keyapi_tiktok::{Client, Period, RankField};
    /// use keyapi_tiktok_store::{Store, SyncOptions, SyncPlan};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::builder().api_key("sk-…").max_in_flight(8).credit_budget(500).build()?;
    /// let mut store = Store::open("rankings.sqlite3".as_ref())?;
    /// let plan = SyncPlan::new("2026-11-01..2026-11-07".parse()?)
    ///     .regions(["US".parse()?, "GB".parse()?])
    ///     .fields([RankField::Views, RankField::Sales])
    ///     .limit(30);
    /// let report = store.sync(&client, &plan, SyncOptions::new().concurrency(8)).await?;
    /// println!("{} rankings, {} credits", report.rankings_done, report.credits);
    /// # Ok(()) }
    /// ```
    pub async fn sync(
        &mut self,
        client: &Client,
        plan: &SyncPlan,
        options: SyncOptions,
    ) -> Result<SyncReport, SyncError> {
        plan.validate(options.now)?;
        // Taken before reading what is stored, and held by the writer thread until its last
        // commit, even when this future is dropped halfway.
        let lock = self.lock()?;
        // The plan's rankings are looked up one at a time as the run reaches them, so memory
        // does not grow with the plan, through a connection of their own behind a mutex
        // (a `Store` is not `Sync`: borrowed bare, it would make this future not `Send`).
        let reader = Mutex::new(Store::open_read_only(&self.path)?);
        let read = || reader.lock().unwrap_or_else(PoisonError::into_inner);
        let rankings_planned = usize::try_from(plan.ranking_count()).unwrap_or(usize::MAX);
        // The write probe: a read-only file or location fails here, before a credit.
        let run_id = self.start_run(plan, rankings_planned)?;
        let writer = Writer::start(
            &self.path,
            lock,
            today_utc(options.now),
            options.progress.clone(),
            MAX_BATCH,
        )?;
        let usage_before = client.usage();

        let stopping = AtomicBool::new(false);
        let skipped = AtomicUsize::new(0);
        let read_error = Mutex::new(None);
        let to_fetch = planned_rankings(plan, options.now, |key| read().stored(key))?
            .map(|planned| {
                // A resumed ranking's first new page is checked against the stored page
                // before it.
                let planned = planned?;
                let after = match (&planned.action, &planned.stored) {
                    (Action::Resume { from_page }, Some(stored)) => {
                        read().page_video_ids(stored.id, from_page.saturating_sub(1))?
                    }
                    _ => Vec::new(),
                };
                Ok((planned, after))
            })
            .map_while(|planned: Result<_, StoreError>| match planned {
                Ok(planned) => Some(planned),
                Err(error) => {
                    stopping.store(true, Ordering::Relaxed);
                    *read_error.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
                    None
                }
            })
            .filter(|(planned, _)| {
                let skip = planned.action == Action::Skip;
                if skip {
                    skipped.fetch_add(1, Ordering::Relaxed);
                }
                !skip
            });
        let needed = plan.pages_per_ranking();
        // Only failures are kept: memory does not grow with the rankings fetched.
        let (fetched, failures) = futures::stream::iter(to_fetch)
            .map(|(planned, after)| {
                let (stopping, options, pages) = (&stopping, &options, writer.sender());
                async move {
                    let fetched =
                        fetch_ranking(client, &planned, after, needed, options, pages, stopping)
                            .await;
                    (planned.key, fetched)
                }
            })
            .buffer_unordered(options.concurrency.max(1))
            .fold(
                (0_usize, Vec::new()),
                |(count, mut failures), (key, fetched)| async move {
                    if let Fetched::Failed(error) = fetched {
                        failures.push((key, error));
                    }
                    (count + 1, failures)
                },
            )
            .await;
        drop(reader);
        let mut tally = writer.finish().await;
        if let Some(error) = read_error
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
        {
            tally.error.get_or_insert(error);
        }

        let usage = client.usage();
        let rankings_skipped = skipped.into_inner();
        let mut report = SyncReport {
            run_id,
            rankings_planned,
            rankings_skipped,
            rankings_done: tally.done.len(),
            // Every ranking this run fetched and did not store whole.
            rankings_partial: fetched.saturating_sub(tally.done.len()),
            rankings_failed: 0,
            pages: tally.pages,
            items: tally.items,
            credits: usage
                .credits_spent
                .saturating_sub(usage_before.credits_spent),
            requests: usage
                .requests_sent
                .saturating_sub(usage_before.requests_sent),
            outcome: SyncOutcome::Complete,
        };
        let mut first_error = None;
        for (_key, error) in failures {
            // A repeated page fails its ranking and also ends it (stored whole), so a
            // failure is counted whether or not its ranking is done.
            report.rankings_failed += 1;
            first_error.get_or_insert(error);
        }
        report.outcome = match (&tally.error, &first_error) {
            (Some(_), _) => SyncOutcome::WriteFailed,
            (None, Some(_)) => SyncOutcome::Failed,
            (None, None) => SyncOutcome::Complete,
        };
        let failure = tally.error.as_ref().map(ToString::to_string);
        self.finish_run(
            &report,
            failure.or_else(|| first_error.as_ref().map(ToString::to_string)),
        );
        self.fold_wal_after_sync();
        match (tally.error, first_error) {
            (Some(error), _) => Err(SyncError::Write {
                error,
                report: Box::new(report),
            }),
            (None, Some(error)) => Err(SyncError::Fetch {
                error,
                report: Box::new(report),
            }),
            (None, None) => Ok(report),
        }
    }

    /// Folds the WAL back into the database file, so a copy of the file alone holds the
    /// run; says so (`-v`) when a reader holds it. Best effort, like the ledger's last row.
    fn fold_wal_after_sync(&self) {
        let wal = format!("{}-wal", self.path.display());
        match self.fold_wal() {
            Ok(Checkpoint::Folded) => tracing::info!("folded {wal} back into the database"),
            Ok(Checkpoint::ReadersHoldIt) => tracing::info!(
                "a reader holds {wal} (a read transaction, or a sync that started since), so \
                 it was not folded back into the database: the .sqlite3 file alone misses \
                 the latest commits until a later checkpoint (copy a store with \
                 `keyapi-tiktok store backup`)"
            ),
            Err(error) => tracing::warn!("{error}"),
        }
    }

    /// Records the run in `sync_runs`: the first write, so it doubles as the write probe.
    fn start_run(&self, plan: &SyncPlan, rankings: usize) -> Result<i64, StoreError> {
        let plan_json = serde_json::to_string(plan).unwrap_or_default();
        self.connection
            .execute(
                "INSERT INTO sync_runs (plan, started_at, outcome, rankings) VALUES (?1, ?2, 'running', ?3)",
                rusqlite::params![plan_json, Timestamp::now().to_string(), rankings as i64],
            )
            .map_err(StoreError::sqlite("write to", &self.path))?;
        Ok(self.connection.last_insert_rowid())
    }

    /// Closes the run's ledger row. Best effort: the pages are committed already, and a
    /// row left `running` says the run was cut short.
    fn finish_run(&self, report: &SyncReport, error: Option<String>) {
        let saturate = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let updated = self.connection.execute(
            "UPDATE sync_runs SET finished_at = ?1, outcome = ?2, pages = ?3, items = ?4,
                 credits = ?5, requests = ?6, error = ?7 WHERE id = ?8",
            rusqlite::params![
                Timestamp::now().to_string(),
                report.outcome.as_str(),
                saturate(report.pages),
                saturate(report.items),
                saturate(report.credits),
                saturate(report.requests),
                error,
                report.run_id,
            ],
        );
        if let Err(error) = updated {
            tracing::warn!("cannot close the sync_runs row {}: {error}", report.run_id);
        }
    }
}

/// Streams one ranking's missing pages into the writer, in page order; a resumed one's
/// first page is checked against `after`, the video ids of the stored page before it.
async fn fetch_ranking(
    client: &Client,
    planned: &PlannedRanking,
    after: Vec<String>,
    needed: u32,
    options: &SyncOptions,
    pages: mpsc::Sender<PageWrite>,
    stopping: &AtomicBool,
) -> Fetched {
    if stopping.load(Ordering::Relaxed) || pages.is_closed() {
        return Fetched::NotStarted;
    }
    let from = match planned.action {
        Action::Resume { from_page } => from_page,
        Action::Skip | Action::New | Action::Refresh => 1,
    };
    let wanted = u64::from(planned.max_pages) * u64::from(MAX_PAGE_SIZE);
    let query = planned.key.query().page(from);
    // Whole pages are stored (the limit is a multiple of the page size), so a later, longer
    // limit resumes after the last page instead of inside it.
    let mut stream = client
        .video_ranking(query)
        .limit(wanted)
        .concurrency(options.concurrency)
        .after_page(after)
        .pages();
    while let Some(page) = stream.next().await {
        match page {
            Ok(page) => {
                let write = PageWrite::page(planned.key.clone(), needed, page);
                if pages.send(write).await.is_err() {
                    return Fetched::WriterGone;
                }
            }
            Err(error) => {
                if let Error::RepeatedPage { page, .. } = error {
                    // Upstream ignores page_num from here on: the ranking ends, recorded
                    // so that a rerun pays nothing more for it.
                    let write = PageWrite::repeated(planned.key.clone(), needed, page);
                    if pages.send(write).await.is_err() {
                        return Fetched::WriterGone;
                    }
                }
                if stops_the_run(&error) {
                    stopping.store(true, Ordering::Relaxed);
                }
                options.emit(SyncEvent::RankingFailed {
                    ranking: planned.key.clone(),
                    error: error.to_string(),
                });
                return Fetched::Failed(error);
            }
        }
    }
    Fetched::Sent
}

/// Whether a failure would fail every other ranking too (a key, credits, a budget, a rate
/// limit, the network), so no more rankings are started; failures of one ranking's pages
/// (an undecodable or repeated page, a refused parameter) let the others run on.
fn stops_the_run(error: &Error) -> bool {
    !matches!(
        error,
        Error::RepeatedPage { .. }
            | Error::Decode { .. }
            | Error::BadRequest(_)
            | Error::ResponseTooLarge { .. }
    )
}
