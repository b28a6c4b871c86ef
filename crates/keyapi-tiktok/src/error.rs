//! One error type for everything a request can end in.

use std::fmt;
use std::time::Duration;

/// How many bytes of an unreadable body an error keeps.
const EXCERPT_BYTES: usize = 256;
/// How many bytes of an upstream `message` an [`ApiFailure`] keeps.
pub(crate) const MESSAGE_KEPT_BYTES: usize = 4096;
/// How many bytes of an upstream `message` or `requestId` `Display` shows.
const MESSAGE_SHOWN_BYTES: usize = 512;

/// Everything that can go wrong, one variant per thing a caller acts on differently.
///
/// The API signals failures both as HTTP statuses and as the `code` of an HTTP 200
/// envelope (`{"code": 429, "data": null, …}`); both map to the same variant. The API key
/// never appears in an error.
///
/// ```
/// use keyapi_tiktok::{Error, VideoRankingQuery};
/// # let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), "US".parse()?, keyapi_tiktok::RankField::Views, keyapi_tiktok::Period::Daily);
/// let error = query.page(0).validate().unwrap_err();
/// assert!(matches!(error, Error::InvalidInput { parameter: "page_num", .. }));
/// assert!(!error.is_retryable());
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A value was refused before any request was sent (no credit spent).
    #[non_exhaustive]
    InvalidInput {
        /// The parameter, as the API or the environment names it.
        parameter: &'static str,
        /// The refused value.
        value: String,
        /// What would have been accepted.
        expected: String,
    },
    /// The query's date is after today in UTC+14 (see
    /// [`VideoRankingQuery::latest_date`](crate::VideoRankingQuery::latest_date)): no
    /// ranking anywhere is dated later. Refused before any request (no credit spent); its
    /// [`kind`](Error::kind) is `invalid_input`, as for [`Error::InvalidInput`].
    #[non_exhaustive]
    DateAfterToday {
        /// The refused date.
        date: jiff::civil::Date,
        /// The latest date accepted when it was refused.
        latest: jiff::civil::Date,
    },
    /// The API key is missing or not valid (HTTP or envelope code 401).
    Authentication(ApiFailure),
    /// The account has no credits left (402).
    CreditsExhausted(ApiFailure),
    /// Too many requests (429); [`Error::retry_after`] says how long the server asked to wait.
    RateLimited(ApiFailure),
    /// The API refused the parameters (400).
    BadRequest(ApiFailure),
    /// The server failed (5xx).
    Server(ApiFailure),
    /// Any other non-success status or envelope code.
    Api(ApiFailure),
    /// The request did not complete: connection refused or dropped, timeout, TLS.
    #[non_exhaustive]
    Transport {
        /// Whether a timeout ended it.
        timeout: bool,
        /// What the HTTP stack reported.
        source: reqwest::Error,
    },
    /// The response body was longer than
    /// [`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes);
    /// reading stopped there. Not retried: the same page would be as large again.
    #[non_exhaustive]
    ResponseTooLarge {
        /// The HTTP status.
        status: Option<u16>,
        /// The cap, in bytes.
        limit: u64,
    },
    /// The server answered with a redirect (3xx), which the client never follows: the
    /// target could be another server, to which the key must not go. Not retried.
    #[non_exhaustive]
    Redirect {
        /// The HTTP status.
        status: u16,
        /// The host of the `Location` header (only the host: the rest may hold secrets).
        location_host: Option<String>,
    },
    /// The API sent the same videos as for the previous page: it ignored `page_num`.
    /// The page is not yielded and no further page is requested.
    #[non_exhaustive]
    RepeatedPage {
        /// The page that repeated the one before it.
        page: u32,
    },
    /// The response could not be decoded.
    #[non_exhaustive]
    Decode {
        /// The HTTP status, when known.
        status: Option<u16>,
        /// Why decoding failed.
        reason: String,
        /// The start of the body, at most 256 bytes.
        excerpt: String,
    },
    /// The response cache could not be read or cleared (only from [`Cache`](crate::Cache)'s
    /// own methods: during requests a failing cache is skipped, not reported).
    #[non_exhaustive]
    Cache {
        /// What failed, naming the directory.
        message: String,
    },
    /// The client's credit budget is spent; nothing was sent.
    #[non_exhaustive]
    BudgetExhausted {
        /// The budget the client was built with.
        budget: u64,
    },
}

