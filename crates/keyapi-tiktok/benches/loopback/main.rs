//! The client over loopback HTTP, measured against bare reqwest and against the bounds set by
//! the server's latency and the rate limit.
//!
//! A tiny HTTP/1.1 keep-alive server on 127.0.0.1 (a thread per connection, `server.rs`)
//! answers each request with a full 10-item page, its own ids for each page number, after an
//! optional delay. Six figures:
//! 1. throughput of `Client::video_ranking_page` against bare `reqwest::Client` +
//!    `serde_json::from_slice::<VideoRankingResponse>` (target: at least 0.95 times),
//!    in interleaved rounds, median ratio; the generated client alone and bare reqwest +
//!    `Page::from_body` are measured beside them, to show where a difference comes from;
//! 2. 100 pages at 20 ms server latency, concurrency 1 and 8, against the bound
//!    `max(N·L/C, N/qps)`, and against bare reqwest with a full window from the start
//!    (target at concurrency 8: within 10 % of it, the price of the ramp);
//! 3. 40 pages at 20 requests a second against `N/qps` (target: within 10 %);
//! 4. peak RSS (`VmHWM`) streaming 10,000 pages against 100, each in a fresh process
//!    (this binary re-run with `--memory-child PAGES`): it must stay flat;
//! 5. the release `keyapi-tiktok` command end to end (`cli.rs`), cache on and `--no-cache`,
//!    the same 100 pages at concurrency 1 and 8, beside bare reqwest and the bound (target:
//!    cache on within 3 % of `--no-cache` at concurrency 8);
//! 6. the credits rankings of 13, 35 and 95 videos cost at concurrency 8, against the
//!    bound `min(2p, p + C - 1)` and a full window from the start;
//! 7. `keyapi-tiktok sync` of one ranking of 300 pages into a fresh store against
//!    `videos --no-cache` fetching the same pages, 20 ms, concurrency 8 (target: within
//!    5 %: storing never slows fetching).
//!
//! Nothing leaves the machine, and every loop is bounded in count. Without `--bench` (as
//! under `cargo test --all-targets`) each part runs once, small, to prove it works.
//!
//! ```sh
//! cargo build --release -p keyapi-tiktok-cli   # the command figure 5 runs
//! cargo bench -p keyapi-tiktok --bench loopback
//! ```

mod cli;
#[path = "../common/mod.rs"]
mod common;
mod server;

use std::future::Future;
use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use keyapi_tiktok::{Client, RetryPolicy, VideoRankingQuery};
use keyapi_tiktok_openapi::types;
use server::Server;

const API_KEY: &str = "bench-key";
const PATH: &str = keyapi_tiktok_spec::VIDEO_RANKING.path;
/// Both clients get these, and reqwest's default keep-alive pool.
const TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The sizes of one run: the real measurement, or a quick check that everything works.
struct Plan {
    throughput_rounds: usize,
    requests_per_round: usize,
    pages: u32,
    paging_rounds: [usize; 2],
    sync_pages: u32,
    qps_pages: u32,
    qps_rounds: usize,
    memory_sizes: [u32; 2],
    memory_runs: usize,
}

impl Plan {
    fn new(measuring: bool) -> Plan {
        if measuring {
            Plan {
                throughput_rounds: 21,
                requests_per_round: 1_000,
                pages: 100,
                paging_rounds: [3, 15],
                sync_pages: 300,
                qps_pages: 40,
                qps_rounds: 3,
                memory_sizes: [100, 10_000],
                memory_runs: 2,
            }
        } else {
            Plan {
                throughput_rounds: 1,
                requests_per_round: 20,
                pages: 8,
                paging_rounds: [1, 1],
                sync_pages: 8,
                qps_pages: 4,
                qps_rounds: 1,
                memory_sizes: [5, 20],
                memory_runs: 1,
            }
        }
    }
}

fn client(server: &Server) -> Client {
    client_with(server, None)
}

fn client_with(server: &Server, requests_per_second: Option<f64>) -> Client {
    let mut builder = Client::builder()
        .api_key(API_KEY)
        .base_url(server.base_url())
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .retry(RetryPolicy::never());
    if let Some(rate) = requests_per_second {
        builder = builder.requests_per_second(rate);
    }
    builder.build().expect("a loopback client")
}

/// What a hand-written client does: reqwest with the same settings, one serde decode.
struct Bare {
    http: reqwest::Client,
    url: String,
}

