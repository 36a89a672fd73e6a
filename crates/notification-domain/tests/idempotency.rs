//! Idempotency keys: one delivery per key, whatever the timing.

mod support;

use domain_core::kv::Op;
use domain_core::{Clock, KeyValueStore, UserId};
use notification_domain::idempotency::{LEASE, POLLS};
use notification_domain::{IdempotencyKey, NotificationService, Notified, NotifyError, Pause};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use support::*;

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text).unwrap()
}

#[test]
fn a_repeat_gets_the_first_receipt_and_delivers_nothing() {
    let fixture = Fixture::new();
    let service = fixture.service();
    let first = service
        .notify(request("u", "once"), Some(&key("k1")))
        .unwrap();
    let Notified::Created(receipt) = &first else {
        panic!("the first request creates: {first:?}");
    };
    let writes = fixture.store.writes();

    let again = service
        .notify(request("u", "a different body"), Some(&key("k1")))
        .unwrap();
    assert_eq!(again, Notified::Repeated(receipt.clone()));
    assert_eq!(fixture.channels.log.count(), 1);
    assert_eq!(
        fixture.store.writes(),
        writes,
        "a finished repeat only reads"
    );
}

#[test]
fn a_new_key_costs_two_reads_and_four_writes() {
    let fixture = Fixture::new();
    fixture
        .service()
        .notify(request("u", "m"), Some(&key("new")))
        .unwrap();
    let ops: Vec<Op> = fixture.store.take_calls().iter().map(|c| c.op).collect();
    assert_eq!(
        ops,
        [
            Op::Get,
            Op::Increment,
            Op::Set,
            Op::Increment,
            Op::Get,
            Op::SetMany
        ],
        "the state, the claim, the state in progress, the sequence, the slot, one batch"
    );
}

#[test]
fn different_keys_deliver_separately() {
    let fixture = Fixture::new();
    let service = fixture.service();
    let a = service.notify(request("u", "m"), Some(&key("a"))).unwrap();
    let b = service.notify(request("u", "m"), Some(&key("b"))).unwrap();
    assert_ne!(receipt(&a).notification_id, receipt(&b).notification_id);
    assert_eq!(fixture.channels.log.count(), 2);
}

#[test]
fn many_threads_racing_one_key_deliver_exactly_once() {
    let mut fixture = Fixture::new();
    // A slow delivery keeps the race window open while the others arrive.
    fixture.channels.log.delay = Duration::from_millis(30);
    let outcomes: Vec<Notified> = domain_core::race(16, |_| {
        NotificationService::new(
            Arc::clone(&fixture.store),
            fixture.channels.clone(),
            fixture.clock.clone(),
            ThreadSleep,
        )
        .notify(request("racer", "only once"), Some(&key("race")))
        .expect("every racer gets the result")
    });

    assert_eq!(fixture.channels.log.count(), 1, "exactly one delivery");
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, Notified::Created(_)))
        .count();
    assert_eq!(created, 1);
    let ids: HashSet<_> = outcomes
        .iter()
        .map(|o| receipt(o).notification_id)
        .collect();
    assert_eq!(ids.len(), 1, "every racer names the same notification");
    let listed = fixture
        .service()
        .recent(&UserId::parse("racer").unwrap(), Default::default())
        .unwrap();
    assert_eq!(listed.len(), 1);
}

