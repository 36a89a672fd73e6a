//! What a hostile or unlucky caller can do: bursts against the throttle,
//! telling names apart, growing the store, racing logouts, and store
//! failures at exact keys.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use auth_domain::keyed_ids::pseudonymous_user_id;
use auth_domain::{LoginError, OutboxSettings, Settings, SideEffect, TokenError};
use domain_core::kv::{InMemoryStore, Op};
use domain_core::{Clock, KeyValueStore, ManualClock, race};
use support::interleave::{Interleaved, Moment};
use support::*;

fn failed_events(service: &Harness) -> Vec<(String, String)> {
    service
        .delivery
        .delivered()
        .into_iter()
        .filter_map(|delivery| match delivery {
            SideEffect::Event {
                user_id,
                action,
                event_id,
                ..
            } if action == "login_failed" => Some((user_id, event_id)),
            _ => None,
        })
        .collect()
}

/// Bursts one after the other, either side of a boundary: the lock carries
/// the first burst's failures into the next bucket. Bursts that race
/// across a boundary are in concurrency.rs.
#[test]
fn bursts_either_side_of_a_boundary_check_five_passwords_between_them() {
    let service = service_on(InMemoryStore::sqlite_like().interleaved());
    register(&service, "alice", PASSWORD);
    // 14 min 59 s into a bucket (START_MS starts one).
    service.clock.advance_seconds(899);
    let before = service.hasher.verifications();
    let burst = |service: &Harness| race(20, |_| service.login("alice", OTHER_PASSWORD));
    burst(&service);
    service.clock.advance_seconds(2);
    burst(&service);
    assert_eq!(service.hasher.verifications() - before, 5);
}

#[test]
fn instances_whose_clocks_straddle_a_bucket_boundary_check_five_passwords_between_them() {
    let ahead = service();
    register(&ahead, "alice", PASSWORD);
    // START_MS begins a bucket: one instance reads 1 ms past it, the other
    // 1 ms before, so each claims in a bucket of its own.
    ahead.clock.advance(Duration::from_millis(1));
    let behind = ahead.other_instance(-2);
    let before = ahead.hasher.verifications();
    let results: Vec<_> = (0..5)
        .flat_map(|_| {
            [
                behind.login("alice", OTHER_PASSWORD),
                ahead.login("alice", OTHER_PASSWORD),
            ]
        })
        .collect();
    assert_eq!(ahead.hasher.verifications() - before, 5, "{results:?}");
    let failed = results
        .iter()
        .filter(|r| matches!(r, Err(LoginError::InvalidCredentials)))
        .count();
    assert_eq!(failed, 5, "{results:?}");
    for (side, instance) in [("behind", &behind), ("ahead", &ahead)] {
        let outcome = instance.login("alice", PASSWORD);
        assert!(
            matches!(outcome, Err(LoginError::TooManyAttempts { .. })),
            "{side}: the right password after five failures: {outcome:?}"
        );
    }
    assert_eq!(ahead.hasher.verifications() - before, 5);
}

#[test]
fn claims_still_being_checked_in_the_previous_bucket_count() {
    let service = service();
    register(&service, "alice", PASSWORD);
    // Five claims of the previous bucket whose outcome is not known yet.
    let bucket = START_MS / 900_000;
    service
        .store
        .increment(&format!("login:claims:alice:{bucket}"), 5)
        .unwrap();
    service.clock.advance_seconds(900);
    let before = service.hasher.verifications();
    assert!(matches!(
        service.login("alice", PASSWORD),
        Err(LoginError::TooManyAttempts {
            retry_after_seconds: 1
        })
    ));
    assert_eq!(service.hasher.verifications(), before);
    // Once that bucket is out of view, they no longer count.
    service.clock.advance_seconds(900);
    assert!(service.login("alice", PASSWORD).is_ok());
}

