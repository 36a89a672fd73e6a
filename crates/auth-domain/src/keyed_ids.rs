//! Ids that auth derives from a secret (the deployment's internal key), so
//! that they are stable yet nobody without the key can compute them.
//!
//! - The user id under which a failed login for a name no account has is
//!   reported, so that `login_failed` events exist for unknown names exactly
//!   as for known ones and nothing public tells them apart. Stable per name,
//!   so repeated failures for one name add up like a real user's. Real user
//!   ids are UUIDs; these start with `anon-` followed by 32 hex digits,
//!   which no UUID can, so no account can ever have one.
//! - The `logout` event's id, the same for every logout of one token so
//!   that concurrent logouts count once. Its user knows the token: were the
//!   id computable from the token alone, the user could record an event of
//!   their own under it first, and analytics would take the logout for a
//!   duplicate.

use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "anon-";

/// The pseudonym of `name` as typed: a well-formed name and any text no
/// account can have alike, both lower-cased here.
pub fn pseudonymous_user_id(key: &[u8], name: &str) -> String {
    let digest = keyed_digest(key, &[name.to_lowercase().as_bytes()]);
    let hex: String = digest[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{PREFIX}{hex}")
}

/// The id of every logout event of the token stored under `token_key`
/// (which holds the token's digest, never the token): a UUID v4 made of a
/// keyed digest of it.
pub fn logout_event_id(key: &[u8], token_key: &str) -> String {
    let digest = keyed_digest(key, &[b"logout:", token_key.as_bytes()]);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn keyed_digest(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_per_name_and_key_and_never_a_uuid() {
        let id = pseudonymous_user_id(b"key", "Nobody");
        assert_eq!(id, pseudonymous_user_id(b"key", "nobody"));
        assert_ne!(id, pseudonymous_user_id(b"key", "nobody2"));
        assert_ne!(id, pseudonymous_user_id(b"other key", "nobody"));
        assert!(id.starts_with("anon-") && id.len() == 37, "{id}");
        assert!(uuid::Uuid::parse_str(&id).is_err());
        assert!(!id.contains("nobody"));
    }

    #[test]
    fn a_logout_id_is_stable_per_token_and_needs_the_key() {
        let id = logout_event_id(b"key", "digest");
        assert_eq!(id, logout_event_id(b"key", "digest"));
        assert_ne!(id, logout_event_id(b"key", "digest2"));
        assert_ne!(id, logout_event_id(b"other key", "digest"));
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
    }
}
