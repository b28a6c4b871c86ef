//! The client: one page fetched with the cache, retries and credit accounting; the usage
//! counters its clones share.
//!
//! - `builder.rs`: [`ClientBuilder`], settings and their ranges;
//! - `attempt.rs`: one request through the generated client, its response mapped and its
//!   credit charged (the only place that sends);
//! - `rate_limit.rs`, `api_key.rs`, `base_url.rs`, `tls.rs`: one rule each;
//! - `redact.rs`: the key removed from everything upstream sends.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use keyapi_tiktok_openapi as openapi;
use reqwest::header::HeaderValue;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::Instrument;

mod api_key;
mod attempt;
mod base_url;
mod builder;
mod rate_limit;
mod redact;
mod tls;
mod turn;

pub use api_key::ApiKey;
use attempt::Fetched;
pub use builder::ClientBuilder;
use rate_limit::RateLimiter;
use redact::KeyRedactor;
pub use tls::http_client_builder;
pub(crate) use turn::Turn;

use crate::VideoRankingQuery;
use crate::cache::{Cache, CacheWrite};
use crate::error::Error;
use crate::page::Page;
use crate::retry::{RetryDecision, RetryPolicy};

/// A page as fetched, its cache write not yet queued.
pub(crate) struct FetchedPage {
    page: Page,
    write: Option<CacheWrite>,
}

impl FetchedPage {
    /// A page that no cache will store.
    #[cfg(test)]
    pub(crate) fn uncached(page: Page) -> FetchedPage {
        FetchedPage { page, write: None }
    }

    /// The page as `check` returns it; it is stored in the cache (in the background: the
    /// caller gets the page now) only if `check` accepts it.
    pub(crate) fn accept(
        self,
        check: impl FnOnce(Page) -> Result<Page, Error>,
    ) -> Result<Page, Error> {
        let page = check(self.page)?;
        if let Some(write) = self.write {
            write.queue();
        }
        Ok(page)
    }
}

/// Where the API lives unless told otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.keyapi.ai";
/// The environment variable holding the API key.
pub const API_KEY_ENV: &str = "KEYAPI_API_KEY";
/// The environment variable that overrides the base URL.
pub const BASE_URL_ENV: &str = "KEYAPI_BASE_URL";
/// The default cap on a response body: 8 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;

/// Credits and requests a client (and all its clones) has used so far.
///
/// The API charges the requests it accepts (a 2xx head whose envelope reports no failure
/// `code`), and it may have accepted a request whose answer the client never read. So a
/// request counts in `credits_spent` from the moment it is sent until its answer proves
/// it was not charged: a non-2xx head (4xx, 5xx, 3xx), an envelope failure `code`
/// (`{"code": 429, …}`), or a connection that was never made. A request whose 2xx body is
/// cut, times out or is too large, one that got no head at all (a timeout, a reset), and one
/// still in flight when its ranking ended, failed or was dropped stay counted. That makes
/// `credits_spent` the conservative figure, never fewer than were charged, and
/// `credits_charged` the certain one, never more: the server's count lies between them.
/// `credits_spent` includes the requests in flight right now, so it can go down when one of
/// them is answered with a failure. The [`credit_budget`](ClientBuilder::credit_budget) is
/// held against `credits_spent`, one credit per attempt, so a retry needs budget too, and a
/// request in flight keeps its credit.
///
/// ```
/// # use keyapi_tiktok::{Client, Usage};
/// let client = Client::builder().api_key("k").build()?;
/// let usage = client.usage();
/// assert!(usage.credits_charged <= usage.credits_spent);
/// assert!(usage.credits_spent <= usage.requests_sent);
/// assert_eq!(usage, Usage::default()); // nothing sent yet
/// # Ok::<(), keyapi_tiktok::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Usage {
    /// Credits that may have been charged: every request sent whose answer did not prove
    /// it free, as described above. The figure to report and to budget against.
    pub credits_spent: u64,
    /// Credits certainly charged: requests answered with a 2xx read whole whose envelope
    /// reports no failure (a page, or a body that could not be decoded).
    pub credits_charged: u64,
    /// HTTP requests sent, retries included.
    pub requests_sent: u64,
    /// Pages served from the [`Cache`] (free).
    pub cache_hits: u64,
}

