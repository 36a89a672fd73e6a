//! [`KeyValueStore`] over Spin's `wasi:keyvalue@0.2.0-draft2` (store, atomics,
//! batch), whose raw bindings spin-sdk generates but does not wrap.
//!
//! Every call that Spin's SQLite store refuses with `SQLITE_BUSY` ("database
//! is locked") is made again after a short pause (see [`retry_busy`]): on a
//! store no request has opened yet, racing requests each open a connection
//! of their own and create the table, and an increment on the connection
//! Spin keeps (`BEGIN DEFERRED`, a read, then a write) that meets another's
//! write lock is refused at once, whatever SQLite's busy timeout (waiting
//! could deadlock). That answered a request 500 now and then.

use crate::pause::MonotonicPause;
use domain_core::{KeyValueStore, Pause, StoreError};
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The pauses before each new try of a call refused with `SQLITE_BUSY`:
/// about 0.8 s in all. The locks met are held for micro- to milliseconds.
const BUSY_PAUSES: [Duration; 7] = [
    Duration::from_millis(5),
    Duration::from_millis(10),
    Duration::from_millis(25),
    Duration::from_millis(50),
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(400),
];

/// Whether `error` is SQLite's `SQLITE_BUSY` as Spin's SQLite store reports
/// it (rusqlite's error, e.g. `SqliteFailure(Error { code: DatabaseBusy,
/// extended_code: 5 }, Some("database is locked"))` on Spin 3.6.3).
fn is_busy(error: &store::Error) -> bool {
    matches!(error, store::Error::Other(reason)
        if reason.contains("database is locked") || reason.contains("DatabaseBusy"))
}

/// Makes `call` until it is not refused with `SQLITE_BUSY`, pausing
/// [`BUSY_PAUSES`] between tries; the last refusal is the answer. Safe for
/// every call, increments included: on Spin's SQLite store a refused call
/// changed nothing (its transaction was rolled back), so no increment is
/// applied twice. No other error is retried: Redis never reports this one,
/// and an increment whose reply Redis lost may have been applied.
pub(crate) fn retry_busy<T>(
    pause: &impl Pause,
    mut call: impl FnMut() -> Result<T, store::Error>,
) -> Result<T, store::Error> {
    for wait in BUSY_PAUSES {
        match call() {
            Err(error) if is_busy(&error) => pause.pause(wait),
            done => return done,
        }
    }
    call()
}

pub struct SpinStore {
    bucket: store::Bucket,
    /// Set when `batch.get-many` has failed once: the backend cannot do it
    /// (see `get_many`), so later reads go key by key straight away.
    batch_reads_fail: AtomicBool,
}

impl SpinStore {
    /// Opens the store labelled `label` (declared in spin.toml's `key_value_stores`).
    pub fn open(label: &str) -> Result<Self, StoreError> {
        let bucket = retry_busy(&MonotonicPause, || store::open(label)).map_err(unavailable)?;
        Ok(Self {
            bucket,
            batch_reads_fail: AtomicBool::new(false),
        })
    }

    fn get_each(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        keys.iter().map(|key| self.get(key)).collect()
    }

    /// `call`, made again while the store is busy (see [`retry_busy`]).
    fn busy_safe<T>(&self, call: impl FnMut() -> Result<T, store::Error>) -> Result<T, StoreError> {
        retry_busy(&MonotonicPause, call).map_err(unavailable)
    }
}

fn unavailable(error: store::Error) -> StoreError {
    let reason = match error {
        store::Error::NoSuchStore => "no such store".to_owned(),
        store::Error::AccessDenied => "access denied".to_owned(),
        store::Error::Other(reason) => reason,
    };
    StoreError::Unavailable(reason)
}

