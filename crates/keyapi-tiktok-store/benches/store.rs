//! The store's figures, each beside its baseline in the same run: sync against a plain
//! ranking stream, many short rankings against the bound N·L/C, inserts a second, memory
//! from 100 to 10,000 pages, and `history`/`movers`/`report` on a million entries.
//!
//! `cargo bench -p keyapi-tiktok-store --bench store`; the figures are in the crate README.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a bench fails loudly"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use jiff::civil::date;
use keyapi_tiktok::{Client, Page, Period, RankField, RetryPolicy, VideoRankingQuery};
use keyapi_tiktok_store::{__QUERIES, __bench_write, RankingKey, Store, SyncOptions, SyncPlan};
use keyapi_tiktok_testkit::{FakeKeyApi, Reply};

const LATENCY: Duration = Duration::from_millis(20);
const CONCURRENCY: usize = 8;
const ROUNDS: usize = 7;

/// Runs every part, or those named on the command line (`-- memory inserts`); memory
/// first, before the other parts raise the peak.
fn main() {
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let run = |part: &str| named.is_empty() || named.iter().any(|name| name == part);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    if run("memory") {
        memory();
    }
    if run("sync") {
        runtime.block_on(sync_against_a_plain_stream());
    }
    if run("rankings") {
        runtime.block_on(short_rankings_against_the_bound());
    }
    if run("inserts") {
        inserts();
    }
    if run("queries") {
        million_entries();
    }
}

fn client(fake: &FakeKeyApi) -> Client {
    Client::builder()
        .api_key("bench-key")
        .base_url(fake.base_url())
        .retry(RetryPolicy::no_delay(1))
        .max_in_flight(CONCURRENCY)
        .build()
        .unwrap()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn seconds(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

fn options() -> SyncOptions {
    SyncOptions::new()
        .now("2026-12-01T12:00:00Z".parse().unwrap())
        .concurrency(CONCURRENCY)
}

/// 300 pages of one ranking at 20 ms, 8 at a time: a sync into a fresh store against the
/// same pages from `Ranking::pages` (what `videos --no-cache` runs), alternating.
async fn sync_against_a_plain_stream() {
    let fake = FakeKeyApi::with_videos(3000).await;
    let query = VideoRankingQuery::new(
        date(2026, 11, 20),
        "US".parse().unwrap(),
        RankField::Views,
        Period::Daily,
    );
    let plan = SyncPlan::new("2026-11-20".parse().unwrap())
        .regions(["US".parse().unwrap()])
        .limit(3000);
    let (mut plain, mut synced, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        fake.script(vec![Reply::Slow(LATENCY); 300]);
        let start = Instant::now();
        let pages: Vec<Page> = client(&fake)
            .video_ranking(query.clone())
            .limit(3000)
            .concurrency(CONCURRENCY)
            .pages()
            .try_collect()
            .await
            .unwrap();
        let stream = seconds(start);
        assert_eq!(pages.len(), 300);

        fake.script(vec![Reply::Slow(LATENCY); 300]);
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("bench.sqlite3")).unwrap();
        let start = Instant::now();
        let report = store.sync(&client(&fake), &plan, options()).await.unwrap();
        let sync = seconds(start);
        assert_eq!(report.pages, 300);
        plain.push(stream);
        synced.push(sync);
        ratios.push(sync / stream);
    }
    println!(
        "sync of 300 pages at 20 ms, concurrency 8: {:.3} s, plain Ranking stream {:.3} s: ratio {:.3} (median of {ROUNDS})",
        median(synced),
        median(plain),
        median(ratios)
    );
}

/// 30 rankings of 10 pages at 20 ms, 8 at a time, against N·L/C = 300 × 20 ms / 8.
async fn short_rankings_against_the_bound() {
    let fake = FakeKeyApi::with_videos(100).await;
    let plan = SyncPlan::new("2026-10-01..2026-10-30".parse().unwrap())
        .regions(["US".parse().unwrap()])
        .limit(100);
    // L as this machine delivers it: one 20 ms page at a time, end to end.
    let query = VideoRankingQuery::new(
        date(2026, 10, 1),
        "US".parse().unwrap(),
        RankField::Views,
        Period::Daily,
    );
    let single = client(&fake);
    let mut latencies = Vec::new();
    for _ in 0..21 {
        fake.script([Reply::Slow(LATENCY)]);
        let start = Instant::now();
        single.video_ranking_page(&query).await.unwrap();
        latencies.push(seconds(start));
    }
    let measured = median(latencies);
    let bound = 300.0 * LATENCY.as_secs_f64() / CONCURRENCY as f64;
    let measured_bound = 300.0 * measured / CONCURRENCY as f64;
    let mut times = Vec::new();
    for _ in 0..ROUNDS {
        fake.script(vec![Reply::Slow(LATENCY); 300]);
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("bench.sqlite3")).unwrap();
        let start = Instant::now();
        let report = store.sync(&client(&fake), &plan, options()).await.unwrap();
        times.push(seconds(start));
        assert_eq!((report.rankings_done, report.pages), (30, 300));
    }
    let time = median(times);
    println!(
        "30 rankings × 10 pages at 20 ms, concurrency 8: {time:.3} s; bound N·L/C {bound:.3} s with L = 20 ms: ratio {:.3}; \
         {measured_bound:.3} s with L = {:.1} ms measured one page at a time: ratio {:.3} (median of {ROUNDS})",
        time / bound,
        measured * 1000.0,
        time / measured_bound
    );
}

