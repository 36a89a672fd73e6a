//! Reading a request body with the contract's 64 KiB limit enforced before
//! anything is buffered: a declared `Content-Length` over the limit is
//! refused without reading a byte, and a body without one (chunked) is read
//! at most to the limit + 1 byte, which is enough to know it is too large;
//! and all of it must arrive within [`BODY_WAIT`].

use crate::pause;
use crate::streams::{self, ReadStop};
use spin_sdk::http::IncomingRequest;
use std::time::Duration;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a client has to send its whole body. The host waits as long as
/// the client keeps the connection open; a client that promised a body and
/// stopped sending would hold the instance as long. 64 KiB in 10 s is
/// 6.5 KB/s.
pub const BODY_WAIT: Duration = Duration::from_secs(10);

/// Why no body came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Over the limit, declared or read.
    TooLarge,
    /// Not all of it arrived within [`BODY_WAIT`].
    TooSlow,
    /// The client went away or sent a broken body.
    Unreadable(String),
}

/// The whole body of `request`, at most `limit` bytes, within [`BODY_WAIT`].
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
    let deadline = pause::timer(BODY_WAIT);
    let unreadable = |reason: &str| BodyError::Unreadable(reason.to_owned());
    let body = request
        .consume()
        .map_err(|()| unreadable("request body already taken"))?;
    let read = {
        let stream = body
            .stream()
            .map_err(|()| unreadable("request body stream unavailable"))?;
        streams::read_to_end(&stream, &deadline, limit)
    };
    drop(body);
    read.map_err(|stop| match stop {
        ReadStop::OverCap => BodyError::TooLarge,
        ReadStop::TimedOut => BodyError::TooSlow,
        ReadStop::Failed(cause) => BodyError::Unreadable(cause),
    })
}

/// Whether a declared `Content-Length` already rules the body out. A value
/// that does not parse is left to the read, which the limit bounds anyway.
fn declared_over(content_length: Option<&str>, limit: usize) -> bool {
    content_length
        .and_then(|value| value.trim().parse::<u64>().ok())
        .is_some_and(|length| length > limit as u64)
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
}
