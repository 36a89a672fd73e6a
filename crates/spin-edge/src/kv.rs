//! [`KeyValueStore`] over Spin's `wasi:keyvalue@0.2.0-draft2` (store, atomics,
//! batch), whose raw bindings spin-sdk generates but does not wrap.

use domain_core::{KeyValueStore, StoreError};
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct SpinStore {
    bucket: store::Bucket,
    /// Set when `batch.get-many` has failed once: the backend cannot do it
    /// (see `get_many`), so later reads go key by key straight away.
    batch_reads_fail: AtomicBool,
}

impl SpinStore {
    /// Opens the store labelled `label` (declared in spin.toml's `key_value_stores`).
    pub fn open(label: &str) -> Result<Self, StoreError> {
        let bucket = store::open(label).map_err(unavailable)?;
        Ok(Self {
            bucket,
            batch_reads_fail: AtomicBool::new(false),
        })
    }

    fn get_each(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        keys.iter().map(|key| self.get(key)).collect()
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
        self.bucket.get(key).map_err(unavailable)
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
            _ => match batch::get_many(&self.bucket, keys) {
                Ok(found) => {
                    // Backends may leave missing keys out or answer in their own order.
                    let mut found: HashMap<String, Option<Vec<u8>>> = found.into_iter().collect();
                    Ok(keys.iter().map(|key| found.remove(key).flatten()).collect())
                }
                Err(_) => {
                    self.batch_reads_fail.store(true, Ordering::Relaxed);
                    self.get_each(keys)
                }
            },
        }
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.bucket.set(key, value).map_err(unavailable)
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        batch::set_many(&self.bucket, entries).map_err(unavailable)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.bucket.delete(key).map_err(unavailable)
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        batch::delete_many(&self.bucket, keys).map_err(unavailable)
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        atomics::increment(&self.bucket, key, delta).map_err(unavailable)
    }
}
