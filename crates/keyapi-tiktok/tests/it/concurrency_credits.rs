//! What concurrent paging costs when a ranking ends before the pages asked for: the window
//! ramps up, so an early end never costs more than twice the pages it returned; and the
//! requests still in flight then are counted and kept against the budget.

use std::time::Duration;

use crate::common::{builder, query};
use futures::{StreamExt, TryStreamExt};
use keyapi_tiktok::{Error, Page};
use keyapi_tiktok_testkit::{FakeKeyApi, Reply};

/// Streams a ranking of `videos` at `concurrency` with no limit; returns the pages yielded
/// and the credits the server charged.
async fn run(videos: usize, concurrency: usize) -> (Vec<Page>, u64) {
    let fake = FakeKeyApi::with_videos(videos).await;
    let client = builder(&fake.base_url()).build().expect("client");
    let pages: Vec<Page> = client
        .video_ranking(query())
        .concurrency(concurrency)
        .pages()
        .try_collect()
        .await
        .expect("the whole ranking");
    // Requests still in flight when the stream ended were dropped, perhaps after being
    // sent: give the server time to count them (the client cannot know of them).
    tokio::time::sleep(Duration::from_millis(200)).await;
    (pages, fake.credits_spent())
}

/// The bound the ramp keeps: twice the pages returned, and never more than
/// `concurrency - 1` pages past them.
fn bound(pages: u64, concurrency: u64) -> u64 {
    (2 * pages).min(pages + concurrency - 1)
}

#[tokio::test]
async fn an_early_end_at_concurrency_8_costs_at_most_twice_the_pages_returned() {
    // 13 videos: 2 pages (at most 4 credits); 35: 4 pages (8); 95: 10 pages (17).
    let mut costs = Vec::new();
    for (videos, pages_returned, most) in [(13, 2, 4), (35, 4, 8), (95, 10, 17)] {
        let (pages, credits) = run(videos, 8).await;
        assert_eq!(pages.len() as u64, pages_returned, "{videos} videos");
        let items: usize = pages.iter().map(|page| page.items.len()).sum();
        assert_eq!(items, videos);
        assert_eq!(bound(pages_returned, 8), most);
        costs.push((videos, credits, (pages_returned..=most).contains(&credits)));
    }
    assert!(
        costs.iter().all(|&(_, _, within)| within),
        "(videos, credits, within the bound) at concurrency 8: {costs:?}"
    );
}

#[tokio::test]
async fn a_one_page_ranking_at_concurrency_8_costs_at_most_two_credits() {
    for videos in [0, 7] {
        let (pages, credits) = run(videos, 8).await;
        assert_eq!(pages.len(), 1);
        assert!((1..=2).contains(&credits), "{videos} videos: {credits}");
    }
}

#[tokio::test]
async fn concurrency_1_still_asks_for_exactly_the_pages_returned() {
    let (pages, credits) = run(35, 1).await;
    assert_eq!((pages.len(), credits), (4, 4));
}

// A request counts from the moment it is sent: those still in flight when a ranking ends,
// fails or is dropped stay counted, and keep their share of the budget.

/// How long the slow pages take: far longer than the fast ones.
const SLOW: Reply = Reply::Slow(Duration::from_millis(400));

/// How a ranking is streamed in [`spend_the_budget`].
#[derive(Clone, Copy, Debug)]
enum Streamed {
    /// To its end (or its first error).
    Whole,
    /// Its first page only, then the stream is dropped.
    FirstPageThenDropped,
}

/// Streams 6 rankings of `fake` at concurrency 8 on one client with `credit_budget(3)`,
/// or fewer if the budget stops one; then checks that the server never charged more than
/// the budget and that the client counted no fewer credits than the server charged, nor
/// more than the budget or the requests it sent.
async fn spend_the_budget(fake: &FakeKeyApi, streamed: Streamed) {
    let client = builder(&fake.base_url())
        .credit_budget(3)
        .build()
        .expect("client");
    for _ in 0..6 {
        let mut pages = client.video_ranking(query()).concurrency(8).pages();
        let results: Vec<Result<Page, Error>> = match streamed {
            Streamed::Whole => pages.by_ref().collect().await,
            Streamed::FirstPageThenDropped => pages.next().await.into_iter().collect(),
        };
        drop(pages);
        if results
            .iter()
            .any(|result| matches!(result, Err(Error::BudgetExhausted { .. })))
        {
            break;
        }
    }
    // Let the server receive (and charge) what was sent before the streams were dropped.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let usage = client.usage();
    let charged = fake.credits_spent();
    assert!(
        charged <= 3,
        "{streamed:?}: the server charged {charged} credits on a budget of 3"
    );
    assert!(
        (charged..=usage.requests_sent.min(3)).contains(&usage.credits_spent),
        "{streamed:?}: {usage:?}, the server charged {charged}"
    );
}

