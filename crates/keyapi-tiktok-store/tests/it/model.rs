//! A model of sync, tested against `Store::sync`: generated sequences of steps (syncs cut
//! short at random points, the clock moving forward, upstream rankings changing until they
//! settle) against a simulated upstream, with the store's invariants checked against a
//! plain model after every step.
//!
//! Upstream here is a wiremock responder over a table of rankings: each has versions
//! (its videos change until it settles), and a version may end early, be empty, or ignore
//! `page_num` from some page on (serving the page before again). Each video id says which
//! ranking, version and position it is; each video's caption says which run fetched it, so
//! the model reads from the store which version and which moment every entry came from.
//!
//! A failure prints the seed and the shrunk steps. `MODEL_SEED=N` replays one sequence,
//! `MODEL_CASES=N` runs more (default [`CASES`]):
//! `MODEL_CASES=5000 cargo test -p keyapi-tiktok-store --test it model`. With
//! `MODEL_KEEP_GOING=1` every failing sequence is printed (`--nocapture`), unshrunk, and
//! the test passes: a survey of what a change breaks (issue 28's note lists what it found
//! with the store's fixes reverted).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use jiff::civil::{Date, date};
use keyapi_tiktok::{Client, Period, RankField, RetryPolicy};
use keyapi_tiktok_store::{RankingKey, Store, StoreError, SyncError, SyncOptions, SyncPlan};
use serde_json::{Value, json};
use tokio::sync::Notify;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Sequences run by default: a few seconds.
const CASES: u64 = 200;

/// Steps in a sequence.
const STEPS: usize = 14;

/// The daily rankings' dates: Monday 2 to Thursday 5 November 2026.
const DAYS: [Date; 4] = [
    date(2026, 11, 2),
    date(2026, 11, 3),
    date(2026, 11, 4),
    date(2026, 11, 5),
];

/// The one weekly ranking's date (a Monday).
const WEEK: Date = date(2026, 11, 2);

/// The category of the filtered rankings.
const CATEGORY: &str = "601450";

/// Where the clock starts: the 3rd at noon UTC (the 4th in UTC+14: the 5th is the future).
fn start() -> Timestamp {
    "2026-11-03T12:00:00Z".parse().unwrap()
}

/// Every ranking the plans can ask for: daily and weekly, with and without the category.
fn universe() -> Vec<RankingKey> {
    let us = "US".parse().unwrap();
    let mut keys = Vec::new();
    for category in [None, Some(CATEGORY.to_owned())] {
        for day in DAYS {
            keys.push(RankingKey {
                category: category.clone(),
                ..RankingKey::new(day, us, RankField::Views, Period::Daily)
            });
        }
        keys.push(RankingKey {
            category: category.clone(),
            ..RankingKey::new(WEEK, us, RankField::Views, Period::Weekly)
        });
    }
    keys
}

/// One version of an upstream ranking.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Version {
    /// Videos it has.
    len: u32,
    /// From this page on, upstream ignores `page_num` and serves the page before again.
    repeats_from: Option<u32>,
}

impl Version {
    /// The positions upstream serves for `page`.
    fn page(&self, page: u32) -> std::ops::RangeInclusive<u32> {
        let page = match self.repeats_from {
            Some(from) if page >= from => from - 1,
            _ => page,
        };
        let first = (page - 1) * 10 + 1;
        first..=(page * 10).min(self.len)
    }

    /// The videos a client that stops at a repeated page can get: all of them, or those
    /// before the repeat.
    fn served(&self) -> u32 {
        match self.repeats_from {
            Some(from) => self.len.min((from - 1) * 10),
            None => self.len,
        }
    }
}

/// A video id: 19 digits saying which ranking, version and position it is.
fn video_id(ranking: usize, version: usize, position: u32) -> String {
    format!("76{ranking:03}{version:05}{position:09}")
}

