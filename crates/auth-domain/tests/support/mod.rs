//! Fakes for the service's ports, shared by the integration tests.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};

use auth_domain::{
    Argon2Hasher, AuthService, Delivery, DeliveryOutcome, DeliveryPort, HashingError, Password,
    PasswordHasher, Registration, Round, Settings, UserProfile, Username,
};
use domain_core::kv::InMemoryStore;
use domain_core::{Clock, KeyValueStore, StoreError, Timestamp};

/// 2027-01-15T08:00:00Z.
pub const START_MS: i64 = 1_800_000_000_000;

/// A clock the test moves by hand.
pub struct ManualClock(AtomicI64);

impl Default for ManualClock {
    fn default() -> Self {
        Self(AtomicI64::new(START_MS))
    }
}

impl ManualClock {
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds * 1000, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(self.0.load(Ordering::SeqCst))
    }
}

/// How the fake peers answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peers {
    Up,
    /// Not reachable (transport error, timeout).
    Down,
    /// Reachable but failing (e.g. 503, or 401 with a mismatched key).
    Erroring,
    /// `422`: can never succeed.
    Rejecting,
}

/// Records every attempt; answers as [`Peers`] says (per target when set,
/// and always failing for ids marked as poison).
pub struct FakeDelivery {
    peers: Mutex<Peers>,
    per_target: Mutex<HashMap<&'static str, Peers>>,
    poison: Mutex<HashSet<String>>,
    attempts: Mutex<Vec<(Delivery, Round)>>,
    delivered: Mutex<Vec<Delivery>>,
    notes: Mutex<Vec<String>>,
}

impl Default for FakeDelivery {
    fn default() -> Self {
        Self {
            peers: Mutex::new(Peers::Up),
            per_target: Mutex::default(),
            poison: Mutex::default(),
            attempts: Mutex::default(),
            delivered: Mutex::default(),
            notes: Mutex::default(),
        }
    }
}

impl FakeDelivery {
    pub fn set(&self, peers: Peers) {
        *self.peers.lock().unwrap() = peers;
        self.per_target.lock().unwrap().clear();
    }

    /// `target` answers as `peers`, whatever [`set`](Self::set) says.
    pub fn set_target(&self, target: &'static str, peers: Peers) {
        self.per_target.lock().unwrap().insert(target, peers);
    }

    /// Deliveries with this id always fail (the target answers 500).
    pub fn poison(&self, id: &str) {
        self.poison.lock().unwrap().insert(id.to_owned());
    }

    pub fn attempts(&self) -> Vec<(Delivery, Round)> {
        self.attempts.lock().unwrap().clone()
    }

    pub fn attempted_ids(&self) -> Vec<String> {
        self.attempts()
            .iter()
            .map(|(d, _)| d.id().to_owned())
            .collect()
    }

    pub fn delivered(&self) -> Vec<Delivery> {
        self.delivered.lock().unwrap().clone()
    }

    pub fn delivered_ids(&self) -> Vec<String> {
        self.delivered().iter().map(|d| d.id().to_owned()).collect()
    }

    /// Actions of delivered events, in delivery order.
    pub fn delivered_actions(&self) -> Vec<String> {
        self.delivered()
            .iter()
            .filter_map(|delivery| match delivery {
                Delivery::Event { action, .. } => Some(action.clone()),
                Delivery::Notification { .. } => None,
            })
            .collect()
    }

    pub fn notes(&self) -> Vec<String> {
        self.notes.lock().unwrap().clone()
    }

    pub fn forget(&self) {
        self.attempts.lock().unwrap().clear();
        self.delivered.lock().unwrap().clear();
    }
}

impl DeliveryPort for FakeDelivery {
    fn deliver(&self, deliveries: &[&Delivery], round: Round) -> Vec<DeliveryOutcome> {
        let default = *self.peers.lock().unwrap();
        let per_target = self.per_target.lock().unwrap().clone();
        let poison = self.poison.lock().unwrap().clone();
        let mut attempts = self.attempts.lock().unwrap();
        let mut delivered = self.delivered.lock().unwrap();
        deliveries
            .iter()
            .map(|delivery| {
                attempts.push(((*delivery).clone(), round));
                let peers = per_target
                    .get(delivery.target())
                    .copied()
                    .unwrap_or(default);
                if poison.contains(delivery.id()) && peers != Peers::Down {
                    return DeliveryOutcome::Failed { answered: true };
                }
                match peers {
                    Peers::Up => {
                        delivered.push((*delivery).clone());
                        DeliveryOutcome::Delivered
                    }
                    Peers::Down => DeliveryOutcome::Failed { answered: false },
                    Peers::Erroring => DeliveryOutcome::Failed { answered: true },
                    Peers::Rejecting => DeliveryOutcome::Rejected {
                        status: 422,
                        answer: "{\"error\":{\"code\":\"validation_failed\"}}".to_owned(),
                    },
                }
            })
            .collect()
    }