/// What the API said when it refused a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiFailure {
    /// The HTTP status, when known (200 when the failure came in the envelope).
    pub status: Option<u16>,
    /// The envelope `code`, when the body had one.
    pub code: Option<i64>,
    /// The upstream message, or the start of a body that was not an envelope; the client
    /// keeps at most 4 KiB of it, and `Display` shows at most 512 bytes.
    pub message: String,
    /// The upstream `requestId`, when the body had one.
    pub request_id: Option<String>,
    /// How long the server asked to wait (`Retry-After`), clamped to a day.
    pub retry_after: Option<Duration>,
}

impl ApiFailure {
    /// Classifies the failure: by the HTTP status when it is not a success, else by the
    /// envelope code, so `HTTP 429` and `HTTP 200 {"code": 429}` are the same error.
    pub(crate) fn into_error(mut self) -> Error {
        self.message = bounded(self.message, MESSAGE_KEPT_BYTES);
        self.request_id = self.request_id.map(|id| bounded(id, EXCERPT_BYTES));
        let key = match (self.status, self.code) {
            (Some(status), _) if !(200..300).contains(&status) => i64::from(status),
            (_, Some(code)) => code,
            (status, None) => status.map_or(0, i64::from),
        };
        match key {
            400 => Error::BadRequest(self),
            401 => Error::Authentication(self),
            402 => Error::CreditsExhausted(self),
            429 => Error::RateLimited(self),
            500..=599 => Error::Server(self),
            _ => Error::Api(self),
        }
    }
}

impl Error {
    pub(crate) fn invalid_input(
        parameter: &'static str,
        value: impl fmt::Display,
        expected: impl Into<String>,
    ) -> Error {
        Error::InvalidInput {
            parameter,
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    pub(crate) fn decode(status: Option<u16>, reason: impl fmt::Display, body: &[u8]) -> Error {
        Error::Decode {
            status,
            reason: reason.to_string(),
            excerpt: excerpt(body),
        }
    }

    /// Attaches the `Retry-After` of the response to an error decoded from its body; only
    /// the retryable API errors use it.
    pub(crate) fn with_retry_after(mut self, wait: Option<Duration>) -> Error {
        if let Error::RateLimited(failure) | Error::Server(failure) = &mut self
            && wait.is_some()
        {
            failure.retry_after = wait;
        }
        self
    }

    /// The API's answer, for the variants that carry one.
    pub fn api_failure(&self) -> Option<&ApiFailure> {
        match self {
            Error::Authentication(f)
            | Error::CreditsExhausted(f)
            | Error::RateLimited(f)
            | Error::BadRequest(f)
            | Error::Server(f)
            | Error::Api(f) => Some(f),
            _ => None,
        }
    }

    /// The HTTP status, when a response was received.
    ///
    /// ```
    /// # use keyapi_tiktok::*;
    /// # let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), "US".parse()?, RankField::Views, Period::Daily);
    /// let error = query.page(0).validate().unwrap_err(); // refused before sending
    /// assert_eq!(error.status(), None);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Decode { status, .. } | Error::ResponseTooLarge { status, .. } => *status,
            Error::Redirect { status, .. } => Some(*status),
            Error::Transport { source, .. } => source.status().map(|s| s.as_u16()),
            _ => self.api_failure().and_then(|f| f.status),
        }
    }

    /// The envelope `code`, when the body carried one.
    pub fn code(&self) -> Option<i64> {
        self.api_failure().and_then(|f| f.code)
    }

    /// The upstream `requestId`, for support requests.
    pub fn request_id(&self) -> Option<&str> {
        self.api_failure().and_then(|f| f.request_id.as_deref())
    }

