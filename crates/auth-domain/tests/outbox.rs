//! Delivery bookkeeping: kept on failure, removed once delivered or
//! rejected, never duplicated as entries, and what each endpoint writes.

mod support;

use auth_domain::{Delivery, Round};
use service_kit::KeyValueStore;
use support::*;

#[test]
fn delivered_side_effects_leave_no_entries() {
    let service = service();
    register(&service, "alice", PASSWORD);
    let token = service.login("alice", PASSWORD).unwrap().token;
    service.logout(&token).unwrap();
    assert_eq!(
        service.delivery().delivered_actions(),
        ["register", "login", "logout"]
    );
    assert_eq!(
        service.delivery().delivered().len(),
        5,
        "plus welcome and login alert"
    );
    assert!(outbox_keys(service.store()).is_empty());
    // The request's own deliveries go out in a round of their own kind.
    assert!(
        service
            .delivery()
            .attempts()
            .iter()
            .all(|(_, round)| *round == Round::WithOwn)
    );
}

#[test]
fn undelivered_entries_are_kept_and_delivered_later_with_the_same_ids() {
    let service = service();
    service.delivery().set(Peers::Down);
    register(&service, "alice", PASSWORD);
    let kept = outbox_keys(service.store());
    assert_eq!(kept.len(), 2);
    let first_ids = service.delivery().attempted_ids();
    assert_eq!(first_ids.len(), 2);

    service.delivery().set(Peers::Up);
    service.delivery().forget();
    // Still within the window in which its own request was trying: left alone.
    service.clock().advance(1);
    register(&service, "bob", PASSWORD);
    assert_eq!(outbox_keys(service.store()), kept);

    service.clock().advance(10);
    register(&service, "carol", PASSWORD);
    assert!(outbox_keys(service.store()).is_empty());
    let delivered = service.delivery().delivered_ids();
    for id in &first_ids {
        assert_eq!(
            delivered.iter().filter(|d| *d == id).count(),
            1,
            "{id} once"
        );
    }
}

#[test]
fn failed_retries_do_not_multiply_entries() {
    let service = service();
    service.delivery().set(Peers::Down);
    register(&service, "alice", PASSWORD);
    for _ in 0..5 {
        service.clock().advance(60);
        assert!(service.me(&uuid::Uuid::new_v4().to_string()).is_err());
    }
    assert_eq!(outbox_keys(service.store()).len(), 2);
    let ids = service.delivery().attempted_ids();
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(
        distinct.len(),
        2,
        "the same two deliveries, retried: {ids:?}"
    );
    assert!(ids.len() > 2);
}

#[test]
fn permanently_rejected_deliveries_are_dropped() {
    let service = service();
    service.delivery().set(Peers::Rejecting);
    register(&service, "alice", PASSWORD);
    assert!(outbox_keys(service.store()).is_empty());
    assert!(service.delivery().delivered().is_empty());
}

#[test]
fn a_failed_sweep_backs_off_before_trying_old_entries_again() {
    let service = service();
    service.delivery().set(Peers::Down);
    register(&service, "alice", PASSWORD);
    service.clock().advance(10);
    service.delivery().forget();
    let probe = || service.me(&uuid::Uuid::new_v4().to_string()).unwrap_err();

    probe();
    assert_eq!(service.delivery().attempts().len(), 2, "swept once");
    probe();
    service.clock().advance(5);
    probe();
    assert_eq!(service.delivery().attempts().len(), 2, "backing off");
    service.clock().advance(6);
    probe();
    assert_eq!(service.delivery().attempts().len(), 4, "tried again");
    assert!(
        service
            .delivery()
            .attempts()
            .iter()
            .all(|(_, round)| *round == Round::SweepOnly)
    );
}

#[test]
fn a_known_users_failed_login_is_delivered_by_the_next_request() {
    let service = service();
    register(&service, "alice", PASSWORD);
    service.delivery().forget();
    let _ = service.login("alice", OTHER_PASSWORD);
    assert!(
        service.delivery().attempts().is_empty(),
        "not by its own request"
    );
    assert_eq!(outbox_keys(service.store()).len(), 1);

    let _ = service.me(&uuid::Uuid::new_v4().to_string());
    assert_eq!(service.delivery().delivered_actions(), ["login_failed"]);
    assert!(outbox_keys(service.store()).is_empty());
}

#[test]
fn flush_delivers_pending_entries_whatever_their_age() {
    let service = service();
    service.delivery().set(Peers::Down);
    register(&service, "alice", PASSWORD);
    register(&service, "bob", PASSWORD);
    let report = service.flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (0, 4));

    service.delivery().set(Peers::Up);
    let report = service.flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (4, 0));
    assert!(outbox_keys(service.store()).is_empty());
    assert_eq!(service.flush_outbox().unwrap().delivered, 0);
}

