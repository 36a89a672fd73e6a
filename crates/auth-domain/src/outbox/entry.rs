//! One pending side effect as the outbox stores it.

use domain_core::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every delivery target, as [`SideEffect::target`] names them.
pub const TARGETS: [&str; 2] = ["analytics", "notification"];

/// A side effect of an auth operation, to deliver to another service. Its
/// id is fixed when it is staged, so every retry is recognisable as the
/// same one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SideEffect {
    /// `POST {analytics_url}/analytics/events`.
    Event {
        event_id: String,
        user_id: String,
        action: String,
        timestamp: Timestamp,
        metadata: Value,
    },
    /// `POST {notification_url}/notification/notify` with
    /// `Idempotency-Key: {idempotency_key}`.
    Notification {
        idempotency_key: String,
        user_id: String,
        subject: String,
        message: String,
        /// The user's email address: sent on the `email` channel when
        /// present, else on `log`. Absent in entries staged before it existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        /// What it is (`welcome`, `login_alert`), sent as `metadata.type`
        /// so that readers of the notification can tell without its text.
        /// Absent in entries staged before it existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        purpose: Option<String>,
    },
}

impl SideEffect {
    pub fn event(user_id: &str, action: &str, timestamp: Timestamp, metadata: Value) -> Self {
        Self::Event {
            event_id: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.to_owned(),
            action: action.to_owned(),
            timestamp,
            metadata,
        }
    }

    pub fn notification(user_id: &str, purpose: &str, subject: &str, message: String) -> Self {
        Self::Notification {
            idempotency_key: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.to_owned(),
            subject: subject.to_owned(),
            message,
            to: None,
            purpose: Some(purpose.to_owned()),
        }
    }

    /// Gives an event a fixed id, for an event that several requests may
    /// stage but the receiver must count once.
    pub fn with_event_id(mut self, id: String) -> Self {
        if let Self::Event { event_id, .. } = &mut self {
            *event_id = id;
        }
        self
    }

    /// Addresses a notification to `email`, when the user gave one.
    pub fn to_email(mut self, email: Option<&str>) -> Self {
        if let Self::Notification { to, .. } = &mut self {
            *to = email.map(str::to_owned);
        }
        self
    }

    /// Who receives it; back-off is kept per target.
    pub fn target(&self) -> &'static str {
        match self {
            Self::Event { .. } => TARGETS[0],
            Self::Notification { .. } => TARGETS[1],
        }
    }

    /// The user it is about.
    pub fn user_id(&self) -> &str {
        match self {
            Self::Event { user_id, .. } | Self::Notification { user_id, .. } => user_id,
        }
    }

    /// The stable id receivers deduplicate on.
    pub fn id(&self) -> &str {
        match self {
            Self::Event { event_id, .. } => event_id,
            Self::Notification {
                idempotency_key, ..
            } => idempotency_key,
        }
    }
}

/// `outbox:entry:{seq}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub seq: u64,
    /// Stored to the millisecond: sweeps and flushes measure an entry's age
    /// against margins of a few seconds (`settle_after_seconds` and half
    /// of it), which whole seconds would cut by up to one. Entries written
    /// by earlier versions hold whole seconds, and read as such.
    #[serde(with = "millis")]
    pub created_at: Timestamp,
    /// No attempt of it can still be under way (its receiver answered its
    /// request's attempt, or refused it for good before a replay), so
    /// sweeps and flushes take it at once.
    /// Otherwise they leave it to that request for `settle_after_seconds`
    /// (two deliveries of one entry at once can lose it, see
    /// `Outbox::flush`).
    #[serde(default)]
    pub deferred: bool,
    /// Stored as `delivery`, its name in entries written by earlier versions.
    #[serde(rename = "delivery")]
    pub effect: SideEffect,
}

/// A [`Timestamp`] as RFC 3339 to the millisecond.
mod millis {
    use domain_core::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(time: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&time.to_rfc3339_millis())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        Timestamp::deserialize(deserializer)
    }
}
