//! The outbox: analytics events and notifications are recorded in the auth
//! store in the same write as the state change they report, tried at once,
//! deleted once settled, and retried later by any auth request otherwise.
//!
//! Each entry has a sequence number from the atomic counter `outbox:seq`.
//! The low-water mark `outbox:low` says below which number every entry is
//! settled, so a sweep reads a small window of keys from there instead of
//! listing the store. A number whose entry is missing was either settled
//! (deleted) or reserved by a request that never wrote it; a reservation may
//! also still be on its way, so missing numbers are passed over only once
//! they are older than a grace period, known from a checkpoint of the
//! counter kept in the mark.
//!
//! Delivery is at least once: a sweep may deliver an entry that its own
//! request is still delivering. Every delivery carries a stable id
//! (`event_id`, `Idempotency-Key`), and the receivers deduplicate on it.

mod entry;
mod low_mark;
mod store;

pub use entry::{Delivery, OutboxEntry};
pub(crate) use store::{Outbox, Staged};

/// What one delivery attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Accepted, or already known to the receiver.
    Delivered,
    /// Refused for good (a 4xx other than 408 and 429): retrying cannot help,
    /// so the entry is dropped. The port logs why.
    Rejected { status: u16 },
    /// Not delivered this time (unreachable, timed out, 5xx, 408, 429): kept.
    Failed,
}

impl DeliveryOutcome {
    /// What a receiver's HTTP status means for the entry.
    pub fn from_status(status: u16) -> Self {
        match status {
            200..=299 => Self::Delivered,
            408 | 429 => Self::Failed,
            400..=499 => Self::Rejected { status },
            // 5xx, and anything a receiver of ours never answers.
            _ => Self::Failed,
        }
    }
}

/// Whether a delivery round carries the request's own side effects, which
/// may wait a little longer, or only older entries swept along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    WithOwn,
    SweepOnly,
}

/// Where deliveries go: the analytics and notification services.
pub trait DeliveryPort {
    /// Tries every delivery once, all at once, within a short bounded wait,
    /// and returns one outcome per delivery, in order. Never blocks longer
    /// than its deadline and never panics on a peer's answer.
    fn deliver(&self, deliveries: &[&Delivery], round: Round) -> Vec<DeliveryOutcome>;

    /// Reports a bookkeeping problem that does not fail the request (the
    /// store refused a delete, an entry was unreadable).
    fn note(&self, event: &str, detail: &str);
}

/// Bounds of the outbox's work.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    /// Sequence numbers a request's sweep reads past the low-water mark.
    pub scan_window: u64,
    /// Older entries a request delivers along with its own, at most.
    pub sweep_batch: usize,
    /// An entry's own request is still trying it for this long.
    pub settle_after_seconds: i64,
    /// A reserved sequence number older than this whose entry is missing
    /// will never be written.
    pub gap_grace_seconds: i64,
    /// After a swept entry fails, sweeps leave older entries alone this long.
    pub backoff_seconds: i64,
    /// Sequence numbers `POST /auth/outbox/flush` reads, and entries it
    /// delivers, at most.
    pub flush_scan: u64,
    pub flush_batch: usize,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            scan_window: 32,
            sweep_batch: 4,
            settle_after_seconds: 5,
            gap_grace_seconds: 30,
            backoff_seconds: 10,
            flush_scan: 256,
            flush_batch: 32,
        }
    }
}

/// What `POST /auth/outbox/flush` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushReport {
    pub delivered: u64,
    /// Entries still waiting: exact when the backlog fits in one flush's
    /// scan, otherwise an upper bound.
    pub pending: u64,
}

#[cfg(test)]
mod tests {
    use super::DeliveryOutcome;

    #[test]
    fn statuses_decide_between_delivered_kept_and_dropped() {
        for status in [200, 202] {
            assert_eq!(
                DeliveryOutcome::from_status(status),
                DeliveryOutcome::Delivered
            );
        }
        for status in [408, 429, 500, 502, 503, 504, 301, 100] {
            assert_eq!(
                DeliveryOutcome::from_status(status),
                DeliveryOutcome::Failed,
                "{status}"
            );
        }
        for status in [400, 401, 403, 404, 409, 413, 415, 422] {
            assert_eq!(
                DeliveryOutcome::from_status(status),
                DeliveryOutcome::Rejected { status },
                "{status}"
            );
        }
    }
}
