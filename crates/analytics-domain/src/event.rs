//! The parts of an event that are analytics' own, each valid by
//! construction: a value of these types has passed the contract's rules, so
//! nothing downstream checks again.

use domain_core::Invalid;
use std::fmt;

/// The id that makes an event idempotent. Kept in canonical form (lowercase,
/// hyphenated) so that every spelling of one UUID is one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventId(uuid::Uuid);

impl EventId {
    pub fn parse(text: String) -> Result<Self, Invalid> {
        uuid::Uuid::parse_str(&text)
            .map(Self)
            .map_err(|_| Invalid("must be a UUID, e.g. 0b5c3c1e-8f1a-4c7e-9a51-2f0d4e6b7a90"))
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

/// An action name: `^[a-z][a-z0-9_.:-]{0,63}$`. The character set leaves out
/// `/`, which the store keys rely on as a separator.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Action(String);

impl Action {
    pub fn parse(text: String) -> Result<Self, Invalid> {
        let mut bytes = text.bytes();
        let starts_with_letter = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
        let rest_allowed = bytes.all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b':' | b'-')
        });
        if starts_with_letter && rest_allowed && text.len() <= 64 {
            Ok(Self(text))
        } else {
            Err(Invalid("must match ^[a-z][a-z0-9_.:-]{0,63}$"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_uuids_in_canonical_form() {
        let id = EventId::parse("0B5C3C1E-8F1A-4C7E-9A51-2F0D4E6B7A90".into()).unwrap();
        assert_eq!(id.to_string(), "0b5c3c1e-8f1a-4c7e-9a51-2f0d4e6b7a90");
        assert_eq!(
            id,
            EventId::parse("0b5c3c1e8f1a4c7e9a512f0d4e6b7a90".into()).unwrap()
        );
        for bad in ["", "not-a-uuid", "0b5c3c1e-8f1a-4c7e-9a51-2f0d4e6b7a9"] {
            assert_eq!(
                EventId::parse(bad.into()),
                Err(Invalid(
                    "must be a UUID, e.g. 0b5c3c1e-8f1a-4c7e-9a51-2f0d4e6b7a90"
                ))
            );
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
                Err(Invalid("must match ^[a-z][a-z0-9_.:-]{0,63}$")),
                "{bad}"
            );
        }
    }
}
