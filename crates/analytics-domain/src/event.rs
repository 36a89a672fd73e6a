//! The parts of an event, each valid by construction: a value of these types
//! has passed the contract's rules, so nothing downstream checks again.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fmt;

/// Why a field of an event is refused; the message is the 422 detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("must be a UUID, e.g. 0b5c3c1e-8f1a-4c7e-9a51-2f0d4e6b7a90")]
    EventId,
    #[error("must match ^[a-z][a-z0-9_.:-]{{0,63}}$")]
    Action,
    #[error("must be 1 to {MAX_USER_ID_CHARS} characters")]
    UserId,
    #[error("must be at most {MAX_METADATA_BYTES} bytes when serialized")]
    MetadataTooLarge,
}

/// The id that makes an event idempotent. Kept in canonical form (lowercase,
/// hyphenated) so that every spelling of one UUID is one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventId(uuid::Uuid);

impl EventId {
    pub fn parse(text: String) -> Result<Self, ValidationError> {
        uuid::Uuid::parse_str(&text)
            .map(Self)
            .map_err(|_| ValidationError::EventId)
    }

    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

pub const MAX_ACTION_CHARS: usize = 64;

/// An action name: `^[a-z][a-z0-9_.:-]{0,63}$`. The character set leaves out
/// `/`, which the store keys rely on as a separator.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Action(String);

impl Action {
    pub fn parse(text: String) -> Result<Self, ValidationError> {
        let mut bytes = text.bytes();
        let starts_with_letter = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
        let rest_allowed = bytes.all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b':' | b'-')
        });
        if starts_with_letter && rest_allowed && text.len() <= MAX_ACTION_CHARS {
            Ok(Self(text))
        } else {
            Err(ValidationError::Action)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub const MAX_USER_ID_CHARS: usize = 128;

/// Whose event it is: any 1–128 characters. Users of the auth service have
/// UUIDs, but other producers may name their own users.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

impl UserId {
    pub fn parse(text: String) -> Result<Self, ValidationError> {
        let chars = text.chars().count();
        if (1..=MAX_USER_ID_CHARS).contains(&chars) {
            Ok(Self(text))
        } else {
            Err(ValidationError::UserId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A fixed-length stand-in for the id inside store keys: 128 characters
    /// may be 512 bytes of UTF-8, past Spin's 256-byte key limit, and may
    /// contain any separator.
    pub(crate) fn key_digest(&self) -> String {
        Sha256::digest(self.0.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub const MAX_METADATA_BYTES: usize = 4 * 1024;

/// Free-form details of an event: a JSON object of at most 4 KiB serialized.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata(Map<String, Value>);

impl Metadata {
    pub fn parse(object: Map<String, Value>) -> Result<Self, ValidationError> {
        let object = Value::Object(object);
        let size = serde_json::to_vec(&object)
            .map(|bytes| bytes.len())
            .unwrap_or(usize::MAX);
        match object {
            Value::Object(map) if size <= MAX_METADATA_BYTES => Ok(Self(map)),
            _ => Err(ValidationError::MetadataTooLarge),
        }
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_ids_are_uuids_in_canonical_form() {
        let id = EventId::parse("0B5C3C1E-8F1A-4C7E-9A51-2F0D4E6B7A90".into()).unwrap();
        assert_eq!(id.to_string(), "0b5c3c1e-8f1a-4c7e-9a51-2f0d4e6b7a90");
        assert_eq!(
            id,
            EventId::parse("0b5c3c1e8f1a4c7e9a512f0d4e6b7a90".into()).unwrap()
        );
        for bad in ["", "not-a-uuid", "0b5c3c1e-8f1a-4c7e-9a51-2f0d4e6b7a9"] {
            assert_eq!(EventId::parse(bad.into()), Err(ValidationError::EventId));
        }
        assert_ne!(EventId::generate(), EventId::generate());
    }

    #[test]
    fn actions_follow_the_pattern() {
        let longest = format!("a{}", "b".repeat(63));
        for good in ["a", "login", "x9_.:-", "user.signup:v2", longest.as_str()] {
            assert!(Action::parse(good.into()).is_ok(), "{good}");
        }
        let too_long = format!("a{}", "b".repeat(64));
        for bad in [
            "",
            "Login",
            "1login",
            "_a",
            "has space",
            "a/b",
            "café",
            too_long.as_str(),
        ] {
            assert_eq!(
                Action::parse(bad.into()),
                Err(ValidationError::Action),
                "{bad}"
            );
        }
    }

    #[test]
    fn user_ids_count_characters_not_bytes() {
        assert!(UserId::parse("é".repeat(128)).is_ok());
        assert_eq!(UserId::parse("é".repeat(129)), Err(ValidationError::UserId));
        assert_eq!(UserId::parse(String::new()), Err(ValidationError::UserId));
    }

    #[test]
    fn user_key_digests_are_fixed_length_and_distinct() {
        let long = UserId::parse("é".repeat(128)).unwrap();
        let short = UserId::parse("a".into()).unwrap();
        assert_eq!(long.key_digest().len(), 64);
        assert_eq!(short.key_digest().len(), 64);
        assert_ne!(long.key_digest(), short.key_digest());
    }

    #[test]
    fn metadata_is_limited_to_4_kib_serialized() {
        let object = |value: Value| value.as_object().unwrap().clone();
        // {"b":"…"} is 8 bytes of framing around the text.
        let fits = object(json!({"b": "x".repeat(MAX_METADATA_BYTES - 8)}));
        assert!(Metadata::parse(fits).is_ok());
        let over = object(json!({"b": "x".repeat(MAX_METADATA_BYTES - 7)}));
        assert_eq!(
            Metadata::parse(over),
            Err(ValidationError::MetadataTooLarge)
        );
        assert!(Metadata::parse(Map::new()).is_ok());
    }
}
