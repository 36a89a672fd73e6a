//! The validated fields of a notification. Each `parse` returns an
//! [`Invalid`] whose message is shown to the client as the field's detail.
//! The user id and the metadata are the ones every service accepts
//! (`domain_core::{UserId, Metadata}`).

use domain_core::Invalid;
use domain_core::invalid::{chars_within, text_within};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An optional heading: one line of at most 200 characters. No control
/// characters: a line break in a heading could add a mail header where an
/// email provider writes the subject into one. Unicode's line and
/// paragraph separators (U+2028, U+2029), which are no control characters,
/// break a line too wherever text is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Subject(String);

impl Subject {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(text: String) -> Result<Self, Invalid> {
        const RULE: &str = "must be one line of at most 200 characters, without control characters";
        if text
            .chars()
            .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
        {
            return Err(Invalid(RULE));
        }
        text_within(text, 0, Self::MAX_CHARS, RULE).map(Self)
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
        text_within(text, 1, Self::MAX_CHARS, "must be 1 to 4000 characters").map(Self)
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
    Email,
    Sms,
}

impl ChannelKind {
    pub fn parse(text: String) -> Result<Self, Invalid> {
        [Self::Log, Self::Webhook, Self::Email, Self::Sms]
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or(Invalid(
                "must be \"log\", \"webhook\", \"email\" or \"sms\"",
            ))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Log => "log",
            Self::Webhook => "webhook",
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }
}

/// The recipient address (`to`): required by the channels that address
/// someone (an email address for `email`, an E.164 number for `sms`) and
/// refused by the others, which deliver to the operator's log or webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Recipient(String);

impl Recipient {
    /// The longest email address SMTP can carry (RFC 5321 path limit).
    pub const MAX_EMAIL_CHARS: usize = 254;

    /// Validates `to` for `channel`; `None` when absent.
    pub fn for_channel(channel: ChannelKind, to: Option<String>) -> Result<Option<Self>, Invalid> {
        match (channel, to) {
            (ChannelKind::Email, Some(to)) => Self::email(to).map(Some),
            (ChannelKind::Sms, Some(to)) => Self::phone(to).map(Some),
            (ChannelKind::Email | ChannelKind::Sms, None) => {
                Err(Invalid("is required for the email and sms channels"))
            }
            (ChannelKind::Log | ChannelKind::Webhook, Some(_)) => {
                Err(Invalid("only the email and sms channels take a recipient"))
            }
            (ChannelKind::Log | ChannelKind::Webhook, None) => Ok(None),
        }
    }

