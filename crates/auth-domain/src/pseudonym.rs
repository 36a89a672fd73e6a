//! The user id under which a failed login for a name no account has is
//! reported, so that `login_failed` events exist for unknown names exactly
//! as for known ones and nothing public tells them apart.
//!
//! It is an HMAC-SHA-256 of the lower-cased name keyed with a secret (the
//! internal key): stable per name, so repeated failures for one name add up
//! like a real user's, yet not computable or reversible without the key.
//! Real user ids are UUIDs; these start with `anon-` followed by 32 hex
//! digits, which no UUID can, so no account can ever have one.

use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "anon-";

/// The pseudonym of `name` as typed: a well-formed name and any text no
/// account can have alike, both lower-cased here.
pub fn pseudonymous_user_id(key: &[u8], name: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(name.to_lowercase().as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{PREFIX}{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_per_name_and_key_and_never_a_uuid() {
        let id = pseudonymous_user_id(b"key", "Nobody");
        assert_eq!(id, pseudonymous_user_id(b"key", "nobody"));
        assert_ne!(id, pseudonymous_user_id(b"key", "nobody2"));
        assert_ne!(id, pseudonymous_user_id(b"other key", "nobody"));
        assert!(id.starts_with("anon-") && id.len() == 37, "{id}");
        assert!(uuid::Uuid::parse_str(&id).is_err());
        assert!(!id.contains("nobody"));
    }
}
