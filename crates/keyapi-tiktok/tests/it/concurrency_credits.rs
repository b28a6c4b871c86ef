//! What concurrent paging costs when a ranking ends before the pages asked for: the window
//! ramps up, so an early end never costs more than twice the pages it returned.

use std::time::Duration;

use crate::common::{builder, query};
use futures::TryStreamExt;
use keyapi_tiktok::Page;
use keyapi_tiktok_testkit::FakeKeyApi;

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
