//! How long a bearer token lives.

/// A bearer token's lifetime: a whole number of seconds from one second to
/// a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetime(i64);

/// A lifetime that is not a whole number of seconds from 1 to
/// [`TokenLifetime::MAX`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a whole number of seconds from 1 to {max}", max = TokenLifetime::MAX.0)]
pub struct InvalidTokenLifetime(String);

impl TokenLifetime {
    /// An hour.
    pub const DEFAULT: Self = Self(3600);
    /// A year. Far beyond any sensible session, and far inside what the
    /// clock's arithmetic can add to now: a larger value is taken for a
    /// slip, not for a wish.
    pub const MAX: Self = Self(365 * 24 * 3600);

    pub fn from_seconds(seconds: i64) -> Result<Self, InvalidTokenLifetime> {
        if (1..=Self::MAX.0).contains(&seconds) {
            Ok(Self(seconds))
        } else {
            Err(InvalidTokenLifetime(seconds.to_string()))
        }
    }

    /// `raw` as a configuration gives it: digits, perhaps between spaces.
    pub fn parse(raw: &str) -> Result<Self, InvalidTokenLifetime> {
        domain_core::parse_whole_number::<i64>(raw.trim())
            .and_then(|seconds| Self::from_seconds(seconds).ok())
            .ok_or_else(|| InvalidTokenLifetime(raw.to_owned()))
    }

    pub fn seconds(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_from_a_second_to_a_year_are_taken() {
        assert_eq!(TokenLifetime::parse("1").map(TokenLifetime::seconds), Ok(1));
        assert_eq!(TokenLifetime::parse(" 3600 "), Ok(TokenLifetime::DEFAULT));
        assert_eq!(TokenLifetime::parse("31536000"), Ok(TokenLifetime::MAX));
    }

    #[test]
    fn other_lifetimes_are_refused() {
        // 10^13 s would overflow the clock's arithmetic at the first login.
        let refused = [
            "0",
            "-5",
            "+5",
            "31536001",
            "10000000000000",
            "1h",
            "1.5",
            "",
        ];
        for raw in refused {
            assert_eq!(
                TokenLifetime::parse(raw),
                Err(InvalidTokenLifetime(raw.to_owned())),
                "{raw:?}"
            );
        }
        assert!(TokenLifetime::from_seconds(0).is_err());
        assert!(TokenLifetime::from_seconds(TokenLifetime::MAX.seconds() + 1).is_err());
    }

    #[test]
    fn the_refusal_names_the_value_and_the_range() {
        let refusal = TokenLifetime::parse("15m").unwrap_err().to_string();
        assert_eq!(
            refusal,
            "\"15m\" is not a whole number of seconds from 1 to 31536000"
        );
    }
}
