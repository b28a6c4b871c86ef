//! The client: configuration, and one page fetched with retries, rate limits and credit
//! accounting.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use keyapi_tiktok_openapi as openapi;
use reqwest::header::HeaderValue;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::Instrument;

use crate::VideoRankingQuery;
use crate::api_key::ApiKey;
use crate::attempt::Fetched;
use crate::base_url::checked_base_url;
use crate::cache::Cache;
use crate::error::Error;
use crate::page::Page;
use crate::rate_limit::RateLimiter;
use crate::retry::{RetryDecision, RetryPolicy};

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
/// Counted conservatively, never fewer credits than were charged: the API charges the
/// requests it accepts, and an accepted request whose body is then lost cannot be told
/// from one that was not. So `credits_spent` counts every response with a 2xx status,
/// from the moment its head arrives, except those whose envelope reports a failure `code`
/// (`{"code": 429, …}`, not charged). That includes a 2xx whose body is cut, times out,
/// is too large or cannot be decoded, and one whose call was dropped mid-body (a stream
/// dropped with pages in flight). Non-2xx responses (4xx, 5xx, 3xx) and requests that got
/// no response are not counted. The [`credit_budget`](ClientBuilder::credit_budget) is
/// held against the same count, one credit per attempt, so a retry needs budget too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Responses that may have been charged, as described above.
    pub credits_spent: u64,
    /// HTTP requests sent, retries included.
    pub requests_sent: u64,
    /// Pages served from the [`Cache`] (free).
    pub cache_hits: u64,
}

/// Configures a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use keyapi_tiktok::{Client, RetryPolicy};
///
/// let client = Client::builder()
///     .api_key("sk-test")
///     .timeout(Duration::from_secs(10))
///     .retry(RetryPolicy { max_attempts: 6, ..RetryPolicy::default() })
///     .requests_per_second(5.0)
///     .max_in_flight(4)
///     .credit_budget(100)
///     .build()?;
/// assert!(!format!("{client:?}").contains("sk-test"));
/// # Ok::<(), keyapi_tiktok::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    api_key: Option<ApiKey>,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    requests_per_second: Option<f64>,
    max_in_flight: Option<usize>,
    credit_budget: Option<u64>,
    max_response_bytes: u64,
    http_client: Option<reqwest::Client>,
    cache: Option<Cache>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            requests_per_second: None,
            max_in_flight: None,
            credit_budget: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            http_client: None,
            cache: None,
        }
    }
}

impl ClientBuilder {
    /// A builder with the key from `KEYAPI_API_KEY` and the base URL from
    /// `KEYAPI_BASE_URL` when they are set; anything can still be overridden.
    ///
    /// ```
    /// let builder = keyapi_tiktok::ClientBuilder::from_env();
    /// # let _ = builder;
    /// ```
    pub fn from_env() -> ClientBuilder {
        let mut builder = ClientBuilder::default();
        if let Ok(key) = std::env::var(API_KEY_ENV) {
            builder.api_key = Some(ApiKey::new(key));
        }
        if let Ok(url) = std::env::var(BASE_URL_ENV)
            && !url.trim().is_empty()
        {
            builder.base_url = url;
        }
        builder
    }

