//! Counting under concurrency: many service instances (threads) over one
//! store, on both of Spin's counter encodings.

mod support;

use analytics_domain::{Analytics, EventId, RecordError, Recording, Sender, USER_ACTION_SLOTS};
use domain_core::kv::InMemoryStore;
use domain_core::{KeyValueStore, ManualClock, Pause, StoreError};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use support::*;

const THREADS: usize = 16;
const EVENTS_PER_THREAD: usize = 60;
const ACTIONS: [&str; 4] = ["login", "logout", "register", "page.view"];
const USERS: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];

#[test]
fn distinct_events_from_many_threads_are_counted_exactly() {
    for store in stores() {
        race(&store, THREADS, |analytics, thread_number| {
            for n in 0..EVENTS_PER_THREAD {
                let i = thread_number * EVENTS_PER_THREAD + n;
                let submission = fresh(USERS[i % USERS.len()], ACTIONS[i % ACTIONS.len()]);
                let recording = analytics.record(&Sender::Service, submission).unwrap();
                assert!(matches!(recording, Recording::Recorded { .. }));
            }
        });

        // Expected counts, worked out independently of the store.
        let total = THREADS * EVENTS_PER_THREAD;
        let mut per_action: BTreeMap<&str, u64> = BTreeMap::new();
        let mut per_user: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for i in 0..total {
            let (u, a) = (USERS[i % USERS.len()], ACTIONS[i % ACTIONS.len()]);
            *per_action.entry(a).or_default() += 1;
            *per_user.entry((u, a)).or_default() += 1;
        }

        let analytics = service(&store);
        let counts = analytics.action_counts().unwrap();
        assert_eq!(counts.total, total as u64);
        let actual: BTreeMap<&str, u64> = counts
            .actions
            .iter()
            .map(|(a, n)| (a.as_str(), *n))
            .collect();
        assert_eq!(actual, per_action);
        for u in USERS {
            let counts = analytics.user_counts(&user(u)).unwrap();
            for a in ACTIONS {
                let expected = per_user.get(&(u, a)).copied().unwrap_or(0);
                assert_eq!(
                    counts.actions.get(&action(a)).copied().unwrap_or(0),
                    expected
                );
            }
            let expected_total: u64 = ACTIONS
                .iter()
                .map(|a| per_user.get(&(u, *a)).copied().unwrap_or(0))
                .sum();
            assert_eq!(counts.total, expected_total, "{u}");
        }
        // The next event's running total: a sum on one backend, a counter
        // of its own on the other; both exact after the burst.
        let Recording::Recorded { total_events, .. } = analytics
            .record(&Sender::Service, fresh("late", "login"))
            .unwrap()
        else {
            panic!("a new event is recorded");
        };
        assert_eq!(total_events, total as u64 + 1);
    }
}

/// With a read-then-write counter, two instances that read the same value
/// both write value + 1 and one event vanishes. At this contention (every
/// event on one action and one user) that happens many times over; only
/// atomic increments keep the count exact.
#[test]
fn one_hot_counter_stays_exact_at_high_contention() {
    const HOT_THREADS: usize = 32;
    const HOT_EVENTS: usize = 100;
    for store in stores() {
        race(&store, HOT_THREADS, |analytics, _| {
            for _ in 0..HOT_EVENTS {
                analytics
                    .record(&Sender::Service, fresh("hot-user", "hot"))
                    .unwrap();
            }
        });
        let expected = (HOT_THREADS * HOT_EVENTS) as u64;
        let analytics = service(&store);
        assert_eq!(analytics.action_counts().unwrap().total, expected);
        let mine = analytics.user_counts(&user("hot-user")).unwrap();
        assert_eq!(mine.actions.get(&action("hot")), Some(&expected));
    }
}

#[test]
fn the_same_event_from_many_threads_at_once_is_counted_once() {
    const RACERS: usize = 24;
    for store in stores() {
        let id = EventId::generate();
        let outcomes = race(&store, RACERS, |analytics, _| {
            analytics
                .record(&Sender::Service, event(Some(id), "racer", "race"))
                .unwrap()
        });
        let recorded = outcomes
            .iter()
            .filter(|o| matches!(o, Recording::Recorded { .. }))
            .count();
        assert_eq!(recorded, 1, "exactly one racer records the event");
        assert!(outcomes.iter().all(|o| match o {
            Recording::Recorded { event, .. } => event.id == id,
            Recording::Duplicate { event_id, .. } => *event_id == id,
        }));
        let analytics = service(&store);
        assert_eq!(analytics.action_counts().unwrap().total, 1);
        assert_eq!(analytics.user_counts(&user("racer")).unwrap().total, 1);
    }
}

