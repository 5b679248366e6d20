//! Which failures are tried again, and after how long: exponential backoff with full jitter (a
//! random wait between zero and the doubled step, so retries from many prompts do not arrive
//! together). A server's `Retry-After` sets its endpoint aside for that long (see the pool), so
//! the retry goes elsewhere at once, or waits for it when there is nowhere else.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio_util::sync::CancellationToken;

use super::pool::{AllAside, Failure, Lease, Pool};
use crate::model::ModelError;

/// What went wrong with one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptError {
    /// Worth trying again (elsewhere, if possible): a connection error, a timeout, a dropped
    /// stream, 429 or 5xx. `unreachable` when nothing listened at all.
    Retryable {
        reason: String,
        retry_after: Option<Duration>,
        unreachable: bool,
    },
    /// Trying again cannot help (a 4xx other than 429, an answer we cannot use).
    Fatal(String),
}

impl AttemptError {
    pub fn retryable(reason: impl Into<String>) -> AttemptError {
        AttemptError::Retryable {
            reason: reason.into(),
            retry_after: None,
            unreachable: false,
        }
    }

    /// The error of a non-success HTTP status with the body's text (shortened).
    pub fn from_status(status: u16, retry_after: Option<Duration>, body: &str) -> AttemptError {
        let body = body.trim();
        let shown: String = body.chars().take(300).collect();
        let reason = if shown.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status}: {shown}")
        };
        if status == 429 || status >= 500 {
            AttemptError::Retryable {
                reason,
                retry_after,
                unreachable: false,
            }
        } else {
            AttemptError::Fatal(reason)
        }
    }

    /// The error of a transport failure.
    pub fn from_reqwest(e: &reqwest::Error) -> AttemptError {
        let unreachable = e.is_connect();
        let reason = if e.is_timeout() {
            "timed out".to_string()
        } else {
            error_chain(e)
        };
        AttemptError::Retryable {
            reason,
            retry_after: None,
            unreachable,
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            AttemptError::Retryable { reason, .. } | AttemptError::Fatal(reason) => reason,
        }
    }
}

/// An error with its sources, one line ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// The attempts of one request: each [`Attempts::next`] waits out the backoff and claims an
/// endpoint (another than the one that just failed, when one has room); [`Attempts::failed`]
/// records a failure on its endpoint and says whether another attempt may follow.
pub struct Attempts<'a> {
    pool: &'a Arc<Pool>,
    what: &'a str,
    retries: u32,
    base: Duration,
    max: Duration,
    made: u32,
    avoid: Option<usize>,
    errors: Vec<String>,
    /// What to do when a server refuses the key (401, 403).
    auth_fix: String,
}

impl<'a> Attempts<'a> {
    pub fn new(
        pool: &'a Arc<Pool>,
        what: &'a str,
        retries: u32,
        base: Duration,
        max: Duration,
    ) -> Attempts<'a> {
        Attempts {
            pool,
            what,
            retries,
            base,
            max,
            made: 0,
            avoid: None,
            errors: Vec::new(),
            auth_fix: String::new(),
        }
    }

    /// The fix to suggest when a server refuses the request as unauthorised.
    pub fn on_refusal(mut self, fix: String) -> Attempts<'a> {
        self.auth_fix = fix;
        self
    }

    /// Attempts made so far.
    pub fn made(&self) -> u32 {
        self.made
    }

    /// The next attempt's endpoint; `Ok(None)` if `cancel` fired while waiting; an error once
    /// the retries are used up.
    pub async fn next(
        &mut self,
        cancel: Option<&CancellationToken>,
    ) -> Result<Option<Lease>, ModelError> {
        let mut wait = match self.made {
            0 => Duration::ZERO,
            n => backoff(n, self.base, self.max),
        };
        loop {
            if self.made > self.retries {
                return Err(self.exhausted());
            }
            self.made += 1;
            if !wait.is_zero() && !sleep(wait, cancel).await {
                return Ok(None);
            }
            let claim = self.pool.acquire(self.avoid);
            let claimed = match cancel {
                Some(token) => tokio::select! {
                    biased;
                    _ = token.cancelled() => return Ok(None),
                    claimed = claim => claimed,
                },
                None => claim.await,
            };
            match claimed {
                Ok(lease) => return Ok(Some(lease)),
                Err(AllAside { next }) => {
                    if self.errors.last().map(String::as_str) != Some(ALL_ASIDE) {
                        self.errors.push(ALL_ASIDE.to_string());
                    }
                    let until = next.saturating_duration_since(tokio::time::Instant::now());
                    wait = until.max(backoff(self.made, self.base, self.max));
                }
            }
        }
    }

    /// Records a failed attempt: a fatal one ends the request with its error, a retryable one
    /// counts against the endpoint (which may be set aside) and lets the next attempt go
    /// elsewhere.
    pub fn failed(&mut self, lease: Lease, error: AttemptError) -> Result<(), ModelError> {
        let url = lease.url().to_string();
        match error {
            AttemptError::Fatal(reason) => {
                let refused = reason.starts_with("HTTP 401") || reason.starts_with("HTTP 403");
                let fix = if refused && !self.auth_fix.is_empty() {
                    format!("\n  fix: {}", self.auth_fix)
                } else {
                    String::new()
                };
                Err(ModelError::Backend(format!(
                    "{} at {url} failed: {reason}{fix}",
                    self.what
                )))
            }
            AttemptError::Retryable {
                reason,
                retry_after,
                unreachable,
            } => {
                tracing::warn!(
                    "{} at {url} failed (attempt {}): {reason}",
                    self.what,
                    self.made
                );
                self.errors.push(format!("{url}: {reason}"));
                self.avoid = Some(lease.index());
                let failure = if unreachable {
                    Failure::Unreachable
                } else {
                    Failure::Transient
                };
                lease.failed_with(failure, retry_after);
                Ok(())
            }
        }
    }

    fn exhausted(&self) -> ModelError {
        let last: Vec<&str> = self
            .errors
            .iter()
            .rev()
            .take(4)
            .rev()
            .map(String::as_str)
            .collect();
        ModelError::Backend(format!(
            "{} failed after {} attempts: {}\n  fix: check that the servers run and answer (`curl URL/models`); failing endpoints are set aside and probed again",
            self.what,
            self.made,
            last.join("; ")
        ))
    }
}

