//! The retries every retrying channel shares (the webhook, the provider
//! channels): try, and after a failure that may pass wait and try again,
//! until delivered, refused for good, or out of attempts.

use crate::notification::Delivery;
use crate::pause::Pause;
use std::time::Duration;

/// How often to try and how long to wait between tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in total, at least 1.
    pub attempts: u32,
    /// The wait before the second try, the third, …; the last entry repeats.
    pub backoff: &'static [Duration],
}

impl RetryPolicy {
    /// Three tries, 100 ms then 300 ms apart: with the adapter's per-try
    /// deadline this bounds one webhook delivery to well under 20 s.
    pub const DEFAULT: Self = Self {
        attempts: 3,
        backoff: &[Duration::from_millis(100), Duration::from_millis(300)],
    };

    pub(crate) fn wait_after(&self, attempt: u32) -> Duration {
        let index = usize::try_from(attempt.saturating_sub(1)).unwrap_or(usize::MAX);
        self.backoff
            .get(index)
            .or(self.backoff.last())
            .copied()
            .unwrap_or_default()
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How one try went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Try {
    /// Accepted, with the receiver's receipt where it gives one.
    Delivered(Option<String>),
    /// Refused for good: not tried again.
    Rejected(String),
    /// Not delivered this time: tried again while attempts remain.
    Unavailable(String),
}

impl RetryPolicy {
    /// Runs `once` until it delivers, is refused for good, or the attempts
    /// run out, pausing between tries.
    pub(crate) fn run(&self, pause: &impl Pause, mut once: impl FnMut() -> Try) -> Delivery {
        let attempts = self.attempts.max(1);
        let mut attempt = 1;
        loop {
            let reason = match once() {
                Try::Delivered(None) => return Delivery::delivered(attempt),
                Try::Delivered(Some(receipt)) => {
                    return Delivery::delivered_with_receipt(attempt, receipt);
                }
                Try::Rejected(reason) => return Delivery::failed(attempt, reason),
                Try::Unavailable(reason) => reason,
            };
            if attempt >= attempts {
                return Delivery::failed(attempt, reason);
            }
            pause.pause(self.wait_after(attempt));
            attempt += 1;
        }
    }
}
