//! Back-off per delivery target (`outbox:target:{name}`): when a target
//! keeps failing, sweeps leave all its entries alone for a while; the first
//! success to it makes all of them due again at once. While a target is
//! backing off, and once more after it recovers, every sweep reads the
//! backlog (see `OutboxSettings::scan_every`).

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
    /// Set when a success ends a back-off: entries that failed just before
    /// it are not yet ripe for sweeps, so the first sweep from then on
    /// reads the backlog (and clears this). 0: nothing to check.
    pub recheck_at_ms: i64,
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
            recheck_at_ms: 0,
        }
    }

    /// The back-off ends; the backlog is read again once what failed
    /// before now is ripe.
    fn recovered(now_ms: i64, ripe_after_ms: i64) -> Self {
        Self {
            recheck_at_ms: now_ms + ripe_after_ms,
            ..Self::default()
        }
    }

    /// Whether sweeps must read the backlog for this target's sake.
    pub fn wants_scan(&self, now_ms: i64) -> bool {
        self.failures > 0 || self.recheck_due(now_ms)
    }

    fn recheck_due(&self, now_ms: i64) -> bool {
        self.recheck_at_ms != 0 && self.recheck_at_ms <= now_ms
    }

    /// The state after a round that `worked` or `failed` (both false: the
    /// round sent the target nothing) and did or did not read the backlog;
    /// `None` when it stays as it is.
    pub fn after_round(
        &self,
        worked: bool,
        failed: bool,
        scanned: bool,
        now_ms: i64,
        ripe_after_ms: i64,
    ) -> Option<Self> {
        if worked && self.failures > 0 {
            return Some(Self::recovered(now_ms, ripe_after_ms));
        }
        if !worked && failed {
            return self.due(now_ms).then(|| self.after_failure(now_ms));
        }
        (scanned && self.recheck_due(now_ms)).then(Self::default)
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

    #[test]
    fn a_recovered_target_asks_for_one_more_look_at_the_backlog_once_ripe() {
        let failing = TargetState::default().after_failure(0);
        assert!(failing.wants_scan(0));
        let recovered = failing
            .after_round(true, false, true, 1_000, 5_000)
            .unwrap();
        assert_eq!((recovered.failures, recovered.retry_at_ms), (0, 0));
        assert!(!recovered.wants_scan(5_999));
        assert_eq!(recovered.after_round(true, false, true, 5_999, 5_000), None);
        assert!(recovered.wants_scan(6_000));
        // Cleared only by a round that read the backlog.
        assert_eq!(
            recovered.after_round(true, false, false, 6_000, 5_000),
            None
        );
        assert_eq!(
            recovered.after_round(false, false, true, 6_000, 5_000),
            Some(TargetState::default())
        );
        // All well: nothing to write.
        let well = TargetState::default();
        assert!(!well.wants_scan(6_000));
        assert_eq!(well.after_round(true, false, true, 6_000, 5_000), None);
    }
}
