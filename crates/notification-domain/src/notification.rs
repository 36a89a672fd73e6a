//! A notification, the outcome of delivering it, and the record kept of both.

use crate::fields::{ChannelKind, Message, NotificationId, Recipient, Subject};
use domain_core::{Metadata, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a caller asks to send, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyRequest {
    pub user_id: UserId,
    pub channel: ChannelKind,
    /// The address for `email` and `sms`; `None` for the other channels.
    pub to: Option<Recipient>,
    pub subject: Option<Subject>,
    pub message: Message,
    pub metadata: Option<Metadata>,
}

/// A notification as channels deliver it (the webhook's body, the log line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub notification_id: NotificationId,
    pub user_id: UserId,
    pub channel: ChannelKind,
    /// Absent for `log` and `webhook`, so their output is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Recipient>,
    pub subject: Option<Subject>,
    pub message: Message,
    /// As the caller gave it (and as stored: records written before the
    /// 4 KiB bound stay readable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    pub created_at: Timestamp,
}

impl Notification {
    pub fn new(request: NotifyRequest, created_at: Timestamp) -> Self {
        Self {
            notification_id: NotificationId::generate(),
            user_id: request.user_id,
            channel: request.channel,
            to: request.to,
            subject: request.subject,
            message: request.message,
            metadata: request.metadata.map(Map::from),
            created_at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Delivered,
    Failed,
}

/// How one delivery went. A failed delivery is a result, not an error: it is
/// stored and reported to the caller like a successful one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Tries made: 0 when none was (the recipient's budget was spent).
    pub attempts: u32,
    /// Why the last try failed; safe to show to clients.
    pub failure: Option<String>,
    /// What the provider that accepted the notification calls it (e.g. its
    /// message id); only channels behind a provider have one.
    pub provider_receipt: Option<String>,
}

impl Delivery {
    pub fn delivered(attempts: u32) -> Self {
        Self {
            attempts,
            failure: None,
            provider_receipt: None,
        }
    }

    pub fn delivered_with_receipt(attempts: u32, receipt: impl Into<String>) -> Self {
        Self {
            provider_receipt: Some(receipt.into()),
            ..Self::delivered(attempts)
        }
    }

    pub fn failed(attempts: u32, reason: impl Into<String>) -> Self {
        Self {
            attempts,
            failure: Some(reason.into()),
            provider_receipt: None,
        }
    }

    pub fn status(&self) -> DeliveryStatus {
        if self.failure.is_some() {
            DeliveryStatus::Failed
        } else {
            DeliveryStatus::Delivered
        }
    }
}

/// The stored notification with its delivery outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationRecord {
    #[serde(flatten)]
    pub notification: Notification,
    pub status: DeliveryStatus,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_receipt: Option<String>,
}

impl NotificationRecord {
    pub fn new(notification: Notification, delivery: Delivery) -> Self {
        Self {
            status: delivery.status(),
            attempts: delivery.attempts,
            error: delivery.failure,
            provider_receipt: delivery.provider_receipt,
            notification,
        }
    }

    pub fn receipt(&self) -> Receipt {
        Receipt {
            notification_id: self.notification.notification_id,
            status: self.status,
            channel: self.notification.channel,
            attempts: self.attempts,
            error: self.error.clone(),
            created_at: self.notification.created_at,
        }
    }
}

/// What `notify` answers, and what a repeat of its idempotency key gets again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub notification_id: NotificationId,
    pub status: DeliveryStatus,
    pub channel: ChannelKind,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at: Timestamp,
}
