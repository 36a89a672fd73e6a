//! Login: failures look alike, throttling windows, side effects.

mod support;

use auth_domain::{LoginError, SideEffect};
use domain_core::kv::Op;
use support::*;

fn throttled(result: Result<auth_domain::IssuedToken, LoginError>) -> Option<u64> {
    match result {
        Err(LoginError::TooManyAttempts {
            retry_after_seconds,
        }) => Some(retry_after_seconds),
        _ => None,
    }
}

#[test]
fn unknown_user_and_wrong_password_fail_alike() {
    let service = service();
    register(&service, "alice", PASSWORD);
    // Warm the outbox's checkpoint so both attempts start from the same state.
    service.login("alice", PASSWORD).unwrap();
    // And both names have been tried in this throttle bucket (the first
    // attempt of a bucket registers its keys for expiry: one write more,
    // for any name).
    fail_login(&service, "nobody");
    service.delivery.forget();

    let measure = |username: &str| {
        // Both start from an empty outbox: what a sweep finds depends on
        // earlier requests, not on the user.
        service.flush_outbox().unwrap();
        let writes = service.store.writes();
        let verifications = service.hasher.verifications();
        let result = service.login(username, OTHER_PASSWORD);
        (
            format!("{result:?}"),
            service.store.writes() - writes,
            service.hasher.verifications() - verifications,
        )
    };
    let wrong_password = measure("alice");
    let unknown_user = measure("nobody");
    assert_eq!(wrong_password.0, "Err(InvalidCredentials)");
    assert_eq!(
        wrong_password, unknown_user,
        "outcome, store writes, hash verifications"
    );
    assert_eq!(wrong_password.2, 1, "one argon2 verification each");
    // Each delivered its own login_failed event, and nothing else.
    let attempts = service.delivery.attempts();
    let actions: Vec<(String, auth_domain::Round)> = attempts
        .iter()
        .map(|(delivery, round)| match delivery {
            auth_domain::SideEffect::Event { action, .. } => (action.clone(), *round),
            other => (format!("{other:?}"), *round),
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("login_failed".to_owned(), auth_domain::Round::WithOwn),
            ("login_failed".to_owned(), auth_domain::Round::WithOwn)
        ]
    );
}

#[test]
fn five_failures_throttle_even_the_right_password() {
    let service = service();
    register(&service, "alice", PASSWORD);
    register(&service, "bob", PASSWORD);
    for attempt in 1..=5 {
        assert!(
            matches!(
                service.login("alice", OTHER_PASSWORD),
                Err(LoginError::InvalidCredentials)
            ),
            "attempt {attempt}"
        );
        service.clock.advance_seconds(10);
    }
    // The last failure was 10 s ago.
    assert_eq!(throttled(service.login("alice", PASSWORD)), Some(890));
    assert_eq!(throttled(service.login("ALICE", OTHER_PASSWORD)), Some(890));
    assert!(service.login("bob", PASSWORD).is_ok(), "per username");

    service.clock.advance_seconds(889);
    assert_eq!(throttled(service.login("alice", PASSWORD)), Some(1));
    service.clock.advance_seconds(1);
    assert!(service.login("alice", PASSWORD).is_ok());
}

#[test]
fn throttled_attempts_do_not_extend_the_lock_or_verify() {
    let service = service();
    register(&service, "alice", PASSWORD);
    for _ in 0..5 {
        fail_login(&service, "alice");
    }
    let verifications = service.hasher.verifications();
    for minutes in 1..=10 {
        service.clock.advance_seconds(60);
        assert_eq!(
            throttled(service.login("alice", OTHER_PASSWORD)),
            Some(900 - 60 * minutes)
        );
    }
    assert_eq!(service.hasher.verifications(), verifications);
    service.clock.advance_seconds(300);
    assert!(
        service.login("alice", PASSWORD).is_ok(),
        "15 minutes after the last failure"
    );
}

