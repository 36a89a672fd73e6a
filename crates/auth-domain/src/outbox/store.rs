//! The outbox's bookkeeping over the key-value port.

use std::collections::HashSet;

use domain_core::kv::decode_counter;
use domain_core::{Clock, KeyValueStore, StoreError, Timestamp};

use super::entry::{OutboxEntry, SideEffect, TARGETS};
use super::low_mark::LowMark;
use super::targets::{HealthByTarget, TargetState};
use super::{DeliveryOutcome, DeliveryPort, OutboxSettings, Round};
use crate::keys;

mod flush;
mod sweep;

/// Entries reserved and built by one request, to be written with its state
/// change.
#[derive(Debug, Default)]
pub(crate) struct Staged {
    pub(super) entries: Vec<OutboxEntry>,
}

impl Staged {
    /// The writes to include in the request's `set_many`.
    pub fn writes(&self) -> Vec<(String, Vec<u8>)> {
        self.entries
            .iter()
            .map(|entry| {
                (
                    keys::outbox_entry(entry.seq),
                    serde_json::to_vec(entry).expect("entries serialize"),
                )
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The same entries, for sweeps and flushes to take at once: no request
    /// is trying them (see [`OutboxEntry::deferred`]).
    pub(super) fn deferred(mut self) -> Self {
        for entry in &mut self.entries {
            entry.deferred = true;
        }
        self
    }
}

/// What the store says at the head of the outbox.
struct Head {
    seq: u64,
    low: LowMark,
    now: Timestamp,
    targets: Vec<(&'static str, TargetState)>,
}

impl Head {
    fn target(&self, name: &str) -> TargetState {
        self.targets
            .iter()
            .find(|(target, _)| *target == name)
            .map(|(_, state)| state.clone())
            .unwrap_or_default()
    }
}

type Window = Vec<(u64, Option<OutboxEntry>)>;

/// What delivery rounds settled.
#[derive(Debug, Default)]
struct Settled {
    /// Deleted from the outbox (delivered or dead-lettered).
    seqs: HashSet<u64>,
    /// Tried, settled or not.
    tried: HashSet<u64>,
    /// Tried and answered by their receiver, settled or not: no attempt of
    /// this round can still be under way there.
    answered: HashSet<u64>,
    delivered: u64,
    dead_lettered: u64,
    health: HealthByTarget,
}

pub(crate) struct Outbox<'a, S, C, D> {
    pub store: &'a S,
    pub clock: &'a C,
    pub delivery: &'a D,
    pub settings: &'a OutboxSettings,
}

impl<S: KeyValueStore, C: Clock, D: DeliveryPort> Outbox<'_, S, C, D> {
    /// Reserves sequence numbers for `effects` (one write) and builds
    /// their entries; the caller writes them with its state change.
    pub fn stage(&self, effects: Vec<SideEffect>) -> Result<Staged, StoreError> {
        if effects.is_empty() {
            return Ok(Staged::default());
        }
        let count = effects.len() as u64;
        // Taken before the numbers are reserved, so that an entry's age
        // never understates how long its numbers have been reserved (see
        // `rescue_late`).
        let created_at = self.clock.now();
        let last = self.store.increment(keys::OUTBOX_SEQ, count as i64)? as u64;
        let entries = effects
            .into_iter()
            .zip(last + 1 - count..)
            .map(|(effect, seq)| OutboxEntry {
                seq,
                created_at,
                deferred: false,
                effect,
            })
            .collect();
        Ok(Staged { entries })
    }

    /// `staged` as it is, or its side effects under new numbers when its
    /// numbers were reserved so long ago (the store stalled since) that a
    /// sweep may already have passed over them: written under the old
    /// numbers, they would lie behind the low-water mark, where no sweep
    /// looks. Called right before the entries are written.
    pub fn renumbered_if_late(&self, staged: Staged) -> Result<Staged, StoreError> {
        let now_ms = self.clock.now().unix_millis();
        if !staged.entries.iter().any(|entry| self.late(entry, now_ms)) {
            return Ok(staged);
        }
        self.stage(
            staged
                .entries
                .into_iter()
                .map(|entry| entry.effect)
                .collect(),
        )
    }

    /// Whether `entry` is well short of ripe: half the time it is left to
    /// its request, the other half for clocks that disagree and for the
    /// marking write's own time to land.
    fn young(&self, entry: &OutboxEntry, now_ms: i64) -> bool {
        now_ms - entry.created_at.unix_millis() < self.settings.settle_after_seconds * 1000 / 2
    }

    /// Whether `entry`'s number may already lie behind the low-water mark:
    /// a sweep passes a number whose entry has been missing for the grace
    /// period; half of it leaves room for clocks that disagree.
    fn late(&self, entry: &OutboxEntry, now_ms: i64) -> bool {
        now_ms - entry.created_at.unix_millis() >= self.settings.gap_grace_seconds * 1000 / 2
    }

    /// Whether anyone but its own request may deliver `entry`: that
    /// request gave up on it, or has had `settle_after_seconds`.
    fn ripe(&self, entry: &OutboxEntry, now: Timestamp) -> bool {
        entry.deferred
            || now.unix_millis() - entry.created_at.unix_millis()
                >= self.settings.settle_after_seconds * 1000
    }

    fn head(&self) -> Result<Head, StoreError> {
        let mut keys = vec![keys::OUTBOX_SEQ.to_owned(), keys::OUTBOX_LOW.to_owned()];
        keys.extend(TARGETS.iter().map(|target| keys::outbox_target(target)));
        let values = self.store.get_many(&keys)?;
        // "Now" is taken after reading the counter, so every number up to
        // `seq` was reserved before it (the checkpoint relies on that).
        let now = self.clock.now();
        let seq = match &values[0] {
            None => 0,
            Some(bytes) => decode_counter(keys::OUTBOX_SEQ, bytes)?.max(0) as u64,
        };
        let low: LowMark = json(&values[1]).unwrap_or_default();
        let targets = TARGETS
            .iter()
            .enumerate()
            .map(|(index, target)| (*target, json(&values[2 + index]).unwrap_or_default()))
            .collect();
        Ok(Head {
            seq,
            low,
            now,
            targets,
        })
    }

    /// The numbers `from..` up to `width` of them and no further than `seq`,
    /// with their entries. Unreadable entries are deleted: nobody could
    /// ever deliver them, and they would hold the mark for ever.
    fn window(&self, from: u64, seq: u64, width: u64) -> Result<Window, StoreError> {
        if from > seq || width == 0 {
            return Ok(Vec::new());
        }
        let last = seq.min(from + width - 1);
        let numbers: Vec<u64> = (from..=last).collect();
        let keys: Vec<String> = numbers.iter().map(|seq| keys::outbox_entry(*seq)).collect();
        let values = self.store.get_many(&keys)?;
        let mut unreadable = Vec::new();
        let mut window = Vec::with_capacity(numbers.len());
        for ((seq, key), value) in numbers.into_iter().zip(keys).zip(values) {
            let entry =
                value.and_then(
                    |bytes| match serde_json::from_slice::<OutboxEntry>(&bytes) {
                        Ok(entry) => Some(entry),
                        Err(error) => {
                            self.delivery
                                .note("outbox_entry_unreadable", &format!("{key}: {error}"));
                            unreadable.push(key);
                            None
                        }
                    },
                );
            window.push((seq, entry));
        }
        if !unreadable.is_empty() {
            self.delete(&unreadable);
        }
        Ok(window)
    }

    /// One delivery round over `batch`, added to `settled`: delivered
    /// entries are deleted, refused ones moved to the dead-letter list.
    fn deliver(&self, batch: &[&OutboxEntry], round: Round, settled: &mut Settled) {
        if batch.is_empty() {
            return;
        }
        let effects: Vec<&SideEffect> = batch.iter().map(|entry| &entry.effect).collect();
        let outcomes = self.delivery.deliver(&effects, round);
        let mut done = Vec::new();
        let mut delivered = 0;
        let mut dead_lettered = 0;
        for (entry, outcome) in batch.iter().zip(outcomes) {
            settled.tried.insert(entry.seq);
            let health = settled.health.entry(entry.effect.target()).or_default();
            match outcome {
                DeliveryOutcome::Delivered => {
                    health.worked = true;
                    settled.answered.insert(entry.seq);
                    delivered += 1;
                    done.push(entry.seq);
                }
                DeliveryOutcome::Rejected { status, answer } => {
                    health.worked = true;
                    health.answered = true;
                    settled.answered.insert(entry.seq);
                    if self.dead_letter(entry, status, answer) {
                        dead_lettered += 1;
                        done.push(entry.seq);
                    }
                }
                DeliveryOutcome::Failed { answered } => {
                    health.failed = true;
                    health.answered |= answered;
                    if answered {
                        settled.answered.insert(entry.seq);
                    }
                }
            }
        }
        let keys: Vec<String> = done.iter().map(|seq| keys::outbox_entry(*seq)).collect();
        if self.delete(&keys) {
            settled.seqs.extend(done);
            settled.delivered += delivered;
            settled.dead_lettered += dead_lettered;
        }
        // Otherwise they are still in the store: they will be delivered
        // again, harmlessly, so the mark must not pass them.
    }

    fn delete(&self, keys: &[String]) -> bool {
        if keys.is_empty() {
            return true;
        }
        match self.store.delete_many(keys) {
            Ok(()) => true,
            Err(error) => {
                self.delivery
                    .note("outbox_delete_failed", &error.to_string());
                false
            }
        }
    }

    /// A target that worked loses its back-off (and has the backlog read
    /// once more when what failed before is ripe); one that only failed
    /// gets a longer one, written only once its current back-off has run
    /// out (so a failing target costs one write per back-off, not per
    /// request). Nothing is written while all is well.
    fn update_targets(&self, head: &Head, health: &HealthByTarget, scanned: bool) {
        let now_ms = head.now.unix_millis();
        let ripe_after_ms = self.settings.settle_after_seconds * 1000;
        for target in TARGETS {
            let state = head.target(target);
            let round = health.get(target).copied().unwrap_or_default();
            let Some(next) =
                state.after_round(round.worked, round.failed, scanned, now_ms, ripe_after_ms)
            else {
                continue;
            };
            let key = keys::outbox_target(target);
            let result = if next == TargetState::default() {
                self.store.delete(&key)
            } else {
                self.store
                    .set(&key, &serde_json::to_vec(&next).expect("states serialize"))
            };
            if let Err(error) = result {
                self.delivery
                    .note("outbox_target_state_failed", &error.to_string());
            }
        }
    }

    /// Moves the low-water mark past the leading numbers that are settled:
    /// deleted just now, or missing and reserved before an aged checkpoint.
    fn advance(
        &self,
        head: &Head,
        window: &Window,
        settled: &Settled,
        own: &HashSet<u64>,
        eager: bool,
    ) {
        let now_ms = head.now.unix_millis();
        let low = &head.low;
        let grace_ms = self.settings.gap_grace_seconds * 1000;
        let checkpoint_aged = low.checkpoint_aged(now_ms, grace_ms);
        let mut next = low.next;
        let mut passed_pending = false;
        for (seq, entry) in window {
            let settled_now = settled.seqs.contains(seq);
            let long_missing = entry.is_none() && checkpoint_aged && *seq <= low.checkpoint_seq;
            if !(settled_now || long_missing) {
                break;
            }
            passed_pending |= entry
                .as_ref()
                .is_some_and(|entry| !own.contains(&entry.seq));
            next = seq + 1;
        }
        let mut mark = low.clone();
        mark.next = next;
        // A new checkpoint only once the old one is used up, so a mark that
        // lags far behind keeps catching up a window per sweep.
        let refresh = checkpoint_aged && next > low.checkpoint_seq && head.seq > low.checkpoint_seq;
        if refresh {
            mark.checkpoint_seq = head.seq;
            mark.checkpoint_at_ms = now_ms;
        }
        // Writes are what the store pays for. A request whose own entries
        // settled at once leaves the mark alone: the next checkpoint passes
        // over them, so the mark moves about once per grace period, not once
        // per request.
        let worth_writing =
            eager || refresh || passed_pending || (checkpoint_aged && next != low.next);
        if worth_writing && &mark != low {
            let bytes = serde_json::to_vec(&mark).expect("marks serialize");
            if let Err(error) = self.store.set(keys::OUTBOX_LOW, &bytes) {
                self.delivery.note("outbox_mark_failed", &error.to_string());
            }
        }
    }
}

/// A stored JSON value; one that does not parse counts as absent (the
/// defaults are safe: no back-off, a mark at the start).
fn json<T: serde::de::DeserializeOwned>(value: &Option<Vec<u8>>) -> Option<T> {
    value
        .as_deref()
        .and_then(|bytes| serde_json::from_slice(bytes).ok())
}

fn present(window: &Window) -> impl Iterator<Item = &OutboxEntry> {
    window.iter().filter_map(|(_, entry)| entry.as_ref())
}

/// Up to `count` of `entries`, starting at a random one and wrapping
/// around: entries that keep failing cannot take every sweep's places.
fn rotated<'e>(entries: &[&'e OutboxEntry], count: usize) -> Vec<&'e OutboxEntry> {
    if entries.is_empty() {
        return Vec::new();
    }
    let start = (uuid::Uuid::new_v4().as_u128() % entries.len() as u128) as usize;
    entries
        .iter()
        .cycle()
        .skip(start)
        .take(count.min(entries.len()))
        .copied()
        .collect()
}
