//! Recording one event at a time: idempotency across restarts, what a crash
//! mid-request leaves behind, the store writes each path costs, and the
//! bound on distinct actions.

mod support;

use analytics_domain::{
    ActionCounts, EventId, MAX_ACTIONS, RecordError, Recording, Sender, Submission, Unexpected,
};
use domain_core::kv::{InMemoryStore, Op};
use domain_core::{KeyValueStore, StoreError, Timestamp};
use support::*;

fn total_events(recording: &Recording) -> u64 {
    match recording {
        Recording::Recorded { total_events, .. } | Recording::Duplicate { total_events, .. } => {
            *total_events
        }
    }
}

/// Records `submission` in an instance that dies after `writes` writes:
/// from then on every store operation fails, as if the host had gone away
/// mid-request. The store is healthy again for the next instance.
fn record_dying_after(
    store: &InMemoryStore,
    writes: u32,
    submission: Submission,
) -> Result<Recording, RecordError> {
    let (mut writes_left, mut dead) = (writes, false);
    store.fail_when(move |call| {
        if call.op.is_write() {
            dead |= writes_left == 0;
            writes_left = writes_left.saturating_sub(1);
        }
        dead
    });
    let result = service(store).record(&Sender::Service, submission);
    store.clear_faults();
    result
}

#[test]
fn a_repeat_after_a_restart_is_a_duplicate_and_changes_no_count() {
    for store in stores() {
        let id = EventId::generate();
        let first = service(&store)
            .record(&Sender::Service, event(Some(id), "alice", "login"))
            .unwrap();
        assert!(matches!(
            first,
            Recording::Recorded {
                total_events: 1,
                ..
            }
        ));
        let before = service(&store).action_counts().unwrap();

        // A new instance over the same store, as after a restart; the repeat
        // may even name another action: it is still the same event.
        let restarted = service(&store);
        for repeat in [
            event(Some(id), "alice", "login"),
            event(Some(id), "alice", "logout"),
        ] {
            let again = restarted.record(&Sender::Service, repeat).unwrap();
            assert_eq!(
                again,
                Recording::Duplicate {
                    event_id: id,
                    total_events: 1
                }
            );
        }
        assert_eq!(restarted.action_counts().unwrap(), before);
        assert_eq!(restarted.user_counts(&user("alice")).unwrap().total, 1);
    }
}

/// Event ids are scoped to their user, as idempotency keys are to their
/// client: one user's id never makes another user's event a duplicate.
#[test]
fn the_same_event_id_from_two_users_is_two_events() {
    for store in stores() {
        let id = EventId::generate();
        let analytics = service(&store);
        for (sender, user_id) in [
            (bearer("alice"), "alice"),
            (bearer("bob"), "bob"),
            (Sender::Service, "carol"),
        ] {
            let recording = analytics
                .record(&sender, event(Some(id), user_id, "page.view"))
                .unwrap();
            assert!(
                matches!(recording, Recording::Recorded { .. }),
                "{user_id}: {recording:?}"
            );
        }
        // Each user's repeat is still a duplicate.
        let again = analytics
            .record(&bearer("bob"), event(Some(id), "bob", "page.view"))
            .unwrap();
        assert!(matches!(
            again,
            Recording::Duplicate {
                total_events: 3,
                ..
            }
        ));
        for user_id in ["alice", "bob", "carol"] {
            assert_eq!(analytics.user_counts(&user(user_id)).unwrap().total, 1);
        }
        assert_eq!(analytics.action_counts().unwrap().total, 3);
    }
}

#[test]
fn recorded_events_get_their_defaults_and_the_running_total() {
    let store = InMemoryStore::default();
    let analytics = service(&store);
    let at = Timestamp::parse_rfc3339("2026-01-02T03:04:05Z").unwrap();
    let explicit = Submission {
        timestamp: Some(at),
        ..event(None, "u", "login")
    };
    let Recording::Recorded {
        event: first,
        total_events,
    } = analytics.record(&Sender::Service, explicit).unwrap()
    else {
        panic!("a new event is recorded");
    };
    assert_eq!((first.timestamp, total_events), (at, 1));
    let Recording::Recorded {
        event: second,
        total_events,
    } = analytics
        .record(&Sender::Service, event(None, "u", "logout"))
        .unwrap()
    else {
        panic!("a new event is recorded");
    };
    assert_eq!(second.timestamp, now());
    assert_ne!(second.id, first.id, "absent ids are generated afresh");
    assert_eq!(total_events, 2);
}

#[test]
fn metrics_of_an_empty_store_and_an_unknown_user_are_zeros() {
    let store = InMemoryStore::default();
    let analytics = service(&store);
    assert_eq!(analytics.action_counts().unwrap(), ActionCounts::default());
    analytics
        .record(&Sender::Service, fresh("someone", "login"))
        .unwrap();
    assert_eq!(
        analytics.user_counts(&user("nobody")).unwrap(),
        ActionCounts::default()
    );
}