/// A KeyAPI TikTok video-ranking client. Cheap to clone: clones share connections, rate
/// limits, the credit budget and the usage counters.
///
/// ```no_run
/// use keyapi_tiktok::{Client, Period, RankField, VideoRankingQuery};
///
/// # async fn run() -> Result<(), keyapi_tiktok::Error> {
/// let client = Client::from_env()?;
/// let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), "US".parse()?, RankField::Views, Period::Daily);
/// let page = client.video_ranking_page(&query).await?;
/// for video in &page.items {
///     println!("#{} {} {:?} views", video.rank, video.video_url(), video.views);
/// }
/// println!("credits spent: {}", client.usage().credits_spent);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) api: openapi::Client,
    /// `Bearer <key>`, marked sensitive; added to each request by the generated crate's
    /// hook, so a client passed to `http_client` never holds it.
    pub(crate) authorization: HeaderValue,
    /// Removes the key from every response, where `attempt` receives it.
    pub(crate) redactor: KeyRedactor,
    pub(crate) base_url: String,
    /// The timeout of one attempt, counted by the retry loop against `max_elapsed`.
    pub(crate) timeout: Duration,
    pub(crate) max_response_bytes: u64,
    pub(crate) retry: RetryPolicy,
    pub(crate) rate_limit: Option<RateLimiter>,
    pub(crate) in_flight: Option<Semaphore>,
    pub(crate) credit_budget: Option<u64>,
    pub(crate) cache: Option<Cache>,
    /// Requests sent and not proven free, those in flight included (`Usage::credits_spent`).
    pub(crate) credits_spent: AtomicU64,
    pub(crate) credits_charged: AtomicU64,
    /// Credits spent plus those held by requests waiting to be sent, for the budget.
    pub(crate) credits_reserved: AtomicU64,
    pub(crate) requests_sent: AtomicU64,
    pub(crate) cache_hits: AtomicU64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("api_key", &"<redacted>")
            .field("retry", &self.inner.retry)
            .field("usage", &self.usage())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder with defaults: see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `KEYAPI_API_KEY` and, when set, `KEYAPI_BASE_URL`.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env().build()
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Credits spent and requests sent so far, by this client and its clones.
    pub fn usage(&self) -> Usage {
        // Charged, then spent, then sent: the reverse of the order a request adds to them,
        // so `credits_charged <= credits_spent <= requests_sent` holds in every snapshot.
        let credits_charged = self.inner.credits_charged.load(Ordering::SeqCst);
        let credits_spent = self.inner.credits_spent.load(Ordering::SeqCst);
        Usage {
            credits_spent,
            credits_charged,
            requests_sent: self.inner.requests_sent.load(Ordering::SeqCst),
            cache_hits: self.inner.cache_hits.load(Ordering::Relaxed),
        }
    }

    /// Waits for the pages the cache is still writing in the background, at most
    /// `timeout`; returns whether all were written (always true without a cache). When it
    /// gives up it logs a `warn`: those pages are fetched again next time. A process that
    /// uses a cache (the `cache` feature) calls this before it exits.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # async fn run(client: keyapi_tiktok::Client) {
    /// // … stream a ranking …
    /// client.flush_cache(Duration::from_secs(10)).await;
    /// # }
    /// ```
    pub async fn flush_cache(&self, timeout: Duration) -> bool {
        match &self.inner.cache {
            Some(cache) => cache.flush(timeout).await,
            None => true,
        }
    }

    /// Fetches one page of the ranking. The query is validated first (an invalid one
    /// costs nothing); failures are retried as the client's [`RetryPolicy`] says.
    ///
    /// ```no_run
    /// # use keyapi_tiktok::*;
    /// # async fn run(client: Client) -> Result<(), Error> {
    /// let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), Region::new("US")?, RankField::Sales, Period::Daily).page(2);
    /// let page = client.video_ranking_page(&query).await?;
    /// assert!(page.items.iter().all(|video| (11..=20).contains(&video.rank)));
    /// # Ok(()) }
    /// ```
    pub async fn video_ranking_page(&self, query: &VideoRankingQuery) -> Result<Page, Error> {
        self.fetch_page(query, Turn::alone()).await?.accept(Ok)
    }

    /// [`Client::video_ranking_page`], with the cache write left to the caller, who may
    /// still refuse the page (a [`Ranking`](crate::Ranking) refuses a repeated one).
    /// `turn`: the page's place in its ranking's line for the budget (see [`Turn`]).
    pub(crate) async fn fetch_page(
        &self,
        query: &VideoRankingQuery,
        mut turn: Turn,
    ) -> Result<FetchedPage, Error> {
        query.validate()?;
        let span = tracing::info_span!(
            "video_ranking_page",
            date = %query.date(),
            region = %query.region(),
            by = %query.rank_field(),
            period = %query.period(),
            page = query.page_number(),
            page_size = query.size(),
        );
        async {
            if !query.date_starts_period() {
                tracing::warn!(
                    "{} rankings are reported to be dated {}; {} may return an empty ranking",
                    query.period(),
                    query.period().start_of_period(query.date()),
                    query.date(),
                );
            }
            turn.wait().await;
            let cache = self.inner.cache.as_ref();
            if let Some(cache) = cache
                && let Some(page) = cache.get(&self.inner.base_url, query).await
            {
                self.inner.cache_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(FetchedPage { page, write: None });
            }
            let (page, body) = self
                .fetch_with_retries(query, cache.is_some(), &mut turn)
                .await?;
            let write = cache.zip(body).and_then(|(cache, body)| {
                cache.write_for(&self.inner.base_url, query, body, &page)
            });
            Ok(FetchedPage { page, write })
        }
        .instrument(span)
        .await
    }

    /// One page and its body as received, for [`ConformanceReport`](crate::ConformanceReport):
    /// validated, budgeted, retried and counted like [`Client::video_ranking_page`], never
    /// answered from the cache.
    pub(crate) async fn video_ranking_body(
        &self,
        query: &VideoRankingQuery,
    ) -> Result<(Page, Vec<u8>), Error> {
        query.validate()?;
        match self
            .fetch_with_retries(query, true, &mut Turn::alone())
            .await?
        {
            (page, Some(body)) => Ok((page, body)),
            (_, None) => Err(Error::decode(
                Some(200),
                "the page's body was not kept",
                b"",
            )),
        }
    }

    /// The page, and its body as received when `keep_body` (a cache will store it).
    async fn fetch_with_retries(
        &self,
        query: &VideoRankingQuery,
        keep_body: bool,
        turn: &mut Turn,
    ) -> Result<Fetched, Error> {
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let span = tracing::debug_span!(
                "attempt",
                attempt,
                status = tracing::field::Empty,
                code = tracing::field::Empty,
                request_id = tracing::field::Empty,
            );
            let result = self
                .attempt(query, keep_body, turn)
                .instrument(span.clone())
                .await;
            match &result {
                Ok((page, _)) => {
                    span.record("status", 200).record("code", 0);
                    if let Some(id) = &page.request_id {
                        span.record("request_id", id.as_str());
                    }
                }
                Err(error) => {
                    if let Some(status) = error.status() {
                        span.record("status", status);
                    }
                    if let Some(code) = error.code() {
                        span.record("code", code);
                    }
                    if let Some(id) = error.request_id() {
                        span.record("request_id", id);
                    }
                }
            }
            let error = match result {
                Ok(page) => return Ok(page),
                Err(error) => error,
            };
            match self.inner.retry.decide(
                attempt,
                &error,
                // The next attempt may take its whole timeout.
                started.elapsed().saturating_add(self.inner.timeout),
                fastrand::f64(),
            ) {
                RetryDecision::Stop => return Err(error),
                RetryDecision::Retry(wait) => {
                    tracing::warn!(
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        kind = error.kind(),
                        "retrying after: {error}"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }
}
