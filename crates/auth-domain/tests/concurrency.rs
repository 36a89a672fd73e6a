//! Many threads at once against both counter encodings: one name yields one
//! user, and failures are counted exactly.

mod support;

use std::time::Duration;

use auth_domain::{LoginError, RegisterError};
use domain_core::kv::{InMemoryStore, Op};
use domain_core::{KeyValueStore, StoreError, race};
use support::interleave::{Interleaved, Moment};
use support::*;

const RACERS: usize = 24;

fn both_backends() -> [(&'static str, InMemoryStore); 2] {
    [
        ("sqlite", InMemoryStore::sqlite_like().interleaved()),
        ("redis", InMemoryStore::redis_like().interleaved()),
    ]
}

/// How many of `results` were refused as wrong passwords, and how many as
/// over the allowance.
fn failed_and_throttled<T>(results: &[Result<T, LoginError>]) -> (usize, usize) {
    let count = |refusal: fn(&LoginError) -> bool| {
        results
            .iter()
            .filter(|r| r.as_ref().is_err_and(refusal))
            .count()
    };
    (
        count(|e| matches!(e, LoginError::InvalidCredentials)),
        count(|e| matches!(e, LoginError::TooManyAttempts { .. })),
    )
}

#[test]
fn parallel_registrations_of_one_name_yield_exactly_one_user() {
    for (backend, store) in both_backends() {
        let service = service_on(store);
        let passwords: Vec<String> = (0..RACERS).map(|i| format!("racer-{i}-Zq7!xk2")).collect();
        let results = race(RACERS, |i| {
            // Spellings differ; the name is one.
            let name = if i % 2 == 0 { "Racer" } else { "racer" };
            service.register(registration(name, &passwords[i]))
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
        assert_eq!(
            service.delivery.delivered_count("register"),
            1,
            "{backend}: one register event"
        );
    }
}

#[test]
fn parallel_failed_logins_check_exactly_five_passwords() {
    for (backend, store) in both_backends() {
        let service = service_on(store);
        register(&service, "alice", PASSWORD);
        let verifications = || service.hasher.verifications();
        let before = verifications();
        let results = race(40, |_| service.login("alice", OTHER_PASSWORD));
        let (failed, throttled) = failed_and_throttled(&results);
        assert_eq!((failed, throttled), (5, 35), "{backend}: {results:?}");
        assert_eq!(verifications() - before, 5, "{backend}");
        let event_ids: std::collections::HashSet<String> = service
            .delivery
            .delivered()
            .iter()
            .filter(|d| matches!(d, auth_domain::SideEffect::Event { action, .. } if action == "login_failed"))
            .map(|d| d.id().to_owned())
            .collect();
        assert_eq!(event_ids.len(), 5, "{backend}: one login_failed per check");
        assert!(
            matches!(
                service.login("alice", PASSWORD),
                Err(LoginError::TooManyAttempts { .. })
            ),
            "{backend}: the right password after the allowance"
        );
        assert_eq!(verifications() - before, 5, "{backend}");
    }
}

#[test]
fn parallel_failed_logins_on_instances_straddling_a_bucket_boundary_check_at_most_five() {
    for (backend, store) in both_backends() {
        let ahead = service_on(store);
        register(&ahead, "alice", PASSWORD);
        // One instance's clock 1 ms into the bucket START_MS begins, the
        // other's 1 ms before it.
        ahead.clock.advance(Duration::from_millis(1));
        let behind = ahead.other_instance(-2);
        let before = ahead.hasher.verifications();
        let results = race(RACERS, |i| {
            let instance = if i % 2 == 0 { &ahead } else { &behind };
            instance.login("alice", OTHER_PASSWORD)
        });
        let checked = ahead.hasher.verifications() - before;
        assert!(checked <= 5, "{backend}: {checked} checks: {results:?}");
        let (failed, throttled) = failed_and_throttled(&results);
        assert_eq!(
            (failed, throttled),
            (checked, RACERS - checked),
            "{backend}"
        );
    }
}

/// The shared store, holding every login's success write until all
/// `racers` have claimed their check: none of them can see a success
/// before it claims.
struct SuccessesAfterAllClaims {
    shared: std::sync::Arc<InMemoryStore>,
    racers: usize,
    claimed: std::sync::Mutex<usize>,
    all_claimed: std::sync::Condvar,
}

impl SuccessesAfterAllClaims {
    fn over(shared: &std::sync::Arc<InMemoryStore>, racers: usize) -> Self {
        Self {
            shared: std::sync::Arc::clone(shared),
            racers,
            claimed: std::sync::Mutex::new(0),
            all_claimed: std::sync::Condvar::new(),
        }
    }
}

impl KeyValueStore for SuccessesAfterAllClaims {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.shared.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.shared.get_many(keys)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.shared.set(key, value)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        if entries.iter().any(|(key, _)| key.starts_with("token:")) {
            let claimed = self.claimed.lock().unwrap();
            let (claimed, _) = self
                .all_claimed
                .wait_timeout_while(claimed, Duration::from_secs(10), |claimed| {
                    *claimed < self.racers
                })
                .unwrap();
            assert_eq!(*claimed, self.racers, "every racer claimed");
        }
        self.shared.set_many(entries)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.shared.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        let value = self.shared.increment(key, delta)?;
        if key.starts_with("login:claims:") && delta == 1 {
            *self.claimed.lock().unwrap() += 1;
            self.all_claimed.notify_all();
        }
        Ok(value)
    }
}

/// Tokens, each distinct, working and stored once.
fn tokens_issued<T>(
    service: &Harness,
    backend: &str,
    results: &[Result<auth_domain::IssuedToken, T>],
) -> Vec<String> {
    let tokens: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|issued| issued.token.clone()))
        .collect();
    let distinct: std::collections::HashSet<_> = tokens.iter().collect();
    assert_eq!(distinct.len(), tokens.len(), "{backend}");
    assert!(
        tokens.iter().all(|token| service.me(token).is_ok()),
        "{backend}"
    );
    let stored = service
        .store
        .keys()
        .iter()
        .filter(|k| k.starts_with("token:"))
        .count();
    assert_eq!(stored, tokens.len(), "{backend}");
    tokens
}

