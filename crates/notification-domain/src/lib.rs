//! The notification service's domain, free of Spin types so it unit-tests
//! natively: validated fields, the delivery port, the retry policy of the
//! webhook and provider channels (email, SMS), idempotent notify, stored
//! records and each user's bounded index.
//! The store layout and its bound are described in this crate's README.

pub mod channel;
pub mod error;
pub mod fields;
pub mod idempotency;
mod keys;
pub mod notification;
pub mod pause;
pub mod provider;
pub mod records;
mod retry;
pub mod service;
pub mod webhook;

pub use channel::{Channels, Deliver};
pub use error::{NotifyError, StorageError};
pub use fields::{
    ChannelKind, IdempotencyKey, Invalid, Limit, Message, Metadata, NotificationId, Recipient,
    Subject, UserId,
};
pub use idempotency::IdempotencyPolicy;
pub use notification::{
    Delivery, DeliveryStatus, Notification, NotificationRecord, NotifyRequest, Receipt,
};
pub use pause::{Pause, ThreadSleep};
pub use provider::{Attempt, Provider, ProviderChannel};
pub use records::INDEX_SLOTS;
pub use retry::RetryPolicy;
pub use service::{NotificationService, Notified};
pub use webhook::{TransportFailure, WebhookChannel, WebhookTransport};
