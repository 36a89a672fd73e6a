//! An e-mail address as the contract checks it: at most 254 characters and
//! exactly one `@` with text on both sides. Deliverability is not our concern.

use std::fmt;

const MAX_CHARS: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("must be at most 254 characters")]
    TooLong,
    #[error("must contain one '@' with text on both sides")]
    Shape,
}

impl Email {
    pub fn parse(raw: impl Into<String>) -> Result<Self, EmailError> {
        let raw = raw.into();
        if raw.chars().count() > MAX_CHARS {
            return Err(EmailError::TooLong);
        }
        match raw.split_once('@') {
            Some((local, domain))
                if !local.trim().is_empty()
                    && !domain.trim().is_empty()
                    && !domain.contains('@') =>
            {
                Ok(Self(raw))
            }
            _ => Err(EmailError::Shape),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_at_sign_with_text_on_both_sides() {
        assert!(Email::parse("a@b").is_ok());
        assert!(Email::parse("alice@example.com").is_ok());
        for bad in ["", "alice", "@example.com", "alice@", "a@b@c", " @b", "a@ "] {
            assert_eq!(Email::parse(bad), Err(EmailError::Shape), "{bad:?}");
        }
    }

    #[test]
    fn at_most_254_characters() {
        let fits = format!("{}@example.com", "a".repeat(254 - 12));
        assert_eq!(fits.chars().count(), 254);
        assert!(Email::parse(fits.clone()).is_ok());
        assert_eq!(Email::parse(format!("a{fits}")), Err(EmailError::TooLong));
    }
}
