//! Channels supplied by provider components (email, SMS): the provider
//! makes one attempt and classifies it; this policy decides what to do with
//! the answer, with the same retries and back-off as the webhook channel.
//! A provider is a port, so the policy tests natively. The types the port
//! speaks serialize, so that the providers can live in a component of their
//! own and be asked over a chained call.

use serde::{Deserialize, Serialize};

use crate::channel::Deliver;
use crate::notification::{Delivery, Notification};
use crate::retry::{Try, with_retries};
use domain_core::Pause;

/// How one provider attempt went: as JSON,
/// `{"outcome": "delivered", "detail": "<receipt>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "snake_case")]
pub enum Attempt {
    /// Accepted; the provider's receipt (e.g. its message id).
    Delivered(String),
    /// Refused for good (bad address, refused content): not retried.
    Rejected(String),
    /// Not delivered this time: retried while attempts remain.
    Unavailable(String),
}

impl Attempt {
    /// The same attempt with its receipt or reason no longer than what is
    /// stored. Whatever a plugged-in provider answers, its answer then fits
    /// the channels component's reply: one too long to read would count as
    /// no answer, and be sent again.
    pub fn shortened(self) -> Self {
        match self {
            Self::Delivered(receipt) => Self::Delivered(cut(receipt, MAX_RECEIPT_CHARS)),
            Self::Rejected(reason) => Self::Rejected(cut(reason, MAX_REASON_CHARS)),
            Self::Unavailable(reason) => Self::Unavailable(cut(reason, MAX_REASON_CHARS)),
        }
    }
}

/// Whether a provider can attempt deliveries at all: as JSON,
/// `{"readiness": "ready"}` or
/// `{"readiness": "unconfigured", "detail": "<what is missing>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "readiness", content = "detail", rename_all = "snake_case")]
pub enum Readiness {
    Ready,
    /// What is missing, by name (never a secret): for the operator's log.
    Unconfigured(String),
}

impl Readiness {
    /// The same answer with what is missing no longer than a reason.
    pub fn shortened(self) -> Self {
        match self {
            Self::Ready => Self::Ready,
            Self::Unconfigured(missing) => Self::Unconfigured(cut(missing, MAX_REASON_CHARS)),
        }
    }
}

fn cut(text: String, most: usize) -> String {
    text.chars().take(most).collect()
}

/// A notification as a provider sees it (the WIT `message` record). Every
/// field is already validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderMessage {
    pub id: String,
    pub user_id: String,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
}

impl ProviderMessage {
    pub fn of(notification: &Notification) -> Self {
        Self {
            id: notification.notification_id.to_string(),
            user_id: notification.user_id.as_str().to_owned(),
            // The domain builds email and SMS notifications only with a recipient.
            to: notification
                .to
                .as_ref()
                .map(|to| to.as_str().to_owned())
                .unwrap_or_default(),
            subject: notification.subject.as_ref().map(|s| s.as_str().to_owned()),
            body: notification.message.as_str().to_owned(),
        }
    }
}

/// One delivery attempt through a provider. Implementations bound their own
/// time; reasons are shown to clients, so they carry no secrets.
pub trait Provider {
    fn attempt(&self, notification: &Notification) -> Attempt;
}

pub struct ProviderChannel<T, P> {
    provider: T,
    pause: P,
}

impl<T: Provider, P: Pause> ProviderChannel<T, P> {
    pub fn new(provider: T, pause: P) -> Self {
        Self { provider, pause }
    }
}

/// The longest receipt stored, in characters: a provider's message id is
/// far shorter, and any provider can be plugged in.
pub const MAX_RECEIPT_CHARS: usize = 128;
/// The longest reason stored and shown for a failed attempt.
pub const MAX_REASON_CHARS: usize = 300;

