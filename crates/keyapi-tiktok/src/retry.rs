//! When to try a failed request again, and how long to wait: a pure function of the
//! attempt, the error and the time spent, so it is tested without sleeping.

use std::time::Duration;

use crate::Error;

/// How the client retries failed requests.
///
/// Retried: rate limits (429), server errors (5xx) and transport failures (dropped
/// connections, timeouts), whether the API signalled them with the HTTP status or the
/// envelope `code`. Never retried: 400, 401, 402, invalid input, redirects, TLS and
/// certificate failures and bodies too large, since they would fail the same way again
/// (a 4xx status decides even when its body could not be read). Waits grow exponentially
/// with full jitter (a uniformly random wait up to the exponential bound, so clients that
/// failed together do not retry together); a `Retry-After` from the server is honoured,
/// clamped to [`max_retry_after`](RetryPolicy::max_retry_after), but never waits less than
/// `base_delay` plus jitter, so a server answering `Retry-After: 0` cannot drive a tight
/// loop. No single wait is longer than [`max_wait`](RetryPolicy::max_wait).
///
/// [`ClientBuilder::build`](crate::ClientBuilder::build) refuses a policy outside these
/// ranges: `max_attempts` 1..=100, every delay at most a day, `base_delay <= max_delay`,
/// `max_elapsed` at most a week.
///
/// ```
/// use std::time::Duration;
/// use keyapi_tiktok::RetryPolicy;
///
/// let policy = RetryPolicy { max_attempts: 5, ..RetryPolicy::default() };
/// assert_eq!(policy.base_delay, Duration::from_millis(500));
/// assert_eq!(RetryPolicy::no_delay(3).max_delay, Duration::ZERO);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included; 1 means never retry.
    pub max_attempts: u32,
    /// The bound of the first wait; each further wait doubles it.
    pub base_delay: Duration,
    /// The largest bound a wait can have.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; longer requests are clamped to it.
    pub max_retry_after: Duration,
    /// No retry starts when it could end later than this after the first attempt started:
    /// the client counts the wait and the whole next attempt, its timeout included. So a
    /// call returns within `max_elapsed`, or the first attempt's timeout when that is
    /// longer (time spent waiting for rate-limit slots and in-flight permits aside).
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// Four attempts, waits from 0.5 s doubling up to 30 s, `Retry-After` up to 60 s,
    /// two minutes in all.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            max_elapsed: Duration::from_secs(120),
        }
    }
}

/// The most attempts a policy may make.
const MAX_ATTEMPTS: u32 = 100;

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Give up and return the error.
    Stop,
    /// Wait this long, then try again.
    Retry(Duration),
}

