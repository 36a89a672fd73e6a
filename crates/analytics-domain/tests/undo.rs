//! A store error after an event was claimed does not lose the event: what
//! was counted is reversed and the claim released before the error goes
//! back, so the sender's retry (the same `event_id`) counts it. Failures are
//! injected at the exact key of each step.

mod support;

use analytics_domain::{EventId, RecordError, Recording, Sender, Unexpected};
use domain_core::KeyValueStore;
use domain_core::kv::{Call, InMemoryStore, Op};
use support::*;

/// The store with one earlier event of `action` (so that the action is
/// indexed and the next event goes straight to its claim and counters).
fn store_with_history(store: &InMemoryStore, action: &str) {
    service(store)
        .record(&Sender::Service, fresh("someone-else", action))
        .unwrap();
}

/// An `increment` of `key` by `delta`, or (`delta` 0) its deletion.
fn call(key: impl Into<String>, delta: i64) -> Call {
    let op = if delta == 0 {
        Op::Delete
    } else {
        Op::Increment
    };
    Call {
        op,
        keys: vec![key.into()],
        delta,
    }
}

/// Records `u`'s login `id` while exactly the `failing` calls fail, as on
/// a backend that drops a connection mid-request; then heals the store.
fn record_failing(
    store: &InMemoryStore,
    id: EventId,
    failing: Vec<Call>,
) -> Result<Recording, RecordError> {
    store.fail_when(move |call| failing.contains(call));
    let result = service(store).record(&Sender::Service, event(Some(id), "u", "login"));
    store.clear_faults();
    result
}

fn counting_failed(result: Result<Recording, RecordError>) -> bool {
    match result {
        Err(RecordError::Unexpected(Unexpected::CountingFailed { released, .. })) => released,
        other => panic!("expected a counting failure, got {other:?}"),
    }
}

/// After the failed attempt and its retry, the event is counted exactly once
/// everywhere, and the retry's answer says so.
fn assert_counted_once_after_retry(store: &InMemoryStore, id: EventId) {
    let retry = service(store)
        .record(&Sender::Service, event(Some(id), "u", "login"))
        .unwrap();
    assert!(
        matches!(
            retry,
            Recording::Recorded {
                total_events: 2,
                ..
            }
        ),
        "the retry records the event: {retry:?}"
    );
    let analytics = service(store);
    assert_eq!(analytics.action_counts().unwrap().total, 2);
    assert_eq!(analytics.user_counts(&user("u")).unwrap().total, 1);
    // A further repeat is a duplicate again.
    let again = analytics
        .record(&Sender::Service, event(Some(id), "u", "login"))
        .unwrap();
    assert!(matches!(
        again,
        Recording::Duplicate {
            total_events: 2,
            ..
        }
    ));
}

#[test]
fn a_failing_user_counter_reverses_the_action_counter_and_frees_the_claim() {
    for store in stores() {
        store_with_history(&store, "login");
        let id = EventId::generate();
        let failed = record_failing(&store, id, vec![call(keys::user_count("u", "login"), 1)]);
        assert!(counting_failed(failed), "the undo succeeded");
        // Nothing of the failed attempt remains.
        assert_eq!(service(&store).action_counts().unwrap().total, 1);
        assert_eq!(store.get(&keys::claim("u", &id)).unwrap(), None);
        assert_counted_once_after_retry(&store, id);
    }
}

#[test]
fn a_failing_action_counter_frees_the_claim() {
    for store in stores() {
        store_with_history(&store, "login");
        let id = EventId::generate();
        let failed = record_failing(&store, id, vec![call(keys::action_count("login"), 1)]);
        assert!(counting_failed(failed));
        assert_counted_once_after_retry(&store, id);
    }
}

