//! A new password as the contract allows it: 8–128 Unicode scalar values,
//! not only whitespace, not commonly used, never truncated or altered.

use crate::common_passwords;
use std::fmt;

const MIN_CHARS: usize = 8;
const MAX_CHARS: usize = 128;

/// A password that passed the rules. Its `Debug` hides it, and it has no
/// `Display`, so it cannot end up in a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("must be at least 8 characters")]
    TooShort,
    #[error("must be at most 128 characters")]
    TooLong,
    #[error("must not be only whitespace")]
    OnlyWhitespace,
    #[error("is too commonly used; choose another")]
    Common,
}

impl Password {
    pub fn parse(raw: impl Into<String>) -> Result<Self, PasswordError> {
        let raw = raw.into();
        let chars = raw.chars().count();
        if chars < MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if chars > MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        if raw.chars().all(char::is_whitespace) {
            return Err(PasswordError::OnlyWhitespace);
        }
        if common_passwords::is_common(&raw) {
            return Err(PasswordError::Common);
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_counts_unicode_scalar_values() {
        assert_eq!(Password::parse("Zq7-xk2"), Err(PasswordError::TooShort));
        assert!(Password::parse("Zq7-xk2!").is_ok());
        // Eight characters, sixteen bytes.
        assert!(Password::parse("ééééééé1").is_ok());
        assert!(Password::parse("é".repeat(128)).is_ok());
        assert_eq!(
            Password::parse("é".repeat(129)),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn long_passwords_are_kept_whole() {
        let long = format!("{}tail", "x9Q".repeat(41));
        assert_eq!(long.chars().count(), 127);
        assert_eq!(Password::parse(long.clone()).unwrap().expose(), long);
    }

    #[test]
    fn whitespace_only_is_refused_but_inner_spaces_are_fine() {
        assert_eq!(
            Password::parse("          "),
            Err(PasswordError::OnlyWhitespace)
        );
        assert_eq!(
            Password::parse("\t\n \u{3000}    "),
            Err(PasswordError::OnlyWhitespace)
        );
        assert!(Password::parse("  two words here  ").is_ok());
    }

    #[test]
    fn common_passwords_are_refused() {
        assert_eq!(Password::parse("password"), Err(PasswordError::Common));
        assert_eq!(Password::parse("Password1"), Err(PasswordError::Common));
        assert_eq!(Password::parse("iloveyou"), Err(PasswordError::Common));
    }

    #[test]
    fn debug_output_hides_the_password() {
        let password = Password::parse("Zq7-xk2!secret").unwrap();
        assert!(!format!("{password:?}").contains("secret"));
    }
}