#[tokio::test]
async fn a_budget_of_3_holds_at_the_server_when_rankings_end_with_pages_in_flight() {
    // Page 1 is short: the ranking ends while page 2 is still on its way.
    let fake = FakeKeyApi::with_videos(5).await;
    fake.on_page(2, SLOW);
    spend_the_budget(&fake, Streamed::Whole).await;
}

#[tokio::test]
async fn a_budget_of_3_holds_at_the_server_when_rankings_fail_with_pages_in_flight() {
    // Page 1 fails at once: the ranking ends with its error while page 2 is on its way.
    let fake = FakeKeyApi::with_videos(95).await;
    fake.on_page(1, Reply::ServerError);
    fake.on_page(2, SLOW);
    spend_the_budget(&fake, Streamed::Whole).await;
}

#[tokio::test]
async fn a_budget_of_3_holds_at_the_server_when_streams_are_dropped_with_pages_in_flight() {
    let fake = FakeKeyApi::with_videos(95).await;
    for page in 2..=8 {
        fake.on_page(page, SLOW);
    }
    spend_the_budget(&fake, Streamed::FirstPageThenDropped).await;
}

#[tokio::test]
async fn a_dropped_stream_keeps_its_requests_in_flight_counted() {
    let fake = FakeKeyApi::with_videos(95).await;
    fake.on_page(2, SLOW);
    let client = builder(&fake.base_url()).build().expect("client");
    let mut pages = client.video_ranking(query()).concurrency(8).pages();
    let first = pages.next().await.expect("a page").expect("page 1");
    assert_eq!(first.page, 1);
    drop(pages);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(fake.credits_spent(), 2, "pages 1 and 2 reached the server");
    let usage = client.usage();
    assert_eq!((usage.credits_spent, usage.requests_sent), (2, 2));
}

/// The test ranking's pages, eight at a time, as page numbers or error kinds.
#[cfg(feature = "cache")]
async fn page_numbers(client: &keyapi_tiktok::Client) -> Vec<Result<u32, &'static str>> {
    let pages: Vec<Result<Page, Error>> = client
        .video_ranking(query())
        .concurrency(8)
        .pages()
        .collect()
        .await;
    pages
        .iter()
        .map(|page| page.as_ref().map(|page| page.page).map_err(Error::kind))
        .collect()
}

/// A client builder for `fake` that caches in `dir`.
#[cfg(feature = "cache")]
fn cached(fake: &FakeKeyApi, dir: &std::path::Path) -> keyapi_tiktok::ClientBuilder {
    builder(&fake.base_url()).cache(keyapi_tiktok::Cache::new(dir))
}

/// The budget goes to pages in rank order: a later page never takes the credit an earlier
/// one needed (with a cache, each page's lookup finishes on a blocking thread in any order,
/// so page 4 could reserve the last credit and page 3 fail: the third credit bought a page
/// nobody saw). Repeated, since the order of the lookups is the machine's.
#[cfg(feature = "cache")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_buys_the_first_pages_of_a_ranking_in_rank_order() {
    let fake = FakeKeyApi::with_videos(95).await;
    for round in 0..20 {
        let cache = tempfile::tempdir().expect("a cache directory");
        let client = cached(&fake, cache.path())
            .credit_budget(3)
            .build()
            .expect("client");
        assert_eq!(
            page_numbers(&client).await,
            [Ok(1), Ok(2), Ok(3), Err("budget_exhausted")],
            "round {round}"
        );
    }
}

/// Cached pages take their turn too: with pages 1 and 3 cached and one credit, page 2 gets
/// it, however soon page 3's lookup ends (a hit that passed its turn at once would let
/// page 4 reserve the credit first). Repeated, since the order of the lookups is the
/// machine's.
#[cfg(feature = "cache")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_pages_keep_the_budget_in_rank_order() {
    let fake = FakeKeyApi::with_videos(95).await;
    for round in 0..40 {
        let cache = tempfile::tempdir().expect("a cache directory");
        let filler = cached(&fake, cache.path()).build().expect("client");
        for page in [1, 3] {
            filler
                .video_ranking_page(&query().page(page))
                .await
                .expect("a page to cache");
        }
        filler.flush_cache(Duration::from_secs(10)).await;
        let charged = fake.credits_spent();
        let client = cached(&fake, cache.path())
            .credit_budget(1)
            .build()
            .expect("client");
        assert_eq!(
            page_numbers(&client).await,
            [Ok(1), Ok(2), Ok(3), Err("budget_exhausted")],
            "round {round}"
        );
        assert_eq!(fake.credits_spent() - charged, 1, "round {round}");
    }
}