/// Puts the store in the state a claimant leaves while still delivering.
fn claim_in_progress(fixture: &Fixture, key_text: &str, since_ms: i64) {
    // Learn the key's store names from a finished claim on a twin store.
    let twin = Fixture::new();
    twin.service()
        .notify(request("u", "m"), Some(&key(key_text)))
        .unwrap();
    let prefix = twin
        .store
        .keys()
        .into_iter()
        .find_map(|k| k.strip_suffix(":claim").map(str::to_owned))
        .expect("a claim counter");
    fixture
        .store
        .increment(&format!("{prefix}:claim"), 1)
        .unwrap();
    fixture
        .store
        .set(
            &format!("{prefix}:state"),
            format!(r#"{{"state":"in_progress","since_ms":{since_ms}}}"#).as_bytes(),
        )
        .unwrap();
}

fn now_ms(fixture: &Fixture) -> i64 {
    fixture.clock.now().unix_millis()
}

fn lease_ms() -> i64 {
    LEASE.as_millis() as i64
}

#[test]
fn a_repeat_during_a_live_delivery_waits_then_answers_in_progress() {
    let fixture = Fixture::new();
    claim_in_progress(&fixture, "busy", now_ms(&fixture));
    assert_eq!(
        fixture
            .service()
            .notify(request("u", "m"), Some(&key("busy"))),
        Err(NotifyError::InProgress)
    );
    assert_eq!(fixture.pause.count(), POLLS, "it waited before giving up");
    assert_eq!(fixture.channels.log.count(), 0);
}

/// The waits a repeat asks for, instead of sleeping.
#[derive(Clone, Default)]
struct Waits(Arc<Mutex<Vec<Duration>>>);

impl Pause for Waits {
    fn pause(&self, duration: Duration) {
        self.0.lock().unwrap().push(duration);
    }
}

/// What the contract promises a client whose repeat meets a delivery in
/// progress: looks every 50 ms, about 5 s in all, then a 409.
#[test]
fn a_repeat_looks_every_50_ms_for_5_s_before_answering_in_progress() {
    let fixture = Fixture::new();
    claim_in_progress(&fixture, "busy", now_ms(&fixture));
    let waits = Waits::default();
    let service = NotificationService::new(
        Arc::clone(&fixture.store),
        fixture.channels.clone(),
        fixture.clock.clone(),
        waits.clone(),
    );
    assert_eq!(
        service.notify(request("u", "m"), Some(&key("busy"))),
        Err(NotifyError::InProgress)
    );
    let waits = waits.0.lock().unwrap();
    assert!(waits.iter().all(|wait| *wait == Duration::from_millis(50)));
    assert_eq!(waits.iter().sum::<Duration>(), Duration::from_secs(5));
}

/// A pause that, at its `at`-th wait, writes what the owner of the key
/// leaves when it finishes: the state and the record.
struct FinishAt {
    store: Arc<domain_core::kv::InMemoryStore>,
    finished: Vec<(String, Vec<u8>)>,
    at: usize,
    waits: Arc<Mutex<usize>>,
}

impl Pause for FinishAt {
    fn pause(&self, _: Duration) {
        let mut waits = self.waits.lock().unwrap();
        *waits += 1;
        if *waits == self.at {
            self.store.set_many(&self.finished).unwrap();
        }
    }
}

/// A repeat reads the state after every wait: it answers with the first
/// result at the first look after the owner finished, not at the end.
#[test]
fn a_repeat_answers_at_the_first_look_after_the_owner_finishes() {
    let twin = Fixture::new();
    let first = twin
        .service()
        .notify(request("u", "m"), Some(&key("busy")))
        .unwrap();
    let id = receipt(&first).notification_id.to_string();
    let finished: Vec<(String, Vec<u8>)> = twin
        .store
        .keys()
        .into_iter()
        .filter(|k| k.ends_with(":state") || k.contains(&id))
        .map(|k| {
            let value = twin.store.get(&k).unwrap().unwrap();
            (k, value)
        })
        .collect();
    assert_eq!(finished.len(), 2, "the state and the record");

    let fixture = Fixture::new();
    claim_in_progress(&fixture, "busy", now_ms(&fixture));
    let waits = Arc::new(Mutex::new(0));
    let service = NotificationService::new(
        Arc::clone(&fixture.store),
        fixture.channels.clone(),
        fixture.clock.clone(),
        FinishAt {
            store: Arc::clone(&fixture.store),
            finished,
            at: 3,
            waits: Arc::clone(&waits),
        },
    );
    let repeat = service
        .notify(request("u", "m"), Some(&key("busy")))
        .unwrap();
    assert!(matches!(repeat, Notified::Repeated(_)), "{repeat:?}");
    assert_eq!(receipt(&repeat).notification_id.to_string(), id);
    assert_eq!(*waits.lock().unwrap(), 3);
    assert_eq!(fixture.channels.log.count(), 0);
}

/// The lease is five minutes: a claim in progress for exactly that long is
/// still its owner's, a millisecond more and a repeat takes it over. A
/// shorter lease would let a repeat deliver beside a slow owner.
#[test]
fn a_claim_is_taken_over_only_after_five_minutes() {
    let five_minutes_ms = 5 * 60 * 1000;
    let held = Fixture::new();
    claim_in_progress(&held, "held", now_ms(&held) - five_minutes_ms);
    assert_eq!(
        held.service().notify(request("u", "m"), Some(&key("held"))),
        Err(NotifyError::InProgress)
    );
    assert_eq!(held.channels.log.count(), 0);

    let left = Fixture::new();
    claim_in_progress(&left, "left", now_ms(&left) - five_minutes_ms - 1);
    let outcome = left
        .service()
        .notify(request("u", "m"), Some(&key("left")))
        .unwrap();
    assert!(matches!(outcome, Notified::Created(_)), "{outcome:?}");
    assert_eq!(left.channels.log.count(), 1);
}

#[test]
fn an_abandoned_claim_is_taken_over_after_its_lease() {
    let fixture = Fixture::new();
    claim_in_progress(&fixture, "orphan", now_ms(&fixture) - lease_ms() - 1);
    let service = fixture.service();
    let outcome = service
        .notify(request("u", "m"), Some(&key("orphan")))
        .unwrap();
    assert!(matches!(outcome, Notified::Created(_)), "{outcome:?}");
    assert_eq!(fixture.channels.log.count(), 1);
    let again = service
        .notify(request("u", "m"), Some(&key("orphan")))
        .unwrap();
    assert_eq!(again, Notified::Repeated(receipt(&outcome).clone()));
    assert_eq!(fixture.channels.log.count(), 1);
}

#[test]
fn a_claim_within_its_lease_is_not_taken_over() {
    let fixture = Fixture::new();
    claim_in_progress(&fixture, "young", now_ms(&fixture) - lease_ms() + 1000);
    let result = fixture
        .service()
        .notify(request("u", "m"), Some(&key("young")));
    assert_eq!(result, Err(NotifyError::InProgress));
    assert_eq!(fixture.channels.log.count(), 0);
}

#[test]
fn an_unavailable_channel_does_not_claim_the_key() {
    let mut fixture = Fixture::new();
    let mut hook = request("u", "m");
    hook.channel = notification_domain::ChannelKind::Webhook;
    assert!(matches!(
        fixture.service().notify(hook.clone(), Some(&key("later"))),
        Err(NotifyError::ChannelUnavailable(_))
    ));
    fixture.channels.webhook = Some(RecordingChannel::default());
    let outcome = fixture.service().notify(hook, Some(&key("later"))).unwrap();
    assert!(matches!(outcome, Notified::Created(_)), "{outcome:?}");
}

#[test]
fn a_failed_save_frees_the_key_for_a_retry() {
    let fixture = Fixture::new();
    let service = fixture.service();
    // The save's set_many fails; the claim and its release go through.
    fixture.fail_once(Op::SetMany, ":state");
    assert!(matches!(
        service.notify(request("u", "m"), Some(&key("retry"))),
        Err(NotifyError::Storage(_))
    ));
    let outcome = service
        .notify(request("u", "m"), Some(&key("retry")))
        .unwrap();
    assert!(matches!(outcome, Notified::Created(_)), "{outcome:?}");
    assert_eq!(
        fixture.pause.count(),
        0,
        "the retry did not wait for a dead claim"
    );
}

/// How a key's first claimant gives the key back without a result.
#[derive(Clone, Copy, Debug)]
enum GiveBack {
    /// Its in-progress state cannot be written: it delivers nothing.
    StateWriteFails,
    /// It delivers, then cannot store the result: the key is released.
    SaveFails,
}

/// A repeat still waiting when the key is given back must leave nothing a
/// later claim of the key inherits: long after, a new claimant that has
/// claimed but not yet written its state is not taken over by a repeat that
/// arrives at that moment, and the key is delivered once more, not twice.
fn a_repeat_waiting_while_the_key_is_given_back_leaves_no_mark(give_back: GiveBack) {
    let fixture = Fixture::new();
    match give_back {
        GiveBack::StateWriteFails => fixture.fail_once(Op::Set, ":state"),
        GiveBack::SaveFails => fixture.fail_once(Op::SetMany, ":state"),
    }

    // The first claimant stops right after its claim until told to go on.
    let (claimed_tx, claimed_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel();
    let first = NotificationService::new(
        Arc::clone(&fixture.store),
        fixture.channels.clone(),
        FirstUse::new(fixture.clock.clone(), move || {
            claimed_tx.send(()).unwrap();
            go_rx.recv().unwrap();
        }),
        CountedPause::default(),
    );
    let first = std::thread::spawn(move || first.notify(request("u", "m"), Some(&key("back"))));
    claimed_rx.recv().unwrap();

    // A repeat lets it finish, and give the key back, during its first wait.
    let first_outcome = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&first_outcome);
    let repeat = NotificationService::new(
        Arc::clone(&fixture.store),
        fixture.channels.clone(),
        fixture.clock.clone(),
        FirstUse::new(CountedPause::default(), move || {
            go_tx.send(()).unwrap();
            *slot.lock().unwrap() = Some(first.join().unwrap());
        }),
    );
    assert_eq!(
        repeat.notify(request("u", "m"), Some(&key("back"))),
        Err(NotifyError::InProgress)
    );
    let first_outcome = first_outcome.lock().unwrap().take();
    assert!(
        matches!(first_outcome, Some(Err(NotifyError::Storage(_)))),
        "{first_outcome:?}"
    );
    let delivered = fixture.channels.log.count();
    assert_eq!(
        delivered,
        usize::from(matches!(give_back, GiveBack::SaveFails))
    );

    // Long after, another repeat arrives while a new claimant is between
    // its claim and its state.
    fixture.clock.advance(LEASE + Duration::from_secs(1));
    let meanwhile = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&meanwhile);
    let other = fixture.service();
    let claimant = NotificationService::new(
        Arc::clone(&fixture.store),
        fixture.channels.clone(),
        FirstUse::new(fixture.clock.clone(), move || {
            *slot.lock().unwrap() = Some(other.notify(request("u", "m"), Some(&key("back"))));
        }),
        CountedPause::default(),
    );
    let outcome = claimant
        .notify(request("u", "m"), Some(&key("back")))
        .unwrap();
    assert!(matches!(outcome, Notified::Created(_)), "{outcome:?}");
    assert_eq!(
        meanwhile.lock().unwrap().take(),
        Some(Err(NotifyError::InProgress)),
        "a live claim is not taken over"
    );
    assert_eq!(
        fixture.channels.log.count(),
        delivered + 1,
        "the new claim delivered once"
    );
    let again = fixture
        .service()
        .notify(request("u", "m"), Some(&key("back")))
        .unwrap();
    assert!(matches!(again, Notified::Repeated(_)), "{again:?}");
    assert_eq!(
        receipt(&again).notification_id,
        receipt(&outcome).notification_id
    );
}

