//! Entries a receiver refused for good (`400`/`422`), kept for an operator
//! under `outbox:dead:{n}`, numbered by the counter `outbox:dead:seq`.

use domain_core::Timestamp;
use serde::{Deserialize, Serialize};

use super::entry::OutboxEntry;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub number: u64,
    /// The receiver's status and (the start of) its answer.
    pub status: u16,
    pub answer: String,
    pub dead_lettered_at: Timestamp,
    pub entry: OutboxEntry,
}

/// Newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterPage {
    /// Dead letters not replayed, in all.
    pub waiting: u64,
    pub letters: Vec<DeadLetter>,
    /// Where the next page starts (its `before`); `None` when no letter
    /// can be older than this page's.
    pub next_before: Option<u64>,
}

/// The longest receiver answer kept with a dead letter.
pub(crate) const MAX_ANSWER_CHARS: usize = 500;
