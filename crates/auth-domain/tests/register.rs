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
