//! Stand-ins for the world outside the app: a closed port, a peer that
//! never answers, one that never finishes its answer, and a webhook
//! receiver.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

use crate::http_wire::read_request;

/// A loopback port that refuses connections: bound, so no other process
/// can take it while this lives, but not listening.
pub struct ClosedPort {
    socket: TcpSocket,
}

impl ClosedPort {
    pub fn bind() -> ClosedPort {
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind");
        ClosedPort { socket }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.socket.local_addr().expect("addr"))
    }
}

/// Accepts TCP connections and never answers; counts them and notes when
/// the other side closes each; stops on drop.
pub struct HangingPeer {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    closed: Arc<Mutex<Vec<Instant>>>,
    task: JoinHandle<()>,
}

impl HangingPeer {
    pub async fn start() -> HangingPeer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let connections = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(Mutex::new(Vec::new()));
        let (counted, noted) = (connections.clone(), closed.clone());
        let task = tokio::spawn(async move {
            let mut held = tokio::task::JoinSet::new();
            while let Ok((mut stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let noted = noted.clone();
                // Read what is sent and never answer: the peer is alive but
                // silent, until the other side gives up and closes.
                held.spawn(async move {
                    let mut buf = [0u8; 4096];
                    while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
                    noted.lock().unwrap().push(Instant::now());
                });
            }
        });
        HangingPeer {
            addr,
            connections,
            closed,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted so far: whether anything ever waited on it.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// When the other side first closed a connection, if it has.
    pub fn first_closed(&self) -> Option<Instant> {
        self.closed.lock().unwrap().iter().min().copied()
    }
}

impl Drop for HangingPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Answers every request `200` at once, then sends its (long) body one
/// byte every 200 ms: a peer that never goes silent long enough to trip a
/// between-bytes timeout, and never finishes. Counts the requests it got;
/// stops on drop.
pub struct TricklingPeer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<usize>>,
    task: JoinHandle<()>,
}

impl TricklingPeer {
    pub async fn start() -> TricklingPeer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = Arc::new(Mutex::new(0));
        let seen = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                *seen.lock().expect("lock") += 1;
                tokio::spawn(async move {
                    let mut head = [0u8; 4096];
                    let _ = stream.read(&mut head).await;
                    let _ = stream
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                              content-length: 1000000\r\n\r\n",
                        )
                        .await;
                    for _ in 0..1_000_000 {
                        if stream.write_all(b" ").await.is_err() {
                            return;
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    }
                });
            }
        });
        TricklingPeer {
            addr,
            requests,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn request_count(&self) -> usize {
        *self.requests.lock().expect("lock")
    }
}

impl Drop for TricklingPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One request as the webhook server saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "webhook body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// A minimal HTTP/1.1 server answering with the given statuses in turn (the
/// last one repeats), recording every request; stops on drop.
pub struct WebhookServer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    task: JoinHandle<()>,
}

impl WebhookServer {
    pub async fn start(statuses: Vec<u16>) -> WebhookServer {
        Self::answering(statuses, "", "{}").await
    }

    /// Like [`WebhookServer::start`], with `extra_head` (header lines, each
    /// ending in CRLF) and `body` in every answer: a stand-in for an API
    /// whose answer says something.
    pub async fn answering(statuses: Vec<u16>, extra_head: &str, body: &str) -> WebhookServer {
        Self::answering_after(statuses, extra_head, body, Duration::ZERO).await
    }

    /// Like [`WebhookServer::start`], each answer sent `delay` after its
    /// request arrived: a receiver slow enough that requests racing the
    /// delivery surely meet it in progress.
    pub async fn slow(statuses: Vec<u16>, delay: Duration) -> WebhookServer {
        Self::answering_after(statuses, "", "{}", delay).await
    }

    async fn answering_after(
        statuses: Vec<u16>,
        extra_head: &str,
        body: &str,
        delay: Duration,
    ) -> WebhookServer {
        assert!(!statuses.is_empty());
        let answer = Arc::new((extra_head.to_owned(), body.to_owned(), delay));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = seen.clone();
                let statuses = statuses.clone();
                let answer = answer.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, seen, statuses, &answer).await;
                });
            }
        });
        WebhookServer {
            addr,
            requests,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// `scheme://host:port` of [`WebhookServer::url`], for `webhook_origin`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().expect("lock").clone()
    }
}

impl Drop for WebhookServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    seen: Arc<Mutex<Vec<RecordedRequest>>>,
    statuses: Vec<u16>,
    (extra_head, body, delay): &(String, String, Duration),
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let Some(request) = read_request(&mut stream, &mut buf).await? else {
        return Ok(());
    };
    let status = {
        let mut seen = seen.lock().expect("lock");
        seen.push(request);
        statuses[(seen.len() - 1).min(statuses.len() - 1)]
    };
    tokio::time::sleep(*delay).await;
    let reply = format!(
        "HTTP/1.1 {status} Status\r\n{extra_head}content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(reply.as_bytes()).await?;
    stream.flush().await
}
