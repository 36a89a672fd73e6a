//! The outbox: analytics events and notifications are recorded in the auth
//! store in the same write as the state change they report (before the
//! client gets its answer), tried once the answer is sent, deleted once
//! settled, and retried later by other auth requests and by
//! `POST /auth/outbox/flush` otherwise.
//!
//! Each entry has a sequence number from the atomic counter `outbox:seq`.
//! The low-water mark `outbox:low` says below which number every entry is
//! settled, so a sweep reads a small window of keys from there instead of
//! listing the store, and only when it may find something there (a target
//! backing off or just recovered, the mark due to move, or one request in
//! a few: [`OutboxSettings::scan_every`]). A number whose entry is missing
//! was either settled (deleted) or reserved by a request that never wrote
//! it; a reservation may also still be on its way, so missing numbers are
//! passed over only once they are older than a grace period, known from a
//! checkpoint of the counter kept in the mark. A request whose numbers
//! come back so late that a sweep may have passed over them writes its
//! entries under new numbers instead; one whose write itself stalled that
//! long gives its entries, if its own delivery fails, new numbers ahead of
//! the mark once the write is done. Those are lost only when the request
//! then cannot write the copies, or stops before it tries: a write stalled
//! for 15 s or more and then a second fault. No sweep or flush looks below
//! the mark again.
//!
//! An entry ends only when its receiver accepts it or answers `400`/`422`
//! (it can never succeed); the latter moves it to a dead-letter list an
//! operator can read and replay. Everything else — `401`, `403`, `404`,
//! `5xx`, timeouts, transport errors, a missing URL or key — keeps it.
//! Back-off is per target, not per entry, and sweeps pick among due entries
//! from a random starting point, so entries that keep failing never hold
//! back the others.
//!
//! Delivery is at least once: two sweeps may deliver one entry at once,
//! and one may deliver an entry whose own request stalled for longer than
//! it is left to that request ([`OutboxSettings::settle_after_seconds`],
//! unless its receiver answered the request's attempt with a failure).
//! Every delivery carries a stable id (`event_id`, `Idempotency-Key`), and
//! the receivers deduplicate on it. For the same reason an entry refused
//! for good by two rounds at once (the dead letter is written before the
//! entry is deleted, so that a failure in between loses nothing) becomes
//! two dead letters with one id: replaying both is harmless.

mod dead_letter;
mod entry;
mod low_mark;
mod store;
mod targets;

pub use dead_letter::{DeadLetter, DeadLetterPage};
pub use entry::{OutboxEntry, SideEffect};
pub(crate) use store::{Outbox, Staged};

/// What one attempt to deliver a side effect came to. A port over HTTP
/// maps the receiver's status to it as the contract says: `2xx` is
/// `Delivered`, `400` and `422` `Rejected`, any other answer `Failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Accepted, or already known to the receiver.
    Delivered,
    /// The receiver says it can never accept this. The entry moves to the
    /// dead-letter list with the receiver's status and answer.
    Rejected { status: u16, answer: String },
    /// Not delivered this time: kept. `answered` is whether the target
    /// answered at all (a `5xx`, `401`, `404`...) rather than not being
    /// reachable (timeout, transport error, not configured).
    Failed { answered: bool },
}

/// Whether a delivery round carries the request's own side effects, which
/// may wait a little longer, or only older entries swept along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    WithOwn,
    SweepOnly,
}

/// Where side effects are delivered: the analytics and notification services.
pub trait DeliveryPort {
    /// Tries to deliver every side effect once, all at once, within a short
    /// bounded wait, and returns one outcome per side effect, in order.
    /// Never blocks longer than its deadline and never panics on a peer's
    /// answer.
    fn deliver(&self, effects: &[&SideEffect], round: Round) -> Vec<DeliveryOutcome>;

    /// Reports a bookkeeping problem that does not fail the request (the
    /// store refused a delete, an entry was unreadable).
    fn note(&self, event: &str, detail: &str);
}

/// Bounds of the outbox's work.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    /// Sequence numbers a request's sweep reads past the low-water mark.
    pub scan_window: u64,
    /// A request reads that window when one of its own entries is numbered
    /// a multiple of this (a login, with two entries, one time in four at
    /// 8), and whenever a target is backing off or the low-water mark is
    /// due to move; otherwise its sweep reads only the outbox's head and
    /// delivers its own entries. Pending entries behind a healthy target
    /// are rare (a request that died before delivering, a failure another
    /// round's success cleared), and on Redis every number read is a round
    /// trip. 1: every request reads it.
    pub scan_every: u64,
    /// Older entries a request delivers along with its own, at most (and as
    /// many again for a target that just recovered).
    pub sweep_batch: usize,
    /// How long an entry is left to its own request (unless it gives up on
    /// it sooner): no sweep or flush delivers it meanwhile.
    pub settle_after_seconds: i64,
    /// A reserved sequence number older than this whose entry is missing
    /// will never be written.
    pub gap_grace_seconds: i64,
    /// Sequence numbers `POST /auth/outbox/flush` reads per store round trip.
    pub flush_page: u64,
    /// Entries a flush sends at once.
    pub flush_batch: usize,
    /// How long a flush keeps delivering (and collecting expired keys).
    pub flush_budget_ms: i64,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            scan_window: 32,
            scan_every: 8,
            sweep_batch: 8,
            settle_after_seconds: 5,
            gap_grace_seconds: 30,
            flush_page: 128,
            flush_batch: 32,
            flush_budget_ms: 10_000,
        }
    }
}

/// What `POST /auth/outbox/flush` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlushReport {
    pub delivered: u64,
    /// Moved to the dead-letter list by this flush.
    pub dead_lettered: u64,
    /// Entries still waiting. Exact when `complete`; otherwise the entries
    /// seen plus every number not looked at (an upper bound).
    pub pending: u64,
    /// Whether the flush looked at the whole backlog within its budget.
    pub complete: bool,
    /// Dead letters waiting for an operator.
    pub dead_letters: u64,
    /// Expired keys (throttle buckets, old tokens) deleted by this flush.
    pub expired_deleted: u64,
}
