//! Decoding a 10-item page: `Page::from_body` (spec-exact serde decode through the
//! generated types, then normalisation) against the plain serde decode of the generated
//! `VideoRankingResponse` from the same bytes. Targets (issue 32): at most 1.25 times as
//! long on the spec example page, 1.15 on the realistic one.
//!
//! Criterion reports the absolute times; a summary at the end times both side by side in
//! interleaved rounds and prints their median `ratio`, which is what the README quotes.
//!
//! ```sh
//! cargo bench -p keyapi-tiktok --bench decode
//! ```

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use keyapi_tiktok::{Page, VideoRankingQuery};
use keyapi_tiktok_openapi::types;

/// The pages, and the ratio to serde each is allowed.
fn fixtures() -> [(&'static str, Vec<u8>, f64); 2] {
    [
        ("spec_example", common::spec_example_page(), 1.25),
        ("realistic", common::realistic_page(), 1.15),
    ]
}

fn serde_decode(body: &[u8]) -> types::VideoRankingResponse {
    serde_json::from_slice(body).unwrap_or_else(|error| panic!("the fixture decodes: {error}"))
}

fn from_body(body: &[u8], query: &VideoRankingQuery) -> Page {
    Page::from_body(body, query).unwrap_or_else(|error| panic!("the fixture decodes: {error}"))
}

/// Checks that a fixture takes the fast path and normalises without a field issue, so the
/// comparison measures what it claims to.
fn check(name: &str, body: &[u8], query: &VideoRankingQuery) {
    let plain = serde_decode(body);
    let page = from_body(body, query);
    let items = plain.data.map_or(0, |items| items.len());
    assert_eq!(items, page.items.len(), "{name}: item count");
    assert_eq!(
        page.items.len() as u64,
        common::ITEMS,
        "{name}: a full page"
    );
    for video in &page.items {
        assert!(video.issues.is_empty(), "{name}: {:?}", video.issues);
    }
}

fn bench_decode(c: &mut Criterion) {
    let query = common::query();
    for (name, body, _) in fixtures() {
        check(name, &body, &query);
        let mut group = c.benchmark_group(format!("decode/{name}"));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("serde_generated_type", |b| {
            b.iter(|| serde_decode(black_box(&body)))
        });
        group.bench_function("page_from_body", |b| {
            b.iter(|| from_body(black_box(&body), black_box(&query)))
        });
        group.finish();
    }
}

/// Times `iterations` runs of `f`.
fn time(iterations: u32, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed()
}

/// Both decodes side by side: in each round the two run the same number of times, in
/// alternating order, so drift in the machine's load touches both alike.
fn summary() {
    let (rounds, budget) = if common::measuring() {
        (31, Duration::from_millis(40))
    } else {
        (1, Duration::from_micros(100))
    };
    let query = common::query();
    println!("\nsummary: median of {rounds} interleaved rounds");
    if !common::measuring() {
        println!("  (a check run without --bench: too small for the figures to mean anything)");
    }
    for (name, body, target) in fixtures() {
        // Enough iterations for a round of the slower decode to take about `budget`.
        let once = time(10, || drop(black_box(from_body(&body, &query)))) / 10;
        let iterations = (budget.as_nanos() / once.as_nanos().max(1)).clamp(1, 100_000) as u32;
        let serde = || drop(black_box(serde_decode(black_box(&body))));
        let normalised = || drop(black_box(from_body(black_box(&body), &query)));
        let (mut plain_times, mut page_times, mut ratios) = (vec![], vec![], vec![]);
        for round in 0..rounds {
            let (plain, page) = if round % 2 == 0 {
                let plain = time(iterations, serde);
                (plain, time(iterations, normalised))
            } else {
                let page = time(iterations, normalised);
                (time(iterations, serde), page)
            };
            let per = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(iterations);
            plain_times.push(per(plain));
            page_times.push(per(page));
            ratios.push(page.as_secs_f64() / plain.as_secs_f64());
        }
        let ratio = common::median(&ratios);
        let (plain, page) = (common::median(&plain_times), common::median(&page_times));
        println!(
            "{name:>13} ({} bytes): serde {plain:.2} µs, Page::from_body {page:.2} µs, \
             ratio = {ratio:.2} (target <= {target:.2}) [{}]",
            body.len(),
            if ratio <= target { "met" } else { "MISSED" },
        );
    }
}

/// `--instructions DECODER PAGE COUNT`: `COUNT` decodes and nothing else, for an
/// instruction count (`valgrind --tool=callgrind`, see the benches' README). DECODER:
/// `serde` or `page`; PAGE: `spec_example` or `realistic`.
fn instructions(decoder: &str, page: &str, count: u32) {
    let query = common::query();
    let Some((_, body, _)) = fixtures().into_iter().find(|(name, ..)| *name == page) else {
        panic!("--instructions: no page {page}");
    };
    for _ in 0..count {
        match decoder {
            "serde" => drop(black_box(serde_decode(black_box(&body)))),
            "page" => drop(black_box(from_body(black_box(&body), &query))),
            other => panic!("--instructions: no decoder {other}"),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--instructions") {
        let arg = |i: usize| args.get(at + i).map_or("", String::as_str);
        instructions(arg(1), arg(2), arg(3).parse().unwrap_or(100));
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    bench_decode(&mut criterion);
    criterion.final_summary();
    summary();
}
