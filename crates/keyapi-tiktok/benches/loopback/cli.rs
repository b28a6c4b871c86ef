//! The `keyapi-tiktok` command end to end against the bench's server, beside bare reqwest
//! and the bound; `sync` into a store against `videos --no-cache`; and the credits
//! rankings that end early cost at concurrency 8.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use keyapi_tiktok::Cache;

use crate::server::Server;
use crate::{API_KEY, Bare, Plan, bare_ramped_pages, common, verdict};

/// The server's latency in both parts.
const LATENCY: Duration = Duration::from_millis(20);

/// The command built beside this bench (`target/release/keyapi-tiktok` under `cargo bench`),
/// if it is there.
fn binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let path = profile_dir.join(format!("keyapi-tiktok{}", std::env::consts::EXE_SUFFIX));
    path.is_file().then_some(path)
}

/// `keyapi-tiktok SUBCOMMAND` asking the bench's server for `pages` pages of one ranking,
/// quietly and without retries.
fn command(
    binary: &Path,
    server: &Server,
    subcommand: &str,
    pages: u32,
    concurrency: usize,
) -> Command {
    let mut command = Command::new(binary);
    command
        .env("KEYAPI_API_KEY", API_KEY)
        .env_remove("KEYAPI_BASE_URL")
        .env_remove("KEYAPI_CACHE_DIR")
        .env_remove("KEYAPI_DB")
        .args([subcommand, "--date", "2026-01-31", "--region", "US"])
        .args(["--by", "sales", "--period", "daily"])
        .args(["--quiet", "--max-retries", "0"])
        .args(["--limit", &(u64::from(pages) * common::ITEMS).to_string()])
        .args(["--concurrency", &concurrency.to_string()])
        .args(["--base-url", &server.base_url()])
        .stdin(Stdio::null());
    command
}

/// Runs `command`, which must succeed having asked for exactly `pages` pages: its
/// wall-clock time, start-up and exit included, and its stdout.
fn timed(mut command: Command, server: &Server, pages: u32) -> (f64, Vec<u8>) {
    let before = server.requests();
    let start = Instant::now();
    let output = command.output().expect("run keyapi-tiktok");
    let elapsed = start.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "keyapi-tiktok failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        server.requests() - before,
        u64::from(pages),
        "exactly the pages asked for"
    );
    (elapsed, output.stdout)
}

/// One run of `keyapi-tiktok videos` for `pages` pages, with a fresh cache in `cache` or
/// `--no-cache`; its wall-clock time.
fn run(
    binary: &Path,
    server: &Server,
    pages: u32,
    concurrency: usize,
    cache: Option<&Path>,
) -> f64 {
    let mut command = command(binary, server, "videos", pages, concurrency);
    command.args(["--format", "ndjson"]);
    match cache {
        Some(dir) => command.arg("--cache-dir").arg(dir),
        None => command.arg("--no-cache"),
    };
    let (elapsed, stdout) = timed(command, server, pages);
    let records = stdout
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .count();
    assert_eq!(records as u64, u64::from(pages) * common::ITEMS);
    elapsed
}

/// One run of `keyapi-tiktok sync` of `pages` pages of one ranking into a new store at
/// `db`; its wall-clock time.
fn run_sync(binary: &Path, server: &Server, pages: u32, concurrency: usize, db: &Path) -> f64 {
    let mut command = command(binary, server, "sync", pages, concurrency);
    command.arg("--db").arg(db);
    timed(command, server, pages).0
}

/// `sync` of one ranking into a fresh store against `videos --no-cache` printing the same
/// pages, at concurrency 8, round by round: storing must not slow fetching.
pub(crate) fn sync_against_videos(plan: &Plan, report: &mut Vec<String>) {
    let Some(binary) = binary() else {
        report.push("cli sync: skipped, no keyapi-tiktok beside this bench".to_owned());
        return;
    };
    let server = Server::start(LATENCY);
    let (n, concurrency, rounds) = (plan.sync_pages, 8, plan.paging_rounds[1]);
    let bound = LATENCY.as_secs_f64() * f64::from(n) / concurrency as f64;
    let (mut synced, mut printed) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        for step in 0..2 {
            if (step + round) % 2 == 0 {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let db = dir.path().join("rankings.sqlite3");
                synced.push(run_sync(&binary, &server, n, concurrency, &db));
            } else {
                printed.push(run(&binary, &server, n, concurrency, None));
            }
        }
    }
    let (ratio, low, high) = round_by_round(&synced, &printed);
    let [synced, printed] = [synced, printed].map(|times| common::median(&times));
    report.push(format!(
        "cli sync, {n} pages of one ranking at {} ms, concurrency {concurrency}: bound N·L/C = \
         {bound:.3} s; sync into a fresh store {synced:.3} s ({:.3} × bound), videos \
         --no-cache {printed:.3} s ({:.3} × bound); sync ÷ videos, round by round = \
         {ratio:.3} (quartiles {low:.3}..{high:.3}) [{}] (medians of {rounds})",
        LATENCY.as_millis(),
        synced / bound,
        printed / bound,
        verdict(ratio <= 1.05),
    ));
}

/// The ratios `times[i] ÷ baseline[i]`, each round's runs being next to each other (which
/// cancels the machine's drift over the rounds, as the ratio of two medians does not): the
/// median and the quartiles.
fn round_by_round(times: &[f64], baseline: &[f64]) -> (f64, f64, f64) {
    let mut ratios: Vec<f64> = times.iter().zip(baseline).map(|(t, b)| t / b).collect();
    ratios.sort_by(f64::total_cmp);
    let (low, high) = (ratios[ratios.len() / 4], ratios[ratios.len() * 3 / 4]);
    (common::median(&ratios), low, high)
}

