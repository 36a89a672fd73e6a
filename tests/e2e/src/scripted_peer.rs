//! A stand-in receiver whose answer to each request a scenario decides
//! (by what the request carries), and can change while it runs: for the
//! outbox's dead letters and head-of-line scenarios.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::http_wire::read_request;
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
    while let Some(request) = read_request(&mut stream, &mut buf).await? {
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
    Ok(())
}
