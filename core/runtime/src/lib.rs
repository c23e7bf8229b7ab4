//! What a CreatorOS process needs around its logic, without AWS clients:
//!
//! - [`config`]: the environment variable names shared by template, local stack and tests, and the settings
//!   read from them;
//! - [`logging`]: Lambda's JSON log format, with span fields (request, workspace, import ids) at the top level;
//! - [`metrics`]: one invocation's operational metrics as CloudWatch Embedded Metric Format;
//! - [`errors`]: error text with its sources, for logs and records;
//! - [`deadline`]: an invocation's wall-clock deadline as the monotonic one the handlers work with.

#![deny(clippy::all)]
#![warn(missing_docs)]

pub mod config;
pub mod errors;
pub mod logging;
pub mod metrics;

use std::time::{Duration, Instant, SystemTime};

/// Lambda gives an invocation's deadline on the wall clock; the handlers compare against a monotonic one. A
/// deadline already past is now.
pub fn deadline(wall: SystemTime) -> Instant {
    Instant::now()
        + wall
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wall_clock_deadline_becomes_the_same_time_left_on_the_monotonic_clock() {
        let left = deadline(SystemTime::now() + Duration::from_secs(60)) - Instant::now();
        assert!(
            left > Duration::from_secs(59) && left <= Duration::from_secs(60),
            "{left:?}"
        );
        let past = deadline(SystemTime::now() - Duration::from_secs(5));
        assert!(past <= Instant::now());
    }
}