fn parse_video_id(id: &str) -> Option<(usize, usize, u32)> {
    if id.len() != 19 || !id.starts_with("76") {
        return None;
    }
    Some((
        id[2..5].parse().ok()?,
        id[5..10].parse().ok()?,
        id[10..].parse().ok()?,
    ))
}

/// How a run is cut short.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Cut {
    /// Not at all.
    #[default]
    None,
    /// The client's credit budget.
    Budget(u64),
    /// The `at`-th request of the run is answered with this HTTP status (500 stops the run,
    /// 400 fails only its ranking).
    Fail { at: u32, status: u16 },
    /// The sync's future is dropped once upstream has answered this many requests.
    Drop { after: u32 },
}

/// One step of a sequence.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// A sync of the plan: daily rankings of `DAYS[first..=last]` (up to today) and/or
    /// the weekly one, with or without the category, `limit` videos each.
    Sync {
        first: usize,
        last: usize,
        daily: bool,
        weekly: bool,
        category: bool,
        limit: u64,
        concurrency: usize,
        cut: Cut,
    },
    /// The clock moves forward.
    Advance { hours: u32 },
    /// A ranking that has not settled gets a new version.
    Change { ranking: usize, version: Version },
}

/// A sequence: the rankings' first versions, then the steps.
#[derive(Clone, Debug)]
struct Case {
    initial: Vec<Version>,
    steps: Vec<Step>,
}

fn version(rng: &mut fastrand::Rng) -> Version {
    Version {
        len: [0, 3, 10, 17, 20, 30, 35, 44, 60][rng.usize(..9)],
        repeats_from: (rng.u8(..5) == 0).then(|| rng.u32(2..=4)),
    }
}

fn generate(seed: u64) -> Case {
    let mut rng = fastrand::Rng::with_seed(seed);
    let initial = universe().iter().map(|_| version(&mut rng)).collect();
    let steps = (0..STEPS)
        .map(|_| match rng.u8(..10) {
            0..=4 => {
                let first = rng.usize(..DAYS.len());
                let weekly = rng.bool();
                Step::Sync {
                    first,
                    last: rng.usize(first..DAYS.len()),
                    daily: !weekly || rng.bool(),
                    weekly,
                    category: rng.u8(..4) == 0,
                    limit: [5, 10, 15, 20, 30, 40, 50][rng.usize(..7)],
                    concurrency: rng.usize(1..=4),
                    cut: match rng.u8(..8) {
                        0 => Cut::Budget(rng.u64(1..=6)),
                        1 => Cut::Fail {
                            at: rng.u32(1..=6),
                            status: if rng.bool() { 500 } else { 400 },
                        },
                        2 => Cut::Drop {
                            after: rng.u32(1..=6),
                        },
                        _ => Cut::None,
                    },
                }
            }
            5..=6 => Step::Advance {
                hours: [6, 24, 48, 72, 120][rng.usize(..5)],
            },
            _ => Step::Change {
                ranking: rng.usize(..universe().len()),
                version: version(&mut rng),
            },
        })
        .collect();
    Case { initial, steps }
}

/// A request upstream received.
#[derive(Clone, Debug)]
struct Logged {
    run: usize,
    ranking: usize,
    page: u32,
    /// Answered with a page (charged).
    charged: bool,
}

/// The simulated upstream, shared with the responder.
#[derive(Default)]
struct Upstream {
    /// Each ranking's versions so far; the last is the current one.
    versions: Vec<Vec<Version>>,
    /// The ranking of each `(date, rank_type, product_category_id)`.
    index: HashMap<(String, String, String), usize>,
    /// The sequence's first run: requests of earlier ones (dropped, arriving late) are
    /// answered but not logged.
    first_run: usize,
    /// The run the requests belong to, and how it is cut.
    run: usize,
    cut: Cut,
    requests_in_run: u32,
    answered_in_run: u32,
    dropped: Arc<Notify>,
    log: Vec<Logged>,
}