/// Whether `result` is a refusal that asks to try again in a second: the
/// others' checks were still running, and none of them failed.
fn told_to_retry_at_once<T>(result: &Result<T, LoginError>) -> bool {
    matches!(
        result,
        Err(LoginError::TooManyAttempts {
            retry_after_seconds: 1
        })
    )
}

/// Logins that all claim before any of them succeeds: exactly the
/// allowance checks its password and gets a token; the others are told to
/// ask again in a second, not locked out.
#[test]
fn parallel_logins_of_one_user_get_distinct_working_tokens_up_to_the_allowance() {
    const LOGINS: usize = 12;
    for (backend, store) in both_backends() {
        let harness = service_on(store);
        register(&harness, "alice", PASSWORD);
        let checks_before = harness.hasher.verifications();
        let held = SuccessesAfterAllClaims::over(&harness.store, LOGINS);
        let results = race(LOGINS, |_| {
            let instance = harness.instance_over(&held, harness.clock.clone());
            let (result, after) = instance.login("alice", PASSWORD);
            instance.settle(after);
            result
        });
        let tokens = tokens_issued(&harness, backend, &results);
        assert_eq!(tokens.len(), 5, "{backend}: {results:?}");
        assert_eq!(
            harness.hasher.verifications() - checks_before,
            5,
            "{backend}"
        );
        let refused = results.iter().filter(|r| told_to_retry_at_once(r)).count();
        assert_eq!(refused, LOGINS - 5, "{backend}: {results:?}");
    }
}

