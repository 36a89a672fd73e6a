//! A new password as the contract allows it: 8–128 Unicode scalar values,
//! not only whitespace, not commonly used, never truncated or altered.

use crate::common_passwords;
use domain_core::Invalid;
use std::fmt;

/// A password that passed the rules. Its `Debug` hides it, and it has no
/// `Display`, so it cannot end up in a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: impl Into<String>) -> Result<Self, Invalid> {
        let raw = raw.into();
        let chars = raw.chars().count();
        if chars < 8 {
            return Err(Invalid("must be at least 8 characters"));
        }
        if chars > 128 {
            return Err(Invalid("must be at most 128 characters"));
        }
        if raw.chars().all(char::is_whitespace) {
            return Err(Invalid("must not be only whitespace"));
        }
        if common_passwords::is_common(&raw) {
            return Err(Invalid("is too commonly used; choose another"));
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
        assert_eq!(
            Password::parse("Zq7-xk2"),
            Err(Invalid("must be at least 8 characters"))
        );
        assert!(Password::parse("Zq7-xk2!").is_ok());
        // Eight characters, sixteen bytes.
        assert!(Password::parse("ééééééé1").is_ok());
        assert!(Password::parse("é".repeat(128)).is_ok());
        assert_eq!(
            Password::parse("é".repeat(129)),
            Err(Invalid("must be at most 128 characters"))
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
        for blank in ["          ", "\t\n \u{3000}    "] {
            assert_eq!(
                Password::parse(blank),
                Err(Invalid("must not be only whitespace"))
            );
        }
        assert!(Password::parse("  two words here  ").is_ok());
    }

    #[test]
    fn common_passwords_are_refused() {
        for common in ["password", "Password1", "iloveyou"] {
            assert_eq!(
                Password::parse(common),
                Err(Invalid("is too commonly used; choose another"))
            );
        }
    }

    #[test]
    fn debug_output_hides_the_password() {
        let password = Password::parse("Zq7-xk2!secret").unwrap();
        assert!(!format!("{password:?}").contains("secret"));
    }
}
