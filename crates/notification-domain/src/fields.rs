//! The validated fields of a notification. Each `parse` returns an
//! [`Invalid`] whose message is shown to the client as the field's detail.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A field value that breaks its rule; the message says which rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub &'static str);

fn char_count_within(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.chars().count())
}

/// Whom a notification is for: 1–128 characters, as the other services
/// accept user ids (notifications may also name users auth does not know).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    pub const MAX_CHARS: usize = 128;

    pub fn parse(text: String) -> Result<Self, Invalid> {
        if char_count_within(&text, 1, Self::MAX_CHARS) {
            Ok(Self(text))
        } else {
            Err(Invalid("must be 1 to 128 characters"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional heading: at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Subject(String);

impl Subject {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(text: String) -> Result<Self, Invalid> {
        if char_count_within(&text, 0, Self::MAX_CHARS) {
            Ok(Self(text))
        } else {
            Err(Invalid("must be at most 200 characters"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text delivered: 1–4000 characters (Unicode scalar values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Message(String);

impl Message {
    pub const MAX_CHARS: usize = 4000;

    pub fn parse(text: String) -> Result<Self, Invalid> {
        if char_count_within(&text, 1, Self::MAX_CHARS) {
            Ok(Self(text))
        } else {
            Err(Invalid("must be 1 to 4000 characters"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a notification is delivered. A new channel is a new variant here and
/// an adapter behind [`crate::Deliver`]; handlers do not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    #[default]
    Log,
    Webhook,
}

impl ChannelKind {
    pub const ALL: [Self; 2] = [Self::Log, Self::Webhook];

    pub fn parse(text: String) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or(Invalid("must be \"log\" or \"webhook\""))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Log => "log",
            Self::Webhook => "webhook",
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Free-form data the caller attaches; kept and delivered as given.
pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// A notification's id: a UUID v4, shown hyphenated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NotificationId(uuid::Uuid);

impl NotificationId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// `None` for anything that is not a UUID: such an id cannot exist.
    pub fn parse(text: &str) -> Option<Self> {
        uuid::Uuid::parse_str(text).ok().map(Self)
    }
}

impl fmt::Display for NotificationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// The `Idempotency-Key` header: 1–128 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_CHARS: usize = 128;

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if char_count_within(text, 1, Self::MAX_CHARS) {
            Ok(Self(text.to_owned()))
        } else {
            Err(Invalid("must be 1 to 128 characters"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many notifications a listing returns: 1–100, default 20.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(usize);

impl Limit {
    pub const DEFAULT: Self = Self(20);
    pub const MAX: usize = 100;

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        text.parse::<usize>()
            .ok()
            .filter(|limit| (1..=Self::MAX).contains(limit))
            .map(Self)
            .ok_or(Invalid("must be an integer from 1 to 100"))
    }

    pub fn get(self) -> usize {
        self.0
    }
}

impl Default for Limit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_1_to_128_characters() {
        assert!(UserId::parse(String::new()).is_err());
        assert!(UserId::parse("u".into()).is_ok());
        assert!(UserId::parse("é".repeat(128)).is_ok());
        assert!(UserId::parse("u".repeat(129)).is_err());
    }

    #[test]
    fn messages_count_characters_not_bytes() {
        assert!(Message::parse(String::new()).is_err());
        assert!(Message::parse("✓".repeat(4000)).is_ok());
        assert_eq!(
            Message::parse("m".repeat(4001)),
            Err(Invalid("must be 1 to 4000 characters"))
        );
    }

    #[test]
    fn subjects_may_be_empty_but_not_over_200() {
        assert!(Subject::parse(String::new()).is_ok());
        assert!(Subject::parse("s".repeat(200)).is_ok());
        assert!(Subject::parse("s".repeat(201)).is_err());
    }

    #[test]
    fn channels_are_log_or_webhook() {
        assert_eq!(ChannelKind::parse("log".into()), Ok(ChannelKind::Log));
        assert_eq!(
            ChannelKind::parse("webhook".into()),
            Ok(ChannelKind::Webhook)
        );
        for bad in ["", "LOG", "sms", "email"] {
            assert!(ChannelKind::parse(bad.into()).is_err(), "{bad}");
        }
        assert_eq!(ChannelKind::default(), ChannelKind::Log);
    }

    #[test]
    fn idempotency_keys_are_1_to_128_characters() {
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(128)).is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(129)).is_err());
    }

    #[test]
    fn limits_are_1_to_100() {
        assert_eq!(Limit::parse("1").map(Limit::get), Ok(1));
        assert_eq!(Limit::parse("100").map(Limit::get), Ok(100));
        for bad in ["0", "101", "-1", "abc", "", "1.5"] {
            assert!(Limit::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Limit::default().get(), 20);
    }

    #[test]
    fn notification_ids_are_uuids() {
        let id = NotificationId::generate();
        assert_eq!(NotificationId::parse(&id.to_string()), Some(id));
        assert_eq!(NotificationId::parse("not-a-uuid"), None);
    }
}
