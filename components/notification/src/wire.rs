//! The JSON bodies of the notification API, as served and as documented:
//! the handlers serialize these very types, so the OpenAPI schemas cannot
//! drift from the responses.

use notification_domain::{ChannelKind, DeliveryStatus, NotificationRecord, Receipt};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Log,
    Webhook,
    Email,
    Sms,
}

impl From<ChannelKind> for Channel {
    fn from(kind: ChannelKind) -> Self {
        match kind {
            ChannelKind::Log => Self::Log,
            ChannelKind::Webhook => Self::Webhook,
            ChannelKind::Email => Self::Email,
            ChannelKind::Sms => Self::Sms,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Delivered,
    Failed,
}

impl From<DeliveryStatus> for Status {
    fn from(status: DeliveryStatus) -> Self {
        match status {
            DeliveryStatus::Delivered => Self::Delivered,
            DeliveryStatus::Failed => Self::Failed,
        }
    }
}

/// The body of `POST /notification/notify`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NotifyBody {
    /// Whom the notification is for; 1–128 characters.
    #[schema(
        min_length = 1,
        max_length = 128,
        example = "5b0f8a52-2d1e-4a55-9a57-3f7c1c1d2e3f"
    )]
    user_id: String,
    /// Defaults to `log`. `webhook` needs the `webhook_url` variable (and
    /// `webhook_origin` allowing its host). `email` and `sms` are delivered
    /// by provider components (see the README's "Channels"); the default
    /// ones need the `email_api_*` / `sms_api_*` variables. A channel that is
    /// not configured answers `503 channel_unavailable`.
    #[schema(default = "log")]
    channel: Option<Channel>,
    /// The recipient: required for `email` (an email address, at most 254
    /// characters, one `@`, a dotted domain, no whitespace) and `sms` (an
    /// E.164 number: `+`, then 2–15 digits, the first not 0); refused for
    /// `log` and `webhook`.
    #[schema(max_length = 254, example = "+15551234567")]
    to: Option<String>,
    /// At most 200 characters.
    #[schema(max_length = 200, example = "Welcome")]
    subject: Option<String>,
    /// 1–4000 characters.
    #[schema(min_length = 1, max_length = 4000, example = "Hello and welcome!")]
    message: String,
    /// Any JSON object; kept and delivered as given.
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
}

/// The outcome of a notify; a repeat of its `Idempotency-Key` gets it again.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationReceipt {
    #[schema(format = Uuid)]
    notification_id: String,
    status: Status,
    channel: Channel,
    /// Delivery tries made (the webhook, email and sms channels retry).
    #[schema(minimum = 1)]
    attempts: u32,
    /// Why the delivery failed; only when `status` is `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<&Receipt> for NotificationReceipt {
    fn from(receipt: &Receipt) -> Self {
        Self {
            notification_id: receipt.notification_id.to_string(),
            status: receipt.status.into(),
            channel: receipt.channel.into(),
            attempts: receipt.attempts,
            error: receipt.error.clone(),
            created_at: receipt.created_at.to_rfc3339(),
        }
    }
}

/// A stored notification with its delivery outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    #[schema(format = Uuid)]
    notification_id: String,
    user_id: String,
    channel: Channel,
    /// The recipient address (`email` and `sms` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    subject: Option<String>,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
    status: Status,
    #[schema(minimum = 1)]
    attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// What the email or SMS provider that accepted the notification calls
    /// it (e.g. its message id); only when delivered through a provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    provider_receipt: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<NotificationRecord> for NotificationView {
    fn from(record: NotificationRecord) -> Self {
        let notification = record.notification;
        Self {
            notification_id: notification.notification_id.to_string(),
            user_id: notification.user_id.as_str().to_owned(),
            channel: notification.channel.into(),
            to: notification.to.map(|to| to.as_str().to_owned()),
            subject: notification.subject.map(|s| s.as_str().to_owned()),
            message: notification.message.as_str().to_owned(),
            metadata: notification.metadata.map(serde_json::Value::Object),
            status: record.status.into(),
            attempts: record.attempts,
            error: record.error,
            provider_receipt: record.provider_receipt,
            created_at: notification.created_at.to_rfc3339(),
        }
    }
}

/// A user's newest notifications, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub user_id: String,
    pub notifications: Vec<NotificationView>,
}

/// The health report.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Health {
    /// `ok`, or `unavailable` when a check failed.
    #[schema(example = "ok")]
    status: String,
    #[schema(example = "notification")]
    service: String,
    version: String,
    /// Each check's verdict, `ok` or `failed`, e.g. `{"kv": "ok"}`.
    #[schema(value_type = Object)]
    checks: std::collections::BTreeMap<String, String>,
}
