//! Registration: the record it leaves, name uniqueness, and what a failed
//! write leaves behind.

mod support;

use auth_domain::{Email, RegisterError, UserRecord};
use domain_core::KeyValueStore;
use domain_core::kv::Op;
use support::*;

#[test]
fn registration_stores_a_hashed_password_and_returns_the_profile() {
    let service = service();
    let mut new = registration("Alice", PASSWORD);
    new.email = Some(Email::parse("alice@example.com").unwrap());
    let profile = service.register(new).unwrap();

    assert_eq!(profile.username, "alice");
    assert_eq!(profile.email.as_deref(), Some("alice@example.com"));
    assert_eq!(
        uuid::Uuid::parse_str(&profile.user_id)
            .unwrap()
            .get_version_num(),
        4
    );
    assert_eq!(profile.created_at.to_rfc3339(), "2027-01-15T08:00:00Z");

    let stored = service
        .store
        .get("user:alice")
        .unwrap()
        .expect("a user record");
    let record: UserRecord = serde_json::from_slice(&stored).unwrap();
    assert!(record.password_hash.starts_with("$argon2id$"));
    assert!(!String::from_utf8_lossy(&stored).contains(PASSWORD));
}

#[test]
fn names_are_unique_case_insensitively() {
    let service = service();
    register(&service, "alice", PASSWORD);
    assert!(matches!(
        service.register(registration("ALICE", OTHER_PASSWORD)),
        Err(RegisterError::UsernameTaken)
    ));
    // A taken name is refused before any hashing work.
    assert_eq!(service.hasher.hashes(), 1);
}

#[test]
fn a_failed_write_gives_the_name_back() {
    let service = service();
    service.store.fail_when(once(|call| call.op == Op::SetMany));
    assert!(matches!(
        service.register(registration("alice", PASSWORD)),
        Err(RegisterError::Unexpected(_))
    ));
    assert_eq!(service.store.get("user:alice").unwrap(), None);
    // Nothing was staged for delivery: the state change never happened.
    assert!(service.delivery.attempts().is_empty());

    let profile = service
        .register(registration("alice", OTHER_PASSWORD))
        .unwrap();
    assert_eq!(profile.username, "alice");
    assert!(service.login("alice", OTHER_PASSWORD).is_ok());
}

#[test]
fn registration_sends_a_register_event_and_a_welcome_notification() {
    let service = service();
    let profile = register(&service, "alice", PASSWORD);
    let delivered = service.delivery.delivered();
    assert_eq!(service.delivery.delivered_actions(), ["register"]);
    assert!(delivered.iter().any(|d| matches!(
        d,
        auth_domain::SideEffect::Notification { user_id, subject, .. }
            if *user_id == profile.user_id && subject == "Welcome"
    )));
}

#[test]
fn welcome_and_sign_in_notifications_are_addressed_to_the_users_email_if_any() {
    let service = service();
    let mut with_email = registration("alice", PASSWORD);
    with_email.email = Some(Email::parse("alice@example.com").unwrap());
    service.register(with_email).unwrap();
    service.register(registration("bob", PASSWORD)).unwrap();
    service.login("alice", PASSWORD).unwrap();
    service.login("bob", PASSWORD).unwrap();

    let addressed: Vec<(String, Option<String>)> = service
        .delivery
        .delivered()
        .into_iter()
        .filter_map(|d| match d {
            auth_domain::SideEffect::Notification { subject, to, .. } => Some((subject, to)),
            auth_domain::SideEffect::Event { .. } => None,
        })
        .collect();
    let alice = Some("alice@example.com".to_owned());
    assert_eq!(
        addressed,
        [
            ("Welcome".to_owned(), alice.clone()),
            ("Welcome".to_owned(), None),
            ("New sign-in".to_owned(), alice),
            ("New sign-in".to_owned(), None),
        ]
    );
}

/// A pause that tells the test it was reached and waits for its word
/// before its first return; later pauses return at once.
struct PauseUntilTold {
    reached: std::sync::mpsc::Sender<()>,
    go: std::sync::mpsc::Receiver<()>,
    first: std::sync::atomic::AtomicBool,
}

impl domain_core::Pause for PauseUntilTold {
    fn pause(&self, _: std::time::Duration) {
        if self.first.swap(false, std::sync::atomic::Ordering::SeqCst) {
            let _ = self.reached.send(());
            let _ = self.go.recv_timeout(std::time::Duration::from_secs(5));
        }
    }
}

