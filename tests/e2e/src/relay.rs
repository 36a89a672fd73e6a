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
use tokio::task::{JoinHandle, JoinSet};

/// Forwards each TCP connection it accepts to its current target; a
/// connection accepted with no target is closed. Stops on drop, and ends
/// the connections it forwards.
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
            // Owned by this task, so that aborting it ends every forwarded
            // connection too, not only the accepting.
            let mut connections = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                while connections.try_join_next().is_some() {}
                let Some(to) = *current.lock().expect("lock") else {
                    continue;
                };
                connections.spawn(async move {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    #[tokio::test]
    async fn dropping_the_relay_ends_the_connections_it_forwards() {
        let target = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay = Relay::start().await;
        relay.forward_to(target.local_addr().unwrap());

        let mut client = TcpStream::connect(relay.addr).await.unwrap();
        let (mut served, _) = target.accept().await.unwrap();
        client.write_all(b"ping").await.unwrap();
        let mut got = [0; 4];
        served.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"ping", "the connection is forwarded");

        drop(relay);
        // The target sees the forwarded connection end: a read of 0 bytes
        // (or a reset), not a wait for data that can no longer come.
        let read = tokio::time::timeout(Duration::from_secs(5), served.read(&mut got))
            .await
            .expect("the forwarded connection still open after the drop");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
}
