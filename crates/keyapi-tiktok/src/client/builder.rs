//! Configuring a [`Client`]: every setting, its range checked at `build()`, and the
//! `reqwest` client the builder makes when the caller brings none.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use keyapi_tiktok_openapi as openapi;
use tokio::sync::Semaphore;

use super::base_url::checked_base_url;
use super::rate_limit::RateLimiter;
use super::{
    API_KEY_ENV, ApiKey, BASE_URL_ENV, Client, DEFAULT_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES, Inner,
    tls,
};
use crate::cache::Cache;
use crate::error::Error;
use crate::retry::RetryPolicy;

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
    /// [`Error::BudgetExhausted`] without being sent. Each attempt holds a credit from
    /// before it is sent until its answer proves it free, and keeps it when it may have
    /// been charged (see [`Usage`](crate::Usage)), so the server never charges more.
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
        let http = tls::http_client_builder()?
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
        if !tls::ENABLED && base_url.starts_with("https:") {
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
                redactor: key.redactor(),
                base_url,
                timeout: self.timeout,
                max_response_bytes: self.max_response_bytes,
                retry: self.retry,
                rate_limit: self.requests_per_second.map(RateLimiter::new),
                in_flight: self.max_in_flight.map(|n| Semaphore::new(n)),
                credit_budget: self.credit_budget,
                cache: self.cache,
                credits_spent: AtomicU64::new(0),
                credits_charged: AtomicU64::new(0),
                credits_reserved: AtomicU64::new(0),
                requests_sent: AtomicU64::new(0),
                cache_hits: AtomicU64::new(0),
            }),
        })
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