/// Waits a hundred times as long as asked: the second a request waits for
/// a name another claimed becomes 100 s, so that a claimer which a loaded
/// test machine starves of CPU for a while still adds the name within the
/// wait.
struct Patient;

impl Pause for Patient {
    fn pause(&self, duration: Duration) {
        std::thread::sleep(duration * 100);
    }
}

#[test]
fn a_new_action_raced_by_many_threads_is_listed_once_and_counted_fully() {
    const RACERS: usize = 24;
    for store in stores() {
        domain_core::race(RACERS, |_| {
            Analytics::new(&store, ManualClock::at(now()), Patient)
                .record(&Sender::Service, fresh("u", "brand.new"))
                .unwrap();
        });
        let counts = service(&store).action_counts().unwrap();
        assert_eq!(counts.actions.len(), 1);
        assert_eq!(
            counts.actions.get(&action("brand.new")),
            Some(&(RACERS as u64))
        );
        assert_eq!(counts.total, RACERS as u64);
        // One request claimed the name and added it; the others waited for
        // it instead of taking slots of their own.
        assert_eq!(store.counter(keys::SLOTS), Ok(1), "slots for one name");
    }
}

/// Notes the waits it is asked for instead of waiting.
#[derive(Default)]
struct NotedWaits(Mutex<Vec<Duration>>);

impl Pause for &NotedWaits {
    fn pause(&self, duration: Duration) {
        self.0.lock().unwrap().push(duration);
    }
}

/// A request that claimed a new name and then died holds the name up for
/// the internal key only for a moment (about 1 s, which the README
/// promises): its next request waits for it, then adds the name itself.
#[test]
fn a_name_whose_claimer_never_added_it_is_added_by_the_next_request() {
    for store in stores() {
        store.increment(&keys::name_claim("orphan"), 1).unwrap();
        let waits = NotedWaits::default();
        let recording = Analytics::new(&store, ManualClock::at(now()), &waits)
            .record(&Sender::Service, fresh("u", "orphan"))
            .unwrap();
        let waited: Duration = waits.0.lock().unwrap().iter().sum();
        assert_eq!(waited, Duration::from_millis(1_030));
        assert!(
            matches!(recording, Recording::Recorded { .. }),
            "{recording:?}"
        );
        let counts = service(&store).action_counts().unwrap();
        assert_eq!(counts.actions.get(&action("orphan")), Some(&1));
        assert_eq!(store.counter(keys::SLOTS).unwrap(), 1);
    }
}

/// Writes the name into the slot its claimer took, while the request that
/// found the name claimed waits: the claimer finishing meanwhile.
struct ClaimerFinishes<'a> {
    store: &'a InMemoryStore,
    slot: u64,
    name: &'static str,
}

impl Pause for ClaimerFinishes<'_> {
    fn pause(&self, _: Duration) {
        self.store
            .set(&keys::slot(self.slot), self.name.as_bytes())
            .unwrap();
    }
}

/// A request that reads the index after the name's claimer took its slot
/// and before it wrote the name there sees that slot empty: it waits for
/// the name in it too, not only in slots taken after its read.
#[test]
fn a_name_whose_slot_was_taken_but_empty_when_read_takes_no_second_slot() {
    for store in stores() {
        // Another action's slot first, so that the store has an index.
        service(&store)
            .record(&Sender::Service, fresh("u", "earlier"))
            .unwrap();
        // The claimer of "late.name": its claim and its slot, not yet written.
        store.increment(&keys::name_claim("late.name"), 1).unwrap();
        store.increment(keys::SLOTS, 1).unwrap();
        let claimer_finishes = ClaimerFinishes {
            store: &store,
            slot: 2,
            name: "late.name",
        };
        let recording = Analytics::new(&store, ManualClock::at(now()), claimer_finishes)
            .record(&Sender::Service, fresh("u", "late.name"))
            .unwrap();
        assert!(
            matches!(recording, Recording::Recorded { .. }),
            "{recording:?}"
        );
        assert_eq!(store.counter(keys::SLOTS), Ok(2), "no second slot");
        let counts = service(&store).action_counts().unwrap();
        assert_eq!(counts.actions.get(&action("late.name")), Some(&1));
    }
}

