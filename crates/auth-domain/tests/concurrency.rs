//! Many threads at once against both counter encodings: one name yields one
//! user, and failures are counted exactly.

mod support;

use std::thread;

use auth_domain::{LoginError, RegisterError};
use service_kit::KeyValueStore;
use service_kit::kv::InMemoryStore;
use support::*;

const RACERS: usize = 24;

fn both_backends() -> [(&'static str, InMemoryStore); 2] {
    [
        ("sqlite", InMemoryStore::sqlite_like()),
        ("redis", InMemoryStore::redis_like()),
    ]
}

#[test]
fn parallel_registrations_of_one_name_yield_exactly_one_user() {
    for (backend, store) in both_backends() {
        let service = service_on(store);
        let passwords: Vec<String> = (0..RACERS).map(|i| format!("racer-{i}-Zq7!xk2")).collect();
        let results: Vec<_> = thread::scope(|scope| {
            let handles: Vec<_> = passwords
                .iter()
                .enumerate()
                .map(|(i, password)| {
                    let service = &service;
                    // Spellings differ; the name is one.
                    let name = if i % 2 == 0 { "Racer" } else { "racer" };
                    scope.spawn(move || service.register(registration(name, password)))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });

        let winners: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_ok())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(winners.len(), 1, "{backend}: {results:?}");
        let losers = results
            .iter()
            .filter(|r| matches!(r, Err(RegisterError::UsernameTaken)))
            .count();
        assert_eq!(losers, RACERS - 1, "{backend}");

        let winner = winners[0];
        let user_id = &results[winner].as_ref().unwrap().user_id;
        for (i, password) in passwords.iter().enumerate() {
            let login = service.login("racer", password);
            if i == winner {
                assert_eq!(
                    &login.expect("the winner's password works").user_id,
                    user_id,
                    "{backend}"
                );
            } else {
                assert!(
                    matches!(login, Err(LoginError::InvalidCredentials)),
                    "{backend}: racer {i}"
                );
            }
            if i % 4 == 3 {
                // Keep the throttle out of this test's way.
                service.login("racer", &passwords[winner]).unwrap();
            }
        }
        let registered = service
            .delivery()
            .delivered_actions()
            .iter()
            .filter(|a| *a == "register")
            .count();
        assert_eq!(registered, 1, "{backend}: one register event");
    }
}

#[test]
fn parallel_failed_logins_are_counted_exactly() {
    for (backend, store) in both_backends() {
        let service = service_on(store);
        register(&service, "alice", PASSWORD);
        let results: Vec<_> = thread::scope(|scope| {
            let handles: Vec<_> = (0..20)
                .map(|_| {
                    let service = &service;
                    scope.spawn(move || service.login("alice", OTHER_PASSWORD))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let failed = results
            .iter()
            .filter(|r| matches!(r, Err(LoginError::InvalidCredentials)))
            .count();
        let throttled = results
            .iter()
            .filter(|r| matches!(r, Err(LoginError::TooManyAttempts { .. })))
            .count();
        assert_eq!(failed + throttled, results.len(), "{backend}: {results:?}");
        assert!(
            failed >= 5,
            "{backend}: at least five attempts were checked before any lock"
        );
        // Every attempt that failed was counted; none was lost to a race.
        let counted = service.store().counter("login:failures:alice").unwrap();
        assert_eq!(counted, failed as i64, "{backend}");
        service.flush_outbox().unwrap();
        // Sweeps racing each other may deliver an entry twice (receivers
        // deduplicate on its id); what matters is one id per failure.
        let event_ids: std::collections::HashSet<String> = service
            .delivery()
            .delivered()
            .iter()
            .filter(|d| matches!(d, auth_domain::Delivery::Event { action, .. } if action == "login_failed"))
            .map(|d| d.id().to_owned())
            .collect();
        assert_eq!(
            event_ids.len(),
            failed,
            "{backend}: one login_failed per failure"
        );
        assert!(
            matches!(
                service.login("alice", PASSWORD),
                Err(LoginError::TooManyAttempts { .. })
            ),
            "{backend}"
        );
    }
}

#[test]
fn parallel_logins_of_one_user_all_get_distinct_working_tokens() {
    for (backend, store) in both_backends() {
        let service = service_on(store);
        register(&service, "alice", PASSWORD);
        let tokens: Vec<String> = thread::scope(|scope| {
            let handles: Vec<_> = (0..12)
                .map(|_| {
                    let service = &service;
                    scope.spawn(move || service.login("alice", PASSWORD).unwrap().token)
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let distinct: std::collections::HashSet<_> = tokens.iter().collect();
        assert_eq!(distinct.len(), 12, "{backend}");
        assert!(
            tokens.iter().all(|token| service.me(token).is_ok()),
            "{backend}"
        );
        let stored = service
            .store()
            .keys()
            .iter()
            .filter(|k| k.starts_with("token:"))
            .count();
        assert_eq!(stored, 12, "{backend}");
    }
}