/// Only where the overall total is a counter of its own (the Redis-like
/// store): its failure reverses both counters before it.
#[test]
fn a_failing_total_counter_reverses_both_counters() {
    let store = InMemoryStore::redis_like();
    store_with_history(&store, "login");
    let id = EventId::generate();
    let failed = record_failing(&store, id, vec![call(keys::TOTAL, 1)]);
    assert!(counting_failed(failed));
    assert_eq!(service(&store).user_counts(&user("u")).unwrap().total, 0);
    assert_counted_once_after_retry(&store, id);
}

/// When the reversal fails too, the claim is kept: the retry is a duplicate
/// and the event is counted at most once (here globally, not for its
/// user), never twice.
#[test]
fn a_failed_reversal_keeps_the_claim_so_nothing_is_counted_twice() {
    for store in stores() {
        store_with_history(&store, "login");
        let id = EventId::generate();
        // The user counter fails to rise, then the action counter to fall.
        let failed = record_failing(
            &store,
            id,
            vec![
                call(keys::user_count("u", "login"), 1),
                call(keys::action_count("login"), -1),
            ],
        );
        assert!(!counting_failed(failed), "the claim was kept");

        let retry = service(&store)
            .record(&Sender::Service, event(Some(id), "u", "login"))
            .unwrap();
        assert!(matches!(retry, Recording::Duplicate { .. }));
        let analytics = service(&store);
        assert_eq!(analytics.action_counts().unwrap().total, 2);
        assert_eq!(analytics.user_counts(&user("u")).unwrap().total, 0);
    }
}

/// When releasing the claim fails, the reversal already happened: the
/// event is not counted, and the retry is a duplicate (an undercount).
#[test]
fn a_failed_release_leaves_the_event_uncounted_not_double_counted() {
    for store in stores() {
        store_with_history(&store, "login");
        let id = EventId::generate();
        let result = record_failing(
            &store,
            id,
            vec![
                call(keys::user_count("u", "login"), 1),
                call(keys::claim("u", &id), 0),
            ],
        );
        assert!(!counting_failed(result), "the claim could not be released");

        let retry = service(&store)
            .record(&Sender::Service, event(Some(id), "u", "login"))
            .unwrap();
        assert!(matches!(
            retry,
            Recording::Duplicate {
                total_events: 1,
                ..
            }
        ));
        assert_eq!(service(&store).action_counts().unwrap().total, 1);
    }
}

/// A failure before the claim leaves nothing to undo: the error is a plain
/// store error and the retry records the event.
#[test]
fn a_failing_claim_is_a_plain_store_error() {
    for store in stores() {
        store_with_history(&store, "login");
        let id = EventId::generate();
        let failed = record_failing(&store, id, vec![call(keys::claim("u", &id), 1)]);
        assert!(matches!(
            failed,
            Err(RecordError::Unexpected(Unexpected::Store(_)))
        ));
        assert_counted_once_after_retry(&store, id);
    }
}

/// Once its counts are raised the event stands: a total that cannot be read
/// afterwards (SQLite-like stores sum it) does not make the answer an error,
/// which a sender without an event id would retry and count twice.
#[test]
fn a_total_unreadable_after_counting_still_answers_recorded() {
    let store = InMemoryStore::sqlite_like();
    store_with_history(&store, "login");
    let mut increments = 0;
    // The claim, the action counter, the user's counter: then every read fails.
    store.fail_when(move |call| {
        increments += usize::from(call.op == Op::Increment);
        increments >= 3 && matches!(call.op, Op::Get | Op::GetMany)
    });
    let answer = service(&store).record(&Sender::Service, event(None, "u", "login"));
    store.clear_faults();

    match answer {
        Ok(Recording::Recorded { total_events, .. }) => {
            assert!((1..=2).contains(&total_events), "{total_events}")
        }
        other => panic!("a counted event is recorded, got {other:?}"),
    }
    let analytics = service(&store);
    assert_eq!(analytics.action_counts().unwrap().total, 2);
    assert_eq!(analytics.user_counts(&user("u")).unwrap().total, 1);
}