#[test]
fn gaps_left_by_lost_reservations_do_not_block_later_entries() {
    let service = service();
    // Reservations whose entries are never written: unknown-user failures
    // (on purpose) and a registration whose write failed.
    for _ in 0..3 {
        let _ = service.login("nobody", OTHER_PASSWORD);
    }
    service.delivery().set(Peers::Down);
    register(&service, "alice", PASSWORD);
    assert_eq!(outbox_keys(service.store()).len(), 2);

    service.delivery().set(Peers::Up);
    service.clock().advance(10);
    let _ = service.me(&uuid::Uuid::new_v4().to_string());
    assert!(outbox_keys(service.store()).is_empty());
    assert_eq!(service.delivery().delivered_actions(), ["register"]);
}

#[test]
fn the_low_water_mark_catches_up_once_gaps_are_old() {
    let service = service();
    for name in ["alice", "bob", "carol"] {
        register(&service, name, PASSWORD);
        let _ = service.login("nobody", OTHER_PASSWORD);
    }
    let mark = |service: &TestService| -> u64 {
        let bytes = service.store().get("outbox:low").unwrap().unwrap();
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["next"]
            .as_u64()
            .unwrap()
    };
    let seq = service.store().counter("outbox:seq").unwrap() as u64;
    assert_eq!(seq, 9);
    assert!(mark(&service) <= seq);
    // Past the grace period twice over: every number reserved so far is
    // known to be settled or abandoned.
    for _ in 0..2 {
        service.clock().advance(31);
        let _ = service.me(&uuid::Uuid::new_v4().to_string());
    }
    assert_eq!(mark(&service), seq + 1);
    // With nothing pending, a request only reads.
    let writes = service.store().writes();
    let _ = service.me(&uuid::Uuid::new_v4().to_string());
    assert_eq!(service.store().writes(), writes);
}

#[test]
fn writes_per_endpoint() {
    let service = service();
    // The first outbox round ever sets the checkpoint; count from after it.
    register(&service, "warmup", PASSWORD);
    // Each operation starts from an empty outbox: sweeping someone else's
    // entry costs one delete more, whoever sweeps it.
    let count = |operation: &dyn Fn()| {
        service.flush_outbox().unwrap();
        let before = service.store().writes();
        operation();
        service.store().writes() - before
    };
    // Reserve, claim, user with entries, delete the delivered entries.
    assert_eq!(
        count(&|| drop(register(&service, "alice", PASSWORD))),
        4,
        "register"
    );
    // Count, reserve, mark with entry (the entry waits for a later sweep).
    assert_eq!(
        count(&|| drop(service.login("alice", OTHER_PASSWORD))),
        3,
        "failed login"
    );
    assert_eq!(
        count(&|| drop(service.login("nobody", OTHER_PASSWORD))),
        3,
        "unknown user"
    );
    // Reserve, token with entries and reset, delete.
    assert_eq!(
        count(&|| drop(service.login("alice", PASSWORD))),
        3,
        "login"
    );
    let token = service.login("alice", PASSWORD).unwrap().token;
    assert_eq!(count(&|| drop(service.me(&token))), 0, "me");
    // Reserve, revoked token with entry, delete.
    assert_eq!(count(&|| service.logout(&token).unwrap()), 3, "logout");
    for _ in 0..5 {
        let _ = service.login("alice", OTHER_PASSWORD);
    }
    assert_eq!(
        count(&|| drop(service.login("alice", PASSWORD))),
        0,
        "throttled"
    );
}

#[test]
fn deliveries_carry_what_the_receivers_need() {
    let service = service();
    let profile = register(&service, "alice", PASSWORD);
    for delivery in service.delivery().delivered() {
        match delivery {
            Delivery::Event {
                event_id,
                user_id,
                action,
                timestamp,
                ..
            } => {
                assert!(uuid::Uuid::parse_str(&event_id).is_ok());
                assert_eq!(user_id, profile.user_id);
                assert_eq!(action, "register");
                assert_eq!(timestamp, profile.created_at);
            }
            Delivery::Notification {
                idempotency_key,
                user_id,
                message,
                ..
            } => {
                assert!(uuid::Uuid::parse_str(&idempotency_key).is_ok());
                assert_eq!(user_id, profile.user_id);
                assert!(message.contains("alice"));
                assert!(!message.contains(PASSWORD));
            }
        }
    }
}