#[test]
fn a_success_resets_the_count() {
    let service = service();
    register(&service, "alice", PASSWORD);
    for round in 0..3 {
        for attempt in 1..=4 {
            assert!(
                matches!(
                    service.login("alice", OTHER_PASSWORD),
                    Err(LoginError::InvalidCredentials)
                ),
                "round {round} attempt {attempt}"
            );
        }
        assert!(service.login("alice", PASSWORD).is_ok(), "round {round}");
    }
}

#[test]
fn failures_spread_over_more_than_fifteen_minutes_do_not_throttle() {
    let service = service();
    register(&service, "alice", PASSWORD);
    for _ in 0..5 {
        fail_login(&service, "alice");
        service.clock.advance_seconds(240);
    }
    // Five failures over 16 minutes.
    assert!(service.login("alice", PASSWORD).is_ok());
}

/// Four failures in the last two seconds of the bucket START_MS begins,
/// at 898.0, 898.5, 899.0 and 899.5 s, and a fifth at `fifth_ms`.
fn four_late_failures_then_a_fifth(service: &Harness, fifth_ms: i64) {
    for ms in [898_000, 898_500, 899_000, 899_500] {
        service.move_to(ms);
        fail_login(service, "alice");
    }
    service.move_to(fifth_ms);
    fail_login(service, "alice");
}

#[test]
fn a_lock_whose_first_failure_is_two_buckets_back_holds_until_fifteen_minutes_after_the_last() {
    let service = service();
    register(&service, "alice", PASSWORD);
    // Five failures within 15 minutes (the first and the last 899 s
    // apart), the last near the end of the next bucket.
    four_late_failures_then_a_fifth(&service, 1_797_000);
    let verifications = service.hasher.verifications();
    service.move_to(1_799_000);
    assert_eq!(throttled(service.login("alice", PASSWORD)), Some(898));
    // 3 s after the last failure, in the bucket after it: the first four
    // are two buckets back.
    service.move_to(1_800_000);
    assert_eq!(throttled(service.login("alice", PASSWORD)), Some(897));
    assert_eq!(throttled(service.login("alice", OTHER_PASSWORD)), Some(897));
    service.move_to(2_696_500);
    assert_eq!(throttled(service.login("alice", PASSWORD)), Some(1));
    assert_eq!(service.hasher.verifications(), verifications);
    service.move_to(2_697_000);
    assert!(
        service.login("alice", PASSWORD).is_ok(),
        "15 minutes after the last failure"
    );
}

#[test]
fn a_success_between_failures_two_buckets_apart_resets_the_count() {
    // After the four failures in their own bucket, or in the next bucket
    // before the fifth.
    for success_ms in [899_800, 1_000_000] {
        let service = service();
        register(&service, "alice", PASSWORD);
        for ms in [898_000, 898_500, 899_000, 899_500] {
            service.move_to(ms);
            fail_login(&service, "alice");
        }
        service.move_to(success_ms);
        assert!(service.login("alice", PASSWORD).is_ok());
        service.move_to(1_797_000);
        fail_login(&service, "alice");
        service.move_to(1_800_000);
        assert!(
            matches!(
                service.login("alice", OTHER_PASSWORD),
                Err(LoginError::InvalidCredentials)
            ),
            "success at {success_ms} ms"
        );
        assert!(service.login("alice", PASSWORD).is_ok());
    }
}

#[test]
fn failures_spread_over_more_than_fifteen_minutes_across_three_buckets_do_not_throttle() {
    let service = service();
    register(&service, "alice", PASSWORD);
    // The first and the last 900.5 s apart.
    four_late_failures_then_a_fifth(&service, 1_798_500);
    service.move_to(1_800_000);
    assert!(service.login("alice", PASSWORD).is_ok());
}

