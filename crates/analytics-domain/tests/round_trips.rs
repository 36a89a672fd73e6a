//! What each request costs in store round trips, per backend. Spin's Redis
//! store refuses batch reads (so a batch is a wasted round trip followed by
//! one `get` per key) and writes as cheaply as it reads; Spin's SQLite store
//! batches reads and pays a transaction per write.

mod support;

use analytics_domain::{EventId, Recording, Sender};
use domain_core::kv::{InMemoryStore, Op};
use support::*;

use Op::{Get, GetMany, Increment};

const ACTIONS: [&str; 3] = ["login", "logout", "page.view"];

/// A store where each of `ACTIONS` has been recorded once, its call log
/// emptied.
fn with_history(store: InMemoryStore) -> InMemoryStore {
    for action in ACTIONS {
        service(&store)
            .record(&Sender::Service, fresh("someone", action))
            .unwrap();
    }
    store.take_calls();
    store
}

/// The operations since the last look, in order. (Every batch read below
/// has several keys: one key would be a plain `get` on Spin's stores.)
fn ops(store: &InMemoryStore) -> Vec<Op> {
    store.take_calls().into_iter().map(|call| call.op).collect()
}

#[test]
fn on_a_redis_like_store_an_event_is_one_read_and_four_increments() {
    let store = with_history(InMemoryStore::redis_like());
    let analytics = service(&store);
    let id = EventId::generate();
    let recorded = analytics
        .record(&Sender::Service, event(Some(id), "u", "login"))
        .unwrap();
    assert!(matches!(
        recorded,
        Recording::Recorded {
            total_events: 4,
            ..
        }
    ));
    assert_eq!(
        ops(&store),
        [Get, Increment, Increment, Increment, Increment],
        "the action's counter; the claim, two counters and the total"
    );
    let repeat = analytics
        .record(&Sender::Service, event(Some(id), "u", "login"))
        .unwrap();
    assert!(matches!(
        repeat,
        Recording::Duplicate {
            total_events: 4,
            ..
        }
    ));
    assert_eq!(ops(&store), [Get, Increment, Get], "… the claim, the total");
}

#[test]
fn on_a_redis_like_store_nothing_reads_in_batches() {
    let store = with_history(InMemoryStore::redis_like());
    let analytics = service(&store);
    analytics
        .record(&Sender::Service, fresh("u", "brand.new"))
        .unwrap();
    analytics.action_counts().unwrap();
    analytics.user_counts(&user("u")).unwrap();
    let seen = ops(&store);
    assert!(!seen.contains(&GetMany), "{seen:?}");
    // Metrics: the index size, then each of the four names and counters.
    analytics.action_counts().unwrap();
    assert_eq!(ops(&store), [Get; 1 + 4 + 4]);
}

#[test]
fn on_a_sqlite_like_store_an_event_is_three_writes_and_four_reads() {
    let store = with_history(InMemoryStore::sqlite_like());
    let analytics = service(&store);
    let id = EventId::generate();
    let recorded = analytics
        .record(&Sender::Service, event(Some(id), "u", "login"))
        .unwrap();
    assert!(matches!(
        recorded,
        Recording::Recorded {
            total_events: 4,
            ..
        }
    ));
    // The action's counter; the claim with the index size; the names; their counters.
    assert_eq!(
        ops(&store),
        [
            Get, GetMany, Increment, Increment, Increment, GetMany, GetMany
        ]
    );
    // A sequential repeat is answered by reads alone.
    analytics
        .record(&Sender::Service, event(Some(id), "u", "login"))
        .unwrap();
    assert_eq!(ops(&store), [Get, GetMany, GetMany, GetMany]);
    analytics.action_counts().unwrap();
    assert_eq!(ops(&store), [Get, GetMany, GetMany]);
}

/// Where the total is a counter and where it is a sum, the answers agree.
#[test]
fn total_events_matches_the_metrics_on_both_backends() {
    for store in stores() {
        let analytics = service(&store);
        for (n, (u, a)) in [("a", "x"), ("b", "y"), ("a", "y"), ("c", "z")]
            .into_iter()
            .enumerate()
        {
            let Recording::Recorded { total_events, .. } =
                analytics.record(&Sender::Service, fresh(u, a)).unwrap()
            else {
                panic!("recorded");
            };
            assert_eq!(total_events, n as u64 + 1);
            assert_eq!(analytics.action_counts().unwrap().total, total_events);
        }
    }
}
