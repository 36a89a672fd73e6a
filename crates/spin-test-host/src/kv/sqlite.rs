//! Spin's SQLite key-value backend (`type = "spin"`), reproduced.
//!
//! Same schema and statements as Spin, so a database file is interchangeable
//! with one written by `spin up`. What Spin does and this file keeps:
//! - one connection per label under a mutex, opened on first use; every
//!   write is its own transaction;
//! - `increment` stores the counter as 8 bytes little-endian and treats
//!   anything else in the key as a bug: Spin panics while holding the
//!   connection's mutex, which poisons it, so that request dies and every
//!   later operation on the store panics too until restart. Here that is a
//!   trap and a "poisoned" store;
//! - compare-and-swap without a prior `current` — or on a key that did not
//!   exist at `current` — is an upsert, so it always succeeds;
//! - `get_many` returns only the keys that exist.

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, anyhow};
use rusqlite::{Connection, named_params};

use super::{Failure, KvError, KvResult, SwapFailure, other};

const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT(store, key) DO UPDATE SET value=$3";
const SELECT: &str = "SELECT value FROM spin_key_value WHERE store=$1 AND key=$2";

/// One label's database.
pub struct SqliteManager {
    /// `None`: in-memory.
    path: Option<PathBuf>,
    state: Mutex<DbState>,
}

enum DbState {
    Unopened,
    Open(Connection),
    /// A panic in Spin left the mutex poisoned: every operation fails.
    Poisoned(String),
    Closed,
}

impl SqliteManager {
    /// Creates the file's parent directory now, as Spin does when it reads
    /// the runtime config; the database itself is opened on first use.
    pub fn new(path: Option<PathBuf>) -> anyhow::Result<Self> {
        if let Some(parent) = path.as_ref().and_then(|p| p.parent())
            && !parent.as_os_str().is_empty()
            && !parent.exists()
        {
            std::fs::create_dir_all(parent).with_context(|| {
                format!(
                    "failed to create key value store's parent directory: '{}'",
                    parent.display()
                )
            })?;
        }
        Ok(Self {
            path,
            state: Mutex::new(DbState::Unopened),
        })
    }

    pub fn summary(&self) -> String {
        match &self.path {
            Some(p) => format!("{:?}", p.display().to_string()),
            None => "a temporary in-memory store".to_string(),
        }
    }

    /// Opens a handle for `label`, creating the connection if needed.
    pub async fn open(self: &Arc<Self>, label: &str) -> KvResult<SqliteStore> {
        let store = SqliteStore {
            db: self.clone(),
            label: label.to_string(),
        };
        store.run(|_, _| Ok(())).await?;
        Ok(store)
    }

    /// Drops the connection so the file is released.
    pub fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            *state = DbState::Closed;
        }
    }

    fn connect(&self) -> Result<Connection, KvError> {
        let conn = match &self.path {
            Some(p) => Connection::open(p),
            None => Connection::open_in_memory(),
        }
        .map_err(other)?;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                           store TEXT NOT NULL,
                           key   TEXT NOT NULL,
                           value BLOB NOT NULL,

                           PRIMARY KEY (store, key)
                        )",
            [],
        )
        .map_err(other)?;
        rusqlite::vtab::array::load_module(&conn).map_err(other)?;
        Ok(conn)
    }

    /// Runs `f` on the connection under the mutex. A trap poisons the store.
    fn lock<T>(&self, f: impl FnOnce(&mut Connection) -> KvResult<T>) -> KvResult<T> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| Failure::Trap(anyhow!("store mutex poisoned")))?;
        if matches!(*state, DbState::Unopened) {
            *state = DbState::Open(self.connect()?);
        }
        let conn = match &mut *state {
            DbState::Open(c) => c,
            DbState::Poisoned(why) => {
                return Err(Failure::Trap(anyhow!(
                    "this key-value store is unusable after an earlier panic ({why}); \
                     Spin poisons the store's connection the same way, until restart"
                )));
            }
            DbState::Closed => {
                return Err(KvError::Other("the app was shut down".into()).into());
            }
            DbState::Unopened => unreachable!(),
        };
        let result = f(conn);
        if let Err(Failure::Trap(e)) = &result {
            *state = DbState::Poisoned(format!("{e}"));
        }
        result
    }
}