    /// A plain address: at most 254 characters, exactly one `@` with text
    /// on both sides, a dot in the domain, and no whitespace, control
    /// characters or RFC 5322 specials (`<>()[],;:\"`): a provider that
    /// writes the address into a `To:` header must not find a display name,
    /// a second recipient or a header break in it. Quoted local parts and
    /// address literals, which need those characters, are refused.
    pub fn email(text: String) -> Result<Self, Invalid> {
        const SPECIALS: &[char] = &['<', '>', '(', ')', '[', ']', ',', ';', ':', '\\', '"'];
        let invalid = Invalid(
            "must be a plain email address (at most 254 characters, one @, a dot in the domain, no spaces, quotes, backslashes or <>()[],;:)",
        );
        if !chars_within(&text, 3, Self::MAX_EMAIL_CHARS)
            || text
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || SPECIALS.contains(&c))
        {
            return Err(invalid);
        }
        match text.split_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.') =>
            {
                Ok(Self(text))
            }
            _ => Err(invalid),
        }
    }

    /// E.164: `+`, a country code that does not start with 0, 2 to 15
    /// digits in all, nothing else (no spaces or dashes).
    pub fn phone(text: String) -> Result<Self, Invalid> {
        let digits = text.strip_prefix('+').unwrap_or("");
        let valid = (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if valid {
            Ok(Self(text))
        } else {
            Err(Invalid("must be an E.164 phone number, e.g. +15551234567"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A notification's id: a UUID v4, shown hyphenated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NotificationId(uuid::Uuid);

impl NotificationId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    pub fn parse(text: impl AsRef<str>) -> Result<Self, Invalid> {
        uuid::Uuid::parse_str(text.as_ref())
            .map(Self)
            .map_err(|_| Invalid("must be a UUID"))
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

    pub fn parse(text: impl Into<String>) -> Result<Self, Invalid> {
        text_within(
            text.into(),
            1,
            Self::MAX_CHARS,
            "must be 1 to 128 characters",
        )
        .map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_subject_is_one_line() {
        assert!(Subject::parse("Ça va? 👋".into()).is_ok());
        for broken in [
            "Hi\r\nBcc: x@example.com",
            "Hi\nthere",
            "tab\there",
            "nul\0",
            "line\u{2028}separator",
            "paragraph\u{2029}separator",
            "next line\u{85}(NEL)",
        ] {
            assert!(Subject::parse(broken.into()).is_err(), "{broken:?}");
        }
    }

    #[test]
    fn channels_are_log_webhook_email_or_sms() {
        assert_eq!(ChannelKind::parse("log".into()), Ok(ChannelKind::Log));
        assert_eq!(
            ChannelKind::parse("webhook".into()),
            Ok(ChannelKind::Webhook)
        );
        assert_eq!(ChannelKind::parse("email".into()), Ok(ChannelKind::Email));
        assert_eq!(ChannelKind::parse("sms".into()), Ok(ChannelKind::Sms));
        for bad in ["", "LOG", "SMS", "push", "e-mail"] {
            assert!(ChannelKind::parse(bad.into()).is_err(), "{bad}");
        }
        assert_eq!(ChannelKind::default(), ChannelKind::Log);
    }

    #[test]
    fn email_and_sms_need_a_recipient_and_the_others_refuse_one() {
        let to =
            |channel, text: Option<&str>| Recipient::for_channel(channel, text.map(str::to_owned));
        let required = Err(Invalid("is required for the email and sms channels"));
        assert_eq!(to(ChannelKind::Email, None), required);
        assert_eq!(to(ChannelKind::Sms, None), required);
        let refused = Err(Invalid("only the email and sms channels take a recipient"));
        assert_eq!(to(ChannelKind::Log, Some("a@example.com")), refused);
        assert_eq!(to(ChannelKind::Webhook, Some("+15551234567")), refused);
        assert_eq!(to(ChannelKind::Log, None), Ok(None));
        assert_eq!(
            to(ChannelKind::Email, Some("a@example.com"))
                .unwrap()
                .unwrap()
                .as_str(),
            "a@example.com"
        );
        // Each channel checks its own kind of address.
        assert_eq!(
            to(ChannelKind::Email, Some("+15551234567")),
            Err(Invalid(
                "must be a plain email address (at most 254 characters, one @, a dot in the domain, no spaces, quotes, backslashes or <>()[],;:)"
            ))
        );
        assert_eq!(
            to(ChannelKind::Sms, Some("a@example.com")),
            Err(Invalid("must be an E.164 phone number, e.g. +15551234567"))
        );
    }

    #[test]
    fn email_addresses_have_one_at_a_dotted_domain_and_no_whitespace() {
        for good in ["a@example.com", "first.last+tag@mail.example.org"] {
            assert!(Recipient::email(good.into()).is_ok(), "{good}");
        }
        let long = format!("{}@example.com", "l".repeat(242));
        assert_eq!(long.chars().count(), 254);
        assert!(Recipient::email(long.clone()).is_ok());
        let too_long = format!("l{long}");
        for bad in [
            "",
            "@example.com",
            "a@",
            "a@b@example.com",
            "a@localhost",
            "a@.example.com",
            "a@example.com.",
            "a b@example.com",
            "a@example.com\r\nBcc: x@y.z",
            // Whitespace that is no control character, a control character
            // that is no whitespace.
            "a\u{a0}b@example.com",
            "a\u{7f}b@example.com",
            // What a mail header reads as a display name, a second
            // recipient, a comment or a quoted part.
            "<a@example.com>",
            "a@example.com>,<b",
            "a@example.com,b",
            "a@example.com;x",
            "a(comment)@example.com",
            "\"a\"@example.com",
            "a\\b@example.com",
            "a@[127.0.0.1].x",
            "a:b@example.com",
            "plain",
            too_long.as_str(),
        ] {
            assert!(Recipient::email(bad.into()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn phone_numbers_are_e164() {
        for good in ["+15551234567", "+447911123456", "+12", "+123456789012345"] {
            assert!(Recipient::phone(good.into()).is_ok(), "{good}");
        }
        for bad in [
            "",
            "+",
            "+1",
            "15551234567",
            "+1 555 123 4567",
            "+1-555-1234567",
            "+0123456789",
            "+1234567890123456",
            "+1555123456a",
            "++15551234567",
        ] {
            assert!(Recipient::phone(bad.into()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn idempotency_keys_are_1_to_128_characters() {
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("k".repeat(128)).is_ok());
        assert_eq!(
            IdempotencyKey::parse("k".repeat(129)),
            Err(Invalid("must be 1 to 128 characters"))
        );
    }

    #[test]
    fn notification_ids_are_uuids() {
        let id = NotificationId::generate();
        assert_eq!(NotificationId::parse(id.to_string()), Ok(id));
        assert_eq!(
            NotificationId::parse("not-a-uuid"),
            Err(Invalid("must be a UUID"))
        );
    }
}
