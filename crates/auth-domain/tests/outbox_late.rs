//! Outbox entries whose request's store stalled between reserving their
//! numbers and writing them, while other instances' sweeps moved the
//! low-water mark past those numbers: they are still delivered, and never
//! deleted before a copy of them is written.

mod support;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use auth_domain::{Argon2Hasher, AuthService, Settings};
use domain_core::kv::InMemoryStore;
use domain_core::{KeyValueStore, ManualClock, StoreError};
use support::*;

/// Where the stalled request's store keeps it waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StallAt {
    /// Before a write of outbox entries reaches the store.
    EntryWrite,
    /// After the outbox's numbers are reserved, before the answer comes.
    NumbersAnswer,
}

type Meanwhile = Box<dyn FnOnce() + Send>;

/// The stalled request's view of the shared store: at each point of its
/// queue in turn, what other instances do meanwhile runs first. Once
/// `refuse_entries` is set, it cannot write outbox entries.
struct StallingStore {
    inner: Arc<InMemoryStore>,
    stalls: Mutex<VecDeque<(StallAt, Meanwhile)>>,
    refuse_entries: Arc<AtomicBool>,
}

impl StallingStore {
    fn stall_if_at(&self, at: StallAt) {
        let mut stalls = self.stalls.lock().unwrap();
        if stalls.front().is_some_and(|(point, _)| *point == at) {
            let (_, meanwhile) = stalls.pop_front().unwrap();
            drop(stalls);
            meanwhile();
        }
    }
}

impl KeyValueStore for StallingStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.inner.get_many(keys)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.inner.set(key, value)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        if entries
            .iter()
            .any(|(key, _)| key.starts_with("outbox:entry:"))
        {
            if self.refuse_entries.load(Ordering::SeqCst) {
                return Err(StoreError::Unavailable("write refused".into()));
            }
            self.stall_if_at(StallAt::EntryWrite);
        }
        self.inner.set_many(entries)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key)
    }
    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.inner.delete_many(keys)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        let value = self.inner.increment(key, delta)?;
        if key == "outbox:seq" {
            self.stall_if_at(StallAt::NumbersAnswer);
        }
        Ok(value)
    }
}

/// Another instance's sweeps, 31 s apart: the numbers reserved and still
/// missing (the grace period is 30 s) are passed by the low-water mark.
fn sweeps_pass_the_missing_numbers(relay: &Harness) -> Meanwhile {
    let (store, clock) = (Arc::clone(&relay.store), relay.clock.clone());
    let sweeper = AuthService::new(
        Arc::clone(&relay.store),
        Argon2Hasher::cheap_for_tests(),
        relay.clock.clone(),
        ThreadSleep,
        relay.delivery.clone(),
        Settings::default(),
    );
    Box::new(move || {
        let before = store.get("outbox:low").unwrap();
        sweeper.flush_outbox().unwrap();
        clock.advance_seconds(31);
        sweeper.flush_outbox().unwrap();
        assert_ne!(
            store.get("outbox:low").unwrap(),
            before,
            "the mark moved past the missing numbers"
        );
    })
}

/// Each point in `points`, with other instances' sweeps passing the
/// numbers missing meanwhile.
fn sweeps_at(relay: &Harness, points: &[StallAt]) -> Vec<(StallAt, Meanwhile)> {
    points
        .iter()
        .map(|&at| (at, sweeps_pass_the_missing_numbers(relay)))
        .collect()
}

/// Registers `alice` through a store that stalls at each of `stalls`
/// while the peers are down, so that her two entries stay pending; gives
/// the entries' keys as her request wrote them.
fn register_through(
    relay: &Harness,
    stalls: Vec<(StallAt, Meanwhile)>,
    refuse_entries: Arc<AtomicBool>,
) -> Vec<String> {
    relay.delivery.set(Peers::Down);
    let stalled = instance_stalling_at(relay, stalls, refuse_entries);
    let (result, after) = stalled.register(registration("alice", PASSWORD));
    result.expect("registered");
    let written = outbox_keys(&relay.store);
    stalled.settle(after);
    written
}

/// An instance over `relay`'s store that stalls at each of `stalls`.
fn instance_stalling_at(
    relay: &Harness,
    stalls: Vec<(StallAt, Meanwhile)>,
    refuse_entries: Arc<AtomicBool>,
) -> AuthService<StallingStore, Argon2Hasher, ManualClock, ThreadSleep, FakeDelivery> {
    AuthService::new(
        StallingStore {
            inner: Arc::clone(&relay.store),
            stalls: Mutex::new(stalls.into()),
            refuse_entries,
        },
        Argon2Hasher::cheap_for_tests(),
        relay.clock.clone(),
        ThreadSleep,
        relay.delivery.clone(),
        Settings::default(),
    )
}

