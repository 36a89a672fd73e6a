//! A service address that exists before the instance behind it, as a
//! Kubernetes Service does: instances that must know each other's URLs
//! at start-up get this one, and the instance is put behind it later.
//!
//! Choosing a free port and passing it to `spin up --listen` races every
//! other process binding port 0 between the two; the relay's port stays
//! bound for the whole test.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Forwards each TCP connection it accepts to its current target; a
/// connection accepted with no target is closed. Stops on drop.
pub struct Relay {
    addr: SocketAddr,
    target: Arc<Mutex<Option<SocketAddr>>>,
    task: JoinHandle<()>,
}

impl Relay {
    pub async fn start() -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let target = Arc::new(Mutex::new(None));
        let current = target.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let Some(to) = *current.lock().expect("lock") else {
                    continue;
                };
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(to).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay { addr, target, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// New connections go to `to`; open ones stay where they are.
    pub fn forward_to(&self, to: SocketAddr) {
        *self.target.lock().expect("lock") = Some(to);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}
