//! What the tests share: submissions, a fixed clock, and store handles that
//! let several service instances (or "restarts") share one store.

#![allow(dead_code)]

use analytics_domain::{Action, Analytics, EventId, Metadata, Submission, UserId};
use domain_core::kv::InMemoryStore;
use domain_core::{Clock, KeyValueStore, StoreError, Timestamp};
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

/// The store keys a test names exactly (the layout README.md documents).
pub mod keys {
    use sha2::{Digest, Sha256};

    fn digest(user: &str) -> String {
        Sha256::digest(user.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    pub fn claim(user: &str, id: &analytics_domain::EventId) -> String {
        format!("event:{}/{id}", digest(user))
    }

    pub fn action_count(action: &str) -> String {
        format!("count:action:{action}")
    }

    pub fn user_count(user: &str, action: &str) -> String {
        format!("count:user:{action}/{}", digest(user))
    }

    pub const TOTAL: &str = "count:total";
    pub const SLOTS: &str = "actions:slots";
}

/// Which operation a [`FailsAt`] store refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `increment` with a positive delta (counting).
    Raise,
    /// `increment` with a negative delta (reversing).
    Lower,
    Delete,
}

/// A shared store in which the chosen operations on exact keys fail, as a
/// backend that drops a connection mid-request would; everything else goes
/// through.
pub struct FailsAt<'a> {
    pub store: &'a InMemoryStore,
    pub failures: Vec<(String, Op)>,
}

impl FailsAt<'_> {
    fn check(&self, key: &str, op: Op) -> Result<(), StoreError> {
        if self.failures.iter().any(|(k, o)| k == key && *o == op) {
            Err(StoreError::Unavailable(format!(
                "injected failure at {key}"
            )))
        } else {
            Ok(())
        }
    }
}

impl KeyValueStore for FailsAt<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.store.get_many(keys)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.store.set(key, value)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.store.set_many(entries)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check(key, Op::Delete)?;
        self.store.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.check(key, if delta < 0 { Op::Lower } else { Op::Raise })?;
        self.store.increment(key, delta)
    }
}

/// Round trips by kind, over a shared store: lets tests pin what a request
/// costs on each backend.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct Trips {
    pub get: u64,
    /// `get_many` calls with more than one key (one key is a plain `get`
    /// on every backend).
    pub batch_get: u64,
    pub set: u64,
    pub increment: u64,
    pub delete: u64,
}

pub struct Counting<'a> {
    pub store: &'a InMemoryStore,
    pub trips: TripLog,
}

/// The round trips a [`Counting`] store has seen, readable while a service
/// owns the store.
#[derive(Clone, Default)]
pub struct TripLog(std::sync::Arc<std::sync::Mutex<Trips>>);

impl TripLog {
    /// The trips so far, and a fresh count from here.
    pub fn take(&self) -> Trips {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl<'a> Counting<'a> {
    pub fn new(store: &'a InMemoryStore) -> (Self, TripLog) {
        let trips = TripLog::default();
        (
            Self {
                store,
                trips: trips.clone(),
            },
            trips,
        )
    }

    fn tally(&self, kind: impl FnOnce(&mut Trips)) {
        kind(&mut self.trips.0.lock().unwrap());
    }
}

impl KeyValueStore for Counting<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.tally(|t| t.get += 1);
        self.store.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        match keys.len() {
            0 => {}
            1 => self.tally(|t| t.get += 1),
            _ => self.tally(|t| t.batch_get += 1),
        }
        self.store.get_many(keys)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.tally(|t| t.set += 1);
        self.store.set(key, value)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.tally(|t| t.set += 1);
        self.store.set_many(entries)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.tally(|t| t.delete += 1);
        self.store.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.tally(|t| t.increment += 1);
        self.store.increment(key, delta)
    }
}

/// A user's bearer token, as the component turns it into a sender.
pub fn bearer(user_id: &str) -> analytics_domain::Sender {
    analytics_domain::Sender::User(user(user_id))
}