impl KeyValueStore for SpinStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.busy_safe(|| self.bucket.get(key))
    }

    /// One round trip on Spin's SQLite store. Spin's Redis store implements
    /// `get-many` with `KEYS` instead of `MGET`: with several keys Redis
    /// refuses it, and with one key that exists the host fails to decode the
    /// answer. So one key is always a plain `get`, and several keys fall back
    /// to one `get` each when the batch fails.
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        match keys {
            [] => Ok(Vec::new()),
            [key] => Ok(vec![self.get(key)?]),
            _ if self.batch_reads_fail.load(Ordering::Relaxed) => self.get_each(keys),
            _ => match retry_busy(&MonotonicPause, || batch::get_many(&self.bucket, keys)) {
                Ok(found) => Ok(in_order_of(keys, found)),
                Err(_) => {
                    self.batch_reads_fail.store(true, Ordering::Relaxed);
                    self.get_each(keys)
                }
            },
        }
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.busy_safe(|| self.bucket.set(key, value))
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.busy_safe(|| batch::set_many(&self.bucket, entries))
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.busy_safe(|| self.bucket.delete(key))
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.busy_safe(|| batch::delete_many(&self.bucket, keys))
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.busy_safe(|| atomics::increment(&self.bucket, key, delta))
    }
}

/// The values of `keys`, in their order, from a batch answer: backends may
/// leave missing keys out or answer in their own order, and a key asked
/// twice gets its value twice.
fn in_order_of(keys: &[String], found: Vec<(String, Option<Vec<u8>>)>) -> Vec<Option<Vec<u8>>> {
    let found: HashMap<String, Option<Vec<u8>>> = found.into_iter().collect();
    keys.iter()
        .map(|key| found.get(key).cloned().flatten())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};

    /// Counts the pauses instead of waiting.
    #[derive(Default)]
    struct Pauses(RefCell<Vec<Duration>>);

    impl Pause for Pauses {
        fn pause(&self, duration: Duration) {
            self.0.borrow_mut().push(duration);
        }
    }

    fn busy() -> store::Error {
        // As Spin 3.6.3 reported it in the e2e run that answered 500.
        store::Error::Other(
            "SqliteFailure(Error { code: DatabaseBusy, extended_code: 5 }, Some(\"database is locked\"))"
                .into(),
        )
    }

    #[test]
    fn a_call_refused_as_busy_is_made_again_after_a_pause() {
        let pauses = Pauses::default();
        let tries = Cell::new(0);
        let answer = retry_busy(&pauses, || {
            tries.set(tries.get() + 1);
            if tries.get() < 3 {
                Err(busy())
            } else {
                Ok(1_i64)
            }
        });
        assert_eq!(answer.ok(), Some(1));
        assert_eq!(tries.get(), 3);
        assert_eq!(
            *pauses.0.borrow(),
            [Duration::from_millis(5), Duration::from_millis(10)]
        );
    }

    #[test]
    fn a_store_that_stays_busy_answers_busy_after_about_a_second() {
        let pauses = Pauses::default();
        let tries = Cell::new(0);
        let answer: Result<(), _> = retry_busy(&pauses, || {
            tries.set(tries.get() + 1);
            Err(busy())
        });
        assert!(matches!(answer, Err(ref e) if is_busy(e)));
        assert_eq!(tries.get(), BUSY_PAUSES.len() + 1);
        let waited: Duration = pauses.0.borrow().iter().sum();
        assert!(waited < Duration::from_secs(1), "{waited:?}");
    }

    #[test]
    fn other_failures_are_never_made_again() {
        // An increment whose reply Redis lost may have been applied.
        for error in [
            store::Error::Other("Connection reset by peer (os error 104)".into()),
            store::Error::NoSuchStore,
            store::Error::AccessDenied,
        ] {
            let pauses = Pauses::default();
            let tries = Cell::new(0);
            let answer: Result<(), _> = retry_busy(&pauses, || {
                tries.set(tries.get() + 1);
                Err(error.clone())
            });
            assert!(answer.is_err());
            assert_eq!(tries.get(), 1, "{error:?}");
            assert!(pauses.0.borrow().is_empty());
        }
    }

    #[test]
    fn a_batch_answer_is_put_in_the_order_asked_with_repeats() {
        let keys: Vec<String> = ["b", "a", "b", "none"].map(String::from).to_vec();
        let found = vec![
            ("a".to_owned(), Some(b"1".to_vec())),
            ("b".to_owned(), Some(b"2".to_vec())),
        ];
        assert_eq!(
            in_order_of(&keys, found),
            [
                Some(b"2".to_vec()),
                Some(b"1".to_vec()),
                Some(b"2".to_vec()),
                None
            ]
        );
    }
}
