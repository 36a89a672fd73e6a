//! An e-mail address as the contract checks it: at most 254 characters and
//! exactly one `@` with text on both sides. Deliverability is not our concern.

use domain_core::Invalid;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: impl Into<String>) -> Result<Self, Invalid> {
        let raw = raw.into();
        if raw.chars().count() > 254 {
            return Err(Invalid("must be at most 254 characters"));
        }
        // No mail system delivers to them, and a line break in an address
        // is what header injection is made of: refused where they come in,
        // not only where an email is sent.
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid("must not contain spaces or control characters"));
        }
        match raw.split_once('@') {
            Some((local, domain))
                if !local.trim().is_empty()
                    && !domain.trim().is_empty()
                    && !domain.contains('@') =>
            {
                Ok(Self(raw))
            }
            _ => Err(Invalid("must contain one '@' with text on both sides")),
        }
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
    fn spaces_and_control_characters_are_refused() {
        for bad in [
            " @b",
            "a@ ",
            " a@b.com",
            "a b@c",
            "a\r\nBcc: victim@x.com",
            "\u{0}@x",
            "x@y\u{2028}z",
            "a@b\t",
        ] {
            assert_eq!(
                Email::parse(bad),
                Err(Invalid("must not contain spaces or control characters")),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn one_at_sign_with_text_on_both_sides() {
        assert!(Email::parse("a@b").is_ok());
        assert!(Email::parse("alice@example.com").is_ok());
        for bad in ["", "alice", "@example.com", "alice@", "a@b@c"] {
            assert_eq!(
                Email::parse(bad),
                Err(Invalid("must contain one '@' with text on both sides")),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn at_most_254_characters() {
        let fits = format!("{}@example.com", "a".repeat(254 - 12));
        assert_eq!(fits.chars().count(), 254);
        assert!(Email::parse(fits.clone()).is_ok());
        assert_eq!(
            Email::parse(format!("a{fits}")),
            Err(Invalid("must be at most 254 characters"))
        );
    }
}