impl Bare {
    fn new(server: &Server) -> Bare {
        // The same TLS stack as the client under test (reqwest alone has no crypto provider).
        let http = keyapi_tiktok::http_client_builder()
            .expect("a TLS setup")
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .expect("a reqwest client");
        Bare {
            http,
            url: format!("{}{PATH}", server.base_url()),
        }
    }

    async fn body(&self, query: &VideoRankingQuery) -> impl AsRef<[u8]> + use<> {
        let response = self
            .http
            .get(&self.url)
            .bearer_auth(API_KEY)
            .header(reqwest::header::ACCEPT, "application/json")
            .query(&[
                ("date", query.date().to_string()),
                ("page_num", query.page_number().to_string()),
                ("page_size", query.size().to_string()),
                ("rank_type", query.period().code().to_string()),
                ("region", query.region().as_str().to_owned()),
                ("video_rank_field", query.rank_field().code().to_string()),
            ])
            .send()
            .await
            .expect("bare request");
        assert!(response.status().is_success(), "{}", response.status());
        response.bytes().await.expect("bare body")
    }

    async fn page(&self, query: &VideoRankingQuery) -> usize {
        let body = self.body(query).await;
        let page: types::VideoRankingResponse =
            serde_json::from_slice(body.as_ref()).expect("bare decode");
        assert_eq!(page.code, 0);
        page.data.map_or(0, |items| items.len())
    }
}

/// The four ways to fetch a page compared for throughput, each layer adding one thing.
#[derive(Clone, Copy)]
enum Fetcher {
    /// Bare reqwest + serde decode of the generated type: the reference.
    Bare,
    /// The progenitor-generated client alone: request building, the same serde decode.
    Generated,
    /// Bare reqwest, decoded and normalised with `Page::from_body`.
    BareNormalised,
    /// `Client::video_ranking_page`: all of the above, plus validation, spans, accounting.
    Client,
}

impl Fetcher {
    const ALL: [Fetcher; 4] = [
        Fetcher::Bare,
        Fetcher::Generated,
        Fetcher::BareNormalised,
        Fetcher::Client,
    ];

    fn name(self) -> &'static str {
        match self {
            Fetcher::Bare => "bare reqwest + serde",
            Fetcher::Generated => "generated client",
            Fetcher::BareNormalised => "bare reqwest + Page::from_body",
            Fetcher::Client => "keyapi_tiktok::Client",
        }
    }
}

/// One of each kind of client, all talking to the same server.
struct Fetchers {
    bare: Bare,
    generated: keyapi_tiktok_openapi::Client,
    client: Client,
    query: VideoRankingQuery,
}

impl Fetchers {
    fn new(server: &Server) -> Fetchers {
        let mut headers = reqwest::header::HeaderMap::new();
        let auth = format!("Bearer {API_KEY}").parse().expect("a header value");
        headers.insert(reqwest::header::AUTHORIZATION, auth);
        // The same TLS stack as the client under test (reqwest alone has no crypto provider).
        let http = keyapi_tiktok::http_client_builder()
            .expect("a TLS setup")
            .default_headers(headers)
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .expect("a reqwest client");
        Fetchers {
            bare: Bare::new(server),
            generated: keyapi_tiktok_openapi::Client::new_with_client(&server.base_url(), http),
            client: client(server),
            query: common::query(),
        }
    }

    async fn fetch(&self, fetcher: Fetcher) -> usize {
        let query = &self.query;
        match fetcher {
            Fetcher::Bare => self.bare.page(query).await,
            Fetcher::Generated => {
                let date = query.date().to_string();
                let response = self
                    .generated
                    .get_api_v3_echotik_video_ranklist(
                        None,
                        &date,
                        i64::from(query.page_number()),
                        i64::from(query.size()),
                        None,
                        query.period().code(),
                        query.region().as_str(),
                        query.rank_field().code(),
                    )
                    .await
                    .expect("generated request");
                response.into_inner().data.map_or(0, |items| items.len())
            }
            Fetcher::BareNormalised => {
                let body = self.bare.body(query).await;
                let page = keyapi_tiktok::Page::from_body(body.as_ref(), query).expect("a page");
                page.items.len()
            }
            Fetcher::Client => {
                let page = self
                    .client
                    .video_ranking_page(query)
                    .await
                    .expect("client request");
                page.items.len()
            }
        }
    }
}

