//! An idempotency key is never stuck: whatever write fails, and whenever
//! the claimant dies, a repeat after the lease delivers. Store failures are
//! injected at the exact key (`…:state`, which a give-back writes too).

mod support;

use domain_core::KeyValueStore;
use domain_core::kv::Op;
use notification_domain::idempotency::LEASE;
use notification_domain::{IdempotencyKey, Notified, NotifyError};
use support::*;

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text).unwrap()
}

/// The one notification every test here sends, under the key `k`.
fn send(service: &TestService) -> Result<Notified, NotifyError> {
    service.notify(request("u", "m"), Some(&key("k")))
}

fn past_the_lease(fixture: &Fixture) {
    fixture
        .clock
        .advance(LEASE + std::time::Duration::from_millis(1));
}

/// The state write fails, and so does the give-back (the next write of the
/// state): the key stays claimed with no state at all.
fn leave_claimed_without_a_state(fixture: &Fixture, service: &TestService) {
    fixture.fail_once(Op::Set, ":state");
    fixture.fail_once(Op::Set, ":state");
    assert!(matches!(send(service), Err(NotifyError::Storage(_))));
}

/// The save (record + done state, one batch) fails after the delivery, then
/// the release (the state's second write, after the in-progress one) fails:
/// the in-progress state stays.
fn leave_in_progress(fixture: &Fixture, service: &TestService) {
    fixture.fail_once(Op::SetMany, ":state");
    fixture.fail_nth(Op::Set, ":state", 2);
    assert!(matches!(send(service), Err(NotifyError::Storage(_))));
}

#[test]
fn a_failed_state_write_releases_the_claim_at_once() {
    let fixture = Fixture::new();
    let service = fixture.service();
    fixture.fail_once(Op::Set, ":state");
    assert!(matches!(send(&service), Err(NotifyError::Storage(_))));
    assert_eq!(fixture.channels.log.count(), 0, "nothing was delivered");

    let retry = send(&service).unwrap();
    assert!(matches!(retry, Notified::Created(_)), "{retry:?}");
    assert_eq!(fixture.pause.count(), 0, "the retry found the key free");
    assert_eq!(fixture.channels.log.count(), 1);
}

#[test]
fn a_claim_left_without_a_state_is_taken_over_after_its_lease() {
    let fixture = Fixture::new();
    let service = fixture.service();
    leave_claimed_without_a_state(&fixture, &service);

    assert_eq!(
        send(&service),
        Err(NotifyError::InProgress),
        "within the lease a repeat waits, as for a live delivery"
    );
    past_the_lease(&fixture);
    let outcome = send(&service).unwrap();
    assert!(matches!(outcome, Notified::Created(_)), "{outcome:?}");
    assert_eq!(fixture.channels.log.count(), 1);

    let again = send(&service).unwrap();
    assert!(matches!(again, Notified::Repeated(_)), "{again:?}");
    assert_eq!(
        receipt(&again).notification_id,
        receipt(&outcome).notification_id
    );
    assert_eq!(fixture.channels.log.count(), 1, "delivered once in all");
}

#[test]
fn a_claimant_that_died_between_its_two_writes_is_taken_over() {
    let fixture = Fixture::new();
    // Only the claim counter: the claimant never got to write its state.
    let twin = Fixture::new();
    twin.service()
        .notify(request("u", "m"), Some(&key("k")))
        .unwrap();
    let claim = twin
        .store
        .keys()
        .into_iter()
        .find(|k| k.ends_with(":claim"))
        .expect("a claim counter");
    fixture.store.increment(&claim, 1).unwrap();

    assert_eq!(
        fixture.service().notify(request("u", "m"), Some(&key("k"))),
        Err(NotifyError::InProgress)
    );
    past_the_lease(&fixture);
    let outcome = fixture
        .service()
        .notify(request("u", "m"), Some(&key("k")))
        .unwrap();
    assert!(matches!(outcome, Notified::Created(_)), "{outcome:?}");
}

#[test]
fn a_takeover_whose_state_write_fails_can_be_retried() {
    let fixture = Fixture::new();
    let service = fixture.service();
    leave_claimed_without_a_state(&fixture, &service);
    assert_eq!(send(&service), Err(NotifyError::InProgress));
    past_the_lease(&fixture);

    // The taker wins the adoption counter, then cannot write its state.
    fixture.fail_once(Op::Set, ":state");
    assert!(matches!(send(&service), Err(NotifyError::Storage(_))));
    let outcome = send(&service).unwrap();
    assert!(matches!(outcome, Notified::Created(_)), "{outcome:?}");
    assert_eq!(fixture.channels.log.count(), 1);
}

/// The taker that wins a counter and then cannot write its state nor free
/// the counter (or dies there) leaves it at 1: the next lease's repeat
/// takes over all the same.
#[test]
fn a_taker_that_fails_after_winning_is_taken_over_a_lease_later() {
    for counter in [":takeover:", ":adopt:"] {
        let fixture = Fixture::new();
        let service = fixture.service();
        if counter == ":takeover:" {
            leave_in_progress(&fixture, &service);
        } else {
            leave_claimed_without_a_state(&fixture, &service);
        }
        assert_eq!(send(&service), Err(NotifyError::InProgress));
        past_the_lease(&fixture);

        fixture.fail_once(Op::Set, ":state");
        fixture.fail_once_within(Op::Delete, counter);
        assert!(matches!(send(&service), Err(NotifyError::Storage(_))));
        assert_eq!(
            send(&service),
            Err(NotifyError::InProgress),
            "{counter}: within this lease the dead taker holds the counter"
        );
        past_the_lease(&fixture);
        let outcome = send(&service);
        assert!(
            matches!(outcome, Ok(Notified::Created(_))),
            "{counter}: {outcome:?}"
        );
        let again = send(&service).unwrap();
        assert!(matches!(again, Notified::Repeated(_)), "{again:?}");
    }
}

#[test]
fn a_failed_release_after_a_failed_save_is_taken_over_after_its_lease() {
    let fixture = Fixture::new();
    let service = fixture.service();
    leave_in_progress(&fixture, &service);
    assert_eq!(send(&service), Err(NotifyError::InProgress));
    past_the_lease(&fixture);
    let outcome = send(&service).unwrap();
    assert!(matches!(outcome, Notified::Created(_)), "{outcome:?}");
    // At least once: the first delivery went out before its save failed.
    assert_eq!(fixture.channels.log.count(), 2);
}

#[test]
fn a_claim_after_a_give_back_left_without_a_state_is_taken_over_after_its_lease() {
    let fixture = Fixture::new();
    let service = fixture.service();
    // The first claimant cannot write its state and gives the key back.
    fixture.fail_once(Op::Set, ":state");
    assert!(matches!(send(&service), Err(NotifyError::Storage(_))));
    // The next cannot write its state either, nor give the key back.
    fixture.fail_once(Op::Set, ":state");
    fixture.fail_once(Op::Set, ":state");
    assert!(matches!(send(&service), Err(NotifyError::Storage(_))));

    assert_eq!(send(&service), Err(NotifyError::InProgress));
    past_the_lease(&fixture);
    let outcome = send(&service).unwrap();
    assert!(matches!(outcome, Notified::Created(_)), "{outcome:?}");
    let again = send(&service).unwrap();
    assert!(matches!(again, Notified::Repeated(_)), "{again:?}");
    assert_eq!(
        receipt(&again).notification_id,
        receipt(&outcome).notification_id
    );
    assert_eq!(fixture.channels.log.count(), 1, "delivered once in all");
}
