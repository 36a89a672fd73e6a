//! What reqwest cannot do: a raw HTTP/1.1 exchange over TCP that sends only
//! part of a request (headers without the promised body, a chunked body
//! without its end) and reads whatever the server answers meanwhile, or
//! sends a whole body the server may refuse before taking it.

use std::io::{BufRead as _, BufReader, ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::reply::Reply;

/// The status line and body of a response read from a raw connection.
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// Sends `head` (request line and headers, ending with an empty line) and
/// then `body` on a fresh connection to `addr`, and reads the answer
/// (waiting at most `wait`). `body` may be all of what the head promises or
/// only part of it. A server that refuses a body by its headers answers and
/// closes while the body is still going out; a client library then reports
/// the failed write and drops the answer that had arrived. This one stops
/// writing at the first error and reads the answer.
pub fn raw_request(addr: SocketAddr, head: &str, body: &[u8], wait: Duration) -> RawReply {
    read_reply(send(addr, head, body, wait))
}

/// Sends an unfinished request as [`raw_request`] does and says whether the server is still
/// waiting for the rest after `wait`: no byte of an answer, and the
/// connection still open.
pub fn still_waiting(addr: SocketAddr, head: &str, body_part: &[u8], wait: Duration) -> bool {
    let mut stream = send(addr, head, body_part, wait);
    // Any byte read is an answer; zero bytes, a closed connection.
    stream
        .read(&mut [0; 1])
        .is_err_and(|e| matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut))
}

fn send(addr: SocketAddr, head: &str, body: &[u8], wait: Duration) -> TcpStream {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    stream.set_read_timeout(Some(wait)).expect("read timeout");
    // A server that neither reads nor closes must not block the write forever.
    stream.set_write_timeout(Some(wait)).expect("write timeout");
    stream.write_all(head.as_bytes()).expect("send the head");
    // The server may answer and close before taking all of this: fine.
    let _ = stream.write_all(body);
    stream
}

impl RawReply {
    /// The answer as a [`Reply`], for the assertions every answer gets.
    pub fn into_reply(self) -> Reply {
        let mut headers = HeaderMap::new();
        for line in self.head.lines().skip(1) {
            let (name, value) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("not a header line: {line:?}"));
            headers.append(
                HeaderName::from_bytes(name.trim().as_bytes()).expect("a header name"),
                HeaderValue::from_str(value.trim()).expect("a header value"),
            );
        }
        Reply::new(self.status, headers, self.body)
    }
}

fn read_reply(stream: TcpStream) -> RawReply {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        let n = reader
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("no answer while the request was unfinished: {e}"));
        if n == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {head:?}"));
    let lower = head.to_ascii_lowercase();
    let body = if let Some(length) = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("the body");
        body
    } else if lower.contains("transfer-encoding: chunked") {
        let mut body = Vec::new();
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).expect("chunk size");
            let size = usize::from_str_radix(size.trim(), 16).expect("hex chunk size");
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).expect("chunk");
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
        body
    } else {
        Vec::new()
    };
    RawReply {
        status,
        head,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}
