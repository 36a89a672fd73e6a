//! What a user's bearer token may record: never the system's own actions,
//! only the operator's client actions when there is a list, and a bounded
//! number of new action names, so that no user can forge account events or
//! fill the action index every user shares. The internal key and other
//! users keep working.

mod support;

use analytics_domain::{
    ClientActions, EventId, MAX_ACTIONS, RecordError, Recording, Sender, USER_ACTION_SLOTS,
    USER_NEW_ACTIONS,
};
use domain_core::KeyValueStore;
use domain_core::kv::{InMemoryStore, Op};
use support::*;

fn recorded(result: Result<Recording, RecordError>) -> bool {
    matches!(result, Ok(Recording::Recorded { .. }))
}

#[test]
fn users_cannot_record_the_systems_actions_and_nothing_is_written() {
    for store in stores() {
        let analytics = service(&store);
        for action in domain_core::system_actions::ALL {
            let writes = store.writes();
            assert_eq!(
                analytics.record(&bearer("mallory"), fresh("mallory", action)),
                Err(RecordError::ReservedAction),
                "{action}"
            );
            assert_eq!(store.writes(), writes, "{action}");
            assert!(recorded(
                analytics.record(&Sender::Service, fresh("mallory", action))
            ));
        }
        let mine = analytics.user_counts(&user("mallory")).unwrap();
        assert_eq!(mine.total, 4, "only the internal key's four events count");
    }
}

#[test]
fn with_a_list_users_record_only_listed_actions() {
    let store = InMemoryStore::default();
    let analytics =
        service(&store).with_client_actions(ClientActions::parse("page.view,search").unwrap());
    assert!(recorded(
        analytics.record(&bearer("alice"), fresh("alice", "page.view"))
    ));
    assert_eq!(
        analytics.record(&bearer("alice"), fresh("alice", "click")),
        Err(RecordError::ActionNotAllowed)
    );
    // The internal key is not bound by the list.
    assert!(recorded(
        analytics.record(&Sender::Service, fresh("alice", "click"))
    ));
    // Once the name is known, the list still binds users.
    assert_eq!(
        analytics.record(&bearer("bob"), fresh("bob", "click")),
        Err(RecordError::ActionNotAllowed)
    );
}

#[test]
fn a_repeat_of_an_event_counted_before_the_list_narrowed_is_a_duplicate() {
    for store in stores() {
        let id = EventId::generate();
        let with_id = |action: &str| event(Some(id), "alice", action);
        let before =
            service(&store).with_client_actions(ClientActions::parse("page.view").unwrap());
        assert!(recorded(
            before.record(&bearer("alice"), with_id("page.view"))
        ));
        let after = service(&store).with_client_actions(ClientActions::parse("search").unwrap());
        let writes = store.writes();
        assert!(
            matches!(
                after.record(&bearer("alice"), with_id("page.view")),
                Ok(Recording::Duplicate { event_id, total_events: 1 }) if event_id == id
            ),
            "a repeat is a duplicate"
        );
        assert_eq!(store.writes(), writes);
        // A new event of the action, or another user's with that id, is refused.
        assert_eq!(
            after.record(&bearer("alice"), fresh("alice", "page.view")),
            Err(RecordError::ActionNotAllowed)
        );
        assert_eq!(
            after.record(&bearer("bob"), event(Some(id), "bob", "page.view")),
            Err(RecordError::ActionNotAllowed)
        );
    }
}

