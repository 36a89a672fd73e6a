//! Token lifecycle: issue, check, expire, revoke.

mod support;

use auth_domain::{TokenError, TokenLifetime};
use domain_core::kv::{InMemoryStore, Op};
use domain_core::{KeyValueStore, sha256_hex};
use support::*;

#[test]
fn a_login_token_identifies_its_user_until_it_expires() {
    let service = service();
    let profile = register(&service, "alice", PASSWORD);
    let issued = service.login("Alice", PASSWORD).unwrap();

    assert_eq!(
        uuid::Uuid::parse_str(&issued.token)
            .unwrap()
            .get_version_num(),
        4
    );
    assert_eq!(issued.user_id, profile.user_id);
    assert_eq!(issued.expires_in, 3600);
    assert_eq!(issued.expires_at.unix_seconds(), START_MS / 1000 + 3600);
    assert_eq!(service.me(&issued.token).unwrap(), profile);

    service.clock.advance_seconds(3599);
    assert_eq!(service.me(&issued.token).unwrap(), profile);
    service.clock.advance_seconds(1);
    assert!(matches!(
        service.me(&issued.token),
        Err(TokenError::Invalid)
    ));
    assert!(matches!(
        service.logout(&issued.token),
        Err(TokenError::Invalid)
    ));
}

#[test]
fn logout_revokes_only_that_token() {
    let service = service();
    register(&service, "alice", PASSWORD);
    let first = service.login("alice", PASSWORD).unwrap();
    let second = service.login("alice", PASSWORD).unwrap();
    assert_ne!(first.token, second.token);

    service.logout(&first.token).unwrap();
    assert!(matches!(service.me(&first.token), Err(TokenError::Invalid)));
    assert!(matches!(
        service.logout(&first.token),
        Err(TokenError::Invalid)
    ));
    assert!(service.me(&second.token).is_ok());
}

#[test]
fn unknown_and_malformed_tokens_are_invalid() {
    let service = service();
    for token in [
        uuid::Uuid::new_v4().to_string(),
        "not-a-uuid".to_owned(),
        String::new(),
    ] {
        assert!(
            matches!(service.me(&token), Err(TokenError::Invalid)),
            "{token:?}"
        );
    }
}

#[test]
fn only_the_token_digest_is_stored() {
    let service = service();
    register(&service, "alice", PASSWORD);
    let issued = service.login("alice", PASSWORD).unwrap();
    let store = &service.store;
    assert!(
        store
            .keys()
            .contains(&format!("token:{}", sha256_hex(&issued.token)))
    );
    for key in store.keys() {
        assert!(!key.contains(&issued.token), "{key}");
        let value = store.get(&key).unwrap().unwrap();
        assert!(
            !String::from_utf8_lossy(&value).contains(&issued.token),
            "{key}"
        );
    }
}

#[test]
fn the_token_lifetime_comes_from_the_settings() {
    let settings = auth_domain::Settings {
        token_lifetime: TokenLifetime::from_seconds(60).unwrap(),
        ..Default::default()
    };
    let service = service_with(InMemoryStore::default(), settings);
    register(&service, "alice", PASSWORD);
    let issued = service.login("alice", PASSWORD).unwrap();
    assert_eq!(issued.expires_in, 60);
    service.clock.advance_seconds(60);
    assert!(matches!(
        service.me(&issued.token),
        Err(TokenError::Invalid)
    ));
}

#[test]
fn me_reads_the_token_record_only() {
    let service = service();
    let profile = register(&service, "alice", PASSWORD);
    let issued = service.login("alice", PASSWORD).unwrap();
    service.store.take_calls();
    service.store.fail_when(|call| call.touches("user:"));
    assert_eq!(service.me(&issued.token).unwrap(), profile);
    let calls = service.store.take_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].op, Op::Get);
    assert_eq!(
        calls[0].keys,
        [format!("token:{}", sha256_hex(&issued.token))]
    );
}

#[test]
fn tokens_issued_without_the_profile_still_identify_their_user() {
    let service = service();
    let profile = register(&service, "alice", PASSWORD);
    let issued = service.login("alice", PASSWORD).unwrap();
    // A record as logins wrote it before the profile was copied into it.
    let key = format!("token:{}", sha256_hex(&issued.token));
    let store = &service.store;
    let mut record: serde_json::Value =
        serde_json::from_slice(&store.get(&key).unwrap().unwrap()).unwrap();
    assert!(record.as_object_mut().unwrap().remove("profile").is_some());
    store
        .set(&key, &serde_json::to_vec(&record).unwrap())
        .unwrap();

    assert_eq!(service.me(&issued.token).unwrap(), profile);
    service.logout(&issued.token).unwrap();
    assert!(matches!(
        service.me(&issued.token),
        Err(TokenError::Invalid)
    ));
}

#[test]
fn the_profile_a_token_answers_with_is_the_users_email_included() {
    let service = service();
    let mut registration = registration("bob", PASSWORD);
    registration.email = Some(auth_domain::Email::parse("bob@example.com").unwrap());
    let profile = service.register(registration).unwrap();
    assert_eq!(profile.email.as_deref(), Some("bob@example.com"));
    let issued = service.login("bob", PASSWORD).unwrap();
    service.store.fail_when(|call| call.touches("user:"));
    assert_eq!(service.me(&issued.token).unwrap(), profile);
}

/// Issued between two whole seconds, a token lives at least the answered
/// `expires_in`, and is accepted until exactly the answered `expires_at`
/// and refused from then on. Before, its expiry was rounded down: it died
/// up to a second short of `expires_in`.
#[test]
fn a_token_issued_mid_second_lives_until_exactly_the_answered_expiry() {
    for issued_ms in [0, 1, 400, 999] {
        let service = service();
        register(&service, "alice", PASSWORD);
        service.move_to(issued_ms);
        let issued = service.login("alice", PASSWORD).unwrap();
        assert_eq!(issued.expires_in, 3600);
        let expires_ms = issued.expires_at.unix_millis();
        let lived_ms = expires_ms - (START_MS + issued_ms);
        assert!(
            (3_600_000..3_601_000).contains(&lived_ms),
            "issued at +{issued_ms} ms, expires after {lived_ms} ms"
        );

        service.move_to(expires_ms - START_MS - 1);
        assert!(
            service.me(&issued.token).is_ok(),
            "+{issued_ms} ms: 1 ms before"
        );
        service.move_to(expires_ms - START_MS);
        assert!(
            matches!(service.me(&issued.token), Err(TokenError::Invalid)),
            "+{issued_ms} ms: at the answered expiry"
        );
    }
}
