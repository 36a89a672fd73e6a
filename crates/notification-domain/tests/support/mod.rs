//! Fakes for the service's ports; the store and the clock are domain-core's.
#![allow(dead_code)]

use domain_core::kv::{InMemoryStore, Op};
use domain_core::{Clock, ManualClock, Timestamp, UserId};
use notification_domain::{
    Attempt, ChannelKind, Channels, Deliver, Delivery, Message, Notification, NotificationService,
    Notified, NotifyRequest, Pause, Provider, ProviderChannel, Receipt, Unavailable,
};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Records what it delivers, optionally slowly, answering `outcome`.
#[derive(Clone, Default)]
pub struct RecordingChannel {
    pub delivered: Arc<Mutex<Vec<Notification>>>,
    pub delay: Duration,
    pub failure: Option<String>,
    /// The receiver's receipt, as a provider channel gives one.
    pub receipt: Option<String>,
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
        match (&self.failure, &self.receipt) {
            (Some(reason), _) => Delivery::failed(1, reason.clone()),
            (None, Some(receipt)) => Delivery::delivered_with_receipt(1, receipt.clone()),
            (None, None) => Delivery::delivered(1),
        }
    }
}

/// A provider that records what it is asked to send and accepts it,
/// optionally slowly.
#[derive(Clone, Default)]
pub struct RecordingProvider {
    pub sent: Arc<Mutex<Vec<Notification>>>,
    pub delay: Duration,
}

impl RecordingProvider {
    pub fn count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }
}

impl Provider for RecordingProvider {
    fn attempt(&self, notification: &Notification) -> Attempt {
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        self.sent.lock().unwrap().push(notification.clone());
        Attempt::Delivered(format!("receipt-{}", notification.notification_id))
    }
}

pub type TestProviderChannel = Arc<ProviderChannel<RecordingProvider, CountedPause>>;

/// A provider channel over `provider`, as the email and SMS channels are.
pub fn provider_channel(provider: &RecordingProvider) -> Option<TestProviderChannel> {
    Some(Arc::new(ProviderChannel::new(
        provider.clone(),
        CountedPause::default(),
    )))
}

/// A log channel always, a webhook channel only when configured; email
/// and SMS through a provider when configured, else unconfigured (email
/// unreachable when so marked).
#[derive(Clone, Default)]
pub struct TestChannels {
    pub log: RecordingChannel,
    pub webhook: Option<RecordingChannel>,
    pub email: Option<TestProviderChannel>,
    pub sms: Option<TestProviderChannel>,
    pub email_unreachable: bool,
}

impl Channels for TestChannels {
    fn channel(&self, kind: ChannelKind) -> Result<&dyn Deliver, Unavailable> {
        match kind {
            ChannelKind::Log => Ok(&self.log),
            ChannelKind::Webhook => self
                .webhook
                .as_ref()
                .map(|c| c as &dyn Deliver)
                .ok_or(Unavailable::Unconfigured),
            ChannelKind::Email if self.email_unreachable => Err(Unavailable::Unreachable),
            ChannelKind::Email => provider(&self.email),
            ChannelKind::Sms => provider(&self.sms),
        }
    }
}

fn provider(channel: &Option<TestProviderChannel>) -> Result<&dyn Deliver, Unavailable> {
    channel
        .as_deref()
        .map(|c| c as &dyn Deliver)
        .ok_or(Unavailable::Unconfigured)
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

/// A clock or a pause that runs a hook when first used, so that a test acts
/// at that exact point of a request: a claimant first reads its clock right
/// after its claim, a repeat first pauses between its first two looks.
pub struct FirstUse<T> {
    inner: T,
    hook: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl<T> FirstUse<T> {
    pub fn new(inner: T, hook: impl FnOnce() + Send + 'static) -> Self {
        Self {
            inner,
            hook: Mutex::new(Some(Box::new(hook))),
        }
    }

    fn fire(&self) {
        // Taken out first: the hook may run a request that uses this again.
        let hook = self.hook.lock().unwrap().take();
        if let Some(hook) = hook {
            hook();
        }
    }
}

impl<T: Clock> Clock for FirstUse<T> {
    fn now(&self) -> Timestamp {
        self.fire();
        self.inner.now()
    }
}

impl<T: Pause> Pause for FirstUse<T> {
    fn pause(&self, duration: Duration) {
        self.fire();
        self.inner.pause(duration);
    }
}

/// Sleeps the thread, for tests that race threads.
pub struct ThreadSleep;

impl Pause for ThreadSleep {
    fn pause(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

pub type TestService =
    NotificationService<Arc<InMemoryStore>, TestChannels, ManualClock, CountedPause>;

/// One store (interleaving its operations when threads share it), channels,
/// clock and pause counter, behind as many services as a test makes.
pub struct Fixture {
    pub store: Arc<InMemoryStore>,
    pub channels: TestChannels,
    pub clock: ManualClock,
    pub pause: CountedPause,
}

impl Fixture {
    pub fn new() -> Self {
        Self::on(InMemoryStore::default())
    }

    /// A fixture over `store`, which is made to interleave.
    pub fn on(store: InMemoryStore) -> Self {
        Self {
            store: Arc::new(store.interleaved()),
            channels: TestChannels::default(),
            clock: ManualClock::at(Timestamp::from_unix_seconds(1_800_000_000)),
            pause: CountedPause::default(),
        }
    }

    pub fn service(&self) -> TestService {
        NotificationService::new(
            Arc::clone(&self.store),
            self.channels.clone(),
            self.clock.clone(),
            self.pause.clone(),
        )
    }

    /// Fails the next `op` on a key ending in `suffix`, once.
    pub fn fail_once(&self, op: Op, suffix: &'static str) {
        self.fail_nth(op, suffix, 1);
    }

    /// Fails the next `op` on a key holding `part`, once.
    pub fn fail_once_within(&self, op: Op, part: &'static str) {
        let mut left = 1;
        self.store.fail_when(move |call| {
            left > 0 && call.op == op && call.keys.iter().any(|key| key.contains(part)) && {
                left -= 1;
                true
            }
        });
    }

    /// Fails the `nth` (from 1) next `op` on a key ending in `suffix`, once.
    pub fn fail_nth(&self, op: Op, suffix: &'static str, nth: usize) {
        let mut left = nth;
        self.store.fail_when(move |call| {
            left > 0 && call.op == op && call.keys.iter().any(|key| key.ends_with(suffix)) && {
                left -= 1;
                left == 0
            }
        });
    }
}

pub fn request(user: &str, message: &str) -> NotifyRequest {
    NotifyRequest {
        user_id: UserId::parse(user).unwrap(),
        channel: ChannelKind::Log,
        to: None,
        subject: None,
        message: Message::parse(message.to_owned()).unwrap(),
        metadata: None,
    }
}

/// The receipt, whether this request created the notification or repeated it.
pub fn receipt(notified: &Notified) -> &Receipt {
    match notified {
        Notified::Created(receipt) | Notified::Repeated(receipt) => receipt,
    }
}
