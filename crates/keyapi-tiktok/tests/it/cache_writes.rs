//! Cache writes off the fetch path: a page is handed over before it is written, and a
//! flush waits for the writes (with a bound) so the next run finds them.
#![cfg(feature = "cache")]

use std::path::Path;
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use jiff::civil::date;
use keyapi_tiktok::{Cache, Client, Period, RankField, RetryPolicy, VideoRankingQuery};
use keyapi_tiktok_testkit::FakeKeyApi;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

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
    std::fs::read_dir(dir.join("pages-v1")).is_ok_and(|mut entries| entries.next().is_some())
}

/// Answers with a full page, and first takes the test runtime's only blocking thread
/// until `release` is sent: from then on, no cache write can run until the test says so.
struct BlockingWrites {
    runtime: tokio::runtime::Handle,
    release: Mutex<Option<mpsc::Receiver<()>>>,
}

impl Respond for BlockingWrites {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if let Some(release) = self.release.lock().expect("not poisoned").take() {
            self.runtime.spawn_blocking(move || release.recv());
        }
        let data: Vec<_> = (1..=10).map(keyapi_tiktok_testkit::video).collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "code": 0, "message": "success", "data": data, "requestId": "r-1"
        }))
    }
}

#[test]
fn a_page_is_handed_over_before_it_is_written_and_a_flush_waits_for_the_write() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(1)
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cache = Cache::new(dir.path().join("cache"));
    let (release, released) = mpsc::channel();
    runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(BlockingWrites {
                runtime: tokio::runtime::Handle::current(),
                release: Mutex::new(Some(released)),
            })
            .mount(&server)
            .await;
        let client = Client::builder()
            .api_key("sk-test")
            .base_url(server.uri())
            .retry(RetryPolicy::no_delay(1))
            .cache(cache.clone())
            .build()
            .expect("client");

        let page = client.video_ranking_page(&query()).await.expect("a page");
        assert_eq!(page.items.len(), 10);
        assert!(
            !has_entries(cache.dir()),
            "the page was written before it was handed over"
        );
        // The write is held up: a flush gives up when its time is out, and says so.
        assert!(!client.flush_cache(Duration::from_millis(50)).await);
        assert!(!has_entries(cache.dir()));

        release.send(()).expect("the blocker waits");
        assert!(client.flush_cache(Duration::from_secs(10)).await);
        assert!(has_entries(cache.dir()));
        let again = Client::builder()
            .api_key("sk-test")
            .base_url(server.uri())
            .cache(Cache::new(cache.dir()))
            .build()
            .expect("client");
        let cached = again.video_ranking_page(&query()).await.expect("a page");
        assert_eq!(cached.items, page.items);
        assert_eq!(again.usage().cache_hits, 1);
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));
    });
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
    // A fresh client: the server's count could still grow by a page requested past the
    // end and dropped in flight, arriving late.
    let again = self::client(&fake, &Cache::new(cache.dir()));
    let pages = again.video_ranking(query()).limit(95).pages();
    let pages = futures::TryStreamExt::map_ok(pages, |page| page.items.len());
    let lengths: Vec<usize> = futures::TryStreamExt::try_collect(pages)
        .await
        .expect("the ranking again");
    assert_eq!(lengths.iter().sum::<usize>(), 95);
    let usage = again.usage();
    assert_eq!(
        (usage.requests_sent, usage.cache_hits),
        (0, 10),
        "the second run is free"
    );
}

#[tokio::test]
async fn a_client_without_a_cache_has_nothing_to_flush() {
    let client = Client::builder().api_key("k").build().expect("client");
    assert!(client.flush_cache(Duration::ZERO).await);
}
