//! A queue message's lifecycle as both workers handle it: how often it has been received, the visibility a
//! failure earns (a backoff with jitter for a failure a retry may cure; none for a permanent one or on its last
//! receive, so the queue moves it to the dead-letter queue at once), and the call that gives it back.

#![deny(clippy::all)]
#![warn(missing_docs)]

use std::time::Duration;

use aws_lambda_events::event::sqs::SqsMessage;
use rand::Rng;

/// The longest visibility timeout SQS accepts (12 hours).
pub const MAX_VISIBILITY: Duration = Duration::from_secs(43_200);

/// How long a message that failed on its `receive_count`-th receive (1 for the first) stays invisible before the
/// queue hands it out again: `base * 2^(receive_count - 1)`, capped at `max`, with equal jitter (half of that
/// fixed, the other half drawn at random) so messages that failed together do not all come back together.
///
/// The result is in whole seconds, as `ChangeMessageVisibility` takes it (rounded up), at least 1 s and at most
/// `max`, itself taken in whole seconds within 1 s..=12 h ([`MAX_VISIBILITY`]).
pub fn visibility_backoff(receive_count: u32, base: Duration, max: Duration) -> Duration {
    visibility_backoff_with(&mut rand::thread_rng(), receive_count, base, max)
}

/// [`visibility_backoff`] with the jitter source given (a seeded one makes it reproducible).
pub fn visibility_backoff_with<R: Rng + ?Sized>(
    rng: &mut R,
    receive_count: u32,
    base: Duration,
    max: Duration,
) -> Duration {
    let ceiling_secs = max.as_secs().clamp(1, MAX_VISIBILITY.as_secs());
    let ceiling_ms = u128::from(ceiling_secs) * 1000;
    let doublings = receive_count.saturating_sub(1);
    let exponential_ms = if doublings >= 64 {
        u128::MAX
    } else {
        base.as_millis().saturating_mul(1u128 << doublings)
    };
    let capped_ms = exponential_ms.min(ceiling_ms) as u64;
    let fixed_ms = capped_ms / 2;
    let jittered_ms = fixed_ms + rng.gen_range(0..=capped_ms - fixed_ms);
    Duration::from_secs(jittered_ms.div_ceil(1000).clamp(1, ceiling_secs))
}

/// `ApproximateReceiveCount` of a message (1 on its first delivery).
pub fn receive_count(message: &SqsMessage) -> u64 {
    message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|c| c.parse().ok())
        .unwrap_or(1)
}

/// What a failed message's retry policy is: the backoff's base and cap, and the receives the queue allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redelivery {
    /// Visibility after the first failed receive.
    pub base: Duration,
    /// Longest visibility.
    pub max: Duration,
    /// The queue's `maxReceiveCount`.
    pub max_receives: u64,
}

impl Redelivery {
    /// Whether the `receives`-th receive was the queue's last: the next one goes to the dead-letter queue.
    pub fn is_last(&self, receives: u64) -> bool {
        receives >= self.max_receives
    }

    /// The visibility a message that failed on its `receives`-th receive gets: a backoff when a retry may help,
    /// none for a permanent failure (it comes back at once and, after its receives, is dead-lettered) or on its
    /// last receive.
    pub fn visibility(&self, receives: u64, retryable: bool) -> Duration {
        if !retryable || self.is_last(receives) {
            return Duration::ZERO;
        }
        let count = u32::try_from(receives).unwrap_or(u32::MAX);
        visibility_backoff(count, self.base, self.max)
    }
}

