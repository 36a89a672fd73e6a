//! The service over test doubles, shared by the integration tests: the
//! in-memory store (failures injected with its fault rules), a manual clock,
//! a cheap hasher that counts its work and a delivery port that records
//! every attempt and answers as told.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use auth_domain::{
    Argon2Hasher, AuthService, DeliveryOutcome, DeliveryPort, HashingError, IssuedToken,
    LoginError, Password, PasswordHasher, RegisterError, Registration, Round, Settings, SideEffect,
    TokenError, UserProfile, Username,
};
use domain_core::kv::{Call, InMemoryStore};
use domain_core::{Clock, KeyValueStore, ManualClock, Pause, Timestamp};

pub mod interleave;

/// 2027-01-15T08:00:00Z, the start of a throttle bucket.
pub const START_MS: i64 = 1_800_000_000_000;

pub const PASSWORD: &str = "vq9-Lx3!tRz7";
pub const OTHER_PASSWORD: &str = "Kp4#mW8zQe2!";

/// How the fake peers answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Peers {
    #[default]
    Up,
    /// Not reachable (transport error, timeout).
    Down,
    /// Reachable but failing (e.g. 503, or 401 with a mismatched key).
    Erroring,
    /// `422`: can never succeed.
    Rejecting,
}

#[derive(Default)]
struct Deliveries {
    peers: Peers,
    per_target: HashMap<&'static str, Peers>,
    poison: HashSet<String>,
    attempts: Vec<(SideEffect, Round)>,
    delivered: Vec<SideEffect>,
    notes: Vec<String>,
}

/// Records every attempt; answers as [`Peers`] says (per target when set,
/// and always failing for ids marked as poison). Clones share one record.
#[derive(Clone, Default)]
pub struct FakeDelivery(Arc<Mutex<Deliveries>>);

impl FakeDelivery {
    fn state(&self) -> MutexGuard<'_, Deliveries> {
        self.0.lock().unwrap()
    }

    pub fn set(&self, peers: Peers) {
        let mut state = self.state();
        state.peers = peers;
        state.per_target.clear();
    }

    /// `target` answers as `peers`, whatever [`set`](Self::set) says.
    pub fn set_target(&self, target: &'static str, peers: Peers) {
        self.state().per_target.insert(target, peers);
    }

    /// Side effects with this id always fail (the target answers 500).
    pub fn poison(&self, id: &str) {
        self.state().poison.insert(id.to_owned());
    }

    pub fn attempts(&self) -> Vec<(SideEffect, Round)> {
        self.state().attempts.clone()
    }

    pub fn attempted_ids(&self) -> Vec<String> {
        let state = self.state();
        state
            .attempts
            .iter()
            .map(|(e, _)| e.id().to_owned())
            .collect()
    }

    pub fn delivered(&self) -> Vec<SideEffect> {
        self.state().delivered.clone()
    }

    pub fn delivered_ids(&self) -> Vec<String> {
        self.delivered().iter().map(|e| e.id().to_owned()).collect()
    }

    /// Actions of delivered events, in delivery order.
    pub fn delivered_actions(&self) -> Vec<String> {
        self.delivered()
            .into_iter()
            .filter_map(|effect| match effect {
                SideEffect::Event { action, .. } => Some(action),
                SideEffect::Notification { .. } => None,
            })
            .collect()
    }

    /// How many delivered events were of `action`.
    pub fn delivered_count(&self, action: &str) -> usize {
        self.delivered_actions()
            .iter()
            .filter(|delivered| *delivered == action)
            .count()
    }

    /// How many `action` events the receiver counts: one per event id, as
    /// analytics answers a repeated id as a duplicate.
    pub fn counted(&self, action: &str) -> usize {
        let ids: HashSet<String> = self
            .delivered()
            .into_iter()
            .filter_map(|effect| match effect {
                SideEffect::Event {
                    event_id,
                    action: delivered,
                    ..
                } if delivered == action => Some(event_id),
                _ => None,
            })
            .collect();
        ids.len()
    }

    pub fn notes(&self) -> Vec<String> {
        self.state().notes.clone()
    }

    pub fn forget(&self) {
        let mut state = self.state();
        state.attempts.clear();
        state.delivered.clear();
    }
}

