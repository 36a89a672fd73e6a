//! Reading and writing WASI streams under a deadline. The blocking calls
//! wait for as long as the other side likes: a client that promises a body
//! and sends half of it, or a peer that stops reading, would hold the
//! instance (and its memory) with them. Every stream the services read or
//! write goes through here instead, polling the stream together with a
//! timer.

use wasi::io::poll::{Pollable, poll};
use wasi::io::streams::{InputStream, OutputStream, StreamError};

/// Why a read stopped before the end of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadStop {
    /// More than the cap arrived.
    OverCap,
    /// The deadline fired first.
    TimedOut,
    /// The stream broke (the other side went away, a protocol error).
    Failed(String),
}

/// Why a write did not go through whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteStop {
    TimedOut,
    Failed(String),
}

/// Reads `stream` to its end, at most `cap` bytes, unless `deadline` fires
/// first.
pub fn read_to_end(
    stream: &InputStream,
    deadline: &Pollable,
    cap: usize,
) -> Result<Vec<u8>, ReadStop> {
    let readable = stream.subscribe();
    let mut capped = Capped::new(cap);
    loop {
        match stream.read(capped.wanted()) {
            Ok(chunk) if chunk.is_empty() => {
                // Nothing buffered: wait for bytes or for the deadline.
                if waits_out(&readable, deadline) {
                    return Err(ReadStop::TimedOut);
                }
            }
            Ok(chunk) => capped.push(&chunk)?,
            Err(StreamError::Closed) => return Ok(capped.into_bytes()),
            Err(StreamError::LastOperationFailed(error)) => {
                return Err(ReadStop::Failed(first_line(&error.to_debug_string())));
            }
        }
    }
}

/// Writes all of `bytes` to `stream` and flushes it, unless `deadline`
/// fires first. Nothing to write is nothing to flush: a peer that needs no
/// body may have answered, and closed the stream, before a flush of none.
pub fn write_all(
    stream: &OutputStream,
    deadline: &Pollable,
    bytes: &[u8],
) -> Result<(), WriteStop> {
    if bytes.is_empty() {
        return Ok(());
    }
    let writable = stream.subscribe();
    let failed = |error: StreamError| match error {
        StreamError::Closed => WriteStop::Failed("stream closed".to_owned()),
        StreamError::LastOperationFailed(error) => {
            WriteStop::Failed(first_line(&error.to_debug_string()))
        }
    };
    let mut rest = bytes;
    while !rest.is_empty() {
        let room = stream.check_write().map_err(failed)?;
        if room == 0 {
            if waits_out(&writable, deadline) {
                return Err(WriteStop::TimedOut);
            }
            continue;
        }
        let (now, later) = rest.split_at(rest.len().min(room as usize));
        stream.write(now).map_err(failed)?;
        rest = later;
    }
    // All of it is with the host now. A stream closed from here on was
    // closed by the other side after taking it (a peer that has answered):
    // its answer tells how the exchange went, not this.
    match stream.flush() {
        Err(StreamError::Closed) => return Ok(()),
        flushed => flushed.map_err(failed)?,
    }
    // The flush is done when the stream can take writes again.
    loop {
        match stream.check_write() {
            Ok(0) => {
                if waits_out(&writable, deadline) {
                    return Err(WriteStop::TimedOut);
                }
            }
            Ok(_) | Err(StreamError::Closed) => return Ok(()),
            Err(error) => return Err(failed(error)),
        }
    }
}

/// Waits until `ready` or `deadline` is; says whether it was the deadline.
/// When both are, the stream wins: what it has is taken.
fn waits_out(ready: &Pollable, deadline: &Pollable) -> bool {
    let woke = poll(&[ready, deadline]);
    !woke.contains(&0)
}

/// A host error's debug text runs to a backtrace; its first line names it.
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}

/// Accumulates chunks and stops one byte past the cap, which is enough to
/// know the whole is too large.
struct Capped {
    bytes: Vec<u8>,
    cap: usize,
}

impl Capped {
    fn new(cap: usize) -> Self {
        Self {
            bytes: Vec::new(),
            cap,
        }
    }

    /// How much to ask the stream for: never more than one byte past the
    /// cap in total (and at least one, so the end of the stream shows).
    fn wanted(&self) -> u64 {
        (self.cap + 1).saturating_sub(self.bytes.len()).max(1) as u64
    }

    fn push(&mut self, chunk: &[u8]) -> Result<(), ReadStop> {
        self.bytes.extend_from_slice(chunk);
        if self.bytes.len() > self.cap {
            return Err(ReadStop::OverCap);
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
    fn reading_stops_one_byte_past_the_cap() {
        let mut body = Capped::new(10);
        assert_eq!(body.wanted(), 11);
        body.push(&[0; 6]).unwrap();
        assert_eq!(body.wanted(), 5);
        body.push(&[0; 4]).unwrap();
        assert_eq!(
            body.wanted(),
            1,
            "the cap itself is fine; one more byte is not"
        );
        assert_eq!(body.push(&[0]), Err(ReadStop::OverCap));
    }

    #[test]
    fn a_whole_of_exactly_the_cap_is_kept() {
        let mut body = Capped::new(4);
        body.push(b"ab").unwrap();
        body.push(b"cd").unwrap();
        assert_eq!(body.into_bytes(), b"abcd");
    }

    #[test]
    fn a_host_error_is_named_by_its_first_line() {
        let text = "ErrorCode::HttpProtocolError\nStack backtrace:\n   0: <unknown>";
        assert_eq!(first_line(text), "ErrorCode::HttpProtocolError");
        assert_eq!(first_line(""), "");
    }
}