/// A decoded page of ten realistic videos, renumbered to page `page` with video ids from
/// `first_video` on.
fn page(template: &Page, page: u32, first_video: u64) -> Page {
    let mut page_of = template.clone();
    page_of.page = page;
    for (slot, video) in page_of.items.iter_mut().enumerate() {
        video.rank = u64::from(page - 1) * 10 + slot as u64 + 1;
        video.video_id = format!("76013979779{:08}", first_video + slot as u64);
    }
    page_of
}

fn template() -> Page {
    let items: Vec<_> = (1..=10).map(keyapi_tiktok_testkit::video).collect();
    let body = serde_json::json!({ "code": 0, "message": "success", "data": items });
    let query = VideoRankingQuery::new(
        date(2026, 11, 20),
        "US".parse().unwrap(),
        RankField::Views,
        Period::Daily,
    );
    Page::from_body(body.to_string().as_bytes(), &query).unwrap()
}

fn key(day: jiff::civil::Date) -> RankingKey {
    RankingKey::new(day, "US".parse().unwrap(), RankField::Views, Period::Daily)
}

/// Rows a second into `entries` through the sync's writer (thread, channel, a transaction
/// per batch of pages), each page's rows with its ranking's progress; pages decoded
/// beforehand, the store opened and closed (its last checkpoint) within the time. Two
/// cases: one ranking of 50,000 distinct videos, and a 50-day backfill of daily rankings of
/// the same 1,000 videos.
fn inserts() {
    let template = template();
    let distinct: Vec<Page> = (1..=5_000u32)
        .map(|n| page(&template, n, u64::from(n) * 10))
        .collect();
    let repeated: Vec<Page> = (1..=100u32)
        .map(|n| page(&template, n, u64::from(n) * 10))
        .collect();
    let (mut new_videos, mut known_videos) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bench.sqlite3");
        drop(Store::open(&path).unwrap());
        let ranking = key(date(2026, 11, 20));
        let pages: Vec<_> = distinct
            .iter()
            .map(|page| (ranking.clone(), page.clone()))
            .collect();
        let start = Instant::now();
        let rows = __bench_write(&path, 5_000, pages.into_iter()).unwrap();
        new_videos.push(rows as f64 / seconds(start));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bench.sqlite3");
        drop(Store::open(&path).unwrap());
        let pages: Vec<_> = (0..50)
            .flat_map(|day| {
                let ranking = key(date(2026, 10, 1)
                    .checked_add(jiff::Span::new().days(day))
                    .unwrap());
                repeated
                    .iter()
                    .map(move |page| (ranking.clone(), page.clone()))
            })
            .collect();
        let start = Instant::now();
        let rows = __bench_write(&path, 100, pages.into_iter()).unwrap();
        known_videos.push(rows as f64 / seconds(start));
    }
    println!(
        "inserts into entries: {:.0} rows/s for one ranking of 50,000 distinct videos, {:.0} rows/s for 50 daily rankings of the same 1,000 videos (medians of {ROUNDS})",
        median(new_videos),
        median(known_videos)
    );
}

