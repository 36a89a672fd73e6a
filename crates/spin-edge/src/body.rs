//! Reading a request body with the contract's 64 KiB limit enforced before
//! anything is buffered: a declared `Content-Length` over the limit is
//! refused without reading a byte, and a body without one (chunked) is read
//! at most to the limit + 1 byte, which is enough to know it is too large.

use spin_sdk::http::IncomingRequest;
use wasi::io::streams::StreamError;

/// Why no body came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Over the limit, declared or read.
    TooLarge,
    /// The client went away or sent a broken body.
    Unreadable(String),
}

/// The whole body of `request`, at most `limit` bytes.
pub fn read_capped(request: &IncomingRequest, limit: usize) -> Result<Vec<u8>, BodyError> {
    let declared = request
        .headers()
        .get("content-length")
        .into_iter()
        .next()
        .and_then(|value| String::from_utf8(value).ok());
    if declared_over(declared.as_deref(), limit) {
        return Err(BodyError::TooLarge);
    }
    let unreadable = |reason: &str| BodyError::Unreadable(reason.to_owned());
    let body = request
        .consume()
        .map_err(|()| unreadable("request body already taken"))?;
    let mut capped = CappedBody::new(limit);
    {
        let stream = body
            .stream()
            .map_err(|()| unreadable("request body stream unavailable"))?;
        loop {
            match stream.blocking_read(capped.wanted()) {
                Ok(chunk) => capped.push(&chunk)?,
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(error)) => {
                    return Err(BodyError::Unreadable(error.to_debug_string()));
                }
            }
        }
    }
    drop(body);
    Ok(capped.into_bytes())
}

/// Whether a declared `Content-Length` already rules the body out. A value
/// that does not parse is left to the read, which the limit bounds anyway.
fn declared_over(content_length: Option<&str>, limit: usize) -> bool {
    content_length
        .and_then(|value| value.trim().parse::<u64>().ok())
        .is_some_and(|length| length > limit as u64)
}

/// Accumulates chunks and stops one byte past the limit.
struct CappedBody {
    bytes: Vec<u8>,
    limit: usize,
}

impl CappedBody {
    fn new(limit: usize) -> Self {
        Self {
            bytes: Vec::new(),
            limit,
        }
    }

    /// How much to ask the stream for: never more than one byte past the
    /// limit in total (and at least one, so the end of the body shows).
    fn wanted(&self) -> u64 {
        (self.limit + 1).saturating_sub(self.bytes.len()).max(1) as u64
    }

    fn push(&mut self, chunk: &[u8]) -> Result<(), BodyError> {
        self.bytes.extend_from_slice(chunk);
        if self.bytes.len() > self.limit {
            return Err(BodyError::TooLarge);
        }
        Ok(())
    }

    fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_reading() {
        assert!(declared_over(Some("65537"), 65_536));
        assert!(declared_over(Some("1000000000"), 65_536));
        assert!(!declared_over(Some("65536"), 65_536));
        assert!(!declared_over(Some("0"), 65_536));
        assert!(!declared_over(None, 65_536));
        assert!(!declared_over(Some("not a number"), 65_536));
    }

    #[test]
    fn reading_stops_one_byte_past_the_limit() {
        let mut body = CappedBody::new(10);
        assert_eq!(body.wanted(), 11);
        body.push(&[0; 6]).unwrap();
        assert_eq!(body.wanted(), 5);
        body.push(&[0; 4]).unwrap();
        assert_eq!(
            body.wanted(),
            1,
            "the limit itself is fine; one more byte is not"
        );
        assert_eq!(body.push(&[0]), Err(BodyError::TooLarge));
    }

    #[test]
    fn a_body_of_exactly_the_limit_is_kept_whole() {
        let mut body = CappedBody::new(4);
        body.push(b"ab").unwrap();
        body.push(b"cd").unwrap();
        assert_eq!(body.into_bytes(), b"abcd");
    }
}