struct Responder(Arc<Mutex<Upstream>>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut upstream = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        let get = |name: &str| query.get(name).cloned().unwrap_or_default();
        let run = request
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer run-"))
            .and_then(|run| run.parse().ok())
            .unwrap_or(usize::MAX);
        let key = (get("date"), get("rank_type"), get("product_category_id"));
        let (Some(&ranking), Ok(page)) = (upstream.index.get(&key), get("page_num").parse::<u32>())
        else {
            panic!("a request for no ranking of the model: {query:?}");
        };
        let mut logged = Logged {
            run,
            ranking,
            page,
            charged: false,
        };
        if run != upstream.run {
            // A request of a dropped run, arriving late: answered, and logged as such when
            // the run is of this sequence.
            logged.charged = true;
            if run >= upstream.first_run {
                upstream.log.push(logged);
            }
            return page_response(&upstream, run, ranking, page);
        }
        upstream.requests_in_run += 1;
        if let Cut::Fail { at, status } = upstream.cut
            && upstream.requests_in_run == at
        {
            upstream.log.push(logged);
            return ResponseTemplate::new(status).set_body_json(json!({
                "code": status, "message": "scripted failure", "data": null, "requestId": "m"
            }));
        }
        logged.charged = true;
        upstream.log.push(logged);
        upstream.answered_in_run += 1;
        if let Cut::Drop { after } = upstream.cut
            && upstream.answered_in_run == after
        {
            upstream.dropped.notify_one();
        }
        page_response(&upstream, run, ranking, page)
    }
}

fn page_response(upstream: &Upstream, run: usize, ranking: usize, page: u32) -> ResponseTemplate {
    let versions = &upstream.versions[ranking];
    let current = versions.len() - 1;
    // Only what the model reads: the decoder takes items without the other fields.
    let items: Vec<Value> = versions[current]
        .page(page)
        .map(|position| {
            json!({
                "video_id": video_id(ranking, current, position),
                "video_desc": format!("run {run}"),
            })
        })
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({
        "code": 0, "message": "success", "data": items, "requestId": "m"
    }))
}

/// One stored ranking, as read with plain SQL.
#[derive(Debug)]
struct Row {
    state: String,
    pages: u32,
    items: u32,
    settled: bool,
    /// `(rank, video_id, caption)` in rank order.
    entries: Vec<(u32, String, String)>,
}

/// Runs a sequence; the first broken invariant, with the step it broke at.
struct Runner {
    keys: Vec<RankingKey>,
    upstream: Arc<Mutex<Upstream>>,
    base_url: String,
    /// One HTTP client for every run (each run's `Client` has its key and budget).
    http: keyapi_tiktok::reqwest::Client,
    /// A read-only connection to the sequence's store.
    reader: Option<rusqlite::Connection>,
    /// Each run's clock, over every sequence.
    run_now: Vec<Timestamp>,
    now: Timestamp,
}

impl Runner {
    fn upstream(&self) -> std::sync::MutexGuard<'_, Upstream> {
        self.upstream.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn settled(&self, ranking: usize, at: Timestamp) -> bool {
        let today = at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        self.keys[ranking].query().is_settled(today)
    }

    fn current(&self, ranking: usize) -> (usize, Version) {
        let upstream = self.upstream();
        let versions = &upstream.versions[ranking];
        (versions.len() - 1, versions[versions.len() - 1])
    }

