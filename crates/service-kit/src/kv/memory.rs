//! An in-memory [`KeyValueStore`] that behaves like Spin's stores where it
//! matters to correctness: `increment` is atomic, counters use the chosen
//! backend's encoding, incrementing a plain value fails, and the
//! compare-and-swap it offers (outside the port) reproduces Spin's traps.

use super::{KeyValueStore, StoreError, decode_counter};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// How `increment` stores counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterEncoding {
    /// Spin's SQLite store: 8 bytes little-endian.
    LittleEndian,
    /// Spin's Redis store (`INCRBY`): ASCII decimal.
    Decimal,
}

/// What Spin's compare-and-swap reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CasOutcome {
    Swapped,
    Failed,
}

#[derive(Debug)]
pub struct InMemoryStore {
    entries: Mutex<HashMap<String, Vec<u8>>>,
    encoding: CounterEncoding,
    failing: AtomicBool,
    writes: AtomicU64,
}

impl Default for InMemoryStore {
    fn default() -> Self {
        Self::sqlite_like()
    }
}

impl InMemoryStore {
    pub fn sqlite_like() -> Self {
        Self::with_encoding(CounterEncoding::LittleEndian)
    }

    pub fn redis_like() -> Self {
        Self::with_encoding(CounterEncoding::Decimal)
    }

    fn with_encoding(encoding: CounterEncoding) -> Self {
        Self {
            entries: Mutex::default(),
            encoding,
            failing: AtomicBool::new(false),
            writes: AtomicU64::new(0),
        }
    }

    /// From now on every operation fails as an unreachable backend would.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Write operations so far (`set_many` counts once, as it is one
    /// transaction on SQLite): lets tests pin how many writes a path costs.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn keys(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Spin's compare-and-swap, with its traps, for tests that show why the
    /// port does not offer it. On SQLite, a swap that expected the key to be
    /// missing is an upsert: it succeeds even if a racer created the key in
    /// between. On Redis the value is written and failure reported anyway.
    pub fn compare_and_swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> CasOutcome {
        let mut entries = self.lock();
        match self.encoding {
            CounterEncoding::LittleEndian => {
                let swapped = match expected {
                    None => true,
                    Some(expected) => entries.get(key).is_some_and(|current| current == expected),
                };
                if swapped {
                    entries.insert(key.to_owned(), new.to_vec());
                    CasOutcome::Swapped
                } else {
                    CasOutcome::Failed
                }
            }
            CounterEncoding::Decimal => {
                entries.insert(key.to_owned(), new.to_vec());
                CasOutcome::Failed
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Vec<u8>>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn reachable(&self) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable(
                "store switched off by the test".to_owned(),
            ))
        } else {
            Ok(())
        }
    }

    fn count_write(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }

    fn encode(&self, value: i64) -> Vec<u8> {
        match self.encoding {
            CounterEncoding::LittleEndian => value.to_le_bytes().to_vec(),
            CounterEncoding::Decimal => value.to_string().into_bytes(),
        }
    }

    fn decode(&self, key: &str, bytes: &[u8]) -> Result<i64, StoreError> {
        match self.encoding {
            // Spin's SQLite store accepts only its own 8-byte encoding here.
            CounterEncoding::LittleEndian => {
                bytes
                    .try_into()
                    .map(i64::from_le_bytes)
                    .map_err(|_| StoreError::NotACounter {
                        key: key.to_owned(),
                    })
            }
            CounterEncoding::Decimal => decode_counter(key, bytes),
        }
    }
}

