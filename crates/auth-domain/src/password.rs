//! A new password as the contract allows it: 8–128 Unicode scalar values,
//! not only whitespace, not commonly used, never truncated or altered.

use crate::common_passwords::{CommonPasswords, TableUnavailable};
use domain_core::{DomainError, Failure, Invalid};
use std::fmt;

/// A password that passed the rules. Its `Debug` hides it, and it has no
/// `Display`, so it cannot end up in a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// Why a password was not accepted: it breaks a rule (the client's to fix),
/// or the common-password table could not be read, so it could not be
/// checked (the server's failure: never a password let through).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the password could not be checked: {0}")]
    Unchecked(#[from] TableUnavailable),
}

impl DomainError for PasswordError {
    fn failure(&self) -> Failure {
        match self {
            Self::Invalid(_) => Failure::Invalid { field: "password" },
            Self::Unchecked(_) => Failure::Unexpected,
        }
    }
}

impl Password {
    /// Checked against the common-password table the component mounts.
    pub fn parse(raw: impl Into<String>) -> Result<Self, PasswordError> {
        Self::parse_against(raw, &CommonPasswords::mounted())
    }

    /// Checked against the common-password table `common`. The rules that
    /// need no file come first.
    pub fn parse_against(
        raw: impl Into<String>,
        common: &CommonPasswords,
    ) -> Result<Self, PasswordError> {
        let raw = raw.into();
        let chars = raw.chars().count();
        if chars < 8 {
            return Err(Invalid("must be at least 8 characters").into());
        }
        if chars > 128 {
            return Err(Invalid("must be at most 128 characters").into());
        }
        if raw.chars().all(char::is_whitespace) {
            return Err(Invalid("must not be only whitespace").into());
        }
        if common.lists(&raw)? {
            return Err(Invalid("is too commonly used; choose another").into());
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

    fn invalid(rule: &'static str) -> Result<Password, PasswordError> {
        Err(PasswordError::Invalid(Invalid(rule)))
    }

    #[test]
    fn length_counts_unicode_scalar_values() {
        assert_eq!(
            Password::parse("Zq7-xk2"),
            invalid("must be at least 8 characters")
        );
        assert!(Password::parse("Zq7-xk2!").is_ok());
        // Eight characters, sixteen bytes.
        assert!(Password::parse("ééééééé1").is_ok());
        assert!(Password::parse("é".repeat(128)).is_ok());
        assert_eq!(
            Password::parse("é".repeat(129)),
            invalid("must be at most 128 characters")
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
                invalid("must not be only whitespace")
            );
        }
        assert!(Password::parse("  two words here  ").is_ok());
    }

    #[test]
    fn common_passwords_are_refused() {
        for common in ["password", "Password1", "iloveyou"] {
            assert_eq!(
                Password::parse(common),
                invalid("is too commonly used; choose another")
            );
        }
    }

    #[test]
    fn without_its_table_a_password_is_not_checked_and_not_accepted() {
        let missing = CommonPasswords::at("/nonexistent/common-passwords.bin");
        for password in ["password", "vq9-Lx3!tRz7"] {
            let error = Password::parse_against(password, &missing).unwrap_err();
            assert!(matches!(error, PasswordError::Unchecked(_)), "{error}");
            assert_eq!(error.failure(), Failure::Unexpected);
        }
        // The rules that need no file still answer for themselves.
        assert_eq!(
            Password::parse_against("short", &missing),
            invalid("must be at least 8 characters")
        );
        assert_eq!(
            PasswordError::from(Invalid("x")).failure(),
            Failure::Invalid { field: "password" }
        );
    }

    #[test]
    fn debug_output_hides_the_password() {
        let password = Password::parse("Zq7-xk2!secret").unwrap();
        assert!(!format!("{password:?}").contains("secret"));
    }
}