/// Logins at once whose successes may land while others claim: each
/// success forgives the claims before it, so at least the allowance gets
/// in, every password checked is a token, and the rest are told to ask
/// again in a second.
#[test]
fn parallel_logins_of_one_user_get_at_least_the_allowance_and_check_only_what_they_issue() {
    for (backend, store) in both_backends() {
        let service = service_on(store);
        register(&service, "alice", PASSWORD);
        let checks_before = service.hasher.verifications();
        let results = race(12, |_| service.login("alice", PASSWORD));
        let tokens = tokens_issued(&service, backend, &results);
        assert!(tokens.len() >= 5, "{backend}: {results:?}");
        assert_eq!(
            service.hasher.verifications() - checks_before,
            tokens.len(),
            "{backend}"
        );
        assert!(
            results
                .iter()
                .all(|r| r.is_ok() || told_to_retry_at_once(r)),
            "{backend}: {results:?}"
        );
    }
}

/// A refused attempt gives its number back; when a later attempt claimed
/// meanwhile and succeeded, the counter hands that success's number out
/// again. Checked, it would be forgiven by the success's reset: a sixth
/// wrong password checked after the last success.
#[test]
fn a_number_given_back_under_a_success_is_not_a_free_check() {
    let harness = service();
    register(&harness, "alice", PASSWORD);
    for _ in 0..4 {
        fail_login(&harness, "alice");
    }
    let store = Interleaved::over(&harness.store);
    // Right after the wrong attempt reads the throttle, the owner signs in
    // (claim 5); right before it gives back its refused claim (6), the
    // owner signs in again (claim 7).
    store.at(
        Moment::After,
        |call| call.op == Op::GetMany && call.keys.contains("login:claims:alice:"),
        || assert!(harness.login("alice", PASSWORD).is_ok()),
    );
    store.at(
        Moment::Before,
        |call| {
            call.op == Op::Increment
                && call.keys.starts_with("login:claims:alice:")
                && call.delta == -1
        },
        || assert!(harness.login("alice", PASSWORD).is_ok()),
    );
    let wrong = harness.instance_over(&store, harness.clock.clone());
    let (refused, after) = wrong.login("alice", OTHER_PASSWORD);
    wrong.settle(after);
    assert!(
        matches!(refused, Err(LoginError::TooManyAttempts { .. })),
        "{refused:?}"
    );
    assert!(store.all_ran(), "the interleaving happened");

    let checks_before = harness.hasher.verifications();
    let mut checked = 0;
    for _ in 0..10 {
        match harness.login("alice", OTHER_PASSWORD) {
            Err(LoginError::InvalidCredentials) => checked += 1,
            Err(LoginError::TooManyAttempts { .. }) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(checked, 5, "wrong passwords checked after the last success");
    assert_eq!(harness.hasher.verifications() - checks_before, 5);
}

/// Two successes at once: the first to claim may write its reset last,
/// under the other's higher number. The owner still has five attempts
/// after the later success, not four.
#[test]
fn two_successes_whose_writes_cross_leave_five_attempts() {
    let harness = service();
    register(&harness, "alice", PASSWORD);
    let store = Interleaved::over(&harness.store);
    // The slow login claims first (1); the other claims (2) and writes its
    // reset before the slow one writes its own.
    store.at(
        Moment::Before,
        |call| call.op == Op::SetMany && call.keys.contains("login:reset:alice:"),
        || assert!(harness.login("alice", PASSWORD).is_ok()),
    );
    let slow = harness.instance_over(&store, harness.clock.clone());
    let (signed_in, after) = slow.login("alice", PASSWORD);
    slow.settle(after);
    assert!(signed_in.is_ok(), "{signed_in:?}");
    assert!(store.all_ran(), "the interleaving happened");

    harness.move_to(10_000);
    for _ in 0..4 {
        fail_login(&harness, "alice");
    }
    harness.move_to(20_000);
    let fifth = harness.login("alice", PASSWORD);
    assert!(
        fifth.is_ok(),
        "four failures since the last success: {fifth:?}"
    );
}