impl DeliveryPort for FakeDelivery {
    fn deliver(&self, effects: &[&SideEffect], round: Round) -> Vec<DeliveryOutcome> {
        let mut state = self.state();
        effects
            .iter()
            .map(|&effect| {
                state.attempts.push((effect.clone(), round));
                let target = state.per_target.get(effect.target());
                let peers = target.copied().unwrap_or(state.peers);
                if state.poison.contains(effect.id()) && peers != Peers::Down {
                    return DeliveryOutcome::Failed { answered: true };
                }
                match peers {
                    Peers::Up => {
                        state.delivered.push(effect.clone());
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
        self.state().notes.push(format!("{event}: {detail}"));
    }
}

/// Cheap argon2 that counts its hashes and verifications (dummy ones
/// included). Clones share the counts.
#[derive(Clone)]
pub struct CountingHasher {
    inner: Argon2Hasher,
    hashes: Arc<AtomicUsize>,
    verifications: Arc<AtomicUsize>,
}

impl CountingHasher {
    pub fn hashes(&self) -> usize {
        self.hashes.load(Ordering::SeqCst)
    }

    pub fn verifications(&self) -> usize {
        self.verifications.load(Ordering::SeqCst)
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

pub type Service =
    AuthService<Arc<InMemoryStore>, CountingHasher, ManualClock, ThreadSleep, FakeDelivery>;

/// Pauses by sleeping the thread: a registration that lost a name's claim
/// waits for the winner, which runs on another thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadSleep;

impl Pause for ThreadSleep {
    fn pause(&self, duration: std::time::Duration) {
        std::thread::sleep(duration);
    }
}

/// The service, with a handle on each of its ports.
pub struct Harness {
    pub service: Service,
    pub store: Arc<InMemoryStore>,
    pub clock: ManualClock,
    pub delivery: FakeDelivery,
    pub hasher: CountingHasher,
}

impl Deref for Harness {
    type Target = Service;

    fn deref(&self) -> &Service {
        &self.service
    }
}

/// The operations that write, settled at once: as if the answer had just
/// been sent.
impl Harness {
    pub fn register(&self, registration: Registration) -> Result<UserProfile, RegisterError> {
        let (result, after) = self.service.register(registration);
        self.service.settle(after);
        result
    }

    pub fn login(&self, username: &str, password: &str) -> Result<IssuedToken, LoginError> {
        let (result, after) = self.service.login(username, password);
        self.service.settle(after);
        result
    }

    pub fn logout(&self, token: &str) -> Result<(), TokenError> {
        let (result, after) = self.service.logout(token);
        self.service.settle(after);
        result
    }

    /// Moves this instance's clock forward to `ms` after [`START_MS`].
    pub fn move_to(&self, ms: i64) {
        let now = self.clock.now().unix_millis();
        let by = START_MS + ms - now;
        assert!(by >= 0, "the clock only moves forward");
        self.clock
            .advance(std::time::Duration::from_millis(by as u64));
    }

    /// Another instance of the service (default settings) over the same
    /// store, counting into the same hasher and delivery record, whose clock
    /// reads `offset_ms` from this one's: instances never agree on the time
    /// to the millisecond.
    pub fn other_instance(&self, offset_ms: i64) -> Harness {
        let clock = ManualClock::at(Timestamp::from_unix_millis(
            self.clock.now().unix_millis() + offset_ms,
        ));
        let service = AuthService::new(
            Arc::clone(&self.store),
            self.hasher.clone(),
            clock.clone(),
            ThreadSleep,
            self.delivery.clone(),
            Settings::default(),
        );
        Harness {
            service,
            store: Arc::clone(&self.store),
            clock,
            delivery: self.delivery.clone(),
            hasher: self.hasher.clone(),
        }
    }
}

impl Harness {
    /// Another instance over `store` (an [`interleave::Interleaved`] view
    /// of this one's), counting into the same hasher and delivery record,
    /// with a clock of its own.
    pub fn instance_over<S: KeyValueStore>(
        &self,
        store: S,
        clock: ManualClock,
    ) -> AuthService<S, CountingHasher, ManualClock, ThreadSleep, FakeDelivery> {
        self.instance_pausing(store, clock, ThreadSleep)
    }

    /// [`Self::instance_over`], with `pause` for its waits.
    pub fn instance_pausing<S: KeyValueStore, P: Pause>(
        &self,
        store: S,
        clock: ManualClock,
        pause: P,
    ) -> AuthService<S, CountingHasher, ManualClock, P, FakeDelivery> {
        AuthService::new(
            store,
            self.hasher.clone(),
            clock,
            pause,
            self.delivery.clone(),
            Settings::default(),
        )
    }
}

pub fn service_with(store: InMemoryStore, settings: Settings) -> Harness {
    let store = Arc::new(store);
    let clock = ManualClock::at(Timestamp::from_unix_millis(START_MS));
    let delivery = FakeDelivery::default();
    let hasher = CountingHasher {
        inner: Argon2Hasher::cheap_for_tests(),
        hashes: Arc::default(),
        verifications: Arc::default(),
    };
    let service = AuthService::new(
        Arc::clone(&store),
        hasher.clone(),
        clock.clone(),
        ThreadSleep,
        delivery.clone(),
        settings,
    );
    Harness {
        service,
        store,
        clock,
        delivery,
        hasher,
    }
}

pub fn service_on(store: InMemoryStore) -> Harness {
    service_with(store, Settings::default())
}

pub fn service() -> Harness {
    service_on(InMemoryStore::sqlite_like())
}

/// A fault rule that fails the first operation `rule` picks, and no other.
pub fn once(
    rule: impl Fn(&Call) -> bool + Send + 'static,
) -> impl FnMut(&Call) -> bool + Send + 'static {
    let mut spent = false;
    move |call| {
        let fails = !spent && rule(call);
        spent |= fails;
        fails
    }
}

pub fn registration(username: &str, password: &str) -> Registration {
    Registration {
        username: Username::parse(username).unwrap(),
        password: Password::parse(password).unwrap(),
        email: None,
    }
}

pub fn register(service: &Harness, username: &str, password: &str) -> UserProfile {
    service
        .register(registration(username, password))
        .expect("registered")
}

/// A login with a wrong password, refused as one (not throttled, not an
/// error): the failures that the throttle and the outbox tests build on.
pub fn fail_login(service: &Harness, username: &str) {
    let outcome = service.login(username, OTHER_PASSWORD);
    assert!(
        matches!(outcome, Err(LoginError::InvalidCredentials)),
        "{username} with a wrong password: {outcome:?}"
    );
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