impl KeyValueStore for InMemoryStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.reachable()?;
        Ok(self.lock().get(key).cloned())
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.reachable()?;
        let entries = self.lock();
        Ok(keys.iter().map(|key| entries.get(key).cloned()).collect())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.reachable()?;
        self.count_write();
        self.lock().insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn set_many(&self, new_entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.reachable()?;
        self.count_write();
        let mut entries = self.lock();
        for (key, value) in new_entries {
            entries.insert(key.clone(), value.clone());
        }
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.reachable()?;
        self.count_write();
        self.lock().remove(key);
        Ok(())
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.reachable()?;
        self.count_write();
        let mut entries = self.lock();
        for key in keys {
            entries.remove(key);
        }
        Ok(())
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.reachable()?;
        self.count_write();
        let mut entries = self.lock();
        let current = match entries.get(key) {
            None => 0,
            Some(bytes) => self.decode(key, bytes)?,
        };
        let next = current + delta;
        entries.insert(key.to_owned(), self.encode(next));
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn increments_from_many_threads_are_exact() {
        for store in [InMemoryStore::sqlite_like(), InMemoryStore::redis_like()] {
            let store = Arc::new(store);
            let threads: Vec<_> = (0..16)
                .map(|_| {
                    let store = Arc::clone(&store);
                    thread::spawn(move || {
                        for _ in 0..250 {
                            store.increment("hits", 1).unwrap();
                        }
                    })
                })
                .collect();
            threads.into_iter().for_each(|t| t.join().unwrap());
            assert_eq!(store.counter("hits"), Ok(4000));
        }
    }

    #[test]
    fn counters_use_the_backend_encoding() {
        let sqlite = InMemoryStore::sqlite_like();
        sqlite.increment("c", 7).unwrap();
        assert_eq!(sqlite.get("c").unwrap(), Some(7i64.to_le_bytes().to_vec()));
        let redis = InMemoryStore::redis_like();
        redis.increment("c", 7).unwrap();
        assert_eq!(redis.get("c").unwrap(), Some(b"7".to_vec()));
        assert_eq!(redis.counters(&["c".into(), "none".into()]), Ok(vec![7, 0]));
    }

    #[test]
    fn incrementing_a_plain_value_fails() {
        let store = InMemoryStore::sqlite_like();
        store.set("k", b"hello").unwrap();
        assert!(matches!(
            store.increment("k", 1),
            Err(StoreError::NotACounter { .. })
        ));
    }

    #[test]
    fn a_cas_claim_of_a_missing_key_lets_every_racer_win_on_sqlite() {
        let store = InMemoryStore::sqlite_like();
        // Both racers saw the key missing and swap expecting it still is.
        assert_eq!(
            store.compare_and_swap("user:alice", None, b"first"),
            CasOutcome::Swapped
        );
        assert_eq!(
            store.compare_and_swap("user:alice", None, b"second"),
            CasOutcome::Swapped
        );
        assert_eq!(store.get("user:alice").unwrap(), Some(b"second".to_vec()));
        // Increment has no such gap: exactly one caller sees 1.
        assert_eq!(store.increment("claim:alice", 1), Ok(1));
        assert_eq!(store.increment("claim:alice", 1), Ok(2));
    }

    #[test]
    fn cas_on_redis_writes_and_still_reports_failure() {
        let store = InMemoryStore::redis_like();
        assert_eq!(store.compare_and_swap("k", None, b"v"), CasOutcome::Failed);
        assert_eq!(store.get("k").unwrap(), Some(b"v".to_vec()));
    }

    #[test]
    fn a_failing_store_refuses_everything() {
        let store = InMemoryStore::default();
        store.set_failing(true);
        assert!(store.get("k").is_err());
        assert!(store.set("k", b"v").is_err());
        assert!(store.increment("k", 1).is_err());
        store.set_failing(false);
        assert_eq!(store.get("k"), Ok(None));
    }

    #[test]
    fn writes_are_counted_per_operation() {
        let store = InMemoryStore::default();
        store
            .set_many(&[("a".into(), b"1".to_vec()), ("b".into(), b"2".to_vec())])
            .unwrap();
        store.increment("c", 1).unwrap();
        store.get("a").unwrap();
        assert_eq!(store.writes(), 2);
        store
            .delete_many(&["a".into(), "b".into(), "none".into()])
            .unwrap();
        assert_eq!(store.writes(), 3);
        assert_eq!(
            store.get_many(&["a".into(), "b".into()]).unwrap(),
            vec![None, None]
        );
    }
}
