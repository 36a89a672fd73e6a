//! Back-off per delivery target (`outbox:target:{name}`): when a target
//! keeps failing, sweeps leave all its entries alone for a while; the first
//! success to it makes all of them due again at once.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The first back-off; it doubles per failed round up to [`MAX_BACKOFF_MS`].
const FIRST_BACKOFF_MS: i64 = 2_000;
const MAX_BACKOFF_MS: i64 = 30_000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct TargetState {
    /// Failed rounds in a row.
    pub failures: u32,
    /// Sweeps skip the target's entries until then.
    pub retry_at_ms: i64,
}

impl TargetState {
    pub fn due(&self, now_ms: i64) -> bool {
        self.retry_at_ms <= now_ms
    }

    pub fn after_failure(&self, now_ms: i64) -> Self {
        let failures = self.failures.saturating_add(1);
        let backoff = FIRST_BACKOFF_MS
            .saturating_mul(1 << failures.saturating_sub(1).min(10))
            .min(MAX_BACKOFF_MS);
        Self {
            failures,
            retry_at_ms: now_ms + backoff,
        }
    }
}

/// What one or more delivery rounds said about each target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Health {
    /// Something was accepted (or refused for good): the target works.
    pub worked: bool,
    pub failed: bool,
    /// Some attempt got an HTTP answer at all.
    pub answered: bool,
}

impl Health {
    /// Failed and never answered: not reachable now.
    pub fn unreachable(&self) -> bool {
        self.failed && !self.answered && !self.worked
    }
}

pub(crate) type HealthByTarget = HashMap<&'static str, Health>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_its_cap() {
        let mut state = TargetState::default();
        let mut waits = Vec::new();
        for _ in 0..6 {
            state = state.after_failure(0);
            waits.push(state.retry_at_ms);
        }
        assert_eq!(waits, [2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    }
}