/// Requests per second of `requests` calls to `fetch`, `concurrency` at a time.
async fn requests_per_second<F, Fut>(requests: usize, concurrency: usize, fetch: F) -> f64
where
    F: Fn() -> Fut,
    Fut: Future<Output = usize>,
{
    let start = Instant::now();
    let items: usize = futures::stream::iter(0..requests)
        .map(|_| fetch())
        .buffer_unordered(concurrency)
        .fold(0, |sum, items| async move { sum + items })
        .await;
    assert_eq!(items as u64, requests as u64 * common::ITEMS);
    requests as f64 / start.elapsed().as_secs_f64()
}

/// Throughput of each [`Fetcher`] at concurrency 1 and 8, zero latency, in rounds that
/// rotate their order; each ratio is to bare reqwest in the same round.
async fn throughput(plan: &Plan, report: &mut Vec<String>) {
    let server = Server::start(Duration::ZERO);
    for concurrency in [1, 8] {
        let fetchers = &Fetchers::new(&server);
        let rate = move |fetcher: Fetcher, requests: usize| {
            requests_per_second(requests, concurrency, move || fetchers.fetch(fetcher))
        };
        // Warm-up: open the connections, fault in the allocator's pages.
        for fetcher in Fetcher::ALL {
            rate(fetcher, plan.requests_per_round / 4 + 8).await;
        }
        let mut rates = [(); 4].map(|()| Vec::new());
        for round in 0..plan.throughput_rounds {
            for i in 0..Fetcher::ALL.len() {
                let at = (i + round) % Fetcher::ALL.len();
                rates[at].push(rate(Fetcher::ALL[at], plan.requests_per_round).await);
            }
        }
        report.push(format!(
            "throughput, concurrency {concurrency}, {} rounds of {} requests, medians:",
            plan.throughput_rounds, plan.requests_per_round
        ));
        let bare = common::median(&rates[0]);
        for (fetcher, rates_of) in Fetcher::ALL.into_iter().zip(&rates) {
            let ratios: Vec<f64> = rates_of.iter().zip(&rates[0]).map(|(a, b)| a / b).collect();
            let (rps, ratio) = (common::median(rates_of), common::median(&ratios));
            report.push(format!(
                "  {:<31} {rps:>6.0} req/s, {:>6.1} µs a request, ratio = {ratio:.3} \
                 (range {:.3}..{:.3}){}",
                fetcher.name(),
                1e6 / rps,
                ratios.iter().copied().fold(f64::INFINITY, f64::min),
                ratios.iter().copied().fold(0.0, f64::max),
                match fetcher {
                    Fetcher::Client => format!(
                        ", {:.1} µs more than bare [{}]",
                        1e6 / rps - 1e6 / bare,
                        verdict(ratio >= 0.95)
                    ),
                    _ => String::new(),
                },
            ));
        }
    }
}

/// Streams `pages` pages and returns the time it took, checking the credits spent.
async fn stream_pages(client: &Client, pages: u32, concurrency: usize) -> Duration {
    let start = Instant::now();
    let seen = client
        .video_ranking(common::query())
        .limit(u64::from(pages) * common::ITEMS)
        .concurrency(concurrency)
        .pages()
        .try_fold(0_u32, |seen, page| async move {
            black_box(page);
            Ok(seen + 1)
        })
        .await
        .expect("a streamed ranking");
    let elapsed = start.elapsed();
    assert_eq!(seen, pages);
    assert_eq!(client.usage().credits_spent, u64::from(pages));
    elapsed
}

/// The same pages fetched with bare reqwest, `concurrency` at a time, in order.
async fn bare_pages(bare: &Bare, pages: u32, concurrency: usize) -> Duration {
    let start = Instant::now();
    let query = common::query();
    let items: usize = futures::stream::iter(1..=pages)
        .map(|page| {
            let query = query.clone().page(page);
            async move { bare.page(&query).await }
        })
        .buffered(concurrency)
        .fold(0, |sum, items| async move { sum + items })
        .await;
    assert_eq!(items as u64, u64::from(pages) * common::ITEMS);
    start.elapsed()
}

/// The same pages fetched with bare reqwest with the client's ramp (two in flight, one more
/// for each page received, up to `concurrency`), in order: the credit-safe floor the command
/// is measured against. At concurrency 1 it is [`bare_pages`].
async fn bare_ramped_pages(bare: &Bare, pages: u32, concurrency: usize) -> Duration {
    let start = Instant::now();
    let query = common::query();
    let mut in_flight = futures::stream::FuturesOrdered::new();
    let (mut next, mut received, mut items) = (1, 0_usize, 0);
    loop {
        while in_flight.len() < received.saturating_add(2).min(concurrency) && next <= pages {
            let query = query.clone().page(next);
            in_flight.push_back(async move { bare.page(&query).await });
            next += 1;
        }
        match in_flight.next().await {
            Some(page_items) => {
                items += page_items;
                received += 1;
            }
            None => break,
        }
    }
    assert_eq!(items as u64, u64::from(pages) * common::ITEMS);
    start.elapsed()
}

