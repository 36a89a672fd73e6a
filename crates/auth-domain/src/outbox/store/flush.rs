//! The operator's flush: everything deliverable, page by page, within a
//! time budget.

use std::collections::HashSet;

use domain_core::{Clock, KeyValueStore, StoreError};

use super::{Head, Outbox, Settled, Window, present};
use crate::keys;
use crate::outbox::entry::{OutboxEntry, TARGETS};
use crate::outbox::targets::Health;
use crate::outbox::{DeliveryPort, FlushReport, Round};

/// How a flush left a page.
enum PageEnd {
    /// Every ripe entry of the page was tried.
    Done,
    /// Time ran out; the next flush goes on with `untried`, the first
    /// entry of the page this one did not try (`None`: it tried them all).
    OutOfTime { untried: Option<u64> },
}

impl<S: KeyValueStore, C: Clock, D: DeliveryPort> Outbox<'_, S, C, D> {
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
        while from <= head.seq {
            if !more_time() {
                complete = false;
                break;
            }
            let page = self.window(from, head.seq, self.settings.flush_page)?;
            let Some((last, _)) = page.last() else { break };
            from = last + 1;
            window.extend(page.iter().cloned());
            match self.flush_page(&page, &head, &mut settled, more_time) {
                PageEnd::Done => {}
                PageEnd::OutOfTime { untried: Some(seq) } => {
                    from = seq;
                    complete = false;
                    break;
                }
                // Out of time after the page's last entry: done only if it
                // was the last page.
                PageEnd::OutOfTime { untried: None } => {
                    complete = from > head.seq;
                    break;
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

    /// Tries the ripe entries of `page`, a batch at a time, leaving out the
    /// targets this flush found unreachable.
    fn flush_page(
        &self,
        page: &Window,
        head: &Head,
        settled: &mut Settled,
        more_time: &dyn Fn() -> bool,
    ) -> PageEnd {
        // Entries whose own request is still trying them are left to
        // it: two deliveries at once of one event can lose it when the
        // receiver's count fails between them (its undo frees the id the
        // other delivery was just answered `duplicate` for).
        let entries: Vec<&OutboxEntry> = present(page)
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
            self.deliver(&chunk, Round::SweepOnly, settled);
            if !more_time() {
                return PageEnd::OutOfTime {
                    untried: entries.get((index + 1) * batch).map(|entry| entry.seq),
                };
            }
        }
        PageEnd::Done
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
}