    /// The API key (required).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey::new(key));
        self
    }

    /// The API's base URL; `https://`, or plain `http://` to a loopback address only;
    /// without credentials, query or fragment. Proxies from the environment
    /// (`HTTPS_PROXY`, …) are used for `https://` only: through a `CONNECT` tunnel the key
    /// stays encrypted, while a proxy for plain http would read it.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Time allowed for one whole attempt, body included (default 30 s; 1 ms..=1 day).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time allowed to connect (default 10 s; 1 ms..=1 day).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How failed requests are retried (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// At most this many requests a second, shared by every clone of the client
    /// (0.001..=10000).
    pub fn requests_per_second(mut self, rate: f64) -> Self {
        self.requests_per_second = Some(rate);
        self
    }

    /// At most this many requests in flight at once, across clones (1..=1024).
    pub fn max_in_flight(mut self, requests: usize) -> Self {
        self.max_in_flight = Some(requests);
        self
    }

    /// Stop before spending more than this many credits; further requests fail with
    /// [`Error::BudgetExhausted`] without being sent.
    pub fn credit_budget(mut self, credits: u64) -> Self {
        self.credit_budget = Some(credits);
        self
    }

    /// Refuse response bodies longer than this many bytes (default 8 MiB;
    /// 1024..=1073741824): reading stops at the cap, never holding more than the cap plus
    /// one chunk, with [`Error::ResponseTooLarge`], which is not retried.
    ///
    /// ```
    /// let client = keyapi_tiktok::Client::builder().api_key("k").max_response_bytes(1 << 20).build()?;
    /// # let _ = client;
    /// # Ok::<(), keyapi_tiktok::Error>(())
    /// ```
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Send requests with this `reqwest::Client` (custom roots, a proxy, middleware in an
    /// instrumented client) instead of one the builder makes.
    ///
    /// The crate then no longer sets the client's own options: its timeouts
    /// ([`timeout`](ClientBuilder::timeout) and
    /// [`connect_timeout`](ClientBuilder::connect_timeout) are ignored, though the retry
    /// loop still counts `timeout` against the policy's total time), its redirect policy
    /// (reqwest's default follows redirects, dropping the key when the host changes; use
    /// `reqwest::redirect::Policy::none()` so a redirect stays an error) and its proxies
    /// (reqwest's default reads `HTTP_PROXY`, which for a plain-http loopback URL would see
    /// the key).
    ///
    /// It still enforces everything else: the key is added to each request as a sensitive
    /// header (never in the client's default headers), only over https or plain http to
    /// loopback; bodies are capped; retries, rate limits, budgets and the cache work as
    /// usual. Start from [`http_client_builder`](crate::http_client_builder) to keep this
    /// crate's TLS stack.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let http = keyapi_tiktok::http_client_builder()?
    ///     .timeout(Duration::from_secs(10))
    ///     .redirect(keyapi_tiktok::reqwest::redirect::Policy::none())
    ///     .build()?;
    /// let client = keyapi_tiktok::Client::builder().api_key("k").http_client(http).build()?;
    /// # let _ = client;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Serve repeated queries from this disk cache (off by default); see [`Cache`] for
    /// what is kept and for how long.
    #[cfg(feature = "cache")]
    pub fn cache(mut self, cache: Cache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The client made when none is given: this crate's TLS stack, timeouts, no redirects,
    /// and no proxy for plain http.
    fn own_http_client(&self, base_url: &str) -> Result<reqwest::Client, Error> {
        let http = crate::tls::http_client_builder()?
            .user_agent(concat!(
                env!("CARGO_PKG_NAME"),
                "/",
                env!("CARGO_PKG_VERSION")
            ))
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            // A redirect could take the key to another server, and its page would be
            // counted and cached as the API's.
            .redirect(reqwest::redirect::Policy::none());
        // A proxy for plain http would read the key; over https it only sees a tunnel.
        let http = if base_url.starts_with("http://") {
            http.no_proxy()
        } else {
            http
        };
        http.build().map_err(|source| Error::Transport {
            timeout: false,
            source,
        })
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let key = self.api_key.as_ref().ok_or_else(|| {
            Error::invalid_input(
                API_KEY_ENV,
                "<unset>",
                "an API key: set KEYAPI_API_KEY or call ClientBuilder::api_key",
            )
        })?;
        let base_url = checked_base_url(&self.base_url)?;
        if !crate::tls::ENABLED && base_url.starts_with("https:") {
            return Err(Error::invalid_input(
                "base_url",
                &base_url,
                "a plain-http loopback URL: this build has no TLS feature \
                 (rustls, rustls-aws-lc or native-tls)",
            ));
        }
        self.check_ranges()?;
        let authorization = key.header_value()?;
        let http = match self.http_client {
            Some(ref http) => http.clone(),
            None => self.own_http_client(&base_url)?,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                api: openapi::Client::new_with_client(&base_url, http),
                authorization,
                base_url,
                timeout: self.timeout,
                max_response_bytes: self.max_response_bytes,
                retry: self.retry,
                rate_limit: self.requests_per_second.map(RateLimiter::new),
                in_flight: self.max_in_flight.map(|n| Semaphore::new(n)),
                credit_budget: self.credit_budget,
                cache: self.cache,
                credits_spent: AtomicU64::new(0),
                credits_reserved: AtomicU64::new(0),
                requests_sent: AtomicU64::new(0),
                cache_hits: AtomicU64::new(0),
            }),
        })
    }
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
    pub(crate) base_url: String,
    /// The timeout of one attempt, counted by the retry loop against `max_elapsed`.
    pub(crate) timeout: Duration,
    pub(crate) max_response_bytes: u64,
    pub(crate) retry: RetryPolicy,
    pub(crate) rate_limit: Option<RateLimiter>,
    pub(crate) in_flight: Option<Semaphore>,
    pub(crate) credit_budget: Option<u64>,
    pub(crate) cache: Option<Cache>,
    pub(crate) credits_spent: AtomicU64,
    /// Credits spent plus those held by requests under way, for the budget.
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
        Usage {
            credits_spent: self.inner.credits_spent.load(Ordering::Relaxed),
            requests_sent: self.inner.requests_sent.load(Ordering::Relaxed),
            cache_hits: self.inner.cache_hits.load(Ordering::Relaxed),
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
            let cache = self.inner.cache.as_ref();
            if let Some(cache) = cache
                && let Some(page) = cache.get(&self.inner.base_url, query).await
            {
                self.inner.cache_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(page);
            }
            let (page, body) = self.fetch_with_retries(query, cache.is_some()).await?;
            if let (Some(cache), Some(body)) = (cache, body) {
                cache.put(&self.inner.base_url, query, &body, &page).await;
            }
            Ok(page)
        }
        .instrument(span)
        .await
    }

    /// One page's body as received, for [`ConformanceReport`](crate::ConformanceReport):
    /// validated, budgeted, retried and counted like [`Client::video_ranking_page`], never
    /// answered from the cache.
    pub(crate) async fn video_ranking_body(
        &self,
        query: &VideoRankingQuery,
    ) -> Result<Vec<u8>, Error> {
        query.validate()?;
        let (_, body) = self.fetch_with_retries(query, true).await?;
        body.ok_or_else(|| Error::decode(Some(200), "the page could not be re-encoded", b""))
    }

    /// The page, and its body as received when `keep_body` (a cache will store it).
    async fn fetch_with_retries(
        &self,
        query: &VideoRankingQuery,
        keep_body: bool,
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
                .attempt(query, keep_body)
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

impl ClientBuilder {
    /// Refuses settings that would panic or misbehave, naming each with its range.
    fn check_ranges(&self) -> Result<(), Error> {
        const DAY: Duration = Duration::from_secs(86_400);
        const MIN_TIMEOUT: Duration = Duration::from_millis(1);
        if let Some(rate) = self.requests_per_second
            && !(0.001..=10_000.0).contains(&rate)
        {
            return Err(Error::invalid_input(
                "requests_per_second",
                // `Debug` writes 1e-300 as such, where `Display` writes 300 digits.
                format!("{rate:?}"),
                "0.001..=10000 requests a second",
            ));
        }
        if let Some(requests) = self.max_in_flight
            && !(1..=1024).contains(&requests)
        {
            return Err(Error::invalid_input("max_in_flight", requests, "1..=1024"));
        }
        for (setting, value) in [
            ("timeout", self.timeout),
            ("connect_timeout", self.connect_timeout),
        ] {
            if !(MIN_TIMEOUT..=DAY).contains(&value) {
                return Err(Error::invalid_input(
                    setting,
                    format!("{value:?}"),
                    "1ms..=1 day (86400s)",
                ));
            }
        }
        if !(1024..=1 << 30).contains(&self.max_response_bytes) {
            return Err(Error::invalid_input(
                "max_response_bytes",
                self.max_response_bytes,
                "1024..=1073741824 bytes",
            ));
        }
        self.retry.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_key_is_refused_without_echoing_it() {
        assert!(matches!(
            Client::builder().build(),
            Err(Error::InvalidInput {
                parameter: API_KEY_ENV,
                ..
            })
        ));
        let error = Client::builder().api_key("  ").build().unwrap_err();
        assert!(matches!(
            error,
            Error::InvalidInput {
                parameter: "api_key",
                ..
            }
        ));
        let error = Client::builder()
            .api_key("sk-sec\u{1}ret")
            .build()
            .unwrap_err();
        assert!(!error.to_string().contains("sk-sec"));
    }
}
