//! An in-memory [`KeyValueStore`] that behaves like Spin's stores where it
//! matters to correctness: `increment` is atomic, counters use the chosen
//! backend's encoding, and incrementing a plain value fails.

use super::{KeyValueStore, StoreError, decode_counter, is_decimal_counter};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The kinds of store operation, as fault rules and the call log see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Get,
    GetMany,
    Set,
    SetMany,
    Delete,
    DeleteMany,
    Increment,
}

impl Op {
    pub fn is_write(self) -> bool {
        !matches!(self, Self::Get | Self::GetMany)
    }
}

/// One operation on the store: what a fault rule decides on and what the
/// call log keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub op: Op,
    pub keys: Vec<String>,
    /// The increment's delta; 0 for other operations.
    pub delta: i64,
}

impl Call {
    /// Whether the operation touches a key starting with `prefix`.
    pub fn touches(&self, prefix: &str) -> bool {
        self.keys.iter().any(|key| key.starts_with(prefix))
    }
}

type FaultRule = Box<dyn FnMut(&Call) -> bool + Send>;

/// How `increment` stores counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterEncoding {
    /// Spin's SQLite store: 8 bytes little-endian.
    LittleEndian,
    /// Spin's Redis store (`INCRBY`): ASCII decimal.
    Decimal,
}

/// Tests share one store between several services (threads standing for
/// concurrent Spin instances, or restarts) through `&InMemoryStore` or
/// `Arc<InMemoryStore>`, which are stores too; faults are injected with
/// [`InMemoryStore::fail_when`] and costs read from [`InMemoryStore::take_calls`].
/// Fault rules run one at a time, under a lock: a test whose store must
/// stall a call (without holding up the others) or report a failure after
/// applying it wraps the store instead.
pub struct InMemoryStore {
    entries: Mutex<HashMap<String, Vec<u8>>>,
    encoding: CounterEncoding,
    failing: AtomicBool,
    writes: AtomicU64,
    interleaved: AtomicBool,
    faults: Mutex<Vec<FaultRule>>,
    calls: Mutex<Vec<Call>>,
}