#[test]
fn refusals_do_not_lengthen_the_lock() {
    let service = service();
    register(&service, "alice", PASSWORD);
    for _ in 0..5 {
        fail_login(&service, "alice");
    }
    for minutes in 1..=14 {
        service.clock.advance_seconds(60);
        let outcome = service.login("alice", PASSWORD);
        assert!(
            matches!(
                outcome,
                Err(LoginError::TooManyAttempts { retry_after_seconds })
                    if retry_after_seconds == 900 - 60 * minutes
            ),
            "{outcome:?}"
        );
    }
    service.clock.advance_seconds(60);
    assert!(service.login("alice", PASSWORD).is_ok());
}

#[test]
fn attempts_refused_in_a_burst_give_their_claims_back() {
    let service = service_on(InMemoryStore::sqlite_like().interleaved());
    register(&service, "alice", PASSWORD);
    let before = service.hasher.verifications();
    // Racing past the lock's read, the attempts beyond five are refused by
    // their claim numbers; a claim kept would count as a check still under
    // way and hold the account shut after the lock.
    let results = race(20, |_| service.login("alice", OTHER_PASSWORD));
    assert_eq!(service.hasher.verifications() - before, 5, "{results:?}");
    service.clock.advance_seconds(901);
    assert!(service.login("alice", PASSWORD).is_ok());
}

#[test]
fn unknown_names_fail_with_a_login_failed_event_under_a_pseudonym() {
    let service = service();
    let alice = register(&service, "alice", PASSWORD);
    fail_login(&service, "alice");
    fail_login(&service, "Nobody");
    fail_login(&service, "nobody");
    let events = failed_events(&service);
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].0, alice.user_id);
    let expected = pseudonymous_user_id(&Settings::default().secret_key, "nobody");
    assert_eq!(events[1].0, expected);
    assert_eq!(events[2].0, expected, "one id per name, any spelling");
    assert!(uuid::Uuid::parse_str(&expected).is_err(), "never a real id");
    assert_ne!(events[1].1, events[2].1, "distinct events");
}

#[test]
fn failed_logins_for_ever_new_names_leave_no_lasting_keys() {
    let service = service();
    service.flush_outbox().unwrap();
    let baseline: Vec<String> = service.store.keys();
    for i in 0..50 {
        fail_login(&service, &format!("visitor{i}"));
    }
    assert!(!keys_starting(&service.store, "login:").is_empty());
    // The bucket is read as the oldest of three until 45 minutes after it
    // began, and kept one bucket more; a flush then collects it.
    service.clock.advance_seconds(45 * 60);
    assert_eq!(service.flush_outbox().unwrap().expired_deleted, 0);
    service.clock.advance_seconds(15 * 60);
    let report = service.flush_outbox().unwrap();
    // Each name's bucket lists seven keys, written or not: its claims,
    // its reset and its five failure-mark slots.
    assert_eq!(report.expired_deleted, 50 * 7, "{report:?}");
    assert!(keys_starting(&service.store, "login:").is_empty());
    assert!(keys_starting(&service.store, "expire:entry:").is_empty());
    assert!(keys_starting(&service.store, "expire:count:").is_empty());
    assert!(outbox_keys(&service.store).is_empty());
    let mut lasting: Vec<String> = service
        .store
        .keys()
        .into_iter()
        .filter(|key| !baseline.contains(key))
        .collect();
    lasting.sort();
    // Counters and bookmarks that exist once, whatever the traffic.
    assert!(
        lasting
            .iter()
            .all(|key| ["outbox:seq", "outbox:low", "expire:next"].contains(&key.as_str())),
        "{lasting:?}"
    );
}