#[test]
fn a_claim_freed_after_its_state_write_failed_leaves_no_mark_to_inherit() {
    a_repeat_waiting_while_the_key_is_given_back_leaves_no_mark(GiveBack::StateWriteFails);
}

#[test]
fn a_claim_released_after_its_save_failed_leaves_no_mark_to_inherit() {
    a_repeat_waiting_while_the_key_is_given_back_leaves_no_mark(GiveBack::SaveFails);
}

/// The shared store as one request sees it: `hook` runs once, right before
/// that request's first takeover increment reaches the store.
struct BeforeTakeover {
    shared: Arc<domain_core::kv::InMemoryStore>,
    hook: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl KeyValueStore for BeforeTakeover {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, domain_core::StoreError> {
        self.shared.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, domain_core::StoreError> {
        self.shared.get_many(keys)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), domain_core::StoreError> {
        self.shared.set(key, value)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), domain_core::StoreError> {
        self.shared.set_many(entries)
    }
    fn delete(&self, key: &str) -> Result<(), domain_core::StoreError> {
        self.shared.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, domain_core::StoreError> {
        if key.contains(":takeover:") {
            let hook = self.hook.lock().unwrap().take();
            if let Some(hook) = hook {
                hook();
            }
        }
        self.shared.increment(key, delta)
    }
}

/// Two repeats read one abandoned claim, their clocks either side of the
/// end of its second lease: one reckons it in the first lease past it, the
/// other in the second. Whichever order their increments land in, one of
/// them takes over and delivers.
#[test]
fn repeats_either_side_of_a_lease_boundary_deliver_once() {
    for early_goes_first in [false, true] {
        let fixture = Fixture::new();
        let since = now_ms(&fixture) - 2 * lease_ms();
        claim_in_progress(&fixture, "edge", since);
        let clock = |offset_ms: i64| {
            domain_core::ManualClock::at(domain_core::Timestamp::from_unix_millis(
                since + 2 * lease_ms() + offset_ms,
            ))
        };
        let (first_clock, second_clock) = if early_goes_first {
            (clock(-1), clock(1))
        } else {
            (clock(1), clock(-1))
        };
        // The first runs whole while the second, having read the same
        // state, is about to raise its counter.
        let first = NotificationService::new(
            Arc::clone(&fixture.store),
            fixture.channels.clone(),
            first_clock,
            fixture.pause.clone(),
        );
        let first_outcome: Arc<Mutex<Option<Result<Notified, NotifyError>>>> = Arc::default();
        let record = Arc::clone(&first_outcome);
        let second = NotificationService::new(
            BeforeTakeover {
                shared: Arc::clone(&fixture.store),
                hook: Mutex::new(Some(Box::new(move || {
                    let outcome = first.notify(request("u", "m"), Some(&key("edge")));
                    *record.lock().unwrap() = Some(outcome);
                }))),
            },
            fixture.channels.clone(),
            second_clock,
            fixture.pause.clone(),
        );
        let second_outcome = second.notify(request("u", "m"), Some(&key("edge")));
        let first_outcome = first_outcome.lock().unwrap().take().expect("it ran");
        assert!(
            matches!(first_outcome, Ok(Notified::Created(_))),
            "{early_goes_first}: {first_outcome:?}"
        );
        assert!(
            matches!(second_outcome, Ok(Notified::Repeated(_))),
            "{early_goes_first}: {second_outcome:?}"
        );
        assert_eq!(fixture.channels.log.count(), 1, "delivered once");
    }
}
