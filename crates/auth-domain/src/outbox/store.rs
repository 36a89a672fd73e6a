//! The outbox's bookkeeping over the key-value port.

use std::collections::HashSet;

use service_kit::kv::decode_counter;
use service_kit::{Clock, KeyValueStore, StoreError, Timestamp};

use super::entry::{Delivery, OutboxEntry};
use super::low_mark::LowMark;
use super::{DeliveryOutcome, DeliveryPort, FlushReport, OutboxSettings, Round};
use crate::keys;

/// Entries reserved and built by one request, to be written with its state
/// change.
#[derive(Debug, Default)]
pub(crate) struct Staged {
    entries: Vec<OutboxEntry>,
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
}

/// What the store says from the low-water mark on.
struct Scan {
    seq: u64,
    low: LowMark,
    now: Timestamp,
    /// Every number from `low.next` on, up to the scan's width or `seq`.
    window: Vec<(u64, Option<OutboxEntry>)>,
}

pub(crate) struct Outbox<'a, S, C, D> {
    pub store: &'a S,
    pub clock: &'a C,
    pub delivery: &'a D,
    pub settings: &'a OutboxSettings,
}

impl<S: KeyValueStore, C: Clock, D: DeliveryPort> Outbox<'_, S, C, D> {
    /// Reserves sequence numbers for `deliveries` (one write) and builds
    /// their entries; the caller writes them with its state change.
    pub fn stage(&self, deliveries: Vec<Delivery>, deferred: bool) -> Result<Staged, StoreError> {
        if deliveries.is_empty() {
            return Ok(Staged::default());
        }
        let count = deliveries.len() as u64;
        let last = self.store.increment(keys::OUTBOX_SEQ, count as i64)? as u64;
        let created_at = self.clock.now();
        let entries = deliveries
            .into_iter()
            .zip(last + 1 - count..)
            .map(|(delivery, seq)| OutboxEntry {
                seq,
                created_at,
                deferred,
                delivery,
            })
            .collect();
        Ok(Staged { entries })
    }

    /// Reserves a number that will stay empty: the same store work as
    /// [`stage`](Self::stage) where there is nothing to report.
    pub fn reserve_gap(&self) -> Result<(), StoreError> {
        self.store.increment(keys::OUTBOX_SEQ, 1).map(drop)
    }

    /// Delivers the request's own non-deferred entries together with a few
    /// older pending ones, in one bounded round, then deletes what settled
    /// and moves the low-water mark. Never fails: what is not delivered
    /// stays for later, and bookkeeping trouble is reported to the port.
    pub fn settle(&self, own: &Staged) {
        let own_seqs: HashSet<u64> = own.entries.iter().map(|entry| entry.seq).collect();
        let mut batch: Vec<&OutboxEntry> = own.entries.iter().filter(|e| !e.deferred).collect();
        let own_count = batch.len();
        let scan = self
            .scan(self.settings.scan_window)
            .map_err(|error| self.delivery.note("outbox_read_failed", &error.to_string()))
            .ok();
        if let Some(scan) = scan
            .as_ref()
            .filter(|scan| scan.low.retry_at_ms <= scan.now.unix_millis())
        {
            batch.extend(
                scan.window
                    .iter()
                    .filter_map(|(_, entry)| entry.as_ref())
                    .filter(|entry| !own_seqs.contains(&entry.seq) && self.ripe(entry, scan.now))
                    .take(self.settings.sweep_batch),
            );
        }
        let round = if own_count > 0 {
            Round::WithOwn
        } else {
            Round::SweepOnly
        };
        let (settled, swept_failed) = self.deliver(&batch, round, own_count);
        if let Some(scan) = scan {
            self.advance(&scan, &settled, &own_seqs, swept_failed, false);
        }
    }

    /// Delivers up to a flush's batch of pending entries, whatever their age
    /// and any back-off, and reports what is left.
    pub fn flush(&self) -> Result<FlushReport, StoreError> {
        let scan = self.scan(self.settings.flush_scan)?;
        let batch: Vec<&OutboxEntry> = scan
            .window
            .iter()
            .filter_map(|(_, entry)| entry.as_ref())
            .take(self.settings.flush_batch)
            .collect();
        let (settled, _) = self.deliver(&batch, Round::SweepOnly, 0);
        self.advance(&scan, &settled, &HashSet::new(), false, true);
        let present = scan
            .window
            .iter()
            .filter(|(seq, entry)| entry.is_some() && !settled.contains(seq))
            .count() as u64;
        let scanned_to = scan.window.last().map_or(scan.seq, |(seq, _)| *seq);
        Ok(FlushReport {
            delivered: settled.delivered,
            pending: present + scan.seq.saturating_sub(scanned_to),
        })
    }

    fn ripe(&self, entry: &OutboxEntry, now: Timestamp) -> bool {
        entry.deferred
            || now.unix_millis() - entry.created_at.unix_millis()
                >= self.settings.settle_after_seconds * 1000
    }

    fn scan(&self, width: u64) -> Result<Scan, StoreError> {
        let head = self
            .store
            .get_many(&[keys::OUTBOX_SEQ.to_owned(), keys::OUTBOX_LOW.to_owned()])?;
        // "Now" is taken after reading the counter, so every number up to
        // `seq` was reserved before it (the checkpoint relies on that).
        let now = self.clock.now();
        let seq = match &head[0] {
            None => 0,
            Some(bytes) => decode_counter(keys::OUTBOX_SEQ, bytes)?.max(0) as u64,
        };
        let low: LowMark = head[1]
            .as_deref()
            .and_then(|bytes| serde_json::from_slice(bytes).ok())
            .unwrap_or_default();
        let mut scan = Scan {
            seq,
            low,
            now,
            window: Vec::new(),
        };
        if scan.low.next > seq || width == 0 {
            return Ok(scan);
        }
        let last = seq.min(scan.low.next + width - 1);
        let numbers: Vec<u64> = (scan.low.next..=last).collect();
        let keys: Vec<String> = numbers.iter().map(|seq| keys::outbox_entry(*seq)).collect();
        let values = self.store.get_many(&keys)?;
        let mut unreadable = Vec::new();
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
            scan.window.push((seq, entry));
        }
        // An entry nobody can read would block the mark for ever.
        if !unreadable.is_empty() {
            self.delete(&unreadable);
        }
        Ok(scan)
    }

    /// One delivery round. Returns the numbers that settled and whether any
    /// entry past the first `own_count` (the swept ones) failed.
    fn deliver(&self, batch: &[&OutboxEntry], round: Round, own_count: usize) -> (Settled, bool) {
        let mut settled = Settled::default();
        if batch.is_empty() {
            return (settled, false);
        }
        let deliveries: Vec<&Delivery> = batch.iter().map(|entry| &entry.delivery).collect();
        let outcomes = self.delivery.deliver(&deliveries, round);
        let mut swept_failed = false;
        for (index, (entry, outcome)) in batch.iter().zip(outcomes).enumerate() {
            match outcome {
                DeliveryOutcome::Delivered => {
                    settled.delivered += 1;
                    settled.seqs.insert(entry.seq);
                }
                DeliveryOutcome::Rejected { .. } => {
                    settled.seqs.insert(entry.seq);
                }
                DeliveryOutcome::Failed => swept_failed |= index >= own_count,
            }
        }
        let keys: Vec<String> = batch
            .iter()
            .filter(|entry| settled.seqs.contains(&entry.seq))
            .map(|entry| keys::outbox_entry(entry.seq))
            .collect();
        if !self.delete(&keys) {
            // Still in the store: they will be delivered again, harmlessly,
            // so the mark must not pass them.
            settled.seqs.clear();
        }
        (settled, swept_failed)
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

    /// Moves the low-water mark past the leading numbers that are settled:
    /// deleted just now, or missing and reserved before an aged checkpoint.
    fn advance(
        &self,
        scan: &Scan,
        settled: &Settled,
        own: &HashSet<u64>,
        swept_failed: bool,
        eager: bool,
    ) {
        let now_ms = scan.now.unix_millis();
        let low = &scan.low;
        let grace_ms = self.settings.gap_grace_seconds * 1000;
        let checkpoint_aged = now_ms - low.checkpoint_at_ms >= grace_ms;
        let mut next = low.next;
        let mut passed_pending = false;
        for (seq, entry) in &scan.window {
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
        let refresh = checkpoint_aged && next > low.checkpoint_seq && scan.seq > low.checkpoint_seq;
        if refresh {
            mark.checkpoint_seq = scan.seq;
            mark.checkpoint_at_ms = now_ms;
        }
        if swept_failed {
            mark.retry_at_ms = now_ms + self.settings.backoff_seconds * 1000;
        }
        // Writes are what the store pays for. A request whose own entries
        // settled at once leaves the mark alone: the next checkpoint passes
        // over them, so the mark moves about once per grace period, not once
        // per request.
        let worth_writing = eager
            || refresh
            || swept_failed
            || passed_pending
            || (checkpoint_aged && next != low.next);
        if worth_writing && &mark != low {
            let bytes = serde_json::to_vec(&mark).expect("marks serialize");
            if let Err(error) = self.store.set(keys::OUTBOX_LOW, &bytes) {
                self.delivery.note("outbox_mark_failed", &error.to_string());
            }
        }
    }
}

#[derive(Debug, Default)]
struct Settled {
    seqs: HashSet<u64>,
    delivered: u64,
}

impl Settled {
    fn contains(&self, seq: &u64) -> bool {
        self.seqs.contains(seq)
    }
}
