//! The webhook channel's policy: POST the notification as JSON, retry a few
//! times with backoff when the failure may be passing (no connection, a
//! timeout, a 5xx), give up at once when it will not (a 4xx, a refused host).
//! The transport and the waiting are ports, so the policy tests natively.

use crate::channel::Deliver;
use crate::notification::{Delivery, Notification};
use crate::retry::{Try, with_retries};
use domain_core::Pause;

/// One POST that produced no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportFailure {
    /// Whether trying again may help (connection refused, timed out) or not
    /// (the host is not allowed, the URL is malformed).
    pub retryable: bool,
    /// Shown to clients as the notification's `error`: no URLs, no secrets.
    pub reason: String,
}

/// Sends one POST of a JSON body to the configured webhook URL, with its own
/// bounded timeout, and returns the answer's status code.
pub trait WebhookTransport {
    fn post_json(&self, body: &[u8]) -> Result<u16, TransportFailure>;
}

pub struct WebhookChannel<T, P> {
    transport: T,
    pause: P,
}

impl<T: WebhookTransport, P: Pause> WebhookChannel<T, P> {
    pub fn new(transport: T, pause: P) -> Self {
        Self { transport, pause }
    }
}

impl<T: WebhookTransport, P: Pause> Deliver for WebhookChannel<T, P> {
    fn deliver(&self, notification: &Notification) -> Delivery {
        let body = serde_json::to_vec(notification).expect("notifications always serialize");
        with_retries(&self.pause, || match self.transport.post_json(&body) {
            Ok(status) if (200..300).contains(&status) => Try::Delivered(None),
            // Timed out, too early, too many: the receiver asks for a later try,
            // as the email and SMS providers treat these answers too.
            Ok(status @ (408 | 425 | 429 | 500..=599)) => {
                Try::Unavailable(format!("the webhook answered {status}"))
            }
            Ok(status) => Try::Rejected(format!("the webhook answered {status}")),
            Err(failure) if failure.retryable => Try::Unavailable(failure.reason),
            Err(failure) => Try::Rejected(failure.reason),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{ChannelKind, Message};
    use crate::notification::{DeliveryStatus, NotifyRequest};
    use domain_core::{Timestamp, UserId};
    use std::cell::RefCell;
    use std::time::Duration;

    /// Answers from a script, one entry per POST, and keeps the bodies.
    struct Scripted {
        answers: RefCell<Vec<Result<u16, TransportFailure>>>,
        bodies: RefCell<Vec<Vec<u8>>>,
    }

    impl Scripted {
        fn new(mut answers: Vec<Result<u16, TransportFailure>>) -> Self {
            answers.reverse();
            Self {
                answers: RefCell::new(answers),
                bodies: RefCell::default(),
            }
        }
    }

    impl WebhookTransport for &Scripted {
        fn post_json(&self, body: &[u8]) -> Result<u16, TransportFailure> {
            self.bodies.borrow_mut().push(body.to_vec());
            self.answers
                .borrow_mut()
                .pop()
                .expect("the policy posted more often than the script allows")
        }
    }

    #[derive(Default)]
    struct Waits(RefCell<Vec<Duration>>);

    impl Pause for &Waits {
        fn pause(&self, duration: Duration) {
            self.0.borrow_mut().push(duration);
        }
    }

    fn refused() -> Result<u16, TransportFailure> {
        Err(TransportFailure {
            retryable: true,
            reason: "connection refused".into(),
        })
    }

    fn notification() -> Notification {
        Notification::new(
            NotifyRequest {
                user_id: UserId::parse("u1").unwrap(),
                channel: ChannelKind::Webhook,
                to: None,
                subject: None,
                message: Message::parse("hello".into()).unwrap(),
                metadata: None,
            },
            Timestamp::from_unix_seconds(1_800_000_000),
        )
    }

    fn run(answers: Vec<Result<u16, TransportFailure>>) -> (Delivery, usize, Vec<Duration>) {
        let transport = Scripted::new(answers);
        let waits = Waits::default();
        let delivery = WebhookChannel::new(&transport, &waits).deliver(&notification());
        let posts = transport.bodies.borrow().len();
        (delivery, posts, waits.0.into_inner())
    }

    #[test]
    fn the_first_success_is_delivered_in_one_attempt() {
        let (delivery, posts, waits) = run(vec![Ok(204)]);
        assert_eq!(delivery, Delivery::delivered(1));
        assert_eq!(posts, 1);
        assert!(waits.is_empty());
    }

    #[test]
    fn a_5xx_then_success_is_delivered_in_two_attempts_after_a_backoff() {
        let (delivery, posts, waits) = run(vec![Ok(503), Ok(200)]);
        assert_eq!(delivery, Delivery::delivered(2));
        assert_eq!(posts, 2);
        assert_eq!(waits, [Duration::from_millis(100)]);
    }

    #[test]
    fn connection_errors_are_retried() {
        let (delivery, _, _) = run(vec![refused(), refused(), Ok(200)]);
        assert_eq!(delivery, Delivery::delivered(3));
    }

    #[test]
    fn a_4xx_is_not_retried() {
        let (delivery, posts, waits) = run(vec![Ok(404)]);
        assert_eq!(delivery.status(), DeliveryStatus::Failed);
        assert_eq!(delivery.attempts, 1);
        assert_eq!(posts, 1);
        assert!(waits.is_empty());
        assert_eq!(
            delivery.failure.as_deref(),
            Some("the webhook answered 404")
        );
    }

    #[test]
    fn a_receiver_asking_for_a_later_try_is_retried() {
        for status in [408, 425, 429] {
            let (delivery, posts, _) = run(vec![Ok(status), Ok(200)]);
            assert_eq!(delivery, Delivery::delivered(2), "{status}");
            assert_eq!(posts, 2, "{status}");
        }
    }

    /// A redirect is not followed, so the notification did not arrive.
    #[test]
    fn a_redirect_is_a_failure_not_a_delivery() {
        for status in [300, 301, 308] {
            let (delivery, posts, _) = run(vec![Ok(status)]);
            let reason = format!("the webhook answered {status}");
            assert_eq!(delivery, Delivery::failed(1, reason), "{status}");
            assert_eq!(posts, 1, "{status}");
        }
    }

    #[test]
    fn every_5xx_is_retried() {
        for status in [500, 504, 599] {
            let (delivery, posts, _) = run(vec![Ok(status), Ok(200)]);
            assert_eq!(delivery, Delivery::delivered(2), "{status}");
            assert_eq!(posts, 2, "{status}");
        }
    }

    #[test]
    fn a_host_that_is_not_allowed_is_not_retried() {
        let (delivery, posts, _) = run(vec![Err(TransportFailure {
            retryable: false,
            reason: "the webhook host is not allowed".into(),
        })]);
        assert_eq!(posts, 1);
        assert_eq!(
            delivery,
            Delivery::failed(1, "the webhook host is not allowed")
        );
    }

    #[test]
    fn giving_up_after_the_last_attempt_names_the_last_failure() {
        let (delivery, posts, waits) = run(vec![Ok(500), refused(), Ok(502)]);
        assert_eq!(delivery, Delivery::failed(3, "the webhook answered 502"));
        assert_eq!(posts, 3);
        assert_eq!(
            waits,
            [Duration::from_millis(100), Duration::from_millis(300)]
        );
    }

    #[test]
    fn the_body_is_the_notification_as_json() {
        let transport = Scripted::new(vec![Ok(200)]);
        let waits = Waits::default();
        let notification = notification();
        WebhookChannel::new(&transport, &waits).deliver(&notification);
        let body: serde_json::Value =
            serde_json::from_slice(&transport.bodies.borrow()[0]).unwrap();
        assert_eq!(
            body["notification_id"],
            notification.notification_id.to_string()
        );
        assert_eq!(body["user_id"], "u1");
        assert_eq!(body["message"], "hello");
        assert_eq!(body["channel"], "webhook");
    }
}