#[test]
fn a_user_introduces_a_few_new_names_then_only_known_ones() {
    for store in stores() {
        let analytics = service(&store);
        for n in 0..USER_NEW_ACTIONS {
            let name = format!("mine.{n}");
            assert!(recorded(
                analytics.record(&bearer("alice"), fresh("alice", &name))
            ));
        }
        let writes = store.writes();
        let spent = Err(RecordError::ActionQuotaExceeded {
            limit: USER_NEW_ACTIONS,
        });
        assert_eq!(
            analytics.record(&bearer("alice"), fresh("alice", "one.more")),
            spent
        );
        assert_eq!(store.writes(), writes, "a spent quota costs no write");

        // Names already known cost no quota: her own, and other users'.
        assert!(recorded(
            analytics.record(&bearer("alice"), fresh("alice", "mine.0"))
        ));
        assert!(recorded(
            analytics.record(&bearer("bob"), fresh("bob", "bobs.own"))
        ));
        assert!(recorded(
            analytics.record(&bearer("alice"), fresh("alice", "bobs.own"))
        ));
        // The internal key introduces names without a quota.
        assert!(recorded(
            analytics.record(&Sender::Service, fresh("alice", "one.more"))
        ));
        assert!(recorded(
            analytics.record(&bearer("alice"), fresh("alice", "one.more"))
        ));
        assert_eq!(
            analytics.action_counts().unwrap().actions.len() as u64,
            USER_NEW_ACTIONS + 2
        );
    }
}

/// The quota is counted before a slot is taken, so a burst of one user's
/// requests, each with a new name (or all with the same new name, which
/// racing writers may index more than once), takes at most the quota's
/// worth of index slots.
#[test]
fn a_burst_of_new_names_from_one_user_takes_at_most_the_quota_of_slots() {
    const RACERS: usize = 32;
    for same_name in [false, true] {
        for store in stores() {
            let outcomes = race(&store, RACERS, |analytics, n| {
                let name = if same_name {
                    "burst".to_owned()
                } else {
                    format!("burst.{n}")
                };
                analytics.record(&bearer("mallory"), fresh("mallory", &name))
            });
            let slots = store.counter(keys::SLOTS).unwrap();
            if same_name {
                assert!(
                    (1..=USER_NEW_ACTIONS as i64).contains(&slots),
                    "{slots} slots taken"
                );
            } else {
                assert_eq!(slots, USER_NEW_ACTIONS as i64, "one slot per admitted name");
            }
            for outcome in &outcomes {
                assert!(
                    matches!(
                        outcome,
                        Ok(Recording::Recorded { .. })
                            | Err(RecordError::ActionQuotaExceeded {
                                limit: USER_NEW_ACTIONS
                            })
                            // Only if the name's adder stalled for a second.
                            | Err(RecordError::ActionBeingAdded)
                    ),
                    "{outcome:?}"
                );
            }
            let recorded = outcomes.iter().filter(|o| o.is_ok()).count() as u64;
            assert_eq!(service(&store).action_counts().unwrap().total, recorded);
            if !same_name {
                assert_eq!(recorded, USER_NEW_ACTIONS);
            }
        }
    }
}

/// However many accounts one person makes, users fill at most their part
/// of the index: the last slots stay for the internal key.
#[test]
fn users_leave_the_last_slots_of_the_index_to_the_internal_key() {
    for store in stores() {
        // The index as many users' new names would have left it.
        store
            .increment(keys::SLOTS, USER_ACTION_SLOTS as i64 - 1)
            .unwrap();
        let analytics = service(&store);
        assert!(recorded(
            analytics.record(&bearer("user-1"), fresh("user-1", "last.for.users"))
        ));
        let full = Err(RecordError::TooManyActions {
            limit: USER_ACTION_SLOTS,
        });
        let writes = store.writes();
        assert_eq!(
            analytics.record(&bearer("user-2"), fresh("user-2", "one.more")),
            full
        );
        assert_eq!(
            store.writes(),
            writes,
            "an index holding the users' part refuses without a write"
        );
        assert!(recorded(
            analytics.record(&Sender::Service, fresh("user-2", "system.new"))
        ));
        // Known names keep working for every user.
        assert!(recorded(
            analytics.record(&bearer("user-2"), fresh("user-2", "last.for.users"))
        ));
        assert!(recorded(
            analytics.record(&bearer("user-3"), fresh("user-3", "system.new"))
        ));
    }
}

