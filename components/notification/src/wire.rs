//! The JSON bodies of the notification API, as read, served and documented:
//! the handlers read and serialize these very types, so the OpenAPI schemas
//! cannot drift from them.

use domain_core::{Metadata, Timestamp, UserId};
use notification_domain::{
    ChannelKind, DeliveryStatus, Message, NotificationId, NotificationRecord, NotifyRequest,
    Receipt, Recipient, Subject,
};
use serde::Serialize;
use serde_json::{Map, Value};
use spin_edge::{FieldReader, FromFields};
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
#[derive(Debug, ToSchema)]
pub struct NotifyBody {
    /// Whom the notification is for; 1–128 characters.
    #[schema(
        value_type = String,
        min_length = 1,
        max_length = 128,
        example = "5b0f8a52-2d1e-4a55-9a57-3f7c1c1d2e3f"
    )]
    user_id: UserId,
    /// Defaults to `log`. `webhook` needs the `webhook_url` variable, an
    /// http(s) URL that `webhook_origin` allows. `email` and `sms` are delivered
    /// by provider components (see the README's "Channels"); the default
    /// ones need the `email_api_*` / `sms_api_*` variables. A channel that is
    /// not configured answers `503 channel_unavailable`.
    #[schema(value_type = Option<Channel>, default = "log")]
    channel: ChannelKind,
    /// The recipient: required for `email` (a plain email address, at most
    /// 254 characters, one `@`, a dotted domain, no whitespace, quotes or
    /// `<>()[],;:\\`) and `sms` (an
    /// E.164 number: `+`, then 2–15 digits, the first not 0); refused for
    /// `log` and `webhook`.
    #[schema(value_type = Option<String>, max_length = 254, example = "+15551234567")]
    to: Option<Recipient>,
    /// One line of at most 200 characters: no control characters or
    /// Unicode line and paragraph separators (no line breaks).
    #[schema(value_type = Option<String>, max_length = 200, example = "Welcome")]
    subject: Option<Subject>,
    /// 1–4000 characters.
    #[schema(
        value_type = String,
        min_length = 1,
        max_length = 4000,
        example = "Hello and welcome!"
    )]
    message: Message,
    /// Any JSON object of at most 4 KiB serialized; kept and delivered as given.
    #[schema(value_type = Option<Object>)]
    metadata: Option<Metadata>,
}

impl FromFields for NotifyBody {
    fn from_fields(fields: &mut FieldReader) -> Option<Self> {
        let user_id = fields.required("user_id");
        let channel = fields
            .optional_with("channel", ChannelKind::parse)
            .map(Option::unwrap_or_default);
        // Checked for the channel asked for; when the channel itself is bad,
        // what `to` should be is unknown and only the channel is reported.
        let to = fields
            .optional::<String>("to")
            .zip(channel)
            .and_then(|(to, channel)| {
                Recipient::for_channel(channel, to)
                    .map_err(|invalid| fields.reject("to", &invalid.to_string()))
                    .ok()
            });
        let subject = fields.optional_with("subject", Subject::parse);
        let message = fields.required_with("message", Message::parse);
        let metadata = fields.optional("metadata");
        Some(Self {
            user_id: user_id?,
            channel: channel?,
            to: to?,
            subject: subject?,
            message: message?,
            metadata: metadata?,
        })
    }
}

impl From<NotifyBody> for NotifyRequest {
    fn from(body: NotifyBody) -> Self {
        Self {
            user_id: body.user_id,
            channel: body.channel,
            to: body.to,
            subject: body.subject,
            message: body.message,
            metadata: body.metadata,
        }
    }
}

/// The outcome of a notify; a repeat of its `Idempotency-Key` gets it again.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationReceipt {
    #[schema(value_type = String, format = Uuid)]
    notification_id: NotificationId,
    status: Status,
    channel: Channel,
    /// Delivery tries made (the webhook, email and sms channels retry); 0
    /// when none was, the recipient's hourly budget being spent.
    #[schema(minimum = 0)]
    attempts: u32,
    /// Why the delivery failed; only when `status` is `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// RFC 3339, UTC.
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
}

impl From<Receipt> for NotificationReceipt {
    fn from(receipt: Receipt) -> Self {
        Self {
            notification_id: receipt.notification_id,
            status: receipt.status.into(),
            channel: receipt.channel.into(),
            attempts: receipt.attempts,
            error: receipt.error,
            created_at: receipt.created_at,
        }
    }
}

/// A stored notification with its delivery outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    #[schema(value_type = String, format = Uuid)]
    notification_id: NotificationId,
    #[schema(value_type = String)]
    user_id: UserId,
    channel: Channel,
    /// The recipient address (`email` and `sms` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    to: Option<Recipient>,
    /// `null` when the notification has none; always present.
    #[schema(value_type = Option<String>, required = true)]
    subject: Option<Subject>,
    #[schema(value_type = String)]
    message: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    metadata: Option<Map<String, Value>>,
    status: Status,
    /// As in the receipt: 0 when the recipient's hourly budget was spent.
    #[schema(minimum = 0)]
    attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// What the email or SMS provider that accepted the notification calls
    /// it (e.g. its message id); only when delivered through a provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    provider_receipt: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
}

impl From<NotificationRecord> for NotificationView {
    fn from(record: NotificationRecord) -> Self {
        let notification = record.notification;
        Self {
            notification_id: notification.notification_id,
            user_id: notification.user_id,
            channel: notification.channel.into(),
            to: notification.to,
            subject: notification.subject,
            message: notification.message,
            metadata: notification.metadata,
            status: record.status.into(),
            attempts: record.attempts,
            error: record.error,
            provider_receipt: record.provider_receipt,
            created_at: notification.created_at,
        }
    }
}

/// A user's newest notifications, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    #[schema(value_type = String)]
    pub user_id: UserId,
    pub notifications: Vec<NotificationView>,
}