/// A user's request that waited in vain for a name another claimed (its
/// adder died, or is slower than the wait) takes no slot and spends no
/// quota: it asks for a retry and gives the claim up, so that the retry
/// adds the name if nobody else did.
#[test]
fn a_user_finding_a_name_claimed_but_never_added_takes_no_slot_and_frees_the_name() {
    for store in stores() {
        store.increment(&keys::name_claim("orphan"), 1).unwrap();
        let waits = NotedWaits::default();
        let analytics = Analytics::new(&store, ManualClock::at(now()), &waits);
        let submission = fresh("mallory", "orphan");
        assert_eq!(
            analytics.record(&bearer("mallory"), submission.clone()),
            Err(RecordError::ActionBeingAdded)
        );
        assert_eq!(store.counter(keys::SLOTS), Ok(0), "no slot taken");
        assert_eq!(
            store.counter(&keys::quota("mallory")),
            Ok(0),
            "no quota spent"
        );
        assert_eq!(store.get(&keys::name_claim("orphan")), Ok(None));

        waits.0.lock().unwrap().clear();
        let retried = analytics.record(&bearer("mallory"), submission).unwrap();
        assert!(matches!(retried, Recording::Recorded { .. }), "{retried:?}");
        assert!(
            waits.0.lock().unwrap().is_empty(),
            "the retry claims afresh"
        );
        assert_eq!(store.counter(keys::SLOTS), Ok(1));
        assert_eq!(store.counter(&keys::quota("mallory")), Ok(1));
    }
}

/// A user's request that claimed a new name first and was then refused a
/// slot (users' part of the index drawn by racers) gives the claim up: the
/// next request for the name adds it at once instead of waiting for it.
#[test]
fn a_refused_claimer_does_not_hold_the_name_up() {
    for store in stores() {
        store.set(keys::USER_SLOTS_START, b"0").unwrap();
        store
            .increment(keys::USER_SLOTS, USER_ACTION_SLOTS as i64)
            .unwrap();
        let waits = NotedWaits::default();
        let analytics = Analytics::new(&store, ManualClock::at(now()), &waits);
        assert_eq!(
            analytics.record(&bearer("mallory"), fresh("mallory", "popular")),
            Err(RecordError::TooManyActions {
                limit: USER_ACTION_SLOTS
            })
        );
        assert_eq!(store.get(&keys::name_claim("popular")), Ok(None));

        let recording = analytics
            .record(&Sender::Service, fresh("u", "popular"))
            .unwrap();
        assert!(
            matches!(recording, Recording::Recorded { .. }),
            "{recording:?}"
        );
        assert!(waits.0.lock().unwrap().is_empty(), "nobody waited");
    }
}

/// A store whose every write takes a while, as a busy SQLite store makes
/// a request wait before its write goes through.
struct SlowWrites<'a>(&'a InMemoryStore);

const WRITE_TAKES: Duration = Duration::from_millis(20);

impl KeyValueStore for SlowWrites<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.0.get_many(keys)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        std::thread::sleep(WRITE_TAKES);
        self.0.set(key, value)
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        std::thread::sleep(WRITE_TAKES);
        self.0.set_many(entries)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        std::thread::sleep(WRITE_TAKES);
        self.0.delete(key)
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        std::thread::sleep(WRITE_TAKES);
        self.0.increment(key, delta)
    }
}

/// Many users meeting one new name at once, on a store where adding it
/// takes longer than a moment: the name takes one slot and one user's
/// quota, however long its adder takes, never one of each per waiter.
#[test]
fn users_racing_on_a_new_name_over_a_slow_store_take_one_slot_and_one_quota() {
    const RACERS: usize = 24;
    for store in stores() {
        let outcomes = domain_core::race(RACERS, |n| {
            let user_id = format!("user-{n}");
            Analytics::new(SlowWrites(&store), ManualClock::at(now()), ThreadSleep)
                .record(&bearer(&user_id), fresh(&user_id, "brand.new"))
        });
        for outcome in &outcomes {
            assert!(
                matches!(
                    outcome,
                    Ok(Recording::Recorded { .. }) | Err(RecordError::ActionBeingAdded)
                ),
                "{outcome:?}"
            );
        }
        assert_eq!(store.counter(keys::SLOTS), Ok(1), "slots for one name");
        let quota_spent: i64 = (0..RACERS)
            .map(|n| store.counter(&keys::quota(&format!("user-{n}"))).unwrap())
            .sum();
        assert_eq!(quota_spent, 1, "one user introduced the name");
        let recorded = outcomes.iter().filter(|o| o.is_ok()).count() as u64;
        assert_eq!(service(&store).action_counts().unwrap().total, recorded);
    }
}
