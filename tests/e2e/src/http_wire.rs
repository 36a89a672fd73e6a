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
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        if !read_more(stream, buf).await? {
            return Ok(None);
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let mut request = RecordedRequest {
        method,
        path,
        headers,
        body: Vec::new(),
    };
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

async fn read_chunked(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(i) = find(buf, b"\r\n") {
                break i;
            }
            read_more_or_fail(stream, buf).await?;
        };
        let size_line = String::from_utf8_lossy(&buf[..line_end]).to_string();
        let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        buf.drain(..line_end + 2);
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
