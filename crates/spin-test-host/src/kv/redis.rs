//! Spin's Redis key-value backend (`type = "redis"`), reproduced by sending
//! the same commands through the same client library (redis 0.32), so the
//! replies — and their quirks — are Spin's:
//! - `increment` is `INCRBY`: counters are ASCII decimal, and a value that
//!   is not an integer is a store error;
//! - compare-and-swap opens a new connection, `current` is `WATCH` + `GET`,
//!   and `swap` is `MULTI`/`SET`/`EXEC` followed by `UNWATCH <key>`; Redis
//!   rejects `UNWATCH` with an argument, so every swap writes and then
//!   reports `cas-failed`;
//! - `get_many` sends `KEYS k1 k2 …`, which Redis only accepts with one
//!   argument, and the client panics on the reply when that key exists.

use anyhow::anyhow;
use redis::AsyncCommands as _;
use redis::aio::ConnectionManager;

use super::{Failure, KvError, KvResult, SwapFailure, other};

/// Bounded waits for a server that has gone away: the client's defaults
/// wait without limit for a reply and retry reconnects at length, which
/// would hang a request instead of failing it. A store error is what the
/// guest must see then (its health check answers 503).
fn manager_config() -> redis::aio::ConnectionManagerConfig {
    redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(std::time::Duration::from_secs(2))
        .set_response_timeout(std::time::Duration::from_secs(2))
        .set_number_of_retries(2)
}

/// A reply, or a store error once [`REPLY_WAIT`] has passed.
async fn bounded<T>(call: impl Future<Output = redis::RedisResult<T>>) -> KvResult<T> {
    match tokio::time::timeout(REPLY_WAIT, call).await {
        Ok(reply) => Ok(reply.map_err(other)?),
        Err(_) => Err(KvError::Other("the Redis server did not answer in time".into()).into()),
    }
}

/// How long one command may wait for the server.
const REPLY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// One label's Redis server.
pub struct RedisManager {
    url: url::Url,
    conn: tokio::sync::Mutex<Option<ConnectionManager>>,
    closed: std::sync::atomic::AtomicBool,
}

impl RedisManager {
    /// Checks the URL now (Spin: "Invalid Redis URL"); connects on first use.
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let url =
            redis::parse_redis_url(url).ok_or_else(|| anyhow!("{url:?} is not a Redis URL"))?;
        Ok(Self {
            url,
            conn: tokio::sync::Mutex::new(None),
            closed: Default::default(),
        })
    }

    pub fn summary(&self) -> String {
        let host = self.url.host_str().unwrap_or("?");
        let port = self.url.port().unwrap_or(6379);
        format!("Redis at {host}:{port}")
    }

    /// A handle on the shared connection, connecting if needed. Like Spin,
    /// a failed first connection is an error for this open only, and a
    /// failed `PING` afterwards is ignored (the manager reconnects).
    pub async fn open(&self) -> KvResult<RedisStore> {
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(KvError::Other("the app was shut down".into()).into());
        }
        let mut guard = self.conn.lock().await;
        let conn = match &*guard {
            Some(c) => c.clone(),
            None => {
                let client = redis::Client::open(self.url.clone()).map_err(other)?;
                let c =
                    bounded(client.get_connection_manager_with_config(manager_config())).await?;
                *guard = Some(c.clone());
                c
            }
        };
        drop(guard);
        let _ = bounded(redis::cmd("PING").query_async::<()>(&mut conn.clone())).await;
        Ok(RedisStore {
            conn,
            url: self.url.clone(),
        })
    }

    pub fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut guard) = self.conn.try_lock() {
            *guard = None;
        }
    }
}

/// An open store.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    url: url::Url,
}

impl RedisStore {
    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    pub async fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        bounded(self.conn().get(key)).await
    }

    pub async fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        bounded(self.conn().set(key, value)).await
    }

    pub async fn delete(&self, key: &str) -> KvResult<()> {
        bounded(self.conn().del(key)).await
    }

    pub async fn exists(&self, key: &str) -> KvResult<bool> {
        bounded(self.conn().exists(key)).await
    }

    pub async fn get_keys(&self) -> KvResult<Vec<String>> {
        bounded(self.conn().keys("*")).await
    }

    pub async fn get_many(&self, keys: Vec<String>) -> KvResult<Vec<(String, Option<Vec<u8>>)>> {
        // Spin sends `KEYS` here (not `MGET`). With one existing key the
        // reply `["key"]` makes the client panic while parsing it into
        // pairs, which in Spin kills the request: run it where a panic can
        // be caught and turned into a trap.
        let mut conn = self.conn();
        let call =
            tokio::spawn(async move { conn.keys::<_, Vec<(String, Option<Vec<u8>>)>>(keys).await });
        match call.await {
            Ok(reply) => Ok(reply.map_err(other)?),
            Err(e) if e.is_panic() => Err(Failure::Trap(anyhow!(
                "the Redis client panicked parsing the reply to `KEYS` for get-many \
                 (Spin's host panics the same way)"
            ))),
            Err(e) => Err(Failure::Trap(anyhow!("get-many task failed: {e}"))),
        }
    }

    pub async fn set_many(&self, key_values: Vec<(String, Vec<u8>)>) -> KvResult<()> {
        bounded(self.conn().mset(&key_values)).await
    }

    pub async fn delete_many(&self, keys: Vec<String>) -> KvResult<()> {
        bounded(self.conn().del(keys)).await
    }

    pub async fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        bounded(self.conn().incr(key, delta)).await
    }

    /// A CAS gets its own connection, since `WATCH` is per connection.
    pub async fn new_cas(&self, key: &str) -> KvResult<RedisCas> {
        let client = redis::Client::open(self.url.clone()).map_err(other)?;
        let conn = bounded(client.get_connection_manager_with_config(manager_config())).await?;
        Ok(RedisCas {
            key: key.to_string(),
            conn,
        })
    }
}