const ALL_ASIDE: &str = "every endpoint is set aside after failing";

/// Sleeps for `wait`; `false` if `cancel` fired first.
async fn sleep(wait: Duration, cancel: Option<&CancellationToken>) -> bool {
    match cancel {
        Some(token) => tokio::select! {
            biased;
            _ = token.cancelled() => false,
            _ = tokio::time::sleep(wait) => true,
        },
        None => {
            tokio::time::sleep(wait).await;
            true
        }
    }
}

/// The wait before retry number `attempt` (1 for the first retry): a random duration up to
/// `base * 2^(attempt-1)`, capped at `max`.
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let step = base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(max);
    step.mul_f64(rand::thread_rng().gen_range(0.0..=1.0))
}

/// The longest wait a `Retry-After` header is taken at (a longer one is read as this).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// A `Retry-After` header's wait: seconds, or an HTTP date; at most [`MAX_RETRY_AFTER`].
/// A value that is neither (negative, not a number) is ignored.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else if let Ok(seconds) = value.parse::<f64>() {
        if seconds.is_nan() || seconds < 0.0 {
            return None;
        }
        Duration::try_from_secs_f64(seconds).unwrap_or(MAX_RETRY_AFTER)
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
        wait.to_std().unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_or_bad_retry_after_is_capped_or_ignored_never_a_panic() {
        for huge in [
            "1e20",
            "18446744073709551615",
            "1e308",
            "inf",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(parse_retry_after(huge), Some(MAX_RETRY_AFTER), "{huge}");
        }
        assert_eq!(parse_retry_after("2.5"), Some(Duration::from_millis(2500)));
        for bad in ["-1", "NaN", "-inf", "soon", ""] {
            assert_eq!(parse_retry_after(bad), None, "{bad}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for _ in 0..200 {
            assert!(backoff(1, base, max) <= base);
            assert!(backoff(3, base, max) <= base * 4);
            assert!(backoff(30, base, max) <= max);
        }
        let spread: Vec<Duration> = (0..50).map(|_| backoff(4, base, max)).collect();
        assert!(
            spread.iter().any(|d| *d != spread[0]),
            "the waits are jittered"
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        let wait = parse_retry_after(&soon).unwrap();
        assert!(wait > Duration::from_secs(80) && wait <= Duration::from_secs(90));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn statuses_are_sorted_into_retryable_and_fatal() {
        for status in [429, 500, 502, 503, 504] {
            assert!(matches!(
                AttemptError::from_status(status, None, ""),
                AttemptError::Retryable { .. }
            ));
        }
        for status in [400, 401, 403, 404, 422] {
            assert!(matches!(
                AttemptError::from_status(status, None, "bad"),
                AttemptError::Fatal(_)
            ));
        }
        assert_eq!(
            AttemptError::from_status(401, None, " no key ").reason(),
            "HTTP 401: no key"
        );
    }
}
