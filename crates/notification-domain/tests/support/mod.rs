//! Fakes for the service's ports.
#![allow(dead_code)]

use domain_core::kv::InMemoryStore;
use domain_core::{Clock, KeyValueStore, StoreError, Timestamp};
use notification_domain::{
    ChannelKind, Channels, Deliver, Delivery, Message, Notification, NotificationService,
    NotifyRequest, Pause, UserId,
};
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One in-memory store shared by several services (threads, or a test
/// looking behind a service's back).
#[derive(Clone, Default)]
pub struct SharedStore(pub Arc<InMemoryStore>);

impl KeyValueStore for SharedStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.0.get_many(keys)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.0.set(key, value)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.0.set_many(entries)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.0.increment(key, delta)
    }
}

/// Records what it delivers, optionally slowly, answering `outcome`.
#[derive(Clone, Default)]
pub struct RecordingChannel {
    pub delivered: Arc<Mutex<Vec<Notification>>>,
    pub delay: Duration,
    pub failure: Option<String>,
}

impl RecordingChannel {
    pub fn count(&self) -> usize {
        self.delivered.lock().unwrap().len()
    }
}

impl Deliver for RecordingChannel {
    fn deliver(&self, notification: &Notification) -> Delivery {
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        self.delivered.lock().unwrap().push(notification.clone());
        match &self.failure {
            Some(reason) => Delivery::failed(1, reason.clone()),
            None => Delivery::delivered(1),
        }
    }
}

/// A log channel always, a webhook channel only when configured.
#[derive(Clone, Default)]
pub struct TestChannels {
    pub log: RecordingChannel,
    pub webhook: Option<RecordingChannel>,
}

impl Channels for TestChannels {
    fn channel(&self, kind: ChannelKind) -> Option<&dyn Deliver> {
        match kind {
            ChannelKind::Log => Some(&self.log),
            ChannelKind::Webhook => self.webhook.as_ref().map(|c| c as &dyn Deliver),
            ChannelKind::Email | ChannelKind::Sms => None,
        }
    }
}

/// A clock that moves only when told to.
#[derive(Clone)]
pub struct ManualClock(pub Arc<AtomicI64>);

impl ManualClock {
    pub fn at(unix_millis: i64) -> Self {
        Self(Arc::new(AtomicI64::new(unix_millis)))
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(self.0.load(Ordering::SeqCst))
    }
}

/// Counts the pauses instead of sleeping.
#[derive(Clone, Default)]
pub struct CountedPause(pub Arc<AtomicU32>);

impl CountedPause {
    pub fn count(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }
}

impl Pause for CountedPause {
    fn pause(&self, _: Duration) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

pub type TestService = NotificationService<SharedStore, TestChannels, ManualClock, CountedPause>;

pub struct Fixture {
    pub store: SharedStore,
    pub channels: TestChannels,
    pub clock: ManualClock,
    pub pause: CountedPause,
}

impl Fixture {
    pub fn new() -> Self {
        Self {
            store: SharedStore::default(),
            channels: TestChannels::default(),
            clock: ManualClock::at(1_800_000_000_000),
            pause: CountedPause::default(),
        }
    }

    pub fn service(&self) -> TestService {
        NotificationService::new(
            self.store.clone(),
            self.channels.clone(),
            self.clock.clone(),
            self.pause.clone(),
        )
    }
}

pub fn request(user: &str, message: &str) -> NotifyRequest {
    NotifyRequest {
        user_id: UserId::parse(user.to_owned()).unwrap(),
        channel: ChannelKind::Log,
        to: None,
        subject: None,
        message: Message::parse(message.to_owned()).unwrap(),
        metadata: None,
    }
}

/// Which store operation a [`FaultyStore`] fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Set,
    /// A `set_many` that includes the key.
    SetMany,
    Delete,
}

/// A store that fails one kind of operation on keys ending in a given
/// suffix, a given number of times, and passes everything else through.
#[derive(Clone)]
pub struct FaultyStore {
    pub inner: SharedStore,
    faults: Arc<Mutex<Vec<(Op, String, u32)>>>,
}

impl FaultyStore {
    pub fn over(inner: SharedStore) -> Self {
        Self {
            inner,
            faults: Arc::default(),
        }
    }

    /// Fails the next `times` `op`s on keys ending in `suffix`.
    pub fn fail(self, op: Op, suffix: &str, times: u32) -> Self {
        self.faults
            .lock()
            .unwrap()
            .push((op, suffix.to_owned(), times));
        self
    }

    fn check(&self, op: Op, key: &str) -> Result<(), StoreError> {
        let mut faults = self.faults.lock().unwrap();
        for (fault_op, suffix, left) in faults.iter_mut() {
            if *fault_op == op && key.ends_with(suffix.as_str()) && *left > 0 {
                *left -= 1;
                return Err(StoreError::Unavailable(format!("injected {op:?} on {key}")));
            }
        }
        Ok(())
    }
}

impl KeyValueStore for FaultyStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.inner.get_many(keys)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.check(Op::Set, key)?;
        self.inner.set(key, value)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        for (key, _) in entries {
            self.check(Op::SetMany, key)?;
        }
        self.inner.set_many(entries)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check(Op::Delete, key)?;
        self.inner.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.inner.increment(key, delta)
    }
}

impl Fixture {
    /// The service over `store` (which wraps this fixture's store).
    pub fn service_over(
        &self,
        store: FaultyStore,
    ) -> NotificationService<FaultyStore, TestChannels, ManualClock, CountedPause> {
        NotificationService::new(
            store,
            self.channels.clone(),
            self.clock.clone(),
            self.pause.clone(),
        )
    }
}
