//! Cache writes off the fetch path: a page is handed over before it is written, and a
//! flush waits for the writes (with a bound) so the next run finds them.
#![cfg(feature = "cache")]

use std::path::Path;
use std::time::Duration;

use jiff::civil::date;
use keyapi_tiktok::{Cache, Client, Period, RankField, RetryPolicy, VideoRankingQuery};
use keyapi_tiktok_testkit::FakeKeyApi;

/// A settled daily ranking: its pages are kept for good.
fn query() -> VideoRankingQuery {
    VideoRankingQuery::new(
        date(2026, 1, 31),
        "US".parse().expect("a region"),
        RankField::Views,
        Period::Daily,
    )
}

fn client(fake: &FakeKeyApi, cache: &Cache) -> Client {
    Client::builder()
        .api_key("sk-test")
        .base_url(fake.base_url())
        .retry(RetryPolicy::no_delay(1))
        .cache(cache.clone())
        .build()
        .expect("client")
}

/// Whether the cache directory holds any entry yet, looked at without yielding.
fn has_entries(dir: &Path) -> bool {
    std::fs::read_dir(dir.join("index-v5")).is_ok_and(|mut entries| entries.next().is_some())
}

#[tokio::test(flavor = "current_thread")]
async fn a_page_is_handed_over_before_it_is_written_and_a_flush_writes_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cache = Cache::new(dir.path().join("cache"));
    let fake = FakeKeyApi::with_videos(30).await;
    let client = client(&fake, &cache);

    let page = client.video_ranking_page(&query()).await.expect("a page");
    assert_eq!(page.items.len(), 10);
    // One thread: the write cannot have run, since this task has not yielded since.
    assert!(
        !has_entries(cache.dir()),
        "the page was written before it was handed over"
    );

    assert!(client.flush_cache(Duration::from_secs(10)).await);
    assert!(has_entries(cache.dir()));
    assert_eq!(cache.stats().await.expect("stats").entries, 1);
    let again = Client::builder()
        .api_key("sk-test")
        .base_url(fake.base_url())
        .cache(cache.clone())
        .build()
        .expect("client");
    let cached = again.video_ranking_page(&query()).await.expect("a page");
    assert_eq!(cached.items, page.items);
    assert_eq!((again.usage().cache_hits, fake.credits_spent()), (1, 1));
}

#[tokio::test(flavor = "current_thread")]
async fn a_flush_that_runs_out_of_time_says_so_and_a_later_one_finishes() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cache = Cache::new(dir.path().join("cache"));
    let fake = FakeKeyApi::with_videos(30).await;
    let client = client(&fake, &cache);
    client.video_ranking_page(&query()).await.expect("a page");
    // No time at all: the write has not run yet.
    assert!(!cache.flush(Duration::ZERO).await);
    assert!(cache.flush(Duration::from_secs(10)).await);
    assert!(has_entries(cache.dir()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_ranking_is_cached_once_flushed() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cache = Cache::new(dir.path().join("cache"));
    let fake = FakeKeyApi::with_videos(95).await;
    let client = client(&fake, &cache);
    let pages = futures::TryStreamExt::try_collect::<Vec<_>>(
        client.video_ranking(query()).concurrency(4).pages(),
    )
    .await
    .expect("the ranking");
    assert_eq!(pages.len(), 10);
    assert!(client.flush_cache(Duration::from_secs(10)).await);
    let spent = fake.credits_spent();
    let again = client.video_ranking(query()).limit(95).pages();
    let again = futures::TryStreamExt::map_ok(again, |page| page.items.len());
    let lengths: Vec<usize> = futures::TryStreamExt::try_collect(again)
        .await
        .expect("the ranking again");
    assert_eq!(lengths.iter().sum::<usize>(), 95);
    assert_eq!(fake.credits_spent(), spent, "the second run is free");
}

#[tokio::test]
async fn a_client_without_a_cache_has_nothing_to_flush() {
    let client = Client::builder().api_key("k").build().expect("client");
    assert!(client.flush_cache(Duration::ZERO).await);
}
