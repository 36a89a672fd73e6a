//! Key-value stores with the semantics of Spin's backends.
//!
//! Each runtime-config label gets a [`StoreManager`]; opening a label gives
//! a [`Store`] (a handle onto that backend, cheap to clone). The operations
//! are the union of `fermyon:spin/key-value@2.0.0` and
//! `wasi:keyvalue@0.2.0-draft2`, with each backend's real behaviour,
//! including the surprising parts (see `sqlite.rs` and `redis.rs`).

pub mod redis;
pub mod sqlite;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use anyhow::{Context as _, ensure};

use crate::runtime_config::StoreConfig;

/// An error the guest sees (`fermyon:spin/key-value` `error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvError {
    NoSuchStore,
    AccessDenied,
    Other(String),
}

/// A failed operation: either an error for the guest or a trap, which is
/// what a host panic in Spin amounts to (the request dies with a 500).
#[derive(Debug)]
pub enum Failure {
    Guest(KvError),
    Trap(anyhow::Error),
}

impl From<KvError> for Failure {
    fn from(e: KvError) -> Self {
        Failure::Guest(e)
    }
}

/// The result of a store operation.
pub type KvResult<T> = Result<T, Failure>;

/// Why a compare-and-swap did not happen.
#[derive(Debug)]
pub enum SwapFailure {
    /// Spin's `SwapError::CasFailed`: the host answers `cas-failed`.
    CasFailed,
    /// Spin's `SwapError::Other`: the host answers `store-error`.
    Other(String),
    Trap(anyhow::Error),
}

/// Formats a backend error the way Spin's `log_error` does (`{err:?}`).
pub(crate) fn other(err: impl std::fmt::Debug) -> KvError {
    KvError::Other(format!("{err:?}"))
}

/// One configured label's backend.
pub enum StoreManager {
    Sqlite(Arc<sqlite::SqliteManager>),
    Redis(Arc<redis::RedisManager>),
}

/// An open store.
#[derive(Clone)]
pub enum Store {
    Sqlite(sqlite::SqliteStore),
    Redis(redis::RedisStore),
}

/// A compare-and-swap in progress (`wasi:keyvalue/atomics.cas`).
pub enum Cas {
    Sqlite(sqlite::SqliteCas),
    Redis(redis::RedisCas),
}

/// All stores of an app.
pub struct Stores {
    managers: BTreeMap<String, StoreManager>,
}

impl Stores {
    /// Creates a manager for every configured label. Like Spin this
    /// creates SQLite parent directories now but opens files lazily, and
    /// rejects an app whose components use a label that is not configured.
    pub fn new<'a>(
        configs: &BTreeMap<String, StoreConfig>,
        used: impl IntoIterator<Item = (&'a str, &'a [String])>,
    ) -> anyhow::Result<Self> {
        let mut managers = BTreeMap::new();
        for (label, config) in configs {
            let manager = match config {
                StoreConfig::Sqlite(path) => {
                    StoreManager::Sqlite(Arc::new(sqlite::SqliteManager::new(path.clone())?))
                }
                StoreConfig::Redis(url) => StoreManager::Redis(Arc::new(
                    redis::RedisManager::new(url).context("Invalid Redis URL")?,
                )),
            };
            managers.insert(label.clone(), manager);
        }
        for (component, labels) in used {
            for label in labels {
                ensure!(
                    managers.contains_key(label),
                    "unknown key_value_stores label {label:?} for component {component:?}"
                );
            }
        }
        Ok(Self { managers })
    }

    /// Opens `label` for a component allowed to use `allowed`.
    pub async fn open(&self, label: &str, allowed: &HashSet<String>) -> KvResult<Store> {
        if !allowed.contains(label) {
            return Err(KvError::AccessDenied.into());
        }
        match self.managers.get(label) {
            None => Err(KvError::NoSuchStore.into()),
            Some(StoreManager::Sqlite(m)) => Ok(Store::Sqlite(m.open(label).await?)),
            Some(StoreManager::Redis(m)) => Ok(Store::Redis(m.open().await?)),
        }
    }

    /// Closes every backend: SQLite files are released even if a request
    /// still holds a store handle (its later operations fail).
    pub fn close(&self) {
        for manager in self.managers.values() {
            match manager {
                StoreManager::Sqlite(m) => m.close(),
                StoreManager::Redis(m) => m.close(),
            }
        }
    }

    /// `label: description` lines for the start-up banner.
    pub fn summaries(&self) -> Vec<String> {
        self.managers
            .iter()
            .map(|(label, m)| match m {
                StoreManager::Sqlite(m) => format!("{label}: {}", m.summary()),
                StoreManager::Redis(m) => format!("{label}: {}", m.summary()),
            })
            .collect()
    }
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Store::Sqlite($s) => $e,
            Store::Redis($s) => $e,
        }
    };
}

impl Store {
    pub async fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        dispatch!(self, s => s.get(key).await)
    }
    pub async fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        dispatch!(self, s => s.set(key, value).await)
    }
    pub async fn delete(&self, key: &str) -> KvResult<()> {
        dispatch!(self, s => s.delete(key).await)
    }
    pub async fn exists(&self, key: &str) -> KvResult<bool> {
        dispatch!(self, s => s.exists(key).await)
    }
    pub async fn get_keys(&self) -> KvResult<Vec<String>> {
        dispatch!(self, s => s.get_keys().await)
    }
    pub async fn get_many(&self, keys: Vec<String>) -> KvResult<Vec<(String, Option<Vec<u8>>)>> {
        dispatch!(self, s => s.get_many(keys).await)
    }
    pub async fn set_many(&self, key_values: Vec<(String, Vec<u8>)>) -> KvResult<()> {
        dispatch!(self, s => s.set_many(key_values).await)
    }
    pub async fn delete_many(&self, keys: Vec<String>) -> KvResult<()> {
        dispatch!(self, s => s.delete_many(keys).await)
    }
    pub async fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        dispatch!(self, s => s.increment(key, delta).await)
    }
    pub async fn new_cas(&self, key: &str) -> KvResult<Cas> {
        match self {
            Store::Sqlite(s) => Ok(Cas::Sqlite(s.new_cas(key))),
            Store::Redis(s) => Ok(Cas::Redis(s.new_cas(key).await?)),
        }
    }
}

impl Cas {
    pub async fn current(&mut self) -> KvResult<Option<Vec<u8>>> {
        match self {
            Cas::Sqlite(c) => c.current().await,
            Cas::Redis(c) => c.current().await,
        }
    }
    pub async fn swap(&mut self, value: Vec<u8>) -> Result<(), SwapFailure> {
        match self {
            Cas::Sqlite(c) => c.swap(value).await,
            Cas::Redis(c) => c.swap(value).await,
        }
    }
    pub fn key(&self) -> &str {
        match self {
            Cas::Sqlite(c) => c.key(),
            Cas::Redis(c) => c.key(),
        }
    }
}
