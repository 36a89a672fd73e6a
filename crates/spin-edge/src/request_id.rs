//! `X-Request-Id`: echo a well-formed client id, otherwise mint a UUID v4.

use std::fmt;

pub const HEADER: &str = "x-request-id";
const MAX_LEN: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The id for a request that carried `header` (if any): kept when it is
    /// 1–128 characters of `[A-Za-z0-9._-]`, replaced otherwise so that ids
    /// are always safe to log and to forward.
    pub fn from_header(header: Option<&str>) -> Self {
        match header {
            Some(value) if Self::is_well_formed(value) => Self(value.to_owned()),
            _ => Self::generate(),
        }
    }

    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    fn is_well_formed(value: &str) -> bool {
        (1..=MAX_LEN).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_ids_are_echoed() {
        for id in ["a", "trace-01.A_b", &"x".repeat(128)] {
            assert_eq!(RequestId::from_header(Some(id)).as_str(), id);
        }
    }

    #[test]
    fn missing_or_malformed_ids_are_replaced_by_a_uuid_v4() {
        for header in [
            None,
            Some(""),
            Some("has space"),
            Some("semi;colon"),
            Some("é"),
            Some(&"x".repeat(129)),
        ] {
            let id = RequestId::from_header(header);
            let parsed = uuid::Uuid::parse_str(id.as_str())
                .unwrap_or_else(|e| panic!("{header:?} gave {id}, not a uuid: {e}"));
            assert_eq!(parsed.get_version_num(), 4, "{header:?}");
        }
    }
}
