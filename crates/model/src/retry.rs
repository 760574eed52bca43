//! Retries with exponential backoff, and the injectable [`Sleeper`] that waits between them.
//!
//! What is retried: no HTTP answer (`Network`), a stream that broke off before any text was
//! handed on (`Interrupted`), HTTP 5xx and 408, and 429. A 429 waits for the server's
//! `Retry-After` (`retry-after-ms`, delta-seconds or an HTTP-date) when it gives one, else the
//! backoff; a `Retry-After` longer than [`RetryPolicy::max_retry_after_ms`] is not waited for:
//! the `RateLimited` error goes back to the caller at once, with the wait it asked for. Other
//! 4xx, malformed bodies, time-outs and cancellation are final.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use persona_core::model::ModelError;

/// How often and how patiently a call is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retries.
    pub max_attempts: u32,
    /// The wait before the first retry; each further retry waits twice as long.
    pub base_delay_ms: u64,
    /// The longest backoff wait.
    pub max_delay_ms: u64,
    /// The longest `Retry-After` worth waiting for; longer ones fail at once.
    pub max_retry_after_ms: u64,
}

impl Default for RetryPolicy {
    /// 3 attempts, 500 ms then 1 s (doubling, at most 8 s), `Retry-After` up to 30 s.
    fn default() -> Self {
        RetryPolicy { max_attempts: 3, base_delay_ms: 500, max_delay_ms: 8_000, max_retry_after_ms: 30_000 }
    }
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Wait this many milliseconds, then try again.
    RetryAfter(u64),
    /// The error is final.
    GiveUp,
    /// The error was retryable but no attempts are left.
    Exhausted,
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// The backoff before retry number `retry` (1 for the first retry): `base · 2^(retry-1)`,
    /// at most `max_delay_ms`.
    pub fn backoff_ms(&self, retry: u32) -> u64 {
        let factor = 1u64.checked_shl(retry.saturating_sub(1)).unwrap_or(u64::MAX);
        self.base_delay_ms.saturating_mul(factor).min(self.max_delay_ms)
    }

    /// What to do after attempt number `attempt` (1-based) failed with `error`.
    pub(crate) fn next(&self, error: &ModelError, attempt: u32) -> Next {
        let wait = match error {
            ModelError::RateLimited { retry_after_ms: Some(ms) } if *ms > self.max_retry_after_ms => {
                return Next::GiveUp
            }
            ModelError::RateLimited { retry_after_ms: Some(ms) } => *ms,
            ModelError::RateLimited { retry_after_ms: None } => self.backoff_ms(attempt),
            error if is_retryable(error) => self.backoff_ms(attempt),
            _ => return Next::GiveUp,
        };
        if attempt >= self.max_attempts {
            Next::Exhausted
        } else {
            Next::RetryAfter(wait)
        }
    }
}

/// Whether another attempt may succeed where this one failed.
pub fn is_retryable(error: &ModelError) -> bool {
    match error {
        ModelError::Network(_) | ModelError::Interrupted(_) | ModelError::RateLimited { .. } => true,
        ModelError::Http { status, .. } => *status >= 500 || *status == 408,
        ModelError::Malformed(_)
        | ModelError::Timeout { .. }
        | ModelError::Cancelled
        | ModelError::RetriesExhausted { .. } => false,
    }
}

/// Waits between attempts. Injectable so that tests need not sleep.
pub trait Sleeper: Send + Sync {
    /// A future that resolves after `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()>>>;
}

/// The real timer: tokio natively, `setTimeout` in the browser.
#[derive(Clone, Copy, Debug, Default)]
pub struct PlatformSleeper;

impl Sleeper for PlatformSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()>>> {
        platform_sleep(duration)
    }
}

/// A [`Sleeper`] for tests: records every wait asked for and returns at once.
#[derive(Debug, Default)]
pub struct RecordingSleeper {
    delays: Mutex<Vec<Duration>>,
}

impl RecordingSleeper {
    /// A sleeper that has recorded nothing.
    pub fn new() -> Self {
        RecordingSleeper::default()
    }

    /// The waits asked for so far, in milliseconds, in order.
    pub fn delays_ms(&self) -> Vec<u64> {
        let delays = self.delays.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        delays.iter().map(|delay| u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)).collect()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()>>> {
        self.delays.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(duration);
        Box::pin(std::future::ready(()))
    }
}

/// A shared sleeper in a client, shown by name only.
pub(crate) struct SharedSleeper(pub std::sync::Arc<dyn Sleeper>);

impl Clone for SharedSleeper {
    fn clone(&self) -> Self {
        SharedSleeper(self.0.clone())
    }
}

impl fmt::Debug for SharedSleeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sleeper")
    }
}

/// The platform timer.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn platform_sleep(duration: Duration) -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(tokio::time::sleep(duration))
}

/// The platform timer.
#[cfg(target_arch = "wasm32")]
pub(crate) fn platform_sleep(duration: Duration) -> Pin<Box<dyn Future<Output = ()>>> {
    let ms = u32::try_from(duration.as_millis()).unwrap_or(u32::MAX);
    Box::pin(gloo_timers::future::TimeoutFuture::new(ms))
}

/// Milliseconds since the Unix epoch by the platform clock.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn now_unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch by the platform clock.
#[cfg(target_arch = "wasm32")]
pub(crate) fn now_unix_ms() -> u64 {
    js_sys::Date::now().max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16) -> ModelError {
        ModelError::Http { status, message: String::new() }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let waits: Vec<u64> = (1..=7).map(|retry| policy.backoff_ms(retry)).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(policy.backoff_ms(200), 8000, "no overflow");
    }

    #[test]
    fn what_is_retried() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.next(&http(503), 1), Next::RetryAfter(500));
        assert_eq!(policy.next(&http(500), 2), Next::RetryAfter(1000));
        assert_eq!(policy.next(&http(502), 3), Next::Exhausted);
        assert_eq!(policy.next(&http(408), 1), Next::RetryAfter(500));
        assert_eq!(policy.next(&ModelError::Network("x".into()), 1), Next::RetryAfter(500));
        for final_error in [
            http(400),
            http(401),
            http(404),
            ModelError::Malformed("x".into()),
            ModelError::Timeout { after_ms: 1 },
            ModelError::Cancelled,
        ] {
            assert_eq!(policy.next(&final_error, 1), Next::GiveUp, "{final_error:?}");
        }
    }

    #[test]
    fn rate_limits_wait_for_retry_after_within_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.next(&ModelError::RateLimited { retry_after_ms: Some(2000) }, 1), Next::RetryAfter(2000));
        assert_eq!(policy.next(&ModelError::RateLimited { retry_after_ms: None }, 2), Next::RetryAfter(1000));
        assert_eq!(policy.next(&ModelError::RateLimited { retry_after_ms: Some(60_000) }, 1), Next::GiveUp);
        assert_eq!(RetryPolicy::none().next(&http(503), 1), Next::Exhausted);
    }

    #[test]
    fn recording_sleeper_records() {
        let sleeper = RecordingSleeper::new();
        drop(sleeper.sleep(Duration::from_millis(5)));
        drop(sleeper.sleep(Duration::from_secs(2)));
        assert_eq!(sleeper.delays_ms(), [5, 2000]);
    }
}
