//! The client: configuration, the API key as a secret, and one page fetched with retries,
//! rate limits and credit accounting.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use keyapi_tiktok_openapi as openapi;
use openapi::types;
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::Instrument;
use url::{Host, Url};

use crate::VideoRankingQuery;
use crate::cache::Cache;
use crate::error::{ApiFailure, Error};
use crate::page::{Page, decode_drifted, failure_from_body, page_from_envelope};
use crate::retry::{RetryDecision, RetryPolicy, parse_retry_after};

/// Where the API lives unless told otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.keyapi.ai";
/// The environment variable holding the API key.
pub const API_KEY_ENV: &str = "KEYAPI_API_KEY";
/// The environment variable that overrides the base URL.
pub const BASE_URL_ENV: &str = "KEYAPI_BASE_URL";

/// An API key. It is sent only as a sensitive `Authorization: Bearer` header and is never
/// printed: `Debug` shows `ApiKey(<redacted>)` and there is no `Display`.
///
/// ```
/// let key = keyapi_tiktok::ApiKey::new("sk-secret");
/// assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    fn header_value(&self) -> Result<HeaderValue, Error> {
        let key = self.0.trim();
        let invalid = |expected| Error::invalid_input("api_key", "<redacted>", expected);
        if key.is_empty() {
            return Err(invalid("a non-empty API key"));
        }
        let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
            .map_err(|_| invalid("an API key of printable ASCII characters"))?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Credits and requests a client (and all its clones) has used so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Requests the API accepted (envelope `code` 0): each costs one credit.
    pub credits_spent: u64,
    /// HTTP requests sent, retries included. Failed ones are reported not to be charged.
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

    /// The API's base URL; `https://`, or plain `http://` to a loopback address only.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Time allowed for one whole attempt, body included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time allowed to connect (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How failed requests are retried (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// At most this many requests a second, shared by every clone of the client.
    pub fn requests_per_second(mut self, rate: f64) -> Self {
        self.requests_per_second = Some(rate);
        self
    }

    /// At most this many requests in flight at once, across clones.
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

    /// Serve repeated queries from this disk cache (off by default); see [`Cache`] for
    /// what is kept and for how long.
    #[cfg(feature = "cache")]
    pub fn cache(mut self, cache: Cache) -> Self {
        self.cache = Some(cache);
        self
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
        if let Some(rate) = self.requests_per_second
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(Error::invalid_input(
                "requests_per_second",
                rate,
                "a positive number",
            ));
        }
        if self.max_in_flight == Some(0) {
            return Err(Error::invalid_input("max_in_flight", 0, "at least 1"));
        }
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, key.header_value()?);
        let http = crate::tls::http_client_builder()?
            .default_headers(headers)
            .user_agent(concat!(
                env!("CARGO_PKG_NAME"),
                "/",
                env!("CARGO_PKG_VERSION")
            ))
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .build()
            .map_err(|source| Error::Transport {
                timeout: false,
                source,
            })?;
        Ok(Client {
            inner: Arc::new(Inner {
                api: openapi::Client::new_with_client(&base_url, http),
                base_url,
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

/// Refuses URLs that would leak the key: plain http to another machine, or credentials
/// inside the URL. Returns the URL without a trailing slash.
fn checked_base_url(raw: &str) -> Result<String, Error> {
    let expected = "an https:// URL (plain http:// only to localhost), without credentials";
    let url =
        Url::parse(raw.trim()).map_err(|_| Error::invalid_input("base_url", raw, expected))?;
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let allowed = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => loopback,
        _ => false,
    };
    if !allowed || !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
        return Err(Error::invalid_input("base_url", raw, expected));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
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

struct Inner {
    api: openapi::Client,
    base_url: String,
    retry: RetryPolicy,
    rate_limit: Option<RateLimiter>,
    in_flight: Option<Semaphore>,
    credit_budget: Option<u64>,
    cache: Option<Cache>,
    credits_spent: AtomicU64,
    /// Credits spent plus those held by requests under way, for the budget.
    credits_reserved: AtomicU64,
    requests_sent: AtomicU64,
    cache_hits: AtomicU64,
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
            let reservation = self.reserve_credit()?;
            let (page, body) = self.fetch_with_retries(query, cache.is_some()).await?;
            reservation.commit();
            self.inner.credits_spent.fetch_add(1, Ordering::Relaxed);
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
        let reservation = self.reserve_credit()?;
        let (_, body) = self.fetch_with_retries(query, true).await?;
        reservation.commit();
        self.inner.credits_spent.fetch_add(1, Ordering::Relaxed);
        body.ok_or_else(|| Error::decode(Some(200), "the page could not be re-encoded", b""))
    }

    /// The page, and its body as received when `keep_body` (a cache will store it).
    async fn fetch_with_retries(
        &self,
        query: &VideoRankingQuery,
        keep_body: bool,
    ) -> Result<(Page, Option<Vec<u8>>), Error> {
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
            match self
                .inner
                .retry
                .decide(attempt, &error, started.elapsed(), fastrand::f64())
            {
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

    /// One HTTP request through the generated client, mapped to a page or an [`Error`].
    async fn attempt(
        &self,
        query: &VideoRankingQuery,
        keep_body: bool,
    ) -> Result<(Page, Option<Vec<u8>>), Error> {
        if let Some(limiter) = &self.inner.rate_limit {
            limiter.acquire().await;
        }
        let _permit = match &self.inner.in_flight {
            Some(semaphore) => Some(semaphore.acquire().await.map_err(|_| {
                Error::invalid_input("max_in_flight", "closed", "an open request limit")
            })?),
            None => None,
        };
        self.inner.requests_sent.fetch_add(1, Ordering::Relaxed);
        let (date, region) = (query.date().to_string(), query.region());
        let call = self.inner.api.get_api_v3_echotik_video_ranklist(
            query
                .ai_filter()
                .map(|ai| if ai { "true" } else { "false" }),
            &date,
            i64::from(query.page_number()),
            i64::from(query.size()),
            query.category_id(),
            query.period().code(),
            region.as_str(),
            query.rank_field().code(),
        );
        let (result, head) = openapi::with_response_head(call).await;
        match result {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = retry_after(response.headers());
                let envelope = response.into_inner();
                // The spec-typed envelope, extra fields included, is the body as received.
                let body = keep_body
                    .then(|| serde_json::to_vec(&envelope).ok())
                    .flatten();
                let page = page_from_envelope(envelope, Some(status), query)
                    .map_err(|error| error.with_retry_after(retry_after))?;
                Ok((page, body))
            }
            Err(error) => map_generated_error(error, head, query).await,
        }
    }

    fn reserve_credit(&self) -> Result<Reservation<'_>, Error> {
        let Some(budget) = self.inner.credit_budget else {
            return Ok(Reservation { counter: None });
        };
        let reserved = &self.inner.credits_reserved;
        reserved
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < budget).then_some(n + 1)
            })
            .map_err(|_| Error::BudgetExhausted { budget })?;
        Ok(Reservation {
            counter: Some(reserved),
        })
    }
}