/// A login whose write fails after it opened a bucket (its first claim)
/// still has the bucket's keys deleted later: no later claim of the bucket
/// would register them.
#[test]
fn logins_that_fail_on_the_store_after_opening_a_bucket_leave_no_lasting_keys() {
    let service = service();
    register(&service, "alice", PASSWORD);
    service.store.fail_when(|call| call.op == Op::SetMany);
    for password in [PASSWORD, OTHER_PASSWORD] {
        let outcome = service.login("alice", password);
        assert!(
            matches!(outcome, Err(LoginError::Unexpected(_))),
            "{outcome:?}"
        );
        // A bucket later, so that each attempt opens one.
        service.clock.advance_seconds(15 * 60);
    }
    service.store.clear_faults();
    assert!(!keys_starting(&service.store, "login:").is_empty());

    service.clock.advance_seconds(60 * 60);
    service.flush_outbox().unwrap();
    assert_eq!(
        keys_starting(&service.store, "login:"),
        Vec::<String>::new()
    );
}

/// A store that lost a bucket's counter but kept its reset (Redis evicts
/// keys under memory pressure) hands out a number the reset already
/// forgave. That attempt is refused, and the bucket it opened again still
/// has its keys deleted later.
#[test]
fn a_bucket_reopened_under_a_lost_counter_leaves_no_lasting_keys() {
    let service = service();
    register(&service, "alice", PASSWORD);
    let bucket = service.clock.now().unix_millis().div_euclid(BUCKET_MS);
    service
        .store
        .set(&format!("login:reset:alice:{bucket}"), b"1")
        .unwrap();

    let outcome = service.login("alice", PASSWORD);
    assert!(
        matches!(
            outcome,
            Err(LoginError::TooManyAttempts {
                retry_after_seconds: 1
            })
        ),
        "{outcome:?}"
    );
    assert_eq!(
        keys_starting(&service.store, "login:claims:alice:"),
        vec![format!("login:claims:alice:{bucket}")]
    );
    assert_eq!(service.hasher.verifications(), 0, "no password was checked");
    every_throttle_key_collected_later(&service);
}

#[test]
fn a_collector_whose_clock_is_ahead_leaves_the_keys_a_lock_still_needs() {
    let service = service();
    register(&service, "alice", PASSWORD);
    // Five failures, the first and the last 899.999 s apart, the first 2 ms
    // before the end of the bucket START_MS begins: a lock until
    // 2,699.997 s, whose first failure is two buckets back from 1,800 s on.
    service.move_to(899_998);
    fail_login(&service, "alice");
    service.move_to(900_500);
    for _ in 0..3 {
        fail_login(&service, "alice");
    }
    service.move_to(1_799_997);
    fail_login(&service, "alice");
    // 7 ms before it lifts, another instance's clock 10 ms ahead is in the
    // next bucket already and collects what is due.
    service.move_to(2_699_990);
    let ahead = service.other_instance(10);
    ahead.flush_outbox().unwrap();
    assert!(matches!(
        service.login("alice", PASSWORD),
        Err(LoginError::TooManyAttempts {
            retry_after_seconds: 1
        })
    ));
}

#[test]
fn expired_tokens_are_deleted() {
    let service = service();
    register(&service, "alice", PASSWORD);
    let token = service.login("alice", PASSWORD).unwrap().token;
    service.logout(&token).unwrap();
    service.login("alice", PASSWORD).unwrap();
    // Two token records; a logout keeps no key of its own.
    assert_eq!(keys_starting(&service.store, "token:").len(), 2);
    // 30 to 45 minutes after expiry.
    service.clock.advance_seconds(3600 + 46 * 60);
    service.flush_outbox().unwrap();
    assert!(keys_starting(&service.store, "token:").is_empty());
    assert!(keys_starting(&service.store, "login:").is_empty());
}