impl RetryPolicy {
    /// Never retry.
    ///
    /// ```
    /// assert_eq!(keyapi_tiktok::RetryPolicy::never().max_attempts, 1);
    /// ```
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Retry up to `max_attempts` in all without waiting, `Retry-After` included: for tests.
    ///
    /// ```
    /// assert_eq!(keyapi_tiktok::RetryPolicy::no_delay(3).max_attempts, 3);
    /// ```
    pub fn no_delay(max_attempts: u32) -> Self {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            max_retry_after: Duration::ZERO,
            max_elapsed: Duration::from_secs(3600),
        }
    }

    /// The longest single wait this policy can ask for: `max(max_delay, max_retry_after)`.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(keyapi_tiktok::RetryPolicy::default().max_wait(), Duration::from_secs(60));
    /// ```
    pub fn max_wait(&self) -> Duration {
        self.max_delay.max(self.max_retry_after)
    }

    /// Decides what follows failed attempt number `attempt` (from 1). `elapsed` is the time
    /// since the first attempt started plus what the next attempt may take (the client
    /// adds its timeout), so no retry starts that could end past `max_elapsed`. `jitter`
    /// is a uniform random number in `[0, 1)`, passed in so the decision is reproducible;
    /// anything else (NaN included) is clamped into that range. Never panics, whatever
    /// the policy.
    ///
    /// ```
    /// use std::time::Duration;
    /// use keyapi_tiktok::*;
    ///
    /// let policy = RetryPolicy::default();
    /// # let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 24), "US".parse()?, RankField::Views, Period::Daily);
    /// let invalid = query.page(0).validate().unwrap_err();
    /// assert_eq!(policy.decide(1, &invalid, Duration::ZERO, 0.5), RetryDecision::Stop);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn decide(
        &self,
        attempt: u32,
        error: &Error,
        elapsed: Duration,
        jitter: f64,
    ) -> RetryDecision {
        if attempt >= self.max_attempts || !error.is_retryable() {
            return RetryDecision::Stop;
        }
        let jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        let wait = match error.retry_after() {
            // At least the base delay plus jitter, even when the server asks for less.
            Some(asked) => {
                let floor = self
                    .base_delay
                    .saturating_add(scaled(self.base_delay, jitter))
                    .min(self.max_wait());
                asked.min(self.max_retry_after).max(floor)
            }
            None => scaled(self.backoff_bound(attempt), jitter),
        };
        if elapsed.saturating_add(wait) > self.max_elapsed {
            return RetryDecision::Stop;
        }
        RetryDecision::Retry(wait)
    }

    /// Refuses a policy outside the documented ranges, naming the field.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        const DAY: Duration = Duration::from_secs(86_400);
        const WEEK: Duration = Duration::from_secs(7 * 86_400);
        let seconds = |d: Duration| format!("{:?}", d);
        if !(1..=MAX_ATTEMPTS).contains(&self.max_attempts) {
            return Err(Error::invalid_input(
                "retry.max_attempts",
                self.max_attempts,
                format!("1..={MAX_ATTEMPTS}"),
            ));
        }
        for (field, value) in [
            ("retry.max_delay", self.max_delay),
            ("retry.max_retry_after", self.max_retry_after),
        ] {
            if value > DAY {
                return Err(Error::invalid_input(
                    field,
                    seconds(value),
                    "0s..=1 day (86400s)",
                ));
            }
        }
        if self.base_delay > self.max_delay {
            return Err(Error::invalid_input(
                "retry.base_delay",
                seconds(self.base_delay),
                format!("0s..=max_delay ({})", seconds(self.max_delay)),
            ));
        }
        if self.max_elapsed > WEEK {
            return Err(Error::invalid_input(
                "retry.max_elapsed",
                seconds(self.max_elapsed),
                "0s..=1 week (604800s)",
            ));
        }
        Ok(())
    }

    /// `min(max_delay, base_delay * 2^(attempt - 1))`.
    fn backoff_bound(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(30));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// `duration * factor` for a factor in `[0, 1]`, never more than `duration`, never panicking.
fn scaled(duration: Duration, factor: f64) -> Duration {
    Duration::try_from_secs_f64(duration.as_secs_f64() * factor)
        .unwrap_or(duration)
        .min(duration)
}

