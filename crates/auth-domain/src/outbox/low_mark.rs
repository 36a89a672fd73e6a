//! `outbox:low`: where sweeps start, and what they know about gaps.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct LowMark {
    /// Every entry numbered below this is settled.
    pub next: u64,
    /// `outbox:seq` as read at `checkpoint_at_ms`: every number up to it was
    /// reserved before then.
    pub checkpoint_seq: u64,
    pub checkpoint_at_ms: i64,
}

impl Default for LowMark {
    fn default() -> Self {
        Self {
            next: 1,
            checkpoint_seq: 0,
            checkpoint_at_ms: 0,
        }
    }
}

impl LowMark {
    /// Whether numbers missing up to the checkpoint are old enough to pass
    /// over (and the checkpoint due for renewal).
    pub fn checkpoint_aged(&self, now_ms: i64, grace_ms: i64) -> bool {
        now_ms - self.checkpoint_at_ms >= grace_ms
    }
}