/// An open store (a label on a database).
#[derive(Clone)]
pub struct SqliteStore {
    db: Arc<SqliteManager>,
    label: String,
}

impl SqliteStore {
    /// Runs `f` on a blocking thread: SQLite calls block.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection, &str) -> KvResult<T> + Send + 'static,
    ) -> KvResult<T> {
        let db = self.db.clone();
        let label = self.label.clone();
        tokio::task::spawn_blocking(move || db.lock(|c| f(c, &label)))
            .await
            .map_err(|e| Failure::Trap(anyhow!("key-value task failed: {e}")))?
    }

    pub async fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        let key = key.to_string();
        self.run(move |c, label| select(c, label, &key).map_err(Into::into))
            .await
    }

    pub async fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        let (key, value) = (key.to_string(), value.to_vec());
        self.run(move |c, label| {
            c.prepare_cached(UPSERT)
                .map_err(other)?
                .execute(rusqlite::params![label, key, value])
                .map_err(other)?;
            Ok(())
        })
        .await
    }

    pub async fn delete(&self, key: &str) -> KvResult<()> {
        let key = key.to_string();
        self.run(move |c, label| {
            c.prepare_cached("DELETE FROM spin_key_value WHERE store=$1 AND key=$2")
                .map_err(other)?
                .execute([label, &key])
                .map_err(other)?;
            Ok(())
        })
        .await
    }

    pub async fn exists(&self, key: &str) -> KvResult<bool> {
        let key = key.to_string();
        self.run(move |c, label| {
            Ok(
                c.prepare_cached("SELECT 1 FROM spin_key_value WHERE store=$1 AND key=$2 LIMIT 1")
                    .map_err(other)?
                    .exists([label, &key])
                    .map_err(other)?,
            )
        })
        .await
    }

    pub async fn get_keys(&self) -> KvResult<Vec<String>> {
        self.run(move |c, label| {
            let mut stmt = c
                .prepare_cached("SELECT key FROM spin_key_value WHERE store=$1")
                .map_err(other)?;
            let rows = stmt
                .query_map([label], |r| r.get::<_, String>(0))
                .map_err(other)?;
            Ok(rows.collect::<Result<_, _>>().map_err(other)?)
        })
        .await
    }

    pub async fn get_many(&self, keys: Vec<String>) -> KvResult<Vec<(String, Option<Vec<u8>>)>> {
        self.run(move |c, label| {
            let keys = Rc::new(keys.into_iter().map(rusqlite::types::Value::from).collect::<Vec<_>>());
            let mut stmt = c
                .prepare_cached(
                    "SELECT key, value FROM spin_key_value WHERE store=:name AND key IN rarray(:keys)",
                )
                .map_err(other)?;
            let rows = stmt
                .query_map(named_params! {":name": label, ":keys": keys}, |row| {
                    <(String, Option<Vec<u8>>)>::try_from(row)
                })
                .map_err(other)?;
            Ok(rows.collect::<Result<_, _>>().map_err(other)?)
        })
        .await
    }

    pub async fn set_many(&self, key_values: Vec<(String, Vec<u8>)>) -> KvResult<()> {
        self.run(move |c, label| {
            let tx = c.transaction().map_err(other)?;
            for (key, value) in key_values {
                tx.prepare_cached(UPSERT)
                    .map_err(other)?
                    .execute(rusqlite::params![label, key, value])
                    .map_err(other)?;
            }
            tx.commit().map_err(other)?;
            Ok(())
        })
        .await
    }

    pub async fn delete_many(&self, keys: Vec<String>) -> KvResult<()> {
        self.run(move |c, label| {
            let keys = Rc::new(
                keys.into_iter()
                    .map(rusqlite::types::Value::from)
                    .collect::<Vec<_>>(),
            );
            c.prepare_cached(
                "DELETE FROM spin_key_value WHERE store=:name AND key IN rarray(:keys)",
            )
            .map_err(other)?
            .execute(named_params! {":name": label, ":keys": keys})
            .map_err(other)?;
            Ok(())
        })
        .await
    }

    pub async fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        let key = key.to_string();
        self.run(move |c, label| {
            let tx = c.transaction().map_err(other)?;
            let current = select(&tx, label, &key)?;
            let numeric = match current {
                None => 0,
                Some(bytes) => match <[u8; 8]>::try_from(bytes) {
                    Ok(b) => i64::from_le_bytes(b),
                    // Spin: `v.try_into().expect("incorrect length")` — a
                    // host panic; the transaction rolls back.
                    Err(bytes) => {
                        return Err(Failure::Trap(anyhow!(
                            "key-value increment of {key:?}: the stored value is {} bytes, \
                             not an 8-byte little-endian counter (Spin panics: incorrect length: {bytes:?})",
                            bytes.len()
                        )));
                    }
                },
            };
            // Spin is built in release mode, where overflow wraps.
            let new_value = numeric.wrapping_add(delta);
            tx.prepare_cached(UPSERT)
                .map_err(other)?
                .execute(rusqlite::params![label, key, new_value.to_le_bytes()])
                .map_err(other)?;
            tx.commit().map_err(other)?;
            Ok(new_value)
        })
        .await
    }

    pub fn new_cas(&self, key: &str) -> SqliteCas {
        SqliteCas {
            store: self.clone(),
            key: key.to_string(),
            value: None,
        }
    }
}

