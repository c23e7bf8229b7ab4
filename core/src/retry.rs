//! Retry policy for AWS partial failures: exponential backoff with jitter up to a cap.
//!
//! The SDK already retries whole failed requests a few times; this policy covers what it cannot see, such as
//! `UnprocessedItems` in a successful `BatchWriteItem` response, and throttling that outlasts the SDK's attempts.
//! Delays come from the `backoff` crate's `ExponentialBackoff` (randomised, so concurrent writers spread out).

use std::time::Duration;

use backoff::backoff::Backoff;
use backoff::ExponentialBackoff;

/// How hard to try before giving a failure back to the caller (and, in a worker, back to the queue).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// First delay.
    pub initial_delay: Duration,
    /// Longest single delay.
    pub max_delay: Duration,
    /// Growth per attempt.
    pub multiplier: f64,
    /// Jitter: each delay is drawn from `delay * (1 ± randomization)`.
    pub randomization: f64,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Stop retrying once this much time has passed since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// Sized for a Lambda invocation: about ten attempts over at most 30 s.
    fn default() -> Self {
        Self {
            initial_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(5),
            multiplier: 2.0,
            randomization: 0.5,
            max_attempts: 10,
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A fresh schedule of delays for one operation.
    pub fn schedule(&self) -> RetrySchedule {
        RetrySchedule {
            backoff: ExponentialBackoff {
                current_interval: self.initial_delay,
                initial_interval: self.initial_delay,
                randomization_factor: self.randomization,
                multiplier: self.multiplier,
                max_interval: self.max_delay,
                max_elapsed_time: Some(self.max_elapsed),
                ..ExponentialBackoff::default()
            },
            attempts: 1,
            max_attempts: self.max_attempts,
        }
    }
}

/// The delays of one operation: `None` once the attempt or time cap is reached.
#[derive(Debug)]
pub struct RetrySchedule {
    backoff: ExponentialBackoff,
    attempts: u32,
    max_attempts: u32,
}

impl RetrySchedule {
    /// The delay before the next attempt, or `None` when the operation should give up.
    pub fn next_delay(&mut self) -> Option<Duration> {
        if self.attempts >= self.max_attempts {
            return None;
        }
        let delay = self.backoff.next_backoff()?;
        self.attempts += 1;
        Some(delay)
    }

    /// Attempts made or granted so far (the first included).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_after_max_attempts() {
        let policy = RetryPolicy {
            max_attempts: 4,
            initial_delay: Duration::from_millis(1),
            ..RetryPolicy::default()
        };
        let mut s = policy.schedule();
        let delays: Vec<_> = std::iter::from_fn(|| s.next_delay()).collect();
        assert_eq!(delays.len(), 3);
        assert_eq!(s.attempts(), 4);
    }

    #[test]
    fn delays_grow_within_jitter_and_cap() {
        let policy = RetryPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
            randomization: 0.5,
            max_attempts: 8,
            ..RetryPolicy::default()
        };
        let mut s = policy.schedule();
        let delays: Vec<_> = std::iter::from_fn(|| s.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(50) && delays[0] <= Duration::from_millis(150));
        // Capped at max_delay * (1 + randomization).
        assert!(
            delays.iter().all(|d| *d <= Duration::from_millis(600)),
            "{delays:?}"
        );
        assert!(delays[5] >= Duration::from_millis(200), "{delays:?}");
    }

    #[test]
    fn jitter_spreads_concurrent_writers() {
        let policy = RetryPolicy::default();
        let firsts: std::collections::HashSet<_> =
            (0..20).map(|_| policy.schedule().next_delay()).collect();
        assert!(firsts.len() > 1, "20 schedules drew the same first delay");
    }
}
