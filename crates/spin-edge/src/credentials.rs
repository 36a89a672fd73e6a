//! Credential checks shared by every service.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Whether `presented` is the internal key, compared in constant time.
/// Both sides are hashed first so the comparison also hides the key's length.
/// An empty configured key never matches: a missing secret must not open the door.
pub fn internal_key_matches(presented: Option<&str>, expected: &str) -> bool {
    let Some(presented) = presented else {
        return false;
    };
    if expected.is_empty() {
        return false;
    }
    let presented = Sha256::digest(presented.as_bytes());
    let expected = Sha256::digest(expected.as_bytes());
    presented.ct_eq(&expected).into()
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub fn bearer_token(authorization: Option<&str>) -> Option<&str> {
    let value = authorization?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_key_must_match_exactly() {
        assert!(internal_key_matches(Some("s3cret"), "s3cret"));
        assert!(!internal_key_matches(Some("s3cret "), "s3cret"));
        assert!(!internal_key_matches(Some("S3CRET"), "s3cret"));
        assert!(!internal_key_matches(None, "s3cret"));
    }

    #[test]
    fn an_unset_internal_key_matches_nothing() {
        assert!(!internal_key_matches(Some(""), ""));
    }

    #[test]
    fn bearer_tokens_are_extracted() {
        assert_eq!(bearer_token(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(Some("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(Some("Basic abc")), None);
        assert_eq!(bearer_token(Some("Bearer")), None);
        assert_eq!(bearer_token(Some("Bearer ")), None);
        assert_eq!(bearer_token(None), None);
    }
}