/// The peers back, a minute later: what a flush delivers.
fn flush_when_the_peers_are_back(relay: &Harness) -> (u64, u64) {
    relay.delivery.set(Peers::Up);
    relay.clock.advance_seconds(60);
    let report = relay.flush_outbox().unwrap();
    (report.delivered, report.pending)
}

fn kept_notes(relay: &Harness) -> Vec<String> {
    relay
        .delivery
        .notes()
        .into_iter()
        .filter(|note| note.starts_with("outbox_late_entry_kept"))
        .collect()
}

#[test]
fn entries_written_after_the_mark_passed_their_numbers_are_still_delivered() {
    let relay = service();
    let stalls = sweeps_at(&relay, &[StallAt::EntryWrite]);
    register_through(&relay, stalls, Arc::default());

    assert_eq!(flush_when_the_peers_are_back(&relay), (2, 0));
    assert_eq!(relay.delivery.delivered_actions(), ["register"]);
    assert_eq!(relay.delivery.delivered().len(), 2, "and the welcome");
    assert!(outbox_keys(&relay.store).is_empty(), "the late copies went");
}

#[test]
fn entries_whose_numbers_came_back_late_count_as_late() {
    // The numbers are reserved at once and their answer stalls: the
    // entries' age must count from before the reservation.
    let relay = service();
    let stalls = sweeps_at(&relay, &[StallAt::NumbersAnswer]);
    register_through(&relay, stalls, Arc::default());

    assert_eq!(flush_when_the_peers_are_back(&relay), (2, 0));
    assert!(outbox_keys(&relay.store).is_empty());
}

/// Numbers that came back late are not the ones written: the entries go
/// in under new ones, ahead of the mark, so that a flush finds them even
/// when the request stops before it tries to deliver them.
#[test]
fn entries_whose_numbers_came_back_late_are_written_ahead_of_the_mark() {
    let relay = service();
    relay.delivery.set(Peers::Down);
    let stalls = sweeps_at(&relay, &[StallAt::NumbersAnswer]);
    let stalled = instance_stalling_at(&relay, stalls, Arc::default());
    let (result, _never_settled) = stalled.register(registration("alice", PASSWORD));
    result.expect("registered");

    assert_eq!(flush_when_the_peers_are_back(&relay), (2, 0));
    assert_eq!(relay.delivery.delivered_actions(), ["register"]);
    assert!(outbox_keys(&relay.store).is_empty());
}

/// The copies of late entries ripen like fresh ones: the attempt their
/// request just made got no answer and may still be under way.
#[test]
fn copies_of_late_entries_are_left_until_ripe() {
    let relay = service();
    let stalls = sweeps_at(&relay, &[StallAt::EntryWrite]);
    register_through(&relay, stalls, Arc::default());
    relay.delivery.set(Peers::Up);

    let report = relay.other_instance(0).flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (0, 2), "{report:?}");
    relay.clock.advance_seconds(5);
    let report = relay.other_instance(0).flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (2, 0), "{report:?}");
}

#[test]
fn copies_written_late_again_get_new_numbers_again() {
    let relay = service();
    let stalls = sweeps_at(&relay, &[StallAt::EntryWrite, StallAt::EntryWrite]);
    register_through(&relay, stalls, Arc::default());

    assert_eq!(flush_when_the_peers_are_back(&relay), (2, 0));
    assert!(outbox_keys(&relay.store).is_empty());
    assert!(kept_notes(&relay).is_empty());
}

#[test]
fn a_store_late_every_time_keeps_the_last_copies_and_says_so() {
    let relay = service();
    let stalls = sweeps_at(&relay, &[StallAt::EntryWrite; 4]);
    let written = register_through(&relay, stalls, Arc::default());

    assert_eq!(kept_notes(&relay).len(), 1, "{:?}", relay.delivery.notes());
    let kept = outbox_keys(&relay.store);
    assert_eq!(kept.len(), 2, "one copy of each entry: {kept:?}");
    assert!(kept.iter().all(|key| !written.contains(key)), "copies");
}

#[test]
fn a_copy_that_cannot_be_written_leaves_the_late_entries_in_place() {
    let relay = service();
    // The first write stalls, and after it the store takes no entries.
    let refuse_entries = Arc::new(AtomicBool::new(false));
    let sweeps = sweeps_pass_the_missing_numbers(&relay);
    let refuse = Arc::clone(&refuse_entries);
    let then_refuse: Meanwhile = Box::new(move || {
        sweeps();
        refuse.store(true, Ordering::SeqCst);
    });
    let written = register_through(
        &relay,
        vec![(StallAt::EntryWrite, then_refuse)],
        refuse_entries,
    );

    assert_eq!(written.len(), 2);
    assert_eq!(outbox_keys(&relay.store), written, "nothing deleted");
    assert_eq!(kept_notes(&relay).len(), 1, "{:?}", relay.delivery.notes());
}
