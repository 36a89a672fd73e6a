//! Token lifecycle: issue, check, expire, revoke.

mod support;

use auth_domain::TokenError;
use domain_core::kv::InMemoryStore;
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
    assert!(service.me(&issued.token).is_ok());
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
        token_ttl_seconds: 60,
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