impl std::fmt::Debug for InMemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryStore")
            .field("encoding", &self.encoding)
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
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
            interleaved: AtomicBool::new(false),
            faults: Mutex::default(),
            calls: Mutex::default(),
        }
    }

    /// Every operation first yields the thread, so that threads interleave
    /// between one request's operations as concurrent instances would.
    pub fn interleaved(self) -> Self {
        self.interleaved.store(true, Ordering::SeqCst);
        self
    }

    /// From now on an operation for which `rule` answers true fails as an
    /// unreachable backend would, and changes nothing. Rules see every
    /// operation, in order, and may keep state (fail the third write, fail
    /// once); they add up with earlier rules.
    pub fn fail_when(&self, rule: impl FnMut(&Call) -> bool + Send + 'static) {
        lock(&self.faults).push(Box::new(rule));
    }

    /// Drops every rule given to [`Self::fail_when`].
    pub fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    /// The operations since the last call, oldest first: lets tests pin
    /// what a path costs.
    pub fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut *lock(&self.calls))
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

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Vec<u8>>> {
        lock(&self.entries)
    }

    /// Logs the operation, then fails it when the store is switched off or
    /// a rule says so.
    fn enter(&self, op: Op, keys: &[&str], delta: i64) -> Result<(), StoreError> {
        if self.interleaved.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        let call = Call {
            op,
            keys: keys.iter().map(|key| (*key).to_owned()).collect(),
            delta,
        };
        let refused = self.failing.load(Ordering::SeqCst)
            || lock(&self.faults).iter_mut().any(|rule| rule(&call));
        lock(&self.calls).push(call);
        if refused {
            Err(StoreError::Unavailable(format!(
                "{op:?} on {keys:?} switched off by the test"
            )))
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
            // Redis's INCRBY takes decimal text only, as it stores it.
            CounterEncoding::Decimal if is_decimal_counter(bytes) => decode_counter(key, bytes),
            CounterEncoding::Decimal => Err(StoreError::NotACounter {
                key: key.to_owned(),
            }),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn str_keys(keys: &[String]) -> Vec<&str> {
    keys.iter().map(String::as_str).collect()
}

impl KeyValueStore for InMemoryStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.enter(Op::Get, &[key], 0)?;
        Ok(self.lock().get(key).cloned())
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.enter(Op::GetMany, &str_keys(keys), 0)?;
        let entries = self.lock();
        Ok(keys.iter().map(|key| entries.get(key).cloned()).collect())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.enter(Op::Set, &[key], 0)?;
        self.count_write();
        self.lock().insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn set_many(&self, new_entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        let keys: Vec<&str> = new_entries.iter().map(|(key, _)| key.as_str()).collect();
        self.enter(Op::SetMany, &keys, 0)?;
        self.count_write();
        let mut entries = self.lock();
        for (key, value) in new_entries {
            entries.insert(key.clone(), value.clone());
        }
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.enter(Op::Delete, &[key], 0)?;
        self.count_write();
        self.lock().remove(key);
        Ok(())
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.enter(Op::DeleteMany, &str_keys(keys), 0)?;
        self.count_write();
        let mut entries = self.lock();
        for key in keys {
            entries.remove(key);
        }
        Ok(())
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.enter(Op::Increment, &[key], delta)?;
        let mut entries = self.lock();
        let current = match entries.get(key) {
            None => 0,
            Some(bytes) => self.decode(key, bytes)?,
        };
        // A refused increment writes nothing, on both real stores.
        self.count_write();
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

    /// Spin's SQLite store counts only its own 8-byte encoding; a test that
    /// mixes up the encodings must fail as it would there.
    #[test]
    fn a_sqlite_like_store_does_not_count_from_decimal_text() {
        let store = InMemoryStore::sqlite_like();
        store.set("k", b"12").unwrap();
        assert!(matches!(
            store.increment("k", 1),
            Err(StoreError::NotACounter { .. })
        ));
    }

    #[test]
    fn write_faults_fail_every_kind_of_write_and_no_read() {
        let store = InMemoryStore::default();
        store.set("a", b"1").unwrap();
        store.fail_when(|call| call.op.is_write());
        let unavailable =
            |result: Result<(), StoreError>| matches!(result, Err(StoreError::Unavailable(_)));
        assert!(unavailable(store.set("k", b"v")));
        assert!(unavailable(store.set_many(&[("k".into(), b"v".to_vec())])));
        assert!(unavailable(store.delete("a")));
        assert!(unavailable(store.delete_many(&["a".into()])));
        assert!(unavailable(store.increment("n", 1).map(drop)));
        assert_eq!(store.get("a"), Ok(Some(b"1".to_vec())));
        assert_eq!(store.get_many(&["a".into(), "k".into()]).unwrap().len(), 2);
        assert_eq!(store.keys(), ["a"]);
    }

    #[test]
    fn a_failing_store_refuses_everything() {
        let store = InMemoryStore::default();
        store.set_failing(true);
        assert!(matches!(store.get("k"), Err(StoreError::Unavailable(_))));
        assert!(matches!(
            store.set("k", b"v"),
            Err(StoreError::Unavailable(_))
        ));
        assert!(matches!(
            store.increment("k", 1),
            Err(StoreError::Unavailable(_))
        ));
        store.set_failing(false);
        assert_eq!(store.get("k"), Ok(None));
    }

    #[test]
    fn fault_rules_fail_the_operations_they_match_and_keep_state() {
        let store = InMemoryStore::default();
        let mut writes_left = 2;
        store.fail_when(move |call| {
            call.op.is_write() && {
                let dead = writes_left == 0;
                writes_left = (writes_left - 1).max(0);
                dead
            }
        });
        store.fail_when(|call| call.op == Op::Get && call.touches("secret:"));
        assert!(store.set("a", b"1").is_ok());
        assert!(store.increment("b", 1).is_ok());
        assert!(
            matches!(store.delete("a"), Err(StoreError::Unavailable(_))),
            "the third write fails"
        );
        assert_eq!(
            store.get("a"),
            Ok(Some(b"1".to_vec())),
            "and changed nothing"
        );
        assert!(matches!(
            store.get("secret:x"),
            Err(StoreError::Unavailable(_))
        ));
        store.clear_faults();
        assert!(store.delete("a").is_ok());
    }

    #[test]
    fn calls_are_logged_in_order_and_taken_once() {
        let store = InMemoryStore::default();
        store.get_many(&["a".into(), "b".into()]).unwrap();
        store.increment("c", -2).unwrap();
        let calls = store.take_calls();
        assert_eq!(
            calls,
            [
                Call {
                    op: Op::GetMany,
                    keys: vec!["a".into(), "b".into()],
                    delta: 0
                },
                Call {
                    op: Op::Increment,
                    keys: vec!["c".into()],
                    delta: -2
                },
            ]
        );
        assert!(store.take_calls().is_empty());
    }

    /// Redis's INCRBY refuses anything but decimal text, the 8 bytes a
    /// SQLite counter would hold included.
    #[test]
    fn a_redis_like_store_does_not_count_from_other_bytes() {
        let store = InMemoryStore::redis_like();
        for value in [
            7_i64.to_le_bytes().to_vec(),
            b"hello".to_vec(),
            b"".to_vec(),
        ] {
            store.set("k", &value).unwrap();
            assert!(
                matches!(store.increment("k", 1), Err(StoreError::NotACounter { .. })),
                "{value:?}"
            );
        }
    }

    #[test]
    fn a_refused_increment_writes_nothing() {
        for store in [InMemoryStore::sqlite_like(), InMemoryStore::redis_like()] {
            store.set("k", b"hello").unwrap();
            let before = store.writes();
            assert!(store.increment("k", 1).is_err());
            assert_eq!(store.writes(), before);
            assert_eq!(store.get("k").unwrap(), Some(b"hello".to_vec()));
        }
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