/// Every name tried opens its own throttle bucket, so one 15-minute bucket
/// may list as many keys to delete as names were tried in it: collecting
/// them keeps to the flush's budget and goes on at the next flush.
#[test]
fn collecting_a_crowded_bucket_keeps_to_the_budget_and_goes_on_next_time() {
    let settings = Settings {
        outbox: OutboxSettings {
            flush_budget_ms: 1_000,
            ..OutboxSettings::default()
        },
        ..Settings::default()
    };
    let service = service_with(InMemoryStore::sqlite_like(), settings);
    for i in 0..640 {
        fail_login(&service, &format!("nobody{i}"));
    }
    service.flush_outbox().unwrap();
    // The bucket's keys are due an hour and a half on; every store call
    // on its registrations then takes 100 ms (200 ms a page of 64).
    service.clock.advance_seconds(90 * 60);
    let clock = service.clock.clone();
    service.store.fail_when(move |call| {
        if call.touches("expire:entry:") {
            clock.advance(Duration::from_millis(100));
        }
        false
    });
    let mut flushes = 0;
    while !keys_starting(&service.store, "login:").is_empty() {
        flushes += 1;
        assert!(flushes <= 5, "collection does not go on");
        let started = service.clock.now().unix_millis();
        service.flush_outbox().unwrap();
        let took = service.clock.now().unix_millis() - started;
        assert!(took <= 1_200, "flush {flushes} took {took} ms of its 1,000");
    }
    assert!(flushes >= 2, "ten pages do not fit in one budget");
    assert!(
        keys_starting(&service.store, "expire:")
            .iter()
            .all(|k| k == "expire:next")
    );
}

const BUCKET_MS: i64 = 15 * 60 * 1000;

/// Names tried in two buckets whose keys fall due two buckets apart: 200
/// in the first (more than three pages of registrations), 10 in the third.
/// Then, at the start of the fifth bucket, a flush that runs out of time
/// on its first page stops inside the first due bucket.
fn crowd_then_stop_inside_the_first_due_bucket(service: &Harness) {
    service.flush_outbox().unwrap();
    for i in 0..200 {
        fail_login(service, &format!("crowd{i}"));
    }
    service.move_to(2 * BUCKET_MS);
    for i in 0..10 {
        fail_login(service, &format!("late{i}"));
    }
    service.move_to(4 * BUCKET_MS);
    let clock = service.clock.clone();
    service.store.fail_when(move |call| {
        if call.touches("expire:entry:") {
            clock.advance(Duration::from_secs(11));
        }
        false
    });
    service.flush_outbox().unwrap();
    service.store.clear_faults();
    assert!(
        !keys_starting(&service.store, "login:claims:crowd").is_empty(),
        "the flush stopped inside the bucket"
    );
}

/// Every throttle key has gone once the flushes of the next hours ran.
fn every_throttle_key_collected_later(service: &Harness) {
    for hour in 2..6 {
        service.move_to(hour * 4 * BUCKET_MS);
        service.flush_outbox().unwrap();
    }
    let left: Vec<String> = keys_starting(&service.store, "login:")
        .into_iter()
        .chain(keys_starting(&service.store, "expire:entry:"))
        .collect();
    assert!(left.is_empty(), "never collected: {left:?}");
}

/// Where collection goes on is one bookmark, written once per flush: a
/// flush that fails writing it leaves nothing uncollected.
#[test]
fn a_flush_that_fails_writing_its_bookmark_leaves_nothing_for_ever() {
    let service = service();
    crowd_then_stop_inside_the_first_due_bucket(&service);
    service.move_to(5 * BUCKET_MS);
    let failed = Arc::new(AtomicBool::new(false));
    let fired = Arc::clone(&failed);
    service.store.fail_when(move |call| {
        let bookmark = call.op.is_write() && call.touches("expire:next");
        fired.fetch_or(bookmark, Ordering::Relaxed);
        bookmark
    });
    let _ = service.flush_outbox();
    service.store.clear_faults();
    assert!(
        failed.load(Ordering::Relaxed),
        "the flush wrote its bookmark"
    );
    every_throttle_key_collected_later(&service);
}