/// 100 pages at 20 ms server latency, concurrency 1 and 8, against `N·L/C`; then 40 pages
/// at 20 requests a second against `N/qps`.
async fn paging(plan: &Plan, report: &mut Vec<String>) {
    let latency = Duration::from_millis(20);
    let server = Server::start(latency);
    let n = plan.pages;
    for (concurrency, rounds) in [1, 8].into_iter().zip(plan.paging_rounds) {
        let bound = latency.as_secs_f64() * f64::from(n) / concurrency as f64;
        let (mut ours, mut theirs) = (vec![], vec![]);
        for round in 0..rounds {
            // A fresh client each round, so connection set-up counts as it would in a run.
            let client = client(&server);
            let bare = Bare::new(&server);
            if round % 2 == 0 {
                ours.push(stream_pages(&client, n, concurrency).await.as_secs_f64());
                theirs.push(bare_pages(&bare, n, concurrency).await.as_secs_f64());
            } else {
                theirs.push(bare_pages(&bare, n, concurrency).await.as_secs_f64());
                ours.push(stream_pages(&client, n, concurrency).await.as_secs_f64());
            }
        }
        let (ours, theirs) = (common::median(&ours), common::median(&theirs));
        let ratio = ours / bound;
        report.push(format!(
            "paging, {n} pages at {} ms, concurrency {concurrency}: bound N·L/C = {bound:.3} s, \
             client {ours:.3} s, ratio = {ratio:.3}; bare reqwest {theirs:.3} s, ratio = {:.3} \
             (medians of {rounds}){}",
            latency.as_millis(),
            theirs / bound,
            if concurrency == 8 {
                // The ramp's price: one round trip more than a full window from the start.
                format!(
                    ", client ÷ bare reqwest (a full window) = {:.3} [{}]",
                    ours / theirs,
                    verdict(ours / theirs <= 1.10)
                )
            } else {
                String::new()
            },
        ));
    }

    let qps = 20.0;
    let n = plan.qps_pages;
    let concurrency = 8;
    let bound = (f64::from(n) / qps).max(latency.as_secs_f64() * f64::from(n) / 8.0);
    let mut times = vec![];
    for _ in 0..plan.qps_rounds {
        let client = client_with(&server, Some(qps));
        times.push(stream_pages(&client, n, concurrency).await.as_secs_f64());
    }
    let time = common::median(&times);
    let ratio = time / bound;
    report.push(format!(
        "paging, {n} pages at {} ms, concurrency {concurrency}, {qps} requests/s: client \
         {time:.3} s, bound N/qps = {bound:.3} s, ratio = {ratio:.3} (median of {}) [{}]",
        latency.as_millis(),
        times.len(),
        verdict((ratio - 1.0).abs() <= 0.10),
    ));
}

/// Peak RSS streaming each size of ranking, each run in a fresh process.
fn memory(plan: &Plan, report: &mut Vec<String>) {
    let exe = std::env::current_exe().expect("the bench's own path");
    let mut peaks = [0_u64; 2];
    for _ in 0..plan.memory_runs {
        for (size, peak) in plan.memory_sizes.iter().zip(&mut peaks) {
            let output = Command::new(&exe)
                .args(["--memory-child", &size.to_string()])
                .output()
                .expect("run the memory child");
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(output.status.success(), "memory child failed: {stdout}");
            let line = stdout
                .lines()
                .find(|line| line.starts_with("memory:"))
                .expect("the memory child reports");
            println!("{line}");
            assert_eq!(
                field(line, "credits_spent="),
                u64::from(*size),
                "a credit a page"
            );
            let hwm = field(line, "vmhwm_kib=");
            *peak = (*peak).max(hwm);
        }
    }
    let [small, large] = plan.memory_sizes;
    let ratio = peaks[1] as f64 / peaks[0] as f64;
    report.push(format!(
        "memory, peak RSS (VmHWM): {small} pages {} KiB, {large} pages {} KiB, ratio = {ratio:.3} \
         (largest of {} fresh processes each; each spent a credit a page) [{}]",
        peaks[0],
        peaks[1],
        plan.memory_runs,
        verdict(ratio <= 1.05),
    ));
}