    /// How long the server asked to wait before retrying.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api_failure().and_then(|f| f.retry_after)
    }

    /// Whether trying again may succeed: rate limits, server errors and transport
    /// failures other than TLS. Authentication, credits, bad requests, invalid input,
    /// redirects, TLS and certificate failures and bodies too large never are.
    ///
    /// ```
    /// # use keyapi_tiktok::*;
    /// # let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), "US".parse()?, RankField::Views, Period::Daily);
    /// let error = query.page(0).validate().unwrap_err(); // refused before sending
    /// assert!(!error.is_retryable());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited(_) | Error::Server(_) => true,
            Error::Transport { source, .. } => !is_tls_failure(source),
            _ => false,
        }
    }

    /// A short name for the kind of failure (`rate_limited`, `authentication`, …), stable
    /// for logs and scripts.
    ///
    /// ```
    /// # use keyapi_tiktok::*;
    /// # let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), "US".parse()?, RankField::Views, Period::Daily);
    /// let error = query.page(0).validate().unwrap_err(); // refused before sending
    /// assert_eq!(error.kind(), "invalid_input");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } | Error::DateAfterToday { .. } => "invalid_input",
            Error::Authentication(_) => "authentication",
            Error::CreditsExhausted(_) => "credits_exhausted",
            Error::RateLimited(_) => "rate_limited",
            Error::BadRequest(_) => "bad_request",
            Error::Server(_) => "server",
            Error::Api(_) => "api",
            Error::Transport { timeout: true, .. } => "timeout",
            Error::Transport { .. } => "transport",
            Error::Decode { .. } => "decode",
            Error::ResponseTooLarge { .. } => "response_too_large",
            Error::Redirect { .. } => "redirect",
            Error::RepeatedPage { .. } => "repeated_page",
            Error::BudgetExhausted { .. } => "budget_exhausted",
            Error::Cache { .. } => "cache",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput {
                parameter,
                value,
                expected,
            } => {
                write!(f, "invalid {parameter} `{value}`: expected {expected}")
            }
            Error::DateAfterToday { date, latest } => write!(
                f,
                "invalid date `{date}`: expected a date no later than {latest}, today in \
                 UTC+14, where days begin first: no ranking is dated later"
            ),
            Error::Authentication(failure) => write!(f, "authentication failed{failure}"),
            Error::CreditsExhausted(failure) => write!(f, "credits exhausted{failure}"),
            Error::RateLimited(failure) => write!(f, "rate limited{failure}"),
            Error::BadRequest(failure) => write!(f, "bad request{failure}"),
            Error::Server(failure) => write!(f, "server error{failure}"),
            Error::Api(failure) => write!(f, "API error{failure}"),
            Error::Transport { timeout: true, .. } => f.write_str("request timed out"),
            Error::Transport { source, .. } => write!(f, "request failed: {}", chain(source)),
            Error::ResponseTooLarge { status, limit } => {
                f.write_str("the response body is too large")?;
                if let Some(status) = status {
                    write!(f, " (HTTP {status})")?;
                }
                write!(f, ": more than {limit} bytes; reading stopped there")
            }
            Error::Redirect {
                status,
                location_host,
            } => {
                let to = location_host.as_deref().map(printable).unwrap_or_default();
                write!(f, "HTTP {status} redirect to `{to}` not followed")
            }
            Error::RepeatedPage { page } => write!(
                f,
                "page {page} repeats the videos of page {}: the API ignored page_num; \
                 stopped without requesting further pages",
                page.saturating_sub(1)
            ),
            Error::Decode {
                status,
                reason,
                excerpt,
            } => {
                f.write_str("cannot decode the response")?;
                if let Some(status) = status {
                    write!(f, " (HTTP {status})")?;
                }
                write!(f, ": {reason}; body starts {excerpt:?}")
            }
            Error::Cache { message } => f.write_str(message),
            Error::BudgetExhausted { budget } => {
                write!(f, "credit budget of {budget} spent: request not sent")
            }
        }
    }
}

