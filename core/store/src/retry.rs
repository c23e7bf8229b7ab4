//! Retry policy for AWS partial failures: exponential backoff with jitter up to a cap.
//!
//! The SDK already retries whole failed requests a few times; this policy covers what it cannot see, such as
//! `UnprocessedItems` in a successful `BatchWriteItem` response, and throttling that outlasts the SDK's attempts.
//! The exponential sequence (first delay, growth, cap, attempt count) comes from the `backon` crate's
//! `ExponentialBuilder`; the jitter is drawn here from `rand` (randomised, so concurrent writers spread out). The
//! delay before a failed queue message is received again is `creatoros-queue`'s.

use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use rand::Rng;

/// Attempts per AWS request (the first one and its retries) for every client the workers and tools build: the
/// SDK's standard retry mode (exponential backoff with jitter, throttling and transient errors retried), with more
/// attempts than its default three. A derivation makes about twenty requests; at 15% of them throttled, three
/// attempts leave several percent of derivations failing (found by the fault suite), eight leave about one in a
/// million.
pub const SDK_MAX_ATTEMPTS: u32 = 8;

/// The SDK configuration every worker and tool loads: the standard AWS environment, with [`sdk_retry`].
pub fn sdk_config() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).retry_config(sdk_retry())
}

/// The retry configuration of [`SDK_MAX_ATTEMPTS`].
pub fn sdk_retry() -> aws_sdk_dynamodb::config::retry::RetryConfig {
    aws_sdk_dynamodb::config::retry::RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS)
}

/// How hard to try before giving a failure back to the caller (and, in a worker, back to the queue).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// First delay.
    pub initial_delay: Duration,
    /// Longest single delay before jitter.
    pub max_delay: Duration,
    /// Growth per attempt.
    pub multiplier: f64,
    /// Jitter: each delay is drawn from `delay * (1 ± randomization)` (clamped to 0..=1).
    pub randomization: f64,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Stop retrying once this much time has passed since the first attempt: no delay is granted that would end
    /// past it.
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
        let retries = self.max_attempts.saturating_sub(1) as usize;
        let delays = ExponentialBuilder::new()
            .with_min_delay(self.initial_delay.min(self.max_delay))
            .with_max_delay(self.max_delay)
            .with_factor(self.multiplier as f32)
            .with_max_times(retries)
            .build();
        RetrySchedule {
            delays,
            randomization: self.randomization.clamp(0.0, 1.0),
            started: Instant::now(),
            max_elapsed: self.max_elapsed,
            attempts: 1,
        }
    }
}

/// The delays of one operation: `None` once the attempt or time cap is reached.
#[derive(Debug)]
pub struct RetrySchedule {
    /// Un-jittered delays, capped in size and count.
    delays: ExponentialBackoff,
    randomization: f64,
    started: Instant,
    max_elapsed: Duration,
    attempts: u32,
}

impl RetrySchedule {
    /// The delay before the next attempt, or `None` when the operation should give up.
    pub fn next_delay(&mut self) -> Option<Duration> {
        let elapsed = self.started.elapsed();
        self.next_delay_after(elapsed, &mut rand::thread_rng())
    }

    /// Attempts made or granted so far (the first included).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// [`Self::next_delay`] with the time since the first attempt and the jitter source given.
    fn next_delay_after<R: Rng + ?Sized>(
        &mut self,
        elapsed: Duration,
        rng: &mut R,
    ) -> Option<Duration> {
        if elapsed >= self.max_elapsed {
            return None;
        }
        let base = self.delays.next()?;
        let delay = if self.randomization > 0.0 {
            base.mul_f64(1.0 + rng.gen_range(-self.randomization..=self.randomization))
        } else {
            base
        };
        if elapsed.saturating_add(delay) > self.max_elapsed {
            return None;
        }
        self.attempts += 1;
        Some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn all_delays(s: &mut RetrySchedule) -> Vec<Duration> {
        std::iter::from_fn(|| s.next_delay()).collect()
    }

    #[test]
    fn stops_after_max_attempts() {
        let policy = RetryPolicy {
            max_attempts: 4,
            initial_delay: Duration::from_millis(1),
            ..RetryPolicy::default()
        };
        let mut s = policy.schedule();
        let delays = all_delays(&mut s);
        assert_eq!(delays.len(), 3);
        assert_eq!(s.attempts(), 4);
        assert_eq!(s.next_delay(), None, "a finished schedule stays finished");
    }

    #[test]
    fn one_attempt_means_no_retry() {
        let policy = RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        };
        let mut s = policy.schedule();
        assert_eq!(s.next_delay(), None);
        assert_eq!(s.attempts(), 1);
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
        let delays = all_delays(&mut s);
        assert_eq!(delays.len(), 7);
        assert!(delays[0] >= Duration::from_millis(50) && delays[0] <= Duration::from_millis(150));
        // Capped at max_delay * (1 + randomization).
        assert!(
            delays.iter().all(|d| *d <= Duration::from_millis(600)),
            "{delays:?}"
        );
        assert!(delays[5] >= Duration::from_millis(200), "{delays:?}");
    }

