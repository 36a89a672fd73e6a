//! The retries every retrying channel shares (the webhook, the provider
//! channels): try, and after a failure that may pass wait and try again,
//! until delivered, refused for good, or out of attempts.

use crate::notification::Delivery;
use domain_core::Pause;
use std::time::Duration;

/// The waits before the second try and the third: three tries in all. With
/// the adapters' per-try deadlines (5 s for the webhook, 6 s for a
/// provider, after its 2 s readiness call) one notification takes at most
/// 15.4 s on the webhook and 20.4 s on email or SMS.
const BACKOFF: [Duration; 2] = [Duration::from_millis(100), Duration::from_millis(300)];

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

/// Runs `once` until it delivers, is refused for good, or the attempts run
/// out, pausing between tries.
pub(crate) fn with_retries(pause: &impl Pause, mut once: impl FnMut() -> Try) -> Delivery {
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
        let Some(wait) = BACKOFF.get(attempt as usize - 1) else {
            return Delivery::failed(attempt, reason);
        };
        pause.pause(*wait);
        attempt += 1;
    }
}