/// A credit held for a request under way; released unless the request succeeds.
struct Reservation<'a> {
    counter: Option<&'a AtomicU64>,
}

impl Reservation<'_> {
    fn commit(mut self) {
        self.counter = None;
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if let Some(counter) = self.counter {
            counter.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Maps what the generated client reports to this crate's errors; a body that did not fit
/// the spec's types is rescued by the drift decoder instead.
async fn map_generated_error(
    error: openapi::Error<types::ErrorEnvelope>,
    head: Option<openapi::ResponseHead>,
    query: &VideoRankingQuery,
) -> Result<(Page, Option<Vec<u8>>), Error> {
    use openapi::Error as E;
    match error {
        E::ErrorResponse(response) => {
            let status = response.status().as_u16();
            let retry_after = retry_after(response.headers());
            let envelope = response.into_inner();
            Err(ApiFailure {
                status: Some(status),
                code: envelope.code,
                message: envelope.message.unwrap_or_default(),
                request_id: envelope.request_id,
                retry_after,
            }
            .into_error())
        }
        E::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let retry_after = retry_after(response.headers());
            let body = response.bytes().await.map_err(|source| Error::Transport {
                timeout: source.is_timeout(),
                source,
            })?;
            if (200..300).contains(&status) {
                return Err(Error::decode(
                    Some(status),
                    "undocumented success status",
                    &body,
                ));
            }
            Err(failure_from_body(status, retry_after, &body))
        }
        // A body the spec's types could not decode: a drifted page, an envelope error, or
        // a proxy's page on a documented status.
        E::InvalidResponsePayload(body, _) => {
            let status = head.as_ref().map(|head| head.status.as_u16());
            let retry_after = head.and_then(|head| retry_after(&head.headers));
            match status {
                Some(status) if !(200..300).contains(&status) => {
                    Err(failure_from_body(status, retry_after, &body))
                }
                _ => decode_drifted(&body, status, query)
                    .map(|page| (page, Some(body.to_vec())))
                    .map_err(|error| error.with_retry_after(retry_after)),
            }
        }
        E::CommunicationError(source)
        | E::ResponseBodyError(source)
        | E::InvalidUpgrade(source) => Err(Error::Transport {
            timeout: source.is_timeout(),
            source,
        }),
        E::InvalidRequest(message) | E::Custom(message) => Err(Error::invalid_input(
            "request",
            message,
            "a request the generated client can build",
        )),
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

/// Spaces requests evenly at a fixed rate, across every clone of a client.
struct RateLimiter {
    interval: Duration,
    next_slot: std::sync::Mutex<Option<Instant>>,
}

impl RateLimiter {
    fn new(per_second: f64) -> RateLimiter {
        RateLimiter {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next_slot: std::sync::Mutex::new(None),
        }
    }

    async fn acquire(&self) {
        let slot = {
            let mut next = self
                .next_slot
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = Instant::now();
            let slot = next.map_or(now, |next| next.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        let wait = slot.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            tracing::debug!(
                wait_ms = wait.as_millis() as u64,
                "waiting for the requests-per-second limit"
            );
        }
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_that_would_leak_the_key_are_refused() {
        for ok in [
            "https://api.keyapi.ai",
            "https://api.keyapi.ai/",
            "http://127.0.0.1:8080",
            "http://localhost:1/",
            "http://[::1]:9",
        ] {
            assert!(checked_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.keyapi.ai",
            "http://10.0.0.1",
            "https://user:pw@api.keyapi.ai",
            "ftp://x",
            "api.keyapi.ai",
            "https://api.keyapi.ai/?key=1",
        ] {
            let error = checked_base_url(bad).unwrap_err();
            assert!(
                matches!(
                    error,
                    Error::InvalidInput {
                        parameter: "base_url",
                        ..
                    }
                ),
                "{bad}"
            );
        }
        assert_eq!(
            checked_base_url("https://api.keyapi.ai/").unwrap(),
            "https://api.keyapi.ai"
        );
    }

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

    #[tokio::test(start_paused = true)]
    async fn the_rate_limiter_spaces_requests_evenly() {
        let limiter = RateLimiter::new(4.0);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
