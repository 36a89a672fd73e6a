//! Entries a receiver refused for good (`400`/`422`), kept for an operator
//! under `outbox:dead:{n}`, numbered by the counter `outbox:dead:seq`:
//! writing them, listing them and replaying them.

use domain_core::{Clock, KeyValueStore, StoreError, Timestamp};
use serde::{Deserialize, Serialize};

use super::entry::OutboxEntry;
use super::{DeliveryPort, Outbox};
use crate::error::Unexpected;
use crate::keys;

/// Dead-letter numbers a listing looks at, at most (newest first).
const DEAD_LETTER_SCAN: u64 = 1000;

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
    /// Dead letters not replayed, in all: numbers handed out less letters
    /// counted as replayed. A replay that stops between claiming its letter
    /// and counting it (killed, or the store failing at the count and again
    /// at the give-back) leaves this one too high for good.
    pub waiting: u64,
    pub letters: Vec<DeadLetter>,
    /// Where the next page starts (its `before`); `None` when no letter
    /// can be older than this page's.
    pub next_before: Option<u64>,
}

/// The longest receiver answer kept with a dead letter.
const MAX_ANSWER_CHARS: usize = 500;

impl<S: KeyValueStore, C: Clock, D: DeliveryPort> Outbox<'_, S, C, D> {
    /// Dead letters, newest first, at most `limit`, numbered below `before`
    /// (when given). One listing looks at no more than `DEAD_LETTER_SCAN`
    /// numbers; `next_before` says where the next page goes on.
    pub fn dead_letters(
        &self,
        limit: usize,
        before: Option<u64>,
    ) -> Result<DeadLetterPage, StoreError> {
        let (handed_out, waiting) = self.dead_letter_counts()?;
        let newest = handed_out;
        let newest = before.map_or(newest, |before| newest.min(before.saturating_sub(1)));
        let oldest = newest.saturating_sub(DEAD_LETTER_SCAN) + 1;
        let mut letters: Vec<DeadLetter> = Vec::new();
        let mut top = newest;
        while top >= oldest && letters.len() < limit {
            let bottom = top.saturating_sub(99).max(oldest);
            let numbers: Vec<u64> = (bottom..=top).rev().collect();
            let keys: Vec<String> = numbers.iter().map(|n| keys::dead_letter(*n)).collect();
            letters.extend(
                self.store
                    .get_many(&keys)?
                    .into_iter()
                    .flatten()
                    .filter_map(|bytes| serde_json::from_slice::<DeadLetter>(&bytes).ok()),
            );
            top = bottom - 1;
        }
        let next_before = if letters.len() >= limit {
            letters.truncate(limit);
            letters.last().map(|letter| letter.number)
        } else {
            // The whole window was read: older letters, if any, lie below it.
            Some(oldest).filter(|oldest| *oldest > 1)
        };
        Ok(DeadLetterPage {
            waiting,
            letters,
            next_before,
        })
    }

    /// Puts dead letter `number` back into the outbox under a new number,
    /// with the same delivery id (so receivers still deduplicate), and
    /// removes it from the list. `None` when there is no such dead letter.
    pub fn replay(&self, number: u64) -> Result<Option<u64>, Unexpected> {
        let key = keys::dead_letter(number);
        let Some(bytes) = self.store.get(&key)? else {
            return Ok(None);
        };
        let letter: DeadLetter =
            serde_json::from_slice(&bytes).map_err(|error| Unexpected::corrupt(&key, error))?;
        // Nothing delivers it in this request: the next sweep takes it.
        let staged = self.stage(vec![letter.entry.effect])?.deferred();
        // The entry is written, and the letter counted, before the letter
        // goes: a failure at either later step leaves the letter listed,
        // and replaying it again delivers the same id again, harmlessly,
        // and finishes the job.
        self.store.set_many(&staged.writes())?;
        self.count_replayed(number)?;
        self.store.delete(&key)?;
        Ok(staged.entries.first().map(|entry| entry.seq))
    }

    /// Counts dead letter `number` as no longer waiting, once: two replays
    /// of one letter at once both get here (both read it before either
    /// removed it), and the first to claim it counts it. A claimer that
    /// cannot count gives the claim back, so that its retry counts it.
    fn count_replayed(&self, number: u64) -> Result<(), StoreError> {
        let claim = keys::dead_letter_replays(number);
        if self.store.increment(&claim, 1)? != 1 {
            return Ok(());
        }
        let Err(error) = self.store.increment(keys::DEAD_LETTER_REPLAYED, 1) else {
            return Ok(());
        };
        if let Err(release) = self.store.delete(&claim) {
            self.delivery
                .note("outbox_replay_claim_kept", &release.to_string());
        }
        Err(error)
    }

    /// Dead letters waiting for an operator.
    pub(super) fn waiting_dead_letters(&self) -> Result<u64, StoreError> {
        Ok(self.dead_letter_counts()?.1)
    }

    /// Dead-letter numbers handed out, and how many of them still wait.
    fn dead_letter_counts(&self) -> Result<(u64, u64), StoreError> {
        let counters = self.store.counters(&[
            keys::DEAD_LETTER_SEQ.to_owned(),
            keys::DEAD_LETTER_REPLAYED.to_owned(),
        ])?;
        let waiting = counters[0].saturating_sub(counters[1]).max(0) as u64;
        Ok((counters[0].max(0) as u64, waiting))
    }

    /// Writes the dead letter; `false` (the entry stays) when that fails.
    /// A request that stops between numbering the letter and writing it
    /// leaves the number spent and uncounted: the waiting count then stays
    /// one above the letters listed (the entry itself stays, and is tried
    /// again).
    pub(super) fn dead_letter(&self, entry: &OutboxEntry, status: u16, answer: String) -> bool {
        let number = match self.store.increment(keys::DEAD_LETTER_SEQ, 1) {
            Ok(number) => number.max(0) as u64,
            Err(error) => {
                self.delivery
                    .note("outbox_dead_letter_failed", &error.to_string());
                return false;
            }
        };
        let letter = DeadLetter {
            number,
            status,
            answer: answer.chars().take(MAX_ANSWER_CHARS).collect(),
            dead_lettered_at: self.clock.now(),
            entry: entry.clone(),
        };
        let written = self.store.set(
            &keys::dead_letter(number),
            &serde_json::to_vec(&letter).expect("dead letters serialize"),
        );
        let Err(error) = written else {
            return true;
        };
        self.delivery
            .note("outbox_dead_letter_failed", &error.to_string());
        // The number is spent and no letter will ever have it: counted as
        // no longer waiting, or the waiting count would stay one too high.
        if let Err(error) = self.store.increment(keys::DEAD_LETTER_REPLAYED, 1) {
            self.delivery
                .note("outbox_dead_letter_uncounted", &error.to_string());
        }
        false
    }
}
