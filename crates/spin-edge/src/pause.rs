//! Waiting inside a component: WASI has no thread sleep, so the wait
//! blocks on a monotonic-clock pollable.

use domain_core::Pause;
use std::time::Duration;

#[derive(Debug, Clone, Copy, Default)]
pub struct MonotonicPause;

impl Pause for MonotonicPause {
    fn pause(&self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        wasi::clocks::monotonic_clock::subscribe_duration(nanos).block();
    }
}