#[test]
fn both_counter_encodings_give_the_same_answers() {
    let answers: Vec<_> = stores()
        .iter()
        .map(|store| {
            let analytics = service(store);
            for (u, a) in [("a", "login"), ("a", "login"), ("b", "x:y"), ("a", "x:y")] {
                analytics.record(&Sender::Service, fresh(u, a)).unwrap();
            }
            (
                analytics.action_counts().unwrap(),
                analytics.user_counts(&user("a")).unwrap(),
            )
        })
        .collect();
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0.total, 4);
    assert_eq!(answers[0].1.total, 3);
}

#[test]
fn writes_per_event_are_three_and_a_new_action_costs_three_more_once() {
    let store = InMemoryStore::default();
    let analytics = service(&store);
    let writes = |step: &dyn Fn()| {
        let before = store.writes();
        step();
        store.writes() - before
    };
    let record_new = |submission: Submission, expected_total: u64| {
        let recording = analytics.record(&Sender::Service, submission).unwrap();
        assert!(
            matches!(
                recording,
                Recording::Recorded { total_events, .. } if total_events == expected_total
            ),
            "{recording:?}"
        );
    };
    let id = EventId::generate();
    // Claim, action counter, user counter; plus, for a new action, the
    // name's claim, its slot and the name.
    assert_eq!(writes(&|| record_new(event(Some(id), "u", "login"), 1)), 6);
    assert_eq!(writes(&|| record_new(fresh("u", "login"), 2)), 3);
    assert_eq!(writes(&|| record_new(fresh("v", "login"), 3)), 3);
    // A repeat is answered from a read.
    assert_eq!(
        writes(&|| assert_eq!(
            analytics
                .record(&Sender::Service, event(Some(id), "u", "login"))
                .unwrap(),
            Recording::Duplicate {
                event_id: id,
                total_events: 3
            }
        )),
        0
    );
    assert_eq!(
        writes(&|| assert_eq!(analytics.action_counts().unwrap().total, 3)),
        0
    );
    assert_eq!(
        writes(&|| assert_eq!(analytics.user_counts(&user("u")).unwrap().total, 2)),
        0
    );
}

/// The residual window: an instance that dies after claiming an event but
/// before counting it (here every store call fails from the first counter
/// on, so the undo cannot run either) leaves the event claimed and
/// uncounted, and its retry is a duplicate. Counts can fall short by the
/// events in flight at a crash; they never count one event twice.
#[test]
fn a_crash_between_claim_and_counts_undercounts_and_never_double_counts() {
    for store in stores() {
        service(&store)
            .record(&Sender::Service, fresh("u", "login"))
            .unwrap();
        let id = EventId::generate();
        // The action is known: the first write is the claim.
        let crashed = record_dying_after(&store, 1, event(Some(id), "u", "login"));
        assert!(matches!(
            crashed,
            Err(RecordError::Unexpected(Unexpected::CountingFailed {
                released: false,
                ..
            }))
        ));

        let retry = service(&store)
            .record(&Sender::Service, event(Some(id), "u", "login"))
            .unwrap();
        assert!(matches!(retry, Recording::Duplicate { .. }));
        assert_eq!(total_events(&retry), 1, "the crashed event is not counted");
        assert_eq!(service(&store).action_counts().unwrap().total, 1);
    }
}

/// A crash before the claim (here: while indexing a new action) loses
/// nothing: the retry records the event.
#[test]
fn a_crash_before_the_claim_lets_the_retry_record() {
    let store = InMemoryStore::default();
    let id = EventId::generate();
    assert!(matches!(
        record_dying_after(&store, 1, event(Some(id), "u", "fresh.action")),
        Err(RecordError::Unexpected(Unexpected::Store(
            StoreError::Unavailable(_)
        )))
    ));
    let retry = service(&store)
        .record(&Sender::Service, event(Some(id), "u", "fresh.action"))
        .unwrap();
    assert!(matches!(
        retry,
        Recording::Recorded {
            total_events: 1,
            ..
        }
    ));
    let counts = service(&store).action_counts().unwrap();
    assert_eq!(counts.actions.get(&action("fresh.action")), Some(&1));
}

