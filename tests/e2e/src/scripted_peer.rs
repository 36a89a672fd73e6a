//! A stand-in receiver whose answer to each request a scenario decides
//! (by what the request carries), and can change while it runs: for the
//! outbox's dead letters and head-of-line scenarios.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::peers::RecordedRequest;

type Decide = dyn Fn(&RecordedRequest) -> u16 + Send + Sync;

/// Answers every request with the status its current rule gives (an empty
/// JSON object as the body), recording each; stops on drop.
pub struct ScriptedPeer {
    pub addr: SocketAddr,
    rule: Arc<Mutex<Arc<Decide>>>,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    task: JoinHandle<()>,
}

impl ScriptedPeer {
    pub async fn start(rule: impl Fn(&RecordedRequest) -> u16 + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let rule: Arc<Mutex<Arc<Decide>>> = Arc::new(Mutex::new(Arc::new(rule)));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (task_rule, seen) = (rule.clone(), requests.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (rule, seen) = (task_rule.clone(), seen.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, rule, seen).await;
                });
            }
        });
        Self {
            addr,
            rule,
            requests,
            task,
        }
    }

    /// From now on, answer by `rule`.
    pub fn answer(&self, rule: impl Fn(&RecordedRequest) -> u16 + Send + Sync + 'static) {
        *self.rule.lock().expect("lock") = Arc::new(rule);
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().expect("lock").clone()
    }
}

impl Drop for ScriptedPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    rule: Arc<Mutex<Arc<Decide>>>,
    seen: Arc<Mutex<Vec<RecordedRequest>>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
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
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        // Spin's outbound client sends bodies chunked.
        let body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            let mut body = Vec::new();
            loop {
                let line_end = loop {
                    if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                        break i;
                    }
                    read_more(&mut stream, &mut buf).await?;
                };
                let size_line = String::from_utf8_lossy(&buf[..line_end]).to_string();
                let size =
                    usize::from_str_radix(size_line.split(';').next().unwrap_or("0").trim(), 16)
                        .unwrap_or(0);
                buf.drain(..line_end + 2);
                if size == 0 {
                    // No trailers from our client: just the closing line.
                    while buf.len() < 2 {
                        read_more(&mut stream, &mut buf).await?;
                    }
                    buf.drain(..2);
                    break;
                }
                while buf.len() < size + 2 {
                    read_more(&mut stream, &mut buf).await?;
                }
                body.extend_from_slice(&buf[..size]);
                buf.drain(..size + 2);
            }
            body
        } else {
            let len: usize = header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            while buf.len() < len {
                read_more(&mut stream, &mut buf).await?;
            }
            buf.drain(..len).collect()
        };
        let request = RecordedRequest {
            method,
            path,
            headers,
            body,
        };
        let decide = rule.lock().expect("lock").clone();
        let status = decide(&request);
        seen.lock().expect("lock").push(request);
        let body = b"{}";
        let response = format!(
            "HTTP/1.1 {status} Scripted\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(response.as_bytes()).await?;
        stream.write_all(body).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}
