//! One HTTP/1.1 request read off a socket, for the stand-in peers (webhook,
//! scripted peer, OTLP receiver): they need the request exactly as it came,
//! `Content-Length` or chunked, and nothing of a server framework.

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::peers::RecordedRequest;

/// Reads the next request on `stream`; `buf` carries bytes already read
/// past the previous one (keep-alive). `None` when the connection closes
/// before a request starts.
pub async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<RecordedRequest>> {
    let (head_len, mut request) = loop {
        if let Some(parsed) = parse_head(buf)? {
            break parsed;
        }
        if !read_more(stream, buf).await? {
            return Ok(None);
        }
    };
    buf.drain(..head_len);
    request.body = if request
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        read_chunked(stream, buf).await?
    } else {
        let len: usize = request
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < len {
            read_more_or_fail(stream, buf).await?;
        }
        buf.drain(..len).collect()
    };
    Ok(Some(request))
}

/// The request head at the start of `buf`, as a request without its body
/// yet, and the head's length; `None` while the head is incomplete.
fn parse_head(buf: &[u8]) -> std::io::Result<Option<(usize, RecordedRequest)>> {
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut head = httparse::Request::new(&mut slots);
    let len = match head.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
    };
    let headers = head
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let request = RecordedRequest {
        method: head.method.unwrap_or_default().to_owned(),
        path: head.path.unwrap_or_default().to_owned(),
        headers,
        body: Vec::new(),
    };
    Ok(Some((len, request)))
}

async fn read_chunked(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let (line_len, size) = loop {
            match httparse::parse_chunk_size(buf) {
                Ok(httparse::Status::Complete((len, size))) => break (len, size),
                Ok(httparse::Status::Partial) => read_more_or_fail(stream, buf).await?,
                Err(_) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "a bad chunk size line",
                    ));
                }
            }
        };
        let size = usize::try_from(size).expect("a chunk that fits in memory");
        buf.drain(..line_len);
        if size == 0 {
            // Trailers, if any, end with an empty line.
            loop {
                if let Some(i) = find(buf, b"\r\n") {
                    buf.drain(..i + 2);
                    if i == 0 {
                        return Ok(body);
                    }
                } else {
                    read_more_or_fail(stream, buf).await?;
                }
            }
        }
        while buf.len() < size + 2 {
            read_more_or_fail(stream, buf).await?;
        }
        body.extend_from_slice(&buf[..size]);
        buf.drain(..size + 2);
    }
}

/// Appends what the socket has; `false` when it is closed.
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut chunk = [0u8; 8192];
    let n = stream.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n > 0)
}

async fn read_more_or_fail(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<()> {
    if read_more(stream, buf).await? {
        Ok(())
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "peer closed mid-request",
        ))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_head_is_read_with_its_length() {
        let wire = b"POST /hook?x=1 HTTP/1.1\r\nHost: a\r\nX-Sig: v1\r\n\r\nbody";
        let (len, request) = parse_head(wire).unwrap().expect("a whole head");
        assert_eq!(&wire[len..], b"body");
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/hook?x=1")
        );
        assert_eq!(request.header("x-sig"), Some("v1"));
    }

    #[test]
    fn a_partial_head_waits_and_a_broken_one_is_an_error() {
        assert!(
            parse_head(b"POST /hook HTTP/1.1\r\nHost:")
                .unwrap()
                .is_none()
        );
        assert!(parse_head(b"POST /hook HTTP/1.1\r\nno colon here\r\n\r\n").is_err());
    }
}