#[test]
fn new_actions_beyond_the_limit_are_refused_without_a_write() {
    let store = InMemoryStore::default();
    let analytics = service(&store);
    for n in 0..MAX_ACTIONS {
        analytics
            .record(&Sender::Service, fresh("u", &format!("a{n}")))
            .unwrap();
    }
    let id = EventId::generate();
    let writes = store.writes();
    for _ in 0..2 {
        let refused = analytics.record(&Sender::Service, event(Some(id), "u", "one.too.many"));
        assert_eq!(
            refused,
            Err(RecordError::TooManyActions { limit: MAX_ACTIONS })
        );
    }
    // Not even the name's claim: a full index refuses before it.
    assert_eq!(store.writes(), writes);
    // Known actions still count; the refused event never did.
    analytics
        .record(&Sender::Service, fresh("u", "a0"))
        .unwrap();
    let counts = analytics.action_counts().unwrap();
    assert_eq!(counts.actions.len() as u64, MAX_ACTIONS);
    assert_eq!(counts.total, MAX_ACTIONS + 1);
    assert!(!counts.actions.contains_key(&action("one.too.many")));
}

/// A full index never refuses the auth service's own actions: each has a
/// reserved place, read only once the slots are all taken, and its counts
/// show in the metrics and in the total like any other action's.
#[test]
fn a_full_index_still_takes_the_system_actions() {
    for store in stores() {
        let analytics = service(&store);
        for n in 0..MAX_ACTIONS {
            analytics
                .record(&Sender::Service, fresh("u", &format!("a{n}")))
                .unwrap();
        }
        assert_eq!(
            analytics.record(&Sender::Service, fresh("u", "one.too.many")),
            Err(RecordError::TooManyActions { limit: MAX_ACTIONS })
        );
        for system in domain_core::system_actions::ALL {
            let recorded = analytics.record(&Sender::Service, fresh("u", system));
            assert!(
                matches!(recorded, Ok(Recording::Recorded { total_events, .. }) if total_events > MAX_ACTIONS),
                "{system}: {recorded:?}"
            );
        }
        analytics
            .record(&Sender::Service, fresh("v", "logout"))
            .unwrap();

        let counts = analytics.action_counts().unwrap();
        assert_eq!(counts.actions.len() as u64, MAX_ACTIONS + 4);
        assert_eq!(counts.actions.get(&action("logout")), Some(&2));
        assert_eq!(counts.total, MAX_ACTIONS + 5);
        let user = analytics.user_counts(&user("v")).unwrap();
        assert_eq!(user.actions.get(&action("logout")), Some(&1));
        assert!(!counts.actions.contains_key(&action("one.too.many")));
    }
}

#[test]
fn a_failing_store_is_an_unexpected_error_everywhere() {
    let store = InMemoryStore::default();
    store.set_failing(true);
    let analytics = service(&store);
    let unavailable =
        |error: &Unexpected| matches!(error, Unexpected::Store(StoreError::Unavailable(_)));
    assert!(matches!(
        analytics.record(&Sender::Service, fresh("u", "login")),
        Err(RecordError::Unexpected(ref e)) if unavailable(e)
    ));
    assert!(analytics.action_counts().is_err_and(|e| unavailable(&e)));
    assert!(
        analytics
            .user_counts(&user("u"))
            .is_err_and(|e| unavailable(&e))
    );
}

/// A request that indexed a new action and then failed at its claim leaves
/// the name indexed without a count. Its retry finds the name and takes no
/// second slot: slots are never given back, and the index holds at most
/// `MAX_ACTIONS` of them.
#[test]
fn a_retry_after_a_failed_claim_finds_its_action_indexed_and_takes_no_second_slot() {
    for store in stores() {
        let id = EventId::generate();
        let claim = keys::claim("u", &id);
        store.fail_when(move |call| call.op == Op::Increment && call.touches(&claim));
        assert!(matches!(
            service(&store).record(&bearer("u"), event(Some(id), "u", "fresh.action")),
            Err(RecordError::Unexpected(Unexpected::Store(_)))
        ));
        store.clear_faults();
        assert_eq!(store.counter(keys::SLOTS), Ok(1));

        let retry = service(&store)
            .record(&bearer("u"), event(Some(id), "u", "fresh.action"))
            .unwrap();
        assert!(matches!(retry, Recording::Recorded { .. }), "{retry:?}");
        assert_eq!(store.counter(keys::SLOTS), Ok(1), "no second slot");
    }
}

/// A repeat is answered before anything is written, even when it names an
/// action the index does not hold: the event is the same, so no slot (and,
/// for a user, none of the quota) goes to a name that will never count.
#[test]
fn a_repeat_naming_a_new_action_takes_no_index_slot() {
    for store in stores() {
        let id = EventId::generate();
        service(&store)
            .record(&bearer("u"), event(Some(id), "u", "first.action"))
            .unwrap();
        let writes = store.writes();
        let again = service(&store)
            .record(&bearer("u"), event(Some(id), "u", "other.action"))
            .unwrap();
        assert!(matches!(again, Recording::Duplicate { .. }), "{again:?}");
        assert_eq!(store.writes(), writes, "nothing written");
        assert_eq!(store.counter(keys::SLOTS), Ok(1));
    }
}
