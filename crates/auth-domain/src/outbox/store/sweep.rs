//! A request's own delivery after its answer, and the sweep of older
//! entries it takes along.

use std::collections::HashSet;

use domain_core::{Clock, KeyValueStore, StoreError};

use super::{Head, Outbox, Settled, Staged, Window, present, rotated};
use crate::keys;
use crate::outbox::entry::{OutboxEntry, TARGETS};
use crate::outbox::{DeliveryPort, Round};

/// How many times a late entry gets new numbers before it is left as it is.
const LATE_RESCUES: usize = 3;

impl<S: KeyValueStore, C: Clock, D: DeliveryPort> Outbox<'_, S, C, D> {
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
}