#[test]
fn a_login_reads_two_buckets_and_the_one_before_only_after_recent_failures() {
    let service = service();
    register(&service, "alice", PASSWORD);
    let bucket = START_MS / 900_000;
    let keys_of = |name: &str, b: i64| {
        let mut keys = vec![
            format!("login:claims:{name}:{b}"),
            format!("login:reset:{name}:{b}"),
        ];
        keys.extend((0..5).map(|slot| format!("login:mark:{name}:{b}:{slot}")));
        keys
    };
    let first_read = |name: &str| {
        let mut keys = vec![format!("user:{name}")];
        keys.extend(keys_of(name, bucket - 1));
        keys.extend(keys_of(name, bucket));
        keys
    };

    service.store.take_calls();
    service.login("alice", PASSWORD).unwrap();
    let calls = service.store.take_calls();
    assert_eq!(calls[0].op, Op::GetMany, "{calls:?}");
    assert_eq!(calls[0].keys, first_read("alice"));
    // Then the claim: no other read before it.
    assert_eq!(calls[1].op, Op::Increment);
    assert_eq!(calls[1].keys, [format!("login:claims:alice:{bucket}")]);

    // After a failure and no success since, a lock could begin two buckets
    // back: that bucket is read too.
    register(&service, "bob", PASSWORD);
    fail_login(&service, "bob");
    service.store.take_calls();
    service.login("bob", PASSWORD).unwrap();
    let calls = service.store.take_calls();
    assert_eq!(calls[0].keys, first_read("bob"));
    assert_eq!(calls[1].op, Op::GetMany, "{calls:?}");
    assert_eq!(calls[1].keys, keys_of("bob", bucket - 2));
    assert_eq!(calls[2].op, Op::Increment);
}

#[test]
fn unknown_users_are_throttled_like_known_ones() {
    let service = service();
    for _ in 0..5 {
        assert!(matches!(
            service.login("nobody", OTHER_PASSWORD),
            Err(LoginError::InvalidCredentials)
        ));
    }
    assert_eq!(
        throttled(service.login("nobody", OTHER_PASSWORD)),
        Some(900)
    );
}

#[test]
fn names_no_user_can_have_are_failed_attempts_without_a_throttle() {
    let service = service();
    let long = "a".repeat(5000);
    for name in ["x", "No Spaces", &long] {
        assert!(matches!(
            service.login(name, PASSWORD),
            Err(LoginError::InvalidCredentials)
        ));
        // Its event staged and written; nothing read, no throttle key.
        let ops: Vec<Op> = service.store.take_calls().iter().map(|c| c.op).collect();
        assert_eq!(ops[..2], [Op::Increment, Op::SetMany], "{name:.10}");
        assert!(!ops.contains(&Op::Get) && !ops.contains(&Op::GetMany));
    }
    assert_eq!(service.hasher.verifications(), 3, "still one hash each");
    assert!(keys_starting(&service.store, "login:").is_empty());
    let failures: Vec<(String, serde_json::Value)> = service
        .delivery
        .delivered()
        .into_iter()
        .filter_map(|effect| match effect {
            SideEffect::Event {
                action,
                user_id,
                metadata,
                ..
            } if action == "login_failed" => Some((user_id, metadata)),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 3, "one login_failed each");
    for (user_id, _) in &failures {
        assert!(user_id.starts_with("anon-"), "{user_id}");
    }
    assert_eq!(failures[1].1["username"], "no spaces");
    assert_eq!(
        failures[2].1["username"]
            .as_str()
            .map(|name| name.chars().count()),
        Some(64),
        "cut short"
    );
}

#[test]
fn login_outcomes_become_events_and_an_alert() {
    let service = service();
    register(&service, "alice", PASSWORD);
    fail_login(&service, "alice");
    fail_login(&service, "nobody");
    service.login("alice", PASSWORD).unwrap();
    let actions = service.delivery.delivered_actions();
    assert_eq!(
        actions.iter().filter(|a| *a == "login_failed").count(),
        2,
        "known and unknown names alike: {actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "login").count(),
        1,
        "{actions:?}"
    );
    let alerts = service
        .delivery
        .delivered()
        .into_iter()
        .filter(|d| matches!(d, auth_domain::SideEffect::Notification { subject, .. } if subject == "New sign-in"))
        .count();
    assert_eq!(alerts, 1);
}
