//! The outbox's bookkeeping over the key-value port.

use std::collections::HashSet;

use domain_core::kv::decode_counter;
use domain_core::{Clock, KeyValueStore, StoreError, Timestamp};

use super::entry::{OutboxEntry, SideEffect, TARGETS};
use super::low_mark::LowMark;
use super::targets::{Health, HealthByTarget, TargetState};
use super::{DeliveryOutcome, DeliveryPort, FlushReport, OutboxSettings, Round};
use crate::keys;

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

/// How many times a late entry gets new numbers before it is left as it is.
const LATE_RESCUES: usize = 3;

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

    /// Delivers the request's own entries. With `sweep`, also, when it
    /// reads the backlog ([`Self::worth_scanning`]), a few older pending
    /// ones whose target is not backing off (and, when a target that was
    /// backing off just worked, as many more of its entries), then updates
    /// the targets' back-off and the low-water mark. Never fails:
    /// what is not delivered stays for later, and bookkeeping trouble is
    /// reported to the port.
    pub fn settle(&self, own: &Staged, sweep: bool) {
        let settled = self.delivery_rounds(own, sweep);
        let pending: Vec<&OutboxEntry> = own
            .entries
            .iter()
            .filter(|entry| !settled.seqs.contains(&entry.seq))
            .collect();
        let now_ms = self.clock.now().unix_millis();
        let (late, in_time): (Vec<&OutboxEntry>, Vec<&OutboxEntry>) = pending
            .into_iter()
            .partition(|entry| self.late(entry, now_ms));
        let given_up = in_time
            .into_iter()
            .filter(|entry| settled.answered.contains(&entry.seq))
            .filter(|entry| self.young(entry, now_ms))
            .collect::<Vec<_>>();
        self.defer(&given_up);
        self.rescue_late(late);
    }

    /// Marks entries that their own request gave up on, so that sweeps and
    /// flushes take them at once rather than once they are ripe: only
    /// entries their receiver answered (a timed-out attempt may still be
    /// under way there), and only while young, as another round may take
    /// an entry once it is ripe and this write should not bring back one
    /// it settled (a write stalled past the margin still can: the entry is
    /// then sent again, a duplicate, and settled again). A failed write is
    /// only noted: they ripen all the same.
    fn defer(&self, given_up: &[&OutboxEntry]) {
        if given_up.is_empty() {
            return;
        }
        let deferred = Staged {
            entries: given_up.iter().map(|entry| (*entry).clone()).collect(),
        }
        .deferred();
        if let Err(error) = self.store.set_many(&deferred.writes()) {
            self.delivery
                .note("outbox_defer_failed", &error.to_string());
        }
    }

    /// The rounds of [`Self::settle`], and what they settled.
    fn delivery_rounds(&self, own: &Staged, sweep: bool) -> Settled {
        let own_entries: Vec<&OutboxEntry> = own.entries.iter().collect();
        let round = if own_entries.is_empty() {
            Round::SweepOnly
        } else {
            Round::WithOwn
        };
        let mut settled = Settled::default();
        if !sweep {
            self.deliver(&own_entries, round, &mut settled);
            return settled;
        }
        let scanned = self
            .head()
            .and_then(|head| {
                let scanning = self.worth_scanning(&head, own);
                let (front, further) = if scanning {
                    self.sweep_windows(&head)?
                } else {
                    (Vec::new(), Vec::new())
                };
                Ok((head, scanning, front, further))
            })
            .map_err(|error| self.delivery.note("outbox_read_failed", &error.to_string()))
            .ok();
        let Some((head, scanning, front, further)) = scanned else {
            self.deliver(&own_entries, round, &mut settled);
            return settled;
        };
        let window: Window = front.iter().chain(&further).cloned().collect();
        let own_seqs: HashSet<u64> = own.entries.iter().map(|entry| entry.seq).collect();
        let now_ms = head.now.unix_millis();
        let sweepable =
            |entry: &&OutboxEntry| !own_seqs.contains(&entry.seq) && self.ripe(entry, head.now);
        let due: Vec<&OutboxEntry> = present(&window)
            .filter(sweepable)
            .filter(|entry| head.target(entry.effect.target()).due(now_ms))
            .collect();
        let mut batch = own_entries;
        batch.extend(rotated(&due, self.settings.sweep_batch));
        self.deliver(&batch, round, &mut settled);

        // A target that was backing off and just worked: its entries are
        // due at once, not after their back-off.
        let recovered: Vec<&str> = TARGETS
            .into_iter()
            .filter(|target| head.target(target).failures > 0)
            .filter(|target| settled.health.get(target).is_some_and(|h| h.worked))
            .collect();
        if !recovered.is_empty() {
            let more: Vec<&OutboxEntry> = present(&window)
                .filter(sweepable)
                .filter(|entry| !settled.tried.contains(&entry.seq))
                .filter(|entry| recovered.contains(&entry.effect.target()))
                .collect();
            let more = rotated(&more, self.settings.sweep_batch);
            self.deliver(&more, Round::SweepOnly, &mut settled);
        }
        self.update_targets(&head, &settled.health, scanning);
        self.advance(&head, &front, &settled, &own_seqs, false);
        settled
    }

    /// Entries still pending whose writing ended long after their numbers
    /// were reserved (the store stalled during the write) may lie behind
    /// the low-water mark ([`Self::late`]). They get new numbers, ahead of
    /// the mark, and the old copies go. The copies keep their delivery ids,
    /// so a receiver that got the old one counts nothing twice.
    fn rescue_late(&self, pending: Vec<&OutboxEntry>) {
        let mut late: Vec<OutboxEntry> = pending.into_iter().cloned().collect();
        for _ in 0..LATE_RESCUES {
            let now_ms = self.clock.now().unix_millis();
            late.retain(|entry| self.late(entry, now_ms));
            if late.is_empty() {
                return;
            }
            let effects = late.iter().map(|entry| entry.effect.clone()).collect();
            // Not deferred: the attempt just made may have timed out and
            // still be under way at the receiver. Fresh, they ripen first.
            let restaged = self
                .stage(effects)
                .and_then(|staged| self.store.set_many(&staged.writes()).map(|()| staged));
            let copies = match restaged {
                Ok(copies) => copies,
                Err(error) => {
                    self.delivery
                        .note("outbox_late_entry_kept", &error.to_string());
                    return;
                }
            };
            let old: Vec<String> = late
                .iter()
                .map(|entry| keys::outbox_entry(entry.seq))
                .collect();
            self.delete(&old);
            late = copies.entries;
        }
        self.delivery.note(
            "outbox_late_entry_kept",
            "the store stayed too slow to write its copy in time",
        );
    }

    /// Whether this request's sweep reads the backlog (see
    /// [`OutboxSettings::scan_every`]); without that it still delivers its
    /// own entries and keeps the targets' back-off.
    fn worth_scanning(&self, head: &Head, own: &Staged) -> bool {
        let every = self.settings.scan_every.max(1);
        let now_ms = head.now.unix_millis();
        let for_a_target = head
            .targets
            .iter()
            .any(|(_, state)| state.wants_scan(now_ms));
        let mark_due = head
            .low
            .checkpoint_aged(now_ms, self.settings.gap_grace_seconds * 1000);
        let its_turn = own.entries.iter().any(|entry| entry.seq % every == 0);
        own.is_empty() || for_a_target || mark_due || its_turn
    }

    /// What a sweep reads: the numbers right after the low-water mark
    /// (which only moves past settled ones), and, when the backlog is
    /// longer than the scan window, as many again from a random place
    /// further on, so entries stuck at the front cannot hide the rest from
    /// every sweep.
    fn sweep_windows(&self, head: &Head) -> Result<(Window, Window), StoreError> {
        let width = self.settings.scan_window;
        let backlog = (head.seq + 1).saturating_sub(head.low.next);
        if backlog <= width {
            return Ok((self.window(head.low.next, head.seq, width)?, Vec::new()));
        }
        let half = width.div_ceil(2);
        let front = self.window(head.low.next, head.seq, half)?;
        let rest_from = head.low.next + half;
        let rest = head.seq + 1 - rest_from;
        let start = rest_from + (uuid::Uuid::new_v4().as_u128() % u128::from(rest)) as u64;
        let further = self.window(start, head.seq, width - half)?;
        Ok((front, further))
    }

    /// Delivers every pending entry it can while `more_time` says so,
    /// whatever its target's back-off (but not one its own request may
    /// still be delivering: see [`Self::ripe`]), page by page from the low-water
    /// mark. A target that does not answer at all is left alone for the
    /// rest of the flush; one that answers is tried entry by entry, so a
    /// few entries that keep failing hold back nothing.
    pub fn flush(&self, more_time: &dyn Fn() -> bool) -> Result<FlushReport, StoreError> {
        let head = self.head()?;
        // A flush that ran out of time left where it stopped: this one goes
        // on from there, so an entry that keeps failing below (which holds
        // the low-water mark) never keeps flushes from what lies beyond.
        let (cursor_stored, resumed_at) = self.flush_cursor(&head)?;
        let start = resumed_at.unwrap_or(head.low.next);
        let mut window: Window = Vec::new();
        let mut settled = Settled::default();
        let mut from = start;
        let mut complete = true;
        'pages: while from <= head.seq {
            if !more_time() {
                complete = false;
                break;
            }
            let page = self.window(from, head.seq, self.settings.flush_page)?;
            let Some((last, _)) = page.last() else { break };
            from = last + 1;
            window.extend(page.iter().cloned());
            // Entries whose own request is still trying them are left to
            // it: two deliveries at once of one event can lose it when the
            // receiver's count fails between them (its undo frees the id the
            // other delivery was just answered `duplicate` for).
            let entries: Vec<&OutboxEntry> = present(&page)
                .filter(|entry| self.ripe(entry, head.now))
                .collect();
            let batch = self.settings.flush_batch.max(1);
            for (index, chunk) in entries.chunks(batch).enumerate() {
                let unreachable: Vec<&str> = TARGETS
                    .into_iter()
                    .filter(|t| settled.health.get(t).is_some_and(Health::unreachable))
                    .collect();
                let chunk: Vec<&OutboxEntry> = chunk
                    .iter()
                    .filter(|entry| !unreachable.contains(&entry.effect.target()))
                    .copied()
                    .collect();
                self.deliver(&chunk, Round::SweepOnly, &mut settled);
                if !more_time() {
                    // The next flush goes on with the first entry this one
                    // did not try; out of time after the last, it is done.
                    match entries.get((index + 1) * batch) {
                        Some(untried) => from = untried.seq,
                        None if from > head.seq => break 'pages,
                        None => {}
                    }
                    complete = false;
                    break 'pages;
                }
            }
        }
        self.update_targets(&head, &settled.health, true);
        if resumed_at.is_none() {
            // The mark moves over a window that starts at it, never past
            // numbers this flush skipped.
            self.advance(&head, &window, &settled, &HashSet::new(), true);
        }
        self.save_flush_cursor((!complete).then_some(from), cursor_stored);
        let seen_pending = present(&window)
            .filter(|entry| !settled.seqs.contains(&entry.seq))
            .count() as u64;
        let looked_to = window
            .last()
            .map_or(start.saturating_sub(1), |(seq, _)| *seq);
        // The numbers below where a resumed flush started, unseen by it.
        let skipped = start - head.low.next;
        let complete = complete && resumed_at.is_none();
        let dead_letters = self.waiting_dead_letters()?;
        Ok(FlushReport {
            delivered: settled.delivered,
            dead_lettered: settled.dead_lettered,
            pending: seen_pending + skipped + head.seq.saturating_sub(looked_to),
            complete,
            dead_letters,
            expired_deleted: 0,
        })
    }

    /// Whether a flush left a cursor, and where this flush should start
    /// from it: only inside the backlog, above the mark and not past `seq`.
    fn flush_cursor(&self, head: &Head) -> Result<(bool, Option<u64>), StoreError> {
        let Some(bytes) = self.store.get(keys::OUTBOX_FLUSH_FROM)? else {
            return Ok((false, None));
        };
        let cursor = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| text.parse::<u64>().ok())
            .filter(|cursor| (head.low.next + 1..=head.seq).contains(cursor));
        Ok((true, cursor))
    }

    /// Leaves `next` for the next flush, or clears a cursor once a flush
    /// got to the end. A failure is noted: the next flush starts at the
    /// mark, as it would without a cursor.
    fn save_flush_cursor(&self, next: Option<u64>, stored: bool) {
        let saved = match next {
            Some(next) => self
                .store
                .set(keys::OUTBOX_FLUSH_FROM, next.to_string().as_bytes()),
            None if stored => self.store.delete(keys::OUTBOX_FLUSH_FROM),
            None => Ok(()),
        };
        if let Err(error) = saved {
            self.delivery
                .note("outbox_flush_cursor_failed", &error.to_string());
        }
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