/// The command (cache on and `--no-cache`) and the credit-safe floor (bare reqwest with the
/// client's ramp) fetching the same pages, at concurrency 1 and 8, against `N·L/C`; ratios
/// round by round. Targets: the command within 2 % of the floor at concurrency 1 and 4 %
/// at 8; cache on within 3 % of `--no-cache` at 8.
pub(crate) async fn end_to_end(plan: &Plan, report: &mut Vec<String>) {
    let Some(binary) = binary() else {
        report.push(
            "cli: skipped, no keyapi-tiktok beside this bench (build it first: \
             cargo build --release -p keyapi-tiktok-cli)"
                .to_owned(),
        );
        return;
    };
    let server = Server::start(LATENCY);
    let n = plan.pages;
    for (concurrency, rounds) in [1, 8].into_iter().zip(plan.paging_rounds) {
        let bound = LATENCY.as_secs_f64() * f64::from(n) / concurrency as f64;
        let [mut floor, mut cached, mut uncached] = [(); 3].map(|()| Vec::new());
        for round in 0..rounds {
            for step in 0..3 {
                match (step + round) % 3 {
                    0 => {
                        let client = Bare::new(&server);
                        let time = bare_ramped_pages(&client, n, concurrency).await;
                        floor.push(time.as_secs_f64());
                    }
                    1 => {
                        let dir = tempfile::tempdir().expect("a temporary directory");
                        let cache = dir.path().join("cache");
                        cached.push(run(&binary, &server, n, concurrency, Some(&cache)));
                        // The command flushed its writes before exiting: all pages are there.
                        let stats = Cache::new(&cache).stats().await.expect("cache stats");
                        assert_eq!(stats.entries, u64::from(n), "every page was cached");
                    }
                    _ => uncached.push(run(&binary, &server, n, concurrency, None)),
                }
            }
        }
        let target = if concurrency == 1 { 1.02 } else { 1.04 };
        let (on_floor, on_low, on_high) = round_by_round(&cached, &floor);
        let (off_floor, off_low, off_high) = round_by_round(&uncached, &floor);
        let (ratio, low, high) = round_by_round(&cached, &uncached);
        let [floor, cached, uncached] =
            [floor, cached, uncached].map(|times| common::median(&times));
        report.push(format!(
            "cli, {n} pages at {} ms, concurrency {concurrency}: bound N·L/C = {bound:.3} s; \
             credit-safe floor (bare reqwest, the client's ramp) {floor:.3} s ({:.3} × bound); \
             keyapi-tiktok cache on {cached:.3} s, --no-cache {uncached:.3} s; round by \
             round: cache on ÷ floor = {on_floor:.3} (quartiles {on_low:.3}..{on_high:.3}) \
             [{}], --no-cache ÷ floor = {off_floor:.3} (quartiles {off_low:.3}..{off_high:.3}) \
             [{}], cache on ÷ --no-cache = {ratio:.3} (quartiles {low:.3}..{high:.3}){} \
             (medians of {rounds}; {})",
            LATENCY.as_millis(),
            floor / bound,
            verdict(on_floor <= target),
            verdict(off_floor <= target),
            if concurrency == 8 {
                format!(" [{}]", verdict(ratio <= 1.03))
            } else {
                String::new()
            },
            binary.display(),
        ));
    }
}

/// Credits that rankings of 13, 35 and 95 videos cost at concurrency 8 (20 ms a page): the
/// client's ramped window against its bound, beside a full window from the start (the
/// former scheme: bare reqwest, eight at a time, stopping at the first short page).
pub(crate) async fn credits(report: &mut Vec<String>) {
    let concurrency = 8;
    for videos in [13_u64, 35, 95] {
        let server = Server::ranking(Some(videos), LATENCY);
        let client = crate::client(&server);
        let pages = client
            .video_ranking(common::query())
            .concurrency(concurrency)
            .pages()
            .try_fold(0_u64, |pages, _| async move { Ok(pages + 1) })
            .await
            .expect("a ranking");
        // Requests dropped in flight may still reach the server: let them land.
        tokio::time::sleep(LATENCY * 5).await;
        let ours = server.requests();
        // Counted from the moment each request was sent: never fewer than the server saw.
        let counted = client.usage().credits_spent;

        let server = Server::ranking(Some(videos), LATENCY);
        let bare = Bare::new(&server);
        let query = common::query();
        let mut fetches = futures::stream::iter(1_u32..)
            .map(|page| {
                let query = query.clone().page(page);
                let bare = &bare;
                async move { bare.page(&query).await }
            })
            .buffered(concurrency);
        while let Some(items) = fetches.next().await {
            if items < common::ITEMS as usize {
                break;
            }
        }
        drop(fetches);
        tokio::time::sleep(LATENCY * 5).await;
        let full_window = server.requests();

        let bound = (2 * pages).min(pages + concurrency as u64 - 1);
        report.push(format!(
            "credits, a ranking of {videos} videos ({pages} pages) at concurrency {concurrency}: \
             {ours} (bound min(2p, p + C - 1) = {bound}; the client counted {counted}) [{}]; \
             a full window from the start (the former scheme): {full_window}",
            verdict(ours <= bound && counted >= ours),
        ));
    }
}