    #[test]
    fn without_jitter_the_sequence_is_exponential_then_capped() {
        let policy = RetryPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            multiplier: 2.0,
            randomization: 0.0,
            max_attempts: 6,
            max_elapsed: Duration::from_secs(60),
        };
        let ms: Vec<u128> = all_delays(&mut policy.schedule())
            .iter()
            .map(Duration::as_millis)
            .collect();
        assert_eq!(ms, [100, 200, 400, 500, 500]);
    }

    #[test]
    fn first_delay_is_capped_too() {
        let policy = RetryPolicy {
            initial_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(1),
            randomization: 0.0,
            ..RetryPolicy::default()
        };
        assert_eq!(policy.schedule().next_delay(), Some(Duration::from_secs(1)));
    }

    #[test]
    fn stops_once_the_elapsed_budget_is_spent() {
        let policy = RetryPolicy {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(1),
            randomization: 0.0,
            max_attempts: 100,
            max_elapsed: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let mut rng = StdRng::seed_from_u64(1);
        let mut s = policy.schedule();
        assert_eq!(
            s.next_delay_after(Duration::from_secs(5), &mut rng),
            Some(Duration::from_secs(1))
        );
        // A delay that would end exactly at the budget is still granted; one that would overrun it is not.
        assert_eq!(
            s.next_delay_after(Duration::from_secs(9), &mut rng),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            s.next_delay_after(Duration::from_millis(9_500), &mut rng),
            None
        );
        assert_eq!(s.attempts(), 3);
        let mut late = policy.schedule();
        assert_eq!(
            late.next_delay_after(Duration::from_secs(10), &mut rng),
            None
        );
        assert_eq!(late.attempts(), 1);
    }

    #[test]
    fn the_whole_schedule_fits_the_elapsed_budget() {
        let policy = RetryPolicy {
            initial_delay: Duration::from_millis(300),
            max_delay: Duration::from_secs(2),
            max_attempts: 1_000,
            max_elapsed: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let mut rng = StdRng::seed_from_u64(3);
        let mut s = policy.schedule();
        // Sleep (in simulation) for each granted delay.
        let mut elapsed = Duration::ZERO;
        while let Some(d) = s.next_delay_after(elapsed, &mut rng) {
            elapsed += d;
        }
        assert!(elapsed <= policy.max_elapsed, "{elapsed:?}");
        assert!(s.attempts() > 3 && s.attempts() < 1_000, "{}", s.attempts());
    }

    #[test]
    fn jitter_spreads_concurrent_writers() {
        let policy = RetryPolicy::default();
        let firsts: std::collections::HashSet<_> =
            (0..20).map(|_| policy.schedule().next_delay()).collect();
        assert!(firsts.len() > 1, "20 schedules drew the same first delay");
    }

    proptest! {
        #[test]
        fn retry_delays_stay_under_the_jittered_cap(
            initial_ms in 1u64..=10_000,
            max_ms in 1u64..=60_000,
            randomization in 0.0f64..=1.0,
            max_attempts in 1u32..=50,
            seed in any::<u64>(),
        ) {
            let policy = RetryPolicy {
                initial_delay: Duration::from_millis(initial_ms),
                max_delay: Duration::from_millis(max_ms),
                randomization,
                max_attempts,
                max_elapsed: Duration::from_secs(3_600),
                ..RetryPolicy::default()
            };
            let mut rng = StdRng::seed_from_u64(seed);
            let mut s = policy.schedule();
            let mut granted = 0;
            while let Some(d) = s.next_delay_after(Duration::ZERO, &mut rng) {
                prop_assert!(d <= Duration::from_millis(max_ms).mul_f64(1.0 + randomization) + Duration::from_millis(1));
                granted += 1;
            }
            prop_assert_eq!(granted, max_attempts - 1);
            prop_assert_eq!(s.attempts(), max_attempts);
        }
    }
}
