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

/// Headers that mean one thing or nothing: sent more than once, which one
/// counts is up to each reader (a proxy may take the first, Spin's request
/// keeps the last), so none does.
const ONE_OR_NONE: [&str; 3] = ["authorization", "x-internal-key", "content-type"];

/// `headers` without any of [`ONE_OR_NONE`] that came more than once: an
/// ambiguous credential is no credential (`401` where one is needed), an
/// ambiguous body type no JSON (`415` where there is a body).
pub fn without_ambiguous(mut headers: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    let repeated: Vec<&str> = ONE_OR_NONE
        .into_iter()
        .filter(|name| {
            headers
                .iter()
                .filter(|(header, _)| header.eq_ignore_ascii_case(name))
                .count()
                > 1
        })
        .collect();
    if !repeated.is_empty() {
        headers.retain(|(header, _)| {
            !repeated
                .iter()
                .any(|name| header.eq_ignore_ascii_case(name))
        });
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(headers: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn a_credential_or_body_type_sent_twice_counts_as_none() {
        let sent = named(&[
            ("Authorization", "Bearer a"),
            ("authorization", "Bearer b"),
            ("X-Internal-Key", "k"),
            ("x-internal-key", "k"),
            ("content-type", "text/plain"),
            ("Content-Type", "application/json"),
            ("accept", "a"),
            ("accept", "b"),
        ]);
        assert_eq!(
            without_ambiguous(sent),
            named(&[("accept", "a"), ("accept", "b")])
        );
    }

    #[test]
    fn headers_sent_once_are_kept_as_they_are() {
        let sent = named(&[
            ("Authorization", "Bearer a"),
            ("x-internal-key", "k"),
            ("content-type", "application/json"),
        ]);
        assert_eq!(without_ambiguous(sent.clone()), sent);
    }

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