/// Racers from many accounts all pass the check of the index size before
/// any of them takes a slot; still, users end up holding no more than their
/// part, and the internal key can introduce every name of its own part.
#[test]
fn a_burst_of_new_names_from_many_users_leaves_the_internal_key_its_slots() {
    const RACERS: usize = 64;
    let reserve = MAX_ACTIONS - USER_ACTION_SLOTS;
    assert_eq!(reserve, 100, "the internal key's own part, as documented");
    for filled_by_users in [false, true] {
        for store in [InMemoryStore::sqlite_like(), InMemoryStore::redis_like()] {
            if filled_by_users {
                // Users' new names, one short of their part.
                for n in 0..USER_ACTION_SLOTS - 1 {
                    let name = format!("user.{}", n / USER_NEW_ACTIONS);
                    let action = format!("filler.{n}");
                    assert!(recorded(
                        service(&store).record(&bearer(&name), fresh(&name, &action))
                    ));
                }
            } else {
                // An index as an earlier version left it: a slot counter
                // one short of the users' part, nothing else.
                store
                    .increment(keys::SLOTS, USER_ACTION_SLOTS as i64 - 1)
                    .unwrap();
            }
            // From here on, requests interleave as concurrent instances would.
            let store = store.interleaved();
            let analytics = service(&store);
            let outcomes = race(&store, RACERS, |analytics, n| {
                let name = format!("racer.{n}");
                analytics.record(&bearer(&name), fresh(&name, &format!("burst.{n}")))
            });
            for outcome in &outcomes {
                assert!(
                    matches!(
                        outcome,
                        Ok(Recording::Recorded { .. })
                            | Err(RecordError::TooManyActions {
                                limit: USER_ACTION_SLOTS
                            })
                    ),
                    "{outcome:?}"
                );
            }
            assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1);
            assert_eq!(
                store.counter(keys::SLOTS).unwrap(),
                USER_ACTION_SLOTS as i64,
                "refused racers hold no slot"
            );
            for n in 0..reserve {
                assert!(
                    recorded(
                        analytics.record(&Sender::Service, fresh("system", &format!("system.{n}")))
                    ),
                    "the internal key's new name {n} of {reserve}"
                );
            }
            assert_eq!(
                analytics.record(&Sender::Service, fresh("system", "one.too.many")),
                Err(RecordError::TooManyActions { limit: MAX_ACTIONS })
            );
        }
    }
}

/// A user's request that fails after drawing its ticket (here, taking the
/// slot) leaves the ticket spent: users lose a slot of their part, the
/// internal key none of its own.
#[test]
fn a_user_request_failing_after_its_ticket_costs_users_a_slot_not_the_internal_key() {
    for store in stores() {
        store
            .increment(keys::SLOTS, USER_ACTION_SLOTS as i64 - 2)
            .unwrap();
        let analytics = service(&store);
        store.fail_when(|call| call.op == Op::Increment && call.touches(keys::SLOTS));
        assert!(matches!(
            analytics.record(&bearer("user-1"), fresh("user-1", "failed")),
            Err(RecordError::Unexpected(_))
        ));
        store.clear_faults();
        assert!(recorded(
            analytics.record(&bearer("user-2"), fresh("user-2", "last.for.users"))
        ));
        // The index holds one slot fewer than the users' part, but users
        // have drawn all of it.
        assert_eq!(store.counter(keys::SLOTS), Ok(USER_ACTION_SLOTS as i64 - 1));
        assert_eq!(
            analytics.record(&bearer("user-1"), fresh("user-1", "failed")),
            Err(RecordError::TooManyActions {
                limit: USER_ACTION_SLOTS
            })
        );
        // The slot the failed request never took goes to the internal key.
        for n in 0..MAX_ACTIONS - USER_ACTION_SLOTS + 1 {
            assert!(recorded(analytics.record(
                &Sender::Service,
                fresh("system", &format!("system.{n}"))
            )));
        }
    }
}
