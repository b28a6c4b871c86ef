//! Rankings of any length as streams that spend exactly the credits they need.

mod window;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::client::Turn;
use crate::query::MAX_PAGE;
use crate::{Client, ConformanceReport, Error, Page, RankedVideo, VideoRankingQuery};
use window::Window;

/// A ranking to stream, page after page, from the query's page on. Made by
/// [`Client::video_ranking`]; nothing is sent until the stream is polled.
///
/// It stops after `limit` items (asking for exactly `ceil(limit / page_size)` pages), at the
/// first page shorter than the page size (the end of the ranking, an empty page included),
/// at page 100000, and right after yielding an error. A page never has more than
/// `page_size` items (extra ones are dropped with a warning). A page whose videos are all
/// on the previous page (upstream ignoring `page_num`) is not yielded: the stream ends
/// with [`Error::RepeatedPage`] instead, and what it yielded before stays valid; the
/// repeated page is not cached, so a later run asks for it again.
///
/// With [`concurrency`](Ranking::concurrency) above 1, several pages are requested at once
/// and still yielded in rank order. The window ramps up: two pages first, then one more for
/// each full page yielded (it doubles every round trip) up to the concurrency, and it is
/// topped up only while the next page is not in yet. So when the ranking ends early, the
/// pages requested past its end cost at most as many credits as the pages it returned:
/// **a ranking that returns `p` pages costs at most `min(2p, p + concurrency - 1)`
/// credits** (at concurrency 8: 13 videos at most 4, 35 at most 8). A long ranking pays
/// for the ramp with about one round trip (100 pages at concurrency 8: 14 round trips
/// instead of 13). Keep the default of 1 when every credit matters, or set a `limit` no
/// larger than the ranking. Pages still in flight when the stream ends, fails or is
/// dropped are not awaited (that would hold the caller up a round trip for pages nobody
/// reads): they may have been charged, so they stay in
/// [`Usage::credits_spent`](crate::Usage::credits_spent) and keep their share of the
/// [`credit_budget`](crate::ClientBuilder::credit_budget).
///
/// ```no_run
/// use futures::TryStreamExt;
/// use keyapi_tiktok::{Client, Period, RankField, VideoRankingQuery};
///
/// # async fn run() -> Result<(), keyapi_tiktok::Error> {
/// let client = Client::from_env()?;
/// let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), "GB".parse()?, RankField::Sales, Period::Daily);
/// let top: Vec<_> = client.video_ranking(query).limit(25).items().try_collect().await?;
/// assert!(top.len() <= 25); // three pages of ten, three credits
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a ranking does nothing until streamed with .pages() or .items()"]
pub struct Ranking {
    client: Client,
    query: VideoRankingQuery,
    limit: Option<u64>,
    concurrency: usize,
    /// The video ids of the page before the query's page, when resuming.
    previous_ids: Vec<String>,
}

impl Client {
    /// Streams the ranking described by `query`, starting at its page; see [`Ranking`].
    pub fn video_ranking(&self, query: VideoRankingQuery) -> Ranking {
        Ranking {
            client: self.clone(),
            query,
            limit: None,
            concurrency: 1,
            previous_ids: Vec::new(),
        }
    }
}

impl Ranking {
    /// Stop after this many items.
    pub fn limit(mut self, items: u64) -> Self {
        self.limit = Some(items);
        self
    }

    /// Request up to this many pages at once (default 1), ramping up as described on
    /// [`Ranking`]; items stay in rank order.
    pub fn concurrency(mut self, pages: usize) -> Self {
        self.concurrency = pages.max(1);
        self
    }

    /// Resumes after a page read earlier, whose videos these are: the query's page is then
    /// checked against them as each later page is checked against the page before it, so
    /// where upstream ignores `page_num` a resumed stream ends with
    /// [`Error::RepeatedPage`], as a fresh one does, instead of yielding the earlier page
    /// again as new ranks.
    ///
    /// ```
    /// # use keyapi_tiktok::*;
    /// # let client = Client::builder().api_key("k").build()?;
    /// # let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), "US".parse()?, RankField::Views, Period::Daily);
    /// let stored_page_2 = vec!["7601397977986501919".to_owned()]; // …its ten video ids
    /// let rest = client.video_ranking(query.page(3)).limit(30).after_page(stored_page_2);
    /// assert_eq!(rest.max_pages(), 3); // pages 3 to 5
    /// # Ok::<(), Error>(())
    /// ```
    pub fn after_page(mut self, video_ids: impl IntoIterator<Item = String>) -> Self {
        self.previous_ids = video_ids.into_iter().collect();
        self
    }