    async fn run(&mut self, case: &Case) -> Result<(), String> {
        {
            let mut upstream = self.upstream();
            upstream.versions = case.initial.iter().map(|v| vec![*v]).collect();
            upstream.log.clear();
            upstream.run = usize::MAX;
            // Runs are numbered across sequences, so a late request is never taken for one
            // of this sequence.
            upstream.first_run = self.run_now.len();
        }
        self.now = start();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rankings.sqlite3");
        let mut store = Store::open(&path).map_err(|e| e.to_string())?;
        self.reader = Some(
            rusqlite::Connection::open_with_flags(
                &path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .map_err(|e| e.to_string())?,
        );
        for (index, step) in case.steps.iter().enumerate() {
            self.step(&mut store, &path, step)
                .await
                .map_err(|problem| format!("step {index} ({step:?}): {problem}"))?;
        }
        Ok(())
    }

    async fn step(
        &mut self,
        store: &mut Store,
        path: &std::path::Path,
        step: &Step,
    ) -> Result<(), String> {
        match step {
            Step::Advance { hours } => {
                self.now += jiff::SignedDuration::from_hours(i64::from(*hours));
            }
            Step::Change { ranking, version } => {
                if !self.settled(*ranking, self.now) {
                    self.upstream().versions[*ranking].push(*version);
                }
            }
            Step::Sync { .. } => self.sync(store, path, step).await?,
        }
        self.check()
    }

    fn plan(&self, step: &Step) -> Option<SyncPlan> {
        let Step::Sync {
            first,
            last,
            daily,
            weekly,
            category,
            limit,
            ..
        } = *step
        else {
            return None;
        };
        let latest = keyapi_tiktok::VideoRankingQuery::latest_date(self.now);
        let last = DAYS[last].min(latest);
        let first = if weekly { WEEK } else { DAYS[first] };
        let mut periods = Vec::new();
        periods.extend(daily.then_some(Period::Daily));
        periods.extend(weekly.then_some(Period::Weekly));
        let mut plan =
            SyncPlan::new(keyapi_tiktok_store::DateRange::new(first.min(last), last).ok()?)
                .regions(["US".parse().unwrap()])
                .periods(periods)
                .limit(limit);
        if category {
            plan = plan.category(CATEGORY);
        }
        Some(plan)
    }

    async fn sync(
        &mut self,
        store: &mut Store,
        path: &std::path::Path,
        step: &Step,
    ) -> Result<(), String> {
        let Step::Sync {
            concurrency, cut, ..
        } = *step
        else {
            return Ok(());
        };
        let plan = self.plan(step).ok_or("no plan")?;
        let needed = plan.pages_per_ranking();
        // A dropped run's writer commits what it was handed, then lets go of the lock.
        wait_for_writer(path).await;
        let run = self.run_now.len();
        self.run_now.push(self.now);
        let final_before = self.final_for(&plan)?;
        let dropped = Arc::new(Notify::new());
        {
            let mut upstream = self.upstream();
            upstream.run = run;
            upstream.cut = cut;
            upstream.requests_in_run = 0;
            upstream.answered_in_run = 0;
            upstream.dropped = Arc::clone(&dropped);
        }
        let mut client = Client::builder()
            .api_key(format!("run-{run}"))
            .base_url(self.base_url.clone())
            .http_client(self.http.clone())
            .retry(RetryPolicy::no_delay(1))
            .max_in_flight(concurrency);
        if let Cut::Budget(credits) = cut {
            client = client.credit_budget(credits);
        }
        let client = client.build().unwrap();
        let options = SyncOptions::new().now(self.now).concurrency(concurrency);
        // Refused while a dropped run's writer still holds the lock (should the wait
        // below not see it), the sync is tried again: a refusal sends nothing.
        let sync = async {
            loop {
                match store.sync(&client, &plan, options.clone()).await {
                    Err(SyncError::Store(StoreError::Locked { .. })) => {
                        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    }
                    result => return result,
                }
            }
        };
        let result = tokio::select! {
            result = sync => Some(result),
            () = dropped.notified() => None,
        };
        wait_for_writer(path).await;
        let answered = self
            .upstream()
            .log
            .iter()
            .filter(|logged| logged.run == run && logged.charged)
            .count() as u64;
        let report = match &result {
            Some(Ok(report)) => Some(report.clone()),
            Some(Err(SyncError::Fetch { report, .. } | SyncError::Write { report, .. })) => {
                Some((**report).clone())
            }
            Some(Err(SyncError::Store(error))) => return Err(format!("refused: {error}")),
            Some(Err(error)) => return Err(format!("failed: {error}")),
            None => None,
        };
        if let Some(report) = &report
            && report.credits < answered
        {
            let requests: Vec<_> = self
                .upstream()
                .log
                .iter()
                .filter(|logged| logged.run == run)
                .map(|logged| format!("{} page {}", self.keys[logged.ranking], logged.page))
                .collect();
            return Err(format!(
                "{} credits counted, {answered} requests answered: {requests:?} ({report:?})",
                report.credits
            ));
        }
        let paid_again: Vec<_> = self
            .upstream()
            .log
            .iter()
            .filter_map(|logged| {
                let stored = final_before
                    .get(&logged.ranking)
                    .filter(|_| logged.run == run)?;
                Some(format!(
                    "{} page {} ({stored})",
                    self.keys[logged.ranking], logged.page
                ))
            })
            .collect();
        if !paid_again.is_empty() {
            return Err(format!(
                "settled and complete, requested again: {paid_again:?}"
            ));
        }
        if let Some(Ok(_)) = result {
            self.check_complete(&plan, needed)?;
        }
        Ok(())
    }

    /// The rows of the store, by ranking of the universe.
    fn rows(&self) -> Result<HashMap<usize, Row>, String> {
        let connection = self.reader.as_ref().ok_or("no store")?;
        let mut statement = connection
            .prepare_cached(
                "SELECT id, date, period, category, state, pages, items, settled FROM rankings",
            )
            .unwrap();
        let mut by_id = HashMap::new();
        let stored = statement
            .query_map([], |row| {
                let key: (i64, String, String, Option<String>) =
                    (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
                let row = Row {
                    state: row.get(4)?,
                    pages: row.get(5)?,
                    items: row.get(6)?,
                    settled: row.get(7)?,
                    entries: Vec::new(),
                };
                Ok((key, row))
            })
            .unwrap();
        for stored in stored {
            let ((id, day, period, category), row) = stored.unwrap();
            let ranking = self
                .keys
                .iter()
                .position(|key| {
                    key.date.to_string() == day
                        && key.period.as_str() == period
                        && key.category == category
                })
                .ok_or(format!("a ranking outside the plans: {day} {period}"))?;
            by_id.insert(id, (ranking, row));
        }
        let mut entries = connection
            .prepare_cached(
                "SELECT ranking, rank, video_id, description FROM entries ORDER BY ranking, rank",
            )
            .unwrap();
        let entries = entries
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    (row.get(1)?, row.get(2)?, row.get(3)?),
                ))
            })
            .unwrap();
        for entry in entries {
            let (id, entry) = entry.unwrap();
            by_id
                .get_mut(&id)
                .ok_or("an entry of no ranking")?
                .1
                .entries
                .push(entry);
        }
        Ok(by_id.into_values().collect())
    }

    /// The version of the row's entries, checking they come from one version of the
    /// ranking, each at its own rank, ranks 1 to n; `None` when it holds none.
    fn one_version(&self, ranking: usize, row: &Row) -> Result<Option<usize>, String> {
        let key = &self.keys[ranking];
        let mut version = None;
        for (index, (rank, id, _)) in row.entries.iter().enumerate() {
            let (of, v, position) = parse_video_id(id).ok_or(format!("{key}: video {id}"))?;
            if of != ranking || *rank != index as u32 + 1 || position != *rank {
                return Err(format!(
                    "{key}: rank {rank} holds position {position} of ranking {of} (entry {})",
                    index + 1
                ));
            }
            if *version.get_or_insert(v) != v {
                return Err(format!(
                    "{key}: entries of versions {} and {v}",
                    version.unwrap_or_default()
                ));
            }
        }
        let n = row.entries.len() as u32;
        let whole_pages = row.state != "ended_short";
        if row.items != n || n > row.pages * 10 || (whole_pages && n != row.pages * 10) {
            return Err(format!(
                "{key}: {} state, {} pages, {} items, {n} entries",
                row.state, row.pages, row.items
            ));
        }
        Ok(version)
    }

    /// Whether every entry was fetched after the ranking settled (for an empty ranking:
    /// whether upstream answered its first page after it settled).
    fn fetched_settled(&self, ranking: usize, row: &Row) -> bool {
        if row.entries.is_empty() {
            return self.upstream().log.iter().any(|logged| {
                logged.ranking == ranking
                    && logged.page == 1
                    && logged.charged
                    && self.settled(ranking, self.run_now[logged.run])
            });
        }
        row.entries.iter().all(|(_, _, caption)| {
            let run: usize = caption
                .strip_prefix("run ")
                .and_then(|run| run.parse().ok())
                .unwrap_or(usize::MAX);
            run < self.run_now.len() && self.settled(ranking, self.run_now[run])
        })
    }

    /// The invariants of every moment: one version per ranking; a ranking stored as
    /// settled was fetched after it settled and, stored whole, equals upstream's.
    fn check(&self) -> Result<(), String> {
        for (ranking, row) in self.rows()? {
            let key = &self.keys[ranking];
            let version = self.one_version(ranking, &row)?;
            if !row.settled {
                continue;
            }
            if !self.fetched_settled(ranking, &row) {
                return Err(format!(
                    "{key}: stored as settled, fetched before it settled"
                ));
            }
            let (current, upstream) = self.current(ranking);
            if version.is_some_and(|v| v != current) {
                return Err(format!(
                    "{key}: settled, but not upstream's settled version"
                ));
            }
            if row.state == "ended_short" && row.entries.len() as u32 != upstream.served() {
                return Err(format!(
                    "{key}: settled and ended with {} videos, upstream serves {}",
                    row.entries.len(),
                    upstream.served()
                ));
            }
        }
        Ok(())
    }

    /// The plan's rankings a sync must not pay for: settled, every entry fetched after it
    /// settled, and holding every page the plan needs or the whole ranking (a short, empty
    /// or repeated page stored after it).
    fn final_for(&self, plan: &SyncPlan) -> Result<HashMap<usize, String>, String> {
        let rows = self.rows()?;
        let needed = plan.pages_per_ranking() * 10;
        let mut finals = HashMap::new();
        for key in plan.rankings() {
            let ranking = self.keys.iter().position(|k| *k == key).ok_or("unknown")?;
            let Some(row) = rows.get(&ranking) else {
                continue;
            };
            let n = row.entries.len() as u32;
            let (_, upstream) = self.current(ranking);
            let whole = n == upstream.served() && row.pages * 10 > n;
            // An empty ranking's stored page has no caption: its row says when it was fetched.
            let claimed = row.settled || n > 0;
            if self.settled(ranking, self.now)
                && claimed
                && self.fetched_settled(ranking, row)
                && row.pages > 0
                && (n >= needed || whole)
            {
                let stored = format!(
                    "{} with {} pages, {} videos, the plan {} pages",
                    row.state,
                    row.pages,
                    n,
                    needed / 10
                );
                finals.insert(ranking, stored);
            }
        }
        Ok(finals)
    }

    /// After a sync that ended well: each ranking of the plan is upstream's current
    /// version, up to the plan's limit (settled ones possibly longer, from a longer plan).
    fn check_complete(&self, plan: &SyncPlan, needed: u32) -> Result<(), String> {
        let rows = self.rows()?;
        for key in plan.rankings() {
            let ranking = self.keys.iter().position(|k| *k == key).ok_or("unknown")?;
            let row = rows.get(&ranking).ok_or(format!("{key}: not stored"))?;
            let (current, upstream) = self.current(ranking);
            let n = row.entries.len() as u32;
            let expected = upstream.served().min(needed * 10);
            if self
                .one_version(ranking, row)?
                .is_some_and(|v| v != current)
            {
                return Err(format!("{key}: an older version after a complete sync"));
            }
            let settled = self.settled(ranking, self.now);
            if (settled && n < expected) || (!settled && n != expected) {
                return Err(format!(
                    "{key}: {n} videos after a complete sync, upstream serves {} (limit {})",
                    upstream.served(),
                    needed * 10
                ));
            }
        }
        Ok(())
    }
}