/// Two flushes that overlap (the scheduled relay and an operator's call):
/// the slower one, stopped inside a bucket the faster one finished, must
/// not make the next flush start a later bucket past its first entries.
#[test]
fn overlapping_flushes_leave_nothing_for_ever() {
    let service = service();
    crowd_then_stop_inside_the_first_due_bucket(&service);
    service.move_to(5 * BUCKET_MS);
    let slow_clock = ManualClock::at(service.clock.now());
    let store = Interleaved::over(&service.store);
    // While the slow flush reads its first page, the fast one runs whole;
    // then the slow one is out of time.
    store.at(
        Moment::After,
        |call| call.op == Op::GetMany && call.keys.contains("expire:entry:"),
        || {
            service.flush_outbox().unwrap();
            slow_clock.advance(Duration::from_secs(11));
        },
    );
    let slow = service.instance_over(&store, slow_clock.clone());
    slow.flush_outbox().unwrap();
    assert!(store.all_ran(), "the flushes overlapped");
    every_throttle_key_collected_later(&service);
}

#[test]
fn a_token_outlives_its_throttle_keys_but_not_its_expiry() {
    let service = service();
    register(&service, "alice", PASSWORD);
    let token = service.login("alice", PASSWORD).unwrap().token;
    service.clock.advance_seconds(45 * 60);
    service.flush_outbox().unwrap();
    assert!(service.me(&token).is_ok(), "still valid after 45 minutes");
    // It expires an hour in, in the fourth bucket after the login's; its
    // keys are due two buckets later and collected once that bucket has
    // passed. Two hours in, that is certain.
    service.clock.advance_seconds(75 * 60);
    service.flush_outbox().unwrap();
    assert!(keys_starting(&service.store, "token:").is_empty());
}

/// Whatever minute of its bucket a token was issued in, a flush a second
/// before it expires leaves it valid.
#[test]
fn a_token_is_kept_until_it_expires_whenever_it_was_issued() {
    for minute in [0, 1, 7, 14] {
        let service = service();
        register(&service, "alice", PASSWORD);
        service.move_to(minute * 60 * 1000 + 30 * 1000);
        let issued = service.login("alice", PASSWORD).unwrap();
        service
            .clock
            .advance_seconds(Settings::default().token_lifetime.seconds() - 1);
        service.flush_outbox().unwrap();
        assert!(
            service.me(&issued.token).is_ok(),
            "a token issued {minute} min 30 s into its bucket was deleted before it expired"
        );
    }
}

#[test]
fn concurrent_logouts_of_one_token_count_once() {
    for store in [
        InMemoryStore::sqlite_like().interleaved(),
        InMemoryStore::redis_like().interleaved(),
    ] {
        let service = service_on(store);
        register(&service, "alice", PASSWORD);
        let token = service.login("alice", PASSWORD).unwrap().token;
        let results = race(16, |_| service.logout(&token));
        assert!(
            results
                .iter()
                .all(|r| r.is_ok() || matches!(r, Err(TokenError::Invalid)))
        );
        assert_eq!(service.delivery.counted("logout"), 1);
        assert!(matches!(service.me(&token), Err(TokenError::Invalid)));
    }
}

/// The same, in the one order that matters, every time: both logouts read
/// the token before either revoked it, so both stage the event, and
/// analytics counts it once because both carry one id.
#[test]
fn two_logouts_that_both_found_the_token_valid_count_once() {
    let harness = service();
    register(&harness, "alice", PASSWORD);
    let token = harness.login("alice", PASSWORD).unwrap().token;
    let store = Interleaved::over(&harness.store);
    store.at(
        Moment::After,
        |call| call.op == Op::Get && call.keys.starts_with("token:"),
        || harness.logout(&token).unwrap(),
    );
    let first = harness.instance_over(&store, harness.clock.clone());
    let (result, after) = first.logout(&token);
    first.settle(after);
    assert!(result.is_ok(), "{result:?}");
    assert!(store.all_ran(), "the interleaving happened");

    assert_eq!(
        harness.delivery.delivered_count("logout"),
        2,
        "both staged it"
    );
    assert_eq!(harness.delivery.counted("logout"), 1);
}