/// Sets a received message's visibility (`ChangeMessageVisibility`). A message without a receipt handle (never
/// received from a queue) has nothing to change.
pub async fn set_visibility(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    message: &SqsMessage,
    visibility: Duration,
) -> Result<(), String> {
    let Some(receipt) = message.receipt_handle.as_deref() else {
        return Ok(());
    };
    sqs.change_message_visibility()
        .queue_url(queue_url)
        .receipt_handle(receipt)
        .visibility_timeout(i32::try_from(visibility.as_secs()).unwrap_or(i32::MAX))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.into_service_error().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn visibility_doubles_per_receive_within_equal_jitter() {
        let base = Duration::from_secs(30);
        let max = Duration::from_secs(900);
        let mut rng = StdRng::seed_from_u64(11);
        for (count, full) in [
            (1u64, 30u64),
            (2, 60),
            (3, 120),
            (4, 240),
            (5, 480),
            (6, 900),
            (20, 900),
        ] {
            for _ in 0..50 {
                let d = visibility_backoff_with(&mut rng, count as u32, base, max).as_secs();
                assert!(
                    d >= full / 2 && d <= full,
                    "receive {count}: {d} s not in {}..={full}",
                    full / 2
                );
            }
        }
    }

    #[test]
    fn visibility_is_never_zero_nor_past_the_sqs_limit() {
        let mut rng = StdRng::seed_from_u64(5);
        assert_eq!(
            visibility_backoff_with(&mut rng, 1, Duration::ZERO, Duration::from_secs(60)).as_secs(),
            1
        );
        assert_eq!(
            visibility_backoff_with(&mut rng, 0, Duration::ZERO, Duration::ZERO).as_secs(),
            1
        );
        assert_eq!(
            visibility_backoff_with(
                &mut rng,
                3,
                Duration::from_millis(100),
                Duration::from_secs(60)
            )
            .as_secs(),
            1,
            "400 ms rounds up to a whole second"
        );
        for count in [40, 64, 65, 1_000, u32::MAX] {
            let d = visibility_backoff_with(
                &mut rng,
                count,
                Duration::from_secs(30),
                Duration::from_secs(1 << 20),
            );
            assert!(
                d <= MAX_VISIBILITY && d >= MAX_VISIBILITY / 2,
                "receive {count}: {d:?}"
            );
        }
    }

    #[test]
    fn visibility_jitter_spreads_messages() {
        let draws: std::collections::HashSet<_> = (0..20)
            .map(|_| visibility_backoff(4, Duration::from_secs(30), Duration::from_secs(900)))
            .collect();
        assert!(
            draws.len() > 1,
            "20 failed messages drew the same visibility"
        );
    }

    #[test]
    fn a_retry_backs_off_with_the_receive_count_and_a_permanent_failure_does_not_wait() {
        let policy = Redelivery {
            base: Duration::from_secs(10),
            max: Duration::from_secs(900),
            max_receives: 30,
        };
        for (receives, low, high) in [
            (1, 5, 10),
            (2, 10, 20),
            (3, 20, 40),
            (8, 450, 900),
            (20, 450, 900),
        ] {
            let d = policy.visibility(receives, true).as_secs();
            assert!((low..=high).contains(&d), "receive {receives}: {d} s");
        }
        assert_eq!(policy.visibility(3, false), Duration::ZERO);
        assert_eq!(
            policy.visibility(30, true),
            Duration::ZERO,
            "the last receive"
        );
        assert!(policy.is_last(30) && !policy.is_last(29));
    }

    #[test]
    fn the_receive_count_comes_from_the_message_attributes() {
        let mut m = SqsMessage::default();
        assert_eq!(receive_count(&m), 1, "absent: a first delivery");
        m.attributes
            .insert("ApproximateReceiveCount".into(), "4".into());
        assert_eq!(receive_count(&m), 4);
    }

    proptest! {
        #[test]
        fn visibility_stays_within_its_bounds(
            receive_count in any::<u32>(),
            base_ms in 0u64..=100_000_000,
            max_secs in 0u64..=1_000_000,
            seed in any::<u64>(),
        ) {
            let mut rng = StdRng::seed_from_u64(seed);
            let base = Duration::from_millis(base_ms);
            let d = visibility_backoff_with(&mut rng, receive_count, base, Duration::from_secs(max_secs));
            let ceiling = max_secs.clamp(1, MAX_VISIBILITY.as_secs());
            prop_assert_eq!(d.subsec_nanos(), 0);
            prop_assert!(d.as_secs() >= 1 && d.as_secs() <= ceiling, "{:?} past 1..={}", d, ceiling);
            // At least the fixed half of the capped exponential delay.
            let doublings = receive_count.saturating_sub(1);
            let exponential_ms = if doublings >= 64 { u128::MAX } else { u128::from(base_ms) << doublings };
            let full_ms = exponential_ms.min(u128::from(ceiling) * 1000);
            prop_assert!(u128::from(d.as_secs()) * 1000 >= full_ms / 2, "{:?} below half of {} ms", d, full_ms);
        }
    }
}
