//! A username as the contract allows it: lower-cased, 3–32 characters of
//! `[a-z0-9._-]`, starting with a letter or digit.

use domain_core::Invalid;
use domain_core::invalid::chars_within;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Lower-cases `raw` first, so `Alice` and `alice` are one user.
    pub fn parse(raw: impl AsRef<str>) -> Result<Self, Invalid> {
        let name = raw.as_ref().to_lowercase();
        if !chars_within(&name, 3, 32) {
            return Err(Invalid("must be 3 to 32 characters"));
        }
        let mut bytes = name.bytes();
        let starts_well = bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let rest_allowed = bytes.all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
        if starts_well && rest_allowed {
            Ok(Self(name))
        } else {
            Err(Invalid(
                "may contain only a-z, 0-9, '.', '_' and '-', and must start with a letter or digit",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LENGTH: Invalid = Invalid("must be 3 to 32 characters");
    const CHARACTERS: Invalid = Invalid(
        "may contain only a-z, 0-9, '.', '_' and '-', and must start with a letter or digit",
    );

    #[test]
    fn names_are_lower_cased() {
        assert_eq!(Username::parse("Alice").unwrap().as_str(), "alice");
        assert_eq!(
            Username::parse("BOB.smith_2-x").unwrap().as_str(),
            "bob.smith_2-x"
        );
    }

    #[test]
    fn length_is_3_to_32_characters() {
        assert_eq!(Username::parse("ab"), Err(LENGTH));
        assert!(Username::parse("abc").is_ok());
        assert!(Username::parse("a".repeat(32)).is_ok());
        assert_eq!(Username::parse("a".repeat(33)), Err(LENGTH));
        assert_eq!(Username::parse(""), Err(LENGTH));
    }

    #[test]
    fn only_the_allowed_characters_pass() {
        for bad in [
            ".alice", "_alice", "-alice", "al ice", "al:ice", "alïce", "ali@e", "al/ce", " alice",
        ] {
            assert_eq!(Username::parse(bad), Err(CHARACTERS), "{bad:?}");
        }
        for good in ["0abc", "a.b", "a_b", "a-b", "9-9"] {
            assert!(Username::parse(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn non_ascii_letters_count_as_characters_not_bytes() {
        // Three characters but six bytes: the length rule passes, the
        // character rule refuses.
        assert_eq!(Username::parse("ééé"), Err(CHARACTERS));
    }
}