/// Peak resident memory, from /proc/self/status.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Peak memory after storing 100 pages, then 1,000, then 10,000, pages made as they are
/// written: it rises while the writer's queue (up to `MAX_BATCH` pages) fills, then stays.
fn memory() {
    let template = template();
    let mut peaks = Vec::new();
    for count in [100u32, 1_000, 10_000] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bench.sqlite3");
        let ranking = key(date(2026, 11, 20));
        let pages = (1..=count).map(|n| (ranking.clone(), page(&template, n, u64::from(n) * 10)));
        __bench_write(&path, count, pages).unwrap();
        peaks.push(peak_kib().map(|kib| format!("{:.1} MiB", kib as f64 / 1024.0)));
    }
    match peaks.as_slice() {
        [Some(small), Some(medium), Some(large)] => println!(
            "peak memory (VmHWM): {small} after 100 pages, {medium} after 1,000, {large} after 10,000"
        ),
        _ => println!("peak memory: /proc/self/status unavailable"),
    }
}

/// 1,000 daily rankings of 1,000 videos (1,000,000 entries) drawn from 2,000 videos, so
/// each video has about 500 entries; then `history`, `movers` and `report` (top 100 over
/// 30 periods), timed, with their plans.
fn million_entries() {
    let template = template();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.sqlite3");
    let first = date(2024, 1, 1);
    let start = Instant::now();
    let pages = (0..1_000u64).flat_map(|ranking| {
        let day = key(first
            .checked_add(jiff::Span::new().days(ranking as i64))
            .unwrap());
        let template = &template;
        (1..=100u32).map(move |n| {
            let mut page = page(template, n, 0);
            for video in &mut page.items {
                let id = (video.rank - 1 + ranking * 37) % 2_000 + 1;
                video.video_id = format!("76013979779{id:08}");
            }
            (day.clone(), page)
        })
    });
    __bench_write(&path, 100, pages).unwrap();
    println!("built 1,000,000 entries in {:.1} s", seconds(start));

    let store = Store::open_read_only(&path).unwrap();
    let timed = |run: &dyn Fn() -> usize| {
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..101 {
            let start = Instant::now();
            rows = run();
            times.push(seconds(start) * 1000.0);
        }
        (median(times), rows)
    };
    let (history_ms, history_rows) = timed(&|| store.history("7601397977900001234").unwrap().len());
    let movers_key = key(first.checked_add(jiff::Span::new().days(500)).unwrap());
    let (movers_ms, movers_rows) = timed(&|| store.movers(&movers_key).unwrap().movers.len());
    println!(
        "history: {history_ms:.2} ms for {history_rows} entries; movers: {movers_ms:.2} ms for {movers_rows} videos (medians of 101)"
    );
    let report_key = key(first.checked_add(jiff::Span::new().days(999)).unwrap());
    let (report_ms, report_rows) = timed(&|| {
        let report = store.report(&report_key, 100, 30).unwrap();
        report.top.iter().map(|video| video.ranks.len()).sum()
    });
    println!(
        "report: {report_ms:.2} ms for the top 100 over 30 periods ({report_rows} ranks; median of 101)"
    );
    let connection = rusqlite::Connection::open(&path).unwrap();
    let (video_ms, _) = timed(&|| {
        let mut statement = connection.prepare_cached(ONE_VIDEO).unwrap();
        let rows = statement.query_map(["7601397977900001234"], |_| Ok(()));
        rows.unwrap().count()
    });
    let start = Instant::now();
    let matched: i64 = connection
        .query_row(
            "SELECT count(*) FROM entries WHERE description LIKE '%#7 %'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let like_ms = seconds(start) * 1000.0;
    println!(
        "videos: {video_ms:.2} ms for one video (median of 101); captions LIKE '%#7 %' over 1,000,000 entries: {like_ms:.0} ms, {matched} matched"
    );
    explain(&path);
}

/// The latest metadata of one video, from the `videos` view.
const ONE_VIDEO: &str = "SELECT * FROM videos WHERE video_id = ?1";

fn explain(path: &Path) {
    let connection = rusqlite::Connection::open(path).unwrap();
    for (name, sql) in __QUERIES.into_iter().chain([("videos", ONE_VIDEO)]) {
        let mut statement = connection
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let parameters = std::iter::repeat_n(1, statement.parameter_count());
        let plan: Vec<String> = statement
            .query_map(rusqlite::params_from_iter(parameters), |row| {
                row.get::<_, String>(3)
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        println!("EXPLAIN QUERY PLAN {name}: {}", plan.join("; "));
    }
}
