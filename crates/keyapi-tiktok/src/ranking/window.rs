//! The ramped window of a page stream: which pages are in flight, widened only after full
//! pages, so a ranking that ends early costs at most twice the pages it returned.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use futures::stream::{FuturesOrdered, StreamExt};

use super::Progress;
use crate::client::FetchedPage;
use crate::{Error, Page};

/// Pages `next..=last` fetched in order, at most `in_flight_limit()` at a time.
///
/// The window starts at two pages and grows by one for each full page yielded (so it
/// doubles every round trip) up to `concurrency`. When page `p` is the last, at most
/// `p - 1` full pages were yielded, so at most `2(p - 1) + 2 = 2p` pages were requested,
/// and never more than `p + concurrency - 1`. More pages are requested only while the
/// next one is not in yet, so pages that arrived together are taken first, widening the
/// window before it is topped up.
pub(super) struct Window<F, Fut: Future> {
    fetch: F,
    next: u32,
    last: u32,
    concurrency: usize,
    full_pages: usize,
    in_flight: FuturesOrdered<Fut>,
    progress: Progress,
}

impl<F, Fut> Window<F, Fut>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<FetchedPage, Error>>,
{
    /// Pages `first..=last`, `concurrency` (at least 1) at most at once.
    pub(super) fn new(
        first: u32,
        last: u32,
        concurrency: usize,
        progress: Progress,
        fetch: F,
    ) -> Self {
        Window {
            fetch,
            next: first,
            last,
            concurrency: concurrency.max(1),
            full_pages: 0,
            in_flight: FuturesOrdered::new(),
            progress,
        }
    }

    /// How many pages may be in flight now.
    fn in_flight_limit(&self) -> usize {
        self.full_pages.saturating_add(2).min(self.concurrency)
    }

    /// Requests pages up to the limit; whether any was added.
    fn top_up(&mut self) -> bool {
        let mut added = false;
        while self.in_flight.len() < self.in_flight_limit() && self.next <= self.last {
            self.in_flight.push_back((self.fetch)(self.next));
            added = true;
            // `last` is at most 100000: no overflow.
            self.next += 1;
        }
        added
    }
}

impl<F, Fut> Stream for Window<F, Fut>
where
    F: FnMut(u32) -> Fut + Unpin,
    Fut: Future<Output = Result<FetchedPage, Error>>,
{
    type Item = Result<Page, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.progress.done {
                return Poll::Ready(None);
            }
            match this.in_flight.poll_next_unpin(cx) {
                Poll::Ready(Some(fetched)) => {
                    // A refused page is not cached: a re-run would stop at it again.
                    let taken =
                        fetched.and_then(|fetched| fetched.accept(|page| this.progress.take(page)));
                    match &taken {
                        Err(_) => this.progress.done = true,
                        Ok(_) if !this.progress.done => this.full_pages += 1,
                        Ok(_) => {}
                    }
                    return Poll::Ready(Some(taken));
                }
                Poll::Ready(None) if !this.top_up() => {
                    this.progress.done = true;
                    return Poll::Ready(None);
                }
                Poll::Pending if !this.top_up() => return Poll::Pending,
                // New pages were added: poll them, so they are sent and wake this task.
                Poll::Ready(None) | Poll::Pending => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use futures::TryStreamExt;

    use super::*;
    use crate::{Period, RankField, VideoRankingQuery};

    /// Every page takes 20 ms: pages sent together arrive together.
    fn together(_page: u32) -> u64 {
        20
    }

    /// Each page arrives a millisecond after the one before it: the worst case, where the
    /// window is topped up before each next page is in.
    fn one_by_one(page: u32) -> u64 {
        20 + u64::from(page)
    }

    /// Streams a ranking of `videos` (ten a page) at `concurrency`, page `n` taking
    /// `latency(n)` ms; returns the pages yielded and the pages requested.
    async fn ranking(
        videos: u32,
        concurrency: usize,
        last: u32,
        latency: fn(u32) -> u64,
    ) -> (Vec<u32>, Vec<u32>) {
        let requested = Arc::new(Mutex::new(Vec::new()));
        let asked = Arc::clone(&requested);
        let query = VideoRankingQuery::new(
            jiff::civil::date(2026, 11, 23),
            "US".parse().expect("a region"),
            RankField::Views,
            Period::Daily,
        );
        let fetch = move |page: u32| {
            let (asked, query) = (Arc::clone(&asked), query.clone().page(page));
            async move {
                asked.lock().expect("not poisoned").push(page);
                tokio::time::sleep(Duration::from_millis(latency(page))).await;
                let first = (page - 1) * 10 + 1;
                let ids: Vec<_> = (first..=videos.min(page * 10))
                    .map(|rank| serde_json::json!({ "video_id": format!("v{rank}") }))
                    .collect();
                let body = serde_json::json!({ "code": 0, "message": "success", "data": ids });
                Page::from_body(body.to_string().as_bytes(), &query).map(FetchedPage::uncached)
            }
        };
        let progress = Progress::new(None, Vec::new());
        let pages: Vec<u32> = Window::new(1, last, concurrency, progress, fetch)
            .map_ok(|page| page.page)
            .try_collect()
            .await
            .expect("a ranking");
        let requested = requested.lock().expect("not poisoned").clone();
        (pages, requested)
    }

    #[tokio::test(start_paused = true)]
    async fn credits_of_rankings_that_end_early_at_concurrency_8_are_pinned() {
        // (videos, pages returned, pages requested when pages arrive together, when they
        // arrive one by one); the bound is min(2p, p + 7).
        let cases = [(5, 1, 2, 2), (13, 2, 2, 4), (35, 4, 6, 8), (95, 10, 14, 17)];
        for (videos, returned, together_cost, worst_cost) in cases {
            for (latency, cost) in [
                (together as fn(u32) -> u64, together_cost),
                (one_by_one, worst_cost),
            ] {
                let (pages, asked) = ranking(videos, 8, 100_000, latency).await;
                assert_eq!(pages, (1..=returned).collect::<Vec<_>>(), "{videos} videos");
                assert_eq!(asked, (1..=cost).collect::<Vec<_>>(), "{videos} videos");
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_window_doubles_every_round_trip_up_to_the_concurrency() {
        let started = tokio::time::Instant::now();
        let (pages, asked) = ranking(1000, 8, 100, together).await;
        assert_eq!((pages.len(), asked.len()), (100, 100));
        // Round trips: 2, 4, 8 pages, then 8 at a time: 14 in all, against 13 for a full
        // window from the start.
        assert_eq!(started.elapsed(), Duration::from_millis(14 * 20));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_1_requests_one_page_at_a_time() {
        let (pages, asked) = ranking(35, 1, 100_000, one_by_one).await;
        assert_eq!((pages.len(), asked.len()), (4, 4));
    }
}