impl<T: Provider, P: Pause> Deliver for ProviderChannel<T, P> {
    fn deliver(&self, notification: &Notification) -> Delivery {
        with_retries(&self.pause, || {
            match self.provider.attempt(notification).shortened() {
                Attempt::Delivered(receipt) => Try::Delivered(Some(receipt)),
                Attempt::Rejected(reason) => Try::Rejected(reason),
                Attempt::Unavailable(reason) => Try::Unavailable(reason),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{ChannelKind, Message, Recipient};
    use crate::notification::NotifyRequest;
    use domain_core::{Timestamp, UserId};
    use std::cell::RefCell;
    use std::time::Duration;

    struct Scripted(RefCell<Vec<Attempt>>);

    impl Provider for &Scripted {
        fn attempt(&self, _: &Notification) -> Attempt {
            let mut script = self.0.borrow_mut();
            assert!(!script.is_empty(), "attempted more often than scripted");
            script.remove(0)
        }
    }

    #[derive(Default)]
    struct Waits(RefCell<Vec<Duration>>);

    impl Pause for &Waits {
        fn pause(&self, duration: Duration) {
            self.0.borrow_mut().push(duration);
        }
    }

    fn email() -> Notification {
        Notification::new(
            NotifyRequest {
                user_id: UserId::parse("u1").unwrap(),
                channel: ChannelKind::Email,
                to: Some(Recipient::email("a@example.com".into()).unwrap()),
                subject: None,
                message: Message::parse("hello".into()).unwrap(),
                metadata: None,
            },
            Timestamp::from_unix_seconds(1_800_000_000),
        )
    }

    fn run(script: Vec<Attempt>) -> (Delivery, usize, Vec<Duration>) {
        let provider = Scripted(RefCell::new(script));
        let waits = Waits::default();
        let scripted = provider.0.borrow().len();
        let delivery = ProviderChannel::new(&provider, &waits).deliver(&email());
        let made = scripted - provider.0.borrow().len();
        (delivery, made, waits.0.into_inner())
    }

    #[test]
    fn outcomes_and_readiness_have_one_json_shape() {
        let delivered = serde_json::to_value(Attempt::Delivered("msg-1".into())).unwrap();
        assert_eq!(
            delivered,
            serde_json::json!({"outcome": "delivered", "detail": "msg-1"})
        );
        let unconfigured = serde_json::to_value(Readiness::Unconfigured("email_api_url".into()));
        assert_eq!(
            unconfigured.unwrap(),
            serde_json::json!({"readiness": "unconfigured", "detail": "email_api_url"})
        );
        for attempt in [
            Attempt::Delivered("r".into()),
            Attempt::Rejected("bad address".into()),
            Attempt::Unavailable("busy".into()),
        ] {
            let text = serde_json::to_string(&attempt).unwrap();
            assert_eq!(serde_json::from_str::<Attempt>(&text).unwrap(), attempt);
        }
        let ready: Readiness = serde_json::from_str(r#"{"readiness":"ready"}"#).unwrap();
        assert_eq!(ready, Readiness::Ready);
    }

    #[test]
    fn the_message_carries_the_validated_fields() {
        let notification = email();
        let message = ProviderMessage::of(&notification);
        assert_eq!(message.id, notification.notification_id.to_string());
        assert_eq!(message.user_id, "u1");
        assert_eq!(message.to, "a@example.com");
        assert_eq!(message.subject, None);
        assert_eq!(message.body, "hello");
    }

    #[test]
    fn delivered_keeps_the_providers_receipt() {
        let (delivery, made, waits) = run(vec![Attempt::Delivered("msg-1".into())]);
        assert_eq!(delivery, Delivery::delivered_with_receipt(1, "msg-1"));
        assert_eq!(made, 1);
        assert!(waits.is_empty());
    }

    /// Whatever a plugged-in provider answers, what is stored stays short.
    #[test]
    fn long_receipts_and_reasons_are_cut() {
        let long = "x".repeat(10_000);
        let (delivered, _, _) = run(vec![Attempt::Delivered(long.clone())]);
        assert_eq!(
            delivered,
            Delivery::delivered_with_receipt(1, "x".repeat(MAX_RECEIPT_CHARS))
        );
        let (rejected, _, _) = run(vec![Attempt::Rejected(long.clone())]);
        assert_eq!(rejected, Delivery::failed(1, "x".repeat(MAX_REASON_CHARS)));
        let (unavailable, _, _) = run(vec![Attempt::Unavailable(long); 3]);
        assert_eq!(
            unavailable,
            Delivery::failed(3, "x".repeat(MAX_REASON_CHARS))
        );
    }

    #[test]
    fn a_providers_answer_is_cut_by_characters_before_it_travels() {
        let long = "é\"".repeat(1_000);
        let chars = |text: &str| text.chars().count();
        let Attempt::Delivered(receipt) = Attempt::Delivered(long.clone()).shortened() else {
            panic!("still delivered");
        };
        assert_eq!(chars(&receipt), MAX_RECEIPT_CHARS);
        assert!(long.starts_with(&receipt));
        for attempt in [
            Attempt::Rejected(long.clone()),
            Attempt::Unavailable(long.clone()),
        ] {
            let (Attempt::Rejected(reason) | Attempt::Unavailable(reason)) = attempt.shortened()
            else {
                panic!("the same kind of answer");
            };
            assert_eq!(chars(&reason), MAX_REASON_CHARS);
        }
        let Readiness::Unconfigured(missing) = Readiness::Unconfigured(long).shortened() else {
            panic!("still unconfigured");
        };
        assert_eq!(chars(&missing), MAX_REASON_CHARS);
        assert_eq!(
            Attempt::Rejected("short".into()).shortened(),
            Attempt::Rejected("short".into())
        );
    }

    #[test]
    fn rejected_is_failed_at_once() {
        let (delivery, made, waits) = run(vec![Attempt::Rejected("bad address".into())]);
        assert_eq!(delivery, Delivery::failed(1, "bad address"));
        assert_eq!(made, 1);
        assert!(waits.is_empty());
    }

    #[test]
    fn unavailable_is_retried_with_the_webhook_backoff() {
        let (delivery, made, waits) = run(vec![
            Attempt::Unavailable("busy".into()),
            Attempt::Delivered("msg-2".into()),
        ]);
        assert_eq!(delivery, Delivery::delivered_with_receipt(2, "msg-2"));
        assert_eq!(made, 2);
        assert_eq!(waits, [Duration::from_millis(100)]);
    }

    #[test]
    fn unavailable_every_time_fails_after_the_last_attempt_with_its_reason() {
        let (delivery, made, waits) = run(vec![
            Attempt::Unavailable("busy".into()),
            Attempt::Unavailable("timed out".into()),
            Attempt::Unavailable("answered 503".into()),
        ]);
        assert_eq!(delivery, Delivery::failed(3, "answered 503"));
        assert_eq!(made, 3);
        assert_eq!(
            waits,
            [Duration::from_millis(100), Duration::from_millis(300)]
        );
    }

    #[test]
    fn a_rejection_after_a_retry_stops_the_retries() {
        let (delivery, made, _) = run(vec![
            Attempt::Unavailable("busy".into()),
            Attempt::Rejected("refused content".into()),
        ]);
        assert_eq!(delivery, Delivery::failed(2, "refused content"));
        assert_eq!(made, 2);
    }
}