/// Renders ` (HTTP 429, code 429): qps limit exceeded [requestId r-1]`.
impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(status) = self.status {
            parts.push(format!("HTTP {status}"));
        }
        if let Some(code) = self.code {
            parts.push(format!("code {code}"));
        }
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", printable(&self.message))?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [requestId {}]", printable(id))?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// reqwest's message followed by its causes ("connection refused"); the key is in a header, never in it.
fn chain(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Whether a transport failure is a TLS or certificate failure, which would fail the same
/// way again. rustls reports them as `InvalidData` I/O errors; any cause naming a
/// certificate, TLS, SSL or a handshake counts too, whatever the TLS stack.
fn is_tls_failure(error: &reqwest::Error) -> bool {
    // Causes only: reqwest's own message holds the URL, whose words prove nothing.
    let mut cause = std::error::Error::source(error);
    while let Some(current) = cause {
        // An I/O error's `source` skips the error it wraps: look inside it too.
        let mut io = current.downcast_ref::<std::io::Error>();
        while let Some(error) = io {
            if error.kind() == std::io::ErrorKind::InvalidData {
                return true;
            }
            io = error
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<std::io::Error>());
        }
        let text = current.to_string().to_ascii_lowercase();
        if ["certificate", "tls", "ssl", "handshake"]
            .iter()
            .any(|word| text.contains(word))
        {
            return true;
        }
        cause = current.source();
    }
    false
}

/// `text` cut to at most `max` bytes on a character boundary, `…` included when cut.
pub(crate) fn bounded(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max.saturating_sub('…'.len_utf8());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// Upstream text as shown: line breaks and tabs as spaces, other control characters
/// (terminal escapes) dropped, at most [`MESSAGE_SHOWN_BYTES`].
fn printable(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .filter_map(|c| match c {
            c if c.is_whitespace() && c.is_control() => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    bounded(cleaned, MESSAGE_SHOWN_BYTES)
}

/// The first [`EXCERPT_BYTES`] of a body as text, cut on a character boundary.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_BYTES + 4)]);
    let mut end = text.len().min(EXCERPT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut excerpt = text[..end].trim_end().to_owned();
    if body.len() > end {
        excerpt.push('…');
    }
    excerpt
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: Option<u16>, code: Option<i64>) -> ApiFailure {
        ApiFailure {
            status,
            code,
            message: "m".into(),
            request_id: None,
            retry_after: None,
        }
    }

    #[test]
    fn the_same_code_maps_to_the_same_variant_from_the_status_or_the_envelope() {
        for (code, kind) in [
            (400, "bad_request"),
            (401, "authentication"),
            (402, "credits_exhausted"),
            (429, "rate_limited"),
            (500, "server"),
            (503, "server"),
            (418, "api"),
        ] {
            let by_status = failure(Some(code as u16), None).into_error();
            let by_envelope = failure(Some(200), Some(code)).into_error();
            assert_eq!(
                (by_status.kind(), by_envelope.kind()),
                (kind, kind),
                "code {code}"
            );
        }
    }

    #[test]
    fn the_http_status_wins_over_a_contradicting_envelope() {
        assert_eq!(failure(Some(502), Some(0)).into_error().kind(), "server");
    }

    #[test]
    fn display_names_status_code_message_and_request_id() {
        let error = ApiFailure {
            status: Some(200),
            code: Some(429),
            message: "qps limit exceeded".into(),
            request_id: Some("r-1".into()),
            retry_after: None,
        }
        .into_error();
        assert_eq!(
            error.to_string(),
            "rate limited (HTTP 200, code 429): qps limit exceeded [requestId r-1]"
        );
    }

    #[tokio::test]
    async fn a_refused_connection_is_not_taken_for_tls_whatever_the_url_says() {
        let refused = crate::http_client_builder()
            .unwrap()
            .no_proxy()
            .build()
            .unwrap()
            .get("http://127.0.0.1:1/tls/ssl/certificate/handshake")
            .send()
            .await
            .unwrap_err();
        assert!(!is_tls_failure(&refused), "{refused}");
    }

    #[test]
    fn excerpts_are_bounded_and_cut_on_char_boundaries() {
        let body = "é".repeat(1000);
        let cut = excerpt(body.as_bytes());
        assert!(cut.len() <= EXCERPT_BYTES + '…'.len_utf8());
        assert!(cut.ends_with('…'));
        assert_eq!(
            excerpt(b"<html>Bad Gateway</html>"),
            "<html>Bad Gateway</html>"
        );
    }
}
