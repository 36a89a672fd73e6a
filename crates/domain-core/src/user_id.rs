//! Whose data it is, as every service accepts it.

use crate::digest::sha256_hex;
use crate::invalid::{Invalid, text_within};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A user's id: any 1–128 characters. Users of the auth service have UUIDs,
/// but other producers may name their own users.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(String);

impl UserId {
    pub const MAX_CHARS: usize = 128;

    pub fn parse(text: impl Into<String>) -> Result<Self, Invalid> {
        text_within(
            text.into(),
            1,
            Self::MAX_CHARS,
            "must be 1 to 128 characters",
        )
        .map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A fixed-length stand-in for the id inside store keys: 128 characters
    /// may be 512 bytes of UTF-8, past Spin's 256-byte key limit, and may
    /// contain any separator.
    pub fn key_digest(&self) -> String {
        sha256_hex(&self.0)
    }
}

impl TryFrom<String> for UserId {
    type Error = Invalid;

    fn try_from(text: String) -> Result<Self, Invalid> {
        Self::parse(text)
    }
}

impl From<UserId> for String {
    fn from(id: UserId) -> Self {
        id.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_to_128_characters() {
        assert!(UserId::parse("u").is_ok());
        assert!(UserId::parse("é".repeat(128)).is_ok());
        assert_eq!(
            UserId::parse(""),
            Err(Invalid("must be 1 to 128 characters"))
        );
        assert!(UserId::parse("x".repeat(129)).is_err());
    }

    #[test]
    fn key_digests_are_fixed_length_and_distinct() {
        let long = UserId::parse("é".repeat(128)).unwrap();
        assert_eq!(long.key_digest().len(), 64);
        assert_ne!(
            UserId::parse("a").unwrap().key_digest(),
            UserId::parse("b").unwrap().key_digest()
        );
    }

    #[test]
    fn json_round_trips_and_refuses_bad_ids() {
        let id: UserId = serde_json::from_str("\"alice\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"alice\"");
        assert!(serde_json::from_str::<UserId>("\"\"").is_err());
    }
}