/// A registration that claims the name while the claim's owner fails to
/// write its user is not told the name is taken: it waits, finds the
/// claim given back, claims it and registers. Before, it answered 409
/// while nobody had the name.
#[test]
fn a_registration_that_loses_the_claim_to_a_failed_write_gets_the_name() {
    use support::interleave::{Interleaved, Moment};
    let harness = service();
    let (reached, paused) = std::sync::mpsc::channel();
    let (tell_go, go) = std::sync::mpsc::channel();
    let (start, started) = std::sync::mpsc::channel::<()>();
    let second = harness.instance_pausing(
        std::sync::Arc::clone(&harness.store),
        harness.clock.clone(),
        PauseUntilTold {
            reached,
            go,
            first: true.into(),
        },
    );
    std::thread::scope(|scope| {
        let second = scope.spawn(move || {
            started.recv().unwrap();
            let (result, after) = second.register(registration("alice", OTHER_PASSWORD));
            second.settle(after);
            result
        });

        harness.store.fail_when(once(|call| call.op == Op::SetMany));
        let store = Interleaved::over(&harness.store);
        store.at(
            Moment::Before,
            |call| call.op == Op::Delete && call.keys == "claim:user:alice",
            || {
                start.send(()).unwrap();
                // The second registration has lost the claim and waits.
                let _ = paused.recv_timeout(std::time::Duration::from_secs(5));
            },
        );
        let first = harness.instance_over(&store, harness.clock.clone());
        let (failed, after) = first.register(registration("alice", PASSWORD));
        first.settle(after);
        assert!(store.all_ran());
        assert!(
            matches!(failed, Err(RegisterError::Unexpected(_))),
            "{failed:?}"
        );
        tell_go.send(()).unwrap();

        let profile = second.join().unwrap().expect("the name is free again");
        let login = harness
            .login("alice", OTHER_PASSWORD)
            .expect("its password");
        assert_eq!(login.user_id, profile.user_id);
    });
}

/// A claim whose owner died before writing its user or giving the name
/// back: a registration waits out its pauses (about 1.6 s), then is told
/// the name is taken, as the crate docs say.
#[test]
fn a_claim_nobody_writes_counts_as_taken_after_a_bounded_wait() {
    let harness = service();
    harness.store.increment("claim:user:alice", 1).unwrap();
    let started = std::time::Instant::now();
    assert!(matches!(
        harness.register(registration("alice", PASSWORD)),
        Err(RegisterError::UsernameTaken)
    ));
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(1590)
            && waited < std::time::Duration::from_secs(5),
        "{waited:?}"
    );
    assert!(harness.store.get("user:alice").unwrap().is_none());
}

/// Counts the pauses; returns at once.
#[derive(Clone, Default)]
struct CountedPauses(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl domain_core::Pause for CountedPauses {
    fn pause(&self, _: std::time::Duration) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A registration that loses the claim to one whose user is already
/// written is told the name is taken at once, without waiting.
#[test]
fn a_registration_that_loses_to_a_written_user_is_refused_without_waiting() {
    use support::interleave::{Interleaved, Moment};
    let harness = service();
    let store = Interleaved::over(&harness.store);
    store.at(
        Moment::Before,
        |call| call.op == Op::Increment && call.keys == "claim:user:alice",
        || {
            harness
                .register(registration("alice", PASSWORD))
                .expect("the other registration wins");
        },
    );
    let pauses = CountedPauses::default();
    let late = harness.instance_pausing(&store, harness.clock.clone(), pauses.clone());
    let (result, after) = late.register(registration("alice", OTHER_PASSWORD));
    late.settle(after);
    assert!(store.all_ran());
    assert!(
        matches!(result, Err(RegisterError::UsernameTaken)),
        "{result:?}"
    );
    assert_eq!(pauses.0.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// The shared store, whose first batch write of a user is applied and then
/// reported as failed: the reply was lost on its way back.
struct LostReply {
    shared: std::sync::Arc<domain_core::kv::InMemoryStore>,
    lost: std::sync::atomic::AtomicBool,
}

impl KeyValueStore for LostReply {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, domain_core::StoreError> {
        self.shared.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, domain_core::StoreError> {
        self.shared.get_many(keys)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), domain_core::StoreError> {
        self.shared.set(key, value)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), domain_core::StoreError> {
        self.shared.set_many(entries)?;
        let of_a_user = entries.iter().any(|(key, _)| key.starts_with("user:"));
        if of_a_user && !self.lost.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(domain_core::StoreError::Unavailable(
                "reply lost".to_owned(),
            ));
        }
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), domain_core::StoreError> {
        self.shared.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, domain_core::StoreError> {
        self.shared.increment(key, delta)
    }
}

/// A write of the user that landed although the store said it failed is
/// a registration: answered as one, its name kept claimed and its side
/// effects delivered. Before, it answered 500 and gave the claim back,
/// leaving a user whose name a racing registration could claim again.
#[test]
fn a_write_that_landed_though_its_reply_was_lost_registers_the_user() {
    let harness = service();
    let store = LostReply {
        shared: std::sync::Arc::clone(&harness.store),
        lost: false.into(),
    };
    let instance = harness.instance_over(&store, harness.clock.clone());
    let (result, after) = instance.register(registration("alice", PASSWORD));
    instance.settle(after);
    assert!(store.lost.load(std::sync::atomic::Ordering::SeqCst));
    let profile = result.expect("registered");

    let stored: UserRecord =
        serde_json::from_slice(&harness.store.get("user:alice").unwrap().unwrap()).unwrap();
    assert_eq!(stored.user_id, profile.user_id);
    assert_eq!(harness.store.counter("claim:user:alice"), Ok(1));
    assert!(
        outbox_keys(&harness.store).is_empty(),
        "its entries were delivered"
    );
    assert_eq!(harness.delivery.delivered_actions(), ["register"]);
    assert!(matches!(
        harness.register(registration("alice", OTHER_PASSWORD)),
        Err(RegisterError::UsernameTaken)
    ));
    assert_eq!(
        harness.login("alice", PASSWORD).unwrap().user_id,
        profile.user_id
    );
}
