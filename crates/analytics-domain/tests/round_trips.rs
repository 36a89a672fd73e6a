//! What each request costs in store round trips, per backend. Spin's Redis
//! store refuses batch reads (so a batch is a wasted round trip followed by
//! one `get` per key) and writes as cheaply as it reads; Spin's SQLite store
//! batches reads and pays a transaction per write.

mod support;

use analytics_domain::{ClientActions, EventId, Recording, Sender};
use domain_core::kv::{Call, InMemoryStore, Op};
use support::*;

use Op::{Get, GetMany, Increment, Set};

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

/// The key a user's admission touches, or `None` for any other.
fn admission_key(call: &Call) -> Option<&'static str> {
    match call.keys.as_slice() {
        [key] if key.starts_with("quota:new-actions:") => Some("quota"),
        [key] if key == "actions:user-slots" => Some("tickets"),
        [key] if key == "actions:user-slots:start" => Some("start"),
        _ => None,
    }
}

/// A user's new name costs what the internal key's does, plus the user's
/// quota and a ticket for the users' part of the index: two reads and two
/// increments (and, for the first user's new name in a store, a write of
/// where the users' tickets start).
#[test]
fn a_users_new_name_adds_its_quota_and_a_ticket() {
    for (store, sqlite_like) in [
        (InMemoryStore::sqlite_like(), true),
        (InMemoryStore::redis_like(), false),
    ] {
        let store = with_history(store);
        let admission = |calls: &[Call]| -> Vec<(Op, &str)> {
            calls
                .iter()
                .filter_map(|call| Some((call.op, admission_key(call)?)))
                .collect()
        };
        // On a Redis-like store the index is read one slot a time, and each
        // new name makes it one slot longer: there, only writes compare.
        let others = |calls: &[Call]| -> Vec<Op> {
            calls
                .iter()
                .filter(|call| sqlite_like || call.op.is_write())
                .filter(|call| admission_key(call).is_none())
                .map(|call| call.op)
                .collect()
        };
        service(&store)
            .record(&Sender::Service, fresh("u", "by.service"))
            .unwrap();
        let by_service = store.take_calls();
        for (n, first) in [(0, true), (1, false)] {
            service(&store)
                .record(&bearer("u"), fresh("u", &format!("by.user.{n}")))
                .unwrap();
            let by_user = store.take_calls();
            assert_eq!(others(&by_user), others(&by_service));
            let mut expected = vec![(Get, "quota"), (Get, "start")];
            if first {
                expected.push((Set, "start"));
            }
            expected.extend([(Increment, "quota"), (Increment, "tickets")]);
            assert_eq!(admission(&by_user), expected);
        }
    }
}

#[test]
fn a_refusal_reads_at_most_the_events_claim_and_writes_nothing() {
    for store in [InMemoryStore::default(), InMemoryStore::redis_like()] {
        let store = with_history(store);
        let analytics =
            service(&store).with_client_actions(ClientActions::parse("page.view").unwrap());
        let user = bearer("u");
        assert!(analytics.record(&user, fresh("u", "login")).is_err());
        assert_eq!(ops(&store), [], "reserved: no store call");
        assert!(analytics.record(&user, event(None, "u", "search")).is_err());
        assert_eq!(ops(&store), [], "not listed, no event id: no store call");
        assert!(analytics.record(&user, fresh("u", "search")).is_err());
        assert_eq!(ops(&store), [Get], "not listed: the event's claim");
    }
}
