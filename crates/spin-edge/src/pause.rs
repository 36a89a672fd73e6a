//! Waiting inside a component: WASI has no thread sleep, so a wait, and
//! every deadline a stream or call is polled against, is a monotonic-clock
//! pollable.

use domain_core::Pause;
use std::time::Duration;
use wasi::io::poll::Pollable;

/// Ready once `duration` has passed.
pub fn timer(duration: Duration) -> Pollable {
    wasi::clocks::monotonic_clock::subscribe_duration(nanos(duration))
}

/// `duration` in WASI's nanoseconds; one too long for them is the longest
/// they hold.
pub fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[derive(Debug, Clone, Copy, Default)]
pub struct MonotonicPause;

impl Pause for MonotonicPause {
    fn pause(&self, duration: Duration) {
        timer(duration).block();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duration_becomes_wasi_nanoseconds_and_one_too_long_the_longest_they_hold() {
        assert_eq!(nanos(Duration::from_millis(1200)), 1_200_000_000);
        assert_eq!(nanos(Duration::from_nanos(u64::MAX)), u64::MAX);
        assert_eq!(nanos(Duration::MAX), u64::MAX);
    }
}