/// The child side of [`memory`]: stream `pages` pages from a zero-latency server in this
/// process, dropping each page, and print the peak RSS before and after.
fn memory_child(pages: u32) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a client runtime");
    let server = Server::start(Duration::ZERO);
    let client = client(&server);
    let before = vmhwm_kib();
    let elapsed = runtime.block_on(stream_pages(&client, pages, 1));
    let usage = client.usage();
    println!(
        "memory: pages={pages} credits_spent={} requests_sent={} seconds={:.2} \
         before_kib={before} vmhwm_kib={}",
        usage.credits_spent,
        usage.requests_sent,
        elapsed.as_secs_f64(),
        vmhwm_kib(),
    );
}

/// This process's peak resident set size, from `/proc/self/status` (0 where unavailable).
fn vmhwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn field(line: &str, name: &str) -> u64 {
    line.split_whitespace()
        .find_map(|part| part.strip_prefix(name))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// `--instructions PATH REQUESTS`: one path fetching `REQUESTS` pages at concurrency 1 from
/// a zero-latency server in this process, and nothing else, for an instruction count
/// (`valgrind --tool=callgrind`, see the benches' README); the difference of two counts
/// (say 40 and 240 requests) divided by the difference of requests is a request's cost,
/// start-up and warm-up cancelled. PATH: `bare` (reqwest + serde), `bare-normalised`
/// (reqwest + `Page::from_body`), `client` (`Client::video_ranking_page` of one page
/// again and again), `stream` (a ranking's pages, no cache) or `stream-cached` (the same
/// into a fresh cache: every lookup a miss, every page written).
fn instructions(path: &str, requests: u32) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a client runtime");
    let server = Server::start(Duration::ZERO);
    let fetchers = Fetchers::new(&server);
    let fetcher = match path {
        "bare" => Some(Fetcher::Bare),
        "bare-normalised" => Some(Fetcher::BareNormalised),
        "client" => Some(Fetcher::Client),
        "stream" | "stream-cached" => None,
        other => panic!("--instructions: no path {other}"),
    };
    let items = runtime.block_on(async {
        match fetcher {
            Some(fetcher) => {
                let mut items = 0;
                for _ in 0..requests {
                    items += fetchers.fetch(fetcher).await;
                }
                items as u64
            }
            None => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let mut builder = Client::builder()
                    .api_key(API_KEY)
                    .base_url(server.base_url())
                    .retry(RetryPolicy::never());
                if path == "stream-cached" {
                    builder = builder.cache(keyapi_tiktok::Cache::new(dir.path().join("cache")));
                }
                let client = builder.build().expect("a loopback client");
                stream_pages(&client, requests, 1).await;
                client.flush_cache(Duration::from_secs(60)).await;
                u64::from(requests) * common::ITEMS
            }
        }
    });
    println!("instructions: {path} {requests} requests, {items} items");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--memory-child") {
        let pages = args.get(at + 1).and_then(|n| n.parse().ok()).unwrap_or(100);
        memory_child(pages);
        return;
    }
    if let Some(at) = args.iter().position(|arg| arg == "--serve") {
        // The bench's server alone, for the command under a profiler: prints its base URL,
        // serves until stdin closes.
        let latency = args.get(at + 1).and_then(|ms| ms.parse().ok()).unwrap_or(0);
        let server = Server::start(Duration::from_millis(latency));
        println!("{}", server.base_url());
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        return;
    }
    if let Some(at) = args.iter().position(|arg| arg == "--instructions") {
        let path = args.get(at + 1).map_or("client", String::as_str);
        let requests = args.get(at + 2).and_then(|n| n.parse().ok()).unwrap_or(100);
        instructions(path, requests);
        return;
    }
    let plan = Plan::new(common::measuring());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a client runtime");
    let mut report = Vec::new();
    runtime.block_on(throughput(&plan, &mut report));
    runtime.block_on(paging(&plan, &mut report));
    runtime.block_on(cli::end_to_end(&plan, &mut report));
    runtime.block_on(cli::credits(&mut report));
    cli::sync_against_videos(&plan, &mut report);
    memory(&plan, &mut report);
    println!(
        "\nsummary (client: one current-thread tokio runtime; server: a thread per connection):"
    );
    if !common::measuring() {
        println!("  (a check run without --bench: too small for the figures to mean anything)");
    }
    for line in report {
        println!("  {line}");
    }
}