/// A compare-and-swap on one key.
pub struct RedisCas {
    key: String,
    conn: ConnectionManager,
}

impl RedisCas {
    pub fn key(&self) -> &str {
        &self.key
    }

    pub async fn current(&mut self) -> KvResult<Option<Vec<u8>>> {
        redis::cmd("WATCH")
            .arg(&self.key)
            .exec_async(&mut self.conn.clone())
            .await
            .map_err(other)?;
        Ok(self.conn.clone().get(&self.key).await.map_err(other)?)
    }

    pub async fn swap(&mut self, value: Vec<u8>) -> Result<(), SwapFailure> {
        let res: Result<(), redis::RedisError> = redis::pipe()
            .atomic()
            .set(&self.key, value)
            .query_async(&mut self.conn.clone())
            .await;
        redis::cmd("UNWATCH")
            .arg(&self.key)
            .exec_async(&mut self.conn.clone())
            .await
            .map_err(|_| SwapFailure::CasFailed)?;
        res.map_err(|_| SwapFailure::CasFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::RedisServer;

    async fn store(server: &RedisServer) -> RedisStore {
        let manager = RedisManager::new(&format!("{}/0", server.url())).unwrap();
        match manager.open().await {
            Ok(s) => s,
            Err(e) => panic!("open: {e:?}"),
        }
    }

    fn server() -> RedisServer {
        RedisServer::start().unwrap_or_else(|e| panic!("these tests need redis-server: {e:#}"))
    }

    #[tokio::test]
    async fn counters_are_ascii_decimal() {
        let server = server();
        let s = store(&server).await;
        assert_eq!(s.increment("c", 1).await.unwrap(), 1);
        assert_eq!(s.increment("c", 41).await.unwrap(), 42);
        assert_eq!(s.get("c").await.unwrap().as_deref(), Some(&b"42"[..]));
        // A non-integer value is a store error for the guest, not a trap.
        s.set("text", b"abc").await.unwrap();
        assert!(matches!(
            s.increment("text", 1).await,
            Err(Failure::Guest(_))
        ));
    }

    #[tokio::test]
    async fn swap_writes_and_then_reports_cas_failed() {
        let server = server();
        let s = store(&server).await;
        s.set("k", b"old").await.unwrap();
        let mut cas = s.new_cas("k").await.unwrap();
        assert_eq!(cas.current().await.unwrap().as_deref(), Some(&b"old"[..]));
        assert!(matches!(
            cas.swap(b"new".to_vec()).await,
            Err(SwapFailure::CasFailed)
        ));
        assert_eq!(s.get("k").await.unwrap().as_deref(), Some(&b"new"[..]));
    }

    #[tokio::test]
    async fn basic_operations_and_batches() {
        let server = server();
        let s = store(&server).await;
        assert_eq!(s.get("k").await.unwrap(), None);
        s.set("k", b"v").await.unwrap();
        assert!(s.exists("k").await.unwrap());
        assert_eq!(s.get_keys().await.unwrap(), ["k"]);
        s.delete("k").await.unwrap();
        assert!(!s.exists("k").await.unwrap());

        s.set_many(vec![
            ("a".into(), b"1".to_vec()),
            ("b".into(), b"2".to_vec()),
        ])
        .await
        .unwrap();
        assert_eq!(s.get("b").await.unwrap().as_deref(), Some(&b"2"[..]));
        // Spin sends `KEYS a b` for get-many: Redis rejects several keys.
        assert!(matches!(
            s.get_many(vec!["a".into(), "b".into()]).await,
            Err(Failure::Guest(_))
        ));
        assert_eq!(s.get_many(vec!["missing".into()]).await.unwrap(), []);
        // One key that exists: the client panics on the reply (a trap).
        assert!(matches!(
            s.get_many(vec!["a".into()]).await,
            Err(Failure::Trap(_))
        ));
        s.delete_many(vec!["a".into(), "b".into()]).await.unwrap();
        assert!(s.get_keys().await.unwrap().is_empty());
    }

    #[test]
    fn bad_urls_are_rejected_up_front() {
        assert!(RedisManager::new("http://127.0.0.1:6379").is_err());
        assert!(RedisManager::new("redis://127.0.0.1:6379/2").is_ok());
    }
}
