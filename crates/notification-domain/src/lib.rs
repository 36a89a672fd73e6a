//! The notification service's domain, free of Spin types so it unit-tests
//! natively: validated fields, the delivery port, the retries of the
//! webhook and provider channels (email, SMS), each recipient's hourly
//! budget on them, idempotent notify, stored records and each user's
//! bounded index.
//! The store layout and its bound are described in this crate's README.

mod budget;
mod channel;
mod error;
mod fields;
pub mod idempotency;
mod keys;
mod notification;
mod provider;
mod records;
mod retry;
mod service;
mod webhook;
mod webhook_target;

pub use budget::{BUDGET_SPENT, RECIPIENT_HOURLY_BUDGET};
pub use channel::{Channels, Deliver, Unavailable};
pub use domain_core::Pause;
pub use error::{NotifyError, StorageError};
pub use fields::{ChannelKind, IdempotencyKey, Message, NotificationId, Recipient, Subject};
pub use notification::{
    Delivery, DeliveryStatus, Notification, NotificationRecord, NotifyRequest, Receipt,
};
pub use provider::{Attempt, Provider, ProviderChannel, ProviderMessage, Readiness};
pub use records::INDEX_SLOTS;
pub use service::{NotificationService, Notified};
pub use webhook::{TransportFailure, WebhookChannel, WebhookTransport};
pub use webhook_target::{WebhookTargetError, webhook_target};
