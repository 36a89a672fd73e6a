//! What the tests share: submissions, a fixed clock, and store handles that
//! let several service instances (or "restarts") share one store.

#![allow(dead_code)]

use analytics_domain::{Action, Analytics, EventId, Metadata, Submission, UserId};
use service_kit::kv::InMemoryStore;
use service_kit::{Clock, KeyValueStore, StoreError, Timestamp};
use std::sync::atomic::{AtomicI64, Ordering};

pub struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_seconds(1_795_536_000)
    }
}

/// One of possibly many service instances over a shared store. Every
/// operation yields first, so that threads interleave between a request's
/// store operations as they would between concurrent Spin instances.
pub struct Handle<'a>(pub &'a InMemoryStore);

impl KeyValueStore for Handle<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        std::thread::yield_now();
        self.0.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        std::thread::yield_now();
        self.0.get_many(keys)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        std::thread::yield_now();
        self.0.set(key, value)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        std::thread::yield_now();
        self.0.set_many(entries)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        std::thread::yield_now();
        self.0.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        std::thread::yield_now();
        self.0.increment(key, delta)
    }
}

/// A store whose instance "dies" after a number of writes: every later
/// operation fails, as if the host had gone away mid-request.
pub struct DiesAfterWrites<'a> {
    pub store: &'a InMemoryStore,
    pub writes_left: AtomicI64,
}

impl DiesAfterWrites<'_> {
    fn write(&self) -> Result<(), StoreError> {
        if self.writes_left.fetch_sub(1, Ordering::SeqCst) > 0 {
            Ok(())
        } else {
            Err(StoreError::Unavailable("instance died".to_owned()))
        }
    }
}

impl KeyValueStore for DiesAfterWrites<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.store.get_many(keys)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.write()?;
        self.store.set(key, value)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.write()?;
        self.store.set_many(entries)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.write()?;
        self.store.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.write()?;
        self.store.increment(key, delta)
    }
}

pub fn service(store: &InMemoryStore) -> Analytics<Handle<'_>, FixedClock> {
    Analytics::new(Handle(store), FixedClock)
}

/// Both of Spin's counter encodings.
pub fn stores() -> [InMemoryStore; 2] {
    [InMemoryStore::sqlite_like(), InMemoryStore::redis_like()]
}

pub fn user(id: &str) -> UserId {
    UserId::parse(id.to_owned()).unwrap()
}

pub fn action(name: &str) -> Action {
    Action::parse(name.to_owned()).unwrap()
}

pub fn event(id: Option<EventId>, user_id: &str, action_name: &str) -> Submission {
    Submission {
        event_id: id,
        user_id: user(user_id),
        action: action(action_name),
        timestamp: None,
        metadata: Metadata::default(),
    }
}

/// A new event (fresh id) of `user_id` doing `action_name`.
pub fn fresh(user_id: &str, action_name: &str) -> Submission {
    event(Some(EventId::generate()), user_id, action_name)
}