fn select(c: &Connection, label: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
    c.prepare_cached(SELECT)
        .map_err(other)?
        .query_map([label, key], |row| row.get::<_, Vec<u8>>(0))
        .map_err(other)?
        .next()
        .transpose()
        .map_err(other)
}

/// A compare-and-swap on one key.
pub struct SqliteCas {
    store: SqliteStore,
    key: String,
    /// The value `current` saw; `None` also when `current` was never called.
    value: Option<Vec<u8>>,
}

impl SqliteCas {
    pub fn key(&self) -> &str {
        &self.key
    }

    pub async fn current(&mut self) -> KvResult<Option<Vec<u8>>> {
        let key = self.key.clone();
        let value = self
            .store
            .run(move |c, label| select(c, label, &key).map_err(Into::into))
            .await?;
        self.value.clone_from(&value);
        Ok(value)
    }

    pub async fn swap(&mut self, value: Vec<u8>) -> Result<(), SwapFailure> {
        let key = self.key.clone();
        let old = self.value.clone();
        let result = self
            .store
            .run(move |c, label| {
                let rows = match old {
                    Some(old) => c
                        .prepare_cached(
                            "UPDATE spin_key_value SET value=:new_value WHERE store=:name and key=:key and value=:old_value",
                        )
                        .map_err(other)?
                        .execute(named_params! {
                            ":name": label,
                            ":key": key,
                            ":old_value": old,
                            ":new_value": value,
                        })
                        .map_err(other)?,
                    // Nothing seen: insert, or overwrite whatever is there.
                    None => {
                        let tx = c.transaction().map_err(other)?;
                        let rows = tx
                            .prepare_cached(UPSERT)
                            .map_err(other)?
                            .execute(rusqlite::params![label, key, value])
                            .map_err(other)?;
                        tx.commit().map_err(other)?;
                        rows
                    }
                };
                Ok(rows)
            })
            .await;
        match result {
            Ok(1) => Ok(()),
            // Spin: "failed to update 1 row".
            Ok(_) => Err(SwapFailure::CasFailed),
            Err(Failure::Guest(KvError::Other(msg))) => Err(SwapFailure::Other(msg)),
            Err(Failure::Guest(e)) => Err(SwapFailure::Other(format!("{e:?}"))),
            Err(Failure::Trap(e)) => Err(SwapFailure::Trap(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> SqliteStore {
        SqliteStore {
            db: Arc::new(SqliteManager::new(None).unwrap()),
            label: "default".into(),
        }
    }

    fn is_trap<T: std::fmt::Debug>(r: KvResult<T>) -> bool {
        matches!(r, Err(Failure::Trap(_)))
    }

    #[tokio::test]
    async fn counters_are_8_byte_little_endian() {
        let s = memory();
        assert_eq!(s.increment("c", 1).await.unwrap(), 1);
        assert_eq!(s.increment("c", 2).await.unwrap(), 3);
        assert_eq!(s.increment("c", -10).await.unwrap(), -7);
        assert_eq!(
            s.get("c").await.unwrap(),
            Some((-7i64).to_le_bytes().to_vec())
        );
    }

    #[tokio::test]
    async fn increment_of_a_non_counter_traps_and_poisons_the_store() {
        let s = memory();
        s.set("c", b"12").await.unwrap();
        assert!(is_trap(s.increment("c", 1).await));
        // Spin's mutex is poisoned from then on: everything panics.
        assert!(is_trap(s.get("other").await));
        assert!(is_trap(s.set("x", b"1").await));
    }

    #[tokio::test]
    async fn eight_arbitrary_bytes_count_as_a_counter() {
        let s = memory();
        s.set("c", b"abcdefgh").await.unwrap();
        let n = s.increment("c", 1).await.unwrap();
        assert_eq!(n, i64::from_le_bytes(*b"abcdefgh") + 1);
    }

    #[tokio::test]
    async fn compare_and_swap_on_a_missing_key_is_an_upsert() {
        let s = memory();
        // Two "create if absent" attempts both succeed; the later one wins.
        let mut first = s.new_cas("claim");
        let mut second = s.new_cas("claim");
        assert_eq!(first.current().await.unwrap(), None);
        assert_eq!(second.current().await.unwrap(), None);
        first.swap(b"first".to_vec()).await.unwrap();
        second.swap(b"second".to_vec()).await.unwrap();
        assert_eq!(
            s.get("claim").await.unwrap().as_deref(),
            Some(&b"second"[..])
        );
        // Without `current` it overwrites whatever is there.
        s.new_cas("claim").swap(b"blind".to_vec()).await.unwrap();
        assert_eq!(
            s.get("claim").await.unwrap().as_deref(),
            Some(&b"blind"[..])
        );
    }

    #[tokio::test]
    async fn compare_and_swap_detects_a_change_of_an_existing_value() {
        let s = memory();
        s.set("k", b"a").await.unwrap();
        let mut cas = s.new_cas("k");
        assert_eq!(cas.current().await.unwrap().as_deref(), Some(&b"a"[..]));
        s.set("k", b"b").await.unwrap();
        assert!(matches!(
            cas.swap(b"c".to_vec()).await,
            Err(SwapFailure::CasFailed)
        ));
        let mut cas = s.new_cas("k");
        cas.current().await.unwrap();
        cas.swap(b"c".to_vec()).await.unwrap();
        assert_eq!(s.get("k").await.unwrap().as_deref(), Some(&b"c"[..]));
    }

    #[tokio::test]
    async fn batches_and_key_listing() {
        let s = memory();
        s.set_many(vec![
            ("a".into(), b"1".to_vec()),
            ("b".into(), b"2".to_vec()),
        ])
        .await
        .unwrap();
        let mut got = s
            .get_many(vec!["a".into(), "b".into(), "missing".into()])
            .await
            .unwrap();
        got.sort();
        // Only keys that exist come back.
        assert_eq!(
            got,
            [
                ("a".to_string(), Some(b"1".to_vec())),
                ("b".to_string(), Some(b"2".to_vec()))
            ]
        );
        let mut keys = s.get_keys().await.unwrap();
        keys.sort();
        assert_eq!(keys, ["a", "b"]);
        assert!(s.exists("a").await.unwrap());
        s.delete_many(vec!["a".into(), "b".into()]).await.unwrap();
        assert!(!s.exists("a").await.unwrap());
        assert!(s.get_keys().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn labels_share_a_file_but_not_keys_and_data_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/kv.db");
        let db = Arc::new(SqliteManager::new(Some(path.clone())).unwrap());
        let a = db.open("a").await.unwrap();
        let b = db.open("b").await.unwrap();
        a.set("k", b"from a").await.unwrap();
        assert_eq!(b.get("k").await.unwrap(), None);
        a.increment("n", 5).await.unwrap();
        db.close();
        assert!(matches!(a.get("k").await, Err(Failure::Guest(_))));

        // A new manager on the same file (a restarted app) sees the data.
        let again = Arc::new(SqliteManager::new(Some(path.clone())).unwrap());
        let a = again.open("a").await.unwrap();
        assert_eq!(a.get("k").await.unwrap().as_deref(), Some(&b"from a"[..]));
        assert_eq!(a.increment("n", 1).await.unwrap(), 6);

        // The file is Spin's schema, so `spin up` could read it too.
        let conn = Connection::open(&path).unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM spin_key_value WHERE store = 'a'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2);
    }
}