#[test]
fn a_failed_outbox_reservation_leaves_the_token_valid_so_the_retry_counts() {
    let service = service();
    register(&service, "alice", PASSWORD);
    let token = service.login("alice", PASSWORD).unwrap().token;
    service.store.fail_when(once(|call| {
        call.op == Op::Increment && call.touches("outbox:seq")
    }));
    assert!(matches!(
        service.logout(&token),
        Err(TokenError::Unexpected(_))
    ));
    assert!(service.me(&token).is_ok(), "not revoked");
    service.logout(&token).unwrap();
    service.flush_outbox().unwrap();
    assert_eq!(service.delivery.counted("logout"), 1);
    assert!(matches!(service.me(&token), Err(TokenError::Invalid)));
}

#[test]
fn a_failed_claim_checks_no_password() {
    let service = service();
    register(&service, "alice", PASSWORD);
    service.store.fail_when(once(|call| {
        call.op == Op::Increment && call.touches("login:claims:alice:")
    }));
    let before = service.hasher.verifications();
    assert!(matches!(
        service.login("alice", PASSWORD),
        Err(LoginError::Unexpected(_))
    ));
    assert_eq!(service.hasher.verifications(), before);
    assert!(service.login("alice", PASSWORD).is_ok());
}

#[test]
fn a_failed_read_after_the_claim_checks_no_password_and_gives_the_claim_back() {
    let service = service();
    register(&service, "alice", PASSWORD);
    let bucket = START_MS / 900_000;
    let neighbours = [
        format!("login:claims:alice:{}", bucket - 1),
        format!("login:claims:alice:{}", bucket + 1),
        format!("login:reset:alice:{bucket}"),
    ];
    service.store.fail_when(once(move |call| {
        call.op == Op::GetMany && call.keys == neighbours
    }));
    let before = service.hasher.verifications();
    assert!(matches!(
        service.login("alice", PASSWORD),
        Err(LoginError::Unexpected(_))
    ));
    assert_eq!(service.hasher.verifications(), before);
    let claims = format!("login:claims:alice:{bucket}");
    assert_eq!(service.store.counter(&claims).unwrap(), 0);
    assert_eq!(
        keys_starting(&service.store, "expire:entry:").len(),
        1,
        "the claim opened the bucket: its keys are still deleted later"
    );
    assert!(service.login("alice", PASSWORD).is_ok());
}

#[test]
fn a_failed_logout_write_leaves_the_token_valid_so_the_retry_counts() {
    let service = service();
    register(&service, "alice", PASSWORD);
    let token = service.login("alice", PASSWORD).unwrap().token;
    service.store.fail_when(once(|call| {
        matches!(call.op, Op::Set | Op::SetMany) && call.touches("token:")
    }));
    assert!(matches!(
        service.logout(&token),
        Err(TokenError::Unexpected(_))
    ));
    assert!(service.me(&token).is_ok(), "not revoked");
    service.logout(&token).unwrap();
    assert_eq!(service.delivery.delivered_count("logout"), 1);
    assert!(matches!(service.me(&token), Err(TokenError::Invalid)));
}

#[test]
fn a_failure_mark_that_cannot_be_written_is_an_error_not_a_free_attempt() {
    let service = service();
    register(&service, "alice", PASSWORD);
    service.store.fail_when(|call| {
        matches!(call.op, Op::Set | Op::SetMany) && call.touches("login:mark:alice:")
    });
    let before = service.hasher.verifications();
    let results: Vec<_> = (0..8)
        .map(|_| service.login("alice", OTHER_PASSWORD))
        .collect();
    // The claims stand though their marks are missing: still five checks.
    assert_eq!(service.hasher.verifications() - before, 5, "{results:?}");
    assert!(
        results[..5]
            .iter()
            .all(|r| matches!(r, Err(LoginError::Unexpected(_))))
    );
    assert!(results[5..].iter().all(|r| matches!(
        r,
        Err(LoginError::TooManyAttempts {
            retry_after_seconds: 1
        })
    )));
}