    /// The pages this stream will request at most: `ceil(limit / page_size)` with a limit,
    /// else every page up to 100000. Useful for progress bars.
    ///
    /// ```
    /// # use keyapi_tiktok::*;
    /// # let client = Client::builder().api_key("k").build()?;
    /// # let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), "US".parse()?, RankField::Views, Period::Daily);
    /// assert_eq!(client.video_ranking(query).limit(25).max_pages(), 3);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn max_pages(&self) -> u32 {
        let available = MAX_PAGE
            .saturating_sub(self.query.page_number())
            .saturating_add(1);
        match self.limit {
            None => available,
            Some(limit) => {
                let size = u64::from(self.query.size().max(1));
                let needed = limit.div_ceil(size);
                u32::try_from(needed).unwrap_or(u32::MAX).min(available)
            }
        }
    }

    /// The ranking as pages, in order. The last page is cut to the limit.
    pub fn pages(self) -> BoxStream<'static, Result<Page, Error>> {
        if let Err(error) = self.query.validate() {
            return stream::once(async { Err(error) }).boxed();
        }
        let first = self.query.page_number();
        let last = first.saturating_add(self.max_pages()).saturating_sub(1);
        let Ranking {
            client,
            query,
            limit,
            concurrency,
            previous_ids,
        } = self;
        // Pages claim budget in rank order, however their cache lookups end.
        let mut turns = Turn::line();
        let fetch = move |page: u32| {
            let client = client.clone();
            let query = query.clone().page(page);
            let turn = turns();
            async move { client.fetch_page(&query, turn).await }
        };
        let progress = Progress::new(limit, previous_ids);
        Window::new(first, last, concurrency, progress, fetch).boxed()
    }

    /// The ranking as videos, in rank order; an error ends the stream after it is yielded.
    pub fn items(self) -> BoxStream<'static, Result<RankedVideo, Error>> {
        self.pages()
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }
}

impl Ranking {
    /// Checks the ranking's pages against the vendored spec, adding each to `report`
    /// ([`ConformanceReport`]): fetched by the rules of [`Ranking::pages`], but one at a
    /// time (the concurrency is not used) and never from the cache. So the limit, a short
    /// page, page 100000, the client's credit budget and an error end it, and a page that
    /// repeats the videos of the page before it (upstream ignoring `page_num`) ends it as
    /// drift ([`Drift::Paging`](crate::Drift::Paging)), not added. Every item received is
    /// checked: those of a page longer than the page size too (reported as
    /// [`Drift::Paging`](crate::Drift::Paging)), and the limit cuts none.
    ///
    /// ```no_run
    /// # use keyapi_tiktok::*;
    /// # async fn run(client: Client) -> Result<(), Error> {
    /// let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 23), "US".parse()?, RankField::Views, Period::Daily);
    /// let mut report = ConformanceReport::default();
    /// client.video_ranking(query).limit(30).conformance(&mut report).await?; // 3 credits at most
    /// println!("{} pages, conforms: {}", report.pages(), report.conforms());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Ranking::pages`] (such as [`Error::BudgetExhausted`]), except that an
    /// undocumented envelope `code` and a repeated page are reported as drift. The pages
    /// checked before the error stay in `report`.
    pub async fn conformance(self, report: &mut ConformanceReport) -> Result<(), Error> {
        self.query.validate()?;
        let first = self.query.page_number();
        let last = first.saturating_add(self.max_pages()).saturating_sub(1);
        let mut progress = Progress::new(self.limit, self.previous_ids);
        for number in first..=last {
            if progress.done {
                break;
            }
            let query = self.query.clone().page(number);
            let checked = self
                .client
                .video_ranking_body(&query)
                .await
                .and_then(|(page, body)| {
                    progress.take(page.clone())?;
                    Ok((page, body))
                });
            match checked {
                Ok((page, body)) => report.add_page(&body, &page, &query),
                Err(error) => return report.add_failure(error),
            }
        }
        Ok(())
    }
}

/// What the page stream has still to yield.
struct Progress {
    remaining: Option<u64>,
    done: bool,
    /// The video ids of the page yielded last.
    previous_ids: Vec<String>,
}

impl Progress {
    /// Nothing yielded yet, after a page with `previous_ids` (none for a fresh stream);
    /// `limit` items at most.
    fn new(limit: Option<u64>, previous_ids: Vec<String>) -> Progress {
        Progress {
            remaining: limit,
            done: limit == Some(0),
            previous_ids,
        }
    }

    /// Refuses a page that repeats the previous one, cuts it to the limit and decides
    /// whether it is the last one.
    fn take(&mut self, mut page: Page) -> Result<Page, Error> {
        let repeated = !page.items.is_empty()
            && page
                .items
                .iter()
                .all(|video| self.previous_ids.contains(&video.video_id));
        if repeated {
            return Err(Error::RepeatedPage { page: page.page });
        }
        self.previous_ids = page
            .items
            .iter()
            .map(|video| video.video_id.clone())
            .collect();
        let full = !page.is_last();
        if let Some(remaining) = &mut self.remaining {
            let keep = usize::try_from(*remaining)
                .unwrap_or(usize::MAX)
                .min(page.items.len());
            page.items.truncate(keep);
            *remaining -= keep as u64;
            self.done |= *remaining == 0;
        }
        self.done |= !full || page.page >= MAX_PAGE;
        Ok(page)
    }
}