/// Reads `Retry-After`: delta seconds or an HTTP date, relative to `now`; clamped to a day
/// so a broken header cannot park a client.
pub(crate) fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(now)
            .unwrap_or(Duration::ZERO),
    };
    Some(wait.min(Duration::from_secs(86_400)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiFailure;

    fn api(status: u16, retry_after: Option<Duration>) -> Error {
        ApiFailure {
            status: Some(status),
            code: None,
            message: String::new(),
            request_id: None,
            retry_after,
        }
        .into_error()
    }

    fn envelope(code: i64) -> Error {
        ApiFailure {
            status: Some(200),
            code: Some(code),
            message: String::new(),
            request_id: None,
            retry_after: None,
        }
        .into_error()
    }

    const START: Duration = Duration::ZERO;

    #[test]
    fn retries_rate_limits_and_server_errors_from_status_or_envelope() {
        let policy = RetryPolicy::default();
        for error in [
            api(429, None),
            api(500, None),
            api(503, None),
            envelope(429),
            envelope(500),
        ] {
            assert!(
                matches!(
                    policy.decide(1, &error, START, 0.5),
                    RetryDecision::Retry(_)
                ),
                "{error}"
            );
        }
    }

    #[test]
    fn never_retries_what_would_fail_again() {
        let policy = RetryPolicy::default();
        for error in [
            api(400, None),
            api(401, None),
            api(402, None),
            envelope(401),
            envelope(402),
            api(404, None),
        ] {
            assert_eq!(
                policy.decide(1, &error, START, 0.5),
                RetryDecision::Stop,
                "{error}"
            );
        }
    }

    #[test]
    fn stops_after_max_attempts() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        assert!(matches!(
            policy.decide(2, &api(503, None), START, 0.5),
            RetryDecision::Retry(_)
        ));
        assert_eq!(
            policy.decide(3, &api(503, None), START, 0.5),
            RetryDecision::Stop
        );
        assert_eq!(
            RetryPolicy::never().decide(1, &api(503, None), START, 0.5),
            RetryDecision::Stop
        );
    }

    #[test]
    fn backoff_is_exponential_full_jitter_and_capped() {
        let policy = RetryPolicy {
            max_attempts: 20,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_elapsed: Duration::from_secs(3600),
            ..RetryPolicy::default()
        };
        let wait = |attempt, jitter| match policy.decide(attempt, &api(500, None), START, jitter) {
            RetryDecision::Retry(wait) => wait,
            RetryDecision::Stop => panic!("attempt {attempt} should retry"),
        };
        assert_eq!(wait(1, 1.0), Duration::from_millis(100));
        assert_eq!(wait(2, 1.0), Duration::from_millis(200));
        assert_eq!(wait(3, 1.0), Duration::from_millis(400));
        assert_eq!(wait(3, 0.5), Duration::from_millis(200));
        assert_eq!(wait(3, 0.0), Duration::ZERO);
        assert_eq!(wait(10, 1.0), Duration::from_secs(1), "capped at max_delay");
        assert_eq!(wait(19, 1.0), Duration::from_secs(1), "no overflow");
    }

    #[test]
    fn retry_after_is_honoured_and_clamped() {
        let policy = RetryPolicy {
            max_retry_after: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let asked = |secs| api(429, Some(Duration::from_secs(secs)));
        assert_eq!(
            policy.decide(1, &asked(3), START, 0.0),
            RetryDecision::Retry(Duration::from_secs(3))
        );
        assert_eq!(
            policy.decide(1, &asked(600), START, 0.0),
            RetryDecision::Retry(Duration::from_secs(10))
        );
    }

    #[test]
    fn total_time_is_bounded() {
        let policy = RetryPolicy {
            max_elapsed: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        let error = api(429, Some(Duration::from_secs(2)));
        assert!(matches!(
            policy.decide(1, &error, Duration::from_secs(2), 0.5),
            RetryDecision::Retry(_)
        ));
        assert_eq!(
            policy.decide(1, &error, Duration::from_secs(4), 0.5),
            RetryDecision::Stop
        );
    }

    #[test]
    fn a_retry_after_of_zero_still_waits_the_base_delay() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            ..RetryPolicy::default()
        };
        for jitter in [0.0, 0.5, 0.999] {
            match policy.decide(1, &api(429, Some(Duration::ZERO)), START, jitter) {
                RetryDecision::Retry(wait) => assert!(wait >= policy.base_delay, "{wait:?}"),
                RetryDecision::Stop => panic!("a 429 is retried"),
            }
        }
    }

    #[test]
    fn no_delay_ignores_retry_after() {
        let policy = RetryPolicy::no_delay(3);
        assert_eq!(
            policy.decide(1, &api(429, Some(Duration::from_secs(30))), START, 0.9),
            RetryDecision::Retry(Duration::ZERO)
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 25 Nov 2026 16:00:00 GMT").unwrap();
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 16:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 15:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("99999999", now),
            Some(Duration::from_secs(86_400))
        );
    }

    fn any_duration() -> impl proptest::strategy::Strategy<Value = Duration> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Duration::ZERO),
            Just(Duration::MAX),
            any::<u64>().prop_map(Duration::from_nanos),
            any::<u64>().prop_map(Duration::from_secs),
        ]
    }

    proptest::proptest! {
        #[test]
        fn decide_never_panics_and_never_waits_longer_than_its_maximum(
            max_attempts in proptest::prelude::any::<u32>(),
            base_delay in any_duration(),
            max_delay in any_duration(),
            max_retry_after in any_duration(),
            max_elapsed in any_duration(),
            attempt in proptest::prelude::any::<u32>(),
            elapsed in any_duration(),
            jitter in proptest::prop_oneof![
                proptest::strategy::Just(f64::NAN),
                proptest::strategy::Just(f64::INFINITY),
                proptest::strategy::Just(-1.0),
                proptest::prelude::any::<f64>(),
                0.0..1.0f64,
            ],
            retry_after in proptest::option::of(any_duration()),
        ) {
            let policy = RetryPolicy { max_attempts, base_delay, max_delay, max_retry_after, max_elapsed };
            let error = api(429, retry_after);
            if let RetryDecision::Retry(wait) = policy.decide(attempt, &error, elapsed, jitter) {
                proptest::prop_assert!(wait <= policy.max_wait(), "{:?} > {:?}", wait, policy.max_wait());
            }
        }
    }
}
