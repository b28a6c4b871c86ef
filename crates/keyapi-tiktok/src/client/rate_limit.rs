//! Spaces requests evenly at a fixed rate, across every clone of a client.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// A fixed-rate gate. Waiters queue in order on an async lock and only the one at the head
/// sleeps for the next slot, so a waiter that is cancelled gives its place up at once and
/// holds no slot that would delay the others.
pub(crate) struct RateLimiter {
    interval: Duration,
    /// When the next request may start; `None` before the first.
    next_slot: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter for `per_second` requests a second; the rate is checked at `build()`.
    pub(crate) fn new(per_second: f64) -> RateLimiter {
        let interval =
            Duration::try_from_secs_f64(1.0 / per_second).unwrap_or(Duration::from_secs(86_400));
        RateLimiter {
            interval,
            next_slot: Mutex::new(None),
        }
    }

    /// Waits for the next slot and takes it.
    pub(crate) async fn acquire(&self) {
        let mut next = self.next_slot.lock().await;
        if let Some(slot) = *next {
            let wait = slot.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                tracing::debug!(
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "waiting for the requests-per-second limit"
                );
            }
            tokio::time::sleep_until(slot).await;
        }
        let now = Instant::now();
        *next = Some(now.checked_add(self.interval).unwrap_or(now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_rate_limiter_spaces_requests_evenly() {
        let limiter = RateLimiter::new(4.0);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_waiter_does_not_hold_a_slot() {
        let limiter = RateLimiter::new(4.0);
        let start = Instant::now();
        limiter.acquire().await;
        let cancelled = tokio::time::timeout(Duration::from_millis(100), limiter.acquire()).await;
        assert!(cancelled.is_err(), "the second slot is 250 ms away");
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(250));
    }
}