    fn note(&self, event: &str, detail: &str) {
        self.notes
            .lock()
            .unwrap()
            .push(format!("{event}: {detail}"));
    }
}

/// Cheap argon2 that counts its verifications (dummy ones included).
pub struct CountingHasher {
    inner: Argon2Hasher,
    pub hashes: AtomicUsize,
    pub verifications: AtomicUsize,
}

impl Default for CountingHasher {
    fn default() -> Self {
        Self {
            inner: Argon2Hasher::cheap_for_tests(),
            hashes: AtomicUsize::new(0),
            verifications: AtomicUsize::new(0),
        }
    }
}

impl PasswordHasher for CountingHasher {
    fn hash(&self, password: &Password) -> Result<String, HashingError> {
        self.hashes.fetch_add(1, Ordering::SeqCst);
        self.inner.hash(password)
    }

    fn verify(&self, password: &str, phc: &str) -> Result<bool, HashingError> {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(password, phc)
    }

    fn verify_dummy(&self, password: &str) {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        self.inner.verify_dummy(password)
    }
}

/// Store operations a fault can be aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Get,
    Set,
    Delete,
    Increment,
}

/// An in-memory store that fails chosen operations on chosen keys: every
/// operation of kind `op` touching a key that starts with `prefix` fails,
/// `times` times (then works again).
#[derive(Default)]
pub struct FlakyStore {
    pub inner: InMemoryStore,
    faults: Mutex<Vec<(Op, String, usize)>>,
    fail_next_set_many: AtomicBool,
}

impl FlakyStore {
    pub fn fail_next_set_many(&self) {
        self.fail_next_set_many.store(true, Ordering::SeqCst);
    }

    pub fn fail(&self, op: Op, prefix: &str, times: usize) {
        self.faults
            .lock()
            .unwrap()
            .push((op, prefix.to_owned(), times));
    }

    fn check(&self, op: Op, keys: &[&str]) -> Result<(), StoreError> {
        let mut faults = self.faults.lock().unwrap();
        for (fault_op, prefix, times) in faults.iter_mut() {
            if *fault_op == op
                && *times > 0
                && keys.iter().any(|key| key.starts_with(prefix.as_str()))
            {
                *times -= 1;
                return Err(StoreError::Unavailable(format!(
                    "{op:?} on {prefix}* switched off by the test"
                )));
            }
        }
        Ok(())
    }
}

impl KeyValueStore for FlakyStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.check(Op::Get, &[key])?;
        self.inner.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        self.check(Op::Get, &refs)?;
        self.inner.get_many(keys)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.check(Op::Set, &[key])?;
        self.inner.set(key, value)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        if self.fail_next_set_many.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Unavailable(
                "switched off by the test".to_owned(),
            ));
        }
        let refs: Vec<&str> = entries.iter().map(|(key, _)| key.as_str()).collect();
        self.check(Op::Set, &refs)?;
        self.inner.set_many(entries)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check(Op::Delete, &[key])?;
        self.inner.delete(key)
    }
    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        self.check(Op::Delete, &refs)?;
        self.inner.delete_many(keys)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.check(Op::Increment, &[key])?;
        self.inner.increment(key, delta)
    }
}

pub type TestService<S = InMemoryStore> = AuthService<S, CountingHasher, ManualClock, FakeDelivery>;

pub fn service_on<S: KeyValueStore>(store: S) -> TestService<S> {
    AuthService::new(
        store,
        CountingHasher::default(),
        ManualClock::default(),
        FakeDelivery::default(),
        Settings::default(),
    )
}

pub fn service() -> TestService {
    service_on(InMemoryStore::sqlite_like())
}

pub fn registration(username: &str, password: &str) -> Registration {
    Registration {
        username: Username::parse(username).unwrap(),
        password: Password::parse(password).unwrap(),
        email: None,
    }
}

pub fn register<S: KeyValueStore>(
    service: &TestService<S>,
    username: &str,
    password: &str,
) -> UserProfile {
    service
        .register(registration(username, password))
        .expect("registered")
}

/// Keys of outbox entries now in the store.
pub fn outbox_keys(store: &InMemoryStore) -> Vec<String> {
    keys_starting(store, "outbox:entry:")
}

/// Keys now in the store that start with `prefix`, sorted.
pub fn keys_starting(store: &InMemoryStore, prefix: &str) -> Vec<String> {
    let mut keys: Vec<String> = store
        .keys()
        .into_iter()
        .filter(|key| key.starts_with(prefix))
        .collect();
    keys.sort();
    keys
}

pub const PASSWORD: &str = "vq9-Lx3!tRz7";
pub const OTHER_PASSWORD: &str = "Kp4#mW8zQe2!";
