//! Fakes for the service's ports.
#![allow(dead_code)]

use notification_domain::{
    ChannelKind, Channels, Deliver, Delivery, Message, Notification, NotificationService,
    NotifyRequest, Pause, UserId,
};
use service_kit::kv::InMemoryStore;
use service_kit::{Clock, KeyValueStore, StoreError, Timestamp};
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