/// Waits until no writer holds the store's lock (a dropped sync's writer thread finishing
/// its last commit), so each step starts from what is committed.
async fn wait_for_writer(path: &std::path::Path) {
    let mut lock = path.as_os_str().to_owned();
    lock.push("-lock");
    let Ok(file) = std::fs::File::open(&lock) else {
        return;
    };
    while fs4::FileExt::try_lock_shared(&file).is_err() {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let _ = fs4::FileExt::unlock(&file);
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "first versions: {:?}", self.initial)?;
        for (index, step) in self.steps.iter().enumerate() {
            writeln!(f, "  {index}: {step:?}")?;
        }
        Ok(())
    }
}

/// The shortest case found that still fails: cut after the failing step, then steps
/// removed one at a time while it fails.
async fn shrink(runner: &mut Runner, case: &Case, mut problem: String) -> (Case, String) {
    let mut case = case.clone();
    let failing_step = |problem: &str| {
        problem
            .strip_prefix("step ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
    };
    loop {
        if let Some(step) = failing_step(&problem) {
            case.steps.truncate(step + 1);
        }
        let mut smaller = None;
        for index in 0..case.steps.len() {
            let mut candidate = case.clone();
            candidate.steps.remove(index);
            if let Err(found) = runner.run(&candidate).await {
                smaller = Some((candidate, found));
                break;
            }
        }
        match smaller {
            Some((candidate, found)) => (case, problem) = (candidate, found),
            None => return (case, problem),
        }
    }
}

#[tokio::test]
async fn sync_keeps_its_invariants_whatever_happens_between_runs() {
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    let keys = universe();
    let mut index = HashMap::new();
    for (ranking, key) in keys.iter().enumerate() {
        index.insert(
            (
                key.date.to_string(),
                key.period.code().to_string(),
                key.category.clone().unwrap_or_default(),
            ),
            ranking,
        );
    }
    let upstream = Arc::new(Mutex::new(Upstream {
        index,
        ..Upstream::default()
    }));
    Mock::given(wiremock::matchers::any())
        .respond_with(Responder(Arc::clone(&upstream)))
        .mount(&server)
        .await;
    let mut runner = Runner {
        keys,
        upstream,
        base_url: server.uri(),
        // The library's builder, so the TLS provider the features chose is installed.
        http: keyapi_tiktok::http_client_builder()
            .unwrap()
            .redirect(keyapi_tiktok::reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap(),
        reader: None,
        run_now: Vec::new(),
        now: start(),
    };
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let seeds: Vec<u64> = match env("MODEL_SEED") {
        Some(seed) => vec![seed],
        None => {
            let first = fastrand::u64(..);
            (0..env("MODEL_CASES").unwrap_or(CASES))
                .map(|n| first.wrapping_add(n))
                .collect()
        }
    };
    for seed in seeds {
        let case = generate(seed);
        if std::env::var("MODEL_KEEP_GOING").is_ok() {
            if let Err(problem) = runner.run(&case).await {
                eprintln!("FOUND MODEL_SEED={seed}: {problem}");
            }
            continue;
        }
        if let Err(problem) = runner.run(&case).await {
            let (shrunk, problem) = shrink(&mut runner, &case, problem).await;
            panic!(
                "MODEL_SEED={seed}: {problem}\nshrunk to {} steps:\n{shrunk}",
                shrunk.steps.len()
            );
        }
    }
}
